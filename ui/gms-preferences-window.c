/* gms-preferences-window.c — the preferences, bound to GSettings
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gms-preferences-window.h"

struct _GmsPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  AdwComboRow          *style_row;
  AdwComboRow          *colormap_row;
  AdwComboRow          *transform_row;
  GtkSpinButton        *clip_spin;
  GtkSpinButton        *dpi_spin;
  AdwComboRow          *figure_format_row;
  AdwComboRow          *matrix_format_row;
  AdwComboRow          *device_row;
  AdwComboRow          *method_row;
  AdwComboRow          *model_row;
  GtkSpinButton        *steps_spin;
  GtkSpinButton        *seed_spin;

  GSettings            *settings;
};

G_DEFINE_FINAL_TYPE (GmsPreferencesWindow, gms_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The string values of each combo row's key, in the order of its items (NULL-terminated). */
static const char * const style_values[] = { "default", "light", "dark", NULL };
static const char * const colormap_values[] = { "viridis", "magma", "inferno", "cividis", "grey", "diverging", NULL };
static const char * const transform_values[] = { "raw", "log1p", "zscore", "minmax", NULL };
static const char * const figure_format_values[] = { "png", "svg", "pdf", NULL };
static const char * const matrix_format_values[] = { "h5ad", "loom", "csv", NULL };
static const char * const device_values[] = { "auto", "cpu", "cuda", NULL };
static const char * const method_values[] = { "ernet", "knn", "magic", NULL };
static const char * const model_values[] = { "compact", "paper", "tiny", NULL };

static gboolean
choice_get_mapping (GValue   *value,
                    GVariant *variant,
                    gpointer  user_data)
{
  const char * const *values = user_data;
  const char *s = g_variant_get_string (variant, NULL);

  for (guint i = 0; values[i] != NULL; i++)
    if (g_str_equal (values[i], s))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  g_value_set_uint (value, 0);
  return TRUE;
}

static GVariant *
choice_set_mapping (const GValue       *value,
                    const GVariantType *expected_type,
                    gpointer            user_data)
{
  const char * const *values = user_data;
  guint i = g_value_get_uint (value);

  if (i >= g_strv_length ((char **) values))
    i = 0;
  return g_variant_new_string (values[i]);
}

static void
bind_choice (GmsPreferencesWindow *self,
             const char           *key,
             AdwComboRow          *row,
             const char * const   *values)
{
  g_settings_bind_with_mapping (self->settings, key, row, "selected", G_SETTINGS_BIND_DEFAULT,
                                choice_get_mapping, choice_set_mapping, (gpointer) values, NULL);
}

static void
gms_preferences_window_dispose (GObject *object)
{
  GmsPreferencesWindow *self = GMS_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), GMS_TYPE_PREFERENCES_WINDOW);
  G_OBJECT_CLASS (gms_preferences_window_parent_class)->dispose (object);
}

static void
gms_preferences_window_class_init (GmsPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gms_preferences_window_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/org/genomap/Studio/ui/gms-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GmsPreferencesWindow, style_row);
  gtk_widget_class_bind_template_child (widget_class, GmsPreferencesWindow, colormap_row);
  gtk_widget_class_bind_template_child (widget_class, GmsPreferencesWindow, transform_row);
  gtk_widget_class_bind_template_child (widget_class, GmsPreferencesWindow, clip_spin);
  gtk_widget_class_bind_template_child (widget_class, GmsPreferencesWindow, dpi_spin);
  gtk_widget_class_bind_template_child (widget_class, GmsPreferencesWindow, figure_format_row);
  gtk_widget_class_bind_template_child (widget_class, GmsPreferencesWindow, matrix_format_row);
  gtk_widget_class_bind_template_child (widget_class, GmsPreferencesWindow, device_row);
  gtk_widget_class_bind_template_child (widget_class, GmsPreferencesWindow, method_row);
  gtk_widget_class_bind_template_child (widget_class, GmsPreferencesWindow, model_row);
  gtk_widget_class_bind_template_child (widget_class, GmsPreferencesWindow, steps_spin);
  gtk_widget_class_bind_template_child (widget_class, GmsPreferencesWindow, seed_spin);
}

static void
gms_preferences_window_init (GmsPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new (APPLICATION_ID);

  bind_choice (self, "style-variant", self->style_row, style_values);
  bind_choice (self, "colormap", self->colormap_row, colormap_values);
  bind_choice (self, "value-transform", self->transform_row, transform_values);
  bind_choice (self, "export-figure-format", self->figure_format_row, figure_format_values);
  bind_choice (self, "export-matrix-format", self->matrix_format_row, matrix_format_values);
  bind_choice (self, "device", self->device_row, device_values);
  bind_choice (self, "impute-method", self->method_row, method_values);
  bind_choice (self, "impute-model", self->model_row, model_values);
  g_settings_bind (self->settings, "clip-quantile", self->clip_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "export-dpi", self->dpi_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "impute-steps", self->steps_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "impute-seed", self->seed_spin, "value", G_SETTINGS_BIND_DEFAULT);
}

GtkWidget *
gms_preferences_window_new (GtkWindow *parent)
{
  return g_object_new (GMS_TYPE_PREFERENCES_WINDOW, "transient-for", parent, "modal", TRUE, NULL);
}
