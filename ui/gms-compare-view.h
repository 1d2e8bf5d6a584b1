/* gms-compare-view.h — one cell's GenoMap before and after imputation, and their difference
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Observed and imputed maps share one colour scale (one core GmFigure with
 * two panels and one colour bar); the difference imputed − observed has its
 * own figure with the diverging colormap, symmetric around zero.  Drawn by
 * gm_figure_draw (nearest-neighbour heatmaps: every GenoMap pixel stays a
 * sharp square at any size and scale factor).
 */
#pragma once

#include <gtk/gtk.h>

#include "gm-render.h"

G_BEGIN_DECLS

#define GMS_TYPE_COMPARE_VIEW (gms_compare_view_get_type ())
G_DECLARE_FINAL_TYPE (GmsCompareView, gms_compare_view, GMS, COMPARE_VIEW, GtkWidget)

GtkWidget *gms_compare_view_new            (void);
/* Copies the two rows × cols images (row-major, NaN = no gene). */
void       gms_compare_view_set_maps       (GmsCompareView *self,
                                            const float    *observed,
                                            const float    *imputed,
                                            int             rows,
                                            int             cols);
void       gms_compare_view_clear          (GmsCompareView *self);
/* The names of the genes by image pixel (rows × cols, row-major, NULL = no
 * gene), for tooltips; copied. */
void       gms_compare_view_set_pixel_names (GmsCompareView     *self,
                                             const char * const *names);
/* The colormap of the observed/imputed maps (the difference is always diverging). */
void       gms_compare_view_set_colormap   (GmsCompareView *self,
                                            GmColormap      colormap);
/* Outlines map pixel (row, col) in all three maps; −1 removes it. */
void       gms_compare_view_set_highlight  (GmsCompareView *self,
                                            int             row,
                                            int             col);
/* The shared scale of the two maps and the half-range of the difference scale. */
void       gms_compare_view_get_scales     (GmsCompareView *self,
                                            double         *lo,
                                            double         *hi,
                                            double         *diff_limit);
/* The difference image (imputed − observed, NaN where either is), or NULL. */
const float *gms_compare_view_get_difference (GmsCompareView *self);

G_END_DECLS
