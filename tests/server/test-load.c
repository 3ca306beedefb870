/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "orderly-server-test-util.h"
#include "orderly-test-util.h"

/* Many clients, churn, and a client that stops reading. */

#define ADD(path, func) \
  g_test_add (path, ServerFixture, NULL, server_fixture_setup, func, server_fixture_teardown)

/* Under AddressSanitizer everything is slower, and freed memory is held in
 * quarantine, so RSS says nothing about leaks there. */
#if defined(__SANITIZE_ADDRESS__)
# define UNDER_SANITIZER 1
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define UNDER_SANITIZER 1
# endif
#endif
#ifdef UNDER_SANITIZER
# define SLOWDOWN 4
#else
# define SLOWDOWN 1
#endif

static void
assert_rss_growth_below (gsize before_kib,
                         gsize after_kib,
                         gsize limit_kib)
{
#ifdef UNDER_SANITIZER
  g_test_message ("RSS not checked under AddressSanitizer");
#else
  g_assert_cmpuint (after_kib, <, before_kib + limit_kib);
#endif
}

typedef struct
{
  SoupWebsocketConnection *connection;
  gboolean                 connected;   /* got the `connected` event */
  gboolean                 failed;
  guint                   *n_connected;
} Client;

static void
client_message_cb (SoupWebsocketConnection *connection,
                   gint                     type,
                   GBytes                  *message,
                   Client                  *client)
{
  if (!client->connected && strstr (g_bytes_get_data (message, NULL), "\"event\":\"connected\"") != NULL)
    {
      client->connected = TRUE;
      (*client->n_connected)++;
    }
}

static void
client_connect_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Client *client = user_data;
  g_autoptr(GError) error = NULL;

  client->connection = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (client->connection == NULL)
    {
      g_test_message ("connection failed: %s", error->message);
      client->failed = TRUE;
      (*client->n_connected)++;
      return;
    }
  g_signal_connect (client->connection, "message", G_CALLBACK (client_message_cb), client);
}

static void
connect_clients (ServerFixture *fixture,
                 Client        *clients,
                 guint          n_clients,
                 guint         *n_connected)
{
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/ws", fixture->port);

  for (guint i = 0; i < n_clients; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);

      clients[i].n_connected = n_connected;
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    "Bearer " TEST_VIEWER_TOKEN);
      soup_session_websocket_connect_async (fixture->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                            NULL, client_connect_cb, &clients[i]);
    }
}

static void
close_clients (Client *clients,
               guint   n_clients)
{
  for (guint i = 0; i < n_clients; i++)
    {
      if (clients[i].connection == NULL)
        continue;
      g_signal_handlers_disconnect_by_data (clients[i].connection, &clients[i]);
      if (soup_websocket_connection_get_state (clients[i].connection) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (clients[i].connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_clear_object (&clients[i].connection);
    }
}

typedef struct
{
  guint *counter;
  guint  target;
} Count;

static gboolean
count_reached (gconstpointer user_data)
{
  const Count *count = user_data;

  return *count->counter >= count->target;
}

static gboolean
wait_for_count (guint   *counter,
                guint    target,
                guint    timeout_ms)
{
  Count count = { counter, target };

  return test_wait_for (count_reached, &count, timeout_ms);
}

typedef struct
{
  gsize limit;
} FdLimit;

static gboolean
fds_at_most (gconstpointer user_data)
{
  return test_count_fds () <= ((const FdLimit *) user_data)->limit;
}

/* Frames hold NUL bytes in their headers: search the whole buffer. */
static gboolean
contains (GString    *buffer,
          const char *needle)
{
  gsize length = strlen (needle);

  for (gsize i = 0; i + length <= buffer->len; i++)
    {
      if (memcmp (buffer->str + i, needle, length) == 0)
        return TRUE;
    }
  return FALSE;
}

/* The clients here are bare sockets that send the handshake and look for
 * the `connected` event, so that what is measured is the server. */
static void
test_load_many_at_once (ServerFixture *fixture,
                        gconstpointer  data)
{
  GSocket *sockets[200] = { NULL };
  GString *received[200] = { NULL };
  guint n_connected = 0;
  gint64 start = g_get_monotonic_time ();
  /* A liveness bound: how fast they connect is bench-fanout's to say. */
  gint64 deadline = start + SLOWDOWN * 10 * G_USEC_PER_SEC;

  for (guint i = 0; i < G_N_ELEMENTS (sockets); i++)
    {
      sockets[i] = test_raw_ws_connect (fixture->port, TEST_VIEWER_TOKEN, 0);
      g_socket_set_blocking (sockets[i], FALSE);
      received[i] = g_string_new (NULL);
    }
  while (n_connected < G_N_ELEMENTS (sockets) && g_get_monotonic_time () < deadline)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      for (guint i = 0; i < G_N_ELEMENTS (sockets); i++)
        {
          char buffer[4096];
          gssize n;

          if (sockets[i] == NULL)
            continue;
          n = g_socket_receive (sockets[i], buffer, sizeof buffer, NULL, NULL);
          if (n <= 0)
            continue;
          g_string_append_len (received[i], buffer, n);
          if (contains (received[i], "\"event\":\"connected\""))
            {
              g_assert_true (g_str_has_prefix (received[i]->str, "HTTP/1.1 101"));
              n_connected++;
              g_clear_object (&sockets[i]);
            }
        }
    }
  g_test_message ("%u clients connected in %" G_GINT64_FORMAT " ms", n_connected,
                  (g_get_monotonic_time () - start) / 1000);
  g_assert_cmpuint (n_connected, ==, G_N_ELEMENTS (sockets));

  for (guint i = 0; i < G_N_ELEMENTS (sockets); i++)
    g_string_free (received[i], TRUE);
  g_assert_true (server_fixture_wait_clients (fixture, 0, 5000));
}

static void
cycle (ServerFixture *fixture,
       guint          n_cycles,
       guint          batch)
{
  for (guint done = 0; done < n_cycles; done += batch)
    {
      g_autofree Client *clients = g_new0 (Client, batch);
      guint n_connected = 0;

      connect_clients (fixture, clients, batch, &n_connected);
      g_assert_true (wait_for_count (&n_connected, batch, 10000));
      close_clients (clients, batch);
      g_assert_true (server_fixture_wait_clients (fixture, 0, 10000));
    }
}

static void
test_load_churn (ServerFixture *fixture,
                 gconstpointer  data)
{
  gsize fds_before, fds_after, rss_before, rss_after;

  FdLimit limit;

  /* Warm up: caches, pools and the allocator reach their steady size. */
  cycle (fixture, 200, 20);
  fds_before = test_count_fds ();
  rss_before = test_rss_kib ();

  cycle (fixture, 2000, 20);
  /* Every connection's descriptors go once it is gone. */
  limit.limit = fds_before + 2;
  g_assert_true (test_wait_for (fds_at_most, &limit, 10000));
  fds_after = test_count_fds ();
  rss_after = test_rss_kib ();

  g_test_message ("fds %zu → %zu, RSS %zu → %zu KiB", fds_before, fds_after, rss_before, rss_after);
  /* A loose bound against a leak of a couple of KiB per connection, which
   * 2,000 connections would show; what a client costs is bench-fanout's
   * figure. */
  assert_rss_growth_below (rss_before, rss_after, 4096);
}

typedef struct
{
  guint    lines;
  gboolean got_marker;
  gint64   marker_at;
} FastData;

static void
fast_message_cb (SoupWebsocketConnection *connection,
                 gint                     type,
                 GBytes                  *message,
                 FastData                *data)
{
  const char *text = g_bytes_get_data (message, NULL);

  if (strstr (text, "\"event\":\"logs\"") == NULL)
    return;
  for (const char *p = strstr (text, "\"level\""); p != NULL; p = strstr (p + 1, "\"level\""))
    data->lines++;
  if (strstr (text, "the last line") != NULL)
    {
      data->marker_at = g_get_monotonic_time ();
      data->got_marker = TRUE;
    }
}

/* 20 MB of log lines, much more than the kernel buffers of a stalled
 * connection can absorb, in bursts a reading client keeps up with. */
typedef struct
{
  FastData *data;
  guint     lines;
} LinesWait;

static gboolean
fast_client_has (gconstpointer user_data)
{
  const LinesWait *wait = user_data;

  return wait->data->lines >= wait->lines;
}

/* Each burst goes out before the next is logged, as for a reading client
 * that keeps up; a stalled one falls further behind with each. */
static void
pump_lines (ServerFixture *fixture,
            FastData      *fast_data,
            guint          n_lines)
{
  g_autofree char *padding = g_strnfill (2000, 'x');
  guint before = fast_data->lines;
  LinesWait wait = { fast_data, 0 };

  for (guint i = 0; i < n_lines; i++)
    {
      orderly_engine_log (fixture->engine, ORDERLY_LOG_LEVEL_LOG, "test", NULL, "line %u %s", i, padding);
      if (i % 300 == 299 || i == n_lines - 1)
        {
          orderly_engine_flush (fixture->engine);
          wait.lines = before + i + 1;
          if (!test_wait_for (fast_client_has, &wait, 10000))
            g_error ("the fast client fell behind: %u of %u lines", fast_data->lines, wait.lines);
        }
    }
}

static void
test_load_slow_client (ServerFixture *fixture,
                       gconstpointer  data)
{
  g_autoptr(GSocket) stalled = NULL;
  g_autoptr(TestWs) fast = NULL;
  FastData fast_data = { 0 };
  gsize rss_before, rss_after;
  gint64 marker_logged;
  const guint n_lines = 10000;

  orderly_hub_set_limits (orderly_server_get_hub (fixture->server), 1000, 10,
                          ORDERLY_HUB_DEFAULT_REPLAY_EVENTS);
  fast = test_ws_connect (fixture, "/ws", TEST_VIEWER_TOKEN, NULL);
  fast->ignore_events = TRUE;
  g_signal_connect (fast->connection, "message", G_CALLBACK (fast_message_cb), &fast_data);

  /* A first round with the fast client alone fills the log store, the
   * replay buffer and the database cache to their steady size. */
  pump_lines (fixture, &fast_data, n_lines);
  rss_before = test_rss_kib ();
  fast_data.lines = 0;

  /* A client that completes the handshake and then never reads again. */
  stalled = test_raw_ws_connect (fixture->port, TEST_VIEWER_TOKEN, 4096);
  g_assert_true (server_fixture_wait_clients (fixture, 2, 2000));
  pump_lines (fixture, &fast_data, n_lines);
  orderly_engine_log (fixture->engine, ORDERLY_LOG_LEVEL_LOG, "test", NULL, "the last line");
  marker_logged = g_get_monotonic_time ();

  if (!test_run_until (&fast_data.got_marker, 10000))
    g_error ("the fast client did not get the last line: %u lines, closed %d (%u), %u clients",
             fast_data.lines, fast->closed, fast->close_code,
             g_list_model_get_n_items (orderly_remote_get_clients (fixture->remote)));
  /* The 10 s above are a liveness bound: the fast client is not held up
   * behind the stalled one. How soon it gets a line is bench-fanout's. */
  g_test_message ("the fast client got the last line %" G_GINT64_FORMAT " ms after it was logged, "
                  "%u lines in all", (fast_data.marker_at - marker_logged) / 1000, fast_data.lines);
  g_assert_cmpuint (fast_data.lines, >=, n_lines);

  /* The stalled client was closed, and what it was owed was dropped. */
  g_assert_true (server_fixture_wait_clients (fixture, 1, 10000));
  g_assert_cmpuint (orderly_hub_get_messages_dropped (orderly_server_get_hub (fixture->server)), >, 0);
  rss_after = test_rss_kib ();
  g_test_message ("RSS with the stalled client: %zu → %zu KiB", rss_before, rss_after);
  /* Bounded memory, not a budget: the stalled client was owed 20 MB of
   * lines, and the server never held them. */
  assert_rss_growth_below (rss_before, rss_after, 16 * 1024);
  g_assert_false (fast->closed);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD ("/orderly/server/load/many-at-once", test_load_many_at_once);
  ADD ("/orderly/server/load/churn", test_load_churn);
  ADD ("/orderly/server/load/slow-client", test_load_slow_client);

  return g_test_run ();
}
