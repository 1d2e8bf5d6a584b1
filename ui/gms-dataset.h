/* gms-dataset.h — a loaded dataset for the application: data, GenoMap layout, mappers, thumbnails
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GmsDataset is created for a file, then loaded once with gms_dataset_load_async():
 * in a worker thread it reads the file (gm_read, with progress and the cancel flag wired
 * to the GCancellable; the readers' memory check refuses a file that does not fit before
 * reading its matrix), takes the GenoMap layout saved in the file (var genomap_row /
 * genomap_col and uns genomap_grid, as gm_layout_attach writes them) or computes one
 * (gm_layout_compute), and prepares one GmMapper per value transform.  A session file
 * (gms-session.h) is read as its counts, and its view state and imputation are restored.  While loading, the
 * "fraction" and "message" properties change (notified on the main thread, coalesced).
 *
 * After loading everything but the thumbnail cache is immutable, so worker threads may
 * map cells at any time.  Thumbnails (cell images coloured with gm_colorize and
 * upscaled with nearest-neighbour sampling) are made in batches in a worker thread on
 * request and kept in a bounded cache; "thumbnail-ready" is emitted on the main thread.
 */
#pragma once

#include <gtk/gtk.h>

#include "gm-dataset.h"
#include "gm-layout.h"
#include "gm-render.h"
#include "gms-impute-result.h"

G_BEGIN_DECLS

#define GMS_TYPE_DATASET (gms_dataset_get_type ())
G_DECLARE_FINAL_TYPE (GmsDataset, gms_dataset, GMS, DATASET, GObject)

GmsDataset      *gms_dataset_new                 (GFile               *file);
/* Before loading: "auto" or "cuda" let a computed layout's large products
 * run on the GPU when there is one; "cpu" or NULL (the default) keep them
 * on the processor. */
void             gms_dataset_set_layout_device   (GmsDataset          *self,
                                                  const char          *device);
void             gms_dataset_load_async          (GmsDataset          *self,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean         gms_dataset_load_finish         (GmsDataset          *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
/* Loads in the calling thread (tests, tools). */
gboolean         gms_dataset_load_sync           (GmsDataset          *self,
                                                  GCancellable        *cancellable,
                                                  GError             **error);

GFile           *gms_dataset_get_file            (GmsDataset          *self);
/* The file's display name (basename). */
const char      *gms_dataset_get_title           (GmsDataset          *self);
/* "60 cells × 40 genes" */
char            *gms_dataset_dup_size_text       (GmsDataset          *self);
gboolean         gms_dataset_is_loaded           (GmsDataset          *self);
double           gms_dataset_get_fraction        (GmsDataset          *self);
const char      *gms_dataset_get_message         (GmsDataset          *self);

typedef struct
{
  double  total_counts;
  gint64  nnz;
  double  median_genes_per_cell;    /* detected genes (non-zeros) */
  double  median_counts_per_cell;
  gboolean integer_counts;
} GmsDatasetStats;

/* Valid once loaded. */
const GmsDatasetStats *gms_dataset_get_stats     (GmsDataset          *self);
const GmDataset *gms_dataset_get_data            (GmsDataset          *self);
const GmLayout  *gms_dataset_get_layout          (GmsDataset          *self);
/* A saved session (gms-session.h): its view state (keys without the genomap_session_ prefix
 * → values), or NULL when the file is not a session. */
GHashTable      *gms_dataset_get_session_view    (GmsDataset          *self);
/* The session's imputation result (a new reference; it keeps this dataset alive), once:
 * later calls and files without one give NULL. */
GmsImputeResult *gms_dataset_take_session_result (GmsDataset          *self);
/* TRUE when the layout came from the file rather than being computed. */
gboolean         gms_dataset_get_layout_was_saved (GmsDataset         *self);
const GmMapper  *gms_dataset_get_mapper          (GmsDataset          *self,
                                                  GmTransform          transform);
int              gms_dataset_get_map_rows        (GmsDataset          *self);
int              gms_dataset_get_map_cols        (GmsDataset          *self);
/* The gene drawn at image pixel r * cols + c, or NULL; an array of rows × cols. */
const char * const *gms_dataset_get_pixel_genes  (GmsDataset          *self);
/* The image pixel (r * cols + c) of a gene name, or -1. */
int              gms_dataset_find_gene_pixel     (GmsDataset          *self,
                                                  const char          *gene);
/* Maps one cell (rows × cols floats, NaN = no gene).  Any thread. */
void             gms_dataset_map_cell            (GmsDataset          *self,
                                                  GmTransform          transform,
                                                  gint64               cell,
                                                  float               *out);
/* The mean image of @n cells (NaN pixels stay NaN).  Any thread. */
void             gms_dataset_mean_cells          (GmsDataset          *self,
                                                  GmTransform          transform,
                                                  const gint64        *cells,
                                                  gint64               n,
                                                  float               *out);

/* Thumbnails.  The style applies to every thumbnail; changing it empties the cache
 * and emits "thumbnails-changed". */
void             gms_dataset_set_thumbnail_style (GmsDataset          *self,
                                                  GmTransform          transform,
                                                  GmColormap           colormap,
                                                  double               clip_quantile);
/* The cached thumbnail (a new reference) or NULL, in which case it is queued and
 * "thumbnail-ready" follows. */
GdkTexture      *gms_dataset_get_thumbnail       (GmsDataset          *self,
                                                  gint64               cell);
/* Drops a queued request that is no longer needed (the item scrolled away). */
void             gms_dataset_forget_thumbnail    (GmsDataset          *self,
                                                  gint64               cell);

/* The colour range of one image for a clip quantile: [q_low, q_high] quantiles of the
 * non-NaN values with q_low = 1 − q_high (the same as gm_figure_get_scale). */
void             gms_image_get_scale             (const float         *values,
                                                  int                  n,
                                                  double               clip_quantile,
                                                  gboolean             diverging,
                                                  double              *lo,
                                                  double              *hi);
const char      *gms_transform_label             (GmTransform          transform);
/* Runs @func for @task in a new thread of lower priority (nice 10), for background work
 * that must not take the CPU from the main loop on small machines (thumbnails, group
 * means).  Takes a reference on @task. */
void             gms_task_run_in_background      (GTask               *task,
                                                  GTaskThreadFunc      func);

G_END_DECLS
