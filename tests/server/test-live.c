/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "orderly-server-test-util.h"
#include "orderly-test-util.h"

/* The /ws feed: what a client gets, in which order, and what it may send. */

#define ADD(path, func) \
  g_test_add (path, ServerFixture, NULL, server_fixture_setup, func, server_fixture_teardown)

static void
log_lines (ServerFixture *fixture,
           guint          n,
           const char    *prefix)
{
  for (guint i = 0; i < n; i++)
    orderly_engine_log (fixture->engine, ORDERLY_LOG_LEVEL_LOG, "test", NULL, "%s %u", prefix, i);
  orderly_engine_flush (fixture->engine);
}

static gint64
event_seq (JsonNode *event)
{
  return json_object_get_int_member_with_default (json_node_get_object (event), "seq", -1);
}

static JsonArray *
event_lines (JsonNode *event)
{
  JsonNode *data = json_object_get_member (json_node_get_object (event), "data");

  g_assert_true (JSON_NODE_HOLDS_ARRAY (data));
  return json_node_get_array (data);
}

static const char *
line_message (JsonArray *lines,
              guint      i)
{
  return json_object_get_string_member (json_array_get_object_element (lines, i), "message");
}

static void
test_live_connect (ServerFixture *fixture,
                   gconstpointer  data)
{
  g_autoptr(TestWs) ws = NULL;
  g_autoptr(JsonNode) connected = NULL;
  g_autoptr(JsonNode) status = NULL;
  g_autoptr(JsonNode) logs = NULL;
  JsonObject *object;
  JsonArray *lines;
  const char *instance = orderly_server_get_instance_id (fixture->server);

  log_lines (fixture, 150, "early line");
  ws = test_ws_connect (fixture, "/ws", TEST_VIEWER_TOKEN, NULL);
  g_assert_no_error (ws->error);

  connected = test_ws_next (ws, 2000);
  g_assert_cmpstr (test_event_name (connected), ==, "connected");
  object = test_event_data_object (connected);
  g_assert_true (json_object_has_member (object, "message"));
  g_assert_true (json_object_has_member (object, "timestamp"));
  g_assert_true (json_object_has_member (object, "clientId"));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (connected), "instanceId"), ==, instance);

  status = test_ws_next (ws, 2000);
  g_assert_cmpstr (test_event_name (status), ==, "status");
  object = test_event_data_object (status);
  g_assert_cmpstr (json_object_get_string_member (object, "phase"), ==, "IDLE");
  g_assert_true (json_object_has_member (object, "timestamp"));
  g_assert_true (json_object_has_member (object, "message"));
  g_assert_cmpint (event_seq (status), >, 0);

  logs = test_ws_next (ws, 2000);
  g_assert_cmpstr (test_event_name (logs), ==, "logs");
  lines = event_lines (logs);
  g_assert_cmpuint (json_array_get_length (lines), ==, 100);
  g_assert_cmpstr (line_message (lines, 99), ==, "early line 149");
  object = json_array_get_object_element (lines, 0);
  g_assert_true (json_object_has_member (object, "timestamp"));
  g_assert_cmpstr (json_object_get_string_member (object, "level"), ==, "log");
  g_assert_cmpstr (json_object_get_string_member (object, "category"), ==, "test");
  g_assert_true (json_object_has_member (object, "data"));
  g_assert_cmpint (event_seq (logs), >=, event_seq (status));
}

static void
test_live_run_to_done (ServerFixture *fixture,
                       gconstpointer  data)
{
  g_autoptr(TestWs) ws = test_ws_connect (fixture, "/ws", TEST_OPERATOR_TOKEN, NULL);
  g_autoptr(JsonNode) started = NULL;
  gint64 last_seq = 0;
  gboolean done = FALSE, saw_progress = FALSE, saw_logs = FALSE;
  guint status_code = 0;
  gint64 deadline;

  g_assert_no_error (ws->error);
  orderly_engine_set_work_us (fixture->engine, 20);
  started = server_fixture_request (fixture, "POST", "/generate", TEST_OPERATOR_TOKEN,
                                    "{\"quantity\": 20000}", &status_code);
  g_assert_cmpuint (status_code, ==, 202);

  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (!done && g_get_monotonic_time () < deadline)
    {
      g_autoptr(JsonNode) event = test_ws_next (ws, 1000);
      const char *name;

      if (event == NULL)
        continue;
      name = test_event_name (event);
      if (g_str_equal (name, "connected"))
        continue;
      /* Broadcast events come in rising order. */
      if (!g_str_equal (name, "ping"))
        {
          g_assert_cmpint (event_seq (event), >=, last_seq);
          last_seq = event_seq (event);
        }
      if (g_str_equal (name, "progress"))
        {
          JsonObject *object = test_event_data_object (event);

          g_assert_true (json_object_has_member (object, "progress"));
          g_assert_true (json_object_has_member (object, "total"));
          g_assert_true (json_object_has_member (object, "current"));
          g_assert_true (json_object_has_member (object, "vipProcessed"));
          g_assert_true (json_object_has_member (object, "timestamp"));
          saw_progress = TRUE;
        }
      else if (g_str_equal (name, "logs"))
        saw_logs = TRUE;
      else if (g_str_equal (name, "status"))
        done = g_str_equal (json_object_get_string_member (test_event_data_object (event), "phase"), "DONE");
    }
  g_assert_true (done);
  g_assert_true (saw_progress);
  g_assert_true (saw_logs);
}

static JsonNode *
send_and_wait (TestWs     *ws,
               const char *text,
               const char *event)
{
  test_ws_send (ws, text);
  return test_ws_wait_event (ws, event, 2000);
}

static void
test_live_commands (ServerFixture *fixture,
                    gconstpointer  data)
{
  g_autoptr(TestWs) viewer = test_ws_connect (fixture, "/ws?token=" TEST_VIEWER_TOKEN, NULL, NULL);
  g_autoptr(TestWs) operator = test_ws_connect (fixture, "/ws", TEST_OPERATOR_TOKEN, NULL);
  g_autoptr(JsonNode) ack = NULL;
  JsonObject *object;

  g_assert_no_error (viewer->error);
  g_assert_no_error (operator->error);

  ack = send_and_wait (viewer, "{\"event\":\"get-status\",\"id\":1}", "ack");
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (ack), "id"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (test_event_data_object (ack), "phase"), ==, "IDLE");
  g_clear_pointer (&ack, json_node_unref);

  ack = send_and_wait (viewer, "{\"event\":\"start-generation\",\"data\":{\"quantity\":10},\"id\":2}", "ack");
  object = test_event_data_object (ack);
  g_assert_cmpint (json_object_get_int_member (object, "statusCode"), ==, 403);
  g_assert_false (orderly_engine_is_running (fixture->engine));
  g_clear_pointer (&ack, json_node_unref);

  ack = send_and_wait (operator, "{\"event\":\"start-generation\",\"data\":{\"quantity\":0},\"id\":\"a\"}", "ack");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (ack), "id"), ==, "a");
  g_assert_cmpint (json_object_get_int_member (test_event_data_object (ack), "statusCode"), ==, 400);
  g_clear_pointer (&ack, json_node_unref);

  ack = send_and_wait (operator, "{\"event\":\"start-generation\",\"data\":{\"quantity\":100,\"force\":true},\"id\":3}", "ack");
  object = test_event_data_object (ack);
  g_assert_false (json_object_has_member (object, "statusCode"));
  g_assert_true (json_object_has_member (object, "staleRecovered"));
  g_clear_pointer (&ack, json_node_unref);
  server_fixture_wait_phase (fixture, orderly_test_phase_finished, 20000);

  ack = send_and_wait (operator, "{\"event\":\"cancel-operation\",\"id\":4}", "ack");
  g_assert_true (json_object_has_member (test_event_data_object (ack), "phase"));
  g_clear_pointer (&ack, json_node_unref);
  ack = send_and_wait (operator, "{\"event\":\"resume-run\",\"id\":5}", "ack");
  g_assert_cmpint (json_object_get_int_member (test_event_data_object (ack), "statusCode"), ==, 409);
  g_clear_pointer (&ack, json_node_unref);
  ack = send_and_wait (operator, "{\"event\":\"reset-system\",\"id\":6}", "ack");
  g_assert_cmpint (json_object_get_int_member (test_event_data_object (ack), "deletedRuns"), ==, 1);
  g_clear_pointer (&ack, json_node_unref);

  /* Without an id: get-status answers with a status event. */
  ack = send_and_wait (viewer, "{\"event\":\"get-status\"}", "status");
  g_assert_nonnull (ack);
  g_clear_pointer (&ack, json_node_unref);
  ack = send_and_wait (viewer, "{\"event\":\"ping\"}", "pong");
  g_assert_nonnull (ack);
}

static void
test_live_bad_messages (ServerFixture *fixture,
                        gconstpointer  data)
{
  g_autoptr(TestWs) ws = test_ws_connect (fixture, "/ws", TEST_OPERATOR_TOKEN, NULL);
  g_autoptr(TestWs) binary = test_ws_connect (fixture, "/ws", TEST_OPERATOR_TOKEN, NULL);
  g_autoptr(TestWs) large = test_ws_connect (fixture, "/ws", TEST_OPERATOR_TOKEN, NULL);
  struct {
    const char *text;
    guint       status;
  } bad[] = {
    { "{not json", 400 }, { "[1,2,3]", 400 }, { "{\"data\":1}", 400 }, { "42", 400 },
    /* The dispatcher's own answer to a command it does not know. */
    { "{\"event\":\"make-coffee\"}", 404 },
  };
  g_autofree char *huge = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonNode) error = send_and_wait (ws, bad[i].text, "error");
      JsonObject *object;

      g_assert_nonnull (error);
      object = test_event_data_object (error);
      g_assert_cmpint (json_object_get_int_member (object, "statusCode"), ==, bad[i].status);
      g_assert_true (strlen (json_object_get_string_member (object, "message")) > 0);
    }
  g_assert_false (ws->closed);

  soup_websocket_connection_send_binary (binary->connection, "\x01\x02", 2);
  g_assert_true (test_ws_wait_closed (binary, 2000));
  g_assert_cmpuint (binary->close_code, ==, SOUP_WEBSOCKET_CLOSE_UNSUPPORTED_DATA);

  huge = g_strdup_printf ("{\"event\":\"get-status\",\"data\":\"%*s\"}", ORDERLY_SERVER_MAX_MESSAGE, "");
  test_ws_send (large, huge);
  g_assert_true (test_ws_wait_closed (large, 2000));
  g_assert_cmpuint (large->close_code, ==, SOUP_WEBSOCKET_CLOSE_TOO_BIG);

  /* The others are still served. */
  {
    g_autoptr(JsonNode) ack = send_and_wait (ws, "{\"event\":\"get-status\",\"id\":9}", "ack");

    g_assert_nonnull (ack);
  }
}

static void
test_live_auth (ServerFixture *fixture,
                gconstpointer  data)
{
  g_autoptr(TestWs) none = test_ws_connect (fixture, "/ws", NULL, NULL);
  g_autoptr(TestWs) bad = test_ws_connect (fixture, "/ws?token=wrong", NULL, NULL);
  g_autoptr(TestWs) query = test_ws_connect (fixture, "/ws?token=" TEST_OPERATOR_TOKEN, NULL, NULL);
  guint status = 0;
  G_GNUC_UNUSED g_autoptr(JsonNode) plain = server_fixture_request (fixture, "GET", "/ws", TEST_OPERATOR_TOKEN, NULL, &status);

  g_assert_null (none->connection);
  g_assert_null (bad->connection);
  g_assert_nonnull (query->connection);
  g_assert_cmpuint (status, ==, 400);
}

static void
test_live_connection_limit (ServerFixture *fixture,
                            gconstpointer  data)
{
  g_autoptr(TestWs) first = NULL;
  g_autoptr(TestWs) second = NULL;
  g_autoptr(TestWs) refused = NULL;
  g_autoptr(TestWs) later = NULL;
  guint status = 0;
  g_autoptr(JsonNode) rest = NULL;

  orderly_server_set_max_connections (fixture->server, 2);
  first = test_ws_connect (fixture, "/ws", TEST_VIEWER_TOKEN, NULL);
  second = test_ws_connect (fixture, "/ws", TEST_VIEWER_TOKEN, NULL);
  refused = test_ws_connect (fixture, "/ws", TEST_VIEWER_TOKEN, NULL);
  g_assert_nonnull (first->connection);
  g_assert_nonnull (second->connection);
  g_assert_null (refused->connection);
  g_assert_error (refused->error, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_ERROR_NOT_WEBSOCKET);

  /* REST still answers, and a freed place is taken again. */
  rest = server_fixture_request (fixture, "GET", "/pedidos", TEST_VIEWER_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_clear_pointer (&first, test_ws_free);
  g_assert_true (server_fixture_wait_clients (fixture, 1, 5000));
  later = test_ws_connect (fixture, "/ws", TEST_VIEWER_TOKEN, NULL);
  g_assert_nonnull (later->connection);
}

static gint64
read_until_tail (TestWs *ws)
{
  gint64 seq = -1;

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(JsonNode) event = test_ws_next (ws, 2000);

      g_assert_nonnull (event);
      seq = MAX (seq, event_seq (event));
    }
  return seq;
}

static void
test_live_reconnect (ServerFixture *fixture,
                     gconstpointer  data)
{
  g_autoptr(TestWs) first = NULL;
  g_autoptr(TestWs) again = NULL;
  g_autoptr(TestWs) late = NULL;
  g_autofree char *path = NULL;
  gint64 seq;
  JsonArray *lines;

  log_lines (fixture, 20, "before");
  orderly_hub_flush (orderly_server_get_hub (fixture->server));
  first = test_ws_connect (fixture, "/ws", TEST_VIEWER_TOKEN, NULL);
  seq = read_until_tail (first);
  g_clear_pointer (&first, test_ws_free);

  log_lines (fixture, 3, "missed");
  orderly_hub_flush (orderly_server_get_hub (fixture->server));

  path = g_strdup_printf ("/ws?since=%" G_GINT64_FORMAT, seq);
  again = test_ws_connect (fixture, path, TEST_VIEWER_TOKEN, NULL);
  {
    g_autoptr(JsonNode) connected = test_ws_next (again, 2000);
    g_autoptr(JsonNode) status = test_ws_next (again, 2000);
    g_autoptr(JsonNode) logs = test_ws_wait_event (again, "logs", 2000);

    g_assert_cmpstr (test_event_name (connected), ==, "connected");
    g_assert_cmpstr (test_event_name (status), ==, "status");
    g_assert_nonnull (logs);
    lines = event_lines (logs);
    /* Only what was missed, not the tail again. */
    g_assert_cmpuint (json_array_get_length (lines), ==, 3);
    g_assert_cmpstr (line_message (lines, 0), ==, "missed 0");
    g_assert_cmpint (event_seq (logs), >, seq);
  }

  /* A seq from another instance (the server restarted): a fresh snapshot. */
  {
    g_autofree char *foreign = g_strdup_printf ("%s&instance=another-instance", path);
    g_autoptr(TestWs) restarted = test_ws_connect (fixture, foreign, TEST_VIEWER_TOKEN, NULL);
    g_autoptr(JsonNode) logs = test_ws_wait_event (restarted, "logs", 2000);

    g_assert_nonnull (logs);
    lines = event_lines (logs);
    g_assert_cmpuint (json_array_get_length (lines), ==, 20 + 3);
    g_assert_cmpstr (line_message (lines, 0), ==, "before 0");
  }

  /* A gap older than the replay buffer: a fresh snapshot instead. */
  orderly_hub_set_limits (orderly_server_get_hub (fixture->server), ORDERLY_HUB_DEFAULT_QUEUE_LINES,
                          ORDERLY_HUB_DEFAULT_OVERFLOW_TICKS, 2);
  for (guint i = 0; i < 5; i++)
    {
      log_lines (fixture, 1, "later");
      orderly_hub_flush (orderly_server_get_hub (fixture->server));
    }
  late = test_ws_connect (fixture, path, TEST_VIEWER_TOKEN, NULL);
  {
    g_autoptr(JsonNode) logs = test_ws_wait_event (late, "logs", 2000);

    g_assert_nonnull (logs);
    lines = event_lines (logs);
    g_assert_cmpuint (json_array_get_length (lines), ==, 20 + 3 + 5);
    g_assert_cmpstr (line_message (lines, 0), ==, "before 0");
  }
}

static void
test_live_keepalive (ServerFixture *fixture,
                     gconstpointer  data)
{
  g_autoptr(TestWs) silent = NULL;
  g_autoptr(TestWs) chatty = NULL;
  g_autoptr(JsonNode) ping = NULL;
  gint64 start;

  orderly_server_set_keepalive (fixture->server, 100, 600);
  silent = test_ws_connect (fixture, "/ws", TEST_VIEWER_TOKEN, NULL);
  chatty = test_ws_connect (fixture, "/ws", TEST_VIEWER_TOKEN, NULL);
  start = g_get_monotonic_time ();

  ping = test_ws_wait_event (silent, "ping", 1000);
  g_assert_nonnull (ping);
  g_assert_true (json_object_has_member (test_event_data_object (ping), "timestamp"));

  /* The chatty client answers every ping; the silent one never does. The
   * 3 s are a liveness bound, not a budget. */
  while (!silent->closed && g_get_monotonic_time () - start < 3 * G_USEC_PER_SEC)
    {
      g_autoptr(JsonNode) next = test_ws_wait_event (chatty, "ping", 200);

      if (next != NULL)
        test_ws_send (chatty, "{\"event\":\"pong\"}");
    }
  g_assert_true (silent->closed);
  g_assert_cmpuint (silent->close_code, ==, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  /* Not before its idle time (600 ms) was up, with a margin for the
   * keepalive's own period. */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 500 * 1000);
  g_assert_false (chatty->closed);
}

/* Every live client is closed at shutdown, whatever its transport, so the
 * process does not wait out its grace period for them. */
static void
test_live_shutdown (ServerFixture *fixture,
                    gconstpointer  data)
{
  g_autoptr(TestWs) ws = test_ws_connect (fixture, "/ws", TEST_VIEWER_TOKEN, NULL);
  g_autoptr(TestSio) sio = test_sio_connect (fixture, TEST_VIEWER_TOKEN);

  g_assert_no_error (ws->error);
  g_assert_true (server_fixture_wait_clients (fixture, 2, 5000));
  orderly_server_stop (fixture->server);
  g_assert_true (test_ws_wait_closed (ws, 5000));
  g_assert_cmpuint (ws->close_code, ==, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  g_assert_true (test_sio_wait_closed (sio, 5000));
  g_assert_true (server_fixture_wait_clients (fixture, 0, 5000));
  g_assert_false (orderly_remote_get_listening (fixture->remote));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD ("/orderly/server/live/connect", test_live_connect);
  ADD ("/orderly/server/live/run-to-done", test_live_run_to_done);
  ADD ("/orderly/server/live/commands", test_live_commands);
  ADD ("/orderly/server/live/bad-messages", test_live_bad_messages);
  ADD ("/orderly/server/live/auth", test_live_auth);
  ADD ("/orderly/server/live/connection-limit", test_live_connection_limit);
  ADD ("/orderly/server/live/reconnect", test_live_reconnect);
  ADD ("/orderly/server/live/keepalive", test_live_keepalive);
  ADD ("/orderly/server/live/shutdown", test_live_shutdown);

  return g_test_run ();
}
