/* gms-overview-page.c — what is in a dataset
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "gms-overview-page.h"

struct _GmsOverviewPage
{
  AdwBin                parent_instance;
  AdwPreferencesGroup  *dataset_group;
  AdwPreferencesGroup  *map_group;
  AdwPreferencesGroup  *obs_group;
  AdwPreferencesGroup  *notes_group;
  GPtrArray            *rows;   /* (group, row) pairs added, to remove on the next dataset */
};

G_DEFINE_FINAL_TYPE (GmsOverviewPage, gms_overview_page, ADW_TYPE_BIN)

static void add_subtitle_row (GmsOverviewPage *self, AdwPreferencesGroup *group,
                              const char *title, const char *subtitle);

static void
add_row (GmsOverviewPage     *self,
         AdwPreferencesGroup *group,
         const char          *title,
         const char          *value)
{
  GtkWidget *row, *label;

  /* long values (paths, formats) read better under the title */
  if (g_utf8_strlen (value, -1) > 24)
    {
      add_subtitle_row (self, group, title, value);
      return;
    }
  row = adw_action_row_new ();
  label = gtk_label_new (value);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 1);
  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_add_css_class (label, "numeric");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  adw_preferences_group_add (group, row);
  g_ptr_array_add (self->rows, group);
  g_ptr_array_add (self->rows, row);
}

static void
add_subtitle_row (GmsOverviewPage     *self,
                  AdwPreferencesGroup *group,
                  const char          *title,
                  const char          *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_preferences_group_add (group, row);
  g_ptr_array_add (self->rows, group);
  g_ptr_array_add (self->rows, row);
}

static char *
format_count (double v)
{
  if (v == floor (v) && fabs (v) < 1e15)
    return g_strdup_printf ("%'" G_GINT64_FORMAT, (gint64) v);
  return g_strdup_printf ("%'.2f", v);
}

static char *
describe_column (const GmColumn *col)
{
  switch (col->kind)
    {
    case GM_COLUMN_CATEGORICAL:
      return g_strdup_printf (ngettext ("categorical, %d category", "categorical, %d categories",
                                        col->n_categories), col->n_categories);
    case GM_COLUMN_NUMERIC:
      {
        double lo = INFINITY, hi = -INFINITY;
        for (int64_t i = 0; i < col->length; i++)
          if (!isnan (col->values[i]))
            {
              lo = MIN (lo, col->values[i]);
              hi = MAX (hi, col->values[i]);
            }
        if (lo > hi)
          return g_strdup (_("numeric, all missing"));
        /* Translators: a numeric column: integer or float, then its range */
        return g_strdup_printf (_("numeric (%s), %.6g … %.6g"),
                                col->is_integer ? _("integer") : _("float"), lo, hi);
      }
    case GM_COLUMN_BOOLEAN:
      return g_strdup (_("boolean"));
    case GM_COLUMN_STRING:
    default:
      return g_strdup (_("text"));
    }
}

void
gms_overview_page_set_dataset (GmsOverviewPage *self,
                               GmsDataset      *dataset)
{
  const GmDataset *ds;
  const GmsDatasetStats *st;
  const GmLayout *layout;
  g_autofree char *path = NULL;
  g_autofree char *s = NULL;

  g_return_if_fail (GMS_IS_OVERVIEW_PAGE (self));
  g_return_if_fail (GMS_IS_DATASET (dataset) && gms_dataset_is_loaded (dataset));

  for (guint i = 0; i + 1 < self->rows->len; i += 2)
    adw_preferences_group_remove (g_ptr_array_index (self->rows, i), g_ptr_array_index (self->rows, i + 1));
  g_ptr_array_set_size (self->rows, 0);

  ds = gms_dataset_get_data (dataset);
  st = gms_dataset_get_stats (dataset);
  layout = gms_dataset_get_layout (dataset);

  path = g_file_get_path (gms_dataset_get_file (dataset));
  add_row (self, self->dataset_group, _("File"), path ? path : gms_dataset_get_title (dataset));
  s = g_strdup_printf ("%s%s%s%s", gm_format_name (ds->format), ds->format_detail ? " (" : "",
                       ds->format_detail ? ds->format_detail : "", ds->format_detail ? ")" : "");
  add_row (self, self->dataset_group, _("Format"), s);
  g_clear_pointer (&s, g_free);
  s = format_count ((double) gm_dataset_n_cells (ds));
  add_row (self, self->dataset_group, _("Cells"), s);
  g_clear_pointer (&s, g_free);
  s = format_count ((double) gm_dataset_n_genes (ds));
  add_row (self, self->dataset_group, _("Genes"), s);
  g_clear_pointer (&s, g_free);
  s = g_strdup_printf ("%'" G_GINT64_FORMAT " (%.2f %%)", st->nnz,
                       100.0 * st->nnz / MAX (1.0, (double) gm_dataset_n_cells (ds) * gm_dataset_n_genes (ds)));
  add_row (self, self->dataset_group, _("Non-zero Entries"), s);
  g_clear_pointer (&s, g_free);
  s = format_count (st->total_counts);
  add_row (self, self->dataset_group, st->integer_counts ? _("Total Counts") : _("Total of Values"), s);
  g_clear_pointer (&s, g_free);
  s = format_count (st->median_genes_per_cell);
  add_row (self, self->dataset_group, _("Median Genes per Cell"), s);
  g_clear_pointer (&s, g_free);
  s = format_count (round (st->median_counts_per_cell * 100) / 100);
  add_row (self, self->dataset_group, st->integer_counts ? _("Median Counts per Cell") : _("Median Total per Cell"), s);
  g_clear_pointer (&s, g_free);
  add_row (self, self->dataset_group, _("Values"), st->integer_counts ? _("integer counts") : _("not integer counts (already normalised?)"));

  s = g_strdup_printf (_("%d × %d"), layout->rows, layout->cols);
  add_row (self, self->map_group, _("Grid"), s);
  g_clear_pointer (&s, g_free);
  s = g_strdup_printf ("%'d", layout->n_genes);
  add_row (self, self->map_group, _("Genes Placed"), s);
  g_clear_pointer (&s, g_free);
  add_row (self, self->map_group, _("Layout"),
           gms_dataset_get_layout_was_saved (dataset) ? _("saved in the file")
                                                       : _("computed when opened"));
  add_row (self, self->map_group, _("Geometry"), gm_grid_geometry_name (layout->geometry));
  if (layout->selection != NULL)
    add_row (self, self->map_group, _("Gene Selection"), layout->selection);

  for (guint i = 0; i < ds->obs->len; i++)
    {
      const GmColumn *col = g_ptr_array_index (ds->obs, i);
      g_autofree char *desc = describe_column (col);
      add_subtitle_row (self, self->obs_group, col->name, desc);
    }
  if (ds->obs->len == 0)
    add_subtitle_row (self, self->obs_group, _("None"), _("The file has no cell annotations"));
  gtk_widget_set_visible (GTK_WIDGET (self->notes_group), ds->notes != NULL && ds->notes->len > 0);
  if (ds->notes != NULL)
    for (guint i = 0; i < ds->notes->len; i++)
      add_subtitle_row (self, self->notes_group, g_ptr_array_index (ds->notes, i), "");
}

static void
gms_overview_page_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), GMS_TYPE_OVERVIEW_PAGE);
  G_OBJECT_CLASS (gms_overview_page_parent_class)->dispose (object);
}

static void
gms_overview_page_finalize (GObject *object)
{
  g_ptr_array_unref (GMS_OVERVIEW_PAGE (object)->rows);
  G_OBJECT_CLASS (gms_overview_page_parent_class)->finalize (object);
}

static void
gms_overview_page_class_init (GmsOverviewPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gms_overview_page_dispose;
  object_class->finalize = gms_overview_page_finalize;
  gtk_widget_class_set_template_from_resource (widget_class, "/org/genomap/Studio/ui/gms-overview-page.ui");
  gtk_widget_class_bind_template_child (widget_class, GmsOverviewPage, dataset_group);
  gtk_widget_class_bind_template_child (widget_class, GmsOverviewPage, map_group);
  gtk_widget_class_bind_template_child (widget_class, GmsOverviewPage, obs_group);
  gtk_widget_class_bind_template_child (widget_class, GmsOverviewPage, notes_group);
}

static void
gms_overview_page_init (GmsOverviewPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->rows = g_ptr_array_new ();
}

GtkWidget *
gms_overview_page_new (void)
{
  return g_object_new (GMS_TYPE_OVERVIEW_PAGE, NULL);
}
