/* gms-cell.c — one cell of a dataset as a list item
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "gms-cell.h"

struct _GmsCell
{
  GObject     parent_instance;
  gint64      index;
  char       *name;
  char       *group;
  GdkTexture *thumbnail;
};

G_DEFINE_FINAL_TYPE (GmsCell, gms_cell, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_INDEX,
  PROP_NAME,
  PROP_GROUP,
  PROP_THUMBNAIL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
gms_cell_finalize (GObject *object)
{
  GmsCell *self = (GmsCell *) object;

  g_free (self->name);
  g_free (self->group);
  g_clear_object (&self->thumbnail);
  G_OBJECT_CLASS (gms_cell_parent_class)->finalize (object);
}

static void
gms_cell_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  GmsCell *self = GMS_CELL (object);

  switch (prop_id)
    {
    case PROP_INDEX:
      g_value_set_int64 (value, self->index);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_GROUP:
      g_value_set_string (value, self->group);
      break;
    case PROP_THUMBNAIL:
      g_value_set_object (value, self->thumbnail);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gms_cell_class_init (GmsCellClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gms_cell_finalize;
  object_class->get_property = gms_cell_get_property;

  properties[PROP_INDEX] =
    g_param_spec_int64 ("index", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_GROUP] =
    g_param_spec_string ("group", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_THUMBNAIL] =
    g_param_spec_object ("thumbnail", NULL, NULL, GDK_TYPE_TEXTURE,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gms_cell_init (GmsCell *self)
{
}

GmsCell *
gms_cell_new (gint64      index,
              const char *name)
{
  GmsCell *self = g_object_new (GMS_TYPE_CELL, NULL);

  self->index = index;
  self->name = g_strdup (name);
  return self;
}

gint64
gms_cell_get_index (GmsCell *self)
{
  g_return_val_if_fail (GMS_IS_CELL (self), -1);
  return self->index;
}

const char *
gms_cell_get_name (GmsCell *self)
{
  g_return_val_if_fail (GMS_IS_CELL (self), NULL);
  return self->name;
}

const char *
gms_cell_get_group (GmsCell *self)
{
  g_return_val_if_fail (GMS_IS_CELL (self), NULL);
  return self->group;
}

void
gms_cell_set_group (GmsCell    *self,
                    const char *group)
{
  g_return_if_fail (GMS_IS_CELL (self));
  if (g_strcmp0 (self->group, group) == 0)
    return;
  g_free (self->group);
  self->group = g_strdup (group);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GROUP]);
}

GdkTexture *
gms_cell_get_thumbnail (GmsCell *self)
{
  g_return_val_if_fail (GMS_IS_CELL (self), NULL);
  return self->thumbnail;
}

void
gms_cell_set_thumbnail (GmsCell    *self,
                        GdkTexture *thumbnail)
{
  g_return_if_fail (GMS_IS_CELL (self));
  if (g_set_object (&self->thumbnail, thumbnail))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THUMBNAIL]);
}
