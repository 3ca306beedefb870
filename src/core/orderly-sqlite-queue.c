/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-store"

#include "config.h"

#include <stdlib.h>

#include "orderly-sqlite-store-private.h"

/*
 * The queue of the SQLite backend: orders, claims, counters and listings,
 * over the tables that schema version 3 describes. Every function here runs
 * with the store's lock held (see the LOCKED wrappers in
 * orderly-sqlite-store.c) and is one transaction.
 */

static const char * const orders_table[] = { "vip_orders", "normal_orders" };
static const char * const results_table[] = { "vip_results", "normal_results" };

static sqlite3_stmt *
prepare_printf (OrderlySqliteConn   *self,
                GError             **error,
                const char          *format,
                ...) G_GNUC_PRINTF (3, 4);

static sqlite3_stmt *
prepare_printf (OrderlySqliteConn   *self,
                GError             **error,
                const char          *format,
                ...)
{
  g_autofree char *sql = NULL;
  va_list args;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  return _orderly_sqlite_prepare (self, sql, error);
}

/* One row of a batch: on failure the whole transaction is rolled back. */
static gboolean
step_in_batch (OrderlySqliteConn   *self,
               sqlite3_stmt        *statement,
               GError             **error)
{
  if (!_orderly_sqlite_step_done (self, statement, error))
    {
      _orderly_sqlite_rollback (self);
      return FALSE;
    }
  return TRUE;
}

gboolean
_orderly_sqlite_insert_orders (OrderlySqliteConn   *self,
                               const OrderlyOrder  *orders,
                               guint                n_orders,
                               GError             **error)
{
  sqlite3_stmt *insert[2] = { self->stmts[STMT_INSERT_VIP_ORDER],
                              self->stmts[STMT_INSERT_NORMAL_ORDER] };
  gint64 counted[2] = { 0, 0 };
  gint64 run_id = orders[0].run_id;

  if (!_orderly_sqlite_begin (self, error))
    return FALSE;
  for (guint i = 0; i < n_orders; i++)
    {
      const OrderlyOrder *order = &orders[i];
      sqlite3_stmt *s = insert[order->priority == ORDERLY_PRIORITY_VIP ? 0 : 1];

      g_assert (order->run_id == run_id);
      sqlite3_bind_int64 (s, 1, order->id);
      sqlite3_bind_int64 (s, 2, order->run_id);
      sqlite3_bind_text (s, 3, order->customer, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (s, 4, order->amount_cents);
      sqlite3_bind_int64 (s, 5, order->created_at_us);
      if (!step_in_batch (self, s, error))
        return FALSE;
      counted[order->priority == ORDERLY_PRIORITY_VIP ? 0 : 1]++;
    }
  for (guint p = 0; p < 2; p++)
    {
      sqlite3_stmt *s;

      if (counted[p] == 0)
        continue;
      s = _orderly_sqlite_stmt (self, STMT_COUNT_GENERATED);
      sqlite3_bind_int64 (s, 1, run_id);
      sqlite3_bind_int (s, 2, p);
      sqlite3_bind_int64 (s, 3, counted[p]);
      if (!step_in_batch (self, s, error))
        return FALSE;
    }
  return _orderly_sqlite_commit (self, error);
}

/* Reads the counters; @found says whether the run has any. */
static gboolean
read_counts (OrderlySqliteConn   *self,
             gint64               run_id,
             OrderlyOrderCounts  *counts,
             gint64              *next_id,
             gboolean            *found,
             GError             **error)
{
  sqlite3_stmt *s;
  int rc;

  memset (counts, 0, sizeof *counts);
  *found = FALSE;
  s = _orderly_sqlite_stmt (self, STMT_READ_COUNTS);
  sqlite3_bind_int64 (s, 1, run_id);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      int p = sqlite3_column_int (s, 0) == ORDERLY_PRIORITY_VIP ? 0 : 1;
      OrderlyPriorityCounts *c = &counts->priority[p];

      c->generated = sqlite3_column_int64 (s, 1);
      c->delayed = sqlite3_column_int64 (s, 2);
      c->completed = sqlite3_column_int64 (s, 3);
      c->failed = sqlite3_column_int64 (s, 4);
      c->completed_removed = sqlite3_column_int64 (s, 5);
      c->failed_removed = sqlite3_column_int64 (s, 6);
      c->first_attempt_us = sqlite3_column_int64 (s, 7);
      c->last_settled_us = sqlite3_column_int64 (s, 8);
      if (next_id != NULL)
        next_id[p] = sqlite3_column_int64 (s, 9);
      *found = TRUE;
    }
  if (!_orderly_sqlite_reset_rows (self, s, rc, error))
    return FALSE;

  s = _orderly_sqlite_stmt (self, STMT_ACTIVE_COUNTS);
  sqlite3_bind_int64 (s, 1, run_id);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    counts->priority[sqlite3_column_int (s, 0) == ORDERLY_PRIORITY_VIP ? 0 : 1].active =
      sqlite3_column_int64 (s, 1);
  if (!_orderly_sqlite_reset_rows (self, s, rc, error))
    return FALSE;

  for (guint p = 0; p < 2; p++)
    counts->priority[p].waiting = _orderly_priority_counts_waiting (&counts->priority[p]);
  return TRUE;
}

gboolean
_orderly_sqlite_count_orders (OrderlySqliteConn   *self,
                              gint64               run_id,
                              OrderlyOrderCounts  *counts,
                              GError             **error)
{
  gboolean found;

  return read_counts (self, run_id, counts, NULL, &found, error);
}

/* Reads fresh orders into @claim from a statement whose columns are
 * (id, created_at). */
static gboolean
read_fresh (OrderlySqliteConn   *self,
            sqlite3_stmt        *s,
            OrderlyClaim        *claim,
            GError             **error)
{
  guint allocated = claim->n_orders;
  int rc;

  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    _orderly_claim_append (claim, sqlite3_column_int64 (s, 0), sqlite3_column_int64 (s, 1), 0, &allocated);
  return _orderly_sqlite_reset_rows (self, s, rc, error);
}

static gboolean
read_range (OrderlySqliteConn   *self,
            OrderlyClaim        *claim,
            gint64               first_id,
            gint64               last_id,
            guint                limit,
            GError             **error)
{
  sqlite3_stmt *s = _orderly_sqlite_stmt (self, claim->priority == ORDERLY_PRIORITY_VIP
                                                ? STMT_RANGE_VIP : STMT_RANGE_NORMAL);

  sqlite3_bind_int64 (s, 1, first_id);
  sqlite3_bind_int64 (s, 2, last_id);
  sqlite3_bind_int64 (s, 3, limit);
  return read_fresh (self, s, claim, error);
}

/* Reserves the first @limit orders from @first_id to @last_id for @claim,
 * without reading them: orderly_store_load_claim() does. */
static gboolean
reserve_range (OrderlySqliteConn   *self,
               OrderlyClaim        *claim,
               gint64               first_id,
               gint64               last_id,
               guint                limit,
               GError             **error)
{
  gboolean vip = claim->priority == ORDERLY_PRIORITY_VIP;
  sqlite3_stmt *s = _orderly_sqlite_stmt (self, vip ? STMT_NTH_VIP : STMT_NTH_NORMAL);
  gint64 n_orders = limit;
  int rc;

  sqlite3_bind_int64 (s, 1, first_id);
  sqlite3_bind_int64 (s, 2, last_id);
  sqlite3_bind_int64 (s, 3, limit - 1);
  rc = sqlite3_step (s);
  if (rc == SQLITE_ROW)
    {
      last_id = sqlite3_column_int64 (s, 0);
      rc = SQLITE_DONE;
    }
  else if (rc == SQLITE_DONE)
    {
      sqlite3_reset (s);
      s = _orderly_sqlite_stmt (self, vip ? STMT_TAIL_VIP : STMT_TAIL_NORMAL);
      sqlite3_bind_int64 (s, 1, first_id);
      sqlite3_bind_int64 (s, 2, last_id);
      rc = sqlite3_step (s);
      if (rc == SQLITE_ROW)
        {
          n_orders = sqlite3_column_int64 (s, 0);
          last_id = sqlite3_column_int64 (s, 1);
          rc = SQLITE_DONE;
        }
    }
  if (!_orderly_sqlite_reset_rows (self, s, rc, error))
    return FALSE;
  if (n_orders > 0)
    {
      claim->n_orders = (guint) n_orders;
      claim->first_id = first_id;
      claim->last_id = last_id;
      claim->members_pending = TRUE;
    }
  return TRUE;
}

gboolean
_orderly_sqlite_load_claim (OrderlySqliteConn   *self,
                            OrderlyClaim        *claim,
                            GError             **error)
{
  guint n_orders = claim->n_orders;

  claim->n_orders = 0;
  if (!read_range (self, claim, claim->first_id, claim->last_id, n_orders, error))
    {
      claim->n_orders = n_orders;
      return FALSE;
    }
  if (claim->n_orders != n_orders)
    {
      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_CORRUPT,
                   "Claim %" G_GINT64_FORMAT " holds %u orders, of which %u are stored",
                   claim->id, n_orders, claim->n_orders);
      claim->n_orders = n_orders;
      return FALSE;
    }
  claim->members_pending = FALSE;
  return TRUE;
}

/* Members of a retry claim: its failures rows, in id order. */
static gboolean
read_retry_members (OrderlySqliteConn   *self,
                    OrderlyClaim        *claim,
                    gint64               claim_id,
                    GError             **error)
{
  sqlite3_stmt *s;
  guint allocated = claim->n_orders;
  int rc;

  s = prepare_printf (self, error,
                      "SELECT f.id, o.created_at, f.attempts FROM failures f JOIN %s o ON o.id = f.id "
                      "WHERE f.claim_id = ?1 ORDER BY f.id", orders_table[claim->priority]);
  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, claim_id);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    _orderly_claim_append (claim, sqlite3_column_int64 (s, 0), sqlite3_column_int64 (s, 1),
                           (guint) sqlite3_column_int (s, 2), &allocated);
  return _orderly_sqlite_finish_rows (self, s, rc, error);
}

static gboolean
insert_claim_row (OrderlySqliteConn   *self,
                  OrderlyClaim        *claim,
                  GError             **error)
{
  sqlite3_stmt *s = _orderly_sqlite_stmt (self, STMT_INSERT_CLAIM);

  if (!claim->members_pending)
    {
      claim->first_id = claim->order_ids[0];
      claim->last_id = claim->order_ids[claim->n_orders - 1];
    }
  sqlite3_bind_int64 (s, 1, claim->run_id);
  sqlite3_bind_int (s, 2, claim->priority);
  sqlite3_bind_int (s, 3, claim->retry);
  sqlite3_bind_int64 (s, 4, claim->first_id);
  sqlite3_bind_int64 (s, 5, claim->last_id);
  sqlite3_bind_int64 (s, 6, claim->n_orders);
  sqlite3_bind_text (s, 7, claim->owner, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 8, claim->claimed_at_us);
  sqlite3_bind_int64 (s, 9, claim->lease_until_us);
  if (!_orderly_sqlite_step_done (self, s, error))
    return FALSE;
  claim->id = sqlite3_last_insert_rowid (self->db);
  return TRUE;
}

static gboolean
exec_printf (OrderlySqliteConn   *self,
             GError             **error,
             const char          *format,
             ...) G_GNUC_PRINTF (3, 4);

static gboolean
exec_printf (OrderlySqliteConn   *self,
             GError             **error,
             const char          *format,
             ...)
{
  g_autofree char *sql = NULL;
  va_list args;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  return _orderly_sqlite_exec (self, sql, error);
}

/*
 * A claim that was given back (no owner) or whose lease ran out, taken over
 * under a new id, so that a late writer of the old one finds nothing. A
 * range larger than @max_orders is split: the rest stays given back.
 */
static gboolean
take_over (OrderlySqliteConn   *self,
           OrderlyClaim        *claim,
           gint64               old_id,
           gint64               first_id,
           gint64               last_id,
           gint64               n_orders,
           guint                max_orders,
           gboolean             load_later,
           GError             **error)
{
  if (claim->retry)
    {
      if (!read_retry_members (self, claim, old_id, error))
        return FALSE;
      if (claim->n_orders == 0)
        return exec_printf (self, error, "DELETE FROM claims WHERE id = %" G_GINT64_FORMAT, old_id);
      return insert_claim_row (self, claim, error) &&
             exec_printf (self, error,
                          "UPDATE failures SET claim_id = %" G_GINT64_FORMAT ", state_at = %"
                          G_GINT64_FORMAT " WHERE claim_id = %" G_GINT64_FORMAT ";"
                          "DELETE FROM claims WHERE id = %" G_GINT64_FORMAT,
                          claim->id, claim->claimed_at_us, old_id, old_id);
    }

  if (!(load_later ? reserve_range (self, claim, first_id, last_id, max_orders, error)
                   : read_range (self, claim, first_id, last_id, max_orders, error)))
    return FALSE;
  if (claim->n_orders == 0)
    return exec_printf (self, error, "DELETE FROM claims WHERE id = %" G_GINT64_FORMAT, old_id);
  if (!insert_claim_row (self, claim, error))
    return FALSE;
  if ((gint64) claim->n_orders < n_orders && claim->last_id < last_id)
    return exec_printf (self, error,
                        "UPDATE claims SET first_id = %" G_GINT64_FORMAT ", n_orders = %" G_GINT64_FORMAT
                        ", owner = NULL, claimed_at = 0, lease_until = 0 WHERE id = %" G_GINT64_FORMAT,
                        claim->last_id + 1, n_orders - claim->n_orders, old_id);
  return exec_printf (self, error, "DELETE FROM claims WHERE id = %" G_GINT64_FORMAT, old_id);
}

static gboolean
claim_given_back (OrderlySqliteConn   *self,
                  OrderlyClaim        *claim,
                  guint                max_orders,
                  gboolean             load_later,
                  gboolean            *taken,
                  GError             **error)
{
  sqlite3_stmt *s = _orderly_sqlite_stmt (self, STMT_GIVEN_BACK);
  gint64 old_id = 0, first_id = 0, last_id = 0, n_orders = 0;
  int rc;

  *taken = FALSE;
  sqlite3_bind_int64 (s, 1, claim->run_id);
  sqlite3_bind_int (s, 2, claim->priority);
  sqlite3_bind_int64 (s, 3, claim->claimed_at_us);
  rc = sqlite3_step (s);
  if (rc == SQLITE_ROW)
    {
      old_id = sqlite3_column_int64 (s, 0);
      claim->retry = sqlite3_column_int (s, 1) != 0;
      first_id = sqlite3_column_int64 (s, 2);
      last_id = sqlite3_column_int64 (s, 3);
      n_orders = sqlite3_column_int64 (s, 4);
      rc = SQLITE_DONE;
    }
  if (!_orderly_sqlite_reset_rows (self, s, rc, error))
    return FALSE;
  if (old_id == 0)
    return TRUE;
  if (!take_over (self, claim, old_id, first_id, last_id, n_orders, max_orders, load_later, error))
    return FALSE;
  *taken = claim->n_orders > 0;
  return TRUE;
}

/* Failed orders due again: requeued ones first, then delayed ones whose
 * time has come, soonest first. */
static gboolean
claim_retries (OrderlySqliteConn   *self,
               OrderlyClaim        *claim,
               guint                max_orders,
               gboolean            *taken,
               GError             **error)
{
  static const int states[] = { FAILURE_WAITING, FAILURE_DELAYED };
  guint allocated = 0;
  guint from_delayed = 0;
  sqlite3_stmt *s;

  *taken = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (states) && claim->n_orders < max_orders; i++)
    {
      guint before = claim->n_orders;
      int rc;

      s = _orderly_sqlite_stmt (self, claim->priority == ORDERLY_PRIORITY_VIP
                                      ? STMT_RETRIES_VIP : STMT_RETRIES_NORMAL);
      sqlite3_bind_int64 (s, 1, claim->run_id);
      sqlite3_bind_int (s, 2, states[i]);
      sqlite3_bind_int64 (s, 3, states[i] == FAILURE_WAITING ? G_MAXINT64 : claim->claimed_at_us);
      sqlite3_bind_int64 (s, 4, max_orders - claim->n_orders);
      while ((rc = sqlite3_step (s)) == SQLITE_ROW)
        _orderly_claim_append (claim, sqlite3_column_int64 (s, 0), sqlite3_column_int64 (s, 1),
                               (guint) sqlite3_column_int (s, 2), &allocated);
      if (!_orderly_sqlite_reset_rows (self, s, rc, error))
        return FALSE;
      if (states[i] == FAILURE_DELAYED)
        from_delayed = claim->n_orders - before;
    }
  if (claim->n_orders == 0)
    return TRUE;

  _orderly_claim_sort_members (claim);
  if (!insert_claim_row (self, claim, error))
    return FALSE;
  for (guint i = 0; i < claim->n_orders; i++)
    {
      s = _orderly_sqlite_stmt (self, STMT_MARK_RETRY);
      sqlite3_bind_int64 (s, 1, claim->order_ids[i]);
      sqlite3_bind_int (s, 2, FAILURE_ACTIVE);
      sqlite3_bind_int64 (s, 3, claim->claimed_at_us);
      sqlite3_bind_int64 (s, 4, claim->id);
      if (!_orderly_sqlite_step_done (self, s, error))
        return FALSE;
    }
  if (from_delayed > 0 &&
      !exec_printf (self, error,
                    "UPDATE queue_counts SET delayed = delayed - %u WHERE run_id = %" G_GINT64_FORMAT
                    " AND priority = %d", from_delayed, claim->run_id, claim->priority))
    return FALSE;
  *taken = TRUE;
  return TRUE;
}

static gboolean
claim_fresh (OrderlySqliteConn   *self,
             OrderlyClaim        *claim,
             gint64               next_id,
             guint                max_orders,
             gboolean             load_later,
             gboolean            *taken,
             GError             **error)
{
  sqlite3_stmt *s;

  *taken = FALSE;
  if (load_later)
    {
      if (!reserve_range (self, claim, next_id, G_MAXINT64, max_orders, error))
        return FALSE;
    }
  else
    {
      s = _orderly_sqlite_stmt (self, claim->priority == ORDERLY_PRIORITY_VIP
                                      ? STMT_FRESH_VIP : STMT_FRESH_NORMAL);
      sqlite3_bind_int64 (s, 1, next_id);
      sqlite3_bind_int64 (s, 2, max_orders);
      if (!read_fresh (self, s, claim, error))
        return FALSE;
    }
  if (claim->n_orders == 0)
    return TRUE;
  if (!insert_claim_row (self, claim, error))
    return FALSE;
  s = _orderly_sqlite_stmt (self, STMT_SET_NEXT_ID);
  sqlite3_bind_int64 (s, 1, claim->run_id);
  sqlite3_bind_int (s, 2, claim->priority);
  sqlite3_bind_int64 (s, 3, claim->last_id + 1);
  if (!_orderly_sqlite_step_done (self, s, error))
    return FALSE;
  *taken = TRUE;
  return TRUE;
}

/* How long until something of @priority may be claimable: the soonest due
 * retry or lease end. */
static gint64
wait_hint (OrderlySqliteConn  *self,
           gint64              run_id,
           OrderlyPriority     priority,
           gint64              now)
{
  g_autofree char *sql = NULL;
  gint64 soonest;

  sql = g_strdup_printf ("SELECT min (at) FROM ("
                         "SELECT min (state_at) AS at FROM failures WHERE run_id = %" G_GINT64_FORMAT
                         " AND priority = %d AND state = %d UNION ALL "
                         "SELECT min (lease_until) FROM claims WHERE run_id = %" G_GINT64_FORMAT
                         " AND priority = %d AND owner IS NOT NULL)",
                         run_id, priority, FAILURE_DELAYED, run_id, priority);
  soonest = _orderly_sqlite_query_int (self, sql, NULL);
  return soonest > now ? soonest - now : 0;
}

/* Claims inside the caller's transaction; a claim that takes nothing
 * writes nothing. */
static gboolean
claim_in_transaction (OrderlySqliteConn          *self,
                      const OrderlyClaimRequest  *request,
                      gint64                      now,
                      OrderlyClaimAnswer         *answer,
                      GError                    **error)
{
  g_autoptr(OrderlyClaim) claim = NULL;
  OrderlyOrderCounts counts;
  gint64 next_id[2] = { 0, 0 };
  guint max_orders = MIN (request->max_orders, ORDERLY_MAX_CLAIM);
  gboolean found, taken = FALSE;
  int p = request->priority == ORDERLY_PRIORITY_VIP ? 0 : 1;

  memset (answer, 0, sizeof *answer);
  if (!read_counts (self, request->run_id, &counts, next_id, &found, error))
    return FALSE;
  if (request->priority == ORDERLY_PRIORITY_NORMAL &&
      ORDERLY_COUNTS_UNSETTLED (&counts.priority[ORDERLY_PRIORITY_VIP]) > 0)
    {
      answer->result = ORDERLY_CLAIM_BLOCKED;
      return TRUE;
    }

  claim = _orderly_claim_new_for (request, now);
  if (found)
    {
      if (!claim_given_back (self, claim, max_orders, request->load_later, &taken, error))
        return FALSE;
      if (!taken)
        {
          claim->retry = TRUE;
          if (!claim_retries (self, claim, max_orders, &taken, error))
            return FALSE;
        }
      if (!taken)
        {
          claim->retry = FALSE;
          if (!claim_fresh (self, claim, next_id[p], max_orders, request->load_later, &taken, error))
            return FALSE;
        }
    }

  if (taken)
    {
      answer->result = ORDERLY_CLAIM_TAKEN;
      answer->claim = g_steal_pointer (&claim);
    }
  else if (found && ORDERLY_COUNTS_UNSETTLED (&counts.priority[p]) > 0)
    {
      answer->result = ORDERLY_CLAIM_LATER;
      answer->wait_us = wait_hint (self, request->run_id, request->priority, now);
    }
  else
    answer->result = ORDERLY_CLAIM_DRAINED;
  return TRUE;
}

gboolean
_orderly_sqlite_claim (OrderlySqliteConn          *self,
                       const OrderlyClaimRequest  *request,
                       OrderlyClaimAnswer         *answer,
                       GError                    **error)
{
  if (!_orderly_sqlite_begin (self, error))
    return FALSE;
  if (!claim_in_transaction (self, request, g_get_real_time (), answer, error))
    {
      _orderly_sqlite_rollback (self);
      return FALSE;
    }
  if (answer->result != ORDERLY_CLAIM_TAKEN)
    {
      _orderly_sqlite_rollback (self);
      return TRUE;
    }
  if (!_orderly_sqlite_commit (self, error))
    {
      orderly_claim_answer_clear (answer);
      return FALSE;
    }
  return TRUE;
}

gboolean
_orderly_sqlite_renew_claim (OrderlySqliteConn   *self,
                             OrderlyClaim        *claim,
                             gint64               lease_ms,
                             GError             **error)
{
  gint64 now = g_get_real_time ();
  sqlite3_stmt *s;

  s = _orderly_sqlite_prepare (self,
                               "UPDATE claims SET lease_until = ?3 WHERE id = ?1 AND owner = ?2 "
                               "AND lease_until > ?4", error);
  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, claim->id);
  sqlite3_bind_text (s, 2, claim->owner, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 3, now + lease_ms * 1000);
  sqlite3_bind_int64 (s, 4, now);
  if (!_orderly_sqlite_step_done (self, s, error))
    {
      sqlite3_finalize (s);
      return FALSE;
    }
  sqlite3_finalize (s);
  if (sqlite3_changes (self->db) != 1)
    {
      _orderly_claim_set_lease_error (claim, error);
      return FALSE;
    }
  claim->lease_until_us = now + lease_ms * 1000;
  return TRUE;
}

/*
 * Ends @claim's row, first thing in the transaction that writes its
 * outcomes: deleted, or for a fresh claim with @rest orders not attempted,
 * given back holding those from @first_rest on. Only the claim as it was
 * taken (same id, owner, time and size) under a live lease matches; anything
 * else is refused, before a single outcome is written.
 */
static gboolean
end_claim_row (OrderlySqliteConn   *self,
               const OrderlyClaim  *claim,
               gint64               now,
               guint                rest,
               gint64               first_rest,
               GError             **error)
{
  gboolean give_back = !claim->retry && rest > 0;
  sqlite3_stmt *s = _orderly_sqlite_stmt (self, give_back ? STMT_GIVE_BACK_REST : STMT_END_CLAIM);

  sqlite3_bind_int64 (s, 1, claim->id);
  sqlite3_bind_text (s, 2, claim->owner, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 3, claim->claimed_at_us);
  sqlite3_bind_int64 (s, 4, claim->n_orders);
  sqlite3_bind_int64 (s, 5, now);
  if (give_back)
    {
      sqlite3_bind_int64 (s, 6, first_rest);
      sqlite3_bind_int64 (s, 7, rest);
    }
  if (!_orderly_sqlite_step_done (self, s, error))
    return FALSE;
  if (sqlite3_changes (self->db) != 1)
    {
      _orderly_claim_set_lease_error (claim, error);
      return FALSE;
    }
  return TRUE;
}

/* Ends a retry claim's failures row on success: returns when the order's
 * first attempt ended, and when it first failed for good (0: never). */
static gboolean
remove_failure (OrderlySqliteConn   *self,
                gint64               id,
                gint64              *first_attempt_at,
                gint64              *settled_at,
                GError             **error)
{
  sqlite3_stmt *s = _orderly_sqlite_stmt (self, STMT_DELETE_FAILURE);
  int rc;

  *first_attempt_at = 0;
  *settled_at = 0;
  sqlite3_bind_int64 (s, 1, id);
  rc = sqlite3_step (s);
  if (rc == SQLITE_ROW)
    {
      *first_attempt_at = sqlite3_column_int64 (s, 0);
      *settled_at = sqlite3_column_int64 (s, 1);
      rc = sqlite3_step (s);
    }
  return _orderly_sqlite_reset_rows (self, s, rc, error);
}

/* Stores a failed attempt; @first_settlement says whether it settled the
 * order for the first time. */
static gboolean
write_failure (OrderlySqliteConn          *self,
               const OrderlyClaim         *claim,
               guint                       i,
               const OrderlyOrderOutcome  *outcome,
               gboolean                   *first_settlement,
               GError                    **error)
{
  gboolean delayed = outcome->retry_at_us > 0;
  int state = delayed ? FAILURE_DELAYED : FAILURE_FAILED;
  gint64 state_at = delayed ? outcome->retry_at_us : outcome->finished_at_us;
  sqlite3_stmt *s;
  int rc;

  *first_settlement = !delayed;
  if (!claim->retry)
    {
      s = _orderly_sqlite_stmt (self, STMT_INSERT_FAILURE);
      sqlite3_bind_int64 (s, 1, claim->order_ids[i]);
      sqlite3_bind_int64 (s, 2, claim->run_id);
      sqlite3_bind_int (s, 3, claim->priority);
      sqlite3_bind_int (s, 4, state);
      sqlite3_bind_int64 (s, 5, state_at);
      sqlite3_bind_int (s, 6, claim->attempts_made[i] + 1);
      sqlite3_bind_int64 (s, 7, outcome->finished_at_us);
      sqlite3_bind_text (s, 8, outcome->failure, -1, SQLITE_STATIC);
      if (!delayed)
        sqlite3_bind_int64 (s, 9, outcome->finished_at_us);
      return _orderly_sqlite_step_done (self, s, error);
    }

  s = _orderly_sqlite_stmt (self, STMT_UPDATE_FAILURE);
  sqlite3_bind_int64 (s, 1, claim->order_ids[i]);
  sqlite3_bind_int (s, 2, state);
  sqlite3_bind_int64 (s, 3, state_at);
  sqlite3_bind_int (s, 4, claim->attempts_made[i] + 1);
  sqlite3_bind_int64 (s, 5, outcome->finished_at_us);
  sqlite3_bind_text (s, 6, outcome->failure, -1, SQLITE_STATIC);
  sqlite3_bind_int (s, 7, !delayed);
  rc = sqlite3_step (s);
  if (rc == SQLITE_ROW)
    {
      /* Settled before if the kept time is an earlier one. */
      if (!delayed)
        *first_settlement = sqlite3_column_int64 (s, 0) == outcome->finished_at_us;
      rc = sqlite3_step (s);
    }
  return _orderly_sqlite_reset_rows (self, s, rc, error);
}

/* The run's histogram of waits with @buckets added, to store. */
static GBytes *
add_waits (OrderlySqliteConn   *self,
           const OrderlyClaim  *claim,
           const guint32       *buckets,
           GError             **error)
{
  sqlite3_stmt *s = _orderly_sqlite_stmt (self, STMT_READ_WAITS);
  g_autofree guint64 *counts = g_new0 (guint64, ORDERLY_WAIT_BUCKETS);
  int rc;

  sqlite3_bind_int64 (s, 1, claim->run_id);
  sqlite3_bind_int (s, 2, claim->priority);
  rc = sqlite3_step (s);
  if (rc == SQLITE_ROW)
    {
      const guint64 *stored = sqlite3_column_blob (s, 0);
      int size = sqlite3_column_bytes (s, 0);

      for (guint b = 0; stored != NULL && b < ORDERLY_WAIT_BUCKETS && (b + 1) * 8 <= (guint) size; b++)
        counts[b] = GUINT64_FROM_LE (stored[b]);
      rc = SQLITE_DONE;
    }
  if (!_orderly_sqlite_reset_rows (self, s, rc, error))
    return NULL;
  for (guint b = 0; b < ORDERLY_WAIT_BUCKETS; b++)
    counts[b] = GUINT64_TO_LE (GUINT64_FROM_LE (counts[b]) + buckets[b]);
  return g_bytes_new_take (g_steal_pointer (&counts), ORDERLY_WAIT_BUCKETS * sizeof (guint64));
}

gboolean
_orderly_sqlite_complete_claim (OrderlySqliteConn          *self,
                                const OrderlyClaim         *claim,
                                const OrderlyOrderOutcome  *outcomes,
                                guint                       n_outcomes,
                                const OrderlyClaimRequest  *next,
                                OrderlyClaimAnswer         *next_answer,
                                GError                    **error)
{
  g_autoptr(GBytes) waits = NULL;
  gboolean vip = claim->priority == ORDERLY_PRIORITY_VIP;
  sqlite3_stmt *first_insert = self->stmts[vip ? STMT_INSERT_VIP_RESULT : STMT_INSERT_NORMAL_RESULT];
  sqlite3_stmt *retried_insert = self->stmts[vip ? STMT_INSERT_VIP_RETRIED : STMT_INSERT_NORMAL_RETRIED];
  sqlite3_stmt *insert;
  OrderlyOutcomeTally tally = { 0 };
  gint64 now = g_get_real_time ();
  guint rest = claim->n_orders - n_outcomes;
  sqlite3_stmt *s;

  if (!_orderly_sqlite_begin (self, error))
    return FALSE;
  if (!end_claim_row (self, claim, now, rest, rest > 0 ? claim->order_ids[n_outcomes] : 0, error))
    {
      _orderly_sqlite_rollback (self);
      return FALSE;
    }

  for (guint i = 0; i < n_outcomes; i++)
    {
      const OrderlyOrderOutcome *outcome = &outcomes[i];
      gint64 finished = outcome->finished_at_us;

      if (outcome->failure == NULL)
        {
          gint64 first_at = 0, settled_at = 0;

          if (claim->retry && !remove_failure (self, claim->order_ids[i], &first_at, &settled_at, error))
            goto failed;
          if (claim->attempts_made[i] == 0 && first_at == 0 && settled_at == 0)
            {
              insert = first_insert;
              sqlite3_bind_int64 (insert, 1, claim->order_ids[i]);
              sqlite3_bind_text (insert, 2, outcome->observations, -1, SQLITE_STATIC);
              sqlite3_bind_int64 (insert, 3, finished);
              sqlite3_bind_int (insert, 4, outcome->worker_id);
            }
          else
            {
              insert = retried_insert;
              sqlite3_bind_int64 (insert, 1, claim->order_ids[i]);
              sqlite3_bind_text (insert, 2, outcome->observations, -1, SQLITE_STATIC);
              sqlite3_bind_int64 (insert, 3, finished);
              sqlite3_bind_int (insert, 4, outcome->worker_id);
              sqlite3_bind_int (insert, 5, claim->attempts_made[i] + 1);
              if (first_at > 0)
                sqlite3_bind_int64 (insert, 6, first_at);
              else
                sqlite3_bind_null (insert, 6);
              if (settled_at > 0)
                sqlite3_bind_int64 (insert, 7, settled_at);
              else
                sqlite3_bind_null (insert, 7);
            }
          if (!_orderly_sqlite_step_done (self, insert, error))
            goto failed;
          _orderly_outcome_tally_success (&tally, claim, i, outcome, settled_at);
        }
      else
        {
          gboolean first_settlement;

          if (!write_failure (self, claim, i, outcome, &first_settlement, error))
            goto failed;
          _orderly_outcome_tally_failure (&tally, outcome);
          if (first_settlement)
            _orderly_outcome_tally_settled (&tally, finished);
        }
    }

  /* What was not attempted goes back to the queue. */
  if (claim->retry && rest > 0)
    {
      if (!exec_printf (self, error,
                        "UPDATE failures SET state = %d, state_at = %" G_GINT64_FORMAT
                        ", claim_id = NULL WHERE claim_id = %" G_GINT64_FORMAT,
                        FAILURE_DELAYED, now, claim->id))
        goto failed;
      tally.delayed += rest;
    }

  if (tally.completed > 0 && (waits = add_waits (self, claim, tally.waits, error)) == NULL)
    goto failed;
  if (tally.completed + tally.delayed + tally.failed > 0)
    {
      s = _orderly_sqlite_stmt (self, STMT_COUNT_OUTCOMES);
      sqlite3_bind_int64 (s, 1, claim->run_id);
      sqlite3_bind_int (s, 2, claim->priority);
      sqlite3_bind_int64 (s, 3, tally.completed);
      sqlite3_bind_int64 (s, 4, tally.delayed);
      sqlite3_bind_int64 (s, 5, tally.failed);
      sqlite3_bind_int64 (s, 6, tally.first_attempt_us);
      sqlite3_bind_int64 (s, 7, tally.last_settled_us);
      if (waits != NULL)
        sqlite3_bind_blob (s, 8, g_bytes_get_data (waits, NULL), (int) g_bytes_get_size (waits),
                           SQLITE_STATIC);
      if (!_orderly_sqlite_step_done (self, s, error))
        goto failed;
    }
  if (next != NULL && !claim_in_transaction (self, next, now, next_answer, error))
    goto failed;
  if (!_orderly_sqlite_commit (self, error))
    {
      if (next_answer != NULL)
        orderly_claim_answer_clear (next_answer);
      return FALSE;
    }
  return TRUE;

failed:
  _orderly_sqlite_rollback (self);
  if (next_answer != NULL)
    orderly_claim_answer_clear (next_answer);
  return FALSE;
}

gboolean
_orderly_sqlite_release_claims (OrderlySqliteConn   *self,
                                gint64               run_id,
                                gboolean             expired_only,
                                gint64               max_orders,
                                gint64              *released,
                                GError             **error)
{
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) retries = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 now = g_get_real_time ();
  gint64 delayed[2] = { 0, 0 };
  gint64 total = 0;
  sqlite3_stmt *s;
  int rc;

  *released = 0;
  if (!_orderly_sqlite_begin (self, error))
    return FALSE;
  s = _orderly_sqlite_prepare (self,
                               "SELECT id, priority, retry, n_orders FROM claims WHERE run_id = ?1 "
                               "AND owner IS NOT NULL AND lease_until <= ?2 ORDER BY id", error);
  if (s == NULL)
    goto failed;
  sqlite3_bind_int64 (s, 1, run_id);
  sqlite3_bind_int64 (s, 2, expired_only ? now : G_MAXINT64);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW && (max_orders == 0 || total < max_orders))
    {
      gint64 id = sqlite3_column_int64 (s, 0);
      gint64 n = sqlite3_column_int64 (s, 3);

      if (sqlite3_column_int (s, 2))
        {
          g_array_append_val (retries, id);
          delayed[sqlite3_column_int (s, 1) == ORDERLY_PRIORITY_VIP ? 0 : 1] += n;
        }
      else
        g_array_append_val (ids, id);
      total += n;
    }
  if (rc == SQLITE_ROW)
    rc = SQLITE_DONE;
  if (!_orderly_sqlite_finish_rows (self, s, rc, error))
    goto failed;

  for (guint i = 0; i < ids->len; i++)
    if (!exec_printf (self, error,
                      "UPDATE claims SET owner = NULL, claimed_at = 0, lease_until = 0 WHERE id = %"
                      G_GINT64_FORMAT, g_array_index (ids, gint64, i)))
      goto failed;
  for (guint i = 0; i < retries->len; i++)
    if (!exec_printf (self, error,
                      "UPDATE failures SET state = %d, state_at = %" G_GINT64_FORMAT ", claim_id = NULL "
                      "WHERE claim_id = %" G_GINT64_FORMAT ";"
                      "DELETE FROM claims WHERE id = %" G_GINT64_FORMAT,
                      FAILURE_DELAYED, now, g_array_index (retries, gint64, i),
                      g_array_index (retries, gint64, i)))
      goto failed;
  for (guint p = 0; p < 2; p++)
    if (delayed[p] > 0 &&
        !exec_printf (self, error,
                      "UPDATE queue_counts SET delayed = delayed + %" G_GINT64_FORMAT
                      " WHERE run_id = %" G_GINT64_FORMAT " AND priority = %u", delayed[p], run_id, p))
      goto failed;
  if (!_orderly_sqlite_commit (self, error))
    return FALSE;
  *released = total;
  return TRUE;

failed:
  _orderly_sqlite_rollback (self);
  return FALSE;
}

gboolean
_orderly_sqlite_retry_failed (OrderlySqliteConn   *self,
                              gint64               run_id,
                              gint64               max_orders,
                              gint64              *requeued,
                              GError             **error)
{
  gint64 now = g_get_real_time ();
  gint64 total = 0;

  *requeued = 0;
  if (!_orderly_sqlite_begin (self, error))
    return FALSE;
  for (guint p = 0; p < 2 && (max_orders == 0 || total < max_orders); p++)
    {
      gint64 changed;

      if (!exec_printf (self, error,
                        "UPDATE failures SET state = %d, state_at = %" G_GINT64_FORMAT " "
                        "WHERE id IN (SELECT id FROM failures WHERE run_id = %" G_GINT64_FORMAT
                        " AND priority = %u AND state = %d ORDER BY state_at LIMIT %" G_GINT64_FORMAT ")",
                        FAILURE_WAITING, now, run_id, p, FAILURE_FAILED,
                        max_orders > 0 ? max_orders - total : G_MAXINT64))
        goto failed;
      changed = sqlite3_changes64 (self->db);
      if (changed > 0 &&
          !exec_printf (self, error,
                        "UPDATE queue_counts SET failed = failed - %" G_GINT64_FORMAT
                        " WHERE run_id = %" G_GINT64_FORMAT " AND priority = %u", changed, run_id, p))
        goto failed;
      total += changed;
    }
  if (!_orderly_sqlite_commit (self, error))
    return FALSE;
  *requeued = total;
  return TRUE;

failed:
  _orderly_sqlite_rollback (self);
  return FALSE;
}

/* Deletes one order's row and the row that settled it. */
static gboolean
delete_settled (OrderlySqliteConn   *self,
                sqlite3_stmt        *delete_order,
                sqlite3_stmt        *delete_outcome,
                gint64               id,
                GError             **error)
{
  sqlite3_bind_int64 (delete_order, 1, id);
  sqlite3_bind_int64 (delete_outcome, 1, id);
  return _orderly_sqlite_step_done (self, delete_order, error) &&
         _orderly_sqlite_step_done (self, delete_outcome, error);
}

/*
 * Completed orders are removed in id order, which is the order their
 * priority processed them in, and the scan stops at the first one settled
 * after the cutoff; failed ones come from the index in the order they
 * failed.
 */
gboolean
_orderly_sqlite_clean (OrderlySqliteConn   *self,
                       gint64               run_id,
                       OrderlyJobState      state,
                       gint64               finished_before_us,
                       gint64               limit,
                       gint64              *removed,
                       GError             **error)
{
  gint64 total = 0;

  *removed = 0;
  if (!_orderly_sqlite_begin (self, error))
    return FALSE;
  for (guint p = 0; p < 2 && total < limit; p++)
    {
      g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
      sqlite3_stmt *select, *delete_order, *delete_outcome;
      int rc;

      if (state == ORDERLY_JOB_STATE_COMPLETED)
        select = prepare_printf (self, error,
                                 "SELECT r.id, r.processed_at < ?2 FROM %s r JOIN %s o ON o.id = r.id "
                                 "WHERE o.run_id = ?1 ORDER BY r.id LIMIT ?3",
                                 results_table[p], orders_table[p]);
      else
        select = prepare_printf (self, error,
                                 "SELECT id, 1 FROM failures WHERE run_id = ?1 AND priority = %u "
                                 "AND state = %d AND state_at < ?2 ORDER BY state_at LIMIT ?3",
                                 p, FAILURE_FAILED);
      if (select == NULL)
        goto failed;
      sqlite3_bind_int64 (select, 1, run_id);
      sqlite3_bind_int64 (select, 2, finished_before_us);
      sqlite3_bind_int64 (select, 3, limit - total);
      while ((rc = sqlite3_step (select)) == SQLITE_ROW && sqlite3_column_int (select, 1))
        {
          gint64 id = sqlite3_column_int64 (select, 0);
          g_array_append_val (ids, id);
        }
      if (rc == SQLITE_ROW)
        rc = SQLITE_DONE;
      if (!_orderly_sqlite_finish_rows (self, select, rc, error))
        goto failed;
      if (ids->len == 0)
        continue;

      delete_order = prepare_printf (self, error, "DELETE FROM %s WHERE id = ?1", orders_table[p]);
      delete_outcome = prepare_printf (self, error, "DELETE FROM %s WHERE id = ?1",
                                       state == ORDERLY_JOB_STATE_COMPLETED ? results_table[p] : "failures");
      for (guint i = 0; delete_order != NULL && delete_outcome != NULL && i < ids->len; i++)
        {
          if (!delete_settled (self, delete_order, delete_outcome, g_array_index (ids, gint64, i), error))
            break;
        }
      sqlite3_finalize (delete_order);
      sqlite3_finalize (delete_outcome);
      if (error != NULL && *error != NULL)
        goto failed;
      if (delete_order == NULL || delete_outcome == NULL)
        goto failed;
      if (!exec_printf (self, error,
                        state == ORDERLY_JOB_STATE_COMPLETED
                        ? "UPDATE queue_counts SET completed = completed - %u, completed_removed = "
                          "completed_removed + %u WHERE run_id = %" G_GINT64_FORMAT " AND priority = %u"
                        : "UPDATE queue_counts SET failed = failed - %u, failed_removed = "
                          "failed_removed + %u WHERE run_id = %" G_GINT64_FORMAT " AND priority = %u",
                        ids->len, ids->len, run_id, p))
        goto failed;
      total += ids->len;
    }
  if (!_orderly_sqlite_commit (self, error))
    return FALSE;
  *removed = total;
  return TRUE;

failed:
  _orderly_sqlite_rollback (self);
  return FALSE;
}

/* Listings ------------------------------------------------------------- */

/* A page's backend is the reading connection. */
typedef OrderlyStorePage Page;

static void
read_order_data (OrderlyJob   *job,
                 sqlite3_stmt *s,
                 int           first_column,
                 gboolean      with_data)
{
  job->created_at_us = sqlite3_column_int64 (s, first_column);
  if (!with_data)
    return;
  job->has_data = TRUE;
  job->customer = g_strdup ((const char *) sqlite3_column_text (s, first_column + 1));
  job->amount_cents = sqlite3_column_int64 (s, first_column + 2);
}

/* A range of a priority's table: fresh orders, or the members of a claim. */
static gboolean
page_range (Page    *page,
            gint64   first_id,
            gint64   last_id,
            gint64   claimed_at,
            GError **error)
{
  sqlite3_stmt *s;
  int rc;

  s = prepare_printf (page->backend, error,
                      "SELECT id, created_at, customer, amount FROM %s WHERE id BETWEEN ?1 AND ?2 "
                      "AND run_id = ?3 ORDER BY id LIMIT ?4 OFFSET ?5", orders_table[page->priority]);
  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, first_id);
  sqlite3_bind_int64 (s, 2, last_id);
  sqlite3_bind_int64 (s, 3, page->run_id);
  sqlite3_bind_int64 (s, 4, page->limit);
  sqlite3_bind_int64 (s, 5, page->offset);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      OrderlyJob *job = _orderly_store_page_add (page, sqlite3_column_int64 (s, 0));

      read_order_data (job, s, 1, page->with_data);
      job->processed_on_us = claimed_at;
    }
  page->offset = 0;
  return _orderly_sqlite_finish_rows (page->backend, s, rc, error);
}

/* Failures rows in @state (or of claim @claim_id), with their order. */
static gboolean
page_failures (Page             *page,
               OrderlyJobState   state,
               gint64            claim_id,
               GError          **error)
{
  const char *order_by = _orderly_job_failures_order_by (state);
  sqlite3_stmt *s;
  int rc;

  s = prepare_printf (page->backend, error,
                      "SELECT f.id, f.attempts, f.state_at, f.last_attempt_at, f.reason, "
                      "o.created_at, o.customer, o.amount FROM failures f JOIN %s o ON o.id = f.id "
                      "WHERE %s ORDER BY %s LIMIT ?4 OFFSET ?5", orders_table[page->priority],
                      claim_id > 0 ? "f.claim_id = ?3"
                                   : "f.run_id = ?1 AND f.priority = ?2 AND f.state = ?3",
                      order_by);
  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, page->run_id);
  sqlite3_bind_int (s, 2, page->priority);
  if (claim_id > 0)
    sqlite3_bind_int64 (s, 3, claim_id);
  else
    sqlite3_bind_int (s, 3, state);
  sqlite3_bind_int64 (s, 4, page->limit);
  sqlite3_bind_int64 (s, 5, page->offset);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      OrderlyJob *job = _orderly_store_page_add (page, sqlite3_column_int64 (s, 0));
      gint64 state_at = sqlite3_column_int64 (s, 2);

      job->attempts_made = sqlite3_column_int (s, 1);
      job->failed_reason = g_strdup ((const char *) sqlite3_column_text (s, 4));
      read_order_data (job, s, 5, page->with_data);
      _orderly_job_set_failure_times (job, state_at, sqlite3_column_int64 (s, 3));
    }
  page->offset = 0;
  return _orderly_sqlite_finish_rows (page->backend, s, rc, error);
}

/* Claims rows, given back (@held FALSE, by first id) or held (by id): the
 * members of each, past those still to skip. */
static gboolean
page_claims (Page      *page,
             gboolean   held,
             GError   **error)
{
  sqlite3_stmt *s;
  int rc;

  s = _orderly_sqlite_prepare (page->backend, held
                               ? "SELECT id, retry, first_id, last_id, n_orders, claimed_at FROM claims "
                                 "WHERE run_id = ?1 AND priority = ?2 AND owner IS NOT NULL ORDER BY id"
                               : "SELECT id, retry, first_id, last_id, n_orders, claimed_at FROM claims "
                                 "WHERE run_id = ?1 AND priority = ?2 AND owner IS NULL ORDER BY first_id",
                               error);
  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, page->run_id);
  sqlite3_bind_int (s, 2, page->priority);
  while (page->limit > 0 && (rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      gint64 n = sqlite3_column_int64 (s, 4);
      gboolean ok;

      if (page->offset >= n)
        {
          page->offset -= n;
          continue;
        }
      if (held && sqlite3_column_int (s, 1))
        ok = page_failures (page, FAILURE_ACTIVE, sqlite3_column_int64 (s, 0), error);
      else
        ok = page_range (page, sqlite3_column_int64 (s, 2), sqlite3_column_int64 (s, 3),
                         held ? sqlite3_column_int64 (s, 5) : 0, error);
      if (!ok)
        {
          sqlite3_finalize (s);
          return FALSE;
        }
    }
  if (page->limit == 0 || rc == SQLITE_ROW)
    rc = SQLITE_DONE;
  return _orderly_sqlite_finish_rows (page->backend, s, rc, error);
}

/* Waiting orders in the order claims take them; @user_data holds the
 * cursor of fresh orders of each priority. */
static gboolean
page_waiting (Page      *page,
              gpointer   user_data,
              GError   **error)
{
  const gint64 *next_id = user_data;
  g_autofree char *sql = NULL;
  gint64 requeued;

  /* Claims given back, in id order. */
  if (!page_claims (page, FALSE, error))
    return FALSE;

  /* Requeued failed orders. */
  if (page->limit == 0)
    return TRUE;
  sql = g_strdup_printf ("SELECT count(*) FROM failures WHERE run_id = %" G_GINT64_FORMAT
                         " AND priority = %d AND state = %d", page->run_id, page->priority, FAILURE_WAITING);
  requeued = _orderly_sqlite_query_int (page->backend, sql, error);
  if (requeued < 0)
    return FALSE;
  if (page->offset >= requeued)
    page->offset -= requeued;
  else if (!page_failures (page, FAILURE_WAITING, 0, error))
    return FALSE;

  /* Fresh orders. */
  if (page->limit == 0)
    return TRUE;
  return page_range (page, next_id[page->priority], G_MAXINT64, 0, error);
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
  sqlite3_stmt *s;
  int rc;

  s = prepare_printf (page->backend, error,
                      "SELECT r.id, r.processed_at, r.attempts, r.worker, r.observations, "
                      "o.created_at, o.customer, o.amount FROM %s r JOIN %s o ON o.id = r.id "
                      "WHERE o.run_id = ?1 ORDER BY r.id DESC LIMIT ?2 OFFSET ?3",
                      results_table[page->priority], orders_table[page->priority]);
  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, page->run_id);
  sqlite3_bind_int64 (s, 2, page->limit);
  sqlite3_bind_int64 (s, 3, page->offset);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      OrderlyJob *job = _orderly_store_page_add (page, sqlite3_column_int64 (s, 0));

      job->processed_on_us = job->finished_on_us = sqlite3_column_int64 (s, 1);
      job->attempts_made = sqlite3_column_int (s, 2);
      job->worker_id = sqlite3_column_int (s, 3);
      read_order_data (job, s, 5, page->with_data);
      if (page->with_data)
        job->observations = g_strdup ((const char *) sqlite3_column_text (s, 4));
    }
  page->offset = 0;
  return _orderly_sqlite_finish_rows (page->backend, s, rc, error);
}

static const OrderlyStorePageFuncs page_funcs = {
  .waiting = page_waiting,
  .active = page_active,
  .completed = page_completed,
  .failures = page_failures,
};

GPtrArray *
_orderly_sqlite_list_jobs (OrderlySqliteConn   *self,
                           gint64               run_id,
                           OrderlyJobState      state,
                           gint64               offset,
                           guint                limit,
                           gboolean             with_data,
                           GError             **error)
{
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) orderly_job_free);
  Page page = { self, run_id, ORDERLY_PRIORITY_VIP, state, with_data, offset, limit, jobs };
  OrderlyOrderCounts counts;
  gint64 next_id[2] = { 0, 0 };
  gboolean found;

  /* One read transaction, so the counts and the rows agree. */
  if (!_orderly_sqlite_exec (self, "BEGIN", error))
    return NULL;
  if (!read_counts (self, run_id, &counts, next_id, &found, error))
    goto failed;
  if (found && !_orderly_store_page_fill (&page, &counts, &page_funcs, next_id, error))
    goto failed;
  _orderly_sqlite_rollback (self);
  return g_steal_pointer (&jobs);

failed:
  _orderly_sqlite_rollback (self);
  return NULL;
}

gboolean
_orderly_sqlite_get_wait_histogram (OrderlySqliteConn     *self,
                                    gint64                 run_id,
                                    OrderlyPriority        priority,
                                    OrderlyWaitHistogram  *histogram,
                                    GError               **error)
{
  sqlite3_stmt *s = _orderly_sqlite_stmt (self, STMT_READ_WAITS);
  int rc;

  sqlite3_bind_int64 (s, 1, run_id);
  sqlite3_bind_int (s, 2, priority);
  rc = sqlite3_step (s);
  if (rc == SQLITE_ROW)
    {
      const guint64 *stored = sqlite3_column_blob (s, 0);
      int size = sqlite3_column_bytes (s, 0);

      for (guint b = 0; stored != NULL && b < ORDERLY_WAIT_BUCKETS && (b + 1) * 8 <= (guint) size; b++)
        {
          histogram->counts[b] = GUINT64_FROM_LE (stored[b]);
          histogram->total += histogram->counts[b];
        }
      rc = SQLITE_DONE;
    }
  return _orderly_sqlite_reset_rows (self, s, rc, error);
}

gboolean
_orderly_sqlite_verify_run (OrderlySqliteConn   *self,
                            gint64               run_id,
                            OrderlyRunCheck     *check,
                            GError             **error)
{
  g_autofree char *sql = NULL;
  sqlite3_stmt *s;
  int rc;

  /* One pass over each orders table, looking up each order's result: a
   * run of a million orders is checked in about a third of the time that
   * counting, joining and looking for orphans in separate passes took. A
   * result no stored order owns (an orphan) shows as a result the pass did
   * not reach; the count of a whole table is cheap in SQLite. */
  sql = g_strdup_printf (
    "SELECT v.orders + n.orders, v.processed + n.processed,"
    " (SELECT count(*) FROM failures WHERE run_id = ?1 AND state = %d),"
    " (SELECT count(*) FROM vip_results) - v.owned + (SELECT count(*) FROM normal_results) - n.owned +"
    " (SELECT count(*) FROM failures f WHERE f.run_id = ?1 AND (EXISTS (SELECT 1 FROM vip_results r WHERE r.id = f.id)"
    "   OR EXISTS (SELECT 1 FROM normal_results r WHERE r.id = f.id))) +"
    " (SELECT count(*) FROM vip_orders v JOIN normal_orders n ON n.id = v.id),"
    " max (coalesce (v.last_settled, 0),"
    "      coalesce ((SELECT max (settled_at) FROM failures WHERE run_id = ?1 AND priority = 0), 0)),"
    " min (coalesce (n.first_attempt, %" G_GINT64_FORMAT "),"
    "      coalesce ((SELECT min (first_attempt_at) FROM failures WHERE run_id = ?1 AND priority = 1), %" G_GINT64_FORMAT "))"
    " FROM"
    " (SELECT count(*) FILTER (WHERE o.run_id = ?1) AS orders, count(r.id) FILTER (WHERE o.run_id = ?1) AS processed,"
    "   count(r.id) AS owned, max (coalesce (r.settled_at, r.processed_at)) FILTER (WHERE o.run_id = ?1) AS last_settled"
    "  FROM vip_orders o LEFT JOIN vip_results r ON r.id = o.id) v,"
    " (SELECT count(*) FILTER (WHERE o.run_id = ?1) AS orders, count(r.id) FILTER (WHERE o.run_id = ?1) AS processed,"
    "   count(r.id) AS owned, min (coalesce (r.first_attempt_at, r.processed_at)) FILTER (WHERE o.run_id = ?1) AS first_attempt"
    "  FROM normal_orders o LEFT JOIN normal_results r ON r.id = o.id) n",
    FAILURE_FAILED, G_MAXINT64, G_MAXINT64);

  if (!_orderly_sqlite_exec (self, "BEGIN", error))
    return FALSE;
  s = _orderly_sqlite_prepare (self, sql, error);
  if (s == NULL)
    {
      _orderly_sqlite_rollback (self);
      return FALSE;
    }
  sqlite3_bind_int64 (s, 1, run_id);
  rc = sqlite3_step (s);
  if (rc == SQLITE_ROW)
    {
      gint64 normal_first = sqlite3_column_int64 (s, 5);

      check->orders = sqlite3_column_int64 (s, 0);
      check->processed = sqlite3_column_int64 (s, 1);
      check->failed = sqlite3_column_int64 (s, 2);
      check->conflicts = sqlite3_column_int64 (s, 3);
      check->vip_last_settled_us = sqlite3_column_int64 (s, 4);
      check->normal_first_attempt_us = normal_first == G_MAXINT64 ? 0 : normal_first;
      check->unsettled = MAX (check->orders - check->processed - check->failed, 0);
      rc = SQLITE_DONE;
    }
  if (!_orderly_sqlite_finish_rows (self, s, rc, error))
    {
      _orderly_sqlite_rollback (self);
      return FALSE;
    }
  _orderly_sqlite_rollback (self);
  return TRUE;
}

/*
 * For a database from before the queue had tables of its own: counters for
 * the orders stored, a cursor after the last processed order of each
 * priority, and the pending orders behind it as claims given back.
 */
gboolean
_orderly_sqlite_fill_queue_counts (OrderlySqliteConn   *self,
                                   GError             **error)
{
  for (guint p = 0; p < 2; p++)
    {
      sqlite3_stmt *s;
      gint64 run_id = 0, first = 0, last = 0, n = 0;
      int rc;

      if (!exec_printf (self, error,
                        "INSERT OR IGNORE INTO queue_counts (run_id, priority) SELECT id, %u FROM runs;"
                        "UPDATE queue_counts SET"
                        " generated = (SELECT count(*) FROM %s o WHERE o.run_id = queue_counts.run_id),"
                        " completed = (SELECT count(*) FROM %s r JOIN %s o ON o.id = r.id"
                        "              WHERE o.run_id = queue_counts.run_id),"
                        " next_id = coalesce ((SELECT max (r.id) + 1 FROM %s r JOIN %s o ON o.id = r.id"
                        "                      WHERE o.run_id = queue_counts.run_id), 0)"
                        " WHERE priority = %u AND EXISTS (SELECT 1 FROM %s o WHERE o.run_id = queue_counts.run_id)",
                        p, orders_table[p], results_table[p], orders_table[p], results_table[p],
                        orders_table[p], p, orders_table[p]))
        return FALSE;

      s = prepare_printf (self, error,
                          "SELECT o.id, o.run_id, r.id IS NOT NULL FROM %s o LEFT JOIN %s r ON r.id = o.id "
                          "JOIN queue_counts c ON c.run_id = o.run_id AND c.priority = %u "
                          "WHERE o.id < c.next_id ORDER BY o.id",
                          orders_table[p], results_table[p], p);
      if (s == NULL)
        return FALSE;
      /* Runs of pending orders with no processed one between them. */
      for (;;)
        {
          gboolean row = (rc = sqlite3_step (s)) == SQLITE_ROW;
          gboolean processed = row && sqlite3_column_int (s, 2);
          gint64 id = row ? sqlite3_column_int64 (s, 0) : 0;

          if (n > 0 && (!row || processed || n == 4096 || sqlite3_column_int64 (s, 1) != run_id))
            {
              if (!exec_printf (self, error,
                                "INSERT INTO claims (run_id, priority, retry, first_id, last_id, n_orders) "
                                "VALUES (%" G_GINT64_FORMAT ", %u, 0, %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                                ", %" G_GINT64_FORMAT ")", run_id, p, first, last, n))
                {
                  sqlite3_finalize (s);
                  return FALSE;
                }
              n = 0;
            }
          if (!row)
            break;
          if (!processed)
            {
              if (n == 0)
                {
                  first = id;
                  run_id = sqlite3_column_int64 (s, 1);
                }
              last = id;
              n++;
            }
        }
      if (!_orderly_sqlite_finish_rows (self, s, rc, error))
        return FALSE;
    }
  return TRUE;
}
