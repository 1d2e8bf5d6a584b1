/* gm-linalg.c — small dense linear algebra that OpenBLAS (without LAPACK) does not give us
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include <cblas.h>

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

/* ------------------------------------------------------------ gm_dgemm */

static GMutex accel_lock;
static GmNnBackend *accel;
static double accel_min = 134217728.0;     /* 2^27 multiply-adds */
static guint64 accel_calls;

GmNnBackend *
gm_linalg_set_accelerator (GmNnBackend *backend,
                           double       min_macs)
{
  GmNnBackend *old;

  g_mutex_lock (&accel_lock);
  old = accel;
  g_atomic_pointer_set (&accel, backend != NULL && backend->host_dgemm != NULL ? backend : NULL);
  accel_min = min_macs > 0 ? min_macs : 134217728.0;
  g_mutex_unlock (&accel_lock);
  return old;
}

guint64
gm_linalg_accelerated_calls (void)
{
  guint64 n;

  g_mutex_lock (&accel_lock);
  n = accel_calls;
  g_mutex_unlock (&accel_lock);
  return n;
}

/* Runs C = α·op(A)·op(B) + β·C on the accelerator when one is set and the
 * product has at least macs multiply-adds; FALSE: the caller computes it. */
static gboolean
try_accelerator (double        macs,
                 gboolean      ta,
                 gboolean      tb,
                 int           m,
                 int           n,
                 int           k,
                 double        alpha,
                 const double *a,
                 int           lda,
                 const double *b,
                 int           ldb,
                 double        beta,
                 double       *c,
                 int           ldc)
{
  gboolean done = FALSE;

  if (g_atomic_pointer_get (&accel) == NULL)
    return FALSE;
  g_mutex_lock (&accel_lock);
  if (accel != NULL && macs >= accel_min)
    {
      done = accel->host_dgemm (accel->ctx, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      accel_calls += done;
    }
  g_mutex_unlock (&accel_lock);
  return done;
}

void
gm_dgemm (gboolean      ta,
          gboolean      tb,
          int           m,
          int           n,
          int           k,
          double        alpha,
          const double *a,
          int           lda,
          const double *b,
          int           ldb,
          double        beta,
          double       *c,
          int           ldc)
{
  if (try_accelerator ((double) m * n * k, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc))
    return;
  cblas_dgemm (CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k,
               alpha, a, lda, b, ldb, beta, c, ldc);
}

void
gm_dsyrk_upper_t (int           n,
                  int           k,
                  double        alpha,
                  const double *a,
                  int           lda,
                  double        beta,
                  double       *c,
                  int           ldc)
{
  if (try_accelerator ((double) n * n * k / 2, TRUE, FALSE, n, n, k, alpha, a, lda, a, lda, beta, c, ldc))
    return;
  cblas_dsyrk (CblasRowMajor, CblasUpper, CblasTrans, n, k, alpha, a, lda, beta, c, ldc);
}
