/* gm-nn-device.c — choosing a compute backend at run time (see gm-nn-device.h)
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gmodule.h>
#include <stdlib.h>
#include <string.h>

#include "gm-dataset.h"
#include "gm-nn-device.h"

/* The module, loaded at most once per process (and never unloaded: the
 * backends it creates run its code, and CUDA runtimes dislike unloading). */
typedef struct
{
  gboolean          tried;
  GModule          *module;
  GmNnCudaNewFunc   new_fn;
  GmNnCudaProbeFunc probe_fn;
  char             *path;      /* the file loaded */
  char             *why;       /* why there is no module, when there is none */
} CudaModule;

static GMutex     cuda_lock;
static CudaModule cuda_mod;

static gboolean
running_from_build_tree (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);

  return exe != NULL && g_str_has_prefix (exe, GM_BUILD_ROOT "/");
}

/* Candidate directories, in order. */
static GPtrArray *
module_dirs (void)
{
  GPtrArray *dirs = g_ptr_array_new_with_free_func (g_free);
  const char *env = g_getenv ("GENOMAP_BACKEND_DIR");

  if (env != NULL && env[0] != '\0')
    {
      g_ptr_array_add (dirs, g_strdup (env));
      return dirs;
    }
  /* the build tree only for a program that runs from it: an installed
   * program must not load whatever a (maybe world-writable) build path
   * holds */
  if (running_from_build_tree ())
    g_ptr_array_add (dirs, g_strdup (GM_BACKEND_BUILD_DIR));
  g_ptr_array_add (dirs, g_strdup (GM_BACKEND_INSTALL_DIR));
  return dirs;
}

/* Loads the module (with cuda_lock held). */
static void
load_module_locked (void)
{
  g_autoptr(GPtrArray) dirs = NULL;
  g_autoptr(GString) searched = NULL;

  if (cuda_mod.tried)
    return;
  cuda_mod.tried = TRUE;
  if (!g_module_supported ())
    {
      cuda_mod.why = g_strdup ("this platform cannot load modules");
      return;
    }
  dirs = module_dirs ();
  searched = g_string_new (NULL);
  for (guint i = 0; i < dirs->len; i++)
    {
      const char *dir = g_ptr_array_index (dirs, i);
      g_autofree char *path = g_build_filename (dir, GM_NN_CUDA_MODULE_NAME, NULL);
      GModule *mod;
      gpointer new_sym = NULL, probe_sym = NULL;

      if (searched->len > 0)
        g_string_append (searched, ", ");
      g_string_append (searched, dir);
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      /* LOCAL: the module's symbols (and CUDA's) stay out of the global
       * namespace; LAZY is not used so that a missing symbol fails here. */
      mod = g_module_open (path, G_MODULE_BIND_LOCAL);
      if (mod == NULL)
        {
          /* e.g. "libcudnn.so.9: cannot open shared object file" */
          cuda_mod.why = g_strdup_printf ("%s cannot be loaded: %s", path, g_module_error ());
          return;
        }
      if (!g_module_symbol (mod, GM_NN_CUDA_NEW_SYMBOL, &new_sym) || new_sym == NULL
          || !g_module_symbol (mod, GM_NN_CUDA_PROBE_SYMBOL, &probe_sym) || probe_sym == NULL)
        {
          cuda_mod.why = g_strdup_printf ("%s is not a GenoMap Studio CUDA backend (no %s)", path,
                                          GM_NN_CUDA_NEW_SYMBOL);
          g_module_close (mod);
          return;
        }
      g_module_make_resident (mod);
      cuda_mod.module = mod;
      cuda_mod.new_fn = (GmNnCudaNewFunc) new_sym;
      cuda_mod.probe_fn = (GmNnCudaProbeFunc) probe_sym;
      cuda_mod.path = g_steal_pointer (&path);
      return;
    }
  if (GM_HAVE_CUDA_MODULE)
    cuda_mod.why = g_strdup_printf ("the CUDA backend module %s is not installed (searched %s)",
                                    GM_NN_CUDA_MODULE_NAME, searched->str);
  else
    cuda_mod.why = g_strdup_printf ("this build has no CUDA backend (configured without nvcc, cuBLAS or "
                                    "cuDNN 9) and no %s was found in %s",
                                    GM_NN_CUDA_MODULE_NAME, searched->str);
}

/* Parses "cuda" / "cuda:N"; returns FALSE for anything else. */
static gboolean
parse_cuda (const char *device,
            int        *index)
{
  const char *p;
  char *end = NULL;
  gint64 v;

  if (strcmp (device, "cuda") == 0)
    {
      *index = 0;
      return TRUE;
    }
  if (!g_str_has_prefix (device, "cuda:"))
    return FALSE;
  p = device + 5;
  if (!g_ascii_isdigit (p[0]))
    return FALSE;
  v = g_ascii_strtoll (p, &end, 10);
  if (end == NULL || *end != '\0' || v < 0 || v > 1024)
    return FALSE;
  *index = (int) v;
  return TRUE;
}

gboolean
gm_nn_device_valid (const char *device)
{
  int idx;

  return device == NULL || strcmp (device, "auto") == 0 || strcmp (device, "cpu") == 0
         || parse_cuda (device, &idx);
}

/* A CUDA backend on device idx, or NULL and *why. */
static GmNnBackend *
open_cuda (int    idx,
           char **why)
{
  GmNnBackend *be;
  char *msg = NULL;

  g_mutex_lock (&cuda_lock);
  load_module_locked ();
  if (cuda_mod.module == NULL)
    {
      *why = g_strdup (cuda_mod.why);
      g_mutex_unlock (&cuda_lock);
      return NULL;
    }
  g_mutex_unlock (&cuda_lock);
  be = cuda_mod.new_fn (GM_NN_BACKEND_ABI, sizeof (GmNnBackend), idx, &msg);
  if (be == NULL)
    {
      *why = msg != NULL ? msg : g_strdup ("the CUDA backend failed without saying why");
      return NULL;
    }
  g_free (msg);
  return be;
}

GmNnBackend *
gm_nn_backend_open (const char *device,
                    char      **notice,
                    GError    **error)
{
  g_autofree char *why = NULL;
  GmNnBackend *be;
  int idx = 0;

  if (notice != NULL)
    *notice = NULL;
  if (device == NULL)
    device = "auto";
  if (strcmp (device, "cpu") == 0)
    return gm_nn_backend_cpu ();
  if (strcmp (device, "auto") == 0)
    {
      be = open_cuda (0, &why);
      if (be != NULL)
        return be;
      if (notice != NULL)
        *notice = g_strdup_printf ("using the CPU: the CUDA backend is not available: %s", why);
      return gm_nn_backend_cpu ();
    }
  if (!parse_cuda (device, &idx))
    {
      g_set_error (error, GM_ERROR, GM_ERROR_USAGE,
                   "unknown device '%s' (use auto, cpu, cuda or cuda:N)", device);
      return NULL;
    }
  be = open_cuda (idx, &why);
  if (be == NULL)
    g_set_error (error, GM_ERROR, GM_ERROR_UNSUPPORTED, "device %s is not available: %s", device, why);
  return be;
}

char *
gm_nn_backend_describe (void)
{
  GString *s = g_string_new ("cpu: available (reference backend, float32, cblas SGEMM)\n");
  char *msg = NULL, *info;

  g_mutex_lock (&cuda_lock);
  load_module_locked ();
  if (cuda_mod.module == NULL)
    {
      g_string_append_printf (s, "cuda: not available: %s\n", cuda_mod.why);
      g_mutex_unlock (&cuda_lock);
      return g_string_free (s, FALSE);
    }
  g_mutex_unlock (&cuda_lock);
  info = cuda_mod.probe_fn (GM_NN_BACKEND_ABI, &msg);
  if (info == NULL)
    g_string_append_printf (s, "cuda: not available: %s (module %s)\n",
                            msg != NULL ? msg : "unknown reason", cuda_mod.path);
  else
    {
      g_auto(GStrv) lines = g_strsplit (info, "\n", -1);

      g_string_append_printf (s, "cuda: available (module %s)\n", cuda_mod.path);
      for (int i = 0; lines[i] != NULL; i++)
        if (lines[i][0] != '\0')
          g_string_append_printf (s, "  cuda:%s\n", lines[i]);
    }
  g_free (msg);
  g_free (info);
  return g_string_free (s, FALSE);
}
