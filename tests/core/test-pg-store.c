/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "orderly-engine.h"
#include "orderly-pg-store.h"
#include "orderly-test-pg.h"
#include "orderly-test-util.h"

/* The PostgreSQL backend's own cases: its schema, its batches, and what a
 * shared server adds (instances opening one database together, a server
 * that restarts). */

typedef struct
{
  char         *uri;
  OrderlyStore *store;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->uri = orderly_test_pg_set_up ();
  if (fixture->uri == NULL)
    return;
  fixture->store = orderly_pg_store_new (fixture->uri, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_pointer (&fixture->store, orderly_store_unref);
  orderly_test_pg_tear_down (g_steal_pointer (&fixture->uri));
}

static gint64
count (Fixture    *fixture,
       const char *sql)
{
  return orderly_test_pg_query_int (fixture->uri, sql);
}

static OrderlyRunRecord
new_run (Fixture *fixture,
         gint64   quantity)
{
  g_autoptr(GError) error = NULL;
  OrderlyRunRecord run = { .seed = 7, .quantity = quantity, .vip_share = 0.25,
                           .phase = ORDERLY_PHASE_GENERATING, .workers = 2,
                           .started_at_us = g_get_real_time (), .max_attempts = 1 };

  g_assert_true (orderly_store_begin_run (fixture->store, &run, &error));
  g_assert_no_error (error);
  g_assert_cmpint (run.id, >, 0);
  return run;
}

static void
test_pg_store_schema (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyStore) again = NULL;

  if (fixture->store == NULL)
    return;
  g_assert_true (orderly_store_check (fixture->store, &error));
  g_assert_cmpint (count (fixture, "SELECT version FROM schema_version"), ==, ORDERLY_PG_SCHEMA_VERSION);
  g_assert_cmpint (count (fixture, "SELECT count(*) FROM schema_version"), ==, 1);

  /* Opening again leaves a current schema alone. */
  again = orderly_pg_store_new (fixture->uri, &error);
  g_assert_no_error (error);
  g_assert_cmpint (count (fixture, "SELECT count(*) FROM schema_version"), ==, 1);
  g_assert_cmpstr (orderly_pg_store_get_instance_id (ORDERLY_PG_STORE (again)), !=,
                   orderly_pg_store_get_instance_id (ORDERLY_PG_STORE (fixture->store)));
  g_assert_true (orderly_store_is_shared (again));
}

typedef struct
{
  const char *uri;
  GError     *error;
} OpenData;

static gpointer
open_thread (gpointer data)
{
  OpenData *open = data;
  OrderlyStore *store = orderly_pg_store_new (open->uri, &open->error);

  g_clear_pointer (&store, orderly_store_unref);
  return NULL;
}

/* Instances started together on an empty database create its schema once. */
static void
test_pg_store_schema_race (void)
{
  char *uri = orderly_test_pg_set_up ();
  OpenData opens[4];
  GThread *threads[G_N_ELEMENTS (opens)];

  if (uri == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (opens); i++)
    {
      opens[i] = (OpenData) { uri, NULL };
      threads[i] = g_thread_new ("open", open_thread, &opens[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (opens); i++)
    {
      g_thread_join (threads[i]);
      g_assert_no_error (opens[i].error);
    }
  g_assert_cmpint (orderly_test_pg_query_int (uri, "SELECT count(*) FROM schema_version"), ==, 1);
  g_assert_cmpint (orderly_test_pg_query_int (uri, "SELECT version FROM schema_version"), ==,
                   ORDERLY_PG_SCHEMA_VERSION);
  orderly_test_pg_tear_down (uri);
}

static void
test_pg_store_newer_schema (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyStore) store = NULL;

  if (fixture->store == NULL)
    return;
  orderly_test_pg_exec (fixture->uri, "UPDATE schema_version SET version = 999");
  store = orderly_pg_store_new (fixture->uri, &error);
  g_assert_null (store);
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_STORAGE);
  g_assert_nonnull (strstr (error->message, "newer Orderly"));
}

static void
test_pg_store_runs (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  OrderlyRunRecord run, *stored;

  if (fixture->store == NULL)
    return;
  run = new_run (fixture, 1000);
  run.phase = ORDERLY_PHASE_ERROR;
  run.generation_ms = 12.5;
  run.vip_count = 250;
  run.normal_total = 750;
  run.error_message = (char *) "it's \"quoted\" \\ and\ttabbed";
  g_assert_true (orderly_store_save_run (fixture->store, &run, &error));
  g_assert_no_error (error);
  new_run (fixture, 5);

  runs = orderly_store_list_runs (fixture->store, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 2);
  stored = runs->pdata[1];
  g_assert_cmpint (stored->id, ==, run.id);
  g_assert_cmpint (stored->phase, ==, ORDERLY_PHASE_ERROR);
  g_assert_cmpfloat (stored->generation_ms, ==, 12.5);
  g_assert_cmpint (stored->vip_count, ==, 250);
  g_assert_cmpint (stored->normal_total, ==, 750);
  g_assert_cmpuint (stored->seed, ==, 7);
  g_assert_cmpstr (stored->error_message, ==, run.error_message);
  g_assert_cmpint (((OrderlyRunRecord *) runs->pdata[0])->quantity, ==, 5);
}

/* One run at a time across instances: another instance, alive, working on
 * a run makes a start or a reset elsewhere busy; once it has gone quiet,
 * a new run may replace its run. */
static void
test_pg_store_one_run (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyStore) other = NULL;
  OrderlyRunRecord run = { .seed = 1, .quantity = 10, .vip_share = 0.5, .phase = ORDERLY_PHASE_GENERATING,
                           .started_at_us = g_get_real_time (), .max_attempts = 1 };
  g_autofree char *alive = NULL;
  gint64 deleted_orders, deleted_runs;

  if (fixture->store == NULL)
    return;
  other = orderly_pg_store_new (fixture->uri, &error);
  g_assert_no_error (error);
  new_run (fixture, 10);
  alive = g_strdup_printf ("INSERT INTO instances (id, host, pid) VALUES ('%s', 'here', 1)",
                           orderly_pg_store_get_instance_id (ORDERLY_PG_STORE (fixture->store)));
  orderly_test_pg_exec (fixture->uri, alive);

  g_assert_false (orderly_store_begin_run (other, &run, &error));
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_BUSY);
  g_assert_nonnull (strstr (error->message, orderly_pg_store_get_instance_id (ORDERLY_PG_STORE (fixture->store))));
  g_clear_error (&error);
  g_assert_false (orderly_store_reset (other, &deleted_orders, &deleted_runs, &error));
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_BUSY);
  g_clear_error (&error);
  g_assert_cmpint (count (fixture, "SELECT count(*) FROM runs"), ==, 1);

  /* The instance that runs it may start again itself. */
  g_assert_true (orderly_store_begin_run (fixture->store, &run, &error));
  g_assert_no_error (error);

  /* Gone quiet: the others may take over. */
  orderly_test_pg_exec (fixture->uri, "UPDATE instances SET heartbeat_at = now() - interval '1 minute'");
  g_assert_true (orderly_store_begin_run (other, &run, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count (fixture, "SELECT count(*) FROM runs WHERE phase = 'ABORTED'"), ==, 2);
}

/* Two instances write to one log; each line is numbered once and the
 * oldest beyond what is kept go. */
static void
test_pg_store_logs (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyStore) other = NULL;
  g_autoptr(GPtrArray) recent = NULL;
  OrderlyStore *stores[2];

  if (fixture->store == NULL)
    return;
  other = orderly_pg_store_new (fixture->uri, &error);
  g_assert_no_error (error);
  stores[0] = fixture->store;
  stores[1] = other;
  for (guint round = 0; round < 10; round++)
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) orderly_log_record_free);

      for (guint i = 0; i < 5; i++)
        {
          g_autofree char *message = g_strdup_printf ("line %u.%u with \"quotes\" and \\", round, i);
          OrderlyLogRecord *record = orderly_log_record_new (ORDERLY_LOG_LEVEL_WARN, "engine", message,
                                                             i == 0 ? NULL : "{\"n\":1}");

          record->id = i + 1;   /* an engine's own numbering, not kept */
          g_ptr_array_add (batch, record);
        }
      g_assert_true (orderly_store_append_logs (stores[round % 2], (OrderlyLogRecord **) batch->pdata,
                                                batch->len, 30, &error));
      g_assert_no_error (error);
      g_assert_cmpint (((OrderlyLogRecord *) batch->pdata[4])->id, ==, (round + 1) * 5);
    }
  g_assert_cmpint (count (fixture, "SELECT count(*) FROM logs"), ==, 30);
  g_assert_cmpint (count (fixture, "SELECT count(DISTINCT instance) FROM logs"), ==, 2);
  recent = orderly_store_recent_logs (other, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (recent->len, ==, 30);
  g_assert_cmpstr (((OrderlyLogRecord *) recent->pdata[29])->message, ==,
                   "line 9.4 with \"quotes\" and \\");
  g_assert_null (((OrderlyLogRecord *) recent->pdata[25])->data_json);
  g_assert_cmpstr (((OrderlyLogRecord *) recent->pdata[26])->data_json, ==, "{\"n\":1}");
  g_assert_cmpint (((OrderlyLogRecord *) recent->pdata[0])->id, ==, 21);
}

/* The server restarts under the store: at most one clear error, then the
 * store goes on by itself on new connections. */
static void
test_pg_store_server_restart (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) runs = NULL;

  if (fixture->store == NULL)
    return;
  new_run (fixture, 10);
  orderly_test_pg_restart_server ();
  runs = orderly_store_list_runs (fixture->store, 10, &error);
  if (runs == NULL)
    g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_UNAVAILABLE);
  g_clear_error (&error);
  g_clear_pointer (&runs, g_ptr_array_unref);
  runs = orderly_store_list_runs (fixture->store, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 1);
}

/* A whole run through the engine on PostgreSQL. */
static void
test_pg_store_engine_run (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyEngine) engine = NULL;
  OrderlyRunRequest request = { .quantity = 20000, .vip_share = 0.1, .has_seed = TRUE, .seed = 3 };
  const OrderlyStatusData *d;

  if (fixture->store == NULL)
    return;
  engine = orderly_engine_new (fixture->store, &error);
  g_assert_no_error (error);
  orderly_engine_set_workers (engine, 3);
  g_assert_true (orderly_engine_start_run (engine, &request, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (orderly_test_wait_for_phase (engine, orderly_test_phase_finished, 60000));
  d = orderly_status_get_data (orderly_engine_get_status (engine));
  g_assert_cmpint (d->phase, ==, ORDERLY_PHASE_DONE);
  g_assert_cmpint (d->processed_total, ==, 20000);
  g_assert_cmpint (count (fixture, "SELECT (SELECT count(*) FROM vip_results) + "
                                   "(SELECT count(*) FROM normal_results)"), ==, 20000);
  g_assert_cmpint (count (fixture, "SELECT count(*) FROM orders_view WHERE status = 'pending'"), ==, 0);
  g_assert_cmpint (count (fixture, "SELECT max(processed_at) FROM orders_view WHERE priority = 'VIP'"), <,
                   count (fixture, "SELECT min(processed_at) FROM orders_view WHERE priority = 'NORMAL'"));
  orderly_engine_shutdown (engine);
  g_assert_finalize_object (g_steal_pointer (&engine));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/orderly/pg/store/schema", test_pg_store_schema);
  g_test_add_func ("/orderly/pg/store/schema-race", test_pg_store_schema_race);
  ADD ("/orderly/pg/store/newer-schema", test_pg_store_newer_schema);
  ADD ("/orderly/pg/store/runs", test_pg_store_runs);
  ADD ("/orderly/pg/store/one-run", test_pg_store_one_run);
  ADD ("/orderly/pg/store/logs", test_pg_store_logs);
  ADD ("/orderly/pg/store/server-restart", test_pg_store_server_restart);
  ADD ("/orderly/pg/store/engine-run", test_pg_store_engine_run);
#undef ADD

  return g_test_run ();
}
