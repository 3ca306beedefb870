/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-hub"

#include "config.h"

#include <string.h>

#include "orderly-dispatcher.h"
#include "orderly-hub.h"
#include "orderly-json.h"
#include "orderly-subscriber-private.h"

#define MAX_FRAME_BYTES    (64 * 1024)
#define MAX_REPLAY_BYTES   (4 * 1024 * 1024)

struct _OrderlyHub
{
  GObject          parent_instance;

  OrderlyEngine   *engine;
  OrderlyStatus   *status;
  OrderlyLogStore *log_store;
  OrderlyRemote   *remote;
  char            *instance_id;

  guint64          seq;
  GPtrArray       *subscribers;
  gboolean         status_dirty;
  GPtrArray       *pending_lines;
  guint            flush_source;
  guint            metrics_source;

  OrderlyHubEvent *status_event;
  OrderlyHubEvent *tail_event;
  GQueue           replay;
  gsize            replay_bytes;
  guint64          replay_trimmed_seq;

  guint            queue_lines;
  guint            overflow_ticks;
  guint            replay_events;

  guint64          retired_sent;
  guint64          retired_dropped;
};

G_DEFINE_FINAL_TYPE (OrderlyHub, orderly_hub, G_TYPE_OBJECT)

static void
orderly_hub_dispose (GObject *object)
{
  OrderlyHub *self = (OrderlyHub *) object;

  g_clear_handle_id (&self->flush_source, g_source_remove);
  g_clear_handle_id (&self->metrics_source, g_source_remove);
  if (self->status != NULL)
    g_signal_handlers_disconnect_by_data (self->status, self);
  if (self->log_store != NULL)
    g_signal_handlers_disconnect_by_data (self->log_store, self);
  if (self->engine != NULL)
    g_signal_handlers_disconnect_by_data (self->engine, self);
  if (self->subscribers != NULL)
    {
      while (self->subscribers->len > 0)
        orderly_hub_unsubscribe (self, self->subscribers->pdata[self->subscribers->len - 1]);
    }

  G_OBJECT_CLASS (orderly_hub_parent_class)->dispose (object);
}

static void
orderly_hub_finalize (GObject *object)
{
  OrderlyHub *self = (OrderlyHub *) object;

  g_queue_clear_full (&self->replay, (GDestroyNotify) orderly_hub_event_unref);
  g_clear_pointer (&self->status_event, orderly_hub_event_unref);
  g_clear_pointer (&self->tail_event, orderly_hub_event_unref);
  g_clear_pointer (&self->pending_lines, g_ptr_array_unref);
  g_clear_pointer (&self->subscribers, g_ptr_array_unref);
  g_clear_object (&self->status);
  g_clear_object (&self->log_store);
  g_clear_object (&self->engine);
  g_clear_object (&self->remote);
  g_free (self->instance_id);

  G_OBJECT_CLASS (orderly_hub_parent_class)->finalize (object);
}

static void
orderly_hub_class_init (OrderlyHubClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = orderly_hub_dispose;
  object_class->finalize = orderly_hub_finalize;
}

static void
orderly_hub_init (OrderlyHub *self)
{
  self->subscribers = g_ptr_array_new_with_free_func (g_object_unref);
  self->pending_lines = g_ptr_array_new_with_free_func (g_free);
  self->queue_lines = ORDERLY_HUB_DEFAULT_QUEUE_LINES;
  self->overflow_ticks = ORDERLY_HUB_DEFAULT_OVERFLOW_TICKS;
  self->replay_events = ORDERLY_HUB_DEFAULT_REPLAY_EVENTS;
  g_queue_init (&self->replay);
}

/* What every `status` and `progress` event carries, as the Node system
 * sends them: the payload version, a monotonic clock in milliseconds, and
 * the time as milliseconds since the epoch. */
static char *
stamp_event_json (JsonNode *node)
{
  JsonObject *object = json_node_get_object (node);

  json_object_set_int_member (object, "version", 2);
  json_object_set_double_member (object, "monoMs", g_get_monotonic_time () / 1000.0);
  json_object_set_int_member (object, "timestamp", g_get_real_time () / 1000);
  return orderly_json_to_string (node);
}

static char *
build_status_json (OrderlyHub *self)
{
  g_autoptr(JsonNode) node = orderly_dispatcher_status_body (self->status, self->instance_id);

  return stamp_event_json (node);
}

static char *
build_progress_json (OrderlyHub *self)
{
  g_autoptr(JsonNode) node = orderly_json_progress (self->status);

  return stamp_event_json (node);
}

static char *
line_json (OrderlyLogEntry *entry)
{
  g_autoptr(JsonNode) node = orderly_json_log_entry (entry);

  return orderly_json_to_string (node);
}

static void
remember (OrderlyHub      *self,
          OrderlyHubEvent *event)
{
  g_queue_push_tail (&self->replay, orderly_hub_event_ref (event));
  self->replay_bytes += orderly_hub_event_get_size (event);
  while (g_queue_get_length (&self->replay) > self->replay_events ||
         (self->replay_bytes > MAX_REPLAY_BYTES && g_queue_get_length (&self->replay) > 1))
    {
      OrderlyHubEvent *old = g_queue_pop_head (&self->replay);

      self->replay_trimmed_seq = orderly_hub_event_get_seq (old);
      self->replay_bytes -= orderly_hub_event_get_size (old);
      orderly_hub_event_unref (old);
    }
}

static void
broadcast (OrderlyHub      *self,
           OrderlyHubEvent *event)
{
  for (guint i = 0; i < self->subscribers->len; i++)
    _orderly_subscriber_push (self->subscribers->pdata[i], event);
}

static void
flush_subscribers (OrderlyHub *self,
                   gboolean    end_tick)
{
  g_autoptr(GPtrArray) subscribers = NULL;

  /* A transport may unsubscribe while it is being flushed. */
  subscribers = g_ptr_array_new_full (self->subscribers->len, g_object_unref);
  for (guint i = 0; i < self->subscribers->len; i++)
    g_ptr_array_add (subscribers, g_object_ref (self->subscribers->pdata[i]));

  for (guint i = 0; i < subscribers->len; i++)
    {
      OrderlySubscriber *subscriber = subscribers->pdata[i];
      OrderlyClient *client = orderly_subscriber_get_client (subscriber);

      orderly_subscriber_flush (subscriber);
      orderly_client_set_counters (client, orderly_subscriber_get_messages_sent (subscriber),
                                   orderly_subscriber_get_messages_dropped (subscriber));
      if (end_tick && _orderly_subscriber_end_tick (subscriber, self->overflow_ticks))
        {
          orderly_engine_log (self->engine, ORDERLY_LOG_LEVEL_WARN, "server", NULL,
                              "Closed the connection of client %s (%s, %s): it stayed more than "
                              "%u log lines behind",
                              orderly_client_get_id (client), orderly_client_get_address (client),
                              orderly_client_get_transport (client), self->queue_lines);
          _orderly_subscriber_close (subscriber, 1013, "Too slow: the client could not keep up");
        }
    }
}

/**
 * orderly_hub_flush:
 *
 * Turns what changed since the last call into events and sends them. Runs
 * by itself once per engine tick; tests call it to avoid waiting.
 */
void
orderly_hub_flush (OrderlyHub *self)
{
  g_return_if_fail (ORDERLY_IS_HUB (self));

  g_clear_handle_id (&self->flush_source, g_source_remove);

  if (self->status_dirty)
    {
      g_autoptr(OrderlyHubEvent) progress = NULL;

      self->status_dirty = FALSE;
      g_clear_pointer (&self->status_event, orderly_hub_event_unref);
      self->status_event = orderly_hub_event_new (ORDERLY_HUB_EVENT_STATUS, ++self->seq,
                                                  self->instance_id, build_status_json (self));
      progress = orderly_hub_event_new (ORDERLY_HUB_EVENT_PROGRESS, ++self->seq,
                                        self->instance_id, build_progress_json (self));
      remember (self, self->status_event);
      remember (self, progress);
      broadcast (self, self->status_event);
      broadcast (self, progress);
    }

  /* A busy tick's lines travel in several frames, none much over
   * MAX_FRAME_BYTES: clients limit the size of what they accept (libsoup's
   * default is 128 KiB). */
  for (guint first = 0; first < self->pending_lines->len;)
    {
      g_autoptr(OrderlyHubEvent) logs = NULL;
      GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
      gsize bytes = 0;

      while (first < self->pending_lines->len &&
             (lines->len == 0 || bytes + strlen (self->pending_lines->pdata[first]) < MAX_FRAME_BYTES))
        {
          bytes += strlen (self->pending_lines->pdata[first]) + 1;
          g_ptr_array_add (lines, g_steal_pointer (&self->pending_lines->pdata[first]));
          first++;
        }
      logs = orderly_hub_event_new_logs (++self->seq, self->instance_id, lines);
      remember (self, logs);
      broadcast (self, logs);
    }
  g_ptr_array_set_size (self->pending_lines, 0);

  flush_subscribers (self, TRUE);
}

static gboolean
flush_cb (gpointer user_data)
{
  OrderlyHub *self = user_data;

  self->flush_source = 0;
  orderly_hub_flush (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_flush (OrderlyHub *self)
{
  /* Both the status and the log store change within one engine tick, which
   * ends with OrderlyEngine::flushed: one tick makes one set of events.
   * Changes outside a tick (a command's) go out from this idle. */
  if (self->flush_source == 0)
    {
      self->flush_source = g_idle_add_full (G_PRIORITY_DEFAULT, flush_cb, self, NULL);
      g_source_set_name_by_id (self->flush_source, "[orderly] hub flush");
    }
}

static void
engine_flushed_cb (OrderlyHub *self)
{
  if (self->flush_source != 0)
    orderly_hub_flush (self);
}

static void
status_changed_cb (OrderlyHub    *self,
                   OrderlyStatus *status)
{
  self->status_dirty = TRUE;
  schedule_flush (self);
}

static void
log_items_changed_cb (OrderlyHub *self,
                      guint       position,
                      guint       removed,
                      guint       added,
                      GListModel *model)
{
  g_clear_pointer (&self->tail_event, orderly_hub_event_unref);
  for (guint i = 0; i < added; i++)
    {
      g_autoptr(OrderlyLogEntry) entry = g_list_model_get_item (model, position + i);

      g_ptr_array_add (self->pending_lines, line_json (entry));
    }
  if (added > 0)
    schedule_flush (self);
}

static char *
build_metrics_json (OrderlyHub *self)
{
  const OrderlyStatusData *d = orderly_status_get_data (self->status);
  GString *out = g_string_sized_new (256);
  OrderlyJsonWriter writer;

  orderly_json_writer_init (&writer, out);
  orderly_json_writer_begin_object (&writer);
  orderly_json_writer_member (&writer, "timestamp");
  orderly_json_writer_int (&writer, g_get_real_time () / 1000);
  orderly_json_writer_member (&writer, "phase");
  orderly_json_writer_string (&writer, orderly_phase_to_string (d->phase));
  orderly_json_writer_member (&writer, "processedTotal");
  orderly_json_writer_int (&writer, d->processed_total);
  orderly_json_writer_member (&writer, "throughput");
  orderly_json_writer_double (&writer, d->throughput_overall);
  orderly_json_writer_member (&writer, "failedTotal");
  orderly_json_writer_int (&writer, d->failed_total);
  orderly_json_writer_member (&writer, "queueWaiting");
  orderly_json_writer_int (&writer, d->queue_waiting);
  orderly_json_writer_member (&writer, "queueActive");
  orderly_json_writer_int (&writer, d->queue_active);
  orderly_json_writer_member (&writer, "queueDelayed");
  orderly_json_writer_int (&writer, d->queue_delayed);
  orderly_json_writer_member (&writer, "activeWorkers");
  orderly_json_writer_int (&writer, d->active_workers);
  orderly_json_writer_member (&writer, "clients");
  orderly_json_writer_int (&writer, self->subscribers->len);
  orderly_json_writer_member (&writer, "messagesSent");
  orderly_json_writer_int (&writer, orderly_hub_get_messages_sent (self));
  orderly_json_writer_member (&writer, "messagesDropped");
  orderly_json_writer_int (&writer, orderly_hub_get_messages_dropped (self));
  orderly_json_writer_end_object (&writer);
  return g_string_free (out, FALSE);
}

static gboolean
metrics_cb (gpointer user_data)
{
  OrderlyHub *self = user_data;
  g_autoptr(OrderlyHubEvent) metrics = NULL;

  if (self->subscribers->len == 0)
    return G_SOURCE_CONTINUE;
  metrics = orderly_hub_event_new (ORDERLY_HUB_EVENT_METRICS, ++self->seq, self->instance_id,
                                   build_metrics_json (self));
  broadcast (self, metrics);
  flush_subscribers (self, FALSE);
  return G_SOURCE_CONTINUE;
}

/**
 * orderly_hub_new:
 * @instance_id: names this run of the server; it changes on restart, so a
 *   client knows its seq no longer applies
 */
OrderlyHub *
orderly_hub_new (OrderlyEngine *engine,
                 OrderlyRemote *remote,
                 const char    *instance_id)
{
  OrderlyHub *self;

  g_return_val_if_fail (ORDERLY_IS_ENGINE (engine), NULL);
  g_return_val_if_fail (ORDERLY_IS_REMOTE (remote), NULL);
  g_return_val_if_fail (instance_id != NULL, NULL);

  self = g_object_new (ORDERLY_TYPE_HUB, NULL);
  self->engine = g_object_ref (engine);
  self->remote = g_object_ref (remote);
  self->status = g_object_ref (orderly_engine_get_status (engine));
  self->log_store = g_object_ref (orderly_engine_get_log_store (engine));
  self->instance_id = g_strdup (instance_id);

  self->status_event = orderly_hub_event_new (ORDERLY_HUB_EVENT_STATUS, ++self->seq,
                                              self->instance_id, build_status_json (self));
  remember (self, self->status_event);

  g_signal_connect_swapped (self->status, "changed", G_CALLBACK (status_changed_cb), self);
  g_signal_connect_swapped (self->engine, "flushed", G_CALLBACK (engine_flushed_cb), self);
  g_signal_connect_swapped (self->log_store, "items-changed",
                            G_CALLBACK (log_items_changed_cb), self);
  self->metrics_source = g_timeout_add_seconds (1, metrics_cb, self);
  g_source_set_name_by_id (self->metrics_source, "[orderly] hub metrics");
  return self;
}

const char *
orderly_hub_get_instance_id (OrderlyHub *self)
{
  g_return_val_if_fail (ORDERLY_IS_HUB (self), NULL);
  return self->instance_id;
}

/**
 * orderly_hub_get_seq:
 *
 * Returns: the seq of the newest event
 */
guint64
orderly_hub_get_seq (OrderlyHub *self)
{
  g_return_val_if_fail (ORDERLY_IS_HUB (self), 0);
  return self->seq;
}

/**
 * orderly_hub_dup_status_event:
 *
 * Returns: (transfer full): the latest `status` event, for a `get-status`
 *   sent without an ack id
 */
OrderlyHubEvent *
orderly_hub_dup_status_event (OrderlyHub *self)
{
  g_return_val_if_fail (ORDERLY_IS_HUB (self), NULL);

  if (self->status_dirty)
    orderly_hub_flush (self);
  return orderly_hub_event_ref (self->status_event);
}

static OrderlyHubEvent *
get_tail_event (OrderlyHub *self)
{
  if (self->tail_event == NULL)
    {
      GListModel *model = G_LIST_MODEL (self->log_store);
      guint n_items = g_list_model_get_n_items (model);
      guint first = n_items > ORDERLY_HUB_TAIL_LINES ? n_items - ORDERLY_HUB_TAIL_LINES : 0;
      g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

      for (guint i = first; i < n_items; i++)
        {
          g_autoptr(OrderlyLogEntry) entry = g_list_model_get_item (model, i);

          g_ptr_array_add (lines, line_json (entry));
        }
      self->tail_event = orderly_hub_event_new_logs (self->seq, self->instance_id,
                                                     g_steal_pointer (&lines));
    }
  return self->tail_event;
}

static char *
build_connected_json (OrderlyClient *client)
{
  GString *out = g_string_sized_new (128);
  OrderlyJsonWriter writer;

  orderly_json_writer_init (&writer, out);
  orderly_json_writer_begin_object (&writer);
  orderly_json_writer_member (&writer, "message");
  orderly_json_writer_string (&writer, "Connected to Orderly");
  orderly_json_writer_member (&writer, "timestamp");
  orderly_json_writer_int (&writer, g_get_real_time () / 1000);
  orderly_json_writer_member (&writer, "clientId");
  orderly_json_writer_string (&writer, orderly_client_get_id (client));
  orderly_json_writer_end_object (&writer);
  return g_string_free (out, FALSE);
}

/* A disconnection asked for (orderly_client_disconnect()): done once the
 * main loop is idle, so that the reply to the command that asked for it,
 * which may go to this very client, is sent first. */
typedef struct
{
  OrderlySubscriber *subscriber;
  char              *reason;
} Disconnection;

static void
disconnection_free (gpointer data)
{
  Disconnection *disconnection = data;

  g_object_unref (disconnection->subscriber);
  g_free (disconnection->reason);
  g_free (disconnection);
}

static gboolean
disconnect_cb (gpointer data)
{
  Disconnection *disconnection = data;

  _orderly_subscriber_close (disconnection->subscriber, 1008, disconnection->reason);
  return G_SOURCE_REMOVE;
}

static void
disconnect_requested_cb (OrderlyClient *client,
                         const char    *reason,
                         gpointer       user_data)
{
  OrderlyHub *self = user_data;

  for (guint i = 0; i < self->subscribers->len; i++)
    {
      OrderlySubscriber *subscriber = self->subscribers->pdata[i];
      Disconnection *disconnection;

      if (orderly_subscriber_get_client (subscriber) != client)
        continue;
      orderly_engine_log (self->engine, ORDERLY_LOG_LEVEL_WARN, "server", NULL,
                          "Disconnecting client %s (%s, %s): %s", orderly_client_get_id (client),
                          orderly_client_get_address (client), orderly_client_get_transport (client),
                          reason);
      disconnection = g_new0 (Disconnection, 1);
      disconnection->subscriber = g_object_ref (subscriber);
      disconnection->reason = g_strdup (reason);
      g_idle_add_full (G_PRIORITY_LOW, disconnect_cb, disconnection, disconnection_free);
    }
}

static gboolean
can_replay (OrderlyHub *self,
            gint64      since)
{
  return since >= 0 && (guint64) since <= self->seq && (guint64) since >= self->replay_trimmed_seq;
}

/**
 * orderly_hub_subscribe:
 * @client: the client, added to #OrderlyRemote:clients until unsubscribed
 * @since: the seq of the last event the client saw before reconnecting,
 *   or -1
 * @funcs: (not nullable): how to reach the transport; must stay valid
 * @transport: passed to @funcs
 *
 * Queues `connected`, then `status`, then either what the client missed
 * since @since (when the replay buffer still holds it) or the last
 * %ORDERLY_HUB_TAIL_LINES log lines, and sends what the transport can take.
 *
 * Returns: (transfer none): the subscriber, valid until orderly_hub_unsubscribe()
 */
OrderlySubscriber *
orderly_hub_subscribe (OrderlyHub                   *self,
                       OrderlyClient                *client,
                       gint64                        since,
                       const OrderlySubscriberFuncs *funcs,
                       gpointer                      transport)
{
  OrderlySubscriber *subscriber;
  g_autoptr(OrderlyHubEvent) connected = NULL;

  g_return_val_if_fail (ORDERLY_IS_HUB (self), NULL);
  g_return_val_if_fail (ORDERLY_IS_CLIENT (client), NULL);
  g_return_val_if_fail (funcs != NULL, NULL);

  if (self->status_dirty || self->pending_lines->len > 0)
    orderly_hub_flush (self);

  subscriber = _orderly_subscriber_new (client, funcs, transport, self->queue_lines);
  g_ptr_array_add (self->subscribers, subscriber);
  orderly_remote_add_client (self->remote, client);
  g_signal_connect (client, "disconnect-requested", G_CALLBACK (disconnect_requested_cb), self);

  connected = orderly_hub_event_new (ORDERLY_HUB_EVENT_CONNECTED,
                                     orderly_hub_event_get_seq (self->status_event),
                                     self->instance_id, build_connected_json (client));
  _orderly_subscriber_push (subscriber, connected);
  _orderly_subscriber_push (subscriber, self->status_event);
  if (can_replay (self, since))
    {
      for (GList *l = self->replay.head; l != NULL; l = l->next)
        {
          OrderlyHubEvent *event = l->data;

          if (orderly_hub_event_get_seq (event) > (guint64) since &&
              orderly_hub_event_get_kind (event) != ORDERLY_HUB_EVENT_STATUS)
            _orderly_subscriber_push (subscriber, event);
        }
    }
  else
    {
      _orderly_subscriber_push (subscriber, get_tail_event (self));
    }

  orderly_subscriber_flush (subscriber);
  return subscriber;
}

/**
 * orderly_hub_unsubscribe:
 *
 * Forgets @subscriber: the transport's connection is gone. Its functions are
 * not called any more.
 */
void
orderly_hub_unsubscribe (OrderlyHub        *self,
                         OrderlySubscriber *subscriber)
{
  g_return_if_fail (ORDERLY_IS_HUB (self));
  g_return_if_fail (ORDERLY_IS_SUBSCRIBER (subscriber));

  self->retired_sent += orderly_subscriber_get_messages_sent (subscriber);
  self->retired_dropped += orderly_subscriber_get_messages_dropped (subscriber);
  _orderly_subscriber_detach (subscriber);
  g_signal_handlers_disconnect_by_func (orderly_subscriber_get_client (subscriber),
                                        disconnect_requested_cb, self);
  orderly_remote_remove_client (self->remote, orderly_subscriber_get_client (subscriber));
  g_ptr_array_remove_fast (self->subscribers, subscriber);
}

guint
orderly_hub_get_n_subscribers (OrderlyHub *self)
{
  g_return_val_if_fail (ORDERLY_IS_HUB (self), 0);
  return self->subscribers->len;
}

/**
 * orderly_hub_set_limits:
 * @queue_lines: log lines queued per client before the oldest are dropped
 * @overflow_ticks: ticks a client may stay at that bound before it is closed
 * @replay_events: events kept for clients that reconnect with a seq
 */
void
orderly_hub_set_limits (OrderlyHub *self,
                        guint       queue_lines,
                        guint       overflow_ticks,
                        guint       replay_events)
{
  g_return_if_fail (ORDERLY_IS_HUB (self));

  self->queue_lines = MAX (queue_lines, 1);
  self->overflow_ticks = MAX (overflow_ticks, 1);
  self->replay_events = MAX (replay_events, 1);
  for (guint i = 0; i < self->subscribers->len; i++)
    _orderly_subscriber_set_max_lines (self->subscribers->pdata[i], self->queue_lines);
}

guint64
orderly_hub_get_messages_sent (OrderlyHub *self)
{
  guint64 total;

  g_return_val_if_fail (ORDERLY_IS_HUB (self), 0);

  total = self->retired_sent;
  for (guint i = 0; i < self->subscribers->len; i++)
    total += orderly_subscriber_get_messages_sent (self->subscribers->pdata[i]);
  return total;
}

guint64
orderly_hub_get_messages_dropped (OrderlyHub *self)
{
  guint64 total;

  g_return_val_if_fail (ORDERLY_IS_HUB (self), 0);

  total = self->retired_dropped;
  for (guint i = 0; i < self->subscribers->len; i++)
    total += orderly_subscriber_get_messages_dropped (self->subscribers->pdata[i]);
  return total;
}
