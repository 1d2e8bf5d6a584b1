/* gm-render.c — publication figures of GenoMaps with cairo (PNG, SVG, PDF)
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Geometry (points):
 *
 *   margin
 *   [ figure title, 9 pt bold, centred over the panel grid ]
 *   row label │ [panel title]  [panel title]   │ colour bar ┤ ticks  label
 *    (8 pt)   │ ┌──────────┐   ┌──────────┐    │            ┤ (7 pt) (7 pt,
 *             │ │ heatmap  │   │ heatmap  │    │  ▮         ┤         rotated)
 *             │ └──────────┘   └──────────┘    │  ▮ no gene (legend, if NaN)
 *   margin
 *
 * Heatmaps are cairo image surfaces drawn with CAIRO_FILTER_NEAREST.  cairo 1.16
 * writes such images into PDF with /Interpolate false, but its SVG output carries no
 * hint, and some viewers smooth small images anyway (librsvg < 2.56, macOS Preview).
 * So for vector targets every GenoMap pixel is embedded as a block of k × k identical
 * image pixels (the image is at least ~512 pixels across): even a viewer that
 * interpolates then blurs an edge over 1/k of a GenoMap pixel only.  Raster targets
 * get the plain image.
 *
 * Text uses cairo's toy API with "sans-serif", unhinted metrics, so the layout is the
 * same on every surface and at every resolution.
 */
#include "config.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <errno.h>
#include <float.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gm-colormap-data.h"
#include "gm-dataset.h"
#include "gm-io.h"
#include "gm-render.h"

/* ------------------------------------------------------------------ colormaps */

typedef struct
{
  const char     *name;
  const float    *rgb;    /* GM_COLORMAP_N × 3 */
  const uint32_t *argb;   /* GM_COLORMAP_N */
  guint32         nan_argb;
} ColormapInfo;

static const ColormapInfo colormaps[] = {
  [GM_COLORMAP_VIRIDIS]   = { "viridis", &gm_colormap_viridis[0][0], gm_colormap_viridis_argb, 0xffd0d0d0 },
  [GM_COLORMAP_MAGMA]     = { "magma", &gm_colormap_magma[0][0], gm_colormap_magma_argb, 0xffd0d0d0 },
  [GM_COLORMAP_INFERNO]   = { "inferno", &gm_colormap_inferno[0][0], gm_colormap_inferno_argb, 0xffd0d0d0 },
  [GM_COLORMAP_CIVIDIS]   = { "cividis", &gm_colormap_cividis[0][0], gm_colormap_cividis_argb, 0xffd0d0d0 },
  [GM_COLORMAP_GREY]      = { "grey", &gm_colormap_grey[0][0], gm_colormap_grey_argb, 0xffc6dbef },
  [GM_COLORMAP_DIVERGING] = { "diverging", &gm_colormap_diverging[0][0], gm_colormap_diverging_argb, 0xff999999 },
};

static const ColormapInfo *
colormap_info (GmColormap cmap)
{
  if ((guint) cmap >= G_N_ELEMENTS (colormaps))
    cmap = GM_COLORMAP_VIRIDIS;
  return &colormaps[cmap];
}

const char *
gm_colormap_name (GmColormap cmap)
{
  if ((guint) cmap >= G_N_ELEMENTS (colormaps))
    return "unknown";
  return colormaps[cmap].name;
}

gboolean
gm_colormap_parse (const char *s,
                   GmColormap *out)
{
  if (s == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (colormaps); i++)
    if (g_ascii_strcasecmp (s, colormaps[i].name) == 0)
      {
        *out = (GmColormap) i;
        return TRUE;
      }
  if (g_ascii_strcasecmp (s, "gray") == 0)
    {
      *out = GM_COLORMAP_GREY;
      return TRUE;
    }
  if (g_ascii_strcasecmp (s, "rdbu_r") == 0)
    {
      *out = GM_COLORMAP_DIVERGING;
      return TRUE;
    }
  return FALSE;
}

void
gm_colormap_sample (GmColormap cmap,
                    double     t,
                    double     rgb[3])
{
  const float *tab = colormap_info (cmap)->rgb;
  double pos, frac;
  int i;

  if (!(t > 0.0))          /* also NaN */
    t = 0.0;
  else if (t > 1.0)
    t = 1.0;
  pos = t * (GM_COLORMAP_N - 1);
  i = (int) pos;
  if (i >= GM_COLORMAP_N - 1)
    i = GM_COLORMAP_N - 2;
  frac = pos - i;
  for (int c = 0; c < 3; c++)
    rgb[c] = (1.0 - frac) * tab[3 * i + c] + frac * tab[3 * (i + 1) + c];
}

guint32
gm_colormap_nan_argb (GmColormap cmap)
{
  return colormap_info (cmap)->nan_argb;
}

static inline guint32
float_bits (float f)
{
  guint32 u;

  memcpy (&u, &f, sizeof u);
  return u;
}

static inline float
bits_float (guint32 u)
{
  float f;

  memcpy (&f, &u, sizeof f);
  return f;
}

/* The table entry of @v, or GM_COLORMAP_N for NaN, without a branch: random NaN and
 * zero pixels would defeat branch prediction (7× slower).  Works on the IEEE bits:
 * non-negative floats order like their bit patterns. */
static inline guint32
colorize_index (float v,
                float lo,
                float scale)
{
  const guint32 top = 0x437f0000u;                          /* 255.0f */
  guint32 x = float_bits ((v - lo) * scale);
  guint32 is_nan = (0x7f800000u - (float_bits (v) & 0x7fffffffu)) >> 31;
  guint32 x_nan = (0x7f800000u - (x & 0x7fffffffu)) >> 31; /* ±inf · 0 on a degenerate scale */
  gint32 d;
  guint32 k;

  x &= ~(guint32) ((gint32) x >> 31) & (x_nan - 1);         /* negative or NaN → +0 */
  d = (gint32) (x - top);                                   /* x ≤ 0x7f800000: no overflow */
  x = top + ((guint32) d & (guint32) (d >> 31));            /* min (x, 255.0f) */
  k = (guint32) (gint32) bits_float (x);                    /* in [0, 255]: defined */
  return (k & (is_nan - 1)) | (GM_COLORMAP_N & -is_nan);
}

#define COLORIZE_CHUNK 256

void
gm_colorize (const float *values,
             int          rows,
             int          cols,
             GmColormap   cmap,
             double       lo,
             double       hi,
             guint32      nan_argb,
             guint32     *out)
{
  guint32 lut[GM_COLORMAP_N + 1];
  guint32 idx[COLORIZE_CHUNK];
  size_t n, i = 0;
  double scale = 0.0;
  float flo, fscale;

  if (rows <= 0 || cols <= 0)
    return;
  g_return_if_fail (values != NULL && out != NULL);

  memcpy (lut, colormap_info (cmap)->argb, GM_COLORMAP_N * sizeof (guint32));
  lut[GM_COLORMAP_N] = nan_argb;
  n = (size_t) rows * (size_t) cols;
  if (hi > lo && isfinite (hi - lo))
    scale = GM_COLORMAP_N / (hi - lo);
  if (!isfinite (lo))
    lo = 0.0;
  /* Single precision, as matplotlib normalises float32 data; both within float range
   * so that the conversions are defined. */
  flo = (float) CLAMP (lo, -FLT_MAX, FLT_MAX);
  fscale = (float) CLAMP (scale, 0.0, FLT_MAX);

  /* Indices first, then the look-ups: two simple loops the compiler schedules well. */
  for (; i + COLORIZE_CHUNK <= n; i += COLORIZE_CHUNK)
    {
      for (int j = 0; j < COLORIZE_CHUNK; j++)
        idx[j] = colorize_index (values[i + j], flo, fscale);
      for (int j = 0; j < COLORIZE_CHUNK; j++)
        out[i + j] = lut[idx[j]];
    }
  for (; i < n; i++)
    out[i] = lut[colorize_index (values[i], flo, fscale)];
}

/* ------------------------------------------------------------------ the scale */

typedef struct
{
  double   lo, hi;
  double   dmin, dmax;    /* over non-NaN values (±inf included) */
  gboolean has_data;      /* any finite value */
  gboolean has_nan;
} Scale;

static gboolean
panel_has_image (const GmPanel *p)
{
  return p->values != NULL && p->rows > 0 && p->cols > 0;
}

static int
cmp_float (const void *a,
           const void *b)
{
  float x = *(const float *) a, y = *(const float *) b;
  return (x > y) - (x < y);
}

static double
quantile_sorted (const float *a,
                 size_t       n,
                 double       q)
{
  double pos = q * (double) (n - 1);
  size_t i = (size_t) floor (pos);
  double f = pos - (double) i;

  if (i + 1 >= n)
    return a[n - 1];
  return a[i] + f * ((double) a[i + 1] - (double) a[i]);
}

static gboolean
figure_shape_ok (const GmFigure *fig)
{
  return fig != NULL && fig->n_rows > 0 && fig->n_cols > 0 && fig->n_rows <= 10000
         && fig->n_cols <= 10000 && fig->n_rows * fig->n_cols <= 100000 && fig->panels != NULL;
}

static void
compute_scale (const GmFigure *fig,
               Scale          *sc)
{
  double q_lo = fig->clip_low, q_hi = fig->clip_high;
  gboolean fixed = isfinite (fig->vmin) && isfinite (fig->vmax) && fig->vmin < fig->vmax;
  gboolean clipping;
  double fmin = INFINITY, fmax = -INFINITY;   /* over finite values */
  size_t n_finite = 0;
  int n_panels = figure_shape_ok (fig) ? fig->n_rows * fig->n_cols : 0;

  memset (sc, 0, sizeof *sc);
  sc->dmin = INFINITY;
  sc->dmax = -INFINITY;

  /* quantiles: NaN or out of [0, 1] fall back to the full range */
  q_lo = q_lo > 0.0 ? MIN (q_lo, 1.0) : 0.0;
  q_hi = q_hi < 1.0 ? MAX (q_hi, 0.0) : 1.0;
  if (q_lo >= q_hi)
    {
      q_lo = 0.0;
      q_hi = 1.0;
    }
  clipping = !fixed && (q_lo > 0.0 || q_hi < 1.0);

  for (int p = 0; p < n_panels; p++)
    {
      const GmPanel *panel = &fig->panels[p];
      size_t n;

      if (!panel_has_image (panel))
        continue;
      n = (size_t) panel->rows * (size_t) panel->cols;
      for (size_t i = 0; i < n; i++)
        {
          float v = panel->values[i];

          if (isnan (v))
            {
              sc->has_nan = TRUE;
              continue;
            }
          sc->dmin = MIN (sc->dmin, v);
          sc->dmax = MAX (sc->dmax, v);
          if (isfinite (v))
            {
              fmin = MIN (fmin, v);
              fmax = MAX (fmax, v);
              n_finite++;
            }
        }
    }
  sc->has_data = n_finite > 0;

  if (fixed)
    {
      sc->lo = fig->vmin;
      sc->hi = fig->vmax;
    }
  else if (!sc->has_data)
    {
      sc->lo = 0.0;
      sc->hi = 1.0;
    }
  else if (clipping)
    {
      g_autofree float *all = g_new (float, n_finite);
      size_t k = 0;

      for (int p = 0; p < n_panels; p++)
        {
          const GmPanel *panel = &fig->panels[p];
          size_t n;

          if (!panel_has_image (panel))
            continue;
          n = (size_t) panel->rows * (size_t) panel->cols;
          for (size_t i = 0; i < n; i++)
            if (isfinite (panel->values[i]))
              all[k++] = panel->values[i];
        }
      qsort (all, n_finite, sizeof (float), cmp_float);
      sc->lo = quantile_sorted (all, n_finite, q_lo);
      sc->hi = quantile_sorted (all, n_finite, q_hi);
    }
  else
    {
      sc->lo = fmin;
      sc->hi = fmax;
    }

  if (fig->diverging)
    {
      double m = MAX (fabs (sc->lo), fabs (sc->hi));

      if (!(m > 0.0) || !isfinite (m))
        m = 1.0;
      sc->lo = -m;
      sc->hi = m;
    }
  else if (!(sc->hi > sc->lo))
    {
      /* constant data: all zero gives 0 – 1, anything else ±10 % around it */
      if (sc->lo == 0.0)
        sc->hi = 1.0;
      else
        {
          double d = fabs (sc->lo) * 0.1;

          sc->lo -= d;
          sc->hi += d;
        }
    }
}

void
gm_figure_init (GmFigure *fig)
{
  g_return_if_fail (fig != NULL);
  memset (fig, 0, sizeof *fig);
  fig->colormap = GM_COLORMAP_VIRIDIS;
  fig->clip_low = 0.0;
  fig->clip_high = 1.0;
  fig->panel_size_pt = 72.0;
}

void
gm_figure_get_scale (const GmFigure *fig,
                     double         *lo,
                     double         *hi)
{
  Scale sc;

  g_return_if_fail (fig != NULL);
  compute_scale (fig, &sc);
  if (lo != NULL)
    *lo = sc.lo;
  if (hi != NULL)
    *hi = sc.hi;
}

/* ------------------------------------------------------------------ text */

#define FONT_FAMILY "sans-serif"

typedef enum
{
  FONT_TITLE,
  FONT_PANEL_TITLE,
  FONT_ROW_LABEL,
  FONT_TICK,
  FONT_CBAR_LABEL,
  FONT_LEGEND,
  N_FONTS
} FontRole;

static const struct
{
  double   size;
  gboolean bold;
} fonts[N_FONTS] = {
  [FONT_TITLE]       = { 9.0, TRUE },
  [FONT_PANEL_TITLE] = { 7.0, FALSE },
  [FONT_ROW_LABEL]   = { 8.0, FALSE },
  [FONT_TICK]        = { 7.0, FALSE },
  [FONT_CBAR_LABEL]  = { 7.0, FALSE },
  [FONT_LEGEND]      = { 7.0, FALSE },
};

typedef struct
{
  double ascent, descent;   /* of the font */
  double cap;               /* height of capitals and digits ("H") */
} FontMetrics;

static void
use_font (cairo_t  *cr,
          FontRole  role)
{
  cairo_select_font_face (cr, FONT_FAMILY, CAIRO_FONT_SLANT_NORMAL,
                          fonts[role].bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, fonts[role].size);
}

static void
set_font_options (cairo_t *cr)
{
  cairo_font_options_t *fo = cairo_font_options_create ();

  cairo_font_options_set_hint_metrics (fo, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style (fo, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_antialias (fo, CAIRO_ANTIALIAS_GRAY);
  cairo_set_font_options (cr, fo);
  cairo_font_options_destroy (fo);
}

static double
text_width (cairo_t    *cr,
            const char *s)
{
  cairo_text_extents_t te;

  cairo_text_extents (cr, s, &te);
  return te.x_advance;
}

static void
font_metrics (cairo_t     *cr,
              FontRole     role,
              FontMetrics *m)
{
  cairo_font_extents_t fe;
  cairo_text_extents_t te;

  use_font (cr, role);
  cairo_font_extents (cr, &fe);
  cairo_text_extents (cr, "H", &te);
  m->ascent = fe.ascent;
  m->descent = fe.descent;
  m->cap = -te.y_bearing;
}

/* Valid UTF-8 without control characters, shortened with "…" to fit @max_w (if > 0). */
static char *
fit_text (cairo_t    *cr,
          const char *s,
          double      max_w)
{
  g_autofree char *valid = g_utf8_make_valid (s, -1);
  glong n;

  for (char *c = valid; *c != '\0'; c++)
    if ((guchar) *c < 0x20 || *c == 0x7f)
      *c = ' ';
  if (max_w <= 0.0 || text_width (cr, valid) <= max_w)
    return g_steal_pointer (&valid);

  n = g_utf8_strlen (valid, -1);
  for (glong k = n - 1; k > 0; k--)
    {
      const char *end = g_utf8_offset_to_pointer (valid, k);
      g_autofree char *head = g_strndup (valid, end - valid);
      g_autofree char *t = g_strconcat (g_strchomp (head), "…", NULL);

      if (text_width (cr, t) <= max_w)
        return g_steal_pointer (&t);
    }
  return g_strdup ("…");
}

/* ------------------------------------------------------------------ ticks */

/* A step of 1, 2, 2.5 or 5 × 10^k giving at most @max_ticks ticks over @range. */
static double
nice_step (double range,
           int    max_ticks)
{
  static const double mult[] = { 1.0, 2.0, 2.5, 5.0, 10.0 };
  double raw = range / MAX (1, max_ticks - 1);
  double mag = pow (10.0, floor (log10 (raw)));

  for (guint i = 0; i < G_N_ELEMENTS (mult); i++)
    if (mult[i] * mag >= raw * (1.0 - 1e-9))
      return mult[i] * mag;
  return 10.0 * mag;
}

/* How many decimals show multiples of @step exactly (0.25 → 2, 5 → 0). */
static int
decimals_for (double step)
{
  for (int d = 0; d <= 12; d++)
    {
      double x = step * pow (10.0, d);

      if (fabs (x - round (x)) < 1e-6 * x)
        return d;
    }
  return 12;
}

/* Tick labels: fixed-point in the C locale ("0.25"), or m×10ⁿ with a shared
 * exponent when @exponent is not 0 ("2.5×10⁶"); a typographic minus sign; no "-0". */
static char *
format_tick (double v,
             int    decimals,
             int    exponent)
{
  static const char *const sup[] = { "⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹" };
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *fmt = g_strdup_printf ("%%.%df", decimals);
  const char *num;
  gboolean zero = TRUE;
  GString *out = g_string_new (NULL);

  num = g_ascii_formatd (buf, sizeof buf, fmt, exponent != 0 ? v / pow (10.0, exponent) : v);
  for (const char *c = num; *c != '\0'; c++)
    if (*c >= '1' && *c <= '9')
      zero = FALSE;
  if (zero)
    {
      g_string_append (out, "0");
      if (decimals > 0 && exponent == 0)
        {
          g_string_append_c (out, '.');
          for (int d = 0; d < decimals; d++)
            g_string_append_c (out, '0');
        }
      return g_string_free (out, FALSE);
    }
  if (num[0] == '-')
    {
      g_string_append (out, "−");   /* U+2212 MINUS SIGN */
      num++;
    }
  g_string_append (out, num);
  if (exponent != 0)
    {
      char digits[16];

      g_string_append (out, "×10");
      if (exponent < 0)
        g_string_append (out, "⁻");
      g_snprintf (digits, sizeof digits, "%d", ABS (exponent));
      for (const char *c = digits; *c != '\0'; c++)
        g_string_append (out, sup[*c - '0']);
    }
  return g_string_free (out, FALSE);
}

typedef struct
{
  double value;
  char  *label;
} Tick;

static void
tick_clear (Tick *t)
{
  g_free (t->label);
}

/* Exponent of the shared ×10ⁿ for labels of magnitude up to @amax, or 0 for
 * plain numbers (from 0.001 to 99999). */
static int
tick_exponent (double amax)
{
  if (amax >= 1e5 || (amax > 0.0 && amax < 1e-3))
    return (int) floor (log10 (amax));
  return 0;
}

static GArray *
make_ticks (double lo,
            double hi,
            double length_pt)
{
  GArray *ticks = g_array_new (FALSE, FALSE, sizeof (Tick));
  int max_ticks = CLAMP ((int) floor (length_pt / 22.0) + 1, 2, 8);
  double range = hi - lo;
  guint want = (lo < 0.0 && hi > 0.0 && fabs (lo + hi) < 1e-9 * range) ? 3 : 2;

  g_array_set_clear_func (ticks, (GDestroyNotify) tick_clear);
  if (!(range > 0.0) || !isfinite (range))
    return ticks;

  /* Fewer ticks than asked may fall inside the range: allow more until there are
   * at least two (three, zero included, on a symmetric scale). */
  for (int mt = max_ticks; mt <= max_ticks + 6 && ticks->len < want; mt++)
    {
      double step = nice_step (range, mt);
      double first = ceil (lo / step - 1e-9), last = floor (hi / step + 1e-9);
      int exponent, decimals;

      g_array_set_size (ticks, 0);
      if (last - first > 64)
        continue;
      exponent = tick_exponent (MAX (fabs (first * step), fabs (last * step)));
      decimals = decimals_for (step / pow (10.0, exponent));
      for (double k = first; k <= last; k += 1.0)
        {
          Tick t = { k * step, NULL };

          if (fabs (t.value) < 1e-9 * step)
            t.value = 0.0;
          t.label = format_tick (t.value, decimals, exponent);
          g_array_append_val (ticks, t);
        }
    }
  if (ticks->len < 2)
    {
      /* the ends, to three significant digits */
      int exponent = tick_exponent (MAX (fabs (lo), fabs (hi)));
      double amax = MAX (fabs (lo), fabs (hi)) / pow (10.0, exponent);
      int decimals = CLAMP (2 - (int) floor (log10 (amax)), 0, 6);
      Tick a = { lo, format_tick (lo, decimals, exponent) };
      Tick b = { hi, format_tick (hi, decimals, exponent) };

      g_array_set_size (ticks, 0);
      g_array_append_val (ticks, a);
      g_array_append_val (ticks, b);
    }
  return ticks;
}

/* ------------------------------------------------------------------ layout */

#define MARGIN          6.0    /* around everything */
#define TITLE_GAP       5.0    /* below the figure title */
#define PANEL_TITLE_GAP 2.0    /* between a panel title's descent and its panel */
#define HGAP            5.0    /* between panel columns */
#define VGAP            5.0    /* between panel rows */
#define LABEL_GAP       5.0    /* between row labels and panels */
#define LABEL_MAX_W   150.0    /* longer row labels are shortened */
#define CBAR_GAP       10.0    /* between the panel grid and the colour bar */
#define CBAR_W          7.0
#define CBAR_MAX_LEN  144.0    /* unless one panel row is taller */
#define CBAR_MIN_LEN   36.0
#define TICK_LEN        2.5
#define TICK_PAD        1.5
#define CBAR_LABEL_GAP  4.0
#define LEGEND_GAP      7.0    /* between the colour bar and the NaN legend */
#define LINE_W          0.5
#define HATCH_STEP      1.6
#define HATCH_W         0.35
#define EMBED_MIN_PX   512   /* vector targets: heatmaps at least this many image pixels */

typedef struct
{
  int       n_rows, n_cols;
  Scale     scale;
  double    width, height;
  /* title */
  char     *title;
  double    title_x, title_y;
  /* row labels: right-aligned at label_right, baselines label_y[i] */
  char    **row_labels;        /* n_rows, or NULL */
  double    label_right;
  double   *label_y;
  /* panels: rect[4 p .. 4 p + 3], titles and their baselines */
  double   *rect;
  char    **panel_titles;
  double   *title_base;
  gboolean *has_image;
  /* colour bar: the gradient between grad_top and grad_bottom, triangles beyond */
  double    bar_x, grad_top, grad_bottom, tri;
  gboolean  ext_low, ext_high;
  GArray   *ticks;
  double    tick_text_x, tick_cap;
  char     *bar_label;
  double    bar_label_x, bar_label_y;   /* baseline centre before rotation */
  /* NaN legend */
  gboolean  show_nan;
  double    nan_x, nan_y, nan_text_x, nan_text_y;
} Layout;

static void
layout_clear (Layout *L)
{
  g_free (L->title);
  if (L->row_labels != NULL)
    g_strfreev (L->row_labels);
  g_free (L->label_y);
  g_free (L->rect);
  if (L->panel_titles != NULL)
    for (int p = 0; p < L->n_rows * L->n_cols; p++)
      g_free (L->panel_titles[p]);
  g_free (L->panel_titles);
  g_free (L->title_base);
  g_free (L->has_image);
  if (L->ticks != NULL)
    g_array_unref (L->ticks);
  g_free (L->bar_label);
  memset (L, 0, sizeof *L);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Layout, layout_clear)

static double
panel_size (const GmFigure *fig)
{
  double s = fig->panel_size_pt;

  if (!(s > 0.0) || !isfinite (s))
    s = 72.0;
  return MIN (s, 14400.0);
}

/* A scratch context for measuring text: the same on every target. */
static cairo_t *
measure_context (void)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_A8, 1, 1);
  cairo_t *cr = cairo_create (s);

  cairo_surface_destroy (s);
  set_font_options (cr);
  return cr;
}

/* Fills @L; FALSE (and an empty layout) when the figure has no valid shape. */
static gboolean
compute_layout (const GmFigure *fig,
                Layout         *L)
{
  cairo_t *cr;
  double psize = panel_size (fig);
  int nr, nc;
  g_autofree double *col_x = NULL, *col_w = NULL, *row_y = NULL, *row_h = NULL;
  g_autofree double *band = NULL;
  FontMetrics fm_title, fm_ptitle, fm_label, fm_tick, fm_blabel, fm_legend;
  double y, x, grid_left, grid_right, panels_top, panels_bottom, avail;
  double bar_len, block, legend_h, bar_top, side_right, side_bottom;
  double max_tick_w = 0.0, label_w = 0.0;

  memset (L, 0, sizeof *L);
  if (!figure_shape_ok (fig))
    return FALSE;

  nr = L->n_rows = fig->n_rows;
  nc = L->n_cols = fig->n_cols;
  compute_scale (fig, &L->scale);

  cr = measure_context ();
  font_metrics (cr, FONT_TITLE, &fm_title);
  font_metrics (cr, FONT_PANEL_TITLE, &fm_ptitle);
  font_metrics (cr, FONT_ROW_LABEL, &fm_label);
  font_metrics (cr, FONT_TICK, &fm_tick);
  font_metrics (cr, FONT_CBAR_LABEL, &fm_blabel);
  font_metrics (cr, FONT_LEGEND, &fm_legend);

  col_x = g_new0 (double, nc);
  col_w = g_new0 (double, nc);
  row_y = g_new0 (double, nr);
  row_h = g_new0 (double, nr);
  band = g_new0 (double, nr);
  L->rect = g_new0 (double, 4 * (size_t) nr * nc);
  L->panel_titles = g_new0 (char *, (size_t) nr * nc);
  L->title_base = g_new0 (double, (size_t) nr * nc);
  L->has_image = g_new0 (gboolean, (size_t) nr * nc);
  L->label_y = g_new0 (double, nr);

  /* Panel sizes: the longer side is psize; columns and rows take the largest. */
  for (int i = 0; i < nr; i++)
    for (int j = 0; j < nc; j++)
      {
        const GmPanel *p = &fig->panels[i * nc + j];
        double *r = &L->rect[4 * (i * nc + j)];

        if (!panel_has_image (p))
          continue;
        L->has_image[i * nc + j] = TRUE;
        r[2] = psize * p->cols / MAX (p->rows, p->cols);
        r[3] = psize * p->rows / MAX (p->rows, p->cols);
        col_w[j] = MAX (col_w[j], r[2]);
        row_h[i] = MAX (row_h[i], r[3]);
      }
  for (int j = 0; j < nc; j++)
    if (col_w[j] == 0.0)
      col_w[j] = psize;
  for (int i = 0; i < nr; i++)
    if (row_h[i] == 0.0)
      row_h[i] = psize;

  /* Panel titles are shortened to their column's width. */
  use_font (cr, FONT_PANEL_TITLE);
  for (int p = 0; p < nr * nc; p++)
    {
      const char *t = fig->panels[p].title;

      if (t != NULL && *t != '\0')
        {
          L->panel_titles[p] = fit_text (cr, t, col_w[p % nc]);
          band[p / nc] = fm_ptitle.ascent + fm_ptitle.descent + PANEL_TITLE_GAP;
        }
    }

  /* Row labels */
  if (fig->row_labels != NULL)
    {
      use_font (cr, FONT_ROW_LABEL);
      L->row_labels = g_new0 (char *, nr + 1);
      for (int i = 0; i < nr; i++)
        {
          L->row_labels[i] = fit_text (cr, fig->row_labels[i] ? fig->row_labels[i] : "", LABEL_MAX_W);
          label_w = MAX (label_w, text_width (cr, L->row_labels[i]));
        }
    }

  /* Vertical: title, then rows of (title band, panels). */
  y = MARGIN;
  if (fig->title != NULL && *fig->title != '\0')
    {
      use_font (cr, FONT_TITLE);
      L->title = fit_text (cr, fig->title, 0.0);
      L->title_y = y + fm_title.ascent;
      y += fm_title.ascent + fm_title.descent + TITLE_GAP;
    }
  for (int i = 0; i < nr; i++)
    {
      row_y[i] = y + band[i];
      y = row_y[i] + row_h[i] + VGAP;
    }
  panels_top = row_y[0];
  panels_bottom = row_y[nr - 1] + row_h[nr - 1];

  /* Horizontal: labels, then columns. */
  x = MARGIN;
  if (label_w > 0.0)
    {
      L->label_right = MARGIN + label_w;
      x = L->label_right + LABEL_GAP;
    }
  grid_left = x;
  for (int j = 0; j < nc; j++)
    {
      col_x[j] = x;
      x += col_w[j] + (j + 1 < nc ? HGAP : 0.0);
    }
  grid_right = x;

  for (int i = 0; i < nr; i++)
    {
      L->label_y[i] = row_y[i] + row_h[i] / 2.0 + fm_label.cap / 2.0;
      for (int j = 0; j < nc; j++)
        {
          int p = i * nc + j;
          double *r = &L->rect[4 * p];

          if (L->has_image[p])
            {
              r[0] = col_x[j] + (col_w[j] - r[2]) / 2.0;
              r[1] = row_y[i] + (row_h[i] - r[3]) / 2.0;
            }
          else
            {
              r[0] = col_x[j];
              r[1] = row_y[i];
              r[2] = col_w[j];
              r[3] = row_h[i];
            }
          /* titles sit on top of the row's tallest panel */
          L->title_base[p] = row_y[i] - PANEL_TITLE_GAP - fm_ptitle.descent;
        }
    }

  /* Colour bar (with its NaN legend) centred on the panel rows. */
  L->show_nan = L->scale.has_nan;
  legend_h = L->show_nan ? LEGEND_GAP + CBAR_W : 0.0;
  avail = panels_bottom - panels_top;
  bar_len = MIN (avail - legend_h, MAX (CBAR_MAX_LEN, row_h[0]));
  bar_len = MAX (bar_len, CBAR_MIN_LEN);
  block = bar_len + legend_h;
  bar_top = panels_top + MAX (0.0, (avail - block) / 2.0);
  L->bar_x = grid_right + CBAR_GAP;

  L->ext_low = L->scale.has_data && L->scale.dmin < L->scale.lo - 1e-9 * (L->scale.hi - L->scale.lo);
  L->ext_high = L->scale.has_data && L->scale.dmax > L->scale.hi + 1e-9 * (L->scale.hi - L->scale.lo);
  L->tri = CBAR_W * 0.9;
  L->grad_top = bar_top + (L->ext_high ? L->tri : 0.0);
  L->grad_bottom = bar_top + bar_len - (L->ext_low ? L->tri : 0.0);

  L->ticks = make_ticks (L->scale.lo, L->scale.hi, L->grad_bottom - L->grad_top);
  use_font (cr, FONT_TICK);
  for (guint k = 0; k < L->ticks->len; k++)
    max_tick_w = MAX (max_tick_w, text_width (cr, g_array_index (L->ticks, Tick, k).label));
  L->tick_text_x = L->bar_x + CBAR_W + TICK_LEN + TICK_PAD;
  L->tick_cap = fm_tick.cap;
  side_right = L->tick_text_x + max_tick_w;
  side_bottom = bar_top + bar_len + fm_tick.cap / 2.0;

  if (fig->colorbar_label != NULL && *fig->colorbar_label != '\0')
    {
      /* Centred on the bar.  A label longer than a small figure is tall slides
       * down from the top margin (the figure grows) rather than being cut,
       * up to twice the panels' height. */
      use_font (cr, FONT_CBAR_LABEL);
      L->bar_label = fit_text (cr, fig->colorbar_label, MAX (bar_len, 2.0 * avail));
      L->bar_label_y = MAX (bar_top + bar_len / 2.0, MARGIN + text_width (cr, L->bar_label) / 2.0);
      L->bar_label_x = side_right + CBAR_LABEL_GAP + fm_blabel.ascent;
      side_right = L->bar_label_x + fm_blabel.descent;
      side_bottom = MAX (side_bottom, L->bar_label_y + text_width (cr, L->bar_label) / 2.0);
    }

  if (L->show_nan)
    {
      use_font (cr, FONT_LEGEND);
      L->nan_x = L->bar_x;
      L->nan_y = bar_top + bar_len + LEGEND_GAP;
      L->nan_text_x = L->nan_x + CBAR_W + 3.0;
      L->nan_text_y = L->nan_y + CBAR_W / 2.0 + fm_legend.cap / 2.0;
      side_right = MAX (side_right, L->nan_text_x + text_width (cr, "no gene"));
      side_bottom = MAX (side_bottom, L->nan_y + CBAR_W);
    }

  L->width = side_right + MARGIN;
  if (L->title != NULL)
    {
      double tw;

      use_font (cr, FONT_TITLE);
      tw = text_width (cr, L->title);
      L->title_x = MAX (MARGIN, (grid_left + grid_right) / 2.0 - tw / 2.0);
      L->width = MAX (L->width, L->title_x + tw + MARGIN);
    }
  L->height = MAX (panels_bottom, side_bottom) + MARGIN;

  cairo_destroy (cr);
  return TRUE;
}

void
gm_figure_get_size (const GmFigure *fig,
                    double         *width_pt,
                    double         *height_pt)
{
  g_auto(Layout) L = { 0 };

  g_return_if_fail (fig != NULL);
  compute_layout (fig, &L);
  if (width_pt != NULL)
    *width_pt = L.width;
  if (height_pt != NULL)
    *height_pt = L.height;
}

gboolean
gm_figure_get_panel_rect (const GmFigure *fig,
                          int             row,
                          int             col,
                          double          rect[4])
{
  g_auto(Layout) L = { 0 };
  int p;

  g_return_val_if_fail (fig != NULL && rect != NULL, FALSE);
  if (!compute_layout (fig, &L) || row < 0 || col < 0 || row >= L.n_rows || col >= L.n_cols)
    return FALSE;
  p = row * L.n_cols + col;
  if (!L.has_image[p])
    return FALSE;
  memcpy (rect, &L.rect[4 * p], 4 * sizeof (double));
  return TRUE;
}

/* ------------------------------------------------------------------ drawing */

static void
set_argb (cairo_t *cr,
          guint32  argb)
{
  cairo_set_source_rgb (cr, ((argb >> 16) & 0xff) / 255.0, ((argb >> 8) & 0xff) / 255.0,
                        (argb & 0xff) / 255.0);
}

static void
set_ink (cairo_t *cr)
{
  cairo_set_source_rgb (cr, 0.0, 0.0, 0.0);
}

/* How many image pixels per GenoMap pixel (see the top of the file). */
static int
embed_factor (cairo_t       *cr,
              const GmPanel *p)
{
  cairo_surface_type_t t = cairo_surface_get_type (cairo_get_target (cr));
  int m = MAX (p->rows, p->cols);
  int k;

  if (t != CAIRO_SURFACE_TYPE_PDF && t != CAIRO_SURFACE_TYPE_SVG && t != CAIRO_SURFACE_TYPE_PS)
    return 1;
  k = (EMBED_MIN_PX + m - 1) / m;
  k = CLAMP (k, 1, 64);
  while (k > 1 && (gint64) m * k > 4096)
    k--;
  return k;
}

static cairo_surface_t *
panel_surface (const GmPanel *p,
               GmColormap     cmap,
               const Scale   *sc,
               int            k)
{
  cairo_surface_t *s;
  g_autofree guint32 *px = NULL;
  guint8 *data;
  int stride;

  s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, p->cols * k, p->rows * k);
  if (cairo_surface_status (s) != CAIRO_STATUS_SUCCESS)
    return s;
  px = g_new (guint32, (size_t) p->rows * p->cols);
  gm_colorize (p->values, p->rows, p->cols, cmap, sc->lo, sc->hi, gm_colormap_nan_argb (cmap), px);

  cairo_surface_flush (s);
  data = cairo_image_surface_get_data (s);
  stride = cairo_image_surface_get_stride (s);
  for (int i = 0; i < p->rows; i++)
    {
      guint32 *line = (guint32 *) (gpointer) (data + (size_t) (i * k) * stride);
      const guint32 *src = px + (size_t) i * p->cols;

      for (int j = 0; j < p->cols; j++)
        for (int u = 0; u < k; u++)
          line[j * k + u] = src[j];
      for (int v = 1; v < k; v++)
        memcpy (data + (size_t) (i * k + v) * stride, line, (size_t) p->cols * k * 4);
    }
  cairo_surface_mark_dirty (s);
  return s;
}

static void
hatch (cairo_t *cr,
       double   x,
       double   y,
       double   w,
       double   h)
{
  /* 45° lines X + Y = c, with c on multiples of the step so that neighbouring
   * cells and panels line up; the caller clips. */
  double c0 = floor ((x + y) / HATCH_STEP) * HATCH_STEP;

  cairo_set_line_width (cr, HATCH_W);
  cairo_set_source_rgb (cr, 0x4a / 255.0, 0x7f / 255.0, 0xb0 / 255.0);
  for (double c = c0; c <= x + w + y + h + HATCH_STEP; c += HATCH_STEP)
    {
      cairo_move_to (cr, c - (y + h), y + h);
      cairo_line_to (cr, c - y, y);
    }
  cairo_stroke (cr);
}

static void
draw_nan_hatch (cairo_t       *cr,
                const GmPanel *p,
                const double   r[4])
{
  double pw = r[2] / p->cols, ph = r[3] / p->rows;
  gboolean any = FALSE;

  cairo_save (cr);
  cairo_new_path (cr);
  for (int i = 0; i < p->rows; i++)
    {
      const float *row = p->values + (size_t) i * p->cols;

      for (int j = 0; j < p->cols;)
        {
          int j0;

          if (!isnan (row[j]))
            {
              j++;
              continue;
            }
          for (j0 = j; j < p->cols && isnan (row[j]); j++)
            ;
          cairo_rectangle (cr, r[0] + j0 * pw, r[1] + i * ph, (j - j0) * pw, ph);
          any = TRUE;
        }
    }
  if (any)
    {
      cairo_clip (cr);
      hatch (cr, r[0], r[1], r[2], r[3]);
    }
  cairo_new_path (cr);
  cairo_restore (cr);
}

static void
draw_panel (cairo_t        *cr,
            const GmFigure *fig,
            const Layout   *L,
            int             idx)
{
  const GmPanel *p = &fig->panels[idx];
  const double *r = &L->rect[4 * idx];
  cairo_surface_t *img;
  int k = embed_factor (cr, p);

  img = panel_surface (p, fig->colormap, &L->scale, k);
  if (cairo_surface_status (img) == CAIRO_STATUS_SUCCESS)
    {
      cairo_save (cr);
      cairo_rectangle (cr, r[0], r[1], r[2], r[3]);
      cairo_clip (cr);
      cairo_translate (cr, r[0], r[1]);
      cairo_scale (cr, r[2] / (p->cols * k), r[3] / (p->rows * k));
      cairo_set_source_surface (cr, img, 0, 0);
      cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
      cairo_paint (cr);
      cairo_restore (cr);
    }
  cairo_surface_destroy (img);

  if (fig->colormap == GM_COLORMAP_GREY && L->scale.has_nan)
    draw_nan_hatch (cr, p, r);

  /* frame, outside the pixels */
  cairo_set_line_width (cr, LINE_W);
  cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
  cairo_rectangle (cr, r[0] - LINE_W / 2, r[1] - LINE_W / 2, r[2] + LINE_W, r[3] + LINE_W);
  cairo_stroke (cr);
}

static void
draw_colorbar (cairo_t        *cr,
               const GmFigure *fig,
               const Layout   *L)
{
  const ColormapInfo *cm = colormap_info (fig->colormap);
  double x = L->bar_x, w = CBAR_W, top = L->grad_top, bot = L->grad_bottom;
  double len = bot - top;
  cairo_pattern_t *grad;

  /* The gradient's stops are the table's entries at the centres of their bins,
   * so the bar shows exactly the colours the heatmaps use. */
  grad = cairo_pattern_create_linear (0, bot, 0, top);
  cairo_pattern_add_color_stop_rgb (grad, 0.0, cm->rgb[0], cm->rgb[1], cm->rgb[2]);
  for (int i = 0; i < GM_COLORMAP_N; i++)
    cairo_pattern_add_color_stop_rgb (grad, (i + 0.5) / GM_COLORMAP_N, cm->rgb[3 * i],
                                      cm->rgb[3 * i + 1], cm->rgb[3 * i + 2]);
  cairo_pattern_add_color_stop_rgb (grad, 1.0, cm->rgb[3 * (GM_COLORMAP_N - 1)],
                                    cm->rgb[3 * (GM_COLORMAP_N - 1) + 1],
                                    cm->rgb[3 * (GM_COLORMAP_N - 1) + 2]);
  cairo_rectangle (cr, x, top, w, len);
  cairo_set_source (cr, grad);
  cairo_fill (cr);
  cairo_pattern_destroy (grad);

  if (L->ext_high)
    {
      set_argb (cr, cm->argb[GM_COLORMAP_N - 1]);
      cairo_move_to (cr, x, top);
      cairo_line_to (cr, x + w / 2, top - L->tri);
      cairo_line_to (cr, x + w, top);
      cairo_close_path (cr);
      cairo_fill (cr);
    }
  if (L->ext_low)
    {
      set_argb (cr, cm->argb[0]);
      cairo_move_to (cr, x, bot);
      cairo_line_to (cr, x + w / 2, bot + L->tri);
      cairo_line_to (cr, x + w, bot);
      cairo_close_path (cr);
      cairo_fill (cr);
    }

  /* outline */
  cairo_move_to (cr, x, bot);
  cairo_line_to (cr, x, top);
  if (L->ext_high)
    cairo_line_to (cr, x + w / 2, top - L->tri);
  cairo_line_to (cr, x + w, top);
  cairo_line_to (cr, x + w, bot);
  if (L->ext_low)
    cairo_line_to (cr, x + w / 2, bot + L->tri);
  cairo_close_path (cr);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_MITER);
  cairo_set_line_width (cr, LINE_W);
  set_ink (cr);
  cairo_stroke (cr);

  /* ticks and their labels */
  use_font (cr, FONT_TICK);
  for (guint k = 0; k < L->ticks->len; k++)
    {
      const Tick *t = &g_array_index (L->ticks, Tick, k);
      double ty = bot - (t->value - L->scale.lo) / (L->scale.hi - L->scale.lo) * len;

      cairo_move_to (cr, x + w, ty);
      cairo_line_to (cr, x + w + TICK_LEN, ty);
      cairo_stroke (cr);
      cairo_move_to (cr, L->tick_text_x, ty + L->tick_cap / 2.0);
      cairo_show_text (cr, t->label);
    }

  if (L->bar_label != NULL)
    {
      use_font (cr, FONT_CBAR_LABEL);
      cairo_save (cr);
      cairo_translate (cr, L->bar_label_x, L->bar_label_y);
      cairo_rotate (cr, -G_PI / 2.0);
      cairo_move_to (cr, -text_width (cr, L->bar_label) / 2.0, 0.0);
      cairo_show_text (cr, L->bar_label);
      cairo_restore (cr);
    }

  if (L->show_nan)
    {
      guint32 nan = cm->nan_argb;

      set_argb (cr, nan);
      cairo_rectangle (cr, L->nan_x, L->nan_y, CBAR_W, CBAR_W);
      cairo_fill (cr);
      if (fig->colormap == GM_COLORMAP_GREY)
        {
          cairo_save (cr);
          cairo_rectangle (cr, L->nan_x, L->nan_y, CBAR_W, CBAR_W);
          cairo_clip (cr);
          hatch (cr, L->nan_x, L->nan_y, CBAR_W, CBAR_W);
          cairo_restore (cr);
        }
      set_ink (cr);
      cairo_set_line_width (cr, LINE_W);
      cairo_rectangle (cr, L->nan_x, L->nan_y, CBAR_W, CBAR_W);
      cairo_stroke (cr);
      use_font (cr, FONT_LEGEND);
      cairo_move_to (cr, L->nan_text_x, L->nan_text_y);
      cairo_show_text (cr, "no gene");
    }
}

static void
draw_layout (const GmFigure *fig,
             const Layout   *L,
             cairo_t        *cr)
{
  cairo_save (cr);
  set_font_options (cr);
  set_ink (cr);

  if (L->title != NULL)
    {
      use_font (cr, FONT_TITLE);
      cairo_move_to (cr, L->title_x, L->title_y);
      cairo_show_text (cr, L->title);
    }

  if (L->row_labels != NULL)
    {
      use_font (cr, FONT_ROW_LABEL);
      for (int i = 0; i < L->n_rows; i++)
        {
          cairo_move_to (cr, L->label_right - text_width (cr, L->row_labels[i]), L->label_y[i]);
          cairo_show_text (cr, L->row_labels[i]);
        }
    }

  for (int p = 0; p < L->n_rows * L->n_cols; p++)
    {
      const double *r = &L->rect[4 * p];

      if (L->panel_titles[p] != NULL)
        {
          set_ink (cr);
          use_font (cr, FONT_PANEL_TITLE);
          cairo_move_to (cr, r[0] + r[2] / 2.0 - text_width (cr, L->panel_titles[p]) / 2.0,
                         L->title_base[p]);
          cairo_show_text (cr, L->panel_titles[p]);
        }
      if (L->has_image[p])
        draw_panel (cr, fig, L, p);
    }

  draw_colorbar (cr, fig, L);
  cairo_restore (cr);
}

void
gm_figure_draw (const GmFigure *fig,
                cairo_t        *cr)
{
  g_auto(Layout) L = { 0 };

  g_return_if_fail (fig != NULL && cr != NULL);
  if (!compute_layout (fig, &L))
    return;
  draw_layout (fig, &L, cr);
}

/* ------------------------------------------------------------------ saving */

typedef enum
{
  KIND_NONE,
  KIND_PNG,
  KIND_SVG,
  KIND_PDF,
} FileKind;

static FileKind
kind_for_path (const char *path)
{
  const char *dot = strrchr (path, '.');
  const char *slash = strrchr (path, '/');

  if (dot == NULL || (slash != NULL && dot < slash))
    return KIND_NONE;
  if (g_ascii_strcasecmp (dot, ".png") == 0)
    return KIND_PNG;
  if (g_ascii_strcasecmp (dot, ".svg") == 0)
    return KIND_SVG;
  if (g_ascii_strcasecmp (dot, ".pdf") == 0)
    return KIND_PDF;
  return KIND_NONE;
}

static gboolean
validate_figure (const GmFigure *fig,
                 const char     *path,
                 GError        **error)
{
  if (!figure_shape_ok (fig))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE,
                   "%s: the figure needs 1 to 10000 rows and columns of panels (100000 in all)", path);
      return FALSE;
    }
  for (int p = 0; p < fig->n_rows * fig->n_cols; p++)
    {
      const GmPanel *panel = &fig->panels[p];

      if (panel->values == NULL)
        continue;
      if (panel->rows <= 0 || panel->cols <= 0 || panel->rows > 4096 || panel->cols > 4096)
        {
          g_set_error (error, GM_ERROR, GM_ERROR_USAGE,
                       "%s: panel %d (row %d, column %d) is %d × %d pixels (1 to 4096 each way)", path, p + 1,
                       p / fig->n_cols + 1, p % fig->n_cols + 1, panel->rows, panel->cols);
          return FALSE;
        }
    }
  return TRUE;
}

typedef struct
{
  FILE *fp;
  int   err;
} Sink;

static cairo_status_t
sink_write (void                *closure,
            const unsigned char *data,
            unsigned int         length)
{
  Sink *s = closure;

  if (s->err != 0)
    return CAIRO_STATUS_WRITE_ERROR;
  errno = 0;
  if (length > 0 && fwrite (data, 1, length, s->fp) != length)
    {
      s->err = errno != 0 ? errno : EIO;
      return CAIRO_STATUS_WRITE_ERROR;
    }
  return CAIRO_STATUS_SUCCESS;
}

static cairo_status_t
bytes_write (void                *closure,
             const unsigned char *data,
             unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static void
put_be32 (guint8 *p,
          guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

/* Inserts a pHYs chunk (pixels per metre) right after IHDR: cairo writes none. */
static void
png_add_phys (GByteArray *png,
              double      dpi)
{
  static const guint8 sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  guint8 chunk[21];
  guint32 ppm = (guint32) floor (dpi / 0.0254 + 0.5);
  const guint ihdr_end = 8 + 8 + 13 + 4;

  if (png->len < ihdr_end || memcmp (png->data, sig, 8) != 0 || memcmp (png->data + 12, "IHDR", 4) != 0)
    return;
  put_be32 (chunk, 9);
  memcpy (chunk + 4, "pHYs", 4);
  put_be32 (chunk + 8, ppm);
  put_be32 (chunk + 12, ppm);
  chunk[16] = 1;   /* unit: metre */
  put_be32 (chunk + 17, (guint32) crc32 (crc32 (0L, Z_NULL, 0), chunk + 4, 13));
  g_byte_array_set_size (png, png->len + sizeof chunk);
  memmove (png->data + ihdr_end + sizeof chunk, png->data + ihdr_end, png->len - sizeof chunk - ihdr_end);
  memcpy (png->data + ihdr_end, chunk, sizeof chunk);
}

static void
paint_white (cairo_t *cr,
             double   w,
             double   h)
{
  cairo_save (cr);
  cairo_set_source_rgb (cr, 1.0, 1.0, 1.0);
  cairo_rectangle (cr, 0, 0, w, h);
  cairo_fill (cr);
  cairo_restore (cr);
}

static gboolean
cairo_failed (cairo_status_t  status,
              const char     *path,
              const Sink     *sink,
              GError        **error)
{
  if (sink != NULL && sink->err != 0)
    g_set_error (error, GM_ERROR, GM_ERROR_WRITE, "%s: %s", path, g_strerror (sink->err));
  else
    g_set_error (error, GM_ERROR, GM_ERROR_WRITE, "%s: cairo: %s", path,
                 cairo_status_to_string (status));
  return FALSE;
}

static gboolean
write_png (const GmFigure *fig,
           const Layout   *L,
           double          dpi,
           Sink           *sink,
           const char     *path,
           GError        **error)
{
  double s = dpi / 72.0;
  int w = (int) ceil (L->width * s - 1e-6), h = (int) ceil (L->height * s - 1e-6);
  cairo_surface_t *surface;
  cairo_t *cr;
  cairo_status_t status;
  g_autoptr(GByteArray) png = NULL;

  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1.0, 1.0, 1.0);   /* all of it: the last pixels are partial */
  cairo_paint (cr);
  cairo_scale (cr, s, s);
  draw_layout (fig, L, cr);
  status = cairo_status (cr);
  cairo_destroy (cr);
  if (status == CAIRO_STATUS_SUCCESS)
    {
      png = g_byte_array_new ();
      status = cairo_surface_write_to_png_stream (surface, bytes_write, png);
    }
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    return cairo_failed (status, path, NULL, error);

  png_add_phys (png, dpi);
  if (sink_write (sink, png->data, png->len) != CAIRO_STATUS_SUCCESS)
    return cairo_failed (CAIRO_STATUS_WRITE_ERROR, path, sink, error);
  return TRUE;
}

static gboolean
write_vector (const GmFigure *fig,
              const Layout   *L,
              FileKind        kind,
              Sink           *sink,
              const char     *path,
              GError        **error)
{
  cairo_surface_t *surface;
  cairo_t *cr;
  cairo_status_t status;

  if (kind == KIND_PDF)
    {
      const char *epoch = g_getenv ("SOURCE_DATE_EPOCH");

      surface = cairo_pdf_surface_create_for_stream (sink_write, sink, L->width, L->height);
      cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR,
                                      "GenoMap Studio " PACKAGE_VERSION);
      if (L->title != NULL)
        cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, L->title);
      if (epoch != NULL && *epoch != '\0')
        {
          g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (g_ascii_strtoll (epoch, NULL, 10));
          if (dt != NULL)
            {
              g_autofree char *iso = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
              cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATE_DATE, iso);
            }
        }
    }
  else
    {
      surface = cairo_svg_surface_create_for_stream (sink_write, sink, L->width, L->height);
      cairo_svg_surface_restrict_to_version (surface, CAIRO_SVG_VERSION_1_1);
      cairo_svg_surface_set_document_unit (surface, CAIRO_SVG_UNIT_PT);
    }

  cr = cairo_create (surface);
  paint_white (cr, L->width, L->height);
  draw_layout (fig, L, cr);
  status = cairo_status (cr);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS || sink->err != 0)
    return cairo_failed (status, path, sink, error);
  return TRUE;
}

gboolean
gm_figure_save (const GmFigure *fig,
                const char     *path,
                double          dpi,
                GError        **error)
{
  g_auto(Layout) L = { 0 };
  GmOutput out;
  FileKind kind;
  Sink sink = { NULL, 0 };
  gboolean ok;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (path == NULL || *path == '\0')
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE, "no output path given for the figure");
      return FALSE;
    }
  kind = kind_for_path (path);
  if (kind == KIND_NONE)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE,
                   "%s: unknown figure format (the name must end in .png, .svg or .pdf)", path);
      return FALSE;
    }
  if (!validate_figure (fig, path, error))
    return FALSE;
  if (kind == KIND_PNG)
    {
      if (!(dpi > 0.0))
        dpi = 300.0;
      if (!isfinite (dpi) || dpi > 9600.0)
        {
          g_set_error (error, GM_ERROR, GM_ERROR_USAGE, "%s: %g dpi is out of range", path, dpi);
          return FALSE;
        }
    }

  compute_layout (fig, &L);
  if (kind == KIND_PNG && (L.width * dpi / 72.0 > 32767.0 || L.height * dpi / 72.0 > 32767.0))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE,
                   "%s: %.0f × %.0f pt at %g dpi is larger than 32767 pixels; lower the dpi",
                   path, L.width, L.height, dpi);
      return FALSE;
    }

  if (!gm_output_begin (&out, path, FALSE, error))
    return FALSE;
  sink.fp = g_fopen (out.tmp_path, "wbx");
  if (sink.fp == NULL)
    {
      int saved = errno;
      g_set_error (error, GM_ERROR, GM_ERROR_WRITE, "%s: cannot create %s: %s", path,
                   out.tmp_path, g_strerror (saved));
      gm_output_abort (&out);
      return FALSE;
    }

  if (kind == KIND_PNG)
    ok = write_png (fig, &L, dpi, &sink, path, error);
  else
    ok = write_vector (fig, &L, kind, &sink, path, error);

  if (fflush (sink.fp) != 0 && ok)
    {
      int saved = errno;
      g_set_error (error, GM_ERROR, GM_ERROR_WRITE, "%s: %s", path, g_strerror (saved));
      ok = FALSE;
    }
  if (fclose (sink.fp) != 0 && ok)
    {
      int saved = errno;
      g_set_error (error, GM_ERROR, GM_ERROR_WRITE, "%s: %s", path, g_strerror (saved));
      ok = FALSE;
    }
  if (!ok)
    {
      gm_output_abort (&out);
      return FALSE;
    }
  return gm_output_commit (&out, error);
}
