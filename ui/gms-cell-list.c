/* gms-cell-list.c — the cells of a dataset as a GListModel of GmsCell
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "gms-cell-list.h"

struct _GmsCellList
{
  GObject     parent_instance;
  GmsDataset *dataset;
  GArray     *cells;        /* gint64, visible cells in order */
  GHashTable *items;        /* cell → GmsCell */
  GmColumn   *group;        /* borrowed from the dataset */
  char       *group_name;
  int         category;
  char       *search;       /* casefolded, or NULL */
};

static void gms_cell_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (GmsCellList, gms_cell_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, gms_cell_list_model_init))

static GType
gms_cell_list_get_item_type (GListModel *model)
{
  return GMS_TYPE_CELL;
}

static guint
gms_cell_list_get_n_items (GListModel *model)
{
  return GMS_CELL_LIST (model)->cells->len;
}

static const char *
group_label (GmsCellList *self,
             gint64       cell)
{
  int code;

  if (self->group == NULL)
    return NULL;
  code = self->group->codes[cell];
  return code >= 0 && code < self->group->n_categories ? self->group->categories[code] : NULL;
}

static gpointer
gms_cell_list_get_item (GListModel *model,
                        guint       position)
{
  GmsCellList *self = GMS_CELL_LIST (model);
  const GmDataset *ds = gms_dataset_get_data (self->dataset);
  gint64 cell;
  GmsCell *item;

  if (position >= self->cells->len)
    return NULL;
  cell = g_array_index (self->cells, gint64, position);
  item = g_hash_table_lookup (self->items, &cell);
  if (item == NULL)
    {
      gint64 *key = g_new (gint64, 1);
      *key = cell;
      item = gms_cell_new (cell, ds->cell_names[cell]);
      gms_cell_set_group (item, group_label (self, cell));
      g_hash_table_insert (self->items, key, item);
    }
  return g_object_ref (item);
}

static void
gms_cell_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = gms_cell_list_get_item_type;
  iface->get_n_items = gms_cell_list_get_n_items;
  iface->get_item = gms_cell_list_get_item;
}

static gboolean
passes (GmsCellList     *self,
        const GmDataset *ds,
        gint64           i)
{
  if (self->group != NULL && self->category >= 0 && self->group->codes[i] != self->category)
    return FALSE;
  if (self->search != NULL)
    {
      g_autofree char *folded = g_utf8_casefold (ds->cell_names[i], -1);
      if (strstr (folded, self->search) == NULL)
        return FALSE;
    }
  return TRUE;
}

static void
rebuild (GmsCellList *self)
{
  const GmDataset *ds = gms_dataset_get_data (self->dataset);
  gint64 n_cells = gm_dataset_n_cells (ds);
  guint old_n = self->cells->len;
  GArray *cells;

  if (self->group == NULL)
    {
      cells = g_array_sized_new (FALSE, FALSE, sizeof (gint64), (guint) n_cells);
      for (gint64 i = 0; i < n_cells; i++)
        if (passes (self, ds, i))
          g_array_append_val (cells, i);
    }
  else
    {
      /* a counting sort by category, stable within a category; missing codes last */
      int K = self->group->n_categories;
      g_autofree gint64 *start = g_new0 (gint64, K + 2);
      gint64 total = 0;

      for (gint64 i = 0; i < n_cells; i++)
        if (passes (self, ds, i))
          {
            int k = self->group->codes[i];
            start[(k >= 0 && k < K ? k : K) + 1]++;
            total++;
          }
      for (int k = 1; k <= K + 1; k++)
        start[k] += start[k - 1];
      cells = g_array_sized_new (FALSE, FALSE, sizeof (gint64), (guint) total);
      g_array_set_size (cells, (guint) total);
      for (gint64 i = 0; i < n_cells; i++)
        if (passes (self, ds, i))
          {
            int k = self->group->codes[i];
            g_array_index (cells, gint64, start[k >= 0 && k < K ? k : K]++) = i;
          }
    }

  g_array_unref (self->cells);
  self->cells = cells;
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, cells->len);
}

void
gms_cell_list_set_group_column (GmsCellList *self,
                                const char  *column)
{
  GmColumn *col = NULL;
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (GMS_IS_CELL_LIST (self));

  if (column != NULL)
    {
      col = gm_dataset_find_obs (gms_dataset_get_data (self->dataset), column);
      if (col != NULL && col->kind != GM_COLUMN_CATEGORICAL)
        col = NULL;
    }
  self->group = col;
  g_free (self->group_name);
  self->group_name = col ? g_strdup (col->name) : NULL;
  self->category = -1;

  g_hash_table_iter_init (&iter, self->items);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    gms_cell_set_group (value, group_label (self, gms_cell_get_index (value)));
  rebuild (self);
}

const char *
gms_cell_list_get_group_column (GmsCellList *self)
{
  g_return_val_if_fail (GMS_IS_CELL_LIST (self), NULL);
  return self->group_name;
}

void
gms_cell_list_set_category (GmsCellList *self,
                            int          code)
{
  g_return_if_fail (GMS_IS_CELL_LIST (self));
  if (self->category == code)
    return;
  self->category = code;
  rebuild (self);
}

void
gms_cell_list_set_search (GmsCellList *self,
                          const char  *text)
{
  g_autofree char *folded = NULL;

  g_return_if_fail (GMS_IS_CELL_LIST (self));
  if (text != NULL && *text != '\0')
    folded = g_utf8_casefold (text, -1);
  if (g_strcmp0 (folded, self->search) == 0)
    return;
  g_free (self->search);
  self->search = g_steal_pointer (&folded);
  rebuild (self);
}

guint
gms_cell_list_find (GmsCellList *self,
                    gint64       cell)
{
  g_return_val_if_fail (GMS_IS_CELL_LIST (self), G_MAXUINT);
  for (guint i = 0; i < self->cells->len; i++)
    if (g_array_index (self->cells, gint64, i) == cell)
      return i;
  return G_MAXUINT;
}

gint64
gms_cell_list_get_cell (GmsCellList *self,
                        guint        position)
{
  g_return_val_if_fail (GMS_IS_CELL_LIST (self), -1);
  if (position >= self->cells->len)
    return -1;
  return g_array_index (self->cells, gint64, position);
}

GmsCell *
gms_cell_list_peek_item (GmsCellList *self,
                         gint64       cell)
{
  g_return_val_if_fail (GMS_IS_CELL_LIST (self), NULL);
  return g_hash_table_lookup (self->items, &cell);
}

static void
gms_cell_list_finalize (GObject *object)
{
  GmsCellList *self = (GmsCellList *) object;

  g_clear_object (&self->dataset);
  g_array_unref (self->cells);
  g_hash_table_unref (self->items);
  g_free (self->group_name);
  g_free (self->search);
  G_OBJECT_CLASS (gms_cell_list_parent_class)->finalize (object);
}

static void
gms_cell_list_class_init (GmsCellListClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gms_cell_list_finalize;
}

static void
gms_cell_list_init (GmsCellList *self)
{
  self->cells = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->items = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_object_unref);
  self->category = -1;
}

GmsCellList *
gms_cell_list_new (GmsDataset *dataset)
{
  GmsCellList *self;

  g_return_val_if_fail (GMS_IS_DATASET (dataset), NULL);
  g_return_val_if_fail (gms_dataset_is_loaded (dataset), NULL);

  self = g_object_new (GMS_TYPE_CELL_LIST, NULL);
  self->dataset = g_object_ref (dataset);
  rebuild (self);
  return self;
}
