/* gms-application.c — GenoMap Studio's AdwApplication
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <hdf5.h>

#include "gm-blas.h"
#include "gm-nn-device.h"
#include "gms-application.h"
#include "gms-preferences-window.h"
#include "gms-renderer.h"
#include "gms-resources.h"
#include "gms-impute-resources.h"
#include "gms-window.h"

struct _GmsApplication
{
  AdwApplication  parent_instance;
  GSettings      *settings;
};

G_DEFINE_FINAL_TYPE (GmsApplication, gms_application, ADW_TYPE_APPLICATION)

void
gms_application_ensure_resources (void)
{
  /* The resources live in a static library: referencing them links them in, and the
   * generated constructors register them. */
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      (void) gms_get_resource ();
      (void) gms_impute_get_resource ();
      g_once_init_leave (&done, 1);
    }
}

char *
gms_application_get_debug_info (void)
{
  GString *s = g_string_new (NULL);
  unsigned maj = 0, min = 0, rel = 0;
  g_autofree char *blas = gm_blas_describe ();
  g_autofree char *backends = gm_nn_backend_describe ();

  H5get_libversion (&maj, &min, &rel);
  g_string_append_printf (s, "GenoMap Studio %s (%s)\n", PACKAGE_VERSION, APPLICATION_ID);
  g_string_append_printf (s, "Flatpak: %s\n", g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS) ? "yes" : "no");
  g_string_append (s, "\nLibraries (run time / build time):\n");
  g_string_append_printf (s, "- GLib %u.%u.%u / %d.%d.%d\n", glib_major_version, glib_minor_version,
                          glib_micro_version, GLIB_MAJOR_VERSION, GLIB_MINOR_VERSION, GLIB_MICRO_VERSION);
  g_string_append_printf (s, "- GTK %u.%u.%u / %d.%d.%d\n", gtk_get_major_version (), gtk_get_minor_version (),
                          gtk_get_micro_version (), GTK_MAJOR_VERSION, GTK_MINOR_VERSION, GTK_MICRO_VERSION);
  g_string_append_printf (s, "- libadwaita %u.%u.%u / %d.%d.%d\n", adw_get_major_version (),
                          adw_get_minor_version (), adw_get_micro_version (), ADW_MAJOR_VERSION,
                          ADW_MINOR_VERSION, ADW_MICRO_VERSION);
  g_string_append_printf (s, "- HDF5 %u.%u.%u / %d.%d.%d\n", maj, min, rel, H5_VERS_MAJOR, H5_VERS_MINOR,
                          H5_VERS_RELEASE);
  g_string_append_printf (s, "- cairo %s\n", cairo_version_string ());
  g_string_append_printf (s, "\nBLAS: %s\n", blas);
  g_string_append (s, "\nCompute backends:\n");
  g_string_append (s, backends != NULL ? backends : "cpu: available\n");
  return g_string_free (s, FALSE);
}

/* ------------------------------------------------------------ windows */

static GmsWindow *
get_window_for_open (GmsApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (GMS_IS_WINDOW (window) && gms_window_is_empty (GMS_WINDOW (window)))
    return GMS_WINDOW (window);
  return gms_window_new (GTK_APPLICATION (self));
}

static void
gms_application_activate (GApplication *application)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));

  if (window == NULL)
    window = GTK_WINDOW (gms_window_new (GTK_APPLICATION (application)));
  gtk_window_present (window);
}

static void
gms_application_open (GApplication  *application,
                      GFile        **files,
                      int            n_files,
                      const char    *hint)
{
  for (int i = 0; i < n_files; i++)
    {
      GmsWindow *window = get_window_for_open (GMS_APPLICATION (application));
      gms_window_open_file (window, files[i]);
      gtk_window_present (GTK_WINDOW (window));
    }
}

/* ------------------------------------------------------------ actions */

static void
open_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  GmsApplication *self = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (!GMS_IS_WINDOW (window))
    window = GTK_WINDOW (gms_window_new (GTK_APPLICATION (self)));
  gtk_window_present (window);
  gms_window_show_open_dialog (GMS_WINDOW (window));
}

static void
new_window_action (GSimpleAction *action,
                   GVariant      *param,
                   gpointer       user_data)
{
  gtk_window_present (GTK_WINDOW (gms_window_new (GTK_APPLICATION (user_data))));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (user_data)));

  /* closing saves each window's state */
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
  g_list_free (windows);
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));
  gtk_window_present (GTK_WINDOW (gms_preferences_window_new (parent)));
}

static void
debug_info_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  /* probing CUDA may load the driver: not on the main thread */
  g_task_return_pointer (task, gms_application_get_debug_info (), g_free);
}

static void
show_about (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GmsApplication *self = GMS_APPLICATION (object);
  g_autofree char *debug_info = g_task_propagate_pointer (G_TASK (result), NULL);
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  static const char *developers[] = { "The GenoMap Studio authors", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", parent,
                        "application-name", _("GenoMap Studio"),
                        "application-icon", APPLICATION_ID,
                        "developer-name", _("The GenoMap Studio authors"),
                        "version", PACKAGE_VERSION,
                        "comments", _("View single-cell RNA-seq datasets as GenoMaps — genes placed on a grid "
                                      "so that interacting genes sit together — and impute dropouts."),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "developers", developers,
                        "debug-info", debug_info,
                        "debug-info-filename", "genomap-studio-debug-info.txt",
                        NULL);
  adw_about_window_add_legal_section (ADW_ABOUT_WINDOW (about), _("GenoMap"), NULL, GTK_LICENSE_CUSTOM,
                                      "Md Tauhidul Islam and Lei Xing. “Cartography of Genomic Interactions "
                                      "Enables Deep Analysis of Single-Cell Expression Data.” "
                                      "Nature Communications 14, 679 (2023). "
                                      "https://doi.org/10.1038/s41467-023-36383-6");
  adw_about_window_add_legal_section (ADW_ABOUT_WINDOW (about), _("TCER (ER-Net)"), NULL, GTK_LICENSE_CUSTOM,
                                      "Wei et al. TCER (ER-Net imputation on GenoMaps). "
                                      "Briefings in Bioinformatics (2024), bbae031. "
                                      "https://doi.org/10.1093/bib/bbae031");
  adw_about_window_add_link (ADW_ABOUT_WINDOW (about), _("GenoMap (Nat Commun 2023)"),
                             "https://doi.org/10.1038/s41467-023-36383-6");
  adw_about_window_add_link (ADW_ABOUT_WINDOW (about), _("TCER (Brief Bioinform 2024)"),
                             "https://doi.org/10.1093/bib/bbae031");
  gtk_window_present (GTK_WINDOW (about));
}

static void
about_action (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  g_autoptr(GTask) task = g_task_new (user_data, NULL, show_about, NULL);

  g_task_set_source_tag (task, about_action);
  g_task_run_in_thread (task, debug_info_thread);
}

static const GActionEntry app_actions[] = {
  { "open", open_action },
  { "new-window", new_window_action },
  { "quit", quit_action },
  { "preferences", preferences_action },
  { "about", about_action },
};

/* ------------------------------------------------------------ style */

static void
style_variant_changed_cb (GmsApplication *self)
{
  g_autofree char *variant = g_settings_get_string (self->settings, "style-variant");
  AdwStyleManager *manager = adw_style_manager_get_default ();

  if (g_strcmp0 (variant, "light") == 0)
    adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
  else if (g_strcmp0 (variant, "dark") == 0)
    adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_DARK);
  else
    adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_DEFAULT);
}

static void
gms_application_startup (GApplication *application)
{
  GmsApplication *self = GMS_APPLICATION (application);
  static const char *open_accels[] = { "<Control>o", NULL };
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *prefs_accels[] = { "<Control>comma", NULL };
  static const char *new_window_accels[] = { "<Control>n", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };
  static const char *help_accels[] = { "<Control>question", NULL };

  gms_application_ensure_resources ();
  G_APPLICATION_CLASS (gms_application_parent_class)->startup (application);
  {
    /* before the first window: cairo where OpenGL is a software rasteriser (gms-renderer.h) */
    gboolean cairo = FALSE;
    gint64 t0 = g_get_monotonic_time ();
    g_autofree char *gl = gms_renderer_choose (gdk_display_get_default (), &cairo);
    g_debug ("OpenGL renderer: %s%s (%.1f ms to ask)", gl ? gl : "none",
             cairo ? "; software, so GSK draws with cairo" : "", (g_get_monotonic_time () - t0) / 1e3);
  }

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.open", open_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", prefs_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.new-window", new_window_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.close", close_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-help-overlay", help_accels);

  self->settings = g_settings_new (APPLICATION_ID);
  g_signal_connect_swapped (self->settings, "changed::style-variant", G_CALLBACK (style_variant_changed_cb), self);
  style_variant_changed_cb (self);
}

static void
gms_application_finalize (GObject *object)
{
  g_clear_object (&GMS_APPLICATION (object)->settings);
  G_OBJECT_CLASS (gms_application_parent_class)->finalize (object);
}

static void
gms_application_class_init (GmsApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = gms_application_finalize;
  app_class->activate = gms_application_activate;
  app_class->open = gms_application_open;
  app_class->startup = gms_application_startup;
}

static void
gms_application_init (GmsApplication *self)
{
}

GmsApplication *
gms_application_new (void)
{
  return g_object_new (GMS_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/org/genomap/Studio",
                       NULL);
}
