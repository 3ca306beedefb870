/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "orderly-types.h"
#include "orderly-wait-histogram.h"

G_BEGIN_DECLS

/* One generated order, as inserted. */
typedef struct
{
  gint64          id;
  gint64          run_id;
  OrderlyPriority priority;
  gint64          amount_cents;
  gint64          created_at_us;
  char            customer[32];
} OrderlyOrder;

/**
 * OrderlyRunCheckState:
 * @ORDERLY_RUN_CHECK_NONE: not checked yet
 * @ORDERLY_RUN_CHECK_PASSED: the stored rows show both rules kept
 * @ORDERLY_RUN_CHECK_FAILED: they do not; the message says how
 */
typedef enum
{
  ORDERLY_RUN_CHECK_NONE,
  ORDERLY_RUN_CHECK_PASSED,
  ORDERLY_RUN_CHECK_FAILED,
} OrderlyRunCheckState;

/* One row of run history. Times are microseconds since the epoch (0 = not yet),
 * durations milliseconds; durations count working time, not time paused. */
typedef struct
{
  gint64                id;
  guint64               seed;
  gint64                quantity;
  double                vip_share;
  OrderlyPhase          phase;
  guint                 workers;
  gint64                started_at_us;
  gint64                finished_at_us;
  double                generation_ms;
  double                enqueue_vip_ms;
  double                enqueue_normal_ms;
  gint64                vip_start_us;
  gint64                vip_end_us;
  double                vip_ms;
  gint64                vip_count;          /* VIP orders processed */
  gint64                normal_start_us;
  gint64                normal_end_us;
  double                normal_ms;
  gint64                normal_count;       /* NORMAL orders processed */
  double                total_ms;
  gint64                generated;
  gint64                vip_total;          /* VIP orders generated */
  gint64                normal_total;       /* NORMAL orders generated */
  char                 *error_message;
  gboolean              paused;             /* the queue was paused (and stays so on resume) */
  double                paused_ms;
  gint64                vip_failed;         /* failed for good */
  gint64                normal_failed;
  double                failure_rate;
  guint                 max_attempts;
  OrderlyRunCheckState  check_state;
  char                 *check_message;
} OrderlyRunRecord;

/**
 * OrderlyPriorityCounts:
 * @generated: orders of this priority generated
 * @waiting: stored and claimable (never claimed, given back, or requeued)
 * @active: held by a claim, live or with an expired lease not yet recovered
 * @delayed: failed an attempt and wait for their retry
 * @completed: stored and processed
 * @failed: stored and failed for good
 * @completed_removed: processed, then removed by a clean
 * @failed_removed: failed, then removed by a clean
 * @first_attempt_us: when the first attempt on one of these orders ended
 * @last_settled_us: when the last one to be processed or to fail for good did
 *
 * waiting + active + delayed + completed + failed + both removed = generated.
 */
typedef struct
{
  gint64 generated;
  gint64 waiting;
  gint64 active;
  gint64 delayed;
  gint64 completed;
  gint64 failed;
  gint64 completed_removed;
  gint64 failed_removed;
  gint64 first_attempt_us;
  gint64 last_settled_us;
} OrderlyPriorityCounts;

/* A run's orders by priority (indexed by OrderlyPriority) and state. */
typedef struct
{
  OrderlyPriorityCounts priority[2];
} OrderlyOrderCounts;

/* Processed (whether stored still or removed since), settled (processed or
 * failed for good) and still to settle. */
#define ORDERLY_COUNTS_PROCESSED(c) ((c)->completed + (c)->completed_removed)
#define ORDERLY_COUNTS_FAILED(c)    ((c)->failed + (c)->failed_removed)
#define ORDERLY_COUNTS_SETTLED(c)   (ORDERLY_COUNTS_PROCESSED (c) + ORDERLY_COUNTS_FAILED (c))
#define ORDERLY_COUNTS_UNSETTLED(c) ((c)->generated - ORDERLY_COUNTS_SETTLED (c))

/**
 * OrderlyClaim:
 * @id: the claim's own id, unique in the store
 * @owner: the instance that holds it
 * @lease_until_us: results are refused from this time on (the store's clock)
 * @retry: the orders come from failed attempts
 * @order_ids: (array length=n_orders): in ascending order
 * @created_at_us: (array length=n_orders): each order's creation time
 * @attempts_made: (array length=n_orders): attempts before this claim
 * @first_id: the lowest id the claim's orders may have
 * @last_id: the highest
 * @members_pending: the claim holds @n_orders orders with ids from
 *   @first_id to @last_id, but @order_ids, @created_at_us and
 *   @attempts_made are still to read, with orderly_store_load_claim(); only
 *   for a request with @load_later
 *
 * Orders of one run and one priority that one worker holds for a while.
 */
typedef struct
{
  gint64           id;
  gint64           run_id;
  OrderlyPriority  priority;
  gboolean         retry;
  char            *owner;
  gint64           claimed_at_us;
  gint64           lease_until_us;
  guint            n_orders;
  gint64          *order_ids;
  gint64          *created_at_us;
  guint           *attempts_made;
  gint64           first_id;
  gint64           last_id;
  gboolean         members_pending;
} OrderlyClaim;

/**
 * OrderlyClaimResult:
 * @ORDERLY_CLAIM_TAKEN: the claim holds orders
 * @ORDERLY_CLAIM_LATER: orders of this priority are still to settle, but
 *   none can be claimed now (held by others, or waiting for their retry);
 *   ask again later
 * @ORDERLY_CLAIM_BLOCKED: a NORMAL claim while a VIP order is unsettled
 * @ORDERLY_CLAIM_DRAINED: every order of this priority is settled
 */
typedef enum
{
  ORDERLY_CLAIM_TAKEN,
  ORDERLY_CLAIM_LATER,
  ORDERLY_CLAIM_BLOCKED,
  ORDERLY_CLAIM_DRAINED,
} OrderlyClaimResult;

/**
 * OrderlyClaimRequest:
 * @max_orders: at most this many orders, at least 1
 * @owner: the claiming instance's id
 * @lease_ms: how long the claim stays valid without a renewal
 * @load_later: the claimant reads the claim's orders itself, with
 *   orderly_store_load_claim(), once it no longer holds other claimants
 *   up; a backend may return them read all the same
 *
 * What a claimant asks for.
 */
typedef struct
{
  gint64           run_id;
  OrderlyPriority  priority;
  guint            max_orders;
  const char      *owner;
  gint64           lease_ms;
  gboolean         load_later;
} OrderlyClaimRequest;

/**
 * OrderlyClaimAnswer:
 * @result: what happened
 * @claim: (transfer full) (nullable): the claim, with %ORDERLY_CLAIM_TAKEN
 * @wait_us: with %ORDERLY_CLAIM_LATER, how long until a retry falls due or
 *   a lease runs out (a hint; 0 when unknown)
 */
typedef struct
{
  OrderlyClaimResult  result;
  OrderlyClaim       *claim;
  gint64              wait_us;
} OrderlyClaimAnswer;

/**
 * OrderlyOrderOutcome:
 * @finished_at_us: when the attempt ended
 * @observations: on success, what processing wrote on the order
 * @failure: (nullable): the reason the attempt failed, or %NULL on success
 * @retry_at_us: after a failure, when the order may be tried again; 0 if it
 *   failed for good
 *
 * How one attempt on one claimed order ended.
 */
typedef struct
{
  gint64      finished_at_us;
  guint       worker_id;
  const char *observations;
  const char *failure;
  gint64      retry_at_us;
} OrderlyOrderOutcome;

/**
 * OrderlyJob:
 *
 * One order as a job of the queue, for listings. Times are microseconds
 * since the epoch, 0 when they do not apply. The data fields are filled
 * when asked for.
 */
typedef struct
{
  gint64           id;
  OrderlyPriority  priority;
  OrderlyJobState  state;
  gint64           created_at_us;
  gint64           processed_on_us;    /* the last attempt began (claimed) */
  gint64           finished_on_us;     /* processed, or the last attempt failed */
  gint64           retry_at_us;        /* delayed: when it may be tried again */
  guint            attempts_made;
  char            *failed_reason;
  gboolean         has_data;
  const char      *tier;               /* with the data: the customer's tier */
  char            *customer;
  gint64           amount_cents;
  char            *observations;
  guint            worker_id;
} OrderlyJob;

/* The throughput series of a run: one sample every second or so. */
typedef struct
{
  gint64 time_us;
  gint64 generated;
  gint64 vip_processed;
  gint64 normal_processed;
  gint64 failed;
} OrderlyRunSample;

/**
 * OrderlyRunCheck:
 * @orders: orders stored for the run
 * @processed: of which processed, each once
 * @failed: of which failed for good
 * @unsettled: of which neither
 * @conflicts: orders both processed and failed, or results without an order
 * @vip_last_settled_us: the last VIP order processed or failed for good
 * @normal_first_attempt_us: the first attempt on a NORMAL order
 *
 * What the stored rows of a run say about its two rules: every order
 * processed exactly once, and no NORMAL order before every VIP one settled.
 */
typedef struct
{
  gint64               orders;
  gint64               processed;
  gint64               failed;
  gint64               unsettled;
  gint64               conflicts;
  gint64               vip_last_settled_us;
  gint64               normal_first_attempt_us;
  OrderlyRunCheckState state;
  char                *message;
} OrderlyRunCheck;

typedef struct
{
  gint64           id;
  gint64           timestamp_ms;
  OrderlyLogLevel  level;
  char            *category;
  char            *message;
  char            *data_json;
  char            *instance;     /* the cluster instance it came from; NULL: this one */
} OrderlyLogRecord;

#define ORDERLY_TYPE_STORE (orderly_store_get_type ())

G_DECLARE_DERIVABLE_TYPE (OrderlyStore, orderly_store, ORDERLY, STORE, GObject)

/**
 * OrderlyStoreClass:
 *
 * What a storage backend implements. See orderly-store.c for the rules every
 * backend keeps; in short: every function may be called from any thread at
 * any time and serialises itself; every write is one transaction, whole or
 * not at all; claims give each order to one claimant at a time, VIP before
 * NORMAL, and results written under an expired lease are refused.
 */
struct _OrderlyStoreClass
{
  GObjectClass parent_class;

  gboolean    (*is_shared)       (OrderlyStore               *self);
  gboolean    (*begin_run)       (OrderlyStore               *self,
                                  OrderlyRunRecord           *run,
                                  GError                    **error);
  gboolean    (*save_run)        (OrderlyStore               *self,
                                  const OrderlyRunRecord     *run,
                                  GError                    **error);
  GPtrArray  *(*list_runs)       (OrderlyStore               *self,
                                  guint                       limit,
                                  GError                    **error);
  gboolean    (*reset)           (OrderlyStore               *self,
                                  gint64                     *deleted_orders,
                                  gint64                     *deleted_runs,
                                  GError                    **error);
  gboolean    (*clear_orders)    (OrderlyStore               *self,
                                  gint64                     *deleted,
                                  GError                    **error);
  gboolean    (*insert_orders)   (OrderlyStore               *self,
                                  const OrderlyOrder         *orders,
                                  guint                       n_orders,
                                  GError                    **error);
  gboolean    (*count_orders)    (OrderlyStore               *self,
                                  gint64                      run_id,
                                  OrderlyOrderCounts         *counts,
                                  GError                    **error);
  gboolean    (*claim)           (OrderlyStore               *self,
                                  const OrderlyClaimRequest  *request,
                                  OrderlyClaimAnswer         *answer,
                                  GError                    **error);
  gboolean    (*renew_claim)     (OrderlyStore               *self,
                                  OrderlyClaim               *claim,
                                  gint64                      lease_ms,
                                  GError                    **error);
  gboolean    (*complete_claim)  (OrderlyStore               *self,
                                  const OrderlyClaim         *claim,
                                  const OrderlyOrderOutcome  *outcomes,
                                  guint                       n_outcomes,
                                  const OrderlyClaimRequest  *next,
                                  OrderlyClaimAnswer         *next_answer,
                                  GError                    **error);
  gboolean    (*release_claims)  (OrderlyStore               *self,
                                  gint64                      run_id,
                                  gboolean                    expired_only,
                                  gint64                      max_orders,
                                  gint64                     *released,
                                  GError                    **error);
  gboolean    (*retry_failed)    (OrderlyStore               *self,
                                  gint64                      run_id,
                                  gint64                      max_orders,
                                  gint64                     *requeued,
                                  GError                    **error);
  gboolean    (*clean)           (OrderlyStore               *self,
                                  gint64                      run_id,
                                  OrderlyJobState             state,
                                  gint64                      finished_before_us,
                                  gint64                      limit,
                                  gint64                     *removed,
                                  GError                    **error);
  GPtrArray  *(*list_jobs)       (OrderlyStore               *self,
                                  gint64                      run_id,
                                  OrderlyJobState             state,
                                  gint64                      offset,
                                  guint                       limit,
                                  gboolean                    with_data,
                                  GError                    **error);
  gboolean    (*get_wait_histogram) (OrderlyStore            *self,
                                  gint64                      run_id,
                                  OrderlyPriority             priority,
                                  OrderlyWaitHistogram       *histogram,
                                  GError                    **error);
  gboolean    (*verify_run)      (OrderlyStore               *self,
                                  gint64                      run_id,
                                  OrderlyRunCheck            *check,
                                  GError                    **error);
  gboolean    (*append_samples)  (OrderlyStore               *self,
                                  gint64                      run_id,
                                  const OrderlyRunSample     *samples,
                                  guint                       n_samples,
                                  GError                    **error);
  GArray     *(*list_samples)    (OrderlyStore               *self,
                                  gint64                      run_id,
                                  GError                    **error);
  gboolean    (*append_logs)     (OrderlyStore               *self,
                                  OrderlyLogRecord          **records,
                                  guint                       n_records,
                                  guint                       keep,
                                  GError                    **error);
  GPtrArray  *(*recent_logs)     (OrderlyStore               *self,
                                  guint                       n_lines,
                                  GError                    **error);
  gboolean    (*check)           (OrderlyStore               *self,
                                  GError                    **error);
  gboolean    (*load_claim)      (OrderlyStore               *self,
                                  OrderlyClaim               *claim,
                                  GError                    **error);

  /*< private >*/
  gpointer padding[7];
};

OrderlyStore     *orderly_store_ref                (OrderlyStore               *self);
void              orderly_store_unref              (OrderlyStore               *self);
gboolean          orderly_store_is_shared          (OrderlyStore               *self);
gboolean          orderly_store_begin_run          (OrderlyStore               *self,
                                                    OrderlyRunRecord           *run,
                                                    GError                    **error);
gboolean          orderly_store_save_run           (OrderlyStore               *self,
                                                    const OrderlyRunRecord     *run,
                                                    GError                    **error);
GPtrArray        *orderly_store_list_runs          (OrderlyStore               *self,
                                                    guint                       limit,
                                                    GError                    **error);
gboolean          orderly_store_reset              (OrderlyStore               *self,
                                                    gint64                     *deleted_orders,
                                                    gint64                     *deleted_runs,
                                                    GError                    **error);
gboolean          orderly_store_clear_orders       (OrderlyStore               *self,
                                                    gint64                     *deleted,
                                                    GError                    **error);
gboolean          orderly_store_insert_orders      (OrderlyStore               *self,
                                                    const OrderlyOrder         *orders,
                                                    guint                       n_orders,
                                                    GError                    **error);
gboolean          orderly_store_count_orders       (OrderlyStore               *self,
                                                    gint64                      run_id,
                                                    OrderlyOrderCounts         *counts,
                                                    GError                    **error);
gboolean          orderly_store_claim              (OrderlyStore               *self,
                                                    const OrderlyClaimRequest  *request,
                                                    OrderlyClaimAnswer         *answer,
                                                    GError                    **error);
gboolean          orderly_store_load_claim         (OrderlyStore               *self,
                                                    OrderlyClaim               *claim,
                                                    GError                    **error);
gboolean          orderly_store_renew_claim        (OrderlyStore               *self,
                                                    OrderlyClaim               *claim,
                                                    gint64                      lease_ms,
                                                    GError                    **error);
gboolean          orderly_store_complete_claim     (OrderlyStore               *self,
                                                    const OrderlyClaim         *claim,
                                                    const OrderlyOrderOutcome  *outcomes,
                                                    guint                       n_outcomes,
                                                    const OrderlyClaimRequest  *next,
                                                    OrderlyClaimAnswer         *next_answer,
                                                    GError                    **error);
gboolean          orderly_store_release_claims     (OrderlyStore               *self,
                                                    gint64                      run_id,
                                                    gboolean                    expired_only,
                                                    gint64                      max_orders,
                                                    gint64                     *released,
                                                    GError                    **error);
gboolean          orderly_store_retry_failed       (OrderlyStore               *self,
                                                    gint64                      run_id,
                                                    gint64                      max_orders,
                                                    gint64                     *requeued,
                                                    GError                    **error);
gboolean          orderly_store_clean              (OrderlyStore               *self,
                                                    gint64                      run_id,
                                                    OrderlyJobState             state,
                                                    gint64                      finished_before_us,
                                                    gint64                      limit,
                                                    gint64                     *removed,
                                                    GError                    **error);
GPtrArray        *orderly_store_list_jobs          (OrderlyStore               *self,
                                                    gint64                      run_id,
                                                    OrderlyJobState             state,
                                                    gint64                      offset,
                                                    guint                       limit,
                                                    gboolean                    with_data,
                                                    GError                    **error);
gboolean          orderly_store_get_wait_histogram (OrderlyStore               *self,
                                                    gint64                      run_id,
                                                    OrderlyPriority             priority,
                                                    OrderlyWaitHistogram       *histogram,
                                                    GError                    **error);
gboolean          orderly_store_verify_run         (OrderlyStore               *self,
                                                    gint64                      run_id,
                                                    OrderlyRunCheck            *check,
                                                    GError                    **error);
gboolean          orderly_store_append_samples     (OrderlyStore               *self,
                                                    gint64                      run_id,
                                                    const OrderlyRunSample     *samples,
                                                    guint                       n_samples,
                                                    GError                    **error);
GArray           *orderly_store_list_samples       (OrderlyStore               *self,
                                                    gint64                      run_id,
                                                    GError                    **error);
gboolean          orderly_store_append_logs        (OrderlyStore               *self,
                                                    OrderlyLogRecord          **records,
                                                    guint                       n_records,
                                                    guint                       keep,
                                                    GError                    **error);
GPtrArray        *orderly_store_recent_logs        (OrderlyStore               *self,
                                                    guint                       n_lines,
                                                    GError                    **error);
gboolean          orderly_store_check              (OrderlyStore               *self,
                                                    GError                    **error);
GError           *orderly_store_get_write_error    (OrderlyStore               *self);

OrderlyClaim     *orderly_claim_new                (guint                       n_orders);
void              orderly_claim_free               (OrderlyClaim               *claim);
void              orderly_claim_answer_clear       (OrderlyClaimAnswer         *answer);

void              orderly_job_free                 (OrderlyJob                 *job);

void              orderly_run_check_clear          (OrderlyRunCheck            *check);
void              orderly_run_check_judge          (OrderlyRunCheck            *check,
                                                    gboolean                    run_complete);

OrderlyRunRecord *orderly_run_record_copy          (const OrderlyRunRecord     *run);
void              orderly_run_record_clear         (OrderlyRunRecord           *run);
void              orderly_run_record_free          (OrderlyRunRecord           *run);

OrderlyLogRecord *orderly_log_record_new           (OrderlyLogLevel             level,
                                                    const char                 *category,
                                                    const char                 *message,
                                                    const char                 *data_json);
void              orderly_log_record_free          (OrderlyLogRecord           *record);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrderlyClaim, orderly_claim_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrderlyJob, orderly_job_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrderlyRunRecord, orderly_run_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrderlyLogRecord, orderly_log_record_free)

G_END_DECLS
