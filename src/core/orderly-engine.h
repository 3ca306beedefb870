/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "orderly-log-store.h"
#include "orderly-status.h"
#include "orderly-store.h"

G_BEGIN_DECLS

#define ORDERLY_DEFAULT_TICK_HZ 10

typedef struct
{
  gint64   quantity;
  gboolean force;
  double   vip_share;     /* < 0: the engine's default */
  gboolean has_seed;
  guint64  seed;
} OrderlyRunRequest;

typedef struct
{
  gint64       run_id;
  OrderlyPhase phase;
  gboolean     forced;
  gboolean     stale_recovered;
} OrderlyStartInfo;

typedef struct
{
  gint64 deleted_orders;
  gint64 deleted_runs;
} OrderlyResetInfo;

typedef struct
{
  gint64 waiting;
  gint64 active;
  gint64 completed;
  gint64 failed;
  gint64 delayed;
  gint64 paused;
} OrderlyQueueCounts;

#define ORDERLY_TYPE_ENGINE (orderly_engine_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyEngine, orderly_engine, ORDERLY, ENGINE, GObject)

OrderlyEngine   *orderly_engine_new              (OrderlyStore             *store,
                                                  GError                  **error);
OrderlyStore    *orderly_engine_get_store        (OrderlyEngine            *self);
OrderlyStatus   *orderly_engine_get_status       (OrderlyEngine            *self);
OrderlyLogStore *orderly_engine_get_log_store    (OrderlyEngine            *self);
gboolean         orderly_engine_is_running       (OrderlyEngine            *self);
gboolean         orderly_engine_start_run        (OrderlyEngine            *self,
                                                  const OrderlyRunRequest  *request,
                                                  OrderlyStartInfo         *info,
                                                  GError                  **error);
OrderlyPhase     orderly_engine_cancel           (OrderlyEngine            *self);
gboolean         orderly_engine_reset            (OrderlyEngine            *self,
                                                  OrderlyResetInfo         *info,
                                                  GError                  **error);
gboolean         orderly_engine_resume           (OrderlyEngine            *self,
                                                  GError                  **error);
void             orderly_engine_shutdown         (OrderlyEngine            *self);
void             orderly_engine_flush            (OrderlyEngine            *self);
GPtrArray       *orderly_engine_list_runs        (OrderlyEngine            *self,
                                                  guint                     limit,
                                                  GError                  **error);
void             orderly_engine_get_queue_counts (OrderlyEngine            *self,
                                                  OrderlyQueueCounts       *counts);
void             orderly_engine_log              (OrderlyEngine            *self,
                                                  OrderlyLogLevel           level,
                                                  const char               *category,
                                                  const char               *data_json,
                                                  const char               *format,
                                                  ...) G_GNUC_PRINTF (5, 6);

guint            orderly_engine_get_workers      (OrderlyEngine            *self);
void             orderly_engine_set_workers      (OrderlyEngine            *self,
                                                  guint                     workers);
gint64           orderly_engine_get_work_us      (OrderlyEngine            *self);
void             orderly_engine_set_work_us      (OrderlyEngine            *self,
                                                  gint64                    work_us);
guint            orderly_engine_get_tick_hz      (OrderlyEngine            *self);
void             orderly_engine_set_tick_hz      (OrderlyEngine            *self,
                                                  guint                     tick_hz);
double           orderly_engine_get_vip_share    (OrderlyEngine            *self);
void             orderly_engine_set_vip_share    (OrderlyEngine            *self,
                                                  double                    vip_share);
guint            orderly_engine_get_log_capacity (OrderlyEngine            *self);
void             orderly_engine_set_log_capacity (OrderlyEngine            *self,
                                                  guint                     capacity);

G_END_DECLS
