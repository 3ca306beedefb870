/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-sio"

#include "config.h"

#include <string.h>

#include "orderly-sio-packet.h"
#include "orderly-sio-server.h"

typedef struct _Client Client;

typedef struct
{
  OrderlySioAckFunc callback;
  gpointer          user_data;
  GDestroyNotify    destroy;
} AckClosure;

struct _OrderlySioSocket
{
  GObject            parent_instance;

  /* borrowed; NULL once disconnected */
  Client            *client;

  OrderlyEioSession *session;
  char              *id;
  char              *nsp;
  JsonObject        *auth;
  guint              role;
  gboolean           connected;
  gint64             connected_at;

  gint64             next_ack_id;
  GHashTable        *acks;

  guint64            sent;
  guint64            received;
};

struct _Client
{
  OrderlySioServer  *server;
  OrderlyEioSession *session;
  OrderlySioDecoder *decoder;
  /* namespace -> OrderlySioSocket */
  GHashTable        *sockets;
  guint              connect_source;
  gulong             message_id;
  gulong             closed_id;
};

struct _OrderlySioServer
{
  GObject                  parent_instance;

  OrderlyEioServer        *engine;
  /* namespace -> (socket id -> OrderlySioSocket) */
  GHashTable              *namespaces;
  /* OrderlyEioSession -> Client */
  GHashTable              *clients;
  guint                    connect_timeout;

  OrderlySioAuthorizeFunc  authorize;
  gpointer                 authorize_data;
  GDestroyNotify           authorize_destroy;
};

G_DEFINE_FINAL_TYPE (OrderlySioSocket, orderly_sio_socket, G_TYPE_OBJECT)
G_DEFINE_FINAL_TYPE (OrderlySioServer, orderly_sio_server, G_TYPE_OBJECT)

enum {
  SOCKET_DISCONNECTED,
  N_SOCKET_SIGNALS
};

static guint socket_signals[N_SOCKET_SIGNALS];

enum {
  SERVER_CONNECTION,
  SERVER_EVENT,
  N_SERVER_SIGNALS
};

static guint server_signals[N_SERVER_SIGNALS];

static void
ack_closure_free (AckClosure *closure)
{
  if (closure->destroy != NULL)
    closure->destroy (closure->user_data);
  g_free (closure);
}

/* Socket */

static void
orderly_sio_socket_finalize (GObject *object)
{
  OrderlySioSocket *self = ORDERLY_SIO_SOCKET (object);

  g_clear_object (&self->session);
  g_free (self->id);
  g_free (self->nsp);
  g_clear_pointer (&self->auth, json_object_unref);
  g_clear_pointer (&self->acks, g_hash_table_unref);

  G_OBJECT_CLASS (orderly_sio_socket_parent_class)->finalize (object);
}

static void
orderly_sio_socket_class_init (OrderlySioSocketClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = orderly_sio_socket_finalize;

  /**
   * OrderlySioSocket::disconnected:
   * @reason: e.g. "client namespace disconnect", "transport close"
   */
  socket_signals[SOCKET_DISCONNECTED] =
    g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
orderly_sio_socket_init (OrderlySioSocket *self)
{
  self->acks = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                      (GDestroyNotify) ack_closure_free);
}

const char *
orderly_sio_socket_get_id (OrderlySioSocket *self)
{
  g_return_val_if_fail (ORDERLY_IS_SIO_SOCKET (self), NULL);
  return self->id;
}

const char *
orderly_sio_socket_get_namespace (OrderlySioSocket *self)
{
  g_return_val_if_fail (ORDERLY_IS_SIO_SOCKET (self), NULL);
  return self->nsp;
}

/**
 * orderly_sio_socket_get_transport_name:
 * @self: a socket
 *
 * Returns: "polling" or "websocket", as it is now (it changes on upgrade)
 */
const char *
orderly_sio_socket_get_transport_name (OrderlySioSocket *self)
{
  g_return_val_if_fail (ORDERLY_IS_SIO_SOCKET (self), NULL);
  return orderly_eio_session_get_transport_name (self->session);
}

const char *
orderly_sio_socket_get_remote_address (OrderlySioSocket *self)
{
  g_return_val_if_fail (ORDERLY_IS_SIO_SOCKET (self), NULL);
  return orderly_eio_session_get_remote_address (self->session);
}

const char *
orderly_sio_socket_get_user_agent (OrderlySioSocket *self)
{
  g_return_val_if_fail (ORDERLY_IS_SIO_SOCKET (self), NULL);
  return orderly_eio_session_get_user_agent (self->session);
}

/**
 * orderly_sio_socket_get_auth:
 * @self: a socket
 *
 * Returns: (transfer none): the CONNECT auth object, `{}` when none was sent
 */
JsonObject *
orderly_sio_socket_get_auth (OrderlySioSocket *self)
{
  g_return_val_if_fail (ORDERLY_IS_SIO_SOCKET (self), NULL);
  return self->auth;
}

/**
 * orderly_sio_socket_get_query_token:
 * @self: a socket
 *
 * Returns: (nullable): the `token` query parameter of the handshake
 */
const char *
orderly_sio_socket_get_query_token (OrderlySioSocket *self)
{
  g_return_val_if_fail (ORDERLY_IS_SIO_SOCKET (self), NULL);
  return orderly_eio_session_get_query_param (self->session, "token");
}

const char *
orderly_sio_socket_get_cookie_header (OrderlySioSocket *self)
{
  g_return_val_if_fail (ORDERLY_IS_SIO_SOCKET (self), NULL);
  return orderly_eio_session_get_cookie_header (self->session);
}

const char *
orderly_sio_socket_get_origin (OrderlySioSocket *self)
{
  g_return_val_if_fail (ORDERLY_IS_SIO_SOCKET (self), NULL);
  return orderly_eio_session_get_origin (self->session);
}

/**
 * orderly_sio_socket_get_session:
 * @self: a socket
 *
 * Returns: (transfer none): the Engine.IO session carrying this socket
 */
OrderlyEioSession *
orderly_sio_socket_get_session (OrderlySioSocket *self)
{
  g_return_val_if_fail (ORDERLY_IS_SIO_SOCKET (self), NULL);
  return self->session;
}

guint
orderly_sio_socket_get_role (OrderlySioSocket *self)
{
  g_return_val_if_fail (ORDERLY_IS_SIO_SOCKET (self), 0);
  return self->role;
}

gboolean
orderly_sio_socket_is_connected (OrderlySioSocket *self)
{
  g_return_val_if_fail (ORDERLY_IS_SIO_SOCKET (self), FALSE);
  return self->connected;
}

/**
 * orderly_sio_socket_get_connected_at:
 * @self: a socket
 *
 * Returns: when the socket joined, in g_get_real_time() microseconds
 */
gint64
orderly_sio_socket_get_connected_at (OrderlySioSocket *self)
{
  g_return_val_if_fail (ORDERLY_IS_SIO_SOCKET (self), 0);
  return self->connected_at;
}

/**
 * orderly_sio_socket_get_sent:
 * @self: a socket
 *
 * Returns: how many packets were sent to this socket
 */
guint64
orderly_sio_socket_get_sent (OrderlySioSocket *self)
{
  g_return_val_if_fail (ORDERLY_IS_SIO_SOCKET (self), 0);
  return self->sent;
}

guint64
orderly_sio_socket_get_received (OrderlySioSocket *self)
{
  g_return_val_if_fail (ORDERLY_IS_SIO_SOCKET (self), 0);
  return self->received;
}

/**
 * orderly_sio_socket_get_dropped:
 * @self: a socket
 *
 * Returns: how many packets the carrying session dropped or replaced
 */
guint64
orderly_sio_socket_get_dropped (OrderlySioSocket *self)
{
  g_return_val_if_fail (ORDERLY_IS_SIO_SOCKET (self), 0);
  return orderly_eio_session_get_dropped (self->session);
}

static void
socket_send_packet (OrderlySioSocket *self,
                    OrderlySioPacket *packet)
{
  g_autoptr(GBytes) message = orderly_sio_packet_encode_message (packet);

  orderly_eio_session_send_encoded (self->session, message);
  if (packet->attachments != NULL)
    for (guint i = 0; i < packet->attachments->len; i++)
      orderly_eio_session_send_binary (self->session, g_ptr_array_index (packet->attachments, i));
  self->sent++;
}

static void
socket_emit_internal (OrderlySioSocket *self,
                      const char       *event,
                      JsonArray        *args,
                      GPtrArray        *attachments,
                      gint64            ack_id)
{
  g_autoptr(JsonArray) array = json_array_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_ARRAY);
  g_autoptr(OrderlySioPacket) packet = NULL;

  json_array_add_string_element (array, event);
  if (args != NULL)
    for (guint i = 0; i < json_array_get_length (args); i++)
      json_array_add_element (array, json_node_copy (json_array_get_element (args, i)));
  json_node_set_array (node, array);

  packet = orderly_sio_packet_new (ORDERLY_SIO_PACKET_EVENT, self->nsp, ack_id, node);
  if (attachments != NULL && attachments->len > 0)
    packet->attachments = g_ptr_array_ref (attachments);
  socket_send_packet (self, packet);
}

/**
 * orderly_sio_socket_emit:
 * @self: a socket
 * @event: the event name, not a reserved one
 * @argument: (nullable): the one argument, or %NULL for none
 */
void
orderly_sio_socket_emit (OrderlySioSocket *self,
                         const char       *event,
                         JsonNode         *argument)
{
  g_autoptr(JsonArray) args = json_array_new ();

  g_return_if_fail (ORDERLY_IS_SIO_SOCKET (self));
  g_return_if_fail (event != NULL && !orderly_sio_event_name_is_reserved (event));

  if (!self->connected)
    return;
  if (argument != NULL)
    json_array_add_element (args, json_node_copy (argument));
  socket_emit_internal (self, event, args, NULL, ORDERLY_SIO_NO_ACK);
}

/**
 * orderly_sio_socket_emit_args:
 * @self: a socket
 * @event: the event name, not a reserved one
 * @args: (nullable): the arguments
 * @attachments: (nullable) (element-type GBytes): binary attachments that
 *   placeholders in @args refer to
 */
void
orderly_sio_socket_emit_args (OrderlySioSocket *self,
                              const char       *event,
                              JsonArray        *args,
                              GPtrArray        *attachments)
{
  g_return_if_fail (ORDERLY_IS_SIO_SOCKET (self));
  g_return_if_fail (event != NULL && !orderly_sio_event_name_is_reserved (event));

  if (!self->connected)
    return;
  socket_emit_internal (self, event, args, attachments, ORDERLY_SIO_NO_ACK);
}

/**
 * orderly_sio_socket_emit_with_ack:
 * @self: a socket
 * @event: the event name
 * @args: (nullable): the arguments
 * @callback: called with the client's answer
 * @user_data: data for @callback
 * @destroy: (nullable): frees @user_data
 */
void
orderly_sio_socket_emit_with_ack (OrderlySioSocket  *self,
                                  const char        *event,
                                  JsonArray         *args,
                                  OrderlySioAckFunc  callback,
                                  gpointer           user_data,
                                  GDestroyNotify     destroy)
{
  AckClosure *closure;
  gint64 id;

  g_return_if_fail (ORDERLY_IS_SIO_SOCKET (self));
  g_return_if_fail (event != NULL && !orderly_sio_event_name_is_reserved (event));
  g_return_if_fail (callback != NULL);

  closure = g_new0 (AckClosure, 1);
  closure->callback = callback;
  closure->user_data = user_data;
  closure->destroy = destroy;

  if (!self->connected)
    {
      ack_closure_free (closure);
      return;
    }

  id = self->next_ack_id++;
  g_hash_table_insert (self->acks, g_memdup2 (&id, sizeof id), closure);
  socket_emit_internal (self, event, args, NULL, id);
}

/**
 * orderly_sio_socket_send_encoded:
 * @self: a socket
 * @packet: an Engine.IO message encoded once, e.g. by orderly_sio_encode_event()
 *   for this socket's namespace
 */
void
orderly_sio_socket_send_encoded (OrderlySioSocket *self,
                                 GBytes           *packet)
{
  g_return_if_fail (ORDERLY_IS_SIO_SOCKET (self));

  if (!self->connected)
    return;
  orderly_eio_session_send_encoded (self->session, packet);
  self->sent++;
}

/**
 * orderly_sio_socket_send_latest:
 * @self: a socket
 * @slot: a non-zero slot; a queued packet of the same slot is replaced
 * @packet: an encoded Engine.IO message
 */
void
orderly_sio_socket_send_latest (OrderlySioSocket *self,
                                guint             slot,
                                GBytes           *packet)
{
  g_return_if_fail (ORDERLY_IS_SIO_SOCKET (self));

  if (!self->connected)
    return;
  orderly_eio_session_send_latest (self->session, slot, packet);
  self->sent++;
}

/**
 * orderly_sio_socket_ack:
 * @self: a socket
 * @ack_id: the id the client sent with its event
 * @args: (nullable): the answer's arguments; %NULL sends `[]`
 * @attachments: (nullable) (element-type GBytes): binary attachments
 */
void
orderly_sio_socket_ack (OrderlySioSocket *self,
                        gint64            ack_id,
                        JsonArray        *args,
                        GPtrArray        *attachments)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_ARRAY);
  g_autoptr(OrderlySioPacket) packet = NULL;

  g_return_if_fail (ORDERLY_IS_SIO_SOCKET (self));
  g_return_if_fail (ack_id >= 0);

  if (!self->connected)
    return;

  if (args != NULL)
    json_node_set_array (node, args);
  else
    json_node_take_array (node, json_array_new ());

  packet = orderly_sio_packet_new (ORDERLY_SIO_PACKET_ACK, self->nsp, ack_id, node);
  if (attachments != NULL && attachments->len > 0)
    packet->attachments = g_ptr_array_ref (attachments);
  socket_send_packet (self, packet);
}

/* Server */

static void client_close (Client     *client,
                          const char *reason);

static void
socket_leave (OrderlySioSocket *self,
              const char       *reason)
{
  G_GNUC_UNUSED g_autoptr(OrderlySioSocket) hold = g_object_ref (self);
  Client *client = self->client;

  if (!self->connected)
    return;

  self->connected = FALSE;
  self->client = NULL;
  if (client != NULL)
    {
      GHashTable *members = g_hash_table_lookup (client->server->namespaces, self->nsp);

      if (members != NULL)
        g_hash_table_remove (members, self->id);
      g_hash_table_remove (client->sockets, self->nsp);
    }
  g_hash_table_remove_all (self->acks);

  g_signal_emit (self, socket_signals[SOCKET_DISCONNECTED], 0, reason);
}

/**
 * orderly_sio_socket_disconnect:
 * @self: a socket
 * @close_transport: whether to close the whole connection too
 *
 * Kicks the socket from its namespace; the client does not reconnect it.
 */
void
orderly_sio_socket_disconnect (OrderlySioSocket *self,
                               gboolean          close_transport)
{
  g_autoptr(OrderlySioPacket) packet = NULL;
  g_autoptr(OrderlyEioSession) session = NULL;

  g_return_if_fail (ORDERLY_IS_SIO_SOCKET (self));

  if (!self->connected)
    return;

  session = g_object_ref (self->session);
  packet = orderly_sio_packet_new (ORDERLY_SIO_PACKET_DISCONNECT, self->nsp, ORDERLY_SIO_NO_ACK, NULL);
  socket_send_packet (self, packet);
  socket_leave (self, "server namespace disconnect");
  if (close_transport)
    orderly_eio_session_close (session);
}

static void
client_free (Client *client)
{
  g_clear_handle_id (&client->connect_source, g_source_remove);
  g_clear_signal_handler (&client->message_id, client->session);
  g_clear_signal_handler (&client->closed_id, client->session);
  g_clear_pointer (&client->decoder, orderly_sio_decoder_free);
  g_clear_pointer (&client->sockets, g_hash_table_unref);
  g_clear_object (&client->session);
  g_free (client);
}

static void
client_leave_all (Client     *client,
                  const char *reason)
{
  g_autoptr(GPtrArray) sockets = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, client->sockets);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (sockets, g_object_ref (value));

  for (guint i = 0; i < sockets->len; i++)
    socket_leave (g_ptr_array_index (sockets, i), reason);
}

/* Ends the whole connection after a protocol error. */
static void
client_close (Client     *client,
              const char *reason)
{
  OrderlyEioSession *session = client->session;

  client_leave_all (client, reason);
  orderly_eio_session_close (session);
}

static void
client_send_connect_error (Client     *client,
                           const char *nsp,
                           const char *message)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(OrderlySioPacket) packet = NULL;
  g_autoptr(GBytes) bytes = NULL;

  json_object_set_string_member (object, "message", message);
  json_node_set_object (node, object);
  packet = orderly_sio_packet_new (ORDERLY_SIO_PACKET_CONNECT_ERROR, nsp, ORDERLY_SIO_NO_ACK, node);
  bytes = orderly_sio_packet_encode_message (packet);
  orderly_eio_session_send_encoded (client->session, bytes);
}

static void
client_handle_connect (Client           *client,
                       OrderlySioPacket *packet)
{
  OrderlySioServer *server = client->server;
  GHashTable *members = g_hash_table_lookup (server->namespaces, packet->nsp);
  g_autoptr(OrderlySioSocket) socket = NULL;
  g_autofree char *refusal = NULL;
  g_autoptr(OrderlySioPacket) reply = NULL;
  g_autoptr(JsonNode) reply_node = NULL;
  g_autoptr(JsonObject) reply_object = NULL;
  guint role = 0;

  if (members == NULL)
    {
      client_send_connect_error (client, packet->nsp, "Invalid namespace");
      return;
    }

  if (g_hash_table_contains (client->sockets, packet->nsp))
    {
      client_close (client, "parse error");
      return;
    }

  socket = g_object_new (ORDERLY_TYPE_SIO_SOCKET, NULL);
  socket->session = g_object_ref (client->session);
  socket->nsp = g_strdup (packet->nsp);
  socket->id = orderly_eio_generate_id ();
  socket->auth = packet->data != NULL ? json_object_ref (json_node_get_object (packet->data)) : json_object_new ();

  if (server->authorize != NULL &&
      !server->authorize (server, socket, &role, &refusal, server->authorize_data))
    {
      client_send_connect_error (client, packet->nsp, refusal != NULL ? refusal : "Not authorized");
      return;
    }

  /* The application may have closed the connection while deciding. */
  if (!orderly_eio_session_is_open (client->session))
    return;

  socket->role = role;
  socket->client = client;
  socket->connected = TRUE;
  socket->connected_at = g_get_real_time ();
  g_hash_table_insert (client->sockets, socket->nsp, g_object_ref (socket));
  g_hash_table_insert (members, socket->id, g_object_ref (socket));
  g_clear_handle_id (&client->connect_source, g_source_remove);

  reply_object = json_object_new ();
  json_object_set_string_member (reply_object, "sid", socket->id);
  reply_node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (reply_node, reply_object);
  reply = orderly_sio_packet_new (ORDERLY_SIO_PACKET_CONNECT, socket->nsp, ORDERLY_SIO_NO_ACK, reply_node);
  socket_send_packet (socket, reply);

  g_signal_emit (server, server_signals[SERVER_CONNECTION], 0, socket);
}

static void
client_handle_event (Client           *client,
                     OrderlySioSocket *socket,
                     OrderlySioPacket *packet)
{
  JsonArray *array = json_node_get_array (packet->data);
  JsonNode *first = json_array_get_element (array, 0);
  g_autoptr(JsonArray) args = json_array_sized_new (json_array_get_length (array));
  g_autofree char *name = NULL;

  if (json_node_get_value_type (first) == G_TYPE_STRING)
    name = g_strdup (json_node_get_string (first));
  else if (json_node_get_value_type (first) == G_TYPE_INT64)
    name = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (first));
  else
    name = g_strdup_printf ("%g", json_node_get_double (first));

  for (guint i = 1; i < json_array_get_length (array); i++)
    json_array_add_element (args, json_node_copy (json_array_get_element (array, i)));

  socket->received++;
  g_signal_emit (client->server, server_signals[SERVER_EVENT], 0,
                 socket, name, args, packet->attachments, packet->id);
}

static void
client_handle_ack (OrderlySioSocket *socket,
                   OrderlySioPacket *packet)
{
  AckClosure *closure;
  gpointer key;

  if (packet->id < 0 ||
      !g_hash_table_steal_extended (socket->acks, &packet->id, &key, (gpointer *) &closure))
    return;

  closure->callback (socket, json_node_get_array (packet->data), packet->attachments, closure->user_data);
  ack_closure_free (closure);
  g_free (key);
}

static void
client_handle_packet (Client           *client,
                      OrderlySioPacket *packet)
{
  OrderlySioSocket *socket;

  if (packet->type == ORDERLY_SIO_PACKET_CONNECT)
    {
      client_handle_connect (client, packet);
      return;
    }

  socket = g_hash_table_lookup (client->sockets, packet->nsp);
  if (socket == NULL)
    {
      /* Anything but CONNECT for a namespace not joined. */
      client_close (client, "parse error");
      return;
    }

  switch (packet->type)
    {
    case ORDERLY_SIO_PACKET_DISCONNECT:
      socket_leave (socket, "client namespace disconnect");
      break;

    case ORDERLY_SIO_PACKET_EVENT:
    case ORDERLY_SIO_PACKET_BINARY_EVENT:
      client_handle_event (client, socket, packet);
      break;

    case ORDERLY_SIO_PACKET_ACK:
    case ORDERLY_SIO_PACKET_BINARY_ACK:
      client_handle_ack (socket, packet);
      break;

    case ORDERLY_SIO_PACKET_CONNECT_ERROR:
    case ORDERLY_SIO_PACKET_CONNECT:
    default:
      break;
    }
}

static void
session_message_cb (OrderlyEioSession *session,
                    GBytes            *data,
                    gboolean           binary,
                    gpointer           user_data)
{
  Client *client = user_data;
  g_autoptr(OrderlySioPacket) packet = NULL;
  gboolean ok;

  if (binary)
    ok = orderly_sio_decoder_push_binary (client->decoder, data, &packet, NULL);
  else
    {
      gsize length;
      const char *text = g_bytes_get_data (data, &length);

      ok = orderly_sio_decoder_push_text (client->decoder, text, length, &packet, NULL);
    }

  if (!ok)
    {
      client_close (client, "parse error");
      return;
    }

  if (packet != NULL)
    client_handle_packet (client, packet);
}

static void
session_closed_cb (OrderlyEioSession *session,
                   const char        *reason,
                   gpointer           user_data)
{
  Client *client = user_data;
  OrderlySioServer *server = client->server;

  client_leave_all (client, reason);
  g_hash_table_remove (server->clients, session);
}

static gboolean
connect_timeout_cb (gpointer user_data)
{
  Client *client = user_data;

  client->connect_source = 0;
  if (g_hash_table_size (client->sockets) == 0)
    orderly_eio_session_close (client->session);
  return G_SOURCE_REMOVE;
}

static void
engine_connection_cb (OrderlyEioServer  *engine,
                      OrderlyEioSession *session,
                      gpointer           user_data)
{
  OrderlySioServer *self = user_data;
  Client *client = g_new0 (Client, 1);

  client->server = self;
  client->session = g_object_ref (session);
  client->decoder = orderly_sio_decoder_new ();
  client->sockets = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  client->message_id = g_signal_connect (session, "message", G_CALLBACK (session_message_cb), client);
  client->closed_id = g_signal_connect (session, "closed", G_CALLBACK (session_closed_cb), client);
  client->connect_source = g_timeout_add (self->connect_timeout, connect_timeout_cb, client);
  g_hash_table_insert (self->clients, session, client);
}

static void
orderly_sio_server_dispose (GObject *object)
{
  OrderlySioServer *self = ORDERLY_SIO_SERVER (object);

  if (self->engine != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->engine, self);
      orderly_eio_server_close_all (self->engine);
      orderly_eio_server_detach (self->engine);
    }
  g_hash_table_remove_all (self->clients);
  g_clear_object (&self->engine);

  if (self->authorize_destroy != NULL)
    g_clear_pointer (&self->authorize_data, self->authorize_destroy);
  self->authorize = NULL;

  G_OBJECT_CLASS (orderly_sio_server_parent_class)->dispose (object);
}

static void
orderly_sio_server_finalize (GObject *object)
{
  OrderlySioServer *self = ORDERLY_SIO_SERVER (object);

  g_clear_pointer (&self->namespaces, g_hash_table_unref);
  g_clear_pointer (&self->clients, g_hash_table_unref);

  G_OBJECT_CLASS (orderly_sio_server_parent_class)->finalize (object);
}

static void
orderly_sio_server_class_init (OrderlySioServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = orderly_sio_server_dispose;
  object_class->finalize = orderly_sio_server_finalize;

  /**
   * OrderlySioServer::connection:
   * @socket: a socket that just joined its namespace
   *
   * The CONNECT reply has been queued; whatever the handler emits follows it.
   */
  server_signals[SERVER_CONNECTION] =
    g_signal_new ("connection", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ORDERLY_TYPE_SIO_SOCKET);

  /**
   * OrderlySioServer::event:
   * @socket: the socket
   * @name: the event name
   * @args: the arguments after the name
   * @attachments: (nullable) (element-type GBytes): binary attachments
   * @ack_id: the ack id to answer with orderly_sio_socket_ack(), or -1
   */
  server_signals[SERVER_EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 5,
                  ORDERLY_TYPE_SIO_SOCKET, G_TYPE_STRING, JSON_TYPE_ARRAY,
                  G_TYPE_PTR_ARRAY, G_TYPE_INT64);
}

static void
orderly_sio_server_init (OrderlySioServer *self)
{
  self->namespaces = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) g_hash_table_unref);
  self->clients = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) client_free);
  self->connect_timeout = ORDERLY_SIO_DEFAULT_CONNECT_TIMEOUT;
  orderly_sio_server_add_namespace (self, "/");
}

/**
 * orderly_sio_server_new:
 * @path: the path prefix, e.g. "/socket.io"
 *
 * Returns: (transfer full): a new server with the namespace "/"
 */
OrderlySioServer *
orderly_sio_server_new (const char *path)
{
  OrderlySioServer *self = g_object_new (ORDERLY_TYPE_SIO_SERVER, NULL);

  self->engine = orderly_eio_server_new (path);
  g_signal_connect (self->engine, "connection", G_CALLBACK (engine_connection_cb), self);
  return self;
}

/**
 * orderly_sio_server_get_engine:
 * @self: a server
 *
 * Returns: (transfer none): the Engine.IO server underneath, to tune it
 */
OrderlyEioServer *
orderly_sio_server_get_engine (OrderlySioServer *self)
{
  g_return_val_if_fail (ORDERLY_IS_SIO_SERVER (self), NULL);
  return self->engine;
}

void
orderly_sio_server_add_namespace (OrderlySioServer *self,
                                  const char       *nsp)
{
  g_return_if_fail (ORDERLY_IS_SIO_SERVER (self));
  g_return_if_fail (nsp != NULL && nsp[0] == '/');

  if (!g_hash_table_contains (self->namespaces, nsp))
    g_hash_table_insert (self->namespaces, g_strdup (nsp),
                         g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref));
}

void
orderly_sio_server_set_connect_timeout (OrderlySioServer *self,
                                        guint             timeout_ms)
{
  g_return_if_fail (ORDERLY_IS_SIO_SERVER (self));
  g_return_if_fail (timeout_ms > 0);
  self->connect_timeout = timeout_ms;
}

/**
 * orderly_sio_server_set_authorize_func:
 * @self: a server
 * @func: (nullable): decides on every CONNECT; %NULL accepts all with role 0
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data
 */
void
orderly_sio_server_set_authorize_func (OrderlySioServer        *self,
                                       OrderlySioAuthorizeFunc  func,
                                       gpointer                 user_data,
                                       GDestroyNotify           destroy)
{
  g_return_if_fail (ORDERLY_IS_SIO_SERVER (self));

  if (self->authorize_destroy != NULL)
    self->authorize_destroy (self->authorize_data);
  self->authorize = func;
  self->authorize_data = user_data;
  self->authorize_destroy = destroy;
}

void
orderly_sio_server_attach (OrderlySioServer *self,
                           SoupServer       *server)
{
  g_return_if_fail (ORDERLY_IS_SIO_SERVER (self));
  orderly_eio_server_attach (self->engine, server);
}

static void
broadcast_internal (OrderlySioServer *self,
                    const char       *nsp,
                    guint             slot,
                    GBytes           *packet)
{
  GHashTable *members = g_hash_table_lookup (self->namespaces, nsp != NULL ? nsp : "/");
  GHashTableIter iter;
  gpointer value;

  if (members == NULL)
    return;

  g_hash_table_iter_init (&iter, members);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      OrderlySioSocket *socket = value;

      if (slot != 0)
        orderly_eio_session_send_latest (socket->session, slot, packet);
      else
        orderly_eio_session_send_encoded (socket->session, packet);
      socket->sent++;
    }
}

/**
 * orderly_sio_server_broadcast:
 * @self: a server
 * @nsp: (nullable): the namespace, %NULL for "/"
 * @packet: an Engine.IO message encoded once, e.g. by orderly_sio_encode_event()
 *
 * Sends @packet to every socket of @nsp without encoding it again.
 */
void
orderly_sio_server_broadcast (OrderlySioServer *self,
                              const char       *nsp,
                              GBytes           *packet)
{
  g_return_if_fail (ORDERLY_IS_SIO_SERVER (self));
  g_return_if_fail (packet != NULL);

  broadcast_internal (self, nsp, 0, packet);
}

/**
 * orderly_sio_server_broadcast_latest:
 * @self: a server
 * @nsp: (nullable): the namespace, %NULL for "/"
 * @slot: a non-zero slot; per socket a queued packet of that slot is replaced
 * @packet: an encoded Engine.IO message
 */
void
orderly_sio_server_broadcast_latest (OrderlySioServer *self,
                                     const char       *nsp,
                                     guint             slot,
                                     GBytes           *packet)
{
  g_return_if_fail (ORDERLY_IS_SIO_SERVER (self));
  g_return_if_fail (slot != 0);
  g_return_if_fail (packet != NULL);

  broadcast_internal (self, nsp, slot, packet);
}

guint
orderly_sio_server_get_n_sockets (OrderlySioServer *self,
                                  const char       *nsp)
{
  GHashTable *members;

  g_return_val_if_fail (ORDERLY_IS_SIO_SERVER (self), 0);

  members = g_hash_table_lookup (self->namespaces, nsp != NULL ? nsp : "/");
  return members != NULL ? g_hash_table_size (members) : 0;
}

/**
 * orderly_sio_server_list_sockets:
 * @self: a server
 * @nsp: (nullable): the namespace, %NULL for "/"
 *
 * Returns: (transfer container) (element-type OrderlySioSocket): the sockets
 */
GPtrArray *
orderly_sio_server_list_sockets (OrderlySioServer *self,
                                 const char       *nsp)
{
  GPtrArray *sockets = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTable *members;
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (ORDERLY_IS_SIO_SERVER (self), sockets);

  members = g_hash_table_lookup (self->namespaces, nsp != NULL ? nsp : "/");
  if (members == NULL)
    return sockets;

  g_hash_table_iter_init (&iter, members);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (sockets, g_object_ref (value));
  return sockets;
}
