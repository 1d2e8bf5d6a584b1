/* gms-genomap-view.h — the big single-cell GenoMap: crisp pixels, zoom, pan, hover, gene highlight
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Draws a rows × cols float image (row-major, NaN = no gene) with a colormap and a colour
 * range.  Every GenoMap pixel is one colour rectangle whose edges are snapped to device
 * pixels (the widget's scale factor), so the map stays crisp at any zoom and on HiDPI
 * screens without the GTK 4.10 nearest-neighbour texture scaling.
 *
 * Input: Ctrl+scroll or pinch zooms around the pointer, + / - / 0 (actions view.zoom-in,
 * view.zoom-out, view.zoom-reset), dragging pans, hovering sets "hover-text" (gene and
 * value) and the tooltip.  Left / Right activate the ancestor's actions
 * browser.previous-cell / browser.next-cell when there are any.
 */
#pragma once

#include <gtk/gtk.h>

#include "gm-render.h"

G_BEGIN_DECLS

#define GMS_TYPE_GENOMAP_VIEW (gms_genomap_view_get_type ())
G_DECLARE_FINAL_TYPE (GmsGenomapView, gms_genomap_view, GMS, GENOMAP_VIEW, GtkWidget)

GtkWidget  *gms_genomap_view_new            (void);
/* The genes at each pixel (rows × cols entries, NULL = no gene); copied.  Clears the values. */
void        gms_genomap_view_set_genes      (GmsGenomapView      *self,
                                             int                  rows,
                                             int                  cols,
                                             const char * const  *pixel_genes);
/* rows × cols values (copied), or NULL for none; @title names the image (accessible label). */
void        gms_genomap_view_set_values     (GmsGenomapView      *self,
                                             const float         *values,
                                             const char          *title);
const float *gms_genomap_view_get_values    (GmsGenomapView      *self);
void        gms_genomap_view_set_colormap   (GmsGenomapView      *self,
                                             GmColormap           colormap);
void        gms_genomap_view_set_range      (GmsGenomapView      *self,
                                             double               lo,
                                             double               hi);
/* Highlights the gene's pixel and its 8 neighbours; NULL or an unknown gene clears.
 * Returns TRUE when the gene is on the map. */
gboolean    gms_genomap_view_highlight_gene (GmsGenomapView      *self,
                                             const char          *gene);
/* Image pixel r * cols + c, or -1. */
int         gms_genomap_view_get_highlight  (GmsGenomapView      *self);
double      gms_genomap_view_get_zoom       (GmsGenomapView      *self);
void        gms_genomap_view_set_zoom       (GmsGenomapView      *self,
                                             double               zoom);
const char *gms_genomap_view_get_hover_text (GmsGenomapView      *self);
/* The pixel under a point of the widget, or -1 (for tests and tooltips). */
int         gms_genomap_view_pick           (GmsGenomapView      *self,
                                             double               x,
                                             double               y);

G_END_DECLS
