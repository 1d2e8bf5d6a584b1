/* gm-text.c — delimited text matrices (CSV/TSV, plain or gzip-compressed)
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reading
 * -------
 * The first non-blank line is the header.  Its first field is the corner
 * cell (empty, "" or a label such as "gene"); a header with one field fewer
 * than the data rows has no corner, and then every header field labels a
 * value column.  Every data row holds a label and then numbers.  Fields may
 * be wrapped in double quotes ("" inside quotes is one quote; a quoted label
 * may even span lines).  The delimiter is ',' or TAB: the caller may give it,
 * otherwise the one that occurs more often in the header wins (ties and
 * header lines without either fall back to the file extension).  CRLF line
 * ends, a UTF-8 byte order mark, a missing final newline and blank lines are
 * all accepted.
 *
 * The file is read in one streaming pass into a CSR matrix (file rows ×
 * file columns, non-zeros only); nothing is known about its size beforehand,
 * so the arrays grow geometrically and every large growth step is checked
 * against the memory budget.
 *
 * Orientation (GM_ORIENT_AUTO).  Text files do not record whether rows are
 * cells or genes.  The rule, in order:
 *   1. a corner label gene, genes, gene_id, gene_ids, gene_name,
 *      gene_symbol, symbol, feature, features or id (any case) means rows
 *      are genes; a corner label cell, cells, barcode, barcodes, cell_id,
 *      cell_ids, cell_barcode or obs_names means rows are cells;
 *   2. otherwise, rows are genes when at least half of the column labels look
 *      like cell barcodes (only A/C/G/T, at least 12 of them, optionally a
 *      "sample:" prefix and a "-1"/"_1"/"x" suffix, or containing "cell")
 *      and fewer than half of the row labels do; or when at least half of
 *      the row labels are Ensembl gene ids (ENSG…, ENSMUSG…, ENS*G + digits)
 *      and fewer than half of the column labels are;
 *   3. otherwise rows are cells (the convention of anndata and of our
 *      fixtures).
 * GM_ORIENT_CELLS_ROWS / GM_ORIENT_GENES_ROWS skip the guess.  What was
 * decided, and why, is recorded as a note on the dataset.
 *
 * Errors name the input and the line: "PATH: line N: …".
 *
 * Writing
 * -------
 * Dense text, cells × genes: a header with an empty corner and the gene
 * names, then one line per cell.  Labels are quoted only when they hold a
 * delimiter (',' or TAB, whichever is used), a quote or a line break.  Integral values are written without
 * decimals; others with the fewest significant digits (6…9) that read back
 * as the same float32.  A path ending in ".gz" is gzip-compressed (level
 * opts->compression when it is 1…9, else 1: dense text is large and its
 * runs of zeros compress well even at the fastest level).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "gm-textio.h"

/* -------------------------------------------------------------- numbers */

/* Everything gm_textio_parse_number_fast leaves: surrounding blanks and
 * quotes, exponents, long mantissas. */
static GmTextIONumberStatus
parse_number_slow (const char *p,
                   const char *end,
                   double     *out)
{
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
    end--;
  if (end - p >= 2 && *p == '"' && end[-1] == '"')
    {
      p++;
      end--;
      while (p < end && *p == ' ')
        p++;
      while (end > p && end[-1] == ' ')
        end--;
    }
  return gm_textio_parse_number (p, end, out);
}

/* ---------------------------------------------------------------- parser */

typedef struct
{
  const char          *name;
  const GmReadOptions *opts;
  GmTextIOLineSource   ls;
  char                 delim;
  gboolean             have_header;
  int64_t              header_line;
  GPtrArray           *header;       /* char*, as in the file */
  gboolean             has_corner;
  int64_t              n_fields;     /* per data row, 0 until the first one */
  int64_t              n_values;     /* value columns */
  GPtrArray           *row_labels;   /* char* */
  int64_t             *indptr;
  int64_t              indptr_cap;
  int32_t             *indices;
  float               *data;
  int64_t              nnz;
  int64_t              cap;
} TextParser;

static void
text_parser_clear (TextParser *tp)
{
  gm_textio_line_source_close (&tp->ls);
  g_clear_pointer (&tp->header, g_ptr_array_unref);
  g_clear_pointer (&tp->row_labels, g_ptr_array_unref);
  g_clear_pointer (&tp->indptr, g_free);
  g_clear_pointer (&tp->indices, g_free);
  g_clear_pointer (&tp->data, g_free);
}

static guint64
text_parser_bytes (const TextParser *tp,
                   int64_t           entries,
                   int64_t           rows)
{
  return (guint64) entries * (sizeof (int32_t) + sizeof (float)) +
         (guint64) rows * sizeof (int64_t);
}

static gboolean
grow_entries (TextParser  *tp,
              GError     **error)
{
  int64_t bigger = tp->cap < 4096 ? 4096 : tp->cap * 2;

  if (!gm_textio_check_memory (tp->opts, tp->name, text_parser_bytes (tp, bigger, tp->indptr_cap),
                               "the matrix", error))
    return FALSE;
  tp->indices = g_renew (int32_t, tp->indices, bigger);
  tp->data = g_renew (float, tp->data, bigger);
  tp->cap = bigger;
  return TRUE;
}

static gboolean
grow_rows (TextParser  *tp,
           GError     **error)
{
  int64_t bigger = tp->indptr_cap < 1024 ? 1024 : tp->indptr_cap * 2;

  if (!gm_textio_check_memory (tp->opts, tp->name, text_parser_bytes (tp, tp->cap, bigger),
                               "the matrix", error))
    return FALSE;
  tp->indptr = g_renew (int64_t, tp->indptr, bigger);
  tp->indptr_cap = bigger;
  return TRUE;
}

static const char *
skip_quoted (const char *p,
             const char *end)
{
  /* p is just after an opening quote; returns the byte after the closing one,
   * or end when it is not closed. */
  for (;;)
    {
      const char *q = memchr (p, '"', (gsize) (end - p));
      if (q == NULL)
        return end;
      if (q + 1 < end && q[1] == '"')
        {
          p = q + 2;
          continue;
        }
      return q + 1;
    }
}

/* The end of the field that starts at p (the delimiter, or end). */
static const char *
field_end (const char *p,
           const char *end,
           char        delim)
{
  const char *q;

  if (p < end && *p == '"')
    p = skip_quoted (p + 1, end);
  q = p < end ? memchr (p, delim, (gsize) (end - p)) : NULL;
  return q != NULL ? q : end;
}

/* Number of fields in [p, end] (at least one). */
static int64_t
count_fields (const char *p,
              const char *end,
              char        delim)
{
  int64_t n = 1;

  for (;;)
    {
      p = field_end (p, end, delim);
      if (p >= end)
        return n;
      n++;
      p++;
    }
}

/* Reads the field at *off of the current line into *out, unquoting it; a
 * quoted field may continue on the next lines.  Leaves *off at the
 * delimiter after the field, or at *len. */
static gboolean
read_label (TextParser   *tp,
            const char  **line,
            gsize        *len,
            gsize        *off,
            char        **out,
            GError      **error)
{
  const char *l = *line;
  gsize i = *off;
  GString *s;

  if (i >= *len || l[i] != '"')
    {
      const char *d = i < *len ? memchr (l + i, tp->delim, *len - i) : NULL;
      gsize e = d != NULL ? (gsize) (d - l) : *len;

      *out = g_strndup (l + i, e - i);
      *off = e;
      return TRUE;
    }

  s = g_string_new (NULL);
  i++;
  for (;;)
    {
      const char *q = i < *len ? memchr (l + i, '"', *len - i) : NULL;

      if (q == NULL)
        {
          gsize old_len = *len;
          int r;

          g_string_append_len (s, l + i, (gssize) (*len - i));
          r = gm_textio_line_source_extend (&tp->ls, line, len, error);
          if (r < 0)
            {
              g_string_free (s, TRUE);
              return FALSE;
            }
          if (r == 0)
            {
              g_string_free (s, TRUE);
              g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                           "%s: line %" G_GINT64_FORMAT ": a quoted field is not closed before the end of the file",
                           tp->name, tp->ls.line_no);
              return FALSE;
            }
          /* The line break itself belongs to the label: continue from where
           * the old line ended, before its stripped "\r\n". */
          l = *line;
          i = old_len;
          continue;
        }
      g_string_append_len (s, l + i, q - (l + i));
      i = (gsize) (q - l) + 1;
      if (i < *len && l[i] == '"')
        {
          g_string_append_c (s, '"');
          i++;
          continue;
        }
      break;
    }
  /* Anything between the closing quote and the delimiter is kept as is. */
  {
    const char *d = i < *len ? memchr (l + i, tp->delim, *len - i) : NULL;
    gsize e = d != NULL ? (gsize) (d - l) : *len;

    g_string_append_len (s, l + i, (gssize) (e - i));
    *off = e;
  }
  *out = g_string_free (s, FALSE);
  return TRUE;
}

static char
detect_delimiter (const char *line,
                  gsize       len,
                  char        fallback)
{
  const char *p = line, *end = line + len;
  int64_t tabs = 0, commas = 0;

  while (p < end)
    {
      if (*p == '"')
        {
          p = skip_quoted (p + 1, end);
          continue;
        }
      if (*p == '\t')
        tabs++;
      else if (*p == ',')
        commas++;
      p++;
    }
  if (tabs > commas)
    return '\t';
  if (commas > tabs)
    return ',';
  return fallback;
}

static gboolean
parse_header (TextParser  *tp,
              const char  *line,
              gsize        len,
              char         fallback_delim,
              GError     **error)
{
  gsize off = 0;

  if (tp->delim == 0)
    tp->delim = detect_delimiter (line, len, fallback_delim);
  tp->header = g_ptr_array_new_with_free_func (g_free);
  tp->header_line = tp->ls.line_no;
  for (;;)
    {
      char *label;

      if (!read_label (tp, &line, &len, &off, &label, error))
        return FALSE;
      g_ptr_array_add (tp->header, label);
      if (off >= len)
        break;
      off++;
    }
  tp->have_header = TRUE;
  return TRUE;
}

static const char *
value_label (const TextParser *tp,
             int64_t           j)
{
  int64_t h = tp->has_corner ? j + 1 : j;

  if (h >= 0 && h < (int64_t) tp->header->len)
    return g_ptr_array_index (tp->header, h);
  return "";
}

static gboolean
ragged_error (TextParser  *tp,
              int64_t      found,
              GError     **error)
{
  g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
               "%s: line %" G_GINT64_FORMAT ": expected %" G_GINT64_FORMAT " fields, found %" G_GINT64_FORMAT,
               tp->name, tp->ls.line_no, tp->n_fields, found);
  return FALSE;
}

static gboolean
parse_row (TextParser  *tp,
           const char  *line,
           gsize        len,
           GError     **error)
{
  gsize off = 0;
  char *label = NULL;
  const char *p, *end;
  const char delim = tp->delim;
  int64_t j = 0;

  if (!read_label (tp, &line, &len, &off, &label, error))
    return FALSE;
  g_ptr_array_add (tp->row_labels, label);
  end = line + len;

  if (tp->n_fields == 0)
    {
      int64_t found = off < len ? 1 + count_fields (line + off + 1, end, delim) : 1;
      int64_t n_header = tp->header->len;

      if (found == n_header)
        tp->has_corner = TRUE;
      else if (found == n_header + 1 && *(const char *) g_ptr_array_index (tp->header, 0) != '\0')
        tp->has_corner = FALSE;   /* an empty first header field is a corner */
      else
        {
          tp->n_fields = n_header;
          return ragged_error (tp, found, error);
        }
      tp->n_fields = found;
      tp->n_values = found - 1;
      if (tp->n_values == 0)
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: line %" G_GINT64_FORMAT ": the rows hold a label but no values",
                       tp->name, tp->ls.line_no);
          return FALSE;
        }
      if (tp->n_values > INT32_MAX)
        {
          g_set_error (error, GM_ERROR, GM_ERROR_TOO_LARGE,
                       "%s: line %" G_GINT64_FORMAT ": more than 2³¹ columns", tp->name, tp->ls.line_no);
          return FALSE;
        }
    }

  if (off < len)
    {
      const int64_t n_values = tp->n_values;

      p = line + off + 1;
      for (;;)
        {
          double v;
          const char *q;

          if (G_UNLIKELY (j == n_values))
            return ragged_error (tp, 1 + j + count_fields (p, end, delim), error);

          if (p + 1 < end && p[0] == '0' && p[1] == delim)
            {
              /* The most common field of all. */
              j++;
              p += 2;
              continue;
            }
          if (G_UNLIKELY (!gm_textio_parse_number_fast (p, end, &v, &q) || (q < end && *q != delim)))
            {
              GmTextIONumberStatus st;

              q = field_end (p, end, delim);
              st = parse_number_slow (p, q, &v);
              if (st != GM_TEXTIO_NUMBER_OK)
                {
                  int64_t found = 1 + j + count_fields (p, end, delim);
                  g_autofree char *text = gm_textio_excerpt (p, (gsize) (q - p));
                  g_autofree char *col = g_utf8_make_valid (value_label (tp, j), -1);

                  if (found != tp->n_fields)
                    return ragged_error (tp, found, error);
                  g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                               "%s: line %" G_GINT64_FORMAT ": column %" G_GINT64_FORMAT " ('%s'): '%s' is %s",
                               tp->name, tp->ls.line_no, j + 2, col, text,
                               st == GM_TEXTIO_NUMBER_NOT_FINITE
                               ? "not a finite number (NaN and infinity are not accepted)"
                               : st == GM_TEXTIO_NUMBER_RANGE ? "outside the float32 range" : "not a number");
                  return FALSE;
                }
            }
          /* Test the float: 1e-75 is not zero, but becomes zero. */
          if ((float) v != 0.0f)
            {
              if (G_UNLIKELY (tp->nnz == tp->cap) && !grow_entries (tp, error))
                return FALSE;
              tp->indices[tp->nnz] = (int32_t) j;
              tp->data[tp->nnz] = (float) v;
              tp->nnz++;
            }
          j++;
          if (q >= end)
            break;
          p = q + 1;
        }
    }
  if (j != tp->n_values)
    return ragged_error (tp, 1 + j, error);

  if (G_UNLIKELY ((int64_t) tp->row_labels->len + 1 > tp->indptr_cap) && !grow_rows (tp, error))
    return FALSE;
  tp->indptr[tp->row_labels->len] = tp->nnz;
  return TRUE;
}

/* ---------------------------------------------------------- orientation */

static gboolean
looks_like_barcode (const char *s)
{
  const char *colon = strrchr (s, ':');
  gsize run = 0;

  if (strstr (s, "cell") != NULL || strstr (s, "Cell") != NULL || strstr (s, "CELL") != NULL)
    return TRUE;
  if (colon != NULL)
    s = colon + 1;
  while (s[run] == 'A' || s[run] == 'C' || s[run] == 'G' || s[run] == 'T')
    run++;
  if (run < 12)
    return FALSE;
  s += run;
  if (*s == '\0' || (s[0] == 'x' && s[1] == '\0'))
    return TRUE;
  if (*s != '-' && *s != '_')
    return FALSE;
  s++;
  if (*s == '\0')
    return FALSE;
  while (g_ascii_isdigit (*s))
    s++;
  return *s == '\0';
}

static gboolean
looks_like_ensembl_gene (const char *s)
{
  int digits = 0;

  if (strncmp (s, "ENS", 3) != 0)
    return FALSE;
  s += 3;
  while (g_ascii_isupper (*s) && *s != 'G')
    s++;
  if (*s != 'G')
    return FALSE;
  s++;
  while (g_ascii_isdigit (*s))
    {
      s++;
      digits++;
    }
  if (digits < 6)
    return FALSE;
  if (*s == '.')
    {
      s++;
      if (!g_ascii_isdigit (*s))
        return FALSE;
      while (g_ascii_isdigit (*s))
        s++;
    }
  return *s == '\0';
}

static double
fraction_of (char       **labels,
             int64_t      n,
             gboolean   (*test) (const char *))
{
  int64_t hits = 0;

  if (n == 0)
    return 0.0;
  for (int64_t i = 0; i < n; i++)
    hits += test (labels[i]) ? 1 : 0;
  return (double) hits / (double) n;
}

/* Decides whether the file's rows are genes; *why explains it. */
static gboolean
rows_are_genes (const char  *corner,
                char       **row_labels,
                int64_t      n_rows,
                char       **col_labels,
                int64_t      n_cols,
                char       **why)
{
  static const char *gene_words[] = {
    "gene", "genes", "gene_id", "gene_ids", "gene_name", "gene_symbol", "symbol",
    "feature", "features", "id",
  };
  static const char *cell_words[] = {
    "cell", "cells", "barcode", "barcodes", "cell_id", "cell_ids", "cell_barcode", "obs_names",
  };
  double rows_bc, cols_bc, rows_ens, cols_ens;

  if (corner != NULL)
    {
      g_autofree char *c = g_strstrip (g_strdup (corner));
      g_autofree char *shown = g_utf8_make_valid (c, -1);

      for (guint i = 0; i < G_N_ELEMENTS (gene_words); i++)
        if (g_ascii_strcasecmp (c, gene_words[i]) == 0)
          {
            *why = g_strdup_printf ("corner label '%s'", shown);
            return TRUE;
          }
      for (guint i = 0; i < G_N_ELEMENTS (cell_words); i++)
        if (g_ascii_strcasecmp (c, cell_words[i]) == 0)
          {
            *why = g_strdup_printf ("corner label '%s'", shown);
            return FALSE;
          }
    }

  rows_bc = fraction_of (row_labels, n_rows, looks_like_barcode);
  cols_bc = fraction_of (col_labels, n_cols, looks_like_barcode);
  if (cols_bc >= 0.5 && rows_bc < 0.5)
    {
      *why = g_strdup ("the column labels look like cell barcodes");
      return TRUE;
    }
  if (rows_bc >= 0.5 && cols_bc < 0.5)
    {
      *why = g_strdup ("the row labels look like cell barcodes");
      return FALSE;
    }
  rows_ens = fraction_of (row_labels, n_rows, looks_like_ensembl_gene);
  cols_ens = fraction_of (col_labels, n_cols, looks_like_ensembl_gene);
  if (rows_ens >= 0.5 && cols_ens < 0.5)
    {
      *why = g_strdup ("the row labels look like Ensembl gene ids");
      return TRUE;
    }
  if (cols_ens >= 0.5 && rows_ens < 0.5)
    {
      *why = g_strdup ("the column labels look like Ensembl gene ids");
      return FALSE;
    }
  *why = g_strdup ("the default for text files; nothing suggested otherwise");
  return FALSE;
}

static void
note_duplicates (GmDataset   *ds,
                 char       **labels,
                 int64_t      n,
                 const char  *what)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  int64_t dups = 0;
  const char *first = NULL;

  for (int64_t i = 0; i < n; i++)
    {
      if (!g_hash_table_add (seen, labels[i]))
        {
          if (first == NULL)
            first = labels[i];
          dups++;
        }
    }
  if (dups > 0)
    {
      g_autofree char *shown = g_utf8_make_valid (first, -1);
      gm_dataset_add_note (ds, "%" G_GINT64_FORMAT " duplicate %s (first: '%s'); kept as they are",
                           dups, what, shown);
    }
}

/* ---------------------------------------------------------- the reading */

static GmDataset *
parse_text (TextParser  *tp,
            char         fallback_delim,
            GError     **error)
{
  g_autoptr(GmDataset) ds = NULL;
  const char *line;
  gsize len;
  int r;
  int64_t n_rows, n_values;
  char **row_labels, **col_labels;
  const char *corner = NULL;
  g_autofree char *why = NULL;
  gboolean genes_rows;
  GmCsr file = { 0 };
  guint progress_tick = 0;

  tp->row_labels = g_ptr_array_new_with_free_func (g_free);
  if (!grow_rows (tp, error))
    return NULL;
  tp->indptr[0] = 0;

  while ((r = gm_textio_line_source_next (&tp->ls, &line, &len, error)) > 0)
    {
      if (tp->ls.line_no == 1)
        gm_textio_skip_bom (&line, &len);
      if (len == 0)
        continue;
      if (!tp->have_header)
        {
          if (!parse_header (tp, line, len, fallback_delim, error))
            return NULL;
          continue;
        }
      if (!parse_row (tp, line, len, error))
        return NULL;
      if ((++progress_tick & 255) == 0)
        {
          if (gm_textio_is_cancelled (tp->opts))
            {
              g_set_error (error, GM_ERROR, GM_ERROR_CANCELLED, "%s: reading was cancelled", tp->name);
              return NULL;
            }
          if (tp->opts != NULL && tp->opts->progress != NULL && (progress_tick & 4095) == 0)
            tp->opts->progress (gm_textio_line_source_fraction (&tp->ls), "Reading text",
                                tp->opts->progress_data);
        }
    }
  if (r < 0)
    return NULL;
  if (!tp->have_header)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: line 1: the file is empty", tp->name);
      return NULL;
    }
  if (tp->row_labels->len == 0)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   "%s: line %" G_GINT64_FORMAT ": the file has a header but no data rows",
                   tp->name, tp->header_line);
      return NULL;
    }
  if (gm_textio_is_cancelled (tp->opts))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_CANCELLED, "%s: reading was cancelled", tp->name);
      return NULL;
    }

  /* Hand the arrays over to the matrix. */
  n_rows = tp->row_labels->len;
  n_values = tp->n_values;
  file.n_rows = n_rows;
  file.n_cols = n_values;
  file.indptr = g_steal_pointer (&tp->indptr);
  file.indices = g_renew (int32_t, g_steal_pointer (&tp->indices), MAX (tp->nnz, 1));
  file.data = g_renew (float, g_steal_pointer (&tp->data), MAX (tp->nnz, 1));
  tp->cap = 0;

  if (tp->has_corner)
    corner = g_ptr_array_index (tp->header, 0);
  row_labels = (char **) g_ptr_array_steal (tp->row_labels, NULL);
  col_labels = g_new (char *, MAX (n_values, 1));
  for (int64_t j = 0; j < n_values; j++)
    col_labels[j] = g_strdup (value_label (tp, j));

  ds = gm_dataset_new ();
  switch (tp->opts != NULL ? tp->opts->orientation : GM_ORIENT_AUTO)
    {
    case GM_ORIENT_CELLS_ROWS:
      genes_rows = FALSE;
      why = g_strdup ("as requested");
      break;
    case GM_ORIENT_GENES_ROWS:
      genes_rows = TRUE;
      why = g_strdup ("as requested");
      break;
    case GM_ORIENT_AUTO:
    default:
      genes_rows = rows_are_genes (corner, row_labels, n_rows, col_labels, n_values, &why);
      break;
    }

  if (genes_rows)
    {
      GError *local = NULL;

      if (!gm_textio_check_memory (tp->opts, tp->name,
                                   text_parser_bytes (tp, file.indptr[n_rows] * 2, n_rows + n_values + 2),
                                   "transposing the matrix", error) ||
          !gm_csr_transpose (&file, &ds->X, &local))
        {
          if (local != NULL)
            g_propagate_prefixed_error (error, local, "%s: ", tp->name);
          gm_csr_clear (&file);
          for (int64_t i = 0; i < n_rows; i++)
            g_free (row_labels[i]);
          g_free (row_labels);
          for (int64_t j = 0; j < n_values; j++)
            g_free (col_labels[j]);
          g_free (col_labels);
          return NULL;
        }
      gm_csr_clear (&file);
      ds->cell_names = col_labels;
      ds->gene_names = row_labels;
      gm_dataset_add_note (ds, "rows are genes (%s); transposed to cells × genes", why);
    }
  else
    {
      ds->X = file;
      ds->cell_names = row_labels;
      ds->gene_names = col_labels;
      gm_dataset_add_note (ds, "rows are cells, columns genes (%s)", why);
    }

  if (!tp->has_corner)
    gm_dataset_add_note (ds, "the header has no corner field: all %" G_GINT64_FORMAT " header fields label columns",
                         n_values);
  note_duplicates (ds, col_labels, n_values, "column labels");
  note_duplicates (ds, row_labels, n_rows, "row labels");

  ds->format = tp->delim == '\t' ? GM_FORMAT_TSV : GM_FORMAT_CSV;
  ds->path = g_strdup (tp->name);
  ds->format_detail = g_strdup_printf ("%s%s, %s",
                                       tp->delim == '\t' ? "tab-separated"
                                       : tp->delim == ',' ? "comma-separated" : "delimited",
                                       tp->ls.gz != NULL && !gzdirect (tp->ls.gz) ? " (gzip)" : "",
                                       genes_rows ? "genes × cells (transposed)" : "cells × genes");
  if (tp->opts != NULL && tp->opts->progress != NULL)
    tp->opts->progress (1.0, "Reading text", tp->opts->progress_data);
  return g_steal_pointer (&ds);
}

static gboolean
delimiter_ok (const char  *name,
              char         delim,
              GError     **error)
{
  if (delim == '"' || delim == '\n' || delim == '\r' || delim == '\0' || delim == '.' ||
      delim == '-' || delim == '+' || g_ascii_isdigit (delim))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE, "%s: unusable delimiter 0x%02x", name, (guchar) delim);
      return FALSE;
    }
  return TRUE;
}

GmDataset *
gm_parse_text_buffer (const char           *name,
                      const char           *buf,
                      gsize                 len,
                      char                  delim,
                      const GmReadOptions  *opts,
                      GError              **error)
{
  TextParser tp = { 0 };
  GmDataset *ds;

  if (name == NULL)
    name = "(buffer)";
  if (delim != 0 && !delimiter_ok (name, delim, error))
    return NULL;
  tp.name = name;
  tp.opts = opts;
  tp.delim = delim;
  gm_textio_line_source_init_memory (&tp.ls, name, buf, len, opts);
  ds = parse_text (&tp, ',', error);
  text_parser_clear (&tp);
  return ds;
}

GmDataset *
gm_read_text (const char           *path,
              const GmReadOptions  *opts,
              GError              **error)
{
  TextParser tp = { 0 };
  GmDataset *ds;
  GStatBuf st;
  g_autofree char *lower = g_ascii_strdown (path, -1);
  char fallback = ',';

  if (g_str_has_suffix (lower, ".gz"))
    lower[strlen (lower) - 3] = '\0';
  if (g_str_has_suffix (lower, ".tsv") || g_str_has_suffix (lower, ".txt") ||
      g_str_has_suffix (lower, ".tab"))
    fallback = '\t';

  if (g_stat (path, &st) == 0 && S_ISDIR (st.st_mode))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: is a folder, not a text file", path);
      return NULL;
    }
  tp.name = path;
  tp.opts = opts;
  if (!gm_textio_line_source_open (&tp.ls, path, opts, 4 << 20, error))
    return NULL;
  ds = parse_text (&tp, fallback, error);
  text_parser_clear (&tp);
  return ds;
}

/* ---------------------------------------------------------------- writer */

/* Labels with the delimiter, a quote or a line break must be quoted; so are
 * those with the other common delimiter, or a reader that detects the
 * delimiter (ours counts them in the header) could pick the wrong one. */
static gboolean
label_needs_quotes (const char *s,
                    char        delim)
{
  for (; *s; s++)
    if (*s == delim || *s == ',' || *s == '\t' || *s == '"' || *s == '\n' || *s == '\r')
      return TRUE;
  return FALSE;
}

static gboolean
write_label (GmTextIOSink  *s,
             const char    *label,
             char           delim,
             GError       **error)
{
  GString *q;
  gboolean ok;

  if (label == NULL)
    return TRUE;
  if (!label_needs_quotes (label, delim))
    return gm_textio_sink_append (s, label, strlen (label), error);
  q = g_string_sized_new (strlen (label) + 8);
  g_string_append_c (q, '"');
  for (const char *c = label; *c; c++)
    {
      if (*c == '"')
        g_string_append_c (q, '"');
      g_string_append_c (q, *c);
    }
  g_string_append_c (q, '"');
  ok = gm_textio_sink_append (s, q->str, q->len, error);
  g_string_free (q, TRUE);
  return ok;
}

static gboolean
write_text_body (GmTextIOSink          *s,
                 const GmDataset       *ds,
                 char                   delim,
                 const GmWriteOptions  *opts,
                 GError               **error)
{
  const GmCsr *X = &ds->X;
  char zeros[4096];
  char *p;

  for (gsize i = 0; i < sizeof zeros; i += 2)
    {
      zeros[i] = delim;
      zeros[i + 1] = '0';
    }

  /* Header: empty corner, then the gene names. */
  for (int64_t j = 0; j < X->n_cols; j++)
    {
      const char *name = ds->gene_names != NULL ? ds->gene_names[j]
                         : ds->gene_ids != NULL ? ds->gene_ids[j] : NULL;
      char fallback[32];

      if (!gm_textio_sink_append (s, &delim, 1, error))
        return FALSE;
      if (name == NULL)
        {
          g_snprintf (fallback, sizeof fallback, "gene_%" G_GINT64_FORMAT, j);
          name = fallback;
        }
      if (!write_label (s, name, delim, error))
        return FALSE;
    }
  if (!gm_textio_sink_append (s, "\n", 1, error))
    return FALSE;

  for (int64_t r = 0; r < X->n_rows; r++)
    {
      int64_t next_col = 0;
      const char *name = ds->cell_names != NULL ? ds->cell_names[r] : NULL;
      char fallback[32];

      if ((r & 63) == 0)
        {
          if (gm_textio_write_cancelled (opts, s->path, error))
            return FALSE;
          if (opts != NULL && opts->progress != NULL && (r & 1023) == 0)
            opts->progress ((double) r / (double) X->n_rows, "Writing text", opts->progress_data);
        }
      if (name == NULL)
        {
          g_snprintf (fallback, sizeof fallback, "cell_%" G_GINT64_FORMAT, r);
          name = fallback;
        }
      if (!write_label (s, name, delim, error))
        return FALSE;

      for (int64_t k = X->indptr[r]; k <= X->indptr[r + 1]; k++)
        {
          int64_t col = k < X->indptr[r + 1] ? X->indices[k] : X->n_cols;
          int64_t gap = col - next_col;

          /* The zeros before this entry. */
          while (gap > 0)
            {
              gsize chunk = (gsize) MIN (gap, (int64_t) sizeof zeros / 2);
              if (!gm_textio_sink_append (s, zeros, chunk * 2, error))
                return FALSE;
              gap -= (int64_t) chunk;
            }
          if (col >= X->n_cols)
            break;
          if ((p = gm_textio_sink_reserve (s, 40, error)) == NULL)
            return FALSE;
          *p = delim;
          s->len += (gsize) (gm_textio_format_value (p + 1, X->data[k]) - p);
          next_col = col + 1;
        }
      if (!gm_textio_sink_append (s, "\n", 1, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
gm_write_text (const GmDataset       *ds,
               const char            *path,
               char                   delim,
               const GmWriteOptions  *opts,
               GError               **error)
{
  GmOutput out;
  GmTextIOSink sink;
  gboolean gzip;
  int level = 1;
  gboolean ok;

  g_return_val_if_fail (ds != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!delimiter_ok (path, delim, error))
    return FALSE;
  if (ds->X.indptr == NULL || ds->X.n_cols > INT32_MAX)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE, "%s: the dataset has no matrix to write", path);
      return FALSE;
    }
  gzip = strlen (path) > 3 && g_ascii_strcasecmp (path + strlen (path) - 3, ".gz") == 0;
  if (opts != NULL && opts->compression >= 1 && opts->compression <= 9)
    level = opts->compression;

  if (!gm_output_begin (&out, path, FALSE, error))
    return FALSE;
  if (!gm_textio_sink_open (&sink, out.tmp_path, path, gzip, level, 4 << 20, error))
    {
      gm_output_abort (&out);
      return FALSE;
    }
  ok = write_text_body (&sink, ds, delim, opts, error);
  ok = gm_textio_sink_close (&sink, !ok, ok ? error : NULL) && ok;
  if (ok && gm_textio_write_cancelled (opts, path, error))
    ok = FALSE;
  if (!ok)
    {
      gm_output_abort (&out);
      return FALSE;
    }
  if (!gm_output_commit (&out, error))
    return FALSE;
  if (opts != NULL && opts->progress != NULL)
    opts->progress (1.0, "Writing text", opts->progress_data);
  return TRUE;
}
