/* gm-layout.h — GenoMap layouts: genes placed on an R × C grid by Gromov–Wasserstein transport
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Pixels are numbered column-major, as in the reference implementation:
 * pixel p = row + col × rows.
 */
#pragma once

#include "gm-dataset.h"
#include "gm-io.h"

G_BEGIN_DECLS

typedef enum
{
  GM_GRID_RINGS,      /* the reference's geometry: C2[a,b] = |ρ_a − ρ_b|, KL loss */
  GM_GRID_EUCLIDEAN,  /* true 2-D distance between pixels */
} GmGridGeometry;

const char *gm_grid_geometry_name  (GmGridGeometry g);
gboolean    gm_grid_geometry_parse (const char *s, GmGridGeometry *out);

/* ---------------------------------------------------------------- solvers
 * These work on a gene–gene correlation distance C1 (n × n, row-major, symmetric,
 * zero diagonal, values in [0, 2]) and an R × C grid with n ≤ R·C.  They write
 * pixel[i] = the pixel of gene i (distinct pixels) and return the energy. */

typedef struct
{
  guint64        seed;
  int            max_iter;      /* cap on outer iterations (0 = solver default) */
  GmProgressFunc progress;
  gpointer       progress_data;
  const gint    *cancel;
} GmSolverOptions;

/* The reference's ring geometry and objective.  The pixels used when n < R·C
 * are the first n in column-major order, like the reference (so energies are
 * comparable); gm_layout_compute() prefers the n most central pixels. */
gboolean gm_gw_solve_rings     (const double *C1, int n, int rows, int cols,
                                const int32_t *pixels_allowed, /* n pixel ids usable, or NULL = first n */
                                const GmSolverOptions *opts, int32_t *pixel, double *energy,
                                GError **error);
gboolean gm_gw_solve_euclidean (const double *C1, int n, int rows, int cols,
                                const int32_t *pixels_allowed,
                                const GmSolverOptions *opts, int32_t *pixel, double *energy,
                                GError **error);

/* Exact dense linear assignment (shortest augmenting paths): row_to_col[i] is the
 * column of row i minimising Σ cost[i, row_to_col[i]] (n × n, row-major); returns
 * that minimum.  Deterministic; used by both solvers and by the tests. */
double   gm_gw_lap_solve       (int n, const double *cost, int32_t *row_to_col);

/* The reference's KL-loss GW energy of a one-to-one placement (T = Perm/n):
 * E = (1/n²) Σ_{i,k} L(C1[i,k], C2[σi,σk]),
 * L(a,b) = a·log(a+1e-15) − a + b − a·log(b+1e-15), C2 = ring distance. */
double   gm_gw_energy_rings_kl  (const double *C1, int n, int rows, int cols, const int32_t *pixel);
/* The euclidean objective (documented with the solver). */
double   gm_gw_energy_euclidean (const double *C1, int n, int rows, int cols, const int32_t *pixel);

/* --------------------------------------------------------------- layouts */

typedef struct
{
  int            rows, cols;
  GmGridGeometry geometry;
  int            n_genes;
  char         **genes;          /* n_genes names */
  int32_t       *pixel;          /* n_genes pixels, distinct, column-major */
  double         energy;
  char          *selection;      /* how the genes were chosen, one line */
  guint64        seed;
  char          *version;        /* program version that made it */
  double         seconds;        /* time taken to compute */
} GmLayout;

typedef struct
{
  int            n_genes;        /* 0 = the largest square grid the data supports */
  int            rows, cols;     /* 0 = choose (square) */
  char         **gene_list;      /* NULL-terminated; overrides n_genes */
  GmGridGeometry geometry;
  guint64        seed;
  int            max_iter;
  GmProgressFunc progress;
  gpointer       progress_data;
  const gint    *cancel;
} GmLayoutOptions;

void       gm_layout_options_init (GmLayoutOptions *opts);
GmLayout  *gm_layout_compute      (const GmDataset *ds, const GmLayoutOptions *opts, GError **error);
void       gm_layout_free         (GmLayout *layout);
gboolean   gm_layout_save         (const GmLayout *layout, const char *path, GError **error);
GmLayout  *gm_layout_load         (const char *path, GError **error);
/* For each dataset gene, its pixel or -1 (the genes are matched by name). Fails
 * when no layout gene is in the dataset. */
int32_t   *gm_layout_gene_pixels  (const GmLayout *layout, const GmDataset *ds, int *n_matched,
                                   GError **error);

/* Records the layout in the dataset for export: var columns genomap_row and
 * genomap_col (NaN for genes outside the map) and uns entries genomap_*. */
void       gm_layout_attach       (const GmLayout *layout, GmDataset *ds);
/* The layout gm_layout_attach recorded in @ds (e.g. read back from an h5ad): genes in the
 * dataset's order.  NULL with no error when the dataset holds no layout; NULL with an error
 * naming the file when what it holds is incomplete or inconsistent (a position outside the
 * grid or not an integer, two genes on one pixel, an unreadable grid or geometry). */
GmLayout  *gm_layout_from_dataset (const GmDataset *ds, GError **error);

/* Gene selection: the N most variable genes on log-normalised values
 * (log1p of counts per 10 000), constant genes never; returns dataset gene indices. */
int32_t   *gm_select_variable_genes (const GmDataset *ds, int n, int *n_out, GError **error);
/* Correlation distance 1 − r between the given genes across cells (n × n, row-major),
 * with OpenBLAS on standardised log-normalised values, streaming the CSR in blocks. */
double    *gm_gene_correlation_distance (const GmDataset *ds, const int32_t *genes, int n,
                                         GError **error);

/* ------------------------------------------------------------ cell maps */

typedef enum
{
  GM_TRANSFORM_RAW,
  GM_TRANSFORM_LOG1P_CP10K,     /* log1p of counts per 10 000 */
  GM_TRANSFORM_ZSCORE,          /* per gene, on log1p CP10k values */
  GM_TRANSFORM_MINMAX,          /* per gene, on log1p CP10k values, to [0, 1] */
} GmTransform;

const char *gm_transform_name  (GmTransform t);
gboolean    gm_transform_parse (const char *s, GmTransform *out);

typedef struct _GmMapper GmMapper;

/* Prepares per-gene statistics once; then maps any cells fast. */
GmMapper  *gm_mapper_new       (const GmLayout *layout, const GmDataset *ds, GmTransform t,
                                GError **error);
/* n mappers, one per transform, sharing one pass over the data for the cell
 * totals and one for the per-gene statistics (out receives n mappers). */
gboolean   gm_mapper_new_set   (const GmLayout *layout, const GmDataset *ds,
                                const GmTransform *transforms, int n, GmMapper **out,
                                GError **error);
void       gm_mapper_free      (GmMapper *m);
/* Writes rows × cols floats (row-major image: out[r * cols + c]) for each cell;
 * pixels with no gene are NaN. */
void       gm_mapper_map_cells (const GmMapper *m, const int64_t *cells, int64_t n_cells, float *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GmLayout, gm_layout_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GmMapper, gm_mapper_free)

G_END_DECLS
