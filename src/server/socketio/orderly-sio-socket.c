/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-socketio"

#include "config.h"

#include "orderly-eio-id.h"
#include "orderly-sio-server-private.h"
#include "orderly-sio-socket-private.h"

G_DEFINE_FINAL_TYPE (OrderlySioSocket, orderly_sio_socket, G_TYPE_OBJECT)

enum {
  SIGNAL_DISCONNECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
orderly_sio_socket_finalize (GObject *object)
{
  OrderlySioSocket *self = ORDERLY_SIO_SOCKET (object);

  g_clear_object (&self->session);
  g_free (self->id);
  g_free (self->nsp);
  g_clear_pointer (&self->auth, json_object_unref);

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
  signals[SIGNAL_DISCONNECTED] =
    g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
orderly_sio_socket_init (OrderlySioSocket *self)
{
}

/**
 * _orderly_sio_socket_new:
 * @session: the session the CONNECT came on
 * @nsp: the namespace asked for
 * @auth: (nullable): the CONNECT payload
 * @error: where to say why there is no socket
 *
 * Returns: (transfer full) (nullable): a socket not joined yet, or %NULL
 *   when no secure id could be made
 */
OrderlySioSocket *
_orderly_sio_socket_new (OrderlyEioSession  *session,
                         const char         *nsp,
                         JsonObject         *auth,
                         GError            **error)
{
  g_autofree char *id = orderly_eio_generate_id (error);
  OrderlySioSocket *self;

  if (id == NULL)
    return NULL;

  self = g_object_new (ORDERLY_TYPE_SIO_SOCKET, NULL);
  self->session = g_object_ref (session);
  self->nsp = g_strdup (nsp);
  self->id = g_steal_pointer (&id);
  self->auth = auth != NULL ? json_object_ref (auth) : json_object_new ();
  return self;
}

/* The socket is in its namespace from now on. */
void
_orderly_sio_socket_join (OrderlySioSocket *self,
                          OrderlySioClient *client,
                          guint             role)
{
  GHashTable *members = g_hash_table_lookup (client->server->namespaces, self->nsp);

  g_assert (members != NULL);
  self->role = role;
  self->client = client;
  self->connected = TRUE;
  g_hash_table_insert (client->sockets, self->nsp, g_object_ref (self));
  g_hash_table_insert (members, self->id, g_object_ref (self));
}

void
_orderly_sio_socket_leave (OrderlySioSocket *self,
                           const char       *reason)
{
  G_GNUC_UNUSED g_autoptr(OrderlySioSocket) hold = g_object_ref (self);
  OrderlySioClient *client = self->client;

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

  g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0, reason);
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

/* The packet, then its attachments, each a message of its own. */
void
_orderly_sio_socket_send_packet (OrderlySioSocket *self,
                                 OrderlySioPacket *packet)
{
  g_autoptr(GBytes) message = orderly_sio_packet_encode_message (packet);

  orderly_eio_session_send_encoded (self->session, message);
  if (packet->attachments != NULL)
    for (guint i = 0; i < packet->attachments->len; i++)
      orderly_eio_session_send_binary (self->session, g_ptr_array_index (packet->attachments, i));
}

static void
socket_emit_internal (OrderlySioSocket *self,
                      const char       *event,
                      JsonArray        *args,
                      GPtrArray        *attachments)
{
  g_autoptr(JsonArray) array = json_array_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_ARRAY);
  g_autoptr(OrderlySioPacket) packet = NULL;

  json_array_add_string_element (array, event);
  if (args != NULL)
    for (guint i = 0; i < json_array_get_length (args); i++)
      json_array_add_element (array, json_node_copy (json_array_get_element (args, i)));
  json_node_set_array (node, array);

  packet = orderly_sio_packet_new (ORDERLY_SIO_PACKET_EVENT, self->nsp, ORDERLY_SIO_NO_ACK, node);
  if (attachments != NULL && attachments->len > 0)
    packet->attachments = g_ptr_array_ref (attachments);
  _orderly_sio_socket_send_packet (self, packet);
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
  socket_emit_internal (self, event, args, NULL);
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
  socket_emit_internal (self, event, args, attachments);
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
  _orderly_sio_socket_send_packet (self, packet);
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
  _orderly_sio_socket_send_packet (self, packet);
  _orderly_sio_socket_leave (self, "server namespace disconnect");
  if (close_transport)
    orderly_eio_session_close (session);
}
