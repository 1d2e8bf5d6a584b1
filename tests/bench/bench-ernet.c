/* bench-ernet.c — times one ER-Net training step (forward + loss + backward
 * + Adam) on the CPU backend
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: bench-ernet [--config paper|tiny|compact] [--ngf N] [--batch 64]
 *                    [--size 52] [--steps 3]
 * One warm-up step (allocations, workspaces), then --steps timed steps;
 * prints the best and the mean time per step and the phase split of the
 * last step.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gm-blas.h"
#include "gm-ernet.h"

int
main (int    argc,
      char **argv)
{
  g_autofree char *config = NULL;
  int ngf = 0, batch = 64, size = 52, steps = 3;
  GOptionEntry entries[] = {
    { "config", 0, 0, G_OPTION_ARG_STRING, &config, "paper, tiny or compact", "NAME" },
    { "ngf", 0, 0, G_OPTION_ARG_INT, &ngf, "ngf for compact", "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "batch size", "N" },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, "map size (multiple of 4)", "S" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &steps, "timed steps", "N" },
    { NULL },
  };
  g_autoptr(GOptionContext) ctx = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GmNnBackend) be = NULL;
  g_autofree char *blas = NULL;
  g_autofree float *x = NULL, *y = NULL;
  GmErnetPreset preset = GM_ERNET_PAPER;
  GmErnetConfig cfg;
  GmErnet *net;
  g_autoptr(GRand) r = g_rand_new_with_seed (1);
  double best = INFINITY, total = 0, loss = 0;
  double t_fwd = 0, t_bwd = 0, t_adam = 0;

  gm_blas_ensure_fast_kernels (argv);
  ctx = g_option_context_new ("— time ER-Net training steps");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }
  if (config != NULL && strcmp (config, "tiny") == 0)
    preset = GM_ERNET_TINY;
  else if (config != NULL && strcmp (config, "compact") == 0)
    preset = GM_ERNET_COMPACT;
  if (size % 4 != 0 || batch < 1 || steps < 1)
    {
      fprintf (stderr, "bad --size/--batch/--steps\n");
      return 2;
    }
  blas = gm_blas_describe ();
  printf ("BLAS: %s\n", blas);
  be = gm_nn_backend_cpu ();
  cfg = gm_ernet_config (preset, ngf);
  net = gm_ernet_new (be, &cfg);
  printf ("ER-Net ngf %d (%" G_GSIZE_FORMAT " trainable parameters), batch %d, %d×%d\n",
          cfg.ngf, gm_ernet_n_trainable (net), batch, size, size);
  x = g_new (float, (gsize) batch * size * size);
  y = g_new (float, (gsize) batch * size * size);
  for (gsize i = 0; i < (gsize) batch * size * size; i++)
    {
      double v = g_rand_double (r) < 0.35 ? g_rand_double_range (r, 0.05, 1.0) : 0.0;
      y[i] = (float) v;
      x[i] = v > 0 && g_rand_double (r) > 0.2 ? (float) v : 0.999f;
    }
  for (int s = 0; s <= steps; s++)
    {
      gint64 t0 = g_get_monotonic_time (), t1, t2, t3;
      double dt;

      gm_ernet_forward (net, TRUE, batch, size, size, x, NULL);
      t1 = g_get_monotonic_time ();
      loss = gm_ernet_backward_loss (net, y);
      t2 = g_get_monotonic_time ();
      gm_ernet_adam_step (net, 2e-4f);
      t3 = g_get_monotonic_time ();
      dt = (t3 - t0) / 1e6;
      printf ("step %d%s: %.3f s (forward %.3f, loss+backward %.3f, adam %.3f), loss %.5f\n",
              s, s == 0 ? " (warm-up)" : "", dt, (t1 - t0) / 1e6, (t2 - t1) / 1e6,
              (t3 - t2) / 1e6, loss);
      if (s == 0)
        continue;
      best = MIN (best, dt);
      total += dt;
      t_fwd = (t1 - t0) / 1e6;
      t_bwd = (t2 - t1) / 1e6;
      t_adam = (t3 - t2) / 1e6;
    }
  printf ("time per training step: best %.3f s, mean %.3f s over %d steps "
          "(last: forward %.3f, backward %.3f, adam %.3f)\n",
          best, total / steps, steps, t_fwd, t_bwd, t_adam);
  gm_ernet_free (net);
  return 0;
}
