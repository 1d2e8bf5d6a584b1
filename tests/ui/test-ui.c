/* test-ui.c — the application's window, cell browser, GenoMap view and export, under a display
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs under Xvfb (tests/ui/run-under-display.sh) with GSK_RENDERER=cairo so that pixels
 * are the same everywhere.  The GenoMap view is compared with a golden image:
 *   GMS_UPDATE_GOLDEN=1 meson test -C BUILD --suite ui
 * rewrites the PNG files in tests/data/golden/ui/ (look at them before committing).
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "gm-io.h"
#include "gm-render.h"
#include "gms-application.h"
#include "gms-cell-browser.h"
#include "gms-cell-list.h"
#include "gms-dataset.h"
#include "gms-export-dialog.h"
#include "gms-export-item.h"
#include "gms-genomap-view.h"
#include "gms-groups-page.h"
#include "gms-preferences-window.h"
#include "gms-window.h"

#define VIEW_SIZE 240
#define TIMEOUT_S 60

#include "gms-test-util.h"

static char *tmpdir;

static void
wait_for_draw (GtkWidget *widget)
{
  gtk_test_widget_wait_for_draw (widget);
  /* let idle work (thumbnails, layout) settle */
  for (int i = 0; i < 20 && g_main_context_pending (NULL); i++)
    g_main_context_iteration (NULL, FALSE);
}

static GmsWindow *
open_window_with (const char *fixture)
{
  g_autofree char *path = gms_test_data_path (fixture);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  GmsWindow *window = gms_window_new (NULL);

  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  gtk_window_present (GTK_WINDOW (window));
  gms_window_open_file (window, file);
  g_assert_true (gms_window_is_loading (window));
  WAIT_UNTIL (!gms_window_is_loading (window), "the dataset to load");
  return window;
}

/* The view's pixels as ARGB32 (premultiplied, native endian, like cairo), rendered
 * offscreen from the widget's paintable by the window's renderer. */
static GdkTexture *
render_widget (GtkWidget *widget)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));

  gdk_paintable_snapshot (paintable, snapshot, w, h);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  return gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, w, h));
}

static guint32 *
download (GdkTexture *texture)
{
  int w = gdk_texture_get_width (texture), h = gdk_texture_get_height (texture);
  guint32 *px = g_new (guint32, (gsize) w * h);

  gdk_texture_download (texture, (guchar *) px, (gsize) w * 4);
  return px;
}

static void
compare_with_golden (GdkTexture *texture,
                     const char *name)
{
  g_autofree char *golden_path = NULL;
  g_autofree char *dir = gms_test_data_path ("golden");
  g_autoptr(GdkTexture) golden = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint32 *a = NULL;
  g_autofree guint32 *b = NULL;
  int w = gdk_texture_get_width (texture), h = gdk_texture_get_height (texture);
  int differ = 0, worst = 0;

  golden_path = g_build_filename (dir, "ui", name, NULL);
  if (g_getenv ("GMS_UPDATE_GOLDEN") != NULL)
    {
      g_autofree char *ui_dir = g_build_filename (dir, "ui", NULL);
      g_mkdir_with_parents (ui_dir, 0755);
      g_assert_true (gdk_texture_save_to_png (texture, golden_path));
      g_test_message ("wrote %s", golden_path);
      return;
    }
  golden = gdk_texture_new_from_filename (golden_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_texture_get_width (golden), ==, w);
  g_assert_cmpint (gdk_texture_get_height (golden), ==, h);
  a = download (texture);
  b = download (golden);
  for (int i = 0; i < w * h; i++)
    {
      int d = 0;
      for (int shift = 0; shift < 32; shift += 8)
        d = MAX (d, abs ((int) ((a[i] >> shift) & 0xff) - (int) ((b[i] >> shift) & 0xff)));
      worst = MAX (worst, d);
      if (d > 3)
        differ++;
    }
  if (differ > w * h / 200)
    {
      g_autofree char *out = g_build_filename (tmpdir, name, NULL);
      gdk_texture_save_to_png (texture, out);
      g_error ("%s: %d of %d pixels differ (worst channel difference %d); rendered image in %s",
               name, differ, w * h, worst, out);
    }
}

/* Renders at @scale device pixels per unit, as a HiDPI screen would. */
static GdkTexture *
render_widget_scaled (GtkWidget *widget,
                      int        scale)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));

  gtk_snapshot_scale (snapshot, scale, scale);
  gdk_paintable_snapshot (paintable, snapshot, w, h);
  node = gtk_snapshot_free_to_node (snapshot);
  return gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, w * scale, h * scale));
}

/* GMS_SCREENSHOT_DIR=DIR saves pictures of whole windows there (for looking at the UI). */
static void
maybe_screenshot (GtkWidget  *widget,
                  const char *name)
{
  const char *dir = g_getenv ("GMS_SCREENSHOT_DIR");
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;

  if (dir == NULL)
    return;
  {
    /* let transitions (stack crossfades) finish */
    gint64 until = g_get_monotonic_time () + 500 * 1000;
    while (g_get_monotonic_time () < until)
      g_main_context_iteration (NULL, FALSE);
  }
  wait_for_draw (widget);
  texture = render_widget (widget);
  path = g_build_filename (dir, name, NULL);
  gdk_texture_save_to_png (texture, path);
}

/* ------------------------------------------------------------ tests */

static void
test_open_browse_render (void)
{
  GmsWindow *window = open_window_with ("csr_counts.h5ad");
  GmsDataset *dataset = gms_window_get_dataset (window);
  GmsCellBrowser *browser = gms_window_get_cell_browser (window);
  GmsGenomapView *view = gms_cell_browser_get_view (browser);
  const GmDataset *ds;
  int rows, cols, P;
  g_autofree float *expected = NULL;
  g_autofree guint32 *argb = NULL;
  g_autofree guint32 *pixels = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GtkWidget *probe_window, *probe;
  double lo, hi;
  int pixel;

  g_assert_nonnull (dataset);
  ds = gms_dataset_get_data (dataset);
  g_assert_cmpint (gm_dataset_n_cells (ds), ==, 60);
  g_assert_cmpint (gm_dataset_n_genes (ds), ==, 40);
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "csr_counts.h5ad");

  /* browse: the grid groups by cell_type; select cell 25 and step to the next one */
  g_assert_cmpuint (g_list_model_get_n_items (gms_cell_browser_get_cells (browser)), ==, 60);
  g_assert_true (gms_cell_browser_select_cell (browser, 24));
  {
    GmsCellList *cells = GMS_CELL_LIST (gms_cell_browser_get_cells (browser));
    guint pos = gms_cell_list_find (cells, 24);
    gint64 next = gms_cell_list_get_cell (cells, pos + 1);
    g_autoptr(GmsCell) item = g_list_model_get_item (G_LIST_MODEL (cells), pos + 1);

    /* grouped by cell type */
    g_assert_nonnull (gms_cell_get_group (item));
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (browser), "browser.next-cell", NULL));
    g_assert_cmpint (gms_cell_browser_get_selected_cell (browser), ==, next);
    /* the name search and the category filter */
    gms_cell_list_set_search (cells, "no such cell");
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (cells)), ==, 0);
    gms_cell_list_set_search (cells, NULL);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (cells)), ==, 60);
    gms_cell_list_set_category (cells, 1);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (cells)), ==, 20);
    gms_cell_list_set_category (cells, -1);
  }
  g_assert_true (gms_cell_browser_select_cell (browser, 25));
  wait_for_draw (GTK_WIDGET (window));

  /* the view shows exactly the mapped cell (log1p, the default transform) */
  rows = gms_dataset_get_map_rows (dataset);
  cols = gms_dataset_get_map_cols (dataset);
  P = rows * cols;
  expected = g_new (float, P);
  gms_dataset_map_cell (dataset, GM_TRANSFORM_LOG1P_CP10K, 25, expected);
  g_assert_nonnull (gms_genomap_view_get_values (view));
  for (int p = 0; p < P; p++)
    g_assert_true ((isnan (expected[p]) && isnan (gms_genomap_view_get_values (view)[p])) ||
                   expected[p] == gms_genomap_view_get_values (view)[p]);

  /* gene search highlights the gene and its neighbours */
  g_assert_true (gms_cell_browser_highlight_gene (browser, "LYZ"));
  pixel = gms_genomap_view_get_highlight (view);
  g_assert_cmpint (pixel, ==, gms_dataset_find_gene_pixel (dataset, "LYZ"));
  g_assert_false (gms_cell_browser_highlight_gene (browser, "NOT-A-GENE"));
  g_assert_cmpint (gms_genomap_view_get_highlight (view), ==, -1);

  maybe_screenshot (GTK_WIDGET (window), "window-cells.png");
  gms_window_show_page (window, "groups");
  WAIT_UNTIL (!gms_groups_page_is_busy (gms_window_get_groups_page (window)), "the group means");
  maybe_screenshot (GTK_WIDGET (window), "window-groups.png");
  gms_window_show_page (window, "overview");
  maybe_screenshot (GTK_WIDGET (window), "window-overview.png");
  gms_window_show_page (window, "cells");

  /* a standalone view of a fixed size for the pixel checks */
  probe_window = gtk_window_new ();
  probe = gms_genomap_view_new ();
  gtk_widget_set_size_request (probe, VIEW_SIZE, VIEW_SIZE);
  gtk_window_set_child (GTK_WINDOW (probe_window), probe);
  gtk_window_set_default_size (GTK_WINDOW (probe_window), VIEW_SIZE, VIEW_SIZE);
  gms_genomap_view_set_genes (GMS_GENOMAP_VIEW (probe), rows, cols, gms_dataset_get_pixel_genes (dataset));
  gms_image_get_scale (expected, P, 0.99, FALSE, &lo, &hi);
  gms_genomap_view_set_colormap (GMS_GENOMAP_VIEW (probe), GM_COLORMAP_VIRIDIS);
  gms_genomap_view_set_range (GMS_GENOMAP_VIEW (probe), lo, hi);
  gms_genomap_view_set_values (GMS_GENOMAP_VIEW (probe), expected, "cell 25");
  gtk_window_present (GTK_WINDOW (probe_window));
  wait_for_draw (probe);
  g_assert_cmpint (gtk_widget_get_width (probe), ==, VIEW_SIZE);

  texture = render_widget (probe);
  pixels = download (texture);
  argb = g_new (guint32, P);
  gm_colorize (expected, rows, cols, GM_COLORMAP_VIRIDIS, lo, hi, gm_colormap_nan_argb (GM_COLORMAP_VIRIDIS), argb);
  /* the centre of every GenoMap pixel has exactly the colour gm_colorize gives */
  {
    double s = (VIEW_SIZE - 12.0) / MAX (rows, cols);
    double ox = (VIEW_SIZE - s * cols) / 2, oy = (VIEW_SIZE - s * rows) / 2;
    for (int r = 0; r < rows; r++)
      for (int c = 0; c < cols; c++)
        {
          int x = (int) (ox + (c + 0.5) * s), y = (int) (oy + (r + 0.5) * s);
          g_assert_cmphex (pixels[y * VIEW_SIZE + x] | 0xff000000u, ==, argb[r * cols + c] | 0xff000000u);
          g_assert_cmpint (gms_genomap_view_pick (GMS_GENOMAP_VIEW (probe), x, y), ==, r * cols + c);
        }
  }
  compare_with_golden (texture, "genomap-view-cell25.png");

  /* highlighted: the frame changes the picture, the centre of the gene keeps its colour */
  gms_genomap_view_highlight_gene (GMS_GENOMAP_VIEW (probe), "LYZ");
  wait_for_draw (probe);
  g_clear_object (&texture);
  texture = render_widget (probe);
  compare_with_golden (texture, "genomap-view-cell25-LYZ.png");

  /* zooming keeps the pixels crisp: two samples inside one GenoMap pixel are equal */
  gms_genomap_view_set_zoom (GMS_GENOMAP_VIEW (probe), 4.0);
  wait_for_draw (probe);
  g_clear_object (&texture);
  g_clear_pointer (&pixels, g_free);
  texture = render_widget (probe);
  pixels = download (texture);
  {
    int centre = gms_genomap_view_pick (GMS_GENOMAP_VIEW (probe), VIEW_SIZE / 2.0, VIEW_SIZE / 2.0);
    g_assert_cmpint (centre, >=, 0);
    g_assert_cmphex (pixels[(VIEW_SIZE / 2) * VIEW_SIZE + VIEW_SIZE / 2 - 2],
                     ==, pixels[(VIEW_SIZE / 2) * VIEW_SIZE + VIEW_SIZE / 2 - 1]);
  }

  gtk_window_destroy (GTK_WINDOW (probe_window));
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
thumbnail_ready_cb (GmsDataset  *dataset,
                    gint64       cell,
                    GdkTexture  *texture,
                    GdkTexture **out)
{
  if (cell == 7)
    g_set_object (out, texture);
}

static void
test_thumbnails (void)
{
  g_autofree char *path = gms_test_data_path ("csr_counts.h5ad");
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GmsDataset) dataset = gms_dataset_new (file);
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) thumb = NULL;
  GdkTexture *cached;

  g_assert_true (gms_dataset_load_sync (dataset, NULL, &error));
  g_assert_no_error (error);
  g_signal_connect (dataset, "thumbnail-ready", G_CALLBACK (thumbnail_ready_cb), &thumb);
  g_assert_null (gms_dataset_get_thumbnail (dataset, 7));
  WAIT_UNTIL (thumb != NULL, "a thumbnail");
  g_assert_cmpint (gdk_texture_get_width (thumb) % gms_dataset_get_map_cols (dataset), ==, 0);
  g_assert_cmpint (gdk_texture_get_width (thumb), >=, 90);
  cached = gms_dataset_get_thumbnail (dataset, 7);
  g_assert_true (cached == thumb);
  g_object_unref (cached);
}

static void
test_export (void)
{
  GmsWindow *window = open_window_with ("csr_counts.h5ad");
  GmsCellBrowser *browser = gms_window_get_cell_browser (window);
  GmsGroupsPage *groups = gms_window_get_groups_page (window);
  g_autoptr(GListModel) items = NULL;
  g_autoptr(GmsExportItem) cell_fig = NULL;
  g_autoptr(GmsExportItem) matrix = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *png = g_build_filename (tmpdir, "cell.png", NULL);
  g_autofree char *svg = g_build_filename (tmpdir, "cell.svg", NULL);
  g_autofree char *loom = g_build_filename (tmpdir, "matrix.loom", NULL);
  g_autofree char *h5ad = g_build_filename (tmpdir, "matrix.h5ad", NULL);
  g_autoptr(GdkTexture) read_png = NULL;
  g_autoptr(GmDataset) back = NULL;
  GmsExportOptions options = { 150 };
  GmFigure fig;
  GmPanel panel;
  double wpt, hpt;
  g_autofree char *svg_text = NULL;
  g_autofree float *values = NULL;
  guint n;
  GtkWidget *dialog;

  g_assert_true (gms_cell_browser_select_cell (browser, 3));
  WAIT_UNTIL (!gms_groups_page_is_busy (groups), "the group means");
  items = gms_window_dup_export_items (window);
  n = g_list_model_get_n_items (items);
  /* cell figure (the page shown), group means, group difference, its gene table, the matrix */
  g_assert_cmpuint (n, ==, 5);
  cell_fig = g_list_model_get_item (items, 0);
  g_assert_cmpint (gms_export_item_get_kind (cell_fig), ==, GMS_EXPORT_FIGURE);
  matrix = g_list_model_get_item (items, n - 1);
  g_assert_cmpint (gms_export_item_get_kind (matrix), ==, GMS_EXPORT_MATRIX);

  /* a figure: PNG at 150 dpi has the size core computes for one panel */
  g_assert_true (gms_export_item_save (cell_fig, png, &options, NULL, &error));
  g_assert_no_error (error);
  read_png = gdk_texture_new_from_filename (png, &error);
  g_assert_no_error (error);
  /* the same figure as the item's: cell 3 as shown (log1p, viridis, clipped at 0.99) */
  {
    GmsDataset *dataset = gms_window_get_dataset (window);
    int rows = gms_dataset_get_map_rows (dataset), cols = gms_dataset_get_map_cols (dataset);
    values = g_new (float, rows * cols);
    gms_dataset_map_cell (dataset, GM_TRANSFORM_LOG1P_CP10K, 3, values);
    gm_figure_init (&fig);
    panel = (GmPanel) { values, rows, cols, gms_dataset_get_data (dataset)->cell_names[3] };
    fig.n_rows = fig.n_cols = 1;
    fig.panels = &panel;
    fig.clip_low = 0.01;
    fig.clip_high = 0.99;
    fig.colorbar_label = gms_transform_label (GM_TRANSFORM_LOG1P_CP10K);
  }
  gm_figure_get_size (&fig, &wpt, &hpt);
  g_assert_cmpint (abs (gdk_texture_get_width (read_png) - (int) ceil (wpt * 150 / 72)), <=, 2);
  g_assert_cmpint (abs (gdk_texture_get_height (read_png) - (int) ceil (hpt * 150 / 72)), <=, 2);
  g_assert_true (gms_export_item_save (cell_fig, svg, &options, NULL, &error));
  g_assert_true (g_file_get_contents (svg, &svg_text, NULL, NULL));
  g_assert_nonnull (strstr (svg_text, "<svg"));

  /* the group means are the figure `genomap-cli render --mean-by` draws, pixel for pixel */
  {
    g_autoptr(GmsExportItem) means = g_list_model_get_item (items, 1);
    g_autofree char *app_png = g_build_filename (tmpdir, "means-app.png", NULL);
    g_autofree char *cli_png = g_build_filename (tmpdir, "means-cli.png", NULL);
    g_autofree char *layout = g_build_filename (tmpdir, "layout.tsv", NULL);
    g_autofree char *input = gms_test_data_path ("csr_counts.h5ad");
    g_autofree char *diff_out = NULL;
    g_autoptr(GdkTexture) a = NULL;
    g_autoptr(GdkTexture) b = NULL;
    g_autofree guint32 *pa = NULL;
    g_autofree guint32 *pb = NULL;
    const char *cli = g_getenv ("GM_CLI");
    int status = 0, differ = 0;
    GmsExportOptions o300 = { 300 };

    g_assert_nonnull (cli);
    g_assert_cmpstr (gms_export_item_get_title (means), ==, "Group Means");
    g_assert_true (gms_export_item_save (means, app_png, &o300, NULL, &error));
    g_assert_no_error (error);
    {
      const char *argv_layout[] = { cli, "layout", input, "-o", layout, NULL };
      const char *argv_render[] = { cli, "render", input, "--layout", layout, "--mean-by", "cell_type",
                                    "--clip", "0.01,0.99", "--title", "Mean GenoMap by cell_type", "-o", cli_png, NULL };
      const char *argv_diff[] = { cli, "render", input, "--layout", layout, "--diff", "cell_type:T cell:B cell",
                                  "-o", cli_png, NULL };
      g_assert_true (g_spawn_sync (NULL, (char **) argv_layout, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, &error));
      g_assert_no_error (error);
      g_assert_cmpint (status, ==, 0);
      g_assert_true (g_spawn_sync (NULL, (char **) argv_render, NULL, 0, NULL, NULL, NULL, NULL, &status, &error));
      g_assert_cmpint (status, ==, 0);
      a = gdk_texture_new_from_filename (app_png, &error);
      g_assert_no_error (error);
      b = gdk_texture_new_from_filename (cli_png, &error);
      g_assert_no_error (error);
      g_assert_cmpint (gdk_texture_get_width (a), ==, gdk_texture_get_width (b));
      g_assert_cmpint (gdk_texture_get_height (a), ==, gdk_texture_get_height (b));
      pa = download (a);
      pb = download (b);
      for (int i = 0; i < gdk_texture_get_width (a) * gdk_texture_get_height (a); i++)
        differ += pa[i] != pb[i];
      g_assert_cmpint (differ, ==, 0);

      /* the difference: the CLI's top gene is the first of the app's table */
      g_assert_true (g_spawn_sync (NULL, (char **) argv_diff, NULL, 0, NULL, NULL, &diff_out, NULL, &status, &error));
      g_assert_cmpint (status, ==, 0);
      {
        g_autoptr(GmsExportItem) table = g_list_model_get_item (items, 3);
        g_autofree char *tsv = g_build_filename (tmpdir, "genes.tsv", NULL);
        g_autofree char *text = NULL;
        g_auto(GStrv) cli_lines = g_strsplit (diff_out, "\n", 3);
        g_auto(GStrv) app_lines = NULL;
        g_auto(GStrv) cli_fields = NULL;
        g_auto(GStrv) app_fields = NULL;

        g_assert_true (gms_export_item_save (table, tsv, NULL, NULL, &error));
        g_assert_true (g_file_get_contents (tsv, &text, NULL, NULL));
        app_lines = g_strsplit (text, "\n", 3);
        cli_fields = g_strsplit (cli_lines[1], "\t", -1);
        app_fields = g_strsplit (app_lines[1], "\t", -1);
        g_assert_cmpstr (cli_fields[0], ==, app_fields[0]);
        /* activating a gene of the list shows it in the cell view */
        g_signal_emit_by_name (groups, "gene-activated", app_fields[0]);
        g_assert_cmpint (gms_genomap_view_get_highlight (gms_cell_browser_get_view (browser)), ==,
                         gms_dataset_find_gene_pixel (gms_window_get_dataset (window), app_fields[0]));
        g_assert_cmpfloat_with_epsilon (g_ascii_strtod (cli_fields[3], NULL), g_ascii_strtod (app_fields[5], NULL), 1e-3);
      }
    }
  }

  /* a matrix through the item: loom, read back */
  g_assert_true (gms_export_item_save (matrix, loom, NULL, NULL, &error));
  g_assert_no_error (error);
  back = gm_read (loom, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gm_dataset_n_cells (back), ==, 60);
  g_assert_cmpint (gm_dataset_nnz (back), ==, 1295);
  g_clear_pointer (&back, gm_dataset_free);

  /* the export dialog: choose the matrix, write h5ad; the layout travels in var */
  dialog = gms_window_show_export_dialog (window);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  gms_export_dialog_select_item (GMS_EXPORT_DIALOG (dialog), n - 1);
  maybe_screenshot (dialog, "export-dialog.png");
  {
    g_autoptr(GFile) out = g_file_new_for_path (h5ad);
    gms_export_dialog_export_to (GMS_EXPORT_DIALOG (dialog), out);
  }
  WAIT_UNTIL (dialog == NULL, "the export dialog to finish");
  back = gm_read (h5ad, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gm_dataset_n_cells (back), ==, 60);
  g_assert_cmpint (gm_dataset_n_genes (back), ==, 40);
  g_assert_cmpfloat (gm_csr_total (&back->X), ==, 76026);
  {
    gboolean has_layout = FALSE;
    for (guint i = 0; i < back->var->len; i++)
      if (g_strcmp0 (((GmColumn *) g_ptr_array_index (back->var, i))->name, "genomap_row") == 0)
        has_layout = TRUE;
    g_assert_true (has_layout);
  }
  /* nothing half-written is left behind */
  {
    g_autoptr(GDir) d = g_dir_open (tmpdir, 0, NULL);
    const char *name;
    while ((name = g_dir_read_name (d)) != NULL)
      g_assert_false (strstr (name, ".tmp-") != NULL);
  }
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_saved_layout_reused (void)
{
  /* the h5ad just exported carries its layout: opening it takes it instead of computing */
  g_autofree char *h5ad = g_build_filename (tmpdir, "matrix.h5ad", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (h5ad);
  g_autoptr(GmsDataset) dataset = gms_dataset_new (file);
  g_autoptr(GError) error = NULL;

  if (!g_file_test (h5ad, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("needs /ui/export");
      return;
    }
  g_assert_true (gms_dataset_load_sync (dataset, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (gms_dataset_get_layout_was_saved (dataset));
}

/* The layout device: "cpu", "auto" and "cuda" all open the dataset (never
 * an error for want of a GPU) with the same layout. */
static void
test_layout_device (void)
{
  g_autofree char *path = gms_test_data_path ("csr_counts.h5ad");
  g_autoptr(GFile) file = g_file_new_for_path (path);
  const char *devices[] = { "cpu", "auto", "cuda" };
  g_autoptr(GmsDataset) first = NULL;

  for (guint d = 0; d < G_N_ELEMENTS (devices); d++)
    {
      g_autoptr(GmsDataset) dataset = gms_dataset_new (file);
      g_autoptr(GError) error = NULL;
      const GmLayout *a, *b;

      gms_dataset_set_layout_device (dataset, devices[d]);
      g_assert_true (gms_dataset_load_sync (dataset, NULL, &error));
      g_assert_no_error (error);
      if (first == NULL)
        {
          first = g_object_ref (dataset);
          continue;
        }
      a = gms_dataset_get_layout (first);
      b = gms_dataset_get_layout (dataset);
      g_assert_cmpint (a->n_genes, ==, b->n_genes);
      for (int i = 0; i < a->n_genes; i++)
        {
          g_assert_cmpstr (a->genes[i], ==, b->genes[i]);
          /* 36 genes: every product is under gm_dgemm's GPU threshold, so
           * the layouts are the same even where there is a GPU */
          g_assert_cmpint (a->pixel[i], ==, b->pixel[i]);
        }
    }
}

static void
test_errors (void)
{
  g_autofree char *path = gms_test_data_path ("broken_truncated.h5ad");
  g_autofree char *good = gms_test_data_path ("csr_counts.h5ad");
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFile) good_file = g_file_new_for_path (good);
  g_autoptr(GmsDataset) dataset = gms_dataset_new (file);
  g_autoptr(GmsDataset) big = gms_dataset_new (good_file);
  g_autoptr(GmsDataset) cancelled = gms_dataset_new (good_file);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  GmsWindow *window;
  GListModel *toplevels;
  gboolean found = FALSE;

  /* a broken file: the error names it */
  g_assert_false (gms_dataset_load_sync (dataset, NULL, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "broken_truncated.h5ad"));
  g_clear_error (&error);

  /* too large for the memory allowed: refused before reading, naming the file */
  g_setenv ("GENOMAP_MEMORY_LIMIT", "2K", TRUE);
  g_assert_false (gms_dataset_load_sync (big, NULL, &error));
  g_unsetenv ("GENOMAP_MEMORY_LIMIT");
  g_assert_error (error, GM_ERROR, GM_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "csr_counts.h5ad"));
  g_clear_error (&error);

  /* cancelled */
  g_cancellable_cancel (cancellable);
  g_assert_false (gms_dataset_load_sync (cancelled, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* in the window: a message dialog naming the file, and back to the empty state */
  window = open_window_with ("broken_truncated.h5ad");
  g_assert_true (gms_window_is_empty (window));
  maybe_screenshot (GTK_WIDGET (window), "window-empty.png");
  toplevels = gtk_window_get_toplevels ();
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i);
      if (ADW_IS_MESSAGE_DIALOG (w))
        {
          const char *heading = adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (w));
          found = strstr (heading, "broken_truncated.h5ad") != NULL;
          gtk_window_destroy (w);
          break;
        }
    }
  g_assert_true (found);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Cancel while opening: back to the empty state, a toast, no dataset. */
static void
test_cancel_and_drop (void)
{
  g_autofree char *big = g_build_filename (tmpdir, "cancel.h5ad", NULL);
  g_autofree char *good = gms_test_data_path ("csr_counts.h5ad");
  const char *cli = g_getenv ("GM_CLI");
  const char *argv_sim[] = { cli, "simulate", "--splat", "--cells", "6000", "--genes", "1500", "-o", big, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (big);
  GmsWindow *window = gms_window_new (NULL);
  int status = 0;
  GtkDropTarget *target = NULL;
  g_autoptr(GListModel) controllers = NULL;

  g_assert_nonnull (cli);
  g_assert_true (g_spawn_sync (NULL, (char **) argv_sim, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                               &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);

  gtk_window_present (GTK_WINDOW (window));
  gms_window_open_file (window, file);
  g_assert_true (gms_window_is_loading (window));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel-loading", NULL));
  WAIT_UNTIL (!gms_window_is_loading (window), "the cancelled load to stop");
  g_assert_true (gms_window_is_empty (window));
  g_assert_null (gms_window_get_dataset (window));

  /* a file dropped on the window opens */
  controllers = gtk_widget_observe_controllers (GTK_WIDGET (window));
  for (guint i = 0; i < g_list_model_get_n_items (controllers) && target == NULL; i++)
    {
      g_autoptr(GObject) c = g_list_model_get_item (controllers, i);
      if (GTK_IS_DROP_TARGET (c))
        target = GTK_DROP_TARGET (c);
    }
  g_assert_nonnull (target);
  {
    GValue value = G_VALUE_INIT;
    GSList *files = g_slist_prepend (NULL, g_file_new_for_path (good));
    gboolean accepted = FALSE;

    g_value_init (&value, GDK_TYPE_FILE_LIST);
    g_value_take_boxed (&value, files);
    g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &accepted);
    g_value_unset (&value);
    g_assert_true (accepted);
  }
  WAIT_UNTIL (!gms_window_is_loading (window), "the dropped file to load");
  g_assert_nonnull (gms_window_get_dataset (window));
  g_assert_cmpstr (gms_dataset_get_title (gms_window_get_dataset (window)), ==, "csr_counts.h5ad");
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_dialogs (void)
{
  GtkWidget *prefs = gms_preferences_window_new (NULL);
  g_autoptr(GtkBuilder) builder = NULL;
  g_autoptr(GSettings) settings = g_settings_new ("org.genomap.Studio");
  g_autofree char *info = gms_application_get_debug_info ();
  GObject *overlay;

  /* preferences are bound to GSettings both ways */
  gtk_window_present (GTK_WINDOW (prefs));
  wait_for_draw (prefs);
  g_settings_set_string (settings, "colormap", "magma");
  g_settings_set_double (settings, "clip-quantile", 0.95);
  maybe_screenshot (prefs, "preferences.png");
  gtk_window_destroy (GTK_WINDOW (prefs));
  g_settings_reset (settings, "colormap");
  g_settings_reset (settings, "clip-quantile");

  /* the shortcuts window loads */
  builder = gtk_builder_new_from_resource ("/org/genomap/Studio/gtk/help-overlay.ui");
  overlay = gtk_builder_get_object (builder, "help_overlay");
  g_assert_true (GTK_IS_SHORTCUTS_WINDOW (overlay));
  gtk_window_present (GTK_WINDOW (overlay));
  maybe_screenshot (GTK_WIDGET (overlay), "shortcuts.png");
  gtk_window_destroy (GTK_WINDOW (overlay));

  /* About's debug information names the libraries and the backends */
  g_assert_nonnull (strstr (info, "GTK 4."));
  g_assert_nonnull (strstr (info, "libadwaita 1."));
  g_assert_nonnull (strstr (info, "HDF5 1."));
  g_assert_nonnull (strstr (info, "BLAS: "));
  g_assert_nonnull (strstr (info, "cpu: "));
}

/* GMS_BENCH_DATASET=FILE: opens a large dataset and measures how long the main loop
 * stalls while it loads and while the grid scrolls through it (not part of the suite). */
static gint64 last_tick, worst_stall;

static gboolean
tick_cb (gpointer data)
{
  gint64 now = g_get_monotonic_time ();
  if (last_tick != 0)
    worst_stall = MAX (worst_stall, now - last_tick);
  last_tick = now;
  return G_SOURCE_CONTINUE;
}

static void
test_large (void)
{
  const char *path = g_getenv ("GMS_BENCH_DATASET");
  g_autoptr(GFile) file = NULL;
  GmsWindow *window;
  GmsCellBrowser *browser;
  GListModel *cells;
  guint tick, n;
  gint64 t0;

  if (path == NULL)
    {
      g_test_skip ("set GMS_BENCH_DATASET to a large dataset");
      return;
    }
  file = g_file_new_for_path (path);
  window = gms_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 800);
  gtk_window_present (GTK_WINDOW (window));
  tick = g_timeout_add (5, tick_cb, NULL);
  t0 = g_get_monotonic_time ();
  gms_window_open_file (window, file);
  WAIT_UNTIL (!gms_window_is_loading (window), "the large dataset");
  g_test_message ("loaded in %.2f s; longest main-loop stall while loading %.1f ms",
                  (g_get_monotonic_time () - t0) / 1e6, worst_stall / 1e3);
  g_assert_nonnull (gms_window_get_dataset (window));
  browser = gms_window_get_cell_browser (window);
  cells = gms_cell_browser_get_cells (browser);
  n = g_list_model_get_n_items (cells);
  wait_for_draw (GTK_WIDGET (window));
  worst_stall = 0;
  last_tick = 0;
  t0 = g_get_monotonic_time ();
  {
    gint64 in_select = 0, worst_select = 0;
    for (guint pos = 0; pos < n; pos += n / 50)
      {
        gint64 t1 = g_get_monotonic_time ();
        g_assert_true (gms_cell_browser_select_cell (browser, gms_cell_list_get_cell (GMS_CELL_LIST (cells), pos)));
        t1 = g_get_monotonic_time () - t1;
        in_select += t1;
        worst_select = MAX (worst_select, t1);
        wait_for_draw (GTK_WIDGET (window));
      }
    g_test_message ("50 jumps through %u cells in %.2f s (selecting: %.1f ms in all, %.1f ms at most); "
                    "longest stall %.1f ms", n, (g_get_monotonic_time () - t0) / 1e6, in_select / 1e3,
                    worst_select / 1e3, worst_stall / 1e3);
  }
  /* stepping with the keyboard's action, as arrow keys do */
  worst_stall = 0;
  last_tick = 0;
  t0 = g_get_monotonic_time ();
  for (int i = 0; i < 100; i++)
    {
      gtk_widget_activate_action (GTK_WIDGET (browser), "browser.next-cell", NULL);
      wait_for_draw (GTK_WIDGET (window));
    }
  g_test_message ("100 steps to the next cell: %.1f ms each; longest stall %.1f ms",
                  (g_get_monotonic_time () - t0) / 1e5, worst_stall / 1e3);
  maybe_screenshot (GTK_WIDGET (window), "large-cells.png");
  worst_stall = 0;
  last_tick = 0;
  t0 = g_get_monotonic_time ();
  gms_cell_browser_set_group_column (browser, NULL);
  wait_for_draw (GTK_WIDGET (window));
  g_test_message ("regrouping %u cells: %.1f ms", n, (g_get_monotonic_time () - t0) / 1e3);
  g_source_remove (tick);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Crisp at any zoom and scale factor: every device pixel of the map has exactly one of the
 * map's colours (no pixel blends two GenoMap pixels).  Run by meson twice: GDK_SCALE=1 and 2. */
static void
test_crisp (void)
{
  const int rows = 7, cols = 9, P = rows * cols;
  float values[7 * 9];
  guint32 argb[7 * 9];
  GtkWidget *window = gtk_window_new ();
  GtkWidget *view = gms_genomap_view_new ();
  double zooms[] = { 1.0, 1.37, 2.9 };
  int sf;

  for (int p = 0; p < P; p++)
    values[p] = (p * 37) % P;
  gm_colorize (values, rows, cols, GM_COLORMAP_VIRIDIS, 0, P - 1, 0, argb);
  gtk_window_set_default_size (GTK_WINDOW (window), 203, 171);   /* odd sizes on purpose */
  gtk_window_set_child (GTK_WINDOW (window), view);
  gms_genomap_view_set_genes (GMS_GENOMAP_VIEW (view), rows, cols, NULL);
  gms_genomap_view_set_range (GMS_GENOMAP_VIEW (view), 0, P - 1);
  gms_genomap_view_set_values (GMS_GENOMAP_VIEW (view), values, "test");
  gtk_window_present (GTK_WINDOW (window));
  wait_for_draw (view);
  sf = gtk_widget_get_scale_factor (view);
  g_test_message ("scale factor %d", sf);

  for (guint z = 0; z < G_N_ELEMENTS (zooms); z++)
    {
      g_autoptr(GdkTexture) texture = NULL;
      g_autofree guint32 *px = NULL;
      int W, H, inside = 0;

      gms_genomap_view_set_zoom (GMS_GENOMAP_VIEW (view), zooms[z]);
      wait_for_draw (view);
      texture = render_widget_scaled (view, sf);
      W = gdk_texture_get_width (texture);
      H = gdk_texture_get_height (texture);
      px = download (texture);
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
          {
            /* the device pixel's centre, in widget units */
            int p = gms_genomap_view_pick (GMS_GENOMAP_VIEW (view), (x + 0.5) / sf, (y + 0.5) / sf);
            gboolean ok = FALSE;
            if (p < 0)
              continue;
            inside++;
            for (int q = 0; q < P && !ok; q++)
              ok = (px[y * W + x] | 0xff000000u) == (argb[q] | 0xff000000u);
            if (!ok)
              g_error ("zoom %.2f, scale %d: device pixel (%d, %d) is %08x, a blend", zooms[z], sf, x, y, px[y * W + x]);
          }
      g_assert_cmpint (inside, >, 100);
    }
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  gms_application_ensure_resources ();
  tmpdir = g_dir_make_tmp ("gms-ui-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/ui/open-browse-render", test_open_browse_render);
  g_test_add_func ("/ui/thumbnails", test_thumbnails);
  g_test_add_func ("/ui/export", test_export);
  g_test_add_func ("/ui/saved-layout", test_saved_layout_reused);
  g_test_add_func ("/ui/layout-device", test_layout_device);
  g_test_add_func ("/ui/errors", test_errors);
  g_test_add_func ("/ui/dialogs", test_dialogs);
  g_test_add_func ("/ui/cancel-and-drop", test_cancel_and_drop);
  g_test_add_func ("/ui/crisp", test_crisp);
  g_test_add_func ("/ui/large", test_large);
  status = g_test_run ();

  if (status == 0)
    {
      g_autoptr(GDir) d = g_dir_open (tmpdir, 0, NULL);
      const char *name;
      while (d != NULL && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *p = g_build_filename (tmpdir, name, NULL);
          g_remove (p);
        }
      g_rmdir (tmpdir);
    }
  g_free (tmpdir);
  return status;
}
