/* gms-export-dialog.h — export figures, matrices and tables
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shows a list of GmsExportItem (see gms-export-item.h for how to add items), the formats
 * of the chosen one (defaults from GSettings export-figure-format / export-matrix-format)
 * and the PNG resolution (export-dpi).  "Export…" asks for a file with a default name,
 * then writes it in a worker thread (Cancel stops it); on success the dialog closes and
 * activates "win.exported" (string: the file's URI) on its transient parent, which shows
 * a toast with an "Open Folder" button; on failure an AdwMessageDialog names the file
 * and the problem.
 */
#pragma once

#include <adwaita.h>

#include "gms-export-item.h"

G_BEGIN_DECLS

#define GMS_TYPE_EXPORT_DIALOG (gms_export_dialog_get_type ())
G_DECLARE_FINAL_TYPE (GmsExportDialog, gms_export_dialog, GMS, EXPORT_DIALOG, AdwWindow)

GtkWidget *gms_export_dialog_new         (GtkWindow       *parent,
                                          GListModel      *items);
/* Chooses an item by position. */
void       gms_export_dialog_select_item (GmsExportDialog *self,
                                          guint            position);
/* Writes the chosen item to @file without asking (its extension picks the format). */
void       gms_export_dialog_export_to   (GmsExportDialog *self,
                                          GFile           *file);

G_END_DECLS
