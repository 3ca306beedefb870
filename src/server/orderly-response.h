/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/**
 * OrderlyResponseKind:
 * @ORDERLY_RESPONSE_API: data: nothing may be framed, sniffed or cached
 * @ORDERLY_RESPONSE_PAGE: the dashboard and its files: same-origin scripts
 *   and styles, revalidated before use
 */
typedef enum
{
  ORDERLY_RESPONSE_API,
  ORDERLY_RESPONSE_PAGE,
} OrderlyResponseKind;

void orderly_response_attach              (SoupServer          *server);
void orderly_response_add_headers         (SoupServerMessage   *msg,
                                           OrderlyResponseKind  kind);
void orderly_response_close_connection    (SoupServerMessage   *msg);
void orderly_response_json                (SoupServerMessage   *msg,
                                           guint                status_code,
                                           JsonNode            *body);
void orderly_response_error               (SoupServerMessage   *msg,
                                           guint                status_code,
                                           const char          *message);
void orderly_response_text                (SoupServerMessage   *msg,
                                           guint                status_code,
                                           const char          *content_type,
                                           char                *text);

G_END_DECLS
