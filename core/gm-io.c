/* gm-io.c — format detection and dispatch
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "gm-h5.h"
#include "gm-io.h"

void
gm_read_options_init (GmReadOptions *opts)
{
  memset (opts, 0, sizeof *opts);
  opts->orientation = GM_ORIENT_AUTO;
}

void
gm_write_options_init (GmWriteOptions *opts)
{
  memset (opts, 0, sizeof *opts);
  opts->compression = -1; /* each format's default */
}

static gboolean
dir_has_mtx (const char *dir)
{
  static const char *names[] = { "matrix.mtx", "matrix.mtx.gz" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *p = g_build_filename (dir, names[i], NULL);
      if (g_file_test (p, G_FILE_TEST_IS_REGULAR))
        return TRUE;
    }
  return FALSE;
}

static GmFormat
detect_hdf5 (const char  *path,
             GError     **error)
{
  hid_t f = gm_h5_open (path, error);
  GmFormat fmt = GM_FORMAT_UNKNOWN;

  if (f < 0)
    return GM_FORMAT_UNKNOWN;

  if (gm_h5_object_type (f, "matrix") == H5I_DATASET && gm_h5_exists (f, "row_attrs") &&
      gm_h5_exists (f, "col_attrs"))
    fmt = GM_FORMAT_LOOM;
  else if (gm_h5_object_type (f, "matrix") == H5I_GROUP)
    fmt = GM_FORMAT_10X_H5;
  else if (gm_h5_exists (f, "obs") && gm_h5_exists (f, "var"))
    fmt = GM_FORMAT_H5AD;
  else
    {
      /* Cell Ranger 1.x/2.x: one group per genome holding indptr/genes/gene_names. */
      g_autofree char *children = gm_h5_list_children (f, "/");
      g_auto(GStrv) names = g_strsplit (children, ", ", -1);
      gboolean any = FALSE, all = TRUE;

      for (guint i = 0; names[i] != NULL && *names[i] != '\0'; i++)
        {
          g_autofree char *a = g_strdup_printf ("%s/indptr", names[i]);
          g_autofree char *b = g_strdup_printf ("%s/gene_names", names[i]);
          if (gm_h5_object_type (f, names[i]) == H5I_GROUP && gm_h5_exists (f, a) && gm_h5_exists (f, b))
            any = TRUE;
          else if (gm_h5_object_type (f, names[i]) == H5I_GROUP)
            all = FALSE;
        }
      if (any && all)
        fmt = GM_FORMAT_10X_H5;
      else
        g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                     "%s: HDF5 file is not AnnData, 10x or Loom (not an h5ad, 10x .h5 or loom file): "
                     "found top-level objects %s", path, *children ? children : "(none)");
    }
  H5Fclose (f);
  return fmt;
}

GmFormat
gm_detect_format (const char  *path,
                  GError     **error)
{
  guchar head[8] = { 0 };
  gsize got = 0;
  FILE *fp;
  char line[65536];
  gzFile gz;
  int tabs = 0, commas = 0;

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      if (dir_has_mtx (path))
        return GM_FORMAT_10X_MTX;
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: is a folder without matrix.mtx or matrix.mtx.gz (not a 10x Matrix Market folder)",
                   path);
      return GM_FORMAT_UNKNOWN;
    }
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: no such file or folder", path);
      return GM_FORMAT_UNKNOWN;
    }

  fp = fopen (path, "rb");
  if (fp == NULL)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: cannot open: %s", path,
                   g_strerror (errno));
      return GM_FORMAT_UNKNOWN;
    }
  got = fread (head, 1, sizeof head, fp);
  fclose (fp);
  if (got == 0)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: the file is empty", path);
      return GM_FORMAT_UNKNOWN;
    }

  /* HDF5 (the signature may sit after a user block, which H5Fis_hdf5 handles). */
  if (gm_h5_is_hdf5 (path) || (got == 8 && memcmp (head, "\211HDF\r\n\032\n", 8) == 0))
    return detect_hdf5 (path, error);

  /* Text, plain or gzipped. */
  gz = gzopen (path, "rb");
  if (gz == NULL || gzgets (gz, line, sizeof line) == NULL)
    {
      if (gz)
        gzclose (gz);
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: cannot read the file", path);
      return GM_FORMAT_UNKNOWN;
    }
  gzclose (gz);

  if (g_str_has_prefix (line, "%%MatrixMarket"))
    return GM_FORMAT_10X_MTX;

  for (const char *p = line; *p; p++)
    {
      if (*p == '\t')
        tabs++;
      else if (*p == ',')
        commas++;
      else if ((guchar) *p < 0x20 && *p != '\r' && *p != '\n')
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: unrecognised file format (not HDF5, Matrix Market or delimited text)", path);
          return GM_FORMAT_UNKNOWN;
        }
    }
  if (tabs == 0 && commas == 0)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: unrecognised file format: the first line has neither tabs nor commas", path);
      return GM_FORMAT_UNKNOWN;
    }
  return tabs >= commas ? GM_FORMAT_TSV : GM_FORMAT_CSV;
}

GmDataset *
gm_read (const char           *path,
         const GmReadOptions  *opts,
         GError              **error)
{
  GmReadOptions defaults;
  GmFormat fmt;

  if (opts == NULL)
    {
      gm_read_options_init (&defaults);
      opts = &defaults;
    }

  fmt = gm_detect_format (path, error);
  switch (fmt)
    {
    case GM_FORMAT_H5AD:
      return gm_read_h5ad (path, opts, error);
    case GM_FORMAT_10X_H5:
      return gm_read_10x_h5 (path, opts, error);
    case GM_FORMAT_LOOM:
      return gm_read_loom (path, opts, error);
    case GM_FORMAT_10X_MTX:
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        return gm_read_10x_mtx (path, opts, error);
      else
        {
          g_autofree char *dir = g_path_get_dirname (path);
          return gm_read_10x_mtx (dir, opts, error);
        }
    case GM_FORMAT_CSV:
    case GM_FORMAT_TSV:
      return gm_read_text (path, opts, error);
    case GM_FORMAT_UNKNOWN:
    default:
      return NULL;
    }
}

GmFormat
gm_format_for_output (const char  *path,
                      GError     **error)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);
  g_autofree char *base = NULL;

  if (g_str_has_suffix (lower, ".gz"))
    lower[strlen (lower) - 3] = '\0';

  if (g_str_has_suffix (lower, ".h5ad"))
    return GM_FORMAT_H5AD;
  if (g_str_has_suffix (lower, ".loom"))
    return GM_FORMAT_LOOM;
  if (g_str_has_suffix (lower, ".csv"))
    return GM_FORMAT_CSV;
  if (g_str_has_suffix (lower, ".tsv") || g_str_has_suffix (lower, ".txt"))
    return GM_FORMAT_TSV;
  if (g_str_has_suffix (path, "/") || g_file_test (path, G_FILE_TEST_IS_DIR))
    return GM_FORMAT_10X_MTX;

  base = g_path_get_basename (lower);
  if (strchr (base, '.') == NULL)
    return GM_FORMAT_10X_MTX;

  g_set_error (error, GM_ERROR, GM_ERROR_USAGE,
               "%s: cannot tell the output format from the name; use .h5ad, .loom, .csv, .tsv "
               "(optionally .gz) or a folder name for 10x Matrix Market", path);
  return GM_FORMAT_UNKNOWN;
}

gboolean
gm_write (const GmDataset       *ds,
          const char            *path,
          const GmWriteOptions  *opts,
          GError               **error)
{
  GmWriteOptions defaults;
  GmFormat fmt = gm_format_for_output (path, error);

  if (opts == NULL)
    {
      gm_write_options_init (&defaults);
      opts = &defaults;
    }

  switch (fmt)
    {
    case GM_FORMAT_H5AD:
      return gm_write_h5ad (ds, path, opts, error);
    case GM_FORMAT_LOOM:
      return gm_write_loom (ds, path, opts, error);
    case GM_FORMAT_CSV:
      return gm_write_text (ds, path, ',', opts, error);
    case GM_FORMAT_TSV:
      return gm_write_text (ds, path, '\t', opts, error);
    case GM_FORMAT_10X_MTX:
      return gm_write_10x_mtx (ds, path, opts, error);
    case GM_FORMAT_10X_H5:
    case GM_FORMAT_UNKNOWN:
    default:
      return FALSE;
    }
}
