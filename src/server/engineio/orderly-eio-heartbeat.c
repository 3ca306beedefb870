/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-socketio"

#include "config.h"

#include "orderly-eio-heartbeat.h"

/* Engine.IO's heartbeat: pingInterval after a session opens or answers a
 * ping, the server pings it; pingTimeout after a ping with no pong, the
 * session is closed.
 *
 * A timer source per session would put a thousand more sources in every
 * main-loop iteration, each prepared and checked whether due or not. Here
 * all sessions share one source and two queues, one of sessions waiting to
 * be pinged and one of sessions owing a pong. Every deadline in a queue is
 * "now" plus the same span, so a queue stays in deadline order by appending
 * and the source only looks at the two heads.
 *
 * The source wakes at the earliest deadline, never later. When a ping is
 * due, the pings due within a slack after it (an eighth of the interval, at
 * most a second) go out with it, a little early, which the protocol allows;
 * a late ping it does not. The sessions pinged together owe their pongs by
 * one deadline, so they time out together too, and a timeout is never
 * late: a client that answers within pingTimeout is kept, one that does
 * not is closed at pingTimeout. A thousand sessions cost a few iterations
 * a second, not one each. */

enum {
  BEAT_IDLE,
  BEAT_PING_DUE,
  BEAT_PONG_DUE,
};

struct _OrderlyEioHeartbeat
{
  GSource            *source;
  OrderlyEioClockFunc clock;
  gpointer            clock_data;
  GQueue              ping_due;
  GQueue              pong_due;
  gint64              interval_us;
  gint64              timeout_us;
  OrderlyEioBeatFunc  ping_func;
  OrderlyEioBeatFunc  timeout_func;
  gpointer            user_data;
};

static gint64
slack (gint64 span)
{
  return MIN (span / 8, G_USEC_PER_SEC);
}

static gint64
heartbeat_now (OrderlyEioHeartbeat *self)
{
  return self->clock != NULL ? self->clock (self->clock_data) : g_get_monotonic_time ();
}

/**
 * orderly_eio_heartbeat_get_next_deadline:
 *
 * Returns: when the next ping or timeout is due, on the heartbeat's clock;
 *   -1 when nothing is scheduled
 */
gint64
orderly_eio_heartbeat_get_next_deadline (OrderlyEioHeartbeat *self)
{
  gint64 next = -1;

  if (self->ping_due.head != NULL)
    next = ((OrderlyEioBeat *) self->ping_due.head)->deadline;
  if (self->pong_due.head != NULL)
    {
      gint64 timeout = ((OrderlyEioBeat *) self->pong_due.head)->deadline;

      next = next < 0 ? timeout : MIN (next, timeout);
    }
  return next;
}

static void
heartbeat_update_source (OrderlyEioHeartbeat *self)
{
  gint64 next = orderly_eio_heartbeat_get_next_deadline (self);

  /* The source runs on the main loop's clock. */
  if (next >= 0 && self->clock != NULL)
    next = g_get_monotonic_time () + MAX (next - heartbeat_now (self), 0);
  g_source_set_ready_time (self->source, next);
}

/* Appends in deadline order: from the tail, since a new deadline is almost
 * always the latest. */
static void
heartbeat_enqueue (GQueue         *queue,
                   OrderlyEioBeat *beat)
{
  GList *after = queue->tail;

  while (after != NULL && ((OrderlyEioBeat *) after)->deadline > beat->deadline)
    after = after->prev;

  if (after == NULL)
    g_queue_push_head_link (queue, &beat->link);
  else if (after == queue->tail)
    g_queue_push_tail_link (queue, &beat->link);
  else
    g_queue_insert_after_link (queue, after, &beat->link);
}

static void
heartbeat_unlink (OrderlyEioHeartbeat *self,
                  OrderlyEioBeat      *beat)
{
  if (beat->state == BEAT_PING_DUE)
    g_queue_unlink (&self->ping_due, &beat->link);
  else if (beat->state == BEAT_PONG_DUE)
    g_queue_unlink (&self->pong_due, &beat->link);
  beat->state = BEAT_IDLE;
}

/**
 * orderly_eio_heartbeat_run:
 *
 * Closes the sessions whose pong is overdue and pings those whose ping is
 * due, or nearly due. The heartbeat's source calls this when the next
 * deadline comes.
 */
void
orderly_eio_heartbeat_run (OrderlyEioHeartbeat *self)
{
  gint64 now = heartbeat_now (self);

  /* A callback may remove other sessions, or this one: take each head
   * off its queue before calling out. */
  while (self->pong_due.head != NULL && ((OrderlyEioBeat *) self->pong_due.head)->deadline <= now)
    {
      OrderlyEioBeat *beat = (OrderlyEioBeat *) self->pong_due.head;

      heartbeat_unlink (self, beat);
      self->timeout_func (beat->link.data, self->user_data);
    }

  while (self->ping_due.head != NULL &&
         ((OrderlyEioBeat *) self->ping_due.head)->deadline <= now + slack (self->interval_us))
    {
      OrderlyEioBeat *beat = (OrderlyEioBeat *) self->ping_due.head;

      heartbeat_unlink (self, beat);
      beat->deadline = now + self->timeout_us;
      beat->state = BEAT_PONG_DUE;
      heartbeat_enqueue (&self->pong_due, beat);
      self->ping_func (beat->link.data, self->user_data);
    }

  heartbeat_update_source (self);
}

static gboolean
heartbeat_dispatch (GSource     *source,
                    GSourceFunc  callback,
                    gpointer     user_data)
{
  orderly_eio_heartbeat_run (user_data);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs heartbeat_funcs = {
  NULL,
  NULL,
  heartbeat_dispatch,
  NULL,
  NULL,
  NULL,
};

/**
 * orderly_eio_heartbeat_new:
 * @ping_func: sends a ping to a session that is due one
 * @timeout_func: closes a session that did not answer in time; it must
 *   not schedule the session again
 * @user_data: for both
 *
 * Returns: (transfer full): a heartbeat on the thread-default main context,
 *   at Engine.IO's default timing until orderly_eio_heartbeat_set_timing()
 */
OrderlyEioHeartbeat *
orderly_eio_heartbeat_new (OrderlyEioBeatFunc ping_func,
                           OrderlyEioBeatFunc timeout_func,
                           gpointer           user_data)
{
  OrderlyEioHeartbeat *self = g_new0 (OrderlyEioHeartbeat, 1);

  self->ping_func = ping_func;
  self->timeout_func = timeout_func;
  self->user_data = user_data;
  self->interval_us = 25 * G_USEC_PER_SEC;
  self->timeout_us = 20 * G_USEC_PER_SEC;
  self->source = g_source_new (&heartbeat_funcs, sizeof (GSource));
  g_source_set_static_name (self->source, "Orderly Engine.IO heartbeat");
  g_source_set_callback (self->source, NULL, self, NULL);
  g_source_attach (self->source, g_main_context_get_thread_default ());
  return self;
}

/**
 * orderly_eio_heartbeat_set_clock:
 * @clock: (nullable): the time now in microseconds, %NULL for
 *   g_get_monotonic_time()
 * @clock_data: for @clock
 *
 * Lets a test drive the heartbeat with a clock of its own, calling
 * orderly_eio_heartbeat_run() when it has moved the clock on.
 */
void
orderly_eio_heartbeat_set_clock (OrderlyEioHeartbeat *self,
                                 OrderlyEioClockFunc  clock,
                                 gpointer             clock_data)
{
  self->clock = clock;
  self->clock_data = clock_data;
  heartbeat_update_source (self);
}

void
orderly_eio_heartbeat_free (OrderlyEioHeartbeat *self)
{
  while (self->ping_due.head != NULL)
    heartbeat_unlink (self, (OrderlyEioBeat *) self->ping_due.head);
  while (self->pong_due.head != NULL)
    heartbeat_unlink (self, (OrderlyEioBeat *) self->pong_due.head);
  g_source_destroy (self->source);
  g_source_unref (self->source);
  g_free (self);
}

/**
 * orderly_eio_heartbeat_set_timing:
 *
 * Applies to deadlines set from now on.
 */
void
orderly_eio_heartbeat_set_timing (OrderlyEioHeartbeat *self,
                                  guint                interval_ms,
                                  guint                timeout_ms)
{
  self->interval_us = (gint64) interval_ms * G_TIME_SPAN_MILLISECOND;
  self->timeout_us = (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;
}

/**
 * orderly_eio_heartbeat_schedule:
 * @beat: the session's place, idle or already queued
 * @session: passed to the callbacks
 *
 * The session opened or answered a ping: ping it again one interval from
 * now.
 */
void
orderly_eio_heartbeat_schedule (OrderlyEioHeartbeat *self,
                                OrderlyEioBeat      *beat,
                                gpointer             session)
{
  heartbeat_unlink (self, beat);
  beat->link.data = session;
  beat->deadline = heartbeat_now (self) + self->interval_us;
  beat->state = BEAT_PING_DUE;
  heartbeat_enqueue (&self->ping_due, beat);
  heartbeat_update_source (self);
}

/**
 * orderly_eio_heartbeat_remove:
 *
 * Takes a session out of the heartbeat, e.g. when it closes. Idle places
 * are left as they are.
 */
void
orderly_eio_heartbeat_remove (OrderlyEioHeartbeat *self,
                              OrderlyEioBeat      *beat)
{
  if (beat->state == BEAT_IDLE)
    return;
  heartbeat_unlink (self, beat);
  heartbeat_update_source (self);
}
