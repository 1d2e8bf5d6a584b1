/* gm-nn-conv.c — CPU convolutions: im2col + SGEMM
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A convolution is out[Cout, P] = W[Cout, K] × col[K, P], K = Cin·kh·kw,
 * per sample.  Three strategies:
 *  - large images (P ≥ GM_NN_PER_SAMPLE_MIN_P): im2col of a chunk of
 *    samples (sample-major), then one SGEMM per sample written straight
 *    into the NCHW output (no layout copy); a 1×1 stride-1 conv needs no
 *    columns at all;
 *  - small images: one batched SGEMM over a chunk of nb samples
 *    (col[K, nb·P]) followed by a parallel [C][nb·P] → NCHW copy;
 *  - stride-1 convs with very few output channels: computed directly
 *    (see "direct conv" below).
 * The chunk is the whole batch unless the columns would pass
 * gm_nn_col_limit floats.  im2col/col2im, copies, bias fills and sums run
 * in parallel over samples or channels (gm_nn_parallel_for), each part
 * writing disjoint outputs, so results do not depend on the thread count.
 * A transposed convolution is the adjoint: its forward is conv
 * backward-data and its backward-data is conv forward.
 */
#include "config.h"

#include <cblas.h>
#include <string.h>

#include "gm-nn-private.h"

int
gm_nn_conv_out_size (const GmNnConv *c,
                     int             in)
{
  int k = c->dil * (c->kh - 1) + 1;

  return (in + 2 * c->pad - k) / c->stride + 1;
}

int
gm_nn_convt_out_size (const GmNnConv *c,
                      int             in)
{
  return (in - 1) * c->stride - 2 * c->pad + c->dil * (c->kh - 1) + c->out_pad + 1;
}

gsize gm_nn_col_limit = (gsize) 24 << 20;

void
gm_nn_cpu_set_col_limit (gsize floats)
{
  gm_nn_col_limit = floats > 0 ? floats : (gsize) 24 << 20;
}

int
gm_nn_cpu_chunk (gsize per,
                 int   n)
{
  gsize nb = per > 0 ? gm_nn_col_limit / per : (gsize) n;

  if (nb < 1)
    nb = 1;
  if (nb > (gsize) n)
    nb = (gsize) n;
  return (int) nb;
}

void
gm_nn_im2col (const float *img,
              int          c,
              int          h,
              int          w,
              int          kh,
              int          kw,
              int          stride,
              int          pad,
              int          dil,
              int          ho,
              int          wo,
              float       *col,
              gsize        ld)
{
  for (int ch = 0; ch < c; ch++)
    {
      const float *src = img + (gsize) ch * h * w;

      for (int i = 0; i < kh; i++)
        for (int j = 0; j < kw; j++)
          {
            float *dst = col + (gsize) ((ch * kh + i) * kw + j) * ld;
            /* the ox range whose ix = ox·s − p + j·d lies in [0, w) */
            int off = j * dil - pad;
            int lo = off < 0 ? (-off + stride - 1) / stride : 0;
            int hi = (w - off + stride - 1) / stride;   /* exclusive */

            if (hi > wo)
              hi = wo;
            if (hi < 0)
              hi = 0;
            if (lo > hi)
              lo = hi;
            for (int oy = 0; oy < ho; oy++)
              {
                int iy = oy * stride - pad + i * dil;
                float *d = dst + (gsize) oy * wo;

                if (iy < 0 || iy >= h)
                  {
                    for (int ox = 0; ox < wo; ox++)
                      d[ox] = 0.f;
                    continue;
                  }
                const float *s = src + (gsize) iy * w;
                for (int ox = 0; ox < lo; ox++)
                  d[ox] = 0.f;
                if (stride == 1)
                  {
                    float *restrict dd = d;
                    const float *restrict ss = s + off;

                    for (int ox = lo; ox < hi; ox++)
                      dd[ox] = ss[ox];
                  }
                else
                  for (int ox = lo; ox < hi; ox++)
                    d[ox] = s[ox * stride + off];
                for (int ox = hi; ox < wo; ox++)
                  d[ox] = 0.f;
              }
          }
    }
}

void
gm_nn_col2im (const float *col,
              gsize        ld,
              int          c,
              int          h,
              int          w,
              int          kh,
              int          kw,
              int          stride,
              int          pad,
              int          dil,
              int          ho,
              int          wo,
              float       *img)
{
  for (int ch = 0; ch < c; ch++)
    {
      float *dst = img + (gsize) ch * h * w;

      for (int i = 0; i < kh; i++)
        for (int j = 0; j < kw; j++)
          {
            const float *src = col + (gsize) ((ch * kh + i) * kw + j) * ld;
            int off = j * dil - pad;
            int lo = off < 0 ? (-off + stride - 1) / stride : 0;
            int hi = (w - off + stride - 1) / stride;

            if (hi > wo)
              hi = wo;
            for (int oy = 0; oy < ho; oy++)
              {
                int iy = oy * stride - pad + i * dil;

                if (iy < 0 || iy >= h)
                  continue;
                float *d = dst + (gsize) iy * w;
                const float *s = src + (gsize) oy * wo;
                if (stride == 1)
                  {
                    float *restrict dd = d + off;
                    const float *restrict ss = s;

                    for (int ox = lo; ox < hi; ox++)
                      dd[ox] += ss[ox];
                  }
                else
                  for (int ox = lo; ox < hi; ox++)
                    d[ox * stride + off] += s[ox];
              }
          }
    }
}

typedef struct
{
  const float *x;
  float       *y;
  int          nb, c, p;
  gboolean     accumulate;
} CnpJob;

static void
to_cnp_range (int part, int lo, int hi, gpointer data)
{
  const CnpJob *j = data;
  gsize ld = (gsize) j->nb * j->p;

  for (int s = lo; s < hi; s++)
    for (int ch = 0; ch < j->c; ch++)
      memcpy (j->y + ch * ld + (gsize) s * j->p, j->x + ((gsize) s * j->c + ch) * j->p,
              sizeof (float) * j->p);
}

void
gm_nn_to_cnp (const float *x,
              int          nb,
              int          c,
              int          p,
              float       *y)
{
  CnpJob j = { x, y, nb, c, p, FALSE };

  gm_nn_parallel_for (nb, to_cnp_range, &j);
}

static void
from_cnp_range (int part, int lo, int hi, gpointer data)
{
  const CnpJob *j = data;
  gsize ld = (gsize) j->nb * j->p;

  for (int s = lo; s < hi; s++)
    for (int ch = 0; ch < j->c; ch++)
      {
        const float *src = j->x + ch * ld + (gsize) s * j->p;
        float *dst = j->y + ((gsize) s * j->c + ch) * j->p;

        if (j->accumulate)
          for (int q = 0; q < j->p; q++)
            dst[q] += src[q];
        else
          memcpy (dst, src, sizeof (float) * j->p);
      }
}

void
gm_nn_from_cnp (const float *x,
                int          nb,
                int          c,
                int          p,
                float       *y,
                gboolean     accumulate)
{
  CnpJob j = { x, y, nb, c, p, accumulate };

  gm_nn_parallel_for (nb, from_cnp_range, &j);
}

/* im2col / col2im of a run of samples, in parallel over the samples.
 * Image s is img + s·img_sz (ic channels, ih×iw); its columns start at
 * col + s·col_step with row stride ld and oh×ow entries per row. */
typedef struct
{
  const GmNnConv *c;
  int             ic, ih, iw, oh, ow;
  const float    *img;
  float          *imgw;
  gsize           img_sz;
  float          *col;
  gsize           col_step, ld;
} ColJob;

static void
im2col_range (int part, int lo, int hi, gpointer data)
{
  const ColJob *j = data;

  for (int s = lo; s < hi; s++)
    gm_nn_im2col (j->img + s * j->img_sz, j->ic, j->ih, j->iw, j->c->kh, j->c->kw,
                  j->c->stride, j->c->pad, j->c->dil, j->oh, j->ow,
                  j->col + s * j->col_step, j->ld);
}

static void
col2im_range (int part, int lo, int hi, gpointer data)
{
  const ColJob *j = data;

  for (int s = lo; s < hi; s++)
    gm_nn_col2im (j->col + s * j->col_step, j->ld, j->ic, j->ih, j->iw, j->c->kh,
                  j->c->kw, j->c->stride, j->c->pad, j->c->dil, j->oh, j->ow,
                  j->imgw + s * j->img_sz);
}

static void
par_im2col (const GmNnConv *c, int cnt, const float *img, gsize img_sz, int ic,
            int ih, int iw, int oh, int ow, float *col, gsize col_step, gsize ld)
{
  ColJob j = { c, ic, ih, iw, oh, ow, img, NULL, img_sz, col, col_step, ld };

  gm_nn_parallel_for (cnt, im2col_range, &j);
}

static void
par_col2im (const GmNnConv *c, int cnt, float *img, gsize img_sz, int ic,
            int ih, int iw, int oh, int ow, float *col, gsize col_step, gsize ld)
{
  ColJob j = { c, ic, ih, iw, oh, ow, NULL, img, img_sz, col, col_step, ld };

  gm_nn_parallel_for (cnt, col2im_range, &j);
}

/* y[s][o][q] = bias[o] (or 0) for n samples of c channels × p pixels. */
typedef struct
{
  float       *y;
  const float *bias;
  int          c, p;
} FillJob;

static void
fill_range (int part, int lo, int hi, gpointer data)
{
  const FillJob *j = data;

  for (int s = lo; s < hi; s++)
    for (int o = 0; o < j->c; o++)
      {
        float *r = j->y + ((gsize) s * j->c + o) * j->p;
        float b = j->bias != NULL ? j->bias[o] : 0.f;

        for (int q = 0; q < j->p; q++)
          r[q] = b;
      }
}

void
gm_nn_fill_bias_nchw (float *y, const float *bias, int n, int c, int p)
{
  FillJob j = { y, bias, c, p };

  gm_nn_parallel_for (n, fill_range, &j);
}

/* db[o] += Σ_{s,q} dy[s][o][q], in parallel over the channels. */
typedef struct
{
  const float *dy;
  float       *db;
  int          n, c, p;
} BiasJob;

static void
bias_sum_range (int part, int lo, int hi, gpointer data)
{
  const BiasJob *j = data;

  for (int o = lo; o < hi; o++)
    {
      double acc = 0;

      for (int s = 0; s < j->n; s++)
        {
          const float *r = j->dy + ((gsize) s * j->c + o) * j->p;
          for (int q = 0; q < j->p; q++)
            acc += r[q];
        }
      j->db[o] += (float) acc;
    }
}

void
gm_nn_bias_sum_nchw (const float *dy, int n, int c, int p, float *db)
{
  BiasJob j = { dy, db, n, c, p };

  gm_nn_parallel_for (c, bias_sum_range, &j);
}

static gboolean
is_pointwise (const GmNnConv *c)
{
  return c->kh == 1 && c->kw == 1 && c->stride == 1 && c->pad == 0;
}

/* ------------------------------------------------------------ direct conv
 *
 * A stride-1 convolution with very few output channels (the 7×7 output
 * conv has one) is memory-bound as im2col + GEMM: the column matrix is
 * Cin·kh·kw times the image.  Here it is computed directly from shifted
 * rows instead, in parallel over the samples (forward, dx) or over the
 * input channels (dw), each part writing disjoint outputs. */

#ifndef GM_NN_DIRECT_MAX_COUT
#define GM_NN_DIRECT_MAX_COUT 4
#endif

static gboolean
use_direct (const GmNnConv *c)
{
  return c->stride == 1 && c->cout <= GM_NN_DIRECT_MAX_COUT && c->kh * c->kw > 1;
}

typedef struct
{
  const GmNnConv *c;
  int             h, w, ho, wo;
  const float    *x, *weight, *bias, *dy;
  float          *y, *dx, *dw;
  int             n_samples;
} DirectJob;

/* the ox range [lo, hi) whose ox + off lies in [0, w) */
static inline void
direct_span (int off, int w, int wo, int *lo, int *hi)
{
  *lo = off < 0 ? -off : 0;
  *hi = w - off < wo ? w - off : wo;
  if (*hi < 0)
    *hi = 0;
  if (*lo > *hi)
    *lo = *hi;
}

static void
direct_forward_range (int part, int lo_s, int hi_s, gpointer data)
{
  const DirectJob *j = data;
  const GmNnConv *c = j->c;
  int h = j->h, w = j->w, ho = j->ho, wo = j->wo, P = ho * wo;
  gsize in_sz = (gsize) c->cin * h * w, out_sz = (gsize) c->cout * P;

  for (int s = lo_s; s < hi_s; s++)
    for (int o = 0; o < c->cout; o++)
      {
        float *yo = j->y + s * out_sz + (gsize) o * P;
        float b = j->bias != NULL ? j->bias[o] : 0.f;

        for (int q = 0; q < P; q++)
          yo[q] = b;
        for (int ch = 0; ch < c->cin; ch++)
          {
            const float *xc = j->x + s * in_sz + (gsize) ch * h * w;

            for (int i = 0; i < c->kh; i++)
              for (int jj = 0; jj < c->kw; jj++)
                {
                  float wv = j->weight[((gsize) (o * c->cin + ch) * c->kh + i) * c->kw + jj];
                  int off = jj * c->dil - c->pad, lo, hi;

                  direct_span (off, w, wo, &lo, &hi);
                  for (int oy = 0; oy < ho; oy++)
                    {
                      int iy = oy - c->pad + i * c->dil;

                      if (iy < 0 || iy >= h)
                        continue;
                      float *restrict yr = yo + (gsize) oy * wo;
                      const float *restrict xr = xc + (gsize) iy * w + off;

                      for (int ox = lo; ox < hi; ox++)
                        yr[ox] += wv * xr[ox];
                    }
                }
          }
      }
}

static void
direct_dx_range (int part, int lo_s, int hi_s, gpointer data)
{
  const DirectJob *j = data;
  const GmNnConv *c = j->c;
  int h = j->h, w = j->w, ho = j->ho, wo = j->wo, P = ho * wo;
  gsize in_sz = (gsize) c->cin * h * w, out_sz = (gsize) c->cout * P;

  for (int s = lo_s; s < hi_s; s++)
    for (int ch = 0; ch < c->cin; ch++)
      {
        float *dxc = j->dx + s * in_sz + (gsize) ch * h * w;

        for (int o = 0; o < c->cout; o++)
          {
            const float *dyo = j->dy + s * out_sz + (gsize) o * P;

            for (int i = 0; i < c->kh; i++)
              for (int jj = 0; jj < c->kw; jj++)
                {
                  float wv = j->weight[((gsize) (o * c->cin + ch) * c->kh + i) * c->kw + jj];
                  int off = jj * c->dil - c->pad, lo, hi;

                  direct_span (off, w, wo, &lo, &hi);
                  for (int oy = 0; oy < ho; oy++)
                    {
                      int iy = oy - c->pad + i * c->dil;

                      if (iy < 0 || iy >= h)
                        continue;
                      float *restrict xr = dxc + (gsize) iy * w + off;
                      const float *restrict dr = dyo + (gsize) oy * wo;

                      for (int ox = lo; ox < hi; ox++)
                        xr[ox] += wv * dr[ox];
                    }
                }
          }
      }
}

static void
direct_dw_range (int part, int lo_c, int hi_c, gpointer data)
{
  const DirectJob *j = data;
  const GmNnConv *c = j->c;
  int h = j->h, w = j->w, ho = j->ho, wo = j->wo, P = ho * wo;
  gsize in_sz = (gsize) c->cin * h * w, out_sz = (gsize) c->cout * P;
  int KK = c->kh * c->kw;
  double *acc = g_new (double, (gsize) c->cout * KK);

  for (int ch = lo_c; ch < hi_c; ch++)
    {
      memset (acc, 0, sizeof (double) * c->cout * KK);
      for (int s = 0; s < j->n_samples; s++)
        {
          const float *xc = j->x + s * in_sz + (gsize) ch * h * w;

          for (int o = 0; o < c->cout; o++)
            {
              const float *dyo = j->dy + s * out_sz + (gsize) o * P;

              for (int i = 0; i < c->kh; i++)
                for (int jj = 0; jj < c->kw; jj++)
                  {
                    int off = jj * c->dil - c->pad, lo, hi;
                    float a[8] = { 0 };
                    float t = 0.f;

                    direct_span (off, w, wo, &lo, &hi);
                    for (int oy = 0; oy < ho; oy++)
                      {
                        int iy = oy - c->pad + i * c->dil;

                        if (iy < 0 || iy >= h)
                          continue;
                        const float *xr = xc + (gsize) iy * w + off;
                        const float *dr = dyo + (gsize) oy * wo;
                        int ox = lo;

                        for (; ox + 8 <= hi; ox += 8)
                          for (int k = 0; k < 8; k++)
                            a[k] += dr[ox + k] * xr[ox + k];
                        for (; ox < hi; ox++)
                          t += dr[ox] * xr[ox];
                      }
                    acc[o * KK + i * c->kw + jj] +=
                      (double) (((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7])) + t);
                  }
            }
        }
      for (int o = 0; o < c->cout; o++)
        for (int k = 0; k < KK; k++)
          j->dw[(gsize) (o * c->cin + ch) * KK + k] += (float) acc[o * KK + k];
    }
  g_free (acc);
}

/* ------------------------------------------------------------ conv2d */

void
gm_nn_cpu_conv2d_forward (gpointer        ctx,
                          const GmNnConv *c,
                          int             n,
                          int             h,
                          int             w,
                          const float    *x,
                          const float    *weight,
                          const float    *bias,
                          float          *y)
{
  GmNnCpu *cpu = ctx;
  int ho = gm_nn_conv_out_size (c, h), wo = gm_nn_conv_out_size (c, w);
  int P = ho * wo, K = c->cin * c->kh * c->kw;
  gsize in_sz = (gsize) c->cin * h * w, out_sz = (gsize) c->cout * P;
  int nb = gm_nn_cpu_chunk ((gsize) K * P, n);
  float beta = bias != NULL ? 1.f : 0.f;

  if (use_direct (c))
    {
      DirectJob j = { c, h, w, ho, wo, x, weight, bias, NULL, y, NULL, NULL, n };

      gm_nn_parallel_for (n, direct_forward_range, &j);
      return;
    }
  if (P >= GM_NN_PER_SAMPLE_MIN_P || is_pointwise (c))
    {
      /* per-sample GEMMs straight into y[s] (a 1×1 conv needs no columns) */
      if (bias != NULL)
        gm_nn_fill_bias_nchw (y, bias, n, c->cout, P);
      if (is_pointwise (c))
        {
          for (int s = 0; s < n; s++)
            cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, c->cout, P, K,
                         1.f, weight, K, x + s * in_sz, P, beta, y + s * out_sz, P);
          return;
        }
      for (int n0 = 0; n0 < n; n0 += nb)
        {
          int cnt = MIN (nb, n - n0);
          gsize per = (gsize) K * P;
          float *col = gm_nn_cpu_ws (cpu, GM_NN_WS_COL, per * cnt);

          par_im2col (c, cnt, x + n0 * in_sz, in_sz, c->cin, h, w, ho, wo, col, per, P);
          for (int s = 0; s < cnt; s++)
            cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, c->cout, P, K,
                         1.f, weight, K, col + s * per, P, beta,
                         y + (n0 + s) * out_sz, P);
        }
      return;
    }

  for (int n0 = 0; n0 < n; n0 += nb)
    {
      int cnt = MIN (nb, n - n0);
      gsize ld = (gsize) cnt * P;
      float *col = gm_nn_cpu_ws (cpu, GM_NN_WS_COL, (gsize) K * ld);
      float *out = gm_nn_cpu_ws (cpu, GM_NN_WS_OUT, (gsize) c->cout * ld);

      par_im2col (c, cnt, x + n0 * in_sz, in_sz, c->cin, h, w, ho, wo, col, P, ld);
      if (bias != NULL)
        gm_nn_fill_bias_nchw (out, bias, 1, c->cout, (int) ld);
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, c->cout, (int) ld, K,
                   1.f, weight, K, col, (int) ld, beta, out, (int) ld);
      gm_nn_from_cnp (out, cnt, c->cout, P, y + n0 * out_sz, FALSE);
    }
}

void
gm_nn_cpu_conv2d_backward (gpointer        ctx,
                           const GmNnConv *c,
                           int             n,
                           int             h,
                           int             w,
                           const float    *x,
                           const float    *weight,
                           const float    *dy,
                           float          *dx,
                           float          *dw,
                           float          *db)
{
  GmNnCpu *cpu = ctx;
  int ho = gm_nn_conv_out_size (c, h), wo = gm_nn_conv_out_size (c, w);
  int P = ho * wo, K = c->cin * c->kh * c->kw;
  gsize in_sz = (gsize) c->cin * h * w, out_sz = (gsize) c->cout * P;
  int nb = gm_nn_cpu_chunk ((gsize) K * P, n);

  if (db != NULL)
    gm_nn_bias_sum_nchw (dy, n, c->cout, P, db);
  if (dw == NULL && dx == NULL)
    return;
  if (use_direct (c))
    {
      DirectJob j = { c, h, w, ho, wo, x, weight, NULL, dy, NULL, dx, dw, n };

      if (dw != NULL)
        gm_nn_parallel_for (c->cin, direct_dw_range, &j);
      if (dx != NULL)
        gm_nn_parallel_for (n, direct_dx_range, &j);
      return;
    }
  if (is_pointwise (c))
    {
      for (int s = 0; s < n; s++)
        {
          if (dw != NULL)
            cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, c->cout, K, P,
                         1.f, dy + s * out_sz, P, x + s * in_sz, P, 1.f, dw, K);
          if (dx != NULL)
            cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, K, P, c->cout,
                         1.f, weight, K, dy + s * out_sz, P, 1.f, dx + s * in_sz, P);
        }
      return;
    }
  if (P >= GM_NN_PER_SAMPLE_MIN_P)
    {
      for (int n0 = 0; n0 < n; n0 += nb)
        {
          int cnt = MIN (nb, n - n0);
          gsize per = (gsize) K * P;
          float *col = gm_nn_cpu_ws (cpu, GM_NN_WS_COL, per * cnt);

          if (dw != NULL)
            par_im2col (c, cnt, x + n0 * in_sz, in_sz, c->cin, h, w, ho, wo, col,
                        per, P);
          for (int s = 0; s < cnt; s++)
            {
              const float *dys = dy + (n0 + s) * out_sz;

              if (dw != NULL)
                cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, c->cout, K, P,
                             1.f, dys, P, col + s * per, P, 1.f, dw, K);
              if (dx != NULL)
                cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, K, P, c->cout,
                             1.f, weight, K, dys, P, 0.f, col + s * per, P);
            }
          if (dx != NULL)
            par_col2im (c, cnt, dx + n0 * in_sz, in_sz, c->cin, h, w, ho, wo, col,
                        per, P);
        }
      return;
    }

  for (int n0 = 0; n0 < n; n0 += nb)
    {
      int cnt = MIN (nb, n - n0);
      gsize ld = (gsize) cnt * P;
      float *col = gm_nn_cpu_ws (cpu, GM_NN_WS_COL, (gsize) K * ld);
      float *dyt = gm_nn_cpu_ws (cpu, GM_NN_WS_OUT, (gsize) c->cout * ld);

      gm_nn_to_cnp (dy + n0 * out_sz, cnt, c->cout, P, dyt);
      if (dw != NULL)
        {
          par_im2col (c, cnt, x + n0 * in_sz, in_sz, c->cin, h, w, ho, wo, col, P, ld);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, c->cout, K, (int) ld,
                       1.f, dyt, (int) ld, col, (int) ld, 1.f, dw, K);
        }
      if (dx != NULL)
        {
          cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, K, (int) ld, c->cout,
                       1.f, weight, K, dyt, (int) ld, 0.f, col, (int) ld);
          par_col2im (c, cnt, dx + n0 * in_sz, in_sz, c->cin, h, w, ho, wo, col, P, ld);
        }
    }
}

/* ------------------------------------------------------------ transposed conv2d */

void
gm_nn_cpu_convt2d_forward (gpointer        ctx,
                           const GmNnConv *c,
                           int             n,
                           int             h,
                           int             w,
                           const float    *x,
                           const float    *weight,
                           const float    *bias,
                           float          *y)
{
  GmNnCpu *cpu = ctx;
  int ho = gm_nn_convt_out_size (c, h), wo = gm_nn_convt_out_size (c, w);
  int P = h * w, K = c->cout * c->kh * c->kw;
  gsize in_sz = (gsize) c->cin * P, out_sz = (gsize) c->cout * ho * wo;
  int nb = gm_nn_cpu_chunk ((gsize) K * P, n);
  gboolean per_sample = P >= GM_NN_PER_SAMPLE_MIN_P;

  gm_nn_fill_bias_nchw (y, bias, n, c->cout, ho * wo);
  for (int n0 = 0; n0 < n; n0 += nb)
    {
      int cnt = MIN (nb, n - n0);
      gsize ld = (gsize) cnt * P;
      float *col = gm_nn_cpu_ws (cpu, GM_NN_WS_COL, (gsize) K * ld);

      if (per_sample)
        {
          gsize per = (gsize) K * P;

          for (int s = 0; s < cnt; s++)
            cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, K, P, c->cin,
                         1.f, weight, K, x + (n0 + s) * in_sz, P, 0.f,
                         col + s * per, P);
          par_col2im (c, cnt, y + n0 * out_sz, out_sz, c->cout, ho, wo, h, w, col,
                      per, P);
          continue;
        }
      float *xt = gm_nn_cpu_ws (cpu, GM_NN_WS_OUT, (gsize) c->cin * ld);

      gm_nn_to_cnp (x + n0 * in_sz, cnt, c->cin, P, xt);
      cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, K, (int) ld, c->cin,
                   1.f, weight, K, xt, (int) ld, 0.f, col, (int) ld);
      par_col2im (c, cnt, y + n0 * out_sz, out_sz, c->cout, ho, wo, h, w, col, P, ld);
    }
}

void
gm_nn_cpu_convt2d_backward (gpointer        ctx,
                            const GmNnConv *c,
                            int             n,
                            int             h,
                            int             w,
                            const float    *x,
                            const float    *weight,
                            const float    *dy,
                            float          *dx,
                            float          *dw,
                            float          *db)
{
  GmNnCpu *cpu = ctx;
  int ho = gm_nn_convt_out_size (c, h), wo = gm_nn_convt_out_size (c, w);
  int P = h * w, K = c->cout * c->kh * c->kw;
  gsize in_sz = (gsize) c->cin * P, out_sz = (gsize) c->cout * ho * wo;
  int nb = gm_nn_cpu_chunk ((gsize) K * P, n);
  gboolean per_sample = P >= GM_NN_PER_SAMPLE_MIN_P;

  if (db != NULL)
    gm_nn_bias_sum_nchw (dy, n, c->cout, ho * wo, db);
  if (dx == NULL && dw == NULL)
    return;
  for (int n0 = 0; n0 < n; n0 += nb)
    {
      int cnt = MIN (nb, n - n0);
      gsize ld = (gsize) cnt * P;
      float *col = gm_nn_cpu_ws (cpu, GM_NN_WS_COL, (gsize) K * ld);

      if (per_sample)
        {
          gsize per = (gsize) K * P;

          par_im2col (c, cnt, dy + n0 * out_sz, out_sz, c->cout, ho, wo, h, w, col,
                      per, P);
          for (int s = 0; s < cnt; s++)
            {
              const float *xs = x + (n0 + s) * in_sz;

              if (dw != NULL)
                cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, c->cin, K, P,
                             1.f, xs, P, col + s * per, P, 1.f, dw, K);
              if (dx != NULL)
                cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, c->cin, P, K,
                             1.f, weight, K, col + s * per, P, 1.f,
                             dx + (n0 + s) * in_sz, P);
            }
          continue;
        }
      float *xt = gm_nn_cpu_ws (cpu, GM_NN_WS_OUT, (gsize) c->cin * ld);

      par_im2col (c, cnt, dy + n0 * out_sz, out_sz, c->cout, ho, wo, h, w, col, P, ld);
      if (dw != NULL)
        {
          gm_nn_to_cnp (x + n0 * in_sz, cnt, c->cin, P, xt);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, c->cin, K, (int) ld,
                       1.f, xt, (int) ld, col, (int) ld, 1.f, dw, K);
        }
      if (dx != NULL)
        {
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, c->cin, (int) ld, K,
                       1.f, weight, K, col, (int) ld, 0.f, xt, (int) ld);
          gm_nn_from_cnp (xt, cnt, c->cin, P, dx + n0 * in_sz, TRUE);
        }
    }
}
