/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-engineio"

#include "config.h"

#include <errno.h>
#include <sys/socket.h>

#include "orderly-eio-server-private.h"
#include "orderly-eio-session-private.h"

/* The polling transport: a GET is held until there is something to send,
 * and everything queued by then leaves in its one response; a POST carries
 * packets from the client. */

static void
set_no_store (SoupServerMessage *msg)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-store");
}

void
_orderly_eio_respond_payload (SoupServerMessage *msg,
                              const char        *body,
                              gsize              length)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  set_no_store (msg);
  soup_server_message_set_response (msg, "text/plain; charset=UTF-8", SOUP_MEMORY_COPY, body, length);
}

void
_orderly_eio_respond_empty (SoupServerMessage *msg,
                            guint              status)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "", 0);
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

/* Stops watching @msg, the GET that was held; it is still paused. */
void
_orderly_eio_session_unhold_get (OrderlyEioSession *self,
                                 SoupServerMessage *msg)
{
  session_unwatch_get (self);
  g_clear_signal_handler (&self->pending_disconnected_id, msg);
}

/* Completes the held GET with @body and lets libsoup send it. */
void
_orderly_eio_session_release_get (OrderlyEioSession *self,
                                  const char        *body,
                                  gsize              length)
{
  g_autoptr(SoupServerMessage) msg = g_steal_pointer (&self->pending_get);

  if (msg == NULL)
    return;

  _orderly_eio_session_unhold_get (self, msg);
  _orderly_eio_respond_payload (msg, body, length);
  soup_server_message_unpause (msg);
}

static GString *
session_take_payload (OrderlyEioSession *self)
{
  GString *payload = g_string_new (NULL);
  GQueue *queue = _orderly_eio_session_steal_queue (self);
  OrderlyEioOutItem *item;

  while ((item = g_queue_pop_head (queue)) != NULL)
    {
      if (item->binary)
        orderly_eio_payload_append_binary (payload, item->bytes);
      else
        {
          gsize length;
          const char *data = g_bytes_get_data (item->bytes, &length);

          orderly_eio_payload_append (payload, data, length);
        }
      _orderly_eio_session_out_item_free (item);
    }
  g_queue_free (queue);

  return payload;
}

/* The queue has been handed to the client: a closing session is done, an
 * open one may take more. */
static void
session_drained (OrderlyEioSession *self)
{
  if (self->state == ORDERLY_EIO_SESSION_CLOSING)
    _orderly_eio_session_forget (self);
  else
    g_signal_emit (self, _orderly_eio_session_signals[ORDERLY_EIO_SESSION_SIGNAL_DRAINED], 0);
}

/* Answers the held GET with everything queued. */
void
_orderly_eio_session_answer_get (OrderlyEioSession *self)
{
  g_autoptr(GString) payload = session_take_payload (self);

  g_clear_handle_id (&self->release_source, g_source_remove);
  _orderly_eio_session_release_get (self, payload->str, payload->len);
  session_drained (self);
}

static gboolean
release_get_cb (gpointer user_data)
{
  OrderlyEioSession *self = user_data;
  G_GNUC_UNUSED g_autoptr(OrderlyEioSession) hold = g_object_ref (self);

  self->release_source = 0;
  if (self->pending_get != NULL && self->queue.length > 0)
    _orderly_eio_session_answer_get (self);
  return G_SOURCE_REMOVE;
}

/* Everything sent during this main-loop iteration goes in one response. */
void
_orderly_eio_session_answer_soon (OrderlyEioSession *self)
{
  if (self->pending_get != NULL && self->release_source == 0)
    self->release_source = g_idle_add_full (G_PRIORITY_DEFAULT, release_get_cb, self, NULL);
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
  _orderly_eio_session_close (self, ORDERLY_EIO_CLOSE_ERROR, "transport error");
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
  _orderly_eio_session_close (self, ORDERLY_EIO_CLOSE_ERROR, "transport error");
  return G_SOURCE_REMOVE;
}

static void
session_hold_get (OrderlyEioSession *self,
                  SoupServerMessage *msg)
{
  GSocket *socket = _orderly_eio_server_get_socket (self->server, msg);

  /* The status must be set before pausing, or libsoup's WebSocket code
   * writes its own error into the held response. */
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_pause (msg);
  self->pending_get = g_object_ref (msg);
  self->pending_disconnected_id = g_signal_connect (msg, "disconnected",
                                                    G_CALLBACK (pending_get_disconnected_cb), self);

  if (socket != NULL)
    {
      self->pending_watch = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
      g_source_set_callback (self->pending_watch, G_SOURCE_FUNC (pending_get_socket_cb), self, NULL);
      g_source_attach (self->pending_watch, g_main_context_get_thread_default ());
    }
}

void
_orderly_eio_session_handle_get (OrderlyEioSession *self,
                                 SoupServerMessage *msg)
{
  if (self->pending_get != NULL)
    {
      /* Overlapping GETs: the reference treats this as a transport error. */
      _orderly_eio_session_close (self, ORDERLY_EIO_CLOSE_ERROR, "transport error");
      _orderly_eio_respond_empty (msg, SOUP_STATUS_BAD_REQUEST);
      return;
    }

  if (self->queue.length > 0)
    {
      g_autoptr(GString) payload = session_take_payload (self);

      _orderly_eio_respond_payload (msg, payload->str, payload->len);
      session_drained (self);
      return;
    }

  session_hold_get (self, msg);
}

void
_orderly_eio_session_handle_post (OrderlyEioSession *self,
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
      _orderly_eio_respond_empty (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
      return;
    }

  content_type = soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg), NULL);
  if (g_strcmp0 (content_type, "application/octet-stream") == 0)
    {
      _orderly_eio_session_close (self, ORDERLY_EIO_CLOSE_ERROR, "invalid content");
      _orderly_eio_respond_empty (msg, SOUP_STATUS_BAD_REQUEST);
      return;
    }

  packets = orderly_eio_payload_decode (data, length, NULL);
  if (packets == NULL)
    {
      _orderly_eio_session_close (self, ORDERLY_EIO_CLOSE_ERROR, "parse error");
      _orderly_eio_respond_empty (msg, SOUP_STATUS_BAD_REQUEST);
      return;
    }

  for (guint i = 0; i < packets->len && self->state == ORDERLY_EIO_SESSION_OPEN; i++)
    _orderly_eio_session_handle_packet (self, g_ptr_array_index (packets, i));

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  set_no_store (msg);
  soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC, "ok", 2);
}
