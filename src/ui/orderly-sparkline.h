/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define ORDERLY_TYPE_SPARKLINE (orderly_sparkline_get_type ())

G_DECLARE_FINAL_TYPE (OrderlySparkline, orderly_sparkline, ORDERLY, SPARKLINE, GtkWidget)

GtkWidget *orderly_sparkline_new            (void);
void       orderly_sparkline_set_samples    (OrderlySparkline *self,
                                             GArray           *samples);
guint      orderly_sparkline_get_n_points   (OrderlySparkline *self);
double     orderly_sparkline_get_peak_rate  (OrderlySparkline *self);

G_END_DECLS
