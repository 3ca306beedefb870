/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "orderly-json-reader.h"
#include "orderly-log-writer.h"
#include "orderly-server-limits.h"
#include "orderly-server-test-util.h"
#include "orderly-test-util.h"

/* Hostile clients of the live transports and of the JSON they send: each
 * is refused with a clear error, nothing crashes, and the others are still
 * served. */

#define ADD(path, func) \
  g_test_add (path, ServerFixture, NULL, server_fixture_setup, func, server_fixture_teardown)

/* 100,000 levels overflow json-glib's recursion on the main thread. */
#define CRASH_DEPTH 100000

/* `prefix`, then `depth` opened arrays, never closed. */
static char *
deep_text (const char *prefix,
           guint       depth)
{
  GString *text = g_string_new (prefix);

  for (guint i = 0; i < depth; i++)
    g_string_append_c (text, '[');
  return g_string_free (text, FALSE);
}

/* `{"quantity":0,"x":` and `depth` nested arrays, closed. */
static char *
nested_body (guint depth)
{
  GString *text = g_string_new ("{\"quantity\":0,\"x\":");

  for (guint i = 0; i < depth; i++)
    g_string_append_c (text, '[');
  for (guint i = 0; i < depth; i++)
    g_string_append_c (text, ']');
  g_string_append_c (text, '}');
  return g_string_free (text, FALSE);
}

static void
assert_invalid_json (JsonNode *answer,
                     guint     status)
{
  JsonObject *object;

  g_assert_nonnull (answer);
  object = json_node_get_object (answer);
  g_assert_cmpuint (status, ==, 400);
  g_assert_cmpint (json_object_get_int_member (object, "statusCode"), ==, 400);
  g_test_message ("refused: %s", json_object_get_string_member (object, "message"));
  g_assert_true (g_str_has_prefix (json_object_get_string_member (object, "message"), "Invalid JSON"));
}

/* REST bodies: too deep, or not strict JSON, is a 400 that says so, and no
 * run starts. The body limit keeps REST below a crashing depth, so the
 * point here is the limit and the strictness. */
static void
test_hostile_rest_json (ServerFixture *fixture,
                        gconstpointer  data)
{
  g_autofree char *deep = nested_body (ORDERLY_JSON_READER_MAX_DEPTH);
  g_autofree char *fits = nested_body (ORDERLY_JSON_READER_MAX_DEPTH - 1);
  static const char *not_json[] = {
    "{'quantity':5}", "{\"quantity\":5}/* more */", "{\"quantity\":5} {}", "{\"quantity\":0x10}",
    "{\"quantity\":5,}", "{\"quantity\":18446744073709551621}",
  };
  guint status;

  for (guint i = 0; i < G_N_ELEMENTS (not_json); i++)
    {
      g_autoptr(JsonNode) answer = server_fixture_request (fixture, "POST", "/generate", TEST_OPERATOR_TOKEN,
                                                           not_json[i], &status);

      g_test_message ("body %s", not_json[i]);
      assert_invalid_json (answer, status);
    }

  {
    g_autoptr(JsonNode) answer = server_fixture_request (fixture, "POST", "/generate", TEST_OPERATOR_TOKEN,
                                                         deep, &status);

    assert_invalid_json (answer, status);
  }
  {
    /* One level less is JSON; the route refuses the quantity instead. */
    g_autoptr(JsonNode) answer = server_fixture_request (fixture, "POST", "/generate", TEST_OPERATOR_TOKEN,
                                                         fits, &status);
    JsonObject *object = json_node_get_object (answer);

    g_assert_cmpuint (status, ==, 400);
    g_assert_false (g_str_has_prefix (json_object_get_string_member (object, "message"), "Invalid JSON"));
  }
  g_assert_cmpint (orderly_status_get_phase (orderly_engine_get_status (fixture->engine)), ==,
                   ORDERLY_PHASE_IDLE);
}

/* /ws: the same rules, as an error event; the client stays connected. */
static void
test_hostile_ws_json (ServerFixture *fixture,
                      gconstpointer  data)
{
  g_autoptr(TestWs) ws = test_ws_connect (fixture, "/ws", TEST_OPERATOR_TOKEN, NULL);
  g_autofree char *deep = NULL;
  g_autofree char *too_deep = NULL;
  static const char *not_json[] = {
    "{'event':'get-status','id':1}", "{\"event\":\"get-status\",\"id\":1}// c",
    "{\"event\":\"get-status\",\"id\":0x1}",
  };

  {
    g_autofree char *inner = deep_text ("", ORDERLY_JSON_READER_MAX_DEPTH);
    GString *text = g_string_new ("{\"event\":\"get-status\",\"id\":1,\"data\":");

    g_string_append (text, inner);
    for (guint i = 0; i < ORDERLY_JSON_READER_MAX_DEPTH; i++)
      g_string_append_c (text, ']');
    g_string_append_c (text, '}');
    too_deep = g_string_free (text, FALSE);
  }
  /* Below 64 KiB, and deep enough for json-glib to take a while. */
  deep = deep_text ("{\"event\":\"get-status\",\"data\":", 60000);

  for (guint i = 0; i < G_N_ELEMENTS (not_json) + 2; i++)
    {
      const char *text = i < G_N_ELEMENTS (not_json) ? not_json[i] : i == G_N_ELEMENTS (not_json) ? too_deep : deep;
      g_autoptr(JsonNode) error = NULL;
      JsonObject *object;

      test_ws_send (ws, text);
      error = test_ws_wait_event (ws, "error", 5000);
      g_assert_nonnull (error);
      object = test_event_data_object (error);
      g_assert_cmpint (json_object_get_int_member (object, "statusCode"), ==, 400);
      g_assert_true (g_str_has_prefix (json_object_get_string_member (object, "message"), "Invalid JSON"));
    }
  g_assert_false (ws->closed);

  test_ws_send (ws, "{\"event\":\"get-status\",\"id\":2}");
  {
    g_autoptr(JsonNode) ack = test_ws_wait_event (ws, "ack", 5000);

    g_assert_nonnull (ack);
  }
}

/* Socket.IO over WebSocket: a packet nested 100,000 deep closes that
 * connection as a parse error, and the server goes on serving. */
static void
test_hostile_sio_websocket_json (ServerFixture *fixture,
                                 gconstpointer  data)
{
  g_autoptr(TestSio) sio = test_sio_connect (fixture, TEST_VIEWER_TOKEN);
  g_autoptr(TestSio) other = test_sio_connect (fixture, TEST_VIEWER_TOKEN);
  g_autofree char *deep = deep_text ("42[\"get-status\",", CRASH_DEPTH);

  soup_websocket_connection_send_text (sio->connection, deep);
  g_assert_true (test_sio_wait_closed (sio, 10000));

  /* Single quotes are not JSON either. */
  soup_websocket_connection_send_text (other->connection, "42['get-status']");
  g_assert_true (test_sio_wait_closed (other, 10000));

  {
    g_autoptr(TestSio) again = test_sio_connect (fixture, TEST_VIEWER_TOKEN);

    g_assert_false (again->closed);
  }
}

static char *
polling_handshake (ServerFixture *fixture)
{
  g_autofree char *response = test_raw_http (fixture->port,
                                             "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n"
                                             "Host: 127.0.0.1\r\nConnection: close\r\n\r\n",
                                             TRUE, NULL);
  const char *body = strstr (response, "\r\n\r\n");
  g_autoptr(JsonNode) open = NULL;

  g_assert_nonnull (body);
  g_assert_true (g_str_has_prefix (body + 4, "0{"));
  open = orderly_json_parse (body + 5, strlen (body + 5), NULL);
  g_assert_nonnull (open);
  return g_strdup (json_object_get_string_member (json_node_get_object (open), "sid"));
}

/* Socket.IO over polling, with no token at all: the same packet in a POST
 * ends that session and nothing else. */
static void
test_hostile_sio_polling_json (ServerFixture *fixture,
                               gconstpointer  data)
{
  g_autofree char *sid = polling_handshake (fixture);
  g_autofree char *deep = deep_text ("42[\"get-status\",", CRASH_DEPTH);
  g_autofree char *post = g_strdup_printf ("POST /socket.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\n"
                                           "Host: 127.0.0.1\r\nConnection: close\r\n"
                                           "Content-Type: text/plain;charset=UTF-8\r\n"
                                           "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n%s",
                                           sid, strlen (deep), deep);
  g_autofree char *get = g_strdup_printf ("GET /socket.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\n"
                                          "Host: 127.0.0.1\r\nConnection: close\r\n\r\n", sid);
  g_autofree char *posted = test_raw_http (fixture->port, post, TRUE, NULL);
  g_autofree char *closing = test_raw_http (fixture->port, get, TRUE, NULL);
  g_autofree char *after = test_raw_http (fixture->port, get, TRUE, NULL);

  g_test_message ("POST: %.40s", posted);
  g_assert_true (g_str_has_prefix (posted, "HTTP/1.1 "));
  /* The GET after the close is told so (noop, close); then the sid is gone. */
  g_assert_true (g_str_has_prefix (closing, "HTTP/1.1 200"));
  g_assert_true (g_str_has_suffix (closing, "\r\n\r\n6\x1e" "1"));
  g_assert_true (g_str_has_prefix (after, "HTTP/1.1 400"));
  g_assert_nonnull (strstr (after, "Session ID unknown"));

  /* A new session still opens. */
  g_clear_pointer (&sid, g_free);
  sid = polling_handshake (fixture);
  g_assert_nonnull (sid);
}

/* Engine.IO sessions that never show a token have places of their own:
 * however many are opened, the operator's /ws and a Socket.IO client with
 * a token still connect, and the oldest of them are closed. */
static void
test_hostile_pending_flood (ServerFixture *fixture,
                            gconstpointer  data)
{
  g_autofree char *oldest = NULL;
  g_autofree char *get = NULL;

  orderly_server_set_max_connections (fixture->server, 4);
  oldest = polling_handshake (fixture);
  for (guint i = 0; i < ORDERLY_SERVER_MAX_PENDING_SESSIONS + 8; i++)
    {
      g_autofree char *sid = polling_handshake (fixture);

      g_assert_nonnull (sid);
    }

  {
    g_autoptr(TestWs) ws = test_ws_connect (fixture, "/ws", TEST_OPERATOR_TOKEN, NULL);
    g_autoptr(TestSio) sio = test_sio_connect (fixture, TEST_VIEWER_TOKEN);
    g_autoptr(JsonNode) status = test_ws_wait_event (ws, "status", 5000);

    g_assert_no_error (ws->error);
    g_assert_nonnull (ws->connection);
    g_assert_nonnull (status);
    g_assert_false (sio->closed);
  }

  /* The oldest session made room: it is told it is closed, then gone. */
  get = g_strdup_printf ("GET /socket.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\n"
                         "Host: 127.0.0.1\r\nConnection: close\r\n\r\n", oldest);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *answer = test_raw_http (fixture->port, get, TRUE, NULL);

      if (g_str_has_prefix (answer, "HTTP/1.1 400"))
        {
          g_assert_nonnull (strstr (answer, "Session ID unknown"));
          return;
        }
      g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 200"));
      g_assert_true (g_str_has_suffix (answer, "1"));
    }
  g_assert_not_reached ();
}

/* More than a burst of commands, faster than the budget refills. */
#define FLOOD (3 * ORDERLY_SERVER_COMMAND_BURST)

/* /ws: a client that floods commands is told 429 for those over its
 * budget; what it was allowed is answered, and it stays connected. */
static void
test_hostile_ws_command_flood (ServerFixture *fixture,
                               gconstpointer  data)
{
  g_autoptr(TestWs) ws = test_ws_connect (fixture, "/ws", TEST_VIEWER_TOKEN, NULL);
  guint acks = 0, refused = 0;

  for (guint i = 0; i < FLOOD; i++)
    {
      g_autofree char *text = g_strdup_printf ("{\"event\":\"get-status\",\"id\":%u}", i);

      test_ws_send (ws, text);
    }
  while (acks + refused < FLOOD)
    {
      g_autoptr(JsonNode) event = test_ws_next (ws, 10000);
      const char *name;

      g_assert_nonnull (event);
      name = test_event_name (event);
      if (g_strcmp0 (name, "ack") == 0)
        acks++;
      else if (g_strcmp0 (name, "error") == 0)
        {
          JsonObject *object = test_event_data_object (event);

          g_assert_cmpint (json_object_get_int_member (object, "statusCode"), ==, 429);
          g_assert_true (g_str_has_prefix (json_object_get_string_member (object, "message"), "Too many messages"));
          refused++;
        }
    }
  g_test_message ("%u answered, %u refused", acks, refused);
  g_assert_cmpuint (acks, >=, ORDERLY_SERVER_COMMAND_BURST);
  g_assert_cmpuint (refused, >, 0);
  g_assert_false (ws->closed);
}

/* Socket.IO: the same budget, the refusal in the ack. */
static void
test_hostile_sio_command_flood (ServerFixture *fixture,
                                gconstpointer  data)
{
  g_autoptr(TestSio) sio = test_sio_connect (fixture, TEST_VIEWER_TOKEN);
  guint acks = 0, refused = 0;

  for (guint i = 0; i < FLOOD; i++)
    {
      g_autofree char *text = g_strdup_printf ("42%u[\"get-status\"]", i);

      soup_websocket_connection_send_text (sio->connection, text);
    }
  while (acks + refused < FLOOD)
    {
      g_autofree char *packet = test_sio_next (sio, 10000);

      g_assert_nonnull (packet);
      if (!g_str_has_prefix (packet, "43"))
        continue;
      if (strstr (packet, "\"statusCode\":429") != NULL)
        {
          g_assert_nonnull (strstr (packet, "Too many messages"));
          refused++;
        }
      else
        acks++;
    }
  g_test_message ("%u answered, %u refused", acks, refused);
  g_assert_cmpuint (acks, >=, ORDERLY_SERVER_COMMAND_BURST);
  g_assert_cmpuint (refused, >, 0);
  g_assert_false (sio->closed);
}

/* Client text in a log message cannot forge a line: the event name's
 * line break is written as an escape. Run in a child, whose stderr the
 * test reads. */
static void
test_hostile_log_forgery (ServerFixture *fixture,
                          gconstpointer  data)
{
  if (g_test_subprocess ())
    {
      g_autoptr(TestWs) ws = NULL;
      g_autoptr(JsonNode) error = NULL;

      orderly_log_writer_install ();
      ws = test_ws_connect (fixture, "/ws", TEST_VIEWER_TOKEN, NULL);
      test_ws_send (ws, "{\"event\":\"make\\nFORGED line\\r\\u001b[2K\"}");
      error = test_ws_wait_event (ws, "error", 5000);
      g_assert_nonnull (error);
      return;
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  /* (the quotes may come out as ? in a C locale) */
  g_test_trap_assert_stderr ("*Refused ?make\\nFORGED line\\r\\x1b[2K? from WebSocket client*");
  g_test_trap_assert_stderr_unmatched ("*\nFORGED*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD ("/orderly/server/hostile/rest-json", test_hostile_rest_json);
  ADD ("/orderly/server/hostile/ws-json", test_hostile_ws_json);
  ADD ("/orderly/server/hostile/sio-websocket-json", test_hostile_sio_websocket_json);
  ADD ("/orderly/server/hostile/sio-polling-json", test_hostile_sio_polling_json);
  ADD ("/orderly/server/hostile/log-forgery", test_hostile_log_forgery);
  ADD ("/orderly/server/hostile/pending-flood", test_hostile_pending_flood);
  ADD ("/orderly/server/hostile/ws-command-flood", test_hostile_ws_command_flood);
  ADD ("/orderly/server/hostile/sio-command-flood", test_hostile_sio_command_flood);

  return g_test_run ();
}
