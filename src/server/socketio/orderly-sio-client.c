/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-socketio"

#include "config.h"

#include "orderly-sio-server-private.h"

/* A client is one Engine.IO session seen from Socket.IO: it decodes the
 * session's messages into packets, joins namespaces on CONNECT and hands
 * events to the server. Any protocol error ends the whole session, as the
 * reference server does. */

void
_orderly_sio_client_free (OrderlySioClient *client)
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
client_leave_all (OrderlySioClient *client,
                  const char       *reason)
{
  g_autoptr(GPtrArray) sockets = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, client->sockets);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (sockets, g_object_ref (value));

  for (guint i = 0; i < sockets->len; i++)
    _orderly_sio_socket_leave (g_ptr_array_index (sockets, i), reason);
}

/* Ends the whole connection after a protocol error. */
static void
client_close (OrderlySioClient *client,
              const char       *reason)
{
  OrderlyEioSession *session = client->session;

  client_leave_all (client, reason);
  orderly_eio_session_close (session);
}

static void
client_send_connect_error (OrderlySioClient *client,
                           const char       *nsp,
                           const char       *message)
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
client_send_connect_reply (OrderlySioClient *client,
                           OrderlySioSocket *socket)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(OrderlySioPacket) reply = NULL;

  json_object_set_string_member (object, "sid", socket->id);
  json_node_set_object (node, object);
  reply = orderly_sio_packet_new (ORDERLY_SIO_PACKET_CONNECT, socket->nsp, ORDERLY_SIO_NO_ACK, node);
  _orderly_sio_socket_send_packet (socket, reply);
}

static void
client_handle_connect (OrderlySioClient *client,
                       OrderlySioPacket *packet)
{
  OrderlySioServer *server = client->server;
  g_autoptr(OrderlySioSocket) socket = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *refusal = NULL;
  guint role = 0;

  if (!g_hash_table_contains (server->namespaces, packet->nsp))
    {
      client_send_connect_error (client, packet->nsp, "Invalid namespace");
      return;
    }

  if (g_hash_table_contains (client->sockets, packet->nsp))
    {
      client_close (client, "parse error");
      return;
    }

  socket = _orderly_sio_socket_new (client->session, packet->nsp,
                                    packet->data != NULL ? json_node_get_object (packet->data) : NULL,
                                    &error);
  if (socket == NULL)
    {
      g_warning ("Socket.IO CONNECT to %s refused: %s", packet->nsp, error->message);
      client_send_connect_error (client, packet->nsp, "Internal server error");
      return;
    }

  if (server->authorize != NULL &&
      !server->authorize (server, socket, &role, &refusal, server->authorize_data))
    {
      client_send_connect_error (client, packet->nsp, refusal != NULL ? refusal : "Not authorized");
      return;
    }

  /* The application may have closed the connection while deciding. */
  if (!orderly_eio_session_is_open (client->session))
    return;

  _orderly_sio_socket_join (socket, client, role);
  g_clear_handle_id (&client->connect_source, g_source_remove);
  client_send_connect_reply (client, socket);
  g_signal_emit (server, _orderly_sio_server_signals[ORDERLY_SIO_SERVER_SIGNAL_CONNECTION], 0, socket);
}

static void
client_handle_event (OrderlySioClient *client,
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

  g_signal_emit (client->server, _orderly_sio_server_signals[ORDERLY_SIO_SERVER_SIGNAL_EVENT], 0,
                 socket, name, args, packet->attachments, packet->id);
}

static void
client_handle_packet (OrderlySioClient *client,
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
      _orderly_sio_socket_leave (socket, "client namespace disconnect");
      break;

    case ORDERLY_SIO_PACKET_EVENT:
    case ORDERLY_SIO_PACKET_BINARY_EVENT:
      client_handle_event (client, socket, packet);
      break;

    /* The server never asks for an ack, so any ack is for an unknown id. */
    case ORDERLY_SIO_PACKET_ACK:
    case ORDERLY_SIO_PACKET_BINARY_ACK:
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
  OrderlySioClient *client = user_data;
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
  OrderlySioClient *client = user_data;
  OrderlySioServer *server = client->server;

  client_leave_all (client, reason);
  g_hash_table_remove (server->clients, session);
}

static gboolean
connect_timeout_cb (gpointer user_data)
{
  OrderlySioClient *client = user_data;

  client->connect_source = 0;
  if (g_hash_table_size (client->sockets) == 0)
    orderly_eio_session_close (client->session);
  return G_SOURCE_REMOVE;
}

/**
 * _orderly_sio_client_new:
 * @server: the server
 * @session: a session that just opened
 *
 * Returns: (transfer full): the client, which closes @session unless it
 *   joins a namespace within the server's connect timeout
 */
OrderlySioClient *
_orderly_sio_client_new (OrderlySioServer  *server,
                         OrderlyEioSession *session)
{
  OrderlySioClient *client = g_new0 (OrderlySioClient, 1);

  client->server = server;
  client->session = g_object_ref (session);
  client->decoder = orderly_sio_decoder_new ();
  client->sockets = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  client->message_id = g_signal_connect (session, "message", G_CALLBACK (session_message_cb), client);
  client->closed_id = g_signal_connect (session, "closed", G_CALLBACK (session_closed_cb), client);
  client->connect_source = g_timeout_add (server->connect_timeout, connect_timeout_cb, client);
  return client;
}
