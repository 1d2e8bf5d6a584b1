/* test-impute-page.c — the Imputation page, its worker, plots and exports
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Needs a display (run by run-ui-test.sh under Xvfb or Broadway); exits 77
 * when there is none.  GSETTINGS_BACKEND=memory and GSETTINGS_SCHEMA_DIR
 * pointing at the compiled org.genomap.Studio schema make the settings
 * bindings testable; without the schema the page runs without settings.
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "gm-baselines.h"
#include "gm-ernet.h"
#include "gm-evaluate.h"
#include "gm-impute.h"
#include "gm-io.h"
#include "gm-simulate.h"
#include "gms-compare-view.h"
#include "gms-dataset.h"
#include "gms-export-item.h"
#include "gms-gene-trace.h"
#include "gms-impute-estimate.h"
#include "gms-impute-page.h"
#include "gms-loss-plot.h"
#include "gms-pearson-plot.h"

static GmsDataset *dataset;
static char *tmpdir;

/* the settings of the test runs: tiny network, few steps (core tests use the same) */
static void
tiny_params (GmsImputeParams *p,
             int              steps)
{
  gms_impute_params_init (p);
  p->method = GMS_IMPUTE_METHOD_ERNET;
  p->preset = GM_ERNET_TINY;
  p->steps = steps;
  p->batch = 16;
  p->lr = 2e-3;
  p->seed = 7;
  p->device = g_strdup ("cpu");     /* bit-for-bit reproducible: recomputed below */
  p->eval_mode = GMS_EVAL_HOLDOUT;
  p->holdout_fraction = 0.1;
}

/* a checksum of everything in X, to prove the input was not touched */
static guint64
csr_hash (const GmCsr *m)
{
  guint64 h = 1469598103934665603ull;
  const guchar *parts[3] = { (const guchar *) m->indptr, (const guchar *) m->indices, (const guchar *) m->data };
  gsize sizes[3] = { sizeof (int64_t) * (m->n_rows + 1), sizeof (int32_t) * m->indptr[m->n_rows],
                     sizeof (float) * m->indptr[m->n_rows] };

  for (int k = 0; k < 3; k++)
    for (gsize i = 0; i < sizes[k]; i++)
      h = (h ^ parts[k][i]) * 1099511628211ull;
  return h;
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

typedef struct
{
  gint64 last, last_cpu;
  gint64 max_gap;       /* wall clock between two runs of a 5 ms timeout */
  gint64 max_cpu;       /* the main thread's own CPU time in such an interval */
} Watch;

static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* how long the main loop went without running a 5 ms timeout, and how much
 * of that the main thread itself spent working (the rest is the scheduler:
 * on a loaded machine the worker's BLAS threads compete for the cores) */
static gboolean
watch_tick (gpointer data)
{
  Watch *w = data;
  gint64 now = g_get_monotonic_time (), cpu = thread_cpu_us ();

  if (w->last != 0)
    {
      w->max_gap = MAX (w->max_gap, now - w->last);
      w->max_cpu = MAX (w->max_cpu, cpu - w->last_cpu);
    }
  w->last = now;
  w->last_cpu = cpu;
  return G_SOURCE_CONTINUE;
}

static void
wait_while_running (GmsImputePage *page,
                    double         timeout_s)
{
  gint64 end = g_get_monotonic_time () + (gint64) (timeout_s * G_USEC_PER_SEC);

  while (gms_impute_page_get_running (page))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, TRUE);
    }
}

static GtkWidget *
page_in_window (GtkWindow **window_out)
{
  GtkWidget *page = gms_impute_page_new ();
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());

  gtk_window_set_default_size (window, 1000, 800);
  gtk_window_set_child (window, page);
  gtk_window_present (window);
  gms_impute_page_set_dataset (GMS_IMPUTE_PAGE (page), dataset);
  *window_out = window;
  return page;
}

/* One parsed CSV row: gene and numbers (NaN for empty cells). */
static void
parse_csv_row (const char *line,
               char      **gene,
               double     *v,
               int         n)
{
  g_auto(GStrv) f = g_strsplit (line, ",", -1);

  g_assert_cmpint (g_strv_length (f), ==, n + 1);
  *gene = g_strdup (f[0]);
  for (int k = 0; k < n; k++)
    v[k] = f[k + 1][0] == '\0' ? NAN : g_ascii_strtod (f[k + 1], NULL);
}

static void
assert_close (double a,
              double b)
{
  if (isnan (a) || isnan (b))
    g_assert_true (isnan (a) && isnan (b));
  else
    g_assert_cmpfloat_with_epsilon (a, b, 1e-6 * MAX (1.0, fabs (b)));
}

/* A tiny ER-Net run through the page, to the end. */
static void
test_run_to_end (void)
{
  const GmDataset *ds = gms_dataset_get_data (dataset);
  guint64 before = csr_hash (&ds->X);
  GtkWindow *window;
  GmsImputePage *page = GMS_IMPUTE_PAGE (page_in_window (&window));
  GmsImputeParams p;
  GmsImputeResult *res;
  const GmDataset *imp;
  const GmEvalResult *ev;
  GmsLossPlot *loss;
  Watch watch = { 0, 0, 0, 0 };
  guint tick;
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) masked = NULL, masked_imp = NULL, back = NULL, counts = NULL;
  g_autoptr(GmErnetModel) model = NULL, loaded = NULL;
  g_autoptr(GmEvalResult) expect = NULL;
  g_autoptr(GmHoldoutResult) expect_h = NULL;
  g_autofree float *values = NULL;
  g_autofree char *csv = NULL, *csv_file = NULL, *path = NULL;
  g_auto(GStrv) lines = NULL;
  GmErnetImputeOptions eo;
  GListModel *items;
  GmsExportOptions xo = { 300 };
  int64_t n_hidden = 0;

  tiny_params (&p, 20);
  gms_impute_page_set_params (page, &p);
  gms_impute_params_clear (&p);
  {
    /* the controls are bound to GSettings when the schema is there */
    GSettingsSchemaSource *src = g_settings_schema_source_get_default ();
    g_autoptr(GSettingsSchema) schema = src ? g_settings_schema_source_lookup (src, APPLICATION_ID, TRUE) : NULL;
    if (schema != NULL)
      {
        g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
        g_autofree char *model_key = g_settings_get_string (settings, "impute-model");

        g_assert_cmpint (g_settings_get_int (settings, "impute-steps"), ==, 20);
        g_assert_cmpint (g_settings_get_int (settings, "impute-seed"), ==, 7);
        g_assert_cmpstr (model_key, ==, "tiny");
      }
    else
      g_test_message ("org.genomap.Studio schema not installed: settings bindings not checked");
  }

  /* renderer start-up (shader compilation on a software GL) is not ours to time */
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
  tick = g_timeout_add (5, watch_tick, &watch);
  g_assert_true (gms_impute_page_run (page));
  g_assert_true (gms_impute_page_get_running (page));
  g_assert_false (gms_impute_page_run (page));     /* one run at a time */
  wait_while_running (page, 120);
  g_source_remove (tick);
  g_test_message ("longest main-loop stall during the run: %.1f ms, of which at most %.1f ms of main-thread work",
                  watch.max_gap / 1000.0, watch.max_cpu / 1000.0);
  /* the main thread never works 50 ms at a stretch (it only appends losses,
   * draws and takes over the result by pointer); the wall-clock bound only
   * catches gross blocking on a loaded machine (training here would take seconds) */
  g_assert_cmpint (watch.max_cpu, <, 50000);
  g_assert_cmpint (watch.max_gap, <, 500000);

  g_assert_null (gms_impute_page_get_last_error (page));
  res = gms_impute_page_get_result (page);
  g_assert_nonnull (res);
  g_assert_cmpuint (csr_hash (&ds->X), ==, before);

  /* every step's loss reached the plot, in order */
  loss = GMS_LOSS_PLOT (find_child (GTK_WIDGET (page), GMS_TYPE_LOSS_PLOT));
  g_assert_cmpuint (gms_loss_plot_get_n_points (loss), ==, 20);
  g_assert_true (gms_loss_plot_get_last (loss) > 0);

  /* the imputed dataset: input's shape and names, counts scale, no NaN */
  imp = gms_impute_result_get_imputed_dataset (res);
  g_assert_cmpint (gm_dataset_n_cells (imp), ==, gm_dataset_n_cells (ds));
  g_assert_cmpint (gm_dataset_n_genes (imp), ==, gm_dataset_n_genes (ds));
  g_assert_cmpstr (imp->cell_names[3], ==, ds->cell_names[3]);
  g_assert_cmpstr (imp->gene_names[5], ==, ds->gene_names[5]);
  g_assert_true (gm_csr_validate (&imp->X, "imputed", &error));
  for (int64_t k = 0; k < gm_dataset_nnz (imp); k++)
    g_assert_true (isfinite (imp->X.data[k]) && imp->X.data[k] >= 0);
  g_assert_true (gms_impute_result_get_counts_layer (res) == &ds->X);
  g_assert_cmpstr (g_hash_table_lookup (imp->uns, "genomap_impute_method"), ==, "ernet");
  g_assert_cmpstr (g_hash_table_lookup (imp->uns, "genomap_impute_steps"), ==, "20");
  g_assert_cmpstr (g_hash_table_lookup (imp->uns, "genomap_impute_device"), ==, "cpu");
  g_assert_cmpstr (g_hash_table_lookup (imp->uns, "genomap_impute_target"), ==, "neighbours");   /* the default recipe */
  g_assert_cmpstr (g_hash_table_lookup (imp->uns, "genomap_impute_gene_head"), ==, "16");
  g_assert_nonnull (gms_impute_result_get_model (res));
  g_assert_cmpint (gm_ernet_model_steps (gms_impute_result_get_model (res)), ==, 20);

  /* the scores are core gm_evaluate's on the same hold-out, recomputed here */
  masked = gm_simulate_holdout (ds, 0.1, 7, &n_hidden, &error);
  g_assert_no_error (error);
  gm_ernet_impute_options_init (&eo);
  eo.preset = GM_ERNET_TINY;
  eo.steps = 20;
  eo.batch = 16;
  eo.lr = 2e-3;
  eo.seed = 7;
  model = gm_ernet_model_train (masked, gms_dataset_get_layout (dataset), &eo, &error);
  g_assert_no_error (error);
  values = gm_ernet_model_apply (model, masked, &eo, NULL, &error);
  g_assert_no_error (error);
  masked_imp = gm_dataset_new_with_dense_x (masked, values, &error);
  g_assert_no_error (error);
  expect = gm_evaluate (ds, masked_imp, masked, GM_SCALE_LOGNORM, &error);
  g_assert_no_error (error);
  expect_h = gm_evaluate_holdout (ds, masked, masked_imp, GM_SCALE_LOGNORM, &error);
  g_assert_no_error (error);

  ev = gms_impute_result_get_evaluation (res);
  g_assert_cmpint (ev->n_genes, ==, expect->n_genes);
  g_assert_cmpint (ev->after.n_undefined, ==, expect->after.n_undefined);
  g_assert_cmpint (gms_impute_result_get_holdout (res)->n_hidden, ==, n_hidden);
  g_assert_cmpfloat (gms_impute_result_get_holdout (res)->overall_r, ==, expect_h->overall_r);

  csv = gms_impute_result_pearson_csv (res);
  lines = g_strsplit (csv, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "gene,r_before,r_after,mse_before,mse_after,n_hidden,r_hidden");
  g_assert_cmpint (g_strv_length (lines), ==, expect->n_genes + 2);    /* header, rows, final "" */
  for (int64_t j = 0; j < expect->n_genes; j++)
    {
      g_autofree char *gene = NULL;
      double v[6];

      parse_csv_row (lines[j + 1], &gene, v, 6);
      g_assert_cmpstr (gene, ==, expect->gene_names[j]);
      assert_close (v[0], expect->r_before[j]);
      assert_close (v[1], expect->r_after[j]);
      assert_close (v[2], expect->mse_before[j]);
      assert_close (v[3], expect->mse_after[j]);
      g_assert_cmpfloat (v[4], ==, (double) expect_h->hidden_per_gene[j]);
      assert_close (v[5], expect_h->r[j]);
    }
  /* undefined r is an empty cell, not a number */
  if (expect->before.n_undefined > 0)
    g_assert_nonnull (strstr (csv, ",,"));

  /* exports: the table, the dataset with its counts layer, the model */
  items = gms_impute_page_get_export_items (page);
  g_assert_cmpuint (g_list_model_get_n_items (items), ==, 5);
  for (guint i = 0; i < g_list_model_get_n_items (items); i++)
    {
      g_autoptr(GmsExportItem) item = g_list_model_get_item (items, i);
      const char *ext = gms_export_item_get_extensions (item)[0];
      g_autofree char *name = g_strdup_printf ("export-%u.%s", i, ext);

      g_free (path);
      path = g_build_filename (tmpdir, name, NULL);
      g_assert_true (gms_export_item_save (item, path, &xo, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
      if (strcmp (ext, "csv") == 0)
        {
          g_assert_true (g_file_get_contents (path, &csv_file, NULL, &error));
          g_assert_cmpstr (csv_file, ==, csv);
        }
      else if (strcmp (ext, "h5ad") == 0)
        {
          GmReadOptions ro;

          back = gm_read (path, NULL, &error);
          g_assert_no_error (error);
          g_assert_cmpint (gm_dataset_nnz (back), ==, gm_dataset_nnz (imp));
          g_assert_cmpmem (back->X.data, sizeof (float) * gm_dataset_nnz (imp), imp->X.data,
                           sizeof (float) * gm_dataset_nnz (imp));
          gm_read_options_init (&ro);
          ro.layer = "counts";
          counts = gm_read (path, &ro, &error);
          g_assert_no_error (error);
          g_assert_cmpuint (csr_hash (&counts->X), ==, before);
        }
      else if (strcmp (ext, "gmernet") == 0)
        {
          loaded = gm_ernet_checkpoint_load (path, &error);
          g_assert_no_error (error);
          g_assert_cmpint (gm_ernet_model_steps (loaded), ==, 20);
        }
    }

  /* selecting a gene outlines its pixel and traces it */
  for (int64_t j = 0; j < ev->n_genes; j++)
    {
      int row, col;
      g_autofree double *r = NULL, *o = NULL, *m = NULL;
      int64_t n = 0;

      if (!gms_impute_result_gene_pixel (res, j, &row, &col) || isnan (ev->r_after[j]))
        continue;
      g_assert_true (gms_impute_result_gene_trace (res, j, &r, &o, &m, &n));
      g_assert_cmpint (n, ==, gm_dataset_n_cells (ds));
      /* the trace is what the Pearson r was computed from */
      assert_close (gm_pearson (m, r, n), ev->r_after[j]);
      gms_impute_page_select_gene (page, j);
      while (gms_gene_trace_get_gene (GMS_GENE_TRACE (find_child (GTK_WIDGET (page), GMS_TYPE_GENE_TRACE))) == NULL)
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpstr (gms_gene_trace_get_gene (GMS_GENE_TRACE (find_child (GTK_WIDGET (page), GMS_TYPE_GENE_TRACE))),
                       ==, ev->gene_names[j]);
      break;
    }

  /* finding cells by name: exact, then a case-insensitive part */
  g_assert_cmpint (gms_impute_page_find_cell (page, ds->cell_names[7]), ==, 7);
  {
    g_autofree char *part = g_utf8_strdown (ds->cell_names[9] + 2, 6);
    gint64 found = gms_impute_page_find_cell (page, part);
    g_autofree char *name = g_utf8_strdown (ds->cell_names[found], -1);

    g_assert_cmpint (found, >=, 0);
    g_assert_cmpint (found, <=, 9);
    g_assert_nonnull (strstr (name, part));
  }
  g_assert_cmpint (gms_impute_page_find_cell (page, "no such cell"), ==, -1);

  /* another cell in the compare view: its maps are the mapper's */
  gms_impute_page_set_cell (page, 5);
  g_assert_cmpint (gms_impute_page_get_cell (page), ==, 5);
  {
    const GmLayout *layout = gms_impute_result_get_layout (res);
    gsize n = (gsize) layout->rows * layout->cols;
    g_autofree float *obs = g_new (float, n), *im = g_new (float, n);
    const float *diff = gms_compare_view_get_difference (GMS_COMPARE_VIEW (find_child (GTK_WIDGET (page),
                                                                                        GMS_TYPE_COMPARE_VIEW)));

    gms_impute_result_map_cell (res, 5, obs, im);
    for (gsize i = 0; i < n; i++)
      if (isnan (obs[i]))
        g_assert_true (isnan (diff[i]));
      else
        g_assert_cmpfloat (diff[i], ==, im[i] - obs[i]);
  }

  /* the Training row: "as published" runs the TCER recipe */
  {
    AdwComboRow *recipe_row = ADW_COMBO_ROW (gtk_widget_get_template_child (GTK_WIDGET (page), GMS_TYPE_IMPUTE_PAGE,
                                                                            "recipe_row"));
    GmsImputeParams q;
    const GmDataset *imp2;

    adw_combo_row_set_selected (recipe_row, 1);
    gms_impute_params_init (&q);
    gms_impute_page_get_params (page, &q);
    g_assert_cmpint (q.recipe, ==, GM_ERNET_RECIPE_TCER);
    q.steps = 5;
    gms_impute_page_set_params (page, &q);
    gms_impute_params_clear (&q);
    g_assert_true (gms_impute_page_run (page));
    wait_while_running (page, 120);
    g_assert_null (gms_impute_page_get_last_error (page));
    imp2 = gms_impute_result_get_imputed_dataset (gms_impute_page_get_result (page));
    g_assert_cmpstr (g_hash_table_lookup (imp2->uns, "genomap_impute_target"), ==, "self");
    g_assert_cmpstr (g_hash_table_lookup (imp2->uns, "genomap_impute_loss"), ==, "paper");
    g_assert_cmpstr (g_hash_table_lookup (imp2->uns, "genomap_impute_gene_head"), ==, "0");
    gms_impute_params_init (&q);
    q.recipe = GM_ERNET_RECIPE_NEIGHBOURS;
    gms_impute_page_set_params (page, &q);
    g_assert_cmpuint (adw_combo_row_get_selected (recipe_row), ==, 0);
    gms_impute_params_clear (&q);
  }

  gtk_window_destroy (window);
}

/* Cancel a long run: it stops within a second, and nothing changes. */
static void
test_cancel (void)
{
  const GmDataset *ds = gms_dataset_get_data (dataset);
  guint64 before = csr_hash (&ds->X);
  GtkWindow *window;
  GmsImputePage *page = GMS_IMPUTE_PAGE (page_in_window (&window));
  GmsLossPlot *loss = GMS_LOSS_PLOT (find_child (GTK_WIDGET (page), GMS_TYPE_LOSS_PLOT));
  GmsImputeParams p;
  gint64 t0, end;
  const GError *error;

  tiny_params (&p, 100000);       /* minutes of work */
  gms_impute_page_set_params (page, &p);
  gms_impute_params_clear (&p);
  g_assert_true (gms_impute_page_run (page));
  end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (gms_loss_plot_get_n_points (loss) < 5)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, TRUE);
    }
  t0 = g_get_monotonic_time ();
  gms_impute_page_cancel (page);
  wait_while_running (page, 10);
  g_test_message ("stopped %.3f s after Cancel, at step %u", (g_get_monotonic_time () - t0) / 1e6,
                  gms_loss_plot_get_n_points (loss));
  g_assert_cmpint (g_get_monotonic_time () - t0, <, G_USEC_PER_SEC);
  g_assert_cmpuint (gms_loss_plot_get_n_points (loss), <, 100000);

  error = gms_impute_page_get_last_error (page);
  g_assert_error ((GError *) error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (gms_impute_page_get_result (page));
  g_assert_cmpuint (g_list_model_get_n_items (gms_impute_page_get_export_items (page)), ==, 0);
  g_assert_cmpuint (csr_hash (&ds->X), ==, before);
  gtk_window_destroy (window);
}

/* kNN through the page, scored against a reference file. */
static void
test_knn_reference (void)
{
  GtkWindow *window;
  GmsImputePage *page = GMS_IMPUTE_PAGE (page_in_window (&window));
  g_autofree char *ref = g_build_filename (g_getenv ("GM_TEST_DATA"), "csr_counts.h5ad", NULL);
  GmsImputeParams p;
  GmsImputeResult *res;
  const GmEvalResult *ev;
  g_autoptr(GError) error = NULL;
  g_autoptr(GmEvalResult) expect = NULL;
  g_autofree float *values = NULL;
  GmBaselineParams bp;

  gms_impute_params_init (&p);
  p.method = GMS_IMPUTE_METHOD_KNN;
  p.seed = 3;
  p.eval_mode = GMS_EVAL_REFERENCE;
  gms_impute_page_set_params (page, &p);
  g_assert_false (gms_impute_page_run (page));   /* no reference chosen yet */
  p.reference_path = g_strdup (ref);
  gms_impute_page_set_params (page, &p);
  gms_impute_params_clear (&p);
  g_assert_true (gms_impute_page_run (page));
  wait_while_running (page, 60);
  res = gms_impute_page_get_result (page);
  g_assert_nonnull (res);
  g_assert_null (gms_impute_result_get_model (res));
  g_assert_null (gms_impute_result_get_holdout (res));

  /* the file is the loaded dataset itself: r before is 1 for every defined gene */
  gm_baseline_params_init (&bp, GM_BASELINE_KNN);
  bp.seed = 3;
  values = gm_impute_baseline (&gms_dataset_get_data (dataset)->X, &bp, &error);
  g_assert_no_error (error);
  {
    g_autoptr(GmDataset) ref_ds = gm_read (ref, NULL, &error);
    g_autoptr(GmDataset) imp = gm_dataset_new_with_dense_x (gms_dataset_get_data (dataset), values, &error);

    g_assert_no_error (error);
    expect = gm_evaluate (ref_ds, imp, gms_dataset_get_data (dataset), GM_SCALE_LOGNORM, &error);
    g_assert_no_error (error);
  }
  ev = gms_impute_result_get_evaluation (res);
  g_assert_cmpint (ev->n_genes, ==, expect->n_genes);
  for (int64_t j = 0; j < ev->n_genes; j++)
    {
      assert_close (ev->r_after[j], expect->r_after[j]);
      if (!isnan (ev->r_before[j]))
        g_assert_cmpfloat_with_epsilon (ev->r_before[j], 1.0, 1e-9);
    }
  g_assert_cmpuint (g_list_model_get_n_items (gms_impute_page_get_export_items (page)), ==, 4);
  gtk_window_destroy (window);
}

/* MAGIC through the page, scored on simulated observations of the loaded data. */
static void
test_magic_simulated (void)
{
  const GmDataset *ds = gms_dataset_get_data (dataset);
  GtkWindow *window;
  GmsImputePage *page = GMS_IMPUTE_PAGE (page_in_window (&window));
  GmsImputeParams p;
  GmsImputeResult *res;
  const GmEvalResult *ev;
  const GmDataset *imp;
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) obs = NULL, obs_imp = NULL, full = NULL;
  g_autoptr(GmEvalResult) expect = NULL;
  g_autofree float *v_obs = NULL, *v_full = NULL;
  g_autofree char *csv = NULL;
  GmBaselineParams bp;

  gms_impute_params_init (&p);
  p.method = GMS_IMPUTE_METHOD_MAGIC;
  p.seed = 11;
  p.eval_mode = GMS_EVAL_SIMULATED;
  p.sim_efficiency = 20;
  gms_impute_page_set_params (page, &p);
  gms_impute_params_clear (&p);
  g_assert_true (gms_impute_page_run (page));
  wait_while_running (page, 60);
  res = gms_impute_page_get_result (page);
  g_assert_nonnull (res);
  g_assert_cmpint (gms_impute_result_get_eval_mode (res), ==, GMS_EVAL_SIMULATED);
  g_assert_null (gms_impute_result_get_holdout (res));

  /* the same flow by hand: simulate --efficiency 20 --seed 11, impute, evaluate */
  obs = gm_simulate_efficiency (ds, 10.0, 10.0 / 0.2, 11, &error);
  g_assert_no_error (error);
  gm_baseline_params_init (&bp, GM_BASELINE_MAGIC);
  bp.seed = 11;
  v_obs = gm_impute_baseline (&obs->X, &bp, &error);
  g_assert_no_error (error);
  obs_imp = gm_dataset_new_with_dense_x (obs, v_obs, &error);
  g_assert_no_error (error);
  expect = gm_evaluate (ds, obs_imp, obs, GM_SCALE_LOGNORM, &error);
  g_assert_no_error (error);
  ev = gms_impute_result_get_evaluation (res);
  g_assert_cmpint (ev->n_genes, ==, expect->n_genes);
  g_assert_cmpint (ev->n_improved, ==, expect->n_improved);
  for (int64_t j = 0; j < ev->n_genes; j++)
    {
      assert_close (ev->r_before[j], expect->r_before[j]);
      assert_close (ev->r_after[j], expect->r_after[j]);
    }
  csv = gms_impute_result_pearson_csv (res);
  g_assert_true (g_str_has_prefix (csv, "gene,r_before,r_after,mse_before,mse_after\n"));

  /* the result itself is MAGIC of the loaded data, not of the simulation */
  v_full = gm_impute_baseline (&ds->X, &bp, &error);
  g_assert_no_error (error);
  full = gm_dataset_new_with_dense_x (ds, v_full, &error);
  g_assert_no_error (error);
  imp = gms_impute_result_get_imputed_dataset (res);
  g_assert_cmpint (gm_dataset_nnz (imp), ==, gm_dataset_nnz (full));
  g_assert_cmpmem (imp->X.data, sizeof (float) * gm_dataset_nnz (imp), full->X.data,
                   sizeof (float) * gm_dataset_nnz (full));
  g_assert_nonnull (g_hash_table_lookup (imp->uns, "genomap_impute_decay"));
  gtk_window_destroy (window);
}

/* The Pearson plot's mapping from r to positions, undefined values, histograms. */
static void
test_pearson_mapping (void)
{
  const double before[] = { -1, 0, 1, NAN, 0.5, NAN, 0.05 };
  const double after[] = { 1, 0, -1, 0.5, NAN, NAN, 0.0 };
  const char * const names[] = { "a", "b", "c", "d", "e", "f", "g" };
  GmsPearsonPlot *plot = GMS_PEARSON_PLOT (g_object_ref_sink (gms_pearson_plot_new ()));
  graphene_rect_t a;
  double x, y;
  int64_t nb, na, nn;
  guint hb[GMS_PEARSON_BINS], ha[GMS_PEARSON_BINS];

  gms_pearson_plot_set_data (plot, before, after, names, 7);
  g_assert_cmpint (gms_pearson_plot_get_n_genes (plot), ==, 7);
  gms_pearson_plot_scatter_area (800, 400, &a);
  g_assert_cmpfloat (a.size.width, ==, a.size.height);
  g_assert_cmpfloat (a.size.width, >, 100);

  /* corners and centre */
  g_assert_true (gms_pearson_plot_gene_position (plot, 800, 400, 0, &x, &y));
  g_assert_cmpfloat (x, ==, a.origin.x);
  g_assert_cmpfloat (y, ==, a.origin.y);
  g_assert_true (gms_pearson_plot_gene_position (plot, 800, 400, 2, &x, &y));
  g_assert_cmpfloat (x, ==, a.origin.x + a.size.width);
  g_assert_cmpfloat (y, ==, a.origin.y + a.size.height);
  g_assert_true (gms_pearson_plot_gene_position (plot, 800, 400, 1, &x, &y));
  g_assert_cmpfloat_with_epsilon (x, a.origin.x + a.size.width / 2, 1e-9);
  g_assert_cmpfloat_with_epsilon (y, a.origin.y + a.size.height / 2, 1e-9);
  g_assert_cmpint (gms_pearson_plot_gene_at (plot, 800, 400, x + 1, y - 1), ==, 1);
  g_assert_cmpint (gms_pearson_plot_gene_at (plot, 800, 400, x + 30, y - 30), ==, -1);

  /* undefined before: left of the scatter at r after; undefined after: below at r before */
  g_assert_true (gms_pearson_plot_gene_position (plot, 800, 400, 3, &x, &y));
  g_assert_cmpfloat (x, <, a.origin.x);
  g_assert_cmpfloat_with_epsilon (y, a.origin.y + a.size.height * 0.25, 1e-9);
  g_assert_true (gms_pearson_plot_gene_position (plot, 800, 400, 4, &x, &y));
  g_assert_cmpfloat_with_epsilon (x, a.origin.x + a.size.width * 0.75, 1e-9);
  g_assert_cmpfloat (y, >, a.origin.y + a.size.height);
  g_assert_cmpint (gms_pearson_plot_gene_at (plot, 800, 400, x, y), ==, 4);
  /* undefined on both sides: not drawn, but counted */
  g_assert_false (gms_pearson_plot_gene_position (plot, 800, 400, 5, &x, &y));
  gms_pearson_plot_get_undefined (plot, &nb, &na, &nn);
  g_assert_cmpint (nb, ==, 1);
  g_assert_cmpint (na, ==, 1);
  g_assert_cmpint (nn, ==, 1);

  /* histograms of the defined values, 0.1 wide bins; r = 1 in the last bin */
  gms_pearson_plot_get_histogram (plot, FALSE, hb);
  gms_pearson_plot_get_histogram (plot, TRUE, ha);
  g_assert_cmpuint (hb[0], ==, 1);     /* −1 */
  g_assert_cmpuint (hb[10], ==, 2);    /* 0 and 0.05 */
  g_assert_cmpuint (hb[15], ==, 1);    /* 0.5 */
  g_assert_cmpuint (hb[19], ==, 1);    /* 1 */
  g_assert_cmpuint (ha[19], ==, 1);
  g_assert_cmpuint (ha[10], ==, 2);
  g_assert_cmpuint (ha[15], ==, 1);
  g_assert_cmpuint (ha[0], ==, 1);
  {
    guint total = 0;
    for (int k = 0; k < GMS_PEARSON_BINS; k++)
      total += hb[k];
    g_assert_cmpuint (total, ==, 5);
  }

  gms_pearson_plot_set_selected_gene (plot, 3);
  g_assert_cmpint (gms_pearson_plot_get_selected_gene (plot), ==, 3);
  gms_pearson_plot_set_selected_gene (plot, 99);
  g_assert_cmpint (gms_pearson_plot_get_selected_gene (plot), ==, -1);
  g_object_unref (plot);
}

/* The loss plot keeps step i at index i − 1, with gaps for steps never delivered. */
static void
test_loss_plot (void)
{
  GmsLossPlot *plot = GMS_LOSS_PLOT (g_object_ref_sink (gms_loss_plot_new ()));
  const double a[] = { 0.5, 0.4 }, b[] = { 0.2 };

  gms_loss_plot_set_n_steps (plot, 10);
  gms_loss_plot_append (plot, 1, a, 2);
  g_assert_cmpuint (gms_loss_plot_get_n_points (plot), ==, 2);
  gms_loss_plot_append (plot, 4, b, 1);
  g_assert_cmpuint (gms_loss_plot_get_n_points (plot), ==, 4);
  g_assert_cmpfloat (gms_loss_plot_get_last (plot), ==, 0.2);
  gms_loss_plot_append (plot, 2, b, 1);      /* a re-delivered step replaces what follows */
  g_assert_cmpuint (gms_loss_plot_get_n_points (plot), ==, 2);
  gms_loss_plot_clear (plot);
  g_assert_cmpuint (gms_loss_plot_get_n_points (plot), ==, 0);
  g_assert_true (isnan (gms_loss_plot_get_last (plot)));
  g_object_unref (plot);
}

/* The compare view: one shared scale for both maps, a symmetric one for the difference. */
static void
test_compare_scales (void)
{
  const float obs[6] = { 0, 1, 2, NAN, 3, 0.5f };
  const float imp[6] = { 1, 1, 4, NAN, 2, 0.5f };
  GmsCompareView *view = GMS_COMPARE_VIEW (g_object_ref_sink (gms_compare_view_new ()));
  const float *diff;
  double lo, hi, lim;

  gms_compare_view_set_maps (view, obs, imp, 2, 3);
  diff = gms_compare_view_get_difference (view);
  g_assert_cmpfloat (diff[0], ==, 1);
  g_assert_cmpfloat (diff[2], ==, 2);
  g_assert_true (isnan (diff[3]));
  g_assert_cmpfloat (diff[4], ==, -1);
  gms_compare_view_get_scales (view, &lo, &hi, &lim);
  g_assert_cmpfloat (lo, ==, 0);
  g_assert_cmpfloat (hi, ==, 4);       /* the larger of the two maps */
  g_assert_cmpfloat (lim, ==, 2);      /* ±max |difference| */
  g_object_unref (view);
}

/* Parameter counts and sizes the estimate uses are the network's. */
/* Choosing a model brings its recipe's steps, unless the steps were changed
 * by hand from the previous model's recipe. */
static void
test_recipe_steps (void)
{
  GtkWidget *page = g_object_ref_sink (gms_impute_page_new ());
  AdwComboRow *model_row = ADW_COMBO_ROW (gtk_widget_get_template_child (page, GMS_TYPE_IMPUTE_PAGE, "model_row"));
  GmsImputeParams p;

  gms_impute_params_init (&p);
  g_assert_cmpint (p.steps, ==, 1000);
  g_assert_cmpint (p.preset, ==, GM_ERNET_COMPACT);
  gms_impute_page_set_params (GMS_IMPUTE_PAGE (page), &p);
  gms_impute_params_clear (&p);
  adw_combo_row_set_selected (model_row, 1);           /* paper */
  gms_impute_page_get_params (GMS_IMPUTE_PAGE (page), &p);
  g_assert_cmpint (p.preset, ==, GM_ERNET_PAPER);
  g_assert_cmpint (p.steps, ==, 2500);
  gms_impute_params_clear (&p);
  adw_combo_row_set_selected (model_row, 0);           /* compact */
  gms_impute_page_get_params (GMS_IMPUTE_PAGE (page), &p);
  g_assert_cmpint (p.steps, ==, 1000);
  p.steps = 777;
  gms_impute_page_set_params (GMS_IMPUTE_PAGE (page), &p);
  gms_impute_params_clear (&p);
  adw_combo_row_set_selected (model_row, 1);           /* paper: hand-set steps stay */
  gms_impute_page_get_params (GMS_IMPUTE_PAGE (page), &p);
  g_assert_cmpint (p.preset, ==, GM_ERNET_PAPER);
  g_assert_cmpint (p.steps, ==, 777);
  gms_impute_params_clear (&p);
  g_object_unref (page);
}

static void
test_estimate (void)
{
  g_autoptr(GmNnBackend) be = gm_nn_backend_cpu ();
  const GmErnetPreset presets[] = { GM_ERNET_TINY, GM_ERNET_COMPACT, GM_ERNET_PAPER };
  GmsImputeEstimate e1, e2, e3;

  for (guint i = 0; i < G_N_ELEMENTS (presets); i++)
    {
      GmErnetConfig cfg = gm_ernet_config (presets[i], 0);
      GmErnet *net = gm_ernet_new (be, &cfg);

      g_assert_cmpuint (gms_impute_n_params (presets[i]), ==, gm_ernet_n_trainable (net));
      gm_ernet_free (net);
    }
  g_assert_cmpint (gms_impute_padded_size (6, 6), ==, 8);
  g_assert_cmpint (gms_impute_padded_size (49, 49), ==, 52);
  g_assert_cmpint (gms_impute_padded_size (33, 20), ==, 36);

  /* the measured table point: compact, 49 × 49 (→ 52), batch 64 */
  gms_impute_estimate (GMS_IMPUTE_METHOD_ERNET, GM_ERNET_COMPACT, GM_ERNET_RECIPE_TCER, 49, 49, 10000, 2000, 100, 64, FALSE, &e1);
  g_assert_cmpfloat_with_epsilon (e1.step_seconds, 0.736, 1e-9);
  g_assert_cmpint (e1.map_size, ==, 52);
  gms_impute_estimate (GMS_IMPUTE_METHOD_ERNET, GM_ERNET_COMPACT, GM_ERNET_RECIPE_TCER, 49, 49, 10000, 2000, 200, 64, FALSE, &e2);
  g_assert_cmpfloat_with_epsilon (e2.seconds - e1.seconds, 100 * 0.736, 1e-6);
  gms_impute_estimate (GMS_IMPUTE_METHOD_ERNET, GM_ERNET_PAPER, GM_ERNET_RECIPE_TCER, 49, 49, 10000, 2000, 100, 64, FALSE, &e3);
  g_assert_cmpfloat_with_epsilon (e3.step_seconds, 4.87, 1e-9);
  g_assert_cmpuint (e3.bytes, >, e1.bytes);
  /* within 2× of the measured peak of the paper run (1.52 GB resident) minus the results */
  g_assert_cmpuint (e3.bytes - (guint64) (12.0 * 10000 * 2000), >, 760000000);
  g_assert_cmpuint (e3.bytes - (guint64) (12.0 * 10000 * 2000), <, 3040000000u);
  /* kNN at the fitted sizes */
  gms_impute_estimate (GMS_IMPUTE_METHOD_KNN, GM_ERNET_COMPACT, GM_ERNET_RECIPE_NEIGHBOURS, 0, 0, 10000, 2000, 0, 0, FALSE, &e1);
  g_assert_cmpfloat_with_epsilon (e1.seconds, 0.83, 0.01);
  gms_impute_estimate (GMS_IMPUTE_METHOD_MAGIC, GM_ERNET_COMPACT, GM_ERNET_RECIPE_NEIGHBOURS, 0, 0, 3000, 2000, 0, 0, FALSE, &e1);
  g_assert_cmpfloat_with_epsilon (e1.seconds, 0.55, 0.01);
  /* the neighbours recipe: the gene head's parameters (16 · (T² + 1) + 17 · T² at T = 52),
   * and the neighbour search takes the kNN baseline's time (0.83 s at 10 000 cells) */
  gms_impute_estimate (GMS_IMPUTE_METHOD_ERNET, GM_ERNET_COMPACT, GM_ERNET_RECIPE_NEIGHBOURS, 49, 49, 10000, 2000,
                       100, 64, FALSE, &e1);
  gms_impute_estimate (GMS_IMPUTE_METHOD_ERNET, GM_ERNET_COMPACT, GM_ERNET_RECIPE_TCER, 49, 49, 10000, 2000, 100, 64,
                       FALSE, &e2);
  g_assert_cmpuint (e1.n_params - e2.n_params, ==, 16 * (52 * 52 + 1) + 17 * 52 * 52);
  g_assert_cmpfloat_with_epsilon (e1.seconds - e2.seconds, 0.83, 0.01);
  g_assert_cmpuint (e1.bytes, >, e2.bytes);
  /* above the pool (20 000 cells) the search costs no more */
  gms_impute_estimate (GMS_IMPUTE_METHOD_ERNET, GM_ERNET_COMPACT, GM_ERNET_RECIPE_NEIGHBOURS, 49, 49, 1000000, 2000,
                       100, 64, FALSE, &e1);
  gms_impute_estimate (GMS_IMPUTE_METHOD_ERNET, GM_ERNET_COMPACT, GM_ERNET_RECIPE_TCER, 49, 49, 1000000, 2000, 100, 64,
                       FALSE, &e2);
  g_assert_cmpfloat_with_epsilon (e1.seconds - e2.seconds, 5.0e-5 * 20000 + 3.3e-9 * 20000.0 * 20000.0, 1e-6);
}

/* core gm_dataset_new_with_dense_x: zeros left out, names copied, NaN refused */
static void
test_dense_dataset (void)
{
  const GmDataset *ds = gms_dataset_get_data (dataset);
  int64_t n = gm_dataset_n_cells (ds), g = gm_dataset_n_genes (ds);
  g_autofree float *v = g_new0 (float, n * g);
  g_autoptr(GmDataset) out = NULL;
  g_autoptr(GError) error = NULL;

  v[0] = 1.5f;
  v[g + 2] = 2.0f;
  v[n * g - 1] = 3.0f;
  out = gm_dataset_new_with_dense_x (ds, v, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gm_dataset_nnz (out), ==, 3);
  g_assert_cmpint (out->X.indptr[1], ==, 1);
  g_assert_cmpint (out->X.indices[1], ==, 2);
  g_assert_cmpfloat (out->X.data[2], ==, 3.0f);
  g_assert_cmpstr (out->gene_names[g - 1], ==, ds->gene_names[g - 1]);
  g_assert_cmpuint (out->obs->len, ==, ds->obs->len);
  g_clear_pointer (&out, gm_dataset_free);
  v[7] = NAN;
  out = gm_dataset_new_with_dense_x (ds, v, &error);
  g_assert_null (out);
  g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
}

/* core gm_impute_baseline honours the cancel flag (kNN and MAGIC) */
static void
test_baseline_cancel (void)
{
  const GmDataset *ds = gms_dataset_get_data (dataset);
  gint flag = 1;

  for (int m = 0; m < 2; m++)
    {
      g_autoptr(GError) error = NULL;
      GmBaselineParams bp;

      gm_baseline_params_init (&bp, m == 0 ? GM_BASELINE_KNN : GM_BASELINE_MAGIC);
      bp.cancel = &flag;
      g_assert_null (gm_impute_baseline (&ds->X, &bp, &error));
      g_assert_error (error, GM_ERROR, GM_ERROR_CANCELLED);
    }
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GFile) file = NULL;
  int status;

  /* no accessibility bus in a headless session (its warning would be fatal) */
  g_setenv ("GTK_A11Y", "none", FALSE);
  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    {
      g_printerr ("no display: skipping the GTK tests\n");
      return 77;
    }
  adw_init ();
  if (g_getenv ("GM_TEST_DATA") == NULL)
    g_setenv ("GM_TEST_DATA", GM_SOURCE_DIR "/tests/data", TRUE);
  path = g_build_filename (g_getenv ("GM_TEST_DATA"), "csr_counts.h5ad", NULL);
  file = g_file_new_for_path (path);
  dataset = gms_dataset_new (file);
  if (!gms_dataset_load_sync (dataset, NULL, &error))
    g_error ("%s", error->message);
  tmpdir = g_dir_make_tmp ("gms-impute-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/impute/estimate", test_estimate);
  g_test_add_func ("/impute/recipe-steps", test_recipe_steps);
  g_test_add_func ("/impute/dense-dataset", test_dense_dataset);
  g_test_add_func ("/impute/baseline-cancel", test_baseline_cancel);
  g_test_add_func ("/impute/pearson-mapping", test_pearson_mapping);
  g_test_add_func ("/impute/compare-scales", test_compare_scales);
  g_test_add_func ("/impute/loss-plot", test_loss_plot);
  g_test_add_func ("/impute/run-to-end", test_run_to_end);
  g_test_add_func ("/impute/cancel", test_cancel);
  g_test_add_func ("/impute/knn-reference", test_knn_reference);
  g_test_add_func ("/impute/magic-simulated", test_magic_simulated);
  status = g_test_run ();

  {
    g_autoptr(GDir) dir = g_dir_open (tmpdir, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *p = g_build_filename (tmpdir, name, NULL);
        g_unlink (p);
      }
    g_rmdir (tmpdir);
  }
  g_free (tmpdir);
  g_object_unref (dataset);
  return status;
}
