/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A standalone server in conformance mode, for the node conformance tests
 * and the official suites: listens on 127.0.0.1, port 0 unless --port N. */
#include "config.h"

#include <stdio.h>

#include "orderly-sio-conformance.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GError) error = NULL;
  g_autoslist(GUri) uris = NULL;
  g_autofree char *uri = NULL;
  int port = 0;
  GOptionEntry entries[] = {
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "Port to listen on (0 picks one)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- Socket.IO conformance server");

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  server = soup_server_new ("server-header", "Orderly", NULL);
  soup_server_remove_websocket_extension (server, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  orderly_sio_conformance_attach (server);

  {
    g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
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

  g_main_loop_run (loop);
  return 0;
}
