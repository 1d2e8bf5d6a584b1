/* test-nn-layers.c — the CPU backend primitives of the ER-Net engine:
 * forward against naive double-precision definitions, backward against
 * central finite differences
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Gradient checks: L(inputs) = Σ r·y for a fixed random r, accumulated in
 * double; the analytic gradient is the primitive's backward with dy = r.
 * The forward runs in float32, so L carries a rounding noise of about
 * 1e-7·Σ|r·y|; a central difference with step h then has noise ≈ 1e-7·Σ|r y|/h
 * plus O(h²) truncation (zero for the ops that are linear in the checked
 * input).  With h = 1e-2 (1e-3 for the DCN offsets, whose bilinear weights
 * have kinks at integer coordinates) both stay well under 2e-3 of the
 * gradient scale, so an element passes when
 *   |fd − an| ≤ tol · max(|an|, 0.05 · max|an| over that input),
 * with tol = 2e-3; 1e-2 for the composite CBAM (BatchNorm over 60 values
 * and sigmoids amplify the float noise) and for the loss (a sum of 2·N·H·W
 * DFT magnitudes of size ~|e|·H·W, checked with h = 1e-3).  Each element is
 * differenced with h and h/2; when both miss and disagree with each other,
 * a kink (ReLU, max, L1) lies within ±h and the element is skipped (at most
 * 1 in 10).  A wrong index, sign or factor gives errors of order 1.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gm-nn.h"

static GmNnBackend *be;

/* ------------------------------------------------------------ helpers */

static float *
rand_vec (GRand *r,
          gsize  n,
          double lo,
          double hi)
{
  float *v = g_new (float, MAX (n, 1));

  for (gsize i = 0; i < n; i++)
    v[i] = (float) g_rand_double_range (r, lo, hi);
  return v;
}

/* values in ±[0.1, 1]: away from the ReLU kink and from ties */
static float *
rand_away (GRand *r,
           gsize  n)
{
  float *v = g_new (float, MAX (n, 1));

  for (gsize i = 0; i < n; i++)
    {
      double a = g_rand_double_range (r, 0.1, 1.0);
      v[i] = (float) (g_rand_boolean (r) ? a : -a);
    }
  return v;
}

typedef void (*FwdFn) (gpointer data, float **in, float *out);
typedef void (*BwdFn) (gpointer data, float **in, const float *dy, float **din);

#define MAX_IN 6

typedef struct
{
  const char *name;
  int         nin;
  float      *in[MAX_IN];
  gsize       in_n[MAX_IN];
  double      h[MAX_IN];          /* 0 = don't check this input */
  const char *in_name[MAX_IN];
  gsize       out_n;
  FwdFn       fwd;
  BwdFn       bwd;
  gpointer    data;
  double      tol;
  int         max_checks;
} GradCase;

static double
proj (const float *r,
      const float *y,
      gsize        n)
{
  double s = 0;

  for (gsize i = 0; i < n; i++)
    s += (double) r[i] * y[i];
  return s;
}

static void
grad_check (GradCase *c,
            guint32   seed)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (seed);
  g_autofree float *r = rand_vec (rng, c->out_n, -1, 1);
  g_autofree float *y = g_new (float, c->out_n);
  float *din[MAX_IN] = { 0 };
  int max_checks = c->max_checks > 0 ? c->max_checks : 60;
  double tol = c->tol > 0 ? c->tol : 2e-3;

  for (int i = 0; i < c->nin; i++)
    din[i] = g_new0 (float, MAX (c->in_n[i], 1));
  c->fwd (c->data, c->in, y);
  c->bwd (c->data, c->in, r, din);
  for (int i = 0; i < c->nin; i++)
    {
      double amax = 0, worst = 0;
      int checked = 0, skipped = 0;

      if (c->h[i] <= 0)
        continue;
      for (gsize k = 0; k < c->in_n[i]; k++)
        amax = MAX (amax, fabs (din[i][k]));
      g_assert_cmpfloat (amax, >, 0);   /* a vanishing gradient tests nothing */
      for (int t = 0; t < max_checks && t < (int) c->in_n[i]; t++)
        {
          gsize k = c->in_n[i] <= (gsize) max_checks ? (gsize) t
                    : (gsize) g_rand_int_range (rng, 0, (gint32) c->in_n[i]);
          double fd[2], an = din[i][k], err[2], scale;

          for (int q = 0; q < 2; q++)
            {
              float save = c->in[i][k];
              double hh = c->h[i] / (q + 1), lp, lm;

              c->in[i][k] = (float) (save + hh);
              c->fwd (c->data, c->in, y);
              lp = proj (r, y, c->out_n);
              c->in[i][k] = (float) (save - hh);
              c->fwd (c->data, c->in, y);
              lm = proj (r, y, c->out_n);
              c->in[i][k] = save;
              fd[q] = (lp - lm) / (2 * hh);
            }
          scale = MAX (fabs (an), 0.05 * amax);
          err[0] = fabs (fd[0] - an) / scale;
          err[1] = fabs (fd[1] - an) / scale;
          if (MIN (err[0], err[1]) > tol && fabs (fd[0] - fd[1]) / scale > tol
              && MAX (err[0], err[1]) < 0.5)
            {
              /* the two steps disagree: a kink (ReLU, max, L1) lies within
               * ±h of this point; the difference quotient is meaningless */
              skipped++;
              continue;
            }
          worst = MAX (worst, MIN (err[0], err[1]));
          if (MIN (err[0], err[1]) > tol)
            g_error ("%s: d/d%s[%" G_GSIZE_FORMAT "]: analytic %.6g, finite differences %.6g, %.6g "
                     "(rel err %.3g > %.3g)", c->name, c->in_name[i], k, an, fd[0], fd[1],
                     MIN (err[0], err[1]), tol);
          checked++;
        }
      g_assert_cmpint (skipped, <=, (checked + skipped) / 10);
      g_test_message ("%s: %s: %d elements (%d skipped at kinks), worst rel err %.2e (tol %.0e)",
                      c->name, c->in_name[i], checked, skipped, worst, tol);
    }
  for (int i = 0; i < c->nin; i++)
    g_free (din[i]);
}

static void
assert_close (const char  *what,
              const float *got,
              const double *want,
              gsize        n,
              double       tol)
{
  double scale = 0, worst = 0;

  for (gsize i = 0; i < n; i++)
    scale = MAX (scale, fabs (want[i]));
  for (gsize i = 0; i < n; i++)
    {
      double e = fabs (got[i] - want[i]) / MAX (scale, 1e-30);
      worst = MAX (worst, e);
      if (e > tol)
        g_error ("%s: element %" G_GSIZE_FORMAT ": got %.7g, want %.7g", what, i,
                 (double) got[i], want[i]);
    }
  g_test_message ("%s: %" G_GSIZE_FORMAT " values, worst err %.2e of max |y| %.3g",
                  what, n, worst, scale);
}

/* ------------------------------------------------------------ conv2d */

typedef struct
{
  GmNnConv c;
  int n, h, w;
  gboolean bias;
} ConvData;

static void
conv_fwd (gpointer d,
          float  **in,
          float   *out)
{
  ConvData *cd = d;
  be->conv2d_forward (be->ctx, &cd->c, cd->n, cd->h, cd->w, in[0], in[1],
                      cd->bias ? in[2] : NULL, out);
}

static void
conv_bwd (gpointer     d,
          float      **in,
          const float *dy,
          float      **din)
{
  ConvData *cd = d;
  be->conv2d_backward (be->ctx, &cd->c, cd->n, cd->h, cd->w, in[0], in[1], dy, din[0],
                       din[1], cd->bias ? din[2] : NULL);
}

static double *
naive_conv (const GmNnConv *c,
            int             n,
            int             h,
            int             w,
            const float    *x,
            const float    *wt,
            const float    *b)
{
  int ho = gm_nn_conv_out_size (c, h), wo = gm_nn_conv_out_size (c, w);
  double *y = g_new0 (double, (gsize) n * c->cout * ho * wo);

  for (int s = 0; s < n; s++)
    for (int o = 0; o < c->cout; o++)
      for (int oy = 0; oy < ho; oy++)
        for (int ox = 0; ox < wo; ox++)
          {
            double acc = b != NULL ? b[o] : 0.0;
            for (int ci = 0; ci < c->cin; ci++)
              for (int i = 0; i < c->kh; i++)
                for (int j = 0; j < c->kw; j++)
                  {
                    int iy = oy * c->stride - c->pad + i * c->dil;
                    int ix = ox * c->stride - c->pad + j * c->dil;
                    if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                      continue;
                    acc += (double) wt[((o * c->cin + ci) * c->kh + i) * c->kw + j]
                           * x[(((gsize) s * c->cin + ci) * h + iy) * w + ix];
                  }
            y[(((gsize) s * c->cout + o) * ho + oy) * wo + ox] = acc;
          }
  return y;
}

static void
run_conv_case (GmNnConv c,
               int      n,
               int      h,
               int      w,
               gboolean bias,
               guint32  seed)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (seed);
  ConvData cd = { c, n, h, w, bias };
  int ho = gm_nn_conv_out_size (&c, h), wo = gm_nn_conv_out_size (&c, w);
  gsize xn = (gsize) n * c.cin * h * w, wn = (gsize) c.cout * c.cin * c.kh * c.kw;
  gsize yn = (gsize) n * c.cout * ho * wo;
  g_autofree float *x = rand_vec (r, xn, -1, 1);
  g_autofree float *wt = rand_vec (r, wn, -0.5, 0.5);
  g_autofree float *b = rand_vec (r, c.cout, -0.5, 0.5);
  g_autofree float *y = g_new (float, yn);
  g_autofree double *ref = naive_conv (&c, n, h, w, x, wt, bias ? b : NULL);
  g_autofree char *name = g_strdup_printf ("conv%dx%d s%d p%d d%d %d→%d", c.kh, c.kw,
                                           c.stride, c.pad, c.dil, c.cin, c.cout);
  GradCase gc = { name, 3, { x, wt, b }, { xn, wn, (gsize) c.cout }, { 1e-2, 1e-2, bias ? 1e-2 : 0 },
                  { "x", "w", "b" }, yn, conv_fwd, conv_bwd, &cd, 0, 0 };

  be->conv2d_forward (be->ctx, &c, n, h, w, x, wt, bias ? b : NULL, y);
  assert_close (name, y, ref, yn, 1e-5);
  /* the same through batch chunks of one sample */
  gm_nn_cpu_set_col_limit (1);
  be->conv2d_forward (be->ctx, &c, n, h, w, x, wt, bias ? b : NULL, y);
  assert_close (name, y, ref, yn, 1e-5);
  grad_check (&gc, seed + 1);
  gm_nn_cpu_set_col_limit (0);
  grad_check (&gc, seed + 2);
}

static void
test_conv2d (void)
{
  run_conv_case ((GmNnConv) { 3, 4, 3, 3, 1, 1, 1, 0 }, 2, 6, 5, TRUE, 1);
  run_conv_case ((GmNnConv) { 3, 5, 3, 3, 2, 1, 1, 0 }, 3, 7, 8, TRUE, 2);
  run_conv_case ((GmNnConv) { 2, 3, 7, 7, 1, 0, 1, 0 }, 2, 10, 9, TRUE, 3);
  run_conv_case ((GmNnConv) { 2, 1, 7, 7, 1, 3, 1, 0 }, 2, 6, 6, FALSE, 4);
  run_conv_case ((GmNnConv) { 6, 2, 1, 1, 1, 0, 1, 0 }, 2, 4, 3, TRUE, 5);
  run_conv_case ((GmNnConv) { 2, 3, 3, 3, 1, 2, 2, 0 }, 2, 6, 6, TRUE, 6);
}

/* ------------------------------------------------------------ transposed conv */

static void
convt_fwd (gpointer d,
           float  **in,
           float   *out)
{
  ConvData *cd = d;
  be->convt2d_forward (be->ctx, &cd->c, cd->n, cd->h, cd->w, in[0], in[1], in[2], out);
}

static void
convt_bwd (gpointer     d,
           float      **in,
           const float *dy,
           float      **din)
{
  ConvData *cd = d;
  be->convt2d_backward (be->ctx, &cd->c, cd->n, cd->h, cd->w, in[0], in[1], dy, din[0],
                        din[1], din[2]);
}

static void
test_convt2d (void)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (11);
  GmNnConv c = { 4, 3, 3, 3, 2, 1, 1, 1 };
  int n = 2, h = 4, w = 5;
  int ho = gm_nn_convt_out_size (&c, h), wo = gm_nn_convt_out_size (&c, w);
  ConvData cd = { c, n, h, w, TRUE };
  gsize xn = (gsize) n * c.cin * h * w, wn = (gsize) c.cin * c.cout * 9;
  gsize yn = (gsize) n * c.cout * ho * wo;
  g_autofree float *x = rand_vec (r, xn, -1, 1);
  g_autofree float *wt = rand_vec (r, wn, -0.5, 0.5);
  g_autofree float *b = rand_vec (r, c.cout, -0.5, 0.5);
  g_autofree float *y = g_new (float, yn);
  g_autofree double *ref = g_new0 (double, yn);
  GradCase gc = { "convT 3x3 s2 p1 op1", 3, { x, wt, b }, { xn, wn, (gsize) c.cout },
                  { 1e-2, 1e-2, 1e-2 }, { "x", "w", "b" }, yn, convt_fwd, convt_bwd, &cd, 0, 0 };

  g_assert_cmpint (ho, ==, 2 * h);
  g_assert_cmpint (wo, ==, 2 * w);
  /* spec §2.2: input (iy, ix) adds in·W[ci,co,ky,kx] to (2iy − 1 + ky, 2ix − 1 + kx) */
  for (int s = 0; s < n; s++)
    for (int co = 0; co < c.cout; co++)
      for (int q = 0; q < ho * wo; q++)
        ref[((gsize) s * c.cout + co) * ho * wo + q] = b[co];
  for (int s = 0; s < n; s++)
    for (int ci = 0; ci < c.cin; ci++)
      for (int iy = 0; iy < h; iy++)
        for (int ix = 0; ix < w; ix++)
          for (int co = 0; co < c.cout; co++)
            for (int ky = 0; ky < 3; ky++)
              for (int kx = 0; kx < 3; kx++)
                {
                  int oy = 2 * iy - 1 + ky, ox = 2 * ix - 1 + kx;
                  if (oy < 0 || oy >= ho || ox < 0 || ox >= wo)
                    continue;
                  ref[(((gsize) s * c.cout + co) * ho + oy) * wo + ox] +=
                    (double) x[(((gsize) s * c.cin + ci) * h + iy) * w + ix]
                    * wt[((ci * c.cout + co) * 3 + ky) * 3 + kx];
                }
  be->convt2d_forward (be->ctx, &c, n, h, w, x, wt, b, y);
  assert_close ("convT forward", y, ref, yn, 1e-5);
  gm_nn_cpu_set_col_limit (1);
  be->convt2d_forward (be->ctx, &c, n, h, w, x, wt, b, y);
  assert_close ("convT forward (chunked)", y, ref, yn, 1e-5);
  grad_check (&gc, 12);
  gm_nn_cpu_set_col_limit (0);
  grad_check (&gc, 13);
}

/* ------------------------------------------------------------ DCN */

typedef struct
{
  GmNnConv c;
  int n, h, w;
} DcnData;

static void
dcn_fwd (gpointer d,
         float  **in,
         float   *out)
{
  DcnData *dd = d;
  be->dcn_forward (be->ctx, &dd->c, dd->n, dd->h, dd->w, in[0], in[1], in[2], in[3], in[4], out);
}

static void
dcn_bwd (gpointer     d,
         float      **in,
         const float *dy,
         float      **din)
{
  DcnData *dd = d;
  be->dcn_backward (be->ctx, &dd->c, dd->n, dd->h, dd->w, in[0], in[1], in[2], in[3], dy,
                    din[0], din[1], din[2], din[3], din[4]);
}

static double
naive_bilinear (const float *xc,
                int          h,
                int          w,
                double       py,
                double       px)
{
  if (py <= -1 || py >= h || px <= -1 || px >= w)
    return 0;
  int h0 = (int) floor (py), w0 = (int) floor (px);
  double lh = py - h0, lw = px - w0, v = 0;
  int dh[4] = { 0, 0, 1, 1 }, dw[4] = { 0, 1, 0, 1 };
  double wt[4] = { (1 - lh) * (1 - lw), (1 - lh) * lw, lh * (1 - lw), lh * lw };

  for (int q = 0; q < 4; q++)
    {
      int yy = h0 + dh[q], xx = w0 + dw[q];
      if (yy >= 0 && yy < h && xx >= 0 && xx < w)
        v += wt[q] * xc[yy * w + xx];
    }
  return v;
}

static void
test_dcn (void)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (21);
  GmNnConv c = { 3, 4, 3, 3, 1, 1, 1, 0 };
  int n = 2, h = 5, w = 6, ho = 5, wo = 6, P = ho * wo;
  DcnData dd = { c, n, h, w };
  gsize xn = (gsize) n * c.cin * h * w, on = (gsize) n * 18 * P, mn = (gsize) n * 9 * P;
  gsize wn = (gsize) c.cout * c.cin * 9, yn = (gsize) n * c.cout * P;
  g_autofree float *x = rand_vec (r, xn, -1, 1);
  g_autofree float *off = g_new (float, on);
  g_autofree float *mask = rand_vec (r, mn, 0.1, 0.9);
  g_autofree float *wt = rand_vec (r, wn, -0.5, 0.5);
  g_autofree float *b = rand_vec (r, c.cout, -0.5, 0.5);
  g_autofree float *y = g_new (float, yn);
  g_autofree double *ref = g_new0 (double, yn);
  int outside = 0;
  GradCase gc = { "dcn", 5, { x, off, mask, wt, b }, { xn, on, mn, wn, (gsize) c.cout },
                  { 1e-2, 1e-3, 1e-2, 1e-2, 1e-2 }, { "x", "offset", "mask", "w", "b" },
                  yn, dcn_fwd, dcn_bwd, &dd, 0, 80 };

  /* offsets of s.d. ≈ 2.5, kept ≥ 0.02 away from integers (the bilinear kinks) */
  for (gsize i = 0; i < on; i++)
    {
      double v = g_rand_double_range (r, -4.3, 4.3), fr = v - floor (v);
      if (fr < 0.02 || fr > 0.98)
        v += 0.5;
      off[i] = (float) v;
    }
  /* naive spec §3 forward */
  for (int s = 0; s < n; s++)
    for (int o = 0; o < c.cout; o++)
      for (int oy = 0; oy < ho; oy++)
        for (int ox = 0; ox < wo; ox++)
          {
            double acc = b[o];
            for (int ci = 0; ci < c.cin; ci++)
              for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                  {
                    int k = i * 3 + j, p = oy * wo + ox;
                    double py = oy - 1 + i + off[((gsize) s * 18 + 2 * k) * P + p];
                    double px = ox - 1 + j + off[((gsize) s * 18 + 2 * k + 1) * P + p];
                    double m = mask[((gsize) s * 9 + k) * P + p];
                    if (o == 0 && ci == 0 && (py <= -1 || py >= h || px <= -1 || px >= w))
                      outside++;
                    acc += wt[((o * c.cin + ci) * 3 + i) * 3 + j] * m
                           * naive_bilinear (x + ((gsize) s * c.cin + ci) * h * w, h, w, py, px);
                  }
            ref[(((gsize) s * c.cout + o) * ho + oy) * wo + ox] = acc;
          }
  g_assert_cmpint (outside, >, 20);     /* many samples leave the image */
  be->dcn_forward (be->ctx, &c, n, h, w, x, off, mask, wt, b, y);
  assert_close ("dcn forward", y, ref, yn, 1e-5);
  gm_nn_cpu_set_col_limit (1);
  be->dcn_forward (be->ctx, &c, n, h, w, x, off, mask, wt, b, y);
  assert_close ("dcn forward (chunked)", y, ref, yn, 1e-5);
  grad_check (&gc, 22);
  gm_nn_cpu_set_col_limit (0);
  grad_check (&gc, 23);

  /* zero offsets + mask 0.5 = half a plain conv (bias unscaled), spec §2.5 */
  {
    g_autofree float *y2 = g_new (float, yn);
    g_autofree double *half = NULL;
    memset (off, 0, on * sizeof (float));
    for (gsize i = 0; i < mn; i++)
      mask[i] = 0.5f;
    be->dcn_forward (be->ctx, &c, n, h, w, x, off, mask, wt, NULL, y2);
    half = naive_conv (&c, n, h, w, x, wt, NULL);
    for (gsize i = 0; i < yn; i++)
      half[i] *= 0.5;
    assert_close ("dcn at init = ½ conv", y2, half, yn, 1e-5);
  }
}

/* ------------------------------------------------------------ reflection pad */

typedef struct { int nc, h, w, pad; } PadData;

static void
pad_fwd (gpointer d, float **in, float *out)
{
  PadData *p = d;
  be->reflect_pad_forward (be->ctx, p->nc, p->h, p->w, p->pad, in[0], out);
}

static void
pad_bwd (gpointer d, float **in, const float *dy, float **din)
{
  PadData *p = d;
  be->reflect_pad_backward (be->ctx, p->nc, p->h, p->w, p->pad, dy, din[0]);
}

static void
test_reflect_pad (void)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (31);
  PadData pd = { 3, 5, 6, 3 };
  int hp = 11, wp = 12;
  gsize xn = 3 * 5 * 6, yn = (gsize) 3 * hp * wp;
  g_autofree float *x = rand_vec (r, xn, -1, 1);
  g_autofree float *y = g_new (float, yn);
  g_autofree double *ref = g_new (double, yn);
  GradCase gc = { "reflect pad 3", 1, { x }, { xn }, { 1e-2 }, { "x" }, yn, pad_fwd, pad_bwd, &pd, 0, 0 };

  for (int c = 0; c < 3; c++)
    for (int i = 0; i < hp; i++)
      for (int j = 0; j < wp; j++)
        {
          int yy = i - 3, xx = j - 3;
          yy = yy < 0 ? -yy : (yy >= 5 ? 2 * 4 - yy : yy);
          xx = xx < 0 ? -xx : (xx >= 6 ? 2 * 5 - xx : xx);
          ref[((gsize) c * hp + i) * wp + j] = x[(c * 5 + yy) * 6 + xx];
        }
  be->reflect_pad_forward (be->ctx, 3, 5, 6, 3, x, y);
  assert_close ("reflect pad forward", y, ref, yn, 0);
  grad_check (&gc, 32);
}

/* ------------------------------------------------------------ small ops */

typedef struct { int op; int n, c, hw; GmNnAct act; } OpData;

enum { OP_ACT, OP_AVG, OP_MAX, OP_CHPOOL, OP_CHGATE, OP_SPGATE, OP_CONCAT, OP_SPLIT, OP_LINEAR };

static void
op_fwd (gpointer d, float **in, float *out)
{
  OpData *o = d;
  gpointer ctx = be->ctx;

  switch (o->op)
    {
    case OP_ACT: be->act_forward (ctx, o->act, (gsize) o->n, in[0], out); break;
    case OP_AVG: be->global_avg_forward (ctx, o->n * o->c, o->hw, in[0], out); break;
    case OP_MAX: be->global_max_forward (ctx, o->n * o->c, o->hw, in[0], out); break;
    case OP_CHPOOL: be->chanpool_forward (ctx, o->n, o->c, o->hw, in[0], out); break;
    case OP_CHGATE: be->chgate_forward (ctx, o->n, o->c, o->hw, in[0], in[1], out); break;
    case OP_SPGATE: be->spgate_forward (ctx, o->n, o->c, o->hw, in[0], in[1], out); break;
    case OP_CONCAT: be->concat (ctx, o->n, o->c, 2, o->hw, in[0], in[1], out); break;
    case OP_SPLIT:
      {
        gsize na = (gsize) o->n * o->c * o->hw;
        memset (out, 0, sizeof (float) * (na + (gsize) o->n * 2 * o->hw));
        be->split_add (ctx, o->n, o->c, 2, o->hw, in[0], out, out + na);
        break;
      }
    case OP_LINEAR: be->linear_forward (ctx, o->n, o->c, o->hw, in[0], in[1], in[2], out); break;
    default: g_assert_not_reached ();
    }
}

static void
op_bwd (gpointer d, float **in, const float *dy, float **din)
{
  OpData *o = d;
  gpointer ctx = be->ctx;
  g_autofree float *y = NULL;

  switch (o->op)
    {
    case OP_ACT:
      y = g_new (float, o->n);
      be->act_forward (ctx, o->act, (gsize) o->n, in[0], y);
      be->act_backward (ctx, o->act, (gsize) o->n, y, dy, din[0]);
      break;
    case OP_AVG: be->global_avg_backward (ctx, o->n * o->c, o->hw, dy, din[0]); break;
    case OP_MAX:
      y = g_new (float, o->n * o->c);
      be->global_max_forward (ctx, o->n * o->c, o->hw, in[0], y);
      be->global_max_backward (ctx, o->n * o->c, o->hw, in[0], y, dy, din[0]);
      break;
    case OP_CHPOOL:
      y = g_new (float, (gsize) o->n * 2 * o->hw);
      be->chanpool_forward (ctx, o->n, o->c, o->hw, in[0], y);
      be->chanpool_backward (ctx, o->n, o->c, o->hw, in[0], y, dy, din[0]);
      break;
    case OP_CHGATE: be->chgate_backward (ctx, o->n, o->c, o->hw, in[0], in[1], dy, din[0], din[1]); break;
    case OP_SPGATE: be->spgate_backward (ctx, o->n, o->c, o->hw, in[0], in[1], dy, din[0], din[1]); break;
    case OP_CONCAT: be->split_add (ctx, o->n, o->c, 2, o->hw, dy, din[0], din[1]); break;
    case OP_SPLIT:
      {
        gsize na = (gsize) o->n * o->c * o->hw, nb = (gsize) o->n * 2 * o->hw;
        g_autofree float *t = g_new (float, na + nb);
        be->concat (ctx, o->n, o->c, 2, o->hw, dy, dy + na, t);
        for (gsize i = 0; i < na + nb; i++)
          din[0][i] += t[i];
        break;
      }
    case OP_LINEAR:
      be->linear_backward (ctx, o->n, o->c, o->hw, in[0], in[1], dy, din[0], din[1], din[2]);
      break;
    default: g_assert_not_reached ();
    }
}

static void
test_small_ops (void)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (41);
  int n = 2, c = 5, hw = 7;
  gsize big = (gsize) n * c * hw;
  const char *act_names[] = { "relu", "sigmoid", "tanh" };

  for (int a = 0; a < 3; a++)
    {
      OpData od = { OP_ACT, 40, 0, 0, (GmNnAct) a };
      g_autofree float *x = rand_away (r, 40);
      GradCase gc = { act_names[a], 1, { x }, { 40 }, { 1e-2 }, { "x" }, 40, op_fwd, op_bwd, &od, 0, 0 };
      grad_check (&gc, 42 + a);
    }
  {
    OpData od = { OP_AVG, n, c, hw };
    g_autofree float *x = rand_vec (r, big, -1, 1);
    GradCase gc = { "global avg", 1, { x }, { big }, { 1e-2 }, { "x" }, (gsize) n * c, op_fwd, op_bwd, &od, 0, 0 };
    grad_check (&gc, 45);
  }
  {
    /* distinct values at least 0.05 apart so the argmax never flips */
    OpData od = { OP_MAX, n, c, hw };
    g_autofree float *x = g_new (float, big);
    for (gsize i = 0; i < big; i++)
      x[i] = (float) (0.05 * (double) ((i * 37) % big)) - 1.f;
    GradCase gc = { "global max", 1, { x }, { big }, { 1e-2 }, { "x" }, (gsize) n * c, op_fwd, op_bwd, &od, 0, 0 };
    grad_check (&gc, 46);
  }
  {
    OpData od = { OP_CHPOOL, n, c, hw };
    g_autofree float *x = g_new (float, big);
    for (gsize i = 0; i < big; i++)
      x[i] = (float) (0.05 * (double) ((i * 37) % big)) - 1.f;
    GradCase gc = { "channel pool max/mean", 1, { x }, { big }, { 1e-2 }, { "x" }, (gsize) n * 2 * hw,
                    op_fwd, op_bwd, &od, 0, 0 };
    g_autofree float *y = g_new (float, (gsize) n * 2 * hw);
    be->chanpool_forward (be->ctx, n, c, hw, x, y);
    for (int s = 0; s < n; s++)
      for (int p = 0; p < hw; p++)
        {
          double mx = -1e30, sum = 0;
          for (int ch = 0; ch < c; ch++)
            {
              double v = x[((gsize) s * c + ch) * hw + p];
              mx = MAX (mx, v);
              sum += v;
            }
          g_assert_cmpfloat (fabs (y[(gsize) s * 2 * hw + p] - mx), <, 1e-7);
          g_assert_cmpfloat (fabs (y[(gsize) s * 2 * hw + hw + p] - sum / c), <, 1e-6);
        }
    grad_check (&gc, 47);
  }
  {
    OpData od = { OP_CHGATE, n, c, hw };
    g_autofree float *x = rand_vec (r, big, -1, 1);
    g_autofree float *g = rand_vec (r, (gsize) n * c, 0, 1);
    GradCase gc = { "channel gate", 2, { x, g }, { big, (gsize) n * c }, { 1e-2, 1e-2 }, { "x", "g" },
                    big, op_fwd, op_bwd, &od, 0, 0 };
    grad_check (&gc, 48);
  }
  {
    OpData od = { OP_SPGATE, n, c, hw };
    g_autofree float *x = rand_vec (r, big, -1, 1);
    g_autofree float *g = rand_vec (r, (gsize) n * hw, 0, 1);
    GradCase gc = { "spatial gate", 2, { x, g }, { big, (gsize) n * hw }, { 1e-2, 1e-2 }, { "x", "g" },
                    big, op_fwd, op_bwd, &od, 0, 0 };
    grad_check (&gc, 49);
  }
  {
    OpData od = { OP_CONCAT, n, c, hw };
    gsize nb = (gsize) n * 2 * hw;
    g_autofree float *a = rand_vec (r, big, -1, 1);
    g_autofree float *b = rand_vec (r, nb, -1, 1);
    g_autofree float *y = g_new (float, big + nb);
    GradCase gc = { "concat", 2, { a, b }, { big, nb }, { 1e-2, 1e-2 }, { "a", "b" }, big + nb,
                    op_fwd, op_bwd, &od, 0, 0 };
    be->concat (be->ctx, n, c, 2, hw, a, b, y);
    /* sample 1, channel c (the first of b) */
    g_assert_cmpfloat (y[(gsize) (c + 2) * hw + (gsize) c * hw], ==, b[(gsize) 2 * hw]);
    grad_check (&gc, 50);
    OpData os = { OP_SPLIT, n, c, hw };
    g_autofree float *yy = rand_vec (r, big + nb, -1, 1);
    GradCase gs = { "split", 1, { yy }, { big + nb }, { 1e-2 }, { "y" }, big + nb, op_fwd, op_bwd, &os, 0, 0 };
    grad_check (&gs, 51);
  }
  {
    int in = 6, out = 4;
    OpData od = { OP_LINEAR, 3, in, out };
    g_autofree float *x = rand_vec (r, 3 * in, -1, 1);
    g_autofree float *w = rand_vec (r, in * out, -1, 1);
    g_autofree float *b = rand_vec (r, out, -1, 1);
    g_autofree float *y = g_new (float, 3 * out);
    GradCase gc = { "linear", 3, { x, w, b }, { (gsize) 3 * in, (gsize) in * out, (gsize) out },
                    { 1e-2, 1e-2, 1e-2 }, { "x", "w", "b" }, (gsize) 3 * out, op_fwd, op_bwd, &od, 0, 0 };
    be->linear_forward (be->ctx, 3, in, out, x, w, b, y);
    for (int s = 0; s < 3; s++)
      for (int o = 0; o < out; o++)
        {
          double acc = b[o];
          for (int i = 0; i < in; i++)
            acc += (double) x[s * in + i] * w[o * in + i];
          g_assert_cmpfloat (fabs (y[s * out + o] - acc), <, 1e-5);
        }
    grad_check (&gc, 52);
  }
}

/* ------------------------------------------------------------ batch norm */

typedef struct { gboolean train; int n, c, hw; float rm[4], rv[4]; } BnData;

static void
bn_fwd (gpointer d, float **in, float *out)
{
  BnData *b = d;
  float saved[8];
  float rm[4], rv[4];

  memcpy (rm, b->rm, sizeof rm);
  memcpy (rv, b->rv, sizeof rv);
  be->bn_forward (be->ctx, b->train, b->n, b->c, b->hw, in[0], in[1], in[2], rm, rv, 0.01f,
                  1e-5f, saved, out);
}

static void
bn_bwd (gpointer d, float **in, const float *dy, float **din)
{
  BnData *b = d;
  float saved[8], rm[4], rv[4];
  g_autofree float *y = g_new (float, (gsize) b->n * b->c * b->hw);

  memcpy (rm, b->rm, sizeof rm);
  memcpy (rv, b->rv, sizeof rv);
  be->bn_forward (be->ctx, b->train, b->n, b->c, b->hw, in[0], in[1], in[2], rm, rv, 0.01f,
                  1e-5f, saved, y);
  be->bn_backward (be->ctx, b->train, b->n, b->c, b->hw, in[0], in[1], saved, dy, din[0],
                   din[1], din[2]);
}

static void
test_batchnorm (void)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (61);

  for (int train = 0; train < 2; train++)
    {
      BnData bd = { train, 3, 2, 10, { 0.1f, -0.2f }, { 0.8f, 1.3f } };
      gsize xn = 60;
      g_autofree float *x = rand_vec (r, xn, -1, 2);
      g_autofree float *g = rand_vec (r, 2, 0.5, 1.5);
      g_autofree float *b = rand_vec (r, 2, -0.5, 0.5);
      GradCase gc = { train ? "batchnorm (train)" : "batchnorm (eval)", 3, { x, g, b }, { xn, 2, 2 },
                      { 1e-2, 1e-2, 1e-2 }, { "x", "gamma", "beta" }, xn, bn_fwd, bn_bwd, &bd, 0, 0 };
      grad_check (&gc, 62 + train);
    }
  /* running stats: momentum 0.01, unbiased variance */
  {
    float x[6] = { 1, 2, 3, 4, 5, 9 }, g = 1, b = 0, rm = 0, rv = 1, saved[2], y[6];
    double mean = 4, var = (9 + 4 + 1 + 0 + 1 + 25) / 6.0;
    be->bn_forward (be->ctx, TRUE, 2, 1, 3, x, &g, &b, &rm, &rv, 0.01f, 1e-5f, saved, y);
    g_assert_cmpfloat (fabs (rm - 0.01 * mean), <, 1e-6);
    g_assert_cmpfloat (fabs (rv - (0.99 + 0.01 * var * 6 / 5)), <, 1e-6);
    g_assert_cmpfloat (fabs (y[5] - (9 - mean) / sqrt (var + 1e-5)), <, 1e-5);
  }
}

/* ------------------------------------------------------------ CBAM (train-mode BN) */

typedef struct { int n, c, hid, h, w; } CbamData;

/* in: x, mlp1.w, mlp1.b, mlp3.w, mlp3.b, [spatial conv w, bn γ, bn β packed in in[5]] */
static void
cbam_run (CbamData *d,
          float   **in,
          float    *out,
          const float *dy,
          float   **din)
{
  gpointer ctx = be->ctx;
  int n = d->n, C = d->c, hid = d->hid, P = d->h * d->w;
  gsize nc = (gsize) n * C, big = nc * P;
  GmNnConv sc = { 2, 1, 7, 7, 1, 3, 1, 0 };
  float *sw = in[5], *gamma = in[5] + 98, *beta = in[5] + 99;
  g_autofree float *pools = g_new (float, 2 * nc), *hidv = g_new (float, 2 * (gsize) n * hid);
  g_autofree float *mlp = g_new (float, 2 * nc), *gate = g_new (float, nc);
  g_autofree float *xc = g_new (float, big), *cp = g_new (float, (gsize) n * 2 * P);
  g_autofree float *scv = g_new (float, (gsize) n * P), *bn = g_new (float, (gsize) n * P);
  g_autofree float *sg = g_new (float, (gsize) n * P);
  float saved[2], rm = 0, rv = 1;

  be->global_avg_forward (ctx, (int) nc, P, in[0], pools);
  be->global_max_forward (ctx, (int) nc, P, in[0], pools + nc);
  be->linear_forward (ctx, 2 * n, C, hid, pools, in[1], in[2], hidv);
  be->act_forward (ctx, GM_NN_ACT_RELU, 2 * (gsize) n * hid, hidv, hidv);
  be->linear_forward (ctx, 2 * n, hid, C, hidv, in[3], in[4], mlp);
  for (gsize i = 0; i < nc; i++)
    gate[i] = mlp[i] + mlp[nc + i];
  be->act_forward (ctx, GM_NN_ACT_SIGMOID, nc, gate, gate);
  be->chgate_forward (ctx, n, C, P, in[0], gate, xc);
  be->chanpool_forward (ctx, n, C, P, xc, cp);
  be->conv2d_forward (ctx, &sc, n, d->h, d->w, cp, sw, NULL, scv);
  be->bn_forward (ctx, TRUE, n, 1, P, scv, gamma, beta, &rm, &rv, 0.01f, 1e-5f, saved, bn);
  be->act_forward (ctx, GM_NN_ACT_SIGMOID, (gsize) n * P, bn, sg);
  be->spgate_forward (ctx, n, C, P, xc, sg, out);
  if (dy == NULL)
    return;
  g_autofree float *dxc = g_new0 (float, big), *dsg = g_new0 (float, (gsize) n * P);
  g_autofree float *dbn = g_new0 (float, (gsize) n * P), *dsc = g_new0 (float, (gsize) n * P);
  g_autofree float *dcp = g_new0 (float, (gsize) n * 2 * P), *dgate = g_new0 (float, nc);
  g_autofree float *dgl = g_new0 (float, nc), *dmlp = g_new0 (float, 2 * nc);
  g_autofree float *dhid = g_new0 (float, 2 * (gsize) n * hid), *dhl = g_new0 (float, 2 * (gsize) n * hid);
  g_autofree float *dpools = g_new0 (float, 2 * nc);
  be->spgate_backward (ctx, n, C, P, xc, sg, dy, dxc, dsg);
  be->act_backward (ctx, GM_NN_ACT_SIGMOID, (gsize) n * P, sg, dsg, dbn);
  be->bn_backward (ctx, TRUE, n, 1, P, scv, gamma, saved, dbn, dsc, din[5] + 98, din[5] + 99);
  be->conv2d_backward (ctx, &sc, n, d->h, d->w, cp, sw, dsc, dcp, din[5], NULL);
  be->chanpool_backward (ctx, n, C, P, xc, cp, dcp, dxc);
  be->chgate_backward (ctx, n, C, P, in[0], gate, dxc, din[0], dgate);
  be->act_backward (ctx, GM_NN_ACT_SIGMOID, nc, gate, dgate, dgl);
  for (gsize i = 0; i < nc; i++)
    dmlp[i] = dmlp[nc + i] = dgl[i];
  be->linear_backward (ctx, 2 * n, hid, C, hidv, in[3], dmlp, dhid, din[3], din[4]);
  be->act_backward (ctx, GM_NN_ACT_RELU, 2 * (gsize) n * hid, hidv, dhid, dhl);
  be->linear_backward (ctx, 2 * n, C, hid, pools, in[1], dhl, dpools, din[1], din[2]);
  be->global_avg_backward (ctx, (int) nc, P, dpools, din[0]);
  be->global_max_backward (ctx, (int) nc, P, in[0], pools + nc, dpools + nc, din[0]);
}

static void
cbam_fwd (gpointer d, float **in, float *out)
{
  cbam_run (d, in, out, NULL, NULL);
}

static void
cbam_bwd (gpointer d, float **in, const float *dy, float **din)
{
  CbamData *cd = d;
  g_autofree float *y = g_new (float, (gsize) cd->n * cd->c * cd->h * cd->w);
  cbam_run (d, in, y, dy, din);
}

static void
test_cbam (void)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (71);
  CbamData cd = { 3, 6, 2, 5, 4 };
  gsize big = (gsize) 3 * 6 * 20;
  g_autofree float *x = g_new (float, big);
  g_autofree float *w1 = rand_vec (r, 12, -0.7, 0.7), *b1 = rand_vec (r, 2, 0.2, 0.6);
  g_autofree float *w3 = rand_vec (r, 12, -0.7, 0.7), *b3 = rand_vec (r, 6, -0.5, 0.5);
  g_autofree float *sp = rand_vec (r, 100, -0.3, 0.3);
  /* distinct values (no max ties): a shuffled ramp plus noise */
  for (gsize i = 0; i < big; i++)
    x[i] = (float) (0.02 * (double) ((i * 97) % big) - 3.5 + g_rand_double_range (r, 0, 0.005));
  sp[98] = 1.1f;
  sp[99] = 0.05f;
  GradCase gc = { "CBAM (BN train)", 6, { x, w1, b1, w3, b3, sp }, { big, 12, 2, 12, 6, 100 },
                  { 1e-2, 1e-2, 1e-2, 1e-2, 1e-2, 1e-2 },
                  { "x", "mlp.1.weight", "mlp.1.bias", "mlp.3.weight", "mlp.3.bias", "conv+bn" },
                  big, cbam_fwd, cbam_bwd, &cd, 1e-2, 60 };
  grad_check (&gc, 72);
}

/* ------------------------------------------------------------ whitened conv */

typedef struct { int n, h, w; float mu[9], D[81]; } WhData;

static void
wh_fwd (gpointer d, float **in, float *out)
{
  WhData *wd = d;
  be->whiten_conv_forward (be->ctx, wd->n, wd->h, wd->w, in[0], in[1], in[2], wd->mu, wd->D, out);
}

static void
wh_bwd (gpointer d, float **in, const float *dy, float **din)
{
  WhData *wd = d;
  be->whiten_conv_backward (be->ctx, wd->n, wd->h, wd->w, in[0], in[1], wd->mu, wd->D, dy,
                            din[0], din[1], din[2]);
}

static void
test_whiten (void)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (81);
  WhData wd = { 3, 12, 12 };
  gsize xn = 3 * 144;
  g_autofree float *x = g_new (float, xn);
  g_autofree float *w = rand_vec (r, 9, -1.0 / 3, 1.0 / 3);
  g_autofree float *b = rand_vec (r, 1, -1.0 / 3, 1.0 / 3);
  float rmean[9] = { 0 }, rD[81] = { 0 };
  double S[81] = { 0 }, mean[9] = { 0 };
  int M = 0;

  /* GenoMap-like: sparse values in (0, 1], 0.999 placeholders */
  for (gsize i = 0; i < xn; i++)
    x[i] = g_rand_double (r) < 0.4 ? (float) g_rand_double_range (r, 0.05, 1) : 0.999f;
  for (int i = 0; i < 9; i++)
    rD[i * 10] = 1.f;
  be->whiten_stats (be->ctx, 3, 12, 12, x, 1e-5f, 0.1f, wd.mu, wd.D, rmean, rD);
  /* reference statistics in double */
  for (int pass = 0; pass < 2; pass++)
    for (int s = 0; s < 3; s++)
      for (int ty = 0; ty < 4; ty++)
        for (int tx = 0; tx < 4; tx++)
          {
            double v[9];
            for (int i = 0; i < 9; i++)
              {
                int yy = 3 * ty - 1 + i / 3, xx = 3 * tx - 1 + i % 3;
                v[i] = (yy >= 0 && yy < 12 && xx >= 0 && xx < 12) ? x[(s * 12 + yy) * 12 + xx] : 0;
              }
            if (pass == 0)
              {
                for (int i = 0; i < 9; i++)
                  mean[i] += v[i];
                M++;
              }
            else
              for (int i = 0; i < 9; i++)
                for (int j = 0; j < 9; j++)
                  S[i * 9 + j] += (v[i] - mean[i]) * (v[j] - mean[j]);
            if (pass == 0 && s == 2 && ty == 3 && tx == 3)
              for (int i = 0; i < 9; i++)
                mean[i] /= M;
          }
  g_assert_cmpint (M, ==, 48);
  for (int i = 0; i < 9; i++)
    {
      g_assert_cmpfloat (fabs (wd.mu[i] - mean[i]), <, 1e-6);
      g_assert_cmpfloat (fabs (rmean[i] - 0.1 * mean[i]), <, 1e-6);
    }
  /* D ≈ Σ^-1/2: ‖D Σ D − I‖ small (5 Newton–Schulz steps on a well-conditioned Σ) */
  {
    double worst = 0;
    for (int i = 0; i < 81; i++)
      S[i] = S[i] / M + (i % 10 == 0 ? 1e-5 : 0);
    for (int i = 0; i < 9; i++)
      for (int j = 0; j < 9; j++)
        {
          double acc = 0;
          for (int k = 0; k < 9; k++)
            for (int l = 0; l < 9; l++)
              acc += (double) wd.D[i * 9 + k] * S[k * 9 + l] * wd.D[l * 9 + j];
          worst = MAX (worst, fabs (acc - (i == j)));
          g_assert_cmpfloat (fabs (wd.D[i * 9 + j] - wd.D[j * 9 + i]), <, 1e-4);
          g_assert_cmpfloat (fabs (rD[i * 9 + j] - (0.9 * (i == j) + 0.1 * wd.D[i * 9 + j])), <, 1e-5);
        }
    g_test_message ("whitening: max |DΣD − I| = %.2e", worst);
    g_assert_cmpfloat (worst, <, 0.05);
  }
  /* forward = plain conv with w_eff = w·D, b_eff = b − w_eff·μ */
  {
    float weff[9];
    double beff = b[0];
    GmNnConv c = { 1, 1, 3, 3, 1, 1, 1, 0 };
    g_autofree float *y = g_new (float, xn);
    g_autofree double *ref = NULL;
    for (int j = 0; j < 9; j++)
      {
        double s = 0;
        for (int i = 0; i < 9; i++)
          s += (double) w[i] * wd.D[i * 9 + j];
        weff[j] = (float) s;
        beff -= s * wd.mu[j];
      }
    float bf = (float) beff;
    ref = naive_conv (&c, 3, 12, 12, x, weff, &bf);
    be->whiten_conv_forward (be->ctx, 3, 12, 12, x, w, b, wd.mu, wd.D, y);
    assert_close ("whitened conv forward", y, ref, xn, 1e-5);
  }
  GradCase gc = { "whitened conv", 3, { x, w, b }, { xn, 9, 1 }, { 1e-2, 1e-2, 1e-2 },
                  { "x", "w", "b" }, xn, wh_fwd, wh_bwd, &wd, 0, 0 };
  grad_check (&gc, 82);
}

/* ------------------------------------------------------------ loss */

typedef struct { int n, h, w; const float *target; } LossData;

static void
loss_fwd (gpointer d, float **in, float *out)
{
  LossData *ld = d;
  out[0] = (float) be->loss_forward_backward (be->ctx, ld->n, ld->h, ld->w, in[0], ld->target,
                                              GM_NN_LOSS_W_FREQ, NULL);
}

static void
loss_bwd (gpointer d, float **in, const float *dy, float **din)
{
  LossData *ld = d;
  gsize n = (gsize) ld->n * ld->h * ld->w;
  g_autofree float *g = g_new (float, n);

  be->loss_forward_backward (be->ctx, ld->n, ld->h, ld->w, in[0], ld->target,
                             GM_NN_LOSS_W_FREQ, g);
  for (gsize i = 0; i < n; i++)
    din[0][i] += dy[0] * g[i];
}

static double
naive_loss (int          n,
            int          h,
            int          w,
            const float *out,
            const float *t,
            double       w_freq)
{
  double l1 = 0, lf = 0;

  for (int s = 0; s < n; s++)
    for (int u = 0; u < h; u++)
      for (int v = 0; v < w; v++)
        {
          double re = 0, im = 0;
          for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
              {
                gsize i = ((gsize) s * h + y) * w + x;
                double e = (double) out[i] - t[i];
                double a = -2 * G_PI * ((double) u * y / h + (double) v * x / w);
                re += e * cos (a);
                im += e * sin (a);
                if (u == 0 && v == 0)
                  l1 += fabs (e);
              }
          lf += fabs (re) + fabs (im);
        }
  return l1 / ((double) n * h * w) + w_freq * lf / (2.0 * n * h * w);
}

static void
test_loss (void)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (91);
  int n = 2, h = 8, w = 6;
  gsize tot = (gsize) n * h * w;
  g_autofree float *out = rand_vec (r, tot, -1, 1);
  g_autofree float *t = rand_vec (r, tot, 0, 1);
  LossData ld = { n, h, w, t };
  double want = naive_loss (n, h, w, out, t, GM_NN_LOSS_W_FREQ);
  double got = be->loss_forward_backward (be->ctx, n, h, w, out, t, GM_NN_LOSS_W_FREQ, NULL);
  double lf_only = be->loss_forward_backward (be->ctx, n, h, w, out, t, 1.f, NULL)
                   - be->loss_forward_backward (be->ctx, n, h, w, out, t, 0.f, NULL);

  g_test_message ("loss: %.8f (naive %.8f), frequency term %.5f", got, want, lf_only);
  g_assert_cmpfloat (fabs (got - want), <, 1e-5 * want);
  g_assert_cmpfloat (fabs (lf_only - (naive_loss (n, h, w, out, t, 1) - naive_loss (n, h, w, out, t, 0))),
                     <, 1e-5 * lf_only);
  /* h = 1e-3: the L1 terms are piecewise linear; e and its DFT bins stay
   * away from 0 for random data except with probability ~1e-3 per checked
   * element. */
  GradCase gc = { "loss L1 + 0.02·DFT L1", 1, { out }, { tot }, { 1e-3 }, { "out" }, 1, loss_fwd,
                  loss_bwd, &ld, 1e-2, 96 };
  grad_check (&gc, 92);
  /* the DFT term alone, checked with a larger weight so it dominates */
  {
    g_autofree float *g1 = g_new (float, tot), *g0 = g_new (float, tot);
    be->loss_forward_backward (be->ctx, n, h, w, out, t, 1.f, g1);
    be->loss_forward_backward (be->ctx, n, h, w, out, t, 0.f, g0);
    for (int k = 0; k < 20; k++)
      {
        gsize i = (gsize) g_rand_int_range (r, 0, (gint32) tot);
        float save = out[i];
        double lp, lm, fd;
        out[i] = save + 1e-3f;
        lp = naive_loss (n, h, w, out, t, 1) - naive_loss (n, h, w, out, t, 0);
        out[i] = save - 1e-3f;
        lm = naive_loss (n, h, w, out, t, 1) - naive_loss (n, h, w, out, t, 0);
        out[i] = save;
        fd = (lp - lm) / 2e-3;
        g_assert_cmpfloat (fabs (fd - (g1[i] - g0[i])), <, 1e-3 * MAX (fabs (fd), 1e-2));
      }
  }
}

/* ------------------------------------------------------------ Adam */

static void
test_adam (void)
{
  float p[3] = { 0.5f, -1.f, 2.f }, g[3] = { 0.1f, -0.3f, 0.f }, m[3] = { 0 }, v[3] = { 0 };
  double pd[3] = { 0.5, -1, 2 }, md[3] = { 0 }, vd[3] = { 0 };

  for (int step = 1; step <= 3; step++)
    {
      be->adam_update (be->ctx, 3, p, g, m, v, 2e-4f, 0.9f, 0.999f, 1e-8f, step);
      for (int i = 0; i < 3; i++)
        {
          md[i] = 0.9 * md[i] + 0.1 * g[i];
          vd[i] = 0.999 * vd[i] + 0.001 * g[i] * g[i];
          double mh = md[i] / (1 - pow (0.9, step)), vh = vd[i] / (1 - pow (0.999, step));
          pd[i] -= 2e-4 * mh / (sqrt (vh) + 1e-8);
        }
      for (int i = 0; i < 3; i++)
        g_assert_cmpfloat (fabs (p[i] - pd[i]), <, 1e-6);
      g[0] *= -1.f;
    }
  /* first step moves each parameter by ≈ lr·sign(g) */
  g_assert_cmpfloat (fabs (pd[2] - 2.0), <, 1e-12);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GmNnBackend) cpu = gm_nn_backend_cpu ();
  int rc;

  g_test_init (&argc, &argv, NULL);
  be = cpu;
  g_test_add_func ("/nn/conv2d", test_conv2d);
  g_test_add_func ("/nn/convt2d", test_convt2d);
  g_test_add_func ("/nn/dcn", test_dcn);
  g_test_add_func ("/nn/reflect-pad", test_reflect_pad);
  g_test_add_func ("/nn/small-ops", test_small_ops);
  g_test_add_func ("/nn/batchnorm", test_batchnorm);
  g_test_add_func ("/nn/cbam", test_cbam);
  g_test_add_func ("/nn/whiten", test_whiten);
  g_test_add_func ("/nn/loss", test_loss);
  g_test_add_func ("/nn/adam", test_adam);
  rc = g_test_run ();
  return rc;
}
