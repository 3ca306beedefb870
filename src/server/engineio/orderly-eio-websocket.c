/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-engineio"

#include "config.h"

#include <string.h>

#include "orderly-eio-server-private.h"
#include "orderly-eio-session-private.h"

/* The WebSocket transport: a session opened on a WebSocket, or a polling
 * session that probes one and upgrades to it. Each packet is one message. */

/* How often a GET held during an upgrade probe is released with a noop. */
#define PROBE_NOOP_INTERVAL_MS 100
void
_orderly_eio_session_send_ws (OrderlyEioSession *self,
                              OrderlyEioOutItem *item)
{
  if (self->ws == NULL || orderly_ws_connection_get_state (self->ws) != ORDERLY_WS_STATE_OPEN)
    return;

  /* A client that leaves too much unread is dropped by the connection
   * itself, which ends the session ("transport close"). */
  orderly_ws_connection_send (self->ws, item->binary, item->bytes);
}

/* The close frame follows whatever is still queued; the connection keeps
 * itself alive until the handshake is over. */
static void
ws_close_and_release (OrderlyWsConnection **ws_location,
                      gpointer              handler_data)
{
  g_autoptr(OrderlyWsConnection) ws = g_steal_pointer (ws_location);

  if (ws == NULL)
    return;

  g_signal_handlers_disconnect_by_data (ws, handler_data);
  orderly_ws_connection_close (ws, SOUP_WEBSOCKET_CLOSE_NORMAL);
}

static void
session_drop_probe (OrderlyEioSession *self)
{
  self->probe_answered = FALSE;
  ws_close_and_release (&self->probe, self);
  g_clear_handle_id (&self->noop_source, g_source_remove);
  g_clear_handle_id (&self->upgrade_source, g_source_remove);
}

void
_orderly_eio_session_close_ws (OrderlyEioSession *self)
{
  session_drop_probe (self);
  ws_close_and_release (&self->ws, self);
}

static void
ws_drained_cb (OrderlyWsConnection *ws,
               gpointer             user_data)
{
  g_signal_emit (user_data, _orderly_eio_session_signals[ORDERLY_EIO_SESSION_SIGNAL_DRAINED], 0);
}

/* The client sent upgrade on the probe: the session moves over, and what
 * polling had not carried yet goes on the WebSocket. */
static void
session_upgrade (OrderlyEioSession *self)
{
  g_autoptr(SoupServerMessage) late_get = g_steal_pointer (&self->pending_get);

  g_clear_handle_id (&self->noop_source, g_source_remove);
  g_clear_handle_id (&self->upgrade_source, g_source_remove);
  self->transport = ORDERLY_EIO_TRANSPORT_WEBSOCKET;
  self->ws = g_steal_pointer (&self->probe);
  self->probe_answered = FALSE;
  g_signal_connect (self->ws, "drained", G_CALLBACK (ws_drained_cb), self);
  _orderly_eio_session_send_queue (self);

  /* A client that upgrades has no GET of its own in flight any more; one
   * held now came after the probe was answered, and is treated as any
   * poll after the upgrade is. */
  if (late_get != NULL)
    {
      _orderly_eio_session_unhold_get (self, late_get);
      _orderly_eio_respond_error (late_get, ORDERLY_EIO_CODE_BAD_REQUEST, FALSE);
      soup_server_message_unpause (late_get);
    }

  g_signal_emit (self, _orderly_eio_session_signals[ORDERLY_EIO_SESSION_SIGNAL_UPGRADED], 0);
}

static gboolean
probe_noop_cb (gpointer user_data)
{
  OrderlyEioSession *self = user_data;

  if (self->pending_get != NULL && self->queue.length == 0)
    _orderly_eio_session_release_get (self, "6", 1);
  return G_SOURCE_CONTINUE;
}

static gboolean
is_probe (OrderlyEioPacket *packet)
{
  return packet != NULL && packet->type == ORDERLY_EIO_PACKET_PING && !packet->binary &&
         g_bytes_get_size (packet->data) == 5 &&
         memcmp (g_bytes_get_data (packet->data, NULL), "probe", 5) == 0;
}

static void
probe_message (OrderlyEioSession   *self,
               OrderlyWsConnection *ws,
               OrderlyEioPacket    *packet)
{
  if (is_probe (packet))
    {
      orderly_ws_connection_send_text (ws, "3probe");
      self->probe_answered = TRUE;
      /* The client waits for its GET to come back before it sends upgrade;
       * the GET held now, or the next one, is released with a noop. As the
       * reference server does, this is a check every 100 ms rather than an
       * answer at once: a GET that comes in at the same time as the probe
       * may be one the client sent after its upgrade, which must not get
       * the noop. */
      if (self->noop_source == 0)
        self->noop_source = g_timeout_add (PROBE_NOOP_INTERVAL_MS, probe_noop_cb, self);
      return;
    }

  if (packet != NULL && packet->type == ORDERLY_EIO_PACKET_UPGRADE && self->probe_answered)
    {
      session_upgrade (self);
      return;
    }

  /* Anything else on a probe ends the probe; the session polls on. */
  session_drop_probe (self);
}

static void
ws_message_cb (OrderlyWsConnection *ws,
               gint                 type,
               GBytes              *message,
               gpointer             user_data)
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
    probe_message (self, ws, packet);
  else if (ws != self->ws)
    return;
  else if (packet == NULL)
    _orderly_eio_session_close (self, ORDERLY_EIO_CLOSE_ERROR, "parse error");
  else
    _orderly_eio_session_handle_packet (self, packet);
}

static void
ws_closed_cb (OrderlyWsConnection *ws,
              gpointer             user_data)
{
  OrderlyEioSession *self = user_data;

  if (ws == self->probe)
    session_drop_probe (self);
  else if (ws == self->ws)
    _orderly_eio_session_close (self, ORDERLY_EIO_CLOSE_ERROR, "transport close");
}

static void
session_watch_ws (OrderlyEioSession   *self,
                  OrderlyWsConnection *ws)
{
  if (self->server != NULL)
    {
      orderly_ws_connection_set_max_incoming_payload_size (ws, self->server->max_payload);
      orderly_ws_connection_set_max_outgoing_size (ws, _orderly_eio_session_max_outgoing (self));
    }
  g_signal_connect (ws, "message", G_CALLBACK (ws_message_cb), self);
  g_signal_connect (ws, "closed", G_CALLBACK (ws_closed_cb), self);
}

static gboolean
upgrade_timeout_cb (gpointer user_data)
{
  OrderlyEioSession *self = user_data;

  self->upgrade_source = 0;
  session_drop_probe (self);
  return G_SOURCE_REMOVE;
}

/**
 * _orderly_eio_session_open_websocket:
 * @self: a new session, on the WebSocket transport
 * @ws: its connection
 */
void
_orderly_eio_session_open_websocket (OrderlyEioSession   *self,
                                     OrderlyWsConnection *ws)
{
  self->ws = g_object_ref (ws);
  g_signal_connect (self->ws, "drained", G_CALLBACK (ws_drained_cb), self);
  session_watch_ws (self, ws);
}

/**
 * _orderly_eio_session_start_probe:
 * @self: a polling session
 * @ws: a WebSocket that came with its sid
 *
 * Takes @ws as the probe of an upgrade, or closes it when the session
 * cannot upgrade now: it is closed, already on WebSocket, or probing.
 */
void
_orderly_eio_session_start_probe (OrderlyEioSession   *self,
                                  OrderlyWsConnection *ws)
{
  if (self->state != ORDERLY_EIO_SESSION_OPEN || self->transport != ORDERLY_EIO_TRANSPORT_POLLING ||
      self->probe != NULL)
    {
      orderly_ws_connection_close (ws, SOUP_WEBSOCKET_CLOSE_NORMAL);
      return;
    }

  self->probe = g_object_ref (ws);
  self->probe_answered = FALSE;
  session_watch_ws (self, ws);
  self->upgrade_source = g_timeout_add (ORDERLY_EIO_UPGRADE_TIMEOUT_MS, upgrade_timeout_cb, self);
}
