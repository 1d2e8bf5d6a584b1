/* gms-session.c — saving the work in one h5ad and opening it where the user left it
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "gm-io.h"
#include "gms-impute-result-private.h"
#include "gms-session.h"

#define PREFIX "genomap_session_"

struct _GmsSession
{
  GHashTable      *view;
  GmsImputeResult *result;      /* no owner until taken */
};

static const char * const eval_mode_names[] = { "holdout", "simulated", "reference" };

/* var columns that belong to the session's evaluation, not to the dataset */
static const char * const eval_columns[] = {
  "genomap_r_before", "genomap_r_after", "genomap_mse_before", "genomap_mse_after",
  "genomap_holdout_n_hidden", "genomap_holdout_r",
};

static gboolean
is_eval_column (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (eval_columns); i++)
    if (g_strcmp0 (name, eval_columns[i]) == 0)
      return TRUE;
  return FALSE;
}

/* uns entries that describe the session or its imputation rather than the dataset */
static gboolean
is_session_key (const char *key,
                gboolean    with_impute)
{
  return g_str_has_prefix (key, PREFIX) || g_str_has_prefix (key, "genomap_eval_") ||
         g_str_has_prefix (key, "genomap_holdout_") ||
         (with_impute && g_str_has_prefix (key, "genomap_impute_"));
}

/* ------------------------------------------------------------ writing */

static void
set_text (GHashTable *uns,
          const char *key,
          const char *value)
{
  g_hash_table_insert (uns, g_strdup (key), g_strdup (value != NULL ? value : ""));
}

static void
set_double (GHashTable *uns,
            const char *key,
            double      v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_hash_table_insert (uns, g_strdup (key),
                       g_strdup (isnan (v) ? "nan" : g_ascii_formatd (buf, sizeof buf, "%.17g", v)));
}

static void
set_int (GHashTable *uns,
         const char *key,
         int64_t     v)
{
  g_hash_table_insert (uns, g_strdup (key), g_strdup_printf ("%" G_GINT64_FORMAT, v));
}

static void
set_summary (GHashTable          *uns,
             const char          *prefix,
             const GmEvalSummary *s)
{
  g_autofree char *k = NULL;

#define SUMMARY_FIELD(field, setter)                           \
  g_free (k);                                                  \
  k = g_strconcat (prefix, #field, NULL);                      \
  setter (uns, k, s->field);
  SUMMARY_FIELD (n_defined, set_int);
  SUMMARY_FIELD (n_undefined, set_int);
  SUMMARY_FIELD (mean, set_double);
  SUMMARY_FIELD (sd, set_double);
  SUMMARY_FIELD (q1, set_double);
  SUMMARY_FIELD (median, set_double);
  SUMMARY_FIELD (q3, set_double);
  SUMMARY_FIELD (mean_mse, set_double);
#undef SUMMARY_FIELD
}

/* A float64 column in the dataset's gene order from per-gene values of @names (NaN where a
 * gene has none). */
static GmColumn *
gene_column (const GmDataset *ds,
             GHashTable      *index,
             const char      *name,
             char           **names,
             const double    *values,
             const int64_t   *ints)
{
  GmColumn *c = gm_column_new (name, GM_COLUMN_NUMERIC, gm_dataset_n_genes (ds));

  c->is_integer = ints != NULL;
  for (int64_t j = 0; j < c->length; j++)
    c->values[j] = NAN;
  for (int64_t i = 0; names[i] != NULL; i++)
    {
      gpointer v = g_hash_table_lookup (index, names[i]);
      if (v != NULL)
        c->values[GPOINTER_TO_SIZE (v) - 1] = ints != NULL ? (double) ints[i] : values[i];
    }
  return c;
}

static void
add_evaluation (GmDataset       *out,
                GPtrArray       *owned,
                GmsImputeResult *result)
{
  const GmEvalResult *e = gms_impute_result_get_evaluation (result);
  const GmHoldoutResult *h = gms_impute_result_get_holdout (result);
  g_autoptr(GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  GmColumn *cols[6] = { NULL };
  guint n = 0;

  for (int64_t j = 0; j < gm_dataset_n_genes (out); j++)
    g_hash_table_insert (index, out->gene_names[j], GSIZE_TO_POINTER ((gsize) j + 1));
  if (e->has_before)
    {
      cols[n++] = gene_column (out, index, "genomap_r_before", e->gene_names, e->r_before, NULL);
      cols[n++] = gene_column (out, index, "genomap_mse_before", e->gene_names, e->mse_before, NULL);
    }
  cols[n++] = gene_column (out, index, "genomap_r_after", e->gene_names, e->r_after, NULL);
  cols[n++] = gene_column (out, index, "genomap_mse_after", e->gene_names, e->mse_after, NULL);
  if (h != NULL)
    {
      cols[n++] = gene_column (out, index, "genomap_holdout_n_hidden", h->gene_names, NULL, h->hidden_per_gene);
      cols[n++] = gene_column (out, index, "genomap_holdout_r", h->gene_names, h->r, NULL);
    }
  for (guint i = 0; i < n; i++)
    {
      g_ptr_array_add (out->var, cols[i]);
      g_ptr_array_add (owned, cols[i]);
    }

  set_int (out->uns, "genomap_eval_n_cells", e->n_cells);
  set_int (out->uns, "genomap_eval_n_genes", e->n_genes);
  set_text (out->uns, "genomap_eval_has_before", e->has_before ? "yes" : "no");
  set_int (out->uns, "genomap_eval_n_compared", e->n_compared);
  set_int (out->uns, "genomap_eval_n_improved", e->n_improved);
  set_text (out->uns, "genomap_eval_scale", "log1p counts per 10 000");
  set_summary (out->uns, "genomap_eval_before_", &e->before);
  set_summary (out->uns, "genomap_eval_after_", &e->after);
  if (h != NULL)
    {
      set_int (out->uns, "genomap_holdout_n_cells", h->n_cells);
      set_int (out->uns, "genomap_holdout_n_genes", h->n_genes);
      set_int (out->uns, "genomap_holdout_n_hidden", h->n_hidden);
      set_double (out->uns, "genomap_holdout_overall_r", h->overall_r);
      set_double (out->uns, "genomap_holdout_overall_mse", h->overall_mse);
      set_int (out->uns, "genomap_holdout_n_scored", h->n_scored);
      set_summary (out->uns, "genomap_holdout_summary_", &h->summary);
    }
}

gboolean
gms_session_write (const GmDataset  *counts,
                   const GmLayout   *layout,
                   GmsImputeResult  *result,
                   GHashTable       *view,
                   const char       *path,
                   const gint       *cancel,
                   GError          **error)
{
  const GmDataset *imputed = result != NULL ? gms_impute_result_get_imputed_dataset (result) : NULL;
  g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func ((GDestroyNotify) gm_column_free);
  GmWriteOptions wopts;
  GmDataset out;
  GHashTableIter iter;
  gpointer k, v;
  gboolean ok;

  g_return_val_if_fail (counts != NULL && layout != NULL && path != NULL, FALSE);

  /* a shallow copy: names, obs and matrices are borrowed; var and uns are our own lists */
  out = *counts;
  out.var = g_ptr_array_new ();
  out.uns = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < counts->var->len; i++)
    {
      GmColumn *c = g_ptr_array_index (counts->var, i);
      if (!is_eval_column (c->name) && g_strcmp0 (c->name, "genomap_imputed") != 0)
        g_ptr_array_add (out.var, c);
    }
  g_hash_table_iter_init (&iter, counts->uns);
  while (g_hash_table_iter_next (&iter, &k, &v))
    if (!is_session_key (k, TRUE))
      set_text (out.uns, k, v);

  gm_layout_attach (layout, &out);
  /* gm_layout_attach replaced genomap_row / genomap_col with two new columns, at the end */
  g_ptr_array_add (owned, g_ptr_array_index (out.var, out.var->len - 2));
  g_ptr_array_add (owned, g_ptr_array_index (out.var, out.var->len - 1));

  set_text (out.uns, PREFIX "version", GMS_SESSION_VERSION);
  set_text (out.uns, PREFIX "x", imputed != NULL ? "imputed" : "counts");
  set_text (out.uns, PREFIX "program", PACKAGE_VERSION);
  if (counts->path != NULL)
    {
      g_autofree char *base = g_path_get_basename (counts->path);
      if (!g_hash_table_contains (counts->uns, PREFIX "source"))
        set_text (out.uns, PREFIX "source", base);
      else
        set_text (out.uns, PREFIX "source", g_hash_table_lookup (counts->uns, PREFIX "source"));
    }
  if (result != NULL)
    {
      for (guint i = 0; i < imputed->var->len; i++)
        {
          GmColumn *c = g_ptr_array_index (imputed->var, i);
          if (g_strcmp0 (c->name, "genomap_imputed") == 0 && c->length == gm_dataset_n_genes (&out))
            g_ptr_array_add (out.var, c);
        }
      g_hash_table_iter_init (&iter, imputed->uns);
      while (g_hash_table_iter_next (&iter, &k, &v))
        if (g_str_has_prefix (k, "genomap_impute_"))
          set_text (out.uns, k, v);
      set_text (out.uns, PREFIX "result_method", gms_impute_method_to_string (gms_impute_result_get_method (result)));
      set_text (out.uns, PREFIX "result_eval_mode", eval_mode_names[gms_impute_result_get_eval_mode (result)]);
      set_text (out.uns, PREFIX "result_summary", gms_impute_result_get_summary (result));
      add_evaluation (&out, owned, result);
      out.X = imputed->X;
    }
  if (view != NULL)
    {
      g_hash_table_iter_init (&iter, view);
      while (g_hash_table_iter_next (&iter, &k, &v))
        {
          g_autofree char *key = g_strconcat (PREFIX, k, NULL);
          set_text (out.uns, key, v);
        }
    }

  gm_write_options_init (&wopts);
  wopts.cancel = cancel;
  if (imputed != NULL)
    {
      wopts.dense = TRUE;                   /* imputed values are dense, as the CLI writes them */
      wopts.counts_layer = &counts->X;
    }
  ok = gm_write_h5ad (&out, path, &wopts, error);
  g_ptr_array_unref (out.var);
  g_hash_table_unref (out.uns);
  return ok;
}

/* ------------------------------------------------------------ opening */

gboolean
gms_session_is_session (const GmDataset *ds)
{
  return ds != NULL && ds->uns != NULL && g_hash_table_contains (ds->uns, PREFIX "version");
}

gboolean
gms_session_has_imputed (const GmDataset *ds)
{
  return gms_session_is_session (ds) && g_strcmp0 (g_hash_table_lookup (ds->uns, PREFIX "x"), "imputed") == 0;
}

static GmColumn *
find_var (const GmDataset *ds,
          const char      *name)
{
  for (guint i = 0; i < ds->var->len; i++)
    {
      GmColumn *c = g_ptr_array_index (ds->var, i);
      if (c->kind == GM_COLUMN_NUMERIC && g_strcmp0 (c->name, name) == 0)
        return c;
    }
  return NULL;
}

static double
get_double (const GmDataset *ds,
            const char      *key)
{
  const char *s = g_hash_table_lookup (ds->uns, key);

  return s != NULL ? g_ascii_strtod (s, NULL) : NAN;
}

static int64_t
get_int (const GmDataset *ds,
         const char      *key)
{
  const char *s = g_hash_table_lookup (ds->uns, key);

  return s != NULL ? g_ascii_strtoll (s, NULL, 10) : 0;
}

static void
get_summary (const GmDataset *ds,
             const char      *prefix,
             GmEvalSummary   *s)
{
  g_autofree char *k = NULL;

#define SUMMARY_FIELD(field, getter)                           \
  g_free (k);                                                  \
  k = g_strconcat (prefix, #field, NULL);                      \
  s->field = getter (ds, k);
  SUMMARY_FIELD (n_defined, get_int);
  SUMMARY_FIELD (n_undefined, get_int);
  SUMMARY_FIELD (mean, get_double);
  SUMMARY_FIELD (sd, get_double);
  SUMMARY_FIELD (q1, get_double);
  SUMMARY_FIELD (median, get_double);
  SUMMARY_FIELD (q3, get_double);
  SUMMARY_FIELD (mean_mse, get_double);
#undef SUMMARY_FIELD
}

static double *
dup_values (const GmColumn *c)
{
  return c != NULL ? g_memdup2 (c->values, sizeof (double) * (gsize) MAX (c->length, 1)) : NULL;
}

static char **
dup_names (const GmDataset *ds)
{
  char **names = g_new0 (char *, gm_dataset_n_genes (ds) + 1);

  for (int64_t j = 0; j < gm_dataset_n_genes (ds); j++)
    names[j] = g_strdup (ds->gene_names[j]);
  return names;
}

static GmEvalResult *
restore_evaluation (const GmDataset  *ds,
                    GError          **error)
{
  const char *file = ds->path != NULL ? ds->path : "session";
  GmColumn *r_after = find_var (ds, "genomap_r_after"), *mse_after = find_var (ds, "genomap_mse_after");
  GmColumn *r_before = find_var (ds, "genomap_r_before"), *mse_before = find_var (ds, "genomap_mse_before");
  g_autoptr(GmEvalResult) e = g_new0 (GmEvalResult, 1);

  if (r_after == NULL || mse_after == NULL)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                   _("%s: the saved imputation has no evaluation (var genomap_r_after is missing)"), file);
      return NULL;
    }
  e->n_genes = gm_dataset_n_genes (ds);
  e->n_cells = get_int (ds, "genomap_eval_n_cells");
  e->gene_names = dup_names (ds);
  e->has_before = r_before != NULL && mse_before != NULL &&
                  g_strcmp0 (g_hash_table_lookup (ds->uns, "genomap_eval_has_before"), "yes") == 0;
  if (e->has_before)
    {
      e->r_before = dup_values (r_before);
      e->mse_before = dup_values (mse_before);
    }
  e->r_after = dup_values (r_after);
  e->mse_after = dup_values (mse_after);
  get_summary (ds, "genomap_eval_before_", &e->before);
  get_summary (ds, "genomap_eval_after_", &e->after);
  e->n_compared = get_int (ds, "genomap_eval_n_compared");
  e->n_improved = get_int (ds, "genomap_eval_n_improved");
  return g_steal_pointer (&e);
}

static GmHoldoutResult *
restore_holdout (const GmDataset *ds)
{
  GmColumn *n_hidden = find_var (ds, "genomap_holdout_n_hidden"), *r = find_var (ds, "genomap_holdout_r");
  GmHoldoutResult *h;

  if (n_hidden == NULL || r == NULL)
    return NULL;
  h = g_new0 (GmHoldoutResult, 1);
  h->n_genes = gm_dataset_n_genes (ds);
  h->n_cells = get_int (ds, "genomap_holdout_n_cells");
  h->gene_names = dup_names (ds);
  h->n_hidden = get_int (ds, "genomap_holdout_n_hidden");
  h->overall_r = get_double (ds, "genomap_holdout_overall_r");
  h->overall_mse = get_double (ds, "genomap_holdout_overall_mse");
  h->hidden_per_gene = g_new0 (int64_t, MAX (h->n_genes, 1));
  for (int64_t j = 0; j < h->n_genes; j++)
    h->hidden_per_gene[j] = isnan (n_hidden->values[j]) ? 0 : (int64_t) n_hidden->values[j];
  h->r = dup_values (r);
  h->n_scored = get_int (ds, "genomap_holdout_n_scored");
  get_summary (ds, "genomap_holdout_summary_", &h->summary);
  return h;
}

/* Removes the session's var columns and uns entries from @ds. */
static void
strip (GmDataset *ds,
       gboolean   with_impute)
{
  GHashTableIter iter;
  gpointer k;

  for (guint i = ds->var->len; i > 0; i--)
    {
      GmColumn *c = g_ptr_array_index (ds->var, i - 1);
      if (is_eval_column (c->name) || (with_impute && g_strcmp0 (c->name, "genomap_imputed") == 0))
        g_ptr_array_remove_index (ds->var, i - 1);
    }
  g_hash_table_iter_init (&iter, ds->uns);
  while (g_hash_table_iter_next (&iter, &k, NULL))
    if (is_session_key (k, with_impute))
      g_hash_table_iter_remove (&iter);
}

GmsSession *
gms_session_restore (GmDataset       *ds,
                     GmDataset       *imputed,
                     const GmLayout  *layout,
                     GError         **error)
{
  g_autoptr(GmDataset) imp = imputed;
  g_autoptr(GmsSession) session = g_new0 (GmsSession, 1);
  GHashTableIter iter;
  gpointer k, v;

  g_return_val_if_fail (gms_session_is_session (ds), NULL);

  session->view = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_iter_init (&iter, ds->uns);
  while (g_hash_table_iter_next (&iter, &k, &v))
    if (g_str_has_prefix (k, PREFIX))
      g_hash_table_insert (session->view, g_strdup ((const char *) k + strlen (PREFIX)), g_strdup (v));

  if (imp != NULL)
    {
      GmsImputeMethod method = GMS_IMPUTE_METHOD_ERNET;
      GmsEvalMode mode = GMS_EVAL_HOLDOUT;
      const char *mode_name = g_hash_table_lookup (ds->uns, PREFIX "result_eval_mode");
      g_autoptr(GmEvalResult) eval = NULL;
      g_autoptr(GmHoldoutResult) holdout = NULL;

      if (gm_dataset_n_cells (imp) != gm_dataset_n_cells (ds) || gm_dataset_n_genes (imp) != gm_dataset_n_genes (ds))
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, _("%s: X and layers/counts differ in shape"),
                       ds->path != NULL ? ds->path : "session");
          return NULL;
        }
      gms_impute_method_from_string (g_hash_table_lookup (ds->uns, PREFIX "result_method"), &method);
      for (guint i = 0; i < G_N_ELEMENTS (eval_mode_names); i++)
        if (g_strcmp0 (mode_name, eval_mode_names[i]) == 0)
          mode = (GmsEvalMode) i;
      eval = restore_evaluation (ds, error);
      if (eval == NULL)
        return NULL;
      if (mode == GMS_EVAL_HOLDOUT)
        holdout = restore_holdout (ds);
      strip (imp, FALSE);
      session->result = gms_impute_result_new_restored (ds, layout, g_steal_pointer (&imp), g_steal_pointer (&eval),
                                                        g_steal_pointer (&holdout), method, mode,
                                                        g_hash_table_lookup (ds->uns, PREFIX "result_summary"),
                                                        error);
      if (session->result == NULL)
        return NULL;
    }
  strip (ds, TRUE);
  return g_steal_pointer (&session);
}

void
gms_session_free (GmsSession *session)
{
  if (session == NULL)
    return;
  g_clear_pointer (&session->view, g_hash_table_unref);
  g_clear_object (&session->result);
  g_free (session);
}

GHashTable *
gms_session_get_view (GmsSession *session)
{
  g_return_val_if_fail (session != NULL, NULL);
  return session->view;
}

GmsImputeResult *
gms_session_take_result (GmsSession *session,
                         GObject    *owner)
{
  g_return_val_if_fail (session != NULL, NULL);
  if (session->result == NULL)
    return NULL;
  _gms_impute_result_set_owner (session->result, owner);
  return g_steal_pointer (&session->result);
}
