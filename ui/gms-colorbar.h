/* gms-colorbar.h — a vertical colour bar with its scale (low, middle, high) and a label
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "gm-render.h"

G_BEGIN_DECLS

#define GMS_TYPE_COLORBAR (gms_colorbar_get_type ())
G_DECLARE_FINAL_TYPE (GmsColorbar, gms_colorbar, GMS, COLORBAR, GtkWidget)

GtkWidget *gms_colorbar_new       (void);
void       gms_colorbar_set_scale (GmsColorbar *self,
                                   GmColormap   colormap,
                                   double       lo,
                                   double       hi,
                                   const char  *label);

G_END_DECLS
