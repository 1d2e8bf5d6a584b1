/* bench-draw.c — ways of drawing GenoMaps with GTK 4.8, timed offscreen
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   ninja -C BUILD tests/bench-draw
 *   xvfb-run -a -s "-screen 0 1280x1024x24" BUILD/tests/bench-draw [--frames N] [--quick]
 *
 * Not a test.  For the big GenoMap view (a 32 × 32 and a 52 × 52 map in a 600 × 600 view
 * at zoom 1, 4 and 16, scale factor 1 and 2) and for a grid of 200 thumbnails (20 × 10
 * tiles of 96 × 96), it builds one frame's render nodes and renders them with
 * gsk_renderer_render_texture, with the cairo and the GL renderer (under Xvfb the GL
 * renderer runs on Mesa's llvmpipe, a software rasteriser), by three paths:
 *
 *   rects    one gtk_snapshot_append_color per run of equal colours, edges snapped to
 *            device pixels (what GmsGenomapView does);
 *   texture  one GdkMemoryTexture of the visible part at device resolution, upscaled on the
 *            CPU by nearest neighbour with the same snapped edges, appended with
 *            gtk_snapshot_append_texture (1 texel = 1 device pixel: nothing is filtered);
 *            for the grid: one texture per thumbnail (k× upscaled, what GtkPicture shows now),
 *            both kept between frames ("cached", the GL renderer keeps their upload) and
 *            new every frame ("new", as while scrolling to unseen cells);
 *   gl       what a GtkGLArea with a colormap shader does: a float texture of values (for the
 *            grid, an atlas of the 200 maps) and a 257-entry colormap texture, one quad drawn
 *            by a fragment shader into a texture of the view's device size (libepoxy), wrapped in
 *            a GdkGLTexture and appended to the frame.
 *
 * Every frame starts with an opaque background rectangle (the window's); "empty frame" is
 * only that: the fixed cost of rendering and downloading a frame of that size.
 * Per configuration: median and maximum ms per frame over --frames frames (after 3 warm-up
 * frames) of snapshot (building nodes; for texture and gl including the upscale or the GL
 * draw) + render + download of the result (gdk_texture_download: makes the GL renderer finish).
 * Each frame uses a different pan offset, so nothing can be reused between frames except
 * where said.  It also checks that the texture path gives exactly the rectangles' pixels
 * (the number of device pixels that differ, for zooms 1, 1.37, 4, 16 and scales 1, 2).  Values: 80 % zeros (the sparse data of real cells, long runs of one colour)
 * and dense random values (worst case for merging runs).
 */
#include "config.h"

#include <epoxy/gl.h>
#include <gtk/gtk.h>
#include <gsk/gl/gskglrenderer.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gm-render.h"
#include "gms-crisp-texture.h"

#define VIEW   600
#define TILE    96
#define GAP     8
#define GRID_C  20
#define GRID_R  10

static int n_frames = 15;

typedef struct
{
  int      rows, cols;
  float   *values;
  guint32 *argb;
} Map;

static void
map_init (Map     *m,
          int      rows,
          int      cols,
          double   zero_fraction,
          guint32  seed)
{
  GRand *rand = g_rand_new_with_seed (seed);

  m->rows = rows;
  m->cols = cols;
  m->values = g_new (float, rows * cols);
  m->argb = g_new (guint32, rows * cols);
  for (int p = 0; p < rows * cols; p++)
    m->values[p] = g_rand_double (rand) < zero_fraction ? 0.0f : (float) g_rand_double_range (rand, 0.1, 5.0);
  gm_colorize (m->values, rows, cols, GM_COLORMAP_VIRIDIS, 0, 5, gm_colormap_nan_argb (GM_COLORMAP_VIRIDIS), m->argb);
  g_rand_free (rand);
}

static void
map_clear (Map *m)
{
  g_free (m->values);
  g_free (m->argb);
}

/* The view's geometry: origin and size of one map pixel, as GmsGenomapView computes it. */
typedef struct
{
  double ox, oy, s, sf, w, h;
} Geom;

static Geom
view_geom (const Map *m,
           double     w,
           double     h,
           double     zoom,
           double     sf,
           double     pan)
{
  Geom g;
  double fit = MIN ((w - 12) / m->cols, (h - 12) / m->rows);

  g.s = fit * zoom;
  g.ox = (w - g.s * m->cols) / 2.0 + (zoom > 1 ? pan : 0);
  g.oy = (h - g.s * m->rows) / 2.0 + (zoom > 1 ? pan * 0.7 : 0);
  g.sf = sf;
  g.w = w;
  g.h = h;
  return g;
}

static void
argb_to_rgba (guint32  argb,
              GdkRGBA *rgba)
{
  rgba->alpha = ((argb >> 24) & 0xff) / 255.0f;
  rgba->red = ((argb >> 16) & 0xff) / 255.0f;
  rgba->green = ((argb >> 8) & 0xff) / 255.0f;
  rgba->blue = (argb & 0xff) / 255.0f;
}

/* ------------------------------------------------------------ rects (the current path) */

static void
snapshot_rects (GtkSnapshot *snapshot,
                const Map   *m,
                const Geom  *g)
{
  double *xe = g_new (double, m->cols + 1), *ye = g_new (double, m->rows + 1);
  int c0, c1, r0, r1;

  for (int c = 0; c <= m->cols; c++)
    xe[c] = round ((g->ox + c * g->s) * g->sf) / g->sf;
  for (int r = 0; r <= m->rows; r++)
    ye[r] = round ((g->oy + r * g->s) * g->sf) / g->sf;
  c0 = CLAMP ((int) floor (-g->ox / g->s), 0, m->cols);
  c1 = CLAMP ((int) ceil ((g->w - g->ox) / g->s), 0, m->cols);
  r0 = CLAMP ((int) floor (-g->oy / g->s), 0, m->rows);
  r1 = CLAMP ((int) ceil ((g->h - g->oy) / g->s), 0, m->rows);
  for (int r = r0; r < r1; r++)
    for (int c = c0; c < c1; c++)
      {
        GdkRGBA color;
        int c_end = c + 1;
        guint32 argb = m->argb[r * m->cols + c];

        while (c_end < c1 && m->argb[r * m->cols + c_end] == argb)
          c_end++;
        argb_to_rgba (argb, &color);
        gtk_snapshot_append_color (snapshot, &color,
                                   &GRAPHENE_RECT_INIT (xe[c], ye[r], xe[c_end] - xe[c], ye[r + 1] - ye[r]));
        c = c_end - 1;
      }
  g_free (xe);
  g_free (ye);
}

/* ------------------------------------------------------------ texture at device resolution */

static GdkTexture *
upscale_visible (const Map       *m,
                 const Geom      *g,
                 graphene_rect_t *bounds)
{
  /* device-pixel edges of map columns and rows, as the rects path rounds them */
  int X0 = (int) lround (g->ox * g->sf), Y0 = (int) lround (g->oy * g->sf);
  int X1 = (int) lround ((g->ox + m->cols * g->s) * g->sf), Y1 = (int) lround ((g->oy + m->rows * g->s) * g->sf);
  int vx0 = MAX (X0, 0), vy0 = MAX (Y0, 0);
  int vx1 = MIN (X1, (int) ceil (g->w * g->sf)), vy1 = MIN (Y1, (int) ceil (g->h * g->sf));
  int W = vx1 - vx0, H = vy1 - vy0;
  int *col_of, *row_of;
  guint32 *px;
  GBytes *bytes;
  GdkTexture *texture;

  if (W <= 0 || H <= 0)
    return NULL;
  col_of = g_new (int, W);
  row_of = g_new (int, H);
  px = g_new (guint32, (gsize) W * H);
  for (int x = 0, c = 0; x < W; x++)
    {
      while (c + 1 < m->cols && lround ((g->ox + (c + 1) * g->s) * g->sf) <= vx0 + x)
        c++;
      col_of[x] = c;
    }
  for (int y = 0, r = 0; y < H; y++)
    {
      while (r + 1 < m->rows && lround ((g->oy + (r + 1) * g->s) * g->sf) <= vy0 + y)
        r++;
      row_of[y] = r;
    }
  for (int y = 0; y < H; y++)
    {
      guint32 *out = px + (gsize) y * W;
      const guint32 *in = m->argb + (gsize) row_of[y] * m->cols;

      if (y > 0 && row_of[y] == row_of[y - 1])
        memcpy (out, out - W, (gsize) W * 4);     /* same map row as the line above */
      else
        for (int x = 0; x < W; x++)
          out[x] = in[col_of[x]];
    }
  g_free (row_of);
  g_free (col_of);
  bytes = g_bytes_new_take (px, (gsize) W * H * 4);
  texture = gdk_memory_texture_new (W, H,
                                    G_BYTE_ORDER == G_LITTLE_ENDIAN ? GDK_MEMORY_B8G8R8A8_PREMULTIPLIED
                                                                    : GDK_MEMORY_A8R8G8B8_PREMULTIPLIED,
                                    bytes, (gsize) W * 4);
  g_bytes_unref (bytes);
  *bounds = GRAPHENE_RECT_INIT (vx0 / g->sf, vy0 / g->sf, W / g->sf, H / g->sf);
  return texture;
}

static void
snapshot_texture (GtkSnapshot *snapshot,
                  const Map   *m,
                  const Geom  *g)
{
  graphene_rect_t bounds;
  GdkTexture *texture = upscale_visible (m, g, &bounds);

  if (texture != NULL)
    {
      gtk_snapshot_append_texture (snapshot, texture, &bounds);
      g_object_unref (texture);
    }
}

/* ------------------------------------------------------------ GL: colormap shader */

typedef struct
{
  GdkGLContext *ctx;
  gboolean      es;
  GLuint        prog, vao, vbo, lut, values;
  GLint         u_origin, u_cell, u_grid, u_tile, u_tiles, u_lohi, u_size;
} Gl;

static const char *vs_body =
  "in vec2 pos;\n"
  "void main () { gl_Position = vec4 (pos, 0.0, 1.0); }\n";

/* One map (tiles 1 × 1) or an atlas of maps: device pixel → tile, map pixel → value → colour. */
static const char *fs_body =
  "uniform sampler2D values;\n"
  "uniform sampler2D lut;\n"
  "uniform vec2 origin;\n"       /* device pixels, top left of the first map */
  "uniform float cell;\n"        /* device pixels per map pixel */
  "uniform vec2 grid;\n"         /* map columns, rows */
  "uniform vec2 tile;\n"         /* device pixels from one tile to the next */
  "uniform vec2 tiles;\n"        /* tiles per row, rows of tiles */
  "uniform vec2 lohi;\n"
  "uniform float height;\n"
  "out vec4 color;\n"
  "void main () {\n"
  "  vec2 p = vec2 (gl_FragCoord.x, height - gl_FragCoord.y) - origin;\n"
  "  vec2 t = floor (p / tile);\n"
  "  vec2 q = floor ((p - t * tile) / cell);\n"
  "  if (any (lessThan (t, vec2 (0.0))) || any (greaterThanEqual (t, tiles)) ||\n"
  "      any (lessThan (q, vec2 (0.0))) || any (greaterThanEqual (q, grid))) { color = vec4 (0.0); return; }\n"
  "  float v = texelFetch (values, ivec2 (t * grid + q), 0).r;\n"
  "  int i = (v != v) ? 256 : int (clamp ((v - lohi.x) / (lohi.y - lohi.x) * 256.0, 0.0, 255.0));\n"
  "  color = texelFetch (lut, ivec2 (i, 0), 0);\n"
  "}\n";

static GLuint
compile (GLenum      type,
         const char *header,
         const char *body)
{
  GLuint s = glCreateShader (type);
  const char *src[2] = { header, body };
  GLint ok;

  glShaderSource (s, 2, src, NULL);
  glCompileShader (s);
  glGetShaderiv (s, GL_COMPILE_STATUS, &ok);
  if (!ok)
    {
      char log[2048];
      glGetShaderInfoLog (s, sizeof log, NULL, log);
      g_error ("shader: %s", log);
    }
  return s;
}

static gboolean
gl_init (Gl         *gl,
         GdkSurface *surface)
{
  g_autoptr(GError) error = NULL;
  const char *header;
  GLuint vs, fs;
  static const float quad[] = { -1, -1, 1, -1, -1, 1, 1, 1 };
  guint32 lut[257];
  float rgba[257 * 4];

  gl->ctx = gdk_surface_create_gl_context (surface, &error);
  if (gl->ctx == NULL || !gdk_gl_context_realize (gl->ctx, &error))
    {
      g_printerr ("no GL context: %s\n", error->message);
      g_clear_object (&gl->ctx);
      return FALSE;
    }
  gdk_gl_context_make_current (gl->ctx);
  gl->es = gdk_gl_context_get_use_es (gl->ctx);
  header = gl->es ? "#version 300 es\nprecision highp float;\nprecision highp int;\n" : "#version 150\n";
  vs = compile (GL_VERTEX_SHADER, header, vs_body);
  fs = compile (GL_FRAGMENT_SHADER, header, fs_body);
  gl->prog = glCreateProgram ();
  glAttachShader (gl->prog, vs);
  glAttachShader (gl->prog, fs);
  glBindAttribLocation (gl->prog, 0, "pos");
  glLinkProgram (gl->prog);
  gl->u_origin = glGetUniformLocation (gl->prog, "origin");
  gl->u_cell = glGetUniformLocation (gl->prog, "cell");
  gl->u_grid = glGetUniformLocation (gl->prog, "grid");
  gl->u_tile = glGetUniformLocation (gl->prog, "tile");
  gl->u_tiles = glGetUniformLocation (gl->prog, "tiles");
  gl->u_lohi = glGetUniformLocation (gl->prog, "lohi");
  gl->u_size = glGetUniformLocation (gl->prog, "height");
  glGenVertexArrays (1, &gl->vao);
  glBindVertexArray (gl->vao);
  glGenBuffers (1, &gl->vbo);
  glBindBuffer (GL_ARRAY_BUFFER, gl->vbo);
  glBufferData (GL_ARRAY_BUFFER, sizeof quad, quad, GL_STATIC_DRAW);
  glVertexAttribPointer (0, 2, GL_FLOAT, GL_FALSE, 0, NULL);
  glEnableVertexAttribArray (0);

  /* the colormap: gm_colorize's 256 colours and the NaN colour */
  {
    float v[257];
    for (int i = 0; i < 256; i++)
      v[i] = (i + 0.5f) / 256.0f;
    v[256] = NAN;
    gm_colorize (v, 1, 257, GM_COLORMAP_VIRIDIS, 0, 1, gm_colormap_nan_argb (GM_COLORMAP_VIRIDIS), lut);
    for (int i = 0; i < 257; i++)
      {
        rgba[4 * i + 0] = ((lut[i] >> 16) & 0xff) / 255.0f;
        rgba[4 * i + 1] = ((lut[i] >> 8) & 0xff) / 255.0f;
        rgba[4 * i + 2] = (lut[i] & 0xff) / 255.0f;
        rgba[4 * i + 3] = 1.0f;
      }
  }
  glGenTextures (1, &gl->lut);
  glBindTexture (GL_TEXTURE_2D, gl->lut);
  glTexImage2D (GL_TEXTURE_2D, 0, GL_RGBA8, 257, 1, 0, GL_RGBA, GL_FLOAT, rgba);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glGenTextures (1, &gl->values);
  glBindTexture (GL_TEXTURE_2D, gl->values);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  return TRUE;
}

typedef struct
{
  GdkGLContext *ctx;
  GLuint        tex, fbo;
} GlTarget;

static void
gl_target_free (gpointer data)
{
  GlTarget *t = data;

  gdk_gl_context_make_current (t->ctx);
  glDeleteFramebuffers (1, &t->fbo);
  glDeleteTextures (1, &t->tex);
  g_object_unref (t->ctx);
  g_free (t);
}

/* Uploads @values (an atlas of tiles_x × tiles_y maps, or one map) and draws them into a
 * new texture of W × H device pixels, as GtkGLArea's render would. */
static GdkTexture *
gl_draw (Gl          *gl,
         const float *values,
         int          rows,
         int          cols,
         int          tiles_x,
         int          tiles_y,
         gboolean     upload,
         double       ox,
         double       oy,
         double       cell,
         double       tile_x,
         double       tile_y,
         int          W,
         int          H)
{
  GlTarget *t = g_new0 (GlTarget, 1);

  gdk_gl_context_make_current (gl->ctx);
  t->ctx = g_object_ref (gl->ctx);
  glGenTextures (1, &t->tex);
  glBindTexture (GL_TEXTURE_2D, t->tex);
  glTexImage2D (GL_TEXTURE_2D, 0, GL_RGBA8, W, H, 0, GL_RGBA, GL_UNSIGNED_BYTE, NULL);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glGenFramebuffers (1, &t->fbo);
  glBindFramebuffer (GL_FRAMEBUFFER, t->fbo);
  glFramebufferTexture2D (GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, t->tex, 0);
  glViewport (0, 0, W, H);
  glClearColor (0, 0, 0, 0);
  glClear (GL_COLOR_BUFFER_BIT);

  glActiveTexture (GL_TEXTURE1);
  glBindTexture (GL_TEXTURE_2D, gl->lut);
  glActiveTexture (GL_TEXTURE0);
  glBindTexture (GL_TEXTURE_2D, gl->values);
  if (upload)
    {
      glPixelStorei (GL_UNPACK_ALIGNMENT, 4);
      glTexImage2D (GL_TEXTURE_2D, 0, GL_R32F, cols * tiles_x, rows * tiles_y, 0, GL_RED, GL_FLOAT, values);
    }
  glUseProgram (gl->prog);
  glUniform1i (glGetUniformLocation (gl->prog, "values"), 0);
  glUniform1i (glGetUniformLocation (gl->prog, "lut"), 1);
  glUniform2f (gl->u_origin, ox, oy);
  glUniform1f (gl->u_cell, cell);
  glUniform2f (gl->u_grid, cols, rows);
  glUniform2f (gl->u_tile, tile_x, tile_y);
  glUniform2f (gl->u_tiles, tiles_x, tiles_y);
  glUniform2f (gl->u_lohi, 0, 5);
  glUniform1f (gl->u_size, H);
  glBindVertexArray (gl->vao);
  glDrawArrays (GL_TRIANGLE_STRIP, 0, 4);
  glBindFramebuffer (GL_FRAMEBUFFER, 0);
  glFlush ();
  /* (the shader flips y itself; the orientation does not change the timing) */
  return gdk_gl_texture_new (gl->ctx, t->tex, W, H, gl_target_free, t);
}

/* ------------------------------------------------------------ timing */

typedef struct
{
  const char  *renderer_name;
  GskRenderer *renderer;
} R;

typedef void (*FrameFunc) (GtkSnapshot *snapshot, int frame, gpointer data);

static int
cmp_double (const void *a,
            const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static void
time_frames (R          *r,
             const char *what,
             double      w,
             double      h,
             double      sf,
             FrameFunc   func,
             gpointer    data)
{
  double *ms = g_new (double, n_frames), *snap = g_new (double, n_frames);
  int nodes_w = (int) ceil (w * sf), nodes_h = (int) ceil (h * sf);

  for (int f = -3; f < n_frames; f++)
    {
      gint64 t0 = g_get_monotonic_time (), t1;
      GtkSnapshot *snapshot = gtk_snapshot_new ();
      GskRenderNode *node;
      GdkTexture *texture;
      guchar *pixels = g_malloc ((gsize) nodes_w * nodes_h * 4);

      gtk_snapshot_scale (snapshot, sf, sf);
      gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
      /* the window's background, under every path ("empty frame": only this) */
      gtk_snapshot_append_color (snapshot, &(GdkRGBA) { 0.98f, 0.98f, 0.98f, 1 }, &GRAPHENE_RECT_INIT (0, 0, w, h));
      func (snapshot, f, data);
      gtk_snapshot_pop (snapshot);
      node = gtk_snapshot_free_to_node (snapshot);
      t1 = g_get_monotonic_time ();
      texture = gsk_renderer_render_texture (r->renderer, node, &GRAPHENE_RECT_INIT (0, 0, nodes_w, nodes_h));
      gdk_texture_download (texture, pixels, (gsize) nodes_w * 4);
      g_object_unref (texture);
      gsk_render_node_unref (node);
      g_free (pixels);
      if (f >= 0)
        {
          ms[f] = (g_get_monotonic_time () - t0) / 1e3;
          snap[f] = (t1 - t0) / 1e3;
        }
    }
  qsort (ms, n_frames, sizeof (double), cmp_double);
  qsort (snap, n_frames, sizeof (double), cmp_double);
  printf ("| %s | %s | %.2f | %.2f | %.2f |\n", r->renderer_name, what,
          ms[n_frames / 2], ms[n_frames - 1], snap[n_frames / 2]);
  fflush (stdout);
  g_free (ms);
  g_free (snap);
}

/* ------------------------------------------------------------ the big view */

typedef struct
{
  Map    *map;
  double  zoom, sf;
  int     path;     /* 0 rects, 1 texture, 2 gl, 3 nothing (the frame's fixed cost) */
  Gl     *gl;
} ViewCase;

static void
view_frame (GtkSnapshot *snapshot,
            int          frame,
            gpointer     data)
{
  ViewCase *vc = data;
  Geom g = view_geom (vc->map, VIEW, VIEW, vc->zoom, vc->sf, (frame % 7) * 13.3 - 40);

  if (vc->path == 3)
    return;
  if (vc->path == 0)
    snapshot_rects (snapshot, vc->map, &g);
  else if (vc->path == 1)
    snapshot_texture (snapshot, vc->map, &g);
  else
    {
      int W = (int) ceil (VIEW * vc->sf), H = W;
      GdkTexture *t = gl_draw (vc->gl, vc->map->values, vc->map->rows, vc->map->cols, 1, 1, frame <= -3,
                               g.ox * g.sf, g.oy * g.sf, g.s * g.sf, 1e9, 1e9, W, H);
      gtk_snapshot_append_texture (snapshot, t, &GRAPHENE_RECT_INIT (0, 0, VIEW, VIEW));
      g_object_unref (t);
    }
}

/* Renders one frame of @path_a and @path_b at the same geometry and counts the device pixels
 * that differ: the texture path is meant to give exactly the rectangles' pixels. */
static void
compare_paths (R         *r,
               Map       *map,
               double     zoom,
               double     sf)
{
  guint32 *px[2];
  int W = (int) ceil (VIEW * sf), H = W, differ = 0;

  for (int p = 0; p < 2; p++)
    {
      ViewCase vc = { map, zoom, sf, p, NULL };
      GtkSnapshot *snapshot = gtk_snapshot_new ();
      GskRenderNode *node;
      GdkTexture *texture;

      gtk_snapshot_scale (snapshot, sf, sf);
      gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, 0, VIEW, VIEW));
      gtk_snapshot_append_color (snapshot, &(GdkRGBA) { 0.98f, 0.98f, 0.98f, 1 }, &GRAPHENE_RECT_INIT (0, 0, VIEW, VIEW));
      view_frame (snapshot, 2, &vc);
      gtk_snapshot_pop (snapshot);
      node = gtk_snapshot_free_to_node (snapshot);
      texture = gsk_renderer_render_texture (r->renderer, node, &GRAPHENE_RECT_INIT (0, 0, W, H));
      px[p] = g_new (guint32, (gsize) W * H);
      gdk_texture_download (texture, (guchar *) px[p], (gsize) W * 4);
      g_object_unref (texture);
      gsk_render_node_unref (node);
    }
  for (int i = 0; i < W * H; i++)
    differ += px[0][i] != px[1][i];
  printf ("| %s | %d×%d, zoom %g, scale %g | %d of %d |\n", r->renderer_name, map->rows, map->cols, zoom, sf,
          differ, W * H);
  g_free (px[0]);
  g_free (px[1]);
}

/* ------------------------------------------------------------ the grid of thumbnails */

typedef struct
{
  Map         maps[GRID_C * GRID_R];
  GdkTexture *thumbs[GRID_C * GRID_R];
  float      *atlas;
  int         path;   /* 0 rects, 1 cached textures, 2 new textures, 3 gl, 4 nothing */
  double      sf;
  Gl         *gl;
} GridCase;

static GdkTexture *
make_thumb (const Map *m)
{
  /* gms-dataset.c's make_thumbnail */
  int k = MAX (1, (TILE + MAX (m->rows, m->cols) - 1) / MAX (m->rows, m->cols));
  int W = m->cols * k, H = m->rows * k;
  guint32 *big = g_new (guint32, (gsize) W * H);
  GBytes *bytes;
  GdkTexture *t;

  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      big[(gsize) y * W + x] = m->argb[(y / k) * m->cols + x / k];
  bytes = g_bytes_new_take (big, (gsize) W * H * 4);
  t = gdk_memory_texture_new (W, H,
                              G_BYTE_ORDER == G_LITTLE_ENDIAN ? GDK_MEMORY_B8G8R8A8_PREMULTIPLIED
                                                              : GDK_MEMORY_A8R8G8B8_PREMULTIPLIED,
                              bytes, (gsize) W * 4);
  g_bytes_unref (bytes);
  return t;
}

static void
grid_frame (GtkSnapshot *snapshot,
            int          frame,
            gpointer     data)
{
  GridCase *gc = data;
  const Map *m0 = &gc->maps[0];
  double scroll = -(frame % 5) * 3.0;   /* a few pixels of scrolling per frame */

  if (gc->path == 4)
    return;
  if (gc->path == 3)
    {
      int W = (int) ceil (GRID_C * (TILE + GAP) * gc->sf), H = (int) ceil (GRID_R * (TILE + GAP) * gc->sf);
      double cell = floor (TILE * gc->sf / MAX (m0->rows, m0->cols));
      GdkTexture *t = gl_draw (gc->gl, gc->atlas, m0->rows, m0->cols, GRID_C, GRID_R, frame <= -3,
                               0, scroll * gc->sf, cell, (TILE + GAP) * gc->sf, (TILE + GAP) * gc->sf, W, H);
      gtk_snapshot_append_texture (snapshot, t, &GRAPHENE_RECT_INIT (0, 0, W / gc->sf, H / gc->sf));
      g_object_unref (t);
      return;
    }
  for (int i = 0; i < GRID_C * GRID_R; i++)
    {
      double x = (i % GRID_C) * (TILE + GAP), y = (i / GRID_C) * (TILE + GAP) + scroll;

      if (gc->path == 0)
        {
          Geom g = { x, y, (double) TILE / MAX (m0->rows, m0->cols), gc->sf, 1e9, 1e9 };
          snapshot_rects (snapshot, &gc->maps[i], &g);
        }
      else
        {
          GdkTexture *t = gc->path == 1 ? g_object_ref (gc->thumbs[i]) : make_thumb (&gc->maps[i]);
          gtk_snapshot_append_texture (snapshot, t, &GRAPHENE_RECT_INIT (x, y, TILE, TILE));
          g_object_unref (t);
        }
    }
}

/* One thumbnail as GtkPicture shows it (its texture in a 96 × 96 box) at scale @sf: how many
 * device pixels are not one of the map's colours (blends of two map pixels)? */
static void
check_thumb_crisp (R        *r,
                   double    sf,
                   gboolean  crisp)
{
  Map map;
  GdkTexture *thumb, *texture;
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  GskRenderNode *node;
  GHashTable *colours = g_hash_table_new (NULL, NULL);
  int W = (int) ceil (TILE * sf), blends = 0;
  guint32 *px = g_new (guint32, (gsize) W * W);

  map_init (&map, 32, 32, 0.0, 5);
  for (int p = 0; p < 32 * 32; p++)
    g_hash_table_add (colours, GUINT_TO_POINTER (map.argb[p] | 0xff000000u));
  thumb = make_thumb (&map);
  gtk_snapshot_scale (snapshot, sf, sf);
  if (crisp)
    {
      /* what the grid shows since gms-crisp-texture.c */
      GdkPaintable *paintable = gms_crisp_texture_new (thumb, (int) sf);
      gdk_paintable_snapshot (paintable, snapshot, TILE, TILE);
      g_object_unref (paintable);
    }
  else
    gtk_snapshot_append_texture (snapshot, thumb, &GRAPHENE_RECT_INIT (0, 0, TILE, TILE));
  node = gtk_snapshot_free_to_node (snapshot);
  texture = gsk_renderer_render_texture (r->renderer, node, &GRAPHENE_RECT_INIT (0, 0, W, W));
  gdk_texture_download (texture, (guchar *) px, (gsize) W * 4);
  for (int i = 0; i < W * W; i++)
    blends += !g_hash_table_contains (colours, GUINT_TO_POINTER (px[i] | 0xff000000u));
  printf ("| %s | scale %g | %s | %d of %d |\n", r->renderer_name, sf,
          crisp ? "GmsCrispTexture (now)" : "the texture (before)", blends, W * W);
  g_object_unref (texture);
  gsk_render_node_unref (node);
  g_object_unref (thumb);
  g_hash_table_unref (colours);
  g_free (px);
  map_clear (&map);
}

int
main (int    argc,
      char **argv)
{
  gboolean quick = FALSE;
  GOptionEntry entries[] = {
    { "frames", 0, 0, G_OPTION_ARG_INT, &n_frames, "Frames timed per case (15)", "N" },
    { "quick", 0, 0, G_OPTION_ARG_NONE, &quick, "Fewer cases", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) oc = g_option_context_new ("— time GenoMap drawing paths offscreen");
  g_autoptr(GError) error = NULL;
  GtkWidget *window;
  GdkSurface *surface;
  R renderers[2];
  int n_renderers = 0;
  Gl gl = { 0 };
  gboolean have_gl;
  const int sizes[] = { 32, 52 };
  const double zooms[] = { 1, 4, 16 };
  const double sfs[] = { 1, 2 };
  const char *paths[] = { "rects", "texture", "gl", "empty frame" };

  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  n_frames = MAX (n_frames, 1);
  gtk_init ();
  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 200, 200);
  gtk_widget_realize (window);
  surface = gtk_native_get_surface (GTK_NATIVE (window));

  renderers[n_renderers].renderer_name = "cairo";
  renderers[n_renderers].renderer = gsk_cairo_renderer_new ();
  if (gsk_renderer_realize (renderers[n_renderers].renderer, surface, &error))
    n_renderers++;
  else
    g_printerr ("cairo renderer: %s\n", error->message);
  g_clear_error (&error);
  renderers[n_renderers].renderer_name = "gl";
  renderers[n_renderers].renderer = gsk_gl_renderer_new ();
  if (gsk_renderer_realize (renderers[n_renderers].renderer, surface, &error))
    n_renderers++;
  else
    g_printerr ("GL renderer: %s\n", error->message);
  g_clear_error (&error);
  have_gl = gl_init (&gl, surface);
  if (have_gl)
    printf ("GL: %s; %s; %s\n", glGetString (GL_VERSION), glGetString (GL_RENDERER),
            gl.es ? "GLES" : "desktop GL");
  printf ("GTK %u.%u.%u; %d frames per case (median and max of snapshot + render + download)\n\n",
          gtk_get_major_version (), gtk_get_minor_version (), gtk_get_micro_version (), n_frames);

  printf ("### The GenoMap view (%d × %d)\n\n", VIEW, VIEW);
  printf ("| renderer | case | median ms/frame | max ms | of which snapshot ms (median) |\n|---|---|---:|---:|---:|\n");
  for (int ri = 0; ri < n_renderers; ri++)
    for (guint si = 0; si < G_N_ELEMENTS (sizes); si++)
      for (int sparse = 1; sparse >= (quick ? 1 : 0); sparse--)
        {
          Map map;
          map_init (&map, sizes[si], sizes[si], sparse ? 0.8 : 0.0, 7);
          for (guint zi = 0; zi < G_N_ELEMENTS (zooms); zi++)
            for (guint fi = 0; fi < G_N_ELEMENTS (sfs); fi++)
              for (int p = 0; p < 4; p++)
                {
                  ViewCase vc = { &map, zooms[zi], sfs[fi], p, &gl };
                  g_autofree char *what = NULL;
                  if ((p == 2 && !have_gl) || (p == 3 && !(si == 0 && zi == 0 && sparse)))
                    continue;
                  if (p == 3)
                    what = g_strdup_printf ("scale %g: %s", sfs[fi], paths[p]);
                  else
                    what = g_strdup_printf ("%d×%d %s, zoom %g, scale %g: **%s**", sizes[si], sizes[si],
                                            sparse ? "80 % zeros" : "dense", zooms[zi], sfs[fi], paths[p]);
                  time_frames (&renderers[ri], what, VIEW, VIEW, sfs[fi], view_frame, &vc);
                }
          map_clear (&map);
        }

  printf ("\n### Texture path against rectangles: device pixels that differ\n\n");
  printf ("| renderer | view | pixels that differ |\n|---|---|---:|\n");
  for (int ri = 0; ri < n_renderers; ri++)
    for (guint si = 0; si < G_N_ELEMENTS (sizes); si++)
      {
        Map map;
        const double czooms[] = { 1, 1.37, 4, 16 };
        map_init (&map, sizes[si], sizes[si], 0.0, 11);
        for (guint zi = 0; zi < G_N_ELEMENTS (czooms); zi++)
          for (guint fi = 0; fi < G_N_ELEMENTS (sfs); fi++)
            compare_paths (&renderers[ri], &map, czooms[zi], sfs[fi]);
        map_clear (&map);
      }

  printf ("\n### A 32 × 32 thumbnail (96 × 96 texture) in a 96 × 96 box: device pixels that blend two map colours\n\n");
  printf ("| renderer | scale | drawn as | blended pixels |\n|---|---|---|---:|\n");
  for (int ri = 0; ri < n_renderers; ri++)
    for (guint fi = 0; fi < G_N_ELEMENTS (sfs); fi++)
      for (int crisp = 0; crisp < 2; crisp++)
        check_thumb_crisp (&renderers[ri], sfs[fi], crisp);

  printf ("\n### A grid of %d thumbnails (%d × %d tiles of %d px)\n\n", GRID_C * GRID_R, GRID_C, GRID_R, TILE);
  printf ("| renderer | case | median ms/frame | max ms | of which snapshot ms (median) |\n|---|---|---:|---:|---:|\n");
  for (int ri = 0; ri < n_renderers; ri++)
    for (guint si = 0; si < G_N_ELEMENTS (sizes); si++)
      for (guint fi = 0; fi < G_N_ELEMENTS (sfs); fi++)
        {
          GridCase *gc = g_new0 (GridCase, 1);
          int P = sizes[si] * sizes[si];
          const char *grid_paths[] = { "rects", "textures (cached)", "textures (new each frame)", "gl atlas",
                                       "empty frame" };

          gc->sf = sfs[fi];
          gc->gl = &gl;
          gc->atlas = g_new (float, (gsize) P * GRID_C * GRID_R);
          for (int i = 0; i < GRID_C * GRID_R; i++)
            {
              map_init (&gc->maps[i], sizes[si], sizes[si], 0.8, 100 + i);
              gc->thumbs[i] = make_thumb (&gc->maps[i]);
              /* atlas: tile (i % GRID_C, i / GRID_C) */
              for (int r = 0; r < sizes[si]; r++)
                memcpy (gc->atlas + ((gsize) (i / GRID_C) * sizes[si] + r) * GRID_C * sizes[si] + (i % GRID_C) * sizes[si],
                        gc->maps[i].values + r * sizes[si], sizeof (float) * sizes[si]);
            }
          for (int p = 0; p < 5; p++)
            {
              g_autofree char *what = NULL;
              if (p == 4 && si > 0)
                continue;
              if (p == 3 && !have_gl)
                continue;
              if (p == 0 && quick)
                continue;
              gc->path = p;
              if (p == 4)
                what = g_strdup_printf ("scale %g: %s", sfs[fi], grid_paths[p]);
              else
                what = g_strdup_printf ("%d×%d maps, scale %g: **%s**", sizes[si], sizes[si], sfs[fi], grid_paths[p]);
              time_frames (&renderers[ri], what, GRID_C * (TILE + GAP), GRID_R * (TILE + GAP), sfs[fi], grid_frame, gc);
            }
          for (int i = 0; i < GRID_C * GRID_R; i++)
            {
              map_clear (&gc->maps[i]);
              g_object_unref (gc->thumbs[i]);
            }
          g_free (gc->atlas);
          g_free (gc);
        }

  for (int ri = 0; ri < n_renderers; ri++)
    {
      gsk_renderer_unrealize (renderers[ri].renderer);
      g_object_unref (renderers[ri].renderer);
    }
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
