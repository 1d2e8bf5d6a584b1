/* gm-blas.h — make sure OpenBLAS runs its fast kernels, and say which ones ran
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Call first thing in main().  Debian 12's OpenBLAS 0.3.21 picks its kernels
 * once, when the library loads, and on CPUs newer than it knows it silently
 * falls back to generic SSE kernels (about 6× slower SGEMM).  When the kernels
 * picked are weaker than what the CPU supports and the user has not chosen
 * with OPENBLAS_CORETYPE, this sets OPENBLAS_CORETYPE and re-executes the
 * program once, so the library loads again with the right kernels.  With
 * more than one BLAS thread and no OPENBLAS_THREAD_TIMEOUT of the user's, it
 * also sets that to 4, so that idle BLAS threads sleep at once instead of
 * spinning for ~0.1 s and taking the CPU of our own workers (gm-blas.c).
 * Returns only if no re-execution was needed (or it failed). */
void        gm_blas_ensure_fast_kernels (char **argv);

/* The kernel family OpenBLAS uses now, e.g. "SkylakeX". */
const char *gm_blas_core_name           (void);
/* The best kernel family this CPU supports, or NULL if nothing better than generic. */
const char *gm_blas_best_core_for_cpu   (void);
int         gm_blas_threads             (void);
/* One line: "OpenBLAS 0.3.21 …, kernels SkylakeX (set by genomap: CPU not recognised), 2 threads" */
char       *gm_blas_describe            (void);

G_END_DECLS
