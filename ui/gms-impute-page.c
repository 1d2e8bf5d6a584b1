/* gms-impute-page.c — the Imputation page: settings, a background run, before/after, scores
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "gm-nn-device.h"
#include "gms-compare-view.h"
#include "gms-export-item.h"
#include "gms-figure.h"
#include "gms-gene-trace.h"
#include "gms-impute-resources.h"
#include "gms-impute-estimate.h"
#include "gms-impute-page.h"
#include "gms-loss-plot.h"
#include "gms-pearson-plot.h"

struct _GmsImputePage
{
  GtkWidget        parent_instance;

  /* template children */
  AdwComboRow     *method_row;
  AdwComboRow     *model_row;
  AdwComboRow     *recipe_row;
  AdwActionRow    *device_row;
  GtkToggleButton *device_auto;
  GtkToggleButton *device_cpu;
  GtkToggleButton *device_gpu;
  AdwActionRow    *steps_row;
  GtkAdjustment   *steps_adjustment;
  GtkAdjustment   *seed_adjustment;
  AdwActionRow    *estimate_row;
  AdwComboRow     *eval_row;
  AdwActionRow    *holdout_row;
  GtkAdjustment   *holdout_adjustment;
  AdwActionRow    *efficiency_row;
  GtkAdjustment   *efficiency_adjustment;
  AdwActionRow    *reference_row;
  GtkButton       *reference_button;
  GtkButton       *run_button;
  GtkButton       *cancel_button;
  GtkLabel        *status_label;
  GtkProgressBar  *progress_bar;
  GmsLossPlot     *loss_plot;
  GtkBox          *results_box;
  GtkLabel        *summary_label;
  GtkAdjustment   *cell_adjustment;
  GtkLabel        *cell_name_label;
  GtkSearchEntry  *cell_search;
  GmsCompareView  *compare_view;
  GtkLabel        *pearson_label;
  GmsPearsonPlot  *pearson_plot;
  GmsGeneTrace    *gene_trace;

  GSettings       *settings;        /* NULL when the schema is not installed */
  GmsDataset      *dataset;
  GmsImputeResult *result;
  GError          *last_error;
  GListStore      *export_items;
  GCancellable    *cancellable;     /* of the run under way */
  GCancellable    *trace_cancellable;
  char            *reference_path;
  int              batch;           /* no control: 0 = core default */
  double           lr;
  gboolean         running;
  gboolean         gpu_available;
  char            *gpu_reason;
  GmColormap       colormap;
  gint64           run_started;
  gboolean         syncing_device;
  GmErnetPreset    shown_preset;    /* the model the steps were last matched to */
};

G_DEFINE_FINAL_TYPE (GmsImputePage, gms_impute_page, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_RUNNING,
  PROP_RESULT,
  PROP_EXPORT_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* combo row positions ↔ GSettings strings */
static const char * const method_keys[] = { "ernet", "knn", "magic", NULL };
static const GmsImputeMethod method_values[] = { GMS_IMPUTE_METHOD_ERNET, GMS_IMPUTE_METHOD_KNN,
                                                 GMS_IMPUTE_METHOD_MAGIC };
static const char * const model_keys[] = { "compact", "paper", "tiny", NULL };
static const GmErnetPreset model_values[] = { GM_ERNET_COMPACT, GM_ERNET_PAPER, GM_ERNET_TINY };
static const char * const recipe_keys[] = { "neighbours", "tcer", NULL };
static const GmErnetRecipe recipe_values[] = { GM_ERNET_RECIPE_NEIGHBOURS, GM_ERNET_RECIPE_TCER };

static void update_sensitivity (GmsImputePage *self);
static void update_estimate    (GmsImputePage *self);
static void show_cell          (GmsImputePage *self);

/* ------------------------------------------------------------ settings */

static gboolean
get_position_mapping (GValue   *value,
                      GVariant *variant,
                      gpointer  user_data)
{
  const char * const *keys = user_data;
  const char *s = g_variant_get_string (variant, NULL);

  for (guint i = 0; keys[i] != NULL; i++)
    if (strcmp (keys[i], s) == 0)
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
set_position_mapping (const GValue       *value,
                      const GVariantType *expected_type,
                      gpointer            user_data)
{
  const char * const *keys = user_data;
  guint i = g_value_get_uint (value);

  if (i >= g_strv_length ((char **) keys))
    return NULL;
  return g_variant_new_string (keys[i]);
}

static void
on_device_toggled (GtkToggleButton *button,
                   GmsImputePage   *self)
{
  if (self->settings == NULL || self->syncing_device || !gtk_toggle_button_get_active (button))
    return;
  g_settings_set_string (self->settings, "device",
                         button == self->device_cpu ? "cpu" : button == self->device_gpu ? "cuda" : "auto");
}

static void
sync_device (GmsImputePage *self)
{
  g_autofree char *device = self->settings != NULL ? g_settings_get_string (self->settings, "device")
                                                   : g_strdup ("auto");

  /* a stored "cuda" that cannot be had shows as automatic, without
   * overwriting the user's choice */
  self->syncing_device = TRUE;
  if (strcmp (device, "cpu") == 0)
    gtk_toggle_button_set_active (self->device_cpu, TRUE);
  else if (strcmp (device, "cuda") == 0 && self->gpu_available)
    gtk_toggle_button_set_active (self->device_gpu, TRUE);
  else
    gtk_toggle_button_set_active (self->device_auto, TRUE);
  self->syncing_device = FALSE;
}

static void
sync_colormap (GmsImputePage *self)
{
  g_autofree char *name = self->settings != NULL ? g_settings_get_string (self->settings, "colormap") : NULL;

  if (name == NULL || !gm_colormap_parse (name, &self->colormap))
    self->colormap = GM_COLORMAP_VIRIDIS;
  gms_compare_view_set_colormap (self->compare_view, self->colormap);
}

static void
on_settings_changed (GSettings     *settings,
                     const char    *key,
                     GmsImputePage *self)
{
  if (g_strcmp0 (key, "device") == 0)
    sync_device (self);
  else if (g_strcmp0 (key, "colormap") == 0)
    sync_colormap (self);
}

static void
bind_settings (GmsImputePage *self)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE);
  if (schema == NULL)
    return;
  self->settings = g_settings_new (APPLICATION_ID);
  g_settings_bind_with_mapping (self->settings, "impute-method", self->method_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, get_position_mapping, set_position_mapping,
                                (gpointer) method_keys, NULL);
  g_settings_bind_with_mapping (self->settings, "impute-model", self->model_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, get_position_mapping, set_position_mapping,
                                (gpointer) model_keys, NULL);
  g_settings_bind_with_mapping (self->settings, "impute-recipe", self->recipe_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, get_position_mapping, set_position_mapping,
                                (gpointer) recipe_keys, NULL);
  g_settings_bind (self->settings, "impute-steps", self->steps_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "impute-seed", self->seed_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (self->settings, "changed", G_CALLBACK (on_settings_changed), self, 0);
}

/* --------------------------------------------------------- GPU probe */

static void
probe_gpu_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  g_task_return_pointer (task, gm_nn_backend_describe (), g_free);
}

static void
probe_gpu_done (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GmsImputePage *self = GMS_IMPUTE_PAGE (object);
  g_autofree char *text = g_task_propagate_pointer (G_TASK (result), NULL);
  g_auto(GStrv) lines = g_strsplit (text != NULL ? text : "", "\n", -1);
  const char *cuda = NULL, *device = NULL;

  /* gm_nn_backend_describe (): "cuda: available (module …)" and one
   * "  cuda:N: name" line per device, or "cuda: not available: why" */
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "cuda:"))
      cuda = lines[i] + strlen ("cuda:");
    else if (device == NULL && g_str_has_prefix (lines[i], "  cuda:"))
      device = lines[i] + strlen ("  cuda:");
  g_clear_pointer (&self->gpu_reason, g_free);
  self->gpu_available = cuda != NULL && g_str_has_prefix (g_strstrip ((char *) cuda), "available");
  if (cuda == NULL)
    self->gpu_reason = g_strdup (_("This build has no GPU backend"));
  else if (!self->gpu_available)
    {
      /* the UI says why, not where the module lives: drop " (module /path…)" */
      g_autofree char *why = g_strdup (g_strstrip ((char *) cuda));
      char *module = strstr (why, " (module ");

      if (module != NULL)
        *module = '\0';
      self->gpu_reason = g_strdup_printf (_("Graphics card %s"), why);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->device_gpu), self->gpu_available);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->device_gpu), self->gpu_reason);
  if (self->gpu_available)
    {
      g_autofree char *subtitle = g_strdup_printf (_("Graphics card: %s"),
                                                   device != NULL ? g_strstrip ((char *) device) : _("CUDA device 0"));
      adw_action_row_set_subtitle (self->device_row, subtitle);
    }
  else
    adw_action_row_set_subtitle (self->device_row, self->gpu_reason);
  sync_device (self);
}

/* ------------------------------------------------------------- helpers */

static GmsImputeMethod
current_method (GmsImputePage *self)
{
  guint i = adw_combo_row_get_selected (self->method_row);

  return i < G_N_ELEMENTS (method_values) ? method_values[i] : GMS_IMPUTE_METHOD_ERNET;
}

static GmErnetPreset
current_preset (GmsImputePage *self)
{
  guint i = adw_combo_row_get_selected (self->model_row);

  return i < G_N_ELEMENTS (model_values) ? model_values[i] : GM_ERNET_COMPACT;
}

static GmErnetRecipe
current_recipe (GmsImputePage *self)
{
  guint i = adw_combo_row_get_selected (self->recipe_row);

  return i < G_N_ELEMENTS (recipe_values) ? recipe_values[i] : GM_ERNET_RECIPE_NEIGHBOURS;
}

/* the rows of eval_row are in GmsEvalMode order */
static GmsEvalMode
current_eval_mode (GmsImputePage *self)
{
  guint i = adw_combo_row_get_selected (self->eval_row);

  return i <= GMS_EVAL_REFERENCE ? (GmsEvalMode) i : GMS_EVAL_HOLDOUT;
}

void
gms_impute_page_get_params (GmsImputePage   *self,
                            GmsImputeParams *params)
{
  g_return_if_fail (GMS_IS_IMPUTE_PAGE (self));

  gms_impute_params_init (params);
  params->method = current_method (self);
  params->preset = current_preset (self);
  params->recipe = current_recipe (self);
  params->steps = (int) gtk_adjustment_get_value (self->steps_adjustment);
  params->seed = (guint64) gtk_adjustment_get_value (self->seed_adjustment);
  params->device = g_strdup (gtk_toggle_button_get_active (self->device_cpu) ? "cpu"
                             : gtk_toggle_button_get_active (self->device_gpu) ? "cuda" : "auto");
  params->batch = self->batch;
  params->lr = self->lr;
  params->eval_mode = current_eval_mode (self);
  params->holdout_fraction = gtk_adjustment_get_value (self->holdout_adjustment) / 100.0;
  params->sim_efficiency = gtk_adjustment_get_value (self->efficiency_adjustment);
  params->reference_path = g_strdup (self->reference_path);
}

static guint
position_of (const int *values,
             guint      n,
             int        v)
{
  for (guint i = 0; i < n; i++)
    if (values[i] == v)
      return i;
  return 0;
}

void
gms_impute_page_set_params (GmsImputePage         *self,
                            const GmsImputeParams *params)
{
  g_return_if_fail (GMS_IS_IMPUTE_PAGE (self));

  adw_combo_row_set_selected (self->method_row,
                              position_of ((const int *) method_values, G_N_ELEMENTS (method_values), params->method));
  adw_combo_row_set_selected (self->model_row,
                              position_of ((const int *) model_values, G_N_ELEMENTS (model_values), params->preset));
  adw_combo_row_set_selected (self->recipe_row,
                              position_of ((const int *) recipe_values, G_N_ELEMENTS (recipe_values), params->recipe));
  gtk_adjustment_set_value (self->steps_adjustment, params->steps);
  gtk_adjustment_set_value (self->seed_adjustment, (double) params->seed);
  adw_combo_row_set_selected (self->eval_row, params->eval_mode);
  if (params->holdout_fraction > 0)
    gtk_adjustment_set_value (self->holdout_adjustment, params->holdout_fraction * 100.0);
  if (params->sim_efficiency > 0)
    gtk_adjustment_set_value (self->efficiency_adjustment, params->sim_efficiency);
  g_free (self->reference_path);
  self->reference_path = g_strdup (params->reference_path);
  if (self->reference_path != NULL)
    {
      g_autofree char *name = g_path_get_basename (self->reference_path);
      adw_action_row_set_subtitle (self->reference_row, name);
    }
  if (params->device != NULL && strcmp (params->device, "cpu") == 0)
    gtk_toggle_button_set_active (self->device_cpu, TRUE);
  else if (params->device != NULL && g_str_has_prefix (params->device, "cuda") && self->gpu_available)
    gtk_toggle_button_set_active (self->device_gpu, TRUE);
  else
    gtk_toggle_button_set_active (self->device_auto, TRUE);
  self->batch = params->batch;
  self->lr = params->lr;
  update_sensitivity (self);
  update_estimate (self);
}

static char *
format_duration (double seconds)
{
  if (seconds < 1)
    return g_strdup (_("less than a second"));
  if (seconds < 90)
    return g_strdup_printf (_("%.0f s"), seconds);
  if (seconds < 5400)
    return g_strdup_printf (_("%.0f min"), seconds / 60);
  return g_strdup_printf (_("%.1f h"), seconds / 3600);
}

static char *
format_step (double seconds)
{
  if (seconds < 0.1)
    return g_strdup_printf (_("%.1f ms"), seconds * 1000);
  return g_strdup_printf (_("%.2f s"), seconds);
}

static void
update_estimate (GmsImputePage *self)
{
  GmsImputeEstimate est;
  const GmDataset *ds;
  g_autofree char *time = NULL, *bytes = NULL, *text = NULL, *step = NULL;
  GmsImputeMethod method = current_method (self);

  if (self->dataset == NULL || !gms_dataset_is_loaded (self->dataset))
    {
      adw_action_row_set_subtitle (self->estimate_row, _("Open a dataset to see how long a run takes"));
      return;
    }
  ds = gms_dataset_get_data (self->dataset);
  gms_impute_estimate (method, current_preset (self), current_recipe (self), gms_dataset_get_map_rows (self->dataset),
                       gms_dataset_get_map_cols (self->dataset), gm_dataset_n_cells (ds), gm_dataset_n_genes (ds),
                       (int) gtk_adjustment_get_value (self->steps_adjustment), self->batch,
                       current_eval_mode (self) != GMS_EVAL_REFERENCE, &est);
  time = format_duration (est.seconds);
  bytes = g_format_size (est.bytes);
  step = format_step (est.step_seconds);
  /* the table is of the 2-core reference machine (gms-impute-estimate.c) */
  if (method == GMS_IMPUTE_METHOD_ERNET)
    {
      g_autofree char *np = g_strdup_printf ("%'" G_GSIZE_FORMAT, est.n_params);

      /* Translators: the estimate of an ER-Net run; the parameter count is already formatted */
      text = g_strdup_printf (_("Time on a 2-core processor: %s (%s per step, %d × %d maps, %s parameters). Memory: %s"),
                              time, step, est.map_size, est.map_size, np, bytes);
    }
  else
    text = g_strdup_printf (_("Time on a 2-core processor: %s. Memory: %s"), time, bytes);
  adw_action_row_set_subtitle (self->estimate_row, text);
}

static void
update_sensitivity (GmsImputePage *self)
{
  gboolean loaded = self->dataset != NULL && gms_dataset_is_loaded (self->dataset);
  gboolean ernet = current_method (self) == GMS_IMPUTE_METHOD_ERNET;
  gboolean reference = current_eval_mode (self) == GMS_EVAL_REFERENCE;
  gboolean idle = !self->running;

  gtk_widget_set_sensitive (GTK_WIDGET (self->model_row), ernet && idle);
  gtk_widget_set_sensitive (GTK_WIDGET (self->recipe_row), ernet && idle);
  gtk_widget_set_sensitive (GTK_WIDGET (self->steps_row), ernet && idle);
  gtk_widget_set_sensitive (GTK_WIDGET (self->device_row), ernet && idle);
  /* only ER-Net trains; keep the last curve visible while a run is under way */
  gtk_widget_set_visible (GTK_WIDGET (self->loss_plot), ernet || gms_loss_plot_get_n_points (self->loss_plot) > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->method_row), idle);
  gtk_widget_set_sensitive (GTK_WIDGET (self->eval_row), idle);
  gtk_widget_set_visible (GTK_WIDGET (self->holdout_row), current_eval_mode (self) == GMS_EVAL_HOLDOUT);
  gtk_widget_set_visible (GTK_WIDGET (self->efficiency_row), current_eval_mode (self) == GMS_EVAL_SIMULATED);
  gtk_widget_set_visible (GTK_WIDGET (self->reference_row), reference);
  gtk_widget_set_sensitive (GTK_WIDGET (self->run_button),
                            loaded && idle && (!reference || self->reference_path != NULL));
  gtk_widget_set_sensitive (GTK_WIDGET (self->cancel_button),
                            self->running && self->cancellable != NULL && !g_cancellable_is_cancelled (self->cancellable));
}

static void
set_running (GmsImputePage *self,
             gboolean       running)
{
  if (self->running == running)
    return;
  self->running = running;
  update_sensitivity (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

/* ------------------------------------------------------------- exports */

static void
export_cancelled_cb (GCancellable *cancellable,
                     gint         *flag)
{
  g_atomic_int_set (flag, 1);
}

static gboolean
save_imputed (const char              *path,
              const GmsExportOptions  *options,
              gpointer                 data,
              GCancellable            *cancellable,
              GError                 **error)
{
  gint flag = 0;
  gulong id = 0;
  gboolean ok;

  if (cancellable != NULL)
    id = g_cancellable_connect (cancellable, G_CALLBACK (export_cancelled_cb), &flag, NULL);
  ok = gms_impute_result_write_h5ad (data, path, &flag, error);
  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, id);
  return ok;
}

static gboolean
save_pearson (const char              *path,
              const GmsExportOptions  *options,
              gpointer                 data,
              GCancellable            *cancellable,
              GError                 **error)
{
  return gms_impute_result_write_pearson_csv (data, path, error);
}

static gboolean
save_model (const char              *path,
            const GmsExportOptions  *options,
            gpointer                 data,
            GCancellable            *cancellable,
            GError                 **error)
{
  return gm_ernet_checkpoint_save (gms_impute_result_get_model (data), path, error);
}

static char *
base_name (GmsImputePage *self,
           const char    *suffix)
{
  const char *title = gms_dataset_get_title (self->dataset);
  g_autofree char *stem = g_strdup (title != NULL ? title : "dataset");
  g_autofree char *joined = NULL;
  char *dot = strrchr (stem, '.');

  if (dot != NULL && dot != stem)
    *dot = '\0';
  joined = g_strconcat (stem, "-", suffix, NULL);
  return gms_export_safe_basename (joined);
}

static GmsExportItem *
figure_item (GmsImputePage *self,
             gboolean       difference)
{
  const GmDataset *ds = gms_impute_result_get_input (self->result);
  const GmLayout *layout = gms_impute_result_get_layout (self->result);
  gint64 cell = gms_impute_page_get_cell (self);
  gsize n = (gsize) layout->rows * layout->cols;
  g_autofree float *obs = g_new (float, n);
  g_autofree float *imp = g_new (float, n);
  g_autoptr(GmsFigure) figure = NULL;
  g_autofree char *subtitle = NULL, *suffix = NULL, *basename = NULL;
  GmPanel panels[2];
  GmFigure fig;

  gms_impute_result_map_cell (self->result, cell, obs, imp);
  gm_figure_init (&fig);
  fig.n_rows = 1;
  if (difference)
    {
      for (gsize i = 0; i < n; i++)
        imp[i] = isnan (obs[i]) || isnan (imp[i]) ? NAN : imp[i] - obs[i];
      panels[0] = (GmPanel) { imp, layout->rows, layout->cols, ds->cell_names[cell] };
      fig.n_cols = 1;
      fig.colormap = GM_COLORMAP_DIVERGING;
      fig.diverging = TRUE;
      fig.colorbar_label = _("Imputed − observed, log1p (counts per 10 000)");
    }
  else
    {
      panels[0] = (GmPanel) { obs, layout->rows, layout->cols, _("Observed") };
      panels[1] = (GmPanel) { imp, layout->rows, layout->cols, _("Imputed") };
      fig.n_cols = 2;
      fig.colormap = self->colormap;
      fig.colorbar_label = _("log1p (counts per 10 000)");
      fig.title = ds->cell_names[cell];
    }
  fig.panels = panels;
  figure = gms_figure_new (&fig);
  subtitle = g_strdup_printf (_("Cell %s"), ds->cell_names[cell]);
  suffix = g_strdup_printf ("%s-%s", difference ? "difference" : "before-after", ds->cell_names[cell]);
  basename = base_name (self, suffix);
  return gms_export_item_new_figure (difference ? _("Imputation Difference Map") : _("Before and After Maps"),
                                     subtitle, basename, figure);
}

static void
rebuild_export_items (GmsImputePage *self)
{
  static const char * const h5ad[] = { "h5ad", NULL };
  static const char * const csv[] = { "csv", NULL };
  static const char * const ckpt[] = { "gmernet", NULL };
  g_autofree char *b1 = NULL, *b2 = NULL, *b3 = NULL;
  GmsExportItem *items[5];
  guint n = 0;

  if (self->result != NULL && self->dataset != NULL)
    {
      const char *summary = gms_impute_result_get_summary (self->result);

      b1 = base_name (self, "imputed");
      b2 = base_name (self, "pearson");
      b3 = base_name (self, "ernet");
      items[n++] = gms_export_item_new (_("Imputed Dataset"), summary, GMS_EXPORT_MATRIX, h5ad, b1, save_imputed,
                                        g_object_ref (self->result), g_object_unref);
      items[n++] = gms_export_item_new (_("Per-Gene Pearson Table"), summary, GMS_EXPORT_TABLE, csv, b2, save_pearson,
                                        g_object_ref (self->result), g_object_unref);
      if (gms_impute_result_get_model (self->result) != NULL)
        items[n++] = gms_export_item_new (_("Trained ER-Net Model"), summary, GMS_EXPORT_OTHER, ckpt, b3, save_model,
                                          g_object_ref (self->result), g_object_unref);
      items[n++] = figure_item (self, FALSE);
      items[n++] = figure_item (self, TRUE);
    }
  g_list_store_splice (self->export_items, 0, g_list_model_get_n_items (G_LIST_MODEL (self->export_items)),
                       (gpointer *) items, n);
  for (guint i = 0; i < n; i++)
    g_object_unref (items[i]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPORT_ITEMS]);
}

/* ------------------------------------------------------------- results */

static void
update_pearson_label (GmsImputePage *self)
{
  const GmEvalResult *e = gms_impute_result_get_evaluation (self->result);
  const GmHoldoutResult *h = gms_impute_result_get_holdout (self->result);
  g_autoptr(GString) s = g_string_new (NULL);

  switch (gms_impute_result_get_eval_mode (self->result))
    {
    case GMS_EVAL_HOLDOUT:
      g_string_append (s, _("Reference: the observed values; before: with the hidden values removed; "
                            "after: imputed from that. "));
      break;
    case GMS_EVAL_SIMULATED:
      g_string_append (s, _("Reference: the loaded data; before: simulated observations of it; "
                            "after: imputed from those. "));
      break;
    case GMS_EVAL_REFERENCE:
    default:
      g_string_append (s, _("Reference: the chosen file; before: the observed values; after: imputed. "));
      break;
    }
  if (e->has_before)
    g_string_append_printf (s, _("Median r before %.3f, after %.3f; improved in %d of %d genes. "),
                            e->before.median, e->after.median, (int) e->n_improved, (int) e->n_compared);
  else
    g_string_append_printf (s, _("Median r after %.3f. "), e->after.median);
  g_string_append_printf (s, _("Undefined r (a constant gene): %d before, %d after."),
                          (int) e->before.n_undefined, (int) e->after.n_undefined);
  if (h != NULL)
    g_string_append_printf (s, _("\nOver the %d hidden values only: r = %.3f, per-gene median %.3f "
                                 "(%d genes with at least 3 hidden values, %d of them undefined)."),
                            (int) MIN (h->n_hidden, G_MAXINT), h->overall_r, h->summary.median, (int) h->n_scored,
                            (int) h->summary.n_undefined);
  gtk_label_set_text (self->pearson_label, s->str);
}

static void
set_result (GmsImputePage   *self,
            GmsImputeResult *result)
{
  if (!g_set_object (&self->result, result))
    return;

  gms_gene_trace_clear (self->gene_trace);
  gms_compare_view_clear (self->compare_view);
  if (result == NULL)
    {
      gms_pearson_plot_clear (self->pearson_plot);
      gtk_widget_set_visible (GTK_WIDGET (self->results_box), FALSE);
    }
  else
    {
      const GmEvalResult *e = gms_impute_result_get_evaluation (result);
      const GmDataset *ds = gms_impute_result_get_input (result);
      const char *notice = gms_impute_result_get_device_notice (result);
      g_autofree char *summary = notice != NULL ? g_strdup_printf ("%s (%s)", gms_impute_result_get_summary (result),
                                                                   notice)
                                                : g_strdup (gms_impute_result_get_summary (result));

      gtk_label_set_text (self->summary_label, summary);
      gtk_adjustment_set_upper (self->cell_adjustment, MAX (gm_dataset_n_cells (ds) - 1, 0));
      gms_pearson_plot_set_data (self->pearson_plot, e->has_before ? e->r_before : NULL, e->r_after,
                                 (const char * const *) e->gene_names, e->n_genes);
      update_pearson_label (self);
      show_cell (self);
      gtk_widget_set_visible (GTK_WIDGET (self->results_box), TRUE);
    }
  rebuild_export_items (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESULT]);
}

static void
show_cell (GmsImputePage *self)
{
  const GmLayout *layout;
  const GmDataset *ds;
  gint64 cell;
  gsize n;
  g_autofree float *obs = NULL, *imp = NULL;
  g_autofree const char **names = NULL;
  int row, col;

  if (self->result == NULL)
    return;
  layout = gms_impute_result_get_layout (self->result);
  ds = gms_impute_result_get_input (self->result);
  cell = gms_impute_page_get_cell (self);
  n = (gsize) layout->rows * layout->cols;
  obs = g_new (float, n);
  imp = g_new (float, n);
  gms_impute_result_map_cell (self->result, cell, obs, imp);
  gms_compare_view_set_maps (self->compare_view, obs, imp, layout->rows, layout->cols);
  names = g_new0 (const char *, n + 1);
  for (int i = 0; i < layout->n_genes; i++)
    {
      int p = layout->pixel[i];
      names[(p % layout->rows) * layout->cols + p / layout->rows] = layout->genes[i];
    }
  gms_compare_view_set_pixel_names (self->compare_view, names);
  gtk_label_set_text (self->cell_name_label, ds->cell_names[cell]);
  if (gms_impute_result_gene_pixel (self->result, gms_pearson_plot_get_selected_gene (self->pearson_plot), &row, &col))
    gms_compare_view_set_highlight (self->compare_view, row, col);
}

gint64
gms_impute_page_find_cell (GmsImputePage *self,
                           const char    *text)
{
  const GmDataset *ds;
  g_autofree char *needle = NULL;
  gint64 n;

  g_return_val_if_fail (GMS_IS_IMPUTE_PAGE (self), -1);
  if (self->result == NULL || text == NULL || text[0] == '\0')
    return -1;
  ds = gms_impute_result_get_input (self->result);
  n = gm_dataset_n_cells (ds);
  for (gint64 i = 0; i < n; i++)
    if (strcmp (ds->cell_names[i], text) == 0)
      return i;
  needle = g_utf8_casefold (text, -1);
  for (gint64 i = 0; i < n; i++)
    {
      g_autofree char *name = g_utf8_casefold (ds->cell_names[i], -1);
      if (strstr (name, needle) != NULL)
        return i;
    }
  return -1;
}

static void
on_cell_search (GtkSearchEntry *entry,
                GmsImputePage  *self)
{
  gint64 cell = gms_impute_page_find_cell (self, gtk_editable_get_text (GTK_EDITABLE (entry)));

  if (cell >= 0)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
      gms_impute_page_set_cell (self, cell);
    }
  else
    gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
}

static void
on_cell_changed (GtkAdjustment *adjustment,
                 GmsImputePage *self)
{
  show_cell (self);
  if (self->result != NULL)
    rebuild_export_items (self);
}

/* the selected gene's trace is computed off the main thread: it reads
 * whole columns of up to three matrices */
typedef struct
{
  gint64  gene;
  double *reference, *observed, *imputed;
  int64_t n;
} Trace;

static void
trace_free (gpointer data)
{
  Trace *t = data;

  g_free (t->reference);
  g_free (t->observed);
  g_free (t->imputed);
  g_free (t);
}

static void
trace_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  GmsImputeResult *result = task_data;
  Trace *t = g_new0 (Trace, 1);

  t->gene = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (task), "gene"));
  if (!gms_impute_result_gene_trace (result, t->gene, &t->reference, &t->observed, &t->imputed, &t->n))
    {
      trace_free (t);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s", _("The gene has no values"));
      return;
    }
  g_task_return_pointer (task, t, trace_free);
}

static void
trace_done (GObject      *object,
            GAsyncResult *res,
            gpointer      user_data)
{
  GmsImputePage *self = GMS_IMPUTE_PAGE (object);
  GmsImputeResult *result = g_task_get_task_data (G_TASK (res));
  g_autoptr(GError) error = NULL;
  Trace *t = g_task_propagate_pointer (G_TASK (res), &error);
  const GmEvalResult *e;

  if (t == NULL || result != self->result)
    {
      if (t != NULL)
        trace_free (t);
      return;
    }
  e = gms_impute_result_get_evaluation (result);
  gms_gene_trace_set_data (self->gene_trace, e->gene_names[t->gene], t->reference, t->observed, t->imputed, t->n,
                           e->has_before ? e->r_before[t->gene] : NAN, e->r_after[t->gene]);
  trace_free (t);
}

static void
on_selected_gene (GmsPearsonPlot *plot,
                  GParamSpec     *pspec,
                  GmsImputePage  *self)
{
  gint64 gene = gms_pearson_plot_get_selected_gene (plot);
  g_autoptr(GTask) task = NULL;
  int row = -1, col = -1;

  if (self->result == NULL)
    return;
  if (!gms_impute_result_gene_pixel (self->result, gene, &row, &col))
    row = col = -1;
  gms_compare_view_set_highlight (self->compare_view, row, col);
  g_cancellable_cancel (self->trace_cancellable);
  g_clear_object (&self->trace_cancellable);
  if (gene < 0)
    {
      gms_gene_trace_clear (self->gene_trace);
      return;
    }
  self->trace_cancellable = g_cancellable_new ();
  task = g_task_new (self, self->trace_cancellable, trace_done, NULL);
  g_task_set_source_tag (task, on_selected_gene);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_set_task_data (task, g_object_ref (self->result), g_object_unref);
  g_object_set_data (G_OBJECT (task), "gene", GSIZE_TO_POINTER ((gsize) gene));
  g_task_run_in_thread (task, trace_thread);
}

/* --------------------------------------------------------------- a run */

static void
notify_user (GmsImputePage *self,
             const char    *title,
             const char    *body)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GApplication *app = g_application_get_default ();

  if (GTK_IS_WINDOW (root) && gtk_window_is_active (GTK_WINDOW (root)))
    {
      g_autofree char *text = body != NULL ? g_strdup_printf ("%s: %s", title, body) : g_strdup (title);
      gtk_widget_activate_action (GTK_WIDGET (self), "win.show-toast", "s", text);
    }
  else if (app != NULL && g_application_get_is_registered (app))
    {
      g_autoptr(GNotification) n = g_notification_new (title);

      /* clicking it activates the application (the default action) */
      if (body != NULL)
        g_notification_set_body (n, body);
      g_application_send_notification (app, "imputation-finished", n);
    }
}

static void
on_progress (const double *losses,
             guint         n_losses,
             int           first_step,
             int           steps,
             const char   *stage,
             double        fraction,
             double        eta_seconds,
             gpointer      user_data)
{
  GmsImputePage *self = user_data;
  g_autoptr(GString) s = g_string_new (stage);

  if (n_losses > 0)
    gms_loss_plot_append (self->loss_plot, first_step, losses, n_losses);
  if (gms_loss_plot_get_n_points (self->loss_plot) > 0 && fraction < 0.9 && fraction >= 0)
    {
      g_string_append_printf (s, _(" — step %u of %d, loss %.4g"), gms_loss_plot_get_n_points (self->loss_plot), steps,
                              gms_loss_plot_get_last (self->loss_plot));
      if (eta_seconds >= 0)
        {
          g_autofree char *eta = format_duration (eta_seconds);
          g_string_append_printf (s, _(", about %s left"), eta);
        }
    }
  if (self->cancellable != NULL && g_cancellable_is_cancelled (self->cancellable))
    g_string_assign (s, _("Cancelling…"));
  gtk_label_set_text (self->status_label, s->str);
  if (fraction >= 0)
    gtk_progress_bar_set_fraction (self->progress_bar, fraction);
  else
    gtk_progress_bar_pulse (self->progress_bar);
}

static void
run_done (GObject      *object,
          GAsyncResult *res,
          gpointer      user_data)
{
  GmsImputePage *self = GMS_IMPUTE_PAGE (object);
  g_autoptr(GmsImputeResult) result = NULL;
  g_autoptr(GError) error = NULL;
  double seconds = (g_get_monotonic_time () - self->run_started) / 1e6;

  result = gms_impute_run_finish (res, &error);
  g_clear_object (&self->cancellable);
  /* the dataset changed while the run finished: its result does not apply */
  if (result != NULL && (self->dataset == NULL
                         || gms_impute_result_get_input (result) != gms_dataset_get_data (self->dataset)))
    {
      g_clear_object (&result);
      g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Imputation cancelled"));
    }
  g_clear_error (&self->last_error);
  if (result != NULL)
    {
      g_autofree char *body = g_strdup_printf (_("%s. Median r %.3f (after) against %.3f (before)"),
                                               gms_impute_result_get_summary (result),
                                               gms_impute_result_get_evaluation (result)->after.median,
                                               gms_impute_result_get_evaluation (result)->before.median);
      gtk_progress_bar_set_fraction (self->progress_bar, 1.0);
      gtk_label_set_text (self->status_label, gms_impute_result_get_summary (result));
      set_result (self, result);
      notify_user (self, _("Imputation finished"), body);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *text = g_strdup_printf (_("Cancelled after %.1f s; nothing was changed"), seconds);
      gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
      gtk_label_set_text (self->status_label, text);
      self->last_error = g_steal_pointer (&error);
    }
  else
    {
      gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
      gtk_label_set_text (self->status_label, error->message);
      notify_user (self, _("Imputation failed"), error->message);
      self->last_error = g_steal_pointer (&error);
    }
  set_running (self, FALSE);
}

gboolean
gms_impute_page_run (GmsImputePage *self)
{
  GmsImputeParams params;

  g_return_val_if_fail (GMS_IS_IMPUTE_PAGE (self), FALSE);

  if (self->running || self->dataset == NULL || !gms_dataset_is_loaded (self->dataset))
    return FALSE;
  gms_impute_page_get_params (self, &params);
  if (params.eval_mode == GMS_EVAL_REFERENCE && params.reference_path == NULL)
    {
      gms_impute_params_clear (&params);
      return FALSE;
    }
  self->cancellable = g_cancellable_new ();
  self->run_started = g_get_monotonic_time ();
  gms_loss_plot_clear (self->loss_plot);
  gms_loss_plot_set_n_steps (self->loss_plot, params.method == GMS_IMPUTE_METHOD_ERNET ? params.steps : 0);
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_label_set_text (self->status_label, _("Starting…"));
  set_running (self, TRUE);
  gms_impute_run_async (self, &params, G_OBJECT (self->dataset), gms_dataset_get_data (self->dataset),
                        gms_dataset_get_layout (self->dataset), on_progress, self, self->cancellable, run_done,
                        NULL);
  gms_impute_params_clear (&params);
  return TRUE;
}

void
gms_impute_page_cancel (GmsImputePage *self)
{
  g_return_if_fail (GMS_IS_IMPUTE_PAGE (self));

  if (self->cancellable == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  gtk_label_set_text (self->status_label, _("Cancelling…"));
  update_sensitivity (self);
}

static void
on_run_clicked (GmsImputePage *self)
{
  gms_impute_page_run (self);
}

static void
on_cancel_clicked (GmsImputePage *self)
{
  gms_impute_page_cancel (self);
}

static void
on_reference_response (GtkNativeDialog *dialog,
                       int              response,
                       GmsImputePage   *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);

      if (path != NULL)
        {
          g_autofree char *name = g_file_get_basename (file);

          g_free (self->reference_path);
          self->reference_path = g_steal_pointer (&path);
          adw_action_row_set_subtitle (self->reference_row, name);
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  update_sensitivity (self);
}

static void
on_reference_clicked (GmsImputePage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  dialog = gtk_file_chooser_native_new (_("Choose the Reference"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("Single-cell datasets"));
  for (const char * const *p = (const char * const[]) { "*.h5ad", "*.h5", "*.loom", "*.csv", "*.tsv", "*.csv.gz",
                                                        "*.tsv.gz", "*.mtx", "*.mtx.gz", NULL }; *p != NULL; p++)
    gtk_file_filter_add_pattern (filter, *p);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_reference_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* A new model brings its recipe's steps (gm_ernet_recipe_steps), unless
 * the steps had been changed from the previous model's recipe. */
static void
on_model_changed (GmsImputePage *self)
{
  GmErnetPreset preset = current_preset (self);
  int steps = (int) gtk_adjustment_get_value (self->steps_adjustment);

  if (preset == self->shown_preset)
    return;
  if (steps == gm_ernet_recipe_steps (self->shown_preset))
    gtk_adjustment_set_value (self->steps_adjustment, gm_ernet_recipe_steps (preset));
  self->shown_preset = preset;
}

static void
on_controls_changed (GmsImputePage *self)
{
  update_sensitivity (self);
  update_estimate (self);
}

/* -------------------------------------------------------------- public */

GtkWidget *
gms_impute_page_new (void)
{
  return g_object_new (GMS_TYPE_IMPUTE_PAGE, NULL);
}

static void
show_ready (GmsImputePage *self)
{
  g_autofree char *size = NULL, *text = NULL;

  if (self->dataset == NULL)
    text = g_strdup (_("Open a dataset to impute it"));
  else if (!gms_dataset_is_loaded (self->dataset))
    text = g_strdup (_("The dataset is loading…"));
  else
    {
      size = gms_dataset_dup_size_text (self->dataset);
      text = g_strdup_printf (_("Ready to impute %s (%s)"), gms_dataset_get_title (self->dataset), size);
    }
  gtk_label_set_text (self->status_label, text);
  update_sensitivity (self);
  update_estimate (self);
}

static void
on_dataset_loaded (GmsImputePage *self)
{
  if (!self->running)
    show_ready (self);
}

void
gms_impute_page_set_dataset (GmsImputePage *self,
                             GmsDataset    *dataset)
{
  g_return_if_fail (GMS_IS_IMPUTE_PAGE (self));
  g_return_if_fail (dataset == NULL || GMS_IS_DATASET (dataset));

  if (self->dataset == dataset)
    return;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->dataset != NULL)
    g_signal_handlers_disconnect_by_func (self->dataset, on_dataset_loaded, self);
  g_set_object (&self->dataset, dataset);
  if (dataset != NULL)
    g_signal_connect_object (dataset, "notify::loaded", G_CALLBACK (on_dataset_loaded), self, G_CONNECT_SWAPPED);
  set_result (self, NULL);
  gms_loss_plot_clear (self->loss_plot);
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_adjustment_set_value (self->cell_adjustment, 0);
  show_ready (self);
}

GmsDataset *
gms_impute_page_get_dataset (GmsImputePage *self)
{
  g_return_val_if_fail (GMS_IS_IMPUTE_PAGE (self), NULL);
  return self->dataset;
}

gboolean
gms_impute_page_get_running (GmsImputePage *self)
{
  g_return_val_if_fail (GMS_IS_IMPUTE_PAGE (self), FALSE);
  return self->running;
}

GmsImputeResult *
gms_impute_page_get_result (GmsImputePage *self)
{
  g_return_val_if_fail (GMS_IS_IMPUTE_PAGE (self), NULL);
  return self->result;
}

const GError *
gms_impute_page_get_last_error (GmsImputePage *self)
{
  g_return_val_if_fail (GMS_IS_IMPUTE_PAGE (self), NULL);
  return self->last_error;
}

GListModel *
gms_impute_page_get_export_items (GmsImputePage *self)
{
  g_return_val_if_fail (GMS_IS_IMPUTE_PAGE (self), NULL);
  return G_LIST_MODEL (self->export_items);
}

void
gms_impute_page_set_cell (GmsImputePage *self,
                          gint64         cell)
{
  g_return_if_fail (GMS_IS_IMPUTE_PAGE (self));
  gtk_adjustment_set_value (self->cell_adjustment, (double) cell);
}

gint64
gms_impute_page_get_cell (GmsImputePage *self)
{
  g_return_val_if_fail (GMS_IS_IMPUTE_PAGE (self), 0);
  return (gint64) gtk_adjustment_get_value (self->cell_adjustment);
}

gboolean
gms_impute_page_set_result (GmsImputePage   *self,
                            GmsImputeResult *result)
{
  g_return_val_if_fail (GMS_IS_IMPUTE_PAGE (self), FALSE);
  g_return_val_if_fail (result == NULL || GMS_IS_IMPUTE_RESULT (result), FALSE);

  if (self->running)
    return FALSE;
  if (result != NULL && (self->dataset == NULL || !gms_dataset_is_loaded (self->dataset) ||
                         gms_impute_result_get_input (result) != gms_dataset_get_data (self->dataset)))
    return FALSE;
  set_result (self, result);
  if (result != NULL)
    {
      gtk_progress_bar_set_fraction (self->progress_bar, 1.0);
      gtk_label_set_text (self->status_label, gms_impute_result_get_summary (result));
    }
  return TRUE;
}

gint64
gms_impute_page_get_selected_gene (GmsImputePage *self)
{
  g_return_val_if_fail (GMS_IS_IMPUTE_PAGE (self), -1);
  return gms_pearson_plot_get_selected_gene (self->pearson_plot);
}

void
gms_impute_page_select_gene (GmsImputePage *self,
                             gint64         gene)
{
  g_return_if_fail (GMS_IS_IMPUTE_PAGE (self));
  gms_pearson_plot_set_selected_gene (self->pearson_plot, gene);
}

/* --------------------------------------------------------------- class */

static void
gms_impute_page_unroot (GtkWidget *widget)
{
  GmsImputePage *self = GMS_IMPUTE_PAGE (widget);

  /* out of its window, nobody can see or cancel the run: stop it */
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  GTK_WIDGET_CLASS (gms_impute_page_parent_class)->unroot (widget);
}

static void
gms_impute_page_dispose (GObject *object)
{
  GmsImputePage *self = GMS_IMPUTE_PAGE (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->trace_cancellable != NULL)
    g_cancellable_cancel (self->trace_cancellable);
  g_clear_object (&self->trace_cancellable);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), GMS_TYPE_IMPUTE_PAGE);
  /* the template's top-level child is not bound to a field */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (gms_impute_page_parent_class)->dispose (object);
}

static void
gms_impute_page_finalize (GObject *object)
{
  GmsImputePage *self = GMS_IMPUTE_PAGE (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->result);
  g_clear_object (&self->dataset);
  g_clear_object (&self->export_items);
  g_clear_error (&self->last_error);
  g_free (self->reference_path);
  g_free (self->gpu_reason);
  G_OBJECT_CLASS (gms_impute_page_parent_class)->finalize (object);
}

static void
gms_impute_page_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  GmsImputePage *self = GMS_IMPUTE_PAGE (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    case PROP_RESULT:
      g_value_set_object (value, self->result);
      break;
    case PROP_EXPORT_ITEMS:
      g_value_set_object (value, self->export_items);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gms_impute_page_class_init (GmsImputePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gms_impute_page_dispose;
  object_class->finalize = gms_impute_page_finalize;
  object_class->get_property = gms_impute_page_get_property;
  widget_class->unroot = gms_impute_page_unroot;

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_RESULT] =
    g_param_spec_object ("result", NULL, NULL, GMS_TYPE_IMPUTE_RESULT, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_EXPORT_ITEMS] =
    g_param_spec_object ("export-items", NULL, NULL, G_TYPE_LIST_MODEL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* the resource object of a static library is linked only when referenced */
  if (!g_resources_get_info ("/org/genomap/Studio/impute/gms-impute-page.ui", G_RESOURCE_LOOKUP_FLAGS_NONE, NULL,
                             NULL, NULL))
    g_resources_register (gms_impute_get_resource ());

  g_type_ensure (GMS_TYPE_LOSS_PLOT);
  g_type_ensure (GMS_TYPE_COMPARE_VIEW);
  g_type_ensure (GMS_TYPE_PEARSON_PLOT);
  g_type_ensure (GMS_TYPE_GENE_TRACE);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/genomap/Studio/impute/gms-impute-page.ui");
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, method_row);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, model_row);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, recipe_row);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, device_row);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, device_auto);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, device_cpu);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, device_gpu);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, steps_row);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, steps_adjustment);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, seed_adjustment);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, estimate_row);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, eval_row);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, holdout_row);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, holdout_adjustment);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, efficiency_row);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, efficiency_adjustment);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, reference_row);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, reference_button);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, run_button);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, status_label);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, loss_plot);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, results_box);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, summary_label);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, cell_adjustment);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, cell_name_label);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, cell_search);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, compare_view);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, pearson_label);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, pearson_plot);
  gtk_widget_class_bind_template_child (widget_class, GmsImputePage, gene_trace);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "gms-impute-page");
}

static void
gms_impute_page_init (GmsImputePage *self)
{
  g_autoptr(GTask) probe = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->export_items = g_list_store_new (GMS_TYPE_EXPORT_ITEM);
  self->colormap = GM_COLORMAP_VIRIDIS;

  g_signal_connect_swapped (self->run_button, "clicked", G_CALLBACK (on_run_clicked), self);
  g_signal_connect_swapped (self->cancel_button, "clicked", G_CALLBACK (on_cancel_clicked), self);
  g_signal_connect_swapped (self->reference_button, "clicked", G_CALLBACK (on_reference_clicked), self);
  g_signal_connect_swapped (self->method_row, "notify::selected", G_CALLBACK (on_controls_changed), self);
  self->shown_preset = current_preset (self);
  g_signal_connect_swapped (self->model_row, "notify::selected", G_CALLBACK (on_model_changed), self);
  g_signal_connect_swapped (self->model_row, "notify::selected", G_CALLBACK (on_controls_changed), self);
  g_signal_connect_swapped (self->recipe_row, "notify::selected", G_CALLBACK (on_controls_changed), self);
  g_signal_connect_swapped (self->eval_row, "notify::selected", G_CALLBACK (on_controls_changed), self);
  g_signal_connect_swapped (self->steps_adjustment, "value-changed", G_CALLBACK (on_controls_changed), self);
  g_signal_connect_swapped (self->holdout_adjustment, "value-changed", G_CALLBACK (on_controls_changed), self);
  g_signal_connect_swapped (self->efficiency_adjustment, "value-changed", G_CALLBACK (on_controls_changed), self);
  g_signal_connect (self->cell_adjustment, "value-changed", G_CALLBACK (on_cell_changed), self);
  g_signal_connect (self->cell_search, "activate", G_CALLBACK (on_cell_search), self);
  g_signal_connect (self->pearson_plot, "notify::selected-gene", G_CALLBACK (on_selected_gene), self);
  g_signal_connect (self->device_auto, "toggled", G_CALLBACK (on_device_toggled), self);
  g_signal_connect (self->device_cpu, "toggled", G_CALLBACK (on_device_toggled), self);
  g_signal_connect (self->device_gpu, "toggled", G_CALLBACK (on_device_toggled), self);

  bind_settings (self);
  sync_device (self);
  sync_colormap (self);

  probe = g_task_new (self, NULL, probe_gpu_done, NULL);
  g_task_set_source_tag (probe, probe_gpu_thread);
  g_task_run_in_thread (probe, probe_gpu_thread);

  update_sensitivity (self);
  update_estimate (self);
}
