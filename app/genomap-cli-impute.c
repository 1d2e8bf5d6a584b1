/* genomap-cli-impute.c — `genomap-cli simulate`, `evaluate` and `impute`
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "genomap-cli.h"
#include "gm-baselines.h"
#include "gm-evaluate.h"
#include "gm-impute.h"
#include "gm-layout.h"
#include "gm-nn-device.h"
#include "gm-simulate.h"

static gboolean
parse_double (const char *s,
              double     *out)
{
  char *end = NULL;

  errno = 0;
  *out = g_ascii_strtod (s, &end);
  return s[0] != '\0' && end != s && *end == '\0' && errno == 0 && isfinite (*out);
}

static void
set_uns (GmDataset  *ds,
         const char *key,
         char       *value)
{
  g_hash_table_insert (ds->uns, g_strdup (key), value);
}

static gboolean
is_h5ad (const char *path)
{
  return g_str_has_suffix (path, ".h5ad");
}

/* ------------------------------------------------------------- simulate */

static char *sim_output;
static double sim_efficiency = -1.0;
static char *sim_alpha;
static double sim_shape = 10.0;
static gint64 sim_seed;
static gboolean sim_splat;
static int sim_cells = 1000, sim_genes = 2000, sim_groups = 4;
static gboolean sim_dropout;
static double sim_holdout = -1.0;

int
cmd_simulate (int    argc,
              char **argv)
{
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &sim_output, "Write the simulated data here (.h5ad advised)", "OUT" },
    { "efficiency", 0, 0, G_OPTION_ARG_DOUBLE, &sim_efficiency,
      "Mean capture efficiency in PERCENT (0.5 = 0.5 %): Gamma(shape, shape / (E/100))", "E" },
    { "shape", 0, 0, G_OPTION_ARG_DOUBLE, &sim_shape, "Shape of the efficiency Gamma with --efficiency (default 10, as SAVER)", "A" },
    { "alpha", 0, 0, G_OPTION_ARG_STRING, &sim_alpha,
      "The efficiency Gamma's shape and rate, as TCER's 'a-b' (10,2000 = mean 0.5 %)", "SHAPE,RATE" },
    { "splat", 0, 0, G_OPTION_ARG_NONE, &sim_splat, "Make a Splatter-style reference instead (no input)", NULL },
    { "cells", 0, 0, G_OPTION_ARG_INT, &sim_cells, "--splat: cells (default 1000)", "N" },
    { "genes", 0, 0, G_OPTION_ARG_INT, &sim_genes, "--splat: genes (default 2000)", "G" },
    { "groups", 0, 0, G_OPTION_ARG_INT, &sim_groups, "--splat: cell groups (default 4)", "K" },
    { "dropout", 0, 0, G_OPTION_ARG_NONE, &sim_dropout, "--splat: add logistic dropout (midpoint 0, shape -1)", NULL },
    { "holdout", 0, 0, G_OPTION_ARG_DOUBLE, &sim_holdout,
      "Hide this fraction of the input's non-zeros (0 < F < 1); OUT must be .h5ad", "F" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &sim_seed, "Random seed (default 0)", "S" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx =
    new_context ("[IN] -o OUT",
                 "Simulate data to benchmark imputation.  Three modes:\n\n"
                 "  simulate REF -o OBS (--efficiency E [--shape A] | --alpha SHAPE,RATE) [--seed S]\n"
                 "      SAVER-style observations of a reference: each cell draws an efficiency\n"
                 "      tau ~ Gamma(shape, rate) and every count becomes Poisson(tau * count).\n"
                 "      --efficiency takes a PERCENTAGE as in the SAVER and TCER papers: 0.5 means\n"
                 "      0.5 %, i.e. shape 10 and rate 10 / 0.005 = 2000, the same as --alpha 10,2000.\n"
                 "      obs gets the column 'efficiency' (tau as a fraction).\n\n"
                 "  simulate --splat -o REF.h5ad [--cells N] [--genes G] [--groups K] [--dropout] [--seed S]\n"
                 "      A Splatter-style reference: integer counts and an obs categorical 'group'.\n"
                 "      Lognormal library sizes (mean log 11), gamma gene means, lognormal DE factors\n"
                 "      for 10 % of the genes per group, gene modules with group-dependent per-cell\n"
                 "      activity, negative binomial counts with Splatter's BCV mean-dispersion trend.\n\n"
                 "  simulate OBS --holdout F -o MASKED.h5ad [--seed S]\n"
                 "      Hides round(F * non-zeros) of the observed non-zeros, uniformly.  MASKED.h5ad\n"
                 "      has X = the masked counts, layers/counts = the UNMASKED counts (the hidden\n"
                 "      entries are those non-zero in layers/counts and zero in X), and uns\n"
                 "      genomap_holdout_*.  Impute MASKED.h5ad (its X), then score with\n"
                 "      'genomap-cli evaluate --holdout MASKED.h5ad --imputed IMPUTED.h5ad'.\n\n"
                 "The same seed gives the same output.  Generator: xoshiro256** seeded by splitmix64,\n"
                 "one stream per cell; Marsaglia-Tsang gamma; Poisson by multiplication (mean < 10)\n"
                 "or Hörmann's PTRS (mean >= 10), both exact.",
                 entries, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) in = NULL;
  g_autoptr(GmDataset) out = NULL;
  Progress progress = { isatty (STDERR_FILENO), 0 };
  GmWriteOptions wopts;
  int status = EXIT_OK, modes;
  double shape = sim_shape, rate = 0.0;

  if (!parse_or_usage (ctx, &argc, &argv, &status))
    return status;
  shape = sim_shape;
  modes = (sim_splat ? 1 : 0) + (sim_holdout >= 0.0 ? 1 : 0)
          + (sim_efficiency >= 0.0 || sim_alpha != NULL ? 1 : 0);
  if (modes != 1)
    return usage_error (ctx, "choose one of --efficiency/--alpha, --splat and --holdout");
  if (sim_output == NULL)
    return usage_error (ctx, "simulate needs -o OUT");
  if (gm_format_for_output (sim_output, &error) == GM_FORMAT_UNKNOWN)
    return fail (error);
  if (sim_splat ? argc != 1 : argc != 2)
    return usage_error (ctx, sim_splat ? "--splat takes no input file" : "simulate takes exactly one input");

  if (sim_splat)
    {
      GmSplatParams sp;

      if (sim_cells < 1 || sim_genes < 1 || sim_groups < 1 || sim_groups > sim_cells)
        return usage_error (ctx, "--cells and --genes must be positive, --groups from 1 to the number of cells");
      gm_splat_params_init (&sp);
      sp.n_cells = sim_cells;
      sp.n_genes = sim_genes;
      sp.n_groups = sim_groups;
      sp.seed = (guint64) sim_seed;
      sp.dropout = sim_dropout;
      out = gm_simulate_splat (&sp, &error);
      if (out == NULL)
        return fail (error);
      set_uns (out, "genomap_simulation", g_strdup ("splat"));
      set_uns (out, "genomap_simulation_params",
               g_strdup_printf ("cells=%d genes=%d groups=%d dropout=%s seed=%" G_GINT64_FORMAT,
                                sim_cells, sim_genes, sim_groups, sim_dropout ? "yes" : "no", sim_seed));
    }
  else if (sim_holdout >= 0.0)
    {
      int64_t hidden = 0;

      if (!(sim_holdout > 0.0 && sim_holdout < 1.0))
        return usage_error (ctx, "--holdout takes a fraction between 0 and 1 (exclusive)");
      if (!is_h5ad (sim_output))
        return usage_error (ctx, "--holdout writes an .h5ad (it needs layers/counts)");
      in = read_input (argv[1], &progress, &error);
      if (in == NULL)
        return fail (error);
      out = gm_simulate_holdout (in, sim_holdout, (guint64) sim_seed, &hidden, &error);
      if (out == NULL)
        return fail (error);
      set_uns (out, "genomap_holdout_fraction", g_strdup_printf ("%.17g", sim_holdout));
      set_uns (out, "genomap_holdout_seed", g_strdup_printf ("%" G_GINT64_FORMAT, sim_seed));
      set_uns (out, "genomap_holdout_hidden", g_strdup_printf ("%" G_GINT64_FORMAT, hidden));
      set_uns (out, "genomap_holdout",
               g_strdup ("X = masked counts; layers/counts = unmasked counts; hidden = non-zero in "
                         "layers/counts and zero in X"));
      g_printerr ("hid %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " non-zeros\n", hidden, gm_dataset_nnz (in));
    }
  else
    {
      if (sim_alpha != NULL && sim_efficiency >= 0.0)
        return usage_error (ctx, "--efficiency and --alpha exclude each other");
      if (sim_alpha != NULL)
        {
          g_auto(GStrv) parts = g_strsplit_set (sim_alpha, ",-", -1);
          if (g_strv_length (parts) != 2 || !parse_double (parts[0], &shape) || !parse_double (parts[1], &rate)
              || !(shape > 0.0) || !(rate > 0.0))
            return usage_error (ctx, "--alpha takes SHAPE,RATE, two positive numbers (e.g. 10,2000)");
        }
      else
        {
          if (!(sim_efficiency > 0.0 && sim_efficiency <= 100.0))
            return usage_error (ctx, "--efficiency takes a percentage above 0 and at most 100");
          if (!(shape > 0.0))
            return usage_error (ctx, "--shape must be positive");
          rate = shape / (sim_efficiency / 100.0);
        }
      in = read_input (argv[1], &progress, &error);
      if (in == NULL)
        return fail (error);
      out = gm_simulate_efficiency (in, shape, rate, (guint64) sim_seed, &error);
      if (out == NULL)
        return fail (error);
      set_uns (out, "genomap_simulation", g_strdup ("efficiency"));
      set_uns (out, "genomap_simulation_params",
               g_strdup_printf ("shape=%.17g rate=%.17g mean=%.6g%% seed=%" G_GINT64_FORMAT,
                                shape, rate, 100.0 * shape / rate, sim_seed));
    }
  if (in != NULL)
    set_uns (out, "genomap_source_file", g_path_get_basename (argv[1]));
  set_uns (out, "genomap_version", g_strdup (PACKAGE_VERSION));

  gm_write_options_init (&wopts);
  wopts.progress = on_progress;
  wopts.progress_data = &progress;
  wopts.cancel = &cancel_flag;
  if (sim_holdout >= 0.0)
    wopts.counts_layer = &in->X;
  if (!gm_write (out, sim_output, &wopts, &error))
    return fail (error);
  return EXIT_OK;
}

/* ------------------------------------------------------------- evaluate */

static char *ev_reference, *ev_imputed, *ev_observed, *ev_holdout, *ev_scale, *ev_per_gene;
static gboolean ev_json;

static void
json_str (GString    *s,
          const char *str)
{
  g_string_append_c (s, '"');
  for (const guchar *p = (const guchar *) str; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_printf (s, "\\%c", *p);
      else if (*p < 0x20)
        g_string_append_printf (s, "\\u%04x", *p);
      else
        g_string_append_c (s, (char) *p);
    }
  g_string_append_c (s, '"');
}

static void
json_num (GString *s,
          double   v)
{
  if (isnan (v) || isinf (v))
    g_string_append (s, "null");
  else
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.10g", v));
    }
}

static void
json_summary (GString             *s,
              const GmEvalSummary *m)
{
  g_string_append (s, "{\"median\": ");
  json_num (s, m->median);
  g_string_append (s, ", \"mean\": ");
  json_num (s, m->mean);
  g_string_append (s, ", \"sd\": ");
  json_num (s, m->sd);
  g_string_append (s, ", \"q1\": ");
  json_num (s, m->q1);
  g_string_append (s, ", \"q3\": ");
  json_num (s, m->q3);
  g_string_append (s, ", \"mean_mse\": ");
  json_num (s, m->mean_mse);
  g_string_append_printf (s, ", \"n_defined\": %" G_GINT64_FORMAT ", \"n_undefined\": %" G_GINT64_FORMAT "}",
                          m->n_defined, m->n_undefined);
}

static void
json_undefined (GString      *s,
                char * const *names,
                const double *r,
                int64_t       n)
{
  gboolean first = TRUE;

  g_string_append_c (s, '[');
  for (int64_t j = 0; j < n; j++)
    if (isnan (r[j]))
      {
        if (!first)
          g_string_append (s, ", ");
        json_str (s, names[j]);
        first = FALSE;
      }
  g_string_append_c (s, ']');
}

static void
print_undefined (const char   *label,
                 char * const *names,
                 const double *r,
                 int64_t       n)
{
  int64_t count = 0, shown = 0;
  g_autoptr(GString) s = g_string_new (NULL);

  for (int64_t j = 0; j < n; j++)
    if (isnan (r[j]))
      {
        if (shown < 20)
          {
            g_string_append_printf (s, "%s%s", shown ? ", " : "", names[j]);
            shown++;
          }
        count++;
      }
  if (count == 0)
    return;
  g_print ("Undefined r %s: %" G_GINT64_FORMAT " gene%s (constant in either vector): %s%s\n", label, count,
           count == 1 ? "" : "s", s->str, count > shown ? ", …" : "");
}

static void
print_summary_row (const char          *label,
                   const GmEvalSummary *m)
{
  g_print ("%-10s %8.4f %8.4f %8.4f %8.4f %12.6g %9" G_GINT64_FORMAT "\n", label, m->median, m->mean, m->q1,
           m->q3, m->mean_mse, m->n_undefined);
}

static void
tsv_num (GString *s,
         double   v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (v))
    g_string_append (s, "NA");
  else
    g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.8g", v));
}

static GmDataset *
read_plain (const char  *path,
            const char  *layer,
            Progress    *progress,
            GError     **error)
{
  GmReadOptions opts;

  read_options_from_flags (&opts, progress);
  opts.layer = layer;
  return gm_read (path, &opts, error);
}

static int
evaluate_holdout (GmScale   scale,
                  Progress *progress)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) masked = NULL, truth = NULL, imputed = NULL;
  g_autoptr(GmHoldoutResult) res = NULL;

  masked = read_plain (ev_holdout, NULL, progress, &error);
  if (masked == NULL)
    return fail (error);
  /* the h5ad reader does not keep uns: a hold-out file is told by its layers/counts
   * and by having hidden entries (checked by gm_evaluate_holdout) */
  truth = read_plain (ev_holdout, "counts", progress, &error);
  if (truth == NULL)
    return fail (error);
  imputed = read_plain (ev_imputed, NULL, progress, &error);
  if (imputed == NULL)
    return fail (error);
  res = gm_evaluate_holdout (truth, masked, imputed, scale, &error);
  if (res == NULL)
    return fail (error);

  if (ev_per_gene != NULL)
    {
      g_autoptr(GString) s = g_string_new ("gene\tn_hidden\tr\n");
      for (int64_t j = 0; j < res->n_genes; j++)
        {
          g_string_append_printf (s, "%s\t%" G_GINT64_FORMAT "\t", res->gene_names[j], res->hidden_per_gene[j]);
          tsv_num (s, res->r[j]);
          g_string_append_c (s, '\n');
        }
      if (!gm_output_write_text (ev_per_gene, s->str, s->len, &error))
        return fail (error);
    }
  if (ev_json)
    {
      g_autoptr(GString) s = g_string_new ("{\"mode\": \"holdout\", \"scale\": ");
      g_autoptr(GPtrArray) undefined = g_ptr_array_new ();

      json_str (s, scale == GM_SCALE_RAW ? "raw" : "lognorm");
      g_string_append_printf (s, ", \"n_cells\": %" G_GINT64_FORMAT ", \"n_genes\": %" G_GINT64_FORMAT
                              ", \"n_hidden\": %" G_GINT64_FORMAT ", \"n_scored_genes\": %" G_GINT64_FORMAT
                              ", \"overall_r\": ", res->n_cells, res->n_genes, res->n_hidden, res->n_scored);
      json_num (s, res->overall_r);
      g_string_append (s, ", \"overall_mse\": ");
      json_num (s, res->overall_mse);
      g_string_append (s, ", \"per_gene\": ");
      json_summary (s, &res->summary);
      g_string_append (s, ", \"undefined\": [");
      for (int64_t j = 0, first = 1; j < res->n_genes; j++)
        if (res->hidden_per_gene[j] >= 3 && isnan (res->r[j]))
          {
            if (!first)
              g_string_append (s, ", ");
            json_str (s, res->gene_names[j]);
            first = 0;
          }
      g_string_append (s, "]}\n");
      fputs (s->str, stdout);
      return EXIT_OK;
    }
  g_print ("Cells: %" G_GINT64_FORMAT "   Genes: %" G_GINT64_FORMAT "   Scale: %s\n", res->n_cells, res->n_genes,
           scale == GM_SCALE_RAW ? "raw" : "lognorm");
  g_print ("Hidden entries: %" G_GINT64_FORMAT "   overall Pearson r %.4f   MSE %.6g\n", res->n_hidden,
           res->overall_r, res->overall_mse);
  g_print ("Per-gene Pearson over the hidden entries (%" G_GINT64_FORMAT " genes with >= 3 of them):\n",
           res->n_scored);
  g_print ("           median     mean       q1       q3      (undefined %" G_GINT64_FORMAT ")\n",
           res->summary.n_undefined);
  g_print ("%-10s %8.4f %8.4f %8.4f %8.4f\n", "imputed", res->summary.median, res->summary.mean,
           res->summary.q1, res->summary.q3);
  {
    int64_t count = 0;
    g_autoptr(GString) s = g_string_new (NULL);
    for (int64_t j = 0; j < res->n_genes; j++)
      if (res->hidden_per_gene[j] >= 3 && isnan (res->r[j]))
        {
          if (count < 20)
            g_string_append_printf (s, "%s%s", count ? ", " : "", res->gene_names[j]);
          count++;
        }
    if (count > 0)
      g_print ("Undefined r: %" G_GINT64_FORMAT " gene%s (constant over the hidden entries): %s%s\n", count,
               count == 1 ? "" : "s", s->str, count > 20 ? ", …" : "");
  }
  return EXIT_OK;
}

int
cmd_evaluate (int    argc,
              char **argv)
{
  GOptionEntry entries[] = {
    { "reference", 0, 0, G_OPTION_ARG_FILENAME, &ev_reference, "The true values", "REF" },
    { "imputed", 0, 0, G_OPTION_ARG_FILENAME, &ev_imputed, "The imputed values (X of an impute output)", "IMP" },
    { "observed", 0, 0, G_OPTION_ARG_FILENAME, &ev_observed, "The observed values, scored as 'before'", "OBS" },
    { "holdout", 0, 0, G_OPTION_ARG_FILENAME, &ev_holdout,
      "Score only the entries hidden in this 'simulate --holdout' file (instead of --reference)", "MASKED.h5ad" },
    { "scale", 0, 0, G_OPTION_ARG_STRING, &ev_scale,
      "lognorm (default): log1p of values per 10 000 per cell, each matrix on its own library sizes; raw: as stored",
      "SCALE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &ev_json, "Print one JSON object", NULL },
    { "per-gene", 0, 0, G_OPTION_ARG_FILENAME, &ev_per_gene, "Write per-gene results to this TSV file", "FILE.tsv" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx =
    new_context ("",
                 "Score an imputation.\n\n"
                 "  evaluate --reference REF --imputed IMP [--observed OBS] [--scale lognorm|raw] [--json]\n"
                 "           [--per-gene FILE.tsv]\n"
                 "      Per-gene Pearson r across cells and mean squared error, IMP vs REF ('after') and\n"
                 "      OBS vs REF ('before').  Cells and genes are matched by name; the files must hold\n"
                 "      the same cells and genes (in any order).  A gene constant in either vector has\n"
                 "      no r: such genes are counted and listed, and left out of the r statistics\n"
                 "      (median, mean, quartiles); 'improved' counts genes with r after > r before.\n\n"
                 "  evaluate --holdout MASKED.h5ad --imputed IMP [--scale lognorm|raw] [--json] [--per-gene FILE.tsv]\n"
                 "      Scores only the entries 'simulate --holdout' hid: the Pearson r and MSE over all\n"
                 "      hidden entries, and per-gene r over the hidden entries of each gene with at\n"
                 "      least 3 of them.  IMP must be the imputation of MASKED.h5ad's X.\n\n"
                 "Per-gene TSV columns: gene, r_before, r_after, mse_before, mse_after (NA = undefined);\n"
                 "with --holdout: gene, n_hidden, r.",
                 entries, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ref = NULL, imp = NULL, obs = NULL;
  g_autoptr(GmEvalResult) res = NULL;
  Progress progress = { FALSE, 0 };
  GmScale scale = GM_SCALE_LOGNORM;
  int status = EXIT_OK;

  if (!parse_or_usage (ctx, &argc, &argv, &status))
    return status;
  progress.tty = isatty (STDERR_FILENO) && !ev_json;
  if (argc != 1)
    return usage_error (ctx, "evaluate takes no positional arguments (use --reference, --imputed …)");
  if (ev_scale != NULL && strcmp (ev_scale, "lognorm") == 0)
    scale = GM_SCALE_LOGNORM;
  else if (ev_scale != NULL && strcmp (ev_scale, "raw") == 0)
    scale = GM_SCALE_RAW;
  else if (ev_scale != NULL)
    return usage_error (ctx, "--scale takes lognorm or raw, not '%s'", ev_scale);
  if (ev_imputed == NULL)
    return usage_error (ctx, "evaluate needs --imputed IMP");
  if (ev_holdout != NULL)
    {
      if (ev_reference != NULL || ev_observed != NULL)
        return usage_error (ctx, "--holdout excludes --reference and --observed");
      return evaluate_holdout (scale, &progress);
    }
  if (ev_reference == NULL)
    return usage_error (ctx, "evaluate needs --reference REF (or --holdout MASKED.h5ad)");

  ref = read_plain (ev_reference, NULL, &progress, &error);
  if (ref == NULL)
    return fail (error);
  imp = read_plain (ev_imputed, NULL, &progress, &error);
  if (imp == NULL)
    return fail (error);
  if (ev_observed != NULL)
    {
      obs = read_plain (ev_observed, NULL, &progress, &error);
      if (obs == NULL)
        return fail (error);
    }
  res = gm_evaluate (ref, imp, obs, scale, &error);
  if (res == NULL)
    return fail (error);

  if (ev_per_gene != NULL)
    {
      g_autoptr(GString) s = g_string_new ("gene\tr_before\tr_after\tmse_before\tmse_after\n");
      for (int64_t j = 0; j < res->n_genes; j++)
        {
          g_string_append_printf (s, "%s\t", res->gene_names[j]);
          tsv_num (s, res->has_before ? res->r_before[j] : NAN);
          g_string_append_c (s, '\t');
          tsv_num (s, res->r_after[j]);
          g_string_append_c (s, '\t');
          tsv_num (s, res->has_before ? res->mse_before[j] : NAN);
          g_string_append_c (s, '\t');
          tsv_num (s, res->mse_after[j]);
          g_string_append_c (s, '\n');
        }
      if (!gm_output_write_text (ev_per_gene, s->str, s->len, &error))
        return fail (error);
    }

  if (ev_json)
    {
      g_autoptr(GString) s = g_string_new ("{\"mode\": \"reference\", \"scale\": ");

      json_str (s, scale == GM_SCALE_RAW ? "raw" : "lognorm");
      g_string_append_printf (s, ", \"n_cells\": %" G_GINT64_FORMAT ", \"n_genes\": %" G_GINT64_FORMAT,
                              res->n_cells, res->n_genes);
      g_string_append (s, ", \"after\": ");
      json_summary (s, &res->after);
      g_string_append (s, ", \"undefined_after\": ");
      json_undefined (s, res->gene_names, res->r_after, res->n_genes);
      if (res->has_before)
        {
          g_string_append (s, ", \"before\": ");
          json_summary (s, &res->before);
          g_string_append (s, ", \"undefined_before\": ");
          json_undefined (s, res->gene_names, res->r_before, res->n_genes);
          g_string_append_printf (s, ", \"n_improved\": %" G_GINT64_FORMAT ", \"n_compared\": %" G_GINT64_FORMAT,
                                  res->n_improved, res->n_compared);
        }
      g_string_append (s, "}\n");
      fputs (s->str, stdout);
      return EXIT_OK;
    }

  g_print ("Cells: %" G_GINT64_FORMAT "   Genes: %" G_GINT64_FORMAT "   Scale: %s\n", res->n_cells, res->n_genes,
           scale == GM_SCALE_RAW ? "raw" : "lognorm");
  g_print ("Per-gene Pearson r across cells:\n");
  g_print ("%-10s %8s %8s %8s %8s %12s %9s\n", "", "median", "mean", "q1", "q3", "mean MSE", "undefined");
  if (res->has_before)
    print_summary_row ("observed", &res->before);
  print_summary_row ("imputed", &res->after);
  if (res->has_before)
    g_print ("Improved: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " genes (r imputed > r observed)\n",
             res->n_improved, res->n_compared);
  if (res->has_before)
    print_undefined ("(observed)", res->gene_names, res->r_before, res->n_genes);
  print_undefined ("(imputed)", res->gene_names, res->r_after, res->n_genes);
  return EXIT_OK;
}

/* --------------------------------------------------------------- impute */

static char *imp_output, *imp_method;
static gint64 imp_seed;
static int imp_threads, imp_k, imp_pcs, imp_t = -1;
static char *imp_layout, *imp_model, *imp_device, *imp_save_ckpt, *imp_ckpt;
static int imp_steps = -1, imp_batch = -1, imp_gene_head = -1, imp_target_k = -1, imp_sigma_k = -1;
static double imp_lr = -1.0, imp_value_max = -1.0;
static gboolean imp_keep_observed;
static char *imp_loss, *imp_inference, *imp_target, *imp_recipe;

static void
on_ernet_progress (int         step,
                   int         steps,
                   double      loss,
                   double      eta,
                   const char *text,
                   gpointer    user_data)
{
  Progress *p = user_data;
  gint64 now = g_get_monotonic_time ();

  (void) loss;
  (void) eta;
  if (!p->tty || (now - p->last < 200000 && step < steps))
    return;
  p->last = now;
  g_printerr ("\r\033[Ktraining: %s", text);
  if (step >= steps)
    g_printerr ("\r\033[K");
}

/* impute --method ernet: train (or load) an ER-Net, impute, write the h5ad */
static int
impute_ernet (GOptionContext *ctx,
              const char     *input,
              Progress       *progress)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = NULL;
  g_autoptr(GmLayout) layout = NULL;
  g_autoptr(GmNnBackend) backend = NULL;   /* declared before model: freed after it */
  g_autoptr(GmErnetModel) model = NULL;
  g_autofree char *device_notice = NULL;
  g_autofree float *values = NULL;
  g_autofree gboolean *imputed = NULL;
  GmErnetImputeOptions eo;
  GmWriteOptions wopts;
  const char *model_name = imp_model != NULL ? imp_model : "compact";
  gint64 t0;
  int n_imputed = 0;

  gm_ernet_impute_options_init (&eo);
  if (strcmp (model_name, "paper") == 0)
    eo.preset = GM_ERNET_PAPER;
  else if (strcmp (model_name, "compact") == 0)
    eo.preset = GM_ERNET_COMPACT;
  else if (strcmp (model_name, "tiny") == 0)
    eo.preset = GM_ERNET_TINY;
  else
    return usage_error (ctx, "--model takes paper, compact or tiny, not '%s'", model_name);
  if (!gm_nn_device_valid (imp_device))
    return usage_error (ctx, "--device takes auto, cpu, cuda or cuda:N, not '%s'", imp_device);
  if (imp_steps == 0 || imp_steps < -1 || imp_batch == 0 || imp_batch < -1)
    return usage_error (ctx, "--steps and --batch must be positive");
  if (imp_lr != -1.0 && !(imp_lr > 0.0 && isfinite (imp_lr)))
    return usage_error (ctx, "--lr must be a positive number");
  if (imp_value_max != -1.0 && !(imp_value_max > 0.0 && imp_value_max <= 1.0))
    return usage_error (ctx, "--value-max must be in (0, 1]");
  if (imp_gene_head < -1 || imp_gene_head > 4096)
    return usage_error (ctx, "--gene-head takes 0 (off) to 4096 units");
  if (imp_recipe != NULL)
    {
      if (g_strcmp0 (imp_recipe, "neighbours") == 0 || g_strcmp0 (imp_recipe, "neighbors") == 0)
        gm_ernet_impute_options_set_recipe (&eo, GM_ERNET_RECIPE_NEIGHBOURS);
      else if (g_strcmp0 (imp_recipe, "tcer") == 0)
        gm_ernet_impute_options_set_recipe (&eo, GM_ERNET_RECIPE_TCER);
      else
        return usage_error (ctx, "--recipe must be neighbours or tcer, not '%s'", imp_recipe);
    }
  if (imp_sigma_k < -1)
    return usage_error (ctx, "--target-sigma-k must be 0 or positive");
  if (imp_target_k == 0 || imp_target_k < -1)
    return usage_error (ctx, "--target-k must be positive");
  if (imp_ckpt != NULL && (imp_layout != NULL || imp_model != NULL || imp_steps > 0 || imp_lr > 0
                           || imp_value_max > 0 || imp_gene_head >= 0 || imp_target != NULL || imp_target_k > 0
                           || imp_sigma_k >= 0
                           || imp_recipe != NULL || imp_loss != NULL))
    return usage_error (ctx, "--checkpoint takes the model, layout and scale from the file: it excludes --layout, "
                             "--model, --recipe, --steps, --lr, --loss, --value-max, --gene-head, --target and --target-k");
  if (imp_steps > 0)
    eo.steps = imp_steps;
  if (imp_batch > 0)
    eo.batch = imp_batch;
  if (imp_lr > 0)
    eo.lr = imp_lr;
  if (imp_value_max > 0)
    eo.value_max = imp_value_max;
  if (imp_gene_head >= 0)
    eo.gene_head = imp_gene_head;
  eo.seed = (guint64) imp_seed;
  eo.keep_observed = imp_keep_observed;
  if (imp_loss != NULL)
    {
      if (g_strcmp0 (imp_loss, "paper") == 0)
        eo.loss = GM_ERNET_LOSS_PAPER;
      else if (g_strcmp0 (imp_loss, "mse") == 0)
        eo.loss = GM_ERNET_LOSS_MSE;
      else if (g_strcmp0 (imp_loss, "hidden-mse") == 0)
        eo.loss = GM_ERNET_LOSS_HIDDEN_MSE;
      else
        return usage_error (ctx, "--loss must be paper, mse or hidden-mse");
    }
  if (imp_target != NULL)
    {
      if (g_strcmp0 (imp_target, "self") == 0)
        eo.target = GM_ERNET_TARGET_SELF;
      else if (g_strcmp0 (imp_target, "neighbours") == 0 || g_strcmp0 (imp_target, "neighbors") == 0)
        eo.target = GM_ERNET_TARGET_NEIGHBOURS;
      else
        return usage_error (ctx, "--target must be self or neighbours, not '%s'", imp_target);
    }
  if (imp_sigma_k >= 0)
    {
      if (eo.target != GM_ERNET_TARGET_NEIGHBOURS)
        return usage_error (ctx, "--target-sigma-k applies to --target neighbours only");
      eo.target_sigma_k = imp_sigma_k;
    }
  if (imp_target_k > 0)
    {
      if (eo.target != GM_ERNET_TARGET_NEIGHBOURS)
        return usage_error (ctx, "--target-k applies to --target neighbours only");
      eo.target_k = imp_target_k;
    }
  if (imp_inference != NULL)
    {
      if (g_strcmp0 (imp_inference, "direct") == 0)
        eo.inference = GM_ERNET_INFER_DIRECT;
      else if (g_strcmp0 (imp_inference, "masked") == 0)
        eo.inference = GM_ERNET_INFER_MASKED;
      else
        return usage_error (ctx, "--inference must be direct or masked");
    }
  eo.cancel = &cancel_flag;
  eo.progress = on_ernet_progress;
  eo.progress_data = progress;

  /* the backend first: "--device cuda" where CUDA cannot be had fails
   * before any work; "auto" says once why it uses the CPU */
  backend = gm_nn_backend_open (imp_device != NULL ? imp_device : "auto", &device_notice, &error);
  if (backend == NULL)
    return fail (error);
  if (device_notice != NULL)
    g_printerr ("genomap-cli: --device %s: %s\n", imp_device != NULL ? imp_device : "auto", device_notice);
  eo.backend = backend;

  ds = read_input (input, progress, &error);
  if (ds == NULL)
    return fail (error);
  t0 = g_get_monotonic_time ();
  if (imp_ckpt != NULL)
    {
      model = gm_ernet_checkpoint_load_full (imp_ckpt, &eo, &error);
      if (model == NULL)
        return fail (error);
    }
  else
    {
      if (imp_layout != NULL)
        layout = gm_layout_load (imp_layout, &error);
      else
        {
          GmLayoutOptions lo;

          gm_layout_options_init (&lo);
          lo.seed = (guint64) imp_seed;
          lo.progress = on_progress;
          lo.progress_data = progress;
          lo.cancel = &cancel_flag;
          layout = gm_layout_compute (ds, &lo, &error);
        }
      if (layout == NULL)
        return fail (error);
      model = gm_ernet_model_train (ds, layout, &eo, &error);
      if (model == NULL)
        return fail (error);
      g_printerr ("trained ER-Net (%s) for %d steps in %.2f s\n", model_name, gm_ernet_model_steps (model),
                  (g_get_monotonic_time () - t0) / 1e6);
      if (imp_save_ckpt != NULL && !gm_ernet_checkpoint_save (model, imp_save_ckpt, &error))
        return fail (error);
    }
  values = gm_ernet_model_apply (model, ds, &eo, &imputed, &error);
  if (values == NULL)
    return fail (error);
  for (int64_t j = 0; j < gm_dataset_n_genes (ds); j++)
    n_imputed += imputed[j] ? 1 : 0;
  g_printerr ("imputed %" G_GINT64_FORMAT " cells × %d of %" G_GINT64_FORMAT " genes with ernet in %.2f s\n",
              gm_dataset_n_cells (ds), n_imputed, gm_dataset_n_genes (ds), (g_get_monotonic_time () - t0) / 1e6);

  gm_ernet_mark_imputed (ds, imputed);
  gm_layout_attach (gm_ernet_model_layout (model), ds);
  gm_ernet_annotate (ds, model, &eo, imp_ckpt);
  set_uns (ds, "genomap_source_file", g_path_get_basename (input));

  gm_write_options_init (&wopts);
  wopts.dense_X = values;
  wopts.counts_layer = &ds->X;
  wopts.progress = on_progress;
  wopts.progress_data = progress;
  wopts.cancel = &cancel_flag;
  if (!gm_write_h5ad (ds, imp_output, &wopts, &error))
    return fail (error);
  return EXIT_OK;
}

int
cmd_impute (int    argc,
            char **argv)
{
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &imp_output, "Write the imputed data to this .h5ad", "OUT.h5ad" },
    { "method", 0, 0, G_OPTION_ARG_STRING, &imp_method, "knn (default), magic or ernet", "METHOD" },
    { "k", 0, 0, G_OPTION_ARG_INT, &imp_k, "Neighbours (knn: 15, self included; magic: 5, self excluded)", "K" },
    { "pcs", 0, 0, G_OPTION_ARG_INT, &imp_pcs, "Principal components (knn: 10; magic: 100)", "N" },
    { "t", 0, 0, G_OPTION_ARG_INT, &imp_t, "magic: diffusion steps (default 3)", "T" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &imp_seed, "Seed of the randomized PCA / of ernet training (default 0)", "S" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &imp_threads, "BLAS threads (default: OpenBLAS's choice)", "T" },
    { "layout", 'l', 0, G_OPTION_ARG_FILENAME, &imp_layout, "ernet: the GenoMap layout (default: compute one)", "LAYOUT.tsv" },
    { "model", 0, 0, G_OPTION_ARG_STRING, &imp_model, "ernet: paper, compact (default) or tiny", "MODEL" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &imp_steps, "ernet: training steps (default: 2500 for --model paper, 1000 for compact and tiny)", "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &imp_batch, "ernet: cells per training step (default 64)", "B" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &imp_lr, "ernet: learning rate (default 1e-3, tcer recipe 2e-4; halved after 80 % of the steps)", "X" },
    { "gene-head", 0, 0, G_OPTION_ARG_INT, &imp_gene_head, "ernet: units of the gene head, a per-gene output layer fed by the whole map (our extension, not TCER's network; default 16, tcer recipe 0 = off)", "K" },
    { "value-max", 0, 0, G_OPTION_ARG_DOUBLE, &imp_value_max, "ernet: network value of the 99.9th percentile of log1p(CP10k) (default 0.5; the missing-value placeholder is 0.999)", "V" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &imp_device, "ernet: auto (default: CUDA when usable, else the CPU), cpu, cuda or cuda:N", "DEV" },
    { "save-checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &imp_save_ckpt, "ernet: save the trained model here", "C" },
    { "checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &imp_ckpt, "ernet: apply this trained model (no training)", "C" },
    { "keep-observed", 0, 0, G_OPTION_ARG_NONE, &imp_keep_observed, "ernet: keep the observed non-zero counts", NULL },
    { "loss", 0, 0, G_OPTION_ARG_STRING, &imp_loss, "ernet: training loss, mse (default), paper (L1 + 0.02 DFT L1, spec §4; tcer recipe) or hidden-mse", "LOSS" },
    { "recipe", 0, 0, G_OPTION_ARG_STRING, &imp_recipe, "ernet: neighbours (default: --target neighbours --gene-head 16 --loss mse --lr 1e-3) or tcer (the published training: --target self --gene-head 0 --loss paper --lr 2e-4); the other ernet options override it", "RECIPE" },
    { "target", 0, 0, G_OPTION_ARG_STRING, &imp_target, "ernet: what the network learns to output: neighbours (the mean map of the cell's nearest cells, our extension; default) or self (the cell's own map, spec §1.4)", "TARGET" },
    { "target-sigma-k", 0, 0, G_OPTION_ARG_INT, &imp_sigma_k, "ernet: weigh the neighbours by exp(-(d/sigma)^2), sigma the distance to the cell's K-th neighbour (0: equal weights)", "K" },
    { "target-k", 0, 0, G_OPTION_ARG_INT, &imp_target_k, "ernet: nearest cells in the neighbours target (default 30, fewer in smaller datasets)", "K" },
    { "inference", 0, 0, G_OPTION_ARG_STRING, &imp_inference, "ernet: direct (one forward, spec §6) or masked (each observed value predicted from its context)", "MODE" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx =
    new_context ("IN -o OUT.h5ad",
                 "Impute a count matrix with a fast CPU baseline or ER-Net.\n\n"
                 "  knn    kNN smoothing (after Wagner et al. 2018): PCA (10 components) of the\n"
                 "         log-normalised data, and each cell becomes the mean of the raw counts of\n"
                 "         its K = 15 nearest cells, itself included.\n"
                 "  magic  MAGIC (after van Dijk et al. 2018; MAGIC >= 1.0 defaults): PCA (100),\n"
                 "         K = 5 neighbours, alpha-decay kernel exp(-(d/sigma)^40), sigma = distance\n"
                 "         to the K-th neighbour, symmetrised and row-normalised Markov matrix M,\n"
                 "         X = M^t log1p(counts per 10 000) with t = 3; no rescaling.\n"
                 "  ernet  ER-Net (TCER, Wei et al. 2024) on the cells' GenoMaps, one cell at a time.\n"
                 "         --recipe neighbours (default) trains it, with a per-gene output layer, to\n"
                 "         output the mean of each cell's 30 nearest cells (of 20 000 at most);\n"
                 "         --recipe tcer trains it as published, on each cell's own values.\n\n"
                 "The PCA uses the 2000 genes of highest log-normalised variance (randomized SVD).\n"
                 "OUT.h5ad: X = the imputed values, dense float32, ON THE COUNTS SCALE (magic's values\n"
                 "are mapped back by expm1 and each cell's library size / 10 000), layers/counts = the\n"
                 "input counts, obs/var from the input, uns genomap_impute_* = the parameters.\n"
                 "Results are deterministic for a seed and a number of threads.",
                 entries, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = NULL;
  g_autofree float *values = NULL;
  Progress progress = { isatty (STDERR_FILENO), 0 };
  GmBaselineParams bp;
  GmWriteOptions wopts;
  GmBaseline method = GM_BASELINE_KNN;
  int status = EXIT_OK;
  gint64 t0;

  if (!parse_or_usage (ctx, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return usage_error (ctx, "impute takes exactly one input");
  if (imp_method == NULL || strcmp (imp_method, "knn") == 0)
    method = GM_BASELINE_KNN;
  else if (strcmp (imp_method, "magic") == 0)
    method = GM_BASELINE_MAGIC;
  else if (strcmp (imp_method, "ernet") != 0)
    return usage_error (ctx, "--method takes knn, magic or ernet, not '%s'", imp_method);
  if (imp_output == NULL)
    return usage_error (ctx, "impute needs -o OUT.h5ad");
  if (!is_h5ad (imp_output))
    return usage_error (ctx, "impute writes an .h5ad (X dense plus layers/counts): %s", imp_output);
  if (imp_k < 0 || imp_pcs < 0 || imp_threads < 0)
    return usage_error (ctx, "--k, --pcs and --threads must be positive");
  if (imp_threads > 0)
    openblas_set_num_threads (imp_threads);
  if (strcmp (imp_method != NULL ? imp_method : "knn", "ernet") == 0)
    return impute_ernet (ctx, argv[1], &progress);
  if (imp_layout != NULL || imp_model != NULL || imp_steps != -1 || imp_batch != -1 || imp_lr != -1.0
      || imp_value_max != -1.0 || imp_gene_head != -1 || imp_device != NULL || imp_save_ckpt != NULL || imp_ckpt != NULL || imp_keep_observed
      || imp_target != NULL || imp_target_k != -1 || imp_sigma_k != -1 || imp_recipe != NULL || imp_loss != NULL)
    return usage_error (ctx, "--layout, --model, --recipe, --steps, --batch, --lr, --loss, --value-max, --gene-head, --target, --target-k, --device, --save-checkpoint, "
                             "--checkpoint and --keep-observed apply to --method ernet only");

  gm_baseline_params_init (&bp, method);
  if (imp_k > 0)
    bp.k = imp_k;
  if (imp_pcs > 0)
    bp.n_pcs = imp_pcs;
  if (imp_t >= 0)
    bp.t = imp_t;
  bp.seed = (guint64) imp_seed;

  ds = read_input (argv[1], &progress, &error);
  if (ds == NULL)
    return fail (error);
  t0 = g_get_monotonic_time ();
  values = gm_impute_baseline (&ds->X, &bp, &error);
  if (values == NULL)
    return fail (error);
  g_printerr ("imputed %" G_GINT64_FORMAT " cells × %" G_GINT64_FORMAT " genes with %s in %.2f s\n",
              gm_dataset_n_cells (ds), gm_dataset_n_genes (ds), method == GM_BASELINE_MAGIC ? "magic" : "knn",
              (g_get_monotonic_time () - t0) / 1e6);

  gm_baseline_annotate (ds, &bp);
  set_uns (ds, "genomap_source_file", g_path_get_basename (argv[1]));

  gm_write_options_init (&wopts);
  wopts.dense_X = values;
  wopts.counts_layer = &ds->X;
  wopts.progress = on_progress;
  wopts.progress_data = &progress;
  wopts.cancel = &cancel_flag;
  if (!gm_write_h5ad (ds, imp_output, &wopts, &error))
    return fail (error);
  return EXIT_OK;
}
