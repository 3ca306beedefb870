/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "orderly-status.h"

G_BEGIN_DECLS

#define ORDERLY_TYPE_THROUGHPUT_CHART (orderly_throughput_chart_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyThroughputChart, orderly_throughput_chart, ORDERLY, THROUGHPUT_CHART, GtkDrawingArea)

GtkWidget     *orderly_throughput_chart_new            (void);
OrderlyStatus *orderly_throughput_chart_get_status     (OrderlyThroughputChart *self);
void           orderly_throughput_chart_set_status     (OrderlyThroughputChart *self,
                                                        OrderlyStatus          *status);
guint          orderly_throughput_chart_get_n_samples  (OrderlyThroughputChart *self);
void           orderly_throughput_chart_load_samples   (OrderlyThroughputChart *self,
                                                        gint64                  run_id,
                                                        GArray                 *samples);
double         orderly_throughput_chart_get_peak_rate  (OrderlyThroughputChart *self);
double         orderly_throughput_chart_get_rate       (OrderlyThroughputChart *self,
                                                        guint                   series);

G_END_DECLS
