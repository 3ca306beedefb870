/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "orderly-log-store.h"
#include "orderly-run-list.h"
#include "orderly-status.h"
#include "orderly-store.h"

G_BEGIN_DECLS

#define ORDERLY_DEFAULT_TICK_HZ 10
#define ORDERLY_DEFAULT_MAX_ATTEMPTS 3
#define ORDERLY_DEFAULT_RETRY_BACKOFF_MS 500
#define ORDERLY_DEFAULT_LEASE_MS 30000
/* The largest page of a job listing. */
#define ORDERLY_MAX_JOB_PAGE 10000

typedef struct
{
  gint64   quantity;
  gboolean force;
  double   vip_share;     /* < 0: the engine's default */
  gboolean has_seed;
  guint64  seed;
} OrderlyRunRequest;

typedef struct
{
  gint64       run_id;
  OrderlyPhase phase;
  gboolean     forced;
  gboolean     stale_recovered;
} OrderlyStartInfo;

typedef struct
{
  gint64 deleted_orders;
  gint64 deleted_runs;
} OrderlyResetInfo;

/**
 * OrderlyQueueCounts:
 * @waiting: orders that can be claimed now
 * @active: orders held by a worker's claim
 * @completed: processed orders still stored
 * @failed: orders failed for good and still stored
 * @delayed: orders waiting for a retry after a failed attempt
 * @paused: orders waiting in a run that is paused or interrupted (then
 *   @waiting is 0)
 * @queue_paused: whether the queue is paused
 *
 * The current run's orders in the words of a job queue. Waiting, active,
 * delayed and paused orders are work still to do: once a run has ended
 * without settling them (cancelled, purged, failed), they are none of
 * these, since nothing will claim them.
 */
typedef struct
{
  gint64   waiting;
  gint64   active;
  gint64   completed;
  gint64   failed;
  gint64   delayed;
  gint64   paused;
  gboolean queue_paused;
} OrderlyQueueCounts;

/**
 * OrderlyJobQuery:
 * @states: (array length=n_states): the states to list, each its own page,
 *   in this order
 * @start: the first position of each state's list, from 0
 * @end: the last one, inclusive
 * @with_data: whether to fill each order's data
 */
typedef struct
{
  OrderlyJobState states[ORDERLY_N_JOB_STATES];
  guint           n_states;
  gint64          start;
  gint64          end;
  gboolean        with_data;
} OrderlyJobQuery;

/**
 * OrderlyJobPage:
 * @run_id: the run listed (0: none)
 * @counts: how many orders each state holds in all
 * @jobs: (element-type OrderlyJob): the orders, state after state
 */
typedef struct
{
  gint64              run_id;
  OrderlyQueueCounts  counts;
  GPtrArray          *jobs;
} OrderlyJobPage;

/**
 * OrderlyPurgeInfo:
 * @run_id: the run whose waiting work was dropped (0: none)
 * @dropped: orders that were waiting, delayed or paused and will not be
 *   processed
 * @deleted_orders: orders deleted from the store (with obliterate)
 */
typedef struct
{
  gint64 run_id;
  gint64 dropped;
  gint64 deleted_orders;
} OrderlyPurgeInfo;

/**
 * OrderlyPriorityProof:
 * @vip_wait_p50_us: median wait of processed VIP orders, from creation to
 *   processing (-1: none yet)
 * @vip_before_normal: no NORMAL attempt ended before the last VIP order
 *   settled, by the run's stored counters
 * @check_state: the run's full check on its stored rows, if it had one
 *
 * How the run kept its priority, from its stored times.
 */
typedef struct
{
  gint64               run_id;
  gint64               vip_wait_p50_us;
  gint64               vip_wait_p95_us;
  gint64               normal_wait_p50_us;
  gint64               normal_wait_p95_us;
  guint64              vip_waits;
  guint64              normal_waits;
  gint64               vip_last_settled_us;
  gint64               normal_first_attempt_us;
  gboolean             vip_before_normal;
  gint64               generated;
  gint64               processed;
  gint64               failed;
  gint64               unsettled;
  OrderlyRunCheckState check_state;
  char                *check_message;
} OrderlyPriorityProof;

#define ORDERLY_TYPE_ENGINE (orderly_engine_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyEngine, orderly_engine, ORDERLY, ENGINE, GObject)

OrderlyEngine   *orderly_engine_new              (OrderlyStore             *store,
                                                  GError                  **error);
OrderlyStore    *orderly_engine_get_store        (OrderlyEngine            *self);
OrderlyStatus   *orderly_engine_get_status       (OrderlyEngine            *self);
OrderlyLogStore *orderly_engine_get_log_store    (OrderlyEngine            *self);
OrderlyCluster  *orderly_engine_get_cluster      (OrderlyEngine            *self);
void             orderly_engine_set_cluster      (OrderlyEngine            *self,
                                                  OrderlyCluster           *cluster);
void             orderly_engine_add_peer_logs    (OrderlyEngine            *self,
                                                  GPtrArray                *records);
gboolean         orderly_engine_is_helping       (OrderlyEngine            *self);
gboolean         orderly_engine_join_run         (OrderlyEngine            *self,
                                                  const OrderlyRunRecord   *record,
                                                  gboolean                  helper,
                                                  GError                  **error);
void             orderly_engine_show_run         (OrderlyEngine            *self,
                                                  const OrderlyRunRecord   *record,
                                                  const OrderlyOrderCounts *counts,
                                                  gboolean                  interrupted);
OrderlyRunList  *orderly_engine_get_run_list     (OrderlyEngine            *self);
const char      *orderly_engine_get_instance_id  (OrderlyEngine            *self);
gboolean         orderly_engine_is_running       (OrderlyEngine            *self);
gboolean         orderly_engine_is_paused        (OrderlyEngine            *self);

void             orderly_engine_start_run_async  (OrderlyEngine            *self,
                                                  const OrderlyRunRequest  *request,
                                                  GCancellable             *cancellable,
                                                  GAsyncReadyCallback       callback,
                                                  gpointer                  user_data);
gboolean         orderly_engine_start_run_finish (OrderlyEngine            *self,
                                                  GAsyncResult             *result,
                                                  OrderlyStartInfo         *info,
                                                  GError                  **error);
void             orderly_engine_cancel_async     (OrderlyEngine            *self,
                                                  GCancellable             *cancellable,
                                                  GAsyncReadyCallback       callback,
                                                  gpointer                  user_data);
OrderlyPhase     orderly_engine_cancel_finish    (OrderlyEngine            *self,
                                                  GAsyncResult             *result,
                                                  gboolean                 *was_running);
void             orderly_engine_reset_async      (OrderlyEngine            *self,
                                                  GCancellable             *cancellable,
                                                  GAsyncReadyCallback       callback,
                                                  gpointer                  user_data);
gboolean         orderly_engine_reset_finish     (OrderlyEngine            *self,
                                                  GAsyncResult             *result,
                                                  OrderlyResetInfo         *info,
                                                  GError                  **error);
void             orderly_engine_resume_async     (OrderlyEngine            *self,
                                                  GCancellable             *cancellable,
                                                  GAsyncReadyCallback       callback,
                                                  gpointer                  user_data);
gboolean         orderly_engine_resume_finish    (OrderlyEngine            *self,
                                                  GAsyncResult             *result,
                                                  GError                  **error);

gboolean         orderly_engine_start_run        (OrderlyEngine            *self,
                                                  const OrderlyRunRequest  *request,
                                                  OrderlyStartInfo         *info,
                                                  GError                  **error);
OrderlyPhase     orderly_engine_cancel           (OrderlyEngine            *self);
gboolean         orderly_engine_reset            (OrderlyEngine            *self,
                                                  OrderlyResetInfo         *info,
                                                  GError                  **error);
gboolean         orderly_engine_resume           (OrderlyEngine            *self,
                                                  GError                  **error);
void             orderly_engine_shutdown         (OrderlyEngine            *self);
void             orderly_engine_flush            (OrderlyEngine            *self);
GPtrArray       *orderly_engine_list_runs        (OrderlyEngine            *self,
                                                  guint                     limit,
                                                  GError                  **error);
void             orderly_engine_get_queue_counts (OrderlyEngine            *self,
                                                  OrderlyQueueCounts       *counts);
void             orderly_engine_log              (OrderlyEngine            *self,
                                                  OrderlyLogLevel           level,
                                                  const char               *category,
                                                  const char               *data_json,
                                                  const char               *format,
                                                  ...) G_GNUC_PRINTF (5, 6);

/*
 * The queue, in orderly-engine-queue.c. A job of a job queue is an order
 * here; its states are those of #OrderlyJobState.
 *
 * - pause / resume: no worker claims orders while the queue is paused (one
 *   holding some stores what it did and gives the rest back, the order
 *   under way too while its simulated cost is being paid), generation
 *   stops between batches, the phase stays and the ETA stands still;
 *   resume goes on where it was. The pause is stored with the run, so a
 *   paused run that crashes resumes paused.
 * - retry-failed: orders that failed for good go back to the queue, VIP ones
 *   first, with a fresh set of attempts (their attempt counts go on), and
 *   are processed by the run (which goes on again if it was done).
 * - recover-stuck: orders held under leases that ran out go back to the
 *   queue; a late result from their old worker is refused.
 * - clean: settled orders (completed or failed) are deleted from the store,
 *   oldest first, with a grace period and a limit; they stay counted in the
 *   run's figures. Work still to do is never cleaned.
 * - purge: the waiting work is dropped: the run in progress is cancelled, an
 *   interrupted one closed, so no waiting, delayed or paused order is
 *   processed; with obliterate every stored order is deleted too (the
 *   history of runs stays).
 * - close: this instance lets go of the queue, as at a clean exit: its
 *   workers stop, the run stays resumable.
 * - listings and counts: pages of one state from indexed queries, and the
 *   totals per state, whatever the size of the run.
 */
gboolean         orderly_engine_pause_queue      (OrderlyEngine            *self);
gboolean         orderly_engine_resume_queue     (OrderlyEngine            *self);
void             orderly_engine_list_jobs_async  (OrderlyEngine            *self,
                                                  const OrderlyJobQuery    *query,
                                                  GCancellable             *cancellable,
                                                  GAsyncReadyCallback       callback,
                                                  gpointer                  user_data);
OrderlyJobPage  *orderly_engine_list_jobs_finish (OrderlyEngine            *self,
                                                  GAsyncResult             *result,
                                                  GError                  **error);
void             orderly_engine_clean_async      (OrderlyEngine            *self,
                                                  OrderlyJobState           state,
                                                  gint64                    grace_ms,
                                                  gint64                    limit,
                                                  GCancellable             *cancellable,
                                                  GAsyncReadyCallback       callback,
                                                  gpointer                  user_data);
gint64           orderly_engine_clean_finish     (OrderlyEngine            *self,
                                                  GAsyncResult             *result,
                                                  GError                  **error);
void             orderly_engine_purge_async      (OrderlyEngine            *self,
                                                  gboolean                  obliterate,
                                                  GCancellable             *cancellable,
                                                  GAsyncReadyCallback       callback,
                                                  gpointer                  user_data);
gboolean         orderly_engine_purge_finish     (OrderlyEngine            *self,
                                                  GAsyncResult             *result,
                                                  OrderlyPurgeInfo         *info,
                                                  GError                  **error);
void             orderly_engine_close_async      (OrderlyEngine            *self,
                                                  GCancellable             *cancellable,
                                                  GAsyncReadyCallback       callback,
                                                  gpointer                  user_data);
gboolean         orderly_engine_close_finish     (OrderlyEngine            *self,
                                                  GAsyncResult             *result,
                                                  gint64                   *run_id,
                                                  GError                  **error);
void             orderly_engine_retry_failed_async (OrderlyEngine          *self,
                                                    gint64                  max_orders,
                                                    GCancellable           *cancellable,
                                                    GAsyncReadyCallback     callback,
                                                    gpointer                user_data);
gint64           orderly_engine_retry_failed_finish (OrderlyEngine         *self,
                                                     GAsyncResult          *result,
                                                     GError               **error);
void             orderly_engine_recover_stuck_async (OrderlyEngine         *self,
                                                     gint64                 max_orders,
                                                     GCancellable          *cancellable,
                                                     GAsyncReadyCallback    callback,
                                                     gpointer               user_data);
gint64           orderly_engine_recover_stuck_finish (OrderlyEngine        *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
void             orderly_engine_get_priority_proof_async  (OrderlyEngine           *self,
                                                           gint64                   run_id,
                                                           GCancellable            *cancellable,
                                                           GAsyncReadyCallback      callback,
                                                           gpointer                 user_data);
OrderlyPriorityProof *orderly_engine_get_priority_proof_finish (OrderlyEngine      *self,
                                                                GAsyncResult       *result,
                                                                GError            **error);
void             orderly_engine_check_run_async  (OrderlyEngine            *self,
                                                  gint64                    run_id,
                                                  GCancellable             *cancellable,
                                                  GAsyncReadyCallback       callback,
                                                  gpointer                  user_data);
gboolean         orderly_engine_check_run_finish (OrderlyEngine            *self,
                                                  GAsyncResult             *result,
                                                  OrderlyRunCheck          *check,
                                                  GError                  **error);
void             orderly_engine_list_samples_async  (OrderlyEngine         *self,
                                                     gint64                 run_id,
                                                     GCancellable          *cancellable,
                                                     GAsyncReadyCallback    callback,
                                                     gpointer               user_data);
GArray          *orderly_engine_list_samples_finish (OrderlyEngine         *self,
                                                     GAsyncResult          *result,
                                                     GError               **error);

void             orderly_job_page_free           (OrderlyJobPage           *page);
void             orderly_priority_proof_free     (OrderlyPriorityProof     *proof);

guint            orderly_engine_get_workers      (OrderlyEngine            *self);
void             orderly_engine_set_workers      (OrderlyEngine            *self,
                                                  guint                     workers);
gint64           orderly_engine_get_work_us      (OrderlyEngine            *self);
void             orderly_engine_set_work_us      (OrderlyEngine            *self,
                                                  gint64                    work_us);
double           orderly_engine_get_failure_rate (OrderlyEngine            *self);
void             orderly_engine_set_failure_rate (OrderlyEngine            *self,
                                                  double                    failure_rate);
guint            orderly_engine_get_max_attempts (OrderlyEngine            *self);
void             orderly_engine_set_max_attempts (OrderlyEngine            *self,
                                                  guint                     max_attempts);
gint64           orderly_engine_get_retry_backoff_ms (OrderlyEngine        *self);
void             orderly_engine_set_retry_backoff_ms (OrderlyEngine        *self,
                                                      gint64                backoff_ms);
gint64           orderly_engine_get_lease_ms     (OrderlyEngine            *self);
void             orderly_engine_set_lease_ms     (OrderlyEngine            *self,
                                                  gint64                    lease_ms);
guint            orderly_engine_get_tick_hz      (OrderlyEngine            *self);
void             orderly_engine_set_tick_hz      (OrderlyEngine            *self,
                                                  guint                     tick_hz);
double           orderly_engine_get_vip_share    (OrderlyEngine            *self);
void             orderly_engine_set_vip_share    (OrderlyEngine            *self,
                                                  double                    vip_share);
guint            orderly_engine_get_log_capacity (OrderlyEngine            *self);
void             orderly_engine_set_log_capacity (OrderlyEngine            *self,
                                                  guint                     capacity);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrderlyJobPage, orderly_job_page_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrderlyPriorityProof, orderly_priority_proof_free)

G_END_DECLS
