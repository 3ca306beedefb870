/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-pg"

#include "config.h"

#include <string.h>

#include "orderly-instance.h"
#include "orderly-pg-store-private.h"

/**
 * OrderlyPgStore:
 *
 * The PostgreSQL backend: one database that several Orderly instances
 * share. Each operation borrows a connection from a pool, so the workers of
 * a run talk to the server in parallel. Orders are loaded with COPY into a
 * table per priority and never rewritten; generation also cuts them into
 * claims given back, at most %ORDERLY_PG_CHUNK orders each, so that a
 * worker of any instance claims one with `FOR UPDATE SKIP LOCKED`, never
 * waiting for another. What processing writes goes to a results table per
 * priority, whose primary key is the last word on exactly once; the lease
 * is checked, by the server's clock, in the transaction that writes them.
 * Counters are kept in shards (see %ORDERLY_PG_SHARDS) by the same
 * transactions.
 */

/* Worker threads, the log writer and the main loop, with room to spare. */
#define MAX_CONNECTIONS 48

/* Serialise schema changes, and run starts, between instances. */
#define SCHEMA_LOCK_KEY "7264501"
#define RUN_LOCK_KEY "7264502"

#define ORDERS_TABLE(name) \
  "CREATE TABLE " name " (" \
  "  id bigint PRIMARY KEY," \
  "  run_id bigint NOT NULL," \
  "  customer text NOT NULL," \
  "  amount bigint NOT NULL," \
  "  created_at bigint NOT NULL" \
  ");"

#define RESULTS_TABLE(name) \
  "CREATE TABLE " name " (" \
  "  id bigint PRIMARY KEY," \
  "  observations text NOT NULL," \
  "  processed_at bigint NOT NULL," \
  "  worker integer NOT NULL," \
  "  attempts integer NOT NULL DEFAULT 1," \
  "  first_attempt_at bigint," \
  "  settled_at bigint," \
  "  instance text NOT NULL DEFAULT ''" \
  ");"

#define ORDERS_VIEW_PART(priority, orders, results) \
  "  SELECT o.id, o.run_id, o.customer, '" priority "' AS priority, o.amount, o.created_at," \
  "         CASE WHEN r.id IS NOT NULL THEN 'processed' WHEN f.state = 3 THEN 'failed'" \
  "              WHEN f.state = 4 THEN 'delayed' ELSE 'pending' END AS status," \
  "         r.observations, r.processed_at, r.worker, r.instance," \
  "         coalesce (r.attempts, f.attempts, 0) AS attempts, f.reason AS failed_reason" \
  "  FROM " orders " o LEFT JOIN " results " r ON r.id = o.id LEFT JOIN failures f ON f.id = o.id"

/*
 * Version 1. Times are microseconds since the epoch (bigint); a lease is
 * compared with the server's clock. The tables follow the queue's words:
 * claims (a range of a priority's orders, or for retries the failures rows
 * that point to it, with its owner and lease; without an owner, given
 * back), failures (delayed, failed for good, requeued or claimed again),
 * queue_counts (per run, priority and shard), wait_histograms, run_samples.
 * instances holds each instance's heartbeat.
 */
static const char * const schema_v1 =
  "CREATE TABLE runs ("
  "  id bigserial PRIMARY KEY,"
  "  owner text NOT NULL DEFAULT '',"
  "  seed bigint NOT NULL,"
  "  quantity bigint NOT NULL,"
  "  vip_share double precision NOT NULL,"
  "  phase text NOT NULL,"
  "  workers integer NOT NULL DEFAULT 0,"
  "  started_at bigint NOT NULL,"
  "  finished_at bigint NOT NULL DEFAULT 0,"
  "  generation_ms double precision NOT NULL DEFAULT 0,"
  "  enqueue_vip_ms double precision NOT NULL DEFAULT 0,"
  "  enqueue_normal_ms double precision NOT NULL DEFAULT 0,"
  "  vip_start bigint NOT NULL DEFAULT 0,"
  "  vip_end bigint NOT NULL DEFAULT 0,"
  "  vip_ms double precision NOT NULL DEFAULT 0,"
  "  vip_count bigint NOT NULL DEFAULT 0,"
  "  normal_start bigint NOT NULL DEFAULT 0,"
  "  normal_end bigint NOT NULL DEFAULT 0,"
  "  normal_ms double precision NOT NULL DEFAULT 0,"
  "  normal_count bigint NOT NULL DEFAULT 0,"
  "  total_ms double precision NOT NULL DEFAULT 0,"
  "  generated bigint NOT NULL DEFAULT 0,"
  "  vip_total bigint NOT NULL DEFAULT 0,"
  "  normal_total bigint NOT NULL DEFAULT 0,"
  "  error text,"
  "  paused boolean NOT NULL DEFAULT false,"
  "  paused_ms double precision NOT NULL DEFAULT 0,"
  "  vip_failed bigint NOT NULL DEFAULT 0,"
  "  normal_failed bigint NOT NULL DEFAULT 0,"
  "  failure_rate double precision NOT NULL DEFAULT 0,"
  "  max_attempts integer NOT NULL DEFAULT 1,"
  "  check_state integer NOT NULL DEFAULT 0,"
  "  check_message text"
  ");"
  ORDERS_TABLE ("vip_orders")
  ORDERS_TABLE ("normal_orders")
  RESULTS_TABLE ("vip_results")
  RESULTS_TABLE ("normal_results")
  "CREATE TABLE failures ("
  "  id bigint PRIMARY KEY,"
  "  run_id bigint NOT NULL,"
  "  priority smallint NOT NULL,"
  "  state smallint NOT NULL,"
  "  state_at bigint NOT NULL,"
  "  attempts integer NOT NULL,"
  "  first_attempt_at bigint NOT NULL,"
  "  last_attempt_at bigint NOT NULL,"
  "  reason text NOT NULL,"
  "  settled_at bigint,"
  "  claim_id bigint"
  ");"
  "CREATE INDEX failures_by_state ON failures (run_id, priority, state, state_at);"
  "CREATE INDEX failures_by_claim ON failures (claim_id) WHERE claim_id IS NOT NULL;"
  "CREATE TABLE claims ("
  "  id bigserial PRIMARY KEY,"
  "  run_id bigint NOT NULL,"
  "  priority smallint NOT NULL,"
  "  retry boolean NOT NULL,"
  "  first_id bigint NOT NULL,"
  "  last_id bigint NOT NULL,"
  "  n_orders bigint NOT NULL,"
  "  owner text,"
  "  claimed_at bigint NOT NULL DEFAULT 0,"
  "  lease_until bigint NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX claims_given_back ON claims (run_id, priority, first_id) WHERE owner IS NULL;"
  "CREATE INDEX claims_held ON claims (run_id, priority, lease_until) WHERE owner IS NOT NULL;"
  "CREATE TABLE queue_counts ("
  "  run_id bigint NOT NULL,"
  "  priority smallint NOT NULL,"
  "  shard smallint NOT NULL,"
  "  generated bigint NOT NULL DEFAULT 0,"
  "  delayed bigint NOT NULL DEFAULT 0,"
  "  completed bigint NOT NULL DEFAULT 0,"
  "  failed bigint NOT NULL DEFAULT 0,"
  "  completed_removed bigint NOT NULL DEFAULT 0,"
  "  failed_removed bigint NOT NULL DEFAULT 0,"
  "  first_attempt_at bigint NOT NULL DEFAULT 0,"
  "  last_settled_at bigint NOT NULL DEFAULT 0,"
  "  PRIMARY KEY (run_id, priority, shard)"
  ");"
  "CREATE TABLE wait_histograms ("
  "  run_id bigint NOT NULL,"
  "  priority smallint NOT NULL,"
  "  shard smallint NOT NULL,"
  "  bucket integer NOT NULL,"
  "  count bigint NOT NULL,"
  "  PRIMARY KEY (run_id, priority, shard, bucket)"
  ");"
  "CREATE TABLE run_samples ("
  "  run_id bigint NOT NULL,"
  "  time bigint NOT NULL,"
  "  generated bigint NOT NULL,"
  "  vip_processed bigint NOT NULL,"
  "  normal_processed bigint NOT NULL,"
  "  failed bigint NOT NULL,"
  "  PRIMARY KEY (run_id, time)"
  ");"
  "CREATE TABLE logs ("
  "  id bigserial PRIMARY KEY,"
  "  instance text NOT NULL DEFAULT '',"
  "  timestamp bigint NOT NULL,"
  "  level smallint NOT NULL,"
  "  category text NOT NULL,"
  "  message text NOT NULL,"
  "  data text"
  ");"
  "CREATE TABLE instances ("
  "  id text PRIMARY KEY,"
  "  host text NOT NULL,"
  "  pid integer NOT NULL,"
  "  workers integer NOT NULL DEFAULT 0,"
  "  rate double precision NOT NULL DEFAULT 0,"
  "  processed bigint NOT NULL DEFAULT 0,"
  "  started_at timestamptz NOT NULL DEFAULT now(),"
  "  heartbeat_at timestamptz NOT NULL DEFAULT now()"
  ");"
  "CREATE VIEW orders AS"
  "  SELECT id, run_id, customer, 0 AS priority, amount, created_at FROM vip_orders"
  "  UNION ALL"
  "  SELECT id, run_id, customer, 1 AS priority, amount, created_at FROM normal_orders;"
  "CREATE VIEW orders_view AS"
  ORDERS_VIEW_PART ("VIP", "vip_orders", "vip_results")
  "  UNION ALL"
  ORDERS_VIEW_PART ("NORMAL", "normal_orders", "normal_results") ";";

#undef ORDERS_TABLE
#undef RESULTS_TABLE
#undef ORDERS_VIEW_PART

/* Migrations from version N-1 to N, applied in order. */
static const char * const migrations[] = {
  schema_v1,
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == ORDERLY_PG_SCHEMA_VERSION);

#define RUN_COLUMNS \
  "id, seed, quantity, vip_share, phase, workers, started_at, finished_at, " \
  "generation_ms, enqueue_vip_ms, enqueue_normal_ms, vip_start, vip_end, vip_ms, " \
  "vip_count, normal_start, normal_end, normal_ms, normal_count, total_ms, generated, " \
  "vip_total, normal_total, error, paused, paused_ms, vip_failed, normal_failed, " \
  "failure_rate, max_attempts, check_state, check_message"

/* Every table a run's orders and queue state live in. */
#define ORDER_TABLES "vip_orders, normal_orders, vip_results, normal_results, failures, claims"

G_DEFINE_FINAL_TYPE (OrderlyPgStore, orderly_pg_store, ORDERLY_TYPE_STORE)

/* Parameters --------------------------------------------------------- */

static const char *
params_slot (OrderlyPgParams *params)
{
  g_assert (params->n < (int) G_N_ELEMENTS (params->slots));
  params->values[params->n] = params->slots[params->n];
  return params->slots[params->n++];
}

void
_orderly_pg_params_int (OrderlyPgParams *params,
                        gint64           value)
{
  g_snprintf ((char *) params_slot (params), sizeof params->slots[0], "%" G_GINT64_FORMAT, value);
}

void
_orderly_pg_params_double (OrderlyPgParams *params,
                           double           value)
{
  g_ascii_dtostr ((char *) params_slot (params), sizeof params->slots[0], value);
}

void
_orderly_pg_params_text (OrderlyPgParams *params,
                         const char      *value)
{
  g_assert (params->n < (int) G_N_ELEMENTS (params->values));
  params->values[params->n++] = value;
}

/* Takes @array (ended with _orderly_pg_array_end()) as the next parameter. */
void
_orderly_pg_params_take (OrderlyPgParams *params,
                         GString         *array)
{
  if (params->owned == NULL)
    params->owned = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (params->owned, g_string_free (array, FALSE));
  _orderly_pg_params_text (params, g_ptr_array_index (params->owned, params->owned->len - 1));
}

void
_orderly_pg_params_clear (OrderlyPgParams *params)
{
  g_clear_pointer (&params->owned, g_ptr_array_unref);
}

/* Array literals for array parameters: start with g_string_new ("{"). */
void
_orderly_pg_array_int (GString *array,
                       gint64   value)
{
  if (array->len > 1)
    g_string_append_c (array, ',');
  g_string_append_printf (array, "%" G_GINT64_FORMAT, value);
}

void
_orderly_pg_array_text (GString    *array,
                        const char *text)
{
  if (array->len > 1)
    g_string_append_c (array, ',');
  if (text == NULL)
    {
      g_string_append (array, "NULL");
      return;
    }
  g_string_append_c (array, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (array, '\\');
      g_string_append_c (array, *p);
    }
  g_string_append_c (array, '"');
}

void
_orderly_pg_array_end (GString *array)
{
  g_string_append_c (array, '}');
}

/* Columns of rows to unnest: @n_columns array literals, begun here and
 * filled with _orderly_pg_array_int() and _orderly_pg_array_text(). */
void
_orderly_pg_columns_begin (GString **columns,
                           guint     n_columns)
{
  for (guint c = 0; c < n_columns; c++)
    columns[c] = g_string_new ("{");
}

/* Ends @columns and takes them as the next parameters. */
void
_orderly_pg_params_take_columns (OrderlyPgParams  *params,
                                 GString         **columns,
                                 guint             n_columns)
{
  for (guint c = 0; c < n_columns; c++)
    {
      _orderly_pg_array_end (columns[c]);
      _orderly_pg_params_take (params, columns[c]);
    }
}

/* Statements ------------------------------------------------------- */

/**
 * _orderly_pg_exec:
 * @name: (nullable): a name to prepare the statement under, or %NULL to
 *   run it once
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 */
PGresult *
_orderly_pg_exec (OrderlyPgConnection    *connection,
                  const char             *name,
                  const char             *sql,
                  const OrderlyPgParams  *params,
                  GError                **error)
{
  int n = params != NULL ? params->n : 0;
  const char * const *values = params != NULL ? params->values : NULL;

  if (name != NULL)
    return orderly_pg_connection_exec_prepared (connection, name, sql, n, values, error);
  return orderly_pg_connection_exec_params (connection, sql, n, values, error);
}

/* One statement on a borrowed connection, in a transaction of its own. */
PGresult *
_orderly_pg_store_exec (OrderlyPgStore         *self,
                        const char             *name,
                        const char             *sql,
                        const OrderlyPgParams  *params,
                        GError                **error)
{
  OrderlyPgConnection *connection = orderly_pg_pool_acquire (self->pool, error);
  PGresult *result;

  if (connection == NULL)
    return NULL;
  result = _orderly_pg_exec (connection, name, sql, params, error);
  orderly_pg_pool_release (self->pool, connection);
  return result;
}

/* The server's clock, which leases go by. */
gint64
_orderly_pg_now_us (OrderlyPgConnection  *connection,
                    GError              **error)
{
  g_autoptr(PGresult) result =
    _orderly_pg_exec (connection, "now_us",
                      "SELECT (extract (epoch FROM clock_timestamp ()) * 1000000)::bigint", NULL, error);

  return result != NULL ? orderly_pg_result_get_int64 (result, 0, 0) : -1;
}

/* Schema ----------------------------------------------------------- */

static gboolean
migrate (OrderlyPgStore  *self,
         GError         **error)
{
  OrderlyPgConnection *connection = orderly_pg_pool_acquire (self->pool, error);
  g_autoptr(PGresult) result = NULL;
  gint64 version;
  gboolean ok = FALSE;

  if (connection == NULL)
    return FALSE;
  if (!orderly_pg_connection_begin (connection, error) ||
      !orderly_pg_connection_run (connection,
                                  "SELECT pg_advisory_xact_lock (" SCHEMA_LOCK_KEY ");"
                                  "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL);"
                                  "INSERT INTO schema_version SELECT 0 "
                                  "  WHERE NOT EXISTS (SELECT 1 FROM schema_version)", error))
    goto out;
  result = orderly_pg_connection_exec (connection, "SELECT max(version) FROM schema_version", error);
  if (result == NULL)
    goto out;
  version = orderly_pg_result_get_int64 (result, 0, 0);
  if (version > ORDERLY_PG_SCHEMA_VERSION)
    {
      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_STORAGE,
                   "The PostgreSQL %s was written by a newer Orderly (schema %" G_GINT64_FORMAT
                   ", this one knows %d)", self->description, version, ORDERLY_PG_SCHEMA_VERSION);
      goto out;
    }
  for (gint64 v = version; v < ORDERLY_PG_SCHEMA_VERSION; v++)
    {
      g_autofree char *set_version = g_strdup_printf ("UPDATE schema_version SET version = %"
                                                      G_GINT64_FORMAT, v + 1);

      if (!orderly_pg_connection_run (connection, migrations[v], error) ||
          !orderly_pg_connection_run (connection, set_version, error))
        goto out;
    }
  ok = orderly_pg_connection_commit (connection, error);

out:
  orderly_pg_pool_release (self->pool, connection);
  return ok;
}

/* Runs ------------------------------------------------------------- */

static gboolean
orderly_pg_store_is_shared (OrderlyStore *store)
{
  return TRUE;
}

/*
 * Inside the caller's transaction, under the run lock: whether another
 * instance, still alive, works on an unfinished run.
 */
static gboolean
check_no_other_run (OrderlyPgStore       *self,
                    OrderlyPgConnection  *connection,
                    GError              **error)
{
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) result = NULL;

  _orderly_pg_params_text (&params, self->instance_id);
  result = _orderly_pg_exec (connection, "other_run",
                             "SELECT r.id, r.owner FROM runs r JOIN instances i ON i.id = r.owner "
                             "WHERE r.phase NOT IN ('DONE', 'ABORTED', 'ERROR', 'IDLE') AND r.owner <> $1 "
                             "AND i.heartbeat_at > now() - interval '5 seconds' LIMIT 1",
                             &params, error);
  if (result == NULL)
    return FALSE;
  if (PQntuples (result) > 0)
    {
      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_BUSY,
                   "Run %s is in progress on instance %s of the cluster",
                   PQgetvalue (result, 0, 0), PQgetvalue (result, 0, 1));
      return FALSE;
    }
  return TRUE;
}

static gboolean
orderly_pg_store_begin_run (OrderlyStore      *store,
                            OrderlyRunRecord  *run,
                            GError           **error)
{
  OrderlyPgStore *self = ORDERLY_PG_STORE (store);
  OrderlyPgConnection *connection = orderly_pg_pool_acquire (self->pool, error);
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) result = NULL;
  g_autofree char *close_runs = NULL;
  g_autofree char *counts = NULL;
  gboolean ok = FALSE;

  if (connection == NULL)
    return FALSE;
  if (!orderly_pg_connection_begin (connection, error) ||
      !orderly_pg_connection_run (connection, "SELECT pg_advisory_xact_lock (" RUN_LOCK_KEY ")", error) ||
      !check_no_other_run (self, connection, error))
    goto out;

  close_runs = g_strdup_printf ("UPDATE runs SET phase = 'ABORTED', finished_at = %" G_GINT64_FORMAT
                                " WHERE phase NOT IN ('DONE', 'ABORTED', 'ERROR');"
                                "TRUNCATE " ORDER_TABLES, g_get_real_time ());
  if (!orderly_pg_connection_run (connection, close_runs, error))
    goto out;

  _orderly_pg_params_int (&params, (gint64) run->seed);
  _orderly_pg_params_int (&params, run->quantity);
  _orderly_pg_params_double (&params, run->vip_share);
  _orderly_pg_params_text (&params, orderly_phase_to_string (run->phase));
  _orderly_pg_params_int (&params, run->workers);
  _orderly_pg_params_int (&params, run->started_at_us);
  _orderly_pg_params_double (&params, run->failure_rate);
  _orderly_pg_params_int (&params, run->max_attempts);
  _orderly_pg_params_text (&params, run->paused ? "true" : "false");
  _orderly_pg_params_text (&params, self->instance_id);
  result = _orderly_pg_exec (connection, "begin_run",
                             "INSERT INTO runs (seed, quantity, vip_share, phase, workers, started_at, "
                             "failure_rate, max_attempts, paused, owner) "
                             "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                             &params, error);
  if (result == NULL)
    goto out;
  run->id = orderly_pg_result_get_int64 (result, 0, 0);
  counts = g_strdup_printf ("INSERT INTO queue_counts (run_id, priority, shard) "
                            "SELECT %" G_GINT64_FORMAT ", p, s FROM generate_series (0, 1) AS p, "
                            "generate_series (0, %d) AS s", run->id, ORDERLY_PG_SHARDS - 1);
  ok = orderly_pg_connection_run (connection, counts, error) &&
       orderly_pg_connection_commit (connection, error);

out:
  if (!ok)
    run->id = 0;
  orderly_pg_pool_release (self->pool, connection);
  return ok;
}

static gboolean
orderly_pg_store_save_run (OrderlyStore            *store,
                           const OrderlyRunRecord  *run,
                           GError                 **error)
{
  OrderlyPgStore *self = ORDERLY_PG_STORE (store);
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) result = NULL;

  _orderly_pg_params_int (&params, run->id);
  _orderly_pg_params_text (&params, orderly_phase_to_string (run->phase));
  _orderly_pg_params_int (&params, run->finished_at_us);
  _orderly_pg_params_double (&params, run->generation_ms);
  _orderly_pg_params_double (&params, run->enqueue_vip_ms);
  _orderly_pg_params_double (&params, run->enqueue_normal_ms);
  _orderly_pg_params_int (&params, run->vip_start_us);
  _orderly_pg_params_int (&params, run->vip_end_us);
  _orderly_pg_params_double (&params, run->vip_ms);
  _orderly_pg_params_int (&params, run->vip_count);
  _orderly_pg_params_int (&params, run->normal_start_us);
  _orderly_pg_params_int (&params, run->normal_end_us);
  _orderly_pg_params_double (&params, run->normal_ms);
  _orderly_pg_params_int (&params, run->normal_count);
  _orderly_pg_params_double (&params, run->total_ms);
  _orderly_pg_params_int (&params, run->generated);
  _orderly_pg_params_int (&params, run->vip_total);
  _orderly_pg_params_int (&params, run->normal_total);
  _orderly_pg_params_text (&params, run->error_message);
  _orderly_pg_params_int (&params, run->workers);
  _orderly_pg_params_text (&params, run->paused ? "true" : "false");
  _orderly_pg_params_double (&params, run->paused_ms);
  _orderly_pg_params_int (&params, run->vip_failed);
  _orderly_pg_params_int (&params, run->normal_failed);
  _orderly_pg_params_int (&params, run->check_state);
  _orderly_pg_params_text (&params, run->check_message);
  _orderly_pg_params_text (&params, self->instance_id);
  g_assert (params.n <= (int) G_N_ELEMENTS (params.values));
  result = _orderly_pg_store_exec (self, "save_run",
                                   "UPDATE runs SET phase = $2, finished_at = $3, generation_ms = $4, "
                                   "enqueue_vip_ms = $5, enqueue_normal_ms = $6, vip_start = $7, "
                                   "vip_end = $8, vip_ms = $9, vip_count = $10, normal_start = $11, "
                                   "normal_end = $12, normal_ms = $13, normal_count = $14, total_ms = $15, "
                                   "generated = $16, vip_total = $17, normal_total = $18, error = $19, "
                                   "workers = $20, paused = $21, paused_ms = $22, vip_failed = $23, "
                                   "normal_failed = $24, check_state = $25, check_message = $26, owner = $27 "
                                   "WHERE id = $1", &params, error);
  return result != NULL;
}

static void
read_run (const PGresult   *result,
          int               row,
          OrderlyRunRecord *run)
{
  memset (run, 0, sizeof *run);
  run->id = orderly_pg_result_get_int64 (result, row, 0);
  run->seed = (guint64) orderly_pg_result_get_int64 (result, row, 1);
  run->quantity = orderly_pg_result_get_int64 (result, row, 2);
  run->vip_share = orderly_pg_result_get_double (result, row, 3);
  if (!orderly_phase_from_string (PQgetvalue (result, row, 4), &run->phase))
    run->phase = ORDERLY_PHASE_ERROR;
  run->workers = (guint) orderly_pg_result_get_int64 (result, row, 5);
  run->started_at_us = orderly_pg_result_get_int64 (result, row, 6);
  run->finished_at_us = orderly_pg_result_get_int64 (result, row, 7);
  run->generation_ms = orderly_pg_result_get_double (result, row, 8);
  run->enqueue_vip_ms = orderly_pg_result_get_double (result, row, 9);
  run->enqueue_normal_ms = orderly_pg_result_get_double (result, row, 10);
  run->vip_start_us = orderly_pg_result_get_int64 (result, row, 11);
  run->vip_end_us = orderly_pg_result_get_int64 (result, row, 12);
  run->vip_ms = orderly_pg_result_get_double (result, row, 13);
  run->vip_count = orderly_pg_result_get_int64 (result, row, 14);
  run->normal_start_us = orderly_pg_result_get_int64 (result, row, 15);
  run->normal_end_us = orderly_pg_result_get_int64 (result, row, 16);
  run->normal_ms = orderly_pg_result_get_double (result, row, 17);
  run->normal_count = orderly_pg_result_get_int64 (result, row, 18);
  run->total_ms = orderly_pg_result_get_double (result, row, 19);
  run->generated = orderly_pg_result_get_int64 (result, row, 20);
  run->vip_total = orderly_pg_result_get_int64 (result, row, 21);
  run->normal_total = orderly_pg_result_get_int64 (result, row, 22);
  if (!PQgetisnull (result, row, 23))
    run->error_message = g_strdup (PQgetvalue (result, row, 23));
  run->paused = PQgetvalue (result, row, 24)[0] == 't';
  run->paused_ms = orderly_pg_result_get_double (result, row, 25);
  run->vip_failed = orderly_pg_result_get_int64 (result, row, 26);
  run->normal_failed = orderly_pg_result_get_int64 (result, row, 27);
  run->failure_rate = orderly_pg_result_get_double (result, row, 28);
  run->max_attempts = (guint) orderly_pg_result_get_int64 (result, row, 29);
  run->check_state = (OrderlyRunCheckState) orderly_pg_result_get_int64 (result, row, 30);
  if (!PQgetisnull (result, row, 31))
    run->check_message = g_strdup (PQgetvalue (result, row, 31));
}

static GPtrArray *
orderly_pg_store_list_runs (OrderlyStore  *store,
                            guint          limit,
                            GError       **error)
{
  OrderlyPgStore *self = ORDERLY_PG_STORE (store);
  g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func ((GDestroyNotify) orderly_run_record_free);
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) result = NULL;

  _orderly_pg_params_int (&params, limit > 0 ? (gint64) limit : G_MAXINT64);
  result = _orderly_pg_store_exec (self, "list_runs",
                                   "SELECT " RUN_COLUMNS " FROM runs ORDER BY id DESC LIMIT $1",
                                   &params, error);
  if (result == NULL)
    return NULL;
  for (int row = 0; row < PQntuples (result); row++)
    {
      OrderlyRunRecord *run = g_new (OrderlyRunRecord, 1);

      read_run (result, row, run);
      g_ptr_array_add (runs, run);
    }
  return g_steal_pointer (&runs);
}

static gint64
count_all (OrderlyPgConnection  *connection,
           const char           *sql,
           GError              **error)
{
  g_autoptr(PGresult) result = orderly_pg_connection_exec (connection, sql, error);

  return result != NULL ? orderly_pg_result_get_int64 (result, 0, 0) : -1;
}

/* Empties the tables of orders (and, with @runs_too, the history), under
 * the run lock, refused while another instance works on a run. */
static gboolean
delete_all (OrderlyPgStore  *self,
            gboolean         runs_too,
            gint64          *deleted_orders,
            gint64          *deleted_runs,
            GError         **error)
{
  OrderlyPgConnection *connection = orderly_pg_pool_acquire (self->pool, error);
  gint64 orders = 0, runs = 0;
  gboolean ok = FALSE;

  if (connection == NULL)
    return FALSE;
  if (!orderly_pg_connection_begin (connection, error) ||
      !orderly_pg_connection_run (connection, "SELECT pg_advisory_xact_lock (" RUN_LOCK_KEY ")", error) ||
      !check_no_other_run (self, connection, error))
    goto out;
  orders = count_all (connection, "SELECT (SELECT count(*) FROM vip_orders) + "
                                  "(SELECT count(*) FROM normal_orders)", error);
  if (orders < 0)
    goto out;
  if (runs_too)
    {
      runs = count_all (connection, "SELECT count(*) FROM runs", error);
      if (runs < 0 ||
          !orderly_pg_connection_run (connection, "TRUNCATE " ORDER_TABLES ", runs, queue_counts, "
                                      "wait_histograms, run_samples", error))
        goto out;
    }
  else if (!orderly_pg_connection_run (connection, "TRUNCATE " ORDER_TABLES ";"
                                       "UPDATE queue_counts SET completed_removed = completed_removed + completed, "
                                       "failed_removed = failed_removed + failed, completed = 0, failed = 0, "
                                       "delayed = 0", error))
    goto out;
  ok = orderly_pg_connection_commit (connection, error);

out:
  orderly_pg_pool_release (self->pool, connection);
  if (ok && deleted_orders != NULL)
    *deleted_orders = orders;
  if (ok && deleted_runs != NULL)
    *deleted_runs = runs;
  return ok;
}

static gboolean
orderly_pg_store_reset (OrderlyStore  *store,
                        gint64        *deleted_orders,
                        gint64        *deleted_runs,
                        GError       **error)
{
  return delete_all (ORDERLY_PG_STORE (store), TRUE, deleted_orders, deleted_runs, error);
}

static gboolean
orderly_pg_store_clear_orders (OrderlyStore  *store,
                               gint64        *deleted,
                               GError       **error)
{
  return delete_all (ORDERLY_PG_STORE (store), FALSE, deleted, NULL, error);
}

/* Samples and logs ------------------------------------------------- */

static gboolean
orderly_pg_store_append_samples (OrderlyStore            *store,
                                 gint64                   run_id,
                                 const OrderlyRunSample  *samples,
                                 guint                    n_samples,
                                 GError                 **error)
{
  OrderlyPgStore *self = ORDERLY_PG_STORE (store);
  GString *columns[5];
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) result = NULL;

  if (n_samples == 0)
    return TRUE;
  _orderly_pg_columns_begin (columns, G_N_ELEMENTS (columns));
  for (guint i = 0; i < n_samples; i++)
    {
      _orderly_pg_array_int (columns[0], samples[i].time_us);
      _orderly_pg_array_int (columns[1], samples[i].generated);
      _orderly_pg_array_int (columns[2], samples[i].vip_processed);
      _orderly_pg_array_int (columns[3], samples[i].normal_processed);
      _orderly_pg_array_int (columns[4], samples[i].failed);
    }
  _orderly_pg_params_int (&params, run_id);
  _orderly_pg_params_take_columns (&params, columns, G_N_ELEMENTS (columns));
  result = _orderly_pg_store_exec (self, "append_samples",
                                   "INSERT INTO run_samples (run_id, time, generated, vip_processed, "
                                   "normal_processed, failed) SELECT $1::bigint, s.* FROM unnest ($2::bigint[], "
                                   "$3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[]) AS s "
                                   "ON CONFLICT (run_id, time) DO UPDATE SET generated = excluded.generated, "
                                   "vip_processed = excluded.vip_processed, "
                                   "normal_processed = excluded.normal_processed, failed = excluded.failed",
                                   &params, error);
  return result != NULL;
}

static GArray *
orderly_pg_store_list_samples (OrderlyStore  *store,
                               gint64         run_id,
                               GError       **error)
{
  OrderlyPgStore *self = ORDERLY_PG_STORE (store);
  g_autoptr(GArray) samples = g_array_new (FALSE, TRUE, sizeof (OrderlyRunSample));
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) result = NULL;

  _orderly_pg_params_int (&params, run_id);
  result = _orderly_pg_store_exec (self, "list_samples",
                                   "SELECT time, generated, vip_processed, normal_processed, failed "
                                   "FROM run_samples WHERE run_id = $1 ORDER BY time", &params, error);
  if (result == NULL)
    return NULL;
  for (int row = 0; row < PQntuples (result); row++)
    {
      OrderlyRunSample sample = {
        .time_us = orderly_pg_result_get_int64 (result, row, 0),
        .generated = orderly_pg_result_get_int64 (result, row, 1),
        .vip_processed = orderly_pg_result_get_int64 (result, row, 2),
        .normal_processed = orderly_pg_result_get_int64 (result, row, 3),
        .failed = orderly_pg_result_get_int64 (result, row, 4),
      };
      g_array_append_val (samples, sample);
    }
  return g_steal_pointer (&samples);
}

/*
 * Log lines of every instance share one table, so the ids the engine gives
 * its own lines cannot be kept: the table numbers the lines itself and the
 * records get those numbers.
 */
static gboolean
orderly_pg_store_append_logs (OrderlyStore      *store,
                              OrderlyLogRecord **records,
                              guint              n_records,
                              guint              keep,
                              GError           **error)
{
  OrderlyPgStore *self = ORDERLY_PG_STORE (store);
  GString *columns[5];
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) result = NULL;

  if (n_records == 0)
    return TRUE;
  _orderly_pg_columns_begin (columns, G_N_ELEMENTS (columns));
  for (guint i = 0; i < n_records; i++)
    {
      _orderly_pg_array_int (columns[0], records[i]->timestamp_ms);
      _orderly_pg_array_int (columns[1], records[i]->level);
      _orderly_pg_array_text (columns[2], records[i]->category);
      _orderly_pg_array_text (columns[3], records[i]->message);
      _orderly_pg_array_text (columns[4], records[i]->data_json);
    }
  _orderly_pg_params_take_columns (&params, columns, G_N_ELEMENTS (columns));
  _orderly_pg_params_text (&params, self->instance_id);
  _orderly_pg_params_int (&params, keep);
  /* One statement: the lines go in whole, and the oldest beyond @keep go. */
  result = _orderly_pg_store_exec (self, "append_logs",
                                   "WITH added AS ("
                                   "  INSERT INTO logs (timestamp, level, category, message, data, instance) "
                                   "  SELECT l.t, l.v, l.c, l.m, l.d, $6 FROM unnest ($1::bigint[], "
                                   "  $2::smallint[], $3::text[], $4::text[], $5::text[]) "
                                   "  WITH ORDINALITY AS l (t, v, c, m, d, n) ORDER BY l.n RETURNING id), "
                                   "trimmed AS ("
                                   "  DELETE FROM logs WHERE $7::bigint > 0 AND id <= (SELECT max(id) FROM added) - $7::bigint) "
                                   "SELECT id FROM added ORDER BY id", &params, error);
  if (result == NULL)
    return FALSE;
  for (int row = 0; row < PQntuples (result) && row < (int) n_records; row++)
    records[row]->id = orderly_pg_result_get_int64 (result, row, 0);
  return TRUE;
}

static GPtrArray *
orderly_pg_store_recent_logs (OrderlyStore  *store,
                              guint          n_lines,
                              GError       **error)
{
  OrderlyPgStore *self = ORDERLY_PG_STORE (store);
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) orderly_log_record_free);
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) result = NULL;

  _orderly_pg_params_int (&params, n_lines);
  result = _orderly_pg_store_exec (self, "recent_logs",
                                   "SELECT id, timestamp, level, category, message, data, instance FROM "
                                   "(SELECT * FROM logs ORDER BY id DESC LIMIT $1) AS l ORDER BY id",
                                   &params, error);
  if (result == NULL)
    return NULL;
  for (int row = 0; row < PQntuples (result); row++)
    {
      OrderlyLogRecord *record = g_new0 (OrderlyLogRecord, 1);
      gint64 level = orderly_pg_result_get_int64 (result, row, 2);

      record->id = orderly_pg_result_get_int64 (result, row, 0);
      record->timestamp_ms = orderly_pg_result_get_int64 (result, row, 1);
      record->level = CLAMP (level, ORDERLY_LOG_LEVEL_LOG, ORDERLY_LOG_LEVEL_ERROR);
      record->category = g_strdup (PQgetvalue (result, row, 3));
      record->message = g_strdup (PQgetvalue (result, row, 4));
      if (!PQgetisnull (result, row, 5))
        record->data_json = g_strdup (PQgetvalue (result, row, 5));
      if (!g_str_equal (PQgetvalue (result, row, 6), self->instance_id))
        record->instance = g_strdup (PQgetvalue (result, row, 6));
      g_ptr_array_add (records, record);
    }
  return g_steal_pointer (&records);
}

static gboolean
orderly_pg_store_check (OrderlyStore  *store,
                        GError       **error)
{
  g_autoptr(PGresult) result = _orderly_pg_store_exec (ORDERLY_PG_STORE (store), "check",
                                                       "SELECT count(*) FROM runs", NULL, error);

  return result != NULL;
}

/* The queue's entry points, in orderly-pg-queue.c. */

static gboolean
orderly_pg_store_insert_orders (OrderlyStore        *store,
                                const OrderlyOrder  *orders,
                                guint                n_orders,
                                GError             **error)
{
  return _orderly_pg_insert_orders (ORDERLY_PG_STORE (store), orders, n_orders, error);
}

static gboolean
orderly_pg_store_count_orders (OrderlyStore        *store,
                               gint64               run_id,
                               OrderlyOrderCounts  *counts,
                               GError             **error)
{
  OrderlyPgStore *self = ORDERLY_PG_STORE (store);
  OrderlyPgConnection *connection = orderly_pg_pool_acquire (self->pool, error);
  gboolean ok;

  if (connection == NULL)
    return FALSE;
  ok = _orderly_pg_count_orders (self, connection, run_id, counts, error);
  orderly_pg_pool_release (self->pool, connection);
  return ok;
}

static gboolean
orderly_pg_store_claim (OrderlyStore               *store,
                        const OrderlyClaimRequest  *request,
                        OrderlyClaimAnswer         *answer,
                        GError                    **error)
{
  return _orderly_pg_claim (ORDERLY_PG_STORE (store), request, answer, error);
}

static gboolean
orderly_pg_store_renew_claim (OrderlyStore  *store,
                              OrderlyClaim  *claim,
                              gint64         lease_ms,
                              GError       **error)
{
  return _orderly_pg_renew_claim (ORDERLY_PG_STORE (store), claim, lease_ms, error);
}

static gboolean
orderly_pg_store_complete_claim (OrderlyStore               *store,
                                 const OrderlyClaim         *claim,
                                 const OrderlyOrderOutcome  *outcomes,
                                 guint                       n_outcomes,
                                 const OrderlyClaimRequest  *next,
                                 OrderlyClaimAnswer         *next_answer,
                                 GError                    **error)
{
  return _orderly_pg_complete_claim (ORDERLY_PG_STORE (store), claim, outcomes, n_outcomes, next,
                                     next_answer, error);
}

static gboolean
orderly_pg_store_release_claims (OrderlyStore  *store,
                                 gint64         run_id,
                                 gboolean       expired_only,
                                 gint64         max_orders,
                                 gint64        *released,
                                 GError       **error)
{
  return _orderly_pg_release_claims (ORDERLY_PG_STORE (store), run_id, expired_only, max_orders,
                                     released, error);
}

static gboolean
orderly_pg_store_retry_failed (OrderlyStore  *store,
                               gint64         run_id,
                               gint64         max_orders,
                               gint64        *requeued,
                               GError       **error)
{
  return _orderly_pg_retry_failed (ORDERLY_PG_STORE (store), run_id, max_orders, requeued, error);
}

static gboolean
orderly_pg_store_clean (OrderlyStore     *store,
                        gint64            run_id,
                        OrderlyJobState   state,
                        gint64            finished_before_us,
                        gint64            limit,
                        gint64           *removed,
                        GError          **error)
{
  return _orderly_pg_clean (ORDERLY_PG_STORE (store), run_id, state, finished_before_us, limit,
                            removed, error);
}

static GPtrArray *
orderly_pg_store_list_jobs (OrderlyStore     *store,
                            gint64            run_id,
                            OrderlyJobState   state,
                            gint64            offset,
                            guint             limit,
                            gboolean          with_data,
                            GError          **error)
{
  return _orderly_pg_list_jobs (ORDERLY_PG_STORE (store), run_id, state, offset, limit, with_data,
                                error);
}

static gboolean
orderly_pg_store_get_wait_histogram (OrderlyStore          *store,
                                     gint64                 run_id,
                                     OrderlyPriority        priority,
                                     OrderlyWaitHistogram  *histogram,
                                     GError               **error)
{
  return _orderly_pg_get_wait_histogram (ORDERLY_PG_STORE (store), run_id, priority, histogram, error);
}

static gboolean
orderly_pg_store_verify_run (OrderlyStore     *store,
                             gint64            run_id,
                             OrderlyRunCheck  *check,
                             GError          **error)
{
  return _orderly_pg_verify_run (ORDERLY_PG_STORE (store), run_id, check, error);
}

static void
orderly_pg_store_finalize (GObject *object)
{
  OrderlyPgStore *self = (OrderlyPgStore *) object;

  g_clear_pointer (&self->pool, orderly_pg_pool_free);
  g_free (self->instance_id);
  g_free (self->description);

  G_OBJECT_CLASS (orderly_pg_store_parent_class)->finalize (object);
}

static void
orderly_pg_store_class_init (OrderlyPgStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  OrderlyStoreClass *store_class = ORDERLY_STORE_CLASS (klass);

  object_class->finalize = orderly_pg_store_finalize;

  store_class->is_shared = orderly_pg_store_is_shared;
  store_class->begin_run = orderly_pg_store_begin_run;
  store_class->save_run = orderly_pg_store_save_run;
  store_class->list_runs = orderly_pg_store_list_runs;
  store_class->reset = orderly_pg_store_reset;
  store_class->clear_orders = orderly_pg_store_clear_orders;
  store_class->insert_orders = orderly_pg_store_insert_orders;
  store_class->count_orders = orderly_pg_store_count_orders;
  store_class->claim = orderly_pg_store_claim;
  store_class->renew_claim = orderly_pg_store_renew_claim;
  store_class->complete_claim = orderly_pg_store_complete_claim;
  store_class->release_claims = orderly_pg_store_release_claims;
  store_class->retry_failed = orderly_pg_store_retry_failed;
  store_class->clean = orderly_pg_store_clean;
  store_class->list_jobs = orderly_pg_store_list_jobs;
  store_class->get_wait_histogram = orderly_pg_store_get_wait_histogram;
  store_class->verify_run = orderly_pg_store_verify_run;
  store_class->append_samples = orderly_pg_store_append_samples;
  store_class->list_samples = orderly_pg_store_list_samples;
  store_class->append_logs = orderly_pg_store_append_logs;
  store_class->recent_logs = orderly_pg_store_recent_logs;
  store_class->check = orderly_pg_store_check;
}

static void
orderly_pg_store_init (OrderlyPgStore *self)
{
}

/**
 * orderly_pg_store_new:
 * @uri: a PostgreSQL connection URI
 *
 * Connects to the database and brings its schema up to date.
 *
 * Returns: (transfer full): the store, or %NULL with @error set
 */
OrderlyStore *
orderly_pg_store_new (const char  *uri,
                      GError     **error)
{
  g_autoptr(OrderlyPgStore) self = NULL;
  OrderlyPgConnection *connection;

  g_return_val_if_fail (uri != NULL, NULL);

  self = g_object_new (ORDERLY_TYPE_PG_STORE, NULL);
  self->instance_id = orderly_instance_new_id ();
  self->pool = orderly_pg_pool_new (uri, MAX_CONNECTIONS, error);
  if (self->pool == NULL)
    return NULL;
  connection = orderly_pg_pool_acquire (self->pool, error);
  if (connection == NULL)
    return NULL;
  self->description = g_strdup (orderly_pg_connection_get_description (connection));
  orderly_pg_pool_release (self->pool, connection);
  if (!migrate (self, error))
    return NULL;
  return ORDERLY_STORE (g_steal_pointer (&self));
}

/**
 * orderly_pg_store_take_over_run:
 * @owner: the instance that had the run, gone quiet
 *
 * Makes this instance the one that runs @run_id, if it is still @owner's and
 * @owner has not come back: of instances trying at once, one wins.
 *
 * Returns: whether this instance has the run now
 */
gboolean
orderly_pg_store_take_over_run (OrderlyPgStore  *self,
                                gint64           run_id,
                                const char      *owner,
                                GError         **error)
{
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) result = NULL;

  g_return_val_if_fail (ORDERLY_IS_PG_STORE (self), FALSE);

  _orderly_pg_params_int (&params, run_id);
  _orderly_pg_params_text (&params, owner);
  _orderly_pg_params_text (&params, self->instance_id);
  result = _orderly_pg_store_exec (self, "take_over_run",
                                   "UPDATE runs SET owner = $3 WHERE id = $1 AND owner = $2 "
                                   "AND NOT EXISTS (SELECT 1 FROM instances WHERE id = $2 "
                                   "AND heartbeat_at > now() - interval '5 seconds') RETURNING id",
                                   &params, error);
  return result != NULL && PQntuples (result) == 1;
}

/**
 * orderly_pg_store_get_uri:
 *
 * Returns: the connection URI the store was opened with
 */
const char *
orderly_pg_store_get_uri (OrderlyPgStore *self)
{
  g_return_val_if_fail (ORDERLY_IS_PG_STORE (self), NULL);
  return orderly_pg_pool_get_uri (self->pool);
}

/**
 * orderly_pg_store_get_instance_id:
 *
 * Returns: the id this process goes by in the cluster
 */
const char *
orderly_pg_store_get_instance_id (OrderlyPgStore *self)
{
  g_return_val_if_fail (ORDERLY_IS_PG_STORE (self), NULL);
  return self->instance_id;
}

/**
 * orderly_pg_store_get_description:
 *
 * Returns: the database and server, for messages (never the password)
 */
const char *
orderly_pg_store_get_description (OrderlyPgStore *self)
{
  g_return_val_if_fail (ORDERLY_IS_PG_STORE (self), NULL);
  return self->description;
}
