/* gms-draw.h — cairo drawing helpers shared by the plot widgets (internal)
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The colours of the two sides of a before/after comparison. */
extern const GdkRGBA gms_draw_color_before;   /* orange: observed */
extern const GdkRGBA gms_draw_color_after;    /* blue: imputed */

void gms_draw_set_source    (cairo_t       *cr,
                             const GdkRGBA *color,
                             double         alpha);
void gms_draw_text          (GtkWidget     *widget,
                             cairo_t       *cr,
                             const char    *text,
                             double         x,
                             double         y,
                             double         xalign,
                             double         yalign);
void gms_draw_empty_message (GtkWidget     *widget,
                             cairo_t       *cr,
                             const GdkRGBA *fg,
                             const char    *text,
                             double         width,
                             double         height);
void gms_draw_frame         (cairo_t       *cr,
                             double         x,
                             double         y,
                             double         width,
                             double         height);
void gms_draw_dashed_line   (cairo_t       *cr,
                             double         x0,
                             double         y0,
                             double         x1,
                             double         y1);
void gms_draw_legend_entry  (GtkWidget     *widget,
                             cairo_t       *cr,
                             const GdkRGBA *fg,
                             const GdkRGBA *color,
                             const char    *label,
                             double         x,
                             double         y,
                             int            row);
void gms_draw_paper         (cairo_t       *cr,
                             double         x,
                             double         y,
                             double         width,
                             double         height);
void gms_draw_format_r      (char          *buf,
                             gsize          size,
                             double         r);

G_END_DECLS
