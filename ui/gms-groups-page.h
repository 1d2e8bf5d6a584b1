/* gms-groups-page.h — mean GenoMaps per group on one shared scale, and the difference of two groups
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The means are computed in a worker thread with the arithmetic of
 * `genomap-cli render --mean-by` (mean of the cells' mapped images, NaN stays NaN) and
 * drawn with the core figure code; the difference A − B uses the diverging colormap
 * with a symmetric scale, like `render --diff`, and lists the genes that differ most.
 * Activating a gene emits "gene-activated".
 * Property "export-items": the two figures and the table of differences.
 */
#pragma once

#include <adwaita.h>

#include "gms-dataset.h"

G_BEGIN_DECLS

#define GMS_TYPE_GROUPS_PAGE (gms_groups_page_get_type ())
G_DECLARE_FINAL_TYPE (GmsGroupsPage, gms_groups_page, GMS, GROUPS_PAGE, AdwBin)

GtkWidget *gms_groups_page_new         (void);
void       gms_groups_page_set_dataset (GmsGroupsPage *self,
                                        GmsDataset    *dataset);
/* Selects the grouping column and the pair A − B (by category names; NULL keeps). */
void       gms_groups_page_set_groups  (GmsGroupsPage *self,
                                        const char    *column,
                                        const char    *a,
                                        const char    *b);
/* TRUE while the means are being computed. */
gboolean   gms_groups_page_is_busy     (GmsGroupsPage *self);

G_END_DECLS
