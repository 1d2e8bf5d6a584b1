/* gms-session.h — saving the work in one h5ad and opening it where the user left it
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A session file is an ordinary AnnData 0.8 .h5ad (any AnnData reader opens it):
 *
 *  - X: the imputed values (dense float32, as `genomap-cli impute` writes them) when the
 *    session holds an imputation, else the counts;
 *  - layers/counts: the counts, when X holds the imputed values;
 *  - obs, var and uns of the dataset, the GenoMap layout (gm_layout_attach: var
 *    genomap_row/genomap_col, uns genomap_grid …) and, with an imputation, var
 *    genomap_imputed (ER-Net) and uns genomap_impute_* (the parameters of the run);
 *  - the evaluation of the run as var columns genomap_r_before, genomap_r_after,
 *    genomap_mse_before, genomap_mse_after (float64, NaN = undefined) and, in hold-out mode,
 *    genomap_holdout_n_hidden and genomap_holdout_r, with its summary in uns genomap_eval_* and
 *    genomap_holdout_* (numbers written with 17 significant digits, so they read back exactly);
 *  - uns genomap_session_version ("1": what marks the file as a session), genomap_session_x
 *    ("imputed" or "counts"), genomap_session_result_* (method, evaluation mode, summary) and
 *    the view state: genomap_session_<key> for every entry of the @view table given to
 *    gms_session_write () (the window's page, cell, grouping, colormap, zoom …).
 *
 * Opening: GmsDataset reads X; when uns genomap_session_version is there and X holds
 * imputed values, it reads layers/counts as the dataset and keeps the first read as the
 * imputation.  gms_session_restore () (in the loading thread) takes the evaluation and the
 * view state out of the dataset's var and uns and rebuilds a GmsImputeResult (no model: the
 * trained network is not saved; the gene trace then shows the loaded values and their
 * imputation, as the masked or simulated observations are not saved either).
 */
#pragma once

#include "gm-dataset.h"
#include "gm-layout.h"
#include "gms-impute-result.h"

G_BEGIN_DECLS

#define GMS_SESSION_VERSION "1"

typedef struct _GmsSession GmsSession;

/* Writes a session file through gm_write (temporary sibling + rename).  @counts: the
 * dataset; @layout: its GenoMap layout; @result: the imputation or NULL; @view: string →
 * string (keys without the genomap_session_ prefix) or NULL.  Any thread. */
gboolean         gms_session_write        (const GmDataset   *counts,
                                           const GmLayout    *layout,
                                           GmsImputeResult   *result,
                                           GHashTable        *view,
                                           const char        *path,
                                           const gint        *cancel,
                                           GError           **error);

/* TRUE when @ds was read from a session file (uns genomap_session_version). */
gboolean         gms_session_is_session   (const GmDataset   *ds);
/* TRUE when its X holds the imputed values (the counts are in layers/counts). */
gboolean         gms_session_has_imputed  (const GmDataset   *ds);

/* Loading thread: takes the session's entries out of @ds (the counts; its var and uns lose
 * the evaluation columns and the genomap_session_* / genomap_eval_* / genomap_holdout_* /
 * genomap_impute_* entries) and, when @imputed (taken) is given, rebuilds the imputation
 * result on @ds and a copy of @layout.  The result has no owner until
 * gms_session_take_result (). */
GmsSession      *gms_session_restore      (GmDataset         *ds,
                                           GmDataset         *imputed,
                                           const GmLayout    *layout,
                                           GError           **error);
void             gms_session_free         (GmsSession        *session);
/* The view state (keys without the prefix → values); never NULL. */
GHashTable      *gms_session_get_view     (GmsSession        *session);
/* The restored imputation (a new reference, now keeping @owner — the object that owns the
 * input dataset — alive), or NULL; a second call returns NULL. */
GmsImputeResult *gms_session_take_result  (GmsSession        *session,
                                           GObject           *owner);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GmsSession, gms_session_free)

G_END_DECLS
