/* test-layout.c — gene selection, correlation distances, layouts and cell maps against
 * direct computations on the fixture's ground truth
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "gm-h5.h"
#include "gm-io.h"
#include "gm-layout.h"
#include "gm-test-truth.h"

static GmTestTruth *truth;
static GmDataset *fixture;

/* log1p(CP10k) of the truth's dense counts. */
static double *
truth_lognorm (void)
{
  int nc = truth->n_cells, ng = truth->n_genes;
  double *v = g_new0 (double, nc * ng);

  for (int i = 0; i < nc; i++)
    {
      double tot = 0;
      for (int j = 0; j < ng; j++)
        tot += truth->counts[i * ng + j];
      for (int j = 0; j < ng; j++)
        v[i * ng + j] = tot > 0 ? log1p (truth->counts[i * ng + j] * 1e4 / tot) : 0;
    }
  return v;
}

static void
gene_stats (const double *v, int j, double *mean, double *var)
{
  int nc = truth->n_cells, ng = truth->n_genes;
  double m = 0, s = 0;

  for (int i = 0; i < nc; i++)
    m += v[i * ng + j];
  m /= nc;
  for (int i = 0; i < nc; i++)
    s += (v[i * ng + j] - m) * (v[i * ng + j] - m);
  *mean = m;
  *var = s / nc;
}

static void
test_select_genes (void)
{
  g_autofree double *v = truth_lognorm ();
  g_autoptr(GError) error = NULL;
  int n = 0;
  g_autofree int32_t *sel = gm_select_variable_genes (fixture, 0, &n, &error);
  double prev = INFINITY;

  g_assert_no_error (error);
  /* LINC00001 (gene 39) is zero everywhere: never selected; every other gene varies. */
  g_assert_cmpint (n, ==, truth->n_genes - 1);
  for (int i = 0; i < n; i++)
    {
      double mean, var;
      g_assert_cmpint (sel[i], !=, 39);
      gene_stats (v, sel[i], &mean, &var);
      g_assert_cmpfloat (var, <=, prev + 1e-12);
      prev = var;
    }
  g_free (g_steal_pointer (&sel));
  sel = gm_select_variable_genes (fixture, 9, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 9);
}

static void
test_correlation_distance (void)
{
  g_autofree double *v = truth_lognorm ();
  int32_t genes[] = { 0, 5, 10, 11, 17, 25, 7 };
  int n = G_N_ELEMENTS (genes), nc = truth->n_cells, ng = truth->n_genes;
  g_autoptr(GError) error = NULL;
  g_autofree double *d = gm_gene_correlation_distance (fixture, genes, n, &error);

  g_assert_no_error (error);
  for (int a = 0; a < n; a++)
    for (int b = 0; b < n; b++)
      {
        double ma, va, mb, vb, cov = 0, r;
        gene_stats (v, genes[a], &ma, &va);
        gene_stats (v, genes[b], &mb, &vb);
        for (int i = 0; i < nc; i++)
          cov += (v[i * ng + genes[a]] - ma) * (v[i * ng + genes[b]] - mb);
        r = cov / nc / sqrt (va * vb);
        if (a == b)
          g_assert_cmpfloat (d[a * n + b], ==, 0.0);
        else
          g_assert_cmpfloat_with_epsilon (d[a * n + b], 1.0 - r, 1e-9);
        g_assert_cmpfloat (d[a * n + b], ==, d[b * n + a]);
      }

  /* A constant gene has no correlation. */
  {
    int32_t bad[] = { 0, 39 };
    g_assert_null (gm_gene_correlation_distance (fixture, bad, 2, &error));
    g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
    g_assert_nonnull (strstr (error->message, "LINC00001"));
  }
}

static void
assert_valid_layout (const GmLayout *l,
                     int             n_expected)
{
  g_autoptr(GHashTable) used = g_hash_table_new (g_direct_hash, g_direct_equal);

  g_assert_cmpint (l->n_genes, ==, n_expected);
  for (int i = 0; i < l->n_genes; i++)
    {
      g_assert_cmpint (l->pixel[i], >=, 0);
      g_assert_cmpint (l->pixel[i], <, l->rows * l->cols);
      g_assert_false (g_hash_table_contains (used, GINT_TO_POINTER (l->pixel[i] + 1)));
      g_hash_table_add (used, GINT_TO_POINTER (l->pixel[i] + 1));
    }
  g_assert_true (isfinite (l->energy));
}

static char *
read_file (const char *path)
{
  char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}

static void
test_layout_deterministic (gconstpointer data)
{
  GmGridGeometry geometry = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gm-layout-XXXXXX", NULL);
  g_autofree char *p1 = g_build_filename (dir, "a.tsv", NULL);
  g_autofree char *p2 = g_build_filename (dir, "b.tsv", NULL);
  g_autofree char *t1 = NULL;
  g_autofree char *t2 = NULL;
  GmLayoutOptions opts;

  gm_layout_options_init (&opts);
  opts.geometry = geometry;
  opts.seed = 7;
  for (int run = 0; run < 2; run++)
    {
      g_autoptr(GmLayout) l = gm_layout_compute (fixture, &opts, &error);
      g_assert_no_error (error);
      /* 39 varying genes → the largest square: 6 × 6 = 36 */
      g_assert_cmpint (l->rows, ==, 6);
      g_assert_cmpint (l->cols, ==, 6);
      assert_valid_layout (l, 36);
      g_assert_cmpint (l->geometry, ==, geometry);
      l->seconds = 0;
      g_assert_true (gm_layout_save (l, run ? p2 : p1, &error));
      g_assert_no_error (error);
    }
  t1 = read_file (p1);
  t2 = read_file (p2);
  g_assert_cmpstr (t1, ==, t2);

  /* The saved layout loads back identical. */
  {
    g_autoptr(GmLayout) back = gm_layout_load (p1, &error);
    g_autofree char *p3 = g_build_filename (dir, "c.tsv", NULL);
    g_autofree char *t3 = NULL;

    g_assert_no_error (error);
    assert_valid_layout (back, 36);
    g_assert_cmpint (back->geometry, ==, geometry);
    g_assert_true (gm_layout_save (back, p3, &error));
    t3 = read_file (p3);
    g_assert_cmpstr (t1, ==, t3);
    g_unlink (p3);
  }
  g_unlink (p1);
  g_unlink (p2);
  g_rmdir (dir);
}

static void
test_layout_gene_list_and_grid (void)
{
  g_autoptr(GError) error = NULL;
  char *list[] = { "CD3E", "MS4A1", "CD14", "LYZ", "ACTB", "HLA-DRA", "NKG7", NULL };
  GmLayoutOptions opts;
  g_autoptr(GmLayout) l = NULL;

  gm_layout_options_init (&opts);
  opts.gene_list = list;
  opts.rows = 3;
  opts.cols = 4;
  l = gm_layout_compute (fixture, &opts, &error);
  g_assert_no_error (error);
  assert_valid_layout (l, 7);
  g_assert_cmpint (l->rows, ==, 3);
  for (int i = 0; i < 7; i++)
    g_assert_cmpstr (l->genes[i], ==, list[i]);
}

static GmDataset *
tiny_dataset (int n_cells,
              int n_varying)
{
  /* n_cells × 6 genes; the first n_varying genes vary, the rest are constant */
  g_autoptr(GString) csv = g_string_new ("");
  g_autoptr(GError) error = NULL;
  GmDataset *ds;

  for (int j = 0; j < 6; j++)
    g_string_append_printf (csv, ",g%d", j);
  g_string_append_c (csv, '\n');
  for (int i = 0; i < n_cells; i++)
    {
      g_string_append_printf (csv, "c%d", i);
      for (int j = 0; j < 6; j++)
        g_string_append_printf (csv, ",%d", j < n_varying ? (i * (j + 3)) % 7 + 1 : 0);
      g_string_append_c (csv, '\n');
    }
  ds = gm_parse_text_buffer ("tiny.csv", csv->str, csv->len, ',', NULL, &error);
  g_assert_no_error (error);
  return ds;
}

static void
test_layout_bad_inputs (void)
{
  g_autoptr(GError) error = NULL;
  GmLayoutOptions opts;

  gm_layout_options_init (&opts);

  /* fewer than 4 usable genes */
  {
    g_autoptr(GmDataset) ds = tiny_dataset (20, 3);
    g_assert_null (gm_layout_compute (ds, &opts, &error));
    g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
    g_assert_nonnull (strstr (error->message, "at least 4"));
    g_clear_error (&error);
  }
  /* one cell */
  {
    g_autoptr(GmDataset) ds = tiny_dataset (1, 6);
    g_assert_null (gm_layout_compute (ds, &opts, &error));
    g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
    g_assert_nonnull (strstr (error->message, "at least 2 cells"));
    g_clear_error (&error);
  }
  /* more genes than pixels */
  {
    opts.n_genes = 20;
    opts.rows = 3;
    opts.cols = 3;
    g_assert_null (gm_layout_compute (fixture, &opts, &error));
    g_assert_error (error, GM_ERROR, GM_ERROR_USAGE);
    g_assert_nonnull (strstr (error->message, "do not fit"));
    g_clear_error (&error);
    opts.n_genes = 0;
    opts.rows = opts.cols = 0;
  }
  /* unknown genes in a list */
  {
    char *list[] = { "CD3E", "NOT_A_GENE", "CD14", "LYZ", "ACTB", NULL };
    opts.gene_list = list;
    g_assert_null (gm_layout_compute (fixture, &opts, &error));
    g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
    g_assert_nonnull (strstr (error->message, "NOT_A_GENE"));
    g_clear_error (&error);
    opts.gene_list = NULL;
  }
  /* NaN values never reach the layout: the readers refuse them */
  {
    const char *csv = ",a,b\nc1,1,nan\nc2,2,3\n";
    g_assert_null (gm_parse_text_buffer ("nan.csv", csv, strlen (csv), ',', NULL, &error));
    g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
    g_clear_error (&error);
  }
}

static void
write_text (const char *path,
            const char *text)
{
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

static void
test_layout_load_errors (void)
{
  g_autofree char *dir = g_dir_make_tmp ("gm-layout-XXXXXX", NULL);
  g_autofree char *p = g_build_filename (dir, "l.tsv", NULL);
  const char *bad[][2] = {
    { "gene\trow\tcol\nA\t0\t0\n", "grid" },
    { "# grid\t2\t2\nfoo\tbar\n", "header" },
    { "# grid\t2\t2\ngene\trow\tcol\nA\t0\t0\nB\t0\t0\n", "holds two genes" },
    { "# grid\t2\t2\ngene\trow\tcol\nA\t2\t0\n", "outside" },
    { "# grid\t2\t2\ngene\trow\tcol\nA\tx\t0\n", "outside" },
    { "# grid\t2\t2\n# geometry\tspiral\ngene\trow\tcol\nA\t0\t0\n", "unknown geometry" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      write_text (p, bad[i][0]);
      g_assert_null (gm_layout_load (p, &error));
      g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
      if (strstr (error->message, bad[i][1]) == NULL || strstr (error->message, p) == NULL)
        g_error ("case %u: %s", i, error->message);
    }
  g_unlink (p);
  g_rmdir (dir);
}

/* Each transform's map of a cell equals the direct computation. */
static void
test_maps (void)
{
  g_autofree double *v = truth_lognorm ();
  g_autoptr(GmLayout) l = g_new0 (GmLayout, 1);
  int ng = truth->n_genes, nc = truth->n_cells;
  GmTransform transforms[] = { GM_TRANSFORM_RAW, GM_TRANSFORM_LOG1P_CP10K, GM_TRANSFORM_ZSCORE,
                               GM_TRANSFORM_MINMAX };

  /* 5 × 9 grid, genes 0…38 on pixels p = 44 − j (so 6 pixels stay empty) */
  l->rows = 5;
  l->cols = 9;
  l->n_genes = 39;
  l->genes = g_new0 (char *, 40);
  l->pixel = g_new (int32_t, 39);
  for (int j = 0; j < 39; j++)
    {
      l->genes[j] = g_strdup (truth->gene_names[j]);
      l->pixel[j] = 44 - j;
    }

  for (guint t = 0; t < G_N_ELEMENTS (transforms); t++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GmMapper) m = gm_mapper_new (l, fixture, transforms[t], &error);
      g_autofree float *img = g_new (float, 45 * 3);
      int64_t cells[3] = { 0, 3, 59 };

      g_assert_no_error (error);
      gm_mapper_map_cells (m, cells, 3, img);
      for (int c = 0; c < 3; c++)
        for (int p = 0; p < 45; p++)
          {
            int r = p % 5, col = p / 5;
            float got = img[c * 45 + r * 9 + col];
            int j = 44 - p;
            double want, mean, var, lo = INFINITY, hi = -INFINITY;

            if (j > 38)
              {
                g_assert_true (isnan (got));
                continue;
              }
            gene_stats (v, j, &mean, &var);
            for (int i = 0; i < nc; i++)
              {
                lo = MIN (lo, v[i * ng + j]);
                hi = MAX (hi, v[i * ng + j]);
              }
            switch (transforms[t])
              {
              case GM_TRANSFORM_RAW:
                want = truth->counts[cells[c] * ng + j];
                break;
              case GM_TRANSFORM_LOG1P_CP10K:
                want = v[cells[c] * ng + j];
                break;
              case GM_TRANSFORM_ZSCORE:
                want = (v[cells[c] * ng + j] - mean) / sqrt (var * nc / (nc - 1));
                break;
              case GM_TRANSFORM_MINMAX:
              default:
                want = (v[cells[c] * ng + j] - lo) / (hi - lo);
                break;
              }
            g_assert_cmpfloat_with_epsilon (got, want, 1e-4 * MAX (1.0, fabs (want)));
          }
    }

  /* gm_mapper_new_set (one pass for all transforms, in another order) maps
   * every cell exactly as the mappers made one by one. */
  {
    g_autoptr(GError) error = NULL;
    GmTransform order[] = { GM_TRANSFORM_MINMAX, GM_TRANSFORM_RAW, GM_TRANSFORM_ZSCORE, GM_TRANSFORM_LOG1P_CP10K };
    GmMapper *set[G_N_ELEMENTS (order)] = { NULL };
    int64_t nc64 = gm_dataset_n_cells (fixture);
    g_autofree int64_t *all = g_new (int64_t, nc64);
    g_autofree float *a = g_new (float, 45 * nc64), *b = g_new (float, 45 * nc64);

    for (int64_t i = 0; i < nc64; i++)
      all[i] = i;
    g_assert_true (gm_mapper_new_set (l, fixture, order, G_N_ELEMENTS (order), set, &error));
    g_assert_no_error (error);
    for (guint t = 0; t < G_N_ELEMENTS (order); t++)
      {
        g_autoptr(GmMapper) one = gm_mapper_new (l, fixture, order[t], &error);

        g_assert_no_error (error);
        gm_mapper_map_cells (one, all, nc64, a);
        gm_mapper_map_cells (set[t], all, nc64, b);
        g_assert_cmpmem (a, 45 * nc64 * sizeof (float), b, 45 * nc64 * sizeof (float));
        gm_mapper_free (set[t]);
      }
  }

  /* The layout's genes go into var and uns for export. */
  {
    g_autoptr(GmDataset) ds = NULL;
    g_autofree char *path = gm_test_data_path ("csr_counts.h5ad");
    GmColumn *row = NULL, *col = NULL;

    ds = gm_read (path, NULL, NULL);
    gm_layout_attach (l, ds);
    for (guint i = 0; i < ds->var->len; i++)
      {
        GmColumn *c = g_ptr_array_index (ds->var, i);
        if (strcmp (c->name, "genomap_row") == 0)
          row = c;
        if (strcmp (c->name, "genomap_col") == 0)
          col = c;
      }
    g_assert_nonnull (row);
    g_assert_nonnull (col);
    g_assert_cmpfloat (row->values[0], ==, 44 % 5);
    g_assert_cmpfloat (col->values[0], ==, 44 / 5);
    g_assert_true (isnan (row->values[39]));
    g_assert_cmpstr (g_hash_table_lookup (ds->uns, "genomap_grid"), ==, "5 x 9");
  }
}

static GmColumn *
var_column (GmDataset  *ds,
            const char *name)
{
  for (guint i = 0; i < ds->var->len; i++)
    {
      GmColumn *c = g_ptr_array_index (ds->var, i);
      if (strcmp (c->name, name) == 0)
        return c;
    }
  return NULL;
}

/* gm_layout_attach → h5ad → gm_read → gm_layout_from_dataset gives the layout back;
 * none gives NULL without an error; inconsistent ones fail naming the file. */
static void
test_layout_from_dataset (void)
{
  g_autofree char *src = gm_test_data_path ("csr_counts.h5ad");
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = gm_read (src, NULL, &error);
  g_autoptr(GmDataset) back = NULL;
  g_autoptr(GmLayout) l = g_new0 (GmLayout, 1);
  g_autoptr(GmLayout) got = NULL;
  g_autoptr(GHashTable) want = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *dir = g_dir_make_tmp ("gm-layout-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "with-layout.h5ad", NULL);

  g_assert_no_error (error);
  got = gm_layout_from_dataset (ds, &error);
  g_assert_no_error (error);
  g_assert_null (got);

  /* 4 × 7 euclidean grid; genes 3, 5, 7 … placed in reverse order, pixel 27 − k */
  l->rows = 4;
  l->cols = 7;
  l->geometry = GM_GRID_EUCLIDEAN;
  l->n_genes = 17;
  l->genes = g_new0 (char *, 18);
  l->pixel = g_new (int32_t, 17);
  for (int k = 0; k < 17; k++)
    {
      l->genes[k] = g_strdup (ds->gene_names[3 + 2 * (16 - k)]);
      l->pixel[k] = 27 - k;
      g_hash_table_insert (want, l->genes[k], GINT_TO_POINTER (l->pixel[k] + 1));
    }
  l->energy = 0.0123456789012345;
  l->selection = g_strdup ("17 genes chosen by hand");
  l->seed = G_GUINT64_CONSTANT (18446744073709551615);
  l->version = g_strdup ("0.test");
  gm_layout_attach (l, ds);
  g_assert_true (gm_write (ds, out, NULL, &error));
  g_assert_no_error (error);
  back = gm_read (out, NULL, &error);
  g_assert_no_error (error);

  got = gm_layout_from_dataset (back, &error);
  g_assert_no_error (error);
  g_assert_nonnull (got);
  g_assert_cmpint (got->rows, ==, 4);
  g_assert_cmpint (got->cols, ==, 7);
  g_assert_cmpint (got->geometry, ==, GM_GRID_EUCLIDEAN);
  g_assert_cmpint (got->n_genes, ==, 17);
  for (int i = 0; i < got->n_genes; i++)
    g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (want, got->genes[i])) - 1, ==, got->pixel[i]);
  g_assert_cmpfloat_with_epsilon (got->energy, l->energy, 1e-11 * l->energy);  /* stored with %.12g */
  g_assert_cmpstr (got->selection, ==, l->selection);
  g_assert_cmpuint (got->seed, ==, l->seed);
  g_assert_cmpstr (got->version, ==, "0.test");
  {
    /* the genes come in the dataset's order: the 1st is dataset gene 3 */
    g_autofree int32_t *pix = gm_layout_gene_pixels (got, back, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (got->genes[0], ==, back->gene_names[3]);
    g_assert_cmpint (pix[3], ==, 27 - 16);
    g_assert_cmpint (pix[4], ==, -1);
  }
  g_clear_pointer (&got, gm_layout_free);

  /* inconsistent: two genes on one pixel, a position off the grid, no grid */
  {
    GmColumn *row = var_column (back, "genomap_row"), *col = var_column (back, "genomap_col");
    double r5 = row->values[5], c5 = col->values[5];

    row->values[5] = row->values[3];
    col->values[5] = col->values[3];
    got = gm_layout_from_dataset (back, &error);
    g_assert_null (got);
    g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
    g_assert_true (g_str_has_prefix (error->message, out));
    g_assert_nonnull (strstr (error->message, "two genes"));
    g_clear_error (&error);

    row->values[5] = 4;
    col->values[5] = c5;
    got = gm_layout_from_dataset (back, &error);
    g_assert_null (got);
    g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
    g_assert_nonnull (strstr (error->message, "outside the 4 × 7 grid"));
    g_clear_error (&error);

    row->values[5] = r5;
    g_hash_table_remove (back->uns, "genomap_grid");
    got = gm_layout_from_dataset (back, &error);
    g_assert_null (got);
    g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
    g_assert_nonnull (strstr (error->message, "genomap_grid"));
    g_clear_error (&error);

    g_hash_table_insert (back->uns, g_strdup ("genomap_grid"), g_strdup ("4 by 7"));
    got = gm_layout_from_dataset (back, &error);
    g_assert_null (got);
    g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
    g_clear_error (&error);
  }
  g_assert_cmpint (g_remove (out), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  gm_h5_init ();
  truth = gm_test_truth_load ();
  path = gm_test_data_path ("csr_counts.h5ad");
  fixture = gm_read (path, NULL, &error);
  g_assert_no_error (error);

  g_test_add_func ("/layout/select-genes", test_select_genes);
  g_test_add_func ("/layout/correlation-distance", test_correlation_distance);
  g_test_add_data_func ("/layout/deterministic/rings", GINT_TO_POINTER (GM_GRID_RINGS), test_layout_deterministic);
  g_test_add_data_func ("/layout/deterministic/euclidean", GINT_TO_POINTER (GM_GRID_EUCLIDEAN),
                        test_layout_deterministic);
  g_test_add_func ("/layout/gene-list-and-grid", test_layout_gene_list_and_grid);
  g_test_add_func ("/layout/bad-inputs", test_layout_bad_inputs);
  g_test_add_func ("/layout/from-dataset", test_layout_from_dataset);
  g_test_add_func ("/layout/load-errors", test_layout_load_errors);
  g_test_add_func ("/layout/maps", test_maps);

  rc = g_test_run ();
  gm_dataset_free (fixture);
  gm_test_truth_free (truth);
  return rc;
}
