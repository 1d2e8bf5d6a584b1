/* gm-h5.h — small helpers over the HDF5 1.10 C API shared by the h5ad, 10x and loom code
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <hdf5.h>

#include "gm-dataset.h"

G_BEGIN_DECLS

/* Registers our LZF decoder (once) and silences HDF5's error printing in the calling
 * thread (thread-safe HDF5 keeps that setting per thread).  Cheap and idempotent; every
 * core function that opens or creates an HDF5 file calls it. */
void      gm_h5_init             (void);
/* "HDF5 1.10.8" */
char     *gm_h5_version_string   (void);
gboolean  gm_h5_is_hdf5          (const char *path);

/* Opens read-only; on failure explains (truncated, locked, not HDF5). */
hid_t     gm_h5_open             (const char *path, GError **error);
/* Names of the objects in the root group, joined with ", ". */
char     *gm_h5_list_children    (hid_t loc, const char *group);

gboolean  gm_h5_exists           (hid_t loc, const char *path);
/* H5I_GROUP, H5I_DATASET or H5I_BADID when absent. */
H5I_type_t gm_h5_object_type     (hid_t loc, const char *path);

/* Attributes (on the object @obj below @loc; "." for @loc itself).
 * Return NULL / FALSE when absent or unreadable. */
char     *gm_h5_attr_string      (hid_t loc, const char *obj, const char *attr);
char    **gm_h5_attr_strings     (hid_t loc, const char *obj, const char *attr, int64_t *n);
int64_t  *gm_h5_attr_int64s      (hid_t loc, const char *obj, const char *attr, int64_t *n);
gboolean  gm_h5_attr_exists      (hid_t loc, const char *obj, const char *attr);

/* Length of a 1-D dataset (or the dims of any rank into dims[], returning the rank). */
int       gm_h5_dims             (hid_t loc, const char *name, hsize_t dims[H5S_MAX_RANK]);

/* Whole-dataset reads.  @file is the path for messages.  Integers of any
 * width, floats and bool enums are converted. */
char    **gm_h5_read_strings     (hid_t loc, const char *name, const char *file, int64_t *n, GError **error);
gboolean  gm_h5_read_numbers     (hid_t loc, const char *name, const char *file, hid_t memtype,
                                  void *buf, int64_t expected, GError **error);
/* Reads a contiguous 1-D range [offset, offset+count) into buf (memtype). */
/* gm_h5_read_range decodes deflate (and shuffle + deflate) chunks on all
 * cores (GENOMAP_H5_THREADS caps the threads); FALSE makes it leave all
 * decoding to HDF5, for tests and benchmarks.  Process-wide. */
void      gm_h5_set_parallel_decode (gboolean enabled);
/* Chunks decoded that way since the process started (tests, benchmarks). */
guint64   gm_h5_parallel_decoded_chunks (void);
gboolean  gm_h5_read_range       (hid_t dset, hsize_t offset, hsize_t count, hid_t memtype,
                                  void *buf, const char *what, GError **error);
/* Reads a rectangular block of a 2-D dataset into buf (row-major). */
gboolean  gm_h5_read_block       (hid_t dset, hsize_t r0, hsize_t nr, hsize_t c0, hsize_t nc,
                                  hid_t memtype, void *buf, const char *what, GError **error);
/* Approximate heap bytes for holding the strings of a dataset as char* (for memory checks). */
guint64   gm_h5_strings_bytes    (hid_t loc, const char *name);
/* The class of a dataset's type (H5T_STRING, H5T_INTEGER, H5T_ENUM …), or H5T_NO_CLASS. */
H5T_class_t gm_h5_dataset_class  (hid_t loc, const char *name);
/* Fails with a clear message if the dataset uses a filter this build cannot decode. */
gboolean  gm_h5_check_filters    (hid_t dset, const char *what, GError **error);
/* Opens a dataset with a larger chunk cache for streaming reads. */
hid_t     gm_h5_open_dataset     (hid_t loc, const char *name, const char *what, GError **error);

/* Sets an error whose message is "<what>: <message>" plus the innermost HDF5 message. */
void      gm_h5_set_error        (GError **error, int code, const char *what, const char *fmt, ...)
                                  G_GNUC_PRINTF (4, 5);

/* ---- writing ---- */
hid_t     gm_h5_bool_type        (void);       /* numpy's bool: ENUM {FALSE, TRUE} over int8 */
gboolean  gm_h5_set_attr_string  (hid_t obj, const char *name, const char *value);
gboolean  gm_h5_set_attr_strings (hid_t obj, const char *name, char **values, int64_t n);
gboolean  gm_h5_set_attr_int64s  (hid_t obj, const char *name, const int64_t *values, int64_t n);
gboolean  gm_h5_set_attr_bool    (hid_t obj, const char *name, gboolean value);
/* Sets encoding-type and encoding-version. */
gboolean  gm_h5_set_encoding     (hid_t obj, const char *type, const char *version);
hid_t     gm_h5_create_group     (hid_t loc, const char *name);
/* Writes a whole dataset.  @chunk (0 = contiguous) applies to the first dimension of
 * 1-D data; 2-D data is chunked with chunk × chunk tiles.  @gzip 0 = none. */
hid_t     gm_h5_write_array      (hid_t loc, const char *name, hid_t filetype, hid_t memtype,
                                  int rank, const hsize_t *dims, const void *buf,
                                  hsize_t chunk, int gzip);
gboolean  gm_h5_write_strings    (hid_t loc, const char *name, char **values, int64_t n,
                                  const char *enc_type, const char *enc_version);

G_END_DECLS
