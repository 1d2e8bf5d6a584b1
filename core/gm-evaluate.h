/* gm-evaluate.h — how well an imputation recovers a reference
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reference mode: per-gene Pearson correlation across cells and mean squared
 * error, imputed vs reference ("after") and, when given, observed vs reference
 * ("before").  Cells and genes are matched by name; the sets must be equal.
 * A gene whose r is undefined (constant in either vector) gets NaN; such genes
 * are counted and listed, never dropped silently.
 *
 * Hold-out mode: scores only the entries gm_simulate_holdout hid (non-zero in
 * the unmasked counts, zero in the masked X): per-gene Pearson over the hidden
 * entries of each gene with at least 3 of them, and the Pearson and MSE over
 * all hidden entries together.
 *
 * Scales: GM_SCALE_LOGNORM is log1p (value · 10 000 / library size) with each
 * matrix's own per-cell library sizes (sums of its row); GM_SCALE_RAW is the
 * values as stored.
 */
#pragma once

#include "gm-dataset.h"

G_BEGIN_DECLS

typedef enum
{
  GM_SCALE_LOGNORM,
  GM_SCALE_RAW,
} GmScale;

typedef struct
{
  int64_t n_defined;     /* genes with a defined r */
  int64_t n_undefined;
  double  mean, sd;      /* sd: population (ddof 0), as the paper's numpy */
  double  q1, median, q3;
  double  mean_mse;      /* over all genes */
} GmEvalSummary;

typedef struct
{
  int64_t  n_cells, n_genes;
  char   **gene_names;   /* the reference's order */
  gboolean has_before;
  double  *r_before, *mse_before;   /* NULL without an observed matrix */
  double  *r_after, *mse_after;
  GmEvalSummary before, after;
  int64_t  n_compared;   /* genes with r defined before and after */
  int64_t  n_improved;   /* of which r_after > r_before */
} GmEvalResult;

GmEvalResult *gm_evaluate        (const GmDataset *reference, const GmDataset *imputed,
                                  const GmDataset *observed, GmScale scale, GError **error);
void          gm_eval_result_free (GmEvalResult *r);

typedef struct
{
  int64_t  n_cells, n_genes;
  char   **gene_names;
  int64_t  n_hidden;          /* hidden entries in all */
  double   overall_r, overall_mse;
  int64_t *hidden_per_gene;
  double  *r;                 /* per gene; NaN if < 3 hidden entries or undefined */
  int64_t  n_scored;          /* genes with ≥ 3 hidden entries */
  GmEvalSummary summary;      /* over the scored genes */
} GmHoldoutResult;

/* @truth: the unmasked counts; @masked: the masked counts (same cells and genes,
 * same order, as written by `simulate --holdout`); @imputed: matched by names. */
GmHoldoutResult *gm_evaluate_holdout     (const GmDataset *truth, const GmDataset *masked,
                                          const GmDataset *imputed, GmScale scale, GError **error);
void             gm_holdout_result_free  (GmHoldoutResult *r);

/* Pearson correlation of two vectors (NaN if either is constant), for tests and tools. */
double        gm_pearson         (const double *x, const double *y, int64_t n);
/* Quantile q in [0, 1] of sorted values, linear interpolation (numpy's default). */
double        gm_quantile_sorted (const double *sorted, int64_t n, double q);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GmEvalResult, gm_eval_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GmHoldoutResult, gm_holdout_result_free)

G_END_DECLS
