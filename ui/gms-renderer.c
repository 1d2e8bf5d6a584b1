/* gms-renderer.c — cairo rather than GL when the OpenGL is a software rasteriser
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <epoxy/gl.h>
#include <string.h>

#include "gms-renderer.h"

static gboolean
is_software_gl (const char *renderer)
{
  static const char *names[] = { "llvmpipe", "softpipe", "swrast", "Software Rasterizer", "SWR" };

  for (guint i = 0; renderer != NULL && i < G_N_ELEMENTS (names); i++)
    if (strstr (renderer, names[i]) != NULL)
      return TRUE;
  return FALSE;
}

char *
gms_renderer_choose (GdkDisplay *display,
                     gboolean   *chose_cairo)
{
  g_autoptr(GdkGLContext) context = NULL;
  g_autoptr(GError) error = NULL;
  char *name = NULL;

  g_return_val_if_fail (GDK_IS_DISPLAY (display), NULL);

  if (chose_cairo != NULL)
    *chose_cairo = FALSE;
  context = gdk_display_create_gl_context (display, &error);
  if (context == NULL || !gdk_gl_context_realize (context, &error))
    {
      g_debug ("no OpenGL (%s): GTK draws with cairo", error ? error->message : "?");
      return NULL;
    }
  gdk_gl_context_make_current (context);
  name = g_strdup ((const char *) glGetString (GL_RENDERER));
  gdk_gl_context_clear_current ();

  if (g_getenv ("GSK_RENDERER") == NULL && is_software_gl (name))
    {
      g_setenv ("GSK_RENDERER", "cairo", FALSE);
      if (chose_cairo != NULL)
        *chose_cairo = TRUE;
    }
  return name;
}
