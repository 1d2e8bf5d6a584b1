/* gm-nn-conv.c — CPU convolutions: im2col + one batched SGEMM per chunk
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A convolution over a chunk of nb samples is one GEMM
 *   out[Cout, nb·P] = W[Cout, K] × col[K, nb·P],   K = Cin·kh·kw,
 * with col built by im2col sample by sample (sample s in columns s·P …).
 * The chunk is the whole batch unless the columns would pass
 * GM_NN_COL_LIMIT floats.  A transposed convolution is the adjoint: its
 * forward is conv backward-data and its backward-data is conv forward.
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
                    memset (d, 0, sizeof (float) * wo);
                    continue;
                  }
                const float *s = src + (gsize) iy * w;
                for (int ox = 0; ox < lo; ox++)
                  d[ox] = 0.f;
                if (stride == 1)
                  {
                    if (hi > lo)
                      memcpy (d + lo, s + lo + off, sizeof (float) * (hi - lo));
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
                for (int ox = lo; ox < hi; ox++)
                  d[ox * stride + off] += s[ox];
              }
          }
    }
}

void
gm_nn_to_cnp (const float *x,
              int          nb,
              int          c,
              int          p,
              float       *y)
{
  gsize ld = (gsize) nb * p;

  for (int s = 0; s < nb; s++)
    for (int ch = 0; ch < c; ch++)
      memcpy (y + ch * ld + (gsize) s * p, x + ((gsize) s * c + ch) * p,
              sizeof (float) * p);
}

void
gm_nn_from_cnp (const float *x,
                int          nb,
                int          c,
                int          p,
                float       *y,
                gboolean     accumulate)
{
  gsize ld = (gsize) nb * p;

  for (int s = 0; s < nb; s++)
    for (int ch = 0; ch < c; ch++)
      {
        const float *src = x + ch * ld + (gsize) s * p;
        float *dst = y + ((gsize) s * c + ch) * p;

        if (accumulate)
          for (int q = 0; q < p; q++)
            dst[q] += src[q];
        else
          memcpy (dst, src, sizeof (float) * p);
      }
}

static void
add_bias_sum (const float *dyt,
              int          c,
              gsize        ld,
              float       *db)
{
  for (int o = 0; o < c; o++)
    {
      const float *r = dyt + o * ld;
      double s = 0;

      for (gsize q = 0; q < ld; q++)
        s += r[q];
      db[o] += (float) s;
    }
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

  for (int n0 = 0; n0 < n; n0 += nb)
    {
      int cnt = MIN (nb, n - n0);
      gsize ld = (gsize) cnt * P;
      float *col = gm_nn_cpu_ws (cpu, GM_NN_WS_COL, (gsize) K * ld);
      float *out = gm_nn_cpu_ws (cpu, GM_NN_WS_OUT, (gsize) c->cout * ld);

      for (int s = 0; s < cnt; s++)
        gm_nn_im2col (x + (n0 + s) * in_sz, c->cin, h, w, c->kh, c->kw,
                      c->stride, c->pad, c->dil, ho, wo, col + (gsize) s * P, ld);
      if (bias != NULL)
        for (int o = 0; o < c->cout; o++)
          for (gsize q = 0; q < ld; q++)
            out[o * ld + q] = bias[o];
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, c->cout, (int) ld, K,
                   1.f, weight, K, col, (int) ld, bias != NULL ? 1.f : 0.f,
                   out, (int) ld);
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

  for (int n0 = 0; n0 < n; n0 += nb)
    {
      int cnt = MIN (nb, n - n0);
      gsize ld = (gsize) cnt * P;
      float *col = gm_nn_cpu_ws (cpu, GM_NN_WS_COL, (gsize) K * ld);
      float *dyt = gm_nn_cpu_ws (cpu, GM_NN_WS_OUT, (gsize) c->cout * ld);

      gm_nn_to_cnp (dy + n0 * out_sz, cnt, c->cout, P, dyt);
      if (db != NULL)
        add_bias_sum (dyt, c->cout, ld, db);
      if (dw != NULL)
        {
          for (int s = 0; s < cnt; s++)
            gm_nn_im2col (x + (n0 + s) * in_sz, c->cin, h, w, c->kh, c->kw,
                          c->stride, c->pad, c->dil, ho, wo,
                          col + (gsize) s * P, ld);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, c->cout, K, (int) ld,
                       1.f, dyt, (int) ld, col, (int) ld, 1.f, dw, K);
        }
      if (dx != NULL)
        {
          cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, K, (int) ld, c->cout,
                       1.f, weight, K, dyt, (int) ld, 0.f, col, (int) ld);
          for (int s = 0; s < cnt; s++)
            gm_nn_col2im (col + (gsize) s * P, ld, c->cin, h, w, c->kh, c->kw,
                          c->stride, c->pad, c->dil, ho, wo, dx + (n0 + s) * in_sz);
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

  for (int n0 = 0; n0 < n; n0 += nb)
    {
      int cnt = MIN (nb, n - n0);
      gsize ld = (gsize) cnt * P;
      float *col = gm_nn_cpu_ws (cpu, GM_NN_WS_COL, (gsize) K * ld);
      float *xt = gm_nn_cpu_ws (cpu, GM_NN_WS_OUT, (gsize) c->cin * ld);

      gm_nn_to_cnp (x + n0 * in_sz, cnt, c->cin, P, xt);
      cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, K, (int) ld, c->cin,
                   1.f, weight, K, xt, (int) ld, 0.f, col, (int) ld);
      for (int s = 0; s < cnt; s++)
        {
          float *ys = y + (n0 + s) * out_sz;

          for (int o = 0; o < c->cout; o++)
            {
              float b = bias != NULL ? bias[o] : 0.f;
              for (int q = 0; q < ho * wo; q++)
                ys[(gsize) o * ho * wo + q] = b;
            }
          gm_nn_col2im (col + (gsize) s * P, ld, c->cout, ho, wo, c->kh, c->kw,
                        c->stride, c->pad, c->dil, h, w, ys);
        }
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

  if (db != NULL)
    for (int s = 0; s < n; s++)
      for (int o = 0; o < c->cout; o++)
        {
          const float *r = dy + s * out_sz + (gsize) o * ho * wo;
          double acc = 0;
          for (int q = 0; q < ho * wo; q++)
            acc += r[q];
          db[o] += (float) acc;
        }
  if (dx == NULL && dw == NULL)
    return;
  for (int n0 = 0; n0 < n; n0 += nb)
    {
      int cnt = MIN (nb, n - n0);
      gsize ld = (gsize) cnt * P;
      float *col = gm_nn_cpu_ws (cpu, GM_NN_WS_COL, (gsize) K * ld);
      float *xt = gm_nn_cpu_ws (cpu, GM_NN_WS_OUT, (gsize) c->cin * ld);

      for (int s = 0; s < cnt; s++)
        gm_nn_im2col (dy + (n0 + s) * out_sz, c->cout, ho, wo, c->kh, c->kw,
                      c->stride, c->pad, c->dil, h, w, col + (gsize) s * P, ld);
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
