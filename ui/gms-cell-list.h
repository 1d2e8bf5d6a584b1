/* gms-cell-list.h — the cells of a dataset as a GListModel of GmsCell, grouped and filtered
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The model holds only an array of cell indices (the cells that pass the filters, in
 * group order); GmsCell items are created when a view asks for them and reused.  With
 * 100 000 cells a filter change rebuilds the index array in a few milliseconds.
 */
#pragma once

#include <gio/gio.h>

#include "gms-cell.h"
#include "gms-dataset.h"

G_BEGIN_DECLS

#define GMS_TYPE_CELL_LIST (gms_cell_list_get_type ())
G_DECLARE_FINAL_TYPE (GmsCellList, gms_cell_list, GMS, CELL_LIST, GObject)

GmsCellList *gms_cell_list_new              (GmsDataset  *dataset);
/* Groups (orders) the cells by a categorical obs column, or by file order for NULL.
 * Resets the category filter. */
void         gms_cell_list_set_group_column (GmsCellList *self,
                                             const char  *column);
const char  *gms_cell_list_get_group_column (GmsCellList *self);
/* Shows only the cells of category @code of the grouping column (-1: all). */
void         gms_cell_list_set_category     (GmsCellList *self,
                                             int          code);
/* Shows only cells whose name contains @text (case-insensitive; NULL or "": all). */
void         gms_cell_list_set_search       (GmsCellList *self,
                                             const char  *text);
/* The position of a cell, or G_MAXUINT when it is filtered out. */
guint        gms_cell_list_find             (GmsCellList *self,
                                             gint64       cell);
gint64       gms_cell_list_get_cell         (GmsCellList *self,
                                             guint        position);
/* An existing item for @cell, or NULL (no reference). */
GmsCell     *gms_cell_list_peek_item        (GmsCellList *self,
                                             gint64       cell);

G_END_DECLS
