/* gm-linalg.h — small dense linear algebra
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "gm-nn.h"

G_BEGIN_DECLS

/* Cyclic Jacobi eigen-decomposition of the symmetric l × l matrix @a (row-major,
 * destroyed): eigenvalues in @w and eigenvectors in the columns of @v (l × l,
 * row-major), sorted by descending eigenvalue (ties keep index order).
 * For the small matrices of PCA sketches and MDS. */
void gm_linalg_sym_eigen (double *a, int l, double *w, double *v);

/* C = α·op(A)·op(B) + β·C, row-major doubles (cblas_dgemm's meaning with
 * CblasRowMajor; op = transpose where ta / tb).  The GenoMap layout's dense
 * products go through here: with an accelerator set and m·n·k at least the
 * threshold, on the accelerator's host_dgemm (cuBLAS on a GPU), else, or if
 * it cannot run, cblas_dgemm.  Thread-safe: accelerator calls are
 * serialised. */
void gm_dgemm (gboolean      ta,
               gboolean      tb,
               int           m,
               int           n,
               int           k,
               double        alpha,
               const double *a,
               int           lda,
               const double *b,
               int           ldb,
               double        beta,
               double       *c,
               int           ldc);

/* The upper triangle of C = α·AᵀA + β·C, A k × n row-major (cblas_dsyrk
 * with CblasRowMajor, CblasUpper, CblasTrans).  On the accelerator it is
 * one full product, which writes the lower triangle too. */
void gm_dsyrk_upper_t (int           n,
                       int           k,
                       double        alpha,
                       const double *a,
                       int           lda,
                       double        beta,
                       double       *c,
                       int           ldc);

/* Sets (or with NULL clears) the accelerator of gm_dgemm and gm_dsyrk_upper_t, borrowed: it must
 * stay alive until cleared.  A backend without host_dgemm is ignored.
 * min_macs ≤ 0 keeps the default threshold, 2²⁷ multiply-adds (≈ 0.3 GFLOP:
 * below it the copies cost more than the CPU's time).  Returns the previous
 * accelerator. */
GmNnBackend *gm_linalg_set_accelerator (GmNnBackend *backend,
                                        double       min_macs);
/* How many products ran on the accelerator since the process started (for
 * tests and benchmarks). */
guint64      gm_linalg_accelerated_calls (void);

G_END_DECLS
