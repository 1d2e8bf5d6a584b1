/* gm-render.h — publication figures of GenoMaps with cairo (PNG, SVG, PDF)
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The application draws its views with exactly this code.
 *
 * A figure is a grid of panels (rows = groups such as cell types, columns = examples),
 * an optional title, row labels on the left, and on the right a colour bar with ticks
 * and a label, plus a legend swatch for "no gene" pixels (NaN) when there are any.
 * All panels share one colour scale.  Units are PostScript points (1/72 inch); text is
 * 7–9 pt sans-serif, so a figure is meant to be placed at 100 %.  Heatmaps are images
 * drawn with nearest-neighbour sampling: every GenoMap pixel stays a sharp square.
 */
#pragma once

#include <cairo.h>
#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  GM_COLORMAP_VIRIDIS,
  GM_COLORMAP_MAGMA,
  GM_COLORMAP_INFERNO,
  GM_COLORMAP_CIVIDIS,
  GM_COLORMAP_GREY,        /* black (low) to white (high) */
  GM_COLORMAP_DIVERGING,   /* blue – white – red (ColorBrewer RdBu reversed), centred at zero */
} GmColormap;

/* "viridis", "magma", "inferno", "cividis", "grey", "diverging". */
const char *gm_colormap_name   (GmColormap cmap);
/* Accepts the names above, case-insensitively, and the aliases "gray" and "rdbu_r". */
gboolean    gm_colormap_parse  (const char *s, GmColormap *out);
/* RGB in [0, 1] at t in [0, 1] (clamped; NaN gives t = 0), interpolated linearly
 * between the 256 entries of the table. */
void        gm_colormap_sample (GmColormap cmap, double t, double rgb[3]);
/* The opaque ARGB colour used for NaN ("no gene") pixels with @cmap: a neutral grey
 * distinct from every colour of the map (light grey #d0d0d0 for the sequential maps,
 * mid grey #999999 for the diverging one) or, for the grey map, a pale blue #c6dbef;
 * in figures the grey map's NaN pixels are also hatched, so that they stay distinct
 * in black-and-white print. */
guint32     gm_colormap_nan_argb (GmColormap cmap);

/* One panel: an image of rows × cols floats (row-major), NaN = no gene there. */
typedef struct
{
  const float *values;
  int          rows, cols;
  const char  *title;          /* above the panel, or NULL */
} GmPanel;

typedef struct
{
  int          n_rows, n_cols;   /* panel grid */
  GmPanel     *panels;           /* n_rows × n_cols, row-major; values NULL = empty slot */
  const char **row_labels;       /* n_rows labels on the left (group names), or NULL */
  const char  *title;            /* figure title, or NULL */
  const char  *colorbar_label;   /* e.g. "log1p(CP10k)", or NULL */
  GmColormap   colormap;
  gboolean     diverging;        /* symmetric scale around 0 (use with GM_COLORMAP_DIVERGING) */
  double       clip_low, clip_high;  /* quantiles in [0,1] for the shared scale (0, 1 = full range) */
  double       vmin, vmax;       /* used when vmin < vmax: fixed scale (overrides clipping;
                                  * made symmetric, ±max(|vmin|, |vmax|), when diverging) */
  double       panel_size_pt;    /* size of a panel's longer side in points (default 72) */
} GmFigure;

/* Defaults: no panels, viridis, full range, panel_size_pt 72. */
void      gm_figure_init      (GmFigure *fig);
/* The shared scale the figure will use (after quantile clipping / symmetry).
 * Values outside it take the end colours, and the colour bar gets a triangular end. */
void      gm_figure_get_scale (const GmFigure *fig, double *lo, double *hi);
/* Size of the whole figure in points (margins included). */
void      gm_figure_get_size  (const GmFigure *fig, double *width_pt, double *height_pt);
/* Where the heatmap of panel (@row, @col) lies, in points from the figure's origin:
 * rect = { x, y, width, height }.  FALSE when out of range or an empty slot.
 * For hit-testing: GenoMap pixel (r, c) is the cell at
 * x + c·width/cols, y + r·height/rows. */
gboolean  gm_figure_get_panel_rect (const GmFigure *fig, int row, int col, double rect[4]);
/* Draws at the cairo context's origin, in points.  It paints no background (the
 * saved files get an opaque white one); text is black. */
void      gm_figure_draw      (const GmFigure *fig, cairo_t *cr);
/* Writes .png (at @dpi, with a pHYs chunk recording it; @dpi <= 0 means 300), .svg or
 * .pdf (fonts embedded; @dpi ignored), chosen by the extension (case-insensitive), with
 * an opaque white background, through a hidden temporary sibling (gm_output_begin:
 * .NAME.tmp-XXXXXX) that is renamed into place on success and removed on failure.
 * Errors, whose messages start with @path: GM_ERROR_USAGE (unknown extension, invalid
 * figure, PNG over 32767 pixels), GM_ERROR_WRITE (missing folder, I/O). */
gboolean  gm_figure_save      (const GmFigure *fig, const char *path, double dpi, GError **error);

/* Colours one image into ARGB32 pixels (for thumbnails / textures): @out has
 * rows × cols uint32, NaN → @nan_argb.  Values are binned like matplotlib (in single
 * precision, as matplotlib does for float32): entry floor(256·(v − lo)/(hi − lo)) of
 * the table, clamped to [0, 255] (±inf take the ends); when hi <= lo every non-NaN
 * value takes entry 0.  No branch per pixel: about 1 ns per pixel. */
void      gm_colorize         (const float *values, int rows, int cols, GmColormap cmap,
                               double lo, double hi, guint32 nan_argb, guint32 *out);

G_END_DECLS
