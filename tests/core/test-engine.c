/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <json-glib/json-glib.h>

#include "orderly-engine.h"
#include "orderly-log-entry.h"
#include "orderly-sqlite-store.h"
#include "orderly-test-util.h"

/* Every case runs on each backend of orderly_test_backends, but those that
 * test what only SQLite has (a size limit standing for a full disk). */

typedef struct
{
  const OrderlyTestBackend *backend;
  char                     *data_dir;
  char                     *db_path;    /* SQLite's file */
  OrderlyStore             *store;
  OrderlyEngine            *engine;
} Fixture;

static gboolean
is_sqlite (Fixture *fixture)
{
  return g_str_equal (fixture->backend->name, "sqlite");
}

/* One integer the test's store answers @sql with. */
static gint64
query_int (Fixture    *fixture,
           const char *sql)
{
  return fixture->backend->query_int (fixture->data_dir, sql);
}

static void
fixture_open (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  fixture->store = fixture->backend->open (fixture->data_dir, &error);
  g_assert_no_error (error);
  fixture->engine = orderly_engine_new (fixture->store, &error);
  g_assert_no_error (error);
}

static void
fixture_close (Fixture *fixture)
{
  if (fixture->engine != NULL)
    {
      orderly_engine_shutdown (fixture->engine);
      g_assert_finalize_object (g_steal_pointer (&fixture->engine));
    }
  g_clear_pointer (&fixture->store, orderly_store_unref);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  fixture->backend = user_data;
  fixture->data_dir = orderly_test_make_data_dir ();
  fixture->db_path = g_build_filename (fixture->data_dir, "orderly.db", NULL);
  fixture_open (fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  fixture_close (fixture);
  orderly_test_remove_dir (fixture->data_dir);
  g_free (fixture->db_path);
  g_free (fixture->data_dir);
}

static void
start (Fixture *fixture,
       gint64   quantity,
       double   vip_share,
       guint64  seed)
{
  g_autoptr(GError) error = NULL;
  OrderlyRunRequest request = { .quantity = quantity, .vip_share = vip_share,
                                .has_seed = TRUE, .seed = seed };

  g_assert_true (orderly_engine_start_run (fixture->engine, &request, NULL, &error));
  g_assert_no_error (error);
}

static const OrderlyStatusData *
run_to_end (Fixture *fixture)
{
  g_assert_true (orderly_test_wait_for_phase (fixture->engine, orderly_test_phase_finished, 60000));
  return orderly_status_get_data (orderly_engine_get_status (fixture->engine));
}

static gboolean
is_processing (OrderlyPhase phase)
{
  return phase == ORDERLY_PHASE_WAITING_VIP_DRAIN || phase == ORDERLY_PHASE_WAITING_NORMAL_DRAIN ||
         orderly_test_phase_finished (phase);
}

static gboolean
wait_until_processing (Fixture *fixture)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      const OrderlyStatusData *d;

      orderly_engine_flush (fixture->engine);
      d = orderly_status_get_data (orderly_engine_get_status (fixture->engine));
      if (is_processing (d->phase) && d->processed_total > 0)
        return TRUE;
      g_usleep (2000);
    }
  return FALSE;
}

static void
test_engine_phases (Fixture       *fixture,
                    gconstpointer  user_data)
{
  GListModel *logs = G_LIST_MODEL (orderly_engine_get_log_store (fixture->engine));
  g_autoptr(GPtrArray) seen = g_ptr_array_new ();
  g_autoptr(GPtrArray) seen_data = g_ptr_array_new_with_free_func (g_free);
  static const char * const expected[] = {
    "Generating orders", "Queueing VIP orders", "Processing VIP orders", "Queueing normal orders",
    "Processing normal orders",
  };
  static const char * const expected_data[] = {
    "GENERATING", "ENQUEUE_VIP", "WAITING_VIP_DRAIN", "ENQUEUE_NORMAL", "WAITING_NORMAL_DRAIN",
  };
  /* Words for people: no internal names (WAITING_VIP_DRAIN, NORMAL), no
   * count of four digits or more left ungrouped (a seed is a name, not a
   * count). */
  g_autoptr(GRegex) internal = g_regex_new ("[A-Z]+_[A-Z_]+|NORMAL", 0, 0, NULL);
  g_autoptr(GRegex) ungrouped = g_regex_new ("(?<!seed )(?<![0-9,])[0-9]{4,}", 0, 0, NULL);
  gboolean grouped_seen = FALSE;
  const OrderlyStatusData *d;

  g_assert_cmpint (orderly_status_get_phase (orderly_engine_get_status (fixture->engine)), ==,
                   ORDERLY_PHASE_IDLE);
  start (fixture, 3000, 0.1, 7);
  g_assert_true (orderly_engine_is_running (fixture->engine) ||
                 orderly_test_phase_finished (orderly_status_get_phase (orderly_engine_get_status (fixture->engine))));
  d = run_to_end (fixture);
  g_assert_cmpint (d->phase, ==, ORDERLY_PHASE_DONE);

  for (guint i = 0; i < g_list_model_get_n_items (logs); i++)
    {
      g_autoptr(OrderlyLogEntry) entry = g_list_model_get_item (logs, i);

      const char *message = orderly_log_entry_get_message (entry);

      if (g_str_equal (orderly_log_entry_get_category (entry), "phase"))
        {
          g_autoptr(JsonNode) data = json_from_string (orderly_log_entry_get_data (entry), NULL);

          g_ptr_array_add (seen, (gpointer) message);
          g_ptr_array_add (seen_data, g_strdup (json_object_get_string_member (json_node_get_object (data),
                                                                              "phase")));
        }
      if (g_regex_match (internal, message, 0, NULL) || g_regex_match (ungrouped, message, 0, NULL))
        g_error ("A log line for people reads “%s”", message);
      if (strstr (message, "3,000") != NULL)
        grouped_seen = TRUE;
    }
  g_assert_true (grouped_seen);
  g_assert_cmpuint (seen->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_assert_cmpstr (seen->pdata[i], ==, expected[i]);
      g_assert_cmpstr (seen_data->pdata[i], ==, expected_data[i]);
    }
}

static void
test_engine_vip_first (Fixture       *fixture,
                       gconstpointer  user_data)
{
  gint64 vip_last, normal_first;

  /* Chunks of a tenth of a second each: every worker gets some. */
  orderly_engine_set_workers (fixture->engine, 4);
  orderly_engine_set_work_us (fixture->engine, 50);
  start (fixture, 20000, 0.2, 11);
  g_assert_cmpint (run_to_end (fixture)->phase, ==, ORDERLY_PHASE_DONE);

  vip_last = query_int (fixture,
                                     "SELECT max(processed_at) FROM orders_view WHERE priority = 'VIP'");
  normal_first = query_int (fixture,
                                         "SELECT min(processed_at) FROM orders_view WHERE priority = 'NORMAL'");
  g_assert_cmpint (vip_last, >, 0);
  g_assert_cmpint (vip_last, <, normal_first);
  g_assert_cmpint (query_int (fixture,
                                           "SELECT count(*) FROM orders_view WHERE status = 'pending'"), ==, 0);
  g_assert_cmpint (query_int (fixture,
                                           "SELECT count(DISTINCT worker) FROM orders_view"), >, 1);
  g_assert_cmpint (query_int (fixture,
                                           "SELECT count(*) FROM orders_view WHERE observations IS NULL "
                                           "OR processed_at IS NULL OR worker IS NULL"), ==, 0);
}

static void
test_engine_counts (Fixture       *fixture,
                    gconstpointer  user_data)
{
  const OrderlyStatusData *d;
  g_autoptr(GPtrArray) runs = NULL;
  OrderlyRunRecord *run;
  g_autoptr(GError) error = NULL;

  start (fixture, 10000, 0.05, 3);
  d = run_to_end (fixture);

  g_assert_cmpint (d->phase, ==, ORDERLY_PHASE_DONE);
  g_assert_cmpint (d->target, ==, 10000);
  g_assert_cmpint (d->generated, ==, 10000);
  g_assert_cmpint (d->vip_total + d->normal_total, ==, 10000);
  g_assert_cmpint (d->vip_total, >, 300);
  g_assert_cmpint (d->vip_total, <, 700);
  g_assert_cmpint (d->vip_processed, ==, d->vip_total);
  g_assert_cmpint (d->normal_processed, ==, d->normal_total);
  g_assert_cmpint (d->processed_total, ==, 10000);
  g_assert_cmpint (query_int (fixture,
                                           "SELECT count(*) FROM orders_view WHERE priority = 'VIP'"), ==,
                   d->vip_total);

  g_assert_cmpfloat (d->generation_ms, >, 0);
  g_assert_cmpfloat (d->vip_ms, >, 0);
  g_assert_cmpfloat (d->normal_ms, >, 0);
  g_assert_cmpfloat (d->total_ms, >=, d->generation_ms + d->vip_ms + d->normal_ms);
  g_assert_cmpint (d->vip_start_us, >, 0);
  g_assert_cmpint (d->vip_start_us, <=, d->vip_end_us);
  g_assert_cmpint (d->vip_end_us, <=, d->normal_start_us);
  g_assert_cmpint (d->normal_start_us, <=, d->normal_end_us);
  g_assert_cmpfloat (d->throughput_vip, >, 0);
  g_assert_cmpfloat (d->throughput_normal, >, 0);
  g_assert_cmpfloat_with_epsilon (d->throughput_overall,
                                  10000 / ((d->vip_ms + d->normal_ms) / 1000.0), 0.01);
  g_assert_cmpfloat (d->progress_percent, ==, 100);
  g_assert_cmpint (d->eta_ms, ==, 0);

  runs = orderly_engine_list_runs (fixture->engine, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 1);
  run = runs->pdata[0];
  g_assert_cmpint (run->phase, ==, ORDERLY_PHASE_DONE);
  g_assert_cmpint (run->vip_count + run->normal_count, ==, 10000);
  g_assert_cmpfloat (run->total_ms, ==, d->total_ms);
  g_assert_cmpfloat (run->vip_ms, ==, d->vip_ms);
  g_assert_cmpint (run->normal_end_us, ==, d->normal_end_us);
}

static void
test_engine_deterministic (Fixture       *fixture,
                           gconstpointer  user_data)
{
  const char *sql = "SELECT sum(id * 7 + amount * (priority + 1) + length(customer)) FROM orders";
  gint64 first, second, other;

  start (fixture, 5000, 0.05, 42);
  run_to_end (fixture);
  first = query_int (fixture, sql);
  start (fixture, 5000, 0.05, 42);
  run_to_end (fixture);
  second = query_int (fixture, sql);
  start (fixture, 5000, 0.05, 43);
  run_to_end (fixture);
  other = query_int (fixture, sql);

  g_assert_cmpint (first, ==, second);
  g_assert_cmpint (first, !=, other);
}

static void
test_engine_cancel (Fixture       *fixture,
                    gconstpointer  user_data)
{
  const OrderlyStatusData *d;
  gint64 before, took;

  orderly_engine_set_workers (fixture->engine, 2);
  orderly_engine_set_work_us (fixture->engine, 500);
  start (fixture, 50000, 0.05, 5);
  g_assert_true (wait_until_processing (fixture));

  before = g_get_monotonic_time ();
  g_assert_cmpint (orderly_engine_cancel (fixture->engine), ==, ORDERLY_PHASE_ABORTED);
  took = g_get_monotonic_time () - before;
  g_test_message ("cancel took %" G_GINT64_FORMAT " µs", took);
  g_assert_cmpint (took, <, 200 * 1000);
  g_assert_false (orderly_engine_is_running (fixture->engine));

  d = orderly_status_get_data (orderly_engine_get_status (fixture->engine));
  g_assert_cmpint (d->phase, ==, ORDERLY_PHASE_ABORTED);
  g_assert_cmpint (d->processed_total, >, 0);
  g_assert_cmpint (d->processed_total, <, 50000);
  g_assert_cmpint (query_int (fixture,
                                           "SELECT count(*) FROM orders_view WHERE status = 'processed'"), ==,
                   d->processed_total);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM orders"), ==,
                   d->generated);
}

static void
test_engine_reset (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) listed = NULL;
  OrderlyRunList *runs = orderly_engine_get_run_list (fixture->engine);
  OrderlyResetInfo info = { 0 };

  orderly_engine_set_work_us (fixture->engine, 300);
  start (fixture, 20000, 0.05, 5);
  g_assert_true (wait_until_processing (fixture));

  g_assert_false (orderly_engine_reset (fixture->engine, &info, &error));
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_BUSY);
  g_clear_error (&error);
  g_assert_true (orderly_engine_is_running (fixture->engine));

  orderly_engine_cancel (fixture->engine);
  /* A reset answers once the history no longer shows what it deleted. */
  while (orderly_run_list_get_loading (runs))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (runs)), ==, 1);
  g_assert_true (orderly_engine_reset (fixture->engine, &info, &error));
  g_assert_no_error (error);
  g_assert_cmpint (info.deleted_orders, ==, 20000);
  g_assert_cmpint (info.deleted_runs, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (runs)), ==, 0);
  listed = orderly_engine_list_runs (fixture->engine, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (listed->len, ==, 0);
  while (orderly_run_list_get_loading (runs))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (runs)), ==, 0);
  g_assert_cmpint (orderly_status_get_phase (orderly_engine_get_status (fixture->engine)), ==,
                   ORDERLY_PHASE_IDLE);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM orders"), ==, 0);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM runs"), ==, 0);
}

static void
test_engine_force (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  OrderlyRunRequest request = { .quantity = 1000, .vip_share = -1 };
  OrderlyStartInfo info = { 0 };
  gint64 first_run;

  orderly_engine_set_work_us (fixture->engine, 300);
  start (fixture, 20000, 0.05, 5);
  first_run = orderly_status_get_data (orderly_engine_get_status (fixture->engine))->run_id;

  g_assert_false (orderly_engine_start_run (fixture->engine, &request, &info, &error));
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_BUSY);
  g_clear_error (&error);
  g_assert_cmpint (orderly_status_get_data (orderly_engine_get_status (fixture->engine))->run_id,
                   ==, first_run);

  orderly_engine_set_work_us (fixture->engine, 0);
  request.force = TRUE;
  g_assert_true (orderly_engine_start_run (fixture->engine, &request, &info, &error));
  g_assert_no_error (error);
  g_assert_true (info.forced);
  g_assert_cmpint (info.run_id, >, first_run);
  g_assert_cmpint (run_to_end (fixture)->phase, ==, ORDERLY_PHASE_DONE);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM orders"), ==, 1000);
  g_assert_cmpint (query_int (fixture,
                                           "SELECT count(*) FROM runs WHERE phase = 'ABORTED'"), ==, 1);
}

static void
started_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  OrderlyStartInfo *info = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (orderly_engine_start_run_finish (ORDERLY_ENGINE (object), result, info, &error));
  g_assert_no_error (error);
}

/* The status shows a run only once the run list has it: a client that
 * reads the history when the phase changes finds the run there. Checked at
 * every status while the next run starts, which first empties the store of
 * the previous run's orders. */
static void
test_engine_start_shows_run (Fixture       *fixture,
                             gconstpointer  user_data)
{
  OrderlyRunRequest request = { .quantity = 1000, .vip_share = 0.1 };
  OrderlyRunList *runs = orderly_engine_get_run_list (fixture->engine);
  OrderlyStartInfo info = { 0 };
  gint64 first_run;
  guint checked = 0;

  start (fixture, 100000, 0.1, 9);
  g_assert_cmpint (run_to_end (fixture)->phase, ==, ORDERLY_PHASE_DONE);
  first_run = orderly_status_get_data (orderly_engine_get_status (fixture->engine))->run_id;

  orderly_engine_start_run_async (fixture->engine, &request, NULL, started_cb, &info);
  while (info.run_id == 0 || orderly_status_get_data (orderly_engine_get_status (fixture->engine))->run_id == first_run)
    {
      const OrderlyStatusData *d;

      orderly_engine_flush (fixture->engine);
      d = orderly_status_get_data (orderly_engine_get_status (fixture->engine));
      if (d->phase != ORDERLY_PHASE_DONE)
        {
          g_assert_cmpint (d->run_id, >, first_run);
          g_assert_nonnull (orderly_run_list_find (runs, d->run_id));
        }
      else
        g_assert_cmpint (d->run_id, ==, first_run);
      checked++;
      g_main_context_iteration (NULL, FALSE);
    }
  g_assert_cmpuint (checked, >, 0);
  g_assert_cmpint (orderly_status_get_data (orderly_engine_get_status (fixture->engine))->run_id, ==, info.run_id);
  g_assert_nonnull (orderly_run_list_find (runs, info.run_id));
  g_assert_cmpint (run_to_end (fixture)->phase, ==, ORDERLY_PHASE_DONE);
}

typedef struct
{
  GThread *main_thread;
  guint    off_thread;
} ThreadCheck;

/* Connected swapped, to signals of any signature. */
static void
on_main_thread_cb (ThreadCheck *check)
{
  if (g_thread_self () != check->main_thread)
    check->off_thread++;
}

/* The engine's models (status, run list, logs) change on the thread of its
 * main context only, even when that context sits idle, owned by no one,
 * while a run begins: the run's thread hands its news over and never acts
 * on the context itself. */
static void
test_engine_models_on_main_thread (Fixture       *fixture,
                                   gconstpointer  user_data)
{
  OrderlyRunRequest request = { .quantity = 200000, .vip_share = 0.1 };
  OrderlyRunList *runs = orderly_engine_get_run_list (fixture->engine);
  ThreadCheck check = { .main_thread = g_thread_self () };
  OrderlyStartInfo info = { 0 };
  gint64 deadline;

  g_signal_connect_swapped (fixture->engine, "flushed", G_CALLBACK (on_main_thread_cb), &check);
  g_signal_connect_swapped (runs, "items-changed", G_CALLBACK (on_main_thread_cb), &check);
  g_signal_connect_swapped (orderly_engine_get_status (fixture->engine), "notify",
                            G_CALLBACK (on_main_thread_cb), &check);
  g_signal_connect_swapped (orderly_engine_get_log_store (fixture->engine), "items-changed",
                            G_CALLBACK (on_main_thread_cb), &check);

  orderly_engine_set_work_us (fixture->engine, 50);
  orderly_engine_start_run_async (fixture->engine, &request, NULL, started_cb, &info);
  /* Not iterating: the run begins and generates while the context is free. */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (query_int (fixture, "SELECT count(*) FROM orders") == 0 &&
         g_get_monotonic_time () < deadline)
    g_usleep (1000);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM orders"), >, 0);

  while (info.run_id == 0)
    g_main_context_iteration (NULL, TRUE);
  orderly_engine_cancel (fixture->engine);
  g_assert_nonnull (orderly_run_list_find (runs, info.run_id));
  g_assert_cmpuint (check.off_thread, ==, 0);

  g_signal_handlers_disconnect_by_data (fixture->engine, &check);
  g_signal_handlers_disconnect_by_data (runs, &check);
  g_signal_handlers_disconnect_by_data (orderly_engine_get_status (fixture->engine), &check);
  g_signal_handlers_disconnect_by_data (orderly_engine_get_log_store (fixture->engine), &check);
}

static void
test_engine_bad_quantity (Fixture       *fixture,
                          gconstpointer  user_data)
{
  static const gint64 bad[] = { 0, -1, -1000, ORDERLY_MAX_QUANTITY + 1, G_MAXINT64 };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      OrderlyRunRequest request = { .quantity = bad[i], .vip_share = -1 };

      g_assert_false (orderly_engine_start_run (fixture->engine, &request, NULL, &error));
      g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, "quantity"));
    }
  {
    g_autoptr(GError) error = NULL;
    OrderlyRunRequest request = { .quantity = 10, .vip_share = 1.5 };

    g_assert_false (orderly_engine_start_run (fixture->engine, &request, NULL, &error));
    g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT);
  }
  g_assert_false (orderly_engine_is_running (fixture->engine));
  g_assert_cmpint (orderly_status_get_phase (orderly_engine_get_status (fixture->engine)), ==,
                   ORDERLY_PHASE_IDLE);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM runs"), ==, 0);
}

/* Iterates the main loop until @done says so, or @timeout_ms pass. */
static gboolean
wait_until (Fixture   *fixture,
            gboolean (*done) (Fixture *fixture),
            guint      timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      orderly_engine_flush (fixture->engine);
      if (done (fixture))
        return TRUE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return FALSE;
}

/* The lease of a child's claims on a shared store: a store of its own
 * gives them back at once after a kill, a shared one when they run out. */
#define CHILD_LEASE_MS 1500

static OrderlyEngine *
child_engine (OrderlyStore *store,
              gint64        work_us)
{
  g_autoptr(GError) error = NULL;
  OrderlyEngine *engine = orderly_engine_new (store, &error);

  g_assert_no_error (error);
  orderly_engine_set_workers (engine, 2);
  orderly_engine_set_work_us (engine, work_us);
  if (orderly_store_is_shared (store))
    orderly_engine_set_lease_ms (engine, CHILD_LEASE_MS);
  return engine;
}

static const OrderlyTestBackend *
find_backend (const char *name)
{
  for (guint i = 0; i < orderly_test_n_backends; i++)
    if (g_str_equal (orderly_test_backends[i].name, name))
      return &orderly_test_backends[i];
  g_error ("No backend %s", name);
}

static void
child_run_to_end (OrderlyEngine *engine)
{
  while (orderly_engine_is_running (engine))
    g_main_context_iteration (NULL, TRUE);
  orderly_engine_flush (engine);
}

/*
 * The child of the crash tests, until it is killed:
 * - run: runs a run;
 * - restart: runs one run to its end, then starts the next, saying so by
 *   creating the file "starting" in the data directory;
 * - pause: runs a run and pauses its queue once 1000 orders are processed;
 * - retry: runs a run whose orders fail often and are retried.
 */
static int
child_main (const char *mode,
            const char *backend,
            const char *data_dir,
            gint64      quantity,
            gint64      work_us)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyStore) store = NULL;
  g_autoptr(OrderlyEngine) engine = NULL;
  OrderlyRunRequest request = { .quantity = quantity, .vip_share = 0.2, .has_seed = TRUE, .seed = 9 };

  /* It goes with the test, should the test fail before killing it. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  store = find_backend (backend)->open (data_dir, &error);
  g_assert_no_error (error);
  engine = child_engine (store, work_us);
  if (g_str_equal (mode, "restart"))
    {
      g_autofree char *marker = g_build_filename (data_dir, "starting", NULL);

      g_assert_true (orderly_engine_start_run (engine, &request, NULL, &error));
      child_run_to_end (engine);
      g_assert_cmpint (orderly_status_get_phase (orderly_engine_get_status (engine)), ==, ORDERLY_PHASE_DONE);
      request.seed = 10;
      g_assert_true (g_file_set_contents (marker, "", 0, NULL));
      orderly_engine_start_run_async (engine, &request, NULL, NULL, NULL);
    }
  else
    {
      if (g_str_equal (mode, "retry"))
        {
          orderly_engine_set_failure_rate (engine, 0.5);
          orderly_engine_set_max_attempts (engine, 6);
          orderly_engine_set_retry_backoff_ms (engine, 100);
        }
      g_assert_true (orderly_engine_start_run (engine, &request, NULL, &error));
    }
  for (;;)
    {
      g_main_context_iteration (NULL, TRUE);
      if (g_str_equal (mode, "pause") &&
          orderly_status_get_data (orderly_engine_get_status (engine))->processed_total > 1000)
        orderly_engine_pause_queue (engine);
    }
  return 0;
}

static GPid
spawn_child (Fixture    *fixture,
             const char *mode,
             gint64      quantity,
             gint64      work_us)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *quantity_arg = g_strdup_printf ("%" G_GINT64_FORMAT, quantity);
  g_autofree char *work_arg = g_strdup_printf ("%" G_GINT64_FORMAT, work_us);
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  const char *argv[] = { self_exe, "--child", mode, fixture->backend->name, fixture->data_dir, quantity_arg,
                         work_arg, NULL };
  GPid pid;

  g_assert_true (g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                &pid, &error));
  g_assert_no_error (error);
  return pid;
}

static void
kill_child (GPid pid)
{
  int status;

  kill (pid, SIGKILL);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status));
  g_spawn_close_pid (pid);
}

/* The child's store has its tables. */
static gboolean
schema_ready (Fixture *fixture)
{
  if (is_sqlite (fixture))
    return g_file_test (fixture->db_path, G_FILE_TEST_EXISTS) &&
           query_int (fixture, "SELECT count(*) FROM sqlite_master WHERE name = 'queue_counts'") == 1;
  return query_int (fixture, "SELECT count(*) FROM information_schema.tables "
                             "WHERE table_name = 'queue_counts'") == 1;
}

/* Waits until the child's database answers @sql with more than @above. */
static void
wait_for_database (Fixture    *fixture,
                   const char *sql,
                   gint64      above)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  for (;;)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (schema_ready (fixture) && query_int (fixture, sql) > above)
        return;
      g_usleep (1000);
    }
}

/* Every order of the run processed exactly once, VIP before NORMAL, on the
 * stored rows. */
static void
assert_exactly_once (Fixture *fixture,
                     gint64   quantity)
{
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM orders"), ==, quantity);
  g_assert_cmpint (query_int (fixture, "SELECT max(id) FROM orders"), ==, quantity);
  g_assert_cmpint (query_int (fixture,
                                           "SELECT count(DISTINCT id) FROM orders_view WHERE status = 'processed' AND "
                                           "observations IS NOT NULL AND worker IS NOT NULL"), ==, quantity);
  g_assert_cmpint (query_int (fixture,
                                           "SELECT (SELECT count(*) FROM vip_results) + "
                                           "(SELECT count(*) FROM normal_results)"), ==, quantity);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM failures"), ==, 0);
  if (is_sqlite (fixture))
    g_assert_true (orderly_test_integrity_ok (fixture->db_path));
}

/* With no failure, the last VIP order was processed before the first NORMAL. */
static void
assert_vip_first (Fixture *fixture)
{
  g_assert_cmpint (query_int (fixture,
                                           "SELECT max(processed_at) FROM orders_view WHERE priority = 'VIP'"), <,
                   query_int (fixture,
                                           "SELECT min(processed_at) FROM orders_view WHERE priority = 'NORMAL'"));
}

static void
crash_and_resume (Fixture    *fixture,
                  gint64      quantity,
                  gint64      work_us,
                  const char *kill_when_sql,
                  gint64      kill_when_above)
{
  g_autoptr(GError) error = NULL;
  const OrderlyStatusData *d;
  GPid pid;
  gint64 processed_before, generated_before;

  fixture_close (fixture);
  pid = spawn_child (fixture, "run", quantity, work_us);
  wait_for_database (fixture, kill_when_sql, kill_when_above);
  kill_child (pid);

  fixture_open (fixture);
  orderly_engine_flush (fixture->engine);
  d = orderly_status_get_data (orderly_engine_get_status (fixture->engine));
  generated_before = query_int (fixture, "SELECT count(*) FROM orders");
  processed_before = query_int (fixture,
                                             "SELECT count(*) FROM orders_view WHERE status = 'processed'");
  g_test_message ("killed with %" G_GINT64_FORMAT " generated, %" G_GINT64_FORMAT " processed",
                  generated_before, processed_before);
  g_assert_cmpint (d->phase, ==, ORDERLY_PHASE_INTERRUPTED);
  g_assert_cmpint (d->generated, ==, generated_before);
  g_assert_cmpint (d->processed_total, ==, processed_before);
  g_assert_cmpint (d->target, ==, quantity);

  orderly_engine_set_work_us (fixture->engine, 0);
  g_assert_true (orderly_engine_resume (fixture->engine, &error));
  g_assert_no_error (error);
  d = run_to_end (fixture);

  g_assert_cmpint (d->phase, ==, ORDERLY_PHASE_DONE);
  g_assert_cmpint (d->generated, ==, quantity);
  g_assert_cmpint (d->processed_total, ==, quantity);
  assert_exactly_once (fixture, quantity);
  assert_vip_first (fixture);
}

static void
test_engine_crash_processing (Fixture       *fixture,
                              gconstpointer  user_data)
{
  crash_and_resume (fixture, 30000, 100, "SELECT count(*) FROM orders_view WHERE status = 'processed'", 2000);
}

static void
test_engine_crash_generating (Fixture       *fixture,
                              gconstpointer  user_data)
{
  crash_and_resume (fixture, 600000, 0, "SELECT count(*) FROM orders", 0);
}

static void
test_engine_suspend (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  orderly_engine_set_work_us (fixture->engine, 300);
  start (fixture, 20000, 0.05, 5);
  g_assert_true (wait_until_processing (fixture));
  fixture_close (fixture);
  fixture_open (fixture);
  g_assert_cmpint (orderly_status_get_phase (orderly_engine_get_status (fixture->engine)), ==,
                   ORDERLY_PHASE_INTERRUPTED);
  g_assert_true (orderly_engine_resume (fixture->engine, &error));
  orderly_engine_set_work_us (fixture->engine, 0);
  g_assert_cmpint (run_to_end (fixture)->processed_total, ==, 20000);
}

static void
test_engine_nothing_to_resume (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (orderly_engine_resume (fixture->engine, &error));
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_NOTHING_TO_RESUME);
}

static void
test_engine_stale_recovered (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  OrderlyRunRequest request = { .quantity = 500, .vip_share = -1 };
  OrderlyStartInfo info = { 0 };

  orderly_engine_set_work_us (fixture->engine, 300);
  start (fixture, 20000, 0.05, 5);
  g_assert_true (wait_until_processing (fixture));
  fixture_close (fixture);
  fixture_open (fixture);
  g_assert_true (orderly_engine_start_run (fixture->engine, &request, &info, &error));
  g_assert_true (info.stale_recovered);
  g_assert_false (info.forced);
  g_assert_cmpint (run_to_end (fixture)->phase, ==, ORDERLY_PHASE_DONE);
}

static void
test_engine_disk_full (Fixture       *fixture,
                       gconstpointer  user_data)
{
  const OrderlyStatusData *d;
  gint64 stored;

  orderly_sqlite_store_set_size_limit (fixture->store, 3 * 1024 * 1024);
  start (fixture, 200000, 0.05, 1);
  d = run_to_end (fixture);
  g_assert_cmpint (d->phase, ==, ORDERLY_PHASE_ERROR);
  g_assert_nonnull (d->error_message);
  g_assert_nonnull (strstr (d->error_message, "disk is full"));
  stored = query_int (fixture, "SELECT count(*) FROM orders");
  /* Whole batches or nothing. */
  g_assert_cmpint (stored % 16384, ==, 0);
  g_assert_cmpint (stored, <, 200000);
  g_assert_true (orderly_test_integrity_ok (fixture->db_path));

  /* With room again, the database works and is intact. */
  orderly_sqlite_store_set_size_limit (fixture->store, 0);
  start (fixture, 1000, 0.05, 1);
  g_assert_cmpint (run_to_end (fixture)->phase, ==, ORDERLY_PHASE_DONE);
}

/* Starting a run after a large one, killed at any moment: the store holds
 * the old run whole or the new one, and the new one resumes to the end. */
static void
test_engine_atomic_start (Fixture       *fixture,
                          gconstpointer  user_data)
{
  static const guint delays_ms[] = { 0, 1, 3, 10, 30, 100 };
  const gint64 quantity = 200000;
  gboolean saw_old = FALSE, saw_new = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (delays_ms); i++)
    {
      g_autofree char *marker = g_build_filename (fixture->data_dir, "starting", NULL);
      g_autoptr(GError) error = NULL;
      const OrderlyStatusData *d;
      GPid pid;

      fixture_close (fixture);
      orderly_test_remove_dir (fixture->data_dir);
      g_assert_cmpint (g_mkdir_with_parents (fixture->data_dir, 0700), ==, 0);
      /* A new, empty store for the child. */
      fixture_open (fixture);
      fixture_close (fixture);

      pid = spawn_child (fixture, "restart", quantity, 0);
      while (!g_file_test (marker, G_FILE_TEST_EXISTS))
        g_usleep (500);
      g_usleep (delays_ms[i] * 1000);
      kill_child (pid);

      fixture_open (fixture);
      orderly_engine_flush (fixture->engine);
      d = orderly_status_get_data (orderly_engine_get_status (fixture->engine));
      g_test_message ("killed %u ms after the start: run %" G_GINT64_FORMAT " %s", delays_ms[i], d->run_id,
                      orderly_phase_to_string (d->phase));
      if (d->run_id == 1)
        {
          /* The old run, whole. */
          saw_old = TRUE;
          g_assert_cmpint (d->phase, ==, ORDERLY_PHASE_DONE);
          g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM runs"), ==, 1);
          assert_exactly_once (fixture, quantity);
          continue;
        }
      saw_new = TRUE;
      g_assert_cmpint (d->run_id, ==, 2);
      g_assert_cmpint (query_int (fixture,
                                               "SELECT count(*) FROM orders WHERE run_id <> 2"), ==, 0);
      if (d->phase == ORDERLY_PHASE_INTERRUPTED)
        {
          g_assert_true (orderly_engine_resume (fixture->engine, &error));
          g_assert_no_error (error);
        }
      g_assert_cmpint (run_to_end (fixture)->phase, ==, ORDERLY_PHASE_DONE);
      assert_exactly_once (fixture, quantity);
      g_assert_cmpint (query_int (fixture,
                                               "SELECT count(*) FROM runs WHERE id = 1 AND phase = 'DONE'"), ==, 1);
    }
  g_test_message ("old run kept: %s, new run resumed: %s", saw_old ? "yes" : "no", saw_new ? "yes" : "no");
}

static gboolean
claiming_stopped (Fixture *fixture)
{
  const OrderlyStatusData *d = orderly_status_get_data (orderly_engine_get_status (fixture->engine));

  return d->paused && d->active_workers == 0;
}

static guint ticks;

static void
count_tick_cb (OrderlyEngine *engine,
               gpointer       user_data)
{
  ticks++;
}

static gboolean
five_ticks (Fixture *fixture)
{
  return ticks >= 5;
}

/* Lets five ticks of the engine go by: the queue has had time to move. */
static void
let_ticks_pass (Fixture *fixture)
{
  gulong handler = g_signal_connect (fixture->engine, "flushed", G_CALLBACK (count_tick_cb), NULL);

  ticks = 0;
  while (!five_ticks (fixture))
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (fixture->engine, handler);
}

static gint64
stored_processed (Fixture *fixture)
{
  return query_int (fixture,
                                 "SELECT (SELECT count(*) FROM vip_results) + (SELECT count(*) FROM normal_results)");
}

static gint64
live_claims (Fixture *fixture)
{
  return query_int (fixture, "SELECT count(*) FROM claims WHERE owner IS NOT NULL");
}

/* Claims whose lease has not run out: on a shared store, those of a killed
 * child stay stored until their leases run out and another claimant takes
 * them over. */
static gint64
leased_claims (Fixture *fixture)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM claims WHERE owner IS NOT NULL AND "
                                          "lease_until > %" G_GINT64_FORMAT, g_get_real_time ());

  return query_int (fixture, sql);
}

static gboolean
no_leased_claims (Fixture *fixture)
{
  return leased_claims (fixture) == 0;
}

static void
test_engine_pause_resume (Fixture       *fixture,
                          gconstpointer  user_data)
{
  const OrderlyStatusData *d;
  OrderlyPhase phase;
  gint64 processed, eta;

  orderly_engine_set_workers (fixture->engine, 2);
  orderly_engine_set_work_us (fixture->engine, 200);
  start (fixture, 20000, 0.1, 5);
  g_assert_true (wait_until_processing (fixture));

  g_assert_true (orderly_engine_pause_queue (fixture->engine));
  g_assert_false (orderly_engine_pause_queue (fixture->engine));
  g_assert_true (wait_until (fixture, claiming_stopped, 10000));
  d = orderly_status_get_data (orderly_engine_get_status (fixture->engine));
  phase = d->phase;
  eta = d->eta_ms;
  g_assert_true (phase == ORDERLY_PHASE_WAITING_VIP_DRAIN || phase == ORDERLY_PHASE_WAITING_NORMAL_DRAIN);
  processed = stored_processed (fixture);
  g_assert_cmpint (processed, <, 20000);
  g_assert_cmpint (live_claims (fixture), ==, 0);

  /* Nothing is claimed while paused; the phase and the ETA stay. */
  let_ticks_pass (fixture);
  g_assert_cmpint (stored_processed (fixture), ==, processed);
  g_assert_cmpint (live_claims (fixture), ==, 0);
  d = orderly_status_get_data (orderly_engine_get_status (fixture->engine));
  g_assert_cmpint (d->phase, ==, phase);
  g_assert_cmpint (d->eta_ms, ==, eta);
  g_assert_cmpint (d->processed_total, ==, processed);
  g_assert_true (d->paused);
  g_assert_cmpint (query_int (fixture, "SELECT CAST (paused AS integer) FROM runs"), ==, 1);

  orderly_engine_set_work_us (fixture->engine, 0);
  g_assert_true (orderly_engine_resume_queue (fixture->engine));
  d = run_to_end (fixture);
  g_assert_cmpint (d->phase, ==, ORDERLY_PHASE_DONE);
  g_assert_false (d->paused);
  g_assert_cmpfloat (d->paused_ms, >, 0);
  g_assert_cmpint (d->processed_total, ==, 20000);
  assert_exactly_once (fixture, 20000);
  assert_vip_first (fixture);
  /* It ended once. */
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM runs"), ==, 1);
}

static gboolean
holding_claims (Fixture *fixture)
{
  return is_processing (orderly_status_get_phase (orderly_engine_get_status (fixture->engine))) &&
         live_claims (fixture) > 0;
}

static gboolean
claims_given_back (Fixture *fixture)
{
  return claiming_stopped (fixture) && live_claims (fixture) == 0;
}

/* Orders that take the longest cost the app allows: a pause does not wait
 * for the ones under way, they go back to the queue unprocessed. */
static void
test_engine_pause_long_work (Fixture       *fixture,
                             gconstpointer  user_data)
{
  const OrderlyStatusData *d;

  orderly_engine_set_workers (fixture->engine, 2);
  orderly_engine_set_work_us (fixture->engine, 10 * G_USEC_PER_SEC);
  start (fixture, 1000, 0.1, 5);
  g_assert_true (wait_until (fixture, holding_claims, 30000));

  g_assert_true (orderly_engine_pause_queue (fixture->engine));
  /* Well under the cost of one order. */
  g_assert_true (wait_until (fixture, claims_given_back, 5000));
  g_assert_cmpint (stored_processed (fixture), ==, 0);

  /* They are claimed again; a cancel does not wait for them either. */
  g_assert_true (orderly_engine_resume_queue (fixture->engine));
  g_assert_true (wait_until (fixture, holding_claims, 5000));
  orderly_engine_cancel (fixture->engine);
  g_assert_true (orderly_test_wait_for_phase (fixture->engine, orderly_test_phase_finished, 5000));
  d = orderly_status_get_data (orderly_engine_get_status (fixture->engine));
  g_assert_cmpint (d->phase, ==, ORDERLY_PHASE_ABORTED);
  g_assert_cmpint (stored_processed (fixture), ==, 0);
  g_assert_cmpint (live_claims (fixture), ==, 0);
}

/* The priority rule on the stored times: every VIP order settled
 * (processed, or failed for good the first time) before any attempt on a
 * NORMAL order ended. */
static void
assert_vip_settled_first (Fixture *fixture)
{
  gint64 vip_settled = query_int (
    fixture,
    "SELECT coalesce (max (t), 0) FROM (SELECT max (coalesce (settled_at, processed_at)) AS t FROM vip_results "
    "UNION ALL SELECT max (settled_at) FROM failures WHERE priority = 0) AS settled");
  gint64 normal_first = query_int (
    fixture,
    "SELECT coalesce (min (t), 1000000000000000000) FROM (SELECT min (coalesce (first_attempt_at, processed_at)) "
    "AS t FROM normal_results UNION ALL SELECT min (first_attempt_at) FROM failures WHERE priority = 1) AS tried");

  g_assert_cmpint (vip_settled, >, 0);
  g_assert_cmpint (vip_settled, <=, normal_first);
}

static void
retried_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  gint64 *retried = user_data;

  *retried = orderly_engine_retry_failed_finish (ORDERLY_ENGINE (object), result, &error);
  g_assert_no_error (error);
}

static gint64
retry_failed (Fixture *fixture)
{
  gint64 retried = -1;

  orderly_engine_retry_failed_async (fixture->engine, 0, NULL, retried_cb, &retried);
  while (retried < 0)
    g_main_context_iteration (NULL, TRUE);
  return retried;
}

static void
test_engine_failures (Fixture       *fixture,
                      gconstpointer  user_data)
{
  const OrderlyStatusData *d;
  gint64 failed, retried;

  orderly_engine_set_workers (fixture->engine, 2);
  orderly_engine_set_failure_rate (fixture->engine, 0.3);
  orderly_engine_set_max_attempts (fixture->engine, 3);
  orderly_engine_set_retry_backoff_ms (fixture->engine, 2);
  start (fixture, 20000, 0.2, 8);
  d = run_to_end (fixture);

  g_assert_cmpint (d->phase, ==, ORDERLY_PHASE_DONE);
  failed = d->failed_total;
  /* 0.3 ** 3 of them: about 540. */
  g_assert_cmpint (failed, >, 300);
  g_assert_cmpint (failed, <, 800);
  g_assert_cmpint (d->processed_total + failed, ==, 20000);
  g_assert_cmpint (d->vip_failed + d->normal_failed, ==, failed);
  g_assert_cmpint (query_int (fixture,
                                           "SELECT count(*) FROM failures WHERE state = 3 AND attempts = 3 "
                                           "AND reason LIKE 'Simulated failure on attempt 3 of 3'"), ==, failed);
  g_assert_cmpint (query_int (fixture,
                                           "SELECT count(*) FROM orders_view WHERE attempts > 1 AND status = 'processed'"),
                   >, 1000);
  g_assert_cmpint (stored_processed (fixture), ==, d->processed_total);
  assert_vip_settled_first (fixture);

  /* Retried without failures, the run goes on and every order is done. */
  orderly_engine_set_failure_rate (fixture->engine, 0);
  retried = retry_failed (fixture);
  g_assert_cmpint (retried, ==, failed);
  d = run_to_end (fixture);
  g_assert_cmpint (d->phase, ==, ORDERLY_PHASE_DONE);
  g_assert_cmpint (d->processed_total, ==, 20000);
  g_assert_cmpint (d->failed_total, ==, 0);
  assert_exactly_once (fixture, 20000);
  assert_vip_settled_first (fixture);
}

/* Within the round of attempts that ended after @since_us, the last VIP
 * order settled before any NORMAL attempt of the round ended. */
static void
assert_vip_settled_first_since (Fixture *fixture,
                                gint64   since_us)
{
  g_autofree char *vip_sql = g_strdup_printf (
    "SELECT coalesce (max (t), 0) FROM (SELECT max (processed_at) AS t FROM vip_results "
    "WHERE processed_at > %" G_GINT64_FORMAT " UNION ALL SELECT max (last_attempt_at) FROM failures "
    "WHERE priority = 0 AND last_attempt_at > %" G_GINT64_FORMAT ") AS settled", since_us, since_us);
  g_autofree char *normal_sql = g_strdup_printf (
    "SELECT coalesce (min (t), 1000000000000000000) FROM (SELECT min (processed_at) AS t FROM normal_results "
    "WHERE processed_at > %" G_GINT64_FORMAT " UNION ALL SELECT min (last_attempt_at) FROM failures "
    "WHERE priority = 1 AND last_attempt_at > %" G_GINT64_FORMAT ") AS tried", since_us, since_us);

  g_assert_cmpint (query_int (fixture, vip_sql), <=, query_int (fixture, normal_sql));
}

static void
test_engine_retry_failed_rounds (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  const gint64 quantity = 8000;
  const OrderlyStatusData *d;
  gint64 failed, rounds = 0;

  orderly_engine_set_workers (fixture->engine, 2);
  orderly_engine_set_failure_rate (fixture->engine, 0.5);
  orderly_engine_set_max_attempts (fixture->engine, 3);
  orderly_engine_set_retry_backoff_ms (fixture->engine, 1);
  start (fixture, quantity, 0.2, 21);
  d = run_to_end (fixture);
  g_assert_cmpint (d->phase, ==, ORDERLY_PHASE_DONE);
  failed = d->failed_total;
  /* 0.5 ** 3 of them: about 1,000. */
  g_assert_cmpint (failed, >, 700);
  g_assert_cmpint (failed, <, 1300);

  /* At the same failure rate, each retry is a fresh set of attempts that
   * fails again as rarely as the first did: about an eighth each time. */
  while (failed > 0)
    {
      gint64 since_us = g_get_real_time ();
      gint64 retried = retry_failed (fixture);
      gint64 before = failed;

      g_assert_cmpint (retried, ==, before);
      d = run_to_end (fixture);
      g_assert_cmpint (d->phase, ==, ORDERLY_PHASE_DONE);
      failed = d->failed_total;
      g_assert_cmpint (d->processed_total + failed, ==, quantity);
      g_assert_cmpint (d->vip_failed + d->normal_failed, ==, failed);
      g_assert_true (failed <= before / 3 || failed < 3);
      g_assert_cmpint (stored_processed (fixture), ==, d->processed_total);
      /* The attempt numbers go on: a retried order's count is never reset. */
      g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM failures WHERE attempts % 3 <> 0"), ==, 0);
      g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM failures WHERE attempts <= 3"), ==, 0);
      assert_vip_settled_first_since (fixture, since_us);
      g_assert_cmpint (++rounds, <=, 8);
    }

  assert_exactly_once (fixture, quantity);
  g_assert_cmpint (query_int (fixture,
                              "SELECT count(*) FROM orders_view WHERE status = 'processed' AND attempts > 3"),
                   >, 700);
  g_assert_cmpint (query_int (fixture, "SELECT max (attempts) FROM orders_view"), >, 3 * rounds);
  g_assert_cmpint (query_int (fixture, "SELECT max (attempts) FROM orders_view"), <=, 3 * (rounds + 1));
}

static void
test_engine_kill_paused (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  const OrderlyStatusData *d;
  gint64 processed;
  GPid pid;

  fixture_close (fixture);
  pid = spawn_child (fixture, "pause", 20000, 300);
  wait_for_database (fixture, "SELECT count(*) FROM runs WHERE paused", 0);
  kill_child (pid);

  fixture_open (fixture);
  d = orderly_status_get_data (orderly_engine_get_status (fixture->engine));
  g_assert_cmpint (d->phase, ==, ORDERLY_PHASE_INTERRUPTED);
  g_assert_true (d->paused);
  g_assert_true (orderly_engine_is_paused (fixture->engine));
  /* The child's leases run out (at once on a store of its own). */
  g_assert_true (wait_until (fixture, no_leased_claims, 10 * CHILD_LEASE_MS));

  /* Resumed, it goes on paused: nothing processed, nothing claimed. */
  processed = stored_processed (fixture);
  orderly_engine_set_work_us (fixture->engine, 0);
  g_assert_true (orderly_engine_resume (fixture->engine, &error));
  g_assert_no_error (error);
  let_ticks_pass (fixture);
  g_assert_true (orderly_engine_is_running (fixture->engine));
  g_assert_cmpint (stored_processed (fixture), ==, processed);
  g_assert_cmpint (leased_claims (fixture), ==, 0);
  g_assert_true (orderly_status_get_data (orderly_engine_get_status (fixture->engine))->paused);

  g_assert_true (orderly_engine_resume_queue (fixture->engine));
  d = run_to_end (fixture);
  g_assert_cmpint (d->phase, ==, ORDERLY_PHASE_DONE);
  assert_exactly_once (fixture, 20000);
  assert_vip_first (fixture);
}

static void
test_engine_kill_retrying (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  const OrderlyStatusData *d;
  GPid pid;

  fixture_close (fixture);
  pid = spawn_child (fixture, "retry", 20000, 50);
  wait_for_database (fixture, "SELECT count(*) FROM failures WHERE state = 4", 50);
  kill_child (pid);

  fixture_open (fixture);
  d = orderly_status_get_data (orderly_engine_get_status (fixture->engine));
  g_assert_cmpint (d->phase, ==, ORDERLY_PHASE_INTERRUPTED);
  g_assert_cmpint (d->queue_delayed, >, 0);
  orderly_engine_set_work_us (fixture->engine, 0);
  g_assert_true (orderly_engine_resume (fixture->engine, &error));
  g_assert_no_error (error);
  d = run_to_end (fixture);
  g_assert_cmpint (d->phase, ==, ORDERLY_PHASE_DONE);
  g_assert_cmpint (d->processed_total, ==, 20000);
  assert_exactly_once (fixture, 20000);
  g_assert_cmpint (query_int (fixture,
                                           "SELECT count(*) FROM orders_view WHERE attempts > 1"), >, 50);
  assert_vip_settled_first (fixture);
}

static void
page_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  OrderlyJobPage **page = user_data;
  GError *error = NULL;

  *page = orderly_engine_list_jobs_finish (ORDERLY_ENGINE (object), result, &error);
  if (*page == NULL)
    {
      g_assert_nonnull (error);
      g_error_free (error);
      *page = g_new0 (OrderlyJobPage, 1);
    }
}

static OrderlyJobPage *
list_jobs (Fixture               *fixture,
           const OrderlyJobQuery *query)
{
  OrderlyJobPage *page = NULL;

  orderly_engine_list_jobs_async (fixture->engine, query, NULL, page_cb, &page);
  while (page == NULL)
    g_main_context_iteration (NULL, TRUE);
  return page;
}

static void
test_engine_job_listings (Fixture       *fixture,
                          gconstpointer  user_data)
{
  OrderlyJobQuery query = { .states = { ORDERLY_JOB_STATE_WAITING, ORDERLY_JOB_STATE_ACTIVE,
                                        ORDERLY_JOB_STATE_COMPLETED }, .n_states = 3,
                            .start = 0, .end = 99, .with_data = TRUE };
  OrderlyJobQuery paused_query = { .states = { ORDERLY_JOB_STATE_PAUSED, ORDERLY_JOB_STATE_WAITING },
                                   .n_states = 2, .start = 10, .end = 14 };
  OrderlyJobQuery bad = { .states = { ORDERLY_JOB_STATE_WAITING }, .n_states = 1, .start = 5, .end = 4 };
  g_autoptr(OrderlyJobPage) page = NULL;
  guint by_state[ORDERLY_N_JOB_STATES] = { 0 };

  orderly_engine_set_workers (fixture->engine, 2);
  orderly_engine_set_work_us (fixture->engine, 300);
  start (fixture, 5000, 0.2, 4);
  g_assert_true (wait_until_processing (fixture));

  page = list_jobs (fixture, &query);
  g_assert_nonnull (page->jobs);
  g_assert_cmpint (page->counts.waiting, >, 100);
  g_assert_cmpint (page->counts.waiting + page->counts.active + page->counts.completed +
                   page->counts.delayed + page->counts.failed, ==, 5000);
  for (guint i = 0; i < page->jobs->len; i++)
    {
      OrderlyJob *job = page->jobs->pdata[i];

      by_state[job->state]++;
      g_assert_true (job->has_data);
      g_assert_nonnull (job->tier);
      if (job->priority == ORDERLY_PRIORITY_VIP)
        g_assert_cmpstr (job->tier, ==, "DIAMOND");
      else
        g_assert_cmpstr (job->tier, !=, "DIAMOND");
    }
  g_assert_cmpuint (by_state[ORDERLY_JOB_STATE_WAITING], ==, 100);
  g_assert_cmpuint (by_state[ORDERLY_JOB_STATE_ACTIVE], <=, 100);
  g_assert_cmpuint (by_state[ORDERLY_JOB_STATE_COMPLETED], ==, MIN (100, page->counts.completed));
  g_clear_pointer (&page, orderly_job_page_free);

  /* Paused, the waiting orders are paused ones. */
  orderly_engine_pause_queue (fixture->engine);
  page = list_jobs (fixture, &paused_query);
  g_assert_true (page->counts.queue_paused);
  g_assert_cmpint (page->counts.waiting, ==, 0);
  g_assert_cmpint (page->counts.paused, >, 0);
  g_assert_cmpuint (page->jobs->len, ==, 5);
  g_assert_cmpint (((OrderlyJob *) page->jobs->pdata[0])->state, ==, ORDERLY_JOB_STATE_PAUSED);
  g_assert_false (((OrderlyJob *) page->jobs->pdata[0])->has_data);
  g_clear_pointer (&page, orderly_job_page_free);

  page = list_jobs (fixture, &bad);
  g_assert_null (page->jobs);
  orderly_engine_resume_queue (fixture->engine);
}

typedef struct
{
  gint64           count;
  gboolean         done;
  GError          *error;
  OrderlyPurgeInfo purge;
} OpResult;

static void
clean_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  OpResult *op = user_data;

  op->count = orderly_engine_clean_finish (ORDERLY_ENGINE (object), result, &op->error);
  op->done = TRUE;
}

static void
purge_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  OpResult *op = user_data;

  orderly_engine_purge_finish (ORDERLY_ENGINE (object), result, &op->purge, &op->error);
  op->done = TRUE;
}

static void
close_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  OpResult *op = user_data;

  orderly_engine_close_finish (ORDERLY_ENGINE (object), result, &op->count, &op->error);
  op->done = TRUE;
}

static void
wait_op (OpResult *op)
{
  while (!op->done)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_engine_clean_purge_close (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  OrderlyJobQuery all_query = { .states = { ORDERLY_JOB_STATE_WAITING, ORDERLY_JOB_STATE_ACTIVE,
                                            ORDERLY_JOB_STATE_DELAYED, ORDERLY_JOB_STATE_PAUSED,
                                            ORDERLY_JOB_STATE_COMPLETED }, .n_states = 5,
                                .start = 0, .end = 9 };
  OrderlyJobPage *page;
  OpResult op = { 0 };
  OrderlyQueueCounts counts;
  const OrderlyStatusData *d;

  start (fixture, 2000, 0.1, 3);
  g_assert_cmpint (run_to_end (fixture)->phase, ==, ORDERLY_PHASE_DONE);

  /* Clean removes settled orders; the run's figures keep them. */
  orderly_engine_clean_async (fixture->engine, ORDERLY_JOB_STATE_COMPLETED, 0, 500, NULL, clean_cb, &op);
  wait_op (&op);
  g_assert_no_error (op.error);
  g_assert_cmpint (op.count, ==, 500);
  orderly_engine_get_queue_counts (fixture->engine, &counts);
  g_assert_cmpint (counts.completed, ==, 1500);
  g_assert_cmpint (orderly_status_get_data (orderly_engine_get_status (fixture->engine))->processed_total, ==, 2000);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM orders"), ==, 1500);

  /* Waiting orders are work to do: never cleaned. */
  op = (OpResult) { 0 };
  orderly_engine_clean_async (fixture->engine, ORDERLY_JOB_STATE_WAITING, 0, 500, NULL, clean_cb, &op);
  wait_op (&op);
  g_assert_error (op.error, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT);
  g_clear_error (&op.error);

  /* Close lets go of a run, which stays resumable. */
  orderly_engine_set_workers (fixture->engine, 2);
  orderly_engine_set_work_us (fixture->engine, 300);
  start (fixture, 20000, 0.1, 4);
  g_assert_true (wait_until_processing (fixture));
  op = (OpResult) { 0 };
  orderly_engine_close_async (fixture->engine, NULL, close_cb, &op);
  wait_op (&op);
  g_assert_no_error (op.error);
  g_assert_cmpint (op.count, ==, 2);
  g_assert_cmpint (orderly_status_get_phase (orderly_engine_get_status (fixture->engine)), ==,
                   ORDERLY_PHASE_INTERRUPTED);

  /* Purge drops the waiting work: the run is not resumable any more. */
  op = (OpResult) { 0 };
  orderly_engine_purge_async (fixture->engine, FALSE, NULL, purge_cb, &op);
  wait_op (&op);
  g_assert_no_error (op.error);
  g_assert_cmpint (op.purge.run_id, ==, 2);
  g_assert_cmpint (op.purge.dropped, >, 0);
  d = orderly_status_get_data (orderly_engine_get_status (fixture->engine));
  g_assert_cmpint (d->phase, ==, ORDERLY_PHASE_ABORTED);
  g_assert_cmpint (op.purge.dropped + d->processed_total, ==, 20000);
  g_assert_false (orderly_engine_resume (fixture->engine, &error));
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_NOTHING_TO_RESUME);
  g_clear_error (&error);

  /* The dropped orders are no work in the queue any more, whether counted
   * or listed; what was processed is still there. */
  orderly_engine_get_queue_counts (fixture->engine, &counts);
  g_assert_cmpint (counts.waiting + counts.paused + counts.active + counts.delayed, ==, 0);
  g_assert_cmpint (counts.completed, ==, d->processed_total);
  g_assert_cmpint (d->queue_waiting + d->queue_active + d->queue_delayed, ==, 0);
  page = list_jobs (fixture, &all_query);
  g_assert_cmpint (page->counts.waiting + page->counts.paused + page->counts.active +
                   page->counts.delayed, ==, 0);
  g_assert_cmpint (page->counts.completed, ==, d->processed_total);
  for (guint i = 0; i < page->jobs->len; i++)
    g_assert_cmpint (((OrderlyJob *) page->jobs->pdata[i])->state, ==, ORDERLY_JOB_STATE_COMPLETED);
  g_clear_pointer (&page, orderly_job_page_free);

  /* Obliterate deletes the stored orders too: nothing is counted as stored. */
  op = (OpResult) { 0 };
  orderly_engine_purge_async (fixture->engine, TRUE, NULL, purge_cb, &op);
  wait_op (&op);
  g_assert_no_error (op.error);
  g_assert_cmpint (op.purge.dropped, ==, 0);
  g_assert_cmpint (op.purge.deleted_orders, ==, 20000);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM orders"), ==, 0);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM runs"), ==, 2);
  orderly_engine_get_queue_counts (fixture->engine, &counts);
  g_assert_cmpint (counts.waiting + counts.paused + counts.active + counts.delayed + counts.completed +
                   counts.failed, ==, 0);
  page = list_jobs (fixture, &all_query);
  g_assert_cmpint (page->counts.completed + page->counts.failed, ==, 0);
  g_assert_cmpuint (page->jobs->len, ==, 0);
  d = orderly_status_get_data (orderly_engine_get_status (fixture->engine));
  g_assert_cmpint (op.purge.dropped + d->processed_total, <=, 20000);
  g_assert_cmpint (d->processed_total, >, 0);
}

static void
recovered_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  gint64 *recovered = user_data;

  *recovered = orderly_engine_recover_stuck_finish (ORDERLY_ENGINE (object), result, &error);
  g_assert_no_error (error);
}

static gboolean
none_active (Fixture *fixture)
{
  OrderlyQueueCounts counts;

  orderly_engine_get_queue_counts (fixture->engine, &counts);
  return counts.active == 0;
}

/* A claim left by a worker that hung: recover-stuck puts its orders back,
 * and the run still processes every order once. */
static void
test_engine_recover_stuck (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  OrderlyClaimRequest request = { 0, ORDERLY_PRIORITY_VIP, 50, "a-hung-instance", 0 };
  OrderlyClaimAnswer answer;
  OrderlyQueueCounts counts;
  gint64 recovered = -1;

  orderly_engine_set_workers (fixture->engine, 2);
  orderly_engine_set_work_us (fixture->engine, 200);
  start (fixture, 20000, 0.2, 12);
  g_assert_true (wait_until_processing (fixture));
  orderly_engine_pause_queue (fixture->engine);
  g_assert_true (wait_until (fixture, claiming_stopped, 10000));

  request.run_id = orderly_status_get_data (orderly_engine_get_status (fixture->engine))->run_id;
  g_assert_true (orderly_store_claim (fixture->store, &request, &answer, &error));
  if (answer.result != ORDERLY_CLAIM_TAKEN)
    {
      request.priority = ORDERLY_PRIORITY_NORMAL;
      g_assert_true (orderly_store_claim (fixture->store, &request, &answer, &error));
    }
  g_assert_cmpint (answer.result, ==, ORDERLY_CLAIM_TAKEN);
  g_assert_cmpint (live_claims (fixture), ==, 1);

  orderly_engine_recover_stuck_async (fixture->engine, 0, NULL, recovered_cb, &recovered);
  while (recovered < 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (recovered, ==, answer.claim->n_orders);
  g_assert_cmpint (live_claims (fixture), ==, 0);
  g_assert_true (wait_until (fixture, none_active, 10000));
  orderly_engine_get_queue_counts (fixture->engine, &counts);
  g_assert_cmpint (counts.active, ==, 0);
  g_assert_cmpint (counts.paused, >, 0);

  /* The hung worker comes back too late: refused. */
  g_assert_false (orderly_store_complete_claim (fixture->store, answer.claim, NULL, 0, NULL, NULL, &error));
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_LEASE_EXPIRED);
  orderly_claim_answer_clear (&answer);

  orderly_engine_set_work_us (fixture->engine, 0);
  orderly_engine_resume_queue (fixture->engine);
  g_assert_cmpint (run_to_end (fixture)->phase, ==, ORDERLY_PHASE_DONE);
  assert_exactly_once (fixture, 20000);
}

static gboolean
first_status_seen (Fixture *fixture)
{
  return orderly_status_get_data (orderly_engine_get_status (fixture->engine))->run_id > 0;
}

static void
proof_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  OrderlyPriorityProof **proof = user_data;
  g_autoptr(GError) error = NULL;

  *proof = orderly_engine_get_priority_proof_finish (ORDERLY_ENGINE (object), result, &error);
  g_assert_no_error (error);
}

static gboolean
checked (Fixture *fixture)
{
  g_autoptr(OrderlyRun) run = g_list_model_get_item (G_LIST_MODEL (orderly_engine_get_run_list (fixture->engine)), 0);

  return orderly_run_get_record (run)->check_state != ORDERLY_RUN_CHECK_NONE;
}

static void
test_engine_status_and_proof (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autoptr(OrderlyPriorityProof) proof = NULL;
  const OrderlyStatusData *d;
  g_autoptr(OrderlyRun) run = NULL;

  orderly_engine_set_workers (fixture->engine, 2);
  orderly_engine_set_work_us (fixture->engine, 20);
  start (fixture, 50000, 0.1, 6);

  /* The first status of a run: no time taken from before it began. */
  g_assert_true (wait_until (fixture, first_status_seen, 10000));
  d = orderly_status_get_data (orderly_engine_get_status (fixture->engine));
  g_assert_cmpfloat (d->generation_ms, <, 5000);
  g_assert_cmpfloat (d->total_ms, <, 5000);

  g_assert_true (wait_until_processing (fixture));
  d = orderly_status_get_data (orderly_engine_get_status (fixture->engine));
  /* Progress counts processed orders against the target. */
  g_assert_cmpfloat_with_epsilon (d->progress_percent, 100.0 * d->processed_total / 50000, 1e-9);
  g_assert_cmpfloat (d->generation_percent, ==, 100);
  g_assert_cmpint (d->vip_total + d->normal_total, ==, 50000);

  d = run_to_end (fixture);
  g_assert_cmpint (d->phase, ==, ORDERLY_PHASE_DONE);
  g_assert_cmpfloat (d->progress_percent, ==, 100);

  orderly_engine_get_priority_proof_async (fixture->engine, 0, NULL, proof_cb, &proof);
  while (proof == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (proof->vip_before_normal);
  g_assert_cmpuint (proof->vip_waits, ==, d->vip_processed);
  g_assert_cmpuint (proof->normal_waits, ==, d->normal_processed);
  g_assert_cmpint (proof->vip_wait_p50_us, >, 0);
  g_assert_cmpint (proof->vip_wait_p50_us, <=, proof->vip_wait_p95_us);
  g_assert_cmpint (proof->vip_wait_p95_us, <, proof->normal_wait_p50_us);
  g_assert_cmpint (proof->normal_wait_p50_us, <=, proof->normal_wait_p95_us);
  g_assert_cmpint (proof->processed, ==, 50000);
  g_assert_cmpint (proof->unsettled, ==, 0);

  /* The run's check, on its stored rows, is kept with it. */
  g_assert_true (wait_until (fixture, checked, 30000));
  run = g_list_model_get_item (G_LIST_MODEL (orderly_engine_get_run_list (fixture->engine)), 0);
  g_assert_cmpint (orderly_run_get_record (run)->check_state, ==, ORDERLY_RUN_CHECK_PASSED);
  g_assert_cmpint (query_int (fixture, "SELECT check_state FROM runs"), ==,
                   ORDERLY_RUN_CHECK_PASSED);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM run_samples"), >, 0);
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
  if (argc == 7 && g_str_equal (argv[1], "--child"))
    return child_main (argv[2], argv[3], argv[4], g_ascii_strtoll (argv[5], NULL, 10),
                       g_ascii_strtoll (argv[6], NULL, 10));

  g_test_init (&argc, &argv, NULL);

for (guint i = 0; i < orderly_test_n_backends; i++)
    {
      const OrderlyTestBackend *backend = &orderly_test_backends[i];
      static const struct
      {
        const char *name;
        void (*func) (Fixture *, gconstpointer);
        gboolean    sqlite_only;
      } cases[] = {
        { "phases", test_engine_phases, FALSE },
        { "vip-first", test_engine_vip_first, FALSE },
        { "counts", test_engine_counts, FALSE },
        { "deterministic", test_engine_deterministic, FALSE },
        { "cancel", test_engine_cancel, FALSE },
        { "reset", test_engine_reset, FALSE },
        { "force", test_engine_force, FALSE },
        { "start-shows-run", test_engine_start_shows_run, FALSE },
        { "models-on-main-thread", test_engine_models_on_main_thread, FALSE },
        { "bad-quantity", test_engine_bad_quantity, FALSE },
        { "crash-processing", test_engine_crash_processing, FALSE },
        { "crash-generating", test_engine_crash_generating, FALSE },
        { "suspend", test_engine_suspend, FALSE },
        { "nothing-to-resume", test_engine_nothing_to_resume, FALSE },
        { "stale-recovered", test_engine_stale_recovered, FALSE },
        { "disk-full", test_engine_disk_full, TRUE },
        { "atomic-start", test_engine_atomic_start, FALSE },
        { "pause-resume", test_engine_pause_resume, FALSE },
        { "pause-long-work", test_engine_pause_long_work, FALSE },
        { "failures", test_engine_failures, FALSE },
        { "retry-failed-rounds", test_engine_retry_failed_rounds, FALSE },
        { "kill-paused", test_engine_kill_paused, FALSE },
        { "kill-retrying", test_engine_kill_retrying, FALSE },
        { "job-listings", test_engine_job_listings, FALSE },
        { "clean-purge-close", test_engine_clean_purge_close, FALSE },
        { "recover-stuck", test_engine_recover_stuck, FALSE },
        { "status-and-proof", test_engine_status_and_proof, FALSE },
      };

      for (guint j = 0; j < G_N_ELEMENTS (cases); j++)
        {
          g_autofree char *path = g_strdup_printf ("/orderly/engine/%s/%s", backend->name, cases[j].name);

          if (cases[j].sqlite_only && !g_str_equal (backend->name, "sqlite"))
            continue;
          if (backend->unavailable != NULL && backend->unavailable () != NULL)
            g_test_add_data_func (path, backend, skip_backend);
          else
            g_test_add (path, Fixture, backend, fixture_set_up, cases[j].func, fixture_tear_down);
        }
    }

  return g_test_run ();
}
