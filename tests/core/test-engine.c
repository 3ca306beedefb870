/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <sys/wait.h>

#include "orderly-engine.h"
#include "orderly-log-entry.h"
#include "orderly-sqlite-store.h"
#include "orderly-test-util.h"

typedef struct
{
  char          *data_dir;
  char          *db_path;
  OrderlyStore  *store;
  OrderlyEngine *engine;
} Fixture;

static void
fixture_open (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  fixture->store = orderly_sqlite_store_new (fixture->db_path, &error);
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
  static const char * const expected[] = {
    "GENERATING", "ENQUEUE_VIP", "WAITING_VIP_DRAIN", "ENQUEUE_NORMAL", "WAITING_NORMAL_DRAIN",
  };
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

      if (g_str_equal (orderly_log_entry_get_category (entry), "phase"))
        g_ptr_array_add (seen, (gpointer) (orderly_log_entry_get_message (entry) + strlen ("Phase ")));
    }
  g_assert_cmpuint (seen->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpstr (seen->pdata[i], ==, expected[i]);
}

static void
test_engine_vip_first (Fixture       *fixture,
                       gconstpointer  user_data)
{
  gint64 vip_last, normal_first;

  orderly_engine_set_workers (fixture->engine, 4);
  start (fixture, 20000, 0.2, 11);
  g_assert_cmpint (run_to_end (fixture)->phase, ==, ORDERLY_PHASE_DONE);

  vip_last = orderly_test_query_int (fixture->db_path,
                                     "SELECT max(processed_at) FROM orders_view WHERE priority = 'VIP'");
  normal_first = orderly_test_query_int (fixture->db_path,
                                         "SELECT min(processed_at) FROM orders_view WHERE priority = 'NORMAL'");
  g_assert_cmpint (vip_last, >, 0);
  g_assert_cmpint (vip_last, <, normal_first);
  g_assert_cmpint (orderly_test_query_int (fixture->db_path,
                                           "SELECT count(*) FROM orders_view WHERE status = 'pending'"), ==, 0);
  g_assert_cmpint (orderly_test_query_int (fixture->db_path,
                                           "SELECT count(DISTINCT worker) FROM orders_view"), >, 1);
  g_assert_cmpint (orderly_test_query_int (fixture->db_path,
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
  g_assert_cmpint (orderly_test_query_int (fixture->db_path,
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
  first = orderly_test_query_int (fixture->db_path, sql);
  start (fixture, 5000, 0.05, 42);
  run_to_end (fixture);
  second = orderly_test_query_int (fixture->db_path, sql);
  start (fixture, 5000, 0.05, 43);
  run_to_end (fixture);
  other = orderly_test_query_int (fixture->db_path, sql);

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
  g_assert_cmpint (orderly_test_query_int (fixture->db_path,
                                           "SELECT count(*) FROM orders_view WHERE status = 'processed'"), ==,
                   d->processed_total);
  g_assert_cmpint (orderly_test_query_int (fixture->db_path, "SELECT count(*) FROM orders"), ==,
                   d->generated);
}

static void
test_engine_reset (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  OrderlyResetInfo info = { 0 };

  orderly_engine_set_work_us (fixture->engine, 300);
  start (fixture, 20000, 0.05, 5);
  g_assert_true (wait_until_processing (fixture));

  g_assert_false (orderly_engine_reset (fixture->engine, &info, &error));
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_BUSY);
  g_clear_error (&error);
  g_assert_true (orderly_engine_is_running (fixture->engine));

  orderly_engine_cancel (fixture->engine);
  g_assert_true (orderly_engine_reset (fixture->engine, &info, &error));
  g_assert_no_error (error);
  g_assert_cmpint (info.deleted_orders, ==, 20000);
  g_assert_cmpint (info.deleted_runs, ==, 1);
  g_assert_cmpint (orderly_status_get_phase (orderly_engine_get_status (fixture->engine)), ==,
                   ORDERLY_PHASE_IDLE);
  g_assert_cmpint (orderly_test_query_int (fixture->db_path, "SELECT count(*) FROM orders"), ==, 0);
  g_assert_cmpint (orderly_test_query_int (fixture->db_path, "SELECT count(*) FROM runs"), ==, 0);
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
  g_assert_cmpint (orderly_test_query_int (fixture->db_path, "SELECT count(*) FROM orders"), ==, 1000);
  g_assert_cmpint (orderly_test_query_int (fixture->db_path,
                                           "SELECT count(*) FROM runs WHERE phase = 'ABORTED'"), ==, 1);
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
  g_assert_cmpint (orderly_test_query_int (fixture->db_path, "SELECT count(*) FROM runs"), ==, 0);
}

/* The child of the crash test: runs until it is killed. */
static int
child_main (const char *db_path,
            gint64      quantity,
            gint64      work_us)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyStore) store = orderly_sqlite_store_new (db_path, &error);
  g_autoptr(OrderlyEngine) engine = NULL;
  OrderlyRunRequest request = { .quantity = quantity, .vip_share = 0.2, .has_seed = TRUE, .seed = 9 };

  g_assert_no_error (error);
  engine = orderly_engine_new (store, &error);
  g_assert_no_error (error);
  orderly_engine_set_workers (engine, 2);
  orderly_engine_set_work_us (engine, work_us);
  g_assert_true (orderly_engine_start_run (engine, &request, NULL, &error));
  for (;;)
    g_main_context_iteration (NULL, TRUE);
  return 0;
}

static void
crash_and_resume (Fixture    *fixture,
                  gint64      quantity,
                  gint64      work_us,
                  const char *kill_when_sql,
                  gint64      kill_when_above)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *quantity_arg = g_strdup_printf ("%" G_GINT64_FORMAT, quantity);
  g_autofree char *work_arg = g_strdup_printf ("%" G_GINT64_FORMAT, work_us);
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  const char *argv[] = { self_exe, "--child",
                         fixture->db_path, quantity_arg, work_arg, NULL };
  const OrderlyStatusData *d;
  GPid pid;
  int status;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  gint64 processed_before, generated_before;

  fixture_close (fixture);

  g_assert_true (g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                &pid, &error));
  g_assert_no_error (error);
  for (;;)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (g_file_test (fixture->db_path, G_FILE_TEST_EXISTS) &&
          orderly_test_query_int (fixture->db_path,
                                  "SELECT count(*) FROM sqlite_master WHERE name = 'orders'") == 1 &&
          orderly_test_query_int (fixture->db_path, kill_when_sql) > kill_when_above)
        break;
      g_usleep (1000);
    }
  kill (pid, SIGKILL);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status));
  g_spawn_close_pid (pid);

  fixture_open (fixture);
  orderly_engine_flush (fixture->engine);
  d = orderly_status_get_data (orderly_engine_get_status (fixture->engine));
  generated_before = orderly_test_query_int (fixture->db_path, "SELECT count(*) FROM orders");
  processed_before = orderly_test_query_int (fixture->db_path,
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
  g_assert_cmpint (orderly_test_query_int (fixture->db_path, "SELECT count(*) FROM orders"), ==, quantity);
  g_assert_cmpint (orderly_test_query_int (fixture->db_path, "SELECT max(id) FROM orders"), ==, quantity);
  g_assert_cmpint (orderly_test_query_int (fixture->db_path,
                                           "SELECT count(*) FROM orders_view WHERE status = 'processed' AND "
                                           "observations IS NOT NULL AND worker IS NOT NULL"), ==, quantity);
  /* Every order processed before the crash kept its first result. */
  g_assert_true (orderly_test_integrity_ok (fixture->db_path));
  g_assert_cmpint (orderly_test_query_int (fixture->db_path,
                                           "SELECT max(processed_at) FROM orders_view WHERE priority = 'VIP'"), <,
                   orderly_test_query_int (fixture->db_path,
                                           "SELECT min(processed_at) FROM orders_view WHERE priority = 'NORMAL'"));
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
  stored = orderly_test_query_int (fixture->db_path, "SELECT count(*) FROM orders");
  /* Whole batches or nothing. */
  g_assert_cmpint (stored % 16384, ==, 0);
  g_assert_cmpint (stored, <, 200000);
  g_assert_true (orderly_test_integrity_ok (fixture->db_path));

  /* With room again, the database works and is intact. */
  orderly_sqlite_store_set_size_limit (fixture->store, 0);
  start (fixture, 1000, 0.05, 1);
  g_assert_cmpint (run_to_end (fixture)->phase, ==, ORDERLY_PHASE_DONE);
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 5 && g_str_equal (argv[1], "--child"))
    return child_main (argv[2], g_ascii_strtoll (argv[3], NULL, 10), g_ascii_strtoll (argv[4], NULL, 10));

  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/orderly/engine/phases", test_engine_phases);
  ADD ("/orderly/engine/vip-first", test_engine_vip_first);
  ADD ("/orderly/engine/counts", test_engine_counts);
  ADD ("/orderly/engine/deterministic", test_engine_deterministic);
  ADD ("/orderly/engine/cancel", test_engine_cancel);
  ADD ("/orderly/engine/reset", test_engine_reset);
  ADD ("/orderly/engine/force", test_engine_force);
  ADD ("/orderly/engine/bad-quantity", test_engine_bad_quantity);
  ADD ("/orderly/engine/crash-processing", test_engine_crash_processing);
  ADD ("/orderly/engine/crash-generating", test_engine_crash_generating);
  ADD ("/orderly/engine/suspend", test_engine_suspend);
  ADD ("/orderly/engine/nothing-to-resume", test_engine_nothing_to_resume);
  ADD ("/orderly/engine/stale-recovered", test_engine_stale_recovered);
  ADD ("/orderly/engine/disk-full", test_engine_disk_full);
#undef ADD

  return g_test_run ();
}
