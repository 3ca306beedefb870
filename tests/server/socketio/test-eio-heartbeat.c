/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The shared heartbeat timer of the Engine.IO server, on a clock the test
 * moves: every deadline is checked to the microsecond, without waiting. */
#include "config.h"

#include "orderly-eio-heartbeat.h"

#define MS G_TIME_SPAN_MILLISECOND

typedef struct
{
  OrderlyEioBeat  beat;
  /* answers every ping at once */
  gboolean        answers;
  guint           pings;
  gint64          first_ping;
  gint64          last_ping;
  gint64          timed_out;
} FakeSession;

typedef struct
{
  OrderlyEioHeartbeat *heartbeat;
  gint64               now;
  /* runs that pinged or closed something */
  guint                busy_runs;
  gboolean             busy;
} Fixture;

static gint64
clock_cb (gpointer user_data)
{
  return ((Fixture *) user_data)->now;
}

static void
ping_cb (gpointer session,
         gpointer user_data)
{
  Fixture *fixture = user_data;
  FakeSession *fake = session;

  fixture->busy = TRUE;
  if (fake->pings++ == 0)
    fake->first_ping = fixture->now;
  fake->last_ping = fixture->now;
  if (fake->answers)
    orderly_eio_heartbeat_schedule (fixture->heartbeat, &fake->beat, fake);
}

static void
timeout_cb (gpointer session,
            gpointer user_data)
{
  Fixture *fixture = user_data;
  FakeSession *fake = session;

  fixture->busy = TRUE;
  g_assert_cmpint (fake->timed_out, ==, 0);
  fake->timed_out = fixture->now;
}

static void
fixture_init (Fixture *fixture,
              guint    interval_ms,
              guint    timeout_ms)
{
  fixture->heartbeat = orderly_eio_heartbeat_new (ping_cb, timeout_cb, fixture);
  orderly_eio_heartbeat_set_clock (fixture->heartbeat, clock_cb, fixture);
  orderly_eio_heartbeat_set_timing (fixture->heartbeat, interval_ms, timeout_ms);
}

/* Moves the clock to @until, running the heartbeat at every deadline on
 * the way, as its source does. */
static void
advance_to (Fixture *fixture,
            gint64   until)
{
  for (;;)
    {
      gint64 next = orderly_eio_heartbeat_get_next_deadline (fixture->heartbeat);

      if (next < 0 || next > until)
        break;
      /* Deadlines only move forward. */
      g_assert_cmpint (next, >=, fixture->now);
      fixture->now = next;
      fixture->busy = FALSE;
      orderly_eio_heartbeat_run (fixture->heartbeat);
      g_assert_true (fixture->busy);
      fixture->busy_runs++;
    }
  fixture->now = until;
}

/* A session that answers is pinged every interval and never closed; one
 * that does not is closed once, exactly a timeout after its only ping; one
 * taken out hears nothing more. */
static void
test_heartbeat_ping_and_timeout (void)
{
  Fixture fixture = { 0 };
  FakeSession answering = { .answers = TRUE };
  FakeSession silent = { 0 };
  FakeSession removed = { .answers = TRUE };

  fixture_init (&fixture, 300, 200);
  orderly_eio_heartbeat_schedule (fixture.heartbeat, &answering.beat, &answering);
  orderly_eio_heartbeat_schedule (fixture.heartbeat, &silent.beat, &silent);
  orderly_eio_heartbeat_schedule (fixture.heartbeat, &removed.beat, &removed);
  orderly_eio_heartbeat_remove (fixture.heartbeat, &removed.beat);

  g_assert_cmpint (orderly_eio_heartbeat_get_next_deadline (fixture.heartbeat), ==, 300 * MS);
  advance_to (&fixture, 300 * MS - 1);
  g_assert_cmpuint (answering.pings + silent.pings, ==, 0);
  advance_to (&fixture, 300 * MS);
  g_assert_cmpint (answering.first_ping, ==, 300 * MS);
  g_assert_cmpint (silent.first_ping, ==, 300 * MS);

  /* The timeout comes at pingInterval + pingTimeout, to the microsecond. */
  g_assert_cmpint (orderly_eio_heartbeat_get_next_deadline (fixture.heartbeat), ==, 500 * MS);
  advance_to (&fixture, 500 * MS - 1);
  g_assert_cmpint (silent.timed_out, ==, 0);
  advance_to (&fixture, 500 * MS);
  g_assert_cmpint (silent.timed_out, ==, 500 * MS);

  advance_to (&fixture, 3000 * MS);
  g_assert_cmpuint (answering.pings, ==, 10);
  g_assert_cmpint (answering.last_ping, ==, 3000 * MS);
  g_assert_cmpint (answering.timed_out, ==, 0);
  g_assert_cmpuint (silent.pings, ==, 1);
  g_assert_cmpuint (removed.pings, ==, 0);
  g_assert_cmpint (removed.timed_out, ==, 0);

  orderly_eio_heartbeat_remove (fixture.heartbeat, &answering.beat);
  g_assert_cmpint (orderly_eio_heartbeat_get_next_deadline (fixture.heartbeat), ==, -1);
  orderly_eio_heartbeat_free (fixture.heartbeat);
}

/* A pong that comes just before the deadline keeps the session; the next
 * ping is an interval after the pong, not after the ping. */
static void
test_heartbeat_pong_in_time (void)
{
  Fixture fixture = { 0 };
  FakeSession session = { 0 };

  fixture_init (&fixture, 300, 200);
  orderly_eio_heartbeat_schedule (fixture.heartbeat, &session.beat, &session);
  advance_to (&fixture, 300 * MS);
  g_assert_cmpuint (session.pings, ==, 1);

  advance_to (&fixture, 500 * MS - 1);
  orderly_eio_heartbeat_schedule (fixture.heartbeat, &session.beat, &session);
  g_assert_cmpint (orderly_eio_heartbeat_get_next_deadline (fixture.heartbeat), ==, 800 * MS - 1);
  advance_to (&fixture, 800 * MS - 1);
  g_assert_cmpint (session.timed_out, ==, 0);
  g_assert_cmpuint (session.pings, ==, 2);

  orderly_eio_heartbeat_remove (fixture.heartbeat, &session.beat);
  orderly_eio_heartbeat_free (fixture.heartbeat);
}

/* Sessions scheduled a little apart share runs instead of waking the main
 * loop once each: pings go out with the first one due within the slack,
 * never after their deadline, and those pinged together that do not answer
 * are closed together, each exactly a timeout after its ping. */
static void
test_heartbeat_batches (void)
{
  Fixture fixture = { 0 };
  FakeSession sessions[200] = { 0 };
  gint64 scheduled[G_N_ELEMENTS (sessions)];

  fixture_init (&fixture, 400, 300);
  for (guint i = 0; i < G_N_ELEMENTS (sessions); i++)
    {
      /* 200 sessions over 100 ms; the odd ones never answer */
      fixture.now = i * 500;
      scheduled[i] = fixture.now;
      sessions[i].answers = i % 2 == 0;
      orderly_eio_heartbeat_schedule (fixture.heartbeat, &sessions[i].beat, &sessions[i]);
    }

  advance_to (&fixture, 600 * MS);
  g_test_message ("%u runs for the first pings of 200 sessions", fixture.busy_runs);
  for (guint i = 0; i < G_N_ELEMENTS (sessions); i++)
    {
      gint64 deadline = scheduled[i] + 400 * MS;

      g_assert_cmpuint (sessions[i].pings, ==, 1);
      g_assert_cmpint (sessions[i].first_ping, <=, deadline);
      g_assert_cmpint (sessions[i].first_ping, >=, deadline - 50 * MS);
    }
  /* An eighth of 400 ms over 100 ms of deadlines: two runs, not 200. */
  g_assert_cmpuint (fixture.busy_runs, ==, 2);

  fixture.busy_runs = 0;
  advance_to (&fixture, 760 * MS);
  for (guint i = 0; i < G_N_ELEMENTS (sessions); i++)
    if (!sessions[i].answers)
      g_assert_cmpint (sessions[i].timed_out, ==, sessions[i].first_ping + 300 * MS);
  /* one run for each group's timeouts */
  g_assert_cmpuint (fixture.busy_runs, ==, 2);

  for (guint i = 0; i < G_N_ELEMENTS (sessions); i++)
    orderly_eio_heartbeat_remove (fixture.heartbeat, &sessions[i].beat);
  orderly_eio_heartbeat_free (fixture.heartbeat);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/orderly/engineio/heartbeat/ping-and-timeout", test_heartbeat_ping_and_timeout);
  g_test_add_func ("/orderly/engineio/heartbeat/pong-in-time", test_heartbeat_pong_in_time);
  g_test_add_func ("/orderly/engineio/heartbeat/batches", test_heartbeat_batches);

  return g_test_run ();
}
