/* gm-impute.h — ER-Net imputation of a dataset through a GenoMap layout (TCER spec §1.4–1.6, §5, §6)
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Value transform.  For cell c with library size L_c (sum of all its counts,
 * every gene), a count x becomes v = log1p (x · 10 000 / L_c) / scale, where
 * scale is the 99.9th percentile of the non-zero log1p-CP10k values of the
 * mapped genes over all cells of the TRAINING dataset (stored in the model
 * and its checkpoint), so values fall mostly in (0, 1].  Training clips v to
 * [0, 1] (spec §1.4); inference does not clip its input (§1.5).  The output o
 * of the network goes back to counts as expm1 (max (o, 0) · scale) · L_c /
 * 10 000 (negative outputs, possible through tanh, become 0).
 *
 * Maps.  Each cell's mapped genes are placed on the layout's rows × cols grid
 * (pixel p = row + col · rows, image index row · cols + col), pixels without a
 * gene are 0, and the map is padded to T × T, T the smallest multiple of 4 ≥
 * rows, cols and 8 (the network's minimum), at offset ((T − rows) / 2,
 * (T − cols) / 2).  Training samples (§1.4): zeros become 0.999, a
 * fraction ρ ~ U[0.1, 0.25) of the observed non-zeros is dropped to 0.999 in
 * the input, target = observed (clipped) — or, with the neighbours target
 * (the default recipe), the mean of the k nearest cells' clipped maps —,
 * input padding 0.999, target padding 0.  Inference (§1.5, §6): zeros → 0.999,
 * padding 0.999, eval mode, crop, the whole map replaced by the output
 * (unless keep_observed, which puts every observed non-zero count back
 * exactly).  Genes outside the layout keep their observed counts.
 *
 * Optimisation (§5): Adam (β 0.9/0.999, eps 1e-8), lr for steps 1 … ⌊0.8 ·
 * steps⌋, lr / 2 after; each step draws min (batch, n_cells) distinct cells
 * at random.  Everything random comes from one xoshiro256** stream seeded
 * with the seed, so a run is bit-for-bit reproducible on the CPU backend for
 * a given number of BLAS threads.  The cancel flag is read before every step
 * and every inference batch: one step of the paper model on a batch of 64
 * can take seconds, so cancelling waits for at most one step.
 */
#pragma once

#include "gm-dataset.h"
#include "gm-ernet.h"
#include "gm-layout.h"

G_BEGIN_DECLS

/* Called after every training step; text is a one-line summary
 * "step 12/2500  loss 0.0123  ETA 1:02:03". */
typedef void (*GmErnetProgressFunc) (int         step,
                                     int         steps,
                                     double      loss,
                                     double      eta_seconds,
                                     const char *text,
                                     gpointer    user_data);

/* Training loss.  PAPER is spec §4 (mean L1 + 0.02 × L1 of the DFT, on all
 * pixels).  MSE is the mean squared error on all pixels: with a
 * self-supervised target, its optimum is the conditional MEAN of the
 * observed value given the context, where L1's is the median — which is 0
 * for most genes of sparse data (see docs/performance.md, "ER-Net
 * accuracy").  HIDDEN_MSE is the squared error on the map pixels whose input
 * is the placeholder only (true zeros and the dropped non-zeros; spec §9.1's
 * "masked-only" option): the network is trained only to predict values from
 * their context, the self-supervised denoising objective of Noise2Self —
 * pair it with masked inference. */
typedef enum
{
  GM_ERNET_LOSS_PAPER,
  GM_ERNET_LOSS_MSE,
  GM_ERNET_LOSS_HIDDEN_MSE,
} GmErnetLoss;

/* Inference.  DIRECT is spec §6: one forward of the observed map.  MASKED
 * hides, in each of GM_ERNET_MASKED_PASSES forwards, a different part of
 * every cell's observed non-zeros (a seeded random partition), and each
 * observed non-zero takes the output of the pass that hid it — the
 * network's estimate of that value from its context, as in training — while
 * the other pixels take the mean output of the passes. */
typedef enum
{
  GM_ERNET_INFER_DIRECT,
  GM_ERNET_INFER_MASKED,
} GmErnetInference;

#define GM_ERNET_MASKED_PASSES 4
/* The default GmErnetImputeOptions.neighbour_pool. */
#define GM_ERNET_NEIGHBOUR_POOL 20000

/* What the network learns to output.  SELF is spec §1.4: the cell's own
 * observed map (Noise2Self-like: the input is that map with part of it
 * hidden).  NEIGHBOURS (our extension) keeps the input and the dropout
 * simulation but makes the target the mean map of the cell's target_k
 * nearest other cells (gm_cell_neighbours: 10 principal components of the
 * 2 000 most variable genes): a Noise2Noise target, a second noisy view of
 * the same kind of cell whose counting noise is independent of the input.
 * The network then learns E[expression | the cell's own map], which borrows
 * what the dataset knows about cells like it; inference still sees one cell
 * at a time, so a checkpoint applies to new cells unchanged.  Why: on sparse
 * data the cell's own values are mostly zeros, and a network asked to
 * reproduce them learns little (docs/performance.md, "ER-Net accuracy"). */
typedef enum
{
  GM_ERNET_TARGET_SELF,
  GM_ERNET_TARGET_NEIGHBOURS,
} GmErnetTarget;

/* Recipes: sets of training options (gm_ernet_impute_options_set_recipe).
 * NEIGHBOURS (the default): the neighbours target (30 cells), a 16-unit gene
 * head, the MSE loss and lr 1e-3 — on the project's sparse benchmark it
 * beats the observed data by about 0.25 in median per-gene r, and MAGIC
 * (docs/performance.md).  TCER: the published training (spec §1.4, §4,
 * §5): the cell's own map as target, no head, L1 + DFT loss, lr 2e-4.  Both
 * use the value range 0.5 and the preset's step count. */
typedef enum
{
  GM_ERNET_RECIPE_NEIGHBOURS,
  GM_ERNET_RECIPE_TCER,
} GmErnetRecipe;

typedef struct _GmErnetModel GmErnetModel;

typedef struct
{
  GmErnetPreset preset;        /* default GM_ERNET_COMPACT */
  GmErnetLoss   loss;          /* default GM_ERNET_LOSS_MSE */
  GmErnetInference inference;  /* default GM_ERNET_INFER_DIRECT */
  GmErnetTarget target;        /* default GM_ERNET_TARGET_NEIGHBOURS */
  int           target_k;      /* cells in the NEIGHBOURS target; ≤ 0 (the
                                * default): 30, or n_cells − 1 when fewer */
  /* With the NEIGHBOURS target, a dataset of more cells than this trains on
   * a seeded random subset of this many (≤ 0, the default: 20 000), and
   * their neighbours are searched among them: the exact search grows with
   * the square of the cells (30 s at 100 000, an hour at a million) and its
   * PCA input with their number, while 1 000 steps of 64 cells draw 64 000
   * cells anyway.  Inference covers every cell.  The number of cells drawn
   * from is recorded as uns genomap_impute_training_cells. */
  int64_t       neighbour_pool;
  /* NEIGHBOURS target weights: ≤ 0, equal; else w ∝ exp (−(d / σ)²), d the
   * neighbour's distance, σ the cell's distance to its target_sigma_k-th
   * neighbour (a kernel that narrows where cells are dense and keeps a rare
   * cell's few close relatives ahead of the rest). */
  int           target_sigma_k;
  int           ngf;           /* GM_ERNET_COMPACT only; ≤ 0 = 16 */
  int           steps;         /* ≤ 0 (the default): the model's recipe,
                                * gm_ernet_recipe_steps () */
  int           batch;         /* default 64; min (batch, n_cells) is used */
  double        lr;            /* default 1e-3 (the TCER recipe: 2e-4) */
  /* The 99.9th percentile of the transformed observed non-zeros, log1p
   * (CP10k), is mapped to this value.  Default 0.5: with 1.0 (the spec's
   * "divide by the maximum") one UMI in a shallow cell lands at about 0.8,
   * next to the missing-value placeholder 0.999, and the network learns
   * more slowly (docs/performance.md, "ER-Net accuracy"). */
  double        value_max;
  /* Units of the gene head (GmErnetConfig.gene_head; our extension, not
   * TCER's network); default 16, 0 = off. */
  int           gene_head;
  guint64       seed;          /* default 0 */
  gboolean      keep_observed; /* put the observed non-zeros back */
  int           infer_batch;   /* cells per inference forward; default 64 */
  GmErnetProgressFunc progress;
  gpointer      progress_data;
  const gint   *cancel;        /* non-zero → stop with GM_ERROR_CANCELLED */
  /* Called after every snapshot_every-th step with the model in training
   * (it may be applied, not freed); for learning curves in benchmarks. */
  void        (*snapshot) (GmErnetModel *model, int step, gpointer data);
  int           snapshot_every;
  gpointer      snapshot_data;
  /* Where the network runs (gm-nn-device.h): "cpu" (the default; NULL too),
   * "auto" (CUDA device 0 when usable, else the CPU with a g_message
   * saying why), "cuda" or "cuda:N" (fails when unusable).  backend, when
   * set, is used instead (borrowed: it must outlive the model).  Only the
   * CPU backend is bit-for-bit reproducible. */
  const char   *device;
  GmNnBackend  *backend;
} GmErnetImputeOptions;

/* Defaults: the NEIGHBOURS recipe, compact, direct inference. */
void gm_ernet_impute_options_init (GmErnetImputeOptions *opts);
/* Sets target, target_k, gene_head, loss and lr to a recipe's. */
void gm_ernet_impute_options_set_recipe (GmErnetImputeOptions *opts,
                                         GmErnetRecipe         recipe);
const char *gm_ernet_recipe_name (GmErnetRecipe recipe);   /* "neighbours", "tcer" */

/* Training steps of a model's recipe: 2 500 for paper (the published
 * run), 1 000 for compact and tiny (their accuracy is flat from about
 * 1 000 steps on the project's benchmark; docs/performance.md). */
int  gm_ernet_recipe_steps        (GmErnetPreset preset);

/* A trained network with its layout and value scale (GmErnetModel), on the
 * backend chosen by the options' device / backend. */

void            gm_ernet_model_free   (GmErnetModel *model);
GmErnet        *gm_ernet_model_net    (GmErnetModel *model);
const GmLayout *gm_ernet_model_layout (GmErnetModel *model);
double          gm_ernet_model_scale  (GmErnetModel *model);
int             gm_ernet_model_steps  (GmErnetModel *model);   /* training steps done */

/* Trains a model on ds (counts) through layout. */
GmErnetModel *gm_ernet_model_train  (const GmDataset            *ds,
                                     const GmLayout             *layout,
                                     const GmErnetImputeOptions *opts,
                                     GError                    **error);

/* Applies a model to ds (genes matched by name; layout genes missing from ds
 * count as zeros; fails when none is present).  Returns cells × genes
 * row-major float counts; *imputed (may be NULL) receives a g_new'd array
 * of n_genes flags, TRUE for the genes the network imputed. */
float        *gm_ernet_model_apply  (GmErnetModel               *model,
                                     const GmDataset            *ds,
                                     const GmErnetImputeOptions *opts,
                                     gboolean                  **imputed,
                                     GError                    **error);

/* Train, then apply to the same dataset.  *model_out (may be NULL) receives
 * the trained model. */
float        *gm_ernet_impute       (const GmDataset            *ds,
                                     const GmLayout             *layout,
                                     const GmErnetImputeOptions *opts,
                                     GmErnetModel              **model_out,
                                     gboolean                  **imputed,
                                     GError                    **error);

/* Records how an ER-Net result was made in ds->uns (genomap_impute_*):
 * method, model ("<preset> (ngf N)", or "checkpoint (ngf N)" with the
 * checkpoint's base name when @checkpoint is not NULL), training steps,
 * device, value scale, keep_observed, inference, the values' scale
 * ("counts"), genomap_version; for a model trained in this run
 * (@checkpoint NULL) also batch, lr, seed and loss.  Shared by the CLI and
 * the application so both write the same provenance. */
void          gm_ernet_annotate     (GmDataset                  *ds,
                                     GmErnetModel               *model,
                                     const GmErnetImputeOptions *opts,
                                     const char                 *checkpoint);

/* The names the CLI and the application use: "paper", "compact", "tiny";
 * "paper", "mse", "hidden-mse"; "direct", "masked"; "self", "neighbours". */
const char   *gm_ernet_preset_name    (GmErnetPreset    preset);
const char   *gm_ernet_loss_name      (GmErnetLoss      loss);
const char   *gm_ernet_inference_name (GmErnetInference inference);
const char   *gm_ernet_target_name    (GmErnetTarget    target);

/* Adds (or replaces) the var boolean column "genomap_imputed". */
void          gm_ernet_mark_imputed (GmDataset      *ds,
                                     const gboolean *imputed);

/* Checkpoint: one little-endian binary file, written through gm_output_*
 * (temporary sibling + rename):
 *   "GMERNET1" magic (8 bytes), u32 format version (1),
 *   str program version, i32 ngf, dfa_reduction, cbam_reduction, i32 steps,
 *   f64 scale, i32 rows, cols, geometry, n_genes, then n_genes × (str gene,
 *   i32 pixel), i32 n_params, then n_params × (str name, i32 ndim, ndim × i32
 *   shape, numel × f32), i32 n_buffers and the buffers likewise,
 *   and a SHA-256 of everything before it (32 bytes).
 * str = u32 byte length + UTF-8 bytes.  Loading checks the magic, the
 * version, the checksum, every name and shape against a freshly built
 * network, and the layout (distinct pixels inside the grid).  Errors name
 * the file (GM_ERROR_INVALID_INPUT; GM_ERROR_UNSUPPORTED for a newer
 * format).  Tensors go through the backend's download / upload (any backend); the
 * BN num_batches_tracked counters are not stored (inference does not use
 * them). */
gboolean      gm_ernet_checkpoint_save (GmErnetModel *model,
                                        const char   *path,
                                        GError      **error);
GmErnetModel *gm_ernet_checkpoint_load (const char   *path,
                                        GError      **error);
/* The same on the backend chosen by opts->device / opts->backend (opts may
 * be NULL: the CPU); gm_ernet_checkpoint_load uses the CPU. */
GmErnetModel *gm_ernet_checkpoint_load_full (const char                 *path,
                                             const GmErnetImputeOptions *opts,
                                             GError                    **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GmErnetModel, gm_ernet_model_free)

G_END_DECLS
