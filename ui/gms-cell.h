/* gms-cell.h — one cell of a dataset as a list item (name, group, thumbnail)
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define GMS_TYPE_CELL (gms_cell_get_type ())
G_DECLARE_FINAL_TYPE (GmsCell, gms_cell, GMS, CELL, GObject)

GmsCell    *gms_cell_new           (gint64      index,
                                    const char *name);
gint64      gms_cell_get_index     (GmsCell    *self);
const char *gms_cell_get_name      (GmsCell    *self);
/* The category of the grouping column, or NULL. */
const char *gms_cell_get_group     (GmsCell    *self);
void        gms_cell_set_group     (GmsCell    *self,
                                    const char *group);
GdkTexture *gms_cell_get_thumbnail (GmsCell    *self);
void        gms_cell_set_thumbnail (GmsCell    *self,
                                    GdkTexture *thumbnail);

G_END_DECLS
