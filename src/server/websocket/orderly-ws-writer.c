/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-websocket"

#include "config.h"

#include <string.h>

#include "orderly-ws-connection-private.h"

/* The connection's one writer. Data frames, pongs and close frames are
 * appended to one buffer at frame boundaries, so a pong can never land
 * inside a half-written frame, however full the socket is. The buffer has a
 * bound, for every kind of frame alike: a peer that leaves more than that
 * unread is dropped. Frames queued
 * during one main-loop iteration leave in one write when the next iteration
 * prepares, before it polls: a broadcast costs one system call per client,
 * not one per event. */

/* Written bytes are dropped from the front of the buffer past this. */
#define COMPACT_SIZE (64 * 1024)
/* How long a close frame waits for the peer's answer. */
#define CLOSE_TIMEOUT_MS 2000

/* The pong owed to the latest ping, after whatever is queued: the buffer
 * only ever ends at a frame boundary. */
static void
connection_queue_pong (OrderlyWsConnection *self)
{
  if (!self->pong_due)
    return;
  self->pong_due = FALSE;
  orderly_ws_frame_append (self->outgoing, ORDERLY_WS_OPCODE_PONG, self->pong_payload, self->pong_length);
}

/* Closing */

static void
stream_closed_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  OrderlyWsConnection *self = user_data;

  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
  self->state = ORDERLY_WS_STATE_CLOSED;
  g_signal_emit (self, _orderly_ws_connection_signals[ORDERLY_WS_CONNECTION_SIGNAL_CLOSED], 0);
  /* The reference the connection held on itself while open. */
  g_object_unref (self);
}

static void
connection_stop_sources (OrderlyWsConnection *self)
{
  if (self->input_source != NULL)
    {
      g_source_destroy (self->input_source);
      g_clear_pointer (&self->input_source, g_source_unref);
    }
  if (self->output_source != NULL)
    {
      g_source_destroy (self->output_source);
      g_clear_pointer (&self->output_source, g_source_unref);
    }
  g_clear_handle_id (&self->close_timeout, g_source_remove);
}

/* Ends the connection at once; "closed" follows once the stream is shut. */
void
_orderly_ws_connection_close_stream (OrderlyWsConnection *self)
{
  if (self->stream_closing)
    return;

  self->stream_closing = TRUE;
  if (self->state == ORDERLY_WS_STATE_OPEN)
    self->state = ORDERLY_WS_STATE_CLOSING;
  connection_stop_sources (self);
  g_byte_array_set_size (self->outgoing, 0);
  self->sent = 0;
  g_io_stream_close_async (self->stream, G_PRIORITY_DEFAULT, NULL, stream_closed_cb, self);
}

static gboolean
close_timeout_cb (gpointer user_data)
{
  OrderlyWsConnection *self = user_data;

  self->close_timeout = 0;
  _orderly_ws_connection_close_stream (self);
  return G_SOURCE_REMOVE;
}

/* Queues a close frame after everything already queued. */
void
_orderly_ws_connection_send_close (OrderlyWsConnection *self,
                       gushort              code,
                       const char          *reason)
{
  guint8 payload[125] = { code >> 8, code & 0xFF };
  gsize length = code != 0 ? 2 : 0;

  if (self->close_sent || self->stream_closing)
    return;

  /* A control frame carries 125 bytes at most: the code and 123 of text,
   * cut at a character boundary. */
  if (code != 0 && reason != NULL)
    {
      const char *end;

      /* A cut character makes the text invalid there: stop before it. */
      g_utf8_validate (reason, MIN (strlen (reason), sizeof payload - 2), &end);
      memcpy (payload + 2, reason, end - reason);
      length += end - reason;
    }

  self->close_sent = TRUE;
  self->state = ORDERLY_WS_STATE_CLOSING;
  connection_queue_pong (self);
  orderly_ws_frame_append (self->outgoing, ORDERLY_WS_OPCODE_CLOSE, payload, length);
  _orderly_ws_connection_schedule_write (self);
  /* However the peer behaves, a closing connection ends soon. */
  if (self->close_timeout == 0)
    self->close_timeout = g_timeout_add (CLOSE_TIMEOUT_MS, close_timeout_cb, self);
}

/* A peer that broke the protocol: tell it why, and do not wait for its
 * close frame. It may still be sending (a message over the limit, say):
 * closing a socket with unread data resets the connection, and the peer
 * could lose the close frame and its code. So the connection lingers:
 * once the close frame is out, it shuts its sending side and drops what
 * comes in until the peer closes too, or the close timeout. */
void
_orderly_ws_connection_fail (OrderlyWsConnection *self,
                             gushort              code)
{
  if (self->input_source != NULL)
    {
      g_source_destroy (self->input_source);
      g_clear_pointer (&self->input_source, g_source_unref);
    }
  _orderly_ws_connection_send_close (self, code, NULL);
  self->close_when_flushed = TRUE;
  self->linger = TRUE;
  _orderly_ws_connection_schedule_write (self);
}

static void
connection_finish (OrderlyWsConnection *self)
{
  if (self->linger && self->socket != NULL && g_socket_shutdown (self->socket, FALSE, TRUE, NULL))
    _orderly_ws_connection_start_discard (self);
  else
    _orderly_ws_connection_close_stream (self);
}

/* Writing */

/* Writes what the socket takes now. */
static void
connection_write (OrderlyWsConnection *self)
{
  connection_queue_pong (self);
  while (_orderly_ws_connection_pending (self) > 0 && !self->stream_closing)
    {
      g_autoptr(GError) error = NULL;
      gssize written = g_pollable_output_stream_write_nonblocking (self->output,
                                                                   self->outgoing->data + self->sent,
                                                                   _orderly_ws_connection_pending (self), NULL, &error);

      if (written < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          /* A reader that keeps up but never empties the buffer must not
           * make it grow for ever. */
          if (self->sent >= COMPACT_SIZE)
            {
              g_byte_array_remove_range (self->outgoing, 0, self->sent);
              self->sent = 0;
            }
          self->blocked = TRUE;
          return;
        }
      if (written < 0)
        {
          g_debug ("WebSocket write failed: %s", error->message);
          _orderly_ws_connection_close_stream (self);
          return;
        }
      self->sent += written;
    }

  g_byte_array_set_size (self->outgoing, 0);
  self->sent = 0;
  if (self->close_when_flushed)
    connection_finish (self);
}

static gboolean
output_ready_cb (GObject  *stream,
                 gpointer  user_data)
{
  OrderlyWsConnection *self = user_data;
  G_GNUC_UNUSED g_autoptr(OrderlyWsConnection) hold = g_object_ref (self);

  g_clear_pointer (&self->output_source, g_source_unref);
  self->blocked = FALSE;
  connection_write (self);
  if (self->blocked)
    _orderly_ws_connection_schedule_write (self);
  else if (!self->stream_closing && self->state == ORDERLY_WS_STATE_OPEN)
    g_signal_emit (self, _orderly_ws_connection_signals[ORDERLY_WS_CONNECTION_SIGNAL_DRAINED], 0);
  return G_SOURCE_REMOVE;
}

/* Every connection that got frames during a main-loop iteration, written
 * when the next iteration prepares. Writing never calls out of this file,
 * so it is safe inside a prepare function. */
static GPtrArray *dirty_connections;
static GSource *write_source;

static gboolean
write_prepare (GSource *source,
               gint    *timeout)
{
  g_autoptr(GPtrArray) connections = g_steal_pointer (&dirty_connections);

  *timeout = -1;
  for (guint i = 0; connections != NULL && i < connections->len; i++)
    {
      OrderlyWsConnection *self = g_ptr_array_index (connections, i);

      self->queued = FALSE;
      connection_write (self);
      if (self->blocked)
        _orderly_ws_connection_schedule_write (self);
    }
  return FALSE;
}

static gboolean
write_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     user_data)
{
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs write_funcs = {
  write_prepare,
  NULL,
  write_dispatch,
  NULL,
  NULL,
  NULL,
};

/* Waits for the socket to take more, or for the end of this iteration. */
void
_orderly_ws_connection_schedule_write (OrderlyWsConnection *self)
{
  if (self->stream_closing)
    return;

  /* Whatever was queued, data or control frames, it all counts. */
  if (_orderly_ws_connection_pending (self) > self->max_outgoing)
    {
      g_debug ("WebSocket peer not reading: %" G_GSIZE_FORMAT " bytes waiting; dropping it",
               _orderly_ws_connection_pending (self));
      _orderly_ws_connection_close_stream (self);
      return;
    }

  if (self->queued || self->output_source != NULL)
    return;

  if (self->blocked)
    {
      self->output_source = g_pollable_output_stream_create_source (self->output, NULL);
      g_source_set_callback (self->output_source, G_SOURCE_FUNC (output_ready_cb), self, NULL);
      g_source_attach (self->output_source, g_main_context_get_thread_default ());
      return;
    }

  if (dirty_connections == NULL)
    dirty_connections = g_ptr_array_new_with_free_func (g_object_unref);
  self->queued = TRUE;
  g_ptr_array_add (dirty_connections, g_object_ref (self));
  if (write_source == NULL)
    {
      write_source = g_source_new (&write_funcs, sizeof (GSource));
      g_source_set_static_name (write_source, "Orderly WebSocket writers");
      g_source_attach (write_source, g_main_context_get_thread_default ());
    }
}
