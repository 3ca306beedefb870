/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The steady-rate timer behind the engine tick. */
#include "config.h"

#include "orderly-periodic.h"

typedef struct
{
  GMainLoop *loop;
  guint      calls;
  guint      wanted;
  /* each call takes this long, as a busy tick would */
  guint      busy_ms;
  /* once only, on this call */
  guint      stall_call;
  guint      stall_ms;
  gint64     times[64];
} Ticks;

static gboolean
tick_cb (gpointer user_data)
{
  Ticks *ticks = user_data;

  ticks->times[ticks->calls] = g_get_monotonic_time ();
  ticks->calls++;
  if (ticks->busy_ms > 0)
    g_usleep (ticks->busy_ms * G_TIME_SPAN_MILLISECOND);
  if (ticks->stall_ms > 0 && ticks->calls == ticks->stall_call)
    g_usleep (ticks->stall_ms * G_TIME_SPAN_MILLISECOND);
  if (ticks->calls < ticks->wanted)
    return G_SOURCE_CONTINUE;
  g_main_loop_quit (ticks->loop);
  return G_SOURCE_REMOVE;
}

static void
run_ticks (Ticks *ticks,
           guint  interval_ms)
{
  ticks->loop = g_main_loop_new (NULL, FALSE);
  orderly_periodic_add (interval_ms, tick_cb, ticks, NULL);
  g_main_loop_run (ticks->loop);
  g_main_loop_unref (ticks->loop);
}

/* A callback that takes 40% of the interval does not slow the rate:
 * g_timeout_add() would stretch 20 intervals of 20 ms to about 28. */
static void
test_periodic_rate (void)
{
  Ticks ticks = { .wanted = 21, .busy_ms = 8 };
  gint64 elapsed;

  run_ticks (&ticks, 20);
  elapsed = ticks.times[20] - ticks.times[0];
  g_test_message ("20 intervals of 20 ms took %.1f ms", elapsed / 1000.0);
  g_assert_cmpint (elapsed, >=, 20 * 20 * G_TIME_SPAN_MILLISECOND - G_TIME_SPAN_MILLISECOND);
  /* Generous for a loaded machine, still well under the drifting rate. */
  g_assert_cmpint (elapsed, <, 20 * 24 * G_TIME_SPAN_MILLISECOND);
}

/* After a stall of several intervals the missed ticks are skipped, not
 * fired back to back, and the next ones keep the original phase. */
static void
test_periodic_skips_missed (void)
{
  Ticks ticks = { .wanted = 6, .stall_call = 2, .stall_ms = 75 };
  gint64 gap;

  run_ticks (&ticks, 20);
  for (guint i = 2; i < 6; i++)
    {
      gap = ticks.times[i] - ticks.times[i - 1];
      g_test_message ("gap %u: %.1f ms", i, gap / 1000.0);
      g_assert_cmpint (gap, >=, 15 * G_TIME_SPAN_MILLISECOND);
    }
  /* The second call stalled for 75 ms; the third came on the grid, 80 ms
   * after the second. */
  gap = ticks.times[2] - ticks.times[1];
  g_assert_cmpint (gap, >=, 75 * G_TIME_SPAN_MILLISECOND);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/periodic/rate", test_periodic_rate);
  g_test_add_func ("/periodic/skips-missed", test_periodic_skips_missed);

  return g_test_run ();
}
