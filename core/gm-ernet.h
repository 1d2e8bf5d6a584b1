/* gm-ernet.h — ER-Net (TCER gene-expression recovery network), spec §2
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The model runs on a GmNnBackend (gm-nn.h).  Parameters live in one
 * contiguous backend buffer in PyTorch named_parameters() order, with the
 * state_dict names of spec §2.8; gradients and the Adam moments are parallel
 * buffers of the same layout, so an optimiser step is one primitive call.
 */
#pragma once

#include "gm-nn.h"

G_BEGIN_DECLS

typedef enum
{
  GM_ERNET_PAPER,     /* ngf 64: 6,727,031 trainable parameters */
  GM_ERNET_TINY,      /* ngf 4 (for tests) */
  GM_ERNET_COMPACT,   /* same topology, ngf chosen by the caller (default 16) */
} GmErnetPreset;

typedef struct
{
  int ngf;              /* channels c1 = ngf, c2 = 2·ngf, c3 = 4·ngf */
  int dfa_reduction;    /* CA/PA hidden = c3 / dfa_reduction (8) */
  int cbam_reduction;   /* CBAM MLP hidden = max(C / cbam_reduction, 1) (16) */
  /* Gene head (our extension; 0 = off, the published network): K hidden
   * units.  The whitened input map (the first layer's output, h × w) goes
   * through linear → K, ReLU and linear K → head_h·head_w, and that map is
   * added to the output before the tanh.  It gives each pixel — each
   * gene — its own weights, which convolutions, being the same at every
   * position, cannot: a learnt low-rank "what this kind of cell expresses
   * here".  A network with a head runs on head_h × head_w maps only. */
  int gene_head;
  int head_h, head_w;
} GmErnetConfig;

/* ngf is used only by GM_ERNET_COMPACT (≤ 0 means 16); no gene head. */
GmErnetConfig gm_ernet_config (GmErnetPreset preset,
                               int           ngf);

typedef struct
{
  const char *name;     /* state_dict name, e.g. "block_0.conv3.conv_offset_mask.weight" */
  int         ndim;
  int         shape[GM_NN_MAX_DIMS];
  gsize       offset;   /* into gm_ernet_params() / gm_ernet_buffers() */
  gsize       numel;
} GmErnetTensorInfo;

typedef struct _GmErnet GmErnet;

/* The backend is borrowed; it must outlive the model. */
GmErnet    *gm_ernet_new          (GmNnBackend         *backend,
                                   const GmErnetConfig *config);
void        gm_ernet_free         (GmErnet             *net);

GmErnetConfig gm_ernet_get_config (GmErnet *net);

/* Trainable parameters, in named_parameters() order. */
int         gm_ernet_n_params     (GmErnet *net);
const GmErnetTensorInfo *gm_ernet_param_info (GmErnet *net,
                                              int      i);
gsize       gm_ernet_n_trainable  (GmErnet *net);
/* Buffers (deconv.running_mean, deconv.running_deconv, and the two CBAM
 * BN running_mean / running_var); num_batches_tracked is kept on the host. */
int         gm_ernet_n_buffers    (GmErnet *net);
const GmErnetTensorInfo *gm_ernet_buffer_info (GmErnet *net,
                                               int      i);
gint64      gm_ernet_num_batches_tracked (GmErnet *net,
                                          int      fusion);   /* 1 or 2 */

/* Backend memory (host memory for the CPU backend, device memory for a GPU
 * backend: read it with gm_ernet_get_state or the backend's download). */
float      *gm_ernet_params       (GmErnet *net);
float      *gm_ernet_grads        (GmErnet *net);
float      *gm_ernet_buffers      (GmErnet *net);
gsize       gm_ernet_n_buffer_floats (GmErnet *net);

/* Host copies of the parameters (gm_ernet_n_trainable floats) and buffers
 * (gm_ernet_n_buffer_floats), through the backend's download / upload, so
 * they work on every backend; either pointer may be NULL. */
void        gm_ernet_get_state    (GmErnet     *net,
                                   float       *params_host,
                                   float       *buffers_host);
void        gm_ernet_set_state    (GmErnet     *net,
                                   const float *params_host,
                                   const float *buffers_host);

/* Deterministic initialisation shared with the PyTorch fixture script:
 * element e of parameter k gets scale_k · sin(0.7·e + 1.3·k + 0.1), see
 * gm-ernet.c; buffers reset (means 0, running_deconv I, BN var 1); Adam
 * state cleared. */
void        gm_ernet_init_formula (GmErnet *net);

/* PyTorch-default-like random initialisation for real training (spec §2.9),
 * from a seeded xoshiro256** stream (gm-random.h): conv, ConvT and linear
 * weights and biases U(±1/sqrt(fan_in)) with fan_in = numel / shape[0]
 * (PyTorch's rule for both Conv2d and ConvTranspose2d), the whitened conv
 * U(±1/3), DCN main bias 0, DCN offset/mask conv weight and bias 0, BN γ 1
 * and β 0; buffers reset and Adam state cleared as gm_ernet_init_formula.
 * The same seed gives the same parameters. */
void        gm_ernet_init_random  (GmErnet *net,
                                   guint64  seed);

/* Forward pass on n maps of h × w (multiples of 4).  x_host is n×1×h×w on
 * the host; out_host (may be NULL) receives n×1×h×w.  train selects batch
 * statistics (and updates the running buffers) or the running ones. */
void        gm_ernet_forward      (GmErnet     *net,
                                   gboolean     train,
                                   int          n,
                                   int          h,
                                   int          w,
                                   const float *x_host,
                                   float       *out_host);
/* Backward of the last forward: zeroes the gradients, then fills them.
 * gm_ernet_backward takes dL/dout (host), gm_ernet_backward_loss computes
 * the spec §4 loss against target_host and returns it. */
void        gm_ernet_backward      (GmErnet     *net,
                                    const float *dout_host);
double      gm_ernet_backward_loss (GmErnet     *net,
                                    const float *target_host);
/* One Adam step (β 0.9/0.999, eps 1e-8) with the current gradients. */
void        gm_ernet_adam_step    (GmErnet *net,
                                   float    lr);
int         gm_ernet_adam_steps   (GmErnet *net);

/* forward (train) + loss + backward + Adam; returns the loss. */
double      gm_ernet_train_step   (GmErnet     *net,
                                   int          n,
                                   int          h,
                                   int          w,
                                   const float *x_host,
                                   const float *target_host,
                                   float        lr);

/* Bytes of backend memory the model takes for batches of n maps of h × w:
 * parameters, gradients, the two Adam moments, buffers, and every
 * activation with its gradient (exactly what it allocates); not the
 * backend's own workspaces (im2col, cuDNN). */
guint64     gm_ernet_memory_bytes (GmErnet *net,
                                   int      n,
                                   int      h,
                                   int      w);

/* An activation of the last forward, by name: "pre", "d1", "d2", "d3",
 * "b0", "b1", "b2", "m1", "u1", "m2", "u2", "out".  Returns NULL if unknown
 * or no forward has run; shape receives N, C, H, W. */
const float *gm_ernet_activation  (GmErnet    *net,
                                   const char *name,
                                   int         shape[4]);

G_END_DECLS
