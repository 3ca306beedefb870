/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-sio"

#include "config.h"

#include <string.h>

#include "orderly-json-reader.h"
#include "orderly-json-writer.h"
#include "orderly-sio-packet.h"

G_DEFINE_QUARK (orderly-sio-error-quark, orderly_sio_error)

struct _OrderlySioDecoder
{
  /* A binary packet whose attachments are still arriving. */
  OrderlySioPacket *pending;
};

static const char * const reserved_events[] = {
  "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
};

/**
 * orderly_sio_packet_new:
 * @type: the packet type
 * @nsp: (nullable): the namespace, %NULL for "/"
 * @id: the ack id, or %ORDERLY_SIO_NO_ACK
 * @data: (nullable) (transfer none): the payload
 *
 * Returns: (transfer full): a new packet
 */
OrderlySioPacket *
orderly_sio_packet_new (OrderlySioPacketType  type,
                        const char           *nsp,
                        gint64                id,
                        JsonNode             *data)
{
  OrderlySioPacket *packet = g_new0 (OrderlySioPacket, 1);

  packet->type = type;
  packet->nsp = g_strdup (nsp != NULL ? nsp : "/");
  packet->id = id;
  packet->data = data != NULL ? json_node_ref (data) : NULL;

  return packet;
}

void
orderly_sio_packet_free (OrderlySioPacket *packet)
{
  if (packet == NULL)
    return;

  g_free (packet->nsp);
  g_clear_pointer (&packet->data, json_node_unref);
  g_clear_pointer (&packet->attachments, g_ptr_array_unref);
  g_free (packet);
}

gboolean
orderly_sio_packet_is_binary (const OrderlySioPacket *packet)
{
  return packet->type == ORDERLY_SIO_PACKET_BINARY_EVENT ||
         packet->type == ORDERLY_SIO_PACKET_BINARY_ACK;
}

/**
 * orderly_sio_event_name_is_reserved:
 * @name: an event name
 *
 * Returns: whether @name is kept by Socket.IO for itself and may not travel
 *   as an event
 */
gboolean
orderly_sio_event_name_is_reserved (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (reserved_events); i++)
    if (g_strcmp0 (name, reserved_events[i]) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
parse_error (GError     **error,
             const char  *message)
{
  g_set_error_literal (error, ORDERLY_SIO_ERROR, ORDERLY_SIO_ERROR_PARSE, message);
  return FALSE;
}

static gboolean
payload_is_valid (OrderlySioPacketType  type,
                  JsonNode             *payload)
{
  switch (type)
    {
    case ORDERLY_SIO_PACKET_CONNECT:
      return payload == NULL || JSON_NODE_HOLDS_OBJECT (payload);

    case ORDERLY_SIO_PACKET_DISCONNECT:
      return payload == NULL;

    case ORDERLY_SIO_PACKET_CONNECT_ERROR:
      return payload == NULL || JSON_NODE_HOLDS_OBJECT (payload) ||
             (JSON_NODE_HOLDS_VALUE (payload) &&
              json_node_get_value_type (payload) == G_TYPE_STRING);

    case ORDERLY_SIO_PACKET_EVENT:
    case ORDERLY_SIO_PACKET_BINARY_EVENT:
      {
        JsonArray *array;
        JsonNode *first;
        GType value_type;

        if (payload == NULL || !JSON_NODE_HOLDS_ARRAY (payload))
          return FALSE;
        array = json_node_get_array (payload);
        if (json_array_get_length (array) == 0)
          return FALSE;
        first = json_array_get_element (array, 0);
        if (!JSON_NODE_HOLDS_VALUE (first))
          return FALSE;
        value_type = json_node_get_value_type (first);
        if (value_type == G_TYPE_INT64 || value_type == G_TYPE_DOUBLE)
          return TRUE;
        return value_type == G_TYPE_STRING &&
               !orderly_sio_event_name_is_reserved (json_node_get_string (first));
      }

    case ORDERLY_SIO_PACKET_ACK:
    case ORDERLY_SIO_PACKET_BINARY_ACK:
      return payload != NULL && JSON_NODE_HOLDS_ARRAY (payload);

    default:
      return FALSE;
    }
}

/**
 * orderly_sio_packet_decode:
 * @text: a Socket.IO packet, without the Engine.IO message prefix
 * @length: its length in bytes
 * @error: return location for a #GError
 *
 * Decodes the text part of a packet. A binary packet comes back with
 * n_attachments set and its placeholders still in the payload; use an
 * #OrderlySioDecoder to collect the attachments that follow it.
 *
 * json-glib keeps strings NUL-terminated: a `\u0000` inside a string cuts
 * it there.
 *
 * Returns: (transfer full): the packet, or %NULL with @error set
 */
OrderlySioPacket *
orderly_sio_packet_decode (const char  *text,
                           gsize        length,
                           GError     **error)
{
  g_autoptr(OrderlySioPacket) packet = NULL;
  gsize i = 0;

  g_return_val_if_fail (text != NULL || length == 0, NULL);

  if (length == 0 || text[0] < '0' || text[0] > '6')
    {
      parse_error (error, "Unknown packet type");
      return NULL;
    }

  if (memchr (text, '\0', length) != NULL || !g_utf8_validate_len (text, length, NULL))
    {
      parse_error (error, "Packet is not valid UTF-8 text");
      return NULL;
    }

  packet = g_new0 (OrderlySioPacket, 1);
  packet->type = text[0] - '0';
  packet->id = ORDERLY_SIO_NO_ACK;
  i = 1;

  if (orderly_sio_packet_is_binary (packet))
    {
      gsize start = i;
      guint64 count = 0;

      while (i < length && g_ascii_isdigit (text[i]))
        {
          count = count * 10 + (text[i] - '0');
          if (count > ORDERLY_SIO_MAX_ATTACHMENTS)
            {
              parse_error (error, "Too many attachments");
              return NULL;
            }
          i++;
        }
      if (i == start || i >= length || text[i] != '-')
        {
          parse_error (error, "Illegal attachments");
          return NULL;
        }
      packet->n_attachments = (guint) count;
      i++;
    }

  if (i < length && text[i] == '/')
    {
      const char *comma = memchr (text + i, ',', length - i);
      gsize end = comma != NULL ? (gsize) (comma - text) : length;

      packet->nsp = g_strndup (text + i, end - i);
      i = comma != NULL ? end + 1 : length;
    }
  else
    packet->nsp = g_strdup ("/");

  if (i < length && g_ascii_isdigit (text[i]))
    {
      guint64 id = 0;

      while (i < length && g_ascii_isdigit (text[i]))
        {
          id = id * 10 + (text[i] - '0');
          /* Ids are JavaScript numbers; beyond 2^53 they lose precision. */
          if (id > (G_GUINT64_CONSTANT (1) << 53))
            {
              parse_error (error, "Ack id out of range");
              return NULL;
            }
          i++;
        }
      packet->id = (gint64) id;
    }

  if (i < length)
    {
      g_autoptr(GError) json_error = NULL;

      packet->data = orderly_json_parse (text + i, length - i, &json_error);
      if (packet->data == NULL)
        {
          g_set_error (error, ORDERLY_SIO_ERROR, ORDERLY_SIO_ERROR_PARSE,
                       "Invalid payload: %s", json_error->message);
          return NULL;
        }
    }

  if (!payload_is_valid (packet->type, packet->data))
    {
      parse_error (error, "Invalid payload");
      return NULL;
    }

  return g_steal_pointer (&packet);
}

static void
packet_encode_into (const OrderlySioPacket *packet,
                    GString                *out)
{
  OrderlySioPacketType type = packet->type;
  guint n_attachments = packet->attachments != NULL ? packet->attachments->len : 0;

  if (n_attachments > 0 && type == ORDERLY_SIO_PACKET_EVENT)
    type = ORDERLY_SIO_PACKET_BINARY_EVENT;
  else if (n_attachments > 0 && type == ORDERLY_SIO_PACKET_ACK)
    type = ORDERLY_SIO_PACKET_BINARY_ACK;

  g_string_append_c (out, '0' + type);
  if (type == ORDERLY_SIO_PACKET_BINARY_EVENT || type == ORDERLY_SIO_PACKET_BINARY_ACK)
    g_string_append_printf (out, "%u-", n_attachments);

  if (packet->nsp != NULL && g_strcmp0 (packet->nsp, "/") != 0)
    {
      g_string_append (out, packet->nsp);
      g_string_append_c (out, ',');
    }

  if (packet->id >= 0)
    g_string_append_printf (out, "%" G_GINT64_FORMAT, packet->id);

  /* The writer escapes every control character: no record separator
   * ends up raw inside a polling payload. */
  if (packet->data != NULL)
    {
      OrderlyJsonWriter writer;

      orderly_json_writer_init (&writer, out);
      orderly_json_writer_node (&writer, packet->data);
    }
}

/**
 * orderly_sio_packet_encode:
 * @packet: a packet
 *
 * Encodes the text part of @packet. A packet of type EVENT or ACK that
 * carries attachments is written as its binary counterpart.
 *
 * Returns: (transfer full): the text, without the Engine.IO prefix
 */
char *
orderly_sio_packet_encode (const OrderlySioPacket *packet)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (packet != NULL, NULL);

  packet_encode_into (packet, out);
  return g_string_free (out, FALSE);
}

/**
 * orderly_sio_packet_encode_message:
 * @packet: a packet
 *
 * Returns: (transfer full): the text part of @packet as a complete
 *   Engine.IO message (with its `4` prefix), ready to send as is
 */
GBytes *
orderly_sio_packet_encode_message (const OrderlySioPacket *packet)
{
  GString *out = g_string_new ("4");

  g_return_val_if_fail (packet != NULL, NULL);

  packet_encode_into (packet, out);
  return g_string_free_to_bytes (out);
}

/**
 * orderly_sio_encode_event:
 * @nsp: (nullable): the namespace, %NULL for "/"
 * @event: the event name
 * @argument: (nullable): the one argument, or %NULL for none
 *
 * Encodes an event once, for sending to many sockets.
 *
 * Returns: (transfer full): the Engine.IO message, e.g. `42["log",{...}]`
 */
GBytes *
orderly_sio_encode_event (const char *nsp,
                          const char *event,
                          JsonNode   *argument)
{
  g_autoptr(JsonArray) array = json_array_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_ARRAY);
  g_autoptr(OrderlySioPacket) packet = NULL;

  g_return_val_if_fail (event != NULL, NULL);
  g_return_val_if_fail (!orderly_sio_event_name_is_reserved (event), NULL);

  json_array_add_string_element (array, event);
  if (argument != NULL)
    json_array_add_element (array, json_node_copy (argument));
  json_node_set_array (node, array);

  packet = orderly_sio_packet_new (ORDERLY_SIO_PACKET_EVENT, nsp, ORDERLY_SIO_NO_ACK, node);
  return orderly_sio_packet_encode_message (packet);
}

OrderlySioDecoder *
orderly_sio_decoder_new (void)
{
  return g_new0 (OrderlySioDecoder, 1);
}

void
orderly_sio_decoder_free (OrderlySioDecoder *decoder)
{
  if (decoder == NULL)
    return;

  g_clear_pointer (&decoder->pending, orderly_sio_packet_free);
  g_free (decoder);
}

/**
 * orderly_sio_decoder_is_waiting:
 * @decoder: a decoder
 *
 * Returns: whether attachments of a binary packet are still expected
 */
gboolean
orderly_sio_decoder_is_waiting (OrderlySioDecoder *decoder)
{
  return decoder->pending != NULL;
}

/* Every placeholder must point at an attachment that exists. */
static gboolean
placeholders_are_valid (JsonNode *node,
                        guint     n_attachments)
{
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        if (!placeholders_are_valid (json_array_get_element (array, i), n_attachments))
          return FALSE;
    }
  else if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      JsonObjectIter iter;
      JsonNode *member;
      JsonNode *flag = json_object_get_member (object, "_placeholder");

      if (flag != NULL && JSON_NODE_HOLDS_VALUE (flag) &&
          json_node_get_value_type (flag) == G_TYPE_BOOLEAN &&
          json_node_get_boolean (flag))
        {
          JsonNode *num = json_object_get_member (object, "num");
          GType type;
          gint64 value;

          if (num == NULL || !JSON_NODE_HOLDS_VALUE (num))
            return FALSE;
          type = json_node_get_value_type (num);
          if (type == G_TYPE_INT64)
            value = json_node_get_int (num);
          else
            return FALSE;
          return value >= 0 && value < n_attachments;
        }

      json_object_iter_init (&iter, object);
      while (json_object_iter_next (&iter, NULL, &member))
        if (!placeholders_are_valid (member, n_attachments))
          return FALSE;
    }

  return TRUE;
}

static gboolean
finish_packet (OrderlySioPacket  *packet,
               OrderlySioPacket **out,
               GError           **error)
{
  if (packet->data != NULL && !placeholders_are_valid (packet->data, packet->n_attachments))
    {
      orderly_sio_packet_free (packet);
      return parse_error (error, "Illegal attachments");
    }

  *out = packet;
  return TRUE;
}

/**
 * orderly_sio_decoder_push_text:
 * @decoder: a decoder
 * @text: the data of an Engine.IO text message
 * @length: its length
 * @packet: (out) (transfer full) (nullable): a complete packet, or %NULL when
 *   attachments are now expected
 * @error: return location for a #GError
 *
 * Returns: %FALSE on a protocol error, after which the peer must be closed
 */
gboolean
orderly_sio_decoder_push_text (OrderlySioDecoder  *decoder,
                               const char         *text,
                               gsize               length,
                               OrderlySioPacket  **packet,
                               GError            **error)
{
  OrderlySioPacket *decoded;

  g_return_val_if_fail (decoder != NULL, FALSE);
  g_return_val_if_fail (packet != NULL, FALSE);

  *packet = NULL;

  if (decoder->pending != NULL)
    return parse_error (error, "Got a text packet while attachments were expected");

  decoded = orderly_sio_packet_decode (text, length, error);
  if (decoded == NULL)
    return FALSE;

  if (orderly_sio_packet_is_binary (decoded) && decoded->n_attachments > 0)
    {
      decoded->attachments = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      decoder->pending = decoded;
      return TRUE;
    }

  return finish_packet (decoded, packet, error);
}

/**
 * orderly_sio_decoder_push_binary:
 * @decoder: a decoder
 * @bytes: the data of an Engine.IO binary message
 * @packet: (out) (transfer full) (nullable): the binary packet once its last
 *   attachment has arrived, otherwise %NULL
 * @error: return location for a #GError
 *
 * Returns: %FALSE on a protocol error, after which the peer must be closed
 */
gboolean
orderly_sio_decoder_push_binary (OrderlySioDecoder  *decoder,
                                 GBytes             *bytes,
                                 OrderlySioPacket  **packet,
                                 GError            **error)
{
  OrderlySioPacket *pending;

  g_return_val_if_fail (decoder != NULL, FALSE);
  g_return_val_if_fail (packet != NULL, FALSE);

  *packet = NULL;

  if (decoder->pending == NULL)
    return parse_error (error, "Got an unexpected binary attachment");

  pending = decoder->pending;
  g_ptr_array_add (pending->attachments, g_bytes_ref (bytes));
  if (pending->attachments->len < pending->n_attachments)
    return TRUE;

  decoder->pending = NULL;
  return finish_packet (pending, packet, error);
}
