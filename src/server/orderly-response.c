/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-server"

#include "config.h"

#include <string.h>

#include "orderly-dispatcher.h"
#include "orderly-json-writer.h"
#include "orderly-response.h"

/*
 * What every response says about itself: its security headers, and whether
 * the connection stays open after it.
 */

/* libsoup closes the connection after a response to a request that said
 * `Connection: close` (or to an HTTP/1.0 request) without saying so in the
 * response. A keep-alive client (Node's agent) then writes its next request
 * onto the dead socket. Saying it lets the client know. */
static void
got_headers_cb (SoupServerMessage *msg,
                gpointer           user_data)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);

  if (soup_server_message_get_http_version (msg) == SOUP_HTTP_1_0 ||
      soup_message_headers_header_contains (request, "Connection", "close"))
    orderly_response_close_connection (msg);
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  /* After libsoup's own handler, which runs the early handlers; before
   * anything is written. */
  g_signal_connect (msg, "got-headers", G_CALLBACK (got_headers_cb), NULL);
}

/**
 * orderly_response_attach:
 *
 * Makes every response of @server, whoever answers it (REST, the dashboard,
 * Engine.IO polling), say `Connection: close` when the connection ends
 * after it.
 */
void
orderly_response_attach (SoupServer *server)
{
  g_return_if_fail (SOUP_IS_SERVER (server));

  g_signal_connect (server, "request-started", G_CALLBACK (request_started_cb), NULL);
}

/**
 * orderly_response_close_connection:
 *
 * Ends the connection after this response, and says so.
 */
void
orderly_response_close_connection (SoupServerMessage *msg)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Connection", "close");
}

void
orderly_response_add_headers (SoupServerMessage   *msg,
                              OrderlyResponseKind  kind)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "X-Frame-Options", "DENY");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  if (kind == ORDERLY_RESPONSE_API)
    {
      soup_message_headers_replace (headers, "Content-Security-Policy",
                                    "default-src 'none'; frame-ancestors 'none'");
      soup_message_headers_replace (headers, "Cache-Control", "no-store");
    }
  else
    {
      soup_message_headers_replace (headers, "Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; "
                                    "style-src 'self' 'unsafe-inline'; connect-src 'self'; "
                                    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'");
      soup_message_headers_replace (headers, "Cache-Control", "no-cache");
    }
}

/**
 * orderly_response_text:
 * @text: (transfer full): the body
 */
void
orderly_response_text (SoupServerMessage *msg,
                       guint              status_code,
                       const char        *content_type,
                       char              *text)
{
  orderly_response_add_headers (msg, ORDERLY_RESPONSE_API);
  soup_server_message_set_status (msg, status_code, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_TAKE, text, strlen (text));
}

void
orderly_response_json (SoupServerMessage *msg,
                       guint              status_code,
                       JsonNode          *body)
{
  orderly_response_text (msg, status_code, "application/json", orderly_json_to_string (body));
}

/**
 * orderly_response_error:
 *
 * Answers with the error object every transport uses,
 * `{statusCode, message, error}`.
 */
void
orderly_response_error (SoupServerMessage *msg,
                        guint              status_code,
                        const char        *message)
{
  g_autoptr(JsonNode) body = orderly_dispatcher_error_body (status_code, message);

  orderly_response_json (msg, status_code, body);
}
