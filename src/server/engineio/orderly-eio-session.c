/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-engineio"

#include "config.h"

#include "orderly-eio-id.h"
#include "orderly-eio-server-private.h"
#include "orderly-eio-session-private.h"

/* A session is what both transports share: the queue of packets for the
 * client, the heartbeat, the packets that came in, and closing. Polling
 * requests are handled in orderly-eio-polling.c, the WebSocket and the
 * upgrade to it in orderly-eio-websocket.c. */

/* How long a polling session that was closed waits for the GET that
 * carries its last packets. */
#define CLOSE_TIMEOUT_MS 30000

G_DEFINE_FINAL_TYPE (OrderlyEioSession, orderly_eio_session, G_TYPE_OBJECT)

guint _orderly_eio_session_signals[ORDERLY_EIO_SESSION_N_SIGNALS];

void
_orderly_eio_session_out_item_free (OrderlyEioOutItem *item)
{
  g_bytes_unref (item->bytes);
  g_free (item);
}

/* Empties the queue, for whoever sends what was in it. */
GQueue *
_orderly_eio_session_steal_queue (OrderlyEioSession *self)
{
  GQueue *taken = g_queue_new ();

  *taken = self->queue;
  g_queue_init (&self->queue);
  self->queued_bytes = 0;
  return taken;
}

/* What may wait for a client, on either transport: room for a reply to
 * the largest message, and a little more. */
gsize
_orderly_eio_session_max_outgoing (OrderlyEioSession *self)
{
  gsize max_payload = self->server != NULL ? self->server->max_payload : ORDERLY_EIO_DEFAULT_MAX_PAYLOAD;

  return MAX (ORDERLY_WS_DEFAULT_MAX_OUTGOING, 2 * max_payload);
}

static void
orderly_eio_session_finalize (GObject *object)
{
  OrderlyEioSession *self = ORDERLY_EIO_SESSION (object);

  g_assert (self->pending_get == NULL);
  g_assert (self->pending_watch == NULL);
  g_assert (self->ws == NULL);
  g_assert (self->probe == NULL);
  g_assert (self->beat.state == 0);

  g_queue_clear_full (&self->queue, (GDestroyNotify) _orderly_eio_session_out_item_free);
  g_free (self->id);
  g_free (self->remote_address);
  g_free (self->user_agent);
  g_free (self->cookie);
  g_free (self->origin);
  g_clear_pointer (&self->query, g_hash_table_unref);

  G_OBJECT_CLASS (orderly_eio_session_parent_class)->finalize (object);
}

static void
orderly_eio_session_class_init (OrderlyEioSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = orderly_eio_session_finalize;

  /**
   * OrderlyEioSession::message:
   * @data: the message data: UTF-8 text, or raw bytes if @binary
   * @binary: whether the message is binary
   */
  _orderly_eio_session_signals[ORDERLY_EIO_SESSION_SIGNAL_MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_BYTES, G_TYPE_BOOLEAN);

  /**
   * OrderlyEioSession::drained:
   *
   * Emitted when a poll response has taken everything queued, so a sender
   * that held back (see orderly_eio_session_can_write()) may go on.
   */
  _orderly_eio_session_signals[ORDERLY_EIO_SESSION_SIGNAL_DRAINED] =
    g_signal_new ("drained", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * OrderlyEioSession::upgraded:
   *
   * Emitted when the session has moved from polling to WebSocket.
   */
  _orderly_eio_session_signals[ORDERLY_EIO_SESSION_SIGNAL_UPGRADED] =
    g_signal_new ("upgraded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * OrderlyEioSession::closed:
   * @reason: why, e.g. "transport close", "ping timeout", "parse error"
   *
   * Emitted once, when the session ends.
   */
  _orderly_eio_session_signals[ORDERLY_EIO_SESSION_SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
orderly_eio_session_init (OrderlyEioSession *self)
{
  g_queue_init (&self->queue);
}

/**
 * _orderly_eio_session_new:
 * @server: the server that keeps the session
 * @msg: the handshake request
 * @query: (nullable): its query
 * @transport: the transport it came on
 * @error: where to say why there is no session
 *
 * Returns: (transfer none) (nullable): a new open session, kept by
 *   @server under its new id; %NULL when no secure id could be made
 */
OrderlyEioSession *
_orderly_eio_session_new (OrderlyEioServer     *server,
                          SoupServerMessage    *msg,
                          GHashTable           *query,
                          OrderlyEioTransport   transport,
                          GError              **error)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autofree char *id = NULL;
  OrderlyEioSession *self;

  do
    {
      g_free (id);
      id = orderly_eio_generate_id (error);
      if (id == NULL)
        return NULL;
    }
  while (g_hash_table_contains (server->sessions, id));

  self = g_object_new (ORDERLY_TYPE_EIO_SESSION, NULL);
  self->id = g_steal_pointer (&id);
  self->server = server;
  self->transport = transport;
  self->state = ORDERLY_EIO_SESSION_OPEN;
  self->remote_address = g_strdup (soup_server_message_get_remote_host (msg));
  self->user_agent = g_strdup (soup_message_headers_get_one (headers, "User-Agent"));
  self->cookie = g_strdup (soup_message_headers_get_one (headers, "Cookie"));
  self->origin = g_strdup (soup_message_headers_get_one (headers, "Origin"));
  self->query = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (query != NULL)
    {
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, query);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (self->query, g_strdup (key), g_strdup (value));
    }

  g_hash_table_insert (server->sessions, self->id, self);
  return self;
}

/**
 * orderly_eio_session_get_transport:
 * @self: a session
 *
 * Returns: the transport the session is on now (it changes on upgrade)
 */
OrderlyEioTransport
orderly_eio_session_get_transport (OrderlyEioSession *self)
{
  g_return_val_if_fail (ORDERLY_IS_EIO_SESSION (self), ORDERLY_EIO_TRANSPORT_POLLING);
  return self->transport;
}

/**
 * orderly_eio_session_get_transport_name:
 * @self: a session
 *
 * Returns: "polling" or "websocket", as it is now (it changes on upgrade)
 */
const char *
orderly_eio_session_get_transport_name (OrderlyEioSession *self)
{
  g_return_val_if_fail (ORDERLY_IS_EIO_SESSION (self), NULL);
  return self->transport == ORDERLY_EIO_TRANSPORT_WEBSOCKET ? "websocket" : "polling";
}

const char *
orderly_eio_session_get_remote_address (OrderlyEioSession *self)
{
  g_return_val_if_fail (ORDERLY_IS_EIO_SESSION (self), NULL);
  return self->remote_address;
}

const char *
orderly_eio_session_get_user_agent (OrderlyEioSession *self)
{
  g_return_val_if_fail (ORDERLY_IS_EIO_SESSION (self), NULL);
  return self->user_agent;
}

const char *
orderly_eio_session_get_cookie_header (OrderlyEioSession *self)
{
  g_return_val_if_fail (ORDERLY_IS_EIO_SESSION (self), NULL);
  return self->cookie;
}

const char *
orderly_eio_session_get_origin (OrderlyEioSession *self)
{
  g_return_val_if_fail (ORDERLY_IS_EIO_SESSION (self), NULL);
  return self->origin;
}

/**
 * orderly_eio_session_get_query_param:
 * @self: a session
 * @name: a query parameter name
 *
 * Returns: (nullable): the value of @name in the handshake request's query
 */
const char *
orderly_eio_session_get_query_param (OrderlyEioSession *self,
                                     const char        *name)
{
  g_return_val_if_fail (ORDERLY_IS_EIO_SESSION (self), NULL);
  return self->query != NULL ? g_hash_table_lookup (self->query, name) : NULL;
}

gboolean
orderly_eio_session_is_open (OrderlyEioSession *self)
{
  g_return_val_if_fail (ORDERLY_IS_EIO_SESSION (self), FALSE);
  return self->state == ORDERLY_EIO_SESSION_OPEN;
}

/**
 * orderly_eio_session_can_write:
 * @self: a session
 * @window: how many packets a polling session may hold for its next GET
 *
 * Whether one more packet can go out now without piling up: on WebSocket,
 * the kernel still takes data; on polling, fewer than @window packets wait.
 * A sender that gets %FALSE keeps its own latest-wins state and tries again
 * on #OrderlyEioSession::drained or later.
 *
 * Returns: whether to send now
 */
gboolean
orderly_eio_session_can_write (OrderlyEioSession *self,
                               guint              window)
{
  g_return_val_if_fail (ORDERLY_IS_EIO_SESSION (self), FALSE);

  if (self->state != ORDERLY_EIO_SESSION_OPEN)
    return FALSE;

  if (self->transport == ORDERLY_EIO_TRANSPORT_WEBSOCKET && self->ws != NULL)
    return !orderly_ws_connection_is_blocked (self->ws) &&
           orderly_ws_connection_get_pending (self->ws) < 256 * 1024;

  return self->queue.length < window;
}

/* Sending */

/* Sends what is queued, over whichever transport can carry it now. */
void
_orderly_eio_session_send_queue (OrderlyEioSession *self)
{
  OrderlyEioOutItem *item;

  if (self->queue.length == 0)
    return;

  if (self->transport == ORDERLY_EIO_TRANSPORT_POLLING)
    {
      _orderly_eio_session_answer_soon (self);
      return;
    }

  while ((item = g_queue_pop_head (&self->queue)) != NULL)
    {
      self->queued_bytes -= g_bytes_get_size (item->bytes);
      _orderly_eio_session_send_ws (self, item);
      _orderly_eio_session_out_item_free (item);
    }
}

static void
session_drop_oldest (OrderlyEioSession *self)
{
  OrderlyEioOutItem *oldest = g_queue_pop_head (&self->queue);

  self->queued_bytes -= g_bytes_get_size (oldest->bytes);
  _orderly_eio_session_out_item_free (oldest);
}

static void
session_enqueue (OrderlyEioSession *self,
                 GBytes            *bytes,
                 gboolean           binary,
                 guint              slot)
{
  OrderlyEioOutItem *item;

  if (self->state != ORDERLY_EIO_SESSION_OPEN)
    return;

  if (self->transport == ORDERLY_EIO_TRANSPORT_WEBSOCKET && self->ws != NULL)
    {
      OrderlyEioOutItem direct = { bytes, binary, slot };

      _orderly_eio_session_send_ws (self, &direct);
      return;
    }

  if (slot != 0)
    {
      for (GList *l = self->queue.head; l != NULL; l = l->next)
        {
          OrderlyEioOutItem *queued = l->data;

          if (queued->slot == slot)
            {
              self->queued_bytes += g_bytes_get_size (bytes) - g_bytes_get_size (queued->bytes);
              g_bytes_unref (queued->bytes);
              queued->bytes = g_bytes_ref (bytes);
              return;
            }
        }
    }

  /* A client that does not poll loses the oldest packets, not memory:
   * past a count, and past the bytes a WebSocket would hold for it. */
  if (self->server != NULL && self->queue.length >= self->server->max_queue)
    session_drop_oldest (self);
  while (self->queue.length > 0 &&
         self->queued_bytes + g_bytes_get_size (bytes) > _orderly_eio_session_max_outgoing (self))
    session_drop_oldest (self);

  item = g_new0 (OrderlyEioOutItem, 1);
  item->bytes = g_bytes_ref (bytes);
  item->binary = binary;
  item->slot = slot;
  g_queue_push_tail (&self->queue, item);
  self->queued_bytes += g_bytes_get_size (bytes);

  _orderly_eio_session_send_queue (self);
}

/**
 * orderly_eio_session_send_text:
 * @self: a session
 * @data: UTF-8 text
 * @length: its length, or -1 if NUL-terminated
 *
 * Sends a text message packet.
 */
void
orderly_eio_session_send_text (OrderlyEioSession *self,
                               const char        *data,
                               gssize             length)
{
  g_autoptr(GBytes) bytes = NULL;

  g_return_if_fail (ORDERLY_IS_EIO_SESSION (self));

  bytes = orderly_eio_packet_encode (ORDERLY_EIO_PACKET_MESSAGE, data, length);
  session_enqueue (self, bytes, FALSE, 0);
}

/**
 * orderly_eio_session_send_binary:
 * @self: a session
 * @data: raw bytes
 *
 * Sends a binary message packet.
 */
void
orderly_eio_session_send_binary (OrderlyEioSession *self,
                                 GBytes            *data)
{
  g_return_if_fail (ORDERLY_IS_EIO_SESSION (self));
  g_return_if_fail (data != NULL);

  session_enqueue (self, data, TRUE, 0);
}

/**
 * orderly_eio_session_send_encoded:
 * @self: a session
 * @packet: one encoded text packet, type digit included (e.g. `42[...]`)
 *
 * Sends a packet that was encoded once for many sessions. @packet is
 * referenced, not copied.
 */
void
orderly_eio_session_send_encoded (OrderlyEioSession *self,
                                  GBytes            *packet)
{
  g_return_if_fail (ORDERLY_IS_EIO_SESSION (self));
  g_return_if_fail (packet != NULL);

  session_enqueue (self, packet, FALSE, 0);
}

/**
 * orderly_eio_session_send_latest:
 * @self: a session
 * @slot: a non-zero slot number
 * @packet: one encoded text packet
 *
 * Like orderly_eio_session_send_encoded(), but if a packet of the same
 * @slot still waits in the queue, @packet takes its place: a slow client
 * gets the latest state, never a backlog of stale ones.
 */
void
orderly_eio_session_send_latest (OrderlyEioSession *self,
                                 guint              slot,
                                 GBytes            *packet)
{
  g_return_if_fail (ORDERLY_IS_EIO_SESSION (self));
  g_return_if_fail (slot != 0);
  g_return_if_fail (packet != NULL);

  session_enqueue (self, packet, FALSE, slot);
}

/* Heartbeat */

void
_orderly_eio_session_schedule_ping (OrderlyEioSession *self)
{
  if (self->server != NULL)
    orderly_eio_heartbeat_schedule (self->server->heartbeat, &self->beat, self);
}

void
_orderly_eio_session_ping (gpointer session,
                           gpointer user_data)
{
  g_autoptr(OrderlyEioSession) self = g_object_ref (session);
  g_autoptr(GBytes) ping = orderly_eio_packet_encode (ORDERLY_EIO_PACKET_PING, NULL, 0);

  session_enqueue (self, ping, FALSE, 0);
}

void
_orderly_eio_session_ping_timeout (gpointer session,
                                   gpointer user_data)
{
  g_autoptr(OrderlyEioSession) self = g_object_ref (session);

  _orderly_eio_session_close (self, ORDERLY_EIO_CLOSE_ERROR, "ping timeout");
}

/* Incoming packets, whatever the transport */

void
_orderly_eio_session_handle_packet (OrderlyEioSession *self,
                                    OrderlyEioPacket  *packet)
{
  switch (packet->type)
    {
    case ORDERLY_EIO_PACKET_PONG:
      _orderly_eio_session_schedule_ping (self);
      break;

    case ORDERLY_EIO_PACKET_PING:
      /* In v4 only the server pings. */
      _orderly_eio_session_close (self, ORDERLY_EIO_CLOSE_ERROR, "invalid heartbeat direction");
      break;

    case ORDERLY_EIO_PACKET_MESSAGE:
      g_signal_emit (self, _orderly_eio_session_signals[ORDERLY_EIO_SESSION_SIGNAL_MESSAGE], 0,
                     packet->data, packet->binary);
      break;

    case ORDERLY_EIO_PACKET_CLOSE:
      _orderly_eio_session_close (self, ORDERLY_EIO_CLOSE_BY_CLIENT, "transport close");
      break;

    case ORDERLY_EIO_PACKET_OPEN:
      _orderly_eio_session_close (self, ORDERLY_EIO_CLOSE_ERROR, "parse error");
      break;

    case ORDERLY_EIO_PACKET_UPGRADE:
    case ORDERLY_EIO_PACKET_NOOP:
    default:
      break;
    }
}

/* Closing */

static void
session_stop_timers (OrderlyEioSession *self)
{
  if (self->server != NULL)
    orderly_eio_heartbeat_remove (self->server->heartbeat, &self->beat);
  g_clear_handle_id (&self->noop_source, g_source_remove);
  g_clear_handle_id (&self->upgrade_source, g_source_remove);
  g_clear_handle_id (&self->release_source, g_source_remove);
}

/* Drops the session from the server: later requests with its sid get 400. */
void
_orderly_eio_session_forget (OrderlyEioSession *self)
{
  OrderlyEioServer *server = self->server;

  self->state = ORDERLY_EIO_SESSION_CLOSED;
  session_stop_timers (self);
  g_clear_handle_id (&self->close_source, g_source_remove);
  self->server = NULL;
  if (server != NULL)
    g_hash_table_remove (server->sessions, self->id);
}

static gboolean
close_timeout_cb (gpointer user_data)
{
  OrderlyEioSession *self = user_data;

  self->close_source = 0;
  _orderly_eio_session_forget (self);
  return G_SOURCE_REMOVE;
}

static void
session_queue_packet (OrderlyEioSession    *self,
                      OrderlyEioPacketType  type)
{
  OrderlyEioOutItem *item = g_new0 (OrderlyEioOutItem, 1);

  item->bytes = orderly_eio_packet_encode (type, NULL, 0);
  g_queue_push_tail (&self->queue, item);
  self->queued_bytes += g_bytes_get_size (item->bytes);
}

void
_orderly_eio_session_close (OrderlyEioSession   *self,
                            OrderlyEioCloseKind  kind,
                            const char          *reason)
{
  g_autoptr(OrderlyEioSession) hold = NULL;

  if (self->state != ORDERLY_EIO_SESSION_OPEN)
    return;

  hold = g_object_ref (self);
  session_stop_timers (self);

  if (self->transport == ORDERLY_EIO_TRANSPORT_WEBSOCKET)
    {
      /* Anything queued during the switch goes out before the close frame;
       * a writer that fails meanwhile finds the session closing already. */
      self->state = ORDERLY_EIO_SESSION_CLOSING;
      _orderly_eio_session_send_queue (self);
      _orderly_eio_session_close_ws (self);
      _orderly_eio_session_forget (self);
    }
  else if (kind == ORDERLY_EIO_CLOSE_ERROR)
    {
      _orderly_eio_session_close_ws (self);
      _orderly_eio_session_release_get (self, "1", 1);
      _orderly_eio_session_forget (self);
    }
  else
    {
      /* What is left for the client goes in the held GET, or in the next
       * one: the application's close after what it had queued, a noop for
       * a client that said goodbye itself (it wants nothing more, but a
       * GET it sent before its close may still be on its way, on another
       * connection). */
      _orderly_eio_session_close_ws (self);
      if (kind == ORDERLY_EIO_CLOSE_BY_CLIENT)
        {
          g_queue_clear_full (&self->queue, (GDestroyNotify) _orderly_eio_session_out_item_free);
          self->queued_bytes = 0;
          session_queue_packet (self, ORDERLY_EIO_PACKET_NOOP);
        }
      else
        {
          if (self->pending_get == NULL)
            session_queue_packet (self, ORDERLY_EIO_PACKET_NOOP);
          session_queue_packet (self, ORDERLY_EIO_PACKET_CLOSE);
        }
      self->state = ORDERLY_EIO_SESSION_CLOSING;

      if (self->pending_get != NULL)
        _orderly_eio_session_answer_get (self);
      else
        self->close_source = g_timeout_add (CLOSE_TIMEOUT_MS, close_timeout_cb, self);
    }

  g_signal_emit (self, _orderly_eio_session_signals[ORDERLY_EIO_SESSION_SIGNAL_CLOSED], 0, reason);
}

/**
 * orderly_eio_session_close:
 * @self: a session
 *
 * Closes the session from the server side. Packets already queued are
 * still delivered first.
 */
void
orderly_eio_session_close (OrderlyEioSession *self)
{
  g_return_if_fail (ORDERLY_IS_EIO_SESSION (self));

  _orderly_eio_session_close (self, ORDERLY_EIO_CLOSE_BY_SERVER, "forced close");
}
