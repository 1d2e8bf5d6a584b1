/* gms-export-dialog.c — export figures, matrices and tables
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "gms-export-dialog.h"

struct _GmsExportDialog
{
  AdwWindow             parent_instance;

  GtkButton            *cancel_button;
  GtkButton            *export_button;
  GtkSpinner           *spinner;
  GtkListBox           *items_list;
  AdwComboRow          *format_row;
  AdwActionRow         *dpi_row;
  GtkSpinButton        *dpi_spin;
  GtkLabel             *status_label;

  GSettings            *settings;
  GListModel           *items;
  GPtrArray            *checks;       /* GtkCheckButton per item */
  guint                 selected;
  GCancellable         *cancellable;
  GtkFileChooserNative *chooser;
  GtkWindow            *parent;       /* weak */
};

G_DEFINE_FINAL_TYPE (GmsExportDialog, gms_export_dialog, ADW_TYPE_WINDOW)

static GmsExportItem *
selected_item (GmsExportDialog *self)
{
  return self->items ? g_list_model_get_item (self->items, self->selected) : NULL;
}

static const char *
selected_extension (GmsExportDialog *self)
{
  g_autoptr(GmsExportItem) item = selected_item (self);
  const char * const *exts;
  guint i;

  if (item == NULL)
    return NULL;
  exts = gms_export_item_get_extensions (item);
  i = adw_combo_row_get_selected (self->format_row);
  if (i >= g_strv_length ((char **) exts))
    i = 0;
  return exts[i];   /* owned by the item, which the list keeps alive */
}

static void
update_dpi_row (GmsExportDialog *self)
{
  const char *ext = selected_extension (self);
  gtk_widget_set_visible (GTK_WIDGET (self->dpi_row), ext != NULL && g_ascii_strcasecmp (ext, "png") == 0);
}

static void
format_changed_cb (GmsExportDialog *self)
{
  g_autoptr(GmsExportItem) item = selected_item (self);
  const char *ext = selected_extension (self);

  update_dpi_row (self);
  if (item == NULL || ext == NULL)
    return;
  /* remember the choice as the default for this kind */
  if (gms_export_item_get_kind (item) == GMS_EXPORT_FIGURE)
    g_settings_set_string (self->settings, "export-figure-format", ext);
  else if (gms_export_item_get_kind (item) == GMS_EXPORT_MATRIX &&
           (g_str_equal (ext, "h5ad") || g_str_equal (ext, "loom") || g_str_equal (ext, "csv")))
    g_settings_set_string (self->settings, "export-matrix-format", ext);
}

static void
fill_formats (GmsExportDialog *self)
{
  g_autoptr(GmsExportItem) item = selected_item (self);
  g_autoptr(GtkStringList) list = gtk_string_list_new (NULL);
  g_autofree char *preferred = NULL;
  const char * const *exts;
  guint pick = 0;

  if (item == NULL)
    return;
  exts = gms_export_item_get_extensions (item);
  if (gms_export_item_get_kind (item) == GMS_EXPORT_FIGURE)
    preferred = g_settings_get_string (self->settings, "export-figure-format");
  else if (gms_export_item_get_kind (item) == GMS_EXPORT_MATRIX)
    preferred = g_settings_get_string (self->settings, "export-matrix-format");
  for (guint i = 0; exts[i] != NULL; i++)
    {
      g_autofree char *upper = g_ascii_strup (exts[i], -1);
      gtk_string_list_append (list, upper);
      if (preferred != NULL && g_ascii_strcasecmp (preferred, exts[i]) == 0)
        pick = i;
    }
  g_signal_handlers_block_by_func (self->format_row, format_changed_cb, self);
  adw_combo_row_set_model (self->format_row, G_LIST_MODEL (list));
  adw_combo_row_set_selected (self->format_row, pick);
  g_signal_handlers_unblock_by_func (self->format_row, format_changed_cb, self);
  update_dpi_row (self);
}

static void
item_toggled_cb (GtkCheckButton  *check,
                 GmsExportDialog *self)
{
  if (!gtk_check_button_get_active (check))
    return;
  for (guint i = 0; i < self->checks->len; i++)
    if (g_ptr_array_index (self->checks, i) == check)
      self->selected = i;
  fill_formats (self);
}

static void
set_busy (GmsExportDialog *self,
          gboolean         busy)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->export_button), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->items_list), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->format_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->dpi_row), !busy);
  if (busy)
    gtk_spinner_start (self->spinner);
  else
    gtk_spinner_stop (self->spinner);
}

static void
show_error (GmsExportDialog *self,
            GFile           *file,
            const GError    *error)
{
  g_autofree char *name = g_file_get_basename (file);
  GtkWidget *dialog;

  /* Translators: heading of an error dialog; %s is a file name */
  dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL, NULL);
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _("Could Not Export “%s”"), name);
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog), error->message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

typedef struct
{
  GmsExportDialog *dialog;   /* weak */
  GFile           *file;
} ExportJob;

static void
export_job_free (ExportJob *job)
{
  g_clear_weak_pointer (&job->dialog);
  g_clear_object (&job->file);
  g_free (job);
}

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  ExportJob *job = user_data;
  GmsExportItem *item = GMS_EXPORT_ITEM (object);
  GmsExportDialog *self = job->dialog;
  g_autoptr(GError) error = NULL;
  gboolean ok = gms_export_item_save_finish (item, result, &error);

  if (self == NULL)   /* the dialog went away meanwhile */
    {
      export_job_free (job);
      return;
    }
  g_clear_object (&self->cancellable);
  set_busy (self, FALSE);
  if (!ok)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        gtk_label_set_label (self->status_label, _("Export cancelled; nothing was written."));
      else
        {
          gtk_label_set_label (self->status_label, error->message);
          show_error (self, job->file, error);
        }
      export_job_free (job);
      return;
    }
  {
    g_autofree char *uri = g_file_get_uri (job->file);
    if (self->parent != NULL)
      gtk_widget_activate_action (GTK_WIDGET (self->parent), "win.exported", "s", uri);
  }
  export_job_free (job);
  gtk_window_destroy (GTK_WINDOW (self));
}

void
gms_export_dialog_export_to (GmsExportDialog *self,
                             GFile           *file)
{
  g_autoptr(GmsExportItem) item = selected_item (self);
  g_autofree char *path = NULL;
  g_autofree char *msg = NULL;
  GmsExportOptions options;
  ExportJob *job;

  g_return_if_fail (GMS_IS_EXPORT_DIALOG (self));
  g_return_if_fail (G_IS_FILE (file));
  if (item == NULL || self->cancellable != NULL)
    return;

  path = g_file_get_path (file);
  options.dpi = gtk_spin_button_get_value (self->dpi_spin);
  self->cancellable = g_cancellable_new ();
  set_busy (self, TRUE);
  msg = g_strdup_printf (_("Writing %s…"), path);
  gtk_label_set_label (self->status_label, msg);
  job = g_new0 (ExportJob, 1);
  g_set_weak_pointer (&job->dialog, self);
  job->file = g_object_ref (file);
  gms_export_item_save_async (item, path, &options, self->cancellable, saved_cb, job);
}

static void
chooser_response_cb (GtkNativeDialog *native,
                     int              response,
                     GmsExportDialog *self)
{
  g_autoptr(GFile) file = NULL;
  const char *ext = selected_extension (self);

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
  g_clear_object (&self->chooser);
  if (file == NULL)
    return;
  /* make sure the name ends with the chosen format */
  {
    g_autofree char *path = g_file_get_path (file);
    g_autofree char *dot_ext = g_strconcat (".", ext, NULL);
    g_autofree char *lower = g_ascii_strdown (path, -1);
    if (path != NULL && !g_str_has_suffix (lower, dot_ext))
      {
        g_autofree char *fixed = g_strconcat (path, dot_ext, NULL);
        g_object_unref (file);
        file = g_file_new_for_path (fixed);
      }
  }
  gms_export_dialog_export_to (self, file);
}

static void
export_clicked_cb (GmsExportDialog *self)
{
  g_autoptr(GmsExportItem) item = selected_item (self);
  g_autofree char *name = NULL;
  GtkFileFilter *filter;
  const char *ext = selected_extension (self);
  g_autofree char *pattern = NULL;
  g_autofree char *upper = NULL;
  const char *pictures;
  g_autoptr(GFile) folder = NULL;

  if (item == NULL || ext == NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Export"), GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                               _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  name = g_strconcat (gms_export_item_get_default_basename (item), ".", ext, NULL);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  pictures = g_get_user_special_dir (gms_export_item_get_kind (item) == GMS_EXPORT_FIGURE
                                     ? G_USER_DIRECTORY_PICTURES : G_USER_DIRECTORY_DOCUMENTS);
  if (pictures != NULL && g_file_test (pictures, G_FILE_TEST_IS_DIR))
    {
      folder = g_file_new_for_path (pictures);
      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->chooser), folder, NULL);
    }
  filter = gtk_file_filter_new ();
  upper = g_ascii_strup (ext, -1);
  gtk_file_filter_set_name (filter, upper);
  pattern = g_strconcat ("*.", ext, NULL);
  gtk_file_filter_add_pattern (filter, pattern);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  g_object_unref (filter);
  g_signal_connect (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
cancel_clicked_cb (GmsExportDialog *self)
{
  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      return;
    }
  gtk_window_close (GTK_WINDOW (self));
}

static void
gms_export_dialog_dispose (GObject *object)
{
  GmsExportDialog *self = GMS_EXPORT_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_object (&self->items);
  g_clear_object (&self->settings);
  g_clear_weak_pointer (&self->parent);
  gtk_widget_dispose_template (GTK_WIDGET (self), GMS_TYPE_EXPORT_DIALOG);
  G_OBJECT_CLASS (gms_export_dialog_parent_class)->dispose (object);
}

static void
gms_export_dialog_finalize (GObject *object)
{
  g_ptr_array_unref (GMS_EXPORT_DIALOG (object)->checks);
  G_OBJECT_CLASS (gms_export_dialog_parent_class)->finalize (object);
}

static void
gms_export_dialog_class_init (GmsExportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gms_export_dialog_dispose;
  object_class->finalize = gms_export_dialog_finalize;
  gtk_widget_class_set_template_from_resource (widget_class, "/org/genomap/Studio/ui/gms-export-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, GmsExportDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, GmsExportDialog, export_button);
  gtk_widget_class_bind_template_child (widget_class, GmsExportDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, GmsExportDialog, items_list);
  gtk_widget_class_bind_template_child (widget_class, GmsExportDialog, format_row);
  gtk_widget_class_bind_template_child (widget_class, GmsExportDialog, dpi_row);
  gtk_widget_class_bind_template_child (widget_class, GmsExportDialog, dpi_spin);
  gtk_widget_class_bind_template_child (widget_class, GmsExportDialog, status_label);
  gtk_widget_class_bind_template_callback (widget_class, export_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
gms_export_dialog_init (GmsExportDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->checks = g_ptr_array_new ();
  self->settings = g_settings_new (APPLICATION_ID);
  g_settings_bind (self->settings, "export-dpi", self->dpi_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_swapped (self->format_row, "notify::selected", G_CALLBACK (format_changed_cb), self);
}

GtkWidget *
gms_export_dialog_new (GtkWindow  *parent,
                       GListModel *items)
{
  GmsExportDialog *self;
  GtkCheckButton *group = NULL;
  guint n;

  g_return_val_if_fail (G_IS_LIST_MODEL (items), NULL);

  self = g_object_new (GMS_TYPE_EXPORT_DIALOG, "transient-for", parent, NULL);
  g_set_weak_pointer (&self->parent, parent);
  self->items = g_object_ref (items);
  n = g_list_model_get_n_items (items);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GmsExportItem) item = g_list_model_get_item (items, i);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *check = gtk_check_button_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), gms_export_item_get_title (item));
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      if (gms_export_item_get_subtitle (item) != NULL)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), gms_export_item_get_subtitle (item));
      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      if (group != NULL)
        gtk_check_button_set_group (GTK_CHECK_BUTTON (check), group);
      else
        group = GTK_CHECK_BUTTON (check);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      g_signal_connect (check, "toggled", G_CALLBACK (item_toggled_cb), self);
      g_ptr_array_add (self->checks, check);
      gtk_list_box_append (self->items_list, row);
    }
  if (n == 0)
    {
      gtk_label_set_label (self->status_label, _("Nothing to export yet: open a dataset and select a cell."));
      gtk_widget_set_sensitive (GTK_WIDGET (self->export_button), FALSE);
    }
  else
    gms_export_dialog_select_item (self, 0);
  return GTK_WIDGET (self);
}

void
gms_export_dialog_select_item (GmsExportDialog *self,
                               guint            position)
{
  g_return_if_fail (GMS_IS_EXPORT_DIALOG (self));
  if (position >= self->checks->len)
    return;
  self->selected = position;
  gtk_check_button_set_active (g_ptr_array_index (self->checks, position), TRUE);
  fill_formats (self);
}
