/* gm-ernet.c — ER-Net forward, backward and Adam on a GmNnBackend
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Graph (spec §2.1): whitened 3×3 → down1 (reflect 3, 7×7, ReLU) → down2,
 * down3 (3×3 s2, ReLU) → 3 DFA blocks → CBAM(concat[b2, d3]) → up1 (ConvT,
 * ReLU) → CBAM(concat[u1, d2]) → up2 (ConvT, ReLU) → up3 (reflect 3, 7×7,
 * tanh).  Every activation keeps a value and a gradient buffer; backward
 * zeroes the gradients and runs the graph in reverse, all primitives
 * accumulating (see gm-nn.h).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "gm-ernet.h"
#include "gm-random.h"

#define DFA_BLOCKS 3

typedef enum
{
  PK_WEIGHT,     /* conv / linear / ConvT weight: 1/sqrt(numel/shape[0]) */
  PK_BIAS,       /* the preceding weight's scale */
  PK_BN_WEIGHT,  /* 1 + 0.1·sin */
  PK_BN_BIAS,    /* 0.1·sin */
} ParamKind;

typedef struct
{
  GmErnetTensorInfo info;
  ParamKind kind;
  double    mult;        /* scale multiplier (0.5 for conv_offset_mask) */
  double    fixed;       /* > 0: fixed scale (1/3 for deconv) */
} Param;

typedef struct { int w, b; } LayerIdx;

typedef struct
{
  LayerIdx conv1, conv2, dcn, om, ca0, ca2, pa0, pa2;
} DfaIdx;

typedef struct
{
  LayerIdx mlp1, mlp3;
  int sconv, bn_w, bn_b;
  int buf_rm, buf_rv;
} CbamIdx;

typedef struct
{
  float *v, *g;
  gsize  n;
} Buf;

typedef struct
{
  Buf a1, r1, r2, om, off, mask, r3, ca_pool, ca_h, ca_g, r4, pa_h, pa_g, r5, out;
} DfaAct;

typedef struct
{
  Buf pools, hid, mlp, gate, xc, cp, sc, bn, sg, out;
  float *saved;
} CbamAct;

struct _GmErnet
{
  GmNnBackend  *be;
  GmErnetConfig cfg;
  int c1, c2, c3, dfa_hidden, cbam_hidden1, cbam_hidden2;

  GArray *params;        /* Param */
  GArray *buffers;       /* GmErnetTensorInfo */
  gsize   n_total, n_buf;
  float  *p, *g, *m, *v, *buf;
  gint64  nbt[2];
  int     adam_step;

  LayerIdx down1, down2, down3, up1, up2, up3, deconv;
  LayerIdx head0, head2;    /* gene head (cfg.gene_head > 0) */
  DfaIdx   dfa[DFA_BLOCKS];
  CbamIdx  cbam[2];
  int      buf_dmean, buf_dD;

  /* activations for the current (n, h, w) */
  int      an, ah, aw;
  gboolean have_fwd, train;
  Buf      x, pre, pad1, d1, d2, d3, cat1, u1, cat2, u2, pad3, out;
  Buf      hz, hzpre, hm;     /* gene head */
  DfaAct   dfa_act[DFA_BLOCKS];
  CbamAct  cb[2];
  float   *scratch, *mu, *D, *dout, *target;
  gsize    scratch_n;
  GPtrArray *allocs;     /* every activation allocation, for freeing */
};

/* ------------------------------------------------------------ parameters */

static int
add_param (GmErnet    *net,
           const char *name,
           ParamKind   kind,
           int         ndim,
           int         d0,
           int         d1,
           int         d2,
           int         d3)
{
  Param p = { 0 };
  int dims[4] = { d0, d1, d2, d3 };

  p.info.name = g_intern_string (name);
  p.info.ndim = ndim;
  p.info.numel = 1;
  for (int i = 0; i < ndim; i++)
    {
      p.info.shape[i] = dims[i];
      p.info.numel *= (gsize) dims[i];
    }
  p.info.offset = net->n_total;
  p.kind = kind;
  p.mult = 1.0;
  net->n_total += p.info.numel;
  g_array_append_val (net->params, p);
  return (int) net->params->len - 1;
}

static LayerIdx
add_layer (GmErnet    *net,
           const char *prefix,
           int         ndim,
           int         d0,
           int         d1,
           int         d2,
           int         d3,
           int         nbias)
{
  g_autofree char *wn = g_strdup_printf ("%s.weight", prefix);
  g_autofree char *bn = g_strdup_printf ("%s.bias", prefix);
  LayerIdx l;

  l.w = add_param (net, wn, PK_WEIGHT, ndim, d0, d1, d2, d3);
  l.b = add_param (net, bn, PK_BIAS, 1, nbias, 0, 0, 0);
  return l;
}

static int
add_buffer (GmErnet    *net,
            const char *name,
            int         ndim,
            int         d0,
            int         d1)
{
  GmErnetTensorInfo b = { 0 };

  b.name = g_intern_string (name);
  b.ndim = ndim;
  b.shape[0] = d0;
  b.shape[1] = d1;
  b.numel = (gsize) d0 * (ndim > 1 ? d1 : 1);
  b.offset = net->n_buf;
  net->n_buf += b.numel;
  g_array_append_val (net->buffers, b);
  return (int) net->buffers->len - 1;
}

#define PARAM(net, i) (&g_array_index ((net)->params, Param, (i)))
#define PV(net, i) ((net)->p + PARAM (net, i)->info.offset)
#define GV(net, i) ((net)->g + PARAM (net, i)->info.offset)
#define BV(net, i) ((net)->buf + g_array_index ((net)->buffers, GmErnetTensorInfo, (i)).offset)

GmErnetConfig
gm_ernet_config (GmErnetPreset preset,
                 int           ngf)
{
  GmErnetConfig c = { 64, 8, 16, 0, 0, 0 };

  switch (preset)
    {
    case GM_ERNET_PAPER:
      c.ngf = 64;
      break;
    case GM_ERNET_TINY:
      c.ngf = 4;
      break;
    case GM_ERNET_COMPACT:
    default:
      c.ngf = ngf > 0 ? ngf : 16;
      break;
    }
  return c;
}

static void
build_params (GmErnet *net)
{
  int c1 = net->c1, c2 = net->c2, c3 = net->c3, hd = net->dfa_hidden;

  net->down1 = add_layer (net, "down1.1", 4, c1, 1, 7, 7, c1);
  net->down2 = add_layer (net, "down2.0", 4, c2, c1, 3, 3, c2);
  net->down3 = add_layer (net, "down3.0", 4, c3, c2, 3, 3, c3);
  for (int b = 0; b < DFA_BLOCKS; b++)
    {
      DfaIdx *d = &net->dfa[b];
      g_autofree char *p1 = g_strdup_printf ("block_%d.conv1", b);
      g_autofree char *p2 = g_strdup_printf ("block_%d.conv2", b);
      g_autofree char *p3 = g_strdup_printf ("block_%d.conv3", b);
      g_autofree char *p4 = g_strdup_printf ("block_%d.conv3.conv_offset_mask", b);
      g_autofree char *p5 = g_strdup_printf ("block_%d.calayer.ca.0", b);
      g_autofree char *p6 = g_strdup_printf ("block_%d.calayer.ca.2", b);
      g_autofree char *p7 = g_strdup_printf ("block_%d.palayer.pa.0", b);
      g_autofree char *p8 = g_strdup_printf ("block_%d.palayer.pa.2", b);

      d->conv1 = add_layer (net, p1, 4, c3, c3, 3, 3, c3);
      d->conv2 = add_layer (net, p2, 4, c3, c3, 3, 3, c3);
      d->dcn = add_layer (net, p3, 4, c3, c3, 3, 3, c3);
      d->om = add_layer (net, p4, 4, 27, c3, 3, 3, 27);
      PARAM (net, d->om.w)->mult = 0.5;
      PARAM (net, d->om.b)->mult = 0.5;
      d->ca0 = add_layer (net, p5, 4, hd, c3, 1, 1, hd);
      d->ca2 = add_layer (net, p6, 4, c3, hd, 1, 1, c3);
      d->pa0 = add_layer (net, p7, 4, hd, c3, 1, 1, hd);
      d->pa2 = add_layer (net, p8, 4, 1, hd, 1, 1, 1);
    }
  net->up1 = add_layer (net, "up1.0", 4, 2 * c3, c2, 3, 3, c2);
  net->up2 = add_layer (net, "up2.0", 4, 2 * c2, c1, 3, 3, c1);
  net->up3 = add_layer (net, "up3.1", 4, 1, c1, 7, 7, 1);
  net->deconv = add_layer (net, "deconv", 4, 1, 1, 3, 3, 1);
  PARAM (net, net->deconv.w)->fixed = 1.0 / 3.0;
  PARAM (net, net->deconv.b)->fixed = 1.0 / 3.0;
  net->buf_dmean = add_buffer (net, "deconv.running_mean", 1, 9, 0);
  net->buf_dD = add_buffer (net, "deconv.running_deconv", 2, 9, 9);
  for (int f = 0; f < 2; f++)
    {
      CbamIdx *cb = &net->cbam[f];
      int C = f == 0 ? 2 * c3 : 2 * c2;
      int hid = f == 0 ? net->cbam_hidden1 : net->cbam_hidden2;
      g_autofree char *m1 = g_strdup_printf ("fusion%d.ChannelGate.mlp.1", f + 1);
      g_autofree char *m3 = g_strdup_printf ("fusion%d.ChannelGate.mlp.3", f + 1);
      g_autofree char *sc = g_strdup_printf ("fusion%d.SpatialGate.spatial.conv.weight", f + 1);
      g_autofree char *bw = g_strdup_printf ("fusion%d.SpatialGate.spatial.bn.weight", f + 1);
      g_autofree char *bb = g_strdup_printf ("fusion%d.SpatialGate.spatial.bn.bias", f + 1);
      g_autofree char *rm = g_strdup_printf ("fusion%d.SpatialGate.spatial.bn.running_mean", f + 1);
      g_autofree char *rv = g_strdup_printf ("fusion%d.SpatialGate.spatial.bn.running_var", f + 1);

      cb->mlp1 = add_layer (net, m1, 2, hid, C, 0, 0, hid);
      cb->mlp3 = add_layer (net, m3, 2, C, hid, 0, 0, C);
      cb->sconv = add_param (net, sc, PK_WEIGHT, 4, 1, 2, 7, 7);
      cb->bn_w = add_param (net, bw, PK_BN_WEIGHT, 1, 1, 0, 0, 0);
      cb->bn_b = add_param (net, bb, PK_BN_BIAS, 1, 1, 0, 0, 0);
      cb->buf_rm = add_buffer (net, rm, 1, 1, 0);
      cb->buf_rv = add_buffer (net, rv, 1, 1, 0);
    }
  /* after every parameter of the published network, so that their order
   * (and the PyTorch fixtures) do not depend on the head */
  if (net->cfg.gene_head > 0)
    {
      int K = net->cfg.gene_head, HW = net->cfg.head_h * net->cfg.head_w;

      net->head0 = add_layer (net, "gene_head.0", 2, K, HW, 0, 0, K);
      net->head2 = add_layer (net, "gene_head.2", 2, HW, K, 0, 0, HW);
    }
}

GmErnet *
gm_ernet_new (GmNnBackend         *backend,
              const GmErnetConfig *config)
{
  GmErnet *net = g_new0 (GmErnet, 1);

  g_return_val_if_fail (config->ngf >= 1, NULL);
  g_return_val_if_fail (config->gene_head >= 0, NULL);
  g_return_val_if_fail (config->gene_head == 0
                        || (config->head_h >= 8 && config->head_w >= 8
                            && config->head_h % 4 == 0 && config->head_w % 4 == 0), NULL);
  net->be = backend;
  net->cfg = *config;
  net->c1 = config->ngf;
  net->c2 = 2 * config->ngf;
  net->c3 = 4 * config->ngf;
  net->dfa_hidden = MAX (net->c3 / config->dfa_reduction, 1);
  net->cbam_hidden1 = MAX (2 * net->c3 / config->cbam_reduction, 1);
  net->cbam_hidden2 = MAX (2 * net->c2 / config->cbam_reduction, 1);
  net->params = g_array_new (FALSE, TRUE, sizeof (Param));
  net->buffers = g_array_new (FALSE, TRUE, sizeof (GmErnetTensorInfo));
  net->allocs = g_ptr_array_new ();
  build_params (net);
  net->p = backend->alloc (backend->ctx, net->n_total);
  net->g = backend->alloc (backend->ctx, net->n_total);
  net->m = backend->alloc (backend->ctx, net->n_total);
  net->v = backend->alloc (backend->ctx, net->n_total);
  net->buf = backend->alloc (backend->ctx, net->n_buf);
  gm_ernet_init_formula (net);
  return net;
}

static void
free_acts (GmErnet *net)
{
  for (guint i = 0; i < net->allocs->len; i++)
    net->be->free (net->be->ctx, g_ptr_array_index (net->allocs, i));
  g_ptr_array_set_size (net->allocs, 0);
  net->an = 0;
  net->have_fwd = FALSE;
}

void
gm_ernet_free (GmErnet *net)
{
  if (net == NULL)
    return;
  free_acts (net);
  g_ptr_array_unref (net->allocs);
  net->be->free (net->be->ctx, net->p);
  net->be->free (net->be->ctx, net->g);
  net->be->free (net->be->ctx, net->m);
  net->be->free (net->be->ctx, net->v);
  net->be->free (net->be->ctx, net->buf);
  g_array_unref (net->params);
  g_array_unref (net->buffers);
  g_free (net);
}

GmErnetConfig
gm_ernet_get_config (GmErnet *net)
{
  return net->cfg;
}

int
gm_ernet_n_params (GmErnet *net)
{
  return (int) net->params->len;
}

const GmErnetTensorInfo *
gm_ernet_param_info (GmErnet *net,
                     int      i)
{
  g_return_val_if_fail (i >= 0 && i < (int) net->params->len, NULL);
  return &PARAM (net, i)->info;
}

gsize
gm_ernet_n_trainable (GmErnet *net)
{
  return net->n_total;
}

int
gm_ernet_n_buffers (GmErnet *net)
{
  return (int) net->buffers->len;
}

const GmErnetTensorInfo *
gm_ernet_buffer_info (GmErnet *net,
                      int      i)
{
  g_return_val_if_fail (i >= 0 && i < (int) net->buffers->len, NULL);
  return &g_array_index (net->buffers, GmErnetTensorInfo, i);
}

gint64
gm_ernet_num_batches_tracked (GmErnet *net,
                              int      fusion)
{
  g_return_val_if_fail (fusion == 1 || fusion == 2, 0);
  return net->nbt[fusion - 1];
}

float *
gm_ernet_params (GmErnet *net)
{
  return net->p;
}

float *
gm_ernet_grads (GmErnet *net)
{
  return net->g;
}

float *
gm_ernet_buffers (GmErnet *net)
{
  return net->buf;
}

gsize
gm_ernet_n_buffer_floats (GmErnet *net)
{
  return net->n_buf;
}

void
gm_ernet_get_state (GmErnet *net,
                    float   *params_host,
                    float   *buffers_host)
{
  if (params_host != NULL)
    net->be->download (net->be->ctx, params_host, net->p, net->n_total);
  if (buffers_host != NULL)
    net->be->download (net->be->ctx, buffers_host, net->buf, net->n_buf);
}

void
gm_ernet_set_state (GmErnet     *net,
                    const float *params_host,
                    const float *buffers_host)
{
  if (params_host != NULL)
    net->be->upload (net->be->ctx, net->p, params_host, net->n_total);
  if (buffers_host != NULL)
    net->be->upload (net->be->ctx, net->buf, buffers_host, net->n_buf);
}

int
gm_ernet_adam_steps (GmErnet *net)
{
  return net->adam_step;
}

/* Buffers to their initial values (running means 0, running_deconv identity,
 * BN running_var 1), gradients and Adam state to zero. */
static void
reset_buffers_and_state (GmErnet *net,
                         float   *hbuf)
{
  for (int i = 0; i < 9; i++)
    hbuf[g_array_index (net->buffers, GmErnetTensorInfo, net->buf_dD).offset + i * 9 + i] = 1.f;
  for (int f = 0; f < 2; f++)
    hbuf[g_array_index (net->buffers, GmErnetTensorInfo, net->cbam[f].buf_rv).offset] = 1.f;
  net->be->upload (net->be->ctx, net->buf, hbuf, net->n_buf);
  net->be->fill (net->be->ctx, net->g, net->n_total, 0.f);
  net->be->fill (net->be->ctx, net->m, net->n_total, 0.f);
  net->be->fill (net->be->ctx, net->v, net->n_total, 0.f);
  net->nbt[0] = net->nbt[1] = 0;
  net->adam_step = 0;
}

/* Parameter k (named_parameters() order), element e (row-major in the
 * PyTorch shape): scale_k · sin(0.7·e + 1.3·k + 0.1) with
 *   scale_k = 1/sqrt(fan_in), fan_in = numel / shape[0] of the layer's
 *             weight (ConvTranspose [Cin, Cout, k, k] gives Cout·k·k, as in
 *             PyTorch); a bias uses its weight's scale;
 *   × 0.5 for conv3.conv_offset_mask (weight and bias);
 *   1/3 for deconv.weight and deconv.bias;
 * BatchNorm weight 1 + 0.1·sin(…), bias 0.1·sin(…). */
void
gm_ernet_init_formula (GmErnet *net)
{
  g_autofree float *host = g_new (float, net->n_total);
  g_autofree float *hbuf = g_new0 (float, net->n_buf);
  double wscale = 1.0;

  for (guint k = 0; k < net->params->len; k++)
    {
      Param *p = PARAM (net, k);
      double scale;

      if (p->kind == PK_WEIGHT)
        wscale = 1.0 / sqrt ((double) p->info.numel / p->info.shape[0]);
      scale = p->fixed > 0 ? p->fixed : wscale * p->mult;
      for (gsize e = 0; e < p->info.numel; e++)
        {
          double s = sin (0.7 * (double) e + 1.3 * (double) k + 0.1);
          double v;

          switch (p->kind)
            {
            case PK_BN_WEIGHT:
              v = 1.0 + 0.1 * s;
              break;
            case PK_BN_BIAS:
              v = 0.1 * s;
              break;
            case PK_WEIGHT:
            case PK_BIAS:
            default:
              v = scale * s;
              break;
            }
          host[p->info.offset + e] = (float) v;
        }
    }
  net->be->upload (net->be->ctx, net->p, host, net->n_total);
  reset_buffers_and_state (net, hbuf);
}


void
gm_ernet_init_random (GmErnet *net,
                      guint64  seed)
{
  g_autofree float *host = g_new0 (float, net->n_total);
  g_autofree float *hbuf = g_new0 (float, net->n_buf);
  GmRng rng;
  double bound = 1.0;

  gm_rng_init (&rng, seed);
  for (guint k = 0; k < net->params->len; k++)
    {
      Param *p = PARAM (net, k);
      gboolean zero = FALSE;

      if (p->kind == PK_WEIGHT)
        bound = 1.0 / sqrt ((double) p->info.numel / p->info.shape[0]);
      if (p->fixed > 0)
        bound = p->fixed;
      /* DCNv2: offset/mask conv all zero, main bias zero */
      if (strstr (p->info.name, "conv_offset_mask") != NULL)
        zero = TRUE;
      for (int b = 0; b < DFA_BLOCKS; b++)
        if ((int) k == net->dfa[b].dcn.b)
          zero = TRUE;
      /* gene head: its output layer starts at 0, so an untrained network
       * with a head computes what the published one computes */
      if (net->cfg.gene_head > 0 && ((int) k == net->head2.w || (int) k == net->head2.b))
        zero = TRUE;
      for (gsize e = 0; e < p->info.numel; e++)
        {
          double v;

          switch (p->kind)
            {
            case PK_BN_WEIGHT:
              v = 1.0;
              break;
            case PK_BN_BIAS:
              v = 0.0;
              break;
            case PK_WEIGHT:
            case PK_BIAS:
            default:
              v = zero ? 0.0 : bound * (2.0 * gm_rng_uniform (&rng) - 1.0);
              break;
            }
          host[p->info.offset + e] = (float) v;
        }
    }
  net->be->upload (net->be->ctx, net->p, host, net->n_total);
  reset_buffers_and_state (net, hbuf);
}

/* ------------------------------------------------------------ activations */

static float *
act_alloc (GmErnet *net,
           gsize    n)
{
  float *p = net->be->alloc (net->be->ctx, n);

  g_ptr_array_add (net->allocs, p);
  return p;
}

static void
buf_alloc (GmErnet *net,
           Buf     *b,
           gsize    n)
{
  b->n = n;
  b->v = act_alloc (net, n);
  b->g = act_alloc (net, n);
  if (n > net->scratch_n)
    net->scratch_n = n;
}

/* Every activation buffer for a batch of n maps of h × w, through take:
 * buf_alloc for real (ensure_acts), or a count (gm_ernet_memory_bytes).
 * b is a value+gradient pair, or raw a single array. */
typedef void (*TakeFn) (GmErnet *net, Buf *b, float **raw, gsize n, gpointer data);

static void
plan_acts (GmErnet *net,
           int      n,
           int      h,
           int      w,
           TakeFn   take,
           gpointer data)
{
  gsize N = n, P1 = (gsize) h * w, P2 = P1 / 4, P4 = P1 / 16;
  gsize Pp = (gsize) (h + 6) * (w + 6);
  int c1 = net->c1, c2 = net->c2, c3 = net->c3, hd = net->dfa_hidden;

  take (net, &net->x, NULL, N * P1, data);
  take (net, &net->pre, NULL, N * P1, data);
  take (net, &net->pad1, NULL, N * Pp, data);
  take (net, &net->d1, NULL, N * c1 * P1, data);
  take (net, &net->d2, NULL, N * c2 * P2, data);
  take (net, &net->d3, NULL, N * c3 * P4, data);
  for (int b = 0; b < DFA_BLOCKS; b++)
    {
      DfaAct *a = &net->dfa_act[b];
      gsize big = N * c3 * P4;
      take (net, &a->a1, NULL, big, data);
      take (net, &a->r1, NULL, big, data);
      take (net, &a->r2, NULL, big, data);
      take (net, &a->om, NULL, N * 27 * P4, data);
      take (net, &a->off, NULL, N * 18 * P4, data);
      take (net, &a->mask, NULL, N * 9 * P4, data);
      take (net, &a->r3, NULL, big, data);
      take (net, &a->ca_pool, NULL, N * c3, data);
      take (net, &a->ca_h, NULL, N * hd, data);
      take (net, &a->ca_g, NULL, N * c3, data);
      take (net, &a->r4, NULL, big, data);
      take (net, &a->pa_h, NULL, N * hd * P4, data);
      take (net, &a->pa_g, NULL, N * P4, data);
      take (net, &a->r5, NULL, big, data);
      take (net, &a->out, NULL, big, data);
    }
  take (net, &net->cat1, NULL, N * 2 * c3 * P4, data);
  take (net, &net->u1, NULL, N * c2 * P2, data);
  take (net, &net->cat2, NULL, N * 2 * c2 * P2, data);
  take (net, &net->u2, NULL, N * c1 * P1, data);
  take (net, &net->pad3, NULL, N * c1 * Pp, data);
  take (net, &net->out, NULL, N * P1, data);
  if (net->cfg.gene_head > 0)
    {
      take (net, &net->hzpre, NULL, N * net->cfg.gene_head, data);
      take (net, &net->hz, NULL, N * net->cfg.gene_head, data);
      take (net, &net->hm, NULL, N * P1, data);
    }
  for (int f = 0; f < 2; f++)
    {
      CbamAct *a = &net->cb[f];
      int C = f == 0 ? 2 * c3 : 2 * c2;
      int hid = f == 0 ? net->cbam_hidden1 : net->cbam_hidden2;
      gsize P = f == 0 ? P4 : P2;
      take (net, &a->pools, NULL, 2 * N * C, data);
      take (net, &a->hid, NULL, 2 * N * hid, data);
      take (net, &a->mlp, NULL, 2 * N * C, data);
      take (net, &a->gate, NULL, N * C, data);
      take (net, &a->xc, NULL, N * C * P, data);
      take (net, &a->cp, NULL, N * 2 * P, data);
      take (net, &a->sc, NULL, N * P, data);
      take (net, &a->bn, NULL, N * P, data);
      take (net, &a->sg, NULL, N * P, data);
      take (net, &a->out, NULL, N * C * P, data);
      take (net, NULL, &a->saved, 2, data);
    }
  take (net, NULL, &net->scratch, net->scratch_n, data);
  take (net, NULL, &net->mu, 9, data);
  take (net, NULL, &net->D, 81, data);
  take (net, NULL, &net->dout, N * P1, data);
  take (net, NULL, &net->target, N * P1, data);
}

static void
take_alloc (GmErnet *net,
            Buf     *b,
            float  **raw,
            gsize    n,
            gpointer data)
{
  if (b != NULL)
    buf_alloc (net, b, n);
  else
    *raw = act_alloc (net, n);
}

static void
ensure_acts (GmErnet *net,
             int      n,
             int      h,
             int      w)
{
  if (net->an == n && net->ah == h && net->aw == w)
    return;
  free_acts (net);
  net->scratch_n = 0;
  plan_acts (net, n, h, w, take_alloc, NULL);
  net->an = n;
  net->ah = h;
  net->aw = w;
}

typedef struct
{
  guint64 floats;
  gsize   scratch_n;
} Count;

static void
take_count (GmErnet *net,
            Buf     *b,
            float  **raw,
            gsize    n,
            gpointer data)
{
  Count *c = data;

  if (b != NULL)
    {
      c->floats += 2 * (guint64) n;
      c->scratch_n = MAX (c->scratch_n, n);
    }
  else if (raw == &net->scratch)
    c->floats += c->scratch_n;       /* sized by the largest pair, like the real one */
  else
    c->floats += n;
}

guint64
gm_ernet_memory_bytes (GmErnet *net,
                       int      n,
                       int      h,
                       int      w)
{
  Count c = { 0, 0 };

  plan_acts (net, n, h, w, take_count, &c);
  return sizeof (float) * (c.floats + 4 * (guint64) net->n_total + net->n_buf);
}

/* ------------------------------------------------------------ forward */

static void head_forward  (GmErnet *net, int n, int p1);
static void head_backward (GmErnet *net, int n, int p1);

static GmNnConv
conv3x3 (int cin,
         int cout,
         int stride)
{
  GmNnConv c = { cin, cout, 3, 3, stride, 1, 1, 0 };
  return c;
}

static GmNnConv
conv_k (int cin,
        int cout,
        int k,
        int pad)
{
  GmNnConv c = { cin, cout, k, k, 1, pad, 1, 0 };
  return c;
}

static GmNnConv
convt3x3 (int cin,
          int cout)
{
  GmNnConv c = { cin, cout, 3, 3, 2, 1, 1, 1 };
  return c;
}

static void
dfa_forward (GmErnet   *net,
             int        b,
             const Buf *x,
             int        h,
             int        w)
{
  GmNnBackend *be = net->be;
  gpointer ctx = be->ctx;
  DfaIdx *d = &net->dfa[b];
  DfaAct *a = &net->dfa_act[b];
  int n = net->an, C = net->c3, hd = net->dfa_hidden, P = h * w;
  GmNnConv c33 = conv3x3 (C, C, 1), com = conv3x3 (C, 27, 1);
  GmNnConv pa0 = conv_k (C, hd, 1, 0), pa2 = conv_k (hd, 1, 1, 0);

  be->conv2d_forward (ctx, &c33, n, h, w, x->v, PV (net, d->conv1.w), PV (net, d->conv1.b), a->a1.v);
  be->act_forward (ctx, GM_NN_ACT_RELU, a->a1.n, a->a1.v, a->a1.v);
  be->axpby (ctx, a->r1.n, 1.f, a->a1.v, 0.f, a->r1.v);
  be->axpby (ctx, a->r1.n, 1.f, x->v, 1.f, a->r1.v);
  be->conv2d_forward (ctx, &c33, n, h, w, a->r1.v, PV (net, d->conv2.w), PV (net, d->conv2.b), a->r2.v);
  be->conv2d_forward (ctx, &com, n, h, w, a->r2.v, PV (net, d->om.w), PV (net, d->om.b), a->om.v);
  be->fill (ctx, a->off.v, a->off.n, 0.f);
  be->fill (ctx, a->mask.v, a->mask.n, 0.f);
  be->split_add (ctx, n, 18, 9, P, a->om.v, a->off.v, a->mask.v);
  be->act_forward (ctx, GM_NN_ACT_SIGMOID, a->mask.n, a->mask.v, a->mask.v);
  be->dcn_forward (ctx, &c33, n, h, w, a->r2.v, a->off.v, a->mask.v,
                   PV (net, d->dcn.w), PV (net, d->dcn.b), a->r3.v);
  /* channel attention */
  be->global_avg_forward (ctx, n * C, P, a->r3.v, a->ca_pool.v);
  be->linear_forward (ctx, n, C, hd, a->ca_pool.v, PV (net, d->ca0.w), PV (net, d->ca0.b), a->ca_h.v);
  be->act_forward (ctx, GM_NN_ACT_RELU, a->ca_h.n, a->ca_h.v, a->ca_h.v);
  be->linear_forward (ctx, n, hd, C, a->ca_h.v, PV (net, d->ca2.w), PV (net, d->ca2.b), a->ca_g.v);
  be->act_forward (ctx, GM_NN_ACT_SIGMOID, a->ca_g.n, a->ca_g.v, a->ca_g.v);
  be->chgate_forward (ctx, n, C, P, a->r3.v, a->ca_g.v, a->r4.v);
  /* pixel attention */
  be->conv2d_forward (ctx, &pa0, n, h, w, a->r4.v, PV (net, d->pa0.w), PV (net, d->pa0.b), a->pa_h.v);
  be->act_forward (ctx, GM_NN_ACT_RELU, a->pa_h.n, a->pa_h.v, a->pa_h.v);
  be->conv2d_forward (ctx, &pa2, n, h, w, a->pa_h.v, PV (net, d->pa2.w), PV (net, d->pa2.b), a->pa_g.v);
  be->act_forward (ctx, GM_NN_ACT_SIGMOID, a->pa_g.n, a->pa_g.v, a->pa_g.v);
  be->spgate_forward (ctx, n, C, P, a->r4.v, a->pa_g.v, a->r5.v);
  be->axpby (ctx, a->out.n, 1.f, a->r5.v, 0.f, a->out.v);
  be->axpby (ctx, a->out.n, 1.f, x->v, 1.f, a->out.v);
}

static void
dfa_backward (GmErnet *net,
              int      b,
              Buf     *x,
              int      h,
              int      w)
{
  GmNnBackend *be = net->be;
  gpointer ctx = be->ctx;
  DfaIdx *d = &net->dfa[b];
  DfaAct *a = &net->dfa_act[b];
  int n = net->an, C = net->c3, hd = net->dfa_hidden, P = h * w;
  GmNnConv c33 = conv3x3 (C, C, 1), com = conv3x3 (C, 27, 1);
  GmNnConv pa0 = conv_k (C, hd, 1, 0), pa2 = conv_k (hd, 1, 1, 0);
  float *s = net->scratch;

  be->axpby (ctx, x->n, 1.f, a->out.g, 1.f, x->g);
  be->axpby (ctx, a->r5.n, 1.f, a->out.g, 1.f, a->r5.g);
  be->spgate_backward (ctx, n, C, P, a->r4.v, a->pa_g.v, a->r5.g, a->r4.g, a->pa_g.g);
  be->fill (ctx, s, a->pa_g.n, 0.f);
  be->act_backward (ctx, GM_NN_ACT_SIGMOID, a->pa_g.n, a->pa_g.v, a->pa_g.g, s);
  be->conv2d_backward (ctx, &pa2, n, h, w, a->pa_h.v, PV (net, d->pa2.w), s, a->pa_h.g,
                       GV (net, d->pa2.w), GV (net, d->pa2.b));
  be->fill (ctx, s, a->pa_h.n, 0.f);
  be->act_backward (ctx, GM_NN_ACT_RELU, a->pa_h.n, a->pa_h.v, a->pa_h.g, s);
  be->conv2d_backward (ctx, &pa0, n, h, w, a->r4.v, PV (net, d->pa0.w), s, a->r4.g,
                       GV (net, d->pa0.w), GV (net, d->pa0.b));
  be->chgate_backward (ctx, n, C, P, a->r3.v, a->ca_g.v, a->r4.g, a->r3.g, a->ca_g.g);
  be->fill (ctx, s, a->ca_g.n, 0.f);
  be->act_backward (ctx, GM_NN_ACT_SIGMOID, a->ca_g.n, a->ca_g.v, a->ca_g.g, s);
  be->linear_backward (ctx, n, hd, C, a->ca_h.v, PV (net, d->ca2.w), s, a->ca_h.g,
                       GV (net, d->ca2.w), GV (net, d->ca2.b));
  be->fill (ctx, s, a->ca_h.n, 0.f);
  be->act_backward (ctx, GM_NN_ACT_RELU, a->ca_h.n, a->ca_h.v, a->ca_h.g, s);
  be->linear_backward (ctx, n, C, hd, a->ca_pool.v, PV (net, d->ca0.w), s, a->ca_pool.g,
                       GV (net, d->ca0.w), GV (net, d->ca0.b));
  be->global_avg_backward (ctx, n * C, P, a->ca_pool.g, a->r3.g);
  be->dcn_backward (ctx, &c33, n, h, w, a->r2.v, a->off.v, a->mask.v, PV (net, d->dcn.w),
                    a->r3.g, a->r2.g, a->off.g, a->mask.g, GV (net, d->dcn.w), GV (net, d->dcn.b));
  be->fill (ctx, s, a->mask.n, 0.f);
  be->act_backward (ctx, GM_NN_ACT_SIGMOID, a->mask.n, a->mask.v, a->mask.g, s);
  be->concat (ctx, n, 18, 9, P, a->off.g, s, a->om.g);
  be->conv2d_backward (ctx, &com, n, h, w, a->r2.v, PV (net, d->om.w), a->om.g, a->r2.g,
                       GV (net, d->om.w), GV (net, d->om.b));
  be->conv2d_backward (ctx, &c33, n, h, w, a->r1.v, PV (net, d->conv2.w), a->r2.g, a->r1.g,
                       GV (net, d->conv2.w), GV (net, d->conv2.b));
  be->axpby (ctx, x->n, 1.f, a->r1.g, 1.f, x->g);
  be->axpby (ctx, a->a1.n, 1.f, a->r1.g, 1.f, a->a1.g);
  be->fill (ctx, s, a->a1.n, 0.f);
  be->act_backward (ctx, GM_NN_ACT_RELU, a->a1.n, a->a1.v, a->a1.g, s);
  be->conv2d_backward (ctx, &c33, n, h, w, x->v, PV (net, d->conv1.w), s, x->g,
                       GV (net, d->conv1.w), GV (net, d->conv1.b));
}

static void
cbam_forward (GmErnet   *net,
              int        f,
              const Buf *x,
              int        C,
              int        h,
              int        w)
{
  GmNnBackend *be = net->be;
  gpointer ctx = be->ctx;
  CbamIdx *ix = &net->cbam[f];
  CbamAct *a = &net->cb[f];
  int n = net->an, P = h * w;
  int hid = f == 0 ? net->cbam_hidden1 : net->cbam_hidden2;
  gsize nc = (gsize) n * C;
  GmNnConv sconv = conv_k (2, 1, 7, 3);

  be->global_avg_forward (ctx, (int) nc, P, x->v, a->pools.v);
  be->global_max_forward (ctx, (int) nc, P, x->v, a->pools.v + nc);
  be->linear_forward (ctx, 2 * n, C, hid, a->pools.v, PV (net, ix->mlp1.w), PV (net, ix->mlp1.b), a->hid.v);
  be->act_forward (ctx, GM_NN_ACT_RELU, a->hid.n, a->hid.v, a->hid.v);
  be->linear_forward (ctx, 2 * n, hid, C, a->hid.v, PV (net, ix->mlp3.w), PV (net, ix->mlp3.b), a->mlp.v);
  be->axpby (ctx, nc, 1.f, a->mlp.v, 0.f, a->gate.v);
  be->axpby (ctx, nc, 1.f, a->mlp.v + nc, 1.f, a->gate.v);
  be->act_forward (ctx, GM_NN_ACT_SIGMOID, nc, a->gate.v, a->gate.v);
  be->chgate_forward (ctx, n, C, P, x->v, a->gate.v, a->xc.v);
  be->chanpool_forward (ctx, n, C, P, a->xc.v, a->cp.v);
  be->conv2d_forward (ctx, &sconv, n, h, w, a->cp.v, PV (net, ix->sconv), NULL, a->sc.v);
  be->bn_forward (ctx, net->train, n, 1, P, a->sc.v, PV (net, ix->bn_w), PV (net, ix->bn_b),
                  BV (net, ix->buf_rm), BV (net, ix->buf_rv), 0.01f, 1e-5f, a->saved, a->bn.v);
  if (net->train)
    net->nbt[f]++;
  be->act_forward (ctx, GM_NN_ACT_SIGMOID, a->sg.n, a->bn.v, a->sg.v);
  be->spgate_forward (ctx, n, C, P, a->xc.v, a->sg.v, a->out.v);
}

static void
cbam_backward (GmErnet *net,
               int      f,
               Buf     *x,
               int      C,
               int      h,
               int      w)
{
  GmNnBackend *be = net->be;
  gpointer ctx = be->ctx;
  CbamIdx *ix = &net->cbam[f];
  CbamAct *a = &net->cb[f];
  int n = net->an, P = h * w;
  int hid = f == 0 ? net->cbam_hidden1 : net->cbam_hidden2;
  gsize nc = (gsize) n * C;
  GmNnConv sconv = conv_k (2, 1, 7, 3);
  float *s = net->scratch;

  be->spgate_backward (ctx, n, C, P, a->xc.v, a->sg.v, a->out.g, a->xc.g, a->sg.g);
  be->act_backward (ctx, GM_NN_ACT_SIGMOID, a->sg.n, a->sg.v, a->sg.g, a->bn.g);
  be->bn_backward (ctx, net->train, n, 1, P, a->sc.v, PV (net, ix->bn_w), a->saved, a->bn.g,
                   a->sc.g, GV (net, ix->bn_w), GV (net, ix->bn_b));
  be->conv2d_backward (ctx, &sconv, n, h, w, a->cp.v, PV (net, ix->sconv), a->sc.g, a->cp.g,
                       GV (net, ix->sconv), NULL);
  be->chanpool_backward (ctx, n, C, P, a->xc.v, a->cp.v, a->cp.g, a->xc.g);
  be->chgate_backward (ctx, n, C, P, x->v, a->gate.v, a->xc.g, x->g, a->gate.g);
  be->fill (ctx, s, nc, 0.f);
  be->act_backward (ctx, GM_NN_ACT_SIGMOID, nc, a->gate.v, a->gate.g, s);
  be->axpby (ctx, nc, 1.f, s, 1.f, a->mlp.g);
  be->axpby (ctx, nc, 1.f, s, 1.f, a->mlp.g + nc);
  be->linear_backward (ctx, 2 * n, hid, C, a->hid.v, PV (net, ix->mlp3.w), a->mlp.g, a->hid.g,
                       GV (net, ix->mlp3.w), GV (net, ix->mlp3.b));
  be->fill (ctx, s, a->hid.n, 0.f);
  be->act_backward (ctx, GM_NN_ACT_RELU, a->hid.n, a->hid.v, a->hid.g, s);
  be->linear_backward (ctx, 2 * n, C, hid, a->pools.v, PV (net, ix->mlp1.w), s, a->pools.g,
                       GV (net, ix->mlp1.w), GV (net, ix->mlp1.b));
  be->global_avg_backward (ctx, (int) nc, P, a->pools.g, x->g);
  be->global_max_backward (ctx, (int) nc, P, x->v, a->pools.v + nc, a->pools.g + nc, x->g);
}

void
gm_ernet_forward (GmErnet     *net,
                  gboolean     train,
                  int          n,
                  int          h,
                  int          w,
                  const float *x_host,
                  float       *out_host)
{
  GmNnBackend *be = net->be;
  gpointer ctx = be->ctx;
  int c1 = net->c1, c2 = net->c2, c3 = net->c3;
  int h2 = h / 2, w2 = w / 2, h4 = h / 4, w4 = w / 4;
  GmNnConv cd1 = conv_k (1, c1, 7, 0), cd2 = conv3x3 (c1, c2, 2), cd3 = conv3x3 (c2, c3, 2);
  GmNnConv cu1 = convt3x3 (2 * c3, c2), cu2 = convt3x3 (2 * c2, c1), cu3 = conv_k (c1, 1, 7, 0);
  const float *mu, *D;

  g_return_if_fail (n >= 1 && h % 4 == 0 && w % 4 == 0 && h >= 8 && w >= 8);
  g_return_if_fail (net->cfg.gene_head == 0 || (h == net->cfg.head_h && w == net->cfg.head_w));
  ensure_acts (net, n, h, w);
  net->train = train;
  be->upload (ctx, net->x.v, x_host, net->x.n);
  if (train)
    {
      be->whiten_stats (ctx, n, h, w, net->x.v, 1e-5f, 0.1f, net->mu, net->D,
                        BV (net, net->buf_dmean), BV (net, net->buf_dD));
      mu = net->mu;
      D = net->D;
    }
  else
    {
      mu = BV (net, net->buf_dmean);
      D = BV (net, net->buf_dD);
    }
  be->whiten_conv_forward (ctx, n, h, w, net->x.v, PV (net, net->deconv.w),
                           PV (net, net->deconv.b), mu, D, net->pre.v);
  be->reflect_pad_forward (ctx, n, h, w, 3, net->pre.v, net->pad1.v);
  be->conv2d_forward (ctx, &cd1, n, h + 6, w + 6, net->pad1.v, PV (net, net->down1.w),
                      PV (net, net->down1.b), net->d1.v);
  be->act_forward (ctx, GM_NN_ACT_RELU, net->d1.n, net->d1.v, net->d1.v);
  be->conv2d_forward (ctx, &cd2, n, h, w, net->d1.v, PV (net, net->down2.w),
                      PV (net, net->down2.b), net->d2.v);
  be->act_forward (ctx, GM_NN_ACT_RELU, net->d2.n, net->d2.v, net->d2.v);
  be->conv2d_forward (ctx, &cd3, n, h2, w2, net->d2.v, PV (net, net->down3.w),
                      PV (net, net->down3.b), net->d3.v);
  be->act_forward (ctx, GM_NN_ACT_RELU, net->d3.n, net->d3.v, net->d3.v);
  for (int b = 0; b < DFA_BLOCKS; b++)
    dfa_forward (net, b, b == 0 ? &net->d3 : &net->dfa_act[b - 1].out, h4, w4);
  be->concat (ctx, n, c3, c3, h4 * w4, net->dfa_act[DFA_BLOCKS - 1].out.v, net->d3.v, net->cat1.v);
  cbam_forward (net, 0, &net->cat1, 2 * c3, h4, w4);
  be->convt2d_forward (ctx, &cu1, n, h4, w4, net->cb[0].out.v, PV (net, net->up1.w),
                       PV (net, net->up1.b), net->u1.v);
  be->act_forward (ctx, GM_NN_ACT_RELU, net->u1.n, net->u1.v, net->u1.v);
  be->concat (ctx, n, c2, c2, h2 * w2, net->u1.v, net->d2.v, net->cat2.v);
  cbam_forward (net, 1, &net->cat2, 2 * c2, h2, w2);
  be->convt2d_forward (ctx, &cu2, n, h2, w2, net->cb[1].out.v, PV (net, net->up2.w),
                       PV (net, net->up2.b), net->u2.v);
  be->act_forward (ctx, GM_NN_ACT_RELU, net->u2.n, net->u2.v, net->u2.v);
  be->reflect_pad_forward (ctx, n * c1, h, w, 3, net->u2.v, net->pad3.v);
  be->conv2d_forward (ctx, &cu3, n, h + 6, w + 6, net->pad3.v, PV (net, net->up3.w),
                      PV (net, net->up3.b), net->out.v);
  if (net->cfg.gene_head > 0)
    head_forward (net, n, h * w);
  be->act_forward (ctx, GM_NN_ACT_TANH, net->out.n, net->out.v, net->out.v);
  net->have_fwd = TRUE;
  if (out_host != NULL)
    be->download (ctx, out_host, net->out.v, net->out.n);
}

/* Gene head, forward: hm = W2 · relu (W0 · flat (pre) + b0) + b2, added to
 * the output's pre-activation.  Its input is the whitened input map "pre"
 * (the first layer's output: the map centred and decorrelated), taken whole:
 * what tells cell types apart is which genes — which positions — are on.
 * (Fed from the bottleneck, it learnt several times more slowly:
 * docs/performance.md, "ER-Net accuracy".) */
static void
head_forward (GmErnet *net,
              int      n,
              int      p1)
{
  GmNnBackend *be = net->be;
  gpointer ctx = be->ctx;
  int K = net->cfg.gene_head;

  be->linear_forward (ctx, n, p1, K, net->pre.v, PV (net, net->head0.w), PV (net, net->head0.b),
                      net->hzpre.v);
  be->act_forward (ctx, GM_NN_ACT_RELU, net->hzpre.n, net->hzpre.v, net->hz.v);
  be->linear_forward (ctx, n, K, p1, net->hz.v, PV (net, net->head2.w), PV (net, net->head2.b),
                      net->hm.v);
  be->axpby (ctx, net->hm.n, 1.f, net->hm.v, 1.f, net->out.v);
}

/* Gene head, backward from out.g (dL/d pre-activation); accumulates into
 * pre.g. */
static void
head_backward (GmErnet *net,
               int      n,
               int      p1)
{
  GmNnBackend *be = net->be;
  gpointer ctx = be->ctx;
  int K = net->cfg.gene_head;

  be->linear_backward (ctx, n, K, p1, net->hz.v, PV (net, net->head2.w), net->out.g, net->hz.g,
                       GV (net, net->head2.w), GV (net, net->head2.b));
  be->act_backward (ctx, GM_NN_ACT_RELU, net->hz.n, net->hz.v, net->hz.g, net->hzpre.g);
  be->linear_backward (ctx, n, p1, K, net->pre.v, PV (net, net->head0.w), net->hzpre.g,
                       net->pre.g, GV (net, net->head0.w), GV (net, net->head0.b));
}

static void
zero_grads (GmErnet *net)
{
  GmNnBackend *be = net->be;

  be->fill (be->ctx, net->g, net->n_total, 0.f);
#define ZG(b) be->fill (be->ctx, (b).g, (b).n, 0.f)
  ZG (net->x); ZG (net->pre); ZG (net->pad1); ZG (net->d1); ZG (net->d2); ZG (net->d3);
  ZG (net->cat1); ZG (net->u1); ZG (net->cat2); ZG (net->u2); ZG (net->pad3); ZG (net->out);
  if (net->cfg.gene_head > 0)
    {
      ZG (net->hzpre); ZG (net->hz); ZG (net->hm);
    }
  for (int b = 0; b < DFA_BLOCKS; b++)
    {
      DfaAct *a = &net->dfa_act[b];
      ZG (a->a1); ZG (a->r1); ZG (a->r2); ZG (a->om); ZG (a->off); ZG (a->mask); ZG (a->r3);
      ZG (a->ca_pool); ZG (a->ca_h); ZG (a->ca_g); ZG (a->r4); ZG (a->pa_h); ZG (a->pa_g);
      ZG (a->r5); ZG (a->out);
    }
  for (int f = 0; f < 2; f++)
    {
      CbamAct *a = &net->cb[f];
      ZG (a->pools); ZG (a->hid); ZG (a->mlp); ZG (a->gate); ZG (a->xc); ZG (a->cp);
      ZG (a->sc); ZG (a->bn); ZG (a->sg); ZG (a->out);
    }
#undef ZG
}

/* Backward from net->dout (dL/d out, post-tanh). */
static void
backward_from_dout (GmErnet *net)
{
  GmNnBackend *be = net->be;
  gpointer ctx = be->ctx;
  int n = net->an, h = net->ah, w = net->aw;
  int c1 = net->c1, c2 = net->c2, c3 = net->c3;
  int h2 = h / 2, w2 = w / 2, h4 = h / 4, w4 = w / 4;
  GmNnConv cd1 = conv_k (1, c1, 7, 0), cd2 = conv3x3 (c1, c2, 2), cd3 = conv3x3 (c2, c3, 2);
  GmNnConv cu1 = convt3x3 (2 * c3, c2), cu2 = convt3x3 (2 * c2, c1), cu3 = conv_k (c1, 1, 7, 0);
  const float *mu = net->train ? net->mu : BV (net, net->buf_dmean);
  const float *D = net->train ? net->D : BV (net, net->buf_dD);
  float *s = net->scratch;

  be->act_backward (ctx, GM_NN_ACT_TANH, net->out.n, net->out.v, net->dout, net->out.g);
  if (net->cfg.gene_head > 0)
    head_backward (net, n, h * w);
  be->conv2d_backward (ctx, &cu3, n, h + 6, w + 6, net->pad3.v, PV (net, net->up3.w), net->out.g,
                       net->pad3.g, GV (net, net->up3.w), GV (net, net->up3.b));
  be->reflect_pad_backward (ctx, n * c1, h, w, 3, net->pad3.g, net->u2.g);
  be->fill (ctx, s, net->u2.n, 0.f);
  be->act_backward (ctx, GM_NN_ACT_RELU, net->u2.n, net->u2.v, net->u2.g, s);
  be->convt2d_backward (ctx, &cu2, n, h2, w2, net->cb[1].out.v, PV (net, net->up2.w), s,
                        net->cb[1].out.g, GV (net, net->up2.w), GV (net, net->up2.b));
  cbam_backward (net, 1, &net->cat2, 2 * c2, h2, w2);
  be->split_add (ctx, n, c2, c2, h2 * w2, net->cat2.g, net->u1.g, net->d2.g);
  be->fill (ctx, s, net->u1.n, 0.f);
  be->act_backward (ctx, GM_NN_ACT_RELU, net->u1.n, net->u1.v, net->u1.g, s);
  be->convt2d_backward (ctx, &cu1, n, h4, w4, net->cb[0].out.v, PV (net, net->up1.w), s,
                        net->cb[0].out.g, GV (net, net->up1.w), GV (net, net->up1.b));
  cbam_backward (net, 0, &net->cat1, 2 * c3, h4, w4);
  be->split_add (ctx, n, c3, c3, h4 * w4, net->cat1.g, net->dfa_act[DFA_BLOCKS - 1].out.g, net->d3.g);
  for (int b = DFA_BLOCKS - 1; b >= 0; b--)
    dfa_backward (net, b, b == 0 ? &net->d3 : &net->dfa_act[b - 1].out, h4, w4);
  be->fill (ctx, s, net->d3.n, 0.f);
  be->act_backward (ctx, GM_NN_ACT_RELU, net->d3.n, net->d3.v, net->d3.g, s);
  be->conv2d_backward (ctx, &cd3, n, h2, w2, net->d2.v, PV (net, net->down3.w), s, net->d2.g,
                       GV (net, net->down3.w), GV (net, net->down3.b));
  be->fill (ctx, s, net->d2.n, 0.f);
  be->act_backward (ctx, GM_NN_ACT_RELU, net->d2.n, net->d2.v, net->d2.g, s);
  be->conv2d_backward (ctx, &cd2, n, h, w, net->d1.v, PV (net, net->down2.w), s, net->d1.g,
                       GV (net, net->down2.w), GV (net, net->down2.b));
  be->fill (ctx, s, net->d1.n, 0.f);
  be->act_backward (ctx, GM_NN_ACT_RELU, net->d1.n, net->d1.v, net->d1.g, s);
  be->conv2d_backward (ctx, &cd1, n, h + 6, w + 6, net->pad1.v, PV (net, net->down1.w), s,
                       net->pad1.g, GV (net, net->down1.w), GV (net, net->down1.b));
  be->reflect_pad_backward (ctx, n, h, w, 3, net->pad1.g, net->pre.g);
  be->whiten_conv_backward (ctx, n, h, w, net->x.v, PV (net, net->deconv.w), mu, D, net->pre.g,
                            NULL, GV (net, net->deconv.w), GV (net, net->deconv.b));
}

void
gm_ernet_backward (GmErnet     *net,
                   const float *dout_host)
{
  g_return_if_fail (net->have_fwd);
  zero_grads (net);
  net->be->upload (net->be->ctx, net->dout, dout_host, net->out.n);
  backward_from_dout (net);
}

double
gm_ernet_backward_loss (GmErnet     *net,
                        const float *target_host)
{
  GmNnBackend *be = net->be;
  double loss;

  g_return_val_if_fail (net->have_fwd, NAN);
  zero_grads (net);
  be->upload (be->ctx, net->target, target_host, net->out.n);
  loss = be->loss_forward_backward (be->ctx, net->an, net->ah, net->aw, net->out.v, net->target,
                                    GM_NN_LOSS_W_FREQ, net->dout);
  backward_from_dout (net);
  return loss;
}

void
gm_ernet_adam_step (GmErnet *net,
                    float    lr)
{
  net->adam_step++;
  net->be->adam_update (net->be->ctx, net->n_total, net->p, net->g, net->m, net->v, lr,
                        0.9f, 0.999f, 1e-8f, net->adam_step);
}

double
gm_ernet_train_step (GmErnet     *net,
                     int          n,
                     int          h,
                     int          w,
                     const float *x_host,
                     const float *target_host,
                     float        lr)
{
  double loss;

  gm_ernet_forward (net, TRUE, n, h, w, x_host, NULL);
  loss = gm_ernet_backward_loss (net, target_host);
  gm_ernet_adam_step (net, lr);
  return loss;
}

const float *
gm_ernet_activation (GmErnet    *net,
                     const char *name,
                     int         shape[4])
{
  int n = net->an, h = net->ah, w = net->aw;
  struct { const char *name; const Buf *b; int c, h, w; } t[] = {
    { "pre", &net->pre, 1, h, w },
    { "d1", &net->d1, net->c1, h, w },
    { "d2", &net->d2, net->c2, h / 2, w / 2 },
    { "d3", &net->d3, net->c3, h / 4, w / 4 },
    { "b0", &net->dfa_act[0].out, net->c3, h / 4, w / 4 },
    { "b1", &net->dfa_act[1].out, net->c3, h / 4, w / 4 },
    { "b2", &net->dfa_act[2].out, net->c3, h / 4, w / 4 },
    { "m1", &net->cb[0].out, 2 * net->c3, h / 4, w / 4 },
    { "u1", &net->u1, net->c2, h / 2, w / 2 },
    { "m2", &net->cb[1].out, 2 * net->c2, h / 2, w / 2 },
    { "u2", &net->u2, net->c1, h, w },
    { "out", &net->out, 1, h, w },
  };

  if (!net->have_fwd)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    if (g_strcmp0 (name, t[i].name) == 0)
      {
        shape[0] = n;
        shape[1] = t[i].c;
        shape[2] = t[i].h;
        shape[3] = t[i].w;
        g_assert (t[i].b->n == (gsize) n * t[i].c * t[i].h * t[i].w);
        return t[i].b->v;
      }
  return NULL;
}
