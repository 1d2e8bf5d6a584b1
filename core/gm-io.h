/* gm-io.h — reading and writing every single-cell format
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <hdf5.h>

#include "gm-dataset.h"

G_BEGIN_DECLS

typedef enum
{
  GM_ORIENT_AUTO,         /* detect (text files) / as the format defines it */
  GM_ORIENT_CELLS_ROWS,   /* rows are cells, columns genes */
  GM_ORIENT_GENES_ROWS,   /* rows are genes, columns cells */
} GmOrientation;

/* Progress: fraction in [0, 1]; return value ignored.  May be NULL. */
typedef void (*GmProgressFunc) (double fraction, const char *stage, gpointer user_data);

typedef struct
{
  const char    *layer;          /* h5ad/loom: read layers/<layer> instead of X */
  gboolean       use_raw;        /* h5ad: read raw/X with raw/var */
  const char    *genome;         /* 10x: pick this genome */
  gboolean       all_features;   /* 10x: keep non-"Gene Expression" features */
  GmOrientation  orientation;    /* text: force the orientation */
  guint64        memory_limit;   /* 0 = gm_memory_budget () */
  gboolean       metadata_only;  /* h5ad: names and annotations only; X keeps its shape, no entries */
  GmProgressFunc progress;
  gpointer       progress_data;
  const gint    *cancel;         /* non-zero → stop with GM_ERROR_CANCELLED */
} GmReadOptions;

void       gm_read_options_init   (GmReadOptions *opts);

/* Detects the format from the content (HDF5 signature and its top-level
 * objects, a directory with matrix.mtx, text delimiters).  Sets an error
 * naming the file when it cannot tell. */
GmFormat   gm_detect_format       (const char *path, GError **error);

GmDataset *gm_read                (const char *path, const GmReadOptions *opts, GError **error);

/* Format-specific readers (path already known to be of this format). */
GmDataset *gm_read_h5ad           (const char *path, const GmReadOptions *opts, GError **error);
GmDataset *gm_read_10x_h5         (const char *path, const GmReadOptions *opts, GError **error);
GmDataset *gm_read_10x_mtx        (const char *dir,  const GmReadOptions *opts, GError **error);
GmDataset *gm_read_loom           (const char *path, const GmReadOptions *opts, GError **error);
GmDataset *gm_read_text           (const char *path, const GmReadOptions *opts, GError **error);
/* Parses delimited text held in memory (for the fuzzer and tests); @name is used in messages. */
GmDataset *gm_parse_text_buffer   (const char *name, const char *buf, gsize len, char delim,
                                   const GmReadOptions *opts, GError **error);
/* Parses a whole Matrix Market coordinate file held in memory (banner, % comments,
 * size line, entries) into @out_file_rows_x_cols *as stored*: the file's rows ×
 * columns as a canonical CSR (duplicates summed, zeros dropped).  For a 10x
 * matrix.mtx that is features × barcodes; gm_read_10x_mtx runs the same parser
 * and builds barcodes × features.  @name is used in messages.  For the fuzzer
 * and tests. */
gboolean   gm_parse_mtx_buffer    (const char *name, const char *buf, gsize len,
                                   GmCsr *out_file_rows_x_cols, GError **error);

typedef struct
{
  gboolean       dense;          /* h5ad: X as a dense array instead of CSR */
  const GmCsr   *counts_layer;   /* h5ad: also write layers/counts (CSR) */
  const float   *dense_X;        /* h5ad: X given densely (n_cells × n_genes, row-major); overrides ds->X */
  int            compression;    /* gzip level for h5ad/loom (0 = none; loom default 2, as loompy) */
  GmProgressFunc progress;
  gpointer       progress_data;
  const gint    *cancel;
} GmWriteOptions;

void       gm_write_options_init  (GmWriteOptions *opts);

/* Chooses the writer from the output path: .h5ad, .loom, .csv, .tsv/.txt (optionally .gz),
 * or a directory (a trailing '/' or an existing directory, or no extension) for 10x mtx. */
GmFormat   gm_format_for_output   (const char *path, GError **error);
gboolean   gm_write               (const GmDataset *ds, const char *path, const GmWriteOptions *opts,
                                   GError **error);

gboolean   gm_write_h5ad          (const GmDataset *ds, const char *path, const GmWriteOptions *opts, GError **error);
/* The same, with X written by @write_x (into the open file, as the object "X"). */
typedef gboolean (*GmWriteXFunc) (hid_t file, gpointer user_data, GError **error);
gboolean   gm_write_h5ad_with_x   (const GmDataset *ds, const char *path, const GmWriteOptions *opts,
                                   GmWriteXFunc write_x, gpointer user_data, GError **error);

/* h5ad → h5ad without holding the matrix: when the input's X is a csr_matrix whose rows are
 * already canonical (sorted, unique, non-zero — what anndata and scanpy write), blocks of rows
 * are read, checked and written as they come.  Sets *applicable to FALSE (and returns FALSE
 * with no error) when the input does not qualify; the caller then uses gm_read + gm_write.
 * @uns_extra (may be NULL) adds string entries to uns. */
gboolean   gm_convert_h5ad_streaming (const char *in, const char *out, const GmReadOptions *ropts,
                                      const GmWriteOptions *wopts, GHashTable *uns_extra,
                                      gboolean *applicable, GError **error);
gboolean   gm_write_loom          (const GmDataset *ds, const char *path, const GmWriteOptions *opts, GError **error);
gboolean   gm_write_text          (const GmDataset *ds, const char *path, char delim, const GmWriteOptions *opts, GError **error);
gboolean   gm_write_10x_mtx       (const GmDataset *ds, const char *dir, const GmWriteOptions *opts, GError **error);

/* Safe output: a temporary sibling that becomes @path on commit. */
typedef struct
{
  char *final_path;
  char *tmp_path;
  gboolean is_dir;
} GmOutput;

gboolean   gm_output_begin        (GmOutput *out, const char *path, gboolean is_dir, GError **error);
gboolean   gm_output_commit       (GmOutput *out, GError **error);
void       gm_output_abort        (GmOutput *out);
/* Writes @len bytes of @text (-1: NUL-terminated) to @path through a temporary sibling. */
gboolean   gm_output_write_text   (const char *path, const char *text, gssize len, GError **error);

G_END_DECLS
