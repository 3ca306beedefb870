/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "orderly-periodic.h"

/* A timer that keeps its rate.
 *
 * g_timeout_add() sets each deadline from the time its iteration started,
 * so anything else that iteration does (such as writing a tick's events to
 * a thousand sockets) pushes every later tick back: at 10 Hz under load the
 * rate falls by a tenth or more. This source sets each deadline from the
 * previous deadline instead. After a stall longer than an interval it skips
 * the ticks it missed rather than firing them back to back. */

typedef struct
{
  GSource source;
  gint64  interval_us;
} PeriodicSource;

static gboolean
periodic_dispatch (GSource     *source,
                   GSourceFunc  callback,
                   gpointer     user_data)
{
  PeriodicSource *self = (PeriodicSource *) source;
  gint64 deadline = g_source_get_ready_time (source);
  gint64 now;

  if (callback == NULL || !callback (user_data))
    return G_SOURCE_REMOVE;

  now = g_get_monotonic_time ();
  deadline += self->interval_us;
  if (deadline <= now)
    deadline += ((now - deadline) / self->interval_us + 1) * self->interval_us;
  g_source_set_ready_time (source, deadline);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs periodic_funcs = {
  NULL,
  NULL,
  periodic_dispatch,
  NULL,
  NULL,
  NULL,
};

/**
 * orderly_periodic_source_new:
 * @interval_ms: time between two calls, at least 1
 *
 * Returns: (transfer full): a source whose callback runs every
 *   @interval_ms milliseconds at a steady rate, the first time one interval
 *   from now
 */
GSource *
orderly_periodic_source_new (guint interval_ms)
{
  GSource *source = g_source_new (&periodic_funcs, sizeof (PeriodicSource));
  PeriodicSource *self = (PeriodicSource *) source;

  self->interval_us = (gint64) MAX (interval_ms, 1) * G_TIME_SPAN_MILLISECOND;
  g_source_set_ready_time (source, g_get_monotonic_time () + self->interval_us);
  return source;
}

/**
 * orderly_periodic_add:
 * @interval_ms: time between two calls
 * @function: called every @interval_ms at default priority until it
 *   returns %G_SOURCE_REMOVE
 * @data: for @function
 * @notify: (nullable): frees @data once the source is gone
 *
 * Like g_timeout_add_full(), with a rate that does not drift.
 *
 * Returns: the ID of the source in the thread-default main context
 */
guint
orderly_periodic_add (guint          interval_ms,
                      GSourceFunc    function,
                      gpointer       data,
                      GDestroyNotify notify)
{
  g_autoptr(GSource) source = orderly_periodic_source_new (interval_ms);

  g_source_set_callback (source, function, data, notify);
  return g_source_attach (source, g_main_context_get_thread_default ());
}
