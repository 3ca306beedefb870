/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "orderly-server-test-util.h"

/* HTTP itself against hostile clients, through bare sockets: what a
 * request may cost before it is refused, how long it may take, and how its
 * framing is read. */

#define ADD(path, func) \
  g_test_add (path, ServerFixture, NULL, server_fixture_setup, func, server_fixture_teardown)

/* Long enough for a loaded machine; the deadlines under test are far
 * shorter. */
#define WAIT_MS 10000

static gboolean
starts_with_status (const char *response,
                    guint       status)
{
  g_autofree char *line = g_strdup_printf ("HTTP/1.1 %u ", status);

  return g_str_has_prefix (response, line);
}

/* The header, body and idle deadlines close what a slow client leaves
 * open; a healthy client is served all along. */
static void
test_http_deadlines (ServerFixture *fixture,
                     gconstpointer  data)
{
  const char *partial[] = {
    "",
    "GET /health/live HTTP/1.1\r\nHo",
    "POST /generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{\"quan",
  };
  g_autofree char *kept = g_strdup_printf ("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n",
                                           fixture->port);
  g_autoptr(GSocket) idle = NULL;
  g_autoptr(GString) idle_received = g_string_new (NULL);
  guint status = 0;

  orderly_server_set_http_timeouts (fixture->server, 200, 200, 200);
  for (guint i = 0; i < G_N_ELEMENTS (partial); i++)
    {
      g_autoptr(GSocket) socket = test_raw_connect (fixture->port);
      g_autoptr(GString) received = g_string_new (NULL);
      G_GNUC_UNUSED g_autoptr(JsonNode) health = NULL;

      g_test_message ("Sent: %s", partial[i]);
      g_assert_cmpuint (test_raw_send (socket, partial[i], strlen (partial[i])), ==, strlen (partial[i]));
      /* Meanwhile, others are served. */
      health = server_fixture_request (fixture, "GET", "/health/live", NULL, NULL, &status);
      g_assert_cmpuint (status, ==, 200);
      g_assert_true (test_raw_read (socket, received, TRUE, WAIT_MS));
      g_assert_cmpstr (received->str, ==, "");
    }

  /* A kept-alive connection is answered, then closed once it idles. */
  idle = test_raw_connect (fixture->port);
  g_assert_cmpuint (test_raw_send (idle, kept, strlen (kept)), ==, strlen (kept));
  g_assert_false (test_raw_read (idle, idle_received, FALSE, WAIT_MS));
  g_test_message ("%s", idle_received->str);
  g_assert_true (starts_with_status (idle_received->str, 200));
  g_assert_true (test_raw_read (idle, idle_received, TRUE, WAIT_MS));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD ("/orderly/server/http/deadlines", test_http_deadlines);

  return g_test_run ();
}
