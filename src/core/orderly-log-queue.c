/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-log"

#include "config.h"

#include "orderly-log-queue.h"

/*
 * Log lines written on any thread wait here until the main loop takes them
 * all at once on its next tick. A flood beyond max_pending drops the oldest
 * lines and counts them, so a runaway producer cannot exhaust memory.
 */

struct _OrderlyLogQueue
{
  GMutex     lock;
  GPtrArray *pending;
  guint      max_pending;
  guint      dropped;
};

OrderlyLogQueue *
orderly_log_queue_new (guint max_pending)
{
  OrderlyLogQueue *self = g_new0 (OrderlyLogQueue, 1);

  g_mutex_init (&self->lock);
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) orderly_log_record_free);
  self->max_pending = MAX (max_pending, 1);
  return self;
}

void
orderly_log_queue_free (OrderlyLogQueue *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->pending);
  g_mutex_clear (&self->lock);
  g_free (self);
}

void
orderly_log_queue_push (OrderlyLogQueue  *self,
                        OrderlyLogRecord *record)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  if (self->pending->len >= self->max_pending)
    {
      guint n = self->pending->len / 2;

      g_ptr_array_remove_range (self->pending, 0, n);
      self->dropped += n;
    }
  g_ptr_array_add (self->pending, record);
}

void
orderly_log_queue_printf (OrderlyLogQueue *self,
                          OrderlyLogLevel  level,
                          const char      *category,
                          const char      *data_json,
                          const char      *format,
                          ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  orderly_log_queue_push (self, orderly_log_record_new (level, category, message, data_json));
}

/**
 * orderly_log_queue_drain:
 * @n_dropped: (out): lines dropped since the last drain
 *
 * Returns: (transfer full): every pending record, oldest first.
 */
GPtrArray *
orderly_log_queue_drain (OrderlyLogQueue *self,
                         guint           *n_dropped)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  GPtrArray *drained = self->pending;

  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) orderly_log_record_free);
  if (n_dropped != NULL)
    *n_dropped = self->dropped;
  self->dropped = 0;
  return drained;
}
