/* gm-impute.c — ER-Net imputation through a GenoMap layout (see gm-impute.h)
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gm-baselines.h"
#include "gm-impute.h"
#include "gm-nn-device.h"
#include "gm-random.h"

#define PLACEHOLDER 0.999f
#define CKPT_MAGIC "GMERNET1"
#define CKPT_FORMAT 3     /* 1: no gene head; 2: gene head on the bottleneck (both read
                           * when they have no head) */

struct _GmErnetModel
{
  GmNnBackend *backend;
  gboolean     owns_backend;   /* FALSE when borrowed from the options */
  GmErnet     *net;
  GmLayout    *layout;
  double       scale;
  int          steps;
  int          target_k;       /* cells in the neighbours target; 0 for self */
  int64_t      train_cells;    /* cells training drew from */
};

void
gm_ernet_impute_options_init (GmErnetImputeOptions *opts)
{
  memset (opts, 0, sizeof *opts);
  opts->preset = GM_ERNET_COMPACT;
  opts->steps = 0;
  opts->batch = 64;
  opts->value_max = 0.5;
  opts->infer_batch = 64;
  gm_ernet_impute_options_set_recipe (opts, GM_ERNET_RECIPE_NEIGHBOURS);
}

void
gm_ernet_impute_options_set_recipe (GmErnetImputeOptions *opts,
                                    GmErnetRecipe         recipe)
{
  if (recipe == GM_ERNET_RECIPE_TCER)
    {
      opts->target = GM_ERNET_TARGET_SELF;
      opts->target_k = 0;
      opts->gene_head = 0;
      opts->loss = GM_ERNET_LOSS_PAPER;
      opts->lr = 2e-4;
    }
  else
    {
      opts->target = GM_ERNET_TARGET_NEIGHBOURS;
      opts->target_k = 0;
      opts->gene_head = 16;
      opts->loss = GM_ERNET_LOSS_MSE;
      opts->lr = 1e-3;
    }
}

const char *
gm_ernet_recipe_name (GmErnetRecipe recipe)
{
  return recipe == GM_ERNET_RECIPE_TCER ? "tcer" : "neighbours";
}

void
gm_ernet_model_free (GmErnetModel *model)
{
  if (model == NULL)
    return;
  gm_ernet_free (model->net);
  if (model->owns_backend)
    gm_nn_backend_free (model->backend);
  gm_layout_free (model->layout);
  g_free (model);
}

GmErnet *
gm_ernet_model_net (GmErnetModel *model)
{
  return model->net;
}

const GmLayout *
gm_ernet_model_layout (GmErnetModel *model)
{
  return model->layout;
}

double
gm_ernet_model_scale (GmErnetModel *model)
{
  return model->scale;
}

int
gm_ernet_model_steps (GmErnetModel *model)
{
  return model->steps;
}

static GmLayout *
layout_copy (const GmLayout *l)
{
  GmLayout *c = g_new0 (GmLayout, 1);

  c->rows = l->rows;
  c->cols = l->cols;
  c->geometry = l->geometry;
  c->n_genes = l->n_genes;
  c->genes = g_new0 (char *, l->n_genes + 1);
  for (int i = 0; i < l->n_genes; i++)
    c->genes[i] = g_strdup (l->genes[i]);
  c->pixel = g_memdup2 (l->pixel, sizeof (int32_t) * MAX (l->n_genes, 1));
  c->energy = l->energy;
  c->selection = g_strdup (l->selection);
  c->seed = l->seed;
  c->version = g_strdup (l->version);
  c->seconds = l->seconds;
  return c;
}

/* The model runs on opts->backend (borrowed) or on a new backend for
 * opts->device (gm-nn-device.h; "cpu" when opts or the device is NULL). */
static GmErnetModel *
model_new (const GmErnetConfig        *cfg,
           const GmLayout             *layout,
           const GmErnetImputeOptions *opts,
           GError                    **error)
{
  GmErnetModel *m;
  GmNnBackend *be = opts != NULL ? opts->backend : NULL;
  g_autofree char *notice = NULL;

  if (be == NULL)
    {
      be = gm_nn_backend_open (opts != NULL && opts->device != NULL ? opts->device : "cpu", &notice, error);
      if (be == NULL)
        return NULL;
      if (notice != NULL)
        g_message ("ER-Net: %s", notice);
    }
  m = g_new0 (GmErnetModel, 1);
  m->backend = be;
  m->owns_backend = opts == NULL || opts->backend == NULL;
  m->net = gm_ernet_new (m->backend, cfg);
  m->layout = layout_copy (layout);
  return m;
}

static int
padded_size (const GmLayout *l)
{
  int s = MAX (MAX (l->rows, l->cols), 8);   /* the network needs ≥ 8 */

  return (s + 3) / 4 * 4;
}

/* ------------------------------------------------------------ values */

typedef struct
{
  int      T, rows, cols, off_r, off_c;
  int32_t *gene_pix;    /* per dataset gene: padded-map index or -1 */
  double  *lib;         /* per cell */
  double   inv_scale;
} Maps;

static void
maps_clear (Maps *m)
{
  g_free (m->gene_pix);
  g_free (m->lib);
}

static gboolean
maps_init (Maps            *m,
           const GmLayout  *layout,
           const GmDataset *ds,
           GError         **error)
{
  g_autofree int32_t *pix = NULL;
  int64_t n_genes = gm_dataset_n_genes (ds), n_cells = gm_dataset_n_cells (ds);

  memset (m, 0, sizeof *m);
  pix = gm_layout_gene_pixels (layout, ds, NULL, error);
  if (pix == NULL)
    return FALSE;
  m->T = padded_size (layout);
  m->rows = layout->rows;
  m->cols = layout->cols;
  m->off_r = (m->T - m->rows) / 2;
  m->off_c = (m->T - m->cols) / 2;
  m->gene_pix = g_new (int32_t, MAX (n_genes, 1));
  for (int64_t j = 0; j < n_genes; j++)
    {
      if (pix[j] < 0)
        {
          m->gene_pix[j] = -1;
          continue;
        }
      int r = pix[j] % layout->rows, c = pix[j] / layout->rows;
      m->gene_pix[j] = (r + m->off_r) * m->T + (c + m->off_c);
    }
  m->lib = g_new0 (double, MAX (n_cells, 1));
  for (int64_t i = 0; i < n_cells; i++)
    for (int64_t k = ds->X.indptr[i]; k < ds->X.indptr[i + 1]; k++)
      m->lib[i] += ds->X.data[k];
  return TRUE;
}

static inline double
to_log (double x,
        double lib)
{
  return lib > 0 ? log1p (x * 1e4 / lib) : 0.0;
}

static int
cmp_double (const void *a,
            const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
compute_scale (const Maps      *m,
               const GmDataset *ds)
{
  g_autoptr(GArray) vals = g_array_new (FALSE, FALSE, sizeof (double));
  double *v;
  gsize n;
  double pos, frac;
  gsize lo;

  for (int64_t i = 0; i < gm_dataset_n_cells (ds); i++)
    for (int64_t k = ds->X.indptr[i]; k < ds->X.indptr[i + 1]; k++)
      if (m->gene_pix[ds->X.indices[k]] >= 0 && ds->X.data[k] > 0)
        {
          double t = to_log (ds->X.data[k], m->lib[i]);
          g_array_append_val (vals, t);
        }
  if (vals->len == 0)
    return 1.0;
  v = (double *) (void *) vals->data;
  n = vals->len;
  qsort (v, n, sizeof (double), cmp_double);
  pos = 0.999 * (double) (n - 1);   /* linear interpolation, numpy's default */
  lo = (gsize) floor (pos);
  frac = pos - (double) lo;
  pos = lo + 1 < n ? v[lo] + frac * (v[lo + 1] - v[lo]) : v[lo];
  return pos > 0 ? pos : 1.0;
}

/* Writes cell i's T × T map of v = transformed / scale (0 where no gene or
 * no count) into map; returns the number of non-zero pixels. */
static int
fill_map (const Maps      *m,
          const GmDataset *ds,
          int64_t          i,
          float           *map)
{
  int nz = 0;

  memset (map, 0, sizeof (float) * m->T * m->T);
  for (int64_t k = ds->X.indptr[i]; k < ds->X.indptr[i + 1]; k++)
    {
      int32_t p = m->gene_pix[ds->X.indices[k]];
      if (p >= 0 && ds->X.data[k] > 0)
        {
          map[p] = (float) (to_log (ds->X.data[k], m->lib[i]) * m->inv_scale);
          nz += map[p] > 0;
        }
    }
  return nz;
}

/* Adds w · clamp (v, 0, 1) of cell i's non-zero pixels to map. */
static void
add_map (const Maps      *m,
         const GmDataset *ds,
         int64_t          i,
         float            w,
         float           *map)
{
  for (int64_t k = ds->X.indptr[i]; k < ds->X.indptr[i + 1]; k++)
    {
      int32_t p = m->gene_pix[ds->X.indices[k]];
      if (p >= 0 && ds->X.data[k] > 0)
        map[p] += w * (float) MIN (to_log (ds->X.data[k], m->lib[i]) * m->inv_scale, 1.0);
    }
}

/* The rows @rows (n of them) of @m, as a new CSR matrix. */
static void
csr_rows (const GmCsr   *m,
          const int64_t *rows,
          int64_t        n,
          GmCsr         *out)
{
  int64_t nnz = 0;

  for (int64_t i = 0; i < n; i++)
    nnz += m->indptr[rows[i] + 1] - m->indptr[rows[i]];
  out->n_rows = n;
  out->n_cols = m->n_cols;
  out->indptr = g_new (int64_t, n + 1);
  out->indices = g_new (int32_t, MAX (nnz, 1));
  out->data = g_new (float, MAX (nnz, 1));
  out->indptr[0] = 0;
  for (int64_t i = 0; i < n; i++)
    {
      int64_t a = m->indptr[rows[i]], len = m->indptr[rows[i] + 1] - a;

      memcpy (out->indices + out->indptr[i], m->indices + a, sizeof (int32_t) * len);
      memcpy (out->data + out->indptr[i], m->data + a, sizeof (float) * len);
      out->indptr[i + 1] = out->indptr[i] + len;
    }
}

static int
cmp_int64 (const void *a,
           const void *b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;

  return (x > y) - (x < y);
}

/* The neighbours target's cells: every cell, or a seeded random subset of
 * opts->neighbour_pool (ascending) when there are more; their K nearest
 * other cells among them (original indices, n_pool × K).  NULL with an
 * error. */
static int32_t *
target_neighbours (const GmDataset            *ds,
                   const GmErnetImputeOptions *opts,
                   int64_t                   **pool_out,
                   int64_t                    *n_pool_out,
                   int                        *k_out,
                   float                     **w_out,
                   GError                    **error)
{
  int64_t n_cells = gm_dataset_n_cells (ds);
  int64_t cap = opts->neighbour_pool > 0 ? opts->neighbour_pool : GM_ERNET_NEIGHBOUR_POOL;
  int64_t n_pool = MIN (n_cells, MAX (cap, 2));
  g_autofree int64_t *pool = g_new (int64_t, MAX (n_cells, 1));
  g_autoptr(GError) err = NULL;
  g_autofree float *dist = NULL;
  int32_t *nbr;
  int K;

  for (int64_t i = 0; i < n_cells; i++)
    pool[i] = i;
  if (n_pool < n_cells)
    {
      GmRng rng;

      gm_rng_init_stream (&rng, opts->seed, 3);
      for (int64_t i = 0; i < n_pool; i++)
        {
          int64_t j = i + (int64_t) gm_rng_below (&rng, (uint64_t) (n_cells - i)), t = pool[i];

          pool[i] = pool[j];
          pool[j] = t;
        }
      qsort (pool, n_pool, sizeof (int64_t), cmp_int64);
    }
  K = opts->target_k > 0 ? opts->target_k : (int) MIN ((int64_t) 30, n_pool - 1);
  if (K < 1)
    nbr = NULL;
  else if (n_pool == n_cells)
    nbr = gm_cell_neighbours (&ds->X, K, 10, 2000, opts->seed, opts->cancel, &dist, &err);
  else
    {
      GmCsr sub;

      csr_rows (&ds->X, pool, n_pool, &sub);
      nbr = gm_cell_neighbours (&sub, K, 10, 2000, opts->seed, opts->cancel, &dist, &err);
      gm_csr_clear (&sub);
      if (nbr != NULL)
        for (gsize i = 0; i < (gsize) n_pool * K; i++)
          nbr[i] = (int32_t) pool[nbr[i]];
    }
  if (nbr == NULL)
    {
      if (err == NULL || g_error_matches (err, GM_ERROR, GM_ERROR_USAGE))
        g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                     "%s: the neighbours target needs more cells than its %d neighbours (%" G_GINT64_FORMAT " cells)",
                     ds->path ? ds->path : "dataset", MAX (K, 1), n_pool);
      else
        g_propagate_error (error, g_steal_pointer (&err));   /* cancelled, or out of memory */
      return NULL;
    }
  /* weights: equal, or a Gaussian of the distance with the bandwidth of
   * the cell's target_sigma_k-th neighbour */
  for (int64_t i = 0; i < n_pool; i++)
    {
      float *d = dist + i * K;
      double sigma = opts->target_sigma_k > 0 ? d[MIN (opts->target_sigma_k, K) - 1] : 0, tot = 0;

      for (int h = 0; h < K; h++)
        tot += d[h] = sigma > 0 ? (float) exp (-(d[h] / sigma) * (d[h] / sigma)) : 1.f;
      for (int h = 0; h < K; h++)
        d[h] = (float) (d[h] / tot);
    }
  *pool_out = g_steal_pointer (&pool);
  *n_pool_out = n_pool;
  *k_out = K;
  *w_out = g_steal_pointer (&dist);
  return nbr;
}

static gboolean
is_inside (const Maps *m,
           int         p)
{
  int r = p / m->T - m->off_r, c = p % m->T - m->off_c;

  return r >= 0 && r < m->rows && c >= 0 && c < m->cols;
}

static gboolean
cancelled (const gint *cancel,
           GError    **error)
{
  if (cancel != NULL && g_atomic_int_get (cancel))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_CANCELLED, "cancelled");
      return TRUE;
    }
  return FALSE;
}

static GmErnetConfig
config_for (const GmErnetImputeOptions *opts,
            int                         T)
{
  GmErnetConfig c = gm_ernet_config (opts->preset, opts->ngf);

  if (opts->gene_head > 0)
    {
      c.gene_head = opts->gene_head;
      c.head_h = c.head_w = T;
    }
  return c;
}

/* ----------------------------------------------------------- training */

/* One step with the MSE loss computed on the host: forward (train mode),
 * L = mean (o − y)², dL/do = 2 (o − y) / N, backward, Adam.  o is scratch
 * of n·T·T floats; on return it holds dL/do. */
static double
train_step_mse (GmErnet     *net,
                int          n,
                int          T,
                const float *x,
                const float *y,
                const guint8 *sel,
                float       *o,
                float        lr)
{
  gsize tot = (gsize) n * T * T, cnt = 0;
  double loss = 0;
  float g;

  gm_ernet_forward (net, TRUE, n, T, T, x, o);
  for (gsize i = 0; i < tot; i++)
    cnt += sel == NULL || sel[i];
  g = 2.f / (float) MAX (cnt, 1);
  for (gsize i = 0; i < tot; i++)
    {
      float e = o[i] - y[i];

      if (sel != NULL && !sel[i])
        {
          o[i] = 0.f;
          continue;
        }
      loss += (double) e * e;
      o[i] = g * e;
    }
  gm_ernet_backward (net, o);
  gm_ernet_adam_step (net, lr);
  return loss / (double) MAX (cnt, 1);
}

int
gm_ernet_recipe_steps (GmErnetPreset preset)
{
  return preset == GM_ERNET_PAPER ? 2500 : 1000;
}

/* ------------------------------------------------------ device memory */

/* What a batch needs on the model's backend beyond gm_ernet_memory_bytes:
 * the backend's workspaces (im2col and deformable columns, cuDNN's), taken
 * as a quarter more plus 256 MiB. */
static guint64
batch_bytes (GmErnet *net,
             int      n,
             int      T)
{
  return gm_ernet_memory_bytes (net, n, T, T) / 4 * 5 + (256u << 20);
}

/* The largest batch ≤ want whose memory fits in free_bytes (0 if none). */
static int
largest_batch (GmErnet *net,
               int      want,
               int      T,
               guint64  free_bytes)
{
  guint64 one = batch_bytes (net, 1, T), per = batch_bytes (net, 2, T) - one;
  guint64 n;

  if (one > free_bytes)
    return 0;
  n = 1 + (free_bytes - one) / MAX (per, 1);
  return (int) MIN (n, (guint64) want);
}

/* The free and total memory of a backend with memory of its own (a GPU);
 * FALSE where there is none or the driver does not say. */
static gboolean
device_memory (GmErnetModel *model,
               guint64      *free_b,
               guint64      *total_b)
{
  GmNnBackend *be = model->backend;

  return be->mem_info != NULL && be->mem_info (be->ctx, free_b, total_b);
}

/* Checks a GPU before training: batch B must fit, or the error names the
 * batch that would. */
static gboolean
check_device_memory (GmErnetModel *model,
                     const char   *path,
                     int           B,
                     int           T,
                     GError      **error)
{
  guint64 free_b = 0, total_b = 0, need;
  int fit;

  if (!device_memory (model, &free_b, &total_b))
    return TRUE;
  need = batch_bytes (model->net, B, T);
  if (need <= free_b)
    return TRUE;
  fit = largest_batch (model->net, B, T, free_b);
  {
    g_autofree char *n = gm_format_bytes (need), *f = gm_format_bytes (free_b), *t = gm_format_bytes (total_b);

    if (fit > 0)
      g_set_error (error, GM_ERROR, GM_ERROR_TOO_LARGE,
                   "%s: ER-Net training at batch %d on %d × %d maps needs about %s of memory on %s, "
                   "which has %s free of %s; batch %d would fit (--batch %d)",
                   path, B, T, T, n, model->backend->name, f, t, fit, fit);
    else
      g_set_error (error, GM_ERROR, GM_ERROR_TOO_LARGE,
                   "%s: ER-Net does not fit on %s even at batch 1 (%s free of %s); use --device cpu",
                   path, model->backend->name, f, t);
  }
  return FALSE;
}

/* The inference batch: B, or on a GPU where B does not fit the largest that
 * does (each cell's result does not depend on the batch); 0 with an error
 * when not even one map fits. */
static int
fit_inference_batch (GmErnetModel *model,
                     const char   *path,
                     int           B,
                     int           T,
                     GError      **error)
{
  guint64 free_b = 0, total_b = 0;
  int fit;

  if (!device_memory (model, &free_b, &total_b) || batch_bytes (model->net, B, T) <= free_b)
    return B;
  fit = largest_batch (model->net, B, T, free_b);
  if (fit < 1)
    {
      g_autofree char *f = gm_format_bytes (free_b);

      g_set_error (error, GM_ERROR, GM_ERROR_TOO_LARGE,
                   "%s: ER-Net inference does not fit on %s even one cell at a time (%s free); "
                   "use --device cpu", path, model->backend->name, f);
      return 0;
    }
  g_message ("ER-Net inference: batch %d does not fit on %s, using %d", B, model->backend->name, fit);
  return fit;
}

GmErnetModel *
gm_ernet_model_train (const GmDataset            *ds,
                      const GmLayout             *layout,
                      const GmErnetImputeOptions *opts,
                      GError                    **error)
{
  g_autoptr(GmErnetModel) model = NULL;
  GmErnetConfig cfg;
  Maps m;
  GmRng rng;
  int64_t n_cells = gm_dataset_n_cells (ds);
  int B, T, P, steps, lr_steps;
  g_autofree int64_t *perm = NULL;
  g_autofree int *cand = NULL;
  g_autofree float *x = NULL, *y = NULL, *o = NULL;
  g_autofree guint8 *sel = NULL;
  g_autofree int32_t *nbr = NULL;
  g_autofree int64_t *pool = NULL;
  g_autofree float *nbr_w = NULL;
  int64_t n_draw = n_cells;
  int K = 0;
  gint64 t0;
  gboolean ok = TRUE;

  if (opts->batch < 1 || !(opts->lr > 0) || !isfinite (opts->lr)
      || !(opts->value_max > 0 && opts->value_max <= 1) || opts->gene_head < 0 || opts->gene_head > 4096
      || (opts->target == GM_ERNET_TARGET_NEIGHBOURS && opts->target_k < 0))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE,
                   "ER-Net training needs batch ≥ 1, a positive learning rate, "
                   "a value range in (0, 1], a gene head of 0 to 4096 units "
                   "and a non-negative neighbour count");
      return NULL;
    }
  if (n_cells < 1)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: no cells to train on",
                   ds->path ? ds->path : "dataset");
      return NULL;
    }
  if (opts->target == GM_ERNET_TARGET_NEIGHBOURS)
    {
      nbr = target_neighbours (ds, opts, &pool, &n_draw, &K, &nbr_w, error);
      if (nbr == NULL)
        return NULL;
    }
  if (!maps_init (&m, layout, ds, error))
    return NULL;
  cfg = config_for (opts, m.T);
  model = model_new (&cfg, layout, opts, error);
  if (model == NULL)
    {
      maps_clear (&m);
      return NULL;
    }
  gm_ernet_init_random (model->net, opts->seed);
  model->target_k = nbr != NULL ? K : 0;
  model->train_cells = n_draw;
  model->scale = compute_scale (&m, ds) / opts->value_max;
  m.inv_scale = 1.0 / model->scale;

  B = (int) MIN ((int64_t) opts->batch, n_draw);
  T = m.T;
  P = T * T;
  if (!check_device_memory (model, ds->path ? ds->path : "dataset", B, T, error))
    {
      maps_clear (&m);
      return NULL;
    }
  steps = opts->steps > 0 ? opts->steps : gm_ernet_recipe_steps (opts->preset);
  lr_steps = (int) ((gint64) steps * 4 / 5);
  /* positions in the cells training draws from (pool[] with the
   * neighbours target, every cell otherwise) */
  perm = g_new (int64_t, n_draw);
  for (int64_t i = 0; i < n_draw; i++)
    perm[i] = i;
  cand = g_new (int, P);
  x = g_new (float, (gsize) B * P);
  y = g_new (float, (gsize) B * P);
  if (opts->loss != GM_ERNET_LOSS_PAPER)
    o = g_new (float, (gsize) B * P);
  if (opts->loss == GM_ERNET_LOSS_HIDDEN_MSE)
    sel = g_new (guint8, (gsize) B * P);
  gm_rng_init_stream (&rng, opts->seed, 1);
  t0 = g_get_monotonic_time ();

  for (int step = 1; step <= steps; step++)
    {
      double loss;
      float lr = (float) (step <= lr_steps ? opts->lr : opts->lr / 2);

      if (cancelled (opts->cancel, error))
        {
          ok = FALSE;
          break;
        }
      for (int b = 0; b < B; b++)
        {
          /* partial Fisher–Yates: B distinct cells */
          int64_t j = b + (int64_t) gm_rng_below (&rng, (uint64_t) (n_draw - b));
          int64_t t = perm[b], cell;
          float *xb = x + (gsize) b * P, *yb = y + (gsize) b * P;
          int n_cand = 0, n_drop;
          double rho;

          perm[b] = perm[j];
          perm[j] = t;
          cell = pool != NULL ? pool[perm[b]] : perm[b];
          fill_map (&m, ds, cell, yb);
          for (int p = 0; p < P; p++)
            {
              yb[p] = CLAMP (yb[p], 0.f, 1.f);
              if (yb[p] > 0 && yb[p] != PLACEHOLDER)
                cand[n_cand++] = p;
              if (!is_inside (&m, p))
                xb[p] = PLACEHOLDER;
              else
                xb[p] = yb[p] > 0 ? yb[p] : PLACEHOLDER;
            }
          rho = 0.1 + 0.15 * gm_rng_uniform (&rng);
          n_drop = (int) floor (n_cand * rho);
          for (int d = 0; d < n_drop; d++)
            {
              int k = d + (int) gm_rng_below (&rng, (uint64_t) (n_cand - d));
              int tp = cand[d];

              cand[d] = cand[k];
              cand[k] = tp;
              xb[cand[d]] = PLACEHOLDER;
            }
          if (nbr != NULL)
            {
              memset (yb, 0, sizeof (float) * P);
              for (int h = 0; h < K; h++)
                add_map (&m, ds, nbr[perm[b] * K + h], nbr_w[perm[b] * K + h], yb);
            }
        }
      if (sel != NULL)
        for (gsize i = 0; i < (gsize) B * P; i++)
          sel[i] = x[i] == PLACEHOLDER && is_inside (&m, (int) (i % P));
      if (opts->loss != GM_ERNET_LOSS_PAPER)
        loss = train_step_mse (model->net, B, T, x, y, sel, o, lr);
      else
        loss = gm_ernet_train_step (model->net, B, T, T, x, y, lr);
      model->steps = step;
      if (!isfinite (loss))
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "ER-Net training diverged at step %d (loss %g); try a smaller learning rate", step, loss);
          ok = FALSE;
          break;
        }
      if (opts->progress != NULL)
        {
          double el = (g_get_monotonic_time () - t0) / 1e6;
          double eta = el / step * (steps - step);
          int e = (int) (eta + 0.5);
          g_autofree char *text = g_strdup_printf ("step %d/%d  loss %.5f  ETA %d:%02d:%02d", step, steps,
                                                   loss, e / 3600, e / 60 % 60, e % 60);

          opts->progress (step, steps, loss, eta, text, opts->progress_data);
        }
      if (opts->snapshot != NULL && opts->snapshot_every > 0 && step % opts->snapshot_every == 0)
        opts->snapshot (model, step, opts->snapshot_data);
    }
  maps_clear (&m);
  if (!ok)
    return NULL;
  return g_steal_pointer (&model);
}

/* ---------------------------------------------------------- inference */

/* GM_ERNET_INFER_MASKED (see gm-impute.h) over nb input maps x (observed
 * values, placeholders elsewhere; overwritten).  Cell c0 + b's observed
 * pixels are dealt round-robin, in an order drawn from its own seeded
 * stream, into `passes` groups, so the result does not depend on the batch
 * size.  fin receives the combined output. */
static void
masked_forward (GmErnet *net,
                int      nb,
                int      T,
                int      passes,
                guint64  seed,
                int64_t  c0,
                float   *x,
                float   *x0,
                float   *o,
                float   *fin,
                gint8   *grp,
                int     *cand)
{
  gsize P = (gsize) T * T, tot = (gsize) nb * P;

  memcpy (x0, x, tot * sizeof (float));
  for (int b = 0; b < nb; b++)
    {
      const float *xb = x0 + (gsize) b * P;
      gint8 *gb = grp + (gsize) b * P;
      GmRng rng;
      int n_cand = 0;

      gm_rng_init_stream (&rng, seed ^ G_GUINT64_CONSTANT (0x6d61736b6564), (guint64) (c0 + b) + 2);
      for (gsize p = 0; p < P; p++)
        {
          gb[p] = -1;
          if (xb[p] != PLACEHOLDER)
            cand[n_cand++] = (int) p;
        }
      for (int d = 0; d < n_cand; d++)
        {
          int k = d + (int) gm_rng_below (&rng, (uint64_t) (n_cand - d));
          int t = cand[d];

          cand[d] = cand[k];
          cand[k] = t;
          gb[cand[d]] = (gint8) (d % passes);
        }
    }
  memset (fin, 0, tot * sizeof (float));
  for (int k = 0; k < passes; k++)
    {
      for (gsize i = 0; i < tot; i++)
        x[i] = grp[i] == k ? PLACEHOLDER : x0[i];
      gm_ernet_forward (net, FALSE, nb, T, T, x, o);
      for (gsize i = 0; i < tot; i++)
        {
          if (grp[i] == k)
            fin[i] = o[i];
          else if (grp[i] < 0)
            fin[i] += o[i] / (float) passes;
        }
    }
}

float *
gm_ernet_model_apply (GmErnetModel               *model,
                      const GmDataset            *ds,
                      const GmErnetImputeOptions *opts,
                      gboolean                  **imputed,
                      GError                    **error)
{
  Maps m;
  int64_t n_cells = gm_dataset_n_cells (ds), n_genes = gm_dataset_n_genes (ds);
  int B = opts->infer_batch > 0 ? opts->infer_batch : 64;
  int T, P;
  g_autofree float *x = NULL, *o = NULL, *x0 = NULL, *fin = NULL;
  g_autofree gint8 *grp = NULL;
  g_autofree int *cand = NULL;
  int passes = opts->inference == GM_ERNET_INFER_MASKED ? GM_ERNET_MASKED_PASSES : 1;
  float *res;

  if (!maps_init (&m, model->layout, ds, error))
    return NULL;
  if (gm_memory_check_limit (0, ds->path, (guint64) n_cells * n_genes * sizeof (float),
                             "the imputed matrix", error) == FALSE)
    {
      maps_clear (&m);
      return NULL;
    }
  m.inv_scale = 1.0 / model->scale;
  T = m.T;
  P = T * T;
  B = (int) MIN ((int64_t) B, MAX (n_cells, 1));
  B = fit_inference_batch (model, ds->path ? ds->path : "dataset", B, T, error);
  if (B < 1)
    {
      maps_clear (&m);
      return NULL;
    }
  x = g_new (float, (gsize) B * P);
  o = g_new (float, (gsize) B * P);
  if (passes > 1)
    {
      x0 = g_new (float, (gsize) B * P);
      fin = g_new (float, (gsize) B * P);
      grp = g_new (gint8, (gsize) B * P);
      cand = g_new (int, P);
    }
  res = g_new0 (float, MAX ((gsize) n_cells * n_genes, 1));

  for (int64_t c0 = 0; c0 < n_cells; c0 += B)
    {
      int nb = (int) MIN ((int64_t) B, n_cells - c0);

      if (cancelled (opts->cancel, error))
        {
          g_free (res);
          maps_clear (&m);
          return NULL;
        }
      for (int b = 0; b < nb; b++)
        {
          float *xb = x + (gsize) b * P;

          fill_map (&m, ds, c0 + b, xb);
          for (int p = 0; p < P; p++)
            if (!(xb[p] > 0) || !is_inside (&m, p))
              xb[p] = PLACEHOLDER;
        }
      if (passes == 1)
        gm_ernet_forward (model->net, FALSE, nb, T, T, x, o);
      else
        masked_forward (model->net, nb, T, passes, opts->seed, c0, x, x0, o, fin, grp, cand);
      for (int b = 0; b < nb; b++)
        {
          int64_t i = c0 + b;
          float *row = res + (gsize) i * n_genes;
          const float *ob = (passes == 1 ? o : fin) + (gsize) b * P;

          for (int64_t j = 0; j < n_genes; j++)
            if (m.gene_pix[j] >= 0)
              {
                double v = MAX ((double) ob[m.gene_pix[j]], 0.0) * model->scale;
                row[j] = (float) (expm1 (v) * m.lib[i] / 1e4);
              }
          for (int64_t k = ds->X.indptr[i]; k < ds->X.indptr[i + 1]; k++)
            {
              int32_t j = ds->X.indices[k];
              if (m.gene_pix[j] < 0 || opts->keep_observed)
                row[j] = ds->X.data[k];
            }
        }
    }
  if (imputed != NULL)
    {
      *imputed = g_new (gboolean, MAX (n_genes, 1));
      for (int64_t j = 0; j < n_genes; j++)
        (*imputed)[j] = m.gene_pix[j] >= 0;
    }
  maps_clear (&m);
  return res;
}

float *
gm_ernet_impute (const GmDataset            *ds,
                 const GmLayout             *layout,
                 const GmErnetImputeOptions *opts,
                 GmErnetModel              **model_out,
                 gboolean                  **imputed,
                 GError                    **error)
{
  g_autoptr(GmErnetModel) model = gm_ernet_model_train (ds, layout, opts, error);
  float *res;

  if (model == NULL)
    return NULL;
  res = gm_ernet_model_apply (model, ds, opts, imputed, error);
  if (res != NULL && model_out != NULL)
    *model_out = g_steal_pointer (&model);
  return res;
}

const char *
gm_ernet_preset_name (GmErnetPreset preset)
{
  switch (preset)
    {
    case GM_ERNET_PAPER:   return "paper";
    case GM_ERNET_TINY:    return "tiny";
    case GM_ERNET_COMPACT: return "compact";
    default:               return "unknown";
    }
}

const char *
gm_ernet_loss_name (GmErnetLoss loss)
{
  switch (loss)
    {
    case GM_ERNET_LOSS_PAPER:      return "paper";
    case GM_ERNET_LOSS_MSE:        return "mse";
    case GM_ERNET_LOSS_HIDDEN_MSE: return "hidden-mse";
    default:                       return "unknown";
    }
}

const char *
gm_ernet_target_name (GmErnetTarget target)
{
  return target == GM_ERNET_TARGET_NEIGHBOURS ? "neighbours" : "self";
}

const char *
gm_ernet_inference_name (GmErnetInference inference)
{
  return inference == GM_ERNET_INFER_MASKED ? "masked" : "direct";
}

static void
set_uns (GmDataset  *ds,
         const char *key,
         char       *value)
{
  g_hash_table_insert (ds->uns, g_strdup (key), value);
}

void
gm_ernet_annotate (GmDataset                  *ds,
                   GmErnetModel               *model,
                   const GmErnetImputeOptions *opts,
                   const char                 *checkpoint)
{
  GmErnetConfig cfg = gm_ernet_get_config (model->net);
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  set_uns (ds, "genomap_impute_method", g_strdup ("ernet"));
  if (checkpoint != NULL)
    {
      set_uns (ds, "genomap_impute_model", g_strdup_printf ("checkpoint (ngf %d)", cfg.ngf));
      set_uns (ds, "genomap_impute_checkpoint", g_path_get_basename (checkpoint));
    }
  else
    {
      set_uns (ds, "genomap_impute_model",
               g_strdup_printf ("%s (ngf %d)", gm_ernet_preset_name (opts->preset), cfg.ngf));
      set_uns (ds, "genomap_impute_batch", g_strdup_printf ("%d", opts->batch));
      set_uns (ds, "genomap_impute_lr", g_strdup (g_ascii_formatd (buf, sizeof buf, "%.6g", opts->lr)));
      set_uns (ds, "genomap_impute_seed", g_strdup_printf ("%" G_GUINT64_FORMAT, opts->seed));
      set_uns (ds, "genomap_impute_loss", g_strdup (gm_ernet_loss_name (opts->loss)));
      set_uns (ds, "genomap_impute_gene_head", g_strdup_printf ("%d", opts->gene_head));
      set_uns (ds, "genomap_impute_value_max", g_strdup (g_ascii_formatd (buf, sizeof buf, "%.6g", opts->value_max)));
      set_uns (ds, "genomap_impute_target", g_strdup (gm_ernet_target_name (opts->target)));
      if (model->target_k > 0)
        set_uns (ds, "genomap_impute_target_k", g_strdup_printf ("%d", model->target_k));
      set_uns (ds, "genomap_impute_training_cells", g_strdup_printf ("%" G_GINT64_FORMAT, model->train_cells));
      if (model->target_k > 0)
        set_uns (ds, "genomap_impute_target_sigma_k", g_strdup_printf ("%d", MAX (opts->target_sigma_k, 0)));
    }
  set_uns (ds, "genomap_impute_steps", g_strdup_printf ("%d", model->steps));
  set_uns (ds, "genomap_impute_device", g_strdup (model->backend->name));
  set_uns (ds, "genomap_impute_value_scale", g_strdup (g_ascii_formatd (buf, sizeof buf, "%.17g", model->scale)));
  set_uns (ds, "genomap_impute_keep_observed", g_strdup (opts->keep_observed ? "yes" : "no"));
  set_uns (ds, "genomap_impute_inference", g_strdup (gm_ernet_inference_name (opts->inference)));
  set_uns (ds, "genomap_impute_scale", g_strdup ("counts"));
  set_uns (ds, "genomap_version", g_strdup (PACKAGE_VERSION));
}

void
gm_ernet_mark_imputed (GmDataset      *ds,
                       const gboolean *imputed)
{
  int64_t n = gm_dataset_n_genes (ds);
  GmColumn *col = gm_column_new ("genomap_imputed", GM_COLUMN_BOOLEAN, n);

  for (int64_t j = 0; j < n; j++)
    col->values[j] = imputed[j] ? 1.0 : 0.0;
  for (guint k = 0; k < ds->var->len; k++)
    {
      GmColumn *old = g_ptr_array_index (ds->var, k);
      if (strcmp (old->name, "genomap_imputed") == 0)
        {
          g_ptr_array_remove_index (ds->var, k);
          break;
        }
    }
  g_ptr_array_add (ds->var, col);
}

/* --------------------------------------------------------- checkpoint */

static void
put_u32 (GByteArray *b,
         guint32     v)
{
  guint32 le = GUINT32_TO_LE (v);

  g_byte_array_append (b, (const guint8 *) &le, 4);
}

static void
put_i32 (GByteArray *b,
         gint32      v)
{
  put_u32 (b, (guint32) v);
}

static void
put_f64 (GByteArray *b,
         double      v)
{
  guint64 u;

  memcpy (&u, &v, 8);
  u = GUINT64_TO_LE (u);
  g_byte_array_append (b, (const guint8 *) &u, 8);
}

static void
put_str (GByteArray *b,
         const char *s)
{
  gsize n = strlen (s);

  put_u32 (b, (guint32) n);
  g_byte_array_append (b, (const guint8 *) s, (guint) n);
}

static void
put_f32s (GByteArray  *b,
          const float *v,
          gsize        n)
{
  for (gsize i = 0; i < n; i++)
    {
      guint32 u;

      memcpy (&u, &v[i], 4);
      put_u32 (b, u);
    }
}

static void
put_tensor (GByteArray              *b,
            const GmErnetTensorInfo *info,
            const float             *base)
{
  put_str (b, info->name);
  put_i32 (b, info->ndim);
  for (int d = 0; d < info->ndim; d++)
    put_i32 (b, info->shape[d]);
  put_f32s (b, base + info->offset, info->numel);
}

gboolean
gm_ernet_checkpoint_save (GmErnetModel *model,
                          const char   *path,
                          GError      **error)
{
  g_autoptr(GByteArray) b = g_byte_array_new ();
  g_autofree float *hparams = NULL, *hbufs = NULL;
  GmErnetConfig cfg = gm_ernet_get_config (model->net);
  const GmLayout *l = model->layout;
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize dlen = sizeof digest;
  g_autoptr(GError) local = NULL;
  GmOutput out;

  g_byte_array_append (b, (const guint8 *) CKPT_MAGIC, 8);
  put_u32 (b, CKPT_FORMAT);
  put_str (b, PACKAGE_VERSION);
  put_i32 (b, cfg.ngf);
  put_i32 (b, cfg.dfa_reduction);
  put_i32 (b, cfg.cbam_reduction);
  put_i32 (b, cfg.gene_head);
  put_i32 (b, cfg.head_h);
  put_i32 (b, cfg.head_w);
  put_i32 (b, model->steps);
  put_f64 (b, model->scale);
  put_i32 (b, l->rows);
  put_i32 (b, l->cols);
  put_i32 (b, (gint32) l->geometry);
  put_i32 (b, l->n_genes);
  for (int i = 0; i < l->n_genes; i++)
    {
      put_str (b, l->genes[i]);
      put_i32 (b, l->pixel[i]);
    }
  /* host copies: the backend's memory may be a GPU's */
  hparams = g_new (float, MAX (gm_ernet_n_trainable (model->net), 1));
  hbufs = g_new (float, MAX (gm_ernet_n_buffer_floats (model->net), 1));
  gm_ernet_get_state (model->net, hparams, hbufs);
  put_i32 (b, gm_ernet_n_params (model->net));
  for (int i = 0; i < gm_ernet_n_params (model->net); i++)
    put_tensor (b, gm_ernet_param_info (model->net, i), hparams);
  put_i32 (b, gm_ernet_n_buffers (model->net));
  for (int i = 0; i < gm_ernet_n_buffers (model->net); i++)
    put_tensor (b, gm_ernet_buffer_info (model->net, i), hbufs);
  g_checksum_update (sum, b->data, b->len);
  g_checksum_get_digest (sum, digest, &dlen);
  g_byte_array_append (b, digest, 32);

  if (!gm_output_begin (&out, path, FALSE, error))
    return FALSE;
  if (!g_file_set_contents (out.tmp_path, (const char *) b->data, b->len, &local))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_WRITE, "%s: %s", path, local->message);
      gm_output_abort (&out);
      return FALSE;
    }
  return gm_output_commit (&out, error);
}

typedef struct
{
  const guint8 *p;
  gsize         len, pos;
  gboolean      bad;
} Reader;

static gboolean
take (Reader *r,
      void   *dst,
      gsize   n)
{
  if (r->bad || r->len - r->pos < n)
    {
      r->bad = TRUE;
      memset (dst, 0, n);
      return FALSE;
    }
  memcpy (dst, r->p + r->pos, n);
  r->pos += n;
  return TRUE;
}

static guint32
get_u32 (Reader *r)
{
  guint32 v;

  take (r, &v, 4);
  return GUINT32_FROM_LE (v);
}

static gint32
get_i32 (Reader *r)
{
  return (gint32) get_u32 (r);
}

static double
get_f64 (Reader *r)
{
  guint64 u;
  double v;

  take (r, &u, 8);
  u = GUINT64_FROM_LE (u);
  memcpy (&v, &u, 8);
  return v;
}

static char *
get_str (Reader *r)
{
  guint32 n = get_u32 (r);
  char *s;

  if (r->bad || n > r->len - r->pos)
    {
      r->bad = TRUE;
      return g_strdup ("");
    }
  s = g_strndup ((const char *) r->p + r->pos, n);
  r->pos += n;
  if (!g_utf8_validate (s, -1, NULL) || strlen (s) != n)
    r->bad = TRUE;
  return s;
}

static gboolean
get_tensor (Reader                  *r,
            const GmErnetTensorInfo *info,
            float                   *base,
            const char              *path,
            GError                 **error)
{
  g_autofree char *name = get_str (r);
  int ndim = get_i32 (r);

  if (r->bad)
    goto truncated;
  if (strcmp (name, info->name) != 0 || ndim != info->ndim)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: ER-Net checkpoint holds tensor '%s' where '%s' was expected", path, name, info->name);
      return FALSE;
    }
  for (int d = 0; d < ndim; d++)
    if (get_i32 (r) != info->shape[d])
      {
        g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                     "%s: ER-Net checkpoint tensor '%s' has the wrong shape", path, name);
        return FALSE;
      }
  for (gsize i = 0; i < info->numel; i++)
    {
      guint32 u = get_u32 (r);
      float f;

      memcpy (&f, &u, 4);
      if (!isfinite (f))
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: ER-Net checkpoint tensor '%s' holds a non-finite value", path, name);
          return FALSE;
        }
      base[info->offset + i] = f;
    }
  if (r->bad)
    goto truncated;
  return TRUE;

truncated:
  g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: ER-Net checkpoint is truncated", path);
  return FALSE;
}

GmErnetModel *
gm_ernet_checkpoint_load (const char *path,
                          GError    **error)
{
  return gm_ernet_checkpoint_load_full (path, NULL, error);
}

GmErnetModel *
gm_ernet_checkpoint_load_full (const char                 *path,
                               const GmErnetImputeOptions *opts,
                               GError                    **error)
{
  g_autofree float *hparams = NULL, *hbufs = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr(GmLayout) layout = NULL;
  g_autoptr(GmErnetModel) model = NULL;
  g_autofree char *version = NULL;
  g_autofree gboolean *used = NULL;
  guint8 digest[32];
  gsize dlen = sizeof digest;
  GmErnetConfig cfg;
  Reader r = { 0 };
  char magic[8];
  guint32 format;
  int steps, n;
  double scale;

  if (!g_file_get_contents (path, &contents, &len, &local))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: %s", path, local->message);
      return NULL;
    }
  if (len < 8 + 32 || memcmp (contents, CKPT_MAGIC, 8) != 0)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: not an ER-Net checkpoint (made by 'impute --save-checkpoint')", path);
      return NULL;
    }
  g_checksum_update (sum, (const guint8 *) contents, len - 32);
  g_checksum_get_digest (sum, digest, &dlen);
  if (memcmp (digest, contents + len - 32, 32) != 0)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: ER-Net checkpoint is corrupt (checksum mismatch) or truncated", path);
      return NULL;
    }
  r.p = (const guint8 *) contents;
  r.len = len - 32;
  take (&r, magic, 8);
  format = get_u32 (&r);
  if (format < 1 || format > CKPT_FORMAT)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_UNSUPPORTED,
                   "%s: ER-Net checkpoint format %u is not supported (this program reads format %d)", path,
                   format, CKPT_FORMAT);
      return NULL;
    }
  version = get_str (&r);
  cfg.ngf = get_i32 (&r);
  cfg.dfa_reduction = get_i32 (&r);
  cfg.cbam_reduction = get_i32 (&r);
  cfg.gene_head = cfg.head_h = cfg.head_w = 0;
  if (format >= 2)
    {
      cfg.gene_head = get_i32 (&r);
      cfg.head_h = get_i32 (&r);
      cfg.head_w = get_i32 (&r);
      if (format == 2 && cfg.gene_head > 0 && !r.bad)
        {
          g_set_error (error, GM_ERROR, GM_ERROR_UNSUPPORTED,
                       "%s: this checkpoint's gene head reads the network's bottleneck, as GenoMap Studio %s "
                       "made it; this version's reads the input map: train the model again", path, version);
          return NULL;
        }
    }
  steps = get_i32 (&r);
  scale = get_f64 (&r);
  layout = g_new0 (GmLayout, 1);
  layout->rows = get_i32 (&r);
  layout->cols = get_i32 (&r);
  layout->geometry = (GmGridGeometry) get_i32 (&r);
  n = get_i32 (&r);
  if (r.bad || cfg.ngf < 1 || cfg.ngf > 4096 || cfg.dfa_reduction < 1 || cfg.cbam_reduction < 1
      || cfg.gene_head < 0 || cfg.gene_head > 4096
      || (layout->rows >= 1 && layout->cols >= 1 && layout->rows <= 4096 && layout->cols <= 4096
          && cfg.gene_head > 0 && (cfg.head_h != cfg.head_w || cfg.head_h != padded_size (layout)))
      || !(scale > 0) || !isfinite (scale) || layout->rows < 1 || layout->cols < 1
      || layout->rows > 4096 || layout->cols > 4096 || n < 1 || n > layout->rows * layout->cols
      || (layout->geometry != GM_GRID_RINGS && layout->geometry != GM_GRID_EUCLIDEAN))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: ER-Net checkpoint has an invalid header (model or layout)", path);
      return NULL;
    }
  layout->n_genes = n;
  layout->genes = g_new0 (char *, n + 1);
  layout->pixel = g_new0 (int32_t, n);
  layout->version = g_strdup (version);
  layout->selection = g_strdup ("from an ER-Net checkpoint");
  used = g_new0 (gboolean, layout->rows * layout->cols);
  for (int i = 0; i < n; i++)
    {
      layout->genes[i] = get_str (&r);
      layout->pixel[i] = get_i32 (&r);
      if (r.bad || layout->pixel[i] < 0 || layout->pixel[i] >= layout->rows * layout->cols
          || used[layout->pixel[i]])
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: ER-Net checkpoint has an invalid layout (gene %d)", path, i + 1);
          return NULL;
        }
      used[layout->pixel[i]] = TRUE;
    }
  model = model_new (&cfg, layout, opts, error);
  if (model == NULL)
    return NULL;
  model->scale = scale;
  model->steps = steps;
  gm_ernet_init_formula (model->net);   /* resets buffers and Adam state */
  /* read into host copies, upload at the end (the backend may be a GPU) */
  hparams = g_new (float, MAX (gm_ernet_n_trainable (model->net), 1));
  hbufs = g_new (float, MAX (gm_ernet_n_buffer_floats (model->net), 1));
  gm_ernet_get_state (model->net, hparams, hbufs);
  if (get_i32 (&r) != gm_ernet_n_params (model->net))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: ER-Net checkpoint has the wrong number of parameters for ngf %d", path, cfg.ngf);
      return NULL;
    }
  for (int i = 0; i < gm_ernet_n_params (model->net); i++)
    if (!get_tensor (&r, gm_ernet_param_info (model->net, i), hparams, path, error))
      return NULL;
  if (get_i32 (&r) != gm_ernet_n_buffers (model->net))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: ER-Net checkpoint has the wrong number of buffers", path);
      return NULL;
    }
  for (int i = 0; i < gm_ernet_n_buffers (model->net); i++)
    if (!get_tensor (&r, gm_ernet_buffer_info (model->net, i), hbufs, path, error))
      return NULL;
  if (r.pos != r.len)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: ER-Net checkpoint has trailing data", path);
      return NULL;
    }
  gm_ernet_set_state (model->net, hparams, hbufs);
  return g_steal_pointer (&model);
}
