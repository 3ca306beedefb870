/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>

#include "orderly-ui-test-util.h"

/*
 * The window under load: a run of ORDERLY_BENCH_ORDERS orders (default one
 * million) while 5,000 extra log lines a second arrive, each page shown in
 * turn. Prints the frame clock's frame intervals per page (median, p95,
 * worst) and the resident memory. A benchmark: it prints, it does not judge.
 *
 *   xvfb-run -a dbus-run-session -- env GSETTINGS_BACKEND=memory \
 *     GSETTINGS_SCHEMA_DIR=_build/data _build/tests/ui/bench-window
 */

#define LINES_PER_SECOND 5000
#define LINE_BATCHES_PER_SECOND 100

typedef struct
{
  OrderlyEngine *engine;
  guint64        lines;
  gboolean       direct;
} Flood;

/* Straight into the log store, in the batches the engine's tick makes, to
 * see the window's own cost without the engine's. */
static void
flood_direct (Flood *flood)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < LINES_PER_SECOND / ORDERLY_DEFAULT_TICK_HZ; i++)
    {
      g_autofree char *message = NULL;
      g_autoptr(OrderlyLogRecord) record = NULL;

      flood->lines++;
      message = g_strdup_printf ("Flood line %" G_GUINT64_FORMAT ": order batch acknowledged by downstream system",
                                 flood->lines);
      record = orderly_log_record_new (flood->lines % 50 == 0 ? ORDERLY_LOG_LEVEL_WARN : ORDERLY_LOG_LEVEL_LOG,
                                       "bench", message, NULL);
      g_ptr_array_add (entries, orderly_log_entry_new_from_record (g_steal_pointer (&record)));
    }
  {
    gint64 t0 = g_get_monotonic_time ();

    orderly_log_store_append (orderly_engine_get_log_store (flood->engine),
                              (OrderlyLogEntry **) entries->pdata, entries->len);
    if (g_getenv ("ORDERLY_BENCH_TRACE"))
      g_printerr ("append %.1f ms\n", (g_get_monotonic_time () - t0) / 1000.0);
  }
}

static gboolean
flood_cb (gpointer user_data)
{
  Flood *flood = user_data;

  if (flood->direct)
    {
      flood_direct (flood);
      return G_SOURCE_CONTINUE;
    }
  for (guint i = 0; i < LINES_PER_SECOND / LINE_BATCHES_PER_SECOND; i++)
    {
      flood->lines++;
      orderly_engine_log (flood->engine,
                          flood->lines % 50 == 0 ? ORDERLY_LOG_LEVEL_WARN : ORDERLY_LOG_LEVEL_LOG,
                          "bench", NULL,
                          "Flood line %" G_GUINT64_FORMAT ": order batch acknowledged by downstream system",
                          flood->lines);
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
redraw_tick (GtkWidget     *widget,
             GdkFrameClock *clock,
             gpointer       user_data)
{
  /* Ask for every frame, as an animation would, so that the clock's
   * intervals show how long the window needs per frame. */
  gtk_widget_queue_draw (widget);
  return G_SOURCE_CONTINUE;
}

static void
after_paint_cb (GdkFrameClock *clock,
                GArray        *intervals)
{
  static gint64 last = 0;
  gint64 now = g_get_monotonic_time ();

  if (last != 0 && intervals != NULL)
    {
      double ms = (now - last) / 1000.0;

      g_array_append_val (intervals, ms);
    }
  last = now;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
rss_mib (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, field);
  if (line == NULL)
    return 0;
  return g_ascii_strtod (line + strlen (field), NULL) / 1024.0;
}

int
main (int   argc,
      char *argv[])
{
  OrderlyUiFixture fixture = { 0 };
  static const char *pages[] = { "overview", "logs", "remote", "history" };
  const char *orders_env = g_getenv ("ORDERLY_BENCH_ORDERS");
  gint64 orders = orders_env ? g_ascii_strtoll (orders_env, NULL, 10) : 1000000;
  guint seconds_per_page = 8;
  GtkAdjustment *quantity;
  Flood flood = { 0 };
  guint flood_source;
  GdkFrameClock *clock;
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (double));
  gint64 started;
  guint round = 0;

  gtk_test_init (&argc, &argv, NULL);
  orderly_ui_fixture_set_up (&fixture, NULL);
  gtk_window_set_default_size (GTK_WINDOW (fixture.window), 1100, 760);
  orderly_ui_wait_for_frames (GTK_WIDGET (fixture.window), 4, 10000);

  quantity = orderly_ui_get_child (fixture.window, ORDERLY_TYPE_WINDOW, "quantity_adjustment");
  gtk_adjustment_set_value (quantity, orders);
  flood.engine = fixture.engine;
  /* ORDERLY_BENCH_UI_ONLY=1: no run, lines go straight to the log store. */
  flood.direct = g_strcmp0 (g_getenv ("ORDERLY_BENCH_UI_ONLY"), "1") == 0;
  /* Direct lines come in the engine's rhythm: one batch per tick. */
  flood_source = g_timeout_add (flood.direct ? 1000 / ORDERLY_DEFAULT_TICK_HZ : 1000 / LINE_BATCHES_PER_SECOND,
                                flood_cb, &flood);
  gtk_widget_add_tick_callback (GTK_WIDGET (fixture.window), redraw_tick, NULL, NULL);
  /* ORDERLY_BENCH_NO_FOLLOW=1: the log view stays where it is. */
  if (g_strcmp0 (g_getenv ("ORDERLY_BENCH_NO_FOLLOW"), "1") == 0)
    g_object_set (orderly_ui_get_child (fixture.window, ORDERLY_TYPE_WINDOW, "logs_page"),
                  "following", FALSE, NULL);
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (fixture.window));

  if (!flood.direct)
    gtk_widget_activate_action (GTK_WIDGET (fixture.window), "win.start", NULL);
  started = g_get_monotonic_time ();
  g_print ("bench-window: %" G_GINT64_FORMAT " orders, %d log lines/s on top%s\n",
           flood.direct ? 0 : orders, LINES_PER_SECOND,
           flood.direct ? " (window only: no run, lines straight into the log store)" : "");
  g_print ("renderer: %s, %u processors\n",
           G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (fixture.window))),
           g_get_num_processors ());
  g_print ("%-9s %7s %9s %9s %9s %8s %9s %9s\n",
           "page", "frames", "median", "p95", "worst", "fps@p95", "log lines", "RSS MiB");

  while (orderly_engine_is_running (fixture.engine) || round < G_N_ELEMENTS (pages))
    {
      const char *page = pages[round % G_N_ELEMENTS (pages)];
      g_autoptr(GArray) intervals = g_array_new (FALSE, FALSE, sizeof (double));
      gulong handler;
      double median, p95, worst;

      gtk_widget_activate_action (GTK_WIDGET (fixture.window), "win.show-page", "s", page);
      orderly_ui_spin (500);
      after_paint_cb (clock, NULL);
      handler = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), intervals);
      orderly_ui_spin (seconds_per_page * 1000);
      g_signal_handler_disconnect (clock, handler);

      g_array_sort (intervals, compare_doubles);
      if (intervals->len == 0)
        continue;
      g_array_append_vals (all, intervals->data, intervals->len);
      median = g_array_index (intervals, double, intervals->len / 2);
      p95 = g_array_index (intervals, double, (guint) (intervals->len * 0.95));
      worst = g_array_index (intervals, double, intervals->len - 1);
      g_print ("%-9s %7u %7.1fms %7.1fms %7.1fms %8.1f %9u %9.1f\n",
               page, intervals->len, median, p95, worst, 1000.0 / p95,
               g_list_model_get_n_items (G_LIST_MODEL (orderly_engine_get_log_store (fixture.engine))),
               rss_mib ("VmRSS:"));
      round++;
      if (round > 40)
        break;
    }

  g_array_sort (all, compare_doubles);
  if (all->len > 0)
    {
      double p95 = g_array_index (all, double, (guint) (all->len * 0.95));

      g_print ("all pages: %u frames, p95 frame time %.1f ms (%.1f fps), median %.1f ms\n",
               all->len, p95, 1000.0 / p95, g_array_index (all, double, all->len / 2));
    }
  g_print ("run: %s after %.1f s, %" G_GINT64_FORMAT " processed; flood lines sent: %" G_GUINT64_FORMAT "\n",
           orderly_phase_to_string (orderly_status_get_phase (orderly_engine_get_status (fixture.engine))),
           (g_get_monotonic_time () - started) / 1e6,
           orderly_status_get_data (orderly_engine_get_status (fixture.engine))->processed_total,
           flood.lines);
  g_print ("RSS now %.1f MiB, peak %.1f MiB\n", rss_mib ("VmRSS:"), rss_mib ("VmHWM:"));

  g_source_remove (flood_source);
  orderly_engine_cancel (fixture.engine);
  orderly_ui_wait_until (orderly_ui_phase_finished, fixture.engine, 30000);
  orderly_ui_fixture_tear_down (&fixture, NULL);
  return 0;
}
