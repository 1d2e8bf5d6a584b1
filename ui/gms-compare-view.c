/* gms-compare-view.c — one cell's GenoMap before and after imputation, and their difference
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The figures are the core's (gm-render), whose text is black: they sit on a
 * white card, as they will on paper, in light and dark styles alike.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "gms-compare-view.h"
#include "gms-draw.h"

struct _GmsCompareView
{
  GtkWidget   parent_instance;

  int         rows, cols;
  float      *observed;
  float      *imputed;
  float      *difference;
  char      **pixel_names;     /* rows × cols, or NULL */
  GmColormap  colormap;
  int         hl_row, hl_col;

  /* the last layout, for hit-testing (widget coordinates) */
  double      scale, x0, x1, y0;
};

G_DEFINE_FINAL_TYPE (GmsCompareView, gms_compare_view, GTK_TYPE_WIDGET)

#define GAP_PT 12.0
#define PAD 8.0

static void
figures_init (GmsCompareView *self,
              GmFigure       *maps,
              GmPanel         panels[2],
              GmFigure       *diff,
              GmPanel        *diff_panel,
              double          panel_pt)
{
  gm_figure_init (maps);
  panels[0] = (GmPanel) { self->observed, self->rows, self->cols, _("Observed") };
  panels[1] = (GmPanel) { self->imputed, self->rows, self->cols, _("Imputed") };
  maps->n_rows = 1;
  maps->n_cols = 2;
  maps->panels = panels;
  maps->colormap = self->colormap;
  maps->colorbar_label = _("log1p (counts per 10 000)");
  maps->panel_size_pt = panel_pt;

  gm_figure_init (diff);
  *diff_panel = (GmPanel) { self->difference, self->rows, self->cols, _("Imputed − observed") };
  diff->n_rows = 1;
  diff->n_cols = 1;
  diff->panels = diff_panel;
  diff->colormap = GM_COLORMAP_DIVERGING;
  diff->diverging = TRUE;
  diff->colorbar_label = _("Difference");
  diff->panel_size_pt = panel_pt;
}

/* Chooses the panel size so that both figures fit next to each other. */
static double
fit (GmsCompareView *self,
     double          width,
     double          height,
     double         *total_w,
     double         *total_h)
{
  GmFigure maps, diff;
  GmPanel panels[2], dp;
  double panel = 72, w1, h1, w2, h2;

  for (int iter = 0; iter < 3; iter++)
    {
      double s;

      figures_init (self, &maps, panels, &diff, &dp, panel);
      gm_figure_get_size (&maps, &w1, &h1);
      gm_figure_get_size (&diff, &w2, &h2);
      /* the panels (3 of them across) take what the text and bars leave */
      s = MIN ((width - 2 * PAD - (w1 + w2 + GAP_PT - 3 * panel)) / (3 * panel),
               (height - 2 * PAD - (MAX (h1, h2) - panel)) / panel);
      panel = CLAMP (panel * s, 24.0, 480.0);
    }
  figures_init (self, &maps, panels, &diff, &dp, panel);
  gm_figure_get_size (&maps, &w1, &h1);
  gm_figure_get_size (&diff, &w2, &h2);
  *total_w = w1 + GAP_PT + w2;
  *total_h = MAX (h1, h2);
  return panel;
}

static void
outline_pixel (cairo_t        *cr,
               const GmFigure *fig,
               int             panel_col,
               int             row,
               int             col,
               int             rows,
               int             cols)
{
  double rect[4], pw, ph;

  if (!gm_figure_get_panel_rect (fig, 0, panel_col, rect))
    return;
  pw = rect[2] / cols;
  ph = rect[3] / rows;
  cairo_rectangle (cr, rect[0] + col * pw, rect[1] + row * ph, pw, ph);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_set_line_width (cr, 3.0);
  cairo_stroke_preserve (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_set_line_width (cr, 1.5);
  cairo_stroke (cr);
}

static void
gms_compare_view_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  GmsCompareView *self = GMS_COMPARE_VIEW (widget);
  double width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  GmFigure maps, diff;
  GmPanel panels[2], dp;
  double panel, tw, th, w1, h1, s, ox, oy;
  cairo_t *cr;

  if (self->observed == NULL || width < 40 || height < 40)
    return;
  panel = fit (self, width, height, &tw, &th);
  figures_init (self, &maps, panels, &diff, &dp, panel);
  gm_figure_get_size (&maps, &w1, &h1);
  s = MIN (1.0, MIN ((width - 2 * PAD) / tw, (height - 2 * PAD) / th));
  ox = floor ((width - tw * s) / 2);
  oy = floor ((height - th * s) / 2);

  self->scale = s;
  self->x0 = ox;
  self->x1 = ox + (w1 + GAP_PT) * s;
  self->y0 = oy;

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  gms_draw_paper (cr, ox - PAD, oy - PAD, tw * s + 2 * PAD, th * s + 2 * PAD);

  cairo_save (cr);
  cairo_translate (cr, ox, oy);
  cairo_scale (cr, s, s);
  gm_figure_draw (&maps, cr);
  if (self->hl_row >= 0)
    {
      outline_pixel (cr, &maps, 0, self->hl_row, self->hl_col, self->rows, self->cols);
      outline_pixel (cr, &maps, 1, self->hl_row, self->hl_col, self->rows, self->cols);
    }
  cairo_restore (cr);

  cairo_save (cr);
  cairo_translate (cr, self->x1, oy);
  cairo_scale (cr, s, s);
  gm_figure_draw (&diff, cr);
  if (self->hl_row >= 0)
    outline_pixel (cr, &diff, 0, self->hl_row, self->hl_col, self->rows, self->cols);
  cairo_restore (cr);
  cairo_destroy (cr);
}

/* The map pixel under (x, y), or FALSE. */
static gboolean
pixel_at (GmsCompareView *self,
          double          x,
          double          y,
          int            *row,
          int            *col)
{
  GmFigure maps, diff;
  GmPanel panels[2], dp;
  double tw, th, panel;

  if (self->observed == NULL || self->scale <= 0)
    return FALSE;
  panel = fit (self, gtk_widget_get_width (GTK_WIDGET (self)), gtk_widget_get_height (GTK_WIDGET (self)), &tw, &th);
  figures_init (self, &maps, panels, &diff, &dp, panel);
  for (int f = 0; f < 3; f++)
    {
      const GmFigure *fig = f < 2 ? &maps : &diff;
      double ox = f < 2 ? self->x0 : self->x1, rect[4], px, py;

      if (!gm_figure_get_panel_rect (fig, 0, f < 2 ? f : 0, rect))
        continue;
      px = (x - ox) / self->scale - rect[0];
      py = (y - self->y0) / self->scale - rect[1];
      if (px >= 0 && py >= 0 && px < rect[2] && py < rect[3])
        {
          *col = MIN ((int) (px / rect[2] * self->cols), self->cols - 1);
          *row = MIN ((int) (py / rect[3] * self->rows), self->rows - 1);
          return TRUE;
        }
    }
  return FALSE;
}

static void
append_value (GString    *s,
              const char *label,
              float       v)
{
  if (isnan (v))
    g_string_append_printf (s, "\n%s: —", label);
  else
    g_string_append_printf (s, "\n%s: %.3f", label, v);
}

static gboolean
gms_compare_view_query_tooltip (GtkWidget  *widget,
                                int         x,
                                int         y,
                                gboolean    keyboard,
                                GtkTooltip *tooltip)
{
  GmsCompareView *self = GMS_COMPARE_VIEW (widget);
  g_autoptr(GString) s = NULL;
  int row, col, i;

  if (keyboard || !pixel_at (self, x, y, &row, &col))
    return FALSE;
  i = row * self->cols + col;
  if (self->pixel_names == NULL || self->pixel_names[i] == NULL || self->pixel_names[i][0] == '\0')
    {
      gtk_tooltip_set_text (tooltip, _("No gene at this position"));
      return TRUE;
    }
  s = g_string_new (self->pixel_names[i]);
  append_value (s, _("Observed"), self->observed[i]);
  append_value (s, _("Imputed"), self->imputed[i]);
  append_value (s, _("Difference"), self->difference[i]);
  gtk_tooltip_set_text (tooltip, s->str);
  return TRUE;
}

static void
gms_compare_view_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 360 : 160;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 720 : 280;
}

static void
gms_compare_view_finalize (GObject *object)
{
  GmsCompareView *self = GMS_COMPARE_VIEW (object);

  g_free (self->observed);
  g_free (self->imputed);
  g_free (self->difference);
  g_strfreev (self->pixel_names);
  G_OBJECT_CLASS (gms_compare_view_parent_class)->finalize (object);
}

static void
gms_compare_view_class_init (GmsCompareViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = gms_compare_view_finalize;
  widget_class->snapshot = gms_compare_view_snapshot;
  widget_class->measure = gms_compare_view_measure;
  widget_class->query_tooltip = gms_compare_view_query_tooltip;
  gtk_widget_class_set_css_name (widget_class, "gms-compare-view");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
gms_compare_view_init (GmsCompareView *self)
{
  self->colormap = GM_COLORMAP_VIRIDIS;
  self->hl_row = self->hl_col = -1;
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Observed and imputed GenoMap of the selected cell, and their difference"), -1);
}

GtkWidget *
gms_compare_view_new (void)
{
  return g_object_new (GMS_TYPE_COMPARE_VIEW, NULL);
}

void
gms_compare_view_set_maps (GmsCompareView *self,
                           const float    *observed,
                           const float    *imputed,
                           int             rows,
                           int             cols)
{
  gsize n;

  g_return_if_fail (GMS_IS_COMPARE_VIEW (self));
  g_return_if_fail (observed != NULL && imputed != NULL && rows > 0 && cols > 0);

  n = (gsize) rows * cols;
  if (rows != self->rows || cols != self->cols)
    g_clear_pointer (&self->pixel_names, g_strfreev);
  self->rows = rows;
  self->cols = cols;
  g_free (self->observed);
  g_free (self->imputed);
  g_free (self->difference);
  self->observed = g_memdup2 (observed, n * sizeof (float));
  self->imputed = g_memdup2 (imputed, n * sizeof (float));
  self->difference = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    self->difference[i] = isnan (observed[i]) || isnan (imputed[i]) ? NAN : imputed[i] - observed[i];
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
gms_compare_view_clear (GmsCompareView *self)
{
  g_return_if_fail (GMS_IS_COMPARE_VIEW (self));
  g_clear_pointer (&self->observed, g_free);
  g_clear_pointer (&self->imputed, g_free);
  g_clear_pointer (&self->difference, g_free);
  g_clear_pointer (&self->pixel_names, g_strfreev);
  self->rows = self->cols = 0;
  self->hl_row = self->hl_col = -1;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
gms_compare_view_set_pixel_names (GmsCompareView     *self,
                                  const char * const *names)
{
  gsize n;

  g_return_if_fail (GMS_IS_COMPARE_VIEW (self));
  g_return_if_fail (self->rows > 0);

  n = (gsize) self->rows * self->cols;
  g_strfreev (self->pixel_names);
  self->pixel_names = g_new0 (char *, n + 1);
  /* NULL entries would end the vector early: store "" for no gene */
  for (gsize i = 0; i < n; i++)
    self->pixel_names[i] = g_strdup (names[i] != NULL ? names[i] : "");
}

void
gms_compare_view_set_colormap (GmsCompareView *self,
                               GmColormap      colormap)
{
  g_return_if_fail (GMS_IS_COMPARE_VIEW (self));
  self->colormap = colormap;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
gms_compare_view_set_highlight (GmsCompareView *self,
                                int             row,
                                int             col)
{
  g_return_if_fail (GMS_IS_COMPARE_VIEW (self));
  if (row < 0 || col < 0 || row >= self->rows || col >= self->cols)
    row = col = -1;
  self->hl_row = row;
  self->hl_col = col;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
gms_compare_view_get_scales (GmsCompareView *self,
                             double         *lo,
                             double         *hi,
                             double         *diff_limit)
{
  GmFigure maps, diff;
  GmPanel panels[2], dp;
  double dlo, dhi;

  g_return_if_fail (GMS_IS_COMPARE_VIEW (self));
  g_return_if_fail (self->observed != NULL);
  figures_init (self, &maps, panels, &diff, &dp, 72);
  gm_figure_get_scale (&maps, lo, hi);
  gm_figure_get_scale (&diff, &dlo, &dhi);
  *diff_limit = dhi;
}

const float *
gms_compare_view_get_difference (GmsCompareView *self)
{
  g_return_val_if_fail (GMS_IS_COMPARE_VIEW (self), NULL);
  return self->difference;
}
