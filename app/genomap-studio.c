/* genomap-studio.c — main() of the GTK application
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "gm-blas.h"
#include "gms-application.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(GmsApplication) app = NULL;

  /* OpenBLAS picks its kernels when it loads: this may re-execute the program once */
  gm_blas_ensure_fast_kernels (argv);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--version") == 0)
      {
        g_autofree char *info = gms_application_get_debug_info ();
        fputs (info, stdout);
        return 0;
      }
    else if (strcmp (argv[i], "--") == 0)
      break;

  g_set_application_name (_("GenoMap Studio"));
  app = gms_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
