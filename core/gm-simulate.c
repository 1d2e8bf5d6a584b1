/* gm-simulate.c — SAVER-style observations, a Splatter-style reference, hold-out masks
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "gm-random.h"
#include "gm-simulate.h"

/* Random streams: 0 for the global parameters, 1 + c for cell c. */
#define STREAM_GLOBAL 0

static char **
copy_strv_n (char * const *v,
             int64_t       n)
{
  char **out;

  if (v == NULL)
    return NULL;
  out = g_new0 (char *, MAX (n, 1));
  for (int64_t i = 0; i < n; i++)
    out[i] = g_strdup (v[i]);
  return out;
}

static GmColumn *
column_copy (const GmColumn *src)
{
  GmColumn *col = gm_column_new (src->name, src->kind, src->length);
  int64_t n = src->length;

  col->ordered = src->ordered;
  col->is_integer = src->is_integer;
  switch (src->kind)
    {
    case GM_COLUMN_CATEGORICAL:
      col->n_categories = src->n_categories;
      col->categories = copy_strv_n (src->categories, src->n_categories);
      if (n > 0)
        memcpy (col->codes, src->codes, n * sizeof (int32_t));
      break;
    case GM_COLUMN_NUMERIC:
    case GM_COLUMN_BOOLEAN:
      if (n > 0)
        memcpy (col->values, src->values, n * sizeof (double));
      break;
    case GM_COLUMN_STRING:
      for (int64_t i = 0; i < n; i++)
        col->strings[i] = g_strdup (src->strings[i]);
      break;
    default:
      g_assert_not_reached ();
    }
  return col;
}

void
gm_dataset_copy_annotations (const GmDataset *src,
                             GmDataset       *dst)
{
  GHashTableIter iter;
  gpointer key, value;

  dst->cell_names = copy_strv_n (src->cell_names, src->X.n_rows);
  dst->gene_names = copy_strv_n (src->gene_names, src->X.n_cols);
  dst->gene_ids = copy_strv_n (src->gene_ids, src->X.n_cols);
  for (guint i = 0; i < src->obs->len; i++)
    g_ptr_array_add (dst->obs, column_copy (g_ptr_array_index (src->obs, i)));
  for (guint i = 0; i < src->var->len; i++)
    g_ptr_array_add (dst->var, column_copy (g_ptr_array_index (src->var, i)));
  g_hash_table_iter_init (&iter, src->uns);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (dst->uns, g_strdup (key), g_strdup (value));
}

GmDataset *
gm_dataset_new_with_dense_x (const GmDataset *src,
                             const float     *values,
                             GError         **error)
{
  g_autoptr(GmDataset) ds = NULL;
  int64_t n = src->X.n_rows, g = src->X.n_cols, nnz = 0, out = 0;

  g_return_val_if_fail (values != NULL || n * g == 0, NULL);
  for (int64_t i = 0; i < n * g; i++)
    {
      if (!isfinite (values[i]))
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: value %g at cell %" G_GINT64_FORMAT ", gene %" G_GINT64_FORMAT " is not a number",
                       src->path != NULL ? src->path : "dataset", values[i], i / g, i % g);
          return NULL;
        }
      nnz += values[i] != 0.0f;
    }
  if (!gm_memory_check (src->path != NULL ? src->path : "dataset",
                        (guint64) nnz * (sizeof (int32_t) + sizeof (float)) + (guint64) (n + 1) * sizeof (int64_t),
                        "the imputed matrix", error))
    return NULL;
  ds = gm_dataset_new ();
  ds->X.n_rows = n;
  ds->X.n_cols = g;
  ds->X.indptr = g_new0 (int64_t, n + 1);
  ds->X.indices = gm_alloc_large (MAX (nnz, 1) * sizeof (int32_t));
  ds->X.data = gm_alloc_large (MAX (nnz, 1) * sizeof (float));
  if (ds->X.indices == NULL || ds->X.data == NULL)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_TOO_LARGE, "%s: out of memory for the imputed matrix",
                   src->path != NULL ? src->path : "dataset");
      return NULL;
    }
  for (int64_t c = 0; c < n; c++)
    {
      const float *row = values + c * g;

      for (int64_t j = 0; j < g; j++)
        if (row[j] != 0.0f)
          {
            ds->X.indices[out] = (int32_t) j;
            ds->X.data[out] = row[j];
            out++;
          }
      ds->X.indptr[c + 1] = out;
    }
  gm_dataset_copy_annotations (src, ds);
  ds->format = src->format;
  return g_steal_pointer (&ds);
}

static void
replace_obs (GmDataset *ds,
             GmColumn  *col)
{
  for (guint i = 0; i < ds->obs->len; i++)
    {
      GmColumn *c = g_ptr_array_index (ds->obs, i);
      if (strcmp (c->name, col->name) == 0)
        {
          g_ptr_array_remove_index (ds->obs, i);
          break;
        }
    }
  g_ptr_array_add (ds->obs, col);
}

/* Growable CSR arrays. */
typedef struct
{
  GArray *indices;
  GArray *data;
} CsrBuilder;

static void
builder_init (CsrBuilder *b)
{
  b->indices = g_array_new (FALSE, FALSE, sizeof (int32_t));
  b->data = g_array_new (FALSE, FALSE, sizeof (float));
}

static void
builder_push (CsrBuilder *b,
              int32_t     j,
              float       v)
{
  g_array_append_val (b->indices, j);
  g_array_append_val (b->data, v);
}

static void
builder_finish (CsrBuilder *b,
                GmCsr      *m)
{
  m->indices = (int32_t *) g_array_free (b->indices, FALSE);
  m->data = (float *) g_array_free (b->data, FALSE);
}

/* --------------------------------------------------------- efficiency */

GmDataset *
gm_simulate_efficiency (const GmDataset  *ref,
                        double            shape,
                        double            rate,
                        guint64           seed,
                        GError          **error)
{
  g_autoptr(GmDataset) ds = NULL;
  const GmCsr *x = &ref->X;
  GmColumn *eff;
  CsrBuilder b;

  if (!(shape > 0.0) || !(rate > 0.0) || !isfinite (shape) || !isfinite (rate))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE,
                   "the efficiency Gamma needs a positive shape and rate (got %g, %g)", shape, rate);
      return NULL;
    }
  ds = gm_dataset_new ();
  ds->X.n_rows = x->n_rows;
  ds->X.n_cols = x->n_cols;
  ds->X.indptr = g_new0 (int64_t, x->n_rows + 1);
  eff = gm_column_new ("efficiency", GM_COLUMN_NUMERIC, x->n_rows);
  builder_init (&b);
  for (int64_t c = 0; c < x->n_rows; c++)
    {
      GmRng rng;
      double tau;

      gm_rng_init_stream (&rng, seed, 1 + (uint64_t) c);
      tau = gm_rng_gamma (&rng, shape, rate);
      eff->values[c] = tau;
      for (int64_t p = x->indptr[c]; p < x->indptr[c + 1]; p++)
        {
          uint64_t y = gm_rng_poisson (&rng, tau * MAX (x->data[p], 0.0f));
          if (y > 0)
            builder_push (&b, x->indices[p], (float) y);
        }
      ds->X.indptr[c + 1] = b.indices->len;
    }
  builder_finish (&b, &ds->X);
  gm_dataset_copy_annotations (ref, ds);
  replace_obs (ds, eff);
  return g_steal_pointer (&ds);
}

/* -------------------------------------------------------------- splat */

void
gm_splat_params_init (GmSplatParams *p)
{
  memset (p, 0, sizeof *p);
  p->n_cells = 1000;
  p->n_genes = 2000;
  p->n_groups = 4;
  p->lib_loc = 11.0;
  p->lib_scale = 0.2;
  p->mean_shape = 0.6;
  p->mean_rate = 0.3;
  p->out_prob = 0.05;
  p->out_loc = 4.0;
  p->out_scale = 0.5;
  p->de_prob = 0.1;
  p->de_down_prob = 0.5;
  p->de_loc = 0.3;
  p->de_scale = 0.5;
  p->n_modules = 0;
  p->module_frac = 0.8;
  p->module_group_sd = 0.5;
  p->module_cell_sd = 0.4;
  p->bcv_common = 0.1;
  p->bcv_df = 60.0;
  p->dropout = FALSE;
  p->dropout_mid = 0.0;
  p->dropout_shape = -1.0;
}

static int
cmp_double (const void *a,
            const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

GmDataset *
gm_simulate_splat (const GmSplatParams  *p,
                   GError              **error)
{
  g_autoptr(GmDataset) ds = NULL;
  const int n = p->n_cells, g = p->n_genes, k = p->n_groups;
  const int n_mod = p->n_modules > 0 ? p->n_modules : MAX (2, g / 50);
  g_autofree double *base = NULL, *sorted = NULL, *de = NULL, *chi = NULL;
  g_autofree double *loading = NULL, *mod_mean = NULL, *m = NULL, *act = NULL;
  g_autofree int32_t *module = NULL;
  g_autofree char **labels = NULL;
  g_autofree char **group_names = NULL;
  GmRng rng;
  CsrBuilder b;
  double median;

  if (n < 1 || g < 1 || k < 1 || k > n)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE,
                   "splat needs at least one cell and one gene, and 1 to %d groups (got %d cells, %d genes, %d groups)",
                   MAX (n, 1), n, g, k);
      return NULL;
    }
  if (!gm_memory_check ("splat simulation", (guint64) n * g * 2 + (guint64) g * (k + 8) * 8, "the simulated matrix", error))
    return NULL;

  gm_rng_init_stream (&rng, p->seed, STREAM_GLOBAL);
  base = g_new (double, g);
  sorted = g_new (double, g);
  for (int j = 0; j < g; j++)
    base[j] = sorted[j] = gm_rng_gamma (&rng, p->mean_shape, p->mean_rate);
  qsort (sorted, g, sizeof (double), cmp_double);
  median = sorted[g / 2];
  for (int j = 0; j < g; j++)
    if (gm_rng_uniform (&rng) < p->out_prob)
      base[j] = median * gm_rng_lognormal (&rng, p->out_loc, p->out_scale);

  de = g_new (double, (gsize) k * g);
  for (int gr = 0; gr < k; gr++)
    for (int j = 0; j < g; j++)
      {
        double f = 1.0;
        if (gm_rng_uniform (&rng) < p->de_prob)
          {
            f = gm_rng_lognormal (&rng, p->de_loc, p->de_scale);
            if (gm_rng_uniform (&rng) < p->de_down_prob)
              f = 1.0 / f;
          }
        de[(gsize) gr * g + j] = f;
      }

  module = g_new (int32_t, g);
  loading = g_new (double, g);
  for (int j = 0; j < g; j++)
    {
      module[j] = -1;
      loading[j] = 0.0;
      if (gm_rng_uniform (&rng) < p->module_frac)
        {
          module[j] = (int32_t) gm_rng_below (&rng, n_mod);
          loading[j] = 0.5 + gm_rng_uniform (&rng);
        }
    }
  mod_mean = g_new (double, (gsize) k * n_mod);
  for (int i = 0; i < k * n_mod; i++)
    mod_mean[i] = p->module_group_sd * gm_rng_normal (&rng);

  /* Splatter: BCV_cg = (common + 1/sqrt(mu_cg)) · sqrt(df / chi²_df), chi² drawn per gene */
  chi = g_new (double, g);
  for (int j = 0; j < g; j++)
    chi[j] = gm_rng_gamma (&rng, p->bcv_df / 2.0, 0.5);

  ds = gm_dataset_new ();
  ds->X.n_rows = n;
  ds->X.n_cols = g;
  ds->X.indptr = g_new0 (int64_t, n + 1);
  ds->cell_names = g_new0 (char *, n);
  ds->gene_names = g_new0 (char *, g);
  for (int j = 0; j < g; j++)
    ds->gene_names[j] = g_strdup_printf ("Gene%d", j + 1);
  group_names = g_new0 (char *, k + 1);
  for (int gr = 0; gr < k; gr++)
    group_names[gr] = g_strdup_printf ("Group%d", gr + 1);
  labels = g_new0 (char *, n);

  m = g_new (double, g);
  act = g_new (double, n_mod);
  builder_init (&b);
  for (int c = 0; c < n; c++)
    {
      GmRng cr;
      int gr;
      double lib, total = 0.0;

      gm_rng_init_stream (&cr, p->seed, 1 + (uint64_t) c);
      gr = (int) gm_rng_below (&cr, k);
      labels[c] = group_names[gr];
      ds->cell_names[c] = g_strdup_printf ("Cell%d", c + 1);
      lib = gm_rng_lognormal (&cr, p->lib_loc, p->lib_scale);
      for (int mo = 0; mo < n_mod; mo++)
        act[mo] = mod_mean[(gsize) gr * n_mod + mo] + p->module_cell_sd * gm_rng_normal (&cr);
      for (int j = 0; j < g; j++)
        {
          double v = base[j] * de[(gsize) gr * g + j];
          if (module[j] >= 0)
            v *= exp (loading[j] * act[module[j]]);
          m[j] = v;
          total += v;
        }
      for (int j = 0; j < g; j++)
        {
          double mu = total > 0.0 ? lib * m[j] / total : 0.0;
          double bcv, y;

          if (!(mu > 0.0))
            continue;
          bcv = (p->bcv_common + 1.0 / sqrt (mu)) * sqrt (p->bcv_df / chi[j]);
          y = (double) gm_rng_negbin (&cr, mu, bcv * bcv);
          if (p->dropout && y > 0.0)
            {
              double pd = 1.0 / (1.0 + exp (-p->dropout_shape * (log (mu) - p->dropout_mid)));
              if (gm_rng_uniform (&cr) < pd)
                y = 0.0;
            }
          if (y > 0.0)
            builder_push (&b, j, (float) y);
        }
      ds->X.indptr[c + 1] = b.indices->len;
    }
  builder_finish (&b, &ds->X);
  {
    /* categories in their natural order Group1 … GroupK (not in order of
     * first appearance), so legends and panels come out sorted */
    GmColumn *col = gm_column_new ("group", GM_COLUMN_CATEGORICAL, n);

    for (int c = 0; c < n; c++)
      for (int gr = 0; gr < k; gr++)
        if (labels[c] == group_names[gr])
          col->codes[c] = gr;
    col->n_categories = k;
    col->categories = group_names;   /* taken */
    group_names = NULL;
    g_ptr_array_add (ds->obs, col);
  }
  return g_steal_pointer (&ds);
}

/* ------------------------------------------------------------ hold-out */

GmDataset *
gm_simulate_holdout (const GmDataset  *obs,
                     double            fraction,
                     guint64           seed,
                     int64_t          *n_hidden,
                     GError          **error)
{
  g_autoptr(GmDataset) ds = NULL;
  const GmCsr *x = &obs->X;
  int64_t nnz = gm_dataset_nnz (obs), hide, out = 0;
  g_autofree int64_t *perm = NULL;
  g_autofree guint8 *hidden = NULL;
  GmRng rng;

  if (!(fraction > 0.0) || !(fraction < 1.0))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE,
                   "the hold-out fraction must be between 0 and 1, exclusive (got %g)", fraction);
      return NULL;
    }
  hide = (int64_t) llround (fraction * (double) nnz);
  perm = g_new (int64_t, MAX (nnz, 1));
  hidden = g_new0 (guint8, MAX (nnz, 1));
  for (int64_t i = 0; i < nnz; i++)
    perm[i] = i;
  gm_rng_init_stream (&rng, seed, STREAM_GLOBAL);
  /* partial Fisher–Yates: the first @hide entries of perm are a uniform sample */
  for (int64_t i = 0; i < hide; i++)
    {
      int64_t j = i + (int64_t) gm_rng_below (&rng, (uint64_t) (nnz - i));
      int64_t t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
      hidden[perm[i]] = 1;
    }

  ds = gm_dataset_new ();
  ds->X.n_rows = x->n_rows;
  ds->X.n_cols = x->n_cols;
  ds->X.indptr = g_new0 (int64_t, x->n_rows + 1);
  ds->X.indices = g_new (int32_t, MAX (nnz - hide, 1));
  ds->X.data = g_new (float, MAX (nnz - hide, 1));
  for (int64_t c = 0; c < x->n_rows; c++)
    {
      for (int64_t p = x->indptr[c]; p < x->indptr[c + 1]; p++)
        if (!hidden[p])
          {
            ds->X.indices[out] = x->indices[p];
            ds->X.data[out] = x->data[p];
            out++;
          }
      ds->X.indptr[c + 1] = out;
    }
  gm_dataset_copy_annotations (obs, ds);
  if (n_hidden)
    *n_hidden = hide;
  return g_steal_pointer (&ds);
}
