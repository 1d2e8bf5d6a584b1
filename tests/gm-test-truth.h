/* gm-test-truth.h — the fixtures' ground truth (tests/data/truth.tsv) for the tests
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gm-dataset.h"

typedef struct
{
  int      n_cells, n_genes, n_adt;
  int64_t  nnz;
  double   sum;
  char   **categories;   /* NULL-terminated, in stored order */
  char   **gene_ids, **gene_names;
  char   **barcodes, **cell_types;
  double  *counts;       /* n_cells × n_genes, row-major */
  double  *adt;          /* n_cells × n_adt */
  char   **adt_ids, **adt_names;
  double  *imputed;      /* n_cells × n_genes */
} GmTestTruth;

/* The folder with the test data ($GM_TEST_DATA, or tests/data in the source tree). */
const char  *gm_test_data_dir   (void);
char        *gm_test_data_path  (const char *name);
GmTestTruth *gm_test_truth_load (void);
void         gm_test_truth_free (GmTestTruth *t);
/* Asserts that @ds equals the truth: matrix, cell and gene names (and gene ids when
 * @check_ids), and, when @cell_type_column is not NULL, that obs column's labels. */
void         gm_test_assert_dataset_matches (const GmDataset *ds, const GmTestTruth *t,
                                             gboolean check_ids, const char *cell_type_column);
