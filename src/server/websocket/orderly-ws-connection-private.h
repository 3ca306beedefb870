/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the connection's files share: its instance struct, its signals, and
 * the reader's and writer's entry points. */
#pragma once

#include "orderly-ws-connection.h"
#include "orderly-ws-frame.h"

G_BEGIN_DECLS

struct _OrderlyWsConnection
{
  GObject                parent_instance;

  GIOStream             *stream;
  /* the stream's socket, when known: a failed connection shuts its
   * sending side down before it closes */
  GSocket               *socket;
  GPollableInputStream  *input;
  GPollableOutputStream *output;
  GSource               *input_source;
  GSource               *output_source;
  guint                  close_timeout;

  OrderlyWsState         state;
  guint64                max_payload;

  /* the start of a frame not yet whole; NULL when there is none */
  GByteArray            *incoming;
  /* a fragmented message being put together */
  GByteArray            *message;
  OrderlyWsOpcode        message_opcode;

  GByteArray            *outgoing;
  gsize                  sent;
  /* what may wait for the kernel; past it the peer is not reading */
  gsize                  max_outgoing;
  /* the answer to the latest ping, queued once the kernel takes data */
  gboolean               pong_due;
  guint8                 pong_length;
  guint8                 pong_payload[125];
  /* in the list of connections to write at the end of this iteration */
  gboolean               queued;
  /* the kernel took no more at the last write */
  gboolean               blocked;
  gboolean               close_sent;
  gboolean               close_received;
  /* close the stream once everything queued is written */
  gboolean               close_when_flushed;
  /* and, before closing, take what the peer still sends until it stops */
  gboolean               linger;
  gboolean               stream_closing;
  gushort                peer_close_code;
};

enum {
  ORDERLY_WS_CONNECTION_SIGNAL_MESSAGE,
  ORDERLY_WS_CONNECTION_SIGNAL_PONG,
  ORDERLY_WS_CONNECTION_SIGNAL_DRAINED,
  ORDERLY_WS_CONNECTION_SIGNAL_CLOSED,
  ORDERLY_WS_CONNECTION_N_SIGNALS
};

extern guint _orderly_ws_connection_signals[ORDERLY_WS_CONNECTION_N_SIGNALS];

/* orderly-ws-writer.c */
void     _orderly_ws_connection_schedule_write (OrderlyWsConnection *self);
void     _orderly_ws_connection_close_stream   (OrderlyWsConnection *self);
void     _orderly_ws_connection_send_close     (OrderlyWsConnection *self,
                                                gushort              code,
                                                const char          *reason);
void     _orderly_ws_connection_fail           (OrderlyWsConnection *self,
                                                gushort              code);

/* orderly-ws-reader.c */
void     _orderly_ws_connection_start_input    (OrderlyWsConnection *self);
void     _orderly_ws_connection_start_discard  (OrderlyWsConnection *self);

/* Bytes queued that the kernel has not taken yet. */
static inline gsize
_orderly_ws_connection_pending (OrderlyWsConnection *self)
{
  return self->outgoing->len - self->sent;
}

G_END_DECLS
