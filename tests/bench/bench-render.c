/* bench-render.c — how fast gm-render colours thumbnails and writes figures
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   bench-render [OUTPUT_DIR]
 *
 * 1. gm_colorize: 10 000 thumbnails of 33 × 33 (what the application's cell browser
 *    colours when it scrolls through a dataset), best of 5 runs;
 * 2. a 20-panel figure (4 cell types × 5 cells, 45 × 45 GenoMaps, 1 % – 99 % clipping)
 *    saved as PNG at 300 dpi, as SVG and as PDF, best of 3 runs each.
 * Prints one line per measurement; no assertion on the times.
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>

#include "gm-render.h"

#define N_THUMBS 10000
#define SIDE     33

static float *
synthetic_map (int      side,
               int      n_genes,
               guint32  seed)
{
  float *v = g_new (float, side * side);
  GRand *rand = g_rand_new_with_seed (seed);
  double cx = g_rand_double (rand), cy = g_rand_double (rand);

  for (int r = 0; r < side; r++)
    for (int c = 0; c < side; c++)
      {
        double x = (c + 0.5) / side - cx, y = (r + 0.5) / side - cy;
        double a = 3.0 * exp (-(x * x + y * y) / 0.03);

        v[r * side + c] = g_rand_double (rand) < 0.4 ? 0.0f : (float) (a * (0.5 + g_rand_double (rand)));
        if (c * side + r >= n_genes)
          v[r * side + c] = NAN;
      }
  g_rand_free (rand);
  return v;
}

/* as in test-render.c: fontconfig's and cairo's font caches live until exit */
const char *__lsan_default_suppressions (void);

const char *
__lsan_default_suppressions (void)
{
  return "leak:libfontconfig.so\n";
}

static double
time_save (const GmFigure *fig,
           const char     *path,
           double          dpi)
{
  double best = G_MAXDOUBLE;

  for (int run = 0; run < 3; run++)
    {
      g_autoptr(GError) error = NULL;
      gint64 t0 = g_get_monotonic_time ();

      if (!gm_figure_save (fig, path, dpi, &error))
        {
          g_printerr ("%s\n", error->message);
          exit (1);
        }
      best = MIN (best, (g_get_monotonic_time () - t0) / 1e3);
    }
  return best;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *dir = NULL;
  float **maps = g_new (float *, N_THUMBS);
  guint32 *pixels = g_new (guint32, (size_t) N_THUMBS * SIDE * SIDE);
  double best = G_MAXDOUBLE;
  guint64 check = 0;

  if (argc > 1)
    dir = g_strdup (argv[1]);
  else
    dir = g_dir_make_tmp ("gm-bench-render-XXXXXX", NULL);
  g_assert_nonnull (dir);

  /* 1. thumbnails */
  for (int i = 0; i < N_THUMBS; i++)
    maps[i] = synthetic_map (SIDE, 1000, (guint32) i + 1);
  for (int run = 0; run < 5; run++)
    {
      gint64 t0 = g_get_monotonic_time ();

      for (int i = 0; i < N_THUMBS; i++)
        gm_colorize (maps[i], SIDE, SIDE, GM_COLORMAP_VIRIDIS, 0.0, 3.0,
                     gm_colormap_nan_argb (GM_COLORMAP_VIRIDIS), pixels + (size_t) i * SIDE * SIDE);
      best = MIN (best, (g_get_monotonic_time () - t0) / 1e3);
    }
  for (size_t k = 0; k < (size_t) N_THUMBS * SIDE * SIDE; k += 997)
    check += pixels[k];
  printf ("gm_colorize: %d thumbnails of %d x %d in %.2f ms (%.1f ns per pixel; checksum %" G_GUINT64_FORMAT ")\n",
          N_THUMBS, SIDE, SIDE, best, best * 1e6 / ((double) N_THUMBS * SIDE * SIDE), check);

  /* 2. a 20-panel figure */
  {
    static const char *types[] = { "T cells", "B cells", "NK cells", "Monocytes" };
    static const char *titles[] = { "cell 1", "cell 2", "cell 3", "cell 4", "cell 5" };
    GmPanel panels[20];
    float *values[20];
    GmFigure fig;
    const char *ext[] = { "png", "svg", "pdf" };

    gm_figure_init (&fig);
    for (int p = 0; p < 20; p++)
      {
        values[p] = synthetic_map (45, 1900, 100000 + p);
        panels[p] = (GmPanel) { values[p], 45, 45, p < 5 ? titles[p] : NULL };
      }
    fig.n_rows = 4;
    fig.n_cols = 5;
    fig.panels = panels;
    fig.row_labels = types;
    fig.title = "Twenty GenoMaps";
    fig.colorbar_label = "log1p(CP10k)";
    fig.clip_low = 0.01;
    fig.clip_high = 0.99;
    for (guint e = 0; e < G_N_ELEMENTS (ext); e++)
      {
        g_autofree char *name = g_strdup_printf ("bench-20-panels.%s", ext[e]);
        g_autofree char *path = g_build_filename (dir, name, NULL);
        double ms = time_save (&fig, path, 300.0);
        GStatBuf st;

        g_stat (path, &st);
        printf ("20-panel figure (45 x 45 maps) as %s%s: %.1f ms, %.0f KiB  (%s)\n", ext[e],
                e == 0 ? " at 300 dpi" : "", ms, st.st_size / 1024.0, path);
      }
    for (int p = 0; p < 20; p++)
      g_free (values[p]);
  }

  for (int i = 0; i < N_THUMBS; i++)
    g_free (maps[i]);
  g_free (maps);
  g_free (pixels);
  return 0;
}
