/* bench-baselines.c — time kNN smoothing and MAGIC on a Splatter-style dataset
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: bench-baselines [CELLS [GENES]]   (default 10 000 × 2000, 0.5 % efficiency)
 */
#include "config.h"

#include <stdlib.h>

#include "gm-baselines.h"
#include "gm-blas.h"
#include "gm-evaluate.h"
#include "gm-simulate.h"

static double
now (void)
{
  return g_get_monotonic_time () / 1e6;
}

static GmDataset *
wrap (const GmDataset *like,
      const float     *v)
{
  GmDataset *ds = gm_dataset_new ();
  int64_t n = like->X.n_rows, g = like->X.n_cols, nnz = 0;

  ds->X.n_rows = n;
  ds->X.n_cols = g;
  ds->X.indptr = g_new0 (int64_t, n + 1);
  ds->X.indices = g_new (int32_t, (gsize) n * g);
  ds->X.data = g_new (float, (gsize) n * g);
  ds->cell_names = g_new0 (char *, n);
  ds->gene_names = g_new0 (char *, g);
  for (int64_t c = 0; c < n; c++)
    {
      ds->cell_names[c] = g_strdup (like->cell_names[c]);
      for (int64_t j = 0; j < g; j++)
        if (v[(gsize) c * g + j] != 0.0f)
          {
            ds->X.indices[nnz] = (int32_t) j;
            ds->X.data[nnz++] = v[(gsize) c * g + j];
          }
      ds->X.indptr[c + 1] = nnz;
    }
  for (int64_t j = 0; j < g; j++)
    ds->gene_names[j] = g_strdup (like->gene_names[j]);
  return ds;
}

int
main (int    argc,
      char **argv)
{
  GmSplatParams sp;
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ref = NULL, obs = NULL;
  g_autofree char *blas = NULL;
  double t;

  gm_blas_ensure_fast_kernels (argv);
  blas = gm_blas_describe ();
  gm_splat_params_init (&sp);
  sp.n_cells = argc > 1 ? atoi (argv[1]) : 10000;
  sp.n_genes = argc > 2 ? atoi (argv[2]) : 2000;
  sp.n_groups = 6;
  sp.seed = 1;
  g_print ("%s\n", blas);
  t = now ();
  ref = gm_simulate_splat (&sp, &error);
  g_assert_no_error (error);
  g_print ("splat %d × %d: %.2f s\n", sp.n_cells, sp.n_genes, now () - t);
  t = now ();
  obs = gm_simulate_efficiency (ref, 10.0, 2000.0, 2, &error);
  g_assert_no_error (error);
  g_print ("efficiency 0.5 %%: %.2f s\n", now () - t);
  {
    g_autoptr(GmEvalResult) r = gm_evaluate (ref, obs, NULL, GM_SCALE_LOGNORM, &error);
    g_assert_no_error (error);
    g_print ("observed: median per-gene r %.4f\n", r->after.median);
  }
  for (int m = 0; m < 2; m++)
    {
      GmBaselineParams p;
      g_autofree float *v = NULL;
      g_autoptr(GmDataset) imp = NULL;
      g_autoptr(GmEvalResult) r = NULL;

      gm_baseline_params_init (&p, m == 0 ? GM_BASELINE_KNN : GM_BASELINE_MAGIC);
      t = now ();
      v = gm_impute_baseline (&obs->X, &p, &error);
      g_assert_no_error (error);
      g_print ("%-6s %.2f s", m == 0 ? "knn" : "magic", now () - t);
      imp = wrap (obs, v);
      r = gm_evaluate (ref, imp, NULL, GM_SCALE_LOGNORM, &error);
      g_assert_no_error (error);
      g_print ("   median per-gene r %.4f\n", r->after.median);
    }
  return 0;
}
