/* gms-impute-job.c — imputation and evaluation in a worker thread
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
#include "gm-nn-device.h"
#include "gm-simulate.h"
#include "gms-impute-job.h"
#include "gms-impute-result-private.h"

void
gms_impute_params_init (GmsImputeParams *params)
{
  memset (params, 0, sizeof *params);
  params->method = GMS_IMPUTE_METHOD_ERNET;
  params->preset = GM_ERNET_COMPACT;
  params->recipe = GM_ERNET_RECIPE_NEIGHBOURS;
  params->steps = gm_ernet_recipe_steps (GM_ERNET_COMPACT);
  params->eval_mode = GMS_EVAL_HOLDOUT;
  params->holdout_fraction = 0.1;
  params->sim_efficiency = 10.0;
}

void
gms_impute_params_copy (const GmsImputeParams *src,
                        GmsImputeParams       *dst)
{
  *dst = *src;
  dst->reference_path = g_strdup (src->reference_path);
  dst->device = g_strdup (src->device);
}

void
gms_impute_params_clear (GmsImputeParams *params)
{
  g_clear_pointer (&params->reference_path, g_free);
  g_clear_pointer (&params->device, g_free);
}

GmLayout *
gms_impute_layout_copy (const GmLayout *layout)
{
  GmLayout *copy = g_new0 (GmLayout, 1);

  *copy = *layout;
  copy->genes = g_new0 (char *, layout->n_genes + 1);
  for (int i = 0; i < layout->n_genes; i++)
    copy->genes[i] = g_strdup (layout->genes[i]);
  copy->pixel = g_memdup2 (layout->pixel, sizeof (int32_t) * MAX (layout->n_genes, 1));
  copy->selection = g_strdup (layout->selection);
  copy->version = g_strdup (layout->version);
  return copy;
}

/* ----------------------------------------------------------------- job */

typedef struct
{
  gatomicrefcount        ref;
  GMutex                 lock;

  /* set once on the main thread, read by the worker */
  GmsImputeParams        params;
  GObject               *owner;
  const GmDataset       *input;
  GmLayout              *layout;
  GMainContext          *context;
  gint                   cancel;      /* the core's cancel flag */
  GCancellable          *cancellable;
  gulong                 cancel_handler;

  /* progress, under lock */
  GmsImputeProgressFunc  progress;
  gpointer               progress_data;
  GArray                *losses;      /* not yet delivered */
  int                    first_step;
  int                    steps;
  char                  *stage;
  double                 fraction;
  double                 eta;
  GSource               *idle;
} Job;

static Job *
job_ref (Job *job)
{
  g_atomic_ref_count_inc (&job->ref);
  return job;
}

static void
job_unref (gpointer data)
{
  Job *job = data;

  if (!g_atomic_ref_count_dec (&job->ref))
    return;
  g_assert (job->idle == NULL);
  gms_impute_params_clear (&job->params);
  g_clear_object (&job->owner);
  g_clear_pointer (&job->layout, gm_layout_free);
  g_clear_pointer (&job->context, g_main_context_unref);
  g_clear_object (&job->cancellable);
  g_array_unref (job->losses);
  g_free (job->stage);
  g_mutex_clear (&job->lock);
  g_free (job);
}

static void
on_cancelled (GCancellable *cancellable,
              gpointer      data)
{
  Job *job = data;

  g_atomic_int_set (&job->cancel, 1);
}

/* Main thread: hands what accumulated to the progress function. */
static void
deliver (Job *job)
{
  g_autoptr(GArray) losses = NULL;
  g_autofree char *stage = NULL;
  GmsImputeProgressFunc progress;
  gpointer data;
  int first_step, steps;
  double fraction, eta;

  g_mutex_lock (&job->lock);
  losses = job->losses;
  job->losses = g_array_new (FALSE, FALSE, sizeof (double));
  first_step = job->first_step;
  steps = job->steps;
  stage = g_strdup (job->stage);
  fraction = job->fraction;
  eta = job->eta;
  progress = job->progress;
  data = job->progress_data;
  g_mutex_unlock (&job->lock);

  if (progress != NULL)
    progress ((const double *) (gpointer) losses->data, losses->len, first_step, steps, stage, fraction, eta, data);
}

static gboolean
deliver_in_idle (gpointer data)
{
  Job *job = data;

  g_mutex_lock (&job->lock);
  g_clear_pointer (&job->idle, g_source_unref);
  g_mutex_unlock (&job->lock);
  deliver (job);
  return G_SOURCE_REMOVE;
}

/* Worker thread, lock held: make sure one idle will deliver. */
static void
schedule_locked (Job *job)
{
  if (job->idle != NULL || job->progress == NULL)
    return;
  job->idle = g_idle_source_new ();
  g_source_set_priority (job->idle, G_PRIORITY_DEFAULT);
  g_source_set_callback (job->idle, deliver_in_idle, job_ref (job), job_unref);
  g_source_set_static_name (job->idle, "[gms-impute] progress");
  g_source_attach (job->idle, job->context);
}

static void
set_stage (Job        *job,
           const char *stage,
           double      fraction)
{
  g_mutex_lock (&job->lock);
  g_free (job->stage);
  job->stage = g_strdup (stage);
  job->fraction = fraction;
  job->eta = -1.0;
  schedule_locked (job);
  g_mutex_unlock (&job->lock);
}

static void
on_ernet_progress (int         step,
                   int         steps,
                   double      loss,
                   double      eta_seconds,
                   const char *text,
                   gpointer    user_data)
{
  Job *job = user_data;

  g_mutex_lock (&job->lock);
  if (job->losses->len == 0)
    job->first_step = step;
  g_array_append_val (job->losses, loss);
  job->steps = steps;
  job->eta = eta_seconds;
  /* training is the first 90 % of the bar; imputing and scoring the rest */
  job->fraction = 0.9 * step / MAX (steps, 1);
  schedule_locked (job);
  g_mutex_unlock (&job->lock);
}

static gboolean
check_cancel (Job     *job,
              GError **error)
{
  if (!g_atomic_int_get (&job->cancel))
    return TRUE;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Imputation cancelled"));
  return FALSE;
}

/* A core error, with GM_ERROR_CANCELLED turned into G_IO_ERROR_CANCELLED. */
static void
return_error (GTask  *task,
              GError *error)
{
  if (g_error_matches (error, GM_ERROR, GM_ERROR_CANCELLED))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s", _("Imputation cancelled"));
      g_error_free (error);
    }
  else
    g_task_return_error (task, error);
}

static void
set_uns (GmDataset  *ds,
         const char *key,
         char       *value)
{
  g_hash_table_insert (ds->uns, g_strdup (key), value);
}

/* uns genomap_impute_* as `genomap-cli impute` writes them */
static void
annotate (GmsImputeResult            *res,
          const Job                  *job,
          const GmErnetImputeOptions *eo,
          const GmBaselineParams     *bp)
{
  GmDataset *ds = res->imputed;
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (res->model != NULL)
    {
      gm_ernet_annotate (ds, res->model, eo, NULL);
      if (job->params.eval_mode == GMS_EVAL_HOLDOUT)
        set_uns (ds, "genomap_impute_trained_on",
                 g_strdup_printf ("the input with %s of its non-zeros hidden (hold-out evaluation)",
                                  g_ascii_formatd (buf, sizeof buf, "%.4g", job->params.holdout_fraction)));
      else if (job->params.eval_mode == GMS_EVAL_SIMULATED)
        set_uns (ds, "genomap_impute_trained_on",
                 g_strdup_printf ("simulated observations of the input (mean efficiency %s %%, seed %" G_GUINT64_FORMAT
                                  ")", g_ascii_formatd (buf, sizeof buf, "%.4g", job->params.sim_efficiency),
                                  job->params.seed));
    }
  else
    gm_baseline_annotate (ds, bp);
  if (job->input->path != NULL)
    set_uns (ds, "genomap_source_file", g_path_get_basename (job->input->path));
}

static char *
make_summary (const Job             *job,
              const GmsImputeResult *res,
              double                 seconds)
{
  switch (job->params.method)
    {
    case GMS_IMPUTE_METHOD_ERNET:
      /* backend names: "cpu", "cuda:0 (…)" */
      return g_strdup_printf (ngettext ("ER-Net (%s), %d step on %s, %.1f s", "ER-Net (%s), %d steps on %s, %.1f s",
                                        job->params.steps),
                              gm_ernet_preset_name (job->params.preset), job->params.steps, res->backend->name, seconds);
    case GMS_IMPUTE_METHOD_KNN:
      return g_strdup_printf (_("kNN smoothing, %.1f s"), seconds);
    case GMS_IMPUTE_METHOD_MAGIC:
    default:
      return g_strdup_printf (_("MAGIC, %.1f s"), seconds);
    }
}

static GmsImputeResult *
impute_and_score (Job     *job,
                  GError **error)
{
  const GmsImputeParams *p = &job->params;
  g_autoptr(GmsImputeResult) res = _gms_impute_result_new (job->owner, job->input);
  const GmDataset *train = job->input;
  g_autofree float *values = NULL, *masked_values = NULL;
  g_autofree gboolean *imputed_flags = NULL;
  GmErnetImputeOptions eo;
  GmBaselineParams bp;
  gint64 t0 = g_get_monotonic_time ();

  res->method = p->method;
  res->eval_mode = p->eval_mode;
  res->layout = g_steal_pointer (&job->layout);

  /* what the model learns from, and what it is scored against */
  if (p->eval_mode == GMS_EVAL_HOLDOUT)
    {
      int64_t n_hidden = 0;

      set_stage (job, _("Hiding observed values for the evaluation"), -1.0);
      res->masked_owned = gm_simulate_holdout (job->input, p->holdout_fraction, p->seed, &n_hidden, error);
      if (res->masked_owned == NULL)
        return NULL;
      train = res->masked_owned;
    }
  else if (p->eval_mode == GMS_EVAL_SIMULATED)
    {
      /* SAVER-style: Gamma(10, 10 / E) efficiencies, Poisson counts (as `simulate --efficiency E`) */
      set_stage (job, _("Simulating observations for the evaluation"), -1.0);
      res->masked_owned = gm_simulate_efficiency (job->input, 10.0, 10.0 / (p->sim_efficiency / 100.0), p->seed,
                                                  error);
      if (res->masked_owned == NULL)
        return NULL;
      train = res->masked_owned;
    }
  else
    {
      GmReadOptions ropts;

      set_stage (job, _("Reading the reference"), -1.0);
      gm_read_options_init (&ropts);
      ropts.cancel = &job->cancel;
      res->reference_owned = gm_read (p->reference_path, &ropts, error);
      if (res->reference_owned == NULL)
        return NULL;
    }
  if (!check_cancel (job, error))
    return NULL;

  gm_ernet_impute_options_init (&eo);
  gm_baseline_params_init (&bp, p->method == GMS_IMPUTE_METHOD_MAGIC ? GM_BASELINE_MAGIC : GM_BASELINE_KNN);
  if (p->method == GMS_IMPUTE_METHOD_ERNET)
    {
      g_autofree char *notice = NULL;

      /* the backend first, as the CLI: "cuda" fails here when it cannot be
       * had, "auto" falls back to the CPU and says why */
      res->backend = gm_nn_backend_open (p->device != NULL ? p->device : "auto", &notice, error);
      if (res->backend == NULL)
        return NULL;
      res->device_notice = g_steal_pointer (&notice);
      eo.backend = res->backend;
      gm_ernet_impute_options_set_recipe (&eo, p->recipe);
      eo.preset = p->preset;
      eo.steps = p->steps;
      if (p->batch > 0)
        eo.batch = p->batch;
      if (p->lr > 0)
        eo.lr = p->lr;
      eo.seed = p->seed;
      eo.cancel = &job->cancel;
      eo.progress = on_ernet_progress;
      eo.progress_data = job;

      set_stage (job, _("Training ER-Net"), 0.0);
      res->model = gm_ernet_model_train (train, res->layout, &eo, error);
      if (res->model == NULL)
        return NULL;
      set_stage (job, _("Imputing"), 0.9);
      if (train != job->input)
        {
          masked_values = gm_ernet_model_apply (res->model, train, &eo, NULL, error);
          if (masked_values == NULL)
            return NULL;
        }
      values = gm_ernet_model_apply (res->model, job->input, &eo, &imputed_flags, error);
      if (values == NULL)
        return NULL;
    }
  else
    {
      bp.seed = p->seed;
      bp.cancel = &job->cancel;
      set_stage (job, p->method == GMS_IMPUTE_METHOD_MAGIC ? _("Imputing with MAGIC") : _("Imputing with kNN smoothing"),
                 -1.0);
      if (train != job->input)
        {
          masked_values = gm_impute_baseline (&train->X, &bp, error);
          if (masked_values == NULL)
            return NULL;
          if (!check_cancel (job, error))
            return NULL;
        }
      values = gm_impute_baseline (&job->input->X, &bp, error);
      if (values == NULL)
        return NULL;
    }
  if (!check_cancel (job, error))
    return NULL;

  set_stage (job, _("Scoring the imputation"), 0.97);
  res->imputed = gm_dataset_new_with_dense_x (job->input, values, error);
  if (res->imputed == NULL)
    return NULL;
  g_clear_pointer (&values, g_free);
  if (imputed_flags != NULL)
    gm_ernet_mark_imputed (res->imputed, imputed_flags);
  gm_layout_attach (res->layout, res->imputed);
  annotate (res, job, &eo, &bp);

  if (p->eval_mode != GMS_EVAL_REFERENCE)
    {
      res->masked_imputed_owned = gm_dataset_new_with_dense_x (train, masked_values, error);
      if (res->masked_imputed_owned == NULL)
        return NULL;
      g_clear_pointer (&masked_values, g_free);
      res->eval_reference = job->input;
      res->eval_observed = res->masked_owned;
      res->eval_imputed = res->masked_imputed_owned;
    }
  if (p->eval_mode == GMS_EVAL_HOLDOUT)
    {
      res->holdout = gm_evaluate_holdout (job->input, res->masked_owned, res->masked_imputed_owned,
                                          GM_SCALE_LOGNORM, error);
      if (res->holdout == NULL)
        return NULL;
    }
  else if (p->eval_mode == GMS_EVAL_REFERENCE)
    {
      res->eval_reference = res->reference_owned;
      res->eval_observed = job->input;
      res->eval_imputed = res->imputed;
    }
  res->eval = gm_evaluate (res->eval_reference, res->eval_imputed, res->eval_observed, GM_SCALE_LOGNORM, error);
  if (res->eval == NULL)
    return NULL;
  if (!_gms_impute_result_prepare (res, error))
    return NULL;
  res->summary = make_summary (job, res, (g_get_monotonic_time () - t0) / 1e6);
  set_stage (job, _("Done"), 1.0);
  return g_steal_pointer (&res);
}

static void
run_worker (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  GError *error = NULL;
  GmsImputeResult *res = impute_and_score (task_data, &error);

  if (res != NULL)
    g_task_return_pointer (task, res, g_object_unref);
  else
    return_error (task, error);
}

void
gms_impute_run_async (gpointer               source_object,
                      const GmsImputeParams *params,
                      GObject               *owner,
                      const GmDataset       *input,
                      const GmLayout        *layout,
                      GmsImputeProgressFunc  progress,
                      gpointer               progress_data,
                      GCancellable          *cancellable,
                      GAsyncReadyCallback    callback,
                      gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (params != NULL && input != NULL && layout != NULL);

  task = g_task_new (source_object, cancellable, callback, user_data);
  g_task_set_source_tag (task, gms_impute_run_async);
  g_task_set_name (task, "[gms-impute] run");

  if (params->eval_mode == GMS_EVAL_REFERENCE && params->reference_path == NULL)
    {
      g_task_return_new_error (task, GM_ERROR, GM_ERROR_USAGE, "%s", _("Choose a reference file first"));
      return;
    }
  if (params->eval_mode == GMS_EVAL_HOLDOUT && !(params->holdout_fraction > 0 && params->holdout_fraction < 1))
    {
      g_task_return_new_error (task, GM_ERROR, GM_ERROR_USAGE, "%s",
                               _("The hold-out fraction must lie between 0 and 1"));
      return;
    }
  if (params->eval_mode == GMS_EVAL_SIMULATED && !(params->sim_efficiency > 0 && params->sim_efficiency <= 100))
    {
      g_task_return_new_error (task, GM_ERROR, GM_ERROR_USAGE, "%s",
                               _("The simulated efficiency must lie above 0 and at most 100 %"));
      return;
    }
  if (params->method == GMS_IMPUTE_METHOD_ERNET && params->steps < 1)
    {
      g_task_return_new_error (task, GM_ERROR, GM_ERROR_USAGE, "%s", _("Training needs at least one step"));
      return;
    }

  job = g_new0 (Job, 1);
  g_atomic_ref_count_init (&job->ref);
  g_mutex_init (&job->lock);
  gms_impute_params_copy (params, &job->params);
  job->owner = owner != NULL ? g_object_ref (owner) : NULL;
  job->input = input;
  job->layout = gms_impute_layout_copy (layout);
  job->context = g_main_context_ref_thread_default ();
  job->progress = progress;
  job->progress_data = progress_data;
  job->losses = g_array_new (FALSE, FALSE, sizeof (double));
  job->fraction = -1.0;
  job->eta = -1.0;
  job->steps = params->steps;
  if (cancellable != NULL)
    {
      job->cancellable = g_object_ref (cancellable);
      job->cancel_handler = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), job, NULL);
    }
  g_task_set_task_data (task, job, job_unref);
  g_task_run_in_thread (task, run_worker);
}

GmsImputeResult *
gms_impute_run_finish (GAsyncResult *result,
                       GError      **error)
{
  Job *job;

  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == gms_impute_run_async, NULL);

  job = g_task_get_task_data (G_TASK (result));
  if (job != NULL)
    {
      /* the worker is done: deliver what is left now, and nothing after */
      g_mutex_lock (&job->lock);
      if (job->idle != NULL)
        {
          g_source_destroy (job->idle);
          g_clear_pointer (&job->idle, g_source_unref);
        }
      g_mutex_unlock (&job->lock);
      deliver (job);
      g_mutex_lock (&job->lock);
      job->progress = NULL;
      g_mutex_unlock (&job->lock);
      if (job->cancellable != NULL && job->cancel_handler != 0)
        {
          g_cancellable_disconnect (job->cancellable, job->cancel_handler);
          job->cancel_handler = 0;
        }
    }
  return g_task_propagate_pointer (G_TASK (result), error);
}
