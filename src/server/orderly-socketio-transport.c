/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-server"

#include "config.h"

#include <string.h>

#include "orderly-acceptor.h"
#include "orderly-command-budget.h"
#include "orderly-json-writer.h"
#include "orderly-pending-sessions.h"
#include "orderly-server-limits.h"
#include "orderly-sio-conformance.h"
#include "orderly-sio-server.h"
#include "orderly-socketio-transport.h"
#include "orderly-transport-names.h"

/* A polling client may hold this many packets for its next GET before the
 * hub keeps the rest (and applies latest-wins and the log bound). */
#define POLL_WINDOW 1024

struct _OrderlySocketioTransport
{
  GObject            parent_instance;

  OrderlyGate       *gate;
  OrderlyHub        *hub;
  OrderlyDispatcher *dispatcher;
  OrderlySioServer  *sio;
  /* sessions that have not shown a valid token yet */
  OrderlyPendingSessions *pending;
  gboolean           conformance;
};

/* Set on a session once its token passed and it took a live connection. */
#define ADMITTED_KEY "orderly-admitted"

G_DEFINE_FINAL_TYPE (OrderlySocketioTransport, orderly_socketio_transport, G_TYPE_OBJECT)

/* What the hub and the dispatcher need to know about one socket. */
typedef struct
{
  OrderlySocketioTransport *transport;
  OrderlySioSocket         *socket;
  OrderlyClient            *client;
  OrderlySubscriber        *subscriber;
  OrderlyRole               role;
  OrderlyCommandBudget      budget;
} Peer;

static GQuark
encoding_quark (void)
{
  return g_quark_from_static_string ("socket.io");
}

/* `42["name",data]`: an Engine.IO message holding a Socket.IO EVENT. The
 * hub's data is JSON already, written once for every client. */
static void
append_event (GString    *out,
              const char *name,
              const char *data_json)
{
  OrderlyJsonWriter writer;

  g_string_append (out, "42");
  orderly_json_writer_init (&writer, out);
  orderly_json_writer_begin_array (&writer);
  orderly_json_writer_string (&writer, name);
  if (data_json != NULL)
    orderly_json_writer_raw (&writer, data_json);
  orderly_json_writer_end_array (&writer);
}

static GBytes *
encode_event_cb (OrderlyHubEvent *event,
                 guint            first_line,
                 gpointer         user_data)
{
  GString *out = g_string_new (NULL);

  if (orderly_hub_event_get_kind (event) == ORDERLY_HUB_EVENT_LOGS)
    {
      /* Every line is its own `log` event; the lines are joined with the
       * record separator, which the JSON writer never leaves raw, so that
       * one buffer serves all clients. */
      for (guint i = first_line; i < orderly_hub_event_get_n_lines (event); i++)
        {
          if (i > first_line)
            g_string_append_c (out, '\x1e');
          append_event (out, "log", orderly_hub_event_get_line (event, i));
        }
    }
  else
    {
      append_event (out, orderly_hub_event_get_name (event), orderly_hub_event_get_data (event));
    }

  return g_string_free_to_bytes (out);
}

static gboolean
peer_can_send_cb (gpointer transport)
{
  Peer *peer = transport;

  return orderly_sio_socket_is_connected (peer->socket) &&
         orderly_eio_session_can_write (orderly_sio_socket_get_session (peer->socket), POLL_WINDOW);
}

static void
peer_send_cb (gpointer         transport,
              OrderlyHubEvent *event,
              guint            first_line)
{
  Peer *peer = transport;
  GBytes *bytes = orderly_hub_event_get_encoded (event, encoding_quark (), encode_event_cb, NULL);
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);
  gsize start = 0;
  guint n_sent = 0;

  switch (orderly_hub_event_get_kind (event))
    {
    case ORDERLY_HUB_EVENT_STATUS:
    case ORDERLY_HUB_EVENT_PROGRESS:
    case ORDERLY_HUB_EVENT_METRICS:
      /* A polling client that has not fetched the previous one yet gets
       * this one in its place. */
      orderly_sio_socket_send_latest (peer->socket, 1 + orderly_hub_event_get_kind (event), bytes);
      return;

    case ORDERLY_HUB_EVENT_CONNECTED:
      orderly_sio_socket_send_encoded (peer->socket, bytes);
      return;

    case ORDERLY_HUB_EVENT_LOGS:
    default:
      break;
    }

  /* Skip the lines this client already has. */
  for (guint skipped = 0; skipped < first_line && start < size; skipped++)
    {
      const char *separator = memchr (data + start, '\x1e', size - start);

      start = separator != NULL ? (gsize) (separator - data) + 1 : size;
    }

  while (start < size)
    {
      const char *separator = memchr (data + start, '\x1e', size - start);
      gsize end = separator != NULL ? (gsize) (separator - data) : size;
      g_autoptr(GBytes) line = g_bytes_new_from_bytes (bytes, start, end - start);

      orderly_sio_socket_send_encoded (peer->socket, line);
      n_sent++;
      start = end + 1;
    }

  if (n_sent > 1 && peer->subscriber != NULL)
    orderly_subscriber_count_sent (peer->subscriber, n_sent - 1);
}

static void
peer_close_cb (gpointer    transport,
               gushort     code,
               const char *reason)
{
  Peer *peer = transport;

  g_message ("Closing Socket.IO client %s (%s): %s",
             orderly_sio_socket_get_id (peer->socket),
             orderly_sio_socket_get_remote_address (peer->socket), reason);

  /* A policy violation keeps the client away; anything else (overload,
   * shutdown) lets socket.io-client reconnect on its own. */
  if (code == SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION)
    orderly_sio_socket_disconnect (peer->socket, TRUE);
  else
    orderly_eio_session_close (orderly_sio_socket_get_session (peer->socket));
}

static const OrderlySubscriberFuncs peer_funcs = {
  peer_can_send_cb,
  peer_send_cb,
  peer_close_cb,
};

static void
peer_free (Peer *peer)
{
  if (peer->subscriber != NULL)
    orderly_hub_unsubscribe (peer->transport->hub, g_steal_pointer (&peer->subscriber));
  g_clear_object (&peer->client);
  g_free (peer);
}

static Peer *
peer_for_socket (OrderlySioSocket *socket)
{
  return g_object_get_data (G_OBJECT (socket), "orderly-peer");
}

/* The token the client shows: CONNECT's auth.token, else the handshake's
 * `token` query parameter, else the session cookie. */
static char *
dup_token (OrderlySioSocket *socket)
{
  JsonNode *auth_token = json_object_get_member (orderly_sio_socket_get_auth (socket), "token");

  if (auth_token != NULL && JSON_NODE_HOLDS_VALUE (auth_token) &&
      json_node_get_value_type (auth_token) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (auth_token));
  if (orderly_sio_socket_get_query_token (socket) != NULL)
    return g_strdup (orderly_sio_socket_get_query_token (socket));
  return orderly_gate_dup_cookie_token (orderly_sio_socket_get_cookie_header (socket));
}

static gboolean
authorize_cb (OrderlySioServer  *server,
              OrderlySioSocket  *socket,
              guint             *role,
              char             **message,
              gpointer           user_data)
{
  OrderlySocketioTransport *self = user_data;
  g_autofree char *token = dup_token (socket);
  OrderlyEioSession *session;
  OrderlyRole granted = ORDERLY_ROLE_NONE;
  OrderlyGateVerdict verdict;

  verdict = orderly_gate_check_token (self->gate, orderly_sio_socket_get_remote_address (socket),
                                      token, "Socket.IO client", &granted);
  if (verdict != ORDERLY_GATE_ALLOWED)
    {
      *message = g_strdup (orderly_gate_verdict_message (verdict));
      return FALSE;
    }
  if (granted == ORDERLY_ROLE_NONE)
    {
      *message = g_strdup ("Authentication required: connect with auth.token");
      return FALSE;
    }

  /* A valid token: the session leaves the pending ones for one of the
   * server's live connections. */
  session = orderly_sio_socket_get_session (socket);
  if (g_object_get_data (G_OBJECT (session), ADMITTED_KEY) == NULL)
    {
      if (!orderly_gate_reserve_connection (self->gate))
        {
          g_message ("Refused Socket.IO connection from %s: too many connections",
                     orderly_sio_socket_get_remote_address (socket));
          *message = g_strdup ("Too many connections; try again later");
          return FALSE;
        }
      orderly_pending_sessions_remove (self->pending, session);
      g_object_set_data (G_OBJECT (session), ADMITTED_KEY, GINT_TO_POINTER (TRUE));
    }
  *role = granted;
  return TRUE;
}

static const char *
client_transport_name (OrderlySioSocket *socket)
{
  OrderlyEioSession *session = orderly_sio_socket_get_session (socket);

  return orderly_eio_session_get_transport (session) == ORDERLY_EIO_TRANSPORT_POLLING
         ? ORDERLY_TRANSPORT_SOCKETIO_POLLING
         : ORDERLY_TRANSPORT_SOCKETIO_WEBSOCKET;
}

static void
session_drained_cb (OrderlyEioSession *session,
                    Peer              *peer)
{
  if (peer->subscriber != NULL)
    orderly_subscriber_flush (peer->subscriber);
}

static void
session_upgraded_cb (OrderlyEioSession *session,
                     Peer              *peer)
{
  orderly_client_set_transport (peer->client, client_transport_name (peer->socket));
}

static void
socket_disconnected_cb (OrderlySioSocket *socket,
                        const char       *reason,
                        gpointer          user_data)
{
  Peer *peer = peer_for_socket (socket);

  if (peer == NULL)
    return;

  g_signal_handlers_disconnect_by_data (orderly_sio_socket_get_session (socket), peer);
  if (peer->subscriber != NULL)
    orderly_hub_unsubscribe (peer->transport->hub, g_steal_pointer (&peer->subscriber));
  g_object_set_data (G_OBJECT (socket), "orderly-peer", NULL);
}

static void
sio_connection_cb (OrderlySioServer *server,
                   OrderlySioSocket *socket,
                   gpointer          user_data)
{
  OrderlySocketioTransport *self = user_data;
  OrderlyEioSession *session = orderly_sio_socket_get_session (socket);
  Peer *peer = g_new0 (Peer, 1);

  peer->transport = self;
  peer->socket = socket;
  peer->role = orderly_sio_socket_get_role (socket);
  orderly_command_budget_init (&peer->budget, g_get_monotonic_time ());
  peer->client = orderly_client_new (orderly_sio_socket_get_id (socket),
                                     orderly_sio_socket_get_remote_address (socket),
                                     client_transport_name (socket),
                                     orderly_role_to_string (peer->role),
                                     orderly_sio_socket_get_user_agent (socket));
  g_object_set_data_full (G_OBJECT (socket), "orderly-peer", peer, (GDestroyNotify) peer_free);

  g_signal_connect (socket, "disconnected", G_CALLBACK (socket_disconnected_cb), self);
  g_signal_connect (session, "drained", G_CALLBACK (session_drained_cb), peer);
  g_signal_connect (session, "upgraded", G_CALLBACK (session_upgraded_cb), peer);

  /* `connected`, then `status`, then the last log lines. */
  peer->subscriber = orderly_hub_subscribe (self->hub, peer->client, -1, &peer_funcs, peer);
}

/* An event whose reply the dispatcher gives later. */
typedef struct
{
  OrderlySocketioTransport *self;
  OrderlySioSocket         *socket;
  gint64                    ack_id;
} PendingEvent;

static void
pending_event_free (PendingEvent *pending)
{
  g_object_unref (pending->self);
  g_object_unref (pending->socket);
  g_free (pending);
}

static void
event_handled_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  PendingEvent *pending = user_data;
  OrderlySioSocket *socket = pending->socket;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(JsonNode) notice = NULL;
  g_autoptr(JsonArray) reply = NULL;
  const char *notice_name = NULL;
  OrderlyDispatcherReply kind;

  kind = orderly_dispatcher_handle_event_finish (ORDERLY_DISPATCHER (object), result, &answer, NULL,
                                                 &notice_name, &notice);
  /* The client may have gone meanwhile. */
  if (peer_for_socket (socket) == NULL)
    {
      kind = ORDERLY_DISPATCHER_REPLY_NONE;
      g_clear_pointer (&notice, json_node_unref);
    }

  if (notice != NULL)
    {
      g_autoptr(JsonArray) notice_args = json_array_new ();

      json_array_add_element (notice_args, g_steal_pointer (&notice));
      orderly_sio_socket_emit_args (socket, notice_name, notice_args, NULL);
    }
  switch (kind)
    {
    case ORDERLY_DISPATCHER_REPLY_STATUS:
      {
        g_autoptr(OrderlyHubEvent) status = orderly_hub_dup_status_event (pending->self->hub);

        orderly_sio_socket_send_encoded (socket, orderly_hub_event_get_encoded (status, encoding_quark (),
                                                                                encode_event_cb, NULL));
      }
      break;
    case ORDERLY_DISPATCHER_REPLY_ACK:
      reply = json_array_new ();
      json_array_add_element (reply, g_steal_pointer (&answer));
      orderly_sio_socket_ack (socket, pending->ack_id, reply, NULL);
      break;
    case ORDERLY_DISPATCHER_REPLY_ERROR:
      reply = json_array_new ();
      json_array_add_element (reply, g_steal_pointer (&answer));
      orderly_sio_socket_emit_args (socket, "error", reply, NULL);
      break;
    case ORDERLY_DISPATCHER_REPLY_NONE:
    default:
      break;
    }
  pending_event_free (pending);
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
  OrderlySocketioTransport *self = user_data;
  Peer *peer = peer_for_socket (socket);
  JsonNode *arguments = NULL;
  PendingEvent *pending;

  if (peer == NULL)
    return;

  if (!orderly_command_budget_take (&peer->budget, g_get_monotonic_time ()))
    {
      g_autoptr(JsonArray) reply = json_array_new ();

      json_array_add_element (reply, orderly_dispatcher_error_body (429, orderly_command_budget_refusal ()));
      if (ack_id >= 0)
        orderly_sio_socket_ack (socket, ack_id, reply, NULL);
      else
        orderly_sio_socket_emit_args (socket, "error", reply, NULL);
      return;
    }

  if (json_array_get_length (args) > 0 && JSON_NODE_HOLDS_OBJECT (json_array_get_element (args, 0)))
    arguments = json_array_get_element (args, 0);

  pending = g_new0 (PendingEvent, 1);
  pending->self = g_object_ref (self);
  pending->socket = g_object_ref (socket);
  pending->ack_id = ack_id;
  orderly_dispatcher_handle_event_async (self->dispatcher, name, arguments, peer->role, ack_id >= 0,
                                         event_handled_cb, pending);
}

/* Every request meets the gate's Host and Origin rules first; the token is
 * judged at CONNECT, where a refusal can tell the client why. */
static gboolean
check_request_cb (OrderlyEioServer  *engine,
                  SoupServerMessage *msg,
                  GHashTable        *query,
                  gboolean           is_upgrade,
                  gpointer           user_data)
{
  OrderlySocketioTransport *self = user_data;
  OrderlyRole role;

  return orderly_gate_check_request (self->gate, msg, query, ORDERLY_GATE_HANDSHAKE, &role);
}

static void
engine_session_closed_cb (OrderlyEioSession        *session,
                          const char               *reason,
                          OrderlySocketioTransport *self)
{
  /* (after dispose, nothing is counted any more) */
  if (self->pending == NULL)
    return;
  if (!orderly_pending_sessions_remove (self->pending, session) &&
      g_object_get_data (G_OBJECT (session), ADMITTED_KEY) != NULL)
    orderly_gate_release_connection (self->gate);
}

/* Anyone may open a session, and most are opened before a token is
 * shown: until then a session takes a place among the pending ones, with
 * a budget and a deadline of their own, not one of the live connections
 * that the operator's clients need. */
static void
engine_connection_cb (OrderlyEioServer         *engine,
                      OrderlyEioSession        *session,
                      OrderlySocketioTransport *self)
{
  g_signal_connect_object (session, "closed", G_CALLBACK (engine_session_closed_cb), self, 0);
  orderly_pending_sessions_add (self->pending, session);
}

static void
orderly_socketio_transport_dispose (GObject *object)
{
  OrderlySocketioTransport *self = ORDERLY_SOCKETIO_TRANSPORT (object);

  if (self->sio != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->sio, self);
      orderly_eio_server_close_all (orderly_sio_server_get_engine (self->sio));
    }
  g_clear_pointer (&self->pending, orderly_pending_sessions_free);
  g_clear_object (&self->sio);
  g_clear_object (&self->hub);
  g_clear_object (&self->dispatcher);
  if (self->gate != NULL)
    g_signal_handlers_disconnect_by_data (self->gate, self);
  g_clear_object (&self->gate);

  G_OBJECT_CLASS (orderly_socketio_transport_parent_class)->dispose (object);
}

static void
orderly_socketio_transport_class_init (OrderlySocketioTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = orderly_socketio_transport_dispose;
}

static void
orderly_socketio_transport_init (OrderlySocketioTransport *self)
{
}

/* Cross-origin polling answers the origins the gate answers. */
static void
update_cors_origins (OrderlySocketioTransport *self)
{
  const char * const *origins = orderly_gate_get_cors_origins (self->gate);

  orderly_eio_server_set_cors_origins (orderly_sio_server_get_engine (self->sio),
                                       origins[0] != NULL ? origins : NULL);
}

/**
 * orderly_socketio_transport_new:
 * @server: where to serve /socket.io/
 * @gate: who may connect, with which role, and the connection budget
 * @hub: the feed each client subscribes to
 * @dispatcher: where their events go
 *
 * Returns: (transfer full): the transport, serving /socket.io/ from now on
 */
OrderlySocketioTransport *
orderly_socketio_transport_new (SoupServer        *server,
                                OrderlyGate       *gate,
                                OrderlyHub        *hub,
                                OrderlyDispatcher *dispatcher)
{
  OrderlySocketioTransport *self;
  OrderlyEioServer *engine;

  g_return_val_if_fail (SOUP_IS_SERVER (server), NULL);
  g_return_val_if_fail (ORDERLY_IS_GATE (gate), NULL);
  g_return_val_if_fail (ORDERLY_IS_HUB (hub), NULL);
  g_return_val_if_fail (ORDERLY_IS_DISPATCHER (dispatcher), NULL);

  self = g_object_new (ORDERLY_TYPE_SOCKETIO_TRANSPORT, NULL);
  self->gate = g_object_ref (gate);
  self->hub = g_object_ref (hub);
  self->dispatcher = g_object_ref (dispatcher);

  if (orderly_sio_conformance_requested ())
    {
      g_message ("Socket.IO conformance mode: /engine.io/ and /socket.io/ serve the test suites only");
      self->conformance = TRUE;
      self->sio = g_object_ref (orderly_sio_conformance_attach (server, orderly_acceptor_get_socket));
      return self;
    }

  self->sio = orderly_sio_server_new ("/socket.io");
  engine = orderly_sio_server_get_engine (self->sio);

  update_cors_origins (self);
  g_signal_connect_object (gate, "notify::cors-origins", G_CALLBACK (update_cors_origins), self,
                           G_CONNECT_SWAPPED);

  self->pending = orderly_pending_sessions_new (ORDERLY_SERVER_MAX_PENDING_SESSIONS);
  orderly_sio_server_set_connect_timeout (self->sio, ORDERLY_SERVER_PENDING_TIMEOUT_MS);
  orderly_eio_server_set_max_payload (engine, ORDERLY_EIO_DEFAULT_MAX_PAYLOAD);
  orderly_eio_server_set_socket_func (engine, orderly_acceptor_get_socket);
  orderly_eio_server_set_request_func (engine, check_request_cb, self, NULL);
  orderly_sio_server_set_authorize_func (self->sio, authorize_cb, self, NULL);
  g_signal_connect_object (engine, "connection", G_CALLBACK (engine_connection_cb), self, 0);
  g_signal_connect (self->sio, "connection", G_CALLBACK (sio_connection_cb), self);
  g_signal_connect (self->sio, "event", G_CALLBACK (sio_event_cb), self);
  orderly_sio_server_attach (self->sio, server);

  return self;
}

guint
orderly_socketio_transport_get_n_clients (OrderlySocketioTransport *self)
{
  g_return_val_if_fail (ORDERLY_IS_SOCKETIO_TRANSPORT (self), 0);
  return self->sio != NULL ? orderly_sio_server_get_n_sockets (self->sio, "/") : 0;
}

/**
 * orderly_socketio_transport_close_all:
 * @self: a transport
 *
 * Ends every connection, e.g. on shutdown; clients reconnect on their own
 * once a server is back.
 */
void
orderly_socketio_transport_close_all (OrderlySocketioTransport *self)
{
  g_return_if_fail (ORDERLY_IS_SOCKETIO_TRANSPORT (self));

  if (self->sio != NULL)
    orderly_eio_server_close_all (orderly_sio_server_get_engine (self->sio));
}
