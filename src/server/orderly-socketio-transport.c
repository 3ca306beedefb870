/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-server"

#include "config.h"

#include <string.h>

#include "orderly-login-limiter.h"
#include "orderly-socketio-transport.h"
#include "orderly-sio-conformance.h"
#include "orderly-sio-packet.h"
#include "orderly-sio-server.h"

/* A polling client may hold this many packets for its next GET before the
 * hub keeps the rest (and applies latest-wins and the log bound). */
#define POLL_WINDOW 1024
#define SESSION_COOKIE "orderly_session"

struct _OrderlySocketioTransport
{
  GObject            parent_instance;

  /* borrowed: the server owns this transport */
  OrderlyServer     *server;

  OrderlyRemote     *remote;
  OrderlyHub        *hub;
  OrderlyDispatcher *dispatcher;
  OrderlySioServer  *sio;
  /* Tokens tried in CONNECT packets never reach the HTTP checks. */
  OrderlyLoginLimiter *limiter;
  gboolean           conformance;
};

G_DEFINE_FINAL_TYPE (OrderlySocketioTransport, orderly_socketio_transport, G_TYPE_OBJECT)

/* What the hub and the dispatcher need to know about one socket. */
typedef struct
{
  OrderlySocketioTransport *transport;
  OrderlySioSocket         *socket;
  OrderlyClient            *client;
  OrderlySubscriber        *subscriber;
  OrderlyRole               role;
} Peer;

static GQuark
encoding_quark (void)
{
  return g_quark_from_static_string ("socket.io");
}

/* The hub's JSON comes from json-glib, which leaves U+001F raw; JSON.parse()
 * would refuse it. Compact JSON has no raw control bytes of its own. */
static void
append_json (GString    *out,
             const char *json)
{
  for (const char *p = json; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20)
        g_string_append_printf (out, "\\u%04x", (guchar) *p);
      else
        g_string_append_c (out, *p);
    }
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
       * record separator so that one buffer serves all clients. */
      for (guint i = first_line; i < orderly_hub_event_get_n_lines (event); i++)
        {
          if (i > first_line)
            g_string_append_c (out, '\x1e');
          g_string_append (out, "42[\"log\",");
          append_json (out, orderly_hub_event_get_line (event, i));
          g_string_append_c (out, ']');
        }
    }
  else
    {
      g_string_append_printf (out, "42[\"%s\"", orderly_hub_event_get_name (event));
      if (orderly_hub_event_get_data (event) != NULL)
        {
          g_string_append_c (out, ',');
          append_json (out, orderly_hub_event_get_data (event));
        }
      g_string_append_c (out, ']');
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

static char *
cookie_token (const char *cookie_header)
{
  g_auto(GStrv) pairs = NULL;

  if (cookie_header == NULL)
    return NULL;

  pairs = g_strsplit (cookie_header, ";", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      const char *pair = g_strstrip (pairs[i]);
      gsize name_len = strlen (SESSION_COOKIE);

      if (strncmp (pair, SESSION_COOKIE, name_len) == 0 && pair[name_len] == '=')
        return g_uri_unescape_string (pair + name_len + 1, NULL);
    }
  return NULL;
}

static gboolean
authorize_cb (OrderlySioServer  *server,
              OrderlySioSocket  *socket,
              guint             *role,
              char             **message,
              gpointer           user_data)
{
  OrderlySocketioTransport *self = user_data;
  const char *address = orderly_sio_socket_get_remote_address (socket);
  JsonObject *auth = orderly_sio_socket_get_auth (socket);
  JsonNode *auth_token = json_object_get_member (auth, "token");
  g_autofree char *from_cookie = NULL;
  const char *token = NULL;
  OrderlyRole granted;

  if (auth_token != NULL && JSON_NODE_HOLDS_VALUE (auth_token) &&
      json_node_get_value_type (auth_token) == G_TYPE_STRING)
    token = json_node_get_string (auth_token);
  if (token == NULL)
    token = orderly_sio_socket_get_query_token (socket);
  if (token == NULL)
    token = from_cookie = cookie_token (orderly_sio_socket_get_cookie_header (socket));

  if (orderly_remote_get_auth_enabled (self->remote) &&
      orderly_login_limiter_is_blocked (self->limiter, address))
    {
      *message = g_strdup ("Too many failed logins from this address; try again later");
      return FALSE;
    }

  granted = orderly_remote_check_token (self->remote, token);
  if (granted == ORDERLY_ROLE_NONE)
    {
      *message = g_strdup (token == NULL ? "Authentication required: connect with auth.token"
                                         : "Invalid token");
      if (token != NULL)
        orderly_login_limiter_add_failure (self->limiter, address);
      if (orderly_login_limiter_should_log (self->limiter, address))
        g_message ("Refused Socket.IO client from %s: %s", address, *message);
      return FALSE;
    }

  if (token != NULL)
    orderly_login_limiter_add_success (self->limiter, address);
  *role = granted;
  return TRUE;
}

static char *
client_transport_name (OrderlySioSocket *socket)
{
  return g_strdup_printf ("socket.io/%s", orderly_sio_socket_get_transport_name (socket));
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
  g_autofree char *name = client_transport_name (peer->socket);

  orderly_client_set_transport (peer->client, name);
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
  g_autofree char *transport_name = client_transport_name (socket);
  Peer *peer = g_new0 (Peer, 1);

  peer->transport = self;
  peer->socket = socket;
  peer->role = orderly_sio_socket_get_role (socket);
  peer->client = orderly_client_new (orderly_sio_socket_get_id (socket),
                                     orderly_sio_socket_get_remote_address (socket),
                                     transport_name,
                                     orderly_role_to_string (peer->role),
                                     orderly_sio_socket_get_user_agent (socket));
  g_object_set_data_full (G_OBJECT (socket), "orderly-peer", peer, (GDestroyNotify) peer_free);

  g_signal_connect (socket, "disconnected", G_CALLBACK (socket_disconnected_cb), self);
  g_signal_connect (session, "drained", G_CALLBACK (session_drained_cb), peer);
  g_signal_connect (session, "upgraded", G_CALLBACK (session_upgraded_cb), peer);

  /* `connected`, then `status`, then the last log lines. */
  peer->subscriber = orderly_hub_subscribe (self->hub, peer->client, -1, &peer_funcs, peer);
}

static JsonArray *
answer_args (JsonNode *answer)
{
  JsonArray *args = json_array_new ();

  json_array_add_element (args, answer != NULL ? json_node_ref (answer) : json_node_new (JSON_NODE_NULL));
  return args;
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
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(JsonArray) reply = NULL;
  JsonNode *arguments = NULL;
  guint status_code = 200;

  if (peer == NULL)
    return;

  if (!orderly_dispatcher_has_command (name))
    {
      g_autofree char *message = g_strdup_printf ("Unknown event “%s”", name);

      answer = orderly_dispatcher_error_body (400, message);
      status_code = 400;
    }
  else if (ack_id < 0 && g_str_equal (name, "get-status"))
    {
      g_autoptr(OrderlyHubEvent) status = orderly_hub_dup_status_event (self->hub);

      orderly_sio_socket_send_encoded (socket, orderly_hub_event_get_encoded (status, encoding_quark (),
                                                                              encode_event_cb, NULL));
      return;
    }
  else
    {
      if (json_array_get_length (args) > 0 && JSON_NODE_HOLDS_OBJECT (json_array_get_element (args, 0)))
        arguments = json_array_get_element (args, 0);
      answer = orderly_dispatcher_dispatch (self->dispatcher, name, arguments, peer->role, &status_code);
    }

  reply = answer_args (answer);
  if (ack_id >= 0)
    orderly_sio_socket_ack (socket, ack_id, reply, NULL);
  else if (status_code >= 400)
    orderly_sio_socket_emit_args (socket, "error", reply, NULL);
}

/* Every request meets the server's Host and Origin rules first; the token
 * is checked at CONNECT, where a refusal can tell the client why. */
static gboolean
check_request_cb (OrderlyEioServer  *engine,
                  SoupServerMessage *msg,
                  GHashTable        *query,
                  gboolean           is_upgrade,
                  gpointer           user_data)
{
  OrderlySocketioTransport *self = user_data;

  if (self->server == NULL)
    return FALSE;
  return orderly_server_check_handshake (self->server, msg, query, is_upgrade);
}

static void
engine_session_closed_cb (OrderlyEioSession        *session,
                          const char               *reason,
                          OrderlySocketioTransport *self)
{
  if (self->server != NULL)
    orderly_server_release_connection (self->server);
}

static void
engine_connection_cb (OrderlyEioServer         *engine,
                      OrderlyEioSession        *session,
                      OrderlySocketioTransport *self)
{
  if (!orderly_server_reserve_connection (self->server))
    {
      g_message ("Refused Socket.IO connection from %s: too many connections",
                 orderly_eio_session_get_remote_address (session));
      orderly_eio_session_close (session);
      return;
    }
  g_signal_connect_object (session, "closed", G_CALLBACK (engine_session_closed_cb), self, 0);
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
  g_clear_object (&self->sio);
  g_clear_object (&self->hub);
  g_clear_object (&self->dispatcher);
  g_clear_object (&self->remote);
  g_clear_object (&self->limiter);
  self->server = NULL;

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

/* Cross-origin polling follows the allowed origins, and credentials go
 * with named origins only, never with "*". */
static void
update_cors_origins (OrderlySocketioTransport *self)
{
  const char * const *allowed = orderly_remote_get_allowed_origins (self->remote);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) origins = NULL;

  for (guint i = 0; allowed != NULL && allowed[i] != NULL; i++)
    if (!g_str_equal (allowed[i], "*"))
      g_strv_builder_add (builder, allowed[i]);
  origins = g_strv_builder_end (builder);
  orderly_eio_server_set_cors_origins (orderly_sio_server_get_engine (self->sio),
                                       origins[0] != NULL ? (const char * const *) origins : NULL);
}

/**
 * orderly_socketio_transport_new:
 * @server: the embedded server, whose SoupServer, hub and dispatcher it uses
 * @remote: the remote-access settings: tokens and allowed origins
 *
 * Returns: (transfer full): the transport, serving /socket.io/ from now on
 */
OrderlySocketioTransport *
orderly_socketio_transport_new (OrderlyServer *server,
                                OrderlyRemote *remote)
{
  OrderlySocketioTransport *self;
  SoupServer *soup_server;

  g_return_val_if_fail (ORDERLY_IS_SERVER (server), NULL);
  g_return_val_if_fail (ORDERLY_IS_REMOTE (remote), NULL);

  self = g_object_new (ORDERLY_TYPE_SOCKETIO_TRANSPORT, NULL);
  self->server = server;
  self->remote = g_object_ref (remote);
  soup_server = orderly_server_get_soup_server (server);

  if (orderly_sio_conformance_requested ())
    {
      g_message ("Socket.IO conformance mode: /engine.io/ and /socket.io/ serve the test suites only");
      self->conformance = TRUE;
      self->sio = g_object_ref (orderly_sio_conformance_attach (soup_server));
      return self;
    }

  self->limiter = g_object_ref (orderly_server_get_login_limiter (server));
  self->hub = g_object_ref (orderly_server_get_hub (server));
  self->dispatcher = g_object_ref (orderly_server_get_dispatcher (server));
  self->sio = orderly_sio_server_new ("/socket.io");

  update_cors_origins (self);
  g_signal_connect_object (remote, "notify::allowed-origins", G_CALLBACK (update_cors_origins), self,
                           G_CONNECT_SWAPPED);

  orderly_eio_server_set_max_payload (orderly_sio_server_get_engine (self->sio), ORDERLY_EIO_DEFAULT_MAX_PAYLOAD);
  orderly_eio_server_set_request_func (orderly_sio_server_get_engine (self->sio), check_request_cb, self, NULL);
  orderly_sio_server_set_authorize_func (self->sio, authorize_cb, self, NULL);
  g_signal_connect_object (orderly_sio_server_get_engine (self->sio), "connection",
                           G_CALLBACK (engine_connection_cb), self, 0);
  g_signal_connect (self->sio, "connection", G_CALLBACK (sio_connection_cb), self);
  g_signal_connect (self->sio, "event", G_CALLBACK (sio_event_cb), self);
  orderly_sio_server_attach (self->sio, soup_server);

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
