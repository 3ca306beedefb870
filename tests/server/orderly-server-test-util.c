/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-test"

#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "orderly-json.h"
#include "orderly-server-test-util.h"
#include "orderly-sqlite-store.h"
#include "orderly-test-util.h"
#include "orderly-tokens.h"

void
server_fixture_setup (ServerFixture *fixture,
                      gconstpointer  data)
{
  FixtureFlags flags = GPOINTER_TO_UINT (data);
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL;
  OrderlyTokens *tokens = NULL;

  fixture->data_dir = orderly_test_make_data_dir ();
  db_path = g_build_filename (fixture->data_dir, "orderly.db", NULL);
  fixture->store = orderly_sqlite_store_new (db_path, &error);
  g_assert_no_error (error);
  fixture->engine = orderly_engine_new (fixture->store, &error);
  g_assert_no_error (error);
  orderly_engine_set_workers (fixture->engine, 2);

  if (!(flags & FIXTURE_NO_AUTH))
    {
      tokens = g_new0 (OrderlyTokens, 1);
      tokens->operator_token = g_strdup (TEST_OPERATOR_TOKEN);
      tokens->viewer_token = g_strdup (TEST_VIEWER_TOKEN);
      tokens->from_environment = !(flags & FIXTURE_TOKENS_FILE);
    }
  fixture->remote = orderly_remote_new (tokens, fixture->data_dir);
  orderly_remote_set_port (fixture->remote, 0);

  fixture->server = orderly_server_new (fixture->engine, fixture->remote, &error);
  g_assert_no_error (error);
  if (flags & FIXTURE_TLS)
    {
      /* A self-signed certificate for localhost, made for these tests only. */
      g_autofree char *cert = g_test_build_filename (G_TEST_DIST, "server", "tls-cert.pem", NULL);
      g_autofree char *key = g_test_build_filename (G_TEST_DIST, "server", "tls-key.pem", NULL);

      g_assert_true (orderly_server_set_tls_files (fixture->server, cert, key, &error));
      g_assert_no_error (error);
      fixture->tls = TRUE;
    }
  g_assert_true (orderly_server_start (fixture->server, &error));
  g_assert_no_error (error);
  fixture->port = orderly_server_get_port (fixture->server);
  g_assert_cmpuint (fixture->port, >, 0);

  fixture->session = soup_session_new_with_options ("max-conns", 1000, "max-conns-per-host", 1000,
                                                    "timeout", 30, NULL);
}

void
server_fixture_teardown (ServerFixture *fixture,
                         gconstpointer  data)
{
  soup_session_abort (fixture->session);
  g_clear_object (&fixture->session);
  orderly_server_stop (fixture->server);
  /* The clients' close frames leave before the server goes. */
  g_assert_true (server_fixture_wait_clients (fixture, 0, 10000));
  g_object_run_dispose (G_OBJECT (fixture->server));
  g_assert_finalize_object (fixture->server);
  g_assert_finalize_object (fixture->remote);
  orderly_engine_shutdown (fixture->engine);
  g_assert_finalize_object (fixture->engine);
  g_clear_pointer (&fixture->store, orderly_store_unref);
  orderly_test_remove_dir (fixture->data_dir);
  g_clear_pointer (&fixture->data_dir, g_free);
}

char *
server_fixture_url (ServerFixture *fixture,
                    const char    *path)
{
  return g_strdup_printf ("%s://127.0.0.1:%u%s", fixture->tls ? "https" : "http", fixture->port, path);
}

static gboolean
timeout_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until @condition holds; FALSE on timeout. */
gboolean
test_wait_for (TestCondition condition,
               gconstpointer user_data,
               guint         timeout_ms)
{
  gboolean timed_out = FALSE;
  guint source = g_timeout_add (timeout_ms, timeout_cb, &timed_out);

  while (!condition (user_data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (source);
  return condition (user_data);
}

static gboolean
flag_is_set (gconstpointer flag)
{
  return *(const gboolean *) flag;
}

/* Iterates the main context until *flag is set; FALSE on timeout. */
gboolean
test_run_until (gboolean *flag,
                guint     timeout_ms)
{
  return test_wait_for (flag_is_set, flag, timeout_ms);
}

typedef struct
{
  GListModel *clients;
  guint       n;
} ClientCount;

static gboolean
has_n_clients (gconstpointer user_data)
{
  const ClientCount *count = user_data;

  return g_list_model_get_n_items (count->clients) == count->n;
}

/* Until the server lists @n live clients. */
gboolean
server_fixture_wait_clients (ServerFixture *fixture,
                             guint          n,
                             guint          timeout_ms)
{
  ClientCount count = { orderly_remote_get_clients (fixture->remote), n };

  return test_wait_for (has_n_clients, &count, timeout_ms);
}

static void
listening_settled_cb (OrderlyRemote *remote,
                      GParamSpec    *pspec,
                      gboolean      *settled)
{
  if (orderly_remote_get_listening (remote) || orderly_remote_get_error_message (remote) != NULL)
    *settled = TRUE;
}

/* New listening settings, as from the preferences; waits until the server
 * listens again or says why it cannot. Returns whether it listens. */
gboolean
server_fixture_rebind (ServerFixture *fixture,
                       const char    *bind_address)
{
  gboolean settled = FALSE;
  gulong listening_id = g_signal_connect (fixture->remote, "notify::listening",
                                          G_CALLBACK (listening_settled_cb), &settled);
  gulong error_id = g_signal_connect (fixture->remote, "notify::error-message",
                                      G_CALLBACK (listening_settled_cb), &settled);

  orderly_remote_set_bind_address (fixture->remote, bind_address);
  g_assert_true (test_run_until (&settled, 10000));
  g_signal_handler_disconnect (fixture->remote, listening_id);
  g_signal_handler_disconnect (fixture->remote, error_id);
  fixture->port = orderly_server_get_port (fixture->server);
  return orderly_remote_get_listening (fixture->remote);
}

static gboolean
accept_certificate_cb (SoupMessage          *msg,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  return TRUE;
}

SoupMessage *
server_fixture_message (ServerFixture *fixture,
                        const char    *method,
                        const char    *path,
                        const char    *token,
                        const char    *body)
{
  g_autofree char *url = server_fixture_url (fixture, path);
  SoupMessage *msg = soup_message_new (method, url);

  g_assert_nonnull (msg);
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_certificate_cb), NULL);
  if (token != NULL)
    {
      g_autofree char *value = g_strdup_printf ("Bearer %s", token);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", value);
    }
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  return msg;
}

typedef struct
{
  gboolean  done;
  GBytes   *body;
  GError   *error;
} SendData;

static void
send_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  SendData *data = user_data;

  data->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &data->error);
  data->done = TRUE;
}

GBytes *
server_fixture_send (ServerFixture *fixture,
                     SoupMessage   *msg)
{
  SendData data = { 0 };

  soup_session_send_and_read_async (fixture->session, msg, G_PRIORITY_DEFAULT, NULL,
                                    send_done_cb, &data);
  g_assert_true (test_run_until (&data.done, 20000));
  g_assert_no_error (data.error);
  return data.body;
}

/* Returns the parsed body, or NULL when it is not JSON. */
/* Sends @msg and returns its status, the body dropped. */
guint
server_fixture_send_status (ServerFixture *fixture,
                            SoupMessage   *msg)
{
  G_GNUC_UNUSED g_autoptr(GBytes) body = server_fixture_send (fixture, msg);

  return soup_message_get_status (msg);
}

const char *
test_response_header (SoupMessage *msg,
                      const char  *name)
{
  return soup_message_headers_get_one (soup_message_get_response_headers (msg), name);
}

JsonNode *
server_fixture_request (ServerFixture *fixture,
                        const char    *method,
                        const char    *path,
                        const char    *token,
                        const char    *body,
                        guint         *status)
{
  g_autoptr(SoupMessage) msg = server_fixture_message (fixture, method, path, token, body);
  g_autoptr(GBytes) answer = server_fixture_send (fixture, msg);
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize size;
  const char *text = g_bytes_get_data (answer, &size);

  if (status != NULL)
    *status = soup_message_get_status (msg);
  if (size == 0 || !json_parser_load_from_data (parser, text, size, NULL))
    return NULL;
  return json_node_ref (json_parser_get_root (parser));
}

typedef struct
{
  OrderlyStatus  *status;
  gboolean      (*done) (OrderlyPhase phase);
} PhaseWait;

static gboolean
phase_is_done (gconstpointer user_data)
{
  const PhaseWait *wait = user_data;

  return wait->done (orderly_status_get_phase (wait->status));
}

void
server_fixture_wait_phase (ServerFixture  *fixture,
                           gboolean      (*done) (OrderlyPhase phase),
                           guint           timeout_ms)
{
  PhaseWait wait = { orderly_engine_get_status (fixture->engine), done };

  g_assert_true (test_wait_for (phase_is_done, &wait, timeout_ms));
}

/* WebSocket client */

static void
ws_message_cb (SoupWebsocketConnection *connection,
               gint                     type,
               GBytes                  *message,
               TestWs                  *ws)
{
  const char *text = g_bytes_get_data (message, NULL);
  JsonNode *node;

  g_assert_cmpint (type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  ws->n_frames++;
  if (ws->ignore_events)
    return;
  node = json_from_string (text, NULL);
  g_assert_nonnull (node);
  g_queue_push_tail (&ws->events, node);
}

static void
ws_closed_cb (SoupWebsocketConnection *connection,
              TestWs                  *ws)
{
  ws->closed = TRUE;
  ws->close_code = soup_websocket_connection_get_close_code (connection);
}

typedef struct
{
  gboolean                 done;
  SoupWebsocketConnection *connection;
  GError                  *error;
} ConnectData;

static void
ws_connect_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  ConnectData *data = user_data;

  data->connection = soup_session_websocket_connect_finish (SOUP_SESSION (source), result,
                                                            &data->error);
  data->done = TRUE;
}

TestWs *
test_ws_connect_to (SoupSession *session,
                    const char  *url,
                    const char  *token,
                    const char  *origin,
                    guint        timeout_ms)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  ConnectData data = { 0 };
  TestWs *ws = g_new0 (TestWs, 1);

  g_queue_init (&ws->events);
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_certificate_cb), NULL);
  if (token != NULL)
    {
      g_autofree char *value = g_strdup_printf ("Bearer %s", token);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", value);
    }
  soup_session_websocket_connect_async (session, msg, origin, NULL, G_PRIORITY_DEFAULT, NULL,
                                        ws_connect_cb, &data);
  if (!test_run_until (&data.done, timeout_ms))
    g_error ("WebSocket connection to %s timed out", url);
  if (data.connection == NULL)
    {
      ws->error = data.error;
      ws->closed = TRUE;
      return ws;
    }
  ws->connection = data.connection;
  g_signal_connect (ws->connection, "message", G_CALLBACK (ws_message_cb), ws);
  g_signal_connect (ws->connection, "closed", G_CALLBACK (ws_closed_cb), ws);
  return ws;
}

TestWs *
test_ws_connect (ServerFixture *fixture,
                 const char    *path_and_query,
                 const char    *token,
                 const char    *origin)
{
  g_autofree char *url = g_strdup_printf ("%s://127.0.0.1:%u%s", fixture->tls ? "wss" : "ws",
                                          fixture->port, path_and_query);

  return test_ws_connect_to (fixture->session, url, token, origin, 10000);
}

void
test_ws_free (TestWs *ws)
{
  if (ws->connection != NULL)
    {
      g_signal_handlers_disconnect_by_data (ws->connection, ws);
      if (soup_websocket_connection_get_state (ws->connection) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (ws->connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_clear_object (&ws->connection);
    }
  g_queue_clear_full (&ws->events, (GDestroyNotify) json_node_unref);
  g_clear_error (&ws->error);
  g_free (ws);
}

static gboolean
ws_has_event_or_closed (gconstpointer user_data)
{
  const TestWs *ws = user_data;

  return ws->events.length > 0 || ws->closed;
}

/* Returns the next frame (transfer full), or NULL on timeout or close. */
JsonNode *
test_ws_next (TestWs *ws,
              guint   timeout_ms)
{
  test_wait_for (ws_has_event_or_closed, ws, timeout_ms);
  return g_queue_pop_head (&ws->events);
}

JsonNode *
test_ws_wait_event (TestWs     *ws,
                    const char *event,
                    guint       timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * (gint64) 1000;

  while (g_get_monotonic_time () < deadline)
    {
      JsonNode *node = test_ws_next (ws, (deadline - g_get_monotonic_time ()) / 1000 + 1);

      if (node == NULL)
        return NULL;
      if (g_strcmp0 (test_event_name (node), event) == 0)
        return node;
      json_node_unref (node);
    }
  return NULL;
}

void
test_ws_send (TestWs     *ws,
              const char *text)
{
  soup_websocket_connection_send_text (ws->connection, text);
}

gboolean
test_ws_wait_closed (TestWs *ws,
                     guint   timeout_ms)
{
  return test_run_until (&ws->closed, timeout_ms);
}

const char *
test_event_name (JsonNode *event)
{
  JsonObject *object = json_node_get_object (event);

  return json_object_get_string_member_with_default (object, "event", NULL);
}

JsonObject *
test_event_data_object (JsonNode *event)
{
  JsonNode *data = json_object_get_member (json_node_get_object (event), "data");

  g_assert_nonnull (data);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (data));
  return json_node_get_object (data);
}

gsize
test_count_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  gsize n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

gsize
test_rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "VmRSS:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("VmRSS:"), NULL, 10);
}

/* A bare socket that has sent a WebSocket handshake for /ws and reads
 * nothing yet. @receive_buffer: SO_RCVBUF, or 0 for the default. */
GSocket *
test_raw_ws_connect (guint       port,
                     const char *token,
                     int         receive_buffer)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_autofree char *request = NULL;

  g_assert_no_error (error);
  if (receive_buffer > 0)
    g_assert_true (g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, receive_buffer, &error));
  g_assert_true (g_socket_connect (socket, address, NULL, &error));
  request = g_strdup_printf ("GET /ws HTTP/1.1\r\n"
                             "Host: 127.0.0.1:%u\r\n"
                             "Upgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\n"
                             "Authorization: Bearer %s\r\n"
                             "\r\n", port, token);
  g_assert_cmpint (g_socket_send (socket, request, strlen (request), NULL, &error), ==, strlen (request));
  return socket;
}

/* Raw HTTP */

typedef struct
{
  GString  *received;
  gboolean  closed;
  gboolean  until_closed;
} RawRead;

static gboolean
raw_readable_cb (GSocket      *socket,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  RawRead *read = user_data;
  g_autoptr(GError) error = NULL;
  char buffer[4096];
  gssize n = g_socket_receive (socket, buffer, sizeof buffer, NULL, &error);

  if (n > 0)
    {
      g_string_append_len (read->received, buffer, n);
      return G_SOURCE_CONTINUE;
    }
  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  read->closed = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
raw_read_done (gconstpointer user_data)
{
  const RawRead *read = user_data;

  return read->closed || (!read->until_closed && strstr (read->received->str, "\r\n\r\n") != NULL);
}

/**
 * test_raw_connect:
 *
 * Returns: (transfer full): a bare connection to 127.0.0.1:@port, in
 *   non-blocking mode
 */
GSocket *
test_raw_connect (guint port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_connect (socket, address, NULL, &error));
  g_socket_set_blocking (socket, FALSE);
  return g_steal_pointer (&socket);
}

/**
 * test_raw_send:
 *
 * Sends @size bytes of @data while the main context runs, so that the
 * server in this process reads them.
 *
 * Returns: how many were sent before the server closed the connection
 */
gsize
test_raw_send (GSocket    *socket,
               const char *data,
               gsize       size)
{
  gsize sent = 0;

  while (sent < size)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_send (socket, data + sent, size - sent, NULL, &error);

      if (n > 0)
        sent += n;
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        g_main_context_iteration (NULL, TRUE);
      else
        break;
    }
  return sent;
}

/**
 * test_raw_read:
 * @received: where what the server sent is appended
 * @until_closed: wait for the server to close, not only for a response's
 *   headers
 *
 * Returns: whether the server closed the connection within @timeout_ms
 */
gboolean
test_raw_read (GSocket  *socket,
               GString  *received,
               gboolean  until_closed,
               guint     timeout_ms)
{
  g_autoptr(GSource) source = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  RawRead read = { received, FALSE, until_closed };

  g_source_set_callback (source, G_SOURCE_FUNC (raw_readable_cb), &read, NULL);
  g_source_attach (source, NULL);
  test_wait_for (raw_read_done, &read, timeout_ms);
  g_source_destroy (source);
  return read.closed;
}

/* Sends @request as it is on a connection of its own, and reads what comes
 * back: until the server closes the connection, or, unless @until_closed,
 * until the response's headers are in. *closed says whether the server
 * closed it. */
char *
test_raw_http (guint        port,
               const char  *request,
               gboolean     until_closed,
               gboolean    *closed)
{
  g_autoptr(GSocket) socket = test_raw_connect (port);
  GString *received = g_string_new (NULL);
  gboolean was_closed;

  g_assert_cmpuint (test_raw_send (socket, request, strlen (request)), ==, strlen (request));
  was_closed = test_raw_read (socket, received, until_closed, 10000);
  g_assert_true (was_closed || (!until_closed && strstr (received->str, "\r\n\r\n") != NULL));
  if (closed != NULL)
    *closed = was_closed;
  return g_string_free (received, FALSE);
}

/* Socket.IO, as a client speaks it over a WebSocket */

static void
sio_message_cb (SoupWebsocketConnection *connection,
                gint                     type,
                GBytes                  *message,
                TestSio                 *sio)
{
  g_queue_push_tail (&sio->packets, g_strndup (g_bytes_get_data (message, NULL), g_bytes_get_size (message)));
}

static void
sio_closed_cb (SoupWebsocketConnection *connection,
               TestSio                 *sio)
{
  sio->closed = TRUE;
}

static gboolean
sio_has_packet_or_closed (gconstpointer user_data)
{
  const TestSio *sio = user_data;

  return sio->packets.length > 0 || sio->closed;
}

/* Returns the next Engine.IO packet (transfer full), or NULL on timeout or
 * close. */
char *
test_sio_next (TestSio *sio,
               guint    timeout_ms)
{
  test_wait_for (sio_has_packet_or_closed, sio, timeout_ms);
  return g_queue_pop_head (&sio->packets);
}

/* Opens an Engine.IO WebSocket at /socket.io/ and joins the main namespace
 * with @token in CONNECT's auth; returns once the server accepted it. */
TestSio *
test_sio_connect (ServerFixture *fixture,
                  const char    *token)
{
  g_autofree char *url = g_strdup_printf ("%s://127.0.0.1:%u/socket.io/?EIO=4&transport=websocket",
                                          fixture->tls ? "wss" : "ws", fixture->port);
  g_autoptr(TestWs) ws = test_ws_connect_to (fixture->session, url, NULL, NULL, 10000);
  g_autofree char *open = NULL;
  g_autofree char *connect = NULL;
  g_autofree char *accepted = NULL;
  TestSio *sio;

  g_assert_no_error (ws->error);
  sio = g_new0 (TestSio, 1);
  g_queue_init (&sio->packets);
  sio->connection = g_steal_pointer (&ws->connection);
  g_signal_handlers_disconnect_by_data (sio->connection, ws);
  g_signal_connect (sio->connection, "message", G_CALLBACK (sio_message_cb), sio);
  g_signal_connect (sio->connection, "closed", G_CALLBACK (sio_closed_cb), sio);

  open = test_sio_next (sio, 5000);
  g_assert_nonnull (open);
  g_assert_true (g_str_has_prefix (open, "0{"));
  connect = g_strdup_printf ("40{\"token\":\"%s\"}", token);
  soup_websocket_connection_send_text (sio->connection, connect);
  accepted = test_sio_next (sio, 5000);
  g_assert_nonnull (accepted);
  g_assert_true (g_str_has_prefix (accepted, "40{\"sid\""));
  return sio;
}

gboolean
test_sio_wait_closed (TestSio *sio,
                      guint    timeout_ms)
{
  return test_run_until (&sio->closed, timeout_ms);
}

void
test_sio_free (TestSio *sio)
{
  if (sio->connection != NULL)
    {
      g_signal_handlers_disconnect_by_data (sio->connection, sio);
      if (soup_websocket_connection_get_state (sio->connection) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (sio->connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_clear_object (&sio->connection);
    }
  g_queue_clear_full (&sio->packets, g_free);
  g_free (sio);
}
