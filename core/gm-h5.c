/* gm-h5.c — HDF5 helpers: strings in both layouts, numbers of any width,
 * filters (with our own LZF decoder), clear error messages.
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include GM_LZF_HEADER
#include <stdarg.h>
#include <string.h>
#include <zlib.h>

#include "gm-h5.h"

#define GM_H5_LZF_FILTER 32000

/* ------------------------------------------------------------- LZF filter */

/* h5py's LZF filter: each chunk is one raw liblzf block.  cd_values[2] is the
 * uncompressed chunk size in bytes (0 when unknown).  We only decode. */
static size_t
lzf_filter (unsigned int  flags,
            size_t        cd_nelmts,
            const unsigned int cd_values[],
            size_t        nbytes,
            size_t       *buf_size,
            void        **buf)
{
  size_t cap;
  void *out = NULL;
  unsigned int got = 0;

  if (!(flags & H5Z_FLAG_REVERSE))
    return 0; /* no encoder */

  cap = (cd_nelmts >= 3 && cd_values[2] != 0) ? cd_values[2] : *buf_size;
  if (cap == 0)
    cap = nbytes * 4;

  for (int tries = 0; tries < 16; tries++)
    {
      out = g_try_malloc (cap);
      if (out == NULL)
        return 0;
      got = lzf_decompress (*buf, (unsigned int) nbytes, out, (unsigned int) cap);
      if (got != 0)
        break;
      g_free (out);
      out = NULL;
      if (errno != E2BIG)
        return 0;
      cap *= 2;
    }
  if (out == NULL)
    return 0;

  /* HDF5 allocated *buf with H5allocate_memory-compatible malloc. */
  H5free_memory (*buf);
  *buf = H5allocate_memory (cap, FALSE);
  if (*buf == NULL)
    {
      g_free (out);
      return 0;
    }
  memcpy (*buf, out, got);
  g_free (out);
  *buf_size = cap;
  return got;
}

static const H5Z_class2_t lzf_class = {
  H5Z_CLASS_T_VERS,
  (H5Z_filter_t) GM_H5_LZF_FILTER,
  0,                       /* encoder_present */
  1,                       /* decoder_present */
  "lzf (GenoMap Studio decoder)",
  NULL,
  NULL,
  (H5Z_func_t) lzf_filter,
};

static GPrivate silenced;

void
gm_h5_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      /* HDF5's own atexit cleanup would close a file whose H5Fclose failed
       * (disk full, file size limit) a second time and crash; we close
       * everything we open ourselves. */
      H5dont_atexit ();
      H5open ();
      H5Eset_auto2 (H5E_DEFAULT, NULL, NULL);
      if (H5Zfilter_avail (GM_H5_LZF_FILTER) <= 0)
        H5Zregister (&lzf_class);
      g_once_init_leave (&once, 1);
    }
  /* Debian's HDF5 is built thread-safe, and then the automatic error printing is a
   * per-thread setting: silence it in every thread that comes through here (once each). */
  if (!g_private_get (&silenced))
    {
      H5Eset_auto2 (H5E_DEFAULT, NULL, NULL);
      g_private_set (&silenced, GINT_TO_POINTER (1));
    }
}

char *
gm_h5_version_string (void)
{
  unsigned maj = 0, min = 0, rel = 0;

  H5get_libversion (&maj, &min, &rel);
  return g_strdup_printf ("HDF5 %u.%u.%u", maj, min, rel);
}

gboolean
gm_h5_is_hdf5 (const char *path)
{
  gm_h5_init ();
  return H5Fis_hdf5 (path) > 0;
}

/* ------------------------------------------------------------- errors */

static herr_t
innermost_cb (unsigned            n,
              const H5E_error2_t *err,
              void               *data)
{
  char **msg = data;

  /* The stack is walked from the innermost frame (n = 0) outward. */
  if (n == 0 && err->desc != NULL)
    {
      /* one line: HDF5's messages can hold newlines and tabs */
      *msg = g_strdup (err->desc);
      g_strdelimit (*msg, "\n\r\t", ' ');
    }
  return 0;
}

static char *
innermost_h5_message (void)
{
  char *msg = NULL;

  H5Ewalk2 (H5E_DEFAULT, H5E_WALK_UPWARD, innermost_cb, &msg);
  return msg;
}

void
gm_h5_set_error (GError    **error,
                 int         code,
                 const char *what,
                 const char *fmt,
                 ...)
{
  g_autofree char *msg = NULL;
  g_autofree char *h5 = innermost_h5_message ();
  va_list args;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);

  if (h5 != NULL && *h5 != '\0')
    g_set_error (error, GM_ERROR, code, "%s: %s (HDF5: %s)", what, msg, h5);
  else
    g_set_error (error, GM_ERROR, code, "%s: %s", what, msg);
}

hid_t
gm_h5_open (const char  *path,
            GError     **error)
{
  hid_t fapl, file;
  htri_t is;

  gm_h5_init ();

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: no such file", path);
      return H5I_INVALID_HID;
    }

  is = H5Fis_hdf5 (path);
  if (is <= 0)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: not an HDF5 file (no HDF5 signature)", path);
      return H5I_INVALID_HID;
    }

  fapl = H5Pcreate (H5P_FILE_ACCESS);
  /* Reading never needs the lock; skipping it lets us open files held
   * open by another program and files on read-only or NFS mounts. */
  H5Pset_file_locking (fapl, FALSE, TRUE);
  file = H5Fopen (path, H5F_ACC_RDONLY, fapl);

  if (file < 0)
    {
      /* Read the HDF5 error stack before any other call clears it. */
      g_autofree char *h5 = innermost_h5_message ();
      H5Pclose (fapl);
      if (h5 != NULL && (strstr (h5, "truncated") != NULL || strstr (h5, "eof") != NULL))
        g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                     "%s: file is truncated or corrupt (HDF5 end-of-file mismatch: %s)", path, h5);
      else
        g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                     "%s: cannot open the HDF5 file%s%s", path,
                     h5 ? ": " : "", h5 ? h5 : "");
      return file;
    }
  H5Pclose (fapl);
  return file;
}

static herr_t
list_cb (hid_t             group,
         const char       *name,
         const H5L_info_t *info,
         void             *data)
{
  GPtrArray *names = data;

  g_ptr_array_add (names, g_strdup (name));
  return 0;
}

char *
gm_h5_list_children (hid_t       loc,
                     const char *group)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  hid_t g = H5Gopen2 (loc, group, H5P_DEFAULT);

  if (g >= 0)
    {
      H5Literate (g, H5_INDEX_NAME, H5_ITER_INC, NULL, list_cb, names);
      H5Gclose (g);
    }
  g_ptr_array_add (names, NULL);
  return g_strjoinv (", ", (char **) names->pdata);
}

gboolean
gm_h5_exists (hid_t       loc,
              const char *path)
{
  g_auto(GStrv) parts = NULL;
  GString *sofar;
  gboolean ok = TRUE;

  if (strcmp (path, ".") == 0)
    return TRUE;
  parts = g_strsplit (path, "/", -1);
  sofar = g_string_new (NULL);

  for (guint i = 0; parts[i] != NULL && ok; i++)
    {
      if (*parts[i] == '\0')
        continue;
      if (sofar->len > 0)
        g_string_append_c (sofar, '/');
      g_string_append (sofar, parts[i]);
      ok = H5Lexists (loc, sofar->str, H5P_DEFAULT) > 0;
    }
  g_string_free (sofar, TRUE);
  return ok;
}

H5I_type_t
gm_h5_object_type (hid_t       loc,
                   const char *path)
{
  hid_t obj;
  H5I_type_t t;

  if (!gm_h5_exists (loc, path))
    return H5I_BADID;
  obj = H5Oopen (loc, path, H5P_DEFAULT);
  if (obj < 0)
    return H5I_BADID;
  t = H5Iget_type (obj);
  H5Oclose (obj);
  return t;
}

/* ------------------------------------------------------------- strings */

/* Reads @n strings from a dataset or attribute of string type @ftype.
 * @is_attr selects H5Aread vs H5Dread. */
static char **
read_string_data (hid_t     id,
                  gboolean  is_attr,
                  hid_t     ftype,
                  hid_t     space,
                  int64_t   n)
{
  char **out = g_new0 (char *, n + 1);
  hid_t mt = H5Tcopy (H5T_C_S1);
  herr_t rc;

  H5Tset_cset (mt, H5Tget_cset (ftype));
  if (H5Tis_variable_str (ftype) > 0)
    {
      char **tmp = g_new0 (char *, MAX (n, 1));
      H5Tset_size (mt, H5T_VARIABLE);
      rc = is_attr ? H5Aread (id, mt, tmp) : H5Dread (id, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp);
      if (rc >= 0)
        {
          for (int64_t i = 0; i < n; i++)
            out[i] = g_strdup (tmp[i] ? tmp[i] : "");
          if (space >= 0)
            H5Dvlen_reclaim (mt, space, H5P_DEFAULT, tmp);
        }
      g_free (tmp);
    }
  else
    {
      size_t sz = H5Tget_size (ftype);
      char *tmp = g_malloc0 ((sz + 1) * MAX (n, 1));
      H5Tset_size (mt, sz + 1);
      H5Tset_strpad (mt, H5T_STR_NULLTERM);
      rc = is_attr ? H5Aread (id, mt, tmp) : H5Dread (id, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp);
      if (rc >= 0)
        for (int64_t i = 0; i < n; i++)
          {
            char *s = tmp + i * (sz + 1);
            s[sz] = '\0';
            out[i] = g_strdup (s);
          }
      g_free (tmp);
    }
  H5Tclose (mt);

  if (rc < 0)
    {
      g_strfreev (out);
      return NULL;
    }
  return out;
}

static hid_t
open_attr (hid_t       loc,
           const char *obj,
           const char *attr)
{
  if (obj != NULL && strcmp (obj, ".") != 0 && !gm_h5_exists (loc, obj))
    return H5I_INVALID_HID;
  if (H5Aexists_by_name (loc, obj ? obj : ".", attr, H5P_DEFAULT) <= 0)
    return H5I_INVALID_HID;
  return H5Aopen_by_name (loc, obj ? obj : ".", attr, H5P_DEFAULT, H5P_DEFAULT);
}

gboolean
gm_h5_attr_exists (hid_t       loc,
                   const char *obj,
                   const char *attr)
{
  hid_t a = open_attr (loc, obj, attr);

  if (a < 0)
    return FALSE;
  H5Aclose (a);
  return TRUE;
}

char **
gm_h5_attr_strings (hid_t       loc,
                    const char *obj,
                    const char *attr,
                    int64_t    *n_out)
{
  hid_t a = open_attr (loc, obj, attr);
  hid_t ftype, space;
  hssize_t n;
  char **out = NULL;

  if (a < 0)
    return NULL;
  ftype = H5Aget_type (a);
  space = H5Aget_space (a);
  n = H5Sget_simple_extent_npoints (space);
  if (H5Tget_class (ftype) == H5T_STRING)
    {
      if (H5Tis_variable_str (ftype) > 0 && n > 0)
        {
          /* vlen attribute: read, copy, reclaim */
          char **tmp = g_new0 (char *, n);
          hid_t mt = H5Tcopy (H5T_C_S1);
          H5Tset_size (mt, H5T_VARIABLE);
          H5Tset_cset (mt, H5Tget_cset (ftype));
          if (H5Aread (a, mt, tmp) >= 0)
            {
              out = g_new0 (char *, n + 1);
              for (hssize_t i = 0; i < n; i++)
                out[i] = g_strdup (tmp[i] ? tmp[i] : "");
              H5Dvlen_reclaim (mt, space, H5P_DEFAULT, tmp);
            }
          H5Tclose (mt);
          g_free (tmp);
        }
      else
        out = read_string_data (a, TRUE, ftype, -1, n);
    }
  else if (n == 0)
    out = g_new0 (char *, 1); /* h5py writes an empty list as float64[0] */

  if (out && n_out)
    *n_out = n;
  H5Tclose (ftype);
  H5Sclose (space);
  H5Aclose (a);
  return out;
}

char *
gm_h5_attr_string (hid_t       loc,
                   const char *obj,
                   const char *attr)
{
  int64_t n = 0;
  char **v = gm_h5_attr_strings (loc, obj, attr, &n);
  char *s = NULL;

  if (v != NULL && n >= 1)
    s = g_strdup (v[0]);
  g_strfreev (v);
  return s;
}

int64_t *
gm_h5_attr_int64s (hid_t       loc,
                   const char *obj,
                   const char *attr,
                   int64_t    *n_out)
{
  hid_t a = open_attr (loc, obj, attr);
  hid_t ftype, space;
  hssize_t n;
  int64_t *out = NULL;

  if (a < 0)
    return NULL;
  ftype = H5Aget_type (a);
  space = H5Aget_space (a);
  n = H5Sget_simple_extent_npoints (space);
  if (H5Tget_class (ftype) == H5T_INTEGER || H5Tget_class (ftype) == H5T_FLOAT)
    {
      out = g_new0 (int64_t, MAX (n, 1));
      if (H5Aread (a, H5T_NATIVE_INT64, out) < 0)
        g_clear_pointer (&out, g_free);
    }
  if (out && n_out)
    *n_out = n;
  H5Tclose (ftype);
  H5Sclose (space);
  H5Aclose (a);
  return out;
}

int
gm_h5_dims (hid_t       loc,
            const char *name,
            hsize_t     dims[H5S_MAX_RANK])
{
  hid_t d, space;
  int rank;

  if (gm_h5_object_type (loc, name) != H5I_DATASET)
    return -1;
  d = H5Dopen2 (loc, name, H5P_DEFAULT);
  if (d < 0)
    return -1;
  space = H5Dget_space (d);
  rank = H5Sget_simple_extent_dims (space, dims, NULL);
  H5Sclose (space);
  H5Dclose (d);
  return rank;
}

guint64
gm_h5_strings_bytes (hid_t       loc,
                     const char *name)
{
  hsize_t dims[H5S_MAX_RANK] = { 0 };
  int rank = gm_h5_dims (loc, name, dims);
  guint64 n = 1, each = 40;
  hid_t d, t;

  if (rank < 0)
    return 0;
  for (int i = 0; i < rank; i++)
    n *= dims[i];
  d = H5Dopen2 (loc, name, H5P_DEFAULT);
  if (d >= 0)
    {
      t = H5Dget_type (d);
      if (t >= 0)
        {
          if (H5Tget_class (t) == H5T_STRING && H5Tis_variable_str (t) <= 0)
            each = H5Tget_size (t) + 1;
          H5Tclose (t);
        }
      H5Dclose (d);
    }
  /* the string itself (malloc rounds up, with a header) and its pointer */
  return n * (MAX (each, 24) + 8 + 8);
}

H5T_class_t
gm_h5_dataset_class (hid_t       loc,
                     const char *name)
{
  hid_t d = H5Dopen2 (loc, name, H5P_DEFAULT);
  hid_t t;
  H5T_class_t cls = H5T_NO_CLASS;

  if (d < 0)
    return H5T_NO_CLASS;
  t = H5Dget_type (d);
  if (t >= 0)
    {
      cls = H5Tget_class (t);
      H5Tclose (t);
    }
  H5Dclose (d);
  return cls;
}

/* ------------------------------------------------------------- filters */

static const char *
filter_name (H5Z_filter_t id)
{
  switch (id)
    {
    case 1: return "gzip";
    case 2: return "shuffle";
    case 3: return "fletcher32";
    case 4: return "szip";
    case 5: return "nbit";
    case 6: return "scale-offset";
    case 32000: return "lzf";
    case 32001: return "blosc";
    case 32004: return "lz4";
    case 32008: return "bitshuffle";
    case 32015: return "zstd";
    default: return "unknown";
    }
}

gboolean
gm_h5_check_filters (hid_t        dset,
                     const char  *what,
                     GError     **error)
{
  hid_t dcpl = H5Dget_create_plist (dset);
  int n = H5Pget_nfilters (dcpl);
  gboolean ok = TRUE;

  for (int i = 0; i < n && ok; i++)
    {
      unsigned flags = 0, cd[8];
      size_t ncd = G_N_ELEMENTS (cd);
      char name[64] = "";
      H5Z_filter_t id = H5Pget_filter2 (dcpl, (unsigned) i, &flags, &ncd, cd, sizeof name, name, NULL);

      if (id >= 0 && H5Zfilter_avail (id) <= 0)
        {
          g_set_error (error, GM_ERROR, GM_ERROR_UNSUPPORTED,
                       "%s: compressed with HDF5 filter %d ('%s'), which this build cannot decode; "
                       "re-save the file with gzip or no compression "
                       "(e.g. adata.write_h5ad(path, compression=\"gzip\"))",
                       what, (int) id, filter_name (id));
          ok = FALSE;
        }
    }
  H5Pclose (dcpl);
  return ok;
}

hid_t
gm_h5_open_dataset (hid_t        loc,
                    const char  *name,
                    const char  *what,
                    GError     **error)
{
  hid_t dapl, d;

  if (gm_h5_object_type (loc, name) != H5I_DATASET)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: dataset is missing", what);
      return H5I_INVALID_HID;
    }
  dapl = H5Pcreate (H5P_DATASET_ACCESS);
  H5Pset_chunk_cache (dapl, 1009, 8u << 20, 1.0);
  d = H5Dopen2 (loc, name, dapl);
  H5Pclose (dapl);
  if (d < 0)
    {
      gm_h5_set_error (error, GM_ERROR_INVALID_INPUT, what,
                       "cannot open the dataset (it may need a newer HDF5 than 1.10)");
      return H5I_INVALID_HID;
    }
  if (!gm_h5_check_filters (d, what, error))
    {
      H5Dclose (d);
      return H5I_INVALID_HID;
    }
  return d;
}

/* ------------------------------------------------------------- reading */

char **
gm_h5_read_strings (hid_t        loc,
                    const char  *name,
                    const char  *file,
                    int64_t     *n_out,
                    GError     **error)
{
  g_autofree char *what = g_strdup_printf ("%s: %s", file, name);
  hid_t d = gm_h5_open_dataset (loc, name, what, error);
  hid_t ftype, space;
  hssize_t n;
  char **out;

  if (d < 0)
    return NULL;
  ftype = H5Dget_type (d);
  space = H5Dget_space (d);
  n = H5Sget_simple_extent_npoints (space);
  if (H5Tget_class (ftype) != H5T_STRING)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: expected strings", what);
      out = NULL;
    }
  else
    {
      out = read_string_data (d, FALSE, ftype, space, n);
      if (out == NULL)
        gm_h5_set_error (error, GM_ERROR_INVALID_INPUT, what, "cannot read the strings");
    }
  if (out && n_out)
    *n_out = n;
  H5Tclose (ftype);
  H5Sclose (space);
  H5Dclose (d);
  return out;
}

/* Reads into @memtype; bool enums are read as their native enum and widened. */
static herr_t
read_converting (hid_t  d,
                 hid_t  memtype,
                 hid_t  mspace,
                 hid_t  fspace,
                 void  *buf,
                 hsize_t count)
{
  hid_t ftype = H5Dget_type (d);
  herr_t rc;

  if (H5Tget_class (ftype) == H5T_ENUM)
    {
      /* numpy bools are enums over int8; HDF5 will not convert enum → number,
       * so read the raw codes as the native enum and convert the base integers. */
      hid_t base = H5Tget_super (ftype);
      hid_t native = H5Tget_native_type (base, H5T_DIR_ASCEND);
      hid_t nenum = H5Tget_native_type (ftype, H5T_DIR_ASCEND);
      size_t sz = H5Tget_size (native), msz = H5Tget_size (memtype);
      g_autofree guchar *tmp = g_malloc0 (MAX (sz, msz) * MAX (count, 1));

      rc = H5Dread (d, nenum, mspace, fspace, H5P_DEFAULT, tmp);
      if (rc >= 0 && count > 0)
        rc = H5Tconvert (native, memtype, count, tmp, NULL, H5P_DEFAULT);
      if (rc >= 0)
        memcpy (buf, tmp, msz * count);
      H5Tclose (nenum);
      H5Tclose (native);
      H5Tclose (base);
      H5Tclose (ftype);
      return rc;
    }
  H5Tclose (ftype);
  return H5Dread (d, memtype, mspace, fspace, H5P_DEFAULT, buf);
}

gboolean
gm_h5_read_numbers (hid_t        loc,
                    const char  *name,
                    const char  *file,
                    hid_t        memtype,
                    void        *buf,
                    int64_t      expected,
                    GError     **error)
{
  g_autofree char *what = g_strdup_printf ("%s: %s", file, name);
  hid_t d = gm_h5_open_dataset (loc, name, what, error);
  hid_t space;
  hssize_t n;
  gboolean ok = TRUE;

  if (d < 0)
    return FALSE;
  space = H5Dget_space (d);
  n = H5Sget_simple_extent_npoints (space);
  if (expected >= 0 && n != expected)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: has %" G_GINT64_FORMAT " values, expected %" G_GINT64_FORMAT,
                   what, (int64_t) n, expected);
      ok = FALSE;
    }
  else if (n > 0 && read_converting (d, memtype, H5S_ALL, H5S_ALL, buf, (hsize_t) n) < 0)
    {
      gm_h5_set_error (error, GM_ERROR_INVALID_INPUT, what, "cannot read the values");
      ok = FALSE;
    }
  H5Sclose (space);
  H5Dclose (d);
  return ok;
}

/* ----------------------------------------------- parallel chunk decoding */

/* Compressed 1-D datasets (10x matrices: shuffle + gzip) spend most of a
 * read inflating chunks, which HDF5 does on one core.  For the filters we
 * know (shuffle, deflate), gm_h5_read_range reads the chunks' raw bytes
 * with H5Dread_chunk and inflates them on all cores; anything else goes
 * through H5Dread.  The values are the same bit for bit (test-hdf5-formats). */

#define GROUP_BYTES (32u << 20)     /* decoded bytes per group of chunks */

static gint force_serial = -1;      /* 1: always H5Dread */
static guint64 decoded_chunks;      /* by this path, for tests */
static GMutex decoded_lock;

guint64
gm_h5_parallel_decoded_chunks (void)
{
  guint64 n;

  g_mutex_lock (&decoded_lock);
  n = decoded_chunks;
  g_mutex_unlock (&decoded_lock);
  return n;
}

void
gm_h5_set_parallel_decode (gboolean enabled)
{
  g_atomic_int_set (&force_serial, enabled ? 0 : 1);
}

static int
decode_threads (void)
{
  const char *env = g_getenv ("GENOMAP_H5_THREADS");
  int n = env != NULL && *env != '\0' ? atoi (env) : (int) g_get_num_processors ();

  return CLAMP (n, 1, 64);
}

typedef struct
{
  /* the dataset's pipeline */
  int          nfilters;
  gboolean     shuffle_first;   /* filter 0 is shuffle, filter 1 deflate */
  size_t       esize;           /* bytes per element in the file */
  hsize_t      csize;           /* elements per chunk */
  /* one group */
  guint8     **raw;             /* compressed bytes per chunk */
  hsize_t     *raw_n;
  guint32     *mask;            /* H5Dread_chunk's filter mask */
  guint8      *out;             /* decoded chunks, one after the other */
  guint8      *tmp;             /* per thread: csize·esize bytes */
  int          n;
  gint         next;
  gint         failed;          /* first chunk (1-based) that did not decode */
} Decode;

static gboolean
decode_chunk (Decode *d,
              int     k,
              guint8 *tmp)
{
  gsize bytes = (gsize) d->csize * d->esize;
  guint8 *dst = d->out + (gsize) k * bytes;
  gboolean deflated = !(d->mask[k] & (d->shuffle_first ? 2u : 1u));
  gboolean shuffled = d->shuffle_first && !(d->mask[k] & 1u);
  guint8 *plain = shuffled ? tmp : dst;

  if (deflated)
    {
      uLongf len = bytes;

      if (uncompress (plain, &len, d->raw[k], d->raw_n[k]) != Z_OK || len != bytes)
        return FALSE;
    }
  else
    {
      if (d->raw_n[k] != bytes)
        return FALSE;
      memcpy (plain, d->raw[k], bytes);
    }
  if (shuffled)
    for (size_t b = 0; b < d->esize; b++)
      {
        const guint8 *plane = tmp + b * d->csize;
        for (hsize_t e = 0; e < d->csize; e++)
          dst[e * d->esize + b] = plane[e];
      }
  return TRUE;
}

static gpointer
decode_worker (gpointer data)
{
  Decode *d = data;
  g_autofree guint8 *tmp = g_malloc ((gsize) d->csize * d->esize);

  for (;;)
    {
      int k = g_atomic_int_add (&d->next, 1);

      if (k >= d->n)
        break;
      if (!decode_chunk (d, k, tmp))
        (void) g_atomic_int_compare_and_exchange (&d->failed, 0, k + 1);
    }
  return NULL;
}

static H5Z_filter_t
filter_id (hid_t    dcpl,
           unsigned idx)
{
  unsigned int flags;
  size_t nc = 0;     /* in: no room for the parameters (it is an in/out count) */

  return H5Pget_filter2 (dcpl, idx, &flags, &nc, NULL, 0, NULL, NULL);
}

/* Whether dset is one this path reads: 1-D, chunked, an integer or float
 * type in little-endian order, filters deflate or shuffle + deflate. */
static gboolean
chunk_path_usable (hid_t    dset,
                   hid_t    ftype,
                   Decode  *d)
{
  hid_t dcpl = H5Dget_create_plist (dset), space = H5Dget_space (dset);
  gboolean ok = FALSE;
  H5T_class_t cls = H5Tget_class (ftype);

  if (dcpl < 0 || space < 0)
    goto out;
  if (H5Sget_simple_extent_ndims (space) != 1 || H5Pget_layout (dcpl) != H5D_CHUNKED
      || H5Pget_chunk (dcpl, 1, &d->csize) != 1 || d->csize == 0
      || (cls != H5T_INTEGER && cls != H5T_FLOAT) || H5Tget_order (ftype) != H5T_ORDER_LE
      || G_BYTE_ORDER != G_LITTLE_ENDIAN)
    goto out;
  d->esize = H5Tget_size (ftype);
  d->nfilters = H5Pget_nfilters (dcpl);
  if (d->nfilters == 1)
    {
      ok = filter_id (dcpl, 0) == H5Z_FILTER_DEFLATE;
      d->shuffle_first = FALSE;
    }
  else if (d->nfilters == 2)
    {
      ok = filter_id (dcpl, 0) == H5Z_FILTER_SHUFFLE && filter_id (dcpl, 1) == H5Z_FILTER_DEFLATE;
      d->shuffle_first = TRUE;
    }
out:
  if (space >= 0)
    H5Sclose (space);
  if (dcpl >= 0)
    H5Pclose (dcpl);
  return ok;
}

/* Reads [offset, offset + count) through raw chunks decoded on all cores.
 * Returns FALSE with *handled FALSE (and no error) where the dataset is not
 * one this path reads; then the caller uses H5Dread. */
static gboolean
read_range_chunks (hid_t        dset,
                   hsize_t      offset,
                   hsize_t      count,
                   hid_t        memtype,
                   void        *buf,
                   const char  *what,
                   gboolean    *handled,
                   GError     **error)
{
  hid_t ftype = H5Dget_type (dset), native = -1;
  Decode d = { 0 };
  hsize_t c_first, c_last, group;
  size_t msize = H5Tget_size (memtype);
  g_autofree guint8 *conv = NULL;
  int threads = decode_threads ();
  gboolean ok = FALSE;

  *handled = FALSE;
  if (ftype < 0)
    return FALSE;
  if (!chunk_path_usable (dset, ftype, &d))
    {
      H5Tclose (ftype);
      return FALSE;
    }
  c_first = offset / d.csize;
  c_last = (offset + count - 1) / d.csize;
  if (c_last - c_first + 1 < 2 || threads < 2)
    {
      H5Tclose (ftype);
      return FALSE;     /* nothing to share out */
    }
  native = H5Tget_native_type (ftype, H5T_DIR_ASCEND);
  group = MAX (GROUP_BYTES / (d.csize * d.esize), 1);
  group = MIN (group, c_last - c_first + 1);
  conv = g_try_malloc ((gsize) group * d.csize * MAX (d.esize, msize));
  d.raw = g_new0 (guint8 *, group);
  d.raw_n = g_new0 (hsize_t, group);
  d.mask = g_new0 (guint32, group);
  if (conv == NULL || native < 0)
    goto out;
  *handled = TRUE;
  for (hsize_t g0 = c_first; g0 <= c_last; g0 += group)
    {
      int n = (int) MIN (group, c_last - g0 + 1);
      GThread *pool[64];
      int nt = MIN (threads, n);
      hsize_t lo, hi;

      for (int k = 0; k < n; k++)
        {
          hsize_t at = (g0 + k) * d.csize;

          if (H5Dget_chunk_storage_size (dset, &at, &d.raw_n[k]) < 0 || d.raw_n[k] == 0)
            {
              /* an unallocated chunk (fill values): let HDF5 do it all */
              *handled = FALSE;
              goto out;
            }
          {
            guint8 *grown = g_try_realloc (d.raw[k], d.raw_n[k]);

            if (grown == NULL)
              {
                gm_h5_set_error (error, GM_ERROR_INVALID_INPUT, what,
                                 "compressed chunk %" G_GUINT64_FORMAT " claims %" G_GUINT64_FORMAT " bytes",
                                 (guint64) (g0 + k), (guint64) d.raw_n[k]);
                goto out;
              }
            d.raw[k] = grown;
          }
          if (H5Dread_chunk (dset, H5P_DEFAULT, &at, &d.mask[k], d.raw[k]) < 0)
            {
              gm_h5_set_error (error, GM_ERROR_INVALID_INPUT, what, "cannot read a compressed chunk");
              goto out;
            }
        }
      d.out = conv;
      d.n = n;
      d.next = 0;
      d.failed = 0;
      for (int t = 1; t < nt; t++)
        if ((pool[t] = g_thread_try_new ("gm-inflate", decode_worker, &d, NULL)) == NULL)
          nt = t;       /* no more threads: the ones there share the work */
      decode_worker (&d);
      for (int t = 1; t < nt; t++)
        g_thread_join (pool[t]);
      if (d.failed)
        {
          gm_h5_set_error (error, GM_ERROR_INVALID_INPUT, what, "compressed chunk %" G_GUINT64_FORMAT " is corrupt",
                           (guint64) (g0 + d.failed - 1));
          goto out;
        }
      g_mutex_lock (&decoded_lock);
      decoded_chunks += n;
      g_mutex_unlock (&decoded_lock);
      /* the part of [offset, offset + count) in this group, converted in place */
      lo = MAX (offset, g0 * d.csize);
      hi = MIN (offset + count, (g0 + n) * d.csize);
      {
        guint8 *src = conv + (gsize) (lo - g0 * d.csize) * d.esize;

        if (!H5Tequal (native, memtype)
            && H5Tconvert (native, memtype, hi - lo, src, NULL, H5P_DEFAULT) < 0)
          {
            gm_h5_set_error (error, GM_ERROR_INVALID_INPUT, what, "cannot convert the values");
            goto out;
          }
        memcpy ((guint8 *) buf + (gsize) (lo - offset) * msize, src, (gsize) (hi - lo) * msize);
      }
    }
  ok = TRUE;
out:
  for (hsize_t k = 0; k < group; k++)
    g_free (d.raw[k]);
  g_free (d.raw);
  g_free (d.raw_n);
  g_free (d.mask);
  if (native >= 0)
    H5Tclose (native);
  H5Tclose (ftype);
  return ok;
}

gboolean
gm_h5_read_range (hid_t        dset,
                  hsize_t      offset,
                  hsize_t      count,
                  hid_t        memtype,
                  void        *buf,
                  const char  *what,
                  GError     **error)
{
  hid_t fspace, mspace;
  herr_t rc;

  if (count == 0)
    return TRUE;
  fspace = H5Dget_space (dset);
  if (H5Sselect_hyperslab (fspace, H5S_SELECT_SET, &offset, NULL, &count, NULL) < 0
      || !H5Sselect_valid (fspace))
    {
      H5Sclose (fspace);
      gm_h5_set_error (error, GM_ERROR_INVALID_INPUT, what, "range outside the dataset");
      return FALSE;
    }
  if (g_atomic_int_get (&force_serial) != 1)
    {
      gboolean handled = FALSE, ok = read_range_chunks (dset, offset, count, memtype, buf, what, &handled, error);

      if (handled)
        {
          H5Sclose (fspace);
          return ok;
        }
    }
  mspace = H5Screate_simple (1, &count, NULL);
  rc = read_converting (dset, memtype, mspace, fspace, buf, count);
  H5Sclose (mspace);
  H5Sclose (fspace);
  if (rc < 0)
    {
      gm_h5_set_error (error, GM_ERROR_INVALID_INPUT, what, "cannot read the values");
      return FALSE;
    }
  return TRUE;
}

gboolean
gm_h5_read_block (hid_t        dset,
                  hsize_t      r0,
                  hsize_t      nr,
                  hsize_t      c0,
                  hsize_t      nc,
                  hid_t        memtype,
                  void        *buf,
                  const char  *what,
                  GError     **error)
{
  hsize_t start[2] = { r0, c0 }, count[2] = { nr, nc };
  hid_t fspace, mspace;
  herr_t rc;

  if (nr == 0 || nc == 0)
    return TRUE;
  fspace = H5Dget_space (dset);
  H5Sselect_hyperslab (fspace, H5S_SELECT_SET, start, NULL, count, NULL);
  mspace = H5Screate_simple (2, count, NULL);
  rc = read_converting (dset, memtype, mspace, fspace, buf, nr * nc);
  H5Sclose (mspace);
  H5Sclose (fspace);
  if (rc < 0)
    {
      gm_h5_set_error (error, GM_ERROR_INVALID_INPUT, what, "cannot read the values");
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------- writing */

hid_t
gm_h5_bool_type (void)
{
  hid_t t = H5Tenum_create (H5T_NATIVE_INT8);
  int8_t v = 0;

  H5Tenum_insert (t, "FALSE", &v);
  v = 1;
  H5Tenum_insert (t, "TRUE", &v);
  return t;
}

static hid_t
vlen_utf8 (void)
{
  hid_t t = H5Tcopy (H5T_C_S1);

  H5Tset_size (t, H5T_VARIABLE);
  H5Tset_cset (t, H5T_CSET_UTF8);
  return t;
}

static gboolean
replace_attr (hid_t        obj,
              const char  *name,
              hid_t        type,
              hid_t        space,
              const void  *buf)
{
  hid_t a;
  herr_t rc;

  if (H5Aexists (obj, name) > 0)
    H5Adelete (obj, name);
  a = H5Acreate2 (obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  if (a < 0)
    return FALSE;
  rc = H5Awrite (a, type, buf);
  H5Aclose (a);
  return rc >= 0;
}

gboolean
gm_h5_set_attr_string (hid_t       obj,
                       const char *name,
                       const char *value)
{
  hid_t t = vlen_utf8 ();
  hid_t s = H5Screate (H5S_SCALAR);
  gboolean ok = replace_attr (obj, name, t, s, &value);

  H5Sclose (s);
  H5Tclose (t);
  return ok;
}

gboolean
gm_h5_set_attr_strings (hid_t        obj,
                        const char  *name,
                        char       **values,
                        int64_t      n)
{
  hsize_t dim = (hsize_t) n;
  hid_t t = vlen_utf8 ();
  hid_t s = H5Screate_simple (1, &dim, NULL);
  const char *empty[1] = { NULL };
  gboolean ok = replace_attr (obj, name, t, s, n > 0 ? (const void *) values : (const void *) empty);

  H5Sclose (s);
  H5Tclose (t);
  return ok;
}

gboolean
gm_h5_set_attr_int64s (hid_t          obj,
                       const char    *name,
                       const int64_t *values,
                       int64_t        n)
{
  hsize_t dim = (hsize_t) n;
  hid_t s = H5Screate_simple (1, &dim, NULL);
  gboolean ok = replace_attr (obj, name, H5T_STD_I64LE, s, values);

  H5Sclose (s);
  return ok;
}

gboolean
gm_h5_set_attr_bool (hid_t       obj,
                     const char *name,
                     gboolean    value)
{
  hid_t t = gm_h5_bool_type ();
  hid_t s = H5Screate (H5S_SCALAR);
  int8_t v = value ? 1 : 0;
  gboolean ok = replace_attr (obj, name, t, s, &v);

  H5Sclose (s);
  H5Tclose (t);
  return ok;
}

gboolean
gm_h5_set_encoding (hid_t       obj,
                    const char *type,
                    const char *version)
{
  return gm_h5_set_attr_string (obj, "encoding-type", type) &&
         gm_h5_set_attr_string (obj, "encoding-version", version);
}

hid_t
gm_h5_create_group (hid_t       loc,
                    const char *name)
{
  return H5Gcreate2 (loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
}

hid_t
gm_h5_write_array (hid_t          loc,
                   const char    *name,
                   hid_t          filetype,
                   hid_t          memtype,
                   int            rank,
                   const hsize_t *dims,
                   const void    *buf,
                   hsize_t        chunk,
                   int            gzip)
{
  hid_t space = H5Screate_simple (rank, dims, NULL);
  hid_t dcpl = H5Pcreate (H5P_DATASET_CREATE);
  hid_t d;
  gboolean empty = FALSE;

  for (int i = 0; i < rank; i++)
    if (dims[i] == 0)
      empty = TRUE;

  if ((chunk > 0 || gzip > 0) && !empty)
    {
      hsize_t cdims[2];
      for (int i = 0; i < rank; i++)
        cdims[i] = MIN (dims[i], chunk > 0 ? chunk : (rank == 1 ? 65536 : 64));
      H5Pset_chunk (dcpl, rank, cdims);
      if (gzip > 0)
        {
          H5Pset_shuffle (dcpl);
          H5Pset_deflate (dcpl, (unsigned) gzip);
        }
    }
  d = H5Dcreate2 (loc, name, filetype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  if (d >= 0 && buf != NULL && !empty)
    {
      if (H5Dwrite (d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        {
          H5Dclose (d);
          d = H5I_INVALID_HID;
        }
    }
  H5Pclose (dcpl);
  H5Sclose (space);
  return d;
}

gboolean
gm_h5_write_strings (hid_t        loc,
                     const char  *name,
                     char       **values,
                     int64_t      n,
                     const char  *enc_type,
                     const char  *enc_version)
{
  hsize_t dim = (hsize_t) n;
  hid_t t = vlen_utf8 ();
  hid_t d = gm_h5_write_array (loc, name, t, t, 1, &dim, values, 0, 0);
  gboolean ok = d >= 0;

  if (ok && enc_type != NULL)
    ok = gm_h5_set_encoding (d, enc_type, enc_version);
  if (d >= 0)
    H5Dclose (d);
  H5Tclose (t);
  return ok;
}
