/* gms-cell-browser.c — a virtualised grid of cell thumbnails beside the GenoMap view
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "gms-cell-browser.h"
#include "gms-cell-list.h"
#include "gms-colorbar.h"
#include "gms-crisp-texture.h"
#include "gms-export-item.h"
#include "gms-figure.h"

#define N_GENE_MATCHES 12

struct _GmsCellBrowser
{
  AdwBin               parent_instance;

  /* template children */
  GtkSearchEntry      *cell_search;
  GtkDropDown         *group_dropdown;
  GtkDropDown         *category_dropdown;
  GtkGridView         *grid;
  GtkLabel            *count_label;
  GtkLabel            *cell_label;
  GtkSearchEntry      *gene_search;
  GtkDropDown         *colormap_dropdown;
  GtkDropDown         *transform_dropdown;
  GmsGenomapView      *view;
  GmsColorbar         *colorbar;
  GtkLabel            *hover_label;

  /* owned */
  GSettings           *settings;
  GmsDataset          *dataset;
  GmsCellList         *cells;
  GtkSingleSelection  *selection;
  GHashTable          *bound;          /* cell → GmsCell shown by the grid */
  GPtrArray           *group_columns;  /* names of categorical obs columns */
  GtkWidget           *gene_popover;
  GtkWidget           *gene_list;
  gulong               thumb_ready_id;
  gulong               thumbs_changed_id;
  gint64               current;
  float               *values;          /* current cell's image */
  double               lo, hi;
  gboolean             updating_groups;
};

G_DEFINE_FINAL_TYPE (GmsCellBrowser, gms_cell_browser, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_EXPORT_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The colormaps offered, in the order of the drop-down. */
static const GmColormap colormaps[] = {
  GM_COLORMAP_VIRIDIS, GM_COLORMAP_MAGMA, GM_COLORMAP_INFERNO, GM_COLORMAP_CIVIDIS, GM_COLORMAP_GREY,
  GM_COLORMAP_DIVERGING,
};

static GmColormap
current_colormap (GmsCellBrowser *self)
{
  guint i = gtk_drop_down_get_selected (self->colormap_dropdown);
  return i < G_N_ELEMENTS (colormaps) ? colormaps[i] : GM_COLORMAP_VIRIDIS;
}

static GmTransform
current_transform (GmsCellBrowser *self)
{
  guint i = gtk_drop_down_get_selected (self->transform_dropdown);
  return i <= GM_TRANSFORM_MINMAX ? (GmTransform) i : GM_TRANSFORM_LOG1P_CP10K;
}

/* ------------------------------------------------------------ settings mappings */

static gboolean
colormap_get_mapping (GValue   *value,
                      GVariant *variant,
                      gpointer  user_data)
{
  GmColormap cmap;

  if (!gm_colormap_parse (g_variant_get_string (variant, NULL), &cmap))
    cmap = GM_COLORMAP_VIRIDIS;
  for (guint i = 0; i < G_N_ELEMENTS (colormaps); i++)
    if (colormaps[i] == cmap)
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  g_value_set_uint (value, 0);
  return TRUE;
}

static GVariant *
colormap_set_mapping (const GValue       *value,
                      const GVariantType *expected_type,
                      gpointer            user_data)
{
  guint i = g_value_get_uint (value);
  return g_variant_new_string (gm_colormap_name (i < G_N_ELEMENTS (colormaps) ? colormaps[i]
                                                                               : GM_COLORMAP_VIRIDIS));
}

static gboolean
transform_get_mapping (GValue   *value,
                       GVariant *variant,
                       gpointer  user_data)
{
  GmTransform t;

  if (!gm_transform_parse (g_variant_get_string (variant, NULL), &t))
    t = GM_TRANSFORM_LOG1P_CP10K;
  g_value_set_uint (value, t);
  return TRUE;
}

static GVariant *
transform_set_mapping (const GValue       *value,
                       const GVariantType *expected_type,
                       gpointer            user_data)
{
  guint i = g_value_get_uint (value);
  return g_variant_new_string (gm_transform_name (i <= GM_TRANSFORM_MINMAX ? (GmTransform) i
                                                                             : GM_TRANSFORM_LOG1P_CP10K));
}

/* ------------------------------------------------------------ the view */

static void
update_view (GmsCellBrowser *self)
{
  const GmDataset *ds;
  GmTransform transform = current_transform (self);
  GmColormap cmap = current_colormap (self);
  double clip = g_settings_get_double (self->settings, "clip-quantile");
  int rows, cols;
  const char *group = NULL;
  g_autofree char *title = NULL;

  if (self->dataset == NULL)
    return;
  gms_dataset_set_thumbnail_style (self->dataset, transform, cmap, clip);
  if (self->current < 0)
    {
      gms_genomap_view_set_values (self->view, NULL, NULL);
      gtk_label_set_label (self->cell_label, _("No cell selected"));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPORT_ITEMS]);
      return;
    }
  ds = gms_dataset_get_data (self->dataset);
  rows = gms_dataset_get_map_rows (self->dataset);
  cols = gms_dataset_get_map_cols (self->dataset);
  self->values = g_renew (float, self->values, (gsize) rows * cols);
  gms_dataset_map_cell (self->dataset, transform, self->current, self->values);
  gms_image_get_scale (self->values, rows * cols, clip, cmap == GM_COLORMAP_DIVERGING, &self->lo, &self->hi);

  gms_genomap_view_set_colormap (self->view, cmap);
  gms_genomap_view_set_range (self->view, self->lo, self->hi);
  gms_genomap_view_set_values (self->view, self->values, ds->cell_names[self->current]);
  gms_colorbar_set_scale (self->colorbar, cmap, self->lo, self->hi, gms_transform_label (transform));

  {
    GmsCell *item = gms_cell_list_peek_item (self->cells, self->current);
    group = item ? gms_cell_get_group (item) : NULL;
  }
  title = group ? g_strdup_printf ("%s — %s", ds->cell_names[self->current], group)
                : g_strdup (ds->cell_names[self->current]);
  gtk_label_set_label (self->cell_label, title);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPORT_ITEMS]);
}

static void
selection_changed_cb (GmsCellBrowser *self)
{
  guint pos = gtk_single_selection_get_selected (self->selection);
  gint64 cell = pos == GTK_INVALID_LIST_POSITION ? -1 : gms_cell_list_get_cell (self->cells, pos);

  if (cell == self->current)
    return;
  self->current = cell;
  update_view (self);
}

static void
style_changed_cb (GmsCellBrowser *self)
{
  update_view (self);
}

static void
hover_changed_cb (GmsCellBrowser *self)
{
  const char *text = gms_genomap_view_get_hover_text (self->view);
  gtk_label_set_label (self->hover_label, text ? text : "");
}

/* ------------------------------------------------------------ thumbnails in the grid */

static void
setup_item_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               GmsCellBrowser           *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *picture = gtk_picture_new ();
  GtkWidget *label = gtk_label_new (NULL);

  gtk_widget_set_size_request (picture, 96, 96);
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_picture_set_content_fit (GTK_PICTURE (picture), GTK_CONTENT_FIT_CONTAIN);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 12);
  gtk_widget_add_css_class (label, "caption");
  gtk_widget_set_margin_top (box, 4);
  gtk_widget_set_margin_bottom (box, 4);
  gtk_box_append (GTK_BOX (box), picture);
  gtk_box_append (GTK_BOX (box), label);
  gtk_list_item_set_child (list_item, box);
}

/* cell "thumbnail" → picture "paintable": on a HiDPI screen, upscaled to device pixels by
 * nearest neighbour, which GTK 4.8 would otherwise blur (gms-crisp-texture.h) */
static gboolean
thumbnail_to_paintable (GBinding     *binding,
                        const GValue *from,
                        GValue       *to,
                        gpointer      picture)
{
  GdkTexture *texture = g_value_get_object (from);

  g_value_take_object (to, texture ? gms_crisp_texture_new (texture, gtk_widget_get_scale_factor (picture)) : NULL);
  return TRUE;
}

static void
bind_item_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              GmsCellBrowser           *self)
{
  GmsCell *cell = gtk_list_item_get_item (list_item);
  GtkWidget *box = gtk_list_item_get_child (list_item);
  GtkWidget *picture = gtk_widget_get_first_child (box);
  GtkWidget *label = gtk_widget_get_next_sibling (picture);
  g_autoptr(GdkTexture) texture = NULL;
  gint64 index = gms_cell_get_index (cell);
  GBinding *binding;

  gtk_label_set_label (GTK_LABEL (label), gms_cell_get_name (cell));
  gtk_widget_set_tooltip_text (box, gms_cell_get_group (cell) ? gms_cell_get_group (cell)
                                                              : gms_cell_get_name (cell));
  binding = g_object_bind_property_full (cell, "thumbnail", picture, "paintable", G_BINDING_SYNC_CREATE,
                                         thumbnail_to_paintable, NULL, picture, NULL);
  g_object_set_data (G_OBJECT (list_item), "gms-binding", binding);
  g_hash_table_insert (self->bound, g_memdup2 (&index, sizeof index), cell);

  texture = gms_dataset_get_thumbnail (self->dataset, index);
  gms_cell_set_thumbnail (cell, texture);
}

static void
unbind_item_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *list_item,
                GmsCellBrowser           *self)
{
  GmsCell *cell = gtk_list_item_get_item (list_item);
  GBinding *binding = g_object_steal_data (G_OBJECT (list_item), "gms-binding");
  gint64 index = gms_cell_get_index (cell);

  if (binding != NULL)
    g_binding_unbind (binding);
  g_hash_table_remove (self->bound, &index);
  if (self->dataset != NULL)
    gms_dataset_forget_thumbnail (self->dataset, index);
  /* the cache keeps recent thumbnails; items off screen hold none */
  gms_cell_set_thumbnail (cell, NULL);
}

static void
thumbnail_ready_cb (GmsDataset     *dataset,
                    gint64          cell,
                    GdkTexture     *texture,
                    GmsCellBrowser *self)
{
  GmsCell *item = g_hash_table_lookup (self->bound, &cell);

  if (item != NULL)
    gms_cell_set_thumbnail (item, texture);
}

static void
thumbnails_changed_cb (GmsDataset     *dataset,
                       GmsCellBrowser *self)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->bound);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autoptr(GdkTexture) texture = gms_dataset_get_thumbnail (dataset, *(gint64 *) key);
      if (texture != NULL)
        gms_cell_set_thumbnail (value, texture);
    }
}

/* ------------------------------------------------------------ grouping, filtering */

static void
update_count (GmsCellBrowser *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->cells));
  gint64 total = gm_dataset_n_cells (gms_dataset_get_data (self->dataset));
  g_autofree char *text = NULL;

  if (n == total)
    text = g_strdup_printf (ngettext ("%'u cell", "%'u cells", n), n);
  else
    {
      g_autofree char *ns = g_strdup_printf ("%'u", n);
      g_autofree char *ts = g_strdup_printf ("%'" G_GINT64_FORMAT, total);

      /* Translators: "12 of 60 cells"; both numbers are already formatted */
      text = g_strdup_printf (ngettext ("%s of %s cell", "%s of %s cells", (gulong) total), ns, ts);
    }
  gtk_label_set_label (self->count_label, text);
}

static void
reselect (GmsCellBrowser *self)
{
  guint pos = self->current >= 0 ? gms_cell_list_find (self->cells, self->current) : G_MAXUINT;

  if (pos == G_MAXUINT && g_list_model_get_n_items (G_LIST_MODEL (self->cells)) > 0)
    pos = 0;
  if (pos != G_MAXUINT)
    {
      gtk_single_selection_set_selected (self->selection, pos);
      gtk_widget_activate_action (GTK_WIDGET (self->grid), "list.scroll-to-item", "u", pos);
    }
  selection_changed_cb (self);
  update_count (self);
}

static void
category_changed_cb (GmsCellBrowser *self)
{
  guint i;

  if (self->cells == NULL || self->updating_groups)
    return;
  i = gtk_drop_down_get_selected (self->category_dropdown);
  gms_cell_list_set_category (self->cells, i == 0 || i == GTK_INVALID_LIST_POSITION ? -1 : (int) i - 1);
  reselect (self);
}

/* Groups the list by @column (NULL: none) and fills the category drop-down. */
static void
apply_group (GmsCellBrowser *self,
             const char     *column)
{
  g_autoptr(GtkStringList) categories = gtk_string_list_new (NULL);
  GmColumn *col = NULL;

  gms_cell_list_set_group_column (self->cells, column);
  gtk_string_list_append (categories, _("All Groups"));
  if (column != NULL)
    col = gm_dataset_find_obs (gms_dataset_get_data (self->dataset), column);
  if (col != NULL)
    {
      g_autofree int64_t *counts = NULL;
      int64_t missing = 0;
      counts = gm_column_category_counts (col, &missing);
      for (int k = 0; k < col->n_categories; k++)
        {
          g_autofree char *label = g_strdup_printf ("%s (%'" G_GINT64_FORMAT ")", col->categories[k], counts[k]);
          gtk_string_list_append (categories, label);
        }
    }
  self->updating_groups = TRUE;
  gtk_drop_down_set_model (self->category_dropdown, G_LIST_MODEL (categories));
  gtk_drop_down_set_selected (self->category_dropdown, 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->category_dropdown), col != NULL);
  self->updating_groups = FALSE;
}

static void
group_changed_cb (GmsCellBrowser *self)
{
  guint i;
  const char *column = NULL;

  if (self->cells == NULL || self->updating_groups)
    return;
  i = gtk_drop_down_get_selected (self->group_dropdown);
  if (i > 0 && i <= self->group_columns->len)
    column = g_ptr_array_index (self->group_columns, i - 1);
  apply_group (self, column);
  reselect (self);
}

static void
cell_search_changed_cb (GmsCellBrowser *self)
{
  if (self->cells == NULL)
    return;
  gms_cell_list_set_search (self->cells, gtk_editable_get_text (GTK_EDITABLE (self->cell_search)));
  reselect (self);
}

/* ------------------------------------------------------------ gene search */

static void
gene_row_activated_cb (GtkListBox     *box,
                       GtkListBoxRow  *row,
                       GmsCellBrowser *self)
{
  const char *gene = g_object_get_data (G_OBJECT (row), "gms-gene");

  gtk_popover_popdown (GTK_POPOVER (self->gene_popover));
  gms_cell_browser_highlight_gene (self, gene);
}

static void
gene_search_changed_cb (GmsCellBrowser *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->gene_search));
  const GmLayout *layout;
  g_autofree char *needle = NULL;
  GtkWidget *child;
  int shown = 0;

  while ((child = gtk_widget_get_first_child (self->gene_list)) != NULL)
    gtk_list_box_remove (GTK_LIST_BOX (self->gene_list), child);
  if (self->dataset == NULL || text == NULL || *text == '\0')
    {
      gtk_popover_popdown (GTK_POPOVER (self->gene_popover));
      gms_genomap_view_highlight_gene (self->view, NULL);
      return;
    }
  layout = gms_dataset_get_layout (self->dataset);
  needle = g_utf8_casefold (text, -1);
  /* prefix matches first, then the rest */
  for (int pass = 0; pass < 2 && shown < N_GENE_MATCHES; pass++)
    for (int g = 0; g < layout->n_genes && shown < N_GENE_MATCHES; g++)
      {
        g_autofree char *folded = g_utf8_casefold (layout->genes[g], -1);
        const char *hit = strstr (folded, needle);
        GtkWidget *row, *label;

        if (hit == NULL || (pass == 0) != (hit == folded))
          continue;
        if (gms_dataset_find_gene_pixel (self->dataset, layout->genes[g]) < 0)
          continue;
        label = gtk_label_new (layout->genes[g]);
        gtk_label_set_xalign (GTK_LABEL (label), 0);
        row = gtk_list_box_row_new ();
        gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), label);
        g_object_set_data_full (G_OBJECT (row), "gms-gene", g_strdup (layout->genes[g]), g_free);
        gtk_list_box_append (GTK_LIST_BOX (self->gene_list), row);
        shown++;
      }
  if (shown > 0)
    gtk_popover_popup (GTK_POPOVER (self->gene_popover));
  else
    gtk_popover_popdown (GTK_POPOVER (self->gene_popover));
  /* an exact name highlights at once */
  gms_genomap_view_highlight_gene (self->view, text);
}

static void
gene_search_activate_cb (GmsCellBrowser *self)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->gene_list), 0);

  if (row != NULL && gtk_widget_get_visible (self->gene_popover))
    gene_row_activated_cb (GTK_LIST_BOX (self->gene_list), row, self);
  else
    gms_cell_browser_highlight_gene (self, gtk_editable_get_text (GTK_EDITABLE (self->gene_search)));
}

static void
gene_search_stop_cb (GmsCellBrowser *self)
{
  gtk_popover_popdown (GTK_POPOVER (self->gene_popover));
  gtk_editable_set_text (GTK_EDITABLE (self->gene_search), "");
}

/* ------------------------------------------------------------ actions */

static void
step_cell_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  GmsCellBrowser *self = GMS_CELL_BROWSER (widget);
  guint n, pos;

  if (self->cells == NULL)
    return;
  n = g_list_model_get_n_items (G_LIST_MODEL (self->cells));
  pos = gtk_single_selection_get_selected (self->selection);
  if (n == 0)
    return;
  if (pos == GTK_INVALID_LIST_POSITION)
    pos = 0;
  else if (g_str_equal (action_name, "browser.next-cell"))
    pos = MIN (pos + 1, n - 1);
  else
    pos = pos > 0 ? pos - 1 : 0;
  gtk_single_selection_set_selected (self->selection, pos);
  gtk_widget_activate_action (GTK_WIDGET (self->grid), "list.scroll-to-item", "u", pos);
}

static void
zoom_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  GmsCellBrowser *self = GMS_CELL_BROWSER (widget);
  const char *suffix = strchr (action_name, '.');

  g_autofree char *name = g_strconcat ("view", suffix, NULL);
  gtk_widget_activate_action (GTK_WIDGET (self->view), name, NULL);
}

static void
find_gene_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  gtk_widget_grab_focus (GTK_WIDGET (GMS_CELL_BROWSER (widget)->gene_search));
}

/* ------------------------------------------------------------ GObject */

static GListModel *
dup_export_items (GmsCellBrowser *self)
{
  GListStore *store = g_list_store_new (GMS_TYPE_EXPORT_ITEM);
  const GmDataset *ds;
  GmPanel panel;
  GmFigure fig;
  g_autoptr(GmsFigure) figure = NULL;
  g_autoptr(GmsExportItem) item = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *base = NULL;
  double clip;

  if (self->dataset == NULL || self->current < 0 || self->values == NULL)
    return G_LIST_MODEL (store);
  ds = gms_dataset_get_data (self->dataset);
  clip = g_settings_get_double (self->settings, "clip-quantile");
  panel = (GmPanel) { self->values, gms_dataset_get_map_rows (self->dataset),
                      gms_dataset_get_map_cols (self->dataset), ds->cell_names[self->current] };
  gm_figure_init (&fig);
  fig.n_rows = fig.n_cols = 1;
  fig.panels = &panel;
  fig.colormap = current_colormap (self);
  fig.diverging = fig.colormap == GM_COLORMAP_DIVERGING;
  fig.clip_low = 1.0 - CLAMP (clip, 0.5, 1.0);
  fig.clip_high = CLAMP (clip, 0.5, 1.0);
  fig.colorbar_label = gms_transform_label (current_transform (self));
  figure = gms_figure_new (&fig);
  /* Translators: subtitle of an export item: cell name */
  subtitle = g_strdup_printf (_("Cell %s, as shown"), ds->cell_names[self->current]);
  base = g_strdup_printf ("genomap-%s", ds->cell_names[self->current]);
  item = gms_export_item_new_figure (_("Cell GenoMap"), subtitle, base, figure);
  g_list_store_append (store, item);
  return G_LIST_MODEL (store);
}

static void
gms_cell_browser_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  GmsCellBrowser *self = GMS_CELL_BROWSER (object);

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
gms_cell_browser_dispose (GObject *object)
{
  GmsCellBrowser *self = GMS_CELL_BROWSER (object);

  if (self->dataset != NULL)
    {
      g_clear_signal_handler (&self->thumb_ready_id, self->dataset);
      g_clear_signal_handler (&self->thumbs_changed_id, self->dataset);
    }
  if (self->grid != NULL)
    gtk_grid_view_set_model (self->grid, NULL);
  /* the search entry may have unparented it already when it was disposed */
  if (self->gene_popover != NULL && gtk_widget_get_parent (self->gene_popover) != NULL)
    gtk_widget_unparent (self->gene_popover);
  g_clear_object (&self->gene_popover);
  gtk_widget_dispose_template (GTK_WIDGET (self), GMS_TYPE_CELL_BROWSER);
  g_clear_object (&self->selection);
  g_clear_object (&self->cells);
  g_clear_object (&self->dataset);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (gms_cell_browser_parent_class)->dispose (object);
}

static void
gms_cell_browser_finalize (GObject *object)
{
  GmsCellBrowser *self = GMS_CELL_BROWSER (object);

  g_hash_table_unref (self->bound);
  g_clear_pointer (&self->group_columns, g_ptr_array_unref);
  g_free (self->values);
  G_OBJECT_CLASS (gms_cell_browser_parent_class)->finalize (object);
}

static void
gms_cell_browser_class_init (GmsCellBrowserClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gms_cell_browser_dispose;
  object_class->finalize = gms_cell_browser_finalize;
  object_class->get_property = gms_cell_browser_get_property;

  properties[PROP_EXPORT_ITEMS] =
    g_param_spec_object ("export-items", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (GMS_TYPE_GENOMAP_VIEW);
  g_type_ensure (GMS_TYPE_COLORBAR);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/genomap/Studio/ui/gms-cell-browser.ui");
  gtk_widget_class_bind_template_child (widget_class, GmsCellBrowser, cell_search);
  gtk_widget_class_bind_template_child (widget_class, GmsCellBrowser, group_dropdown);
  gtk_widget_class_bind_template_child (widget_class, GmsCellBrowser, category_dropdown);
  gtk_widget_class_bind_template_child (widget_class, GmsCellBrowser, grid);
  gtk_widget_class_bind_template_child (widget_class, GmsCellBrowser, count_label);
  gtk_widget_class_bind_template_child (widget_class, GmsCellBrowser, cell_label);
  gtk_widget_class_bind_template_child (widget_class, GmsCellBrowser, gene_search);
  gtk_widget_class_bind_template_child (widget_class, GmsCellBrowser, colormap_dropdown);
  gtk_widget_class_bind_template_child (widget_class, GmsCellBrowser, transform_dropdown);
  gtk_widget_class_bind_template_child (widget_class, GmsCellBrowser, view);
  gtk_widget_class_bind_template_child (widget_class, GmsCellBrowser, colorbar);
  gtk_widget_class_bind_template_child (widget_class, GmsCellBrowser, hover_label);
  gtk_widget_class_bind_template_callback (widget_class, cell_search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, group_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, category_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, gene_search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, gene_search_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, gene_search_stop_cb);

  gtk_widget_class_install_action (widget_class, "browser.next-cell", NULL, step_cell_action);
  gtk_widget_class_install_action (widget_class, "browser.previous-cell", NULL, step_cell_action);
  gtk_widget_class_install_action (widget_class, "browser.zoom-in", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "browser.zoom-out", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "browser.zoom-reset", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "browser.find-gene", NULL, find_gene_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Page_Down, GDK_CONTROL_MASK, "browser.next-cell", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Page_Up, GDK_CONTROL_MASK, "browser.previous-cell", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_g, GDK_CONTROL_MASK, "browser.find-gene", NULL);
}

static void
gms_cell_browser_init (GmsCellBrowser *self)
{
  GtkListItemFactory *factory;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->current = -1;
  self->bound = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->settings = g_settings_new (APPLICATION_ID);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_item_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_item_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_item_cb), self);
  gtk_grid_view_set_factory (self->grid, factory);
  g_object_unref (factory);

  g_settings_bind_with_mapping (self->settings, "colormap", self->colormap_dropdown, "selected",
                                G_SETTINGS_BIND_DEFAULT, colormap_get_mapping, colormap_set_mapping,
                                NULL, NULL);
  g_settings_bind_with_mapping (self->settings, "value-transform", self->transform_dropdown, "selected",
                                G_SETTINGS_BIND_DEFAULT, transform_get_mapping, transform_set_mapping,
                                NULL, NULL);
  g_signal_connect_swapped (self->colormap_dropdown, "notify::selected", G_CALLBACK (style_changed_cb), self);
  g_signal_connect_swapped (self->transform_dropdown, "notify::selected", G_CALLBACK (style_changed_cb), self);
  g_signal_connect_swapped (self->settings, "changed::clip-quantile", G_CALLBACK (style_changed_cb), self);
  g_signal_connect_swapped (self->view, "notify::hover-text", G_CALLBACK (hover_changed_cb), self);

  /* completion for the gene search */
  self->gene_list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->gene_list), GTK_SELECTION_NONE);
  gtk_list_box_set_activate_on_single_click (GTK_LIST_BOX (self->gene_list), TRUE);
  g_signal_connect (self->gene_list, "row-activated", G_CALLBACK (gene_row_activated_cb), self);
  self->gene_popover = gtk_popover_new ();
  gtk_popover_set_autohide (GTK_POPOVER (self->gene_popover), FALSE);
  gtk_popover_set_has_arrow (GTK_POPOVER (self->gene_popover), FALSE);
  gtk_popover_set_position (GTK_POPOVER (self->gene_popover), GTK_POS_BOTTOM);
  gtk_popover_set_child (GTK_POPOVER (self->gene_popover), self->gene_list);
  gtk_widget_set_parent (self->gene_popover, GTK_WIDGET (self->gene_search));
  g_object_ref (self->gene_popover);
}

GtkWidget *
gms_cell_browser_new (void)
{
  return g_object_new (GMS_TYPE_CELL_BROWSER, NULL);
}

void
gms_cell_browser_set_dataset (GmsCellBrowser *self,
                              GmsDataset     *dataset)
{
  g_autoptr(GtkStringList) groups = NULL;
  const GmDataset *ds;
  guint default_group = 0;

  g_return_if_fail (GMS_IS_CELL_BROWSER (self));
  g_return_if_fail (GMS_IS_DATASET (dataset) && gms_dataset_is_loaded (dataset));

  if (self->dataset != NULL)
    {
      g_clear_signal_handler (&self->thumb_ready_id, self->dataset);
      g_clear_signal_handler (&self->thumbs_changed_id, self->dataset);
    }
  gtk_grid_view_set_model (self->grid, NULL);
  g_clear_object (&self->selection);
  g_clear_object (&self->cells);
  g_set_object (&self->dataset, dataset);
  self->current = -1;
  ds = gms_dataset_get_data (dataset);

  self->thumb_ready_id = g_signal_connect (dataset, "thumbnail-ready", G_CALLBACK (thumbnail_ready_cb), self);
  self->thumbs_changed_id = g_signal_connect (dataset, "thumbnails-changed", G_CALLBACK (thumbnails_changed_cb), self);
  gms_dataset_set_thumbnail_style (dataset, current_transform (self), current_colormap (self),
                                   g_settings_get_double (self->settings, "clip-quantile"));

  gms_genomap_view_set_genes (self->view, gms_dataset_get_map_rows (dataset),
                              gms_dataset_get_map_cols (dataset), gms_dataset_get_pixel_genes (dataset));

  self->cells = gms_cell_list_new (dataset);

  /* the categorical obs columns; the first with 2–50 categories groups by default */
  g_clear_pointer (&self->group_columns, g_ptr_array_unref);
  self->group_columns = g_ptr_array_new_with_free_func (g_free);
  groups = gtk_string_list_new (NULL);
  gtk_string_list_append (groups, _("No Grouping"));
  for (guint i = 0; i < ds->obs->len; i++)
    {
      GmColumn *col = g_ptr_array_index (ds->obs, i);
      if (col->kind != GM_COLUMN_CATEGORICAL)
        continue;
      g_ptr_array_add (self->group_columns, g_strdup (col->name));
      gtk_string_list_append (groups, col->name);
      if (default_group == 0 && col->n_categories >= 2 && col->n_categories <= 50)
        default_group = self->group_columns->len;
    }
  self->updating_groups = TRUE;
  gtk_drop_down_set_model (self->group_dropdown, G_LIST_MODEL (groups));
  gtk_drop_down_set_selected (self->group_dropdown, default_group);
  gtk_widget_set_sensitive (GTK_WIDGET (self->group_dropdown), self->group_columns->len > 0);
  self->updating_groups = FALSE;
  /* grouped before the grid sees the model: one pass over the cells, not two */
  apply_group (self, default_group > 0 ? g_ptr_array_index (self->group_columns, default_group - 1) : NULL);

  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->cells)));
  gtk_single_selection_set_autoselect (self->selection, TRUE);
  g_signal_connect_swapped (self->selection, "notify::selected", G_CALLBACK (selection_changed_cb), self);
  gtk_grid_view_set_model (self->grid, GTK_SELECTION_MODEL (self->selection));
  reselect (self);
}

gboolean
gms_cell_browser_select_cell (GmsCellBrowser *self,
                              gint64          cell)
{
  guint pos;

  g_return_val_if_fail (GMS_IS_CELL_BROWSER (self), FALSE);
  if (self->cells == NULL)
    return FALSE;
  pos = gms_cell_list_find (self->cells, cell);
  if (pos == G_MAXUINT)
    return FALSE;
  gtk_single_selection_set_selected (self->selection, pos);
  gtk_widget_activate_action (GTK_WIDGET (self->grid), "list.scroll-to-item", "u", pos);
  selection_changed_cb (self);
  return TRUE;
}

gint64
gms_cell_browser_get_selected_cell (GmsCellBrowser *self)
{
  g_return_val_if_fail (GMS_IS_CELL_BROWSER (self), -1);
  return self->current;
}

void
gms_cell_browser_set_group_column (GmsCellBrowser *self,
                                   const char     *column)
{
  g_return_if_fail (GMS_IS_CELL_BROWSER (self));
  if (self->group_columns == NULL)
    return;
  if (column == NULL)
    {
      gtk_drop_down_set_selected (self->group_dropdown, 0);
      return;
    }
  for (guint i = 0; i < self->group_columns->len; i++)
    if (g_strcmp0 (g_ptr_array_index (self->group_columns, i), column) == 0)
      gtk_drop_down_set_selected (self->group_dropdown, i + 1);
}

const char *
gms_cell_browser_get_group_column (GmsCellBrowser *self)
{
  g_return_val_if_fail (GMS_IS_CELL_BROWSER (self), NULL);
  return self->cells != NULL ? gms_cell_list_get_group_column (self->cells) : NULL;
}

gboolean
gms_cell_browser_highlight_gene (GmsCellBrowser *self,
                                 const char     *gene)
{
  gboolean found;

  g_return_val_if_fail (GMS_IS_CELL_BROWSER (self), FALSE);
  found = gms_genomap_view_highlight_gene (self->view, gene);
  if (found && g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->gene_search)), gene) != 0)
    {
      g_signal_handlers_block_by_func (self->gene_search, gene_search_changed_cb, self);
      gtk_editable_set_text (GTK_EDITABLE (self->gene_search), gene);
      g_signal_handlers_unblock_by_func (self->gene_search, gene_search_changed_cb, self);
    }
  return found;
}

GmsGenomapView *
gms_cell_browser_get_view (GmsCellBrowser *self)
{
  g_return_val_if_fail (GMS_IS_CELL_BROWSER (self), NULL);
  return self->view;
}

GListModel *
gms_cell_browser_get_cells (GmsCellBrowser *self)
{
  g_return_val_if_fail (GMS_IS_CELL_BROWSER (self), NULL);
  return self->cells ? G_LIST_MODEL (self->cells) : NULL;
}
