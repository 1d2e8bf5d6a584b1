/* gm-gw.c — Gromov–Wasserstein gene layouts: the reference's ring geometry and a Euclidean grid
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Both solvers place n genes one-to-one on n pixels of an R × C grid (pixel
 * p = row + col × rows, column-major) so as to minimise a Gromov–Wasserstein
 * energy between the gene–gene correlation distance C1 and a pixel–pixel
 * "distance" C2.  A one-to-one placement σ is the coupling T = Perm_σ / n.
 *
 * Everything here is deterministic: no threads of our own, fixed tie-breaking,
 * random numbers only from a GRand seeded with opts->seed.  OpenBLAS may use
 * its own threads inside the GEMMs; each entry of a GEMM is summed in the same
 * order whatever the thread count, so results do not depend on it.
 */
#include "config.h"

#include <cblas.h>
#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "gm-layout.h"
#include "gm-linalg.h"

#define KL_EPS 1e-15

#define IDX(i, j, ld) ((gsize) (i) * (gsize) (ld) + (gsize) (j))

/* ------------------------------------------------------------------ common */

const char *
gm_grid_geometry_name (GmGridGeometry g)
{
  switch (g)
    {
    case GM_GRID_RINGS:
      return "rings";
    case GM_GRID_EUCLIDEAN:
      return "euclidean";
    default:
      return NULL;
    }
}

gboolean
gm_grid_geometry_parse (const char     *s,
                        GmGridGeometry *out)
{
  GmGridGeometry g;

  if (s == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (s, "rings") == 0 || g_ascii_strcasecmp (s, "ring") == 0 ||
      g_ascii_strcasecmp (s, "reference") == 0)
    g = GM_GRID_RINGS;
  else if (g_ascii_strcasecmp (s, "euclidean") == 0 || g_ascii_strcasecmp (s, "grid") == 0)
    g = GM_GRID_EUCLIDEAN;
  else
    return FALSE;
  if (out != NULL)
    *out = g;
  return TRUE;
}

/* The reference's grid coordinates (createMeshDistance): odd sizes are centred,
 * even sizes run −N/2 … N/2 − 1. */
static int
grid_coord (int size,
            int index)
{
  return (size % 2 == 0) ? index - size / 2 : index - (size - 1) / 2;
}

static int
pixel_radius2 (int rows,
               int cols,
               int pixel)
{
  int x = grid_coord (rows, pixel % rows);
  int y = grid_coord (cols, pixel / rows);

  return x * x + y * y;
}

static gboolean
is_cancelled (const GmSolverOptions *opts,
              GError               **error)
{
  if (opts != NULL && opts->cancel != NULL && g_atomic_int_get (opts->cancel) != 0)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_CANCELLED, "Layout computation cancelled");
      return TRUE;
    }
  return FALSE;
}

static void
report (const GmSolverOptions *opts,
        double                 fraction,
        const char            *stage)
{
  if (opts != NULL && opts->progress != NULL)
    opts->progress (CLAMP (fraction, 0.0, 1.0), stage, opts->progress_data);
}

static int
cmp_int32 (const void *a,
           const void *b)
{
  int32_t x = *(const int32_t *) a, y = *(const int32_t *) b;

  return (x > y) - (x < y);
}

static int
cmp_int (const void *a,
         const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;

  return (x > y) - (x < y);
}

/* Checks the arguments shared by both solvers and returns the usable pixels,
 * ascending (the "slots"). */
static int32_t *
validate_and_slots (const double   *C1,
                    int             n,
                    int             rows,
                    int             cols,
                    const int32_t  *pixels_allowed,
                    int32_t        *pixel,
                    gboolean        nonnegative,
                    GError        **error)
{
  g_autofree int32_t *slots = NULL;
  gint64 n_pixels;

  if (C1 == NULL || pixel == NULL)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE, "Layout solver called without %s",
                   C1 == NULL ? "a distance matrix" : "an output array");
      return NULL;
    }
  if (rows < 1 || cols < 1)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE, "Invalid grid size %d × %d", rows, cols);
      return NULL;
    }
  if (n < 2)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE,
                   "A layout needs at least 2 genes (got %d)", n);
      return NULL;
    }
  n_pixels = (gint64) rows * cols;
  if (n_pixels > G_MAXINT32)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE, "Grid %d × %d is too large", rows, cols);
      return NULL;
    }
  if ((gint64) n > n_pixels)
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE,
                   "%d genes do not fit on a %d × %d grid (%" G_GINT64_FORMAT " pixels)",
                   n, rows, cols, n_pixels);
      return NULL;
    }

  for (gsize k = 0; k < (gsize) n * n; k++)
    {
      double a = C1[k];

      if (!isfinite (a))
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "Gene distance matrix has a non-finite entry at (%d, %d)",
                       (int) (k / n), (int) (k % n));
          return NULL;
        }
      /* a·log(a + 1e-15) must be defined for the KL loss */
      if (nonnegative && !(a + KL_EPS > 0.0))
        {
          g_set_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT,
                       "Gene distance matrix has a negative entry %g at (%d, %d)",
                       a, (int) (k / n), (int) (k % n));
          return NULL;
        }
    }

  slots = g_new (int32_t, n);
  if (pixels_allowed == NULL)
    {
      for (int i = 0; i < n; i++)
        slots[i] = i;
      return g_steal_pointer (&slots);
    }
  memcpy (slots, pixels_allowed, sizeof (int32_t) * n);
  qsort (slots, n, sizeof (int32_t), cmp_int32);
  for (int i = 0; i < n; i++)
    {
      if (slots[i] < 0 || (gint64) slots[i] >= n_pixels)
        {
          g_set_error (error, GM_ERROR, GM_ERROR_USAGE,
                       "Allowed pixel %d is outside the %d × %d grid", (int) slots[i], rows, cols);
          return NULL;
        }
      if (i > 0 && slots[i] == slots[i - 1])
        {
          g_set_error (error, GM_ERROR, GM_ERROR_USAGE,
                       "Allowed pixel %d is listed twice", (int) slots[i]);
          return NULL;
        }
    }
  return g_steal_pointer (&slots);
}

/* (C1 + C1ᵀ)/2 × scale with a zero diagonal.  The variable part of both energies
 * is linear in C1 and pairs it with a symmetric C2, so this changes the energy
 * only by a constant. */
static double *
symmetrised (const double *C1,
             int           n,
             double        scale)
{
  double *S = g_new (double, (gsize) n * n);
  const int tile = 64;

  /* tiles, so that the transposed reads stay in cache */
  for (int i0 = 0; i0 < n; i0 += tile)
    for (int k0 = i0; k0 < n; k0 += tile)
      for (int i = i0; i < MIN (i0 + tile, n); i++)
        for (int k = MAX (k0, i + 1); k < MIN (k0 + tile, n); k++)
          {
            double v = 0.5 * (C1[IDX (i, k, n)] + C1[IDX (k, i, n)]) * scale;

            S[IDX (i, k, n)] = v;
            S[IDX (k, i, n)] = v;
          }
  for (int i = 0; i < n; i++)
    S[IDX (i, i, n)] = 0.0;
  return S;
}

static GRand *
seeded_rand (guint64 seed)
{
  guint32 words[2] = { (guint32) (seed & 0xffffffffu), (guint32) (seed >> 32) };

  return g_rand_new_with_seed_array (words, 2);
}

/* ------------------------------------------------------------ dense LAP
 *
 * Linear assignment, min Σ_i cost[i][x_i] over permutations x, dense n × n.
 * A shortest-augmenting-path solver in the manner of Jonker & Volgenant (1987):
 * starting column duals v (column reduction; or the duals of an earlier,
 * similar problem; for n ≥ 256 the prices of an ε-scaling auction, which are
 * close to optimal and leave little to augment), two rounds of augmenting row
 * reduction, then one Dijkstra-like shortest augmenting path per row still
 * free, over reduced costs c[i][j] − v[j].  Every assigned row sits on a
 * column of least reduced cost throughout, so the result is exact (up to
 * floating-point round-off) whatever the starting duals.  Deterministic.
 * The cost is read as sign × cost[i][j], so that maximisation needs no copy. */

typedef struct
{
  int      n;
  double  *v;          /* column duals, n */
  int32_t *x;          /* row → column */
  int32_t *y;          /* column → row */
  double  *d;          /* work: path lengths */
  int32_t *pred;       /* work */
  int32_t *cols;       /* work: column list */
  int32_t *free_rows;  /* work */
} Lap;

static void
lap_init (Lap *lap,
          int  n)
{
  lap->n = n;
  lap->v = g_new0 (double, n);
  lap->x = g_new (int32_t, n);
  lap->y = g_new (int32_t, n);
  lap->d = g_new (double, n);
  lap->pred = g_new (int32_t, n);
  lap->cols = g_new (int32_t, n);
  lap->free_rows = g_new (int32_t, n);
}

static void
lap_clear (Lap *lap)
{
  g_free (lap->v);
  g_free (lap->x);
  g_free (lap->y);
  g_free (lap->d);
  g_free (lap->pred);
  g_free (lap->cols);
  g_free (lap->free_rows);
  memset (lap, 0, sizeof *lap);
}

#define LAPC(i, j) (sign * cost[IDX ((i), (j), n)])

/* Column duals for a cold start of a large LAP: a forward auction (Bertsekas)
 * with ε-scaling, Gauss–Seidel, each person bidding on its best column by the
 * margin over its second best plus ε.  Any v is a valid start for lap_run,
 * which stays exact; near-optimal ones leave it little to augment.  The number
 * of bids is capped, so this is bounded whatever the costs. */
static gboolean
lap_auction_duals (Lap                   *lap,
                   const double          *cost,
                   double                 sign,
                   gboolean               warm,
                   const GmSolverOptions *opts,
                   GError               **error)
{
  int n = lap->n;
  double *price = lap->v;     /* v = −price at the end */
  int32_t *x = lap->x, *y = lap->y, *queue = lap->free_rows;
  double lo = INFINITY, hi = -INFINITY, eps;

  for (gsize k = 0; k < (gsize) n * n; k++)
    {
      lo = MIN (lo, sign * cost[k]);
      hi = MAX (hi, sign * cost[k]);
    }
  if (!(hi > lo))
    {
      memset (price, 0, sizeof (double) * n);
      return TRUE;
    }
  if (warm)
    {
      /* the duals of a similar problem: refine them, no coarse phases */
      for (int j = 0; j < n; j++)
        price[j] = -lap->v[j];
      eps = (hi - lo) / (8.0 * n);
    }
  else
    {
      for (int j = 0; j < n; j++)
        price[j] = 0.0;
      eps = (hi - lo) / 8.0;
    }
  for (int phase = 0; phase < 12; phase++)
    {
      gint64 bids = 0, max_bids = 64 * (gint64) n;
      int head = 0, queued = n;

      for (int i = 0; i < n; i++)
        {
          x[i] = -1;
          queue[i] = i;
        }
      for (int j = 0; j < n; j++)
        y[j] = -1;
      while (queued > 0 && bids < max_bids)
        {
          int i = queue[head], j1 = 0, i0;
          const double *ci = cost + IDX (i, 0, n);
          double w1 = INFINITY, w2 = INFINITY;

          if ((bids & 1023) == 1023 && is_cancelled (opts, error))
            return FALSE;
          head = (head + 1) % n;
          queued--;
          /* person i: least c + price, and the runner-up */
          for (int j = 0; j < n; j++)
            {
              double w = sign * ci[j] + price[j];

              if (w < w2)
                {
                  if (w < w1)
                    {
                      w2 = w1;
                      w1 = w;
                      j1 = j;
                    }
                  else
                    w2 = w;
                }
            }
          if (!isfinite (w2))
            w2 = w1;
          price[j1] += w2 - w1 + eps;
          i0 = y[j1];
          y[j1] = i;
          x[i] = j1;
          if (i0 >= 0)
            {
              x[i0] = -1;
              queue[(head + queued) % n] = i0;
              queued++;
            }
          bids++;
        }
      if (queued > 0)
        break;          /* out of bids: keep the prices so far */
      eps /= 6.0;
      if (eps < 1e-12 * (hi - lo) / n)
        break;
    }
  for (int j = 0; j < n; j++)
    lap->v[j] = -price[j];
  return TRUE;
}

/* Returns FALSE only when cancelled. */
static gboolean
lap_run (Lap                   *lap,
         const double          *cost,
         double                 sign,
         gboolean               warm,
         const GmSolverOptions *opts,
         GError               **error)
{
  int n = lap->n;
  double *v = lap->v, *d = lap->d;
  int32_t *x = lap->x, *y = lap->y, *pred = lap->pred, *cols = lap->cols;
  int32_t *free_rows = lap->free_rows;
  int n_free = 0;

  if (n >= 256)
    {
      if (!lap_auction_duals (lap, cost, sign, warm, opts, error))
        return FALSE;
      warm = TRUE;
    }
  for (int i = 0; i < n; i++)
    x[i] = -1;
  for (int j = 0; j < n; j++)
    y[j] = -1;
  if (!warm)
    {
      /* column reduction: v[j] = min_i c[i][j]; each column goes to its argmin row
       * if that row is still free (columns visited last to first, as in JV) */
      for (int j = 0; j < n; j++)
        {
          v[j] = LAPC (0, j);
          pred[j] = 0;
        }
      for (int i = 1; i < n; i++)
        for (int j = 0; j < n; j++)
          {
            double c = LAPC (i, j);

            if (c < v[j])
              {
                v[j] = c;
                pred[j] = i;
              }
          }
      for (int j = n - 1; j >= 0; j--)
        if (x[pred[j]] < 0)
          {
            x[pred[j]] = j;
            y[j] = pred[j];
          }
    }

  for (int i = n - 1; i >= 0; i--)
    if (x[i] < 0)
      free_rows[n_free++] = i;
  /* keep the natural row order for the following phases */
  for (int a = 0, b = n_free - 1; a < b; a++, b--)
    {
      int32_t t = free_rows[a];

      free_rows[a] = free_rows[b];
      free_rows[b] = t;
    }

  /* augmenting row reduction, two rounds */
  for (int round = 0; round < 2 && n_free > 0; round++)
    {
      int k = 0, prev_free = n_free;
      gint64 steps = 0, max_steps = 8 * (gint64) n + 64;

      n_free = 0;
      while (k < prev_free)
        {
          int i;

          if (steps >= max_steps)
            {
              /* out of steps: what is left goes to the augmentation */
              while (k < prev_free)
                free_rows[n_free++] = free_rows[k++];
              break;
            }
          i = free_rows[k++];
          double u1 = LAPC (i, 0) - v[0], u2 = INFINITY;
          int j1 = 0, j2 = -1, i0;
          gboolean lowered;

          for (int j = 1; j < n; j++)
            {
              double h = LAPC (i, j) - v[j];

              if (h < u2)
                {
                  if (h >= u1)
                    {
                      u2 = h;
                      j2 = j;
                    }
                  else
                    {
                      u2 = u1;
                      j2 = j1;
                      u1 = h;
                      j1 = j;
                    }
                }
            }
          if (j2 < 0)       /* n == 1 */
            j2 = j1;
          i0 = y[j1];
          lowered = u1 < u2;
          if (lowered)
            v[j1] -= u2 - u1;
          else if (i0 >= 0)
            {
              j1 = j2;
              i0 = y[j1];
            }
          if (i0 >= 0)
            x[i0] = -1;
          x[i] = j1;
          y[j1] = i;
          steps++;
          if (i0 >= 0)
            {
              if (lowered)
                free_rows[--k] = i0;    /* at once: its best column just got dearer */
              else
                free_rows[n_free++] = i0;
            }
        }
    }

  /* shortest augmenting paths */
  for (int f = 0; f < n_free; f++)
    {
      int row = free_rows[f];
      int low = 0, up = 0, last = 0, end = -1;
      double dmin = 0.0;

      if ((f & 63) == 63 && is_cancelled (opts, error))
        return FALSE;

      for (int j = 0; j < n; j++)
        {
          cols[j] = j;
          d[j] = LAPC (row, j) - v[j];
          pred[j] = row;
        }
      /* cols[0, low): ready (final), [low, up): at the current minimum, to scan,
       * [up, n): not yet reached at the minimum */
      while (end < 0)
        {
          if (up == low)
            {
              last = low;
              dmin = d[cols[up]];
              up++;
              for (int k = up; k < n; k++)
                {
                  int j = cols[k];
                  double h = d[j];

                  if (h <= dmin)
                    {
                      if (h < dmin)
                        {
                          up = low;
                          dmin = h;
                        }
                      cols[k] = cols[up];
                      cols[up++] = j;
                    }
                }
              for (int k = low; k < up; k++)
                if (y[cols[k]] < 0)
                  {
                    end = cols[k];
                    break;
                  }
              if (end >= 0)
                break;
            }

          {
            int j1 = cols[low++];
            int i = y[j1];
            double u1 = LAPC (i, j1) - v[j1] - dmin;

            for (int k = up; k < n; k++)
              {
                int j = cols[k];
                double h = LAPC (i, j) - v[j] - u1;

                if (h < d[j])
                  {
                    d[j] = h;
                    pred[j] = i;
                    if (h == dmin)
                      {
                        if (y[j] < 0)
                          {
                            end = j;
                            break;
                          }
                        cols[k] = cols[up];
                        cols[up++] = j;
                      }
                  }
              }
          }
        }

      /* update the duals of the columns made final */
      for (int k = 0; k < last; k++)
        {
          int j = cols[k];

          v[j] += d[j] - dmin;
        }
      /* augment */
      for (;;)
        {
          int i = pred[end];
          int next = x[i];

          y[end] = i;
          x[i] = end;
          if (i == row)
            break;
          end = next;
        }
    }
  return TRUE;
}

#undef LAPC

double
gm_gw_lap_solve (int            n,
                 const double  *cost,
                 int32_t       *row_to_col)
{
  Lap lap;
  double total = 0.0;

  g_return_val_if_fail (n >= 1 && cost != NULL && row_to_col != NULL, NAN);
  lap_init (&lap, n);
  lap_run (&lap, cost, 1.0, FALSE, NULL, NULL);
  for (int i = 0; i < n; i++)
    {
      row_to_col[i] = lap.x[i];
      total += cost[IDX (i, lap.x[i], n)];
    }
  lap_clear (&lap);
  return total;
}

/* =================================================================== RINGS
 *
 * The reference's objective (xinglab-ai/genomap, spec §5.1):
 *   E(σ) = (1/n²) Σ_{i,k} L(C1[i,k], C2[σi,σk]),
 *   L(a,b) = a·log(a+1e-15) − a + b − a·log(b+1e-15),  C2[p,q] = |ρ_p − ρ_q|,
 * ρ = distance of a pixel to the (off-centre for even sizes) grid centre.
 *
 * Σ f1(C1) and Σ C2 are constants, so E = const + F/n² with
 *   F(g) = −Σ_{i≠k} C1[i,k] · H[g_i][g_k],  H[a][b] = log(|ρ_a − ρ_b| + 1e-15),
 * where g_i is the *ring* of gene i (rings: the classes of equal x² + y² among
 * the usable pixels; ring a has cap_a pixels).  Placement within a ring does
 * not matter.  With W[i][b] = Σ_{k≠i, g_k=b} C1[i,k] and M = W·H (n × K),
 * the linearised cost of sending gene i to ring a is −M[i][a], and the
 * reference's step T ← EMD(−C1·T·Hᵀ) is exactly the capacitated transportation
 * problem genes → rings with that cost.
 *
 * Solver:
 *  1. the reference's first iterate (T0 uniform makes the cost rank 1: genes by
 *     decreasing Σ_k C1[i,k] onto rings by decreasing Σ_b cap_b H[a][b]);
 *  2. the reference's iteration at ring level, each step an exact transportation
 *     solve (successive shortest paths on the K ring nodes with potentials,
 *     warm-started from the previous step's potentials), until no gene changes
 *     ring or F stalls — the reference's own fixed point;
 *  3. local search: best pairwise swap of genes between rings for each gene,
 *     exact O(1) deltas from M (M updated by rank-1 terms, see
 *     ring_swap_search), until no swap improves; then the transportation step
 *     again; repeated while that helps;
 *  4. seeded perturbations: a few random swaps, the swap search again, kept
 *     only when the result is better (RING_KICKS rounds);
 *  5. genes in index order fill their ring's pixels in ascending pixel order.
 * Steps 3–4 are what takes the energy below the reference's fixed point.
 */

typedef struct
{
  int      n, K;
  int32_t *slots;      /* n usable pixels, ascending */
  int     *slot_ring;  /* n */
  int     *cap;        /* K */
  int     *r2;         /* K, ascending */
  double  *H;          /* K × K */
  double   h0;         /* log (1e-15), the diagonal of H */
} RingGeom;

static void
ring_geom_init (RingGeom      *rg,
                int            rows,
                int            cols,
                const int32_t *slots,
                int            n)
{
  g_autofree int *sorted = g_new (int, n);
  int *pr2 = g_new (int, n);
  int K = 0;

  rg->n = n;
  rg->slots = g_memdup2 (slots, sizeof (int32_t) * n);
  for (int i = 0; i < n; i++)
    pr2[i] = sorted[i] = pixel_radius2 (rows, cols, slots[i]);
  qsort (sorted, n, sizeof (int), cmp_int);
  for (int i = 0; i < n; i++)
    if (K == 0 || sorted[i] != sorted[K - 1])
      sorted[K++] = sorted[i];
  rg->K = K;
  rg->r2 = g_memdup2 (sorted, sizeof (int) * K);
  rg->cap = g_new0 (int, K);
  rg->slot_ring = g_new (int, n);
  for (int i = 0; i < n; i++)
    {
      int *hit = bsearch (&pr2[i], rg->r2, K, sizeof (int), cmp_int);

      rg->slot_ring[i] = (int) (hit - rg->r2);
      rg->cap[rg->slot_ring[i]]++;
    }
  g_free (pr2);
  rg->H = g_new (double, (gsize) K * K);
  for (int a = 0; a < K; a++)
    for (int b = 0; b < K; b++)
      rg->H[IDX (a, b, K)] = log (fabs (sqrt ((double) rg->r2[a]) - sqrt ((double) rg->r2[b])) + KL_EPS);
  rg->h0 = log (KL_EPS);
}

static void
ring_geom_clear (RingGeom *rg)
{
  g_free (rg->slots);
  g_free (rg->slot_ring);
  g_free (rg->cap);
  g_free (rg->r2);
  g_free (rg->H);
  memset (rg, 0, sizeof *rg);
}

/* M = W·H for the assignment g; returns F(g) = −Σ_i M[i][g_i]. */
static double
ring_compute_M (const double   *S,
                const RingGeom *rg,
                const int      *g,
                double         *W,
                double         *M)
{
  int n = rg->n, K = rg->K;
  double F = 0.0;

  memset (W, 0, sizeof (double) * (gsize) n * K);
  for (int i = 0; i < n; i++)
    {
      const double *Si = S + IDX (i, 0, n);
      double *Wi = W + IDX (i, 0, K);

      for (int k = 0; k < n; k++)
        Wi[g[k]] += Si[k];
    }
  gm_dgemm (FALSE, FALSE, n, K, K,
            1.0, W, K, rg->H, K, 0.0, M, K);
  for (int i = 0; i < n; i++)
    F -= M[IDX (i, g[i], K)];
  return F;
}

/* ---- capacitated transportation genes → rings (exact)
 *
 * Residual graph compressed onto the K ring nodes: moving gene i from ring a to
 * ring b costs c[i][b] − c[i][a], and the edge a → b carries the cheapest such
 * gene (minw/argw).  Any residual cycle of the bipartite gene/ring graph maps
 * to a cycle of this graph with distinct genes, so "no negative cycle here" is
 * optimality.  Start: every gene on its cheapest ring under the potentials π
 * (reduced costs ≥ 0 by construction, rings over- and under-full); then
 * successive shortest paths (Dijkstra, dense, O(K²)) from the over-full rings
 * to an under-full one, with the usual potential update.  Potentials are kept
 * between solves, so a solve after a small change of the costs is short. */

typedef struct
{
  int         n, K;
  const int  *cap;
  const double *cost;  /* n × K */
  int        *ring;    /* n */
  int        *count;   /* K */
  int        *head;    /* K: first member, −1 */
  int        *next;    /* n */
  int        *prev;    /* n */
  double     *minw;    /* K × K */
  int        *argw;    /* K × K */
  double     *pi;      /* K */
  double     *dist;    /* K */
  int        *pred;    /* K */
  guchar     *done;    /* K */
  int        *path;    /* K + 1 */
  int        *moved;   /* K + 1 */
} Transport;

static void
transport_init (Transport  *t,
                int         n,
                int         K,
                const int  *cap)
{
  t->n = n;
  t->K = K;
  t->cap = cap;
  t->cost = NULL;
  t->ring = g_new (int, n);
  t->count = g_new (int, K);
  t->head = g_new (int, K);
  t->next = g_new (int, n);
  t->prev = g_new (int, n);
  t->minw = g_new (double, (gsize) K * K);
  t->argw = g_new (int, (gsize) K * K);
  t->pi = g_new0 (double, K);
  t->dist = g_new (double, K);
  t->pred = g_new (int, K);
  t->done = g_new (guchar, K);
  t->path = g_new (int, K + 1);
  t->moved = g_new (int, K + 1);
}

static void
transport_clear (Transport *t)
{
  g_free (t->ring);
  g_free (t->count);
  g_free (t->head);
  g_free (t->next);
  g_free (t->prev);
  g_free (t->minw);
  g_free (t->argw);
  g_free (t->pi);
  g_free (t->dist);
  g_free (t->pred);
  g_free (t->done);
  g_free (t->path);
  g_free (t->moved);
  memset (t, 0, sizeof *t);
}

static void
transport_link (Transport *t,
                int        i,
                int        a)
{
  t->ring[i] = a;
  t->prev[i] = -1;
  t->next[i] = t->head[a];
  if (t->head[a] >= 0)
    t->prev[t->head[a]] = i;
  t->head[a] = i;
  t->count[a]++;
}

static void
transport_unlink (Transport *t,
                  int        i)
{
  int a = t->ring[i];

  if (t->prev[i] >= 0)
    t->next[t->prev[i]] = t->next[i];
  else
    t->head[a] = t->next[i];
  if (t->next[i] >= 0)
    t->prev[t->next[i]] = t->prev[i];
  t->count[a]--;
}

static void
transport_scan_column (Transport *t,
                       int        a,
                       int        b)
{
  int K = t->K;
  double best = INFINITY;
  int arg = -1;

  for (int i = t->head[a]; i >= 0; i = t->next[i])
    {
      const double *ci = t->cost + IDX (i, 0, K);
      double w = ci[b] - ci[a];

      if (w < best || (w == best && i < arg))
        {
          best = w;
          arg = i;
        }
    }
  t->minw[IDX (a, b, K)] = best;
  t->argw[IDX (a, b, K)] = arg;
}

static void
transport_offer (Transport *t,
                 int        i)
{
  int K = t->K, a = t->ring[i];
  const double *ci = t->cost + IDX (i, 0, K);
  double *mw = t->minw + IDX (a, 0, K);
  int *aw = t->argw + IDX (a, 0, K);

  for (int b = 0; b < K; b++)
    {
      double w = ci[b] - ci[a];

      if (w < mw[b] || (w == mw[b] && i < aw[b]))
        {
          mw[b] = w;
          aw[b] = i;
        }
    }
}

/* Total excess of the greedy assignment (every gene on its cheapest ring under pi). */
static int
transport_greedy_excess (const Transport *t,
                         const double    *pi,
                         int             *count)
{
  int n = t->n, K = t->K, excess = 0;

  memset (count, 0, sizeof (int) * K);
  for (int i = 0; i < n; i++)
    {
      const double *ci = t->cost + IDX (i, 0, K);
      int best = 0;
      double bv = ci[0] + pi[0];

      for (int a = 1; a < K; a++)
        if (ci[a] + pi[a] < bv)
          {
            bv = ci[a] + pi[a];
            best = a;
          }
      count[best]++;
    }
  for (int a = 0; a < K; a++)
    if (count[a] > t->cap[a])
      excess += count[a] - t->cap[a];
  return excess;
}

static int
cmp_double (const void *pa,
            const void *pb)
{
  double a = *(const double *) pa, b = *(const double *) pb;

  return (a > b) - (a < b);
}

/* A few rounds of price rises on the over-full rings (as in an auction): ring a
 * with e genes too many raises its price just past the e-th smallest margin of
 * its genes to their second choice.  Any prices are valid for the successive
 * shortest paths that follow; balanced ones only make them fewer. */
static void
transport_balance_prices (const Transport *t,
                          double          *pi,
                          int              rounds)
{
  int n = t->n, K = t->K;
  g_autofree int *best = g_new (int, n);
  g_autofree double *margin = g_new (double, n);
  g_autofree int *count = g_new (int, K);
  g_autofree int *start = g_new (int, K + 1);
  g_autofree double *sorted = g_new (double, n);

  for (int r = 0; r < rounds; r++)
    {
      int excess = 0;

      memset (count, 0, sizeof (int) * K);
      for (int i = 0; i < n; i++)
        {
          const double *ci = t->cost + IDX (i, 0, K);
          double v1 = INFINITY, v2 = INFINITY;
          int a1 = 0;

          for (int a = 0; a < K; a++)
            {
              double v = ci[a] + pi[a];

              if (v < v1)
                {
                  v2 = v1;
                  v1 = v;
                  a1 = a;
                }
              else if (v < v2)
                v2 = v;
            }
          best[i] = a1;
          margin[i] = v2 - v1;
          count[a1]++;
        }
      for (int a = 0; a < K; a++)
        if (count[a] > t->cap[a])
          excess += count[a] - t->cap[a];
      if (excess == 0)
        break;
      start[0] = 0;
      for (int a = 0; a < K; a++)
        start[a + 1] = start[a] + count[a];
      for (int i = 0; i < n; i++)
        sorted[start[best[i]]++] = margin[i];
      for (int a = K; a > 0; a--)
        start[a] = start[a - 1];
      start[0] = 0;
      for (int a = 0; a < K; a++)
        {
          int e = count[a] - t->cap[a];
          double step;

          if (e <= 0)
            continue;
          qsort (sorted + start[a], count[a], sizeof (double), cmp_double);
          step = sorted[start[a] + e - 1];
          if (!isfinite (step))
            continue;
          pi[a] += step + 1e-12 * (fabs (step) + fabs (pi[a]) + 1.0);
        }
    }
}

/* Solves for the current t->cost; t->ring receives the optimal rings.  @hint,
 * a feasible assignment (or NULL), suggests starting potentials: the price of
 * a ring is minus the mean cost of its genes, which balances the greedy start
 * far better than stale or zero potentials when the costs moved a lot. */
static gboolean
transport_solve (Transport             *t,
                 const int             *hint,
                 const GmSolverOptions *opts,
                 GError               **error)
{
  int n = t->n, K = t->K;
  const double *cost = t->cost;
  double *pi = t->pi, *dist = t->dist;
  int excess = 0, n_aug = 0;

  if (hint != NULL)
    {
      g_autofree double *pi_h = g_new0 (double, K);
      g_autofree int *cnt = g_new0 (int, K);

      for (int i = 0; i < n; i++)
        {
          pi_h[hint[i]] -= cost[IDX (i, hint[i], K)];
          cnt[hint[i]]++;
        }
      for (int a = 0; a < K; a++)
        pi_h[a] = cnt[a] > 0 ? pi_h[a] / cnt[a] : 0.0;
      if (transport_greedy_excess (t, pi_h, cnt) < transport_greedy_excess (t, pi, t->count))
        memcpy (pi, pi_h, sizeof (double) * K);
    }
  transport_balance_prices (t, pi, 8);

  for (int a = 0; a < K; a++)
    {
      t->head[a] = -1;
      t->count[a] = 0;
    }
  for (int i = n - 1; i >= 0; i--)
    {
      const double *ci = cost + IDX (i, 0, K);
      int best = 0;
      double bv = ci[0] + pi[0];

      for (int a = 1; a < K; a++)
        if (ci[a] + pi[a] < bv)
          {
            bv = ci[a] + pi[a];
            best = a;
          }
      transport_link (t, i, best);
    }
  for (int a = 0; a < K; a++)
    {
      double *mw = t->minw + IDX (a, 0, K);
      int *aw = t->argw + IDX (a, 0, K);

      for (int b = 0; b < K; b++)
        {
          mw[b] = INFINITY;
          aw[b] = -1;
        }
      if (t->count[a] > t->cap[a])
        excess += t->count[a] - t->cap[a];
    }
  for (int i = 0; i < n; i++)
    transport_offer (t, i);

  while (excess > 0)
    {
      int target = -1, len = 0;
      double dt;

      if ((++n_aug & 255) == 0 && is_cancelled (opts, error))
        return FALSE;

      for (int a = 0; a < K; a++)
        {
          dist[a] = t->count[a] > t->cap[a] ? 0.0 : INFINITY;
          t->done[a] = 0;
          t->pred[a] = -1;
        }
      for (;;)
        {
          int a = -1;
          double da = INFINITY;
          const double *mw;

          for (int b = 0; b < K; b++)
            if (!t->done[b] && dist[b] < da)
              {
                da = dist[b];
                a = b;
              }
          g_assert (a >= 0);
          if (t->count[a] < t->cap[a])
            {
              target = a;
              break;
            }
          t->done[a] = 1;
          mw = t->minw + IDX (a, 0, K);
          for (int b = 0; b < K; b++)
            {
              double red, nd;

              if (t->done[b] || t->count[a] == 0)
                continue;
              red = mw[b] + pi[b] - pi[a];
              if (red < 0.0)       /* round-off only */
                red = 0.0;
              nd = da + red;
              if (nd < dist[b])
                {
                  dist[b] = nd;
                  t->pred[b] = a;
                }
            }
        }
      dt = dist[target];
      for (int a = 0; a < K; a++)
        if (t->done[a])
          pi[a] += dt - dist[a];

      /* the path, target back to an over-full ring, and its genes */
      for (int b = target; t->pred[b] >= 0; b = t->pred[b])
        {
          t->path[len] = b;
          t->moved[len] = t->argw[IDX (t->pred[b], b, K)];
          len++;
        }
      t->path[len] = -1;
      for (int e = 0; e < len; e++)
        {
          int i = t->moved[e];

          transport_unlink (t, i);
          transport_link (t, i, t->path[e]);
        }
      /* rings that lost a gene: rescan the columns where it was the cheapest */
      for (int e = 0; e < len; e++)
        {
          int i = t->moved[e], a = t->pred[t->path[e]];

          for (int b = 0; b < K; b++)
            if (t->argw[IDX (a, b, K)] == i)
              transport_scan_column (t, a, b);
        }
      for (int e = 0; e < len; e++)
        transport_offer (t, t->moved[e]);
      excess--;
    }
  return TRUE;
}

/* ---- local search by swaps */

/* Applies the swap of genes i and j (rings a = g_i, b = g_j) to g and M. */
static void
ring_apply_swap (const double   *S,
                 const RingGeom *rg,
                 int            *g,
                 double         *M,
                 double         *u,
                 double         *w,
                 int             i,
                 int             j)
{
  int n = rg->n, K = rg->K, a = g[i], b = g[j];
  const double *Si = S + IDX (i, 0, n), *Sj = S + IDX (j, 0, n);

  for (int k = 0; k < n; k++)
    u[k] = Sj[k] - Si[k];
  for (int x = 0; x < K; x++)
    w[x] = rg->H[IDX (x, a, K)] - rg->H[IDX (x, b, K)];
  cblas_dger (CblasRowMajor, n, K, 1.0, u, 1, w, 1, M, K);
  g[i] = b;
  g[j] = a;
}

/* Local search by swaps: for each gene, the best swap with a gene of another
 * ring, made if it lowers F by more than tol; passes until none does.
 * Returns the number of swaps made, or −1 when cancelled.
 *
 * For gene i in ring a and a partner j in ring b ≠ a, the change of F is
 *   −2 (M[i][b] − M[i][a]) − 2 (M[j][a] − M[j][b]) + 4 S[i,j] (h0 − H[a][b])
 * (the last term undoes the double count of the pair i, j).  Genes are visited
 * ring by ring, so the scan reads one column M[·][a] (kept current in Ma), the
 * diagonal mg[j] = M[j][g_j] (kept exact), S[i][·] and g[·], all contiguous.
 * A swap changes M by the rank-1 term u wᵀ, u = S[·][j] − S[·][i],
 * w = H[·][a] − H[·][b]; those terms are queued and folded into Mt (K × n) by
 * one GEMM every RING_PENDING swaps, and read from the queue in between.
 *
 * Don't-look bits (@active): only active genes are scanned; a gene with no
 * improving swap goes to sleep, a swap wakes the genes of the two rings
 * involved.  When no active gene finds a swap, a full pass over all genes
 * decides, so the result is a true local optimum.  With @exact_end M is
 * rebuilt from scratch at the end, otherwise it is the updated one. */
#define RING_PENDING 8

/* B (c × r) = Aᵀ for A (r × c), row-major, in tiles that stay in cache. */
static void
transpose_tiled (const double *A,
                 int           r,
                 int           c,
                 double       *B)
{
  enum { TILE = 16 };

  for (int i0 = 0; i0 < r; i0 += TILE)
    for (int j0 = 0; j0 < c; j0 += TILE)
      {
        int i1 = MIN (i0 + TILE, r), j1 = MIN (j0 + TILE, c);

        for (int j = j0; j < j1; j++)
          for (int i = i0; i < i1; i++)
            B[IDX (j, i, r)] = A[IDX (i, j, c)];
      }
}

static int
ring_swap_search (const double          *S,
                  const RingGeom        *rg,
                  int                   *g,
                  double                *W,
                  double                *M,
                  double                *F,
                  guchar                *active,
                  gboolean               exact_end,
                  const GmSolverOptions *opts,
                  GError               **error)
{
  int n = rg->n, K = rg->K, total = 0, np = 0, m = RING_PENDING;
  gboolean full = FALSE;
  const double *H = rg->H;
  double h0 = rg->h0;
  double tol = 1e-11 * (fabs (*F) + 1.0);
  g_autofree double *Mt = g_new (double, (gsize) K * n);
  g_autofree double *Uq = g_new (double, (gsize) m * n);   /* queued u, m × n */
  g_autofree double *Wq = g_new (double, (gsize) m * K);   /* queued w, m × K */
  g_autofree double *mg = g_new (double, n);
  g_autofree double *Ma = g_new (double, n);
  g_autofree double *tt = g_new (double, n);   /* 2 (M[j][a] − M[j][g_j]) */
  g_autofree double *q4 = g_new (double, n);   /* 4 (h0 − H[a][g_j]) */
  g_autofree double *dl = g_new (double, n);   /* the deltas of one gene's swaps */
  g_autofree double *mi = g_new (double, K);
  g_autofree double *ci = g_new (double, K);
  g_autofree int *members = g_new (int, n);
  g_autofree int *ring_start = g_new (int, K + 1);
  g_autofree guchar *ring_active = g_new (guchar, K);

  transpose_tiled (M, n, K, Mt);
  for (int j = 0; j < n; j++)
    mg[j] = M[IDX (j, g[j], K)];

  for (int pass = 0; pass < 1000; pass++)
    {
      int swaps = 0, visited = 0, n_active = 0;

      /* the genes of each ring, as the pass starts (counting sort) */
      memset (ring_start, 0, sizeof (int) * (K + 1));
      memset (ring_active, 0, K);
      for (int j = 0; j < n; j++)
        {
          n_active += active[j] != 0;
          ring_start[g[j] + 1]++;
          ring_active[g[j]] |= active[j];
        }
      full = n_active == n;
      for (int a = 0; a < K; a++)
        ring_start[a + 1] += ring_start[a];
      for (int j = 0; j < n; j++)
        members[ring_start[g[j]]++] = j;
      for (int a = K; a > 0; a--)
        ring_start[a] = ring_start[a - 1];
      ring_start[0] = 0;

      for (int a = 0; a < K; a++)
        {
          const double *Ha = H + IDX (a, 0, K);
          const int *ring_members = members + ring_start[a];
          int n_members = ring_start[a + 1] - ring_start[a];

          if (!ring_active[a])
            continue;
          /* Ma = M[·][a], current */
          memcpy (Ma, Mt + IDX (a, 0, n), sizeof (double) * n);
          for (int s = 0; s < np; s++)
            {
              double wa = Wq[IDX (s, a, K)];
              const double *us = Uq + IDX (s, 0, n);

              for (int k = 0; k < n; k++)
                Ma[k] += wa * us[k];
            }
          for (int k = 0; k < n; k++)
            {
              tt[k] = 2.0 * (Ma[k] - mg[k]);
              q4[k] = 4.0 * (h0 - Ha[g[k]]);
            }

          for (int e = 0; e < n_members; e++)
            {
              int i = ring_members[e], best_j = -1;
              const double *Si = S + IDX (i, 0, n);
              double best = -tol;

              if (g[i] != a || !active[i])
                continue;
              if ((++visited & 255) == 0 && is_cancelled (opts, error))
                return -1;
              /* ci[x] = M[i][x] current; mi[x] = −2 (M[i][x] − M[i][a]) */
              for (int x = 0; x < K; x++)
                ci[x] = Mt[IDX (x, i, n)];
              for (int s = 0; s < np; s++)
                {
                  double us = Uq[IDX (s, i, n)];
                  const double *ws = Wq + IDX (s, 0, K);

                  for (int x = 0; x < K; x++)
                    ci[x] += us * ws[x];
                }
              for (int x = 0; x < K; x++)
                mi[x] = -2.0 * (ci[x] - mg[i]);
              /* partners in ring a are excluded: their delta is +∞.  The
               * scaling by 4 is exact, so Si[j]·q4[j] equals 4·Si[j]·(h0 − H[a][b]). */
              mi[a] = INFINITY;
              {
                /* the first j of least delta, if below best (= −tol) */
                double lo = best;
                int j = 0;
#ifdef __SSE2__
                __m128d lo2 = _mm_set1_pd (best);

                for (; j + 2 <= n; j += 2)
                  {
                    __m128d m2 = _mm_set_pd (mi[g[j + 1]], mi[g[j]]);
                    __m128d d2 = _mm_add_pd (_mm_sub_pd (m2, _mm_loadu_pd (tt + j)),
                                             _mm_mul_pd (_mm_loadu_pd (Si + j), _mm_loadu_pd (q4 + j)));

                    _mm_storeu_pd (dl + j, d2);
                    lo2 = _mm_min_pd (d2, lo2);
                  }
                {
                  double l2[2];

                  _mm_storeu_pd (l2, lo2);
                  lo = l2[0] < lo ? l2[0] : lo;
                  lo = l2[1] < lo ? l2[1] : lo;
                }
#endif
                for (; j < n; j++)
                  {
                    dl[j] = (mi[g[j]] - tt[j]) + Si[j] * q4[j];
                    lo = dl[j] < lo ? dl[j] : lo;
                  }
                if (lo < best)
                  {
                    best = lo;
                    for (best_j = 0; dl[best_j] != lo; best_j++)
                      ;
                  }
              }
              if (best_j < 0)
                {
                  active[i] = 0;
                  continue;
                }

              {
                int j = best_j, b = g[j], s = np++;
                const double *Sj = S + IDX (j, 0, n);
                double *u = Uq + IDX (s, 0, n), *w = Wq + IDX (s, 0, K);
                double mg_i, mg_j;

                for (int k = 0; k < n; k++)
                  u[k] = Sj[k] - Si[k];
                for (int x = 0; x < K; x++)
                  w[x] = H[IDX (x, a, K)] - H[IDX (x, b, K)];
                mg_i = ci[b] + u[i] * w[b];
                mg_j = Ma[j] + u[j] * w[a];
                g[i] = b;
                g[j] = a;
                for (int k = 0; k < n; k++)
                  {
                    mg[k] += u[k] * w[g[k]];
                    Ma[k] += u[k] * w[a];
                  }
                mg[i] = mg_i;
                mg[j] = mg_j;
                for (int k = 0; k < n; k++)
                  tt[k] = 2.0 * (Ma[k] - mg[k]);
                q4[i] = 4.0 * (h0 - Ha[b]);
                q4[j] = 4.0 * (h0 - Ha[a]);
                /* don't-look bits: wake the two genes and their old rings' genes */
                for (int k = 0; k < n; k++)
                  if (g[k] == a || g[k] == b)
                    active[k] = 1;
                *F += best;
                swaps++;
                if (np == m)
                  {
                    gm_dgemm (TRUE, FALSE, K, n, np,
                              1.0, Wq, K, Uq, n, 1.0, Mt, n);
                    np = 0;
                  }
              }
            }
        }
      total += swaps;
      if (swaps == 0)
        {
          if (full)
            break;
          /* the queue ran dry: a full pass decides */
          memset (active, 1, n);
        }
    }
  if (exact_end)
    {
      /* exact M again: no drift from the updates */
      *F = ring_compute_M (S, rg, g, W, M);
      return total;
    }
  if (np > 0)
    gm_dgemm (TRUE, FALSE, K, n, np,
              1.0, Wq, K, Uq, n, 1.0, Mt, n);
  transpose_tiled (Mt, K, n, M);
  return total;
}

/* ---- the ring solver */

typedef struct
{
  const double *S;
  RingGeom      rg;
  Transport     tr;
  double       *W, *M, *cost;
  guchar       *active;    /* n: don't-look bits of the swap search */
} RingState;

/* One reference step from g (M must be that of g): g_out = optimal transport. */
static gboolean
ring_step (RingState             *st,
           const int             *g,
           int                   *g_out,
           int                   *changed,
           const GmSolverOptions *opts,
           GError               **error)
{
  int n = st->rg.n, K = st->rg.K;

  for (gsize k = 0; k < (gsize) n * K; k++)
    st->cost[k] = -st->M[k];
  st->tr.cost = st->cost;
  if (!transport_solve (&st->tr, g, opts, error))
    return FALSE;
  *changed = 0;
  for (int i = 0; i < n; i++)
    {
      g_out[i] = st->tr.ring[i];
      if (g_out[i] != g[i])
        (*changed)++;
    }
  return TRUE;
}

/* Iterates reference steps from g while F decreases (stall: 3 steps without a
 * new best).  On return g holds the best assignment met and M/F match it. */
static gboolean
ring_iterate (RingState             *st,
              int                   *g,
              double                *F,
              int                    max_iter,
              int                   *iters,
              const GmSolverOptions *opts,
              double                 p0,
              double                 p1,
              GError               **error)
{
  int n = st->rg.n;
  g_autofree int *cur = g_memdup2 (g, sizeof (int) * n);
  g_autofree int *nxt = g_new (int, n);
  double Fcur = *F, tol = 1e-12 * (fabs (*F) + 1.0);
  int stall = 0;
  gboolean best_is_cur = TRUE;

  *iters = 0;
  for (int it = 0; it < max_iter; it++)
    {
      int changed;

      if (is_cancelled (opts, error))
        return FALSE;
      if (!ring_step (st, cur, nxt, &changed, opts, error))
        return FALSE;

      (*iters)++;
      if (p1 > p0)
        report (opts, p0 + (p1 - p0) * (1.0 - 1.0 / (it + 2)), "Ring layout: transport steps");
      if (changed == 0)
        break;
      memcpy (cur, nxt, sizeof (int) * n);
      Fcur = ring_compute_M (st->S, &st->rg, cur, st->W, st->M);
      best_is_cur = FALSE;
      if (Fcur < *F - tol)
        {
          *F = Fcur;
          memcpy (g, cur, sizeof (int) * n);
          best_is_cur = TRUE;
          stall = 0;
        }
      else if (++stall >= 3)
        break;
    }
  if (!best_is_cur)
    *F = ring_compute_M (st->S, &st->rg, g, st->W, st->M);
  return TRUE;
}

/* Swap search and reference steps, alternated until neither improves. */
static gboolean
ring_polish (RingState             *st,
             int                   *g,
             double                *F,
             const GmSolverOptions *opts,
             GError               **error)
{
  for (int round = 0; round < 100; round++)
    {
      double before = *F;
      int iters;

      if (ring_swap_search (st->S, &st->rg, g, st->W, st->M, F, st->active, TRUE, opts, error) < 0)
        return FALSE;
      if (!ring_iterate (st, g, F, 50, &iters, opts, 0.0, 0.0, error))
        return FALSE;
      if (!(*F < before - 1e-12 * (fabs (before) + 1.0)) || *F >= before)
        break;
      if (iters <= 1)  /* the transport step changed nothing: swaps are done too */
        break;
      memset (st->active, 1, st->rg.n);
    }
  return TRUE;
}

typedef struct
{
  double key;
  int    index;
} KeyIndex;

/* decreasing key, then increasing index */
static int
cmp_key_desc (const void *pa,
              const void *pb)
{
  const KeyIndex *a = pa, *b = pb;

  if (a->key > b->key)
    return -1;
  if (a->key < b->key)
    return 1;
  return (a->index > b->index) - (a->index < b->index);
}

/* Genes in index order fill their ring's pixels in ascending pixel order. */
static void
ring_place (const RingGeom *rg,
            const int      *g,
            int32_t        *pixel)
{
  int n = rg->n, K = rg->K;
  g_autofree int *start = g_new0 (int, K + 1);
  g_autofree int32_t *by_ring = g_new (int32_t, n);

  for (int s = 0; s < n; s++)
    start[rg->slot_ring[s] + 1]++;
  for (int a = 0; a < K; a++)
    start[a + 1] += start[a];
  for (int s = 0; s < n; s++)    /* slots ascending, so each ring's list is too */
    by_ring[start[rg->slot_ring[s]]++] = rg->slots[s];
  for (int a = K; a > 0; a--)
    start[a] = start[a - 1];
  start[0] = 0;
  for (int i = 0; i < n; i++)
    pixel[i] = by_ring[start[g[i]]++];
}

/* Perturbation rounds after the local search.  Each costs about a tenth of
 * everything before it and gains some 1e-4 in E (n = 1089 … 2025); 10 of them
 * keep the solver well over 100× faster than the reference on 2 cores. */
#define RING_KICKS 10

gboolean
gm_gw_solve_rings (const double          *C1,
                   int                    n,
                   int                    rows,
                   int                    cols,
                   const int32_t         *pixels_allowed,
                   const GmSolverOptions *opts,
                   int32_t               *pixel,
                   double                *energy,
                   GError               **error)
{
  g_autofree int32_t *slots = NULL;
  g_autofree double *S = NULL, *Mbest = NULL;
  g_autofree int *g = NULL, *best = NULL;
  g_autofree KeyIndex *gene_keys = NULL, *ring_keys = NULL;
  g_autoptr(GRand) rand = NULL;
  RingState st = { 0 };
  int K, max_iter, iters = 0, max_kicks, kept = 0;
  double F, Fbest;
  gboolean ok = FALSE;
  gint64 t_start = g_get_monotonic_time ();

  slots = validate_and_slots (C1, n, rows, cols, pixels_allowed, pixel, TRUE, error);
  if (slots == NULL)
    return FALSE;
  max_iter = opts != NULL && opts->max_iter > 0 ? opts->max_iter : 200;
  report (opts, 0.0, "Ring layout: preparing");

  S = symmetrised (C1, n, 1.0);
  st.S = S;
  ring_geom_init (&st.rg, rows, cols, slots, n);
  K = st.rg.K;
  transport_init (&st.tr, n, K, st.rg.cap);
  st.W = g_new (double, (gsize) n * K);
  st.M = g_new (double, (gsize) n * K);
  st.cost = g_new (double, (gsize) n * K);
  st.active = g_malloc (n);
  g = g_new (int, n);

  /* 1. the reference's first iterate: with T0 uniform the linearised cost is
   * −(Σ_k C1[i,k]) (Σ_l H[p,l]) / n², so the LP sorts */
  gene_keys = g_new (KeyIndex, n);
  {
    int i = 0;

    /* row sums, four rows at a time (each summed in its own order, as one
     * row alone would be) */
    for (; i + 4 <= n; i += 4)
      {
        const double *R0 = C1 + IDX (i, 0, n), *R1 = R0 + n, *R2 = R1 + n, *R3 = R2 + n;
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;

        for (int k = 0; k < n; k++)
          {
            s0 += R0[k];
            s1 += R1[k];
            s2 += R2[k];
            s3 += R3[k];
          }
        gene_keys[i].key = s0;
        gene_keys[i + 1].key = s1;
        gene_keys[i + 2].key = s2;
        gene_keys[i + 3].key = s3;
        for (int r = 0; r < 4; r++)
          gene_keys[i + r].index = i + r;
      }
    for (; i < n; i++)
      {
        double s = 0.0;

        for (int k = 0; k < n; k++)
          s += C1[IDX (i, k, n)];
        gene_keys[i].key = s;
        gene_keys[i].index = i;
      }
  }
  ring_keys = g_new (KeyIndex, K);
  for (int a = 0; a < K; a++)
    {
      double s = 0.0;

      for (int b = 0; b < K; b++)
        s += st.rg.cap[b] * st.rg.H[IDX (a, b, K)];
      ring_keys[a].key = s;
      ring_keys[a].index = a;
    }
  qsort (gene_keys, n, sizeof (KeyIndex), cmp_key_desc);
  qsort (ring_keys, K, sizeof (KeyIndex), cmp_key_desc);
  for (int i = 0, r = 0, used = 0; i < n; i++)
    {
      while (used == st.rg.cap[ring_keys[r].index])
        {
          r++;
          used = 0;
        }
      g[gene_keys[i].index] = ring_keys[r].index;
      used++;
    }
  F = ring_compute_M (S, &st.rg, g, st.W, st.M);

  /* 2. the reference's iteration, at ring level, to its fixed point */
  if (!ring_iterate (&st, g, &F, max_iter, &iters, opts, 0.02, 0.4, error))
    goto out;
  if (!g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    {
      ring_place (&st.rg, g, pixel);
      g_debug ("rings: n=%d K=%d, the reference's fixed point after %d steps: E=%.9f (%.3f s)", n, K,
               iters, gm_gw_energy_rings_kl (C1, n, rows, cols, pixel),
               (g_get_monotonic_time () - t_start) / 1e6);
    }

  /* 3. swaps and transport steps */
  report (opts, 0.45, "Ring layout: local search");
  memset (st.active, 1, n);
  if (!ring_polish (&st, g, &F, opts, error))
    goto out;
  g_debug ("rings: after local search F=%.10g (%.3f s)", F, (g_get_monotonic_time () - t_start) / 1e6);

  /* 4. seeded perturbations: a few random swaps, then local search again */
  best = g_memdup2 (g, sizeof (int) * n);
  Mbest = g_memdup2 (st.M, sizeof (double) * (gsize) n * K);
  Fbest = F;
  rand = seeded_rand (opts != NULL ? opts->seed : 0);
  max_kicks = MIN (max_iter, RING_KICKS);
  {
    g_autofree double *u = g_new (double, n);
    g_autofree double *w = g_new (double, K);
    int n_swaps = CLAMP (n / 64, 2, 32);

    for (int kick = 0; kick < max_kicks; kick++)
      {
        report (opts, 0.5 + 0.5 * kick / (double) max_kicks, "Ring layout: perturbations");
        if (is_cancelled (opts, error))
          goto out;
        memset (st.active, 0, n);
        for (int s = 0; s < n_swaps; s++)
          {
            int i = g_rand_int_range (rand, 0, n), j = g_rand_int_range (rand, 0, n);

            if (g[i] != g[j])
              {
                ring_apply_swap (S, &st.rg, g, st.M, u, w, i, j);
                st.active[i] = st.active[j] = 1;
              }
          }
        F = 0.0;
        for (int i = 0; i < n; i++)
          F -= st.M[IDX (i, g[i], K)];
        if (ring_swap_search (S, &st.rg, g, st.W, st.M, &F, st.active, FALSE, opts, error) < 0)
          goto out;
        if (F < Fbest - 1e-12 * (fabs (Fbest) + 1.0))
          {
            F = ring_compute_M (S, &st.rg, g, st.W, st.M);   /* exact, no drift */
            Fbest = F;
            memcpy (best, g, sizeof (int) * n);
            memcpy (Mbest, st.M, sizeof (double) * (gsize) n * K);
            kept++;
          }
        else
          {
            memcpy (g, best, sizeof (int) * n);
            memcpy (st.M, Mbest, sizeof (double) * (gsize) n * K);
            F = Fbest;
          }
      }
  }
  g_debug ("rings: after %d perturbations (%d kept) F=%.10g (%.3f s)", max_kicks, kept, Fbest,
           (g_get_monotonic_time () - t_start) / 1e6);

  /* 5. pixels */
  ring_place (&st.rg, best, pixel);
  if (energy != NULL)
    *energy = gm_gw_energy_rings_kl (C1, n, rows, cols, pixel);
  report (opts, 1.0, "Ring layout: done");
  ok = TRUE;

out:
  transport_clear (&st.tr);
  ring_geom_clear (&st.rg);
  g_free (st.W);
  g_free (st.M);
  g_free (st.cost);
  g_free (st.active);
  return ok;
}

/* Distinct x² + y² among the pixels, as ring ids; returns K and fills ring[n] and r2[K]. */
static int
pixel_rings (int            rows,
             int            cols,
             const int32_t *pixel,
             int            n,
             int           *ring,
             int          **r2_out)
{
  int *r2 = g_new (int, n);
  g_autofree int *pr2 = g_new (int, n);
  int K = 0;

  for (int i = 0; i < n; i++)
    r2[i] = pr2[i] = pixel_radius2 (rows, cols, pixel[i]);
  qsort (r2, n, sizeof (int), cmp_int);
  for (int i = 0; i < n; i++)
    if (K == 0 || r2[i] != r2[K - 1])
      r2[K++] = r2[i];
  for (int i = 0; i < n; i++)
    ring[i] = (int) ((int *) bsearch (&pr2[i], r2, K, sizeof (int), cmp_int) - r2);
  *r2_out = r2;
  return K;
}

static gboolean
pixels_in_grid (int            n,
                int            rows,
                int            cols,
                const int32_t *pixel)
{
  for (int i = 0; i < n; i++)
    if (pixel[i] < 0 || (gint64) pixel[i] >= (gint64) rows * cols)
      return FALSE;
  return TRUE;
}

double
gm_gw_energy_rings_kl (const double  *C1,
                       int            n,
                       int            rows,
                       int            cols,
                       const int32_t *pixel)
{
  g_autofree int *ring = NULL, *r2 = NULL;
  g_autofree double *d = NULL, *logd = NULL;
  double total = 0.0;
  int K;

  g_return_val_if_fail (C1 != NULL && pixel != NULL, NAN);
  g_return_val_if_fail (n >= 1 && rows >= 1 && cols >= 1, NAN);
  if (!pixels_in_grid (n, rows, cols, pixel))
    return NAN;

  ring = g_new (int, n);
  K = pixel_rings (rows, cols, pixel, n, ring, &r2);
  d = g_new (double, (gsize) K * K);
  logd = g_new (double, (gsize) K * K);
  for (int a = 0; a < K; a++)
    for (int b = 0; b < K; b++)
      {
        double v = fabs (sqrt ((double) r2[a]) - sqrt ((double) r2[b]));

        d[IDX (a, b, K)] = v;
        logd[IDX (a, b, K)] = log (v + KL_EPS);
      }
  for (int i = 0; i < n; i++)
    {
      const double *Ci = C1 + IDX (i, 0, n);
      const double *di = d + IDX (ring[i], 0, K), *li = logd + IDX (ring[i], 0, K);
      double row = 0.0;

      for (int k = 0; k < n; k++)
        {
          double a = Ci[k];
          int rk = ring[k];

          row += a * log (a + KL_EPS) - a + di[rk] - a * li[rk];
        }
      total += row;
    }
  return total / ((double) n * n);
}

/* =============================================================== EUCLIDEAN
 *
 * Objective (square-loss Gromov–Wasserstein, both sides scaled to [0, 1]):
 *   E(σ) = (1/n²) Σ_{i,k} ( C1[i,k]/max C1 − D(σi,σk)/D_max )²,
 * D = Euclidean distance between pixel centres (row, col), D_max = the grid's
 * diagonal sqrt((R−1)² + (C−1)²), max C1 over all entries.  Square loss because
 * C2 now is a true metric with no zero off the diagonal (the KL loss's log(C2)
 * only made sense as a ring-tie reward) and both sides are distances on
 * comparable, normalised scales; it is the standard GW objective.
 *
 * With A = sym(C1)/max C1 (zero diagonal) and B = D/D_max on the usable pixels,
 * E = const − (2/n²) Q(σ), Q(σ) = Σ_{i,k} A[i,k] B[σi,σk]: maximise Q.
 *
 * Solver:
 *  • Frank–Wolfe on the relaxed coupling (T doubly stochastic, T = n·π): the
 *    linear-minimisation step is a dense LAP (Jonker–Volgenant shortest
 *    augmenting path, above) on the gradient −2·A·T·B, with exact line search on
 *    the quadratic Q(T + γ(S − T)).  Both A (a correlation distance, i.e. a
 *    squared Euclidean distance of standardised genes) and B are conditionally
 *    negative definite, so Q is convex along every feasible direction and the
 *    exact line search always picks γ = 1: the iterates stay permutations, and
 *    A·T·B is one GEMM of A with a row gather of B.  If the line search would
 *    pick γ < 1 (inputs that are not distances) we stop at the best vertex.
 *    Two starts: the uniform coupling (its first step sorts genes by Σ_k A[i,k]
 *    onto pixels by Σ_q B[p,q]) and a classical-MDS embedding of A matched to
 *    the pixel coordinates by LAP (best of 4 rotations).
 *  • Local search on the best: for each gene the best swap with any other gene,
 *    exact O(1) deltas from G = A·B[σ] (gene × pixel); G is updated lazily: the
 *    accepted swaps are kept as rank-1 terms (up to 64) and folded in with one
 *    GEMM, rows/columns of G read as G + U·Vᵀ in between.  Swaps and FW steps
 *    alternate until neither improves.
 */

typedef struct
{
  int      n;
  double  *A, *B;       /* n × n */
  double  *X, *G, *G2;  /* n × n work */
  double  *pos;         /* n × 2: usable pixel (row, col) / D_max */
  Lap      lap;
  gboolean lap_warm;
} EucState;

/* G = A · B[σ], i.e. G[i][q] = Σ_k A[i,k] B[σk][q]; returns Q(σ) = Σ_i G[i][σi]. */
static double
euc_compute_G (EucState      *st,
               const int32_t *sigma,
               double        *G)
{
  int n = st->n;
  double Q = 0.0;

  for (int k = 0; k < n; k++)
    memcpy (st->X + IDX (k, 0, n), st->B + IDX (sigma[k], 0, n), sizeof (double) * n);
  gm_dgemm (FALSE, FALSE, n, n, n,
            1.0, st->A, n, st->X, n, 0.0, G, n);
  for (int i = 0; i < n; i++)
    Q += G[IDX (i, sigma[i], n)];
  return Q;
}

/* G2 = G(σ2) from G = G(σ) when few genes moved: G2 = G + A[·][D] (B[σ2_D] − B[σ_D]),
 * one GEMM of inner size |D|; a full GEMM when many moved.  Returns Q(σ2). */
static double
euc_update_G (EucState      *st,
              const int32_t *sigma,
              const int32_t *sigma2,
              double        *G2,
              int           *since_full)
{
  int n = st->n, nd = 0;
  double Q = 0.0;

  for (int k = 0; k < n; k++)
    nd += sigma[k] != sigma2[k];
  if (nd == 0)
    {
      memcpy (G2, st->G, sizeof (double) * (gsize) n * n);
    }
  else if (2 * nd > n || *since_full >= 16)
    {
      *since_full = 0;
      return euc_compute_G (st, sigma2, G2);
    }
  else
    {
      g_autofree double *Ad = g_new (double, (gsize) nd * n);
      double *dX = st->X;
      int r = 0;

      for (int k = 0; k < n; k++)
        if (sigma[k] != sigma2[k])
          {
            const double *b2 = st->B + IDX (sigma2[k], 0, n), *b1 = st->B + IDX (sigma[k], 0, n);
            double *row = dX + IDX (r, 0, n);

            memcpy (Ad + IDX (r, 0, n), st->A + IDX (k, 0, n), sizeof (double) * n);
            for (int q = 0; q < n; q++)
              row[q] = b2[q] - b1[q];
            r++;
          }
      memcpy (G2, st->G, sizeof (double) * (gsize) n * n);
      gm_dgemm (TRUE, FALSE, n, n, nd,
                1.0, Ad, n, dX, n, 1.0, G2, n);
      (*since_full)++;
    }
  for (int i = 0; i < n; i++)
    Q += G2[IDX (i, sigma2[i], n)];
  return Q;
}

/* Q(σ) directly, O(n²) */
static double
euc_Q (const EucState *st,
       const int32_t  *sigma)
{
  int n = st->n;
  double Q = 0.0;

  for (int i = 0; i < n; i++)
    {
      const double *Ai = st->A + IDX (i, 0, n), *Bi = st->B + IDX (sigma[i], 0, n);
      double row = 0.0;

      for (int k = 0; k < n; k++)
        row += Ai[k] * Bi[sigma[k]];
      Q += row;
    }
  return Q;
}

/* Frank–Wolfe from the permutation σ (st->G must be G(σ), *Q its value).
 * Returns FALSE on cancel.  On return σ, st->G and *Q are the last (best) vertex. */
static gboolean
euc_frank_wolfe (EucState              *st,
                 int32_t               *sigma,
                 double                *Q,
                 int                    max_iter,
                 int                   *iters,
                 const GmSolverOptions *opts,
                 double                 p0,
                 double                 p1,
                 GError               **error)
{
  int n = st->n, since_full = 0;
  g_autofree int32_t *s2 = g_new (int32_t, n);

  *iters = 0;
  for (int it = 0; it < max_iter; it++)
    {
      double lin = 0.0, gap, Q2, tol = 1e-12 * (fabs (*Q) + 1.0);
      double *tmp;

      if (is_cancelled (opts, error))
        return FALSE;
      if (p1 > p0)
        report (opts, p0 + (p1 - p0) * (1.0 - 1.0 / (it + 2)), "Euclidean layout: Frank–Wolfe steps");
      /* LMO: max ⟨G, S⟩ over permutations (warm: the duals of the last step) */
      if (!lap_run (&st->lap, st->G, -1.0, st->lap_warm, opts, error))
        return FALSE;
      st->lap_warm = TRUE;
      memcpy (s2, st->lap.x, sizeof (int32_t) * n);
      for (int i = 0; i < n; i++)
        lin += st->G[IDX (i, s2[i], n)];
      gap = lin - *Q;
      (*iters)++;
      if (gap <= tol)
        break;
      /* exact line search on Q(T + γD) = Q + 2γ·gap + γ²·(Q2 − Q − 2·gap) */
      Q2 = euc_update_G (st, sigma, s2, st->G2, &since_full);
      if (!(Q2 > *Q + tol))
        {
          /* γ* < 1: keep the vertex we have (st->G is still G(σ)) */
          break;
        }
      tmp = st->G;
      st->G = st->G2;
      st->G2 = tmp;
      memcpy (sigma, s2, sizeof (int32_t) * n);
      *Q = Q2;
    }
  if (since_full > 0)     /* exact again after incremental updates */
    *Q = euc_compute_G (st, sigma, st->G);
  return TRUE;
}

/* Swap local search, maximising Q.  st->G must be G(σ).  Returns the number of
 * swaps, or −1 on cancel.  On return st->G = G(σ) exactly and *Q = Q(σ). */
#define EUC_PENDING 64
static int
euc_swap_search (EucState              *st,
                 int32_t               *sigma,
                 double                *Q,
                 int                    max_passes,
                 const GmSolverOptions *opts,
                 GError               **error)
{
  int n = st->n, m = EUC_PENDING, np = 0, total = 0;
  double *G = st->G;
  const double *A = st->A, *B = st->B;
  g_autofree double *U = g_new0 (double, (gsize) n * m);
  g_autofree double *V = g_new0 (double, (gsize) n * m);
  g_autofree double *dg = g_new (double, n);
  g_autofree double *rowi = g_new (double, n);
  g_autofree double *colp = g_new (double, n);
  double tol = 1e-11 * (fabs (*Q) + 1.0);

  for (int k = 0; k < n; k++)
    dg[k] = G[IDX (k, sigma[k], n)];

  for (int pass = 0; pass < max_passes; pass++)
    {
      int swaps = 0;

      for (int i = 0; i < n; i++)
        {
          int p = sigma[i], bj = -1;
          const double *Ai = A + IDX (i, 0, n), *Bp = B + IDX (p, 0, n);
          double best = tol;

          if ((i & 127) == 127 && is_cancelled (opts, error))
            return -1;
          memcpy (rowi, G + IDX (i, 0, n), sizeof (double) * n);
          for (int k = 0; k < n; k++)
            colp[k] = G[IDX (k, p, n)];
          if (np > 0)
            {
              cblas_dgemv (CblasRowMajor, CblasNoTrans, n, np, 1.0, V, m, U + IDX (i, 0, m), 1,
                           1.0, rowi, 1);
              cblas_dgemv (CblasRowMajor, CblasNoTrans, n, np, 1.0, U, m, V + IDX (p, 0, m), 1,
                           1.0, colp, 1);
            }
          for (int j = 0; j < n; j++)
            {
              int q = sigma[j];
              double delta;

              if (j == i)
                continue;
              delta = 2.0 * (rowi[q] - dg[i] + colp[j] - dg[j]) + 4.0 * Ai[j] * Bp[q];
              if (delta > best)
                {
                  best = delta;
                  bj = j;
                }
            }
          if (bj < 0)
            continue;

          {
            int q = sigma[bj], s = np++;
            const double *Aj = A + IDX (bj, 0, n), *Bq = B + IDX (q, 0, n);

            for (int k = 0; k < n; k++)
              {
                U[IDX (k, s, m)] = Ai[k] - Aj[k];
                V[IDX (k, s, m)] = Bq[k] - Bp[k];
              }
            sigma[i] = q;
            sigma[bj] = p;
            for (int k = 0; k < n; k++)
              dg[k] += U[IDX (k, s, m)] * V[IDX (sigma[k], s, m)];
            dg[i] = rowi[q] + U[IDX (i, s, m)] * V[IDX (q, s, m)];
            dg[bj] = colp[bj] + U[IDX (bj, s, m)] * V[IDX (p, s, m)];
            *Q += best;
            swaps++;
            if (np == m)
              {
                gm_dgemm (FALSE, TRUE, n, n, m,
                          1.0, U, m, V, m, 1.0, G, n);
                np = 0;
              }
          }
        }
      if (np > 0)
        {
          gm_dgemm (FALSE, TRUE, n, n, np,
                    1.0, U, m, V, m, 1.0, G, n);
          np = 0;
        }
      total += swaps;
      if (swaps == 0)
        break;
    }
  /* exact values again, no drift */
  *Q = euc_compute_G (st, sigma, st->G);
  return total;
}


/* Centres the columns of the n × d row-major Y. */
static void
center_columns (double *Y,
                int     n,
                int     d)
{
  for (int c = 0; c < d; c++)
    {
      double mean = 0.0;

      for (int i = 0; i < n; i++)
        mean += Y[IDX (i, c, d)];
      mean /= n;
      for (int i = 0; i < n; i++)
        Y[IDX (i, c, d)] -= mean;
    }
}

/* Modified Gram–Schmidt on the columns of Y (n × d, n > d); a column that
 * vanishes is replaced by a random one.  FALSE if that keeps happening. */
static gboolean
orthonormalise (double *Y,
                int     n,
                int     d,
                GRand  *rand)
{
  int retries = 0;

  for (int c = 0; c < d; c++)
    {
      double norm = 0.0, before = 0.0;

      for (int i = 0; i < n; i++)
        before += Y[IDX (i, c, d)] * Y[IDX (i, c, d)];
      for (int b = 0; b < c; b++)
        {
          double dot = 0.0;

          for (int i = 0; i < n; i++)
            dot += Y[IDX (i, c, d)] * Y[IDX (i, b, d)];
          for (int i = 0; i < n; i++)
            Y[IDX (i, c, d)] -= dot * Y[IDX (i, b, d)];
        }
      for (int i = 0; i < n; i++)
        norm += Y[IDX (i, c, d)] * Y[IDX (i, c, d)];
      if (!(norm > 1e-20 * before) || !(norm > 1e-300))
        {
          if (++retries > 3 * d)
            return FALSE;
          for (int i = 0; i < n; i++)
            Y[IDX (i, c, d)] = g_rand_double_range (rand, -1.0, 1.0);
          c--;
          continue;
        }
      norm = sqrt (norm);
      for (int i = 0; i < n; i++)
        Y[IDX (i, c, d)] /= norm;
    }
  return TRUE;
}

/* Classical MDS of A in 2-D, matched onto the usable pixels by LAP (4 rotations,
 * the square grid's symmetries cover the rest).  Returns FALSE when cancelled;
 * *found is FALSE when A has no 2-D Euclidean structure to use. */
#define MDS_DIM 4
static gboolean
euc_mds_start (EucState              *st,
               int32_t               *sigma,
               gboolean              *found,
               GRand                 *rand,
               const GmSolverOptions *opts,
               GError               **error)
{
  int n = st->n, d = MDS_DIM;
  double *D2 = st->X;
  g_autofree double *Y = g_new (double, (gsize) n * d);
  g_autofree double *Z = g_new (double, (gsize) n * d);
  g_autofree double *E = g_new (double, (gsize) n * 2);
  g_autofree double *P = g_new (double, (gsize) n * 2);
  g_autofree int32_t *cand = g_new (int32_t, n);
  g_autofree KeyIndex *gene_keys = g_new (KeyIndex, n);
  g_autofree KeyIndex *strip = g_new (KeyIndex, n);
  double Tm[MDS_DIM * MDS_DIM], Vm[MDS_DIM * MDS_DIM], W[MDS_DIM], lam[2];
  double best_Q = -INFINITY, rms_e = 0.0;
  double pc[2] = { 0.0, 0.0 };

  *found = FALSE;
  if (n < 4 * d)        /* too few genes for a useful embedding */
    return TRUE;
  for (gsize k = 0; k < (gsize) n * n; k++)
    D2[k] = st->A[k] * st->A[k];
  for (gsize k = 0; k < (gsize) n * d; k++)
    Y[k] = g_rand_double_range (rand, -1.0, 1.0);
  if (!orthonormalise (Y, n, d, rand))
    return TRUE;
  /* subspace iteration on B = −½ J D2 J */
  for (int it = 0; it <= 40; it++)
    {
      if (is_cancelled (opts, error))
        return FALSE;
      center_columns (Y, n, d);
      gm_dgemm (FALSE, FALSE, n, d, n,
                -0.5, D2, n, Y, d, 0.0, Z, d);
      center_columns (Z, n, d);
      if (it == 40)
        break;
      memcpy (Y, Z, sizeof (double) * (gsize) n * d);
      if (!orthonormalise (Y, n, d, rand))
        return TRUE;
    }
  /* Rayleigh–Ritz: Yᵀ B Y (Y orthonormal, Z = B Y) */
  for (int a = 0; a < d; a++)
    for (int b = 0; b < d; b++)
      {
        double s = 0.0;

        for (int i = 0; i < n; i++)
          s += Y[IDX (i, a, d)] * Z[IDX (i, b, d)];
        Tm[a * d + b] = s;
      }
  for (int a = 0; a < d; a++)
    for (int b = a + 1; b < d; b++)
      Tm[a * d + b] = Tm[b * d + a] = 0.5 * (Tm[a * d + b] + Tm[b * d + a]);
  gm_linalg_sym_eigen (Tm, d, W, Vm);
  lam[0] = W[0];
  lam[1] = W[1];
  if (!(lam[1] > 1e-12 * fabs (lam[0])) || !(lam[0] > 0.0))
    return TRUE;

  for (int i = 0; i < n; i++)
    for (int c = 0; c < 2; c++)
      {
        double s = 0.0;

        for (int a = 0; a < d; a++)
          s += Y[IDX (i, a, d)] * Vm[a * d + c];
        E[IDX (i, c, 2)] = s * sqrt (lam[c]);
      }
  for (int i = 0; i < n; i++)
    {
      pc[0] += st->pos[2 * i];
      pc[1] += st->pos[2 * i + 1];
    }
  pc[0] /= n;
  pc[1] /= n;
  for (int i = 0; i < n; i++)
    {
      P[2 * i] = st->pos[2 * i] - pc[0];
      P[2 * i + 1] = st->pos[2 * i + 1] - pc[1];
      rms_e += E[2 * i] * E[2 * i] + E[2 * i + 1] * E[2 * i + 1];
    }
  if (!(rms_e > 0.0))
    return TRUE;

  /* The slots are in ascending pixel order, i.e. column by column, each column
   * top to bottom: cut the genes, by rotated x, into strips as tall as the
   * pixel columns and order each strip by rotated y — a rank-preserving map of
   * the embedding onto the pixels.  Best of 4 rotations (the square's
   * symmetries cover the rest). */  for (int r = 0; r < 4; r++)
    {
      double th = r * G_PI / 8.0, c = cos (th), s = sin (th), Qc;
      int at = 0;

      if (is_cancelled (opts, error))
        return FALSE;
      for (int i = 0; i < n; i++)
        {
          gene_keys[i].key = -(c * E[2 * i] - s * E[2 * i + 1]);
          gene_keys[i].index = i;
        }
      qsort (gene_keys, n, sizeof (KeyIndex), cmp_key_desc);
      while (at < n)
        {
          double col = P[2 * at + 1];
          int len = 0;

          while (at + len < n && P[2 * (at + len) + 1] == col)
            len++;
          for (int k = 0; k < len; k++)
            {
              int i = gene_keys[at + k].index;

              strip[k].key = -(s * E[2 * i] + c * E[2 * i + 1]);
              strip[k].index = i;
            }
          qsort (strip, len, sizeof (KeyIndex), cmp_key_desc);
          for (int k = 0; k < len; k++)
            cand[strip[k].index] = at + k;
          at += len;
        }
      Qc = euc_Q (st, cand);
      if (Qc > best_Q)
        {
          best_Q = Qc;
          memcpy (sigma, cand, sizeof (int32_t) * n);
          *found = TRUE;
        }
    }
  return TRUE;
}

gboolean
gm_gw_solve_euclidean (const double          *C1,
                       int                    n,
                       int                    rows,
                       int                    cols,
                       const int32_t         *pixels_allowed,
                       const GmSolverOptions *opts,
                       int32_t               *pixel,
                       double                *energy,
                       GError               **error)
{
  g_autofree int32_t *slots = NULL, *sigma = NULL;
  g_autofree KeyIndex *gk = NULL, *pk = NULL;
  g_autoptr(GRand) rand = NULL;
  EucState st = { 0 };
  double maxA = 0.0, dmax, Q;
  int max_iter, iters;
  gboolean ok = FALSE, found;
  gint64 t_start = g_get_monotonic_time ();

  slots = validate_and_slots (C1, n, rows, cols, pixels_allowed, pixel, FALSE, error);
  if (slots == NULL)
    return FALSE;
  max_iter = opts != NULL && opts->max_iter > 0 ? opts->max_iter : 100;
  report (opts, 0.0, "Euclidean layout: preparing");
  rand = seeded_rand (opts != NULL ? opts->seed : 0);

  st.n = n;
  for (gsize k = 0; k < (gsize) n * n; k++)
    maxA = MAX (maxA, C1[k]);
  if (!(maxA > 0.0))
    maxA = 1.0;
  dmax = sqrt ((double) (rows - 1) * (rows - 1) + (double) (cols - 1) * (cols - 1));
  if (!(dmax > 0.0))
    dmax = 1.0;
  st.A = symmetrised (C1, n, 1.0 / maxA);
  st.B = g_new (double, (gsize) n * n);
  st.pos = g_new (double, (gsize) n * 2);
  for (int s = 0; s < n; s++)
    {
      st.pos[2 * s] = (slots[s] % rows) / dmax;
      st.pos[2 * s + 1] = (slots[s] / rows) / dmax;
    }
  for (int p = 0; p < n; p++)
    for (int q = 0; q < n; q++)
      {
        double dx = st.pos[2 * p] - st.pos[2 * q], dy = st.pos[2 * p + 1] - st.pos[2 * q + 1];

        st.B[IDX (p, q, n)] = sqrt (dx * dx + dy * dy);
      }
  st.X = g_new (double, (gsize) n * n);
  st.G = g_new (double, (gsize) n * n);
  st.G2 = g_new (double, (gsize) n * n);
  lap_init (&st.lap, n);
  sigma = g_new (int32_t, n);

  /* the start: classical MDS of A matched onto the pixels; when A has no 2-D
   * structure to speak of, the uniform coupling, whose first Frank–Wolfe step
   * is a sort (genes by Σ_k A[i,k] onto pixels by Σ_q B[p,q]) */
  report (opts, 0.02, "Euclidean layout: spectral start");
  if (!euc_mds_start (&st, sigma, &found, rand, opts, error))
    goto out;
  if (!found)
    {
      gk = g_new (KeyIndex, n);
      pk = g_new (KeyIndex, n);
      for (int i = 0; i < n; i++)
        {
          double sa = 0.0, sb = 0.0;

          for (int k = 0; k < n; k++)
            {
              sa += st.A[IDX (i, k, n)];
              sb += st.B[IDX (i, k, n)];
            }
          gk[i].key = sa;
          gk[i].index = i;
          pk[i].key = sb;
          pk[i].index = i;
        }
      qsort (gk, n, sizeof (KeyIndex), cmp_key_desc);
      qsort (pk, n, sizeof (KeyIndex), cmp_key_desc);
      for (int r = 0; r < n; r++)
        sigma[gk[r].index] = pk[r].index;
    }
  Q = euc_compute_G (&st, sigma, st.G);
  g_debug ("euclidean: %s start Q=%.10g (%.3f s)", found ? "MDS" : "sort", Q,
           (g_get_monotonic_time () - t_start) / 1e6);
  if (!euc_frank_wolfe (&st, sigma, &Q, max_iter, &iters, opts, 0.1, 0.6, error))
    goto out;
  g_debug ("euclidean: %d FW steps, Q=%.10g (%.3f s)", iters, Q, (g_get_monotonic_time () - t_start) / 1e6);

  /* local search, alternating with Frank–Wolfe steps */
  for (int round = 0; round < 50; round++)
    {
      double before = Q;
      int swaps;

      report (opts, 0.6 + 0.4 * (1.0 - 1.0 / (round + 2)), "Euclidean layout: local search");
      swaps = euc_swap_search (&st, sigma, &Q, 1000, opts, error);
      if (swaps < 0)
        goto out;
      g_debug ("euclidean: round %d, %d swaps, Q=%.10g (%.3f s)", round, swaps, Q, (g_get_monotonic_time () - t_start) / 1e6);
      if (!euc_frank_wolfe (&st, sigma, &Q, max_iter, &iters, opts, 0.0, 0.0, error))
        goto out;
      if (iters <= 1 || !(Q > before + 1e-12 * (fabs (before) + 1.0)))
        break;
    }

  for (int i = 0; i < n; i++)
    pixel[i] = slots[sigma[i]];
  if (energy != NULL)
    *energy = gm_gw_energy_euclidean (C1, n, rows, cols, pixel);
  report (opts, 1.0, "Euclidean layout: done");
  ok = TRUE;

out:
  lap_clear (&st.lap);
  g_free (st.A);
  g_free (st.B);
  g_free (st.X);
  g_free (st.G);
  g_free (st.G2);
  g_free (st.pos);
  return ok;
}

double
gm_gw_energy_euclidean (const double  *C1,
                        int            n,
                        int            rows,
                        int            cols,
                        const int32_t *pixel)
{
  double maxA = 0.0, dmax, total = 0.0;

  g_return_val_if_fail (C1 != NULL && pixel != NULL, NAN);
  g_return_val_if_fail (n >= 1 && rows >= 1 && cols >= 1, NAN);
  if (!pixels_in_grid (n, rows, cols, pixel))
    return NAN;

  for (gsize k = 0; k < (gsize) n * n; k++)
    maxA = MAX (maxA, C1[k]);
  if (!(maxA > 0.0))
    maxA = 1.0;
  dmax = sqrt ((double) (rows - 1) * (rows - 1) + (double) (cols - 1) * (cols - 1));
  if (!(dmax > 0.0))
    dmax = 1.0;
  for (int i = 0; i < n; i++)
    {
      const double *Ci = C1 + IDX (i, 0, n);
      double ri = pixel[i] % rows, ci = pixel[i] / rows, row = 0.0;

      for (int k = 0; k < n; k++)
        {
          double dr = ri - pixel[k] % rows, dc = ci - pixel[k] / rows;
          double e = Ci[k] / maxA - sqrt (dr * dr + dc * dc) / dmax;

          row += e * e;
        }
      total += row;
    }
  return total / ((double) n * n);
}
