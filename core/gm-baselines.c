/* gm-baselines.c — PCA, exact kNN, kNN smoothing and MAGIC on the CPU
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * See gm-baselines.h for the methods and their choices.
 */
#include "config.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gm-baselines.h"
#include "gm-linalg.h"
#include "gm-random.h"

void
gm_baseline_params_init (GmBaselineParams *p,
                         GmBaseline        method)
{
  memset (p, 0, sizeof *p);
  p->method = method;
  p->k = method == GM_BASELINE_MAGIC ? 5 : 15;
  p->n_pcs = method == GM_BASELINE_MAGIC ? 100 : 10;
  p->t = 3;
  p->decay = 40.0;
  p->n_hvg = 2000;
  p->seed = 0;
}

/* ------------------------------------------------------- normalisation */

static void
library_sizes (const GmCsr *m,
               double      *lib)
{
  for (int64_t c = 0; c < m->n_rows; c++)
    {
      double s = 0.0;
      for (int64_t p = m->indptr[c]; p < m->indptr[c + 1]; p++)
        s += m->data[p];
      lib[c] = s;
    }
}

float *
gm_lognorm_dense (const GmCsr   *m,
                  const int32_t *cols,
                  int64_t        n_cols,
                  double        *lib_out)
{
  g_autofree double *lib = g_new (double, MAX (m->n_rows, 1));
  g_autofree int32_t *pos = NULL;
  int64_t w = cols ? n_cols : m->n_cols;
  float *out = gm_alloc_large (MAX ((gsize) m->n_rows * w, 1) * sizeof (float));

  memset (out, 0, (gsize) m->n_rows * w * sizeof (float));
  library_sizes (m, lib);
  if (cols)
    {
      pos = g_new (int32_t, MAX (m->n_cols, 1));
      for (int64_t j = 0; j < m->n_cols; j++)
        pos[j] = -1;
      for (int64_t j = 0; j < n_cols; j++)
        pos[cols[j]] = (int32_t) j;
    }
  for (int64_t c = 0; c < m->n_rows; c++)
    {
      double s = lib[c] > 0.0 ? 1e4 / lib[c] : 0.0;
      float *row = out + (gsize) c * w;

      for (int64_t p = m->indptr[c]; p < m->indptr[c + 1]; p++)
        {
          int64_t j = pos ? pos[m->indices[p]] : m->indices[p];
          if (j >= 0)
            row[j] = (float) log1p (MAX (m->data[p], 0.0f) * s);
        }
    }
  if (lib_out)
    memcpy (lib_out, lib, m->n_rows * sizeof (double));
  return out;
}

/* The n_hvg columns of highest log-normalised variance, in column order. */
typedef struct
{
  double  var;
  int32_t j;
} VarIndex;

static int
cmp_var_desc (const void *a,
              const void *b)
{
  const VarIndex *x = a, *y = b;

  if (x->var != y->var)
    return x->var > y->var ? -1 : 1;
  return (x->j > y->j) - (x->j < y->j);
}

static int
cmp_int32 (const void *a,
           const void *b)
{
  int32_t x = *(const int32_t *) a, y = *(const int32_t *) b;
  return (x > y) - (x < y);
}

static int32_t *
top_variance_genes (const GmCsr *m,
                    int          n_hvg,
                    int64_t     *n_out)
{
  const int64_t n = m->n_rows, g = m->n_cols;
  g_autofree double *s = g_new0 (double, MAX (g, 1));
  g_autofree double *ss = g_new0 (double, MAX (g, 1));
  g_autofree double *lib = g_new (double, MAX (n, 1));
  g_autofree VarIndex *vi = g_new (VarIndex, MAX (g, 1));
  int64_t keep = MIN (g, (int64_t) n_hvg);
  int32_t *cols;

  library_sizes (m, lib);
  for (int64_t c = 0; c < n; c++)
    {
      double f = lib[c] > 0.0 ? 1e4 / lib[c] : 0.0;
      for (int64_t p = m->indptr[c]; p < m->indptr[c + 1]; p++)
        {
          double v = log1p (MAX (m->data[p], 0.0f) * f);
          s[m->indices[p]] += v;
          ss[m->indices[p]] += v * v;
        }
    }
  for (int64_t j = 0; j < g; j++)
    {
      vi[j].var = n > 0 ? ss[j] / n - (s[j] / n) * (s[j] / n) : 0.0;
      vi[j].j = (int32_t) j;
    }
  qsort (vi, g, sizeof (VarIndex), cmp_var_desc);
  cols = g_new (int32_t, MAX (keep, 1));
  for (int64_t j = 0; j < keep; j++)
    cols[j] = vi[j].j;
  qsort (cols, keep, sizeof (int32_t), cmp_int32);
  *n_out = keep;
  return cols;
}

/* ----------------------------------------------------------------- PCA */

/* Orthonormalises the l columns of the n × l row-major matrix @y in place
 * (modified Gram–Schmidt in double); columns that vanish become zero. */
static void
orthonormalise (float   *y,
                int64_t  n,
                int      l)
{
  g_autofree double *q = g_new (double, MAX ((gsize) n * l, 1));

  for (int64_t i = 0; i < n; i++)
    for (int c = 0; c < l; c++)
      q[(gsize) c * n + i] = y[(gsize) i * l + c];
  for (int c = 0; c < l; c++)
    {
      double *qc = q + (gsize) c * n;
      double norm0 = 0.0, norm = 0.0;

      for (int64_t i = 0; i < n; i++)
        norm0 += qc[i] * qc[i];
      for (int b = 0; b < c; b++)
        {
          const double *qb = q + (gsize) b * n;
          double dot = 0.0;
          for (int64_t i = 0; i < n; i++)
            dot += qb[i] * qc[i];
          for (int64_t i = 0; i < n; i++)
            qc[i] -= dot * qb[i];
        }
      for (int64_t i = 0; i < n; i++)
        norm += qc[i] * qc[i];
      if (!(norm > 1e-20 * norm0) || !(norm > 0.0))
        memset (qc, 0, n * sizeof (double));
      else
        {
          double inv = 1.0 / sqrt (norm);
          for (int64_t i = 0; i < n; i++)
            qc[i] *= inv;
        }
    }
  for (int64_t i = 0; i < n; i++)
    for (int c = 0; c < l; c++)
      y[(gsize) i * l + c] = (float) q[(gsize) c * n + i];
}


int
gm_pca_randomized (float   *a,
                   int64_t  n,
                   int64_t  p,
                   int      n_comp,
                   guint64  seed,
                   float   *scores)
{
  int nc = (int) MIN ((int64_t) n_comp, MIN (n, p));
  int l = (int) MIN ((int64_t) nc + 10, MIN (n, p));
  g_autofree double *mean = g_new0 (double, MAX (p, 1));
  g_autofree float *omega = NULL, *y = NULL, *z = NULL, *b = NULL, *us = NULL;
  g_autofree double *bbt = NULL, *w = NULL, *u = NULL;
  GmRng rng;

  gsize ul, unc;

  if (nc <= 0)
    return 0;
  ul = (guint) l;
  unc = (guint) nc;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < p; j++)
      mean[j] += a[(gsize) i * p + j];
  for (int64_t j = 0; j < p; j++)
    mean[j] /= n;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < p; j++)
      a[(gsize) i * p + j] -= (float) mean[j];

  gm_rng_init (&rng, seed);
  omega = g_new (float, (gsize) p * l);
  for (gsize i = 0; i < (gsize) p * l; i++)
    omega[i] = (float) gm_rng_normal (&rng);
  y = g_new (float, (gsize) n * l);
  z = g_new (float, (gsize) p * l);
  /* Y = A Ω */
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, l, p, 1.0f, a, p, omega, l, 0.0f, y, l);
  for (int it = 0; it < 2; it++)
    {
      orthonormalise (y, n, l);
      /* Z = Aᵀ Y */
      cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, p, l, n, 1.0f, a, p, y, l, 0.0f, z, l);
      orthonormalise (z, p, l);
      /* Y = A Z */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, l, p, 1.0f, a, p, z, l, 0.0f, y, l);
    }
  orthonormalise (y, n, l);
  /* B = Qᵀ A (l × p), then B Bᵀ = U Σ² Uᵀ and the scores A V = Q U Σ */
  b = g_new (float, (gsize) l * p);
  cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, l, p, n, 1.0f, y, l, a, p, 0.0f, b, p);
  bbt = g_new0 (double, (gsize) l * l);
  for (int r = 0; r < l; r++)
    for (int c = r; c < l; c++)
      {
        double s = 0.0;
        for (int64_t j = 0; j < p; j++)
          s += (double) b[(gsize) r * p + j] * b[(gsize) c * p + j];
        bbt[r * l + c] = bbt[c * l + r] = s;
      }
  w = g_new (double, ul);
  u = g_new (double, ul * ul);
  gm_linalg_sym_eigen (bbt, l, w, u);
  us = g_new (float, ul * unc);
  for (int r = 0; r < l; r++)
    for (int c = 0; c < nc; c++)
      {
        /* a deterministic sign: the largest entry of each U column positive */
        double sigma = sqrt (MAX (w[c], 0.0));
        us[(gsize) r * nc + c] = (float) (u[r * l + c] * sigma);
      }
  for (int c = 0; c < nc; c++)
    {
      int arg = 0;
      for (int r = 1; r < l; r++)
        if (fabs (u[r * l + c]) > fabs (u[arg * l + c]))
          arg = r;
      if (u[arg * l + c] < 0.0)
        for (int r = 0; r < l; r++)
          us[(gsize) r * nc + c] = -us[(gsize) r * nc + c];
    }
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, nc, l, 1.0f, y, l, us, nc, 0.0f, scores, nc);
  return nc;
}

/* ----------------------------------------------------------------- kNN */

typedef struct
{
  float   d;
  int32_t i;
} Cand;

static inline gboolean
cand_less (Cand a,
           Cand b)
{
  return a.d < b.d || (a.d == b.d && a.i < b.i);
}

/* max-heap on (d, i) of size k */
static void
heap_sift_down (Cand *h,
                int   k,
                int   pos)
{
  for (;;)
    {
      int l = 2 * pos + 1, r = l + 1, big = pos;
      if (l < k && cand_less (h[big], h[l]))
        big = l;
      if (r < k && cand_less (h[big], h[r]))
        big = r;
      if (big == pos)
        return;
      Cand t = h[pos];
      h[pos] = h[big];
      h[big] = t;
      pos = big;
    }
}

static int
cmp_cand (const void *a,
          const void *b)
{
  Cand x = *(const Cand *) a, y = *(const Cand *) b;
  return cand_less (x, y) ? -1 : cand_less (y, x) ? 1 : 0;
}

static gboolean
cancelled (const gint *cancel)
{
  return cancel != NULL && g_atomic_int_get (cancel);
}

/* gm_knn_exact; FALSE when *cancel became non-zero (read once per block) */
static gboolean
knn_exact (const float *pts,
           int64_t      n,
           int64_t      d,
           int          k,
           int32_t     *idx,
           float       *dist,
           const gint  *cancel)
{
  const int64_t block = CLAMP ((int64_t) (1 << 22) / MAX (n, 1), 16, 1024);
  g_autofree float *norm = g_new (float, MAX (n, 1));
  g_autofree float *prod = g_new (float, (gsize) MIN (block, n) * n);
  g_autofree Cand *heap = g_new (Cand, MAX (k, 1));

  g_return_val_if_fail (k >= 1 && k < n, FALSE);
  for (int64_t i = 0; i < n; i++)
    {
      double s = 0.0;
      for (int64_t j = 0; j < d; j++)
        s += (double) pts[i * d + j] * pts[i * d + j];
      norm[i] = (float) s;
    }
  for (int64_t i0 = 0; i0 < n; i0 += block)
    {
      int64_t nb = MIN (block, n - i0);

      if (cancelled (cancel))
        return FALSE;
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, nb, n, d, -2.0f, pts + i0 * d, d, pts, d,
                   0.0f, prod, n);
      for (int64_t bi = 0; bi < nb; bi++)
        {
          const int64_t i = i0 + bi;
          const float *row = prod + bi * n;
          int filled = 0;

          for (int64_t j = 0; j < n; j++)
            {
              Cand c;
              if (j == i)
                continue;
              c.d = MAX (row[j] + norm[i] + norm[j], 0.0f);
              c.i = (int32_t) j;
              if (filled < k)
                {
                  heap[filled++] = c;
                  if (filled == k)
                    for (int h = k / 2 - 1; h >= 0; h--)
                      heap_sift_down (heap, k, h);
                }
              else if (cand_less (c, heap[0]))
                {
                  heap[0] = c;
                  heap_sift_down (heap, k, 0);
                }
            }
          qsort (heap, k, sizeof (Cand), cmp_cand);
          for (int h = 0; h < k; h++)
            {
              idx[i * k + h] = heap[h].i;
              dist[i * k + h] = sqrtf (heap[h].d);
            }
        }
    }
  return TRUE;
}

void
gm_knn_exact (const float *pts,
              int64_t      n,
              int64_t      d,
              int          k,
              int32_t     *idx,
              float       *dist)
{
  knn_exact (pts, n, d, k, idx, dist, NULL);
}

/* ----------------------------------------------------------- the methods */

static float *
pca_scores (const GmCsr             *counts,
            const GmBaselineParams  *p,
            int                     *n_comp,
            GError                 **error)
{
  int64_t n_sel = 0;
  g_autofree int32_t *cols = top_variance_genes (counts, MAX (p->n_hvg, 1), &n_sel);
  g_autofree float *a = NULL;
  float *scores;

  if (!gm_memory_check ("imputation", (guint64) counts->n_rows * n_sel * sizeof (float) * 2,
                        "the PCA", error))
    return NULL;
  a = gm_lognorm_dense (counts, cols, n_sel, NULL);
  scores = g_new0 (float, MAX ((gsize) counts->n_rows * MAX (p->n_pcs, 1), 1));
  *n_comp = gm_pca_randomized (a, counts->n_rows, n_sel, p->n_pcs, p->seed, scores);
  return scores;
}

static float *
knn_smooth (const GmCsr            *counts,
            const GmBaselineParams *p,
            const int32_t          *idx)
{
  const int64_t n = counts->n_rows, g = counts->n_cols;
  const int k = p->k;
  float *out = gm_alloc_large (MAX ((gsize) n * g, 1) * sizeof (float));

  memset (out, 0, (gsize) n * g * sizeof (float));
  for (int64_t c = 0; c < n; c++)
    {
      float *row = out + (gsize) c * g;

      if (c % 1024 == 0 && cancelled (p->cancel))
        {
          g_free (out);
          return NULL;
        }
      for (int h = 0; h < k; h++)
        {
          int64_t nb = h == 0 ? c : idx[c * (k - 1) + h - 1];
          for (int64_t q = counts->indptr[nb]; q < counts->indptr[nb + 1]; q++)
            row[counts->indices[q]] += counts->data[q];
        }
      for (int64_t j = 0; j < g; j++)
        row[j] /= (float) k;
    }
  return out;
}

typedef struct
{
  int32_t i, j;
  float   w;
} Triplet;

static int
cmp_triplet (const void *a,
             const void *b)
{
  const Triplet *x = a, *y = b;
  if (x->i != y->i)
    return x->i < y->i ? -1 : 1;
  return (x->j > y->j) - (x->j < y->j);
}

static float *
magic (const GmCsr            *counts,
       const GmBaselineParams *p,
       const int32_t          *idx,
       const float            *dist)
{
  const int64_t n = counts->n_rows, g = counts->n_cols;
  const int k = p->k;
  const int64_t n_trip = n * (2 * (int64_t) k + 1);
  g_autofree Triplet *trip = g_new (Triplet, n_trip);
  g_autofree int64_t *mp = g_new0 (int64_t, n + 1);
  g_autofree int32_t *mi = NULL;
  g_autofree float *mw = NULL;
  g_autofree double *lib = g_new (double, MAX (n, 1));
  float *x, *y;
  int64_t t = 0, nnz = 0;

  /* W: alpha-decay weights on the k neighbours, plus self; K = (W + Wᵀ)/2 */
  for (int64_t i = 0; i < n; i++)
    {
      float sigma = dist[i * k + k - 1];

      trip[t++] = (Triplet) { (int32_t) i, (int32_t) i, 1.0f };
      for (int h = 0; h < k; h++)
        {
          float dd = dist[i * k + h], w;
          int32_t j = idx[i * k + h];

          if (sigma > 0.0f)
            w = (float) exp (-pow (dd / sigma, p->decay));
          else
            w = dd == 0.0f ? 1.0f : 0.0f;
          trip[t++] = (Triplet) { (int32_t) i, j, 0.5f * w };
          trip[t++] = (Triplet) { j, (int32_t) i, 0.5f * w };
        }
    }
  qsort (trip, t, sizeof (Triplet), cmp_triplet);
  mi = g_new (int32_t, t);
  mw = g_new (float, t);
  for (int64_t q = 0; q < t; q++)
    {
      if (nnz > 0 && trip[q].i == trip[q - 1].i && mi[nnz - 1] == trip[q].j)
        {
          mw[nnz - 1] += trip[q].w;
          continue;
        }
      mi[nnz] = trip[q].j;
      mw[nnz] = trip[q].w;
      nnz++;
      mp[trip[q].i + 1] = nnz;
    }
  for (int64_t i = 0; i < n; i++)
    mp[i + 1] = MAX (mp[i + 1], mp[i]);
  /* row-normalise */
  for (int64_t i = 0; i < n; i++)
    {
      double s = 0.0;
      for (int64_t q = mp[i]; q < mp[i + 1]; q++)
        s += mw[q];
      for (int64_t q = mp[i]; q < mp[i + 1]; q++)
        mw[q] = (float) (mw[q] / s);
    }

  x = gm_lognorm_dense (counts, NULL, g, lib);
  y = gm_alloc_large (MAX ((gsize) n * g, 1) * sizeof (float));
  for (int step = 0; step < p->t; step++)
    {
      float *tmp;
      for (int64_t i = 0; i < n; i++)
        {
          float *yr = y + (gsize) i * g;

          if (i % 1024 == 0 && cancelled (p->cancel))
            {
              g_free (x);
              g_free (y);
              return NULL;
            }
          memset (yr, 0, g * sizeof (float));
          for (int64_t q = mp[i]; q < mp[i + 1]; q++)
            {
              const float *xr = x + (gsize) mi[q] * g;
              const float w = mw[q];
              for (int64_t j = 0; j < g; j++)
                yr[j] += w * xr[j];
            }
        }
      tmp = x;
      x = y;
      y = tmp;
    }
  g_free (y);
  /* back to the counts scale, with each cell's own library size */
  for (int64_t i = 0; i < n; i++)
    {
      float f = (float) (lib[i] / 1e4);
      float *xr = x + (gsize) i * g;
      for (int64_t j = 0; j < g; j++)
        xr[j] = expm1f (xr[j]) * f;
    }
  return x;
}

int32_t *
gm_cell_neighbours (const GmCsr  *counts,
                    int           k,
                    int           n_pcs,
                    int           n_hvg,
                    guint64       seed,
                    const gint   *cancel,
                    float       **dist_out,
                    GError      **error)
{
  GmBaselineParams p;
  g_autofree float *scores = NULL, *dist = NULL;
  g_autofree int32_t *idx = NULL;
  int n_comp = 0;

  if (k < 1 || counts->n_rows <= k)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE,
                   "%" G_GINT64_FORMAT " cells are too few for %d neighbours each", counts->n_rows, k);
      return NULL;
    }
  gm_baseline_params_init (&p, GM_BASELINE_KNN);
  p.n_pcs = MAX (n_pcs, 1);
  p.n_hvg = MAX (n_hvg, 1);
  p.seed = seed;
  scores = pca_scores (counts, &p, &n_comp, error);
  if (scores == NULL)
    return NULL;
  idx = g_new (int32_t, (gsize) counts->n_rows * k);
  dist = g_new (float, (gsize) counts->n_rows * k);
  if (cancelled (cancel) || !knn_exact (scores, counts->n_rows, MAX (n_comp, 1), k, idx, dist, cancel))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_CANCELLED, "cancelled");
      return NULL;
    }
  if (dist_out != NULL)
    *dist_out = g_steal_pointer (&dist);
  return g_steal_pointer (&idx);
}

float *
gm_impute_baseline (const GmCsr             *counts,
                    const GmBaselineParams  *p,
                    GError                 **error)
{
  const int64_t n = counts->n_rows, g = counts->n_cols;
  g_autofree float *scores = NULL, *dist = NULL;
  g_autofree int32_t *idx = NULL;
  float *out;
  int n_comp = 0, k_search;
  guint64 need;

  if (p->k < 1 || (p->method == GM_BASELINE_KNN && p->k < 2) || p->n_pcs < 1 || p->t < 0
      || !(p->decay > 0.0))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE,
                   "bad parameters for the %s baseline (k %d, PCs %d, t %d, decay %g)",
                   p->method == GM_BASELINE_MAGIC ? "MAGIC" : "kNN", p->k, p->n_pcs, p->t, p->decay);
      return NULL;
    }
  k_search = p->method == GM_BASELINE_KNN ? p->k - 1 : p->k;
  if (n <= k_search)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE,
                   "%" G_GINT64_FORMAT " cells are too few for k = %d", n, p->k);
      return NULL;
    }
  need = (guint64) n * g * sizeof (float) * (p->method == GM_BASELINE_MAGIC ? 2 : 1);
  if (!gm_memory_check ("imputation", need, "the dense imputed matrix", error))
    return NULL;
  if (cancelled (p->cancel))
    goto cancel;
  scores = pca_scores (counts, p, &n_comp, error);
  if (scores == NULL)
    return NULL;
  idx = g_new (int32_t, (gsize) n * k_search);
  dist = g_new (float, (gsize) n * k_search);
  if (cancelled (p->cancel) || !knn_exact (scores, n, MAX (n_comp, 1), k_search, idx, dist, p->cancel))
    goto cancel;
  out = p->method == GM_BASELINE_KNN ? knn_smooth (counts, p, idx) : magic (counts, p, idx, dist);
  if (out != NULL)
    return out;
cancel:
  g_set_error (error, GM_ERROR, GM_ERROR_CANCELLED, "imputation cancelled");
  return NULL;
}

void
gm_baseline_annotate (GmDataset              *ds,
                      const GmBaselineParams *p)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  struct { const char *key; char *value; } kv[] = {
    { "genomap_impute_method", g_strdup (p->method == GM_BASELINE_MAGIC ? "magic" : "knn") },
    { "genomap_impute_k", g_strdup_printf ("%d", p->k) },
    { "genomap_impute_pcs", g_strdup_printf ("%d", p->n_pcs) },
    { "genomap_impute_seed", g_strdup_printf ("%" G_GUINT64_FORMAT, p->seed) },
    { "genomap_impute_t", p->method == GM_BASELINE_MAGIC ? g_strdup_printf ("%d", p->t) : NULL },
    { "genomap_impute_decay",
      p->method == GM_BASELINE_MAGIC ? g_strdup (g_ascii_formatd (buf, sizeof buf, "%g", p->decay)) : NULL },
    { "genomap_impute_scale", g_strdup ("counts") },
    { "genomap_version", g_strdup (PACKAGE_VERSION) },
  };

  for (guint i = 0; i < G_N_ELEMENTS (kv); i++)
    if (kv[i].value != NULL)
      g_hash_table_insert (ds->uns, g_strdup (kv[i].key), kv[i].value);
}
