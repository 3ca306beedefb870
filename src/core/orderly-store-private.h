/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "orderly-store.h"

G_BEGIN_DECLS

/*
 * What the queues of every backend share, in orderly-store-queue.c: how a
 * claim is set up and ordered, how a claim's outcomes add up to its
 * counters, and how a listing walks the priorities and fills a page. The
 * backends keep their SQL and their bindings.
 */

/* A claim taken over, split or given back never holds more than this. */
#define ORDERLY_MAX_CLAIM 10000

OrderlyClaim *_orderly_claim_new_for          (const OrderlyClaimRequest  *request,
                                               gint64                      now_us);
void          _orderly_claim_append           (OrderlyClaim               *claim,
                                               gint64                      id,
                                               gint64                      created_at_us,
                                               guint                       attempts_made,
                                               guint                      *allocated);
void          _orderly_claim_sort_members     (OrderlyClaim               *claim);
void          _orderly_claim_set_lease_error  (const OrderlyClaim         *claim,
                                               GError                    **error);

gint64        _orderly_priority_counts_waiting (const OrderlyPriorityCounts *counts);

/* What a claim's outcomes add to its run's counters and wait histogram. */
typedef struct
{
  gint64  completed;
  gint64  delayed;
  gint64  failed;
  gint64  first_attempt_us;   /* the earliest attempt's end; 0: none yet */
  gint64  last_settled_us;    /* the latest end that settled an order for the first time */
  guint32 waits[ORDERLY_WAIT_BUCKETS];
} OrderlyOutcomeTally;

void          _orderly_outcome_tally_success  (OrderlyOutcomeTally        *tally,
                                               const OrderlyClaim         *claim,
                                               guint                       i,
                                               const OrderlyOrderOutcome  *outcome,
                                               gint64                      settled_before_us);
void          _orderly_outcome_tally_failure  (OrderlyOutcomeTally        *tally,
                                               const OrderlyOrderOutcome  *outcome);
void          _orderly_outcome_tally_settled  (OrderlyOutcomeTally        *tally,
                                               gint64                      settled_at_us);

/* One page of a listing being filled, priority by priority. */
typedef struct
{
  gpointer         backend;    /* the backend's connection or transaction */
  gint64           run_id;
  OrderlyPriority  priority;
  OrderlyJobState  state;
  gboolean         with_data;
  gint64           offset;     /* still to skip */
  guint            limit;      /* still to fill */
  GPtrArray       *jobs;
} OrderlyStorePage;

/* Fills @page with jobs of page->priority in page->state, from page->offset on. */
typedef gboolean (*OrderlyStorePageFunc) (OrderlyStorePage  *page,
                                          gpointer           user_data,
                                          GError           **error);

/* How a backend reads each state. Failed and delayed orders are failures
 * rows in that state (@claim_id 0); the backend's own listings also read
 * the failures rows of one claim (@claim_id, active) or requeued ones
 * (waiting) with it. */
typedef struct
{
  OrderlyStorePageFunc waiting;
  OrderlyStorePageFunc active;
  OrderlyStorePageFunc completed;
  gboolean (*failures) (OrderlyStorePage  *page,
                        OrderlyJobState    state,
                        gint64             claim_id,
                        GError           **error);
} OrderlyStorePageFuncs;

OrderlyJob   *_orderly_store_page_add         (OrderlyStorePage           *page,
                                               gint64                      id);
gboolean      _orderly_store_page_fill        (OrderlyStorePage           *page,
                                               const OrderlyOrderCounts   *counts,
                                               const OrderlyStorePageFuncs *funcs,
                                               gpointer                    user_data,
                                               GError                    **error);
const char   *_orderly_job_failures_order_by  (OrderlyJobState             state);
void          _orderly_job_set_failure_times  (OrderlyJob                 *job,
                                               gint64                      state_at_us,
                                               gint64                      last_attempt_at_us);

G_END_DECLS
