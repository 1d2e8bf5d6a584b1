/* genomap-cli-maps.c — `genomap-cli layout` and `genomap-cli render`
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "genomap-cli.h"
#include "gm-layout.h"
#include "gm-linalg.h"
#include "gm-nn-device.h"
#include "gm-render.h"

/* --------------------------------------------------------------- layout */

static char *lay_output;
static int lay_genes;
static char *lay_gene_list;
static int lay_rows, lay_cols;
static char *lay_grid;
static gint64 lay_seed;
static int lay_max_iter;
static char *lay_device;

static char **
read_gene_list (const char  *path,
                GError     **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(GPtrArray) genes = g_ptr_array_new ();
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &text, NULL, &local))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s", local->message);
      return NULL;
    }
  lines = g_strsplit_set (text, "\n\r", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      /* one gene per line; the first tab- or comma-separated field counts; # comments */
      char *line = g_strstrip (lines[i]);
      char *cut = strpbrk (line, "\t,");
      if (cut)
        *cut = '\0';
      if (*line == '\0' || *line == '#' || (i == 0 && g_ascii_strcasecmp (line, "gene") == 0))
        continue;
      g_ptr_array_add (genes, g_strdup (line));
    }
  if (genes->len == 0)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT, "%s: the gene list is empty", path);
      return NULL;
    }
  g_ptr_array_add (genes, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&genes), FALSE);
}

int
cmd_layout (int    argc,
            char **argv)
{
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &lay_output, "Write the layout to this TSV file", "LAYOUT.tsv" },
    { "genes", 0, 0, G_OPTION_ARG_INT, &lay_genes,
      "Place the N most variable genes (default: the largest square grid up to 32 × 32)", "N" },
    { "gene-list", 0, 0, G_OPTION_ARG_FILENAME, &lay_gene_list, "Place these genes (one per line)", "FILE" },
    { "rows", 0, 0, G_OPTION_ARG_INT, &lay_rows, "Grid rows", "R" },
    { "cols", 0, 0, G_OPTION_ARG_INT, &lay_cols, "Grid columns", "C" },
    { "grid", 0, 0, G_OPTION_ARG_STRING, &lay_grid,
      "Geometry: rings (the reference's) or euclidean (true 2-D distances); default rings", "GEOMETRY" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &lay_seed, "Random seed (default 0)", "S" },
    { "max-iter", 0, 0, G_OPTION_ARG_INT, &lay_max_iter, "Cap on solver iterations", "N" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &lay_device,
      "Large matrix products on: auto (the GPU when there is one; the default), cpu, cuda or cuda:N", "DEV" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx =
    new_context ("IN -o LAYOUT.tsv", "Place genes on a grid so that interacting genes sit together "
                 "(a GenoMap layout, by Gromov–Wasserstein transport).\n"
                 "Genes: the most variable (variance of log1p counts per 10 000), or --gene-list.",
                 entries, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = NULL;
  g_autoptr(GmLayout) layout = NULL;
  g_autoptr(GmNnBackend) backend = NULL;
  g_autofree char *notice = NULL;
  g_auto(GStrv) gene_list = NULL;
  Progress progress = { isatty (STDERR_FILENO), 0 };
  GmLayoutOptions opts;
  int status = EXIT_OK;

  if (!parse_or_usage (ctx, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return usage_error (ctx, "layout takes exactly one input");
  if (lay_output == NULL)
    return usage_error (ctx, "layout needs -o LAYOUT.tsv");
  if (lay_genes < 0 || lay_rows < 0 || lay_cols < 0 || lay_seed < 0 || lay_max_iter < 0)
    return usage_error (ctx, "numbers must not be negative");
  if ((lay_rows > 0) != (lay_cols > 0))
    return usage_error (ctx, "give both --rows and --cols");
  if (lay_genes > 0 && lay_gene_list != NULL)
    return usage_error (ctx, "--genes and --gene-list exclude each other");
  if (lay_device != NULL && !gm_nn_device_valid (lay_device))
    return usage_error (ctx, "--device takes auto, cpu, cuda or cuda:N, not '%s'", lay_device);

  gm_layout_options_init (&opts);
  if (lay_grid != NULL && !gm_grid_geometry_parse (lay_grid, &opts.geometry))
    return usage_error (ctx, "unknown --grid '%s' (use rings or euclidean)", lay_grid);
  if (lay_rows > 0 && lay_genes > lay_rows * lay_cols)
    return usage_error (ctx, "%d genes do not fit on a %d × %d grid", lay_genes, lay_rows, lay_cols);

  if (lay_gene_list != NULL)
    {
      gene_list = read_gene_list (lay_gene_list, &error);
      if (gene_list == NULL)
        return fail (error);
      if (lay_rows > 0 && (int) g_strv_length (gene_list) > lay_rows * lay_cols)
        return usage_error (ctx, "the gene list has %u genes, more than the %d × %d grid holds",
                            g_strv_length (gene_list), lay_rows, lay_cols);
    }

  /* The solver's large products (gm_dgemm) go to the GPU when there is
   * one; "cuda" where CUDA cannot be had fails before any work, and an
   * explicit "auto" says why it stays on the CPU. */
  backend = gm_nn_backend_open (lay_device != NULL ? lay_device : "auto", &notice, &error);
  if (backend == NULL)
    return fail (error);
  if (notice != NULL && lay_device != NULL)
    g_printerr ("genomap-cli: --device %s: %s\n", lay_device, notice);

  ds = read_input (argv[1], &progress, &error);
  if (ds == NULL)
    return fail (error);

  opts.n_genes = lay_genes;
  opts.rows = lay_rows;
  opts.cols = lay_cols;
  opts.gene_list = gene_list;
  opts.seed = (guint64) lay_seed;
  opts.max_iter = lay_max_iter;
  opts.progress = on_progress;
  opts.progress_data = &progress;
  opts.cancel = &cancel_flag;

  if (strcmp (backend->name, "cpu") != 0)
    gm_linalg_set_accelerator (backend, 0);
  layout = gm_layout_compute (ds, &opts, &error);
  gm_linalg_set_accelerator (NULL, 0);
  if (layout == NULL)
    return fail (error);
  if (!gm_layout_save (layout, lay_output, &error))
    return fail (error);

  g_print ("%d genes on a %d × %d grid (%s geometry)\n", layout->n_genes, layout->rows, layout->cols,
           gm_grid_geometry_name (layout->geometry));
  g_print ("energy: %.9g\n", layout->energy);
  g_print ("time:   %.2f s\n", layout->seconds);
  if (strcmp (backend->name, "cpu") != 0)
    g_print ("device: %s (%" G_GUINT64_FORMAT " products on it)\n", backend->name, gm_linalg_accelerated_calls ());
  return EXIT_OK;
}

/* --------------------------------------------------------------- render */

static char *ren_layout;
static char **ren_cells;
static char *ren_group_by;
static int ren_per_group = 5;
static char *ren_mean_by;
static char *ren_diff;
static char *ren_output;
static char *ren_colormap;
static double ren_dpi = 300;
static char *ren_transform;
static char *ren_clip;
static char *ren_title;

static GmColumn *
categorical_column (const GmDataset  *ds,
                    const char       *name,
                    GError          **error)
{
  GmColumn *col = gm_dataset_find_obs (ds, name);

  if (col == NULL)
    {
      g_autoptr(GString) names = g_string_new (NULL);
      for (guint i = 0; i < ds->obs->len; i++)
        g_string_append_printf (names, "%s%s", i ? ", " : "",
                                ((GmColumn *) g_ptr_array_index (ds->obs, i))->name);
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE, "%s: no cell annotation '%s' (there are: %s)",
                   ds->path, name, names->len ? names->str : "none");
      return NULL;
    }
  if (col->kind != GM_COLUMN_CATEGORICAL)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE,
                   "%s: cell annotation '%s' is not categorical; group by a categorical column",
                   ds->path, name);
      return NULL;
    }
  return col;
}

static int
category_index (const GmColumn *col,
                const char     *label)
{
  for (int k = 0; k < col->n_categories; k++)
    if (strcmp (col->categories[k], label) == 0)
      return k;
  return -1;
}

/* Mean map of the cells of category k (NaN pixels stay NaN). */
static float *
group_mean (const GmMapper *m,
            const GmColumn *col,
            int             k,
            int             P,
            int64_t        *n_out)
{
  float *mean = g_new0 (float, P);
  g_autofree double *acc = g_new0 (double, P);
  g_autofree float *img = g_new (float, P);
  int64_t n = 0;

  for (int64_t i = 0; i < col->length; i++)
    {
      if (col->codes[i] != k)
        continue;
      gm_mapper_map_cells (m, &i, 1, img);
      for (int p = 0; p < P; p++)
        acc[p] += img[p];
      n++;
    }
  for (int p = 0; p < P; p++)
    mean[p] = n > 0 ? (float) (acc[p] / n) : NAN;
  *n_out = n;
  return mean;
}

static gboolean
parse_clip (const char *s,
            double     *lo,
            double     *hi)
{
  g_auto(GStrv) parts = g_strsplit (s, ",", -1);
  char *end1 = NULL, *end2 = NULL;

  if (g_strv_length (parts) != 2)
    return FALSE;
  *lo = g_ascii_strtod (parts[0], &end1);
  *hi = g_ascii_strtod (parts[1], &end2);
  if (*end1 != '\0' || *end2 != '\0')
    return FALSE;
  if (*hi > 1.0) /* percentiles */
    {
      *lo /= 100.0;
      *hi /= 100.0;
    }
  return *lo >= 0.0 && *hi <= 1.0 && *lo < *hi;
}

int
cmd_render (int    argc,
            char **argv)
{
  GOptionEntry entries[] = {
    { "layout", 'l', 0, G_OPTION_ARG_FILENAME, &ren_layout, "The GenoMap layout (from genomap-cli layout)", "LAYOUT.tsv" },
    { "cell", 0, 0, G_OPTION_ARG_STRING_ARRAY, &ren_cells, "Draw this cell (repeat for several)", "NAME" },
    { "group-by", 0, 0, G_OPTION_ARG_STRING, &ren_group_by, "A grid of cells, one row per group of COLUMN", "COLUMN" },
    { "cells-per-group", 0, 0, G_OPTION_ARG_INT, &ren_per_group, "Cells per row with --group-by (default 5)", "K" },
    { "mean-by", 0, 0, G_OPTION_ARG_STRING, &ren_mean_by, "The mean GenoMap of each group of COLUMN", "COLUMN" },
    { "diff", 0, 0, G_OPTION_ARG_STRING, &ren_diff, "The difference of two groups' means", "COLUMN:A:B" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &ren_output, "Figure file: .png, .svg or .pdf", "FIG" },
    { "colormap", 0, 0, G_OPTION_ARG_STRING, &ren_colormap,
      "viridis, magma, inferno, cividis, grey or diverging (default viridis; diverging for --diff)", "NAME" },
    { "dpi", 0, 0, G_OPTION_ARG_DOUBLE, &ren_dpi, "PNG resolution (default 300)", "D" },
    { "transform", 0, 0, G_OPTION_ARG_STRING, &ren_transform,
      "raw, log1p (of counts per 10 000; default), zscore or minmax (per gene)", "T" },
    { "clip", 0, 0, G_OPTION_ARG_STRING, &ren_clip,
      "Clip the shared colour scale to these quantiles, e.g. 0.01,0.99 (or 1,99)", "LOW,HIGH" },
    { "title", 0, 0, G_OPTION_ARG_STRING, &ren_title, "Figure title", "TEXT" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx =
    new_context ("IN --layout LAYOUT.tsv (--cell NAME… | --group-by COL | --mean-by COL | --diff COL:A:B) -o FIG",
                 "Draw GenoMaps of cells, of groups of cells, or of the difference between two groups.",
                 entries, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ds = NULL;
  g_autoptr(GmLayout) layout = NULL;
  g_autoptr(GmMapper) mapper = NULL;
  g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  g_autofree GmPanel *panels = NULL;
  g_autofree const char **row_labels = NULL;
  Progress progress = { isatty (STDERR_FILENO), 0 };
  GmTransform transform = GM_TRANSFORM_LOG1P_CP10K;
  GmFigure fig;
  int status = EXIT_OK, modes, P;
  double clip_lo = 0.0, clip_hi = 1.0;

  if (!parse_or_usage (ctx, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return usage_error (ctx, "render takes exactly one input dataset");
  modes = (ren_cells != NULL) + (ren_group_by != NULL) + (ren_mean_by != NULL) + (ren_diff != NULL);
  if (modes != 1)
    return usage_error (ctx, "choose exactly one of --cell, --group-by, --mean-by and --diff");
  if (ren_layout == NULL)
    return usage_error (ctx, "render needs --layout LAYOUT.tsv");
  if (ren_output == NULL)
    return usage_error (ctx, "render needs -o FIG.png|.svg|.pdf");
  if (!g_str_has_suffix (ren_output, ".png") && !g_str_has_suffix (ren_output, ".svg") &&
      !g_str_has_suffix (ren_output, ".pdf"))
    return usage_error (ctx, "%s: the figure must end in .png, .svg or .pdf", ren_output);
  if (ren_dpi < 10 || ren_dpi > 2400)
    return usage_error (ctx, "--dpi must be between 10 and 2400");
  if (ren_per_group < 1 || ren_per_group > 100)
    return usage_error (ctx, "--cells-per-group must be between 1 and 100");
  if (ren_transform != NULL && !gm_transform_parse (ren_transform, &transform))
    return usage_error (ctx, "unknown --transform '%s' (raw, log1p, zscore, minmax)", ren_transform);
  if (ren_clip != NULL && !parse_clip (ren_clip, &clip_lo, &clip_hi))
    return usage_error (ctx, "--clip takes LOW,HIGH quantiles such as 0.01,0.99");

  gm_figure_init (&fig);
  fig.colormap = ren_diff ? GM_COLORMAP_DIVERGING : GM_COLORMAP_VIRIDIS;
  if (ren_colormap != NULL && !gm_colormap_parse (ren_colormap, &fig.colormap))
    return usage_error (ctx, "unknown --colormap '%s'", ren_colormap);
  fig.clip_low = clip_lo;
  fig.clip_high = clip_hi;

  layout = gm_layout_load (ren_layout, &error);
  if (layout == NULL)
    return fail (error);
  ds = read_input (argv[1], &progress, &error);
  if (ds == NULL)
    return fail (error);
  mapper = gm_mapper_new (layout, ds, transform, &error);
  if (mapper == NULL)
    return fail (error);
  P = layout->rows * layout->cols;

  if (ren_cells != NULL)
    {
      guint n = g_strv_length (ren_cells);
      g_autoptr(GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);

      for (int64_t i = gm_dataset_n_cells (ds) - 1; i >= 0; i--)
        g_hash_table_insert (index, ds->cell_names[i], GINT_TO_POINTER ((int) i + 1));
      fig.n_rows = (n + 7) / 8;
      fig.n_cols = MIN (n, 8);
      panels = g_new0 (GmPanel, fig.n_rows * fig.n_cols);
      for (guint c = 0; c < n; c++)
        {
          int64_t cell = GPOINTER_TO_INT (g_hash_table_lookup (index, ren_cells[c])) - 1;
          float *img;

          if (cell < 0)
            {
              g_printerr ("genomap-cli: %s: no cell named '%s'\n", argv[1], ren_cells[c]);
              return EXIT_USAGE;
            }
          img = g_new (float, P);
          gm_mapper_map_cells (mapper, &cell, 1, img);
          g_ptr_array_add (images, img);
          panels[c] = (GmPanel) { img, layout->rows, layout->cols, ren_cells[c] };
        }
    }
  else if (ren_group_by != NULL)
    {
      GmColumn *col = categorical_column (ds, ren_group_by, &error);
      int used = 0;

      if (col == NULL)
        return fail (error);
      fig.n_cols = ren_per_group;
      panels = g_new0 (GmPanel, (gsize) col->n_categories * ren_per_group);
      row_labels = g_new0 (const char *, col->n_categories + 1);
      for (int k = 0; k < col->n_categories; k++)
        {
          int taken = 0;
          int64_t missing = 0;
          g_autofree int64_t *counts = gm_column_category_counts (col, &missing);

          if (counts[k] == 0)
            continue;
          for (int64_t i = 0; i < col->length && taken < ren_per_group; i++)
            {
              float *img;
              if (col->codes[i] != k)
                continue;
              img = g_new (float, P);
              gm_mapper_map_cells (mapper, &i, 1, img);
              g_ptr_array_add (images, img);
              panels[used * ren_per_group + taken] =
                (GmPanel) { img, layout->rows, layout->cols, ds->cell_names[i] };
              taken++;
            }
          {
            char *label = g_strdup_printf ("%s (n = %" G_GINT64_FORMAT ")", col->categories[k], counts[k]);
            g_ptr_array_add (strings, label);
            row_labels[used] = label;
          }
          used++;
        }
      fig.n_rows = used;
      fig.row_labels = row_labels;
    }
  else if (ren_mean_by != NULL)
    {
      GmColumn *col = categorical_column (ds, ren_mean_by, &error);
      int used = 0;

      if (col == NULL)
        return fail (error);
      panels = g_new0 (GmPanel, MAX (col->n_categories, 1));
      for (int k = 0; k < col->n_categories; k++)
        {
          int64_t n = 0;
          float *mean = group_mean (mapper, col, k, P, &n);
          char *title;

          if (n == 0)
            {
              g_free (mean);
              continue;
            }
          title = g_strdup_printf ("%s (n = %" G_GINT64_FORMAT ")", col->categories[k], n);
          g_ptr_array_add (images, mean);
          g_ptr_array_add (strings, title);
          panels[used++] = (GmPanel) { mean, layout->rows, layout->cols, title };
        }
      fig.n_cols = MIN (used, 6);
      fig.n_rows = (used + fig.n_cols - 1) / MAX (fig.n_cols, 1);
      if (fig.n_rows * fig.n_cols > used)
        panels = g_renew (GmPanel, panels, fig.n_rows * fig.n_cols);
      for (int i = used; i < fig.n_rows * fig.n_cols; i++)
        panels[i] = (GmPanel) { NULL, 0, 0, NULL };
    }
  else
    {
      g_auto(GStrv) parts = g_strsplit (ren_diff, ":", 3);
      GmColumn *col;
      int a, b;
      int64_t na = 0, nb = 0;
      g_autofree float *ma = NULL;
      g_autofree float *mb = NULL;
      float *diff;
      char *title;

      if (g_strv_length (parts) != 3)
        return usage_error (ctx, "--diff takes COLUMN:A:B");
      col = categorical_column (ds, parts[0], &error);
      if (col == NULL)
        return fail (error);
      a = category_index (col, parts[1]);
      b = category_index (col, parts[2]);
      if (a < 0 || b < 0)
        {
          g_printerr ("genomap-cli: %s: column '%s' has no category '%s'\n", argv[1], parts[0],
                      a < 0 ? parts[1] : parts[2]);
          return EXIT_USAGE;
        }
      ma = group_mean (mapper, col, a, P, &na);
      mb = group_mean (mapper, col, b, P, &nb);
      if (na == 0 || nb == 0)
        {
          g_printerr ("genomap-cli: %s: group '%s' has no cells\n", argv[1], na == 0 ? parts[1] : parts[2]);
          return EXIT_INPUT;
        }
      diff = g_new (float, P);
      for (int p = 0; p < P; p++)
        diff[p] = ma[p] - mb[p];
      title = g_strdup_printf ("%s − %s", parts[1], parts[2]);
      g_ptr_array_add (images, diff);
      g_ptr_array_add (strings, title);
      panels = g_new0 (GmPanel, 1);
      panels[0] = (GmPanel) { diff, layout->rows, layout->cols, title };
      fig.n_rows = fig.n_cols = 1;
      fig.diverging = TRUE;

      /* The genes that differ most, for the reader of the figure. */
      {
        g_autofree int32_t *order = g_new (int32_t, layout->n_genes);
        int n_show = MIN (layout->n_genes, 10);

        for (int i = 0; i < layout->n_genes; i++)
          order[i] = i;
        for (int i = 0; i < n_show; i++)
          for (int j = i + 1; j < layout->n_genes; j++)
            {
              int pi = layout->pixel[order[i]], pj = layout->pixel[order[j]];
              float di = diff[(pi % layout->rows) * layout->cols + pi / layout->rows];
              float dj = diff[(pj % layout->rows) * layout->cols + pj / layout->rows];
              if (isnan (di) || (!isnan (dj) && fabsf (dj) > fabsf (di)))
                {
                  int32_t t = order[i];
                  order[i] = order[j];
                  order[j] = t;
                }
            }
        g_print ("gene\trow\tcol\tmean %s − mean %s\n", parts[1], parts[2]);
        for (int i = 0; i < n_show; i++)
          {
            int p = layout->pixel[order[i]];
            g_print ("%s\t%d\t%d\t%.4f\n", layout->genes[order[i]], p % layout->rows, p / layout->rows,
                     diff[(p % layout->rows) * layout->cols + p / layout->rows]);
          }
      }
    }

  fig.panels = panels;
  fig.title = ren_title;
  fig.colorbar_label = transform == GM_TRANSFORM_RAW ? "counts"
                       : transform == GM_TRANSFORM_ZSCORE ? "z-score"
                       : transform == GM_TRANSFORM_MINMAX ? "scaled (0–1)" : "log1p(counts per 10k)";
  if (ren_diff)
    fig.colorbar_label = transform == GM_TRANSFORM_LOG1P_CP10K ? "Δ mean log1p(CP10k)"
                                                               : "Δ mean";
  if (!gm_figure_save (&fig, ren_output, ren_dpi, &error))
    return fail (error);
  return EXIT_OK;
}
