/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-eio"

#include "config.h"

#include <string.h>

#include "orderly-eio-packet.h"

G_DEFINE_QUARK (orderly-eio-error-quark, orderly_eio_error)

/**
 * orderly_eio_packet_new:
 * @type: the packet type
 * @binary: whether @data is raw bytes of a binary message
 * @data: (nullable): the packet data, or %NULL for none
 *
 * Returns: (transfer full): a new packet
 */
OrderlyEioPacket *
orderly_eio_packet_new (OrderlyEioPacketType  type,
                        gboolean              binary,
                        GBytes               *data)
{
  OrderlyEioPacket *packet = g_new0 (OrderlyEioPacket, 1);

  packet->type = type;
  packet->binary = binary;
  packet->data = data != NULL ? g_bytes_ref (data) : g_bytes_new_static ("", 0);

  return packet;
}

void
orderly_eio_packet_free (OrderlyEioPacket *packet)
{
  if (packet == NULL)
    return;

  g_clear_pointer (&packet->data, g_bytes_unref);
  g_free (packet);
}

static int
base64_value (char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

/* Strict standard base64 with optional padding; g_base64_decode() would
 * silently skip garbage. */
static GBytes *
base64_decode_strict (const char  *text,
                      gsize        length,
                      GError     **error)
{
  g_autoptr(GByteArray) out = NULL;
  gsize padding = 0;
  guint32 accumulator = 0;
  guint bits = 0;

  while (padding < 2 && length > padding && text[length - 1 - padding] == '=')
    padding++;

  if (padding > 0 && length % 4 != 0)
    goto invalid;

  out = g_byte_array_sized_new (length / 4 * 3 + 3);

  for (gsize i = 0; i < length - padding; i++)
    {
      int value = base64_value (text[i]);

      if (value < 0)
        goto invalid;

      accumulator = (accumulator << 6) | (guint32) value;
      bits += 6;
      if (bits >= 8)
        {
          guint8 byte;

          bits -= 8;
          byte = (accumulator >> bits) & 0xff;
          g_byte_array_append (out, &byte, 1);
        }
    }

  /* One leftover character cannot encode a byte. */
  if ((length - padding) % 4 == 1)
    goto invalid;

  return g_byte_array_free_to_bytes (g_steal_pointer (&out));

invalid:
  g_set_error_literal (error, ORDERLY_EIO_ERROR, ORDERLY_EIO_ERROR_PARSE,
                       "Invalid base64 in binary packet");
  return NULL;
}

/**
 * orderly_eio_packet_decode:
 * @text: one encoded packet (not a whole payload)
 * @length: its length in bytes
 * @error: return location for a #GError
 *
 * Decodes one text-form packet: a type digit followed by data, or `b`
 * followed by base64 for a binary message.
 *
 * Returns: (transfer full): the packet, or %NULL with @error set
 */
OrderlyEioPacket *
orderly_eio_packet_decode (const char  *text,
                           gsize        length,
                           GError     **error)
{
  g_autoptr(GBytes) data = NULL;

  g_return_val_if_fail (text != NULL || length == 0, NULL);

  if (length == 0)
    {
      g_set_error_literal (error, ORDERLY_EIO_ERROR, ORDERLY_EIO_ERROR_PARSE, "Empty packet");
      return NULL;
    }

  if (text[0] == 'b')
    {
      data = base64_decode_strict (text + 1, length - 1, error);
      if (data == NULL)
        return NULL;
      return orderly_eio_packet_new (ORDERLY_EIO_PACKET_MESSAGE, TRUE, data);
    }

  if (text[0] < '0' || text[0] > '6')
    {
      g_set_error (error, ORDERLY_EIO_ERROR, ORDERLY_EIO_ERROR_PARSE,
                   "Unknown packet type 0x%02x", (guint8) text[0]);
      return NULL;
    }

  if (!g_utf8_validate_len (text + 1, length - 1, NULL))
    {
      g_set_error_literal (error, ORDERLY_EIO_ERROR, ORDERLY_EIO_ERROR_PARSE,
                           "Packet is not valid UTF-8");
      return NULL;
    }

  data = g_bytes_new (text + 1, length - 1);
  return orderly_eio_packet_new (text[0] - '0', FALSE, data);
}

/**
 * orderly_eio_packet_encode:
 * @type: the packet type
 * @data: (nullable): UTF-8 data
 * @length: length of @data, or -1 if NUL-terminated
 *
 * Returns: (transfer full): the type digit followed by @data, NUL-terminated
 */
GBytes *
orderly_eio_packet_encode (OrderlyEioPacketType  type,
                           const char           *data,
                           gssize                length)
{
  GString *out;

  g_return_val_if_fail (type <= ORDERLY_EIO_PACKET_NOOP, NULL);

  if (data == NULL)
    length = 0;
  else if (length < 0)
    length = strlen (data);

  out = g_string_sized_new (length + 1);
  g_string_append_c (out, '0' + type);
  if (length > 0)
    g_string_append_len (out, data, length);

  return g_string_free_to_bytes (out);
}

/**
 * orderly_eio_packet_encode_base64:
 * @binary: raw message bytes
 *
 * Returns: (transfer full): the polling form of a binary message, `b` + base64
 */
char *
orderly_eio_packet_encode_base64 (GBytes *binary)
{
  g_autoptr(GString) out = g_string_new (NULL);

  orderly_eio_payload_append_binary (out, binary);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/**
 * orderly_eio_payload_decode:
 * @body: a polling request body
 * @length: its length in bytes
 * @error: return location for a #GError
 *
 * Splits @body on the record separator and decodes every packet. Any
 * invalid packet fails the whole payload, as the peer must then be closed.
 *
 * Returns: (transfer full) (element-type OrderlyEioPacket): the packets
 */
GPtrArray *
orderly_eio_payload_decode (const char  *body,
                            gsize        length,
                            GError     **error)
{
  g_autoptr(GPtrArray) packets = g_ptr_array_new_with_free_func ((GDestroyNotify) orderly_eio_packet_free);
  gsize start = 0;

  g_return_val_if_fail (body != NULL || length == 0, NULL);

  if (length == 0)
    {
      g_set_error_literal (error, ORDERLY_EIO_ERROR, ORDERLY_EIO_ERROR_PARSE, "Empty payload");
      return NULL;
    }

  while (start <= length)
    {
      const char *end = memchr (body + start, ORDERLY_EIO_RECORD_SEPARATOR, length - start);
      gsize part_length = end != NULL ? (gsize) (end - (body + start)) : length - start;
      OrderlyEioPacket *packet;

      packet = orderly_eio_packet_decode (body + start, part_length, error);
      if (packet == NULL)
        return NULL;
      g_ptr_array_add (packets, packet);

      start += part_length + 1;
    }

  return g_steal_pointer (&packets);
}

/**
 * orderly_eio_payload_append:
 * @payload: a polling body being built
 * @encoded: one encoded text packet
 * @length: its length
 *
 * Appends a packet, preceded by the record separator unless it is the first.
 */
void
orderly_eio_payload_append (GString    *payload,
                            const char *encoded,
                            gsize       length)
{
  g_return_if_fail (payload != NULL);

  if (payload->len > 0)
    g_string_append_c (payload, ORDERLY_EIO_RECORD_SEPARATOR);
  g_string_append_len (payload, encoded, length);
}

/**
 * orderly_eio_payload_append_binary:
 * @payload: a polling body being built
 * @binary: raw bytes of a binary message
 *
 * Appends a binary message in its polling form, `b` + base64.
 */
void
orderly_eio_payload_append_binary (GString *payload,
                                   GBytes  *binary)
{
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (binary, &size);
  gsize old_len;
  int state = 0, save = 0;
  gsize written;

  g_return_if_fail (payload != NULL);

  if (payload->len > 0)
    g_string_append_c (payload, ORDERLY_EIO_RECORD_SEPARATOR);
  g_string_append_c (payload, 'b');

  old_len = payload->len;
  g_string_set_size (payload, old_len + (size / 3 + 1) * 4 + 4);
  written = g_base64_encode_step (data, size, FALSE, payload->str + old_len, &state, &save);
  written += g_base64_encode_close (FALSE, payload->str + old_len + written, &state, &save);
  g_string_truncate (payload, old_len + written);
}
