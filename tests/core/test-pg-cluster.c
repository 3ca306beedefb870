/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "orderly-engine.h"
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
  if (orderly_test_pg_uri () == NULL)
    {
      g_test_skip (ORDERLY_TEST_PG_MISSING);
      return;
    }
  fixture->uri = orderly_test_pg_create_database ();
  for (guint i = 0; i < G_N_ELEMENTS (fixture->instances); i++)
    instance_open (&fixture->instances[i], fixture->uri);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  for (guint i = 0; i < G_N_ELEMENTS (fixture->instances); i++)
    instance_close (&fixture->instances[i]);
  orderly_test_pg_drop_database (fixture->uri);
  g_free (fixture->uri);
}

typedef gboolean (*Condition) (Fixture *fixture);

static gboolean
wait_until (Fixture   *fixture,
            Condition  condition)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

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
#undef ADD

  return g_test_run ();
}
