/* test-formats.c — every fixture, through the format-detecting reader, equals the ground truth
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "gm-h5.h"
#include "gm-io.h"
#include "gm-test-truth.h"

static GmTestTruth *truth;

typedef struct
{
  const char *file;
  GmFormat    format;
  gboolean    ids;
  const char *cell_type;
} Case;

static const Case cases[] = {
  { "dense_float32.h5ad", GM_FORMAT_H5AD, TRUE, "cell_type" },
  { "csr_counts.h5ad", GM_FORMAT_H5AD, TRUE, "cell_type" },
  { "csc_counts.h5ad", GM_FORMAT_H5AD, TRUE, "cell_type" },
  { "csr_gzip.h5ad", GM_FORMAT_H5AD, TRUE, "cell_type" },
  { "csr_lzf.h5ad", GM_FORMAT_H5AD, TRUE, "cell_type" },
  { "legacy_v06.h5ad", GM_FORMAT_H5AD, FALSE, "cell_type" },
  { "legacy_v07.h5ad", GM_FORMAT_H5AD, FALSE, "cell_type" },
  { "tenx_v3_filtered_feature_bc_matrix.h5", GM_FORMAT_10X_H5, TRUE, NULL },
  { "tenx_v2_filtered_gene_bc_matrices_h5.h5", GM_FORMAT_10X_H5, TRUE, NULL },
  { "tenx_v3_mtx", GM_FORMAT_10X_MTX, TRUE, NULL },
  { "tenx_v2_mtx", GM_FORMAT_10X_MTX, TRUE, NULL },
  { "counts.loom", GM_FORMAT_LOOM, TRUE, "ClusterName" },
  { "counts_cells_x_genes.csv", GM_FORMAT_CSV, FALSE, NULL },
  { "counts_genes_x_cells.tsv", GM_FORMAT_TSV, FALSE, NULL },
};

static void
test_fixture (gconstpointer data)
{
  const Case *c = data;
  g_autofree char *path = gm_test_data_path (c->file);
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = NULL;

  g_assert_cmpint (gm_detect_format (path, &error), ==, c->format);
  g_assert_no_error (error);
  ds = gm_read (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ds);
  g_assert_cmpint (ds->format, ==, c->format);
  gm_test_assert_dataset_matches (ds, truth, c->ids, c->cell_type);
}

static void
test_imputed_layer (void)
{
  g_autofree char *path = gm_test_data_path ("imputed_with_counts_layer.h5ad");
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) imputed = gm_read (path, NULL, &error);
  g_autoptr(GmDataset) counts = NULL;
  GmReadOptions opts;

  g_assert_no_error (error);
  g_assert_cmpint (imputed->X.n_rows, ==, truth->n_cells);
  for (int64_t i = 0; i < imputed->X.n_rows; i++)
    {
      g_autofree float *row = g_new0 (float, truth->n_genes);
      for (int64_t k = imputed->X.indptr[i]; k < imputed->X.indptr[i + 1]; k++)
        row[imputed->X.indices[k]] = imputed->X.data[k];
      for (int j = 0; j < truth->n_genes; j++)
        g_assert_cmpfloat (row[j], ==, (float) truth->imputed[i * truth->n_genes + j]);
    }
  g_assert_false (gm_csr_is_integer (&imputed->X));

  gm_read_options_init (&opts);
  opts.layer = "counts";
  counts = gm_read (path, &opts, &error);
  g_assert_no_error (error);
  gm_test_assert_dataset_matches (counts, truth, FALSE, "cell_type");

  opts.layer = "spliced";
  g_assert_null (gm_read (path, &opts, &error));
  g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "no layer 'spliced' (layers: counts)"));
}

static void
assert_read_fails (const char *name,
                   const char *expected)
{
  g_autofree char *path = gm_test_data_path (name);
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = gm_read (path, NULL, &error);

  g_assert_null (ds);
  g_assert_nonnull (error);
  g_assert_true (error->domain == GM_ERROR);
  if (strstr (error->message, path) == NULL || strstr (error->message, expected) == NULL)
    g_error ("error for %s does not name the file or say '%s': %s", name, expected, error->message);
}

static void
test_broken (void)
{
  assert_read_fails ("broken_truncated.h5ad", "truncated or corrupt");
  assert_read_fails ("broken_not_anndata.h5", "not AnnData, 10x or Loom");
  assert_read_fails ("broken_ragged.csv", "line 6: expected 41 fields, found 38");
  assert_read_fails ("no-such-file.h5ad", "no such file");
}

static char *
tmp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("gm-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
rm_rf (const char *path)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", path);
  g_assert_cmpint (system (cmd), ==, 0);
}

/* Every writer's output reads back to the truth, with the annotations. */
static void
test_round_trip (void)
{
  g_autofree char *src = gm_test_data_path ("csr_counts.h5ad");
  g_autofree char *dir = tmp_dir ();
  const char *outs[] = { "a.h5ad", "b.loom", "c.csv", "d.tsv.gz", "e_mtx" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = gm_read (src, NULL, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (outs); i++)
    {
      g_autofree char *out = g_build_filename (dir, outs[i], NULL);
      g_autoptr(GmDataset) back = NULL;
      GmWriteOptions wopts;

      gm_write_options_init (&wopts);
      g_assert_true (gm_write (ds, out, &wopts, &error));
      g_assert_no_error (error);
      back = gm_read (out, NULL, &error);
      g_assert_no_error (error);
      gm_test_assert_dataset_matches (back, truth,
                                      i == 0 || i == 1 || i == 4,
                                      i <= 1 ? "cell_type" : NULL);
    }

  /* Dense h5ad with gzip. */
  {
    g_autofree char *out = g_build_filename (dir, "dense.h5ad", NULL);
    g_autoptr(GmDataset) back = NULL;
    GmWriteOptions wopts;

    gm_write_options_init (&wopts);
    wopts.dense = TRUE;
    wopts.compression = 4;
    g_assert_true (gm_write (ds, out, &wopts, &error));
    back = gm_read (out, NULL, &error);
    g_assert_no_error (error);
    g_assert_nonnull (strstr (back->format_detail, "dense"));
    gm_test_assert_dataset_matches (back, truth, TRUE, "cell_type");
  }
  rm_rf (dir);
}

/* h5ad → h5ad streaming gives what the in-memory path gives, and steps aside for
 * matrices whose rows are not canonical. */
static void
test_streaming_convert (void)
{
  g_autofree char *src = gm_test_data_path ("csr_counts.h5ad");
  g_autofree char *dir = tmp_dir ();
  g_autofree char *out = g_build_filename (dir, "s.h5ad", NULL);
  g_autofree char *messy = g_build_filename (dir, "messy.h5ad", NULL);
  g_autofree char *out2 = g_build_filename (dir, "s2.h5ad", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) back = NULL;
  g_autoptr(GmDataset) ds = NULL;
  gboolean applicable = FALSE;

  g_assert_true (gm_convert_h5ad_streaming (src, out, NULL, NULL, NULL, &applicable, &error));
  g_assert_no_error (error);
  g_assert_true (applicable);
  back = gm_read (out, NULL, &error);
  g_assert_no_error (error);
  gm_test_assert_dataset_matches (back, truth, TRUE, "cell_type");

  /* Reverse the entries of row 0 (unsorted indices): the stream must not take it. */
  ds = gm_read (src, NULL, &error);
  g_assert_no_error (error);
  for (int64_t a = ds->X.indptr[0], b = ds->X.indptr[1] - 1; a < b; a++, b--)
    {
      int32_t ti = ds->X.indices[a];
      float tv = ds->X.data[a];
      ds->X.indices[a] = ds->X.indices[b];
      ds->X.data[a] = ds->X.data[b];
      ds->X.indices[b] = ti;
      ds->X.data[b] = tv;
    }
  g_assert_true (gm_write_h5ad (ds, messy, NULL, &error));
  g_assert_false (gm_convert_h5ad_streaming (messy, out2, NULL, NULL, NULL, &applicable, &error));
  g_assert_no_error (error);
  g_assert_false (applicable);
  g_assert_false (g_file_test (out2, G_FILE_TEST_EXISTS));
  /* …and the in-memory path canonicalises it back to the truth. */
  g_clear_pointer (&back, gm_dataset_free);
  back = gm_read (messy, NULL, &error);
  g_assert_no_error (error);
  gm_test_assert_dataset_matches (back, truth, TRUE, "cell_type");
  rm_rf (dir);
}

/* A failed write leaves nothing behind, and no temporary files. */
static void
test_failed_write_leaves_nothing (void)
{
  g_autofree char *src = gm_test_data_path ("csr_counts.h5ad");
  g_autofree char *dir = tmp_dir ();
  g_autofree char *out = g_build_filename (dir, "out.h5ad", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = gm_read (src, NULL, &error);
  GmWriteOptions wopts;
  gint cancel = 1;
  GDir *d;

  g_assert_no_error (error);
  gm_write_options_init (&wopts);
  wopts.cancel = &cancel;
  wopts.dense = TRUE;
  g_assert_false (gm_write (ds, out, &wopts, &error));
  g_assert_error (error, GM_ERROR, GM_ERROR_CANCELLED);
  g_clear_error (&error);

  d = g_dir_open (dir, 0, NULL);
  g_assert_null (g_dir_read_name (d));
  g_dir_close (d);

  /* A folder that does not exist. */
  {
    g_autofree char *bad = g_build_filename (dir, "missing", "out.h5ad", NULL);
    g_assert_false (gm_write (ds, bad, NULL, &error));
    g_assert_error (error, GM_ERROR, GM_ERROR_WRITE);
    g_assert_nonnull (strstr (error->message, bad));
  }
  rm_rf (dir);
}

/* A file too large for the memory budget is refused before anything big is read. */
static void
test_memory_budget (void)
{
  g_autofree char *path = gm_test_data_path ("csr_counts.h5ad");
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = NULL;

  g_setenv ("GENOMAP_MEMORY_LIMIT", "4K", TRUE);
  ds = gm_read (path, NULL, &error);
  g_unsetenv ("GENOMAP_MEMORY_LIMIT");
  g_assert_null (ds);
  g_assert_error (error, GM_ERROR, GM_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "available"));
}

int
main (int    argc,
      char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  gm_h5_init ();
  truth = gm_test_truth_load ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/formats/read/%s", cases[i].file);
      g_test_add_data_func (name, &cases[i], test_fixture);
    }
  g_test_add_func ("/formats/read/imputed-with-counts-layer", test_imputed_layer);
  g_test_add_func ("/formats/read/broken", test_broken);
  g_test_add_func ("/formats/read/memory-budget", test_memory_budget);
  g_test_add_func ("/formats/write/round-trip", test_round_trip);
  g_test_add_func ("/formats/write/failed-write-leaves-nothing", test_failed_write_leaves_nothing);
  g_test_add_func ("/formats/write/streaming-convert", test_streaming_convert);

  rc = g_test_run ();
  gm_test_truth_free (truth);
  return rc;
}
