/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench-queue: the queue under load, through the engine's calls.
 *
 * 1. Job listings: the page a job-queue front end asks for (positions 0 to
 *    99 of one state, with the orders' data), for each state, over and over
 *    while a run of N orders goes on at full speed (with a small failure
 *    rate, so that every state has orders). Each page's latency, from the
 *    call to its answer, is counted in the part of the run it fell in:
 *    generating, early (under 30 % processed), deep (60 % processed or
 *    more). Printed: p50 and p99 per state and part; the baseline is the
 *    same pages on the same store once the run is over (nothing writing).
 * 2. Pause: the time from a pause request until no worker holds a claim,
 *    over several pauses deep in a run of the largest size; the baseline
 *    is the time a cancel takes to stop the workers, in the same run.
 * 3. ETA: at points of a run with a simulated cost per order, the time the
 *    status says is left, against the time that was left in fact; the
 *    baseline is the estimate the engine made before, the work done so far
 *    (generation and processing counted alike) over the time elapsed.
 *
 *   bench-queue [--orders 1000000,10000000] [--runs R] [--pauses P]
 *               [--failure-rate F] [--workers W] [--eta-orders N]
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#include "orderly-engine.h"
#include "orderly-sqlite-store.h"

static char *orders_list = NULL;
static int runs = 1;
static int pauses = 10;
static double failure_rate = 0.01;
static int workers = 0;
static gint64 eta_orders = 200000;

static const OrderlyJobState states[] = {
  ORDERLY_JOB_STATE_WAITING, ORDERLY_JOB_STATE_ACTIVE, ORDERLY_JOB_STATE_COMPLETED,
  ORDERLY_JOB_STATE_FAILED, ORDERLY_JOB_STATE_DELAYED,
};

enum { PART_GENERATING, PART_EARLY, PART_DEEP, PART_IDLE, N_PARTS };
static const char * const part_names[] = { "generating", "early", "deep", "idle (baseline)" };

typedef struct
{
  GArray *ms[N_PARTS][G_N_ELEMENTS (states)];
} Latencies;

static char *
fresh_dir (void)
{
  return g_dir_make_tmp ("orderly-bench-XXXXXX", NULL);
}

static void
remove_dir (const char *dir)
{
  static const char * const names[] = { "orderly.db", "orderly.db-wal", "orderly.db-shm", NULL };

  for (guint i = 0; names[i]; i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);
      g_remove (path);
    }
  g_rmdir (dir);
}

static int
compare_double (const void *a,
                const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
percentile (GArray *values,
            double  p)
{
  guint index;

  if (values->len == 0)
    return -1;
  qsort (values->data, values->len, sizeof (double), compare_double);
  index = (guint) CLAMP (p * values->len + 0.5, 1, values->len) - 1;
  return g_array_index (values, double, index);
}

static void
page_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  OrderlyJobPage **page = user_data;
  g_autoptr(GError) error = NULL;

  *page = orderly_engine_list_jobs_finish (ORDERLY_ENGINE (object), result, &error);
  if (*page == NULL)
    g_error ("listing failed: %s", error->message);
}

/* One page of @state, timed from the call to the answer, in ms. */
static double
time_page (OrderlyEngine   *engine,
           OrderlyJobState  state)
{
  OrderlyJobQuery query = { .states = { state }, .n_states = 1, .start = 0, .end = 99, .with_data = TRUE };
  OrderlyJobPage *page = NULL;
  gint64 start = g_get_monotonic_time ();

  orderly_engine_list_jobs_async (engine, &query, NULL, page_cb, &page);
  while (page == NULL)
    g_main_context_iteration (NULL, TRUE);
  orderly_job_page_free (page);
  return (g_get_monotonic_time () - start) / 1000.0;
}

static int
part_of (const OrderlyStatusData *d)
{
  if (d->phase == ORDERLY_PHASE_GENERATING)
    return PART_GENERATING;
  if (d->processed_total < d->target * 0.3)
    return PART_EARLY;
  if (d->processed_total >= d->target * 0.6)
    return PART_DEEP;
  return -1;
}

static OrderlyEngine *
new_engine (OrderlyStore *store)
{
  g_autoptr(GError) error = NULL;
  OrderlyEngine *engine = orderly_engine_new (store, &error);

  g_assert_no_error (error);
  if (workers > 0)
    orderly_engine_set_workers (engine, workers);
  return engine;
}

static void
bench_listings (gint64     orders,
                Latencies *latencies)
{
  g_autofree char *dir = fresh_dir ();
  g_autofree char *path = g_build_filename (dir, "orderly.db", NULL);
  g_autoptr(GError) error = NULL;
  OrderlyRunRequest request = { .quantity = orders, .vip_share = 0.05, .has_seed = TRUE, .seed = 1 };
  guint next = 0;

  {
    g_autoptr(OrderlyStore) store = orderly_sqlite_store_new (path, &error);
    g_autoptr(OrderlyEngine) engine = NULL;
    const OrderlyStatusData *d;

    g_assert_no_error (error);
    engine = new_engine (store);
    orderly_engine_set_failure_rate (engine, failure_rate);
    orderly_engine_set_retry_backoff_ms (engine, 200);
    if (!orderly_engine_start_run (engine, &request, NULL, &error))
      g_error ("%s", error->message);
    while (orderly_engine_is_running (engine))
      {
        OrderlyJobState state = states[next % G_N_ELEMENTS (states)];
        double ms;
        int part;

        orderly_engine_flush (engine);
        part = part_of (orderly_status_get_data (orderly_engine_get_status (engine)));
        ms = time_page (engine, state);
        if (part >= 0)
          g_array_append_val (latencies->ms[part][next % G_N_ELEMENTS (states)], ms);
        next++;
      }
    orderly_engine_flush (engine);
    d = orderly_status_get_data (orderly_engine_get_status (engine));
    if (d->phase != ORDERLY_PHASE_DONE)
      g_error ("run ended in %s", orderly_phase_to_string (d->phase));
    g_print ("  run of %" G_GINT64_FORMAT " orders: %.0f ms, %" G_GINT64_FORMAT " failed for good, "
             "%u pages listed during it\n", orders, d->total_ms, d->failed_total, next);

    /* The baseline: the same pages with nothing writing. */
    for (guint i = 0; i < 20 * G_N_ELEMENTS (states); i++)
      {
        double ms = time_page (engine, states[i % G_N_ELEMENTS (states)]);

        g_array_append_val (latencies->ms[PART_IDLE][i % G_N_ELEMENTS (states)], ms);
      }
    orderly_engine_shutdown (engine);
  }
  remove_dir (dir);
}

static gboolean
claims_stopped (OrderlyEngine *engine)
{
  orderly_engine_flush (engine);
  return orderly_status_get_data (orderly_engine_get_status (engine))->active_workers == 0;
}

static void
bench_pause (gint64  orders,
             GArray *pause_ms,
             GArray *cancel_ms)
{
  g_autofree char *dir = fresh_dir ();
  g_autofree char *path = g_build_filename (dir, "orderly.db", NULL);
  g_autoptr(GError) error = NULL;
  OrderlyRunRequest request = { .quantity = orders, .vip_share = 0.05, .has_seed = TRUE, .seed = 2 };

  {
    g_autoptr(OrderlyStore) store = orderly_sqlite_store_new (path, &error);
    g_autoptr(OrderlyEngine) engine = NULL;
    gint64 start;

    g_assert_no_error (error);
    engine = new_engine (store);
    if (!orderly_engine_start_run (engine, &request, NULL, &error))
      g_error ("%s", error->message);
    for (int i = 0; i < pauses && orderly_engine_is_running (engine); i++)
      {
        gint64 before;
        double ms;

        /* Let the workers get going again, holding claims. */
        do
          {
            g_main_context_iteration (NULL, FALSE);
            orderly_engine_flush (engine);
          }
        while (orderly_engine_is_running (engine) &&
               (orderly_status_get_phase (orderly_engine_get_status (engine)) != ORDERLY_PHASE_WAITING_NORMAL_DRAIN ||
                orderly_status_get_data (orderly_engine_get_status (engine))->active_workers == 0));
        if (!orderly_engine_is_running (engine))
          break;
        before = orderly_status_get_data (orderly_engine_get_status (engine))->processed_total;
        start = g_get_monotonic_time ();
        orderly_engine_pause_queue (engine);
        while (!claims_stopped (engine))
          g_usleep (200);
        ms = (g_get_monotonic_time () - start) / 1000.0;
        g_array_append_val (pause_ms, ms);
        orderly_engine_resume_queue (engine);
        while (orderly_engine_is_running (engine) &&
               orderly_status_get_data (orderly_engine_get_status (engine))->processed_total < before + orders / (3 * pauses))
          {
            g_main_context_iteration (NULL, FALSE);
            orderly_engine_flush (engine);
          }
      }
    if (orderly_engine_is_running (engine))
      {
        double ms;

        start = g_get_monotonic_time ();
        orderly_engine_cancel (engine);
        ms = (g_get_monotonic_time () - start) / 1000.0;
        g_array_append_val (cancel_ms, ms);
      }
    orderly_engine_shutdown (engine);
  }
  remove_dir (dir);
}

typedef struct
{
  const char *what;
  gint64      at_us;
  gint64      eta_ms;
  gint64      old_eta_ms;
} EtaPoint;

/* The estimate the engine made before: a run is twice its quantity in
 * work, done at the average rate since it began. */
static gint64
old_eta_ms (const OrderlyStatusData *d)
{
  gint64 done = d->generated + d->processed_total;
  gint64 total = 2 * d->target;

  if (done <= 0 || d->total_ms <= 0)
    return -1;
  return (gint64) ((total - done) / (done / d->total_ms));
}

static void
bench_eta (gint64 orders)
{
  g_autofree char *dir = fresh_dir ();
  g_autofree char *path = g_build_filename (dir, "orderly.db", NULL);
  g_autoptr(GError) error = NULL;
  OrderlyRunRequest request = { .quantity = orders, .vip_share = 0.05, .has_seed = TRUE, .seed = 3 };
  static const struct { const char *what; double generated, processed; } marks[] = {
    { "50 % generated", 0.5, 0 }, { "10 % processed", 1, 0.1 }, { "25 % processed", 1, 0.25 },
    { "50 % processed", 1, 0.5 }, { "75 % processed", 1, 0.75 }, { "90 % processed", 1, 0.9 },
  };
  EtaPoint points[G_N_ELEMENTS (marks)];
  guint next = 0;
  gint64 end_us;

  {
    g_autoptr(OrderlyStore) store = orderly_sqlite_store_new (path, &error);
    g_autoptr(OrderlyEngine) engine = NULL;

    g_assert_no_error (error);
    engine = new_engine (store);
    orderly_engine_set_work_us (engine, 100);
    if (!orderly_engine_start_run (engine, &request, NULL, &error))
      g_error ("%s", error->message);
    while (orderly_engine_is_running (engine))
      {
        g_main_context_iteration (NULL, TRUE);
        if (next < G_N_ELEMENTS (marks))
          {
            const OrderlyStatusData *d = orderly_status_get_data (orderly_engine_get_status (engine));

            if (d->target > 0 && d->eta_ms >= 0 &&
                d->generated >= marks[next].generated * d->target &&
                d->processed_total >= marks[next].processed * d->target)
              {
                points[next] = (EtaPoint) { marks[next].what, g_get_monotonic_time (), d->eta_ms,
                                            old_eta_ms (d) };
                next++;
              }
          }
      }
    end_us = g_get_monotonic_time ();
    orderly_engine_shutdown (engine);
  }
  remove_dir (dir);

  g_print ("  %-16s %12s %14s %8s %18s %8s\n", "point", "left (ms)", "ETA now (ms)", "ratio",
           "ETA before (ms)", "ratio");
  for (guint i = 0; i < next; i++)
    {
      double left = (end_us - points[i].at_us) / 1000.0;

      g_print ("  %-16s %12.0f %14" G_GINT64_FORMAT " %8.2f %18" G_GINT64_FORMAT " %8.2f\n",
               points[i].what, left, points[i].eta_ms, points[i].eta_ms / left,
               points[i].old_eta_ms, points[i].old_eta_ms / left);
    }
  g_print ("  a ratio of 1 is exact; under 1, the estimate was too short\n");
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- job listings and pauses under load");
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "orders", 'n', 0, G_OPTION_ARG_STRING, &orders_list, "Run sizes, comma-separated (default 1000000,10000000)", "N,…" },
    { "runs", 'r', 0, G_OPTION_ARG_INT, &runs, "Runs of each size for the listings (default 1; 0 skips them)", "R" },
    { "pauses", 'p', 0, G_OPTION_ARG_INT, &pauses, "Pauses timed (default 10)", "P" },
    { "failure-rate", 'f', 0, G_OPTION_ARG_DOUBLE, &failure_rate, "Failure rate (default 0.01)", "F" },
    { "workers", 'w', 0, G_OPTION_ARG_INT, &workers, "Worker threads (default: processors)", "W" },
    { "eta-orders", 0, 0, G_OPTION_ARG_INT64, &eta_orders, "Orders of the ETA run (default 200000; 0 skips it)", "N" },
    { NULL }
  };
  g_auto(GStrv) sizes = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  sizes = g_strsplit (orders_list != NULL ? orders_list : "1000000,10000000", ",", -1);
  g_print ("bench-queue: %u processors, failure rate %.3f\n", g_get_num_processors (), failure_rate);

  {
    /* Opening a store configures the SQLite library. */
    g_autofree char *dir = fresh_dir ();
    g_autofree char *path = g_build_filename (dir, "orderly.db", NULL);
    g_autoptr(OrderlyStore) store = orderly_sqlite_store_new (path, NULL);

    g_clear_object (&store);
    remove_dir (dir);
  }

  /* --runs 0: the pauses and the ETA only. */
  for (guint s = 0; runs > 0 && sizes[s] != NULL; s++)
    {
      gint64 orders = g_ascii_strtoll (sizes[s], NULL, 10);
      Latencies latencies;

      for (int p = 0; p < N_PARTS; p++)
        for (guint i = 0; i < G_N_ELEMENTS (states); i++)
          latencies.ms[p][i] = g_array_new (FALSE, FALSE, sizeof (double));

      g_print ("\njob listings, %" G_GINT64_FORMAT " orders, pages 0-99 with data, %d run(s):\n", orders, runs);
      for (int r = 0; r < runs; r++)
        bench_listings (orders, &latencies);
      g_print ("  %-16s", "part of the run");
      for (guint i = 0; i < G_N_ELEMENTS (states); i++)
        g_print (" %21s", orderly_job_state_to_string (states[i]));
      g_print ("\n  %-16s", "");
      for (guint i = 0; i < G_N_ELEMENTS (states); i++)
        g_print (" %21s", "p50 / p99 ms (n)");
      g_print ("\n");
      for (int p = 0; p < N_PARTS; p++)
        {
          g_print ("  %-16s", part_names[p]);
          for (guint i = 0; i < G_N_ELEMENTS (states); i++)
            {
              GArray *ms = latencies.ms[p][i];
              guint n = ms->len;
              double p50 = percentile (ms, 0.5), p99 = percentile (ms, 0.99);
              g_autofree char *cell = g_strdup_printf ("%.2f / %.2f (%u)", p50, p99, n);

              g_print (" %21s", n > 0 ? cell : "-");
            }
          g_print ("\n");
        }
      g_print ("  target: under 20 ms at p99 while the run goes on\n");
      for (int p = 0; p < N_PARTS; p++)
        for (guint i = 0; i < G_N_ELEMENTS (states); i++)
          g_array_unref (latencies.ms[p][i]);
    }

  {
    g_autoptr(GArray) pause_ms = g_array_new (FALSE, FALSE, sizeof (double));
    g_autoptr(GArray) cancel_ms = g_array_new (FALSE, FALSE, sizeof (double));
    /* The largest run: the pauses and the cancel after them need a run
     * that lasts at full speed. */
    gint64 orders = g_ascii_strtoll (sizes[g_strv_length (sizes) - 1], NULL, 10);

    g_print ("\npause, %d times deep in a run of %" G_GINT64_FORMAT " orders (full speed):\n", pauses, orders);
    bench_pause (orders, pause_ms, cancel_ms);
    g_print ("  until no worker holds a claim: median %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms"
             " (%u pauses)\n", percentile (pause_ms, 0.5), percentile (pause_ms, 0.9),
             percentile (pause_ms, 0.99), percentile (pause_ms, 1.0), pause_ms->len);
    g_print ("  baseline, cancel until the workers stopped: %.2f ms\n", percentile (cancel_ms, 0.5));
    g_print ("  target: under 200 ms\n");
  }

  if (eta_orders > 0)
    {
      g_print ("\nETA, a run of %" G_GINT64_FORMAT " orders at 100 us each:\n", eta_orders);
      bench_eta (eta_orders);
    }
  return 0;
}
