/* gm-baselines.h — fast CPU imputation baselines: kNN smoothing and MAGIC
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shared steps (our own code, OpenBLAS sgemm for the heavy products):
 *  - log-normalisation: log1p (count · 10 000 / library size);
 *  - PCA: the genes are restricted to the n_hvg (2000) of highest variance of
 *    the log-normalised data, centred, and reduced by a randomized SVD
 *    (Halko, Martinsson & Tropp 2011): a Gaussian sketch with 10 extra columns,
 *    2 power (subspace) iterations re-orthonormalised by modified Gram–Schmidt,
 *    then the small problem solved by a Jacobi eigen-decomposition of B·Bᵀ;
 *  - exact kNN in PCA space, by blocks of cells: squared distances from one
 *    sgemm per block (|a|² + |b|² − 2a·b), a bounded max-heap per cell, ties
 *    broken by the lower cell index.  Memory O(block · n), never n × n.
 *
 * kNN smoothing (after Wagner, Yan & Yanai 2018, one step): each cell's values
 * are the mean of the raw counts of its k nearest cells, itself included
 * (k = 15, on 10 PCs).
 *
 * MAGIC (after van Dijk et al. 2018, with the defaults of MAGIC ≥ 1.0): 100
 * PCs, k = 5 nearest neighbours (self excluded), alpha-decay kernel
 * w_ij = exp (−(d_ij / σ_i)^40) with σ_i the distance to cell i's k-th
 * neighbour, plus w_ii = 1; symmetrised K = (W + Wᵀ) / 2, row-normalised
 * M = D⁻¹K (sparse), and X_imputed = M^t X with t = 3 on the log-normalised
 * values of all genes.  With decay 40 a neighbour beyond σ_i has a weight
 * below 10⁻³ at 1.2 σ_i, so only the k nearest are searched.  No MAGIC
 * "rescale" is applied.
 *
 * Both return dense n_cells × n_genes float32 values, row-major, ON THE COUNTS
 * SCALE: kNN smoothing averages counts; MAGIC's diffused log values are
 * mapped back with expm1 (v) · library size / 10 000 (the cell's own library
 * size), so the output can be evaluated on any scale like the reference.
 */
#pragma once

#include "gm-dataset.h"

G_BEGIN_DECLS

typedef enum
{
  GM_BASELINE_KNN,
  GM_BASELINE_MAGIC,
} GmBaseline;

typedef struct
{
  GmBaseline method;
  int        k;        /* neighbours: 15 (knn, self included), 5 (magic, self excluded) */
  int        n_pcs;    /* 10 (knn), 100 (magic); capped at min (cells − 1, genes used) */
  int        t;        /* magic: diffusion steps, 3 */
  double     decay;    /* magic: alpha-decay exponent, 40; 2 gives a Gaussian kernel */
  int        n_hvg;    /* genes used for the PCA: 2000 */
  guint64    seed;     /* the randomized SVD's sketch */
  const gint *cancel;  /* non-zero → stop with GM_ERROR_CANCELLED; read between the stages,
                        * every block of the kNN search and every 1024 cells of the smoothing
                        * and diffusion (the PCA's few large GEMMs run to their end) */
} GmBaselineParams;

void     gm_baseline_params_init (GmBaselineParams *p, GmBaseline method);

/* Records the method and its parameters in ds->uns (genomap_impute_method,
 * _k, _pcs, _seed, and _t and _decay for MAGIC), the values' scale
 * ("counts") and genomap_version; shared by the CLI and the application. */
void     gm_baseline_annotate    (GmDataset *ds, const GmBaselineParams *p);

/* Returns dense n_cells × n_genes values (free with g_free) or NULL with an error. */
float   *gm_impute_baseline      (const GmCsr *counts, const GmBaselineParams *p, GError **error);

/* Building blocks, public for the tests and the benchmark. */

/* Dense log1p (x · 10 000 / library size) of the columns in @cols (n_cols of them,
 * or all when NULL), n_rows × n_cols row-major; *lib (may be NULL) gets n_rows library sizes. */
float   *gm_lognorm_dense        (const GmCsr *m, const int32_t *cols, int64_t n_cols, double *lib);
/* Scores of the first @n_comp principal components of @a (n × p, row-major; centred
 * here in place): n × n_comp row-major.  Returns the number of components made. */
int      gm_pca_randomized       (float *a, int64_t n, int64_t p, int n_comp, guint64 seed, float *scores);
/* The k nearest other points of each of the n points (n × d), ascending by distance:
 * idx and dist are n × k.  k must be < n. */
void     gm_knn_exact            (const float *pts, int64_t n, int64_t d, int k, int32_t *idx, float *dist);

/* The k nearest other cells of every cell (itself excluded), n_rows × k
 * row-major, nearest first: exact search in the first n_pcs principal
 * components of the n_hvg most variable log-normalised genes, as the
 * baselines search (10 PCs, 2000 genes for kNN smoothing); *dist (may be
 * NULL) receives their distances there, n_rows × k.  NULL with an error
 * when there are not more than k cells or when cancelled. */
int32_t *gm_cell_neighbours      (const GmCsr *counts, int k, int n_pcs, int n_hvg, guint64 seed,
                                  const gint *cancel, float **dist, GError **error);

G_END_DECLS
