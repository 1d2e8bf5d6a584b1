/* gm-test-truth.c — loads tests/data/truth.tsv and compares datasets with it
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gm-test-truth.h"

const char *
gm_test_data_dir (void)
{
  const char *dir = g_getenv ("GM_TEST_DATA");

  return dir != NULL ? dir : GM_SOURCE_DIR "/tests/data";
}

char *
gm_test_data_path (const char *name)
{
  return g_build_filename (gm_test_data_dir (), name, NULL);
}

static void
set_str (char ***v, int i, int n, const char *s)
{
  if (*v == NULL)
    *v = g_new0 (char *, n + 1);
  g_assert_cmpint (i, <, n);
  (*v)[i] = g_strdup (s);
}

GmTestTruth *
gm_test_truth_load (void)
{
  g_autofree char *path = gm_test_data_path ("truth.tsv");
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  GmTestTruth *t = g_new0 (GmTestTruth, 1);

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  t->n_adt = 5;

  for (guint l = 0; lines[l] != NULL; l++)
    {
      g_auto(GStrv) f = g_strsplit (lines[l], "\t", -1);
      guint nf = g_strv_length (f);

      if (nf == 0 || f[0][0] == '#' || f[0][0] == '\0')
        continue;
      if (strcmp (f[0], "shape") == 0)
        {
          t->n_cells = atoi (f[1]);
          t->n_genes = atoi (f[2]);
          t->counts = g_new0 (double, t->n_cells * t->n_genes);
          t->imputed = g_new0 (double, t->n_cells * t->n_genes);
          t->adt = g_new0 (double, t->n_cells * t->n_adt);
        }
      else if (strcmp (f[0], "nnz") == 0)
        t->nnz = g_ascii_strtoll (f[1], NULL, 10);
      else if (strcmp (f[0], "sum") == 0)
        t->sum = g_ascii_strtod (f[1], NULL);
      else if (strcmp (f[0], "categories") == 0)
        {
          t->categories = g_new0 (char *, nf);
          for (guint k = 1; k < nf; k++)
            t->categories[k - 1] = g_strdup (f[k]);
        }
      else if (strcmp (f[0], "gene") == 0)
        {
          set_str (&t->gene_ids, atoi (f[1]), t->n_genes, f[2]);
          set_str (&t->gene_names, atoi (f[1]), t->n_genes, f[3]);
        }
      else if (strcmp (f[0], "cell") == 0)
        {
          set_str (&t->barcodes, atoi (f[1]), t->n_cells, f[2]);
          set_str (&t->cell_types, atoi (f[1]), t->n_cells, f[3]);
        }
      else if (strcmp (f[0], "adt_feature") == 0)
        {
          set_str (&t->adt_ids, atoi (f[1]), t->n_adt, f[2]);
          set_str (&t->adt_names, atoi (f[1]), t->n_adt, f[3]);
        }
      else if (strcmp (f[0], "row") == 0 || strcmp (f[0], "imputed_row") == 0 ||
               strcmp (f[0], "adt_row") == 0)
        {
          int i = atoi (f[1]);
          gboolean adt = f[0][0] == 'a';
          int n = adt ? t->n_adt : t->n_genes;
          double *dst = (f[0][0] == 'r' ? t->counts : adt ? t->adt : t->imputed) + (gsize) i * n;

          g_assert_cmpuint (nf, ==, (guint) n + 2);
          for (int j = 0; j < n; j++)
            dst[j] = g_ascii_strtod (f[j + 2], NULL);
        }
    }
  g_assert_cmpint (t->n_cells, ==, 60);
  g_assert_cmpint (t->n_genes, ==, 40);
  return t;
}

void
gm_test_truth_free (GmTestTruth *t)
{
  g_strfreev (t->categories);
  g_strfreev (t->gene_ids);
  g_strfreev (t->gene_names);
  g_strfreev (t->barcodes);
  g_strfreev (t->cell_types);
  g_strfreev (t->adt_ids);
  g_strfreev (t->adt_names);
  g_free (t->counts);
  g_free (t->adt);
  g_free (t->imputed);
  g_free (t);
}

void
gm_test_assert_dataset_matches (const GmDataset   *ds,
                                const GmTestTruth *t,
                                gboolean           check_ids,
                                const char        *cell_type_column)
{
  g_autofree double *dense = g_new0 (double, t->n_cells * t->n_genes);

  g_assert_cmpint (ds->X.n_rows, ==, t->n_cells);
  g_assert_cmpint (ds->X.n_cols, ==, t->n_genes);
  g_assert_cmpint (ds->X.indptr[ds->X.n_rows], ==, t->nnz);
  g_assert_cmpfloat (gm_csr_total (&ds->X), ==, t->sum);
  g_assert_true (gm_csr_validate (&ds->X, "test", NULL));

  for (int64_t i = 0; i < ds->X.n_rows; i++)
    for (int64_t k = ds->X.indptr[i]; k < ds->X.indptr[i + 1]; k++)
      {
        if (k > ds->X.indptr[i])
          g_assert_cmpint (ds->X.indices[k], >, ds->X.indices[k - 1]);
        dense[i * t->n_genes + ds->X.indices[k]] = ds->X.data[k];
      }
  for (int i = 0; i < t->n_cells * t->n_genes; i++)
    if (dense[i] != t->counts[i])
      g_error ("cell %d gene %d: read %g, truth %g", i / t->n_genes, i % t->n_genes,
               dense[i], t->counts[i]);

  for (int i = 0; i < t->n_cells; i++)
    g_assert_cmpstr (ds->cell_names[i], ==, t->barcodes[i]);
  for (int j = 0; j < t->n_genes; j++)
    g_assert_cmpstr (ds->gene_names[j], ==, t->gene_names[j]);
  if (check_ids)
    {
      g_assert_nonnull (ds->gene_ids);
      for (int j = 0; j < t->n_genes; j++)
        g_assert_cmpstr (ds->gene_ids[j], ==, t->gene_ids[j]);
    }
  if (cell_type_column != NULL)
    {
      const GmColumn *c = gm_dataset_find_obs (ds, cell_type_column);

      g_assert_nonnull (c);
      g_assert_cmpint (c->kind, ==, GM_COLUMN_CATEGORICAL);
      g_assert_cmpint (c->n_categories, ==, g_strv_length (t->categories));
      for (int k = 0; k < c->n_categories; k++)
        g_assert_cmpstr (c->categories[k], ==, t->categories[k]);
      for (int i = 0; i < t->n_cells; i++)
        {
          g_assert_cmpint (c->codes[i], >=, 0);
          g_assert_cmpstr (c->categories[c->codes[i]], ==, t->cell_types[i]);
        }
    }
}
