/* gms-loss-plot.c — the training loss of ER-Net, live, on a logarithmic axis
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Drawn with cairo (gtk_snapshot_append_cairo; GTK 4.8 has no path API).
 * With more steps than pixels, each pixel column shows the minimum and the
 * maximum of its steps, so the drawing costs O(width) per frame plus one
 * pass over the points.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "gms-draw.h"
#include "gms-loss-plot.h"

struct _GmsLossPlot
{
  GtkWidget  parent_instance;

  GArray    *losses;      /* double; losses->data[i] is step i + 1 */
  int        steps;
};

G_DEFINE_FINAL_TYPE (GmsLossPlot, gms_loss_plot, GTK_TYPE_WIDGET)

#define MARGIN_LEFT   52.0
#define MARGIN_RIGHT  12.0
#define MARGIN_TOP    10.0
#define MARGIN_BOTTOM 30.0

static void
gms_loss_plot_snapshot (GtkWidget   *widget,
                        GtkSnapshot *snapshot)
{
  GmsLossPlot *self = GMS_LOSS_PLOT (widget);
  double width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  double pw = width - MARGIN_LEFT - MARGIN_RIGHT, ph = height - MARGIN_TOP - MARGIN_BOTTOM;
  const double *v = (const double *) (gpointer) self->losses->data;
  guint n = self->losses->len;
  int steps = MAX (self->steps, (int) n);
  double lo = INFINITY, hi = -INFINITY, llo, lhi;
  GdkRGBA fg, accent = { 0.208, 0.518, 0.894, 1.0 };
  cairo_t *cr;
  char buf[64];

  if (pw < 20 || ph < 20)
    return;
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));

  /* frame and x axis */
  gms_draw_set_source (cr, &fg, 0.35);
  gms_draw_frame (cr, MARGIN_LEFT, MARGIN_TOP, pw, ph);
  gms_draw_set_source (cr, &fg, 0.8);
  gms_draw_text (widget, cr, _("Step"), MARGIN_LEFT + pw / 2, height - 2, 0.5, 1.0);
  g_snprintf (buf, sizeof buf, "%d", MAX (steps, 1));
  gms_draw_text (widget, cr, buf, MARGIN_LEFT + pw, MARGIN_TOP + ph + 2, 1.0, 0.0);
  gms_draw_text (widget, cr, "1", MARGIN_LEFT, MARGIN_TOP + ph + 2, 0.0, 0.0);

  for (guint i = 0; i < n; i++)
    if (v[i] > 0 && isfinite (v[i]))
      {
        lo = MIN (lo, v[i]);
        hi = MAX (hi, v[i]);
      }
  if (!(lo <= hi))
    {
      gms_draw_text (widget, cr, n == 0 ? _("The training loss appears here") : _("No positive loss to show"),
                     MARGIN_LEFT + pw / 2, MARGIN_TOP + ph / 2, 0.5, 0.5);
      cairo_destroy (cr);
      return;
    }
  /* whole decades around the data, at least one */
  llo = floor (log10 (lo));
  lhi = ceil (log10 (hi));
  if (lhi <= llo)
    lhi = llo + 1;

  for (double d = llo; d <= lhi + 1e-9; d += 1)
    {
      double y = MARGIN_TOP + ph - (d - llo) / (lhi - llo) * ph;

      gms_draw_set_source (cr, &fg, 0.12);
      cairo_move_to (cr, MARGIN_LEFT, round (y) + 0.5);
      cairo_line_to (cr, MARGIN_LEFT + pw, round (y) + 0.5);
      cairo_stroke (cr);
      gms_draw_set_source (cr, &fg, 0.8);
      g_snprintf (buf, sizeof buf, "1e%d", (int) d);
      gms_draw_text (widget, cr, buf, MARGIN_LEFT - 4, y, 1.0, 0.5);
    }

  gms_draw_set_source (cr, &accent, 1.0);
  cairo_set_line_width (cr, 1.5);
  cairo_rectangle (cr, MARGIN_LEFT, MARGIN_TOP, pw, ph);
  cairo_clip (cr);
#define X_OF(i) (MARGIN_LEFT + (steps > 1 ? (double) (i) / (steps - 1) * pw : 0.0))
#define Y_OF(val) (MARGIN_TOP + ph - (log10 (val) - llo) / (lhi - llo) * ph)
  if (n <= (guint) pw)
    {
      gboolean pen = FALSE;

      for (guint i = 0; i < n; i++)
        {
          if (!(v[i] > 0 && isfinite (v[i])))
            {
              pen = FALSE;
              continue;
            }
          if (pen)
            cairo_line_to (cr, X_OF (i), Y_OF (v[i]));
          else
            cairo_move_to (cr, X_OF (i), Y_OF (v[i]));
          pen = TRUE;
        }
      cairo_stroke (cr);
      if (n == 1)
        {
          cairo_arc (cr, X_OF (0), Y_OF (v[0]), 2.5, 0, 2 * G_PI);
          cairo_fill (cr);
        }
    }
  else
    {
      /* min–max envelope per pixel column */
      int cols = (int) ceil (pw) + 1;
      g_autofree double *cmin = g_new (double, cols);
      g_autofree double *cmax = g_new (double, cols);

      for (int c = 0; c < cols; c++)
        {
          cmin[c] = INFINITY;
          cmax[c] = -INFINITY;
        }
      for (guint i = 0; i < n; i++)
        if (v[i] > 0 && isfinite (v[i]))
          {
            int c = CLAMP ((int) (X_OF (i) - MARGIN_LEFT), 0, cols - 1);
            cmin[c] = MIN (cmin[c], v[i]);
            cmax[c] = MAX (cmax[c], v[i]);
          }
      cairo_set_line_width (cr, 1.0);
      for (int c = 0; c < cols; c++)
        if (cmin[c] <= cmax[c])
          {
            double x = MARGIN_LEFT + c + 0.5;
            cairo_move_to (cr, x, Y_OF (cmax[c]) - 0.5);
            cairo_line_to (cr, x, Y_OF (cmin[c]) + 0.5);
          }
      cairo_stroke (cr);
    }
#undef X_OF
#undef Y_OF
  cairo_destroy (cr);
}

static void
gms_loss_plot_measure (GtkWidget      *widget,
                       GtkOrientation  orientation,
                       int             for_size,
                       int            *minimum,
                       int            *natural,
                       int            *minimum_baseline,
                       int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 160 : 100;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 360 : 160;
}

static void
gms_loss_plot_finalize (GObject *object)
{
  GmsLossPlot *self = GMS_LOSS_PLOT (object);

  g_array_unref (self->losses);
  G_OBJECT_CLASS (gms_loss_plot_parent_class)->finalize (object);
}

static void
gms_loss_plot_class_init (GmsLossPlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = gms_loss_plot_finalize;
  widget_class->snapshot = gms_loss_plot_snapshot;
  widget_class->measure = gms_loss_plot_measure;
  gtk_widget_class_set_css_name (widget_class, "gms-loss-plot");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
gms_loss_plot_init (GmsLossPlot *self)
{
  self->losses = g_array_new (FALSE, FALSE, sizeof (double));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Training loss by step"), -1);
}

GtkWidget *
gms_loss_plot_new (void)
{
  return g_object_new (GMS_TYPE_LOSS_PLOT, NULL);
}

void
gms_loss_plot_clear (GmsLossPlot *self)
{
  g_return_if_fail (GMS_IS_LOSS_PLOT (self));
  g_array_set_size (self->losses, 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
gms_loss_plot_set_n_steps (GmsLossPlot *self,
                           int          steps)
{
  g_return_if_fail (GMS_IS_LOSS_PLOT (self));
  self->steps = MAX (steps, 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
gms_loss_plot_append (GmsLossPlot  *self,
                      int           first_step,
                      const double *losses,
                      guint         n_losses)
{
  g_return_if_fail (GMS_IS_LOSS_PLOT (self));
  g_return_if_fail (first_step >= 1);

  if (n_losses == 0)
    return;
  /* keep step i at index i − 1, whatever was delivered before */
  if ((guint) first_step - 1 > self->losses->len)
    {
      guint old = self->losses->len;
      g_array_set_size (self->losses, first_step - 1);
      for (guint i = old; i < self->losses->len; i++)
        g_array_index (self->losses, double, i) = NAN;
    }
  g_array_set_size (self->losses, first_step - 1);
  g_array_append_vals (self->losses, losses, n_losses);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
gms_loss_plot_get_n_points (GmsLossPlot *self)
{
  g_return_val_if_fail (GMS_IS_LOSS_PLOT (self), 0);
  return self->losses->len;
}

double
gms_loss_plot_get_last (GmsLossPlot *self)
{
  g_return_val_if_fail (GMS_IS_LOSS_PLOT (self), NAN);
  return self->losses->len > 0 ? g_array_index (self->losses, double, self->losses->len - 1) : NAN;
}
