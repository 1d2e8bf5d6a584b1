/* bench-gw.c — times the GenoMap layout solvers against the reference's published numbers
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: bench-gw [--repeat N] [--geometry rings|euclidean|both] [--max-iter N]
 *                 [--sizes 33,45] [--cells N] [--seed S] [--c1 FILE]...
 *
 * Without --c1 it builds C1 (the correlation distance 1 − r between genes, over
 * log1p counts per 10 000) from synthetic negative-binomial counts with
 * co-regulated gene modules, for a 33 × 33 (1089 genes) and a 45 × 45 (2025
 * genes) grid.  --c1 reads a matrix written by
 * tests/reference/genomap_reference_energy.py --dump-bench-c1, which uses the
 * reference benchmark's own data (/work/shared/bench/genomap_ref_bench.py), so
 * that the energies can be compared with the reference's on the same genes.
 * Each configuration is solved --repeat times; the best time is reported.
 */
#include "config.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gm-blas.h"
#include "gm-layout.h"

typedef struct
{
  int         cells, rows, cols;
  double      ref_seconds;   /* reference, 200 iterations, 2 threads (spec §10) */
  double      ref_energy;
  const char *ref_what;
} RefRow;

static const RefRow ref_rows[] = {
  { 500, 33, 33, 30.6, 3.268012824, "500 × 1089 (33×33)" },
  { 2000, 33, 33, 28.6, 3.273428724, "2000 × 1089 (33×33)" },
  { 2000, 45, 45, 142.9, 4.827980122, "2000 × 2025 (45×45)" },
};

/* ------------------------------------------------------ synthetic data */

static double
rand_normal (GRand *r)
{
  double u1 = g_rand_double (r), u2 = g_rand_double (r);

  if (u1 < 1e-300)
    u1 = 1e-300;
  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

/* Marsaglia & Tsang */
static double
rand_gamma (GRand  *r,
            double  shape,
            double  scale)
{
  double d, c;

  if (shape < 1.0)
    return rand_gamma (r, shape + 1.0, scale) * pow (g_rand_double (r) + 1e-300, 1.0 / shape);
  d = shape - 1.0 / 3.0;
  c = 1.0 / sqrt (9.0 * d);
  for (;;)
    {
      double x = rand_normal (r), v = 1.0 + c * x, u;

      if (v <= 0.0)
        continue;
      v = v * v * v;
      u = g_rand_double (r);
      if (u < 1.0 - 0.0331 * x * x * x * x || log (u) < 0.5 * x * x + d * (1.0 - v + log (v)))
        return d * v * scale;
    }
}

static double
rand_poisson (GRand  *r,
              double  lambda)
{
  if (lambda < 30.0)
    {
      double L = exp (-lambda), p = 1.0;
      int k = 0;

      do
        {
          k++;
          p *= g_rand_double (r);
        }
      while (p > L);
      return k - 1;
    }
  return MAX (0.0, floor (lambda + sqrt (lambda) * rand_normal (r) + 0.5));
}

/* C1 (n × n) from synthetic counts: cells × (n + spare) genes. */
static double *
synthetic_c1 (int     cells,
              int     n,
              guint32 seed)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (seed);
  int groups = 8, modules = 40, G = n + MAX (64, n / 5), kept = 0;
  g_autofree int *group = g_new (int, cells), *module = g_new (int, G);
  g_autofree double *base = g_new (double, G), *loading = g_new (double, G);
  g_autofree double *program = g_new (double, groups * modules);
  g_autofree double *activity = g_new (double, (gsize) cells * modules);
  g_autofree double *sf = g_new (double, cells), *disp = g_new (double, G);
  g_autofree double *counts = g_new (double, (gsize) cells * G);
  g_autofree double *Z = g_new (double, (gsize) cells * n);
  double *C1 = g_new (double, (gsize) n * n);

  for (int c = 0; c < cells; c++)
    {
      group[c] = g_rand_int_range (r, 0, groups);
      sf[c] = exp (0.35 * rand_normal (r));
    }
  for (int g = 0; g < G; g++)
    {
      module[g] = g_rand_int_range (r, 0, modules);
      base[g] = exp (log (0.6) + 1.2 * rand_normal (r));
      loading[g] = g_rand_double (r) < 0.15 ? 0.0 : g_rand_double_range (r, 0.5, 1.5);
      disp[g] = exp (log (0.3) + 0.5 * rand_normal (r));
    }
  for (int k = 0; k < groups * modules; k++)
    program[k] = g_rand_double (r) < 0.35 ? 1.2 * rand_normal (r) : 0.0;
  for (gsize k = 0; k < (gsize) cells * modules; k++)
    activity[k] = 0.5 * rand_normal (r);
  for (int c = 0; c < cells; c++)
    {
      double lib = 0.0;
      double *row = counts + (gsize) c * G;

      for (int g = 0; g < G; g++)
        {
          double lmu = log (sf[c]) + log (base[g]) +
                       loading[g] * (program[group[c] * modules + module[g]] +
                                     activity[(gsize) c * modules + module[g]]);
          double shape = 1.0 / disp[g];
          double lam = rand_gamma (r, shape, exp (lmu) / shape);

          row[g] = rand_poisson (r, lam);
          lib += row[g];
        }
      if (lib <= 0.0)
        lib = 1.0;
      for (int g = 0; g < G; g++)
        row[g] = log1p (row[g] / lib * 1e4);
    }
  /* standardised columns (mean 0, norm 1) of the first n non-constant genes */
  for (int g = 0; g < G && kept < n; g++)
    {
      double mean = 0.0, ss = 0.0;

      for (int c = 0; c < cells; c++)
        mean += counts[(gsize) c * G + g];
      mean /= cells;
      for (int c = 0; c < cells; c++)
        {
          double v = counts[(gsize) c * G + g] - mean;

          ss += v * v;
        }
      if (ss <= 0.0)
        continue;
      for (int c = 0; c < cells; c++)
        Z[(gsize) c * n + kept] = (counts[(gsize) c * G + g] - mean) / sqrt (ss);
      kept++;
    }
  g_assert (kept == n);
  cblas_dgemm (CblasRowMajor, CblasTrans, CblasNoTrans, n, n, cells, 1.0, Z, n, Z, n, 0.0, C1, n);
  for (int i = 0; i < n; i++)
    for (int k = 0; k < n; k++)
      {
        double v = i == k ? 0.0 : CLAMP (1.0 - C1[(gsize) i * n + k], 0.0, 2.0);

        C1[(gsize) i * n + k] = v;
      }
  for (int i = 0; i < n; i++)   /* exact symmetry */
    for (int k = i + 1; k < n; k++)
      C1[(gsize) k * n + i] = C1[(gsize) i * n + k];
  return C1;
}

/* "GMC1" int32 n, rows, cols, cells; then n × n float64, little-endian. */
static double *
read_c1 (const char *path,
         int        *n,
         int        *rows,
         int        *cols,
         int        *cells)
{
  g_autofree char *buf = NULL;
  gsize len;
  g_autoptr(GError) error = NULL;
  int32_t hdr[4];

  if (!g_file_get_contents (path, &buf, &len, &error))
    g_error ("%s", error->message);
  if (len < 20 || memcmp (buf, "GMC1", 4) != 0)
    g_error ("%s: not a C1 dump", path);
  memcpy (hdr, buf + 4, sizeof hdr);
  *n = hdr[0];
  *rows = hdr[1];
  *cols = hdr[2];
  *cells = hdr[3];
  if (len != 20 + (gsize) *n * *n * sizeof (double))
    g_error ("%s: wrong size", path);
  return g_memdup2 (buf + 20, (gsize) *n * *n * sizeof (double));
}

/* ------------------------------------------------------------- timing */

typedef gboolean (*SolveFunc) (const double *, int, int, int, const int32_t *,
                               const GmSolverOptions *, int32_t *, double *, GError **);

static double
cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
bench_one (const char *label,
           const char *geometry,
           SolveFunc   solve,
           const double *C1,
           int          n,
           int          rows,
           int          cols,
           int          cells,
           int          repeat,
           int          max_iter,
           guint64      seed)
{
  GmSolverOptions opts = { 0 };
  g_autofree int32_t *pixel = g_new (int32_t, n);
  double best_t = INFINITY, best_cpu = NAN, energy = NAN, first_energy = NAN;
  const RefRow *ref = NULL;

  opts.seed = seed;
  opts.max_iter = max_iter;
  for (int r = 0; r < repeat; r++)
    {
      g_autoptr(GError) error = NULL;
      gint64 t0 = g_get_monotonic_time ();
      double c0 = cpu_seconds (), t;

      if (!solve (C1, n, rows, cols, NULL, &opts, pixel, &energy, &error))
        g_error ("%s", error->message);
      t = (g_get_monotonic_time () - t0) / 1e6;
      if (t < best_t)
        {
          best_t = t;
          best_cpu = cpu_seconds () - c0;
        }
      if (r == 0)
        first_energy = energy;
      else if (energy != first_energy)
        g_error ("not deterministic: %.17g vs %.17g", energy, first_energy);
    }
  for (guint k = 0; k < G_N_ELEMENTS (ref_rows); k++)
    if (ref_rows[k].cells == cells && ref_rows[k].rows == rows && ref_rows[k].cols == cols)
      ref = &ref_rows[k];

  printf ("%-30s %-9s n=%-5d best of %d: %7.3f s wall (%6.3f s CPU)  E = %.9f", label, geometry, n,
          repeat, best_t, best_cpu, energy);
  if (ref != NULL && g_str_equal (geometry, "rings"))
    printf ("   | reference %s: %.1f s, E = %.9f  → %.0f× faster, ΔE = %+.3g",
            ref->ref_what, ref->ref_seconds, ref->ref_energy, ref->ref_seconds / best_t,
            energy - ref->ref_energy);
  printf ("\n");
  fflush (stdout);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *blas = NULL;
  g_autofree char *sizes = NULL;     /* defaults set after parsing: GOption */
  g_autofree char *geometry = NULL;  /* does not free what it replaces */
  g_auto(GStrv) c1_files = NULL;
  int repeat = 3, max_iter = 0, cells = 0;
  gint64 seed = 0;
  g_autoptr(GOptionContext) ctx = NULL;
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = {
    { "repeat", 0, 0, G_OPTION_ARG_INT, &repeat, "Solves per configuration (best time kept)", "N" },
    { "geometry", 0, 0, G_OPTION_ARG_STRING, &geometry, "rings, euclidean or both", "G" },
    { "max-iter", 0, 0, G_OPTION_ARG_INT, &max_iter, "Solver max_iter (0 = default)", "N" },
    { "sizes", 0, 0, G_OPTION_ARG_STRING, &sizes, "Square grid sides, comma-separated", "LIST" },
    { "cells", 0, 0, G_OPTION_ARG_INT, &cells, "Synthetic cells (0 = 500 for 33, 2000 otherwise)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Solver seed", "S" },
    { "c1", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &c1_files, "C1 dump (repeatable); replaces --sizes", "FILE" },
    { NULL }
  };
  gboolean do_rings, do_euc;

  gm_blas_ensure_fast_kernels (argv);
  ctx = g_option_context_new ("— time the GenoMap layout solvers");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }
  if (sizes == NULL)
    sizes = g_strdup ("33,45");
  if (geometry == NULL)
    geometry = g_strdup ("both");
  do_rings = g_str_equal (geometry, "rings") || g_str_equal (geometry, "both");
  do_euc = g_str_equal (geometry, "euclidean") || g_str_equal (geometry, "both");
  blas = gm_blas_describe ();
  printf ("BLAS: %s\n", blas);
  printf ("Reference (xinglab-ai/genomap, POT 0.8.2 exact EMD, 200 iterations, OpenBLAS 2 threads,"
          " same 2-vCPU machine; spec §10):\n");
  for (guint k = 0; k < G_N_ELEMENTS (ref_rows); k++)
    printf ("  %-22s %6.1f s   E_KL = %.9f\n", ref_rows[k].ref_what, ref_rows[k].ref_seconds,
            ref_rows[k].ref_energy);
  printf ("Times are solver-only (C1 given), best of %d.\n", repeat);

  if (c1_files != NULL)
    {
      for (int f = 0; c1_files[f] != NULL; f++)
        {
          int n, rows, cols, c;
          g_autofree double *C1 = read_c1 (c1_files[f], &n, &rows, &cols, &c);
          g_autofree char *label = g_strdup_printf ("%s (%d cells)", c1_files[f], c);
          g_autofree char *base = g_path_get_basename (c1_files[f]);

          g_free (label);
          label = g_strdup_printf ("%s [%d cells]", base, c);
          if (do_rings)
            bench_one (label, "rings", gm_gw_solve_rings, C1, n, rows, cols, c, repeat, max_iter, seed);
          if (do_euc)
            bench_one (label, "euclidean", gm_gw_solve_euclidean, C1, n, rows, cols, c, repeat,
                       max_iter, seed);
        }
      return 0;
    }

  {
    g_auto(GStrv) parts = g_strsplit (sizes, ",", -1);

    for (int s = 0; parts[s] != NULL; s++)
      {
        int side = atoi (parts[s]), n = side * side;
        int c = cells > 0 ? cells : (side <= 33 ? 500 : 2000);
        gint64 t0 = g_get_monotonic_time ();
        g_autofree double *C1 = synthetic_c1 (c, n, 1234);
        g_autofree char *label = g_strdup_printf ("synthetic %d × %d (%d×%d)", c, n, side, side);

        printf ("(C1 for %d genes over %d synthetic cells built in %.2f s)\n", n, c,
                (g_get_monotonic_time () - t0) / 1e6);
        if (do_rings)
          bench_one (label, "rings", gm_gw_solve_rings, C1, n, side, side, -1, repeat, max_iter, seed);
        if (do_euc)
          bench_one (label, "euclidean", gm_gw_solve_euclidean, C1, n, side, side, -1, repeat,
                     max_iter, seed);
      }
  }
  return 0;
}
