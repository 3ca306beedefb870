/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-pg"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "orderly-pg-store-private.h"

G_STATIC_ASSERT (PG_FAILURE_WAITING_VALUE == PG_FAILURE_WAITING);
G_STATIC_ASSERT (PG_FAILURE_ACTIVE_VALUE == PG_FAILURE_ACTIVE);
G_STATIC_ASSERT (PG_FAILURE_FAILED_VALUE == PG_FAILURE_FAILED);
G_STATIC_ASSERT (PG_FAILURE_DELAYED_VALUE == PG_FAILURE_DELAYED);

/*
 * The queue of the PostgreSQL backend. Every function borrows one
 * connection and is one transaction. Claims lock claim rows (or failures
 * rows) with FOR UPDATE SKIP LOCKED, so that workers of every instance take
 * different ones without waiting; a claim's outcomes are written in the
 * transaction that locks its row and checks its lease by the server's
 * clock, so a claim taken over after its lease ran out can no longer be
 * written by its first owner.
 */

#define NOW_US "(extract (epoch FROM clock_timestamp ()) * 1000000)::bigint"

static const char * const orders_table[] = { "vip_orders", "normal_orders" };
static const char * const results_table[] = { "vip_results", "normal_results" };

/* Statement names per priority, for statements that name a table. */
static char *
stmt_name (const char      *name,
           OrderlyPriority  priority)
{
  return g_strdup_printf ("%s_%d", name, priority);
}

/* A transaction on a borrowed connection. */
typedef struct
{
  OrderlyPgStore      *store;
  OrderlyPgConnection *connection;
} Tx;

static gboolean
tx_begin (OrderlyPgStore  *self,
          Tx              *tx,
          GError         **error)
{
  tx->store = self;
  tx->connection = orderly_pg_pool_acquire (self->pool, error);
  if (tx->connection == NULL)
    return FALSE;
  if (!orderly_pg_connection_begin (tx->connection, error))
    {
      orderly_pg_pool_release (self->pool, g_steal_pointer (&tx->connection));
      return FALSE;
    }
  return TRUE;
}

static gboolean
tx_commit (Tx      *tx,
           GError **error)
{
  gboolean ok = orderly_pg_connection_commit (tx->connection, error);

  orderly_pg_pool_release (tx->store->pool, g_steal_pointer (&tx->connection));
  return ok;
}

/* Rolls back (if still open) and gives the connection back. */
static void
tx_end (Tx *tx)
{
  if (tx->connection != NULL)
    orderly_pg_pool_release (tx->store->pool, g_steal_pointer (&tx->connection));
}

static PGresult *
tx_exec (Tx                    *tx,
         const char            *name,
         const char            *sql,
         const OrderlyPgParams *params,
         GError               **error)
{
  return _orderly_pg_exec (tx->connection, name, sql, params, error);
}

static gboolean
tx_run (Tx                    *tx,
        const char            *name,
        const char            *sql,
        const OrderlyPgParams *params,
        GError               **error)
{
  g_autoptr(PGresult) result = tx_exec (tx, name, sql, params, error);

  return result != NULL;
}

static int
shard_of (gint64 id)
{
  return (int) (id % ORDERLY_PG_SHARDS);
}

/* Generation ----------------------------------------------------------- */

/*
 * A batch goes in whole: each priority's orders by COPY, cut into claims
 * given back of at most ORDERLY_PG_CHUNK orders, and the counters.
 */
gboolean
_orderly_pg_insert_orders (OrderlyPgStore      *self,
                           const OrderlyOrder  *orders,
                           guint                n_orders,
                           GError             **error)
{
  g_autoptr(GString) claims = g_string_new ("INSERT INTO claims (run_id, priority, retry, first_id, "
                                            "last_id, n_orders) VALUES ");
  gint64 run_id;
  gint64 counted[2] = { 0, 0 };
  Tx tx;

  if (n_orders == 0)
    return TRUE;
  run_id = orders[0].run_id;
  if (!tx_begin (self, &tx, error))
    return FALSE;
  for (guint p = 0; p < 2; p++)
    {
      g_autoptr(GString) rows = g_string_sized_new (n_orders * 56 + 1);
      g_autofree char *copy = g_strdup_printf ("COPY %s (id, run_id, customer, amount, created_at) "
                                               "FROM STDIN", orders_table[p]);
      gint64 chunk_first = 0, chunk_last = 0, chunk_n = 0;

      for (guint i = 0; i <= n_orders; i++)
        {
          const OrderlyOrder *order = i < n_orders ? &orders[i] : NULL;

          if (order != NULL && (guint) order->priority != p)
            continue;
          if (chunk_n > 0 && (order == NULL || chunk_n == ORDERLY_PG_CHUNK))
            {
              g_string_append_printf (claims, "%s(%" G_GINT64_FORMAT ", %u, false, %" G_GINT64_FORMAT
                                      ", %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ")",
                                      g_str_has_suffix (claims->str, ")") ? ", " : "",
                                      run_id, p, chunk_first, chunk_last, chunk_n);
              chunk_n = 0;
            }
          if (order == NULL)
            break;
          g_assert (order->run_id == run_id);
          if (chunk_n++ == 0)
            chunk_first = order->id;
          chunk_last = order->id;
          counted[p]++;
          g_string_append_printf (rows, "%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT "\t",
                                  order->id, order->run_id);
          orderly_pg_copy_append_text (rows, order->customer);
          g_string_append_printf (rows, "\t%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT "\n",
                                  order->amount_cents, order->created_at_us);
        }
      if (counted[p] > 0 &&
          !orderly_pg_connection_copy_in (tx.connection, copy, rows->str, rows->len, error))
        goto failed;
    }
  if (!orderly_pg_connection_run (tx.connection, claims->str, error))
    goto failed;
  for (guint p = 0; p < 2; p++)
    {
      g_auto(OrderlyPgParams) params = { 0 };

      if (counted[p] == 0)
        continue;
      _orderly_pg_params_int (&params, run_id);
      _orderly_pg_params_int (&params, p);
      _orderly_pg_params_int (&params, counted[p]);
      _orderly_pg_params_int (&params, shard_of (orders[0].id));
      if (!tx_run (&tx, "count_generated",
                   "UPDATE queue_counts SET generated = generated + $3::bigint "
                   "WHERE run_id = $1 AND priority = $2 AND shard = $4", &params, error))
        goto failed;
    }
  return tx_commit (&tx, error);

failed:
  tx_end (&tx);
  return FALSE;
}

/* Counts --------------------------------------------------------------- */

static gboolean
read_counts (OrderlyPgConnection  *connection,
             gint64                run_id,
             OrderlyOrderCounts   *counts,
             gboolean             *found,
             GError              **error)
{
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) result = NULL;

  memset (counts, 0, sizeof *counts);
  *found = FALSE;
  _orderly_pg_params_int (&params, run_id);
  result = _orderly_pg_exec (connection, "read_counts",
                             "SELECT c.priority, sum (generated), sum (delayed), sum (completed), "
                             "sum (failed), sum (completed_removed), sum (failed_removed), "
                             "coalesce (min (nullif (first_attempt_at, 0)), 0), max (last_settled_at), "
                             "(SELECT coalesce (sum (n_orders), 0) FROM claims h WHERE h.run_id = $1 "
                             " AND h.priority = c.priority AND h.owner IS NOT NULL) "
                             "FROM queue_counts c WHERE c.run_id = $1 GROUP BY c.priority",
                             &params, error);
  if (result == NULL)
    return FALSE;
  for (int row = 0; row < PQntuples (result); row++)
    {
      int p = orderly_pg_result_get_int64 (result, row, 0) == ORDERLY_PRIORITY_VIP ? 0 : 1;
      OrderlyPriorityCounts *c = &counts->priority[p];

      c->generated = orderly_pg_result_get_int64 (result, row, 1);
      c->delayed = orderly_pg_result_get_int64 (result, row, 2);
      c->completed = orderly_pg_result_get_int64 (result, row, 3);
      c->failed = orderly_pg_result_get_int64 (result, row, 4);
      c->completed_removed = orderly_pg_result_get_int64 (result, row, 5);
      c->failed_removed = orderly_pg_result_get_int64 (result, row, 6);
      c->first_attempt_us = orderly_pg_result_get_int64 (result, row, 7);
      c->last_settled_us = orderly_pg_result_get_int64 (result, row, 8);
      c->active = orderly_pg_result_get_int64 (result, row, 9);
      c->waiting = _orderly_priority_counts_waiting (c);
      *found = TRUE;
    }
  return TRUE;
}

gboolean
_orderly_pg_count_orders (OrderlyPgStore       *self,
                          OrderlyPgConnection  *connection,
                          gint64                run_id,
                          OrderlyOrderCounts   *counts,
                          GError              **error)
{
  gboolean found;

  return read_counts (connection, run_id, counts, &found, error);
}

/* Claims --------------------------------------------------------------- */

/* Members from a result whose columns are (id, created_at[, attempts]). */
static void
claim_take_rows (OrderlyClaim   *claim,
                 const PGresult *result)
{
  int n = PQntuples (result);
  gboolean attempts = PQnfields (result) > 2;

  g_free (claim->order_ids);
  g_free (claim->created_at_us);
  g_free (claim->attempts_made);
  claim->n_orders = (guint) n;
  claim->order_ids = g_new0 (gint64, MAX (n, 1));
  claim->created_at_us = g_new0 (gint64, MAX (n, 1));
  claim->attempts_made = g_new0 (guint, MAX (n, 1));
  for (int row = 0; row < n; row++)
    {
      claim->order_ids[row] = orderly_pg_result_get_int64 (result, row, 0);
      claim->created_at_us[row] = orderly_pg_result_get_int64 (result, row, 1);
      if (attempts)
        claim->attempts_made[row] = (guint) orderly_pg_result_get_int64 (result, row, 2);
    }
}

/* A new claim row for @claim's members, owned; sets its id. */
static gboolean
insert_claim_row (Tx            *tx,
                  OrderlyClaim  *claim,
                  GError       **error)
{
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) result = NULL;

  _orderly_pg_params_int (&params, claim->run_id);
  _orderly_pg_params_int (&params, claim->priority);
  _orderly_pg_params_text (&params, claim->retry ? "true" : "false");
  _orderly_pg_params_int (&params, claim->order_ids[0]);
  _orderly_pg_params_int (&params, claim->order_ids[claim->n_orders - 1]);
  _orderly_pg_params_int (&params, claim->n_orders);
  _orderly_pg_params_text (&params, claim->owner);
  _orderly_pg_params_int (&params, claim->claimed_at_us);
  _orderly_pg_params_int (&params, claim->lease_until_us);
  result = tx_exec (tx, "insert_claim",
                    "INSERT INTO claims (run_id, priority, retry, first_id, last_id, n_orders, owner, "
                    "claimed_at, lease_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                    &params, error);
  if (result == NULL)
    return FALSE;
  claim->id = orderly_pg_result_get_int64 (result, 0, 0);
  return TRUE;
}

static gboolean
delete_claim_row (Tx      *tx,
                  gint64   id,
                  GError **error)
{
  g_auto(OrderlyPgParams) params = { 0 };

  _orderly_pg_params_int (&params, id);
  return tx_run (tx, "delete_claim", "DELETE FROM claims WHERE id = $1", &params, error);
}

/* Gives back what is left of claim row @id from @first_id on. */
static gboolean
give_back_rest (Tx      *tx,
                gint64   id,
                gint64   first_id,
                gint64   n_orders,
                GError **error)
{
  g_auto(OrderlyPgParams) params = { 0 };

  _orderly_pg_params_int (&params, id);
  _orderly_pg_params_int (&params, first_id);
  _orderly_pg_params_int (&params, n_orders);
  return tx_run (tx, "give_back_rest",
                 "UPDATE claims SET first_id = $2, n_orders = $3, owner = NULL, claimed_at = 0, "
                 "lease_until = 0 WHERE id = $1", &params, error);
}

static gboolean
add_delayed (Tx               *tx,
             gint64            run_id,
             OrderlyPriority   priority,
             int               shard,
             gint64            delta,
             GError          **error)
{
  g_auto(OrderlyPgParams) params = { 0 };

  if (delta == 0)
    return TRUE;
  _orderly_pg_params_int (&params, run_id);
  _orderly_pg_params_int (&params, priority);
  _orderly_pg_params_int (&params, shard);
  _orderly_pg_params_int (&params, delta);
  return tx_run (tx, "add_delayed",
                 "UPDATE queue_counts SET delayed = delayed + $4::bigint "
                 "WHERE run_id = $1 AND priority = $2 AND shard = $3", &params, error);
}

/*
 * Takes over claim row @old_id (given back, or held past its lease) under
 * a new id, so that a late writer of the old one finds nothing. A range
 * larger than @max_orders is split: the rest stays given back.
 */
static gboolean
take_over (Tx            *tx,
           OrderlyClaim  *claim,
           gint64         old_id,
           gint64         first_id,
           gint64         last_id,
           gint64         n_orders,
           guint          max_orders,
           GError       **error)
{
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) members = NULL;
  g_autofree char *name = stmt_name (claim->retry ? "retry_members" : "range_members", claim->priority);
  g_autofree char *sql = NULL;

  if (claim->retry)
    {
      sql = g_strdup_printf ("SELECT f.id, o.created_at, f.attempts FROM failures f "
                             "JOIN %s o ON o.id = f.id WHERE f.claim_id = $1 ORDER BY f.id",
                             orders_table[claim->priority]);
      _orderly_pg_params_int (&params, old_id);
    }
  else
    {
      sql = g_strdup_printf ("SELECT id, created_at FROM %s WHERE id BETWEEN $1 AND $2 AND run_id = $3 "
                             "ORDER BY id LIMIT $4", orders_table[claim->priority]);
      _orderly_pg_params_int (&params, first_id);
      _orderly_pg_params_int (&params, last_id);
      _orderly_pg_params_int (&params, claim->run_id);
      _orderly_pg_params_int (&params, max_orders);
    }
  members = tx_exec (tx, name, sql, &params, error);
  if (members == NULL)
    return FALSE;
  claim_take_rows (claim, members);
  if (claim->n_orders == 0)
    return delete_claim_row (tx, old_id, error);
  if (!insert_claim_row (tx, claim, error))
    return FALSE;

  if (claim->retry)
    {
      g_auto(OrderlyPgParams) moved = { 0 };

      _orderly_pg_params_int (&moved, old_id);
      _orderly_pg_params_int (&moved, claim->id);
      _orderly_pg_params_int (&moved, claim->claimed_at_us);
      return tx_run (tx, "move_failures",
                     "UPDATE failures SET claim_id = $2, state_at = $3 WHERE claim_id = $1",
                     &moved, error) &&
             delete_claim_row (tx, old_id, error);
    }
  if ((gint64) claim->n_orders < n_orders && claim->order_ids[claim->n_orders - 1] < last_id)
    return give_back_rest (tx, old_id, claim->order_ids[claim->n_orders - 1] + 1,
                           n_orders - claim->n_orders, error);
  return delete_claim_row (tx, old_id, error);
}

/* One claim row to take over: held past its lease first, then given back
 * (which includes every fresh order, cut at generation), lowest id first. */
static gboolean
claim_row (Tx            *tx,
           OrderlyClaim  *claim,
           gboolean       expired,
           guint          max_orders,
           gboolean      *taken,
           GError       **error)
{
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) result = NULL;

  *taken = FALSE;
  _orderly_pg_params_int (&params, claim->run_id);
  _orderly_pg_params_int (&params, claim->priority);
  if (expired)
    {
      _orderly_pg_params_int (&params, claim->claimed_at_us);
      result = tx_exec (tx, "expired_claim",
                        "SELECT id, retry, first_id, last_id, n_orders FROM claims "
                        "WHERE run_id = $1 AND priority = $2 AND owner IS NOT NULL AND lease_until <= $3 "
                        "ORDER BY lease_until LIMIT 1 FOR UPDATE SKIP LOCKED", &params, error);
    }
  else
    {
      result = tx_exec (tx, "given_back_claim",
                        "SELECT id, retry, first_id, last_id, n_orders FROM claims "
                        "WHERE run_id = $1 AND priority = $2 AND owner IS NULL "
                        "ORDER BY first_id LIMIT 1 FOR UPDATE SKIP LOCKED", &params, error);
    }
  if (result == NULL)
    return FALSE;
  if (PQntuples (result) == 0)
    return TRUE;
  claim->retry = PQgetvalue (result, 0, 1)[0] == 't';
  if (!take_over (tx, claim, orderly_pg_result_get_int64 (result, 0, 0),
                  orderly_pg_result_get_int64 (result, 0, 2), orderly_pg_result_get_int64 (result, 0, 3),
                  orderly_pg_result_get_int64 (result, 0, 4), max_orders, error))
    return FALSE;
  *taken = claim->n_orders > 0;
  return TRUE;
}

/* Failed orders due again: requeued ones first, then delayed ones whose
 * time has come, soonest first. The claim keeps them in id order. */
static gboolean
claim_retries (Tx            *tx,
               OrderlyClaim  *claim,
               guint          max_orders,
               gboolean      *taken,
               GError       **error)
{
  g_auto(OrderlyPgParams) params = { 0 };
  g_auto(OrderlyPgParams) update = { 0 };
  g_autoptr(PGresult) result = NULL;
  g_autoptr(GString) ids = g_string_new ("{");
  g_autofree char *name = stmt_name ("due_retries", claim->priority);
  g_autofree char *sql = NULL;
  gint64 from_delayed = 0;

  *taken = FALSE;
  sql = g_strdup_printf ("SELECT f.id, o.created_at, f.attempts, f.state FROM failures f "
                         "JOIN %s o ON o.id = f.id WHERE f.run_id = $1 AND f.priority = $2 AND "
                         "(f.state = %d OR (f.state = %d AND f.state_at <= $3)) "
                         "ORDER BY f.state, f.state_at LIMIT $4 FOR UPDATE OF f SKIP LOCKED",
                         orders_table[claim->priority], PG_FAILURE_WAITING, PG_FAILURE_DELAYED);
  _orderly_pg_params_int (&params, claim->run_id);
  _orderly_pg_params_int (&params, claim->priority);
  _orderly_pg_params_int (&params, claim->claimed_at_us);
  _orderly_pg_params_int (&params, max_orders);
  result = tx_exec (tx, name, sql, &params, error);
  if (result == NULL)
    return FALSE;
  if (PQntuples (result) == 0)
    return TRUE;
  claim_take_rows (claim, result);
  for (int row = 0; row < PQntuples (result); row++)
    if (orderly_pg_result_get_int64 (result, row, 3) == PG_FAILURE_DELAYED)
      from_delayed++;
  _orderly_claim_sort_members (claim);
  for (guint i = 0; i < claim->n_orders; i++)
    _orderly_pg_array_int (ids, claim->order_ids[i]);
  _orderly_pg_array_end (ids);

  claim->retry = TRUE;
  if (!insert_claim_row (tx, claim, error))
    return FALSE;
  _orderly_pg_params_take (&update, g_steal_pointer (&ids));
  _orderly_pg_params_int (&update, claim->claimed_at_us);
  _orderly_pg_params_int (&update, claim->id);
  if (!tx_run (tx, "retries_claimed",
               "UPDATE failures SET state = " G_STRINGIFY (PG_FAILURE_ACTIVE_VALUE) ", state_at = $2, "
               "claim_id = $3 WHERE id = ANY ($1::bigint[])", &update, error))
    return FALSE;
  if (!add_delayed (tx, claim->run_id, claim->priority, shard_of (claim->id), -from_delayed, error))
    return FALSE;
  *taken = TRUE;
  return TRUE;
}

static gint64
unsettled (const OrderlyPriorityCounts *c)
{
  return ORDERLY_COUNTS_UNSETTLED (c);
}

/* How long until something of @priority may be claimable: the soonest due
 * retry or lease end. */
static gint64
wait_hint (Tx               *tx,
           gint64            run_id,
           OrderlyPriority   priority,
           gint64            now)
{
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) result = NULL;
  gint64 soonest;

  _orderly_pg_params_int (&params, run_id);
  _orderly_pg_params_int (&params, priority);
  result = tx_exec (tx, "wait_hint",
                    "SELECT least ((SELECT min (state_at) FROM failures WHERE run_id = $1 AND priority = $2 "
                    "AND state = " G_STRINGIFY (PG_FAILURE_DELAYED_VALUE) "), "
                    "(SELECT min (lease_until) FROM claims WHERE run_id = $1 AND priority = $2 "
                    "AND owner IS NOT NULL))", &params, NULL);
  if (result == NULL || PQgetisnull (result, 0, 0))
    return 0;
  soonest = orderly_pg_result_get_int64 (result, 0, 0);
  return soonest > now ? soonest - now : 0;
}

/* Takes a claim inside @tx; nothing is written unless one is taken. */
static gboolean
claim_in (Tx                         *tx,
          const OrderlyClaimRequest  *request,
          OrderlyClaimAnswer         *answer,
          GError                    **error)
{
  g_autoptr(OrderlyClaim) claim = NULL;
  OrderlyOrderCounts counts;
  guint max_orders = CLAMP (request->max_orders, 1, ORDERLY_MAX_CLAIM);
  gboolean found, taken = FALSE;
  gint64 now;

  memset (answer, 0, sizeof *answer);
  now = _orderly_pg_now_us (tx->connection, error);
  if (now < 0)
    return FALSE;

  if (request->priority == ORDERLY_PRIORITY_NORMAL)
    {
      if (!read_counts (tx->connection, request->run_id, &counts, &found, error))
        return FALSE;
      if (unsettled (&counts.priority[ORDERLY_PRIORITY_VIP]) > 0)
        {
          answer->result = ORDERLY_CLAIM_BLOCKED;
          return TRUE;
        }
    }

  claim = _orderly_claim_new_for (request, now);
  if (!claim_row (tx, claim, TRUE, max_orders, &taken, error))
    return FALSE;
  if (!taken && !claim_retries (tx, claim, max_orders, &taken, error))
    return FALSE;
  if (!taken)
    {
      claim->retry = FALSE;
      if (!claim_row (tx, claim, FALSE, max_orders, &taken, error))
        return FALSE;
    }

  if (!taken)
    {
      if (!read_counts (tx->connection, request->run_id, &counts, &found, error))
        return FALSE;
      if (found && unsettled (&counts.priority[request->priority]) > 0)
        {
          answer->result = ORDERLY_CLAIM_LATER;
          answer->wait_us = wait_hint (tx, request->run_id, request->priority, now);
        }
      else
        {
          answer->result = ORDERLY_CLAIM_DRAINED;
        }
      return TRUE;
    }
  /* The orders are read with the claim: its range is theirs. */
  claim->first_id = claim->order_ids[0];
  claim->last_id = claim->order_ids[claim->n_orders - 1];
  answer->result = ORDERLY_CLAIM_TAKEN;
  answer->claim = g_steal_pointer (&claim);
  return TRUE;
}

gboolean
_orderly_pg_claim (OrderlyPgStore             *self,
                   const OrderlyClaimRequest  *request,
                   OrderlyClaimAnswer         *answer,
                   GError                    **error)
{
  Tx tx;

  if (!tx_begin (self, &tx, error))
    return FALSE;
  if (!claim_in (&tx, request, answer, error))
    {
      tx_end (&tx);
      return FALSE;
    }
  if (answer->result != ORDERLY_CLAIM_TAKEN)
    {
      tx_end (&tx);
      return TRUE;
    }
  if (!tx_commit (&tx, error))
    {
      orderly_claim_answer_clear (answer);
      return FALSE;
    }
  return TRUE;
}

gboolean
_orderly_pg_renew_claim (OrderlyPgStore  *self,
                         OrderlyClaim    *claim,
                         gint64           lease_ms,
                         GError         **error)
{
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) result = NULL;

  _orderly_pg_params_int (&params, claim->id);
  _orderly_pg_params_text (&params, claim->owner);
  _orderly_pg_params_int (&params, lease_ms * 1000);
  result = _orderly_pg_store_exec (self, "renew_claim",
                                   "UPDATE claims SET lease_until = " NOW_US " + $3::bigint "
                                   "WHERE id = $1 AND owner = $2 AND lease_until > " NOW_US " "
                                   "RETURNING lease_until", &params, error);
  if (result == NULL)
    return FALSE;
  if (PQntuples (result) != 1)
    {
      _orderly_claim_set_lease_error (claim, error);
      return FALSE;
    }
  claim->lease_until_us = orderly_pg_result_get_int64 (result, 0, 0);
  return TRUE;
}

/* Locks the claim's row and checks, by the server's clock, that it is
 * still this claim, held by its owner under a live lease. */
static gboolean
lease_holds (Tx                  *tx,
             const OrderlyClaim  *claim,
             GError             **error)
{
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) result = NULL;

  _orderly_pg_params_int (&params, claim->id);
  _orderly_pg_params_text (&params, claim->owner);
  _orderly_pg_params_int (&params, claim->n_orders);
  result = tx_exec (tx, "lock_claim",
                    "SELECT owner = $2 AND lease_until > " NOW_US " AND n_orders = $3 "
                    "FROM claims WHERE id = $1 FOR UPDATE", &params, error);
  if (result == NULL)
    return FALSE;
  if (PQntuples (result) != 1 || PQgetvalue (result, 0, 0)[0] != 't')
    {
      _orderly_claim_set_lease_error (claim, error);
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  GString *ids, *observations, *processed_at, *workers, *attempts, *first_at, *settled_at;
} ResultColumns;

gboolean
_orderly_pg_complete_claim (OrderlyPgStore             *self,
                            const OrderlyClaim         *claim,
                            const OrderlyOrderOutcome  *outcomes,
                            guint                       n_outcomes,
                            const OrderlyClaimRequest  *next,
                            OrderlyClaimAnswer         *next_answer,
                            GError                    **error)
{
  OrderlyOutcomeTally tally = { 0 };
  g_autoptr(GHashTable) earlier = NULL;   /* retried id → (first_attempt_at, settled_at) */
  g_autoptr(GString) success_ids = g_string_new ("{");
  g_autoptr(GString) failure_ids = g_string_new ("{");
  guint rest = claim->n_orders - n_outcomes;
  int priority = claim->priority == ORDERLY_PRIORITY_VIP ? 0 : 1;
  int shard = shard_of (claim->id);
  Tx tx;

  g_return_val_if_fail (n_outcomes <= claim->n_orders, FALSE);

  if (!tx_begin (self, &tx, error))
    return FALSE;
  if (!lease_holds (&tx, claim, error))
    goto failed;

  for (guint i = 0; i < n_outcomes; i++)
    _orderly_pg_array_int (outcomes[i].failure == NULL ? success_ids : failure_ids,
                           claim->order_ids[i]);
  _orderly_pg_array_end (success_ids);
  _orderly_pg_array_end (failure_ids);

  /* A retried order that succeeds leaves the failures table, keeping when
   * it was first tried and first failed for good. */
  if (claim->retry && success_ids->len > 2)
    {
      g_auto(OrderlyPgParams) params = { 0 };
      g_autoptr(PGresult) removed = NULL;

      _orderly_pg_params_text (&params, success_ids->str);
      removed = tx_exec (&tx, "remove_failures",
                         "DELETE FROM failures WHERE id = ANY ($1::bigint[]) "
                         "RETURNING id, first_attempt_at, coalesce (settled_at, 0)", &params, error);
      if (removed == NULL)
        goto failed;
      earlier = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
      for (int row = 0; row < PQntuples (removed); row++)
        {
          gint64 *key = g_new (gint64, 1);
          gint64 *times = g_new (gint64, 2);

          *key = orderly_pg_result_get_int64 (removed, row, 0);
          times[0] = orderly_pg_result_get_int64 (removed, row, 1);
          times[1] = orderly_pg_result_get_int64 (removed, row, 2);
          g_hash_table_insert (earlier, key, times);
        }
    }

  if (success_ids->len > 2)
    {
      GString *columns[7];
      g_auto(OrderlyPgParams) params = { 0 };
      g_autofree char *name = stmt_name ("insert_results", claim->priority);
      g_autofree char *sql = NULL;

      _orderly_pg_columns_begin (columns, G_N_ELEMENTS (columns));
      for (guint i = 0; i < n_outcomes; i++)
        {
          const OrderlyOrderOutcome *outcome = &outcomes[i];
          gint64 *times = earlier != NULL ? g_hash_table_lookup (earlier, &claim->order_ids[i]) : NULL;

          if (outcome->failure != NULL)
            continue;
          _orderly_pg_array_int (columns[0], claim->order_ids[i]);
          _orderly_pg_array_text (columns[1], outcome->observations != NULL ? outcome->observations : "");
          _orderly_pg_array_int (columns[2], outcome->finished_at_us);
          _orderly_pg_array_int (columns[3], outcome->worker_id);
          _orderly_pg_array_int (columns[4], claim->attempts_made[i] + 1);
          if (times != NULL && times[0] > 0)
            _orderly_pg_array_int (columns[5], times[0]);
          else
            _orderly_pg_array_text (columns[5], NULL);
          if (times != NULL && times[1] > 0)
            _orderly_pg_array_int (columns[6], times[1]);
          else
            _orderly_pg_array_text (columns[6], NULL);
          _orderly_outcome_tally_success (&tally, claim, i, outcome, times != NULL ? times[1] : 0);
        }
      _orderly_pg_params_take_columns (&params, columns, G_N_ELEMENTS (columns));
      _orderly_pg_params_text (&params, self->instance_id);
      sql = g_strdup_printf ("INSERT INTO %s (id, observations, processed_at, worker, attempts, "
                             "first_attempt_at, settled_at, instance) SELECT r.*, $8 FROM unnest "
                             "($1::bigint[], $2::text[], $3::bigint[], $4::integer[], $5::integer[], "
                             "$6::bigint[], $7::bigint[]) AS r", results_table[priority]);
      if (!tx_run (&tx, name, sql, &params, error))
        goto failed;
    }

  if (failure_ids->len > 2)
    {
      GString *columns[6];
      g_auto(OrderlyPgParams) params = { 0 };
      g_autoptr(PGresult) written = NULL;

      _orderly_pg_columns_begin (columns, G_N_ELEMENTS (columns));
      for (guint i = 0; i < n_outcomes; i++)
        {
          const OrderlyOrderOutcome *outcome = &outcomes[i];
          gboolean is_delayed = outcome->retry_at_us > 0;

          if (outcome->failure == NULL)
            continue;
          _orderly_pg_array_int (columns[0], claim->order_ids[i]);
          _orderly_pg_array_int (columns[1], is_delayed ? PG_FAILURE_DELAYED : PG_FAILURE_FAILED);
          _orderly_pg_array_int (columns[2], is_delayed ? outcome->retry_at_us : outcome->finished_at_us);
          _orderly_pg_array_int (columns[3], claim->attempts_made[i] + 1);
          _orderly_pg_array_int (columns[4], outcome->finished_at_us);
          _orderly_pg_array_text (columns[5], outcome->failure);
          _orderly_outcome_tally_failure (&tally, outcome);
        }
      _orderly_pg_params_take_columns (&params, columns, G_N_ELEMENTS (columns));
      if (!claim->retry)
        {
          _orderly_pg_params_int (&params, claim->run_id);
          _orderly_pg_params_int (&params, priority);
        }
      /* Returns, for each failure that settled its order, whether it was
       * the first time: a retry asked for later does not move that. */
      if (!claim->retry)
        written = tx_exec (&tx, "insert_failures",
                           "INSERT INTO failures (id, run_id, priority, state, state_at, attempts, "
                           "first_attempt_at, last_attempt_at, reason, settled_at) "
                           "SELECT u.id, $7::bigint, $8::smallint, u.state, u.state_at, u.attempts, u.finished, u.finished, "
                           "u.reason, CASE WHEN u.state = " G_STRINGIFY (PG_FAILURE_FAILED_VALUE) " THEN u.finished END "
                           "FROM unnest ($1::bigint[], $2::smallint[], $3::bigint[], $4::integer[], "
                           "$5::bigint[], $6::text[]) AS u (id, state, state_at, attempts, finished, reason) "
                           "RETURNING state = " G_STRINGIFY (PG_FAILURE_FAILED_VALUE) ", last_attempt_at",
                           &params, error);
      else
        written = tx_exec (&tx, "update_failures",
                           "UPDATE failures f SET state = u.state, state_at = u.state_at, "
                           "attempts = u.attempts, last_attempt_at = u.finished, reason = u.reason, "
                           "claim_id = NULL, settled_at = CASE WHEN u.state = "
                           G_STRINGIFY (PG_FAILURE_FAILED_VALUE) " THEN coalesce (f.settled_at, u.finished) "
                           "ELSE f.settled_at END "
                           "FROM unnest ($1::bigint[], $2::smallint[], $3::bigint[], $4::integer[], "
                           "$5::bigint[], $6::text[]) AS u (id, state, state_at, attempts, finished, reason) "
                           "WHERE f.id = u.id "
                           "RETURNING f.state = " G_STRINGIFY (PG_FAILURE_FAILED_VALUE) " "
                           "AND f.settled_at = u.finished, u.finished",
                           &params, error);
      if (written == NULL)
        goto failed;
      for (int row = 0; row < PQntuples (written); row++)
        if (PQgetvalue (written, row, 0)[0] == 't')
          _orderly_outcome_tally_settled (&tally, orderly_pg_result_get_int64 (written, row, 1));
    }

  /* What was not attempted goes back to the queue. */
  if (claim->retry && rest > 0)
    {
      g_auto(OrderlyPgParams) params = { 0 };

      _orderly_pg_params_int (&params, claim->id);
      if (!tx_run (&tx, "retries_back",
                   "UPDATE failures SET state = " G_STRINGIFY (PG_FAILURE_DELAYED_VALUE) ", "
                   "state_at = " NOW_US ", claim_id = NULL WHERE claim_id = $1", &params, error))
        goto failed;
      tally.delayed += rest;
    }
  if (!claim->retry && rest > 0)
    {
      if (!give_back_rest (&tx, claim->id, claim->order_ids[n_outcomes], rest, error))
        goto failed;
    }
  else if (!delete_claim_row (&tx, claim->id, error))
    goto failed;

  if (tally.completed + tally.delayed + tally.failed > 0)
    {
      g_auto(OrderlyPgParams) params = { 0 };

      _orderly_pg_params_int (&params, claim->run_id);
      _orderly_pg_params_int (&params, priority);
      _orderly_pg_params_int (&params, shard);
      _orderly_pg_params_int (&params, tally.completed);
      _orderly_pg_params_int (&params, tally.delayed);
      _orderly_pg_params_int (&params, tally.failed);
      _orderly_pg_params_int (&params, tally.first_attempt_us);
      _orderly_pg_params_int (&params, tally.last_settled_us);
      if (!tx_run (&tx, "count_outcomes",
                   "UPDATE queue_counts SET completed = completed + $4::bigint, delayed = delayed + $5::bigint, "
                   "failed = failed + $6::bigint, first_attempt_at = CASE WHEN $7::bigint > 0 AND "
                   "(first_attempt_at = 0 OR $7::bigint < first_attempt_at) THEN $7::bigint "
                   "ELSE first_attempt_at END, last_settled_at = greatest (last_settled_at, $8::bigint) "
                   "WHERE run_id = $1 AND priority = $2 AND shard = $3", &params, error))
        goto failed;
    }
  if (tally.completed > 0)
    {
      g_autoptr(GString) bucket_ids = g_string_new ("{");
      g_autoptr(GString) bucket_counts = g_string_new ("{");
      g_auto(OrderlyPgParams) params = { 0 };

      for (guint b = 0; b < ORDERLY_WAIT_BUCKETS; b++)
        if (tally.waits[b] > 0)
          {
            _orderly_pg_array_int (bucket_ids, b);
            _orderly_pg_array_int (bucket_counts, tally.waits[b]);
          }
      _orderly_pg_array_end (bucket_ids);
      _orderly_pg_array_end (bucket_counts);
      _orderly_pg_params_int (&params, claim->run_id);
      _orderly_pg_params_int (&params, priority);
      _orderly_pg_params_int (&params, shard);
      _orderly_pg_params_take (&params, g_steal_pointer (&bucket_ids));
      _orderly_pg_params_take (&params, g_steal_pointer (&bucket_counts));
      if (!tx_run (&tx, "add_waits",
                   "INSERT INTO wait_histograms (run_id, priority, shard, bucket, count) "
                   "SELECT $1::bigint, $2::smallint, $3::smallint, b.bucket, b.count FROM unnest ($4::integer[], $5::bigint[]) "
                   "AS b (bucket, count) ON CONFLICT (run_id, priority, shard, bucket) "
                   "DO UPDATE SET count = wait_histograms.count + excluded.count", &params, error))
        goto failed;
    }
  /* A worker that goes on takes its next orders in the same transaction. */
  if (next != NULL && !claim_in (&tx, next, next_answer, error))
    goto failed;
  if (!tx_commit (&tx, error))
    {
      if (next_answer != NULL)
        orderly_claim_answer_clear (next_answer);
      return FALSE;
    }
  return TRUE;

failed:
  tx_end (&tx);
  return FALSE;
}

gboolean
_orderly_pg_release_claims (OrderlyPgStore  *self,
                            gint64           run_id,
                            gboolean         expired_only,
                            gint64           max_orders,
                            gint64          *released,
                            GError         **error)
{
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) held = NULL;
  g_autoptr(GString) ranges = g_string_new ("{");
  g_autoptr(GString) retries = g_string_new ("{");
  gint64 delayed[2] = { 0, 0 };
  gint64 total = 0;
  gint64 now;
  Tx tx;

  *released = 0;
  if (!tx_begin (self, &tx, error))
    return FALSE;
  now = _orderly_pg_now_us (tx.connection, error);
  if (now < 0)
    goto failed;
  _orderly_pg_params_int (&params, run_id);
  _orderly_pg_params_int (&params, expired_only ? now : G_MAXINT64);
  /* A claim being written right now is locked: it is not released. */
  held = tx_exec (&tx, "held_claims",
                  "SELECT id, priority, retry, n_orders FROM claims WHERE run_id = $1 "
                  "AND owner IS NOT NULL AND lease_until <= $2 ORDER BY id FOR UPDATE SKIP LOCKED",
                  &params, error);
  if (held == NULL)
    goto failed;
  for (int row = 0; row < PQntuples (held) && (max_orders == 0 || total < max_orders); row++)
    {
      gint64 n = orderly_pg_result_get_int64 (held, row, 3);

      if (PQgetvalue (held, row, 2)[0] == 't')
        {
          _orderly_pg_array_int (retries, orderly_pg_result_get_int64 (held, row, 0));
          delayed[orderly_pg_result_get_int64 (held, row, 1) == ORDERLY_PRIORITY_VIP ? 0 : 1] += n;
        }
      else
        {
          _orderly_pg_array_int (ranges, orderly_pg_result_get_int64 (held, row, 0));
        }
      total += n;
    }
  _orderly_pg_array_end (ranges);
  _orderly_pg_array_end (retries);
  if (ranges->len > 2)
    {
      g_auto(OrderlyPgParams) ids = { 0 };

      _orderly_pg_params_text (&ids, ranges->str);
      if (!tx_run (&tx, "give_back_claims",
                   "UPDATE claims SET owner = NULL, claimed_at = 0, lease_until = 0 "
                   "WHERE id = ANY ($1::bigint[])", &ids, error))
        goto failed;
    }
  if (retries->len > 2)
    {
      g_auto(OrderlyPgParams) ids = { 0 };

      _orderly_pg_params_text (&ids, retries->str);
      _orderly_pg_params_int (&ids, now);
      if (!tx_run (&tx, "release_retries",
                   "WITH moved AS (UPDATE failures SET state = " G_STRINGIFY (PG_FAILURE_DELAYED_VALUE) ", "
                   "state_at = $2, claim_id = NULL WHERE claim_id = ANY ($1::bigint[])) "
                   "DELETE FROM claims WHERE id = ANY ($1::bigint[])", &ids, error))
        goto failed;
    }
  for (guint p = 0; p < 2; p++)
    if (!add_delayed (&tx, run_id, p, 0, delayed[p], error))
      goto failed;
  if (!tx_commit (&tx, error))
    return FALSE;
  *released = total;
  return TRUE;

failed:
  tx_end (&tx);
  return FALSE;
}

gboolean
_orderly_pg_retry_failed (OrderlyPgStore  *self,
                          gint64           run_id,
                          gint64           max_orders,
                          gint64          *requeued,
                          GError         **error)
{
  gint64 total = 0;
  Tx tx;

  *requeued = 0;
  if (!tx_begin (self, &tx, error))
    return FALSE;
  for (guint p = 0; p < 2 && (max_orders == 0 || total < max_orders); p++)
    {
      g_auto(OrderlyPgParams) params = { 0 };
      g_auto(OrderlyPgParams) counted = { 0 };
      g_autoptr(PGresult) result = NULL;
      gint64 changed;

      _orderly_pg_params_int (&params, run_id);
      _orderly_pg_params_int (&params, p);
      _orderly_pg_params_int (&params, max_orders > 0 ? max_orders - total : G_MAXINT64);
      result = tx_exec (&tx, "requeue_failed",
                        "UPDATE failures SET state = " G_STRINGIFY (PG_FAILURE_WAITING_VALUE) ", "
                        "state_at = " NOW_US " WHERE id IN (SELECT id FROM failures "
                        "WHERE run_id = $1 AND priority = $2 AND state = " G_STRINGIFY (PG_FAILURE_FAILED_VALUE)
                        " ORDER BY state_at LIMIT $3 FOR UPDATE SKIP LOCKED)", &params, error);
      if (result == NULL)
        goto failed;
      changed = g_ascii_strtoll (PQcmdTuples (result), NULL, 10);
      if (changed == 0)
        continue;
      _orderly_pg_params_int (&counted, run_id);
      _orderly_pg_params_int (&counted, p);
      _orderly_pg_params_int (&counted, changed);
      if (!tx_run (&tx, "count_requeued",
                   "UPDATE queue_counts SET failed = failed - $3::bigint "
                   "WHERE run_id = $1 AND priority = $2 AND shard = 0", &counted, error))
        goto failed;
      total += changed;
    }
  if (!tx_commit (&tx, error))
    return FALSE;
  *requeued = total;
  return TRUE;

failed:
  tx_end (&tx);
  return FALSE;
}

/*
 * Completed orders are removed in id order, which is the order their
 * priority processed them in, and the scan stops at the first one settled
 * after the cutoff; failed ones go in the order they failed.
 */
gboolean
_orderly_pg_clean (OrderlyPgStore   *self,
                   gint64            run_id,
                   OrderlyJobState   state,
                   gint64            finished_before_us,
                   gint64            limit,
                   gint64           *removed,
                   GError          **error)
{
  gboolean completed = state == ORDERLY_JOB_STATE_COMPLETED;
  gint64 total = 0;
  Tx tx;

  *removed = 0;
  g_return_val_if_fail (completed || state == ORDERLY_JOB_STATE_FAILED, FALSE);
  if (!tx_begin (self, &tx, error))
    return FALSE;
  for (guint p = 0; p < 2 && total < limit; p++)
    {
      g_auto(OrderlyPgParams) params = { 0 };
      g_autoptr(PGresult) result = NULL;
      g_autofree char *name = stmt_name (completed ? "clean_completed" : "clean_failed", p);
      g_autofree char *sql = NULL;
      gint64 n;

      if (completed)
        sql = g_strdup_printf (
          "WITH picked AS (SELECT r.id FROM %s r JOIN %s o ON o.id = r.id WHERE o.run_id = $1 "
          "  AND r.id < coalesce ((SELECT min (r2.id) FROM %s r2 JOIN %s o2 ON o2.id = r2.id "
          "                        WHERE o2.run_id = $1 AND r2.processed_at >= $2), %" G_GINT64_FORMAT ") "
          "  ORDER BY r.id LIMIT $3), "
          "gone AS (DELETE FROM %s WHERE id IN (SELECT id FROM picked)) "
          "DELETE FROM %s WHERE id IN (SELECT id FROM picked)",
          results_table[p], orders_table[p], results_table[p], orders_table[p], G_MAXINT64,
          orders_table[p], results_table[p]);
      else
        sql = g_strdup_printf (
          "WITH picked AS (SELECT id FROM failures WHERE run_id = $1 AND priority = %u "
          "  AND state = " G_STRINGIFY (PG_FAILURE_FAILED_VALUE) " AND state_at < $2 "
          "  ORDER BY state_at LIMIT $3), "
          "gone AS (DELETE FROM %s WHERE id IN (SELECT id FROM picked)) "
          "DELETE FROM failures WHERE id IN (SELECT id FROM picked)", p, orders_table[p]);
      _orderly_pg_params_int (&params, run_id);
      _orderly_pg_params_int (&params, finished_before_us);
      _orderly_pg_params_int (&params, limit - total);
      result = tx_exec (&tx, name, sql, &params, error);
      if (result == NULL)
        goto failed;
      n = g_ascii_strtoll (PQcmdTuples (result), NULL, 10);
      if (n == 0)
        continue;
      {
        g_auto(OrderlyPgParams) counted = { 0 };

        _orderly_pg_params_int (&counted, run_id);
        _orderly_pg_params_int (&counted, p);
        _orderly_pg_params_int (&counted, n);
        if (!tx_run (&tx, completed ? "count_clean_completed" : "count_clean_failed",
                     completed
                     ? "UPDATE queue_counts SET completed = completed - $3::bigint, completed_removed = "
                       "completed_removed + $3::bigint WHERE run_id = $1 AND priority = $2 AND shard = 0"
                     : "UPDATE queue_counts SET failed = failed - $3::bigint, failed_removed = "
                       "failed_removed + $3::bigint WHERE run_id = $1 AND priority = $2 AND shard = 0",
                     &counted, error))
          goto failed;
      }
      total += n;
    }
  if (!tx_commit (&tx, error))
    return FALSE;
  *removed = total;
  return TRUE;

failed:
  tx_end (&tx);
  return FALSE;
}

/* Listings ------------------------------------------------------------- */

/* A page's backend is its transaction, on one snapshot. */
typedef OrderlyStorePage Page;

static void
read_order_data (Page           *page,
                 OrderlyJob     *job,
                 const PGresult *result,
                 int             row,
                 int             column)
{
  job->created_at_us = orderly_pg_result_get_int64 (result, row, column);
  if (!page->with_data)
    return;
  job->has_data = TRUE;
  job->customer = g_strdup (PQgetvalue (result, row, column + 1));
  job->amount_cents = orderly_pg_result_get_int64 (result, row, column + 2);
}

/* A range of a priority's table: the members of a claim given back or held. */
static gboolean
page_range (Page    *page,
            gint64   first_id,
            gint64   last_id,
            gint64   claimed_at,
            GError **error)
{
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) result = NULL;
  g_autofree char *name = stmt_name ("page_range", page->priority);
  g_autofree char *sql = g_strdup_printf ("SELECT id, created_at, customer, amount FROM %s "
                                          "WHERE id BETWEEN $1 AND $2 AND run_id = $3 ORDER BY id "
                                          "LIMIT $4 OFFSET $5", orders_table[page->priority]);

  _orderly_pg_params_int (&params, first_id);
  _orderly_pg_params_int (&params, last_id);
  _orderly_pg_params_int (&params, page->run_id);
  _orderly_pg_params_int (&params, page->limit);
  _orderly_pg_params_int (&params, page->offset);
  result = tx_exec (page->backend, name, sql, &params, error);
  if (result == NULL)
    return FALSE;
  for (int row = 0; row < PQntuples (result); row++)
    {
      OrderlyJob *job = _orderly_store_page_add (page, orderly_pg_result_get_int64 (result, row, 0));

      read_order_data (page, job, result, row, 1);
      job->processed_on_us = claimed_at;
    }
  page->offset = 0;
  return TRUE;
}

/* Failures rows in @state (or of claim @claim_id), with their order. */
static gboolean
page_failures (Page             *page,
               OrderlyJobState   state,
               gint64            claim_id,
               GError          **error)
{
  const char *order_by = _orderly_job_failures_order_by (state);
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) result = NULL;
  g_autofree char *name = g_strdup_printf ("page_failures_%d_%d_%d_%s", page->priority, state,
                                           claim_id > 0, order_by[strlen (order_by) - 1] == 'C' ? "d" : "a");
  g_autofree char *sql = g_strdup_printf ("SELECT f.id, f.attempts, f.state_at, f.last_attempt_at, f.reason, "
                                          "o.created_at, o.customer, o.amount FROM failures f "
                                          "JOIN %s o ON o.id = f.id WHERE %s ORDER BY %s LIMIT $2 OFFSET $3",
                                          orders_table[page->priority],
                                          claim_id > 0 ? "f.claim_id = $1"
                                                       : "f.run_id = $1 AND f.priority = $4 AND f.state = $5",
                                          order_by);

  _orderly_pg_params_int (&params, claim_id > 0 ? claim_id : page->run_id);
  _orderly_pg_params_int (&params, page->limit);
  _orderly_pg_params_int (&params, page->offset);
  if (claim_id <= 0)
    {
      _orderly_pg_params_int (&params, page->priority);
      _orderly_pg_params_int (&params, state);
    }
  result = tx_exec (page->backend, name, sql, &params, error);
  if (result == NULL)
    return FALSE;
  for (int row = 0; row < PQntuples (result); row++)
    {
      OrderlyJob *job = _orderly_store_page_add (page, orderly_pg_result_get_int64 (result, row, 0));
      gint64 state_at = orderly_pg_result_get_int64 (result, row, 2);

      job->attempts_made = (guint) orderly_pg_result_get_int64 (result, row, 1);
      job->failed_reason = g_strdup (PQgetvalue (result, row, 4));
      read_order_data (page, job, result, row, 5);
      _orderly_job_set_failure_times (job, state_at, orderly_pg_result_get_int64 (result, row, 3));
    }
  page->offset = 0;
  return TRUE;
}

/*
 * Claims rows, given back (@held FALSE, by first id) or held (by id): the
 * row the page starts in is found by a running sum over the rows, so a
 * page deep into a run reads what it shows and no more.
 */
static gboolean
page_claims (Page      *page,
             gboolean   held,
             GError   **error)
{
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) result = NULL;

  _orderly_pg_params_int (&params, page->run_id);
  _orderly_pg_params_int (&params, page->priority);
  _orderly_pg_params_int (&params, page->offset);
  result = tx_exec (page->backend, held ? "page_held" : "page_given_back",
                    held
                    ? "SELECT id, retry, first_id, last_id, n_orders, claimed_at, before FROM ("
                      "SELECT *, coalesce (sum (n_orders) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED "
                      "PRECEDING AND 1 PRECEDING), 0) AS before FROM claims WHERE run_id = $1 "
                      "AND priority = $2 AND owner IS NOT NULL) AS c "
                      "WHERE before + n_orders > $3 ORDER BY id LIMIT 1000"
                    : "SELECT id, retry, first_id, last_id, n_orders, claimed_at, before FROM ("
                      "SELECT *, coalesce (sum (n_orders) OVER (ORDER BY first_id ROWS BETWEEN UNBOUNDED "
                      "PRECEDING AND 1 PRECEDING), 0) AS before FROM claims WHERE run_id = $1 "
                      "AND priority = $2 AND owner IS NULL) AS c "
                      "WHERE before + n_orders > $3 ORDER BY first_id LIMIT 1000",
                    &params, error);
  if (result == NULL)
    return FALSE;
  for (int row = 0; row < PQntuples (result) && page->limit > 0; row++)
    {
      gint64 before = orderly_pg_result_get_int64 (result, row, 6);
      gboolean ok;

      if (row == 0)
        page->offset = MAX (page->offset - before, 0);
      if (PQgetvalue (result, row, 1)[0] == 't')
        ok = page_failures (page, PG_FAILURE_ACTIVE, orderly_pg_result_get_int64 (result, row, 0), error);
      else
        ok = page_range (page, orderly_pg_result_get_int64 (result, row, 2),
                         orderly_pg_result_get_int64 (result, row, 3),
                         held ? orderly_pg_result_get_int64 (result, row, 5) : 0, error);
      if (!ok)
        return FALSE;
    }
  if (PQntuples (result) == 0)
    {
      /* Everything was skipped: what is left to skip is past these rows. */
      g_auto(OrderlyPgParams) total_params = { 0 };
      g_autoptr(PGresult) total = NULL;

      _orderly_pg_params_int (&total_params, page->run_id);
      _orderly_pg_params_int (&total_params, page->priority);
      total = tx_exec (page->backend, held ? "count_held" : "count_given_back",
                       held ? "SELECT coalesce (sum (n_orders), 0) FROM claims WHERE run_id = $1 "
                              "AND priority = $2 AND owner IS NOT NULL"
                            : "SELECT coalesce (sum (n_orders), 0) FROM claims WHERE run_id = $1 "
                              "AND priority = $2 AND owner IS NULL", &total_params, error);
      if (total == NULL)
        return FALSE;
      page->offset = MAX (page->offset - orderly_pg_result_get_int64 (total, 0, 0), 0);
    }
  return TRUE;
}

static gboolean
page_waiting (Page      *page,
              gpointer   user_data,
              GError   **error)
{
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) requeued = NULL;
  gint64 n;

  /* Requeued failed orders first, as claims take them, then orders given
   * back (fresh ones among them). */
  _orderly_pg_params_int (&params, page->run_id);
  _orderly_pg_params_int (&params, page->priority);
  requeued = tx_exec (page->backend, "page_count_requeued",
                      "SELECT count(*) FROM failures WHERE run_id = $1 AND priority = $2 "
                      "AND state = " G_STRINGIFY (PG_FAILURE_WAITING_VALUE), &params, error);
  if (requeued == NULL)
    return FALSE;
  n = orderly_pg_result_get_int64 (requeued, 0, 0);
  if (page->offset >= n)
    page->offset -= n;
  else if (!page_failures (page, PG_FAILURE_WAITING, 0, error))
    return FALSE;
  if (page->limit == 0)
    return TRUE;
  return page_claims (page, FALSE, error);
}

static gboolean
page_active (Page      *page,
             gpointer   user_data,
             GError   **error)
{
  return page_claims (page, TRUE, error);
}

static gboolean
page_completed (Page      *page,
                gpointer   user_data,
                GError   **error)
{
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) result = NULL;
  g_autofree char *name = stmt_name ("page_completed", page->priority);
  g_autofree char *sql = g_strdup_printf ("SELECT r.id, r.processed_at, r.attempts, r.worker, r.observations, "
                                          "o.created_at, o.customer, o.amount FROM %s r JOIN %s o ON o.id = r.id "
                                          "WHERE o.run_id = $1 ORDER BY r.id DESC LIMIT $2 OFFSET $3",
                                          results_table[page->priority], orders_table[page->priority]);

  _orderly_pg_params_int (&params, page->run_id);
  _orderly_pg_params_int (&params, page->limit);
  _orderly_pg_params_int (&params, page->offset);
  result = tx_exec (page->backend, name, sql, &params, error);
  if (result == NULL)
    return FALSE;
  for (int row = 0; row < PQntuples (result); row++)
    {
      OrderlyJob *job = _orderly_store_page_add (page, orderly_pg_result_get_int64 (result, row, 0));

      job->processed_on_us = job->finished_on_us = orderly_pg_result_get_int64 (result, row, 1);
      job->attempts_made = (guint) orderly_pg_result_get_int64 (result, row, 2);
      job->worker_id = (guint) orderly_pg_result_get_int64 (result, row, 3);
      read_order_data (page, job, result, row, 5);
      if (page->with_data)
        job->observations = g_strdup (PQgetvalue (result, row, 4));
    }
  page->offset = 0;
  return TRUE;
}

static const OrderlyStorePageFuncs page_funcs = {
  .waiting = page_waiting,
  .active = page_active,
  .completed = page_completed,
  .failures = page_failures,
};

GPtrArray *
_orderly_pg_list_jobs (OrderlyPgStore   *self,
                       gint64            run_id,
                       OrderlyJobState   state,
                       gint64            offset,
                       guint             limit,
                       gboolean          with_data,
                       GError          **error)
{
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) orderly_job_free);
  OrderlyOrderCounts counts;
  gboolean found;
  Tx tx;
  Page page = { &tx, run_id, ORDERLY_PRIORITY_VIP, state, with_data, offset, limit, jobs };

  /* One snapshot, so the counts and the rows agree. */
  if (!tx_begin (self, &tx, error))
    return NULL;
  if (!orderly_pg_connection_run (tx.connection, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, "
                                  "READ ONLY", error) ||
      !read_counts (tx.connection, run_id, &counts, &found, error))
    goto failed;
  if (found && !_orderly_store_page_fill (&page, &counts, &page_funcs, NULL, error))
    goto failed;
  tx_end (&tx);
  return g_steal_pointer (&jobs);

failed:
  tx_end (&tx);
  return NULL;
}

gboolean
_orderly_pg_get_wait_histogram (OrderlyPgStore        *self,
                                gint64                 run_id,
                                OrderlyPriority        priority,
                                OrderlyWaitHistogram  *histogram,
                                GError               **error)
{
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) result = NULL;

  _orderly_pg_params_int (&params, run_id);
  _orderly_pg_params_int (&params, priority);
  result = _orderly_pg_store_exec (self, "wait_histogram",
                                   "SELECT bucket, sum (count) FROM wait_histograms WHERE run_id = $1 "
                                   "AND priority = $2 GROUP BY bucket", &params, error);
  if (result == NULL)
    return FALSE;
  for (int row = 0; row < PQntuples (result); row++)
    {
      gint64 bucket = orderly_pg_result_get_int64 (result, row, 0);
      gint64 count = orderly_pg_result_get_int64 (result, row, 1);

      if (bucket >= 0 && bucket < ORDERLY_WAIT_BUCKETS && count > 0)
        {
          histogram->counts[bucket] += count;
          histogram->total += count;
        }
    }
  return TRUE;
}

gboolean
_orderly_pg_verify_run (OrderlyPgStore   *self,
                        gint64            run_id,
                        OrderlyRunCheck  *check,
                        GError          **error)
{
  g_auto(OrderlyPgParams) params = { 0 };
  g_autoptr(PGresult) result = NULL;

  _orderly_pg_params_int (&params, run_id);
  result = _orderly_pg_store_exec (
    self, "verify_run",
    /* One pass over each orders table joined to its results, as on
     * SQLite; orphans are the results no order reached. */
    "SELECT v.orders + n.orders, v.processed + n.processed,"
    " (SELECT count(*) FROM failures WHERE run_id = $1 AND state = " G_STRINGIFY (PG_FAILURE_FAILED_VALUE) "),"
    " (SELECT count(*) FROM vip_results) - v.owned + (SELECT count(*) FROM normal_results) - n.owned +"
    " (SELECT count(*) FROM failures f WHERE f.run_id = $1 AND (EXISTS (SELECT 1 FROM vip_results r WHERE r.id = f.id)"
    "   OR EXISTS (SELECT 1 FROM normal_results r WHERE r.id = f.id))) +"
    " (SELECT count(*) FROM vip_orders v JOIN normal_orders n ON n.id = v.id),"
    " greatest (coalesce (v.last_settled, 0),"
    "           coalesce ((SELECT max (settled_at) FROM failures WHERE run_id = $1 AND priority = 0), 0)),"
    " coalesce (least (n.first_attempt,"
    "                  (SELECT min (first_attempt_at) FROM failures WHERE run_id = $1 AND priority = 1)), 0)"
    " FROM"
    " (SELECT count(*) FILTER (WHERE o.run_id = $1) AS orders, count(r.id) FILTER (WHERE o.run_id = $1) AS processed,"
    "   count(r.id) AS owned, max (coalesce (r.settled_at, r.processed_at)) FILTER (WHERE o.run_id = $1) AS last_settled"
    "  FROM vip_orders o LEFT JOIN vip_results r ON r.id = o.id) v,"
    " (SELECT count(*) FILTER (WHERE o.run_id = $1) AS orders, count(r.id) FILTER (WHERE o.run_id = $1) AS processed,"
    "   count(r.id) AS owned, min (coalesce (r.first_attempt_at, r.processed_at)) FILTER (WHERE o.run_id = $1) AS first_attempt"
    "  FROM normal_orders o LEFT JOIN normal_results r ON r.id = o.id) n",
    &params, error);
  if (result == NULL)
    return FALSE;
  check->orders = orderly_pg_result_get_int64 (result, 0, 0);
  check->processed = orderly_pg_result_get_int64 (result, 0, 1);
  check->failed = orderly_pg_result_get_int64 (result, 0, 2);
  check->conflicts = orderly_pg_result_get_int64 (result, 0, 3);
  check->vip_last_settled_us = orderly_pg_result_get_int64 (result, 0, 4);
  check->normal_first_attempt_us = orderly_pg_result_get_int64 (result, 0, 5);
  check->unsettled = MAX (check->orders - check->processed - check->failed, 0);
  return TRUE;
}
