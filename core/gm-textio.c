/* gm-textio.c — private helpers of the text-based readers and writers
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * See gm-textio.h.  Used by gm-text.c (CSV/TSV) and gm-mtx.c (10x Matrix
 * Market).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gm-textio.h"

/* Allocations below this size are not checked against the memory budget
 * (unless the caller set an explicit opts->memory_limit). */
#define UNCHECKED_BYTES ((guint64) 16 << 20)

/* ------------------------------------------------------------- general */

gboolean
gm_textio_check_memory (const GmReadOptions  *opts,
                        const char           *name,
                        guint64               needed,
                        const char           *what,
                        GError              **error)
{
  guint64 limit = opts != NULL ? opts->memory_limit : 0;

  if (limit == 0 && needed < UNCHECKED_BYTES)
    return TRUE;
  return gm_memory_check_limit (limit, name, needed, what, error);
}

gboolean
gm_textio_is_cancelled (const GmReadOptions *opts)
{
  return opts != NULL && opts->cancel != NULL && g_atomic_int_get (opts->cancel) != 0;
}

gboolean
gm_textio_write_cancelled (const GmWriteOptions  *opts,
                           const char            *path,
                           GError               **error)
{
  if (opts != NULL && opts->cancel != NULL && g_atomic_int_get (opts->cancel) != 0)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_CANCELLED, "%s: writing was cancelled", path);
      return TRUE;
    }
  return FALSE;
}

char *
gm_textio_excerpt (const char *s,
                   gsize       len)
{
  g_autofree char *cut = g_strndup (s, MIN (len, 40));
  char *valid = g_utf8_make_valid (cut, -1);

  if (len > 40)
    {
      char *longer = g_strconcat (valid, "…", NULL);
      g_free (valid);
      return longer;
    }
  return valid;
}

void
gm_textio_skip_bom (const char **line,
                    gsize       *len)
{
  if (*len >= 3 && memcmp (*line, "\xEF\xBB\xBF", 3) == 0)
    {
      *line += 3;
      *len -= 3;
    }
}

/* --------------------------------------------------------- line source */

void
gm_textio_line_source_init_memory (GmTextIOLineSource  *ls,
                                   const char          *name,
                                   const char          *buf,
                                   gsize                len,
                                   const GmReadOptions *opts)
{
  memset (ls, 0, sizeof *ls);
  ls->name = name;
  ls->opts = opts;
  ls->data = buf;
  ls->end = buf != NULL ? len : 0;
  ls->eof = TRUE;
}

gboolean
gm_textio_line_source_open (GmTextIOLineSource   *ls,
                            const char           *path,
                            const GmReadOptions  *opts,
                            gsize                 buffer_size,
                            GError              **error)
{
  GStatBuf st;

  memset (ls, 0, sizeof *ls);
  ls->name = path;
  ls->opts = opts;
  ls->gz = gzopen (path, "rb");
  if (ls->gz == NULL)
    {
      int saved = errno;
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: cannot open: %s", path,
                   saved != 0 ? g_strerror (saved) : "out of memory");
      return FALSE;
    }
  gzbuffer (ls->gz, 256 * 1024);
  ls->size = MAX (buffer_size, 1);
  ls->owned = g_malloc (ls->size);
  ls->data = ls->owned;
  if (g_stat (path, &st) == 0)
    ls->file_size = (guint64) st.st_size;
  return TRUE;
}

void
gm_textio_line_source_close (GmTextIOLineSource *ls)
{
  if (ls->gz != NULL)
    gzclose (ls->gz);
  ls->gz = NULL;
  g_clear_pointer (&ls->owned, g_free);
  ls->data = NULL;
}

/* Reads more input, keeping the current line (from ls->start). */
static gboolean
line_source_fill (GmTextIOLineSource  *ls,
                  GError             **error)
{
  int n;

  if (ls->gz == NULL)
    {
      ls->eof = TRUE;
      return TRUE;
    }
  if (ls->start > 0)
    {
      memmove (ls->owned, ls->owned + ls->start, ls->end - ls->start);
      ls->end -= ls->start;
      ls->pos -= ls->start;
      ls->start = 0;
    }
  if (ls->end == ls->size)
    {
      gsize bigger = ls->size * 2;

      if (!gm_textio_check_memory (ls->opts, ls->name, bigger, "one line of text", error))
        return FALSE;
      ls->owned = g_realloc (ls->owned, bigger);
      ls->data = ls->owned;
      ls->size = bigger;
    }
  n = gzread (ls->gz, ls->owned + ls->end, (unsigned) MIN (ls->size - ls->end, (gsize) 1 << 30));
  if (n <= 0)
    {
      int errnum = Z_OK;
      const char *msg = gzerror (ls->gz, &errnum);

      if (n < 0 || (errnum != Z_OK && errnum != Z_STREAM_END))
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "%s: line %" G_GINT64_FORMAT ": cannot read: %s%s", ls->name, ls->line_no + 1,
                       errnum == Z_ERRNO ? g_strerror (errno) : msg,
                       errnum == Z_BUF_ERROR || errnum == Z_DATA_ERROR
                       ? " (the compressed data is truncated or corrupt)" : "");
          return FALSE;
        }
      ls->eof = TRUE;
      return TRUE;
    }
  ls->end += n;
  return TRUE;
}

/* Finds the end of the line that begins at ls->start, scanning from @scan. */
static inline int
line_source_scan (GmTextIOLineSource  *ls,
                  gsize                scan,
                  GError             **error)
{
  for (;;)
    {
      const char *nl = scan < ls->end ? memchr (ls->data + scan, '\n', ls->end - scan) : NULL;
      gsize rel;

      if (nl != NULL)
        {
          ls->pos = (gsize) (nl - ls->data) + 1;
          return 1;
        }
      if (ls->eof)
        {
          if (ls->end == scan && scan == ls->pos)
            return 0;
          ls->pos = ls->end;
          return 1;
        }
      rel = ls->end - ls->start;
      if (!line_source_fill (ls, error))
        return -1;
      scan = ls->start + rel;
    }
}

static inline void
line_source_current (GmTextIOLineSource  *ls,
                     const char         **line,
                     gsize               *len)
{
  gsize n = ls->pos - ls->start;
  const char *l = ls->data + ls->start;

  if (n > 0 && l[n - 1] == '\n')
    n--;
  if (n > 0 && l[n - 1] == '\r')
    n--;
  *line = l;
  *len = n;
}

int
gm_textio_line_source_next_slow (GmTextIOLineSource  *ls,
                                 const char         **line,
                                 gsize               *len,
                                 GError             **error)
{
  int r;

  ls->start = ls->pos;
  r = line_source_scan (ls, ls->pos, error);
  if (r <= 0)
    return r;
  ls->line_no++;
  line_source_current (ls, line, len);
  return 1;
}

int
gm_textio_line_source_extend (GmTextIOLineSource  *ls,
                              const char         **line,
                              gsize               *len,
                              GError             **error)
{
  int r = line_source_scan (ls, ls->pos, error);

  if (r <= 0)
    return r;
  ls->line_no++;
  line_source_current (ls, line, len);
  return 1;
}

double
gm_textio_line_source_fraction (GmTextIOLineSource *ls)
{
  if (ls->gz == NULL)
    return ls->end > 0 ? (double) ls->pos / (double) ls->end : 1.0;
  if (ls->file_size == 0)
    return 0.0;
  return MIN (1.0, (double) gzoffset (ls->gz) / (double) ls->file_size);
}

/* ------------------------------------------------------------- numbers */

GmTextIONumberStatus
gm_textio_parse_number (const char *p,
                        const char *end,
                        double     *out)
{
  char tmp[128];
  gsize n = (gsize) (end - p);
  char *stop = NULL;
  double v;

  if (n == 0 || n >= sizeof tmp)
    return GM_TEXTIO_NUMBER_INVALID;
  memcpy (tmp, p, n);
  tmp[n] = '\0';
  for (gsize i = 0; i < n; i++)
    if (tmp[i] == '\0' || !strchr ("0123456789+-.eE", tmp[i]))
      {
        const char *word = tmp + (tmp[0] == '+' || tmp[0] == '-');
        if (g_ascii_strcasecmp (word, "nan") == 0 || g_ascii_strcasecmp (word, "inf") == 0 ||
            g_ascii_strcasecmp (word, "infinity") == 0)
          return GM_TEXTIO_NUMBER_NOT_FINITE;
        return GM_TEXTIO_NUMBER_INVALID;
      }
  v = g_ascii_strtod (tmp, &stop);
  if (stop != tmp + n)
    return GM_TEXTIO_NUMBER_INVALID;
  if (!isfinite (v) || fabs (v) > FLT_MAX)
    return GM_TEXTIO_NUMBER_RANGE;
  *out = v;
  return GM_TEXTIO_NUMBER_OK;
}

/* The fewest significant digits (6…9) that read back as the same float. */
char *
gm_textio_format_real (char  *p,
                       float  v)
{
  static const char *formats[] = { "%.6g", "%.7g", "%.8g", "%.9g" };
  double d = v;
  char tmp[G_ASCII_DTOSTR_BUF_SIZE];
  gsize n;

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_ascii_formatd (tmp, sizeof tmp, formats[i], d);
      if (i + 1 == G_N_ELEMENTS (formats) || (float) g_ascii_strtod (tmp, NULL) == v)
        break;
    }
  n = MIN (strlen (tmp), 32);
  memcpy (p, tmp, n);
  return p + n;
}

/* -------------------------------------------------------------- output */

gboolean
gm_textio_sink_open (GmTextIOSink  *s,
                     const char    *file,
                     const char    *path,
                     gboolean       gzip,
                     int            level,
                     gsize          buffer_size,
                     GError       **error)
{
  memset (s, 0, sizeof *s);
  s->path = path;
  s->fd = open (file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (s->fd < 0)
    {
      int saved = errno;
      g_set_error (error, GM_ERROR, GM_ERROR_WRITE, "%s: cannot create: %s", path, g_strerror (saved));
      return FALSE;
    }
  if (gzip)
    {
      char mode[8];

      g_snprintf (mode, sizeof mode, "wb%d", CLAMP (level, 1, 9));
      s->gz = gzdopen (s->fd, mode);
      if (s->gz == NULL)
        {
          close (s->fd);
          g_set_error (error, GM_ERROR, GM_ERROR_WRITE, "%s: cannot start gzip compression", path);
          return FALSE;
        }
      s->fd = -1;
      gzbuffer (s->gz, 1 << 20);
    }
  s->size = MAX (buffer_size, 1);
  s->buf = g_malloc (s->size);
  return TRUE;
}

gboolean
gm_textio_sink_flush (GmTextIOSink  *s,
                      GError       **error)
{
  gsize done = 0;

  if (s->gz != NULL)
    {
      if (s->len > 0 && gzwrite (s->gz, s->buf, (unsigned) s->len) != (int) s->len)
        {
          int errnum = Z_OK;
          const char *msg = gzerror (s->gz, &errnum);
          g_set_error (error, GM_ERROR, GM_ERROR_WRITE, "%s: cannot write: %s", s->path,
                       errnum == Z_ERRNO ? g_strerror (errno) : msg);
          return FALSE;
        }
      s->len = 0;
      return TRUE;
    }
  while (done < s->len)
    {
      ssize_t n = write (s->fd, s->buf + done, s->len - done);
      if (n < 0)
        {
          int saved = errno;
          if (saved == EINTR)
            continue;
          g_set_error (error, GM_ERROR, GM_ERROR_WRITE, "%s: cannot write: %s", s->path, g_strerror (saved));
          return FALSE;
        }
      done += (gsize) n;
    }
  s->len = 0;
  return TRUE;
}

gboolean
gm_textio_sink_close (GmTextIOSink  *s,
                      gboolean       failed,
                      GError       **error)
{
  gboolean ok = failed ? FALSE : gm_textio_sink_flush (s, error);

  if (s->gz != NULL)
    {
      int rc = gzclose (s->gz);
      if (ok && rc != Z_OK)
        {
          g_set_error (error, GM_ERROR, GM_ERROR_WRITE, "%s: cannot finish the gzip stream (zlib error %d)",
                       s->path, rc);
          ok = FALSE;
        }
    }
  else if (s->fd >= 0)
    {
      if (close (s->fd) != 0 && ok)
        {
          int saved = errno;
          g_set_error (error, GM_ERROR, GM_ERROR_WRITE, "%s: cannot write: %s", s->path, g_strerror (saved));
          ok = FALSE;
        }
    }
  s->gz = NULL;
  s->fd = -1;
  g_clear_pointer (&s->buf, g_free);
  return ok;
}
