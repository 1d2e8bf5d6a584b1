/* gm-nn-dcn.c — CPU modulated deformable convolution (DCNv2, spec §3)
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Forward: a deformable im2col (entries m·B(x, py, px)) over a chunk of
 * samples, then one SGEMM with W [Cout, Cin·kh·kw], as for a plain conv.
 * Backward: the column gradient W^T × dy by SGEMM, then one pass over the
 * sample points that scatters into dx and gathers d(offset) and d(mask).
 * The bilinear geometry of every (tap, output pixel) is computed once per
 * sample and shared by all input channels.  The per-sample passes run in
 * parallel over the samples (one geometry buffer per part; each part
 * writes only its own samples' columns, dx, d(offset) and d(mask)); as in
 * gm-nn-conv.c, large images use per-sample SGEMMs writing NCHW directly.
 */
#include "config.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "gm-nn-private.h"

static GmNnDcnGeo *
geo_ws (GmNnCpu *cpu,
        gsize    n)
{
  if (cpu->geo_n < n)
    {
      g_free (cpu->geo);
      cpu->geo = g_new (GmNnDcnGeo, n);
      cpu->geo_n = n;
    }
  return cpu->geo;
}

/* Geometry of sample s: geo[k·P + p] for tap k, output pixel p. */
static void
build_geo (const GmNnConv *c,
           int             h,
           int             w,
           int             ho,
           int             wo,
           const float    *offset,
           GmNnDcnGeo     *geo)
{
  int KK = c->kh * c->kw, P = ho * wo;

  for (int k = 0; k < KK; k++)
    {
      int i = k / c->kw, j = k % c->kw;
      const float *offy = offset + (gsize) (2 * k) * P;
      const float *offx = offset + (gsize) (2 * k + 1) * P;

      for (int oy = 0; oy < ho; oy++)
        for (int ox = 0; ox < wo; ox++)
          {
            int p = oy * wo + ox;
            GmNnDcnGeo *g = geo + (gsize) k * P + p;
            float py = (float) (oy * c->stride - c->pad + i * c->dil) + offy[p];
            float px = (float) (ox * c->stride - c->pad + j * c->dil) + offx[p];

            if (!(py > -1.f && py < (float) h && px > -1.f && px < (float) w))
              {
                memset (g, 0, sizeof *g);
                continue;
              }
            int h0 = (int) floorf (py), w0 = (int) floorf (px);
            float lh = py - (float) h0, lw = px - (float) w0;
            float bw[4] = { (1.f - lh) * (1.f - lw), (1.f - lh) * lw,
                            lh * (1.f - lw), lh * lw };
            int ch[4] = { h0, h0, h0 + 1, h0 + 1 };
            int cw[4] = { w0, w0 + 1, w0, w0 + 1 };

            g->inrange = 1;
            g->lh = lh;
            g->lw = lw;
            for (int q = 0; q < 4; q++)
              {
                gboolean ok = ch[q] >= 0 && ch[q] < h && cw[q] >= 0 && cw[q] < w;
                g->idx[q] = ok ? ch[q] * w + cw[q] : 0;
                g->valid[q] = ok ? 1.f : 0.f;
                g->wt[q] = ok ? bw[q] : 0.f;
              }
          }
    }
}

static void
deform_im2col (const GmNnConv   *c,
               int               h,
               int               w,
               int               P,
               const float      *x,
               const float      *mask,
               const GmNnDcnGeo *geo,
               float            *col,
               gsize             ld)
{
  int KK = c->kh * c->kw;

  for (int ch = 0; ch < c->cin; ch++)
    {
      const float *xc = x + (gsize) ch * h * w;

      for (int k = 0; k < KK; k++)
        {
          float *row = col + (gsize) (ch * KK + k) * ld;
          const GmNnDcnGeo *g = geo + (gsize) k * P;
          const float *m = mask + (gsize) k * P;

          for (int p = 0; p < P; p++)
            row[p] = m[p] * (g[p].wt[0] * xc[g[p].idx[0]] + g[p].wt[1] * xc[g[p].idx[1]]
                             + g[p].wt[2] * xc[g[p].idx[2]] + g[p].wt[3] * xc[g[p].idx[3]]);
        }
    }
}

/* Per-sample work of a chunk, in parallel over the samples: each part has
 * its own geometry buffer and writes only its samples' columns/gradients. */
typedef struct
{
  const GmNnConv *c;
  int             h, w, ho, wo, n0;
  const float    *x, *offset, *mask;
  GmNnDcnGeo     *geo;        /* parts × KK·P */
  float          *col;        /* sample s at col + s·col_step, row stride ld */
  gsize           col_step, ld;
  float          *dx, *doffset, *dmask;
} DcnJob;

static void
dcn_im2col_range (int part, int lo, int hi, gpointer data)
{
  const DcnJob *j = data;
  const GmNnConv *c = j->c;
  int P = j->ho * j->wo, KK = c->kh * c->kw;
  gsize in_sz = (gsize) c->cin * j->h * j->w;
  GmNnDcnGeo *geo = j->geo + (gsize) part * KK * P;

  for (int s = lo; s < hi; s++)
    {
      int ns = j->n0 + s;

      build_geo (c, j->h, j->w, j->ho, j->wo, j->offset + (gsize) ns * 2 * KK * P, geo);
      deform_im2col (c, j->h, j->w, P, j->x + ns * in_sz, j->mask + (gsize) ns * KK * P,
                     geo, j->col + s * j->col_step, j->ld);
    }
}

static void
dcn_scatter_range (int part, int lo, int hi, gpointer data)
{
  const DcnJob *j = data;
  const GmNnConv *c = j->c;
  int h = j->h, w = j->w;
  int P = j->ho * j->wo, KK = c->kh * c->kw;
  gsize in_sz = (gsize) c->cin * h * w;
  GmNnDcnGeo *geo = j->geo + (gsize) part * KK * P;

  for (int s = lo; s < hi; s++)
    {
      int ns = j->n0 + s;
      const float *xs = j->x + ns * in_sz;
      const float *ms = j->mask + (gsize) ns * KK * P;
      float *dxs = j->dx != NULL ? j->dx + ns * in_sz : NULL;
      float *dos = j->doffset != NULL ? j->doffset + (gsize) ns * 2 * KK * P : NULL;
      float *dms = j->dmask != NULL ? j->dmask + (gsize) ns * KK * P : NULL;
      const float *cols = j->col + s * j->col_step;

      build_geo (c, h, w, j->ho, j->wo, j->offset + (gsize) ns * 2 * KK * P, geo);
      for (int ch = 0; ch < c->cin; ch++)
        {
          const float *xc = xs + (gsize) ch * h * w;
          float *dxc = dxs != NULL ? dxs + (gsize) ch * h * w : NULL;

          for (int k = 0; k < KK; k++)
            {
              const float *drow = cols + (gsize) (ch * KK + k) * j->ld;
              const GmNnDcnGeo *gk = geo + (gsize) k * P;
              const float *mk = ms + (gsize) k * P;

              for (int p = 0; p < P; p++)
                {
                  const GmNnDcnGeo *g = gk + p;
                  float gr = drow[p];

                  if (!g->inrange || gr == 0.f)
                    continue;
                  float gm = gr * mk[p];
                  float v1 = g->valid[0] * xc[g->idx[0]];
                  float v2 = g->valid[1] * xc[g->idx[1]];
                  float v3 = g->valid[2] * xc[g->idx[2]];
                  float v4 = g->valid[3] * xc[g->idx[3]];

                  if (dms != NULL)
                    dms[(gsize) k * P + p] += gr * (g->wt[0] * v1 + g->wt[1] * v2
                                                    + g->wt[2] * v3 + g->wt[3] * v4);
                  if (dos != NULL)
                    {
                      dos[(gsize) (2 * k) * P + p] +=
                        gm * ((1.f - g->lw) * (v3 - v1) + g->lw * (v4 - v2));
                      dos[(gsize) (2 * k + 1) * P + p] +=
                        gm * ((1.f - g->lh) * (v2 - v1) + g->lh * (v4 - v3));
                    }
                  if (dxc != NULL)
                    for (int q = 0; q < 4; q++)
                      dxc[g->idx[q]] += gm * g->wt[q];
                }
            }
        }
    }
}

void
gm_nn_cpu_dcn_forward (gpointer        ctx,
                       const GmNnConv *c,
                       int             n,
                       int             h,
                       int             w,
                       const float    *x,
                       const float    *offset,
                       const float    *mask,
                       const float    *weight,
                       const float    *bias,
                       float          *y)
{
  GmNnCpu *cpu = ctx;
  int ho = gm_nn_conv_out_size (c, h), wo = gm_nn_conv_out_size (c, w);
  int P = ho * wo, KK = c->kh * c->kw, K = c->cin * KK;
  gsize out_sz = (gsize) c->cout * P;
  int nb = gm_nn_cpu_chunk ((gsize) K * P, n);
  GmNnDcnGeo *geo = geo_ws (cpu, (gsize) gm_nn_parallel_parts () * KK * P);
  gboolean per_sample = P >= GM_NN_PER_SAMPLE_MIN_P;
  float beta = bias != NULL ? 1.f : 0.f;

  if (per_sample && bias != NULL)
    gm_nn_fill_bias_nchw (y, bias, n, c->cout, P);
  for (int n0 = 0; n0 < n; n0 += nb)
    {
      int cnt = MIN (nb, n - n0);
      gsize ld = (gsize) cnt * P, per = (gsize) K * P;
      float *col = gm_nn_cpu_ws (cpu, GM_NN_WS_COL, (gsize) K * ld);
      DcnJob j = { c, h, w, ho, wo, n0, x, offset, mask, geo, col,
                   per_sample ? per : (gsize) P, per_sample ? (gsize) P : ld,
                   NULL, NULL, NULL };

      gm_nn_parallel_for (cnt, dcn_im2col_range, &j);
      if (per_sample)
        {
          for (int s = 0; s < cnt; s++)
            cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, c->cout, P, K,
                         1.f, weight, K, col + s * per, P, beta,
                         y + (n0 + s) * out_sz, P);
          continue;
        }
      float *out = gm_nn_cpu_ws (cpu, GM_NN_WS_OUT, (gsize) c->cout * ld);

      if (bias != NULL)
        for (int o = 0; o < c->cout; o++)
          for (gsize q = 0; q < ld; q++)
            out[o * ld + q] = bias[o];
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, c->cout, (int) ld, K,
                   1.f, weight, K, col, (int) ld, beta, out, (int) ld);
      gm_nn_from_cnp (out, cnt, c->cout, P, y + n0 * out_sz, FALSE);
    }
}

void
gm_nn_cpu_dcn_backward (gpointer        ctx,
                        const GmNnConv *c,
                        int             n,
                        int             h,
                        int             w,
                        const float    *x,
                        const float    *offset,
                        const float    *mask,
                        const float    *weight,
                        const float    *dy,
                        float          *dx,
                        float          *doffset,
                        float          *dmask,
                        float          *dw,
                        float          *db)
{
  GmNnCpu *cpu = ctx;
  int ho = gm_nn_conv_out_size (c, h), wo = gm_nn_conv_out_size (c, w);
  int P = ho * wo, KK = c->kh * c->kw, K = c->cin * KK;
  gsize out_sz = (gsize) c->cout * P;
  int nb = gm_nn_cpu_chunk ((gsize) K * P, n);
  GmNnDcnGeo *geo = geo_ws (cpu, (gsize) gm_nn_parallel_parts () * KK * P);
  gboolean need_cols = dx != NULL || doffset != NULL || dmask != NULL;
  gboolean per_sample = P >= GM_NN_PER_SAMPLE_MIN_P;

  if (db != NULL)
    gm_nn_bias_sum_nchw (dy, n, c->cout, P, db);
  if (dw == NULL && !need_cols)
    return;
  for (int n0 = 0; n0 < n; n0 += nb)
    {
      int cnt = MIN (nb, n - n0);
      gsize ld = (gsize) cnt * P, per = (gsize) K * P;
      float *col = gm_nn_cpu_ws (cpu, GM_NN_WS_COL, (gsize) K * ld);
      DcnJob j = { c, h, w, ho, wo, n0, x, offset, mask, geo, col,
                   per_sample ? per : (gsize) P, per_sample ? (gsize) P : ld,
                   dx, doffset, dmask };

      if (dw != NULL)
        gm_nn_parallel_for (cnt, dcn_im2col_range, &j);
      if (per_sample)
        {
          for (int s = 0; s < cnt; s++)
            {
              const float *dys = dy + (n0 + s) * out_sz;

              if (dw != NULL)
                cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, c->cout, K, P,
                             1.f, dys, P, col + s * per, P, 1.f, dw, K);
              if (need_cols)
                cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, K, P, c->cout,
                             1.f, weight, K, dys, P, 0.f, col + s * per, P);
            }
        }
      else
        {
          float *dyt = gm_nn_cpu_ws (cpu, GM_NN_WS_OUT, (gsize) c->cout * ld);

          gm_nn_to_cnp (dy + n0 * out_sz, cnt, c->cout, P, dyt);
          if (dw != NULL)
            cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, c->cout, K, (int) ld,
                         1.f, dyt, (int) ld, col, (int) ld, 1.f, dw, K);
          if (need_cols)
            cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, K, (int) ld, c->cout,
                         1.f, weight, K, dyt, (int) ld, 0.f, col, (int) ld);
        }
      if (need_cols)
        gm_nn_parallel_for (cnt, dcn_scatter_range, &j);
    }
}
