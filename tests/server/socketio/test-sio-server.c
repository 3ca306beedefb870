/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Engine.IO server and the Socket.IO layer, driven through real
 * sockets with SoupSession. */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "orderly-json-writer.h"
#include "orderly-sio-packet.h"
#include "orderly-sio-server.h"

typedef struct
{
  SoupServer       *server;
  OrderlySioServer *sio;
  SoupSession      *session;
  char             *base;
  GPtrArray        *sockets;
  GPtrArray        *events;
  gboolean          refuse;
  char             *seen_token;
  /* requests the server has read, its handlers about to run */
  guint             requests_read;
} Fixture;

typedef struct
{
  gboolean  done;
  guint     status;
  char     *body;
} Reply;

static gboolean
authorize_cb (OrderlySioServer  *server,
              OrderlySioSocket  *socket,
              guint             *role,
              char             **message,
              gpointer           user_data)
{
  Fixture *fixture = user_data;
  JsonObject *auth = orderly_sio_socket_get_auth (socket);

  g_free (fixture->seen_token);
  fixture->seen_token = g_strdup (json_object_get_string_member_with_default (auth, "token", NULL));
  if (fixture->refuse)
    {
      *message = g_strdup ("Invalid token");
      return FALSE;
    }
  *role = 7;
  return TRUE;
}

static void
connection_cb (OrderlySioServer *server,
               OrderlySioSocket *socket,
               gpointer          user_data)
{
  Fixture *fixture = user_data;
  g_autoptr(JsonNode) hello = json_from_string ("{\"message\":\"hi\"}", NULL);

  g_ptr_array_add (fixture->sockets, g_object_ref (socket));
  orderly_sio_socket_emit (socket, "connected", hello);
}

static void
event_cb (OrderlySioServer *server,
          OrderlySioSocket *socket,
          const char       *name,
          JsonArray        *args,
          GPtrArray        *attachments,
          gint64            ack_id,
          gpointer          user_data)
{
  Fixture *fixture = user_data;
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_ARRAY);
  g_autofree char *json = NULL;

  json_node_set_array (node, args);
  json = orderly_json_to_string (node);
  g_ptr_array_add (fixture->events, g_strdup_printf ("%s %s %" G_GINT64_FORMAT, name, json, ack_id));
  if (ack_id >= 0)
    orderly_sio_socket_ack (socket, ack_id, args, attachments);
}

static void
request_read_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 Fixture           *fixture)
{
  fixture->requests_read++;
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoslist(GUri) uris = NULL;
  g_autofree char *uri = NULL;

  fixture->server = soup_server_new (NULL, NULL);
  soup_server_remove_websocket_extension (fixture->server, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  fixture->sio = orderly_sio_server_new ("/socket.io");
  orderly_sio_server_set_authorize_func (fixture->sio, authorize_cb, fixture, NULL);
  g_signal_connect (fixture->sio, "connection", G_CALLBACK (connection_cb), fixture);
  g_signal_connect (fixture->sio, "event", G_CALLBACK (event_cb), fixture);
  orderly_sio_server_attach (fixture->sio, fixture->server);
  g_signal_connect (fixture->server, "request-read", G_CALLBACK (request_read_cb), fixture);

  soup_server_listen_local (fixture->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (fixture->server);
  uri = g_uri_to_string (uris->data);
  fixture->base = g_strdup_printf ("%ssocket.io/", uri);

  fixture->session = soup_session_new ();
  fixture->sockets = g_ptr_array_new_with_free_func (g_object_unref);
  fixture->events = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_pointer (&fixture->sockets, g_ptr_array_unref);
  g_clear_pointer (&fixture->events, g_ptr_array_unref);
  g_clear_object (&fixture->session);
  g_assert_finalize_object (g_steal_pointer (&fixture->sio));
  soup_server_disconnect (fixture->server);
  g_clear_object (&fixture->server);
  g_free (fixture->base);
  g_free (fixture->seen_token);
}

static void
reply_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Reply *reply = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);

  reply->status = error == NULL ? soup_message_get_status (msg) : 0;
  reply->body = bytes != NULL ? g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes)) : NULL;
  reply->done = TRUE;
}

static Reply *
request_start_cancellable (Fixture      *fixture,
                           const char   *method,
                           const char   *query,
                           const char   *body,
                           GCancellable *cancellable);

static Reply *
request_start (Fixture    *fixture,
               const char *method,
               const char *query,
               const char *body)
{
  return request_start_cancellable (fixture, method, query, body, NULL);
}

static Reply *
request_start_cancellable (Fixture      *fixture,
                           const char   *method,
                           const char   *query,
                           const char   *body,
                           GCancellable *cancellable)
{
  g_autofree char *url = g_strdup_printf ("%s?%s", fixture->base, query);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  Reply *reply = g_new0 (Reply, 1);

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "text/plain;charset=UTF-8", bytes);
    }
  soup_session_send_and_read_async (fixture->session, msg, G_PRIORITY_DEFAULT, cancellable, reply_done_cb, reply);
  return reply;
}

/* Starts a request and returns once the server has handled it: a GET is
 * then held, if it is to be. */
static Reply *
request_start_handled (Fixture      *fixture,
                       const char   *method,
                       const char   *query,
                       const char   *body,
                       GCancellable *cancellable)
{
  guint read = fixture->requests_read;
  Reply *reply = request_start_cancellable (fixture, method, query, body, cancellable);

  /* "request-read" comes just before the handlers, in the same dispatch. */
  while (fixture->requests_read == read)
    g_main_context_iteration (NULL, TRUE);
  return reply;
}

static void
reply_wait (Reply *reply)
{
  while (!reply->done)
    g_main_context_iteration (NULL, TRUE);
}

static void
reply_free (Reply *reply)
{
  g_free (reply->body);
  g_free (reply);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, reply_free)

static Reply *
request (Fixture    *fixture,
         const char *method,
         const char *query,
         const char *body)
{
  Reply *reply = request_start (fixture, method, query, body);

  reply_wait (reply);
  return reply;
}

static char *
open_polling (Fixture *fixture)
{
  g_autoptr(Reply) reply = request (fixture, "GET", "EIO=4&transport=polling", NULL);
  g_autoptr(JsonNode) open = NULL;

  g_assert_cmpuint (reply->status, ==, 200);
  g_assert_true (g_str_has_prefix (reply->body, "0{"));
  open = json_from_string (reply->body + 1, NULL);
  return g_strdup (json_object_get_string_member (json_node_get_object (open), "sid"));
}

static char *
poll_query (const char *sid)
{
  return g_strdup_printf ("EIO=4&transport=polling&sid=%s", sid);
}

static void
test_server_handshake_errors (Fixture       *fixture,
                              gconstpointer  data)
{
  static const struct { const char *method; const char *query; guint status; const char *body; } cases[] = {
    { "GET", "EIO=4&transport=abc", 400, "{\"code\":0,\"message\":\"Transport unknown\"}" },
    { "GET", "EIO=4", 400, "{\"code\":0,\"message\":\"Transport unknown\"}" },
    { "GET", "EIO=4&transport=polling&sid=nope", 400, "{\"code\":1,\"message\":\"Session ID unknown\"}" },
    { "POST", "EIO=4&transport=polling", 400, "{\"code\":2,\"message\":\"Bad handshake method\"}" },
    { "GET", "EIO=4&transport=websocket", 400, "{\"code\":3,\"message\":\"Bad request\"}" },
    { "GET", "transport=polling", 400, "{\"code\":5,\"message\":\"Unsupported protocol version\"}" },
    { "GET", "EIO=3&transport=polling", 400, "{\"code\":5,\"message\":\"Unsupported protocol version\"}" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(Reply) reply = request (fixture, cases[i].method, cases[i].query, cases[i].method[0] == 'P' ? "" : NULL);

      g_assert_cmpuint (reply->status, ==, cases[i].status);
      g_assert_cmpstr (reply->body, ==, cases[i].body);
    }
}

static void
test_server_polling_session (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *sid = open_polling (fixture);
  g_autofree char *query = poll_query (sid);
  g_autoptr(Reply) posted = NULL;
  g_autoptr(Reply) got = NULL;
  g_autoptr(Reply) acked = NULL;
  g_autoptr(Reply) answer = NULL;
  g_auto(GStrv) parts = NULL;
  OrderlySioSocket *socket;

  posted = request (fixture, "POST", query, "40{\"token\":\"secret\"}");
  g_assert_cmpuint (posted->status, ==, 200);
  g_assert_cmpstr (posted->body, ==, "ok");
  g_assert_cmpstr (fixture->seen_token, ==, "secret");
  g_assert_cmpuint (fixture->sockets->len, ==, 1);

  socket = g_ptr_array_index (fixture->sockets, 0);
  g_assert_cmpuint (orderly_sio_socket_get_role (socket), ==, 7);
  g_assert_cmpstr (orderly_sio_socket_get_transport_name (socket), ==, "polling");
  g_assert_cmpstr (orderly_sio_socket_get_remote_address (socket), ==, "127.0.0.1");
  g_assert_cmpstr (orderly_sio_socket_get_namespace (socket), ==, "/");

  /* The CONNECT reply comes first, then what the connection handler emitted. */
  got = request (fixture, "GET", query, NULL);
  parts = g_strsplit (got->body, "\x1e", -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  g_assert_true (g_str_has_prefix (parts[0], "40{\"sid\":\""));
  g_assert_null (strstr (parts[0], sid));
  g_assert_cmpstr (parts[1], ==, "42[\"connected\",{\"message\":\"hi\"}]");

  /* An event with ack id 0, answered through the ack. */
  acked = request (fixture, "POST", query, "420[\"get-status\",{\"a\":1}]");
  g_assert_cmpuint (fixture->events->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->events, 0), ==, "get-status [{\"a\":1}] 0");
  answer = request (fixture, "GET", query, NULL);
  g_assert_cmpstr (answer->body, ==, "430[{\"a\":1}]");
}

static void
test_server_refused (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *sid = open_polling (fixture);
  g_autofree char *query = poll_query (sid);
  g_autoptr(Reply) posted = NULL;
  g_autoptr(Reply) got = NULL;
  g_autoptr(Reply) unknown = NULL;
  g_autoptr(Reply) got2 = NULL;

  fixture->refuse = TRUE;
  posted = request (fixture, "POST", query, "40{\"token\":\"wrong\"}");
  got = request (fixture, "GET", query, NULL);
  g_assert_cmpstr (got->body, ==, "44{\"message\":\"Invalid token\"}");
  g_assert_cmpuint (fixture->sockets->len, ==, 0);

  unknown = request (fixture, "POST", query, "40/admin,");
  got2 = request (fixture, "GET", query, NULL);
  g_assert_cmpstr (got2->body, ==, "44/admin,{\"message\":\"Invalid namespace\"}");
}

static void
test_server_broadcast_and_queue (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autofree char *sid_a = open_polling (fixture);
  g_autofree char *sid_b = open_polling (fixture);
  g_autofree char *query_a = poll_query (sid_a);
  g_autofree char *query_b = poll_query (sid_b);
  g_autoptr(JsonNode) status1 = json_from_string ("{\"phase\":\"GENERATING\"}", NULL);
  g_autoptr(JsonNode) status2 = json_from_string ("{\"phase\":\"DONE\"}", NULL);
  g_autoptr(GBytes) log = orderly_sio_encode_event (NULL, "log", NULL);
  g_autoptr(GBytes) first = orderly_sio_encode_event (NULL, "status", status1);
  g_autoptr(GBytes) latest = orderly_sio_encode_event (NULL, "status", status2);
  OrderlySioSocket *socket_a;
  OrderlyEioSession *session_a;

  reply_free (request (fixture, "POST", query_a, "40"));
  reply_free (request (fixture, "POST", query_b, "40"));
  reply_free (request (fixture, "GET", query_a, NULL));
  reply_free (request (fixture, "GET", query_b, NULL));
  g_assert_cmpuint (orderly_sio_server_get_n_sockets (fixture->sio, "/"), ==, 2);

  socket_a = g_ptr_array_index (fixture->sockets, 0);
  session_a = orderly_sio_socket_get_session (socket_a);

  orderly_sio_server_broadcast_latest (fixture->sio, NULL, 1, first);
  orderly_sio_server_broadcast (fixture->sio, NULL, log);
  orderly_sio_server_broadcast_latest (fixture->sio, NULL, 1, latest);

  {
    g_autoptr(Reply) a = request (fixture, "GET", query_a, NULL);
    g_autoptr(Reply) b = request (fixture, "GET", query_b, NULL);

    /* The newer status took the older one's place, ahead of the log. */
    g_assert_cmpstr (a->body, ==, "42[\"status\",{\"phase\":\"DONE\"}]\x1e" "42[\"log\"]");
    g_assert_cmpstr (b->body, ==, a->body);
  }

  /* A bounded queue drops the oldest. */
  orderly_eio_server_set_max_queue (orderly_sio_server_get_engine (fixture->sio), 2);
  for (int i = 0; i < 4; i++)
    {
      g_autofree char *text = g_strdup_printf ("42[\"n\",%d]", i);
      g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));

      orderly_eio_session_send_encoded (session_a, bytes);
    }
  g_assert_false (orderly_eio_session_can_write (session_a, 2));
  g_assert_true (orderly_eio_session_can_write (session_a, 3));
  {
    g_autoptr(Reply) a = request (fixture, "GET", query_a, NULL);

    g_assert_cmpstr (a->body, ==, "42[\"n\",2]\x1e" "42[\"n\",3]");
  }
}

/* A polling client that does not poll holds no more than a WebSocket
 * would leave unread for it: past that the oldest packets go, whatever
 * their count. */
static void
test_server_polling_bytes (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *sid = open_polling (fixture);
  g_autofree char *query = poll_query (sid);
  g_autofree char *filler = g_strnfill (100 * 1000, 'x');
  OrderlyEioSession *session;
  guint n = 0;

  reply_free (request (fixture, "POST", query, "40"));
  reply_free (request (fixture, "GET", query, NULL));
  session = orderly_sio_socket_get_session (g_ptr_array_index (fixture->sockets, 0));

  /* 50 packets of 100 kB: 5 MB, far fewer than the count bound */
  for (; n < 50; n++)
    {
      g_autofree char *text = g_strdup_printf ("42[\"n\",%u,\"%s\"]", n, filler);
      g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));

      orderly_eio_session_send_encoded (session, bytes);
    }
  {
    g_autoptr(Reply) reply = request (fixture, "GET", query, NULL);
    g_autofree char *last = g_strdup_printf ("42[\"n\",%u,", n - 1);

    g_test_message ("%" G_GSIZE_FORMAT " bytes in the GET", strlen (reply->body));
    g_assert_cmpuint (reply->status, ==, 200);
    g_assert_cmpuint (strlen (reply->body), <=, 2 * ORDERLY_EIO_DEFAULT_MAX_PAYLOAD + 1000);
    g_assert_cmpuint (strlen (reply->body), >=, ORDERLY_EIO_DEFAULT_MAX_PAYLOAD);
    /* the newest are kept */
    g_assert_nonnull (strstr (reply->body, last));
    g_assert_null (strstr (reply->body, "42[\"n\",0,"));
  }
}

static void
test_server_held_get (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *sid = open_polling (fixture);
  g_autofree char *query = poll_query (sid);
  g_autoptr(Reply) held = NULL;
  OrderlySioSocket *socket;

  reply_free (request (fixture, "POST", query, "40"));
  reply_free (request (fixture, "GET", query, NULL));
  socket = g_ptr_array_index (fixture->sockets, 0);

  held = request_start_handled (fixture, "GET", query, NULL, NULL);
  g_assert_false (held->done);

  orderly_sio_socket_emit (socket, "status", NULL);
  reply_wait (held);
  g_assert_cmpuint (held->status, ==, 200);
  g_assert_cmpstr (held->body, ==, "42[\"status\"]");
}

static void
closed_reason_cb (OrderlyEioSession  *session,
                  const char         *reason,
                  char              **out)
{
  *out = g_strdup (reason);
}

/* A client that leaves in the middle of a long poll: the session ends as a
 * transport error, and nothing is written into the dead request. */
static void
test_server_held_get_abandoned (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autofree char *sid = open_polling (fixture);
  g_autofree char *query = poll_query (sid);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(Reply) held = NULL;
  g_autoptr(Reply) after = NULL;
  g_autofree char *reason = NULL;
  OrderlySioSocket *socket;
  OrderlyEioSession *session;

  reply_free (request (fixture, "POST", query, "40"));
  reply_free (request (fixture, "GET", query, NULL));
  socket = g_ptr_array_index (fixture->sockets, 0);
  session = orderly_sio_socket_get_session (socket);
  g_signal_connect (session, "closed", G_CALLBACK (closed_reason_cb), &reason);

  held = request_start_handled (fixture, "GET", query, NULL, cancellable);
  g_assert_false (held->done);
  g_cancellable_cancel (cancellable);
  reply_wait (held);
  while (reason == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpstr (reason, ==, "transport error");
  g_assert_false (orderly_sio_socket_is_connected (socket));
  /* Sending to the closed session is harmless. */
  orderly_sio_socket_emit (socket, "status", NULL);
  after = request (fixture, "GET", query, NULL);
  g_assert_cmpuint (after->status, ==, 400);
  g_assert_cmpstr (after->body, ==, "{\"code\":1,\"message\":\"Session ID unknown\"}");
}

static void
count_cb (gpointer  instance,
          gpointer  arg,
          guint    *count)
{
  (*count)++;
}

static void
test_server_kick_polling (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *sid = open_polling (fixture);
  g_autofree char *query = poll_query (sid);
  OrderlySioSocket *socket;
  guint disconnected = 0;

  reply_free (request (fixture, "POST", query, "40"));
  reply_free (request (fixture, "GET", query, NULL));
  socket = g_ptr_array_index (fixture->sockets, 0);
  g_signal_connect (socket, "disconnected", G_CALLBACK (count_cb), &disconnected);

  orderly_sio_socket_disconnect (socket, TRUE);
  g_assert_cmpuint (disconnected, ==, 1);
  g_assert_false (orderly_sio_socket_is_connected (socket));
  {
    g_autoptr(Reply) last = request (fixture, "GET", query, NULL);
    g_autoptr(Reply) after = request (fixture, "GET", query, NULL);

    g_assert_cmpstr (last->body, ==, "41\x1e" "6\x1e" "1");
    g_assert_cmpuint (after->status, ==, 400);
  }
  g_assert_cmpuint (orderly_eio_server_get_n_sessions (orderly_sio_server_get_engine (fixture->sio)), ==, 0);
}

typedef struct
{
  SoupWebsocketConnection *ws;
  GPtrArray               *frames;
  gboolean                 closed;
} WsClient;

static void
ws_message_cb (SoupWebsocketConnection *ws,
               gint                     type,
               GBytes                  *message,
               gpointer                 user_data)
{
  WsClient *client = user_data;

  g_ptr_array_add (client->frames, g_strndup (g_bytes_get_data (message, NULL), g_bytes_get_size (message)));
}

static void
ws_closed_cb (SoupWebsocketConnection *ws,
              gpointer                 user_data)
{
  ((WsClient *) user_data)->closed = TRUE;
}

static void
ws_connected_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  WsClient *client = user_data;
  g_autoptr(GError) error = NULL;

  client->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
}

static char *
ws_next (WsClient *client)
{
  while (client->frames->len == 0 && !client->closed)
    g_main_context_iteration (NULL, TRUE);
  if (client->frames->len == 0)
    return NULL;
  return g_ptr_array_steal_index (client->frames, 0);
}

static WsClient *
ws_open (Fixture    *fixture,
         const char *query)
{
  g_autofree char *url = g_strdup_printf ("%s?%s", fixture->base, query);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  WsClient *client = g_new0 (WsClient, 1);

  client->frames = g_ptr_array_new_with_free_func (g_free);
  soup_session_websocket_connect_async (fixture->session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        ws_connected_cb, client);
  while (client->ws == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_signal_connect (client->ws, "message", G_CALLBACK (ws_message_cb), client);
  g_signal_connect (client->ws, "closed", G_CALLBACK (ws_closed_cb), client);
  return client;
}

static void
ws_client_free (WsClient *client)
{
  if (client->ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (client->ws, client);
      if (soup_websocket_connection_get_state (client->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (client->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_object_unref (client->ws);
    }
  g_ptr_array_unref (client->frames);
  g_free (client);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsClient, ws_client_free)

/* A polling session with its namespace joined and its first GET done. */
static char *
open_connected_polling (Fixture *fixture)
{
  char *sid = open_polling (fixture);
  g_autofree char *query = poll_query (sid);

  reply_free (request (fixture, "POST", query, "40"));
  reply_free (request (fixture, "GET", query, NULL));
  return sid;
}

/* A GET held when the probe is answered may be one the client sent after
 * its upgrade packet, on another connection: it is not released with a
 * noop at once, and once the upgrade is done it gets what any poll after
 * the upgrade gets. */
static void
test_server_upgrade_late_get (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autofree char *sid = open_connected_polling (fixture);
  g_autofree char *query = poll_query (sid);
  g_autofree char *ws_query = g_strdup_printf ("EIO=4&transport=websocket&sid=%s", sid);
  g_autoptr(WsClient) client = ws_open (fixture, ws_query);
  g_autoptr(Reply) held = NULL;
  g_autofree char *probe = NULL;
  g_autofree char *event = NULL;
  OrderlySioSocket *socket = g_ptr_array_index (fixture->sockets, 0);

  held = request_start_handled (fixture, "GET", query, NULL, NULL);
  soup_websocket_connection_send_text (client->ws, "2probe");
  probe = ws_next (client);
  g_assert_cmpstr (probe, ==, "3probe");
  g_assert_false (held->done);
  soup_websocket_connection_send_text (client->ws, "5");
  reply_wait (held);
  g_assert_cmpuint (held->status, ==, 400);
  g_assert_cmpstr (held->body, ==, "{\"code\":3,\"message\":\"Bad request\"}");

  /* and the session carries on over the WebSocket */
  g_assert_cmpstr (orderly_sio_socket_get_transport_name (socket), ==, "websocket");
  orderly_sio_socket_emit (socket, "status", NULL);
  event = ws_next (client);
  g_assert_cmpstr (event, ==, "42[\"status\"]");
}

/* The GET a client waits on during an upgrade, held when the probe comes
 * or made after it, is released with a noop. */
static void
test_server_upgrade_noop (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *sid = open_connected_polling (fixture);
  g_autofree char *query = poll_query (sid);
  g_autofree char *ws_query = g_strdup_printf ("EIO=4&transport=websocket&sid=%s", sid);
  g_autoptr(WsClient) client = ws_open (fixture, ws_query);
  g_autoptr(Reply) held = NULL;
  g_autoptr(Reply) after = NULL;
  g_autoptr(Reply) upgraded = NULL;
  g_autofree char *probe = NULL;

  held = request_start_handled (fixture, "GET", query, NULL, NULL);
  soup_websocket_connection_send_text (client->ws, "2probe");
  probe = ws_next (client);
  g_assert_cmpstr (probe, ==, "3probe");
  reply_wait (held);
  g_assert_cmpuint (held->status, ==, 200);
  g_assert_cmpstr (held->body, ==, "6");

  after = request (fixture, "GET", query, NULL);
  g_assert_cmpuint (after->status, ==, 200);
  g_assert_cmpstr (after->body, ==, "6");

  soup_websocket_connection_send_text (client->ws, "5");
  while (g_strcmp0 (orderly_sio_socket_get_transport_name (g_ptr_array_index (fixture->sockets, 0)), "websocket") != 0)
    g_main_context_iteration (NULL, TRUE);
  upgraded = request (fixture, "GET", query, NULL);
  g_assert_cmpuint (upgraded->status, ==, 400);
}

/* A client's close that comes before its GET, on another connection: the
 * GET still gets the noop a held one would have, and the session is gone
 * after it. */
static void
test_server_close_before_get (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autofree char *sid = open_connected_polling (fixture);
  g_autofree char *query = poll_query (sid);
  g_autoptr(Reply) closing = NULL;
  g_autoptr(Reply) post = NULL;
  g_autoptr(Reply) got = NULL;
  g_autoptr(Reply) after = NULL;
  OrderlySioSocket *socket = g_ptr_array_index (fixture->sockets, 0);

  closing = request (fixture, "POST", query, "1");
  g_assert_cmpuint (closing->status, ==, 200);
  g_assert_false (orderly_sio_socket_is_connected (socket));
  /* Pings and events queued now are not for a client that left. */
  orderly_sio_socket_emit (socket, "status", NULL);
  post = request (fixture, "POST", query, "3");
  g_assert_cmpuint (post->status, ==, 400);
  g_assert_cmpstr (post->body, ==, "{\"code\":1,\"message\":\"Session ID unknown\"}");

  got = request (fixture, "GET", query, NULL);
  g_assert_cmpuint (got->status, ==, 200);
  g_assert_cmpstr (got->body, ==, "6");
  after = request (fixture, "GET", query, NULL);
  g_assert_cmpuint (after->status, ==, 400);
  g_assert_cmpstr (after->body, ==, "{\"code\":1,\"message\":\"Session ID unknown\"}");
  g_assert_cmpuint (orderly_eio_server_get_n_sessions (orderly_sio_server_get_engine (fixture->sio)), ==, 0);
}

static void
test_server_websocket (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *url = g_strdup_printf ("%s?EIO=4&transport=websocket", fixture->base);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  WsClient client = { NULL, g_ptr_array_new_with_free_func (g_free), FALSE };
  g_autofree char *open = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *hello = NULL;
  g_autofree char *kick = NULL;
  OrderlySioSocket *socket;

  soup_session_websocket_connect_async (fixture->session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        ws_connected_cb, &client);
  while (client.ws == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_signal_connect (client.ws, "message", G_CALLBACK (ws_message_cb), &client);
  g_signal_connect (client.ws, "closed", G_CALLBACK (ws_closed_cb), &client);

  open = ws_next (&client);
  g_assert_true (g_str_has_prefix (open, "0{\"sid\":\""));
  g_assert_nonnull (strstr (open, "\"upgrades\":[]"));

  soup_websocket_connection_send_text (client.ws, "40");
  reply = ws_next (&client);
  g_assert_true (g_str_has_prefix (reply, "40{\"sid\":\""));
  hello = ws_next (&client);
  g_assert_cmpstr (hello, ==, "42[\"connected\",{\"message\":\"hi\"}]");

  socket = g_ptr_array_index (fixture->sockets, 0);
  g_assert_cmpstr (orderly_sio_socket_get_transport_name (socket), ==, "websocket");
  g_assert_true (orderly_eio_session_can_write (orderly_sio_socket_get_session (socket), 1));


  orderly_sio_socket_disconnect (socket, TRUE);
  kick = ws_next (&client);
  g_assert_cmpstr (kick, ==, "41");
  while (!client.closed)
    g_main_context_iteration (NULL, TRUE);

  g_clear_object (&client.ws);
  g_ptr_array_unref (client.frames);
}

static void
capture_session_cb (OrderlyEioServer   *engine,
                    OrderlyEioSession  *session,
                    OrderlyEioSession **out)
{
  *out = session;
}

/* A WebSocket client that stops reading after the handshake: the kernel
 * buffers fill up and the session says it cannot take more, long before
 * libsoup's own queue would grow without bound. */
static void
test_server_websocket_backpressure (Fixture       *fixture,
                                    gconstpointer  data)
{
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GUri) uri = g_uri_parse (fixture->base, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *handshake = NULL;
  g_autofree char *big = g_strnfill (64 * 1024, 'x');
  g_autofree char *frame = g_strdup_printf ("42[\"log\",\"%s\"]", big);
  g_autoptr(GBytes) bytes = g_bytes_new (frame, strlen (frame));
  OrderlyEioServer *engine = orderly_sio_server_get_engine (fixture->sio);
  OrderlyEioSession *session = NULL;
  guint sent = 0;

  g_signal_connect (engine, "connection", G_CALLBACK (capture_session_cb), &session);
  connection = g_socket_client_connect_to_host (socket_client, g_uri_get_host (uri), g_uri_get_port (uri), NULL, &error);
  g_assert_no_error (error);
  g_socket_set_option (g_socket_connection_get_socket (connection), SOL_SOCKET, SO_RCVBUF, 4096, NULL);
  handshake = g_strdup_printf ("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                               "Host: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                               g_uri_get_host (uri), g_uri_get_port (uri));
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             handshake, strlen (handshake), NULL, NULL, &error);
  g_assert_no_error (error);

  while (session == NULL)
    g_main_context_iteration (NULL, TRUE);

  while (orderly_eio_session_can_write (session, 1) && sent < 10000)
    {
      orderly_eio_session_send_encoded (session, bytes);
      sent++;
      /* the server writes what the kernel takes */
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  g_assert_cmpuint (sent, <, 10000);
}

static gboolean
refuse_evil_cb (OrderlyEioServer  *server,
                SoupServerMessage *msg,
                GHashTable        *query,
                gboolean           is_upgrade,
                gpointer           user_data)
{
  const char *token = query != NULL ? g_hash_table_lookup (query, "token") : NULL;

  if (g_strcmp0 (token, "teapot") == 0)
    {
      soup_server_message_set_status (msg, 418, NULL);
      return FALSE;
    }
  return g_strcmp0 (token, "evil") != 0;
}

static void
test_server_request_func (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(Reply) evil = NULL;
  g_autoptr(Reply) teapot = NULL;
  g_autoptr(Reply) fine = NULL;

  orderly_eio_server_set_request_func (orderly_sio_server_get_engine (fixture->sio), refuse_evil_cb, NULL, NULL);
  evil = request (fixture, "GET", "EIO=4&transport=polling&token=evil", NULL);
  g_assert_cmpuint (evil->status, ==, 403);
  g_assert_cmpstr (evil->body, ==, "{\"code\":4,\"message\":\"Forbidden\"}");
  teapot = request (fixture, "GET", "EIO=4&transport=polling&token=teapot", NULL);
  g_assert_cmpuint (teapot->status, ==, 418);
  fine = request (fixture, "GET", "EIO=4&transport=polling&token=fine", NULL);
  g_assert_cmpuint (fine->status, ==, 200);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/orderly/socketio/server/handshake-errors", Fixture, NULL,
              fixture_setup, test_server_handshake_errors, fixture_teardown);
  g_test_add ("/orderly/socketio/server/polling-session", Fixture, NULL,
              fixture_setup, test_server_polling_session, fixture_teardown);
  g_test_add ("/orderly/socketio/server/request-func", Fixture, NULL,
              fixture_setup, test_server_request_func, fixture_teardown);
  g_test_add ("/orderly/socketio/server/refused", Fixture, NULL,
              fixture_setup, test_server_refused, fixture_teardown);
  g_test_add ("/orderly/socketio/server/broadcast-and-queue", Fixture, NULL,
              fixture_setup, test_server_broadcast_and_queue, fixture_teardown);
  g_test_add ("/orderly/socketio/server/polling-bytes", Fixture, NULL,
              fixture_setup, test_server_polling_bytes, fixture_teardown);
  g_test_add ("/orderly/socketio/server/held-get", Fixture, NULL,
              fixture_setup, test_server_held_get, fixture_teardown);
  g_test_add ("/orderly/socketio/server/held-get-abandoned", Fixture, NULL,
              fixture_setup, test_server_held_get_abandoned, fixture_teardown);
  g_test_add ("/orderly/socketio/server/kick-polling", Fixture, NULL,
              fixture_setup, test_server_kick_polling, fixture_teardown);
  g_test_add ("/orderly/socketio/server/websocket", Fixture, NULL,
              fixture_setup, test_server_websocket, fixture_teardown);
  g_test_add ("/orderly/socketio/server/websocket-backpressure", Fixture, NULL,
              fixture_setup, test_server_websocket_backpressure, fixture_teardown);
  g_test_add ("/orderly/socketio/server/upgrade-late-get", Fixture, NULL,
              fixture_setup, test_server_upgrade_late_get, fixture_teardown);
  g_test_add ("/orderly/socketio/server/upgrade-noop", Fixture, NULL,
              fixture_setup, test_server_upgrade_noop, fixture_teardown);
  g_test_add ("/orderly/socketio/server/close-before-get", Fixture, NULL,
              fixture_setup, test_server_close_before_get, fixture_teardown);

  return g_test_run ();
}
