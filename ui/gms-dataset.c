/* gms-dataset.c — loading a dataset off the main thread; GenoMap layout, mappers, thumbnails
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gm-io.h"
#include "gm-linalg.h"
#include "gm-nn-device.h"
#include "gms-dataset.h"
#include "gms-session.h"

#define N_TRANSFORMS          4
#define THUMBNAIL_CACHE_SIZE  1024
#define THUMBNAIL_BATCH       48
#define THUMBNAIL_TARGET_PX   96

struct _GmsDataset
{
  GObject      parent_instance;

  GFile       *file;
  char        *path;
  char        *title;
  char        *layout_device;            /* where a computed layout's products run; NULL = cpu */

  /* loading progress, written by the worker under progress_lock */
  GMutex       progress_lock;
  double       fraction;
  char        *message;
  guint        progress_idle;
  double       stage_base, stage_span;   /* worker only: where this stage sits in the bar */
  gint         cancel_flag;

  /* immutable once loaded */
  gboolean     loaded;
  GmDataset   *data;
  GmLayout    *layout;
  gboolean     layout_saved;
  GmsDatasetStats stats;
  GmMapper    *mappers[N_TRANSFORMS];
  char       **pixel_genes;              /* rows × cols, NULL where no gene */
  GHashTable  *gene_pixel;               /* gene name → pixel + 1 */
  GmsSession  *session;                  /* a saved session's view and imputation, or NULL */

  /* thumbnails: everything below under thumb_lock */
  GMutex       thumb_lock;
  GmTransform  thumb_transform;
  GmColormap   thumb_colormap;
  double       thumb_clip;
  guint        thumb_generation;
  GHashTable  *thumb_cache;              /* cell → GdkTexture */
  GQueue       thumb_lru;                /* cells, most recent at the head */
  GQueue       thumb_queue;              /* requested cells, newest at the head */
  GHashTable  *thumb_queued;             /* cell → GList link in thumb_queue */
  gboolean     thumb_worker_running;
  GPtrArray   *thumb_done;               /* ThumbResult, waiting for the main thread */
  guint        thumb_idle;
};

G_DEFINE_FINAL_TYPE (GmsDataset, gms_dataset, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_FRACTION,
  PROP_MESSAGE,
  PROP_LOADED,
  N_PROPS
};

enum {
  THUMBNAIL_READY,
  THUMBNAILS_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef struct
{
  gint64      cell;
  guint       generation;
  GdkTexture *texture;
} ThumbResult;

static void
thumb_result_free (gpointer data)
{
  ThumbResult *r = data;

  g_clear_object (&r->texture);
  g_free (r);
}

const char *
gms_transform_label (GmTransform transform)
{
  switch (transform)
    {
    case GM_TRANSFORM_RAW:
      return _("counts");
    case GM_TRANSFORM_ZSCORE:
      return _("z-score");
    case GM_TRANSFORM_MINMAX:
      return _("scaled (0–1)");
    case GM_TRANSFORM_LOG1P_CP10K:
    default:
      return _("log1p(counts per 10k)");
    }
}

void
gms_image_get_scale (const float *values,
                     int          n,
                     double       clip_quantile,
                     gboolean     diverging,
                     double      *lo,
                     double      *hi)
{
  GmPanel panel = { values, 1, n, NULL };
  GmFigure fig;

  gm_figure_init (&fig);
  fig.n_rows = fig.n_cols = 1;
  fig.panels = &panel;
  fig.diverging = diverging;
  if (diverging)
    fig.colormap = GM_COLORMAP_DIVERGING;
  clip_quantile = CLAMP (clip_quantile, 0.5, 1.0);
  fig.clip_low = 1.0 - clip_quantile;
  fig.clip_high = clip_quantile;
  gm_figure_get_scale (&fig, lo, hi);
}

typedef struct
{
  GTask           *task;
  GTaskThreadFunc  func;
} BackgroundJob;

static gpointer
background_thread (gpointer data)
{
  BackgroundJob *job = data;

#ifdef SYS_gettid
  /* Linux: a thread's nice value is its own */
  setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), 10);
#endif
  job->func (job->task, g_task_get_source_object (job->task), g_task_get_task_data (job->task),
             g_task_get_cancellable (job->task));
  g_object_unref (job->task);
  g_free (job);
  return NULL;
}

void
gms_task_run_in_background (GTask           *task,
                            GTaskThreadFunc  func)
{
  BackgroundJob *job = g_new0 (BackgroundJob, 1);

  job->task = g_object_ref (task);
  job->func = func;
  g_thread_unref (g_thread_new ("gms-background", background_thread, job));
}

/* ------------------------------------------------------------ progress */

static gboolean
progress_notify_in_idle (gpointer data)
{
  GmsDataset *self = data;

  g_mutex_lock (&self->progress_lock);
  self->progress_idle = 0;
  g_mutex_unlock (&self->progress_lock);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
  return G_SOURCE_REMOVE;
}

/* Any thread; at most one pending notification. */
static void
set_progress (GmsDataset *self,
              double      fraction,
              const char *message)
{
  g_mutex_lock (&self->progress_lock);
  self->fraction = CLAMP (fraction, 0.0, 1.0);
  if (message != NULL && g_strcmp0 (message, self->message) != 0)
    {
      g_free (self->message);
      self->message = g_strdup (message);
    }
  if (self->progress_idle == 0)
    self->progress_idle = g_idle_add_full (G_PRIORITY_LOW, progress_notify_in_idle,
                                           g_object_ref (self), g_object_unref);
  g_mutex_unlock (&self->progress_lock);
}

static void
stage_progress_cb (double      fraction,
                   const char *stage,
                   gpointer    user_data)
{
  GmsDataset *self = user_data;

  set_progress (self, self->stage_base + self->stage_span * fraction, stage);
}

/* ------------------------------------------------------------ loading */

static void
cancelled_cb (GCancellable *cancellable,
              GmsDataset   *self)
{
  g_atomic_int_set (&self->cancel_flag, 1);
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (double *v,
        gint64  n)
{
  if (n == 0)
    return NAN;
  qsort (v, n, sizeof (double), compare_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static void
compute_stats (const GmDataset *ds,
               GmsDatasetStats *stats)
{
  gint64 n = gm_dataset_n_cells (ds);
  g_autofree double *genes = g_new (double, n);
  g_autofree double *counts = g_new (double, n);

  for (gint64 i = 0; i < n; i++)
    {
      double sum = 0;
      for (int64_t k = ds->X.indptr[i]; k < ds->X.indptr[i + 1]; k++)
        sum += ds->X.data[k];
      genes[i] = (double) (ds->X.indptr[i + 1] - ds->X.indptr[i]);
      counts[i] = sum;
    }
  stats->total_counts = gm_csr_total (&ds->X);
  stats->nnz = gm_dataset_nnz (ds);
  stats->median_genes_per_cell = median (genes, n);
  stats->median_counts_per_cell = median (counts, n);
  stats->integer_counts = gm_csr_is_integer (&ds->X);
}

/* The layout, with its large products on the GPU when the device setting
 * allows one and there is one (as genomap-cli layout --device auto); a
 * missing GPU is no error here: the CPU computes it. */
static GmLayout *
compute_layout (GmsDataset            *self,
                const GmDataset       *ds,
                const GmLayoutOptions *lopts,
                GError               **error)
{
  g_autoptr(GmNnBackend) gpu = NULL;
  g_autofree char *notice = NULL;
  GmLayout *layout;

  if (self->layout_device != NULL && strcmp (self->layout_device, "cpu") != 0)
    {
      gpu = gm_nn_backend_open ("auto", &notice, NULL);
      if (notice != NULL)
        g_debug ("layout of %s on the CPU: %s", self->path, notice);
      if (gpu != NULL && strcmp (gpu->name, "cpu") == 0)
        g_clear_pointer (&gpu, gm_nn_backend_free);
    }
  if (gpu != NULL)
    gm_linalg_set_accelerator (gpu, 0);
  layout = gm_layout_compute (ds, lopts, error);
  if (gpu != NULL)
    gm_linalg_set_accelerator (NULL, 0);
  return layout;
}

static gboolean
load_in_thread (GmsDataset    *self,
                GCancellable  *cancellable,
                GError       **error)
{
  GmReadOptions ropts;
  GmLayoutOptions lopts;
  g_autoptr(GmDataset) ds = NULL;
  g_autoptr(GmLayout) layout = NULL;
  g_autoptr(GmDataset) imputed = NULL;
  g_autoptr(GmsSession) session = NULL;
  GmMapper *mappers[N_TRANSFORMS] = { NULL };
  gulong handler = 0;
  int P;

  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb), self, NULL);

  gm_read_options_init (&ropts);
  ropts.progress = stage_progress_cb;
  ropts.progress_data = self;
  ropts.cancel = &self->cancel_flag;
  self->stage_base = 0.0;
  self->stage_span = 0.6;
  set_progress (self, 0.0, _("Reading"));
  ds = gm_read (self->path, &ropts, error);
  if (ds == NULL)
    goto fail;
  if (gms_session_has_imputed (ds))
    {
      /* a saved session: X holds the imputed values, layers/counts the data */
      imputed = g_steal_pointer (&ds);
      ropts.layer = "counts";
      ds = gm_read (self->path, &ropts, error);
      if (ds == NULL)
        goto fail;
    }
  if (gm_dataset_n_cells (ds) == 0 || gm_dataset_n_genes (ds) == 0)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, _("%s: the dataset has no cells or no genes"),
                   self->path);
      goto fail;
    }

  {
    g_autoptr(GError) local = NULL;

    /* an inconsistent saved layout is replaced by a computed one; the overview says why */
    layout = gm_layout_from_dataset (ds, &local);
    if (local != NULL)
      gm_dataset_add_note (ds, "%s", local->message);
  }
  if (layout != NULL)
    {
      g_autoptr(GError) local = NULL;
      g_autofree int32_t *pix = gm_layout_gene_pixels (layout, ds, NULL, &local);
      if (pix == NULL)
        g_clear_pointer (&layout, gm_layout_free);
    }
  if (layout != NULL)
    self->layout_saved = TRUE;
  else
    {
      self->stage_base = 0.6;
      self->stage_span = 0.35;
      set_progress (self, 0.6, _("Computing the GenoMap layout"));
      gm_layout_options_init (&lopts);
      lopts.progress = stage_progress_cb;
      lopts.progress_data = self;
      lopts.cancel = &self->cancel_flag;
      layout = compute_layout (self, ds, &lopts, error);
      if (layout == NULL)
        goto fail;
    }

  if (gms_session_is_session (ds))
    {
      set_progress (self, 0.93, _("Restoring the saved session"));
      session = gms_session_restore (ds, g_steal_pointer (&imputed), layout, error);
      if (session == NULL)
        goto fail;
    }

  set_progress (self, 0.95, _("Preparing the cell maps"));
  compute_stats (ds, &self->stats);
  if (g_atomic_int_get (&self->cancel_flag))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_CANCELLED, _("%s: cancelled"), self->path);
      goto fail;
    }
  {
    GmTransform all[N_TRANSFORMS];

    for (int t = 0; t < N_TRANSFORMS; t++)
      all[t] = (GmTransform) t;
    if (!gm_mapper_new_set (layout, ds, all, N_TRANSFORMS, mappers, error))
      goto fail;
  }

  P = layout->rows * layout->cols;
  self->pixel_genes = g_new0 (char *, P + 1);
  self->gene_pixel = g_hash_table_new (g_str_hash, g_str_equal);
  {
    g_autofree int32_t *pix = gm_layout_gene_pixels (layout, ds, NULL, NULL);
    for (int64_t j = 0; j < gm_dataset_n_genes (ds); j++)
      {
        int p, img;
        if (pix == NULL || pix[j] < 0)
          continue;
        p = pix[j];
        img = (p % layout->rows) * layout->cols + p / layout->rows;
        self->pixel_genes[img] = ds->gene_names[j];
        g_hash_table_insert (self->gene_pixel, ds->gene_names[j], GINT_TO_POINTER (img + 1));
      }
  }
  /* pixel_genes borrows the dataset's strings and has NULL holes: free it with g_free. */

  self->data = g_steal_pointer (&ds);
  self->layout = g_steal_pointer (&layout);
  self->session = g_steal_pointer (&session);
  memcpy (self->mappers, mappers, sizeof mappers);
  set_progress (self, 1.0, _("Ready"));
  if (handler)
    g_cancellable_disconnect (cancellable, handler);
  return TRUE;

fail:
  for (int t = 0; t < N_TRANSFORMS; t++)
    g_clear_pointer (&mappers[t], gm_mapper_free);
  if (handler)
    g_cancellable_disconnect (cancellable, handler);
  if (error && *error && (*error)->domain == GM_ERROR && (*error)->code == GM_ERROR_CANCELLED)
    {
      g_clear_error (error);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Opening %s was cancelled"), self->title);
    }
  return FALSE;
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GmsDataset *self = source_object;
  GError *error = NULL;

  if (load_in_thread (self, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
gms_dataset_set_layout_device (GmsDataset *self,
                               const char *device)
{
  g_return_if_fail (GMS_IS_DATASET (self));
  g_return_if_fail (!self->loaded);

  g_free (self->layout_device);
  self->layout_device = g_strdup (device);
}

void
gms_dataset_load_async (GmsDataset          *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (GMS_IS_DATASET (self));
  g_return_if_fail (!self->loaded);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gms_dataset_load_async);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, load_thread);
}

gboolean
gms_dataset_load_finish (GmsDataset    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (GMS_IS_DATASET (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  self->loaded = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
  return TRUE;
}

gboolean
gms_dataset_load_sync (GmsDataset    *self,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_return_val_if_fail (GMS_IS_DATASET (self), FALSE);

  if (!load_in_thread (self, cancellable, error))
    return FALSE;
  self->loaded = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
  return TRUE;
}

/* ------------------------------------------------------------ thumbnails */

static gboolean
thumbnails_deliver_in_idle (gpointer data)
{
  GmsDataset *self = data;
  g_autoptr(GPtrArray) done = NULL;
  guint generation;

  g_mutex_lock (&self->thumb_lock);
  self->thumb_idle = 0;
  done = g_steal_pointer (&self->thumb_done);
  self->thumb_done = g_ptr_array_new_with_free_func (thumb_result_free);
  generation = self->thumb_generation;
  g_mutex_unlock (&self->thumb_lock);

  for (guint i = 0; i < done->len; i++)
    {
      ThumbResult *r = g_ptr_array_index (done, i);
      if (r->generation == generation)
        g_signal_emit (self, signals[THUMBNAIL_READY], 0, r->cell, r->texture);
    }
  return G_SOURCE_REMOVE;
}

/* Called with thumb_lock held. */
static void
thumb_cache_insert (GmsDataset *self,
                    gint64      cell,
                    GdkTexture *texture)
{
  gint64 *key;

  if (g_hash_table_contains (self->thumb_cache, &cell))
    return;
  key = g_new (gint64, 1);
  *key = cell;
  g_hash_table_insert (self->thumb_cache, key, g_object_ref (texture));
  g_queue_push_head (&self->thumb_lru, key);
  while (self->thumb_lru.length > THUMBNAIL_CACHE_SIZE)
    {
      gint64 *old = g_queue_pop_tail (&self->thumb_lru);
      g_hash_table_remove (self->thumb_cache, old);   /* frees old */
    }
}

static GdkTexture *
make_thumbnail (GmsDataset  *self,
                GmTransform  transform,
                GmColormap   cmap,
                double       clip,
                gint64       cell,
                float       *img,
                guint32     *argb)
{
  int rows = self->layout->rows, cols = self->layout->cols, P = rows * cols;
  int k = MAX (1, (THUMBNAIL_TARGET_PX + MAX (rows, cols) - 1) / MAX (rows, cols));
  int W = cols * k, H = rows * k;
  g_autofree guint32 *big = g_new (guint32, (gsize) W * H);
  g_autoptr(GBytes) bytes = NULL;
  double lo, hi;

  gm_mapper_map_cells (self->mappers[transform], &cell, 1, img);
  gms_image_get_scale (img, P, clip, cmap == GM_COLORMAP_DIVERGING, &lo, &hi);
  gm_colorize (img, rows, cols, cmap, lo, hi, gm_colormap_nan_argb (cmap), argb);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      big[(gsize) y * W + x] = argb[(y / k) * cols + x / k];
  bytes = g_bytes_new_take (g_steal_pointer (&big), (gsize) W * H * 4);
  /* cairo's ARGB32 in native byte order is B G R A in memory on little-endian */
  return gdk_memory_texture_new (W, H,
                                 G_BYTE_ORDER == G_LITTLE_ENDIAN ? GDK_MEMORY_B8G8R8A8_PREMULTIPLIED
                                                                 : GDK_MEMORY_A8R8G8B8_PREMULTIPLIED,
                                 bytes, (gsize) W * 4);
}

static void
thumbnail_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  GmsDataset *self = source_object;
  int P = self->layout->rows * self->layout->cols;
  g_autofree float *img = g_new (float, P);
  g_autofree guint32 *argb = g_new (guint32, P);

  for (;;)
    {
      gint64 cells[THUMBNAIL_BATCH];
      int n = 0;
      GmTransform transform;
      GmColormap cmap;
      double clip;
      guint generation;
      g_autoptr(GPtrArray) results = g_ptr_array_new ();

      g_mutex_lock (&self->thumb_lock);
      while (n < THUMBNAIL_BATCH && self->thumb_queue.length > 0)
        {
          gint64 *cell = g_queue_pop_head (&self->thumb_queue);
          cells[n++] = *cell;
          g_hash_table_remove (self->thumb_queued, cell);   /* frees cell */
        }
      if (n == 0)
        {
          self->thumb_worker_running = FALSE;
          g_mutex_unlock (&self->thumb_lock);
          break;
        }
      transform = self->thumb_transform;
      cmap = self->thumb_colormap;
      clip = self->thumb_clip;
      generation = self->thumb_generation;
      g_mutex_unlock (&self->thumb_lock);

      for (int i = 0; i < n; i++)
        {
          ThumbResult *r = g_new0 (ThumbResult, 1);
          r->cell = cells[i];
          r->generation = generation;
          r->texture = make_thumbnail (self, transform, cmap, clip, cells[i], img, argb);
          g_ptr_array_add (results, r);
        }

      g_mutex_lock (&self->thumb_lock);
      for (guint i = 0; i < results->len; i++)
        {
          ThumbResult *r = g_ptr_array_index (results, i);
          if (r->generation == self->thumb_generation)
            thumb_cache_insert (self, r->cell, r->texture);
          g_ptr_array_add (self->thumb_done, r);
        }
      if (self->thumb_idle == 0)
        self->thumb_idle = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, thumbnails_deliver_in_idle,
                                            g_object_ref (self), g_object_unref);
      g_mutex_unlock (&self->thumb_lock);
    }
  g_task_return_boolean (task, TRUE);
}

void
gms_dataset_set_thumbnail_style (GmsDataset  *self,
                                 GmTransform  transform,
                                 GmColormap   colormap,
                                 double       clip_quantile)
{
  g_return_if_fail (GMS_IS_DATASET (self));

  g_mutex_lock (&self->thumb_lock);
  if (self->thumb_transform == transform && self->thumb_colormap == colormap &&
      self->thumb_clip == clip_quantile)
    {
      g_mutex_unlock (&self->thumb_lock);
      return;
    }
  self->thumb_transform = CLAMP (transform, 0, N_TRANSFORMS - 1);
  self->thumb_colormap = colormap;
  self->thumb_clip = clip_quantile;
  self->thumb_generation++;
  g_hash_table_remove_all (self->thumb_cache);
  g_queue_clear (&self->thumb_lru);
  g_mutex_unlock (&self->thumb_lock);
  g_signal_emit (self, signals[THUMBNAILS_CHANGED], 0);
}

GdkTexture *
gms_dataset_get_thumbnail (GmsDataset *self,
                           gint64      cell)
{
  GdkTexture *texture;

  g_return_val_if_fail (GMS_IS_DATASET (self), NULL);
  g_return_val_if_fail (self->loaded, NULL);
  g_return_val_if_fail (cell >= 0 && cell < gm_dataset_n_cells (self->data), NULL);

  g_mutex_lock (&self->thumb_lock);
  texture = g_hash_table_lookup (self->thumb_cache, &cell);
  if (texture != NULL)
    {
      g_object_ref (texture);
      g_mutex_unlock (&self->thumb_lock);
      return texture;
    }
  if (!g_hash_table_contains (self->thumb_queued, &cell))
    {
      gint64 *key = g_new (gint64, 1);
      *key = cell;
      g_queue_push_head (&self->thumb_queue, key);
      g_hash_table_insert (self->thumb_queued, key, self->thumb_queue.head);
    }
  if (!self->thumb_worker_running)
    {
      g_autoptr(GTask) task = g_task_new (self, NULL, NULL, NULL);
      g_task_set_source_tag (task, gms_dataset_get_thumbnail);
      g_task_set_priority (task, G_PRIORITY_LOW);
      self->thumb_worker_running = TRUE;
      gms_task_run_in_background (task, thumbnail_thread);
    }
  g_mutex_unlock (&self->thumb_lock);
  return NULL;
}

void
gms_dataset_forget_thumbnail (GmsDataset *self,
                              gint64      cell)
{
  GList *link;

  g_return_if_fail (GMS_IS_DATASET (self));

  g_mutex_lock (&self->thumb_lock);
  link = g_hash_table_lookup (self->thumb_queued, &cell);
  if (link != NULL)
    {
      g_queue_unlink (&self->thumb_queue, link);
      g_hash_table_remove (self->thumb_queued, &cell);   /* frees link->data */
      g_list_free_1 (link);
    }
  g_mutex_unlock (&self->thumb_lock);
}

/* ------------------------------------------------------------ accessors */

GFile *
gms_dataset_get_file (GmsDataset *self)
{
  g_return_val_if_fail (GMS_IS_DATASET (self), NULL);
  return self->file;
}

const char *
gms_dataset_get_title (GmsDataset *self)
{
  g_return_val_if_fail (GMS_IS_DATASET (self), NULL);
  return self->title;
}

char *
gms_dataset_dup_size_text (GmsDataset *self)
{
  gint64 cells, genes;
  g_autofree char *c = NULL;
  g_autofree char *g = NULL;

  g_return_val_if_fail (GMS_IS_DATASET (self), NULL);
  if (!self->loaded && self->data == NULL)
    return g_strdup ("");
  cells = gm_dataset_n_cells (self->data);
  genes = gm_dataset_n_genes (self->data);
  {
    g_autofree char *cn = g_strdup_printf ("%'" G_GINT64_FORMAT, cells);
    g_autofree char *gn = g_strdup_printf ("%'" G_GINT64_FORMAT, genes);

    /* Translators: %s is the number of cells, already formatted */
    c = g_strdup_printf (ngettext ("%s cell", "%s cells", (gulong) cells), cn);
    /* Translators: %s is the number of genes, already formatted */
    g = g_strdup_printf (ngettext ("%s gene", "%s genes", (gulong) genes), gn);
  }
  /* Translators: the size of a dataset, e.g. "60 cells × 40 genes" */
  return g_strdup_printf (_("%s × %s"), c, g);
}

gboolean
gms_dataset_is_loaded (GmsDataset *self)
{
  g_return_val_if_fail (GMS_IS_DATASET (self), FALSE);
  return self->loaded;
}

double
gms_dataset_get_fraction (GmsDataset *self)
{
  double f;

  g_return_val_if_fail (GMS_IS_DATASET (self), 0.0);
  g_mutex_lock (&self->progress_lock);
  f = self->fraction;
  g_mutex_unlock (&self->progress_lock);
  return f;
}

const char *
gms_dataset_get_message (GmsDataset *self)
{
  g_return_val_if_fail (GMS_IS_DATASET (self), NULL);
  /* only read on the main thread after a notification; the worker replaces it under the lock */
  return self->message;
}

const GmDataset *
gms_dataset_get_data (GmsDataset *self)
{
  g_return_val_if_fail (GMS_IS_DATASET (self), NULL);
  return self->data;
}

const GmsDatasetStats *
gms_dataset_get_stats (GmsDataset *self)
{
  g_return_val_if_fail (GMS_IS_DATASET (self), NULL);
  return &self->stats;
}

const GmLayout *
gms_dataset_get_layout (GmsDataset *self)
{
  g_return_val_if_fail (GMS_IS_DATASET (self), NULL);
  return self->layout;
}

GHashTable *
gms_dataset_get_session_view (GmsDataset *self)
{
  g_return_val_if_fail (GMS_IS_DATASET (self), NULL);
  return self->session != NULL ? gms_session_get_view (self->session) : NULL;
}

GmsImputeResult *
gms_dataset_take_session_result (GmsDataset *self)
{
  g_return_val_if_fail (GMS_IS_DATASET (self), NULL);
  return self->session != NULL ? gms_session_take_result (self->session, G_OBJECT (self)) : NULL;
}

gboolean
gms_dataset_get_layout_was_saved (GmsDataset *self)
{
  g_return_val_if_fail (GMS_IS_DATASET (self), FALSE);
  return self->layout_saved;
}

const GmMapper *
gms_dataset_get_mapper (GmsDataset  *self,
                        GmTransform  transform)
{
  g_return_val_if_fail (GMS_IS_DATASET (self), NULL);
  g_return_val_if_fail ((int) transform >= 0 && transform < N_TRANSFORMS, NULL);
  return self->mappers[transform];
}

int
gms_dataset_get_map_rows (GmsDataset *self)
{
  g_return_val_if_fail (GMS_IS_DATASET (self), 0);
  return self->layout ? self->layout->rows : 0;
}

int
gms_dataset_get_map_cols (GmsDataset *self)
{
  g_return_val_if_fail (GMS_IS_DATASET (self), 0);
  return self->layout ? self->layout->cols : 0;
}

const char * const *
gms_dataset_get_pixel_genes (GmsDataset *self)
{
  g_return_val_if_fail (GMS_IS_DATASET (self), NULL);
  return (const char * const *) self->pixel_genes;
}

int
gms_dataset_find_gene_pixel (GmsDataset *self,
                             const char *gene)
{
  g_return_val_if_fail (GMS_IS_DATASET (self), -1);
  if (self->gene_pixel == NULL || gene == NULL)
    return -1;
  return GPOINTER_TO_INT (g_hash_table_lookup (self->gene_pixel, gene)) - 1;
}

void
gms_dataset_map_cell (GmsDataset  *self,
                      GmTransform  transform,
                      gint64       cell,
                      float       *out)
{
  int64_t c = cell;

  g_return_if_fail (GMS_IS_DATASET (self));
  g_return_if_fail (self->loaded);
  g_return_if_fail (cell >= 0 && cell < gm_dataset_n_cells (self->data));
  gm_mapper_map_cells (self->mappers[CLAMP (transform, 0, N_TRANSFORMS - 1)], &c, 1, out);
}

void
gms_dataset_mean_cells (GmsDataset   *self,
                        GmTransform   transform,
                        const gint64 *cells,
                        gint64        n,
                        float        *out)
{
  int P;
  g_autofree double *acc = NULL;
  g_autofree float *img = NULL;

  g_return_if_fail (GMS_IS_DATASET (self));
  g_return_if_fail (self->loaded);

  /* the same arithmetic as genomap-cli render --mean-by */
  P = self->layout->rows * self->layout->cols;
  acc = g_new0 (double, P);
  img = g_new (float, P);
  for (gint64 i = 0; i < n; i++)
    {
      int64_t c = cells[i];
      gm_mapper_map_cells (self->mappers[CLAMP (transform, 0, N_TRANSFORMS - 1)], &c, 1, img);
      for (int p = 0; p < P; p++)
        acc[p] += img[p];
    }
  for (int p = 0; p < P; p++)
    out[p] = n > 0 ? (float) (acc[p] / n) : NAN;
}

/* ------------------------------------------------------------ GObject */

static void
gms_dataset_finalize (GObject *object)
{
  GmsDataset *self = (GmsDataset *) object;

  g_clear_object (&self->file);
  g_free (self->path);
  g_free (self->layout_device);
  g_free (self->title);
  g_free (self->message);
  g_mutex_clear (&self->progress_lock);
  for (int t = 0; t < N_TRANSFORMS; t++)
    g_clear_pointer (&self->mappers[t], gm_mapper_free);
  g_free (self->pixel_genes);
  g_clear_pointer (&self->gene_pixel, g_hash_table_unref);
  g_clear_pointer (&self->session, gms_session_free);   /* its result points into data */
  g_clear_pointer (&self->layout, gm_layout_free);
  g_clear_pointer (&self->data, gm_dataset_free);
  g_clear_pointer (&self->thumb_cache, g_hash_table_unref);
  g_queue_clear (&self->thumb_lru);
  g_queue_clear_full (&self->thumb_queue, NULL);
  g_clear_pointer (&self->thumb_queued, g_hash_table_unref);
  g_clear_pointer (&self->thumb_done, g_ptr_array_unref);
  g_mutex_clear (&self->thumb_lock);

  G_OBJECT_CLASS (gms_dataset_parent_class)->finalize (object);
}

static void
gms_dataset_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  GmsDataset *self = GMS_DATASET (object);

  switch (prop_id)
    {
    case PROP_FRACTION:
      g_value_set_double (value, gms_dataset_get_fraction (self));
      break;
    case PROP_MESSAGE:
      g_mutex_lock (&self->progress_lock);
      g_value_set_string (value, self->message);
      g_mutex_unlock (&self->progress_lock);
      break;
    case PROP_LOADED:
      g_value_set_boolean (value, self->loaded);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gms_dataset_class_init (GmsDatasetClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gms_dataset_finalize;
  object_class->get_property = gms_dataset_get_property;

  properties[PROP_FRACTION] =
    g_param_spec_double ("fraction", NULL, NULL, 0.0, 1.0, 0.0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* (cell index, texture) — on the main thread */
  signals[THUMBNAIL_READY] =
    g_signal_new ("thumbnail-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT64, GDK_TYPE_TEXTURE);
  signals[THUMBNAILS_CHANGED] =
    g_signal_new ("thumbnails-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
gms_dataset_init (GmsDataset *self)
{
  g_mutex_init (&self->progress_lock);
  g_mutex_init (&self->thumb_lock);
  self->thumb_transform = GM_TRANSFORM_LOG1P_CP10K;
  self->thumb_colormap = GM_COLORMAP_VIRIDIS;
  self->thumb_clip = 0.99;
  self->thumb_cache = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_object_unref);
  self->thumb_queued = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->thumb_done = g_ptr_array_new_with_free_func (thumb_result_free);
}

GmsDataset *
gms_dataset_new (GFile *file)
{
  GmsDataset *self;

  g_return_val_if_fail (G_IS_FILE (file), NULL);

  self = g_object_new (GMS_TYPE_DATASET, NULL);
  self->file = g_object_ref (file);
  self->path = g_file_get_path (file);
  if (self->path == NULL)
    self->path = g_file_get_uri (file);
  self->title = g_file_get_basename (file);
  return self;
}
