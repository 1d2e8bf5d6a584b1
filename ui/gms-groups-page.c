/* gms-groups-page.c — mean GenoMaps per group and the difference of two groups
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "gm-io.h"
#include "gms-export-item.h"
#include "gms-figure-view.h"
#include "gms-groups-page.h"

#define N_TOP_GENES 20
#define MAX_PANEL_COLUMNS 6

struct _GmsGroupsPage
{
  AdwBin          parent_instance;

  GtkDropDown    *column_dropdown;
  GtkSpinner     *spinner;
  GtkLabel       *status_label;
  GtkStack       *stack;
  GmsFigureView  *means_view;
  GtkDropDown    *a_dropdown;
  GtkDropDown    *b_dropdown;
  GmsFigureView  *diff_view;
  GtkListBox     *genes_list;

  GSettings      *settings;
  GmsDataset     *dataset;
  GPtrArray      *columns;        /* categorical obs column names */
  GCancellable   *cancellable;
  gboolean        updating;

  /* results for the current column */
  GmColumn       *column;         /* borrowed from the dataset */
  GmTransform     transform;
  int             P;
  float          *means;          /* n_categories × P */
  gint64         *counts;         /* n_categories */
  GmsFigure      *means_figure;
  GmsFigure      *diff_figure;
  char           *diff_table;     /* TSV of all genes by |Δ| */
  int             pair_a, pair_b;
};

G_DEFINE_FINAL_TYPE (GmsGroupsPage, gms_groups_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_EXPORT_ITEMS,
  N_PROPS
};

enum {
  GENE_ACTIVATED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ------------------------------------------------------------ computing means */

typedef struct
{
  GmsDataset *dataset;
  GmColumn   *column;
  GmTransform transform;
  int         P;
  float      *means;
  gint64     *counts;
} MeansJob;

static void
means_job_free (gpointer data)
{
  MeansJob *job = data;

  g_clear_object (&job->dataset);
  g_free (job->means);
  g_free (job->counts);
  g_free (job);
}

static void
means_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  MeansJob *job = task_data;
  int K = job->column->n_categories;
  gint64 n_cells = job->column->length;
  g_autofree double *acc = g_new0 (double, (gsize) K * job->P);
  g_autofree float *img = g_new (float, job->P);

  /* one pass over the cells: the same sums as genomap-cli render --mean-by */
  job->counts = g_new0 (gint64, MAX (K, 1));
  for (gint64 i = 0; i < n_cells; i++)
    {
      int k = job->column->codes[i];
      double *a;

      if (k < 0 || k >= K)
        continue;
      if ((i & 1023) == 0 && g_cancellable_is_cancelled (cancellable))
        {
          g_task_return_error_if_cancelled (task);
          return;
        }
      gms_dataset_map_cell (job->dataset, job->transform, i, img);
      a = acc + (gsize) k * job->P;
      for (int p = 0; p < job->P; p++)
        a[p] += img[p];
      job->counts[k]++;
    }
  job->means = g_new (float, (gsize) MAX (K, 1) * job->P);
  for (int k = 0; k < K; k++)
    for (int p = 0; p < job->P; p++)
      job->means[(gsize) k * job->P + p] = job->counts[k] > 0 ? (float) (acc[(gsize) k * job->P + p] / job->counts[k])
                                                              : NAN;
  g_task_return_boolean (task, TRUE);
}

static GmColormap
settings_colormap (GmsGroupsPage *self)
{
  g_autofree char *name = g_settings_get_string (self->settings, "colormap");
  GmColormap cmap;

  if (!gm_colormap_parse (name, &cmap))
    cmap = GM_COLORMAP_VIRIDIS;
  return cmap;
}

static void
build_means_figure (GmsGroupsPage *self)
{
  int K = self->column->n_categories, used = 0;
  g_autofree GmPanel *panels = g_new0 (GmPanel, MAX (K, 1) + MAX_PANEL_COLUMNS);
  g_autoptr(GPtrArray) titles = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *title = NULL;
  int rows = gms_dataset_get_map_rows (self->dataset), cols = gms_dataset_get_map_cols (self->dataset);
  double clip = CLAMP (g_settings_get_double (self->settings, "clip-quantile"), 0.5, 1.0);
  GmFigure fig;

  for (int k = 0; k < K; k++)
    {
      char *t;
      if (self->counts[k] == 0)
        continue;
      t = g_strdup_printf ("%s (n = %" G_GINT64_FORMAT ")", self->column->categories[k], self->counts[k]);
      g_ptr_array_add (titles, t);
      panels[used++] = (GmPanel) { self->means + (gsize) k * self->P, rows, cols, t };
    }
  gm_figure_init (&fig);
  fig.n_cols = MAX (1, MIN (used, MAX_PANEL_COLUMNS));
  fig.n_rows = MAX (1, (used + fig.n_cols - 1) / fig.n_cols);
  fig.panels = panels;
  fig.colormap = settings_colormap (self);
  fig.clip_low = 1.0 - clip;
  fig.clip_high = clip;
  title = g_strdup_printf (_("Mean GenoMap by %s"), self->column->name);
  fig.title = title;
  fig.colorbar_label = gms_transform_label (self->transform);
  g_clear_pointer (&self->means_figure, gms_figure_unref);
  self->means_figure = gms_figure_new (&fig);
  gms_figure_view_set_figure (self->means_view, self->means_figure,
                              gms_dataset_get_pixel_genes (self->dataset));
}

static void
clear_genes_list (GmsGroupsPage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->genes_list))) != NULL)
    gtk_list_box_remove (self->genes_list, child);
}

static int
compare_abs_desc (gconstpointer a,
                  gconstpointer b,
                  gpointer      data)
{
  const float *diff = data;
  float x = diff[*(const int *) a], y = diff[*(const int *) b];

  if (isnan (x) != isnan (y))
    return isnan (x) ? 1 : -1;
  if (fabsf (x) != fabsf (y))
    return fabsf (x) > fabsf (y) ? -1 : 1;
  return *(const int *) a - *(const int *) b;
}

static void
build_diff (GmsGroupsPage *self)
{
  int a = self->pair_a, b = self->pair_b;
  int rows, cols;
  const char * const *genes;
  g_autofree float *diff = NULL;
  g_autofree int *order = NULL;
  g_autofree char *title = NULL;
  g_autoptr(GString) table = NULL;
  GmPanel panel;
  GmFigure fig;
  double clip;
  int n = 0;

  clear_genes_list (self);
  g_clear_pointer (&self->diff_figure, gms_figure_unref);
  g_clear_pointer (&self->diff_table, g_free);
  if (self->means == NULL || a < 0 || b < 0 || a == b ||
      self->counts[a] == 0 || self->counts[b] == 0)
    {
      gms_figure_view_set_figure (self->diff_view, NULL, NULL);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPORT_ITEMS]);
      return;
    }

  rows = gms_dataset_get_map_rows (self->dataset);
  cols = gms_dataset_get_map_cols (self->dataset);
  genes = gms_dataset_get_pixel_genes (self->dataset);
  diff = g_new (float, self->P);
  for (int p = 0; p < self->P; p++)
    diff[p] = self->means[(gsize) a * self->P + p] - self->means[(gsize) b * self->P + p];

  title = g_strdup_printf ("%s − %s", self->column->categories[a], self->column->categories[b]);
  panel = (GmPanel) { diff, rows, cols, title };
  clip = CLAMP (g_settings_get_double (self->settings, "clip-quantile"), 0.5, 1.0);
  gm_figure_init (&fig);
  fig.n_rows = fig.n_cols = 1;
  fig.panels = &panel;
  fig.colormap = GM_COLORMAP_DIVERGING;
  fig.diverging = TRUE;
  fig.clip_low = 1.0 - clip;
  fig.clip_high = clip;
  fig.colorbar_label = self->transform == GM_TRANSFORM_LOG1P_CP10K ? _("Δ mean log1p(CP10k)") : _("Δ mean");
  self->diff_figure = gms_figure_new (&fig);
  gms_figure_view_set_figure (self->diff_view, self->diff_figure, genes);

  /* genes by |Δ|, largest first */
  order = g_new (int, self->P);
  for (int p = 0; p < self->P; p++)
    if (genes[p] != NULL && !isnan (diff[p]))
      order[n++] = p;
  g_qsort_with_data (order, n, sizeof (int), compare_abs_desc, diff);

  table = g_string_new (NULL);
  g_string_append_printf (table, "gene\trow\tcol\tmean %s\tmean %s\tdifference\n",
                          self->column->categories[a], self->column->categories[b]);
  for (int i = 0; i < n; i++)
    {
      int p = order[i];
      char va[G_ASCII_DTOSTR_BUF_SIZE], vb[G_ASCII_DTOSTR_BUF_SIZE], vd[G_ASCII_DTOSTR_BUF_SIZE];
      g_ascii_formatd (va, sizeof va, "%.6g", self->means[(gsize) a * self->P + p]);
      g_ascii_formatd (vb, sizeof vb, "%.6g", self->means[(gsize) b * self->P + p]);
      g_ascii_formatd (vd, sizeof vd, "%.6g", diff[p]);
      g_string_append_printf (table, "%s\t%d\t%d\t%s\t%s\t%s\n", genes[p], p / cols, p % cols, va, vb, vd);

      if (i < N_TOP_GENES)
        {
          GtkWidget *row = adw_action_row_new ();
          GtkWidget *value = gtk_label_new (NULL);
          g_autofree char *text = g_strdup_printf ("%+.3f", diff[p]);
          g_autofree char *where = g_strdup_printf (_("row %d, column %d"), p / cols, p % cols);

          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), genes[p]);
          adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), where);
          gtk_label_set_label (GTK_LABEL (value), text);
          gtk_widget_add_css_class (value, "numeric");
          gtk_widget_add_css_class (value, diff[p] >= 0 ? "gms-up" : "gms-down");
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), value);
          gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
          gtk_widget_set_tooltip_text (row, _("Show this gene in the cell view"));
          g_object_set_data_full (G_OBJECT (row), "gms-gene", g_strdup (genes[p]), g_free);
          gtk_list_box_append (self->genes_list, row);
        }
    }
  self->diff_table = g_string_free (g_steal_pointer (&table), FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPORT_ITEMS]);
}

static void
fill_pair_dropdowns (GmsGroupsPage *self)
{
  g_autoptr(GtkStringList) list = gtk_string_list_new (NULL);
  int K = self->column->n_categories;

  for (int k = 0; k < K; k++)
    gtk_string_list_append (list, self->column->categories[k]);
  self->updating = TRUE;
  gtk_drop_down_set_model (self->a_dropdown, G_LIST_MODEL (list));
  gtk_drop_down_set_model (self->b_dropdown, G_LIST_MODEL (list));
  /* the two largest groups by default */
  {
    int first = -1, second = -1;
    for (int k = 0; k < K; k++)
      {
        if (first < 0 || self->counts[k] > self->counts[first])
          {
            second = first;
            first = k;
          }
        else if (second < 0 || self->counts[k] > self->counts[second])
          second = k;
      }
    self->pair_a = MIN (first, second);
    self->pair_b = MAX (first, second);
    if (first >= 0)
      gtk_drop_down_set_selected (self->a_dropdown, self->pair_a >= 0 ? (guint) self->pair_a : 0);
    if (second >= 0)
      gtk_drop_down_set_selected (self->b_dropdown, (guint) self->pair_b);
  }
  self->updating = FALSE;
}

static void
means_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GmsGroupsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  MeansJob *job = g_task_get_task_data (G_TASK (result));

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        gtk_label_set_label (self->status_label, error->message);
      return;
    }
  if (job->column != self->column || job->dataset != self->dataset)
    return;
  gtk_spinner_stop (self->spinner);
  g_clear_object (&self->cancellable);
  g_free (self->means);
  g_free (self->counts);
  self->means = g_steal_pointer (&job->means);
  self->counts = g_steal_pointer (&job->counts);
  {
    g_autofree char *text = g_strdup_printf (ngettext ("%d group on one shared scale", "%d groups on one shared scale",
                                                       self->column->n_categories), self->column->n_categories);
    gtk_label_set_label (self->status_label, text);
  }
  build_means_figure (self);
  fill_pair_dropdowns (self);
  build_diff (self);
}

static void
start_means (GmsGroupsPage *self)
{
  g_autoptr(GTask) task = NULL;
  MeansJob *job;
  g_autofree char *transform = NULL;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->means, g_free);
  g_clear_pointer (&self->counts, g_free);
  g_clear_pointer (&self->means_figure, gms_figure_unref);
  gms_figure_view_set_figure (self->means_view, NULL, NULL);
  self->pair_a = self->pair_b = -1;
  build_diff (self);
  if (self->column == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "none");
      gtk_spinner_stop (self->spinner);
      gtk_label_set_label (self->status_label, "");
      return;
    }
  gtk_stack_set_visible_child_name (self->stack, "groups");

  transform = g_settings_get_string (self->settings, "value-transform");
  if (!gm_transform_parse (transform, &self->transform))
    self->transform = GM_TRANSFORM_LOG1P_CP10K;
  self->P = gms_dataset_get_map_rows (self->dataset) * gms_dataset_get_map_cols (self->dataset);

  job = g_new0 (MeansJob, 1);
  job->dataset = g_object_ref (self->dataset);
  job->column = self->column;
  job->transform = self->transform;
  job->P = self->P;
  self->cancellable = g_cancellable_new ();
  task = g_task_new (NULL, self->cancellable, means_done_cb, g_object_ref (self));
  g_task_set_source_tag (task, start_means);
  g_task_set_task_data (task, job, means_job_free);
  gtk_spinner_start (self->spinner);
  gtk_label_set_label (self->status_label, _("Computing group means…"));
  gms_task_run_in_background (task, means_thread);
}

/* ------------------------------------------------------------ callbacks */

static void
column_changed_cb (GmsGroupsPage *self)
{
  guint i;

  if (self->dataset == NULL || self->updating)
    return;
  i = gtk_drop_down_get_selected (self->column_dropdown);
  self->column = i < self->columns->len
    ? gm_dataset_find_obs (gms_dataset_get_data (self->dataset), g_ptr_array_index (self->columns, i))
    : NULL;
  start_means (self);
}

static void
pair_changed_cb (GmsGroupsPage *self)
{
  if (self->updating || self->means == NULL)
    return;
  self->pair_a = (int) gtk_drop_down_get_selected (self->a_dropdown);
  self->pair_b = (int) gtk_drop_down_get_selected (self->b_dropdown);
  build_diff (self);
}

static void
gene_row_activated_cb (GmsGroupsPage *self,
                       GtkListBoxRow *row)
{
  const char *gene = g_object_get_data (G_OBJECT (row), "gms-gene");

  if (gene != NULL)
    g_signal_emit (self, signals[GENE_ACTIVATED], 0, gene);
}

static void
settings_changed_cb (GmsGroupsPage *self,
                     const char    *key)
{
  if (self->dataset == NULL || self->column == NULL)
    return;
  if (g_strcmp0 (key, "value-transform") == 0)
    start_means (self);
  else if (self->means != NULL)
    {
      build_means_figure (self);
      build_diff (self);
    }
}

/* ------------------------------------------------------------ export */

static gboolean
save_table (const char              *path,
            const GmsExportOptions  *options,
            gpointer                 data,
            GCancellable            *cancellable,
            GError                 **error)
{
  g_autofree char *text = NULL;

  if (g_str_has_suffix (path, ".csv"))
    {
      g_auto(GStrv) parts = g_strsplit (data, "\t", -1);
      text = g_strjoinv (",", parts);
    }
  return gm_output_write_text (path, text ? text : data, -1, error);
}

static GListModel *
dup_export_items (GmsGroupsPage *self)
{
  GListStore *store = g_list_store_new (GMS_TYPE_EXPORT_ITEM);

  if (self->means_figure != NULL)
    {
      g_autofree char *subtitle = g_strdup_printf (_("One panel per %s group, one shared scale"), self->column->name);
      g_autofree char *base = g_strdup_printf ("genomap-means-%s", self->column->name);
      g_autoptr(GmsExportItem) item = gms_export_item_new_figure (_("Group Means"), subtitle, base,
                                                                  self->means_figure);
      g_list_store_append (store, item);
    }
  if (self->diff_figure != NULL)
    {
      const GmFigure *fig = gms_figure_get (self->diff_figure);
      g_autofree char *base = g_strdup_printf ("genomap-diff-%s", fig->panels[0].title);
      g_autoptr(GmsExportItem) item = gms_export_item_new_figure (_("Group Difference"), fig->panels[0].title,
                                                                  base, self->diff_figure);
      g_list_store_append (store, item);
    }
  if (self->diff_table != NULL)
    {
      static const char * const extensions[] = { "tsv", "csv", NULL };
      const GmFigure *fig = gms_figure_get (self->diff_figure);
      g_autofree char *base = g_strdup_printf ("genes-diff-%s", fig->panels[0].title);
      g_autoptr(GmsExportItem) item =
        gms_export_item_new (_("Genes by Difference"), fig->panels[0].title, GMS_EXPORT_TABLE, extensions, base,
                             save_table, g_strdup (self->diff_table), g_free);
      g_list_store_append (store, item);
    }
  return G_LIST_MODEL (store);
}

/* ------------------------------------------------------------ GObject */

static void
gms_groups_page_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  GmsGroupsPage *self = GMS_GROUPS_PAGE (object);

  switch (prop_id)
    {
    case PROP_EXPORT_ITEMS:
      g_value_take_object (value, dup_export_items (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gms_groups_page_dispose (GObject *object)
{
  GmsGroupsPage *self = GMS_GROUPS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), GMS_TYPE_GROUPS_PAGE);
  g_clear_object (&self->settings);
  g_clear_object (&self->dataset);
  G_OBJECT_CLASS (gms_groups_page_parent_class)->dispose (object);
}

static void
gms_groups_page_finalize (GObject *object)
{
  GmsGroupsPage *self = GMS_GROUPS_PAGE (object);

  g_clear_pointer (&self->columns, g_ptr_array_unref);
  g_free (self->means);
  g_free (self->counts);
  g_clear_pointer (&self->means_figure, gms_figure_unref);
  g_clear_pointer (&self->diff_figure, gms_figure_unref);
  g_free (self->diff_table);
  G_OBJECT_CLASS (gms_groups_page_parent_class)->finalize (object);
}

static void
gms_groups_page_class_init (GmsGroupsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gms_groups_page_dispose;
  object_class->finalize = gms_groups_page_finalize;
  object_class->get_property = gms_groups_page_get_property;

  properties[PROP_EXPORT_ITEMS] =
    g_param_spec_object ("export-items", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[GENE_ACTIVATED] =
    g_signal_new ("gene-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (GMS_TYPE_FIGURE_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/genomap/Studio/ui/gms-groups-page.ui");
  gtk_widget_class_bind_template_child (widget_class, GmsGroupsPage, column_dropdown);
  gtk_widget_class_bind_template_child (widget_class, GmsGroupsPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, GmsGroupsPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, GmsGroupsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, GmsGroupsPage, means_view);
  gtk_widget_class_bind_template_child (widget_class, GmsGroupsPage, a_dropdown);
  gtk_widget_class_bind_template_child (widget_class, GmsGroupsPage, b_dropdown);
  gtk_widget_class_bind_template_child (widget_class, GmsGroupsPage, diff_view);
  gtk_widget_class_bind_template_child (widget_class, GmsGroupsPage, genes_list);
  gtk_widget_class_bind_template_callback (widget_class, column_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, pair_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, gene_row_activated_cb);
}

static void
gms_groups_page_init (GmsGroupsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new (APPLICATION_ID);
  self->columns = g_ptr_array_new_with_free_func (g_free);
  self->pair_a = self->pair_b = -1;
  g_signal_connect_swapped (self->settings, "changed::colormap", G_CALLBACK (settings_changed_cb), self);
  g_signal_connect_swapped (self->settings, "changed::value-transform", G_CALLBACK (settings_changed_cb), self);
  g_signal_connect_swapped (self->settings, "changed::clip-quantile", G_CALLBACK (settings_changed_cb), self);
}

GtkWidget *
gms_groups_page_new (void)
{
  return g_object_new (GMS_TYPE_GROUPS_PAGE, NULL);
}

void
gms_groups_page_set_dataset (GmsGroupsPage *self,
                             GmsDataset    *dataset)
{
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  const GmDataset *ds;
  guint selected = 0;
  gboolean chosen = FALSE;

  g_return_if_fail (GMS_IS_GROUPS_PAGE (self));
  g_return_if_fail (GMS_IS_DATASET (dataset) && gms_dataset_is_loaded (dataset));

  g_set_object (&self->dataset, dataset);
  ds = gms_dataset_get_data (dataset);
  g_ptr_array_set_size (self->columns, 0);
  for (guint i = 0; i < ds->obs->len; i++)
    {
      GmColumn *col = g_ptr_array_index (ds->obs, i);
      if (col->kind != GM_COLUMN_CATEGORICAL || col->n_categories < 1)
        continue;
      if (!chosen && col->n_categories >= 2 && col->n_categories <= 50)
        {
          selected = self->columns->len;
          chosen = TRUE;
        }
      g_ptr_array_add (self->columns, g_strdup (col->name));
      gtk_string_list_append (names, col->name);
    }
  self->updating = TRUE;
  gtk_drop_down_set_model (self->column_dropdown, G_LIST_MODEL (names));
  gtk_drop_down_set_selected (self->column_dropdown, selected);
  gtk_widget_set_sensitive (GTK_WIDGET (self->column_dropdown), self->columns->len > 0);
  self->updating = FALSE;
  column_changed_cb (self);
}

void
gms_groups_page_set_groups (GmsGroupsPage *self,
                            const char    *column,
                            const char    *a,
                            const char    *b)
{
  g_return_if_fail (GMS_IS_GROUPS_PAGE (self));

  if (column != NULL)
    for (guint i = 0; i < self->columns->len; i++)
      if (g_strcmp0 (g_ptr_array_index (self->columns, i), column) == 0)
        gtk_drop_down_set_selected (self->column_dropdown, i);
  if (self->column == NULL || self->means == NULL)
    return;
  for (int k = 0; k < self->column->n_categories; k++)
    {
      if (a != NULL && g_strcmp0 (self->column->categories[k], a) == 0)
        gtk_drop_down_set_selected (self->a_dropdown, k);
      if (b != NULL && g_strcmp0 (self->column->categories[k], b) == 0)
        gtk_drop_down_set_selected (self->b_dropdown, k);
    }
}

gboolean
gms_groups_page_is_busy (GmsGroupsPage *self)
{
  g_return_val_if_fail (GMS_IS_GROUPS_PAGE (self), FALSE);
  return self->cancellable != NULL;
}
