/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* The dashboard's files and the API description, compiled into the binary.
 * Both are open: the page asks for a token itself. */

gboolean orderly_web_has_file      (const char        *path);
gboolean orderly_web_serve_file    (SoupServerMessage *msg,
                                    const char        *path);
void     orderly_web_serve_openapi (SoupServerMessage *msg);

G_END_DECLS
