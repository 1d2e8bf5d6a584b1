/* gms-preferences-window.h — the preferences, bound to the GSettings schema org.genomap.Studio
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define GMS_TYPE_PREFERENCES_WINDOW (gms_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (GmsPreferencesWindow, gms_preferences_window, GMS, PREFERENCES_WINDOW, AdwPreferencesWindow)

GtkWidget *gms_preferences_window_new (GtkWindow *parent);

G_END_DECLS
