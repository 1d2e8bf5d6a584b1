/* gms-figure-view.h — draws a core figure (gm_figure_draw) scaled to fit, with gene tooltips
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The figure is drawn by exactly the code that writes PNG/SVG/PDF files, on a white sheet
 * (the figure's text is black), scaled to the widget.  Hovering a heatmap pixel shows
 * the gene and value of that panel.
 */
#pragma once

#include <gtk/gtk.h>

#include "gms-figure.h"

G_BEGIN_DECLS

#define GMS_TYPE_FIGURE_VIEW (gms_figure_view_get_type ())
G_DECLARE_FINAL_TYPE (GmsFigureView, gms_figure_view, GMS, FIGURE_VIEW, GtkWidget)

GtkWidget *gms_figure_view_new        (void);
/* @pixel_genes: rows × cols gene names of the panels' images (NULL holes), or NULL; copied. */
void       gms_figure_view_set_figure (GmsFigureView      *self,
                                       GmsFigure          *figure,
                                       const char * const *pixel_genes);
GmsFigure *gms_figure_view_get_figure (GmsFigureView      *self);

G_END_DECLS
