/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-hub"

#include "config.h"

#include "orderly-json-writer.h"
#include "orderly-subscriber-private.h"
#include "orderly-types.h"

/*
 * One client's place in the feed: what it has not been sent yet. Status,
 * progress and metrics keep only their latest event; log batches queue in
 * order up to a bound of lines, beyond which the oldest lines are dropped.
 * Nothing is handed to the transport unless it can take it at once, so the
 * transport's own buffers never grow for a slow client: the bound here is
 * the whole of what a client can cost.
 */

typedef struct
{
  OrderlyHubEvent *event;
  guint            first_line;
} QueuedLogs;

struct _OrderlySubscriber
{
  GObject                       parent_instance;

  OrderlyClient                *client;
  const OrderlySubscriberFuncs *funcs;       /* NULL once detached */
  gpointer                      transport;

  GQueue                        first;       /* connected: before anything */
  OrderlyHubEvent              *status;
  OrderlyHubEvent              *progress;
  OrderlyHubEvent              *metrics;
  GQueue                        logs;        /* of QueuedLogs */
  guint                         queued_lines;
  guint                         max_lines;
  guint64                       unreported_drops;
  guint64                       last_dropped_seq;
  char                         *instance_id;

  guint                         over_ticks;
  guint64                       sent;
  guint64                       dropped;
  gboolean                      closed;
};

G_DEFINE_FINAL_TYPE (OrderlySubscriber, orderly_subscriber, G_TYPE_OBJECT)

static void
queued_logs_free (QueuedLogs *item)
{
  orderly_hub_event_unref (item->event);
  g_free (item);
}

static void
clear_queues (OrderlySubscriber *self)
{
  g_queue_clear_full (&self->first, (GDestroyNotify) orderly_hub_event_unref);
  g_queue_clear_full (&self->logs, (GDestroyNotify) queued_logs_free);
  g_clear_pointer (&self->status, orderly_hub_event_unref);
  g_clear_pointer (&self->progress, orderly_hub_event_unref);
  g_clear_pointer (&self->metrics, orderly_hub_event_unref);
  self->queued_lines = 0;
}

static void
orderly_subscriber_finalize (GObject *object)
{
  OrderlySubscriber *self = (OrderlySubscriber *) object;

  clear_queues (self);
  g_clear_object (&self->client);
  g_free (self->instance_id);

  G_OBJECT_CLASS (orderly_subscriber_parent_class)->finalize (object);
}

static void
orderly_subscriber_class_init (OrderlySubscriberClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = orderly_subscriber_finalize;
}

static void
orderly_subscriber_init (OrderlySubscriber *self)
{
  g_queue_init (&self->first);
  g_queue_init (&self->logs);
}

OrderlySubscriber *
_orderly_subscriber_new (OrderlyClient                *client,
                         const OrderlySubscriberFuncs *funcs,
                         gpointer                      transport,
                         guint                         max_lines)
{
  OrderlySubscriber *self = g_object_new (ORDERLY_TYPE_SUBSCRIBER, NULL);

  self->client = g_object_ref (client);
  self->funcs = funcs;
  self->transport = transport;
  self->max_lines = MAX (max_lines, 1);
  return self;
}

/**
 * orderly_subscriber_get_client:
 *
 * Returns: (transfer none): the client as #OrderlyRemote:clients lists it
 */
OrderlyClient *
orderly_subscriber_get_client (OrderlySubscriber *self)
{
  g_return_val_if_fail (ORDERLY_IS_SUBSCRIBER (self), NULL);
  return self->client;
}

guint
orderly_subscriber_get_queued_lines (OrderlySubscriber *self)
{
  g_return_val_if_fail (ORDERLY_IS_SUBSCRIBER (self), 0);
  return self->queued_lines;
}

guint64
orderly_subscriber_get_messages_sent (OrderlySubscriber *self)
{
  g_return_val_if_fail (ORDERLY_IS_SUBSCRIBER (self), 0);
  return self->sent;
}

guint64
orderly_subscriber_get_messages_dropped (OrderlySubscriber *self)
{
  g_return_val_if_fail (ORDERLY_IS_SUBSCRIBER (self), 0);
  return self->dropped;
}

/**
 * orderly_subscriber_count_sent:
 *
 * Counts messages a transport sent beyond one per #OrderlySubscriberFuncs.send
 * call, for a transport that splits a batch into several messages.
 */
void
orderly_subscriber_count_sent (OrderlySubscriber *self,
                               guint              n_messages)
{
  g_return_if_fail (ORDERLY_IS_SUBSCRIBER (self));
  self->sent += n_messages;
}

void
_orderly_subscriber_set_max_lines (OrderlySubscriber *self,
                                   guint              max_lines)
{
  self->max_lines = MAX (max_lines, 1);
}

static void
replace_latest (OrderlySubscriber  *self,
                OrderlyHubEvent   **slot,
                OrderlyHubEvent    *event)
{
  if (*slot != NULL)
    {
      self->dropped++;
      orderly_hub_event_unref (*slot);
    }
  *slot = orderly_hub_event_ref (event);
}

static void
drop_oldest_lines (OrderlySubscriber *self)
{
  while (self->queued_lines > self->max_lines)
    {
      QueuedLogs *head = g_queue_peek_head (&self->logs);
      guint available = orderly_hub_event_get_n_lines (head->event) - head->first_line;
      guint excess = self->queued_lines - self->max_lines;
      guint n = MIN (available, excess);

      head->first_line += n;
      self->queued_lines -= n;
      self->dropped += n;
      self->unreported_drops += n;
      self->last_dropped_seq = orderly_hub_event_get_seq (head->event);
      g_free (self->instance_id);
      self->instance_id = g_strdup (orderly_hub_event_get_instance_id (head->event));
      if (head->first_line == orderly_hub_event_get_n_lines (head->event))
        queued_logs_free (g_queue_pop_head (&self->logs));
    }
}

void
_orderly_subscriber_push (OrderlySubscriber *self,
                          OrderlyHubEvent   *event)
{
  if (self->closed)
    return;

  switch (orderly_hub_event_get_kind (event))
    {
    case ORDERLY_HUB_EVENT_CONNECTED:
      g_queue_push_tail (&self->first, orderly_hub_event_ref (event));
      break;
    case ORDERLY_HUB_EVENT_STATUS:
      replace_latest (self, &self->status, event);
      break;
    case ORDERLY_HUB_EVENT_PROGRESS:
      replace_latest (self, &self->progress, event);
      break;
    case ORDERLY_HUB_EVENT_METRICS:
      replace_latest (self, &self->metrics, event);
      break;
    case ORDERLY_HUB_EVENT_LOGS:
      {
        QueuedLogs *item;

        if (orderly_hub_event_get_n_lines (event) == 0)
          break;
        item = g_new0 (QueuedLogs, 1);
        item->event = orderly_hub_event_ref (event);
        g_queue_push_tail (&self->logs, item);
        /* Trimmed to the bound at the end of the tick, once the transport
         * has taken what it could. */
        self->queued_lines += orderly_hub_event_get_n_lines (event);
      }
      break;
    default:
      g_assert_not_reached ();
    }
}

/* A log line of its own: `{timestamp, level, message, category, data}`. */
static OrderlyHubEvent *
new_drop_notice (OrderlySubscriber *self)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *message = g_strdup_printf ("%" G_GUINT64_FORMAT " log lines were dropped: "
                                              "this connection could not keep up",
                                              self->unreported_drops);
  GString *line = g_string_sized_new (160);
  OrderlyJsonWriter writer;

  orderly_json_writer_init (&writer, line);
  orderly_json_writer_begin_object (&writer);
  orderly_json_writer_member (&writer, "timestamp");
  orderly_json_writer_int (&writer, g_get_real_time () / 1000);
  orderly_json_writer_member (&writer, "level");
  orderly_json_writer_string (&writer, orderly_log_level_to_string (ORDERLY_LOG_LEVEL_WARN));
  orderly_json_writer_member (&writer, "message");
  orderly_json_writer_string (&writer, message);
  orderly_json_writer_member (&writer, "category");
  orderly_json_writer_string (&writer, "server");
  orderly_json_writer_member (&writer, "data");
  orderly_json_writer_begin_object (&writer);
  orderly_json_writer_member (&writer, "dropped");
  orderly_json_writer_int (&writer, (gint64) self->unreported_drops);
  orderly_json_writer_end_object (&writer);
  orderly_json_writer_end_object (&writer);
  g_ptr_array_add (lines, g_string_free (line, FALSE));
  return orderly_hub_event_new_logs (self->last_dropped_seq, self->instance_id,
                                     g_steal_pointer (&lines));
}

static gboolean
send_one (OrderlySubscriber *self,
          OrderlyHubEvent   *event,
          guint              first_line)
{
  if (self->funcs == NULL || self->closed)
    return FALSE;
  self->funcs->send (self->transport, event, first_line);
  self->sent++;
  return TRUE;
}

static gboolean
can_send (OrderlySubscriber *self)
{
  return self->funcs != NULL && !self->closed && self->funcs->can_send (self->transport);
}

static gboolean
send_latest (OrderlySubscriber  *self,
             OrderlyHubEvent   **slot)
{
  g_autoptr(OrderlyHubEvent) event = NULL;

  if (*slot == NULL)
    return TRUE;
  if (!can_send (self))
    return FALSE;
  event = g_steal_pointer (slot);
  return send_one (self, event, 0);
}

/**
 * orderly_subscriber_flush:
 *
 * Hands the transport what is pending, as far as it can take it now. The hub
 * calls this every tick; a transport calls it when it can take more (a long
 * poll arrives, a socket drains).
 */
void
orderly_subscriber_flush (OrderlySubscriber *self)
{
  g_return_if_fail (ORDERLY_IS_SUBSCRIBER (self));

  /* The subscriber may be dropped by a transport callback on the way. */
  g_object_ref (self);

  while (!g_queue_is_empty (&self->first))
    {
      g_autoptr(OrderlyHubEvent) event = NULL;

      if (!can_send (self))
        goto out;
      event = g_queue_pop_head (&self->first);
      send_one (self, event, 0);
    }

  if (!send_latest (self, &self->status) || !send_latest (self, &self->progress))
    goto out;

  if (self->unreported_drops > 0)
    {
      g_autoptr(OrderlyHubEvent) notice = NULL;

      if (!can_send (self))
        goto out;
      notice = new_drop_notice (self);
      self->unreported_drops = 0;
      send_one (self, notice, 0);
    }

  while (!g_queue_is_empty (&self->logs))
    {
      QueuedLogs *item;

      if (!can_send (self))
        goto out;
      item = g_queue_pop_head (&self->logs);
      self->queued_lines -= orderly_hub_event_get_n_lines (item->event) - item->first_line;
      send_one (self, item->event, item->first_line);
      queued_logs_free (item);
    }

  send_latest (self, &self->metrics);

out:
  g_object_unref (self);
}

/* Returns TRUE when the client has been over its bound for too long. */
gboolean
_orderly_subscriber_end_tick (OrderlySubscriber *self,
                              guint              overflow_ticks)
{
  gboolean over;

  if (self->closed || self->funcs == NULL)
    return FALSE;
  over = self->queued_lines >= self->max_lines;
  drop_oldest_lines (self);
  if (over)
    self->over_ticks++;
  else
    self->over_ticks = 0;
  return self->over_ticks >= MAX (overflow_ticks, 1);
}

void
_orderly_subscriber_close (OrderlySubscriber *self,
                           gushort            code,
                           const char        *reason)
{
  const OrderlySubscriberFuncs *funcs = self->funcs;

  if (self->closed || funcs == NULL)
    return;
  self->closed = TRUE;
  clear_queues (self);
  funcs->close (self->transport, code, reason);
}

void
_orderly_subscriber_detach (OrderlySubscriber *self)
{
  self->funcs = NULL;
  self->transport = NULL;
  self->closed = TRUE;
  clear_queues (self);
}
