/* gm-linalg.c — small dense linear algebra that OpenBLAS (without LAPACK) does not give us
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include "gm-linalg.h"

/* Cyclic Jacobi eigen-decomposition of the symmetric l × l matrix @a (destroyed):
 * eigenvalues in @w, eigenvectors in the columns of @v, both sorted descending. */
void
gm_linalg_sym_eigen (double *a,
                     int     l,
                     double *w,
                     double *v)
{
  g_autofree int *order = g_new (int, MAX (l, 1));
  g_autofree double *vv = g_new (double, MAX (l * l, 1));

  for (int i = 0; i < l * l; i++)
    vv[i] = 0.0;
  for (int i = 0; i < l; i++)
    vv[i * l + i] = 1.0;
  for (int sweep = 0; sweep < 60; sweep++)
    {
      double off = 0.0, diag = 0.0;

      for (int i = 0; i < l; i++)
        {
          diag += a[i * l + i] * a[i * l + i];
          for (int j = i + 1; j < l; j++)
            off += a[i * l + j] * a[i * l + j];
        }
      if (off <= 1e-30 * diag || off == 0.0)
        break;
      for (int p = 0; p < l; p++)
        for (int q = p + 1; q < l; q++)
          {
            double apq = a[p * l + q], app, aqq, theta, t, c, s;

            if (fabs (apq) < 1e-300)
              continue;
            app = a[p * l + p];
            aqq = a[q * l + q];
            theta = (aqq - app) / (2.0 * apq);
            t = (theta >= 0.0 ? 1.0 : -1.0) / (fabs (theta) + sqrt (theta * theta + 1.0));
            c = 1.0 / sqrt (t * t + 1.0);
            s = t * c;
            for (int k = 0; k < l; k++)
              {
                double akp = a[k * l + p], akq = a[k * l + q];
                a[k * l + p] = c * akp - s * akq;
                a[k * l + q] = s * akp + c * akq;
              }
            for (int k = 0; k < l; k++)
              {
                double apk = a[p * l + k], aqk = a[q * l + k];
                a[p * l + k] = c * apk - s * aqk;
                a[q * l + k] = s * apk + c * aqk;
              }
            for (int k = 0; k < l; k++)
              {
                double vkp = vv[k * l + p], vkq = vv[k * l + q];
                vv[k * l + p] = c * vkp - s * vkq;
                vv[k * l + q] = s * vkp + c * vkq;
              }
          }
    }
  for (int i = 0; i < l; i++)
    order[i] = i;
  /* insertion sort, descending eigenvalue (l is small) */
  for (int i = 1; i < l; i++)
    {
      int x = order[i], j = i - 1;
      while (j >= 0 && a[order[j] * l + order[j]] < a[x * l + x])
        {
          order[j + 1] = order[j];
          j--;
        }
      order[j + 1] = x;
    }
  for (int c = 0; c < l; c++)
    {
      w[c] = a[order[c] * l + order[c]];
      for (int k = 0; k < l; k++)
        v[k * l + c] = vv[k * l + order[c]];
    }
}
