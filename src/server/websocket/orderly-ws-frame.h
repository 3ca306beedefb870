/* SPDX-License-Identifier: GPL-3.0-or-later */
/* WebSocket frames (RFC 6455 §5) as a server reads and writes them. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  ORDERLY_WS_OPCODE_CONTINUATION = 0x0,
  ORDERLY_WS_OPCODE_TEXT         = 0x1,
  ORDERLY_WS_OPCODE_BINARY       = 0x2,
  ORDERLY_WS_OPCODE_CLOSE        = 0x8,
  ORDERLY_WS_OPCODE_PING         = 0x9,
  ORDERLY_WS_OPCODE_PONG         = 0xA,
} OrderlyWsOpcode;

typedef enum
{
  ORDERLY_WS_PARSE_FRAME,      /* a whole frame is in *frame */
  ORDERLY_WS_PARSE_NEED_MORE,  /* the buffer holds part of a frame only */
  ORDERLY_WS_PARSE_ERROR,      /* not a valid client frame: close with 1002 */
  ORDERLY_WS_PARSE_TOO_BIG,    /* a payload over the limit: close with 1009 */
} OrderlyWsParseResult;

typedef struct
{
  gboolean        fin;
  OrderlyWsOpcode opcode;
  /* the unmasked payload, in the caller's buffer */
  guint8         *payload;
  gsize           length;
  /* bytes of the buffer the frame took, header included */
  gsize           size;
} OrderlyWsFrame;

OrderlyWsParseResult orderly_ws_frame_parse        (guint8          *data,
                                                    gsize            length,
                                                    guint64          max_payload,
                                                    OrderlyWsFrame  *frame);
void                 orderly_ws_frame_append       (GByteArray      *out,
                                                    OrderlyWsOpcode  opcode,
                                                    const guint8    *payload,
                                                    gsize            length);
gboolean             orderly_ws_utf8_validate      (const guint8    *data,
                                                    gsize            length);
gboolean             orderly_ws_close_code_valid   (guint            code);

G_END_DECLS
