/* gms-application.h — GenoMap Studio's AdwApplication: actions, accelerators, About, Preferences
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define GMS_TYPE_APPLICATION (gms_application_get_type ())
G_DECLARE_FINAL_TYPE (GmsApplication, gms_application, GMS, APPLICATION, AdwApplication)

GmsApplication *gms_application_new              (void);
/* The versions of the libraries and the compute backends, for About and --version. */
char           *gms_application_get_debug_info   (void);
/* Registers the application's resources (templates, CSS, help overlay); idempotent.
 * Needed only by programs that use the widgets without a GmsApplication (tests). */
void            gms_application_ensure_resources (void);

G_END_DECLS
