/* gm-nn-whiten.h — the whitened input layer's Newton–Schulz step (spec §2.3),
 * shared by the CPU backend (C) and the CUDA kernels (compiled for the device)
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Plain C with no GLib, so nvcc can compile it as device code: one
 * implementation of the numerics that checkpoints depend on.
 */
#pragma once

#include <math.h>

#ifdef __CUDACC__
#define GM_NN_HD static inline __host__ __device__
#else
#define GM_NN_HD static inline
#endif

/* c = a · b for 9 × 9 row-major matrices */
GM_NN_HD void
gm_nn_mat9_mul (const double *a,
                const double *b,
                double       *c)
{
  for (int i = 0; i < 9; i++)
    for (int j = 0; j < 9; j++)
      {
        double s = 0;
        for (int k = 0; k < 9; k++)
          s += a[i * 9 + k] * b[k * 9 + j];
        c[i * 9 + j] = s;
      }
}

/* From the patch means (9) and the sums of centred products cov (only
 * cov[a·9 + b] with b ≥ a is read) over M patches: Σ = cov / M + eps·I,
 * D ≈ Σ^-1/2 by 5 coupled Newton–Schulz steps on Σ / ‖Σ‖_F, mu = mean;
 * running_mean / running_deconv (may be NULL) move towards them with
 * `momentum`. */
GM_NN_HD void
gm_nn_whiten_finish (const double *mean,
                     const double *cov,
                     double        M,
                     float         eps,
                     float         momentum,
                     float        *mu,
                     float        *D,
                     float        *running_mean,
                     float        *running_deconv)
{
  double S[81], Y[81], Z[81], T[81], tmp[81];
  double fro = 0;

  for (int a = 0; a < 9; a++)
    for (int b = 0; b < 9; b++)
      {
        double v = (b >= a ? cov[a * 9 + b] : cov[b * 9 + a]) / M + (a == b ? eps : 0.0);
        S[a * 9 + b] = v;
        fro += v * v;
      }
  fro = sqrt (fro);
  for (int i = 0; i < 81; i++)
    {
      Y[i] = S[i] / fro;
      Z[i] = (i % 10 == 0) ? 1.0 : 0.0;
    }
  for (int it = 0; it < 5; it++)
    {
      gm_nn_mat9_mul (Z, Y, tmp);
      for (int i = 0; i < 81; i++)
        T[i] = 0.5 * ((i % 10 == 0 ? 3.0 : 0.0) - tmp[i]);
      gm_nn_mat9_mul (Y, T, tmp);
      for (int i = 0; i < 81; i++)
        Y[i] = tmp[i];
      gm_nn_mat9_mul (T, Z, tmp);
      for (int i = 0; i < 81; i++)
        Z[i] = tmp[i];
    }
  for (int i = 0; i < 81; i++)
    D[i] = (float) (Z[i] / sqrt (fro));
  for (int a = 0; a < 9; a++)
    mu[a] = (float) mean[a];
  if (running_mean != NULL)
    for (int a = 0; a < 9; a++)
      running_mean[a] = (1.f - momentum) * running_mean[a] + momentum * mu[a];
  if (running_deconv != NULL)
    for (int i = 0; i < 81; i++)
      running_deconv[i] = (1.f - momentum) * running_deconv[i] + momentum * D[i];
}
