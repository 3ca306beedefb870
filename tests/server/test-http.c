/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "orderly-eio-server.h"
#include "orderly-server-limits.h"
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

static guint
count_responses (const char *received)
{
  guint n = 0;

  for (const char *at = strstr (received, "HTTP/1."); at != NULL; at = strstr (at + 1, "HTTP/1."))
    n++;
  return n;
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

/* A body over the limit is refused at the headers, on every path, and
 * none of it is read; a chunked one is cut off at the limit. */
static void
test_http_body_limit (ServerFixture *fixture,
                      gconstpointer  data)
{
  struct {
    const char *request_line;
    gsize       limit;
  } paths[] = {
    { "POST /generate", ORDERLY_SERVER_MAX_BODY },
    { "POST /pedidos/generate?quantity=10", ORDERLY_SERVER_MAX_BODY },
    { "GET /ws", ORDERLY_SERVER_MAX_BODY },
    { "POST /socket.io/?EIO=4&transport=polling&sid=none", ORDERLY_EIO_DEFAULT_MAX_PAYLOAD },
  };
  gsize rss_before = test_rss_kib ();

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *announced = g_strdup_printf ("%s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                                    "Authorization: Bearer " TEST_OPERATOR_TOKEN "\r\n"
                                                    "Content-Length: 1000000000\r\n\r\n",
                                                    paths[i].request_line, fixture->port);
      g_autofree char *chunked = g_strdup_printf ("%s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                                  "Authorization: Bearer " TEST_OPERATOR_TOKEN "\r\n"
                                                  "Transfer-Encoding: chunked\r\n\r\n",
                                                  paths[i].request_line, fixture->port);
      g_autofree char *filler = g_strnfill (8192, 'x');
      g_autofree char *chunk = g_strdup_printf ("2000\r\n%s\r\n", filler);
      g_autoptr(GSocket) socket = test_raw_connect (fixture->port);
      g_autoptr(GSocket) stream = test_raw_connect (fixture->port);
      g_autoptr(GString) received = g_string_new (NULL);
      g_autoptr(GString) stream_received = g_string_new (NULL);
      gsize sent = 0;

      g_test_message ("%s", paths[i].request_line);
      g_assert_cmpuint (test_raw_send (socket, announced, strlen (announced)), ==, strlen (announced));
      g_assert_true (test_raw_read (socket, received, TRUE, WAIT_MS));
      g_assert_true (starts_with_status (received->str, 413));
      g_assert_nonnull (strstr (received->str, "\r\nConnection: close\r\n"));
      g_assert_nonnull (strstr (received->str, "larger than"));

      /* Chunks of 8 KiB until the server has had enough: it answers once
       * the limit is passed, not at the end of a body that never ends. */
      g_assert_cmpuint (test_raw_send (stream, chunked, strlen (chunked)), ==, strlen (chunked));
      while (sent < paths[i].limit + 64 * 1024 &&
             test_raw_send (stream, chunk, strlen (chunk)) == strlen (chunk))
        sent += 8192;
      g_assert_true (test_raw_read (stream, stream_received, TRUE, WAIT_MS));
      g_assert_true (starts_with_status (stream_received->str, 413));
    }
  /* Nothing of the 4 GB announced was kept. */
  g_assert_cmpuint (test_rss_kib (), <, rss_before + 64 * 1024);
}

/* A request framed two ways is refused, and what would be read as a
 * second request inside it is never answered. */
static void
test_http_framing (ServerFixture *fixture,
                   gconstpointer  data)
{
  const char *framings[] = {
    "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
    "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
    "Content-Length: +5\r\n",
    "Content-Length: 5\r\nContent-Length: 0\r\n",
    "Content-Length: 0x5\r\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (framings); i++)
    {
      g_autofree char *request = g_strdup_printf ("POST /pedidos/queue/pause HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                                  "Authorization: Bearer " TEST_OPERATOR_TOKEN "\r\n"
                                                  "%s\r\n"
                                                  "0\r\n\r\n"
                                                  "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n",
                                                  fixture->port, framings[i], fixture->port);
      gboolean closed = FALSE;
      g_autofree char *response = test_raw_http (fixture->port, request, TRUE, &closed);

      g_test_message ("%s", framings[i]);
      g_assert_true (closed);
      g_assert_true (starts_with_status (response, 400));
      g_assert_cmpuint (count_responses (response), ==, 1);
    }
}

/* A token followed by an encoded NUL is not read as the token before it,
 * wherever a URL carries one. */
static void
test_http_encoded_nul (ServerFixture *fixture,
                       gconstpointer  data)
{
  const char *paths[] = {
    "/?token=" TEST_OPERATOR_TOKEN "%00junk",
    "/ws?token=" TEST_OPERATOR_TOKEN "%00junk",
    "/socket.io/?EIO=4&transport=polling&token=" TEST_OPERATOR_TOKEN "%00junk",
    "/pedidos%00",
  };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                                  "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                                  "Sec-WebSocket-Version: 13\r\n\r\n", paths[i], fixture->port);
      g_autofree char *response = test_raw_http (fixture->port, request, TRUE, NULL);

      g_test_message ("GET %s", paths[i]);
      g_assert_true (starts_with_status (response, 400));
      g_assert_null (strstr (response, "Set-Cookie"));
    }
}

/* The Server header names the program, never its versions or libsoup's. */
static void
test_http_server_header (ServerFixture *fixture,
                         gconstpointer  data)
{
  g_autofree char *request = g_strdup_printf ("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                              "Connection: close\r\n\r\n", fixture->port);
  g_autofree char *response = test_raw_http (fixture->port, request, TRUE, NULL);

  g_assert_true (starts_with_status (response, 200));
  g_assert_nonnull (strstr (response, "\r\nServer: Orderly\r\n"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD ("/orderly/server/http/deadlines", test_http_deadlines);
  ADD ("/orderly/server/http/body-limit", test_http_body_limit);
  ADD ("/orderly/server/http/framing", test_http_framing);
  ADD ("/orderly/server/http/server-header", test_http_server_header);
  ADD ("/orderly/server/http/encoded-nul", test_http_encoded_nul);

  return g_test_run ();
}
