/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "orderly-gate.h"

G_BEGIN_DECLS

/* A browser's session: `GET /?token=` signs it in with the session cookie
 * and sends it back to the page; `GET /session` tells the page who it is. */

void orderly_login_sign_in        (OrderlyGate       *gate,
                                   SoupServerMessage *msg,
                                   const char        *token);
void orderly_login_answer_session (OrderlyGate       *gate,
                                   SoupServerMessage *msg,
                                   OrderlyRole        role);

G_END_DECLS
