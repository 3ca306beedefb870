/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The shared heartbeat timer of the Engine.IO server. */
#include "config.h"

#include "orderly-eio-heartbeat.h"

typedef struct
{
  OrderlyEioBeat  beat;
  const char     *name;
  /* answers every ping at once */
  gboolean        answers;
  guint           pings;
  gint64          first_ping;
  gint64          timed_out;
} FakeSession;

typedef struct
{
  OrderlyEioHeartbeat *heartbeat;
  gint64               started;
} Fixture;

static void
ping_cb (gpointer session,
         gpointer user_data)
{
  Fixture *fixture = user_data;
  FakeSession *fake = session;

  if (fake->pings++ == 0)
    fake->first_ping = g_get_monotonic_time () - fixture->started;
  if (fake->answers)
    orderly_eio_heartbeat_schedule (fixture->heartbeat, &fake->beat, fake);
}

static void
timeout_cb (gpointer session,
            gpointer user_data)
{
  Fixture *fixture = user_data;
  FakeSession *fake = session;

  g_assert_cmpint (fake->timed_out, ==, 0);
  fake->timed_out = g_get_monotonic_time () - fixture->started;
}

static void
run_for (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (500), TRUE);
}

/* A session that answers is pinged every interval and never closed; one
 * that does not is closed once, a timeout after its only ping; one taken
 * out hears nothing more. */
static void
test_heartbeat_ping_and_timeout (void)
{
  Fixture fixture = { 0 };
  FakeSession answering = { .name = "answering", .answers = TRUE };
  FakeSession silent = { .name = "silent" };
  FakeSession removed = { .name = "removed", .answers = TRUE };

  fixture.heartbeat = orderly_eio_heartbeat_new (ping_cb, timeout_cb, &fixture);
  orderly_eio_heartbeat_set_timing (fixture.heartbeat, 80, 60);
  fixture.started = g_get_monotonic_time ();
  orderly_eio_heartbeat_schedule (fixture.heartbeat, &answering.beat, &answering);
  orderly_eio_heartbeat_schedule (fixture.heartbeat, &silent.beat, &silent);
  orderly_eio_heartbeat_schedule (fixture.heartbeat, &removed.beat, &removed);
  orderly_eio_heartbeat_remove (fixture.heartbeat, &removed.beat);

  run_for (500);

  g_test_message ("answering: %u pings, first after %.1f ms", answering.pings, answering.first_ping / 1000.0);
  g_test_message ("silent: timed out after %.1f ms", silent.timed_out / 1000.0);
  /* Pings go out up to an eighth of the interval early, never later than
   * a loaded machine makes them. */
  g_assert_cmpint (answering.first_ping, >=, 70 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpuint (answering.pings, >=, 4);
  g_assert_cmpuint (answering.pings, <=, 8);
  g_assert_cmpint (answering.timed_out, ==, 0);

  g_assert_cmpuint (silent.pings, ==, 1);
  g_assert_cmpint (silent.timed_out, >=, silent.first_ping + 60 * G_TIME_SPAN_MILLISECOND);

  g_assert_cmpuint (removed.pings, ==, 0);
  g_assert_cmpint (removed.timed_out, ==, 0);

  orderly_eio_heartbeat_remove (fixture.heartbeat, &answering.beat);
  orderly_eio_heartbeat_free (fixture.heartbeat);
}

/* Many sessions scheduled a little apart share dispatches instead of
 * waking the main loop once each. */
static void
test_heartbeat_batches (void)
{
  Fixture fixture = { 0 };
  FakeSession sessions[200] = { 0 };
  guint iterations = 0;
  gint64 until;

  fixture.heartbeat = orderly_eio_heartbeat_new (ping_cb, timeout_cb, &fixture);
  orderly_eio_heartbeat_set_timing (fixture.heartbeat, 400, 300);
  fixture.started = g_get_monotonic_time ();
  for (guint i = 0; i < G_N_ELEMENTS (sessions); i++)
    {
      sessions[i].answers = TRUE;
      orderly_eio_heartbeat_schedule (fixture.heartbeat, &sessions[i].beat, &sessions[i]);
      /* 200 sessions over 100 ms */
      g_usleep (500);
    }

  until = g_get_monotonic_time () + 600 * G_TIME_SPAN_MILLISECOND;
  while (g_get_monotonic_time () < until)
    {
      if (g_main_context_iteration (NULL, FALSE))
        iterations++;
      else
        g_usleep (500);
    }

  g_test_message ("%u dispatching iterations for 200 sessions", iterations);
  for (guint i = 0; i < G_N_ELEMENTS (sessions); i++)
    g_assert_cmpuint (sessions[i].pings, >=, 1);
  /* A slack of 50 ms over 100 ms of deadlines: a handful, not 200. */
  g_assert_cmpuint (iterations, <=, 20);

  for (guint i = 0; i < G_N_ELEMENTS (sessions); i++)
    orderly_eio_heartbeat_remove (fixture.heartbeat, &sessions[i].beat);
  orderly_eio_heartbeat_free (fixture.heartbeat);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/eio/heartbeat/ping-and-timeout", test_heartbeat_ping_and_timeout);
  g_test_add_func ("/eio/heartbeat/batches", test_heartbeat_batches);

  return g_test_run ();
}
