/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-server"

#include "config.h"

#include "orderly-pending-sessions.h"

/* How often at most the evictions of a flood are told in the log. */
#define EVICTION_LOG_INTERVAL_US (10 * G_USEC_PER_SEC)

struct _OrderlyPendingSessions
{
  guint       max_sessions;
  /* (element-type OrderlyEioSession) (owned), oldest first */
  GQueue      sessions;
  /* OrderlyEioSession -> its link in sessions */
  GHashTable *links;
  guint64     evicted;
  gint64      evictions_logged_us;
};

/**
 * orderly_pending_sessions_new:
 * @max_sessions: how many sessions may wait at once
 *
 * Returns: (transfer full): an empty set
 */
OrderlyPendingSessions *
orderly_pending_sessions_new (guint max_sessions)
{
  OrderlyPendingSessions *self = g_new0 (OrderlyPendingSessions, 1);

  self->max_sessions = MAX (max_sessions, 1);
  g_queue_init (&self->sessions);
  self->links = g_hash_table_new (NULL, NULL);
  return self;
}

void
orderly_pending_sessions_free (OrderlyPendingSessions *self)
{
  if (self == NULL)
    return;
  g_queue_clear_full (&self->sessions, g_object_unref);
  g_hash_table_unref (self->links);
  g_free (self);
}

static void
log_eviction (OrderlyPendingSessions *self,
              OrderlyEioSession      *session)
{
  gint64 now = g_get_monotonic_time ();

  self->evicted++;
  if (self->evictions_logged_us != 0 && now - self->evictions_logged_us < EVICTION_LOG_INTERVAL_US)
    return;
  self->evictions_logged_us = now;
  g_message ("Closing Socket.IO sessions that showed no token: %u are waiting; "
             "%" G_GUINT64_FORMAT " closed so far, the latest from %s",
             self->max_sessions, self->evicted, orderly_eio_session_get_remote_address (session));
}

/**
 * orderly_pending_sessions_add:
 * @session: a session that just opened
 *
 * Adds @session as the newest. When the budget is full, the oldest session
 * is closed first.
 */
void
orderly_pending_sessions_add (OrderlyPendingSessions *self,
                              OrderlyEioSession      *session)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (!g_hash_table_contains (self->links, session));

  while (self->sessions.length >= self->max_sessions)
    {
      g_autoptr(OrderlyEioSession) oldest = g_queue_pop_head (&self->sessions);

      g_hash_table_remove (self->links, oldest);
      log_eviction (self, oldest);
      orderly_eio_session_close (oldest);
    }
  g_queue_push_tail (&self->sessions, g_object_ref (session));
  g_hash_table_insert (self->links, session, self->sessions.tail);
}

/**
 * orderly_pending_sessions_remove:
 *
 * Returns: whether @session was waiting; it is not any more
 */
gboolean
orderly_pending_sessions_remove (OrderlyPendingSessions *self,
                                 OrderlyEioSession      *session)
{
  GList *link;

  g_return_val_if_fail (self != NULL, FALSE);

  link = g_hash_table_lookup (self->links, session);
  if (link == NULL)
    return FALSE;
  g_hash_table_remove (self->links, session);
  g_queue_delete_link (&self->sessions, link);
  g_object_unref (session);
  return TRUE;
}

guint
orderly_pending_sessions_get_length (OrderlyPendingSessions *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->sessions.length;
}
