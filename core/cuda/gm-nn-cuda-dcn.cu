/* gm-nn-cuda-dcn.cu — modulated deformable convolution kernels (DCNv2,
 * deformable groups 1, spec §3) of the CUDA backend
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Mirrors core/gm-nn-dcn.c: the sampling point of tap k = (i, j) at output
 * pixel (oy, ox) is (oy·stride − pad + i·dil + Δy, ox·stride − pad + j·dil
 * + Δx) with Δy = offset[2k], Δx = offset[2k+1] (interleaved (dy, dx) per
 * tap); points with py ∉ (−1, h) or px ∉ (−1, w) sample 0; otherwise the
 * bilinear weights of the four corners, corners outside the image counting
 * 0.  The column entry is mask · Σ_q wt_q · x[corner_q].
 *
 * One thread per (sample, tap, output pixel) computes the geometry once
 * and loops over the input channels (as the CPU shares it over channels).
 * In the backward pass that thread owns d(offset) and d(mask) of its
 * (sample, tap, pixel), summed over channels in registers, and scatters
 * into dx with atomicAdd (several sampling points hit the same pixel).
 */
#include "gm-nn-cuda-kernels.h"

#include <cuda_runtime.h>

namespace {

struct Geo
{
  int   idx[4];
  float valid[4];
  float wt[4];
  float lh, lw;
  bool  inrange;
};

__device__ __forceinline__ void
dcn_geo (const GmkDcn &d, int k, int p, const float *off, Geo &g)
{
  const int P = d.ho * d.wo;
  const int i = k / d.kw, j = k % d.kw;
  const int oy = p / d.wo, ox = p % d.wo;
  const float py = (float) (oy * d.stride - d.pad + i * d.dil) + off[(size_t) (2 * k) * P + p];
  const float px = (float) (ox * d.stride - d.pad + j * d.dil) + off[(size_t) (2 * k + 1) * P + p];

  if (!(py > -1.f && py < (float) d.h && px > -1.f && px < (float) d.w))
    {
      g.inrange = false;
      for (int q = 0; q < 4; q++)
        {
          g.idx[q] = 0;
          g.valid[q] = 0.f;
          g.wt[q] = 0.f;
        }
      g.lh = g.lw = 0.f;
      return;
    }
  const int h0 = (int) floorf (py), w0 = (int) floorf (px);
  const float lh = py - (float) h0, lw = px - (float) w0;
  const float bw[4] = { (1.f - lh) * (1.f - lw), (1.f - lh) * lw, lh * (1.f - lw), lh * lw };
  const int ch[4] = { h0, h0, h0 + 1, h0 + 1 };
  const int cw[4] = { w0, w0 + 1, w0, w0 + 1 };

  g.inrange = true;
  g.lh = lh;
  g.lw = lw;
  for (int q = 0; q < 4; q++)
    {
      const bool ok = ch[q] >= 0 && ch[q] < d.h && cw[q] >= 0 && cw[q] < d.w;
      g.idx[q] = ok ? ch[q] * d.w + cw[q] : 0;
      g.valid[q] = ok ? 1.f : 0.f;
      g.wt[q] = ok ? bw[q] : 0.f;
    }
}

__global__ void
dcn_im2col_kernel (GmkDcn d, int cnt, const float *__restrict__ x,
                   const float *__restrict__ offset, const float *__restrict__ mask,
                   float *__restrict__ col)
{
  const int KK = d.kh * d.kw, P = d.ho * d.wo;
  const size_t total = (size_t) cnt * KK * P;
  const size_t in_sz = (size_t) d.cin * d.h * d.w, hw = (size_t) d.h * d.w;

  for (size_t t = (size_t) blockIdx.x * blockDim.x + threadIdx.x; t < total;
       t += (size_t) gridDim.x * blockDim.x)
    {
      const int p = (int) (t % P);
      const size_t r = t / P;
      const int k = (int) (r % KK);
      const int s = (int) (r / KK);
      Geo g;

      dcn_geo (d, k, p, offset + (size_t) s * 2 * KK * P, g);
      const float m = mask[((size_t) s * KK + k) * P + p];
      const float *xs = x + (size_t) s * in_sz;
      float *cs = col + (size_t) s * d.cin * KK * P + (size_t) k * P + p;

      for (int c = 0; c < d.cin; c++)
        {
          const float *xc = xs + (size_t) c * hw;
          float v = 0.f;

          if (g.inrange)
            v = m * (g.wt[0] * xc[g.idx[0]] + g.wt[1] * xc[g.idx[1]]
                     + g.wt[2] * xc[g.idx[2]] + g.wt[3] * xc[g.idx[3]]);
          cs[(size_t) c * KK * P] = v;
        }
    }
}

__global__ void
dcn_scatter_kernel (GmkDcn d, int cnt, const float *__restrict__ x,
                    const float *__restrict__ offset, const float *__restrict__ mask,
                    const float *__restrict__ colgrad, float *dx, float *doffset, float *dmask)
{
  const int KK = d.kh * d.kw, P = d.ho * d.wo;
  const size_t total = (size_t) cnt * KK * P;
  const size_t in_sz = (size_t) d.cin * d.h * d.w, hw = (size_t) d.h * d.w;

  for (size_t t = (size_t) blockIdx.x * blockDim.x + threadIdx.x; t < total;
       t += (size_t) gridDim.x * blockDim.x)
    {
      const int p = (int) (t % P);
      const size_t r = t / P;
      const int k = (int) (r % KK);
      const int s = (int) (r / KK);
      Geo g;

      dcn_geo (d, k, p, offset + (size_t) s * 2 * KK * P, g);
      if (!g.inrange)
        continue;
      const float m = mask[((size_t) s * KK + k) * P + p];
      const float *xs = x + (size_t) s * in_sz;
      float *dxs = dx != NULL ? dx + (size_t) s * in_sz : NULL;
      const float *cg = colgrad + (size_t) s * d.cin * KK * P + (size_t) k * P + p;
      float dm = 0.f, doy = 0.f, dox = 0.f;

      for (int c = 0; c < d.cin; c++)
        {
          const float gr = cg[(size_t) c * KK * P];

          if (gr == 0.f)
            continue;
          const float *xc = xs + (size_t) c * hw;
          const float gm = gr * m;
          const float v1 = g.valid[0] * xc[g.idx[0]];
          const float v2 = g.valid[1] * xc[g.idx[1]];
          const float v3 = g.valid[2] * xc[g.idx[2]];
          const float v4 = g.valid[3] * xc[g.idx[3]];

          dm += gr * (g.wt[0] * v1 + g.wt[1] * v2 + g.wt[2] * v3 + g.wt[3] * v4);
          doy += gm * ((1.f - g.lw) * (v3 - v1) + g.lw * (v4 - v2));
          dox += gm * ((1.f - g.lh) * (v2 - v1) + g.lh * (v4 - v3));
          if (dxs != NULL)
            {
              float *dxc = dxs + (size_t) c * hw;
              for (int q = 0; q < 4; q++)
                if (g.valid[q] != 0.f)
                  atomicAdd (dxc + g.idx[q], gm * g.wt[q]);
            }
        }
      if (dmask != NULL)
        dmask[((size_t) s * KK + k) * P + p] += dm;
      if (doffset != NULL)
        {
          float *dos = doffset + (size_t) s * 2 * KK * P;
          dos[(size_t) (2 * k) * P + p] += doy;
          dos[(size_t) (2 * k + 1) * P + p] += dox;
        }
    }
}

unsigned int
grid_for (size_t total, int block)
{
  size_t b = (total + block - 1) / block;

  if (b > 65535u * 8u)
    b = 65535u * 8u;
  return (unsigned int) (b > 0 ? b : 1);
}

}  // namespace

extern "C" void
gmk_dcn_im2col (cudaStream_t st, const GmkDcn *d, int cnt, const float *x,
                const float *offset, const float *mask, float *col)
{
  const size_t total = (size_t) cnt * d->kh * d->kw * d->ho * d->wo;

  if (total == 0)
    return;
  dcn_im2col_kernel<<<grid_for (total, 256), 256, 0, st>>> (*d, cnt, x, offset, mask, col);
}

extern "C" void
gmk_dcn_scatter (cudaStream_t st, const GmkDcn *d, int cnt, const float *x,
                 const float *offset, const float *mask, const float *colgrad,
                 float *dx, float *doffset, float *dmask)
{
  const size_t total = (size_t) cnt * d->kh * d->kw * d->ho * d->wo;

  if (total == 0)
    return;
  dcn_scatter_kernel<<<grid_for (total, 256), 256, 0, st>>> (*d, cnt, x, offset, mask, colgrad,
                                                               dx, doffset, dmask);
}
