/* gms-gene-trace.c — one gene across cells: observed and imputed against the reference
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gms-draw.h"
#include "gms-gene-trace.h"

struct _GmsGeneTrace
{
  GtkWidget  parent_instance;

  char      *gene;
  double    *reference, *observed, *imputed;
  int64_t    n;
  double     r_before, r_after;
  double     limit;
};

G_DEFINE_FINAL_TYPE (GmsGeneTrace, gms_gene_trace, GTK_TYPE_WIDGET)

#define M_LEFT   46.0
#define M_TOP    26.0
#define M_BOTTOM 34.0
#define M_RIGHT  12.0

static void
gms_gene_trace_snapshot (GtkWidget   *widget,
                         GtkSnapshot *snapshot)
{
  GmsGeneTrace *self = GMS_GENE_TRACE (widget);
  double width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  double side = MIN (width - M_LEFT - M_RIGHT, height - M_TOP - M_BOTTOM), x0 = M_LEFT, y0 = M_TOP;
  g_autofree char *title = NULL;
  char rb[32], ra[32], buf[32];
  GdkRGBA fg;
  cairo_t *cr;

  if (side < 40)
    return;
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (self->gene == NULL)
    {
      gms_draw_empty_message (widget, cr, &fg, _("Click a gene in the correlation plot"), width, height);
      cairo_destroy (cr);
      return;
    }
  gms_draw_format_r (rb, sizeof rb, self->r_before);
  gms_draw_format_r (ra, sizeof ra, self->r_after);
  title = g_strdup_printf (_("%s: r before %s, after %s"), self->gene, rb, ra);
  gms_draw_set_source (cr, &fg, 0.9);
  gms_draw_text (widget, cr, title, x0, 4, 0.0, 0.0);

  gms_draw_set_source (cr, &fg, 0.4);
  gms_draw_frame (cr, x0, y0, side, side);
  gms_draw_dashed_line (cr, x0, y0 + side, x0 + side, y0);
  gms_draw_set_source (cr, &fg, 0.8);
  g_snprintf (buf, sizeof buf, "%.2g", self->limit);
  gms_draw_text (widget, cr, "0", x0, y0 + side + 2, 0.5, 0.0);
  gms_draw_text (widget, cr, buf, x0 + side, y0 + side + 2, 0.5, 0.0);
  gms_draw_text (widget, cr, buf, x0 - 4, y0, 1.0, 0.0);
  gms_draw_text (widget, cr, _("reference (log1p CP10k)"), x0 + side / 2, height - 2, 0.5, 1.0);

  for (int pass = 0; pass < 2; pass++)
    {
      const double *v = pass == 0 ? self->observed : self->imputed;

      gms_draw_set_source (cr, pass == 0 ? &gms_draw_color_before : &gms_draw_color_after, 0.55);
      for (int64_t i = 0; i < self->n; i++)
        {
          double x = x0 + self->reference[i] / self->limit * side;
          double y = y0 + side - v[i] / self->limit * side;

          cairo_new_sub_path (cr);
          cairo_arc (cr, x, y, 2.0, 0, 2 * G_PI);
        }
      cairo_fill (cr);
    }
  gms_draw_legend_entry (widget, cr, &fg, &gms_draw_color_before, _("observed"), x0, y0, 0);
  gms_draw_legend_entry (widget, cr, &fg, &gms_draw_color_after, _("imputed"), x0, y0, 1);
  cairo_destroy (cr);
}

static void
gms_gene_trace_measure (GtkWidget      *widget,
                        GtkOrientation  orientation,
                        int             for_size,
                        int            *minimum,
                        int            *natural,
                        int            *minimum_baseline,
                        int            *natural_baseline)
{
  *minimum = 200;
  *natural = 320;
}

static void
gms_gene_trace_finalize (GObject *object)
{
  gms_gene_trace_clear (GMS_GENE_TRACE (object));
  G_OBJECT_CLASS (gms_gene_trace_parent_class)->finalize (object);
}

static void
gms_gene_trace_class_init (GmsGeneTraceClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = gms_gene_trace_finalize;
  widget_class->snapshot = gms_gene_trace_snapshot;
  widget_class->measure = gms_gene_trace_measure;
  gtk_widget_class_set_css_name (widget_class, "gms-gene-trace");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
gms_gene_trace_init (GmsGeneTrace *self)
{
  self->limit = 1.0;
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Observed and imputed values of the selected gene against the reference"), -1);
}

GtkWidget *
gms_gene_trace_new (void)
{
  return g_object_new (GMS_TYPE_GENE_TRACE, NULL);
}

void
gms_gene_trace_set_data (GmsGeneTrace *self,
                         const char   *gene,
                         const double *reference,
                         const double *observed,
                         const double *imputed,
                         int64_t       n,
                         double        r_before,
                         double        r_after)
{
  g_return_if_fail (GMS_IS_GENE_TRACE (self));
  g_return_if_fail (gene != NULL && n >= 0);

  gms_gene_trace_clear (self);
  self->gene = g_strdup (gene);
  self->n = n;
  self->reference = g_memdup2 (reference, sizeof (double) * MAX (n, 1));
  self->observed = g_memdup2 (observed, sizeof (double) * MAX (n, 1));
  self->imputed = g_memdup2 (imputed, sizeof (double) * MAX (n, 1));
  self->r_before = r_before;
  self->r_after = r_after;
  self->limit = 0;
  for (int64_t i = 0; i < n; i++)
    self->limit = MAX (self->limit, MAX (reference[i], MAX (observed[i], imputed[i])));
  if (!(self->limit > 0))
    self->limit = 1.0;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
gms_gene_trace_clear (GmsGeneTrace *self)
{
  g_return_if_fail (GMS_IS_GENE_TRACE (self));
  g_clear_pointer (&self->gene, g_free);
  g_clear_pointer (&self->reference, g_free);
  g_clear_pointer (&self->observed, g_free);
  g_clear_pointer (&self->imputed, g_free);
  self->n = 0;
  self->limit = 1.0;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const char *
gms_gene_trace_get_gene (GmsGeneTrace *self)
{
  g_return_val_if_fail (GMS_IS_GENE_TRACE (self), NULL);
  return self->gene;
}

double
gms_gene_trace_get_limit (GmsGeneTrace *self)
{
  g_return_val_if_fail (GMS_IS_GENE_TRACE (self), 1.0);
  return self->limit;
}
