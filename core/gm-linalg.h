/* gm-linalg.h — small dense linear algebra
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Cyclic Jacobi eigen-decomposition of the symmetric l × l matrix @a (row-major,
 * destroyed): eigenvalues in @w and eigenvectors in the columns of @v (l × l,
 * row-major), sorted by descending eigenvalue (ties keep index order).
 * For the small matrices of PCA sketches and MDS. */
void gm_linalg_sym_eigen (double *a, int l, double *w, double *v);

G_END_DECLS
