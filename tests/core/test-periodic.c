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
  /* the deadline each call was due at, read from its source */
  gint64     due[64];
} Ticks;

static gboolean
tick_cb (gpointer user_data)
{
  Ticks *ticks = user_data;

  ticks->due[ticks->calls] = g_source_get_ready_time (g_main_current_source ());
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

/* A callback that takes 40% of the interval does not slow the rate: every
 * call is due on the grid laid from the first, where g_timeout_add() would
 * count each interval from the end of the previous call. The deadlines are
 * read from the source, so a loaded machine cannot make this test fail;
 * a tick it makes late is skipped, and the next is still on the grid. */
static void
test_periodic_rate (void)
{
  Ticks ticks = { .wanted = 21, .busy_ms = 8 };
  const gint64 interval = 20 * G_TIME_SPAN_MILLISECOND;

  run_ticks (&ticks, 20);
  for (guint i = 1; i < ticks.wanted; i++)
    {
      gint64 since_first = ticks.due[i] - ticks.due[0];

      g_assert_cmpint (ticks.due[i], >, ticks.due[i - 1]);
      g_assert_cmpint (since_first % interval, ==, 0);
    }
  g_test_message ("20 calls due over %.1f ms",
                  (ticks.due[20] - ticks.due[0]) / 1000.0);
}

/* After a stall of several intervals the missed ticks are skipped, not
 * fired back to back, and the next ones keep the original phase. */
static void
test_periodic_skips_missed (void)
{
  Ticks ticks = { .wanted = 6, .stall_call = 2, .stall_ms = 75 };
  const gint64 interval = 20 * G_TIME_SPAN_MILLISECOND;

  run_ticks (&ticks, 20);
  for (guint i = 1; i < ticks.wanted; i++)
    {
      gint64 gap = ticks.due[i] - ticks.due[i - 1];

      g_test_message ("gap %u: %.1f ms", i, gap / 1000.0);
      g_assert_cmpint (gap, >=, interval);
      g_assert_cmpint (gap % interval, ==, 0);
    }
  /* The second call stalled for 75 ms, so the three ticks due meanwhile
   * were skipped: the third call is due at least four intervals later. */
  g_assert_cmpint (ticks.due[2] - ticks.due[1], >=, 4 * interval);
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
