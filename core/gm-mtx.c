/* gm-mtx.c — 10x Genomics Matrix Market folders (MEX)
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A folder holds matrix.mtx (features × barcodes, 1-based coordinates),
 * features.tsv (Cell Ranger ≥ 3: id, name, type, any further columns
 * ignored) or genes.tsv (Cell Ranger < 3: id, name), and barcodes.tsv; each
 * file may be gzip-compressed (".gz").  zlib reads plain files
 * transparently, so every file goes through gzopen.
 *
 * One Matrix Market parser serves both the folder reader and
 * gm_parse_mtx_buffer (the fuzzer's entry point): it reads lines from a
 * GmTextIOLineSource (gm-textio.h), which is either a gzFile or a buffer in
 * memory.
 *
 * The size line is never trusted for allocation: the number of entries it
 * declares must fit in the bytes that are left of the input (a gzip stream
 * inflates at most 1032:1), and what the matrix needs is checked against the
 * memory budget before anything is allocated.  In a folder, the dimensions
 * must also agree with the features and barcodes files (or agree swapped,
 * for tools such as alevin-fry that write barcodes × features).
 *
 * Entries are accumulated straight into CSR order when they arrive sorted
 * by the major index (Cell Ranger writes them sorted by barcode); otherwise
 * the major indices are kept too and a counting sort puts them in order at
 * the end.  Duplicates are summed and zeros dropped (gm_csr_canonicalize).
 *
 * The writer makes a Cell Ranger ≥ 3 folder: matrix.mtx.gz ("integer" when
 * every value is integral, else "real"; features × barcodes, sorted by
 * barcode), features.tsv.gz (id, name, type: the var column feature_types
 * when there is one, else "Gene Expression") and barcodes.tsv.gz, gzip
 * level opts->compression when it is 1…9, else 4.  The folder is built
 * under a temporary name and renamed into place only when complete.
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <zlib.h>

#include "gm-textio.h"

#define GENE_EXPRESSION "Gene Expression"

/* The most a deflate stream can expand. */
#define GZIP_MAX_RATIO 1032

/* The bytes not yet read: at most (@strict) or probably at most (a gzip
 * stream rarely inflates more than 16:1; a Matrix Market body ~4:1). */
static guint64
line_source_bytes_left (GmTextIOLineSource *ls,
                        gboolean            strict)
{
  guint64 buffered = ls->end - ls->pos;

  if (ls->gz == NULL)
    return buffered;
  if (gzdirect (ls->gz))
    return buffered + ls->file_size;
  return buffered + ls->file_size * (strict ? GZIP_MAX_RATIO : 16) + 64;
}

/* --------------------------------------------------------------- tokens */

static inline const char *
skip_blanks (const char *p,
             const char *end)
{
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  return p;
}

static inline const char *
token_end (const char *p,
           const char *end)
{
  while (p < end && *p != ' ' && *p != '\t')
    p++;
  return p;
}

/* A non-negative decimal integer token [p, e); FALSE when it is not one or
 * does not fit in 63 bits. */
static gboolean
parse_count (const char *p,
             const char *e,
             int64_t    *out)
{
  int64_t v = 0;

  if (p == e)
    return FALSE;
  for (; p < e; p++)
    {
      if ((guchar) (*p - '0') >= 10)
        return FALSE;
      if (v > (G_MAXINT64 - 9) / 10)
        return FALSE;
      v = v * 10 + (*p - '0');
    }
  *out = v;
  return TRUE;
}

/* ------------------------------------------------------- Matrix Market */

typedef enum
{
  MTX_INTEGER,
  MTX_REAL,
  MTX_PATTERN,
} MtxField;

typedef enum
{
  MTX_GENERAL,
  MTX_SYMMETRIC,
  MTX_SKEW_SYMMETRIC,
} MtxSymmetry;

typedef struct
{
  MtxField    field;
  MtxSymmetry symmetry;
  int64_t     n_rows;
  int64_t     n_cols;
  int64_t     nnz;
  int64_t     size_line;
} MtxHeader;

static const char *
mtx_field_name (MtxField f)
{
  switch (f)
    {
    case MTX_INTEGER: return "integer";
    case MTX_REAL:    return "real";
    case MTX_PATTERN: return "pattern";
    default:          return "?";
    }
}

static gboolean
mtx_read_header (GmTextIOLineSource  *ls,
                 MtxHeader           *h,
                 GError             **error)
{
  const char *line;
  gsize len;
  int r;
  g_autofree char *banner = NULL;
  g_auto(GStrv) words = NULL;
  const char *tok[5] = { NULL };
  guint n_tok = 0;

  memset (h, 0, sizeof *h);
  r = gm_textio_line_source_next (ls, &line, &len, error);
  if (r < 0)
    return FALSE;
  if (r == 0)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: line 1: the file is empty", ls->name);
      return FALSE;
    }
  gm_textio_skip_bom (&line, &len);
  if (len < 14 || g_ascii_strncasecmp (line, "%%MatrixMarket", 14) != 0)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: line 1: not a Matrix Market file (the first line must start with '%%%%MatrixMarket')",
                   ls->name);
      return FALSE;
    }
  banner = g_strndup (line, MIN (len, 4096));
  words = g_strsplit_set (banner, " \t", -1);
  for (guint i = 0; words[i] != NULL; i++)
    if (*words[i] != '\0')
      {
        if (n_tok == G_N_ELEMENTS (tok))
          {
            n_tok++;
            break;
          }
        tok[n_tok++] = words[i];
      }
  if (n_tok != 5 || g_ascii_strcasecmp (tok[0], "%%MatrixMarket") != 0 ||
      g_ascii_strcasecmp (tok[1], "matrix") != 0)
    {
      g_autofree char *shown = gm_textio_excerpt (line, len);
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: line 1: expected '%%%%MatrixMarket matrix coordinate <field> <symmetry>', found '%s'",
                   ls->name, shown);
      return FALSE;
    }
  if (g_ascii_strcasecmp (tok[2], "coordinate") != 0)
    {
      g_autofree char *shown = g_utf8_make_valid (tok[2], -1);
      g_set_error (error, GM_ERROR, GM_ERROR_UNSUPPORTED,
                   "%s: line 1: '%s' Matrix Market files are not supported (only sparse 'coordinate' ones)",
                   ls->name, shown);
      return FALSE;
    }
  if (g_ascii_strcasecmp (tok[3], "integer") == 0)
    h->field = MTX_INTEGER;
  else if (g_ascii_strcasecmp (tok[3], "real") == 0 || g_ascii_strcasecmp (tok[3], "double") == 0)
    h->field = MTX_REAL;
  else if (g_ascii_strcasecmp (tok[3], "pattern") == 0)
    h->field = MTX_PATTERN;
  else
    {
      g_autofree char *shown = g_utf8_make_valid (tok[3], -1);
      g_set_error (error, GM_ERROR, GM_ERROR_UNSUPPORTED,
                   "%s: line 1: unsupported value type '%s' (expected integer, real or pattern)",
                   ls->name, shown);
      return FALSE;
    }
  if (g_ascii_strcasecmp (tok[4], "general") == 0)
    h->symmetry = MTX_GENERAL;
  else if (g_ascii_strcasecmp (tok[4], "symmetric") == 0)
    h->symmetry = MTX_SYMMETRIC;
  else if (g_ascii_strcasecmp (tok[4], "skew-symmetric") == 0)
    h->symmetry = MTX_SKEW_SYMMETRIC;
  else
    {
      g_autofree char *shown = g_utf8_make_valid (tok[4], -1);
      g_set_error (error, GM_ERROR, GM_ERROR_UNSUPPORTED,
                   "%s: line 1: unsupported symmetry '%s' (expected general or symmetric)",
                   ls->name, shown);
      return FALSE;
    }

  /* Comments, then the size line. */
  for (;;)
    {
      const char *p, *e, *end;
      int64_t v[3];

      r = gm_textio_line_source_next (ls, &line, &len, error);
      if (r < 0)
        return FALSE;
      if (r == 0)
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: line %" G_GINT64_FORMAT ": the file ends before the size line "
                       "'rows columns entries'", ls->name, ls->line_no);
          return FALSE;
        }
      end = line + len;
      p = skip_blanks (line, end);
      if (p == end || *p == '%')
        continue;
      for (int i = 0; i < 3; i++)
        {
          p = skip_blanks (p, end);
          e = token_end (p, end);
          if (!parse_count (p, e, &v[i]))
            goto bad_size;
          p = e;
        }
      if (skip_blanks (p, end) != end)
        goto bad_size;
      h->n_rows = v[0];
      h->n_cols = v[1];
      h->nnz = v[2];
      h->size_line = ls->line_no;
      break;

    bad_size:
      {
        g_autofree char *shown = gm_textio_excerpt (line, len);
        g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                     "%s: line %" G_GINT64_FORMAT ": expected the size line 'rows columns entries', found '%s'",
                     ls->name, ls->line_no, shown);
        return FALSE;
      }
    }

  if (h->n_rows > INT32_MAX || h->n_cols > INT32_MAX)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_TOO_LARGE,
                   "%s: line %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT
                   " is too large (at most 2³¹ − 1 rows and columns)",
                   ls->name, h->size_line, h->n_rows, h->n_cols);
      return FALSE;
    }
  if (h->symmetry != MTX_GENERAL && h->n_rows != h->n_cols)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: line %" G_GINT64_FORMAT ": a symmetric matrix must be square, not %"
                   G_GINT64_FORMAT " × %" G_GINT64_FORMAT,
                   ls->name, h->size_line, h->n_rows, h->n_cols);
      return FALSE;
    }
  if ((guint64) h->nnz > (guint64) h->n_rows * (guint64) h->n_cols)
    {
      /* Duplicates are legal, so this is not an error by itself; but an
       * empty dimension with entries is. */
      if (h->n_rows == 0 || h->n_cols == 0)
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: line %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT " entries in a %" G_GINT64_FORMAT
                       " × %" G_GINT64_FORMAT " matrix",
                       ls->name, h->size_line, h->nnz, h->n_rows, h->n_cols);
          return FALSE;
        }
    }
  return TRUE;
}

/* Entries accumulated by major index (CSR rows of the result). */
typedef struct
{
  int64_t  n_major;
  int64_t *counts;     /* n_major + 1; counts[m + 1] = entries of major m */
  int32_t *minor;
  float   *val;
  int32_t *major;      /* NULL while the entries arrive sorted by major */
  int64_t  n;
  int64_t  cap;
  int64_t  max_cap;    /* what the input can possibly hold */
  int32_t  last_major;
} Accumulator;

static void
accumulator_clear (Accumulator *acc)
{
  g_clear_pointer (&acc->counts, g_free);
  g_clear_pointer (&acc->minor, g_free);
  g_clear_pointer (&acc->val, g_free);
  g_clear_pointer (&acc->major, g_free);
}

static guint64
accumulator_bytes (const Accumulator *acc,
                   int64_t            cap)
{
  return (guint64) cap * (sizeof (int32_t) + sizeof (float) + (acc->major != NULL ? sizeof (int32_t) : 0)) +
         (guint64) (acc->n_major + 1) * sizeof (int64_t);
}

static gboolean
accumulator_unsorted (Accumulator         *acc,
                      GmTextIOLineSource  *ls,
                      GError             **error)
{
  int64_t k = 0;

  if (!gm_textio_check_memory (ls->opts, ls->name,
                               accumulator_bytes (acc, acc->cap) + (guint64) acc->cap * sizeof (int32_t) +
                               (guint64) acc->n * (sizeof (int32_t) + sizeof (float)) +
                               (guint64) (acc->n_major + 1) * sizeof (int64_t),
                               "sorting the unsorted entries", error))
    return FALSE;
  acc->major = g_new (int32_t, MAX (acc->cap, 1));
  for (int64_t m = 0; m < acc->n_major && k < acc->n; m++)
    for (int64_t c = 0; c < acc->counts[m + 1]; c++)
      acc->major[k++] = (int32_t) m;
  return TRUE;
}

static gboolean
accumulator_grow (Accumulator         *acc,
                  GmTextIOLineSource  *ls,
                  GError             **error)
{
  int64_t bigger = MIN (MAX (acc->cap * 2, 1024), acc->max_cap);

  if (bigger <= acc->cap)
    {
      /* Cannot happen: more entries than declared are refused, and the
       * input cannot hold more than max_cap. */
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: line %" G_GINT64_FORMAT ": more entries than declared", ls->name, ls->line_no);
      return FALSE;
    }
  if (!gm_textio_check_memory (ls->opts, ls->name, accumulator_bytes (acc, bigger), "the matrix", error))
    return FALSE;
  acc->minor = g_renew (int32_t, acc->minor, bigger);
  acc->val = g_renew (float, acc->val, bigger);
  if (acc->major != NULL)
    acc->major = g_renew (int32_t, acc->major, bigger);
  acc->cap = bigger;
  return TRUE;
}

static inline gboolean
accumulator_add (Accumulator         *acc,
                 GmTextIOLineSource  *ls,
                 int32_t              mj,
                 int32_t              mn,
                 float                v,
                 GError             **error)
{
  if (G_UNLIKELY (acc->n == acc->cap) && !accumulator_grow (acc, ls, error))
    return FALSE;
  if (G_UNLIKELY (mj < acc->last_major) && acc->major == NULL && !accumulator_unsorted (acc, ls, error))
    return FALSE;
  acc->minor[acc->n] = mn;
  acc->val[acc->n] = v;
  if (acc->major != NULL)
    acc->major[acc->n] = mj;
  acc->counts[mj + 1]++;
  acc->last_major = mj;
  acc->n++;
  return TRUE;
}

/* Moves the entries into @out (n_major × n_minor, canonical CSR). */
static void
accumulator_finish (Accumulator *acc,
                    int64_t      n_minor,
                    GmCsr       *out)
{
  for (int64_t m = 0; m < acc->n_major; m++)
    acc->counts[m + 1] += acc->counts[m];

  if (acc->major != NULL)
    {
      int32_t *indices = g_new (int32_t, MAX (acc->n, 1));
      float *data = g_new (float, MAX (acc->n, 1));
      int64_t *next = g_new (int64_t, MAX (acc->n_major, 1));

      memcpy (next, acc->counts, sizeof (int64_t) * (gsize) acc->n_major);
      for (int64_t k = 0; k < acc->n; k++)
        {
          int64_t pos = next[acc->major[k]]++;
          indices[pos] = acc->minor[k];
          data[pos] = acc->val[k];
        }
      g_free (next);
      g_free (acc->minor);
      g_free (acc->val);
      g_clear_pointer (&acc->major, g_free);
      acc->minor = indices;
      acc->val = data;
    }
  else if (acc->n < acc->cap)
    {
      acc->minor = g_renew (int32_t, acc->minor, MAX (acc->n, 1));
      acc->val = g_renew (float, acc->val, MAX (acc->n, 1));
    }

  out->n_rows = acc->n_major;
  out->n_cols = n_minor;
  out->indptr = g_steal_pointer (&acc->counts);
  out->indices = g_steal_pointer (&acc->minor);
  out->data = g_steal_pointer (&acc->val);
  gm_csr_canonicalize (out);
}

static gboolean
mtx_entry_error (GmTextIOLineSource  *ls,
                 const char          *line,
                 gsize                len,
                 const char          *what,
                 GError             **error)
{
  g_autofree char *shown = gm_textio_excerpt (line, len);

  g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
               "%s: line %" G_GINT64_FORMAT ": %s in '%s'", ls->name, ls->line_no, what, shown);
  return FALSE;
}

/* Reads the entries after the size line into @out.  With @by_column the
 * CSR rows are the file's columns (for a 10x file: barcodes), otherwise the
 * file's rows. */
static gboolean
mtx_read_entries (GmTextIOLineSource  *ls,
                  const MtxHeader     *h,
                  gboolean             by_column,
                  GmCsr               *out,
                  GError             **error)
{
  Accumulator acc = { 0 };
  const GmReadOptions *opts = ls->opts;
  /* "1 1\n" / "1 1 1\n" are the shortest entry lines; the last one may lack
   * its "\n". */
  guint64 min_entry_bytes = h->field == MTX_PATTERN ? 4 : 6;
  guint64 most = (line_source_bytes_left (ls, TRUE) + 1) / min_entry_bytes;
  guint64 likely = (line_source_bytes_left (ls, FALSE) + 1) / min_entry_bytes;
  int64_t mult = h->symmetry == MTX_GENERAL ? 1 : 2;
  int64_t cap, seen = 0;
  const char *line;
  gsize len;
  int r;

  /* The size line is not trusted for allocation: allocate what the input
   * can hold (a wrong count is reported when the entries run out), and for
   * gzip input only what it probably holds, growing when needed. */
  acc.n_major = by_column ? h->n_cols : h->n_rows;
  acc.max_cap = (int64_t) MIN ((guint64) h->nnz, most) * mult;
  cap = (int64_t) MIN ((guint64) acc.max_cap, likely * (guint64) mult);
  if (!gm_textio_check_memory (opts, ls->name, accumulator_bytes (&acc, cap), "the matrix", error))
    return FALSE;
  acc.cap = cap;
  acc.counts = g_new0 (int64_t, acc.n_major + 1);
  acc.minor = g_new (int32_t, MAX (cap, 1));
  acc.val = g_new (float, MAX (cap, 1));

  while ((r = gm_textio_line_source_next (ls, &line, &len, error)) > 0)
    {
      const char *end = line + len;
      const char *p = skip_blanks (line, end), *e;
      int64_t i, j;
      double v = 1.0;

      if (p == end || *p == '%')
        continue;
      if (seen == h->nnz)
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: line %" G_GINT64_FORMAT ": more entries than the %" G_GINT64_FORMAT
                       " declared on line %" G_GINT64_FORMAT,
                       ls->name, ls->line_no, h->nnz, h->size_line);
          goto fail;
        }

      e = token_end (p, end);
      if (!parse_count (p, e, &i))
        {
          mtx_entry_error (ls, line, len, "the row index is not a positive integer", error);
          goto fail;
        }
      p = skip_blanks (e, end);
      e = token_end (p, end);
      if (!parse_count (p, e, &j))
        {
          mtx_entry_error (ls, line, len, p == e ? "the column index is missing"
                           : "the column index is not a positive integer", error);
          goto fail;
        }
      p = skip_blanks (e, end);
      if (h->field != MTX_PATTERN)
        {
          const char *stop;

          e = token_end (p, end);
          if (p == e)
            {
              mtx_entry_error (ls, line, len, "the value is missing", error);
              goto fail;
            }
          if (!gm_textio_parse_number_fast (p, e, &v, &stop) || stop != e)
            {
              GmTextIONumberStatus st = gm_textio_parse_number (p, e, &v);
              if (st != GM_TEXTIO_NUMBER_OK)
                {
                  mtx_entry_error (ls, line, len,
                                   st == GM_TEXTIO_NUMBER_NOT_FINITE ? "NaN or infinite value"
                                   : st == GM_TEXTIO_NUMBER_RANGE ? "value outside the float32 range"
                                   : "the value is not a number", error);
                  goto fail;
                }
            }
          p = skip_blanks (e, end);
        }
      if (p != end)
        {
          mtx_entry_error (ls, line, len, "unexpected text after the entry", error);
          goto fail;
        }
      if (i < 1 || i > h->n_rows)
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: line %" G_GINT64_FORMAT ": row index %" G_GINT64_FORMAT " outside 1…%" G_GINT64_FORMAT,
                       ls->name, ls->line_no, i, h->n_rows);
          goto fail;
        }
      if (j < 1 || j > h->n_cols)
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: line %" G_GINT64_FORMAT ": column index %" G_GINT64_FORMAT " outside 1…%" G_GINT64_FORMAT,
                       ls->name, ls->line_no, j, h->n_cols);
          goto fail;
        }
      i--;
      j--;
      if (!accumulator_add (&acc, ls, (int32_t) (by_column ? j : i), (int32_t) (by_column ? i : j),
                            (float) v, error))
        goto fail;
      if (h->symmetry != MTX_GENERAL && i != j &&
          !accumulator_add (&acc, ls, (int32_t) (by_column ? i : j), (int32_t) (by_column ? j : i),
                            (float) (h->symmetry == MTX_SKEW_SYMMETRIC ? -v : v), error))
        goto fail;
      seen++;
      if ((seen & 0xFFFF) == 0)
        {
          if (gm_textio_is_cancelled (opts))
            {
              g_set_error (error, GM_ERROR, GM_ERROR_CANCELLED, "%s: reading was cancelled", ls->name);
              goto fail;
            }
          if (opts != NULL && opts->progress != NULL)
            opts->progress (gm_textio_line_source_fraction (ls), "Reading Matrix Market", opts->progress_data);
        }
    }
  if (r < 0)
    goto fail;
  if (seen < h->nnz)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: line %" G_GINT64_FORMAT ": the file ends after %" G_GINT64_FORMAT
                   " entries, but line %" G_GINT64_FORMAT " declares %" G_GINT64_FORMAT,
                   ls->name, ls->line_no, seen, h->size_line, h->nnz);
      goto fail;
    }
  accumulator_finish (&acc, by_column ? h->n_rows : h->n_cols, out);
  return TRUE;

fail:
  accumulator_clear (&acc);
  return FALSE;
}

gboolean
gm_parse_mtx_buffer (const char  *name,
                     const char  *buf,
                     gsize        len,
                     GmCsr       *out_file_rows_x_cols,
                     GError     **error)
{
  GmTextIOLineSource ls;
  MtxHeader h;
  gboolean ok;

  g_return_val_if_fail (out_file_rows_x_cols != NULL, FALSE);

  memset (out_file_rows_x_cols, 0, sizeof *out_file_rows_x_cols);
  if (name == NULL)
    name = "(buffer)";
  gm_textio_line_source_init_memory (&ls, name, buf, len, NULL);
  ok = mtx_read_header (&ls, &h, error) &&
       mtx_read_entries (&ls, &h, FALSE, out_file_rows_x_cols, error);
  gm_textio_line_source_close (&ls);
  return ok;
}

/* ---------------------------------------------------------- the folder */

/* The lines of a small tab-separated file, each split at tabs (GStrv).
 * Blank lines at the end are ignored; elsewhere they are an error. */
static GPtrArray *
read_tsv_lines (const char           *path,
                const GmReadOptions  *opts,
                GError              **error)
{
  GmTextIOLineSource ls;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  int64_t blank_line = 0;
  const char *line;
  gsize len;
  int r;

  if (!gm_textio_line_source_open (&ls, path, opts, 1 << 20, error))
    return NULL;
  while ((r = gm_textio_line_source_next (&ls, &line, &len, error)) > 0)
    {
      g_autofree char *copy = NULL;

      if (ls.line_no == 1)
        gm_textio_skip_bom (&line, &len);
      if (len == 0)
        {
          if (blank_line == 0)
            blank_line = ls.line_no;
          continue;
        }
      if (blank_line != 0)
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: line %" G_GINT64_FORMAT ": empty line",
                       path, blank_line);
          gm_textio_line_source_close (&ls);
          return NULL;
        }
      if ((rows->len & 0xFFFF) == 0xFFFF && gm_textio_is_cancelled (opts))
        {
          g_set_error (error, GM_ERROR, GM_ERROR_CANCELLED, "%s: reading was cancelled", path);
          gm_textio_line_source_close (&ls);
          return NULL;
        }
      copy = g_strndup (line, len);
      g_ptr_array_add (rows, g_strsplit (copy, "\t", -1));
    }
  gm_textio_line_source_close (&ls);
  if (r < 0)
    return NULL;
  return g_steal_pointer (&rows);
}

/* The first of @names that exists in @dir, or NULL. */
static char *
find_file (const char  *dir,
           const char **names)
{
  for (guint i = 0; names[i] != NULL; i++)
    {
      char *p = g_build_filename (dir, names[i], NULL);
      if (g_file_test (p, G_FILE_TEST_IS_REGULAR))
        return p;
      g_free (p);
    }
  return NULL;
}

static const char *
field_or (char       **fields,
          guint        i,
          const char  *fallback)
{
  for (guint k = 0; k <= i; k++)
    if (fields[k] == NULL)
      return fallback;
  return fields[i];
}

GmDataset *
gm_read_10x_mtx (const char           *dir_or_file,
                 const GmReadOptions  *opts,
                 GError              **error)
{
  static const char *matrix_names[] = { "matrix.mtx.gz", "matrix.mtx", NULL };
  static const char *feature_names[] = { "features.tsv.gz", "features.tsv", "genes.tsv.gz", "genes.tsv", NULL };
  static const char *barcode_names[] = { "barcodes.tsv.gz", "barcodes.tsv", NULL };
  GmReadOptions defaults;
  g_autofree char *dir = NULL;
  g_autofree char *matrix_path = NULL;
  g_autofree char *features_path = NULL;
  g_autofree char *barcodes_path = NULL;
  g_autoptr(GPtrArray) features = NULL;
  g_autoptr(GPtrArray) barcodes = NULL;
  g_autoptr(GmDataset) ds = NULL;
  g_autofree gboolean *keep = NULL;
  g_autofree char *features_base = NULL;
  g_autofree char *matrix_base = NULL;
  GmTextIOLineSource ls;
  MtxHeader h;
  gboolean swapped = FALSE, legacy, any_expression = FALSE;
  int64_t n_features, n_barcodes, n_kept = 0;

  if (opts == NULL)
    {
      gm_read_options_init (&defaults);
      opts = &defaults;
    }
  if (g_file_test (dir_or_file, G_FILE_TEST_IS_DIR))
    dir = g_strdup (dir_or_file);
  else if (g_file_test (dir_or_file, G_FILE_TEST_IS_REGULAR))
    dir = g_path_get_dirname (dir_or_file);
  else
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: no such file or folder", dir_or_file);
      return NULL;
    }

  matrix_path = find_file (dir, matrix_names);
  features_path = find_file (dir, feature_names);
  barcodes_path = find_file (dir, barcode_names);
  if (matrix_path == NULL || features_path == NULL || barcodes_path == NULL)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: not a 10x Matrix Market folder: %s is missing", dir,
                   matrix_path == NULL ? "matrix.mtx(.gz)"
                   : features_path == NULL ? "features.tsv(.gz) or genes.tsv(.gz)" : "barcodes.tsv(.gz)");
      return NULL;
    }
  features_base = g_path_get_basename (features_path);
  matrix_base = g_path_get_basename (matrix_path);
  legacy = g_str_has_prefix (features_base, "genes.");

  features = read_tsv_lines (features_path, opts, error);
  if (features == NULL)
    return NULL;
  barcodes = read_tsv_lines (barcodes_path, opts, error);
  if (barcodes == NULL)
    return NULL;
  n_features = features->len;
  n_barcodes = barcodes->len;

  if (!gm_textio_line_source_open (&ls, matrix_path, opts, 1 << 20, error))
    return NULL;
  if (!mtx_read_header (&ls, &h, error))
    {
      gm_textio_line_source_close (&ls);
      return NULL;
    }
  if (h.n_rows == n_features && h.n_cols == n_barcodes)
    swapped = FALSE;
  else if (h.n_rows == n_barcodes && h.n_cols == n_features)
    swapped = TRUE;
  else
    {
      g_autofree char *bb = g_path_get_basename (barcodes_path);
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: line %" G_GINT64_FORMAT ": the matrix is %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT
                   ", but %s has %" G_GINT64_FORMAT " lines and %s has %" G_GINT64_FORMAT,
                   matrix_path, h.size_line, h.n_rows, h.n_cols, features_base, n_features, bb, n_barcodes);
      gm_textio_line_source_close (&ls);
      return NULL;
    }

  ds = gm_dataset_new ();
  /* The dataset is barcodes × features: CSR rows are the file's columns,
   * or its rows when the file is stored the other way round. */
  if (!mtx_read_entries (&ls, &h, !swapped, &ds->X, error))
    {
      gm_textio_line_source_close (&ls);
      return NULL;
    }
  gm_textio_line_source_close (&ls);
  if (swapped)
    gm_dataset_add_note (ds, "%s is stored barcodes × features (%" G_GINT64_FORMAT " × %" G_GINT64_FORMAT
                         "), the transpose of the 10x layout; read it transposed",
                         matrix_base, h.n_rows, h.n_cols);

  /* Which features to keep. */
  keep = g_new0 (gboolean, MAX (n_features, 1));
  for (int64_t j = 0; j < n_features; j++)
    {
      const char *type = field_or (g_ptr_array_index (features, j), 2, GENE_EXPRESSION);
      if (strcmp (type, GENE_EXPRESSION) == 0)
        any_expression = TRUE;
    }
  for (int64_t j = 0; j < n_features; j++)
    {
      const char *type = field_or (g_ptr_array_index (features, j), 2, GENE_EXPRESSION);
      keep[j] = opts->all_features || !any_expression || strcmp (type, GENE_EXPRESSION) == 0;
      n_kept += keep[j] ? 1 : 0;
    }
  if (!any_expression && n_features > 0)
    gm_dataset_add_note (ds, "no '%s' features: kept all %" G_GINT64_FORMAT " features",
                         GENE_EXPRESSION, n_features);
  else if (n_kept < n_features)
    {
      g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
      g_autoptr(GPtrArray) order = g_ptr_array_new ();
      g_autoptr(GString) note = g_string_new (NULL);

      for (int64_t j = 0; j < n_features; j++)
        {
          const char *type = field_or (g_ptr_array_index (features, j), 2, GENE_EXPRESSION);
          gpointer c;

          if (keep[j])
            continue;
          if (!g_hash_table_lookup_extended (counts, type, NULL, &c))
            {
              g_ptr_array_add (order, (gpointer) type);
              c = GINT_TO_POINTER (0);
            }
          g_hash_table_insert (counts, (gpointer) type, GINT_TO_POINTER (GPOINTER_TO_INT (c) + 1));
        }
      g_string_append_printf (note, "kept %" G_GINT64_FORMAT " '%s' features; left out ", n_kept,
                              GENE_EXPRESSION);
      for (guint k = 0; k < order->len; k++)
        {
          const char *type = g_ptr_array_index (order, k);
          g_autofree char *shown = g_utf8_make_valid (type, -1);
          g_string_append_printf (note, "%s%d '%s'", k > 0 ? ", " : "",
                                  GPOINTER_TO_INT (g_hash_table_lookup (counts, type)), shown);
        }
      gm_dataset_add_note (ds, "%s", note->str);
      gm_csr_select_columns (&ds->X, keep);
    }

  ds->gene_names = g_new (char *, MAX (n_kept, 1));
  ds->gene_ids = g_new (char *, MAX (n_kept, 1));
  {
    int64_t out = 0;
    char **types = opts->all_features ? g_new (char *, MAX (n_kept, 1)) : NULL;

    for (int64_t j = 0; j < n_features; j++)
      {
        char **f = g_ptr_array_index (features, j);
        if (!keep[j])
          continue;
        ds->gene_ids[out] = g_strdup (f[0]);
        ds->gene_names[out] = g_strdup (field_or (f, 1, f[0]));
        if (types != NULL)
          types[out] = (char *) field_or (f, 2, GENE_EXPRESSION);
        out++;
      }
    if (types != NULL)
      {
        g_ptr_array_add (ds->var, gm_column_categorical_from_strings ("feature_types", types, n_kept));
        g_free (types);
      }
  }
  ds->cell_names = g_new (char *, MAX (n_barcodes, 1));
  for (int64_t i = 0; i < n_barcodes; i++)
    {
      char **f = g_ptr_array_index (barcodes, i);
      ds->cell_names[i] = g_strdup (f[0]);
    }

  ds->path = g_strdup (dir);
  ds->format = GM_FORMAT_10X_MTX;
  ds->format_detail = g_strdup_printf ("%s layout (%s, %s, %s values)",
                                       legacy ? "Cell Ranger < 3" : "Cell Ranger ≥ 3",
                                       matrix_base, features_base, mtx_field_name (h.field));
  if (opts->progress != NULL)
    opts->progress (1.0, "Reading Matrix Market", opts->progress_data);
  return g_steal_pointer (&ds);
}

/* ---------------------------------------------------------------- writer */

/* Writes a TSV field: tabs and line breaks, which the format cannot hold,
 * become spaces. */
static gboolean
sink_field (GmTextIOSink  *s,
            const char    *text,
            GError       **error)
{
  gsize n = strlen (text);
  char *p = gm_textio_sink_reserve (s, n + 1, error);

  if (p == NULL)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    p[i] = (text[i] == '\t' || text[i] == '\n' || text[i] == '\r') ? ' ' : text[i];
  s->len += n;
  return TRUE;
}

static gboolean
write_matrix (const GmDataset       *ds,
              const char            *file,
              const char            *shown,
              int                    level,
              const GmWriteOptions  *opts,
              GError               **error)
{
  const GmCsr *X = &ds->X;
  int64_t nnz = 0;
  gboolean integral = TRUE;
  GmTextIOSink s;
  char *p;
  gboolean ok = FALSE;

  for (int64_t k = 0; k < X->indptr[X->n_rows]; k++)
    {
      float v = X->data[k];
      if (v == 0.0f)
        continue;
      nnz++;
      if (integral && !(v == floorf (v) && fabsf (v) <= 9.0e15f))
        integral = FALSE;
    }

  if (!gm_textio_sink_open (&s, file, shown, TRUE, level, 1 << 20, error))
    return FALSE;
  if ((p = gm_textio_sink_reserve (&s, 512, error)) == NULL)
    goto out;
  s.len += (gsize) g_snprintf (p, 512,
                               "%%%%MatrixMarket matrix coordinate %s general\n"
                               "%% written by %s %s\n"
                               "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n",
                               integral ? "integer" : "real", PACKAGE_NAME, PACKAGE_VERSION,
                               X->n_cols, X->n_rows, nnz);

  for (int64_t r = 0; r < X->n_rows; r++)
    {
      if ((r & 1023) == 0)
        {
          if (gm_textio_write_cancelled (opts, shown, error))
            goto out;
          if (opts != NULL && opts->progress != NULL)
            opts->progress ((double) r / (double) X->n_rows, "Writing Matrix Market", opts->progress_data);
        }
      for (int64_t k = X->indptr[r]; k < X->indptr[r + 1]; k++)
        {
          if (X->data[k] == 0.0f)
            continue;
          if ((p = gm_textio_sink_reserve (&s, 80, error)) == NULL)
            goto out;
          {
            char *q = gm_textio_format_uint (p, (guint64) X->indices[k] + 1);
            *q++ = ' ';
            q = gm_textio_format_uint (q, (guint64) r + 1);
            *q++ = ' ';
            q = gm_textio_format_value (q, X->data[k]);
            *q++ = '\n';
            s.len += (gsize) (q - p);
          }
        }
    }
  ok = TRUE;

out:
  return gm_textio_sink_close (&s, !ok, ok ? error : NULL) && ok;
}

static const char *
feature_type_of (const GmColumn *col,
                 int64_t         j)
{
  if (col == NULL)
    return GENE_EXPRESSION;
  if (col->kind == GM_COLUMN_CATEGORICAL)
    {
      int32_t c = col->codes[j];
      return c >= 0 && c < col->n_categories ? col->categories[c] : GENE_EXPRESSION;
    }
  if (col->kind == GM_COLUMN_STRING && col->strings[j] != NULL)
    return col->strings[j];
  return GENE_EXPRESSION;
}

static gboolean
write_features (const GmDataset  *ds,
                const char       *file,
                const char       *shown,
                int               level,
                GError          **error)
{
  const GmColumn *types = NULL;
  GmTextIOSink s;
  gboolean ok = FALSE;

  for (guint i = 0; i < ds->var->len; i++)
    {
      const GmColumn *col = g_ptr_array_index (ds->var, i);
      if (strcmp (col->name, "feature_types") == 0 && col->length == ds->X.n_cols &&
          (col->kind == GM_COLUMN_CATEGORICAL || col->kind == GM_COLUMN_STRING))
        types = col;
    }

  if (!gm_textio_sink_open (&s, file, shown, TRUE, level, 1 << 20, error))
    return FALSE;
  for (int64_t j = 0; j < ds->X.n_cols; j++)
    {
      char fallback[32];
      const char *name = ds->gene_names != NULL ? ds->gene_names[j] : NULL;
      const char *id = ds->gene_ids != NULL && ds->gene_ids[j] != NULL ? ds->gene_ids[j] : name;

      if (name == NULL)
        {
          g_snprintf (fallback, sizeof fallback, "gene_%" G_GINT64_FORMAT, j);
          name = id = fallback;
        }
      if (!sink_field (&s, id, error) || !gm_textio_sink_append (&s, "\t", 1, error) ||
          !sink_field (&s, name, error) || !gm_textio_sink_append (&s, "\t", 1, error) ||
          !sink_field (&s, feature_type_of (types, j), error) ||
          !gm_textio_sink_append (&s, "\n", 1, error))
        goto out;
    }
  ok = TRUE;

out:
  return gm_textio_sink_close (&s, !ok, ok ? error : NULL) && ok;
}

static gboolean
write_barcodes (const GmDataset  *ds,
                const char       *file,
                const char       *shown,
                int               level,
                GError          **error)
{
  GmTextIOSink s;
  gboolean ok = FALSE;

  if (!gm_textio_sink_open (&s, file, shown, TRUE, level, 1 << 20, error))
    return FALSE;
  for (int64_t i = 0; i < ds->X.n_rows; i++)
    {
      char fallback[32];
      const char *name = ds->cell_names != NULL ? ds->cell_names[i] : NULL;

      if (name == NULL)
        {
          g_snprintf (fallback, sizeof fallback, "cell_%" G_GINT64_FORMAT, i);
          name = fallback;
        }
      if (!sink_field (&s, name, error) || !gm_textio_sink_append (&s, "\n", 1, error))
        goto out;
    }
  ok = TRUE;

out:
  return gm_textio_sink_close (&s, !ok, ok ? error : NULL) && ok;
}

gboolean
gm_write_10x_mtx (const GmDataset       *ds,
                  const char            *dir,
                  const GmWriteOptions  *opts,
                  GError               **error)
{
  GmOutput out;
  g_autofree char *clean = NULL;
  gsize n;
  int level = 4;   /* 4× faster than zlib's default 6, files ~5 % larger */
  struct
  {
    const char *name;
    gboolean  (*write) (const GmDataset *, const char *, const char *, int, GError **);
  } parts[] = {
    { "features.tsv.gz", write_features },
    { "barcodes.tsv.gz", write_barcodes },
  };

  g_return_val_if_fail (ds != NULL, FALSE);
  g_return_val_if_fail (dir != NULL, FALSE);

  if (ds->X.indptr == NULL)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE, "%s: the dataset has no matrix to write", dir);
      return FALSE;
    }
  clean = g_strdup (dir);
  n = strlen (clean);
  while (n > 1 && clean[n - 1] == G_DIR_SEPARATOR)
    clean[--n] = '\0';
  if (opts != NULL && opts->compression >= 1 && opts->compression <= 9)
    level = opts->compression;

  if (!gm_output_begin (&out, clean, TRUE, error))
    return FALSE;

  {
    g_autofree char *file = g_build_filename (out.tmp_path, "matrix.mtx.gz", NULL);
    g_autofree char *shown = g_build_filename (clean, "matrix.mtx.gz", NULL);
    if (!write_matrix (ds, file, shown, level, opts, error))
      {
        gm_output_abort (&out);
        return FALSE;
      }
  }
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      g_autofree char *file = g_build_filename (out.tmp_path, parts[i].name, NULL);
      g_autofree char *shown = g_build_filename (clean, parts[i].name, NULL);
      if (!parts[i].write (ds, file, shown, level, error))
        {
          gm_output_abort (&out);
          return FALSE;
        }
    }
  if (gm_textio_write_cancelled (opts, clean, error))
    {
      gm_output_abort (&out);
      return FALSE;
    }
  if (!gm_output_commit (&out, error))
    return FALSE;
  if (opts != NULL && opts->progress != NULL)
    opts->progress (1.0, "Writing Matrix Market", opts->progress_data);
  return TRUE;
}
