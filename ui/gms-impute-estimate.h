/* gms-impute-estimate.h — how long an imputation will take and how much memory it needs
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A table of measured costs (see gms-impute-estimate.c for where every number
 * comes from), scaled to the map size, the batch, the number of cells and
 * genes.  These are CPU figures for the 2-core reference machine: a faster
 * machine runs proportionally faster.  The page shows them as "about …".
 */
#pragma once

#include "gms-impute-result.h"

G_BEGIN_DECLS

typedef struct
{
  double  step_seconds;    /* ER-Net: one training step; 0 for kNN / MAGIC */
  double  seconds;         /* the whole run: training, imputation, scoring */
  guint64 bytes;           /* peak memory of the run on top of the loaded dataset */
  gsize   n_params;        /* ER-Net trainable parameters; 0 for kNN / MAGIC */
  int     map_size;        /* ER-Net: side T of the padded square maps */
} GmsImputeEstimate;

/* The side of the square the network sees: the smallest multiple of 4 that
 * is ≥ rows, cols and 8 (core/gm-impute.h). */
int      gms_impute_padded_size  (int rows,
                                  int cols);
/* Trainable parameters of a preset (exact: counted from the network). */
gsize    gms_impute_n_params     (GmErnetPreset preset);

void     gms_impute_estimate     (GmsImputeMethod    method,
                                  GmErnetPreset      preset,
                                  GmErnetRecipe      recipe,
                                  int                map_rows,
                                  int                map_cols,
                                  int64_t            n_cells,
                                  int64_t            n_genes,
                                  int                steps,
                                  int                batch,    /* ≤ 0: 64 */
                                  gboolean           holdout,
                                  GmsImputeEstimate *out);

G_END_DECLS
