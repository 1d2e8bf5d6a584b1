/* test-linalg.c — gm_dgemm / gm_dsyrk_upper_t and their accelerator dispatch
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The CPU backend's host_dgemm is plain loops (not BLAS), so with it as the
 * "accelerator" these tests check the dispatch's operand translation against
 * an independent computation.  The CUDA backend's host_dgemm is checked
 * against the CPU in test-nn-cuda (on a GPU).
 */
#include "config.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "gm-io.h"
#include "gm-layout.h"
#include "gm-linalg.h"
#include "gm-test-truth.h"

static void
fill (GRand  *r,
      double *x,
      gsize   n)
{
  for (gsize i = 0; i < n; i++)
    x[i] = g_rand_double_range (r, -1.0, 1.0);
}

/* C = α·op(A)·op(B) + β·C by the definition, in long double. */
static void
reference (gboolean      ta,
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
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++)
      {
        long double s = 0;

        for (int q = 0; q < k; q++)
          s += (long double) (ta ? a[q * lda + i] : a[i * lda + q]) * (tb ? b[j * ldb + q] : b[q * ldb + j]);
        c[i * ldc + j] = (double) (alpha * s + beta * (long double) c[i * ldc + j]);
      }
}

/* Every transpose combination, leading dimensions wider than the matrices,
 * β ≠ 0: on the CPU path and through the accelerator. */
static void
test_dgemm_dispatch (void)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (3);
  g_autoptr(GmNnBackend) cpu = gm_nn_backend_cpu ();
  const int m = 7, n = 5, k = 9, pad = 3;

  for (int accel = 0; accel < 2; accel++)
    for (int ta = 0; ta < 2; ta++)
      for (int tb = 0; tb < 2; tb++)
        {
          int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
          int ra = ta ? k : m, rb = tb ? n : k;
          g_autofree double *a = g_new (double, ra * lda), *b = g_new (double, rb * ldb);
          g_autofree double *c = g_new (double, m * ldc), *want = g_new (double, m * ldc);
          guint64 before = gm_linalg_accelerated_calls ();

          fill (r, a, ra * lda);
          fill (r, b, rb * ldb);
          fill (r, c, m * ldc);
          memcpy (want, c, sizeof (double) * m * ldc);
          reference (ta, tb, m, n, k, 0.7, a, lda, b, ldb, -0.3, want, ldc);
          gm_linalg_set_accelerator (accel ? cpu : NULL, 1.0);
          gm_dgemm (ta, tb, m, n, k, 0.7, a, lda, b, ldb, -0.3, c, ldc);
          gm_linalg_set_accelerator (NULL, 0);
          g_assert_cmpuint (gm_linalg_accelerated_calls () - before, ==, (guint64) accel);
          for (int i = 0; i < m; i++)
            for (int j = 0; j < ldc; j++)
              g_assert_cmpfloat_with_epsilon (c[i * ldc + j], want[i * ldc + j], 1e-12);
        }
}

/* gm_dsyrk_upper_t: the upper triangle of α·AᵀA + β·C, both paths; the
 * threshold keeps small products on the CPU; a backend without host_dgemm
 * is not taken. */
static void
test_dsyrk_and_threshold (void)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (4);
  g_autoptr(GmNnBackend) cpu = gm_nn_backend_cpu ();
  GmNnBackend none = { 0 };
  const int n = 6, k = 11, lda = 8, ldc = 7;
  double a[11 * 8], c0[6 * 7], c[6 * 7], want[6 * 7];
  guint64 before;

  fill (r, a, G_N_ELEMENTS (a));
  fill (r, c0, G_N_ELEMENTS (c0));
  memcpy (want, c0, sizeof c0);
  reference (TRUE, FALSE, n, n, k, 1.5, a, lda, a, lda, 0.5, want, ldc);
  for (int accel = 0; accel < 2; accel++)
    {
      memcpy (c, c0, sizeof c0);
      before = gm_linalg_accelerated_calls ();
      gm_linalg_set_accelerator (accel ? cpu : NULL, 1.0);
      gm_dsyrk_upper_t (n, k, 1.5, a, lda, 0.5, c, ldc);
      gm_linalg_set_accelerator (NULL, 0);
      g_assert_cmpuint (gm_linalg_accelerated_calls () - before, ==, (guint64) accel);
      for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++)
          g_assert_cmpfloat_with_epsilon (c[i * ldc + j], want[i * ldc + j], 1e-12);
      if (!accel)     /* cblas_dsyrk leaves the strict lower triangle alone */
        for (int i = 0; i < n; i++)
          for (int j = 0; j < i; j++)
            g_assert_cmpfloat (c[i * ldc + j], ==, c0[i * ldc + j]);
    }

  before = gm_linalg_accelerated_calls ();
  gm_linalg_set_accelerator (cpu, 1e18);
  gm_dgemm (FALSE, FALSE, n, n, k, 1.0, a, lda, a, lda, 0.0, c, ldc);
  g_assert_true (gm_linalg_set_accelerator (&none, 1.0) == cpu);
  gm_dgemm (FALSE, FALSE, n, n, k, 1.0, a, lda, a, lda, 0.0, c, ldc);
  g_assert_null (gm_linalg_set_accelerator (NULL, 0));
  g_assert_cmpuint (gm_linalg_accelerated_calls (), ==, before);
}

/* A whole layout with every product on the stand-in accelerator: the
 * products take another summation order, so the layout may differ in its
 * last digits, but it is a layout of the same quality. */
static void
test_layout_on_accelerator (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = gm_test_data_path ("csr_counts.h5ad");
  g_autoptr(GmDataset) ds = gm_read (path, NULL, &error);
  g_autoptr(GmNnBackend) cpu = gm_nn_backend_cpu ();
  GmLayoutOptions o;
  GmLayout *plain, *accel;
  guint64 before;
  int same = 0;

  g_assert_no_error (error);
  gm_layout_options_init (&o);
  plain = gm_layout_compute (ds, &o, &error);
  g_assert_no_error (error);
  before = gm_linalg_accelerated_calls ();
  gm_linalg_set_accelerator (cpu, 1.0);
  accel = gm_layout_compute (ds, &o, &error);
  gm_linalg_set_accelerator (NULL, 0);
  g_assert_no_error (error);
  g_assert_cmpuint (gm_linalg_accelerated_calls () - before, >, 0);
  g_assert_cmpint (accel->n_genes, ==, plain->n_genes);
  for (int i = 0; i < plain->n_genes; i++)
    {
      g_assert_cmpstr (accel->genes[i], ==, plain->genes[i]);
      same += accel->pixel[i] == plain->pixel[i];
    }
  g_test_message ("layout on the stand-in accelerator: %d of %d genes on the same pixel, "
                  "energy %.12g vs %.12g", same, plain->n_genes, accel->energy, plain->energy);
  g_assert_cmpfloat_with_epsilon (accel->energy, plain->energy, 1e-6 * fabs (plain->energy));
  gm_layout_free (plain);
  gm_layout_free (accel);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/linalg/dgemm-dispatch", test_dgemm_dispatch);
  g_test_add_func ("/linalg/dsyrk-threshold", test_dsyrk_and_threshold);
  g_test_add_func ("/linalg/layout-on-accelerator", test_layout_on_accelerator);
  return g_test_run ();
}
