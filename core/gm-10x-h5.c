/* gm-10x-h5.c — 10x Genomics HDF5 matrices (Cell Ranger ≥ 3 and 1.x/2.x)
 *
 * Both layouts store a CSC matrix of features × barcodes.  Read column by
 * column (barcode by barcode) the very same arrays are a CSR matrix of
 * cells × features, so no transposition is needed: indptr is read whole,
 * data and indices are streamed in blocks bounded by a number of entries and
 * converted straight into the float / int32 arrays of the GmCsr.  Features
 * that are not kept ('Antibody Capture' …, another genome) are dropped while
 * streaming, in place.
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "gm-h5.h"
#include "gm-io.h"

/* Entries of data/indices read per block: 16 Mi entries are 64 MiB of float
 * plus 64 MiB of int32, written directly into the final arrays. */
#define BLOCK_ENTRIES_DEFAULT (16u << 20)

#define GENE_EXPRESSION "Gene Expression"

/* ------------------------------------------------------------ small helpers */

/* GENOMAP_READ_BLOCK_ENTRIES overrides the block size (tests use it to
 * exercise the block boundaries on small files). */
static guint64
block_entries (void)
{
  const char *env = g_getenv ("GENOMAP_READ_BLOCK_ENTRIES");

  if (env != NULL && *env != '\0')
    {
      guint64 v = g_ascii_strtoull (env, NULL, 10);
      if (v > 0)
        return v;
    }
  return BLOCK_ENTRIES_DEFAULT;
}

static gboolean
is_cancelled (const GmReadOptions *opts)
{
  return opts->cancel != NULL && g_atomic_int_get (opts->cancel) != 0;
}

static void
set_cancelled (GError     **error,
               const char  *path)
{
  g_set_error (error, GM_ERROR, GM_ERROR_CANCELLED, "%s: reading was cancelled", path);
}

static void
report (const GmReadOptions *opts,
        double               fraction,
        const char          *stage)
{
  if (opts->progress != NULL)
    opts->progress (CLAMP (fraction, 0.0, 1.0), stage, opts->progress_data);
}


static void
free_strv_n (char    **v,
             int64_t   n)
{
  if (v == NULL)
    return;
  for (int64_t i = 0; i < n; i++)
    g_free (v[i]);
  g_free (v);
}


static void
xml_unescape_all (char    **v,
                  int64_t   n)
{
  for (int64_t i = 0; v != NULL && i < n; i++)
    gm_xml_unescape_inplace (v[i]);
}


static int64_t
dataset_length (hid_t       file,
                const char *name)
{
  hsize_t dims[H5S_MAX_RANK] = { 0 };
  int rank = gm_h5_dims (file, name, dims);

  if (rank != 1)
    return -1;
  return (int64_t) dims[0];
}

/* Reads a 1-D string dataset of exactly @expected entries. */
static char **
read_strings_n (hid_t        file,
                const char  *name,
                const char  *path,
                int64_t      expected,
                GError     **error)
{
  int64_t n = 0;
  char **v = gm_h5_read_strings (file, name, path, &n, error);

  if (v == NULL)
    return NULL;
  if (n != expected)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: %s has %" G_GINT64_FORMAT " entries, but the matrix shape says %" G_GINT64_FORMAT,
                   path, name, n, expected);
      free_strv_n (v, n);
      return NULL;
    }
  xml_unescape_all (v, n);
  return v;
}

/* ------------------------------------------------------------ the matrix */

typedef struct
{
  const char          *path;
  const GmReadOptions *opts;
  hid_t                file;
  const char          *group;         /* "matrix" or the genome group */
  int64_t              n_features;
  int64_t              n_barcodes;
  const int32_t       *colmap;        /* feature → kept column, or -1 */
  int32_t              n_kept;
} Tenx;

static char *
member (const Tenx *t,
        const char *name)
{
  return g_strdup_printf ("%s/%s", t->group, name);
}

/* Checks the array lengths and the memory, then streams the matrix into @X. */
static gboolean
read_counts (const Tenx  *t,
             guint64      names_bytes,
             GmCsr       *X,
             GError     **error)
{
  g_autofree char *data_name = member (t, "data");
  g_autofree char *indices_name = member (t, "indices");
  g_autofree char *indptr_name = member (t, "indptr");
  g_autofree char *data_what = g_strdup_printf ("%s: %s", t->path, data_name);
  g_autofree char *indices_what = g_strdup_printf ("%s: %s", t->path, indices_name);
  int64_t n = t->n_barcodes;
  int64_t data_len, indices_len, indptr_len, nnz, out = 0;
  guint64 needed, budget = block_entries ();
  hid_t d_data = H5I_INVALID_HID, d_indices = H5I_INVALID_HID;
  gboolean ok = FALSE;

  memset (X, 0, sizeof *X);

  data_len = dataset_length (t->file, data_name);
  indices_len = dataset_length (t->file, indices_name);
  indptr_len = dataset_length (t->file, indptr_name);
  if (data_len < 0 || indices_len < 0 || indptr_len < 0)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: %s needs 1-D datasets data, indices and indptr", t->path, t->group);
      return FALSE;
    }
  if (indptr_len != n + 1)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: %s has %" G_GINT64_FORMAT " entries, but %" G_GINT64_FORMAT
                   " barcodes need %" G_GINT64_FORMAT,
                   t->path, indptr_name, indptr_len, n, n + 1);
      return FALSE;
    }
  if (data_len != indices_len)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: %s has %" G_GINT64_FORMAT " entries but %s has %" G_GINT64_FORMAT,
                   t->path, data_name, data_len, indices_name, indices_len);
      return FALSE;
    }

  /* float + int32 per stored entry, the row pointers, and the names. */
  needed = (guint64) data_len * (sizeof (float) + sizeof (int32_t)) +
           (guint64) (n + 1) * sizeof (int64_t) + names_bytes;
  if (!gm_memory_check_limit (t->opts->memory_limit, t->path, needed, "the count matrix", error))
    return FALSE;

  X->n_rows = n;
  X->n_cols = t->n_kept;
  X->indptr = g_try_new (int64_t, n + 1);
  if (X->indptr == NULL)
    goto oom;
  if (!gm_h5_read_numbers (t->file, indptr_name, t->path, H5T_NATIVE_INT64, X->indptr, n + 1, error))
    goto out;

  if (X->indptr[0] != 0)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: %s does not start at 0", t->path, indptr_name);
      goto out;
    }
  for (int64_t r = 0; r < n; r++)
    if (X->indptr[r + 1] < X->indptr[r])
      {
        g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                     "%s: %s decreases at barcode %" G_GINT64_FORMAT, t->path, indptr_name, r);
        goto out;
      }
  nnz = X->indptr[n];
  if (nnz > data_len)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: %s ends at %" G_GINT64_FORMAT ", but %s has only %" G_GINT64_FORMAT " entries",
                   t->path, indptr_name, nnz, data_name, data_len);
      goto out;
    }

  X->data = gm_alloc_large (sizeof (float) * MAX (nnz, 1));
  X->indices = gm_alloc_large (sizeof (int32_t) * MAX (nnz, 1));
  if (X->data == NULL || X->indices == NULL)
    goto oom;

  d_data = gm_h5_open_dataset (t->file, data_name, data_what, error);
  if (d_data < 0)
    goto out;
  d_indices = gm_h5_open_dataset (t->file, indices_name, indices_what, error);
  if (d_indices < 0)
    goto out;

  /* Stream blocks of whole barcodes.  Each block is read straight into the
   * output arrays at the write position (never after the read position),
   * then compacted in place while the kept features are renumbered. */
  {
    int64_t r0 = 0;
    int64_t src_start = 0;    /* file offset of row r0 (indptr[r0] before it is overwritten) */

    report (t->opts, 0.0, "Reading counts");
    while (r0 < n)
      {
        int64_t r1 = r0 + 1, len, block_out, block_src;

        if (is_cancelled (t->opts))
          {
            set_cancelled (error, t->path);
            goto out;
          }
        /* rows [r0, r1): at least one, and as many as fit the budget */
        while (r1 < n && (guint64) (X->indptr[r1 + 1] - src_start) <= budget)
          r1++;
        block_src = src_start;
        len = X->indptr[r1] - block_src;
        block_out = out;

        /* HDF5 converts int32/int64/uint counts to float and saturates
         * out-of-range 64-bit indices to INT32_MIN/MAX, which the range
         * check below rejects. */
        if (!gm_h5_read_range (d_data, (hsize_t) src_start, (hsize_t) len, H5T_NATIVE_FLOAT,
                               X->data + block_out, data_what, error) ||
            !gm_h5_read_range (d_indices, (hsize_t) src_start, (hsize_t) len, H5T_NATIVE_INT32,
                               X->indices + block_out, indices_what, error))
          goto out;

        for (int64_t r = r0; r < r1; r++)
          {
            int64_t src_end = X->indptr[r + 1];   /* still the file's value */

            for (int64_t p = src_start; p < src_end; p++)
              {
                int64_t k = block_out + (p - block_src);
                int32_t j = X->indices[k];

                if (j < 0 || j >= t->n_features)
                  {
                    g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                                 "%s: %s: entry %" G_GINT64_FORMAT " has feature index %d, outside 0…%"
                                 G_GINT64_FORMAT " (or does not fit in 32 bits)",
                                 t->path, indices_name, p, j, t->n_features - 1);
                    goto out;
                  }
                if (t->colmap != NULL)
                  j = t->colmap[j];
                if (j < 0)
                  continue;
                /* out <= k: compaction only ever moves entries down */
                X->indices[out] = j;
                X->data[out] = X->data[k];
                out++;
              }
            X->indptr[r + 1] = out;
            src_start = src_end;
          }
        r0 = r1;
        report (t->opts, (double) r1 / (double) n, "Reading counts");
      }
  }

  X->n_cols = t->n_kept;
  if (out < nnz)
    {
      X->data = g_realloc (X->data, sizeof (float) * MAX (out, 1));
      X->indices = g_realloc (X->indices, sizeof (int32_t) * MAX (out, 1));
    }
  ok = TRUE;
  goto out;

oom:
  {
    g_autofree char *b = gm_format_bytes (needed);
    g_set_error (error, GM_ERROR, GM_ERROR_TOO_LARGE,
                 "%s: cannot allocate %s for the count matrix", t->path, b);
  }
out:
  if (d_data >= 0)
    H5Dclose (d_data);
  if (d_indices >= 0)
    H5Dclose (d_indices);
  if (!ok)
    gm_csr_clear (X);
  return ok;
}

/* Moves the entries of @v (length @n) where colmap[j] >= 0 into a new array
 * of @n_kept entries and frees the rest and @v. */
static char **
select_strings (char          **v,
                int64_t         n,
                const int32_t  *colmap,
                int32_t         n_kept)
{
  char **out;

  if (v == NULL)
    return NULL;
  if (colmap == NULL)
    return v;
  out = g_new0 (char *, (gsize) n_kept + 1);
  for (int64_t j = 0; j < n; j++)
    {
      if (colmap[j] >= 0)
        out[colmap[j]] = v[j];
      else
        g_free (v[j]);
    }
  g_free (v);
  return out;
}

static char *
join_unique (char    **v,
             int64_t   n)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GString *s = g_string_new (NULL);

  for (int64_t i = 0; i < n; i++)
    {
      if (v[i] == NULL || *v[i] == '\0' || g_hash_table_contains (seen, v[i]))
        continue;
      g_hash_table_add (seen, v[i]);
      if (s->len > 0)
        g_string_append (s, ", ");
      g_string_append (s, v[i]);
    }
  return g_string_free (s, FALSE);
}

/* ------------------------------------------------------------ Cell Ranger ≥ 3 */

static GmDataset *
read_v3 (hid_t                 file,
         const char           *path,
         const GmReadOptions  *opts,
         GError              **error)
{
  g_autoptr(GmDataset) ds = NULL;
  g_autofree int32_t *colmap = NULL;
  g_autofree int64_t *version = NULL;
  int64_t shape[2] = { 0, 0 };
  int64_t n_features, n_barcodes, n_version = 0;
  char **ids = NULL, **names = NULL, **types = NULL, **genomes = NULL, **barcodes = NULL;
  const char *ids_name, *names_name;
  gboolean legacy;
  guint64 names_bytes;
  int32_t n_kept = 0;
  Tenx t = { 0 };
  GmDataset *result = NULL;

  /* Files from Cell Ranger ≥ 3 keep features/{id,name,feature_type,genome};
   * a few early files put genes/gene_names directly in /matrix. */
  legacy = !gm_h5_exists (file, "matrix/features") && gm_h5_exists (file, "matrix/gene_names");
  ids_name = legacy ? "matrix/genes" : "matrix/features/id";
  names_name = legacy ? "matrix/gene_names" : "matrix/features/name";

  if (!gm_h5_read_numbers (file, "matrix/shape", path, H5T_NATIVE_INT64, shape, 2, error))
    return NULL;
  n_features = shape[0];
  n_barcodes = shape[1];
  if (n_features < 0 || n_barcodes < 0 || n_features > INT32_MAX)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: matrix/shape (%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ") is invalid",
                   path, n_features, n_barcodes);
      return NULL;
    }

  /* read_counts checks the memory for the matrix and all the names before
   * anything big is read; only the feature table comes first */
  names_bytes = gm_h5_strings_bytes (file, "matrix/barcodes") + gm_h5_strings_bytes (file, ids_name) +
                gm_h5_strings_bytes (file, names_name);

  if (!gm_h5_exists (file, names_name) && !gm_h5_exists (file, ids_name))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: matrix/features has neither name nor id", path);
      return NULL;
    }
  if (gm_h5_exists (file, names_name) &&
      (names = read_strings_n (file, names_name, path, n_features, error)) == NULL)
    goto out;
  if (gm_h5_exists (file, ids_name) &&
      (ids = read_strings_n (file, ids_name, path, n_features, error)) == NULL)
    goto out;
  if (!legacy && gm_h5_exists (file, "matrix/features/feature_type") &&
      (types = read_strings_n (file, "matrix/features/feature_type", path, n_features, error)) == NULL)
    goto out;
  if (!legacy && gm_h5_exists (file, "matrix/features/genome") &&
      (genomes = read_strings_n (file, "matrix/features/genome", path, n_features, error)) == NULL)
    goto out;

  /* Which features to keep: by feature type (a mask, not a prefix) and genome. */
  {
    g_autoptr(GPtrArray) other_types = g_ptr_array_new ();
    g_autoptr(GArray) other_counts = g_array_new (FALSE, TRUE, sizeof (int64_t));
    int64_t n_other_genome = 0;

    colmap = g_new (int32_t, MAX (n_features, 1));
    for (int64_t j = 0; j < n_features; j++)
      {
        gboolean keep = TRUE;

        if (!opts->all_features && types != NULL && strcmp (types[j], GENE_EXPRESSION) != 0)
          {
            guint k;
            for (k = 0; k < other_types->len; k++)
              if (strcmp (g_ptr_array_index (other_types, k), types[j]) == 0)
                break;
            if (k == other_types->len)
              {
                int64_t zero = 0;
                g_ptr_array_add (other_types, types[j]);
                g_array_append_val (other_counts, zero);
              }
            g_array_index (other_counts, int64_t, k)++;
            keep = FALSE;
          }
        else if (opts->genome != NULL && genomes != NULL && strcmp (genomes[j], opts->genome) != 0)
          {
            n_other_genome++;
            keep = FALSE;
          }
        colmap[j] = keep ? n_kept++ : -1;
      }

    if (opts->genome != NULL && genomes == NULL)
      {
        g_set_error (error, GM_ERROR, GM_ERROR_USAGE,
                     "%s: the file does not record a genome per feature, so genome '%s' cannot be chosen",
                     path, opts->genome);
        goto out;
      }
    if (opts->genome != NULL)
      {
        gboolean found = FALSE;
        for (int64_t j = 0; j < n_features && !found; j++)
          found = strcmp (genomes[j], opts->genome) == 0;
        if (!found)
          {
            g_autofree char *avail = join_unique (genomes, n_features);
            g_set_error (error, GM_ERROR, GM_ERROR_USAGE,
                         "%s: has no genome '%s'; the genomes in the file are: %s",
                         path, opts->genome, *avail ? avail : "(none)");
            goto out;
          }
      }

    ds = gm_dataset_new ();
    if (other_types->len > 0)
      {
        GString *note = g_string_new (NULL);
        g_string_append_printf (note, "kept %d '%s' features; left out ", n_kept, GENE_EXPRESSION);
        for (guint k = 0; k < other_types->len; k++)
          g_string_append_printf (note, "%s%" G_GINT64_FORMAT " '%s'", k > 0 ? ", " : "",
                                  g_array_index (other_counts, int64_t, k),
                                  (const char *) g_ptr_array_index (other_types, k));
        gm_dataset_add_note (ds, "%s", note->str);
        g_string_free (note, TRUE);
      }
    if (n_other_genome > 0)
      gm_dataset_add_note (ds, "kept the features of genome '%s'; left out %" G_GINT64_FORMAT
                           " features of other genomes", opts->genome, n_other_genome);
  }

  t.path = path;
  t.opts = opts;
  t.file = file;
  t.group = "matrix";
  t.n_features = n_features;
  t.n_barcodes = n_barcodes;
  t.colmap = colmap;
  t.n_kept = n_kept;
  if (!read_counts (&t, names_bytes, &ds->X, error))
    goto out;
  if (!gm_csr_finish (&ds->X, path, error))
    goto out;
  barcodes = read_strings_n (file, "matrix/barcodes", path, n_barcodes, error);
  if (barcodes == NULL)
    goto out;

  if (opts->all_features && types != NULL)
    {
      g_autofree char **kept_types = g_new0 (char *, (gsize) n_kept + 1);
      for (int64_t j = 0; j < n_features; j++)
        if (colmap[j] >= 0)
          kept_types[colmap[j]] = types[j];
      g_ptr_array_add (ds->var, gm_column_categorical_from_strings ("feature_types", kept_types, n_kept));
    }

  ds->cell_names = g_steal_pointer (&barcodes);
  ds->gene_names = select_strings (g_steal_pointer (&names), n_features, colmap, n_kept);
  ds->gene_ids = select_strings (g_steal_pointer (&ids), n_features, colmap, n_kept);
  if (ds->gene_names == NULL)
    {
      /* only ids in the file: use them as names too */
      ds->gene_names = g_new0 (char *, (gsize) n_kept + 1);
      for (int32_t j = 0; j < n_kept; j++)
        ds->gene_names[j] = g_strdup (ds->gene_ids[j]);
    }

  version = gm_h5_attr_int64s (file, ".", "version", &n_version);
  ds->path = g_strdup (path);
  ds->format = GM_FORMAT_10X_H5;
  if (version != NULL && n_version >= 1)
    ds->format_detail = g_strdup_printf ("Cell Ranger ≥ 3 (matrix-h5 version %" G_GINT64_FORMAT ")",
                                         version[0]);
  else
    ds->format_detail = g_strdup ("Cell Ranger ≥ 3");
  report (opts, 1.0, "Reading counts");
  result = g_steal_pointer (&ds);

out:
  free_strv_n (barcodes, n_barcodes);
  free_strv_n (names, n_features);
  free_strv_n (ids, n_features);
  free_strv_n (types, n_features);
  free_strv_n (genomes, n_features);
  return result;
}

/* ------------------------------------------------------------ Cell Ranger 1.x / 2.x */

static GPtrArray *
list_genome_groups (hid_t file)
{
  g_autofree char *children = gm_h5_list_children (file, "/");
  g_auto(GStrv) names = g_strsplit (children, ", ", -1);
  GPtrArray *genomes = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *indptr = NULL, *gene_names = NULL, *genes = NULL;

      if (*names[i] == '\0' || gm_h5_object_type (file, names[i]) != H5I_GROUP)
        continue;
      indptr = g_strdup_printf ("%s/indptr", names[i]);
      gene_names = g_strdup_printf ("%s/gene_names", names[i]);
      genes = g_strdup_printf ("%s/genes", names[i]);
      if (gm_h5_exists (file, indptr) && (gm_h5_exists (file, gene_names) || gm_h5_exists (file, genes)))
        g_ptr_array_add (genomes, g_strdup (names[i]));
    }
  return genomes;
}

static char *
join_ptr_array (GPtrArray *a)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < a->len; i++)
    g_string_append_printf (s, "%s%s", i > 0 ? ", " : "", (const char *) g_ptr_array_index (a, i));
  return g_string_free (s, FALSE);
}

static GmDataset *
read_v2 (hid_t                 file,
         const char           *path,
         const GmReadOptions  *opts,
         GError              **error)
{
  g_autoptr(GPtrArray) genomes = list_genome_groups (file);
  g_autoptr(GmDataset) ds = NULL;
  g_autofree char *shape_name = NULL, *barcodes_name = NULL, *genes_name = NULL, *names_name = NULL;
  int64_t shape[2] = { 0, 0 };
  int64_t n_features, n_barcodes;
  const char *genome = NULL;
  char **ids = NULL, **names = NULL, **barcodes = NULL;
  guint64 names_bytes;
  Tenx t = { 0 };
  GmDataset *result = NULL;

  if (genomes->len == 0)
    {
      g_autofree char *children = gm_h5_list_children (file, "/");
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: not a 10x HDF5 file: no /matrix group and no genome group with "
                   "indptr and gene_names (found top-level objects %s)",
                   path, *children ? children : "(none)");
      return NULL;
    }
  if (opts->genome != NULL)
    {
      for (guint i = 0; i < genomes->len && genome == NULL; i++)
        if (strcmp (g_ptr_array_index (genomes, i), opts->genome) == 0)
          genome = g_ptr_array_index (genomes, i);
      if (genome == NULL)
        {
          g_autofree char *avail = join_ptr_array (genomes);
          g_set_error (error, GM_ERROR, GM_ERROR_USAGE,
                       "%s: has no genome '%s'; the genomes in the file are: %s",
                       path, opts->genome, avail);
          return NULL;
        }
    }
  else if (genomes->len > 1)
    {
      g_autofree char *avail = join_ptr_array (genomes);
      g_set_error (error, GM_ERROR, GM_ERROR_AMBIGUOUS,
                   "%s: contains several genomes (%s); choose one with --genome", path, avail);
      return NULL;
    }
  else
    genome = g_ptr_array_index (genomes, 0);

  shape_name = g_strdup_printf ("%s/shape", genome);
  barcodes_name = g_strdup_printf ("%s/barcodes", genome);
  genes_name = g_strdup_printf ("%s/genes", genome);
  names_name = g_strdup_printf ("%s/gene_names", genome);

  if (!gm_h5_read_numbers (file, shape_name, path, H5T_NATIVE_INT64, shape, 2, error))
    return NULL;
  n_features = shape[0];
  n_barcodes = shape[1];
  if (n_features < 0 || n_barcodes < 0 || n_features > INT32_MAX)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: %s (%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ") is invalid",
                   path, shape_name, n_features, n_barcodes);
      return NULL;
    }

  names_bytes = gm_h5_strings_bytes (file, barcodes_name) + gm_h5_strings_bytes (file, genes_name) +
                gm_h5_strings_bytes (file, names_name);

  if (gm_h5_exists (file, names_name) &&
      (names = read_strings_n (file, names_name, path, n_features, error)) == NULL)
    goto out;
  if (gm_h5_exists (file, genes_name) &&
      (ids = read_strings_n (file, genes_name, path, n_features, error)) == NULL)
    goto out;

  ds = gm_dataset_new ();
  if (genomes->len > 1)
    gm_dataset_add_note (ds, "read genome '%s' of the %u genomes in the file", genome, genomes->len);

  t.path = path;
  t.opts = opts;
  t.file = file;
  t.group = genome;
  t.n_features = n_features;
  t.n_barcodes = n_barcodes;
  t.colmap = NULL;
  t.n_kept = (int32_t) n_features;
  if (!read_counts (&t, names_bytes, &ds->X, error))
    goto out;
  if (!gm_csr_finish (&ds->X, path, error))
    goto out;
  barcodes = read_strings_n (file, barcodes_name, path, n_barcodes, error);
  if (barcodes == NULL)
    goto out;

  ds->cell_names = g_steal_pointer (&barcodes);
  ds->gene_ids = g_steal_pointer (&ids);
  ds->gene_names = g_steal_pointer (&names);
  if (ds->gene_names == NULL)
    {
      ds->gene_names = g_new0 (char *, (gsize) n_features + 1);
      for (int64_t j = 0; j < n_features; j++)
        ds->gene_names[j] = g_strdup (ds->gene_ids[j]);
    }
  ds->path = g_strdup (path);
  ds->format = GM_FORMAT_10X_H5;
  ds->format_detail = g_strdup_printf ("Cell Ranger 1.x/2.x (genome %s)", genome);
  report (opts, 1.0, "Reading counts");
  result = g_steal_pointer (&ds);

out:
  free_strv_n (barcodes, n_barcodes);
  free_strv_n (names, n_features);
  free_strv_n (ids, n_features);
  return result;
}

/* ------------------------------------------------------------ entry point */

GmDataset *
gm_read_10x_h5 (const char           *path,
                const GmReadOptions  *opts,
                GError              **error)
{
  GmReadOptions defaults;
  GmDataset *ds;
  hid_t file;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (opts == NULL)
    {
      gm_read_options_init (&defaults);
      opts = &defaults;
    }
  if (is_cancelled (opts))
    {
      set_cancelled (error, path);
      return NULL;
    }

  file = gm_h5_open (path, error);
  if (file < 0)
    return NULL;

  if (gm_h5_object_type (file, "matrix") == H5I_GROUP)
    ds = read_v3 (file, path, opts, error);
  else
    ds = read_v2 (file, path, opts, error);

  if (H5Fclose (file) < 0 && ds != NULL)
    {
      gm_dataset_free (ds);
      gm_h5_set_error (error, GM_ERROR_INVALID_INPUT, path, "cannot close the file");
      return NULL;
    }
  return ds;
}
