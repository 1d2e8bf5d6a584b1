/* gms-crisp-texture.h — a small texture shown crisp on a HiDPI screen
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define GMS_TYPE_CRISP_TEXTURE (gms_crisp_texture_get_type ())
G_DECLARE_FINAL_TYPE (GmsCrispTexture, gms_crisp_texture, GMS, CRISP_TEXTURE, GObject)

/* GTK 4.8 magnifies textures with linear filtering (nearest-neighbour scaling of textures is
 * 4.10's gtk_snapshot_append_scaled_texture), so a thumbnail of W × H texels in a W × H box
 * on a scale-2 screen comes out blurred.  This paintable has @texture's size but draws
 * @texture upscaled @scale× by nearest neighbour: at scale factor @scale every texel is one
 * device pixel and nothing is filtered.  With @scale ≤ 1 it returns a reference to @texture. */
GdkPaintable *gms_crisp_texture_new (GdkTexture *texture,
                                     int         scale);

G_END_DECLS
