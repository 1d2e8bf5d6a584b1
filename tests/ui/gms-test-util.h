/* gms-test-util.h — what the application's UI tests share
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A test defines TIMEOUT_S (seconds) before including this.
 */
#pragma once

#include <glib.h>

/* A file of tests/data ($GM_TEST_DATA). */
static inline char *
gms_test_data_path (const char *name)
{
  const char *dir = g_getenv ("GM_TEST_DATA");

  g_assert_nonnull (dir);
  return g_build_filename (dir, name, NULL);
}

static inline gboolean
gms_test_timeout_cb (gpointer data)
{
  g_error ("timed out waiting for %s", (const char *) data);
  return G_SOURCE_REMOVE;
}

/* Iterates the main loop until cond holds; fails the test after TIMEOUT_S
 * seconds, naming what it waited for. */
#define WAIT_UNTIL(cond, what)                                                      \
  G_STMT_START {                                                                    \
    guint _id = g_timeout_add_seconds (TIMEOUT_S, gms_test_timeout_cb, (gpointer) what); \
    while (!(cond))                                                                 \
      g_main_context_iteration (NULL, TRUE);                                        \
    g_source_remove (_id);                                                          \
  } G_STMT_END
