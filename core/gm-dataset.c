/* gm-dataset.c — the in-memory dataset
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "gm-dataset.h"

G_DEFINE_QUARK (gm-error-quark, gm_error)

GmDataset *
gm_dataset_new (void)
{
  GmDataset *ds = g_new0 (GmDataset, 1);

  ds->obs = g_ptr_array_new_with_free_func ((GDestroyNotify) gm_column_free);
  ds->var = g_ptr_array_new_with_free_func ((GDestroyNotify) gm_column_free);
  ds->notes = g_ptr_array_new_with_free_func (g_free);
  ds->uns = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return ds;
}

static void
free_strv_n (char **v, int64_t n)
{
  if (v == NULL)
    return;
  for (int64_t i = 0; i < n; i++)
    g_free (v[i]);
  g_free (v);
}

void
gm_dataset_free (GmDataset *ds)
{
  if (ds == NULL)
    return;
  free_strv_n (ds->cell_names, ds->X.n_rows);
  free_strv_n (ds->gene_names, ds->X.n_cols);
  free_strv_n (ds->gene_ids, ds->X.n_cols);
  gm_csr_clear (&ds->X);
  g_ptr_array_unref (ds->obs);
  g_ptr_array_unref (ds->var);
  g_ptr_array_unref (ds->notes);
  g_hash_table_unref (ds->uns);
  g_free (ds->path);
  g_free (ds->format_detail);
  g_free (ds);
}

void
gm_dataset_add_note (GmDataset  *ds,
                     const char *fmt,
                     ...)
{
  va_list args;

  va_start (args, fmt);
  g_ptr_array_add (ds->notes, g_strdup_vprintf (fmt, args));
  va_end (args);
}

const char *
gm_format_name (GmFormat format)
{
  switch (format)
    {
    case GM_FORMAT_H5AD:    return "h5ad";
    case GM_FORMAT_10X_H5:  return "10x-h5";
    case GM_FORMAT_10X_MTX: return "10x-mtx";
    case GM_FORMAT_LOOM:    return "loom";
    case GM_FORMAT_CSV:     return "csv";
    case GM_FORMAT_TSV:     return "tsv";
    case GM_FORMAT_UNKNOWN:
    default:                return "unknown";
    }
}

/* ------------------------------------------------------------------ CSR */

void
gm_csr_clear (GmCsr *m)
{
  g_clear_pointer (&m->indptr, g_free);
  g_clear_pointer (&m->indices, g_free);
  g_clear_pointer (&m->data, g_free);
  m->n_rows = m->n_cols = 0;
}

double
gm_csr_total (const GmCsr *m)
{
  int64_t nnz = m->indptr ? m->indptr[m->n_rows] : 0;
  double total = 0.0;

  for (int64_t k = 0; k < nnz; k++)
    total += m->data[k];
  return total;
}

gboolean
gm_csr_is_integer (const GmCsr *m)
{
  int64_t nnz = m->indptr ? m->indptr[m->n_rows] : 0;

  for (int64_t k = 0; k < nnz; k++)
    {
      float v = m->data[k];
      if (!(v >= 0.0f) || v != floorf (v))
        return FALSE;
    }
  return TRUE;
}

gboolean
gm_csr_validate (const GmCsr  *m,
                 const char   *what,
                 GError      **error)
{
  if (m->n_rows < 0 || m->n_cols < 0 || m->n_cols > INT32_MAX)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: invalid shape %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT,
                   what, m->n_rows, m->n_cols);
      return FALSE;
    }
  if (m->indptr[0] != 0)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: index pointer does not start at 0", what);
      return FALSE;
    }
  for (int64_t r = 0; r < m->n_rows; r++)
    {
      if (m->indptr[r + 1] < m->indptr[r])
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: index pointer decreases at row %" G_GINT64_FORMAT, what, r);
          return FALSE;
        }
    }
  for (int64_t k = 0; k < m->indptr[m->n_rows]; k++)
    {
      if (m->indices[k] < 0 || m->indices[k] >= m->n_cols)
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: column index %d at entry %" G_GINT64_FORMAT " is outside 0…%" G_GINT64_FORMAT,
                       what, m->indices[k], k, m->n_cols - 1);
          return FALSE;
        }
      if (isnan (m->data[k]))
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: value at entry %" G_GINT64_FORMAT " is NaN", what, k);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
gm_csr_finish (GmCsr       *m,
               const char  *what,
               GError     **error)
{
  gboolean canonical = TRUE;

  if (m->n_rows < 0 || m->n_cols < 0 || m->n_cols > INT32_MAX || m->indptr[0] != 0)
    return gm_csr_validate (m, what, error);

  for (int64_t r = 0; r < m->n_rows; r++)
    {
      int64_t start = m->indptr[r], end = m->indptr[r + 1];
      int32_t prev = -1;

      if (end < start)
        return gm_csr_validate (m, what, error);
      for (int64_t k = start; k < end; k++)
        {
          int32_t j = m->indices[k];
          float v = m->data[k];

          if ((guint32) j >= (guint32) m->n_cols || isnan (v))
            return gm_csr_validate (m, what, error);  /* says exactly what is wrong */
          canonical &= (j > prev) & (v != 0.0f);
          prev = j;
        }
    }
  if (!canonical)
    gm_csr_canonicalize (m);
  return TRUE;
}

gpointer
gm_alloc_large (gsize size)
{
  const gsize huge = 2u << 20;
  void *p = NULL;

  if (size < 64u << 20)
    return g_malloc (MAX (size, 1));
  if (posix_memalign (&p, huge, size) != 0)
    return NULL;
#ifdef MADV_HUGEPAGE
  madvise (p, size, MADV_HUGEPAGE);
#endif
  return p;
}

typedef struct
{
  int32_t idx;
  float   val;
} Entry;

static int
entry_cmp (const void *a,
           const void *b)
{
  const Entry *x = a, *y = b;
  return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Rows that are already canonical (the common case) are left untouched:
 * only a row with unsorted or repeated indices or stored zeros is copied,
 * sorted and compacted. */
void
gm_csr_canonicalize (GmCsr *m)
{
  g_autofree Entry *buf = NULL;
  int64_t buf_len = 0;
  int64_t out = 0, start = 0;

  for (int64_t r = 0; r < m->n_rows; r++)
    {
      int64_t end = m->indptr[r + 1];
      int64_t n = end - start;
      gboolean clean = TRUE;

      for (int64_t k = start; k < end && clean; k++)
        if (m->data[k] == 0.0f || (k > start && m->indices[k] <= m->indices[k - 1]))
          clean = FALSE;

      if (clean)
        {
          if (out != start)
            {
              memmove (m->indices + out, m->indices + start, sizeof (int32_t) * n);
              memmove (m->data + out, m->data + start, sizeof (float) * n);
            }
          out += n;
        }
      else
        {
          int64_t row_out = out, w;

          if (n > buf_len)
            {
              buf = g_renew (Entry, buf, n);
              buf_len = n;
            }
          for (int64_t k = 0; k < n; k++)
            {
              buf[k].idx = m->indices[start + k];
              buf[k].val = m->data[start + k];
            }
          qsort (buf, n, sizeof (Entry), entry_cmp);
          /* Sum duplicates, then drop zeros. */
          for (int64_t k = 0; k < n; k++)
            {
              if (out > row_out && m->indices[out - 1] == buf[k].idx)
                m->data[out - 1] += buf[k].val;
              else
                {
                  m->indices[out] = buf[k].idx;
                  m->data[out] = buf[k].val;
                  out++;
                }
            }
          w = row_out;
          for (int64_t k = row_out; k < out; k++)
            if (m->data[k] != 0.0f)
              {
                m->indices[w] = m->indices[k];
                m->data[w] = m->data[k];
                w++;
              }
          out = w;
        }
      start = end;
      m->indptr[r + 1] = out;
    }
}

gboolean
gm_csr_transpose (const GmCsr  *src,
                  GmCsr        *dst,
                  GError      **error)
{
  int64_t nnz = src->indptr[src->n_rows];
  int64_t *next;

  if (src->n_rows > INT32_MAX)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_TOO_LARGE,
                   "cannot transpose a matrix with more than 2³¹ rows");
      return FALSE;
    }

  dst->n_rows = src->n_cols;
  dst->n_cols = src->n_rows;
  dst->indptr = g_new0 (int64_t, dst->n_rows + 1);
  dst->indices = g_new (int32_t, MAX (nnz, 1));
  dst->data = g_new (float, MAX (nnz, 1));

  for (int64_t k = 0; k < nnz; k++)
    dst->indptr[src->indices[k] + 1]++;
  for (int64_t j = 0; j < dst->n_rows; j++)
    dst->indptr[j + 1] += dst->indptr[j];

  next = g_new (int64_t, dst->n_rows + 1);
  memcpy (next, dst->indptr, sizeof (int64_t) * (dst->n_rows + 1));
  for (int64_t r = 0; r < src->n_rows; r++)
    for (int64_t k = src->indptr[r]; k < src->indptr[r + 1]; k++)
      {
        int64_t pos = next[src->indices[k]]++;
        dst->indices[pos] = (int32_t) r;
        dst->data[pos] = src->data[k];
      }
  g_free (next);
  return TRUE;
}

void
gm_csr_select_columns (GmCsr          *m,
                       const gboolean *keep)
{
  g_autofree int32_t *map = g_new (int32_t, MAX (m->n_cols, 1));
  int32_t n_kept = 0;
  int64_t out = 0;

  for (int64_t j = 0; j < m->n_cols; j++)
    map[j] = keep[j] ? n_kept++ : -1;

  int64_t start = 0;

  for (int64_t r = 0; r < m->n_rows; r++)
    {
      int64_t end = m->indptr[r + 1];
      for (int64_t k = start; k < end; k++)
        {
          int32_t j = map[m->indices[k]];
          if (j < 0)
            continue;
          m->indices[out] = j;
          m->data[out] = m->data[k];
          out++;
        }
      m->indptr[r + 1] = out;
      start = end;
    }
  m->n_cols = n_kept;
}

/* -------------------------------------------------------------- columns */

GmColumn *
gm_column_new (const char   *name,
               GmColumnKind  kind,
               int64_t       length)
{
  GmColumn *col = g_new0 (GmColumn, 1);

  col->name = g_strdup (name);
  col->kind = kind;
  col->length = length;
  switch (kind)
    {
    case GM_COLUMN_CATEGORICAL:
      col->codes = g_new0 (int32_t, MAX (length, 1));
      break;
    case GM_COLUMN_NUMERIC:
    case GM_COLUMN_BOOLEAN:
      col->values = g_new0 (double, MAX (length, 1));
      break;
    case GM_COLUMN_STRING:
      col->strings = g_new0 (char *, MAX (length, 1));
      break;
    default:
      g_assert_not_reached ();
    }
  return col;
}

void
gm_column_free (GmColumn *col)
{
  if (col == NULL)
    return;
  g_free (col->name);
  free_strv_n (col->categories, col->n_categories);
  g_free (col->codes);
  g_free (col->values);
  free_strv_n (col->strings, col->strings ? col->length : 0);
  g_free (col);
}

int64_t *
gm_column_category_counts (const GmColumn *col,
                           int64_t        *n_missing)
{
  int64_t *counts = g_new0 (int64_t, MAX (col->n_categories, 1));
  int64_t missing = 0;

  for (int64_t i = 0; i < col->length; i++)
    {
      int32_t c = col->codes[i];
      if (c < 0 || c >= col->n_categories)
        missing++;
      else
        counts[c]++;
    }
  if (n_missing)
    *n_missing = missing;
  return counts;
}

GmColumn *
gm_column_categorical_from_strings (const char  *name,
                                    char       **strings,
                                    int64_t      length)
{
  GmColumn *col = gm_column_new (name, GM_COLUMN_CATEGORICAL, length);
  g_autoptr(GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) cats = g_ptr_array_new ();

  for (int64_t i = 0; i < length; i++)
    {
      gpointer code;

      if (strings[i] == NULL)
        {
          col->codes[i] = -1;
          continue;
        }
      if (!g_hash_table_lookup_extended (index, strings[i], NULL, &code))
        {
          code = GINT_TO_POINTER (cats->len);
          g_hash_table_insert (index, strings[i], code);
          g_ptr_array_add (cats, g_strdup (strings[i]));
        }
      col->codes[i] = GPOINTER_TO_INT (code);
    }
  col->n_categories = cats->len;
  col->categories = (char **) g_ptr_array_free (g_steal_pointer (&cats), FALSE);
  return col;
}

GmColumn *
gm_dataset_find_obs (const GmDataset *ds,
                     const char      *name)
{
  for (guint i = 0; i < ds->obs->len; i++)
    {
      GmColumn *col = g_ptr_array_index (ds->obs, i);
      if (g_strcmp0 (col->name, name) == 0)
        return col;
    }
  return NULL;
}

void
gm_column_select (GmColumn       *col,
                  const gboolean *keep)
{
  int64_t out = 0;

  for (int64_t i = 0; i < col->length; i++)
    {
      if (!keep[i])
        {
          if (col->strings)
            g_free (col->strings[i]);
          continue;
        }
      if (col->codes)
        col->codes[out] = col->codes[i];
      if (col->values)
        col->values[out] = col->values[i];
      if (col->strings)
        col->strings[out] = col->strings[i];
      out++;
    }
  col->length = out;
}

/* --------------------------------------------------------------- memory */

guint64
gm_memory_budget (void)
{
  const char *env = g_getenv ("GENOMAP_MEMORY_LIMIT");
  g_autofree char *contents = NULL;

  if (env != NULL && *env != '\0')
    {
      char *end = NULL;
      double v = g_ascii_strtod (env, &end);
      switch (end ? g_ascii_toupper (*end) : 0)
        {
        case 'K': v *= 1024.0; break;
        case 'M': v *= 1024.0 * 1024.0; break;
        case 'G': v *= 1024.0 * 1024.0 * 1024.0; break;
        case 'T': v *= 1024.0 * 1024.0 * 1024.0 * 1024.0; break;
        default: break;
        }
      if (v > 0)
        return (guint64) v;
    }

  if (g_file_get_contents ("/proc/meminfo", &contents, NULL, NULL))
    {
      const char *line = strstr (contents, "MemAvailable:");
      if (line != NULL)
        return g_ascii_strtoull (line + strlen ("MemAvailable:"), NULL, 10) * 1024;
    }
  return G_MAXUINT64;
}

char *
gm_format_bytes (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
}

gboolean
gm_memory_check (const char  *path,
                 guint64      needed,
                 const char  *what,
                 GError     **error)
{
  return gm_memory_check_limit (0, path, needed, what, error);
}

gboolean
gm_memory_check_limit (guint64      limit,
                       const char  *path,
                       guint64      needed,
                       const char  *what,
                       GError     **error)
{
  guint64 budget = limit > 0 ? limit : gm_memory_budget ();

  if (needed > budget)
    {
      g_autofree char *n = gm_format_bytes (needed);
      g_autofree char *b = gm_format_bytes (budget);
      g_set_error (error, GM_ERROR, GM_ERROR_TOO_LARGE,
                   "%s: %s needs about %s of memory, but only %s is available "
                   "(set GENOMAP_MEMORY_LIMIT to change the limit)",
                   path, what, n, b);
      return FALSE;
    }
  return TRUE;
}

/* Decodes the XML character references Cell Ranger and loom 2 use for
 * non-ASCII text (&#233; &#xE9;) and the five predefined entities, in place
 * (a decoded form is never longer than its reference).  Anything else,
 * including malformed references, is kept verbatim. */
void
gm_xml_unescape_inplace (char *s)
{
  static const struct { const char *name; char c; } named[] = {
    { "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' }, { "quot;", '"' }, { "apos;", '\'' },
  };
  char *r, *w;

  if (s == NULL || strchr (s, '&') == NULL)
    return;

  for (r = w = s; *r != '\0';)
    {
      gboolean done = FALSE;

      if (*r == '&')
        {
          if (r[1] == '#')
            {
              const char *p = r + 2;
              gboolean hex = (*p == 'x' || *p == 'X');
              guint64 cp = 0;
              int digits = 0;

              if (hex)
                p++;
              for (; digits < 8; p++, digits++)
                {
                  int v = hex ? g_ascii_xdigit_value (*p) : g_ascii_digit_value (*p);
                  if (v < 0)
                    break;
                  cp = cp * (hex ? 16 : 10) + (guint64) v;
                }
              /* a reference is at least 4 bytes and its UTF-8 at most as long */
              if (digits > 0 && *p == ';' && cp > 0 && cp <= 0x10FFFF &&
                  !(cp >= 0xD800 && cp <= 0xDFFF))
                {
                  w += g_unichar_to_utf8 ((gunichar) cp, w);
                  r = (char *) p + 1;
                  done = TRUE;
                }
            }
          else
            {
              for (guint i = 0; i < G_N_ELEMENTS (named); i++)
                if (strncmp (r + 1, named[i].name, strlen (named[i].name)) == 0)
                  {
                    *w++ = named[i].c;
                    r += 1 + strlen (named[i].name);
                    done = TRUE;
                    break;
                  }
            }
        }
      if (!done)
        *w++ = *r++;
    }
  *w = '\0';
}
