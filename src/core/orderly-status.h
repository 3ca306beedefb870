/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "orderly-cluster.h"
#include "orderly-types.h"

G_BEGIN_DECLS

/*
 * The values behind OrderlyStatus, one field per property. Times are
 * microseconds since the epoch (0 = not yet), durations milliseconds of
 * working time (time paused left out). vip_total and normal_total are the
 * orders generated per priority, vip_processed and normal_processed those
 * processed. progress_percent is processed / target, generation_percent
 * generated / target; eta_ms covers every step left, generation included.
 */
typedef struct
{
  OrderlyPhase phase;
  gint64       run_id;
  gint64       target;
  gint64       generated;
  gint64       vip_total;
  gint64       normal_total;
  gint64       vip_processed;
  gint64       normal_processed;
  gint64       processed_total;
  double       generation_ms;
  double       enqueue_vip_ms;
  double       enqueue_normal_ms;
  gint64       vip_start_us;
  gint64       vip_end_us;
  double       vip_ms;
  gint64       normal_start_us;
  gint64       normal_end_us;
  double       normal_ms;
  double       total_ms;
  double       throughput_vip;
  double       throughput_normal;
  double       throughput_overall;
  gint64       eta_ms;            /* -1 when unknown */
  double       progress_percent;
  gint64       started_at_us;
  gint64       finished_at_us;
  guint        workers;
  gint64       queue_waiting;
  guint        active_workers;
  const char  *error_message;
  gint64       vip_failed;        /* failed for good */
  gint64       normal_failed;
  gint64       failed_total;
  gint64       queue_active;
  gint64       queue_delayed;
  gboolean     paused;
  double       paused_ms;
  double       generation_percent;
  gint64       finish_at_us;      /* when the ETA ends, 0 when unknown */
} OrderlyStatusData;

#define ORDERLY_TYPE_STATUS (orderly_status_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyStatus, orderly_status, ORDERLY, STATUS, GObject)

OrderlyStatus           *orderly_status_new          (void);
const OrderlyStatusData *orderly_status_get_data     (OrderlyStatus           *self);
OrderlyPhase             orderly_status_get_phase    (OrderlyStatus           *self);
gboolean                 orderly_status_update       (OrderlyStatus           *self,
                                                      const OrderlyStatusData *data);
const char              *orderly_status_describe     (OrderlyStatus           *self);
void                     orderly_status_set_cluster  (OrderlyStatus           *self,
                                                      OrderlyCluster          *cluster);
OrderlyCluster          *orderly_status_get_cluster  (OrderlyStatus           *self);

G_END_DECLS
