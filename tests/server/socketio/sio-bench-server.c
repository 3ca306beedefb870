/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Socket.IO layer under a synthetic feed, for tests/bench/bench-socketio:
 * every tick (at a steady rate) it broadcasts one `status`, one `progress` (both latest-wins)
 * and --logs-per-tick `log` events, each encoded once for all clients. */
#include "config.h"

#include <stdio.h>

#include "orderly-periodic.h"
#include "orderly-sio-packet.h"
#include "orderly-sio-server.h"

typedef struct
{
  OrderlySioServer *sio;
  guint             logs_per_tick;
  guint64           tick;
  guint64           line;
} Feed;

static double
now_ms (void)
{
  return g_get_real_time () / 1000.0;
}

/* The feed's JSON is already compact and escaped: wrap it as is, the way
 * the server's hub glue does. */
static GBytes *
encode_event (const char *name,
              const char *json)
{
  GString *out = g_string_new ("42[\"");

  g_string_append (out, name);
  g_string_append (out, "\",");
  g_string_append (out, json);
  g_string_append_c (out, ']');
  return g_string_free_to_bytes (out);
}

static gboolean
tick_cb (gpointer user_data)
{
  Feed *feed = user_data;
  g_autofree char *status = NULL;
  g_autofree char *progress = NULL;
  g_autoptr(GBytes) status_packet = NULL;
  g_autoptr(GBytes) progress_packet = NULL;

  if (orderly_sio_server_get_n_sockets (feed->sio, "/") == 0)
    return G_SOURCE_CONTINUE;

  feed->tick++;
  status = g_strdup_printf ("{\"phase\":\"WAITING_NORMAL_DRAIN\",\"generationTimeMs\":1520,"
                            "\"enqueueVipTimeMs\":210,\"enqueueNormalTimeMs\":880,"
                            "\"processing\":{\"vip\":{\"start\":\"2026-11-25T17:00:00.000Z\","
                            "\"end\":\"2026-11-25T17:00:04.000Z\",\"timeMs\":4000,\"count\":%" G_GUINT64_FORMAT "},"
                            "\"normal\":{\"start\":\"2026-11-25T17:00:04.000Z\",\"end\":null,\"timeMs\":%" G_GUINT64_FORMAT
                            ",\"count\":%" G_GUINT64_FORMAT "}},\"totalTimeMs\":%" G_GUINT64_FORMAT ","
                            "\"counts\":{\"vip\":100000,\"normal\":900000},"
                            "\"throughput\":{\"vip\":25000.0,\"normal\":21000.5,\"overall\":22000.25},"
                            "\"eta\":{\"estimatedMs\":30000,\"progressPercent\":42.5},"
                            "\"progress\":{\"target\":1000000,\"generated\":1000000,\"processedTotal\":%" G_GUINT64_FORMAT "},"
                            "\"timestamp\":\"2026-11-25T17:00:10.000Z\",\"message\":\"Processing\",\"sentAt\":%.3f}",
                            feed->tick, feed->tick * 100, feed->tick * 7, feed->tick * 100, feed->tick * 9, now_ms ());
  status_packet = encode_event ("status", status);
  orderly_sio_server_broadcast_latest (feed->sio, NULL, 1, status_packet);

  progress = g_strdup_printf ("{\"phase\":\"WAITING_NORMAL_DRAIN\",\"progress\":42.5,\"total\":1000000,"
                              "\"current\":%" G_GUINT64_FORMAT ",\"message\":\"Processing normal orders\","
                              "\"vipProcessed\":100000,\"normalProcessed\":%" G_GUINT64_FORMAT ","
                              "\"generationTime\":1520,\"vipProcessingTime\":4000,\"normalProcessingTime\":%"
                              G_GUINT64_FORMAT ",\"timestamp\":\"2026-11-25T17:00:10.000Z\",\"sentAt\":%.3f}",
                              feed->tick * 9, feed->tick * 8, feed->tick * 100, now_ms ());
  progress_packet = encode_event ("progress", progress);
  orderly_sio_server_broadcast_latest (feed->sio, NULL, 2, progress_packet);

  for (guint i = 0; i < feed->logs_per_tick; i++)
    {
      g_autofree char *log = NULL;
      g_autoptr(GBytes) log_packet = NULL;

      feed->line++;
      log = g_strdup_printf ("{\"timestamp\":%" G_GINT64_FORMAT ",\"level\":\"log\","
                             "\"message\":\"Worker 3 processed order %" G_GUINT64_FORMAT " (NORMAL, 12999 cents)\","
                             "\"category\":\"processing\",\"data\":{\"orderId\":%" G_GUINT64_FORMAT ",\"worker\":3},"
                             "\"sentAt\":%.3f}",
                             g_get_real_time () / 1000, feed->line, feed->line, now_ms ());
      log_packet = encode_event ("log", log);
      orderly_sio_server_broadcast (feed->sio, NULL, log_packet);
    }

  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GError) error = NULL;
  g_autoslist(GUri) uris = NULL;
  g_autofree char *uri = NULL;
  int tick_ms = 100;
  int logs_per_tick = 8;
  Feed feed = { 0 };
  GOptionEntry entries[] = {
    { "tick-ms", 0, 0, G_OPTION_ARG_INT, &tick_ms, "Milliseconds between ticks", "MS" },
    { "logs-per-tick", 0, 0, G_OPTION_ARG_INT, &logs_per_tick, "Log events per tick", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- Socket.IO benchmark feed");

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  server = soup_server_new ("server-header", "Orderly", NULL);
  soup_server_remove_websocket_extension (server, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  feed.sio = orderly_sio_server_new ("/socket.io");
  feed.logs_per_tick = logs_per_tick;
  orderly_sio_server_attach (feed.sio, server);

  {
    g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
    g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                              G_SOCKET_PROTOCOL_TCP, &error);

    if (socket == NULL ||
        !g_socket_bind (socket, address, TRUE, &error) ||
        (g_socket_set_listen_backlog (socket, 4096), !g_socket_listen (socket, &error)) ||
        !soup_server_listen_socket (server, socket, 0, &error))
      {
        g_printerr ("Cannot listen: %s\n", error->message);
        return 1;
      }
  }

  uris = soup_server_get_uris (server);
  uri = g_uri_to_string (uris->data);
  g_print ("Orderly listening on %s\n", uri);
  fflush (stdout);

  orderly_periodic_add (tick_ms, tick_cb, &feed, NULL);
  g_main_loop_run (loop);
  g_object_unref (feed.sio);
  return 0;
}
