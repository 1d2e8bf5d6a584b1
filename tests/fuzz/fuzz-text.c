/* fuzz-text.c — libFuzzer target for the delimited-text and Matrix Market parsers
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The first input byte chooses what to do with the rest:
 *   byte % 4         0: CSV (','), 1: TSV (TAB), 2: text with the delimiter
 *                    detected, 3: Matrix Market
 *   (byte / 4) % 3   text orientation: auto, cells as rows, genes as rows
 *   byte & 0x80      also write what was parsed and read it back (text:
 *                    CSV or TSV file; Matrix Market: a 10x folder) and
 *                    check that nothing changed
 * Seeds in tests/fuzz/corpus/ start with '0' … '3' (auto orientation).
 *
 * Every successful parse must give a valid canonical CSR with a name for
 * every row and column; every failure must set a GM_ERROR whose message
 * names the input.  Anything else aborts.  The memory budget is set to
 * 64 MiB so that sizes claimed by an input are refused instead of
 * allocated.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gm-io.h"

#define INPUT_NAME "fuzz"

int LLVMFuzzerInitialize   (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char *scratch_dir;

static void
remove_scratch (void)
{
  GDir *dir;
  const char *name;

  if (scratch_dir == NULL)
    return;
  dir = g_dir_open (scratch_dir, 0, NULL);
  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (scratch_dir, name, NULL);
          GDir *sub = g_dir_open (child, 0, NULL);
          if (sub != NULL)
            {
              const char *n;
              while ((n = g_dir_read_name (sub)) != NULL)
                {
                  g_autofree char *f = g_build_filename (child, n, NULL);
                  g_unlink (f);
                }
              g_dir_close (sub);
              g_rmdir (child);
            }
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (scratch_dir);
  g_clear_pointer (&scratch_dir, g_free);
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_setenv ("GENOMAP_MEMORY_LIMIT", "64M", TRUE);
  scratch_dir = g_dir_make_tmp ("gm-fuzz-XXXXXX", NULL);
  if (scratch_dir == NULL)
    {
      fprintf (stderr, "fuzz-text: cannot create a scratch folder\n");
      abort ();
    }
  atexit (remove_scratch);
  return 0;
}

static void
require (gboolean    ok,
         const char *what)
{
  if (!ok)
    {
      fprintf (stderr, "fuzz-text: broken invariant: %s\n", what);
      abort ();
    }
}

static void
check_error (const GError *error)
{
  require (error != NULL, "a parser failed without setting an error");
  require (error->domain == GM_ERROR, "the error is not in the GM_ERROR domain");
  require (error->message != NULL && g_utf8_validate (error->message, -1, NULL),
           "the error message is not valid UTF-8");
  require (g_str_has_prefix (error->message, INPUT_NAME ": "), "the error message does not name the input");
}

/* Valid, canonical (sorted unique indices, non-zero finite values). */
static void
check_csr (const GmCsr *m)
{
  g_autoptr(GError) error = NULL;

  require (m->indptr != NULL && m->indices != NULL && m->data != NULL, "matrix arrays missing");
  if (!gm_csr_validate (m, "fuzz", &error))
    {
      fprintf (stderr, "fuzz-text: %s\n", error->message);
      abort ();
    }
  for (int64_t r = 0; r < m->n_rows; r++)
    for (int64_t k = m->indptr[r]; k < m->indptr[r + 1]; k++)
      {
        require (k == m->indptr[r] || m->indices[k] > m->indices[k - 1], "indices not sorted and unique");
        require (m->data[k] != 0.0f, "an explicit zero is stored");
        require (isfinite (m->data[k]), "a stored value is not finite");
      }
}

static void
check_names (char       **names,
             int64_t      n,
             const char  *what)
{
  require (names != NULL, what);
  for (int64_t i = 0; i < n; i++)
    require (names[i] != NULL, what);
}

static void
check_dataset (const GmDataset *ds)
{
  check_csr (&ds->X);
  require (ds->X.n_rows > 0 && ds->X.n_cols > 0, "an empty matrix was accepted");
  check_names (ds->cell_names, ds->X.n_rows, "a cell name is missing");
  check_names (ds->gene_names, ds->X.n_cols, "a gene name is missing");
  require (ds->gene_ids == NULL, "text files have no gene ids");
  require (ds->format == GM_FORMAT_CSV || ds->format == GM_FORMAT_TSV, "wrong format");
  require (ds->notes->len > 0, "the orientation note is missing");
  require (ds->path != NULL && ds->format_detail != NULL, "path or format detail missing");
}

static void
check_same (const GmDataset *a,
            const GmDataset *b)
{
  require (a->X.n_rows == b->X.n_rows && a->X.n_cols == b->X.n_cols, "round trip changed the shape");
  for (int64_t r = 0; r <= a->X.n_rows; r++)
    require (a->X.indptr[r] == b->X.indptr[r], "round trip changed the structure");
  for (int64_t k = 0; k < a->X.indptr[a->X.n_rows]; k++)
    require (a->X.indices[k] == b->X.indices[k] && a->X.data[k] == b->X.data[k],
             "round trip changed a value");
  for (int64_t i = 0; i < a->X.n_rows; i++)
    require (strcmp (a->cell_names[i], b->cell_names[i]) == 0, "round trip changed a cell name");
  for (int64_t j = 0; j < a->X.n_cols; j++)
    require (strcmp (a->gene_names[j], b->gene_names[j]) == 0, "round trip changed a gene name");
}

static void
roundtrip_text (const GmDataset *ds,
                char             delim)
{
  g_autofree char *path = g_build_filename (scratch_dir, delim == ',' ? "rt.csv" : "rt.tsv", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) back = NULL;
  GmReadOptions opts;

  if (ds->X.n_rows * ds->X.n_cols > 1000000)
    return;
  if (!gm_write_text (ds, path, delim, NULL, &error))
    {
      fprintf (stderr, "fuzz-text: writing failed: %s\n", error->message);
      abort ();
    }
  gm_read_options_init (&opts);
  opts.orientation = GM_ORIENT_CELLS_ROWS;
  back = gm_read_text (path, &opts, &error);
  if (back == NULL)
    {
      fprintf (stderr, "fuzz-text: reading back failed: %s\n", error->message);
      abort ();
    }
  check_same (ds, back);
  g_unlink (path);
}

static void
roundtrip_mtx (const GmCsr *m)
{
  g_autofree char *dir = g_build_filename (scratch_dir, "rt_mtx", NULL);
  g_autoptr(GmDataset) ds = gm_dataset_new ();
  g_autoptr(GmDataset) back = NULL;
  g_autoptr(GError) error = NULL;

  /* Features × barcodes: the dataset is the transpose, and needs names. */
  if (m->n_rows == 0 || m->n_cols == 0 || m->n_rows + m->n_cols > 20000)
    return;
  require (gm_csr_transpose (m, &ds->X, NULL), "transposing failed");
  ds->cell_names = g_new (char *, ds->X.n_rows);
  for (int64_t i = 0; i < ds->X.n_rows; i++)
    ds->cell_names[i] = g_strdup_printf ("BC%" G_GINT64_FORMAT, i);
  ds->gene_names = g_new (char *, ds->X.n_cols);
  for (int64_t j = 0; j < ds->X.n_cols; j++)
    ds->gene_names[j] = g_strdup_printf ("G%" G_GINT64_FORMAT, j);

  if (!gm_write_10x_mtx (ds, dir, NULL, &error))
    {
      fprintf (stderr, "fuzz-text: writing the folder failed: %s\n", error->message);
      abort ();
    }
  back = gm_read_10x_mtx (dir, NULL, &error);
  if (back == NULL)
    {
      fprintf (stderr, "fuzz-text: reading the folder back failed: %s\n", error->message);
      abort ();
    }
  check_same (ds, back);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const GmOrientation orientations[] = {
    GM_ORIENT_AUTO, GM_ORIENT_CELLS_ROWS, GM_ORIENT_GENES_ROWS,
  };
  g_autoptr(GError) error = NULL;
  const char *buf;
  gsize len;
  guint8 sel;

  if (scratch_dir == NULL)
    LLVMFuzzerInitialize (NULL, NULL);
  if (size < 1)
    return 0;
  sel = data[0];
  buf = (const char *) data + 1;
  len = size - 1;

  if (sel % 4 == 3)
    {
      GmCsr m = { 0 };

      if (gm_parse_mtx_buffer (INPUT_NAME, buf, len, &m, &error))
        {
          require (error == NULL, "an error was set on success");
          check_csr (&m);
          if (sel & 0x80)
            roundtrip_mtx (&m);
          gm_csr_clear (&m);
        }
      else
        {
          check_error (error);
          require (m.indptr == NULL && m.indices == NULL && m.data == NULL,
                   "a failed parse left arrays behind");
        }
    }
  else
    {
      static const char delims[] = { ',', '\t', 0 };
      g_autoptr(GmDataset) ds = NULL;
      GmReadOptions opts;

      gm_read_options_init (&opts);
      opts.orientation = orientations[(sel / 4) % 3];
      ds = gm_parse_text_buffer (INPUT_NAME, buf, len, delims[sel % 4], &opts, &error);
      if (ds != NULL)
        {
          require (error == NULL, "an error was set on success");
          check_dataset (ds);
          if (sel & 0x80)
            roundtrip_text (ds, ds->format == GM_FORMAT_TSV ? '\t' : ',');
        }
      else
        check_error (error);
    }
  return 0;
}
