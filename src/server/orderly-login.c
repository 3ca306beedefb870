/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-server"

#include "config.h"

#include "orderly-login.h"
#include "orderly-response.h"

/**
 * orderly_login_sign_in:
 * @token: the token from the dashboard link
 *
 * Sets the session cookie when @token is valid, and redirects to the page
 * either way: the page then finds out from its own requests whether it is
 * signed in. A token that is not valid counts as a failed login.
 */
void
orderly_login_sign_in (OrderlyGate       *gate,
                       SoupServerMessage *msg,
                       const char        *token)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  OrderlyGateVerdict verdict;
  OrderlyRole role;

  g_return_if_fail (ORDERLY_IS_GATE (gate));

  /* A page elsewhere must not sign the browser in with a token of its
   * own choosing (login CSRF). */
  if (!orderly_gate_check_host (gate, msg) || !orderly_gate_check_origin (gate, msg))
    return;

  verdict = orderly_gate_check_token (gate, soup_server_message_get_remote_host (msg), token,
                                      "a login", &role);
  if (verdict == ORDERLY_GATE_BLOCKED)
    {
      orderly_response_error (msg, 429, orderly_gate_verdict_message (verdict));
      return;
    }
  orderly_response_add_headers (msg, ORDERLY_RESPONSE_API);
  if (verdict == ORDERLY_GATE_ALLOWED && role != ORDERLY_ROLE_NONE &&
      orderly_gate_get_auth_enabled (gate))
    {
      g_autofree char *cookie = orderly_gate_dup_session_cookie (gate, token);

      soup_message_headers_append (headers, "Set-Cookie", cookie);
    }
  /* Back to the page without the token in the address bar. A relative
   * target keeps working behind a reverse proxy that serves Orderly at a
   * sub-path. */
  soup_server_message_set_status (msg, SOUP_STATUS_SEE_OTHER, NULL);
  soup_message_headers_replace (headers, "Location", "./");
}

/**
 * orderly_login_answer_session:
 * @role: the role the request's token gives
 *
 * Answers `{role, auth}`.
 */
void
orderly_login_answer_session (OrderlyGate       *gate,
                              SoupServerMessage *msg,
                              OrderlyRole        role)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *object = json_object_new ();

  g_return_if_fail (ORDERLY_IS_GATE (gate));

  json_object_set_string_member (object, "role", orderly_role_to_string (role));
  json_object_set_boolean_member (object, "auth", orderly_gate_get_auth_enabled (gate));
  json_node_take_object (node, object);
  orderly_response_json (msg, 200, node);
}
