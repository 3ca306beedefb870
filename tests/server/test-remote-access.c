/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "orderly-server-test-util.h"
#include "orderly-test-util.h"

/* An operator ends a client's connection, on /ws and Socket.IO alike, and
 * replaces the access tokens, which ends every session of the old ones. */

#define ADD(path, func, flags) \
  g_test_add (path, ServerFixture, GUINT_TO_POINTER (flags), server_fixture_setup, func, server_fixture_teardown)

static JsonObject *
object_of (JsonNode *node)
{
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_get_object (node);
}

/* The id of the one client whose transport starts with @transport. */
static char *
dup_client_id (ServerFixture *fixture,
               const char    *transport)
{
  GListModel *clients = orderly_remote_get_clients (fixture->remote);

  for (guint i = 0; i < g_list_model_get_n_items (clients); i++)
    {
      g_autoptr(OrderlyClient) client = g_list_model_get_item (clients, i);

      if (g_str_has_prefix (orderly_client_get_transport (client), transport))
        return g_strdup (orderly_client_get_id (client));
    }
  return NULL;
}

/* A Socket.IO DISCONNECT (41) from the server, or the connection closed:
 * either way socket.io-client does not reconnect by itself after 41. */
static gboolean
sio_told_to_go (TestSio *sio)
{
  for (;;)
    {
      g_autofree char *packet = test_sio_next (sio, 10000);

      if (packet == NULL)
        return sio->closed;
      if (g_str_equal (packet, "41"))
        return TRUE;
    }
}

/* POST /clients/{id}/disconnect ends that client's connection, and only
 * that one's; a viewer may not, an unknown id is a 404. */
static void
test_remote_disconnect (ServerFixture *fixture,
                        gconstpointer  data)
{
  g_autoptr(TestWs) ws = test_ws_connect (fixture, "/ws", TEST_VIEWER_TOKEN, NULL);
  g_autoptr(TestSio) sio = test_sio_connect (fixture, TEST_VIEWER_TOKEN);
  g_autoptr(TestWs) other = test_ws_connect (fixture, "/ws", TEST_OPERATOR_TOKEN, NULL);
  g_autofree char *ws_id = NULL;
  g_autofree char *sio_id = NULL;
  g_autofree char *path = NULL;
  guint status = 0;
  JsonNode *answer;

  g_assert_true (server_fixture_wait_clients (fixture, 3, 10000));
  ws_id = dup_client_id (fixture, "websocket");
  sio_id = dup_client_id (fixture, "socket.io");
  g_assert_nonnull (ws_id);
  g_assert_nonnull (sio_id);

  path = g_strdup_printf ("/clients/%s/disconnect", ws_id);
  answer = server_fixture_request (fixture, "POST", path, TEST_VIEWER_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 403);
  json_node_unref (answer);
  g_assert_cmpuint (g_list_model_get_n_items (orderly_remote_get_clients (fixture->remote)), ==, 3);

  answer = server_fixture_request (fixture, "POST", "/clients/no-such-client/disconnect", TEST_OPERATOR_TOKEN,
                                   NULL, &status);
  g_assert_cmpuint (status, ==, 404);
  json_node_unref (answer);

  answer = server_fixture_request (fixture, "POST", path, TEST_OPERATOR_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (json_object_get_boolean_member (object_of (answer), "disconnected"));
  g_assert_cmpstr (json_object_get_string_member (object_of (answer), "id"), ==, ws_id);
  json_node_unref (answer);
  g_assert_true (test_ws_wait_closed (ws, 10000));
  g_assert_cmpuint (ws->close_code, ==, 1008);

  g_clear_pointer (&path, g_free);
  path = g_strdup_printf ("/clients/%s/disconnect", sio_id);
  answer = server_fixture_request (fixture, "POST", path, TEST_OPERATOR_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  json_node_unref (answer);
  g_assert_true (sio_told_to_go (sio));

  /* The other client stays. */
  g_assert_true (server_fixture_wait_clients (fixture, 1, 10000));
  g_assert_false (other->closed);
}

/* The command over /ws: the client that asks to be disconnected gets its
 * answer first. */
static void
test_remote_disconnect_self (ServerFixture *fixture,
                             gconstpointer  data)
{
  g_autoptr(TestWs) ws = test_ws_connect (fixture, "/ws", TEST_OPERATOR_TOKEN, NULL);
  g_autoptr(JsonNode) connected = test_ws_wait_event (ws, "connected", 5000);
  const char *id = json_object_get_string_member (test_event_data_object (connected), "clientId");
  g_autofree char *command = g_strdup_printf ("{\"event\": \"disconnect-client\", \"data\": {\"id\": \"%s\"}, \"id\": 9}",
                                              id);
  g_autoptr(JsonNode) ack = NULL;

  test_ws_send (ws, command);
  ack = test_ws_wait_event (ws, "ack", 5000);
  g_assert_nonnull (ack);
  g_assert_true (json_object_get_boolean_member (test_event_data_object (ack), "disconnected"));
  g_assert_true (test_ws_wait_closed (ws, 10000));
  g_assert_cmpuint (ws->close_code, ==, 1008);
}

static char *
read_token (ServerFixture *fixture,
            const char    *role)
{
  g_autofree char *path = g_build_filename (fixture->data_dir, "tokens.ini", NULL);
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();

  g_assert_true (g_key_file_load_from_file (keyfile, path, G_KEY_FILE_NONE, NULL));
  return g_key_file_get_string (keyfile, "tokens", role, NULL);
}

/* POST /tokens/rotate: new tokens in tokens.ini and in the answer, the old
 * ones refused from then on, every live session of theirs ended. */
static void
test_remote_rotate (ServerFixture *fixture,
                    gconstpointer  data)
{
  g_autofree char *old_operator = NULL;
  g_autofree char *old_viewer = NULL;
  g_autofree char *new_operator = NULL;
  g_autofree char *new_viewer = NULL;
  g_autoptr(TestWs) ws = NULL;
  g_autoptr(TestSio) sio = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(JsonNode) refused = NULL;
  g_autoptr(JsonNode) allowed = NULL;
  guint status = 0;
  JsonObject *object;

  /* The fixture's tokens are stored for this test. */
  g_assert_true (orderly_remote_regenerate_tokens (fixture->remote, NULL));
  old_operator = read_token (fixture, "operator");
  old_viewer = read_token (fixture, "viewer");
  ws = test_ws_connect (fixture, "/ws", old_viewer, NULL);
  sio = test_sio_connect (fixture, old_operator);
  g_assert_true (server_fixture_wait_clients (fixture, 2, 10000));

  refused = server_fixture_request (fixture, "POST", "/tokens/rotate", old_viewer, NULL, &status);
  g_assert_cmpuint (status, ==, 403);
  g_clear_pointer (&refused, json_node_unref);

  answer = server_fixture_request (fixture, "POST", "/tokens/rotate", old_operator, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  object = object_of (answer);
  new_operator = read_token (fixture, "operator");
  new_viewer = read_token (fixture, "viewer");
  g_assert_cmpstr (new_operator, !=, old_operator);
  g_assert_cmpstr (new_viewer, !=, old_viewer);
  g_assert_cmpstr (json_object_get_string_member (object, "operatorToken"), ==, new_operator);
  g_assert_cmpstr (json_object_get_string_member (object, "viewerToken"), ==, new_viewer);
  g_assert_nonnull (strstr (json_object_get_string_member (object, "viewerUrl"), new_viewer));
  g_assert_cmpint (json_object_get_int_member (object, "sessionsEnded"), ==, 2);

  /* The sessions of the old tokens end; the old tokens are refused. */
  g_assert_true (test_ws_wait_closed (ws, 10000));
  g_assert_cmpuint (ws->close_code, ==, 1008);
  g_assert_true (sio_told_to_go (sio));
  g_assert_true (server_fixture_wait_clients (fixture, 0, 10000));
  refused = server_fixture_request (fixture, "GET", "/pedidos", old_viewer, NULL, &status);
  g_assert_cmpuint (status, ==, 401);
  g_clear_pointer (&refused, json_node_unref);
  refused = server_fixture_request (fixture, "GET", "/pedidos", old_operator, NULL, &status);
  g_assert_cmpuint (status, ==, 401);
  allowed = server_fixture_request (fixture, "GET", "/clients", new_operator, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  {
    g_autoptr(TestWs) again = test_ws_connect (fixture, "/ws", new_viewer, NULL);
    g_autoptr(JsonNode) connected = test_ws_wait_event (again, "connected", 5000);

    g_assert_nonnull (connected);
  }
}

/* Tokens that come from the environment stay: the answer says why. */
static void
test_remote_rotate_refused (ServerFixture *fixture,
                            gconstpointer  data)
{
  guint status = 0;
  g_autoptr(TestWs) ws = test_ws_connect (fixture, "/ws", TEST_VIEWER_TOKEN, NULL);
  g_autoptr(JsonNode) answer = server_fixture_request (fixture, "POST", "/tokens/rotate", TEST_OPERATOR_TOKEN,
                                                       NULL, &status);

  g_assert_cmpuint (status, ==, 403);
  g_assert_nonnull (strstr (json_object_get_string_member (object_of (answer), "message"), "environment"));
  g_assert_true (server_fixture_wait_clients (fixture, 1, 10000));
  g_assert_false (ws->closed);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD ("/orderly/server/clients/disconnect", test_remote_disconnect, FIXTURE_DEFAULT);
  ADD ("/orderly/server/clients/disconnect-self", test_remote_disconnect_self, FIXTURE_DEFAULT);
  ADD ("/orderly/server/tokens/rotate", test_remote_rotate, FIXTURE_TOKENS_FILE);
  ADD ("/orderly/server/tokens/rotate-refused", test_remote_rotate_refused, FIXTURE_DEFAULT);

  return g_test_run ();
}
