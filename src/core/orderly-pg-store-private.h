/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "orderly-pg-pool.h"
#include "orderly-pg-store.h"
#include "orderly-store-private.h"

G_BEGIN_DECLS

/*
 * Counters are spread over shards, one row each per run, priority and
 * shard: a transaction updates the shard of its claim, so workers of every
 * instance rarely wait for one another, and a reader adds the shards up.
 */
#define ORDERLY_PG_SHARDS 16

/* The most orders of one priority in one claim row made at generation. */
#define ORDERLY_PG_CHUNK 4096

/* Failures rows keep an order's state in the OrderlyJobState numbering. */
#define PG_FAILURE_WAITING ORDERLY_JOB_STATE_WAITING
#define PG_FAILURE_ACTIVE  ORDERLY_JOB_STATE_ACTIVE
#define PG_FAILURE_FAILED  ORDERLY_JOB_STATE_FAILED
#define PG_FAILURE_DELAYED ORDERLY_JOB_STATE_DELAYED
/* The same as numbers, for SQL text. */
#define PG_FAILURE_WAITING_VALUE 0
#define PG_FAILURE_ACTIVE_VALUE  1
#define PG_FAILURE_FAILED_VALUE  3
#define PG_FAILURE_DELAYED_VALUE 4

struct _OrderlyPgStore
{
  OrderlyStore   parent_instance;

  OrderlyPgPool *pool;
  char          *instance_id;
  char          *description;
};

/* Text parameters for one statement: numbers are printed into slots,
 * arrays built as literals. */
typedef struct
{
  char        slots[32][32];
  const char *values[32];
  GPtrArray  *owned;
  int         n;
} OrderlyPgParams;

void      _orderly_pg_params_int    (OrderlyPgParams *params,
                                     gint64           value);
void      _orderly_pg_params_double (OrderlyPgParams *params,
                                     double           value);
void      _orderly_pg_params_text   (OrderlyPgParams *params,
                                     const char      *value);
void      _orderly_pg_params_take   (OrderlyPgParams *params,
                                     GString         *array);
void      _orderly_pg_params_clear  (OrderlyPgParams *params);

void      _orderly_pg_array_int     (GString         *array,
                                     gint64           value);
void      _orderly_pg_array_text    (GString         *array,
                                     const char      *text);
void      _orderly_pg_array_end     (GString         *array);
void      _orderly_pg_columns_begin (GString        **columns,
                                     guint            n_columns);
void      _orderly_pg_params_take_columns (OrderlyPgParams  *params,
                                           GString         **columns,
                                           guint             n_columns);

PGresult *_orderly_pg_exec          (OrderlyPgConnection    *connection,
                                     const char             *name,
                                     const char             *sql,
                                     const OrderlyPgParams  *params,
                                     GError                **error);
PGresult *_orderly_pg_store_exec    (OrderlyPgStore         *self,
                                     const char             *name,
                                     const char             *sql,
                                     const OrderlyPgParams  *params,
                                     GError                **error);
gint64    _orderly_pg_now_us        (OrderlyPgConnection    *connection,
                                     GError                **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (OrderlyPgParams, _orderly_pg_params_clear)

/* The queue, in orderly-pg-queue.c. */
gboolean    _orderly_pg_insert_orders  (OrderlyPgStore             *self,
                                        const OrderlyOrder         *orders,
                                        guint                       n_orders,
                                        GError                    **error);
gboolean    _orderly_pg_count_orders   (OrderlyPgStore             *self,
                                        OrderlyPgConnection        *connection,
                                        gint64                      run_id,
                                        OrderlyOrderCounts         *counts,
                                        GError                    **error);
gboolean    _orderly_pg_claim          (OrderlyPgStore             *self,
                                        const OrderlyClaimRequest  *request,
                                        OrderlyClaimAnswer         *answer,
                                        GError                    **error);
gboolean    _orderly_pg_renew_claim    (OrderlyPgStore             *self,
                                        OrderlyClaim               *claim,
                                        gint64                      lease_ms,
                                        GError                    **error);
gboolean    _orderly_pg_complete_claim (OrderlyPgStore             *self,
                                        const OrderlyClaim         *claim,
                                        const OrderlyOrderOutcome  *outcomes,
                                        guint                       n_outcomes,
                                        const OrderlyClaimRequest  *next,
                                        OrderlyClaimAnswer         *next_answer,
                                        GError                    **error);
gboolean    _orderly_pg_release_claims (OrderlyPgStore             *self,
                                        gint64                      run_id,
                                        gboolean                    expired_only,
                                        gint64                      max_orders,
                                        gint64                     *released,
                                        GError                    **error);
gboolean    _orderly_pg_retry_failed   (OrderlyPgStore             *self,
                                        gint64                      run_id,
                                        gint64                      max_orders,
                                        gint64                     *requeued,
                                        GError                    **error);
gboolean    _orderly_pg_clean          (OrderlyPgStore             *self,
                                        gint64                      run_id,
                                        OrderlyJobState             state,
                                        gint64                      finished_before_us,
                                        gint64                      limit,
                                        gint64                     *removed,
                                        GError                    **error);
GPtrArray  *_orderly_pg_list_jobs      (OrderlyPgStore             *self,
                                        gint64                      run_id,
                                        OrderlyJobState             state,
                                        gint64                      offset,
                                        guint                       limit,
                                        gboolean                    with_data,
                                        GError                    **error);
gboolean    _orderly_pg_get_wait_histogram (OrderlyPgStore         *self,
                                        gint64                      run_id,
                                        OrderlyPriority             priority,
                                        OrderlyWaitHistogram       *histogram,
                                        GError                    **error);
gboolean    _orderly_pg_verify_run     (OrderlyPgStore             *self,
                                        gint64                      run_id,
                                        OrderlyRunCheck            *check,
                                        GError                    **error);

G_END_DECLS
