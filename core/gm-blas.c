/* gm-blas.c — OpenBLAS kernel selection
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gm-blas.h"

#define REEXEC_MARK "GENOMAP_BLAS_ARRANGED"

/* Capability levels: 1 = SSE only, 2 = AVX, 3 = AVX2+FMA, 4 = AVX-512. */
static int
core_level (const char *name)
{
  static const struct { const char *name; int level; } table[] = {
    { "SapphireRapids", 4 }, { "Cooperlake", 4 }, { "SkylakeX", 4 },
    { "Haswell", 3 }, { "Zen", 3 }, { "Excavator", 3 }, { "Steamroller", 2 },
    { "Piledriver", 2 }, { "Bulldozer", 2 }, { "Sandybridge", 2 },
  };

  if (name == NULL)
    return 0;
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (g_ascii_strcasecmp (name, table[i].name) == 0)
      return table[i].level;
  return 1;
}

const char *
gm_blas_best_core_for_cpu (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512bw") &&
      __builtin_cpu_supports ("avx512vl") && __builtin_cpu_supports ("avx512dq"))
    return "SkylakeX";
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    return "Haswell";
  if (__builtin_cpu_supports ("avx"))
    return "Sandybridge";
#endif
  return NULL;
}

const char *
gm_blas_core_name (void)
{
  return openblas_get_corename ();
}

int
gm_blas_threads (void)
{
  return openblas_get_num_threads ();
}

/* OpenBLAS's idle threads spin (sched_yield) for 2^28 cycles, about 0.1 s,
 * after every threaded call.  Our own worker pool runs between the GEMMs of a
 * network step, and on few cores those spinning threads take its CPU: the
 * compact ER-Net step at 32 × 32 runs about 20 % faster on 2 cores when they
 * sleep at once (docs/performance.md, "BLAS threads"). */
#define THREAD_TIMEOUT "4"

void
gm_blas_ensure_fast_kernels (char **argv)
{
  const char *best = gm_blas_best_core_for_cpu ();
  gboolean want_core, want_timeout;

  if (g_getenv (REEXEC_MARK) != NULL)
    return;
  /* GENOMAP_BLAS_PRETEND_GENERIC is a test hook: behave as on a CPU the library does not know. */
  want_core = best != NULL && g_getenv ("OPENBLAS_CORETYPE") == NULL
              && (g_getenv ("GENOMAP_BLAS_PRETEND_GENERIC") != NULL
                  || core_level (openblas_get_corename ()) < core_level (best));
  want_timeout = g_getenv ("OPENBLAS_THREAD_TIMEOUT") == NULL && openblas_get_num_threads () > 1;
  if (!want_core && !want_timeout)
    return;

  if (want_core)
    g_setenv ("OPENBLAS_CORETYPE", best, TRUE);
  if (want_timeout)
    g_setenv ("OPENBLAS_THREAD_TIMEOUT", THREAD_TIMEOUT, TRUE);
  /* what OpenBLAS had detected, or "" when only the timeout was arranged */
  g_setenv (REEXEC_MARK, want_core ? openblas_get_corename () : "", TRUE);
  execv ("/proc/self/exe", argv);
  /* If re-execution is impossible we carry on as we are. */
  if (want_core)
    g_unsetenv ("OPENBLAS_CORETYPE");
  if (want_timeout)
    g_unsetenv ("OPENBLAS_THREAD_TIMEOUT");
  g_unsetenv (REEXEC_MARK);
}

char *
gm_blas_describe (void)
{
  const char *detected = g_getenv (REEXEC_MARK);
  const char *user = g_getenv ("OPENBLAS_CORETYPE");
  g_autofree char *config = g_strdup (openblas_get_config ());
  g_autofree char *how = NULL;
  char *sp;

  /* "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH …" → "OpenBLAS 0.3.21" */
  if ((sp = strchr (config, ' ')) != NULL && (sp = strchr (sp + 1, ' ')) != NULL)
    *sp = '\0';

  if (detected != NULL && *detected != '\0')
    how = g_strdup_printf ("chosen by GenoMap Studio: OpenBLAS detected only %s on this CPU", detected);
  else if (user != NULL)
    how = g_strdup ("chosen with OPENBLAS_CORETYPE");
  else
    how = g_strdup ("detected by OpenBLAS");

  {
    const char *timeout = g_getenv ("OPENBLAS_THREAD_TIMEOUT");
    g_autofree char *idle = NULL;

    if (openblas_get_num_threads () > 1)
      idle = timeout == NULL ? g_strdup (", idle threads spin 2^28 cycles")
             : g_strcmp0 (timeout, THREAD_TIMEOUT) == 0 && detected != NULL
             ? g_strdup_printf (", idle threads sleep after 2^%s cycles (set by GenoMap Studio)", timeout)
             : g_strdup_printf (", OPENBLAS_THREAD_TIMEOUT=%s", timeout);
    return g_strdup_printf ("%s, %s kernels (%s), %d thread%s%s", config,
                            openblas_get_corename (), how,
                            openblas_get_num_threads (),
                            openblas_get_num_threads () == 1 ? "" : "s", idle != NULL ? idle : "");
  }
}
