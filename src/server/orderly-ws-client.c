/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-server"

#include "config.h"

#include <string.h>

#include "orderly-command-budget.h"
#include "orderly-json-reader.h"
#include "orderly-json-writer.h"
#include "orderly-server-limits.h"
#include "orderly-ws-client.h"

/* Larger messages than this close the connection with 1009 as they
 * arrive; between ORDERLY_SERVER_MAX_MESSAGE and this, the client is told
 * why first. */
#define MAX_INCOMING_PAYLOAD (1024 * 1024)

struct _OrderlyWsClient
{
  GObject                  parent_instance;

  OrderlyWsConnection     *connection;
  OrderlyClient           *client;
  OrderlyHub              *hub;
  OrderlyDispatcher       *dispatcher;
  OrderlySubscriber       *subscriber;   /* owned by the hub */
  OrderlyRole              role;

  gint64                   last_activity_us;
  gint64                   last_ping_us;
  OrderlyCommandBudget     budget;
  gboolean                 refusal_logged;
  gboolean                 closed;
};

G_DEFINE_FINAL_TYPE (OrderlyWsClient, orderly_ws_client, G_TYPE_OBJECT)

enum {
  CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
orderly_ws_client_dispose (GObject *object)
{
  OrderlyWsClient *self = (OrderlyWsClient *) object;

  if (self->subscriber != NULL)
    {
      orderly_hub_unsubscribe (self->hub, self->subscriber);
      self->subscriber = NULL;
    }
  if (self->connection != NULL)
    g_signal_handlers_disconnect_by_data (self->connection, self);

  G_OBJECT_CLASS (orderly_ws_client_parent_class)->dispose (object);
}

static void
orderly_ws_client_finalize (GObject *object)
{
  OrderlyWsClient *self = (OrderlyWsClient *) object;

  g_clear_object (&self->connection);
  g_clear_object (&self->client);
  g_clear_object (&self->hub);
  g_clear_object (&self->dispatcher);

  G_OBJECT_CLASS (orderly_ws_client_parent_class)->finalize (object);
}

static void
orderly_ws_client_class_init (OrderlyWsClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = orderly_ws_client_dispose;
  object_class->finalize = orderly_ws_client_finalize;

  /**
   * OrderlyWsClient::closed:
   *
   * The connection is closed; the client has left the hub.
   */
  signals[CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
orderly_ws_client_init (OrderlyWsClient *self)
{
  self->last_activity_us = g_get_monotonic_time ();
  self->last_ping_us = self->last_activity_us;
  orderly_command_budget_init (&self->budget, self->last_activity_us);
}

static gboolean
is_open (OrderlyWsClient *self)
{
  return !self->closed &&
         orderly_ws_connection_get_state (self->connection) == ORDERLY_WS_STATE_OPEN;
}

static void
send_bytes (OrderlyWsClient *self,
            GBytes          *bytes)
{
  if (is_open (self))
    orderly_ws_connection_send (self->connection, FALSE, bytes);
}

static void
send_text (OrderlyWsClient *self,
           char            *text)
{
  g_autoptr(GBytes) bytes = g_bytes_new_take (text, strlen (text));

  send_bytes (self, bytes);
  if (self->subscriber != NULL)
    orderly_subscriber_count_sent (self->subscriber, 1);
}

/* A reply to this client only, without seq: `{"event", "id"?, "data"}`. */
static void
send_reply (OrderlyWsClient *self,
            const char      *event,
            JsonNode        *id,
            JsonNode        *data)
{
  GString *out = g_string_sized_new (256);
  OrderlyJsonWriter writer;

  orderly_json_writer_init (&writer, out);
  orderly_json_writer_begin_object (&writer);
  orderly_json_writer_member (&writer, "event");
  orderly_json_writer_string (&writer, event);
  if (id != NULL)
    {
      orderly_json_writer_member (&writer, "id");
      orderly_json_writer_node (&writer, id);
    }
  orderly_json_writer_member (&writer, "data");
  orderly_json_writer_node (&writer, data);
  orderly_json_writer_end_object (&writer);
  send_text (self, g_string_free (out, FALSE));
}

/* The application-level keepalive: `{"event":"ping","data":{timestamp}}`. */
static void
send_ping (OrderlyWsClient *self)
{
  GString *out = g_string_sized_new (64);
  OrderlyJsonWriter writer;

  orderly_json_writer_init (&writer, out);
  orderly_json_writer_begin_object (&writer);
  orderly_json_writer_member (&writer, "event");
  orderly_json_writer_string (&writer, "ping");
  orderly_json_writer_member (&writer, "data");
  orderly_json_writer_begin_object (&writer);
  orderly_json_writer_member (&writer, "timestamp");
  orderly_json_writer_int (&writer, g_get_real_time () / 1000);
  orderly_json_writer_end_object (&writer);
  orderly_json_writer_end_object (&writer);
  send_text (self, g_string_free (out, FALSE));
}

static void
refuse (OrderlyWsClient *self,
        JsonNode        *id,
        guint            status_code,
        const char      *message)
{
  g_autoptr(JsonNode) body = orderly_dispatcher_error_body (status_code, message);

  if (!self->refusal_logged)
    {
      self->refusal_logged = TRUE;
      g_message ("Refused a message from WebSocket client %s (%s): %s",
                 orderly_client_get_id (self->client), orderly_client_get_address (self->client),
                 message);
    }
  send_reply (self, id != NULL ? "ack" : "error", id, body);
}

static gboolean
can_send_cb (gpointer transport)
{
  OrderlyWsClient *self = transport;

  /* While the kernel refuses data the hub keeps the events, with its own
   * bound; "drained" tells it to go on. */
  return is_open (self) && !orderly_ws_connection_is_blocked (self->connection);
}

static void
send_cb (gpointer         transport,
         OrderlyHubEvent *event,
         guint            first_line)
{
  OrderlyWsClient *self = transport;

  if (first_line == 0)
    {
      send_bytes (self, orderly_hub_event_get_frame (event));
    }
  else
    {
      g_autoptr(GBytes) frame = orderly_hub_event_dup_frame_from (event, first_line);

      send_bytes (self, frame);
    }
}

static void
close_cb (gpointer    transport,
          gushort     code,
          const char *reason)
{
  orderly_ws_client_close (transport, code, reason);
}

static const OrderlySubscriberFuncs subscriber_funcs = {
  can_send_cb,
  send_cb,
  close_cb,
};

static void
log_refusal (OrderlyWsClient *self,
             const char      *event,
             guint            status_code)
{
  if (self->refusal_logged)
    return;
  self->refusal_logged = TRUE;
  g_message ("Refused “%s” from WebSocket client %s (%s): %u", event,
             orderly_client_get_id (self->client), orderly_client_get_address (self->client),
             status_code);
}

/* An event whose reply the dispatcher gives later. */
typedef struct
{
  OrderlyWsClient *self;
  char            *event;
  JsonNode        *id;
} PendingEvent;

static void
pending_event_free (PendingEvent *pending)
{
  g_object_unref (pending->self);
  g_free (pending->event);
  g_clear_pointer (&pending->id, json_node_unref);
  g_free (pending);
}

static void
event_handled_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  PendingEvent *pending = user_data;
  OrderlyWsClient *self = pending->self;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(JsonNode) notice = NULL;
  const char *notice_name = NULL;
  guint status_code = 0;
  OrderlyDispatcherReply kind;

  kind = orderly_dispatcher_handle_event_finish (ORDERLY_DISPATCHER (object), result, &answer, &status_code,
                                                 &notice_name, &notice);
  /* The client may have gone meanwhile. */
  if (!is_open (self))
    kind = ORDERLY_DISPATCHER_REPLY_NONE;
  else if (notice != NULL)
    send_reply (self, notice_name, NULL, notice);

  switch (kind)
    {
    case ORDERLY_DISPATCHER_REPLY_STATUS:
      {
        g_autoptr(OrderlyHubEvent) status = orderly_hub_dup_status_event (self->hub);

        send_bytes (self, orderly_hub_event_get_frame (status));
      }
      break;
    case ORDERLY_DISPATCHER_REPLY_ERROR:
      log_refusal (self, pending->event, status_code);
      send_reply (self, "error", NULL, answer);
      break;
    case ORDERLY_DISPATCHER_REPLY_ACK:
      if (status_code >= 400)
        log_refusal (self, pending->event, status_code);
      send_reply (self, "ack", pending->id, answer);
      break;
    case ORDERLY_DISPATCHER_REPLY_NONE:
    default:
      break;
    }
  pending_event_free (pending);
}

static void
handle_command (OrderlyWsClient *self,
                const char      *event,
                JsonNode        *id,
                JsonNode        *data)
{
  PendingEvent *pending;

  if (g_str_equal (event, "ping"))
    {
      g_autoptr(JsonNode) pong = json_node_new (JSON_NODE_OBJECT);
      JsonObject *object = json_object_new ();

      json_object_set_int_member (object, "timestamp", g_get_real_time () / 1000);
      json_node_take_object (pong, object);
      send_reply (self, id != NULL ? "ack" : "pong", id, pong);
      return;
    }
  if (g_str_equal (event, "pong"))
    return;

  pending = g_new0 (PendingEvent, 1);
  pending->self = g_object_ref (self);
  pending->event = g_strdup (event);
  pending->id = id != NULL ? json_node_copy (id) : NULL;
  orderly_dispatcher_handle_event_async (self->dispatcher, event, data, self->role, id != NULL,
                                         event_handled_cb, pending);
}

static void
message_cb (OrderlyWsClient         *self,
            gint                     type,
            GBytes                  *message,
            OrderlyWsConnection     *connection)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object;
  JsonNode *event, *id;
  gsize size;
  const char *data = g_bytes_get_data (message, &size);

  self->last_activity_us = g_get_monotonic_time ();

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      refuse (self, NULL, 400, "Binary frames are not accepted; send JSON text");
      orderly_ws_client_close (self, SOUP_WEBSOCKET_CLOSE_UNSUPPORTED_DATA, "Binary frames are not accepted");
      return;
    }
  if (size > ORDERLY_SERVER_MAX_MESSAGE)
    {
      refuse (self, NULL, 413, "Message larger than 64 KiB");
      orderly_ws_client_close (self, SOUP_WEBSOCKET_CLOSE_TOO_BIG, "Message larger than 64 KiB");
      return;
    }
  /* Counted before it is read: a flood of anything costs no more than this. */
  if (!orderly_command_budget_take (&self->budget, self->last_activity_us))
    {
      refuse (self, NULL, 429, orderly_command_budget_refusal ());
      return;
    }

  root = orderly_json_parse (data, size, &error);
  if (root == NULL)
    {
      refuse (self, NULL, 400, error->message);
      return;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      refuse (self, NULL, 400, "A message must be a JSON object {\"event\", \"data\", \"id\"}");
      return;
    }
  object = json_node_get_object (root);
  id = json_object_get_member (object, "id");
  if (id != NULL && !(JSON_NODE_HOLDS_VALUE (id) &&
                      (json_node_get_value_type (id) == G_TYPE_INT64 ||
                       json_node_get_value_type (id) == G_TYPE_DOUBLE ||
                       json_node_get_value_type (id) == G_TYPE_STRING)))
    id = NULL;
  event = json_object_get_member (object, "event");
  if (event == NULL || !JSON_NODE_HOLDS_VALUE (event) ||
      json_node_get_value_type (event) != G_TYPE_STRING)
    {
      refuse (self, id, 400, "A message needs an \"event\" name");
      return;
    }

  handle_command (self, json_node_get_string (event), id, json_object_get_member (object, "data"));
}

static void
pong_cb (OrderlyWsClient         *self,
         GBytes                  *message,
         OrderlyWsConnection     *connection)
{
  self->last_activity_us = g_get_monotonic_time ();
}

static void
closed_cb (OrderlyWsClient         *self,
           OrderlyWsConnection     *connection)
{
  if (self->closed && self->subscriber == NULL)
    return;
  self->closed = TRUE;
  if (self->subscriber != NULL)
    {
      orderly_hub_unsubscribe (self->hub, self->subscriber);
      self->subscriber = NULL;
    }
  g_signal_emit (self, signals[CLOSED], 0);
}

/* The kernel took what had piled up: the hub may send again. */
static void
drained_cb (OrderlyWsClient     *self,
            OrderlyWsConnection *connection)
{
  if (self->subscriber != NULL)
    orderly_subscriber_flush (self->subscriber);
}

/**
 * orderly_ws_client_new:
 * @connection: the WebSocket, open
 */
OrderlyWsClient *
orderly_ws_client_new (OrderlyWsConnection     *connection,
                       OrderlyClient           *client,
                       OrderlyRole              role,
                       OrderlyHub              *hub,
                       OrderlyDispatcher       *dispatcher)
{
  OrderlyWsClient *self;

  g_return_val_if_fail (ORDERLY_IS_WS_CONNECTION (connection), NULL);

  self = g_object_new (ORDERLY_TYPE_WS_CLIENT, NULL);
  self->connection = g_object_ref (connection);
  self->client = g_object_ref (client);
  self->role = role;
  self->hub = g_object_ref (hub);
  self->dispatcher = g_object_ref (dispatcher);

  orderly_ws_connection_set_max_incoming_payload_size (connection, MAX_INCOMING_PAYLOAD);
  /* Events are only handed over while the kernel takes data; command
   * replies and pongs go out as they come. This bound covers them all. */
  orderly_ws_connection_set_max_outgoing_size (connection, ORDERLY_SERVER_MAX_OUTGOING);
  g_signal_connect_swapped (connection, "message", G_CALLBACK (message_cb), self);
  g_signal_connect_swapped (connection, "pong", G_CALLBACK (pong_cb), self);
  g_signal_connect_swapped (connection, "drained", G_CALLBACK (drained_cb), self);
  g_signal_connect_swapped (connection, "closed", G_CALLBACK (closed_cb), self);
  return self;
}

/**
 * orderly_ws_client_start:
 * @since: the seq the client last saw, or -1
 *
 * Joins the hub: `connected`, `status` and the log tail (or what was missed
 * since @since) go out now.
 */
void
orderly_ws_client_start (OrderlyWsClient *self,
                         gint64           since)
{
  g_return_if_fail (ORDERLY_IS_WS_CLIENT (self));
  g_return_if_fail (self->subscriber == NULL);

  self->subscriber = orderly_hub_subscribe (self->hub, self->client, since,
                                            &subscriber_funcs, self);
}

OrderlyClient *
orderly_ws_client_get_client (OrderlyWsClient *self)
{
  g_return_val_if_fail (ORDERLY_IS_WS_CLIENT (self), NULL);
  return self->client;
}

void
orderly_ws_client_close (OrderlyWsClient *self,
                         gushort          code,
                         const char      *reason)
{
  g_return_if_fail (ORDERLY_IS_WS_CLIENT (self));

  orderly_ws_connection_close_with_reason (self->connection, code, reason);
}

/**
 * orderly_ws_client_keepalive:
 *
 * Sends an application-level `ping` when one is due and closes the
 * connection of a client silent for longer than @idle_timeout_us.
 */
void
orderly_ws_client_keepalive (OrderlyWsClient *self,
                             gint64           now_us,
                             gint64           ping_interval_us,
                             gint64           idle_timeout_us)
{
  g_return_if_fail (ORDERLY_IS_WS_CLIENT (self));

  if (!is_open (self))
    return;
  if (now_us - self->last_activity_us > idle_timeout_us)
    {
      g_message ("Closing WebSocket client %s (%s): silent for %" G_GINT64_FORMAT " ms",
                 orderly_client_get_id (self->client), orderly_client_get_address (self->client),
                 (now_us - self->last_activity_us) / 1000);
      orderly_ws_client_close (self, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "No activity");
      return;
    }
  if (now_us - self->last_ping_us >= ping_interval_us)
    {
      self->last_ping_us = now_us;
      /* A WebSocket ping too, which browsers answer by themselves, as a
       * keepalive for proxies; at whole-second intervals, as libsoup's
       * keepalive was. */
      if (ping_interval_us >= G_USEC_PER_SEC)
        orderly_ws_connection_ping (self->connection);
      send_ping (self);
    }
}
