/* gm-evaluate.c — per-gene Pearson and MSE against a reference, and hold-out scoring
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gm-evaluate.h"

static const char *
ds_name (const GmDataset *ds,
         const char      *fallback)
{
  return ds->path ? ds->path : fallback;
}

/* map[i] = the reference's index of @other's name i; the two name sets must be equal. */
static int64_t *
match_names (char * const    *ref_names,
             int64_t          n_ref,
             const char      *ref_what,
             char * const    *names,
             int64_t          n,
             const char      *what,
             const char      *kind,
             GError         **error)
{
  g_autoptr(GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree int64_t *map = g_new (int64_t, MAX (n, 1));
  g_autofree guint8 *seen = g_new0 (guint8, MAX (n_ref, 1));

  for (int64_t i = 0; i < n_ref; i++)
    {
      if (g_hash_table_contains (index, ref_names[i]))
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: %s name '%s' occurs more than once; names must be unique to match",
                       ref_what, kind, ref_names[i]);
          return NULL;
        }
      g_hash_table_insert (index, ref_names[i], GINT_TO_POINTER ((int) i + 1));
    }
  if (n != n_ref)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s has %" G_GINT64_FORMAT " %ss but %s has %" G_GINT64_FORMAT
                   "; they must hold the same %ss", what, n, kind, ref_what, n_ref, kind);
      return NULL;
    }
  for (int64_t i = 0; i < n; i++)
    {
      gpointer v = g_hash_table_lookup (index, names[i]);
      int64_t r;

      if (v == NULL)
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: %s '%s' is not in %s; they must hold the same %ss",
                       what, kind, names[i], ref_what, kind);
          return NULL;
        }
      r = GPOINTER_TO_INT (v) - 1;
      if (seen[r])
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: %s name '%s' occurs more than once; names must be unique to match",
                       what, kind, names[i]);
          return NULL;
        }
      seen[r] = 1;
      map[i] = r;
    }
  return g_steal_pointer (&map);
}

/* Per-row factors: 10 000 / library size (lognorm), or 1 (raw). */
static double *
row_scales (const GmCsr *m,
            GmScale      scale)
{
  double *s = g_new (double, MAX (m->n_rows, 1));

  for (int64_t c = 0; c < m->n_rows; c++)
    {
      double lib = 0.0;

      if (scale == GM_SCALE_RAW)
        {
          s[c] = 1.0;
          continue;
        }
      for (int64_t p = m->indptr[c]; p < m->indptr[c + 1]; p++)
        lib += m->data[p];
      s[c] = lib > 0.0 ? 1e4 / lib : 0.0;
    }
  return s;
}

static inline double
scaled (double  v,
        double  s,
        GmScale scale)
{
  return scale == GM_SCALE_RAW ? v : log1p (MAX (v * s, -0.999999));
}

double
gm_quantile_sorted (const double *sorted,
                    int64_t       n,
                    double        q)
{
  double pos, frac;
  int64_t lo;

  if (n <= 0)
    return NAN;
  pos = q * (double) (n - 1);
  lo = (int64_t) floor (pos);
  if (lo >= n - 1)
    return sorted[n - 1];
  frac = pos - (double) lo;
  return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

static int
cmp_double (const void *a,
            const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static void
summarise (const double  *r,
           const double  *mse,
           int64_t        n,
           gboolean       skip_nan_mse,
           GmEvalSummary *s)
{
  g_autofree double *v = g_new (double, MAX (n, 1));
  int64_t k = 0, n_mse = 0;
  double sum = 0.0, ss = 0.0, msum = 0.0;

  for (int64_t i = 0; i < n; i++)
    {
      if (!isnan (r[i]))
        {
          v[k++] = r[i];
          sum += r[i];
        }
      if (mse != NULL && !(skip_nan_mse && isnan (mse[i])))
        {
          msum += mse[i];
          n_mse++;
        }
    }
  qsort (v, k, sizeof (double), cmp_double);
  s->n_defined = k;
  s->n_undefined = n - k;
  s->mean = k > 0 ? sum / k : NAN;
  for (int64_t i = 0; i < k; i++)
    ss += (v[i] - s->mean) * (v[i] - s->mean);
  s->sd = k > 0 ? sqrt (ss / k) : NAN;
  s->q1 = gm_quantile_sorted (v, k, 0.25);
  s->median = gm_quantile_sorted (v, k, 0.5);
  s->q3 = gm_quantile_sorted (v, k, 0.75);
  s->mean_mse = n_mse > 0 ? msum / n_mse : NAN;
}

/* Sums for Pearson, plus what tells a constant vector. */
typedef struct
{
  double  sx, sy, sxx, syy, sxy;
  int64_t nx, ny;              /* stored (non-zero) entries */
  double  minx, maxx, miny, maxy;
} Acc;

static void
acc_init (Acc *a,
          int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    {
      memset (&a[i], 0, sizeof (Acc));
      a[i].minx = a[i].miny = INFINITY;
      a[i].maxx = a[i].maxy = -INFINITY;
    }
}

static gboolean
is_constant (int64_t nstored,
             double  lo,
             double  hi,
             int64_t n)
{
  if (nstored == 0)
    return TRUE;
  if (nstored < n)  /* zeros are among the values */
    return lo == 0.0 && hi == 0.0;
  return lo == hi;
}

static void
acc_finish (const Acc *a,
            int64_t    n,
            double    *r,
            double    *mse)
{
  double cov = a->sxy - a->sx * a->sy / n;
  double vx = a->sxx - a->sx * a->sx / n;
  double vy = a->syy - a->sy * a->sy / n;

  if (mse)
    *mse = n > 0 ? MAX (0.0, a->sxx + a->syy - 2.0 * a->sxy) / n : NAN;
  if (n < 2 || is_constant (a->nx, a->minx, a->maxx, n) || is_constant (a->ny, a->miny, a->maxy, n)
      || !(vx > 0.0) || !(vy > 0.0))
    {
      *r = NAN;
      return;
    }
  *r = CLAMP (cov / sqrt (vx * vy), -1.0, 1.0);
}

double
gm_pearson (const double *x,
            const double *y,
            int64_t       n)
{
  double mx = 0.0, my = 0.0, sxy = 0.0, sxx = 0.0, syy = 0.0;
  gboolean cx = TRUE, cy = TRUE;

  if (n < 2)
    return NAN;
  for (int64_t i = 0; i < n; i++)
    {
      mx += x[i];
      my += y[i];
      cx = cx && x[i] == x[0];
      cy = cy && y[i] == y[0];
    }
  if (cx || cy)
    return NAN;
  mx /= n;
  my /= n;
  for (int64_t i = 0; i < n; i++)
    {
      sxy += (x[i] - mx) * (y[i] - my);
      sxx += (x[i] - mx) * (x[i] - mx);
      syy += (y[i] - my) * (y[i] - my);
    }
  return CLAMP (sxy / sqrt (sxx * syy), -1.0, 1.0);
}

/* Compares @other against @ref gene by gene; r and mse indexed by the reference's genes. */
static gboolean
compare (const GmDataset  *ref,
         const GmDataset  *other,
         const char       *other_what,
         GmScale           scale,
         double           *r,
         double           *mse,
         GError          **error)
{
  const GmCsr *x = &ref->X, *y = &other->X;
  const int64_t n = x->n_rows, g = x->n_cols;
  const char *ref_name = ds_name (ref, "the reference");
  const char *other_name = ds_name (other, other_what);
  g_autofree int64_t *cmap = NULL, *gmap = NULL, *row_of = NULL;
  g_autofree double *sx = NULL, *sy = NULL, *buf = NULL;
  g_autofree Acc *acc = NULL;

  cmap = match_names (ref->cell_names, n, ref_name, other->cell_names, y->n_rows, other_name, "cell", error);
  if (cmap == NULL)
    return FALSE;
  gmap = match_names (ref->gene_names, g, ref_name, other->gene_names, y->n_cols, other_name, "gene", error);
  if (gmap == NULL)
    return FALSE;
  row_of = g_new (int64_t, MAX (n, 1));
  for (int64_t i = 0; i < n; i++)
    row_of[cmap[i]] = i;
  sx = row_scales (x, scale);
  sy = row_scales (y, scale);
  acc = g_new (Acc, MAX (g, 1));
  acc_init (acc, g);
  buf = g_new0 (double, MAX (g, 1));

  for (int64_t c = 0; c < n; c++)
    {
      int64_t oc = row_of[c];

      for (int64_t p = x->indptr[c]; p < x->indptr[c + 1]; p++)
        {
          int64_t j = x->indices[p];
          double v = scaled (x->data[p], sx[c], scale);
          Acc *a = &acc[j];

          buf[j] = v;
          a->sx += v;
          a->sxx += v * v;
          a->nx++;
          a->minx = MIN (a->minx, v);
          a->maxx = MAX (a->maxx, v);
        }
      for (int64_t p = y->indptr[oc]; p < y->indptr[oc + 1]; p++)
        {
          int64_t j = gmap[y->indices[p]];
          double v = scaled (y->data[p], sy[oc], scale);
          Acc *a = &acc[j];

          a->sy += v;
          a->syy += v * v;
          a->sxy += buf[j] * v;
          a->ny++;
          a->miny = MIN (a->miny, v);
          a->maxy = MAX (a->maxy, v);
        }
      for (int64_t p = x->indptr[c]; p < x->indptr[c + 1]; p++)
        buf[x->indices[p]] = 0.0;
    }
  for (int64_t j = 0; j < g; j++)
    acc_finish (&acc[j], n, &r[j], &mse[j]);
  return TRUE;
}

GmEvalResult *
gm_evaluate (const GmDataset  *reference,
             const GmDataset  *imputed,
             const GmDataset  *observed,
             GmScale           scale,
             GError          **error)
{
  g_autoptr(GmEvalResult) res = g_new0 (GmEvalResult, 1);
  const int64_t g = reference->X.n_cols;

  res->n_cells = reference->X.n_rows;
  res->n_genes = g;
  res->gene_names = g_new0 (char *, g + 1);
  for (int64_t j = 0; j < g; j++)
    res->gene_names[j] = g_strdup (reference->gene_names[j]);
  res->r_after = g_new (double, MAX (g, 1));
  res->mse_after = g_new (double, MAX (g, 1));
  if (!compare (reference, imputed, "the imputed data", scale, res->r_after, res->mse_after, error))
    return NULL;
  summarise (res->r_after, res->mse_after, g, FALSE, &res->after);
  if (observed != NULL)
    {
      res->has_before = TRUE;
      res->r_before = g_new (double, MAX (g, 1));
      res->mse_before = g_new (double, MAX (g, 1));
      if (!compare (reference, observed, "the observed data", scale, res->r_before, res->mse_before, error))
        return NULL;
      summarise (res->r_before, res->mse_before, g, FALSE, &res->before);
      for (int64_t j = 0; j < g; j++)
        if (!isnan (res->r_before[j]) && !isnan (res->r_after[j]))
          {
            res->n_compared++;
            if (res->r_after[j] > res->r_before[j])
              res->n_improved++;
          }
    }
  return g_steal_pointer (&res);
}

void
gm_eval_result_free (GmEvalResult *r)
{
  if (r == NULL)
    return;
  g_strfreev (r->gene_names);
  g_free (r->r_before);
  g_free (r->mse_before);
  g_free (r->r_after);
  g_free (r->mse_after);
  g_free (r);
}

/* ------------------------------------------------------------ hold-out */

GmHoldoutResult *
gm_evaluate_holdout (const GmDataset  *truth,
                     const GmDataset  *masked,
                     const GmDataset  *imputed,
                     GmScale           scale,
                     GError          **error)
{
  g_autoptr(GmHoldoutResult) res = g_new0 (GmHoldoutResult, 1);
  const GmCsr *t = &truth->X, *m = &masked->X, *y = &imputed->X;
  const int64_t n = t->n_rows, g = t->n_cols;
  const char *truth_name = ds_name (truth, "the hold-out file");
  const char *imp_name = ds_name (imputed, "the imputed data");
  g_autofree int64_t *cmap = NULL, *gmap = NULL, *row_of = NULL;
  g_autofree double *st = NULL, *sy = NULL, *buf = NULL, *mse = NULL;
  g_autofree Acc *acc = NULL;
  Acc all;

  if (m->n_rows != n || m->n_cols != g)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: the masked matrix and the hold-out counts differ in shape", truth_name);
      return NULL;
    }
  cmap = match_names (truth->cell_names, n, truth_name, imputed->cell_names, y->n_rows, imp_name, "cell", error);
  if (cmap == NULL)
    return NULL;
  gmap = match_names (truth->gene_names, g, truth_name, imputed->gene_names, y->n_cols, imp_name, "gene", error);
  if (gmap == NULL)
    return NULL;
  row_of = g_new (int64_t, MAX (n, 1));
  for (int64_t i = 0; i < n; i++)
    row_of[cmap[i]] = i;
  st = row_scales (t, scale);
  sy = row_scales (y, scale);
  acc = g_new (Acc, MAX (g, 1));
  acc_init (acc, g);
  acc_init (&all, 1);
  buf = g_new0 (double, MAX (g, 1));
  res->n_cells = n;
  res->n_genes = g;
  res->gene_names = g_new0 (char *, g + 1);
  for (int64_t j = 0; j < g; j++)
    res->gene_names[j] = g_strdup (truth->gene_names[j]);
  res->hidden_per_gene = g_new0 (int64_t, MAX (g, 1));
  res->r = g_new (double, MAX (g, 1));
  mse = g_new (double, MAX (g, 1));

  for (int64_t c = 0; c < n; c++)
    {
      int64_t oc = row_of[c], q = m->indptr[c];

      for (int64_t p = y->indptr[oc]; p < y->indptr[oc + 1]; p++)
        buf[gmap[y->indices[p]]] = scaled (y->data[p], sy[oc], scale);
      for (int64_t p = t->indptr[c]; p < t->indptr[c + 1]; p++)
        {
          int64_t j = t->indices[p];
          double tv, yv;

          while (q < m->indptr[c + 1] && m->indices[q] < j)
            q++;
          if (q < m->indptr[c + 1] && m->indices[q] == j)
            continue;  /* still observed */
          tv = scaled (t->data[p], st[c], scale);
          yv = buf[j];
          for (int pass = 0; pass < 2; pass++)
            {
              Acc *a = pass == 0 ? &acc[j] : &all;
              a->sx += tv;
              a->sxx += tv * tv;
              a->sy += yv;
              a->syy += yv * yv;
              a->sxy += tv * yv;
              a->nx++;
              a->ny++;
              a->minx = MIN (a->minx, tv);
              a->maxx = MAX (a->maxx, tv);
              a->miny = MIN (a->miny, yv);
              a->maxy = MAX (a->maxy, yv);
            }
          res->hidden_per_gene[j]++;
          res->n_hidden++;
        }
      for (int64_t p = y->indptr[oc]; p < y->indptr[oc + 1]; p++)
        buf[gmap[y->indices[p]]] = 0.0;
    }
  /* Over the hidden entries every value counts as stored: constant iff min == max. */
  for (int64_t j = 0; j < g; j++)
    {
      if (res->hidden_per_gene[j] >= 3)
        {
          res->n_scored++;
          acc_finish (&acc[j], acc[j].nx, &res->r[j], &mse[j]);
        }
      else
        res->r[j] = NAN;
    }
  acc_finish (&all, all.nx, &res->overall_r, &res->overall_mse);
  {
    /* summary over the scored genes only */
    g_autofree double *rs = g_new (double, MAX (res->n_scored, 1));
    int64_t k = 0;

    for (int64_t j = 0; j < g; j++)
      if (res->hidden_per_gene[j] >= 3)
        rs[k++] = res->r[j];
    summarise (rs, NULL, k, FALSE, &res->summary);
    res->summary.mean_mse = res->overall_mse;
  }
  if (res->n_hidden == 0)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: no hidden entries (is it a file written by 'simulate --holdout'?)", truth_name);
      return NULL;
    }
  return g_steal_pointer (&res);
}

void
gm_holdout_result_free (GmHoldoutResult *r)
{
  if (r == NULL)
    return;
  g_strfreev (r->gene_names);
  g_free (r->hidden_per_gene);
  g_free (r->r);
  g_free (r);
}
