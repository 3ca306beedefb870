/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-socketio"

#include "config.h"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "orderly-ws-connection.h"
#include "orderly-ws-frame.h"

/* The server side of a WebSocket connection (RFC 6455), on a stream taken
 * over from libsoup once the upgrade's 101 has gone out.
 *
 * There is one writer for everything: data frames, pongs and close frames
 * are appended to one buffer at frame boundaries, so a pong can never land
 * inside a half-written frame, however full the socket is. Frames queued
 * during one main-loop iteration leave in one write when the next iteration
 * prepares, before it polls: a broadcast costs one system call per client,
 * not one per event.
 *
 * The connection keeps itself alive until its stream is closed, so that a
 * close handshake finishes after its owner has let go. */

#define READ_SIZE (16 * 1024)
/* Written bytes are dropped from the front of the buffer past this. */
#define COMPACT_SIZE (64 * 1024)
/* How long a close frame waits for the peer's answer. */
#define CLOSE_TIMEOUT_MS 2000

struct _OrderlyWsConnection
{
  GObject                parent_instance;

  GIOStream             *stream;
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
  /* in the list of connections to write at the end of this iteration */
  gboolean               queued;
  /* the kernel took no more at the last write */
  gboolean               blocked;
  gboolean               close_sent;
  gboolean               close_received;
  /* close the stream once everything queued is written */
  gboolean               close_when_flushed;
  gboolean               stream_closing;
  gushort                peer_close_code;
};

G_DEFINE_FINAL_TYPE (OrderlyWsConnection, orderly_ws_connection, G_TYPE_OBJECT)

enum {
  SIGNAL_MESSAGE,
  SIGNAL_PONG,
  SIGNAL_DRAINED,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void connection_schedule_write (OrderlyWsConnection *self);

/* Closing */

static void
stream_closed_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  OrderlyWsConnection *self = user_data;

  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
  self->state = ORDERLY_WS_STATE_CLOSED;
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
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
static void
connection_close_stream (OrderlyWsConnection *self)
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
  connection_close_stream (self);
  return G_SOURCE_REMOVE;
}

/* Queues a close frame after everything already queued. */
static void
connection_send_close (OrderlyWsConnection *self,
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
  orderly_ws_frame_append (self->outgoing, ORDERLY_WS_OPCODE_CLOSE, payload, length);
  connection_schedule_write (self);
  /* However the peer behaves, a closing connection ends soon. */
  if (self->close_timeout == 0)
    self->close_timeout = g_timeout_add (CLOSE_TIMEOUT_MS, close_timeout_cb, self);
}

/* A peer that broke the protocol: tell it why, and do not wait for it. */
static void
connection_fail (OrderlyWsConnection *self,
                 gushort              code)
{
  if (self->input_source != NULL)
    {
      g_source_destroy (self->input_source);
      g_clear_pointer (&self->input_source, g_source_unref);
    }
  connection_send_close (self, code, NULL);
  self->close_when_flushed = TRUE;
  connection_schedule_write (self);
}

/* Writing */

static gsize
connection_pending (OrderlyWsConnection *self)
{
  return self->outgoing->len - self->sent;
}

/* Writes what the socket takes now. */
static void
connection_write (OrderlyWsConnection *self)
{
  while (connection_pending (self) > 0 && !self->stream_closing)
    {
      g_autoptr(GError) error = NULL;
      gssize written = g_pollable_output_stream_write_nonblocking (self->output,
                                                                   self->outgoing->data + self->sent,
                                                                   connection_pending (self), NULL, &error);

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
          connection_close_stream (self);
          return;
        }
      self->sent += written;
    }

  g_byte_array_set_size (self->outgoing, 0);
  self->sent = 0;
  if (self->close_when_flushed)
    connection_close_stream (self);
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
    connection_schedule_write (self);
  else if (!self->stream_closing && self->state == ORDERLY_WS_STATE_OPEN)
    g_signal_emit (self, signals[SIGNAL_DRAINED], 0);
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
        connection_schedule_write (self);
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
static void
connection_schedule_write (OrderlyWsConnection *self)
{
  if (self->stream_closing || self->queued || self->output_source != NULL)
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

/* Reading */

static void
connection_emit_message (OrderlyWsConnection *self,
                         OrderlyWsOpcode      opcode,
                         const guint8        *data,
                         gsize                length)
{
  g_autoptr(GBytes) bytes = NULL;

  if (opcode == ORDERLY_WS_OPCODE_TEXT && !orderly_ws_utf8_validate (data, length))
    {
      connection_fail (self, SOUP_WEBSOCKET_CLOSE_BAD_DATA);
      return;
    }
  bytes = g_bytes_new (data, length);
  g_signal_emit (self, signals[SIGNAL_MESSAGE], 0,
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
      connection_fail (self, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR);
      return;
    }
  if (frame->length >= 2)
    {
      code = (frame->payload[0] << 8) | frame->payload[1];
      if (!orderly_ws_close_code_valid (code))
        {
          connection_fail (self, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR);
          return;
        }
      if (!orderly_ws_utf8_validate (frame->payload + 2, frame->length - 2))
        {
          connection_fail (self, SOUP_WEBSOCKET_CLOSE_BAD_DATA);
          return;
        }
    }

  self->close_received = TRUE;
  self->peer_close_code = code;
  /* Answer with the same code, after what is queued; then the server,
   * which closes first, closes the stream. */
  connection_send_close (self, code == SOUP_WEBSOCKET_CLOSE_NO_STATUS ? SOUP_WEBSOCKET_CLOSE_NORMAL : code, NULL);
  self->close_when_flushed = TRUE;
  connection_schedule_write (self);
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
          connection_fail (self, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR);
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
          connection_fail (self, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR);
          return FALSE;
        }
      if (self->message->len + frame->length > self->max_payload)
        {
          connection_fail (self, SOUP_WEBSOCKET_CLOSE_TOO_BIG);
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
      if (!self->close_sent)
        {
          orderly_ws_frame_append (self->outgoing, ORDERLY_WS_OPCODE_PONG, frame->payload, frame->length);
          connection_schedule_write (self);
        }
      return TRUE;

    case ORDERLY_WS_OPCODE_PONG:
      {
        g_autoptr(GBytes) payload = g_bytes_new (frame->payload, frame->length);

        g_signal_emit (self, signals[SIGNAL_PONG], 0, payload);
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
          connection_fail (self, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR);
          break;
        }
      if (result == ORDERLY_WS_PARSE_TOO_BIG)
        {
          connection_fail (self, SOUP_WEBSOCKET_CLOSE_TOO_BIG);
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
      connection_close_stream (self);
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

static void
connection_start_input (OrderlyWsConnection *self)
{
  self->input_source = g_pollable_input_stream_create_source (self->input, NULL);
  g_source_set_callback (self->input_source, G_SOURCE_FUNC (input_ready_cb), self, NULL);
  g_source_attach (self->input_source, g_main_context_get_thread_default ());
}

/* Object */

static void
orderly_ws_connection_finalize (GObject *object)
{
  OrderlyWsConnection *self = ORDERLY_WS_CONNECTION (object);

  g_assert (self->input_source == NULL && self->output_source == NULL);
  g_clear_object (&self->stream);
  g_clear_pointer (&self->incoming, g_byte_array_unref);
  g_byte_array_unref (self->outgoing);
  g_clear_pointer (&self->message, g_byte_array_unref);

  G_OBJECT_CLASS (orderly_ws_connection_parent_class)->finalize (object);
}

static void
orderly_ws_connection_class_init (OrderlyWsConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = orderly_ws_connection_finalize;

  /**
   * OrderlyWsConnection::message:
   * @type: %SOUP_WEBSOCKET_DATA_TEXT (valid UTF-8) or %SOUP_WEBSOCKET_DATA_BINARY
   * @message: the whole message, its fragments joined
   */
  signals[SIGNAL_MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_BYTES);

  /**
   * OrderlyWsConnection::pong:
   * @payload: what the pong carried
   *
   * Emitted when the peer answers orderly_ws_connection_ping(), or sends
   * a pong of its own accord.
   */
  signals[SIGNAL_PONG] =
    g_signal_new ("pong", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BYTES);

  /**
   * OrderlyWsConnection::drained:
   *
   * Emitted when the kernel, which had refused data, has taken everything
   * queued.
   */
  signals[SIGNAL_DRAINED] =
    g_signal_new ("drained", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * OrderlyWsConnection::closed:
   *
   * Emitted once, when the stream is closed, whichever side ended it.
   */
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
orderly_ws_connection_init (OrderlyWsConnection *self)
{
  self->outgoing = g_byte_array_new ();
  self->max_payload = 128 * 1024;
}

/**
 * orderly_ws_connection_new:
 * @stream: the connection after the upgrade response, with pollable
 *   input and output streams
 *
 * Returns: (transfer full): the connection, open and reading
 */
OrderlyWsConnection *
orderly_ws_connection_new (GIOStream *stream)
{
  OrderlyWsConnection *self;

  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);
  g_return_val_if_fail (G_IS_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream)), NULL);
  g_return_val_if_fail (G_IS_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream)), NULL);

  self = g_object_new (ORDERLY_TYPE_WS_CONNECTION, NULL);
  self->stream = g_object_ref (stream);
  self->input = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream));
  self->output = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream));
  /* Dropped once the stream is closed. */
  g_object_ref (self);
  connection_start_input (self);
  return self;
}

typedef struct
{
  OrderlyWsAcceptFunc func;
  gpointer            user_data;
  GDestroyNotify      destroy;
} Accept;

static void
accept_free (gpointer  data,
             GClosure *closure)
{
  Accept *accept = data;

  if (accept->destroy != NULL)
    accept->destroy (accept->user_data);
  g_free (accept);
}

/* Once the 101 has gone out, the connection is ours: libsoup lets go of
 * it, and every frame either way passes through OrderlyWsConnection. */
static void
accept_wrote_informational_cb (SoupServerMessage *msg,
                               gpointer           user_data)
{
  Accept *accept = user_data;
  GSocket *socket = soup_server_message_get_socket (msg);
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(OrderlyWsConnection) connection = NULL;

  /* Frames go out in whole batches; Nagle would only add delay. */
  if (socket != NULL)
    g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  stream = soup_server_message_steal_connection (msg);
  if (stream == NULL)
    return;
  connection = orderly_ws_connection_new (stream);
  accept->func (msg, connection, accept->user_data);
}

/**
 * orderly_ws_connection_accept:
 * @msg: a WebSocket upgrade request, from a SoupServer handler
 * @func: called with the connection once the 101 has gone out
 * @user_data: for @func
 * @destroy: (nullable): frees @user_data, whether @func ran or not
 *
 * Answers a valid handshake with 101, then takes the connection over from
 * libsoup. libsoup answers an invalid one with 400 and the reason; @func
 * is then never called.
 *
 * Returns: whether the handshake was valid
 */
gboolean
orderly_ws_connection_accept (SoupServerMessage   *msg,
                              OrderlyWsAcceptFunc  func,
                              gpointer             user_data,
                              GDestroyNotify       destroy)
{
  Accept *accept;

  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (msg), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  if (!soup_websocket_server_process_handshake (msg, NULL, NULL, NULL, NULL))
    {
      if (destroy != NULL)
        destroy (user_data);
      return FALSE;
    }

  accept = g_new (Accept, 1);
  accept->func = func;
  accept->user_data = user_data;
  accept->destroy = destroy;
  g_signal_connect_data (msg, "wrote-informational", G_CALLBACK (accept_wrote_informational_cb),
                         accept, accept_free, 0);
  return TRUE;
}

GIOStream *
orderly_ws_connection_get_io_stream (OrderlyWsConnection *self)
{
  g_return_val_if_fail (ORDERLY_IS_WS_CONNECTION (self), NULL);
  return self->stream;
}

/**
 * orderly_ws_connection_set_max_incoming_payload_size:
 * @max_payload: the largest message accepted, fragments joined; a larger
 *   one closes the connection with 1009
 */
void
orderly_ws_connection_set_max_incoming_payload_size (OrderlyWsConnection *self,
                                                     guint64              max_payload)
{
  g_return_if_fail (ORDERLY_IS_WS_CONNECTION (self));
  self->max_payload = max_payload;
}

OrderlyWsState
orderly_ws_connection_get_state (OrderlyWsConnection *self)
{
  g_return_val_if_fail (ORDERLY_IS_WS_CONNECTION (self), ORDERLY_WS_STATE_CLOSED);
  return self->state;
}

/**
 * orderly_ws_connection_get_close_code:
 *
 * Returns: the code of the peer's close frame, 1005 if it had none, 0 if
 *   none came
 */
gushort
orderly_ws_connection_get_close_code (OrderlyWsConnection *self)
{
  g_return_val_if_fail (ORDERLY_IS_WS_CONNECTION (self), 0);
  return self->peer_close_code;
}

/**
 * orderly_ws_connection_send:
 * @binary: a binary message rather than UTF-8 text
 * @payload: the message
 *
 * Queues one message; it leaves with everything else queued during this
 * main-loop iteration. Does nothing once the connection is closing.
 */
void
orderly_ws_connection_send (OrderlyWsConnection *self,
                            gboolean             binary,
                            GBytes              *payload)
{
  gsize length;
  const guint8 *data;

  g_return_if_fail (ORDERLY_IS_WS_CONNECTION (self));
  g_return_if_fail (payload != NULL);

  if (self->state != ORDERLY_WS_STATE_OPEN)
    return;
  data = g_bytes_get_data (payload, &length);
  orderly_ws_frame_append (self->outgoing, binary ? ORDERLY_WS_OPCODE_BINARY : ORDERLY_WS_OPCODE_TEXT,
                           data, length);
  connection_schedule_write (self);
}

void
orderly_ws_connection_send_text (OrderlyWsConnection *self,
                                 const char          *text)
{
  g_autoptr(GBytes) bytes = NULL;

  g_return_if_fail (text != NULL);
  bytes = g_bytes_new_static (text, strlen (text));
  orderly_ws_connection_send (self, FALSE, bytes);
}

/**
 * orderly_ws_connection_get_pending:
 *
 * Returns: how many bytes are queued that the kernel has not taken yet
 */
gsize
orderly_ws_connection_get_pending (OrderlyWsConnection *self)
{
  g_return_val_if_fail (ORDERLY_IS_WS_CONNECTION (self), 0);
  return connection_pending (self);
}

/**
 * orderly_ws_connection_is_blocked:
 *
 * Returns: whether the kernel refused data at the last write, and the
 *   connection waits for the socket to take more
 */
gboolean
orderly_ws_connection_is_blocked (OrderlyWsConnection *self)
{
  g_return_val_if_fail (ORDERLY_IS_WS_CONNECTION (self), FALSE);
  return self->blocked;
}

/**
 * orderly_ws_connection_ping:
 *
 * Queues a ping; a live peer answers with a pong (see
 * #OrderlyWsConnection::pong).
 */
void
orderly_ws_connection_ping (OrderlyWsConnection *self)
{
  g_return_if_fail (ORDERLY_IS_WS_CONNECTION (self));

  if (self->state != ORDERLY_WS_STATE_OPEN)
    return;
  orderly_ws_frame_append (self->outgoing, ORDERLY_WS_OPCODE_PING, NULL, 0);
  connection_schedule_write (self);
}

/**
 * orderly_ws_connection_close:
 * @code: the close code, e.g. %SOUP_WEBSOCKET_CLOSE_NORMAL
 *
 * Starts the close handshake: the close frame follows whatever is queued,
 * and the stream closes when the peer answers, or after a short wait.
 */
void
orderly_ws_connection_close (OrderlyWsConnection *self,
                             gushort              code)
{
  orderly_ws_connection_close_with_reason (self, code, NULL);
}

/**
 * orderly_ws_connection_close_with_reason:
 * @reason: (nullable): why, for the peer; cut to fit a control frame
 *
 * Like orderly_ws_connection_close(), with a reason.
 */
void
orderly_ws_connection_close_with_reason (OrderlyWsConnection *self,
                                         gushort              code,
                                         const char          *reason)
{
  g_return_if_fail (ORDERLY_IS_WS_CONNECTION (self));

  if (self->state != ORDERLY_WS_STATE_OPEN)
    return;
  connection_send_close (self, code, reason);
}
