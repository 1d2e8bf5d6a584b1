/* test-ernet-reference.c — the C ER-Net engine against the PyTorch fixtures
 * of tests/data/ernet (written by tests/reference/ernet_reference.py, see
 * tests/data/ernet/README.md)
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The fixtures hold float64 results rounded to float32, so they are truth
 * for a float32 engine; every tolerance below is stated against the error a
 * float32 PyTorch run makes on the same fixture (tests/data/ernet/checks.txt).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gm-ernet.h"
#include "gm-test-truth.h"

static GmNnBackend *be;

/* ------------------------------------------------------------ fixtures */

typedef struct
{
  char   *name;
  char   *shape;     /* "3x1x16x16" */
  gsize   count;
  float  *data;      /* count floats */
  double  value;     /* the %.17g value when count == 1, else NAN */
} Entry;

typedef struct
{
  GHashTable *entries;   /* name → Entry */
} Fixture;

static void
entry_free (gpointer p)
{
  Entry *e = p;

  g_free (e->name);
  g_free (e->shape);
  g_free (e->data);
  g_free (e);
}

static void
fixture_free (Fixture *f)
{
  g_hash_table_unref (f->entries);
  g_free (f);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fixture, fixture_free)

static guint32
le_u32 (const guchar *b)
{
  return (guint32) b[0] | (guint32) b[1] << 8 | (guint32) b[2] << 16 | (guint32) b[3] << 24;
}

/* Loads ernet/STEM.tsv and ernet/STEM.bin. */
static Fixture *
fixture_load (const char *stem)
{
  g_autofree char *tsv_name = g_strdup_printf ("ernet/%s.tsv", stem);
  g_autofree char *bin_name = g_strdup_printf ("ernet/%s.bin", stem);
  g_autofree char *tsv_path = gm_test_data_path (tsv_name);
  g_autofree char *bin_path = gm_test_data_path (bin_name);
  g_autofree char *text = NULL;
  g_autofree char *bin = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  gsize bin_len = 0;
  gboolean header = FALSE;
  Fixture *f = g_new0 (Fixture, 1);

  f->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, entry_free);
  g_file_get_contents (tsv_path, &text, NULL, &error);
  g_assert_no_error (error);
  g_file_get_contents (bin_path, &bin, &bin_len, &error);
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  for (guint l = 0; lines[l] != NULL; l++)
    {
      g_auto(GStrv) col = NULL;
      Entry *e;
      guint64 offset;

      if (lines[l][0] == '#' || lines[l][0] == '\0')
        continue;
      col = g_strsplit (lines[l], "\t", -1);
      g_assert_cmpuint (g_strv_length (col), ==, 5);
      if (!header)
        {
          g_assert_cmpstr (col[0], ==, "name");
          g_assert_cmpstr (col[2], ==, "offset");
          header = TRUE;
          continue;
        }
      e = g_new0 (Entry, 1);
      e->name = g_strdup (col[0]);
      e->shape = g_strdup (col[1]);
      offset = g_ascii_strtoull (col[2], NULL, 10);
      e->count = g_ascii_strtoull (col[3], NULL, 10);
      e->value = e->count == 1 ? g_ascii_strtod (col[4], NULL) : NAN;
      g_assert_cmpuint (offset % 4, ==, 0);
      g_assert_cmpuint (offset + 4 * e->count, <=, bin_len);
      e->data = g_new (float, e->count);
      for (gsize i = 0; i < e->count; i++)
        {
          guint32 u = le_u32 ((const guchar *) bin + offset + 4 * i);

          memcpy (&e->data[i], &u, sizeof u);
        }
      g_assert_false (g_hash_table_contains (f->entries, e->name));
      g_hash_table_insert (f->entries, e->name, e);
    }
  g_assert_true (header);
  return f;
}

static const Entry *
fx (const Fixture *f,
    const char    *name)
{
  const Entry *e = g_hash_table_lookup (f->entries, name);

  if (e == NULL)
    g_error ("fixture entry %s missing", name);
  return e;
}

static char *
shape_string (int        ndim,
              const int *shape)
{
  GString *s = g_string_new (NULL);

  for (int d = 0; d < ndim; d++)
    g_string_append_printf (s, d ? "x%d" : "%d", shape[d]);
  return g_string_free (s, FALSE);
}

/* A backend buffer holding a copy of a fixture array. */
static float *
upload_entry (const Entry *e)
{
  float *d = be->alloc (be->ctx, e->count);

  be->upload (be->ctx, d, e->data, e->count);
  return d;
}

/* ------------------------------------------------------------ comparisons */

static double
max_abs (const float *v,
         gsize        n)
{
  double m = 0;

  for (gsize i = 0; i < n; i++)
    m = MAX (m, fabs ((double) v[i]));
  return m;
}

static double
max_abs_diff (const float *a,
              const float *b,
              gsize        n)
{
  double m = 0;

  for (gsize i = 0; i < n; i++)
    {
      double d = fabs ((double) a[i] - (double) b[i]);

      if (!(d <= m))   /* also catches NaN */
        m = isnan (d) ? INFINITY : d;
    }
  return m;
}

/* max |got − ref| ≤ tol · max(max|ref|, floor); logs the error and returns
 * it relative to that scale. */
static double
assert_close (const char  *what,
              const float *got,
              const Entry *ref,
              double       tol,
              double       floor_scale)
{
  double err = max_abs_diff (got, ref->data, ref->count);
  double scale = MAX (max_abs (ref->data, ref->count), floor_scale);

  g_test_message ("%-48s max|err| %.3e  max|ref| %.3e  rel %.3e  (tol %.1e)",
                  what, err, max_abs (ref->data, ref->count), err / scale, tol);
  if (!(err <= tol * scale))
    g_error ("%s: max|err| %.6g > %.3g * %.6g", what, err, tol, scale);
  return err / scale;
}

static void
assert_scalar (const char *what,
               double      got,
               double      ref,
               double      rtol)
{
  double rel = fabs (got - ref) / fabs (ref);

  g_test_message ("%-48s C %.10g  ref %.10g  rel %.3e  (tol %.1e)", what, got, ref, rel, rtol);
  if (!(rel <= rtol))
    g_error ("%s: %.10g vs reference %.10g (relative %.3g > %.3g)", what, got, ref, rel, rtol);
}

/* The loss terms of spec §4 through the backend primitive: L(w) = l_sp + w·l_f. */
static void
loss_terms (int          n,
            int          h,
            int          w,
            const float *out,
            const float *y,
            double      *l_sp,
            double      *l_f,
            double      *loss)
{
  double l0 = be->loss_forward_backward (be->ctx, n, h, w, out, y, 0.f, NULL);
  double l1 = be->loss_forward_backward (be->ctx, n, h, w, out, y, 1.f, NULL);

  *l_sp = l0;
  *l_f = l1 - l0;
  *loss = be->loss_forward_backward (be->ctx, n, h, w, out, y, GM_NN_LOSS_W_FREQ, NULL);
}

static void
check_loss (const char  *tag,
            const Fixture *f,
            int          n,
            int          h,
            const float *out_dev,
            const float *y_dev)
{
  double l_sp, l_f, loss;
  g_autofree char *a = g_strdup_printf ("%s loss", tag);
  g_autofree char *b = g_strdup_printf ("%s l_sp", tag);
  g_autofree char *c = g_strdup_printf ("%s l_f", tag);

  loss_terms (n, h, h, out_dev, y_dev, &l_sp, &l_f, &loss);
  assert_scalar (a, loss, fx (f, "loss")->value, 1e-5);
  assert_scalar (b, l_sp, fx (f, "l_sp")->value, 1e-5);
  assert_scalar (c, l_f, fx (f, "l_f")->value, 1e-5);
}

/* The running buffers against buf.<name>, relative to each buffer's max.
 * The BN running means are 0.01 × a batch mean that nearly cancels (~1e-6
 * here), so they are compared absolutely instead: 1e-8 is momentum 0.01 ×
 * 1e-6 of the O(1) values being averaged. */
static void
check_buffers (const char    *tag,
               GmErnet       *net,
               const Fixture *f,
               double         tol)
{
  const float *buf = gm_ernet_buffers (net);

  g_assert_cmpint (gm_ernet_n_buffers (net), ==, 6);
  for (int i = 0; i < gm_ernet_n_buffers (net); i++)
    {
      const GmErnetTensorInfo *info = gm_ernet_buffer_info (net, i);
      g_autofree char *key = g_strdup_printf ("buf.%s", info->name);
      g_autofree char *what = g_strdup_printf ("%s %s", tag, key);
      g_autofree char *shape = shape_string (info->ndim, info->shape);
      const Entry *ref = fx (f, key);

      g_assert_cmpstr (shape, ==, ref->shape);
      g_assert_cmpuint (info->numel, ==, ref->count);
      if (g_str_has_suffix (info->name, "bn.running_mean"))
        assert_close (what, buf + info->offset, ref, 1e-8, 1.0);
      else
        assert_close (what, buf + info->offset, ref, tol, 0);
    }
}

/* That forward's patch statistics (μ and the Newton–Schulz D) through the
 * backend's whiten_stats on x, without touching any running buffer. */
static void
check_whiten_stats (const char    *tag,
                    const Fixture *f,
                    int            n,
                    int            h,
                    const float   *x_dev,
                    double         tol)
{
  float *mu = be->alloc (be->ctx, 9), *D = be->alloc (be->ctx, 81);
  float hmu[9], hD[81];
  g_autofree char *a = g_strdup_printf ("%s deconv.batch_mean", tag);
  g_autofree char *b = g_strdup_printf ("%s deconv.batch_D", tag);

  be->whiten_stats (be->ctx, n, h, h, x_dev, 1e-5f, 0.1f, mu, D, NULL, NULL);
  be->download (be->ctx, hmu, mu, 9);
  be->download (be->ctx, hD, D, 81);
  assert_close (a, hmu, fx (f, "deconv.batch_mean"), tol, 1.0);
  assert_close (b, hD, fx (f, "deconv.batch_D"), tol, 1.0);
  be->free (be->ctx, mu);
  be->free (be->ctx, D);
}

static GmErnet *
new_net (GmErnetPreset preset)
{
  GmErnetConfig cfg = gm_ernet_config (preset, 0);
  GmErnet *net = gm_ernet_new (be, &cfg);

  gm_ernet_init_formula (net);
  return net;
}

/* ------------------------------------------------------------ 1. parameters */

static void
check_init (const char *config)
{
  GmErnet *net;
  g_autofree char *path = gm_test_data_path ("ernet/params.tsv");
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  const float *p;
  int k = 0;
  double worst = 0;

  net = new_net (strcmp (config, "paper") == 0 ? GM_ERNET_PAPER : GM_ERNET_TINY);
  p = gm_ernet_params (net);
  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  for (guint l = 0; lines[l] != NULL; l++)
    {
      g_auto(GStrv) col = NULL;
      const GmErnetTensorInfo *info;
      g_autofree char *shape = NULL;
      double sum = 0, sumsq = 0, ref[3], got[3];

      if (lines[l][0] == '#' || lines[l][0] == '\0' || g_str_has_prefix (lines[l], "config\t"))
        continue;
      col = g_strsplit (lines[l], "\t", -1);
      g_assert_cmpuint (g_strv_length (col), ==, 11);
      if (strcmp (col[0], config) != 0)
        continue;
      g_assert_cmpint (atoi (col[1]), ==, k);
      g_assert_cmpint (k, <, gm_ernet_n_params (net));
      info = gm_ernet_param_info (net, k);
      shape = shape_string (info->ndim, info->shape);
      g_assert_cmpstr (info->name, ==, col[2]);
      g_assert_cmpstr (shape, ==, col[3]);
      g_assert_cmpuint (info->numel, ==, g_ascii_strtoull (col[4], NULL, 10));
      for (gsize e = 0; e < info->numel; e++)
        {
          double v = p[info->offset + e];

          sum += v;
          sumsq += v * v;
        }
      got[0] = sum;
      got[1] = sumsq;
      got[2] = p[info->offset];
      for (int c = 0; c < 3; c++)
        {
          double rel;

          ref[c] = g_ascii_strtod (col[8 + c], NULL);
          /* relative 1e-5; a sum that cancels to near 0 is measured
           * against the tensor's L2 norm instead */
          rel = fabs (got[c] - ref[c]) / MAX (fabs (ref[c]), c == 0 ? 1e-3 * sqrt (ref[1]) : 0);
          worst = MAX (worst, rel);
          if (!(rel <= 1e-5))
            g_error ("%s %s: %s %.10g vs params.tsv %.10g", config, info->name,
                     c == 0 ? "sum" : c == 1 ? "sumsq" : "first", got[c], ref[c]);
        }
      k++;
    }
  g_assert_cmpint (k, ==, 76);
  g_assert_cmpint (gm_ernet_n_params (net), ==, 76);
  gm_ernet_free (net);
  g_test_message ("%s: 76 parameters match params.tsv (name, shape, order); worst relative "
                  "checksum error %.2e", config, worst);
}

static void
test_init_tiny (void)
{
  check_init ("tiny");
}

static void
test_init_paper (void)
{
  check_init ("paper");
}

/* ------------------------------------------------------------ 2./3. tiny */

static void
test_tiny (void)
{
  static const char *acts[] = {
    "pre", "d1", "d2", "d3", "b0", "b1", "b2", "m1", "u1", "m2", "u2",
  };
  g_autoptr(Fixture) f = fixture_load ("tiny");
  g_autoptr(Fixture) fg = fixture_load ("tiny_grad");
  GmErnet *net = new_net (GM_ERNET_TINY);
  const int n = 3, h = 16, hw = n * h * h;
  const Entry *x = fx (f, "x"), *y = fx (f, "y");
  g_autofree float *out = g_new (float, hw);
  g_autofree float *grads = NULL;
  float *x_dev = upload_entry (x), *y_dev = upload_entry (y);
  float *out_dev = be->alloc (be->ctx, hw);
  const char *first_bad = NULL;
  double loss, worst = 0, worst_zero = 0;
  g_autofree char *worst_name = NULL;
  int n_zero_tensors = 0;
  gsize n_zero_elems = 0;

  g_assert_cmpstr (x->shape, ==, "3x1x16x16");

  /* train-mode forward.  Tolerance: float32 PyTorch lands 5.4e-8 from the
   * fixture; 1e-5 of the output's max (0.087, so 8.7e-7 absolute) is ~16×
   * that, and tighter than the 1e-5 absolute one might ask for. */
  gm_ernet_forward (net, TRUE, n, h, h, x->data, out);
  assert_close ("tiny out_train", out, fx (f, "out_train"), 1e-5, 0);

  /* intermediate activations, in network order; max |err| ≤ 1e-5 of each
   * tensor's own max |ref|.  Report the first layer that diverges, then fail. */
  for (guint a = 0; a < G_N_ELEMENTS (acts); a++)
    {
      g_autofree char *key = g_strdup_printf ("act.%s", acts[a]);
      g_autofree char *want = NULL, *have = NULL;
      const Entry *ref = fx (f, key);
      int shape[4];
      const float *act = gm_ernet_activation (net, acts[a], shape);
      g_autofree float *hact = g_new (float, ref->count);
      double err, scale;

      g_assert_nonnull (act);
      have = shape_string (4, shape);
      g_assert_cmpstr (have, ==, ref->shape);
      be->download (be->ctx, hact, act, ref->count);
      err = max_abs_diff (hact, ref->data, ref->count);
      scale = max_abs (ref->data, ref->count);
      g_test_message ("tiny act.%-39s max|err| %.3e  max|ref| %.3e  rel %.3e  (tol 1.0e-05)",
                      acts[a], err, scale, err / scale);
      if (!(err <= 1e-5 * scale) && first_bad == NULL)
        first_bad = acts[a];
    }
  if (first_bad != NULL)
    g_error ("tiny: the first activation that diverges from the reference is act.%s",
             first_bad);

  /* the running buffers after one train forward, and that forward's patch
   * statistics (D after 5 Newton–Schulz steps; PyTorch float32 agrees to
   * ~1e-7 on these O(1) numbers) */
  check_buffers ("tiny", net, f, 1e-5);
  check_whiten_stats ("tiny", f, n, h, x_dev, 1e-5);

  /* loss and its terms */
  be->upload (be->ctx, out_dev, out, hw);
  check_loss ("tiny", f, n, h, out_dev, y_dev);

  /* backward: every parameter gradient.  PyTorch float32 lands 1.5e-5 of
   * each tensor's max |g| from the fixture; allow 1e-4.  Tensors that are
   * exactly zero in the fixture (dead ReLUs) must be ≤ 1e-7 here, and so
   * must every single element the fixture has at exactly zero. */
  loss = gm_ernet_backward_loss (net, y->data);
  assert_scalar ("tiny loss (gm_ernet_backward_loss)", loss, fx (f, "loss")->value, 1e-5);
  grads = g_new (float, gm_ernet_n_trainable (net));
  be->download (be->ctx, grads, gm_ernet_grads (net), gm_ernet_n_trainable (net));
  g_assert_cmpuint (g_hash_table_size (fg->entries), ==, gm_ernet_n_params (net));
  for (int k = 0; k < gm_ernet_n_params (net); k++)
    {
      const GmErnetTensorInfo *info = gm_ernet_param_info (net, k);
      g_autofree char *key = g_strdup_printf ("grad.%s", info->name);
      g_autofree char *shape = shape_string (info->ndim, info->shape);
      const Entry *ref = fx (fg, key);
      const float *g = grads + info->offset;
      double gmax = max_abs (ref->data, ref->count);
      double err = max_abs_diff (g, ref->data, ref->count);

      g_assert_cmpstr (shape, ==, ref->shape);
      for (gsize e = 0; e < ref->count; e++)
        if (ref->data[e] == 0.f)
          {
            n_zero_elems++;
            worst_zero = MAX (worst_zero, fabs (g[e]));
            if (!(fabs (g[e]) <= 1e-7))
              g_error ("%s[%" G_GSIZE_FORMAT "]: %.3g where the reference gradient is 0",
                       key, e, g[e]);
          }
      if (gmax == 0)
        {
          n_zero_tensors++;
          g_test_message ("tiny %-44s exactly 0 in the fixture, max|g| here %.3e", key,
                          max_abs (g, ref->count));
          continue;
        }
      if (err / gmax >= worst)
        {
          worst = err / gmax;
          g_free (worst_name);
          worst_name = g_strdup (key);
        }
      if (!(err <= 1e-4 * gmax))
        g_error ("%s: max|err| %.6g > 1e-4 * max|g| %.6g (rel %.3g)", key, err, gmax,
                 err / gmax);
    }
  g_test_message ("tiny gradients: 76 tensors, worst max|err|/max|g| %.3e (%s); %d tensors "
                  "and %" G_GSIZE_FORMAT " elements exactly 0 in the fixture (max |g| here "
                  "%.3e)", worst, worst_name, n_zero_tensors, n_zero_elems, worst_zero);

  /* one Adam step, then eval mode.  The step is ~lr·sign(g) and 9% of the
   * gradient elements are < 1e-7, where the sign is round-off: README asks
   * for a few 1e-4.  Each parameter moves by at most lr = 2e-4. */
  gm_ernet_adam_step (net, 2e-4f);
  g_assert_cmpint (gm_ernet_adam_steps (net), ==, 1);
  gm_ernet_forward (net, FALSE, n, h, h, x->data, out);
  assert_close ("tiny out_eval_step1", out, fx (f, "out_eval_step1"), 3e-4, 1.0);
  be->upload (be->ctx, out_dev, out, hw);
  assert_scalar ("tiny loss_eval_step1",
                 be->loss_forward_backward (be->ctx, n, h, h, out_dev, y_dev,
                                            GM_NN_LOSS_W_FREQ, NULL),
                 fx (f, "loss_eval_step1")->value, 1e-4);
  gm_ernet_forward (net, TRUE, n, h, h, x->data, out);
  be->upload (be->ctx, out_dev, out, hw);
  assert_scalar ("tiny loss_train_step1",
                 be->loss_forward_backward (be->ctx, n, h, h, out_dev, y_dev,
                                            GM_NN_LOSS_W_FREQ, NULL),
                 fx (f, "loss_train_step1")->value, 1e-4);

  be->free (be->ctx, x_dev);
  be->free (be->ctx, y_dev);
  be->free (be->ctx, out_dev);
  gm_ernet_free (net);
}

/* ------------------------------------------------------------ 4. paper */

static void
test_paper (void)
{
  g_autoptr(Fixture) f = fixture_load ("paper");
  GmErnet *net = new_net (GM_ERNET_PAPER);
  const int n = 2, h = 52, hw = n * h * h;
  const Entry *x = fx (f, "x"), *y = fx (f, "y");
  g_autofree float *out = g_new (float, hw);
  float *x_dev = upload_entry (x), *y_dev = upload_entry (y);
  float *out_dev = be->alloc (be->ctx, hw);

  g_assert_cmpstr (x->shape, ==, "2x1x52x52");
  g_assert_cmpuint (gm_ernet_n_trainable (net), ==, 6727031);

  /* PyTorch float32 lands 4.8e-7 from the fixture on out_train (the
   * 256-channel DFA convolutions sum 2304 products each), i.e. 8e-6 of the
   * output's max (0.057); 1e-4 of that max (5.7e-6 absolute) is ~12× it. */
  gm_ernet_forward (net, FALSE, n, h, h, x->data, out);
  assert_close ("paper out_eval0", out, fx (f, "out_eval0"), 1e-4, 0);
  be->upload (be->ctx, out_dev, out, hw);
  assert_scalar ("paper loss_eval0",
                 be->loss_forward_backward (be->ctx, n, h, h, out_dev, y_dev,
                                            GM_NN_LOSS_W_FREQ, NULL),
                 fx (f, "loss_eval0")->value, 1e-5);

  gm_ernet_forward (net, TRUE, n, h, h, x->data, out);
  assert_close ("paper out_train", out, fx (f, "out_train"), 1e-4, 0);
  be->upload (be->ctx, out_dev, out, hw);
  check_loss ("paper", f, n, h, out_dev, y_dev);
  check_buffers ("paper", net, f, 1e-5);
  check_whiten_stats ("paper", f, n, h, x_dev, 1e-5);
  g_assert_cmpint (gm_ernet_num_batches_tracked (net, 1), ==, 1);
  g_assert_cmpint (gm_ernet_num_batches_tracked (net, 2), ==, 1);

  gm_ernet_forward (net, FALSE, n, h, h, x->data, out);
  assert_close ("paper out_eval1", out, fx (f, "out_eval1"), 1e-4, 0);

  be->free (be->ctx, x_dev);
  be->free (be->ctx, y_dev);
  be->free (be->ctx, out_dev);
  gm_ernet_free (net);
}

/* ------------------------------------------------------------ 5. dcn */

static void
test_dcn (void)
{
  g_autoptr(Fixture) f = fixture_load ("dcn");
  const GmNnConv c = { .cin = 5, .cout = 4, .kh = 3, .kw = 3, .stride = 1, .pad = 1, .dil = 1 };
  const int n = 2, h = 7, w = 7;
  static const char *ins[] = { "input", "offset", "mask", "weight", "bias", "grad_out" };
  static const char *grads[] = {
    "grad_input", "grad_offset", "grad_mask", "grad_weight", "grad_bias",
  };
  float *dev[G_N_ELEMENTS (ins)], *gdev[G_N_ELEMENTS (grads)];
  float *y_dev;
  const Entry *out = fx (f, "output");
  g_autofree float *host = NULL;

  g_assert_cmpstr (fx (f, "input")->shape, ==, "2x5x7x7");
  g_assert_cmpstr (fx (f, "offset")->shape, ==, "2x18x7x7");
  g_assert_cmpstr (fx (f, "mask")->shape, ==, "2x9x7x7");
  g_assert_cmpstr (fx (f, "weight")->shape, ==, "4x5x3x3");
  g_assert_cmpint (gm_nn_conv_out_size (&c, h), ==, 7);
  for (guint i = 0; i < G_N_ELEMENTS (ins); i++)
    dev[i] = upload_entry (fx (f, ins[i]));
  for (guint i = 0; i < G_N_ELEMENTS (grads); i++)
    gdev[i] = be->alloc (be->ctx, fx (f, grads[i])->count);   /* zero-filled */
  y_dev = be->alloc (be->ctx, out->count);

  /* PyTorch float32 lands 3.5e-7 (forward) and 1.4e-6 (gradients) from
   * the float64 fixture; 1e-5 of each tensor's max. */
  be->dcn_forward (be->ctx, &c, n, h, w, dev[0], dev[1], dev[2], dev[3], dev[4], y_dev);
  host = g_new (float, fx (f, "grad_offset")->count);
  be->download (be->ctx, host, y_dev, out->count);
  assert_close ("dcn output", host, out, 1e-5, 0);

  be->dcn_backward (be->ctx, &c, n, h, w, dev[0], dev[1], dev[2], dev[3], dev[5],
                    gdev[0], gdev[1], gdev[2], gdev[3], gdev[4]);
  for (guint i = 0; i < G_N_ELEMENTS (grads); i++)
    {
      const Entry *ref = fx (f, grads[i]);
      g_autofree char *what = g_strdup_printf ("dcn %s", grads[i]);

      be->download (be->ctx, host, gdev[i], ref->count);
      assert_close (what, host, ref, 1e-5, 0);
    }

  for (guint i = 0; i < G_N_ELEMENTS (ins); i++)
    be->free (be->ctx, dev[i]);
  for (guint i = 0; i < G_N_ELEMENTS (grads); i++)
    be->free (be->ctx, gdev[i]);
  be->free (be->ctx, y_dev);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GmNnBackend) cpu = gm_nn_backend_cpu ();

  g_test_init (&argc, &argv, NULL);
  be = cpu;
  g_test_add_func ("/ernet-reference/init/tiny", test_init_tiny);
  g_test_add_func ("/ernet-reference/init/paper", test_init_paper);
  g_test_add_func ("/ernet-reference/dcn", test_dcn);
  g_test_add_func ("/ernet-reference/tiny", test_tiny);
  g_test_add_func ("/ernet-reference/paper", test_paper);
  return g_test_run ();
}
