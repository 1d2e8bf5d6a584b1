/* gms-impute-page.h — the Imputation page: settings, a background run, before/after, scores
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The page of the window's view stack where the user imputes the loaded
 * dataset (ER-Net, kNN smoothing or MAGIC; settings bound to the
 * org.genomap.Studio GSettings keys impute-method, impute-model,
 * impute-steps, impute-seed, device and colormap when that schema is
 * installed), follows training live (progress, ETA, loss curve), cancels,
 * and compares: one cell's maps before and after with their difference, the
 * per-gene Pearson scatter and histograms, one gene's values across cells.
 * Quality is measured against hidden observed values (hold-out), simulated
 * observations of the loaded data, or a reference file chosen with a
 * GtkFileChooserNative (see gms-impute-job.h for each flow).
 * The work runs in a worker thread (gms-impute-job.h); the dataset is never
 * modified.
 *
 * Properties:
 *  - "running" (boolean, read-only): a run is under way (or stopping);
 *  - "result" (GmsImputeResult, read-only): the last finished run, or NULL;
 *    a failed or cancelled run keeps the previous result;
 *  - "export-items" (GListModel of GmsExportItem, read-only): what the
 *    window's Export dialog offers for the result: the imputed dataset
 *    (.h5ad, layers/counts = the input), the per-gene Pearson table (.csv),
 *    the trained ER-Net (.gmernet checkpoint) and the before/after and
 *    difference figures of the selected cell (.png/.svg/.pdf).
 *
 * When a run ends, the page activates "win.show-toast" (a string) when its
 * window is active, and otherwise sends a desktop notification.
 */
#pragma once

#include <gtk/gtk.h>

#include "gms-dataset.h"
#include "gms-impute-job.h"
#include "gms-impute-result.h"

G_BEGIN_DECLS

#define GMS_TYPE_IMPUTE_PAGE (gms_impute_page_get_type ())
G_DECLARE_FINAL_TYPE (GmsImputePage, gms_impute_page, GMS, IMPUTE_PAGE, GtkWidget)

GtkWidget       *gms_impute_page_new             (void);
/* A loaded dataset, or NULL.  Setting another one cancels a run under way
 * and clears the result. */
void             gms_impute_page_set_dataset     (GmsImputePage         *self,
                                                  GmsDataset            *dataset);
GmsDataset      *gms_impute_page_get_dataset     (GmsImputePage         *self);

/* The settings the next run will use (from the page's controls). */
void             gms_impute_page_get_params      (GmsImputePage         *self,
                                                  GmsImputeParams       *params);
/* Sets the controls (and so the GSettings keys bound to them); the batch
 * and learning rate, which have no control, are kept for the next runs. */
void             gms_impute_page_set_params      (GmsImputePage         *self,
                                                  const GmsImputeParams *params);
/* Starts a run with the page's settings (as the Run button does); FALSE
 * when none can start (no dataset, already running, reference missing). */
gboolean         gms_impute_page_run             (GmsImputePage         *self);
void             gms_impute_page_cancel          (GmsImputePage         *self);
gboolean         gms_impute_page_get_running     (GmsImputePage         *self);

GmsImputeResult *gms_impute_page_get_result      (GmsImputePage         *self);
/* The last run's error (cancelled runs: G_IO_ERROR_CANCELLED), or NULL. */
const GError    *gms_impute_page_get_last_error  (GmsImputePage         *self);
GListModel      *gms_impute_page_get_export_items (GmsImputePage        *self);

/* The cell shown in the before/after maps (an input cell index). */
void             gms_impute_page_set_cell        (GmsImputePage         *self,
                                                  gint64                 cell);
gint64           gms_impute_page_get_cell        (GmsImputePage         *self);
/* The cell named @text, else the first whose name contains it (ignoring
 * case), or −1; what the page's "Find a cell" entry selects on Enter. */
gint64           gms_impute_page_find_cell       (GmsImputePage         *self,
                                                  const char            *text);
/* Shows @result (e.g. restored from a saved session) as if a run had made it; FALSE (and
 * nothing changes) while a run is under way or when @result is not of the page's dataset. */
gboolean         gms_impute_page_set_result      (GmsImputePage         *self,
                                                  GmsImputeResult       *result);
/* The evaluation gene selected in the Pearson plot, or −1. */
gint64           gms_impute_page_get_selected_gene (GmsImputePage       *self);
/* Selects an evaluation gene (as a click in the Pearson plot does), −1 none. */
void             gms_impute_page_select_gene     (GmsImputePage         *self,
                                                  gint64                 gene);

G_END_DECLS
