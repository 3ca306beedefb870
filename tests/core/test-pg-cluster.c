/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "orderly-engine.h"
#include "orderly-generator.h"
#include "orderly-json.h"
#include "orderly-log-entry.h"
#include "orderly-pg-cluster.h"
#include "orderly-pg-store.h"
#include "orderly-test-pg.h"
#include "orderly-test-util.h"

/* Instances on one database see each other: their rows, their state and
 * their log lines, through the cluster link. Several engines in one process
 * stand for several processes here; tests/js/cluster.test.mjs runs real
 * processes. */

typedef struct
{
  OrderlyStore     *store;
  OrderlyEngine    *engine;
  OrderlyPgCluster *link;
} Instance;

typedef struct
{
  char     *uri;
  Instance  instances[2];
  gint64    mark_us;      /* a time on the server's clock */
} Fixture;

static void
instance_open (Instance   *instance,
               const char *uri)
{
  g_autoptr(GError) error = NULL;

  instance->store = orderly_pg_store_new (uri, &error);
  g_assert_no_error (error);
  instance->engine = orderly_engine_new (instance->store, &error);
  g_assert_no_error (error);
  instance->link = orderly_pg_cluster_new (instance->engine, ORDERLY_PG_STORE (instance->store), &error);
  g_assert_no_error (error);
}

static void
instance_close (Instance *instance)
{
  if (instance->engine == NULL)
    return;
  g_assert_finalize_object (g_steal_pointer (&instance->link));
  orderly_engine_shutdown (instance->engine);
  g_assert_finalize_object (g_steal_pointer (&instance->engine));
  g_clear_pointer (&instance->store, orderly_store_unref);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->uri = orderly_test_pg_set_up ();
  if (fixture->uri == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (fixture->instances); i++)
    instance_open (&fixture->instances[i], fixture->uri);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  for (guint i = 0; i < G_N_ELEMENTS (fixture->instances); i++)
    instance_close (&fixture->instances[i]);
  orderly_test_pg_tear_down (g_steal_pointer (&fixture->uri));
}

typedef gboolean (*Condition) (Fixture *fixture);

static gboolean
wait_until (Fixture   *fixture,
            Condition  condition)
{
  /* Generous: the machine may be shared, and a condition that holds
   * returns at once. */
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (!condition (fixture))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  return TRUE;
}

static OrderlyCluster *
cluster_of (Fixture *fixture,
            guint    i)
{
  return orderly_engine_get_cluster (fixture->instances[i].engine);
}

static gboolean
both_see_each_other (Fixture *fixture)
{
  return g_list_model_get_n_items (G_LIST_MODEL (cluster_of (fixture, 0))) == 2 &&
         g_list_model_get_n_items (G_LIST_MODEL (cluster_of (fixture, 1))) == 2;
}

static OrderlyInstance *
peer_of (Fixture *fixture,
         guint    i)
{
  g_autoptr(OrderlyInstance) peer = g_list_model_get_item (G_LIST_MODEL (cluster_of (fixture, i)), 1);

  return peer;   /* the cluster keeps its own reference */
}

static void
test_pg_cluster_join (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(JsonNode) status = NULL;
  JsonArray *cluster;

  if (fixture->uri == NULL)
    return;
  g_assert_true (wait_until (fixture, both_see_each_other));
  g_assert_true (orderly_cluster_get_shared (cluster_of (fixture, 0)));
  g_assert_cmpstr (orderly_instance_get_id (peer_of (fixture, 0)), ==,
                   orderly_pg_store_get_instance_id (ORDERLY_PG_STORE (fixture->instances[1].store)));
  g_assert_cmpstr (orderly_instance_get_id (peer_of (fixture, 1)), ==,
                   orderly_pg_store_get_instance_id (ORDERLY_PG_STORE (fixture->instances[0].store)));
  g_assert_false (orderly_instance_get_local (peer_of (fixture, 0)));
  g_assert_false (orderly_instance_get_quiet (peer_of (fixture, 0)));
  g_assert_cmpint (orderly_instance_get_heartbeat_us (peer_of (fixture, 0)), >, 0);
  g_assert_cmpint (orderly_test_pg_query_int (fixture->uri, "SELECT count(*) FROM instances"), ==, 2);

  /* The status object names both, this instance first. */
  status = orderly_json_status (orderly_engine_get_status (fixture->instances[0].engine));
  cluster = json_object_get_array_member (json_node_get_object (status), "cluster");
  g_assert_cmpuint (json_array_get_length (cluster), ==, 2);
  g_assert_true (json_object_get_boolean_member (json_array_get_object_element (cluster, 0), "local"));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (cluster, 1), "id"), ==,
                   orderly_pg_store_get_instance_id (ORDERLY_PG_STORE (fixture->instances[1].store)));
  g_assert_nonnull (json_object_get_string_member (json_array_get_object_element (cluster, 1),
                                                   "lastHeartbeat"));

  /* Leaving removes the row, and the other stops listing it. */
  instance_close (&fixture->instances[1]);
  g_assert_cmpint (orderly_test_pg_query_int (fixture->uri, "SELECT count(*) FROM instances"), ==, 1);
}

static gboolean
one_lists_one (Fixture *fixture)
{
  return g_list_model_get_n_items (G_LIST_MODEL (cluster_of (fixture, 0))) == 1;
}

static void
test_pg_cluster_leave (Fixture       *fixture,
                       gconstpointer  data)
{
  if (fixture->uri == NULL)
    return;
  g_assert_true (wait_until (fixture, both_see_each_other));
  instance_close (&fixture->instances[1]);
  g_assert_true (wait_until (fixture, one_lists_one));
}

static gboolean
ghost_is_quiet (Fixture *fixture)
{
  GListModel *cluster = G_LIST_MODEL (cluster_of (fixture, 0));

  for (guint i = 0; i < g_list_model_get_n_items (cluster); i++)
    {
      g_autoptr(OrderlyInstance) instance = g_list_model_get_item (cluster, i);

      if (g_str_equal (orderly_instance_get_id (instance), "ghost") &&
          orderly_instance_get_quiet (instance) && orderly_instance_get_workers (instance) == 3)
        return TRUE;
    }
  return FALSE;
}

/* An instance that stopped sending heartbeats (killed, frozen, cut off)
 * stays listed, marked quiet. */
static void
test_pg_cluster_quiet (Fixture       *fixture,
                       gconstpointer  data)
{
  if (fixture->uri == NULL)
    return;
  orderly_test_pg_exec (fixture->uri,
                        "INSERT INTO instances (id, host, pid, workers, heartbeat_at) "
                        "VALUES ('ghost', 'elsewhere', 1, 3, now() - interval '30 seconds')");
  g_assert_true (wait_until (fixture, ghost_is_quiet));
}

static gboolean
peer_line_arrived (Fixture *fixture)
{
  GListModel *log = G_LIST_MODEL (orderly_engine_get_log_store (fixture->instances[1].engine));

  for (guint i = 0; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(OrderlyLogEntry) entry = g_list_model_get_item (log, i);

      if (g_str_equal (orderly_log_entry_get_message (entry), "hello from the first instance"))
        {
          g_assert_cmpstr (orderly_log_entry_get_instance (entry), ==,
                           orderly_pg_store_get_instance_id (ORDERLY_PG_STORE (fixture->instances[0].store)));
          g_assert_cmpstr (orderly_log_entry_get_category (entry), ==, "test");
          g_assert_cmpint (orderly_log_entry_get_level (entry), ==, ORDERLY_LOG_LEVEL_WARN);
          return TRUE;
        }
    }
  return FALSE;
}

/* A line logged by one instance shows in the other's log, tagged, once. */
static void
test_pg_cluster_logs (Fixture       *fixture,
                      gconstpointer  data)
{
  GListModel *log;
  guint copies = 0;

  if (fixture->uri == NULL)
    return;
  g_assert_true (wait_until (fixture, both_see_each_other));
  for (guint i = 0; i < 300; i++)
    orderly_engine_log (fixture->instances[0].engine, ORDERLY_LOG_LEVEL_LOG, "test", NULL,
                        "filler line %u, to need more than one notification", i);
  orderly_engine_log (fixture->instances[0].engine, ORDERLY_LOG_LEVEL_WARN, "test", NULL,
                      "hello from the first instance");
  g_assert_true (wait_until (fixture, peer_line_arrived));

  /* It came back to neither instance twice. */
  log = G_LIST_MODEL (orderly_engine_get_log_store (fixture->instances[0].engine));
  for (guint i = 0; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(OrderlyLogEntry) entry = g_list_model_get_item (log, i);

      if (g_str_equal (orderly_log_entry_get_message (entry), "hello from the first instance"))
        {
          copies++;
          g_assert_null (orderly_log_entry_get_instance (entry));
        }
    }
  g_assert_cmpuint (copies, ==, 1);
}

/* A run that an instance elsewhere runs, alive but slow to end it. */
#define ELSEWHERE "owner-elsewhere"
#define HELPED_ORDERS 6000

static gint64
begin_run_elsewhere (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyStore) store = orderly_pg_store_new (fixture->uri, &error);
  g_autofree OrderlyOrder *orders = g_new0 (OrderlyOrder, HELPED_ORDERS);
  g_autofree char *sql = NULL;
  OrderlyRunRecord run = { .seed = 5, .quantity = HELPED_ORDERS, .vip_share = 0.2,
                           .phase = ORDERLY_PHASE_GENERATING, .workers = 2,
                           .started_at_us = g_get_real_time (), .max_attempts = 3 };

  g_assert_no_error (error);
  g_assert_true (orderly_store_begin_run (store, &run, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < HELPED_ORDERS; i++)
    orderly_generate_order (run.seed, run.id, i, run.vip_share, g_get_real_time (), &orders[i]);
  g_assert_true (orderly_store_insert_orders (store, orders, HELPED_ORDERS, &error));
  g_assert_no_error (error);
  run.phase = ORDERLY_PHASE_WAITING_VIP_DRAIN;
  run.generated = HELPED_ORDERS;
  g_assert_true (orderly_store_save_run (store, &run, &error));
  g_assert_no_error (error);

  /* Its instance keeps sending heartbeats, as far as the others can tell. */
  orderly_test_pg_exec (fixture->uri,
                        "INSERT INTO instances (id, host, pid, workers, heartbeat_at) "
                        "VALUES ('" ELSEWHERE "', 'elsewhere', 1, 2, now() + interval '1 hour')");
  sql = g_strdup_printf ("UPDATE runs SET owner = '" ELSEWHERE "' WHERE id = %" G_GINT64_FORMAT, run.id);
  orderly_test_pg_exec (fixture->uri, sql);
  return run.id;
}

static gint64
results_stored (Fixture *fixture)
{
  return orderly_test_pg_query_int (fixture->uri,
                                    "SELECT (SELECT count(*) FROM vip_results) + "
                                    "(SELECT count(*) FROM normal_results)");
}

/* Every order has its result, no part goes on here, and both instances
 * show the run (one that found nothing left to claim shows it once the
 * cluster brings it in). */
static gboolean
both_helped_to_the_end (Fixture *fixture)
{
  for (guint i = 0; i < G_N_ELEMENTS (fixture->instances); i++)
    if (orderly_engine_is_running (fixture->instances[i].engine) ||
        orderly_status_get_data (orderly_engine_get_status (fixture->instances[i].engine))->run_id == 0)
      return FALSE;
  return results_stored (fixture) == HELPED_ORDERS;
}

static gboolean
both_show_done (Fixture *fixture)
{
  for (guint i = 0; i < G_N_ELEMENTS (fixture->instances); i++)
    if (orderly_status_get_phase (orderly_engine_get_status (fixture->instances[i].engine)) != ORDERLY_PHASE_DONE)
      return FALSE;
  return TRUE;
}

/* Both instances sent two heartbeats since mark_us. */
static gboolean
two_heartbeats_since_mark (Fixture *fixture)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM instances WHERE id <> '" ELSEWHERE "' "
                                          "AND heartbeat_at > to_timestamp (%" G_GINT64_FORMAT " / 1e6) "
                                          "+ interval '1.5 seconds'", fixture->mark_us);

  return orderly_test_pg_query_int (fixture->uri, sql) == 2;
}

static guint
count_lines (OrderlyEngine *engine,
             const char    *prefix)
{
  GListModel *log = G_LIST_MODEL (orderly_engine_get_log_store (engine));
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(OrderlyLogEntry) entry = g_list_model_get_item (log, i);

      if (orderly_log_entry_get_instance (entry) == NULL &&
          g_str_has_prefix (orderly_log_entry_get_message (entry), prefix))
        n++;
    }
  return n;
}

/* What each instance shows, and what is stored, for a failure's report. */
static void
describe_instances (Fixture *fixture)
{
  for (guint i = 0; i < G_N_ELEMENTS (fixture->instances); i++)
    {
      OrderlyEngine *engine = fixture->instances[i].engine;
      const OrderlyStatusData *d = orderly_status_get_data (orderly_engine_get_status (engine));

      g_test_message ("instance %u: %s, run %" G_GINT64_FORMAT " %s, %" G_GINT64_FORMAT " waiting, %"
                      G_GINT64_FORMAT " active", i, orderly_engine_is_running (engine) ? "running" : "idle",
                      d->run_id, orderly_phase_to_string (d->phase), d->queue_waiting, d->queue_active);
    }
  g_test_message ("%" G_GINT64_FORMAT " results stored, %" G_GINT64_FORMAT " claims held",
                  results_stored (fixture),
                  orderly_test_pg_query_int (fixture->uri, "SELECT count(*) FROM claims WHERE owner IS NOT NULL"));
}

static guint
count_category (OrderlyEngine *engine,
                const char    *category)
{
  GListModel *log = G_LIST_MODEL (orderly_engine_get_log_store (engine));
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(OrderlyLogEntry) entry = g_list_model_get_item (log, i);

      if (orderly_log_entry_get_instance (entry) == NULL &&
          g_str_equal (orderly_log_entry_get_category (entry), category))
        n++;
    }
  return n;
}

/* Instances help with a run that a live instance elsewhere runs. Once
 * nothing is left to claim, their part is over, not the run: they show it
 * as stored, not done, and do not join it again, until its instance ends
 * it; then they show it done. */
static void
test_pg_cluster_help (Fixture       *fixture,
                      gconstpointer  data)
{
  gint64 run_id;
  g_autofree char *done = NULL;
  guint helped = 0;

  if (fixture->uri == NULL)
    return;
  g_assert_true (wait_until (fixture, both_see_each_other));
  run_id = begin_run_elsewhere (fixture);
  if (!wait_until (fixture, both_helped_to_the_end))
    {
      describe_instances (fixture);
      g_assert_not_reached ();
    }

  for (guint i = 0; i < G_N_ELEMENTS (fixture->instances); i++)
    {
      OrderlyEngine *engine = fixture->instances[i].engine;
      OrderlyRunList *runs = orderly_engine_get_run_list (engine);
      const OrderlyStatusData *d = orderly_status_get_data (orderly_engine_get_status (engine));
      OrderlyRun *run = orderly_run_list_find (runs, run_id);

      g_assert_cmpint (d->run_id, ==, run_id);
      g_assert_true (orderly_phase_is_active (d->phase));
      g_assert_true (run == NULL || !orderly_phase_is_terminal (orderly_run_get_record (run)->phase));
    }

  /* Heartbeats later, they show the run as stored, and have not joined it
   * again: one part each at most, told as a part; the run's own lines
   * (its phases, its end) are its instance's. */
  fixture->mark_us = orderly_test_pg_query_int (fixture->uri,
                                                "SELECT (extract (epoch FROM now()) * 1e6)::bigint");
  g_assert_true (wait_until (fixture, two_heartbeats_since_mark));
  for (guint i = 0; i < G_N_ELEMENTS (fixture->instances); i++)
    {
      OrderlyEngine *engine = fixture->instances[i].engine;
      const OrderlyStatusData *d = orderly_status_get_data (orderly_engine_get_status (engine));
      guint parts = count_lines (engine, "Helping with run");

      g_assert_false (orderly_engine_is_running (engine));
      g_assert_cmpint (d->phase, ==, ORDERLY_PHASE_WAITING_VIP_DRAIN);
      g_assert_cmpint (d->queue_waiting + d->queue_active, ==, 0);
      g_assert_cmpuint (parts, <=, 1);
      g_assert_cmpuint (count_category (engine, "phase"), ==, 0);
      g_assert_cmpuint (count_lines (engine, "Run "), ==, parts);
      helped += parts;
    }
  g_assert_cmpuint (helped, >=, 1);
  g_assert_cmpint (orderly_test_pg_query_int (fixture->uri, "SELECT count(*) FROM runs WHERE phase = 'DONE'"), ==, 0);

  /* Its instance ends it. */
  done = g_strdup_printf ("UPDATE runs SET phase = 'DONE', finished_at = 1 WHERE id = %" G_GINT64_FORMAT, run_id);
  orderly_test_pg_exec (fixture->uri, done);
  g_assert_true (wait_until (fixture, both_show_done));
  for (guint i = 0; i < G_N_ELEMENTS (fixture->instances); i++)
    g_assert_cmpuint (count_lines (fixture->instances[i].engine, "Helping with run"), <=, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/orderly/pg/cluster/join", test_pg_cluster_join);
  ADD ("/orderly/pg/cluster/leave", test_pg_cluster_leave);
  ADD ("/orderly/pg/cluster/quiet", test_pg_cluster_quiet);
  ADD ("/orderly/pg/cluster/logs", test_pg_cluster_logs);
  ADD ("/orderly/pg/cluster/help", test_pg_cluster_help);
#undef ADD

  return g_test_run ();
}
