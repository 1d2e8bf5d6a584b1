/* gms-gene-trace.h — one gene across cells: observed and imputed against the reference
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A scatter with one point per cell: x = the reference value, y = the
 * observed value (orange) and the imputed value (blue), log-normalised, on
 * one common range with the diagonal y = x.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define GMS_TYPE_GENE_TRACE (gms_gene_trace_get_type ())
G_DECLARE_FINAL_TYPE (GmsGeneTrace, gms_gene_trace, GMS, GENE_TRACE, GtkWidget)

GtkWidget  *gms_gene_trace_new       (void);
/* Copies the n values of each vector; r_* may be NaN (undefined). */
void        gms_gene_trace_set_data  (GmsGeneTrace *self,
                                      const char   *gene,
                                      const double *reference,
                                      const double *observed,
                                      const double *imputed,
                                      int64_t       n,
                                      double        r_before,
                                      double        r_after);
void        gms_gene_trace_clear     (GmsGeneTrace *self);
const char *gms_gene_trace_get_gene  (GmsGeneTrace *self);
/* The common axis limit (the largest value of the three vectors, at least 1). */
double      gms_gene_trace_get_limit (GmsGeneTrace *self);

G_END_DECLS
