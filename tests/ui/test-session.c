/* test-session.c — saving the work in one h5ad and opening it where the user left it
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Under a display (run-under-display.sh), in-memory GSettings: open a fixture, run a tiny
 * ER-Net imputation on the Imputation page, set some view state, save the session, close
 * the window, open the file in a new one and check that everything came back exactly (the
 * imputed values bit for bit, the evaluation, the layout, the view state).  Debian's
 * anndata 0.8 then reads the file (when /usr/bin/python3 has it).
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "gm-io.h"
#include "gms-application.h"
#include "gms-cell-browser.h"
#include "gms-dataset.h"
#include "gms-genomap-view.h"
#include "gms-impute-page.h"
#include "gms-window.h"

#define TIMEOUT_S 120

#include "gms-test-util.h"

static char *tmpdir;

static GmsWindow *
open_window_with (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  GmsWindow *window = gms_window_new (NULL);

  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  gtk_window_present (GTK_WINDOW (window));
  gms_window_open_file (window, file);
  WAIT_UNTIL (!gms_window_is_loading (window), "the dataset to load");
  g_assert_nonnull (gms_window_get_dataset (window));
  return window;
}

static void
close_window (GmsWindow *window)
{
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
}

static void
save_and_wait (GmsWindow  *window,
               const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);

  gms_window_save_session (window, file);
  g_assert_true (gms_window_is_saving (window));
  WAIT_UNTIL (!gms_window_is_saving (window), "the session to be saved");
}

static void
assert_same_doubles (const double *a,
                     const double *b,
                     int64_t       n)
{
  for (int64_t i = 0; i < n; i++)
    {
      if (isnan (a[i]))
        g_assert_true (isnan (b[i]));
      else
        g_assert_cmpfloat (a[i], ==, b[i]);
    }
}

static void
assert_same_summary (const GmEvalSummary *a,
                     const GmEvalSummary *b)
{
  g_assert_cmpint (a->n_defined, ==, b->n_defined);
  g_assert_cmpint (a->n_undefined, ==, b->n_undefined);
  assert_same_doubles (&a->mean, &b->mean, 1);
  assert_same_doubles (&a->sd, &b->sd, 1);
  assert_same_doubles (&a->q1, &b->q1, 1);
  assert_same_doubles (&a->median, &b->median, 1);
  assert_same_doubles (&a->q3, &b->q3, 1);
  assert_same_doubles (&a->mean_mse, &b->mean_mse, 1);
}

static void
assert_same_csr (const GmCsr *a,
                 const GmCsr *b)
{
  g_assert_cmpint (a->n_rows, ==, b->n_rows);
  g_assert_cmpint (a->n_cols, ==, b->n_cols);
  g_assert_cmpmem (a->indptr, sizeof (int64_t) * (a->n_rows + 1), b->indptr, sizeof (int64_t) * (b->n_rows + 1));
  g_assert_cmpmem (a->indices, sizeof (int32_t) * a->indptr[a->n_rows], b->indices, sizeof (int32_t) * b->indptr[b->n_rows]);
  g_assert_cmpmem (a->data, sizeof (float) * a->indptr[a->n_rows], b->data, sizeof (float) * b->indptr[b->n_rows]);
}

static int
pixel_of (GmsDataset *dataset,
          const char *gene)
{
  return gms_dataset_find_gene_pixel (dataset, gene);
}

static void
test_session_round_trip (void)
{
  g_autofree char *fixture = gms_test_data_path ("csr_counts.h5ad");
  g_autofree char *session = g_build_filename (tmpdir, "work-session.h5ad", NULL);
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autoptr(GmDataset) counts = gm_read (fixture, NULL, NULL);
  GmsWindow *window;
  GmsDataset *dataset;
  GmsCellBrowser *browser;
  GmsImputePage *page;
  GmsImputeResult *result;
  GmsImputeParams p;
  const GmLayout *layout;
  const GmEvalResult *e;
  const GmHoldoutResult *h;
  g_autoptr(GmDataset) saved_imputed = NULL;
  g_autoptr(GmEvalResult) saved_eval = NULL;
  g_autoptr(GmHoldoutResult) saved_holdout = NULL;
  g_autoptr(GmLayout) saved_layout = NULL;
  g_autofree char *saved_summary = NULL;
  g_autofree char *highlight_gene = NULL;
  g_autofree char *colormap = NULL, *transform = NULL;
  int n_genes;

  g_assert_nonnull (counts);

  /* 1. work: a tiny ER-Net run with hold-out scoring, then some view state */
  window = open_window_with (fixture);
  dataset = gms_window_get_dataset (window);
  g_assert_null (gms_window_get_session_file (window));
  page = GMS_IMPUTE_PAGE (gms_window_get_impute_page (window));
  g_assert_nonnull (page);
  gms_impute_params_init (&p);
  p.method = GMS_IMPUTE_METHOD_ERNET;
  p.preset = GM_ERNET_TINY;
  p.recipe = GM_ERNET_RECIPE_TCER;
  p.steps = 12;
  p.batch = 16;
  p.seed = 11;
  p.device = g_strdup ("cpu");
  p.eval_mode = GMS_EVAL_HOLDOUT;
  p.holdout_fraction = 0.1;
  gms_impute_page_set_params (page, &p);
  gms_impute_params_clear (&p);
  g_assert_true (gms_impute_page_run (page));
  WAIT_UNTIL (!gms_impute_page_get_running (page), "the imputation");
  g_assert_null (gms_impute_page_get_last_error (page));
  result = gms_impute_page_get_result (page);
  g_assert_nonnull (result);
  e = gms_impute_result_get_evaluation (result);
  h = gms_impute_result_get_holdout (result);
  g_assert_nonnull (h);
  g_assert_true (e->has_before);

  browser = gms_window_get_cell_browser (window);
  gms_cell_browser_set_group_column (browser, "cell_type");
  g_assert_cmpstr (gms_cell_browser_get_group_column (browser), ==, "cell_type");
  g_assert_true (gms_cell_browser_select_cell (browser, 17));
  gms_genomap_view_set_zoom (gms_cell_browser_get_view (browser), 2.5);
  layout = gms_dataset_get_layout (dataset);
  highlight_gene = g_strdup (layout->genes[layout->n_genes / 2]);
  g_assert_true (gms_cell_browser_highlight_gene (browser, highlight_gene));
  g_settings_set_string (settings, "colormap", "magma");
  g_settings_set_string (settings, "value-transform", "zscore");
  g_settings_set_double (settings, "clip-quantile", 0.97);
  gms_impute_page_set_cell (page, 23);
  gms_impute_page_select_gene (page, 5);
  gms_window_show_page (window, "imputation");

  /* what must come back */
  saved_summary = g_strdup (gms_impute_result_get_summary (result));
  {
    const GmDataset *imp = gms_impute_result_get_imputed_dataset (result);
    GmCsr copy = imp->X;

    saved_imputed = gm_dataset_new ();
    saved_imputed->X.n_rows = copy.n_rows;
    saved_imputed->X.n_cols = copy.n_cols;
    saved_imputed->X.indptr = g_memdup2 (copy.indptr, sizeof (int64_t) * (copy.n_rows + 1));
    saved_imputed->X.indices = g_memdup2 (copy.indices, sizeof (int32_t) * MAX (copy.indptr[copy.n_rows], 1));
    saved_imputed->X.data = g_memdup2 (copy.data, sizeof (float) * MAX (copy.indptr[copy.n_rows], 1));
    saved_imputed->cell_names = g_new0 (char *, copy.n_rows + 1);
    for (int64_t i = 0; i < copy.n_rows; i++)
      saved_imputed->cell_names[i] = g_strdup (imp->cell_names[i]);
    saved_imputed->gene_names = g_new0 (char *, copy.n_cols + 1);
    for (int64_t j = 0; j < copy.n_cols; j++)
      saved_imputed->gene_names[j] = g_strdup (imp->gene_names[j]);
  }
  saved_eval = g_new0 (GmEvalResult, 1);
  *saved_eval = *e;
  saved_eval->gene_names = g_strdupv (e->gene_names);
  saved_eval->r_before = g_memdup2 (e->r_before, sizeof (double) * e->n_genes);
  saved_eval->mse_before = g_memdup2 (e->mse_before, sizeof (double) * e->n_genes);
  saved_eval->r_after = g_memdup2 (e->r_after, sizeof (double) * e->n_genes);
  saved_eval->mse_after = g_memdup2 (e->mse_after, sizeof (double) * e->n_genes);
  saved_holdout = g_new0 (GmHoldoutResult, 1);
  *saved_holdout = *h;
  saved_holdout->gene_names = g_strdupv (h->gene_names);
  saved_holdout->hidden_per_gene = g_memdup2 (h->hidden_per_gene, sizeof (int64_t) * h->n_genes);
  saved_holdout->r = g_memdup2 (h->r, sizeof (double) * h->n_genes);
  saved_layout = g_new0 (GmLayout, 1);
  saved_layout->rows = layout->rows;
  saved_layout->cols = layout->cols;
  saved_layout->n_genes = layout->n_genes;
  saved_layout->genes = g_new0 (char *, layout->n_genes + 1);
  saved_layout->pixel = g_memdup2 (layout->pixel, sizeof (int32_t) * layout->n_genes);
  for (int i = 0; i < layout->n_genes; i++)
    saved_layout->genes[i] = g_strdup (layout->genes[i]);
  n_genes = (int) e->n_genes;

  /* 2. save, close */
  save_and_wait (window, session);
  g_assert_null (gms_window_get_save_error (window));
  g_assert_true (g_file_test (session, G_FILE_TEST_IS_REGULAR));
  {
    g_autoptr(GFile) f = g_file_new_for_path (session);
    g_assert_true (g_file_equal (gms_window_get_session_file (window), f));
  }
  close_window (window);

  /* the settings the session holds must come from the file, not from memory */
  g_settings_reset (settings, "colormap");
  g_settings_reset (settings, "value-transform");
  g_settings_reset (settings, "clip-quantile");
  g_settings_reset (settings, "impute-steps");
  g_settings_reset (settings, "impute-seed");
  g_settings_reset (settings, "impute-recipe");

  /* 3. open it again */
  window = open_window_with (session);
  dataset = gms_window_get_dataset (window);
  browser = gms_window_get_cell_browser (window);
  page = GMS_IMPUTE_PAGE (gms_window_get_impute_page (window));
  {
    g_autoptr(GFile) f = g_file_new_for_path (session);
    g_assert_true (g_file_equal (gms_window_get_session_file (window), f));
  }

  /* the counts are the data, with the fixture's annotations; no session entries left */
  {
    const GmDataset *ds = gms_dataset_get_data (dataset);

    assert_same_csr (&ds->X, &counts->X);
    g_assert_nonnull (gm_dataset_find_obs (ds, "cell_type"));
    for (guint i = 0; i < ds->var->len; i++)
      g_assert_false (g_str_has_prefix (((GmColumn *) g_ptr_array_index (ds->var, i))->name, "genomap_r_"));
    g_assert_false (g_hash_table_contains (ds->uns, "genomap_session_version"));
    g_assert_false (g_hash_table_contains (ds->uns, "genomap_impute_steps"));
  }
  /* the layout came from the file */
  g_assert_true (gms_dataset_get_layout_was_saved (dataset));
  layout = gms_dataset_get_layout (dataset);
  g_assert_cmpint (layout->rows, ==, saved_layout->rows);
  g_assert_cmpint (layout->cols, ==, saved_layout->cols);
  g_assert_cmpint (layout->n_genes, ==, saved_layout->n_genes);
  for (int i = 0; i < saved_layout->n_genes; i++)
    {
      int k;
      for (k = 0; k < layout->n_genes && strcmp (layout->genes[k], saved_layout->genes[i]) != 0; k++)
        ;
      g_assert_cmpint (k, <, layout->n_genes);
      g_assert_cmpint (layout->pixel[k], ==, saved_layout->pixel[i]);
    }

  /* the view state */
  g_assert_cmpstr (gms_window_get_page (window), ==, "imputation");
  g_assert_cmpstr (gms_cell_browser_get_group_column (browser), ==, "cell_type");
  g_assert_cmpint (gms_cell_browser_get_selected_cell (browser), ==, 17);
  g_assert_cmpfloat (gms_genomap_view_get_zoom (gms_cell_browser_get_view (browser)), ==, 2.5);
  g_assert_cmpint (gms_genomap_view_get_highlight (gms_cell_browser_get_view (browser)), ==,
                   pixel_of (dataset, highlight_gene));
  colormap = g_settings_get_string (settings, "colormap");
  transform = g_settings_get_string (settings, "value-transform");
  g_assert_cmpstr (colormap, ==, "magma");
  g_assert_cmpstr (transform, ==, "zscore");
  g_assert_cmpfloat (g_settings_get_double (settings, "clip-quantile"), ==, 0.97);
  gms_impute_params_init (&p);
  gms_impute_page_get_params (page, &p);
  g_assert_cmpint (p.steps, ==, 12);
  g_assert_cmpuint (p.seed, ==, 11);
  g_assert_cmpint (p.preset, ==, GM_ERNET_TINY);
  g_assert_cmpint (p.recipe, ==, GM_ERNET_RECIPE_TCER);
  g_assert_cmpint (p.eval_mode, ==, GMS_EVAL_HOLDOUT);
  gms_impute_params_clear (&p);

  /* the imputation, without running it again */
  g_assert_false (gms_impute_page_get_running (page));
  result = gms_impute_page_get_result (page);
  g_assert_nonnull (result);
  g_assert_cmpstr (gms_impute_result_get_summary (result), ==, saved_summary);
  g_assert_cmpint (gms_impute_result_get_method (result), ==, GMS_IMPUTE_METHOD_ERNET);
  g_assert_cmpint (gms_impute_result_get_eval_mode (result), ==, GMS_EVAL_HOLDOUT);
  g_assert_null (gms_impute_result_get_model (result));
  g_assert_true (gms_impute_result_get_input (result) == gms_dataset_get_data (dataset));
  {
    const GmDataset *imp = gms_impute_result_get_imputed_dataset (result);

    assert_same_csr (&imp->X, &saved_imputed->X);
    for (int64_t i = 0; i < imp->X.n_rows; i++)
      g_assert_cmpstr (imp->cell_names[i], ==, saved_imputed->cell_names[i]);
    g_assert_cmpstr (g_hash_table_lookup (imp->uns, "genomap_impute_steps"), ==, "12");
    g_assert_false (g_hash_table_contains (imp->uns, "genomap_session_version"));
  }
  e = gms_impute_result_get_evaluation (result);
  g_assert_cmpint (e->n_genes, ==, n_genes);
  g_assert_cmpint (e->n_cells, ==, saved_eval->n_cells);
  g_assert_true (e->has_before);
  for (int j = 0; j < n_genes; j++)
    g_assert_cmpstr (e->gene_names[j], ==, saved_eval->gene_names[j]);
  assert_same_doubles (e->r_before, saved_eval->r_before, n_genes);
  assert_same_doubles (e->r_after, saved_eval->r_after, n_genes);
  assert_same_doubles (e->mse_before, saved_eval->mse_before, n_genes);
  assert_same_doubles (e->mse_after, saved_eval->mse_after, n_genes);
  assert_same_summary (&e->before, &saved_eval->before);
  assert_same_summary (&e->after, &saved_eval->after);
  g_assert_cmpint (e->n_compared, ==, saved_eval->n_compared);
  g_assert_cmpint (e->n_improved, ==, saved_eval->n_improved);
  h = gms_impute_result_get_holdout (result);
  g_assert_nonnull (h);
  g_assert_cmpint (h->n_hidden, ==, saved_holdout->n_hidden);
  g_assert_cmpint (h->n_scored, ==, saved_holdout->n_scored);
  g_assert_cmpmem (h->hidden_per_gene, sizeof (int64_t) * n_genes, saved_holdout->hidden_per_gene,
                   sizeof (int64_t) * n_genes);
  assert_same_doubles (h->r, saved_holdout->r, n_genes);
  assert_same_doubles (&h->overall_r, &saved_holdout->overall_r, 1);
  assert_same_doubles (&h->overall_mse, &saved_holdout->overall_mse, 1);
  assert_same_summary (&h->summary, &saved_holdout->summary);
  g_assert_cmpint (gms_impute_page_get_cell (page), ==, 23);
  g_assert_cmpint (gms_impute_page_get_selected_gene (page), ==, 5);
  {
    /* the before/after maps and the gene trace work on the restored result */
    const GmDataset *ds = gms_dataset_get_data (dataset);
    int P = layout->rows * layout->cols;
    g_autofree float *obs = g_new (float, P), *imp = g_new (float, P), *want = g_new (float, P);
    g_autofree double *ref = NULL, *before = NULL, *after = NULL;
    int64_t n = 0;

    gms_impute_result_map_cell (result, 23, obs, imp);
    gms_dataset_map_cell (dataset, GM_TRANSFORM_LOG1P_CP10K, 23, want);
    g_assert_cmpmem (obs, sizeof (float) * P, want, sizeof (float) * P);
    g_assert_true (gms_impute_result_gene_trace (result, 5, &ref, &before, &after, &n));
    g_assert_cmpint (n, ==, gm_dataset_n_cells (ds));
  }

  /* 4. Ctrl+S writes back to the session file; the file reads again */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.save-session", NULL));
  g_assert_true (gms_window_is_saving (window));
  WAIT_UNTIL (!gms_window_is_saving (window), "the session to be saved again");
  g_assert_null (gms_window_get_save_error (window));
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GmDataset) again = gm_read (session, NULL, &error);
    g_autoptr(GDir) dir = g_dir_open (tmpdir, 0, NULL);
    const char *name;

    g_assert_no_error (error);
    g_assert_cmpstr (g_hash_table_lookup (again->uns, "genomap_session_version"), ==, "1");
    g_assert_cmpstr (g_hash_table_lookup (again->uns, "genomap_session_x"), ==, "imputed");
    g_assert_cmpstr (g_hash_table_lookup (again->uns, "genomap_session_page"), ==, "imputation");
    assert_same_csr (&again->X, &saved_imputed->X);
    while ((name = g_dir_read_name (dir)) != NULL)
      g_assert_false (strstr (name, ".tmp-") != NULL);
  }
  close_window (window);

  /* 5. Debian's anndata 0.8 reads it as an ordinary AnnData */
  if (g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE))
    {
      const char *script =
        "import sys, numpy as np\n"
        "try:\n"
        "    import anndata\n"
        "except ImportError:\n"
        "    print('no anndata'); sys.exit(0)\n"
        "a = anndata.read_h5ad(sys.argv[1])\n"
        "assert a.shape == (60, 40), a.shape\n"
        "assert 'counts' in a.layers, list(a.layers)\n"
        "c = a.layers['counts']\n"
        "c = c.toarray() if hasattr(c, 'toarray') else np.asarray(c)\n"
        "assert c.shape == (60, 40) and np.all(c == np.round(c)) and c.sum() > 0\n"
        "X = np.asarray(a.X)\n"
        "assert X.dtype == np.float32 and not np.array_equal(X, c)\n"
        "for col in ('genomap_row', 'genomap_col', 'genomap_r_before', 'genomap_r_after',\n"
        "            'genomap_mse_before', 'genomap_mse_after', 'genomap_holdout_r', 'genomap_holdout_n_hidden'):\n"
        "    assert col in a.var.columns, col\n"
        "assert a.var['genomap_r_after'].dtype == np.float64\n"
        "assert a.uns['genomap_session_version'] == '1'\n"
        "assert a.uns['genomap_session_x'] == 'imputed'\n"
        "assert a.uns['genomap_session_cell'] == a.obs_names[17]\n"
        "assert a.uns['genomap_impute_method'] == 'ernet'\n"
        "assert 'cell_type' in a.obs.columns\n"
        "print('anndata ok')\n";
      g_autofree char *out = NULL, *err = NULL;
      const char *argv[] = { "/usr/bin/python3", "-c", script, session, NULL };
      int status = 0;
      g_autoptr(GError) error = NULL;

      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
      g_assert_no_error (error);
      if (!g_spawn_check_wait_status (status, NULL))
        g_error ("anndata could not read the session: %s%s", out, err);
      if (strstr (out, "no anndata") != NULL)
        g_test_message ("python3-anndata not installed: AnnData check skipped");
      else
        g_assert_nonnull (strstr (out, "anndata ok"));
    }
  g_assert_cmpint (g_remove (session), ==, 0);
}

/* Without an imputation X holds the counts and there is no layer; the view comes back. */
static void
test_session_without_imputation (void)
{
  g_autofree char *fixture = gms_test_data_path ("csr_counts.h5ad");
  g_autofree char *session = g_build_filename (tmpdir, "plain-session.h5ad", NULL);
  g_autofree char *bad = g_build_filename (tmpdir, "no-such-folder", "x.h5ad", NULL);
  g_autoptr(GmDataset) counts = gm_read (fixture, NULL, NULL);
  GmsWindow *window = open_window_with (fixture);
  GmsCellBrowser *browser = gms_window_get_cell_browser (window);
  GmsImputePage *page;

  /* the empty page's recent list: opening added the file, "Remove From Recent" takes it out */
  {
    g_autoptr(GFile) f = g_file_new_for_path (fixture);
    g_autofree char *uri = g_file_get_uri (f);
    GtkRecentManager *recent = gtk_recent_manager_get_default ();

    g_assert_true (gtk_recent_manager_has_item (recent, uri));
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.remove-recent", "s", uri));
    g_assert_false (gtk_recent_manager_has_item (recent, uri));
  }

  g_assert_true (gms_cell_browser_select_cell (browser, 4));
  gms_cell_browser_set_group_column (browser, NULL);
  gms_window_show_page (window, "groups");

  /* a failed save names the file and changes nothing */
  save_and_wait (window, bad);
  g_assert_nonnull (gms_window_get_save_error (window));
  g_assert_nonnull (strstr (gms_window_get_save_error (window)->message, bad));
  g_assert_null (gms_window_get_session_file (window));

  save_and_wait (window, session);
  g_assert_null (gms_window_get_save_error (window));
  close_window (window);
  {
    g_autoptr(GmDataset) raw = gm_read (session, NULL, NULL);

    g_assert_nonnull (raw);
    g_assert_cmpstr (g_hash_table_lookup (raw->uns, "genomap_session_x"), ==, "counts");
    assert_same_csr (&raw->X, &counts->X);
    g_assert_false (g_hash_table_contains (raw->uns, "genomap_eval_n_cells"));
  }

  window = open_window_with (session);
  browser = gms_window_get_cell_browser (window);
  page = GMS_IMPUTE_PAGE (gms_window_get_impute_page (window));
  assert_same_csr (&gms_dataset_get_data (gms_window_get_dataset (window))->X, &counts->X);
  g_assert_cmpstr (gms_window_get_page (window), ==, "groups");
  g_assert_cmpint (gms_cell_browser_get_selected_cell (browser), ==, 4);
  g_assert_null (gms_cell_browser_get_group_column (browser));
  g_assert_null (gms_impute_page_get_result (page));
  close_window (window);
  g_assert_cmpint (g_remove (session), ==, 0);
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
  tmpdir = g_dir_make_tmp ("gms-session-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/session/round-trip", test_session_round_trip);
  g_test_add_func ("/session/without-imputation", test_session_without_imputation);
  status = g_test_run ();

  g_rmdir (tmpdir);
  g_free (tmpdir);
  return status;
}
