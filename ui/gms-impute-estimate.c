/* gms-impute-estimate.c — how long an imputation will take and how much memory it needs
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Where the numbers come from (2-core reference machine, OpenBLAS 0.3.21
 * with Cooperlake kernels, CPU backend, debugoptimized build):
 *
 *  - ER-Net seconds per training step at batch 64, measured on 2026-11-21
 *    (23:27 UTC, load average 1.6) with
 *      tests/bench-ernet --config compact --ngf N --size T --batch 64 --steps 3
 *    (mean of 3 steps after a warm-up step):
 *         T:      16      32      52
 *      ngf 4   0.036   0.148   0.195     (tiny)
 *      ngf 16  0.122   0.408   0.736     (compact)
 *    and for the paper network (ngf 64) at T = 52 the 4.87 s of
 *    docs/performance.md (quiet machine); at other sizes the paper row is the
 *    compact row × 4.87 / 0.736.  Between table sizes the time is
 *    interpolated linearly in T²; beyond them it is proportional to T².  A
 *    smaller batch b costs (0.25 + 0.75 · b / 64) of a batch of 64 (tiny at
 *    T = 52, batch 16: 0.095 s measured, 0.085 s by this rule).
 *  - Inference: one forward is about 0.35 of a training step (forward
 *    0.072 s of 0.195 s for tiny at 52, 0.206 s of 0.736 s for compact), one
 *    forward per 64 cells; hold-out mode imputes twice (masked and full).
 *  - Peak memory (maximum resident set of the same runs, /usr/bin/time):
 *    tiny 122 MB and compact 395 MB at T = 52, paper 1.52 GB: 8 MB of
 *    program, 16 bytes per parameter (values, gradients, two Adam moments)
 *    and about 150 bytes per channel (ngf) per pixel per cell of the batch
 *    (activations and their gradients, im2col workspaces: 127–165 bytes in
 *    the three runs).
 *  - Results: the dense imputed matrix (4 bytes per cell and gene) and its
 *    CSR copy in the result (8 bytes per non-zero, nearly every entry after
 *    imputation); hold-out mode keeps a second pair for the masked input.
 *  - kNN and MAGIC: t = a·n + b·n² for n cells (linear part scaled by
 *    min (genes, 2000) / 2000), fitted to the docs/performance.md runs at
 *    3 000 and 10 000 cells × 2 000 genes (kNN 0.18 s and 0.83 s, MAGIC
 *    0.55 s and 1.94 s); memory: the dense result and CSR copy as above plus
 *    the dense log-normalised matrix of the 2 000 genes of the PCA.
 *  - ER-Net's neighbours recipe (the default) adds a gene head (16 · (T² + 1) + 17 · T²
 *    parameters) and, before training, the neighbour search of the
 *    neighbours target: the kNN baseline's time, and its PCA input (with the
 *    PCA's own copy, 8 bytes per cell and gene) as a peak of its own, for
 *    at most GM_ERNET_NEIGHBOUR_POOL cells.
 */
#include "config.h"

#include "gms-impute-estimate.h"
#include "gm-impute.h"

int
gms_impute_padded_size (int rows,
                        int cols)
{
  int t = MAX (MAX (rows, cols), 8);

  return (t + 3) / 4 * 4;
}

gsize
gms_impute_n_params (GmErnetPreset preset)
{
  /* gm_ernet_n_trainable () of the three presets (checked by the tests) */
  switch (preset)
    {
    case GM_ERNET_TINY:
      return 38156;
    case GM_ERNET_PAPER:
      return 6727031;
    case GM_ERNET_COMPACT:
    default:
      return 457787;
    }
}

static int
preset_ngf (GmErnetPreset preset)
{
  switch (preset)
    {
    case GM_ERNET_TINY:
      return 4;
    case GM_ERNET_PAPER:
      return 64;
    case GM_ERNET_COMPACT:
    default:
      return 16;
    }
}

static const double table_sizes[3] = { 16, 32, 52 };
static const double table_tiny[3] = { 0.036, 0.148, 0.195 };
static const double table_compact[3] = { 0.122, 0.408, 0.736 };
#define PAPER_OVER_COMPACT (4.87 / 0.736)

static double
step_seconds_64 (GmErnetPreset preset,
                 int           t)
{
  const double *row = preset == GM_ERNET_TINY ? table_tiny : table_compact;
  double scale = preset == GM_ERNET_PAPER ? PAPER_OVER_COMPACT : 1.0;
  double a = (double) t * t;

  if (t <= table_sizes[0])
    return scale * row[0] * a / (table_sizes[0] * table_sizes[0]);
  for (int i = 0; i + 1 < 3; i++)
    if (t <= table_sizes[i + 1])
      {
        double a0 = table_sizes[i] * table_sizes[i], a1 = table_sizes[i + 1] * table_sizes[i + 1];
        return scale * (row[i] + (row[i + 1] - row[i]) * (a - a0) / (a1 - a0));
      }
  return scale * row[2] * a / (table_sizes[2] * table_sizes[2]);
}

/* kNN or MAGIC on n cells: the fitted a·n + b·n² (see above) */
static double
baseline_seconds (GmsImputeMethod method,
                  double          cells,
                  double          genes)
{
  double g = MIN (genes, 2000.0) / 2000.0;
  double a = method == GMS_IMPUTE_METHOD_MAGIC ? 1.787e-4 : 5.0e-5;
  double q = method == GMS_IMPUTE_METHOD_MAGIC ? 1.53e-9 : 3.3e-9;

  return a * g * cells + q * cells * cells;
}

void
gms_impute_estimate (GmsImputeMethod    method,
                     GmErnetPreset      preset,
                     GmErnetRecipe      recipe,
                     int                map_rows,
                     int                map_cols,
                     int64_t            n_cells,
                     int64_t            n_genes,
                     int                steps,
                     int                batch,
                     gboolean           holdout,
                     GmsImputeEstimate *out)
{
  double cells = (double) MAX (n_cells, 1), genes = (double) MAX (n_genes, 1);
  double results = (4.0 + 8.0) * cells * genes * (holdout ? 2 : 1);

  *out = (GmsImputeEstimate) { 0 };
  if (method == GMS_IMPUTE_METHOD_ERNET)
    {
      int t = gms_impute_padded_size (map_rows, map_cols);
      double b = (double) MIN (batch > 0 ? batch : 64, (int) MIN (n_cells, G_MAXINT));
      double step64 = step_seconds_64 (preset, t);
      double infer = 0.35 * step64 * cells / 64.0 * (holdout ? 2 : 1);
      GmErnetImputeOptions eo;
      double head, train_bytes, pca_bytes, pool = MIN (cells, (double) GM_ERNET_NEIGHBOUR_POOL);

      /* the recipe's gene head, and for the neighbours target the search
       * for the neighbours first, as the kNN baseline searches (its time
       * and its dense PCA input, both fitted below) */
      gm_ernet_impute_options_init (&eo);
      gm_ernet_impute_options_set_recipe (&eo, recipe);
      head = eo.gene_head > 0 ? (double) eo.gene_head * (t * t + 1) + (double) t * t * (eo.gene_head + 1) : 0;
      out->map_size = t;
      out->n_params = gms_impute_n_params (preset) + (gsize) head;
      out->step_seconds = step64 * (0.25 + 0.75 * b / 64.0);
      out->seconds = out->step_seconds * MAX (steps, 0) + infer;
      if (eo.target == GM_ERNET_TARGET_NEIGHBOURS)
        out->seconds += baseline_seconds (GMS_IMPUTE_METHOD_KNN, pool, genes);
      /* inference runs forwards of 64 cells without gradients (about half the
       * bytes per cell of training): it sets the peak when the batch is small */
      train_bytes = 8e6 + 16.0 * out->n_params + MAX (150.0 * b, 75.0 * 64) * preset_ngf (preset) * (double) t * t;
      pca_bytes = eo.target == GM_ERNET_TARGET_NEIGHBOURS ? 8.0 * pool * MIN (genes, 2000.0) : 0;
      out->bytes = (guint64) (MAX (train_bytes, pca_bytes) + results);
    }
  else
    {
      out->seconds = baseline_seconds (method, cells, genes) * (holdout ? 2 : 1);
      out->bytes = (guint64) (results + 4.0 * cells * MIN (genes, 2000.0));
    }
}
