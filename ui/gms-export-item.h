/* gms-export-item.h — something the export dialog can write: a figure, a matrix, a table …
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * How to add exports (e.g. the imputed matrix, a checkpoint, the per-gene Pearson table):
 *
 *   1. Take an immutable snapshot of what is to be written (copy it, or hold a reference
 *      to an object nobody modifies any more) and write a GmsExportFunc that writes it to
 *      a path.  The function runs in a worker thread: no GTK calls, honour @cancellable,
 *      and write through a temporary sibling that is renamed into place on success
 *      (core's gm_output_begin/commit, gm_write, gm_figure_save and gm_output_write_text
 *      already do), so that an export is never half-written.  Errors should name the path.
 *   2. Create the item with gms_export_item_new() (or the _new_figure / _new_matrix
 *      helpers): a title and subtitle for the dialog's list, the kind, the file extensions
 *      it can write (without the dot, the first one preferred unless the user's GSettings
 *      default applies), and a default base name without extension.
 *   3. Make the item reachable: any page of the window's main stack that has a readable
 *      property "export-items" holding a GListModel of GmsExportItem contributes its items
 *      to the Export dialog (win.export, Ctrl+E); notify the property when the list
 *      changes.  No header of the window is needed.
 */
#pragma once

#include <gio/gio.h>

#include "gms-dataset.h"
#include "gms-figure.h"

G_BEGIN_DECLS

typedef enum
{
  GMS_EXPORT_FIGURE,   /* png / svg / pdf; the options' dpi applies to png */
  GMS_EXPORT_MATRIX,   /* h5ad / loom / csv / tsv … */
  GMS_EXPORT_TABLE,    /* tsv / csv */
  GMS_EXPORT_OTHER,
} GmsExportKind;

typedef struct
{
  double dpi;          /* figures written as PNG */
} GmsExportOptions;

/* Runs in a worker thread; @path has one of the item's extensions. */
typedef gboolean (*GmsExportFunc) (const char              *path,
                                   const GmsExportOptions  *options,
                                   gpointer                 data,
                                   GCancellable            *cancellable,
                                   GError                 **error);

#define GMS_TYPE_EXPORT_ITEM (gms_export_item_get_type ())
G_DECLARE_FINAL_TYPE (GmsExportItem, gms_export_item, GMS, EXPORT_ITEM, GObject)

GmsExportItem      *gms_export_item_new              (const char          *title,
                                                      const char          *subtitle,
                                                      GmsExportKind        kind,
                                                      const char * const  *extensions,
                                                      const char          *default_basename,
                                                      GmsExportFunc        func,
                                                      gpointer             data,
                                                      GDestroyNotify       destroy);
/* A figure saved with gm_figure_save (png, svg, pdf). */
GmsExportItem      *gms_export_item_new_figure       (const char          *title,
                                                      const char          *subtitle,
                                                      const char          *default_basename,
                                                      GmsFigure           *figure);
/* The dataset's matrix and annotations written with gm_write (h5ad, loom, csv, tsv),
 * with its GenoMap layout attached (var genomap_row / genomap_col) in h5ad. */
GmsExportItem      *gms_export_item_new_matrix       (GmsDataset          *dataset);

const char         *gms_export_item_get_title        (GmsExportItem       *self);
const char         *gms_export_item_get_subtitle     (GmsExportItem       *self);
GmsExportKind       gms_export_item_get_kind         (GmsExportItem       *self);
const char * const *gms_export_item_get_extensions   (GmsExportItem       *self);
const char         *gms_export_item_get_default_basename (GmsExportItem   *self);

/* Runs the item's function in a worker thread. */
void                gms_export_item_save_async       (GmsExportItem       *self,
                                                      const char          *path,
                                                      const GmsExportOptions *options,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean            gms_export_item_save_finish      (GmsExportItem       *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);
/* The same in the calling thread (tests). */
gboolean            gms_export_item_save             (GmsExportItem       *self,
                                                      const char          *path,
                                                      const GmsExportOptions *options,
                                                      GCancellable        *cancellable,
                                                      GError             **error);

/* A file name made safe from a title: "T cell − B cell" → "T-cell-B-cell". */
char               *gms_export_safe_basename         (const char          *text);

G_END_DECLS
