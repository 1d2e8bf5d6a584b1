/* gms-figure.h — an immutable, reference-counted deep copy of a core GmFigure
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Views draw it (gm_figure_draw) and export items save it (gm_figure_save) from a worker
 * thread, so the figure owns copies of every image and string; the reference count is
 * atomic.
 */
#pragma once

#include <glib-object.h>

#include "gm-render.h"

G_BEGIN_DECLS

typedef struct _GmsFigure GmsFigure;

#define GMS_TYPE_FIGURE (gms_figure_get_type ())
GType            gms_figure_get_type (void) G_GNUC_CONST;

GmsFigure       *gms_figure_new      (const GmFigure *figure);
GmsFigure       *gms_figure_ref      (GmsFigure      *self);
void             gms_figure_unref    (GmsFigure      *self);
const GmFigure  *gms_figure_get      (GmsFigure      *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GmsFigure, gms_figure_unref)

G_END_DECLS
