/* gms-impute-job.h — imputation and evaluation in a worker thread
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * gms_impute_run_async () runs, in a GTask thread, exactly what
 * `genomap-cli impute` and `genomap-cli evaluate` run through the core:
 *
 *   hold-out mode    masked = gm_simulate_holdout (input, fraction, seed);
 *                    train on masked (ER-Net) and impute both masked (for
 *                    scoring) and the input (the result); score with
 *                    gm_evaluate (input, imputed masked, masked) and
 *                    gm_evaluate_holdout (input, masked, imputed masked);
 *   simulated mode   observed = gm_simulate_efficiency (input, shape 10,
 *                    efficiency E %), then as hold-out mode with observed
 *                    for masked: gm_evaluate (input, imputed observed,
 *                    observed) (the CLI's `simulate --efficiency` flow);
 *   reference mode   read the reference (gm_read), impute the input, score
 *                    with gm_evaluate (reference, imputed, input).
 *
 * Scores are on the log-normalised scale.  The input is never modified: the
 * worker only reads it, and everything it makes belongs to the
 * GmsImputeResult handed to the callback (by pointer, nothing is copied on
 * the main thread).  ER-Net progress (step, loss, ETA) and stage changes are
 * coalesced under a mutex and delivered on the caller's main context by at
 * most one pending idle source (never from the worker).  Cancelling the
 * GCancellable sets the core's cancel flag, which ER-Net reads before every
 * training step and inference batch and the readers and writers read between
 * blocks; kNN and MAGIC are checked between stages only.
 */
#pragma once

#include <gio/gio.h>

#include "gms-impute-result.h"

G_BEGIN_DECLS

typedef struct
{
  GmsImputeMethod method;
  GmErnetPreset   preset;        /* ER-Net model size */
  GmErnetRecipe   recipe;        /* ER-Net training (gm-impute.h): neighbours (the default) or tcer */
  int             steps;         /* ER-Net training steps */
  int             batch;         /* ER-Net cells per step; 0 = core default (64) */
  double          lr;            /* ER-Net learning rate; 0 = core default */
  guint64         seed;
  char           *device;        /* ER-Net: "auto" (NULL too), "cpu", "cuda", "cuda:N" (gm-nn-device.h) */
  GmsEvalMode     eval_mode;
  double          holdout_fraction;   /* hold-out mode: 0 < f < 1 (0.1) */
  double          sim_efficiency;     /* simulated mode: mean capture efficiency in PERCENT (10) */
  char           *reference_path;     /* reference mode */
} GmsImputeParams;

void gms_impute_params_init  (GmsImputeParams       *params);
void gms_impute_params_copy  (const GmsImputeParams *src,
                              GmsImputeParams       *dst);
void gms_impute_params_clear (GmsImputeParams       *params);

/* Called on the main context.  @losses holds the losses of steps
 * first_step … first_step + n_losses − 1 (1-based) not delivered before;
 * @stage is a translated description of what runs now; @fraction in [0, 1]
 * (−1 when unknown); @eta_seconds −1 when unknown. */
typedef void (*GmsImputeProgressFunc) (const double *losses,
                                       guint         n_losses,
                                       int           first_step,
                                       int           steps,
                                       const char   *stage,
                                       double        fraction,
                                       double        eta_seconds,
                                       gpointer      user_data);

/* @owner (a GObject that keeps @input and @layout alive, e.g. the
 * GmsDataset) is referenced until the result is freed.  @source_object is the
 * task's source object (the page).  @progress_data is not referenced: it
 * must live until @callback has run (the source object is the natural
 * choice). */
void             gms_impute_run_async  (gpointer               source_object,
                                        const GmsImputeParams *params,
                                        GObject               *owner,
                                        const GmDataset       *input,
                                        const GmLayout        *layout,
                                        GmsImputeProgressFunc  progress,
                                        gpointer               progress_data,
                                        GCancellable          *cancellable,
                                        GAsyncReadyCallback    callback,
                                        gpointer               user_data);
/* Cancelled runs fail with G_IO_ERROR_CANCELLED. */
GmsImputeResult *gms_impute_run_finish (GAsyncResult          *result,
                                        GError               **error);

/* A deep copy of a layout (the result keeps its own). */
GmLayout        *gms_impute_layout_copy (const GmLayout       *layout);

G_END_DECLS
