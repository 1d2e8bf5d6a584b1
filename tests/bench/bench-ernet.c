/* bench-ernet.c — times one ER-Net training step (forward + loss + backward
 * + Adam) and eval-mode inference, on the CPU or the CUDA backend
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: bench-ernet [--config paper|tiny|compact] [--ngf N] [--batch 64]
 *                    [--size 52] [--steps 3] [--device cpu|cuda|cuda:N|auto]
 *                    [--infer-batches 0]
 * One warm-up step (allocations, workspaces), then --steps timed steps;
 * prints the best and the mean time per step, the phase split of the last
 * step and the throughput in maps/s (batch / best step).  The backend is
 * synchronised before every timestamp.  --infer-batches N then times N
 * eval-mode forwards of the batch with the output downloaded (inference
 * throughput, maps/s), after one warm-up forward.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gm-blas.h"
#include "gm-ernet.h"
#include "gm-nn-device.h"

int
main (int    argc,
      char **argv)
{
  g_autofree char *config = NULL;
  int ngf = 0, batch = 64, size = 52, steps = 3, infer = 0;
  g_autofree char *device = NULL;
  g_autofree char *notice = NULL;
  GOptionEntry entries[] = {
    { "config", 0, 0, G_OPTION_ARG_STRING, &config, "paper, tiny or compact", "NAME" },
    { "ngf", 0, 0, G_OPTION_ARG_INT, &ngf, "ngf for compact", "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "batch size", "N" },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, "map size (multiple of 4)", "S" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &steps, "timed steps", "N" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device, "cpu (default), cuda, cuda:N or auto", "DEV" },
    { "infer-batches", 0, 0, G_OPTION_ARG_INT, &infer, "then time N inference forwards", "N" },
    { NULL },
  };
  g_autoptr(GOptionContext) ctx = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GmNnBackend) be = NULL;
  g_autofree char *blas = NULL;
  g_autofree float *x = NULL, *y = NULL, *o = NULL;
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
  be = gm_nn_backend_open (device != NULL ? device : "cpu", &notice, &error);
  if (be == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  if (notice != NULL)
    printf ("note: %s\n", notice);
  {
    g_autofree char *backends = gm_nn_backend_describe ();
    printf ("backend: %s (GENOMAP_CUDA_TF32=%s)\n%s", be->name,
            g_getenv ("GENOMAP_CUDA_TF32") != NULL ? g_getenv ("GENOMAP_CUDA_TF32") : "unset", backends);
  }
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
      be->synchronize (be->ctx);
      t1 = g_get_monotonic_time ();
      loss = gm_ernet_backward_loss (net, y);
      be->synchronize (be->ctx);
      t2 = g_get_monotonic_time ();
      gm_ernet_adam_step (net, 2e-4f);
      be->synchronize (be->ctx);
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
  printf ("training throughput: %.1f maps/s (best step), %.1f maps/s (mean)\n", batch / best,
          batch * steps / total);
  if (infer > 0)
    {
      gint64 t0;
      double dt;

      o = g_new (float, (gsize) batch * size * size);
      gm_ernet_forward (net, FALSE, batch, size, size, x, o);   /* warm-up */
      t0 = g_get_monotonic_time ();
      for (int i = 0; i < infer; i++)
        gm_ernet_forward (net, FALSE, batch, size, size, x, o);
      be->synchronize (be->ctx);
      dt = (g_get_monotonic_time () - t0) / 1e6;
      printf ("inference: %d batches of %d in %.3f s: %.1f maps/s (output downloaded)\n", infer, batch, dt,
              (double) infer * batch / dt);
    }
  gm_ernet_free (net);
  return 0;
}
