/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-store"

#include "config.h"

#include "orderly-store.h"

#include "orderly-text.h"

/**
 * OrderlyStore:
 *
 * Where orders, runs, the queue and the log live: an abstract class that
 * each storage backend (SQLite, PostgreSQL) implements. The engine talks to
 * this interface only and never knows which backend it has.
 *
 * What every backend guarantees:
 *
 * - Threads. Every function may be called from any thread, at any time, by
 *   several threads at once; the backend serialises what must be. Nothing
 *   here emits a signal or notifies a property.
 * - Atomic writes. Every function that writes is one transaction: it happens
 *   whole or not at all, also across a kill -9 or a full disk. In particular
 *   orderly_store_begin_run() clears the previous run's orders, closes any
 *   unfinished run and creates the new one in one step, and
 *   orderly_store_complete_claim() writes a claim's outcomes, its counters and
 *   its wait histogram together.
 * - Exactly once. An order is in at most one live claim at a time, and it is
 *   processed at most once: orderly_store_complete_claim() refuses, with
 *   %ORDERLY_ERROR_LEASE_EXPIRED and without writing anything, the outcomes
 *   of a claim whose lease has run out (by the backend's clock) or that
 *   another claimant has taken over since. A claim whose lease expired may
 *   be taken over by a later orderly_store_claim(), or given back by
 *   orderly_store_release_claims(). Every order is settled (processed, or
 *   failed for good) at most once until orderly_store_retry_failed() puts a
 *   failed one back in the queue.
 * - VIP before NORMAL, across every claimant of every instance: a NORMAL
 *   claim is answered %ORDERLY_CLAIM_BLOCKED while any VIP order of the run
 *   is unsettled, that is waiting, claimed (whether its lease is live or
 *   not) or waiting for a retry. Within one priority, fresh orders are
 *   claimed in ascending id order; orders given back and due retries first.
 * - No lists in memory. Claims, counts and listings come from queries over
 *   indexed data, in bounded memory whatever the size of the run: a claim
 *   holds at most the orders asked for, a listing at most a page.
 * - Reading later. For a request with @load_later, a backend may answer a
 *   claim that only reserves its orders (@members_pending, with their count
 *   and id range), which orderly_store_load_claim() reads afterwards, when
 *   the claimant no longer holds other claimants up. The reservation is the
 *   claim: it is exclusive from the moment it is answered.
 * - Counts at once. orderly_store_count_orders() costs the same for a run of
 *   ten orders or fifty million: the counts are kept up to date by the same
 *   transactions that change them.
 *
 * A backend is shared (orderly_store_is_shared()) when other processes may
 * work on the same data at the same time. A store that is not shared knows
 * that every claim it finds when it opens was left by a process that is
 * gone.
 */

typedef struct
{
  GMutex  lock;
  gint    failing;        /* atomic: write_error is set */
  GError *write_error;    /* how the last write failed, until one goes through */
} OrderlyStorePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (OrderlyStore, orderly_store, G_TYPE_OBJECT)

static void
orderly_store_finalize (GObject *object)
{
  OrderlyStorePrivate *priv = orderly_store_get_instance_private (ORDERLY_STORE (object));

  g_clear_error (&priv->write_error);
  g_mutex_clear (&priv->lock);

  G_OBJECT_CLASS (orderly_store_parent_class)->finalize (object);
}

static void
orderly_store_class_init (OrderlyStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = orderly_store_finalize;
}

static void
orderly_store_init (OrderlyStore *self)
{
  OrderlyStorePrivate *priv = orderly_store_get_instance_private (self);

  g_mutex_init (&priv->lock);
}

#define STORE_CLASS(self) ORDERLY_STORE_GET_CLASS (self)

/* The store itself failed, rather than refused a request. */
static gboolean
is_store_failure (const GError *error)
{
  if (error == NULL)
    return FALSE;
  if (error->domain != ORDERLY_ERROR)
    return TRUE;
  switch (error->code)
    {
    case ORDERLY_ERROR_STORAGE:
    case ORDERLY_ERROR_NO_SPACE:
    case ORDERLY_ERROR_READ_ONLY:
    case ORDERLY_ERROR_CORRUPT:
    case ORDERLY_ERROR_UNAVAILABLE:
      return TRUE;
    default:
      return FALSE;
    }
}

/* Every write goes through here: keeps how it went for
 * orderly_store_get_write_error(), and hands its error on. Only a write of
 * orders or their outcomes, or one that frees room (@bulk), says the store
 * takes writes again: a run's row, a claim, a log line or a sample is small
 * and may fit where orders no longer do. */
static gboolean
note_write (OrderlyStore  *self,
            gboolean       bulk,
            gboolean       ok,
            GError       **local,
            GError       **error)
{
  OrderlyStorePrivate *priv = orderly_store_get_instance_private (self);

  if (ok ? bulk && g_atomic_int_get (&priv->failing) : is_store_failure (*local))
    {
      g_mutex_lock (&priv->lock);
      g_clear_error (&priv->write_error);
      if (!ok)
        priv->write_error = g_error_copy (*local);
      g_atomic_int_set (&priv->failing, !ok);
      g_mutex_unlock (&priv->lock);
    }
  if (*local != NULL)
    g_propagate_error (error, g_steal_pointer (local));
  return ok;
}

/**
 * orderly_store_get_write_error:
 *
 * How the store's writes fare: the error of the last write that failed for
 * the store's sake (a full disk, a read-only or damaged database, a server
 * out of reach or failing), until a later write of orders or outcomes, or
 * one that frees room (a reset, a clean), goes through. A
 * request the store refused (a lease that ran out, a run elsewhere) is not
 * a failure of the store.
 *
 * Returns: (transfer full) (nullable): a copy of that error, or %NULL when
 *   the last write went through (or none was made yet)
 */
GError *
orderly_store_get_write_error (OrderlyStore *self)
{
  OrderlyStorePrivate *priv;
  GError *copy = NULL;

  g_return_val_if_fail (ORDERLY_IS_STORE (self), NULL);

  priv = orderly_store_get_instance_private (self);
  if (!g_atomic_int_get (&priv->failing))
    return NULL;
  g_mutex_lock (&priv->lock);
  if (priv->write_error != NULL)
    copy = g_error_copy (priv->write_error);
  g_mutex_unlock (&priv->lock);
  return copy;
}

/**
 * orderly_store_ref:
 *
 * The same as g_object_ref(), kept for the callers that hold a store with
 * g_clear_pointer().
 */
OrderlyStore *
orderly_store_ref (OrderlyStore *self)
{
  g_return_val_if_fail (ORDERLY_IS_STORE (self), NULL);
  return g_object_ref (self);
}

void
orderly_store_unref (OrderlyStore *self)
{
  g_return_if_fail (ORDERLY_IS_STORE (self));
  g_object_unref (self);
}

/**
 * orderly_store_is_shared:
 *
 * Returns: whether other processes may use the same data at the same time
 */
gboolean
orderly_store_is_shared (OrderlyStore *self)
{
  g_return_val_if_fail (ORDERLY_IS_STORE (self), FALSE);
  return STORE_CLASS (self)->is_shared (self);
}

/**
 * orderly_store_begin_run:
 * @run: the new run; its id is set on success
 *
 * Starts a run in one transaction: closes every run that is not finished
 * as aborted, deletes the orders of earlier runs with their queue state,
 * and creates @run's row with its counters. After a crash there is either
 * the old run, whole, or the new one, empty.
 *
 * Refused with %ORDERLY_ERROR_BUSY if a shared store knows another instance
 * works on a run.
 */
gboolean
orderly_store_begin_run (OrderlyStore      *self,
                         OrderlyRunRecord  *run,
                         GError           **error)
{
  GError *local = NULL;

  g_return_val_if_fail (ORDERLY_IS_STORE (self), FALSE);
  g_return_val_if_fail (run != NULL, FALSE);
  return note_write (self, TRUE, STORE_CLASS (self)->begin_run (self, run, &local), &local, error);
}

/**
 * orderly_store_save_run:
 *
 * Writes @run's row (found by its id): phase, timings, counts, the paused
 * flag and the check.
 */
gboolean
orderly_store_save_run (OrderlyStore            *self,
                        const OrderlyRunRecord  *run,
                        GError                 **error)
{
  GError *local = NULL;

  g_return_val_if_fail (ORDERLY_IS_STORE (self), FALSE);
  g_return_val_if_fail (run != NULL, FALSE);
  return note_write (self, FALSE, STORE_CLASS (self)->save_run (self, run, &local), &local, error);
}

/**
 * orderly_store_list_runs:
 * @limit: 0 for all
 *
 * Returns: (transfer full) (element-type OrderlyRunRecord): the newest
 *   @limit runs, newest first, or %NULL on error.
 */
GPtrArray *
orderly_store_list_runs (OrderlyStore  *self,
                         guint          limit,
                         GError       **error)
{
  g_return_val_if_fail (ORDERLY_IS_STORE (self), NULL);
  return STORE_CLASS (self)->list_runs (self, limit, error);
}

/**
 * orderly_store_reset:
 *
 * Deletes every order, run and their queue state and series; the log stays.
 */
gboolean
orderly_store_reset (OrderlyStore  *self,
                     gint64        *deleted_orders,
                     gint64        *deleted_runs,
                     GError       **error)
{
  GError *local = NULL;

  g_return_val_if_fail (ORDERLY_IS_STORE (self), FALSE);
  return note_write (self, TRUE, STORE_CLASS (self)->reset (self, deleted_orders, deleted_runs, &local),
                     &local, error);
}

/**
 * orderly_store_clear_orders:
 * @deleted: (out) (optional): how many orders were deleted
 *
 * Deletes every stored order with its queue state; the runs' rows, counts
 * and series stay, as history. The counts then hold no stored order: what
 * was processed or failed for good counts as removed (@completed_removed,
 * @failed_removed of #OrderlyPriorityCounts), nothing is active or delayed,
 * and the orders never settled count as waiting, work left undone.
 */
gboolean
orderly_store_clear_orders (OrderlyStore  *self,
                            gint64        *deleted,
                            GError       **error)
{
  GError *local = NULL;

  g_return_val_if_fail (ORDERLY_IS_STORE (self), FALSE);
  return note_write (self, TRUE, STORE_CLASS (self)->clear_orders (self, deleted, &local), &local, error);
}

/**
 * orderly_store_insert_orders:
 *
 * Stores a batch of generated orders of one run, waiting, and counts them.
 */
gboolean
orderly_store_insert_orders (OrderlyStore        *self,
                             const OrderlyOrder  *orders,
                             guint                n_orders,
                             GError             **error)
{
  GError *local = NULL;

  g_return_val_if_fail (ORDERLY_IS_STORE (self), FALSE);
  g_return_val_if_fail (orders != NULL || n_orders == 0, FALSE);
  if (n_orders == 0)
    return TRUE;
  return note_write (self, TRUE, STORE_CLASS (self)->insert_orders (self, orders, n_orders, &local), &local,
                     error);
}

/**
 * orderly_store_count_orders:
 * @counts: (out caller-allocates): the run's orders by priority and state
 *
 * Reads counters, never counts rows: as cheap for any size of run.
 */
gboolean
orderly_store_count_orders (OrderlyStore        *self,
                            gint64               run_id,
                            OrderlyOrderCounts  *counts,
                            GError             **error)
{
  g_return_val_if_fail (ORDERLY_IS_STORE (self), FALSE);
  g_return_val_if_fail (counts != NULL, FALSE);
  memset (counts, 0, sizeof *counts);
  return STORE_CLASS (self)->count_orders (self, run_id, counts, error);
}

/**
 * orderly_store_claim:
 * @answer: (out caller-allocates): what happened; clear it with
 *   orderly_claim_answer_clear()
 *
 * Claims orders of @request->priority of @request->run_id, once the run's
 * orders are all generated, in this order of preference: orders given back
 * or whose lease expired, failed orders whose retry is due (requeued ones
 * first), then fresh orders in ascending id order. See #OrderlyStore for
 * what a claim guarantees.
 */
gboolean
orderly_store_claim (OrderlyStore               *self,
                     const OrderlyClaimRequest  *request,
                     OrderlyClaimAnswer         *answer,
                     GError                    **error)
{
  GError *local = NULL;
  gboolean ok;

  g_return_val_if_fail (ORDERLY_IS_STORE (self), FALSE);
  g_return_val_if_fail (request != NULL && request->max_orders > 0, FALSE);
  g_return_val_if_fail (request->owner != NULL && request->lease_ms >= 0, FALSE);
  g_return_val_if_fail (answer != NULL, FALSE);

  memset (answer, 0, sizeof *answer);
  ok = STORE_CLASS (self)->claim (self, request, answer, &local);
  g_assert (!ok || (answer->result == ORDERLY_CLAIM_TAKEN) == (answer->claim != NULL));
  return note_write (self, FALSE, ok, &local, error);
}

void
orderly_claim_answer_clear (OrderlyClaimAnswer *answer)
{
  g_clear_pointer (&answer->claim, orderly_claim_free);
}

/**
 * orderly_store_load_claim:
 *
 * Reads the orders of a claim taken with @load_later: their ids, creation
 * times and attempts, for the ids from @claim->first_id to
 * @claim->last_id. Does nothing for a claim whose orders are read.
 */
gboolean
orderly_store_load_claim (OrderlyStore  *self,
                          OrderlyClaim  *claim,
                          GError       **error)
{
  g_return_val_if_fail (ORDERLY_IS_STORE (self), FALSE);
  g_return_val_if_fail (claim != NULL, FALSE);

  if (!claim->members_pending)
    return TRUE;
  g_return_val_if_fail (STORE_CLASS (self)->load_claim != NULL, FALSE);
  if (!STORE_CLASS (self)->load_claim (self, claim, error))
    return FALSE;
  g_assert (!claim->members_pending);
  return TRUE;
}

/**
 * orderly_store_renew_claim:
 *
 * Extends @claim's lease by @lease_ms from now, and updates
 * @claim->lease_until_us. Fails with %ORDERLY_ERROR_LEASE_EXPIRED if the
 * lease has run out already or the claim is no longer @claim->owner's.
 */
gboolean
orderly_store_renew_claim (OrderlyStore  *self,
                           OrderlyClaim  *claim,
                           gint64         lease_ms,
                           GError       **error)
{
  GError *local = NULL;

  g_return_val_if_fail (ORDERLY_IS_STORE (self), FALSE);
  g_return_val_if_fail (claim != NULL, FALSE);
  return note_write (self, FALSE, STORE_CLASS (self)->renew_claim (self, claim, lease_ms, &local), &local,
                     error);
}

/**
 * orderly_store_complete_claim:
 * @outcomes: (array length=n_outcomes): how the attempts on the first
 *   @n_outcomes orders of @claim ended
 * @next: (nullable): a claim to take in the same transaction, once the
 *   outcomes are written
 * @next_answer: (out caller-allocates) (optional): with @next, what that
 *   claim gave; clear it with orderly_claim_answer_clear()
 *
 * Writes the outcomes and ends the claim; the orders after the first
 * @n_outcomes go back to waiting (so 0 outcomes give the whole claim
 * back). A processed order is stored with its observations; a failed one
 * is delayed until its @retry_at_us, or failed for good. Refused with
 * %ORDERLY_ERROR_LEASE_EXPIRED, writing and claiming nothing, if the lease
 * ran out. A worker that goes on asks for its next orders with @next: one
 * transaction per batch instead of two.
 */
gboolean
orderly_store_complete_claim (OrderlyStore               *self,
                              const OrderlyClaim         *claim,
                              const OrderlyOrderOutcome  *outcomes,
                              guint                       n_outcomes,
                              const OrderlyClaimRequest  *next,
                              OrderlyClaimAnswer         *next_answer,
                              GError                    **error)
{
  GError *local = NULL;
  OrderlyClaimAnswer answer = { 0 };
  gboolean ok;

  g_return_val_if_fail (ORDERLY_IS_STORE (self), FALSE);
  g_return_val_if_fail (claim != NULL, FALSE);
  g_return_val_if_fail (n_outcomes <= claim->n_orders, FALSE);
  g_return_val_if_fail (outcomes != NULL || n_outcomes == 0, FALSE);
  g_return_val_if_fail (next == NULL || (next->max_orders > 0 && next->owner != NULL), FALSE);

  ok = STORE_CLASS (self)->complete_claim (self, claim, outcomes, n_outcomes, next,
                                           next != NULL ? &answer : NULL, &local);
  g_assert (!ok || next == NULL || (answer.result == ORDERLY_CLAIM_TAKEN) == (answer.claim != NULL));
  if (next_answer != NULL)
    *next_answer = answer;
  else
    orderly_claim_answer_clear (&answer);
  return note_write (self, TRUE, ok, &local, error);
}

/**
 * orderly_store_release_claims:
 * @expired_only: only claims whose lease has run out; otherwise every claim
 *   of the run (for a store that is not shared, after a crash)
 * @max_orders: stop once claims holding this many orders were given back
 *   (a claim is given back whole); 0 for no limit
 * @released: (out) (optional): how many orders went back to waiting
 *
 * Gives claimed orders back to the queue.
 */
gboolean
orderly_store_release_claims (OrderlyStore  *self,
                              gint64         run_id,
                              gboolean       expired_only,
                              gint64         max_orders,
                              gint64        *released,
                              GError       **error)
{
  GError *local = NULL;
  gint64 count = 0;

  g_return_val_if_fail (ORDERLY_IS_STORE (self), FALSE);
  g_return_val_if_fail (max_orders >= 0, FALSE);
  if (!note_write (self, FALSE, STORE_CLASS (self)->release_claims (self, run_id, expired_only, max_orders,
                                                             &count, &local), &local, error))
    return FALSE;
  if (released != NULL)
    *released = count;
  return TRUE;
}

/**
 * orderly_store_retry_failed:
 * @max_orders: 0 for all
 * @requeued: (out) (optional): how many failed orders went back to waiting
 *
 * Puts orders that failed for good back in the queue, VIP ones first,
 * each with a fresh set of attempts. Their attempt counts go on from where
 * they were, so that the next attempts are new ones, not the failed ones
 * again.
 */
gboolean
orderly_store_retry_failed (OrderlyStore  *self,
                            gint64         run_id,
                            gint64         max_orders,
                            gint64        *requeued,
                            GError       **error)
{
  GError *local = NULL;
  gint64 count = 0;

  g_return_val_if_fail (ORDERLY_IS_STORE (self), FALSE);
  g_return_val_if_fail (max_orders >= 0, FALSE);
  if (!note_write (self, FALSE, STORE_CLASS (self)->retry_failed (self, run_id, max_orders, &count, &local),
                   &local, error))
    return FALSE;
  if (requeued != NULL)
    *requeued = count;
  return TRUE;
}

/**
 * orderly_store_clean:
 * @state: %ORDERLY_JOB_STATE_COMPLETED or %ORDERLY_JOB_STATE_FAILED
 * @finished_before_us: only orders that settled before this time
 * @limit: at most this many orders, at least 1
 * @removed: (out) (optional): how many orders were deleted
 *
 * Deletes settled orders of @run_id from the store, oldest first. They stay
 * counted as processed or failed (in the counters' removed fields).
 */
gboolean
orderly_store_clean (OrderlyStore     *self,
                     gint64            run_id,
                     OrderlyJobState   state,
                     gint64            finished_before_us,
                     gint64            limit,
                     gint64           *removed,
                     GError          **error)
{
  GError *local = NULL;
  gint64 count = 0;

  g_return_val_if_fail (ORDERLY_IS_STORE (self), FALSE);
  g_return_val_if_fail (state == ORDERLY_JOB_STATE_COMPLETED || state == ORDERLY_JOB_STATE_FAILED,
                        FALSE);
  g_return_val_if_fail (limit > 0, FALSE);
  if (!note_write (self, TRUE, STORE_CLASS (self)->clean (self, run_id, state, finished_before_us, limit,
                                                    &count, &local), &local, error))
    return FALSE;
  if (removed != NULL)
    *removed = count;
  return TRUE;
}

/**
 * orderly_store_list_jobs:
 * @state: any state but %ORDERLY_JOB_STATE_PAUSED
 * @offset: how many orders of the list to skip
 * @limit: the page size, at most 10000
 * @with_data: whether to fill the order's data fields
 *
 * One page of @run_id's orders in @state, VIP before NORMAL. Waiting orders
 * come in the order they will be claimed, active ones oldest claim first,
 * delayed ones soonest retry first, completed and failed ones most recent
 * first. Each page is an indexed query: its cost depends on @offset + @limit,
 * not on the size of the run.
 *
 * Returns: (transfer full) (element-type OrderlyJob): the page, or %NULL on
 *   error
 */
GPtrArray *
orderly_store_list_jobs (OrderlyStore     *self,
                         gint64            run_id,
                         OrderlyJobState   state,
                         gint64            offset,
                         guint             limit,
                         gboolean          with_data,
                         GError          **error)
{
  g_return_val_if_fail (ORDERLY_IS_STORE (self), NULL);
  g_return_val_if_fail (state != ORDERLY_JOB_STATE_PAUSED, NULL);
  g_return_val_if_fail (offset >= 0, NULL);
  g_return_val_if_fail (limit <= 10000, NULL);
  return STORE_CLASS (self)->list_jobs (self, run_id, state, offset, limit, with_data, error);
}

/**
 * orderly_store_get_wait_histogram:
 * @histogram: (out caller-allocates): how long @run_id's processed orders of
 *   @priority waited, from creation to processing
 */
gboolean
orderly_store_get_wait_histogram (OrderlyStore          *self,
                                  gint64                 run_id,
                                  OrderlyPriority        priority,
                                  OrderlyWaitHistogram  *histogram,
                                  GError               **error)
{
  g_return_val_if_fail (ORDERLY_IS_STORE (self), FALSE);
  g_return_val_if_fail (histogram != NULL, FALSE);
  memset (histogram, 0, sizeof *histogram);
  return STORE_CLASS (self)->get_wait_histogram (self, run_id, priority, histogram, error);
}

/**
 * orderly_store_verify_run:
 * @check: (out caller-allocates): what the stored rows say; free with
 *   orderly_run_check_clear()
 *
 * Checks @run_id's rules on its stored rows themselves, not on counters:
 * it reads every order of the run once, so it takes time on a large run.
 * Fills the figures; orderly_run_check_judge() turns them into a verdict.
 */
gboolean
orderly_store_verify_run (OrderlyStore     *self,
                          gint64            run_id,
                          OrderlyRunCheck  *check,
                          GError          **error)
{
  g_return_val_if_fail (ORDERLY_IS_STORE (self), FALSE);
  g_return_val_if_fail (check != NULL, FALSE);
  memset (check, 0, sizeof *check);
  return STORE_CLASS (self)->verify_run (self, run_id, check, error);
}

gboolean
orderly_store_append_samples (OrderlyStore            *self,
                              gint64                   run_id,
                              const OrderlyRunSample  *samples,
                              guint                    n_samples,
                              GError                 **error)
{
  GError *local = NULL;

  g_return_val_if_fail (ORDERLY_IS_STORE (self), FALSE);
  g_return_val_if_fail (samples != NULL || n_samples == 0, FALSE);
  if (n_samples == 0)
    return TRUE;
  return note_write (self, FALSE, STORE_CLASS (self)->append_samples (self, run_id, samples, n_samples, &local),
                     &local, error);
}

/**
 * orderly_store_list_samples:
 *
 * Returns: (transfer full) (element-type OrderlyRunSample): @run_id's
 *   throughput series, oldest first, or %NULL on error
 */
GArray *
orderly_store_list_samples (OrderlyStore  *self,
                            gint64         run_id,
                            GError       **error)
{
  g_return_val_if_fail (ORDERLY_IS_STORE (self), NULL);
  return STORE_CLASS (self)->list_samples (self, run_id, error);
}

/**
 * orderly_store_append_logs:
 * @keep: how many of the newest lines to keep stored (0 keeps all)
 *
 * Stores @records. A record's id is kept if it has one (ids must rise);
 * records without one get the next free id.
 */
gboolean
orderly_store_append_logs (OrderlyStore      *self,
                           OrderlyLogRecord **records,
                           guint              n_records,
                           guint              keep,
                           GError           **error)
{
  GError *local = NULL;

  g_return_val_if_fail (ORDERLY_IS_STORE (self), FALSE);
  if (n_records == 0)
    return TRUE;
  return note_write (self, FALSE, STORE_CLASS (self)->append_logs (self, records, n_records, keep, &local),
                     &local, error);
}

/**
 * orderly_store_recent_logs:
 *
 * Returns: (transfer full): the newest @n_lines log records, oldest first.
 */
GPtrArray *
orderly_store_recent_logs (OrderlyStore  *self,
                           guint          n_lines,
                           GError       **error)
{
  g_return_val_if_fail (ORDERLY_IS_STORE (self), NULL);
  return STORE_CLASS (self)->recent_logs (self, n_lines, error);
}

/**
 * orderly_store_check:
 *
 * Reads from the store, to tell whether it answers.
 */
gboolean
orderly_store_check (OrderlyStore  *self,
                     GError       **error)
{
  g_return_val_if_fail (ORDERLY_IS_STORE (self), FALSE);
  return STORE_CLASS (self)->check (self, error);
}

/**
 * orderly_claim_new:
 *
 * Returns: (transfer full): a claim with room for @n_orders orders, for a
 *   backend to fill
 */
OrderlyClaim *
orderly_claim_new (guint n_orders)
{
  OrderlyClaim *claim = g_new0 (OrderlyClaim, 1);

  claim->n_orders = n_orders;
  claim->order_ids = g_new0 (gint64, MAX (n_orders, 1));
  claim->created_at_us = g_new0 (gint64, MAX (n_orders, 1));
  claim->attempts_made = g_new0 (guint, MAX (n_orders, 1));
  return claim;
}

void
orderly_claim_free (OrderlyClaim *claim)
{
  if (claim == NULL)
    return;
  g_free (claim->owner);
  g_free (claim->order_ids);
  g_free (claim->created_at_us);
  g_free (claim->attempts_made);
  g_free (claim);
}

void
orderly_job_free (OrderlyJob *job)
{
  if (job == NULL)
    return;
  g_free (job->failed_reason);
  g_free (job->customer);
  g_free (job->observations);
  g_free (job);
}

void
orderly_run_check_clear (OrderlyRunCheck *check)
{
  g_clear_pointer (&check->message, g_free);
}

/**
 * orderly_run_check_judge:
 * @run_complete: whether the run ended done, so that every order must be
 *   settled
 *
 * Sets @check's state and message from its figures.
 */
void
orderly_run_check_judge (OrderlyRunCheck *check,
                         gboolean         run_complete)
{
  g_autoptr(GString) problems = g_string_new (NULL);
  g_autofree char *conflicts = orderly_text_count (check->conflicts);
  g_autofree char *unsettled = orderly_text_count (check->unsettled);
  g_autofree char *processed = orderly_text_count (check->processed);

  g_clear_pointer (&check->message, g_free);
  if (check->conflicts > 0)
    g_string_append_printf (problems, "%s orders have conflicting results. ", conflicts);
  if (run_complete && check->unsettled > 0)
    g_string_append_printf (problems, "%s orders were never processed. ", unsettled);
  if (check->vip_last_settled_us > 0 && check->normal_first_attempt_us > 0 &&
      check->normal_first_attempt_us < check->vip_last_settled_us)
    g_string_append_printf (problems,
                            "A normal order was processed %.3f ms before the last VIP order settled. ",
                            (check->vip_last_settled_us - check->normal_first_attempt_us) / 1000.0);

  if (problems->len > 0)
    {
      g_string_truncate (problems, problems->len - 1);
      check->state = ORDERLY_RUN_CHECK_FAILED;
      check->message = g_string_free (g_steal_pointer (&problems), FALSE);
    }
  else
    {
      check->state = ORDERLY_RUN_CHECK_PASSED;
      check->message = g_strdup_printf ("%s orders each processed once%s; "
                                        "no normal order before the last VIP one",
                                        processed, check->failed > 0 ? " or failed for good" : "");
    }
}

OrderlyRunRecord *
orderly_run_record_copy (const OrderlyRunRecord *run)
{
  OrderlyRunRecord *copy = g_new (OrderlyRunRecord, 1);

  *copy = *run;
  copy->error_message = g_strdup (run->error_message);
  copy->check_message = g_strdup (run->check_message);
  return copy;
}

void
orderly_run_record_clear (OrderlyRunRecord *run)
{
  g_clear_pointer (&run->error_message, g_free);
  g_clear_pointer (&run->check_message, g_free);
}

void
orderly_run_record_free (OrderlyRunRecord *run)
{
  if (run == NULL)
    return;
  orderly_run_record_clear (run);
  g_free (run);
}

OrderlyLogRecord *
orderly_log_record_new (OrderlyLogLevel  level,
                        const char      *category,
                        const char      *message,
                        const char      *data_json)
{
  OrderlyLogRecord *record = g_new0 (OrderlyLogRecord, 1);

  record->timestamp_ms = g_get_real_time () / 1000;
  record->level = level;
  record->category = g_strdup (category ? category : "engine");
  record->message = g_strdup (message ? message : "");
  record->data_json = g_strdup (data_json);
  return record;
}

void
orderly_log_record_free (OrderlyLogRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->category);
  g_free (record->message);
  g_free (record->data_json);
  g_free (record->instance);
  g_free (record);
}
