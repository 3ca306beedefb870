/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "orderly-log-queue.h"
#include "orderly-store.h"

G_BEGIN_DECLS

/*
 * OrderlyRunner is the threaded side of one run: a coordinating thread that
 * walks the phases, and worker threads that claim orders from the store and
 * process them. It touches only the store, atomics and the log queue; the
 * engine reads it through snapshots.
 */
typedef struct _OrderlyRunner OrderlyRunner;

/**
 * OrderlyRunnerOptions:
 * @owner: the instance id the claims are taken in the name of
 * @work_us: simulated cost of one order
 * @failure_rate: the share of attempts that fail, from 0 to 1
 * @max_attempts: attempts an order gets before it fails for good, and again
 *   each time it is retried after that
 * @retry_backoff_ms: the wait before the first retry; it doubles each time
 * @lease_ms: how long a claim stays valid without renewal
 * @paused: start with the queue paused
 * @helper: join a run that another instance of a shared store runs: claim
 *   and process its orders, but leave its row to that instance
 */
typedef struct
{
  const char *owner;
  gint64      work_us;
  double      failure_rate;
  guint       max_attempts;
  gint64      retry_backoff_ms;
  gint64      lease_ms;
  gboolean    paused;
  gboolean    helper;
} OrderlyRunnerOptions;

typedef struct
{
  OrderlyRunRecord    record;     /* timings are live while a phase runs */
  OrderlyOrderCounts  counts;     /* the queue, as of the last refresh */
  gboolean            begun;      /* the run's row exists */
  gboolean            paused;
  guint               busy_workers;
  gint64              claims_lost;
  gint64              processed_here;  /* by this runner's workers */
} OrderlyRunnerSnapshot;

/**
 * OrderlyRunnerBegunFunc:
 * @run_id: the run's id, or 0 if it could not begin
 * @error: (nullable): why not
 *
 * Called once, on the runner's thread, when a run has begun (its row and
 * counters exist) or could not.
 */
typedef void (*OrderlyRunnerBegunFunc) (gint64        run_id,
                                        const GError *error,
                                        gpointer      user_data);

OrderlyRunner *orderly_runner_start       (OrderlyStore                *store,
                                           OrderlyLogQueue             *logs,
                                           const OrderlyRunRecord      *record,
                                           gboolean                     resume,
                                           const OrderlyRunnerOptions  *options,
                                           OrderlyRunnerBegunFunc       begun,
                                           gpointer                     begun_data,
                                           GError                     **error);
void           orderly_runner_cancel      (OrderlyRunner               *self);
void           orderly_runner_suspend     (OrderlyRunner               *self);
void           orderly_runner_set_paused  (OrderlyRunner               *self,
                                           gboolean                     paused);
gboolean       orderly_runner_is_paused   (OrderlyRunner               *self);
gboolean       orderly_runner_is_finished (OrderlyRunner               *self);
void           orderly_runner_join        (OrderlyRunner               *self);
void           orderly_runner_free        (OrderlyRunner               *self);
void           orderly_runner_snapshot    (OrderlyRunner               *self,
                                           OrderlyRunnerSnapshot       *snapshot);

gboolean       orderly_runner_attempt_fails (guint64                    seed,
                                             gint64                     order_id,
                                             guint                      attempt,
                                             double                     failure_rate);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrderlyRunner, orderly_runner_free)

G_END_DECLS
