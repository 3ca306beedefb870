/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>

#include "orderly-sqlite-store.h"
#include "orderly-store-private.h"

G_BEGIN_DECLS

/* Statements prepared once and reused; the queue's hot paths. */
typedef enum
{
  STMT_INSERT_VIP_ORDER,
  STMT_INSERT_NORMAL_ORDER,
  STMT_INSERT_VIP_RESULT,
  STMT_INSERT_NORMAL_RESULT,
  STMT_INSERT_VIP_RETRIED,
  STMT_INSERT_NORMAL_RETRIED,
  STMT_COUNT_GENERATED,
  STMT_FRESH_VIP,
  STMT_FRESH_NORMAL,
  STMT_RANGE_VIP,
  STMT_RANGE_NORMAL,
  STMT_NTH_VIP,
  STMT_NTH_NORMAL,
  STMT_TAIL_VIP,
  STMT_TAIL_NORMAL,
  STMT_INSERT_CLAIM,
  STMT_SET_NEXT_ID,
  STMT_END_CLAIM,
  STMT_GIVE_BACK_REST,
  STMT_COUNT_OUTCOMES,
  STMT_READ_COUNTS,
  STMT_ACTIVE_COUNTS,
  STMT_GIVEN_BACK,
  STMT_RETRIES_VIP,
  STMT_RETRIES_NORMAL,
  STMT_MARK_RETRY,
  STMT_READ_WAITS,
  STMT_INSERT_FAILURE,
  STMT_UPDATE_FAILURE,
  STMT_DELETE_FAILURE,
  STMT_INSERT_RUN,
  STMT_UPDATE_RUN,
  STMT_INSERT_LOG,
  N_STMTS
} OrderlySqliteStmt;

/* A connection with its statements, prepared once and reused. */
typedef struct
{
  sqlite3      *db;
  sqlite3_stmt *stmts[N_STMTS];
  const char   *path;
} OrderlySqliteConn;

typedef struct _OrderlySqliteCheckpointer OrderlySqliteCheckpointer;

/* Reading connections: a listing, a count and a worker's claim at once. */
#define ORDERLY_SQLITE_READERS 3

struct _OrderlySqliteStore
{
  OrderlyStore       parent_instance;

  /* Every write goes through one connection, guarded by lock, so writers
   * never spin in SQLite's busy handler. Listings, counts and the workers'
   * loads of their claims read through a few others, each used by one
   * caller at a time (idle_readers, guarded by readers_lock): in WAL mode
   * they see the last commit without waiting for the write under way, a
   * long read holds up no writer, and a listing does not queue behind a
   * worker reading its claim. */
  GMutex             lock;
  OrderlySqliteConn  writer;
  GMutex             readers_lock;
  GCond              readers_cond;
  OrderlySqliteConn  readers[ORDERLY_SQLITE_READERS];
  GPtrArray         *idle_readers;
  /* The writer's checkpoints, on a thread of their own. */
  OrderlySqliteCheckpointer *checkpointer;
  char              *path;
};

/* Failures rows keep an order's state in the OrderlyJobState numbering. */
#define FAILURE_WAITING ORDERLY_JOB_STATE_WAITING
#define FAILURE_ACTIVE  ORDERLY_JOB_STATE_ACTIVE
#define FAILURE_FAILED  ORDERLY_JOB_STATE_FAILED
#define FAILURE_DELAYED ORDERLY_JOB_STATE_DELAYED

void           _orderly_sqlite_set_error   (OrderlySqliteConn   *self,
                                            int                  code,
                                            GError             **error);
gboolean       _orderly_sqlite_exec        (OrderlySqliteConn   *self,
                                            const char          *sql,
                                            GError             **error);
gboolean       _orderly_sqlite_begin       (OrderlySqliteConn   *self,
                                            GError             **error);
gboolean       _orderly_sqlite_commit      (OrderlySqliteConn   *self,
                                            GError             **error);
void           _orderly_sqlite_rollback    (OrderlySqliteConn   *self);
sqlite3_stmt  *_orderly_sqlite_stmt        (OrderlySqliteConn   *self,
                                            OrderlySqliteStmt    id);
sqlite3_stmt  *_orderly_sqlite_prepare     (OrderlySqliteConn   *self,
                                            const char          *sql,
                                            GError             **error);
gboolean       _orderly_sqlite_step_done   (OrderlySqliteConn   *self,
                                            sqlite3_stmt        *statement,
                                            GError             **error);
gboolean       _orderly_sqlite_reset_rows  (OrderlySqliteConn   *self,
                                            sqlite3_stmt        *statement,
                                            int                  rc,
                                            GError             **error);
gboolean       _orderly_sqlite_finish_rows (OrderlySqliteConn   *self,
                                            sqlite3_stmt        *statement,
                                            int                  rc,
                                            GError             **error);
gint64         _orderly_sqlite_query_int   (OrderlySqliteConn   *self,
                                            const char          *sql,
                                            GError             **error);
gboolean       _orderly_sqlite_delete_orders (OrderlySqliteConn  *self,
                                              gint64            *deleted,
                                              GError           **error);
gboolean       _orderly_sqlite_fill_queue_counts (OrderlySqliteConn   *self,
                                                  GError             **error);

OrderlySqliteCheckpointer *_orderly_sqlite_checkpointer_start (sqlite3                    *writer,
                                                               const char                 *path,
                                                               GError                    **error);
void           _orderly_sqlite_checkpointer_stop (OrderlySqliteCheckpointer *self);

/* The queue, in orderly-sqlite-queue.c; called with the lock held. */
gboolean       _orderly_sqlite_insert_orders  (OrderlySqliteConn          *self,
                                               const OrderlyOrder         *orders,
                                               guint                       n_orders,
                                               GError                    **error);
gboolean       _orderly_sqlite_count_orders   (OrderlySqliteConn          *self,
                                               gint64                      run_id,
                                               OrderlyOrderCounts         *counts,
                                               GError                    **error);
gboolean       _orderly_sqlite_claim          (OrderlySqliteConn          *self,
                                               const OrderlyClaimRequest  *request,
                                               OrderlyClaimAnswer         *answer,
                                               GError                    **error);
gboolean       _orderly_sqlite_load_claim     (OrderlySqliteConn          *self,
                                               OrderlyClaim               *claim,
                                               GError                    **error);
gboolean       _orderly_sqlite_renew_claim    (OrderlySqliteConn          *self,
                                               OrderlyClaim               *claim,
                                               gint64                      lease_ms,
                                               GError                    **error);
gboolean       _orderly_sqlite_complete_claim (OrderlySqliteConn          *self,
                                               const OrderlyClaim         *claim,
                                               const OrderlyOrderOutcome  *outcomes,
                                               guint                       n_outcomes,
                                               const OrderlyClaimRequest  *next,
                                               OrderlyClaimAnswer         *next_answer,
                                               GError                    **error);
gboolean       _orderly_sqlite_release_claims (OrderlySqliteConn          *self,
                                               gint64                      run_id,
                                               gboolean                    expired_only,
                                               gint64                      max_orders,
                                               gint64                     *released,
                                               GError                    **error);
gboolean       _orderly_sqlite_retry_failed   (OrderlySqliteConn          *self,
                                               gint64                      run_id,
                                               gint64                      max_orders,
                                               gint64                     *requeued,
                                               GError                    **error);
gboolean       _orderly_sqlite_clean          (OrderlySqliteConn          *self,
                                               gint64                      run_id,
                                               OrderlyJobState             state,
                                               gint64                      finished_before_us,
                                               gint64                      limit,
                                               gint64                     *removed,
                                               GError                    **error);
GPtrArray     *_orderly_sqlite_list_jobs      (OrderlySqliteConn          *self,
                                               gint64                      run_id,
                                               OrderlyJobState             state,
                                               gint64                      offset,
                                               guint                       limit,
                                               gboolean                    with_data,
                                               GError                    **error);
gboolean       _orderly_sqlite_get_wait_histogram (OrderlySqliteConn      *self,
                                                   gint64                  run_id,
                                                   OrderlyPriority         priority,
                                                   OrderlyWaitHistogram   *histogram,
                                                   GError                **error);
gboolean       _orderly_sqlite_verify_run     (OrderlySqliteConn          *self,
                                               gint64                      run_id,
                                               OrderlyRunCheck            *check,
                                               GError                    **error);

G_END_DECLS
