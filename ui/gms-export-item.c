/* gms-export-item.c — something the export dialog can write
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "gm-io.h"
#include "gms-export-item.h"

struct _GmsExportItem
{
  GObject         parent_instance;
  char           *title;
  char           *subtitle;
  GmsExportKind   kind;
  char          **extensions;
  char           *default_basename;
  GmsExportFunc   func;
  gpointer        data;
  GDestroyNotify  destroy;
};

G_DEFINE_FINAL_TYPE (GmsExportItem, gms_export_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TITLE,
  PROP_SUBTITLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
gms_export_item_finalize (GObject *object)
{
  GmsExportItem *self = (GmsExportItem *) object;

  g_free (self->title);
  g_free (self->subtitle);
  g_strfreev (self->extensions);
  g_free (self->default_basename);
  if (self->destroy != NULL)
    self->destroy (self->data);
  G_OBJECT_CLASS (gms_export_item_parent_class)->finalize (object);
}

static void
gms_export_item_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  GmsExportItem *self = GMS_EXPORT_ITEM (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_SUBTITLE:
      g_value_set_string (value, self->subtitle);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gms_export_item_class_init (GmsExportItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gms_export_item_finalize;
  object_class->get_property = gms_export_item_get_property;
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SUBTITLE] =
    g_param_spec_string ("subtitle", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gms_export_item_init (GmsExportItem *self)
{
}

GmsExportItem *
gms_export_item_new (const char         *title,
                     const char         *subtitle,
                     GmsExportKind       kind,
                     const char * const *extensions,
                     const char         *default_basename,
                     GmsExportFunc       func,
                     gpointer            data,
                     GDestroyNotify      destroy)
{
  GmsExportItem *self;

  g_return_val_if_fail (title != NULL, NULL);
  g_return_val_if_fail (extensions != NULL && extensions[0] != NULL, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  self = g_object_new (GMS_TYPE_EXPORT_ITEM, NULL);
  self->title = g_strdup (title);
  self->subtitle = g_strdup (subtitle);
  self->kind = kind;
  self->extensions = g_strdupv ((char **) extensions);
  self->default_basename = gms_export_safe_basename (default_basename ? default_basename : title);
  self->func = func;
  self->data = data;
  self->destroy = destroy;
  return self;
}

/* ------------------------------------------------------------ figures */

static gboolean
save_figure (const char              *path,
             const GmsExportOptions  *options,
             gpointer                 data,
             GCancellable            *cancellable,
             GError                 **error)
{
  /* the same call as genomap-cli render */
  return gm_figure_save (gms_figure_get (data), path, options ? options->dpi : 300, error);
}

GmsExportItem *
gms_export_item_new_figure (const char *title,
                            const char *subtitle,
                            const char *default_basename,
                            GmsFigure  *figure)
{
  static const char * const extensions[] = { "png", "svg", "pdf", NULL };

  g_return_val_if_fail (figure != NULL, NULL);
  return gms_export_item_new (title, subtitle, GMS_EXPORT_FIGURE, extensions, default_basename,
                              save_figure, gms_figure_ref (figure), (GDestroyNotify) gms_figure_unref);
}

/* ------------------------------------------------------------ matrices */

static void
matrix_cancelled_cb (GCancellable *cancellable,
                     gint         *flag)
{
  g_atomic_int_set (flag, 1);
}

static gboolean
save_matrix (const char              *path,
             const GmsExportOptions  *options,
             gpointer                 data,
             GCancellable            *cancellable,
             GError                 **error)
{
  GmsDataset *dataset = data;
  const GmDataset *ds = gms_dataset_get_data (dataset);
  const GmLayout *layout = gms_dataset_get_layout (dataset);
  GmWriteOptions wopts;
  gint cancel = 0;
  gulong handler = 0;
  gboolean ok;
  GmDataset shallow;
  g_autoptr(GPtrArray) var = NULL;
  g_autoptr(GHashTable) uns = NULL;

  gm_write_options_init (&wopts);
  wopts.cancel = &cancel;
  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (matrix_cancelled_cb), &cancel, NULL);

  /* The dataset is shared and immutable: attach the layout to a shallow copy whose var
   * and uns are new containers (the columns and strings stay borrowed except the two
   * new columns, which the copy's var owns). */
  shallow = *ds;
  var = g_ptr_array_new ();
  for (guint i = 0; i < ds->var->len; i++)
    g_ptr_array_add (var, g_ptr_array_index (ds->var, i));
  uns = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (ds->uns != NULL)
    {
      GHashTableIter iter;
      gpointer k, v;
      g_hash_table_iter_init (&iter, ds->uns);
      while (g_hash_table_iter_next (&iter, &k, &v))
        g_hash_table_insert (uns, g_strdup (k), g_strdup (v));
    }
  shallow.var = var;
  shallow.uns = uns;
  if (layout != NULL)
    {
      /* removes any old genomap_* columns from the copy's var (borrowed, not freed:
       * the array has no free function) and appends two new ones, which we free */
      gm_layout_attach (layout, &shallow);
      ok = gm_write (&shallow, path, &wopts, error);
      gm_column_free (g_ptr_array_index (var, var->len - 1));
      gm_column_free (g_ptr_array_index (var, var->len - 2));
    }
  else
    ok = gm_write (&shallow, path, &wopts, error);

  if (handler)
    g_cancellable_disconnect (cancellable, handler);
  return ok;
}

GmsExportItem *
gms_export_item_new_matrix (GmsDataset *dataset)
{
  static const char * const extensions[] = { "h5ad", "loom", "csv", "tsv", NULL };
  g_autofree char *base = NULL;
  g_autofree char *size = NULL;
  const char *title;
  char *dot;

  g_return_val_if_fail (GMS_IS_DATASET (dataset), NULL);

  title = gms_dataset_get_title (dataset);
  base = g_strdup (title);
  /* three-cell-types.h5ad → three-cell-types-genomap; matrix.mtx.gz folders keep their name */
  dot = strchr (base, '.');
  if (dot != NULL && dot != base)
    *dot = '\0';
  size = gms_dataset_dup_size_text (dataset);
  {
    g_autofree char *name = g_strconcat (base, "-genomap", NULL);
    return gms_export_item_new (_("Dataset Matrix"), size, GMS_EXPORT_MATRIX, extensions, name,
                                save_matrix, g_object_ref (dataset), g_object_unref);
  }
}

/* ------------------------------------------------------------ running */

typedef struct
{
  char             *path;
  GmsExportOptions  options;
} SaveData;

static void
save_data_free (gpointer data)
{
  SaveData *d = data;

  g_free (d->path);
  g_free (d);
}

static void
save_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GmsExportItem *self = source_object;
  SaveData *d = task_data;
  GError *error = NULL;

  if (gms_export_item_save (self, d->path, &d->options, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

gboolean
gms_export_item_save (GmsExportItem           *self,
                      const char              *path,
                      const GmsExportOptions  *options,
                      GCancellable            *cancellable,
                      GError                 **error)
{
  GmsExportOptions defaults = { 300 };

  g_return_val_if_fail (GMS_IS_EXPORT_ITEM (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  return self->func (path, options ? options : &defaults, self->data, cancellable, error);
}

void
gms_export_item_save_async (GmsExportItem          *self,
                            const char             *path,
                            const GmsExportOptions *options,
                            GCancellable           *cancellable,
                            GAsyncReadyCallback     callback,
                            gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  SaveData *d;

  g_return_if_fail (GMS_IS_EXPORT_ITEM (self));

  d = g_new0 (SaveData, 1);
  d->path = g_strdup (path);
  d->options = options ? *options : (GmsExportOptions) { 300 };
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gms_export_item_save_async);
  g_task_set_task_data (task, d, save_data_free);
  g_task_run_in_thread (task, save_thread);
}

gboolean
gms_export_item_save_finish (GmsExportItem  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------ accessors */

const char *
gms_export_item_get_title (GmsExportItem *self)
{
  g_return_val_if_fail (GMS_IS_EXPORT_ITEM (self), NULL);
  return self->title;
}

const char *
gms_export_item_get_subtitle (GmsExportItem *self)
{
  g_return_val_if_fail (GMS_IS_EXPORT_ITEM (self), NULL);
  return self->subtitle;
}

GmsExportKind
gms_export_item_get_kind (GmsExportItem *self)
{
  g_return_val_if_fail (GMS_IS_EXPORT_ITEM (self), GMS_EXPORT_OTHER);
  return self->kind;
}

const char * const *
gms_export_item_get_extensions (GmsExportItem *self)
{
  g_return_val_if_fail (GMS_IS_EXPORT_ITEM (self), NULL);
  return (const char * const *) self->extensions;
}

const char *
gms_export_item_get_default_basename (GmsExportItem *self)
{
  g_return_val_if_fail (GMS_IS_EXPORT_ITEM (self), NULL);
  return self->default_basename;
}

char *
gms_export_safe_basename (const char *text)
{
  GString *s = g_string_new (NULL);
  gboolean dash = FALSE;

  for (const char *p = text ? text : ""; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (g_unichar_isalnum (c) || c == '_' || c == '.')
        {
          if (dash && s->len > 0)
            g_string_append_c (s, '-');
          dash = FALSE;
          g_string_append_unichar (s, c);
        }
      else
        dash = TRUE;
    }
  if (s->len == 0)
    g_string_append (s, "genomap");
  return g_string_free (s, FALSE);
}
