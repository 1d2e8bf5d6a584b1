/* gms-overview-page.h — what is in a dataset: size, counts, annotations, reader notes, layout
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gms-dataset.h"

G_BEGIN_DECLS

#define GMS_TYPE_OVERVIEW_PAGE (gms_overview_page_get_type ())
G_DECLARE_FINAL_TYPE (GmsOverviewPage, gms_overview_page, GMS, OVERVIEW_PAGE, AdwBin)

GtkWidget *gms_overview_page_new         (void);
void       gms_overview_page_set_dataset (GmsOverviewPage *self,
                                          GmsDataset      *dataset);

G_END_DECLS
