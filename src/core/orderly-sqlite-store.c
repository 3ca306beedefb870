/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-store"

#include "config.h"

#include <errno.h>
#include <sqlite3.h>

#include "orderly-sqlite-store.h"

/*
 * The embedded backend: one SQLite file in WAL mode. One connection serves
 * every thread, guarded by a mutex, so writers never spin in SQLite's busy
 * handler and no connection re-reads pages another one just wrote. Statements
 * are prepared once and reused.
 */

typedef enum
{
  STMT_INSERT_ORDER,
  STMT_PROCESS_VIP,
  STMT_PROCESS_NORMAL,
  STMT_INSERT_RUN,
  STMT_UPDATE_RUN,
  STMT_INSERT_LOG,
  N_STMTS
} StmtId;

static const char * const stmt_sql[N_STMTS] = {
  [STMT_INSERT_ORDER] =
    "INSERT INTO orders (id, run_id, customer, priority, amount, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
  [STMT_PROCESS_VIP] =
    "INSERT OR IGNORE INTO vip_results (id, observations, processed_at, worker) "
    "VALUES (?1, ?2, ?3, ?4)",
  [STMT_PROCESS_NORMAL] =
    "INSERT OR IGNORE INTO normal_results (id, observations, processed_at, worker) "
    "VALUES (?1, ?2, ?3, ?4)",
  [STMT_INSERT_RUN] =
    "INSERT INTO runs (seed, quantity, vip_share, phase, workers, started_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
  [STMT_UPDATE_RUN] =
    "UPDATE runs SET phase = ?2, finished_at = ?3, generation_ms = ?4, enqueue_vip_ms = ?5, "
    "enqueue_normal_ms = ?6, vip_start = ?7, vip_end = ?8, vip_ms = ?9, vip_count = ?10, "
    "normal_start = ?11, normal_end = ?12, normal_ms = ?13, normal_count = ?14, total_ms = ?15, "
    "generated = ?16, vip_total = ?17, normal_total = ?18, error = ?19, workers = ?20 "
    "WHERE id = ?1",
  [STMT_INSERT_LOG] =
    "INSERT INTO logs (timestamp, level, category, message, data, id) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
};

static const char * const schema_v1 =
  "CREATE TABLE runs ("
  "  id INTEGER PRIMARY KEY,"
  "  seed INTEGER NOT NULL,"
  "  quantity INTEGER NOT NULL,"
  "  vip_share REAL NOT NULL,"
  "  phase TEXT NOT NULL,"
  "  workers INTEGER NOT NULL DEFAULT 0,"
  "  started_at INTEGER NOT NULL,"
  "  finished_at INTEGER NOT NULL DEFAULT 0,"
  "  generation_ms REAL NOT NULL DEFAULT 0,"
  "  enqueue_vip_ms REAL NOT NULL DEFAULT 0,"
  "  enqueue_normal_ms REAL NOT NULL DEFAULT 0,"
  "  vip_start INTEGER NOT NULL DEFAULT 0,"
  "  vip_end INTEGER NOT NULL DEFAULT 0,"
  "  vip_ms REAL NOT NULL DEFAULT 0,"
  "  vip_count INTEGER NOT NULL DEFAULT 0,"
  "  normal_start INTEGER NOT NULL DEFAULT 0,"
  "  normal_end INTEGER NOT NULL DEFAULT 0,"
  "  normal_ms REAL NOT NULL DEFAULT 0,"
  "  normal_count INTEGER NOT NULL DEFAULT 0,"
  "  total_ms REAL NOT NULL DEFAULT 0,"
  "  generated INTEGER NOT NULL DEFAULT 0,"
  "  vip_total INTEGER NOT NULL DEFAULT 0,"
  "  normal_total INTEGER NOT NULL DEFAULT 0,"
  "  error TEXT"
  ");"
  "CREATE TABLE orders ("
  "  id INTEGER PRIMARY KEY,"
  "  run_id INTEGER NOT NULL,"
  "  customer TEXT NOT NULL,"
  "  priority INTEGER NOT NULL,"
  "  amount INTEGER NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  status INTEGER NOT NULL DEFAULT 0,"
  "  observations TEXT,"
  "  processed_at INTEGER,"
  "  worker INTEGER"
  ");"
  "CREATE TABLE logs ("
  "  id INTEGER PRIMARY KEY,"
  "  timestamp INTEGER NOT NULL,"
  "  level INTEGER NOT NULL,"
  "  category TEXT NOT NULL,"
  "  message TEXT NOT NULL,"
  "  data TEXT"
  ");";

/*
 * Version 2 keeps what processing writes apart from the orders, one row per
 * processed order, in a table per priority. A row's primary key is the claim:
 * an order can be processed once. Each phase processes its orders in
 * ascending id order, so its results are appended, and no order row is ever
 * rewritten. The view shows each order whole, with its status.
 */
#define RESULTS_TABLE(name) \
  "CREATE TABLE " name " (" \
  "  id INTEGER PRIMARY KEY," \
  "  observations TEXT NOT NULL," \
  "  processed_at INTEGER NOT NULL," \
  "  worker INTEGER NOT NULL" \
  ");" \
  "INSERT INTO " name " (id, observations, processed_at, worker)" \
  "  SELECT id, coalesce(observations, ''), coalesce(processed_at, 0), coalesce(worker, 0)" \
  "  FROM orders WHERE status = 1 AND priority = "

static const char * const schema_v2 =
  RESULTS_TABLE ("vip_results") "0;"
  RESULTS_TABLE ("normal_results") "1;"
  "ALTER TABLE orders DROP COLUMN status;"
  "ALTER TABLE orders DROP COLUMN observations;"
  "ALTER TABLE orders DROP COLUMN processed_at;"
  "ALTER TABLE orders DROP COLUMN worker;"
  "CREATE VIEW orders_view AS"
  "  SELECT o.id, o.run_id, o.customer,"
  "         CASE o.priority WHEN 0 THEN 'VIP' ELSE 'NORMAL' END AS priority,"
  "         o.amount, o.created_at,"
  "         CASE WHEN v.id IS NULL AND n.id IS NULL THEN 'pending' ELSE 'processed' END AS status,"
  "         coalesce (v.observations, n.observations) AS observations,"
  "         coalesce (v.processed_at, n.processed_at) AS processed_at,"
  "         coalesce (v.worker, n.worker) AS worker"
  "  FROM orders o"
  "  LEFT JOIN vip_results v ON v.id = o.id AND o.priority = 0"
  "  LEFT JOIN normal_results n ON n.id = o.id AND o.priority = 1;";

#undef RESULTS_TABLE

/* Migrations from version N-1 to N, applied in order. */
static const char * const migrations[] = {
  schema_v1,
  schema_v2,
};

typedef struct
{
  OrderlyStore  parent;
  GMutex        lock;
  sqlite3      *db;
  sqlite3_stmt *stmts[N_STMTS];
  char         *path;
} OrderlySqliteStore;

static void
set_error_from_code (GError     **error,
                     int          code,
                     const char  *path,
                     const char  *detail)
{
  int primary = code & 0xff;

  switch (primary)
    {
    case SQLITE_FULL:
      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_NO_SPACE,
                   "The disk is full: cannot write the database %s", path);
      break;
    case SQLITE_READONLY:
    case SQLITE_PERM:
      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_READ_ONLY,
                   "The database %s is read-only and cannot be written", path);
      break;
    case SQLITE_CANTOPEN:
      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_READ_ONLY,
                   "Cannot open the database %s: %s", path, detail);
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_CORRUPT,
                   "The database %s is damaged or is not an Orderly database (%s). "
                   "Move it aside to start with a new one.", path, detail);
      break;
    case SQLITE_IOERR:
      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_STORAGE,
                   "Input/output error on the database %s: %s", path, detail);
      break;
    default:
      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_STORAGE,
                   "Database error on %s: %s", path, detail);
      break;
    }
}

static void
set_error (OrderlySqliteStore  *self,
           int                  code,
           GError             **error)
{
  set_error_from_code (error, code, self->path, sqlite3_errmsg (self->db));
}

static gboolean
exec (OrderlySqliteStore  *self,
      const char          *sql,
      GError             **error)
{
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      set_error (self, rc, error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
begin (OrderlySqliteStore  *self,
       GError             **error)
{
  return exec (self, "BEGIN IMMEDIATE", error);
}

static gboolean
commit (OrderlySqliteStore  *self,
        GError             **error)
{
  if (!exec (self, "COMMIT", error))
    {
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }
  return TRUE;
}

static void
rollback (OrderlySqliteStore *self)
{
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

static sqlite3_stmt *
stmt (OrderlySqliteStore *self,
      StmtId              id)
{
  sqlite3_reset (self->stmts[id]);
  sqlite3_clear_bindings (self->stmts[id]);
  return self->stmts[id];
}

static gboolean
step_done (OrderlySqliteStore  *self,
           sqlite3_stmt        *statement,
           GError             **error)
{
  int rc = sqlite3_step (statement);

  sqlite3_reset (statement);
  if (rc != SQLITE_DONE)
    {
      set_error (self, rc, error);
      return FALSE;
    }
  return TRUE;
}

/* One row of a batch: on failure the whole transaction is rolled back. */
static gboolean
step_in_batch (OrderlySqliteStore  *self,
               sqlite3_stmt        *statement,
               GError             **error)
{
  if (!step_done (self, statement, error))
    {
      rollback (self);
      return FALSE;
    }
  return TRUE;
}

/* Ends a read loop: %TRUE if it stopped at the last row. */
static gboolean
finish_rows (OrderlySqliteStore  *self,
             sqlite3_stmt        *statement,
             int                  rc,
             GError             **error)
{
  sqlite3_finalize (statement);
  if (rc != SQLITE_DONE)
    {
      set_error (self, rc, error);
      return FALSE;
    }
  return TRUE;
}

static sqlite3_stmt *
prepare (OrderlySqliteStore  *self,
         const char          *sql,
         GError             **error)
{
  sqlite3_stmt *statement = NULL;
  int rc = sqlite3_prepare_v2 (self->db, sql, -1, &statement, NULL);

  if (rc != SQLITE_OK)
    {
      set_error (self, rc, error);
      return NULL;
    }
  return statement;
}

static gint64
query_int (OrderlySqliteStore  *self,
           const char          *sql,
           GError             **error)
{
  sqlite3_stmt *statement = prepare (self, sql, error);
  gint64 value = -1;
  int rc;

  if (statement == NULL)
    return -1;
  rc = sqlite3_step (statement);
  if (rc == SQLITE_ROW)
    value = sqlite3_column_int64 (statement, 0);
  else if (rc != SQLITE_DONE)
    set_error (self, rc, error);
  else
    value = 0;
  sqlite3_finalize (statement);
  return value;
}

static gpointer
configure_library (gpointer data)
{
  /* Memory statistics take a global mutex on every allocation, and every
   * connection here is already serialised by its store's own lock. */
  sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
  sqlite3_config (SQLITE_CONFIG_MULTITHREAD);
  return NULL;
}

/**
 * orderly_sqlite_store_apply_pragmas:
 *
 * The settings every Orderly database runs with. Large pages keep the order
 * table shallow and make room for the observations that processing adds to
 * each row; they take effect only on a new, empty file.
 */
void
orderly_sqlite_store_apply_pragmas (gpointer sqlite_db)
{
  /* WAL with synchronous=NORMAL survives a killed process: only a power cut
   * can lose the last commits, and never leaves the file inconsistent. */
  sqlite3_exec (sqlite_db,
                "PRAGMA page_size = 65536;"
                "PRAGMA journal_mode = WAL;"
                "PRAGMA synchronous = NORMAL;"
                "PRAGMA temp_store = MEMORY;"
                "PRAGMA cache_size = -32768;"
                "PRAGMA wal_autocheckpoint = 1024;"
                "PRAGMA journal_size_limit = 67108864;",
                NULL, NULL, NULL);
}

static gboolean
migrate (OrderlySqliteStore  *self,
         GError             **error)
{
  gint64 version = query_int (self, "PRAGMA user_version", error);

  if (version < 0)
    return FALSE;
  if (version > (gint64) G_N_ELEMENTS (migrations))
    {
      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_STORAGE,
                   "The database %s was written by a newer Orderly (schema %" G_GINT64_FORMAT
                   ", this one knows %u)", self->path, version, (guint) G_N_ELEMENTS (migrations));
      return FALSE;
    }
  if (version == (gint64) G_N_ELEMENTS (migrations))
    return TRUE;

  if (!begin (self, error))
    return FALSE;
  for (gint64 v = version; v < (gint64) G_N_ELEMENTS (migrations); v++)
    {
      g_autofree char *set_version = NULL;

      if (!exec (self, migrations[v], error))
        {
          rollback (self);
          return FALSE;
        }
      set_version = g_strdup_printf ("PRAGMA user_version = %" G_GINT64_FORMAT, v + 1);
      if (!exec (self, set_version, error))
        {
          rollback (self);
          return FALSE;
        }
    }
  return commit (self, error);
}

static void
orderly_sqlite_store_finalize (OrderlyStore *store)
{
  OrderlySqliteStore *self = (OrderlySqliteStore *) store;

  for (guint i = 0; i < N_STMTS; i++)
    sqlite3_finalize (self->stmts[i]);
  if (self->db != NULL)
    sqlite3_close_v2 (self->db);
  g_mutex_clear (&self->lock);
  g_free (self->path);
  g_free (self);
}

static gboolean
orderly_sqlite_store_create_run (OrderlyStore      *store,
                                 OrderlyRunRecord  *run,
                                 GError           **error)
{
  OrderlySqliteStore *self = (OrderlySqliteStore *) store;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  sqlite3_stmt *s = stmt (self, STMT_INSERT_RUN);

  sqlite3_bind_int64 (s, 1, (sqlite3_int64) run->seed);
  sqlite3_bind_int64 (s, 2, run->quantity);
  sqlite3_bind_double (s, 3, run->vip_share);
  sqlite3_bind_text (s, 4, orderly_phase_to_string (run->phase), -1, SQLITE_STATIC);
  sqlite3_bind_int (s, 5, run->workers);
  sqlite3_bind_int64 (s, 6, run->started_at_us);
  if (!step_done (self, s, error))
    return FALSE;
  run->id = sqlite3_last_insert_rowid (self->db);
  return TRUE;
}

static gboolean
orderly_sqlite_store_save_run (OrderlyStore            *store,
                               const OrderlyRunRecord  *run,
                               GError                 **error)
{
  OrderlySqliteStore *self = (OrderlySqliteStore *) store;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  sqlite3_stmt *s = stmt (self, STMT_UPDATE_RUN);

  sqlite3_bind_int64 (s, 1, run->id);
  sqlite3_bind_text (s, 2, orderly_phase_to_string (run->phase), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 3, run->finished_at_us);
  sqlite3_bind_double (s, 4, run->generation_ms);
  sqlite3_bind_double (s, 5, run->enqueue_vip_ms);
  sqlite3_bind_double (s, 6, run->enqueue_normal_ms);
  sqlite3_bind_int64 (s, 7, run->vip_start_us);
  sqlite3_bind_int64 (s, 8, run->vip_end_us);
  sqlite3_bind_double (s, 9, run->vip_ms);
  sqlite3_bind_int64 (s, 10, run->vip_count);
  sqlite3_bind_int64 (s, 11, run->normal_start_us);
  sqlite3_bind_int64 (s, 12, run->normal_end_us);
  sqlite3_bind_double (s, 13, run->normal_ms);
  sqlite3_bind_int64 (s, 14, run->normal_count);
  sqlite3_bind_double (s, 15, run->total_ms);
  sqlite3_bind_int64 (s, 16, run->generated);
  sqlite3_bind_int64 (s, 17, run->vip_total);
  sqlite3_bind_int64 (s, 18, run->normal_total);
  if (run->error_message != NULL)
    sqlite3_bind_text (s, 19, run->error_message, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (s, 20, run->workers);
  return step_done (self, s, error);
}

static void
read_run (sqlite3_stmt     *s,
          OrderlyRunRecord *run)
{
  const char *phase = (const char *) sqlite3_column_text (s, 4);
  const char *message = (const char *) sqlite3_column_text (s, 23);

  memset (run, 0, sizeof *run);
  run->id = sqlite3_column_int64 (s, 0);
  run->seed = (guint64) sqlite3_column_int64 (s, 1);
  run->quantity = sqlite3_column_int64 (s, 2);
  run->vip_share = sqlite3_column_double (s, 3);
  if (!orderly_phase_from_string (phase, &run->phase))
    run->phase = ORDERLY_PHASE_ERROR;
  run->workers = sqlite3_column_int (s, 5);
  run->started_at_us = sqlite3_column_int64 (s, 6);
  run->finished_at_us = sqlite3_column_int64 (s, 7);
  run->generation_ms = sqlite3_column_double (s, 8);
  run->enqueue_vip_ms = sqlite3_column_double (s, 9);
  run->enqueue_normal_ms = sqlite3_column_double (s, 10);
  run->vip_start_us = sqlite3_column_int64 (s, 11);
  run->vip_end_us = sqlite3_column_int64 (s, 12);
  run->vip_ms = sqlite3_column_double (s, 13);
  run->vip_count = sqlite3_column_int64 (s, 14);
  run->normal_start_us = sqlite3_column_int64 (s, 15);
  run->normal_end_us = sqlite3_column_int64 (s, 16);
  run->normal_ms = sqlite3_column_double (s, 17);
  run->normal_count = sqlite3_column_int64 (s, 18);
  run->total_ms = sqlite3_column_double (s, 19);
  run->generated = sqlite3_column_int64 (s, 20);
  run->vip_total = sqlite3_column_int64 (s, 21);
  run->normal_total = sqlite3_column_int64 (s, 22);
  run->error_message = g_strdup (message);
}

static GPtrArray *
orderly_sqlite_store_list_runs (OrderlyStore  *store,
                                guint          limit,
                                GError       **error)
{
  OrderlySqliteStore *self = (OrderlySqliteStore *) store;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func ((GDestroyNotify) orderly_run_record_free);
  sqlite3_stmt *s;
  int rc;

  s = prepare (self,
               "SELECT id, seed, quantity, vip_share, phase, workers, started_at, finished_at, "
               "generation_ms, enqueue_vip_ms, enqueue_normal_ms, vip_start, vip_end, vip_ms, "
               "vip_count, normal_start, normal_end, normal_ms, normal_count, total_ms, generated, "
               "vip_total, normal_total, error FROM runs ORDER BY id DESC LIMIT ?1",
               error);
  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, limit > 0 ? (gint64) limit : G_MAXINT64);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      OrderlyRunRecord *run = g_new (OrderlyRunRecord, 1);

      read_run (s, run);
      g_ptr_array_add (runs, run);
    }
  if (!finish_rows (self, s, rc, error))
    return NULL;
  return g_steal_pointer (&runs);
}

static gboolean
count_and_delete (OrderlySqliteStore  *self,
                  const char          *table,
                  gint64              *deleted,
                  GError             **error)
{
  g_autofree char *count_sql = g_strdup_printf ("SELECT count(*) FROM %s", table);
  g_autofree char *delete_sql = g_strdup_printf ("DELETE FROM %s", table);
  gint64 count = deleted != NULL ? query_int (self, count_sql, error) : 0;

  if (count < 0)
    return FALSE;
  if (!exec (self, delete_sql, error))
    return FALSE;
  if (deleted != NULL)
    *deleted = count;
  return TRUE;
}

static gboolean
orderly_sqlite_store_clear_orders (OrderlyStore  *store,
                                   gint64        *deleted,
                                   GError       **error)
{
  OrderlySqliteStore *self = (OrderlySqliteStore *) store;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  if (!begin (self, error))
    return FALSE;
  if (!count_and_delete (self, "orders", deleted, error) ||
      !count_and_delete (self, "vip_results", NULL, error) ||
      !count_and_delete (self, "normal_results", NULL, error))
    {
      rollback (self);
      return FALSE;
    }
  return commit (self, error);
}

static gboolean
orderly_sqlite_store_reset (OrderlyStore  *store,
                            gint64        *deleted_orders,
                            gint64        *deleted_runs,
                            GError       **error)
{
  OrderlySqliteStore *self = (OrderlySqliteStore *) store;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  if (!begin (self, error))
    return FALSE;
  if (!count_and_delete (self, "orders", deleted_orders, error) ||
      !count_and_delete (self, "vip_results", NULL, error) ||
      !count_and_delete (self, "normal_results", NULL, error) ||
      !count_and_delete (self, "runs", deleted_runs, error))
    {
      rollback (self);
      return FALSE;
    }
  if (!commit (self, error))
    return FALSE;
  /* Give the space back so a reset database is small again. */
  sqlite3_exec (self->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
  return TRUE;
}

static gboolean
orderly_sqlite_store_insert_orders (OrderlyStore        *store,
                                    const OrderlyOrder  *orders,
                                    guint                n_orders,
                                    GError             **error)
{
  OrderlySqliteStore *self = (OrderlySqliteStore *) store;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  sqlite3_stmt *s = self->stmts[STMT_INSERT_ORDER];

  if (!begin (self, error))
    return FALSE;
  for (guint i = 0; i < n_orders; i++)
    {
      const OrderlyOrder *order = &orders[i];

      sqlite3_bind_int64 (s, 1, order->id);
      sqlite3_bind_int64 (s, 2, order->run_id);
      sqlite3_bind_text (s, 3, order->customer, -1, SQLITE_STATIC);
      sqlite3_bind_int (s, 4, order->priority);
      sqlite3_bind_int64 (s, 5, order->amount_cents);
      sqlite3_bind_int64 (s, 6, order->created_at_us);
      if (!step_in_batch (self, s, error))
        return FALSE;
    }
  return commit (self, error);
}

static gboolean
orderly_sqlite_store_process_orders (OrderlyStore              *store,
                                     const OrderlyOrderResult  *results,
                                     guint                      n_results,
                                     guint                     *n_claimed,
                                     GError                   **error)
{
  OrderlySqliteStore *self = (OrderlySqliteStore *) store;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  sqlite3_stmt *vip = self->stmts[STMT_PROCESS_VIP];
  sqlite3_stmt *normal = self->stmts[STMT_PROCESS_NORMAL];
  guint claimed = 0;

  if (!begin (self, error))
    return FALSE;
  for (guint i = 0; i < n_results; i++)
    {
      const OrderlyOrderResult *result = &results[i];
      sqlite3_stmt *s = result->priority == ORDERLY_PRIORITY_VIP ? vip : normal;

      sqlite3_bind_int64 (s, 1, result->id);
      sqlite3_bind_text (s, 2, result->observations, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (s, 3, result->processed_at_us);
      sqlite3_bind_int (s, 4, result->worker_id);
      if (!step_in_batch (self, s, error))
        return FALSE;
      claimed += sqlite3_changes (self->db);
    }
  if (!commit (self, error))
    return FALSE;
  if (n_claimed != NULL)
    *n_claimed = claimed;
  return TRUE;
}

static gboolean
orderly_sqlite_store_count_orders (OrderlyStore        *store,
                                   gint64               run_id,
                                   OrderlyOrderCounts  *counts,
                                   GError             **error)
{
  OrderlySqliteStore *self = (OrderlySqliteStore *) store;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  sqlite3_stmt *s;
  int rc;

  memset (counts, 0, sizeof *counts);
  s = prepare (self,
               "SELECT o.priority, count(*), count(v.id) + count(n.id) FROM orders o "
               "LEFT JOIN vip_results v ON v.id = o.id AND o.priority = 0 "
               "LEFT JOIN normal_results n ON n.id = o.id AND o.priority = 1 "
               "WHERE o.run_id = ?1 GROUP BY o.priority", error);
  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, run_id);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      gint64 total = sqlite3_column_int64 (s, 1);
      gint64 processed = sqlite3_column_int64 (s, 2);

      if (sqlite3_column_int (s, 0) == ORDERLY_PRIORITY_VIP)
        {
          counts->vip_total = total;
          counts->vip_processed = processed;
        }
      else
        {
          counts->normal_total = total;
          counts->normal_processed = processed;
        }
    }
  if (!finish_rows (self, s, rc, error))
    return FALSE;
  return TRUE;
}

static GArray *
orderly_sqlite_store_pending_order_ids (OrderlyStore     *store,
                                        gint64            run_id,
                                        OrderlyPriority   priority,
                                        GError          **error)
{
  OrderlySqliteStore *self = (OrderlySqliteStore *) store;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *s;
  int rc;

  s = prepare (self,
               priority == ORDERLY_PRIORITY_VIP
               ? "SELECT o.id FROM orders o WHERE o.run_id = ?1 AND o.priority = ?2 "
                 "AND NOT EXISTS (SELECT 1 FROM vip_results r WHERE r.id = o.id) ORDER BY o.id"
               : "SELECT o.id FROM orders o WHERE o.run_id = ?1 AND o.priority = ?2 "
                 "AND NOT EXISTS (SELECT 1 FROM normal_results r WHERE r.id = o.id) ORDER BY o.id",
               error);
  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, run_id);
  sqlite3_bind_int (s, 2, priority);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (s, 0);
      g_array_append_val (ids, id);
    }
  if (!finish_rows (self, s, rc, error))
    return NULL;
  return g_steal_pointer (&ids);
}

static gboolean
orderly_sqlite_store_append_logs (OrderlyStore      *store,
                                  OrderlyLogRecord **records,
                                  guint              n_records,
                                  guint              keep,
                                  GError           **error)
{
  OrderlySqliteStore *self = (OrderlySqliteStore *) store;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  sqlite3_stmt *s = self->stmts[STMT_INSERT_LOG];

  if (n_records == 0)
    return TRUE;
  if (!begin (self, error))
    return FALSE;
  for (guint i = 0; i < n_records; i++)
    {
      OrderlyLogRecord *record = records[i];

      sqlite3_bind_int64 (s, 1, record->timestamp_ms);
      sqlite3_bind_int (s, 2, record->level);
      sqlite3_bind_text (s, 3, record->category, -1, SQLITE_STATIC);
      sqlite3_bind_text (s, 4, record->message, -1, SQLITE_STATIC);
      if (record->data_json != NULL)
        sqlite3_bind_text (s, 5, record->data_json, -1, SQLITE_STATIC);
      else
        sqlite3_bind_null (s, 5);
      if (record->id > 0)
        sqlite3_bind_int64 (s, 6, record->id);
      else
        sqlite3_bind_null (s, 6);
      if (!step_in_batch (self, s, error))
        return FALSE;
      record->id = sqlite3_last_insert_rowid (self->db);
    }
  if (keep > 0)
    {
      g_autofree char *trim = NULL;

      trim = g_strdup_printf ("DELETE FROM logs WHERE id <= %" G_GINT64_FORMAT,
                              records[n_records - 1]->id - (gint64) keep);
      if (!exec (self, trim, error))
        {
          rollback (self);
          return FALSE;
        }
    }
  return commit (self, error);
}

static GPtrArray *
orderly_sqlite_store_recent_logs (OrderlyStore  *store,
                                  guint          n_lines,
                                  GError       **error)
{
  OrderlySqliteStore *self = (OrderlySqliteStore *) store;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) orderly_log_record_free);
  sqlite3_stmt *s;
  int rc;

  s = prepare (self,
               "SELECT id, timestamp, level, category, message, data FROM "
               "(SELECT * FROM logs ORDER BY id DESC LIMIT ?1) ORDER BY id", error);
  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, n_lines);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      OrderlyLogRecord *record = g_new0 (OrderlyLogRecord, 1);
      int level = sqlite3_column_int (s, 2);

      record->id = sqlite3_column_int64 (s, 0);
      record->timestamp_ms = sqlite3_column_int64 (s, 1);
      record->level = CLAMP (level, ORDERLY_LOG_LEVEL_LOG, ORDERLY_LOG_LEVEL_ERROR);
      record->category = g_strdup ((const char *) sqlite3_column_text (s, 3));
      record->message = g_strdup ((const char *) sqlite3_column_text (s, 4));
      record->data_json = g_strdup ((const char *) sqlite3_column_text (s, 5));
      g_ptr_array_add (records, record);
    }
  if (!finish_rows (self, s, rc, error))
    return NULL;
  return g_steal_pointer (&records);
}

static gboolean
orderly_sqlite_store_check (OrderlyStore  *store,
                            GError       **error)
{
  OrderlySqliteStore *self = (OrderlySqliteStore *) store;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return query_int (self, "SELECT count(*) FROM runs", error) >= 0;
}

static const OrderlyStoreVTable sqlite_vtable = {
  .finalize = orderly_sqlite_store_finalize,
  .create_run = orderly_sqlite_store_create_run,
  .save_run = orderly_sqlite_store_save_run,
  .list_runs = orderly_sqlite_store_list_runs,
  .clear_orders = orderly_sqlite_store_clear_orders,
  .reset = orderly_sqlite_store_reset,
  .insert_orders = orderly_sqlite_store_insert_orders,
  .process_orders = orderly_sqlite_store_process_orders,
  .count_orders = orderly_sqlite_store_count_orders,
  .pending_order_ids = orderly_sqlite_store_pending_order_ids,
  .append_logs = orderly_sqlite_store_append_logs,
  .recent_logs = orderly_sqlite_store_recent_logs,
  .check = orderly_sqlite_store_check,
};

/**
 * orderly_sqlite_store_new_full:
 * @path: the database file; created when missing
 *
 * Opens (or creates) the database, checks that it is readable and brings its
 * schema up to date.
 *
 * Returns: (transfer full): the store, or %NULL with @error set.
 */
OrderlyStore *
orderly_sqlite_store_new_full (const char               *path,
                               OrderlySqliteStoreFlags   flags,
                               GError                  **error)
{
  OrderlySqliteStore *self;
  g_autoptr(OrderlyStore) store = NULL;
  int open_flags = SQLITE_OPEN_NOMUTEX;
  int rc;

  static GOnce library_once = G_ONCE_INIT;

  g_return_val_if_fail (path != NULL, NULL);

  g_once (&library_once, configure_library, NULL);
  self = g_new0 (OrderlySqliteStore, 1);
  orderly_store_init (&self->parent, &sqlite_vtable);
  g_mutex_init (&self->lock);
  self->path = g_strdup (path);
  store = &self->parent;

  if (flags & ORDERLY_SQLITE_STORE_READ_ONLY)
    open_flags |= SQLITE_OPEN_READONLY;
  else
    open_flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

  rc = sqlite3_open_v2 (path, &self->db, open_flags, NULL);
  if (rc != SQLITE_OK)
    {
      set_error_from_code (error, rc, path,
                           self->db ? sqlite3_errmsg (self->db) : g_strerror (ENOMEM));
      return NULL;
    }
  sqlite3_extended_result_codes (self->db, TRUE);
  sqlite3_busy_timeout (self->db, 5000);

  /* The first read tells a damaged or foreign file apart from a database. */
  if (query_int (self, "SELECT count(*) FROM sqlite_master", error) < 0)
    return NULL;

  if (!(flags & ORDERLY_SQLITE_STORE_READ_ONLY))
    {
      g_autofree char *mode = NULL;
      sqlite3_stmt *s;

      orderly_sqlite_store_apply_pragmas (self->db);
      s = prepare (self, "PRAGMA journal_mode", error);
      if (s == NULL)
        return NULL;
      rc = sqlite3_step (s);
      if (rc == SQLITE_ROW)
        mode = g_strdup ((const char *) sqlite3_column_text (s, 0));
      sqlite3_finalize (s);
      if (rc != SQLITE_ROW)
        {
          set_error (self, rc, error);
          return NULL;
        }
      if (g_strcmp0 (mode, "wal") != 0)
        {
          g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_STORAGE,
                       "The database %s cannot use write-ahead logging (journal mode %s)",
                       path, mode);
          return NULL;
        }
      if (!migrate (self, error))
        return NULL;
    }
  else if (query_int (self, "PRAGMA user_version", error) != ORDERLY_SQLITE_SCHEMA_VERSION)
    {
      if (error == NULL || *error == NULL)
        g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_STORAGE,
                     "The database %s has no Orderly schema", path);
      return NULL;
    }

  for (guint i = 0; i < N_STMTS; i++)
    {
      rc = sqlite3_prepare_v3 (self->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                               &self->stmts[i], NULL);
      if (rc != SQLITE_OK)
        {
          set_error (self, rc, error);
          return NULL;
        }
    }

  return g_steal_pointer (&store);
}

/**
 * orderly_sqlite_store_set_size_limit:
 * @max_bytes: the largest the database file may grow; 0 for no limit
 *
 * Past the limit, writes fail as on a full disk.
 */
void
orderly_sqlite_store_set_size_limit (OrderlyStore *store,
                                     gint64        max_bytes)
{
  OrderlySqliteStore *self = (OrderlySqliteStore *) store;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = NULL;
  g_autofree char *sql = NULL;
  gint64 page_size;

  g_return_if_fail (store != NULL && store->vtable == &sqlite_vtable);

  locker = g_mutex_locker_new (&self->lock);
  page_size = query_int (self, "PRAGMA page_size", NULL);
  sql = g_strdup_printf ("PRAGMA max_page_count = %" G_GINT64_FORMAT,
                         max_bytes > 0 && page_size > 0 ? MAX (max_bytes / page_size, 1)
                                                        : (gint64) G_MAXUINT32 - 1);
  sqlite3_exec (self->db, sql, NULL, NULL, NULL);
}

OrderlyStore *
orderly_sqlite_store_new (const char  *path,
                          GError     **error)
{
  return orderly_sqlite_store_new_full (path, ORDERLY_SQLITE_STORE_NONE, error);
}
