/* gms-window.c — the main window
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "gms-cell-browser.h"
#include "gms-export-dialog.h"
#include "gms-export-item.h"
#include "gms-groups-page.h"
#include "gms-overview-page.h"
#include "gms-session.h"
#include "gms-window.h"
#ifdef HAVE_GMS_IMPUTE_PAGE
#include "gms-impute-page.h"
#endif

#define MAX_RECENT 6

struct _GmsWindow
{
  AdwApplicationWindow  parent_instance;

  /* template children */
  AdwToastOverlay      *toast_overlay;
  AdwHeaderBar         *header_bar;
  AdwViewSwitcher      *switcher;
  AdwWindowTitle       *window_title;
  GtkMenuButton        *primary_menu_button;
  GtkStack             *main_stack;
  AdwStatusPage        *empty_page;
  GtkWidget            *demo_button;
  AdwPreferencesGroup  *recent_group;
  GtkListBox           *recent_list;
  AdwStatusPage        *loading_page;
  GtkProgressBar       *progress_bar;
  GtkLabel             *progress_label;
  AdwViewStack         *view_stack;
  GmsOverviewPage      *overview_page;
  GmsCellBrowser       *cell_browser;
  GmsGroupsPage        *groups_page;
  GtkWidget            *impute_page;   /* helper B's page, when built */

  /* owned */
  GSettings            *settings;
  GmsDataset           *dataset;       /* shown */
  GmsDataset           *loading;       /* being loaded */
  GCancellable         *cancellable;
  GtkFileChooserNative *chooser;
  gulong                recent_changed_id;

  /* sessions */
  GFile                *session_file;  /* where the shown session was opened from or saved to */
  GtkFileChooserNative *save_chooser;
  GCancellable         *save_cancellable;
  gboolean              saving;
  GError               *save_error;    /* the last save's, for tests */
};

G_DEFINE_FINAL_TYPE (GmsWindow, gms_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_DATASET,
  PROP_LOADING,
  PROP_SAVING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------ formats */

static gboolean
is_dataset_name (const char *name)
{
  static const char * const suffixes[] = {
    ".h5ad", ".h5", ".hdf5", ".loom", ".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".txt.gz",
    ".mtx", ".mtx.gz", NULL
  };
  g_autofree char *lower = g_ascii_strdown (name, -1);

  for (guint i = 0; suffixes[i] != NULL; i++)
    if (g_str_has_suffix (lower, suffixes[i]))
      return TRUE;
  return FALSE;
}

/* A Matrix Market file of a 10x folder stands for its folder. */
static GFile *
dataset_file_for (GFile *file)
{
  g_autofree char *name = g_file_get_basename (file);

  if (name != NULL && g_str_has_prefix (name, "matrix.mtx"))
    {
      GFile *parent = g_file_get_parent (file);
      if (parent != NULL)
        return parent;
    }
  return g_object_ref (file);
}

GFile *
gms_window_find_demo_dataset (void)
{
  const char *env = g_getenv ("GENOMAP_DEMO_DATASET");
  const char *dirs[] = { PKGDATADIR "/examples", GM_SOURCE_DIR "/data/examples" };
  const char *names[] = { "demo.h5ad", "three-cell-types.h5ad" };

  if (env != NULL && g_file_test (env, G_FILE_TEST_EXISTS))
    return g_file_new_for_path (env);
  for (guint d = 0; d < G_N_ELEMENTS (dirs); d++)
    for (guint n = 0; n < G_N_ELEMENTS (names); n++)
      {
        g_autofree char *path = g_build_filename (dirs[d], names[n], NULL);
        if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
          return g_file_new_for_path (path);
      }
  return NULL;
}

/* ------------------------------------------------------------ recent datasets */

static void
recent_row_activated_cb (GmsWindow     *self,
                         GtkListBoxRow *row)
{
  const char *uri = g_object_get_data (G_OBJECT (row), "gms-uri");
  g_autoptr(GFile) file = NULL;

  if (uri == NULL)
    return;
  file = g_file_new_for_uri (uri);
  gms_window_open_file (self, file);
}

static int
compare_recent (gconstpointer a,
                gconstpointer b)
{
  GtkRecentInfo *x = *(GtkRecentInfo **) a, *y = *(GtkRecentInfo **) b;
  g_autoptr(GDateTime) tx = g_date_time_ref (gtk_recent_info_get_modified (x));
  g_autoptr(GDateTime) ty = g_date_time_ref (gtk_recent_info_get_modified (y));
  return -g_date_time_compare (tx, ty);
}

static void
update_recent (GmsWindow *self)
{
  GtkRecentManager *manager = gtk_recent_manager_get_default ();
  GList *items = gtk_recent_manager_get_items (manager);
  g_autoptr(GPtrArray) ours = g_ptr_array_new ();
  GtkWidget *child;
  guint shown = 0;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->recent_list))) != NULL)
    gtk_list_box_remove (self->recent_list, child);

  for (GList *l = items; l != NULL; l = l->next)
    {
      GtkRecentInfo *info = l->data;
      const char *uri = gtk_recent_info_get_uri (info);
      const char *mime = gtk_recent_info_get_mime_type (info);

      if (!g_str_has_prefix (uri, "file:") || !gtk_recent_info_is_local (info))
        continue;
      if (!gtk_recent_info_has_application (info, g_get_application_name ()))
        continue;
      if (!is_dataset_name (uri) && g_strcmp0 (mime, "inode/directory") != 0)
        continue;
      g_ptr_array_add (ours, info);
    }
  g_ptr_array_sort (ours, compare_recent);
  for (guint i = 0; i < ours->len && shown < MAX_RECENT; i++)
    {
      GtkRecentInfo *info = g_ptr_array_index (ours, i);
      g_autoptr(GFile) file = g_file_new_for_uri (gtk_recent_info_get_uri (info));
      g_autofree char *path = g_file_get_path (file);
      g_autofree char *parent = path ? g_path_get_dirname (path) : NULL;
      g_autofree char *home_rel = NULL;
      GtkWidget *row;

      /* gtk_recent_info_exists is a stat() on a local path: cheap */
      if (!gtk_recent_info_exists (info))
        continue;
      if (parent != NULL && g_str_has_prefix (parent, g_get_home_dir ()))
        home_rel = g_strconcat ("~", parent + strlen (g_get_home_dir ()), NULL);
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), gtk_recent_info_get_display_name (info));
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), home_rel ? home_rel : parent ? parent : "");
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      {
        GtkWidget *remove = gtk_button_new_from_icon_name ("window-close-symbolic");

        gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
        gtk_widget_add_css_class (remove, "flat");
        gtk_widget_set_tooltip_text (remove, _("Remove From Recent"));
        gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                        _("Remove From Recent"), -1);
        gtk_actionable_set_action_name (GTK_ACTIONABLE (remove), "win.remove-recent");
        gtk_actionable_set_action_target_value (GTK_ACTIONABLE (remove),
                                                g_variant_new_string (gtk_recent_info_get_uri (info)));
        adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
      }
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
      g_object_set_data_full (G_OBJECT (row), "gms-uri", g_strdup (gtk_recent_info_get_uri (info)), g_free);
      gtk_list_box_append (self->recent_list, row);
      shown++;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->recent_group), shown > 0);
  g_list_free_full (items, (GDestroyNotify) gtk_recent_info_unref);
}

static void
add_to_recent (GmsWindow *self,
               GFile     *file)
{
  g_autofree char *uri = g_file_get_uri (file);
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *type = NULL;
  GtkRecentData data = { 0 };

  if (g_str_has_suffix (name, ".h5ad") || g_str_has_suffix (name, ".h5") || g_str_has_suffix (name, ".loom"))
    type = g_strdup ("application/x-hdf");
  else if (!is_dataset_name (name))
    type = g_strdup ("inode/directory");
  else
    type = g_content_type_guess (name, NULL, 0, NULL);
  data.display_name = name;
  data.mime_type = type;
  data.app_name = (char *) g_get_application_name ();
  data.app_exec = (char *) "genomap-studio %u";
  gtk_recent_manager_add_full (gtk_recent_manager_get_default (), uri, &data);
}

static void
remove_recent_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  g_autoptr(GError) error = NULL;

  /* the manager's "changed" signal rebuilds the list */
  if (!gtk_recent_manager_remove_item (gtk_recent_manager_get_default (), g_variant_get_string (param, NULL), &error))
    g_debug ("remove from recent: %s", error->message);
}

/* ------------------------------------------------------------ loading */

static void restore_session (GmsWindow  *self,
                             GmsDataset *dataset);

static void
update_actions (GmsWindow *self)
{
  gboolean loaded = self->dataset != NULL && self->loading == NULL;
  g_autoptr(GFile) demo = gms_window_find_demo_dataset ();

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export", loaded);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.save-session", loaded && !self->saving);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.save-session-as", loaded && !self->saving);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel-loading", self->loading != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-page", loaded);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.open-demo", demo != NULL);
}

static void
progress_changed_cb (GmsWindow *self)
{
  const char *message;

  if (self->loading == NULL)
    return;
  message = gms_dataset_get_message (self->loading);
  gtk_progress_bar_set_fraction (self->progress_bar, gms_dataset_get_fraction (self->loading));
  gtk_label_set_label (self->progress_label, message ? message : "");
}

static void
show_open_error (GmsWindow    *self,
                 const char   *name,
                 const GError *error)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL, NULL);

  /* Translators: %s is a file name */
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _("Could Not Open “%s”"), name);
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog), error->message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
show_dataset (GmsWindow  *self,
              GmsDataset *dataset)
{
  g_autofree char *size = NULL;

  g_set_object (&self->dataset, dataset);
  /* Ctrl+S writes back to a session file; anything else is saved under a new name first */
  g_clear_object (&self->session_file);
  if (gms_dataset_get_session_view (dataset) != NULL)
    self->session_file = g_object_ref (gms_dataset_get_file (dataset));
  size = gms_dataset_dup_size_text (dataset);
  adw_window_title_set_title (self->window_title, gms_dataset_get_title (dataset));
  adw_window_title_set_subtitle (self->window_title, size);
  gtk_window_set_title (GTK_WINDOW (self), gms_dataset_get_title (dataset));

  gms_overview_page_set_dataset (self->overview_page, dataset);
  gms_cell_browser_set_dataset (self->cell_browser, dataset);
  gms_groups_page_set_dataset (self->groups_page, dataset);
#ifdef HAVE_GMS_IMPUTE_PAGE
  if (self->impute_page != NULL)
    gms_impute_page_set_dataset (GMS_IMPUTE_PAGE (self->impute_page), dataset);
#endif
  gtk_widget_set_visible (GTK_WIDGET (self->switcher), TRUE);
  gtk_stack_set_visible_child_name (self->main_stack, "dataset");
  adw_view_stack_set_visible_child_name (self->view_stack, "cells");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATASET]);
}

static void
back_from_loading (GmsWindow *self)
{
  gtk_stack_set_visible_child_name (self->main_stack, self->dataset != NULL ? "dataset" : "empty");
}

static void
load_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GmsWindow) self = user_data;
  GmsDataset *dataset = GMS_DATASET (object);
  g_autoptr(GError) error = NULL;
  gboolean ok = gms_dataset_load_finish (dataset, result, &error);

  if (dataset != self->loading)   /* superseded by another file */
    return;
  g_signal_handlers_disconnect_by_func (dataset, progress_changed_cb, self);
  g_clear_object (&self->cancellable);
  if (!ok)
    {
      g_autoptr(GmsDataset) failed = g_steal_pointer (&self->loading);
      back_from_loading (self);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        gms_window_show_toast (self, error->message);
      else
        show_open_error (self, gms_dataset_get_title (failed), error);
    }
  else
    {
      g_autoptr(GmsDataset) loaded = g_steal_pointer (&self->loading);
      GApplication *app = g_application_get_default ();

      show_dataset (self, loaded);
      restore_session (self, loaded);
      add_to_recent (self, gms_dataset_get_file (loaded));
      /* a long load may end while the user works elsewhere */
      if (app != NULL && !gtk_window_is_active (GTK_WINDOW (self)))
        {
          g_autoptr(GNotification) note = g_notification_new (_("Dataset Opened"));
          g_autofree char *size = gms_dataset_dup_size_text (loaded);
          g_autofree char *body = g_strdup_printf ("%s — %s", gms_dataset_get_title (loaded), size);
          g_notification_set_body (note, body);
          g_application_send_notification (app, "dataset-opened", note);
        }
    }
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

void
gms_window_open_file (GmsWindow *self,
                      GFile     *file)
{
  g_autoptr(GFile) target = NULL;
  g_autofree char *title = NULL;

  g_return_if_fail (GMS_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  if (self->loading != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->loading, progress_changed_cb, self);
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
      g_clear_object (&self->loading);
    }
  target = dataset_file_for (file);
  self->loading = gms_dataset_new (target);
  if (self->settings != NULL)
    {
      g_autofree char *device = g_settings_get_string (self->settings, "device");
      gms_dataset_set_layout_device (self->loading, device);
    }
  self->cancellable = g_cancellable_new ();

  /* Translators: %s is a file name */
  title = g_strdup_printf (_("Opening “%s”"), gms_dataset_get_title (self->loading));
  adw_status_page_set_title (self->loading_page, title);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_label_set_label (self->progress_label, _("Reading"));
  gtk_stack_set_visible_child_name (self->main_stack, "loading");
  g_signal_connect_swapped (self->loading, "notify::fraction", G_CALLBACK (progress_changed_cb), self);
  g_signal_connect_swapped (self->loading, "notify::message", G_CALLBACK (progress_changed_cb), self);
  gms_dataset_load_async (self->loading, self->cancellable, load_done_cb, g_object_ref (self));
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

/* ------------------------------------------------------------ sessions */

#ifdef HAVE_GMS_IMPUTE_PAGE
static const char * const eval_mode_names[] = { "holdout", "simulated", "reference" };
static const char * const preset_names[] = { "paper", "compact", "tiny" };
#endif

static gint64
find_cell_by_name (const GmDataset *ds,
                   const char      *name)
{
  for (gint64 i = 0; name != NULL && i < gm_dataset_n_cells (ds); i++)
    if (strcmp (ds->cell_names[i], name) == 0)
      return i;
  return -1;
}

static void
view_set (GHashTable *view,
          const char *key,
          char       *value)   /* taken */
{
  g_hash_table_insert (view, g_strdup (key), value);
}

static char *
format_double (double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.17g", v));
}

/* The view state a session file keeps (main thread). */
static GHashTable *
collect_view_state (GmsWindow *self)
{
  GHashTable *view = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const GmDataset *ds = gms_dataset_get_data (self->dataset);
  GmsGenomapView *map = gms_cell_browser_get_view (self->cell_browser);
  const char *page = adw_view_stack_get_visible_child_name (self->view_stack);
  const char *group = gms_cell_browser_get_group_column (self->cell_browser);
  gint64 cell = gms_cell_browser_get_selected_cell (self->cell_browser);
  int highlight = gms_genomap_view_get_highlight (map);

  if (page != NULL)
    view_set (view, "page", g_strdup (page));
  if (cell >= 0 && cell < gm_dataset_n_cells (ds))
    view_set (view, "cell", g_strdup (ds->cell_names[cell]));
  view_set (view, "group_column", g_strdup (group != NULL ? group : ""));
  view_set (view, "colormap", g_settings_get_string (self->settings, "colormap"));
  view_set (view, "transform", g_settings_get_string (self->settings, "value-transform"));
  view_set (view, "clip_quantile", format_double (g_settings_get_double (self->settings, "clip-quantile")));
  view_set (view, "zoom", format_double (gms_genomap_view_get_zoom (map)));
  if (highlight >= 0 && highlight < gms_dataset_get_map_rows (self->dataset) * gms_dataset_get_map_cols (self->dataset)
      && gms_dataset_get_pixel_genes (self->dataset)[highlight] != NULL)
    view_set (view, "highlight_gene", g_strdup (gms_dataset_get_pixel_genes (self->dataset)[highlight]));
#ifdef HAVE_GMS_IMPUTE_PAGE
  if (self->impute_page != NULL)
    {
      GmsImputePage *ip = GMS_IMPUTE_PAGE (self->impute_page);
      GmsImputeResult *result = gms_impute_page_get_result (ip);
      GmsImputeParams params;

      gms_impute_params_init (&params);
      gms_impute_page_get_params (ip, &params);
      view_set (view, "impute_method", g_strdup (gms_impute_method_to_string (params.method)));
      if ((guint) params.preset < G_N_ELEMENTS (preset_names))
        view_set (view, "impute_model", g_strdup (preset_names[params.preset]));
      view_set (view, "impute_recipe", g_strdup (gm_ernet_recipe_name (params.recipe)));
      view_set (view, "impute_steps", g_strdup_printf ("%d", params.steps));
      view_set (view, "impute_seed", g_strdup_printf ("%" G_GUINT64_FORMAT, params.seed));
      view_set (view, "impute_eval_mode", g_strdup (eval_mode_names[params.eval_mode]));
      view_set (view, "impute_holdout_fraction", format_double (params.holdout_fraction));
      view_set (view, "impute_sim_efficiency", format_double (params.sim_efficiency));
      gms_impute_params_clear (&params);
      if (result != NULL)
        {
          const GmEvalResult *e = gms_impute_result_get_evaluation (result);
          gint64 icell = gms_impute_page_get_cell (ip);
          gint64 gene = gms_impute_page_get_selected_gene (ip);

          if (icell >= 0 && icell < gm_dataset_n_cells (ds))
            view_set (view, "impute_cell", g_strdup (ds->cell_names[icell]));
          if (gene >= 0 && gene < e->n_genes)
            view_set (view, "impute_gene", g_strdup (e->gene_names[gene]));
        }
    }
#endif
  return view;
}

static void
set_setting_string (GSettings  *settings,
                    const char *key,
                    const char *value)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettingsSchemaKey) skey = NULL;
  g_autoptr(GVariant) v = NULL;

  if (value == NULL)
    return;
  g_object_get (settings, "settings-schema", &schema, NULL);
  skey = g_settings_schema_get_key (schema, key);
  v = g_variant_ref_sink (g_variant_new_string (value));
  if (g_settings_schema_key_range_check (skey, v))
    g_settings_set_value (settings, key, v);
}

static void
set_setting_double (GSettings  *settings,
                    const char *key,
                    const char *value)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettingsSchemaKey) skey = NULL;
  g_autoptr(GVariant) v = NULL;
  char *end = NULL;
  double d;

  if (value == NULL)
    return;
  d = g_ascii_strtod (value, &end);
  if (end == value || !isfinite (d))
    return;
  g_object_get (settings, "settings-schema", &schema, NULL);
  skey = g_settings_schema_get_key (schema, key);
  v = g_variant_ref_sink (g_variant_new_double (d));
  if (g_settings_schema_key_range_check (skey, v))
    g_settings_set_value (settings, key, v);
}

/* Puts the window back where the session was saved (main thread, after show_dataset). */
static void
restore_session (GmsWindow  *self,
                 GmsDataset *dataset)
{
  GHashTable *view = gms_dataset_get_session_view (dataset);
  const GmDataset *ds = gms_dataset_get_data (dataset);
  const char *value;
  gint64 cell;

  if (view == NULL)
    return;
  set_setting_string (self->settings, "colormap", g_hash_table_lookup (view, "colormap"));
  set_setting_string (self->settings, "value-transform", g_hash_table_lookup (view, "transform"));
  set_setting_double (self->settings, "clip-quantile", g_hash_table_lookup (view, "clip_quantile"));
  value = g_hash_table_lookup (view, "group_column");
  if (value != NULL)
    gms_cell_browser_set_group_column (self->cell_browser, *value != '\0' ? value : NULL);
  cell = find_cell_by_name (ds, g_hash_table_lookup (view, "cell"));
  if (cell >= 0)
    gms_cell_browser_select_cell (self->cell_browser, cell);
  value = g_hash_table_lookup (view, "zoom");
  if (value != NULL)
    gms_genomap_view_set_zoom (gms_cell_browser_get_view (self->cell_browser), g_ascii_strtod (value, NULL));
  value = g_hash_table_lookup (view, "highlight_gene");
  if (value != NULL)
    gms_cell_browser_highlight_gene (self->cell_browser, value);

#ifdef HAVE_GMS_IMPUTE_PAGE
  if (self->impute_page != NULL)
    {
      GmsImputePage *ip = GMS_IMPUTE_PAGE (self->impute_page);
      g_autoptr(GmsImputeResult) result = gms_dataset_take_session_result (dataset);
      GmsImputeParams params;

      gms_impute_params_init (&params);
      gms_impute_page_get_params (ip, &params);
      gms_impute_method_from_string (g_hash_table_lookup (view, "impute_method"), &params.method);
      for (guint i = 0; i < G_N_ELEMENTS (preset_names); i++)
        if (g_strcmp0 (g_hash_table_lookup (view, "impute_model"), preset_names[i]) == 0)
          params.preset = (GmErnetPreset) i;
      for (GmErnetRecipe r = GM_ERNET_RECIPE_NEIGHBOURS; r <= GM_ERNET_RECIPE_TCER; r++)
        if (g_strcmp0 (g_hash_table_lookup (view, "impute_recipe"), gm_ernet_recipe_name (r)) == 0)
          params.recipe = r;
      for (guint i = 0; i < G_N_ELEMENTS (eval_mode_names); i++)
        if (g_strcmp0 (g_hash_table_lookup (view, "impute_eval_mode"), eval_mode_names[i]) == 0)
          params.eval_mode = (GmsEvalMode) i;
      if ((value = g_hash_table_lookup (view, "impute_steps")) != NULL)
        params.steps = (int) g_ascii_strtoll (value, NULL, 10);
      if ((value = g_hash_table_lookup (view, "impute_seed")) != NULL)
        params.seed = g_ascii_strtoull (value, NULL, 10);
      if ((value = g_hash_table_lookup (view, "impute_holdout_fraction")) != NULL)
        params.holdout_fraction = g_ascii_strtod (value, NULL);
      if ((value = g_hash_table_lookup (view, "impute_sim_efficiency")) != NULL)
        params.sim_efficiency = g_ascii_strtod (value, NULL);
      gms_impute_page_set_params (ip, &params);
      gms_impute_params_clear (&params);

      if (result != NULL && gms_impute_page_set_result (ip, result))
        {
          const GmEvalResult *e = gms_impute_result_get_evaluation (result);

          cell = find_cell_by_name (ds, g_hash_table_lookup (view, "impute_cell"));
          if (cell >= 0)
            gms_impute_page_set_cell (ip, cell);
          value = g_hash_table_lookup (view, "impute_gene");
          for (gint64 j = 0; value != NULL && j < e->n_genes; j++)
            if (strcmp (e->gene_names[j], value) == 0)
              {
                gms_impute_page_select_gene (ip, j);
                break;
              }
        }
    }
#endif
  value = g_hash_table_lookup (view, "page");
  if (value != NULL)
    gms_window_show_page (self, value);
}

typedef struct
{
  GmsDataset      *dataset;
  GmsImputeResult *result;
  GHashTable      *view;
  GFile           *file;
  char            *path;
  gint             cancel;
  gulong           handler;
  GCancellable    *cancellable;
} SaveJob;

static void
save_job_free (gpointer data)
{
  SaveJob *job = data;

  if (job->handler != 0)
    g_cancellable_disconnect (job->cancellable, job->handler);
  g_clear_object (&job->cancellable);
  g_clear_object (&job->result);
  g_clear_object (&job->dataset);
  g_clear_pointer (&job->view, g_hash_table_unref);
  g_clear_object (&job->file);
  g_free (job->path);
  g_free (job);
}

static void
save_cancelled_cb (GCancellable *cancellable,
                   SaveJob      *job)
{
  g_atomic_int_set (&job->cancel, 1);
}

static void
save_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SaveJob *job = task_data;
  GError *error = NULL;

  if (gms_session_write (gms_dataset_get_data (job->dataset), gms_dataset_get_layout (job->dataset), job->result,
                         job->view, job->path, &job->cancel, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
save_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GmsWindow *self = GMS_WINDOW (object);
  SaveJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_file_get_basename (job->file);

  self->saving = FALSE;
  g_clear_error (&self->save_error);
  if (self->toast_overlay == NULL)   /* the window was closed meanwhile */
    return;
  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (job->dataset == self->dataset)
        g_set_object (&self->session_file, job->file);
      add_to_recent (self, job->file);
      /* Translators: a toast; %s is a file name */
      g_autofree char *text = g_strdup_printf (_("Saved “%s”"), name);

      gms_window_show_toast (self, text);
    }
  else if (!(error->domain == GM_ERROR && error->code == GM_ERROR_CANCELLED))
    {
      GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL, NULL);

      /* Translators: %s is a file name */
      adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _("Could Not Save “%s”"), name);
      adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog), error->message);
      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
      self->save_error = g_steal_pointer (&error);
    }
  else
    self->save_error = g_steal_pointer (&error);
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SAVING]);
}

void
gms_window_save_session (GmsWindow *self,
                         GFile     *file)
{
  g_autoptr(GTask) task = NULL;
  SaveJob *job;

  g_return_if_fail (GMS_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));
  if (self->dataset == NULL || self->loading != NULL || self->saving)
    return;

  job = g_new0 (SaveJob, 1);
  job->dataset = g_object_ref (self->dataset);
#ifdef HAVE_GMS_IMPUTE_PAGE
  if (self->impute_page != NULL && gms_impute_page_get_result (GMS_IMPUTE_PAGE (self->impute_page)) != NULL)
    job->result = g_object_ref (gms_impute_page_get_result (GMS_IMPUTE_PAGE (self->impute_page)));
#endif
  job->view = collect_view_state (self);
  job->file = g_object_ref (file);
  job->path = g_file_get_path (file);
  if (job->path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (file);
      g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                             _("%s: only local files can hold a session"), uri);
      save_job_free (job);
      gms_window_show_toast (self, error->message);
      return;
    }
  g_clear_object (&self->save_cancellable);
  self->save_cancellable = g_cancellable_new ();
  job->cancellable = g_object_ref (self->save_cancellable);
  job->handler = g_cancellable_connect (job->cancellable, G_CALLBACK (save_cancelled_cb), job, NULL);
  self->saving = TRUE;
  task = g_task_new (self, self->save_cancellable, save_done_cb, NULL);
  g_task_set_source_tag (task, gms_window_save_session);
  g_task_set_task_data (task, job, save_job_free);
  g_task_run_in_thread (task, save_thread);
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SAVING]);
}

gboolean
gms_window_is_saving (GmsWindow *self)
{
  g_return_val_if_fail (GMS_IS_WINDOW (self), FALSE);
  return self->saving;
}

const GError *
gms_window_get_save_error (GmsWindow *self)
{
  g_return_val_if_fail (GMS_IS_WINDOW (self), NULL);
  return self->save_error;
}

GFile *
gms_window_get_session_file (GmsWindow *self)
{
  g_return_val_if_fail (GMS_IS_WINDOW (self), NULL);
  return self->session_file;
}

static void
save_chooser_response_cb (GtkNativeDialog *native,
                          int              response,
                          GmsWindow       *self)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
  g_clear_object (&self->save_chooser);
  if (file == NULL)
    return;
  {
    g_autofree char *name = g_file_get_basename (file);
    g_autofree char *lower = g_ascii_strdown (name, -1);

    if (!g_str_has_suffix (lower, ".h5ad"))
      {
        g_autoptr(GFile) parent = g_file_get_parent (file);
        g_autofree char *with_ext = g_strconcat (name, ".h5ad", NULL);

        g_object_unref (file);
        file = g_file_get_child (parent, with_ext);
      }
  }
  gms_window_save_session (self, file);
}

static void
show_save_dialog (GmsWindow *self)
{
  GFile *source;
  g_autoptr(GFile) folder = NULL;
  g_autofree char *name = NULL;
  g_autofree char *stem = NULL;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  if (self->dataset == NULL || self->save_chooser != NULL)
    return;
  source = self->session_file != NULL ? self->session_file : gms_dataset_get_file (self->dataset);
  name = g_file_get_basename (source);
  folder = g_file_get_parent (source);
  stem = g_strdup (name);
  if (strchr (stem, '.') != NULL)
    *strchr (stem, '.') = '\0';
  self->save_chooser = gtk_file_chooser_native_new (_("Save Session"), GTK_WINDOW (self),
                                                    GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->save_chooser), TRUE);
  gtk_file_filter_set_name (filter, _("AnnData (.h5ad)"));
  gtk_file_filter_add_pattern (filter, "*.h5ad");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->save_chooser), filter);
  if (folder != NULL)
    gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->save_chooser), folder, NULL);
  if (self->session_file != NULL)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->save_chooser), name);
  else
    {
      /* Translators: the default name of a saved session; %s is the dataset's file name without extension */
      g_autofree char *suggested = g_strdup_printf (_("%s-session.h5ad"), *stem ? stem : "genomap");
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->save_chooser), suggested);
    }
  g_signal_connect (self->save_chooser, "response", G_CALLBACK (save_chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->save_chooser));
}

static void
save_session_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  GmsWindow *self = GMS_WINDOW (widget);

  if (self->session_file != NULL && g_str_equal (action_name, "win.save-session"))
    gms_window_save_session (self, self->session_file);
  else
    show_save_dialog (self);
}

/* ------------------------------------------------------------ open dialog */

static void
chooser_response_cb (GtkNativeDialog *native,
                     int              response,
                     GmsWindow       *self)
{
  g_autoptr(GListModel) files = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (native));
  g_clear_object (&self->chooser);
  if (files == NULL)
    return;
  for (guint i = 0; i < g_list_model_get_n_items (files); i++)
    {
      g_autoptr(GFile) file = g_list_model_get_item (files, i);
      if (i == 0)
        gms_window_open_file (self, file);
      else if (g_application_get_default () != NULL)   /* more files: more windows */
        g_application_open (g_application_get_default (), &file, 1, "");
    }
}

static void
add_filter (GtkFileChooser     *chooser,
            const char         *name,
            const char * const *patterns)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, name);
  for (guint i = 0; patterns[i] != NULL; i++)
    gtk_file_filter_add_pattern (filter, patterns[i]);
  gtk_file_chooser_add_filter (chooser, filter);
  g_object_unref (filter);
}

void
gms_window_show_open_dialog (GmsWindow *self)
{
  static const char * const all[] = {
    "*.h5ad", "*.h5", "*.hdf5", "*.loom", "matrix.mtx", "matrix.mtx.gz", "*.mtx", "*.mtx.gz",
    "*.csv", "*.csv.gz", "*.tsv", "*.tsv.gz", "*.txt", "*.txt.gz", NULL
  };
  static const char * const h5ad[] = { "*.h5ad", NULL };
  static const char * const tenx[] = { "*.h5", "*.hdf5", NULL };
  static const char * const loom[] = { "*.loom", NULL };
  static const char * const mtx[] = { "matrix.mtx", "matrix.mtx.gz", "*.mtx", "*.mtx.gz", NULL };
  static const char * const text[] = { "*.csv", "*.csv.gz", "*.tsv", "*.tsv.gz", "*.txt", "*.txt.gz", NULL };
  static const char * const any[] = { "*", NULL };
  GtkFileChooser *chooser;

  g_return_if_fail (GMS_IS_WINDOW (self));
  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Open Dataset"), GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Open"), _("_Cancel"));
  chooser = GTK_FILE_CHOOSER (self->chooser);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  gtk_file_chooser_set_select_multiple (chooser, TRUE);
  add_filter (chooser, _("All Supported Datasets"), all);
  add_filter (chooser, _("AnnData (.h5ad)"), h5ad);
  add_filter (chooser, _("10x Genomics HDF5 (.h5)"), tenx);
  add_filter (chooser, _("Loom (.loom)"), loom);
  add_filter (chooser, _("10x Matrix Market (matrix.mtx in its folder)"), mtx);
  add_filter (chooser, _("CSV / TSV Tables"), text);
  add_filter (chooser, _("All Files"), any);
  g_signal_connect (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* ------------------------------------------------------------ drag and drop */

static gboolean
drop_cb (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         GmsWindow     *self)
{
  GSList *files;

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  files = g_value_get_boxed (value);
  for (GSList *l = files; l != NULL; l = l->next)
    {
      GFile *file = l->data;
      if (l == files)
        gms_window_open_file (self, file);
      else if (g_application_get_default () != NULL)   /* more files: more windows */
        g_application_open (g_application_get_default (), &file, 1, "");
    }
  return files != NULL;
}

/* ------------------------------------------------------------ export, toasts */

GListModel *
gms_window_dup_export_items (GmsWindow *self)
{
  GListStore *store = g_list_store_new (GMS_TYPE_EXPORT_ITEM);
  g_autoptr(GListModel) pages = NULL;

  g_return_val_if_fail (GMS_IS_WINDOW (self), NULL);
  if (self->dataset == NULL)
    return G_LIST_MODEL (store);

  /* the page shown first, then the others; each page with an "export-items" property */
  pages = G_LIST_MODEL (adw_view_stack_get_pages (self->view_stack));
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < g_list_model_get_n_items (pages); i++)
      {
        g_autoptr(AdwViewStackPage) page = g_list_model_get_item (pages, i);
        GtkWidget *child = adw_view_stack_page_get_child (page);
        gboolean visible = child == adw_view_stack_get_visible_child (self->view_stack);
        g_autoptr(GListModel) items = NULL;

        if ((pass == 0) != visible)
          continue;
        if (g_object_class_find_property (G_OBJECT_GET_CLASS (child), "export-items") == NULL)
          continue;
        g_object_get (child, "export-items", &items, NULL);
        if (items == NULL)
          continue;
        for (guint k = 0; k < g_list_model_get_n_items (items); k++)
          {
            g_autoptr(GObject) item = g_list_model_get_item (items, k);
            if (GMS_IS_EXPORT_ITEM (item))
              g_list_store_append (store, item);
          }
      }
  {
    g_autoptr(GmsExportItem) matrix = gms_export_item_new_matrix (self->dataset);
    g_list_store_append (store, matrix);
  }
  return G_LIST_MODEL (store);
}

GtkWidget *
gms_window_show_export_dialog (GmsWindow *self)
{
  g_autoptr(GListModel) items = NULL;
  GtkWidget *dialog;

  g_return_val_if_fail (GMS_IS_WINDOW (self), NULL);
  items = gms_window_dup_export_items (self);
  dialog = gms_export_dialog_new (GTK_WINDOW (self), items);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

void
gms_window_show_toast (GmsWindow  *self,
                       const char *text)
{
  g_return_if_fail (GMS_IS_WINDOW (self));
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

static void
show_toast_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  gms_window_show_toast (GMS_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
exported_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  GmsWindow *self = GMS_WINDOW (widget);
  g_autoptr(GFile) file = g_file_new_for_uri (g_variant_get_string (param, NULL));
  g_autoptr(GFile) folder = g_file_get_parent (file);
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *folder_uri = folder ? g_file_get_uri (folder) : NULL;
  AdwToast *toast;

  /* Translators: a toast; %s is a file name */
  toast = adw_toast_new_format (_("Exported “%s”"), name);
  if (folder_uri != NULL)
    {
      adw_toast_set_button_label (toast, _("Open Folder"));
      adw_toast_set_action_name (toast, "win.open-folder");
      adw_toast_set_action_target_value (toast, g_variant_new_string (folder_uri));
    }
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
open_folder_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  gtk_show_uri (GTK_WINDOW (widget), g_variant_get_string (param, NULL), GDK_CURRENT_TIME);
}

/* ------------------------------------------------------------ actions */

static void
open_demo_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  g_autoptr(GFile) demo = gms_window_find_demo_dataset ();

  if (demo != NULL)
    gms_window_open_file (GMS_WINDOW (widget), demo);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  gms_window_show_export_dialog (GMS_WINDOW (widget));
}

static void
cancel_loading_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  GmsWindow *self = GMS_WINDOW (widget);

  /* the worker notices at its next check; load_done_cb returns to the previous page */
  g_cancellable_cancel (self->cancellable);
}

static void
show_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  gms_window_show_page (GMS_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
show_primary_menu_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *param)
{
  gtk_menu_button_popup (GMS_WINDOW (widget)->primary_menu_button);
}

static void
gene_activated_cb (GmsWindow  *self,
                   const char *gene)
{
  gms_cell_browser_highlight_gene (self->cell_browser, gene);
  adw_view_stack_set_visible_child_name (self->view_stack, "cells");
}

/* ------------------------------------------------------------ GObject */

static gboolean
gms_window_close_request (GtkWindow *window)
{
  GmsWindow *self = GMS_WINDOW (window);
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  if (!gtk_window_is_maximized (window) && width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_cancellable_cancel (self->cancellable);
  return GTK_WINDOW_CLASS (gms_window_parent_class)->close_request (window);
}

static void
gms_window_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  GmsWindow *self = GMS_WINDOW (object);

  switch (prop_id)
    {
    case PROP_DATASET:
      g_value_set_object (value, self->dataset);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading != NULL);
      break;
    case PROP_SAVING:
      g_value_set_boolean (value, self->saving);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gms_window_dispose (GObject *object)
{
  GmsWindow *self = GMS_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->loading != NULL)
    g_signal_handlers_disconnect_by_func (self->loading, progress_changed_cb, self);
  g_clear_object (&self->loading);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  if (self->save_chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->save_chooser));
  g_clear_object (&self->save_chooser);
  /* a save under way keeps its own references and finishes (or stops at its next block) */
  g_cancellable_cancel (self->save_cancellable);
  g_clear_object (&self->save_cancellable);
  g_clear_object (&self->session_file);
  g_clear_error (&self->save_error);
  g_clear_signal_handler (&self->recent_changed_id, gtk_recent_manager_get_default ());
  gtk_widget_dispose_template (GTK_WIDGET (self), GMS_TYPE_WINDOW);
  g_clear_object (&self->dataset);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (gms_window_parent_class)->dispose (object);
}

static void
gms_window_class_init (GmsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = gms_window_dispose;
  object_class->get_property = gms_window_get_property;
  window_class->close_request = gms_window_close_request;

  properties[PROP_DATASET] =
    g_param_spec_object ("dataset", NULL, NULL, GMS_TYPE_DATASET,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SAVING] =
    g_param_spec_boolean ("saving", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (GMS_TYPE_OVERVIEW_PAGE);
  g_type_ensure (GMS_TYPE_CELL_BROWSER);
  g_type_ensure (GMS_TYPE_GROUPS_PAGE);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/genomap/Studio/ui/gms-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GmsWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, GmsWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, GmsWindow, switcher);
  gtk_widget_class_bind_template_child (widget_class, GmsWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, GmsWindow, primary_menu_button);
  gtk_widget_class_bind_template_child (widget_class, GmsWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, GmsWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, GmsWindow, demo_button);
  gtk_widget_class_bind_template_child (widget_class, GmsWindow, recent_group);
  gtk_widget_class_bind_template_child (widget_class, GmsWindow, recent_list);
  gtk_widget_class_bind_template_child (widget_class, GmsWindow, loading_page);
  gtk_widget_class_bind_template_child (widget_class, GmsWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, GmsWindow, progress_label);
  gtk_widget_class_bind_template_child (widget_class, GmsWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, GmsWindow, overview_page);
  gtk_widget_class_bind_template_child (widget_class, GmsWindow, cell_browser);
  gtk_widget_class_bind_template_child (widget_class, GmsWindow, groups_page);
  gtk_widget_class_bind_template_callback (widget_class, recent_row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, gene_activated_cb);

  gtk_widget_class_install_action (widget_class, "win.open-demo", NULL, open_demo_action);
  gtk_widget_class_install_action (widget_class, "win.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "win.save-session", NULL, save_session_action);
  gtk_widget_class_install_action (widget_class, "win.save-session-as", NULL, save_session_action);
  gtk_widget_class_install_action (widget_class, "win.remove-recent", "s", remove_recent_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-loading", NULL, cancel_loading_action);
  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action);
  gtk_widget_class_install_action (widget_class, "win.show-toast", "s", show_toast_action);
  gtk_widget_class_install_action (widget_class, "win.exported", "s", exported_action);
  gtk_widget_class_install_action (widget_class, "win.open-folder", "s", open_folder_action);
  gtk_widget_class_install_action (widget_class, "win.show-primary-menu", NULL, show_primary_menu_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "win.export", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "win.save-session", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.save-session-as", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.cancel-loading", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F10, 0, "win.show-primary-menu", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_ALT_MASK, "win.show-page", "s", "overview");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_ALT_MASK, "win.show-page", "s", "cells");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_3, GDK_ALT_MASK, "win.show-page", "s", "groups");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_4, GDK_ALT_MASK, "win.show-page", "s", "imputation");
}

static void
gms_window_init (GmsWindow *self)
{
  GtkDropTarget *target;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new (APPLICATION_ID);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

#ifdef HAVE_GMS_IMPUTE_PAGE
  {
    AdwViewStackPage *page;
    self->impute_page = gms_impute_page_new ();
    page = adw_view_stack_add_titled (self->view_stack, self->impute_page, "imputation", _("Imputation"));
    adw_view_stack_page_set_icon_name (page, "system-run-symbolic");
  }
#endif

  target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (target, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));

  self->recent_changed_id = g_signal_connect_swapped (gtk_recent_manager_get_default (), "changed",
                                                      G_CALLBACK (update_recent), self);
  update_recent (self);
  update_actions (self);
}

GmsWindow *
gms_window_new (GtkApplication *application)
{
  return g_object_new (GMS_TYPE_WINDOW, "application", application, NULL);
}

gboolean
gms_window_is_empty (GmsWindow *self)
{
  g_return_val_if_fail (GMS_IS_WINDOW (self), FALSE);
  return self->dataset == NULL && self->loading == NULL;
}

gboolean
gms_window_is_loading (GmsWindow *self)
{
  g_return_val_if_fail (GMS_IS_WINDOW (self), FALSE);
  return self->loading != NULL;
}

GmsDataset *
gms_window_get_dataset (GmsWindow *self)
{
  g_return_val_if_fail (GMS_IS_WINDOW (self), NULL);
  return self->dataset;
}

GmsCellBrowser *
gms_window_get_cell_browser (GmsWindow *self)
{
  g_return_val_if_fail (GMS_IS_WINDOW (self), NULL);
  return self->cell_browser;
}

GmsGroupsPage *
gms_window_get_groups_page (GmsWindow *self)
{
  g_return_val_if_fail (GMS_IS_WINDOW (self), NULL);
  return self->groups_page;
}

const char *
gms_window_get_page (GmsWindow *self)
{
  g_return_val_if_fail (GMS_IS_WINDOW (self), NULL);
  return self->dataset != NULL ? adw_view_stack_get_visible_child_name (self->view_stack) : NULL;
}

GtkWidget *
gms_window_get_impute_page (GmsWindow *self)
{
  g_return_val_if_fail (GMS_IS_WINDOW (self), NULL);
  return self->impute_page;
}

void
gms_window_show_page (GmsWindow  *self,
                      const char *name)
{
  g_return_if_fail (GMS_IS_WINDOW (self));
  if (self->dataset != NULL && adw_view_stack_get_child_by_name (self->view_stack, name) != NULL)
    adw_view_stack_set_visible_child_name (self->view_stack, name);
}
