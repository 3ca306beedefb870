/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-sio"

#include "config.h"

#include "orderly-sio-conformance.h"

#define CONFORMANCE_PING_INTERVAL   300
#define CONFORMANCE_PING_TIMEOUT    200
#define CONFORMANCE_CONNECT_TIMEOUT 1000

/**
 * orderly_sio_conformance_requested:
 *
 * Returns: whether ORDERLY_SOCKETIO_CONFORMANCE=1 is set
 */
gboolean
orderly_sio_conformance_requested (void)
{
  return g_strcmp0 (g_getenv (ORDERLY_SIO_CONFORMANCE_ENV), "1") == 0;
}

static void
echo_message_cb (OrderlyEioSession *session,
                 GBytes            *data,
                 gboolean           binary,
                 gpointer           user_data)
{
  if (binary)
    orderly_eio_session_send_binary (session, data);
  else
    {
      gsize length;
      const char *text = g_bytes_get_data (data, &length);

      orderly_eio_session_send_text (session, text, length);
    }
}

static void
echo_connection_cb (OrderlyEioServer  *engine,
                    OrderlyEioSession *session,
                    gpointer           user_data)
{
  g_signal_connect (session, "message", G_CALLBACK (echo_message_cb), NULL);
}

/* The suites wait for the CONNECT reply, then re-arm a one-shot listener
 * for the `auth` event after an await. Their WebSocket client delivers every
 * frame of one read before that await resumes, so an `auth` that arrives in
 * the same read as the reply is never seen, and the test fails (the
 * reference server loses this race now and then). The scripted handler
 * therefore emits `auth` over WebSocket a little after the reply has gone
 * out, so that the two arrive in separate reads. Over polling both
 * leave in one GET, as they would anyway. */
#define CONFORMANCE_AUTH_DELAY_MS 10

static gboolean
emit_auth_cb (gpointer user_data)
{
  OrderlySioSocket *socket = user_data;
  g_autoptr(JsonNode) auth = NULL;

  if (!orderly_sio_socket_is_connected (socket))
    return G_SOURCE_REMOVE;

  auth = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (auth, orderly_sio_socket_get_auth (socket));
  orderly_sio_socket_emit (socket, "auth", auth);
  return G_SOURCE_REMOVE;
}

static void
sio_connection_cb (OrderlySioServer *server,
                   OrderlySioSocket *socket,
                   gpointer          user_data)
{
  OrderlyEioSession *session = orderly_sio_socket_get_session (socket);

  if (orderly_eio_session_get_transport (session) != ORDERLY_EIO_TRANSPORT_WEBSOCKET)
    {
      emit_auth_cb (socket);
      return;
    }
  g_timeout_add_full (G_PRIORITY_DEFAULT, CONFORMANCE_AUTH_DELAY_MS, emit_auth_cb,
                      g_object_ref (socket), g_object_unref);
}

static void
sio_event_cb (OrderlySioServer *server,
              OrderlySioSocket *socket,
              const char       *name,
              JsonArray        *args,
              GPtrArray        *attachments,
              gint64            ack_id,
              gpointer          user_data)
{
  if (g_strcmp0 (name, "message") == 0)
    orderly_sio_socket_emit_args (socket, "message-back", args, attachments);
  else if (g_strcmp0 (name, "message-with-ack") == 0 && ack_id >= 0)
    orderly_sio_socket_ack (socket, ack_id, args, attachments);
}

static void
configure_engine (OrderlyEioServer     *engine,
                  OrderlyEioSocketFunc  socket_func)
{
  static const char * const any_origin[] = { "*", NULL };

  orderly_eio_server_set_socket_func (engine, socket_func);

  orderly_eio_server_set_heartbeat (engine, CONFORMANCE_PING_INTERVAL, CONFORMANCE_PING_TIMEOUT);
  orderly_eio_server_set_max_payload (engine, ORDERLY_EIO_DEFAULT_MAX_PAYLOAD);
  orderly_eio_server_set_cors_origins (engine, any_origin);
}

/**
 * orderly_sio_conformance_attach:
 * @server: the SoupServer to serve from
 * @socket_func: (nullable): finds the socket a request came on, as in
 *   orderly_eio_server_set_socket_func()
 *
 * Serves /engine.io/ (echo) and /socket.io/ as the conformance suites
 * expect. Both live as long as @server.
 *
 * Returns: (transfer none): the Socket.IO server at /socket.io/
 */
OrderlySioServer *
orderly_sio_conformance_attach (SoupServer           *server,
                                OrderlyEioSocketFunc  socket_func)
{
  g_autoptr(OrderlyEioServer) echo = orderly_eio_server_new ("/engine.io");
  g_autoptr(OrderlySioServer) sio = orderly_sio_server_new ("/socket.io");
  OrderlySioServer *result = sio;

  g_return_val_if_fail (SOUP_IS_SERVER (server), NULL);

  configure_engine (echo, socket_func);
  g_signal_connect (echo, "connection", G_CALLBACK (echo_connection_cb), NULL);
  orderly_eio_server_attach (echo, server);

  configure_engine (orderly_sio_server_get_engine (sio), socket_func);
  orderly_sio_server_set_connect_timeout (sio, CONFORMANCE_CONNECT_TIMEOUT);
  orderly_sio_server_add_namespace (sio, "/custom");
  g_signal_connect (sio, "connection", G_CALLBACK (sio_connection_cb), NULL);
  g_signal_connect (sio, "event", G_CALLBACK (sio_event_cb), NULL);
  orderly_sio_server_attach (sio, server);

  g_object_set_data_full (G_OBJECT (server), "orderly-conformance-engine-io",
                          g_steal_pointer (&echo), g_object_unref);
  g_object_set_data_full (G_OBJECT (server), "orderly-conformance-socket-io",
                          g_steal_pointer (&sio), g_object_unref);
  return result;
}
