/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the WebSocket frame parser, as the server reads what a
 * client sends, and the UTF-8 check of text payloads. */
#include "config.h"

#include <string.h>

#include "orderly-ws-frame.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* Takes frame after frame out of @data, as the connection does from what
 * it has read, until it needs more or refuses one. */
static void
parse_all (const guint8 *data,
           size_t        size,
           guint64       max_payload)
{
  /* The parser unmasks in place: a copy of its own, exactly as long as
   * the input so that any read past the end is caught. */
  g_autofree guint8 *buffer = g_malloc (MAX (size, 1));
  gsize offset = 0;

  memcpy (buffer, data, size);
  for (;;)
    {
      OrderlyWsFrame frame = { 0 };
      OrderlyWsParseResult result = orderly_ws_frame_parse (buffer + offset, size - offset, max_payload, &frame);

      if (result != ORDERLY_WS_PARSE_FRAME)
        {
          g_assert_true (result == ORDERLY_WS_PARSE_NEED_MORE || result == ORDERLY_WS_PARSE_ERROR ||
                         result == ORDERLY_WS_PARSE_TOO_BIG);
          g_assert_true (result != ORDERLY_WS_PARSE_TOO_BIG || max_payload != G_MAXUINT64);
          break;
        }

      /* A frame lies within what was given, its payload at its end. */
      g_assert_cmpuint (frame.size, >=, 6);
      g_assert_cmpuint (frame.size, <=, size - offset);
      g_assert_cmpuint (frame.length, <=, max_payload);
      g_assert_true (frame.payload + frame.length == buffer + offset + frame.size);
      g_assert_true (frame.opcode <= ORDERLY_WS_OPCODE_BINARY ||
                     (frame.opcode >= ORDERLY_WS_OPCODE_CLOSE && frame.opcode <= ORDERLY_WS_OPCODE_PONG));
      if (frame.opcode >= ORDERLY_WS_OPCODE_CLOSE)
        {
          g_assert_true (frame.fin);
          g_assert_cmpuint (frame.length, <=, 125);
        }

      (void) orderly_ws_utf8_validate (frame.payload, frame.length);
      if (frame.opcode == ORDERLY_WS_OPCODE_CLOSE && frame.length >= 2)
        (void) orderly_ws_close_code_valid ((frame.payload[0] << 8) | frame.payload[1]);

      offset += frame.size;
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  parse_all (data, size, 4096);
  parse_all (data, size, G_MAXUINT64);

  /* The whole input as a text payload too, NULs and all. */
  (void) orderly_ws_utf8_validate (data, size);

  /* A server frame around the input is always the shortest encoding. */
  {
    g_autoptr(GByteArray) out = g_byte_array_new ();

    orderly_ws_frame_append (out, ORDERLY_WS_OPCODE_BINARY, data, size);
    g_assert_cmpuint (out->len, ==, size + (size < 126 ? 2 : size <= G_MAXUINT16 ? 4 : 10));
    g_assert_true (size == 0 || memcmp (out->data + out->len - size, data, size) == 0);
  }

  return 0;
}
