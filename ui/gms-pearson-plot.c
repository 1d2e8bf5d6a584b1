/* gms-pearson-plot.c — per-gene Pearson r before vs after imputation
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "gms-draw.h"
#include "gms-pearson-plot.h"

struct _GmsPearsonPlot
{
  GtkWidget  parent_instance;

  int64_t    n;
  double    *before;
  double    *after;
  char     **names;
  int64_t    selected;
};

G_DEFINE_FINAL_TYPE (GmsPearsonPlot, gms_pearson_plot, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SELECTED_GENE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define M_LEFT   50.0   /* axis labels */
#define BAND     14.0   /* the band of undefined-r ticks */
#define M_TOP    26.0   /* caption */
#define M_BOTTOM 36.0   /* axis labels */
#define M_RIGHT  12.0
#define GAP      56.0   /* between scatter and histograms */
#define PICK     6.0

void
gms_pearson_plot_scatter_area (double           width,
                               double           height,
                               graphene_rect_t *area)
{
  double side = MIN (height - M_TOP - M_BOTTOM - BAND, (width - M_LEFT - BAND - GAP - M_RIGHT) * 0.55);

  side = MAX (side, 10.0);
  graphene_rect_init (area, M_LEFT + BAND, M_TOP, side, side);
}

static void
hist_area (double           width,
           double           height,
           graphene_rect_t *area)
{
  graphene_rect_t s;
  double x;

  gms_pearson_plot_scatter_area (width, height, &s);
  x = s.origin.x + s.size.width + GAP;
  graphene_rect_init (area, x, s.origin.y, MAX (width - M_RIGHT - x, 10.0), s.size.height);
}

static double
map_x (const graphene_rect_t *a,
       double                 r)
{
  return a->origin.x + (CLAMP (r, -1.0, 1.0) + 1.0) / 2.0 * a->size.width;
}

static double
map_y (const graphene_rect_t *a,
       double                 r)
{
  return a->origin.y + a->size.height - (CLAMP (r, -1.0, 1.0) + 1.0) / 2.0 * a->size.height;
}

gboolean
gms_pearson_plot_gene_position (GmsPearsonPlot *self,
                                double          width,
                                double          height,
                                int64_t         gene,
                                double         *x,
                                double         *y)
{
  graphene_rect_t a;
  double b, f;

  g_return_val_if_fail (GMS_IS_PEARSON_PLOT (self), FALSE);
  if (gene < 0 || gene >= self->n)
    return FALSE;
  gms_pearson_plot_scatter_area (width, height, &a);
  b = self->before != NULL ? self->before[gene] : NAN;
  f = self->after[gene];
  if (isnan (b) && isnan (f))
    return FALSE;
  *x = isnan (b) ? a.origin.x - BAND / 2 : map_x (&a, b);
  *y = isnan (f) ? a.origin.y + a.size.height + BAND / 2 : map_y (&a, f);
  return TRUE;
}

int64_t
gms_pearson_plot_gene_at (GmsPearsonPlot *self,
                          double          width,
                          double          height,
                          double          x,
                          double          y)
{
  int64_t best = -1;
  double best_d = PICK * PICK;

  g_return_val_if_fail (GMS_IS_PEARSON_PLOT (self), -1);
  for (int64_t j = 0; j < self->n; j++)
    {
      double gx, gy, d;

      if (!gms_pearson_plot_gene_position (self, width, height, j, &gx, &gy))
        continue;
      d = (gx - x) * (gx - x) + (gy - y) * (gy - y);
      if (d <= best_d)
        {
          best_d = d;
          best = j;
        }
    }
  return best;
}

void
gms_pearson_plot_get_undefined (GmsPearsonPlot *self,
                                int64_t        *before_only,
                                int64_t        *after_only,
                                int64_t        *both)
{
  int64_t nb = 0, na = 0, nn = 0;

  g_return_if_fail (GMS_IS_PEARSON_PLOT (self));
  for (int64_t j = 0; j < self->n; j++)
    {
      gboolean ub = self->before == NULL || isnan (self->before[j]), ua = isnan (self->after[j]);

      if (ub && ua)
        nn++;
      else if (ub)
        nb++;
      else if (ua)
        na++;
    }
  *before_only = nb;
  *after_only = na;
  *both = nn;
}

void
gms_pearson_plot_get_histogram (GmsPearsonPlot *self,
                                gboolean        after,
                                guint           counts[GMS_PEARSON_BINS])
{
  const double *r;

  g_return_if_fail (GMS_IS_PEARSON_PLOT (self));
  memset (counts, 0, sizeof (guint) * GMS_PEARSON_BINS);
  r = after ? self->after : self->before;
  if (r == NULL)
    return;
  for (int64_t j = 0; j < self->n; j++)
    if (!isnan (r[j]))
      {
        int k = (int) floor ((r[j] + 1.0) / 2.0 * GMS_PEARSON_BINS);
        counts[CLAMP (k, 0, GMS_PEARSON_BINS - 1)]++;
      }
}

static void
draw_axes (GtkWidget             *widget,
           cairo_t               *cr,
           const graphene_rect_t *a,
           const GdkRGBA         *fg,
           gboolean               y_is_r)
{
  char buf[16];

  gms_draw_set_source (cr, fg, 0.4);
  gms_draw_frame (cr, a->origin.x, a->origin.y, a->size.width, a->size.height);
  for (int k = -2; k <= 2; k++)
    {
      double r = k / 2.0, x = map_x (a, r), y = map_y (a, r);

      g_snprintf (buf, sizeof buf, "%g", r);
      gms_draw_set_source (cr, fg, 0.8);
      gms_draw_text (widget, cr, buf, x, a->origin.y + a->size.height + (y_is_r ? BAND : 0) + 2, 0.5, 0.0);
      if (y_is_r)
        gms_draw_text (widget, cr, buf, a->origin.x - BAND - 4, y, 1.0, 0.5);
    }
}

static void
gms_pearson_plot_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  GmsPearsonPlot *self = GMS_PEARSON_PLOT (widget);
  double width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  graphene_rect_t s, h;
  guint hb[GMS_PEARSON_BINS], ha[GMS_PEARSON_BINS], hmax = 1;
  int64_t nb, na, nn;
  g_autofree char *caption = NULL;
  GdkRGBA fg;
  cairo_t *cr;

  if (width < 200 || height < 120)
    return;
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  gms_pearson_plot_scatter_area (width, height, &s);
  hist_area (width, height, &h);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));

  if (self->n == 0)
    {
      gms_draw_empty_message (widget, cr, &fg, _("Per-gene correlations appear here after a run"), width, height);
      cairo_destroy (cr);
      return;
    }

  /* caption: what is not drawn as a point */
  gms_pearson_plot_get_undefined (self, &nb, &na, &nn);
  /* gene counts fit in an int (column indices are 32-bit) */
  caption = g_strdup_printf (_("%d genes · r undefined: %d before only (left band), "
                               "%d after only (bottom band), %d on both sides (not drawn)"),
                             (int) self->n, (int) nb, (int) na, (int) nn);
  gms_draw_set_source (cr, &fg, 0.8);
  gms_draw_text (widget, cr, caption, M_LEFT, 4, 0.0, 0.0);

  /* scatter */
  draw_axes (widget, cr, &s, &fg, TRUE);
  gms_draw_set_source (cr, &fg, 0.8);
  gms_draw_text (widget, cr, _("r before (observed)"), s.origin.x + s.size.width / 2, height - 2, 0.5, 1.0);
  cairo_save (cr);
  cairo_translate (cr, 2, s.origin.y + s.size.height / 2);
  cairo_rotate (cr, -G_PI / 2);
  gms_draw_text (widget, cr, _("r after (imputed)"), 0, 0, 0.5, 0.0);
  cairo_restore (cr);
  /* undefined bands */
  gms_draw_set_source (cr, &fg, 0.06);
  cairo_rectangle (cr, s.origin.x - BAND, s.origin.y, BAND - 2, s.size.height);
  cairo_rectangle (cr, s.origin.x, s.origin.y + s.size.height + 2, s.size.width, BAND - 2);
  cairo_fill (cr);
  /* diagonal */
  gms_draw_set_source (cr, &fg, 0.35);
  gms_draw_dashed_line (cr, map_x (&s, -1), map_y (&s, -1), map_x (&s, 1), map_y (&s, 1));

  gms_draw_set_source (cr, &gms_draw_color_after, 0.55);
  for (int64_t j = 0; j < self->n; j++)
    {
      double x, y;
      gboolean ub = self->before == NULL || isnan (self->before[j]), ua = isnan (self->after[j]);

      if (!gms_pearson_plot_gene_position (self, width, height, j, &x, &y))
        continue;
      if (ub)
        cairo_rectangle (cr, x - 4, y - 0.75, 8, 1.5);       /* tick in the left band */
      else if (ua)
        cairo_rectangle (cr, x - 0.75, y - 4, 1.5, 8);       /* tick in the bottom band */
      else
        {
          cairo_new_sub_path (cr);
          cairo_arc (cr, x, y, 2.2, 0, 2 * G_PI);
        }
    }
  cairo_fill (cr);

  if (self->selected >= 0)
    {
      double x, y;

      if (gms_pearson_plot_gene_position (self, width, height, self->selected, &x, &y))
        {
          cairo_arc (cr, x, y, 5.5, 0, 2 * G_PI);
          cairo_set_line_width (cr, 2.0);
          gms_draw_set_source (cr, &fg, 1.0);
          cairo_stroke (cr);
          if (self->names != NULL)
            gms_draw_text (widget, cr, self->names[self->selected], x + 8, y - 8, 0.0, 1.0);
        }
    }

  /* histograms */
  gms_pearson_plot_get_histogram (self, FALSE, hb);
  gms_pearson_plot_get_histogram (self, TRUE, ha);
  for (int k = 0; k < GMS_PEARSON_BINS; k++)
    hmax = MAX (hmax, MAX (hb[k], ha[k]));
  draw_axes (widget, cr, &h, &fg, FALSE);
  gms_draw_set_source (cr, &fg, 0.8);
  gms_draw_text (widget, cr, _("Pearson r"), h.origin.x + h.size.width / 2, height - 2, 0.5, 1.0);
  {
    char buf[32];
    g_snprintf (buf, sizeof buf, "%u", hmax);
    gms_draw_text (widget, cr, buf, h.origin.x - 4, h.origin.y, 1.0, 0.0);
    gms_draw_text (widget, cr, "0", h.origin.x - 4, h.origin.y + h.size.height, 1.0, 1.0);
  }
  for (int side = 0; side < 2; side++)
    {
      const guint *c = side == 0 ? hb : ha;
      double bw = h.size.width / GMS_PEARSON_BINS;

      gms_draw_set_source (cr, side == 0 ? &gms_draw_color_before : &gms_draw_color_after, 0.45);
      for (int k = 0; k < GMS_PEARSON_BINS; k++)
        {
          double bh = (double) c[k] / hmax * (h.size.height - 2);
          cairo_rectangle (cr, h.origin.x + k * bw + (side == 0 ? 1 : bw / 2), h.origin.y + h.size.height - bh,
                           bw / 2 - 1, bh);
        }
      cairo_fill (cr);
    }
  /* legend */
  gms_draw_legend_entry (widget, cr, &fg, &gms_draw_color_before, _("before"), h.origin.x, h.origin.y, 0);
  gms_draw_legend_entry (widget, cr, &fg, &gms_draw_color_after, _("after"), h.origin.x, h.origin.y, 1);

  cairo_destroy (cr);
}

static void
on_pressed (GtkGestureClick *gesture,
            int              n_press,
            double           x,
            double           y,
            GmsPearsonPlot  *self)
{
  int64_t gene = gms_pearson_plot_gene_at (self, gtk_widget_get_width (GTK_WIDGET (self)),
                                           gtk_widget_get_height (GTK_WIDGET (self)), x, y);

  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (gene >= 0)
    gms_pearson_plot_set_selected_gene (self, gene);
}

/* Keyboard: arrows step through the drawn genes, Escape clears the selection. */
static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GmsPearsonPlot        *self)
{
  int step;
  double x, y;

  switch (keyval)
    {
    case GDK_KEY_Right:
    case GDK_KEY_Down:
      step = 1;
      break;
    case GDK_KEY_Left:
    case GDK_KEY_Up:
      step = -1;
      break;
    case GDK_KEY_Escape:
      gms_pearson_plot_set_selected_gene (self, -1);
      return TRUE;
    default:
      return FALSE;
    }
  if (self->n == 0)
    return FALSE;
  for (int64_t k = 1, j = self->selected; k <= self->n; k++)
    {
      j = ((j < 0 && step < 0 ? self->n : j) + step + self->n) % self->n;
      if (gms_pearson_plot_gene_position (self, 100, 100, j, &x, &y))
        {
          gms_pearson_plot_set_selected_gene (self, j);
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
gms_pearson_plot_query_tooltip (GtkWidget  *widget,
                                int         x,
                                int         y,
                                gboolean    keyboard,
                                GtkTooltip *tooltip)
{
  GmsPearsonPlot *self = GMS_PEARSON_PLOT (widget);
  int64_t gene;
  g_autofree char *text = NULL;
  char b[32], a[32];

  if (keyboard || self->names == NULL)
    return FALSE;
  gene = gms_pearson_plot_gene_at (self, gtk_widget_get_width (widget), gtk_widget_get_height (widget), x, y);
  if (gene < 0)
    return FALSE;
  gms_draw_format_r (b, sizeof b, self->before != NULL ? self->before[gene] : NAN);
  gms_draw_format_r (a, sizeof a, self->after[gene]);
  text = g_strdup_printf (_("%s\nr before: %s\nr after: %s"), self->names[gene], b, a);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
gms_pearson_plot_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 420 : 220;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 720 : 320;
}

static void
gms_pearson_plot_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  GmsPearsonPlot *self = GMS_PEARSON_PLOT (object);

  switch (prop_id)
    {
    case PROP_SELECTED_GENE:
      g_value_set_int64 (value, self->selected);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gms_pearson_plot_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  GmsPearsonPlot *self = GMS_PEARSON_PLOT (object);

  switch (prop_id)
    {
    case PROP_SELECTED_GENE:
      gms_pearson_plot_set_selected_gene (self, g_value_get_int64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gms_pearson_plot_finalize (GObject *object)
{
  GmsPearsonPlot *self = GMS_PEARSON_PLOT (object);

  g_free (self->before);
  g_free (self->after);
  g_strfreev (self->names);
  G_OBJECT_CLASS (gms_pearson_plot_parent_class)->finalize (object);
}

static void
gms_pearson_plot_class_init (GmsPearsonPlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = gms_pearson_plot_finalize;
  object_class->get_property = gms_pearson_plot_get_property;
  object_class->set_property = gms_pearson_plot_set_property;
  widget_class->snapshot = gms_pearson_plot_snapshot;
  widget_class->measure = gms_pearson_plot_measure;
  widget_class->query_tooltip = gms_pearson_plot_query_tooltip;

  properties[PROP_SELECTED_GENE] =
    g_param_spec_int64 ("selected-gene", NULL, NULL, -1, G_MAXINT64, -1,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "gms-pearson-plot");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
gms_pearson_plot_init (GmsPearsonPlot *self)
{
  GtkGesture *click = gtk_gesture_click_new ();
  GtkEventController *keys = gtk_event_controller_key_new ();

  self->selected = -1;
  g_signal_connect (click, "pressed", G_CALLBACK (on_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Per-gene Pearson correlation before and after imputation"), -1);
}

GtkWidget *
gms_pearson_plot_new (void)
{
  return g_object_new (GMS_TYPE_PEARSON_PLOT, NULL);
}

void
gms_pearson_plot_set_data (GmsPearsonPlot     *self,
                           const double       *r_before,
                           const double       *r_after,
                           const char * const *names,
                           int64_t             n)
{
  g_return_if_fail (GMS_IS_PEARSON_PLOT (self));
  g_return_if_fail (r_after != NULL || n == 0);

  gms_pearson_plot_clear (self);
  self->n = n;
  self->before = r_before != NULL ? g_memdup2 (r_before, sizeof (double) * n) : NULL;
  self->after = g_memdup2 (r_after, sizeof (double) * MAX (n, 1));
  if (names != NULL)
    {
      self->names = g_new0 (char *, n + 1);
      for (int64_t j = 0; j < n; j++)
        self->names[j] = g_strdup (names[j]);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
gms_pearson_plot_clear (GmsPearsonPlot *self)
{
  g_return_if_fail (GMS_IS_PEARSON_PLOT (self));
  g_clear_pointer (&self->before, g_free);
  g_clear_pointer (&self->after, g_free);
  g_clear_pointer (&self->names, g_strfreev);
  self->n = 0;
  gms_pearson_plot_set_selected_gene (self, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

int64_t
gms_pearson_plot_get_n_genes (GmsPearsonPlot *self)
{
  g_return_val_if_fail (GMS_IS_PEARSON_PLOT (self), 0);
  return self->n;
}

int64_t
gms_pearson_plot_get_selected_gene (GmsPearsonPlot *self)
{
  g_return_val_if_fail (GMS_IS_PEARSON_PLOT (self), -1);
  return self->selected;
}

void
gms_pearson_plot_set_selected_gene (GmsPearsonPlot *self,
                                    int64_t         gene)
{
  g_return_if_fail (GMS_IS_PEARSON_PLOT (self));
  if (gene < 0 || gene >= self->n)
    gene = -1;
  if (gene == self->selected)
    return;
  self->selected = gene;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED_GENE]);
}
