/* gm-dataset.h — a single-cell dataset: cells × genes, sparse, with annotations
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define GM_ERROR (gm_error_quark ())

/* Error codes.  The CLI maps them to exit statuses (see app/genomap-cli.c). */
typedef enum
{
  GM_ERROR_INVALID_INPUT,   /* unreadable, corrupt or unsupported input file   */
  GM_ERROR_UNSUPPORTED,     /* readable, but uses something we cannot decode  */
  GM_ERROR_TOO_LARGE,       /* would not fit in the memory allowed            */
  GM_ERROR_AMBIGUOUS,       /* the user must choose (genome, orientation …)   */
  GM_ERROR_WRITE,           /* an output could not be written                 */
  GM_ERROR_USAGE,           /* bad arguments to an API or a command           */
  GM_ERROR_CANCELLED,       /* stopped by the caller's cancel flag            */
} GmError;

GQuark gm_error_quark (void);

/* Compressed sparse rows: cells are rows, genes are columns.
 * indptr has n_rows + 1 entries; row r is [indptr[r], indptr[r+1]).
 * Column indices are sorted and unique within a row, values non-zero. */
typedef struct
{
  int64_t  n_rows;
  int64_t  n_cols;
  int64_t *indptr;
  int32_t *indices;
  float   *data;
} GmCsr;

typedef enum
{
  GM_COLUMN_CATEGORICAL,
  GM_COLUMN_NUMERIC,
  GM_COLUMN_BOOLEAN,
  GM_COLUMN_STRING,
} GmColumnKind;

/* One annotation column (of obs or var). */
typedef struct
{
  char        *name;
  GmColumnKind kind;
  int64_t      length;
  /* GM_COLUMN_CATEGORICAL: codes index categories, -1 = missing */
  char       **categories;
  int32_t      n_categories;
  int32_t     *codes;
  gboolean     ordered;
  /* GM_COLUMN_NUMERIC (NaN = missing) and GM_COLUMN_BOOLEAN (0/1, NaN = missing) */
  double      *values;
  gboolean     is_integer;   /* numeric values were stored as integers */
  /* GM_COLUMN_STRING: NULL = missing */
  char       **strings;
} GmColumn;

typedef enum
{
  GM_FORMAT_UNKNOWN,
  GM_FORMAT_H5AD,
  GM_FORMAT_10X_H5,
  GM_FORMAT_10X_MTX,
  GM_FORMAT_LOOM,
  GM_FORMAT_CSV,
  GM_FORMAT_TSV,
} GmFormat;

typedef struct
{
  char      *path;          /* where it was read from, or NULL */
  GmFormat   format;        /* the format it was read from */
  char      *format_detail; /* e.g. "anndata 0.8 (csr_matrix)", "Cell Ranger ≥ 3" */
  GmCsr      X;
  char     **cell_names;    /* n_rows, never NULL entries */
  char     **gene_names;    /* n_cols */
  char     **gene_ids;      /* n_cols or NULL when the file has none */
  GPtrArray *obs;           /* GmColumn*, each of length n_rows */
  GPtrArray *var;           /* GmColumn*, each of length n_cols */
  GPtrArray *notes;         /* char*: things the reader did that the user should know */
  GHashTable *uns;          /* char* → char*: string metadata written to h5ad uns */
} GmDataset;

GmDataset *gm_dataset_new            (void);
void       gm_dataset_free           (GmDataset *ds);
void       gm_dataset_add_note       (GmDataset *ds, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

const char *gm_format_name           (GmFormat format);

static inline int64_t gm_dataset_n_cells (const GmDataset *ds) { return ds->X.n_rows; }
static inline int64_t gm_dataset_n_genes (const GmDataset *ds) { return ds->X.n_cols; }
static inline int64_t gm_dataset_nnz     (const GmDataset *ds) { return ds->X.indptr ? ds->X.indptr[ds->X.n_rows] : 0; }

/* Sum of all stored values (double accumulation). */
double     gm_csr_total              (const GmCsr *m);
/* TRUE when every stored value is a non-negative integer. */
gboolean   gm_csr_is_integer         (const GmCsr *m);
void       gm_csr_clear              (GmCsr *m);
/* Checks the invariants; on failure sets an error naming @what. */
gboolean   gm_csr_validate           (const GmCsr *m, const char *what, GError **error);
/* Sorts the indices of every row, sums duplicates and drops explicit zeros, in place. */
void       gm_csr_canonicalize       (GmCsr *m);
/* Validates like gm_csr_validate and canonicalises only if needed, in one pass
 * over the entries when the matrix is already canonical (the common case). */
gboolean   gm_csr_finish             (GmCsr *m, const char *what, GError **error);
/* Allocates @size bytes for a large array, asking for transparent huge pages
 * (5× cheaper page faults on first touch); free with g_free. */
gpointer   gm_alloc_large            (gsize size);

/* Transposes @src (rows × cols) into @dst (cols × rows). */
gboolean   gm_csr_transpose          (const GmCsr *src, GmCsr *dst, GError **error);
/* Keeps only the columns where keep[j] is TRUE, renumbering them. */
void       gm_csr_select_columns     (GmCsr *m, const gboolean *keep);

GmColumn  *gm_column_new             (const char *name, GmColumnKind kind, int64_t length);
void       gm_column_free            (GmColumn *col);
/* Number of cells per category (array of n_categories), plus missing in *n_missing. */
int64_t   *gm_column_category_counts (const GmColumn *col, int64_t *n_missing);
/* A categorical column from strings: categories in order of first appearance. */
GmColumn  *gm_column_categorical_from_strings (const char *name, char **strings, int64_t length);
GmColumn  *gm_dataset_find_obs       (const GmDataset *ds, const char *name);
/* Subsets an annotation column to the entries where keep[i]. */
void       gm_column_select          (GmColumn *col, const gboolean *keep);

/* Memory budget: bytes the process may use for one dataset (MemAvailable, or
 * $GENOMAP_MEMORY_LIMIT, which takes a number with an optional K/M/G suffix). */
guint64    gm_memory_budget          (void);
gboolean   gm_memory_check           (const char *path, guint64 needed, const char *what, GError **error);
/* The same with an explicit limit in bytes (0 = gm_memory_budget ()), e.g. GmReadOptions.memory_limit. */
gboolean   gm_memory_check_limit     (guint64 limit, const char *path, guint64 needed, const char *what,
                                      GError **error);
/* Decodes XML character references (&#233; &#xE9;) and the five predefined entities in place,
 * as Cell Ranger and loom 2 store non-ASCII text; anything malformed is kept verbatim. */
void       gm_xml_unescape_inplace   (char *s);
char      *gm_format_bytes           (guint64 bytes);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GmDataset, gm_dataset_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GmColumn, gm_column_free)

G_END_DECLS
