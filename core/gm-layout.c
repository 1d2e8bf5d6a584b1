/* gm-layout.c — gene selection, gene–gene distances, layout objects, per-cell maps
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <cblas.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gm-layout.h"
#include "gm-linalg.h"

#define MAX_DEFAULT_SIDE 32
#define CORR_BLOCK_CELLS 256

const char *
gm_transform_name (GmTransform t)
{
  switch (t)
    {
    case GM_TRANSFORM_RAW:         return "raw";
    case GM_TRANSFORM_LOG1P_CP10K: return "log1p";
    case GM_TRANSFORM_ZSCORE:      return "zscore";
    case GM_TRANSFORM_MINMAX:      return "minmax";
    default:                       return "unknown";
    }
}

gboolean
gm_transform_parse (const char  *s,
                    GmTransform *out)
{
  static const struct { const char *name; GmTransform t; } names[] = {
    { "raw", GM_TRANSFORM_RAW }, { "log1p", GM_TRANSFORM_LOG1P_CP10K },
    { "log1p-cp10k", GM_TRANSFORM_LOG1P_CP10K }, { "lognorm", GM_TRANSFORM_LOG1P_CP10K },
    { "zscore", GM_TRANSFORM_ZSCORE }, { "z-score", GM_TRANSFORM_ZSCORE },
    { "minmax", GM_TRANSFORM_MINMAX }, { "min-max", GM_TRANSFORM_MINMAX },
  };

  for (guint i = 0; s != NULL && i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (s, names[i].name) == 0)
      {
        *out = names[i].t;
        return TRUE;
      }
  return FALSE;
}

/* ----------------------------------------------------- log-normalisation */

/* Library size of every cell (sum over all genes). */
static double *
cell_totals (const GmDataset *ds)
{
  const GmCsr *X = &ds->X;
  double *tot = g_new0 (double, MAX (X->n_rows, 1));

  for (int64_t i = 0; i < X->n_rows; i++)
    for (int64_t k = X->indptr[i]; k < X->indptr[i + 1]; k++)
      tot[i] += X->data[k];
  return tot;
}

static inline double
lognorm (float v,
         double total)
{
  return total > 0 ? log1p (v * 1e4 / total) : 0.0;
}

/* log1p(CP10k) of one cell's values.  Counts are mostly small integers, so
 * each distinct one costs a single logarithm per cell; the values are the
 * ones lognorm() gives, bit for bit. */
enum { LOG_CACHE = 128 };

typedef struct
{
  double total;
  double v[LOG_CACHE];
  guchar done[LOG_CACHE];
} LogCache;

static inline void
log_cache_reset (LogCache *c,
                 double    total)
{
  c->total = total;
  memset (c->done, 0, sizeof c->done);
}

static inline double
log_cache_get (LogCache *c,
               float     x)
{
  if (x >= 0.0f && x < (float) LOG_CACHE && x == (float) (int) x)
    {
      int i = (int) x;

      if (!c->done[i])
        {
          c->v[i] = lognorm (x, c->total);
          c->done[i] = 1;
        }
      return c->v[i];
    }
  return lognorm (x, c->total);
}

/* Per-gene mean and variance (population) of log1p(CP10k) over all cells;
 * only for the genes where @wanted[j] >= 0 when @wanted is not NULL (the
 * others get zeros), which spares a logarithm per stored value of the rest. */
static void
gene_lognorm_stats (const GmDataset *ds,
                    const double    *totals,
                    const int32_t   *wanted,
                    double          *mean,
                    double          *var,
                    double          *vmin,
                    double          *vmax)
{
  const GmCsr *X = &ds->X;
  int64_t n_cells = X->n_rows, n_genes = X->n_cols;
  g_autofree double *sum = g_new0 (double, MAX (n_genes, 1));
  g_autofree double *sum2 = g_new0 (double, MAX (n_genes, 1));
  g_autofree int64_t *count = g_new0 (int64_t, MAX (n_genes, 1));
  LogCache lc;

  if (vmin && vmax)
    for (int64_t j = 0; j < n_genes; j++)
      {
        vmin[j] = INFINITY;
        vmax[j] = -INFINITY;
      }
  for (int64_t i = 0; i < n_cells; i++)
    {
      log_cache_reset (&lc, totals[i]);
      for (int64_t k = X->indptr[i]; k < X->indptr[i + 1]; k++)
        {
          int32_t j = X->indices[k];
          double v;

          if (wanted != NULL && wanted[j] < 0)
            continue;
          v = log_cache_get (&lc, X->data[k]);
          sum[j] += v;
          sum2[j] += v * v;
          count[j]++;
          if (vmin && vmax)
            {
              vmin[j] = MIN (vmin[j], v);
              vmax[j] = MAX (vmax[j], v);
            }
        }
    }
  for (int64_t j = 0; j < n_genes; j++)
    {
      double m = n_cells > 0 ? sum[j] / n_cells : 0.0;
      double v = n_cells > 0 ? sum2[j] / n_cells - m * m : 0.0;
      mean[j] = m;
      var[j] = v > 0 ? v : 0.0;
      if (vmin && vmax)
        {
          /* cells without the gene contribute zeros */
          if (count[j] < n_cells)
            {
              vmin[j] = MIN (vmin[j], 0.0);
              vmax[j] = MAX (vmax[j], 0.0);
            }
          if (count[j] == 0 && n_cells == 0)
            vmin[j] = vmax[j] = 0.0;
        }
    }
}

/* ------------------------------------------------------ gene selection */

typedef struct
{
  int32_t gene;
  double  var;
} GeneVar;

static int
genevar_cmp (const void *a,
             const void *b)
{
  const GeneVar *x = a, *y = b;

  if (x->var != y->var)
    return x->var < y->var ? 1 : -1;
  return (x->gene > y->gene) - (x->gene < y->gene);
}

/* Variance threshold below which a gene counts as constant. */
#define CONSTANT_VAR 1e-12

int32_t *
gm_select_variable_genes (const GmDataset  *ds,
                          int               n,
                          int              *n_out,
                          GError          **error)
{
  int64_t n_genes = gm_dataset_n_genes (ds);
  g_autofree double *totals = NULL;
  g_autofree double *mean = g_new0 (double, MAX (n_genes, 1));
  g_autofree double *var = g_new0 (double, MAX (n_genes, 1));
  g_autofree GeneVar *gv = g_new0 (GeneVar, MAX (n_genes, 1));
  int usable = 0;
  int32_t *out;

  if (gm_dataset_n_cells (ds) < 2)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: a GenoMap needs at least 2 cells to relate genes (it has %" G_GINT64_FORMAT ")",
                   ds->path ? ds->path : "dataset", gm_dataset_n_cells (ds));
      return NULL;
    }
  totals = cell_totals (ds);
  gene_lognorm_stats (ds, totals, NULL, mean, var, NULL, NULL);
  for (int64_t j = 0; j < n_genes; j++)
    if (var[j] > CONSTANT_VAR)
      {
        gv[usable].gene = (int32_t) j;
        gv[usable].var = var[j];
        usable++;
      }
  if (usable < 4)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: only %d gene%s vary across cells; a GenoMap needs at least 4",
                   ds->path ? ds->path : "dataset", usable, usable == 1 ? "" : "s");
      return NULL;
    }
  qsort (gv, usable, sizeof (GeneVar), genevar_cmp);
  if (n <= 0 || n > usable)
    n = usable;
  out = g_new (int32_t, n);
  for (int i = 0; i < n; i++)
    out[i] = gv[i].gene;
  *n_out = n;
  return out;
}

/* --------------------------------------------------- correlation distance */

double *
gm_gene_correlation_distance (const GmDataset  *ds,
                              const int32_t    *genes,
                              int               n,
                              GError          **error)
{
  const GmCsr *X = &ds->X;
  int64_t n_cells = X->n_rows;
  g_autofree double *totals = NULL;
  g_autofree int32_t *col_of = NULL;
  g_autofree double *sum = NULL;
  g_autofree double *sum2 = NULL;
  g_autofree double *block = NULL;
  g_autofree double *sd = NULL;
  double *cov;
  int64_t bs = MIN (CORR_BLOCK_CELLS, MAX (n_cells, 1));
  LogCache lc;

  if (n < 1 || n > 1 << 20)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE, "invalid number of genes: %d", n);
      return NULL;
    }
  if (n_cells < 2)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: correlations need at least 2 cells", ds->path ? ds->path : "dataset");
      return NULL;
    }
  if (!gm_memory_check (ds->path ? ds->path : "dataset",
                        (guint64) n * n * 8 + (guint64) bs * n * 8, "the gene–gene distances", error))
    return NULL;

  totals = cell_totals (ds);
  col_of = g_new (int32_t, MAX (X->n_cols, 1));
  for (int64_t j = 0; j < X->n_cols; j++)
    col_of[j] = -1;
  for (int i = 0; i < n; i++)
    col_of[genes[i]] = i;

  /* One pass over the cells: each block holds the raw log1p(CP10k) values
   * (each logarithm computed once), the per-gene sums are accumulated in
   * cell order, and G += Bᵀ B (dsyrk, upper) gathers the raw cross products;
   * the covariance is G − s sᵀ / n afterwards. */
  sum = g_new0 (double, n);
  sum2 = g_new0 (double, n);
  cov = g_new0 (double, (gsize) n * n);
  block = g_new (double, bs * n);
  for (int64_t c0 = 0; c0 < n_cells; c0 += bs)
    {
      int64_t nb = MIN (bs, n_cells - c0);

      memset (block, 0, (gsize) nb * n * sizeof (double));
      for (int64_t b = 0; b < nb; b++)
        {
          double *row = block + b * n;
          int64_t cell = c0 + b;

          log_cache_reset (&lc, totals[cell]);
          for (int64_t k = X->indptr[cell]; k < X->indptr[cell + 1]; k++)
            {
              int32_t i = col_of[X->indices[k]];
              if (i >= 0)
                {
                  double v = log_cache_get (&lc, X->data[k]);

                  row[i] += v;
                  sum[i] += v;
                  sum2[i] += v * v;
                }
            }
        }
      gm_dsyrk_upper_t (n, (int) nb, 1.0, block, n, 1.0, cov, n);
    }

  /* Constant genes (population variance as gene_lognorm_stats computes it). */
  for (int i = 0; i < n; i++)
    {
      double m = sum[i] / n_cells;
      double v = sum2[i] / n_cells - m * m;

      if (!(v > CONSTANT_VAR))
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: gene %s is constant across cells; its correlations are undefined",
                       ds->path ? ds->path : "dataset", ds->gene_names[genes[i]]);
          g_free (cov);
          return NULL;
        }
    }

  /* Centre: cov = G − s sᵀ / n (upper triangle). */
  {
    double inv_n = 1.0 / (double) n_cells;

    for (int i = 0; i < n; i++)
      {
        double *ci = cov + (gsize) i * n;
        double si = sum[i] * inv_n;
        for (int k = i; k < n; k++)
          ci[k] -= si * sum[k];
      }
  }

  /* cov → 1 − r, clipped to [0, 2], symmetric, zero diagonal. */
  sd = g_new (double, n);
  for (int i = 0; i < n; i++)
    {
      double c = cov[(gsize) i * n + i];
      sd[i] = c > 0 ? 1.0 / sqrt (c) : 0.0;
    }
  for (int i = 0; i < n; i++)
    {
      double *ci = cov + (gsize) i * n;
      double si = sd[i];
      ci[i] = 0.0;
      for (int k = i + 1; k < n; k++)
        {
          double r = ci[k] * si * sd[k];
          ci[k] = 1.0 - CLAMP (r, -1.0, 1.0);
        }
    }
  /* Mirror the upper triangle, tile by tile. */
  {
    enum { T = 64 };

    for (int i0 = 0; i0 < n; i0 += T)
      for (int k0 = 0; k0 <= i0; k0 += T)
        {
          int i1 = MIN (i0 + T, n), k1 = MIN (k0 + T, n);
          for (int i = i0; i < i1; i++)
            for (int k = k0; k < MIN (k1, i); k++)
              cov[(gsize) i * n + k] = cov[(gsize) k * n + i];
        }
  }
  return cov;
}

/* ------------------------------------------------------------- layouts */

void
gm_layout_options_init (GmLayoutOptions *opts)
{
  memset (opts, 0, sizeof *opts);
  opts->geometry = GM_GRID_RINGS;
}

void
gm_layout_free (GmLayout *layout)
{
  if (layout == NULL)
    return;
  if (layout->genes != NULL)
    for (int i = 0; i < layout->n_genes; i++)
      g_free (layout->genes[i]);
  g_free (layout->genes);
  g_free (layout->pixel);
  g_free (layout->selection);
  g_free (layout->version);
  g_free (layout);
}

typedef struct
{
  int32_t pixel;
  int     r2;
} PixelRadius;

static int
pixel_radius_cmp (const void *a,
                  const void *b)
{
  const PixelRadius *x = a, *y = b;

  if (x->r2 != y->r2)
    return x->r2 - y->r2;
  return x->pixel - y->pixel;
}

/* Grid coordinate of index i on an axis of length n, as the reference defines it. */
static int
axis_coord (int i,
            int n)
{
  return n % 2 ? i - (n - 1) / 2 : i - n / 2;
}

/* The n most central pixels (by distance to the centre, then pixel id). */
static int32_t *
central_pixels (int rows,
                int cols,
                int n)
{
  int P = rows * cols;
  g_autofree PixelRadius *pr = g_new (PixelRadius, P);
  int32_t *out = g_new (int32_t, n);

  for (int c = 0; c < cols; c++)
    for (int r = 0; r < rows; r++)
      {
        int x = axis_coord (r, rows), y = axis_coord (c, cols);
        pr[r + c * rows].pixel = r + c * rows;
        pr[r + c * rows].r2 = x * x + y * y;
      }
  qsort (pr, P, sizeof (PixelRadius), pixel_radius_cmp);
  for (int i = 0; i < n; i++)
    out[i] = pr[i].pixel;
  return out;
}

static int32_t
find_gene (const GmDataset *ds,
           GHashTable      *index,
           const char      *name)
{
  gpointer v;

  if (g_hash_table_lookup_extended (index, name, NULL, &v))
    return GPOINTER_TO_INT (v);
  return -1;
}

static GHashTable *
gene_index (const GmDataset *ds)
{
  GHashTable *index = g_hash_table_new (g_str_hash, g_str_equal);

  /* First occurrence wins for duplicated names; ids are accepted too. */
  for (int64_t j = gm_dataset_n_genes (ds) - 1; j >= 0; j--)
    {
      if (ds->gene_ids != NULL)
        g_hash_table_insert (index, ds->gene_ids[j], GINT_TO_POINTER ((int) j));
    }
  for (int64_t j = gm_dataset_n_genes (ds) - 1; j >= 0; j--)
    g_hash_table_insert (index, ds->gene_names[j], GINT_TO_POINTER ((int) j));
  return index;
}

GmLayout *
gm_layout_compute (const GmDataset        *ds,
                   const GmLayoutOptions  *opts,
                   GError                **error)
{
  GmLayoutOptions defaults;
  g_autoptr(GmLayout) layout = g_new0 (GmLayout, 1);
  g_autofree int32_t *genes = NULL;
  g_autofree double *C1 = NULL;
  g_autofree int32_t *allowed = NULL;
  GmSolverOptions sopts = { 0 };
  const char *where = ds->path ? ds->path : "dataset";
  gint64 t0 = g_get_monotonic_time ();
  int n = 0, rows, cols;
  gboolean ok;

  if (opts == NULL)
    {
      gm_layout_options_init (&defaults);
      opts = &defaults;
    }
  if ((opts->rows > 0) != (opts->cols > 0) || opts->rows < 0 || opts->cols < 0)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE, "give both the rows and the columns of the grid");
      return NULL;
    }

  if (opts->gene_list != NULL)
    {
      g_autoptr(GHashTable) index = gene_index (ds);
      g_autoptr(GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
      g_autoptr(GString) missing = g_string_new (NULL);
      int n_missing = 0;
      int want = g_strv_length (opts->gene_list);

      genes = g_new (int32_t, MAX (want, 1));
      for (int i = 0; i < want; i++)
        {
          int32_t j = find_gene (ds, index, opts->gene_list[i]);
          if (j < 0)
            {
              if (n_missing++ < 5)
                g_string_append_printf (missing, "%s%s", missing->len ? ", " : "", opts->gene_list[i]);
              continue;
            }
          if (g_hash_table_contains (seen, GINT_TO_POINTER (j)))
            continue;
          g_hash_table_add (seen, GINT_TO_POINTER (j));
          genes[n++] = j;
        }
      if (n_missing > 0)
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: %d gene%s of the list %s not in the dataset: %s%s", where, n_missing,
                       n_missing == 1 ? "" : "s", n_missing == 1 ? "is" : "are", missing->str,
                       n_missing > 5 ? ", …" : "");
          return NULL;
        }
      if (n < 4)
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "the gene list names %d gene%s; a GenoMap needs at least 4", n, n == 1 ? "" : "s");
          return NULL;
        }
      layout->selection = g_strdup_printf ("user list of %d genes", n);
    }
  else
    {
      int want = opts->n_genes;
      int usable;
      g_autofree int32_t *all = gm_select_variable_genes (ds, 0, &usable, error);

      if (all == NULL)
        return NULL;
      if (want <= 0)
        {
          if (opts->rows > 0)
            want = MIN (opts->rows * opts->cols, usable);
          else
            {
              int side = MIN ((int) floor (sqrt ((double) usable)), MAX_DEFAULT_SIDE);
              want = side * side;
            }
        }
      if (want > usable)
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: %d genes asked for, but only %d vary across cells", where, want, usable);
          return NULL;
        }
      n = want;
      genes = g_memdup2 (all, sizeof (int32_t) * n);
      layout->selection = g_strdup_printf ("the %d most variable of %" G_GINT64_FORMAT " genes "
                                           "(variance of log1p counts per 10 000 across cells; "
                                           "%d genes vary)", n, gm_dataset_n_genes (ds), usable);
    }

  if (opts->rows > 0)
    {
      rows = opts->rows;
      cols = opts->cols;
    }
  else
    {
      rows = (int) ceil (sqrt ((double) n));
      cols = (int) ceil ((double) n / rows);
    }
  if (n > rows * cols)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE,
                   "%d genes do not fit on a %d × %d grid (%d pixels)", n, rows, cols, rows * cols);
      return NULL;
    }

  if (opts->progress)
    opts->progress (0.02, "Relating genes", opts->progress_data);
  C1 = gm_gene_correlation_distance (ds, genes, n, error);
  if (C1 == NULL)
    return NULL;

  allowed = central_pixels (rows, cols, n);
  sopts.seed = opts->seed;
  sopts.max_iter = opts->max_iter;
  sopts.progress = opts->progress;
  sopts.progress_data = opts->progress_data;
  sopts.cancel = opts->cancel;
  layout->pixel = g_new (int32_t, n);
  if (opts->geometry == GM_GRID_EUCLIDEAN)
    ok = gm_gw_solve_euclidean (C1, n, rows, cols, allowed, &sopts, layout->pixel, &layout->energy, error);
  else
    ok = gm_gw_solve_rings (C1, n, rows, cols, allowed, &sopts, layout->pixel, &layout->energy, error);
  if (!ok)
    return NULL;

  layout->rows = rows;
  layout->cols = cols;
  layout->geometry = opts->geometry;
  layout->n_genes = n;
  layout->genes = g_new0 (char *, n + 1);
  for (int i = 0; i < n; i++)
    layout->genes[i] = g_strdup (ds->gene_names[genes[i]]);
  layout->seed = opts->seed;
  layout->version = g_strdup (PACKAGE_VERSION);
  layout->seconds = (g_get_monotonic_time () - t0) / 1e6;
  return g_steal_pointer (&layout);
}

/* ------------------------------------------------------------ layout I/O */

gboolean
gm_layout_save (const GmLayout  *layout,
                const char      *path,
                GError         **error)
{
  g_autoptr(GString) s = g_string_new (NULL);

  g_string_append (s, "# genomap-layout\t1\n");
  g_string_append_printf (s, "# program\tGenoMap Studio\t%s\n", layout->version ? layout->version : PACKAGE_VERSION);
  g_string_append_printf (s, "# grid\t%d\t%d\n", layout->rows, layout->cols);
  g_string_append_printf (s, "# geometry\t%s\n", gm_grid_geometry_name (layout->geometry));
  g_string_append_printf (s, "# energy\t%.12g\n", layout->energy);
  g_string_append_printf (s, "# selection\t%s\n", layout->selection ? layout->selection : "");
  g_string_append_printf (s, "# seed\t%" G_GUINT64_FORMAT "\n", layout->seed);
  g_string_append (s, "# pixels\trow and col are 0-based; pixel = row + col × rows (column-major)\n");
  g_string_append (s, "gene\trow\tcol\n");
  for (int i = 0; i < layout->n_genes; i++)
    g_string_append_printf (s, "%s\t%d\t%d\n", layout->genes[i],
                            layout->pixel[i] % layout->rows, layout->pixel[i] / layout->rows);

  return gm_output_write_text (path, s->str, s->len, error);
}

GmLayout *
gm_layout_load (const char  *path,
                GError     **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GmLayout) layout = g_new0 (GmLayout, 1);
  g_autoptr(GPtrArray) genes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) pixels = g_array_new (FALSE, FALSE, sizeof (int32_t));
  g_autoptr(GHashTable) used = g_hash_table_new (g_direct_hash, g_direct_equal);
  gboolean header_seen = FALSE;

  if (!g_file_get_contents (path, &text, NULL, &local))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s", local->message);
      return NULL;
    }
  lines = g_strsplit (text, "\n", -1);
  for (guint l = 0; lines[l] != NULL; l++)
    {
      char *line = lines[l];
      g_auto(GStrv) f = NULL;
      guint nf;

      g_strchomp (line);
      if (*line == '\0')
        continue;
      f = g_strsplit (line[0] == '#' ? line + 1 : line, "\t", -1);
      nf = g_strv_length (f);
      if (line[0] == '#')
        {
          const char *key = g_strstrip (f[0]);
          if (strcmp (key, "grid") == 0 && nf >= 3)
            {
              layout->rows = atoi (f[1]);
              layout->cols = atoi (f[2]);
            }
          else if (strcmp (key, "geometry") == 0 && nf >= 2)
            {
              if (!gm_grid_geometry_parse (f[1], &layout->geometry))
                {
                  g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                               "%s: line %u: unknown geometry '%s'", path, l + 1, f[1]);
                  return NULL;
                }
            }
          else if (strcmp (key, "energy") == 0 && nf >= 2)
            layout->energy = g_ascii_strtod (f[1], NULL);
          else if (strcmp (key, "selection") == 0 && nf >= 2)
            layout->selection = g_strdup (f[1]);
          else if (strcmp (key, "seed") == 0 && nf >= 2)
            layout->seed = g_ascii_strtoull (f[1], NULL, 10);
          else if (strcmp (key, "program") == 0 && nf >= 3)
            layout->version = g_strdup (f[2]);
          continue;
        }
      if (!header_seen)
        {
          if (nf < 3 || strcmp (f[0], "gene") != 0 || strcmp (f[1], "row") != 0 || strcmp (f[2], "col") != 0)
            {
              g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                           "%s: line %u: expected the header 'gene<TAB>row<TAB>col' (not a GenoMap layout?)",
                           path, l + 1);
              return NULL;
            }
          header_seen = TRUE;
          if (layout->rows <= 0 || layout->cols <= 0)
            {
              g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                           "%s: the '# grid ROWS COLS' line is missing before the table", path);
              return NULL;
            }
          continue;
        }
      {
        char *end_r = NULL, *end_c = NULL;
        long r, c;
        int32_t p;

        if (nf != 3)
          {
            g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                         "%s: line %u: expected 3 fields, found %u", path, l + 1, nf);
            return NULL;
          }
        r = strtol (f[1], &end_r, 10);
        c = strtol (f[2], &end_c, 10);
        if (*f[1] == '\0' || *end_r != '\0' || *f[2] == '\0' || *end_c != '\0' ||
            r < 0 || r >= layout->rows || c < 0 || c >= layout->cols)
          {
            g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                         "%s: line %u: pixel (%s, %s) is outside the %d × %d grid", path, l + 1,
                         f[1], f[2], layout->rows, layout->cols);
            return NULL;
          }
        p = (int32_t) (r + c * layout->rows);
        if (g_hash_table_contains (used, GINT_TO_POINTER (p + 1)))
          {
            g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                         "%s: line %u: pixel (%ld, %ld) holds two genes", path, l + 1, r, c);
            return NULL;
          }
        g_hash_table_add (used, GINT_TO_POINTER (p + 1));
        g_ptr_array_add (genes, g_strdup (f[0]));
        g_array_append_val (pixels, p);
      }
    }
  if (!header_seen || genes->len == 0)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: no genes in the layout", path);
      return NULL;
    }
  layout->n_genes = genes->len;
  g_ptr_array_add (genes, NULL);
  layout->genes = (char **) g_ptr_array_free (g_steal_pointer (&genes), FALSE);
  layout->pixel = (int32_t *) g_array_free (g_steal_pointer (&pixels), FALSE);
  return g_steal_pointer (&layout);
}

int32_t *
gm_layout_gene_pixels (const GmLayout   *layout,
                       const GmDataset  *ds,
                       int              *n_matched,
                       GError          **error)
{
  g_autoptr(GHashTable) index = gene_index (ds);
  int64_t n_genes = gm_dataset_n_genes (ds);
  int32_t *map = g_new (int32_t, MAX (n_genes, 1));
  int matched = 0;

  for (int64_t j = 0; j < n_genes; j++)
    map[j] = -1;
  for (int i = 0; i < layout->n_genes; i++)
    {
      int32_t j = find_gene (ds, index, layout->genes[i]);
      if (j >= 0 && map[j] < 0)
        {
          map[j] = layout->pixel[i];
          matched++;
        }
    }
  if (matched == 0)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: none of the layout's %d genes is in the dataset (different gene names?)",
                   ds->path ? ds->path : "dataset", layout->n_genes);
      g_free (map);
      return NULL;
    }
  if (n_matched)
    *n_matched = matched;
  return map;
}

void
gm_layout_attach (const GmLayout *layout,
                  GmDataset      *ds)
{
  g_autofree int32_t *pix = gm_layout_gene_pixels (layout, ds, NULL, NULL);
  int64_t n_genes = gm_dataset_n_genes (ds);
  GmColumn *row = gm_column_new ("genomap_row", GM_COLUMN_NUMERIC, n_genes);
  GmColumn *col = gm_column_new ("genomap_col", GM_COLUMN_NUMERIC, n_genes);

  row->is_integer = col->is_integer = TRUE;
  for (int64_t j = 0; j < n_genes; j++)
    {
      gboolean in = pix != NULL && pix[j] >= 0;
      row->values[j] = in ? pix[j] % layout->rows : NAN;
      col->values[j] = in ? pix[j] / layout->rows : NAN;
    }
  for (guint i = ds->var->len; i > 0; i--)
    {
      GmColumn *c = g_ptr_array_index (ds->var, i - 1);
      if (g_strcmp0 (c->name, "genomap_row") == 0 || g_strcmp0 (c->name, "genomap_col") == 0)
        g_ptr_array_remove_index (ds->var, i - 1);
    }
  g_ptr_array_add (ds->var, row);
  g_ptr_array_add (ds->var, col);
  g_hash_table_insert (ds->uns, g_strdup ("genomap_grid"),
                       g_strdup_printf ("%d x %d", layout->rows, layout->cols));
  g_hash_table_insert (ds->uns, g_strdup ("genomap_geometry"),
                       g_strdup (gm_grid_geometry_name (layout->geometry)));
  g_hash_table_insert (ds->uns, g_strdup ("genomap_energy"), g_strdup_printf ("%.12g", layout->energy));
  g_hash_table_insert (ds->uns, g_strdup ("genomap_selection"), g_strdup (layout->selection ? layout->selection : ""));
  g_hash_table_insert (ds->uns, g_strdup ("genomap_pixel_order"),
                       g_strdup ("pixel = row + col * rows (column-major), 0-based"));
  g_hash_table_insert (ds->uns, g_strdup ("genomap_layout_seed"), g_strdup_printf ("%" G_GUINT64_FORMAT, layout->seed));
  if (layout->version != NULL)
    g_hash_table_insert (ds->uns, g_strdup ("genomap_layout_version"), g_strdup (layout->version));
}

static GmColumn *
find_var (const GmDataset *ds,
          const char      *name)
{
  for (guint i = 0; i < ds->var->len; i++)
    {
      GmColumn *c = g_ptr_array_index (ds->var, i);
      if (g_strcmp0 (c->name, name) == 0)
        return c;
    }
  return NULL;
}

GmLayout *
gm_layout_from_dataset (const GmDataset  *ds,
                        GError          **error)
{
  const char *file = ds->path != NULL ? ds->path : "dataset";
  GmColumn *row = find_var (ds, "genomap_row"), *col = find_var (ds, "genomap_col");
  const char *grid = ds->uns != NULL ? g_hash_table_lookup (ds->uns, "genomap_grid") : NULL;
  const char *geometry, *energy, *selection, *seed, *version;
  int rows = 0, cols = 0, n = 0;
  char tail;
  g_autoptr(GmLayout) layout = NULL;
  g_autofree gboolean *taken = NULL;

  if (row == NULL && col == NULL && grid == NULL)
    return NULL;
  if (row == NULL || col == NULL || grid == NULL)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: incomplete GenoMap layout: %s is missing", file,
                   row == NULL ? "var genomap_row" : col == NULL ? "var genomap_col" : "uns genomap_grid");
      return NULL;
    }
  if (row->kind != GM_COLUMN_NUMERIC || col->kind != GM_COLUMN_NUMERIC)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: GenoMap layout: var genomap_row and genomap_col must be numeric", file);
      return NULL;
    }
  if (sscanf (grid, "%d x %d%c", &rows, &cols, &tail) != 2 || rows < 1 || cols < 1 || rows > 4096 || cols > 4096)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: GenoMap layout: uns genomap_grid is “%s”, not “ROWS x COLS”", file, grid);
      return NULL;
    }

  layout = g_new0 (GmLayout, 1);
  layout->rows = rows;
  layout->cols = cols;
  geometry = g_hash_table_lookup (ds->uns, "genomap_geometry");
  if (geometry == NULL)
    layout->geometry = GM_GRID_RINGS;
  else if (!gm_grid_geometry_parse (geometry, &layout->geometry))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: GenoMap layout: unknown geometry “%s” in uns genomap_geometry", file, geometry);
      return NULL;
    }
  energy = g_hash_table_lookup (ds->uns, "genomap_energy");
  layout->energy = energy != NULL ? g_ascii_strtod (energy, NULL) : NAN;
  selection = g_hash_table_lookup (ds->uns, "genomap_selection");
  layout->selection = g_strdup (selection != NULL ? selection : "saved in the file");
  seed = g_hash_table_lookup (ds->uns, "genomap_layout_seed");
  layout->seed = seed != NULL ? g_ascii_strtoull (seed, NULL, 10) : 0;
  version = g_hash_table_lookup (ds->uns, "genomap_layout_version");
  layout->version = g_strdup (version != NULL ? version : "saved");
  layout->genes = g_new0 (char *, gm_dataset_n_genes (ds) + 1);
  layout->pixel = g_new0 (int32_t, gm_dataset_n_genes (ds) + 1);
  taken = g_new0 (gboolean, (gsize) rows * cols);
  for (int64_t j = 0; j < gm_dataset_n_genes (ds); j++)
    {
      double r = row->values[j], c = col->values[j];
      int p;

      if (isnan (r) && isnan (c))
        continue;
      if (!(r >= 0 && c >= 0 && r < rows && c < cols && r == floor (r) && c == floor (c)))
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: GenoMap layout: gene “%s” has position (%g, %g) outside the %d × %d grid",
                       file, ds->gene_names[j], r, c, rows, cols);
          return NULL;
        }
      p = (int) r + (int) c * rows;
      if (taken[p])
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: GenoMap layout: two genes at position (%d, %d), “%s” among them",
                       file, (int) r, (int) c, ds->gene_names[j]);
          return NULL;
        }
      taken[p] = TRUE;
      layout->genes[n] = g_strdup (ds->gene_names[j]);
      layout->pixel[n] = p;
      layout->n_genes = ++n;     /* kept current: an error below frees what is there */
    }
  if (n == 0)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: GenoMap layout: no gene has a position", file);
      return NULL;
    }
  return g_steal_pointer (&layout);
}

/* ---------------------------------------------------------------- maps */

struct _GmMapper
{
  int          rows, cols;
  GmTransform  transform;
  const GmCsr *X;
  int32_t     *img_of_gene;   /* dataset gene → image index (r * cols + c), or -1 */
  float       *base;          /* the image of a cell with no counts */
  double      *totals;        /* library sizes */
  float       *scale, *shift; /* per dataset gene: value' = value * scale + shift (z / min-max) */
};

/* One mapper from what every transform shares: the gene pixels, the cell
 * totals and (for z-score and min-max) the per-gene log1p CP10k statistics;
 * all borrowed. */
static GmMapper *
mapper_build (const GmLayout  *layout,
              const GmDataset *ds,
              GmTransform      t,
              const int32_t   *pix,
              const double    *totals,
              const double    *mean,
              const double    *var,
              const double    *lo,
              const double    *hi)
{
  GmMapper *m = g_new0 (GmMapper, 1);
  int64_t n_genes = gm_dataset_n_genes (ds), nc = gm_dataset_n_cells (ds);
  int P = layout->rows * layout->cols;

  m->rows = layout->rows;
  m->cols = layout->cols;
  m->transform = t;
  m->X = &ds->X;
  m->img_of_gene = g_new (int32_t, MAX (n_genes, 1));
  m->base = g_new (float, P);
  m->totals = g_memdup2 (totals, MAX (nc, 1) * sizeof (double));
  m->scale = g_new (float, MAX (n_genes, 1));
  m->shift = g_new (float, MAX (n_genes, 1));
  for (int p = 0; p < P; p++)
    m->base[p] = NAN;
  for (int64_t j = 0; j < n_genes; j++)
    {
      m->scale[j] = 1.0f;
      m->shift[j] = 0.0f;
      m->img_of_gene[j] = pix[j] < 0 ? -1 : (pix[j] % m->rows) * m->cols + pix[j] / m->rows;
    }
  if (t == GM_TRANSFORM_ZSCORE || t == GM_TRANSFORM_MINMAX)
    for (int64_t j = 0; j < n_genes; j++)
      {
        if (t == GM_TRANSFORM_ZSCORE)
          {
            /* sample standard deviation (ddof = 1), as scipy.stats.zscore(ddof=1) */
            double sd = nc > 1 ? sqrt (var[j] * nc / (nc - 1)) : 0.0;
            m->scale[j] = sd > 0 ? (float) (1.0 / sd) : 0.0f;
            m->shift[j] = sd > 0 ? (float) (-mean[j] / sd) : 0.0f;
          }
        else
          {
            double range = hi[j] - lo[j];
            m->scale[j] = range > 0 ? (float) (1.0 / range) : 0.0f;
            m->shift[j] = range > 0 ? (float) (-lo[j] / range) : 0.0f;
          }
      }
  for (int64_t j = 0; j < n_genes; j++)
    if (m->img_of_gene[j] >= 0)
      m->base[m->img_of_gene[j]] = m->shift[j];
  return m;
}

gboolean
gm_mapper_new_set (const GmLayout   *layout,
                   const GmDataset  *ds,
                   const GmTransform *transforms,
                   int               n,
                   GmMapper        **out,
                   GError          **error)
{
  g_autofree int32_t *pix = gm_layout_gene_pixels (layout, ds, NULL, error);
  g_autofree double *totals = NULL, *mean = NULL, *var = NULL, *lo = NULL, *hi = NULL;
  int64_t n_genes = gm_dataset_n_genes (ds);
  gboolean stats = FALSE;

  if (pix == NULL)
    return FALSE;
  totals = cell_totals (ds);
  for (int i = 0; i < n; i++)
    stats |= transforms[i] == GM_TRANSFORM_ZSCORE || transforms[i] == GM_TRANSFORM_MINMAX;
  if (stats)
    {
      mean = g_new0 (double, MAX (n_genes, 1));
      var = g_new0 (double, MAX (n_genes, 1));
      lo = g_new0 (double, MAX (n_genes, 1));
      hi = g_new0 (double, MAX (n_genes, 1));
      gene_lognorm_stats (ds, totals, pix, mean, var, lo, hi);   /* the genes on the map */
    }
  for (int i = 0; i < n; i++)
    out[i] = mapper_build (layout, ds, transforms[i], pix, totals, mean, var, lo, hi);
  return TRUE;
}

GmMapper *
gm_mapper_new (const GmLayout   *layout,
               const GmDataset  *ds,
               GmTransform       t,
               GError          **error)
{
  GmMapper *m = NULL;

  if (!gm_mapper_new_set (layout, ds, &t, 1, &m, error))
    return NULL;
  return m;
}

void
gm_mapper_free (GmMapper *m)
{
  if (m == NULL)
    return;
  g_free (m->img_of_gene);
  g_free (m->base);
  g_free (m->totals);
  g_free (m->scale);
  g_free (m->shift);
  g_free (m);
}

void
gm_mapper_map_cells (const GmMapper *m,
                     const int64_t  *cells,
                     int64_t         n_cells,
                     float          *out)
{
  int P = m->rows * m->cols;

  for (int64_t c = 0; c < n_cells; c++)
    {
      int64_t cell = cells[c];
      float *img = out + c * P;
      double total = m->totals[cell];

      memcpy (img, m->base, sizeof (float) * P);
      for (int64_t k = m->X->indptr[cell]; k < m->X->indptr[cell + 1]; k++)
        {
          int32_t j = m->X->indices[k];
          int32_t q = m->img_of_gene[j];
          double v;

          if (q < 0)
            continue;
          v = m->transform == GM_TRANSFORM_RAW ? m->X->data[k] : lognorm (m->X->data[k], total);
          img[q] = (float) (v * m->scale[j] + m->shift[j]);
        }
    }
}
