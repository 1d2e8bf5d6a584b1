/* gms-cell-browser.h — the cell browser: a virtualised grid of cell thumbnails beside the GenoMap view
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Cells can be grouped by any categorical obs column, restricted to one category and
 * searched by name; the selected cell is drawn in a GmsGenomapView with a colour bar.
 * Colormap and value transform follow the GSettings keys "colormap" and
 * "value-transform" (two-way), the colour range the key "clip-quantile".
 * Property "export-items": a GListModel of GmsExportItem (the current cell's figure).
 */
#pragma once

#include <adwaita.h>

#include "gms-dataset.h"
#include "gms-genomap-view.h"

G_BEGIN_DECLS

#define GMS_TYPE_CELL_BROWSER (gms_cell_browser_get_type ())
G_DECLARE_FINAL_TYPE (GmsCellBrowser, gms_cell_browser, GMS, CELL_BROWSER, AdwBin)

GtkWidget      *gms_cell_browser_new               (void);
void            gms_cell_browser_set_dataset       (GmsCellBrowser *self,
                                                    GmsDataset     *dataset);
/* Selects (and scrolls to) a cell; returns FALSE when it is filtered out. */
gboolean        gms_cell_browser_select_cell       (GmsCellBrowser *self,
                                                    gint64          cell);
gint64          gms_cell_browser_get_selected_cell (GmsCellBrowser *self);
/* Groups by a categorical obs column (NULL: file order). */
void            gms_cell_browser_set_group_column  (GmsCellBrowser *self,
                                                    const char     *column);
/* The categorical obs column the cells are grouped by, or NULL. */
const char     *gms_cell_browser_get_group_column  (GmsCellBrowser *self);
gboolean        gms_cell_browser_highlight_gene    (GmsCellBrowser *self,
                                                    const char     *gene);
GmsGenomapView *gms_cell_browser_get_view          (GmsCellBrowser *self);
GListModel     *gms_cell_browser_get_cells         (GmsCellBrowser *self);

G_END_DECLS
