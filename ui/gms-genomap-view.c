/* gms-genomap-view.c — the big single-cell GenoMap view
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "gms-genomap-view.h"

#define MARGIN    6.0
#define ZOOM_MIN  1.0
#define ZOOM_MAX  64.0
#define ZOOM_STEP 1.25

struct _GmsGenomapView
{
  GtkWidget   parent_instance;

  int         rows, cols;
  char      **genes;          /* rows × cols, NULL holes; each g_free'd */
  float      *values;         /* rows × cols or NULL */
  guint32    *argb;           /* colours of values */
  char       *title;
  GmColormap  colormap;
  double      lo, hi;
  int         highlight;      /* image pixel or -1 */
  int         hover;          /* image pixel or -1 */
  char       *hover_text;

  double      zoom;
  double      pan_x, pan_y;
  double      drag_pan_x, drag_pan_y;
  double      pinch_zoom_start;
  double      pointer_x, pointer_y;
};

G_DEFINE_FINAL_TYPE (GmsGenomapView, gms_genomap_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ZOOM,
  PROP_HOVER_TEXT,
  PROP_HIGHLIGHT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------ geometry */

static gboolean
get_geometry (GmsGenomapView *self,
              double         *ox,
              double         *oy,
              double         *s)
{
  double w = gtk_widget_get_width (GTK_WIDGET (self));
  double h = gtk_widget_get_height (GTK_WIDGET (self));
  double fit;

  if (self->rows < 1 || self->cols < 1 || w <= 2 * MARGIN || h <= 2 * MARGIN)
    return FALSE;
  fit = MIN ((w - 2 * MARGIN) / self->cols, (h - 2 * MARGIN) / self->rows);
  *s = fit * self->zoom;
  *ox = (w - *s * self->cols) / 2.0 + self->pan_x;
  *oy = (h - *s * self->rows) / 2.0 + self->pan_y;
  return TRUE;
}

int
gms_genomap_view_pick (GmsGenomapView *self,
                       double          x,
                       double          y)
{
  double ox, oy, s;
  int r, c;

  g_return_val_if_fail (GMS_IS_GENOMAP_VIEW (self), -1);
  if (!get_geometry (self, &ox, &oy, &s))
    return -1;
  c = (int) floor ((x - ox) / s);
  r = (int) floor ((y - oy) / s);
  if (r < 0 || c < 0 || r >= self->rows || c >= self->cols)
    return -1;
  return r * self->cols + c;
}

static void
clamp_pan (GmsGenomapView *self)
{
  double w = gtk_widget_get_width (GTK_WIDGET (self));
  double h = gtk_widget_get_height (GTK_WIDGET (self));
  double ox, oy, s, limit_x, limit_y;

  if (!get_geometry (self, &ox, &oy, &s))
    return;
  /* keep at least a quarter of the view covered by the map */
  limit_x = MAX (0.0, (s * self->cols + w) / 2.0 - w / 4.0);
  limit_y = MAX (0.0, (s * self->rows + h) / 2.0 - h / 4.0);
  if (self->zoom <= ZOOM_MIN)
    limit_x = limit_y = 0.0;
  self->pan_x = CLAMP (self->pan_x, -limit_x, limit_x);
  self->pan_y = CLAMP (self->pan_y, -limit_y, limit_y);
}

/* Zooms keeping the map point under (x, y) in place. */
static void
zoom_at (GmsGenomapView *self,
         double          zoom,
         double          x,
         double          y)
{
  double w = gtk_widget_get_width (GTK_WIDGET (self));
  double h = gtk_widget_get_height (GTK_WIDGET (self));
  double ox, oy, s, u, v, s2;

  zoom = CLAMP (zoom, ZOOM_MIN, ZOOM_MAX);
  if (zoom == self->zoom)
    return;
  if (get_geometry (self, &ox, &oy, &s))
    {
      u = (x - ox) / s;
      v = (y - oy) / s;
      s2 = s / self->zoom * zoom;
      self->pan_x = (x - u * s2) - (w - s2 * self->cols) / 2.0;
      self->pan_y = (y - v * s2) - (h - s2 * self->rows) / 2.0;
    }
  self->zoom = zoom;
  clamp_pan (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
}

/* ------------------------------------------------------------ drawing */

static void
argb_to_rgba (guint32  argb,
              GdkRGBA *rgba)
{
  rgba->alpha = ((argb >> 24) & 0xff) / 255.0f;
  rgba->red = ((argb >> 16) & 0xff) / 255.0f;
  rgba->green = ((argb >> 8) & 0xff) / 255.0f;
  rgba->blue = (argb & 0xff) / 255.0f;
}

static void
append_frame (GtkSnapshot   *snapshot,
              double         x0,
              double         y0,
              double         x1,
              double         y1,
              float          width,
              const GdkRGBA *color)
{
  GskRoundedRect rr;
  float widths[4] = { width, width, width, width };
  GdkRGBA colors[4] = { *color, *color, *color, *color };

  gsk_rounded_rect_init_from_rect (&rr, &GRAPHENE_RECT_INIT (x0, y0, x1 - x0, y1 - y0), 0);
  gtk_snapshot_append_border (snapshot, &rr, widths, colors);
}

static void
gms_genomap_view_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  GmsGenomapView *self = GMS_GENOMAP_VIEW (widget);
  double w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  double ox, oy, s, sf = gtk_widget_get_scale_factor (widget);
  int r0, r1, c0, c1;
  g_autofree double *xe = NULL;
  g_autofree double *ye = NULL;

  if (self->values == NULL || !get_geometry (self, &ox, &oy, &s))
    return;

  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));

  /* pixel edges snapped to device pixels: neighbours share their edges exactly */
  xe = g_new (double, self->cols + 1);
  ye = g_new (double, self->rows + 1);
  for (int c = 0; c <= self->cols; c++)
    xe[c] = round ((ox + c * s) * sf) / sf;
  for (int r = 0; r <= self->rows; r++)
    ye[r] = round ((oy + r * s) * sf) / sf;
  c0 = CLAMP ((int) floor (-ox / s), 0, self->cols);
  c1 = CLAMP ((int) ceil ((w - ox) / s), 0, self->cols);
  r0 = CLAMP ((int) floor (-oy / s), 0, self->rows);
  r1 = CLAMP ((int) ceil ((h - oy) / s), 0, self->rows);

  for (int r = r0; r < r1; r++)
    {
      for (int c = c0; c < c1; c++)
        {
          GdkRGBA color;
          /* merge runs of equal colours into one rectangle */
          int c_end = c + 1;
          guint32 argb = self->argb[r * self->cols + c];

          while (c_end < c1 && self->argb[r * self->cols + c_end] == argb)
            c_end++;
          argb_to_rgba (argb, &color);
          gtk_snapshot_append_color (snapshot, &color,
                                     &GRAPHENE_RECT_INIT (xe[c], ye[r], xe[c_end] - xe[c], ye[r + 1] - ye[r]));
          c = c_end - 1;
        }
    }

  if (self->highlight >= 0)
    {
      int hr = self->highlight / self->cols, hc = self->highlight % self->cols;
      int ar = MAX (hr - 1, 0), br = MIN (hr + 2, self->rows);
      int ac = MAX (hc - 1, 0), bc = MIN (hc + 2, self->cols);
      GdkRGBA white = { 1, 1, 1, 1 }, black = { 0, 0, 0, 1 }, accent = { 0.96f, 0.38f, 0.0f, 1 };
      float t = (float) MAX (1.0, MIN (3.0, s / 8.0));

      /* the 8 neighbours: a light frame inside a dark one, so it shows on any colour */
      append_frame (snapshot, xe[ac] - t, ye[ar] - t, xe[bc] + t, ye[br] + t, t, &black);
      append_frame (snapshot, xe[ac], ye[ar], xe[bc], ye[br], t, &white);
      /* the gene itself */
      append_frame (snapshot, xe[hc], ye[hr], xe[hc + 1], ye[hr + 1], MAX (1.0f, t), &accent);
    }

  if (self->hover >= 0 && self->hover != self->highlight)
    {
      int hr = self->hover / self->cols, hc = self->hover % self->cols;
      GdkRGBA white = { 1, 1, 1, 0.9f };
      append_frame (snapshot, xe[hc], ye[hr], xe[hc + 1], ye[hr + 1], 1.0f, &white);
    }

  gtk_snapshot_pop (snapshot);
}

static void
gms_genomap_view_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  *minimum = 64;
  *natural = 480;
}

static void
gms_genomap_view_size_allocate (GtkWidget *widget,
                                int        width,
                                int        height,
                                int        baseline)
{
  clamp_pan (GMS_GENOMAP_VIEW (widget));
}

/* ------------------------------------------------------------ colours, hover */

static void
recolor (GmsGenomapView *self)
{
  if (self->values == NULL)
    return;
  self->argb = g_renew (guint32, self->argb, (gsize) self->rows * self->cols);
  gm_colorize (self->values, self->rows, self->cols, self->colormap, self->lo, self->hi,
               gm_colormap_nan_argb (self->colormap), self->argb);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
update_hover (GmsGenomapView *self,
              int             pixel)
{
  g_autofree char *text = NULL;

  if (pixel >= 0 && self->values != NULL)
    {
      int r = pixel / self->cols, c = pixel % self->cols;
      const char *gene = self->genes ? self->genes[pixel] : NULL;

      if (gene != NULL)
        /* Translators: hover text over a GenoMap pixel: gene, value, row, column */
        text = g_strdup_printf (_("%s: %.4g (row %d, column %d)"), gene, self->values[pixel], r, c);
      else
        text = g_strdup_printf (_("No gene (row %d, column %d)"), r, c);
    }
  if (pixel == self->hover && g_strcmp0 (text, self->hover_text) == 0)
    return;
  self->hover = pixel;
  g_free (self->hover_text);
  self->hover_text = g_steal_pointer (&text);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HOVER_TEXT]);
}

static void
motion_cb (GtkEventControllerMotion *controller,
           double                    x,
           double                    y,
           GmsGenomapView           *self)
{
  self->pointer_x = x;
  self->pointer_y = y;
  update_hover (self, gms_genomap_view_pick (self, x, y));
}

static void
leave_cb (GtkEventControllerMotion *controller,
          GmsGenomapView           *self)
{
  update_hover (self, -1);
}

static gboolean
query_tooltip_cb (GtkWidget      *widget,
                  int             x,
                  int             y,
                  gboolean        keyboard,
                  GtkTooltip     *tooltip,
                  GmsGenomapView *self)
{
  int p = keyboard ? self->highlight : gms_genomap_view_pick (self, x, y);

  if (p < 0 || self->values == NULL)
    return FALSE;
  update_hover (self, p);
  gtk_tooltip_set_text (tooltip, self->hover_text);
  return TRUE;
}

static gboolean
scroll_cb (GtkEventControllerScroll *controller,
           double                    dx,
           double                    dy,
           GmsGenomapView           *self)
{
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));

  if (!(state & GDK_CONTROL_MASK) || dy == 0)
    return FALSE;
  zoom_at (self, self->zoom * pow (ZOOM_STEP, -dy), self->pointer_x, self->pointer_y);
  return TRUE;
}

static void
drag_begin_cb (GtkGestureDrag *gesture,
               double          x,
               double          y,
               GmsGenomapView *self)
{
  self->drag_pan_x = self->pan_x;
  self->drag_pan_y = self->pan_y;
  gtk_widget_grab_focus (GTK_WIDGET (self));
}

static void
drag_update_cb (GtkGestureDrag *gesture,
                double          dx,
                double          dy,
                GmsGenomapView *self)
{
  if (self->zoom <= ZOOM_MIN)
    return;
  self->pan_x = self->drag_pan_x + dx;
  self->pan_y = self->drag_pan_y + dy;
  clamp_pan (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
pinch_begin_cb (GtkGesture       *gesture,
                GdkEventSequence *sequence,
                GmsGenomapView   *self)
{
  self->pinch_zoom_start = self->zoom;
}

static void
pinch_scale_changed_cb (GtkGestureZoom *gesture,
                        double          scale,
                        GmsGenomapView *self)
{
  double x, y;

  if (!gtk_gesture_get_bounding_box_center (GTK_GESTURE (gesture), &x, &y))
    {
      x = gtk_widget_get_width (GTK_WIDGET (self)) / 2.0;
      y = gtk_widget_get_height (GTK_WIDGET (self)) / 2.0;
    }
  zoom_at (self, self->pinch_zoom_start * scale, x, y);
}

static void
zoom_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  GmsGenomapView *self = GMS_GENOMAP_VIEW (widget);
  double cx = gtk_widget_get_width (widget) / 2.0, cy = gtk_widget_get_height (widget) / 2.0;

  if (g_str_equal (action_name, "view.zoom-in"))
    zoom_at (self, self->zoom * ZOOM_STEP, cx, cy);
  else if (g_str_equal (action_name, "view.zoom-out"))
    zoom_at (self, self->zoom / ZOOM_STEP, cx, cy);
  else
    gms_genomap_view_set_zoom (self, 1.0);
}

/* ------------------------------------------------------------ GObject */

static void
gms_genomap_view_finalize (GObject *object)
{
  GmsGenomapView *self = (GmsGenomapView *) object;

  if (self->genes != NULL)
    for (int p = 0; p < self->rows * self->cols; p++)
      g_free (self->genes[p]);
  g_free (self->genes);
  g_free (self->values);
  g_free (self->argb);
  g_free (self->title);
  g_free (self->hover_text);
  G_OBJECT_CLASS (gms_genomap_view_parent_class)->finalize (object);
}

static void
gms_genomap_view_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  GmsGenomapView *self = GMS_GENOMAP_VIEW (object);

  switch (prop_id)
    {
    case PROP_ZOOM:
      g_value_set_double (value, self->zoom);
      break;
    case PROP_HOVER_TEXT:
      g_value_set_string (value, self->hover_text);
      break;
    case PROP_HIGHLIGHT:
      g_value_set_int (value, self->highlight);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gms_genomap_view_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  GmsGenomapView *self = GMS_GENOMAP_VIEW (object);

  switch (prop_id)
    {
    case PROP_ZOOM:
      gms_genomap_view_set_zoom (self, g_value_get_double (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gms_genomap_view_class_init (GmsGenomapViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = gms_genomap_view_finalize;
  object_class->get_property = gms_genomap_view_get_property;
  object_class->set_property = gms_genomap_view_set_property;

  widget_class->snapshot = gms_genomap_view_snapshot;
  widget_class->measure = gms_genomap_view_measure;
  widget_class->size_allocate = gms_genomap_view_size_allocate;

  properties[PROP_ZOOM] =
    g_param_spec_double ("zoom", NULL, NULL, ZOOM_MIN, ZOOM_MAX, 1.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HOVER_TEXT] =
    g_param_spec_string ("hover-text", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HIGHLIGHT] =
    g_param_spec_int ("highlight", NULL, NULL, -1, G_MAXINT, -1,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "view.zoom-in", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "view.zoom-out", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "view.zoom-reset", NULL, zoom_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, 0, "view.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Add, 0, "view.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, 0, "view.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, 0, "view.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Subtract, 0, "view.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, 0, "view.zoom-reset", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, 0, "browser.previous-cell", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Right, 0, "browser.next-cell", NULL);

  gtk_widget_class_set_css_name (widget_class, "genomapview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
gms_genomap_view_init (GmsGenomapView *self)
{
  GtkEventController *controller;
  GtkGesture *gesture;

  self->zoom = 1.0;
  self->highlight = -1;
  self->hover = -1;
  self->colormap = GM_COLORMAP_VIRIDIS;
  self->lo = 0.0;
  self->hi = 1.0;

  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (query_tooltip_cb), self);

  controller = gtk_event_controller_motion_new ();
  g_signal_connect (controller, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect (controller, "leave", G_CALLBACK (leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  g_signal_connect (controller, "scroll", G_CALLBACK (scroll_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  gesture = gtk_gesture_drag_new ();
  g_signal_connect (gesture, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect (gesture, "drag-update", G_CALLBACK (drag_update_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));

  gesture = gtk_gesture_zoom_new ();
  g_signal_connect (gesture, "begin", G_CALLBACK (pinch_begin_cb), self);
  g_signal_connect (gesture, "scale-changed", G_CALLBACK (pinch_scale_changed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("GenoMap"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  _("The cell's genes on a grid, coloured by expression"),
                                  -1);
}

GtkWidget *
gms_genomap_view_new (void)
{
  return g_object_new (GMS_TYPE_GENOMAP_VIEW, NULL);
}

void
gms_genomap_view_set_genes (GmsGenomapView     *self,
                            int                 rows,
                            int                 cols,
                            const char * const *pixel_genes)
{
  g_return_if_fail (GMS_IS_GENOMAP_VIEW (self));
  g_return_if_fail (rows >= 0 && cols >= 0);

  if (self->genes != NULL)
    for (int p = 0; p < self->rows * self->cols; p++)
      g_free (self->genes[p]);
  g_clear_pointer (&self->genes, g_free);
  g_clear_pointer (&self->values, g_free);
  self->rows = rows;
  self->cols = cols;
  if (pixel_genes != NULL)
    {
      self->genes = g_new0 (char *, (gsize) rows * cols);
      for (int p = 0; p < rows * cols; p++)
        self->genes[p] = g_strdup (pixel_genes[p]);
    }
  self->highlight = -1;
  self->hover = -1;
  self->zoom = 1.0;
  self->pan_x = self->pan_y = 0;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
gms_genomap_view_set_values (GmsGenomapView *self,
                             const float    *values,
                             const char     *title)
{
  g_return_if_fail (GMS_IS_GENOMAP_VIEW (self));

  g_clear_pointer (&self->values, g_free);
  if (values != NULL && self->rows > 0 && self->cols > 0)
    self->values = g_memdup2 (values, sizeof (float) * self->rows * self->cols);
  g_free (self->title);
  self->title = g_strdup (title);
  if (title != NULL)
    {
      /* Translators: accessible name of the GenoMap view, %s is a cell or group name */
      g_autofree char *label = g_strdup_printf (_("GenoMap of %s"), title);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
    }
  recolor (self);
  if (self->hover >= 0)
    update_hover (self, self->hover);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const float *
gms_genomap_view_get_values (GmsGenomapView *self)
{
  g_return_val_if_fail (GMS_IS_GENOMAP_VIEW (self), NULL);
  return self->values;
}

void
gms_genomap_view_set_colormap (GmsGenomapView *self,
                               GmColormap      colormap)
{
  g_return_if_fail (GMS_IS_GENOMAP_VIEW (self));
  self->colormap = colormap;
  recolor (self);
}

void
gms_genomap_view_set_range (GmsGenomapView *self,
                            double          lo,
                            double          hi)
{
  g_return_if_fail (GMS_IS_GENOMAP_VIEW (self));
  self->lo = lo;
  self->hi = hi;
  recolor (self);
}

gboolean
gms_genomap_view_highlight_gene (GmsGenomapView *self,
                                 const char     *gene)
{
  int found = -1;

  g_return_val_if_fail (GMS_IS_GENOMAP_VIEW (self), FALSE);

  if (gene != NULL && self->genes != NULL)
    for (int p = 0; p < self->rows * self->cols; p++)
      if (self->genes[p] != NULL && g_ascii_strcasecmp (self->genes[p], gene) == 0)
        {
          found = p;
          break;
        }
  if (found != self->highlight)
    {
      self->highlight = found;
      gtk_widget_queue_draw (GTK_WIDGET (self));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HIGHLIGHT]);
    }
  return found >= 0;
}

int
gms_genomap_view_get_highlight (GmsGenomapView *self)
{
  g_return_val_if_fail (GMS_IS_GENOMAP_VIEW (self), -1);
  return self->highlight;
}

double
gms_genomap_view_get_zoom (GmsGenomapView *self)
{
  g_return_val_if_fail (GMS_IS_GENOMAP_VIEW (self), 1.0);
  return self->zoom;
}

void
gms_genomap_view_set_zoom (GmsGenomapView *self,
                           double          zoom)
{
  g_return_if_fail (GMS_IS_GENOMAP_VIEW (self));
  zoom = CLAMP (zoom, ZOOM_MIN, ZOOM_MAX);
  if (zoom == ZOOM_MIN)
    self->pan_x = self->pan_y = 0;
  zoom_at (self, zoom, gtk_widget_get_width (GTK_WIDGET (self)) / 2.0,
           gtk_widget_get_height (GTK_WIDGET (self)) / 2.0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const char *
gms_genomap_view_get_hover_text (GmsGenomapView *self)
{
  g_return_val_if_fail (GMS_IS_GENOMAP_VIEW (self), NULL);
  return self->hover_text;
}
