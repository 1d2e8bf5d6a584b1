/* gm-nn-cuda.c — the CUDA backend of the ER-Net engine (libgm-nn-cuda.so)
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A shared module dlopened by core/gm-nn-device.c; it exports only
 * gm_nn_cuda_backend_new() and gm_nn_cuda_probe() (see gm-nn-device.h) and
 * needs nothing from the program that loads it beyond GLib.
 *
 * Everything runs in order on one CUDA stream per backend:
 *   - convolutions and transposed convolutions through cuDNN's legacy
 *     convolution API (still in cuDNN 9's cudnn_cnn.h): a ConvTranspose2d
 *     forward is the backward-data of the convolution it transposes, its
 *     backward-data is that convolution's forward, and its weight gradient
 *     that convolution's backward-filter with the roles of x and dy swapped;
 *     biases by our own kernels;
 *   - GEMMs (linear layers, the deformable convolution, the DFT of the
 *     loss) through cuBLAS, row-major operands mapped onto column-major;
 *   - everything else by our kernels (gm-nn-cuda-kernels.cu, -dcn.cu).
 * TF32 is off unless GENOMAP_CUDA_TF32=1: cuBLAS in CUBLAS_DEFAULT_MATH,
 * cuDNN convolutions restricted to CUDNN_FMA_MATH algorithms.
 *
 * Memory: a caching allocator (freed blocks are kept per exact rounded
 * size and reused in stream order, so a training step allocates nothing
 * once the first step has run), grown-never-shrunk workspaces, and one
 * pinned staging buffer for uploads and downloads.
 *
 * Errors: a failing CUDA, cuBLAS or cuDNN call inside a primitive cannot be
 * returned through the GmNnBackend table and leaves the context unusable,
 * so it aborts the process with g_error() naming the call and the reason.
 * Creating the backend reports every failure as a message instead.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include "gm-nn.h"
#include "gm-nn-device.h"
#include "gm-nn-cuda-kernels.h"

#define GM_EXPORT __attribute__ ((visibility ("default")))

/* The most floats one batched deformable-convolution column buffer may
 * hold (the batch is processed in chunks below it): 64 Mi floats. */
#define DCN_COL_LIMIT ((gsize) 64 << 20)
/* Uploads larger than this go straight from pageable memory (synchronously). */
#define PIN_LIMIT ((gsize) 256 << 20)

enum
{
  WS_COL,      /* deformable columns */
  WS_DFT,      /* loss intermediates */
  WS_COUNT
};

typedef struct
{
  int             n, c, h, w, k, kh, kw, pad, stride, dil, ho, wo;
} ConvGeom;

typedef struct
{
  gboolean            have[3];      /* forward, backward data, backward filter */
  int                 algo[3];
  cudnnMathType_t     math[3];
  size_t              ws[3];
} ConvAlgos;

typedef struct
{
  int                 device;
  char               *name;
  gboolean            tf32;
  cudaStream_t        st;
  cublasHandle_t      blas;
  cudnnHandle_t       dnn;
  cudnnTensorDescriptor_t      tx, ty;
  cudnnFilterDescriptor_t      fw;
  cudnnConvolutionDescriptor_t cv;
  GHashTable         *algos;        /* geometry key → ConvAlgos */

  /* caching allocator */
  GHashTable         *pool;         /* rounded bytes → GPtrArray of free blocks */
  GHashTable         *live;         /* block → rounded bytes */

  float              *ws[WS_COUNT];
  gsize               ws_n[WS_COUNT];
  void               *dnn_ws;
  size_t              dnn_ws_n;
  double             *dscratch;     /* BN sums, whitening statistics, loss sums */
  gsize               dscratch_n;
  float              *small;        /* 32 floats: whitened-conv weff, gw, gb */

  float              *pin;          /* pinned staging */
  gsize               pin_n;
  cudaEvent_t         pin_ev;       /* the last upload out of pin is done */
  double             *host_acc;     /* pinned, 2 doubles */

  int                 dft_h, dft_w;
  float              *dft_ch, *dft_sh, *dft_cw, *dft_sw;
} GmNnCuda;

/* ------------------------------------------------------------ errors */

#define CU(call) \
  G_STMT_START { \
    cudaError_t e_ = (call); \
    if (e_ != cudaSuccess) \
      g_error ("CUDA backend: %s failed (%s:%d): %s", #call, __FILE__, __LINE__, \
               cudaGetErrorString (e_)); \
  } G_STMT_END

#define CB(call) \
  G_STMT_START { \
    cublasStatus_t e_ = (call); \
    if (e_ != CUBLAS_STATUS_SUCCESS) \
      g_error ("CUDA backend: %s failed (%s:%d): %s", #call, __FILE__, __LINE__, \
               cublasGetStatusString (e_)); \
  } G_STMT_END

#define CD(call) \
  G_STMT_START { \
    cudnnStatus_t e_ = (call); \
    if (e_ != CUDNN_STATUS_SUCCESS) \
      g_error ("CUDA backend: %s failed (%s:%d): %s", #call, __FILE__, __LINE__, \
               cudnnGetErrorString (e_)); \
  } G_STMT_END

/* After kernel launches: launch errors (bad configuration, no kernel
 * image for this GPU) are reported at once, not at the next sync. */
#define KCHECK(what) \
  G_STMT_START { \
    const char *m_ = gmk_last_error (); \
    if (m_ != NULL) \
      g_error ("CUDA backend: %s: kernel launch failed: %s", (what), m_); \
  } G_STMT_END

/* Every entry makes the backend's device current (the caller may be on
 * another thread than the one that created the backend). */
static GmNnCuda *
enter (gpointer ctx)
{
  GmNnCuda *cu = ctx;

  CU (cudaSetDevice (cu->device));
  return cu;
}

/* ------------------------------------------------------------ sizes */

static int
conv_out (const GmNnConv *c,
          int             in)
{
  int k = c->dil * (c->kh - 1) + 1;

  return (in + 2 * c->pad - k) / c->stride + 1;
}

static int
convt_out (const GmNnConv *c,
           int             in)
{
  return (in - 1) * c->stride - 2 * c->pad + c->dil * (c->kh - 1) + c->out_pad + 1;
}

/* ------------------------------------------------------------ memory */

static gsize
round_bytes (gsize n)
{
  gsize b = MAX (n, 1) * sizeof (float);

  return (b + 511) & ~(gsize) 511;
}

static void
pool_release (GmNnCuda *cu)
{
  GHashTableIter it;
  gpointer key, value;

  g_hash_table_iter_init (&it, cu->pool);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      GPtrArray *a = value;
      for (guint i = 0; i < a->len; i++)
        CU (cudaFree (g_ptr_array_index (a, i)));
      g_ptr_array_set_size (a, 0);
    }
}

static float *
cuda_alloc (gpointer ctx,
            gsize    n)
{
  GmNnCuda *cu = enter (ctx);
  gsize bytes = round_bytes (n);
  GPtrArray *a = g_hash_table_lookup (cu->pool, GSIZE_TO_POINTER (bytes));
  void *p = NULL;

  if (a != NULL && a->len > 0)
    p = g_ptr_array_steal_index_fast (a, a->len - 1);
  else
    {
      cudaError_t e = cudaMalloc (&p, bytes);

      if (e == cudaErrorMemoryAllocation)
        {
          /* give the cached blocks back and try once more */
          (void) cudaGetLastError ();
          CU (cudaStreamSynchronize (cu->st));
          pool_release (cu);
          e = cudaMalloc (&p, bytes);
        }
      if (e != cudaSuccess)
        g_error ("CUDA backend: cannot allocate %" G_GSIZE_FORMAT " bytes on device %d: %s", bytes,
                 cu->device, cudaGetErrorString (e));
    }
  g_hash_table_insert (cu->live, p, GSIZE_TO_POINTER (bytes));
  CU (cudaMemsetAsync (p, 0, bytes, cu->st));
  return p;
}

static void
cuda_free (gpointer ctx,
           float   *p)
{
  GmNnCuda *cu = ctx;
  gpointer bytes;
  GPtrArray *a;

  if (p == NULL)
    return;
  if (!g_hash_table_steal_extended (cu->live, p, NULL, &bytes))
    {
      g_critical ("CUDA backend: free of a pointer it did not allocate");
      return;
    }
  /* reuse is ordered on the stream after every use already enqueued */
  a = g_hash_table_lookup (cu->pool, bytes);
  if (a == NULL)
    {
      a = g_ptr_array_new ();
      g_hash_table_insert (cu->pool, bytes, a);
    }
  g_ptr_array_add (a, p);
}

static float *
ws_get (GmNnCuda *cu,
        int       slot,
        gsize     n)
{
  if (cu->ws_n[slot] < n)
    {
      /* work still queued may use the old buffer */
      CU (cudaStreamSynchronize (cu->st));
      if (cu->ws[slot] != NULL)
        CU (cudaFree (cu->ws[slot]));
      cu->ws[slot] = NULL;
      CU (cudaMalloc ((void **) &cu->ws[slot], n * sizeof (float)));
      cu->ws_n[slot] = n;
    }
  return cu->ws[slot];
}

static double *
dscratch (GmNnCuda *cu,
          gsize     n)
{
  if (cu->dscratch_n < n)
    {
      CU (cudaStreamSynchronize (cu->st));
      if (cu->dscratch != NULL)
        CU (cudaFree (cu->dscratch));
      cu->dscratch = NULL;
      CU (cudaMalloc ((void **) &cu->dscratch, n * sizeof (double)));
      cu->dscratch_n = n;
    }
  return cu->dscratch;
}

static void
pin_reserve (GmNnCuda *cu,
             gsize     n)
{
  if (cu->pin_n >= n)
    return;
  CU (cudaEventSynchronize (cu->pin_ev));
  CU (cudaStreamSynchronize (cu->st));
  if (cu->pin != NULL)
    CU (cudaFreeHost (cu->pin));
  cu->pin = NULL;
  CU (cudaMallocHost ((void **) &cu->pin, n * sizeof (float)));
  cu->pin_n = n;
}

static void
cuda_upload (gpointer     ctx,
             float       *dst,
             const float *host,
             gsize        n)
{
  GmNnCuda *cu = enter (ctx);

  if (n == 0)
    return;
  if (n * sizeof (float) > PIN_LIMIT)
    {
      CU (cudaMemcpyAsync (dst, host, n * sizeof (float), cudaMemcpyHostToDevice, cu->st));
      CU (cudaStreamSynchronize (cu->st));
      return;
    }
  /* host → pinned (once the previous upload out of it is done), then an
   * asynchronous copy: the caller may reuse `host` at once, and the GPU
   * need not be idle */
  pin_reserve (cu, n);
  CU (cudaEventSynchronize (cu->pin_ev));
  memcpy (cu->pin, host, n * sizeof (float));
  CU (cudaMemcpyAsync (dst, cu->pin, n * sizeof (float), cudaMemcpyHostToDevice, cu->st));
  CU (cudaEventRecord (cu->pin_ev, cu->st));
}

static void
cuda_download (gpointer     ctx,
               float       *host,
               const float *src,
               gsize        n)
{
  GmNnCuda *cu = enter (ctx);

  if (n == 0)
    return;
  if (n * sizeof (float) > PIN_LIMIT)
    {
      CU (cudaMemcpyAsync (host, src, n * sizeof (float), cudaMemcpyDeviceToHost, cu->st));
      CU (cudaStreamSynchronize (cu->st));
      return;
    }
  pin_reserve (cu, n);
  CU (cudaMemcpyAsync (cu->pin, src, n * sizeof (float), cudaMemcpyDeviceToHost, cu->st));
  CU (cudaStreamSynchronize (cu->st));
  memcpy (host, cu->pin, n * sizeof (float));
}

static void
cuda_synchronize (gpointer ctx)
{
  GmNnCuda *cu = enter (ctx);

  CU (cudaStreamSynchronize (cu->st));
}

/* ------------------------------------------------------------ GEMM */

/* Row-major C (M×N) = α·op(A)·op(B) + β·C: the column-major product
 * Cᵀ = op(B)ᵀ·op(A)ᵀ, i.e. cuBLAS with the operands swapped. */
static void
gemm (GmNnCuda    *cu,
      gboolean     ta,
      gboolean     tb,
      int          M,
      int          N,
      int          K,
      float        alpha,
      const float *A,
      int          lda,
      const float *B,
      int          ldb,
      float        beta,
      float       *C,
      int          ldc)
{
  if (M <= 0 || N <= 0)
    return;
  CB (cublasSgemm (cu->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                   N, M, K, &alpha, B, ldb, A, lda, &beta, C, ldc));
}

static void
gemm_batched (GmNnCuda    *cu,
              gboolean     ta,
              gboolean     tb,
              int          M,
              int          N,
              int          K,
              float        alpha,
              const float *A,
              int          lda,
              long long    sa,
              const float *B,
              int          ldb,
              long long    sb,
              float        beta,
              float       *C,
              int          ldc,
              long long    sc,
              int          batch)
{
  if (M <= 0 || N <= 0 || batch <= 0)
    return;
  CB (cublasSgemmStridedBatched (cu->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N,
                                 ta ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K, &alpha, B, ldb, sb,
                                 A, lda, sa, &beta, C, ldc, sc, batch));
}

/* ------------------------------------------------------------ elementwise */

static void
cuda_fill (gpointer ctx,
           float   *y,
           gsize    n,
           float    v)
{
  GmNnCuda *cu = enter (ctx);

  gmk_fill (cu->st, y, n, v);
  KCHECK ("fill");
}

static void
cuda_axpby (gpointer     ctx,
            gsize        n,
            float        a,
            const float *x,
            float        b,
            float       *y)
{
  GmNnCuda *cu = enter (ctx);

  gmk_axpby (cu->st, n, a, x, b, y);
  KCHECK ("axpby");
}

static void
cuda_act_forward (gpointer     ctx,
                  GmNnAct      act,
                  gsize        n,
                  const float *x,
                  float       *y)
{
  GmNnCuda *cu = enter (ctx);

  g_return_if_fail (act == GM_NN_ACT_RELU || act == GM_NN_ACT_SIGMOID || act == GM_NN_ACT_TANH);
  gmk_act_forward (cu->st, act == GM_NN_ACT_RELU ? 0 : act == GM_NN_ACT_SIGMOID ? 1 : 2, n, x, y);
  KCHECK ("act_forward");
}

static void
cuda_act_backward (gpointer     ctx,
                   GmNnAct      act,
                   gsize        n,
                   const float *y,
                   const float *dy,
                   float       *dx)
{
  GmNnCuda *cu = enter (ctx);

  g_return_if_fail (act == GM_NN_ACT_RELU || act == GM_NN_ACT_SIGMOID || act == GM_NN_ACT_TANH);
  gmk_act_backward (cu->st, act == GM_NN_ACT_RELU ? 0 : act == GM_NN_ACT_SIGMOID ? 1 : 2, n, y, dy, dx);
  KCHECK ("act_backward");
}

/* ------------------------------------------------------------ cuDNN convolutions */

enum { OP_FWD, OP_BWD_DATA, OP_BWD_FILTER };

/* Describes the forward convolution x (n, c, h, w) → y (n, k, ho, wo)
 * with filter (k, c, kh, kw); returns its algorithm cache entry. */
static ConvAlgos *
conv_setup (GmNnCuda       *cu,
            const ConvGeom *g)
{
  char key[160];
  ConvAlgos *a;

  CD (cudnnSetTensor4dDescriptor (cu->tx, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, g->n, g->c, g->h, g->w));
  CD (cudnnSetTensor4dDescriptor (cu->ty, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, g->n, g->k, g->ho, g->wo));
  CD (cudnnSetFilter4dDescriptor (cu->fw, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, g->k, g->c, g->kh, g->kw));
  CD (cudnnSetConvolution2dDescriptor (cu->cv, g->pad, g->pad, g->stride, g->stride, g->dil, g->dil,
                                       CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  g_snprintf (key, sizeof key, "%d %d %d %d %d %d %d %d %d %d %d %d", g->n, g->c, g->h, g->w, g->k,
              g->kh, g->kw, g->pad, g->stride, g->dil, g->ho, g->wo);
  a = g_hash_table_lookup (cu->algos, key);
  if (a == NULL)
    {
      a = g_new0 (ConvAlgos, 1);
      g_hash_table_insert (cu->algos, g_strdup (key), a);
    }
  return a;
}

/* Without TF32 only FMA algorithms: CUDNN_DEFAULT_MATH and the tensor-op
 * types all permit TF32 on sm_80 and later. */
static gboolean
math_ok (GmNnCuda        *cu,
         cudnnMathType_t  m)
{
  return cu->tf32 || m == CUDNN_FMA_MATH || m == CUDNN_DEFAULT_MATH;
}

/* Picks (once per geometry and op) the first algorithm cuDNN's heuristics
 * rank that works, skipping tensor-op ones unless TF32 is allowed, and sets
 * the descriptor's math type (CUDNN_FMA_MATH without TF32: a DEFAULT_MATH
 * algorithm is run restricted to FMA); grows the workspace. */
static void
conv_choose (GmNnCuda  *cu,
             ConvAlgos *a,
             int        op)
{
  if (!a->have[op])
    {
      int got = 0;
      gboolean found = FALSE;

      CD (cudnnSetConvolutionMathType (cu->cv, cu->tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
      if (op == OP_FWD)
        {
          cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
          CD (cudnnGetConvolutionForwardAlgorithm_v7 (cu->dnn, cu->tx, cu->fw, cu->cv, cu->ty,
                                                      CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &got, perf));
          for (int i = 0; i < got && !found; i++)
            if (perf[i].status == CUDNN_STATUS_SUCCESS && math_ok (cu, perf[i].mathType))
              {
                a->algo[op] = perf[i].algo;
                a->math[op] = cu->tf32 ? perf[i].mathType : CUDNN_FMA_MATH;
                a->ws[op] = perf[i].memory;
                found = TRUE;
              }
        }
      else if (op == OP_BWD_DATA)
        {
          cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
          CD (cudnnGetConvolutionBackwardDataAlgorithm_v7 (cu->dnn, cu->fw, cu->ty, cu->cv, cu->tx,
                                                           CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &got,
                                                           perf));
          for (int i = 0; i < got && !found; i++)
            if (perf[i].status == CUDNN_STATUS_SUCCESS && math_ok (cu, perf[i].mathType))
              {
                a->algo[op] = perf[i].algo;
                a->math[op] = cu->tf32 ? perf[i].mathType : CUDNN_FMA_MATH;
                a->ws[op] = perf[i].memory;
                found = TRUE;
              }
        }
      else
        {
          cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
          CD (cudnnGetConvolutionBackwardFilterAlgorithm_v7 (cu->dnn, cu->tx, cu->ty, cu->cv, cu->fw,
                                                             CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
                                                             &got, perf));
          for (int i = 0; i < got && !found; i++)
            if (perf[i].status == CUDNN_STATUS_SUCCESS && math_ok (cu, perf[i].mathType))
              {
                a->algo[op] = perf[i].algo;
                a->math[op] = cu->tf32 ? perf[i].mathType : CUDNN_FMA_MATH;
                a->ws[op] = perf[i].memory;
                found = TRUE;
              }
        }
      if (!found)
        g_error ("CUDA backend: cuDNN offers no FP32 algorithm for a convolution (op %d)", op);
      /* the workspace of the chosen algorithm with the math type it runs with */
      CD (cudnnSetConvolutionMathType (cu->cv, a->math[op]));
      if (op == OP_FWD)
        CD (cudnnGetConvolutionForwardWorkspaceSize (cu->dnn, cu->tx, cu->fw, cu->cv, cu->ty,
                                                     (cudnnConvolutionFwdAlgo_t) a->algo[op], &a->ws[op]));
      else if (op == OP_BWD_DATA)
        CD (cudnnGetConvolutionBackwardDataWorkspaceSize (cu->dnn, cu->fw, cu->ty, cu->cv, cu->tx,
                                                          (cudnnConvolutionBwdDataAlgo_t) a->algo[op],
                                                          &a->ws[op]));
      else
        CD (cudnnGetConvolutionBackwardFilterWorkspaceSize (cu->dnn, cu->tx, cu->ty, cu->cv, cu->fw,
                                                            (cudnnConvolutionBwdFilterAlgo_t) a->algo[op],
                                                            &a->ws[op]));
      a->have[op] = TRUE;
    }
  CD (cudnnSetConvolutionMathType (cu->cv, a->math[op]));
  if (cu->dnn_ws_n < a->ws[op])
    {
      CU (cudaStreamSynchronize (cu->st));
      if (cu->dnn_ws != NULL)
        CU (cudaFree (cu->dnn_ws));
      cu->dnn_ws = NULL;
      CU (cudaMalloc (&cu->dnn_ws, a->ws[op]));
      cu->dnn_ws_n = a->ws[op];
    }
}

/* y = β·y + conv(x) */
static void
conv_fwd (GmNnCuda       *cu,
          const ConvGeom *g,
          const float    *x,
          const float    *w,
          float           beta,
          float          *y)
{
  ConvAlgos *a = conv_setup (cu, g);
  float alpha = 1.f;

  conv_choose (cu, a, OP_FWD);
  CD (cudnnConvolutionForward (cu->dnn, &alpha, cu->tx, x, cu->fw, w, cu->cv,
                               (cudnnConvolutionFwdAlgo_t) a->algo[OP_FWD], cu->dnn_ws, a->ws[OP_FWD],
                               &beta, cu->ty, y));
}

/* dx = β·dx + convᵀ(dy) */
static void
conv_bwd_data (GmNnCuda       *cu,
               const ConvGeom *g,
               const float    *w,
               const float    *dy,
               float           beta,
               float          *dx)
{
  ConvAlgos *a = conv_setup (cu, g);
  float alpha = 1.f;

  conv_choose (cu, a, OP_BWD_DATA);
  CD (cudnnConvolutionBackwardData (cu->dnn, &alpha, cu->fw, w, cu->ty, dy, cu->cv,
                                    (cudnnConvolutionBwdDataAlgo_t) a->algo[OP_BWD_DATA], cu->dnn_ws,
                                    a->ws[OP_BWD_DATA], &beta, cu->tx, dx));
}

/* dw = β·dw + Σ x ⋆ dy */
static void
conv_bwd_filter (GmNnCuda       *cu,
                 const ConvGeom *g,
                 const float    *x,
                 const float    *dy,
                 float           beta,
                 float          *dw)
{
  ConvAlgos *a = conv_setup (cu, g);
  float alpha = 1.f;

  conv_choose (cu, a, OP_BWD_FILTER);
  CD (cudnnConvolutionBackwardFilter (cu->dnn, &alpha, cu->tx, x, cu->ty, dy, cu->cv,
                                      (cudnnConvolutionBwdFilterAlgo_t) a->algo[OP_BWD_FILTER],
                                      cu->dnn_ws, a->ws[OP_BWD_FILTER], &beta, cu->fw, dw));
}

/* The convolution of a Conv2d: x (n, cin, h, w) → y (n, cout, ho, wo). */
static ConvGeom
geom_conv (const GmNnConv *c,
           int             n,
           int             h,
           int             w)
{
  ConvGeom g = { n, c->cin, h, w, c->cout, c->kh, c->kw, c->pad, c->stride, c->dil,
                 conv_out (c, h), conv_out (c, w) };
  return g;
}

/* The convolution a ConvTranspose2d transposes: from its output
 * (n, cout, ho, wo) to its input (n, cin, h, w), filter [cin, cout, kh, kw]
 * as cuDNN's (k = cin, c = cout). */
static ConvGeom
geom_convt (const GmNnConv *c,
            int             n,
            int             h,
            int             w)
{
  ConvGeom g = { n, c->cout, convt_out (c, h), convt_out (c, w), c->cin, c->kh, c->kw, c->pad,
                 c->stride, c->dil, h, w };
  return g;
}

static void
cuda_conv2d_forward (gpointer        ctx,
                     const GmNnConv *c,
                     int             n,
                     int             h,
                     int             w,
                     const float    *x,
                     const float    *weight,
                     const float    *bias,
                     float          *y)
{
  GmNnCuda *cu = enter (ctx);
  ConvGeom g = geom_conv (c, n, h, w);

  conv_fwd (cu, &g, x, weight, 0.f, y);
  if (bias != NULL)
    gmk_add_bias (cu->st, y, bias, n, c->cout, g.ho * g.wo);
  KCHECK ("conv2d_forward");
}

static void
cuda_conv2d_backward (gpointer        ctx,
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
  GmNnCuda *cu = enter (ctx);
  ConvGeom g = geom_conv (c, n, h, w);

  if (db != NULL)
    gmk_bias_sum (cu->st, dy, n, c->cout, g.ho * g.wo, db);
  if (dx != NULL)
    conv_bwd_data (cu, &g, weight, dy, 1.f, dx);
  if (dw != NULL)
    conv_bwd_filter (cu, &g, x, dy, 1.f, dw);
  KCHECK ("conv2d_backward");
}

static void
cuda_convt2d_forward (gpointer        ctx,
                      const GmNnConv *c,
                      int             n,
                      int             h,
                      int             w,
                      const float    *x,
                      const float    *weight,
                      const float    *bias,
                      float          *y)
{
  GmNnCuda *cu = enter (ctx);
  ConvGeom g = geom_convt (c, n, h, w);

  conv_bwd_data (cu, &g, weight, x, 0.f, y);
  if (bias != NULL)
    gmk_add_bias (cu->st, y, bias, n, c->cout, g.h * g.w);
  KCHECK ("convt2d_forward");
}

static void
cuda_convt2d_backward (gpointer        ctx,
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
  GmNnCuda *cu = enter (ctx);
  ConvGeom g = geom_convt (c, n, h, w);

  if (db != NULL)
    gmk_bias_sum (cu->st, dy, n, c->cout, g.h * g.w, db);
  if (dx != NULL)
    conv_fwd (cu, &g, dy, weight, 1.f, dx);
  if (dw != NULL)
    conv_bwd_filter (cu, &g, dy, x, 1.f, dw);
  KCHECK ("convt2d_backward");
}

/* ------------------------------------------------------------ deformable convolution */

static GmkDcn
dcn_desc (const GmNnConv *c,
          int             h,
          int             w)
{
  GmkDcn d = { c->cin, c->kh, c->kw, c->stride, c->pad, c->dil, h, w, conv_out (c, h), conv_out (c, w) };
  return d;
}

static int
dcn_chunk (gsize per,
           int   n)
{
  gsize nb = DCN_COL_LIMIT / MAX (per, 1);

  return (int) CLAMP (nb, 1, (gsize) MAX (n, 1));
}

static void
cuda_dcn_forward (gpointer        ctx,
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
  GmNnCuda *cu = enter (ctx);
  GmkDcn d = dcn_desc (c, h, w);
  int P = d.ho * d.wo, KK = c->kh * c->kw, K = c->cin * KK;
  gsize per = (gsize) K * P, in_sz = (gsize) c->cin * h * w, out_sz = (gsize) c->cout * P;
  int nb = dcn_chunk (per, n);
  float *col = ws_get (cu, WS_COL, per * nb);

  for (int n0 = 0; n0 < n; n0 += nb)
    {
      int cnt = MIN (nb, n - n0);

      gmk_dcn_im2col (cu->st, &d, cnt, x + n0 * in_sz, offset + (gsize) n0 * 2 * KK * P,
                      mask + (gsize) n0 * KK * P, col);
      /* y_s [cout × P] = W [cout × K] · col_s [K × P] */
      gemm_batched (cu, FALSE, FALSE, c->cout, P, K, 1.f, weight, K, 0, col, P, (long long) per,
                    0.f, y + n0 * out_sz, P, (long long) out_sz, cnt);
      if (bias != NULL)
        gmk_add_bias (cu->st, y + n0 * out_sz, bias, cnt, c->cout, P);
    }
  KCHECK ("dcn_forward");
}

static void
cuda_dcn_backward (gpointer        ctx,
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
  GmNnCuda *cu = enter (ctx);
  GmkDcn d = dcn_desc (c, h, w);
  int P = d.ho * d.wo, KK = c->kh * c->kw, K = c->cin * KK;
  gsize per = (gsize) K * P, in_sz = (gsize) c->cin * h * w, out_sz = (gsize) c->cout * P;
  gboolean need_cols = dx != NULL || doffset != NULL || dmask != NULL;
  int nb = dcn_chunk (per, n);
  float *col;

  if (db != NULL)
    gmk_bias_sum (cu->st, dy, n, c->cout, P, db);
  if (dw == NULL && !need_cols)
    {
      KCHECK ("dcn_backward");
      return;
    }
  col = ws_get (cu, WS_COL, per * nb);
  for (int n0 = 0; n0 < n; n0 += nb)
    {
      int cnt = MIN (nb, n - n0);
      const float *xs = x + n0 * in_sz;
      const float *os = offset + (gsize) n0 * 2 * KK * P;
      const float *ms = mask + (gsize) n0 * KK * P;
      const float *dys = dy + n0 * out_sz;

      if (dw != NULL)
        {
          gmk_dcn_im2col (cu->st, &d, cnt, xs, os, ms, col);
          /* dW [cout × K] += dy_s [cout × P] · col_sᵀ */
          for (int s = 0; s < cnt; s++)
            gemm (cu, FALSE, TRUE, c->cout, K, P, 1.f, dys + s * out_sz, P, col + s * per, P, 1.f,
                  dw, K);
        }
      if (need_cols)
        {
          /* column gradient col_s [K × P] = Wᵀ · dy_s (overwrites the
           * columns, after the dW GEMMs in stream order) */
          gemm_batched (cu, TRUE, FALSE, K, P, c->cout, 1.f, weight, K, 0, dys, P,
                        (long long) out_sz, 0.f, col, P, (long long) per, cnt);
          gmk_dcn_scatter (cu->st, &d, cnt, xs, os, ms, col,
                           dx != NULL ? dx + n0 * in_sz : NULL,
                           doffset != NULL ? doffset + (gsize) n0 * 2 * KK * P : NULL,
                           dmask != NULL ? dmask + (gsize) n0 * KK * P : NULL);
        }
    }
  KCHECK ("dcn_backward");
}

/* ------------------------------------------------------------ pad, pooling, gates */

static void
cuda_reflect_pad_forward (gpointer ctx, int nc, int h, int w, int pad, const float *x, float *y)
{
  GmNnCuda *cu = enter (ctx);

  gmk_reflect_pad_forward (cu->st, nc, h, w, pad, x, y);
  KCHECK ("reflect_pad_forward");
}

static void
cuda_reflect_pad_backward (gpointer ctx, int nc, int h, int w, int pad, const float *dy, float *dx)
{
  GmNnCuda *cu = enter (ctx);

  gmk_reflect_pad_backward (cu->st, nc, h, w, pad, dy, dx);
  KCHECK ("reflect_pad_backward");
}

static void
cuda_global_avg_forward (gpointer ctx, int nc, int hw, const float *x, float *y)
{
  GmNnCuda *cu = enter (ctx);

  gmk_global_avg_forward (cu->st, nc, hw, x, y);
  KCHECK ("global_avg_forward");
}

static void
cuda_global_avg_backward (gpointer ctx, int nc, int hw, const float *dy, float *dx)
{
  GmNnCuda *cu = enter (ctx);

  gmk_global_avg_backward (cu->st, nc, hw, dy, dx);
  KCHECK ("global_avg_backward");
}

static void
cuda_global_max_forward (gpointer ctx, int nc, int hw, const float *x, float *y)
{
  GmNnCuda *cu = enter (ctx);

  gmk_global_max_forward (cu->st, nc, hw, x, y);
  KCHECK ("global_max_forward");
}

static void
cuda_global_max_backward (gpointer ctx, int nc, int hw, const float *x, const float *y,
                          const float *dy, float *dx)
{
  GmNnCuda *cu = enter (ctx);

  gmk_global_max_backward (cu->st, nc, hw, x, y, dy, dx);
  KCHECK ("global_max_backward");
}

static void
cuda_chanpool_forward (gpointer ctx, int n, int c, int hw, const float *x, float *y)
{
  GmNnCuda *cu = enter (ctx);

  gmk_chanpool_forward (cu->st, n, c, hw, x, y);
  KCHECK ("chanpool_forward");
}

static void
cuda_chanpool_backward (gpointer ctx, int n, int c, int hw, const float *x, const float *y,
                        const float *dy, float *dx)
{
  GmNnCuda *cu = enter (ctx);

  gmk_chanpool_backward (cu->st, n, c, hw, x, y, dy, dx);
  KCHECK ("chanpool_backward");
}

static void
cuda_chgate_forward (gpointer ctx, int n, int c, int hw, const float *x, const float *g, float *y)
{
  GmNnCuda *cu = enter (ctx);

  gmk_chgate_forward (cu->st, n, c, hw, x, g, y);
  KCHECK ("chgate_forward");
}

static void
cuda_chgate_backward (gpointer ctx, int n, int c, int hw, const float *x, const float *g,
                      const float *dy, float *dx, float *dg)
{
  GmNnCuda *cu = enter (ctx);

  gmk_chgate_backward (cu->st, n, c, hw, x, g, dy, dx, dg);
  KCHECK ("chgate_backward");
}

static void
cuda_spgate_forward (gpointer ctx, int n, int c, int hw, const float *x, const float *g, float *y)
{
  GmNnCuda *cu = enter (ctx);

  gmk_spgate_forward (cu->st, n, c, hw, x, g, y);
  KCHECK ("spgate_forward");
}

static void
cuda_spgate_backward (gpointer ctx, int n, int c, int hw, const float *x, const float *g,
                      const float *dy, float *dx, float *dg)
{
  GmNnCuda *cu = enter (ctx);

  gmk_spgate_backward (cu->st, n, c, hw, x, g, dy, dx, dg);
  KCHECK ("spgate_backward");
}

static void
cuda_concat (gpointer ctx, int n, int ca, int cb, int hw, const float *a, const float *b, float *y)
{
  GmNnCuda *cu = enter (ctx);

  gmk_concat (cu->st, n, ca, cb, hw, a, b, y);
  KCHECK ("concat");
}

static void
cuda_split_add (gpointer ctx, int n, int ca, int cb, int hw, const float *y, float *a, float *b)
{
  GmNnCuda *cu = enter (ctx);

  gmk_split_add (cu->st, n, ca, cb, hw, y, a, b);
  KCHECK ("split_add");
}

/* ------------------------------------------------------------ linear */

static void
cuda_linear_forward (gpointer     ctx,
                     int          n,
                     int          in,
                     int          out,
                     const float *x,
                     const float *weight,
                     const float *bias,
                     float       *y)
{
  GmNnCuda *cu = enter (ctx);

  /* y [n × out] = x [n × in] · Wᵀ, then + bias */
  gemm (cu, FALSE, TRUE, n, out, in, 1.f, x, in, weight, in, 0.f, y, out);
  if (bias != NULL)
    gmk_add_bias_rows (cu->st, y, bias, n, out);
  KCHECK ("linear_forward");
}

static void
cuda_linear_backward (gpointer     ctx,
                      int          n,
                      int          in,
                      int          out,
                      const float *x,
                      const float *weight,
                      const float *dy,
                      float       *dx,
                      float       *dw,
                      float       *db)
{
  GmNnCuda *cu = enter (ctx);

  if (dx != NULL)
    gemm (cu, FALSE, FALSE, n, in, out, 1.f, dy, out, weight, in, 1.f, dx, in);
  if (dw != NULL)
    gemm (cu, TRUE, FALSE, out, in, n, 1.f, dy, out, x, in, 1.f, dw, in);
  if (db != NULL)
    gmk_bias_sum_rows (cu->st, dy, n, out, db);
  KCHECK ("linear_backward");
}

/* ------------------------------------------------------------ batch norm */

static void
cuda_bn_forward (gpointer     ctx,
                 gboolean     train,
                 int          n,
                 int          c,
                 int          hw,
                 const float *x,
                 const float *gamma,
                 const float *beta,
                 float       *running_mean,
                 float       *running_var,
                 float        momentum,
                 float        eps,
                 float       *saved,
                 float       *y)
{
  GmNnCuda *cu = enter (ctx);

  gmk_bn_forward (cu->st, train, n, c, hw, x, gamma, beta, running_mean, running_var, momentum, eps,
                  saved, dscratch (cu, 2 * (gsize) c), y);
  KCHECK ("bn_forward");
}

static void
cuda_bn_backward (gpointer     ctx,
                  gboolean     train,
                  int          n,
                  int          c,
                  int          hw,
                  const float *x,
                  const float *gamma,
                  const float *saved,
                  const float *dy,
                  float       *dx,
                  float       *dgamma,
                  float       *dbeta)
{
  GmNnCuda *cu = enter (ctx);

  gmk_bn_backward (cu->st, train, n, c, hw, x, gamma, saved, dy, dx, dgamma, dbeta,
                   dscratch (cu, 2 * (gsize) c));
  KCHECK ("bn_backward");
}

/* ------------------------------------------------------------ whitening */

static const GmNnConv whiten_conv = { 1, 1, 3, 3, 1, 1, 1, 0 };

static void
cuda_whiten_stats (gpointer     ctx,
                   int          n,
                   int          h,
                   int          w,
                   const float *x,
                   float        eps,
                   float        momentum,
                   float       *mu,
                   float       *D,
                   float       *running_mean,
                   float       *running_deconv)
{
  GmNnCuda *cu = enter (ctx);

  gmk_whiten_stats (cu->st, n, h, w, x, eps, momentum, mu, D, running_mean, running_deconv,
                    dscratch (cu, 9 + 45));
  KCHECK ("whiten_stats");
}

static void
cuda_whiten_conv_forward (gpointer     ctx,
                          int          n,
                          int          h,
                          int          w,
                          const float *x,
                          const float *weight,
                          const float *bias,
                          const float *mu,
                          const float *D,
                          float       *y)
{
  GmNnCuda *cu = enter (ctx);
  float *weff = cu->small;

  gmk_whiten_effective (cu->st, weight, bias, mu, D, weff);
  cuda_conv2d_forward (ctx, &whiten_conv, n, h, w, x, weff, weff + 9, y);
}

static void
cuda_whiten_conv_backward (gpointer     ctx,
                           int          n,
                           int          h,
                           int          w,
                           const float *x,
                           const float *weight,
                           const float *mu,
                           const float *D,
                           const float *dy,
                           float       *dx,
                           float       *dw,
                           float       *db)
{
  GmNnCuda *cu = enter (ctx);
  float *weff = cu->small, *gw = cu->small + 16, *gb = cu->small + 25;

  gmk_whiten_effective (cu->st, weight, NULL, mu, D, weff);
  CU (cudaMemsetAsync (gw, 0, 10 * sizeof (float), cu->st));   /* gw[0..8] and gb */
  cuda_conv2d_backward (ctx, &whiten_conv, n, h, w, x, weff, dy, dx, dw != NULL ? gw : NULL, gb);
  gmk_whiten_grad (cu->st, gw, gb, mu, D, dw, db);
  KCHECK ("whiten_conv_backward");
}

/* ------------------------------------------------------------ loss */

static void
dft_tables (GmNnCuda *cu,
            int       h,
            int       w)
{
  if (cu->dft_h == h && cu->dft_w == w)
    return;
  CU (cudaStreamSynchronize (cu->st));
  for (int i = 0; i < 4; i++)
    {
      float **t = i == 0 ? &cu->dft_ch : i == 1 ? &cu->dft_sh : i == 2 ? &cu->dft_cw : &cu->dft_sw;
      if (*t != NULL)
        CU (cudaFree (*t));
      *t = NULL;
    }
  for (int pass = 0; pass < 2; pass++)
    {
      int m = pass == 0 ? h : w;
      g_autofree float *C = g_new (float, (gsize) m * m);
      g_autofree float *S = g_new (float, (gsize) m * m);

      /* the CPU backend's tables, value for value */
      for (int u = 0; u < m; u++)
        for (int v = 0; v < m; v++)
          {
            double a = 2.0 * G_PI * (double) (((gint64) u * v) % m) / m;
            C[u * m + v] = (float) cos (a);
            S[u * m + v] = (float) sin (a);
          }
      float **dc = pass == 0 ? &cu->dft_ch : &cu->dft_cw;
      float **ds = pass == 0 ? &cu->dft_sh : &cu->dft_sw;
      CU (cudaMalloc ((void **) dc, (gsize) m * m * sizeof (float)));
      CU (cudaMalloc ((void **) ds, (gsize) m * m * sizeof (float)));
      /* on our (non-blocking) stream, and finished before C and S go */
      CU (cudaMemcpyAsync (*dc, C, (gsize) m * m * sizeof (float), cudaMemcpyHostToDevice, cu->st));
      CU (cudaMemcpyAsync (*ds, S, (gsize) m * m * sizeof (float), cudaMemcpyHostToDevice, cu->st));
      CU (cudaStreamSynchronize (cu->st));
    }
  cu->dft_h = h;
  cu->dft_w = w;
}

/* As cpu_loss_forward_backward: F = C − iS; Bc = e·Cw, Bs = e·Sw over all
 * n·h rows; per map Re = Ch·Bc − Sh·Bs, Im = −(Ch·Bs + Sh·Bc) (batched with
 * a zero stride for the tables); the gradient likewise. */
static double
cuda_loss_forward_backward (gpointer     ctx,
                            int          n,
                            int          h,
                            int          w,
                            const float *out,
                            const float *target,
                            float        w_freq,
                            float       *grad)
{
  GmNnCuda *cu = enter (ctx);
  gsize tot = (gsize) n * h * w, hw = (gsize) h * w;
  float *buf = ws_get (cu, WS_DFT, 5 * tot);
  float *e = buf, *bc = buf + tot, *bs = buf + 2 * tot, *re = buf + 3 * tot, *im = buf + 4 * tot;
  double *acc = dscratch (cu, 2);
  double l1, lf;

  dft_tables (cu, h, w);
  gmk_loss_diff (cu->st, tot, out, target, e, acc);
  gemm (cu, FALSE, FALSE, n * h, w, w, 1.f, e, w, cu->dft_cw, w, 0.f, bc, w);
  gemm (cu, FALSE, FALSE, n * h, w, w, 1.f, e, w, cu->dft_sw, w, 0.f, bs, w);
  gemm_batched (cu, FALSE, FALSE, h, w, h, 1.f, cu->dft_ch, h, 0, bc, w, (long long) hw, 0.f, re, w,
                (long long) hw, n);
  gemm_batched (cu, FALSE, FALSE, h, w, h, -1.f, cu->dft_sh, h, 0, bs, w, (long long) hw, 1.f, re, w,
                (long long) hw, n);
  gemm_batched (cu, FALSE, FALSE, h, w, h, -1.f, cu->dft_ch, h, 0, bs, w, (long long) hw, 0.f, im, w,
                (long long) hw, n);
  gemm_batched (cu, FALSE, FALSE, h, w, h, -1.f, cu->dft_sh, h, 0, bc, w, (long long) hw, 1.f, im, w,
                (long long) hw, n);
  /* Σ |Re| + |Im| into acc[1], then Re, Im ← their signs */
  gmk_loss_freq (cu->st, tot, re, im, acc + 1);
  if (grad != NULL)
    {
      float *sr = re, *si = im, *P = bc, *Q = bs;
      float kf = w_freq / (float) (2 * tot), k1 = 1.f / (float) tot;

      gemm (cu, FALSE, FALSE, n * h, w, w, 1.f, sr, w, cu->dft_cw, w, 0.f, P, w);
      gemm (cu, FALSE, FALSE, n * h, w, w, -1.f, si, w, cu->dft_sw, w, 1.f, P, w);
      gemm (cu, FALSE, FALSE, n * h, w, w, 1.f, sr, w, cu->dft_sw, w, 0.f, Q, w);
      gemm (cu, FALSE, FALSE, n * h, w, w, 1.f, si, w, cu->dft_cw, w, 1.f, Q, w);
      gmk_loss_grad_l1 (cu->st, tot, e, k1, grad);
      gemm_batched (cu, FALSE, FALSE, h, w, h, kf, cu->dft_ch, h, 0, P, w, (long long) hw, 1.f, grad,
                    w, (long long) hw, n);
      gemm_batched (cu, FALSE, FALSE, h, w, h, -kf, cu->dft_sh, h, 0, Q, w, (long long) hw, 1.f, grad,
                    w, (long long) hw, n);
    }
  KCHECK ("loss_forward_backward");
  CU (cudaMemcpyAsync (cu->host_acc, acc, 2 * sizeof (double), cudaMemcpyDeviceToHost, cu->st));
  CU (cudaStreamSynchronize (cu->st));
  l1 = cu->host_acc[0];
  lf = cu->host_acc[1];
  return l1 / (double) tot + (double) w_freq * lf / (double) (2 * tot);
}

/* ------------------------------------------------------------ Adam */

static void
cuda_adam_update (gpointer     ctx,
                  gsize        n,
                  float       *param,
                  const float *grad,
                  float       *m,
                  float       *v,
                  float        lr,
                  float        beta1,
                  float        beta2,
                  float        eps,
                  int          step)
{
  GmNnCuda *cu = enter (ctx);
  double bc1 = 1.0 - pow (beta1, step), bc2 = 1.0 - pow (beta2, step);
  float step_size = (float) (lr / bc1), sbc2 = (float) sqrt (bc2);

  gmk_adam (cu->st, n, param, grad, m, v, beta1, beta2, eps, step_size, sbc2);
  KCHECK ("adam_update");
}

/* ------------------------------------------------- layout algebra (FP64) */

/* C = α·op(A)·op(B) + β·C on host row-major matrices: copied to the device,
 * cublasDgemm, copied back.  A row-major X is the column-major Xᵀ, so the
 * product is taken as Cᵀ = op(B)ᵀ·op(A)ᵀ.  Out of device memory → FALSE. */
static gboolean
cuda_host_dgemm (gpointer      ctx,
                 gboolean      ta,
                 gboolean      tb,
                 int           m,
                 int           n,
                 int           k,
                 double        alpha,
                 const double *a,
                 int           lda,
                 const double *b,
                 int           ldb,
                 double        beta,
                 double       *c,
                 int           ldc)
{
  GmNnCuda *cu = enter (ctx);
  size_t na = (size_t) (ta ? k : m) * lda, nb = (size_t) (tb ? n : k) * ldb, nc = (size_t) m * ldc;
  double *da = NULL, *db = NULL, *dc = NULL;
  gboolean ok = FALSE;

  if (m <= 0 || n <= 0)
    return TRUE;
  if (cudaMalloc ((void **) &da, MAX (na, 1) * sizeof (double)) != cudaSuccess
      || cudaMalloc ((void **) &db, MAX (nb, 1) * sizeof (double)) != cudaSuccess
      || cudaMalloc ((void **) &dc, nc * sizeof (double)) != cudaSuccess)
    {
      (void) cudaGetLastError ();     /* clear the allocation error */
      goto out;
    }
  CU (cudaMemcpyAsync (da, a, na * sizeof (double), cudaMemcpyHostToDevice, cu->st));
  CU (cudaMemcpyAsync (db, b, nb * sizeof (double), cudaMemcpyHostToDevice, cu->st));
  if (beta != 0.0)
    CU (cudaMemcpyAsync (dc, c, nc * sizeof (double), cudaMemcpyHostToDevice, cu->st));
  CB (cublasDgemm (cu->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                   n, m, k, &alpha, db, ldb, da, lda, &beta, dc, ldc));
  CU (cudaMemcpyAsync (c, dc, nc * sizeof (double), cudaMemcpyDeviceToHost, cu->st));
  CU (cudaStreamSynchronize (cu->st));
  ok = TRUE;
out:
  if (da != NULL)
    CU (cudaFree (da));
  if (db != NULL)
    CU (cudaFree (db));
  if (dc != NULL)
    CU (cudaFree (dc));
  return ok;
}

static gboolean
cuda_mem_info (gpointer  ctx,
               guint64  *free_bytes,
               guint64  *total_bytes)
{
  GmNnCuda *cu = enter (ctx);
  size_t f = 0, t = 0;

  (void) cu;
  if (cudaMemGetInfo (&f, &t) != cudaSuccess)
    {
      (void) cudaGetLastError ();
      return FALSE;
    }
  *free_bytes = f;
  *total_bytes = t;
  return TRUE;
}

/* ------------------------------------------------------------ life cycle */

static void
free_block_array (gpointer p)
{
  g_ptr_array_unref (p);
}

static void
cuda_context_free (GmNnCuda *cu)
{
  GHashTableIter it;
  gpointer key, value;

  if (cu == NULL)
    return;
  (void) cudaSetDevice (cu->device);
  if (cu->st != NULL)
    (void) cudaStreamSynchronize (cu->st);
  if (cu->pool != NULL)
    {
      g_hash_table_iter_init (&it, cu->pool);
      while (g_hash_table_iter_next (&it, &key, &value))
        {
          GPtrArray *a = value;
          for (guint i = 0; i < a->len; i++)
            (void) cudaFree (g_ptr_array_index (a, i));
        }
      g_hash_table_destroy (cu->pool);
    }
  if (cu->live != NULL)
    {
      /* blocks the engine did not free (it frees everything it allocates) */
      g_hash_table_iter_init (&it, cu->live);
      while (g_hash_table_iter_next (&it, &key, &value))
        (void) cudaFree (key);
      g_hash_table_destroy (cu->live);
    }
  for (int i = 0; i < WS_COUNT; i++)
    if (cu->ws[i] != NULL)
      (void) cudaFree (cu->ws[i]);
  if (cu->dnn_ws != NULL)
    (void) cudaFree (cu->dnn_ws);
  if (cu->dscratch != NULL)
    (void) cudaFree (cu->dscratch);
  if (cu->small != NULL)
    (void) cudaFree (cu->small);
  if (cu->dft_ch != NULL)
    (void) cudaFree (cu->dft_ch);
  if (cu->dft_sh != NULL)
    (void) cudaFree (cu->dft_sh);
  if (cu->dft_cw != NULL)
    (void) cudaFree (cu->dft_cw);
  if (cu->dft_sw != NULL)
    (void) cudaFree (cu->dft_sw);
  if (cu->pin != NULL)
    (void) cudaFreeHost (cu->pin);
  if (cu->host_acc != NULL)
    (void) cudaFreeHost (cu->host_acc);
  if (cu->pin_ev != NULL)
    (void) cudaEventDestroy (cu->pin_ev);
  if (cu->algos != NULL)
    g_hash_table_destroy (cu->algos);
  if (cu->tx != NULL)
    (void) cudnnDestroyTensorDescriptor (cu->tx);
  if (cu->ty != NULL)
    (void) cudnnDestroyTensorDescriptor (cu->ty);
  if (cu->fw != NULL)
    (void) cudnnDestroyFilterDescriptor (cu->fw);
  if (cu->cv != NULL)
    (void) cudnnDestroyConvolutionDescriptor (cu->cv);
  if (cu->dnn != NULL)
    (void) cudnnDestroy (cu->dnn);
  if (cu->blas != NULL)
    (void) cublasDestroy (cu->blas);
  if (cu->st != NULL)
    (void) cudaStreamDestroy (cu->st);
  g_free (cu->name);
  g_free (cu);
}

static void
cuda_destroy (GmNnBackend *backend)
{
  cuda_context_free (backend->ctx);
  g_free (backend);
}

/* Why the runtime cannot give us a device, in one phrase. */
static char *
runtime_reason (cudaError_t e)
{
  int rt = 0, drv = 0;

  (void) cudaRuntimeGetVersion (&rt);
  (void) cudaDriverGetVersion (&drv);
  switch (e)
    {
    case cudaErrorNoDevice:
      return g_strdup_printf ("no CUDA device (%s)", cudaGetErrorString (e));
    case cudaErrorInsufficientDriver:
      if (drv == 0)
        return g_strdup_printf ("no NVIDIA driver (%s)", cudaGetErrorString (e));
      return g_strdup_printf ("the NVIDIA driver (CUDA %d.%d) is older than the CUDA runtime %d.%d (%s)",
                              drv / 1000, drv % 1000 / 10, rt / 1000, rt % 1000 / 10,
                              cudaGetErrorString (e));
    default:
      return g_strdup_printf ("CUDA cannot start: %s (%s)", cudaGetErrorString (e), cudaGetErrorName (e));
    }
}

GM_EXPORT char *gm_nn_cuda_probe (unsigned int abi, char **error_message);
GM_EXPORT GmNnBackend *gm_nn_cuda_backend_new (unsigned int abi, gsize table_size, int device,
                                                char **error_message);

GM_EXPORT char *
gm_nn_cuda_probe (unsigned int abi,
                  char       **error_message)
{
  GString *s;
  cudaError_t e;
  int count = 0, rt = 0, drv = 0;
  int blas_major = 0, blas_minor = 0;
  size_t dnn = cudnnGetVersion ();

  if (abi != GM_NN_BACKEND_ABI)
    {
      *error_message = g_strdup_printf ("the module was built for backend table %d, this program has %u",
                                        GM_NN_BACKEND_ABI, abi);
      return NULL;
    }
  e = cudaGetDeviceCount (&count);
  if (e != cudaSuccess || count == 0)
    {
      *error_message = e != cudaSuccess ? runtime_reason (e) : g_strdup ("no CUDA device");
      return NULL;
    }
  (void) cudaRuntimeGetVersion (&rt);
  (void) cudaDriverGetVersion (&drv);
  (void) cublasGetProperty (MAJOR_VERSION, &blas_major);
  (void) cublasGetProperty (MINOR_VERSION, &blas_minor);
  s = g_string_new (NULL);
  for (int d = 0; d < count; d++)
    {
      struct cudaDeviceProp p;

      if (cudaGetDeviceProperties (&p, d) != cudaSuccess)
        continue;
      g_string_append_printf (s, "%d: %s (sm_%d%d, %.0f GiB), CUDA runtime %d.%d, driver %d.%d, "
                              "cuBLAS %d.%d, cuDNN %zu.%zu.%zu%s\n",
                              d, p.name, p.major, p.minor, p.totalGlobalMem / 1073741824.0,
                              rt / 1000, rt % 1000 / 10, drv / 1000, drv % 1000 / 10, blas_major,
                              blas_minor, dnn / 10000, dnn % 10000 / 100, dnn % 100,
                              p.major < 9 ? " — this module carries code for sm_90 only" : "");
    }
  return g_string_free (s, FALSE);
}

GM_EXPORT GmNnBackend *
gm_nn_cuda_backend_new (unsigned int abi,
                        gsize        table_size,
                        int          device,
                        char       **error_message)
{
  GmNnCuda *cu;
  GmNnBackend *b;
  cudaError_t e;
  cublasStatus_t be;
  cudnnStatus_t de;
  int count = 0;
  size_t dnn_version;
  const char *tf32 = g_getenv ("GENOMAP_CUDA_TF32");
  struct cudaDeviceProp prop;

  if (abi != GM_NN_BACKEND_ABI || table_size != sizeof (GmNnBackend))
    {
      *error_message = g_strdup_printf ("the module was built for another version of GenoMap Studio "
                                        "(backend table %d, this program has %u)", GM_NN_BACKEND_ABI, abi);
      return NULL;
    }
  e = cudaGetDeviceCount (&count);
  if (e != cudaSuccess)
    {
      *error_message = runtime_reason (e);
      return NULL;
    }
  if (count == 0)
    {
      *error_message = g_strdup ("no CUDA device");
      return NULL;
    }
  if (device < 0 || device >= count)
    {
      *error_message = g_strdup_printf ("there is no CUDA device %d (%d device%s)", device, count,
                                        count == 1 ? "" : "s");
      return NULL;
    }
  dnn_version = cudnnGetVersion ();
  if (dnn_version < 90000)
    {
      *error_message = g_strdup_printf ("cuDNN %zu.%zu is too old (9 or later is needed)",
                                        dnn_version / 10000, dnn_version % 10000 / 100);
      return NULL;
    }
  if ((e = cudaSetDevice (device)) != cudaSuccess || (e = cudaFree (NULL)) != cudaSuccess
      || (e = cudaGetDeviceProperties (&prop, device)) != cudaSuccess)
    {
      *error_message = g_strdup_printf ("CUDA device %d cannot be used: %s", device, cudaGetErrorString (e));
      return NULL;
    }
  if (prop.major < 9)
    {
      *error_message = g_strdup_printf ("CUDA device %d (%s, sm_%d%d) is older than the sm_90 this module "
                                        "was compiled for; rebuild it with its -arch", device, prop.name,
                                        prop.major, prop.minor);
      return NULL;
    }

  cu = g_new0 (GmNnCuda, 1);
  cu->device = device;
  cu->tf32 = tf32 != NULL && strcmp (tf32, "1") == 0;
  cu->name = g_strdup_printf ("cuda:%d", device);
  if ((e = cudaStreamCreateWithFlags (&cu->st, cudaStreamNonBlocking)) != cudaSuccess
      || (e = cudaEventCreateWithFlags (&cu->pin_ev, cudaEventDisableTiming)) != cudaSuccess
      || (e = cudaMallocHost ((void **) &cu->host_acc, 2 * sizeof (double))) != cudaSuccess
      || (e = cudaMalloc ((void **) &cu->small, 32 * sizeof (float))) != cudaSuccess)
    {
      *error_message = g_strdup_printf ("CUDA device %d: %s", device, cudaGetErrorString (e));
      cuda_context_free (cu);
      return NULL;
    }
  if ((be = cublasCreate (&cu->blas)) != CUBLAS_STATUS_SUCCESS
      || (be = cublasSetStream (cu->blas, cu->st)) != CUBLAS_STATUS_SUCCESS
      || (be = cublasSetMathMode (cu->blas, cu->tf32 ? CUBLAS_TF32_TENSOR_OP_MATH
                                                     : CUBLAS_DEFAULT_MATH)) != CUBLAS_STATUS_SUCCESS)
    {
      *error_message = g_strdup_printf ("cuBLAS cannot start on device %d: %s", device,
                                        cublasGetStatusString (be));
      cuda_context_free (cu);
      return NULL;
    }
  if ((de = cudnnCreate (&cu->dnn)) != CUDNN_STATUS_SUCCESS
      || (de = cudnnSetStream (cu->dnn, cu->st)) != CUDNN_STATUS_SUCCESS
      || (de = cudnnCreateTensorDescriptor (&cu->tx)) != CUDNN_STATUS_SUCCESS
      || (de = cudnnCreateTensorDescriptor (&cu->ty)) != CUDNN_STATUS_SUCCESS
      || (de = cudnnCreateFilterDescriptor (&cu->fw)) != CUDNN_STATUS_SUCCESS
      || (de = cudnnCreateConvolutionDescriptor (&cu->cv)) != CUDNN_STATUS_SUCCESS)
    {
      *error_message = g_strdup_printf ("cuDNN cannot start on device %d: %s", device,
                                        cudnnGetErrorString (de));
      cuda_context_free (cu);
      return NULL;
    }
  cu->algos = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  cu->pool = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, free_block_array);
  cu->live = g_hash_table_new (g_direct_hash, g_direct_equal);

  b = g_new0 (GmNnBackend, 1);
  b->name = cu->name;
  b->ctx = cu;
  b->destroy = cuda_destroy;
  b->alloc = cuda_alloc;
  b->free = cuda_free;
  b->upload = cuda_upload;
  b->download = cuda_download;
  b->synchronize = cuda_synchronize;
  b->fill = cuda_fill;
  b->axpby = cuda_axpby;
  b->act_forward = cuda_act_forward;
  b->act_backward = cuda_act_backward;
  b->conv2d_forward = cuda_conv2d_forward;
  b->conv2d_backward = cuda_conv2d_backward;
  b->convt2d_forward = cuda_convt2d_forward;
  b->convt2d_backward = cuda_convt2d_backward;
  b->dcn_forward = cuda_dcn_forward;
  b->dcn_backward = cuda_dcn_backward;
  b->reflect_pad_forward = cuda_reflect_pad_forward;
  b->reflect_pad_backward = cuda_reflect_pad_backward;
  b->global_avg_forward = cuda_global_avg_forward;
  b->global_avg_backward = cuda_global_avg_backward;
  b->global_max_forward = cuda_global_max_forward;
  b->global_max_backward = cuda_global_max_backward;
  b->chanpool_forward = cuda_chanpool_forward;
  b->chanpool_backward = cuda_chanpool_backward;
  b->chgate_forward = cuda_chgate_forward;
  b->chgate_backward = cuda_chgate_backward;
  b->spgate_forward = cuda_spgate_forward;
  b->spgate_backward = cuda_spgate_backward;
  b->concat = cuda_concat;
  b->split_add = cuda_split_add;
  b->linear_forward = cuda_linear_forward;
  b->linear_backward = cuda_linear_backward;
  b->bn_forward = cuda_bn_forward;
  b->bn_backward = cuda_bn_backward;
  b->whiten_stats = cuda_whiten_stats;
  b->whiten_conv_forward = cuda_whiten_conv_forward;
  b->whiten_conv_backward = cuda_whiten_conv_backward;
  b->loss_forward_backward = cuda_loss_forward_backward;
  b->adam_update = cuda_adam_update;
  b->host_dgemm = cuda_host_dgemm;
  b->mem_info = cuda_mem_info;
  return b;
}
