/* fake-cuda-module.c — a stand-in libgm-nn-cuda.so for test-cli-device.sh:
 * it has the entry points of the real module (core/cuda/gm-nn-cuda.c) but
 * never has a device, so the loader's error paths (a module that loads and
 * then refuses) are tested on machines without CUDA.
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "gm-nn-device.h"

#define GM_EXPORT __attribute__ ((visibility ("default")))

GM_EXPORT char *gm_nn_cuda_probe (unsigned int abi, char **error_message);
GM_EXPORT GmNnBackend *gm_nn_cuda_backend_new (unsigned int abi, gsize table_size, int device,
                                                char **error_message);

GM_EXPORT char *
gm_nn_cuda_probe (unsigned int abi,
                  char       **error_message)
{
  *error_message = g_strdup ("fake test module: no device here");
  return NULL;
}

GM_EXPORT GmNnBackend *
gm_nn_cuda_backend_new (unsigned int abi,
                        gsize        table_size,
                        int          device,
                        char       **error_message)
{
  *error_message = g_strdup_printf ("fake test module: no device %d here (abi %u, table %" G_GSIZE_FORMAT ")",
                                    device, abi, table_size);
  return NULL;
}
