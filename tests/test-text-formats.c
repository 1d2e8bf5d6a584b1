/* test-text-formats.c — delimited text and 10x Matrix Market: readers, writers, edge cases
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <float.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "gm-io.h"
#include "gm-test-truth.h"

static GmTestTruth *truth;

/* ------------------------------------------------------------- helpers */

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);

  if (dir != NULL)
    {
      const char *name;
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_dir_close (dir);
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static char *
make_tmp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("gm-text-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static guint
count_entries (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
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

static void
dump_notes (const GmDataset *ds)
{
  for (guint i = 0; i < ds->notes->len; i++)
    g_test_message ("note: %s", (const char *) g_ptr_array_index (ds->notes, i));
}

/* A dataset from a dense row-major array (zeros are left out). */
static GmDataset *
make_dataset (int          n_rows,
              int          n_cols,
              const float *dense,
              const char **cells,
              const char **genes)
{
  GmDataset *ds = gm_dataset_new ();
  int64_t nnz = 0;

  ds->X.n_rows = n_rows;
  ds->X.n_cols = n_cols;
  ds->X.indptr = g_new0 (int64_t, n_rows + 1);
  ds->X.indices = g_new (int32_t, MAX (n_rows * n_cols, 1));
  ds->X.data = g_new (float, MAX (n_rows * n_cols, 1));
  for (int i = 0; i < n_rows; i++)
    {
      for (int j = 0; j < n_cols; j++)
        if (dense[i * n_cols + j] != 0.0f)
          {
            ds->X.indices[nnz] = j;
            ds->X.data[nnz] = dense[i * n_cols + j];
            nnz++;
          }
      ds->X.indptr[i + 1] = nnz;
    }
  ds->cell_names = g_new (char *, n_rows);
  for (int i = 0; i < n_rows; i++)
    ds->cell_names[i] = cells ? g_strdup (cells[i]) : g_strdup_printf ("cell%d", i);
  ds->gene_names = g_new (char *, n_cols);
  for (int j = 0; j < n_cols; j++)
    ds->gene_names[j] = genes ? g_strdup (genes[j]) : g_strdup_printf ("gene%d", j);
  return ds;
}

/* Asserts that two datasets hold the same matrix (exactly) and names. */
static void
assert_same (const GmDataset *a,
             const GmDataset *b)
{
  g_assert_cmpint (a->X.n_rows, ==, b->X.n_rows);
  g_assert_cmpint (a->X.n_cols, ==, b->X.n_cols);
  g_assert_cmpint (a->X.indptr[a->X.n_rows], ==, b->X.indptr[b->X.n_rows]);
  for (int64_t i = 0; i <= a->X.n_rows; i++)
    g_assert_cmpint (a->X.indptr[i], ==, b->X.indptr[i]);
  for (int64_t k = 0; k < a->X.indptr[a->X.n_rows]; k++)
    {
      g_assert_cmpint (a->X.indices[k], ==, b->X.indices[k]);
      if (a->X.data[k] != b->X.data[k])
        g_error ("entry %" G_GINT64_FORMAT ": %.9g != %.9g", k, a->X.data[k], b->X.data[k]);
    }
  for (int64_t i = 0; i < a->X.n_rows; i++)
    g_assert_cmpstr (a->cell_names[i], ==, b->cell_names[i]);
  for (int64_t j = 0; j < a->X.n_cols; j++)
    g_assert_cmpstr (a->gene_names[j], ==, b->gene_names[j]);
}

static GmDataset *
parse (const char  *text,
       char         delim,
       GError     **error)
{
  return gm_parse_text_buffer ("buf", text, strlen (text), delim, NULL, error);
}

static float
value_at (const GmDataset *ds,
          int64_t          i,
          int64_t          j)
{
  for (int64_t k = ds->X.indptr[i]; k < ds->X.indptr[i + 1]; k++)
    if (ds->X.indices[k] == j)
      return ds->X.data[k];
  return 0.0f;
}

/* ------------------------------------------------------- text fixtures */

static void
test_csv_fixture (void)
{
  g_autofree char *path = gm_test_data_path ("counts_cells_x_genes.csv");
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = gm_read_text (path, NULL, &error);

  g_assert_no_error (error);
  dump_notes (ds);
  gm_test_assert_dataset_matches (ds, truth, FALSE, NULL);
  g_assert_null (ds->gene_ids);
  g_assert_cmpint (ds->format, ==, GM_FORMAT_CSV);
  g_assert_cmpstr (ds->path, ==, path);
  g_assert_cmpstr (ds->format_detail, ==, "comma-separated, cells × genes");
  g_assert_true (has_note (ds, "rows are cells"));
  g_assert_cmpint (ds->obs->len, ==, 0);
  g_assert_cmpint (ds->var->len, ==, 0);
  /* Cell (3, 7) is 70000, above 16 bits. */
  g_assert_cmpfloat (value_at (ds, 3, 7), ==, 70000.0f);
}

static void
test_tsv_fixture (void)
{
  g_autofree char *path = gm_test_data_path ("counts_genes_x_cells.tsv");
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = gm_read_text (path, NULL, &error);

  g_assert_no_error (error);
  dump_notes (ds);
  gm_test_assert_dataset_matches (ds, truth, FALSE, NULL);
  g_assert_cmpint (ds->format, ==, GM_FORMAT_TSV);
  g_assert_true (has_note (ds, "rows are genes (corner label 'gene'); transposed to cells × genes"));
  g_assert_cmpstr (ds->format_detail, ==, "tab-separated, genes × cells (transposed)");
}

static void
test_ragged_fixture (void)
{
  g_autofree char *path = gm_test_data_path ("broken_ragged.csv");
  g_autofree char *expected = g_strdup_printf ("%s: line 6: expected 41 fields, found 38", path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = gm_read_text (path, NULL, &error);

  g_assert_null (ds);
  g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
  g_assert_cmpstr (error->message, ==, expected);
}

static void
test_orientation_forced (void)
{
  g_autofree char *csv = gm_test_data_path ("counts_cells_x_genes.csv");
  g_autofree char *tsv = gm_test_data_path ("counts_genes_x_cells.tsv");
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) a = NULL;
  g_autoptr(GmDataset) b = NULL;
  GmReadOptions opts;

  gm_read_options_init (&opts);
  opts.orientation = GM_ORIENT_GENES_ROWS;
  a = gm_read_text (csv, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpint (a->X.n_rows, ==, 40);
  g_assert_cmpint (a->X.n_cols, ==, 60);
  g_assert_cmpstr (a->cell_names[0], ==, truth->gene_names[0]);
  g_assert_cmpstr (a->gene_names[0], ==, truth->barcodes[0]);
  g_assert_cmpfloat (value_at (a, 7, 3), ==, 70000.0f);
  g_assert_true (has_note (a, "rows are genes (as requested)"));
  g_assert_true (gm_csr_validate (&a->X, "forced", NULL));

  opts.orientation = GM_ORIENT_CELLS_ROWS;
  b = gm_read_text (tsv, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpint (b->X.n_rows, ==, 40);
  g_assert_cmpint (b->X.n_cols, ==, 60);
  g_assert_cmpstr (b->cell_names[39], ==, truth->gene_names[39]);
  g_assert_true (has_note (b, "rows are cells, columns genes (as requested)"));
  assert_same (a, b);
}

static void
test_orientation_guess (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = NULL;

  /* Barcodes across, gene symbols down, no corner label. */
  ds = parse (",AAACCTGAGAAGGCCT-1,AAACCTGAGACAGACC-1\nCD3E,1,0\nMS4A1,0,2\nLYZ,5,0\n", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ds->X.n_rows, ==, 2);
  g_assert_cmpint (ds->X.n_cols, ==, 3);
  g_assert_cmpstr (ds->cell_names[1], ==, "AAACCTGAGACAGACC-1");
  g_assert_cmpstr (ds->gene_names[2], ==, "LYZ");
  g_assert_cmpfloat (value_at (ds, 1, 1), ==, 2.0f);
  g_assert_true (has_note (ds, "the column labels look like cell barcodes"));
  g_clear_pointer (&ds, gm_dataset_free);

  /* Ensembl ids down, other labels across. */
  ds = parse ("\tS1\tS2\nENSG00000100000\t1\t0\nENSMUSG00000000001.3\t0\t4\n", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ds->X.n_rows, ==, 2);
  g_assert_cmpstr (ds->cell_names[0], ==, "S1");
  g_assert_cmpstr (ds->gene_names[1], ==, "ENSMUSG00000000001.3");
  g_assert_cmpint (ds->format, ==, GM_FORMAT_TSV);
  g_assert_true (has_note (ds, "Ensembl"));
  g_clear_pointer (&ds, gm_dataset_free);

  /* Corner labels decide first. */
  ds = parse ("Gene_ID,a,b\ng1,1,2\n", ',', &error);
  g_assert_no_error (error);
  g_assert_cmpint (ds->X.n_rows, ==, 2);
  g_assert_cmpint (ds->X.n_cols, ==, 1);
  g_clear_pointer (&ds, gm_dataset_free);
  ds = parse ("barcode,ENSG00000100000,ENSG00000100001\nENSG00000100002,1,2\n", ',', &error);
  g_assert_no_error (error);
  g_assert_cmpint (ds->X.n_rows, ==, 1);
  g_assert_true (has_note (ds, "corner label 'barcode'"));
  g_clear_pointer (&ds, gm_dataset_free);

  /* Cell names containing "cell" across. */
  ds = parse (",cell_1,cell_2,cell_3\nA,1,2,3\n", ',', &error);
  g_assert_no_error (error);
  g_assert_cmpint (ds->X.n_rows, ==, 3);
  g_assert_cmpfloat (value_at (ds, 2, 0), ==, 3.0f);
}

/* --------------------------------------------------------- text parsing */

static void
test_parse_accepts (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = NULL;

  /* BOM, CRLF, no final newline. */
  ds = parse ("\xEF\xBB\xBF,A,B\r\nc1,1,2\r\nc2,0,3", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ds->X.n_rows, ==, 2);
  g_assert_cmpint (ds->X.n_cols, ==, 2);
  g_assert_cmpstr (ds->gene_names[0], ==, "A");
  g_assert_cmpstr (ds->gene_names[1], ==, "B");
  g_assert_cmpstr (ds->cell_names[1], ==, "c2");
  g_assert_cmpint (gm_dataset_nnz (ds), ==, 3);
  g_assert_cmpfloat (value_at (ds, 1, 1), ==, 3.0f);
  g_clear_pointer (&ds, gm_dataset_free);

  /* R's write.csv: everything quoted, "" corner. */
  ds = parse ("\"\",\"A\",\"B\"\n\"c1\",1,2\n\"c2\",\"0\",3\n", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ds->gene_names[0], ==, "A");
  g_assert_cmpstr (ds->cell_names[0], ==, "c1");
  g_assert_cmpint (gm_dataset_nnz (ds), ==, 3);
  g_clear_pointer (&ds, gm_dataset_free);

  /* Missing corner, blank lines (also trailing, also with CR). */
  ds = parse ("\nA\tB\tC\nc1\t1\t2\t3\n\nc2\t4\t5\t6\n\n\r\n\n", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ds->X.n_rows, ==, 2);
  g_assert_cmpint (ds->X.n_cols, ==, 3);
  g_assert_cmpstr (ds->gene_names[0], ==, "A");
  g_assert_cmpfloat (value_at (ds, 1, 2), ==, 6.0f);
  g_assert_true (has_note (ds, "no corner"));
  g_clear_pointer (&ds, gm_dataset_free);

  /* Numbers in every form. */
  ds = parse (",a,b,c,d,e,f,g,h,i,j\n"
              "r,1.5,-2,1e3,2.5E-1, 3 ,+4,0.000,-0,\"7\",0.1\n", ',', &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (value_at (ds, 0, 0), ==, 1.5f);
  g_assert_cmpfloat (value_at (ds, 0, 1), ==, -2.0f);
  g_assert_cmpfloat (value_at (ds, 0, 2), ==, 1000.0f);
  g_assert_cmpfloat (value_at (ds, 0, 3), ==, 0.25f);
  g_assert_cmpfloat (value_at (ds, 0, 4), ==, 3.0f);
  g_assert_cmpfloat (value_at (ds, 0, 5), ==, 4.0f);
  g_assert_cmpfloat (value_at (ds, 0, 8), ==, 7.0f);
  g_assert_cmpfloat (value_at (ds, 0, 9), ==, 0.1f);
  g_assert_cmpint (gm_dataset_nnz (ds), ==, 8);
  g_clear_pointer (&ds, gm_dataset_free);

  /* Long mantissas and many decimals take the slow path, and agree with strtof. */
  ds = parse (",a,b,c\nr,0.1000000000000000055511151231257827,123456789012345678901234,"
              "3.4028234663852886e38\n", ',', &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (value_at (ds, 0, 0), ==, 0.1f);
  g_assert_cmpfloat (value_at (ds, 0, 1), ==, 123456789012345678901234.0f);
  g_assert_cmpfloat (value_at (ds, 0, 2), ==, 3.4028234663852886e38f);
  g_clear_pointer (&ds, gm_dataset_free);

  /* Quoted labels: delimiter, doubled quotes, a line break. */
  ds = parse (",\"x,y\",\"say \"\"hi\"\"\"\n\"multi\nline\",1,2\n\"c,2\",3,4\n", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ds->X.n_rows, ==, 2);
  g_assert_cmpstr (ds->gene_names[0], ==, "x,y");
  g_assert_cmpstr (ds->gene_names[1], ==, "say \"hi\"");
  g_assert_cmpstr (ds->cell_names[0], ==, "multi\nline");
  g_assert_cmpstr (ds->cell_names[1], ==, "c,2");
  g_assert_cmpfloat (value_at (ds, 1, 1), ==, 4.0f);
  g_clear_pointer (&ds, gm_dataset_free);

  /* Duplicate column labels are a note, not an error. */
  ds = parse (",A,B,A\nc1,1,2,3\n", ',', &error);
  g_assert_no_error (error);
  g_assert_true (has_note (ds, "1 duplicate column labels (first: 'A')"));
  g_clear_pointer (&ds, gm_dataset_free);

  /* A delimiter forced by the caller wins over detection. */
  ds = parse ("x;y,A\tB\nc\t1\n", '\t', &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ds->gene_names[0], ==, "B");
  g_assert_cmpint (ds->X.n_cols, ==, 1);
}

typedef struct
{
  const char *text;
  char        delim;
  const char *message;   /* the whole message after "buf: " */
} BadCase;

static void
test_parse_rejects (void)
{
  static const BadCase cases[] = {
    { "", 0, "line 1: the file is empty" },
    { "\n\r\n\n", 0, "line 1: the file is empty" },
    { "\xEF\xBB\xBF", 0, "line 1: the file is empty" },
    { ",A,B\n", 0, "line 1: the file has a header but no data rows" },
    { "\n,A,B\n\n", 0, "line 2: the file has a header but no data rows" },
    { ",A,B\nc1,1,2\nc2,1,x\n", 0, "line 3: column 3 ('B'): 'x' is not a number" },
    { ",A,B\nc1,1,2\nc2,NA,0\n", 0, "line 3: column 2 ('A'): 'NA' is not a number" },
    { ",A,B\nc1,nan,2\n", 0, "line 2: column 2 ('A'): 'nan' is not a finite number (NaN and infinity are not accepted)" },
    { ",A,B\nc1,1,-Inf\n", 0, "line 2: column 3 ('B'): '-Inf' is not a finite number (NaN and infinity are not accepted)" },
    { ",A,B\nc1,1,1e39\n", 0, "line 2: column 3 ('B'): '1e39' is outside the float32 range" },
    { ",A,B\nc1,1,\n", 0, "line 2: column 3 ('B'): '' is not a number" },
    { ",A,B\nc1,0x10,1\n", 0, "line 2: column 2 ('A'): '0x10' is not a number" },
    { ",A,B\nc1,1,2,3\n", 0, "line 2: expected 3 fields, found 4" },
    { ",A,B\nc1,1,2\nc2,1,2,\n", 0, "line 3: expected 3 fields, found 4" },
    { ",A,B\nc1,1,2\nc2\n", 0, "line 3: expected 3 fields, found 1" },
    { ",A,B\nc1,1,2\nc2,x\n", 0, "line 3: expected 3 fields, found 2" },
    { ",A,B,C,D\nc1,1\n", 0, "line 2: expected 5 fields, found 2" },
    { ",A\n\"c1,1\n", 0, "line 2: a quoted field is not closed before the end of the file" },
    { "corner\nc1\n", 0, "line 2: the rows hold a label but no values" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GmDataset) ds = parse (cases[i].text, cases[i].delim, &error);
      g_autofree char *expected = g_strdup_printf ("buf: %s", cases[i].message);

      g_test_message ("case %u", i);
      g_assert_null (ds);
      g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
      g_assert_cmpstr (error->message, ==, expected);
    }

  /* A NULL error is fine too. */
  g_assert_null (parse (",A\nc,x\n", ',', NULL));
  /* An unusable delimiter. */
  {
    g_autoptr(GError) error = NULL;
    g_assert_null (parse (",A\nc,1\n", '"', &error));
    g_assert_error (error, GM_ERROR, GM_ERROR_USAGE);
  }
}

static void
test_read_limits (void)
{
  g_autofree char *csv = gm_test_data_path ("counts_cells_x_genes.csv");
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = NULL;
  GmReadOptions opts;
  gint cancel = 1;

  gm_read_options_init (&opts);
  opts.memory_limit = 1000;
  ds = gm_read_text (csv, &opts, &error);
  g_assert_null (ds);
  g_assert_error (error, GM_ERROR, GM_ERROR_TOO_LARGE);
  g_assert_true (g_str_has_prefix (error->message, csv));
  g_clear_error (&error);

  gm_read_options_init (&opts);
  opts.cancel = &cancel;
  ds = gm_read_text (csv, &opts, &error);
  g_assert_null (ds);
  g_assert_error (error, GM_ERROR, GM_ERROR_CANCELLED);
  g_clear_error (&error);

  ds = gm_read_text ("/nonexistent/file.csv", NULL, &error);
  g_assert_null (ds);
  g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
  g_assert_true (g_str_has_prefix (error->message, "/nonexistent/file.csv: "));
}

static void
count_progress (double      fraction,
                const char *stage,
                gpointer    user_data)
{
  g_assert_cmpfloat (fraction, >=, 0.0);
  g_assert_cmpfloat (fraction, <=, 1.0);
  (*(int *) user_data)++;
}

static void
cancel_on_progress (double      fraction,
                    const char *stage,
                    gpointer    user_data)
{
  g_atomic_int_set ((gint *) user_data, 1);
}

static void
test_large_inputs (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *wide = g_build_filename (dir, "wide.csv.gz", NULL);
  g_autofree char *tall = g_build_filename (dir, "tall.tsv", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = NULL;
  GmReadOptions opts;
  const int n_wide = 700000, n_tall = 10000;
  int calls = 0;
  gint cancel = 0;

  /* Lines longer than the 4 MiB read buffer, and a quoted label spanning
   * lines, in a gzip file. */
  {
    gzFile gz = gzopen (wide, "wb1");
    g_assert_nonnull (gz);
    for (int j = 0; j < n_wide; j++)
      gzprintf (gz, ",g%06d", j);
    gzputs (gz, "\n\"two\nlines\"");
    for (int j = 0; j < n_wide; j++)
      gzputs (gz, j % 100000 == 7 ? ",5" : ",0");
    gzputs (gz, "\n");
    g_assert_cmpint (gzclose (gz), ==, Z_OK);
  }
  ds = gm_read_text (wide, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ds->X.n_rows, ==, 1);
  g_assert_cmpint (ds->X.n_cols, ==, n_wide);
  g_assert_cmpint (gm_dataset_nnz (ds), ==, 7);
  g_assert_cmpstr (ds->cell_names[0], ==, "two\nlines");
  g_assert_cmpstr (ds->gene_names[n_wide - 1], ==, "g699999");
  g_assert_cmpfloat (value_at (ds, 0, 600007), ==, 5.0f);
  g_clear_pointer (&ds, gm_dataset_free);

  /* Many rows: progress is reported, and a cancel during the read stops it. */
  {
    GString *s = g_string_new ("\tA\tB\n");
    for (int i = 0; i < n_tall; i++)
      g_string_append_printf (s, "c%d\t%d\t0.5\n", i, i);
    g_assert_true (g_file_set_contents (tall, s->str, (gssize) s->len, NULL));
    g_string_free (s, TRUE);
  }
  gm_read_options_init (&opts);
  opts.progress = count_progress;
  opts.progress_data = &calls;
  ds = gm_read_text (tall, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ds->X.n_rows, ==, n_tall);
  g_assert_cmpint (gm_dataset_nnz (ds), ==, 2 * n_tall - 1);
  g_assert_cmpint (calls, >=, 3);
  g_clear_pointer (&ds, gm_dataset_free);

  gm_read_options_init (&opts);
  opts.progress = cancel_on_progress;
  opts.progress_data = &cancel;
  opts.cancel = &cancel;
  ds = gm_read_text (tall, &opts, &error);
  g_assert_null (ds);
  g_assert_error (error, GM_ERROR, GM_ERROR_CANCELLED);
  remove_tree (dir);
}

/* ---------------------------------------------------------- text writer */

static char *
read_gz_file (const char *path)
{
  gzFile gz = gzopen (path, "rb");
  GString *s = g_string_new (NULL);
  char buf[4096];
  int n;

  g_assert_nonnull (gz);
  while ((n = gzread (gz, buf, sizeof buf)) > 0)
    g_string_append_len (s, buf, n);
  g_assert_cmpint (n, ==, 0);
  gzclose (gz);
  return g_string_free (s, FALSE);
}

static void
test_text_writer_format (void)
{
  static const float dense[] = {
    1, 0, 2.5f,
    0, 0, 0,
    -3, 70000, 0.1f,
  };
  static const char *cells[] = { "c1", "with,comma", "with \"quote\"\nand line" };
  static const char *genes[] = { "A", "B\tC", "D" };
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *csv = g_build_filename (dir, "out.csv", NULL);
  g_autofree char *tsv = g_build_filename (dir, "out.tsv", NULL);
  g_autoptr(GmDataset) ds = make_dataset (3, 3, dense, cells, genes);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  g_assert_true (gm_write_text (ds, csv, ',', NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
  g_assert_cmpstr (text, ==,
                   ",A,\"B\tC\",D\n"
                   "c1,1,0,2.5\n"
                   "\"with,comma\",0,0,0\n"
                   "\"with \"\"quote\"\"\nand line\",-3,70000,0.1\n");
  g_clear_pointer (&text, g_free);

  g_assert_true (gm_write_text (ds, tsv, '\t', NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (tsv, &text, NULL, NULL));
  g_assert_cmpstr (text, ==,
                   "\tA\t\"B\tC\"\tD\n"
                   "c1\t1\t0\t2.5\n"
                   "\"with,comma\"\t0\t0\t0\n"
                   "\"with \"\"quote\"\"\nand line\"\t-3\t70000\t0.1\n");

  /* Both read back exactly, names included. */
  for (guint i = 0; i < 2; i++)
    {
      GmReadOptions opts;
      g_autoptr(GmDataset) back = NULL;

      gm_read_options_init (&opts);
      opts.orientation = GM_ORIENT_CELLS_ROWS;
      back = gm_read_text (i == 0 ? csv : tsv, &opts, &error);
      g_assert_no_error (error);
      assert_same (ds, back);
    }
  remove_tree (dir);
}

static void
test_text_roundtrip (void)
{
  static const char *names[] = { "out.csv", "out.tsv", "out.csv.gz", "out.txt.gz" };
  g_autofree char *src = gm_test_data_path ("counts_cells_x_genes.csv");
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = gm_read_text (src, NULL, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);
      g_autoptr(GmDataset) back = NULL;

      g_assert_true (gm_write (ds, path, NULL, &error));
      g_assert_no_error (error);
      if (g_str_has_suffix (path, ".gz"))
        {
          g_autofree char *raw = NULL;
          gsize len = 0;
          g_autofree char *plain = read_gz_file (path);

          g_assert_true (g_file_get_contents (path, &raw, &len, NULL));
          g_assert_cmpuint (len, >, 2);
          g_assert_cmpint ((guchar) raw[0], ==, 0x1f);
          g_assert_cmpint ((guchar) raw[1], ==, 0x8b);
          g_assert_true (g_str_has_prefix (plain, strstr (names[i], ".csv") ? ",CD3E,CD3D," : "\tCD3E\tCD3D\t"));
        }
      back = gm_read (path, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (back->format, ==, strstr (names[i], ".csv") ? GM_FORMAT_CSV : GM_FORMAT_TSV);
      gm_test_assert_dataset_matches (back, truth, FALSE, NULL);
    }
  /* The folder holds exactly the outputs: no temporary files left. */
  g_assert_cmpuint (count_entries (dir), ==, G_N_ELEMENTS (names));
  remove_tree (dir);
}

static void
test_text_float_roundtrip (void)
{
  float dense[4 * 8];
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "floats.csv.gz", NULL);
  g_autoptr(GmDataset) ds = NULL;
  g_autoptr(GmDataset) back = NULL;
  g_autoptr(GError) error = NULL;
  GRand *rand = g_rand_new_with_seed (42);

  for (guint i = 0; i < G_N_ELEMENTS (dense); i++)
    {
      switch (i % 8)
        {
        case 0: dense[i] = 0.0f; break;
        case 1: dense[i] = 1.0f / 3.0f; break;
        case 2: dense[i] = 1e-7f; break;
        case 3: dense[i] = -123456.789f; break;
        case 4: dense[i] = 3e30f; break;
        case 5: dense[i] = 16777217.0f; break;
        case 6: dense[i] = FLT_MIN; break;
        default: dense[i] = (float) g_rand_double_range (rand, -1e6, 1e6); break;
        }
    }
  g_rand_free (rand);
  ds = make_dataset (4, 8, dense, NULL, NULL);
  g_assert_true (gm_write_text (ds, path, ',', NULL, &error));
  g_assert_no_error (error);
  back = gm_read_text (path, NULL, &error);
  g_assert_no_error (error);
  assert_same (ds, back);
  g_assert_true (strstr (back->format_detail, "gzip") != NULL);
  remove_tree (dir);
}

static void
test_write_failures (void)
{
  g_autofree char *src = gm_test_data_path ("counts_cells_x_genes.csv");
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = gm_read_text (src, NULL, &error);
  static const char *outs[] = { "x.csv", "x.tsv.gz", "mtx_out" };
  GmWriteOptions opts;
  gint cancel = 0;

  g_assert_no_error (error);

  /* Cancelled from the progress callback, i.e. after writing started. */
  for (guint i = 0; i < G_N_ELEMENTS (outs); i++)
    {
      g_autofree char *path = g_build_filename (dir, outs[i], NULL);

      cancel = 0;
      gm_write_options_init (&opts);
      opts.cancel = &cancel;
      opts.progress = cancel_on_progress;
      opts.progress_data = &cancel;
      g_assert_false (gm_write (ds, path, &opts, &error));
      g_assert_error (error, GM_ERROR, GM_ERROR_CANCELLED);
      g_clear_error (&error);
      g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
      g_assert_cmpuint (count_entries (dir), ==, 0);
    }

  /* An existing output survives a failed (cancelled) replacement. */
  {
    g_autofree char *path = g_build_filename (dir, "keep.csv", NULL);
    g_autofree char *text = NULL;

    g_assert_true (g_file_set_contents (path, "old", -1, NULL));
    cancel = 1;
    gm_write_options_init (&opts);
    opts.cancel = &cancel;
    g_assert_false (gm_write_text (ds, path, ',', &opts, &error));
    g_assert_error (error, GM_ERROR, GM_ERROR_CANCELLED);
    g_clear_error (&error);
    g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
    g_assert_cmpstr (text, ==, "old");
    g_assert_cmpuint (count_entries (dir), ==, 1);
    g_unlink (path);
  }

  /* A missing folder. */
  {
    g_autofree char *path = g_build_filename (dir, "no", "such", "x.csv", NULL);
    g_assert_false (gm_write_text (ds, path, ',', NULL, &error));
    g_assert_error (error, GM_ERROR, GM_ERROR_WRITE);
    g_clear_error (&error);
  }

  /* A read-only folder (root ignores permissions, so skip it there). */
  if (geteuid () != 0)
    {
      g_autofree char *ro = g_build_filename (dir, "ro", NULL);
      g_autofree char *path = g_build_filename (ro, "x.csv", NULL);
      g_autofree char *mtx = g_build_filename (ro, "m", NULL);

      g_assert_cmpint (g_mkdir (ro, 0555), ==, 0);
      g_assert_false (gm_write_text (ds, path, ',', NULL, &error));
      g_assert_error (error, GM_ERROR, GM_ERROR_WRITE);
      g_clear_error (&error);
      g_assert_false (gm_write_10x_mtx (ds, mtx, NULL, &error));
      g_assert_error (error, GM_ERROR, GM_ERROR_WRITE);
      g_clear_error (&error);
      g_assert_cmpuint (count_entries (ro), ==, 0);
      g_chmod (ro, 0755);
    }

  /* Writing over a folder is refused for text. */
  {
    g_autofree char *sub = g_build_filename (dir, "sub.csv", NULL);
    g_assert_cmpint (g_mkdir (sub, 0755), ==, 0);
    g_assert_false (gm_write_text (ds, sub, ',', NULL, &error));
    g_assert_error (error, GM_ERROR, GM_ERROR_WRITE);
    g_clear_error (&error);
  }
  remove_tree (dir);
}

static void
test_truncated_gzip (void)
{
  g_autofree char *src = gm_test_data_path ("counts_cells_x_genes.csv");
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "t.csv.gz", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = gm_read_text (src, NULL, &error);
  g_autofree char *raw = NULL;
  gsize len;

  g_assert_no_error (error);
  g_assert_true (gm_write_text (ds, path, ',', NULL, &error));
  g_assert_true (g_file_get_contents (path, &raw, &len, NULL));
  g_assert_true (g_file_set_contents (path, raw, (gssize) (len / 2), NULL));
  g_clear_pointer (&ds, gm_dataset_free);
  ds = gm_read_text (path, NULL, &error);
  g_assert_null (ds);
  g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_true (strstr (error->message, "truncated or corrupt") != NULL);
  remove_tree (dir);
}

/* --------------------------------------------------------- Matrix Market */

static void
test_mtx_v3 (void)
{
  g_autofree char *dir = gm_test_data_path ("tenx_v3_mtx");
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = gm_read_10x_mtx (dir, NULL, &error);
  g_autoptr(GmDataset) all = NULL;
  GmReadOptions opts;

  g_assert_no_error (error);
  dump_notes (ds);
  gm_test_assert_dataset_matches (ds, truth, TRUE, NULL);
  g_assert_cmpint (ds->format, ==, GM_FORMAT_10X_MTX);
  g_assert_true (has_note (ds, "kept 40 'Gene Expression' features; left out 5 'Antibody Capture'"));
  g_assert_cmpint (ds->var->len, ==, 0);
  g_assert_cmpstr (ds->format_detail, ==,
                   "Cell Ranger ≥ 3 layout (matrix.mtx.gz, features.tsv.gz, integer values)");

  gm_read_options_init (&opts);
  opts.all_features = TRUE;
  all = gm_read_10x_mtx (dir, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpint (all->X.n_rows, ==, 60);
  g_assert_cmpint (all->X.n_cols, ==, 45);
  g_assert_cmpint (all->notes->len, ==, 0);
  for (int i = 0; i < 60; i++)
    {
      for (int j = 0; j < 40; j++)
        g_assert_cmpfloat (value_at (all, i, j), ==, truth->counts[i * 40 + j]);
      for (int a = 0; a < 5; a++)
        g_assert_cmpfloat (value_at (all, i, 40 + a), ==, truth->adt[i * 5 + a]);
    }
  for (int a = 0; a < 5; a++)
    {
      g_assert_cmpstr (all->gene_ids[40 + a], ==, truth->adt_ids[a]);
      g_assert_cmpstr (all->gene_names[40 + a], ==, truth->adt_names[a]);
    }
  g_assert_cmpint (all->var->len, ==, 1);
  {
    const GmColumn *col = g_ptr_array_index (all->var, 0);
    g_assert_cmpstr (col->name, ==, "feature_types");
    g_assert_cmpint (col->kind, ==, GM_COLUMN_CATEGORICAL);
    g_assert_cmpint (col->n_categories, ==, 2);
    g_assert_cmpstr (col->categories[col->codes[0]], ==, "Gene Expression");
    g_assert_cmpstr (col->categories[col->codes[44]], ==, "Antibody Capture");
  }
}

static void
test_mtx_v2 (void)
{
  g_autofree char *dir = gm_test_data_path ("tenx_v2_mtx");
  g_autofree char *file = g_build_filename (dir, "matrix.mtx", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = gm_read_10x_mtx (dir, NULL, &error);
  g_autoptr(GmDataset) again = NULL;

  g_assert_no_error (error);
  gm_test_assert_dataset_matches (ds, truth, TRUE, NULL);
  g_assert_cmpint (ds->notes->len, ==, 0);
  g_assert_cmpstr (ds->format_detail, ==, "Cell Ranger < 3 layout (matrix.mtx, genes.tsv, integer values)");

  /* The path of matrix.mtx itself works too. */
  again = gm_read_10x_mtx (file, NULL, &error);
  g_assert_no_error (error);
  assert_same (ds, again);
}

static void
write_text_file (const char *dir,
                 const char *name,
                 const char *text)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

static void
test_mtx_folders (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *matrix = g_build_filename (dir, "matrix.mtx", NULL);
  GmReadOptions opts;
  int calls = 0;

  /* STARsolo-style plain v3 names, unsorted entries, duplicates, an explicit
   * zero, CRLF, a real field and extra feature columns. */
  write_text_file (dir, "features.tsv", "id1\tG1\tGene Expression\tchr1\t1\t2\r\nid2\tG2\tGene Expression\r\n"
                   "id3\tP1\tPeaks\r\n");
  write_text_file (dir, "barcodes.tsv", "AAAC-1\r\nAAAG-1\r\n");
  write_text_file (dir, "matrix.mtx", "%%MatrixMarket matrix coordinate real general\r\n"
                   "% comment\r\n3 2 6\r\n2 2 1.5\r\n1 1 1\r\n1 1 2\r\n3 1 9\r\n2 1 0\r\n1 2 0.25\r\n");
  ds = gm_read_10x_mtx (dir, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ds->X.n_rows, ==, 2);
  g_assert_cmpint (ds->X.n_cols, ==, 2);
  g_assert_cmpint (gm_dataset_nnz (ds), ==, 3);
  g_assert_cmpfloat (value_at (ds, 0, 0), ==, 3.0f);
  g_assert_cmpfloat (value_at (ds, 1, 0), ==, 0.25f);
  g_assert_cmpfloat (value_at (ds, 1, 1), ==, 1.5f);
  g_assert_cmpstr (ds->cell_names[1], ==, "AAAG-1");
  g_assert_cmpstr (ds->gene_ids[1], ==, "id2");
  g_assert_true (has_note (ds, "kept 2 'Gene Expression' features; left out 1 'Peaks'"));
  g_clear_pointer (&ds, gm_dataset_free);

  /* Stored barcodes × features: transposed, with a note. */
  write_text_file (dir, "matrix.mtx", "%%MatrixMarket matrix coordinate integer general\n"
                   "2 3 2\n1 3 5\n2 1 7\n");
  ds = gm_read_10x_mtx (dir, NULL, &error);
  g_assert_no_error (error);
  dump_notes (ds);
  g_assert_true (has_note (ds, "stored barcodes × features (2 × 3)"));
  g_assert_cmpint (ds->X.n_rows, ==, 2);
  g_assert_cmpint (ds->X.n_cols, ==, 2);
  g_assert_cmpfloat (value_at (ds, 1, 0), ==, 7.0f);
  g_assert_cmpint (gm_dataset_nnz (ds), ==, 1);
  g_clear_pointer (&ds, gm_dataset_free);

  /* Neither way round. */
  write_text_file (dir, "matrix.mtx", "%%MatrixMarket matrix coordinate integer general\n4 2 0\n");
  ds = gm_read_10x_mtx (dir, NULL, &error);
  g_assert_null (ds);
  expected = g_strdup_printf ("%s: line 2: the matrix is 4 × 2, but features.tsv has 3 lines and "
                              "barcodes.tsv has 2", matrix);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);
  g_clear_pointer (&expected, g_free);

  /* An index out of range names the file and the line. */
  write_text_file (dir, "matrix.mtx", "%%MatrixMarket matrix coordinate integer general\n%\n3 2 2\n1 1 1\n"
                   "4 2 1\n");
  ds = gm_read_10x_mtx (dir, NULL, &error);
  g_assert_null (ds);
  expected = g_strdup_printf ("%s: line 5: row index 4 outside 1…3", matrix);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);

  /* A gzip stream that inflates far more than usual (the entry buffer must
   * grow past its first guess), unsorted so that the counting sort runs. */
  {
    g_autofree char *gz_path = g_build_filename (dir, "matrix.mtx.gz", NULL);
    gzFile gz = gzopen (gz_path, "wb9");

    g_unlink (matrix);
    g_assert_nonnull (gz);
    gzprintf (gz, "%%%%MatrixMarket matrix coordinate integer general\n3 2 200001\n");
    for (int k = 0; k < 100000; k++)
      gzputs (gz, "1 2 1\n");
    gzputs (gz, "2 1 4\n");
    for (int k = 0; k < 100000; k++)
      gzputs (gz, "1 2 1\n");
    g_assert_cmpint (gzclose (gz), ==, Z_OK);
    gm_read_options_init (&opts);
    opts.progress = count_progress;
    opts.progress_data = &calls;
    ds = gm_read_10x_mtx (dir, &opts, &error);
    g_assert_no_error (error);
    g_assert_cmpint (calls, >=, 3);
    g_assert_cmpint (gm_dataset_nnz (ds), ==, 2);
    g_assert_cmpfloat (value_at (ds, 1, 0), ==, 200000.0f);
    g_assert_cmpfloat (value_at (ds, 0, 1), ==, 4.0f);
    g_clear_pointer (&ds, gm_dataset_free);
  }

  /* No features file. */
  {
    g_autofree char *f = g_build_filename (dir, "features.tsv", NULL);
    g_unlink (f);
    ds = gm_read_10x_mtx (dir, NULL, &error);
    g_assert_null (ds);
    g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
    g_assert_true (strstr (error->message, "features.tsv") != NULL);
    g_clear_error (&error);
  }
  remove_tree (dir);
}

static void
test_mtx_roundtrip (void)
{
  g_autofree char *src = gm_test_data_path ("tenx_v3_mtx");
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *out = g_build_filename (dir, "filtered", NULL);
  g_autofree char *out_slash = g_strconcat (out, "/", NULL);
  g_autofree char *mtx = g_build_filename (out, "matrix.mtx.gz", NULL);
  g_autofree char *head = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = gm_read_10x_mtx (src, NULL, &error);
  g_autoptr(GmDataset) back = NULL;
  GmReadOptions ropts;

  g_assert_no_error (error);
  g_assert_true (gm_write (ds, out_slash, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_entries (out), ==, 3);
  head = read_gz_file (mtx);
  g_assert_true (g_str_has_prefix (head, "%%MatrixMarket matrix coordinate integer general\n"));
  g_assert_true (strstr (head, "\n40 60 1295\n") != NULL);
  back = gm_read (out, NULL, &error);
  g_assert_no_error (error);
  gm_test_assert_dataset_matches (back, truth, TRUE, NULL);
  g_clear_pointer (&back, gm_dataset_free);

  /* Writing again replaces the folder. */
  g_assert_true (gm_write_10x_mtx (ds, out, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_entries (dir), ==, 1);

  /* All features, feature types kept. */
  gm_read_options_init (&ropts);
  ropts.all_features = TRUE;
  g_clear_pointer (&ds, gm_dataset_free);
  ds = gm_read_10x_mtx (src, &ropts, &error);
  g_assert_no_error (error);
  g_assert_true (gm_write_10x_mtx (ds, out, NULL, &error));
  g_assert_no_error (error);
  back = gm_read_10x_mtx (out, NULL, &error);
  g_assert_no_error (error);
  gm_test_assert_dataset_matches (back, truth, TRUE, NULL);
  g_assert_true (has_note (back, "left out 5 'Antibody Capture'"));
  g_clear_pointer (&back, gm_dataset_free);

  /* Real values: header says real, values come back exactly. */
  {
    static const float dense[] = { 0.5f, 0, 1.0f / 3.0f, -2, 0, 1e-8f };
    g_autoptr(GmDataset) f = make_dataset (2, 3, dense, NULL, NULL);
    g_autofree char *text = NULL;

    g_assert_true (gm_write_10x_mtx (f, out, NULL, &error));
    g_assert_no_error (error);
    text = read_gz_file (mtx);
    g_assert_true (g_str_has_prefix (text, "%%MatrixMarket matrix coordinate real general\n"));
    back = gm_read_10x_mtx (out, NULL, &error);
    g_assert_no_error (error);
    assert_same (f, back);
    g_assert_cmpstr (back->gene_ids[0], ==, "gene0");
  }
  remove_tree (dir);
}

typedef struct
{
  const char *text;
  int         code;
  const char *message;
} MtxBad;

static void
test_mtx_buffer (void)
{
  static const MtxBad bad[] = {
    { "", GM_ERROR_INVALID_INPUT, "line 1: the file is empty" },
    { "1 1 1\n", GM_ERROR_INVALID_INPUT,
      "line 1: not a Matrix Market file (the first line must start with '%%MatrixMarket')" },
    { "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n", GM_ERROR_UNSUPPORTED,
      "line 1: 'array' Matrix Market files are not supported (only sparse 'coordinate' ones)" },
    { "%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n", GM_ERROR_UNSUPPORTED,
      "line 1: unsupported value type 'complex' (expected integer, real or pattern)" },
    { "%%MatrixMarket matrix coordinate integer\n", GM_ERROR_INVALID_INPUT,
      "line 1: expected '%%MatrixMarket matrix coordinate <field> <symmetry>', found "
      "'%%MatrixMarket matrix coordinate integer'" },
    { "%%MatrixMarket matrix coordinate integer general\n% only comments\n", GM_ERROR_INVALID_INPUT,
      "line 2: the file ends before the size line 'rows columns entries'" },
    { "%%MatrixMarket matrix coordinate integer general\n3 3\n", GM_ERROR_INVALID_INPUT,
      "line 2: expected the size line 'rows columns entries', found '3 3'" },
    { "%%MatrixMarket matrix coordinate integer general\n3 -3 1\n", GM_ERROR_INVALID_INPUT,
      "line 2: expected the size line 'rows columns entries', found '3 -3 1'" },
    { "%%MatrixMarket matrix coordinate integer general\n3 3 1000000000000\n1 1 1\n",
      GM_ERROR_INVALID_INPUT, "line 3: the file ends after 1 entries, but line 2 declares 1000000000000" },
    { "%%MatrixMarket matrix coordinate integer general\n3000000000 2 0\n", GM_ERROR_TOO_LARGE,
      "line 2: 3000000000 × 2 is too large (at most 2³¹ − 1 rows and columns)" },
    { "%%MatrixMarket matrix coordinate integer general\n3 3 2\n1 1 1\n", GM_ERROR_INVALID_INPUT,
      "line 3: the file ends after 1 entries, but line 2 declares 2" },
    { "%%MatrixMarket matrix coordinate integer general\n3 3 1\n1 1 1\n2 2 2\n", GM_ERROR_INVALID_INPUT,
      "line 4: more entries than the 1 declared on line 2" },
    { "%%MatrixMarket matrix coordinate integer general\n3 3 1\n0 1 1\n", GM_ERROR_INVALID_INPUT,
      "line 3: row index 0 outside 1…3" },
    { "%%MatrixMarket matrix coordinate integer general\n3 3 1\n1 4 1\n", GM_ERROR_INVALID_INPUT,
      "line 3: column index 4 outside 1…3" },
    { "%%MatrixMarket matrix coordinate integer general\n3 3 1\n1 1\n", GM_ERROR_INVALID_INPUT,
      "line 3: the value is missing in '1 1'" },
    { "%%MatrixMarket matrix coordinate real general\n3 3 1\n1 1 abc\n", GM_ERROR_INVALID_INPUT,
      "line 3: the value is not a number in '1 1 abc'" },
    { "%%MatrixMarket matrix coordinate real general\n3 3 1\n1 1 nan\n", GM_ERROR_INVALID_INPUT,
      "line 3: NaN or infinite value in '1 1 nan'" },
    { "%%MatrixMarket matrix coordinate pattern general\n3 3 1\n1 1 1\n", GM_ERROR_INVALID_INPUT,
      "line 3: unexpected text after the entry in '1 1 1'" },
    { "%%MatrixMarket matrix coordinate integer general\n3 3 1\n-1 1 1\n", GM_ERROR_INVALID_INPUT,
      "line 3: the row index is not a positive integer in '-1 1 1'" },
    { "%%MatrixMarket matrix coordinate integer symmetric\n3 2 0\n", GM_ERROR_INVALID_INPUT,
      "line 2: a symmetric matrix must be square, not 3 × 2" },
  };
  g_autoptr(GError) error = NULL;
  GmCsr m = { 0 };
  const char *text;

  /* Huge dimensions must hit the memory budget, not the allocator. */
  g_setenv ("GENOMAP_MEMORY_LIMIT", "256M", TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *expected = g_strdup_printf ("mem: %s", bad[i].message);

      g_test_message ("case %u", i);
      g_assert_false (gm_parse_mtx_buffer ("mem", bad[i].text, strlen (bad[i].text), &m, &error));
      g_assert_error (error, GM_ERROR, bad[i].code);
      g_assert_cmpstr (error->message, ==, expected);
      g_assert_null (m.indptr);
      g_clear_error (&error);
    }

  /* Pattern, as stored (rows × columns), duplicates summed. */
  text = "%%MatrixMarket matrix coordinate pattern general\n2 3 3\n2 3\n1 2\n2 3\n";
  g_assert_true (gm_parse_mtx_buffer ("mem", text, strlen (text), &m, &error));
  g_assert_no_error (error);
  g_assert_cmpint (m.n_rows, ==, 2);
  g_assert_cmpint (m.n_cols, ==, 3);
  g_assert_cmpint (m.indptr[2], ==, 2);
  g_assert_cmpint (m.indices[0], ==, 1);
  g_assert_cmpfloat (m.data[0], ==, 1.0f);
  g_assert_cmpint (m.indices[1], ==, 2);
  g_assert_cmpfloat (m.data[1], ==, 2.0f);
  gm_csr_clear (&m);

  /* Symmetric: the mirror entries appear; cancelling duplicates vanish. */
  text = "%%MatrixMarket matrix coordinate real symmetric\n3 3 4\n2 1 1.5\n3 3 2\n3 1 1\n3 1 -1\n";
  g_assert_true (gm_parse_mtx_buffer ("mem", text, strlen (text), &m, &error));
  g_assert_no_error (error);
  g_assert_cmpint (m.indptr[3], ==, 3);
  g_assert_true (gm_csr_validate (&m, "sym", NULL));
  gm_csr_clear (&m);

  /* Skew-symmetric: the mirror gets the opposite sign. */
  text = "%%MatrixMarket matrix coordinate integer skew-symmetric\n2 2 1\n2 1 4\n";
  g_assert_true (gm_parse_mtx_buffer ("mem", text, strlen (text), &m, &error));
  g_assert_no_error (error);
  g_assert_cmpint (m.indptr[2], ==, 2);
  g_assert_cmpint (m.indices[0], ==, 1);
  g_assert_cmpfloat (m.data[0], ==, -4.0f);
  g_assert_cmpfloat (m.data[1], ==, 4.0f);
  gm_csr_clear (&m);

  /* Huge dimensions and counts are refused by the memory budget, not allocated. */
  text = "%%MatrixMarket matrix coordinate integer general\n2000000000 2000000000 1000000000000\n1 1 1\n";
  g_assert_false (gm_parse_mtx_buffer ("mem", text, strlen (text), &m, &error));
  g_assert_error (error, GM_ERROR, GM_ERROR_TOO_LARGE);
  g_assert_true (g_str_has_prefix (error->message, "mem: "));
  g_clear_error (&error);
  g_unsetenv ("GENOMAP_MEMORY_LIMIT");

  /* An empty matrix, no final newline, blank and comment lines among the entries. */
  text = "%%matrixmarket MATRIX Coordinate Integer General\n\n%c\n 2  2  1 \n\n% x\n 1\t2  -3";
  g_assert_true (gm_parse_mtx_buffer ("mem", text, strlen (text), &m, &error));
  g_assert_no_error (error);
  g_assert_cmpint (m.indptr[2], ==, 1);
  g_assert_cmpfloat (m.data[0], ==, -3.0f);
  gm_csr_clear (&m);
}

int
main (int    argc,
      char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  truth = gm_test_truth_load ();

  g_test_add_func ("/text/csv-fixture", test_csv_fixture);
  g_test_add_func ("/text/tsv-fixture", test_tsv_fixture);
  g_test_add_func ("/text/ragged-fixture", test_ragged_fixture);
  g_test_add_func ("/text/orientation-forced", test_orientation_forced);
  g_test_add_func ("/text/orientation-guess", test_orientation_guess);
  g_test_add_func ("/text/parse-accepts", test_parse_accepts);
  g_test_add_func ("/text/parse-rejects", test_parse_rejects);
  g_test_add_func ("/text/read-limits", test_read_limits);
  g_test_add_func ("/text/large-inputs", test_large_inputs);
  g_test_add_func ("/text/writer-format", test_text_writer_format);
  g_test_add_func ("/text/roundtrip", test_text_roundtrip);
  g_test_add_func ("/text/float-roundtrip", test_text_float_roundtrip);
  g_test_add_func ("/text/truncated-gzip", test_truncated_gzip);
  g_test_add_func ("/write/failures-leave-nothing", test_write_failures);
  g_test_add_func ("/mtx/v3", test_mtx_v3);
  g_test_add_func ("/mtx/v2", test_mtx_v2);
  g_test_add_func ("/mtx/folders", test_mtx_folders);
  g_test_add_func ("/mtx/roundtrip", test_mtx_roundtrip);
  g_test_add_func ("/mtx/buffer", test_mtx_buffer);

  rc = g_test_run ();
  gm_test_truth_free (truth);
  return rc;
}
