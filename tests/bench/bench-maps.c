/* bench-maps.c — streams every cell of a dataset through a GenoMap layout (a benchmark, not a test)
 *
 * Usage: bench-maps DATASET [LAYOUT.tsv]
 * Without a layout it computes the default one (rings, the largest square up to 32 × 32).
 * Reports: read time, layout time, and the time to map all cells with each transform.
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>

#include "gm-blas.h"
#include "gm-layout.h"

#define BATCH 4096

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = NULL;
  g_autoptr(GmLayout) layout = NULL;
  g_autofree char *blas = NULL;
  GmTransform transforms[] = { GM_TRANSFORM_RAW, GM_TRANSFORM_LOG1P_CP10K, GM_TRANSFORM_ZSCORE,
                               GM_TRANSFORM_MINMAX };
  gint64 t0;

  gm_blas_ensure_fast_kernels (argv);
  if (argc < 2)
    {
      fprintf (stderr, "usage: bench-maps DATASET [LAYOUT.tsv]\n");
      return 2;
    }
  blas = gm_blas_describe ();
  printf ("BLAS: %s\n", blas);

  t0 = g_get_monotonic_time ();
  ds = gm_read (argv[1], NULL, &error);
  if (ds == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 3;
    }
  printf ("read %s: %" G_GINT64_FORMAT " cells × %" G_GINT64_FORMAT " genes, %.2f s\n", argv[1],
          gm_dataset_n_cells (ds), gm_dataset_n_genes (ds), (g_get_monotonic_time () - t0) / 1e6);

  t0 = g_get_monotonic_time ();
  layout = argc > 2 ? gm_layout_load (argv[2], &error) : gm_layout_compute (ds, NULL, &error);
  if (layout == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 3;
    }
  printf ("layout: %d genes on %d × %d, %.2f s (gene selection, correlations, solver)\n",
          layout->n_genes, layout->rows, layout->cols, (g_get_monotonic_time () - t0) / 1e6);

  for (guint t = 0; t < G_N_ELEMENTS (transforms); t++)
    {
      g_autoptr(GmMapper) m = NULL;
      int64_t n = gm_dataset_n_cells (ds);
      int P = layout->rows * layout->cols;
      g_autofree float *out = g_new (float, (gsize) BATCH * P);
      g_autofree int64_t *cells = g_new (int64_t, BATCH);
      double checksum = 0;
      gint64 t1;

      t0 = g_get_monotonic_time ();
      m = gm_mapper_new (layout, ds, transforms[t], &error);
      t1 = g_get_monotonic_time ();
      for (int64_t c0 = 0; c0 < n; c0 += BATCH)
        {
          int64_t nb = MIN (BATCH, n - c0);
          for (int64_t i = 0; i < nb; i++)
            cells[i] = c0 + i;
          gm_mapper_map_cells (m, cells, nb, out);
          checksum += out[(nb - 1) * P + P / 2];
        }
      printf ("map every cell, %-7s: prepare %.3f s, map %.3f s (%.2f µs per cell) [checksum %g]\n",
              gm_transform_name (transforms[t]), (t1 - t0) / 1e6, (g_get_monotonic_time () - t1) / 1e6,
              (g_get_monotonic_time () - t1) / (double) n, checksum);
    }
  return 0;
}
