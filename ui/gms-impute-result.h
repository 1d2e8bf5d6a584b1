/* gms-impute-result.h — the outcome of one imputation run: imputed data, model, scores
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GmsImputeResult is made once, by the background worker (gms-impute-job.c),
 * and never changes afterwards, so any thread may read it (an export worker
 * included) as long as it holds a reference.  It keeps the input dataset
 * alive through a reference on the object that owns it (the GmsDataset), and
 * owns everything else: the imputed dataset, the trained model, a copy of the
 * layout, the evaluation and the GenoMap mappers of the before/after view.
 *
 * Exports (for the export dialog):
 *  - gms_impute_result_get_imputed_dataset (): X = the imputed values on the
 *    counts scale (CSR, zeros left out), the input's names, obs, var and uns,
 *    plus uns genomap_impute_* (the parameters), var genomap_row/col (the
 *    layout) and, for ER-Net, var genomap_imputed.  Write it like the CLI's
 *    `impute` does, with the input counts as layers/counts:
 *    gms_impute_result_write_h5ad (), or gm_write_h5ad () with
 *    GmWriteOptions.counts_layer = gms_impute_result_get_counts_layer ().
 *  - gms_impute_result_get_model (): the trained ER-Net (NULL for kNN and
 *    MAGIC), for gm_ernet_checkpoint_save ().
 *  - gms_impute_result_write_pearson_csv (): the per-gene Pearson table.
 * All writers go through core gm_output_* (temporary sibling + rename) and may
 * run in a worker thread.
 */
#pragma once

#include <glib-object.h>

#include "gm-evaluate.h"
#include "gm-impute.h"
#include "gm-layout.h"

G_BEGIN_DECLS

typedef enum
{
  GMS_IMPUTE_METHOD_ERNET,
  GMS_IMPUTE_METHOD_KNN,
  GMS_IMPUTE_METHOD_MAGIC,
} GmsImputeMethod;

typedef enum
{
  GMS_EVAL_HOLDOUT,     /* hide a fraction of the observed non-zeros before training */
  GMS_EVAL_SIMULATED,   /* the input is the reference; score the imputation of SAVER-style
                         * simulated observations of it (gm_simulate_efficiency) */
  GMS_EVAL_REFERENCE,   /* a reference file with the same cells and genes */
} GmsEvalMode;

/* "ernet", "knn", "magic" (the GSettings values) and back. */
const char *gms_impute_method_to_string   (GmsImputeMethod method);
gboolean    gms_impute_method_from_string (const char *s, GmsImputeMethod *out);

#define GMS_TYPE_IMPUTE_RESULT (gms_impute_result_get_type ())
G_DECLARE_FINAL_TYPE (GmsImputeResult, gms_impute_result, GMS, IMPUTE_RESULT, GObject)

/* A result restored from a saved session (gms-session.h) rather than made by a run: takes
 * @imputed, @eval and @holdout (may be NULL) in every case and copies @layout.  There is no
 * model, and the gene trace compares the input with its imputation (the masked or simulated
 * observations of the run were not saved).  The owner is set later by the session code. */
GmsImputeResult   *gms_impute_result_new_restored        (const GmDataset  *input,
                                                          const GmLayout   *layout,
                                                          GmDataset        *imputed,
                                                          GmEvalResult     *eval,
                                                          GmHoldoutResult  *holdout,
                                                          GmsImputeMethod   method,
                                                          GmsEvalMode       eval_mode,
                                                          const char       *summary,
                                                          GError          **error);

GmsImputeMethod    gms_impute_result_get_method          (GmsImputeResult *self);
GmsEvalMode        gms_impute_result_get_eval_mode       (GmsImputeResult *self);
/* One line for the user, e.g. "ER-Net (tiny), 30 steps, 1.2 s". */
const char        *gms_impute_result_get_summary         (GmsImputeResult *self);
/* ER-Net with device "auto" on the CPU: why the GPU was not used; else NULL. */
const char        *gms_impute_result_get_device_notice   (GmsImputeResult *self);

/* The input (not owned; alive as long as the result) and the imputation. */
const GmDataset   *gms_impute_result_get_input           (GmsImputeResult *self);
const GmDataset   *gms_impute_result_get_imputed_dataset (GmsImputeResult *self);
const GmCsr       *gms_impute_result_get_counts_layer    (GmsImputeResult *self);
GmErnetModel      *gms_impute_result_get_model           (GmsImputeResult *self);
const GmLayout    *gms_impute_result_get_layout          (GmsImputeResult *self);

/* The per-gene scores against the reference ("before" = observed, "after" =
 * imputed), on the log-normalised scale, genes in the reference's order.  In
 * hold-out mode the reference is the input, "before" the masked input and
 * "after" the imputation of the masked input; get_holdout () then also gives
 * the scores over the hidden entries only (NULL in the other modes).  In
 * simulated mode the reference is the input, "before" the simulated
 * observations and "after" their imputation.  The exported / compared
 * imputation is always that of the input itself (in hold-out and simulated
 * mode, by the model trained on the masked or simulated data). */
const GmEvalResult    *gms_impute_result_get_evaluation  (GmsImputeResult *self);
const GmHoldoutResult *gms_impute_result_get_holdout     (GmsImputeResult *self);

/* The GenoMap images of input cell @cell, rows × cols floats each (layout
 * grid, row-major, NaN = no gene), log1p of counts per 10 000: @observed from
 * the input, @imputed from the imputation.  Either may be NULL. */
void      gms_impute_result_map_cell    (GmsImputeResult *self,
                                         int64_t          cell,
                                         float           *observed,
                                         float           *imputed);
/* The map pixel (row, col) of evaluation gene @gene (index into
 * get_evaluation ()->gene_names); FALSE when the gene is not on the map. */
gboolean  gms_impute_result_gene_pixel  (GmsImputeResult *self,
                                         int64_t          gene,
                                         int             *row,
                                         int             *col);
/* Evaluation gene @gene across the scored cells, log-normalised: reference,
 * observed (before) and imputed (after) values, each *n_cells long (g_free). */
gboolean  gms_impute_result_gene_trace  (GmsImputeResult *self,
                                         int64_t          gene,
                                         double         **reference,
                                         double         **observed,
                                         double         **imputed,
                                         int64_t         *n_cells);

/* CSV, one row per gene: gene,r_before,r_after,mse_before,mse_after and, in
 * hold-out mode, n_hidden,r_hidden; empty cells are undefined values.  The
 * text is what gms_impute_result_write_pearson_csv () writes. */
char     *gms_impute_result_pearson_csv       (GmsImputeResult *self);
gboolean  gms_impute_result_write_pearson_csv (GmsImputeResult *self,
                                               const char      *path,
                                               GError         **error);
/* The imputed dataset as an .h5ad like `genomap-cli impute` writes it: X
 * dense float32, layers/counts = the input counts (CSR).
 * @cancel (may be NULL): non-zero stops the write (GM_ERROR_CANCELLED). */
gboolean  gms_impute_result_write_h5ad        (GmsImputeResult *self,
                                               const char      *path,
                                               const gint      *cancel,
                                               GError         **error);

G_END_DECLS
