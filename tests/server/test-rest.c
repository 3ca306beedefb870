/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "orderly-server-test-util.h"
#include "orderly-test-util.h"

/* The REST API and the security rules, through real sockets. */

#define ADD(path, func, flags) \
  g_test_add (path, ServerFixture, GUINT_TO_POINTER (flags), server_fixture_setup, func, server_fixture_teardown)

static JsonObject *
object_of (JsonNode *node)
{
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_get_object (node);
}

static void
assert_error_body (JsonNode *node,
                   guint     status,
                   guint     expected)
{
  JsonObject *object = object_of (node);

  g_assert_cmpuint (status, ==, expected);
  g_assert_cmpint (json_object_get_int_member (object, "statusCode"), ==, expected);
  g_assert_true (json_object_has_member (object, "message"));
  g_assert_true (json_object_has_member (object, "error"));
}

static void
test_rest_listening (ServerFixture *fixture,
                     gconstpointer  data)
{
  g_autofree char *expected = g_strdup_printf ("http://127.0.0.1:%u/", fixture->port);
  g_autoptr(GInetAddress) loopback6 = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  g_autoptr(GSocketAddress) address6 = g_inet_socket_address_new (loopback6, fixture->port);
  g_autoptr(GSocket) socket6 = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, NULL);
  gboolean have_ipv6;

  g_assert_cmpstr (orderly_remote_get_url (fixture->remote), ==, expected);
  g_assert_true (orderly_remote_get_listening (fixture->remote));

  /* Both loopback families on the one port picked. */
  have_ipv6 = socket6 != NULL && g_socket_connect (socket6, address6, NULL, NULL);
  if (have_ipv6)
    g_test_message ("IPv6 loopback answers on port %u", fixture->port);
  else
    g_test_message ("no IPv6 loopback here");

  /* New settings from the preferences: it listens again without a restart,
   * and live clients stay connected. */
  {
    g_autoptr(TestWs) ws = test_ws_connect (fixture, "/ws", TEST_VIEWER_TOKEN, NULL);

    g_assert_nonnull (ws->connection);
    g_assert_true (server_fixture_rebind (fixture, "127.0.0.1"));
    g_assert_false (ws->closed);
    g_free (expected);
    expected = g_strdup_printf ("http://127.0.0.1:%u/", fixture->port);
    g_assert_cmpstr (orderly_remote_get_url (fixture->remote), ==, expected);
  }
  /* "All interfaces": every IPv4 and IPv6 address, one port. */
  g_assert_true (server_fixture_rebind (fixture, "0.0.0.0,::"));
  {
    guint status = 0;
    G_GNUC_UNUSED g_autoptr(JsonNode) health = server_fixture_request (fixture, "GET", "/health/ready", NULL, NULL, &status);
    g_autoptr(GSocketAddress) any6 = g_inet_socket_address_new (loopback6, fixture->port);
    g_autoptr(GSocket) client6 = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_STREAM,
                                               G_SOCKET_PROTOCOL_TCP, NULL);

    g_assert_cmpuint (status, ==, 200);
    if (have_ipv6)
      g_assert_true (g_socket_connect (client6, any6, NULL, NULL));
  }
  g_assert_false (server_fixture_rebind (fixture, "not-an-address"));
  g_assert_nonnull (orderly_remote_get_error_message (fixture->remote));
  g_assert_true (server_fixture_rebind (fixture, NULL));
  g_assert_null (orderly_remote_get_error_message (fixture->remote));
  {
    guint status = 0;
    G_GNUC_UNUSED g_autoptr(JsonNode) health = server_fixture_request (fixture, "GET", "/health/ready", NULL, NULL, &status);

    g_assert_cmpuint (status, ==, 200);
  }
}

static void
test_rest_status (ServerFixture *fixture,
                  gconstpointer  data)
{
  guint status = 0;
  g_autoptr(JsonNode) node = server_fixture_request (fixture, "GET", "/pedidos", TEST_VIEWER_TOKEN,
                                                     NULL, &status);
  JsonObject *object = object_of (node);
  JsonObject *processing, *vip;

  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (object, "phase"), ==, "IDLE");
  processing = json_object_get_object_member (object, "processing");
  vip = json_object_get_object_member (processing, "vip");
  g_assert_true (json_object_has_member (vip, "start"));
  g_assert_true (json_object_has_member (vip, "end"));
  g_assert_true (json_object_has_member (vip, "timeMs"));
  g_assert_true (json_object_has_member (vip, "count"));
  g_assert_true (json_object_has_member (json_object_get_object_member (object, "eta"), "estimatedMs"));
  g_assert_true (json_object_has_member (json_object_get_object_member (object, "progress"), "processedTotal"));
  g_assert_true (json_object_has_member (json_object_get_object_member (object, "throughput"), "overall"));
  g_assert_cmpstr (json_object_get_string_member (object, "instanceId"), ==,
                   orderly_server_get_instance_id (fixture->server));
}

static void
test_rest_run (ServerFixture *fixture,
               gconstpointer  data)
{
  guint status = 0;
  g_autoptr(JsonNode) started = NULL;
  g_autoptr(JsonNode) busy = NULL;
  g_autoptr(JsonNode) reset_busy = NULL;
  g_autoptr(JsonNode) cancelled = NULL;
  g_autoptr(JsonNode) logs = NULL;
  g_autoptr(JsonNode) counts = NULL;
  g_autoptr(JsonNode) runs = NULL;
  g_autoptr(JsonNode) resume = NULL;
  g_autoptr(JsonNode) reset = NULL;
  g_autoptr(JsonNode) runs_after = NULL;
  g_autoptr(JsonNode) node_runs = NULL;
  JsonObject *object;

  orderly_engine_set_work_us (fixture->engine, 500);
  started = server_fixture_request (fixture, "POST", "/generate", TEST_OPERATOR_TOKEN,
                                    "{\"quantity\": 5000, \"force\": false}", &status);
  g_assert_cmpuint (status, ==, 202);
  object = object_of (started);
  g_assert_true (json_object_has_member (object, "message"));
  g_assert_true (json_object_has_member (object, "phase"));
  g_assert_false (json_object_get_boolean_member (object, "forced"));
  g_assert_false (json_object_get_boolean_member (object, "staleRecovered"));

  busy = server_fixture_request (fixture, "POST", "/generate", TEST_OPERATOR_TOKEN,
                                 "{\"quantity\": 5}", &status);
  assert_error_body (busy, status, 409);
  reset_busy = server_fixture_request (fixture, "POST", "/reset", TEST_OPERATOR_TOKEN, NULL, &status);
  assert_error_body (reset_busy, status, 409);

  cancelled = server_fixture_request (fixture, "POST", "/cancel", TEST_OPERATOR_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (object_of (cancelled), "phase"), ==, "ABORTED");
  g_assert_true (json_object_has_member (object_of (cancelled), "message"));

  resume = server_fixture_request (fixture, "POST", "/resume", TEST_OPERATOR_TOKEN, NULL, &status);
  assert_error_body (resume, status, 409);

  /* The run's log lines are in the store. */
  orderly_engine_flush (fixture->engine);
  logs = server_fixture_request (fixture, "GET", "/pedidos/logs?lines=2", TEST_VIEWER_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  object = object_of (logs);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "entries")), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (object, "processLog"),
                                                  "phase"), ==, "ABORTED");
  g_assert_true (json_object_has_member (object, "queueStatus"));
  g_assert_true (json_object_has_member (object, "quickStats"));
  object = json_object_get_object_member (object, "logs");
  g_assert_true (json_object_has_member (object, "logMessages"));
  g_assert_true (json_object_has_member (object, "warnMessages"));
  g_assert_true (json_object_has_member (object, "errorMessages"));
  {
    g_autoptr(JsonNode) bad = server_fixture_request (fixture, "GET", "/pedidos/logs?lines=many",
                                                      TEST_VIEWER_TOKEN, NULL, &status);

    assert_error_body (bad, status, 400);
  }

  counts = server_fixture_request (fixture, "GET", "/queue/counts", TEST_VIEWER_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  object = object_of (counts);
  g_assert_true (json_object_has_member (object, "waiting"));
  g_assert_true (json_object_has_member (object, "active"));
  g_assert_true (json_object_has_member (object, "completed"));
  g_assert_true (json_object_has_member (object, "failed"));
  g_assert_true (json_object_has_member (object, "delayed"));
  g_assert_true (json_object_has_member (object, "paused"));

  runs = server_fixture_request (fixture, "GET", "/runs", TEST_VIEWER_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (runs)), ==, 1);

  reset = server_fixture_request (fixture, "POST", "/reset", TEST_OPERATOR_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  object = object_of (reset);
  g_assert_cmpint (json_object_get_int_member (object, "deletedRuns"), ==, 1);
  g_assert_true (json_object_has_member (object, "deletedOrders"));
  g_assert_true (json_object_get_boolean_member (object, "queueCleared"));

  /* Once the reset has answered, the history no longer lists the run. */
  runs_after = server_fixture_request (fixture, "GET", "/runs", TEST_VIEWER_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (runs_after)), ==, 0);
  node_runs = server_fixture_request (fixture, "GET", "/pedidos/runs", TEST_VIEWER_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (object_of (node_runs), "count"), ==, 0);
}

static void
test_rest_bad_requests (ServerFixture *fixture,
                        gconstpointer  data)
{
  const char *bodies[] = {
    "{\"quantity\": 0}", "{\"quantity\": 50000001}", "{\"quantity\": \"x\"}", "{}", "",
    "{\"quantity\": 10", "[10]",
    /* A quantity written as text is digits and nothing else. */
    "{\"quantity\": \"0x10\"}", "{\"quantity\": \" 7\"}", "{\"quantity\": \"1e3\"}",
    "{\"quantity\": \"+5\"}", "{\"quantity\": \"99999999999999999999\"}", "{\"quantity\": \"7 \"}",
  };
  guint status = 0;

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(JsonNode) answer = server_fixture_request (fixture, "POST", "/generate",
                                                           TEST_OPERATOR_TOKEN, bodies[i], &status);

      assert_error_body (answer, status, 400);
    }

  {
    const char *paths[] = {
      "/pedidos/generate?quantity=0x10", "/pedidos/generate?quantity=+5", "/pedidos/generate?quantity=%207",
      "/pedidos/generate?quantity=1e3",
    };

    for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
      {
        g_autoptr(JsonNode) answer = server_fixture_request (fixture, "POST", paths[i], TEST_OPERATOR_TOKEN,
                                                             NULL, &status);

        assert_error_body (answer, status, 400);
      }
  }
  {
    /* The dashboard's files under their own names only. */
    const char *paths[] = { "/index.html/", "//index.html", "/app.css/" };

    for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
      {
        G_GNUC_UNUSED g_autoptr(JsonNode) answer = server_fixture_request (fixture, "GET", paths[i], NULL, NULL, &status);

        g_test_message ("GET %s", paths[i]);
        g_assert_cmpuint (status, ==, 404);
      }
  }
  {
    g_autoptr(JsonNode) missing = server_fixture_request (fixture, "GET", "/nothing-here",
                                                          TEST_OPERATOR_TOKEN, NULL, &status);
    g_autoptr(JsonNode) method = NULL;

    assert_error_body (missing, status, 404);
    method = server_fixture_request (fixture, "GET", "/generate", TEST_OPERATOR_TOKEN, NULL, &status);
    assert_error_body (method, status, 405);
  }
}

static void
test_rest_open_routes (ServerFixture *fixture,
                       gconstpointer  data)
{
  guint status = 0;
  g_autoptr(JsonNode) health = server_fixture_request (fixture, "GET", "/health/ready", NULL, NULL, &status);
  g_autoptr(JsonNode) openapi = NULL;
  g_autoptr(JsonNode) session = NULL;
  g_autoptr(SoupMessage) page = NULL;
  g_autoptr(GBytes) html = NULL;
  JsonObject *object = object_of (health);

  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "ready");
  g_assert_true (json_object_has_member (object, "ts"));
  g_assert_true (json_object_has_member (object, "timestamp"));
  g_assert_true (json_object_has_member (object, "uptime"));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (object, "services"),
                                                  "database"), ==, "connected");

  openapi = server_fixture_request (fixture, "GET", "/openapi.json", NULL, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (json_object_has_member (json_object_get_object_member (object_of (openapi), "paths"),
                                         "/generate"));

  session = server_fixture_request (fixture, "GET", "/session", NULL, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (object_of (session), "role"), ==, "none");
  g_assert_true (json_object_get_boolean_member (object_of (session), "auth"));
  g_clear_pointer (&session, json_node_unref);
  session = server_fixture_request (fixture, "GET", "/session", TEST_VIEWER_TOKEN, NULL, &status);
  g_assert_cmpstr (json_object_get_string_member (object_of (session), "role"), ==, "viewer");
  g_clear_pointer (&session, json_node_unref);
  session = server_fixture_request (fixture, "GET", "/session", TEST_OPERATOR_TOKEN, NULL, &status);
  g_assert_cmpstr (json_object_get_string_member (object_of (session), "role"), ==, "operator");

  page = server_fixture_message (fixture, "GET", "/", NULL, NULL);
  html = server_fixture_send (fixture, page);
  g_assert_cmpuint (soup_message_get_status (page), ==, 200);
  {
    g_autofree char *page_text = g_strndup (g_bytes_get_data (html, NULL), g_bytes_get_size (html));

    g_assert_nonnull (strstr (page_text, "<html"));
  }
  g_assert_true (g_str_has_prefix (test_response_header (page, "Content-Type"), "text/html"));
  g_assert_nonnull (strstr (test_response_header (page, "Content-Security-Policy"), "frame-ancestors 'none'"));
  g_assert_cmpstr (test_response_header (page, "X-Content-Type-Options"), ==, "nosniff");
}

static void
test_rest_clients_and_metrics (ServerFixture *fixture,
                               gconstpointer  data)
{
  guint status = 0;
  g_autoptr(TestWs) ws = test_ws_connect (fixture, "/ws", TEST_VIEWER_TOKEN, NULL);
  g_autoptr(TestSio) sio = NULL;
  g_autoptr(JsonNode) viewer = NULL;
  g_autoptr(JsonNode) clients = NULL;
  g_autoptr(SoupMessage) metrics = NULL;
  g_autoptr(GBytes) text = NULL;
  g_autofree char *exposition = NULL;
  const char *families[] = {
    "orderly_orders{priority=\"vip\",state=\"processed\"}", "orderly_phase{phase=\"IDLE\"} 1",
    "orderly_throughput_orders_per_second{priority=\"overall\"}",
    "orderly_clients{transport=\"websocket\"} 1", "orderly_clients{transport=\"socket.io/websocket\"} 1",
    "orderly_clients{transport=\"socket.io/polling\"} 0", "orderly_messages_sent_total",
    "orderly_messages_dropped_total", "orderly_http_requests_total{route=\"/clients\",code=\"403\"} 1",
    "orderly_instance_processed_orders{instance=\"", "orderly_instance_rate_orders_per_second{instance=\"",
    "orderly_cluster_instances{instance=\"",
  };
  JsonObject *client;

  g_assert_nonnull (ws->connection);
  sio = test_sio_connect (fixture, TEST_VIEWER_TOKEN);
  g_assert_true (server_fixture_wait_clients (fixture, 2, 5000));
  viewer = server_fixture_request (fixture, "GET", "/clients", TEST_VIEWER_TOKEN, NULL, &status);
  assert_error_body (viewer, status, 403);
  clients = server_fixture_request (fixture, "GET", "/clients", TEST_OPERATOR_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (clients)), ==, 2);
  client = json_array_get_object_element (json_node_get_array (clients), 0);
  g_assert_cmpstr (json_object_get_string_member (client, "address"), ==, "127.0.0.1");
  g_assert_cmpstr (json_object_get_string_member (client, "transport"), ==, "websocket");
  g_assert_cmpstr (json_object_get_string_member (client, "role"), ==, "viewer");
  g_assert_true (json_object_has_member (client, "userAgent"));
  g_assert_true (json_object_has_member (client, "since"));
  client = json_array_get_object_element (json_node_get_array (clients), 1);
  g_assert_cmpstr (json_object_get_string_member (client, "transport"), ==, "socket.io/websocket");

  metrics = server_fixture_message (fixture, "GET", "/metrics", TEST_VIEWER_TOKEN, NULL);
  text = server_fixture_send (fixture, metrics);
  g_assert_cmpuint (soup_message_get_status (metrics), ==, 200);
  g_assert_true (g_str_has_prefix (test_response_header (metrics, "Content-Type"), "text/plain"));
  exposition = g_strndup (g_bytes_get_data (text, NULL), g_bytes_get_size (text));
  for (guint i = 0; i < G_N_ELEMENTS (families); i++)
    {
      if (strstr (exposition, families[i]) == NULL)
        g_error ("/metrics lacks %s:\n%s", families[i], exposition);
    }
  /* Every row a transport can fill, and no other. */
  g_assert_null (strstr (exposition, "transport=\"polling\""));
  {
    /* Labelled with the instance the status names as this one. */
    OrderlyInstance *local = orderly_cluster_get_local (orderly_engine_get_cluster (fixture->engine));
    g_autofree char *own = g_strdup_printf ("orderly_cluster_instances{instance=\"%s\",health=\"live\"} 1",
                                            orderly_instance_get_id (local));

    g_assert_nonnull (strstr (exposition, own));
  }

  {
    g_autoptr(SoupMessage) anonymous = server_fixture_message (fixture, "GET", "/metrics", NULL, NULL);

    g_assert_cmpuint (server_fixture_send_status (fixture, anonymous), ==, 401);
  }
}

/* The value of one sample line of a Prometheus exposition. */
static gint64
metric_value (const char *exposition,
              const char *sample)
{
  g_autofree char *line = g_strconcat ("\n", sample, " ", NULL);
  const char *found = strstr (exposition, line);

  if (found == NULL)
    g_error ("/metrics lacks %s:\n%s", sample, exposition);
  return g_ascii_strtoll (found + strlen (line), NULL, 10);
}

/* Orders failed for good are failed in /metrics, not pending; the queue's
 * jobs there are the ones /pedidos/queue/status counts. */
static void
test_rest_metrics_failures (ServerFixture *fixture,
                            gconstpointer  data)
{
  g_autoptr(SoupMessage) metrics = NULL;
  g_autoptr(GBytes) text = NULL;
  g_autoptr(JsonNode) queue = NULL;
  g_autoptr(JsonNode) started = NULL;
  g_autofree char *exposition = NULL;
  const OrderlyStatusData *d;
  JsonObject *counts;
  guint status = 0;

  orderly_engine_set_failure_rate (fixture->engine, 1.0);
  orderly_engine_set_max_attempts (fixture->engine, 1);
  started = server_fixture_request (fixture, "POST", "/generate", TEST_OPERATOR_TOKEN,
                                    "{\"quantity\": 300}", &status);
  g_assert_cmpuint (status, ==, 202);
  server_fixture_wait_phase (fixture, orderly_test_phase_finished, 20000);
  orderly_engine_flush (fixture->engine);
  d = orderly_status_get_data (orderly_engine_get_status (fixture->engine));
  g_assert_cmpint (d->failed_total, ==, 300);

  metrics = server_fixture_message (fixture, "GET", "/metrics", TEST_VIEWER_TOKEN, NULL);
  text = server_fixture_send (fixture, metrics);
  g_assert_cmpuint (soup_message_get_status (metrics), ==, 200);
  exposition = g_strndup (g_bytes_get_data (text, NULL), g_bytes_get_size (text));
  g_assert_cmpint (metric_value (exposition, "orderly_orders{priority=\"vip\",state=\"failed\"}") +
                   metric_value (exposition, "orderly_orders{priority=\"normal\",state=\"failed\"}"), ==, 300);
  g_assert_cmpint (metric_value (exposition, "orderly_orders{priority=\"vip\",state=\"failed\"}"), ==,
                   d->vip_failed);
  g_assert_cmpint (metric_value (exposition, "orderly_orders{priority=\"vip\",state=\"pending\"}") +
                   metric_value (exposition, "orderly_orders{priority=\"normal\",state=\"pending\"}") +
                   metric_value (exposition, "orderly_orders{priority=\"normal\",state=\"processed\"}"), ==, 0);

  queue = server_fixture_request (fixture, "GET", "/pedidos/queue/status", TEST_VIEWER_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  counts = object_of (queue);
  g_assert_cmpint (metric_value (exposition, "orderly_queue_jobs{state=\"failed\"}"), ==, 300);
  g_assert_cmpint (json_object_get_int_member (counts, "failed"), ==, 300);
  g_assert_cmpint (metric_value (exposition, "orderly_queue_jobs{state=\"waiting\"}"), ==,
                   json_object_get_int_member (counts, "waiting"));
  g_assert_cmpint (metric_value (exposition, "orderly_queue_jobs{state=\"completed\"}"), ==, 0);
  g_assert_cmpint (metric_value (exposition, "orderly_queue_paused"), ==, 0);
}

static void
test_rest_auth (ServerFixture *fixture,
                gconstpointer  data)
{
  const char *reads[] = { "/pedidos", "/pedidos/logs", "/queue/counts", "/runs", "/clients" };
  const char *controls[] = { "/generate", "/cancel", "/reset", "/resume" };
  guint status = 0;

  for (guint i = 0; i < G_N_ELEMENTS (reads); i++)
    {
      g_autoptr(JsonNode) none = server_fixture_request (fixture, "GET", reads[i], NULL, NULL, &status);
      g_autoptr(JsonNode) bad = NULL;

      assert_error_body (none, status, 401);
      bad = server_fixture_request (fixture, "GET", reads[i], "wrong", NULL, &status);
      assert_error_body (bad, status, 401);
      orderly_server_set_login_limit (fixture->server, 100, 60000);
    }
  for (guint i = 0; i < G_N_ELEMENTS (controls); i++)
    {
      g_autoptr(JsonNode) none = server_fixture_request (fixture, "POST", controls[i], NULL,
                                                         "{\"quantity\":5}", &status);
      g_autoptr(JsonNode) viewer = NULL;

      assert_error_body (none, status, 401);
      viewer = server_fixture_request (fixture, "POST", controls[i], TEST_VIEWER_TOKEN,
                                       "{\"quantity\":5}", &status);
      assert_error_body (viewer, status, 403);
    }
  g_assert_false (orderly_engine_is_running (fixture->engine));

  /* Security headers on the API. */
  {
    g_autoptr(SoupMessage) msg = server_fixture_message (fixture, "GET", "/pedidos", TEST_VIEWER_TOKEN, NULL);

    g_assert_cmpuint (server_fixture_send_status (fixture, msg), ==, 200);
    g_assert_cmpstr (test_response_header (msg, "X-Content-Type-Options"), ==, "nosniff");
    g_assert_cmpstr (test_response_header (msg, "Cache-Control"), ==, "no-store");
    g_assert_nonnull (strstr (test_response_header (msg, "Content-Security-Policy"), "frame-ancestors 'none'"));
  }
}

static void
test_rest_login_cookie (ServerFixture *fixture,
                        gconstpointer  data)
{
  g_autoptr(SoupMessage) login = server_fixture_message (fixture, "GET", "/?token=" TEST_VIEWER_TOKEN,
                                                         NULL, NULL);
  g_autoptr(SoupMessage) bad = server_fixture_message (fixture, "GET", "/?token=nope", NULL, NULL);
  g_autoptr(SoupMessage) with_cookie = server_fixture_message (fixture, "GET", "/pedidos", NULL, NULL);
  const char *cookie;
  g_autofree char *value = NULL;

  soup_message_add_flags (login, SOUP_MESSAGE_NO_REDIRECT);
  g_assert_cmpuint (server_fixture_send_status (fixture, login), ==, 303);
  g_assert_cmpstr (test_response_header (login, "Location"), ==, "./");
  cookie = soup_message_headers_get_list (soup_message_get_response_headers (login), "Set-Cookie");
  g_assert_nonnull (cookie);
  g_assert_true (g_str_has_prefix (cookie, "orderly_session=" TEST_VIEWER_TOKEN ";"));
  g_assert_nonnull (strstr (cookie, "HttpOnly"));
  g_assert_nonnull (strstr (cookie, "SameSite=Strict"));

  soup_message_add_flags (bad, SOUP_MESSAGE_NO_REDIRECT);
  g_assert_cmpuint (server_fixture_send_status (fixture, bad), ==, 303);
  g_assert_null (soup_message_headers_get_one (soup_message_get_response_headers (bad), "Set-Cookie"));

  /* A page elsewhere cannot sign the browser in with a token of its own
   * (login CSRF). */
  {
    const char *headers[][2] = { { "Origin", "http://evil.example" }, { "Sec-Fetch-Site", "cross-site" } };

    for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
      {
        g_autoptr(SoupMessage) forged = server_fixture_message (fixture, "GET", "/?token=" TEST_VIEWER_TOKEN,
                                                                NULL, NULL);

        soup_message_headers_replace (soup_message_get_request_headers (forged), headers[i][0], headers[i][1]);
        soup_message_add_flags (forged, SOUP_MESSAGE_NO_REDIRECT);
        g_assert_cmpuint (server_fixture_send_status (fixture, forged), ==, 403);
        g_assert_null (soup_message_headers_get_one (soup_message_get_response_headers (forged), "Set-Cookie"));
      }
  }

  /* A stale cookie does not keep the page away; the page then asks for a
   * token, and data stays closed. */
  {
    g_autoptr(SoupMessage) page = server_fixture_message (fixture, "GET", "/", NULL, NULL);
    g_autoptr(SoupMessage) session = server_fixture_message (fixture, "GET", "/session", NULL, NULL);
    g_autoptr(SoupMessage) pedidos = server_fixture_message (fixture, "GET", "/pedidos", NULL, NULL);

    soup_message_headers_replace (soup_message_get_request_headers (page), "Cookie", "orderly_session=stale");
    soup_message_headers_replace (soup_message_get_request_headers (session), "Cookie", "orderly_session=stale");
    soup_message_headers_replace (soup_message_get_request_headers (pedidos), "Cookie", "orderly_session=stale");
    g_assert_cmpuint (server_fixture_send_status (fixture, page), ==, 200);
    g_assert_cmpuint (server_fixture_send_status (fixture, session), ==, 200);
    g_assert_cmpuint (server_fixture_send_status (fixture, pedidos), ==, 401);
  }

  value = g_strdup_printf ("orderly_session=%s", TEST_VIEWER_TOKEN);
  soup_message_headers_replace (soup_message_get_request_headers (with_cookie), "Cookie", value);
  g_assert_cmpuint (server_fixture_send_status (fixture, with_cookie), ==, 200);
}

static void
test_rest_origin_and_host (ServerFixture *fixture,
                           gconstpointer  data)
{
  const char * const allowed[] = { "https://dash.example.org", NULL };
  g_autofree char *own = g_strdup_printf ("http://127.0.0.1:%u", fixture->port);
  struct {
    const char *method, *path, *origin, *host;
    guint       status;
  } cases[] = {
    { "POST", "/cancel", "https://evil.example", NULL, 403 },
    { "POST", "/cancel", "null", NULL, 403 },
    { "POST", "/cancel", own, NULL, 200 },
    { "POST", "/cancel", "https://dash.example.org", NULL, 200 },
    { "POST", "/cancel", NULL, NULL, 200 },
    { "GET", "/pedidos", "https://evil.example", NULL, 200 },
    { "GET", "/pedidos", NULL, "evil.example", 403 },
    { "GET", "/pedidos", NULL, "rebind.attacker.test:8080", 403 },
    { "GET", "/pedidos", NULL, "localhost:1234", 200 },
    { "GET", "/pedidos", NULL, "[::1]:1234", 200 },
    { "GET", "/pedidos", NULL, "dash.example.org", 200 },
  };

  g_autofree char *machine = g_strdup_printf ("%s:8080", g_get_host_name ());
  g_autofree char *machine_local = g_strdup_printf ("%s.local", g_get_host_name ());

  orderly_remote_set_allowed_origins (fixture->remote, allowed);
  /* This machine's own names are its own. */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(SoupMessage) msg = server_fixture_message (fixture, "GET", "/pedidos", TEST_OPERATOR_TOKEN, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Host", i ? machine_local : machine);
      g_assert_cmpuint (server_fixture_send_status (fixture, msg), ==, 200);
    }
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(SoupMessage) msg = server_fixture_message (fixture, cases[i].method, cases[i].path,
                                                           TEST_OPERATOR_TOKEN, NULL);
      SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

      if (cases[i].origin != NULL)
        soup_message_headers_replace (headers, "Origin", cases[i].origin);
      if (cases[i].host != NULL)
        soup_message_headers_replace (headers, "Host", cases[i].host);
      g_test_message ("%s %s Origin %s Host %s", cases[i].method, cases[i].path, cases[i].origin,
                      cases[i].host);
      g_assert_cmpuint (server_fixture_send_status (fixture, msg), ==, cases[i].status);
    }

  /* A WebSocket from a foreign page is refused; from the server's own page it is not. */
  {
    g_autoptr(TestWs) foreign = test_ws_connect (fixture, "/ws", TEST_OPERATOR_TOKEN, "https://evil.example");
    g_autoptr(TestWs) same = test_ws_connect (fixture, "/ws", TEST_OPERATOR_TOKEN, own);

    g_assert_null (foreign->connection);
    g_assert_nonnull (same->connection);
  }
}

static void
test_rest_cors (ServerFixture *fixture,
                gconstpointer  data)
{
  /* As an operator may type it: the browser sends it lowercase, no slash. */
  const char * const allowed[] = { "https://Dash.Example.org/", "*", NULL };
  g_autoptr(SoupMessage) listed = server_fixture_message (fixture, "GET", "/pedidos", TEST_VIEWER_TOKEN, NULL);
  g_autoptr(SoupMessage) foreign = server_fixture_message (fixture, "GET", "/pedidos", TEST_VIEWER_TOKEN, NULL);
  g_autoptr(SoupMessage) preflight = server_fixture_message (fixture, "OPTIONS", "/generate", NULL, NULL);
  g_autoptr(SoupMessage) foreign_preflight = server_fixture_message (fixture, "OPTIONS", "/generate", NULL, NULL);

  orderly_remote_set_allowed_origins (fixture->remote, allowed);

  soup_message_headers_replace (soup_message_get_request_headers (listed), "Origin", "https://dash.example.org");
  g_assert_cmpuint (server_fixture_send_status (fixture, listed), ==, 200);
  g_assert_cmpstr (test_response_header (listed, "Access-Control-Allow-Origin"), ==, "https://dash.example.org");
  g_assert_cmpstr (test_response_header (listed, "Access-Control-Allow-Credentials"), ==, "true");

  soup_message_headers_replace (soup_message_get_request_headers (foreign), "Origin", "https://evil.example");
  g_assert_cmpuint (server_fixture_send_status (fixture, foreign), ==, 200);
  g_assert_null (test_response_header (foreign, "Access-Control-Allow-Origin"));

  soup_message_headers_replace (soup_message_get_request_headers (preflight), "Origin", "https://dash.example.org");
  soup_message_headers_replace (soup_message_get_request_headers (preflight), "Access-Control-Request-Method", "POST");
  g_assert_cmpuint (server_fixture_send_status (fixture, preflight), ==, 204);
  g_assert_cmpstr (test_response_header (preflight, "Access-Control-Allow-Origin"), ==, "https://dash.example.org");
  g_assert_nonnull (strstr (test_response_header (preflight, "Access-Control-Allow-Headers"), "Authorization"));
  g_assert_cmpstr (test_response_header (preflight, "Access-Control-Allow-Origin"), !=, "*");

  soup_message_headers_replace (soup_message_get_request_headers (foreign_preflight), "Origin", "https://evil.example");
  g_assert_cmpuint (server_fixture_send_status (fixture, foreign_preflight), ==, 403);
  g_assert_null (test_response_header (foreign_preflight, "Access-Control-Allow-Origin"));

  /* Engine.IO's polling follows the same rule; "*" never goes out. */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(SoupMessage) poll = server_fixture_message (fixture, "GET", "/socket.io/?EIO=4&transport=polling",
                                                            NULL, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (poll), "Origin",
                                    i == 0 ? "https://dash.example.org" : "https://evil.example");
      g_assert_cmpuint (server_fixture_send_status (fixture, poll), ==, 200);
      if (i == 0)
        {
          g_assert_cmpstr (test_response_header (poll, "Access-Control-Allow-Origin"), ==, "https://dash.example.org");
          g_assert_cmpstr (test_response_header (poll, "Access-Control-Allow-Credentials"), ==, "true");
        }
      else
        {
          g_assert_null (test_response_header (poll, "Access-Control-Allow-Origin"));
        }
    }
}

static gboolean
says_connection_close (const char *response)
{
  const char *end = strstr (response, "\r\n\r\n");
  g_autofree char *head = g_ascii_strdown (response, end != NULL ? end - response : -1);

  return strstr (head, "\r\nconnection: close\r\n") != NULL;
}

/* libsoup closes the connection after answering a request that said
 * Connection: close; the answer must say so, or a keep-alive client writes
 * its next request onto the closed socket. Every kind of answer. */
static void
test_rest_connection_close (ServerFixture *fixture,
                            gconstpointer  data)
{
  const char *paths[] = {
    "/health/ready", "/", "/app.css", "/pedidos", "/nothing-here",
    "/socket.io/?EIO=4&transport=polling",
  };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                                  "Connection: close\r\n\r\n", paths[i], fixture->port);
      g_autofree char *old_style = g_strdup_printf ("GET %s HTTP/1.0\r\nHost: 127.0.0.1:%u\r\n\r\n",
                                                    paths[i], fixture->port);
      g_autofree char *kept = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n",
                                               paths[i], fixture->port);
      g_autofree char *response = NULL;
      g_autofree char *response_1_0 = NULL;
      g_autofree char *response_kept = NULL;
      gboolean closed = FALSE;

      g_test_message ("GET %s", paths[i]);
      response = test_raw_http (fixture->port, request, TRUE, &closed);
      g_assert_true (closed);
      g_assert_true (g_str_has_prefix (response, "HTTP/1.1 "));
      g_assert_true (says_connection_close (response));

      response_1_0 = test_raw_http (fixture->port, old_style, TRUE, &closed);
      g_assert_true (closed);
      g_assert_true (says_connection_close (response_1_0));

      /* A keep-alive request keeps its connection. */
      response_kept = test_raw_http (fixture->port, kept, FALSE, &closed);
      g_assert_true (g_str_has_prefix (response_kept, "HTTP/1.1 "));
      g_assert_false (says_connection_close (response_kept));
    }
}

static gint64
fake_clock (gpointer user_data)
{
  return *(gint64 *) user_data;
}

static void
test_rest_login_limit (ServerFixture *fixture,
                       gconstpointer  data)
{
  OrderlyLoginLimiter *limiter = orderly_gate_get_login_limiter (orderly_server_get_gate (fixture->server));
  gint64 now_us = 1000 * G_USEC_PER_SEC;
  g_autoptr(GInetAddress) loopback6 = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  g_autoptr(GSocket) probe = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GSocketAddress) address6 = g_inet_socket_address_new (loopback6, fixture->port);
  guint status = 0;

  orderly_login_limiter_set_clock (limiter, fake_clock, &now_us);
  orderly_server_set_login_limit (fixture->server, 3, 60000);
  {
    g_autoptr(JsonNode) bad = server_fixture_request (fixture, "GET", "/pedidos", "wrong", NULL, &status);

    assert_error_body (bad, status, 401);
  }
  {
    /* /session says which role a token gives: a guess there counts too. */
    g_autoptr(JsonNode) guess = server_fixture_request (fixture, "GET", "/session", "wrong", NULL, &status);

    g_assert_cmpuint (status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (object_of (guess), "role"), ==, "none");
  }
  {
    g_autoptr(JsonNode) third = server_fixture_request (fixture, "GET", "/pedidos", "wrong", NULL, &status);
    g_autoptr(JsonNode) good = NULL;

    assert_error_body (third, status, 429);
    /* Blocked means blocked, even with the right token, for this address only. */
    good = server_fixture_request (fixture, "GET", "/pedidos", TEST_OPERATOR_TOKEN, NULL, &status);
    assert_error_body (good, status, 429);
  }
  {
    g_autoptr(JsonNode) guess = server_fixture_request (fixture, "GET", "/session", "wrong", NULL, &status);

    assert_error_body (guess, status, 429);
  }

  if (probe != NULL && g_socket_connect (probe, address6, NULL, NULL))
    {
      g_autofree char *url = g_strdup_printf ("http://[::1]:%u/pedidos", fixture->port);
      g_autoptr(SoupMessage) other = soup_message_new ("GET", url);

      soup_message_headers_replace (soup_message_get_request_headers (other), "Authorization",
                                    "Bearer " TEST_OPERATOR_TOKEN);
      g_assert_cmpuint (server_fixture_send_status (fixture, other), ==, 200);
    }

  /* Still blocked just before the block time has passed, let in after. */
  now_us += 59 * G_USEC_PER_SEC;
  {
    g_autoptr(JsonNode) still = server_fixture_request (fixture, "GET", "/pedidos", TEST_OPERATOR_TOKEN, NULL, &status);

    assert_error_body (still, status, 429);
  }
  now_us += 2 * G_USEC_PER_SEC;
  {
    G_GNUC_UNUSED g_autoptr(JsonNode) later = server_fixture_request (fixture, "GET", "/pedidos", TEST_OPERATOR_TOKEN, NULL, &status);

    g_assert_cmpuint (status, ==, 200);
  }
  orderly_login_limiter_set_clock (limiter, NULL, NULL);
}

static void
test_rest_body_limit (ServerFixture *fixture,
                      gconstpointer  data)
{
  g_autofree char *large = g_strnfill (ORDERLY_SERVER_MAX_BODY + 1, ' ');
  g_autofree char *fits = g_strnfill (ORDERLY_SERVER_MAX_BODY - 64, ' ');
  g_autofree char *body = NULL;
  guint status = 0;
  g_autoptr(JsonNode) too_large = server_fixture_request (fixture, "POST", "/generate", TEST_OPERATOR_TOKEN,
                                                          large, &status);
  g_autoptr(JsonNode) after = NULL;
  g_autoptr(JsonNode) padded = NULL;

  assert_error_body (too_large, status, 413);
  after = server_fixture_request (fixture, "GET", "/pedidos", TEST_OPERATOR_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 200);

  /* Without a Content-Length, the body is cut off at the limit. */
  {
    g_autoptr(SoupMessage) chunked = server_fixture_message (fixture, "POST", "/generate",
                                                             TEST_OPERATOR_TOKEN, NULL);
    g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_data (g_strdup (large), strlen (large), g_free);

    soup_message_set_request_body (chunked, "application/json", stream, -1);
    g_assert_cmpuint (server_fixture_send_status (fixture, chunked), ==, 413);
  }

  body = g_strdup_printf ("{\"quantity\": 10%s}", fits);
  padded = server_fixture_request (fixture, "POST", "/generate", TEST_OPERATOR_TOKEN, body, &status);
  g_assert_cmpuint (status, ==, 202);
}

static void
test_rest_no_auth (ServerFixture *fixture,
                   gconstpointer  data)
{
  guint status = 0;
  g_autoptr(JsonNode) session = server_fixture_request (fixture, "GET", "/session", NULL, NULL, &status);
  G_GNUC_UNUSED g_autoptr(JsonNode) pedidos = server_fixture_request (fixture, "GET", "/pedidos", NULL, NULL, &status);
  g_autoptr(JsonNode) started = NULL;

  g_assert_cmpuint (status, ==, 200);
  g_assert_false (json_object_get_boolean_member (object_of (session), "auth"));
  g_assert_cmpstr (json_object_get_string_member (object_of (session), "role"), ==, "operator");
  started = server_fixture_request (fixture, "POST", "/generate", NULL, "{\"quantity\":10}", &status);
  g_assert_cmpuint (status, ==, 202);
}

static void
test_rest_tls (ServerFixture *fixture,
               gconstpointer  data)
{
  g_autofree char *expected = g_strdup_printf ("https://127.0.0.1:%u/", fixture->port);
  guint status = 0;
  G_GNUC_UNUSED g_autoptr(JsonNode) health = server_fixture_request (fixture, "GET", "/health/ready", NULL, NULL, &status);
  g_autoptr(TestWs) ws = NULL;
  g_autoptr(JsonNode) connected = NULL;
  g_autoptr(SoupMessage) login = NULL;

  g_assert_cmpstr (orderly_remote_get_url (fixture->remote), ==, expected);
  g_assert_cmpuint (status, ==, 200);

  ws = test_ws_connect (fixture, "/ws", TEST_VIEWER_TOKEN, NULL);
  g_assert_no_error (ws->error);
  connected = test_ws_next (ws, 2000);
  g_assert_cmpstr (test_event_name (connected), ==, "connected");

  /* The session cookie is Secure over https. */
  login = server_fixture_message (fixture, "GET", "/?token=" TEST_VIEWER_TOKEN, NULL, NULL);
  soup_message_add_flags (login, SOUP_MESSAGE_NO_REDIRECT);
  g_assert_cmpuint (server_fixture_send_status (fixture, login), ==, 303);
  g_assert_nonnull (strstr (soup_message_headers_get_list (soup_message_get_response_headers (login),
                                                           "Set-Cookie"), "; Secure"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD ("/orderly/server/listening", test_rest_listening, FIXTURE_DEFAULT);
  ADD ("/orderly/server/rest/status", test_rest_status, FIXTURE_DEFAULT);
  ADD ("/orderly/server/rest/run", test_rest_run, FIXTURE_DEFAULT);
  ADD ("/orderly/server/rest/bad-requests", test_rest_bad_requests, FIXTURE_DEFAULT);
  ADD ("/orderly/server/rest/open-routes", test_rest_open_routes, FIXTURE_DEFAULT);
  ADD ("/orderly/server/rest/clients-and-metrics", test_rest_clients_and_metrics, FIXTURE_DEFAULT);
  ADD ("/orderly/server/rest/metrics-failures", test_rest_metrics_failures, FIXTURE_DEFAULT);
  ADD ("/orderly/server/security/auth", test_rest_auth, FIXTURE_DEFAULT);
  ADD ("/orderly/server/security/login-cookie", test_rest_login_cookie, FIXTURE_DEFAULT);
  ADD ("/orderly/server/security/origin-and-host", test_rest_origin_and_host, FIXTURE_DEFAULT);
  ADD ("/orderly/server/security/cors", test_rest_cors, FIXTURE_DEFAULT);
  ADD ("/orderly/server/security/login-limit", test_rest_login_limit, FIXTURE_DEFAULT);
  ADD ("/orderly/server/limits/body", test_rest_body_limit, FIXTURE_DEFAULT);
  ADD ("/orderly/server/http/connection-close", test_rest_connection_close, FIXTURE_DEFAULT);
  ADD ("/orderly/server/no-auth", test_rest_no_auth, FIXTURE_NO_AUTH);
  ADD ("/orderly/server/tls", test_rest_tls, FIXTURE_TLS);

  return g_test_run ();
}
