/* gm-h5ad-read.c — AnnData .h5ad: anndata ≥ 0.8, 0.7.x and the pre-0.7 compound layout
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The matrix is X, layers/<name> or raw/X (raw.X before 0.7): dense, csr_matrix or
 * csc_matrix (or the legacy h5sparse_format groups).  Sparse rows are streamed in
 * blocks bounded by an entry budget, straight into the final CSR arrays; dense X is
 * read in row blocks aligned to its chunks and only its non-zeros are kept.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "gm-h5.h"
#include "gm-io.h"

#define BLOCK_ENTRIES (16 * 1024 * 1024)

typedef struct
{
  const char          *path;
  hid_t                file;
  const GmReadOptions *opts;
} Reader;

static gboolean
cancelled (const Reader  *r,
           GError       **error)
{
  if (r->opts->cancel != NULL && g_atomic_int_get (r->opts->cancel))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_CANCELLED, "%s: reading cancelled", r->path);
      return TRUE;
    }
  return FALSE;
}

static void
progress (const Reader *r,
          double        fraction,
          const char   *stage)
{
  if (r->opts->progress != NULL)
    r->opts->progress (fraction, stage, r->opts->progress_data);
}

static char *
what_of (const Reader *r,
         const char   *obj)
{
  return g_strdup_printf ("%s: %s", r->path, obj);
}

/* ------------------------------------------------------------ dataframes */

static char **
format_numbers (const double *v,
                int64_t       n)
{
  char **out = g_new0 (char *, n + 1);

  for (int64_t i = 0; i < n; i++)
    {
      if (v[i] == floor (v[i]) && fabs (v[i]) < 1e15)
        out[i] = g_strdup_printf ("%" G_GINT64_FORMAT, (int64_t) v[i]);
      else
        out[i] = g_strdup_printf ("%.9g", v[i]);
    }
  return out;
}

/* Reads a string array stored as a string dataset or a nullable-string-array group. */
static char **
read_label_array (const Reader  *r,
                  hid_t          loc,
                  const char    *name,
                  int64_t       *n,
                  GError       **error)
{
  if (gm_h5_object_type (loc, name) == H5I_GROUP)
    {
      g_autofree char *values = g_strdup_printf ("%s/values", name);
      g_autofree char *mask = g_strdup_printf ("%s/mask", name);
      char **out = gm_h5_read_strings (loc, values, r->path, n, error);

      if (out != NULL && gm_h5_exists (loc, mask))
        {
          g_autofree int8_t *m = g_new0 (int8_t, MAX (*n, 1));
          if (!gm_h5_read_numbers (loc, mask, r->path, H5T_NATIVE_INT8, m, *n, error))
            {
              g_strfreev (out);
              return NULL;
            }
          for (int64_t i = 0; i < *n; i++)
            if (m[i])
              g_clear_pointer (&out[i], g_free);
          /* keep the array NULL-terminated at n even with holes: callers use n */
        }
      return out;
    }
  return gm_h5_read_strings (loc, name, r->path, n, error);
}

static void
free_labels (char    **v,
             int64_t   n)
{
  if (v == NULL)
    return;
  for (int64_t i = 0; i < n; i++)
    g_free (v[i]);
  g_free (v);
}

/* A column of a dataframe group (anndata ≥ 0.7).  Returns NULL with *error set on
 * failure, or NULL without error for a column we skip (unknown encoding). */
static GmColumn *
read_df_column (const Reader  *r,
                hid_t          df,
                const char    *dfname,
                const char    *col,
                int64_t        n_rows,
                GError       **error)
{
  g_autofree char *what = g_strdup_printf ("%s: %s/%s", r->path, dfname, col);
  g_autofree char *enc = gm_h5_attr_string (df, col, "encoding-type");
  H5I_type_t type = gm_h5_object_type (df, col);
  GmColumn *c = NULL;

  if (type == H5I_GROUP && g_strcmp0 (enc, "categorical") == 0)
    {
      g_autofree char *codes_path = g_strdup_printf ("%s/codes", col);
      g_autofree char *cats_path = g_strdup_printf ("%s/categories", col);
      hsize_t dims[H5S_MAX_RANK];
      int64_t n_cats = 0;
      char **cats;

      if (gm_h5_dims (df, cats_path, dims) != 1)
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: categorical without categories", what);
          return NULL;
        }
      if (gm_h5_dataset_class (df, cats_path) == H5T_STRING)
        cats = gm_h5_read_strings (df, cats_path, r->path, &n_cats, error);
      else
        {
          g_autofree double *v = g_new0 (double, MAX (dims[0], 1));
          n_cats = (int64_t) dims[0];
          cats = gm_h5_read_numbers (df, cats_path, r->path, H5T_NATIVE_DOUBLE, v, n_cats, error)
                 ? format_numbers (v, n_cats) : NULL;
        }
      if (cats == NULL)
        return NULL;

      c = gm_column_new (col, GM_COLUMN_CATEGORICAL, n_rows);
      c->categories = cats;
      c->n_categories = (int32_t) n_cats;
      if (!gm_h5_read_numbers (df, codes_path, r->path, H5T_NATIVE_INT32, c->codes, n_rows, error))
        {
          gm_column_free (c);
          return NULL;
        }
      {
        hid_t a = H5Aopen_by_name (df, col, "ordered", H5P_DEFAULT, H5P_DEFAULT);
        if (a >= 0)
          {
            hid_t t = H5Aget_type (a);
            int8_t v = 0;
            if (H5Tget_class (t) == H5T_ENUM)
              {
                hid_t nt = H5Tget_native_type (t, H5T_DIR_ASCEND);
                if (H5Tget_size (nt) == 1 && H5Aread (a, nt, &v) >= 0)
                  c->ordered = v != 0;
                H5Tclose (nt);
              }
            else if (H5Aread (a, H5T_NATIVE_INT8, &v) >= 0)
              c->ordered = v != 0;
            H5Tclose (t);
            H5Aclose (a);
          }
      }
      for (int64_t i = 0; i < n_rows; i++)
        if (c->codes[i] >= c->n_categories)
          {
            g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                         "%s: code %d at row %" G_GINT64_FORMAT " but only %d categories",
                         what, c->codes[i], i, c->n_categories);
            gm_column_free (c);
            return NULL;
          }
      return c;
    }

  if (type == H5I_GROUP && (g_strcmp0 (enc, "nullable-integer") == 0 ||
                            g_strcmp0 (enc, "nullable-boolean") == 0))
    {
      g_autofree char *values = g_strdup_printf ("%s/values", col);
      g_autofree char *mask = g_strdup_printf ("%s/mask", col);
      g_autofree int8_t *m = g_new0 (int8_t, MAX (n_rows, 1));

      c = gm_column_new (col, g_strcmp0 (enc, "nullable-boolean") == 0 ? GM_COLUMN_BOOLEAN
                                                                       : GM_COLUMN_NUMERIC,
                         n_rows);
      c->is_integer = TRUE;
      if (!gm_h5_read_numbers (df, values, r->path, H5T_NATIVE_DOUBLE, c->values, n_rows, error) ||
          !gm_h5_read_numbers (df, mask, r->path, H5T_NATIVE_INT8, m, n_rows, error))
        {
          gm_column_free (c);
          return NULL;
        }
      for (int64_t i = 0; i < n_rows; i++)
        if (m[i])
          c->values[i] = NAN;
      return c;
    }

  if (type == H5I_GROUP && g_strcmp0 (enc, "nullable-string-array") == 0)
    {
      int64_t n = 0;
      char **s = read_label_array (r, df, col, &n, error);
      if (s == NULL)
        return NULL;
      if (n != n_rows)
        {
          free_labels (s, n);
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: has %" G_GINT64_FORMAT
                       " values, expected %" G_GINT64_FORMAT, what, n, n_rows);
          return NULL;
        }
      c = gm_column_new (col, GM_COLUMN_STRING, n_rows);
      g_free (c->strings);
      c->strings = s;
      return c;
    }

  if (type == H5I_DATASET)
    {
      hsize_t dims[H5S_MAX_RANK];
      int rank = gm_h5_dims (df, col, dims);

      if (rank != 1)
        return NULL; /* multi-dimensional columns are not annotations */

      if (gm_h5_dataset_class (df, col) == H5T_STRING)
        {
          int64_t n = 0;
          char **s = gm_h5_read_strings (df, col, r->path, &n, error);
          if (s == NULL)
            return NULL;
          c = gm_column_new (col, GM_COLUMN_STRING, n_rows);
          g_free (c->strings);
          c->strings = s;
          if (n != n_rows)
            {
              g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: has %" G_GINT64_FORMAT
                           " values, expected %" G_GINT64_FORMAT, what, n, n_rows);
              c->length = n;
              gm_column_free (c);
              return NULL;
            }
          return c;
        }

      /* anndata 0.7: integer codes with a `categories` object reference. */
      if (gm_h5_attr_exists (df, col, "categories"))
        {
          hid_t d = H5Dopen2 (df, col, H5P_DEFAULT);
          hid_t a = H5Aopen (d, "categories", H5P_DEFAULT);
          hid_t at = H5Aget_type (a);
          hobj_ref_t ref;
          gboolean ok = FALSE;

          if (H5Tget_class (at) == H5T_REFERENCE && H5Aread (a, H5T_STD_REF_OBJ, &ref) >= 0)
            {
              hid_t cats_ds = H5Rdereference2 (d, H5P_DEFAULT, H5R_OBJECT, &ref);
              if (cats_ds >= 0)
                {
                  int64_t n_cats = 0;
                  char **cats = gm_h5_read_strings (cats_ds, ".", r->path, &n_cats, error);
                  if (cats != NULL)
                    {
                      c = gm_column_new (col, GM_COLUMN_CATEGORICAL, n_rows);
                      c->categories = cats;
                      c->n_categories = (int32_t) n_cats;
                      ok = gm_h5_read_numbers (df, col, r->path, H5T_NATIVE_INT32, c->codes, n_rows, error);
                      if (!ok)
                        g_clear_pointer (&c, gm_column_free);
                    }
                  H5Oclose (cats_ds);
                }
            }
          H5Tclose (at);
          H5Aclose (a);
          H5Dclose (d);
          if (!ok && error != NULL && *error == NULL)
            g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                         "%s: cannot resolve the categories reference", what);
          return c;
        }

      c = gm_column_new (col, gm_h5_dataset_class (df, col) == H5T_ENUM ? GM_COLUMN_BOOLEAN : GM_COLUMN_NUMERIC, n_rows);
      c->is_integer = gm_h5_dataset_class (df, col) == H5T_INTEGER;
      if (!gm_h5_read_numbers (df, col, r->path, H5T_NATIVE_DOUBLE, c->values, n_rows, error))
        {
          gm_column_free (c);
          return NULL;
        }
      return c;
    }

  return NULL;
}

/* Reads labels and columns of obs or var (a dataframe group). */
static gboolean
read_dataframe_group (const Reader  *r,
                      const char    *dfname,
                      char        ***labels_out,
                      int64_t       *n_out,
                      GPtrArray     *columns,
                      GError       **error)
{
  hid_t df = H5Gopen2 (r->file, dfname, H5P_DEFAULT);
  g_autofree char *index_name = NULL;
  g_auto(GStrv) order = NULL;
  int64_t n_order = 0, n = 0;
  char **labels;
  gboolean ok = TRUE;

  if (df < 0)
    {
      gm_h5_set_error (error, GM_ERROR_INVALID_INPUT, r->path, "cannot open %s", dfname);
      return FALSE;
    }

  index_name = gm_h5_attr_string (df, ".", "_index");
  if (index_name == NULL)
    index_name = g_strdup (gm_h5_exists (df, "_index") ? "_index" : "index");
  if (!gm_h5_exists (df, index_name))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: %s has no index (names) member '%s'", r->path, dfname, index_name);
      H5Gclose (df);
      return FALSE;
    }
  labels = read_label_array (r, df, index_name, &n, error);
  if (labels == NULL)
    {
      H5Gclose (df);
      return FALSE;
    }
  for (int64_t i = 0; i < n; i++)
    if (labels[i] == NULL)
      labels[i] = g_strdup_printf ("%" G_GINT64_FORMAT, i);

  order = gm_h5_attr_strings (df, ".", "column-order", &n_order);
  for (int64_t k = 0; order != NULL && k < n_order && ok; k++)
    {
      g_autoptr(GError) local = NULL;
      GmColumn *c;

      if (g_strcmp0 (order[k], index_name) == 0 || !gm_h5_exists (df, order[k]))
        continue;
      c = read_df_column (r, df, dfname, order[k], n, &local);
      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          ok = FALSE;
        }
      else if (c != NULL)
        g_ptr_array_add (columns, c);
    }
  H5Gclose (df);

  if (!ok)
    {
      free_labels (labels, n);
      return FALSE;
    }
  *labels_out = labels;
  *n_out = n;
  return TRUE;
}

/* Pre-0.7: obs/var are compound datasets; categorical labels in uns/<col>_categories. */
static gboolean
read_dataframe_compound (const Reader  *r,
                         const char    *dfname,
                         char        ***labels_out,
                         int64_t       *n_out,
                         GPtrArray     *columns,
                         GError       **error)
{
  g_autofree char *what = what_of (r, dfname);
  hid_t d = gm_h5_open_dataset (r->file, dfname, what, error);
  hid_t ft, space;
  int n_members;
  hssize_t n;
  char **labels = NULL;
  gboolean ok = TRUE;

  if (d < 0)
    return FALSE;
  ft = H5Dget_type (d);
  space = H5Dget_space (d);
  n = H5Sget_simple_extent_npoints (space);
  if (H5Tget_class (ft) != H5T_COMPOUND)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: not a dataframe", what);
      H5Sclose (space);
      H5Tclose (ft);
      H5Dclose (d);
      return FALSE;
    }
  n_members = H5Tget_nmembers (ft);

  for (int m = 0; m < n_members && ok; m++)
    {
      char *mname = H5Tget_member_name (ft, (unsigned) m);
      hid_t mt = H5Tget_member_type (ft, (unsigned) m);
      H5T_class_t cls = H5Tget_class (mt);
      gboolean is_index = (labels == NULL) && (g_strcmp0 (mname, "index") == 0 || m == 0);

      if (cls == H5T_STRING)
        {
          /* Read this member alone through a one-member memory compound. */
          size_t sz = H5Tis_variable_str (mt) > 0 ? sizeof (char *) : H5Tget_size (mt) + 1;
          hid_t smt = H5Tcopy (H5T_C_S1);
          hid_t comp;
          g_autofree char *buf = g_malloc0 (sz * MAX (n, 1));
          char **strs = g_new0 (char *, n + 1);

          H5Tset_cset (smt, H5Tget_cset (mt));
          if (H5Tis_variable_str (mt) > 0)
            H5Tset_size (smt, H5T_VARIABLE);
          else
            {
              H5Tset_size (smt, sz);
              H5Tset_strpad (smt, H5T_STR_NULLTERM);
            }
          comp = H5Tcreate (H5T_COMPOUND, sz);
          H5Tinsert (comp, mname, 0, smt);
          if (H5Dread (d, comp, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
            {
              gm_h5_set_error (error, GM_ERROR_INVALID_INPUT, what, "cannot read member %s", mname);
              ok = FALSE;
            }
          else
            for (hssize_t i = 0; i < n; i++)
              {
                if (H5Tis_variable_str (mt) > 0)
                  {
                    char *p = ((char **) buf)[i];
                    strs[i] = g_strdup (p ? p : "");
                    H5free_memory (p);
                  }
                else
                  {
                    char *p = buf + i * sz;
                    p[sz - 1] = '\0';
                    strs[i] = g_strdup (p);
                  }
              }
          H5Tclose (comp);
          H5Tclose (smt);
          if (ok && is_index)
            labels = strs;
          else if (ok)
            {
              GmColumn *c = gm_column_new (mname, GM_COLUMN_STRING, n);
              g_free (c->strings);
              c->strings = strs;
              g_ptr_array_add (columns, c);
            }
          else
            g_strfreev (strs);
        }
      else if (cls == H5T_INTEGER || cls == H5T_FLOAT || cls == H5T_ENUM)
        {
          hid_t comp, base_native;
          g_autofree char *cats_path = g_strdup_printf ("uns/%s_categories", mname);
          GmColumn *c;

          if (cls == H5T_ENUM)
            {
              hid_t base = H5Tget_super (mt);
              base_native = H5Tget_native_type (mt, H5T_DIR_ASCEND);
              H5Tclose (base);
            }
          else
            base_native = H5Tcopy (H5T_NATIVE_DOUBLE);

          c = gm_column_new (mname, cls == H5T_ENUM ? GM_COLUMN_BOOLEAN : GM_COLUMN_NUMERIC, n);
          c->is_integer = cls != H5T_FLOAT;
          comp = H5Tcreate (H5T_COMPOUND, H5Tget_size (base_native));
          H5Tinsert (comp, mname, 0, base_native);
          if (cls == H5T_ENUM)
            {
              g_autofree int8_t *raw = g_new0 (int8_t, MAX (n, 1));
              if (H5Tget_size (base_native) == 1 &&
                  H5Dread (d, comp, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) >= 0)
                for (hssize_t i = 0; i < n; i++)
                  c->values[i] = raw[i];
              else
                ok = FALSE;
            }
          else if (H5Dread (d, comp, H5S_ALL, H5S_ALL, H5P_DEFAULT, c->values) < 0)
            ok = FALSE;
          H5Tclose (comp);
          H5Tclose (base_native);

          if (!ok)
            {
              gm_h5_set_error (error, GM_ERROR_INVALID_INPUT, what, "cannot read member %s", mname);
              gm_column_free (c);
            }
          else if (cls == H5T_INTEGER && gm_h5_exists (r->file, cats_path))
            {
              int64_t n_cats = 0;
              char **cats = gm_h5_read_strings (r->file, cats_path, r->path, &n_cats, NULL);
              gboolean fits = cats != NULL;

              for (hssize_t i = 0; i < n && fits; i++)
                if (c->values[i] >= n_cats)
                  fits = FALSE;
              if (fits)
                {
                  GmColumn *cat = gm_column_new (mname, GM_COLUMN_CATEGORICAL, n);
                  cat->categories = cats;
                  cat->n_categories = (int32_t) n_cats;
                  for (hssize_t i = 0; i < n; i++)
                    cat->codes[i] = (int32_t) c->values[i];
                  gm_column_free (c);
                  c = cat;
                }
              else
                g_strfreev (cats);
              g_ptr_array_add (columns, c);
            }
          else
            g_ptr_array_add (columns, c);
        }
      H5Tclose (mt);
      H5free_memory (mname);
    }

  H5Sclose (space);
  H5Tclose (ft);
  H5Dclose (d);

  if (ok && labels == NULL)
    {
      labels = g_new0 (char *, n + 1);
      for (hssize_t i = 0; i < n; i++)
        labels[i] = g_strdup_printf ("%" G_GINT64_FORMAT, (int64_t) i);
    }
  if (!ok)
    {
      free_labels (labels, n);
      return FALSE;
    }
  *labels_out = labels;
  *n_out = n;
  return TRUE;
}

static gboolean
read_dataframe (const Reader  *r,
                const char    *dfname,
                char        ***labels,
                int64_t       *n,
                GPtrArray     *columns,
                GError       **error)
{
  switch (gm_h5_object_type (r->file, dfname))
    {
    case H5I_GROUP:
      return read_dataframe_group (r, dfname, labels, n, columns, error);
    case H5I_DATASET:
      return read_dataframe_compound (r, dfname, labels, n, columns, error);
    default:
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: %s is missing", r->path, dfname);
      return FALSE;
    }
}

/* -------------------------------------------------------------- matrices */

typedef enum { MATRIX_DENSE, MATRIX_CSR, MATRIX_CSC } MatrixKind;

static gboolean
matrix_kind (const Reader  *r,
             const char    *name,
             MatrixKind    *kind,
             int64_t        shape[2],
             GError       **error)
{
  g_autofree char *what = what_of (r, name);
  H5I_type_t t = gm_h5_object_type (r->file, name);

  if (t == H5I_DATASET)
    {
      hsize_t dims[H5S_MAX_RANK];
      if (gm_h5_dims (r->file, name, dims) != 2)
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: dense matrix is not 2-D", what);
          return FALSE;
        }
      *kind = MATRIX_DENSE;
      shape[0] = (int64_t) dims[0];
      shape[1] = (int64_t) dims[1];
      return TRUE;
    }
  if (t == H5I_GROUP)
    {
      g_autofree char *enc = gm_h5_attr_string (r->file, name, "encoding-type");
      g_autofree char *legacy = gm_h5_attr_string (r->file, name, "h5sparse_format");
      g_autofree int64_t *sh = NULL;
      int64_t n_sh = 0;

      if (g_strcmp0 (enc, "csr_matrix") == 0 || g_strcmp0 (legacy, "csr") == 0)
        *kind = MATRIX_CSR;
      else if (g_strcmp0 (enc, "csc_matrix") == 0 || g_strcmp0 (legacy, "csc") == 0)
        *kind = MATRIX_CSC;
      else
        {
          g_set_error (error, GM_ERROR, GM_ERROR_UNSUPPORTED,
                       "%s: unsupported matrix encoding '%s'", what,
                       enc ? enc : legacy ? legacy : "(none)");
          return FALSE;
        }
      sh = gm_h5_attr_int64s (r->file, name, enc ? "shape" : "h5sparse_shape", &n_sh);
      if (sh == NULL || n_sh != 2 || sh[0] < 0 || sh[1] < 0)
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: sparse matrix without a valid shape", what);
          return FALSE;
        }
      shape[0] = sh[0];
      shape[1] = sh[1];
      return TRUE;
    }
  g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: matrix is missing", what);
  return FALSE;
}

/* Reads a compressed sparse group: indptr (n_major + 1), then indices and data in
 * blocks.  The result is a CSR with n_major rows. */
static gboolean
read_compressed (const Reader  *r,
                 const char    *name,
                 int64_t        n_major,
                 int64_t        n_minor,
                 GmCsr         *out,
                 double         budget_factor,
                 GError       **error)
{
  g_autofree char *what = what_of (r, name);
  g_autofree char *p_indptr = g_strdup_printf ("%s/indptr", name);
  g_autofree char *p_indices = g_strdup_printf ("%s/indices", name);
  g_autofree char *p_data = g_strdup_printf ("%s/data", name);
  g_autofree char *w_indices = what_of (r, p_indices);
  g_autofree char *w_data = what_of (r, p_data);
  hsize_t dims[H5S_MAX_RANK];
  int64_t nnz;
  hid_t di = -1, dd = -1;
  gboolean ok = FALSE;

  if (gm_h5_dims (r->file, p_indptr, dims) != 1 || (int64_t) dims[0] != n_major + 1)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: indptr must have %" G_GINT64_FORMAT " entries", what, n_major + 1);
      return FALSE;
    }
  if (gm_h5_dims (r->file, p_data, dims) != 1)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: data is missing", what);
      return FALSE;
    }
  nnz = (int64_t) dims[0];
  if (gm_h5_dims (r->file, p_indices, dims) != 1 || (int64_t) dims[0] != nnz)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: indices and data differ in length", what);
      return FALSE;
    }
  if (n_minor > INT32_MAX)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_TOO_LARGE, "%s: more than 2³¹ columns", what);
      return FALSE;
    }
  if (!gm_memory_check_limit (r->opts->memory_limit, r->path, (guint64) ((nnz * 8.0 + (n_major + 1) * 8.0) * budget_factor),
                        "the matrix", error))
    return FALSE;

  out->n_rows = n_major;
  out->n_cols = n_minor;
  out->indptr = g_new (int64_t, n_major + 1);
  if (!gm_h5_read_numbers (r->file, p_indptr, r->path, H5T_NATIVE_INT64, out->indptr, n_major + 1, error))
    goto out;
  if (out->indptr[0] != 0 || out->indptr[n_major] != nnz)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: indptr runs from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                   " but there are %" G_GINT64_FORMAT " entries", what,
                   out->indptr[0], out->indptr[n_major], nnz);
      goto out;
    }
  out->indices = gm_alloc_large (sizeof (int32_t) * MAX (nnz, 1));
  out->data = gm_alloc_large (sizeof (float) * MAX (nnz, 1));
  if (out->indices == NULL || out->data == NULL)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_TOO_LARGE, "%s: out of memory for %" G_GINT64_FORMAT
                   " entries", what, nnz);
      goto out;
    }

  di = gm_h5_open_dataset (r->file, p_indices, w_indices, error);
  if (di < 0)
    goto out;
  dd = gm_h5_open_dataset (r->file, p_data, w_data, error);
  if (dd < 0)
    goto out;

  for (int64_t off = 0; off < nnz; off += BLOCK_ENTRIES)
    {
      int64_t count = MIN (BLOCK_ENTRIES, nnz - off);

      if (cancelled (r, error))
        goto out;
      if (!gm_h5_read_range (di, off, count, H5T_NATIVE_INT32, out->indices + off, w_indices, error) ||
          !gm_h5_read_range (dd, off, count, H5T_NATIVE_FLOAT, out->data + off, w_data, error))
        goto out;
      progress (r, 0.05 + 0.9 * (double) (off + count) / nnz, "Reading the matrix");
    }
  ok = TRUE;

out:
  if (di >= 0)
    H5Dclose (di);
  if (dd >= 0)
    H5Dclose (dd);
  if (!ok)
    gm_csr_clear (out);
  return ok;
}

static gboolean
read_dense (const Reader  *r,
            const char    *name,
            int64_t        n_rows,
            int64_t        n_cols,
            GmCsr         *out,
            GError       **error)
{
  g_autofree char *what = what_of (r, name);
  hid_t d = gm_h5_open_dataset (r->file, name, what, error);
  hid_t dcpl;
  hsize_t chunk[2] = { 1, 1 };
  int64_t block_rows, cap = 0, nnz = 0;
  g_autofree float *buf = NULL;
  gboolean ok = FALSE;

  if (d < 0)
    return FALSE;
  if (n_cols > INT32_MAX)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_TOO_LARGE, "%s: more than 2³¹ columns", what);
      H5Dclose (d);
      return FALSE;
    }

  dcpl = H5Dget_create_plist (d);
  if (H5Pget_layout (dcpl) == H5D_CHUNKED)
    H5Pget_chunk (dcpl, 2, chunk);
  H5Pclose (dcpl);

  block_rows = MAX (1, BLOCK_ENTRIES / MAX (n_cols, 1));
  if (chunk[0] > 1)
    block_rows = MAX ((int64_t) chunk[0], block_rows / (int64_t) chunk[0] * (int64_t) chunk[0]);
  block_rows = MIN (block_rows, MAX (n_rows, 1));
  buf = g_try_new (float, MAX (block_rows * n_cols, 1));
  if (buf == NULL)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_TOO_LARGE, "%s: out of memory", what);
      H5Dclose (d);
      return FALSE;
    }

  out->n_rows = n_rows;
  out->n_cols = n_cols;
  out->indptr = g_new0 (int64_t, n_rows + 1);

  for (int64_t r0 = 0; r0 < n_rows; r0 += block_rows)
    {
      int64_t nr = MIN (block_rows, n_rows - r0);

      if (cancelled (r, error))
        goto out;
      if (!gm_h5_read_block (d, r0, nr, 0, n_cols, H5T_NATIVE_FLOAT, buf, what, error))
        goto out;

      for (int64_t i = 0; i < nr; i++)
        {
          const float *row = buf + i * n_cols;
          for (int64_t j = 0; j < n_cols; j++)
            {
              if (row[j] == 0.0f)
                continue;
              if (nnz == cap)
                {
                  /* Grow geometrically; estimate the final size from the density so far. */
                  int64_t seen = (r0 + i + 1) * n_cols;
                  double est = (double) (nnz + 1) / seen * n_rows * n_cols;
                  int64_t want = MAX (cap * 3 / 2, MAX ((int64_t) (est * 1.1), 1024));
                  if (!gm_memory_check_limit (r->opts->memory_limit, r->path, (guint64) want * 8 + (guint64) n_rows * 8,
                                        "the matrix", error))
                    goto out;
                  out->indices = g_renew (int32_t, out->indices, want);
                  out->data = g_renew (float, out->data, want);
                  cap = want;
                }
              out->indices[nnz] = (int32_t) j;
              out->data[nnz] = row[j];
              nnz++;
            }
          out->indptr[r0 + i + 1] = nnz;
        }
      progress (r, 0.05 + 0.9 * (double) (r0 + nr) / n_rows, "Reading the matrix");
    }
  if (out->indices == NULL)
    {
      out->indices = g_new (int32_t, 1);
      out->data = g_new (float, 1);
    }
  ok = TRUE;

out:
  H5Dclose (d);
  if (!ok)
    gm_csr_clear (out);
  return ok;
}

/* Moves a string column named like a gene id out of var into ds->gene_ids. */
static void
adopt_gene_ids (GmDataset *ds)
{
  static const char *names[] = { "gene_ids", "gene_id", "Accession", "ensembl_id", "feature_id" };

  for (guint k = 0; k < G_N_ELEMENTS (names); k++)
    for (guint i = 0; i < ds->var->len; i++)
      {
        GmColumn *c = g_ptr_array_index (ds->var, i);
        gboolean complete = c->kind == GM_COLUMN_STRING;

        if (g_strcmp0 (c->name, names[k]) != 0)
          continue;
        for (int64_t j = 0; complete && j < c->length; j++)
          if (c->strings[j] == NULL)
            complete = FALSE;
        if (!complete)
          continue;
        ds->gene_ids = g_steal_pointer (&c->strings);
        g_ptr_array_remove_index (ds->var, i);
        return;
      }
}

/* ------------------------------------------------------------ uns */

/* Top-level scalars of /uns into ds->uns: strings (anndata ≥ 0.8 "string" scalars, plain
 * variable- or fixed-length string datasets) as they are, integer and float scalars as their
 * text.  Everything else (dicts, arrays, booleans, compound data) is skipped silently, and
 * so is anything unreadable: uns is metadata, never a reason to refuse the file. */
static void
read_uns (const Reader *r,
          GmDataset    *ds)
{
  H5G_info_t info;
  hid_t uns;

  if (gm_h5_object_type (r->file, "uns") != H5I_GROUP)
    return;
  uns = H5Gopen2 (r->file, "uns", H5P_DEFAULT);
  if (uns < 0)
    return;
  if (H5Gget_info (uns, &info) < 0)
    info.nlinks = 0;
  for (hsize_t i = 0; i < info.nlinks; i++)
    {
      g_autofree char *name = NULL;
      ssize_t len = H5Lget_name_by_idx (uns, ".", H5_INDEX_NAME, H5_ITER_INC, i, NULL, 0, H5P_DEFAULT);
      hid_t d, space, type;
      H5T_class_t cls;
      char *value = NULL;

      if (len <= 0)
        continue;
      name = g_malloc ((gsize) len + 1);
      if (H5Lget_name_by_idx (uns, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, (size_t) len + 1, H5P_DEFAULT) < 0)
        continue;
      if (gm_h5_object_type (uns, name) != H5I_DATASET)
        continue;
      d = H5Dopen2 (uns, name, H5P_DEFAULT);
      if (d < 0)
        continue;
      space = H5Dget_space (d);
      type = H5Dget_type (d);
      cls = H5Tget_class (type);
      if (H5Sget_simple_extent_type (space) == H5S_SCALAR)
        {
          if (cls == H5T_STRING)
            {
              int64_t n = 0;
              char **v = gm_h5_read_strings (uns, name, r->path, &n, NULL);

              if (v != NULL && n == 1 && v[0] != NULL)
                value = g_steal_pointer (&v[0]);
              for (int64_t k = 0; v != NULL && k < n; k++)
                g_free (v[k]);
              g_free (v);
            }
          else if (cls == H5T_INTEGER && H5Tget_sign (type) == H5T_SGN_NONE)
            {
              guint64 u = 0;

              if (H5Dread (d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &u) >= 0)
                value = g_strdup_printf ("%" G_GUINT64_FORMAT, u);
            }
          else if (cls == H5T_INTEGER)
            {
              gint64 v = 0;

              if (H5Dread (d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) >= 0)
                value = g_strdup_printf ("%" G_GINT64_FORMAT, v);
            }
          else if (cls == H5T_FLOAT)
            {
              double v = 0;
              char buf[G_ASCII_DTOSTR_BUF_SIZE];

              if (H5Dread (d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) >= 0)
                value = g_strdup (g_ascii_dtostr (buf, sizeof buf, v));
            }
        }
      H5Tclose (type);
      H5Sclose (space);
      H5Dclose (d);
      if (value != NULL)
        g_hash_table_insert (ds->uns, g_steal_pointer (&name), value);
    }
  H5Gclose (uns);
  H5Eclear2 (H5E_DEFAULT);
}

GmDataset *
gm_read_h5ad (const char           *path,
              const GmReadOptions  *opts,
              GError              **error)
{
  g_autoptr(GmDataset) ds = gm_dataset_new ();
  GmReadOptions defaults;
  Reader r;
  g_autofree char *matrix = NULL;
  g_autofree char *varname = NULL;
  g_autofree char *version = NULL;
  MatrixKind kind;
  int64_t shape[2], n_obs = 0, n_var = 0;
  gboolean ok = FALSE;

  if (opts == NULL)
    {
      gm_read_options_init (&defaults);
      opts = &defaults;
    }
  r.path = path;
  r.opts = opts;
  r.file = gm_h5_open (path, error);
  if (r.file < 0)
    return NULL;

  if (!gm_h5_exists (r.file, "obs") || !gm_h5_exists (r.file, "var"))
    {
      g_autofree char *children = gm_h5_list_children (r.file, "/");
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: not an AnnData file: no obs/var (found top-level objects %s)", path,
                   *children ? children : "(none)");
      goto out;
    }

  /* Which matrix. */
  if (opts->use_raw)
    {
      if (gm_h5_object_type (r.file, "raw") == H5I_GROUP)
        {
          matrix = g_strdup ("raw/X");
          varname = g_strdup ("raw/var");
        }
      else
        {
          matrix = g_strdup ("raw.X");
          varname = g_strdup ("raw.var");
        }
      if (!gm_h5_exists (r.file, matrix))
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: has no raw matrix (raw/X)", path);
          goto out;
        }
    }
  else if (opts->layer != NULL)
    {
      matrix = g_strdup_printf ("layers/%s", opts->layer);
      varname = g_strdup ("var");
      if (strchr (opts->layer, '/') != NULL || !gm_h5_exists (r.file, matrix))
        {
          g_autofree char *layers = gm_h5_list_children (r.file, "layers");
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: has no layer '%s' (layers: %s)", path, opts->layer,
                       *layers ? layers : "none");
          goto out;
        }
    }
  else
    {
      matrix = g_strdup ("X");
      varname = g_strdup ("var");
      if (!gm_h5_exists (r.file, "X"))
        {
          g_autofree char *layers = gm_h5_list_children (r.file, "layers");
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: has no X matrix%s%s", path,
                       *layers ? "; choose a layer, one of: " : "", layers);
          goto out;
        }
    }

  progress (&r, 0.0, "Reading annotations");
  if (!read_dataframe (&r, "obs", &ds->cell_names, &n_obs, ds->obs, error))
    goto out;
  if (!read_dataframe (&r, varname, &ds->gene_names, &n_var, ds->var, error))
    {
      /* keep the dataset consistent for the free */
      free_labels (ds->cell_names, n_obs);
      ds->cell_names = NULL;
      goto out;
    }
  ds->X.n_rows = n_obs;
  ds->X.n_cols = n_var;
  read_uns (&r, ds);

  if (!matrix_kind (&r, matrix, &kind, shape, error))
    goto out;
  if (shape[0] != n_obs || shape[1] != n_var)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: %s has shape %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT
                   " but obs has %" G_GINT64_FORMAT " rows and %s %" G_GINT64_FORMAT "%s",
                   path, matrix, shape[0], shape[1], n_obs, varname, n_var,
                   (shape[0] == n_var && shape[1] == n_obs)
                     ? " (the matrix is transposed; was it written column-major, e.g. from R?)" : "");
      goto out;
    }

  if (opts->metadata_only)
    {
      adopt_gene_ids (ds);
      ds->format_detail = g_strdup_printf ("%s (annotations only)", matrix);
      ds->path = g_strdup (path);
      ds->format = GM_FORMAT_H5AD;
      ok = TRUE;
      goto out;
    }

  {
    GmCsr m = { 0 };
    gboolean read_ok;

    switch (kind)
      {
      case MATRIX_CSR:
        read_ok = read_compressed (&r, matrix, n_obs, n_var, &m, 1.0, error);
        break;
      case MATRIX_CSC:
        {
          GmCsr csc = { 0 };
          read_ok = read_compressed (&r, matrix, n_var, n_obs, &csc, 2.0, error) &&
                    gm_csr_validate (&csc, matrix, error) &&
                    gm_csr_transpose (&csc, &m, error);
          gm_csr_clear (&csc);
        }
        break;
      case MATRIX_DENSE:
      default:
        read_ok = read_dense (&r, matrix, n_obs, n_var, &m, error);
        break;
      }
    ds->X.n_rows = n_obs;
    ds->X.n_cols = n_var;
    if (!read_ok)
      goto out;
    ds->X = m;
    {
      g_autofree char *what = g_strdup_printf ("%s: %s", path, matrix);
      if (!gm_csr_finish (&ds->X, what, error))
        goto out;
    }

    version = gm_h5_attr_string (r.file, ".", "encoding-version");
    ds->format_detail = g_strdup_printf ("%s, %s %s",
                                         version ? "anndata ≥ 0.8 layout"
                                                 : (gm_h5_object_type (r.file, "obs") == H5I_DATASET
                                                      ? "anndata < 0.7 layout" : "anndata 0.7 layout"),
                                         matrix,
                                         kind == MATRIX_CSR ? "csr_matrix"
                                         : kind == MATRIX_CSC ? "csc_matrix" : "dense");
  }

  adopt_gene_ids (ds);
  ds->path = g_strdup (path);
  ds->format = GM_FORMAT_H5AD;
  if (!opts->use_raw && opts->layer == NULL && gm_h5_exists (r.file, "layers"))
    {
      g_autofree char *layers = gm_h5_list_children (r.file, "layers");
      if (*layers)
        gm_dataset_add_note (ds, "also holds layers: %s (choose one with --layer)", layers);
    }
  progress (&r, 1.0, "Done");
  ok = TRUE;

out:
  H5Fclose (r.file);
  if (!ok)
    {
      /* Names may be half set; the free relies on the shape. */
      if (ds->X.indptr == NULL)
        {
          free_labels (ds->cell_names, n_obs);
          free_labels (ds->gene_names, n_var);
          ds->cell_names = ds->gene_names = NULL;
          ds->X.n_rows = ds->X.n_cols = 0;
        }
      return NULL;
    }
  return g_steal_pointer (&ds);
}
