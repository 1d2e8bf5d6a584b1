/* gm-output.c — write to a temporary sibling, then rename into place
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gm-io.h"

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);

  if (dir != NULL)
    {
      const char *name;
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          g_unlink (child);
        }
      g_dir_close (dir);
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

gboolean
gm_output_begin (GmOutput    *out,
                 const char  *path,
                 gboolean     is_dir,
                 GError     **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *tmpl = NULL;

  memset (out, 0, sizeof *out);

  if (path == NULL || *path == '\0')
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE, "no output path given");
      return FALSE;
    }

  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_WRITE,
                   "%s: the folder %s does not exist", path, dir);
      return FALSE;
    }
  if (!is_dir && g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_WRITE, "%s: is a directory", path);
      return FALSE;
    }

  tmpl = g_strdup_printf ("%s/.%s.tmp-XXXXXX", dir, base);
  if (is_dir)
    {
      if (g_mkdtemp (tmpl) == NULL)
        {
          int saved = errno;
          g_set_error (error, GM_ERROR, GM_ERROR_WRITE,
                       "%s: cannot create a temporary folder: %s", path, g_strerror (saved));
          return FALSE;
        }
    }
  else
    {
      int fd = g_mkstemp (tmpl);
      if (fd < 0)
        {
          int saved = errno;
          g_set_error (error, GM_ERROR, GM_ERROR_WRITE,
                       "%s: cannot create a temporary file: %s", path, g_strerror (saved));
          return FALSE;
        }
      close (fd);
      /* Writers recreate the file (HDF5 wants to create it itself). */
      g_unlink (tmpl);
    }

  out->final_path = g_strdup (path);
  out->tmp_path = g_steal_pointer (&tmpl);
  out->is_dir = is_dir;
  return TRUE;
}

gboolean
gm_output_commit (GmOutput  *out,
                  GError   **error)
{
  if (out->is_dir && g_file_test (out->final_path, G_FILE_TEST_IS_DIR))
    {
      /* Replace an existing output folder: move it aside first, so that the
       * swap never leaves a half folder. */
      g_autofree char *old = g_strdup_printf ("%s.old-%d", out->tmp_path, (int) getpid ());
      if (g_rename (out->final_path, old) != 0)
        {
          int saved = errno;
          g_set_error (error, GM_ERROR, GM_ERROR_WRITE, "%s: cannot replace: %s",
                       out->final_path, g_strerror (saved));
          gm_output_abort (out);
          return FALSE;
        }
      if (g_rename (out->tmp_path, out->final_path) != 0)
        {
          int saved = errno;
          g_rename (old, out->final_path);
          g_set_error (error, GM_ERROR, GM_ERROR_WRITE, "%s: cannot rename into place: %s",
                       out->final_path, g_strerror (saved));
          gm_output_abort (out);
          return FALSE;
        }
      remove_tree (old);
    }
  else if (g_rename (out->tmp_path, out->final_path) != 0)
    {
      int saved = errno;
      g_set_error (error, GM_ERROR, GM_ERROR_WRITE, "%s: cannot rename into place: %s",
                   out->final_path, g_strerror (saved));
      gm_output_abort (out);
      return FALSE;
    }
  g_clear_pointer (&out->final_path, g_free);
  g_clear_pointer (&out->tmp_path, g_free);
  return TRUE;
}

void
gm_output_abort (GmOutput *out)
{
  if (out->tmp_path != NULL)
    remove_tree (out->tmp_path);
  g_clear_pointer (&out->final_path, g_free);
  g_clear_pointer (&out->tmp_path, g_free);
}

gboolean
gm_output_write_text (const char  *path,
                      const char  *text,
                      gssize       len,
                      GError     **error)
{
  GmOutput out;
  g_autoptr(GError) local = NULL;

  if (!gm_output_begin (&out, path, FALSE, error))
    return FALSE;
  if (!g_file_set_contents (out.tmp_path, text, len, &local))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_WRITE, "%s: %s", path, local->message);
      gm_output_abort (&out);
      return FALSE;
    }
  return gm_output_commit (&out, error);
}
