/* fuzz-main.c — runs saved fuzz inputs through the target without libFuzzer
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: fuzz-text-regress FILE-OR-FOLDER…
 * Every file (folders: every file in them, in name order) goes through
 * LLVMFuzzerTestOneInput once.  The target aborts on a broken invariant, so
 * the exit status says whether the corpus still passes.  Each input is
 * copied into a buffer of exactly its size, so that a sanitizer build
 * catches a parser reading past the end.
 */
#include "config.h"

#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerInitialize   (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gboolean
run_file (const char *path)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree uint8_t *exact = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, &error))
    {
      g_printerr ("fuzz-text-regress: %s\n", error->message);
      return FALSE;
    }
  exact = g_malloc (MAX (len, 1));
  memcpy (exact, contents, len);
  LLVMFuzzerTestOneInput (exact, len);
  return TRUE;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
main (int    argc,
      char **argv)
{
  guint n_run = 0;
  gboolean ok = TRUE;

  if (argc < 2)
    {
      g_printerr ("usage: %s FILE-OR-FOLDER…\n", argv[0]);
      return 2;
    }
  LLVMFuzzerInitialize (&argc, &argv);

  for (int a = 1; a < argc; a++)
    {
      if (g_file_test (argv[a], G_FILE_TEST_IS_DIR))
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
          GDir *dir = g_dir_open (argv[a], 0, &error);
          const char *name;

          if (dir == NULL)
            {
              g_printerr ("fuzz-text-regress: %s\n", error->message);
              ok = FALSE;
              continue;
            }
          while ((name = g_dir_read_name (dir)) != NULL)
            g_ptr_array_add (names, g_build_filename (argv[a], name, NULL));
          g_dir_close (dir);
          g_ptr_array_sort (names, compare_names);
          for (guint i = 0; i < names->len; i++)
            {
              const char *path = g_ptr_array_index (names, i);
              if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
                continue;
              ok = run_file (path) && ok;
              n_run++;
            }
        }
      else
        {
          ok = run_file (argv[a]) && ok;
          n_run++;
        }
    }
  g_print ("fuzz-text-regress: ran %u inputs\n", n_run);
  if (n_run == 0)
    {
      g_printerr ("fuzz-text-regress: no inputs found\n");
      return 1;
    }
  return ok ? 0 : 1;
}
