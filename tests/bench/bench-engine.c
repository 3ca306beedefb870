/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench-engine: a whole run of N orders (default 1,000,000) through the
 * engine, against the floor: a plain SQLite loop that inserts and then
 * updates the same rows, with the same schema, pragmas and batch sizes.
 * Runs alternate between the two; the medians and their ratio are printed.
 *
 *   bench-engine [--orders N] [--repeat R] [--workers W]
 */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <stdio.h>
#include <string.h>

#include "orderly-engine.h"
#include "orderly-generator.h"
#include "orderly-sqlite-store.h"

static gint64 orders = 1000000;
static int repeat = 3;
static int workers = 0;
static gboolean engine_only = FALSE;

typedef struct
{
  double total_ms;
  double generation_ms;
  double enqueue_vip_ms;
  double enqueue_normal_ms;
  double vip_ms;
  double normal_ms;
  double peak_rss_mib;
  double cpu_ms;
} EngineResult;

/* Processor time of the whole process, every thread, in ms: on a shared
 * machine it varies less than the time on the clock. */
static double
cpu_ms (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0 +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;
}

static void
reset_peak_rss (void)
{
  FILE *f = fopen ("/proc/self/clear_refs", "w");

  if (f != NULL)
    {
      fputs ("5", f);
      fclose (f);
    }
}

static double
peak_rss_mib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, "VmHWM:");
  return line ? g_ascii_strtod (line + 6, NULL) / 1024.0 : 0;
}

static char *
fresh_dir (void)
{
  return g_dir_make_tmp ("orderly-bench-XXXXXX", NULL);
}

static void
remove_db (const char *dir)
{
  static const char * const names[] = { "orderly.db", "orderly.db-wal", "orderly.db-shm", NULL };

  for (guint i = 0; names[i]; i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);
      g_remove (path);
    }
  g_rmdir (dir);
}

static EngineResult
run_engine (void)
{
  g_autofree char *dir = fresh_dir ();
  g_autofree char *path = g_build_filename (dir, "orderly.db", NULL);
  g_autoptr(GError) error = NULL;
  EngineResult result = { 0 };
  OrderlyRunRequest request = { .quantity = orders, .vip_share = 0.05, .has_seed = TRUE, .seed = 1 };
  gint64 start;

  reset_peak_rss ();
  {
    g_autoptr(OrderlyStore) store = orderly_sqlite_store_new (path, &error);
    g_autoptr(OrderlyEngine) engine = NULL;
    const OrderlyStatusData *d;

    g_assert_no_error (error);
    engine = orderly_engine_new (store, &error);
    g_assert_no_error (error);
    if (workers > 0)
      orderly_engine_set_workers (engine, workers);

    start = g_get_monotonic_time ();
    result.cpu_ms = cpu_ms ();
    if (!orderly_engine_start_run (engine, &request, NULL, &error))
      g_error ("%s", error->message);
    while (orderly_engine_is_running (engine))
      g_main_context_iteration (NULL, TRUE);
    orderly_engine_flush (engine);
    result.cpu_ms = cpu_ms () - result.cpu_ms;
    d = orderly_status_get_data (orderly_engine_get_status (engine));
    if (d->phase != ORDERLY_PHASE_DONE)
      g_error ("run ended in %s", orderly_phase_to_string (d->phase));

    result.total_ms = d->total_ms;
    result.generation_ms = d->generation_ms;
    result.enqueue_vip_ms = d->enqueue_vip_ms;
    result.enqueue_normal_ms = d->enqueue_normal_ms;
    result.vip_ms = d->vip_ms;
    result.normal_ms = d->normal_ms;
    (void) start;
    result.peak_rss_mib = peak_rss_mib ();
  }
  remove_db (dir);
  return result;
}

static void
check (sqlite3 *db,
       int      rc)
{
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
    g_error ("sqlite: %s", sqlite3_errmsg (db));
}

/* The floor: the same rows inserted and updated by one plain loop. */
static double
run_raw (void)
{
  g_autofree char *dir = fresh_dir ();
  g_autofree char *path = g_build_filename (dir, "orderly.db", NULL);
  sqlite3 *db;
  sqlite3_stmt *insert, *update;
  OrderlyOrder order;
  char observations[96];
  gint64 start, created = g_get_real_time ();

  check (NULL, sqlite3_open (path, &db));
  orderly_sqlite_store_apply_pragmas (db);
  check (db, sqlite3_exec (db,
                           "CREATE TABLE orders (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL,"
                           " customer TEXT NOT NULL, priority INTEGER NOT NULL, amount INTEGER NOT NULL,"
                           " created_at INTEGER NOT NULL, status INTEGER NOT NULL DEFAULT 0,"
                           " observations TEXT, processed_at INTEGER, worker INTEGER)",
                           NULL, NULL, NULL));
  check (db, sqlite3_prepare_v2 (db, "INSERT INTO orders (id, run_id, customer, priority, amount,"
                                 " created_at, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)",
                                 -1, &insert, NULL));
  check (db, sqlite3_prepare_v2 (db, "UPDATE orders SET status = 1, observations = ?2,"
                                 " processed_at = ?3, worker = ?4 WHERE id = ?1 AND status = 0",
                                 -1, &update, NULL));

  start = g_get_monotonic_time ();
  for (gint64 i = 0; i < orders; i++)
    {
      if (i % 16384 == 0)
        sqlite3_exec (db, i ? "COMMIT; BEGIN" : "BEGIN", NULL, NULL, NULL);
      orderly_generate_order (1, 1, i, 0.05, created, &order);
      sqlite3_bind_int64 (insert, 1, order.id);
      sqlite3_bind_int64 (insert, 2, order.run_id);
      sqlite3_bind_text (insert, 3, order.customer, -1, SQLITE_STATIC);
      sqlite3_bind_int (insert, 4, order.priority);
      sqlite3_bind_int64 (insert, 5, order.amount_cents);
      sqlite3_bind_int64 (insert, 6, order.created_at_us);
      check (db, sqlite3_step (insert));
      sqlite3_reset (insert);
    }
  sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  for (gint64 i = 0; i < orders; i++)
    {
      if (i % 1024 == 0)
        sqlite3_exec (db, i ? "COMMIT; BEGIN" : "BEGIN", NULL, NULL, NULL);
      {
        /* The same text the engine writes, built as cheaply. */
        char digits[24], *out = g_stpcpy (observations, "NORMAL order ");
        int n = 0;
        guint64 id = i + 1;

        do
          digits[n++] = '0' + id % 10;
        while ((id /= 10) != 0);
        while (n > 0)
          *out++ = digits[--n];
        g_stpcpy (out, " processed by worker 1");
      }
      sqlite3_bind_int64 (update, 1, i + 1);
      sqlite3_bind_text (update, 2, observations, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (update, 3, g_get_real_time ());
      sqlite3_bind_int (update, 4, 1);
      check (db, sqlite3_step (update));
      sqlite3_reset (update);
    }
  sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);

  {
    double ms = (g_get_monotonic_time () - start) / 1000.0;

    sqlite3_finalize (insert);
    sqlite3_finalize (update);
    sqlite3_close (db);
    remove_db (dir);
    return ms;
  }
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *values,
        int     n)
{
  qsort (values, n, sizeof *values, (int (*) (const void *, const void *)) compare_double);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- time a whole run against raw SQLite");
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "orders", 'n', 0, G_OPTION_ARG_INT64, &orders, "Orders per run (default 1000000)", "N" },
    { "repeat", 'r', 0, G_OPTION_ARG_INT, &repeat, "Runs of each (default 3)", "R" },
    { "workers", 'w', 0, G_OPTION_ARG_INT, &workers, "Worker threads (default: processors)", "W" },
    { "engine-only", 0, 0, G_OPTION_ARG_NONE, &engine_only, "Skip the raw SQLite loop (for profiling)", NULL },
    { NULL }
  };
  g_autofree double *total = NULL, *gen = NULL, *vip = NULL, *normal = NULL, *enq = NULL,
                    *rss = NULL, *raw = NULL, *cpu = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  repeat = MAX (repeat, 1);
  total = g_new0 (double, repeat);
  gen = g_new0 (double, repeat);
  vip = g_new0 (double, repeat);
  normal = g_new0 (double, repeat);
  enq = g_new0 (double, repeat);
  rss = g_new0 (double, repeat);
  raw = g_new0 (double, repeat);
  cpu = g_new0 (double, repeat);

  g_print ("bench-engine: %" G_GINT64_FORMAT " orders, %d runs each, %u processors\n",
           orders, repeat, g_get_num_processors ());
  {
    /* Opening a store configures the SQLite library for both contestants. */
    g_autofree char *dir = fresh_dir ();
    g_autofree char *path = g_build_filename (dir, "orderly.db", NULL);
    g_autoptr(OrderlyStore) store = orderly_sqlite_store_new (path, NULL);

    g_clear_pointer (&store, orderly_store_unref);
    remove_db (dir);
  }
  for (int i = 0; i < repeat; i++)
    {
      EngineResult r = run_engine ();

      raw[i] = engine_only ? 0 : run_raw ();
      total[i] = r.total_ms;
      gen[i] = r.generation_ms;
      vip[i] = r.vip_ms;
      normal[i] = r.normal_ms;
      enq[i] = r.enqueue_vip_ms + r.enqueue_normal_ms;
      rss[i] = r.peak_rss_mib;
      cpu[i] = r.cpu_ms;
      g_print ("  run %d: engine %.0f ms (generation %.0f, enqueue %.1f, VIP %.0f, NORMAL %.0f), "
               "%.0f ms of processor time, peak RSS %.1f MiB; raw SQLite loop %.0f ms\n",
               i + 1, r.total_ms, r.generation_ms, r.enqueue_vip_ms + r.enqueue_normal_ms,
               r.vip_ms, r.normal_ms, r.cpu_ms, r.peak_rss_mib, raw[i]);
    }

  {
    double m_total = median (total, repeat), m_raw = median (raw, repeat);

    g_print ("\nmedians over %d runs\n", repeat);
    g_print ("  generation        %8.0f ms\n", median (gen, repeat));
    g_print ("  enqueue VIP+NORMAL%8.1f ms\n", median (enq, repeat));
    g_print ("  VIP processing    %8.0f ms\n", median (vip, repeat));
    g_print ("  NORMAL processing %8.0f ms\n", median (normal, repeat));
    g_print ("  whole run         %8.0f ms  (%.0f orders/s)\n", m_total, orders / (m_total / 1000));
    g_print ("  processor time    %8.0f ms  (every thread of the run)\n", median (cpu, repeat));
    g_print ("  peak RSS          %8.1f MiB\n", median (rss, repeat));
    g_print ("baseline: raw SQLite insert+update loop %.0f ms\n", m_raw);
    g_print ("ratio engine / raw loop: %.2fx (goal <= 1.3x, whole run < 2500 ms, RSS < 150 MiB)\n",
             m_total / m_raw);
    g_print ("for scale: the Node stack it replaces took 8137 s for 1M orders (%.0fx slower)\n",
             8137000.0 / m_total * (orders / 1000000.0));
  }
  return 0;
}
