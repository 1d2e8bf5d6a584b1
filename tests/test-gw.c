/* test-gw.c — the Gromov–Wasserstein layout solvers: energies, LAP, rings and Euclidean
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gm-layout.h"
#include "gm-test-truth.h"

/* core/gm-gw.c: dense linear assignment, min Σ_i cost[i][x_i]; returns the cost. */

#define KL_EPS 1e-15

/* ------------------------------------------------------------ helpers */

/* Correlation distance 1 − r between the columns of a random cells × n matrix
 * with gene modules, so that genes really are correlated. */
static double *
random_c1 (int     n,
           int     cells,
           guint32 seed)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (seed);
  int modules = MAX (2, n / 8);
  g_autofree double *x = g_new (double, (gsize) cells * n);
  g_autofree double *latent = g_new (double, (gsize) cells * modules);
  g_autofree int *module = g_new (int, n);
  double *C1 = g_new (double, (gsize) n * n);

  for (int k = 0; k < cells * modules; k++)
    latent[k] = g_rand_double_range (r, -1.0, 1.0);
  for (int g = 0; g < n; g++)
    module[g] = g_rand_int_range (r, 0, modules);
  for (int c = 0; c < cells; c++)
    for (int g = 0; g < n; g++)
      x[c * n + g] = 1.5 * latent[c * modules + module[g]] + g_rand_double_range (r, -1.0, 1.0);
  for (int g = 0; g < n; g++)
    {
      double mean = 0.0, ss = 0.0;

      for (int c = 0; c < cells; c++)
        mean += x[c * n + g];
      mean /= cells;
      for (int c = 0; c < cells; c++)
        {
          x[c * n + g] -= mean;
          ss += x[c * n + g] * x[c * n + g];
        }
      for (int c = 0; c < cells; c++)
        x[c * n + g] /= sqrt (ss);
    }
  for (int i = 0; i < n; i++)
    for (int k = 0; k < n; k++)
      {
        double dot = 0.0;

        for (int c = 0; c < cells; c++)
          dot += x[c * n + i] * x[c * n + k];
        C1[i * n + k] = i == k ? 0.0 : CLAMP (1.0 - dot, 0.0, 2.0);
      }
  return C1;
}

/* The reference's pixel radius, written independently of the library. */
static double
radius (int rows,
        int cols,
        int p)
{
  int r = p % rows, c = p / rows;
  double x = rows % 2 == 0 ? r - rows / 2 : r - (rows - 1) / 2;
  double y = cols % 2 == 0 ? c - cols / 2 : c - (cols - 1) / 2;

  return sqrt (x * x + y * y);
}

static double
brute_energy_rings (const double  *C1,
                    int            n,
                    int            rows,
                    int            cols,
                    const int32_t *pixel)
{
  long double total = 0.0L;

  for (int i = 0; i < n; i++)
    for (int k = 0; k < n; k++)
      {
        double a = C1[i * n + k];
        double b = fabs (radius (rows, cols, pixel[i]) - radius (rows, cols, pixel[k]));

        total += a * log (a + KL_EPS) - a + b - a * log (b + KL_EPS);
      }
  return (double) (total / ((long double) n * n));
}

static double
brute_energy_euclidean (const double  *C1,
                        int            n,
                        int            rows,
                        int            cols,
                        const int32_t *pixel)
{
  long double total = 0.0L;
  double maxa = 0.0, dmax = hypot (rows - 1, cols - 1);

  for (int k = 0; k < n * n; k++)
    maxa = MAX (maxa, C1[k]);
  for (int i = 0; i < n; i++)
    for (int k = 0; k < n; k++)
      {
        double d = hypot (pixel[i] % rows - pixel[k] % rows, pixel[i] / rows - pixel[k] / rows);
        double e = C1[i * n + k] / maxa - d / dmax;

        total += e * e;
      }
  return (double) (total / ((long double) n * n));
}

static void
assert_placement (const int32_t *pixel,
                  int            n,
                  int            rows,
                  int            cols,
                  const int32_t *allowed)
{
  g_autofree guchar *seen = g_malloc0 ((gsize) rows * cols);

  for (int i = 0; i < n; i++)
    {
      g_assert_cmpint (pixel[i], >=, 0);
      g_assert_cmpint (pixel[i], <, rows * cols);
      g_assert_false (seen[pixel[i]]);
      seen[pixel[i]] = 1;
      if (allowed != NULL)
        {
          gboolean ok = FALSE;

          for (int k = 0; k < n; k++)
            ok |= allowed[k] == pixel[i];
          g_assert_true (ok);
        }
      else
        g_assert_cmpint (pixel[i], <, n);   /* the first n pixels, column-major */
    }
}

static void
shuffle (int32_t *v,
         int      n,
         GRand   *r)
{
  for (int i = n - 1; i > 0; i--)
    {
      int j = g_rand_int_range (r, 0, i + 1);
      int32_t t = v[i];

      v[i] = v[j];
      v[j] = t;
    }
}

/* ------------------------------------------------------------ energies */

static void
test_energy_rings_hand (void)
{
  /* 2 × 2 grid, even sizes: x, y ∈ {−1, 0}.  Column-major pixels:
   * 0 = (−1,−1) ρ = √2, 1 = (0,−1) ρ = 1, 2 = (−1,0) ρ = 1, 3 = (0,0) ρ = 0. */
  const double C1[4] = { 0.0, 0.5, 0.5, 0.0 };
  const int32_t far[2] = { 0, 3 }, ring[2] = { 1, 2 };
  double L_far = 0.5 * log (0.5 + KL_EPS) - 0.5 + G_SQRT2 - 0.5 * log (G_SQRT2 + KL_EPS);
  double L_ring = 0.5 * log (0.5 + KL_EPS) - 0.5 + 0.0 - 0.5 * log (KL_EPS);

  /* E = (1/4)(2 L(0, 0) + 2 L(0.5, d)), L(0, 0) = 0 */
  g_assert_cmpfloat_with_epsilon (gm_gw_energy_rings_kl (C1, 2, 2, 2, far), 0.19717658847656807, 1e-12);
  g_assert_cmpfloat_with_epsilon (gm_gw_energy_rings_kl (C1, 2, 2, 2, far), 0.5 * L_far, 1e-14);
  g_assert_cmpfloat_with_epsilon (gm_gw_energy_rings_kl (C1, 2, 2, 2, ring), 0.5 * L_ring, 1e-12);
  g_assert_cmpfloat_with_epsilon (gm_gw_energy_rings_kl (C1, 2, 2, 2, ring), 8.2114073035876850, 1e-9);

  /* Euclidean: max C1 = 0.5, D_max = √2.  Pixels 0 and 3 are √2 apart: E = 0;
   * pixels 0 and 1 are 1 apart: E = (1/4) · 2 · (1 − 1/√2)². */
  g_assert_cmpfloat_with_epsilon (gm_gw_energy_euclidean (C1, 2, 2, 2, far), 0.0, 1e-15);
  {
    const int32_t near[2] = { 0, 1 };
    double e = 1.0 - 1.0 / G_SQRT2;

    g_assert_cmpfloat_with_epsilon (gm_gw_energy_euclidean (C1, 2, 2, 2, near), 0.5 * e * e, 1e-15);
  }
}

static void
test_energy_brute_force (void)
{
  const struct { int rows, cols, n; } cases[] = { { 3, 4, 12 }, { 5, 5, 17 }, { 6, 7, 42 }, { 1, 5, 4 } };
  g_autoptr(GRand) r = g_rand_new_with_seed (7);

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      int rows = cases[c].rows, cols = cases[c].cols, n = cases[c].n, P = rows * cols;
      g_autofree double *C1 = random_c1 (n, 40, 100 + c);
      g_autofree int32_t *all = g_new (int32_t, P);

      /* an asymmetric C1 is allowed too */
      C1[1] += 0.1;
      for (int p = 0; p < P; p++)
        all[p] = p;
      for (int t = 0; t < 5; t++)
        {
          double e, b;

          shuffle (all, P, r);
          e = gm_gw_energy_rings_kl (C1, n, rows, cols, all);
          b = brute_energy_rings (C1, n, rows, cols, all);
          g_assert_cmpfloat_with_epsilon (e, b, 1e-12 * fabs (b));
          e = gm_gw_energy_euclidean (C1, n, rows, cols, all);
          b = brute_energy_euclidean (C1, n, rows, cols, all);
          g_assert_cmpfloat_with_epsilon (e, b, 1e-12 * fabs (b) + 1e-15);
        }
    }
}

/* ------------------------------------------------------------------ LAP */

static double
brute_lap (const double *cost,
           int           n,
           int32_t      *perm,
           int           depth,
           guint         used,
           double        acc)
{
  double best = INFINITY;

  if (depth == n)
    return acc;
  for (int j = 0; j < n; j++)
    if (!(used & (1u << j)))
      best = MIN (best, brute_lap (cost, n, perm, depth + 1, used | (1u << j), acc + cost[depth * n + j]));
  return best;
}

/* A plain O(n³) Hungarian method with row and column potentials (Kuhn–Munkres
 * in its shortest-path form), written independently for the check. */
static double
hungarian (const double *cost,
           int           n)
{
  g_autofree double *u = g_new0 (double, n + 1), *v = g_new0 (double, n + 1);
  g_autofree double *minv = g_new (double, n + 1);
  g_autofree int *match = g_new0 (int, n + 1), *way = g_new0 (int, n + 1);
  g_autofree gboolean *used = g_new (gboolean, n + 1);
  double total = 0.0;

  /* match[j] = row (1-based) assigned to column j; column 0 is a sentinel */
  for (int i = 1; i <= n; i++)
    {
      int j0 = 0;

      match[0] = i;
      for (int j = 0; j <= n; j++)
        {
          minv[j] = INFINITY;
          used[j] = FALSE;
        }
      do
        {
          int i0 = match[j0], j1 = 0;
          double delta = INFINITY;

          used[j0] = TRUE;
          for (int j = 1; j <= n; j++)
            if (!used[j])
              {
                double cur = cost[(i0 - 1) * n + (j - 1)] - u[i0] - v[j];

                if (cur < minv[j])
                  {
                    minv[j] = cur;
                    way[j] = j0;
                  }
                if (minv[j] < delta)
                  {
                    delta = minv[j];
                    j1 = j;
                  }
              }
          for (int j = 0; j <= n; j++)
            if (used[j])
              {
                u[match[j]] += delta;
                v[j] -= delta;
              }
            else
              minv[j] -= delta;
          j0 = j1;
        }
      while (match[j0] != 0);
      do
        {
          int j1 = way[j0];

          match[j0] = match[j1];
          j0 = j1;
        }
      while (j0 != 0);
    }
  for (int j = 1; j <= n; j++)
    total += cost[(match[j] - 1) * n + (j - 1)];
  return total;
}

static void
test_lap (void)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (3);

  for (int n = 1; n <= 7; n++)
    for (int t = 0; t < 40; t++)
      {
        g_autofree double *cost = g_new (double, n * n);
        g_autofree int32_t *x = g_new (int32_t, n);
        g_autofree guchar *seen = g_malloc0 (n);
        double got, want, sum = 0.0;

        for (int k = 0; k < n * n; k++)
          /* every third case integer costs with many ties */
          cost[k] = t % 3 == 0 ? g_rand_int_range (r, 0, 4) : g_rand_double_range (r, -5.0, 5.0);
        got = gm_gw_lap_solve (n, cost, x);
        want = brute_lap (cost, n, x, 0, 0, 0.0);
        for (int i = 0; i < n; i++)
          {
            g_assert_cmpint (x[i], >=, 0);
            g_assert_cmpint (x[i], <, n);
            g_assert_false (seen[x[i]]);
            seen[x[i]] = 1;
            sum += cost[i * n + x[i]];
          }
        g_assert_cmpfloat_with_epsilon (got, sum, 1e-12);
        g_assert_cmpfloat_with_epsilon (got, want, 1e-9);
      }

  /* larger ones (the library then starts from auction prices) against a plain
   * O(n³) Hungarian method and against the transposed problem */
  for (int t = 0; t < 4; t++)
    {
      int n = t < 2 ? 300 : 420;
      g_autofree double *cost = g_new (double, n * n), *ct = g_new (double, n * n);
      g_autofree int32_t *x = g_new (int32_t, n), *y = g_new (int32_t, n);
      g_autofree double *px = g_new (double, 2 * n), *py = g_new (double, 2 * n);

      for (int i = 0; i < n; i++)
        {
          px[2 * i] = g_rand_double (r);
          px[2 * i + 1] = g_rand_double (r);
          py[2 * i] = g_rand_double (r);
          py[2 * i + 1] = g_rand_double (r);
        }
      for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
          switch (t)
            {
            case 0:     /* uniform */
              cost[i * n + j] = g_rand_double (r);
              break;
            case 1:     /* few values: many ties */
              cost[i * n + j] = g_rand_int_range (r, 0, 5);
              break;
            case 2:     /* geometric: squared distances between two point sets */
              cost[i * n + j] = (px[2 * i] - py[2 * j]) * (px[2 * i] - py[2 * j]) +
                                (px[2 * i + 1] - py[2 * j + 1]) * (px[2 * i + 1] - py[2 * j + 1]);
              break;
            default:    /* strong row and column effects plus a little noise */
              cost[i * n + j] = -(px[2 * i] * py[2 * j] * 100.0) + 0.01 * g_rand_double (r);
              break;
            }
      for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
          ct[j * n + i] = cost[i * n + j];
      {
        double got = gm_gw_lap_solve (n, cost, x);
        double want = hungarian (cost, n);

        g_assert_cmpfloat_with_epsilon (got, want, 1e-9 * (fabs (want) + 1.0));
        g_assert_cmpfloat_with_epsilon (gm_gw_lap_solve (n, ct, y), want, 1e-9 * (fabs (want) + 1.0));
      }
    }
}

/* ------------------------------------------------------------- rings */

static void
test_rings_basic (void)
{
  const struct { int rows, cols, n; gboolean subset; } cases[] = {
    { 7, 7, 49, FALSE }, { 6, 8, 40, FALSE }, { 6, 8, 30, TRUE }, { 1, 3, 2, FALSE }, { 10, 10, 100, FALSE },
  };
  g_autoptr(GRand) r = g_rand_new_with_seed (11);

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      int rows = cases[c].rows, cols = cases[c].cols, n = cases[c].n, P = rows * cols;
      g_autofree double *C1 = random_c1 (n, 50, 200 + c);
      g_autofree int32_t *pixel = g_new (int32_t, n), *pixel2 = g_new (int32_t, n);
      g_autofree int32_t *allowed = NULL, *perm = g_new (int32_t, n);
      GmSolverOptions opts = { .seed = 42 };
      g_autoptr(GError) error = NULL;
      double energy = 0.0, energy2 = 0.0, e_identity;

      if (cases[c].subset)
        {
          g_autofree int32_t *all = g_new (int32_t, P);

          for (int p = 0; p < P; p++)
            all[p] = p;
          shuffle (all, P, r);
          allowed = g_memdup2 (all, sizeof (int32_t) * n);
        }
      g_assert_true (gm_gw_solve_rings (C1, n, rows, cols, allowed, &opts, pixel, &energy, &error));
      g_assert_no_error (error);
      assert_placement (pixel, n, rows, cols, allowed);
      g_assert_cmpfloat (energy, ==, gm_gw_energy_rings_kl (C1, n, rows, cols, pixel));

      /* deterministic */
      g_assert_true (gm_gw_solve_rings (C1, n, rows, cols, allowed, &opts, pixel2, &energy2, &error));
      g_assert_cmpmem (pixel, n * sizeof (int32_t), pixel2, n * sizeof (int32_t));
      g_assert_cmpfloat (energy, ==, energy2);

      /* no worse than the identity and than random placements on the same pixels */
      for (int i = 0; i < n; i++)
        perm[i] = allowed != NULL ? allowed[i] : i;
      e_identity = gm_gw_energy_rings_kl (C1, n, rows, cols, perm);
      g_assert_cmpfloat (energy, <=, e_identity + 1e-12);
      for (int t = 0; t < 30; t++)
        {
          shuffle (perm, n, r);
          g_assert_cmpfloat (energy, <=, gm_gw_energy_rings_kl (C1, n, rows, cols, perm) + 1e-12);
        }
      /* and energy may be NULL */
      g_assert_true (gm_gw_solve_rings (C1, n, rows, cols, allowed, &opts, pixel2, NULL, &error));
    }
}

/* The reference iteration written out densely at pixel level, with the
 * library's LAP as the exact LP solver (spec §5.2):
 *   σ ← argmin_σ Σ_i K[i][σ_i],  K = −C1 · T · Hᵀ,  H = log(C2 + 1e-15),
 * from T0 uniform, 200 iterations; returns the last iterate's energy. */
static double
reference_iteration (const double *C1,
                     int           n,
                     int           rows,
                     int           cols,
                     int32_t      *sigma)
{
  g_autofree double *H = g_new (double, n * n), *K = g_new (double, n * n);
  g_autofree double *u = g_new0 (double, n), *v = g_new0 (double, n);

  for (int p = 0; p < n; p++)
    for (int q = 0; q < n; q++)
      H[p * n + q] = log (fabs (radius (rows, cols, p) - radius (rows, cols, q)) + KL_EPS);
  for (int i = 0; i < n; i++)
    for (int k = 0; k < n; k++)
      {
        u[i] += C1[i * n + k];
        v[i] += H[i * n + k];
      }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      K[i * n + j] = -u[i] * v[j] / ((double) n * n);
  gm_gw_lap_solve (n, K, sigma);
  for (int it = 1; it < 200; it++)
    {
      for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
          {
            double s = 0.0;

            for (int k = 0; k < n; k++)
              s += C1[i * n + k] * H[sigma[k] * n + j];
            K[i * n + j] = -s / n;
          }
      gm_gw_lap_solve (n, K, sigma);
    }
  return gm_gw_energy_rings_kl (C1, n, rows, cols, sigma);
}

static void
test_rings_vs_reference_iteration (void)
{
  const struct { int rows, cols; } grids[] = { { 6, 6 }, { 7, 7 }, { 5, 8 }, { 8, 8 } };

  for (guint c = 0; c < G_N_ELEMENTS (grids); c++)
    for (int seed = 0; seed < 3; seed++)
      {
        int rows = grids[c].rows, cols = grids[c].cols, n = rows * cols;
        g_autofree double *C1 = random_c1 (n, 60, 300 + 10 * c + seed);
        g_autofree int32_t *sigma = g_new (int32_t, n), *pixel = g_new (int32_t, n);
        GmSolverOptions opts = { .seed = seed };
        g_autoptr(GError) error = NULL;
        double e_ref, e_ours;

        e_ref = reference_iteration (C1, n, rows, cols, sigma);
        g_assert_true (gm_gw_solve_rings (C1, n, rows, cols, NULL, &opts, pixel, &e_ours, &error));
        g_assert_no_error (error);
        g_test_message ("%dx%d seed %d: reference iteration %.9f, ours %.9f", rows, cols, seed, e_ref, e_ours);
        g_assert_cmpfloat (e_ours, <=, e_ref + 1e-12);
      }
}

/* tests/data/genomap_ref_small.{tsv,bin}, made by
 * tests/reference/genomap_reference_energy.py with the published reference. */
static void
test_rings_vs_published_reference (void)
{
  g_autofree char *tsv_path = gm_test_data_path ("genomap_ref_small.tsv");
  g_autofree char *bin_path = gm_test_data_path ("genomap_ref_small.bin");
  g_autofree char *tsv = NULL, *bin = NULL;
  g_auto(GStrv) lines = NULL;
  gsize bin_len;
  g_autoptr(GError) error = NULL;
  int n_cases = 0;

  g_assert_true (g_file_get_contents (tsv_path, &tsv, NULL, &error));
  g_assert_true (g_file_get_contents (bin_path, &bin, &bin_len, &error));
  g_assert_no_error (error);
  lines = g_strsplit (tsv, "\n", -1);
  for (int l = 0; lines[l] != NULL; l++)
    {
      g_auto(GStrv) f = NULL;
      g_auto(GStrv) sig = NULL;
      g_autofree double *C1 = NULL;
      g_autofree int32_t *sigma = NULL, *pixel = NULL;
      GmSolverOptions opts = { 0 };
      int rows, cols, n;
      gsize offset, pos;
      double e_ref, e_ref_ours, e_first, e_ours;

      if (lines[l][0] == '#' || lines[l][0] == '\0' || g_str_has_prefix (lines[l], "name\t"))
        continue;
      f = g_strsplit (lines[l], "\t", -1);
      g_assert_cmpuint (g_strv_length (f), ==, 13);
      rows = atoi (f[1]);
      cols = atoi (f[2]);
      n = atoi (f[3]);
      offset = g_ascii_strtoull (f[5], NULL, 10);
      e_ref = g_ascii_strtod (f[6], NULL);
      e_first = g_ascii_strtod (f[7], NULL);
      g_assert_cmpuint (offset + (gsize) n * (n - 1), <=, bin_len);

      C1 = g_new0 (double, (gsize) n * n);
      pos = offset;
      for (int i = 0; i < n; i++)
        for (int k = i + 1; k < n; k++)
          {
            guint16 q = (guchar) bin[pos] | ((guint16) (guchar) bin[pos + 1] << 8);

            pos += 2;
            C1[i * n + k] = C1[k * n + i] = q / 32768.0;
          }
      sig = g_strsplit (f[12], ",", -1);
      g_assert_cmpuint (g_strv_length (sig), ==, n);
      sigma = g_new (int32_t, n);
      for (int i = 0; i < n; i++)
        sigma[i] = atoi (sig[i]);

      /* our energy of the reference's placement is the reference's energy */
      e_ref_ours = gm_gw_energy_rings_kl (C1, n, rows, cols, sigma);
      g_assert_cmpfloat_with_epsilon (e_ref_ours, e_ref, 1e-10);

      pixel = g_new (int32_t, n);
      g_assert_true (gm_gw_solve_rings (C1, n, rows, cols, NULL, &opts, pixel, &e_ours, &error));
      g_assert_no_error (error);
      assert_placement (pixel, n, rows, cols, NULL);
      g_test_message ("%s (%s): reference %.12f (first iterate %.12f), ours %.12f, delta %+.3g",
                      f[0], f[11], e_ref, e_first, e_ours, e_ours - e_ref);
      g_assert_cmpfloat (e_ours, <=, e_ref_ours + 1e-12);
      g_assert_cmpfloat (e_ours, <=, e_ref + 1e-10);
      n_cases++;
    }
  g_assert_cmpint (n_cases, >=, 3);
}

/* ----------------------------------------------------------- euclidean */

static void
test_euclidean_basic (void)
{
  const struct { int rows, cols, n; gboolean subset; } cases[] = {
    { 10, 10, 100, FALSE }, { 6, 9, 40, TRUE }, { 7, 5, 35, FALSE }, { 2, 2, 3, FALSE },
  };
  g_autoptr(GRand) r = g_rand_new_with_seed (5);

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      int rows = cases[c].rows, cols = cases[c].cols, n = cases[c].n, P = rows * cols;
      g_autofree double *C1 = random_c1 (n, 50, 400 + c);
      g_autofree int32_t *pixel = g_new (int32_t, n), *pixel2 = g_new (int32_t, n);
      g_autofree int32_t *allowed = NULL, *perm = g_new (int32_t, n);
      GmSolverOptions opts = { .seed = 9 };
      g_autoptr(GError) error = NULL;
      double energy, energy2, mean_random = 0.0;

      if (cases[c].subset)
        {
          g_autofree int32_t *all = g_new (int32_t, P);

          for (int p = 0; p < P; p++)
            all[p] = p;
          shuffle (all, P, r);
          allowed = g_memdup2 (all, sizeof (int32_t) * n);
        }
      g_assert_true (gm_gw_solve_euclidean (C1, n, rows, cols, allowed, &opts, pixel, &energy, &error));
      g_assert_no_error (error);
      assert_placement (pixel, n, rows, cols, allowed);
      g_assert_cmpfloat (energy, ==, gm_gw_energy_euclidean (C1, n, rows, cols, pixel));

      g_assert_true (gm_gw_solve_euclidean (C1, n, rows, cols, allowed, &opts, pixel2, &energy2, &error));
      g_assert_cmpmem (pixel, n * sizeof (int32_t), pixel2, n * sizeof (int32_t));
      g_assert_cmpfloat (energy, ==, energy2);

      for (int i = 0; i < n; i++)
        perm[i] = allowed != NULL ? allowed[i] : i;
      g_assert_cmpfloat (energy, <=, gm_gw_energy_euclidean (C1, n, rows, cols, perm) + 1e-12);
      for (int t = 0; t < 30; t++)
        {
          double e;

          shuffle (perm, n, r);
          e = gm_gw_energy_euclidean (C1, n, rows, cols, perm);
          mean_random += e / 30;
          g_assert_cmpfloat (energy, <=, e + 1e-12);
        }
      g_test_message ("euclidean %dx%d n=%d: %.6f (random placements %.6f)", rows, cols, n, energy,
                      mean_random);
      if (n >= 20)
        g_assert_cmpfloat (energy, <, mean_random);
    }
}

typedef gboolean (*SolveFunc) (const double *, int, int, int, const int32_t *,
                               const GmSolverOptions *, int32_t *, double *, GError **);

/* Tiny and degenerate problems: one ring only, 2 or 3 genes, a single row. */
static void
test_tiny (void)
{
  const struct { int rows, cols, n; int32_t allowed[4]; } cases[] = {
    { 2, 2, 2, { 1, 2 } },          /* both pixels on one ring */
    { 2, 2, 2, { -1 } },
    { 1, 2, 2, { -1 } },
    { 3, 3, 3, { -1 } },
    { 1, 9, 5, { -1 } },
    { 3, 3, 4, { 1, 3, 5, 7 } },    /* one ring again, on an odd grid */
  };
  SolveFunc solvers[2] = { gm_gw_solve_rings, gm_gw_solve_euclidean };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    for (int s = 0; s < 2; s++)
      {
        int n = cases[c].n;
        const int32_t *allowed = cases[c].allowed[0] < 0 ? NULL : cases[c].allowed;
        g_autofree double *C1 = random_c1 (n, 20, 500 + c);
        int32_t pixel[16];
        double energy = NAN;
        GmSolverOptions opts = { 0 };
        g_autoptr(GError) error = NULL;

        g_assert_true (solvers[s] (C1, n, cases[c].rows, cases[c].cols, allowed, &opts, pixel, &energy,
                                   &error));
        g_assert_no_error (error);
        assert_placement (pixel, n, cases[c].rows, cases[c].cols, allowed);
        g_assert_true (isfinite (energy));
      }
}

/* ------------------------------------------------------------- errors */

static void
cancel_on_progress (double      fraction,
                    const char *stage,
                    gpointer    data)
{
  g_assert_cmpfloat (fraction, >=, 0.0);
  g_assert_cmpfloat (fraction, <=, 1.0);
  g_assert_nonnull (stage);
  g_atomic_int_set ((gint *) data, 1);
}

typedef struct
{
  int    calls;
  double last;
} Progress;

static void
record_progress (double      fraction,
                 const char *stage,
                 gpointer    data)
{
  Progress *p = data;

  g_assert_cmpfloat (fraction, >=, 0.0);
  g_assert_cmpfloat (fraction, <=, 1.0);
  g_assert_cmpfloat (fraction, >=, p->last);   /* never backwards */
  g_assert_nonnull (stage);
  p->calls++;
  p->last = fraction;
}

static void
test_errors (void)
{
  SolveFunc solvers[2] = { gm_gw_solve_rings, gm_gw_solve_euclidean };
  int n = 16;
  g_autofree double *C1 = random_c1 (n, 30, 77);
  g_autofree int32_t *pixel = g_new (int32_t, n);

  for (int s = 0; s < 2; s++)
    {
      GmSolverOptions opts = { 0 };
      g_autoptr(GError) error = NULL;
      int32_t allowed[16];
      double saved;
      gint cancel = 0;
      Progress prog = { 0 };

      /* more genes than pixels */
      g_assert_false (solvers[s] (C1, n, 3, 5, NULL, &opts, pixel, NULL, &error));
      g_assert_error (error, GM_ERROR, GM_ERROR_USAGE);
      g_clear_error (&error);
      /* fewer than 2 genes, bad grid */
      g_assert_false (solvers[s] (C1, 1, 4, 4, NULL, &opts, pixel, NULL, &error));
      g_assert_error (error, GM_ERROR, GM_ERROR_USAGE);
      g_clear_error (&error);
      g_assert_false (solvers[s] (C1, n, 0, 16, NULL, &opts, pixel, NULL, &error));
      g_assert_error (error, GM_ERROR, GM_ERROR_USAGE);
      g_clear_error (&error);
      /* NaN and infinity in C1 */
      saved = C1[5];
      C1[5] = NAN;
      g_assert_false (solvers[s] (C1, n, 4, 4, NULL, &opts, pixel, NULL, &error));
      g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
      g_clear_error (&error);
      C1[5] = INFINITY;
      g_assert_false (solvers[s] (C1, n, 4, 4, NULL, &opts, pixel, NULL, &error));
      g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
      g_clear_error (&error);
      C1[5] = saved;
      /* allowed pixels: duplicate, out of range */
      for (int i = 0; i < n; i++)
        allowed[i] = 2 * i;
      allowed[3] = allowed[7];
      g_assert_false (solvers[s] (C1, n, 5, 8, allowed, &opts, pixel, NULL, &error));
      g_assert_error (error, GM_ERROR, GM_ERROR_USAGE);
      g_clear_error (&error);
      allowed[3] = 40;
      g_assert_false (solvers[s] (C1, n, 5, 8, allowed, &opts, pixel, NULL, &error));
      g_assert_error (error, GM_ERROR, GM_ERROR_USAGE);
      g_clear_error (&error);
      allowed[3] = -1;
      g_assert_false (solvers[s] (C1, n, 5, 8, allowed, &opts, pixel, NULL, &error));
      g_assert_error (error, GM_ERROR, GM_ERROR_USAGE);
      g_clear_error (&error);
      allowed[3] = 7;
      g_assert_true (solvers[s] (C1, n, 5, 8, allowed, &opts, pixel, NULL, &error));
      g_assert_no_error (error);

      /* cancelled before and during the run */
      cancel = 1;
      opts.cancel = &cancel;
      g_assert_false (solvers[s] (C1, n, 4, 4, NULL, &opts, pixel, NULL, &error));
      g_assert_error (error, GM_ERROR, GM_ERROR_CANCELLED);
      g_clear_error (&error);
      cancel = 0;
      opts.progress = cancel_on_progress;
      opts.progress_data = &cancel;
      g_assert_false (solvers[s] (C1, n, 4, 4, NULL, &opts, pixel, NULL, &error));
      g_assert_error (error, GM_ERROR, GM_ERROR_CANCELLED);
      g_clear_error (&error);

      /* progress never goes back and reaches 1 */
      opts.cancel = NULL;
      opts.progress = record_progress;
      opts.progress_data = &prog;
      g_assert_true (solvers[s] (C1, n, 4, 4, NULL, &opts, pixel, NULL, &error));
      g_assert_cmpint (prog.calls, >, 0);
      g_assert_cmpfloat (prog.last, ==, 1.0);
      {
        int big = 144;
        g_autofree double *C1b = random_c1 (big, 40, 78);
        g_autofree int32_t *pixb = g_new (int32_t, big);

        prog.calls = 0;
        prog.last = 0.0;
        g_assert_true (solvers[s] (C1b, big, 12, 12, NULL, &opts, pixb, NULL, &error));
        g_assert_cmpint (prog.calls, >, 3);
        g_assert_cmpfloat (prog.last, ==, 1.0);
      }
    }

  /* the KL loss needs C1 ≥ 0 */
  {
    GmSolverOptions opts = { 0 };
    g_autoptr(GError) error = NULL;

    C1[3] = -0.5;
    g_assert_false (gm_gw_solve_rings (C1, n, 4, 4, NULL, &opts, pixel, NULL, &error));
    g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
  }
}

static void
test_geometry_names (void)
{
  GmGridGeometry g;

  g_assert_cmpstr (gm_grid_geometry_name (GM_GRID_RINGS), ==, "rings");
  g_assert_cmpstr (gm_grid_geometry_name (GM_GRID_EUCLIDEAN), ==, "euclidean");
  g_assert_true (gm_grid_geometry_parse ("rings", &g));
  g_assert_cmpint (g, ==, GM_GRID_RINGS);
  g_assert_true (gm_grid_geometry_parse ("Euclidean", &g));
  g_assert_cmpint (g, ==, GM_GRID_EUCLIDEAN);
  g_assert_false (gm_grid_geometry_parse ("hexagonal", &g));
  g_assert_false (gm_grid_geometry_parse (NULL, &g));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gw/energy/hand-2x2", test_energy_rings_hand);
  g_test_add_func ("/gw/energy/brute-force", test_energy_brute_force);
  g_test_add_func ("/gw/lap", test_lap);
  g_test_add_func ("/gw/rings/basic", test_rings_basic);
  g_test_add_func ("/gw/rings/reference-iteration", test_rings_vs_reference_iteration);
  g_test_add_func ("/gw/rings/published-reference", test_rings_vs_published_reference);
  g_test_add_func ("/gw/euclidean/basic", test_euclidean_basic);
  g_test_add_func ("/gw/tiny", test_tiny);
  g_test_add_func ("/gw/errors", test_errors);
  g_test_add_func ("/gw/geometry-names", test_geometry_names);
  return g_test_run ();
}
