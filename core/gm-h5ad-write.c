/* gm-h5ad-write.c — AnnData .h5ad writer (the anndata 0.8 on-disk layout)
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Layout (checked by reading back with anndata 0.8 in tests/interop):
 *   /            encoding-type=anndata 0.1.0
 *   /X           csr_matrix group (data float32, indices int32, indptr int64) or dense float32
 *   /layers      dict; layers/counts as csr_matrix when given
 *   /obs, /var   dataframes 0.2.0: _index, column-order, columns (categorical, array,
 *                nullable-integer, nullable-boolean, string-array)
 *   /obsm /varm /obsp /varp  empty dicts;  /uns dict of string scalars
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "gm-h5.h"
#include "gm-io.h"

#define WRITE_BLOCK_ENTRIES (16 * 1024 * 1024)

typedef struct
{
  const GmWriteOptions *opts;
  const char           *path;
} Writer;

static gboolean
write_failed (GError     **error,
              const char  *path,
              const char  *what)
{
  gm_h5_set_error (error, GM_ERROR_WRITE, path, "cannot write %s", what);
  return FALSE;
}

static gboolean
is_cancelled (const Writer  *w,
              GError       **error)
{
  if (w->opts->cancel != NULL && g_atomic_int_get (w->opts->cancel))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_CANCELLED, "%s: writing cancelled", w->path);
      return TRUE;
    }
  return FALSE;
}

static hid_t
new_dict (hid_t       loc,
          const char *name)
{
  hid_t g = gm_h5_create_group (loc, name);

  if (g >= 0)
    gm_h5_set_encoding (g, "dict", "0.1.0");
  return g;
}

/* Writes a 1-D array of @n elements in blocks (so that HDF5's conversion
 * buffers stay small for huge arrays). */
static gboolean
write_1d (hid_t        loc,
          const char  *name,
          hid_t        filetype,
          hid_t        memtype,
          const void  *buf,
          int64_t      n,
          int          gzip)
{
  hsize_t dim = (hsize_t) n;
  hid_t d = gm_h5_write_array (loc, name, filetype, memtype, 1, &dim, NULL,
                               gzip > 0 ? 65536 : 0, gzip);
  size_t esz = H5Tget_size (memtype);
  gboolean ok = d >= 0;

  for (int64_t off = 0; ok && off < n; off += WRITE_BLOCK_ENTRIES)
    {
      hsize_t start = (hsize_t) off, count = (hsize_t) MIN (WRITE_BLOCK_ENTRIES, n - off);
      hid_t fs = H5Dget_space (d);
      hid_t ms = H5Screate_simple (1, &count, NULL);

      H5Sselect_hyperslab (fs, H5S_SELECT_SET, &start, NULL, &count, NULL);
      ok = H5Dwrite (d, memtype, ms, fs, H5P_DEFAULT, (const char *) buf + (size_t) off * esz) >= 0;
      H5Sclose (ms);
      H5Sclose (fs);
    }
  if (d >= 0)
    H5Dclose (d);
  return ok;
}

static gboolean
write_csr (const Writer  *w,
           hid_t          loc,
           const char    *name,
           const GmCsr   *m,
           GError       **error)
{
  hid_t g = gm_h5_create_group (loc, name);
  int64_t shape[2] = { m->n_rows, m->n_cols };
  int64_t nnz = m->indptr[m->n_rows];
  int gzip = MAX (w->opts->compression, 0);
  gboolean ok;

  if (g < 0)
    return write_failed (error, w->path, name);
  ok = gm_h5_set_encoding (g, "csr_matrix", "0.1.0") &&
       gm_h5_set_attr_int64s (g, "shape", shape, 2) &&
       write_1d (g, "data", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, m->data, nnz, gzip) &&
       write_1d (g, "indices", H5T_STD_I32LE, H5T_NATIVE_INT32, m->indices, nnz, gzip) &&
       write_1d (g, "indptr", H5T_STD_I64LE, H5T_NATIVE_INT64, m->indptr, m->n_rows + 1, gzip);
  H5Gclose (g);
  if (!ok)
    return write_failed (error, w->path, name);
  return TRUE;
}

static gboolean
write_dense (const Writer  *w,
             hid_t          loc,
             const char    *name,
             const GmCsr   *m,
             const float   *dense,
             GError       **error)
{
  hsize_t dims[2] = { (hsize_t) m->n_rows, (hsize_t) m->n_cols };
  int gzip = MAX (w->opts->compression, 0);
  hid_t d = gm_h5_write_array (loc, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dims, NULL,
                               gzip > 0 ? 64 : 0, gzip);
  int64_t block_rows = MAX (1, WRITE_BLOCK_ENTRIES / MAX (m->n_cols, 1));
  g_autofree float *buf = NULL;
  gboolean ok = d >= 0;

  if (ok && dense == NULL)
    buf = g_try_new (float, MAX (MIN (block_rows, m->n_rows) * m->n_cols, 1));
  if (ok && dense == NULL && buf == NULL)
    {
      H5Dclose (d);
      g_set_error (error, GM_ERROR, GM_ERROR_WRITE, "%s: out of memory", w->path);
      return FALSE;
    }
  ok = ok && gm_h5_set_encoding (d, "array", "0.2.0");

  for (int64_t r0 = 0; ok && r0 < m->n_rows; r0 += block_rows)
    {
      hsize_t start[2] = { (hsize_t) r0, 0 };
      hsize_t count[2] = { (hsize_t) MIN (block_rows, m->n_rows - r0), dims[1] };
      const float *src;
      hid_t fs, ms;

      if (is_cancelled (w, error))
        {
          H5Dclose (d);
          return FALSE;
        }
      if (dense != NULL)
        src = dense + (size_t) r0 * m->n_cols;
      else
        {
          memset (buf, 0, sizeof (float) * count[0] * count[1]);
          for (hsize_t i = 0; i < count[0]; i++)
            for (int64_t k = m->indptr[r0 + i]; k < m->indptr[r0 + i + 1]; k++)
              buf[i * m->n_cols + m->indices[k]] = m->data[k];
          src = buf;
        }
      fs = H5Dget_space (d);
      ms = H5Screate_simple (2, count, NULL);
      H5Sselect_hyperslab (fs, H5S_SELECT_SET, start, NULL, count, NULL);
      ok = H5Dwrite (d, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, src) >= 0;
      H5Sclose (ms);
      H5Sclose (fs);
      if (w->opts->progress)
        w->opts->progress (0.1 + 0.8 * (double) (r0 + count[0]) / m->n_rows, "Writing the matrix",
                           w->opts->progress_data);
    }
  if (d >= 0)
    H5Dclose (d);
  if (!ok)
    return write_failed (error, w->path, name);
  return TRUE;
}

static char *
safe_key (const char *name)
{
  char *s = g_strdup (name && *name ? name : "unnamed");

  g_strdelimit (s, "/", '_');
  return s;
}

static gboolean
write_column (hid_t           df,
              const GmColumn *c,
              const char     *key)
{
  hsize_t n = (hsize_t) c->length;
  gboolean ok = TRUE;

  switch (c->kind)
    {
    case GM_COLUMN_CATEGORICAL:
      {
        hid_t g = gm_h5_create_group (df, key);
        hid_t ct = c->n_categories < 128 ? H5T_STD_I8LE
                   : c->n_categories < 32768 ? H5T_STD_I16LE : H5T_STD_I32LE;
        hid_t d;

        ok = g >= 0 && gm_h5_set_encoding (g, "categorical", "0.2.0") &&
             gm_h5_set_attr_bool (g, "ordered", c->ordered);
        if (ok)
          {
            d = gm_h5_write_array (g, "codes", ct, H5T_NATIVE_INT32, 1, &n, c->codes, 0, 0);
            ok = d >= 0 && gm_h5_set_encoding (d, "array", "0.2.0");
            if (d >= 0)
              H5Dclose (d);
          }
        ok = ok && gm_h5_write_strings (g, "categories", c->categories, c->n_categories,
                                        "string-array", "0.2.0");
        if (g >= 0)
          H5Gclose (g);
      }
      break;

    case GM_COLUMN_NUMERIC:
    case GM_COLUMN_BOOLEAN:
      {
        gboolean has_nan = FALSE;
        gboolean integer = c->is_integer || c->kind == GM_COLUMN_BOOLEAN;
        hid_t d;

        for (int64_t i = 0; i < c->length; i++)
          if (isnan (c->values[i]))
            has_nan = TRUE;

        if (integer && has_nan)
          {
            /* pandas' nullable Int64 / boolean: values + mask (true = missing) */
            hid_t g = gm_h5_create_group (df, key);
            g_autofree int8_t *mask = g_new0 (int8_t, MAX (n, 1));
            g_autofree double *vals = g_new0 (double, MAX (n, 1));
            hid_t bt = gm_h5_bool_type ();

            for (int64_t i = 0; i < c->length; i++)
              {
                mask[i] = isnan (c->values[i]);
                vals[i] = mask[i] ? 0 : c->values[i];
              }
            ok = g >= 0 &&
                 gm_h5_set_encoding (g, c->kind == GM_COLUMN_BOOLEAN ? "nullable-boolean"
                                                                     : "nullable-integer", "0.1.0");
            if (ok)
              {
                d = gm_h5_write_array (g, "values",
                                       c->kind == GM_COLUMN_BOOLEAN ? bt : H5T_STD_I64LE,
                                       H5T_NATIVE_DOUBLE, 1, &n, NULL, 0, 0);
                if (d >= 0)
                  {
                    if (c->kind == GM_COLUMN_BOOLEAN)
                      {
                        g_autofree int8_t *b = g_new0 (int8_t, MAX (n, 1));
                        for (int64_t i = 0; i < c->length; i++)
                          b[i] = vals[i] != 0;
                        ok = n == 0 || H5Dwrite (d, bt, H5S_ALL, H5S_ALL, H5P_DEFAULT, b) >= 0;
                      }
                    else
                      ok = n == 0 || H5Dwrite (d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, vals) >= 0;
                    H5Dclose (d);
                  }
                else
                  ok = FALSE;
              }
            if (ok)
              {
                d = gm_h5_write_array (g, "mask", bt, bt, 1, &n, mask, 0, 0);
                ok = d >= 0;
                if (d >= 0)
                  H5Dclose (d);
              }
            H5Tclose (bt);
            if (g >= 0)
              H5Gclose (g);
          }
        else if (c->kind == GM_COLUMN_BOOLEAN)
          {
            hid_t bt = gm_h5_bool_type ();
            g_autofree int8_t *b = g_new0 (int8_t, MAX (n, 1));
            for (int64_t i = 0; i < c->length; i++)
              b[i] = c->values[i] != 0;
            d = gm_h5_write_array (df, key, bt, bt, 1, &n, b, 0, 0);
            ok = d >= 0 && gm_h5_set_encoding (d, "array", "0.2.0");
            if (d >= 0)
              H5Dclose (d);
            H5Tclose (bt);
          }
        else
          {
            d = gm_h5_write_array (df, key, integer ? H5T_STD_I64LE : H5T_IEEE_F64LE,
                                   H5T_NATIVE_DOUBLE, 1, &n, c->values, 0, 0);
            ok = d >= 0 && gm_h5_set_encoding (d, "array", "0.2.0");
            if (d >= 0)
              H5Dclose (d);
          }
      }
      break;

    case GM_COLUMN_STRING:
      {
        g_autofree char **s = g_new0 (char *, MAX (n, 1));
        for (int64_t i = 0; i < c->length; i++)
          s[i] = c->strings[i] ? c->strings[i] : (char *) "";
        ok = gm_h5_write_strings (df, key, s, c->length, "string-array", "0.2.0");
      }
      break;

    default:
      ok = FALSE;
    }
  return ok;
}

static gboolean
write_dataframe (const Writer  *w,
                 hid_t          file,
                 const char    *name,
                 char         **index,
                 int64_t        n,
                 char         **ids,
                 GPtrArray     *columns,
                 GError       **error)
{
  hid_t df = gm_h5_create_group (file, name);
  g_autoptr(GPtrArray) order = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) used = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean ok;

  if (df < 0)
    return write_failed (error, w->path, name);

  ok = gm_h5_set_encoding (df, "dataframe", "0.2.0") &&
       gm_h5_set_attr_string (df, "_index", "_index") &&
       gm_h5_write_strings (df, "_index", index, n, "string-array", "0.2.0");
  g_hash_table_add (used, (gpointer) "_index");

  if (ok && ids != NULL)
    {
      ok = gm_h5_write_strings (df, "gene_ids", ids, n, "string-array", "0.2.0");
      g_ptr_array_add (order, g_strdup ("gene_ids"));
      g_hash_table_add (used, (gpointer) "gene_ids");
    }

  for (guint i = 0; ok && i < columns->len; i++)
    {
      const GmColumn *c = g_ptr_array_index (columns, i);
      char *key = safe_key (c->name);

      if (g_hash_table_contains (used, key) || c->length != n)
        {
          g_free (key);
          continue;
        }
      ok = write_column (df, c, key);
      g_ptr_array_add (order, key);
      g_hash_table_add (used, key);
    }
  ok = ok && gm_h5_set_attr_strings (df, "column-order", (char **) order->pdata, order->len);
  H5Gclose (df);
  if (!ok)
    return write_failed (error, w->path, name);
  return TRUE;
}

static gboolean
write_uns (hid_t            file,
           const GmDataset *ds)
{
  hid_t uns = new_dict (file, "uns");
  GHashTableIter iter;
  gpointer k, v;
  gboolean ok = uns >= 0;

  g_hash_table_iter_init (&iter, ds->uns);
  while (ok && g_hash_table_iter_next (&iter, &k, &v))
    {
      g_autofree char *key = safe_key (k);
      hid_t t = H5Tcopy (H5T_C_S1);
      hid_t s = H5Screate (H5S_SCALAR);
      hid_t d;
      const char *val = v;

      H5Tset_size (t, H5T_VARIABLE);
      H5Tset_cset (t, H5T_CSET_UTF8);
      d = H5Dcreate2 (uns, key, t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      ok = d >= 0 && H5Dwrite (d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &val) >= 0 &&
           gm_h5_set_encoding (d, "string", "0.2.0");
      if (d >= 0)
        H5Dclose (d);
      H5Sclose (s);
      H5Tclose (t);
    }
  if (uns >= 0)
    H5Gclose (uns);
  return ok;
}

gboolean
gm_write_h5ad (const GmDataset       *ds,
               const char            *path,
               const GmWriteOptions  *opts,
               GError               **error)
{
  return gm_write_h5ad_with_x (ds, path, opts, NULL, NULL, error);
}

gboolean
gm_write_h5ad_with_x (const GmDataset       *ds,
                      const char            *path,
                      const GmWriteOptions  *opts,
                      GmWriteXFunc           write_x,
                      gpointer               user_data,
                      GError               **error)
{
  GmWriteOptions defaults;
  GmOutput out;
  Writer w;
  hid_t file, g;
  gboolean ok = FALSE;

  if (opts == NULL)
    {
      gm_write_options_init (&defaults);
      opts = &defaults;
    }
  w.opts = opts;
  w.path = path;

  gm_h5_init ();
  if (!gm_output_begin (&out, path, FALSE, error))
    return FALSE;

  file = H5Fcreate (out.tmp_path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
  if (file < 0)
    {
      gm_h5_set_error (error, GM_ERROR_WRITE, path, "cannot create the file");
      gm_output_abort (&out);
      return FALSE;
    }

  if (!gm_h5_set_encoding (file, "anndata", "0.1.0"))
    {
      write_failed (error, path, "the root attributes");
      goto out;
    }

  if (opts->progress)
    opts->progress (0.0, "Writing the matrix", opts->progress_data);
  if (write_x != NULL)
    {
      if (!write_x (file, user_data, error))
        goto out;
    }
  else if (opts->dense || opts->dense_X != NULL)
    {
      if (!write_dense (&w, file, "X", &ds->X, opts->dense_X, error))
        goto out;
    }
  else if (!write_csr (&w, file, "X", &ds->X, error))
    goto out;

  if (is_cancelled (&w, error))
    goto out;

  g = new_dict (file, "layers");
  if (g < 0)
    {
      write_failed (error, path, "layers");
      goto out;
    }
  if (opts->counts_layer != NULL && !write_csr (&w, g, "counts", opts->counts_layer, error))
    {
      H5Gclose (g);
      goto out;
    }
  H5Gclose (g);

  if (opts->progress)
    opts->progress (0.9, "Writing annotations", opts->progress_data);
  if (!write_dataframe (&w, file, "obs", ds->cell_names, ds->X.n_rows, NULL, ds->obs, error) ||
      !write_dataframe (&w, file, "var", ds->gene_names, ds->X.n_cols, ds->gene_ids, ds->var, error))
    goto out;

  {
    const char *dicts[] = { "obsm", "varm", "obsp", "varp" };
    for (guint i = 0; i < G_N_ELEMENTS (dicts); i++)
      {
        g = new_dict (file, dicts[i]);
        if (g < 0)
          {
            write_failed (error, path, dicts[i]);
            goto out;
          }
        H5Gclose (g);
      }
  }
  if (!write_uns (file, ds))
    {
      write_failed (error, path, "uns");
      goto out;
    }
  ok = TRUE;

out:
  if (H5Fclose (file) < 0 && ok)
    {
      gm_h5_set_error (error, GM_ERROR_WRITE, path, "cannot finish the file");
      ok = FALSE;
    }
  if (!ok)
    {
      gm_output_abort (&out);
      return FALSE;
    }
  if (opts->progress)
    opts->progress (1.0, "Done", opts->progress_data);
  return gm_output_commit (&out, error);
}
