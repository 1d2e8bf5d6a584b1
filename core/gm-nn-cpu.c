/* gm-nn-cpu.c — the CPU reference backend of the ER-Net engine
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Convolutions live in gm-nn-conv.c, the deformable convolution in
 * gm-nn-dcn.c; this file holds the tensors, the backend table and the
 * remaining (memory-bound) primitives.
 */
#include "config.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "gm-nn-private.h"
#include "gm-nn-whiten.h"

/* ------------------------------------------------------------ tensors */

GmNnTensor *
gm_nn_tensor_new (GmNnBackend *backend,
                  int          ndim,
                  const int   *shape)
{
  GmNnTensor *t = g_new0 (GmNnTensor, 1);

  g_return_val_if_fail (ndim >= 1 && ndim <= GM_NN_MAX_DIMS, NULL);
  t->ndim = ndim;
  for (int i = 0; i < ndim; i++)
    t->shape[i] = shape[i];
  t->owner = backend;
  t->data = backend->alloc (backend->ctx, gm_nn_tensor_numel (t));
  return t;
}

GmNnTensor *
gm_nn_tensor_borrow (float     *data,
                     int        ndim,
                     const int *shape)
{
  GmNnTensor *t = g_new0 (GmNnTensor, 1);

  g_return_val_if_fail (ndim >= 1 && ndim <= GM_NN_MAX_DIMS, NULL);
  t->ndim = ndim;
  for (int i = 0; i < ndim; i++)
    t->shape[i] = shape[i];
  t->data = data;
  return t;
}

void
gm_nn_tensor_free (GmNnTensor *t)
{
  if (t == NULL)
    return;
  if (t->owner != NULL)
    t->owner->free (t->owner->ctx, t->data);
  g_free (t);
}

gsize
gm_nn_tensor_numel (const GmNnTensor *t)
{
  gsize n = 1;

  for (int i = 0; i < t->ndim; i++)
    n *= (gsize) t->shape[i];
  return n;
}

/* ------------------------------------------------------------ workspaces */

float *
gm_nn_cpu_ws (GmNnCpu *cpu,
              int      slot,
              gsize    n)
{
  if (cpu->ws_n[slot] < n)
    {
      g_free (cpu->ws[slot]);
      cpu->ws[slot] = g_new (float, n);
      cpu->ws_n[slot] = n;
    }
  return cpu->ws[slot];
}

/* ------------------------------------------------------------ worker pool */

#define POOL_MAX_THREADS 8

static GMutex        pool_call_lock;   /* one parallel_for at a time */
static GMutex        pool_lock;
static GCond         pool_wake, pool_done;
static guint         pool_gen;
static int           pool_pending;
static int           pool_nthreads = -1;  /* workers + the caller */
static GmNnRangeFunc pool_fn;
static gpointer      pool_data;
static int           pool_n;

static void
pool_range (int  part,
            int  n,
            int  parts,
            int *lo,
            int *hi)
{
  *lo = (int) ((gint64) n * part / parts);
  *hi = (int) ((gint64) n * (part + 1) / parts);
}

static gpointer
pool_worker (gpointer arg)
{
  int part = GPOINTER_TO_INT (arg);
  guint seen = 0;

  for (;;)
    {
      GmNnRangeFunc fn;
      gpointer data;
      int n, lo, hi;

      g_mutex_lock (&pool_lock);
      while (pool_gen == seen)
        g_cond_wait (&pool_wake, &pool_lock);
      seen = pool_gen;
      fn = pool_fn;
      data = pool_data;
      n = pool_n;
      g_mutex_unlock (&pool_lock);

      pool_range (part, n, pool_nthreads, &lo, &hi);
      if (hi > lo)
        fn (part, lo, hi, data);

      g_mutex_lock (&pool_lock);
      if (--pool_pending == 0)
        g_cond_signal (&pool_done);
      g_mutex_unlock (&pool_lock);
    }
  return NULL;
}

int
gm_nn_parallel_parts (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      int t = (int) g_get_num_processors ();

      t = CLAMP (t, 1, POOL_MAX_THREADS);
      pool_nthreads = t;
      for (int i = 1; i < t; i++)
        {
          GThread *th = g_thread_try_new ("gm-nn-worker", pool_worker,
                                          GINT_TO_POINTER (i), NULL);
          if (th == NULL)
            {
              pool_nthreads = i;
              break;
            }
          g_thread_unref (th);
        }
      g_once_init_leave (&once, 1);
    }
  return pool_nthreads;
}

void
gm_nn_parallel_for (int           n,
                    GmNnRangeFunc fn,
                    gpointer      data)
{
  int parts = gm_nn_parallel_parts ();
  int lo, hi;

  if (n <= 0)
    return;
  if (parts <= 1 || n == 1 || !g_mutex_trylock (&pool_call_lock))
    {
      fn (0, 0, n, data);
      return;
    }
  g_mutex_lock (&pool_lock);
  pool_fn = fn;
  pool_data = data;
  pool_n = n;
  pool_pending = parts - 1;
  pool_gen++;
  g_cond_broadcast (&pool_wake);
  g_mutex_unlock (&pool_lock);

  pool_range (0, n, parts, &lo, &hi);
  if (hi > lo)
    fn (0, lo, hi, data);

  g_mutex_lock (&pool_lock);
  while (pool_pending > 0)
    g_cond_wait (&pool_done, &pool_lock);
  g_mutex_unlock (&pool_lock);
  g_mutex_unlock (&pool_call_lock);
}

/* ------------------------------------------------------------ memory */

static float *
cpu_alloc (gpointer ctx,
           gsize    n)
{
  return g_new0 (float, MAX (n, 1));
}

static void
cpu_free (gpointer ctx,
          float   *p)
{
  g_free (p);
}

static void
cpu_copy (gpointer     ctx,
          float       *dst,
          const float *src,
          gsize        n)
{
  if (n > 0)
    memmove (dst, src, n * sizeof (float));
}

static void
cpu_synchronize (gpointer ctx)
{
}

/* ------------------------------------------------------------ elementwise */

static void
cpu_fill (gpointer ctx,
          float   *y,
          gsize    n,
          float    v)
{
  if (v == 0.f)
    memset (y, 0, n * sizeof (float));
  else
    for (gsize i = 0; i < n; i++)
      y[i] = v;
}

static void
cpu_axpby (gpointer     ctx,
           gsize        n,
           float        a,
           const float *x,
           float        b,
           float       *y)
{
  if (b == 0.f)
    for (gsize i = 0; i < n; i++)
      y[i] = a * x[i];
  else if (b == 1.f)
    for (gsize i = 0; i < n; i++)
      y[i] += a * x[i];
  else
    for (gsize i = 0; i < n; i++)
      y[i] = a * x[i] + b * y[i];
}

static void
cpu_act_forward (gpointer     ctx,
                 GmNnAct      act,
                 gsize        n,
                 const float *x,
                 float       *y)
{
  switch (act)
    {
    case GM_NN_ACT_RELU:
      for (gsize i = 0; i < n; i++)
        y[i] = x[i] > 0.f ? x[i] : 0.f;
      break;
    case GM_NN_ACT_SIGMOID:
      for (gsize i = 0; i < n; i++)
        y[i] = 1.f / (1.f + expf (-x[i]));
      break;
    case GM_NN_ACT_TANH:
      for (gsize i = 0; i < n; i++)
        y[i] = tanhf (x[i]);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
cpu_act_backward (gpointer     ctx,
                  GmNnAct      act,
                  gsize        n,
                  const float *y,
                  const float *dy,
                  float       *dx)
{
  switch (act)
    {
    case GM_NN_ACT_RELU:
      for (gsize i = 0; i < n; i++)
        dx[i] += y[i] > 0.f ? dy[i] : 0.f;
      break;
    case GM_NN_ACT_SIGMOID:
      for (gsize i = 0; i < n; i++)
        dx[i] += dy[i] * y[i] * (1.f - y[i]);
      break;
    case GM_NN_ACT_TANH:
      for (gsize i = 0; i < n; i++)
        dx[i] += dy[i] * (1.f - y[i] * y[i]);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* ------------------------------------------------------------ reflection pad */

static inline int
reflect (int i,
         int n)
{
  if (i < 0)
    return -i;
  if (i >= n)
    return 2 * (n - 1) - i;
  return i;
}

static void
cpu_reflect_pad_forward (gpointer     ctx,
                         int          nc,
                         int          h,
                         int          w,
                         int          pad,
                         const float *x,
                         float       *y)
{
  int hp = h + 2 * pad, wp = w + 2 * pad;

  for (int c = 0; c < nc; c++)
    {
      const float *src = x + (gsize) c * h * w;
      float *dst = y + (gsize) c * hp * wp;

      for (int i = 0; i < hp; i++)
        {
          const float *r = src + (gsize) reflect (i - pad, h) * w;
          float *d = dst + (gsize) i * wp;

          for (int j = 0; j < pad; j++)
            d[j] = r[reflect (j - pad, w)];
          memcpy (d + pad, r, sizeof (float) * w);
          for (int j = w + pad; j < wp; j++)
            d[j] = r[reflect (j - pad, w)];
        }
    }
}

static void
cpu_reflect_pad_backward (gpointer     ctx,
                          int          nc,
                          int          h,
                          int          w,
                          int          pad,
                          const float *dy,
                          float       *dx)
{
  int hp = h + 2 * pad, wp = w + 2 * pad;

  for (int c = 0; c < nc; c++)
    {
      const float *src = dy + (gsize) c * hp * wp;
      float *dst = dx + (gsize) c * h * w;

      for (int i = 0; i < hp; i++)
        {
          float *r = dst + (gsize) reflect (i - pad, h) * w;
          const float *s = src + (gsize) i * wp;

          for (int j = 0; j < wp; j++)
            r[reflect (j - pad, w)] += s[j];
        }
    }
}

/* ------------------------------------------------------------ pooling */

static void
cpu_global_avg_forward (gpointer     ctx,
                        int          nc,
                        int          hw,
                        const float *x,
                        float       *y)
{
  for (int i = 0; i < nc; i++)
    {
      const float *r = x + (gsize) i * hw;
      double s = 0;

      for (int p = 0; p < hw; p++)
        s += r[p];
      y[i] = (float) (s / hw);
    }
}

static void
cpu_global_avg_backward (gpointer     ctx,
                         int          nc,
                         int          hw,
                         const float *dy,
                         float       *dx)
{
  for (int i = 0; i < nc; i++)
    {
      float g = dy[i] / (float) hw;
      float *r = dx + (gsize) i * hw;

      for (int p = 0; p < hw; p++)
        r[p] += g;
    }
}

static void
cpu_global_max_forward (gpointer     ctx,
                        int          nc,
                        int          hw,
                        const float *x,
                        float       *y)
{
  for (int i = 0; i < nc; i++)
    {
      const float *r = x + (gsize) i * hw;
      float m = r[0];

      for (int p = 1; p < hw; p++)
        if (r[p] > m)
          m = r[p];
      y[i] = m;
    }
}

static void
cpu_global_max_backward (gpointer     ctx,
                         int          nc,
                         int          hw,
                         const float *x,
                         const float *y,
                         const float *dy,
                         float       *dx)
{
  for (int i = 0; i < nc; i++)
    {
      const float *r = x + (gsize) i * hw;

      for (int p = 0; p < hw; p++)
        if (r[p] == y[i])
          {
            dx[(gsize) i * hw + p] += dy[i];
            break;
          }
    }
}

static void
cpu_chanpool_forward (gpointer     ctx,
                      int          n,
                      int          c,
                      int          hw,
                      const float *x,
                      float       *y)
{
  for (int s = 0; s < n; s++)
    {
      const float *xs = x + (gsize) s * c * hw;
      float *mx = y + (gsize) s * 2 * hw, *mean = mx + hw;

      memcpy (mx, xs, sizeof (float) * hw);
      memcpy (mean, xs, sizeof (float) * hw);
      for (int ch = 1; ch < c; ch++)
        {
          const float *r = xs + (gsize) ch * hw;
          for (int p = 0; p < hw; p++)
            {
              mx[p] = r[p] > mx[p] ? r[p] : mx[p];
              mean[p] += r[p];
            }
        }
      for (int p = 0; p < hw; p++)
        mean[p] /= (float) c;
    }
}

static void
cpu_chanpool_backward (gpointer     ctx,
                       int          n,
                       int          c,
                       int          hw,
                       const float *x,
                       const float *y,
                       const float *dy,
                       float       *dx)
{
  g_autofree guint8 *done = g_new (guint8, hw);

  for (int s = 0; s < n; s++)
    {
      const float *xs = x + (gsize) s * c * hw;
      const float *mx = y + (gsize) s * 2 * hw;
      const float *dmx = dy + (gsize) s * 2 * hw, *dmean = dmx + hw;
      float *dxs = dx + (gsize) s * c * hw;

      memset (done, 0, hw);
      for (int ch = 0; ch < c; ch++)
        {
          const float *r = xs + (gsize) ch * hw;
          float *d = dxs + (gsize) ch * hw;
          for (int p = 0; p < hw; p++)
            {
              d[p] += dmean[p] / (float) c;
              if (!done[p] && r[p] == mx[p])
                {
                  d[p] += dmx[p];
                  done[p] = 1;
                }
            }
        }
    }
}

/* ------------------------------------------------------------ gates */

static void
cpu_chgate_forward (gpointer     ctx,
                    int          n,
                    int          c,
                    int          hw,
                    const float *x,
                    const float *g,
                    float       *y)
{
  for (gsize i = 0; i < (gsize) n * c; i++)
    for (int p = 0; p < hw; p++)
      y[i * hw + p] = x[i * hw + p] * g[i];
}

static void
cpu_chgate_backward (gpointer     ctx,
                     int          n,
                     int          c,
                     int          hw,
                     const float *x,
                     const float *g,
                     const float *dy,
                     float       *dx,
                     float       *dg)
{
  for (gsize i = 0; i < (gsize) n * c; i++)
    {
      const float *d = dy + i * hw;
      if (dg != NULL)
        {
          const float *r = x + i * hw;
          double s = 0;
          for (int p = 0; p < hw; p++)
            s += d[p] * r[p];
          dg[i] += (float) s;
        }
      if (dx != NULL)
        for (int p = 0; p < hw; p++)
          dx[i * hw + p] += d[p] * g[i];
    }
}

static void
cpu_spgate_forward (gpointer     ctx,
                    int          n,
                    int          c,
                    int          hw,
                    const float *x,
                    const float *g,
                    float       *y)
{
  for (int s = 0; s < n; s++)
    for (int ch = 0; ch < c; ch++)
      {
        gsize o = ((gsize) s * c + ch) * hw;
        const float *gs = g + (gsize) s * hw;
        for (int p = 0; p < hw; p++)
          y[o + p] = x[o + p] * gs[p];
      }
}

static void
cpu_spgate_backward (gpointer     ctx,
                     int          n,
                     int          c,
                     int          hw,
                     const float *x,
                     const float *g,
                     const float *dy,
                     float       *dx,
                     float       *dg)
{
  for (int s = 0; s < n; s++)
    for (int ch = 0; ch < c; ch++)
      {
        gsize o = ((gsize) s * c + ch) * hw;
        const float *gs = g + (gsize) s * hw;
        if (dg != NULL)
          {
            float *dgs = dg + (gsize) s * hw;
            for (int p = 0; p < hw; p++)
              dgs[p] += dy[o + p] * x[o + p];
          }
        if (dx != NULL)
          for (int p = 0; p < hw; p++)
            dx[o + p] += dy[o + p] * gs[p];
      }
}

/* ------------------------------------------------------------ concat */

static void
cpu_concat (gpointer     ctx,
            int          n,
            int          ca,
            int          cb,
            int          hw,
            const float *a,
            const float *b,
            float       *y)
{
  gsize sa = (gsize) ca * hw, sb = (gsize) cb * hw;

  for (int s = 0; s < n; s++)
    {
      memcpy (y + s * (sa + sb), a + s * sa, sizeof (float) * sa);
      memcpy (y + s * (sa + sb) + sa, b + s * sb, sizeof (float) * sb);
    }
}

static void
cpu_split_add (gpointer     ctx,
               int          n,
               int          ca,
               int          cb,
               int          hw,
               const float *y,
               float       *a,
               float       *b)
{
  gsize sa = (gsize) ca * hw, sb = (gsize) cb * hw;

  for (int s = 0; s < n; s++)
    {
      const float *ys = y + s * (sa + sb);
      if (a != NULL)
        for (gsize i = 0; i < sa; i++)
          a[s * sa + i] += ys[i];
      if (b != NULL)
        for (gsize i = 0; i < sb; i++)
          b[s * sb + i] += ys[sa + i];
    }
}

/* ------------------------------------------------------------ linear */

static void
cpu_linear_forward (gpointer     ctx,
                    int          n,
                    int          in,
                    int          out,
                    const float *x,
                    const float *weight,
                    const float *bias,
                    float       *y)
{
  for (int s = 0; s < n; s++)
    for (int o = 0; o < out; o++)
      y[(gsize) s * out + o] = bias != NULL ? bias[o] : 0.f;
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.f, x, in,
               weight, in, 1.f, y, out);
}

static void
cpu_linear_backward (gpointer     ctx,
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
  if (dx != NULL)
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out, 1.f, dy, out,
                 weight, in, 1.f, dx, in);
  if (dw != NULL)
    cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, 1.f, dy, out,
                 x, in, 1.f, dw, in);
  if (db != NULL)
    for (int s = 0; s < n; s++)
      for (int o = 0; o < out; o++)
        db[o] += dy[(gsize) s * out + o];
}

/* ------------------------------------------------------------ batch norm */

static void
cpu_bn_forward (gpointer     ctx,
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
  double m = (double) n * hw;

  for (int ch = 0; ch < c; ch++)
    {
      double mean, var;

      if (train)
        {
          double s = 0, s2 = 0;
          for (int i = 0; i < n; i++)
            {
              const float *r = x + ((gsize) i * c + ch) * hw;
              for (int p = 0; p < hw; p++)
                s += r[p];
            }
          mean = s / m;
          for (int i = 0; i < n; i++)
            {
              const float *r = x + ((gsize) i * c + ch) * hw;
              for (int p = 0; p < hw; p++)
                s2 += (r[p] - mean) * (r[p] - mean);
            }
          var = s2 / m;
          if (running_mean != NULL)
            running_mean[ch] = (float) ((1 - momentum) * running_mean[ch] + momentum * mean);
          if (running_var != NULL)
            running_var[ch] = (float) ((1 - momentum) * running_var[ch]
                                       + momentum * (m > 1 ? var * m / (m - 1) : var));
        }
      else
        {
          mean = running_mean[ch];
          var = running_var[ch];
        }
      double inv = 1.0 / sqrt (var + eps);
      saved[ch] = (float) mean;
      saved[c + ch] = (float) inv;
      float a = (float) (gamma[ch] * inv), b = (float) (beta[ch] - gamma[ch] * inv * mean);
      for (int i = 0; i < n; i++)
        {
          const float *r = x + ((gsize) i * c + ch) * hw;
          float *o = y + ((gsize) i * c + ch) * hw;
          for (int p = 0; p < hw; p++)
            o[p] = a * r[p] + b;
        }
    }
}

static void
cpu_bn_backward (gpointer     ctx,
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
  double m = (double) n * hw;

  for (int ch = 0; ch < c; ch++)
    {
      double mean = saved[ch], inv = saved[c + ch];
      double sdy = 0, sdyx = 0;

      for (int i = 0; i < n; i++)
        {
          const float *r = x + ((gsize) i * c + ch) * hw;
          const float *d = dy + ((gsize) i * c + ch) * hw;
          for (int p = 0; p < hw; p++)
            {
              sdy += d[p];
              sdyx += d[p] * (r[p] - mean) * inv;
            }
        }
      if (dgamma != NULL)
        dgamma[ch] += (float) sdyx;
      if (dbeta != NULL)
        dbeta[ch] += (float) sdy;
      if (dx == NULL)
        continue;
      for (int i = 0; i < n; i++)
        {
          const float *r = x + ((gsize) i * c + ch) * hw;
          const float *d = dy + ((gsize) i * c + ch) * hw;
          float *o = dx + ((gsize) i * c + ch) * hw;
          for (int p = 0; p < hw; p++)
            {
              if (train)
                {
                  double xh = (r[p] - mean) * inv;
                  o[p] += (float) (gamma[ch] * inv * (d[p] - sdy / m - xh * sdyx / m));
                }
              else
                o[p] += (float) (gamma[ch] * inv * d[p]);
            }
        }
    }
}

/* ------------------------------------------------------------ whitening */

static void
cpu_whiten_stats (gpointer     ctx,
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
  int ph = (h + 2 - 3) / 3 + 1, pw = (w + 2 - 3) / 3 + 1;
  double M = (double) n * ph * pw;
  double sum[9] = { 0 }, cov[81] = { 0 };
  double mean[9];

  /* pass 0: means; pass 1: centred covariance */
  for (int pass = 0; pass < 2; pass++)
    {
      for (int s = 0; s < n; s++)
        for (int ty = 0; ty < ph; ty++)
          for (int tx = 0; tx < pw; tx++)
            {
              double v[9];
              for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                  {
                    int y = ty * 3 - 1 + i, xx = tx * 3 - 1 + j;
                    v[i * 3 + j] = (y >= 0 && y < h && xx >= 0 && xx < w)
                                   ? x[((gsize) s * h + y) * w + xx] : 0.0;
                  }
              if (pass == 0)
                for (int a = 0; a < 9; a++)
                  sum[a] += v[a];
              else
                for (int a = 0; a < 9; a++)
                  for (int b = a; b < 9; b++)
                    cov[a * 9 + b] += (v[a] - mean[a]) * (v[b] - mean[b]);
            }
      if (pass == 0)
        for (int a = 0; a < 9; a++)
          mean[a] = sum[a] / M;
    }
  gm_nn_whiten_finish (mean, cov, M, eps, momentum, mu, D, running_mean, running_deconv);
}

static const GmNnConv whiten_conv = { 1, 1, 3, 3, 1, 1, 1, 0 };

static void
effective_filter (const float *weight,
                  const float *bias,
                  const float *mu,
                  const float *D,
                  float       *weff)
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

static void
cpu_whiten_conv_forward (gpointer     ctx,
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
  float weff[10];

  effective_filter (weight, bias, mu, D, weff);
  gm_nn_cpu_conv2d_forward (ctx, &whiten_conv, n, h, w, x, weff, weff + 9, y);
}

static void
cpu_whiten_conv_backward (gpointer     ctx,
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
  float weff[10], gw[9] = { 0 }, gb = 0.f;

  effective_filter (weight, NULL, mu, D, weff);
  gm_nn_cpu_conv2d_backward (ctx, &whiten_conv, n, h, w, x, weff, dy, dx,
                             dw != NULL ? gw : NULL, &gb);
  if (dw != NULL)
    for (int i = 0; i < 9; i++)
      {
        double s = 0;
        for (int j = 0; j < 9; j++)
          s += ((double) gw[j] - (double) gb * mu[j]) * D[i * 9 + j];
        dw[i] += (float) s;
      }
  if (db != NULL)
    db[0] += gb;
}

/* ------------------------------------------------------------ loss */

static void
dft_tables (GmNnCpu *cpu,
            int      h,
            int      w)
{
  if (cpu->dft_h == h && cpu->dft_w == w)
    return;
  g_free (cpu->dft_ch);
  g_free (cpu->dft_sh);
  g_free (cpu->dft_cw);
  g_free (cpu->dft_sw);
  cpu->dft_ch = g_new (float, (gsize) h * h);
  cpu->dft_sh = g_new (float, (gsize) h * h);
  cpu->dft_cw = g_new (float, (gsize) w * w);
  cpu->dft_sw = g_new (float, (gsize) w * w);
  for (int pass = 0; pass < 2; pass++)
    {
      int m = pass == 0 ? h : w;
      float *C = pass == 0 ? cpu->dft_ch : cpu->dft_cw;
      float *S = pass == 0 ? cpu->dft_sh : cpu->dft_sw;
      for (int u = 0; u < m; u++)
        for (int v = 0; v < m; v++)
          {
            double a = 2.0 * G_PI * (double) (((gint64) u * v) % m) / m;
            C[u * m + v] = (float) cos (a);
            S[u * m + v] = (float) sin (a);
          }
    }
  cpu->dft_h = h;
  cpu->dft_w = w;
}

static inline float
signf (float v)
{
  return v > 0.f ? 1.f : (v < 0.f ? -1.f : 0.f);
}

/* F = C − iS (symmetric).  For e (n stacked h×w maps):
 *   Bc = e·Cw, Bs = e·Sw  (one GEMM each over all n·h rows)
 *   Re = Ch·Bc − Sh·Bs,  Im = −(Ch·Bs + Sh·Bc)  (per map). */
static double
cpu_loss_forward_backward (gpointer     ctx,
                           int          n,
                           int          h,
                           int          w,
                           const float *out,
                           const float *target,
                           float        w_freq,
                           float       *grad)
{
  GmNnCpu *cpu = ctx;
  gsize tot = (gsize) n * h * w, hw = (gsize) h * w;
  float *buf = gm_nn_cpu_ws (cpu, GM_NN_WS_DFT, 5 * tot);
  float *e = buf, *bc = buf + tot, *bs = buf + 2 * tot, *re = buf + 3 * tot, *im = buf + 4 * tot;
  double l1 = 0, lf = 0;

  dft_tables (cpu, h, w);
  for (gsize i = 0; i < tot; i++)
    {
      e[i] = out[i] - target[i];
      l1 += fabs ((double) e[i]);
    }
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n * h, w, w, 1.f, e, w,
               cpu->dft_cw, w, 0.f, bc, w);
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n * h, w, w, 1.f, e, w,
               cpu->dft_sw, w, 0.f, bs, w);
  for (int s = 0; s < n; s++)
    {
      gsize o = s * hw;
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, h, w, h, 1.f, cpu->dft_ch, h,
                   bc + o, w, 0.f, re + o, w);
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, h, w, h, -1.f, cpu->dft_sh, h,
                   bs + o, w, 1.f, re + o, w);
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, h, w, h, -1.f, cpu->dft_ch, h,
                   bs + o, w, 0.f, im + o, w);
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, h, w, h, -1.f, cpu->dft_sh, h,
                   bc + o, w, 1.f, im + o, w);
    }
  for (gsize i = 0; i < tot; i++)
    lf += fabs ((double) re[i]) + fabs ((double) im[i]);
  if (grad != NULL)
    {
      /* dL_f/de = (Ch·P − Sh·Q)/(2·tot) with sR = sign Re, sI = sign Im,
       * P = sR·Cw − sI·Sw, Q = sR·Sw + sI·Cw. */
      float *sr = re, *si = im, *P = bc, *Q = bs;
      for (gsize i = 0; i < tot; i++)
        {
          sr[i] = signf (re[i]);
          si[i] = signf (im[i]);
        }
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n * h, w, w, 1.f, sr, w,
                   cpu->dft_cw, w, 0.f, P, w);
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n * h, w, w, -1.f, si, w,
                   cpu->dft_sw, w, 1.f, P, w);
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n * h, w, w, 1.f, sr, w,
                   cpu->dft_sw, w, 0.f, Q, w);
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n * h, w, w, 1.f, si, w,
                   cpu->dft_cw, w, 1.f, Q, w);
      float kf = w_freq / (float) (2 * tot), k1 = 1.f / (float) tot;
      for (int s = 0; s < n; s++)
        {
          gsize o = s * hw;
          for (gsize i = 0; i < hw; i++)
            grad[o + i] = k1 * signf (e[o + i]);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, h, w, h, kf, cpu->dft_ch, h,
                       P + o, w, 1.f, grad + o, w);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, h, w, h, -kf, cpu->dft_sh, h,
                       Q + o, w, 1.f, grad + o, w);
        }
    }
  return l1 / (double) tot + (double) w_freq * lf / (double) (2 * tot);
}

/* ------------------------------------------------------------ Adam */

static void
cpu_adam_update (gpointer     ctx,
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
  double bc1 = 1.0 - pow (beta1, step), bc2 = 1.0 - pow (beta2, step);
  float step_size = (float) (lr / bc1), sbc2 = (float) sqrt (bc2);

  for (gsize i = 0; i < n; i++)
    {
      float g = grad[i];
      m[i] = beta1 * m[i] + (1.f - beta1) * g;
      v[i] = beta2 * v[i] + (1.f - beta2) * g * g;
      param[i] -= step_size * m[i] / (sqrtf (v[i]) / sbc2 + eps);
    }
}

/* ------------------------------------------------------------ the table */

static void
cpu_destroy (GmNnBackend *backend)
{
  GmNnCpu *cpu = backend->ctx;

  for (int i = 0; i < GM_NN_WS_COUNT; i++)
    g_free (cpu->ws[i]);
  g_free (cpu->geo);
  g_free (cpu->dft_ch);
  g_free (cpu->dft_sh);
  g_free (cpu->dft_cw);
  g_free (cpu->dft_sw);
  g_free (cpu);
  g_free (backend);
}

/* host_dgemm: plain loops, on purpose not BLAS.  The CPU backend stands in
 * for a GPU in the tests of gm_dgemm's dispatch (test-linalg), and an
 * independent computation there catches a wrong operand translation that
 * a call through to the same cblas_dgemm would hide. */
static gboolean
cpu_host_dgemm (gpointer      ctx,
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
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++)
      {
        double s = 0.0;

        for (int q = 0; q < k; q++)
          s += (ta ? a[(gsize) q * lda + i] : a[(gsize) i * lda + q])
               * (tb ? b[(gsize) j * ldb + q] : b[(gsize) q * ldb + j]);
        c[(gsize) i * ldc + j] = alpha * s + (beta == 0.0 ? 0.0 : beta * c[(gsize) i * ldc + j]);
      }
  return TRUE;
}

GmNnBackend *
gm_nn_backend_cpu (void)
{
  GmNnBackend *b = g_new0 (GmNnBackend, 1);

  b->name = "cpu";
  b->ctx = g_new0 (GmNnCpu, 1);
  b->destroy = cpu_destroy;
  b->alloc = cpu_alloc;
  b->free = cpu_free;
  b->upload = cpu_copy;
  b->download = cpu_copy;
  b->synchronize = cpu_synchronize;
  b->fill = cpu_fill;
  b->axpby = cpu_axpby;
  b->act_forward = cpu_act_forward;
  b->act_backward = cpu_act_backward;
  b->conv2d_forward = gm_nn_cpu_conv2d_forward;
  b->conv2d_backward = gm_nn_cpu_conv2d_backward;
  b->convt2d_forward = gm_nn_cpu_convt2d_forward;
  b->convt2d_backward = gm_nn_cpu_convt2d_backward;
  b->dcn_forward = gm_nn_cpu_dcn_forward;
  b->dcn_backward = gm_nn_cpu_dcn_backward;
  b->reflect_pad_forward = cpu_reflect_pad_forward;
  b->reflect_pad_backward = cpu_reflect_pad_backward;
  b->global_avg_forward = cpu_global_avg_forward;
  b->global_avg_backward = cpu_global_avg_backward;
  b->global_max_forward = cpu_global_max_forward;
  b->global_max_backward = cpu_global_max_backward;
  b->chanpool_forward = cpu_chanpool_forward;
  b->chanpool_backward = cpu_chanpool_backward;
  b->chgate_forward = cpu_chgate_forward;
  b->chgate_backward = cpu_chgate_backward;
  b->spgate_forward = cpu_spgate_forward;
  b->spgate_backward = cpu_spgate_backward;
  b->concat = cpu_concat;
  b->split_add = cpu_split_add;
  b->linear_forward = cpu_linear_forward;
  b->linear_backward = cpu_linear_backward;
  b->bn_forward = cpu_bn_forward;
  b->bn_backward = cpu_bn_backward;
  b->whiten_stats = cpu_whiten_stats;
  b->whiten_conv_forward = cpu_whiten_conv_forward;
  b->whiten_conv_backward = cpu_whiten_conv_backward;
  b->loss_forward_backward = cpu_loss_forward_backward;
  b->adam_update = cpu_adam_update;
  b->host_dgemm = cpu_host_dgemm;
  return b;
}

void
gm_nn_backend_free (GmNnBackend *backend)
{
  if (backend == NULL)
    return;
  if (backend->destroy != NULL)
    backend->destroy (backend);
}
