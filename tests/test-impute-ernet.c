/* test-impute-ernet.c — ER-Net imputation: training, determinism, cancel, checkpoints, outputs
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "gm-evaluate.h"
#include "gm-impute.h"
#include "gm-io.h"
#include "gm-layout.h"
#include "gm-simulate.h"

static GmDataset *fixture;
static GmLayout *layout;     /* 6 × 6, 30 genes: the fixture's other genes are outside */
static char *tmpdir;

static void
tiny_opts (GmErnetImputeOptions *o,
           int                   steps)
{
  gm_ernet_impute_options_init (o);
  /* the published training: most tests here check its machinery; the
   * default recipe has its own tests */
  gm_ernet_impute_options_set_recipe (o, GM_ERNET_RECIPE_TCER);
  o->preset = GM_ERNET_TINY;
  o->steps = steps;
  o->batch = 16;
  o->lr = 2e-3;
  o->seed = 7;
}

typedef struct
{
  GArray *losses;
  int     cancel_at;
  gint   *cancel;
  int     calls;
} Track;

static void
track_progress (int         step,
                int         steps,
                double      loss,
                double      eta,
                const char *text,
                gpointer    user_data)
{
  Track *t = user_data;

  g_assert_cmpint (step, <=, steps);
  g_assert_true (eta >= 0);
  g_assert_true (strstr (text, "loss") != NULL);
  g_array_append_val (t->losses, loss);
  t->calls++;
  if (t->cancel != NULL && step == t->cancel_at)
    g_atomic_int_set (t->cancel, 1);
}

static void
recipe_progress (int         step,
                 int         steps,
                 double      loss,
                 double      eta,
                 const char *text,
                 gpointer    user_data)
{
  g_assert_cmpint (steps, ==, 1000);
  g_assert_true (strstr (text, "/1000") != NULL);
  track_progress (step, steps, loss, eta, text, user_data);
}

static double
mean_of (GArray *a,
         guint   from,
         guint   to)
{
  double s = 0;

  for (guint i = from; i < to; i++)
    s += g_array_index (a, double, i);
  return s / (to - from);
}

static void
test_loss_decreases (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GmErnetModel) model = NULL;
  GmErnetImputeOptions o;
  Track t = { g_array_new (FALSE, FALSE, sizeof (double)), 0, NULL, 0 };

  tiny_opts (&o, 30);
  o.batch = 64;       /* all 60 cells: less sampling noise */
  o.lr = 3e-3;
  o.progress = track_progress;
  o.progress_data = &t;
  model = gm_ernet_model_train (fixture, layout, &o, &error);
  g_assert_no_error (error);
  g_assert_cmpint (t.calls, ==, 30);
  g_assert_cmpint (gm_ernet_model_steps (model), ==, 30);
  g_assert_true (gm_ernet_model_scale (model) > 0);
  g_test_message ("loss first 3 %.5f, last 5 %.5f", mean_of (t.losses, 0, 3), mean_of (t.losses, 25, 30));
  g_assert_cmpfloat (mean_of (t.losses, 25, 30), <, mean_of (t.losses, 0, 3));
  g_array_unref (t.losses);
}

/* The MSE losses of gm-impute.h train too (host-side loss, then backward). */
static void
test_loss_variants (void)
{
  GmErnetLoss kinds[] = { GM_ERNET_LOSS_MSE, GM_ERNET_LOSS_HIDDEN_MSE };

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GmErnetModel) model = NULL;
      GmErnetImputeOptions o;
      Track t = { g_array_new (FALSE, FALSE, sizeof (double)), 0, NULL, 0 };

      tiny_opts (&o, 30);
      o.batch = 64;
      o.lr = 3e-3;
      /* values up to 1: on this small fixture the hidden-pixel loss starts
       * near its floor with the default 0.5 and falls by only ~5 % */
      o.value_max = 1.0;
      o.loss = kinds[k];
      o.progress = track_progress;
      o.progress_data = &t;
      model = gm_ernet_model_train (fixture, layout, &o, &error);
      g_assert_no_error (error);
      g_test_message ("loss %d: first 3 %.5f, last 5 %.5f", kinds[k], mean_of (t.losses, 0, 3),
                      mean_of (t.losses, 25, 30));
      g_assert_true (g_array_index (t.losses, double, 0) > 0);
      g_assert_cmpfloat (mean_of (t.losses, 25, 30), <, 0.9 * mean_of (t.losses, 0, 3));
      g_array_unref (t.losses);
    }
}

/* Masked inference: reproducible, independent of the inference batch (each
 * cell's partition comes from its own stream), different from the direct
 * output, and compatible with keep_observed. */
static void
test_masked_inference (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GmErnetModel) model = NULL;
  g_autofree float *d = NULL, *m1 = NULL, *m2 = NULL, *m3 = NULL, *k = NULL;
  GmErnetImputeOptions o;
  const GmCsr *X = &fixture->X;
  gsize n = (gsize) X->n_rows * X->n_cols;
  double maxdiff = 0, dd = 0;

  tiny_opts (&o, 10);
  o.loss = GM_ERNET_LOSS_HIDDEN_MSE;
  model = gm_ernet_model_train (fixture, layout, &o, &error);
  g_assert_no_error (error);
  d = gm_ernet_model_apply (model, fixture, &o, NULL, &error);
  g_assert_no_error (error);
  o.inference = GM_ERNET_INFER_MASKED;
  m1 = gm_ernet_model_apply (model, fixture, &o, NULL, &error);
  g_assert_no_error (error);
  m2 = gm_ernet_model_apply (model, fixture, &o, NULL, &error);
  g_assert_no_error (error);
  o.infer_batch = 7;
  m3 = gm_ernet_model_apply (model, fixture, &o, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (m1, n * sizeof (float), m2, n * sizeof (float));
  for (gsize i = 0; i < n; i++)
    {
      maxdiff = MAX (maxdiff, fabs ((double) m1[i] - m3[i]) / (1.0 + fabs ((double) m1[i])));
      dd = MAX (dd, fabs ((double) m1[i] - d[i]));
    }
  g_test_message ("masked: batch 64 vs 7 max rel diff %.3g; max |masked - direct| %.3g", maxdiff, dd);
  g_assert_cmpfloat (maxdiff, <, 1e-4);
  g_assert_cmpfloat (dd, >, 1e-3);
  o.keep_observed = TRUE;
  k = gm_ernet_model_apply (model, fixture, &o, NULL, &error);
  g_assert_no_error (error);
  for (int64_t i = 0; i < X->n_rows; i++)
    for (int64_t q = X->indptr[i]; q < X->indptr[i + 1]; q++)
      g_assert_cmpfloat (k[i * X->n_cols + X->indices[q]], ==, X->data[q]);
}

static void
test_deterministic_and_checkpoint (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GmErnetModel) m1 = NULL, m3 = NULL;
  g_autofree float *a = NULL, *b = NULL, *c = NULL;
  g_autofree gboolean *imp = NULL;
  g_autofree char *ck = g_build_filename (tmpdir, "model.gmernet", NULL);
  GmErnetImputeOptions o;
  gsize n = (gsize) gm_dataset_n_cells (fixture) * gm_dataset_n_genes (fixture);

  tiny_opts (&o, 8);
  a = gm_ernet_impute (fixture, layout, &o, &m1, &imp, &error);
  g_assert_no_error (error);
  b = gm_ernet_impute (fixture, layout, &o, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (a, n * sizeof (float), b, n * sizeof (float));

  /* genes outside the layout keep their observed values, and are marked */
  {
    int outside = 0;
    for (int64_t j = 0; j < gm_dataset_n_genes (fixture); j++)
      if (!imp[j])
        outside++;
    g_assert_cmpint (outside, ==, gm_dataset_n_genes (fixture) - layout->n_genes);
    g_assert_cmpint (outside, >, 0);
    for (int64_t i = 0; i < gm_dataset_n_cells (fixture); i++)
      {
        const GmCsr *X = &fixture->X;
        int64_t k = X->indptr[i];
        for (int64_t j = 0; j < X->n_cols; j++)
          {
            float obs = 0;
            if (k < X->indptr[i + 1] && X->indices[k] == j)
              obs = X->data[k++];
            if (!imp[j])
              g_assert_cmpfloat (a[i * X->n_cols + j], ==, obs);
            else
              g_assert_true (isfinite (a[i * X->n_cols + j]) && a[i * X->n_cols + j] >= 0);
          }
      }
  }

  /* checkpoint round trip */
  g_assert_true (gm_ernet_checkpoint_save (m1, ck, &error));
  g_assert_no_error (error);
  m3 = gm_ernet_checkpoint_load (ck, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (gm_ernet_model_scale (m3), ==, gm_ernet_model_scale (m1));
  c = gm_ernet_model_apply (m3, fixture, &o, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (a, n * sizeof (float), c, n * sizeof (float));

  /* a different seed gives a different model */
  {
    g_autofree float *d = NULL;
    o.seed = 8;
    d = gm_ernet_impute (fixture, layout, &o, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (memcmp (a, d, n * sizeof (float)) != 0);
  }
}

static void
test_keep_observed (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree float *a = NULL;
  GmErnetImputeOptions o;
  const GmCsr *X = &fixture->X;

  tiny_opts (&o, 3);
  o.keep_observed = TRUE;
  a = gm_ernet_impute (fixture, layout, &o, NULL, NULL, &error);
  g_assert_no_error (error);
  for (int64_t i = 0; i < X->n_rows; i++)
    for (int64_t k = X->indptr[i]; k < X->indptr[i + 1]; k++)
      g_assert_cmpfloat (a[i * X->n_cols + X->indices[k]], ==, X->data[k]);
}

static void
test_cancel (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ck = g_build_filename (tmpdir, "cancelled.gmernet", NULL);
  GmErnetImputeOptions o;
  gint cancel = 0;
  Track t = { g_array_new (FALSE, FALSE, sizeof (double)), 2, &cancel, 0 };
  GmErnetModel *model;
  float *res;

  tiny_opts (&o, 50);
  o.progress = track_progress;
  o.progress_data = &t;
  o.cancel = &cancel;
  res = gm_ernet_impute (fixture, layout, &o, &model, NULL, &error);
  g_assert_error (error, GM_ERROR, GM_ERROR_CANCELLED);
  g_assert_null (res);
  g_assert_cmpint (t.calls, ==, 2);     /* stopped before step 3 */
  g_assert_false (g_file_test (ck, G_FILE_TEST_EXISTS));
  g_array_unref (t.losses);
}

/* steps ≤ 0 trains the model's recipe: the progress reports 1 000 steps for
 * tiny and compact (cancelled after the second, so the test stays fast). */
static void
test_recipe_steps (void)
{
  g_autoptr(GError) error = NULL;
  GmErnetImputeOptions o;
  gint cancel = 0;
  Track t = { g_array_new (FALSE, FALSE, sizeof (double)), 2, &cancel, 0 };
  GmErnetModel *model;
  float *res;

  g_assert_cmpint (gm_ernet_recipe_steps (GM_ERNET_PAPER), ==, 2500);
  g_assert_cmpint (gm_ernet_recipe_steps (GM_ERNET_COMPACT), ==, 1000);
  g_assert_cmpint (gm_ernet_recipe_steps (GM_ERNET_TINY), ==, 1000);
  gm_ernet_impute_options_init (&o);
  g_assert_cmpint (o.steps, <=, 0);
  g_assert_cmpfloat (o.value_max, ==, 0.5);
  /* the default recipe, and the published one */
  g_assert_cmpint (o.target, ==, GM_ERNET_TARGET_NEIGHBOURS);
  g_assert_cmpint (o.target_k, ==, 0);
  g_assert_cmpint (o.gene_head, ==, 16);
  g_assert_cmpint (o.loss, ==, GM_ERNET_LOSS_MSE);
  g_assert_cmpfloat (o.lr, ==, 1e-3);
  gm_ernet_impute_options_set_recipe (&o, GM_ERNET_RECIPE_TCER);
  g_assert_cmpint (o.target, ==, GM_ERNET_TARGET_SELF);
  g_assert_cmpint (o.gene_head, ==, 0);
  g_assert_cmpint (o.loss, ==, GM_ERNET_LOSS_PAPER);
  g_assert_cmpfloat (o.lr, ==, 2e-4);
  g_assert_cmpstr (gm_ernet_recipe_name (GM_ERNET_RECIPE_TCER), ==, "tcer");
  g_assert_cmpstr (gm_ernet_recipe_name (GM_ERNET_RECIPE_NEIGHBOURS), ==, "neighbours");
  tiny_opts (&o, 0);
  o.progress = recipe_progress;
  o.progress_data = &t;
  o.cancel = &cancel;
  res = gm_ernet_impute (fixture, layout, &o, &model, NULL, &error);
  g_assert_error (error, GM_ERROR, GM_ERROR_CANCELLED);
  g_assert_null (res);
  g_assert_cmpint (t.calls, ==, 2);
  g_array_unref (t.losses);
}

/* value_max maps the 99.9th percentile of the transformed non-zeros: the
 * model's scale halves when value_max doubles, and 0 or > 1 is refused. */
static void
test_value_max (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GmErnetModel) half = NULL, full = NULL;
  GmErnetImputeOptions o;

  tiny_opts (&o, 1);
  o.value_max = 0.5;
  half = gm_ernet_model_train (fixture, layout, &o, &error);
  g_assert_no_error (error);
  o.value_max = 1.0;
  full = gm_ernet_model_train (fixture, layout, &o, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (gm_ernet_model_scale (half), 2 * gm_ernet_model_scale (full), 1e-9);
  for (int k = 0; k < 2; k++)
    {
      g_autoptr(GmErnetModel) bad = NULL;
      o.value_max = k == 0 ? 0.0 : 1.5;
      bad = gm_ernet_model_train (fixture, layout, &o, &error);
      g_assert_null (bad);
      g_assert_error (error, GM_ERROR, GM_ERROR_USAGE);
      g_clear_error (&error);
    }
}

/* Rewrites a checkpoint as format @fmt with a fresh SHA-256: format 2 is
 * the same bytes (what version 0.3 wrote: its gene head read the
 * bottleneck), format 1 drops the gene-head fields of a model without a
 * head (what version 0.1 wrote). */
static void
write_format (const char *from,
              const char *to,
              guint32     fmt)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *c = NULL;
  g_autoptr(GByteArray) b = g_byte_array_new ();
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len, dlen = sizeof digest, at;
  guint32 le = GUINT32_TO_LE (fmt), vlen;
  gint32 head[3];

  g_assert_true (g_file_get_contents (from, &c, &len, &error));
  g_assert_cmpmem (c, 8, "GMERNET1", 8);
  memcpy (&vlen, c + 12, 4);
  at = 16 + GUINT32_FROM_LE (vlen) + 3 * 4;   /* magic, format, version, ngf, dfa, cbam */
  memcpy (head, c + at, sizeof head);
  g_byte_array_append (b, (const guint8 *) c, 8);
  g_byte_array_append (b, (const guint8 *) &le, 4);
  if (fmt == 1)
    {
      g_assert_cmpint (head[0], ==, 0);        /* no gene head */
      g_byte_array_append (b, (const guint8 *) c + 12, at - 12);
      g_byte_array_append (b, (const guint8 *) c + at + 12, len - 32 - (at + 12));
    }
  else
    g_byte_array_append (b, (const guint8 *) c + 12, len - 32 - 12);
  g_checksum_update (sum, b->data, b->len);
  g_checksum_get_digest (sum, digest, &dlen);
  g_byte_array_append (b, digest, 32);
  g_assert_true (g_file_set_contents (to, (const char *) b->data, b->len, &error));
}

/* A model with a gene head saves and loads (format 3) and gives the same
 * values; format-1 and format-2 checkpoints without a head still load and
 * give the values they gave; a format-2 checkpoint with a head (whose head
 * read the bottleneck) is refused by name; --gene-head changes the result. */
static void
test_gene_head_checkpoints (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GmErnetModel) plain = NULL, headed = NULL, back = NULL, old = NULL;
  g_autofree char *ck2 = g_build_filename (tmpdir, "head.gmernet", NULL);
  g_autofree char *ckp = g_build_filename (tmpdir, "plain.gmernet", NULL);
  g_autofree char *ck1 = g_build_filename (tmpdir, "format1.gmernet", NULL);
  g_autofree float *a = NULL, *b = NULL, *c = NULL, *d = NULL;
  gsize n = (gsize) gm_dataset_n_cells (fixture) * gm_dataset_n_genes (fixture);
  GmErnetImputeOptions o;

  tiny_opts (&o, 30);
  o.gene_head = 6;
  headed = gm_ernet_model_train (fixture, layout, &o, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gm_ernet_get_config (gm_ernet_model_net (headed)).gene_head, ==, 6);
  a = gm_ernet_model_apply (headed, fixture, &o, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (gm_ernet_checkpoint_save (headed, ck2, &error));
  back = gm_ernet_checkpoint_load (ck2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gm_ernet_get_config (gm_ernet_model_net (back)).gene_head, ==, 6);
  b = gm_ernet_model_apply (back, fixture, &o, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (a, n * sizeof (float), b, n * sizeof (float));

  o.gene_head = 0;
  plain = gm_ernet_model_train (fixture, layout, &o, &error);
  g_assert_no_error (error);
  c = gm_ernet_model_apply (plain, fixture, &o, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (memcmp (a, c, n * sizeof (float)) != 0);
  g_assert_true (gm_ernet_checkpoint_save (plain, ckp, &error));
  for (guint32 fmt = 1; fmt <= 2; fmt++)
    {
      g_clear_pointer (&old, gm_ernet_model_free);
      g_clear_pointer (&d, g_free);
      write_format (ckp, ck1, fmt);
      old = gm_ernet_checkpoint_load (ck1, &error);
      g_assert_no_error (error);
      d = gm_ernet_model_apply (old, fixture, &o, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (c, n * sizeof (float), d, n * sizeof (float));
    }
  write_format (ck2, ck1, 2);
  g_assert_null (gm_ernet_checkpoint_load (ck1, &error));
  g_assert_error (error, GM_ERROR, GM_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, ck1));
  g_assert_nonnull (strstr (error->message, "train the model again"));
}

/* The median per-gene Pearson r (log1p CP10k) of values against ref. */
static double
median_r (const GmDataset *ref,
          const GmDataset *obs,
          const float     *values)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) imp = NULL;
  GmEvalResult *er;
  double r;

  if (values != NULL)
    {
      imp = gm_dataset_new_with_dense_x (obs, values, &error);
      g_assert_no_error (error);
    }
  er = gm_evaluate (ref, imp != NULL ? imp : obs, NULL, GM_SCALE_LOGNORM, &error);
  g_assert_no_error (error);
  r = er->after.median;
  gm_eval_result_free (er);
  return r;
}

/* The neighbours target (gm-impute.h): on shallow observations of three
 * cell groups (about 60 UMIs per cell over 64 genes), a tiny ER-Net with a
 * gene head trained to output the cell's 15 nearest cells' mean recovers
 * the reference far better than the observed data and than the same network
 * trained on the cell itself (spec §1.4).  Deterministic for a seed; the
 * option is recorded in uns; too few cells for k is an error. */
static void
test_neighbours_target (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ref = NULL, obs = NULL;
  g_autoptr(GmLayout) lay = g_new0 (GmLayout, 1);
  g_autofree float *self_v = NULL, *nb_v = NULL, *nb_again = NULL;
  GmSplatParams sp;
  GmErnetImputeOptions o;
  double r_obs, r_self, r_nb;
  gsize n;

  gm_splat_params_init (&sp);
  sp.n_cells = 240;
  sp.n_genes = 64;
  sp.n_groups = 3;
  sp.de_prob = 0.5;
  sp.de_loc = 1.0;
  sp.lib_loc = log (12000.0);
  sp.seed = 3;
  ref = gm_simulate_splat (&sp, &error);
  g_assert_no_error (error);
  obs = gm_simulate_efficiency (ref, 10, 2000, 4, &error);   /* 0.5 % */
  g_assert_no_error (error);
  lay->rows = lay->cols = 8;
  lay->n_genes = 64;
  lay->genes = g_new0 (char *, 65);
  lay->pixel = g_new (int32_t, 64);
  for (int j = 0; j < 64; j++)
    {
      lay->genes[j] = g_strdup (ref->gene_names[j]);
      lay->pixel[j] = j;
    }
  n = (gsize) gm_dataset_n_cells (obs) * gm_dataset_n_genes (obs);

  tiny_opts (&o, 300);
  o.batch = 32;
  o.lr = 3e-3;
  o.loss = GM_ERNET_LOSS_MSE;
  o.gene_head = 8;
  self_v = gm_ernet_impute (obs, lay, &o, NULL, NULL, &error);
  g_assert_no_error (error);
  /* the default recipe, but the same short schedule as above */
  gm_ernet_impute_options_set_recipe (&o, GM_ERNET_RECIPE_NEIGHBOURS);
  o.lr = 3e-3;
  o.gene_head = 8;
  o.target_k = 15;
  nb_v = gm_ernet_impute (obs, lay, &o, NULL, NULL, &error);
  g_assert_no_error (error);
  nb_again = gm_ernet_impute (obs, lay, &o, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (nb_v, n * sizeof (float), nb_again, n * sizeof (float));

  r_obs = median_r (ref, obs, NULL);
  r_self = median_r (ref, obs, self_v);
  r_nb = median_r (ref, obs, nb_v);
  g_test_message ("median r: observed %.4f, self target %.4f, neighbours target %.4f", r_obs, r_self, r_nb);
  g_assert_cmpfloat (r_nb, >, r_obs + 0.1);
  g_assert_cmpfloat (r_nb, >, r_self + 0.1);

  {
    g_autoptr(GmErnetModel) model = gm_ernet_model_train (obs, lay, &o, &error);
    g_assert_no_error (error);
    gm_ernet_annotate (obs, model, &o, NULL);
    g_assert_cmpstr (g_hash_table_lookup (obs->uns, "genomap_impute_target"), ==, "neighbours");
    g_assert_cmpstr (g_hash_table_lookup (obs->uns, "genomap_impute_target_k"), ==, "15");
    g_assert_cmpstr (g_hash_table_lookup (obs->uns, "genomap_impute_training_cells"), ==, "240");
  }
  /* above the pool size, training draws from a seeded subset and finds the
   * neighbours among it; the result is still far above the observed data */
  {
    g_autoptr(GmErnetModel) model = NULL;
    g_autofree float *pooled = NULL, *again = NULL;
    double r_pool;

    o.neighbour_pool = 120;
    model = gm_ernet_model_train (obs, lay, &o, &error);
    g_assert_no_error (error);
    gm_ernet_annotate (obs, model, &o, NULL);
    g_assert_cmpstr (g_hash_table_lookup (obs->uns, "genomap_impute_training_cells"), ==, "120");
    pooled = gm_ernet_model_apply (model, obs, &o, NULL, &error);
    g_assert_no_error (error);
    again = gm_ernet_impute (obs, lay, &o, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpmem (pooled, n * sizeof (float), again, n * sizeof (float));
    g_assert_true (memcmp (pooled, nb_v, n * sizeof (float)) != 0);
    r_pool = median_r (ref, obs, pooled);
    g_test_message ("median r with a pool of 120 of the 240 cells: %.4f", r_pool);
    g_assert_cmpfloat (r_pool, >, r_obs + 0.1);
    o.neighbour_pool = 0;
  }
  /* distance-weighted neighbours: another target, as good */
  {
    g_autofree float *weighted = NULL;
    double r_w;

    o.target_sigma_k = 5;
    weighted = gm_ernet_impute (obs, lay, &o, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (memcmp (weighted, nb_v, n * sizeof (float)) != 0);
    r_w = median_r (ref, obs, weighted);
    g_test_message ("median r with distance-weighted neighbours (sigma at the 5th): %.4f", r_w);
    g_assert_cmpfloat (r_w, >, r_obs + 0.1);
    o.target_sigma_k = 0;
  }
  /* the default k (30) becomes n − 1 in a dataset of 12 cells */
  {
    g_autoptr(GmDataset) few_ref = NULL, few = NULL;
    g_autoptr(GmErnetModel) model = NULL;

    sp.n_cells = 12;
    few_ref = gm_simulate_splat (&sp, &error);
    g_assert_no_error (error);
    few = gm_simulate_efficiency (few_ref, 10, 2000, 4, &error);
    g_assert_no_error (error);
    o.target_k = 0;
    o.steps = 2;
    model = gm_ernet_model_train (few, lay, &o, &error);
    g_assert_no_error (error);
    gm_ernet_annotate (few, model, &o, NULL);
    g_assert_cmpstr (g_hash_table_lookup (few->uns, "genomap_impute_target_k"), ==, "11");
  }
  o.target_k = 240;
  g_assert_null (gm_ernet_model_train (obs, lay, &o, &error));
  g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "240 neighbours"));
}

/* A CPU backend that counts its allocations and reports a GPU's memory. */
static guint64 fake_free, fake_total, counted_floats;
static float *(*cpu_alloc) (gpointer ctx, gsize n);

static float *
counting_alloc (gpointer ctx,
                gsize    n)
{
  counted_floats += n;
  return cpu_alloc (ctx, n);
}

static gboolean
fake_mem_info (gpointer  ctx,
               guint64  *free_bytes,
               guint64  *total_bytes)
{
  *free_bytes = fake_free;
  *total_bytes = fake_total;
  return TRUE;
}

static GmNnBackend *
fake_gpu (void)
{
  GmNnBackend *be = gm_nn_backend_cpu ();

  cpu_alloc = be->alloc;
  be->alloc = counting_alloc;
  be->mem_info = fake_mem_info;
  return be;
}

/* gm_ernet_memory_bytes is exactly what a model and a forward/backward
 * allocate, for both sizes of the test and with a gene head; it is affine
 * in the batch. */
static void
test_memory_bytes (void)
{
  g_autoptr(GmNnBackend) be = fake_gpu ();

  for (int k = 0; k < 3; k++)
    {
      GmErnetConfig cfg = gm_ernet_config (k == 2 ? GM_ERNET_COMPACT : GM_ERNET_TINY, 0);
      int n = k == 0 ? 3 : 5, h = k == 0 ? 16 : 32;
      g_autofree float *x = g_new0 (float, n * h * h), *dout = g_new0 (float, n * h * h);
      GmErnet *net;
      guint64 want, b1, b2, b3;

      if (k == 1)
        {
          cfg.gene_head = 4;
          cfg.head_h = cfg.head_w = h;
        }
      counted_floats = 0;
      net = gm_ernet_new (be, &cfg);
      gm_ernet_forward (net, TRUE, n, h, h, x, NULL);
      gm_ernet_backward (net, dout);
      want = gm_ernet_memory_bytes (net, n, h, h);
      g_test_message ("ngf %d, n %d, %d × %d: %" G_GUINT64_FORMAT " bytes", cfg.ngf, n, h, h, want);
      g_assert_cmpuint (want, ==, counted_floats * sizeof (float));
      b1 = gm_ernet_memory_bytes (net, 1, h, h);
      b2 = gm_ernet_memory_bytes (net, 2, h, h);
      b3 = gm_ernet_memory_bytes (net, 3, h, h);
      g_assert_cmpuint (b3 - b2, ==, b2 - b1);
      gm_ernet_free (net);
    }
}

/* On a backend with too little memory, training fails before any step with
 * a message that names the batch that fits, and that batch trains;
 * inference shrinks its batch instead (the same values, to rounding). */
static void
test_device_memory (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GmNnBackend) be = fake_gpu ();
  g_autoptr(GmErnetModel) model = NULL, small = NULL;
  g_autofree float *a = NULL, *b = NULL;
  gsize n = (gsize) gm_dataset_n_cells (fixture) * gm_dataset_n_genes (fixture);
  GmErnetImputeOptions o;
  GmErnetConfig cfg = gm_ernet_config (GM_ERNET_TINY, 0);
  GmErnet *probe = gm_ernet_new (be, &cfg);
  guint64 one, per;
  const char *msg;

  /* the check's sizes (gm-impute.c): 5/4 of the model's bytes + 256 MiB */
  one = gm_ernet_memory_bytes (probe, 1, 8, 8) / 4 * 5 + (256u << 20);
  per = gm_ernet_memory_bytes (probe, 2, 8, 8) / 4 * 5 + (256u << 20) - one;
  gm_ernet_free (probe);
  fake_total = 80ull << 30;
  fake_free = one + 6 * per + per / 2;     /* 7 maps fit, 16 do not */

  tiny_opts (&o, 2);
  o.backend = be;
  model = gm_ernet_model_train (fixture, layout, &o, &error);
  g_assert_null (model);
  g_assert_error (error, GM_ERROR, GM_ERROR_TOO_LARGE);
  msg = error->message;
  g_test_message ("%s", msg);
  g_assert_true (strstr (msg, "batch 16") != NULL);
  g_assert_true (strstr (msg, "batch 7 would fit (--batch 7)") != NULL);
  g_clear_error (&error);

  o.batch = 7;
  small = gm_ernet_model_train (fixture, layout, &o, &error);
  g_assert_no_error (error);

  /* inference asks for all 60 cells at once (64 at most): it runs 7 at a time, with the same values */
  fake_free = 1ull << 40;
  a = gm_ernet_model_apply (small, fixture, &o, NULL, &error);
  g_assert_no_error (error);
  fake_free = one + 6 * per + per / 2;
  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "*batch 60 does not fit*using 7*");
  b = gm_ernet_model_apply (small, fixture, &o, NULL, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  /* the same up to the GEMMs' rounding, which depends on their sizes */
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (fabs ((double) a[i] - b[i]) / (1.0 + fabs ((double) a[i])), <, 1e-4);

  fake_free = one / 2;
  g_assert_null (gm_ernet_model_apply (small, fixture, &o, NULL, &error));
  g_assert_error (error, GM_ERROR, GM_ERROR_TOO_LARGE);
  g_assert_true (strstr (error->message, "use --device cpu") != NULL);
}

static void
test_output_h5ad (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree float *a = NULL;
  g_autofree gboolean *imp = NULL;
  g_autofree char *path = g_build_filename (tmpdir, "imputed.h5ad", NULL);
  g_autoptr(GmDataset) back = NULL, counts = NULL;
  GmErnetImputeOptions o;
  GmWriteOptions w;
  GmReadOptions r;
  GmColumn *col = NULL;
  const GmCsr *X = &fixture->X;
  int64_t ng = gm_dataset_n_genes (fixture);

  tiny_opts (&o, 2);
  a = gm_ernet_impute (fixture, layout, &o, NULL, &imp, &error);
  g_assert_no_error (error);
  gm_ernet_mark_imputed (fixture, imp);
  gm_write_options_init (&w);
  w.dense_X = a;
  w.counts_layer = &fixture->X;
  g_assert_true (gm_write_h5ad (fixture, path, &w, &error));
  g_assert_no_error (error);

  back = gm_read (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gm_dataset_n_cells (back), ==, X->n_rows);
  for (guint k = 0; k < back->var->len; k++)
    if (strcmp (((GmColumn *) g_ptr_array_index (back->var, k))->name, "genomap_imputed") == 0)
      col = g_ptr_array_index (back->var, k);
  g_assert_nonnull (col);
  for (int64_t j = 0; j < ng; j++)
    g_assert_cmpfloat (col->values[j], ==, imp[j] ? 1.0 : 0.0);
  /* X reads back as the imputed values (the reader keeps non-zeros) */
  for (int64_t i = 0; i < back->X.n_rows; i++)
    for (int64_t k = back->X.indptr[i]; k < back->X.indptr[i + 1]; k++)
      g_assert_cmpfloat (back->X.data[k], ==, a[i * ng + back->X.indices[k]]);

  gm_read_options_init (&r);
  r.layer = "counts";
  counts = gm_read (path, &r, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gm_dataset_nnz (counts), ==, gm_dataset_nnz (fixture));
  g_assert_cmpmem (counts->X.indptr, (X->n_rows + 1) * sizeof (int64_t), X->indptr,
                   (X->n_rows + 1) * sizeof (int64_t));
  g_assert_cmpmem (counts->X.indices, gm_dataset_nnz (fixture) * sizeof (int32_t), X->indices,
                   gm_dataset_nnz (fixture) * sizeof (int32_t));
  g_assert_cmpmem (counts->X.data, gm_dataset_nnz (fixture) * sizeof (float), X->data,
                   gm_dataset_nnz (fixture) * sizeof (float));
}

static void
test_bad_inputs (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GmErnetModel) model = NULL, loaded = NULL;
  g_autoptr(GmLayout) alien = NULL;
  g_autofree char *ck = g_build_filename (tmpdir, "alien.gmernet", NULL);
  g_autofree char *bad = g_build_filename (tmpdir, "corrupt.gmernet", NULL);
  g_autofree char *contents = NULL;
  gsize len;
  GmErnetImputeOptions o;
  float *res;

  /* a layout whose genes the dataset does not have */
  alien = g_new0 (GmLayout, 1);
  alien->rows = alien->cols = 2;
  alien->n_genes = 2;
  alien->genes = g_new0 (char *, 3);
  alien->genes[0] = g_strdup ("NOT_A_GENE_1");
  alien->genes[1] = g_strdup ("NOT_A_GENE_2");
  alien->pixel = g_new0 (int32_t, 2);
  alien->pixel[1] = 3;
  tiny_opts (&o, 1);
  g_assert_null (gm_ernet_model_train (fixture, alien, &o, &error));
  g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  /* a checkpoint trained elsewhere on those genes: clear error on apply */
  {
    g_autoptr(GmDataset) other = gm_dataset_new ();
    other->X.n_rows = 3;
    other->X.n_cols = 2;
    other->X.indptr = g_new0 (int64_t, 4);
    other->X.indices = g_new0 (int32_t, 1);
    other->X.data = g_new0 (float, 1);
    other->cell_names = g_new0 (char *, 4);
    for (int i = 0; i < 3; i++)
      other->cell_names[i] = g_strdup_printf ("c%d", i);
    other->gene_names = g_strdupv (alien->genes);
    model = gm_ernet_model_train (other, alien, &o, &error);
    g_assert_no_error (error);
  }
  g_assert_true (gm_ernet_checkpoint_save (model, ck, &error));
  loaded = gm_ernet_checkpoint_load (ck, &error);
  g_assert_no_error (error);
  res = gm_ernet_model_apply (loaded, fixture, &o, NULL, &error);
  g_assert_null (res);
  g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
  g_assert_true (strstr (error->message, "none of the layout") != NULL);
  g_clear_error (&error);

  /* corrupt: one flipped byte, then truncated, then not a checkpoint */
  g_assert_true (g_file_get_contents (ck, &contents, &len, NULL));
  contents[len / 2] ^= 0x55;
  g_assert_true (g_file_set_contents (bad, contents, len, NULL));
  g_assert_null (gm_ernet_checkpoint_load (bad, &error));
  g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
  g_assert_true (strstr (error->message, bad) != NULL);
  g_assert_true (strstr (error->message, "corrupt") != NULL);
  g_clear_error (&error);
  contents[len / 2] ^= 0x55;
  g_assert_true (g_file_set_contents (bad, contents, len - 40, NULL));
  g_assert_null (gm_ernet_checkpoint_load (bad, &error));
  g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (bad, "hello, world, this is not a model at all, no", -1, NULL));
  g_assert_null (gm_ernet_checkpoint_load (bad, &error));
  g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
  g_assert_true (strstr (error->message, "not an ER-Net checkpoint") != NULL);
  g_clear_error (&error);
  g_assert_null (gm_ernet_checkpoint_load ("/nonexistent/x.gmernet", &error));
  g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  GmLayoutOptions lo;
  int rc;

  g_test_init (&argc, &argv, NULL);
  path = g_build_filename (g_getenv ("GM_TEST_DATA"), "csr_counts.h5ad", NULL);
  fixture = gm_read (path, NULL, &error);
  g_assert_no_error (error);
  gm_layout_options_init (&lo);
  lo.rows = 6;
  lo.cols = 6;
  lo.n_genes = 30;
  layout = gm_layout_compute (fixture, &lo, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gm_dataset_n_genes (fixture), >, 30);
  tmpdir = g_dir_make_tmp ("test-impute-ernet-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/impute-ernet/loss-decreases", test_loss_decreases);
  g_test_add_func ("/impute-ernet/loss-variants", test_loss_variants);
  g_test_add_func ("/impute-ernet/masked-inference", test_masked_inference);
  g_test_add_func ("/impute-ernet/deterministic-checkpoint-outside", test_deterministic_and_checkpoint);
  g_test_add_func ("/impute-ernet/keep-observed", test_keep_observed);
  g_test_add_func ("/impute-ernet/cancel", test_cancel);
  g_test_add_func ("/impute-ernet/recipe-steps", test_recipe_steps);
  g_test_add_func ("/impute-ernet/value-max", test_value_max);
  g_test_add_func ("/impute-ernet/gene-head-checkpoints", test_gene_head_checkpoints);
  g_test_add_func ("/impute-ernet/neighbours-target", test_neighbours_target);
  g_test_add_func ("/impute-ernet/memory-bytes", test_memory_bytes);
  g_test_add_func ("/impute-ernet/device-memory", test_device_memory);
  g_test_add_func ("/impute-ernet/output-h5ad", test_output_h5ad);
  g_test_add_func ("/impute-ernet/bad-inputs", test_bad_inputs);
  rc = g_test_run ();

  {
    g_autoptr(GDir) d = g_dir_open (tmpdir, 0, NULL);
    const char *name;
    while (d != NULL && (name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *f = g_build_filename (tmpdir, name, NULL);
        g_unlink (f);
      }
    g_rmdir (tmpdir);
  }
  g_free (tmpdir);
  gm_layout_free (layout);
  gm_dataset_free (fixture);
  return rc;
}
