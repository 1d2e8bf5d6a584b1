/* gm-nn-private.h — shared internals of the CPU backend (core/gm-nn-*.c)
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gm-nn.h"

G_BEGIN_DECLS

/* Workspace slots owned by the CPU context; grown, never shrunk. */
enum
{
  GM_NN_WS_COL,     /* im2col columns */
  GM_NN_WS_OUT,     /* GEMM output / transposed gradients */
  GM_NN_WS_AUX,     /* second column buffer, DCN geometry */
  GM_NN_WS_AUX2,
  GM_NN_WS_DFT,     /* DFT intermediates */
  GM_NN_WS_SMALL,   /* a few floats (whitened-conv effective weights) */
  GM_NN_WS_COUNT
};

/* Bilinear sampling geometry of one DCN sample point (spec §3). */
typedef struct
{
  int   idx[4];     /* corner offsets in the h×w plane, 0 when invalid */
  float valid[4];   /* 1 for in-image corners, else 0 */
  float wt[4];      /* bilinear weights × valid */
  float lh, lw;
  int   inrange;
} GmNnDcnGeo;

typedef struct
{
  GmNnDcnGeo *geo;
  gsize       geo_n;
  float *ws[GM_NN_WS_COUNT];
  gsize  ws_n[GM_NN_WS_COUNT];
  /* DFT tables for one size (cos/sin, n×n each) */
  int    dft_h, dft_w;
  float *dft_ch, *dft_sh, *dft_cw, *dft_sw;
} GmNnCpu;

/* Upper bound, in floats, for one batched column buffer
 * (gm_nn_cpu_set_col_limit changes it). */
extern gsize gm_nn_col_limit;

float *gm_nn_cpu_ws (GmNnCpu *cpu,
                     int      slot,
                     gsize    n);

/* How many samples of per-sample column size `per` fit one column chunk. */
int    gm_nn_cpu_chunk (gsize per,
                        int   n);

/* im2col of one image C×h×w into col rows (c·kh + i)·kw + j, each row
 * holding ho·wo entries at row stride ld. */
void   gm_nn_im2col (const float *img, int c, int h, int w, int kh, int kw,
                     int stride, int pad, int dil, int ho, int wo,
                     float *col, gsize ld);
/* Adjoint of gm_nn_im2col: img += scatter(col). */
void   gm_nn_col2im (const float *col, gsize ld, int c, int h, int w, int kh,
                     int kw, int stride, int pad, int dil, int ho, int wo,
                     float *img);

/* [nb samples][c][p] ↔ [c][nb·p] */
void   gm_nn_to_cnp   (const float *x, int nb, int c, int p, float *y);
void   gm_nn_from_cnp (const float *x, int nb, int c, int p, float *y,
                       gboolean accumulate);

/* A tiny persistent worker pool for the memory-bound loops.  fn is called
 * once per part with a contiguous range [lo, hi) of [0, n) and the part
 * index (< gm_nn_parallel_parts ()); the caller runs part 0 itself.
 * Parts write disjoint outputs, so results do not depend on the number of
 * parts.  Nested or concurrent calls run serially. */
typedef void (*GmNnRangeFunc) (int part, int lo, int hi, gpointer data);
int    gm_nn_parallel_parts (void);
void   gm_nn_parallel_for   (int n, GmNnRangeFunc fn, gpointer data);

/* Per-sample GEMMs writing straight into NCHW are used when one sample has
 * at least this many output pixels. */
#ifndef GM_NN_PER_SAMPLE_MIN_P
#define GM_NN_PER_SAMPLE_MIN_P 512
#endif

/* y[s][o][q] = bias[o] (0 when bias is NULL), in parallel over samples. */
void   gm_nn_fill_bias_nchw (float *y, const float *bias, int n, int c, int p);
/* db[o] += Σ_{s,q} dy[s][o][q] over n samples of c channels × p pixels. */
void   gm_nn_bias_sum_nchw (const float *dy, int n, int c, int p, float *db);

/* Backend entries implemented outside gm-nn-cpu.c */
void   gm_nn_cpu_conv2d_forward  (gpointer ctx, const GmNnConv *c, int n,
                                  int h, int w, const float *x,
                                  const float *weight, const float *bias,
                                  float *y);
void   gm_nn_cpu_conv2d_backward (gpointer ctx, const GmNnConv *c, int n,
                                  int h, int w, const float *x,
                                  const float *weight, const float *dy,
                                  float *dx, float *dw, float *db);
void   gm_nn_cpu_convt2d_forward  (gpointer ctx, const GmNnConv *c, int n,
                                   int h, int w, const float *x,
                                   const float *weight, const float *bias,
                                   float *y);
void   gm_nn_cpu_convt2d_backward (gpointer ctx, const GmNnConv *c, int n,
                                   int h, int w, const float *x,
                                   const float *weight, const float *dy,
                                   float *dx, float *dw, float *db);
void   gm_nn_cpu_dcn_forward  (gpointer ctx, const GmNnConv *c, int n, int h,
                               int w, const float *x, const float *offset,
                               const float *mask, const float *weight,
                               const float *bias, float *y);
void   gm_nn_cpu_dcn_backward (gpointer ctx, const GmNnConv *c, int n, int h,
                               int w, const float *x, const float *offset,
                               const float *mask, const float *weight,
                               const float *dy, float *dx, float *doffset,
                               float *dmask, float *dw, float *db);

G_END_DECLS
