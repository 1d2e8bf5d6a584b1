/* bench-ernet-accuracy.c — ER-Net learning curves against a reference, with
 * the baselines on the same genes
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: bench-ernet-accuracy --reference REF --observed OBS --layout L.tsv
 *          [--model compact|paper|tiny] [--ngf N] [--steps 2500] [--batch 64]
 *          [--lr 2e-4] [--loss paper|mse] [--every 250] [--seed 0]
 *          [--threads T] [--no-baselines]
 *
 * Scores are the median per-gene Pearson r across cells, on log1p(CP10k) with
 * each matrix's own library sizes (as `genomap-cli evaluate`), over the genes
 * ON THE MAP only (the genes ER-Net imputes) whose r is defined for every
 * method; the table says how many.  Observed, kNN smoothing and MAGIC come
 * first; then, every --every training steps, the model is applied to all
 * cells with direct (spec §6) and masked inference (gm-impute.h) and both are
 * scored.  Training time excludes the evaluations.
 */
#include "config.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gm-baselines.h"
#include "gm-blas.h"
#include "gm-evaluate.h"
#include "gm-impute.h"
#include "gm-io.h"

typedef struct
{
  const GmDataset *obs;
  int64_t          n_cells, n_genes;
  int32_t         *genes;      /* mapped genes (columns of obs) */
  int              n_map;
  double          *ref;        /* n_map × n_cells, gene-major lognorm reference */
  GmErnetImputeOptions *opts;
  double           train_s;    /* training seconds so far */
  double           t_last;     /* monotonic time at the end of the last evaluation */
  int              n_defined;  /* genes with a defined r in the last score */
} Bench;

static double
now_s (void)
{
  return g_get_monotonic_time () / 1e6;
}

static int
cmp_double (const void *a,
            const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Median r over the mapped genes of log values L (cells × n_map). */
static double
score_log (Bench        *b,
           const double *L)
{
  g_autofree double *col = g_new (double, b->n_cells);
  g_autofree double *r = g_new (double, b->n_map);
  int nr = 0;

  for (int k = 0; k < b->n_map; k++)
    {
      double rr;

      for (int64_t c = 0; c < b->n_cells; c++)
        col[c] = L[(gsize) c * b->n_map + k];
      rr = gm_pearson (col, b->ref + (gsize) k * b->n_cells, b->n_cells);
      if (isfinite (rr))
        r[nr++] = rr;
    }
  b->n_defined = nr;
  if (nr == 0)
    return NAN;
  qsort (r, nr, sizeof (double), cmp_double);
  return gm_quantile_sorted (r, nr, 0.5);
}

/* Median r over the mapped genes of dense counts v (cells × genes), on
 * log1p (CP10k) with v's own library sizes. */
static double
score (Bench       *b,
       const float *v,
       int         *n_defined)
{
  g_autofree double *L = g_new (double, (gsize) b->n_cells * b->n_map);
  double med;

  for (int64_t c = 0; c < b->n_cells; c++)
    {
      const float *row = v + (gsize) c * b->n_genes;
      double lib = 0;

      for (int64_t j = 0; j < b->n_genes; j++)
        lib += row[j];
      for (int k = 0; k < b->n_map; k++)
        L[(gsize) c * b->n_map + k] = lib > 0 ? log1p (MAX (row[b->genes[k]], 0.f) * 1e4 / lib) : 0.0;
    }
  med = score_log (b, L);
  *n_defined = b->n_defined;
  return med;
}

/* What the neighbours target alone scores: each cell predicted by the mean
 * log1p (CP10k) of its k nearest other cells (gm_cell_neighbours, as the
 * training target), without any network. */
static void
print_target_alone (Bench *b,
                    int    k)
{
  g_autoptr(GError) error = NULL;
  g_autofree int32_t *nb = gm_cell_neighbours (&b->obs->X, k, 10, 2000, b->opts->seed, NULL, NULL, &error);
  g_autofree float *lo = NULL;
  g_autofree double *L = NULL;

  g_assert_no_error (error);
  lo = gm_lognorm_dense (&b->obs->X, b->genes, b->n_map, NULL);
  L = g_new0 (double, (gsize) b->n_cells * b->n_map);
  for (int64_t c = 0; c < b->n_cells; c++)
    for (int h = 0; h < k; h++)
      for (int j = 0; j < b->n_map; j++)
        L[(gsize) c * b->n_map + j] += lo[(gsize) nb[c * k + h] * b->n_map + j] / k;
  printf ("target alone (mean of the %d nearest cells) median r %.4f\n", k, score_log (b, L));
  fflush (stdout);
}

static float *
densify (const GmCsr *m)
{
  float *v = g_new0 (float, (gsize) m->n_rows * m->n_cols);

  for (int64_t c = 0; c < m->n_rows; c++)
    for (int64_t k = m->indptr[c]; k < m->indptr[c + 1]; k++)
      v[(gsize) c * m->n_cols + m->indices[k]] = m->data[k];
  return v;
}

static void
on_snapshot (GmErnetModel *model,
             int           step,
             gpointer      data)
{
  Bench *b = data;
  GmErnetImputeOptions o = *b->opts;
  g_autoptr(GError) error = NULL;
  double t0 = now_s (), rd, rm;
  int nd, nm;
  g_autofree float *vd = NULL, *vm = NULL;

  b->train_s += t0 - b->t_last;
  o.inference = GM_ERNET_INFER_DIRECT;
  vd = gm_ernet_model_apply (model, b->obs, &o, NULL, &error);
  g_assert_no_error (error);
  o.inference = GM_ERNET_INFER_MASKED;
  vm = gm_ernet_model_apply (model, b->obs, &o, NULL, &error);
  g_assert_no_error (error);
  rd = score (b, vd, &nd);
  rm = score (b, vm, &nm);
  printf ("ernet step %5d  train %7.1f s   direct %.4f (%d)   masked %.4f (%d)   [eval %.1f s]\n", step,
          b->train_s, rd, nd, rm, nm, now_s () - t0);
  fflush (stdout);
  b->t_last = now_s ();
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *ref_path = NULL, *obs_path = NULL, *layout_path = NULL, *model = NULL, *loss = NULL;
  g_autofree char *target = NULL, *recipe = NULL;
  int ngf = 0, steps = 2500, batch = 64, every = 250, threads = 0, gene_head = -1, target_k = 0, sigma_k = -1;
  double lr = -1, value_max = 0.5;
  gint64 seed = 0;
  gboolean no_baselines = FALSE;
  GOptionEntry entries[] = {
    { "reference", 0, 0, G_OPTION_ARG_FILENAME, &ref_path, "reference counts", "REF" },
    { "observed", 0, 0, G_OPTION_ARG_FILENAME, &obs_path, "observed counts", "OBS" },
    { "layout", 0, 0, G_OPTION_ARG_FILENAME, &layout_path, "GenoMap layout TSV", "L" },
    { "model", 0, 0, G_OPTION_ARG_STRING, &model, "paper, compact (default) or tiny", "M" },
    { "ngf", 0, 0, G_OPTION_ARG_INT, &ngf, "compact width (default 16)", "N" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &steps, "training steps (2500)", "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "batch (64)", "B" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, "learning rate (the recipe's)", "X" },
    { "gene-head", 0, 0, G_OPTION_ARG_INT, &gene_head, "gene head units (the recipe's; 0 = off)", "K" },
    { "value-max", 0, 0, G_OPTION_ARG_DOUBLE, &value_max, "value of the 99.9th percentile (0.5)", "V" },
    { "loss", 0, 0, G_OPTION_ARG_STRING, &loss, "paper, mse or hidden-mse (the recipe's)", "L" },
    { "recipe", 0, 0, G_OPTION_ARG_STRING, &recipe, "neighbours (default) or tcer; the options override it", "R" },
    { "target", 0, 0, G_OPTION_ARG_STRING, &target, "neighbours or self (default: the recipe's)", "T" },
    { "target-sigma-k", 0, 0, G_OPTION_ARG_INT, &sigma_k, "neighbour whose distance is the target kernel's width (0 = equal weights)", "K" },
    { "target-k", 0, 0, G_OPTION_ARG_INT, &target_k, "cells in the neighbours target (default 30)", "K" },
    { "every", 0, 0, G_OPTION_ARG_INT, &every, "evaluate every N steps (250)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "seed (0)", "S" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "BLAS threads", "T" },
    { "no-baselines", 0, 0, G_OPTION_ARG_NONE, &no_baselines, "skip kNN and MAGIC", NULL },
    { NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("— ER-Net accuracy vs training steps");
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ref = NULL, obs = NULL;
  g_autoptr(GmLayout) layout = NULL;
  g_autofree int32_t *pix = NULL;
  g_autofree char *blas = NULL;
  GmReadOptions ro;
  GmErnetImputeOptions eo;
  Bench b = { 0 };
  int n_matched, nd;
  double r;

  gm_blas_ensure_fast_kernels (argv);
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || ref_path == NULL || obs_path == NULL
      || layout_path == NULL)
    {
      fprintf (stderr, "%s\n", error ? error->message : "needs --reference, --observed and --layout");
      return 2;
    }
  if (threads > 0)
    openblas_set_num_threads (threads);
  blas = gm_blas_describe ();
  printf ("BLAS: %s\n", blas);

  gm_read_options_init (&ro);
  ref = gm_read (ref_path, &ro, &error);
  g_assert_no_error (error);
  obs = gm_read (obs_path, &ro, &error);
  g_assert_no_error (error);
  layout = gm_layout_load (layout_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ref->X.n_rows, ==, obs->X.n_rows);
  g_assert_cmpint (ref->X.n_cols, ==, obs->X.n_cols);
  for (int64_t j = 0; j < obs->X.n_cols; j++)
    g_assert_cmpstr (ref->gene_names[j], ==, obs->gene_names[j]);

  b.obs = obs;
  b.n_cells = obs->X.n_rows;
  b.n_genes = obs->X.n_cols;
  pix = gm_layout_gene_pixels (layout, obs, &n_matched, &error);
  g_assert_no_error (error);
  b.genes = g_new (int32_t, n_matched);
  for (int64_t j = 0; j < b.n_genes; j++)
    if (pix[j] >= 0)
      b.genes[b.n_map++] = (int32_t) j;
  {
    g_autofree float *lr_ = gm_lognorm_dense (&ref->X, b.genes, b.n_map, NULL);
    b.ref = g_new (double, (gsize) b.n_map * b.n_cells);
    for (int k = 0; k < b.n_map; k++)
      for (int64_t c = 0; c < b.n_cells; c++)
        b.ref[(gsize) k * b.n_cells + c] = lr_[(gsize) c * b.n_map + k];
  }
  printf ("%" G_GINT64_FORMAT " cells, %" G_GINT64_FORMAT " genes, %d on the map\n", b.n_cells, b.n_genes, b.n_map);

  {
    g_autofree float *v = densify (&obs->X);
    r = score (&b, v, &nd);
    printf ("observed    median r %.4f (%d genes defined)\n", r, nd);
  }
  if (!no_baselines)
    for (int m = 0; m < 2; m++)
      {
        GmBaselineParams bp;
        g_autofree float *v = NULL;
        double t0 = now_s ();

        gm_baseline_params_init (&bp, m == 0 ? GM_BASELINE_KNN : GM_BASELINE_MAGIC);
        v = gm_impute_baseline (&obs->X, &bp, &error);
        g_assert_no_error (error);
        r = score (&b, v, &nd);
        printf ("%-11s median r %.4f (%d genes defined)  [%.2f s]\n", m == 0 ? "knn" : "magic", r, nd,
                now_s () - t0);
      }
  fflush (stdout);

  gm_ernet_impute_options_init (&eo);
  if (g_strcmp0 (model, "paper") == 0)
    eo.preset = GM_ERNET_PAPER;
  else if (g_strcmp0 (model, "tiny") == 0)
    eo.preset = GM_ERNET_TINY;
  if (g_strcmp0 (recipe, "tcer") == 0)
    gm_ernet_impute_options_set_recipe (&eo, GM_ERNET_RECIPE_TCER);
  eo.ngf = ngf;
  eo.steps = steps;
  eo.batch = batch;
  if (lr > 0)
    eo.lr = lr;
  eo.value_max = value_max;
  if (gene_head >= 0)
    eo.gene_head = gene_head;
  eo.seed = (guint64) seed;
  if (target != NULL)
    eo.target = g_strcmp0 (target, "neighbours") == 0 ? GM_ERNET_TARGET_NEIGHBOURS : GM_ERNET_TARGET_SELF;
  eo.target_k = target_k;
  if (sigma_k >= 0)
    eo.target_sigma_k = sigma_k;
  if (loss != NULL)
    eo.loss = g_strcmp0 (loss, "mse") == 0 ? GM_ERNET_LOSS_MSE
              : g_strcmp0 (loss, "hidden-mse") == 0 ? GM_ERNET_LOSS_HIDDEN_MSE : GM_ERNET_LOSS_PAPER;
  eo.snapshot = on_snapshot;
  eo.snapshot_every = every;
  eo.snapshot_data = &b;
  b.opts = &eo;
  printf ("ernet: model %s ngf %d, batch %d, lr %g, loss %s, value max %g, gene head %d, target %s (k %d), seed %" G_GINT64_FORMAT "\n",
          model ? model : "compact", ngf, batch, eo.lr, gm_ernet_loss_name (eo.loss), value_max, eo.gene_head,
          gm_ernet_target_name (eo.target), eo.target_k, seed);
  fflush (stdout);
  if (eo.target == GM_ERNET_TARGET_NEIGHBOURS)
    print_target_alone (&b, eo.target_k > 0 ? eo.target_k : (int) MIN ((int64_t) 30, b.n_cells - 1));
  b.t_last = now_s ();
  {
    g_autoptr(GmErnetModel) m = gm_ernet_model_train (obs, layout, &eo, &error);
    g_assert_no_error (error);
  }
  g_free (b.genes);
  g_free (b.ref);
  return 0;
}
