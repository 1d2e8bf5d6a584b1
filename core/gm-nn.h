/* gm-nn.h — tensors and the compute-backend interface of the ER-Net engine
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A backend is a table of primitives (GmNnBackend) over float32 buffers that
 * live in the backend's own memory (host memory for the CPU backend, device
 * memory for a GPU backend).  Every `float *` handed to a primitive must come
 * from that backend's alloc(), or be a pointer into such a buffer; the only
 * host pointers are the ones named "host" (upload/download) and the small
 * scalar results (the loss).
 *
 * Layout: NCHW float32, contiguous, W fastest.  Convolution weights are
 * [Cout, Cin, kh, kw]; transposed-convolution weights are [Cin, Cout, kh, kw]
 * (PyTorch layouts); linear weights are [out, in].
 *
 * Gradient convention: every *_backward primitive ADDS into its gradient
 * outputs (dx, dw, db, …), so that branches and residuals accumulate; callers
 * zero the gradient buffers first.  A NULL gradient output is skipped.
 * Forward primitives overwrite their outputs.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* ------------------------------------------------------------ tensors */

#define GM_NN_MAX_DIMS 4

typedef struct _GmNnBackend GmNnBackend;

typedef struct
{
  float       *data;
  int          ndim;
  int          shape[GM_NN_MAX_DIMS];
  /* The backend whose alloc() gave data, or NULL when data is borrowed
   * (then gm_nn_tensor_free() leaves data alone). */
  GmNnBackend *owner;
} GmNnTensor;

/* A zero-filled tensor allocated by the backend. */
GmNnTensor *gm_nn_tensor_new    (GmNnBackend *backend,
                                 int          ndim,
                                 const int   *shape);
/* A tensor over memory owned by someone else (not freed). */
GmNnTensor *gm_nn_tensor_borrow (float       *data,
                                 int          ndim,
                                 const int   *shape);
void        gm_nn_tensor_free   (GmNnTensor  *t);
gsize       gm_nn_tensor_numel  (const GmNnTensor *t);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GmNnTensor, gm_nn_tensor_free)

/* ------------------------------------------------------------ descriptors */

/* One 2-D convolution (or transposed convolution) geometry.  For a
 * transposed convolution, cin/cout are those of the ConvTranspose2d (the
 * weight is [cin, cout, kh, kw]) and out_pad is its output_padding. */
typedef struct
{
  int cin, cout;
  int kh, kw;
  int stride, pad, dil;
  int out_pad;
} GmNnConv;

/* Output size of a convolution / a transposed convolution along one axis. */
int gm_nn_conv_out_size  (const GmNnConv *c,
                          int             in);
int gm_nn_convt_out_size (const GmNnConv *c,
                          int             in);

typedef enum
{
  GM_NN_ACT_RELU,
  GM_NN_ACT_SIGMOID,
  GM_NN_ACT_TANH,
} GmNnAct;

/* Loss of spec §4: mean L1 + w_freq × mean L1 of Re/Im of the unnormalised
 * 2-D DFT. */
#define GM_NN_LOSS_W_FREQ 0.02f

/* ------------------------------------------------------------ backend */

/* Version of the GmNnBackend table; a backend module built against another
 * version is refused (gm-nn-device.c).  Bump it whenever the table changes. */
#define GM_NN_BACKEND_ABI 3     /* 2: host_dgemm; 3: mem_info */

struct _GmNnBackend
{
  const char *name;
  gpointer    ctx;        /* opaque per-backend state (workspaces, tables) */

  /* Frees ctx and the GmNnBackend itself.  NULL for static backends. */
  void   (*destroy)   (GmNnBackend *backend);

  /* ---- memory */
  float *(*alloc)     (gpointer ctx, gsize n);          /* zero-filled */
  void   (*free)      (gpointer ctx, float *p);
  void   (*upload)    (gpointer ctx, float *dst, const float *host, gsize n);
  void   (*download)  (gpointer ctx, float *host, const float *src, gsize n);
  void   (*synchronize) (gpointer ctx);

  /* ---- elementwise */
  void   (*fill)      (gpointer ctx, float *y, gsize n, float v);
  /* y = a·x + b·y  (b == 0 overwrites y, whatever it held) */
  void   (*axpby)     (gpointer ctx, gsize n, float a, const float *x,
                       float b, float *y);
  /* y = act(x); x == y allowed */
  void   (*act_forward)  (gpointer ctx, GmNnAct act, gsize n, const float *x,
                          float *y);
  /* dx += dy · act'(…), expressed through the forward OUTPUT y */
  void   (*act_backward) (gpointer ctx, GmNnAct act, gsize n, const float *y,
                          const float *dy, float *dx);

  /* ---- convolution, im2col + GEMM; x N×cin×h×w → y N×cout×ho×wo */
  void   (*conv2d_forward)  (gpointer ctx, const GmNnConv *c, int n, int h,
                             int w, const float *x, const float *weight,
                             const float *bias, float *y);
  /* backward-data (dx) and backward-weights/bias (dw, db) in one pass;
   * any of dx, dw, db may be NULL.  x is needed only when dw != NULL. */
  void   (*conv2d_backward) (gpointer ctx, const GmNnConv *c, int n, int h,
                             int w, const float *x, const float *weight,
                             const float *dy, float *dx, float *dw,
                             float *db);
  /* transposed convolution; x N×cin×h×w → y N×cout×ho×wo */
  void   (*convt2d_forward)  (gpointer ctx, const GmNnConv *c, int n, int h,
                              int w, const float *x, const float *weight,
                              const float *bias, float *y);
  void   (*convt2d_backward) (gpointer ctx, const GmNnConv *c, int n, int h,
                              int w, const float *x, const float *weight,
                              const float *dy, float *dx, float *dw,
                              float *db);

  /* ---- modulated deformable convolution (DCNv2, deformable groups 1,
   * spec §3); offset N×(2·kh·kw)×ho×wo interleaved (dy, dx) per tap,
   * mask N×(kh·kw)×ho×wo (already through the sigmoid). */
  void   (*dcn_forward)  (gpointer ctx, const GmNnConv *c, int n, int h, int w,
                          const float *x, const float *offset,
                          const float *mask, const float *weight,
                          const float *bias, float *y);
  void   (*dcn_backward) (gpointer ctx, const GmNnConv *c, int n, int h, int w,
                          const float *x, const float *offset,
                          const float *mask, const float *weight,
                          const float *dy, float *dx, float *doffset,
                          float *dmask, float *dw, float *db);

  /* ---- reflection pad (PyTorch ReflectionPad2d), N×C×h×w → h+2p × w+2p */
  void   (*reflect_pad_forward)  (gpointer ctx, int nc, int h, int w, int pad,
                                  const float *x, float *y);
  void   (*reflect_pad_backward) (gpointer ctx, int nc, int h, int w, int pad,
                                  const float *dy, float *dx);

  /* ---- global pooling over h·w = hw; x N×C×hw → y N×C */
  void   (*global_avg_forward)  (gpointer ctx, int nc, int hw, const float *x,
                                 float *y);
  void   (*global_avg_backward) (gpointer ctx, int nc, int hw, const float *dy,
                                 float *dx);
  void   (*global_max_forward)  (gpointer ctx, int nc, int hw, const float *x,
                                 float *y);
  /* routes dy to the first position that holds the maximum y */
  void   (*global_max_backward) (gpointer ctx, int nc, int hw, const float *x,
                                 const float *y, const float *dy, float *dx);

  /* ---- channel pool (CBAM): x N×C×hw → y N×2×hw, channel 0 = max over C,
   * channel 1 = mean over C */
  void   (*chanpool_forward)  (gpointer ctx, int n, int c, int hw,
                               const float *x, float *y);
  void   (*chanpool_backward) (gpointer ctx, int n, int c, int hw,
                               const float *x, const float *y,
                               const float *dy, float *dx);

  /* ---- gating: channel gate g N×C (y = x·g[n,c]), spatial gate g N×hw
   * (y = x·g[n,p], broadcast over C) */
  void   (*chgate_forward)  (gpointer ctx, int n, int c, int hw,
                             const float *x, const float *g, float *y);
  void   (*chgate_backward) (gpointer ctx, int n, int c, int hw,
                             const float *x, const float *g, const float *dy,
                             float *dx, float *dg);
  void   (*spgate_forward)  (gpointer ctx, int n, int c, int hw,
                             const float *x, const float *g, float *y);
  void   (*spgate_backward) (gpointer ctx, int n, int c, int hw,
                             const float *x, const float *g, const float *dy,
                             float *dx, float *dg);

  /* ---- concat along channels: y N×(ca+cb)×hw = [a, b]; split_add is its
   * backward: da += dy[:, :ca], db += dy[:, ca:] */
  void   (*concat)    (gpointer ctx, int n, int ca, int cb, int hw,
                       const float *a, const float *b, float *y);
  void   (*split_add) (gpointer ctx, int n, int ca, int cb, int hw,
                       const float *y, float *a, float *b);

  /* ---- linear: x N×in → y N×out, weight [out, in] */
  void   (*linear_forward)  (gpointer ctx, int n, int in, int out,
                             const float *x, const float *weight,
                             const float *bias, float *y);
  void   (*linear_backward) (gpointer ctx, int n, int in, int out,
                             const float *x, const float *weight,
                             const float *dy, float *dx, float *dw,
                             float *db);

  /* ---- BatchNorm2d over N×C×hw.  saved (2·C) receives mean and 1/std
   * (batch ones in train mode, running ones in eval mode) for backward.
   * Train mode updates the running stats with `momentum` (unbiased var). */
  void   (*bn_forward)  (gpointer ctx, gboolean train, int n, int c, int hw,
                         const float *x, const float *gamma, const float *beta,
                         float *running_mean, float *running_var,
                         float momentum, float eps, float *saved, float *y);
  void   (*bn_backward) (gpointer ctx, gboolean train, int n, int c, int hw,
                         const float *x, const float *gamma,
                         const float *saved, const float *dy, float *dx,
                         float *dgamma, float *dbeta);

  /* ---- whitened 3×3 conv (FastDeconv, 1 channel, spec §2.3).
   * whiten_stats: batch patch statistics of x N×1×h×w (stride 3, pad 1),
   * μ (9) and D ≈ Σ^-1/2 (9×9, 5 Newton–Schulz steps); updates running_mean
   * and running_deconv with `momentum` when they are not NULL. */
  void   (*whiten_stats)   (gpointer ctx, int n, int h, int w, const float *x,
                            float eps, float momentum, float *mu, float *D,
                            float *running_mean, float *running_deconv);
  /* y = conv3x3(x; w·D, b − (w·D)·μ), zero pad 1 */
  void   (*whiten_conv_forward)  (gpointer ctx, int n, int h, int w,
                                  const float *x, const float *weight,
                                  const float *bias, const float *mu,
                                  const float *D, float *y);
  /* dw, db with D and μ constant; dx (may be NULL) through w_eff */
  void   (*whiten_conv_backward) (gpointer ctx, int n, int h, int w,
                                  const float *x, const float *weight,
                                  const float *mu, const float *D,
                                  const float *dy, float *dx, float *dw,
                                  float *db);

  /* ---- loss (spec §4) over N×1×h×w; returns L and WRITES dL/dout into
   * grad (if not NULL). */
  double (*loss_forward_backward) (gpointer ctx, int n, int h, int w,
                                   const float *out, const float *target,
                                   float w_freq, float *grad);

  /* ---- Adam (PyTorch semantics, no weight decay); step counts from 1 */
  void   (*adam_update) (gpointer ctx, gsize n, float *param,
                         const float *grad, float *m, float *v, float lr,
                         float beta1, float beta2, float eps, int step);

  /* ---- dense algebra of the GenoMap layout (gm-linalg.h's gm_dgemm):
   * C = α·op(A)·op(B) + β·C in double precision on HOST, row-major
   * matrices (op = transpose where ta / tb); C is m × n, the inner size k.
   * The backend copies in and out.  Returns FALSE, leaving C untouched,
   * when it cannot run (no device memory); the caller then uses the CPU.
   * NULL where a backend has none. */
  gboolean (*host_dgemm) (gpointer ctx, gboolean ta, gboolean tb, int m, int n,
                          int k, double alpha, const double *a, int lda,
                          const double *b, int ldb, double beta, double *c,
                          int ldc);

  /* ---- the backend's memory: free and total bytes (a GPU's, from the
   * driver).  NULL where the backend has no memory of its own (the CPU). */
  gboolean (*mem_info) (gpointer ctx, guint64 *free_bytes, guint64 *total_bytes);
};

/* The CPU reference backend (cblas_sgemm for the GEMMs).  New instance with
 * its own workspaces; free with gm_nn_backend_free(). */
GmNnBackend *gm_nn_backend_cpu  (void);
void         gm_nn_backend_free (GmNnBackend *backend);

/* CPU backend tuning: the most floats one batched im2col buffer may hold
 * (the batch is processed in chunks of samples below it); 0 restores the
 * default (24 Mi floats).  Process-wide; for tests and benchmarks. */
void         gm_nn_cpu_set_col_limit (gsize floats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GmNnBackend, gm_nn_backend_free)

G_END_DECLS
