/* gm-textio.h — private helpers of the text-based readers and writers
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What gm-text.c (CSV/TSV) and gm-mtx.c (10x Matrix Market) share: a line
 * reader over a gzFile (plain files are read transparently) or memory, a
 * fast number parser, number formatting, and a buffered output file with
 * optional gzip compression.  Not part of the public API.
 *
 * What runs once per line or per matrix entry (the common case of reading
 * a line, number parsing and formatting, reserving output space) is inline.
 */
#pragma once

#include <math.h>
#include <string.h>
#include <zlib.h>

#include "gm-io.h"

G_BEGIN_DECLS

/* ------------------------------------------------------------- general */

/* Checks an allocation of @needed bytes against the memory budget; small
 * ones are not checked unless opts->memory_limit is set. */
gboolean   gm_textio_check_memory    (const GmReadOptions *opts, const char *name, guint64 needed,
                                      const char *what, GError **error);
gboolean   gm_textio_is_cancelled    (const GmReadOptions *opts);
/* TRUE (with GM_ERROR_CANCELLED set) when opts->cancel asks to stop. */
gboolean   gm_textio_write_cancelled (const GmWriteOptions *opts, const char *path, GError **error);
/* A short, valid UTF-8 rendering of some bytes, for messages. */
char      *gm_textio_excerpt         (const char *s, gsize len);
/* Drops a UTF-8 byte order mark from the start of *@line, if there is one. */
void       gm_textio_skip_bom        (const char **line, gsize *len);

/* --------------------------------------------------------- line source */

/* Lines from a gzFile or from memory.  A line is returned without its "\n"
 * or "\r\n" and stays valid until the next call. */
typedef struct
{
  const char          *name;
  const GmReadOptions *opts;
  gzFile               gz;        /* NULL when reading memory */
  char                *owned;     /* the read buffer (gz) */
  const char          *data;      /* owned, or the caller's memory */
  gsize                size;      /* allocated bytes of owned */
  gsize                end;       /* valid bytes in data */
  gsize                start;     /* the current line */
  gsize                pos;       /* just after the current line */
  gboolean             eof;
  int64_t              line_no;   /* 1-based number of the last line read */
  guint64              file_size; /* bytes on disk (files), 0 when unknown */
} GmTextIOLineSource;

void       gm_textio_line_source_init_memory (GmTextIOLineSource *ls, const char *name, const char *buf,
                                              gsize len, const GmReadOptions *opts);
/* Opens @path with a read buffer of @buffer_size bytes (it grows for longer
 * lines, within the memory budget). */
gboolean   gm_textio_line_source_open        (GmTextIOLineSource *ls, const char *path,
                                              const GmReadOptions *opts, gsize buffer_size,
                                              GError **error);
void       gm_textio_line_source_close       (GmTextIOLineSource *ls);
/* gm_textio_line_source_next when the buffer holds no complete line. */
int        gm_textio_line_source_next_slow   (GmTextIOLineSource *ls, const char **line, gsize *len,
                                              GError **error);
/* Extends the current line through the next line break (for a quoted field
 * that holds a line break).  Same return values as _next. */
int        gm_textio_line_source_extend      (GmTextIOLineSource *ls, const char **line, gsize *len,
                                              GError **error);
/* How much of the input has been read, in [0, 1]. */
double     gm_textio_line_source_fraction    (GmTextIOLineSource *ls);

/* The next line: 1: a line; 0: end of input; -1: error. */
static inline int
gm_textio_line_source_next (GmTextIOLineSource  *ls,
                            const char         **line,
                            gsize               *len,
                            GError             **error)
{
  const char *l, *nl;
  gsize n;

  if (G_UNLIKELY (ls->pos >= ls->end))
    return gm_textio_line_source_next_slow (ls, line, len, error);
  l = ls->data + ls->pos;
  nl = memchr (l, '\n', ls->end - ls->pos);
  if (G_UNLIKELY (nl == NULL))
    return gm_textio_line_source_next_slow (ls, line, len, error);
  ls->start = ls->pos;
  ls->pos = (gsize) (nl - ls->data) + 1;
  ls->line_no++;
  n = (gsize) (nl - l);
  if (n > 0 && l[n - 1] == '\r')
    n--;
  *line = l;
  *len = n;
  return 1;
}

/* ------------------------------------------------------------- numbers */

typedef enum
{
  GM_TEXTIO_NUMBER_OK,
  GM_TEXTIO_NUMBER_INVALID,
  GM_TEXTIO_NUMBER_NOT_FINITE,
  GM_TEXTIO_NUMBER_RANGE,
} GmTextIONumberStatus;

/* 1e0 … 1e22, the powers of ten that are exact doubles. */
static const double gm_textio_pow10[23] = {
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Parses the whole of [@p, @end) as a decimal number that fits a float32:
 * the slow path, for whatever gm_textio_parse_number_fast leaves.
 * Hexadecimal and other strtod extensions are refused. */
GmTextIONumberStatus gm_textio_parse_number (const char *p, const char *end, double *out);

/* The common cases: [-+]digits[.digits] with at most 19 significant digits.
 * Returns FALSE when the slow path must decide; otherwise *@stop is the
 * first byte after the number.  The result is correctly rounded to double
 * (the mantissa is below 2⁵³ and the power of ten exact). */
static inline gboolean
gm_textio_parse_number_fast (const char  *p,
                             const char  *end,
                             double      *out,
                             const char **stop)
{
  guint64 m = 0;
  int digits = 0, frac = 0;
  gboolean neg = FALSE, any = FALSE;
  double v;

  if (p < end && (*p == '-' || *p == '+'))
    {
      neg = *p == '-';
      p++;
    }
  while (p < end && (guchar) (*p - '0') < 10)
    {
      if (m != 0 || *p != '0')
        {
          if (++digits > 19)
            return FALSE;
          m = m * 10 + (guint64) (*p - '0');
        }
      any = TRUE;
      p++;
    }
  if (p < end && *p == '.')
    {
      p++;
      while (p < end && (guchar) (*p - '0') < 10)
        {
          if (m != 0 || *p != '0')
            {
              if (++digits > 19)
                return FALSE;
            }
          m = m * 10 + (guint64) (*p - '0');
          frac++;
          any = TRUE;
          p++;
        }
    }
  if (!any || frac > 22 || m > ((guint64) 1 << 53))
    return FALSE;
  if (p < end && (*p == 'e' || *p == 'E'))
    return FALSE;
  v = (double) m;
  if (frac > 0)
    v /= gm_textio_pow10[frac];
  *out = neg ? -v : v;
  *stop = p;
  return TRUE;
}

/* "00" "01" … "99" */
static const char gm_textio_digit_pairs[] =
  "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
  "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
  "8081828384858687888990919293949596979899";

/* Writes @v in decimal at @p (at most 20 bytes); returns the end. */
static inline char *
gm_textio_format_uint (char    *p,
                       guint64  v)
{
  char tmp[24];
  char *t = tmp + sizeof tmp;
  gsize n;

  while (v >= 100)
    {
      guint d = (guint) (v % 100) * 2;
      v /= 100;
      *--t = gm_textio_digit_pairs[d + 1];
      *--t = gm_textio_digit_pairs[d];
    }
  if (v >= 10)
    {
      guint d = (guint) v * 2;
      *--t = gm_textio_digit_pairs[d + 1];
      *--t = gm_textio_digit_pairs[d];
    }
  else
    *--t = (char) ('0' + v);
  n = (gsize) (tmp + sizeof tmp - t);
  memcpy (p, t, n);
  return p + n;
}

/* The non-integral case of gm_textio_format_value. */
char      *gm_textio_format_real     (char *p, float v);

/* Writes @v at @p (at most 32 bytes): integral values without decimals,
 * others with the fewest significant digits that read back as the same
 * float.  Returns the end. */
static inline char *
gm_textio_format_value (char  *p,
                        float  v)
{
  double d = v;

  if (d >= -9.0e15 && d <= 9.0e15 && d == floor (d))
    {
      if (d < 0)
        {
          *p++ = '-';
          d = -d;
        }
      return gm_textio_format_uint (p, (guint64) d);
    }
  return gm_textio_format_real (p, v);
}

/* -------------------------------------------------------------- output */

/* A buffered output file, plain or gzip-compressed. */
typedef struct
{
  const char *path;      /* the final path, for messages */
  int         fd;        /* plain output; -1 with gzip */
  gzFile      gz;        /* gzip output, or NULL */
  char       *buf;
  gsize       len;
  gsize       size;
} GmTextIOSink;

/* Creates @file (@path names it in messages) with an output buffer of
 * @buffer_size bytes; with @gzip, compressed at @level (clamped to 1…9). */
gboolean   gm_textio_sink_open       (GmTextIOSink *s, const char *file, const char *path,
                                      gboolean gzip, int level, gsize buffer_size, GError **error);
/* Writes out the buffer. */
gboolean   gm_textio_sink_flush      (GmTextIOSink *s, GError **error);
/* Closes the sink; on error (or with @failed) everything is released anyway. */
gboolean   gm_textio_sink_close      (GmTextIOSink *s, gboolean failed, GError **error);

/* A pointer to at least @n free bytes (advance s->len by what is used). */
static inline char *
gm_textio_sink_reserve (GmTextIOSink  *s,
                        gsize          n,
                        GError       **error)
{
  if (G_UNLIKELY (s->size - s->len < n))
    {
      if (!gm_textio_sink_flush (s, error))
        return NULL;
      if (s->size < n)
        {
          s->size = n;
          s->buf = g_realloc (s->buf, n);
        }
    }
  return s->buf + s->len;
}

static inline gboolean
gm_textio_sink_append (GmTextIOSink  *s,
                       const char    *bytes,
                       gsize          n,
                       GError       **error)
{
  char *p = gm_textio_sink_reserve (s, n, error);

  if (p == NULL)
    return FALSE;
  memcpy (p, bytes, n);
  s->len += n;
  return TRUE;
}

G_END_DECLS
