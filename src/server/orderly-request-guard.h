/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "orderly-gate.h"

G_BEGIN_DECLS

#define ORDERLY_TYPE_REQUEST_GUARD (orderly_request_guard_get_type ())

/**
 * OrderlyRequestGuard:
 *
 * Judges every request of a #SoupServer at its headers, whichever handler
 * serves its path, before libsoup reads its body:
 *
 * - Content-Length together with Transfer-Encoding, a Content-Length that
 *   is not a plain number, or a Transfer-Encoding other than chunked: 400;
 * - a Content-Length over the path's body limit: 413, and the body is
 *   never read;
 * - a chunked body is counted as it comes and refused with 413 once it
 *   passes the limit;
 * - an encoded NUL (`%00`) in the path or query, which would cut a token
 *   short where C reads it: 400.
 *
 * A refused request is answered on the spot and its connection closed, so
 * nothing after it on that connection is read as another request.
 */
G_DECLARE_FINAL_TYPE (OrderlyRequestGuard, orderly_request_guard, ORDERLY, REQUEST_GUARD, GObject)

OrderlyRequestGuard *orderly_request_guard_new            (SoupServer          *server,
                                                           OrderlyGate         *gate);
void                 orderly_request_guard_set_body_limit (OrderlyRequestGuard *self,
                                                           const char          *path_prefix,
                                                           gsize                max_body);

G_END_DECLS
