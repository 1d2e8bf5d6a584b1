/* gms-draw.c — cairo drawing helpers shared by the plot widgets (internal)
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The pieces that the plots (GmsGeneTrace, GmsLossPlot, GmsPearsonPlot) and
 * the figure views (GmsCompareView, GmsFigureView) draw alike; what only one
 * widget draws stays in that widget.  Every function draws with the cairo
 * context's current state (source, line width) unless it says otherwise.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "gms-draw.h"

const GdkRGBA gms_draw_color_before = { 0.902, 0.380, 0.0, 1.0 };
const GdkRGBA gms_draw_color_after = { 0.208, 0.518, 0.894, 1.0 };

/**
 * gms_draw_set_source:
 * @cr: a cairo context
 * @color: the colour
 * @alpha: a factor on the colour's own alpha, 0 to 1
 *
 * Sets the source of @cr to @color, made more transparent by @alpha.
 */
void
gms_draw_set_source (cairo_t       *cr,
                     const GdkRGBA *color,
                     double         alpha)
{
  cairo_set_source_rgba (cr, color->red, color->green, color->blue, color->alpha * alpha);
}

/**
 * gms_draw_text:
 * @widget: the widget whose font and context the text uses
 * @cr: a cairo context
 * @text: the text
 * @x: the horizontal anchor
 * @y: the vertical anchor
 * @xalign: where (@x, @y) falls in the text's width: 0 left, 0.5 centre, 1 right
 * @yalign: where (@x, @y) falls in the text's height: 0 top, 0.5 middle, 1 bottom
 *
 * Draws one line of @text, in the current source, so that the point
 * (@x, @y) lies at (@xalign, @yalign) of its logical extents.
 */
void
gms_draw_text (GtkWidget  *widget,
               cairo_t    *cr,
               const char *text,
               double      x,
               double      y,
               double      xalign,
               double      yalign)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, text);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, x - xalign * w, y - yalign * h);
  pango_cairo_show_layout (cr, layout);
}

/**
 * gms_draw_empty_message:
 * @widget: the plot
 * @cr: a cairo context covering the widget
 * @fg: the foreground colour
 * @text: what to say, e.g. where the data will come from
 * @width: the widget's width
 * @height: the widget's height
 *
 * Draws @text dimmed in the middle of an empty plot.  Sets the source.
 */
void
gms_draw_empty_message (GtkWidget     *widget,
                        cairo_t       *cr,
                        const GdkRGBA *fg,
                        const char    *text,
                        double         width,
                        double         height)
{
  gms_draw_set_source (cr, fg, 0.7);
  gms_draw_text (widget, cr, text, width / 2, height / 2, 0.5, 0.5);
}

/**
 * gms_draw_frame:
 * @cr: a cairo context
 * @x: the left edge of the plot area
 * @y: the top edge
 * @width: the width
 * @height: the height
 *
 * Strokes a 1-pixel frame just inside the plot area, on pixel centres so
 * that it stays crisp.  Sets the line width to 1.
 */
void
gms_draw_frame (cairo_t *cr,
                double   x,
                double   y,
                double   width,
                double   height)
{
  cairo_set_line_width (cr, 1.0);
  cairo_rectangle (cr, x + 0.5, y + 0.5, width - 1, height - 1);
  cairo_stroke (cr);
}

/**
 * gms_draw_dashed_line:
 * @cr: a cairo context
 * @x0: where the line starts
 * @y0: where the line starts
 * @x1: where the line ends
 * @y1: where the line ends
 *
 * Strokes a dashed guide line (such as the diagonal y = x) with the current
 * source and line width, and leaves @cr undashed.
 */
void
gms_draw_dashed_line (cairo_t *cr,
                      double   x0,
                      double   y0,
                      double   x1,
                      double   y1)
{
  cairo_set_dash (cr, (double[]) { 4, 3 }, 2, 0);
  cairo_move_to (cr, x0, y0);
  cairo_line_to (cr, x1, y1);
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
}

/**
 * gms_draw_legend_entry:
 * @widget: the plot
 * @cr: a cairo context
 * @fg: the foreground colour, for @label
 * @color: the colour of the swatch
 * @label: what @color stands for
 * @x: the left edge of the plot area the legend sits in
 * @y: the top edge of that area
 * @row: the entry's line in the legend, from 0
 *
 * Draws one line of a legend in the top-left corner of a plot area: a
 * 10-pixel swatch of @color and @label to its right.  Sets the source.
 */
void
gms_draw_legend_entry (GtkWidget     *widget,
                       cairo_t       *cr,
                       const GdkRGBA *fg,
                       const GdkRGBA *color,
                       const char    *label,
                       double         x,
                       double         y,
                       int            row)
{
  gms_draw_set_source (cr, color, 0.8);
  cairo_rectangle (cr, x + 6, y + (6 + 16 * row), 10, 10);
  cairo_fill (cr);
  gms_draw_set_source (cr, fg, 0.9);
  gms_draw_text (widget, cr, label, x + 20, y + (11 + 16 * row), 0.0, 0.5);
}

/**
 * gms_draw_paper:
 * @cr: a cairo context
 * @x: the left edge
 * @y: the top edge
 * @width: the width
 * @height: the height
 *
 * Fills the white sheet that a core figure (gm_figure_draw(), whose text is
 * black) is drawn on, in light and dark styles alike.  Sets the source.
 */
void
gms_draw_paper (cairo_t *cr,
                double   x,
                double   y,
                double   width,
                double   height)
{
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_rectangle (cr, x, y, width, height);
  cairo_fill (cr);
}

/**
 * gms_draw_format_r:
 * @buf: where to write
 * @size: the size of @buf
 * @r: a correlation coefficient, or NaN
 *
 * Writes @r with three decimals, or “undefined” (translated) for NaN, as
 * the plots and their tooltips show a Pearson r.
 */
void
gms_draw_format_r (char   *buf,
                   gsize   size,
                   double  r)
{
  if (isnan (r))
    g_strlcpy (buf, _("undefined"), size);
  else
    g_snprintf (buf, size, "%.3f", r);
}
