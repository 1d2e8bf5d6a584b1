/* genomap-cli.h — what the command files of genomap-cli share
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "gm-io.h"

enum
{
  EXIT_OK = 0,
  EXIT_USAGE = 2,
  EXIT_INPUT = 3,
  EXIT_OUTPUT = 4,
  EXIT_CANCELLED = 130,
};

typedef struct
{
  gboolean tty;
  gint64   last;
} Progress;

extern gint cancel_flag;

int             fail            (const GError *error);
int             usage_error     (GOptionContext *ctx, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
void            on_progress     (double fraction, const char *stage, gpointer user_data);
void            read_options_from_flags (GmReadOptions *opts, Progress *progress);
GmDataset      *read_input      (const char *path, Progress *progress, GError **error);
GOptionContext *new_context     (const char *param, const char *summary, GOptionEntry *entries,
                                 gboolean with_read);
gboolean        parse_or_usage  (GOptionContext *ctx, int *argc, char ***argv, int *status);

int             cmd_layout      (int argc, char **argv);
int             cmd_render      (int argc, char **argv);
int             cmd_simulate    (int argc, char **argv);
int             cmd_evaluate    (int argc, char **argv);
int             cmd_impute      (int argc, char **argv);
