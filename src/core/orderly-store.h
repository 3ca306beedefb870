/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "orderly-types.h"

G_BEGIN_DECLS

/* One generated order, as inserted. */
typedef struct
{
  gint64          id;
  gint64          run_id;
  OrderlyPriority priority;
  gint64          amount_cents;
  gint64          created_at_us;
  char            customer[32];
} OrderlyOrder;

/* What processing wrote for one order; claimed only if still pending. */
typedef struct
{
  gint64           id;
  OrderlyPriority  priority;
  const char      *observations;
  gint64           processed_at_us;
  guint            worker_id;
} OrderlyOrderResult;

typedef struct
{
  gint64 vip_total;
  gint64 normal_total;
  gint64 vip_processed;
  gint64 normal_processed;
} OrderlyOrderCounts;

/* One row of run history. Times are microseconds since the epoch (0 = not yet),
 * durations milliseconds. */
typedef struct
{
  gint64        id;
  guint64       seed;
  gint64        quantity;
  double        vip_share;
  OrderlyPhase  phase;
  guint         workers;
  gint64        started_at_us;
  gint64        finished_at_us;
  double        generation_ms;
  double        enqueue_vip_ms;
  double        enqueue_normal_ms;
  gint64        vip_start_us;
  gint64        vip_end_us;
  double        vip_ms;
  gint64        vip_count;
  gint64        normal_start_us;
  gint64        normal_end_us;
  double        normal_ms;
  gint64        normal_count;
  double        total_ms;
  gint64        generated;
  gint64        vip_total;
  gint64        normal_total;
  char         *error_message;
} OrderlyRunRecord;

typedef struct
{
  gint64           id;
  gint64           timestamp_ms;
  OrderlyLogLevel  level;
  char            *category;
  char            *message;
  char            *data_json;
} OrderlyLogRecord;

/**
 * OrderlyStoreVTable:
 *
 * What a storage backend implements. Every function may be called from any
 * thread; a backend serialises access itself. Every write is one transaction:
 * it happens whole or not at all.
 */
typedef struct
{
  void     (*finalize)          (OrderlyStore             *self);
  gboolean (*create_run)        (OrderlyStore             *self,
                                 OrderlyRunRecord         *run,
                                 GError                  **error);
  gboolean (*save_run)          (OrderlyStore             *self,
                                 const OrderlyRunRecord   *run,
                                 GError                  **error);
  GPtrArray *(*list_runs)       (OrderlyStore             *self,
                                 guint                     limit,
                                 GError                  **error);
  gboolean (*clear_orders)      (OrderlyStore             *self,
                                 gint64                   *deleted,
                                 GError                  **error);
  gboolean (*reset)             (OrderlyStore             *self,
                                 gint64                   *deleted_orders,
                                 gint64                   *deleted_runs,
                                 GError                  **error);
  gboolean (*insert_orders)     (OrderlyStore             *self,
                                 const OrderlyOrder       *orders,
                                 guint                     n_orders,
                                 GError                  **error);
  gboolean (*process_orders)    (OrderlyStore             *self,
                                 const OrderlyOrderResult *results,
                                 guint                     n_results,
                                 guint                    *n_claimed,
                                 GError                  **error);
  gboolean (*count_orders)      (OrderlyStore             *self,
                                 gint64                    run_id,
                                 OrderlyOrderCounts       *counts,
                                 GError                  **error);
  GArray  *(*pending_order_ids) (OrderlyStore             *self,
                                 gint64                    run_id,
                                 OrderlyPriority           priority,
                                 GError                  **error);
  gboolean (*append_logs)       (OrderlyStore             *self,
                                 OrderlyLogRecord        **records,
                                 guint                     n_records,
                                 guint                     keep,
                                 GError                  **error);
  GPtrArray *(*recent_logs)     (OrderlyStore             *self,
                                 guint                     n_lines,
                                 GError                  **error);
  gboolean (*check)             (OrderlyStore             *self,
                                 GError                  **error);
} OrderlyStoreVTable;

struct _OrderlyStore
{
  const OrderlyStoreVTable *vtable;
  gint                      ref_count;
};

#define ORDERLY_TYPE_STORE (orderly_store_get_type ())

GType             orderly_store_get_type          (void) G_GNUC_CONST;
void              orderly_store_init              (OrderlyStore              *self,
                                                   const OrderlyStoreVTable  *vtable);
OrderlyStore     *orderly_store_ref               (OrderlyStore              *self);
void              orderly_store_unref             (OrderlyStore              *self);
gboolean          orderly_store_create_run        (OrderlyStore              *self,
                                                   OrderlyRunRecord          *run,
                                                   GError                   **error);
gboolean          orderly_store_save_run          (OrderlyStore              *self,
                                                   const OrderlyRunRecord    *run,
                                                   GError                   **error);
GPtrArray        *orderly_store_list_runs         (OrderlyStore              *self,
                                                   guint                      limit,
                                                   GError                   **error);
gboolean          orderly_store_clear_orders      (OrderlyStore              *self,
                                                   gint64                    *deleted,
                                                   GError                   **error);
gboolean          orderly_store_reset             (OrderlyStore              *self,
                                                   gint64                    *deleted_orders,
                                                   gint64                    *deleted_runs,
                                                   GError                   **error);
gboolean          orderly_store_insert_orders     (OrderlyStore              *self,
                                                   const OrderlyOrder        *orders,
                                                   guint                      n_orders,
                                                   GError                   **error);
gboolean          orderly_store_process_orders    (OrderlyStore              *self,
                                                   const OrderlyOrderResult  *results,
                                                   guint                      n_results,
                                                   guint                     *n_claimed,
                                                   GError                   **error);
gboolean          orderly_store_count_orders      (OrderlyStore              *self,
                                                   gint64                     run_id,
                                                   OrderlyOrderCounts        *counts,
                                                   GError                   **error);
GArray           *orderly_store_pending_order_ids (OrderlyStore              *self,
                                                   gint64                     run_id,
                                                   OrderlyPriority            priority,
                                                   GError                   **error);
gboolean          orderly_store_append_logs       (OrderlyStore              *self,
                                                   OrderlyLogRecord         **records,
                                                   guint                      n_records,
                                                   guint                      keep,
                                                   GError                   **error);
GPtrArray        *orderly_store_recent_logs       (OrderlyStore              *self,
                                                   guint                      n_lines,
                                                   GError                   **error);
gboolean          orderly_store_check             (OrderlyStore              *self,
                                                   GError                   **error);

OrderlyRunRecord *orderly_run_record_copy         (const OrderlyRunRecord    *run);
void              orderly_run_record_clear        (OrderlyRunRecord          *run);
void              orderly_run_record_free         (OrderlyRunRecord          *run);

OrderlyLogRecord *orderly_log_record_new          (OrderlyLogLevel            level,
                                                   const char                *category,
                                                   const char                *message,
                                                   const char                *data_json);
void              orderly_log_record_free         (OrderlyLogRecord          *record);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrderlyStore, orderly_store_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrderlyRunRecord, orderly_run_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrderlyLogRecord, orderly_log_record_free)

G_END_DECLS
