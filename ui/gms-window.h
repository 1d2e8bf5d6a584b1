/* gms-window.h — the main window: empty state, loading with progress, and the dataset pages
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gms-cell-browser.h"
#include "gms-dataset.h"
#include "gms-groups-page.h"

G_BEGIN_DECLS

#define GMS_TYPE_WINDOW (gms_window_get_type ())
G_DECLARE_FINAL_TYPE (GmsWindow, gms_window, GMS, WINDOW, AdwApplicationWindow)

GmsWindow      *gms_window_new                (GtkApplication *application);
/* Opens a dataset in this window (replacing the one shown), loading it in a worker thread. */
void            gms_window_open_file          (GmsWindow      *self,
                                               GFile          *file);
void            gms_window_show_open_dialog   (GmsWindow      *self);
/* TRUE when the window shows no dataset and loads none. */
gboolean        gms_window_is_empty           (GmsWindow      *self);
gboolean        gms_window_is_loading         (GmsWindow      *self);
/* The dataset shown, or NULL. */
GmsDataset     *gms_window_get_dataset        (GmsWindow      *self);
GmsCellBrowser *gms_window_get_cell_browser   (GmsWindow      *self);
GmsGroupsPage  *gms_window_get_groups_page    (GmsWindow      *self);
/* The name of the dataset page shown ("cells" …), or NULL without a dataset. */
const char     *gms_window_get_page           (GmsWindow      *self);
/* The Imputation page (a GmsImputePage), or NULL when it is not built. */
GtkWidget      *gms_window_get_impute_page    (GmsWindow      *self);
/* Shows a page of the dataset view: "overview", "cells", "groups", "imputation". */
void            gms_window_show_page          (GmsWindow      *self,
                                               const char     *name);
/* Every exportable item of every page (a new list of GmsExportItem). */
GListModel     *gms_window_dup_export_items   (GmsWindow      *self);
/* Opens the export dialog and returns it. */
GtkWidget      *gms_window_show_export_dialog (GmsWindow      *self);
void            gms_window_show_toast         (GmsWindow      *self,
                                               const char     *text);
/* Saves the session (the dataset, the imputation shown on the Imputation page, the layout
 * and the view state; see gms-session.h) to @file in a worker thread.  A toast says when it
 * is saved; a dialog names the file when it could not be.  "saving" is TRUE meanwhile. */
void            gms_window_save_session       (GmsWindow      *self,
                                               GFile          *file);
gboolean        gms_window_is_saving          (GmsWindow      *self);
/* The last save's error (a cancelled save: GM_ERROR_CANCELLED), or NULL. */
const GError   *gms_window_get_save_error     (GmsWindow      *self);
/* Where Ctrl+S writes: the session file the dataset was opened from or last saved to, or NULL. */
GFile          *gms_window_get_session_file   (GmsWindow      *self);
/* The demo dataset bundled with the application, or NULL when none is found. */
GFile          *gms_window_find_demo_dataset  (void);

G_END_DECLS
