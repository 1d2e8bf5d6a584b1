/* test-nn-cuda.c — the CUDA backend against the CPU reference: every
 * GmNnBackend primitive, forward and backward, on random inputs (tiny and
 * paper-sized shapes), then whole-network training parity
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Exits 77 (skipped) with the reason when gm_nn_backend_open ("cuda")
 * fails: no module built, no driver, no device.  GM_NN_CUDA_DEVICE picks
 * another device ("cuda:1"); GM_NN_CUDA_DEVICE=cpu runs the whole harness
 * with a second CPU backend in the GPU's place (a self-check of this file:
 * every error must then be 0 — the CPU backend is deterministic).
 *
 * Every case fills the same random host buffers into both backends (the
 * gradient outputs too, so that the "adds into" convention is checked),
 * runs the primitive, and compares the buffers the primitive writes:
 *   err = max |gpu − cpu| / max (max |cpu|, 1e-30)   (per buffer)
 * must be ≤ tol.  Tolerances, in float32 where both backends sum in a
 * different order (cuDNN/cuBLAS tiling, tree reductions, atomics, nvcc's
 * FMA contraction; TF32 off):
 *   1e-5  elementwise and layout ops (exact up to FMA contraction)
 *   1e-4  reductions over ≤ 10^5 terms (pooling, gates, BatchNorm, linear)
 *   1e-3  convolutions and the deformable convolution (sums of up to
 *         2304 products; cuDNN may pick Winograd or FFT algorithms, whose
 *         FP32 error is larger than a direct sum's), the whitening
 *         statistics (a 9×9 inverse square root by five Newton–Schulz
 *         steps amplifies the covariance's rounding), the loss value
 *   2e-2  the loss gradient: it holds sign(Re), sign(Im) of every DFT
 *         coefficient, and a coefficient within float noise of 0 may get
 *         the other sign on the other backend, which moves the gradient of
 *         its whole map by up to 2·w_freq/(2·N·H·W) per element, about 1e-2
 *         of max |grad| (the coefficients that are exactly real — Im at
 *         u, v ∈ {0, H/2} — carry sine factors ≈ 1e-16 and do not matter)
 * Whole network (test_train_tiny): 30 Adam steps of the tiny model from
 * the same initialisation and batches; |L_gpu − L_cpu| ≤ 1e-4·L at step 1
 * (forward + loss only) and ≤ 2e-2·L at every later step (Adam's
 * normalisation amplifies tiny gradient differences of near-zero
 * gradients; a wrong kernel gives O(1) differences within a few steps).
 * Paper model (test_paper_step): one forward/backward at batch 2, 52×52;
 * gradient error (as above, relative to the largest gradient) ≤ 5e-3.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "gm-ernet.h"
#include "gm-linalg.h"
#include "gm-nn-device.h"

static GmNnBackend *cpu, *gpu;

#define MAXB 12

typedef struct
{
  GmNnConv c;
  int      n, h, w, ch, hw, pad, act, in, out;
  float    a, b;
  gboolean train;
} Par;

typedef void (*OpFn) (GmNnBackend *be, float **b, const Par *p);

typedef struct
{
  const char *name;
  int         nb;
  gsize       n[MAXB];
  float       lo[MAXB], hi[MAXB];   /* uniform init; lo == hi: constant */
  gboolean    out[MAXB];            /* written by the op: compared */
  double      tol;
  OpFn        op;
  Par         p;
  double      tol_out[MAXB];        /* per-buffer override when > 0 */
} Case;

static double
compare (const char  *what,
         const float *ref,
         const float *got,
         gsize        n)
{
  double mx = 0, md = 0;

  for (gsize i = 0; i < n; i++)
    {
      if (!isfinite (got[i]) && isfinite (ref[i]))
        {
          g_test_message ("%s: element %" G_GSIZE_FORMAT " is %g on the GPU, %g on the CPU", what, i,
                          got[i], ref[i]);
          return INFINITY;
        }
      mx = MAX (mx, fabs (ref[i]));
      md = MAX (md, fabs ((double) got[i] - ref[i]));
    }
  return md / MAX (mx, 1e-30);
}

static void
run_case (const Case *c)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (g_str_hash (c->name));
  float *host[MAXB], *res[2][MAXB] = { { NULL } };
  GmNnBackend *bes[2] = { cpu, gpu };

  for (int i = 0; i < c->nb; i++)
    {
      host[i] = g_new (float, MAX (c->n[i], 1));
      for (gsize k = 0; k < c->n[i]; k++)
        host[i][k] = c->lo[i] == c->hi[i] ? c->lo[i] : (float) g_rand_double_range (r, c->lo[i], c->hi[i]);
    }
  for (int k = 0; k < 2; k++)
    {
      GmNnBackend *be = bes[k];
      float *b[MAXB];

      for (int i = 0; i < c->nb; i++)
        {
          b[i] = be->alloc (be->ctx, c->n[i]);
          be->upload (be->ctx, b[i], host[i], c->n[i]);
        }
      c->op (be, b, &c->p);
      be->synchronize (be->ctx);
      for (int i = 0; i < c->nb; i++)
        {
          if (c->out[i])
            {
              res[k][i] = g_new (float, MAX (c->n[i], 1));
              be->download (be->ctx, res[k][i], b[i], c->n[i]);
            }
          be->free (be->ctx, b[i]);
        }
    }
  for (int i = 0; i < c->nb; i++)
    {
      if (c->out[i])
        {
          g_autofree char *what = g_strdup_printf ("%s[%d]", c->name, i);
          double err = compare (what, res[0][i], res[1][i], c->n[i]);
          double tol = c->tol_out[i] > 0 ? c->tol_out[i] : c->tol;

          g_test_message ("%-40s err %.2e (tol %.0e)", what, err, tol);
          if (!(err <= tol))
            g_test_fail_printf ("%s: GPU differs from the CPU by %.3g (relative to max |cpu|), tol %.3g",
                                what, err, tol);
        }
      g_free (host[i]);
      g_free (res[0][i]);
      g_free (res[1][i]);
    }
}

/* ------------------------------------------------------------ ops */

static int
co (const GmNnConv *c, int in)
{
  return gm_nn_conv_out_size (c, in);
}

static int
cto (const GmNnConv *c, int in)
{
  return gm_nn_convt_out_size (c, in);
}

static void op_fill (GmNnBackend *be, float **b, const Par *p)
{ be->fill (be->ctx, b[0], (gsize) p->in, p->a); }
static void op_axpby (GmNnBackend *be, float **b, const Par *p)
{ be->axpby (be->ctx, (gsize) p->in, p->a, b[0], p->b, b[1]); }
static void op_act_f (GmNnBackend *be, float **b, const Par *p)
{ be->act_forward (be->ctx, p->act, (gsize) p->in, b[0], b[1]); }
static void op_act_b (GmNnBackend *be, float **b, const Par *p)
{
  be->act_forward (be->ctx, p->act, (gsize) p->in, b[0], b[1]);
  be->act_backward (be->ctx, p->act, (gsize) p->in, b[1], b[2], b[3]);
}
static void op_conv_f (GmNnBackend *be, float **b, const Par *p)
{ be->conv2d_forward (be->ctx, &p->c, p->n, p->h, p->w, b[0], b[1], b[2], b[3]); }
static void op_conv_b (GmNnBackend *be, float **b, const Par *p)
{ be->conv2d_backward (be->ctx, &p->c, p->n, p->h, p->w, b[0], b[1], b[2], b[3], b[4], b[5]); }
static void op_convt_f (GmNnBackend *be, float **b, const Par *p)
{ be->convt2d_forward (be->ctx, &p->c, p->n, p->h, p->w, b[0], b[1], b[2], b[3]); }
static void op_convt_b (GmNnBackend *be, float **b, const Par *p)
{ be->convt2d_backward (be->ctx, &p->c, p->n, p->h, p->w, b[0], b[1], b[2], b[3], b[4], b[5]); }
static void op_dcn_f (GmNnBackend *be, float **b, const Par *p)
{ be->dcn_forward (be->ctx, &p->c, p->n, p->h, p->w, b[0], b[1], b[2], b[3], b[4], b[5]); }
static void op_dcn_b (GmNnBackend *be, float **b, const Par *p)
{
  be->dcn_backward (be->ctx, &p->c, p->n, p->h, p->w, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
                    b[8], b[9]);
}
static void op_pad_f (GmNnBackend *be, float **b, const Par *p)
{ be->reflect_pad_forward (be->ctx, p->ch, p->h, p->w, p->pad, b[0], b[1]); }
static void op_pad_b (GmNnBackend *be, float **b, const Par *p)
{ be->reflect_pad_backward (be->ctx, p->ch, p->h, p->w, p->pad, b[0], b[1]); }
static void op_gavg (GmNnBackend *be, float **b, const Par *p)
{
  be->global_avg_forward (be->ctx, p->ch, p->hw, b[0], b[1]);
  be->global_avg_backward (be->ctx, p->ch, p->hw, b[2], b[3]);
}
static void op_gmax (GmNnBackend *be, float **b, const Par *p)
{
  be->global_max_forward (be->ctx, p->ch, p->hw, b[0], b[1]);
  be->global_max_backward (be->ctx, p->ch, p->hw, b[0], b[1], b[2], b[3]);
}
static void op_chanpool (GmNnBackend *be, float **b, const Par *p)
{
  be->chanpool_forward (be->ctx, p->n, p->ch, p->hw, b[0], b[1]);
  be->chanpool_backward (be->ctx, p->n, p->ch, p->hw, b[0], b[1], b[2], b[3]);
}
static void op_chgate (GmNnBackend *be, float **b, const Par *p)
{
  be->chgate_forward (be->ctx, p->n, p->ch, p->hw, b[0], b[1], b[2]);
  be->chgate_backward (be->ctx, p->n, p->ch, p->hw, b[0], b[1], b[3], b[4], b[5]);
}
static void op_spgate (GmNnBackend *be, float **b, const Par *p)
{
  be->spgate_forward (be->ctx, p->n, p->ch, p->hw, b[0], b[1], b[2]);
  be->spgate_backward (be->ctx, p->n, p->ch, p->hw, b[0], b[1], b[3], b[4], b[5]);
}
static void op_concat (GmNnBackend *be, float **b, const Par *p)
{
  be->concat (be->ctx, p->n, p->in, p->out, p->hw, b[0], b[1], b[2]);
  be->split_add (be->ctx, p->n, p->in, p->out, p->hw, b[3], b[4], b[5]);
}
static void op_linear (GmNnBackend *be, float **b, const Par *p)
{
  be->linear_forward (be->ctx, p->n, p->in, p->out, b[0], b[1], b[2], b[3]);
  be->linear_backward (be->ctx, p->n, p->in, p->out, b[0], b[1], b[4], b[5], b[6], b[7]);
}
/* b: x, gamma, beta, rmean, rvar, saved, y, dy, dx, dgamma, dbeta */
static void op_bn (GmNnBackend *be, float **b, const Par *p)
{
  be->bn_forward (be->ctx, p->train, p->n, p->ch, p->hw, b[0], b[1], b[2], b[3], b[4], 0.1f, 1e-5f,
                  b[5], b[6]);
  be->bn_backward (be->ctx, p->train, p->n, p->ch, p->hw, b[0], b[1], b[5], b[7], b[8], b[9], b[10]);
}
/* b: x, mu, D, rmean, rdeconv, weight, bias, y, dy, dx, dw, db */
static void op_whiten (GmNnBackend *be, float **b, const Par *p)
{
  be->whiten_stats (be->ctx, p->n, p->h, p->w, b[0], 1e-5f, 0.1f, b[1], b[2], b[3], b[4]);
  be->whiten_conv_forward (be->ctx, p->n, p->h, p->w, b[0], b[5], b[6], b[1], b[2], b[7]);
  be->whiten_conv_backward (be->ctx, p->n, p->h, p->w, b[0], b[5], b[1], b[2], b[8], b[9], b[10], b[11]);
}
/* b: out, target, grad, loss (1 float) */
static void op_loss (GmNnBackend *be, float **b, const Par *p)
{
  double l = be->loss_forward_backward (be->ctx, p->n, p->h, p->w, b[0], b[1], GM_NN_LOSS_W_FREQ, b[2]);
  float lf = (float) l;

  be->upload (be->ctx, b[3], &lf, 1);
}
static void op_adam (GmNnBackend *be, float **b, const Par *p)
{
  for (int step = 1; step <= 3; step++)
    be->adam_update (be->ctx, (gsize) p->in, b[0], b[1], b[2], b[3], 2e-4f, 0.9f, 0.999f, 1e-8f, step);
}

/* ------------------------------------------------------------ cases */

#define T_EW   1e-5
#define T_RED  1e-4
#define T_CONV 1e-3
#define T_WH   1e-3

static void
test_elementwise (void)
{
  const int N = 100003;

  for (int k = 0; k < 3; k++)
    {
      Case f = { "fill", 1, { N }, { -1 }, { 1 }, { TRUE }, T_EW, op_fill, { .in = N, .a = k == 0 ? 0.f : 0.37f } };
      float bs[3] = { 0.f, 1.f, -0.5f };
      Case ax = { "axpby", 2, { N, N }, { -1, -1 }, { 1, 1 }, { FALSE, TRUE }, T_EW, op_axpby,
                  { .in = N, .a = 1.25f, .b = bs[k] } };
      Case af = { "act_forward", 2, { N, N }, { -4, -1 }, { 4, 1 }, { FALSE, TRUE }, T_EW, op_act_f,
                  { .in = N, .act = k } };
      Case ab = { "act_backward", 4, { N, N, N, N }, { -4, -1, -1, -1 }, { 4, 1, 1, 1 },
                  { FALSE, TRUE, FALSE, TRUE }, T_EW, op_act_b, { .in = N, .act = k } };
      run_case (&f);
      run_case (&ax);
      run_case (&af);
      run_case (&ab);
    }
}

static void
conv_cases (int n, int cin, int cout, int k, int s, int pad, int dil, int h, int w)
{
  GmNnConv c = { cin, cout, k, k, s, pad, dil, 0 };
  int ho = co (&c, h), wo = co (&c, w);
  gsize xn = (gsize) n * cin * h * w, wn = (gsize) cout * cin * k * k, yn = (gsize) n * cout * ho * wo;
  Case f = { "conv2d_forward", 4, { xn, wn, cout, yn }, { -1, -.3f, -.1f, 0 }, { 1, .3f, .1f, 1 },
             { FALSE, FALSE, FALSE, TRUE }, T_CONV, op_conv_f, { .c = c, .n = n, .h = h, .w = w } };
  Case b = { "conv2d_backward", 6, { xn, wn, yn, xn, wn, cout }, { -1, -.3f, -1, -1, -1, -1 },
             { 1, .3f, 1, 1, 1, 1 }, { FALSE, FALSE, FALSE, TRUE, TRUE, TRUE }, T_CONV, op_conv_b,
             { .c = c, .n = n, .h = h, .w = w } };

  g_test_message ("conv n %d cin %d cout %d k %d s %d p %d d %d %dx%d", n, cin, cout, k, s, pad, dil, h, w);
  run_case (&f);
  run_case (&b);
}

static void
test_conv2d (void)
{
  conv_cases (2, 3, 4, 3, 1, 1, 1, 8, 8);
  conv_cases (3, 5, 2, 4, 2, 1, 1, 9, 7);
  conv_cases (2, 4, 4, 3, 1, 2, 2, 8, 8);
  conv_cases (2, 1, 6, 7, 1, 0, 1, 14, 14);   /* down1 after the reflection pad (ngf 6) */
  /* paper-sized (batch 4 to keep the CPU reference quick) */
  conv_cases (4, 1, 64, 7, 1, 0, 1, 58, 58);
  conv_cases (4, 64, 128, 3, 2, 1, 1, 52, 52);
  conv_cases (4, 128, 256, 3, 2, 1, 1, 26, 26);
  conv_cases (4, 256, 256, 3, 1, 1, 1, 13, 13);
  conv_cases (4, 256, 27, 3, 1, 1, 1, 13, 13);
}

static void
convt_cases (int n, int cin, int cout, int k, int s, int pad, int op, int h, int w)
{
  GmNnConv c = { cin, cout, k, k, s, pad, 1, op };
  int ho = cto (&c, h), wo = cto (&c, w);
  gsize xn = (gsize) n * cin * h * w, wn = (gsize) cin * cout * k * k, yn = (gsize) n * cout * ho * wo;
  Case f = { "convt2d_forward", 4, { xn, wn, cout, yn }, { -1, -.3f, -.1f, 0 }, { 1, .3f, .1f, 1 },
             { FALSE, FALSE, FALSE, TRUE }, T_CONV, op_convt_f, { .c = c, .n = n, .h = h, .w = w } };
  Case b = { "convt2d_backward", 6, { xn, wn, yn, xn, wn, cout }, { -1, -.3f, -1, -1, -1, -1 },
             { 1, .3f, 1, 1, 1, 1 }, { FALSE, FALSE, FALSE, TRUE, TRUE, TRUE }, T_CONV, op_convt_b,
             { .c = c, .n = n, .h = h, .w = w } };

  g_test_message ("convT n %d cin %d cout %d k %d s %d p %d op %d %dx%d", n, cin, cout, k, s, pad, op, h, w);
  run_case (&f);
  run_case (&b);
}

static void
test_convt2d (void)
{
  convt_cases (2, 4, 3, 3, 2, 1, 1, 5, 6);
  convt_cases (2, 3, 5, 4, 2, 1, 0, 6, 5);
  convt_cases (2, 2, 2, 3, 1, 1, 0, 7, 7);
  /* paper-sized */
  convt_cases (4, 512, 128, 3, 2, 1, 1, 13, 13);
  convt_cases (4, 256, 64, 3, 2, 1, 1, 26, 26);
}

static void
dcn_cases (int n, int cin, int cout, int k, int s, int pad, int dil, int h, int w, float spread)
{
  GmNnConv c = { cin, cout, k, k, s, pad, dil, 0 };
  int ho = co (&c, h), wo = co (&c, w), KK = k * k;
  gsize P = (gsize) ho * wo;
  gsize xn = (gsize) n * cin * h * w, on = (gsize) n * 2 * KK * P, mn = (gsize) n * KK * P;
  gsize wn = (gsize) cout * cin * KK, yn = (gsize) n * cout * P;
  Case f = { "dcn_forward", 6, { xn, on, mn, wn, cout, yn }, { -1, -spread, 0, -.3f, -.1f, 0 },
             { 1, spread, 1, .3f, .1f, 1 }, { FALSE, FALSE, FALSE, FALSE, FALSE, TRUE }, T_CONV, op_dcn_f,
             { .c = c, .n = n, .h = h, .w = w } };
  Case b = { "dcn_backward", 10, { xn, on, mn, wn, yn, xn, on, mn, wn, cout },
             { -1, -spread, 0, -.3f, -1, -1, -1, -1, -1, -1 }, { 1, spread, 1, .3f, 1, 1, 1, 1, 1, 1 },
             { FALSE, FALSE, FALSE, FALSE, FALSE, TRUE, TRUE, TRUE, TRUE, TRUE }, T_CONV, op_dcn_b,
             { .c = c, .n = n, .h = h, .w = w } };

  g_test_message ("dcn n %d cin %d cout %d k %d s %d p %d d %d %dx%d offsets ±%g", n, cin, cout, k, s, pad,
                  dil, h, w, spread);
  run_case (&f);
  run_case (&b);
}

static void
test_dcn (void)
{
  dcn_cases (2, 3, 4, 3, 1, 1, 1, 6, 7, 2.5f);    /* many points outside the image */
  dcn_cases (2, 2, 3, 3, 2, 1, 1, 9, 8, 1.5f);
  dcn_cases (1, 2, 2, 3, 1, 2, 2, 7, 7, 0.8f);
  /* paper-sized: the DFA blocks' DCN at 13×13 with 256 channels */
  dcn_cases (4, 256, 256, 3, 1, 1, 1, 13, 13, 2.0f);
}

static void
test_memory_bound (void)
{
  int nsz[2] = { 3, 16 }, csz[2] = { 5, 256 }, hsz[2] = { 7, 13 };

  for (int k = 0; k < 2; k++)
    {
      int n = nsz[k], C = csz[k], h = hsz[k], w = hsz[k] + 1, hw = h * w;
      gsize x = (gsize) n * C * hw, nc = (gsize) n * C, p2 = (gsize) n * 2 * hw, ns = (gsize) n * hw;
      for (int pad = 1; pad <= 3; pad += 2)
        {
          gsize pn = (gsize) n * C * (h + 2 * pad) * (w + 2 * pad);
          Case pf = { "reflect_pad_forward", 2, { x, pn }, { -1, -1 }, { 1, 1 }, { FALSE, TRUE }, T_EW,
                      op_pad_f, { .ch = n * C, .h = h, .w = w, .pad = pad } };
          Case pb = { "reflect_pad_backward", 2, { pn, x }, { -1, -1 }, { 1, 1 }, { FALSE, TRUE }, T_RED,
                      op_pad_b, { .ch = n * C, .h = h, .w = w, .pad = pad } };
          run_case (&pf);
          run_case (&pb);
        }
      Case ga = { "global_avg", 4, { x, nc, nc, x }, { -1, 0, -1, -1 }, { 1, 0, 1, 1 },
                  { FALSE, TRUE, FALSE, TRUE }, T_RED, op_gavg, { .ch = n * C, .hw = hw } };
      Case gm = { "global_max", 4, { x, nc, nc, x }, { -1, 0, -1, -1 }, { 1, 0, 1, 1 },
                  { FALSE, TRUE, FALSE, TRUE }, T_EW, op_gmax, { .ch = n * C, .hw = hw } };
      Case cp = { "chanpool", 4, { x, p2, p2, x }, { -1, 0, -1, -1 }, { 1, 0, 1, 1 },
                  { FALSE, TRUE, FALSE, TRUE }, T_RED, op_chanpool, { .n = n, .ch = C, .hw = hw } };
      Case cg = { "chgate", 6, { x, nc, x, x, x, nc }, { -1, 0, 0, -1, -1, -1 }, { 1, 1, 0, 1, 1, 1 },
                  { FALSE, FALSE, TRUE, FALSE, TRUE, TRUE }, T_RED, op_chgate, { .n = n, .ch = C, .hw = hw } };
      Case sg = { "spgate", 6, { x, ns, x, x, x, ns }, { -1, 0, 0, -1, -1, -1 }, { 1, 1, 0, 1, 1, 1 },
                  { FALSE, FALSE, TRUE, FALSE, TRUE, TRUE }, T_RED, op_spgate, { .n = n, .ch = C, .hw = hw } };
      gsize ca = (gsize) n * C * hw, cb = (gsize) n * (C / 2 + 1) * hw, cy = ca + cb;
      Case cc = { "concat_split", 6, { ca, cb, cy, cy, ca, cb }, { -1, -1, 0, -1, -1, -1 }, { 1, 1, 0, 1, 1, 1 },
                  { FALSE, FALSE, TRUE, FALSE, TRUE, TRUE }, T_EW, op_concat,
                  { .n = n, .in = C, .out = C / 2 + 1, .hw = hw } };
      run_case (&ga);
      run_case (&gm);
      run_case (&cp);
      run_case (&cg);
      run_case (&sg);
      run_case (&cc);
    }
}

static void
test_linear_bn (void)
{
  int ns[2] = { 3, 64 }, ins[2] = { 7, 512 }, outs[2] = { 5, 64 };

  for (int k = 0; k < 2; k++)
    {
      int n = ns[k], in = ins[k], out = outs[k];
      gsize xn = (gsize) n * in, wn = (gsize) out * in, yn = (gsize) n * out;
      Case l = { "linear", 8, { xn, wn, out, yn, yn, xn, wn, out }, { -1, -.3f, -.1f, 0, -1, -1, -1, -1 },
                 { 1, .3f, .1f, 0, 1, 1, 1, 1 }, { FALSE, FALSE, FALSE, TRUE, FALSE, TRUE, TRUE, TRUE }, T_RED,
                 op_linear, { .n = n, .in = in, .out = out } };
      run_case (&l);
    }
  for (int k = 0; k < 4; k++)
    {
      int n = k < 2 ? 3 : 16, C = k < 2 ? 4 : 256, hw = k < 2 ? 30 : 169;
      gsize x = (gsize) n * C * hw;
      Case b = { "batchnorm", 11, { x, C, C, C, C, 2 * (gsize) C, x, x, x, C, C },
                 { -2, 0.5f, -.5f, -.2f, 0.5f, 0, 0, -1, -1, -1, -1 }, { 3, 1.5f, .5f, .2f, 2, 0, 0, 1, 1, 1, 1 },
                 { FALSE, FALSE, FALSE, TRUE, TRUE, TRUE, TRUE, FALSE, TRUE, TRUE, TRUE }, T_RED, op_bn,
                 { .n = n, .ch = C, .hw = hw, .train = k % 2 == 0 } };
      run_case (&b);
    }
}

/* host_dgemm (the layout's products): every transpose, padded leading
 * dimensions, β ≠ 0, a small and a larger case, against cblas_dgemm
 * in double precision (relative error ≤ 1e-12 of the largest |C|); and
 * through gm_dgemm with the GPU as the accelerator. */
static void
test_host_dgemm (void)
{
  GRand *r = g_rand_new_with_seed (11);
  int sizes[2][3] = { { 7, 5, 9 }, { 512, 384, 300 } };

  g_assert_nonnull (gpu->host_dgemm);
  for (int s = 0; s < 2; s++)
    for (int t = 0; t < 4; t++)
      {
        int m = sizes[s][0], n = sizes[s][1], k = sizes[s][2], ta = t & 1, tb = t >> 1, pad = 3;
        int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
        gsize na = (gsize) (ta ? k : m) * lda, nb = (gsize) (tb ? n : k) * ldb, nc = (gsize) m * ldc;
        double *a = g_new (double, na), *b = g_new (double, nb), *c = g_new (double, nc);
        double *want = g_new (double, nc), big = 0, err = 0;
        guint64 before;

        for (gsize i = 0; i < na; i++)
          a[i] = g_rand_double_range (r, -1, 1);
        for (gsize i = 0; i < nb; i++)
          b[i] = g_rand_double_range (r, -1, 1);
        for (gsize i = 0; i < nc; i++)
          c[i] = want[i] = g_rand_double_range (r, -1, 1);
        cblas_dgemm (CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k,
                     0.7, a, lda, b, ldb, -0.3, want, ldc);
        g_assert_true (gpu->host_dgemm (gpu->ctx, ta, tb, m, n, k, 0.7, a, lda, b, ldb, -0.3, c, ldc));
        for (gsize i = 0; i < nc; i++)
          {
            big = MAX (big, fabs (want[i]));
            err = MAX (err, fabs (c[i] - want[i]));
          }
        g_print ("# host_dgemm %dx%dx%d ta %d tb %d: max |err| / max |C| = %.2e\n", m, n, k, ta, tb, err / big);
        g_assert_cmpfloat (err, <=, 1e-12 * big);

        /* the same through gm_dgemm with the GPU as accelerator */
        before = gm_linalg_accelerated_calls ();
        gm_linalg_set_accelerator (gpu, 1.0);
        gm_dgemm (ta, tb, m, n, k, 0.7, a, lda, b, ldb, 0.0, c, ldc);
        gm_linalg_set_accelerator (NULL, 0);
        g_assert_cmpuint (gm_linalg_accelerated_calls () - before, ==, 1);
        g_free (a);
        g_free (b);
        g_free (c);
        g_free (want);
      }
  g_rand_free (r);
}

/* mem_info: the driver's free and total memory (none on the CPU stand-in). */
static void
test_mem_info (void)
{
  guint64 free_b = 0, total_b = 0;

  if (gpu->mem_info == NULL)
    {
      g_assert_cmpstr (gpu->name, ==, "cpu");
      return;
    }
  g_assert_true (gpu->mem_info (gpu->ctx, &free_b, &total_b));
  g_print ("# %s: %.1f GiB free of %.1f GiB\n", gpu->name, free_b / 1073741824.0, total_b / 1073741824.0);
  g_assert_cmpuint (free_b, >, 0);
  g_assert_cmpuint (free_b, <=, total_b);
}

static void
test_whiten (void)
{
  int ns[2] = { 3, 64 }, hs[2] = { 8, 52 };

  for (int k = 0; k < 2; k++)
    {
      int n = ns[k], h = hs[k], w = hs[k];
      gsize x = (gsize) n * h * w;
      /* running_deconv starts near the identity, as a real buffer */
      Case c = { "whiten", 12, { x, 9, 81, 9, 81, 9, 1, x, x, x, 9, 1 },
                 { 0, 0, 0, -.1f, -.05f, -.4f, -.1f, 0, -1, -1, -1, -1 }, { 1, 0, 0, .1f, .05f, .4f, .1f, 0, 1, 1, 1, 1 },
                 { FALSE, TRUE, TRUE, TRUE, TRUE, FALSE, FALSE, TRUE, FALSE, TRUE, TRUE, TRUE }, T_WH, op_whiten,
                 { .n = n, .h = h, .w = w } };
      run_case (&c);
    }
}

static void
test_loss_adam (void)
{
  int ns[2] = { 2, 64 }, hs[2] = { 8, 52 };

  for (int k = 0; k < 2; k++)
    {
      gsize x = (gsize) ns[k] * hs[k] * hs[k];
      Case l = { "loss", 4, { x, x, x, 1 }, { 0, 0, -1, 0 }, { 1, 1, 1, 0 }, { FALSE, FALSE, TRUE, TRUE }, T_WH,
                 op_loss, { .n = ns[k], .h = hs[k], .w = hs[k] }, .tol_out = { [2] = 2e-2 } };
      run_case (&l);
    }
  {
    const int N = 6727031;   /* the paper model's parameter count */
    Case a = { "adam", 4, { N, N, N, N }, { -1, -1e-2f, -1e-3f, 0 }, { 1, 1e-2f, 1e-3f, 1e-6f },
               { TRUE, FALSE, TRUE, TRUE }, T_EW, op_adam, { .in = N } };
    run_case (&a);
  }
}

/* ------------------------------------------------------------ whole network */

static void
batch (GRand *r, int n, int h, int w, float *x, float *y)
{
  for (gsize i = 0; i < (gsize) n * h * w; i++)
    {
      double v = g_rand_double (r) < 0.6 ? 0.0 : g_rand_double_range (r, 0.05, 1.0);
      y[i] = (float) v;
      x[i] = v > 0 && g_rand_double (r) > 0.2 ? (float) v : 0.999f;
    }
}

static void
test_train_tiny (void)
{
  GmErnetConfig cfg = gm_ernet_config (GM_ERNET_TINY, 0);
  GmErnet *nc = gm_ernet_new (cpu, &cfg), *ng = gm_ernet_new (gpu, &cfg);
  const int n = 8, h = 20, w = 20, steps = 30;
  g_autoptr(GRand) r = g_rand_new_with_seed (11);
  g_autofree float *x = g_new (float, n * h * w), *y = g_new (float, n * h * w);
  g_autofree float *oc = g_new (float, n * h * w), *og = g_new (float, n * h * w);

  gm_ernet_init_random (nc, 7);
  gm_ernet_init_random (ng, 7);
  for (int s = 1; s <= steps; s++)
    {
      double lc, lg, rel;

      batch (r, n, h, w, x, y);
      lc = gm_ernet_train_step (nc, n, h, w, x, y, 1e-3f);
      lg = gm_ernet_train_step (ng, n, h, w, x, y, 1e-3f);
      rel = fabs (lg - lc) / MAX (fabs (lc), 1e-12);
      g_test_message ("step %2d  loss cpu %.7f  gpu %.7f  rel %.2e", s, lc, lg, rel);
      if (!(rel <= (s == 1 ? 1e-4 : 2e-2)))
        g_test_fail_printf ("tiny training step %d: loss %.7g on the GPU, %.7g on the CPU", s, lg, lc);
    }
  /* eval-mode inference after training */
  gm_ernet_forward (nc, FALSE, n, h, w, x, oc);
  gm_ernet_forward (ng, FALSE, n, h, w, x, og);
  {
    double e = compare ("tiny eval output", oc, og, (gsize) n * h * w);
    g_test_message ("eval output after %d steps: err %.2e", steps, e);
    if (!(e <= 5e-2))
      g_test_fail_printf ("eval output after training differs by %.3g", e);
  }
  gm_ernet_free (nc);
  gm_ernet_free (ng);
}

static void
test_paper_step (void)
{
  GmErnetConfig cfg = gm_ernet_config (GM_ERNET_PAPER, 0);
  GmErnet *nc = gm_ernet_new (cpu, &cfg), *ng = gm_ernet_new (gpu, &cfg);
  const int n = 2, h = 52, w = 52;
  gsize np = gm_ernet_n_trainable (nc);
  g_autoptr(GRand) r = g_rand_new_with_seed (12);
  g_autofree float *x = g_new (float, n * h * w), *y = g_new (float, n * h * w);
  g_autofree float *gc = g_new (float, np), *gg = g_new (float, np);
  double lc, lg, e;

  gm_ernet_init_random (nc, 3);
  gm_ernet_init_random (ng, 3);
  batch (r, n, h, w, x, y);
  gm_ernet_forward (nc, TRUE, n, h, w, x, NULL);
  gm_ernet_forward (ng, TRUE, n, h, w, x, NULL);
  lc = gm_ernet_backward_loss (nc, y);
  lg = gm_ernet_backward_loss (ng, y);
  cpu->download (cpu->ctx, gc, gm_ernet_grads (nc), np);
  gpu->download (gpu->ctx, gg, gm_ernet_grads (ng), np);
  e = compare ("paper gradients", gc, gg, np);
  g_test_message ("paper step: loss cpu %.7f gpu %.7f; gradient err %.2e", lc, lg, e);
  g_assert_cmpfloat (fabs (lg - lc), <=, 1e-4 * fabs (lc));
  if (!(e <= 5e-3))
    g_test_fail_printf ("paper-model gradients differ by %.3g", e);
  gm_ernet_free (nc);
  gm_ernet_free (ng);
}

/* checkpoint-style state round trip through the GPU */
static void
test_state (void)
{
  GmErnetConfig cfg = gm_ernet_config (GM_ERNET_TINY, 0);
  GmErnet *nc = gm_ernet_new (cpu, &cfg), *ng = gm_ernet_new (gpu, &cfg);
  gsize np = gm_ernet_n_trainable (nc), nb = gm_ernet_n_buffer_floats (nc);
  g_autofree float *p = g_new (float, np), *b = g_new (float, nb);
  g_autofree float *p2 = g_new (float, np), *b2 = g_new (float, nb);

  gm_ernet_init_random (nc, 9);
  gm_ernet_get_state (nc, p, b);
  gm_ernet_set_state (ng, p, b);
  gm_ernet_get_state (ng, p2, b2);
  g_assert_cmpmem (p, np * sizeof (float), p2, np * sizeof (float));
  g_assert_cmpmem (b, nb * sizeof (float), b2, nb * sizeof (float));
  gm_ernet_free (nc);
  gm_ernet_free (ng);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  const char *dev = g_getenv ("GM_NN_CUDA_DEVICE");
  int rc;

  g_test_init (&argc, &argv, NULL);
  if (dev != NULL && strcmp (dev, "auto") == 0)
    dev = "cuda";   /* never a silent CPU fallback here */
  gpu = gm_nn_backend_open (dev != NULL ? dev : "cuda", NULL, &error);
  if (gpu == NULL)
    {
      /* the reason, on stdout for the TAP-less log and on stderr */
      g_print ("SKIP: CUDA backend not available: %s\n", error->message);
      g_printerr ("test-nn-cuda: skipped: %s\n", error->message);
      return 77;
    }
  cpu = gm_nn_backend_cpu ();
  g_print ("# GPU backend %s; TF32 %s\n", gpu->name,
           g_strcmp0 (g_getenv ("GENOMAP_CUDA_TF32"), "1") == 0 ? "ON (GENOMAP_CUDA_TF32=1)" : "off");
  g_test_add_func ("/nn-cuda/elementwise", test_elementwise);
  g_test_add_func ("/nn-cuda/conv2d", test_conv2d);
  g_test_add_func ("/nn-cuda/convt2d", test_convt2d);
  g_test_add_func ("/nn-cuda/dcn", test_dcn);
  g_test_add_func ("/nn-cuda/memory-bound", test_memory_bound);
  g_test_add_func ("/nn-cuda/linear-bn", test_linear_bn);
  g_test_add_func ("/nn-cuda/whiten", test_whiten);
  g_test_add_func ("/nn-cuda/host-dgemm", test_host_dgemm);
  g_test_add_func ("/nn-cuda/mem-info", test_mem_info);
  g_test_add_func ("/nn-cuda/loss-adam", test_loss_adam);
  g_test_add_func ("/nn-cuda/state", test_state);
  g_test_add_func ("/nn-cuda/train-tiny", test_train_tiny);
  g_test_add_func ("/nn-cuda/paper-step", test_paper_step);
  rc = g_test_run ();
  gm_nn_backend_free (gpu);
  gm_nn_backend_free (cpu);
  return rc;
}
