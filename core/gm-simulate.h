/* gm-simulate.h — simulated references and observations for benchmarking imputation
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Three simulators, all deterministic for a seed (gm-random.h):
 *
 *  - gm_simulate_efficiency: SAVER-style observations of a reference.  Cell c
 *    draws an efficiency τ_c ~ Gamma(shape, rate) (mean shape/rate, as a
 *    fraction: Gamma(10, 2000) has mean 0.005 = 0.5 %), then
 *    Y_cg ~ Poisson(τ_c · X_cg).  Each cell uses its own random stream.
 *
 *  - gm_simulate_splat: a Splatter-style reference (Zappia et al. 2017, our own
 *    code): lognormal library sizes, gamma gene means with a few high-expression
 *    outliers, K groups with lognormal differential-expression factors on a
 *    fraction of the genes, gene modules (co-regulated gene sets whose per-cell
 *    activity depends on the group, so module genes correlate within a group),
 *    and negative binomial counts (gamma–Poisson) whose dispersion follows a
 *    mean–dispersion trend (biological coefficient of variation, BCV), with an
 *    optional logistic dropout (off by default).  obs gets a categorical 'group'.
 *    80 % of the genes belong to a module by default: with Splatter-like 30 %
 *    (and 10 % DE genes) most genes have no between-cell structure beyond NB
 *    noise, which no imputation can recover, and on those observed counts
 *    correlate better with the reference than any smoothing (we measured:
 *    median r observed 0.16, kNN 0.08, MAGIC 0.13 at 0.5 % efficiency).
 *
 *  - gm_simulate_holdout: hides exactly round(F · nnz) of the non-zero entries
 *    of a count matrix (uniformly, without replacement) by setting them to zero.
 */
#pragma once

#include "gm-dataset.h"

G_BEGIN_DECLS

GmDataset *gm_simulate_efficiency (const GmDataset *ref, double shape, double rate, guint64 seed,
                                   GError **error);

typedef struct
{
  int     n_cells;        /* 1000 */
  int     n_genes;        /* 2000 */
  int     n_groups;       /* 4 */
  guint64 seed;           /* 0 */
  double  lib_loc;        /* log library size mean: 11 (≈ 60 000 counts per cell) */
  double  lib_scale;      /* 0.2 */
  double  mean_shape;     /* gene means ~ Gamma(0.6, 0.3), as Splatter */
  double  mean_rate;
  double  out_prob;       /* 0.05: expression outliers, × lognormal(4, 0.5) */
  double  out_loc, out_scale;
  double  de_prob;        /* 0.1: fraction of genes differentially expressed per group */
  double  de_down_prob;   /* 0.5: of which down-regulated */
  double  de_loc;         /* 0.3, de_scale 0.5: DE factor ~ lognormal */
  double  de_scale;
  int     n_modules;      /* 0 = n_genes / 50, at least 2 */
  double  module_frac;    /* 0.8: fraction of genes in a module (see below) */
  double  module_group_sd;/* 0.5: sd of a module's log activity between groups */
  double  module_cell_sd; /* 0.4: sd of a module's log activity between cells */
  double  bcv_common;     /* 0.1, bcv_df 60: as Splatter */
  double  bcv_df;
  gboolean dropout;       /* FALSE */
  double  dropout_mid;    /* 0: logistic midpoint on log mean */
  double  dropout_shape;  /* -1 */
} GmSplatParams;

void       gm_splat_params_init   (GmSplatParams *p);
GmDataset *gm_simulate_splat      (const GmSplatParams *p, GError **error);

/* Returns the masked dataset (annotations copied from @obs), X = @obs->X with
 * the hidden entries removed.  *n_hidden gets how many were hidden. */
GmDataset *gm_simulate_holdout    (const GmDataset *obs, double fraction, guint64 seed,
                                   int64_t *n_hidden, GError **error);

/* A deep copy of @src's names and obs/var columns and uns (not the matrix) into @dst,
 * whose X must already have src's shape. */
void       gm_dataset_copy_annotations (const GmDataset *src, GmDataset *dst);

/* A new dataset with @src's names, annotations and uns (deep copies) and X made
 * from @values (src's n_cells × n_genes, row-major, e.g. an imputation's
 * output), stored as a canonical CSR: zeros are left out.  Fails
 * (GM_ERROR_INVALID_INPUT) on a NaN or infinite value, and (GM_ERROR_TOO_LARGE)
 * when the CSR would not fit the memory budget.  The application uses it to
 * score and export an imputation through gm_evaluate / gm_write. */
GmDataset *gm_dataset_new_with_dense_x (const GmDataset *src, const float *values, GError **error);

G_END_DECLS
