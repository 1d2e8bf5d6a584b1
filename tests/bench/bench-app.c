/* bench-app.c — the application's own timings, and its screenshots
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Not a test.  Runs the real application (GmsApplication, its window, its style sheet)
 * under a display and drives it through its public API:
 *
 *   bench-app open FILE         time from gms_window_open_file to the first frame painted with
 *                               the GenoMap of a cell on screen; RSS before and after
 *   bench-app scroll FILE       frame times while the grid of cells scrolls (the scrolled
 *                               window's vadjustment moved by --step pixels every frame)
 *   bench-app impute FILE       frame times while an ER-Net imputation runs (--steps, tiny model;
 *                               the window redrawn every frame, as an animation would)
 *   bench-app screenshots FILE DIR   PNGs of the window: cells (a cell selected, a gene found),
 *                               groups, imputation after a short tiny run, cells in the dark style
 *
 * Frame times come from the window's GdkFrameClock: "busy" is the time from its before-paint
 * to its after-paint signal (layout, snapshot and rendering of one frame), "interval" the time
 * between two after-paints (what the user sees; under Xvfb the clock paces frames at 60 Hz).
 * Memory: VmRSS from /proc/self/status.
 *
 * Environment: GSETTINGS_SCHEMA_DIR (the compiled org.genomap.Studio schema, e.g.
 * BUILD/tests/ui), GSETTINGS_BACKEND=memory, GSK_RENDERER (cairo or gl).
 * See scripts/screenshots.sh and docs/performance.md, "The application".
 */
#include "config.h"

#include <adwaita.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gm-ernet.h"
#include "gms-application.h"
#include "gms-cell-browser.h"
#include "gms-cell-list.h"
#include "gms-dataset.h"
#include "gms-compare-view.h"
#include "gms-genomap-view.h"
#include "gms-groups-page.h"
#include "gms-impute-page.h"
#include "gms-window.h"

static const char *mode, *path, *out_dir;
static int n_frames = 600;
static int step_px = 60;
static int impute_steps = 300;
static int width = 1200, height = 800;
static int status = 0;
static int scroll_margin = 150;
static char *gene;
static char *shot_method;   /* screenshots: ernet (default), knn or magic */

/* ------------------------------------------------------------ helpers */

static gint64
status_kb (const char *key)
{
  g_autofree char *text = NULL;
  const char *p;

  if (!g_file_get_contents ("/proc/self/status", &text, NULL, NULL) || (p = strstr (text, key)) == NULL)
    return -1;
  return g_ascii_strtoll (p + strlen (key), NULL, 10);
}

static GtkWidget *
find_child (GtkWidget *widget,
            GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_child (c, type);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
iterate_for (double seconds)
{
  gint64 until = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (g_get_monotonic_time () < until)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
}

#define WAIT_UNTIL(cond, what, seconds)                                           \
  G_STMT_START {                                                                  \
    gint64 _end = g_get_monotonic_time () + (gint64) (seconds) * G_USEC_PER_SEC;  \
    while (!(cond))                                                               \
      {                                                                           \
        if (g_get_monotonic_time () > _end)                                       \
          g_error ("timed out waiting for %s", what);                             \
        g_main_context_iteration (NULL, TRUE);                                    \
      }                                                                           \
  } G_STMT_END

/* ------------------------------------------------------------ frame times */

typedef struct
{
  GArray   *busy, *interval;      /* µs, as double */
  gint64    start, last_end;
  gboolean  on;
  guint     n_painted;
  /* open: the first frame that painted the view with values */
  GmsGenomapView *view;
  gboolean  view_had_values;
  gint64    first_data_frame;
} Frames;

static Frames frames;

static void
before_paint_cb (GdkFrameClock *clock,
                 Frames        *f)
{
  f->start = g_get_monotonic_time ();
  f->view_had_values = f->view != NULL && gms_genomap_view_get_values (f->view) != NULL &&
                       gtk_widget_get_mapped (GTK_WIDGET (f->view));
}

static void
after_paint_cb (GdkFrameClock *clock,
                Frames        *f)
{
  gint64 now = g_get_monotonic_time ();

  f->n_painted++;
  if (f->view_had_values && f->first_data_frame == 0)
    f->first_data_frame = now;
  if (f->on && f->start != 0)
    {
      double busy = now - f->start, interval = now - f->last_end;
      g_array_append_val (f->busy, busy);
      if (f->last_end != 0)
        g_array_append_val (f->interval, interval);
    }
  f->last_end = now;
}

static void
frames_attach (GtkWidget *window)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);

  frames.busy = g_array_new (FALSE, FALSE, sizeof (double));
  frames.interval = g_array_new (FALSE, FALSE, sizeof (double));
  g_signal_connect (clock, "before-paint", G_CALLBACK (before_paint_cb), &frames);
  g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &frames);
}

static void
frames_reset (void)
{
  g_array_set_size (frames.busy, 0);
  g_array_set_size (frames.interval, 0);
  frames.last_end = 0;
  frames.start = 0;
}

static int
cmp_double (const void *a,
            const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static void
print_stats (const char *what,
             GArray     *a)
{
  double *v = (double *) a->data;
  guint n = a->len;

  if (n == 0)
    {
      printf ("%s: no frames\n", what);
      return;
    }
  qsort (v, n, sizeof (double), cmp_double);
  printf ("%s: %u frames, median %.1f ms, 95th percentile %.1f ms, max %.1f ms\n", what, n,
          v[n / 2] / 1e3, v[MIN (n - 1, (guint) (n * 0.95))] / 1e3, v[n - 1] / 1e3);
}

/* the longest time the main loop went without running a 5 ms timeout */
static gint64 last_tick, worst_stall, worst_stall_at;

static gboolean
stall_tick_cb (gpointer data)
{
  gint64 now = g_get_monotonic_time ();

  if (last_tick != 0 && now - last_tick > worst_stall)
    {
      worst_stall = now - last_tick;
      worst_stall_at = now;
    }
  last_tick = now;
  return G_SOURCE_CONTINUE;
}

static void
stall_reset (void)
{
  last_tick = 0;
  worst_stall = 0;
}

/* ------------------------------------------------------------ opening */

static gint64 rss_baseline;

static GmsWindow *
open_and_wait (GmsWindow *window)
{
  g_autoptr(GFile) file = g_file_new_for_commandline_arg (path);
  GmsCellBrowser *browser = gms_window_get_cell_browser (window);
  gint64 t0, t_loaded = 0;
  GtkWidget *bar, *label;
  g_autofree char *stage = NULL;

  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  gtk_window_present (GTK_WINDOW (window));
  frames_attach (GTK_WIDGET (window));
  WAIT_UNTIL (frames.n_painted > 0, "the first frame", 30);
  iterate_for (0.5);
  rss_baseline = status_kb ("VmRSS:");
  frames.view = gms_cell_browser_get_view (browser);
  stall_reset ();

  t0 = g_get_monotonic_time ();
  gms_window_open_file (window, file);
  bar = find_child (GTK_WIDGET (window), GTK_TYPE_PROGRESS_BAR);
  label = bar ? gtk_widget_get_next_sibling (bar) : NULL;
  while (frames.first_data_frame == 0)
    {
      if (t_loaded == 0 && !gms_window_is_loading (window))
        t_loaded = g_get_monotonic_time ();
      /* the stages of loading, as the window's progress label shows them */
      if (t_loaded == 0 && GTK_IS_LABEL (label) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (label)), stage) != 0)
        {
          g_free (stage);
          stage = g_strdup (gtk_label_get_label (GTK_LABEL (label)));
          printf ("  %6.2f s  %s\n", (g_get_monotonic_time () - t0) / 1e6, stage);
        }
      if (g_get_monotonic_time () - t0 > 600 * G_USEC_PER_SEC)
        g_error ("timed out opening %s", path);
      g_main_context_iteration (NULL, TRUE);
    }
  if (gms_window_get_dataset (window) == NULL)
    g_error ("%s did not open", path);
  {
    const GmDataset *ds = gms_dataset_get_data (gms_window_get_dataset (window));
    printf ("dataset: %s, %" G_GINT64_FORMAT " cells × %" G_GINT64_FORMAT " genes, GenoMap %d × %d\n", path,
            (gint64) gm_dataset_n_cells (ds), (gint64) gm_dataset_n_genes (ds),
            gms_dataset_get_map_rows (gms_window_get_dataset (window)),
            gms_dataset_get_map_cols (gms_window_get_dataset (window)));
  }
  printf ("open → loaded (worker: read, layout, statistics, mappers): %.2f s\n",
          ((t_loaded ? t_loaded : frames.first_data_frame) - t0) / 1e6);
  printf ("open → first frame with the GenoMap on screen: %.2f s\n", (frames.first_data_frame - t0) / 1e6);
  printf ("longest main-loop stall while opening: %.1f ms, ending %.2f s after the open call\n", worst_stall / 1e3,
          (worst_stall_at - t0) / 1e6);
  printf ("RSS: %.1f MiB before opening, %.1f MiB at the first GenoMap (+%.1f MiB)\n",
          rss_baseline / 1024.0, status_kb ("VmRSS:") / 1024.0, (status_kb ("VmRSS:") - rss_baseline) / 1024.0);
  return window;
}

static void
print_memory_settled (void)
{
  /* thumbnails of the visible cells and the group means made in the background */
  iterate_for (3.0);
  printf ("RSS 3 s later (thumbnails made): %.1f MiB (+%.1f MiB over the empty window); peak VmHWM %.1f MiB\n",
          status_kb ("VmRSS:") / 1024.0, (status_kb ("VmRSS:") - rss_baseline) / 1024.0,
          status_kb ("VmHWM:") / 1024.0);
}

/* ------------------------------------------------------------ scrolling */

static gboolean
scroll_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       data)
{
  GtkAdjustment *adj = data;
  double v = gtk_adjustment_get_value (adj) + step_px;

  if (v > gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj))
    v = 0;
  gtk_adjustment_set_value (adj, v);
  return G_SOURCE_CONTINUE;
}

static void
run_scroll (GmsWindow *window)
{
  GmsCellBrowser *browser = gms_window_get_cell_browser (window);
  GtkWidget *grid = find_child (GTK_WIDGET (browser), GTK_TYPE_GRID_VIEW);
  GtkAdjustment *adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (grid));
  guint tick;
  gint64 t0;
  double start;

  iterate_for (2.0);
  start = gtk_adjustment_get_value (adj);
  printf ("grid: %u items, scrollable height %.0f px, page %.0f px, %d px per frame\n",
          g_list_model_get_n_items (gms_cell_browser_get_cells (browser)), gtk_adjustment_get_upper (adj),
          gtk_adjustment_get_page_size (adj), step_px);
  frames_reset ();
  stall_reset ();
  frames.on = TRUE;
  t0 = g_get_monotonic_time ();
  tick = gtk_widget_add_tick_callback (grid, scroll_tick_cb, adj, NULL);
  WAIT_UNTIL (frames.busy->len >= (guint) n_frames, "the frames", 600);
  gtk_widget_remove_tick_callback (grid, tick);
  frames.on = FALSE;
  printf ("scrolled %.0f px in %.2f s (%.0f px/s)\n", gtk_adjustment_get_value (adj) - start,
          (g_get_monotonic_time () - t0) / 1e6, (gtk_adjustment_get_value (adj) - start) / ((g_get_monotonic_time () - t0) / 1e6));
  print_stats ("frame interval while scrolling", frames.interval);
  print_stats ("frame busy time (layout + snapshot + render) while scrolling", frames.busy);
  printf ("longest main-loop stall while scrolling: %.1f ms\n", worst_stall / 1e3);
}

/* ------------------------------------------------------------ imputation */

static GmsImputePage *
get_impute_page (GmsWindow *window)
{
  GtkWidget *page = find_child (GTK_WIDGET (window), GMS_TYPE_IMPUTE_PAGE);

  if (page == NULL)
    g_error ("no imputation page in this build");
  return GMS_IMPUTE_PAGE (page);
}

static void
start_tiny_run (GmsImputePage *page,
                int            steps)
{
  GmsImputeParams p;

  gms_impute_params_init (&p);
  p.method = GMS_IMPUTE_METHOD_ERNET;
  if (g_strcmp0 (shot_method, "magic") == 0 || g_strcmp0 (shot_method, "knn") == 0)
    {
      /* a baseline scored against simulated 5 % observations of the dataset */
      p.method = g_str_equal (shot_method, "magic") ? GMS_IMPUTE_METHOD_MAGIC : GMS_IMPUTE_METHOD_KNN;
      p.seed = 7;
      p.eval_mode = GMS_EVAL_SIMULATED;
      p.sim_efficiency = 5.0;
      gms_impute_page_set_params (page, &p);
      gms_impute_params_clear (&p);
      if (!gms_impute_page_run (page))
        g_error ("the imputation did not start");
      return;
    }
  p.preset = GM_ERNET_TINY;
  p.steps = steps;
  p.batch = 16;
  p.seed = 7;
  p.device = g_strdup ("cpu");
  p.eval_mode = GMS_EVAL_HOLDOUT;
  p.holdout_fraction = 0.1;
  gms_impute_page_set_params (page, &p);
  gms_impute_params_clear (&p);
  if (!gms_impute_page_run (page))
    g_error ("the imputation did not start");
}

static gboolean
redraw_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       data)
{
  gtk_widget_queue_draw (widget);
  return G_SOURCE_CONTINUE;
}

static void
run_impute (GmsWindow *window)
{
  GmsImputePage *page = get_impute_page (window);
  guint tick;
  gint64 t0;

  gms_window_show_page (window, "imputation");
  iterate_for (1.0);
  frames_reset ();
  stall_reset ();
  start_tiny_run (page, impute_steps);
  frames.on = TRUE;
  t0 = g_get_monotonic_time ();
  tick = gtk_widget_add_tick_callback (GTK_WIDGET (window), redraw_tick_cb, NULL, NULL);
  WAIT_UNTIL (!gms_impute_page_get_running (page), "the imputation", 900);
  gtk_widget_remove_tick_callback (GTK_WIDGET (window), tick);
  frames.on = FALSE;
  printf ("ER-Net tiny, %d steps, batch 16, CPU: %.1f s%s\n", impute_steps, (g_get_monotonic_time () - t0) / 1e6,
          gms_impute_page_get_last_error (page) ? " (failed)" : "");
  print_stats ("frame interval while imputing (window redrawn every frame)", frames.interval);
  print_stats ("frame busy time while imputing", frames.busy);
  printf ("longest main-loop stall while imputing: %.1f ms\n", worst_stall / 1e3);
}

/* ------------------------------------------------------------ screenshots */

static void
screenshot (GmsWindow  *window,
            const char *name)
{
  GtkWidget *widget = GTK_WIDGET (window);
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *file = g_build_filename (out_dir, name, NULL);
  GtkSnapshot *snapshot;
  int w, h, sf;

  iterate_for (0.8);   /* transitions (the view stack's crossfade) */
  gtk_test_widget_wait_for_draw (widget);
  w = gtk_widget_get_width (widget);
  h = gtk_widget_get_height (widget);
  sf = gtk_widget_get_scale_factor (widget);   /* GDK_SCALE=2: a HiDPI picture, in device pixels */
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gtk_snapshot_scale (snapshot, sf, sf);
  gdk_paintable_snapshot (paintable, snapshot, w, h);
  node = gtk_snapshot_free_to_node (snapshot);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, w * sf, h * sf));
  if (!gdk_texture_save_to_png (texture, file))
    g_error ("could not write %s", file);
  printf ("wrote %s (%d × %d)\n", file, w * sf, h * sf);
}

/* Scrolls the imputation page so that the before/after maps and the Pearson plots show. */
static void
scroll_to_results (GtkWidget *page)
{
  GtkWidget *compare = find_child (page, GMS_TYPE_COMPARE_VIEW);
  GtkWidget *sw = compare ? gtk_widget_get_ancestor (compare, GTK_TYPE_SCROLLED_WINDOW) : NULL;
  GtkAdjustment *adj;
  graphene_point_t p;

  if (sw == NULL)
    return;
  adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (sw));
  if (!gtk_widget_compute_point (compare, sw, &GRAPHENE_POINT_INIT (0, 0), &p))
    return;
  gtk_adjustment_set_value (adj, gtk_adjustment_get_value (adj) + p.y - scroll_margin);
}

static void
run_screenshots (GmsWindow *window)
{
  GmsCellBrowser *browser = gms_window_get_cell_browser (window);
  GListModel *cells = gms_cell_browser_get_cells (browser);
  GmsImputePage *page = get_impute_page (window);
  guint n = g_list_model_get_n_items (cells);
  gint64 cell = gms_cell_list_get_cell (GMS_CELL_LIST (cells), MIN (n - 1, n / 3 + 2));

  AdwStyleManager *style = adw_style_manager_get_default ();

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_LIGHT);
  gms_window_show_page (window, "cells");
  gms_cell_browser_select_cell (browser, cell);
  if (gene == NULL)
    {
      /* the gene at the middle of the map */
      GmsDataset *dataset = gms_window_get_dataset (window);
      int rows = gms_dataset_get_map_rows (dataset), cols = gms_dataset_get_map_cols (dataset);
      const char * const *genes = gms_dataset_get_pixel_genes (dataset);
      for (int p = (rows / 2) * cols + cols / 2; genes != NULL && p < rows * cols && gene == NULL; p++)
        if (genes[p] != NULL)
          gene = g_strdup (genes[p]);
    }
  if (gene != NULL)
    gms_cell_browser_highlight_gene (browser, gene);
  iterate_for (2.0);   /* thumbnails */
  screenshot (window, "cells.png");

  gms_window_show_page (window, "groups");
  WAIT_UNTIL (!gms_groups_page_is_busy (gms_window_get_groups_page (window)), "the group means", 120);
  screenshot (window, "groups.png");

  gms_window_show_page (window, "imputation");
  iterate_for (0.5);
  start_tiny_run (page, impute_steps);
  WAIT_UNTIL (!gms_impute_page_get_running (page), "the imputation", 900);
  if (gms_impute_page_get_last_error (page) != NULL)
    g_error ("imputation: %s", gms_impute_page_get_last_error (page)->message);
  gms_impute_page_set_cell (page, cell);
  iterate_for (6.0);   /* the "Imputation finished" toast goes away */
  scroll_to_results (GTK_WIDGET (page));
  screenshot (window, "imputation.png");

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  gms_window_show_page (window, "cells");
  screenshot (window, "cells-dark.png");
  gms_window_show_page (window, "imputation");
  screenshot (window, "imputation-dark.png");
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
}

/* ------------------------------------------------------------ main */

static void
activate_after_cb (GApplication *app)
{
  GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (app));
  GmsWindow *window = GMS_IS_WINDOW (active) ? GMS_WINDOW (active) : gms_window_new (GTK_APPLICATION (app));
  guint stall = g_timeout_add (5, stall_tick_cb, NULL);

  g_application_hold (app);
  printf ("GTK %u.%u.%u, libadwaita %u.%u.%u, renderer %s, %s\n", gtk_get_major_version (),
          gtk_get_minor_version (), gtk_get_micro_version (), adw_get_major_version (),
          adw_get_minor_version (), adw_get_micro_version (), g_getenv ("GSK_RENDERER") ? g_getenv ("GSK_RENDERER") : "default",
          g_getenv ("DISPLAY") ? "X11" : "?");
  open_and_wait (window);
  printf ("renderer in use: %s\n", G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (window))));
  if (g_str_equal (mode, "open"))
    print_memory_settled ();
  else if (g_str_equal (mode, "scroll"))
    run_scroll (window);
  else if (g_str_equal (mode, "impute"))
    run_impute (window);
  else if (g_str_equal (mode, "screenshots"))
    run_screenshots (window);
  fflush (stdout);
  g_source_remove (stall);
  gtk_window_destroy (GTK_WINDOW (window));
  g_application_release (app);
  g_application_quit (app);
}

int
main (int    argc,
      char **argv)
{
  GOptionEntry entries[] = {
    { "frames", 0, 0, G_OPTION_ARG_INT, &n_frames, "scroll: frames to time (600)", "N" },
    { "step", 0, 0, G_OPTION_ARG_INT, &step_px, "scroll: pixels per frame (60)", "PX" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &impute_steps, "impute, screenshots: ER-Net training steps (300)", "N" },
    { "width", 0, 0, G_OPTION_ARG_INT, &width, "window width (1200)", "PX" },
    { "height", 0, 0, G_OPTION_ARG_INT, &height, "window height (800)", "PX" },
    { "gene", 0, 0, G_OPTION_ARG_STRING, &gene, "screenshots: find this gene in the cell view (default: the gene at the middle of the map)", "NAME" },
    { "method", 0, 0, G_OPTION_ARG_STRING, &shot_method, "screenshots: ernet (tiny, hold-out; default), or knn / magic against simulated 5 % observations", "M" },
    { "scroll-margin", 0, 0, G_OPTION_ARG_INT, &scroll_margin, "screenshots: imputation page scrolled to this many px above the before/after maps (150)", "PX" },
    { NULL }
  };
  g_autoptr(GOptionContext) oc = g_option_context_new ("open|scroll|impute FILE | screenshots FILE DIR");
  g_autoptr(GError) error = NULL;
  g_autoptr(GmsApplication) app = NULL;
  char *app_argv[] = { argv[0], NULL };

  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error) || argc < 3 ||
      (g_str_equal (argv[1], "screenshots") && argc < 4))
    {
      g_printerr ("%s\n", error ? error->message : g_option_context_get_help (oc, TRUE, NULL));
      return 2;
    }
  mode = argv[1];
  path = argv[2];
  out_dir = argc > 3 ? argv[3] : ".";
  if (!g_str_equal (mode, "open") && !g_str_equal (mode, "scroll") && !g_str_equal (mode, "impute") &&
      !g_str_equal (mode, "screenshots"))
    {
      g_printerr ("unknown mode %s\n", mode);
      return 2;
    }

  app = gms_application_new ();
  g_application_set_flags (G_APPLICATION (app), g_application_get_flags (G_APPLICATION (app)) | G_APPLICATION_NON_UNIQUE);
  g_signal_connect_after (app, "activate", G_CALLBACK (activate_after_cb), NULL);
  g_application_run (G_APPLICATION (app), 1, app_argv);
  return status;
}
