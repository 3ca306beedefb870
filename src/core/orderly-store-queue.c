/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-store"

#include "config.h"

#include <stdlib.h>

#include "orderly-store-private.h"

/*
 * The parts of a queue that do not depend on the backend: the backends
 * read and write rows, these decide what the rows mean.
 */

/* A claim for @request, taken at @now_us, still without orders. */
OrderlyClaim *
_orderly_claim_new_for (const OrderlyClaimRequest *request,
                        gint64                     now_us)
{
  OrderlyClaim *claim = orderly_claim_new (0);

  claim->run_id = request->run_id;
  claim->priority = request->priority;
  claim->owner = g_strdup (request->owner);
  claim->claimed_at_us = now_us;
  claim->lease_until_us = now_us + request->lease_ms * 1000;
  return claim;
}

/* Adds one order to @claim, growing its arrays; @allocated is their room,
 * which starts at the claim's n_orders. */
void
_orderly_claim_append (OrderlyClaim *claim,
                       gint64        id,
                       gint64        created_at_us,
                       guint         attempts_made,
                       guint        *allocated)
{
  if (claim->n_orders == *allocated)
    {
      *allocated = MAX (*allocated * 2, 64);
      claim->order_ids = g_renew (gint64, claim->order_ids, *allocated);
      claim->created_at_us = g_renew (gint64, claim->created_at_us, *allocated);
      claim->attempts_made = g_renew (guint, claim->attempts_made, *allocated);
    }
  claim->order_ids[claim->n_orders] = id;
  claim->created_at_us[claim->n_orders] = created_at_us;
  claim->attempts_made[claim->n_orders] = attempts_made;
  claim->n_orders++;
}

typedef struct
{
  gint64 id;
  gint64 created_at;
  guint  attempts;
} Member;

static int
compare_members (gconstpointer a,
                 gconstpointer b)
{
  const Member *x = a, *y = b;

  return (x->id > y->id) - (x->id < y->id);
}

/* Members in id order, as every claim keeps them. */
void
_orderly_claim_sort_members (OrderlyClaim *claim)
{
  g_autofree Member *members = g_new (Member, MAX (claim->n_orders, 1));

  for (guint i = 0; i < claim->n_orders; i++)
    members[i] = (Member) { claim->order_ids[i], claim->created_at_us[i], claim->attempts_made[i] };
  qsort (members, claim->n_orders, sizeof (Member), compare_members);
  for (guint i = 0; i < claim->n_orders; i++)
    {
      claim->order_ids[i] = members[i].id;
      claim->created_at_us[i] = members[i].created_at;
      claim->attempts_made[i] = members[i].attempts;
    }
}

void
_orderly_claim_set_lease_error (const OrderlyClaim  *claim,
                                GError             **error)
{
  g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_LEASE_EXPIRED,
               "The lease on claim %" G_GINT64_FORMAT " (%u %s orders) ran out before its "
               "results were written; they were not written", claim->id, claim->n_orders,
               orderly_priority_to_string (claim->priority));
}

/* What is left of the generated orders once every other state is counted. */
gint64
_orderly_priority_counts_waiting (const OrderlyPriorityCounts *c)
{
  return MAX (c->generated - c->active - c->delayed - c->completed - c->failed -
              c->completed_removed - c->failed_removed, 0);
}

static void
tally_attempt (OrderlyOutcomeTally *tally,
               gint64               finished_at_us)
{
  if (tally->first_attempt_us == 0 || finished_at_us < tally->first_attempt_us)
    tally->first_attempt_us = finished_at_us;
}

/* Order @i of @claim was processed; @settled_before_us is when it first
 * failed for good, if a retry has now processed it (0: it never did). */
void
_orderly_outcome_tally_success (OrderlyOutcomeTally        *tally,
                                const OrderlyClaim         *claim,
                                guint                       i,
                                const OrderlyOrderOutcome  *outcome,
                                gint64                      settled_before_us)
{
  tally_attempt (tally, outcome->finished_at_us);
  tally->waits[orderly_wait_histogram_bucket (outcome->finished_at_us - claim->created_at_us[i])]++;
  tally->completed++;
  if (settled_before_us == 0)
    _orderly_outcome_tally_settled (tally, outcome->finished_at_us);
}

/* An attempt failed: the order waits for a retry, or failed for good. Whether
 * that settled it for the first time is the backend's to say, with
 * _orderly_outcome_tally_settled(). */
void
_orderly_outcome_tally_failure (OrderlyOutcomeTally        *tally,
                                const OrderlyOrderOutcome  *outcome)
{
  tally_attempt (tally, outcome->finished_at_us);
  if (outcome->retry_at_us > 0)
    tally->delayed++;
  else
    tally->failed++;
}

void
_orderly_outcome_tally_settled (OrderlyOutcomeTally *tally,
                                gint64               settled_at_us)
{
  tally->last_settled_us = MAX (tally->last_settled_us, settled_at_us);
}

/* Listings ------------------------------------------------------------- */

OrderlyJob *
_orderly_store_page_add (OrderlyStorePage *page,
                         gint64            id)
{
  OrderlyJob *job = g_new0 (OrderlyJob, 1);

  job->id = id;
  job->priority = page->priority;
  job->state = page->state;
  g_ptr_array_add (page->jobs, job);
  page->limit--;
  return job;
}

/* The times of a job read from a failures row: @state_at_us is when it
 * may be retried (delayed), failed for good (failed) or was claimed again
 * (active). */
void
_orderly_job_set_failure_times (OrderlyJob *job,
                                gint64      state_at_us,
                                gint64      last_attempt_at_us)
{
  switch (job->state)
    {
    case ORDERLY_JOB_STATE_DELAYED:
      job->retry_at_us = state_at_us;
      job->processed_on_us = job->finished_on_us = last_attempt_at_us;
      break;
    case ORDERLY_JOB_STATE_FAILED:
      job->processed_on_us = job->finished_on_us = state_at_us;
      break;
    case ORDERLY_JOB_STATE_ACTIVE:
      job->processed_on_us = state_at_us;
      break;
    case ORDERLY_JOB_STATE_WAITING:
    case ORDERLY_JOB_STATE_COMPLETED:
    case ORDERLY_JOB_STATE_PAUSED:
    default:
      break;
    }
}

static gint64
count_in_state (const OrderlyPriorityCounts *c,
                OrderlyJobState              state)
{
  switch (state)
    {
    case ORDERLY_JOB_STATE_WAITING: return c->waiting;
    case ORDERLY_JOB_STATE_ACTIVE: return c->active;
    case ORDERLY_JOB_STATE_COMPLETED: return c->completed;
    case ORDERLY_JOB_STATE_FAILED: return c->failed;
    case ORDERLY_JOB_STATE_DELAYED: return c->delayed;
    case ORDERLY_JOB_STATE_PAUSED:
    default:
      break;
    }
  g_assert_not_reached ();
  return 0;
}

/* The order of a listing's failures rows in @state, as SQL over the
 * failures table named f: failed ones latest first, requeued and delayed
 * ones in the order claims take them, a claim's own in id order. */
const char *
_orderly_job_failures_order_by (OrderlyJobState state)
{
  switch (state)
    {
    case ORDERLY_JOB_STATE_FAILED: return "f.state_at DESC, f.id DESC";
    case ORDERLY_JOB_STATE_ACTIVE: return "f.id";
    case ORDERLY_JOB_STATE_WAITING:
    case ORDERLY_JOB_STATE_DELAYED:
    case ORDERLY_JOB_STATE_COMPLETED:
    case ORDERLY_JOB_STATE_PAUSED:
    default:
      return "f.state_at, f.id";
    }
}

static gboolean
fill_one (OrderlyStorePage             *page,
          const OrderlyStorePageFuncs  *funcs,
          gpointer                      user_data,
          GError                      **error)
{
  switch (page->state)
    {
    case ORDERLY_JOB_STATE_WAITING: return funcs->waiting (page, user_data, error);
    case ORDERLY_JOB_STATE_ACTIVE: return funcs->active (page, user_data, error);
    case ORDERLY_JOB_STATE_COMPLETED: return funcs->completed (page, user_data, error);
    case ORDERLY_JOB_STATE_FAILED:
    case ORDERLY_JOB_STATE_DELAYED: return funcs->failures (page, page->state, 0, error);
    case ORDERLY_JOB_STATE_PAUSED:
    default:
      break;
    }
  g_assert_not_reached ();
  return FALSE;
}

/*
 * Fills @page, VIP jobs first: a priority with no more jobs in the state
 * than are still to skip is skipped by its count alone, without a read.
 */
gboolean
_orderly_store_page_fill (OrderlyStorePage             *page,
                          const OrderlyOrderCounts     *counts,
                          const OrderlyStorePageFuncs  *funcs,
                          gpointer                      user_data,
                          GError                      **error)
{
  for (guint p = 0; p < 2 && page->limit > 0; p++)
    {
      gint64 in_state = count_in_state (&counts->priority[p], page->state);

      if (page->offset >= in_state)
        {
          page->offset -= in_state;
          continue;
        }
      page->priority = p;
      if (!fill_one (page, funcs, user_data, error))
        return FALSE;
    }
  return TRUE;
}
