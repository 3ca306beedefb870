/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench-reset: how long the main loop stalls while a reset deletes a large
 * run (default 1,000,000 orders), and while the orders alone are cleared
 * (a purge), on SQLite and, when ORDERLY_TEST_PG_URI names a server, on
 * PostgreSQL. A 1 ms timeout on the main loop measures its gaps; the
 * baseline is the same loop, idle, for as long as the reset took. Prints
 * the medians over R rounds of the longest gap and of the operation's time.
 *
 *   bench-reset [--orders N] [--repeat R]
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#include "orderly-engine.h"
#include "orderly-sqlite-store.h"
#if ORDERLY_HAVE_POSTGRESQL
#include <libpq-fe.h>
#include "orderly-pg-store.h"
#endif

static gint64 orders = 1000000;
static int repeat = 3;

typedef struct
{
  gint64 last_us;
  gint64 longest_us;
} Gaps;

static gboolean
tick_cb (gpointer data)
{
  Gaps *gaps = data;
  gint64 now = g_get_monotonic_time ();

  if (gaps->last_us > 0)
    gaps->longest_us = MAX (gaps->longest_us, now - gaps->last_us);
  gaps->last_us = now;
  return G_SOURCE_CONTINUE;
}

/* The end of a reset or of a purge. */
static void
done_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  gboolean *done = user_data;
  gboolean ok = g_async_result_is_tagged (result, orderly_engine_purge_async)
                ? orderly_engine_purge_finish (ORDERLY_ENGINE (object), result, NULL, &error)
                : orderly_engine_reset_finish (ORDERLY_ENGINE (object), result, NULL, &error);

  if (!ok)
    g_error ("The reset or purge failed: %s", error->message);
  *done = TRUE;
}

static void
run_to_end (OrderlyEngine *engine)
{
  g_autoptr(GError) error = NULL;
  OrderlyRunRequest request = { .quantity = orders, .vip_share = 0.1, .has_seed = TRUE, .seed = 3 };

  if (!orderly_engine_start_run (engine, &request, NULL, &error))
    g_error ("The run did not start: %s", error->message);
  while (orderly_engine_is_running (engine))
    g_main_context_iteration (NULL, TRUE);
  if (orderly_status_get_phase (orderly_engine_get_status (engine)) != ORDERLY_PHASE_DONE)
    g_error ("The run did not end DONE");
}

/* The main loop's longest gap while @operation goes on, and its time. */
static void
measure (OrderlyEngine *engine,
         gboolean       purge,
         double        *gap_ms,
         double        *took_ms)
{
  Gaps gaps = { 0 };
  gboolean done = FALSE;
  guint tick = g_timeout_add (1, tick_cb, &gaps);
  gint64 start;

  /* The loop settles first: the run's last events and its check. */
  for (gint64 until = g_get_monotonic_time () + 500000; g_get_monotonic_time () < until;)
    g_main_context_iteration (NULL, TRUE);
  gaps.longest_us = 0;
  start = g_get_monotonic_time ();
  if (purge)
    orderly_engine_purge_async (engine, TRUE, NULL, done_cb, &done);
  else
    orderly_engine_reset_async (engine, NULL, done_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  *took_ms = (g_get_monotonic_time () - start) / 1000.0;
  *gap_ms = gaps.longest_us / 1000.0;
  g_source_remove (tick);
}

/* The same loop idle for @ms. */
static double
idle_gap (double ms)
{
  Gaps gaps = { 0 };
  guint tick = g_timeout_add (1, tick_cb, &gaps);
  gint64 until = g_get_monotonic_time () + (gint64) (MAX (ms, 100) * 1000);

  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  return gaps.longest_us / 1000.0;
}

static int
compare_double (const double *a,
                const double *b)
{
  return (*a > *b) - (*a < *b);
}

static double
median (double *values,
        int     n)
{
  qsort (values, n, sizeof *values, (int (*) (const void *, const void *)) compare_double);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

static void
bench (const char   *name,
       OrderlyStore *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyEngine) engine = orderly_engine_new (store, &error);
  g_autofree double *reset_gap = g_new0 (double, repeat);
  g_autofree double *reset_ms = g_new0 (double, repeat);
  g_autofree double *purge_gap = g_new0 (double, repeat);
  g_autofree double *purge_ms = g_new0 (double, repeat);
  g_autofree double *idle = g_new0 (double, repeat);

  if (engine == NULL)
    g_error ("No engine: %s", error->message);
  orderly_engine_set_workers (engine, 2);
  for (int i = 0; i < repeat; i++)
    {
      run_to_end (engine);
      measure (engine, TRUE, &purge_gap[i], &purge_ms[i]);
      run_to_end (engine);
      measure (engine, FALSE, &reset_gap[i], &reset_ms[i]);
      idle[i] = idle_gap (reset_ms[i]);
      g_print ("%s round %d: reset %.0f ms, longest main-loop gap %.1f ms; purge %.0f ms, gap %.1f ms; "
               "idle gap %.1f ms\n", name, i + 1, reset_ms[i], reset_gap[i], purge_ms[i], purge_gap[i],
               idle[i]);
    }
  g_print ("%s, %" G_GINT64_FORMAT " orders, medians of %d: reset %.0f ms with the main loop's longest "
           "gap %.1f ms; purge %.0f ms, gap %.1f ms; baseline, the loop idle as long: %.1f ms\n",
           name, orders, repeat, median (reset_ms, repeat), median (reset_gap, repeat),
           median (purge_ms, repeat), median (purge_gap, repeat), median (idle, repeat));
  orderly_engine_shutdown (engine);
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_remove (path);
    }
  g_rmdir (dir);
}

#if ORDERLY_HAVE_POSTGRESQL
static void
pg_exec (const char *uri,
         const char *sql)
{
  PGconn *conn = PQconnectdb (uri);
  PGresult *result = PQexec (conn, sql);

  if (PQresultStatus (result) != PGRES_COMMAND_OK)
    g_error ("%s: %s", sql, PQerrorMessage (conn));
  PQclear (result);
  PQfinish (conn);
}
#endif

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- main-loop stalls during a reset");
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  OrderlyStore *store;
  const GOptionEntry entries[] = {
    { "orders", 'n', 0, G_OPTION_ARG_INT64, &orders, "Orders per run (default 1000000)", "N" },
    { "repeat", 'r', 0, G_OPTION_ARG_INT, &repeat, "Rounds (default 3)", "R" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || orders < 1 || repeat < 1)
    {
      g_printerr ("%s\n", error ? error->message : "Bad arguments");
      return 2;
    }

  dir = g_dir_make_tmp ("orderly-bench-reset-XXXXXX", NULL);
  path = g_build_filename (dir, "orderly.db", NULL);
  store = orderly_sqlite_store_new (path, &error);
  if (store == NULL)
    g_error ("%s", error->message);
  bench ("SQLite", store);
  orderly_store_unref (store);
  remove_tree (dir);

#if ORDERLY_HAVE_POSTGRESQL
  if (g_getenv ("ORDERLY_TEST_PG_URI") != NULL)
    {
      const char *base = g_getenv ("ORDERLY_TEST_PG_URI");
      g_autofree char *uri = g_strconcat (base, "&dbname=orderly_bench_reset", NULL);

      pg_exec (base, "DROP DATABASE IF EXISTS orderly_bench_reset WITH (FORCE)");
      pg_exec (base, "CREATE DATABASE orderly_bench_reset");
      store = orderly_pg_store_new (uri, &error);
      if (store == NULL)
        g_error ("%s", error->message);
      bench ("PostgreSQL", store);
      orderly_store_unref (store);
      pg_exec (base, "DROP DATABASE orderly_bench_reset WITH (FORCE)");
    }
  else
    g_print ("PostgreSQL: skipped, ORDERLY_TEST_PG_URI is not set\n");
#endif
  return 0;
}
