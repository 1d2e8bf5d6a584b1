/* gms-impute-result.c — the outcome of one imputation run
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "gm-baselines.h"
#include "gm-io.h"
#include "gms-impute-job.h"
#include "gms-impute-result-private.h"

G_DEFINE_FINAL_TYPE (GmsImputeResult, gms_impute_result, G_TYPE_OBJECT)

static const char * const method_names[] = { "ernet", "knn", "magic" };

const char *
gms_impute_method_to_string (GmsImputeMethod method)
{
  g_return_val_if_fail ((guint) method < G_N_ELEMENTS (method_names), NULL);
  return method_names[method];
}

gboolean
gms_impute_method_from_string (const char      *s,
                               GmsImputeMethod *out)
{
  for (guint i = 0; s != NULL && i < G_N_ELEMENTS (method_names); i++)
    if (strcmp (s, method_names[i]) == 0)
      {
        *out = (GmsImputeMethod) i;
        return TRUE;
      }
  return FALSE;
}

static void
gms_impute_result_finalize (GObject *object)
{
  GmsImputeResult *self = GMS_IMPUTE_RESULT (object);

  g_clear_pointer (&self->mapper_input, gm_mapper_free);
  g_clear_pointer (&self->mapper_imputed, gm_mapper_free);
  g_clear_pointer (&self->genes_reference, g_hash_table_unref);
  g_clear_pointer (&self->genes_observed, g_hash_table_unref);
  g_clear_pointer (&self->genes_imputed, g_hash_table_unref);
  g_clear_pointer (&self->layout_pixels, g_hash_table_unref);
  g_clear_pointer (&self->cell_reference, g_free);
  g_clear_pointer (&self->cell_imputed, g_free);
  g_clear_pointer (&self->eval, gm_eval_result_free);
  g_clear_pointer (&self->holdout, gm_holdout_result_free);
  g_clear_pointer (&self->reference_owned, gm_dataset_free);
  g_clear_pointer (&self->masked_owned, gm_dataset_free);
  g_clear_pointer (&self->masked_imputed_owned, gm_dataset_free);
  g_clear_pointer (&self->model, gm_ernet_model_free);
  g_clear_pointer (&self->backend, gm_nn_backend_free);
  g_clear_pointer (&self->device_notice, g_free);
  g_clear_pointer (&self->imputed, gm_dataset_free);
  g_clear_pointer (&self->layout, gm_layout_free);
  g_clear_pointer (&self->summary, g_free);
  g_clear_object (&self->owner);

  G_OBJECT_CLASS (gms_impute_result_parent_class)->finalize (object);
}

static void
gms_impute_result_class_init (GmsImputeResultClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gms_impute_result_finalize;
}

static void
gms_impute_result_init (GmsImputeResult *self)
{
}

GmsImputeResult *
_gms_impute_result_new (GObject         *owner,
                        const GmDataset *input)
{
  GmsImputeResult *self = g_object_new (GMS_TYPE_IMPUTE_RESULT, NULL);

  self->owner = owner != NULL ? g_object_ref (owner) : NULL;
  self->input = input;
  return self;
}

void
_gms_impute_result_set_owner (GmsImputeResult *self,
                              GObject         *owner)
{
  g_return_if_fail (GMS_IS_IMPUTE_RESULT (self));
  if (owner != NULL)
    g_object_ref (owner);
  g_clear_object (&self->owner);
  self->owner = owner;
}

GmsImputeResult *
gms_impute_result_new_restored (const GmDataset  *input,
                                const GmLayout   *layout,
                                GmDataset        *imputed,
                                GmEvalResult     *eval,
                                GmHoldoutResult  *holdout,
                                GmsImputeMethod   method,
                                GmsEvalMode       eval_mode,
                                const char       *summary,
                                GError          **error)
{
  g_autoptr(GmsImputeResult) self = _gms_impute_result_new (NULL, input);

  self->imputed = imputed;
  self->eval = eval;
  self->holdout = holdout;
  g_return_val_if_fail (input != NULL && layout != NULL && imputed != NULL && eval != NULL, NULL);
  self->method = method;
  self->eval_mode = eval_mode;
  self->summary = g_strdup (summary != NULL ? summary : "");
  self->layout = gms_impute_layout_copy (layout);
  /* the masked or simulated observations and their imputation are not saved */
  self->eval_reference = input;
  self->eval_observed = input;
  self->eval_imputed = imputed;
  if (!_gms_impute_result_prepare (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

/* name → index (GINT_TO_POINTER (index + 1)); names are borrowed from @names */
static GHashTable *
name_index (char   **names,
            int64_t  n)
{
  GHashTable *h = g_hash_table_new (g_str_hash, g_str_equal);

  for (int64_t i = 0; i < n; i++)
    g_hash_table_insert (h, names[i], GSIZE_TO_POINTER ((gsize) i + 1));
  return h;
}

static int64_t
lookup (GHashTable *h,
        const char *name)
{
  return (int64_t) GPOINTER_TO_SIZE (g_hash_table_lookup (h, name)) - 1;
}

static int64_t *
cell_map (const GmDataset *from,
          const GmDataset *to,
          GError         **error)
{
  g_autoptr(GHashTable) h = NULL;
  g_autofree int64_t *map = g_new (int64_t, gm_dataset_n_cells (from));

  if (from == to)
    {
      for (int64_t i = 0; i < gm_dataset_n_cells (from); i++)
        map[i] = i;
      return g_steal_pointer (&map);
    }
  h = name_index (to->cell_names, gm_dataset_n_cells (to));
  for (int64_t i = 0; i < gm_dataset_n_cells (from); i++)
    if ((map[i] = lookup (h, from->cell_names[i])) < 0)
      {
        g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, _("Cell “%s” is missing from the reference"),
                     from->cell_names[i]);
        return NULL;
      }
  return g_steal_pointer (&map);
}

gboolean
_gms_impute_result_prepare (GmsImputeResult *self,
                            GError         **error)
{
  g_return_val_if_fail (self->input != NULL && self->imputed != NULL && self->layout != NULL, FALSE);
  g_return_val_if_fail (self->eval != NULL && self->eval_reference != NULL, FALSE);

  self->mapper_input = gm_mapper_new (self->layout, self->input, GM_TRANSFORM_LOG1P_CP10K, error);
  if (self->mapper_input == NULL)
    return FALSE;
  self->mapper_imputed = gm_mapper_new (self->layout, self->imputed, GM_TRANSFORM_LOG1P_CP10K, error);
  if (self->mapper_imputed == NULL)
    return FALSE;

  self->genes_reference = name_index (self->eval_reference->gene_names, gm_dataset_n_genes (self->eval_reference));
  self->genes_observed = name_index (self->eval_observed->gene_names, gm_dataset_n_genes (self->eval_observed));
  self->genes_imputed = name_index (self->eval_imputed->gene_names, gm_dataset_n_genes (self->eval_imputed));
  self->cell_reference = cell_map (self->eval_observed, self->eval_reference, error);
  if (self->cell_reference == NULL)
    return FALSE;
  self->cell_imputed = cell_map (self->eval_observed, self->eval_imputed, error);
  if (self->cell_imputed == NULL)
    return FALSE;

  self->layout_pixels = g_hash_table_new (g_str_hash, g_str_equal);
  for (int i = 0; i < self->layout->n_genes; i++)
    g_hash_table_insert (self->layout_pixels, self->layout->genes[i],
                         GINT_TO_POINTER (self->layout->pixel[i] + 1));
  return TRUE;
}

GmsImputeMethod
gms_impute_result_get_method (GmsImputeResult *self)
{
  g_return_val_if_fail (GMS_IS_IMPUTE_RESULT (self), GMS_IMPUTE_METHOD_ERNET);
  return self->method;
}

GmsEvalMode
gms_impute_result_get_eval_mode (GmsImputeResult *self)
{
  g_return_val_if_fail (GMS_IS_IMPUTE_RESULT (self), GMS_EVAL_HOLDOUT);
  return self->eval_mode;
}

const char *
gms_impute_result_get_summary (GmsImputeResult *self)
{
  g_return_val_if_fail (GMS_IS_IMPUTE_RESULT (self), NULL);
  return self->summary;
}

const char *
gms_impute_result_get_device_notice (GmsImputeResult *self)
{
  g_return_val_if_fail (GMS_IS_IMPUTE_RESULT (self), NULL);
  return self->device_notice;
}

const GmDataset *
gms_impute_result_get_input (GmsImputeResult *self)
{
  g_return_val_if_fail (GMS_IS_IMPUTE_RESULT (self), NULL);
  return self->input;
}

const GmDataset *
gms_impute_result_get_imputed_dataset (GmsImputeResult *self)
{
  g_return_val_if_fail (GMS_IS_IMPUTE_RESULT (self), NULL);
  return self->imputed;
}

const GmCsr *
gms_impute_result_get_counts_layer (GmsImputeResult *self)
{
  g_return_val_if_fail (GMS_IS_IMPUTE_RESULT (self), NULL);
  return &self->input->X;
}

GmErnetModel *
gms_impute_result_get_model (GmsImputeResult *self)
{
  g_return_val_if_fail (GMS_IS_IMPUTE_RESULT (self), NULL);
  return self->model;
}

const GmLayout *
gms_impute_result_get_layout (GmsImputeResult *self)
{
  g_return_val_if_fail (GMS_IS_IMPUTE_RESULT (self), NULL);
  return self->layout;
}

const GmEvalResult *
gms_impute_result_get_evaluation (GmsImputeResult *self)
{
  g_return_val_if_fail (GMS_IS_IMPUTE_RESULT (self), NULL);
  return self->eval;
}

const GmHoldoutResult *
gms_impute_result_get_holdout (GmsImputeResult *self)
{
  g_return_val_if_fail (GMS_IS_IMPUTE_RESULT (self), NULL);
  return self->holdout;
}

void
gms_impute_result_map_cell (GmsImputeResult *self,
                            int64_t          cell,
                            float           *observed,
                            float           *imputed)
{
  g_return_if_fail (GMS_IS_IMPUTE_RESULT (self));
  g_return_if_fail (cell >= 0 && cell < gm_dataset_n_cells (self->input));

  if (observed != NULL)
    gm_mapper_map_cells (self->mapper_input, &cell, 1, observed);
  if (imputed != NULL)
    gm_mapper_map_cells (self->mapper_imputed, &cell, 1, imputed);
}

gboolean
gms_impute_result_gene_pixel (GmsImputeResult *self,
                              int64_t          gene,
                              int             *row,
                              int             *col)
{
  int pixel;

  g_return_val_if_fail (GMS_IS_IMPUTE_RESULT (self), FALSE);
  if (gene < 0 || gene >= self->eval->n_genes)
    return FALSE;
  pixel = GPOINTER_TO_INT (g_hash_table_lookup (self->layout_pixels, self->eval->gene_names[gene])) - 1;
  if (pixel < 0)
    return FALSE;
  /* column-major pixels: p = row + col · rows */
  *row = pixel % self->layout->rows;
  *col = pixel / self->layout->rows;
  return TRUE;
}

static float *
gene_column (const GmDataset *ds,
             GHashTable      *genes,
             const char      *name)
{
  int64_t j = lookup (genes, name);
  int32_t col = (int32_t) j;

  if (j < 0)
    return NULL;
  return gm_lognorm_dense (&ds->X, &col, 1, NULL);
}

gboolean
gms_impute_result_gene_trace (GmsImputeResult *self,
                              int64_t          gene,
                              double         **reference,
                              double         **observed,
                              double         **imputed,
                              int64_t         *n_cells)
{
  const char *name;
  g_autofree float *ref = NULL, *obs = NULL, *imp = NULL;
  int64_t n;

  g_return_val_if_fail (GMS_IS_IMPUTE_RESULT (self), FALSE);
  if (gene < 0 || gene >= self->eval->n_genes)
    return FALSE;
  name = self->eval->gene_names[gene];
  ref = gene_column (self->eval_reference, self->genes_reference, name);
  obs = gene_column (self->eval_observed, self->genes_observed, name);
  imp = gene_column (self->eval_imputed, self->genes_imputed, name);
  if (ref == NULL || obs == NULL || imp == NULL)
    return FALSE;
  n = gm_dataset_n_cells (self->eval_observed);
  *reference = g_new (double, n);
  *observed = g_new (double, n);
  *imputed = g_new (double, n);
  for (int64_t i = 0; i < n; i++)
    {
      (*reference)[i] = ref[self->cell_reference[i]];
      (*observed)[i] = obs[i];
      (*imputed)[i] = imp[self->cell_imputed[i]];
    }
  *n_cells = n;
  return TRUE;
}

static void
csv_text (GString    *s,
          const char *text)
{
  if (strpbrk (text, ",\"\n\r") == NULL)
    {
      g_string_append (s, text);
      return;
    }
  g_string_append_c (s, '"');
  for (const char *p = text; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (s, '"');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
}

static void
csv_num (GString *s,
         double   v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_c (s, ',');
  if (isfinite (v))
    g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.8g", v));
}

char *
gms_impute_result_pearson_csv (GmsImputeResult *self)
{
  const GmEvalResult *e;
  g_autoptr(GHashTable) hidden = NULL;
  GString *s;

  g_return_val_if_fail (GMS_IS_IMPUTE_RESULT (self), NULL);
  e = self->eval;
  s = g_string_new ("gene,r_before,r_after,mse_before,mse_after");
  if (self->holdout != NULL)
    {
      g_string_append (s, ",n_hidden,r_hidden");
      hidden = name_index (self->holdout->gene_names, self->holdout->n_genes);
    }
  g_string_append_c (s, '\n');
  for (int64_t j = 0; j < e->n_genes; j++)
    {
      csv_text (s, e->gene_names[j]);
      csv_num (s, e->has_before ? e->r_before[j] : NAN);
      csv_num (s, e->r_after[j]);
      csv_num (s, e->has_before ? e->mse_before[j] : NAN);
      csv_num (s, e->mse_after[j]);
      if (hidden != NULL)
        {
          int64_t h = lookup (hidden, e->gene_names[j]);

          g_string_append_printf (s, ",%" G_GINT64_FORMAT, h >= 0 ? self->holdout->hidden_per_gene[h] : 0);
          csv_num (s, h >= 0 ? self->holdout->r[h] : NAN);
        }
      g_string_append_c (s, '\n');
    }
  return g_string_free (s, FALSE);
}

gboolean
gms_impute_result_write_pearson_csv (GmsImputeResult *self,
                                     const char      *path,
                                     GError         **error)
{
  g_autofree char *text = NULL;

  g_return_val_if_fail (GMS_IS_IMPUTE_RESULT (self), FALSE);
  text = gms_impute_result_pearson_csv (self);
  return gm_output_write_text (path, text, -1, error);
}

gboolean
gms_impute_result_write_h5ad (GmsImputeResult *self,
                              const char      *path,
                              const gint      *cancel,
                              GError         **error)
{
  GmWriteOptions wopts;

  g_return_val_if_fail (GMS_IS_IMPUTE_RESULT (self), FALSE);
  gm_write_options_init (&wopts);
  wopts.dense = TRUE;                       /* X as `genomap-cli impute` writes it */
  wopts.counts_layer = &self->input->X;
  wopts.cancel = cancel;
  return gm_write_h5ad (self->imputed, path, &wopts, error);
}
