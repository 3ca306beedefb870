/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-server"

#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "orderly-json.h"
#include "orderly-login-limiter.h"
#include "orderly-server.h"
#include "orderly-server-resources.h"
#include "orderly-socketio-transport.h"
#include "orderly-web-resources.h"
#include "orderly-ws-client.h"

#define LISTEN_BACKLOG           4096
#define DEFAULT_PING_INTERVAL_MS 25000
#define DEFAULT_IDLE_TIMEOUT_MS  60000
#define WEB_PREFIX               "/io/github/orderly/Orderly/web"
#define SESSION_COOKIE           "orderly_session"

struct _OrderlyServer
{
  GObject              parent_instance;

  OrderlyEngine       *engine;
  OrderlyRemote       *remote;
  SoupServer          *soup;
  OrderlyHub          *hub;
  OrderlyDispatcher   *dispatcher;
  OrderlyLoginLimiter *limiter;
  GTlsCertificate     *tls_certificate;
  char                *instance_id;

  gboolean             started;
  guint                port;
  guint                relisten_source;

  GHashTable          *ws_clients;      /* OrderlyWsClient → itself, owned */
  OrderlySocketioTransport *socketio;
  guint                reserved_connections;
  guint                max_connections;
  guint                keepalive_source;
  gint64               ping_interval_us;
  gint64               idle_timeout_us;

  GHashTable          *request_counts;  /* "route\ncode" → guint64 * */
  gint64               started_us;
};

G_DEFINE_FINAL_TYPE (OrderlyServer, orderly_server, G_TYPE_OBJECT)

/* Security headers and answers */

static void
add_security_headers (SoupServerMessage *msg,
                      gboolean           api)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "X-Frame-Options", "DENY");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  if (api)
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

static void
respond_json (SoupServerMessage *msg,
              guint              status_code,
              JsonNode          *body)
{
  g_autofree char *text = orderly_json_to_string (body);

  add_security_headers (msg, TRUE);
  soup_server_message_set_status (msg, status_code, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&text), strlen (text));
}

static void
respond_error (SoupServerMessage *msg,
               guint              status_code,
               const char        *message)
{
  g_autoptr(JsonNode) body = orderly_dispatcher_error_body (status_code, message);

  respond_json (msg, status_code, body);
}

/* Lifecycle */

static void
close_all_ws_clients (OrderlyServer *self,
                      gushort        code,
                      const char    *reason)
{
  GHashTableIter iter;
  gpointer client;

  g_hash_table_iter_init (&iter, self->ws_clients);
  while (g_hash_table_iter_next (&iter, &client, NULL))
    orderly_ws_client_close (client, code, reason);
}

static void
orderly_server_dispose (GObject *object)
{
  OrderlyServer *self = (OrderlyServer *) object;

  g_clear_handle_id (&self->relisten_source, g_source_remove);
  g_clear_handle_id (&self->keepalive_source, g_source_remove);
  if (self->remote != NULL)
    g_signal_handlers_disconnect_by_data (self->remote, self);
  if (self->ws_clients != NULL)
    {
      GHashTableIter iter;
      gpointer client;

      g_hash_table_iter_init (&iter, self->ws_clients);
      while (g_hash_table_iter_next (&iter, &client, NULL))
        {
          g_signal_handlers_disconnect_by_data (client, self);
          orderly_ws_client_close (client, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "Server stopped");
          g_object_run_dispose (client);
        }
      g_hash_table_remove_all (self->ws_clients);
    }
  g_clear_object (&self->socketio);
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  g_clear_object (&self->hub);

  G_OBJECT_CLASS (orderly_server_parent_class)->dispose (object);
}

static void
orderly_server_finalize (GObject *object)
{
  OrderlyServer *self = (OrderlyServer *) object;

  g_clear_pointer (&self->ws_clients, g_hash_table_unref);
  g_clear_pointer (&self->request_counts, g_hash_table_unref);
  g_clear_object (&self->dispatcher);
  g_clear_object (&self->limiter);
  g_clear_object (&self->tls_certificate);
  g_clear_object (&self->engine);
  g_clear_object (&self->remote);
  g_free (self->instance_id);

  G_OBJECT_CLASS (orderly_server_parent_class)->finalize (object);
}

static void
orderly_server_class_init (OrderlyServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = orderly_server_dispose;
  object_class->finalize = orderly_server_finalize;
}

static void
orderly_server_init (OrderlyServer *self)
{
  self->ws_clients = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  self->request_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->limiter = orderly_login_limiter_new ();
  self->max_connections = ORDERLY_SERVER_MAX_CONNECTIONS;
  self->ping_interval_us = DEFAULT_PING_INTERVAL_MS * (gint64) 1000;
  self->idle_timeout_us = DEFAULT_IDLE_TIMEOUT_MS * (gint64) 1000;
  self->started_us = g_get_monotonic_time ();
}

/* Host and Origin */

static char *
host_without_port (const char *host)
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
host_is_allowed (OrderlyServer *self,
                 const char    *host_header)
{
  g_autofree char *host = host_without_port (host_header);
  const char * const *origins;

  if (host == NULL || *host == '\0')
    return host_header == NULL;
  if (g_hostname_is_ip_address (host))
    return TRUE;
  if (g_ascii_strcasecmp (host, "localhost") == 0 || g_str_has_suffix (host, ".localhost"))
    return TRUE;
  if (g_ascii_strcasecmp (host, g_get_host_name ()) == 0)
    return TRUE;
  if (g_str_has_suffix (host, ".local") && strlen (host) == strlen (g_get_host_name ()) + 6 &&
      g_ascii_strncasecmp (host, g_get_host_name (), strlen (host) - 6) == 0)
    return TRUE;
  origins = orderly_remote_get_allowed_origins (self->remote);
  for (guint i = 0; origins != NULL && origins[i] != NULL; i++)
    {
      if (origin_has_host (origins[i], host))
        return TRUE;
    }
  return FALSE;
}

static gboolean
origin_is_listed (OrderlyServer *self,
                  const char    *origin)
{
  const char * const *origins = orderly_remote_get_allowed_origins (self->remote);

  for (guint i = 0; origins != NULL && origins[i] != NULL; i++)
    {
      if (g_ascii_strcasecmp (origins[i], origin) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
origin_is_allowed (OrderlyServer     *self,
                   SoupServerMessage *msg,
                   const char        *origin)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *host = soup_message_headers_get_one (headers, "Host");
  g_autofree char *own = NULL;

  if (origin == NULL)
    return TRUE;
  if (origin_is_listed (self, origin))
    return TRUE;
  if (host == NULL)
    return FALSE;
  own = g_strdup_printf ("%s://%s", self->tls_certificate != NULL ? "https" : "http", host);
  return g_ascii_strcasecmp (own, origin) == 0;
}

/* Tokens */

static char *
dup_cookie (SoupServerMessage *msg,
            const char        *name)
{
  const char *header = soup_message_headers_get_list (soup_server_message_get_request_headers (msg),
                                                      "Cookie");
  g_auto(GStrv) pairs = NULL;
  gsize name_len = strlen (name);

  if (header == NULL)
    return NULL;
  pairs = g_strsplit (header, ";", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      const char *pair = pairs[i];

      while (*pair == ' ' || *pair == '\t' || *pair == ',')
        pair++;
      if (strncmp (pair, name, name_len) == 0 && pair[name_len] == '=')
        return g_uri_unescape_string (pair + name_len + 1, NULL);
    }
  return NULL;
}

static char *
dup_token (SoupServerMessage *msg,
           GHashTable        *query,
           gboolean           from_query)
{
  const char *authorization =
    soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Authorization");

  if (authorization != NULL && g_ascii_strncasecmp (authorization, "Bearer ", 7) == 0)
    return g_strstrip (g_strdup (authorization + 7));
  if (from_query && query != NULL && g_hash_table_lookup (query, "token") != NULL)
    return g_strdup (g_hash_table_lookup (query, "token"));
  return dup_cookie (msg, SESSION_COOKIE);
}

static void
log_refusal (OrderlyServer     *self,
             SoupServerMessage *msg,
             const char        *why)
{
  const char *address = soup_server_message_get_remote_host (msg);

  if (orderly_login_limiter_should_log (self->limiter, address))
    g_message ("Refused %s %s from %s: %s", soup_server_message_get_method (msg),
               g_uri_get_path (soup_server_message_get_uri (msg)), address, why);
}

static gboolean check_request (OrderlyServer     *self,
                               SoupServerMessage *msg,
                               GHashTable        *query,
                               gboolean           is_upgrade,
                               gboolean           open_route,
                               OrderlyRole       *role);

/**
 * orderly_server_check_request:
 * @query: (nullable): the decoded query; its `token` counts only for @is_upgrade
 * @is_upgrade: whether @msg asks for a WebSocket
 * @role: (out): the role its token grants; %ORDERLY_ROLE_NONE without a token
 *
 * Applies the rules every request follows: its Host must be one the server
 * answers to, its Origin (on upgrades and state-changing requests) must be
 * the server's own or an allowed one, an address with too many failed logins
 * is refused, and a token that it carries must be valid.
 *
 * Returns: %FALSE if @msg was refused; its response is then set
 */
gboolean
orderly_server_check_request (OrderlyServer     *self,
                              SoupServerMessage *msg,
                              GHashTable        *query,
                              gboolean           is_upgrade,
                              OrderlyRole       *role)
{
  g_return_val_if_fail (ORDERLY_IS_SERVER (self), FALSE);
  g_return_val_if_fail (role != NULL, FALSE);

  return check_request (self, msg, query, is_upgrade, FALSE, role);
}

/**
 * orderly_server_check_handshake:
 *
 * Applies the Host and Origin rules to a request whose client proves who it
 * is later, in its own protocol (Socket.IO's CONNECT). A token it carries is
 * not a login attempt here; the transport checks it, and counts failures in
 * orderly_server_get_login_limiter(), where its refusal can say why.
 *
 * Returns: %FALSE if @msg was refused; its response is then set
 */
gboolean
orderly_server_check_handshake (OrderlyServer     *self,
                                SoupServerMessage *msg,
                                GHashTable        *query,
                                gboolean           is_upgrade)
{
  OrderlyRole role;

  g_return_val_if_fail (ORDERLY_IS_SERVER (self), FALSE);

  return check_request (self, msg, query, is_upgrade, TRUE, &role);
}

/* Open routes (the page, its files, /session, health) ignore a token that
 * is not valid: a stale cookie must not keep the page from asking for a new
 * one, and loading the page is not a login attempt. */
static gboolean
check_request (OrderlyServer     *self,
               SoupServerMessage *msg,
               GHashTable        *query,
               gboolean           is_upgrade,
               gboolean           open_route,
               OrderlyRole       *role)
{
  SoupMessageHeaders *headers;
  const char *method;
  const char *origin;
  const char *address;
  g_autofree char *token = NULL;

  headers = soup_server_message_get_request_headers (msg);
  method = soup_server_message_get_method (msg);
  origin = soup_message_headers_get_one (headers, "Origin");
  address = soup_server_message_get_remote_host (msg);
  *role = ORDERLY_ROLE_NONE;

  if (!host_is_allowed (self, soup_message_headers_get_one (headers, "Host")))
    {
      log_refusal (self, msg, "unknown Host");
      respond_error (msg, 403, "This server does not answer to that Host name");
      return FALSE;
    }

  if ((is_upgrade || (g_strcmp0 (method, "GET") != 0 && g_strcmp0 (method, "HEAD") != 0 &&
                      g_strcmp0 (method, "OPTIONS") != 0)) &&
      !origin_is_allowed (self, msg, origin))
    {
      log_refusal (self, msg, "foreign Origin");
      respond_error (msg, 403, "Requests from this Origin are not allowed");
      return FALSE;
    }

  if (!orderly_remote_get_auth_enabled (self->remote))
    {
      *role = ORDERLY_ROLE_OPERATOR;
      return TRUE;
    }

  if (!open_route && orderly_login_limiter_is_blocked (self->limiter, address))
    {
      respond_error (msg, 429, "Too many failed logins from this address; try again later");
      return FALSE;
    }

  token = dup_token (msg, query, is_upgrade);
  if (token == NULL)
    return TRUE;

  *role = orderly_remote_check_token (self->remote, token);
  if (*role == ORDERLY_ROLE_NONE && open_route)
    return TRUE;
  if (*role == ORDERLY_ROLE_NONE)
    {
      gboolean blocked = orderly_login_limiter_add_failure (self->limiter, address);

      log_refusal (self, msg, "invalid token");
      if (blocked)
        respond_error (msg, 429, "Too many failed logins from this address; try again later");
      else
        respond_error (msg, 401, "The access token is not valid");
      return FALSE;
    }
  orderly_login_limiter_add_success (self->limiter, address);
  return TRUE;
}

/* Metrics */

static void
count_request (OrderlyServer *self,
               const char    *route,
               guint          status_code)
{
  g_autofree char *key = g_strdup_printf ("%s\n%u", route, status_code);
  guint64 *count = g_hash_table_lookup (self->request_counts, key);

  if (count == NULL)
    {
      count = g_new0 (guint64, 1);
      g_hash_table_insert (self->request_counts, g_steal_pointer (&key), count);
    }
  (*count)++;
}

static void
finished_cb (SoupServerMessage *msg,
             OrderlyServer     *self)
{
  const char *route = g_object_get_data (G_OBJECT (msg), "orderly-route");

  count_request (self, route != NULL ? route : "other", soup_server_message_get_status (msg));
}

static void
track_route (OrderlyServer     *self,
             SoupServerMessage *msg,
             const char        *route)
{
  g_object_set_data (G_OBJECT (msg), "orderly-route", (gpointer) route);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

static char *
build_metrics (OrderlyServer *self)
{
  const OrderlyStatusData *d = orderly_status_get_data (orderly_engine_get_status (self->engine));
  GListModel *clients = orderly_remote_get_clients (self->remote);
  GString *out = g_string_new (NULL);
  g_autoptr(GHashTable) by_transport = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) keys = NULL;
  GHashTableIter iter;
  gpointer key, value;
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (out, "# HELP orderly_orders Orders of the current run by priority and state.\n"
                        "# TYPE orderly_orders gauge\n");
  g_string_append_printf (out, "orderly_orders{priority=\"vip\",state=\"processed\"} %" G_GINT64_FORMAT "\n",
                          d->vip_processed);
  g_string_append_printf (out, "orderly_orders{priority=\"vip\",state=\"pending\"} %" G_GINT64_FORMAT "\n",
                          MAX (d->vip_total - d->vip_processed, 0));
  g_string_append_printf (out, "orderly_orders{priority=\"normal\",state=\"processed\"} %" G_GINT64_FORMAT "\n",
                          d->normal_processed);
  g_string_append_printf (out, "orderly_orders{priority=\"normal\",state=\"pending\"} %" G_GINT64_FORMAT "\n",
                          MAX (d->normal_total - d->normal_processed, 0));

  g_string_append (out, "# HELP orderly_run_target Orders the current run generates.\n"
                        "# TYPE orderly_run_target gauge\n");
  g_string_append_printf (out, "orderly_run_target %" G_GINT64_FORMAT "\n", d->target);

  g_string_append (out, "# HELP orderly_phase The phase of the current run (1 for the current one).\n"
                        "# TYPE orderly_phase gauge\n");
  for (OrderlyPhase phase = ORDERLY_PHASE_IDLE; phase <= ORDERLY_PHASE_INTERRUPTED; phase++)
    g_string_append_printf (out, "orderly_phase{phase=\"%s\"} %d\n", orderly_phase_to_string (phase),
                            phase == d->phase);

  g_string_append (out, "# HELP orderly_throughput_orders_per_second Processing throughput.\n"
                        "# TYPE orderly_throughput_orders_per_second gauge\n");
  g_string_append_printf (out, "orderly_throughput_orders_per_second{priority=\"vip\"} %s\n",
                          g_ascii_dtostr (number, sizeof number, d->throughput_vip));
  g_string_append_printf (out, "orderly_throughput_orders_per_second{priority=\"normal\"} %s\n",
                          g_ascii_dtostr (number, sizeof number, d->throughput_normal));
  g_string_append_printf (out, "orderly_throughput_orders_per_second{priority=\"overall\"} %s\n",
                          g_ascii_dtostr (number, sizeof number, d->throughput_overall));

  g_hash_table_insert (by_transport, (gpointer) "websocket", GUINT_TO_POINTER (0));
  g_hash_table_insert (by_transport, (gpointer) "polling", GUINT_TO_POINTER (0));
  for (guint i = 0; i < g_list_model_get_n_items (clients); i++)
    {
      g_autoptr(OrderlyClient) client = g_list_model_get_item (clients, i);
      const char *transport = orderly_client_get_transport (client);
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (by_transport, transport));

      g_hash_table_insert (by_transport, (gpointer) g_intern_string (transport), GUINT_TO_POINTER (n + 1));
    }
  g_string_append (out, "# HELP orderly_clients Connected live clients by transport.\n"
                        "# TYPE orderly_clients gauge\n");
  keys = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, by_transport);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_strings);
  for (guint i = 0; i < keys->len; i++)
    g_string_append_printf (out, "orderly_clients{transport=\"%s\"} %u\n", (char *) keys->pdata[i],
                            GPOINTER_TO_UINT (g_hash_table_lookup (by_transport, keys->pdata[i])));

  g_string_append (out, "# HELP orderly_messages_sent_total Live messages sent to clients.\n"
                        "# TYPE orderly_messages_sent_total counter\n");
  g_string_append_printf (out, "orderly_messages_sent_total %" G_GUINT64_FORMAT "\n",
                          orderly_hub_get_messages_sent (self->hub));
  g_string_append (out, "# HELP orderly_messages_dropped_total Live messages skipped or dropped "
                        "for clients that could not keep up.\n"
                        "# TYPE orderly_messages_dropped_total counter\n");
  g_string_append_printf (out, "orderly_messages_dropped_total %" G_GUINT64_FORMAT "\n",
                          orderly_hub_get_messages_dropped (self->hub));

  g_string_append (out, "# HELP orderly_http_requests_total HTTP requests by route and status code.\n"
                        "# TYPE orderly_http_requests_total counter\n");
  g_ptr_array_set_size (keys, 0);
  g_hash_table_iter_init (&iter, self->request_counts);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_strings);
  for (guint i = 0; i < keys->len; i++)
    {
      const char *newline = strchr (keys->pdata[i], '\n');
      g_autofree char *route = g_strndup (keys->pdata[i], newline - (char *) keys->pdata[i]);

      value = g_hash_table_lookup (self->request_counts, keys->pdata[i]);
      g_string_append_printf (out, "orderly_http_requests_total{route=\"%s\",code=\"%s\"} %" G_GUINT64_FORMAT "\n",
                              route, newline + 1, *(guint64 *) value);
    }

  g_string_append (out, "# HELP orderly_uptime_seconds Seconds since the server started.\n"
                        "# TYPE orderly_uptime_seconds gauge\n");
  g_string_append_printf (out, "orderly_uptime_seconds %s\n",
                          g_ascii_dtostr (number, sizeof number,
                                          (g_get_monotonic_time () - self->started_us) / 1e6));
  return g_string_free (out, FALSE);
}

/* Static files */

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

static gboolean
serve_resource (SoupServerMessage *msg,
                GResource         *resource,
                const char        *resource_path,
                gboolean           api)
{
  g_autoptr(GBytes) bytes = NULL;

  if (strstr (resource_path, "/../") != NULL || g_str_has_suffix (resource_path, "/.."))
    return FALSE;
  bytes = g_resource_lookup_data (resource, resource_path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (bytes == NULL)
    return FALSE;

  add_security_headers (msg, api);
  soup_server_message_set_status (msg, 200, NULL);
  soup_message_headers_set_content_type (soup_server_message_get_response_headers (msg),
                                         content_type_for (resource_path), NULL);
  if (g_strcmp0 (soup_server_message_get_method (msg), "HEAD") != 0)
    soup_message_body_append_bytes (soup_server_message_get_response_body (msg), bytes);
  else
    soup_message_headers_set_content_length (soup_server_message_get_response_headers (msg),
                                             g_bytes_get_size (bytes));
  return TRUE;
}

static void
handle_login (OrderlyServer     *self,
              SoupServerMessage *msg,
              const char        *token)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *address = soup_server_message_get_remote_host (msg);

  add_security_headers (msg, TRUE);
  if (orderly_remote_get_auth_enabled (self->remote))
    {
      if (orderly_login_limiter_is_blocked (self->limiter, address))
        {
          respond_error (msg, 429, "Too many failed logins from this address; try again later");
          return;
        }
      if (orderly_remote_check_token (self->remote, token) != ORDERLY_ROLE_NONE)
        {
          g_autofree char *escaped = g_uri_escape_string (token, NULL, FALSE);
          g_autofree char *cookie =
            g_strdup_printf (SESSION_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict%s",
                             escaped, self->tls_certificate != NULL ? "; Secure" : "");

          orderly_login_limiter_add_success (self->limiter, address);
          soup_message_headers_append (headers, "Set-Cookie", cookie);
        }
      else if (orderly_login_limiter_add_failure (self->limiter, address))
        {
          log_refusal (self, msg, "invalid token");
          respond_error (msg, 429, "Too many failed logins from this address; try again later");
          return;
        }
      else
        {
          log_refusal (self, msg, "invalid token");
        }
    }
  /* Back to the page without the token in the address bar; the page then
   * finds out from its requests whether it is signed in. A relative target
   * keeps working behind a reverse proxy that serves Orderly at a sub-path. */
  soup_server_message_set_status (msg, SOUP_STATUS_SEE_OTHER, NULL);
  soup_message_headers_replace (headers, "Location", "./");
}

/* REST */

typedef struct
{
  const char *method;
  const char *path;
  const char *command;
  const char *query_argument;   /* an integer query parameter passed on */
  gboolean    takes_body;
} Route;

static const Route routes[] = {
  { "GET", "/pedidos", "get-status", NULL, FALSE },
  { "GET", "/pedidos/logs", "get-logs", "lines", FALSE },
  { "GET", "/queue/counts", "get-queue-counts", NULL, FALSE },
  { "GET", "/runs", "get-runs", "limit", FALSE },
  { "GET", "/clients", "get-clients", NULL, FALSE },
  { "GET", "/health/ready", "get-health", NULL, FALSE },
  { "POST", "/generate", "start-generation", NULL, TRUE },
  { "POST", "/cancel", "cancel-operation", NULL, TRUE },
  { "POST", "/reset", "reset-system", NULL, TRUE },
  { "POST", "/resume", "resume-run", NULL, TRUE },
};

static GBytes *
dup_request_body (SoupServerMessage *msg)
{
  GByteArray *own = g_object_get_data (G_OBJECT (msg), "orderly-body");

  if (own != NULL)
    return g_bytes_new (own->data, own->len);
  return soup_message_body_flatten (soup_server_message_get_request_body (msg));
}

static gboolean
body_too_large (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (msg), "orderly-too-large")))
    return TRUE;
  return soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
         soup_message_headers_get_content_length (headers) > ORDERLY_SERVER_MAX_BODY;
}

static void
handle_route (OrderlyServer     *self,
              SoupServerMessage *msg,
              GHashTable        *query,
              const Route       *route,
              OrderlyRole        role)
{
  g_autoptr(JsonNode) arguments = NULL;
  g_autoptr(JsonNode) answer = NULL;
  guint status_code = 0;

  if (route->takes_body)
    {
      g_autoptr(GBytes) body = NULL;
      gsize size;
      const char *data;

      if (body_too_large (msg))
        {
          respond_error (msg, 413, "The request body is larger than 64 KiB");
          return;
        }
      body = dup_request_body (msg);
      data = g_bytes_get_data (body, &size);
      if (size > 0)
        {
          g_autoptr(JsonParser) parser = json_parser_new_immutable ();
          g_autoptr(GError) error = NULL;

          if (!json_parser_load_from_data (parser, data, size, &error))
            {
              g_autofree char *message = g_strdup_printf ("Malformed JSON: %s", error->message);

              respond_error (msg, 400, message);
              return;
            }
          arguments = json_node_ref (json_parser_get_root (parser));
        }
    }
  else if (route->query_argument != NULL && query != NULL &&
           g_hash_table_lookup (query, route->query_argument) != NULL)
    {
      JsonObject *object = json_object_new ();

      json_object_set_string_member (object, route->query_argument,
                                     g_hash_table_lookup (query, route->query_argument));
      arguments = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (arguments, object);
    }

  answer = orderly_dispatcher_dispatch (self->dispatcher, route->command, arguments, role, &status_code);
  respond_json (msg, status_code, answer);
}

static void
add_cors_headers (OrderlyServer     *self,
                  SoupServerMessage *msg)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  const char *origin = soup_message_headers_get_one (request, "Origin");

  soup_message_headers_append (response, "Vary", "Origin");
  if (origin == NULL || !origin_is_listed (self, origin))
    return;
  soup_message_headers_replace (response, "Access-Control-Allow-Origin", origin);
  soup_message_headers_replace (response, "Access-Control-Allow-Credentials", "true");
}

static void
handle_preflight (OrderlyServer     *self,
                  SoupServerMessage *msg)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  const char *origin = soup_message_headers_get_one (request, "Origin");

  if (origin == NULL || !origin_is_listed (self, origin))
    {
      respond_error (msg, 403, "Cross-origin requests from this Origin are not allowed");
      return;
    }
  add_security_headers (msg, TRUE);
  soup_message_headers_replace (response, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  soup_message_headers_replace (response, "Access-Control-Allow-Headers",
                                "Authorization, Content-Type");
  soup_message_headers_replace (response, "Access-Control-Max-Age", "600");
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

static void
handle_session (OrderlyServer     *self,
                SoupServerMessage *msg,
                OrderlyRole        role)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "role", orderly_role_to_string (role));
  json_object_set_boolean_member (object, "auth", orderly_remote_get_auth_enabled (self->remote));
  json_node_take_object (node, object);
  respond_json (msg, 200, node);
}

static void
handle_metrics (OrderlyServer     *self,
                SoupServerMessage *msg)
{
  char *text = build_metrics (self);

  add_security_headers (msg, TRUE);
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "text/plain; version=0.0.4; charset=utf-8",
                                    SOUP_MEMORY_TAKE, text, strlen (text));
}

static gboolean
is_open_route (OrderlyServer *self,
               const char    *method,
               const char    *path)
{
  g_autofree char *resource_path = NULL;

  if (!g_str_equal (method, "GET") && !g_str_equal (method, "HEAD"))
    return FALSE;
  if (g_str_equal (path, "/") || g_str_equal (path, "/index.html") || g_str_equal (path, "/session") ||
      g_str_equal (path, "/openapi.json") || g_str_equal (path, "/health/ready"))
    return TRUE;
  resource_path = g_strconcat (WEB_PREFIX, path, NULL);
  return g_resource_get_info (orderly_web_get_resource (), resource_path,
                              G_RESOURCE_LOOKUP_FLAGS_NONE, NULL, NULL, NULL);
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  OrderlyServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  gboolean is_get = g_str_equal (method, "GET") || g_str_equal (method, "HEAD");
  OrderlyRole role = ORDERLY_ROLE_NONE;
  gboolean path_known = FALSE;

  g_signal_connect_object (msg, "finished", G_CALLBACK (finished_cb), self, 0);
  add_cors_headers (self, msg);

  if (g_str_equal (method, "OPTIONS"))
    {
      track_route (self, msg, "preflight");
      handle_preflight (self, msg);
      return;
    }

  /* The page, its files and the login link are open; the page asks for a
   * token itself. */
  if (is_get && g_str_equal (path, "/") && query != NULL && g_hash_table_lookup (query, "token"))
    {
      track_route (self, msg, "/");
      if (!host_is_allowed (self, soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Host")))
        respond_error (msg, 403, "This server does not answer to that Host name");
      else
        handle_login (self, msg, g_hash_table_lookup (query, "token"));
      return;
    }

  if (!check_request (self, msg, query, FALSE, is_open_route (self, method, path), &role))
    {
      track_route (self, msg, "refused");
      return;
    }

  if (is_get)
    {
      g_autofree char *resource_path = NULL;

      if (g_str_equal (path, "/") || g_str_equal (path, "/index.html"))
        {
          track_route (self, msg, "/");
          serve_resource (msg, orderly_web_get_resource (), WEB_PREFIX "/index.html", FALSE);
          return;
        }
      if (g_str_equal (path, "/session"))
        {
          track_route (self, msg, "/session");
          handle_session (self, msg, role);
          return;
        }
      if (g_str_equal (path, "/openapi.json"))
        {
          track_route (self, msg, "/openapi.json");
          serve_resource (msg, orderly_server_get_resource (),
                          "/io/github/orderly/Orderly/server/openapi.json", TRUE);
          return;
        }
      if (g_str_equal (path, "/metrics"))
        {
          track_route (self, msg, "/metrics");
          if (role == ORDERLY_ROLE_NONE)
            respond_error (msg, 401, "A valid access token is required");
          else
            handle_metrics (self, msg);
          return;
        }
      resource_path = g_strconcat (WEB_PREFIX, path, NULL);
      if (serve_resource (msg, orderly_web_get_resource (), resource_path, FALSE))
        {
          track_route (self, msg, "static");
          return;
        }
    }

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      if (!g_str_equal (routes[i].path, path))
        continue;
      path_known = TRUE;
      if (g_str_equal (routes[i].method, method) ||
          (g_str_equal (method, "HEAD") && g_str_equal (routes[i].method, "GET")))
        {
          track_route (self, msg, routes[i].path);
          handle_route (self, msg, query, &routes[i], role);
          return;
        }
    }

  if (path_known)
    {
      track_route (self, msg, "other");
      respond_error (msg, 405, "Method not allowed on this path");
      return;
    }
  track_route (self, msg, "other");
  respond_error (msg, 404, "No such resource");
}

/* Request bodies are read into a buffer that stops growing at the limit, so
 * a huge chunked upload costs nothing but the 413. */
static void
got_chunk_cb (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  GByteArray *own = g_object_get_data (G_OBJECT (msg), "orderly-body");

  if (own->len + g_bytes_get_size (chunk) > ORDERLY_SERVER_MAX_BODY)
    {
      g_object_set_data (G_OBJECT (msg), "orderly-too-large", GUINT_TO_POINTER (TRUE));
      return;
    }
  g_byte_array_append (own, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
}

static void
early_cb (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);

  if (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > ORDERLY_SERVER_MAX_BODY)
    {
      OrderlyServer *self = user_data;

      g_signal_connect_object (msg, "finished", G_CALLBACK (finished_cb), self, 0);
      track_route (self, msg, "too-large");
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Connection", "close");
      respond_error (msg, 413, "The request body is larger than 64 KiB");
      return;
    }
  if (encoding == SOUP_ENCODING_CHUNKED || encoding == SOUP_ENCODING_EOF)
    {
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
      g_object_set_data_full (G_OBJECT (msg), "orderly-body", g_byte_array_new (),
                              (GDestroyNotify) g_byte_array_unref);
      g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), NULL);
    }
}

/* /ws */

static gboolean
is_upgrade_request (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  return soup_message_headers_header_contains (headers, "Upgrade", "websocket") &&
         soup_message_headers_header_contains (headers, "Connection", "Upgrade");
}

static void ws_accept (OrderlyServer     *self,
                       SoupServerMessage *msg,
                       OrderlyRole        role);

static void
ws_http_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  OrderlyServer *self = user_data;
  OrderlyRole role = ORDERLY_ROLE_NONE;

  g_signal_connect_object (msg, "finished", G_CALLBACK (finished_cb), self, 0);
  track_route (self, msg, "/ws");

  if (!is_upgrade_request (msg))
    {
      respond_error (msg, 400, "This is a WebSocket endpoint; connect with a WebSocket");
      return;
    }
  if (!orderly_server_check_request (self, msg, query, TRUE, &role))
    return;
  if (role == ORDERLY_ROLE_NONE)
    {
      log_refusal (self, msg, "no token");
      respond_error (msg, 401, "A valid access token is required");
      return;
    }
  if (self->reserved_connections >= self->max_connections)
    {
      log_refusal (self, msg, "connection limit reached");
      respond_error (msg, 503, "Too many connections; try again later");
      return;
    }
  ws_accept (self, msg, role);
}

static void
ws_closed_cb (OrderlyServer   *self,
              OrderlyWsClient *client)
{
  g_signal_handlers_disconnect_by_data (client, self);
  g_hash_table_remove (self->ws_clients, client);
  orderly_server_release_connection (self);
}

/* The seq to resume after, or -1 for a fresh start. A seq is meaningful only
 * to the instance that issued it: a client that names another instance (the
 * server restarted) starts afresh. */
static gint64
parse_since (GUri       *uri,
             const char *instance_id)
{
  g_autoptr(GHashTable) params = NULL;
  const char *query = g_uri_get_query (uri);
  const char *since;
  const char *instance;
  char *end = NULL;
  gint64 value;

  if (query == NULL)
    return -1;
  params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
  if (params == NULL || (since = g_hash_table_lookup (params, "since")) == NULL)
    return -1;
  instance = g_hash_table_lookup (params, "instance");
  if (instance != NULL && g_strcmp0 (instance, instance_id) != 0)
    return -1;
  value = g_ascii_strtoll (since, &end, 10);
  if (end == since || *end != '\0' || value < 0)
    return -1;
  return value;
}

/* The 101 is out: the connection is ours from here on. */
static void
ws_opened (OrderlyServer       *self,
           SoupServerMessage   *msg,
           OrderlyRole          role,
           OrderlyWsConnection *connection)
{
  const char *user_agent =
    soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "User-Agent");
  g_autofree char *id = g_uuid_string_random ();
  g_autoptr(OrderlyClient) client = NULL;
  OrderlyWsClient *ws_client;

  if (!orderly_server_reserve_connection (self))
    {
      orderly_ws_connection_close_with_reason (connection, 1013, "Too many connections");
      return;
    }
  client = orderly_client_new (id, soup_server_message_get_remote_host (msg), "websocket",
                               orderly_role_to_string (role), user_agent ? user_agent : "");
  ws_client = orderly_ws_client_new (connection, client, role, self->hub, self->dispatcher);
  g_hash_table_add (self->ws_clients, ws_client);
  g_signal_connect_object (ws_client, "closed", G_CALLBACK (ws_closed_cb), self, G_CONNECT_SWAPPED);
  orderly_ws_client_start (ws_client, parse_since (soup_server_message_get_uri (msg),
                                                  orderly_hub_get_instance_id (self->hub)));
}

typedef struct
{
  OrderlyServer *server;
  OrderlyRole    role;
} WsUpgrade;

static void
ws_upgrade_free (gpointer data)
{
  WsUpgrade *upgrade = data;

  g_object_unref (upgrade->server);
  g_free (upgrade);
}

static void
ws_accepted_cb (SoupServerMessage   *msg,
                OrderlyWsConnection *connection,
                gpointer             user_data)
{
  WsUpgrade *upgrade = user_data;

  if (!upgrade->server->started)
    {
      orderly_ws_connection_close (connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
      return;
    }
  ws_opened (upgrade->server, msg, upgrade->role, connection);
}

static void
ws_accept (OrderlyServer     *self,
           SoupServerMessage *msg,
           OrderlyRole        role)
{
  WsUpgrade *upgrade = g_new0 (WsUpgrade, 1);

  upgrade->server = g_object_ref (self);
  upgrade->role = role;
  orderly_ws_connection_accept (msg, ws_accepted_cb, upgrade, ws_upgrade_free);
}

static gboolean
keepalive_cb (gpointer user_data)
{
  OrderlyServer *self = user_data;
  g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer client;
  gint64 now = g_get_monotonic_time ();

  g_hash_table_iter_init (&iter, self->ws_clients);
  while (g_hash_table_iter_next (&iter, &client, NULL))
    g_ptr_array_add (clients, g_object_ref (client));
  for (guint i = 0; i < clients->len; i++)
    orderly_ws_client_keepalive (clients->pdata[i], now, self->ping_interval_us,
                                 self->idle_timeout_us);
  return G_SOURCE_CONTINUE;
}

static void
restart_keepalive (OrderlyServer *self)
{
  gint64 period_ms = MIN (self->ping_interval_us, self->idle_timeout_us) / 4000;

  g_clear_handle_id (&self->keepalive_source, g_source_remove);
  self->keepalive_source = g_timeout_add (CLAMP (period_ms, 20, 1000), keepalive_cb, self);
  g_source_set_name_by_id (self->keepalive_source, "[orderly] server keepalive");
}

/* Listening */

static void
raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }
}

static GSocket *
create_listener (GInetAddress  *address,
                 guint          port,
                 GError       **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  GSocketFamily family = g_inet_address_get_family (address);

  socket = g_socket_new (family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  /* The IPv4 and IPv6 sockets share a port; keep them apart. */
  if (family == G_SOCKET_FAMILY_IPV6 &&
      !g_socket_set_option (socket, IPPROTO_IPV6, IPV6_V6ONLY, 1, error))
    return NULL;
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  socket_address = g_inet_socket_address_new (address, port);
  if (!g_socket_bind (socket, socket_address, TRUE, error) || !g_socket_listen (socket, error))
    return NULL;
  return g_steal_pointer (&socket);
}

static guint
socket_port (GSocket *socket)
{
  g_autoptr(GSocketAddress) address = g_socket_get_local_address (socket, NULL);

  return address != NULL ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)) : 0;
}

static GPtrArray *
parse_bind_addresses (const char  *bind,
                      GError     **error)
{
  g_autoptr(GPtrArray) addresses = g_ptr_array_new_with_free_func (g_object_unref);
  g_auto(GStrv) names = NULL;

  names = g_strsplit (bind == NULL || *bind == '\0' ? "127.0.0.1,::1" : bind, ",", -1);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *name = host_without_port (g_strstrip (names[i]));
      GInetAddress *address;

      if (*name == '\0')
        continue;
      if (g_ascii_strcasecmp (name, "localhost") == 0)
        {
          g_ptr_array_add (addresses, g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4));
          g_ptr_array_add (addresses, g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6));
          continue;
        }
      address = g_inet_address_new_from_string (name);
      if (address == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "Cannot listen on “%s”: not an IP address", name);
          return NULL;
        }
      g_ptr_array_add (addresses, address);
    }
  if (addresses->len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "No address to listen on");
      return NULL;
    }
  return g_steal_pointer (&addresses);
}

static gboolean
has_ipv4_address (GPtrArray *addresses)
{
  for (guint i = 0; i < addresses->len; i++)
    if (g_inet_address_get_family (addresses->pdata[i]) == G_SOCKET_FAMILY_IPV4)
      return TRUE;
  return FALSE;
}

/* Binds every address on one port; port 0 picks one free on all of them. */
static GPtrArray *
create_listeners (GPtrArray  *addresses,
                  guint       wanted_port,
                  guint      *port,
                  GError    **error)
{
  for (guint attempt = 0; attempt < 20; attempt++)
    {
      g_autoptr(GPtrArray) sockets = g_ptr_array_new_with_free_func (g_object_unref);
      guint chosen = wanted_port;
      gboolean retry = FALSE;

      for (guint i = 0; i < addresses->len; i++)
        {
          GInetAddress *address = addresses->pdata[i];
          g_autoptr(GError) socket_error = NULL;
          g_autofree char *name = NULL;
          GSocket *socket = create_listener (address, chosen, &socket_error);

          if (socket == NULL)
            {
              /* A machine without IPv6 still serves on the IPv4 addresses
               * listed beside. */
              if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6 &&
                  has_ipv4_address (addresses) &&
                  !g_error_matches (socket_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
                {
                  name = g_inet_address_to_string (address);
                  g_message ("Not listening on %s: %s", name, socket_error->message);
                  continue;
                }
              if (wanted_port == 0 && i > 0 &&
                  g_error_matches (socket_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
                {
                  retry = TRUE;
                  break;
                }
              name = g_inet_address_to_string (address);
              g_set_error (error, socket_error->domain, socket_error->code,
                           "Cannot listen on %s port %u: %s", name, chosen, socket_error->message);
              return NULL;
            }
          if (chosen == 0)
            chosen = socket_port (socket);
          g_ptr_array_add (sockets, socket);
        }
      if (retry)
        continue;
      if (sockets->len == 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "No address to listen on");
          return NULL;
        }
      *port = chosen;
      return g_steal_pointer (&sockets);
    }
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                       "Could not find a port free on every address");
  return NULL;
}

static char *
build_url (OrderlyServer *self,
           GInetAddress  *address)
{
  g_autofree char *host = g_inet_address_to_string (address);
  const char *scheme = self->tls_certificate != NULL ? "https" : "http";

  if (g_inet_address_get_is_any (address))
    {
      g_free (host);
      host = g_strdup (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6 ? "::1" : "127.0.0.1");
    }
  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("%s://[%s]:%u/", scheme, host, self->port);
  return g_strdup_printf ("%s://%s:%u/", scheme, host, self->port);
}

static gboolean
listen_now (OrderlyServer  *self,
            GError        **error)
{
  g_autoptr(GPtrArray) addresses = NULL;
  g_autoptr(GPtrArray) sockets = NULL;
  g_autofree char *url = NULL;
  guint port = 0;

  addresses = parse_bind_addresses (orderly_remote_get_bind_address (self->remote), error);
  if (addresses == NULL)
    return FALSE;
  sockets = create_listeners (addresses, orderly_remote_get_port (self->remote), &port, error);
  if (sockets == NULL)
    return FALSE;

  for (guint i = 0; i < sockets->len; i++)
    {
      if (!soup_server_listen_socket (self->soup, sockets->pdata[i],
                                      self->tls_certificate != NULL ? SOUP_SERVER_LISTEN_HTTPS : 0,
                                      error))
        {
          soup_server_disconnect (self->soup);
          return FALSE;
        }
    }
  self->port = port;
  url = build_url (self, addresses->pdata[0]);
  orderly_remote_set_url (self->remote, url);
  orderly_remote_set_listening (self->remote, TRUE, NULL);
  return TRUE;
}

static void
stop_listening (OrderlyServer *self)
{
  GSList *listeners = soup_server_get_listeners (self->soup);

  /* soup_server_disconnect() also drops plain HTTP connections; upgraded
   * WebSockets are no longer the server's and stay open. */
  if (listeners != NULL)
    soup_server_disconnect (self->soup);
  g_slist_free (listeners);
  self->port = 0;
}

static gboolean
relisten_cb (gpointer user_data)
{
  OrderlyServer *self = user_data;
  g_autoptr(GError) error = NULL;

  self->relisten_source = 0;
  if (!self->started)
    return G_SOURCE_REMOVE;
  stop_listening (self);
  if (!listen_now (self, &error))
    {
      g_message ("The server stopped listening: %s", error->message);
      orderly_remote_set_listening (self->remote, FALSE, error->message);
      orderly_remote_set_url (self->remote, NULL);
    }
  else
    {
      g_message ("Orderly listening on %s", orderly_remote_get_url (self->remote));
    }
  return G_SOURCE_REMOVE;
}

static void
listen_settings_changed_cb (OrderlyServer *self)
{
  if (self->started && self->relisten_source == 0)
    self->relisten_source = g_idle_add (relisten_cb, self);
}

/* Public API */

/**
 * orderly_server_new:
 *
 * Returns: (transfer full): a server, not yet listening
 */
OrderlyServer *
orderly_server_new (OrderlyEngine  *engine,
                    OrderlyRemote  *remote,
                    GError        **error)
{
  OrderlyServer *self;

  g_return_val_if_fail (ORDERLY_IS_ENGINE (engine), NULL);
  g_return_val_if_fail (ORDERLY_IS_REMOTE (remote), NULL);

  self = g_object_new (ORDERLY_TYPE_SERVER, NULL);
  self->engine = g_object_ref (engine);
  self->remote = g_object_ref (remote);
  self->instance_id = g_uuid_string_random ();
  self->hub = orderly_hub_new (engine, remote, self->instance_id);
  self->dispatcher = orderly_dispatcher_new (engine, remote, self->instance_id);
  return self;
}

/**
 * orderly_server_set_tls_files:
 *
 * Serves https and wss with the certificate and key in these PEM files.
 * Call before orderly_server_start().
 */
gboolean
orderly_server_set_tls_files (OrderlyServer  *self,
                              const char     *cert_file,
                              const char     *key_file,
                              GError        **error)
{
  g_autoptr(GTlsCertificate) certificate = NULL;

  g_return_val_if_fail (ORDERLY_IS_SERVER (self), FALSE);
  g_return_val_if_fail (self->soup == NULL, FALSE);

  certificate = g_tls_certificate_new_from_files (cert_file, key_file, error);
  if (certificate == NULL)
    return FALSE;
  g_set_object (&self->tls_certificate, certificate);
  return TRUE;
}

/**
 * orderly_server_start:
 *
 * Listens where #OrderlyRemote says, and again whenever that changes.
 */
gboolean
orderly_server_start (OrderlyServer  *self,
                      GError        **error)
{
  g_return_val_if_fail (ORDERLY_IS_SERVER (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  raise_fd_limit ();

  if (self->soup == NULL)
    {
      self->soup = g_object_new (SOUP_TYPE_SERVER,
                                 "server-header", "Orderly/" PACKAGE_VERSION " ",
                                 "tls-certificate", self->tls_certificate,
                                 NULL);
      soup_server_add_early_handler (self->soup, NULL, early_cb, self, NULL);
      soup_server_add_handler (self->soup, NULL, server_cb, self, NULL);
      soup_server_add_handler (self->soup, "/ws", ws_http_cb, self, NULL);
      self->socketio = orderly_socketio_transport_new (self, self->remote);
    }

  if (!listen_now (self, error))
    {
      orderly_remote_set_listening (self->remote, FALSE, error ? (*error)->message : NULL);
      return FALSE;
    }
  self->started = TRUE;
  g_signal_connect_object (self->remote, "notify::bind-address",
                           G_CALLBACK (listen_settings_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->remote, "notify::port",
                           G_CALLBACK (listen_settings_changed_cb), self, G_CONNECT_SWAPPED);
  restart_keepalive (self);
  if (!orderly_remote_get_auth_enabled (self->remote))
    orderly_engine_log (self->engine, ORDERLY_LOG_LEVEL_WARN, "server", NULL,
                        "Authentication is OFF (--no-auth): anyone who can reach %s can control "
                        "Orderly", orderly_remote_get_url (self->remote));
  return TRUE;
}

/**
 * orderly_server_stop:
 *
 * Closes every live client with 1001 and stops listening.
 */
void
orderly_server_stop (OrderlyServer *self)
{
  g_return_if_fail (ORDERLY_IS_SERVER (self));

  if (!self->started)
    return;
  self->started = FALSE;
  g_clear_handle_id (&self->relisten_source, g_source_remove);
  g_signal_handlers_disconnect_by_func (self->remote, listen_settings_changed_cb, self);
  close_all_ws_clients (self, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "Server shutting down");
  stop_listening (self);
  orderly_remote_set_listening (self->remote, FALSE, NULL);
}

/**
 * orderly_server_close_clients:
 *
 * Closes every /ws client with @code.
 */
void
orderly_server_close_clients (OrderlyServer *self,
                              gushort        code,
                              const char    *reason)
{
  g_return_if_fail (ORDERLY_IS_SERVER (self));
  close_all_ws_clients (self, code, reason);
}

/**
 * orderly_server_get_port:
 *
 * Returns: the port it listens on (the one picked when asked for 0), or 0
 */
guint
orderly_server_get_port (OrderlyServer *self)
{
  g_return_val_if_fail (ORDERLY_IS_SERVER (self), 0);
  return self->port;
}

const char *
orderly_server_get_instance_id (OrderlyServer *self)
{
  g_return_val_if_fail (ORDERLY_IS_SERVER (self), NULL);
  return self->instance_id;
}

/**
 * orderly_server_get_soup_server:
 *
 * Returns: (transfer none) (nullable): the #SoupServer, once started
 */
SoupServer *
orderly_server_get_soup_server (OrderlyServer *self)
{
  g_return_val_if_fail (ORDERLY_IS_SERVER (self), NULL);
  return self->soup;
}

/**
 * orderly_server_get_login_limiter:
 *
 * Returns: (transfer none): the failed-login counter every transport shares,
 *   so a guesser is slowed down whichever door it knocks on
 */
OrderlyLoginLimiter *
orderly_server_get_login_limiter (OrderlyServer *self)
{
  g_return_val_if_fail (ORDERLY_IS_SERVER (self), NULL);
  return self->limiter;
}

/**
 * orderly_server_get_hub:
 *
 * Returns: (transfer none): the live feed every transport subscribes to
 */
OrderlyHub *
orderly_server_get_hub (OrderlyServer *self)
{
  g_return_val_if_fail (ORDERLY_IS_SERVER (self), NULL);
  return self->hub;
}

/**
 * orderly_server_get_dispatcher:
 *
 * Returns: (transfer none): where every transport sends commands
 */
OrderlyDispatcher *
orderly_server_get_dispatcher (OrderlyServer *self)
{
  g_return_val_if_fail (ORDERLY_IS_SERVER (self), NULL);
  return self->dispatcher;
}

/**
 * orderly_server_reserve_connection:
 *
 * Takes one of the live connections (%ORDERLY_SERVER_MAX_CONNECTIONS unless
 * orderly_server_set_max_connections() said otherwise).
 *
 * Returns: %FALSE when none is left; otherwise release it with
 *   orderly_server_release_connection() when the connection ends
 */
gboolean
orderly_server_reserve_connection (OrderlyServer *self)
{
  g_return_val_if_fail (ORDERLY_IS_SERVER (self), FALSE);

  if (self->reserved_connections >= self->max_connections)
    return FALSE;
  self->reserved_connections++;
  return TRUE;
}

void
orderly_server_release_connection (OrderlyServer *self)
{
  g_return_if_fail (ORDERLY_IS_SERVER (self));
  g_return_if_fail (self->reserved_connections > 0);
  self->reserved_connections--;
}

/**
 * orderly_server_set_keepalive:
 * @ping_interval_ms: how often a /ws client gets a `ping` event
 * @idle_timeout_ms: how long a silent client stays connected
 */
void
orderly_server_set_keepalive (OrderlyServer *self,
                              guint          ping_interval_ms,
                              guint          idle_timeout_ms)
{
  g_return_if_fail (ORDERLY_IS_SERVER (self));

  self->ping_interval_us = MAX (ping_interval_ms, 10) * (gint64) 1000;
  self->idle_timeout_us = MAX (idle_timeout_ms, 10) * (gint64) 1000;
  if (self->keepalive_source != 0)
    restart_keepalive (self);
}

/**
 * orderly_server_set_login_limit:
 * @max_failures: failed logins from one address before it is refused
 * @block_ms: for how long
 */
void
orderly_server_set_login_limit (OrderlyServer *self,
                                guint          max_failures,
                                guint          block_ms)
{
  g_return_if_fail (ORDERLY_IS_SERVER (self));
  orderly_login_limiter_set_limits (self->limiter, max_failures, block_ms);
}

/**
 * orderly_server_set_max_connections:
 *
 * How many live connections (WebSocket and Socket.IO) are served at once;
 * beyond that an upgrade is answered 503.
 */
void
orderly_server_set_max_connections (OrderlyServer *self,
                                    guint          max_connections)
{
  g_return_if_fail (ORDERLY_IS_SERVER (self));
  self->max_connections = max_connections;
}
