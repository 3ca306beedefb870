/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-store"

#include "config.h"

#include "orderly-store.h"

/*
 * OrderlyStore is a small reference-counted interface rather than a GObject so
 * that worker threads can call it freely: it carries no signals or properties,
 * and every backend serialises its own access.
 */

G_DEFINE_BOXED_TYPE (OrderlyStore, orderly_store, orderly_store_ref, orderly_store_unref)

void
orderly_store_init (OrderlyStore             *self,
                    const OrderlyStoreVTable *vtable)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (vtable != NULL);

  self->vtable = vtable;
  self->ref_count = 1;
}

OrderlyStore *
orderly_store_ref (OrderlyStore *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_int_inc (&self->ref_count);
  return self;
}

void
orderly_store_unref (OrderlyStore *self)
{
  g_return_if_fail (self != NULL);

  if (g_atomic_int_dec_and_test (&self->ref_count))
    self->vtable->finalize (self);
}

gboolean
orderly_store_create_run (OrderlyStore      *self,
                          OrderlyRunRecord  *run,
                          GError           **error)
{
  g_return_val_if_fail (self != NULL && run != NULL, FALSE);
  return self->vtable->create_run (self, run, error);
}

gboolean
orderly_store_save_run (OrderlyStore            *self,
                        const OrderlyRunRecord  *run,
                        GError                 **error)
{
  g_return_val_if_fail (self != NULL && run != NULL, FALSE);
  return self->vtable->save_run (self, run, error);
}

/**
 * orderly_store_list_runs:
 *
 * Returns: (transfer full): the newest @limit runs, newest first, as
 *   #OrderlyRunRecord, or %NULL on error.
 */
GPtrArray *
orderly_store_list_runs (OrderlyStore  *self,
                         guint          limit,
                         GError       **error)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->vtable->list_runs (self, limit, error);
}

gboolean
orderly_store_clear_orders (OrderlyStore  *self,
                            gint64        *deleted,
                            GError       **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->vtable->clear_orders (self, deleted, error);
}

gboolean
orderly_store_reset (OrderlyStore  *self,
                     gint64        *deleted_orders,
                     gint64        *deleted_runs,
                     GError       **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->vtable->reset (self, deleted_orders, deleted_runs, error);
}

gboolean
orderly_store_insert_orders (OrderlyStore        *self,
                             const OrderlyOrder  *orders,
                             guint                n_orders,
                             GError             **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (orders != NULL || n_orders == 0, FALSE);
  return self->vtable->insert_orders (self, orders, n_orders, error);
}

/**
 * orderly_store_process_orders:
 * @n_claimed: (out): how many of @results were still pending and are now processed
 *
 * Claims the given orders and writes their results in one transaction. An
 * order that is no longer pending is left untouched, so an order is never
 * processed twice.
 */
gboolean
orderly_store_process_orders (OrderlyStore              *self,
                              const OrderlyOrderResult  *results,
                              guint                      n_results,
                              guint                     *n_claimed,
                              GError                   **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (results != NULL || n_results == 0, FALSE);
  return self->vtable->process_orders (self, results, n_results, n_claimed, error);
}

gboolean
orderly_store_count_orders (OrderlyStore        *self,
                            gint64               run_id,
                            OrderlyOrderCounts  *counts,
                            GError             **error)
{
  g_return_val_if_fail (self != NULL && counts != NULL, FALSE);
  return self->vtable->count_orders (self, run_id, counts, error);
}

/**
 * orderly_store_pending_order_ids:
 *
 * Returns: (transfer full): the ids (gint64) of @run_id's pending orders of
 *   @priority, in ascending order, or %NULL on error.
 */
GArray *
orderly_store_pending_order_ids (OrderlyStore     *self,
                                 gint64            run_id,
                                 OrderlyPriority   priority,
                                 GError          **error)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->vtable->pending_order_ids (self, run_id, priority, error);
}

/**
 * orderly_store_append_logs:
 * @keep: how many of the newest lines to keep stored (0 keeps all)
 *
 * Stores @records. A record's id is kept if it has one (ids must rise);
 * records without one get the next free id.
 */
gboolean
orderly_store_append_logs (OrderlyStore      *self,
                           OrderlyLogRecord **records,
                           guint              n_records,
                           guint              keep,
                           GError           **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->vtable->append_logs (self, records, n_records, keep, error);
}

/**
 * orderly_store_recent_logs:
 *
 * Returns: (transfer full): the newest @n_lines log records, oldest first.
 */
GPtrArray *
orderly_store_recent_logs (OrderlyStore  *self,
                           guint          n_lines,
                           GError       **error)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->vtable->recent_logs (self, n_lines, error);
}

gboolean
orderly_store_check (OrderlyStore  *self,
                     GError       **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->vtable->check (self, error);
}

OrderlyRunRecord *
orderly_run_record_copy (const OrderlyRunRecord *run)
{
  OrderlyRunRecord *copy = g_new (OrderlyRunRecord, 1);

  *copy = *run;
  copy->error_message = g_strdup (run->error_message);
  return copy;
}

void
orderly_run_record_clear (OrderlyRunRecord *run)
{
  g_clear_pointer (&run->error_message, g_free);
}

void
orderly_run_record_free (OrderlyRunRecord *run)
{
  if (run == NULL)
    return;
  orderly_run_record_clear (run);
  g_free (run);
}

OrderlyLogRecord *
orderly_log_record_new (OrderlyLogLevel  level,
                        const char      *category,
                        const char      *message,
                        const char      *data_json)
{
  OrderlyLogRecord *record = g_new0 (OrderlyLogRecord, 1);

  record->timestamp_ms = g_get_real_time () / 1000;
  record->level = level;
  record->category = g_strdup (category ? category : "engine");
  record->message = g_strdup (message ? message : "");
  record->data_json = g_strdup (data_json);
  return record;
}

void
orderly_log_record_free (OrderlyLogRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->category);
  g_free (record->message);
  g_free (record->data_json);
  g_free (record);
}
