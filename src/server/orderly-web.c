/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-server"

#include "config.h"

#include <string.h>

#include "orderly-response.h"
#include "orderly-server-resources.h"
#include "orderly-web.h"
#include "orderly-web-resources.h"

#define WEB_PREFIX     "/io/github/orderly/Orderly/web"
#define OPENAPI_PATH   "/io/github/orderly/Orderly/server/openapi.json"

static const char *
content_type_for (const char *path)
{
  if (g_str_has_suffix (path, ".html"))
    return "text/html; charset=utf-8";
  if (g_str_has_suffix (path, ".css"))
    return "text/css; charset=utf-8";
  if (g_str_has_suffix (path, ".js") || g_str_has_suffix (path, ".mjs"))
    return "text/javascript; charset=utf-8";
  if (g_str_has_suffix (path, ".svg"))
    return "image/svg+xml";
  if (g_str_has_suffix (path, ".json"))
    return "application/json";
  if (g_str_has_suffix (path, ".png"))
    return "image/png";
  return "application/octet-stream";
}

/* `/` is the page itself. */
static char *
resource_path_for (const char *path)
{
  if (g_str_equal (path, "/"))
    path = "/index.html";
  /* GResource finds "/index.html/" and "//index.html" as the file; they
   * are not its name. */
  if (strstr (path, "/../") != NULL || g_str_has_suffix (path, "/..") || g_str_has_suffix (path, "/") ||
      strstr (path, "//") != NULL)
    return NULL;
  return g_strconcat (WEB_PREFIX, path, NULL);
}

static gboolean
serve_resource (SoupServerMessage   *msg,
                GResource           *resource,
                const char          *resource_path,
                OrderlyResponseKind  kind)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autoptr(GBytes) bytes = NULL;

  bytes = g_resource_lookup_data (resource, resource_path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (bytes == NULL)
    return FALSE;

  orderly_response_add_headers (msg, kind);
  soup_server_message_set_status (msg, 200, NULL);
  soup_message_headers_set_content_type (headers, content_type_for (resource_path), NULL);
  if (g_strcmp0 (soup_server_message_get_method (msg), "HEAD") != 0)
    soup_message_body_append_bytes (soup_server_message_get_response_body (msg), bytes);
  else
    soup_message_headers_set_content_length (headers, g_bytes_get_size (bytes));
  return TRUE;
}

/**
 * orderly_web_has_file:
 * @path: a request path
 *
 * Returns: whether @path is one of the dashboard's files (`/` included)
 */
gboolean
orderly_web_has_file (const char *path)
{
  g_autofree char *resource_path = resource_path_for (path);

  return resource_path != NULL &&
         g_resource_get_info (orderly_web_get_resource (), resource_path,
                              G_RESOURCE_LOOKUP_FLAGS_NONE, NULL, NULL, NULL);
}

/**
 * orderly_web_serve_file:
 *
 * Answers @msg with the dashboard's file at @path.
 *
 * Returns: %FALSE, leaving @msg alone, when there is no such file
 */
gboolean
orderly_web_serve_file (SoupServerMessage *msg,
                        const char        *path)
{
  g_autofree char *resource_path = resource_path_for (path);

  return resource_path != NULL &&
         serve_resource (msg, orderly_web_get_resource (), resource_path, ORDERLY_RESPONSE_PAGE);
}

/**
 * orderly_web_serve_openapi:
 *
 * Answers @msg with the OpenAPI description of the REST API.
 */
void
orderly_web_serve_openapi (SoupServerMessage *msg)
{
  if (!serve_resource (msg, orderly_server_get_resource (), OPENAPI_PATH, ORDERLY_RESPONSE_API))
    g_assert_not_reached ();
}
