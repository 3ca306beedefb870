/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "orderly-engine.h"
#include "orderly-eta.h"
#include "orderly-log-queue.h"
#include "orderly-runner.h"

G_BEGIN_DECLS

/* Called on the main loop once the runner in progress has stopped. */
typedef void (*OrderlyEngineStoppedFunc) (OrderlyEngine *self,
                                          GTask         *task);

struct _OrderlyEngine
{
  GObject              parent_instance;

  OrderlyStore        *store;
  OrderlyStatus       *status;
  OrderlyCluster      *cluster;
  gint64               processed_here;   /* by this instance, in the last run */
  gboolean             helping;          /* the runner helps another instance's run */
  OrderlyLogStore     *log_store;
  OrderlyLogQueue     *log_queue;
  OrderlyRunList      *run_list;
  OrderlyRunner       *runner;
  GMainContext        *context;
  char                *instance_id;

  /* The run the status shows when none is going, and its queue. */
  OrderlyRunRecord     last_run;
  gboolean             has_last_run;
  gboolean             interrupted;
  OrderlyOrderCounts   last_counts;

  /* The queue's pause, kept for the next run when none is going. */
  gboolean             paused;
  OrderlyEta           eta;
  gint64               frozen_eta_ms;

  /* An operation that excludes starting and resetting (e.g. "reset"). */
  const char          *busy;
  /* Tasks waiting for the runner in progress to stop, with what to do
   * then (OrderlyEngineStoppedFunc). */
  GPtrArray           *stop_waiters;
  GPtrArray           *stop_funcs;
  guint                stop_poll_source;
  /* Counts the engine's tasks until they are finalized (perhaps on a
   * worker thread, after they let go of the engine); a shutdown waits
   * for them. */
  struct _OrderlyTaskCount *task_count;

  /* Log lines are stored on a thread of their own, in order, so the main
   * loop never waits for the database while the workers write to it. */
  GThreadPool         *log_writer;
  gint64               next_log_id;
  gint                 log_store_failed;

  guint                tick_source;
  guint                tick_hz;
  guint                workers;
  gint64               work_us;
  double               vip_share;
  double               failure_rate;
  guint                max_attempts;
  gint64               retry_backoff_ms;
  gint64               lease_ms;
};

gboolean _orderly_engine_start_runner      (OrderlyEngine             *self,
                                            const OrderlyRunRecord    *record,
                                            gboolean                   resume,
                                            GTask                     *task,
                                            GError                   **error);
void     _orderly_engine_when_stopped      (OrderlyEngine             *self,
                                            gboolean                   suspend,
                                            GTask                     *task,
                                            OrderlyEngineStoppedFunc   func);
void     _orderly_engine_set_counts        (OrderlyEngine             *self,
                                            const OrderlyOrderCounts  *counts);
gint64   _orderly_engine_current_run_id    (OrderlyEngine             *self);
gboolean _orderly_engine_run_is_open       (OrderlyEngine             *self);
void     _orderly_engine_queue_counts_from (const OrderlyOrderCounts  *counts,
                                            gboolean                   open,
                                            gboolean                   paused,
                                            OrderlyQueueCounts        *queue);
GTask   *_orderly_engine_task_new          (OrderlyEngine             *self,
                                            GCancellable              *cancellable,
                                            GAsyncReadyCallback        callback,
                                            gpointer                   user_data,
                                            gpointer                   source_tag);
void     _orderly_engine_save_run_later    (OrderlyEngine             *self,
                                            const OrderlyRunRecord    *record);
void     _orderly_engine_notify_paused     (OrderlyEngine             *self);
gboolean _orderly_engine_propagate_struct  (GAsyncResult              *result,
                                            gpointer                   out,
                                            gsize                      size,
                                            GError                   **error);
gpointer _orderly_engine_propagate_inner   (GAsyncResult              *inner,
                                            GTask                     *task);
void     _orderly_engine_current_record    (OrderlyEngine             *self,
                                            OrderlyRunRecord          *record);

G_END_DECLS
