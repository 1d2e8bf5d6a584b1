/* gm-nn-device.h — choosing a compute backend at run time (CPU or CUDA)
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The CUDA backend is a separate shared module, libgm-nn-cuda.so (built
 * from core/cuda/ only when nvcc, cuBLAS and cuDNN 9 are found), which this
 * file dlopens on demand.  The programs themselves never link CUDA, so the
 * same binaries run on machines with no NVIDIA driver: there a missing
 * module, a missing libcudart/cuBLAS/cuDNN, a missing driver or the absence
 * of a device is a reason, reported as a notice ("auto") or an error
 * ("cuda").
 *
 * The module is looked for in $GENOMAP_BACKEND_DIR when that is set (and
 * only there), else in the build tree (only when the program itself runs
 * from the build tree), then in LIBDIR/genomap-studio.  It is loaded at most once per process and never
 * unloaded.
 */
#pragma once

#include "gm-nn.h"

G_BEGIN_DECLS

/* The module's file name and its entry points (see core/cuda/). */
#define GM_NN_CUDA_MODULE_NAME "libgm-nn-cuda.so"

/* Creates a backend on CUDA device `device`; on failure returns NULL and
 * sets *error_message (g_malloc'd) to one line saying why.  abi must be
 * GM_NN_BACKEND_ABI and table_size sizeof (GmNnBackend). */
typedef GmNnBackend *(*GmNnCudaNewFunc)   (unsigned int abi,
                                           gsize        table_size,
                                           int          device,
                                           char       **error_message);
/* One line per visible device ("0: NVIDIA H100 … (sm_90, 79 GiB)"),
 * g_malloc'd, or NULL with *error_message set (no driver, no device …). */
typedef char        *(*GmNnCudaProbeFunc) (unsigned int abi,
                                           char       **error_message);

#define GM_NN_CUDA_NEW_SYMBOL   "gm_nn_cuda_backend_new"
#define GM_NN_CUDA_PROBE_SYMBOL "gm_nn_cuda_probe"

/* Opens a backend for `device`:
 *   "cpu"            the CPU reference backend (never fails);
 *   "cuda", "cuda:N" CUDA device 0 / N; fails (GM_ERROR_UNSUPPORTED) with
 *                    the reason when it cannot be had;
 *   "auto" or NULL   CUDA device 0 when it can be had, else the CPU, and
 *                    then *notice (may be NULL) receives one line saying
 *                    why (g_free it); *notice is NULL when nothing needs
 *                    saying.
 * Anything else is GM_ERROR_USAGE.  Free the backend with
 * gm_nn_backend_free(). */
GmNnBackend *gm_nn_backend_open     (const char  *device,
                                     char       **notice,
                                     GError     **error);

/* Whether `device` is one of the strings gm_nn_backend_open() accepts. */
gboolean     gm_nn_device_valid     (const char  *device);

/* The backends this program can use, one per line, each with the reason
 * when it is not available, e.g.
 *   "cpu: available (reference backend, OpenBLAS)\n"
 *   "cuda: not available: no NVIDIA driver (cudaGetDeviceCount: …)\n" */
char        *gm_nn_backend_describe (void);

G_END_DECLS
