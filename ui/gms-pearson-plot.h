/* gms-pearson-plot.h — per-gene Pearson r before vs after imputation
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Left: a scatter of r before (x) against r after (y), both in [−1, 1], with
 * the diagonal (above it = improved).  Genes whose r is undefined (a
 * constant vector: NaN) are not hidden: a gene with only r before undefined
 * is a tick in the band left of the scatter at its r after, one with only r
 * after undefined a tick in the band below at its r before; genes undefined
 * on both sides are counted in the caption.  Right: histograms of the
 * defined r before and after (GMS_PEARSON_BINS bins over [−1, 1]).  Clicking
 * a gene selects it (the "selected-gene" property, −1 = none); with the
 * keyboard focus, the arrow keys step through the drawn genes and Escape
 * clears the selection.
 *
 * The geometry functions take the plot size explicitly so that the tests can
 * check the mapping without drawing.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define GMS_PEARSON_BINS 20

#define GMS_TYPE_PEARSON_PLOT (gms_pearson_plot_get_type ())
G_DECLARE_FINAL_TYPE (GmsPearsonPlot, gms_pearson_plot, GMS, PEARSON_PLOT, GtkWidget)

GtkWidget *gms_pearson_plot_new            (void);
/* Copies n values of each (NaN = undefined); @names (n, may be NULL) for tooltips. */
void       gms_pearson_plot_set_data       (GmsPearsonPlot     *self,
                                            const double       *r_before,
                                            const double       *r_after,
                                            const char * const *names,
                                            int64_t             n);
void       gms_pearson_plot_clear          (GmsPearsonPlot     *self);
int64_t    gms_pearson_plot_get_n_genes    (GmsPearsonPlot     *self);
/* Genes with r undefined before only, after only, and on both sides. */
void       gms_pearson_plot_get_undefined  (GmsPearsonPlot     *self,
                                            int64_t            *before_only,
                                            int64_t            *after_only,
                                            int64_t            *both);
/* Counts of the defined r per bin (bin k covers [−1 + k·w, −1 + (k+1)·w),
 * w = 2 / GMS_PEARSON_BINS; r = 1 falls in the last bin). */
void       gms_pearson_plot_get_histogram  (GmsPearsonPlot     *self,
                                            gboolean            after,
                                            guint               counts[GMS_PEARSON_BINS]);

/* Where gene @gene is drawn in a plot of width × height; FALSE when it is
 * undefined on both sides (not drawn). */
gboolean   gms_pearson_plot_gene_position  (GmsPearsonPlot     *self,
                                            double              width,
                                            double              height,
                                            int64_t             gene,
                                            double             *x,
                                            double             *y);
/* The gene drawn nearest to (x, y), within 6 pixels, or −1. */
int64_t    gms_pearson_plot_gene_at        (GmsPearsonPlot     *self,
                                            double              width,
                                            double              height,
                                            double              x,
                                            double              y);
/* The scatter area of a width × height plot: r = −1 … 1 maps linearly onto
 * x … x + w (r before) and y + h … y (r after). */
void       gms_pearson_plot_scatter_area   (double              width,
                                            double              height,
                                            graphene_rect_t    *area);

int64_t    gms_pearson_plot_get_selected_gene (GmsPearsonPlot  *self);
void       gms_pearson_plot_set_selected_gene (GmsPearsonPlot  *self,
                                               int64_t          gene);

G_END_DECLS
