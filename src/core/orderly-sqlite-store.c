/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-store"

#include "config.h"

#include <errno.h>

#include "orderly-sqlite-store-private.h"

/**
 * OrderlySqliteStore:
 *
 * The embedded backend: one SQLite file in WAL mode, for one process at a
 * time (it is not shared). Statements are prepared once and reused. This
 * file holds the connection, the schema and the runs; the queue is in
 * orderly-sqlite-queue.c.
 */

G_DEFINE_FINAL_TYPE (OrderlySqliteStore, orderly_sqlite_store, ORDERLY_TYPE_STORE)

static const char * const stmt_sql[N_STMTS] = {
  [STMT_INSERT_VIP_ORDER] =
    "INSERT INTO vip_orders (id, run_id, customer, amount, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
  [STMT_INSERT_NORMAL_ORDER] =
    "INSERT INTO normal_orders (id, run_id, customer, amount, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
  /* Processed at the first attempt, as nearly every order is: the other
   * columns keep their defaults. */
  [STMT_INSERT_VIP_RESULT] =
    "INSERT INTO vip_results (id, observations, processed_at, worker) VALUES (?1, ?2, ?3, ?4)",
  [STMT_INSERT_NORMAL_RESULT] =
    "INSERT INTO normal_results (id, observations, processed_at, worker) VALUES (?1, ?2, ?3, ?4)",
  [STMT_INSERT_VIP_RETRIED] =
    "INSERT INTO vip_results (id, observations, processed_at, worker, attempts, first_attempt_at, "
    "settled_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
  [STMT_INSERT_NORMAL_RETRIED] =
    "INSERT INTO normal_results (id, observations, processed_at, worker, attempts, first_attempt_at, "
    "settled_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
  [STMT_COUNT_GENERATED] =
    "UPDATE queue_counts SET generated = generated + ?3 WHERE run_id = ?1 AND priority = ?2",
  /* The orders tables hold one run's orders (begin_run empties them), and
   * orders are only claimed for a run that has its queue_counts rows: the
   * claim reads need no run_id test on every row. */
  [STMT_FRESH_VIP] =
    "SELECT id, created_at FROM vip_orders WHERE id >= ?1 ORDER BY id LIMIT ?2",
  [STMT_FRESH_NORMAL] =
    "SELECT id, created_at FROM normal_orders WHERE id >= ?1 ORDER BY id LIMIT ?2",
  [STMT_RANGE_VIP] =
    "SELECT id, created_at FROM vip_orders WHERE id BETWEEN ?1 AND ?2 ORDER BY id LIMIT ?3",
  [STMT_RANGE_NORMAL] =
    "SELECT id, created_at FROM normal_orders WHERE id BETWEEN ?1 AND ?2 ORDER BY id LIMIT ?3",
  /* A reservation: the last of the first ?3 + 1 orders of a range, which
   * skips the others without reading them; or, for a range that holds
   * fewer, how many it holds and the last. */
  [STMT_NTH_VIP] =
    "SELECT id FROM vip_orders WHERE id BETWEEN ?1 AND ?2 ORDER BY id LIMIT 1 OFFSET ?3",
  [STMT_NTH_NORMAL] =
    "SELECT id FROM normal_orders WHERE id BETWEEN ?1 AND ?2 ORDER BY id LIMIT 1 OFFSET ?3",
  [STMT_TAIL_VIP] =
    "SELECT count(*), max(id) FROM vip_orders WHERE id BETWEEN ?1 AND ?2",
  [STMT_TAIL_NORMAL] =
    "SELECT count(*), max(id) FROM normal_orders WHERE id BETWEEN ?1 AND ?2",
  [STMT_INSERT_CLAIM] =
    "INSERT INTO claims (run_id, priority, retry, first_id, last_id, n_orders, owner, claimed_at, "
    "lease_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
  [STMT_SET_NEXT_ID] =
    "UPDATE queue_counts SET next_id = ?3 WHERE run_id = ?1 AND priority = ?2",
  [STMT_END_CLAIM] =
    "DELETE FROM claims WHERE id = ?1 AND owner = ?2 AND claimed_at = ?3 AND n_orders = ?4 "
    "AND lease_until > ?5",
  [STMT_GIVE_BACK_REST] =
    "UPDATE claims SET first_id = ?6, n_orders = ?7, owner = NULL, claimed_at = 0, lease_until = 0 "
    "WHERE id = ?1 AND owner = ?2 AND claimed_at = ?3 AND n_orders = ?4 AND lease_until > ?5",
  [STMT_COUNT_OUTCOMES] =
    "UPDATE queue_counts SET completed = completed + ?3, delayed = delayed + ?4, failed = failed + ?5, "
    "first_attempt_at = CASE WHEN ?6 > 0 AND (first_attempt_at = 0 OR ?6 < first_attempt_at) THEN ?6 "
    "ELSE first_attempt_at END, last_settled_at = max (last_settled_at, ?7), "
    "wait_histogram = coalesce (?8, wait_histogram) WHERE run_id = ?1 AND priority = ?2",
  [STMT_READ_COUNTS] =
    "SELECT priority, generated, delayed, completed, failed, completed_removed, failed_removed, "
    "first_attempt_at, last_settled_at, next_id FROM queue_counts WHERE run_id = ?1",
  [STMT_ACTIVE_COUNTS] =
    "SELECT priority, sum (n_orders) FROM claims WHERE run_id = ?1 AND owner IS NOT NULL "
    "GROUP BY priority",
  [STMT_GIVEN_BACK] =
    "SELECT id, retry, first_id, last_id, n_orders FROM claims WHERE run_id = ?1 AND priority = ?2 "
    "AND (owner IS NULL OR lease_until <= ?3) ORDER BY owner IS NOT NULL, first_id LIMIT 1",
  [STMT_RETRIES_VIP] =
    "SELECT f.id, o.created_at, f.attempts FROM failures f JOIN vip_orders o ON o.id = f.id "
    "WHERE f.run_id = ?1 AND f.priority = 0 AND f.state = ?2 AND f.state_at <= ?3 "
    "ORDER BY f.state_at LIMIT ?4",
  [STMT_RETRIES_NORMAL] =
    "SELECT f.id, o.created_at, f.attempts FROM failures f JOIN normal_orders o ON o.id = f.id "
    "WHERE f.run_id = ?1 AND f.priority = 1 AND f.state = ?2 AND f.state_at <= ?3 "
    "ORDER BY f.state_at LIMIT ?4",
  [STMT_MARK_RETRY] =
    "UPDATE failures SET state = ?2, state_at = ?3, claim_id = ?4 WHERE id = ?1",
  [STMT_READ_WAITS] =
    "SELECT wait_histogram FROM queue_counts WHERE run_id = ?1 AND priority = ?2",
  [STMT_INSERT_FAILURE] =
    "INSERT INTO failures (id, run_id, priority, state, state_at, attempts, first_attempt_at, "
    "last_attempt_at, reason, settled_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9)",
  [STMT_UPDATE_FAILURE] =
    "UPDATE failures SET state = ?2, state_at = ?3, attempts = ?4, last_attempt_at = ?5, "
    "reason = ?6, claim_id = NULL, settled_at = CASE WHEN ?7 THEN coalesce (settled_at, ?5) "
    "ELSE settled_at END WHERE id = ?1 RETURNING settled_at",
  [STMT_DELETE_FAILURE] =
    "DELETE FROM failures WHERE id = ?1 RETURNING first_attempt_at, settled_at",
  [STMT_INSERT_RUN] =
    "INSERT INTO runs (seed, quantity, vip_share, phase, workers, started_at, failure_rate, "
    "max_attempts, paused) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
  [STMT_UPDATE_RUN] =
    "UPDATE runs SET phase = ?2, finished_at = ?3, generation_ms = ?4, enqueue_vip_ms = ?5, "
    "enqueue_normal_ms = ?6, vip_start = ?7, vip_end = ?8, vip_ms = ?9, vip_count = ?10, "
    "normal_start = ?11, normal_end = ?12, normal_ms = ?13, normal_count = ?14, total_ms = ?15, "
    "generated = ?16, vip_total = ?17, normal_total = ?18, error = ?19, workers = ?20, "
    "paused = ?21, paused_ms = ?22, vip_failed = ?23, normal_failed = ?24, check_state = ?25, "
    "check_message = ?26 WHERE id = ?1",
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
 * rewritten.
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
  "CREATE VIEW orders_view AS SELECT 1;";

#undef RESULTS_TABLE

/*
 * Version 3 makes the queue real, in tables that a query can page and claim
 * from without a list of ids in memory:
 *
 * - The orders, in a table per priority: a priority's orders are its table
 *   in id order, so claiming the next ones is a range of the primary key,
 *   and generating still only appends.
 * - claims: the orders a worker holds, as a range of its priority's table
 *   (or, for retries, the failures rows that point to it), with the owner
 *   and the lease. A claim given back keeps its row without an owner. An
 *   id may come back after a claim ends: a claim is known by its id, owner
 *   and the time it was taken together.
 * - failures: orders whose last attempt failed, delayed until their retry,
 *   failed for good, requeued, or claimed again. An order processed after a
 *   failure leaves it. settled_at (here and in the results) is when an order
 *   first failed for good: a retry asked for later does not move it.
 *   first_attempt_at (in the results) is kept for orders that failed first.
 * - queue_counts: per run and priority, the counters every transaction
 *   keeps up to date, next_id, where fresh claims start, and the histogram
 *   of the processed orders' waits (OrderlyWaitHistogram's buckets, as
 *   little-endian 64-bit counts): one small row per batch to rewrite.
 * - run_samples: the throughput series of each run, kept with its history.
 */
/* What a claim reads of each order (run_id, created_at) comes first in
 * the row, where it is cheapest to read. */
#define ORDERS_TABLE(name) \
  "CREATE TABLE " name " (" \
  "  id INTEGER PRIMARY KEY," \
  "  run_id INTEGER NOT NULL," \
  "  created_at INTEGER NOT NULL," \
  "  customer TEXT NOT NULL," \
  "  amount INTEGER NOT NULL" \
  ");"

#define ORDERS_VIEW_PART(priority, orders, results) \
  "  SELECT o.id, o.run_id, o.customer, '" priority "' AS priority, o.amount, o.created_at," \
  "         CASE WHEN r.id IS NOT NULL THEN 'processed' WHEN f.state = 3 THEN 'failed'" \
  "              WHEN f.state = 4 THEN 'delayed' ELSE 'pending' END AS status," \
  "         r.observations, r.processed_at, r.worker," \
  "         coalesce (r.attempts, f.attempts, 0) AS attempts, f.reason AS failed_reason" \
  "  FROM " orders " o LEFT JOIN " results " r ON r.id = o.id LEFT JOIN failures f ON f.id = o.id"

static const char * const schema_v3 =
  ORDERS_TABLE ("vip_orders")
  ORDERS_TABLE ("normal_orders")
  "INSERT INTO vip_orders (id, run_id, created_at, customer, amount)"
  "  SELECT id, run_id, created_at, customer, amount FROM orders WHERE priority = 0 ORDER BY id;"
  "INSERT INTO normal_orders (id, run_id, created_at, customer, amount)"
  "  SELECT id, run_id, created_at, customer, amount FROM orders WHERE priority <> 0 ORDER BY id;"
  "DROP VIEW orders_view;"
  "DROP TABLE orders;"
  "ALTER TABLE vip_results ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;"
  "ALTER TABLE vip_results ADD COLUMN first_attempt_at INTEGER;"
  "ALTER TABLE vip_results ADD COLUMN settled_at INTEGER;"
  "ALTER TABLE normal_results ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;"
  "ALTER TABLE normal_results ADD COLUMN first_attempt_at INTEGER;"
  "ALTER TABLE normal_results ADD COLUMN settled_at INTEGER;"
  "CREATE TABLE failures ("
  "  id INTEGER PRIMARY KEY,"
  "  run_id INTEGER NOT NULL,"
  "  priority INTEGER NOT NULL,"
  "  state INTEGER NOT NULL,"
  "  state_at INTEGER NOT NULL,"
  "  attempts INTEGER NOT NULL,"
  "  first_attempt_at INTEGER NOT NULL,"
  "  last_attempt_at INTEGER NOT NULL,"
  "  reason TEXT NOT NULL,"
  "  settled_at INTEGER,"
  "  claim_id INTEGER"
  ");"
  "CREATE INDEX failures_by_state ON failures (run_id, priority, state, state_at);"
  "CREATE INDEX failures_by_claim ON failures (claim_id) WHERE claim_id IS NOT NULL;"
  "CREATE TABLE claims ("
  "  id INTEGER PRIMARY KEY,"
  "  run_id INTEGER NOT NULL,"
  "  priority INTEGER NOT NULL,"
  "  retry INTEGER NOT NULL,"
  "  first_id INTEGER NOT NULL,"
  "  last_id INTEGER NOT NULL,"
  "  n_orders INTEGER NOT NULL,"
  "  owner TEXT,"
  "  claimed_at INTEGER NOT NULL DEFAULT 0,"
  "  lease_until INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX claims_by_run ON claims (run_id, priority, first_id);"
  "CREATE TABLE queue_counts ("
  "  run_id INTEGER NOT NULL,"
  "  priority INTEGER NOT NULL,"
  "  generated INTEGER NOT NULL DEFAULT 0,"
  "  delayed INTEGER NOT NULL DEFAULT 0,"
  "  completed INTEGER NOT NULL DEFAULT 0,"
  "  failed INTEGER NOT NULL DEFAULT 0,"
  "  completed_removed INTEGER NOT NULL DEFAULT 0,"
  "  failed_removed INTEGER NOT NULL DEFAULT 0,"
  "  next_id INTEGER NOT NULL DEFAULT 0,"
  "  first_attempt_at INTEGER NOT NULL DEFAULT 0,"
  "  last_settled_at INTEGER NOT NULL DEFAULT 0,"
  "  wait_histogram BLOB,"
  "  PRIMARY KEY (run_id, priority)"
  ") WITHOUT ROWID;"
  "CREATE TABLE run_samples ("
  "  run_id INTEGER NOT NULL,"
  "  time INTEGER NOT NULL,"
  "  generated INTEGER NOT NULL,"
  "  vip_processed INTEGER NOT NULL,"
  "  normal_processed INTEGER NOT NULL,"
  "  failed INTEGER NOT NULL,"
  "  PRIMARY KEY (run_id, time)"
  ") WITHOUT ROWID;"
  "ALTER TABLE runs ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE runs ADD COLUMN paused_ms REAL NOT NULL DEFAULT 0;"
  "ALTER TABLE runs ADD COLUMN vip_failed INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE runs ADD COLUMN normal_failed INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE runs ADD COLUMN failure_rate REAL NOT NULL DEFAULT 0;"
  "ALTER TABLE runs ADD COLUMN max_attempts INTEGER NOT NULL DEFAULT 1;"
  "ALTER TABLE runs ADD COLUMN check_state INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE runs ADD COLUMN check_message TEXT;"
  "CREATE VIEW orders AS"
  "  SELECT id, run_id, customer, 0 AS priority, amount, created_at FROM vip_orders"
  "  UNION ALL"
  "  SELECT id, run_id, customer, 1 AS priority, amount, created_at FROM normal_orders;"
  "CREATE VIEW orders_view AS"
  ORDERS_VIEW_PART ("VIP", "vip_orders", "vip_results")
  "  UNION ALL"
  ORDERS_VIEW_PART ("NORMAL", "normal_orders", "normal_results") ";";

#undef ORDERS_TABLE
#undef ORDERS_VIEW_PART

/* Migrations from version N-1 to N, applied in order. */
static const char * const migrations[] = {
  schema_v1,
  schema_v2,
  schema_v3,
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == ORDERLY_SQLITE_SCHEMA_VERSION);

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

void
_orderly_sqlite_set_error (OrderlySqliteConn   *self,
                           int                  code,
                           GError             **error)
{
  set_error_from_code (error, code, self->path, sqlite3_errmsg (self->db));
}

gboolean
_orderly_sqlite_exec (OrderlySqliteConn   *self,
                      const char          *sql,
                      GError             **error)
{
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      _orderly_sqlite_set_error (self, rc, error);
      return FALSE;
    }
  return TRUE;
}

gboolean
_orderly_sqlite_begin (OrderlySqliteConn   *self,
                       GError             **error)
{
  return _orderly_sqlite_exec (self, "BEGIN IMMEDIATE", error);
}

gboolean
_orderly_sqlite_commit (OrderlySqliteConn   *self,
                        GError             **error)
{
  if (!_orderly_sqlite_exec (self, "COMMIT", error))
    {
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }
  return TRUE;
}

void
_orderly_sqlite_rollback (OrderlySqliteConn  *self)
{
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

sqlite3_stmt *
_orderly_sqlite_stmt (OrderlySqliteConn  *self,
                      OrderlySqliteStmt   id)
{
  sqlite3_reset (self->stmts[id]);
  sqlite3_clear_bindings (self->stmts[id]);
  return self->stmts[id];
}

gboolean
_orderly_sqlite_step_done (OrderlySqliteConn   *self,
                           sqlite3_stmt        *statement,
                           GError             **error)
{
  int rc = sqlite3_step (statement);

  while (rc == SQLITE_ROW)
    rc = sqlite3_step (statement);
  return _orderly_sqlite_reset_rows (self, statement, rc, error);
}

/* Ends a read loop over a statement prepared once: resets it for the next
 * use; %TRUE if it stopped at the last row. */
gboolean
_orderly_sqlite_reset_rows (OrderlySqliteConn   *self,
                            sqlite3_stmt        *statement,
                            int                  rc,
                            GError             **error)
{
  sqlite3_reset (statement);
  if (rc != SQLITE_DONE)
    {
      _orderly_sqlite_set_error (self, rc, error);
      return FALSE;
    }
  return TRUE;
}

/* Ends a read loop over a statement of its own: %TRUE if it stopped at the
 * last row. */
gboolean
_orderly_sqlite_finish_rows (OrderlySqliteConn   *self,
                             sqlite3_stmt        *statement,
                             int                  rc,
                             GError             **error)
{
  sqlite3_finalize (statement);
  if (rc != SQLITE_DONE)
    {
      _orderly_sqlite_set_error (self, rc, error);
      return FALSE;
    }
  return TRUE;
}

sqlite3_stmt *
_orderly_sqlite_prepare (OrderlySqliteConn   *self,
                         const char          *sql,
                         GError             **error)
{
  sqlite3_stmt *statement = NULL;
  int rc = sqlite3_prepare_v2 (self->db, sql, -1, &statement, NULL);

  if (rc != SQLITE_OK)
    {
      _orderly_sqlite_set_error (self, rc, error);
      return NULL;
    }
  return statement;
}

/* The first column of the first row; 0 without rows, -1 on error. */
gint64
_orderly_sqlite_query_int (OrderlySqliteConn   *self,
                           const char          *sql,
                           GError             **error)
{
  sqlite3_stmt *statement = _orderly_sqlite_prepare (self, sql, error);
  gint64 value = -1;
  int rc;

  if (statement == NULL)
    return -1;
  rc = sqlite3_step (statement);
  if (rc == SQLITE_ROW)
    value = sqlite3_column_int64 (statement, 0);
  else if (rc != SQLITE_DONE)
    _orderly_sqlite_set_error (self, rc, error);
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
migrate (OrderlySqliteConn   *self,
         GError             **error)
{
  gint64 version = _orderly_sqlite_query_int (self, "PRAGMA user_version", error);

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

  if (!_orderly_sqlite_begin (self, error))
    return FALSE;
  for (gint64 v = version; v < (gint64) G_N_ELEMENTS (migrations); v++)
    {
      g_autofree char *set_version = NULL;

      if (!_orderly_sqlite_exec (self, migrations[v], error))
        {
          _orderly_sqlite_rollback (self);
          return FALSE;
        }
      /* The queue's counters and claims of the orders already stored. */
      if (v + 1 == 3 && !_orderly_sqlite_fill_queue_counts (self, error))
        {
          _orderly_sqlite_rollback (self);
          return FALSE;
        }
      set_version = g_strdup_printf ("PRAGMA user_version = %" G_GINT64_FORMAT, v + 1);
      if (!_orderly_sqlite_exec (self, set_version, error))
        {
          _orderly_sqlite_rollback (self);
          return FALSE;
        }
    }
  return _orderly_sqlite_commit (self, error);
}

static gboolean
orderly_sqlite_store_is_shared (OrderlyStore *store)
{
  return FALSE;
}

static gboolean open_connection  (OrderlySqliteConn        *self,
                                  OrderlySqliteStoreFlags   flags,
                                  gboolean                  reader,
                                  GError                  **error);
static void     close_connection (OrderlySqliteConn        *conn);

/* The prologue of a vfunc that writes: the writer connection, locked. */
#define WRITER(store) \
  OrderlySqliteStore *owner = ORDERLY_SQLITE_STORE (store); \
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&owner->lock); \
  OrderlySqliteConn *self = &owner->writer

/* ... and one that only reads: an idle reading connection, given back at
 * the end of the scope. */
typedef struct
{
  OrderlySqliteStore *store;
  OrderlySqliteConn  *conn;
} ReaderHold;

static ReaderHold
reader_acquire (OrderlySqliteStore *self)
{
  ReaderHold hold = { self, NULL };

  g_mutex_lock (&self->readers_lock);
  while (self->idle_readers->len == 0)
    g_cond_wait (&self->readers_cond, &self->readers_lock);
  hold.conn = g_ptr_array_steal_index_fast (self->idle_readers, self->idle_readers->len - 1);
  g_mutex_unlock (&self->readers_lock);
  return hold;
}

static void
reader_release (ReaderHold *hold)
{
  OrderlySqliteStore *self = hold->store;

  g_mutex_lock (&self->readers_lock);
  g_ptr_array_add (self->idle_readers, hold->conn);
  g_cond_signal (&self->readers_cond);
  g_mutex_unlock (&self->readers_lock);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ReaderHold, reader_release)

#define READER(store) \
  OrderlySqliteStore *owner = ORDERLY_SQLITE_STORE (store); \
  G_GNUC_UNUSED g_auto(ReaderHold) reader_hold = reader_acquire (owner); \
  OrderlySqliteConn *self = reader_hold.conn

static void
bind_phase (sqlite3_stmt *s,
            int           column,
            OrderlyPhase  phase)
{
  sqlite3_bind_text (s, column, orderly_phase_to_string (phase), -1, SQLITE_STATIC);
}

static gboolean
orderly_sqlite_store_begin_run (OrderlyStore      *store,
                                OrderlyRunRecord  *run,
                                GError           **error)
{
  WRITER (store);
  g_autofree char *close_runs = NULL;
  g_autofree char *counts = NULL;
  sqlite3_stmt *s;

  if (!_orderly_sqlite_begin (self, error))
    return FALSE;

  close_runs = g_strdup_printf ("UPDATE runs SET phase = 'ABORTED', finished_at = %" G_GINT64_FORMAT
                                " WHERE phase NOT IN ('DONE', 'ABORTED', 'ERROR')",
                                g_get_real_time ());
  if (!_orderly_sqlite_exec (self, close_runs, error) ||
      !_orderly_sqlite_delete_orders (self, NULL, error))
    goto failed;

  s = _orderly_sqlite_stmt (self, STMT_INSERT_RUN);
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) run->seed);
  sqlite3_bind_int64 (s, 2, run->quantity);
  sqlite3_bind_double (s, 3, run->vip_share);
  bind_phase (s, 4, run->phase);
  sqlite3_bind_int (s, 5, run->workers);
  sqlite3_bind_int64 (s, 6, run->started_at_us);
  sqlite3_bind_double (s, 7, run->failure_rate);
  sqlite3_bind_int (s, 8, run->max_attempts);
  sqlite3_bind_int (s, 9, run->paused);
  if (!_orderly_sqlite_step_done (self, s, error))
    goto failed;
  run->id = sqlite3_last_insert_rowid (self->db);

  counts = g_strdup_printf ("INSERT INTO queue_counts (run_id, priority) VALUES "
                            "(%" G_GINT64_FORMAT ", 0), (%" G_GINT64_FORMAT ", 1)",
                            run->id, run->id);
  if (!_orderly_sqlite_exec (self, counts, error))
    goto failed;
  if (!_orderly_sqlite_commit (self, error))
    {
      run->id = 0;
      return FALSE;
    }
  return TRUE;

failed:
  _orderly_sqlite_rollback (self);
  run->id = 0;
  return FALSE;
}

static gboolean
orderly_sqlite_store_save_run (OrderlyStore            *store,
                               const OrderlyRunRecord  *run,
                               GError                 **error)
{
  WRITER (store);
  sqlite3_stmt *s = _orderly_sqlite_stmt (self, STMT_UPDATE_RUN);

  sqlite3_bind_int64 (s, 1, run->id);
  bind_phase (s, 2, run->phase);
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
  sqlite3_bind_int (s, 21, run->paused);
  sqlite3_bind_double (s, 22, run->paused_ms);
  sqlite3_bind_int64 (s, 23, run->vip_failed);
  sqlite3_bind_int64 (s, 24, run->normal_failed);
  sqlite3_bind_int (s, 25, run->check_state);
  if (run->check_message != NULL)
    sqlite3_bind_text (s, 26, run->check_message, -1, SQLITE_TRANSIENT);
  return _orderly_sqlite_step_done (self, s, error);
}

#define RUN_COLUMNS \
  "id, seed, quantity, vip_share, phase, workers, started_at, finished_at, " \
  "generation_ms, enqueue_vip_ms, enqueue_normal_ms, vip_start, vip_end, vip_ms, " \
  "vip_count, normal_start, normal_end, normal_ms, normal_count, total_ms, generated, " \
  "vip_total, normal_total, error, paused, paused_ms, vip_failed, normal_failed, " \
  "failure_rate, max_attempts, check_state, check_message"

static void
read_run (sqlite3_stmt     *s,
          OrderlyRunRecord *run)
{
  const char *phase = (const char *) sqlite3_column_text (s, 4);
  int check_state = sqlite3_column_int (s, 30);

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
  run->error_message = g_strdup ((const char *) sqlite3_column_text (s, 23));
  run->paused = sqlite3_column_int (s, 24) != 0;
  run->paused_ms = sqlite3_column_double (s, 25);
  run->vip_failed = sqlite3_column_int64 (s, 26);
  run->normal_failed = sqlite3_column_int64 (s, 27);
  run->failure_rate = sqlite3_column_double (s, 28);
  run->max_attempts = sqlite3_column_int (s, 29);
  run->check_state = CLAMP (check_state, ORDERLY_RUN_CHECK_NONE, ORDERLY_RUN_CHECK_FAILED);
  run->check_message = g_strdup ((const char *) sqlite3_column_text (s, 31));
}

static GPtrArray *
orderly_sqlite_store_list_runs (OrderlyStore  *store,
                                guint          limit,
                                GError       **error)
{
  READER (store);
  g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func ((GDestroyNotify) orderly_run_record_free);
  sqlite3_stmt *s;
  int rc;

  s = _orderly_sqlite_prepare (self, "SELECT " RUN_COLUMNS " FROM runs ORDER BY id DESC LIMIT ?1",
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
  if (!_orderly_sqlite_finish_rows (self, s, rc, error))
    return NULL;
  return g_steal_pointer (&runs);
}

static gboolean
count_and_delete (OrderlySqliteConn   *self,
                  const char          *table,
                  gint64              *deleted,
                  GError             **error)
{
  g_autofree char *count_sql = g_strdup_printf ("SELECT count(*) FROM %s", table);
  g_autofree char *delete_sql = g_strdup_printf ("DELETE FROM %s", table);
  gint64 count = deleted != NULL ? _orderly_sqlite_query_int (self, count_sql, error) : 0;

  if (count < 0)
    return FALSE;
  if (!_orderly_sqlite_exec (self, delete_sql, error))
    return FALSE;
  if (deleted != NULL)
    *deleted += count;
  return TRUE;
}

/* Every order with its queue state, inside the caller's transaction. */
gboolean
_orderly_sqlite_delete_orders (OrderlySqliteConn   *self,
                               gint64              *deleted,
                               GError             **error)
{
  static const char * const tables[] = {
    "vip_results", "normal_results", "failures", "claims",
  };

  if (deleted != NULL)
    *deleted = 0;
  if (!count_and_delete (self, "vip_orders", deleted, error) ||
      !count_and_delete (self, "normal_orders", deleted, error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      if (!count_and_delete (self, tables[i], NULL, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
orderly_sqlite_store_clear_orders (OrderlyStore  *store,
                                   gint64        *deleted,
                                   GError       **error)
{
  WRITER (store);
  gint64 count = 0;

  if (!_orderly_sqlite_begin (self, error))
    return FALSE;
  if (!_orderly_sqlite_delete_orders (self, &count, error) ||
      !_orderly_sqlite_exec (self,
                             "UPDATE queue_counts SET completed_removed = completed_removed + completed,"
                             " failed_removed = failed_removed + failed, completed = 0, failed = 0,"
                             " delayed = 0", error))
    {
      _orderly_sqlite_rollback (self);
      return FALSE;
    }
  if (!_orderly_sqlite_commit (self, error))
    return FALSE;
  if (deleted != NULL)
    *deleted = count;
  return TRUE;
}

static gboolean
orderly_sqlite_store_reset (OrderlyStore  *store,
                            gint64        *deleted_orders,
                            gint64        *deleted_runs,
                            GError       **error)
{
  WRITER (store);
  static const char * const history[] = { "queue_counts", "run_samples" };
  gint64 orders = 0, runs = 0;

  if (!_orderly_sqlite_begin (self, error))
    return FALSE;
  if (!_orderly_sqlite_delete_orders (self, &orders, error) ||
      !count_and_delete (self, "runs", &runs, error))
    goto failed;
  for (guint i = 0; i < G_N_ELEMENTS (history); i++)
    {
      if (!count_and_delete (self, history[i], NULL, error))
        goto failed;
    }
  if (!_orderly_sqlite_commit (self, error))
    return FALSE;
  /* Give the space back so a reset database is small again. */
  sqlite3_exec (self->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
  if (deleted_orders != NULL)
    *deleted_orders = orders;
  if (deleted_runs != NULL)
    *deleted_runs = runs;
  return TRUE;

failed:
  _orderly_sqlite_rollback (self);
  return FALSE;
}

/* The queue's entry points take a connection here and do their work in
 * orderly-sqlite-queue.c. */
#define LOCKED(call) \
  G_STMT_START { \
    WRITER (store); \
    return call; \
  } G_STMT_END

#define READING(call) \
  G_STMT_START { \
    READER (store); \
    return call; \
  } G_STMT_END

static gboolean
orderly_sqlite_store_insert_orders (OrderlyStore        *store,
                                    const OrderlyOrder  *orders,
                                    guint                n_orders,
                                    GError             **error)
{
  LOCKED (_orderly_sqlite_insert_orders (self, orders, n_orders, error));
}

static gboolean
orderly_sqlite_store_count_orders (OrderlyStore        *store,
                                   gint64               run_id,
                                   OrderlyOrderCounts  *counts,
                                   GError             **error)
{
  READING (_orderly_sqlite_count_orders (self, run_id, counts, error));
}

static gboolean
orderly_sqlite_store_claim (OrderlyStore               *store,
                            const OrderlyClaimRequest  *request,
                            OrderlyClaimAnswer         *answer,
                            GError                    **error)
{
  LOCKED (_orderly_sqlite_claim (self, request, answer, error));
}

static gboolean
orderly_sqlite_store_renew_claim (OrderlyStore  *store,
                                  OrderlyClaim  *claim,
                                  gint64         lease_ms,
                                  GError       **error)
{
  LOCKED (_orderly_sqlite_renew_claim (self, claim, lease_ms, error));
}

static gboolean
orderly_sqlite_store_load_claim (OrderlyStore  *store,
                                 OrderlyClaim  *claim,
                                 GError       **error)
{
  READING (_orderly_sqlite_load_claim (self, claim, error));
}

static gboolean
orderly_sqlite_store_complete_claim (OrderlyStore               *store,
                                     const OrderlyClaim         *claim,
                                     const OrderlyOrderOutcome  *outcomes,
                                     guint                       n_outcomes,
                                     const OrderlyClaimRequest  *next,
                                     OrderlyClaimAnswer         *next_answer,
                                     GError                    **error)
{
  LOCKED (_orderly_sqlite_complete_claim (self, claim, outcomes, n_outcomes, next, next_answer, error));
}

static gboolean
orderly_sqlite_store_release_claims (OrderlyStore  *store,
                                     gint64         run_id,
                                     gboolean       expired_only,
                                     gint64         max_orders,
                                     gint64        *released,
                                     GError       **error)
{
  LOCKED (_orderly_sqlite_release_claims (self, run_id, expired_only, max_orders, released, error));
}

static gboolean
orderly_sqlite_store_retry_failed (OrderlyStore  *store,
                                   gint64         run_id,
                                   gint64         max_orders,
                                   gint64        *requeued,
                                   GError       **error)
{
  LOCKED (_orderly_sqlite_retry_failed (self, run_id, max_orders, requeued, error));
}

static gboolean
orderly_sqlite_store_clean (OrderlyStore     *store,
                            gint64            run_id,
                            OrderlyJobState   state,
                            gint64            finished_before_us,
                            gint64            limit,
                            gint64           *removed,
                            GError          **error)
{
  LOCKED (_orderly_sqlite_clean (self, run_id, state, finished_before_us, limit, removed, error));
}

static GPtrArray *
orderly_sqlite_store_list_jobs (OrderlyStore     *store,
                                gint64            run_id,
                                OrderlyJobState   state,
                                gint64            offset,
                                guint             limit,
                                gboolean          with_data,
                                GError          **error)
{
  READING (_orderly_sqlite_list_jobs (self, run_id, state, offset, limit, with_data, error));
}

static gboolean
orderly_sqlite_store_get_wait_histogram (OrderlyStore          *store,
                                         gint64                 run_id,
                                         OrderlyPriority        priority,
                                         OrderlyWaitHistogram  *histogram,
                                         GError               **error)
{
  READING (_orderly_sqlite_get_wait_histogram (self, run_id, priority, histogram, error));
}

static gboolean
orderly_sqlite_store_verify_run (OrderlyStore     *store,
                                 gint64            run_id,
                                 OrderlyRunCheck  *check,
                                 GError          **error)
{
  OrderlySqliteStore *self = ORDERLY_SQLITE_STORE (store);
  OrderlySqliteConn conn = { .path = self->path };
  gboolean ok;

  /* A check reads every order of the run: on a connection of its own, so
   * that listings and counts do not wait for it. */
  ok = open_connection (&conn, ORDERLY_SQLITE_STORE_READ_ONLY, TRUE, error) &&
       _orderly_sqlite_verify_run (&conn, run_id, check, error);
  close_connection (&conn);
  return ok;
}

#undef LOCKED
#undef READING

static gboolean
orderly_sqlite_store_append_samples (OrderlyStore            *store,
                                     gint64                   run_id,
                                     const OrderlyRunSample  *samples,
                                     guint                    n_samples,
                                     GError                 **error)
{
  WRITER (store);
  g_autoptr(GError) local_error = NULL;
  sqlite3_stmt *s;

  s = _orderly_sqlite_prepare (self,
                               "INSERT OR REPLACE INTO run_samples (run_id, time, generated, "
                               "vip_processed, normal_processed, failed) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                               error);
  if (s == NULL)
    return FALSE;
  if (!_orderly_sqlite_begin (self, error))
    {
      sqlite3_finalize (s);
      return FALSE;
    }
  for (guint i = 0; i < n_samples && local_error == NULL; i++)
    {
      sqlite3_bind_int64 (s, 1, run_id);
      sqlite3_bind_int64 (s, 2, samples[i].time_us);
      sqlite3_bind_int64 (s, 3, samples[i].generated);
      sqlite3_bind_int64 (s, 4, samples[i].vip_processed);
      sqlite3_bind_int64 (s, 5, samples[i].normal_processed);
      sqlite3_bind_int64 (s, 6, samples[i].failed);
      _orderly_sqlite_step_done (self, s, &local_error);
    }
  sqlite3_finalize (s);
  if (local_error != NULL)
    {
      _orderly_sqlite_rollback (self);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return _orderly_sqlite_commit (self, error);
}

static GArray *
orderly_sqlite_store_list_samples (OrderlyStore  *store,
                                   gint64         run_id,
                                   GError       **error)
{
  READER (store);
  g_autoptr(GArray) samples = g_array_new (FALSE, TRUE, sizeof (OrderlyRunSample));
  sqlite3_stmt *s;
  int rc;

  s = _orderly_sqlite_prepare (self,
                               "SELECT time, generated, vip_processed, normal_processed, failed "
                               "FROM run_samples WHERE run_id = ?1 ORDER BY time", error);
  if (s == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, run_id);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      OrderlyRunSample sample = {
        .time_us = sqlite3_column_int64 (s, 0),
        .generated = sqlite3_column_int64 (s, 1),
        .vip_processed = sqlite3_column_int64 (s, 2),
        .normal_processed = sqlite3_column_int64 (s, 3),
        .failed = sqlite3_column_int64 (s, 4),
      };
      g_array_append_val (samples, sample);
    }
  if (!_orderly_sqlite_finish_rows (self, s, rc, error))
    return NULL;
  return g_steal_pointer (&samples);
}

static gboolean
orderly_sqlite_store_append_logs (OrderlyStore      *store,
                                  OrderlyLogRecord **records,
                                  guint              n_records,
                                  guint              keep,
                                  GError           **error)
{
  WRITER (store);
  sqlite3_stmt *s = self->stmts[STMT_INSERT_LOG];

  if (!_orderly_sqlite_begin (self, error))
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
      if (!_orderly_sqlite_step_done (self, s, error))
        {
          _orderly_sqlite_rollback (self);
          return FALSE;
        }
      record->id = sqlite3_last_insert_rowid (self->db);
    }
  if (keep > 0)
    {
      g_autofree char *trim = NULL;

      trim = g_strdup_printf ("DELETE FROM logs WHERE id <= %" G_GINT64_FORMAT,
                              records[n_records - 1]->id - (gint64) keep);
      if (!_orderly_sqlite_exec (self, trim, error))
        {
          _orderly_sqlite_rollback (self);
          return FALSE;
        }
    }
  return _orderly_sqlite_commit (self, error);
}

static GPtrArray *
orderly_sqlite_store_recent_logs (OrderlyStore  *store,
                                  guint          n_lines,
                                  GError       **error)
{
  READER (store);
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) orderly_log_record_free);
  sqlite3_stmt *s;
  int rc;

  s = _orderly_sqlite_prepare (self,
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
  if (!_orderly_sqlite_finish_rows (self, s, rc, error))
    return NULL;
  return g_steal_pointer (&records);
}

static gboolean
orderly_sqlite_store_check (OrderlyStore  *store,
                            GError       **error)
{
  READER (store);

  return _orderly_sqlite_query_int (self, "SELECT count(*) FROM runs", error) >= 0;
}

static void
close_connection (OrderlySqliteConn *conn)
{
  for (guint i = 0; i < N_STMTS; i++)
    sqlite3_finalize (conn->stmts[i]);
  if (conn->db != NULL)
    sqlite3_close_v2 (conn->db);
}

static void
orderly_sqlite_store_finalize (GObject *object)
{
  OrderlySqliteStore *self = (OrderlySqliteStore *) object;

  g_clear_pointer (&self->checkpointer, _orderly_sqlite_checkpointer_stop);
  for (guint i = 0; i < ORDERLY_SQLITE_READERS; i++)
    close_connection (&self->readers[i]);
  close_connection (&self->writer);
  g_clear_pointer (&self->idle_readers, g_ptr_array_unref);
  g_cond_clear (&self->readers_cond);
  g_mutex_clear (&self->readers_lock);
  g_mutex_clear (&self->lock);
  g_free (self->path);

  G_OBJECT_CLASS (orderly_sqlite_store_parent_class)->finalize (object);
}

static void
orderly_sqlite_store_class_init (OrderlySqliteStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  OrderlyStoreClass *store_class = ORDERLY_STORE_CLASS (klass);

  object_class->finalize = orderly_sqlite_store_finalize;

  store_class->is_shared = orderly_sqlite_store_is_shared;
  store_class->begin_run = orderly_sqlite_store_begin_run;
  store_class->save_run = orderly_sqlite_store_save_run;
  store_class->list_runs = orderly_sqlite_store_list_runs;
  store_class->reset = orderly_sqlite_store_reset;
  store_class->clear_orders = orderly_sqlite_store_clear_orders;
  store_class->insert_orders = orderly_sqlite_store_insert_orders;
  store_class->count_orders = orderly_sqlite_store_count_orders;
  store_class->claim = orderly_sqlite_store_claim;
  store_class->load_claim = orderly_sqlite_store_load_claim;
  store_class->renew_claim = orderly_sqlite_store_renew_claim;
  store_class->complete_claim = orderly_sqlite_store_complete_claim;
  store_class->release_claims = orderly_sqlite_store_release_claims;
  store_class->retry_failed = orderly_sqlite_store_retry_failed;
  store_class->clean = orderly_sqlite_store_clean;
  store_class->list_jobs = orderly_sqlite_store_list_jobs;
  store_class->get_wait_histogram = orderly_sqlite_store_get_wait_histogram;
  store_class->verify_run = orderly_sqlite_store_verify_run;
  store_class->append_samples = orderly_sqlite_store_append_samples;
  store_class->list_samples = orderly_sqlite_store_list_samples;
  store_class->append_logs = orderly_sqlite_store_append_logs;
  store_class->recent_logs = orderly_sqlite_store_recent_logs;
  store_class->check = orderly_sqlite_store_check;
}

static void
orderly_sqlite_store_init (OrderlySqliteStore *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->readers_lock);
  g_cond_init (&self->readers_cond);
  self->idle_readers = g_ptr_array_sized_new (ORDERLY_SQLITE_READERS);
}

/* Opens the writer (@reader FALSE), which checks and migrates the schema,
 * or the reader, on a schema already current. */
static gboolean
open_connection (OrderlySqliteConn        *self,
                 OrderlySqliteStoreFlags   flags,
                 gboolean                  reader,
                 GError                  **error)
{
  int open_flags = SQLITE_OPEN_NOMUTEX;
  int rc;

  if (reader)
    flags |= ORDERLY_SQLITE_STORE_READ_ONLY;
  if (flags & ORDERLY_SQLITE_STORE_READ_ONLY)
    open_flags |= SQLITE_OPEN_READONLY;
  else
    open_flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

  rc = sqlite3_open_v2 (self->path, &self->db, open_flags, NULL);
  if (rc != SQLITE_OK)
    {
      set_error_from_code (error, rc, self->path,
                           self->db ? sqlite3_errmsg (self->db) : g_strerror (ENOMEM));
      return FALSE;
    }
  sqlite3_extended_result_codes (self->db, TRUE);
  sqlite3_busy_timeout (self->db, 5000);

  /* The first read tells a damaged or foreign file apart from a database. */
  if (_orderly_sqlite_query_int (self, "SELECT count(*) FROM sqlite_master", error) < 0)
    return FALSE;

  if (reader)
    {
      /* A smaller cache: it serves pages of listings and checks. */
      sqlite3_exec (self->db, "PRAGMA cache_size = -8192; PRAGMA temp_store = MEMORY;", NULL, NULL, NULL);
    }
  else if (!(flags & ORDERLY_SQLITE_STORE_READ_ONLY))
    {
      g_autofree char *mode = NULL;
      sqlite3_stmt *s;

      orderly_sqlite_store_apply_pragmas (self->db);
      s = _orderly_sqlite_prepare (self, "PRAGMA journal_mode", error);
      if (s == NULL)
        return FALSE;
      rc = sqlite3_step (s);
      if (rc == SQLITE_ROW)
        mode = g_strdup ((const char *) sqlite3_column_text (s, 0));
      sqlite3_finalize (s);
      if (rc != SQLITE_ROW)
        {
          _orderly_sqlite_set_error (self, rc, error);
          return FALSE;
        }
      if (g_strcmp0 (mode, "wal") != 0)
        {
          g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_STORAGE,
                       "The database %s cannot use write-ahead logging (journal mode %s)",
                       self->path, mode);
          return FALSE;
        }
      if (!migrate (self, error))
        return FALSE;
    }
  else if (_orderly_sqlite_query_int (self, "PRAGMA user_version", error) != ORDERLY_SQLITE_SCHEMA_VERSION)
    {
      if (error == NULL || *error == NULL)
        g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_STORAGE,
                     "The database %s has no Orderly schema", self->path);
      return FALSE;
    }

  for (guint i = 0; i < N_STMTS; i++)
    {
      rc = sqlite3_prepare_v3 (self->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                               &self->stmts[i], NULL);
      if (rc != SQLITE_OK)
        {
          _orderly_sqlite_set_error (self, rc, error);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
open_database (OrderlySqliteStore       *self,
               OrderlySqliteStoreFlags   flags,
               GError                  **error)
{
  self->writer.path = self->path;
  if (!open_connection (&self->writer, flags, FALSE, error))
    return FALSE;
  for (guint i = 0; i < ORDERLY_SQLITE_READERS; i++)
    {
      self->readers[i].path = self->path;
      if (!open_connection (&self->readers[i], flags, TRUE, error))
        return FALSE;
      g_ptr_array_add (self->idle_readers, &self->readers[i]);
    }
  if (!(flags & ORDERLY_SQLITE_STORE_READ_ONLY))
    {
      self->checkpointer = _orderly_sqlite_checkpointer_start (self->writer.db, self->path, error);
      if (self->checkpointer == NULL)
        return FALSE;
    }
  return TRUE;
}

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
  g_autoptr(OrderlySqliteStore) self = NULL;
  static GOnce library_once = G_ONCE_INIT;

  g_return_val_if_fail (path != NULL, NULL);

  g_once (&library_once, configure_library, NULL);
  self = g_object_new (ORDERLY_TYPE_SQLITE_STORE, NULL);
  self->path = g_strdup (path);
  if (!open_database (self, flags, error))
    return NULL;
  return ORDERLY_STORE (g_steal_pointer (&self));
}

OrderlyStore *
orderly_sqlite_store_new (const char  *path,
                          GError     **error)
{
  return orderly_sqlite_store_new_full (path, ORDERLY_SQLITE_STORE_NONE, error);
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
  OrderlySqliteStore *owner;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = NULL;
  g_autofree char *sql = NULL;
  gint64 page_size;

  g_return_if_fail (ORDERLY_IS_SQLITE_STORE (store));

  owner = ORDERLY_SQLITE_STORE (store);
  locker = g_mutex_locker_new (&owner->lock);
  page_size = _orderly_sqlite_query_int (&owner->writer, "PRAGMA page_size", NULL);
  sql = g_strdup_printf ("PRAGMA max_page_count = %" G_GINT64_FORMAT,
                         max_bytes > 0 && page_size > 0 ? MAX (max_bytes / page_size, 1)
                                                        : (gint64) G_MAXUINT32 - 1);
  sqlite3_exec (owner->writer.db, sql, NULL, NULL, NULL);
}
