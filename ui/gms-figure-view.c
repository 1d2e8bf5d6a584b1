/* gms-figure-view.c — draws a core figure scaled to fit
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "gms-draw.h"
#include "gms-figure-view.h"

#define SHEET_MARGIN 12.0

struct _GmsFigureView
{
  GtkWidget  parent_instance;
  GmsFigure *figure;
  char     **genes;     /* P entries, NULL holes */
  int        n_genes;
};

G_DEFINE_FINAL_TYPE (GmsFigureView, gms_figure_view, GTK_TYPE_WIDGET)

/* The scale and origin of the figure in the widget. */
static gboolean
get_transform (GmsFigureView *self,
               double        *scale,
               double        *x0,
               double        *y0)
{
  double w = gtk_widget_get_width (GTK_WIDGET (self)), h = gtk_widget_get_height (GTK_WIDGET (self));
  double fw, fh;

  if (self->figure == NULL)
    return FALSE;
  gm_figure_get_size (gms_figure_get (self->figure), &fw, &fh);
  if (fw <= 0 || fh <= 0 || w <= 2 * SHEET_MARGIN || h <= 2 * SHEET_MARGIN)
    return FALSE;
  *scale = MIN ((w - 2 * SHEET_MARGIN) / fw, (h - 2 * SHEET_MARGIN) / fh);
  *x0 = (w - fw * *scale) / 2.0;
  *y0 = (h - fh * *scale) / 2.0;
  return TRUE;
}

static void
gms_figure_view_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  GmsFigureView *self = GMS_FIGURE_VIEW (widget);
  double scale, x0, y0, fw, fh;
  cairo_t *cr;

  if (!get_transform (self, &scale, &x0, &y0))
    return;
  gm_figure_get_size (gms_figure_get (self->figure), &fw, &fh);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (x0, y0, fw * scale, fh * scale));
  gms_draw_paper (cr, x0, y0, fw * scale, fh * scale);
  cairo_translate (cr, x0, y0);
  cairo_scale (cr, scale, scale);
  gm_figure_draw (gms_figure_get (self->figure), cr);
  cairo_destroy (cr);
}

static void
gms_figure_view_measure (GtkWidget      *widget,
                         GtkOrientation  orientation,
                         int             for_size,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  GmsFigureView *self = GMS_FIGURE_VIEW (widget);
  double fw = 0, fh = 0;

  if (self->figure != NULL)
    gm_figure_get_size (gms_figure_get (self->figure), &fw, &fh);
  *minimum = 100;
  /* twice the figure's size in points reads well on screen */
  *natural = MAX (*minimum, (int) ceil (2 * (orientation == GTK_ORIENTATION_HORIZONTAL ? fw : fh) + 2 * SHEET_MARGIN));
}

static gboolean
query_tooltip_cb (GtkWidget     *widget,
                  int            x,
                  int            y,
                  gboolean       keyboard,
                  GtkTooltip    *tooltip,
                  GmsFigureView *self)
{
  const GmFigure *fig;
  double scale, x0, y0, px, py;

  if (keyboard || !get_transform (self, &scale, &x0, &y0))
    return FALSE;
  fig = gms_figure_get (self->figure);
  px = (x - x0) / scale;
  py = (y - y0) / scale;
  for (int r = 0; r < fig->n_rows; r++)
    for (int c = 0; c < fig->n_cols; c++)
      {
        double rect[4];
        const GmPanel *panel = &fig->panels[r * fig->n_cols + c];
        int pr, pc, p;
        g_autofree char *text = NULL;

        if (!gm_figure_get_panel_rect (fig, r, c, rect))
          continue;
        if (px < rect[0] || py < rect[1] || px >= rect[0] + rect[2] || py >= rect[1] + rect[3])
          continue;
        pc = (int) floor ((px - rect[0]) / rect[2] * panel->cols);
        pr = (int) floor ((py - rect[1]) / rect[3] * panel->rows);
        p = CLAMP (pr, 0, panel->rows - 1) * panel->cols + CLAMP (pc, 0, panel->cols - 1);
        if (self->genes != NULL && p < self->n_genes && self->genes[p] != NULL)
          text = g_strdup_printf ("%s%s%s: %.4g", panel->title ? panel->title : "", panel->title ? " — " : "",
                                  self->genes[p], panel->values[p]);
        else
          text = g_strdup_printf (_("No gene (row %d, column %d)"), pr, pc);
        gtk_tooltip_set_text (tooltip, text);
        return TRUE;
      }
  return FALSE;
}

static void
clear_genes (GmsFigureView *self)
{
  if (self->genes != NULL)
    for (int p = 0; p < self->n_genes; p++)
      g_free (self->genes[p]);
  g_clear_pointer (&self->genes, g_free);
  self->n_genes = 0;
}

static void
gms_figure_view_finalize (GObject *object)
{
  GmsFigureView *self = GMS_FIGURE_VIEW (object);

  clear_genes (self);
  g_clear_pointer (&self->figure, gms_figure_unref);
  G_OBJECT_CLASS (gms_figure_view_parent_class)->finalize (object);
}

static void
gms_figure_view_class_init (GmsFigureViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = gms_figure_view_finalize;
  widget_class->snapshot = gms_figure_view_snapshot;
  widget_class->measure = gms_figure_view_measure;
  gtk_widget_class_set_css_name (widget_class, "figureview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
gms_figure_view_init (GmsFigureView *self)
{
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (query_tooltip_cb), self);
}

GtkWidget *
gms_figure_view_new (void)
{
  return g_object_new (GMS_TYPE_FIGURE_VIEW, NULL);
}

void
gms_figure_view_set_figure (GmsFigureView      *self,
                            GmsFigure          *figure,
                            const char * const *pixel_genes)
{
  g_return_if_fail (GMS_IS_FIGURE_VIEW (self));

  clear_genes (self);
  g_clear_pointer (&self->figure, gms_figure_unref);
  if (figure != NULL)
    {
      const GmFigure *fig = gms_figure_get (figure);
      self->figure = gms_figure_ref (figure);
      if (fig->title != NULL)
        gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, fig->title, -1);
      if (pixel_genes != NULL && fig->n_rows * fig->n_cols > 0 && fig->panels[0].values != NULL)
        {
          self->n_genes = fig->panels[0].rows * fig->panels[0].cols;
          self->genes = g_new0 (char *, self->n_genes);
          for (int p = 0; p < self->n_genes; p++)
            self->genes[p] = g_strdup (pixel_genes[p]);
        }
    }
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

GmsFigure *
gms_figure_view_get_figure (GmsFigureView *self)
{
  g_return_val_if_fail (GMS_IS_FIGURE_VIEW (self), NULL);
  return self->figure;
}
