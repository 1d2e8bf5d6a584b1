/* gm-nn-cuda-kernels.cu — the memory-bound kernels of the CUDA backend
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each launcher mirrors the primitive of the same name in
 * core/gm-nn-cpu.c (see gm-nn-cuda-kernels.h); comments note where the
 * order of floating-point operations differs from the CPU (reductions
 * done as trees, atomics, nvcc's default FMA contraction).
 */
#include "gm-nn-cuda-kernels.h"
#include "gm-nn-whiten.h"

#include <cuda_runtime.h>

#define BLOCK 256

namespace {

unsigned int
grid_for (size_t total)
{
  size_t b = (total + BLOCK - 1) / BLOCK;

  if (b > 65535u * 8u)
    b = 65535u * 8u;
  return (unsigned int) (b > 0 ? b : 1);
}

#define GRID_STRIDE(t, total) \
  for (size_t t = (size_t) blockIdx.x * blockDim.x + threadIdx.x; t < (total); \
       t += (size_t) gridDim.x * blockDim.x)

/* Sum of v over the block (blockDim.x a multiple of 32, ≤ 1024); the
 * result is valid in thread 0. */
__device__ double
block_sum (double v)
{
  __shared__ double sh[32];
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
  const int nw = (blockDim.x + 31) >> 5;

  for (int o = 16; o > 0; o >>= 1)
    v += __shfl_down_sync (0xffffffffu, v, o);
  __syncthreads ();
  if (lane == 0)
    sh[wid] = v;
  __syncthreads ();
  if (wid == 0)
    {
      v = lane < nw ? sh[lane] : 0.0;
      for (int o = 16; o > 0; o >>= 1)
        v += __shfl_down_sync (0xffffffffu, v, o);
    }
  return v;
}

__device__ float
block_max (float v)
{
  __shared__ float sh[32];
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
  const int nw = (blockDim.x + 31) >> 5;

  for (int o = 16; o > 0; o >>= 1)
    {
      float u = __shfl_down_sync (0xffffffffu, v, o);
      v = u > v ? u : v;
    }
  __syncthreads ();
  if (lane == 0)
    sh[wid] = v;
  __syncthreads ();
  if (wid == 0)
    {
      v = lane < nw ? sh[lane] : sh[0];
      for (int o = 16; o > 0; o >>= 1)
        {
          float u = __shfl_down_sync (0xffffffffu, v, o);
          v = u > v ? u : v;
        }
    }
  return v;
}

__device__ int
block_min_int (int v)
{
  __shared__ int sh[32];
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
  const int nw = (blockDim.x + 31) >> 5;

  for (int o = 16; o > 0; o >>= 1)
    v = min (v, __shfl_down_sync (0xffffffffu, v, o));
  __syncthreads ();
  if (lane == 0)
    sh[wid] = v;
  __syncthreads ();
  if (wid == 0)
    {
      v = lane < nw ? sh[lane] : 0x7fffffff;
      for (int o = 16; o > 0; o >>= 1)
        v = min (v, __shfl_down_sync (0xffffffffu, v, o));
    }
  return v;
}

/* Warp sum, then one atomicAdd per warp. */
__device__ void
warp_atomic_add (double *dst, double v)
{
  for (int o = 16; o > 0; o >>= 1)
    v += __shfl_down_sync (0xffffffffu, v, o);
  if ((threadIdx.x & 31) == 0)
    atomicAdd (dst, v);
}

__device__ __forceinline__ float
signf_dev (float v)
{
  return v > 0.f ? 1.f : (v < 0.f ? -1.f : 0.f);
}

__device__ __forceinline__ int
reflect (int i, int n)
{
  if (i < 0)
    return -i;
  if (i >= n)
    return 2 * (n - 1) - i;
  return i;
}

/* ------------------------------------------------------------ elementwise */

__global__ void
fill_k (float *y, size_t n, float v)
{
  GRID_STRIDE (i, n)
    y[i] = v;
}

__global__ void
axpby_k (size_t n, float a, const float *x, float b, float *y)
{
  GRID_STRIDE (i, n)
    {
      if (b == 0.f)
        y[i] = a * x[i];   /* y is not read: b == 0 overwrites whatever it held */
      else if (b == 1.f)
        y[i] += a * x[i];
      else
        y[i] = a * x[i] + b * y[i];
    }
}

/* act: 0 relu, 1 sigmoid, 2 tanh (GmNnAct) */
__global__ void
act_fwd_k (int act, size_t n, const float *x, float *y)
{
  GRID_STRIDE (i, n)
    {
      float v = x[i];
      if (act == 0)
        y[i] = v > 0.f ? v : 0.f;
      else if (act == 1)
        y[i] = 1.f / (1.f + expf (-v));
      else
        y[i] = tanhf (v);
    }
}

__global__ void
act_bwd_k (int act, size_t n, const float *y, const float *dy, float *dx)
{
  GRID_STRIDE (i, n)
    {
      if (act == 0)
        dx[i] += y[i] > 0.f ? dy[i] : 0.f;
      else if (act == 1)
        dx[i] += dy[i] * y[i] * (1.f - y[i]);
      else
        dx[i] += dy[i] * (1.f - y[i] * y[i]);
    }
}

__global__ void
add_bias_k (float *y, const float *bias, int c, int p, size_t total)
{
  GRID_STRIDE (i, total)
    y[i] += bias[(i / p) % c];
}

/* one block per channel o */
__global__ void
bias_sum_k (const float *dy, int n, int c, int p, float *db)
{
  const int o = blockIdx.x;
  double s = 0;

  for (int si = 0; si < n; si++)
    {
      const float *r = dy + ((size_t) si * c + o) * p;
      for (int q = threadIdx.x; q < p; q += blockDim.x)
        s += r[q];
    }
  s = block_sum (s);
  if (threadIdx.x == 0)
    db[o] += (float) s;
}

__global__ void
add_bias_rows_k (float *y, const float *bias, int c, size_t total)
{
  GRID_STRIDE (i, total)
    y[i] += bias[i % c];
}

/* thread per output o; sequential over rows as the CPU */
__global__ void
bias_sum_rows_k (const float *dy, int n, int c, float *db)
{
  const int o = blockIdx.x * blockDim.x + threadIdx.x;

  if (o >= c)
    return;
  float acc = db[o];
  for (int s = 0; s < n; s++)
    acc += dy[(size_t) s * c + o];
  db[o] = acc;
}

/* ------------------------------------------------------------ reflection pad */

__global__ void
reflect_fwd_k (int nc, int h, int w, int pad, const float *x, float *y)
{
  const int hp = h + 2 * pad, wp = w + 2 * pad;
  const size_t total = (size_t) nc * hp * wp;

  GRID_STRIDE (t, total)
    {
      const int j = (int) (t % wp), i = (int) ((t / wp) % hp);
      const size_t c = t / ((size_t) hp * wp);
      y[t] = x[(c * h + reflect (i - pad, h)) * w + reflect (j - pad, w)];
    }
}

/* several padded positions map to one source pixel: atomics */
__global__ void
reflect_bwd_k (int nc, int h, int w, int pad, const float *dy, float *dx)
{
  const int hp = h + 2 * pad, wp = w + 2 * pad;
  const size_t total = (size_t) nc * hp * wp;

  GRID_STRIDE (t, total)
    {
      const int j = (int) (t % wp), i = (int) ((t / wp) % hp);
      const size_t c = t / ((size_t) hp * wp);
      atomicAdd (dx + (c * h + reflect (i - pad, h)) * w + reflect (j - pad, w), dy[t]);
    }
}

/* ------------------------------------------------------------ pooling (block per row) */

__global__ void
gavg_fwd_k (int hw, const float *x, float *y)
{
  const float *r = x + (size_t) blockIdx.x * hw;
  double s = 0;

  for (int p = threadIdx.x; p < hw; p += blockDim.x)
    s += r[p];
  s = block_sum (s);
  if (threadIdx.x == 0)
    y[blockIdx.x] = (float) (s / hw);
}

__global__ void
gavg_bwd_k (int hw, const float *dy, float *dx, size_t total)
{
  GRID_STRIDE (t, total)
    dx[t] += dy[t / hw] / (float) hw;
}

__global__ void
gmax_fwd_k (int hw, const float *x, float *y)
{
  const float *r = x + (size_t) blockIdx.x * hw;
  float m = r[0];

  for (int p = threadIdx.x; p < hw; p += blockDim.x)
    m = r[p] > m ? r[p] : m;
  m = block_max (m);
  if (threadIdx.x == 0)
    y[blockIdx.x] = m;
}

/* the FIRST position holding the maximum gets dy, as on the CPU */
__global__ void
gmax_bwd_k (int hw, const float *x, const float *y, const float *dy, float *dx)
{
  const size_t row = blockIdx.x;
  const float *r = x + row * hw;
  const float ym = y[row];
  int first = 0x7fffffff;

  for (int p = threadIdx.x; p < hw; p += blockDim.x)
    if (r[p] == ym)
      {
        first = p;
        break;
      }
  first = block_min_int (first);
  if (threadIdx.x == 0 && first < hw)
    dx[row * hw + first] += dy[row];
}

/* ------------------------------------------------------------ CBAM channel pool */

/* thread per (sample, pixel); channel order and float sums as the CPU */
__global__ void
chanpool_fwd_k (int n, int c, int hw, const float *x, float *y)
{
  const size_t total = (size_t) n * hw;

  GRID_STRIDE (t, total)
    {
      const int p = (int) (t % hw);
      const size_t s = t / hw;
      const float *xs = x + s * c * hw;
      float mx = xs[p], mean = xs[p];

      for (int ch = 1; ch < c; ch++)
        {
          const float v = xs[(size_t) ch * hw + p];
          mx = v > mx ? v : mx;
          mean += v;
        }
      y[s * 2 * hw + p] = mx;
      y[s * 2 * hw + hw + p] = mean / (float) c;
    }
}

__global__ void
chanpool_bwd_k (int n, int c, int hw, const float *x, const float *y, const float *dy, float *dx)
{
  const size_t total = (size_t) n * hw;

  GRID_STRIDE (t, total)
    {
      const int p = (int) (t % hw);
      const size_t s = t / hw;
      const float *xs = x + s * c * hw;
      float *dxs = dx + s * c * hw;
      const float mx = y[s * 2 * hw + p];
      const float dmx = dy[s * 2 * hw + p], dmean = dy[s * 2 * hw + hw + p];
      bool done = false;

      for (int ch = 0; ch < c; ch++)
        {
          float d = dxs[(size_t) ch * hw + p];
          d += dmean / (float) c;
          if (!done && xs[(size_t) ch * hw + p] == mx)
            {
              d += dmx;
              done = true;
            }
          dxs[(size_t) ch * hw + p] = d;
        }
    }
}

/* ------------------------------------------------------------ gates */

__global__ void
chgate_fwd_k (int hw, const float *x, const float *g, float *y, size_t total)
{
  GRID_STRIDE (t, total)
    y[t] = x[t] * g[t / hw];
}

/* block per (sample, channel) row */
__global__ void
chgate_bwd_k (int hw, const float *x, const float *g, const float *dy, float *dx, float *dg)
{
  const size_t i = blockIdx.x;
  const float *d = dy + i * hw;

  if (dg != NULL)
    {
      const float *r = x + i * hw;
      double s = 0;
      for (int p = threadIdx.x; p < hw; p += blockDim.x)
        s += d[p] * r[p];
      s = block_sum (s);
      if (threadIdx.x == 0)
        dg[i] += (float) s;
    }
  if (dx != NULL)
    for (int p = threadIdx.x; p < hw; p += blockDim.x)
      dx[i * hw + p] += d[p] * g[i];
}

__global__ void
spgate_fwd_k (int c, int hw, const float *x, const float *g, float *y, size_t total)
{
  GRID_STRIDE (t, total)
    {
      const size_t p = t % hw, s = t / ((size_t) c * hw);
      y[t] = x[t] * g[s * hw + p];
    }
}

/* thread per (sample, pixel), channels in the CPU's order */
__global__ void
spgate_bwd_k (int n, int c, int hw, const float *x, const float *g, const float *dy,
              float *dx, float *dg)
{
  const size_t total = (size_t) n * hw;

  GRID_STRIDE (t, total)
    {
      const size_t p = t % hw, s = t / hw;
      float acc = dg != NULL ? dg[s * hw + p] : 0.f;
      const float gv = g[s * hw + p];

      for (int ch = 0; ch < c; ch++)
        {
          const size_t o = (s * c + ch) * hw + p;
          if (dg != NULL)
            acc += dy[o] * x[o];
          if (dx != NULL)
            dx[o] += dy[o] * gv;
        }
      if (dg != NULL)
        dg[s * hw + p] = acc;
    }
}

/* ------------------------------------------------------------ concat */

__global__ void
concat_k (int ca, int cb, int hw, const float *a, const float *b, float *y, size_t total)
{
  const size_t sa = (size_t) ca * hw, sb = (size_t) cb * hw;

  GRID_STRIDE (t, total)
    {
      const size_t s = t / (sa + sb), r = t % (sa + sb);
      y[t] = r < sa ? a[s * sa + r] : b[s * sb + (r - sa)];
    }
}

__global__ void
split_add_k (int ca, int cb, int hw, const float *y, float *a, float *b, size_t total)
{
  const size_t sa = (size_t) ca * hw, sb = (size_t) cb * hw;

  GRID_STRIDE (t, total)
    {
      const size_t s = t / (sa + sb), r = t % (sa + sb);
      if (r < sa)
        {
          if (a != NULL)
            a[s * sa + r] += y[t];
        }
      else if (b != NULL)
        b[s * sb + (r - sa)] += y[t];
    }
}

/* ------------------------------------------------------------ batch norm */

/* block per channel: statistics, running buffers, saved, a/b in scratch */
__global__ void
bn_stats_k (int train, int n, int c, int hw, const float *x, const float *gamma,
            const float *beta, float *running_mean, float *running_var, float momentum,
            float eps, float *saved, double *scratch)
{
  __shared__ double sh_mean;
  const int ch = blockIdx.x;
  const double m = (double) n * hw;
  double mean, var;

  if (train)
    {
      double s = 0;
      for (int i = 0; i < n; i++)
        {
          const float *r = x + ((size_t) i * c + ch) * hw;
          for (int p = threadIdx.x; p < hw; p += blockDim.x)
            s += r[p];
        }
      s = block_sum (s);
      if (threadIdx.x == 0)
        sh_mean = s / m;
      __syncthreads ();
      mean = sh_mean;
      double s2 = 0;
      for (int i = 0; i < n; i++)
        {
          const float *r = x + ((size_t) i * c + ch) * hw;
          for (int p = threadIdx.x; p < hw; p += blockDim.x)
            s2 += (r[p] - mean) * (r[p] - mean);
        }
      s2 = block_sum (s2);
      if (threadIdx.x != 0)
        return;
      var = s2 / m;
      if (running_mean != NULL)
        running_mean[ch] = (float) ((1 - momentum) * running_mean[ch] + momentum * mean);
      if (running_var != NULL)
        running_var[ch] = (float) ((1 - momentum) * running_var[ch]
                                   + momentum * (m > 1 ? var * m / (m - 1) : var));
    }
  else
    {
      if (threadIdx.x != 0)
        return;
      mean = running_mean[ch];
      var = running_var[ch];
    }
  const double inv = 1.0 / sqrt (var + eps);
  saved[ch] = (float) mean;
  saved[c + ch] = (float) inv;
  scratch[ch] = (float) (gamma[ch] * inv);
  scratch[c + ch] = (float) (beta[ch] - gamma[ch] * inv * mean);
}

__global__ void
bn_apply_k (int c, int hw, const float *x, const double *scratch, float *y, size_t total)
{
  GRID_STRIDE (t, total)
    {
      const int ch = (int) ((t / hw) % c);
      const float a = (float) scratch[ch], b = (float) scratch[c + ch];
      y[t] = a * x[t] + b;
    }
}

__global__ void
bn_bsums_k (int n, int c, int hw, const float *x, const float *saved, const float *dy,
            float *dgamma, float *dbeta, double *scratch)
{
  const int ch = blockIdx.x;
  const double mean = saved[ch], inv = saved[c + ch];
  double sdy = 0, sdyx = 0;

  for (int i = 0; i < n; i++)
    {
      const float *r = x + ((size_t) i * c + ch) * hw;
      const float *d = dy + ((size_t) i * c + ch) * hw;
      for (int p = threadIdx.x; p < hw; p += blockDim.x)
        {
          sdy += d[p];
          sdyx += d[p] * (r[p] - mean) * inv;
        }
    }
  sdy = block_sum (sdy);
  __syncthreads ();
  sdyx = block_sum (sdyx);
  if (threadIdx.x == 0)
    {
      if (dgamma != NULL)
        dgamma[ch] += (float) sdyx;
      if (dbeta != NULL)
        dbeta[ch] += (float) sdy;
      scratch[ch] = sdy;
      scratch[c + ch] = sdyx;
    }
}

__global__ void
bn_bdx_k (int train, int n, int c, int hw, const float *x, const float *gamma,
          const float *saved, const float *dy, float *dx, const double *scratch, size_t total)
{
  const double m = (double) n * hw;

  GRID_STRIDE (t, total)
    {
      const int ch = (int) ((t / hw) % c);
      const double mean = saved[ch], inv = saved[c + ch];
      if (train)
        {
          const double xh = (x[t] - mean) * inv;
          dx[t] += (float) (gamma[ch] * inv * (dy[t] - scratch[ch] / m - xh * scratch[c + ch] / m));
        }
      else
        dx[t] += (float) (gamma[ch] * inv * dy[t]);
    }
}

/* ------------------------------------------------------------ whitening */

__device__ __forceinline__ void
patch_values (int n, int h, int w, int ph, int pw, size_t t, const float *x, double v[9])
{
  const int tx = (int) (t % pw), ty = (int) ((t / pw) % ph);
  const size_t s = t / ((size_t) pw * ph);

  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      {
        const int y = ty * 3 - 1 + i, xx = tx * 3 - 1 + j;
        v[i * 3 + j] = (y >= 0 && y < h && xx >= 0 && xx < w) ? x[(s * h + y) * w + xx] : 0.0;
      }
}

__global__ void
whiten_sum_k (int n, int h, int w, const float *x, double *acc)
{
  const int ph = (h + 2 - 3) / 3 + 1, pw = (w + 2 - 3) / 3 + 1;
  const size_t M = (size_t) n * ph * pw;
  double sum[9] = { 0 };

  /* every thread of a warp runs the same number of iterations of this
   * loop shape: the warp shuffles below need all 32 lanes */
  GRID_STRIDE (t, M)
    {
      double v[9];
      patch_values (n, h, w, ph, pw, t, x, v);
      for (int a = 0; a < 9; a++)
        sum[a] += v[a];
    }
  for (int a = 0; a < 9; a++)
    warp_atomic_add (acc + a, sum[a]);
}

__global__ void
whiten_cov_k (int n, int h, int w, const float *x, double *acc)
{
  const int ph = (h + 2 - 3) / 3 + 1, pw = (w + 2 - 3) / 3 + 1;
  const size_t M = (size_t) n * ph * pw;
  double mean[9], cov[45] = { 0 };

  for (int a = 0; a < 9; a++)
    mean[a] = acc[a] / (double) M;
  GRID_STRIDE (t, M)
    {
      double v[9];
      patch_values (n, h, w, ph, pw, t, x, v);
      int q = 0;
      for (int a = 0; a < 9; a++)
        for (int b = a; b < 9; b++)
          cov[q++] += (v[a] - mean[a]) * (v[b] - mean[b]);
    }
  for (int q = 0; q < 45; q++)
    warp_atomic_add (acc + 9 + q, cov[q]);
}

/* one thread: the Newton–Schulz iteration of cpu_whiten_stats, verbatim */
__global__ void
whiten_finish_k (int n, int h, int w, float eps, float momentum, float *mu, float *D,
                 float *running_mean, float *running_deconv, const double *acc)
{
  const int ph = (h + 2 - 3) / 3 + 1, pw = (w + 2 - 3) / 3 + 1;
  const double M = (double) n * ph * pw;
  double mean[9], cov[81];
  int q = 0;

  for (int a = 0; a < 9; a++)
    mean[a] = acc[a] / M;
  for (int a = 0; a < 9; a++)
    for (int b = a; b < 9; b++)
      cov[a * 9 + b] = acc[9 + q++];
  gm_nn_whiten_finish (mean, cov, M, eps, momentum, mu, D, running_mean, running_deconv);
}

__global__ void
whiten_eff_k (const float *weight, const float *bias, const float *mu, const float *D, float *weff)
{
  double b = bias != NULL ? bias[0] : 0.0;

  for (int j = 0; j < 9; j++)
    {
      double s = 0;
      for (int i = 0; i < 9; i++)
        s += (double) weight[i] * D[i * 9 + j];
      weff[j] = (float) s;
      b -= s * mu[j];
    }
  weff[9] = (float) b;
}

__global__ void
whiten_grad_k (const float *gw, const float *gb, const float *mu, const float *D, float *dw, float *db)
{
  if (dw != NULL)
    for (int i = 0; i < 9; i++)
      {
        double s = 0;
        for (int j = 0; j < 9; j++)
          s += ((double) gw[j] - (double) gb[0] * mu[j]) * D[i * 9 + j];
        dw[i] += (float) s;
      }
  if (db != NULL)
    db[0] += gb[0];
}

/* ------------------------------------------------------------ loss */

__global__ void
loss_diff_k (size_t n, const float *out, const float *target, float *e, double *acc)
{
  double s = 0;

  GRID_STRIDE (i, n)
    {
      const float v = out[i] - target[i];
      e[i] = v;
      s += fabs ((double) v);
    }
  s = block_sum (s);
  if (threadIdx.x == 0)
    atomicAdd (acc, s);
}

__global__ void
loss_freq_k (size_t n, float *re, float *im, double *acc)
{
  double s = 0;

  GRID_STRIDE (i, n)
    {
      s += fabs ((double) re[i]) + fabs ((double) im[i]);
      re[i] = signf_dev (re[i]);
      im[i] = signf_dev (im[i]);
    }
  s = block_sum (s);
  if (threadIdx.x == 0)
    atomicAdd (acc, s);
}

__global__ void
loss_grad_l1_k (size_t n, const float *e, float k1, float *grad)
{
  GRID_STRIDE (i, n)
    grad[i] = k1 * signf_dev (e[i]);
}

/* ------------------------------------------------------------ Adam */

__global__ void
adam_k (size_t n, float *param, const float *grad, float *m, float *v, float beta1,
        float beta2, float eps, float step_size, float sbc2)
{
  GRID_STRIDE (i, n)
    {
      const float g = grad[i];
      const float mi = beta1 * m[i] + (1.f - beta1) * g;
      const float vi = beta2 * v[i] + (1.f - beta2) * g * g;
      m[i] = mi;
      v[i] = vi;
      param[i] -= step_size * mi / (sqrtf (vi) / sbc2 + eps);
    }
}

}  // namespace

/* ------------------------------------------------------------ launchers */

extern "C" {

void
gmk_fill (cudaStream_t st, float *y, size_t n, float v)
{
  if (n == 0)
    return;
  if (v == 0.f)
    cudaMemsetAsync (y, 0, n * sizeof (float), st);
  else
    fill_k<<<grid_for (n), BLOCK, 0, st>>> (y, n, v);
}

void
gmk_axpby (cudaStream_t st, size_t n, float a, const float *x, float b, float *y)
{
  if (n > 0)
    axpby_k<<<grid_for (n), BLOCK, 0, st>>> (n, a, x, b, y);
}

void
gmk_act_forward (cudaStream_t st, int act, size_t n, const float *x, float *y)
{
  if (n > 0)
    act_fwd_k<<<grid_for (n), BLOCK, 0, st>>> (act, n, x, y);
}

void
gmk_act_backward (cudaStream_t st, int act, size_t n, const float *y, const float *dy, float *dx)
{
  if (n > 0)
    act_bwd_k<<<grid_for (n), BLOCK, 0, st>>> (act, n, y, dy, dx);
}

void
gmk_add_bias (cudaStream_t st, float *y, const float *bias, int n, int c, int p)
{
  size_t total = (size_t) n * c * p;

  if (total > 0)
    add_bias_k<<<grid_for (total), BLOCK, 0, st>>> (y, bias, c, p, total);
}

void
gmk_bias_sum (cudaStream_t st, const float *dy, int n, int c, int p, float *db)
{
  if (c > 0)
    bias_sum_k<<<c, BLOCK, 0, st>>> (dy, n, c, p, db);
}

void
gmk_add_bias_rows (cudaStream_t st, float *y, const float *bias, int n, int c)
{
  size_t total = (size_t) n * c;

  if (total > 0)
    add_bias_rows_k<<<grid_for (total), BLOCK, 0, st>>> (y, bias, c, total);
}

void
gmk_bias_sum_rows (cudaStream_t st, const float *dy, int n, int c, float *db)
{
  if (c > 0)
    bias_sum_rows_k<<<(c + BLOCK - 1) / BLOCK, BLOCK, 0, st>>> (dy, n, c, db);
}

void
gmk_reflect_pad_forward (cudaStream_t st, int nc, int h, int w, int pad, const float *x, float *y)
{
  size_t total = (size_t) nc * (h + 2 * pad) * (w + 2 * pad);

  if (total > 0)
    reflect_fwd_k<<<grid_for (total), BLOCK, 0, st>>> (nc, h, w, pad, x, y);
}

void
gmk_reflect_pad_backward (cudaStream_t st, int nc, int h, int w, int pad, const float *dy, float *dx)
{
  size_t total = (size_t) nc * (h + 2 * pad) * (w + 2 * pad);

  if (total > 0)
    reflect_bwd_k<<<grid_for (total), BLOCK, 0, st>>> (nc, h, w, pad, dy, dx);
}

void
gmk_global_avg_forward (cudaStream_t st, int nc, int hw, const float *x, float *y)
{
  if (nc > 0)
    gavg_fwd_k<<<nc, BLOCK, 0, st>>> (hw, x, y);
}

void
gmk_global_avg_backward (cudaStream_t st, int nc, int hw, const float *dy, float *dx)
{
  size_t total = (size_t) nc * hw;

  if (total > 0)
    gavg_bwd_k<<<grid_for (total), BLOCK, 0, st>>> (hw, dy, dx, total);
}

void
gmk_global_max_forward (cudaStream_t st, int nc, int hw, const float *x, float *y)
{
  if (nc > 0)
    gmax_fwd_k<<<nc, BLOCK, 0, st>>> (hw, x, y);
}

void
gmk_global_max_backward (cudaStream_t st, int nc, int hw, const float *x, const float *y,
                         const float *dy, float *dx)
{
  if (nc > 0)
    gmax_bwd_k<<<nc, BLOCK, 0, st>>> (hw, x, y, dy, dx);
}

void
gmk_chanpool_forward (cudaStream_t st, int n, int c, int hw, const float *x, float *y)
{
  size_t total = (size_t) n * hw;

  if (total > 0)
    chanpool_fwd_k<<<grid_for (total), BLOCK, 0, st>>> (n, c, hw, x, y);
}

void
gmk_chanpool_backward (cudaStream_t st, int n, int c, int hw, const float *x, const float *y,
                       const float *dy, float *dx)
{
  size_t total = (size_t) n * hw;

  if (total > 0)
    chanpool_bwd_k<<<grid_for (total), BLOCK, 0, st>>> (n, c, hw, x, y, dy, dx);
}

void
gmk_chgate_forward (cudaStream_t st, int n, int c, int hw, const float *x, const float *g, float *y)
{
  size_t total = (size_t) n * c * hw;

  if (total > 0)
    chgate_fwd_k<<<grid_for (total), BLOCK, 0, st>>> (hw, x, g, y, total);
}

void
gmk_chgate_backward (cudaStream_t st, int n, int c, int hw, const float *x, const float *g,
                     const float *dy, float *dx, float *dg)
{
  if ((size_t) n * c > 0 && (dx != NULL || dg != NULL))
    chgate_bwd_k<<<(unsigned int) ((size_t) n * c), BLOCK, 0, st>>> (hw, x, g, dy, dx, dg);
}

void
gmk_spgate_forward (cudaStream_t st, int n, int c, int hw, const float *x, const float *g, float *y)
{
  size_t total = (size_t) n * c * hw;

  if (total > 0)
    spgate_fwd_k<<<grid_for (total), BLOCK, 0, st>>> (c, hw, x, g, y, total);
}

void
gmk_spgate_backward (cudaStream_t st, int n, int c, int hw, const float *x, const float *g,
                     const float *dy, float *dx, float *dg)
{
  size_t total = (size_t) n * hw;

  if (total > 0 && (dx != NULL || dg != NULL))
    spgate_bwd_k<<<grid_for (total), BLOCK, 0, st>>> (n, c, hw, x, g, dy, dx, dg);
}

void
gmk_concat (cudaStream_t st, int n, int ca, int cb, int hw, const float *a, const float *b, float *y)
{
  size_t total = (size_t) n * (ca + cb) * hw;

  if (total > 0)
    concat_k<<<grid_for (total), BLOCK, 0, st>>> (ca, cb, hw, a, b, y, total);
}

void
gmk_split_add (cudaStream_t st, int n, int ca, int cb, int hw, const float *y, float *a, float *b)
{
  size_t total = (size_t) n * (ca + cb) * hw;

  if (total > 0 && (a != NULL || b != NULL))
    split_add_k<<<grid_for (total), BLOCK, 0, st>>> (ca, cb, hw, y, a, b, total);
}

void
gmk_bn_forward (cudaStream_t st, int train, int n, int c, int hw, const float *x,
                const float *gamma, const float *beta, float *running_mean, float *running_var,
                float momentum, float eps, float *saved, double *scratch, float *y)
{
  size_t total = (size_t) n * c * hw;

  if (c <= 0)
    return;
  bn_stats_k<<<c, BLOCK, 0, st>>> (train, n, c, hw, x, gamma, beta, running_mean, running_var,
                                   momentum, eps, saved, scratch);
  if (total > 0)
    bn_apply_k<<<grid_for (total), BLOCK, 0, st>>> (c, hw, x, scratch, y, total);
}

void
gmk_bn_backward (cudaStream_t st, int train, int n, int c, int hw, const float *x,
                 const float *gamma, const float *saved, const float *dy, float *dx,
                 float *dgamma, float *dbeta, double *scratch)
{
  size_t total = (size_t) n * c * hw;

  if (c <= 0)
    return;
  bn_bsums_k<<<c, BLOCK, 0, st>>> (n, c, hw, x, saved, dy, dgamma, dbeta, scratch);
  if (dx != NULL && total > 0)
    bn_bdx_k<<<grid_for (total), BLOCK, 0, st>>> (train, n, c, hw, x, gamma, saved, dy, dx,
                                                  scratch, total);
}

void
gmk_whiten_stats (cudaStream_t st, int n, int h, int w, const float *x, float eps,
                  float momentum, float *mu, float *D, float *running_mean,
                  float *running_deconv, double *acc)
{
  const int ph = (h + 2 - 3) / 3 + 1, pw = (w + 2 - 3) / 3 + 1;
  const size_t M = (size_t) n * ph * pw;
  /* a whole number of warps per block and full warps: the grid-stride
   * loops are uniform in count only up to the last partial round, which
   * the shuffles tolerate because every lane still reaches them */
  const unsigned int grid = (unsigned int) ((M + BLOCK - 1) / BLOCK > 1024 ? 1024 : (M + BLOCK - 1) / BLOCK);

  cudaMemsetAsync (acc, 0, (9 + 45) * sizeof (double), st);
  whiten_sum_k<<<grid > 0 ? grid : 1, BLOCK, 0, st>>> (n, h, w, x, acc);
  whiten_cov_k<<<grid > 0 ? grid : 1, BLOCK, 0, st>>> (n, h, w, x, acc);
  whiten_finish_k<<<1, 1, 0, st>>> (n, h, w, eps, momentum, mu, D, running_mean, running_deconv, acc);
}

void
gmk_whiten_effective (cudaStream_t st, const float *weight, const float *bias, const float *mu,
                      const float *D, float *weff)
{
  whiten_eff_k<<<1, 1, 0, st>>> (weight, bias, mu, D, weff);
}

void
gmk_whiten_grad (cudaStream_t st, const float *gw, const float *gb, const float *mu,
                 const float *D, float *dw, float *db)
{
  whiten_grad_k<<<1, 1, 0, st>>> (gw, gb, mu, D, dw, db);
}

void
gmk_loss_diff (cudaStream_t st, size_t n, const float *out, const float *target, float *e,
               double *acc)
{
  cudaMemsetAsync (acc, 0, sizeof (double), st);
  if (n > 0)
    loss_diff_k<<<grid_for (n) > 1024 ? 1024 : grid_for (n), BLOCK, 0, st>>> (n, out, target, e, acc);
}

void
gmk_loss_freq (cudaStream_t st, size_t n, float *re, float *im, double *acc)
{
  cudaMemsetAsync (acc, 0, sizeof (double), st);
  if (n > 0)
    loss_freq_k<<<grid_for (n) > 1024 ? 1024 : grid_for (n), BLOCK, 0, st>>> (n, re, im, acc);
}

void
gmk_loss_grad_l1 (cudaStream_t st, size_t n, const float *e, float k1, float *grad)
{
  if (n > 0)
    loss_grad_l1_k<<<grid_for (n), BLOCK, 0, st>>> (n, e, k1, grad);
}

void
gmk_adam (cudaStream_t st, size_t n, float *param, const float *grad, float *m, float *v,
          float beta1, float beta2, float eps, float step_size, float sbc2)
{
  if (n > 0)
    adam_k<<<grid_for (n), BLOCK, 0, st>>> (n, param, grad, m, v, beta1, beta2, eps, step_size, sbc2);
}

const char *
gmk_last_error (void)
{
  cudaError_t e = cudaGetLastError ();

  return e == cudaSuccess ? NULL : cudaGetErrorString (e);
}

}  // extern "C"
