/* test-hdf5-formats.c — the 10x HDF5 and loom readers and the loom writer
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gm-h5.h"
#include "gm-io.h"
#include "gm-test-truth.h"

#define V3_FILE "tenx_v3_filtered_feature_bc_matrix.h5"
#define V2_FILE "tenx_v2_filtered_gene_bc_matrices_h5.h5"
#define LOOM_FILE "counts.loom"

static GmTestTruth *truth;

/* ------------------------------------------------------------ helpers */

static char *
tmp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("gm-h5-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
rm_rf (const char *path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  const char *name;

  if (d != NULL)
    {
      while ((name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          g_unlink (child);
        }
      g_dir_close (d);
    }
  g_rmdir (path);
}

static guint
dir_entries (const char *path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (d);
  while (g_dir_read_name (d) != NULL)
    n++;
  g_dir_close (d);
  return n;
}

static gboolean
has_note (const GmDataset *ds,
          const char      *needle)
{
  for (guint i = 0; i < ds->notes->len; i++)
    if (strstr (g_ptr_array_index (ds->notes, i), needle) != NULL)
      return TRUE;
  return FALSE;
}

static GmColumn *
find_column (GPtrArray  *cols,
             const char *name)
{
  for (guint i = 0; i < cols->len; i++)
    {
      GmColumn *c = g_ptr_array_index (cols, i);
      if (strcmp (c->name, name) == 0)
        return c;
    }
  return NULL;
}

static void
assert_csr_equal (const GmCsr *a,
                  const GmCsr *b)
{
  g_assert_cmpint (a->n_rows, ==, b->n_rows);
  g_assert_cmpint (a->n_cols, ==, b->n_cols);
  for (int64_t r = 0; r <= a->n_rows; r++)
    g_assert_cmpint (a->indptr[r], ==, b->indptr[r]);
  for (int64_t k = 0; k < a->indptr[a->n_rows]; k++)
    {
      g_assert_cmpint (a->indices[k], ==, b->indices[k]);
      g_assert_cmpfloat (a->data[k], ==, b->data[k]);
    }
}

static void
assert_error_mentions (const GError *error,
                       int           code,
                       const char   *needle)
{
  g_assert_nonnull (error);
  g_assert_true (error->domain == GM_ERROR);
  if (error->code != code || strstr (error->message, needle) == NULL)
    g_error ("expected error %d mentioning '%s', got %d: %s", code, needle, error->code,
             error->message);
}

typedef struct
{
  GArray *fractions;
  gint   *cancel_at_second;
} Progress;

static void
record_progress (double      fraction,
                 const char *stage,
                 gpointer    data)
{
  Progress *p = data;

  g_assert_nonnull (stage);
  g_array_append_val (p->fractions, fraction);
  if (p->cancel_at_second != NULL && p->fractions->len == 2)
    g_atomic_int_set (p->cancel_at_second, 1);
}

/* --- writing HDF5 test files with the C API --- */

static void
h5_fixed_strings (hid_t        loc,
                  const char  *name,
                  const char **v,
                  int          n)
{
  size_t width = 1;
  hsize_t dim = (hsize_t) n;
  g_autofree char *buf = NULL;
  hid_t t, s, d;

  for (int i = 0; i < n; i++)
    width = MAX (width, strlen (v[i]));
  buf = g_malloc0 (width * MAX (n, 1));
  for (int i = 0; i < n; i++)
    memcpy (buf + i * width, v[i], strlen (v[i]));   /* NULLPAD, like numpy S<n> */
  t = H5Tcopy (H5T_C_S1);
  g_assert_cmpint (H5Tset_size (t, width), >=, 0);
  g_assert_cmpint (H5Tset_strpad (t, H5T_STR_NULLPAD), >=, 0);
  s = H5Screate_simple (1, &dim, NULL);
  d = H5Dcreate2 (loc, name, t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  g_assert_cmpint (d, >=, 0);
  g_assert_cmpint (H5Dwrite (d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), >=, 0);
  H5Dclose (d);
  H5Sclose (s);
  H5Tclose (t);
}

static void
h5_numbers (hid_t        loc,
            const char  *name,
            hid_t        filetype,
            hid_t        memtype,
            int          rank,
            const hsize_t *dims,
            const hsize_t *chunk,
            const void  *buf)
{
  hid_t s = H5Screate_simple (rank, dims, NULL);
  hid_t p = H5Pcreate (H5P_DATASET_CREATE);
  hid_t d;

  if (chunk != NULL)
    {
      g_assert_cmpint (H5Pset_chunk (p, rank, chunk), >=, 0);
      g_assert_cmpint (H5Pset_deflate (p, 4), >=, 0);
    }
  d = H5Dcreate2 (loc, name, filetype, s, H5P_DEFAULT, p, H5P_DEFAULT);
  g_assert_cmpint (d, >=, 0);
  g_assert_cmpint (H5Dwrite (d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), >=, 0);
  H5Dclose (d);
  H5Pclose (p);
  H5Sclose (s);
}

static void
h5_root_string_attr (hid_t       file,
                     const char *name,
                     const char *value)
{
  hid_t t = H5Tcopy (H5T_C_S1);
  hid_t s = H5Screate (H5S_SCALAR);
  hid_t a;

  H5Tset_size (t, strlen (value));
  H5Tset_strpad (t, H5T_STR_NULLPAD);
  a = H5Acreate2 (file, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
  g_assert_cmpint (a, >=, 0);
  g_assert_cmpint (H5Awrite (a, t, value), >=, 0);
  H5Aclose (a);
  H5Sclose (s);
  H5Tclose (t);
}

/* ------------------------------------------------------------ 10x v3 */

static GmDataset *
read_10x (const char           *name,
          const GmReadOptions  *opts,
          GError              **error)
{
  g_autofree char *path = gm_test_data_path (name);

  return gm_read_10x_h5 (path, opts, error);
}

static void
test_10x_v3_filtered (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = read_10x (V3_FILE, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (ds);
  gm_test_assert_dataset_matches (ds, truth, TRUE, NULL);
  g_assert_cmpint (ds->format, ==, GM_FORMAT_10X_H5);
  g_assert_cmpstr (ds->format_detail, ==, "Cell Ranger ≥ 3 (matrix-h5 version 2)");
  g_assert_true (has_note (ds, "kept 40 'Gene Expression' features; left out 5 'Antibody Capture'"));
  g_assert_null (find_column (ds->var, "feature_types"));
}

static void
test_10x_v3_all_features (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = NULL;
  GmReadOptions opts;
  GmColumn *ft;
  int ng = truth->n_genes, na = truth->n_adt;

  gm_read_options_init (&opts);
  opts.all_features = TRUE;
  ds = read_10x (V3_FILE, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ds->X.n_rows, ==, truth->n_cells);
  g_assert_cmpint (ds->X.n_cols, ==, ng + na);
  g_assert_false (has_note (ds, "left out"));

  for (int64_t i = 0; i < ds->X.n_rows; i++)
    {
      g_autofree double *row = g_new0 (double, ng + na);
      for (int64_t k = ds->X.indptr[i]; k < ds->X.indptr[i + 1]; k++)
        row[ds->X.indices[k]] = ds->X.data[k];
      for (int j = 0; j < ng; j++)
        g_assert_cmpfloat (row[j], ==, truth->counts[i * ng + j]);
      for (int j = 0; j < na; j++)
        g_assert_cmpfloat (row[ng + j], ==, truth->adt[i * na + j]);
    }
  for (int j = 0; j < na; j++)
    {
      g_assert_cmpstr (ds->gene_names[ng + j], ==, truth->adt_names[j]);
      g_assert_cmpstr (ds->gene_ids[ng + j], ==, truth->adt_ids[j]);
    }

  ft = find_column (ds->var, "feature_types");
  g_assert_nonnull (ft);
  g_assert_cmpint (ft->kind, ==, GM_COLUMN_CATEGORICAL);
  g_assert_cmpint (ft->length, ==, ng + na);
  for (int j = 0; j < ng + na; j++)
    g_assert_cmpstr (ft->categories[ft->codes[j]], ==, j < ng ? "Gene Expression" : "Antibody Capture");
}

static void
test_10x_v3_genome (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = NULL;
  GmReadOptions opts;

  gm_read_options_init (&opts);
  opts.genome = "GRCh38";
  ds = read_10x (V3_FILE, &opts, &error);
  g_assert_no_error (error);
  gm_test_assert_dataset_matches (ds, truth, TRUE, NULL);

  opts.genome = "mm10";
  g_assert_null (read_10x (V3_FILE, &opts, &error));
  assert_error_mentions (error, GM_ERROR_USAGE, "has no genome 'mm10'; the genomes in the file are: GRCh38");
}

/* Tiny blocks exercise the streaming (block boundaries, in-place compaction). */
static void
test_10x_blocks_and_progress (void)
{
  const char *files[] = { V3_FILE, V2_FILE };

  g_setenv ("GENOMAP_READ_BLOCK_ENTRIES", "7", TRUE);
  for (guint f = 0; f < G_N_ELEMENTS (files); f++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GmDataset) ds = NULL;
      g_autoptr(GArray) fractions = g_array_new (FALSE, FALSE, sizeof (double));
      Progress p = { fractions, NULL };
      GmReadOptions opts;

      gm_read_options_init (&opts);
      opts.progress = record_progress;
      opts.progress_data = &p;
      ds = read_10x (files[f], &opts, &error);
      g_assert_no_error (error);
      gm_test_assert_dataset_matches (ds, truth, TRUE, NULL);

      g_assert_cmpuint (fractions->len, >, 10);
      for (guint i = 1; i < fractions->len; i++)
        g_assert_cmpfloat (g_array_index (fractions, double, i), >=, g_array_index (fractions, double, i - 1));
      g_assert_cmpfloat (g_array_index (fractions, double, fractions->len - 1), ==, 1.0);
    }
  g_unsetenv ("GENOMAP_READ_BLOCK_ENTRIES");
}

static void
test_10x_v2 (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = read_10x (V2_FILE, NULL, &error);

  g_assert_no_error (error);
  gm_test_assert_dataset_matches (ds, truth, TRUE, NULL);
  g_assert_cmpint (ds->format, ==, GM_FORMAT_10X_H5);
  g_assert_cmpstr (ds->format_detail, ==, "Cell Ranger 1.x/2.x (genome GRCh38)");
}

/* A Cell Ranger 2 file with two genomes (GRCh38 = the truth, stored with
 * unsorted indices, a duplicate and an explicit zero; mm10 = 3 genes whose
 * names carry XML character references). */
static void
write_v2_group (hid_t        file,
                const char  *genome,
                int          n_genes,
                int          n_cells,
                const char **genes,
                const char **gene_names,
                const char **barcodes,
                const int64_t *indptr,
                const int64_t *indices,
                const int32_t *data,
                int64_t      nnz)
{
  hid_t g = H5Gcreate2 (file, genome, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  int32_t shape[2] = { n_genes, n_cells };
  hsize_t two = 2, np1 = (hsize_t) n_cells + 1, n = (hsize_t) nnz, chunk = 50;

  g_assert_cmpint (g, >=, 0);
  h5_fixed_strings (g, "barcodes", barcodes, n_cells);
  h5_fixed_strings (g, "genes", genes, n_genes);
  h5_fixed_strings (g, "gene_names", gene_names, n_genes);
  h5_numbers (g, "shape", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, &two, NULL, shape);
  h5_numbers (g, "indptr", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &np1, NULL, indptr);
  h5_numbers (g, "indices", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &n, nnz > 50 ? &chunk : NULL, indices);
  h5_numbers (g, "data", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, &n, nnz > 50 ? &chunk : NULL, data);
  H5Gclose (g);
}

static char *
make_two_genome_file (const char *dir)
{
  char *path = g_build_filename (dir, "barnyard.h5", NULL);
  int nc = truth->n_cells, ng = truth->n_genes;
  g_autofree int64_t *indptr = g_new0 (int64_t, nc + 1);
  g_autoptr(GArray) indices = g_array_new (FALSE, FALSE, sizeof (int64_t));
  g_autoptr(GArray) data = g_array_new (FALSE, FALSE, sizeof (int32_t));
  hid_t file;

  file = H5Fcreate (path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  g_assert_cmpint (file, >=, 0);

  for (int i = 0; i < nc; i++)
    {
      gboolean first = TRUE;
      /* genes in decreasing order */
      for (int j = ng - 1; j >= 0; j--)
        {
          int32_t v = (int32_t) truth->counts[i * ng + j];
          int64_t jj = j;

          if (v == 0)
            continue;
          if (first && v > 1)
            {
              /* split the first value into a duplicate pair, then add a zero */
              int32_t half = v / 2, rest = v - v / 2, zero = 0;
              int64_t other = (j + 1) % ng;
              g_array_append_val (indices, jj);
              g_array_append_val (data, half);
              g_array_append_val (indices, jj);
              g_array_append_val (data, rest);
              if (truth->counts[i * ng + other] == 0)
                {
                  g_array_append_val (indices, other);
                  g_array_append_val (data, zero);
                }
              first = FALSE;
              continue;
            }
          g_array_append_val (indices, jj);
          g_array_append_val (data, v);
        }
      indptr[i + 1] = indices->len;
    }
  write_v2_group (file, "GRCh38", ng, nc, (const char **) truth->gene_ids, (const char **) truth->gene_names,
                  (const char **) truth->barcodes, indptr, (const int64_t *) indices->data,
                  (const int32_t *) data->data, indices->len);

  {
    const char *genes[] = { "ENSMUSG01", "ENSMUSG02", "ENSMUSG03" };
    const char *names[] = { "Caf&#233;", "A&amp;B", "&#x3b1;-tubulin" };
    const char *bcs[] = { "AAAC-1", "AAAG-1" };
    int64_t mp[] = { 0, 2, 3 };
    int64_t mi[] = { 2, 0, 1 };
    int32_t md[] = { 5, 1, 70000 };
    write_v2_group (file, "mm10", 3, 2, genes, names, bcs, mp, mi, md, 3);
  }
  g_assert_cmpint (H5Fclose (file), >=, 0);
  return path;
}

static void
test_10x_v2_two_genomes (void)
{
  g_autofree char *dir = tmp_dir ();
  g_autofree char *path = make_two_genome_file (dir);
  g_autoptr(GError) error = NULL;
  GmReadOptions opts;

  g_assert_cmpint (gm_detect_format (path, &error), ==, GM_FORMAT_10X_H5);
  g_assert_no_error (error);

  g_assert_null (gm_read_10x_h5 (path, NULL, &error));
  assert_error_mentions (error, GM_ERROR_AMBIGUOUS, "contains several genomes (GRCh38, mm10); choose one with --genome");
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);

  gm_read_options_init (&opts);
  opts.genome = "GRCh38";
  {
    g_autoptr(GmDataset) ds = gm_read_10x_h5 (path, &opts, &error);
    g_assert_no_error (error);
    gm_test_assert_dataset_matches (ds, truth, TRUE, NULL);
    g_assert_cmpstr (ds->format_detail, ==, "Cell Ranger 1.x/2.x (genome GRCh38)");
  }

  /* the same through tiny blocks */
  g_setenv ("GENOMAP_READ_BLOCK_ENTRIES", "3", TRUE);
  {
    g_autoptr(GmDataset) ds = gm_read_10x_h5 (path, &opts, &error);
    g_assert_no_error (error);
    gm_test_assert_dataset_matches (ds, truth, TRUE, NULL);
  }
  g_unsetenv ("GENOMAP_READ_BLOCK_ENTRIES");

  opts.genome = "mm10";
  {
    g_autoptr(GmDataset) ds = gm_read_10x_h5 (path, &opts, &error);
    g_assert_no_error (error);
    g_assert_cmpint (ds->X.n_rows, ==, 2);
    g_assert_cmpint (ds->X.n_cols, ==, 3);
    g_assert_cmpint (ds->X.indptr[2], ==, 3);
    g_assert_cmpint (ds->X.indices[0], ==, 0);    /* sorted: (0,1) (2,5) */
    g_assert_cmpfloat (ds->X.data[0], ==, 1.0f);
    g_assert_cmpint (ds->X.indices[1], ==, 2);
    g_assert_cmpfloat (ds->X.data[1], ==, 5.0f);
    g_assert_cmpfloat (ds->X.data[2], ==, 70000.0f);
    g_assert_cmpstr (ds->gene_names[0], ==, "Café");
    g_assert_cmpstr (ds->gene_names[1], ==, "A&B");
    g_assert_cmpstr (ds->gene_names[2], ==, "α-tubulin");
    g_assert_cmpstr (ds->cell_names[1], ==, "AAAG-1");
  }

  opts.genome = "hg19";
  g_assert_null (gm_read_10x_h5 (path, &opts, &error));
  assert_error_mentions (error, GM_ERROR_USAGE, "GRCh38, mm10");
  g_clear_error (&error);

  g_unlink (path);
  rm_rf (dir);
}

/* A feature index beyond the shape is refused with a clear message. */
static void
test_10x_bad_index (void)
{
  g_autofree char *dir = tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "bad.h5", NULL);
  g_autoptr(GError) error = NULL;
  const char *genes[] = { "G1", "G2" };
  const char *bcs[] = { "A-1", "C-1" };
  int64_t ip[] = { 0, 1, 2 };
  int64_t ix[] = { 1, G_GINT64_CONSTANT (4294967297) };   /* does not even fit in 32 bits */
  int32_t dv[] = { 1, 2 };
  hid_t file = H5Fcreate (path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);

  write_v2_group (file, "hg19", 2, 2, genes, genes, bcs, ip, ix, dv, 2);
  H5Fclose (file);
  g_assert_null (gm_read_10x_h5 (path, NULL, &error));
  assert_error_mentions (error, GM_ERROR_INVALID_INPUT, "hg19/indices: entry 1 has feature index");
  g_unlink (path);
  rm_rf (dir);
}

/* ------------------------------------------------------------ memory and cancel */

static void
test_memory_limit (void)
{
  const char *files[] = { V3_FILE, V2_FILE, LOOM_FILE };

  g_setenv ("GENOMAP_MEMORY_LIMIT", "1K", TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = gm_test_data_path (files[i]);
      g_autoptr(GError) error = NULL;
      GmDataset *ds = i < 2 ? gm_read_10x_h5 (path, NULL, &error) : gm_read_loom (path, NULL, &error);

      g_assert_null (ds);
      assert_error_mentions (error, GM_ERROR_TOO_LARGE, path);
      g_assert_nonnull (strstr (error->message, "GENOMAP_MEMORY_LIMIT"));
    }
  g_unsetenv ("GENOMAP_MEMORY_LIMIT");

  /* opts->memory_limit works the same way */
  {
    g_autofree char *path = gm_test_data_path (V3_FILE);
    g_autoptr(GError) error = NULL;
    GmReadOptions opts;

    gm_read_options_init (&opts);
    opts.memory_limit = 2048;
    g_assert_null (gm_read_10x_h5 (path, &opts, &error));
    assert_error_mentions (error, GM_ERROR_TOO_LARGE, "is available");
  }
}

static void
test_cancel (void)
{
  const char *files[] = { V3_FILE, V2_FILE, LOOM_FILE };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = gm_test_data_path (files[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(GArray) fractions = g_array_new (FALSE, FALSE, sizeof (double));
      gint cancel = 1;
      Progress p = { fractions, &cancel };
      GmReadOptions opts;
      GmDataset *ds;

      /* already cancelled */
      gm_read_options_init (&opts);
      opts.cancel = &cancel;
      ds = i < 2 ? gm_read_10x_h5 (path, &opts, &error) : gm_read_loom (path, &opts, &error);
      g_assert_null (ds);
      g_assert_error (error, GM_ERROR, GM_ERROR_CANCELLED);
      g_clear_error (&error);

      /* cancelled from the progress callback, between blocks */
      cancel = 0;
      opts.progress = record_progress;
      opts.progress_data = &p;
      g_setenv ("GENOMAP_READ_BLOCK_ENTRIES", "20", TRUE);
      ds = i < 2 ? gm_read_10x_h5 (path, &opts, &error) : gm_read_loom (path, &opts, &error);
      g_unsetenv ("GENOMAP_READ_BLOCK_ENTRIES");
      if (i < 2)
        {
          g_assert_null (ds);
          g_assert_error (error, GM_ERROR, GM_ERROR_CANCELLED);
        }
      else
        {
          /* the loom fixture is one 40 × 60 chunk: a single block, nothing to cancel between */
          g_assert_no_error (error);
          gm_dataset_free (ds);
        }
    }
}

/* ------------------------------------------------------------ loom */

static void
test_loom_read (void)
{
  g_autofree char *path = gm_test_data_path (LOOM_FILE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = gm_read_loom (path, NULL, &error);
  GmColumn *clusters;

  g_assert_no_error (error);
  g_assert_nonnull (ds);
  /* ClusterName comes back categorical, its categories in the order of the
   * 1:1 integer code Clusters (T cell, B cell, Monocyte = the truth order). */
  gm_test_assert_dataset_matches (ds, truth, TRUE, "ClusterName");
  g_assert_cmpint (ds->format, ==, GM_FORMAT_LOOM);
  g_assert_cmpstr (ds->format_detail, ==, "loom 3.0.0");

  clusters = find_column (ds->obs, "Clusters");
  g_assert_nonnull (clusters);
  g_assert_cmpint (clusters->kind, ==, GM_COLUMN_NUMERIC);
  g_assert_true (clusters->is_integer);
  for (int i = 0; i < truth->n_cells; i++)
    g_assert_cmpstr (truth->categories[(int) clusters->values[i]], ==, truth->cell_types[i]);
  g_assert_null (find_column (ds->obs, "CellID"));
  g_assert_null (find_column (ds->var, "Gene"));
  g_assert_null (find_column (ds->var, "Accession"));
  g_assert_nonnull (g_hash_table_lookup (ds->uns, "CreationDate"));
  g_assert_null (g_hash_table_lookup (ds->uns, "LOOM_SPEC_VERSION"));

  /* a missing layer */
  {
    GmReadOptions opts;
    gm_read_options_init (&opts);
    opts.layer = "spliced";
    g_assert_null (gm_read_loom (path, &opts, &error));
    assert_error_mentions (error, GM_ERROR_INVALID_INPUT, "no layer 'spliced' (layers: none)");
  }
}

/* A synthetic dataset with every kind of annotation, several 64-cell blocks
 * and 64-gene chunks, and an empty cell. */
static GmDataset *
make_dataset (int n_cells,
              int n_genes)
{
  GmDataset *ds = gm_dataset_new ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  GArray *indices = g_array_new (FALSE, FALSE, sizeof (int32_t));
  GArray *data = g_array_new (FALSE, FALSE, sizeof (float));
  GmColumn *col;

  ds->X.n_rows = n_cells;
  ds->X.n_cols = n_genes;
  ds->X.indptr = g_new0 (int64_t, n_cells + 1);
  for (int i = 0; i < n_cells; i++)
    {
      for (int j = 0; j < n_genes && i != 3; j++)
        if (g_rand_double (rand) < 0.15)
          {
            int32_t jj = j;
            float v = g_rand_boolean (rand) ? (float) g_rand_int_range (rand, 1, 100000)
                                            : (float) g_rand_double_range (rand, -5.0, 5.0);
            if (v == 0.0f)
              v = 0.25f;
            g_array_append_val (indices, jj);
            g_array_append_val (data, v);
          }
      ds->X.indptr[i + 1] = indices->len;
    }
  ds->X.indices = (int32_t *) g_array_free (indices, FALSE);
  ds->X.data = (float *) g_array_free (data, FALSE);

  ds->cell_names = g_new0 (char *, n_cells + 1);
  for (int i = 0; i < n_cells; i++)
    ds->cell_names[i] = g_strdup_printf ("cell-%03d", i);
  ds->gene_names = g_new0 (char *, n_genes + 1);
  ds->gene_ids = g_new0 (char *, n_genes + 1);
  for (int j = 0; j < n_genes; j++)
    {
      /* non-ASCII, a bare '&' and text that looks like a character reference */
      ds->gene_names[j] = j == 0 ? g_strdup ("Gène-α") : j == 1 ? g_strdup ("A&B")
                        : j == 2 ? g_strdup ("x&#233;&amp;y") : g_strdup_printf ("G%d", j);
      ds->gene_ids[j] = g_strdup_printf ("ENSG%05d", j);
    }

  /* categorical with an order, an unused category and missing values */
  col = gm_column_new ("cluster", GM_COLUMN_CATEGORICAL, n_cells);
  col->n_categories = 4;
  col->categories = g_new0 (char *, 5);
  col->categories[0] = g_strdup ("c2");
  col->categories[1] = g_strdup ("c0");
  col->categories[2] = g_strdup ("c1 (big)");
  col->categories[3] = g_strdup ("unused");
  col->ordered = TRUE;
  for (int i = 0; i < n_cells; i++)
    col->codes[i] = i % 7 == 0 ? -1 : i % 3;
  g_ptr_array_add (ds->obs, col);

  col = gm_column_new ("score", GM_COLUMN_NUMERIC, n_cells);
  for (int i = 0; i < n_cells; i++)
    col->values[i] = i == 5 ? NAN : i * 0.5 - 3.25;
  g_ptr_array_add (ds->obs, col);

  col = gm_column_new ("n_genes", GM_COLUMN_NUMERIC, n_cells);
  col->is_integer = TRUE;
  for (int i = 0; i < n_cells; i++)
    col->values[i] = (double) (ds->X.indptr[i + 1] - ds->X.indptr[i]);
  g_ptr_array_add (ds->obs, col);

  col = gm_column_new ("is_doublet", GM_COLUMN_BOOLEAN, n_cells);
  for (int i = 0; i < n_cells; i++)
    col->values[i] = i % 11 == 0;
  g_ptr_array_add (ds->obs, col);

  col = gm_column_new ("comment", GM_COLUMN_STRING, n_cells);
  for (int i = 0; i < n_cells; i++)
    col->strings[i] = i == 2 ? NULL : g_strdup_printf ("note %d ✓", i);
  g_ptr_array_add (ds->obs, col);

  /* a column whose name needs changing in HDF5 */
  col = gm_column_new ("a/b", GM_COLUMN_NUMERIC, n_cells);
  g_ptr_array_add (ds->obs, col);

  col = gm_column_new ("mean", GM_COLUMN_NUMERIC, n_genes);
  for (int j = 0; j < n_genes; j++)
    col->values[j] = j / 3.0;
  g_ptr_array_add (ds->var, col);
  {
    g_autofree char **chrom = g_new0 (char *, n_genes + 1);
    for (int j = 0; j < n_genes; j++)
      chrom[j] = j % 2 ? "chr1" : "chrX";
    g_ptr_array_add (ds->var, gm_column_categorical_from_strings ("chrom", chrom, n_genes));
  }
  g_hash_table_insert (ds->uns, g_strdup ("title"), g_strdup ("A test & more"));
  return ds;
}

static void
assert_round_trip (const GmDataset *ds,
                   const GmDataset *back)
{
  GmColumn *c, *o;

  assert_csr_equal (&ds->X, &back->X);
  for (int64_t i = 0; i < ds->X.n_rows; i++)
    g_assert_cmpstr (back->cell_names[i], ==, ds->cell_names[i]);
  for (int64_t j = 0; j < ds->X.n_cols; j++)
    {
      g_assert_cmpstr (back->gene_names[j], ==, ds->gene_names[j]);
      g_assert_cmpstr (back->gene_ids[j], ==, ds->gene_ids[j]);
    }

  o = find_column (ds->obs, "cluster");
  c = find_column (back->obs, "cluster");
  g_assert_nonnull (c);
  g_assert_cmpint (c->kind, ==, GM_COLUMN_CATEGORICAL);
  g_assert_true (c->ordered);
  g_assert_cmpint (c->n_categories, ==, o->n_categories);
  for (int k = 0; k < o->n_categories; k++)
    g_assert_cmpstr (c->categories[k], ==, o->categories[k]);
  for (int64_t i = 0; i < o->length; i++)
    g_assert_cmpint (c->codes[i], ==, o->codes[i]);

  o = find_column (ds->obs, "score");
  c = find_column (back->obs, "score");
  g_assert_nonnull (c);
  g_assert_cmpint (c->kind, ==, GM_COLUMN_NUMERIC);
  g_assert_false (c->is_integer);
  for (int64_t i = 0; i < o->length; i++)
    g_assert_true (c->values[i] == o->values[i] || (isnan (c->values[i]) && isnan (o->values[i])));

  o = find_column (ds->obs, "n_genes");
  c = find_column (back->obs, "n_genes");
  g_assert_nonnull (c);
  g_assert_true (c->is_integer);
  for (int64_t i = 0; i < o->length; i++)
    g_assert_cmpfloat (c->values[i], ==, o->values[i]);

  o = find_column (ds->obs, "is_doublet");
  c = find_column (back->obs, "is_doublet");
  g_assert_nonnull (c);
  g_assert_cmpint (c->kind, ==, GM_COLUMN_NUMERIC);   /* uint8 in loom, as loompy stores bools */
  for (int64_t i = 0; i < o->length; i++)
    g_assert_cmpfloat (c->values[i], ==, o->values[i]);

  o = find_column (ds->obs, "comment");
  c = find_column (back->obs, "comment");
  g_assert_nonnull (c);
  g_assert_cmpint (c->kind, ==, GM_COLUMN_STRING);
  for (int64_t i = 0; i < o->length; i++)
    g_assert_cmpstr (c->strings[i], ==, o->strings[i] ? o->strings[i] : "");

  g_assert_nonnull (find_column (back->obs, "a_b"));

  c = find_column (back->var, "mean");
  g_assert_nonnull (c);
  for (int64_t j = 0; j < c->length; j++)
    g_assert_cmpfloat (c->values[j], ==, j / 3.0);
  c = find_column (back->var, "chrom");
  g_assert_nonnull (c);
  g_assert_cmpint (c->kind, ==, GM_COLUMN_CATEGORICAL);
  g_assert_cmpstr (c->categories[0], ==, "chrX");
  g_assert_cmpstr (c->categories[c->codes[1]], ==, "chr1");

  g_assert_cmpstr (g_hash_table_lookup (back->uns, "title"), ==, "A test & more");
}

static void
test_loom_round_trip (void)
{
  g_autofree char *dir = tmp_dir ();
  g_autofree char *out = g_build_filename (dir, "rt.loom", NULL);
  g_autoptr(GmDataset) ds = make_dataset (150, 70);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) fractions = g_array_new (FALSE, FALSE, sizeof (double));
  Progress p = { fractions, NULL };
  GmWriteOptions wopts;
  const char *copy = g_getenv ("GM_TEST_LOOM_COPY");

  g_assert_cmpint (ds->X.indptr[4] - ds->X.indptr[3], ==, 0);
  gm_write_options_init (&wopts);
  wopts.progress = record_progress;
  wopts.progress_data = &p;
  g_assert_true (gm_write_loom (ds, out, &wopts, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fractions->len, >=, 3);
  g_assert_cmpfloat (g_array_index (fractions, double, fractions->len - 1), ==, 1.0);
  g_assert_cmpuint (dir_entries (dir), ==, 1);   /* no temporary left */

  {
    g_autoptr(GmDataset) back = gm_read_loom (out, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (back->format_detail, ==, "loom 3.0.0");
    assert_round_trip (ds, back);
  }
  /* read again in single-chunk blocks of 64 cells */
  g_setenv ("GENOMAP_READ_BLOCK_ENTRIES", "100", TRUE);
  {
    g_autoptr(GmDataset) back = gm_read_loom (out, NULL, &error);
    g_assert_no_error (error);
    assert_round_trip (ds, back);
  }
  g_unsetenv ("GENOMAP_READ_BLOCK_ENTRIES");

  /* through the format-detecting entry points */
  g_assert_cmpint (gm_detect_format (out, &error), ==, GM_FORMAT_LOOM);
  g_assert_no_error (error);

  if (copy != NULL)
    {
      g_autofree char *contents = NULL;
      gsize len = 0;
      g_assert_true (g_file_get_contents (out, &contents, &len, NULL));
      g_assert_true (g_file_set_contents (copy, contents, len, NULL));
    }

  /* the fixture itself survives the trip too */
  {
    g_autofree char *src = gm_test_data_path (LOOM_FILE);
    g_autoptr(GmDataset) fixture = gm_read_loom (src, NULL, &error);
    g_autoptr(GmDataset) back = NULL;

    g_assert_no_error (error);
    wopts.progress = NULL;
    wopts.compression = 0;
    g_assert_true (gm_write_loom (fixture, out, &wopts, &error));   /* replaces rt.loom */
    back = gm_read_loom (out, NULL, &error);
    g_assert_no_error (error);
    gm_test_assert_dataset_matches (back, truth, TRUE, "ClusterName");
  }

  /* no cells, no genes */
  for (int e = 0; e < 2; e++)
    {
      g_autoptr(GmDataset) empty = make_dataset (e == 0 ? 0 : 5, e == 0 ? 6 : 0);
      g_autoptr(GmDataset) back = NULL;

      g_assert_true (gm_write_loom (empty, out, NULL, &error));
      g_assert_no_error (error);
      back = gm_read_loom (out, NULL, &error);
      g_assert_no_error (error);
      assert_csr_equal (&empty->X, &back->X);
      g_assert_cmpuint (back->obs->len, ==, empty->obs->len);
      g_assert_cmpuint (back->var->len, ==, empty->var->len);
      for (int64_t i = 0; i < back->X.n_rows; i++)
        g_assert_cmpstr (back->cell_names[i], ==, empty->cell_names[i]);
      for (int64_t j = 0; j < back->X.n_cols; j++)
        g_assert_cmpstr (back->gene_names[j], ==, empty->gene_names[j]);
    }

  g_unlink (out);
  rm_rf (dir);
}

static void
test_loom_write_cancel (void)
{
  g_autofree char *dir = tmp_dir ();
  g_autofree char *out = g_build_filename (dir, "c.loom", NULL);
  g_autoptr(GmDataset) ds = make_dataset (200, 30);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) fractions = g_array_new (FALSE, FALSE, sizeof (double));
  gint cancel = 1;
  Progress p = { fractions, &cancel };
  GmWriteOptions wopts;

  gm_write_options_init (&wopts);
  wopts.cancel = &cancel;
  g_assert_false (gm_write_loom (ds, out, &wopts, &error));
  g_assert_error (error, GM_ERROR, GM_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpuint (dir_entries (dir), ==, 0);

  /* cancelled half way: no half file, no temporary */
  cancel = 0;
  wopts.progress = record_progress;
  wopts.progress_data = &p;
  g_assert_false (gm_write_loom (ds, out, &wopts, &error));
  g_assert_error (error, GM_ERROR, GM_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpuint (dir_entries (dir), ==, 0);

  /* a folder that does not exist */
  {
    g_autofree char *bad = g_build_filename (dir, "missing", "x.loom", NULL);
    g_assert_false (gm_write_loom (ds, bad, NULL, &error));
    g_assert_error (error, GM_ERROR, GM_ERROR_WRITE);
  }
  rm_rf (dir);
}

/* A loom 2 file: fixed-length ASCII with XML entities, global attributes on
 * the root, a uint16 matrix in 5 × 4 chunks, a 2-D column attribute. */
static void
test_loom2 (void)
{
  g_autofree char *dir = tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "old.loom", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = NULL;
  enum { NG = 7, NC = 10 };
  uint16_t m[NG][NC];
  double umap[NC][2];
  const char *genes[NG] = { "Caf&#233;", "B", "C&amp;D", "E", "F", "G", "H" };
  const char *cells[NC] = { "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9" };
  const char *label[NC] = { "b&#945;", "a", "a", "b&#945;", "a", "a", "a", "b&#945;", "a", "a" };
  hsize_t mdims[2] = { NG, NC }, chunk[2] = { 5, 4 }, udims[2] = { NC, 2 };
  hid_t file, g;

  for (int i = 0; i < NG; i++)
    for (int j = 0; j < NC; j++)
      m[i][j] = (i * 3 + j) % 4 == 0 ? (uint16_t) (60000 + i * 10 + j) : 0;
  for (int j = 0; j < NC; j++)
    for (int i = 0; i < NG; i++)
      m[i][j] = j == 6 ? 0 : m[i][j];   /* an empty cell */
  for (int j = 0; j < NC; j++)
    umap[j][0] = umap[j][1] = j;

  file = H5Fcreate (path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  g_assert_cmpint (file, >=, 0);
  h5_numbers (file, "matrix", H5T_STD_U16LE, H5T_NATIVE_UINT16, 2, mdims, chunk, m);
  g = H5Gcreate2 (file, "row_attrs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  h5_fixed_strings (g, "Gene", genes, NG);
  H5Gclose (g);
  g = H5Gcreate2 (file, "col_attrs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  h5_fixed_strings (g, "CellID", cells, NC);
  h5_fixed_strings (g, "Label", label, NC);
  h5_numbers (g, "X_umap", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, udims, NULL, umap);
  H5Gclose (g);
  H5Gclose (H5Gcreate2 (file, "layers", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  h5_root_string_attr (file, "LOOM_SPEC_VERSION", "2.0.1");
  h5_root_string_attr (file, "title", "Old &amp; gold");
  g_assert_cmpint (H5Fclose (file), >=, 0);

  g_assert_cmpint (gm_detect_format (path, &error), ==, GM_FORMAT_LOOM);
  g_assert_no_error (error);

  g_setenv ("GENOMAP_READ_BLOCK_ENTRIES", "1", TRUE);   /* one 4-cell chunk per block */
  ds = gm_read_loom (path, NULL, &error);
  g_unsetenv ("GENOMAP_READ_BLOCK_ENTRIES");
  g_assert_no_error (error);
  g_assert_cmpstr (ds->format_detail, ==, "loom 2.0.1");
  g_assert_cmpint (ds->X.n_rows, ==, NC);
  g_assert_cmpint (ds->X.n_cols, ==, NG);
  for (int j = 0; j < NC; j++)
    {
      int64_t k = ds->X.indptr[j];
      for (int i = 0; i < NG; i++)
        if (m[i][j] != 0)
          {
            g_assert_cmpint (ds->X.indices[k], ==, i);
            g_assert_cmpfloat (ds->X.data[k], ==, (float) m[i][j]);
            k++;
          }
      g_assert_cmpint (k, ==, ds->X.indptr[j + 1]);
    }
  g_assert_cmpint (ds->X.indptr[7] - ds->X.indptr[6], ==, 0);
  g_assert_cmpstr (ds->gene_names[0], ==, "Café");
  g_assert_cmpstr (ds->gene_names[2], ==, "C&D");
  g_assert_null (ds->gene_ids);
  g_assert_cmpstr (ds->cell_names[9], ==, "c9");
  {
    GmColumn *c = find_column (ds->obs, "Label");
    g_assert_nonnull (c);
    g_assert_cmpint (c->kind, ==, GM_COLUMN_CATEGORICAL);
    g_assert_cmpint (c->n_categories, ==, 2);
    g_assert_cmpstr (c->categories[0], ==, "a");        /* sorted */
    g_assert_cmpstr (c->categories[1], ==, "bα");
    g_assert_cmpint (c->codes[0], ==, 1);
  }
  g_assert_null (find_column (ds->obs, "X_umap"));
  g_assert_true (has_note (ds, "X_umap"));
  g_assert_cmpstr (g_hash_table_lookup (ds->uns, "title"), ==, "Old & gold");
  g_assert_null (g_hash_table_lookup (ds->uns, "LOOM_SPEC_VERSION"));

  g_unlink (path);
  rm_rf (dir);
}

/* uns: what our writer stores comes back; scalars written another way (fixed-length strings
 * without an encoding, integers, floats) are read as text; groups, arrays and booleans are
 * skipped. */
static void
test_h5ad_uns (void)
{
  g_autofree char *src = gm_test_data_path ("csr_counts.h5ad");
  g_autofree char *dir = g_dir_make_tmp ("gm-uns-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "uns.h5ad", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = gm_read (src, NULL, &error);
  g_autoptr(GmDataset) back = NULL;
  GmReadOptions ropts;
  hid_t file, uns, space, type, d, g;

  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (ds->uns), ==, 0);
  g_hash_table_insert (ds->uns, g_strdup ("title"), g_strdup ("Zellen – ünïcode"));
  g_hash_table_insert (ds->uns, g_strdup ("empty"), g_strdup (""));
  g_hash_table_insert (ds->uns, g_strdup ("multi"), g_strdup ("line 1\nline 2"));
  g_assert_true (gm_write (ds, out, NULL, &error));
  g_assert_no_error (error);

  /* add what other programs write */
  file = H5Fopen (out, H5F_ACC_RDWR, H5P_DEFAULT);
  g_assert_cmpint (file, >=, 0);
  uns = H5Gopen2 (file, "uns", H5P_DEFAULT);
  space = H5Screate (H5S_SCALAR);
  type = H5Tcopy (H5T_C_S1);
  H5Tset_size (type, 8);
  H5Tset_strpad (type, H5T_STR_NULLPAD);
  d = H5Dcreate2 (uns, "fixed", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  g_assert_cmpint (H5Dwrite (d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, "abcdefgh"), >=, 0);
  H5Dclose (d);
  H5Tclose (type);
  {
    gint32 i = -42;
    double x = 0.25;
    guint64 u = G_GUINT64_CONSTANT (18446744073709551615);
    hsize_t three = 3;
    int arr[3] = { 1, 2, 3 };
    hid_t s3 = H5Screate_simple (1, &three, NULL);

    d = H5Dcreate2 (uns, "n_pcs", H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite (d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, &i);
    H5Dclose (d);
    d = H5Dcreate2 (uns, "resolution", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite (d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &x);
    H5Dclose (d);
    d = H5Dcreate2 (uns, "big", H5T_STD_U64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite (d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &u);
    H5Dclose (d);
    d = H5Dcreate2 (uns, "array", H5T_STD_I32LE, s3, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite (d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, arr);
    H5Dclose (d);
    H5Sclose (s3);
  }
  {
    hid_t bt = gm_h5_bool_type ();
    gint8 yes = 1;

    d = H5Dcreate2 (uns, "flag", bt, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite (d, bt, H5S_ALL, H5S_ALL, H5P_DEFAULT, &yes);
    H5Dclose (d);
    H5Tclose (bt);
  }
  g = H5Gcreate2 (uns, "params", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Gclose (g);
  H5Sclose (space);
  H5Gclose (uns);
  H5Fclose (file);

  back = gm_read (out, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (back->uns, "title"), ==, "Zellen – ünïcode");
  g_assert_cmpstr (g_hash_table_lookup (back->uns, "empty"), ==, "");
  g_assert_cmpstr (g_hash_table_lookup (back->uns, "multi"), ==, "line 1\nline 2");
  g_assert_cmpstr (g_hash_table_lookup (back->uns, "fixed"), ==, "abcdefgh");
  g_assert_cmpstr (g_hash_table_lookup (back->uns, "n_pcs"), ==, "-42");
  g_assert_cmpstr (g_hash_table_lookup (back->uns, "resolution"), ==, "0.25");
  g_assert_cmpstr (g_hash_table_lookup (back->uns, "big"), ==, "18446744073709551615");
  g_assert_false (g_hash_table_contains (back->uns, "array"));
  g_assert_false (g_hash_table_contains (back->uns, "flag"));
  g_assert_false (g_hash_table_contains (back->uns, "params"));
  g_assert_cmpuint (g_hash_table_size (back->uns), ==, 7);
  g_clear_pointer (&back, gm_dataset_free);

  /* metadata-only reads (streaming convert) see it too */
  gm_read_options_init (&ropts);
  ropts.metadata_only = TRUE;
  back = gm_read (out, &ropts, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (back->uns, "fixed"), ==, "abcdefgh");

  g_assert_cmpint (g_remove (out), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static gpointer
read_broken_thread (gpointer data)
{
  const char * const *names = data;

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *path = gm_test_data_path (names[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(GmDataset) ds = gm_read (path, NULL, &error);

      g_assert_null (ds);
      g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
      g_assert_true (g_str_has_prefix (error->message, path));
    }
  return GINT_TO_POINTER (1);
}

/* Thread-safe HDF5 prints its error stack per thread unless told not to: a read in a thread
 * other than the one that called gm_h5_init first must print nothing either. */
static void
test_errors_silent_in_threads (void)
{
  static const char * const names[] = { "broken_truncated.h5ad", "broken_not_anndata.h5", NULL };

  if (g_test_subprocess ())
    {
      GThread *t1 = g_thread_new ("reader-1", read_broken_thread, (gpointer) names);
      GThread *t2;

      g_assert_nonnull (g_thread_join (t1));
      t2 = g_thread_new ("reader-2", read_broken_thread, (gpointer) names);
      g_assert_nonnull (g_thread_join (t2));
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("");
}

/* ------------------------------------------------- parallel chunk decoding */

/* Writes a 1-D dataset of n values of file type ftype in chunks of csize
 * with the given filters (shuffle, then deflate if asked). */
static void
write_filtered (hid_t        file,
                const char  *name,
                hid_t        ftype,
                hid_t        memtype,
                const void  *values,
                hsize_t      n,
                hsize_t      csize,
                gboolean     shuffle,
                gboolean     deflate)
{
  hid_t space = H5Screate_simple (1, &n, NULL), dcpl = H5Pcreate (H5P_DATASET_CREATE), d;

  H5Pset_chunk (dcpl, 1, &csize);
  if (shuffle)
    H5Pset_shuffle (dcpl);
  if (deflate)
    H5Pset_deflate (dcpl, 4);
  d = H5Dcreate2 (file, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  g_assert_cmpint (d, >=, 0);
  g_assert_cmpint (H5Dwrite (d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, values), >=, 0);
  H5Dclose (d);
  H5Pclose (dcpl);
  H5Sclose (space);
}

/* gm_h5_read_range through raw chunks inflated on several threads gives
 * the bytes HDF5 gives: shuffle + deflate and deflate alone, 1-, 4- and
 * 8-byte integers and floats read as float and int32, ranges starting and
 * ending inside chunks, the partial last chunk, one chunk, no filter. */
static void
test_parallel_decode (void)
{
  g_autofree char *dir = g_dir_make_tmp ("gm-h5-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "filtered.h5", NULL);
  g_autoptr(GRand) r = g_rand_new_with_seed (9);
  const hsize_t n = 100003, csize = 4096;
  g_autofree gint64 *i64 = g_new (gint64, n);
  g_autofree gint32 *i32 = g_new (gint32, n);
  g_autofree float *f32 = g_new (float, n);
  g_autofree double *f64 = g_new (double, n);
  g_autofree guint8 *u8 = g_new (guint8, n);
  const char *names[] = { "i64_shuf_gz", "i32_shuf_gz", "f32_gz", "f64_shuf_gz", "u8_shuf_gz", "i32_plain", "i64_onechunk" };
  hsize_t ranges[][2] = { { 0, 100003 }, { 1, 100002 }, { 4095, 2 }, { 4095, 8200 }, { 12288, 4096 }, { 99000, 1003 }, { 37, 60000 } };
  hid_t file;

  for (hsize_t i = 0; i < n; i++)
    {
      /* UMI-like: mostly small, some large, a few negative (indices are not) */
      i64[i] = g_rand_int_range (r, 0, 10) < 8 ? g_rand_int_range (r, 0, 30) : g_rand_int_range (r, -5000, 5000000);
      i32[i] = (gint32) i64[i];
      f32[i] = (float) g_rand_double_range (r, -1e3, 1e3);
      f64[i] = g_rand_double_range (r, -1e6, 1e6);
      u8[i] = (guint8) g_rand_int_range (r, 0, 256);
    }
  file = H5Fcreate (path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  write_filtered (file, names[0], H5T_STD_I64LE, H5T_NATIVE_INT64, i64, n, csize, TRUE, TRUE);
  write_filtered (file, names[1], H5T_STD_I32LE, H5T_NATIVE_INT32, i32, n, csize, TRUE, TRUE);
  write_filtered (file, names[2], H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, f32, n, csize, FALSE, TRUE);
  write_filtered (file, names[3], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, f64, n, csize, TRUE, TRUE);
  write_filtered (file, names[4], H5T_STD_U8LE, H5T_NATIVE_UINT8, u8, n, csize, TRUE, TRUE);
  write_filtered (file, names[5], H5T_STD_I32LE, H5T_NATIVE_INT32, i32, n, csize, FALSE, FALSE);
  write_filtered (file, names[6], H5T_STD_I64LE, H5T_NATIVE_INT64, i64, n, n, TRUE, TRUE);
  H5Fclose (file);

  g_setenv ("GENOMAP_H5_THREADS", "3", TRUE);
  file = H5Fopen (path, H5F_ACC_RDONLY, H5P_DEFAULT);
  for (guint k = 0; k < G_N_ELEMENTS (names); k++)
    for (guint q = 0; q < G_N_ELEMENTS (ranges); q++)
      for (int m = 0; m < 2; m++)
        {
          g_autoptr(GError) error = NULL;
          hid_t d = H5Dopen2 (file, names[k], H5P_DEFAULT);
          hid_t mt = m == 0 ? H5T_NATIVE_FLOAT : H5T_NATIVE_INT32;
          hsize_t off = ranges[q][0], cnt = ranges[q][1];
          g_autofree guint8 *a = g_malloc0 (cnt * 4), *b = g_malloc0 (cnt * 4);

          guint64 before = gm_h5_parallel_decoded_chunks ();
          guint64 chunks = (off + cnt - 1) / csize - off / csize + 1;

          gm_h5_set_parallel_decode (TRUE);
          g_assert_true (gm_h5_read_range (d, off, cnt, mt, a, names[k], &error));
          g_assert_no_error (error);
          /* the filtered datasets went through the chunk path when the range
           * spans chunks; the unfiltered one and the single chunk never do */
          g_assert_cmpuint (gm_h5_parallel_decoded_chunks () - before, ==,
                            k < 5 && chunks > 1 ? chunks : 0);
          gm_h5_set_parallel_decode (FALSE);
          g_assert_true (gm_h5_read_range (d, off, cnt, mt, b, names[k], &error));
          g_assert_no_error (error);
          g_assert_cmpmem (a, cnt * 4, b, cnt * 4);
          if (k == 1 && m == 1)     /* and they are the values written */
            g_assert_cmpmem (a, cnt * 4, i32 + off, cnt * 4);
          H5Dclose (d);
        }
  H5Fclose (file);
  gm_h5_set_parallel_decode (TRUE);
  g_unsetenv ("GENOMAP_H5_THREADS");
  g_unlink (path);
  g_rmdir (dir);
}

/* A damaged compressed chunk gives an error naming the dataset and the
 * chunk, not a crash or wrong values. */
static void
test_parallel_decode_corrupt (void)
{
  g_autofree char *dir = g_dir_make_tmp ("gm-h5-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "corrupt.h5", NULL);
  g_autoptr(GError) error = NULL;
  const hsize_t n = 50000, csize = 4096;
  g_autofree gint32 *v = g_new (gint32, n), *out = g_new (gint32, n);
  hsize_t at = 3 * csize;
  haddr_t addr = 0;
  hsize_t size = 0;
  unsigned mask = 0;
  hid_t file, d;
  FILE *fp;

  for (hsize_t i = 0; i < n; i++)
    v[i] = (gint32) (i % 17);
  file = H5Fcreate (path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  write_filtered (file, "x", H5T_STD_I32LE, H5T_NATIVE_INT32, v, n, csize, TRUE, TRUE);
  d = H5Dopen2 (file, "x", H5P_DEFAULT);
  g_assert_cmpint (H5Dget_chunk_info_by_coord (d, &at, &mask, &addr, &size), >=, 0);
  H5Dclose (d);
  H5Fclose (file);
  fp = fopen (path, "r+b");
  g_assert_nonnull (fp);
  fseek (fp, (long) (addr + size / 2), SEEK_SET);
  fwrite ("\xff\x00\xff\x00\xff\x00\xff\x00", 1, 8, fp);
  fclose (fp);

  g_setenv ("GENOMAP_H5_THREADS", "2", TRUE);
  gm_h5_set_parallel_decode (TRUE);
  file = H5Fopen (path, H5F_ACC_RDONLY, H5P_DEFAULT);
  d = H5Dopen2 (file, "x", H5P_DEFAULT);
  g_assert_false (gm_h5_read_range (d, 0, n, H5T_NATIVE_INT32, out, "corrupt.h5: x", &error));
  g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
  g_test_message ("%s", error->message);
  g_assert_true (strstr (error->message, "corrupt.h5: x") != NULL);
  g_assert_true (strstr (error->message, "chunk 3 is corrupt") != NULL);
  H5Dclose (d);
  H5Fclose (file);
  g_unsetenv ("GENOMAP_H5_THREADS");
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  gm_h5_init ();
  truth = gm_test_truth_load ();

  g_test_add_func ("/hdf5/10x/v3-filtered", test_10x_v3_filtered);
  g_test_add_func ("/hdf5/10x/v3-all-features", test_10x_v3_all_features);
  g_test_add_func ("/hdf5/10x/v3-genome", test_10x_v3_genome);
  g_test_add_func ("/hdf5/10x/blocks-and-progress", test_10x_blocks_and_progress);
  g_test_add_func ("/hdf5/10x/v2", test_10x_v2);
  g_test_add_func ("/hdf5/10x/v2-two-genomes", test_10x_v2_two_genomes);
  g_test_add_func ("/hdf5/10x/bad-index", test_10x_bad_index);
  g_test_add_func ("/hdf5/memory-limit", test_memory_limit);
  g_test_add_func ("/hdf5/parallel-decode", test_parallel_decode);
  g_test_add_func ("/hdf5/parallel-decode-corrupt", test_parallel_decode_corrupt);
  g_test_add_func ("/hdf5/h5ad/uns", test_h5ad_uns);
  g_test_add_func ("/hdf5/errors-silent-in-threads", test_errors_silent_in_threads);
  g_test_add_func ("/hdf5/cancel", test_cancel);
  g_test_add_func ("/hdf5/loom/read", test_loom_read);
  g_test_add_func ("/hdf5/loom/round-trip", test_loom_round_trip);
  g_test_add_func ("/hdf5/loom/write-cancel", test_loom_write_cancel);
  g_test_add_func ("/hdf5/loom/loom2", test_loom2);

  rc = g_test_run ();
  /* every file, group, dataset and attribute handle was closed */
  g_assert_cmpint (H5Fget_obj_count (H5F_OBJ_ALL, H5F_OBJ_ALL), ==, 0);
  gm_test_truth_free (truth);
  return rc;
}
