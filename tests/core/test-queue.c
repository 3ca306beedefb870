/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "orderly-generator.h"
#include "orderly-test-util.h"

/*
 * The store's queue, through the OrderlyStore interface only, on every
 * backend of orderly_test_backends: claims, leases, failures and retries,
 * counts and listings.
 */

#define OWNER "test-instance"
#define LEASE_MS 60000

typedef struct
{
  const OrderlyTestBackend *backend;
  char                     *data_dir;
  OrderlyStore             *store;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->backend = data;
  fixture->data_dir = orderly_test_make_data_dir ();
  fixture->store = fixture->backend->open (fixture->data_dir, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_assert_finalize_object (g_steal_pointer (&fixture->store));
  orderly_test_remove_dir (fixture->data_dir);
  g_free (fixture->data_dir);
}

/* A run of @quantity generated orders, all waiting. */
static gint64
make_run (Fixture *fixture,
          gint64   quantity,
          double   vip_share)
{
  g_autoptr(GError) error = NULL;
  g_autofree OrderlyOrder *orders = g_new0 (OrderlyOrder, MAX (quantity, 1));
  OrderlyRunRecord run = { .seed = 3, .quantity = quantity, .vip_share = vip_share,
                           .phase = ORDERLY_PHASE_GENERATING, .workers = 1,
                           .started_at_us = g_get_real_time (), .max_attempts = 3 };

  g_assert_true (orderly_store_begin_run (fixture->store, &run, &error));
  g_assert_no_error (error);
  g_assert_cmpint (run.id, >, 0);
  for (gint64 i = 0; i < quantity; i++)
    orderly_generate_order (run.seed, run.id, i, vip_share, g_get_real_time () - 1000, &orders[i]);
  g_assert_true (orderly_store_insert_orders (fixture->store, orders, (guint) quantity, &error));
  g_assert_no_error (error);
  return run.id;
}

static OrderlyOrderCounts
counts_of (Fixture *fixture,
           gint64   run_id)
{
  g_autoptr(GError) error = NULL;
  OrderlyOrderCounts counts;

  g_assert_true (orderly_store_count_orders (fixture->store, run_id, &counts, &error));
  g_assert_no_error (error);
  /* Every order is in exactly one state. */
  for (guint p = 0; p < 2; p++)
    {
      const OrderlyPriorityCounts *c = &counts.priority[p];

      g_assert_cmpint (c->waiting + c->active + c->delayed + c->completed + c->failed +
                       c->completed_removed + c->failed_removed, ==, c->generated);
    }
  return counts;
}

static OrderlyClaimAnswer
ask (Fixture         *fixture,
     gint64           run_id,
     OrderlyPriority  priority,
     guint            max_orders,
     gint64           lease_ms)
{
  g_autoptr(GError) error = NULL;
  OrderlyClaimRequest request = { run_id, priority, max_orders, OWNER, lease_ms };
  OrderlyClaimAnswer answer;

  g_assert_true (orderly_store_claim (fixture->store, &request, &answer, &error));
  g_assert_no_error (error);
  return answer;
}

static OrderlyClaim *
claim (Fixture            *fixture,
       gint64              run_id,
       OrderlyPriority     priority,
       guint               max_orders,
       gint64              lease_ms,
       OrderlyClaimResult  expected)
{
  OrderlyClaimAnswer answer = ask (fixture, run_id, priority, max_orders, lease_ms);
  OrderlyClaim *taken = answer.claim;

  g_assert_cmpint (answer.result, ==, expected);
  if (expected == ORDERLY_CLAIM_TAKEN)
    {
      g_assert_nonnull (taken);
      g_assert_cmpuint (taken->n_orders, >, 0);
      g_assert_cmpuint (taken->n_orders, <=, max_orders);
      g_assert_cmpint (taken->priority, ==, priority);
      for (guint i = 1; i < taken->n_orders; i++)
        g_assert_cmpint (taken->order_ids[i - 1], <, taken->order_ids[i]);
    }
  else
    g_assert_null (taken);
  return taken;
}

/* Outcomes for the first @n orders of @taken: successes, but for those in
 * @retried (0-terminated positions from 1), which fail until @retry_at, and
 * those in @final, which fail for good. */
static void
complete (Fixture            *fixture,
          const OrderlyClaim *taken,
          guint               n,
          const guint        *retried,
          gint64              retry_at,
          const guint        *final,
          GError            **error)
{
  g_autofree OrderlyOrderOutcome *outcomes = g_new0 (OrderlyOrderOutcome, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    {
      outcomes[i].finished_at_us = g_get_real_time ();
      outcomes[i].worker_id = 1;
      outcomes[i].observations = "done";
    }
  for (guint i = 0; retried != NULL && retried[i] != 0; i++)
    {
      g_assert_cmpuint (retried[i], <=, n);
      outcomes[retried[i] - 1].observations = NULL;
      outcomes[retried[i] - 1].failure = "simulated";
      outcomes[retried[i] - 1].retry_at_us = retry_at;
    }
  for (guint i = 0; final != NULL && final[i] != 0; i++)
    {
      g_assert_cmpuint (final[i], <=, n);
      outcomes[final[i] - 1].observations = NULL;
      outcomes[final[i] - 1].failure = "simulated";
      outcomes[final[i] - 1].retry_at_us = 0;
    }
  orderly_store_complete_claim (fixture->store, taken, outcomes, n, NULL, NULL, error);
}

/* Claims until the store gives something, as a retry falls due. */
static OrderlyClaim *
claim_when_due (Fixture         *fixture,
                gint64           run_id,
                OrderlyPriority  priority,
                guint            max_orders)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      OrderlyClaimAnswer answer = ask (fixture, run_id, priority, max_orders, LEASE_MS);

      if (answer.result == ORDERLY_CLAIM_TAKEN)
        return answer.claim;
      g_assert_cmpint (answer.result, ==, ORDERLY_CLAIM_LATER);
      g_usleep (MAX (answer.wait_us, 1000));
    }
  g_assert_not_reached ();
  return NULL;
}

static void
complete_all (Fixture            *fixture,
              const OrderlyClaim *taken)
{
  g_autoptr(GError) error = NULL;

  complete (fixture, taken, taken->n_orders, NULL, 0, NULL, &error);
  g_assert_no_error (error);
}

static GPtrArray *
list (Fixture         *fixture,
      gint64           run_id,
      OrderlyJobState  state,
      gint64           offset,
      guint            limit,
      gboolean         with_data)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *jobs = orderly_store_list_jobs (fixture->store, run_id, state, offset, limit, with_data,
                                             &error);

  g_assert_no_error (error);
  g_assert_nonnull (jobs);
  for (guint i = 0; i < jobs->len; i++)
    g_assert_cmpint (((OrderlyJob *) jobs->pdata[i])->state, ==, state);
  return jobs;
}

static gint64
job_id (GPtrArray *jobs,
        guint      i)
{
  return ((OrderlyJob *) g_ptr_array_index (jobs, i))->id;
}

static void
test_begin_run_atomic (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GPtrArray) waiting = NULL;
  gint64 first, second;
  OrderlyOrderCounts counts;

  first = make_run (fixture, 300, 0.1);
  g_assert_cmpint (counts_of (fixture, first).priority[ORDERLY_PRIORITY_NORMAL].waiting, >, 200);

  /* The new run replaces the old orders and closes the unfinished run. */
  second = make_run (fixture, 50, 0.1);
  g_assert_cmpint (second, >, first);
  runs = orderly_store_list_runs (fixture->store, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 2);
  g_assert_cmpint (((OrderlyRunRecord *) runs->pdata[0])->id, ==, second);
  g_assert_cmpint (((OrderlyRunRecord *) runs->pdata[1])->phase, ==, ORDERLY_PHASE_ABORTED);
  waiting = list (fixture, first, ORDERLY_JOB_STATE_WAITING, 0, 100, FALSE);
  g_assert_cmpuint (waiting->len, ==, 0);
  counts = counts_of (fixture, second);
  g_assert_cmpint (counts.priority[0].generated + counts.priority[1].generated, ==, 50);
  g_assert_cmpint (fixture->backend->query_int (fixture->data_dir, "SELECT count(*) FROM orders"), ==, 50);
}

static void
test_batch_atomic (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gint64 run_id = make_run (fixture, 0, 0);
  OrderlyOrder orders[3] = {
    { .id = 1, .run_id = run_id, .customer = "A", .priority = ORDERLY_PRIORITY_NORMAL },
    { .id = 2, .run_id = run_id, .customer = "B", .priority = ORDERLY_PRIORITY_NORMAL },
    { .id = 1, .run_id = run_id, .customer = "duplicate", .priority = ORDERLY_PRIORITY_NORMAL },
  };

  /* The third row clashes: none of the batch may stay, nor be counted. */
  g_assert_false (orderly_store_insert_orders (fixture->store, orders, 3, &error));
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_STORAGE);
  g_assert_cmpint (counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_NORMAL].generated, ==, 0);
  g_assert_cmpint (fixture->backend->query_int (fixture->data_dir, "SELECT count(*) FROM orders"), ==, 0);
}

static void
test_claim_in_order (Fixture       *fixture,
                     gconstpointer  data)
{
  gint64 run_id = make_run (fixture, 2000, 0.3);
  OrderlyOrderCounts counts = counts_of (fixture, run_id);
  gint64 vip_total = counts.priority[ORDERLY_PRIORITY_VIP].generated;
  gint64 seen = 0, last = 0;

  g_assert_cmpint (vip_total, >, 400);
  for (;;)
    {
      OrderlyClaimAnswer answer = ask (fixture, run_id, ORDERLY_PRIORITY_VIP, 128, LEASE_MS);
      g_autoptr(OrderlyClaim) taken = answer.claim;

      if (answer.result == ORDERLY_CLAIM_DRAINED)
        break;
      g_assert_cmpint (answer.result, ==, ORDERLY_CLAIM_TAKEN);
      /* Fresh orders come in ascending id order, each once. */
      g_assert_cmpint (taken->order_ids[0], >, last);
      last = taken->order_ids[taken->n_orders - 1];
      seen += taken->n_orders;
      g_assert_cmpint (counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_VIP].active, ==,
                       taken->n_orders);
      complete_all (fixture, taken);
    }
  g_assert_cmpint (seen, ==, vip_total);
  counts = counts_of (fixture, run_id);
  g_assert_cmpint (counts.priority[ORDERLY_PRIORITY_VIP].completed, ==, vip_total);
  g_assert_cmpint (counts.priority[ORDERLY_PRIORITY_VIP].active, ==, 0);
  g_assert_cmpint (counts.priority[ORDERLY_PRIORITY_NORMAL].waiting, ==, 2000 - vip_total);
  orderly_claim_free (claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 10, LEASE_MS, ORDERLY_CLAIM_TAKEN));
}

static void
test_normal_blocked (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(OrderlyClaim) vip = NULL;
  g_autoptr(OrderlyClaim) again = NULL;
  g_autoptr(OrderlyClaim) normal = NULL;
  g_autoptr(GError) error = NULL;
  gint64 run_id = make_run (fixture, 100, 0.5);
  gint64 n_vip = counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_VIP].generated;
  const guint fail_first[] = { 1, 0 };

  /* Waiting VIP orders block NORMAL claims. */
  claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 10, LEASE_MS, ORDERLY_CLAIM_BLOCKED);

  /* So do claimed ones. */
  vip = claim (fixture, run_id, ORDERLY_PRIORITY_VIP, 1000, LEASE_MS, ORDERLY_CLAIM_TAKEN);
  g_assert_cmpint (vip->n_orders, ==, n_vip);
  claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 10, LEASE_MS, ORDERLY_CLAIM_BLOCKED);

  /* And one waiting for its retry. */
  complete (fixture, vip, vip->n_orders, fail_first, g_get_real_time () - 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_VIP].delayed, ==, 1);
  claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 10, LEASE_MS, ORDERLY_CLAIM_BLOCKED);

  /* Failed for good, it is settled: NORMAL may go. */
  again = claim (fixture, run_id, ORDERLY_PRIORITY_VIP, 10, LEASE_MS, ORDERLY_CLAIM_TAKEN);
  g_assert_true (again->retry);
  g_assert_cmpint (again->order_ids[0], ==, vip->order_ids[0]);
  complete (fixture, again, 1, NULL, 0, fail_first, &error);
  g_assert_no_error (error);
  claim (fixture, run_id, ORDERLY_PRIORITY_VIP, 10, LEASE_MS, ORDERLY_CLAIM_DRAINED);
  normal = claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 10, LEASE_MS, ORDERLY_CLAIM_TAKEN);
  g_assert_cmpint (counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_VIP].failed, ==, 1);
}

static void
test_lease_expired (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(OrderlyClaim) stale = NULL;
  g_autoptr(OrderlyClaim) fresh = NULL;
  g_autoptr(GError) error = NULL;
  gint64 run_id = make_run (fixture, 50, 0);
  OrderlyOrderCounts counts;

  /* A lease of 0 ms has run out by the time results come. */
  stale = claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 20, 0, ORDERLY_CLAIM_TAKEN);
  complete (fixture, stale, stale->n_orders, NULL, 0, NULL, &error);
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_LEASE_EXPIRED);
  g_clear_error (&error);
  counts = counts_of (fixture, run_id);
  g_assert_cmpint (counts.priority[ORDERLY_PRIORITY_NORMAL].completed, ==, 0);
  g_assert_cmpint (counts.priority[ORDERLY_PRIORITY_NORMAL].active, ==, 20);
  g_assert_false (orderly_store_renew_claim (fixture->store, stale, LEASE_MS, &error));
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_LEASE_EXPIRED);
  g_clear_error (&error);

  /* Another claimant takes the expired claim over, with the same orders. */
  fresh = claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 20, LEASE_MS, ORDERLY_CLAIM_TAKEN);
  g_assert_cmpuint (fresh->n_orders, ==, stale->n_orders);
  g_assert_cmpint (fresh->order_ids[0], ==, stale->order_ids[0]);
  g_assert_cmpint (fresh->id, !=, stale->id);
  g_assert_true (orderly_store_renew_claim (fixture->store, fresh, LEASE_MS, &error));
  complete_all (fixture, fresh);

  /* The late writer is refused still, and nothing is written twice. */
  complete (fixture, stale, stale->n_orders, NULL, 0, NULL, &error);
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_LEASE_EXPIRED);
  counts = counts_of (fixture, run_id);
  g_assert_cmpint (counts.priority[ORDERLY_PRIORITY_NORMAL].completed, ==, 20);
  g_assert_cmpint (fixture->backend->query_int (fixture->data_dir,
                                                "SELECT count(*) FROM orders_view WHERE status = 'processed'"),
                   ==, 20);
}

static void
test_complete_and_claim (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(OrderlyClaim) first = NULL;
  g_autoptr(GError) error = NULL;
  gint64 run_id = make_run (fixture, 250, 0);
  OrderlyClaimRequest next = { run_id, ORDERLY_PRIORITY_NORMAL, 100, OWNER, LEASE_MS };
  g_autofree OrderlyOrderOutcome *outcomes = g_new0 (OrderlyOrderOutcome, 100);
  OrderlyClaimAnswer answer;

  for (guint i = 0; i < 100; i++)
    outcomes[i] = (OrderlyOrderOutcome) { .finished_at_us = g_get_real_time (), .worker_id = 1,
                                          .observations = "done" };

  /* Storing a claim's outcomes takes the next orders in the same step. */
  first = claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 100, LEASE_MS, ORDERLY_CLAIM_TAKEN);
  g_assert_true (orderly_store_complete_claim (fixture->store, first, outcomes, 100, &next, &answer, &error));
  g_assert_no_error (error);
  g_assert_cmpint (answer.result, ==, ORDERLY_CLAIM_TAKEN);
  g_assert_cmpint (answer.claim->order_ids[0], >, first->order_ids[99]);
  g_assert_cmpint (counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_NORMAL].completed, ==, 100);
  g_assert_cmpint (counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_NORMAL].active, ==, 100);
  g_clear_pointer (&first, orderly_claim_free);
  first = g_steal_pointer (&answer.claim);

  /* The last ones: the next claim finds nothing left. */
  orderly_claim_free (claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 100, LEASE_MS, ORDERLY_CLAIM_TAKEN));
  g_assert_true (orderly_store_release_claims (fixture->store, run_id, FALSE, 0, NULL, &error));
  g_clear_pointer (&first, orderly_claim_free);
  first = claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 200, LEASE_MS, ORDERLY_CLAIM_TAKEN);
  g_assert_cmpuint (first->n_orders, ==, 100);
  {
    OrderlyClaim *last = claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 100, LEASE_MS, ORDERLY_CLAIM_TAKEN);

    g_assert_cmpuint (last->n_orders, ==, 50);
    complete_all (fixture, last);
    orderly_claim_free (last);
  }
  g_assert_true (orderly_store_complete_claim (fixture->store, first, outcomes, 100, &next, &answer, &error));
  g_assert_cmpint (answer.result, ==, ORDERLY_CLAIM_DRAINED);
  g_assert_null (answer.claim);
  g_assert_cmpint (counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_NORMAL].completed, ==, 250);

  /* Refused under an expired lease: nothing written, nothing claimed. */
  g_clear_pointer (&first, orderly_claim_free);
  run_id = make_run (fixture, 50, 0);
  next.run_id = run_id;
  first = claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 20, 0, ORDERLY_CLAIM_TAKEN);
  g_assert_false (orderly_store_complete_claim (fixture->store, first, outcomes, 20, &next, &answer, &error));
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_LEASE_EXPIRED);
  g_assert_null (answer.claim);
  g_assert_cmpint (counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_NORMAL].completed, ==, 0);
  g_assert_cmpint (counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_NORMAL].active, ==, 20);
}

static void
test_partial (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(OrderlyClaim) first = NULL;
  g_autoptr(OrderlyClaim) rest = NULL;
  g_autoptr(GPtrArray) waiting = NULL;
  g_autoptr(GError) error = NULL;
  gint64 run_id = make_run (fixture, 300, 0);

  first = claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 100, LEASE_MS, ORDERLY_CLAIM_TAKEN);
  complete (fixture, first, 40, NULL, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_NORMAL].completed, ==, 40);
  g_assert_cmpint (counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_NORMAL].waiting, ==, 260);

  /* What was given back waits first, in order. */
  waiting = list (fixture, run_id, ORDERLY_JOB_STATE_WAITING, 0, 70, FALSE);
  g_assert_cmpuint (waiting->len, ==, 70);
  g_assert_cmpint (job_id (waiting, 0), ==, first->order_ids[40]);
  g_assert_cmpint (job_id (waiting, 59), ==, first->order_ids[99]);
  g_assert_cmpint (job_id (waiting, 60), >, first->order_ids[99]);

  rest = claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 100, LEASE_MS, ORDERLY_CLAIM_TAKEN);
  g_assert_cmpuint (rest->n_orders, ==, 60);
  g_assert_cmpint (rest->order_ids[0], ==, first->order_ids[40]);
  complete_all (fixture, rest);
  g_assert_cmpint (counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_NORMAL].completed, ==, 100);
}

/* A claim asked with load_later, its orders read afterwards. */
static OrderlyClaim *
claim_later (Fixture         *fixture,
             gint64           run_id,
             OrderlyPriority  priority,
             guint            max_orders)
{
  g_autoptr(GError) error = NULL;
  OrderlyClaimRequest request = { run_id, priority, max_orders, OWNER, LEASE_MS, TRUE };
  OrderlyClaimAnswer answer;
  OrderlyClaim *taken;
  guint n_orders;

  g_assert_true (orderly_store_claim (fixture->store, &request, &answer, &error));
  g_assert_no_error (error);
  g_assert_cmpint (answer.result, ==, ORDERLY_CLAIM_TAKEN);
  taken = answer.claim;
  n_orders = taken->n_orders;
  g_assert_cmpuint (n_orders, >, 0);
  g_assert_cmpuint (n_orders, <=, max_orders);
  /* Reserved: it counts as active before its orders are read. */
  g_assert_cmpint (counts_of (fixture, run_id).priority[priority].active, >=, n_orders);

  g_assert_true (orderly_store_load_claim (fixture->store, taken, &error));
  g_assert_no_error (error);
  g_assert_false (taken->members_pending);
  g_assert_cmpuint (taken->n_orders, ==, n_orders);
  for (guint i = 0; i < n_orders; i++)
    {
      g_assert_cmpint (taken->order_ids[i], >=, taken->first_id);
      g_assert_cmpint (taken->order_ids[i], <=, taken->last_id);
      g_assert_cmpint (taken->created_at_us[i], >, 0);
      if (i > 0)
        g_assert_cmpint (taken->order_ids[i - 1], <, taken->order_ids[i]);
    }
  return taken;
}

/* Claims whose orders are read later hold the same orders as claims read
 * at once: fresh ones in id order, and what a partial claim gave back,
 * split as asked. */
static void
test_load_later (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(OrderlyClaim) first = NULL;
  g_autoptr(OrderlyClaim) part = NULL;
  g_autoptr(OrderlyClaim) rest = NULL;
  g_autoptr(OrderlyClaim) next = NULL;
  g_autoptr(GPtrArray) active = NULL;
  g_autoptr(GError) error = NULL;
  gint64 run_id = make_run (fixture, 1000, 0.3);

  first = claim_later (fixture, run_id, ORDERLY_PRIORITY_VIP, 100);
  g_assert_cmpuint (first->n_orders, ==, 100);
  active = list (fixture, run_id, ORDERLY_JOB_STATE_ACTIVE, 0, 200, FALSE);
  g_assert_cmpuint (active->len, ==, 100);
  for (guint i = 0; i < 100; i++)
    g_assert_cmpint (job_id (active, i), ==, first->order_ids[i]);

  complete (fixture, first, 40, NULL, 0, NULL, &error);
  g_assert_no_error (error);
  part = claim_later (fixture, run_id, ORDERLY_PRIORITY_VIP, 25);
  g_assert_cmpuint (part->n_orders, ==, 25);
  for (guint i = 0; i < 25; i++)
    g_assert_cmpint (part->order_ids[i], ==, first->order_ids[40 + i]);
  rest = claim_later (fixture, run_id, ORDERLY_PRIORITY_VIP, 100);
  g_assert_cmpuint (rest->n_orders, ==, 35);
  for (guint i = 0; i < 35; i++)
    g_assert_cmpint (rest->order_ids[i], ==, first->order_ids[65 + i]);

  next = claim_later (fixture, run_id, ORDERLY_PRIORITY_VIP, 1000);
  g_assert_cmpint (next->order_ids[0], >, first->order_ids[99]);
  g_assert_cmpint (next->n_orders + 100, ==,
                   counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_VIP].generated);
  complete_all (fixture, part);
  complete_all (fixture, rest);
  complete_all (fixture, next);
  g_assert_cmpint (counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_VIP].completed, ==,
                   counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_VIP].generated);
  orderly_claim_free (claim (fixture, run_id, ORDERLY_PRIORITY_VIP, 10, LEASE_MS, ORDERLY_CLAIM_DRAINED));
}

static void
test_failures_and_retries (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(OrderlyClaim) first = NULL;
  g_autoptr(OrderlyClaim) second = NULL;
  g_autoptr(OrderlyClaim) retried = NULL;
  g_autoptr(OrderlyClaim) requeued = NULL;
  g_autoptr(GPtrArray) failed = NULL;
  g_autoptr(GPtrArray) delayed = NULL;
  g_autoptr(GError) error = NULL;
  gint64 run_id = make_run (fixture, 10, 0);
  gint64 due = g_get_real_time () + 300 * 1000;
  OrderlyPriorityCounts c;
  gint64 requeued_count = 0;

  first = claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 5, LEASE_MS, ORDERLY_CLAIM_TAKEN);
  complete (fixture, first, 5, (const guint[]) { 2, 4, 0 }, due, (const guint[]) { 3, 0 }, &error);
  g_assert_no_error (error);
  /* The retries are not due yet: fresh orders come first. */
  second = claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 5, LEASE_MS, ORDERLY_CLAIM_TAKEN);
  g_assert_false (second->retry);
  complete (fixture, second, 5, (const guint[]) { 5, 0 }, due, (const guint[]) { 1, 0 }, &error);
  g_assert_no_error (error);

  c = counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_NORMAL];
  g_assert_cmpint (c.completed, ==, 5);
  g_assert_cmpint (c.delayed, ==, 3);
  g_assert_cmpint (c.failed, ==, 2);
  g_assert_cmpint (c.waiting, ==, 0);

  delayed = list (fixture, run_id, ORDERLY_JOB_STATE_DELAYED, 0, 10, TRUE);
  g_assert_cmpuint (delayed->len, ==, 3);
  g_assert_cmpuint (((OrderlyJob *) delayed->pdata[0])->attempts_made, ==, 1);
  g_assert_cmpstr (((OrderlyJob *) delayed->pdata[0])->failed_reason, ==, "simulated");
  g_assert_cmpint (((OrderlyJob *) delayed->pdata[0])->retry_at_us, ==, due);
  g_assert_true (((OrderlyJob *) delayed->pdata[0])->has_data);

  /* Due, the retries come as a claim of their own. */
  retried = claim_when_due (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 10);
  g_assert_true (retried->retry);
  g_assert_cmpuint (retried->n_orders, ==, 3);
  g_assert_cmpuint (retried->attempts_made[0], ==, 1);
  complete_all (fixture, retried);
  claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 10, LEASE_MS, ORDERLY_CLAIM_DRAINED);

  failed = list (fixture, run_id, ORDERLY_JOB_STATE_FAILED, 0, 10, FALSE);
  g_assert_cmpuint (failed->len, ==, 2);
  g_assert_cmpuint (((OrderlyJob *) failed->pdata[0])->attempts_made, ==, 1);
  g_assert_cmpint (((OrderlyJob *) failed->pdata[0])->finished_on_us, >, 0);

  /* Requeued, they are claimed again and processed. */
  g_assert_true (orderly_store_retry_failed (fixture->store, run_id, 0, &requeued_count, &error));
  g_assert_cmpint (requeued_count, ==, 2);
  c = counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_NORMAL];
  g_assert_cmpint (c.failed, ==, 0);
  g_assert_cmpint (c.waiting, ==, 2);
  requeued = claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 10, LEASE_MS, ORDERLY_CLAIM_TAKEN);
  g_assert_true (requeued->retry);
  g_assert_cmpuint (requeued->n_orders, ==, 2);
  complete_all (fixture, requeued);
  c = counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_NORMAL];
  g_assert_cmpint (c.completed, ==, 10);
  g_assert_cmpint (ORDERLY_COUNTS_UNSETTLED (&c), ==, 0);
  g_assert_cmpint (fixture->backend->query_int (fixture->data_dir,
                                                "SELECT count(*) FROM orders_view WHERE status = 'processed'"),
                   ==, 10);
  g_assert_cmpint (fixture->backend->query_int (fixture->data_dir, "SELECT max(attempts) FROM orders_view"),
                   ==, 2);
}

static void
test_retry_later (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(OrderlyClaim) taken = NULL;
  g_autoptr(GError) error = NULL;
  gint64 run_id = make_run (fixture, 3, 0);
  OrderlyClaimAnswer answer;

  taken = claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 3, LEASE_MS, ORDERLY_CLAIM_TAKEN);
  complete (fixture, taken, 3, (const guint[]) { 1, 0 }, g_get_real_time () + G_TIME_SPAN_HOUR, NULL,
            &error);
  g_assert_no_error (error);
  /* Only a retry is left, an hour from now. */
  answer = ask (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 3, LEASE_MS);
  g_assert_cmpint (answer.result, ==, ORDERLY_CLAIM_LATER);
  g_assert_cmpint (answer.wait_us, >, (gint64) 3000 * G_USEC_PER_SEC);
}

static void
test_release_claims (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(OrderlyClaim) expired = NULL;
  g_autoptr(OrderlyClaim) live = NULL;
  g_autoptr(GError) error = NULL;
  gint64 run_id = make_run (fixture, 100, 0);
  gint64 released = 0;

  /* (An expired claim would be taken over by the next claim.) */
  live = claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 30, LEASE_MS, ORDERLY_CLAIM_TAKEN);
  expired = claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 10, 0, ORDERLY_CLAIM_TAKEN);
  g_assert_cmpint (counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_NORMAL].active, ==, 40);

  g_assert_true (orderly_store_release_claims (fixture->store, run_id, TRUE, 0, &released, &error));
  g_assert_no_error (error);
  g_assert_cmpint (released, ==, 10);
  g_assert_cmpint (counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_NORMAL].active, ==, 30);

  g_assert_true (orderly_store_release_claims (fixture->store, run_id, FALSE, 0, &released, &error));
  g_assert_cmpint (released, ==, 30);
  g_assert_cmpint (counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_NORMAL].waiting, ==, 100);
  /* Given back, its results are refused. */
  complete (fixture, live, live->n_orders, NULL, 0, NULL, &error);
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_LEASE_EXPIRED);
}

static void
test_listings (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(OrderlyClaim) done = NULL;
  g_autoptr(OrderlyClaim) active = NULL;
  g_autoptr(GPtrArray) page = NULL;
  gint64 run_id = make_run (fixture, 1000, 0.2);
  OrderlyOrderCounts counts;
  gint64 vip_waiting;

  done = claim (fixture, run_id, ORDERLY_PRIORITY_VIP, 50, LEASE_MS, ORDERLY_CLAIM_TAKEN);
  complete_all (fixture, done);
  active = claim (fixture, run_id, ORDERLY_PRIORITY_VIP, 20, LEASE_MS, ORDERLY_CLAIM_TAKEN);
  counts = counts_of (fixture, run_id);
  vip_waiting = counts.priority[ORDERLY_PRIORITY_VIP].waiting;
  g_assert_cmpint (vip_waiting, ==, counts.priority[ORDERLY_PRIORITY_VIP].generated - 70);

  /* Waiting: VIP ones first, next to be claimed first; pages follow on. */
  page = list (fixture, run_id, ORDERLY_JOB_STATE_WAITING, 0, 10, TRUE);
  g_assert_cmpuint (page->len, ==, 10);
  g_assert_cmpint (((OrderlyJob *) page->pdata[0])->priority, ==, ORDERLY_PRIORITY_VIP);
  g_assert_cmpint (job_id (page, 0), >, active->order_ids[active->n_orders - 1]);
  g_assert_true (((OrderlyJob *) page->pdata[0])->has_data);
  g_assert_nonnull (((OrderlyJob *) page->pdata[0])->customer);
  g_assert_cmpint (((OrderlyJob *) page->pdata[0])->created_at_us, >, 0);
  g_clear_pointer (&page, g_ptr_array_unref);
  page = list (fixture, run_id, ORDERLY_JOB_STATE_WAITING, vip_waiting - 1, 3, FALSE);
  g_assert_cmpuint (page->len, ==, 3);
  g_assert_cmpint (((OrderlyJob *) page->pdata[0])->priority, ==, ORDERLY_PRIORITY_VIP);
  g_assert_cmpint (((OrderlyJob *) page->pdata[1])->priority, ==, ORDERLY_PRIORITY_NORMAL);
  g_assert_false (((OrderlyJob *) page->pdata[1])->has_data);
  g_clear_pointer (&page, g_ptr_array_unref);
  page = list (fixture, run_id, ORDERLY_JOB_STATE_WAITING, 920, 100, FALSE);
  g_assert_cmpuint (page->len, ==, 1000 - 70 - 920);

  /* Active: the claim's orders, with when they were claimed. */
  g_clear_pointer (&page, g_ptr_array_unref);
  page = list (fixture, run_id, ORDERLY_JOB_STATE_ACTIVE, 0, 100, FALSE);
  g_assert_cmpuint (page->len, ==, 20);
  g_assert_cmpint (job_id (page, 0), ==, active->order_ids[0]);
  g_assert_cmpint (((OrderlyJob *) page->pdata[0])->processed_on_us, ==, active->claimed_at_us);

  /* Completed: most recent first. */
  g_clear_pointer (&page, g_ptr_array_unref);
  page = list (fixture, run_id, ORDERLY_JOB_STATE_COMPLETED, 0, 5, TRUE);
  g_assert_cmpuint (page->len, ==, 5);
  g_assert_cmpint (job_id (page, 0), ==, done->order_ids[49]);
  g_assert_cmpstr (((OrderlyJob *) page->pdata[0])->observations, ==, "done");
  g_assert_cmpuint (((OrderlyJob *) page->pdata[0])->attempts_made, ==, 1);
  g_clear_pointer (&page, g_ptr_array_unref);
  page = list (fixture, run_id, ORDERLY_JOB_STATE_COMPLETED, 45, 100, FALSE);
  g_assert_cmpuint (page->len, ==, 5);
  g_assert_cmpint (job_id (page, 4), ==, done->order_ids[0]);
}

static void
test_clean (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(OrderlyClaim) taken = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GError) error = NULL;
  gint64 run_id = make_run (fixture, 100, 0);
  gint64 removed = 0;
  OrderlyPriorityCounts c;

  taken = claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 60, LEASE_MS, ORDERLY_CLAIM_TAKEN);
  complete (fixture, taken, 60, NULL, 0, (const guint[]) { 1, 2, 0 }, &error);
  g_assert_no_error (error);

  /* Nothing settled before an hour ago. */
  g_assert_true (orderly_store_clean (fixture->store, run_id, ORDERLY_JOB_STATE_COMPLETED,
                                      g_get_real_time () - G_TIME_SPAN_HOUR, 100, &removed, &error));
  g_assert_cmpint (removed, ==, 0);

  g_assert_true (orderly_store_clean (fixture->store, run_id, ORDERLY_JOB_STATE_COMPLETED,
                                      g_get_real_time () + 1, 20, &removed, &error));
  g_assert_no_error (error);
  g_assert_cmpint (removed, ==, 20);
  g_assert_true (orderly_store_clean (fixture->store, run_id, ORDERLY_JOB_STATE_FAILED,
                                      g_get_real_time () + 1, 100, &removed, &error));
  g_assert_cmpint (removed, ==, 2);
  c = counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_NORMAL];
  g_assert_cmpint (c.completed, ==, 38);
  g_assert_cmpint (c.completed_removed, ==, 20);
  g_assert_cmpint (c.failed, ==, 0);
  g_assert_cmpint (c.failed_removed, ==, 2);
  g_assert_cmpint (ORDERLY_COUNTS_PROCESSED (&c), ==, 58);
  page = list (fixture, run_id, ORDERLY_JOB_STATE_COMPLETED, 0, 100, FALSE);
  g_assert_cmpuint (page->len, ==, 38);
  g_assert_cmpint (fixture->backend->query_int (fixture->data_dir, "SELECT count(*) FROM orders"), ==, 78);
}

/* Clearing the orders leaves the counts with no stored order in them: the
 * settled ones count as removed, the rest as work left undone. */
static void
test_clear_orders (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(OrderlyClaim) taken = NULL;
  g_autoptr(OrderlyClaim) held = NULL;
  g_autoptr(GError) error = NULL;
  gint64 run_id = make_run (fixture, 100, 0);
  gint64 deleted = 0;
  OrderlyPriorityCounts c;

  taken = claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 60, LEASE_MS, ORDERLY_CLAIM_TAKEN);
  complete (fixture, taken, 60, (const guint[]) { 3, 0 }, g_get_real_time () + G_TIME_SPAN_HOUR,
            (const guint[]) { 1, 2, 0 }, &error);
  g_assert_no_error (error);
  held = claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 10, LEASE_MS, ORDERLY_CLAIM_TAKEN);
  c = counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_NORMAL];
  g_assert_cmpint (c.completed, ==, 57);
  g_assert_cmpint (c.failed, ==, 2);
  g_assert_cmpint (c.delayed, ==, 1);
  g_assert_cmpint (c.active, ==, 10);

  g_assert_true (orderly_store_clear_orders (fixture->store, &deleted, &error));
  g_assert_no_error (error);
  g_assert_cmpint (deleted, ==, 100);
  c = counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_NORMAL];
  g_assert_cmpint (c.generated, ==, 100);
  g_assert_cmpint (c.completed + c.failed + c.delayed + c.active, ==, 0);
  g_assert_cmpint (c.completed_removed, ==, 57);
  g_assert_cmpint (c.failed_removed, ==, 2);
  g_assert_cmpint (ORDERLY_COUNTS_PROCESSED (&c), ==, 57);
  g_assert_cmpint (ORDERLY_COUNTS_FAILED (&c), ==, 2);
  g_assert_cmpint (fixture->backend->query_int (fixture->data_dir, "SELECT count(*) FROM orders"), ==, 0);
}

static void
test_proof (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gint64 run_id = make_run (fixture, 500, 0.2);
  OrderlyWaitHistogram vip, normal;
  OrderlyOrderCounts counts;
  OrderlyRunCheck check;
  g_autoptr(GArray) samples = NULL;
  OrderlyRunSample sample = { .time_us = 1000, .generated = 500, .vip_processed = 7 };

  for (OrderlyPriority p = ORDERLY_PRIORITY_VIP; p <= ORDERLY_PRIORITY_NORMAL; p++)
    {
      for (;;)
        {
          OrderlyClaimAnswer answer = ask (fixture, run_id, p, 64, LEASE_MS);
          g_autoptr(OrderlyClaim) taken = answer.claim;

          if (answer.result != ORDERLY_CLAIM_TAKEN)
            break;
          complete_all (fixture, taken);
        }
    }
  counts = counts_of (fixture, run_id);
  g_assert_cmpint (counts.priority[ORDERLY_PRIORITY_VIP].last_settled_us, <=,
                   counts.priority[ORDERLY_PRIORITY_NORMAL].first_attempt_us);

  g_assert_true (orderly_store_get_wait_histogram (fixture->store, run_id, ORDERLY_PRIORITY_VIP, &vip, &error));
  g_assert_true (orderly_store_get_wait_histogram (fixture->store, run_id, ORDERLY_PRIORITY_NORMAL, &normal,
                                                   &error));
  g_assert_cmpuint (vip.total, ==, counts.priority[ORDERLY_PRIORITY_VIP].completed);
  g_assert_cmpuint (normal.total, ==, counts.priority[ORDERLY_PRIORITY_NORMAL].completed);
  /* Every order was created at least a millisecond before it was processed. */
  g_assert_cmpint (orderly_wait_histogram_quantile (&vip, 0.5), >=, 900);

  g_assert_true (orderly_store_verify_run (fixture->store, run_id, &check, &error));
  g_assert_no_error (error);
  g_assert_cmpint (check.orders, ==, 500);
  g_assert_cmpint (check.processed, ==, 500);
  g_assert_cmpint (check.unsettled, ==, 0);
  g_assert_cmpint (check.conflicts, ==, 0);
  g_assert_cmpint (check.vip_last_settled_us, <=, check.normal_first_attempt_us);
  orderly_run_check_judge (&check, TRUE);
  g_assert_cmpint (check.state, ==, ORDERLY_RUN_CHECK_PASSED);
  orderly_run_check_clear (&check);

  g_assert_true (orderly_store_append_samples (fixture->store, run_id, &sample, 1, &error));
  samples = orderly_store_list_samples (fixture->store, run_id, &error);
  g_assert_cmpuint (samples->len, ==, 1);
  g_assert_cmpint (g_array_index (samples, OrderlyRunSample, 0).vip_processed, ==, 7);
}

static void
test_check_finds_violation (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(OrderlyClaim) normal = NULL;
  g_autoptr(OrderlyClaim) vip = NULL;
  g_autoptr(GError) error = NULL;
  gint64 run_id = make_run (fixture, 100, 0.5);
  OrderlyRunCheck check;

  /* A VIP order failed for good, NORMAL processing, then a retry of it:
   * the rule holds, as the VIP order settled first. */
  vip = claim (fixture, run_id, ORDERLY_PRIORITY_VIP, 100, LEASE_MS, ORDERLY_CLAIM_TAKEN);
  complete (fixture, vip, vip->n_orders, NULL, 0, (const guint[]) { 1, 0 }, &error);
  g_assert_no_error (error);
  normal = claim (fixture, run_id, ORDERLY_PRIORITY_NORMAL, 100, LEASE_MS, ORDERLY_CLAIM_TAKEN);
  complete_all (fixture, normal);
  g_assert_true (orderly_store_retry_failed (fixture->store, run_id, 0, NULL, &error));
  g_clear_pointer (&vip, orderly_claim_free);
  vip = claim (fixture, run_id, ORDERLY_PRIORITY_VIP, 100, LEASE_MS, ORDERLY_CLAIM_TAKEN);
  complete_all (fixture, vip);

  g_assert_true (orderly_store_verify_run (fixture->store, run_id, &check, &error));
  g_assert_cmpint (check.orders, ==, 100);
  g_assert_cmpint (check.processed, ==, 100);
  g_assert_cmpint (check.failed + check.conflicts + check.unsettled, ==, 0);
  g_assert_cmpint (check.vip_last_settled_us, >, 0);
  g_assert_cmpint (check.normal_first_attempt_us, >, 0);
  orderly_run_check_judge (&check, TRUE);
  g_assert_cmpint (check.state, ==, ORDERLY_RUN_CHECK_PASSED);
  orderly_run_check_clear (&check);

  /* Another run's stored orders are neither this one's nor orphans. */
  g_assert_true (orderly_store_verify_run (fixture->store, run_id + 1000, &check, &error));
  g_assert_cmpint (check.orders + check.processed + check.failed + check.conflicts, ==, 0);
  g_assert_cmpint (check.vip_last_settled_us + check.normal_first_attempt_us, ==, 0);
  orderly_run_check_clear (&check);

  /* An order left to do fails the check of a run that says it is done;
   * the message reads for people. */
  g_assert_true (orderly_store_verify_run (fixture->store, run_id, &check, &error));
  check.unsettled = 1234;
  orderly_run_check_judge (&check, TRUE);
  g_assert_cmpint (check.state, ==, ORDERLY_RUN_CHECK_FAILED);
  g_assert_cmpstr (check.message, ==, "1,234 orders were never processed.");
  orderly_run_check_clear (&check);
}

/* A write that failed for the store's sake (a full disk) is the store's
 * write health until a write of orders goes through; reads, and small
 * writes that fit where orders did not, leave it. */
static void
test_write_health (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) health = NULL;
  g_autofree OrderlyOrder *orders = g_new0 (OrderlyOrder, 20000);
  OrderlyRunRecord run = { .seed = 3, .quantity = 10, .phase = ORDERLY_PHASE_WAITING_NORMAL_DRAIN,
                           .workers = 1, .started_at_us = 1, .max_attempts = 3 };
  gint64 run_id = make_run (fixture, 10, 0);

  g_assert_null (orderly_store_get_write_error (fixture->store));
  for (guint i = 0; i < 20000; i++)
    orderly_generate_order (3, run_id, 10 + i, 0.1, g_get_real_time (), &orders[i]);

  fixture->backend->set_full (fixture->data_dir, fixture->store, TRUE);
  g_assert_false (orderly_store_insert_orders (fixture->store, orders, 20000, &error));
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_NO_SPACE);
  g_clear_error (&error);
  health = orderly_store_get_write_error (fixture->store);
  g_assert_error (health, ORDERLY_ERROR, ORDERLY_ERROR_NO_SPACE);
  g_clear_error (&health);

  /* A read, or a run's row, says nothing of the room for orders. */
  g_assert_cmpint (counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_NORMAL].generated +
                   counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_VIP].generated, ==, 10);
  run.id = run_id;
  g_assert_true (orderly_store_save_run (fixture->store, &run, &error));
  g_assert_no_error (error);
  health = orderly_store_get_write_error (fixture->store);
  g_assert_nonnull (health);
  g_clear_error (&health);

  /* With room again, the next write clears it. */
  fixture->backend->set_full (fixture->data_dir, fixture->store, FALSE);
  g_assert_true (orderly_store_insert_orders (fixture->store, orders, 20000, &error));
  g_assert_no_error (error);
  g_assert_null (orderly_store_get_write_error (fixture->store));
  g_assert_cmpint (counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_NORMAL].generated +
                   counts_of (fixture, run_id).priority[ORDERLY_PRIORITY_VIP].generated, ==, 20010);
}

static void
skip_backend (gconstpointer data)
{
  const OrderlyTestBackend *backend = data;

  g_test_skip (backend->unavailable ());
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < orderly_test_n_backends; i++)
    {
      const OrderlyTestBackend *backend = &orderly_test_backends[i];
      static const struct
      {
        const char *name;
        void (*func) (Fixture *, gconstpointer);
      } cases[] = {
        { "begin-run-atomic", test_begin_run_atomic },
        { "batch-atomic", test_batch_atomic },
        { "claim-in-order", test_claim_in_order },
        { "normal-blocked", test_normal_blocked },
        { "lease-expired", test_lease_expired },
        { "complete-and-claim", test_complete_and_claim },
        { "partial", test_partial },
        { "load-later", test_load_later },
        { "failures-and-retries", test_failures_and_retries },
        { "retry-later", test_retry_later },
        { "release-claims", test_release_claims },
        { "listings", test_listings },
        { "clean", test_clean },
        { "clear-orders", test_clear_orders },
        { "write-health", test_write_health },
        { "proof", test_proof },
        { "check", test_check_finds_violation },
      };

      for (guint j = 0; j < G_N_ELEMENTS (cases); j++)
        {
          g_autofree char *path = g_strdup_printf ("/orderly/store/%s/%s", backend->name, cases[j].name);

          if (backend->unavailable != NULL && backend->unavailable () != NULL)
            g_test_add_data_func (path, backend, skip_backend);
          else
            g_test_add (path, Fixture, backend, fixture_set_up, cases[j].func, fixture_tear_down);
        }
    }
  return g_test_run ();
}
