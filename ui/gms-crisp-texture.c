/* gms-crisp-texture.c — a small texture shown crisp on a HiDPI screen
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "gms-crisp-texture.h"

struct _GmsCrispTexture
{
  GObject     parent_instance;
  GdkTexture *big;            /* scale × the size, nearest neighbour */
  int         width, height;  /* the original texture's size */
};

static void gms_crisp_texture_paintable_init (GdkPaintableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (GmsCrispTexture, gms_crisp_texture, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (GDK_TYPE_PAINTABLE, gms_crisp_texture_paintable_init))

static void
gms_crisp_texture_snapshot (GdkPaintable *paintable,
                            GdkSnapshot  *snapshot,
                            double        width,
                            double        height)
{
  GmsCrispTexture *self = GMS_CRISP_TEXTURE (paintable);

  gtk_snapshot_append_texture (GTK_SNAPSHOT (snapshot), self->big, &GRAPHENE_RECT_INIT (0, 0, width, height));
}

static int
gms_crisp_texture_get_intrinsic_width (GdkPaintable *paintable)
{
  return GMS_CRISP_TEXTURE (paintable)->width;
}

static int
gms_crisp_texture_get_intrinsic_height (GdkPaintable *paintable)
{
  return GMS_CRISP_TEXTURE (paintable)->height;
}

static GdkPaintableFlags
gms_crisp_texture_get_flags (GdkPaintable *paintable)
{
  return GDK_PAINTABLE_STATIC_SIZE | GDK_PAINTABLE_STATIC_CONTENTS;
}

static void
gms_crisp_texture_paintable_init (GdkPaintableInterface *iface)
{
  iface->snapshot = gms_crisp_texture_snapshot;
  iface->get_intrinsic_width = gms_crisp_texture_get_intrinsic_width;
  iface->get_intrinsic_height = gms_crisp_texture_get_intrinsic_height;
  iface->get_flags = gms_crisp_texture_get_flags;
}

static void
gms_crisp_texture_finalize (GObject *object)
{
  g_clear_object (&GMS_CRISP_TEXTURE (object)->big);
  G_OBJECT_CLASS (gms_crisp_texture_parent_class)->finalize (object);
}

static void
gms_crisp_texture_class_init (GmsCrispTextureClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gms_crisp_texture_finalize;
}

static void
gms_crisp_texture_init (GmsCrispTexture *self)
{
}

GdkPaintable *
gms_crisp_texture_new (GdkTexture *texture,
                       int         scale)
{
  GmsCrispTexture *self;
  int w, h, W, H;
  g_autofree guint32 *small = NULL;
  guint32 *big;
  g_autoptr(GBytes) bytes = NULL;

  g_return_val_if_fail (GDK_IS_TEXTURE (texture), NULL);

  if (scale <= 1)
    return GDK_PAINTABLE (g_object_ref (texture));
  w = gdk_texture_get_width (texture);
  h = gdk_texture_get_height (texture);
  W = w * scale;
  H = h * scale;
  small = g_new (guint32, (gsize) w * h);
  gdk_texture_download (texture, (guchar *) small, (gsize) w * 4);   /* cairo's ARGB32 */
  big = g_new (guint32, (gsize) W * H);
  for (int y = 0; y < h; y++)
    {
      guint32 *row = big + (gsize) y * scale * W;

      for (int x = 0; x < w; x++)
        for (int k = 0; k < scale; k++)
          row[x * scale + k] = small[(gsize) y * w + x];
      for (int k = 1; k < scale; k++)
        memcpy (row + (gsize) k * W, row, (gsize) W * 4);
    }
  bytes = g_bytes_new_take (big, (gsize) W * H * 4);

  self = g_object_new (GMS_TYPE_CRISP_TEXTURE, NULL);
  self->width = w;
  self->height = h;
  self->big = gdk_memory_texture_new (W, H, GDK_MEMORY_DEFAULT, bytes, (gsize) W * 4);
  return GDK_PAINTABLE (self);
}
