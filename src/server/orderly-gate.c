/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-server"

#include "config.h"

#include <string.h>

#include "orderly-gate.h"
#include "orderly-response.h"
#include "orderly-server-limits.h"

struct _OrderlyGate
{
  GObject              parent_instance;

  OrderlyRemote       *remote;
  OrderlyLoginLimiter *limiter;
  gboolean             secure;

  /* The allowed origins as browsers write them (lowercase, no trailing
   * slash), without "*": the one list for Origin checks and CORS. */
  char               **origins;

  guint                reserved_connections;
  guint                max_connections;
  guint                descriptor_cap;
};

G_DEFINE_FINAL_TYPE (OrderlyGate, orderly_gate, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CORS_ORIGINS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
orderly_gate_dispose (GObject *object)
{
  OrderlyGate *self = (OrderlyGate *) object;

  if (self->remote != NULL)
    g_signal_handlers_disconnect_by_data (self->remote, self);
  g_clear_object (&self->remote);

  G_OBJECT_CLASS (orderly_gate_parent_class)->dispose (object);
}

static void
orderly_gate_finalize (GObject *object)
{
  OrderlyGate *self = (OrderlyGate *) object;

  g_clear_object (&self->limiter);
  g_strfreev (self->origins);

  G_OBJECT_CLASS (orderly_gate_parent_class)->finalize (object);
}

static void
orderly_gate_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  OrderlyGate *self = ORDERLY_GATE (object);

  switch (prop_id)
    {
    case PROP_CORS_ORIGINS:
      g_value_set_boxed (value, self->origins);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_gate_class_init (OrderlyGateClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = orderly_gate_dispose;
  object_class->finalize = orderly_gate_finalize;
  object_class->get_property = orderly_gate_get_property;

  /**
   * OrderlyGate:cors-origins:
   *
   * The origins that get CORS answers, on every transport.
   */
  properties[PROP_CORS_ORIGINS] =
    g_param_spec_boxed ("cors-origins", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
orderly_gate_init (OrderlyGate *self)
{
  self->limiter = orderly_login_limiter_new ();
  self->max_connections = ORDERLY_SERVER_MAX_CONNECTIONS;
  self->descriptor_cap = G_MAXUINT;
  self->origins = g_new0 (char *, 1);
}

static void
update_origins (OrderlyGate *self)
{
  const char * const *allowed = orderly_remote_get_allowed_origins (self->remote);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) origins = NULL;

  for (guint i = 0; allowed != NULL && allowed[i] != NULL; i++)
    {
      g_autofree char *origin = g_ascii_strdown (allowed[i], -1);
      gsize length = strlen (origin);

      while (length > 0 && origin[length - 1] == '/')
        origin[--length] = '\0';
      if (length > 0 && !g_str_equal (origin, "*"))
        g_strv_builder_add (builder, origin);
    }
  origins = g_strv_builder_end (builder);
  if (g_strv_equal ((const char * const *) origins, (const char * const *) self->origins))
    return;
  g_strfreev (self->origins);
  self->origins = g_steal_pointer (&origins);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CORS_ORIGINS]);
}

/**
 * orderly_gate_new:
 * @remote: the tokens, the allowed origins and whether authentication is on
 */
OrderlyGate *
orderly_gate_new (OrderlyRemote *remote)
{
  OrderlyGate *self;

  g_return_val_if_fail (ORDERLY_IS_REMOTE (remote), NULL);

  self = g_object_new (ORDERLY_TYPE_GATE, NULL);
  self->remote = g_object_ref (remote);
  update_origins (self);
  g_signal_connect_swapped (remote, "notify::allowed-origins", G_CALLBACK (update_origins), self);
  return self;
}

/**
 * orderly_gate_set_secure:
 * @secure: whether the server serves https: its own origin, and the
 *   session cookie's Secure flag, follow
 */
void
orderly_gate_set_secure (OrderlyGate *self,
                         gboolean     secure)
{
  g_return_if_fail (ORDERLY_IS_GATE (self));
  self->secure = !!secure;
}

gboolean
orderly_gate_get_secure (OrderlyGate *self)
{
  g_return_val_if_fail (ORDERLY_IS_GATE (self), FALSE);
  return self->secure;
}

gboolean
orderly_gate_get_auth_enabled (OrderlyGate *self)
{
  g_return_val_if_fail (ORDERLY_IS_GATE (self), TRUE);
  return orderly_remote_get_auth_enabled (self->remote);
}

/**
 * orderly_gate_get_login_limiter:
 *
 * Returns: (transfer none): the failed-login counter every transport shares,
 *   so a guesser is slowed down whichever door it knocks on
 */
OrderlyLoginLimiter *
orderly_gate_get_login_limiter (OrderlyGate *self)
{
  g_return_val_if_fail (ORDERLY_IS_GATE (self), NULL);
  return self->limiter;
}

/* Host and Origin */

/**
 * orderly_gate_host_without_port:
 * @host: (nullable): `name`, `name:port`, `[v6]:port` or a bare IPv6 address
 *
 * Returns: (transfer full) (nullable): the name alone
 */
char *
orderly_gate_host_without_port (const char *host)
{
  const char *colon;

  if (host == NULL)
    return NULL;
  if (host[0] == '[')
    {
      const char *end = strchr (host, ']');

      return end != NULL ? g_strndup (host + 1, end - host - 1) : g_strdup (host);
    }
  colon = strrchr (host, ':');
  if (colon != NULL && strchr (host, ':') == colon)
    return g_strndup (host, colon - host);
  return g_strdup (host);
}

static gboolean
origin_has_host (const char *origin,
                 const char *host)
{
  g_autoptr(GUri) uri = g_uri_parse (origin, G_URI_FLAGS_NONE, NULL);

  return uri != NULL && g_uri_get_host (uri) != NULL &&
         g_ascii_strcasecmp (g_uri_get_host (uri), host) == 0;
}

/* Names an attacker's page cannot point at us by rebinding its own DNS name:
 * IP literals, loopback names, this machine's name, and the hosts of the
 * allowed origins (a reverse proxy's public name). */
static gboolean
host_is_allowed (OrderlyGate *self,
                 const char  *host_header)
{
  g_autofree char *host = orderly_gate_host_without_port (host_header);
  const char *machine = g_get_host_name ();

  if (host == NULL || *host == '\0')
    return host_header == NULL;
  if (g_hostname_is_ip_address (host))
    return TRUE;
  if (g_ascii_strcasecmp (host, "localhost") == 0 || g_str_has_suffix (host, ".localhost"))
    return TRUE;
  if (g_ascii_strcasecmp (host, machine) == 0)
    return TRUE;
  if (g_str_has_suffix (host, ".local") && strlen (host) == strlen (machine) + 6 &&
      g_ascii_strncasecmp (host, machine, strlen (host) - 6) == 0)
    return TRUE;
  for (guint i = 0; self->origins[i] != NULL; i++)
    {
      if (origin_has_host (self->origins[i], host))
        return TRUE;
    }
  return FALSE;
}

static gboolean
origin_is_listed (OrderlyGate *self,
                  const char  *origin)
{
  return origin != NULL && g_strv_contains ((const char * const *) self->origins, origin);
}

static gboolean
origin_is_allowed (OrderlyGate       *self,
                   SoupServerMessage *msg,
                   const char        *origin)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *host = soup_message_headers_get_one (headers, "Host");
  g_autofree char *own = NULL;

  if (origin == NULL)
    {
      /* A browser sends no Origin on a cross-site navigation or image, but
       * says where the request comes from. */
      const char *site = soup_message_headers_get_one (headers, "Sec-Fetch-Site");

      return site == NULL || g_str_equal (site, "same-origin") || g_str_equal (site, "none");
    }
  if (origin_is_listed (self, origin))
    return TRUE;
  if (host == NULL)
    return FALSE;
  own = g_strdup_printf ("%s://%s", self->secure ? "https" : "http", host);
  return g_ascii_strcasecmp (own, origin) == 0;
}

/**
 * orderly_gate_is_upgrade_request:
 *
 * Returns: whether @msg asks for a WebSocket
 */
gboolean
orderly_gate_is_upgrade_request (SoupServerMessage *msg)
{
  return soup_message_headers_header_contains (soup_server_message_get_request_headers (msg),
                                               "Upgrade", "websocket");
}

static gboolean
changes_state (SoupServerMessage *msg)
{
  const char *method = soup_server_message_get_method (msg);

  return g_strcmp0 (method, "GET") != 0 && g_strcmp0 (method, "HEAD") != 0 &&
         g_strcmp0 (method, "OPTIONS") != 0;
}

/**
 * orderly_gate_log_refusal:
 * @why: what was wrong, e.g. "invalid token"
 *
 * Logs a refused request, once per address while its failures last, so a
 * guesser cannot fill the log.
 */
void
orderly_gate_log_refusal (OrderlyGate       *self,
                          SoupServerMessage *msg,
                          const char        *why)
{
  const char *address = soup_server_message_get_remote_host (msg);

  g_return_if_fail (ORDERLY_IS_GATE (self));

  if (orderly_login_limiter_should_log (self->limiter, address))
    g_message ("Refused %s %s from %s: %s", soup_server_message_get_method (msg),
               g_uri_get_path (soup_server_message_get_uri (msg)), address, why);
}

/**
 * orderly_gate_check_host:
 *
 * Returns: %FALSE if @msg names a Host the server does not answer to; it is
 *   then answered 403
 */
gboolean
orderly_gate_check_host (OrderlyGate       *self,
                         SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  g_return_val_if_fail (ORDERLY_IS_GATE (self), FALSE);

  if (host_is_allowed (self, soup_message_headers_get_one (headers, "Host")))
    return TRUE;
  orderly_gate_log_refusal (self, msg, "unknown Host");
  orderly_response_error (msg, 403, "This server does not answer to that Host name");
  return FALSE;
}

/**
 * orderly_gate_check_origin:
 *
 * For a request that changes state, a login included: it must come from
 * the server's own origin or an allowed one.
 *
 * Returns: %FALSE if it comes from elsewhere; it is then answered 403
 */
gboolean
orderly_gate_check_origin (OrderlyGate       *self,
                           SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  g_return_val_if_fail (ORDERLY_IS_GATE (self), FALSE);

  if (origin_is_allowed (self, msg, soup_message_headers_get_one (headers, "Origin")))
    return TRUE;
  orderly_gate_log_refusal (self, msg, "foreign Origin");
  orderly_response_error (msg, 403, "Requests from this Origin are not allowed");
  return FALSE;
}

/* Tokens */

/**
 * orderly_gate_dup_cookie_token:
 * @cookie_header: (nullable): a request's `Cookie` header
 *
 * Returns: (transfer full) (nullable): the token in the session cookie
 */
char *
orderly_gate_dup_cookie_token (const char *cookie_header)
{
  g_autoptr(GHashTable) cookies = NULL;
  const char *value;

  if (cookie_header == NULL)
    return NULL;
  cookies = soup_header_parse_semi_param_list (cookie_header);
  value = g_hash_table_lookup (cookies, ORDERLY_GATE_SESSION_COOKIE);
  return value != NULL ? g_uri_unescape_string (value, NULL) : NULL;
}

/**
 * orderly_gate_dup_session_cookie:
 *
 * Returns: (transfer full): the `Set-Cookie` value that signs a browser in
 *   with @token
 */
char *
orderly_gate_dup_session_cookie (OrderlyGate *self,
                                 const char  *token)
{
  g_autofree char *escaped = g_uri_escape_string (token, NULL, FALSE);

  g_return_val_if_fail (ORDERLY_IS_GATE (self), NULL);

  return g_strdup_printf (ORDERLY_GATE_SESSION_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict%s",
                          escaped, self->secure ? "; Secure" : "");
}

static char *
dup_request_token (SoupServerMessage *msg,
                   GHashTable        *query,
                   gboolean           upgrade)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *authorization = soup_message_headers_get_one (headers, "Authorization");

  if (authorization != NULL && g_ascii_strncasecmp (authorization, "Bearer ", 7) == 0)
    return g_strstrip (g_strdup (authorization + 7));
  /* A browser cannot set headers on a WebSocket. */
  if (upgrade && query != NULL && g_hash_table_lookup (query, "token") != NULL)
    return g_strdup (g_hash_table_lookup (query, "token"));
  return orderly_gate_dup_cookie_token (soup_message_headers_get_list (headers, "Cookie"));
}

const char *
orderly_gate_verdict_message (OrderlyGateVerdict verdict)
{
  switch (verdict)
    {
    case ORDERLY_GATE_BLOCKED:
      return "Too many failed logins from this address; try again later";
    case ORDERLY_GATE_INVALID:
      return "The access token is not valid";
    case ORDERLY_GATE_ALLOWED:
    default:
      return NULL;
    }
}

/**
 * orderly_gate_check_token:
 * @address: (nullable): where the token comes from
 * @token: (nullable): the token shown, or %NULL for none
 * @what: what asks, for the log: "GET /pedidos", "Socket.IO client"
 * @role: (out): the role @token gives; %ORDERLY_ROLE_NONE without one
 *
 * The one place a token is judged. An address with too many failed logins
 * is refused whatever it shows; a token that is not valid counts as a
 * failed login.
 */
OrderlyGateVerdict
orderly_gate_check_token (OrderlyGate *self,
                          const char  *address,
                          const char  *token,
                          const char  *what,
                          OrderlyRole *role)
{
  g_return_val_if_fail (ORDERLY_IS_GATE (self), ORDERLY_GATE_INVALID);
  g_return_val_if_fail (role != NULL, ORDERLY_GATE_INVALID);

  *role = ORDERLY_ROLE_NONE;
  if (!orderly_remote_get_auth_enabled (self->remote))
    {
      *role = ORDERLY_ROLE_OPERATOR;
      return ORDERLY_GATE_ALLOWED;
    }
  if (orderly_login_limiter_is_blocked (self->limiter, address))
    return ORDERLY_GATE_BLOCKED;
  if (token == NULL)
    return ORDERLY_GATE_ALLOWED;

  *role = orderly_remote_check_token (self->remote, token);
  if (*role != ORDERLY_ROLE_NONE)
    return ORDERLY_GATE_ALLOWED;
  if (orderly_login_limiter_should_log (self->limiter, address))
    g_message ("Refused %s from %s: invalid token", what, address);
  return orderly_login_limiter_add_failure (self->limiter, address) ? ORDERLY_GATE_BLOCKED
                                                                     : ORDERLY_GATE_INVALID;
}

/**
 * orderly_gate_check_request:
 * @query: (nullable): the decoded query; its `token` counts on upgrades only
 * @flags: what kind of route @msg is for
 * @role: (out): the role its token gives; %ORDERLY_ROLE_NONE without one
 *
 * Applies every rule to @msg: Host, then Origin (on upgrades and
 * state-changing requests), then the token it carries.
 *
 * Returns: %FALSE if @msg was refused; its response is then set
 */
gboolean
orderly_gate_check_request (OrderlyGate       *self,
                            SoupServerMessage *msg,
                            GHashTable        *query,
                            OrderlyGateFlags   flags,
                            OrderlyRole       *role)
{
  gboolean upgrade;
  g_autofree char *token = NULL;
  g_autofree char *what = NULL;
  OrderlyGateVerdict verdict;

  g_return_val_if_fail (ORDERLY_IS_GATE (self), FALSE);
  g_return_val_if_fail (role != NULL, FALSE);

  *role = ORDERLY_ROLE_NONE;
  upgrade = orderly_gate_is_upgrade_request (msg);

  if (!orderly_gate_check_host (self, msg))
    return FALSE;
  if ((upgrade || changes_state (msg) || (flags & ORDERLY_GATE_CHANGES_STATE)) &&
      !orderly_gate_check_origin (self, msg))
    return FALSE;
  if (flags & ORDERLY_GATE_HANDSHAKE)
    return TRUE;

  token = dup_request_token (msg, query, upgrade);
  if ((flags & ORDERLY_GATE_OPEN) && !(flags & ORDERLY_GATE_TELLS_ROLE) &&
      orderly_remote_get_auth_enabled (self->remote))
    {
      /* Loading the page is not a login attempt. */
      *role = token != NULL ? orderly_remote_check_token (self->remote, token) : ORDERLY_ROLE_NONE;
      return TRUE;
    }

  what = g_strdup_printf ("%s %s", soup_server_message_get_method (msg),
                          g_uri_get_path (soup_server_message_get_uri (msg)));
  verdict = orderly_gate_check_token (self, soup_server_message_get_remote_host (msg), token, what, role);
  switch (verdict)
    {
    case ORDERLY_GATE_ALLOWED:
      return TRUE;
    case ORDERLY_GATE_INVALID:
      if (flags & ORDERLY_GATE_OPEN)
        return TRUE;
      orderly_response_error (msg, 401, orderly_gate_verdict_message (verdict));
      return FALSE;
    case ORDERLY_GATE_BLOCKED:
      orderly_response_error (msg, 429, orderly_gate_verdict_message (verdict));
      return FALSE;
    default:
      g_return_val_if_reached (FALSE);
    }
}

/* CORS */

/**
 * orderly_gate_get_cors_origins:
 *
 * Returns: (transfer none): the origins that get CORS answers (with
 *   credentials), as browsers write them; never `*`
 */
const char * const *
orderly_gate_get_cors_origins (OrderlyGate *self)
{
  g_return_val_if_fail (ORDERLY_IS_GATE (self), NULL);
  return (const char * const *) self->origins;
}

/**
 * orderly_gate_add_cors_headers:
 *
 * Lets an allowed origin read the response, with credentials.
 */
void
orderly_gate_add_cors_headers (OrderlyGate       *self,
                               SoupServerMessage *msg)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  const char *origin = soup_message_headers_get_one (request, "Origin");

  g_return_if_fail (ORDERLY_IS_GATE (self));

  soup_message_headers_append (response, "Vary", "Origin");
  if (!origin_is_listed (self, origin))
    return;
  soup_message_headers_replace (response, "Access-Control-Allow-Origin", origin);
  soup_message_headers_replace (response, "Access-Control-Allow-Credentials", "true");
}

/* A list of header names (RFC 9110 tokens, commas, spaces), short enough
 * to echo back. */
static gboolean
is_header_list (const char *list)
{
  static const char *const token_extra = "!#$%&'*+-.^_`|~";

  if (list == NULL || *list == '\0' || strlen (list) > 1024)
    return FALSE;
  for (const char *c = list; *c != '\0'; c++)
    {
      if (!g_ascii_isalnum (*c) && strchr (token_extra, *c) == NULL && *c != ',' && *c != ' ')
        return FALSE;
    }
  return TRUE;
}

/**
 * orderly_gate_answer_preflight:
 *
 * Answers a CORS preflight: 204 for an allowed origin, allowing the headers
 * it asks for; 403 otherwise.
 */
void
orderly_gate_answer_preflight (OrderlyGate       *self,
                               SoupServerMessage *msg)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  const char *requested;

  g_return_if_fail (ORDERLY_IS_GATE (self));

  if (!origin_is_listed (self, soup_message_headers_get_one (request, "Origin")))
    {
      orderly_response_error (msg, 403, "Cross-origin requests from this Origin are not allowed");
      return;
    }
  orderly_response_add_headers (msg, ORDERLY_RESPONSE_API);
  soup_message_headers_replace (response, "Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS");
  requested = soup_message_headers_get_list (request, "Access-Control-Request-Headers");
  soup_message_headers_replace (response, "Access-Control-Allow-Headers",
                                is_header_list (requested) ? requested : "Authorization, Content-Type");
  soup_message_headers_append (response, "Vary", "Access-Control-Request-Headers");
  soup_message_headers_replace (response, "Access-Control-Max-Age", "600");
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

/* Connections */

/**
 * orderly_gate_reserve_connection:
 *
 * Takes one of the live connections (%ORDERLY_SERVER_MAX_CONNECTIONS unless
 * orderly_gate_set_max_connections() said otherwise), for any transport.
 *
 * Returns: %FALSE when none is left; otherwise release it with
 *   orderly_gate_release_connection() when the connection ends
 */
gboolean
orderly_gate_reserve_connection (OrderlyGate *self)
{
  g_return_val_if_fail (ORDERLY_IS_GATE (self), FALSE);

  if (!orderly_gate_has_connection_left (self))
    return FALSE;
  self->reserved_connections++;
  return TRUE;
}

void
orderly_gate_release_connection (OrderlyGate *self)
{
  g_return_if_fail (ORDERLY_IS_GATE (self));
  g_return_if_fail (self->reserved_connections > 0);
  self->reserved_connections--;
}

/**
 * orderly_gate_has_connection_left:
 *
 * Returns: whether a new live connection would be taken now, so an upgrade
 *   can be answered 503 before the handshake
 */
gboolean
orderly_gate_has_connection_left (OrderlyGate *self)
{
  g_return_val_if_fail (ORDERLY_IS_GATE (self), FALSE);
  return self->reserved_connections < MIN (self->max_connections, self->descriptor_cap);
}

/**
 * orderly_gate_set_max_connections:
 *
 * How many live connections (WebSocket and Socket.IO) are served at once.
 */
void
orderly_gate_set_max_connections (OrderlyGate *self,
                                  guint        max_connections)
{
  g_return_if_fail (ORDERLY_IS_GATE (self));
  self->max_connections = max_connections;
}

/**
 * orderly_gate_set_descriptor_cap:
 * @cap: how many live connections the file descriptors allow, beside the
 *   ones kept for plain HTTP; %G_MAXUINT for no cap
 *
 * Lowers the live-connection budget below orderly_gate_set_max_connections()
 * when the process may open fewer descriptors.
 */
void
orderly_gate_set_descriptor_cap (OrderlyGate *self,
                                 guint        cap)
{
  g_return_if_fail (ORDERLY_IS_GATE (self));
  self->descriptor_cap = cap;
}
