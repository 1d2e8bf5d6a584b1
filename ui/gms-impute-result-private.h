/* gms-impute-result-private.h — filled in by the imputation worker (gms-impute-job.c)
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gms-impute-result.h"

G_BEGIN_DECLS

struct _GmsImputeResult
{
  GObject          parent_instance;

  GmsImputeMethod  method;
  GmsEvalMode      eval_mode;
  char            *summary;

  GObject         *owner;          /* keeps input alive (the GmsDataset) */
  const GmDataset *input;
  GmLayout        *layout;         /* a copy */
  GmDataset       *imputed;        /* X = imputation of the input */
  GmErnetModel    *model;          /* NULL for kNN / MAGIC */
  GmNnBackend     *backend;        /* the model's; freed after it */
  char            *device_notice;  /* why "auto" used the CPU, or NULL */

  GmEvalResult    *eval;
  GmHoldoutResult *holdout;        /* hold-out mode only */
  /* What eval compared: reference, observed (before), imputed (after);
   * each either owned (the *_owned copy) or one of input / imputed. */
  const GmDataset *eval_reference;
  const GmDataset *eval_observed;
  const GmDataset *eval_imputed;
  GmDataset       *reference_owned;
  GmDataset       *masked_owned;           /* masked (hold-out) or simulated observations */
  GmDataset       *masked_imputed_owned;   /* their imputation */

  GmMapper        *mapper_input;
  GmMapper        *mapper_imputed;

  /* _gms_impute_result_prepare (): gene name → column in each of the three
   * evaluated datasets, evaluated cells (eval_observed's order) → row in
   * the reference and in the imputation, layout gene → pixel */
  GHashTable      *genes_reference;
  GHashTable      *genes_observed;
  GHashTable      *genes_imputed;
  int64_t         *cell_reference;
  int64_t         *cell_imputed;
  GHashTable      *layout_pixels;
};

/* Takes a reference on @owner; @input must stay valid while owner lives. */
GmsImputeResult *_gms_impute_result_new (GObject         *owner,
                                         const GmDataset *input);

/* Sets the object that keeps the input alive (a result restored from a session is made
 * before its owner is known). */
void             _gms_impute_result_set_owner (GmsImputeResult *self,
                                               GObject         *owner);

/* Builds the lookups that map_cell / gene_pixel / gene_trace need (mappers,
 * name indices).  Called by the worker once every field above is set. */
gboolean         _gms_impute_result_prepare (GmsImputeResult *self,
                                             GError         **error);

G_END_DECLS
