/* gms-figure.c — an immutable, reference-counted deep copy of a core GmFigure
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "gms-figure.h"

struct _GmsFigure
{
  GmFigure   fig;
  GPtrArray *owned;   /* every copied image and string */
};

G_DEFINE_BOXED_TYPE (GmsFigure, gms_figure, gms_figure_ref, gms_figure_unref)

static const char *
keep_string (GmsFigure  *self,
             const char *s)
{
  char *copy;

  if (s == NULL)
    return NULL;
  copy = g_strdup (s);
  g_ptr_array_add (self->owned, copy);
  return copy;
}

GmsFigure *
gms_figure_new (const GmFigure *figure)
{
  GmsFigure *self;
  int n;

  g_return_val_if_fail (figure != NULL, NULL);

  self = g_atomic_rc_box_new0 (GmsFigure);
  self->owned = g_ptr_array_new_with_free_func (g_free);
  self->fig = *figure;
  n = figure->n_rows * figure->n_cols;
  self->fig.panels = g_new0 (GmPanel, MAX (n, 1));
  g_ptr_array_add (self->owned, self->fig.panels);
  for (int i = 0; i < n; i++)
    {
      const GmPanel *src = &figure->panels[i];
      GmPanel *dst = &self->fig.panels[i];

      *dst = *src;
      if (src->values != NULL)
        {
          float *v = g_memdup2 (src->values, sizeof (float) * src->rows * src->cols);
          g_ptr_array_add (self->owned, v);
          dst->values = v;
        }
      dst->title = keep_string (self, src->title);
    }
  if (figure->row_labels != NULL)
    {
      const char **labels = g_new0 (const char *, figure->n_rows + 1);
      g_ptr_array_add (self->owned, labels);
      for (int r = 0; r < figure->n_rows; r++)
        labels[r] = keep_string (self, figure->row_labels[r]);
      self->fig.row_labels = labels;
    }
  self->fig.title = keep_string (self, figure->title);
  self->fig.colorbar_label = keep_string (self, figure->colorbar_label);
  return self;
}

GmsFigure *
gms_figure_ref (GmsFigure *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return g_atomic_rc_box_acquire (self);
}

static void
gms_figure_clear (gpointer data)
{
  GmsFigure *self = data;

  g_ptr_array_unref (self->owned);
}

void
gms_figure_unref (GmsFigure *self)
{
  g_return_if_fail (self != NULL);
  g_atomic_rc_box_release_full (self, gms_figure_clear);
}

const GmFigure *
gms_figure_get (GmsFigure *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return &self->fig;
}
