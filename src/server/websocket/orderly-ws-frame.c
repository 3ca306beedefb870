/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "orderly-ws-frame.h"

/**
 * orderly_ws_frame_parse:
 * @data: what has been read so far; the frame's payload is unmasked in place
 * @length: its length
 * @max_payload: the largest payload accepted
 * @frame: (out): the frame, when one is whole
 *
 * Reads the first frame of @data. A client's frames must be masked, use no
 * reserved bit or opcode, and, for control frames, be final and carry at
 * most 125 bytes.
 */
OrderlyWsParseResult
orderly_ws_frame_parse (guint8         *data,
                        gsize           length,
                        guint64         max_payload,
                        OrderlyWsFrame *frame)
{
  guint64 payload_length;
  gsize header = 2;
  guint8 opcode;
  guint8 *mask;

  if (length < 2)
    return ORDERLY_WS_PARSE_NEED_MORE;

  opcode = data[0] & 0x0F;
  if ((data[0] & 0x70) != 0)
    return ORDERLY_WS_PARSE_ERROR;
  switch (opcode)
    {
    case ORDERLY_WS_OPCODE_CONTINUATION:
    case ORDERLY_WS_OPCODE_TEXT:
    case ORDERLY_WS_OPCODE_BINARY:
    case ORDERLY_WS_OPCODE_CLOSE:
    case ORDERLY_WS_OPCODE_PING:
    case ORDERLY_WS_OPCODE_PONG:
      break;
    default:
      return ORDERLY_WS_PARSE_ERROR;
    }
  if ((data[1] & 0x80) == 0)
    return ORDERLY_WS_PARSE_ERROR;

  payload_length = data[1] & 0x7F;
  if (opcode >= ORDERLY_WS_OPCODE_CLOSE && ((data[0] & 0x80) == 0 || payload_length > 125))
    return ORDERLY_WS_PARSE_ERROR;

  if (payload_length == 126)
    {
      if (length < 4)
        return ORDERLY_WS_PARSE_NEED_MORE;
      payload_length = ((guint64) data[2] << 8) | data[3];
      header = 4;
    }
  else if (payload_length == 127)
    {
      if (length < 10)
        return ORDERLY_WS_PARSE_NEED_MORE;
      if ((data[2] & 0x80) != 0)
        return ORDERLY_WS_PARSE_ERROR;
      payload_length = 0;
      for (guint i = 0; i < 8; i++)
        payload_length = (payload_length << 8) | data[2 + i];
      header = 10;
    }

  if (payload_length > max_payload)
    return ORDERLY_WS_PARSE_TOO_BIG;
  if (length < header + 4 || length - header - 4 < payload_length)
    return ORDERLY_WS_PARSE_NEED_MORE;

  mask = data + header;
  frame->fin = (data[0] & 0x80) != 0;
  frame->opcode = opcode;
  frame->payload = data + header + 4;
  frame->length = (gsize) payload_length;
  frame->size = header + 4 + (gsize) payload_length;
  for (gsize i = 0; i < frame->length; i++)
    frame->payload[i] ^= mask[i & 3];
  return ORDERLY_WS_PARSE_FRAME;
}

/**
 * orderly_ws_frame_append:
 * @out: where the frame goes
 *
 * Appends one final, unmasked frame, as a server sends them.
 */
void
orderly_ws_frame_append (GByteArray      *out,
                         OrderlyWsOpcode  opcode,
                         const guint8    *payload,
                         gsize            length)
{
  guint8 header[10];
  gsize header_len;

  header[0] = 0x80 | opcode;
  if (length < 126)
    {
      header[1] = (guint8) length;
      header_len = 2;
    }
  else if (length <= G_MAXUINT16)
    {
      header[1] = 126;
      header[2] = (length >> 8) & 0xFF;
      header[3] = length & 0xFF;
      header_len = 4;
    }
  else
    {
      header[1] = 127;
      for (guint i = 0; i < 8; i++)
        header[2 + i] = ((guint64) length >> (56 - 8 * i)) & 0xFF;
      header_len = 10;
    }

  g_byte_array_append (out, header, header_len);
  if (length > 0)
    g_byte_array_append (out, payload, length);
}

/**
 * orderly_ws_utf8_validate:
 *
 * Like g_utf8_validate_len(), but a NUL byte is valid text in a
 * WebSocket message.
 */
gboolean
orderly_ws_utf8_validate (const guint8 *data,
                          gsize         length)
{
  gsize start = 0;

  while (start < length)
    {
      const guint8 *nul = memchr (data + start, '\0', length - start);
      gsize end = nul != NULL ? (gsize) (nul - data) : length;

      if (!g_utf8_validate_len ((const char *) data + start, end - start, NULL))
        return FALSE;
      start = end + 1;
    }
  return TRUE;
}

/**
 * orderly_ws_close_code_valid:
 *
 * Returns: whether a peer may send @code in a close frame (RFC 6455 §7.4)
 */
gboolean
orderly_ws_close_code_valid (guint code)
{
  if (code >= 3000 && code <= 4999)
    return TRUE;
  switch (code)
    {
    case 1000: case 1001: case 1002: case 1003:
    case 1007: case 1008: case 1009: case 1010: case 1011:
      return TRUE;
    default:
      return FALSE;
    }
}
