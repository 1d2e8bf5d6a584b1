/* gm-nn-cuda-kernels.h — the CUDA kernels of the GPU backend, as plain C
 * launchers (defined in gm-nn-cuda-kernels.cu and gm-nn-cuda-dcn.cu,
 * called from gm-nn-cuda.c)
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every launcher enqueues on `st` and returns at once; pointers are device
 * pointers unless named *_host.  The semantics are those of the CPU
 * reference (core/gm-nn-cpu.c, gm-nn-dcn.c), primitive by primitive; where
 * the CPU accumulates in double, so do the kernels.  No glib here: this
 * header is also compiled by nvcc.
 */
#pragma once

#include <stddef.h>
#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* elementwise */
void gmk_fill         (cudaStream_t st, float *y, size_t n, float v);
void gmk_axpby        (cudaStream_t st, size_t n, float a, const float *x, float b, float *y);
void gmk_act_forward  (cudaStream_t st, int act, size_t n, const float *x, float *y);
void gmk_act_backward (cudaStream_t st, int act, size_t n, const float *y, const float *dy, float *dx);

/* y[s][o][q] += bias[o] over n samples, c channels, p pixels */
void gmk_add_bias     (cudaStream_t st, float *y, const float *bias, int n, int c, int p);
/* db[o] += Σ_{s,q} dy[s][o][q] (double accumulation) */
void gmk_bias_sum     (cudaStream_t st, const float *dy, int n, int c, int p, float *db);
/* y[s][o] += bias[o] for the linear layer (n rows of c) */
void gmk_add_bias_rows (cudaStream_t st, float *y, const float *bias, int n, int c);
/* db[o] += Σ_s dy[s][o] */
void gmk_bias_sum_rows (cudaStream_t st, const float *dy, int n, int c, float *db);

/* reflection pad */
void gmk_reflect_pad_forward  (cudaStream_t st, int nc, int h, int w, int pad, const float *x, float *y);
void gmk_reflect_pad_backward (cudaStream_t st, int nc, int h, int w, int pad, const float *dy, float *dx);

/* pooling, CBAM channel pool, gates, concat */
void gmk_global_avg_forward  (cudaStream_t st, int nc, int hw, const float *x, float *y);
void gmk_global_avg_backward (cudaStream_t st, int nc, int hw, const float *dy, float *dx);
void gmk_global_max_forward  (cudaStream_t st, int nc, int hw, const float *x, float *y);
void gmk_global_max_backward (cudaStream_t st, int nc, int hw, const float *x, const float *y,
                              const float *dy, float *dx);
void gmk_chanpool_forward  (cudaStream_t st, int n, int c, int hw, const float *x, float *y);
void gmk_chanpool_backward (cudaStream_t st, int n, int c, int hw, const float *x, const float *y,
                            const float *dy, float *dx);
void gmk_chgate_forward  (cudaStream_t st, int n, int c, int hw, const float *x, const float *g, float *y);
void gmk_chgate_backward (cudaStream_t st, int n, int c, int hw, const float *x, const float *g,
                          const float *dy, float *dx, float *dg);
void gmk_spgate_forward  (cudaStream_t st, int n, int c, int hw, const float *x, const float *g, float *y);
void gmk_spgate_backward (cudaStream_t st, int n, int c, int hw, const float *x, const float *g,
                          const float *dy, float *dx, float *dg);
void gmk_concat    (cudaStream_t st, int n, int ca, int cb, int hw, const float *a, const float *b, float *y);
void gmk_split_add (cudaStream_t st, int n, int ca, int cb, int hw, const float *y, float *a, float *b);

/* BatchNorm; scratch holds 2·c doubles (per-channel a, b in forward; the
 * sums in backward) */
void gmk_bn_forward  (cudaStream_t st, int train, int n, int c, int hw, const float *x,
                      const float *gamma, const float *beta, float *running_mean,
                      float *running_var, float momentum, float eps, float *saved,
                      double *scratch, float *y);
void gmk_bn_backward (cudaStream_t st, int train, int n, int c, int hw, const float *x,
                      const float *gamma, const float *saved, const float *dy, float *dx,
                      float *dgamma, float *dbeta, double *scratch);

/* whitening: acc holds 9 + 45 doubles (sums, upper covariance) */
void gmk_whiten_stats (cudaStream_t st, int n, int h, int w, const float *x, float eps,
                       float momentum, float *mu, float *D, float *running_mean,
                       float *running_deconv, double *acc);
/* weff[0..8] = w·D, weff[9] = b − (w·D)·μ (b = 0 when bias is NULL) */
void gmk_whiten_effective (cudaStream_t st, const float *weight, const float *bias,
                           const float *mu, const float *D, float *weff);
/* dw[i] += Σ_j (gw[j] − gb·μ[j])·D[i,j] (when dw), db += gb (when db) */
void gmk_whiten_grad (cudaStream_t st, const float *gw, const float *gb, const float *mu,
                      const float *D, float *dw, float *db);

/* loss helpers; acc is one double, zeroed by the launcher */
/* e = out − target, acc = Σ |e| */
void gmk_loss_diff  (cudaStream_t st, size_t n, const float *out, const float *target,
                     float *e, double *acc);
/* acc = Σ |re| + |im|; then re ← sign re, im ← sign im */
void gmk_loss_freq  (cudaStream_t st, size_t n, float *re, float *im, double *acc);
/* grad = k1 · sign e */
void gmk_loss_grad_l1 (cudaStream_t st, size_t n, const float *e, float k1, float *grad);

/* Adam (PyTorch semantics, no weight decay) */
void gmk_adam (cudaStream_t st, size_t n, float *param, const float *grad, float *m, float *v,
               float beta1, float beta2, float eps, float step_size, float sbc2);

/* modulated deformable convolution (gm-nn-cuda-dcn.cu).  The chunk holds
 * samples n0 … n0+cnt−1; col is [cnt][cin·kh·kw][ho·wo]. */
typedef struct
{
  int cin, kh, kw, stride, pad, dil;
  int h, w, ho, wo;
} GmkDcn;

void gmk_dcn_im2col  (cudaStream_t st, const GmkDcn *d, int cnt, const float *x,
                      const float *offset, const float *mask, float *col);
/* colgrad as col; adds into dx, doffset, dmask (each may be NULL) */
void gmk_dcn_scatter (cudaStream_t st, const GmkDcn *d, int cnt, const float *x,
                      const float *offset, const float *mask, const float *colgrad,
                      float *dx, float *doffset, float *dmask);

/* The first launch error (cudaGetLastError), as a C string, or NULL. */
const char *gmk_last_error (void);

#ifdef __cplusplus
}
#endif
