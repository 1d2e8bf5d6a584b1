/* gms-renderer.h — which GSK renderer draws the windows
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* GTK 4.8 draws with its GL renderer whenever OpenGL works, also when that OpenGL is a
 * software rasteriser (Mesa's llvmpipe, softpipe or swrast: virtual machines, remote X
 * sessions, Xvfb, machines without a GPU driver).  There GSK's cairo renderer draws the
 * application's frames several times faster (docs/performance.md, "Drawing GenoMaps").
 * Call once before the first window is realized: when GSK_RENDERER is not set and the
 * display's OpenGL renderer is a software one, it sets GSK_RENDERER=cairo (so processes
 * started from the application inherit it).  Where OpenGL does not work at all GTK already
 * uses cairo by itself.  Returns the GL renderer's name (or NULL without OpenGL) and sets
 * @chose_cairo when it switched. */
char *gms_renderer_choose (GdkDisplay *display,
                           gboolean   *chose_cairo);

G_END_DECLS
