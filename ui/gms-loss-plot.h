/* gms-loss-plot.h — the training loss of ER-Net, live, on a logarithmic axis
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define GMS_TYPE_LOSS_PLOT (gms_loss_plot_get_type ())
G_DECLARE_FINAL_TYPE (GmsLossPlot, gms_loss_plot, GMS, LOSS_PLOT, GtkWidget)

GtkWidget *gms_loss_plot_new          (void);
void       gms_loss_plot_clear        (GmsLossPlot  *self);
/* The x axis runs from step 1 to @steps. */
void       gms_loss_plot_set_n_steps  (GmsLossPlot  *self,
                                       int           steps);
/* Losses of steps first_step, first_step + 1, … (1-based, contiguous with
 * what was appended before). */
void       gms_loss_plot_append       (GmsLossPlot  *self,
                                       int           first_step,
                                       const double *losses,
                                       guint         n_losses);
guint      gms_loss_plot_get_n_points (GmsLossPlot  *self);
double     gms_loss_plot_get_last     (GmsLossPlot  *self);

G_END_DECLS
