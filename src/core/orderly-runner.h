/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "orderly-log-queue.h"
#include "orderly-store.h"

G_BEGIN_DECLS

/*
 * OrderlyRunner is the threaded side of one run: a coordinating thread that
 * walks the phases, and worker threads that process the queue. It touches only
 * the store, atomics and the log queue; the engine reads it through snapshots.
 */
typedef struct _OrderlyRunner OrderlyRunner;

typedef struct
{
  OrderlyRunRecord record;          /* timings are live while a phase runs */
  gint64           generated;
  gint64           vip_total;
  gint64           normal_total;
  gint64           vip_processed;
  gint64           normal_processed;
  gint64           elapsed_us;
  gint64           queue_waiting;
  guint            active_workers;
} OrderlyRunnerSnapshot;

OrderlyRunner *orderly_runner_start       (OrderlyStore            *store,
                                           OrderlyLogQueue         *logs,
                                           const OrderlyRunRecord  *record,
                                           const OrderlyOrderCounts *resume_counts,
                                           gint64                   work_us,
                                           GError                 **error);
void           orderly_runner_cancel      (OrderlyRunner           *self);
void           orderly_runner_suspend     (OrderlyRunner           *self);
gboolean       orderly_runner_is_finished (OrderlyRunner           *self);
void           orderly_runner_join        (OrderlyRunner           *self);
void           orderly_runner_free        (OrderlyRunner           *self);
void           orderly_runner_snapshot    (OrderlyRunner           *self,
                                           OrderlyRunnerSnapshot   *snapshot);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrderlyRunner, orderly_runner_free)

G_END_DECLS
