/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-websocket"

#include "config.h"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "orderly-ws-connection-private.h"

/* The server side of a WebSocket connection (RFC 6455), on a stream taken
 * over from libsoup once the upgrade's 101 has gone out. Reading is in
 * orderly-ws-reader.c, writing and closing in orderly-ws-writer.c.
 *
 * The connection keeps itself alive until its stream is closed, so that a
 * close handshake finishes after its owner has let go. */

G_DEFINE_FINAL_TYPE (OrderlyWsConnection, orderly_ws_connection, G_TYPE_OBJECT)

guint _orderly_ws_connection_signals[ORDERLY_WS_CONNECTION_N_SIGNALS];

static void
orderly_ws_connection_finalize (GObject *object)
{
  OrderlyWsConnection *self = ORDERLY_WS_CONNECTION (object);

  g_assert (self->input_source == NULL && self->output_source == NULL);
  g_clear_object (&self->stream);
  g_clear_object (&self->socket);
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
  _orderly_ws_connection_signals[ORDERLY_WS_CONNECTION_SIGNAL_MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_BYTES);

  /**
   * OrderlyWsConnection::pong:
   * @payload: what the pong carried
   *
   * Emitted when the peer answers orderly_ws_connection_ping(), or sends
   * a pong of its own accord.
   */
  _orderly_ws_connection_signals[ORDERLY_WS_CONNECTION_SIGNAL_PONG] =
    g_signal_new ("pong", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BYTES);

  /**
   * OrderlyWsConnection::drained:
   *
   * Emitted when the kernel, which had refused data, has taken everything
   * queued.
   */
  _orderly_ws_connection_signals[ORDERLY_WS_CONNECTION_SIGNAL_DRAINED] =
    g_signal_new ("drained", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * OrderlyWsConnection::closed:
   *
   * Emitted once, when the stream is closed, whichever side ended it.
   */
  _orderly_ws_connection_signals[ORDERLY_WS_CONNECTION_SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
orderly_ws_connection_init (OrderlyWsConnection *self)
{
  self->outgoing = g_byte_array_new ();
  self->max_payload = 128 * 1024;
  self->max_outgoing = ORDERLY_WS_DEFAULT_MAX_OUTGOING;
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
  if (G_IS_SOCKET_CONNECTION (stream))
    self->socket = g_object_ref (g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream)));
  /* Dropped once the stream is closed. */
  g_object_ref (self);
  _orderly_ws_connection_start_input (self);
  return self;
}

typedef struct
{
  GSocket            *socket;  /* nullable */
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
  g_clear_object (&accept->socket);
  g_free (accept);
}

/* Once the 101 has gone out, the connection is ours: libsoup lets go of
 * it, and every frame either way passes through OrderlyWsConnection. */
static void
accept_wrote_informational_cb (SoupServerMessage *msg,
                               gpointer           user_data)
{
  Accept *accept = user_data;
  GSocket *socket = accept->socket;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(OrderlyWsConnection) connection = NULL;

  /* Frames go out in whole batches; Nagle would only add delay. */
  if (socket != NULL)
    g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  stream = soup_server_message_steal_connection (msg);
  if (stream == NULL)
    return;
  connection = orderly_ws_connection_new (stream);
  if (socket != NULL)
    g_set_object (&connection->socket, socket);
  accept->func (msg, connection, accept->user_data);
}

/**
 * orderly_ws_connection_accept:
 * @msg: a WebSocket upgrade request, from a SoupServer handler
 * @socket: (nullable): the socket @msg came on, or %NULL to ask libsoup,
 *   which knows it only for the connections it accepted itself
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
                              GSocket             *socket,
                              OrderlyWsAcceptFunc  func,
                              gpointer             user_data,
                              GDestroyNotify       destroy)
{
  Accept *accept;

  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (msg), FALSE);
  g_return_val_if_fail (socket == NULL || G_IS_SOCKET (socket), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  if (!soup_websocket_server_process_handshake (msg, NULL, NULL, NULL, NULL))
    {
      if (destroy != NULL)
        destroy (user_data);
      return FALSE;
    }

  if (socket == NULL)
    socket = soup_server_message_get_socket (msg);
  accept = g_new (Accept, 1);
  accept->socket = socket != NULL ? g_object_ref (socket) : NULL;
  accept->func = func;
  accept->user_data = user_data;
  accept->destroy = destroy;
  g_signal_connect_data (msg, "wrote-informational", G_CALLBACK (accept_wrote_informational_cb),
                         accept, accept_free, 0);
  return TRUE;
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

/**
 * orderly_ws_connection_set_max_outgoing_size:
 * @max_outgoing: bytes
 *
 * How much may wait for the kernel to take it: data, pongs and the close
 * frame together. A peer that leaves more unread is dropped at once, without
 * a close frame it would not read. The default is
 * %ORDERLY_WS_DEFAULT_MAX_OUTGOING.
 */
void
orderly_ws_connection_set_max_outgoing_size (OrderlyWsConnection *self,
                                             gsize                max_outgoing)
{
  g_return_if_fail (ORDERLY_IS_WS_CONNECTION (self));
  self->max_outgoing = max_outgoing;
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
  _orderly_ws_connection_schedule_write (self);
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
  return _orderly_ws_connection_pending (self);
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
  _orderly_ws_connection_schedule_write (self);
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
  _orderly_ws_connection_send_close (self, code, reason);
}
