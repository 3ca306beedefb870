/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-websocket"

#include "config.h"

#include <string.h>

#include "orderly-ws-connection-private.h"

/* The connection's reader: client frames are checked as RFC 6455 says,
 * fragments joined into messages, pings answered and close frames echoed. */

#define READ_SIZE (16 * 1024)

static void
connection_emit_message (OrderlyWsConnection *self,
                         OrderlyWsOpcode      opcode,
                         const guint8        *data,
                         gsize                length)
{
  g_autoptr(GBytes) bytes = NULL;

  if (opcode == ORDERLY_WS_OPCODE_TEXT && !orderly_ws_utf8_validate (data, length))
    {
      _orderly_ws_connection_fail (self, SOUP_WEBSOCKET_CLOSE_BAD_DATA);
      return;
    }
  bytes = g_bytes_new (data, length);
  g_signal_emit (self, _orderly_ws_connection_signals[ORDERLY_WS_CONNECTION_SIGNAL_MESSAGE], 0,
                 opcode == ORDERLY_WS_OPCODE_TEXT ? SOUP_WEBSOCKET_DATA_TEXT : SOUP_WEBSOCKET_DATA_BINARY,
                 bytes);
}

static void
connection_handle_close (OrderlyWsConnection *self,
                         const OrderlyWsFrame *frame)
{
  gushort code = SOUP_WEBSOCKET_CLOSE_NO_STATUS;

  if (frame->length == 1)
    {
      _orderly_ws_connection_fail (self, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR);
      return;
    }
  if (frame->length >= 2)
    {
      code = (frame->payload[0] << 8) | frame->payload[1];
      if (!orderly_ws_close_code_valid (code))
        {
          _orderly_ws_connection_fail (self, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR);
          return;
        }
      if (!orderly_ws_utf8_validate (frame->payload + 2, frame->length - 2))
        {
          _orderly_ws_connection_fail (self, SOUP_WEBSOCKET_CLOSE_BAD_DATA);
          return;
        }
    }

  self->close_received = TRUE;
  self->peer_close_code = code;
  /* Answer with the same code, after what is queued; then the server,
   * which closes first, closes the stream. */
  _orderly_ws_connection_send_close (self, code == SOUP_WEBSOCKET_CLOSE_NO_STATUS ? SOUP_WEBSOCKET_CLOSE_NORMAL : code, NULL);
  self->close_when_flushed = TRUE;
  _orderly_ws_connection_schedule_write (self);
}

/* Returns: FALSE to stop reading */
static gboolean
connection_handle_frame (OrderlyWsConnection *self,
                         const OrderlyWsFrame *frame)
{
  switch (frame->opcode)
    {
    case ORDERLY_WS_OPCODE_TEXT:
    case ORDERLY_WS_OPCODE_BINARY:
      /* After our close frame, only the peer's close matters. */
      if (self->close_sent)
        return TRUE;
      if (self->message != NULL)
        {
          _orderly_ws_connection_fail (self, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR);
          return FALSE;
        }
      if (frame->fin)
        {
          connection_emit_message (self, frame->opcode, frame->payload, frame->length);
          return TRUE;
        }
      self->message = g_byte_array_new ();
      self->message_opcode = frame->opcode;
      g_byte_array_append (self->message, frame->payload, frame->length);
      return TRUE;

    case ORDERLY_WS_OPCODE_CONTINUATION:
      if (self->close_sent)
        return TRUE;
      if (self->message == NULL)
        {
          _orderly_ws_connection_fail (self, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR);
          return FALSE;
        }
      if (self->message->len + frame->length > self->max_payload)
        {
          _orderly_ws_connection_fail (self, SOUP_WEBSOCKET_CLOSE_TOO_BIG);
          return FALSE;
        }
      g_byte_array_append (self->message, frame->payload, frame->length);
      if (frame->fin)
        {
          g_autoptr(GByteArray) message = g_steal_pointer (&self->message);

          connection_emit_message (self, self->message_opcode, message->data, message->len);
        }
      return TRUE;

    case ORDERLY_WS_OPCODE_PING:
      /* Only the latest ping needs its pong (RFC 6455, 5.5.3), and it is
       * queued only when the kernel takes data: a peer that pings and
       * never reads costs one pong, not one per ping. */
      if (!self->close_sent)
        {
          memcpy (self->pong_payload, frame->payload, frame->length);
          self->pong_length = frame->length;
          self->pong_due = TRUE;
          _orderly_ws_connection_schedule_write (self);
        }
      return TRUE;

    case ORDERLY_WS_OPCODE_PONG:
      {
        g_autoptr(GBytes) payload = g_bytes_new (frame->payload, frame->length);

        g_signal_emit (self, _orderly_ws_connection_signals[ORDERLY_WS_CONNECTION_SIGNAL_PONG], 0, payload);
      }
      return self->input_source != NULL;

    case ORDERLY_WS_OPCODE_CLOSE:
    default:
      connection_handle_close (self, frame);
      return FALSE;
    }
}

/* Handles every whole frame at the start of @data.
 *
 * Returns: how many bytes the frames took */
static gsize
connection_process (OrderlyWsConnection *self,
                    guint8              *data,
                    gsize                length)
{
  gsize consumed = 0;

  while (self->input_source != NULL)
    {
      OrderlyWsFrame frame;
      OrderlyWsParseResult result = orderly_ws_frame_parse (data + consumed, length - consumed,
                                                            self->max_payload, &frame);

      if (result == ORDERLY_WS_PARSE_NEED_MORE)
        break;
      if (result == ORDERLY_WS_PARSE_ERROR)
        {
          _orderly_ws_connection_fail (self, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR);
          break;
        }
      if (result == ORDERLY_WS_PARSE_TOO_BIG)
        {
          _orderly_ws_connection_fail (self, SOUP_WEBSOCKET_CLOSE_TOO_BIG);
          break;
        }
      consumed += frame.size;
      if (!connection_handle_frame (self, &frame))
        break;
    }
  return consumed;
}

static gboolean
input_ready_cb (GObject  *stream,
                gpointer  user_data)
{
  OrderlyWsConnection *self = user_data;
  G_GNUC_UNUSED g_autoptr(OrderlyWsConnection) hold = g_object_ref (self);
  g_autoptr(GError) error = NULL;
  guint8 buffer[READ_SIZE];
  gssize got;

  got = g_pollable_input_stream_read_nonblocking (self->input, buffer, sizeof buffer, NULL, &error);
  if (got < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  if (got <= 0)
    {
      /* The peer is gone: nothing more can be said to it. */
      if (got < 0)
        g_debug ("WebSocket read failed: %s", error->message);
      _orderly_ws_connection_close_stream (self);
      return G_SOURCE_REMOVE;
    }

  /* Most reads hold whole frames: they are handled where they were read,
   * and only the start of a frame still to come is kept. A thousand idle
   * connections then hold no buffer at all. */
  if (self->incoming == NULL)
    {
      gsize consumed = connection_process (self, buffer, got);

      if (self->input_source != NULL && consumed < (gsize) got)
        {
          self->incoming = g_byte_array_new ();
          g_byte_array_append (self->incoming, buffer + consumed, got - consumed);
        }
    }
  else
    {
      gsize consumed;

      g_byte_array_append (self->incoming, buffer, got);
      consumed = connection_process (self, self->incoming->data, self->incoming->len);
      if (self->input_source == NULL || consumed == self->incoming->len)
        g_clear_pointer (&self->incoming, g_byte_array_unref);
      else if (consumed > 0)
        g_byte_array_remove_range (self->incoming, 0, consumed);
    }

  return self->input_source != NULL ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
discard_ready_cb (GObject  *stream,
                  gpointer  user_data)
{
  OrderlyWsConnection *self = user_data;
  guint8 buffer[READ_SIZE];
  gssize got;

  do
    {
      g_autoptr(GError) error = NULL;

      got = g_pollable_input_stream_read_nonblocking (self->input, buffer, sizeof buffer, NULL, &error);
      if (got < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
    }
  while (got > 0);

  /* The peer has stopped too. */
  g_clear_pointer (&self->input_source, g_source_unref);
  _orderly_ws_connection_close_stream (self);
  return G_SOURCE_REMOVE;
}

/* Reads what the peer still sends after a failure, without looking at
 * it, until it closes. */
void
_orderly_ws_connection_start_discard (OrderlyWsConnection *self)
{
  g_assert (self->input_source == NULL);

  g_clear_pointer (&self->incoming, g_byte_array_unref);
  g_clear_pointer (&self->message, g_byte_array_unref);
  self->input_source = g_pollable_input_stream_create_source (self->input, NULL);
  g_source_set_callback (self->input_source, G_SOURCE_FUNC (discard_ready_cb), self, NULL);
  g_source_attach (self->input_source, g_main_context_get_thread_default ());
}

void
_orderly_ws_connection_start_input (OrderlyWsConnection *self)
{
  self->input_source = g_pollable_input_stream_create_source (self->input, NULL);
  g_source_set_callback (self->input_source, G_SOURCE_FUNC (input_ready_cb), self, NULL);
  g_source_attach (self->input_source, g_main_context_get_thread_default ());
}
