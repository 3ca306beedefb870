/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "orderly-login-limiter.h"
#include "orderly-remote.h"

G_BEGIN_DECLS

#define ORDERLY_GATE_SESSION_COOKIE "orderly_session"

/**
 * OrderlyGateFlags:
 * @ORDERLY_GATE_DEFAULT: a token, if the request carries one, must be valid
 * @ORDERLY_GATE_OPEN: a route open to all (the page, its files, health): a
 *   token that is not valid is ignored, not counted as a failed login, so a
 *   stale cookie never keeps the page from asking for a new one
 * @ORDERLY_GATE_HANDSHAKE: only Host and Origin are checked; the client shows
 *   its token later, in its own protocol (Socket.IO's CONNECT), and the
 *   transport hands it to orderly_gate_check_token()
 * @ORDERLY_GATE_CHANGES_STATE: a GET that changes state: its Origin is
 *   checked as a POST's
 * @ORDERLY_GATE_TELLS_ROLE: with %ORDERLY_GATE_OPEN, a route that says which
 *   role the token gives (`/session`): a token that is not valid counts as
 *   a failed login, and a blocked address is answered 429, else anyone
 *   could guess tokens there
 */
typedef enum
{
  ORDERLY_GATE_DEFAULT       = 0,
  ORDERLY_GATE_OPEN          = 1 << 0,
  ORDERLY_GATE_HANDSHAKE     = 1 << 1,
  ORDERLY_GATE_CHANGES_STATE = 1 << 2,
  ORDERLY_GATE_TELLS_ROLE    = 1 << 3,
} OrderlyGateFlags;

/**
 * OrderlyGateVerdict:
 * @ORDERLY_GATE_ALLOWED: let in; the role may still be none (no token shown)
 * @ORDERLY_GATE_BLOCKED: the address has failed too often (429)
 * @ORDERLY_GATE_INVALID: the token is not valid (401)
 */
typedef enum
{
  ORDERLY_GATE_ALLOWED,
  ORDERLY_GATE_BLOCKED,
  ORDERLY_GATE_INVALID,
} OrderlyGateVerdict;

#define ORDERLY_TYPE_GATE (orderly_gate_get_type ())

/**
 * OrderlyGate:
 *
 * Who may come in, for every transport alike (REST, /ws, Socket.IO):
 *
 * - Host must be a name the server answers to (IP literals, loopback names,
 *   this machine's name, the hosts of the allowed origins), which blocks DNS
 *   rebinding;
 * - Origin, on WebSocket upgrades and state-changing requests, must be the
 *   server's own or an allowed one;
 * - CORS answers allowed origins only, never `*` with credentials;
 * - tokens come from `Authorization: Bearer`, the session cookie, the
 *   `token` query parameter of an upgrade, or a transport that was handed
 *   one (Socket.IO's CONNECT `auth.token`), and give a role;
 * - failed logins are counted per address by the one #OrderlyLoginLimiter;
 * - live connections share one budget.
 */
G_DECLARE_FINAL_TYPE (OrderlyGate, orderly_gate, ORDERLY, GATE, GObject)

OrderlyGate         *orderly_gate_new                   (OrderlyRemote      *remote);
void                 orderly_gate_set_secure            (OrderlyGate        *self,
                                                         gboolean            secure);
gboolean             orderly_gate_get_secure            (OrderlyGate        *self);
gboolean             orderly_gate_get_auth_enabled      (OrderlyGate        *self);
OrderlyLoginLimiter *orderly_gate_get_login_limiter     (OrderlyGate        *self);

gboolean             orderly_gate_check_request         (OrderlyGate        *self,
                                                         SoupServerMessage  *msg,
                                                         GHashTable         *query,
                                                         OrderlyGateFlags    flags,
                                                         OrderlyRole        *role);
gboolean             orderly_gate_check_host            (OrderlyGate        *self,
                                                         SoupServerMessage  *msg);
gboolean             orderly_gate_check_origin          (OrderlyGate        *self,
                                                         SoupServerMessage  *msg);
OrderlyGateVerdict   orderly_gate_check_token           (OrderlyGate        *self,
                                                         const char         *address,
                                                         const char         *token,
                                                         const char         *what,
                                                         OrderlyRole        *role);
const char          *orderly_gate_verdict_message       (OrderlyGateVerdict  verdict);
void                 orderly_gate_log_refusal           (OrderlyGate        *self,
                                                         SoupServerMessage  *msg,
                                                         const char         *why);

char                *orderly_gate_dup_cookie_token      (const char         *cookie_header);
char                *orderly_gate_dup_session_cookie    (OrderlyGate        *self,
                                                         const char         *token);
gboolean             orderly_gate_is_upgrade_request    (SoupServerMessage  *msg);
char                *orderly_gate_host_without_port     (const char         *host);

const char * const  *orderly_gate_get_cors_origins      (OrderlyGate        *self);
void                 orderly_gate_add_cors_headers      (OrderlyGate        *self,
                                                         SoupServerMessage  *msg);
void                 orderly_gate_answer_preflight      (OrderlyGate        *self,
                                                         SoupServerMessage  *msg);

gboolean             orderly_gate_reserve_connection    (OrderlyGate        *self);
void                 orderly_gate_release_connection    (OrderlyGate        *self);
void                 orderly_gate_set_max_connections   (OrderlyGate        *self,
                                                         guint               max_connections);
gboolean             orderly_gate_has_connection_left   (OrderlyGate        *self);
void                 orderly_gate_set_descriptor_cap    (OrderlyGate        *self,
                                                         guint               cap);

G_END_DECLS
