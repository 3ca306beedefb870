/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-eio"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "orderly-eio-heartbeat.h"
#include "orderly-eio-packet.h"
#include "orderly-eio-server.h"
#include "orderly-ws-connection.h"

/* How long a polling session that the server closed waits for the GET that
 * carries its close packet. */
#define CLOSE_TIMEOUT_MS 30000
/* How often a GET held during an upgrade probe is released with a noop. */
#define PROBE_NOOP_INTERVAL_MS 100

typedef enum
{
  SESSION_OPEN,
  /* Closed by the server while polling with no GET held: the close packet
   * waits in the queue for the next GET. */
  SESSION_CLOSING,
  SESSION_CLOSED,
} SessionState;

typedef enum
{
  /* Transport error, parse error, ping timeout: answer a held GET with close. */
  CLOSE_ERROR,
  /* The client sent close: answer a held GET with noop. */
  CLOSE_BY_CLIENT,
  /* The application closed the session: flush, then close. */
  CLOSE_BY_SERVER,
} CloseKind;

typedef struct
{
  GBytes   *bytes;
  gboolean  binary;
  guint     slot;
} OutItem;

struct _OrderlyEioSession
{
  GObject                  parent_instance;

  /* borrowed; cleared when the session is closed */
  OrderlyEioServer        *server;

  char                    *id;
  OrderlyEioTransport      transport;
  SessionState             state;

  SoupServerMessage       *pending_get;
  gulong                   pending_disconnected_id;
  GSource                 *pending_watch;
  GQueue                   queue;

  OrderlyWsConnection     *ws;
  OrderlyWsConnection     *probe;
  gboolean                 probe_answered;

  guint                    noop_source;
  guint                    upgrade_source;
  OrderlyEioBeat           beat;
  guint                    close_source;
  guint                    release_source;

  guint64                  sent;
  guint64                  dropped;

  char                    *remote_address;
  char                    *user_agent;
  char                    *cookie;
  char                    *origin;
  GHashTable              *query;
};

struct _OrderlyEioServer
{
  GObject      parent_instance;

  char        *path;
  SoupServer  *soup_server;
  GHashTable  *sessions;
  OrderlyEioHeartbeat *heartbeat;

  guint        ping_interval;
  guint        ping_timeout;
  guint        upgrade_timeout;
  gsize        max_payload;
  guint        max_queue;
  char       **cors_origins;

  OrderlyEioRequestFunc request_func;
  gpointer              request_data;
  GDestroyNotify        request_destroy;
};

G_DEFINE_FINAL_TYPE (OrderlyEioSession, orderly_eio_session, G_TYPE_OBJECT)
G_DEFINE_FINAL_TYPE (OrderlyEioServer, orderly_eio_server, G_TYPE_OBJECT)

enum {
  SIGNAL_MESSAGE,
  SIGNAL_DRAINED,
  SIGNAL_UPGRADED,
  SIGNAL_CLOSED,
  N_SESSION_SIGNALS
};

static guint session_signals[N_SESSION_SIGNALS];

enum {
  SERVER_CONNECTION,
  N_SERVER_SIGNALS
};

static guint server_signals[N_SERVER_SIGNALS];

static const char * const error_messages[] = {
  "Transport unknown",
  "Session ID unknown",
  "Bad handshake method",
  "Bad request",
  "Forbidden",
  "Unsupported protocol version",
};

enum {
  ERROR_UNKNOWN_TRANSPORT = 0,
  ERROR_UNKNOWN_SID = 1,
  ERROR_BAD_HANDSHAKE_METHOD = 2,
  ERROR_BAD_REQUEST = 3,
  ERROR_UNSUPPORTED_PROTOCOL_VERSION = 5,
};

static void session_close_internal (OrderlyEioSession *self,
                                    CloseKind          kind,
                                    const char        *reason);
static void session_flush          (OrderlyEioSession *self);

static void
out_item_free (OutItem *item)
{
  g_bytes_unref (item->bytes);
  g_free (item);
}

/**
 * orderly_eio_generate_id:
 *
 * Returns: (transfer full): a new random, URL-safe, 20-character id
 */
char *
orderly_eio_generate_id (void)
{
  guint8 random_bytes[15];
  gsize filled = 0;
  char *id;

  while (filled < sizeof random_bytes)
    {
      gssize got = getrandom (random_bytes + filled, sizeof random_bytes - filled, 0);

      if (got > 0)
        filled += got;
      else
        for (; filled < sizeof random_bytes; filled++)
          random_bytes[filled] = (guint8) g_random_int ();
    }

  id = g_base64_encode (random_bytes, sizeof random_bytes);
  g_strdelimit (id, "+", '-');
  g_strdelimit (id, "/", '_');
  return id;
}

/* A client that has this much unread is too slow to keep. */
#define WRITER_MAX_PENDING (16 * 1024 * 1024)

static void session_writer_failed (OrderlyEioSession *self);
static void session_writer_drained (OrderlyEioSession *self);

/* Session */

static void
orderly_eio_session_finalize (GObject *object)
{
  OrderlyEioSession *self = ORDERLY_EIO_SESSION (object);

  g_assert (self->pending_get == NULL);
  g_assert (self->pending_watch == NULL);
  g_assert (self->ws == NULL);
  g_assert (self->probe == NULL);
  g_assert (self->beat.state == 0);

  g_queue_clear_full (&self->queue, (GDestroyNotify) out_item_free);
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
  session_signals[SIGNAL_MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_BYTES, G_TYPE_BOOLEAN);

  /**
   * OrderlyEioSession::drained:
   *
   * Emitted when a poll response has taken everything queued, so a sender
   * that held back (see orderly_eio_session_can_write()) may go on.
   */
  session_signals[SIGNAL_DRAINED] =
    g_signal_new ("drained", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * OrderlyEioSession::upgraded:
   *
   * Emitted when the session has moved from polling to WebSocket.
   */
  session_signals[SIGNAL_UPGRADED] =
    g_signal_new ("upgraded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * OrderlyEioSession::closed:
   * @reason: why, e.g. "transport close", "ping timeout", "parse error"
   *
   * Emitted once, when the session ends.
   */
  session_signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
orderly_eio_session_init (OrderlyEioSession *self)
{
  g_queue_init (&self->queue);
}

const char *
orderly_eio_session_get_id (OrderlyEioSession *self)
{
  g_return_val_if_fail (ORDERLY_IS_EIO_SESSION (self), NULL);
  return self->id;
}

OrderlyEioTransport
orderly_eio_session_get_transport (OrderlyEioSession *self)
{
  g_return_val_if_fail (ORDERLY_IS_EIO_SESSION (self), ORDERLY_EIO_TRANSPORT_POLLING);
  return self->transport;
}

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
  return self->state == SESSION_OPEN;
}

/**
 * orderly_eio_session_get_sent:
 * @self: a session
 *
 * Returns: how many packets were handed to libsoup for this session
 */
guint64
orderly_eio_session_get_sent (OrderlyEioSession *self)
{
  g_return_val_if_fail (ORDERLY_IS_EIO_SESSION (self), 0);
  return self->sent;
}

/**
 * orderly_eio_session_get_dropped:
 * @self: a session
 *
 * Returns: how many packets were dropped, either because the queue was full
 *   or because a newer packet replaced them
 */
guint64
orderly_eio_session_get_dropped (OrderlyEioSession *self)
{
  g_return_val_if_fail (ORDERLY_IS_EIO_SESSION (self), 0);
  return self->dropped;
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

  if (self->state != SESSION_OPEN)
    return FALSE;

  if (self->transport == ORDERLY_EIO_TRANSPORT_WEBSOCKET && self->ws != NULL)
    return !orderly_ws_connection_is_blocked (self->ws) &&
           orderly_ws_connection_get_pending (self->ws) < 256 * 1024;

  return self->queue.length < window;
}

guint
orderly_eio_session_get_queue_length (OrderlyEioSession *self)
{
  g_return_val_if_fail (ORDERLY_IS_EIO_SESSION (self), 0);
  return self->queue.length;
}

static void
set_no_store (SoupServerMessage *msg)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-store");
}

static void
respond_payload (SoupServerMessage *msg,
                 const char        *body,
                 gsize              length)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  set_no_store (msg);
  soup_server_message_set_response (msg, "text/plain; charset=UTF-8", SOUP_MEMORY_COPY, body, length);
}

static void
session_unwatch_get (OrderlyEioSession *self)
{
  if (self->pending_watch != NULL)
    {
      g_source_destroy (self->pending_watch);
      g_clear_pointer (&self->pending_watch, g_source_unref);
    }
}

/* Completes the held GET with @body and lets libsoup send it. */
static void
session_release_get (OrderlyEioSession *self,
                     const char        *body,
                     gsize              length)
{
  g_autoptr(SoupServerMessage) msg = g_steal_pointer (&self->pending_get);

  if (msg == NULL)
    return;

  session_unwatch_get (self);
  g_clear_signal_handler (&self->pending_disconnected_id, msg);
  respond_payload (msg, body, length);
  soup_server_message_unpause (msg);
}

static void
session_send_ws (OrderlyEioSession   *self,
                 OrderlyWsConnection *ws,
                 OutItem             *item)
{
  if (orderly_ws_connection_get_state (ws) != ORDERLY_WS_STATE_OPEN)
    return;

  orderly_ws_connection_send (ws, item->binary, item->bytes);
  self->sent++;
  if (orderly_ws_connection_get_pending (ws) > WRITER_MAX_PENDING)
    session_writer_failed (self);
}

static GString *
session_take_payload (OrderlyEioSession *self)
{
  GString *payload = g_string_new (NULL);
  OutItem *item;

  while ((item = g_queue_pop_head (&self->queue)) != NULL)
    {
      if (item->binary)
        orderly_eio_payload_append_binary (payload, item->bytes);
      else
        {
          gsize length;
          const char *data = g_bytes_get_data (item->bytes, &length);

          orderly_eio_payload_append (payload, data, length);
        }
      self->sent++;
      out_item_free (item);
    }

  return payload;
}

static void session_forget (OrderlyEioSession *self);

static void
session_answer_get (OrderlyEioSession *self)
{
  g_autoptr(GString) payload = session_take_payload (self);

  g_clear_handle_id (&self->release_source, g_source_remove);
  session_release_get (self, payload->str, payload->len);
  if (self->state == SESSION_CLOSING)
    session_forget (self);
  else
    g_signal_emit (self, session_signals[SIGNAL_DRAINED], 0);
}

static gboolean
release_get_cb (gpointer user_data)
{
  OrderlyEioSession *self = user_data;
  G_GNUC_UNUSED g_autoptr(OrderlyEioSession) hold = g_object_ref (self);

  self->release_source = 0;
  if (self->pending_get != NULL && self->queue.length > 0)
    session_answer_get (self);
  return G_SOURCE_REMOVE;
}

/* Sends what is queued, over whichever transport can carry it now. */
static void
session_flush (OrderlyEioSession *self)
{
  if (self->queue.length == 0)
    return;

  if (self->transport == ORDERLY_EIO_TRANSPORT_WEBSOCKET)
    {
      OutItem *item;

      while ((item = g_queue_pop_head (&self->queue)) != NULL)
        {
          if (self->ws != NULL)
            session_send_ws (self, self->ws, item);
          out_item_free (item);
        }
      return;
    }

  /* Everything sent during this main-loop iteration goes in one response. */
  if (self->pending_get != NULL && self->release_source == 0)
    self->release_source = g_idle_add_full (G_PRIORITY_DEFAULT, release_get_cb, self, NULL);
}

static void
session_enqueue (OrderlyEioSession *self,
                 GBytes            *bytes,
                 gboolean           binary,
                 guint              slot)
{
  OutItem *item;

  if (self->state != SESSION_OPEN)
    return;

  if (self->transport == ORDERLY_EIO_TRANSPORT_WEBSOCKET && self->ws != NULL)
    {
      OutItem direct = { bytes, binary, slot };

      session_send_ws (self, self->ws, &direct);
      return;
    }

  if (slot != 0)
    {
      for (GList *l = self->queue.head; l != NULL; l = l->next)
        {
          OutItem *queued = l->data;

          if (queued->slot == slot)
            {
              g_bytes_unref (queued->bytes);
              queued->bytes = g_bytes_ref (bytes);
              self->dropped++;
              return;
            }
        }
    }

  if (self->server != NULL && self->queue.length >= self->server->max_queue)
    {
      out_item_free (g_queue_pop_head (&self->queue));
      self->dropped++;
    }

  item = g_new0 (OutItem, 1);
  item->bytes = g_bytes_ref (bytes);
  item->binary = binary;
  item->slot = slot;
  g_queue_push_tail (&self->queue, item);

  session_flush (self);
}

static void
session_send_packet (OrderlyEioSession    *self,
                     OrderlyEioPacketType  type,
                     const char           *data)
{
  g_autoptr(GBytes) bytes = orderly_eio_packet_encode (type, data, -1);

  session_enqueue (self, bytes, FALSE, 0);
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

static void
session_prepare_ws (OrderlyEioSession *self)
{
  g_signal_connect_swapped (self->ws, "drained", G_CALLBACK (session_writer_drained), self);
}

/* Heartbeat */

static void
session_schedule_ping (OrderlyEioSession *self)
{
  if (self->server != NULL)
    orderly_eio_heartbeat_schedule (self->server->heartbeat, &self->beat, self);
}

static void
session_ping_cb (gpointer session,
                 gpointer user_data)
{
  g_autoptr(OrderlyEioSession) self = g_object_ref (session);

  session_send_packet (self, ORDERLY_EIO_PACKET_PING, NULL);
}

static void
session_ping_timeout_cb (gpointer session,
                         gpointer user_data)
{
  g_autoptr(OrderlyEioSession) self = g_object_ref (session);

  session_close_internal (self, CLOSE_ERROR, "ping timeout");
}

/* Closing */

/* The close frame follows whatever is still queued; the connection keeps
 * itself alive until the handshake is over. */
static void
ws_close_and_release (OrderlyWsConnection **ws_location,
                      gpointer              handler_data,
                      gushort               code)
{
  g_autoptr(OrderlyWsConnection) ws = g_steal_pointer (ws_location);

  if (ws == NULL)
    return;

  g_signal_handlers_disconnect_by_data (ws, handler_data);
  orderly_ws_connection_close (ws, code);
}

static void
session_writer_failed (OrderlyEioSession *self)
{
  session_close_internal (self, CLOSE_ERROR, "transport error");
}

static void
session_writer_drained (OrderlyEioSession *self)
{
  g_signal_emit (self, session_signals[SIGNAL_DRAINED], 0);
}

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
static void
session_forget (OrderlyEioSession *self)
{
  OrderlyEioServer *server = self->server;

  self->state = SESSION_CLOSED;
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
  session_forget (self);
  return G_SOURCE_REMOVE;
}

static void
session_close_internal (OrderlyEioSession *self,
                        CloseKind          kind,
                        const char        *reason)
{
  g_autoptr(OrderlyEioSession) hold = NULL;

  if (self->state != SESSION_OPEN)
    return;

  hold = g_object_ref (self);
  session_stop_timers (self);
  ws_close_and_release (&self->probe, self, SOUP_WEBSOCKET_CLOSE_NORMAL);

  if (self->transport == ORDERLY_EIO_TRANSPORT_WEBSOCKET)
    {
      /* Anything queued during the switch goes out before the close frame. */
      session_flush (self);
      ws_close_and_release (&self->ws, self, SOUP_WEBSOCKET_CLOSE_NORMAL);
      session_forget (self);
    }
  else if (kind == CLOSE_BY_SERVER)
    {
      OutItem *item;

      if (self->pending_get == NULL)
        {
          /* No GET held: the close waits for the next one, after a noop. */
          item = g_new0 (OutItem, 1);
          item->bytes = orderly_eio_packet_encode (ORDERLY_EIO_PACKET_NOOP, NULL, 0);
          g_queue_push_tail (&self->queue, item);
        }
      item = g_new0 (OutItem, 1);
      item->bytes = orderly_eio_packet_encode (ORDERLY_EIO_PACKET_CLOSE, NULL, 0);
      g_queue_push_tail (&self->queue, item);
      self->state = SESSION_CLOSING;

      if (self->pending_get != NULL)
        session_answer_get (self);
      else
        self->close_source = g_timeout_add (CLOSE_TIMEOUT_MS, close_timeout_cb, self);
    }
  else
    {
      session_release_get (self, kind == CLOSE_BY_CLIENT ? "6" : "1", 1);
      session_forget (self);
    }

  g_signal_emit (self, session_signals[SIGNAL_CLOSED], 0, reason);
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

  session_close_internal (self, CLOSE_BY_SERVER, "forced close");
}

/* Incoming packets, whatever the transport */

static void
session_handle_packet (OrderlyEioSession *self,
                       OrderlyEioPacket  *packet)
{
  switch (packet->type)
    {
    case ORDERLY_EIO_PACKET_PONG:
      session_schedule_ping (self);
      break;

    case ORDERLY_EIO_PACKET_PING:
      /* In v4 only the server pings. */
      session_close_internal (self, CLOSE_ERROR, "invalid heartbeat direction");
      break;

    case ORDERLY_EIO_PACKET_MESSAGE:
      g_signal_emit (self, session_signals[SIGNAL_MESSAGE], 0, packet->data, packet->binary);
      break;

    case ORDERLY_EIO_PACKET_CLOSE:
      session_close_internal (self, CLOSE_BY_CLIENT, "transport close");
      break;

    case ORDERLY_EIO_PACKET_OPEN:
      session_close_internal (self, CLOSE_ERROR, "parse error");
      break;

    case ORDERLY_EIO_PACKET_UPGRADE:
    case ORDERLY_EIO_PACKET_NOOP:
    default:
      break;
    }
}

/* WebSocket */

static void
ws_message_cb (OrderlyWsConnection     *ws,
               gint                     type,
               GBytes                  *message,
               gpointer                 user_data)
{
  OrderlyEioSession *self = user_data;
  G_GNUC_UNUSED g_autoptr(OrderlyEioSession) hold = g_object_ref (self);
  g_autoptr(OrderlyEioPacket) packet = NULL;

  if (type == SOUP_WEBSOCKET_DATA_BINARY)
    packet = orderly_eio_packet_new (ORDERLY_EIO_PACKET_MESSAGE, TRUE, message);
  else
    {
      gsize length;
      const char *text = g_bytes_get_data (message, &length);

      packet = orderly_eio_packet_decode (text, length, NULL);
    }

  if (ws == self->probe)
    {
      if (packet != NULL && packet->type == ORDERLY_EIO_PACKET_PING && !packet->binary &&
          g_bytes_get_size (packet->data) == 5 &&
          memcmp (g_bytes_get_data (packet->data, NULL), "probe", 5) == 0)
        {
          orderly_ws_connection_send_text (ws, "3probe");
          self->probe_answered = TRUE;
          /* Release the GET the client is waiting on before it sends upgrade. */
          if (self->pending_get != NULL && self->queue.length == 0)
            session_release_get (self, "6", 1);
          return;
        }

      if (packet != NULL && packet->type == ORDERLY_EIO_PACKET_UPGRADE && self->probe_answered)
        {
          g_clear_handle_id (&self->noop_source, g_source_remove);
          g_clear_handle_id (&self->upgrade_source, g_source_remove);
          if (self->pending_get != NULL)
            session_release_get (self, "6", 1);
          self->transport = ORDERLY_EIO_TRANSPORT_WEBSOCKET;
          self->ws = g_steal_pointer (&self->probe);
          session_prepare_ws (self);
          session_flush (self);
          g_signal_emit (self, session_signals[SIGNAL_UPGRADED], 0);
          return;
        }

      ws_close_and_release (&self->probe, self, SOUP_WEBSOCKET_CLOSE_NORMAL);
      g_clear_handle_id (&self->noop_source, g_source_remove);
      g_clear_handle_id (&self->upgrade_source, g_source_remove);
      return;
    }

  if (ws != self->ws)
    return;

  if (packet == NULL)
    {
      session_close_internal (self, CLOSE_ERROR, "parse error");
      return;
    }

  session_handle_packet (self, packet);
}

static void
ws_closed_cb (OrderlyWsConnection     *ws,
              gpointer                 user_data)
{
  OrderlyEioSession *self = user_data;

  if (ws == self->probe)
    {
      ws_close_and_release (&self->probe, self, SOUP_WEBSOCKET_CLOSE_NORMAL);
      g_clear_handle_id (&self->noop_source, g_source_remove);
      g_clear_handle_id (&self->upgrade_source, g_source_remove);
    }
  else if (ws == self->ws)
    session_close_internal (self, CLOSE_ERROR, "transport close");
}

static void
session_watch_ws (OrderlyEioSession   *self,
                  OrderlyWsConnection *ws)
{
  if (self->server != NULL)
    orderly_ws_connection_set_max_incoming_payload_size (ws, self->server->max_payload);
  g_signal_connect (ws, "message", G_CALLBACK (ws_message_cb), self);
  g_signal_connect (ws, "closed", G_CALLBACK (ws_closed_cb), self);
}

static gboolean
probe_noop_cb (gpointer user_data)
{
  OrderlyEioSession *self = user_data;

  if (self->probe_answered && self->pending_get != NULL && self->queue.length == 0)
    session_release_get (self, "6", 1);
  return G_SOURCE_CONTINUE;
}

static gboolean
upgrade_timeout_cb (gpointer user_data)
{
  OrderlyEioSession *self = user_data;

  self->upgrade_source = 0;
  g_clear_handle_id (&self->noop_source, g_source_remove);
  ws_close_and_release (&self->probe, self, SOUP_WEBSOCKET_CLOSE_NORMAL);
  return G_SOURCE_REMOVE;
}

/* Server */

static void
orderly_eio_server_dispose (GObject *object)
{
  OrderlyEioServer *self = ORDERLY_EIO_SERVER (object);

  orderly_eio_server_close_all (self);
  orderly_eio_server_detach (self);

  G_OBJECT_CLASS (orderly_eio_server_parent_class)->dispose (object);
}

static void
orderly_eio_server_finalize (GObject *object)
{
  OrderlyEioServer *self = ORDERLY_EIO_SERVER (object);

  if (self->request_destroy != NULL)
    self->request_destroy (self->request_data);
  g_free (self->path);
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_pointer (&self->heartbeat, orderly_eio_heartbeat_free);
  g_strfreev (self->cors_origins);

  G_OBJECT_CLASS (orderly_eio_server_parent_class)->finalize (object);
}

static void
orderly_eio_server_class_init (OrderlyEioServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = orderly_eio_server_dispose;
  object_class->finalize = orderly_eio_server_finalize;

  /**
   * OrderlyEioServer::connection:
   * @session: the new session
   *
   * Emitted after a handshake, once the open packet is on its way.
   */
  server_signals[SERVER_CONNECTION] =
    g_signal_new ("connection", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ORDERLY_TYPE_EIO_SESSION);
}

static void
orderly_eio_server_init (OrderlyEioServer *self)
{
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  self->ping_interval = ORDERLY_EIO_DEFAULT_PING_INTERVAL;
  self->ping_timeout = ORDERLY_EIO_DEFAULT_PING_TIMEOUT;
  self->heartbeat = orderly_eio_heartbeat_new (session_ping_cb, session_ping_timeout_cb, self);
  orderly_eio_heartbeat_set_timing (self->heartbeat, self->ping_interval, self->ping_timeout);
  self->upgrade_timeout = ORDERLY_EIO_DEFAULT_UPGRADE_TIMEOUT;
  self->max_payload = ORDERLY_EIO_DEFAULT_MAX_PAYLOAD;
  self->max_queue = ORDERLY_EIO_DEFAULT_MAX_QUEUE;
}

/**
 * orderly_eio_server_new:
 * @path: the path prefix without a trailing slash, e.g. "/socket.io"
 *
 * Returns: (transfer full): a new server, not yet attached
 */
OrderlyEioServer *
orderly_eio_server_new (const char *path)
{
  OrderlyEioServer *self;

  g_return_val_if_fail (path != NULL && path[0] == '/', NULL);

  self = g_object_new (ORDERLY_TYPE_EIO_SERVER, NULL);
  self->path = g_strdup (path);
  if (g_str_has_suffix (self->path, "/") && strlen (self->path) > 1)
    self->path[strlen (self->path) - 1] = '\0';
  return self;
}

const char *
orderly_eio_server_get_path (OrderlyEioServer *self)
{
  g_return_val_if_fail (ORDERLY_IS_EIO_SERVER (self), NULL);
  return self->path;
}

void
orderly_eio_server_set_heartbeat (OrderlyEioServer *self,
                                  guint             ping_interval_ms,
                                  guint             ping_timeout_ms)
{
  g_return_if_fail (ORDERLY_IS_EIO_SERVER (self));
  g_return_if_fail (ping_interval_ms > 0 && ping_timeout_ms > 0);

  self->ping_interval = ping_interval_ms;
  self->ping_timeout = ping_timeout_ms;
  orderly_eio_heartbeat_set_timing (self->heartbeat, ping_interval_ms, ping_timeout_ms);
}

void
orderly_eio_server_set_upgrade_timeout (OrderlyEioServer *self,
                                        guint             timeout_ms)
{
  g_return_if_fail (ORDERLY_IS_EIO_SERVER (self));
  self->upgrade_timeout = timeout_ms;
}

void
orderly_eio_server_set_max_payload (OrderlyEioServer *self,
                                    gsize             max_payload)
{
  g_return_if_fail (ORDERLY_IS_EIO_SERVER (self));
  g_return_if_fail (max_payload > 0);
  self->max_payload = max_payload;
}

/**
 * orderly_eio_server_set_max_queue:
 * @self: a server
 * @max_packets: the most packets a polling session may hold for its
 *   next GET; past it the oldest are dropped
 */
void
orderly_eio_server_set_max_queue (OrderlyEioServer *self,
                                  guint             max_packets)
{
  g_return_if_fail (ORDERLY_IS_EIO_SERVER (self));
  g_return_if_fail (max_packets > 0);
  self->max_queue = max_packets;
}

/**
 * orderly_eio_server_set_cors_origins:
 * @self: a server
 * @origins: (nullable) (array zero-terminated=1): origins allowed to poll
 *   cross-origin; "*" allows any origin, without credentials
 *
 * With %NULL (the default) no CORS header is ever sent.
 */
void
orderly_eio_server_set_cors_origins (OrderlyEioServer   *self,
                                     const char * const *origins)
{
  g_return_if_fail (ORDERLY_IS_EIO_SERVER (self));

  g_strfreev (self->cors_origins);
  self->cors_origins = g_strdupv ((char **) origins);
}

/**
 * orderly_eio_server_set_request_func:
 * @self: a server
 * @func: (nullable): checks every request before Engine.IO looks at it
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data
 *
 * When @func returns %FALSE the request is refused: with the response
 * @func set, or 403 {"code":4,"message":"Forbidden"} if it set none.
 */
void
orderly_eio_server_set_request_func (OrderlyEioServer      *self,
                                     OrderlyEioRequestFunc  func,
                                     gpointer               user_data,
                                     GDestroyNotify         destroy)
{
  g_return_if_fail (ORDERLY_IS_EIO_SERVER (self));

  if (self->request_destroy != NULL)
    self->request_destroy (self->request_data);
  self->request_func = func;
  self->request_data = user_data;
  self->request_destroy = destroy;
}

guint
orderly_eio_server_get_n_sessions (OrderlyEioServer *self)
{
  g_return_val_if_fail (ORDERLY_IS_EIO_SERVER (self), 0);
  return g_hash_table_size (self->sessions);
}

/**
 * orderly_eio_server_close_all:
 * @self: a server
 *
 * Ends every session at once, e.g. when the application quits.
 */
void
orderly_eio_server_close_all (OrderlyEioServer *self)
{
  g_autoptr(GPtrArray) sessions = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (ORDERLY_IS_EIO_SERVER (self));

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (sessions, g_object_ref (value));

  for (guint i = 0; i < sessions->len; i++)
    {
      OrderlyEioSession *session = g_ptr_array_index (sessions, i);

      session_close_internal (session, CLOSE_ERROR, "server shutting down");
      session_forget (session);
    }
}

static void
add_cors_headers (OrderlyEioServer  *self,
                  SoupServerMessage *msg,
                  gboolean          *allowed)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  const char *origin = soup_message_headers_get_one (request, "Origin");

  *allowed = FALSE;
  if (self->cors_origins == NULL)
    return;

  if (g_strv_contains ((const char * const *) self->cors_origins, "*"))
    {
      soup_message_headers_replace (response, "Access-Control-Allow-Origin", "*");
      *allowed = TRUE;
    }
  else if (origin != NULL && g_strv_contains ((const char * const *) self->cors_origins, origin))
    {
      soup_message_headers_replace (response, "Access-Control-Allow-Origin", origin);
      soup_message_headers_replace (response, "Access-Control-Allow-Credentials", "true");
      soup_message_headers_append (response, "Vary", "Origin");
      *allowed = TRUE;
    }
}

static void
respond_error (SoupServerMessage *msg,
               int                code,
               gboolean           upgrade)
{
  if (upgrade)
    {
      const char *text = error_messages[code];

      soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
      soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC, text, strlen (text));
    }
  else
    {
      g_autofree char *body = g_strdup_printf ("{\"code\":%d,\"message\":\"%s\"}", code, error_messages[code]);

      soup_server_message_set_status (msg, code == 4 ? SOUP_STATUS_FORBIDDEN : SOUP_STATUS_BAD_REQUEST, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body, strlen (body));
    }
}

static void
respond_empty (SoupServerMessage *msg,
               guint              status)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "", 0);
}

static gboolean
is_upgrade_request (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  return soup_message_headers_header_contains (headers, "Upgrade", "websocket");
}

static OrderlyEioSession *
server_create_session (OrderlyEioServer    *self,
                       SoupServerMessage   *msg,
                       GHashTable          *query,
                       OrderlyEioTransport  transport)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  OrderlyEioSession *session = g_object_new (ORDERLY_TYPE_EIO_SESSION, NULL);

  do
    {
      g_free (session->id);
      session->id = orderly_eio_generate_id ();
    }
  while (g_hash_table_contains (self->sessions, session->id));

  session->server = self;
  session->transport = transport;
  session->state = SESSION_OPEN;
  session->remote_address = g_strdup (soup_server_message_get_remote_host (msg));
  session->user_agent = g_strdup (soup_message_headers_get_one (headers, "User-Agent"));
  session->cookie = g_strdup (soup_message_headers_get_one (headers, "Cookie"));
  session->origin = g_strdup (soup_message_headers_get_one (headers, "Origin"));
  session->query = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (query != NULL)
    {
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, query);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (session->query, g_strdup (key), g_strdup (value));
    }

  g_hash_table_insert (self->sessions, session->id, session);
  return session;
}

static char *
server_open_packet (OrderlyEioServer *self,
                    const char       *sid,
                    gboolean          can_upgrade)
{
  return g_strdup_printf ("0{\"sid\":\"%s\",\"upgrades\":[%s],\"pingInterval\":%u,"
                          "\"pingTimeout\":%u,\"maxPayload\":%" G_GSIZE_FORMAT "}",
                          sid, can_upgrade ? "\"websocket\"" : "",
                          self->ping_interval, self->ping_timeout, self->max_payload);
}

static void
pending_get_disconnected_cb (SoupServerMessage *msg,
                             gpointer           user_data)
{
  OrderlyEioSession *self = user_data;

  if (self->pending_get != msg)
    return;

  session_unwatch_get (self);
  g_clear_signal_handler (&self->pending_disconnected_id, msg);
  g_clear_object (&self->pending_get);
  session_close_internal (self, CLOSE_ERROR, "transport error");
}

/* libsoup reads nothing from a paused request's connection, so it cannot
 * see a client that leaves during a long poll; this watch does. */
static gboolean
pending_get_socket_cb (GSocket      *socket,
                       GIOCondition  condition,
                       gpointer      user_data)
{
  OrderlyEioSession *self = user_data;
  char byte;
  gssize peeked = recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);

  if ((condition & (G_IO_HUP | G_IO_ERR)) == 0)
    {
      if (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return G_SOURCE_CONTINUE;
      if (peeked > 0)
        {
          /* More from the client, not a hang-up: stop watching. */
          g_clear_pointer (&self->pending_watch, g_source_unref);
          return G_SOURCE_REMOVE;
        }
    }

  g_clear_pointer (&self->pending_watch, g_source_unref);
  session_close_internal (self, CLOSE_ERROR, "transport error");
  return G_SOURCE_REMOVE;
}

static void
handle_poll_get (OrderlyEioSession *self,
                 SoupServerMessage *msg)
{
  if (self->pending_get != NULL)
    {
      /* Overlapping GETs: the reference treats this as a transport error. */
      session_close_internal (self, CLOSE_ERROR, "transport error");
      respond_empty (msg, SOUP_STATUS_BAD_REQUEST);
      return;
    }

  if (self->queue.length > 0)
    {
      g_autoptr(GString) payload = session_take_payload (self);

      respond_payload (msg, payload->str, payload->len);
      if (self->state == SESSION_CLOSING)
        session_forget (self);
      else
        g_signal_emit (self, session_signals[SIGNAL_DRAINED], 0);
      return;
    }

  if (self->probe_answered)
    {
      respond_payload (msg, "6", 1);
      return;
    }

  /* The status must be set before pausing, or libsoup's WebSocket code
   * writes its own error into the held response. */
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_pause (msg);
  self->pending_get = g_object_ref (msg);
  self->pending_disconnected_id = g_signal_connect (msg, "disconnected",
                                                    G_CALLBACK (pending_get_disconnected_cb), self);

  if (soup_server_message_get_socket (msg) != NULL)
    {
      self->pending_watch = g_socket_create_source (soup_server_message_get_socket (msg),
                                                    G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
      g_source_set_callback (self->pending_watch, G_SOURCE_FUNC (pending_get_socket_cb), self, NULL);
      g_source_attach (self->pending_watch, g_main_context_get_thread_default ());
    }
}

static void
handle_poll_post (OrderlyEioSession *self,
                  SoupServerMessage *msg)
{
  G_GNUC_UNUSED g_autoptr(OrderlyEioSession) hold = g_object_ref (self);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  const char *content_type;
  g_autoptr(GPtrArray) packets = NULL;
  gsize length;
  const char *data = g_bytes_get_data (bytes, &length);

  if (self->server != NULL && length > self->server->max_payload)
    {
      respond_empty (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
      return;
    }

  content_type = soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg), NULL);
  if (g_strcmp0 (content_type, "application/octet-stream") == 0)
    {
      session_close_internal (self, CLOSE_ERROR, "invalid content");
      respond_empty (msg, SOUP_STATUS_BAD_REQUEST);
      return;
    }

  packets = orderly_eio_payload_decode (data, length, NULL);
  if (packets == NULL)
    {
      session_close_internal (self, CLOSE_ERROR, "parse error");
      respond_empty (msg, SOUP_STATUS_BAD_REQUEST);
      return;
    }

  for (guint i = 0; i < packets->len && self->state == SESSION_OPEN; i++)
    session_handle_packet (self, g_ptr_array_index (packets, i));

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  set_no_store (msg);
  soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC, "ok", 2);
}

static void
server_handshake_polling (OrderlyEioServer  *self,
                          SoupServerMessage *msg,
                          GHashTable        *query)
{
  OrderlyEioSession *session = server_create_session (self, msg, query, ORDERLY_EIO_TRANSPORT_POLLING);
  g_autofree char *open = server_open_packet (self, session->id, TRUE);

  respond_payload (msg, open, strlen (open));
  session_schedule_ping (session);
  g_signal_emit (self, server_signals[SERVER_CONNECTION], 0, session);
}

static void server_websocket_opened (OrderlyEioServer    *self,
                                     SoupServerMessage   *msg,
                                     GHashTable          *query,
                                     OrderlyWsConnection *ws);

typedef struct
{
  OrderlyEioServer *server;
  GHashTable       *query;
} Upgrade;

static void
upgrade_free (gpointer data)
{
  Upgrade *upgrade = data;

  g_object_unref (upgrade->server);
  g_clear_pointer (&upgrade->query, g_hash_table_unref);
  g_free (upgrade);
}

static void
upgrade_accepted_cb (SoupServerMessage   *msg,
                     OrderlyWsConnection *ws,
                     gpointer             user_data)
{
  Upgrade *upgrade = user_data;

  if (upgrade->server->soup_server == NULL)
    {
      orderly_ws_connection_close (ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
      return;
    }
  server_websocket_opened (upgrade->server, msg, upgrade->query, ws);
}

static void
server_accept_upgrade (OrderlyEioServer  *self,
                       SoupServerMessage *msg,
                       GHashTable        *query)
{
  Upgrade *upgrade = g_new0 (Upgrade, 1);

  upgrade->server = g_object_ref (self);
  upgrade->query = query != NULL ? g_hash_table_ref (query) : NULL;
  orderly_ws_connection_accept (msg, upgrade_accepted_cb, upgrade, upgrade_free);
}

static void
server_http_cb (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  OrderlyEioServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  gboolean upgrade = is_upgrade_request (msg);
  const char *transport = query != NULL ? g_hash_table_lookup (query, "transport") : NULL;
  const char *sid = query != NULL ? g_hash_table_lookup (query, "sid") : NULL;
  const char *eio = query != NULL ? g_hash_table_lookup (query, "EIO") : NULL;
  gboolean cors_allowed = FALSE;
  OrderlyEioSession *session = NULL;
  gsize prefix_len = strlen (self->path);

  if (strncmp (path, self->path, prefix_len) != 0 || path[prefix_len] != '/')
    {
      respond_empty (msg, SOUP_STATUS_NOT_FOUND);
      return;
    }

  if (!upgrade)
    add_cors_headers (self, msg, &cors_allowed);

  if (self->request_func != NULL &&
      !self->request_func (self, msg, query, upgrade, self->request_data))
    {
      if (soup_server_message_get_status (msg) == 0)
        respond_error (msg, 4, upgrade);
      return;
    }

  if (!upgrade && cors_allowed && g_strcmp0 (method, "OPTIONS") == 0)
    {
      SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
      SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
      const char *asked = soup_message_headers_get_one (request, "Access-Control-Request-Headers");

      soup_message_headers_replace (response, "Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE");
      if (asked != NULL)
        {
          soup_message_headers_replace (response, "Access-Control-Allow-Headers", asked);
          soup_message_headers_append (response, "Vary", "Access-Control-Request-Headers");
        }
      respond_empty (msg, SOUP_STATUS_NO_CONTENT);
      return;
    }

  if (g_strcmp0 (transport, "polling") != 0 && g_strcmp0 (transport, "websocket") != 0)
    {
      respond_error (msg, ERROR_UNKNOWN_TRANSPORT, upgrade);
      return;
    }

  if (sid != NULL)
    {
      session = g_hash_table_lookup (self->sessions, sid);
      if (session == NULL)
        {
          respond_error (msg, ERROR_UNKNOWN_SID, upgrade);
          return;
        }

      if (upgrade)
        {
          server_accept_upgrade (self, msg, query);
          return;
        }

      if (g_strcmp0 (transport, "polling") != 0 ||
          session->transport != ORDERLY_EIO_TRANSPORT_POLLING)
        {
          respond_error (msg, ERROR_BAD_REQUEST, FALSE);
          return;
        }

      if (session->state == SESSION_CLOSING && g_strcmp0 (method, "GET") != 0)
        {
          respond_error (msg, ERROR_UNKNOWN_SID, FALSE);
          return;
        }

      if (g_strcmp0 (method, "GET") == 0)
        handle_poll_get (session, msg);
      else if (g_strcmp0 (method, "POST") == 0)
        handle_poll_post (session, msg);
      else
        respond_empty (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR);
      return;
    }

  if (g_strcmp0 (method, "GET") != 0)
    {
      respond_error (msg, ERROR_BAD_HANDSHAKE_METHOD, upgrade);
      return;
    }

  if (!upgrade && g_strcmp0 (transport, "websocket") == 0)
    {
      respond_error (msg, ERROR_BAD_REQUEST, FALSE);
      return;
    }

  if (g_strcmp0 (eio, "4") != 0)
    {
      respond_error (msg, ERROR_UNSUPPORTED_PROTOCOL_VERSION, upgrade);
      return;
    }

  if (upgrade)
    {
      server_accept_upgrade (self, msg, query);
      return;
    }

  server_handshake_polling (self, msg, query);
}

static void
server_websocket_opened (OrderlyEioServer    *self,
                         SoupServerMessage   *msg,
                         GHashTable          *query,
                         OrderlyWsConnection *ws)
{
  const char *transport = query != NULL ? g_hash_table_lookup (query, "transport") : NULL;
  const char *sid = query != NULL ? g_hash_table_lookup (query, "sid") : NULL;
  OrderlyEioSession *session;

  if (g_strcmp0 (transport, "websocket") != 0)
    {
      orderly_ws_connection_close (ws, SOUP_WEBSOCKET_CLOSE_NORMAL);
      return;
    }

  if (sid != NULL)
    {
      session = g_hash_table_lookup (self->sessions, sid);
      if (session == NULL || session->state != SESSION_OPEN ||
          session->transport != ORDERLY_EIO_TRANSPORT_POLLING || session->probe != NULL)
        {
          orderly_ws_connection_close (ws, SOUP_WEBSOCKET_CLOSE_NORMAL);
          return;
        }

      session->probe = g_object_ref (ws);
      session->probe_answered = FALSE;
      session_watch_ws (session, ws);
      session->upgrade_source = g_timeout_add (self->upgrade_timeout, upgrade_timeout_cb, session);
      session->noop_source = g_timeout_add (PROBE_NOOP_INTERVAL_MS, probe_noop_cb, session);
      return;
    }

  {
    g_autofree char *open = NULL;
    g_autoptr(GBytes) open_bytes = NULL;

    session = server_create_session (self, msg, query, ORDERLY_EIO_TRANSPORT_WEBSOCKET);
    session->ws = g_object_ref (ws);
    session_prepare_ws (session);
    session_watch_ws (session, ws);

    open = server_open_packet (self, session->id, FALSE);
    open_bytes = g_bytes_new (open, strlen (open));
    orderly_ws_connection_send (session->ws, FALSE, open_bytes);
    session_schedule_ping (session);
    g_signal_emit (self, server_signals[SERVER_CONNECTION], 0, session);
  }
}

/* Runs once the headers are in: refuses an over-size body before it is
 * read, and keeps the body accumulated whatever other early handlers of
 * the application do for other paths. */
static void
server_early_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  OrderlyEioServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > (goffset) self->max_payload)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
      respond_empty (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
    }
}

/**
 * orderly_eio_server_attach:
 * @self: a server
 * @server: the SoupServer to serve from
 *
 * Registers the handler for polling and WebSocket under the path prefix.
 */
void
orderly_eio_server_attach (OrderlyEioServer *self,
                           SoupServer       *server)
{
  g_return_if_fail (ORDERLY_IS_EIO_SERVER (self));
  g_return_if_fail (SOUP_IS_SERVER (server));
  g_return_if_fail (self->soup_server == NULL);

  g_set_weak_pointer (&self->soup_server, server);
  soup_server_add_early_handler (server, self->path, server_early_cb, self, NULL);
  soup_server_add_handler (server, self->path, server_http_cb, self, NULL);
}

void
orderly_eio_server_detach (OrderlyEioServer *self)
{
  g_return_if_fail (ORDERLY_IS_EIO_SERVER (self));

  if (self->soup_server != NULL)
    {
      soup_server_remove_handler (self->soup_server, self->path);
      g_clear_weak_pointer (&self->soup_server);
    }
}
