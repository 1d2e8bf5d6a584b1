/* test-render.c — colormaps, scales, layout and the PNG/SVG/PDF figures of gm-render
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Golden images (tests/data/golden/NAME.png, GOLDEN_DPI) and their tolerances:
 *   - every GenoMap pixel's centre, in every output (PNG, and the rasterised PDF and
 *     SVG), must have exactly the colour gm_colorize() gives it (≤ 2 per channel):
 *     this check needs no golden image and does not depend on fonts;
 *   - heatmap regions against the golden image (strict): at most 0.5 % of their output
 *     pixels may differ by more than 2 per channel (a GenoMap pixel boundary landing
 *     one output pixel over);
 *   - the whole image against the golden image (loose, because text antialiasing
 *     differs across cairo/FreeType versions): each pixel is compared with the range
 *     of the 3 × 3 pixels around it in the other image (see assert_similar); at most
 *     0.2 % of the pixels may fall outside by more than 48 per channel, and the mean
 *     excess must stay ≤ 1 (a missing title or label is ~1–2 % of the pixels);
 *   - the PDF and SVG, rasterised at the same resolution, against the PNG: the same
 *     measure with at most 3 % and a mean ≤ 3, because poppler draws 0.5 pt lines as
 *     solid pixels where cairo antialiases them, and area-averages the heatmap images
 *     (measured on Debian 12: ≤ 1.6 % and ≤ 1.9);
 *   - the golden images were made with the "sans-serif" font whose metrics are
 *     recorded in golden/font.txt; with another font (different advance widths) the
 *     layout legitimately moves, and the golden comparison is skipped.
 * GM_UPDATE_GOLDEN=1 rewrites the golden images and font.txt.
 *
 * The PDF and SVG outputs are rasterised with pdftoppm and rsvg-convert; those cases
 * are skipped only when the tool is not installed (poppler-utils, librsvg2-bin).
 */
#include "config.h"

#include <cairo.h>
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gm-dataset.h"
#include "gm-render.h"
#include "gm-test-truth.h"

#define GOLDEN_DPI 150.0
#define CRISP_DPI  600.0

static char *tmp_dir;

/* ------------------------------------------------------------------ fixtures */

typedef struct
{
  GmFigure    fig;
  GmPanel     panels[8];
  float      *values[8];
  const char *labels[8];
} TestFig;

static void
test_fig_clear (TestFig *t)
{
  for (guint i = 0; i < G_N_ELEMENTS (t->values); i++)
    g_free (t->values[i]);
  memset (t, 0, sizeof *t);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TestFig, test_fig_clear)

static float *
add_panel (TestFig    *t,
           int         idx,
           int         rows,
           int         cols,
           const char *title)
{
  t->values[idx] = g_new0 (float, rows * cols);
  t->panels[idx].values = t->values[idx];
  t->panels[idx].rows = rows;
  t->panels[idx].cols = cols;
  t->panels[idx].title = title;
  return t->values[idx];
}

/* GenoMap style: pixels numbered column-major past @n_genes hold no gene. */
static void
nan_tail (float *v,
          int    rows,
          int    cols,
          int    n_genes)
{
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++)
      if (c * rows + r >= n_genes)
        v[r * cols + c] = NAN;
}

/* A deterministic 9 × 9 map in [0, 5] with NaN pixels; (0,0) = 0 next to (0,1) = 5
 * and (1,0) = 5: two sharp edges between the colormap's ends. */
static void
build_nan9 (TestFig *t)
{
  float *v;

  gm_figure_init (&t->fig);
  v = add_panel (t, 0, 9, 9, NULL);
  for (int r = 0; r < 9; r++)
    for (int c = 0; c < 9; c++)
      v[r * 9 + c] = (float) ((r * 7 + c * 3) % 11) / 2.0f;
  v[0] = 0.0f;
  v[1] = 5.0f;
  v[9] = 5.0f;
  v[4 * 9 + 4] = NAN;
  nan_tail (v, 9, 9, 76);
  t->fig.n_rows = t->fig.n_cols = 1;
  t->fig.panels = t->panels;
  t->fig.title = "A 9 × 9 GenoMap";
  t->fig.colorbar_label = "expression";
}

static void
build_grid (TestFig *t)
{
  static const char *types[] = { "T cells", "B cells", "NK cells" };

  gm_figure_init (&t->fig);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 2; j++)
      {
        float *v = add_panel (t, i * 2 + j, 11, 11, i == 0 ? (j == 0 ? "cell 1" : "cell 2") : NULL);

        for (int r = 0; r < 11; r++)
          for (int c = 0; c < 11; c++)
            {
              double x = (c - 2.0 - 3.0 * i) / 3.0, y = (r - 3.0 - 2.0 * j) / 3.0;
              v[r * 11 + c] = (float) (4.0 * exp (-(x * x + y * y)) + 0.1 * ((r * 5 + c * 3 + i) % 7));
            }
        v[i * 11 + j] = 40.0f;   /* an outlier: clipped away by the 0.99 quantile */
        nan_tail (v, 11, 11, 117);
      }
  for (int i = 0; i < 3; i++)
    t->labels[i] = types[i];
  t->fig.n_rows = 3;
  t->fig.n_cols = 2;
  t->fig.panels = t->panels;
  t->fig.row_labels = t->labels;
  t->fig.title = "Three cell types";
  t->fig.colorbar_label = "log1p(CP10k)";
  t->fig.colormap = GM_COLORMAP_MAGMA;
  t->fig.clip_low = 0.01;
  t->fig.clip_high = 0.99;
}

static void
build_diff (TestFig *t)
{
  gm_figure_init (&t->fig);
  for (int j = 0; j < 2; j++)
    {
      float *v = add_panel (t, j, 15, 15, j == 0 ? "A − B" : "B − C");

      for (int r = 0; r < 15; r++)
        for (int c = 0; c < 15; c++)
          v[r * 15 + c] = (float) ((j == 0 ? 1.5 : -0.8) * sin (r / 3.0) * cos (c / 4.0 + j));
      nan_tail (v, 15, 15, 215);
    }
  t->fig.n_rows = 1;
  t->fig.n_cols = 2;
  t->fig.panels = t->panels;
  t->fig.title = "Difference maps";
  t->fig.colorbar_label = "Δ expression";
  t->fig.colormap = GM_COLORMAP_DIVERGING;
  t->fig.diverging = TRUE;
}

static void
build_grey (TestFig *t)
{
  build_nan9 (t);
  t->fig.title = NULL;
  t->fig.colormap = GM_COLORMAP_GREY;
  t->fig.colorbar_label = NULL;
}

typedef struct
{
  const char *name;
  void      (*build) (TestFig *t);
} Case;

static const Case cases[] = {
  { "nan-9x9", build_nan9 },
  { "grid-3x2", build_grid },
  { "diff", build_diff },
  { "grey-hatch", build_grey },
};

/* ------------------------------------------------------------------ helpers */

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

static gboolean
run_tool (const char *const *argv,
          char              **out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, out, &err,
                     &status, &error))
    {
      g_test_message ("%s: %s", argv[0], error->message);
      return FALSE;
    }
  if (!g_spawn_check_wait_status (status, &error))
    {
      g_test_message ("%s: %s: %s", argv[0], error->message, err ? err : "");
      return FALSE;
    }
  return TRUE;
}

static gboolean
need_tool (const char *tool)
{
  g_autofree char *p = g_find_program_in_path (tool);

  if (p == NULL)
    {
      g_autofree char *msg = g_strdup_printf ("%s is not installed", tool);
      g_test_skip (msg);
      return FALSE;
    }
  return TRUE;
}

static cairo_surface_t *
load_png (const char *path)
{
  cairo_surface_t *s = cairo_image_surface_create_from_png (path);

  if (cairo_surface_status (s) != CAIRO_STATUS_SUCCESS)
    g_error ("%s: %s", path, cairo_status_to_string (cairo_surface_status (s)));
  g_assert_true (cairo_image_surface_get_format (s) == CAIRO_FORMAT_RGB24
                 || cairo_image_surface_get_format (s) == CAIRO_FORMAT_ARGB32);
  cairo_surface_flush (s);
  return s;
}

/* RGB of an opaque pixel (cairo stores premultiplied ARGB; opaque = plain). */
static guint32
pixel (cairo_surface_t *s,
       int              x,
       int              y)
{
  const guint8 *data = cairo_image_surface_get_data (s);
  int stride = cairo_image_surface_get_stride (s);
  guint32 v;

  g_assert_cmpint (x, >=, 0);
  g_assert_cmpint (y, >=, 0);
  g_assert_cmpint (x, <, cairo_image_surface_get_width (s));
  g_assert_cmpint (y, <, cairo_image_surface_get_height (s));
  memcpy (&v, data + (size_t) y * stride + 4 * (size_t) x, 4);
  if (cairo_image_surface_get_format (s) == CAIRO_FORMAT_ARGB32)
    g_assert_cmpuint (v >> 24, ==, 0xff);
  return v & 0xffffff;
}

static int
rgb_diff (guint32 a,
          guint32 b)
{
  int d = 0;

  for (int sh = 0; sh <= 16; sh += 8)
    d = MAX (d, abs ((int) ((a >> sh) & 0xff) - (int) ((b >> sh) & 0xff)));
  return d;
}

/* Every GenoMap pixel's centre in @img (rendered at @dpi) has its gm_colorize() colour.
 * NaN pixels of the grey map are hatched: only checked not to be a map colour there. */
static void
check_pixel_centres (const GmFigure  *fig,
                     cairo_surface_t *img,
                     double           dpi,
                     const char      *what)
{
  double lo, hi, s = dpi / 72.0;
  int checked = 0;

  gm_figure_get_scale (fig, &lo, &hi);
  for (int p = 0; p < fig->n_rows * fig->n_cols; p++)
    {
      const GmPanel *panel = &fig->panels[p];
      double rect[4];
      g_autofree guint32 *want = NULL;

      if (!gm_figure_get_panel_rect (fig, p / fig->n_cols, p % fig->n_cols, rect))
        continue;
      want = g_new (guint32, panel->rows * panel->cols);
      gm_colorize (panel->values, panel->rows, panel->cols, fig->colormap, lo, hi,
                   gm_colormap_nan_argb (fig->colormap), want);
      for (int r = 0; r < panel->rows; r++)
        for (int c = 0; c < panel->cols; c++)
          {
            double x = rect[0] + (c + 0.5) * rect[2] / panel->cols;
            double y = rect[1] + (r + 0.5) * rect[3] / panel->rows;
            guint32 got = pixel (img, (int) floor (x * s), (int) floor (y * s));

            if (fig->colormap == GM_COLORMAP_GREY && isnan (panel->values[r * panel->cols + c]))
              {
                /* hatch over pale blue: blue dominates */
                g_assert_cmpuint (got & 0xff, >, (got >> 16) & 0xff);
                continue;
              }
            if (rgb_diff (got, want[r * panel->cols + c]) > 2)
              g_error ("%s: panel %d pixel (%d, %d): got #%06x, want #%06x", what, p, r, c,
                       got, want[r * panel->cols + c] & 0xffffff);
            checked++;
          }
    }
  g_assert_cmpint (checked, >, 0);
}

typedef struct
{
  guint64 n, n_over;   /* pixels, pixels differing by more than the threshold */
  double  sum;         /* of max-channel differences */
} DiffStats;

static void
diff_region (cairo_surface_t *a,
             cairo_surface_t *b,
             int              x0,
             int              y0,
             int              x1,
             int              y1,
             int              threshold,
             DiffStats       *st)
{
  x1 = MIN (x1, MIN (cairo_image_surface_get_width (a), cairo_image_surface_get_width (b)));
  y1 = MIN (y1, MIN (cairo_image_surface_get_height (a), cairo_image_surface_get_height (b)));
  memset (st, 0, sizeof *st);
  for (int y = MAX (0, y0); y < y1; y++)
    for (int x = MAX (0, x0); x < x1; x++)
      {
        int d = rgb_diff (pixel (a, x, y), pixel (b, x, y));

        st->n++;
        st->sum += d;
        if (d > threshold)
          st->n_over++;
      }
}

/* Whole image, loosely.  A pixel of @b matches when each of its channels lies within
 * the range of the 3 × 3 pixels around the same place in @a: edges that land one
 * output pixel over, and edges that one renderer blends (area-averaging a GenoMap
 * pixel boundary or a glyph) where the other does not, then count as equal.  What
 * remains is a real difference: a missing or moved element, a wrong colour. */
#define SIMILAR_THRESHOLD 48

static void
assert_similar (cairo_surface_t *a,
                cairo_surface_t *b,
                double           max_fraction,
                double           max_mean,
                const char      *what)
{
  int w = MIN (cairo_image_surface_get_width (a), cairo_image_surface_get_width (b));
  int h = MIN (cairo_image_surface_get_height (a), cairo_image_surface_get_height (b));
  guint64 n = 0, n_over = 0;
  double sum = 0.0;

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        guint32 v = pixel (b, x, y);
        int excess = 0;

        for (int sh = 0; sh <= 16; sh += 8)
          {
            int c = (v >> sh) & 0xff, lo = 255, hi = 0;

            for (int dy = -1; dy <= 1; dy++)
              for (int dx = -1; dx <= 1; dx++)
                if (x + dx >= 0 && x + dx < w && y + dy >= 0 && y + dy < h)
                  {
                    int u = (pixel (a, x + dx, y + dy) >> sh) & 0xff;
                    lo = MIN (lo, u);
                    hi = MAX (hi, u);
                  }
            excess = MAX (excess, MAX (lo - c, c - hi));
          }
        n++;
        sum += excess;
        if (excess > SIMILAR_THRESHOLD)
          n_over++;
      }
  g_test_message ("%s: %.3f %% of pixels differ by > %d, mean difference %.3f", what,
                  100.0 * n_over / n, SIMILAR_THRESHOLD, sum / n);
  if (n_over > max_fraction * n || sum / n > max_mean)
    g_error ("%s: images differ: %.3f %% of pixels by > %d, mean %.3f", what,
             100.0 * n_over / n, SIMILAR_THRESHOLD, sum / n);
}

static void
assert_same_size_roughly (cairo_surface_t *a,
                          cairo_surface_t *b,
                          const char      *what)
{
  int dw = cairo_image_surface_get_width (a) - cairo_image_surface_get_width (b);
  int dh = cairo_image_surface_get_height (a) - cairo_image_surface_get_height (b);

  if (ABS (dw) > 1 || ABS (dh) > 1)
    g_error ("%s: %d × %d, expected %d × %d", what, cairo_image_surface_get_width (b),
             cairo_image_surface_get_height (b), cairo_image_surface_get_width (a),
             cairo_image_surface_get_height (a));
}

static char *
save_case (const Case *c,
           TestFig    *t,
           const char *ext,
           double      dpi)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_strdup_printf ("%s.%s", c->name, ext);
  char *path = tmp_path (name);

  c->build (t);
  g_assert_true (gm_figure_save (&t->fig, path, dpi, &error));
  g_assert_no_error (error);
  return path;
}

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

/* The PNG's pHYs chunk, in pixels per metre (0 if none). */
static guint32
png_phys (const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  const guint8 *p;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  p = (const guint8 *) data;
  for (gsize off = 8; off + 12 <= len;)
    {
      guint32 n = read_be32 (p + off);

      if (memcmp (p + off + 4, "pHYs", 4) == 0 && n == 9 && off + 8 + 9 <= len)
        {
          g_assert_cmpuint (read_be32 (p + off + 8), ==, read_be32 (p + off + 12));
          g_assert_cmpuint (p[off + 16], ==, 1);
          return read_be32 (p + off + 8);
        }
      if (memcmp (p + off + 4, "IDAT", 4) == 0)
        break;
      off += 12 + (gsize) n;
    }
  return 0;
}

/* ------------------------------------------------------------------ colormaps */

static guint32
hex_rgb (const char *hex)
{
  g_assert_cmpint (hex[0], ==, '#');
  return (guint32) g_ascii_strtoull (hex + 1, NULL, 16);
}

static guint32
sample_rgb (GmColormap cmap,
            double     t)
{
  double rgb[3];

  gm_colormap_sample (cmap, t, rgb);
  return ((guint32) lround (rgb[0] * 255) << 16) | ((guint32) lround (rgb[1] * 255) << 8)
         | (guint32) lround (rgb[2] * 255);
}

static guint32
colorize_one (GmColormap cmap,
              float      v)
{
  guint32 out;

  gm_colorize (&v, 1, 1, cmap, 0.0, 1.0, 0xff123456, &out);
  return out;
}

static void
test_colormap_values (void)
{
  /* matplotlib.colors.to_hex(cmap(0.0)), cmap(0.5), cmap(1.0) */
  static const struct
  {
    GmColormap  cmap;
    const char *lo, *mid, *hi;
  } known[] = {
    { GM_COLORMAP_VIRIDIS, "#440154", "#21918c", "#fde725" },
    { GM_COLORMAP_MAGMA, "#000004", "#b73779", "#fcfdbf" },
    { GM_COLORMAP_INFERNO, "#000004", "#bc3754", "#fcffa4" },
    { GM_COLORMAP_CIVIDIS, "#00224e", "#7d7c78", "#fee838" },
    { GM_COLORMAP_GREY, "#000000", "#808080", "#ffffff" },
    { GM_COLORMAP_DIVERGING, "#053061", "#f7f6f6", "#67001f" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    {
      GmColormap cm = known[i].cmap;

      g_test_message ("%s", gm_colormap_name (cm));
      /* the continuous sampler at the ends is exact, in the middle it interpolates
       * between entries 127 and 128 */
      g_assert_cmpint (rgb_diff (sample_rgb (cm, 0.0), hex_rgb (known[i].lo)), <=, 1);
      g_assert_cmpint (rgb_diff (sample_rgb (cm, 1.0), hex_rgb (known[i].hi)), <=, 1);
      g_assert_cmpint (rgb_diff (sample_rgb (cm, 0.5), hex_rgb (known[i].mid)), <=, 2);
      /* clamping, NaN */
      g_assert_cmpint (rgb_diff (sample_rgb (cm, -3.0), hex_rgb (known[i].lo)), <=, 1);
      g_assert_cmpint (rgb_diff (sample_rgb (cm, 7.0), hex_rgb (known[i].hi)), <=, 1);
      g_assert_cmpint (rgb_diff (sample_rgb (cm, NAN), hex_rgb (known[i].lo)), <=, 1);
      /* the binned look-up is matplotlib's exactly */
      g_assert_cmphex (colorize_one (cm, 0.0f), ==, 0xff000000 | hex_rgb (known[i].lo));
      g_assert_cmphex (colorize_one (cm, 0.5f), ==, 0xff000000 | hex_rgb (known[i].mid));
      g_assert_cmphex (colorize_one (cm, 1.0f), ==, 0xff000000 | hex_rgb (known[i].hi));
    }

  /* the diverging map: blue below zero, near-white at zero, red above */
  {
    guint32 b = sample_rgb (GM_COLORMAP_DIVERGING, 0.2), w = sample_rgb (GM_COLORMAP_DIVERGING, 0.5);
    guint32 r = sample_rgb (GM_COLORMAP_DIVERGING, 0.8);

    g_assert_cmpuint (b & 0xff, >, b >> 16);
    g_assert_cmpuint (r >> 16, >, r & 0xff);
    for (int sh = 0; sh <= 16; sh += 8)
      g_assert_cmpuint ((w >> sh) & 0xff, >=, 0xf0);
  }
}

static void
test_colormap_names (void)
{
  GmColormap cm;

  for (int i = GM_COLORMAP_VIRIDIS; i <= GM_COLORMAP_DIVERGING; i++)
    {
      g_assert_true (gm_colormap_parse (gm_colormap_name (i), &cm));
      g_assert_cmpint (cm, ==, i);
    }
  g_assert_true (gm_colormap_parse ("Viridis", &cm));
  g_assert_cmpint (cm, ==, GM_COLORMAP_VIRIDIS);
  g_assert_true (gm_colormap_parse ("gray", &cm));
  g_assert_cmpint (cm, ==, GM_COLORMAP_GREY);
  g_assert_true (gm_colormap_parse ("RdBu_r", &cm));
  g_assert_cmpint (cm, ==, GM_COLORMAP_DIVERGING);
  g_assert_false (gm_colormap_parse ("jet", &cm));
  g_assert_false (gm_colormap_parse ("", &cm));
  g_assert_false (gm_colormap_parse (NULL, &cm));
}

/* CIE L*a*b* (D65) of an sRGB colour, for colour distances. */
static void
srgb_to_lab (guint32 rgb,
             double  lab[3])
{
  double lin[3], xyz[3], f[3];
  static const double white[3] = { 0.95047, 1.0, 1.08883 };

  for (int c = 0; c < 3; c++)
    {
      double v = ((rgb >> (16 - 8 * c)) & 0xff) / 255.0;
      lin[c] = v <= 0.04045 ? v / 12.92 : pow ((v + 0.055) / 1.055, 2.4);
    }
  xyz[0] = 0.4124 * lin[0] + 0.3576 * lin[1] + 0.1805 * lin[2];
  xyz[1] = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  xyz[2] = 0.0193 * lin[0] + 0.1192 * lin[1] + 0.9505 * lin[2];
  for (int c = 0; c < 3; c++)
    {
      double t = xyz[c] / white[c];
      f[c] = t > 0.008856 ? cbrt (t) : 7.787 * t + 16.0 / 116.0;
    }
  lab[0] = 116.0 * f[1] - 16.0;
  lab[1] = 500.0 * (f[0] - f[1]);
  lab[2] = 200.0 * (f[1] - f[2]);
}

static void
test_colormap_nan_distinct (void)
{
  for (int cm = GM_COLORMAP_VIRIDIS; cm <= GM_COLORMAP_DIVERGING; cm++)
    {
      guint32 nan = gm_colormap_nan_argb (cm);
      double nl[3], min_de = G_MAXDOUBLE;

      g_assert_cmphex (nan >> 24, ==, 0xff);
      srgb_to_lab (nan & 0xffffff, nl);
      for (int i = 0; i < 256; i++)
        {
          double l[3];

          srgb_to_lab (colorize_one (cm, (i + 0.5f) / 256.0f) & 0xffffff, l);
          min_de = MIN (min_de, sqrt ((l[0] - nl[0]) * (l[0] - nl[0]) + (l[1] - nl[1]) * (l[1] - nl[1])
                                      + (l[2] - nl[2]) * (l[2] - nl[2])));
        }
      g_test_message ("%s: NaN colour #%06x, dE*ab to the nearest map colour %.1f",
                      gm_colormap_name (cm), nan & 0xffffff, min_de);
      g_assert_cmpfloat (min_de, >, 10.0);
    }
}

static void
test_colorize (void)
{
  const float v[] = { NAN, -1.0f, 0.0f, 0.25f, 0.999f, 1.0f, 2.0f, INFINITY, -INFINITY };
  guint32 out[G_N_ELEMENTS (v)];
  guint32 lo = colorize_one (GM_COLORMAP_VIRIDIS, 0.0f), hi = colorize_one (GM_COLORMAP_VIRIDIS, 1.0f);

  gm_colorize (v, 1, G_N_ELEMENTS (v), GM_COLORMAP_VIRIDIS, 0.0, 1.0, 0xffabcdef, out);
  g_assert_cmphex (out[0], ==, 0xffabcdef);
  g_assert_cmphex (out[1], ==, lo);
  g_assert_cmphex (out[2], ==, lo);
  g_assert_cmphex (out[3], ==, 0xff000000 | hex_rgb ("#3b528b"));   /* viridis(0.25) */
  g_assert_cmphex (out[4], ==, hi);
  g_assert_cmphex (out[5], ==, hi);
  g_assert_cmphex (out[6], ==, hi);
  g_assert_cmphex (out[7], ==, hi);
  g_assert_cmphex (out[8], ==, lo);

  /* a degenerate scale gives entry 0, and never undefined behaviour */
  gm_colorize (v, 1, G_N_ELEMENTS (v), GM_COLORMAP_VIRIDIS, 1.0, 1.0, 0xff000000, out);
  for (guint i = 1; i < G_N_ELEMENTS (v); i++)
    g_assert_cmphex (out[i], ==, lo);
  gm_colorize (v, 1, G_N_ELEMENTS (v), GM_COLORMAP_VIRIDIS, NAN, INFINITY, 0xff000000, out);
  for (guint i = 1; i < G_N_ELEMENTS (v); i++)
    g_assert_cmphex (out[i], ==, lo);
}

/* ------------------------------------------------------------------ scale, layout */

static void
test_scale (void)
{
  float v[100];
  GmPanel panels[2] = { { v, 10, 10, NULL }, { NULL, 0, 0, NULL } };
  GmFigure fig;
  double lo, hi;

  for (int i = 0; i < 100; i++)
    v[i] = (float) i;
  gm_figure_init (&fig);
  fig.n_rows = 1;
  fig.n_cols = 2;
  fig.panels = panels;

  gm_figure_get_scale (&fig, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 0.0);
  g_assert_cmpfloat (hi, ==, 99.0);

  /* quantiles as numpy's default (linear) */
  fig.clip_low = 0.01;
  fig.clip_high = 0.99;
  gm_figure_get_scale (&fig, &lo, &hi);
  g_assert_cmpfloat_with_epsilon (lo, 0.99, 1e-9);
  g_assert_cmpfloat_with_epsilon (hi, 98.01, 1e-9);

  /* NaN are ignored; a second panel joins the shared scale */
  v[0] = NAN;
  {
    float w[4] = { -50.0f, NAN, 3.0f, 500.0f };

    panels[1] = (GmPanel) { w, 2, 2, NULL };
    fig.clip_low = 0.0;
    fig.clip_high = 1.0;
    gm_figure_get_scale (&fig, &lo, &hi);
    g_assert_cmpfloat (lo, ==, -50.0);
    g_assert_cmpfloat (hi, ==, 500.0);

    /* diverging: symmetric around zero */
    fig.diverging = TRUE;
    gm_figure_get_scale (&fig, &lo, &hi);
    g_assert_cmpfloat (lo, ==, -500.0);
    g_assert_cmpfloat (hi, ==, 500.0);

    /* a fixed scale overrides clipping; diverging makes it symmetric */
    fig.clip_low = 0.1;
    fig.vmin = -1.0;
    fig.vmax = 3.0;
    gm_figure_get_scale (&fig, &lo, &hi);
    g_assert_cmpfloat (lo, ==, -3.0);
    g_assert_cmpfloat (hi, ==, 3.0);
    fig.diverging = FALSE;
    gm_figure_get_scale (&fig, &lo, &hi);
    g_assert_cmpfloat (lo, ==, -1.0);
    g_assert_cmpfloat (hi, ==, 3.0);
    panels[1] = (GmPanel) { NULL, 0, 0, NULL };
  }

  /* all NaN, constant data */
  fig.vmin = fig.vmax = 0.0;
  fig.clip_low = 0.0;
  for (int i = 0; i < 100; i++)
    v[i] = NAN;
  gm_figure_get_scale (&fig, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 0.0);
  g_assert_cmpfloat (hi, ==, 1.0);
  for (int i = 0; i < 100; i++)
    v[i] = 2.0f;
  gm_figure_get_scale (&fig, &lo, &hi);
  g_assert_cmpfloat (lo, <, 2.0);
  g_assert_cmpfloat (hi, >, 2.0);
}

static void
test_layout (void)
{
  g_auto(TestFig) t = { 0 };
  double r00[4], r01[4], r10[4], w, h, w2, h2;
  cairo_surface_t *rec;
  cairo_t *cr;

  build_grid (&t);
  gm_figure_get_size (&t.fig, &w, &h);
  g_assert_true (gm_figure_get_panel_rect (&t.fig, 0, 0, r00));
  g_assert_true (gm_figure_get_panel_rect (&t.fig, 0, 1, r01));
  g_assert_true (gm_figure_get_panel_rect (&t.fig, 1, 0, r10));
  g_assert_false (gm_figure_get_panel_rect (&t.fig, 3, 0, r10 + 0));
  g_assert_false (gm_figure_get_panel_rect (&t.fig, 0, -1, r10 + 0));
  g_assert_true (gm_figure_get_panel_rect (&t.fig, 1, 0, r10));

  /* square maps: the longer side is panel_size_pt */
  g_assert_cmpfloat_with_epsilon (r00[2], 72.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (r00[3], 72.0, 1e-9);
  /* a grid: same row, same top; same column, same left; gaps between */
  g_assert_cmpfloat (r00[1], ==, r01[1]);
  g_assert_cmpfloat (r00[0], ==, r10[0]);
  g_assert_cmpfloat (r01[0], >, r00[0] + r00[2]);
  g_assert_cmpfloat (r10[1], >, r00[1] + r00[3]);
  /* row labels on the left, title and panel titles above, colour bar on the right */
  g_assert_cmpfloat (r00[0], >, 30.0);
  g_assert_cmpfloat (r00[1], >, 20.0);
  g_assert_cmpfloat (w, >, r01[0] + r01[2] + 30.0);
  g_assert_cmpfloat (h, >=, r10[1] + 2 * 77.0);

  /* an empty slot keeps the grid and reports no rect */
  t.panels[1].values = NULL;
  g_assert_false (gm_figure_get_panel_rect (&t.fig, 0, 1, r01));
  gm_figure_get_size (&t.fig, &w2, &h2);
  g_assert_cmpfloat_with_epsilon (w2, w, 1e-9);

  /* panel_size_pt scales the panels; non-square maps keep their aspect */
  t.fig.panel_size_pt = 36.0;
  t.panels[0].rows = 11;
  t.panels[0].cols = 5;
  g_assert_true (gm_figure_get_panel_rect (&t.fig, 0, 0, r00));
  g_assert_cmpfloat_with_epsilon (r00[3], 36.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (r00[2], 36.0 * 5 / 11, 1e-9);

  /* drawing on any surface leaves cairo without error */
  rec = cairo_recording_surface_create (CAIRO_CONTENT_COLOR_ALPHA, NULL);
  cr = cairo_create (rec);
  gm_figure_draw (&t.fig, cr);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  cairo_surface_destroy (rec);
}

/* ------------------------------------------------------------------ figures */

static void
test_png (gconstpointer data)
{
  const Case *c = data;
  g_auto(TestFig) t = { 0 };
  g_autofree char *path = save_case (c, &t, "png", GOLDEN_DPI);
  cairo_surface_t *img = load_png (path);
  double w, h;

  gm_figure_get_size (&t.fig, &w, &h);
  g_assert_cmpint (cairo_image_surface_get_width (img), ==, (int) ceil (w * GOLDEN_DPI / 72.0 - 1e-6));
  g_assert_cmpint (cairo_image_surface_get_height (img), ==, (int) ceil (h * GOLDEN_DPI / 72.0 - 1e-6));
  g_assert_cmpuint (png_phys (path), ==, (guint32) lround (GOLDEN_DPI / 0.0254));
  /* the margins are white */
  g_assert_cmphex (pixel (img, 0, 0), ==, 0xffffff);
  g_assert_cmphex (pixel (img, cairo_image_surface_get_width (img) - 1,
                          cairo_image_surface_get_height (img) - 1), ==, 0xffffff);
  check_pixel_centres (&t.fig, img, GOLDEN_DPI, path);
  cairo_surface_destroy (img);
}

/* Metrics of the "sans-serif" font that cairo uses, to tell whether the golden
 * images were made with the same font. */
static char *
font_fingerprint (void)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_A8, 1, 1);
  cairo_t *cr = cairo_create (s);
  cairo_font_options_t *fo = cairo_font_options_create ();
  cairo_text_extents_t a, b;
  char buf1[G_ASCII_DTOSTR_BUF_SIZE], buf2[G_ASCII_DTOSTR_BUF_SIZE];
  char *res;

  cairo_font_options_set_hint_metrics (fo, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style (fo, CAIRO_HINT_STYLE_NONE);
  cairo_set_font_options (cr, fo);
  cairo_font_options_destroy (fo);
  cairo_set_font_size (cr, 100.0);
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_text_extents (cr, "Hamburgefonstiv 0123456789 GenoMap", &a);
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_text_extents (cr, "Hamburgefonstiv 0123456789 GenoMap", &b);
  res = g_strdup_printf ("sans-serif advance at 100 pt: regular %s, bold %s\n",
                         g_ascii_formatd (buf1, sizeof buf1, "%.2f", a.x_advance),
                         g_ascii_formatd (buf2, sizeof buf2, "%.2f", b.x_advance));
  cairo_destroy (cr);
  cairo_surface_destroy (s);
  return res;
}

static void
test_golden (gconstpointer data)
{
  const Case *c = data;
  g_auto(TestFig) t = { 0 };
  g_autofree char *path = save_case (c, &t, "png", GOLDEN_DPI);
  g_autofree char *golden_dir = gm_test_data_path ("golden");
  g_autofree char *golden_name = g_strdup_printf ("%s.png", c->name);
  g_autofree char *golden = g_build_filename (golden_dir, golden_name, NULL);
  g_autofree char *font_file = g_build_filename (golden_dir, "font.txt", NULL);
  g_autofree char *font_now = font_fingerprint ();
  g_autofree char *font_then = NULL;
  cairo_surface_t *img, *ref;
  DiffStats st;

  if (g_strcmp0 (g_getenv ("GM_UPDATE_GOLDEN"), "1") == 0)
    {
      g_autofree char *bytes = NULL;
      gsize len;
      g_autoptr(GError) error = NULL;

      g_assert_cmpint (g_mkdir_with_parents (golden_dir, 0755), ==, 0);
      g_assert_true (g_file_get_contents (path, &bytes, &len, &error));
      g_assert_true (g_file_set_contents (golden, bytes, len, &error));
      g_assert_true (g_file_set_contents (font_file, font_now, -1, &error));
      g_assert_no_error (error);
      g_test_message ("updated %s", golden);
      return;
    }

  if (!g_file_test (golden, G_FILE_TEST_EXISTS))
    {
      g_test_fail_printf ("%s is missing: run the test with GM_UPDATE_GOLDEN=1", golden);
      return;
    }
  if (g_file_get_contents (font_file, &font_then, NULL, NULL) && strcmp (font_then, font_now) != 0)
    {
      g_test_skip_printf ("the golden images were made with another sans-serif font (%s now: %s); "
                          "the font-independent pixel checks still run in /render/png",
                          g_strchomp (font_then), g_strchomp (font_now));
      return;
    }

  img = load_png (path);
  ref = load_png (golden);
  if (cairo_image_surface_get_width (img) != cairo_image_surface_get_width (ref)
      || cairo_image_surface_get_height (img) != cairo_image_surface_get_height (ref))
    g_error ("%s is %d × %d, the golden image %d × %d (if the change is intended, run with "
             "GM_UPDATE_GOLDEN=1 and look at the new images)", path,
             cairo_image_surface_get_width (img), cairo_image_surface_get_height (img),
             cairo_image_surface_get_width (ref), cairo_image_surface_get_height (ref));

  /* heatmaps, strictly */
  for (int p = 0; p < t.fig.n_rows * t.fig.n_cols; p++)
    {
      double r[4], s = GOLDEN_DPI / 72.0;

      if (!gm_figure_get_panel_rect (&t.fig, p / t.fig.n_cols, p % t.fig.n_cols, r))
        continue;
      diff_region (img, ref, (int) ceil (r[0] * s) + 1, (int) ceil (r[1] * s) + 1,
                   (int) floor ((r[0] + r[2]) * s) - 1, (int) floor ((r[1] + r[3]) * s) - 1, 2, &st);
      g_assert_cmpuint (st.n, >, 0);
      if (st.n_over * 200 > st.n)
        g_error ("%s: panel %d: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                 " heatmap pixels differ from %s", path, p, st.n_over, st.n, golden);
    }
  /* everything, loosely */
  assert_similar (ref, img, 0.002, 1.0, path);
  cairo_surface_destroy (img);
  cairo_surface_destroy (ref);
}

static void
check_pdfinfo (const char     *pdf,
               const GmFigure *fig)
{
  const char *argv[] = { "pdfinfo", pdf, NULL };
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  double w, h, pw = 0, ph = 0;
  int pages = 0;

  g_assert_true (run_tool (argv, &out));
  lines = g_strsplit (out, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      if (g_str_has_prefix (*l, "Pages:"))
        pages = atoi (*l + 6);
      else if (g_str_has_prefix (*l, "Page size:"))
        g_assert_cmpint (sscanf (*l + 10, " %lf x %lf", &pw, &ph), ==, 2);
    }
  gm_figure_get_size (fig, &w, &h);
  g_assert_cmpint (pages, ==, 1);
  g_assert_cmpfloat_with_epsilon (pw, w, 0.01);
  g_assert_cmpfloat_with_epsilon (ph, h, 0.01);
}

static char *
rasterize_pdf (const char *pdf,
               double      dpi)
{
  g_autofree char *res = g_strdup_printf ("%g", dpi);
  g_autofree char *base = g_strdup_printf ("%s-pdftoppm-%g", pdf, dpi);
  const char *argv[] = { "pdftoppm", "-r", res, "-png", "-singlefile", pdf, base, NULL };

  g_assert_true (run_tool (argv, NULL));
  return g_strconcat (base, ".png", NULL);
}

static char *
rasterize_svg (const char *svg,
               double      dpi)
{
  g_autofree char *res = g_strdup_printf ("%g", dpi);
  char *png = g_strdup_printf ("%s-rsvg-%g.png", svg, dpi);
  const char *argv[] = { "rsvg-convert", "-d", res, "-p", res, "-b", "white", "-o", png, svg, NULL };

  g_assert_true (run_tool (argv, NULL));
  return png;
}

static void
check_vector (const Case *c,
              const char *ext)
{
  g_auto(TestFig) t = { 0 }, t2 = { 0 };
  g_autofree char *png_path = save_case (c, &t, "png", GOLDEN_DPI);
  g_autofree char *vec_path = save_case (c, &t2, ext, 0.0);
  g_autofree char *raster = NULL;
  cairo_surface_t *png, *ras;

  if (strcmp (ext, "pdf") == 0)
    {
      check_pdfinfo (vec_path, &t.fig);
      raster = rasterize_pdf (vec_path, GOLDEN_DPI);
    }
  else
    {
      g_autofree char *head = NULL;

      g_assert_true (g_file_get_contents (vec_path, &head, NULL, NULL));
      g_assert_nonnull (strstr (head, "<svg"));
      raster = rasterize_svg (vec_path, GOLDEN_DPI);   /* parses it */
    }
  png = load_png (png_path);
  ras = load_png (raster);
  assert_same_size_roughly (png, ras, raster);
  check_pixel_centres (&t.fig, ras, GOLDEN_DPI, raster);
  assert_similar (png, ras, 0.03, 3.0, raster);
  cairo_surface_destroy (png);
  cairo_surface_destroy (ras);
}

static void
test_pdf (gconstpointer data)
{
  if (!need_tool ("pdftoppm") || !need_tool ("pdfinfo"))
    return;
  check_vector (data, "pdf");
}

static void
test_svg (gconstpointer data)
{
  if (!need_tool ("rsvg-convert"))
    return;
  check_vector (data, "svg");
}

/* Along the straight line between the centres of two neighbouring GenoMap pixels of
 * very different colours, at most 2 output pixels may have a colour that is neither
 * (one antialiased pixel on each side of an edge that falls between output pixels);
 * a smoothed image would show a ramp over the whole GenoMap pixel (~33 pixels here). */
static void
check_edge (cairo_surface_t *img,
            const double     rect[4],
            int              rows,
            int              cols,
            int              r0,
            int              c0,
            int              r1,
            int              c1,
            double           dpi,
            const char      *what)
{
  double s = dpi / 72.0;
  int x0 = (int) floor ((rect[0] + (c0 + 0.5) * rect[2] / cols) * s);
  int y0 = (int) floor ((rect[1] + (r0 + 0.5) * rect[3] / rows) * s);
  int x1 = (int) floor ((rect[0] + (c1 + 0.5) * rect[2] / cols) * s);
  int y1 = (int) floor ((rect[1] + (r1 + 0.5) * rect[3] / rows) * s);
  guint32 a = pixel (img, x0, y0), b = pixel (img, x1, y1);
  int n = MAX (ABS (x1 - x0), ABS (y1 - y0)), between = 0;

  g_assert_cmpint (rgb_diff (a, b), >, 150);
  for (int k = 0; k <= n; k++)
    {
      guint32 v = pixel (img, x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n);

      if (rgb_diff (v, a) > 10 && rgb_diff (v, b) > 10)
        between++;
    }
  g_test_message ("%s: %d intermediate pixels over %d", what, between, n);
  if (between > 2)
    g_error ("%s: the edge between GenoMap pixels (%d,%d) and (%d,%d) is blurred over %d output "
             "pixels", what, r0, c0, r1, c1, between);
}

static void
check_crisp (const char *ext)
{
  g_auto(TestFig) t = { 0 };
  g_autofree char *path = NULL;
  g_autofree char *raster = NULL;
  cairo_surface_t *img;
  double rect[4];

  path = save_case (&cases[0], &t, ext, CRISP_DPI);
  if (strcmp (ext, "pdf") == 0)
    raster = rasterize_pdf (path, CRISP_DPI);
  else if (strcmp (ext, "svg") == 0)
    raster = rasterize_svg (path, CRISP_DPI);
  else
    raster = g_strdup (path);
  img = load_png (raster);
  g_assert_true (gm_figure_get_panel_rect (&t.fig, 0, 0, rect));
  check_edge (img, rect, 9, 9, 0, 0, 0, 1, CRISP_DPI, raster);   /* vertical edge */
  check_edge (img, rect, 9, 9, 0, 0, 1, 0, CRISP_DPI, raster);   /* horizontal edge */
  cairo_surface_destroy (img);
}

static void
test_crisp_png (void)
{
  check_crisp ("png");
}

static void
test_crisp_pdf (void)
{
  if (!need_tool ("pdftoppm"))
    return;
  check_crisp ("pdf");
}

static void
test_crisp_svg (void)
{
  if (!need_tool ("rsvg-convert"))
    return;
  check_crisp ("svg");
}

/* ------------------------------------------------------------------ errors */

static void
assert_dir_empty (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    g_error ("%s: left behind: %s", dir, name);
}

static void
test_errors (void)
{
  g_auto(TestFig) t = { 0 };
  g_autofree char *dir = g_build_filename (tmp_dir, "errors", NULL);
  g_autofree char *bmp = g_build_filename (dir, "figure.bmp", NULL);
  g_autofree char *noext = g_build_filename (dir, "figure", NULL);
  g_autofree char *missing = g_build_filename (dir, "no-such-folder", "figure.png", NULL);
  g_autofree char *good = g_build_filename (dir, "figure.PDF", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  build_nan9 (&t);

  g_assert_false (gm_figure_save (&t.fig, bmp, 300, &error));
  g_assert_error (error, GM_ERROR, GM_ERROR_USAGE);
  g_assert_nonnull (strstr (error->message, bmp));
  g_clear_error (&error);

  g_assert_false (gm_figure_save (&t.fig, noext, 300, &error));
  g_assert_error (error, GM_ERROR, GM_ERROR_USAGE);
  g_assert_nonnull (strstr (error->message, noext));
  g_clear_error (&error);

  g_assert_false (gm_figure_save (&t.fig, missing, 300, &error));
  g_assert_error (error, GM_ERROR, GM_ERROR_WRITE);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);
  assert_dir_empty (dir);

  /* invalid figures and resolutions */
  {
    g_autofree char *png = g_build_filename (dir, "figure.png", NULL);
    GmFigure bad = t.fig;

    bad.n_rows = 0;
    g_assert_false (gm_figure_save (&bad, png, 300, &error));
    g_assert_error (error, GM_ERROR, GM_ERROR_USAGE);
    g_assert_nonnull (strstr (error->message, png));
    g_clear_error (&error);

    t.panels[0].rows = 0;
    g_assert_false (gm_figure_save (&t.fig, png, 300, &error));
    g_assert_error (error, GM_ERROR, GM_ERROR_USAGE);
    g_clear_error (&error);
    t.panels[0].rows = 9;

    g_assert_false (gm_figure_save (&t.fig, png, 1e6, &error));
    g_assert_error (error, GM_ERROR, GM_ERROR_USAGE);
    g_clear_error (&error);
    assert_dir_empty (dir);
  }

  /* a successful save (upper-case extension) leaves exactly the file, also when
   * replacing one */
  for (int round = 0; round < 2; round++)
    {
      g_autoptr(GDir) d = NULL;
      int n = 0;

      g_assert_true (gm_figure_save (&t.fig, good, 0, &error));
      g_assert_no_error (error);
      d = g_dir_open (dir, 0, NULL);
      while (g_dir_read_name (d) != NULL)
        n++;
      g_assert_cmpint (n, ==, 1);
    }
  g_assert_cmpint (g_unlink (good), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* ------------------------------------------------------------------ main */

/* LeakSanitizer (the asan configuration) reads this: fontconfig keeps its parsed
 * configuration and cairo's font-face cache keeps fontconfig patterns until exit;
 * neither is ours to free (FcFini is not part of cairo's API). */
const char *__lsan_default_suppressions (void);

const char *
__lsan_default_suppressions (void)
{
  return "leak:libfontconfig.so\n";
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
  const char *name;

  if (d != NULL)
    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);

        if (g_file_test (child, G_FILE_TEST_IS_DIR))
          remove_tree (child);
        else
          g_unlink (child);
      }
  g_rmdir (path);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("gm-test-render-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/render/colormap/values", test_colormap_values);
  g_test_add_func ("/render/colormap/names", test_colormap_names);
  g_test_add_func ("/render/colormap/nan-distinct", test_colormap_nan_distinct);
  g_test_add_func ("/render/colorize", test_colorize);
  g_test_add_func ("/render/scale", test_scale);
  g_test_add_func ("/render/layout", test_layout);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *png = g_strdup_printf ("/render/png/%s", cases[i].name);
      g_autofree char *golden = g_strdup_printf ("/render/golden/%s", cases[i].name);
      g_autofree char *pdf = g_strdup_printf ("/render/pdf/%s", cases[i].name);
      g_autofree char *svg = g_strdup_printf ("/render/svg/%s", cases[i].name);

      g_test_add_data_func (png, &cases[i], test_png);
      g_test_add_data_func (golden, &cases[i], test_golden);
      g_test_add_data_func (pdf, &cases[i], test_pdf);
      g_test_add_data_func (svg, &cases[i], test_svg);
    }
  g_test_add_func ("/render/crisp/png", test_crisp_png);
  g_test_add_func ("/render/crisp/pdf", test_crisp_pdf);
  g_test_add_func ("/render/crisp/svg", test_crisp_svg);
  g_test_add_func ("/render/errors", test_errors);

  rc = g_test_run ();

  if (g_getenv ("GM_KEEP_TEST_OUTPUT") == NULL)
    remove_tree (tmp_dir);
  else
    g_printerr ("test outputs kept in %s\n", tmp_dir);
  g_free (tmp_dir);
  return rc;
}
