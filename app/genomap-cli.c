/* genomap-cli.c — the headless GenoMap Studio: inspect and convert single-cell datasets
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Exit status: 0 success, 2 usage error, 3 unreadable or invalid input,
 * 4 failed output, 130 cancelled (SIGINT).
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gm-blas.h"
#include "gm-h5.h"
#include "gm-io.h"
#include "gm-layout.h"
#include "gm-nn-device.h"
#include "genomap-cli.h"

gint cancel_flag = 0;

static void
on_sigint (int sig)
{
  g_atomic_int_set (&cancel_flag, 1);
}

static int
exit_code_for (const GError *error)
{
  if (error == NULL || error->domain != GM_ERROR)
    return EXIT_INPUT;
  switch (error->code)
    {
    case GM_ERROR_USAGE:     return EXIT_USAGE;
    case GM_ERROR_WRITE:     return EXIT_OUTPUT;
    case GM_ERROR_CANCELLED: return EXIT_CANCELLED;
    default:                 return EXIT_INPUT;
    }
}

int
fail (const GError *error)
{
  g_printerr ("genomap-cli: %s\n", error->message);
  return exit_code_for (error);
}

int
usage_error (GOptionContext *ctx,
             const char     *fmt,
             ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, fmt);
  msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_printerr ("genomap-cli: %s\n", msg);
  if (ctx != NULL)
    g_printerr ("Try '%s --help'.\n", g_get_prgname ());
  return EXIT_USAGE;
}

/* ------------------------------------------------------------ progress */

void
on_progress (double      fraction,
             const char *stage,
             gpointer    user_data)
{
  Progress *p = user_data;
  gint64 now = g_get_monotonic_time ();

  if (!p->tty || (now - p->last < 100000 && fraction < 1.0))
    return;
  p->last = now;
  g_printerr ("\r\033[K%s… %3.0f %%", stage, 100.0 * fraction);
  if (fraction >= 1.0)
    g_printerr ("\r\033[K");
}

/* ----------------------------------------------------- read options */

static char *opt_layer;
static gboolean opt_use_raw;
static char *opt_genome;
static gboolean opt_all_features;
static gboolean opt_cells_rows;
static gboolean opt_genes_rows;

static GOptionEntry read_entries[] = {
  { "layer", 0, 0, G_OPTION_ARG_STRING, &opt_layer, "Read layers/NAME (h5ad, loom) instead of X", "NAME" },
  { "use-raw", 0, 0, G_OPTION_ARG_NONE, &opt_use_raw, "Read raw/X with raw/var (h5ad)", NULL },
  { "genome", 0, 0, G_OPTION_ARG_STRING, &opt_genome, "Pick this genome (10x files with several)", "NAME" },
  { "all-features", 0, 0, G_OPTION_ARG_NONE, &opt_all_features, "Keep non-'Gene Expression' features (10x)", NULL },
  { "cells-as-rows", 0, 0, G_OPTION_ARG_NONE, &opt_cells_rows, "Text input: rows are cells", NULL },
  { "genes-as-rows", 0, 0, G_OPTION_ARG_NONE, &opt_genes_rows, "Text input: rows are genes (transpose)", NULL },
  { NULL }
};

void
read_options_from_flags (GmReadOptions *opts,
                         Progress      *progress)
{
  gm_read_options_init (opts);
  opts->layer = opt_layer;
  opts->use_raw = opt_use_raw;
  opts->genome = opt_genome;
  opts->all_features = opt_all_features;
  opts->orientation = opt_cells_rows ? GM_ORIENT_CELLS_ROWS
                      : opt_genes_rows ? GM_ORIENT_GENES_ROWS : GM_ORIENT_AUTO;
  opts->progress = on_progress;
  opts->progress_data = progress;
  opts->cancel = &cancel_flag;
}

GmDataset *
read_input (const char  *path,
            Progress    *progress,
            GError     **error)
{
  GmReadOptions opts;

  read_options_from_flags (&opts, progress);
  return gm_read (path, &opts, error);
}

GOptionContext *
new_context (const char   *param,
             const char   *summary,
             GOptionEntry *entries,
             gboolean      with_read)
{
  GOptionContext *ctx = g_option_context_new (param);

  g_option_context_set_summary (ctx, summary);
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (with_read)
    g_option_context_add_main_entries (ctx, read_entries, NULL);
  g_option_context_set_help_enabled (ctx, TRUE);
  return ctx;
}

gboolean
parse_or_usage (GOptionContext  *ctx,
                int             *argc,
                char          ***argv,
                int             *status)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      *status = usage_error (ctx, "%s", error->message);
      return FALSE;
    }
  if (opt_cells_rows && opt_genes_rows)
    {
      *status = usage_error (ctx, "--cells-as-rows and --genes-as-rows exclude each other");
      return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------- info */

static void
json_string (GString    *s,
             const char *str)
{
  g_string_append_c (s, '"');
  for (const guchar *p = (const guchar *) str; *p; p++)
    {
      switch (*p)
        {
        case '"':  g_string_append (s, "\\\""); break;
        case '\\': g_string_append (s, "\\\\"); break;
        case '\n': g_string_append (s, "\\n"); break;
        case '\r': g_string_append (s, "\\r"); break;
        case '\t': g_string_append (s, "\\t"); break;
        default:
          if (*p < 0x20)
            g_string_append_printf (s, "\\u%04x", *p);
          else
            g_string_append_c (s, (char) *p);
        }
    }
  g_string_append_c (s, '"');
}

static const char *
column_kind_name (const GmColumn *c)
{
  switch (c->kind)
    {
    case GM_COLUMN_CATEGORICAL: return "categorical";
    case GM_COLUMN_NUMERIC:     return "numeric";
    case GM_COLUMN_BOOLEAN:     return "boolean";
    case GM_COLUMN_STRING:      return "string";
    default:                    return "unknown";
    }
}

static void
json_columns (GString   *s,
              GPtrArray *cols)
{
  g_string_append_c (s, '{');
  for (guint i = 0; i < cols->len; i++)
    {
      const GmColumn *c = g_ptr_array_index (cols, i);

      if (i > 0)
        g_string_append (s, ", ");
      json_string (s, c->name);
      g_string_append (s, ": {\"type\": ");
      json_string (s, column_kind_name (c));
      if (c->kind == GM_COLUMN_CATEGORICAL)
        {
          int64_t missing = 0;
          g_autofree int64_t *counts = gm_column_category_counts (c, &missing);

          g_string_append_printf (s, ", \"ordered\": %s, \"categories\": {", c->ordered ? "true" : "false");
          for (int32_t k = 0; k < c->n_categories; k++)
            {
              if (k > 0)
                g_string_append (s, ", ");
              json_string (s, c->categories[k]);
              g_string_append_printf (s, ": %" G_GINT64_FORMAT, counts[k]);
            }
          g_string_append_printf (s, "}, \"missing\": %" G_GINT64_FORMAT, missing);
        }
      else if (c->kind == GM_COLUMN_NUMERIC || c->kind == GM_COLUMN_BOOLEAN)
        {
          int64_t missing = 0;
          for (int64_t k = 0; k < c->length; k++)
            if (isnan (c->values[k]))
              missing++;
          g_string_append_printf (s, ", \"integer\": %s, \"missing\": %" G_GINT64_FORMAT,
                                  c->is_integer ? "true" : "false", missing);
        }
      else
        {
          int64_t missing = 0;
          for (int64_t k = 0; k < c->length; k++)
            if (c->strings[k] == NULL)
              missing++;
          g_string_append_printf (s, ", \"missing\": %" G_GINT64_FORMAT, missing);
        }
      g_string_append_c (s, '}');
    }
  g_string_append_c (s, '}');
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* The uns keys in byte order (free the array only). */
static char **
sorted_uns_keys (const GmDataset *ds)
{
  guint n = 0;
  char **keys = (char **) g_hash_table_get_keys_as_array (ds->uns, &n);

  qsort (keys, n, sizeof (char *), compare_strings);
  return keys;
}

static void
print_json (const GmDataset *ds,
            double           total,
            gboolean         integer)
{
  g_autoptr(GString) s = g_string_new ("{");
  int64_t nnz = gm_dataset_nnz (ds);

  g_string_append (s, "\"path\": ");
  json_string (s, ds->path ? ds->path : "");
  g_string_append (s, ", \"format\": ");
  json_string (s, gm_format_name (ds->format));
  g_string_append (s, ", \"format_detail\": ");
  json_string (s, ds->format_detail ? ds->format_detail : "");
  g_string_append_printf (s, ", \"n_cells\": %" G_GINT64_FORMAT ", \"n_genes\": %" G_GINT64_FORMAT
                          ", \"nnz\": %" G_GINT64_FORMAT ", \"total\": %.17g, \"is_integer\": %s",
                          gm_dataset_n_cells (ds), gm_dataset_n_genes (ds), nnz, total,
                          integer ? "true" : "false");
  g_string_append_printf (s, ", \"has_gene_ids\": %s", ds->gene_ids ? "true" : "false");
  g_string_append (s, ", \"obs\": ");
  json_columns (s, ds->obs);
  g_string_append (s, ", \"var\": ");
  json_columns (s, ds->var);
  g_string_append (s, ", \"uns\": {");
  {
    g_autofree char **keys = sorted_uns_keys (ds);
    for (guint i = 0; keys[i] != NULL; i++)
      {
        if (i > 0)
          g_string_append (s, ", ");
        json_string (s, keys[i]);
        g_string_append (s, ": ");
        json_string (s, g_hash_table_lookup (ds->uns, keys[i]));
      }
  }
  g_string_append (s, "}");
  g_string_append (s, ", \"notes\": [");
  for (guint i = 0; i < ds->notes->len; i++)
    {
      if (i > 0)
        g_string_append (s, ", ");
      json_string (s, g_ptr_array_index (ds->notes, i));
    }
  g_string_append (s, "]}\n");
  fputs (s->str, stdout);
}

static char *
group_digits (double v)
{
  g_autofree char *raw = g_strdup_printf ("%.0f", v);
  GString *s = g_string_new (NULL);
  int len = strlen (raw), start = raw[0] == '-' ? 1 : 0;

  if (start)
    g_string_append_c (s, '-');
  for (int i = start; i < len; i++)
    {
      if (i > start && (len - i) % 3 == 0)
        g_string_append_c (s, ',');
      g_string_append_c (s, raw[i]);
    }
  return g_string_free (s, FALSE);
}

static void
print_columns (const char *title,
               GPtrArray  *cols)
{
  if (cols->len == 0)
    {
      g_print ("%s: none\n", title);
      return;
    }
  g_print ("%s:\n", title);
  for (guint i = 0; i < cols->len; i++)
    {
      const GmColumn *c = g_ptr_array_index (cols, i);

      if (c->kind == GM_COLUMN_CATEGORICAL)
        {
          int64_t missing = 0;
          g_autofree int64_t *counts = gm_column_category_counts (c, &missing);
          const int32_t shown = MIN (c->n_categories, 25);

          g_print ("  %-24s categorical%s, %d categor%s\n", c->name, c->ordered ? " (ordered)" : "",
                   c->n_categories, c->n_categories == 1 ? "y" : "ies");
          for (int32_t k = 0; k < shown; k++)
            g_print ("      %-28s %" G_GINT64_FORMAT "\n", c->categories[k], counts[k]);
          if (shown < c->n_categories)
            g_print ("      … and %d more\n", c->n_categories - shown);
          if (missing > 0)
            g_print ("      %-28s %" G_GINT64_FORMAT "\n", "(missing)", missing);
        }
      else if (c->kind == GM_COLUMN_NUMERIC)
        {
          double lo = INFINITY, hi = -INFINITY;
          for (int64_t k = 0; k < c->length; k++)
            if (!isnan (c->values[k]))
              {
                lo = MIN (lo, c->values[k]);
                hi = MAX (hi, c->values[k]);
              }
          if (lo <= hi)
            g_print ("  %-24s numeric (%s), %g … %g\n", c->name, c->is_integer ? "integer" : "float", lo, hi);
          else
            g_print ("  %-24s numeric (%s), all missing\n", c->name, c->is_integer ? "integer" : "float");
        }
      else
        g_print ("  %-24s %s\n", c->name, column_kind_name (c));
    }
}

static gboolean opt_json;

static int
cmd_info (int    argc,
          char **argv)
{
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print one JSON object", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx =
    new_context ("FILE", "Tell what is in a single-cell dataset: format, cells, genes, counts, annotations.\n"
                 "FILE is an .h5ad, a 10x .h5, a 10x Matrix Market folder, a .loom, or a CSV/TSV file.",
                 entries, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = NULL;
  Progress progress = { isatty (STDERR_FILENO) && !opt_json, 0 };
  double total;
  gboolean integer;
  int status = EXIT_OK;

  if (!parse_or_usage (ctx, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return usage_error (ctx, "info takes exactly one FILE");

  progress.tty = isatty (STDERR_FILENO) && !opt_json;
  ds = read_input (argv[1], &progress, &error);
  if (ds == NULL)
    return fail (error);

  total = gm_csr_total (&ds->X);
  integer = gm_csr_is_integer (&ds->X);

  if (opt_json)
    {
      print_json (ds, total, integer);
      return EXIT_OK;
    }

  {
    int64_t nnz = gm_dataset_nnz (ds);
    double cells = (double) gm_dataset_n_cells (ds), genes = (double) gm_dataset_n_genes (ds);
    g_autofree char *s_cells = group_digits (cells);
    g_autofree char *s_genes = group_digits (genes);
    g_autofree char *s_nnz = group_digits ((double) nnz);
    g_autofree char *s_total = integer ? group_digits (total) : g_strdup_printf ("%.6g", total);

    g_print ("File:          %s\n", ds->path);
    g_print ("Format:        %s (%s)\n", gm_format_name (ds->format), ds->format_detail ? ds->format_detail : "");
    g_print ("Cells:         %s\n", s_cells);
    g_print ("Genes:         %s%s\n", s_genes, ds->gene_ids ? " (with gene ids)" : "");
    g_print ("Non-zeros:     %s (%.2f %% of the matrix)\n", s_nnz,
             cells * genes > 0 ? 100.0 * nnz / (cells * genes) : 0.0);
    g_print ("Total:         %s\n", s_total);
    g_print ("Values:        %s\n", integer ? "integer counts" : "not integer (normalised or imputed values?)");
    if (cells > 0)
      g_print ("Per cell:      %.1f non-zeros, %.1f total on average\n", nnz / cells, total / cells);
    print_columns ("Cell annotations (obs)", ds->obs);
    print_columns ("Gene annotations (var)", ds->var);
    if (g_hash_table_size (ds->uns) == 0)
      g_print ("Unstructured (uns): none\n");
    else
      {
        g_autofree char **keys = sorted_uns_keys (ds);

        g_print ("Unstructured (uns):\n");
        for (guint i = 0; keys[i] != NULL; i++)
          {
            g_autofree char *value = g_strdup (g_hash_table_lookup (ds->uns, keys[i]));

            g_strdelimit (value, "\n\r\t", ' ');
            g_print ("  %-24s %s\n", keys[i], value);
          }
      }
    for (guint i = 0; i < ds->notes->len; i++)
      g_print ("Note:          %s\n", (const char *) g_ptr_array_index (ds->notes, i));
  }
  return EXIT_OK;
}

/* ------------------------------------------------------------- convert */

static char *opt_output;
static char *opt_layout;
static gboolean opt_dense;
static int opt_compression = -1;

static gboolean
same_file (const char *a,
           const char *b)
{
  GStatBuf sa, sb;

  if (g_stat (a, &sa) != 0 || g_stat (b, &sb) != 0)
    return FALSE;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int
cmd_convert (int    argc,
             char **argv)
{
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output,
      "Output: .h5ad, .loom, .csv, .tsv (optionally .gz), or a folder for 10x Matrix Market", "OUT" },
    { "dense", 0, 0, G_OPTION_ARG_NONE, &opt_dense, "h5ad: store X densely instead of CSR", NULL },
    { "layout", 0, 0, G_OPTION_ARG_FILENAME, &opt_layout,
      "Store this GenoMap layout with the genes (var genomap_row/genomap_col, uns genomap_*)", "LAYOUT.tsv" },
    { "compression", 0, 0, G_OPTION_ARG_INT, &opt_compression,
      "gzip level 0–9 for h5ad and loom (default: none for h5ad, 2 for loom, as loompy)", "LEVEL" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx =
    new_context ("IN -o OUT", "Convert a single-cell dataset to another format.\n"
                 "The output format follows OUT's extension; a name without extension or ending in '/'\n"
                 "makes a 10x Matrix Market folder.  The output appears only when complete.",
                 entries, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = NULL;
  g_autoptr(GmLayout) layout = NULL;
  Progress progress = { isatty (STDERR_FILENO), 0 };
  GmWriteOptions wopts;
  int status = EXIT_OK;

  if (!parse_or_usage (ctx, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return usage_error (ctx, "convert takes exactly one input");
  if (opt_output == NULL)
    return usage_error (ctx, "convert needs -o OUT");
  if (opt_compression < -1 || opt_compression > 9)
    return usage_error (ctx, "--compression takes a level from 0 to 9");
  if (gm_format_for_output (opt_output, &error) == GM_FORMAT_UNKNOWN)
    return fail (error);
  if (g_strcmp0 (argv[1], opt_output) == 0 || same_file (argv[1], opt_output))
    {
      g_printerr ("genomap-cli: %s: refusing to overwrite the input file\n", opt_output);
      return EXIT_OUTPUT;
    }

  gm_write_options_init (&wopts);
  wopts.dense = opt_dense;
  wopts.compression = opt_compression;
  wopts.progress = on_progress;
  wopts.progress_data = &progress;
  wopts.cancel = &cancel_flag;

  /* h5ad → h5ad streams the matrix block by block when it can. */
  if (opt_layout == NULL)
    {
      GmReadOptions ropts;
      g_autoptr(GHashTable) uns = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
      gboolean applicable = FALSE;

      read_options_from_flags (&ropts, &progress);
      g_hash_table_insert (uns, (gpointer) "genomap_source_file", g_path_get_basename (argv[1]));
      g_hash_table_insert (uns, (gpointer) "genomap_source_format", g_strdup ("h5ad"));
      g_hash_table_insert (uns, (gpointer) "genomap_version", g_strdup (PACKAGE_VERSION));
      if (gm_convert_h5ad_streaming (argv[1], opt_output, &ropts, &wopts, uns, &applicable, &error))
        return EXIT_OK;
      if (applicable)
        return fail (error);
    }

  if (opt_layout != NULL)
    {
      layout = gm_layout_load (opt_layout, &error);
      if (layout == NULL)
        return fail (error);
    }
  ds = read_input (argv[1], &progress, &error);
  if (ds == NULL)
    return fail (error);
  if (layout != NULL)
    {
      int matched = 0;
      g_autofree int32_t *pix = gm_layout_gene_pixels (layout, ds, &matched, &error);
      if (pix == NULL)
        return fail (error);
      gm_layout_attach (layout, ds);
    }

  g_hash_table_insert (ds->uns, g_strdup ("genomap_source_file"), g_path_get_basename (argv[1]));
  g_hash_table_insert (ds->uns, g_strdup ("genomap_source_format"), g_strdup (gm_format_name (ds->format)));
  g_hash_table_insert (ds->uns, g_strdup ("genomap_version"), g_strdup (PACKAGE_VERSION));

  if (!gm_write (ds, opt_output, &wopts, &error))
    return fail (error);
  for (guint i = 0; i < ds->notes->len; i++)
    g_printerr ("note: %s\n", (const char *) g_ptr_array_index (ds->notes, i));
  return EXIT_OK;
}

/* ---------------------------------------------------------------- main */

static void
print_version (void)
{
  g_autofree char *blas = gm_blas_describe ();
  g_autofree char *h5 = gm_h5_version_string ();

  g_print ("genomap-cli %s\n", PACKAGE_VERSION);
  g_print ("BLAS:    %s\n", blas);
  g_print ("HDF5:    %s\n", h5 + strlen ("HDF5 "));
  g_print ("GLib:    %u.%u.%u\n", glib_major_version, glib_minor_version, glib_micro_version);
  {
    g_autofree char *backends = gm_nn_backend_describe ();
    g_auto(GStrv) lines = g_strsplit (backends, "\n", -1);

    /* "Backends: cpu: available …" then the others indented */
    for (int i = 0; lines[i] != NULL; i++)
      if (lines[i][0] != '\0')
        g_print ("%s%s\n", i == 0 ? "Backends: " : "          ", lines[i]);
  }
}

static void
print_help (void)
{
  g_print ("Usage: genomap-cli COMMAND [OPTIONS…]\n\n"
           "Inspect, convert and map single-cell RNA-seq datasets as GenoMaps.\n\n"
           "Commands:\n"
           "  info      Tell what is in a dataset (format, cells, genes, counts, annotations)\n"
           "  convert   Convert a dataset to h5ad, loom, CSV/TSV or 10x Matrix Market\n"
           "  layout    Place genes on a grid (a GenoMap layout) and save it as TSV\n"
           "  render    Draw cells, groups or group differences as GenoMap figures (PNG, SVG, PDF)\n"
           "  simulate  Simulate data for imputation benchmarks (Splatter-style, SAVER-style, hold-out)\n"
           "  impute    Impute a count matrix with a CPU baseline (kNN smoothing, MAGIC)\n"
           "  evaluate  Score an imputation against a reference or a hold-out\n\n"
           "Formats read: .h5ad (anndata 0.6 to 0.11), 10x .h5 (Cell Ranger 1 to 9), 10x Matrix Market\n"
           "folders, .loom (2 and 3), CSV/TSV (optionally gzipped).\n\n"
           "Options:\n"
           "  -h, --help     Show this help; 'genomap-cli COMMAND --help' for a command\n"
           "  --version      Show versions, and the BLAS kernels and threads in use\n\n"
           "Exit status: 0 success, 2 usage error, 3 unreadable or invalid input, 4 failed output.\n");
}

int
main (int    argc,
      char **argv)
{
  const char *cmd;
  char *help_args[4];

  gm_blas_ensure_fast_kernels (argv);
  setlocale (LC_ALL, "");
  g_set_prgname ("genomap-cli");
  signal (SIGINT, on_sigint);
  gm_h5_init ();

  if (argc < 2)
    {
      print_help ();
      return EXIT_USAGE;
    }
  cmd = argv[1];
  if (strcmp (cmd, "--help") == 0 || strcmp (cmd, "-h") == 0 || strcmp (cmd, "help") == 0)
    {
      if (argc >= 3 && strcmp (cmd, "help") == 0)
        {
          help_args[0] = argv[0];
          help_args[1] = argv[2];
          help_args[2] = (char *) "--help";
          help_args[3] = NULL;
          argv = help_args;
          argc = 3;
          cmd = argv[1];
        }
      else
        {
          print_help ();
          return EXIT_OK;
        }
    }
  if (strcmp (cmd, "--version") == 0 || strcmp (cmd, "version") == 0)
    {
      print_version ();
      return EXIT_OK;
    }

  {
    g_autofree char *prg = g_strdup_printf ("genomap-cli %s", cmd);
    g_set_prgname (prg);
  }
  if (strcmp (cmd, "info") == 0)
    return cmd_info (argc - 1, argv + 1);
  if (strcmp (cmd, "convert") == 0)
    return cmd_convert (argc - 1, argv + 1);
  if (strcmp (cmd, "layout") == 0)
    return cmd_layout (argc - 1, argv + 1);
  if (strcmp (cmd, "render") == 0)
    return cmd_render (argc - 1, argv + 1);
  if (strcmp (cmd, "simulate") == 0)
    return cmd_simulate (argc - 1, argv + 1);
  if (strcmp (cmd, "evaluate") == 0)
    return cmd_evaluate (argc - 1, argv + 1);
  if (strcmp (cmd, "impute") == 0)
    return cmd_impute (argc - 1, argv + 1);

  g_printerr ("genomap-cli: unknown command '%s'\nTry 'genomap-cli --help'.\n", cmd);
  return EXIT_USAGE;
}
