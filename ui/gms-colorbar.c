/* gms-colorbar.c — a vertical colour bar with its scale
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gms-colorbar.h"

#define BAR_WIDTH 16
#define N_STEPS   128
#define TICK_GAP  6

struct _GmsColorbar
{
  GtkWidget   parent_instance;
  GmColormap  colormap;
  double      lo, hi;
  char       *label;
};

G_DEFINE_FINAL_TYPE (GmsColorbar, gms_colorbar, GTK_TYPE_WIDGET)

static char *
format_tick (double v)
{
  return g_strdup_printf ("%.3g", v);
}

static int
ticks_width (GmsColorbar *self)
{
  int widest = 0;
  double values[3] = { self->lo, (self->lo + self->hi) / 2, self->hi };

  for (int i = 0; i < 3; i++)
    {
      g_autofree char *text = format_tick (values[i]);
      g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
      int w, h;
      pango_layout_get_pixel_size (layout, &w, &h);
      widest = MAX (widest, w);
    }
  return widest;
}

static void
gms_colorbar_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  GmsColorbar *self = GMS_COLORBAR (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      int label_h = 0;
      if (self->label != NULL)
        {
          g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, self->label);
          int w;
          pango_layout_get_pixel_size (layout, &w, &label_h);
        }
      /* the label is drawn rotated along the bar */
      *minimum = *natural = BAR_WIDTH + TICK_GAP + ticks_width (self) + TICK_GAP + label_h;
    }
  else
    {
      *minimum = 64;
      *natural = 240;
    }
}

static void
gms_colorbar_snapshot (GtkWidget   *widget,
                       GtkSnapshot *snapshot)
{
  GmsColorbar *self = GMS_COLORBAR (widget);
  double h = gtk_widget_get_height (widget);
  double top = 8, bottom = h - 8, span = bottom - top;
  GdkRGBA fg;
  double values[3] = { self->hi, (self->lo + self->hi) / 2, self->lo };
  int tw = ticks_width (self);

  if (span <= 0)
    return;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS

  for (int i = 0; i < N_STEPS; i++)
    {
      double rgb[3];
      double y0 = top + span * i / N_STEPS, y1 = top + span * (i + 1) / N_STEPS;
      gm_colormap_sample (self->colormap, 1.0 - (i + 0.5) / N_STEPS, rgb);
      gtk_snapshot_append_color (snapshot, &(GdkRGBA) { rgb[0], rgb[1], rgb[2], 1 },
                                 &GRAPHENE_RECT_INIT (0, y0, BAR_WIDTH, y1 - y0 + 0.5));
    }

  for (int i = 0; i < 3; i++)
    {
      g_autofree char *text = format_tick (values[i]);
      g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, text);
      int w, th;
      double y = top + span * i / 2.0;

      pango_layout_get_pixel_size (layout, &w, &th);
      gtk_snapshot_append_color (snapshot, &fg, &GRAPHENE_RECT_INIT (BAR_WIDTH, y - 0.5, 3, 1));
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (BAR_WIDTH + TICK_GAP,
                                                              CLAMP (y - th / 2.0, 0, h - th)));
      gtk_snapshot_append_layout (snapshot, layout, &fg);
      gtk_snapshot_restore (snapshot);
    }

  if (self->label != NULL)
    {
      g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, self->label);
      int w, th;

      pango_layout_get_pixel_size (layout, &w, &th);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (BAR_WIDTH + 2 * TICK_GAP + tw,
                                                              top + span / 2.0 + w / 2.0));
      gtk_snapshot_rotate (snapshot, -90);
      gtk_snapshot_append_layout (snapshot, layout, &fg);
      gtk_snapshot_restore (snapshot);
    }
}

static void
gms_colorbar_finalize (GObject *object)
{
  g_free (GMS_COLORBAR (object)->label);
  G_OBJECT_CLASS (gms_colorbar_parent_class)->finalize (object);
}

static void
gms_colorbar_class_init (GmsColorbarClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = gms_colorbar_finalize;
  widget_class->measure = gms_colorbar_measure;
  widget_class->snapshot = gms_colorbar_snapshot;
  gtk_widget_class_set_css_name (widget_class, "colorbar");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
gms_colorbar_init (GmsColorbar *self)
{
  self->hi = 1.0;
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Colour scale"), -1);
}

GtkWidget *
gms_colorbar_new (void)
{
  return g_object_new (GMS_TYPE_COLORBAR, NULL);
}

void
gms_colorbar_set_scale (GmsColorbar *self,
                        GmColormap   colormap,
                        double       lo,
                        double       hi,
                        const char  *label)
{
  g_autofree char *description = NULL;

  g_return_if_fail (GMS_IS_COLORBAR (self));
  self->colormap = colormap;
  self->lo = lo;
  self->hi = hi;
  g_free (self->label);
  self->label = g_strdup (label);
  /* Translators: accessible description of the colour bar: colormap, low, high */
  description = g_strdup_printf (_("%s, from %.3g to %.3g"), gm_colormap_name (colormap), lo, hi);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  description, -1);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}
