/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-engineio"

#include "config.h"

#include <string.h>

#include "orderly-eio-server-private.h"
#include "orderly-eio-session-private.h"
#include "orderly-json-writer.h"

/* The server checks every request as the reference server does, in the
 * same order and with the same error codes, then hands it to its session:
 * a handshake makes one, a poll or a WebSocket with a sid goes to the one
 * it names. */

G_DEFINE_FINAL_TYPE (OrderlyEioServer, orderly_eio_server, G_TYPE_OBJECT)

enum {
  SIGNAL_CONNECTION,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char * const error_messages[] = {
  "Transport unknown",
  "Session ID unknown",
  "Bad handshake method",
  "Bad request",
  "Forbidden",
  "Unsupported protocol version",
};

static void
orderly_eio_server_dispose (GObject *object)
{
  OrderlyEioServer *self = ORDERLY_EIO_SERVER (object);

  orderly_eio_server_close_all (self);
  orderly_eio_server_detach (self);

  G_OBJECT_CLASS (orderly_eio_server_parent_class)->dispose (object);
}

static void
orderly_eio_server_finalize (GObject *object)
{
  OrderlyEioServer *self = ORDERLY_EIO_SERVER (object);

  if (self->request_destroy != NULL)
    self->request_destroy (self->request_data);
  g_free (self->path);
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_pointer (&self->heartbeat, orderly_eio_heartbeat_free);
  g_strfreev (self->cors_origins);

  G_OBJECT_CLASS (orderly_eio_server_parent_class)->finalize (object);
}

static void
orderly_eio_server_class_init (OrderlyEioServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = orderly_eio_server_dispose;
  object_class->finalize = orderly_eio_server_finalize;

  /**
   * OrderlyEioServer::connection:
   * @session: the new session
   *
   * Emitted after a handshake, once the open packet is on its way.
   */
  signals[SIGNAL_CONNECTION] =
    g_signal_new ("connection", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ORDERLY_TYPE_EIO_SESSION);
}

static void
orderly_eio_server_init (OrderlyEioServer *self)
{
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  self->ping_interval = ORDERLY_EIO_DEFAULT_PING_INTERVAL;
  self->ping_timeout = ORDERLY_EIO_DEFAULT_PING_TIMEOUT;
  self->heartbeat = orderly_eio_heartbeat_new (_orderly_eio_session_ping, _orderly_eio_session_ping_timeout, self);
  orderly_eio_heartbeat_set_timing (self->heartbeat, self->ping_interval, self->ping_timeout);
  self->max_payload = ORDERLY_EIO_DEFAULT_MAX_PAYLOAD;
  self->max_queue = ORDERLY_EIO_DEFAULT_MAX_QUEUE;
}

/**
 * orderly_eio_server_new:
 * @path: the path prefix without a trailing slash, e.g. "/socket.io"
 *
 * Returns: (transfer full): a new server, not yet attached
 */
OrderlyEioServer *
orderly_eio_server_new (const char *path)
{
  OrderlyEioServer *self;

  g_return_val_if_fail (path != NULL && path[0] == '/', NULL);

  self = g_object_new (ORDERLY_TYPE_EIO_SERVER, NULL);
  self->path = g_strdup (path);
  if (g_str_has_suffix (self->path, "/") && strlen (self->path) > 1)
    self->path[strlen (self->path) - 1] = '\0';
  return self;
}

void
orderly_eio_server_set_heartbeat (OrderlyEioServer *self,
                                  guint             ping_interval_ms,
                                  guint             ping_timeout_ms)
{
  g_return_if_fail (ORDERLY_IS_EIO_SERVER (self));
  g_return_if_fail (ping_interval_ms > 0 && ping_timeout_ms > 0);

  self->ping_interval = ping_interval_ms;
  self->ping_timeout = ping_timeout_ms;
  orderly_eio_heartbeat_set_timing (self->heartbeat, ping_interval_ms, ping_timeout_ms);
}

void
orderly_eio_server_set_max_payload (OrderlyEioServer *self,
                                    gsize             max_payload)
{
  g_return_if_fail (ORDERLY_IS_EIO_SERVER (self));
  g_return_if_fail (max_payload > 0);
  self->max_payload = max_payload;
}

/**
 * orderly_eio_server_set_max_queue:
 * @self: a server
 * @max_packets: the most packets a polling session may hold for its
 *   next GET; past it the oldest are dropped
 */
void
orderly_eio_server_set_max_queue (OrderlyEioServer *self,
                                  guint             max_packets)
{
  g_return_if_fail (ORDERLY_IS_EIO_SERVER (self));
  g_return_if_fail (max_packets > 0);
  self->max_queue = max_packets;
}

/**
 * orderly_eio_server_set_cors_origins:
 * @self: a server
 * @origins: (nullable) (array zero-terminated=1): origins allowed to poll
 *   cross-origin; "*" allows any origin, without credentials
 *
 * With %NULL (the default) no CORS header is ever sent.
 */
void
orderly_eio_server_set_cors_origins (OrderlyEioServer   *self,
                                     const char * const *origins)
{
  g_return_if_fail (ORDERLY_IS_EIO_SERVER (self));

  g_strfreev (self->cors_origins);
  self->cors_origins = g_strdupv ((char **) origins);
}

/**
 * orderly_eio_server_set_request_func:
 * @self: a server
 * @func: (nullable): checks every request before Engine.IO looks at it
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data
 *
 * When @func returns %FALSE the request is refused: with the response
 * @func set, or 403 {"code":4,"message":"Forbidden"} if it set none.
 */
void
orderly_eio_server_set_request_func (OrderlyEioServer      *self,
                                     OrderlyEioRequestFunc  func,
                                     gpointer               user_data,
                                     GDestroyNotify         destroy)
{
  g_return_if_fail (ORDERLY_IS_EIO_SERVER (self));

  if (self->request_destroy != NULL)
    self->request_destroy (self->request_data);
  self->request_func = func;
  self->request_data = user_data;
  self->request_destroy = destroy;
}

/**
 * orderly_eio_server_set_socket_func:
 * @self: a server
 * @func: (nullable): finds the socket a request came on; %NULL asks libsoup
 *
 * A long poll is watched on its socket, so that a client that hangs up is
 * let go at once, and a WebSocket's socket lets a failing connection shut
 * its sending side first. libsoup knows the socket only of the
 * connections it accepted itself: a server handed its connections with
 * soup_server_accept_iostream() names who knows it.
 */
void
orderly_eio_server_set_socket_func (OrderlyEioServer     *self,
                                    OrderlyEioSocketFunc  func)
{
  g_return_if_fail (ORDERLY_IS_EIO_SERVER (self));
  self->socket_func = func;
}

/* The socket @msg came on, when known. */
GSocket *
_orderly_eio_server_get_socket (OrderlyEioServer  *self,
                                SoupServerMessage *msg)
{
  if (self != NULL && self->socket_func != NULL)
    return self->socket_func (msg);
  return soup_server_message_get_socket (msg);
}

guint
orderly_eio_server_get_n_sessions (OrderlyEioServer *self)
{
  g_return_val_if_fail (ORDERLY_IS_EIO_SERVER (self), 0);
  return g_hash_table_size (self->sessions);
}

/**
 * orderly_eio_server_close_all:
 * @self: a server
 *
 * Ends every session at once, e.g. when the application quits.
 */
void
orderly_eio_server_close_all (OrderlyEioServer *self)
{
  g_autoptr(GPtrArray) sessions = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (ORDERLY_IS_EIO_SERVER (self));

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (sessions, g_object_ref (value));

  for (guint i = 0; i < sessions->len; i++)
    {
      OrderlyEioSession *session = g_ptr_array_index (sessions, i);

      _orderly_eio_session_close (session, ORDERLY_EIO_CLOSE_ERROR, "server shutting down");
      _orderly_eio_session_forget (session);
    }
}

/* Responses */

static void
add_cors_headers (OrderlyEioServer  *self,
                  SoupServerMessage *msg,
                  gboolean          *allowed)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  const char *origin = soup_message_headers_get_one (request, "Origin");

  *allowed = FALSE;
  if (self->cors_origins == NULL)
    return;

  if (g_strv_contains ((const char * const *) self->cors_origins, "*"))
    {
      soup_message_headers_replace (response, "Access-Control-Allow-Origin", "*");
      *allowed = TRUE;
    }
  else if (origin != NULL && g_strv_contains ((const char * const *) self->cors_origins, origin))
    {
      soup_message_headers_replace (response, "Access-Control-Allow-Origin", origin);
      soup_message_headers_replace (response, "Access-Control-Allow-Credentials", "true");
      soup_message_headers_append (response, "Vary", "Origin");
      *allowed = TRUE;
    }
}

static void
respond_preflight (SoupServerMessage *msg)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  const char *asked = soup_message_headers_get_one (request, "Access-Control-Request-Headers");

  soup_message_headers_replace (response, "Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE");
  if (asked != NULL)
    {
      soup_message_headers_replace (response, "Access-Control-Allow-Headers", asked);
      soup_message_headers_append (response, "Vary", "Access-Control-Request-Headers");
    }
  _orderly_eio_respond_empty (msg, SOUP_STATUS_NO_CONTENT);
}

/**
 * _orderly_eio_respond_error:
 * @msg: a request
 * @code: one of the Engine.IO error codes
 * @upgrade: whether @msg asked for a WebSocket
 *
 * Refuses @msg as the reference server does: JSON with the code for a
 * polling request, the message as text for an upgrade.
 */
void
_orderly_eio_respond_error (SoupServerMessage   *msg,
                            OrderlyEioErrorCode  code,
                            gboolean             upgrade)
{
  if (upgrade)
    {
      const char *text = error_messages[code];

      soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
      soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC, text, strlen (text));
    }
  else
    {
      g_autoptr(GString) body = g_string_new (NULL);
      OrderlyJsonWriter writer;

      orderly_json_writer_init (&writer, body);
      orderly_json_writer_begin_object (&writer);
      orderly_json_writer_member (&writer, "code");
      orderly_json_writer_int (&writer, code);
      orderly_json_writer_member (&writer, "message");
      orderly_json_writer_string (&writer, error_messages[code]);
      orderly_json_writer_end_object (&writer);

      soup_server_message_set_status (msg, code == ORDERLY_EIO_CODE_FORBIDDEN ? SOUP_STATUS_FORBIDDEN : SOUP_STATUS_BAD_REQUEST, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body->str, body->len);
    }
}

static gboolean
is_upgrade_request (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  return soup_message_headers_header_contains (headers, "Upgrade", "websocket");
}

/* Handshakes */

/* The open packet: "0" and the handshake, exactly these five keys. */
static char *
server_open_packet (OrderlyEioServer *self,
                    const char       *sid,
                    gboolean          can_upgrade)
{
  GString *packet = g_string_new ("0");
  OrderlyJsonWriter writer;

  orderly_json_writer_init (&writer, packet);
  orderly_json_writer_begin_object (&writer);
  orderly_json_writer_member (&writer, "sid");
  orderly_json_writer_string (&writer, sid);
  orderly_json_writer_member (&writer, "upgrades");
  orderly_json_writer_begin_array (&writer);
  if (can_upgrade)
    orderly_json_writer_string (&writer, "websocket");
  orderly_json_writer_end_array (&writer);
  orderly_json_writer_member (&writer, "pingInterval");
  orderly_json_writer_int (&writer, self->ping_interval);
  orderly_json_writer_member (&writer, "pingTimeout");
  orderly_json_writer_int (&writer, self->ping_timeout);
  orderly_json_writer_member (&writer, "maxPayload");
  orderly_json_writer_int (&writer, self->max_payload);
  orderly_json_writer_end_object (&writer);
  return g_string_free (packet, FALSE);
}

/* Returns: (transfer none) (nullable): the new session; %NULL when none
 * could be made, which has been said loudly */
static OrderlyEioSession *
server_create_session (OrderlyEioServer    *self,
                       SoupServerMessage   *msg,
                       GHashTable          *query,
                       OrderlyEioTransport  transport)
{
  g_autoptr(GError) error = NULL;
  OrderlyEioSession *session = _orderly_eio_session_new (self, msg, query, transport, &error);

  if (session == NULL)
    g_warning ("Engine.IO handshake from %s refused: %s",
               soup_server_message_get_remote_host (msg), error->message);
  return session;
}

static void
server_handshake_polling (OrderlyEioServer  *self,
                          SoupServerMessage *msg,
                          GHashTable        *query)
{
  OrderlyEioSession *session = server_create_session (self, msg, query, ORDERLY_EIO_TRANSPORT_POLLING);
  g_autofree char *open = NULL;

  if (session == NULL)
    {
      _orderly_eio_respond_empty (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR);
      return;
    }

  open = server_open_packet (self, session->id, TRUE);
  _orderly_eio_respond_payload (msg, open, strlen (open));
  _orderly_eio_session_schedule_ping (session);
  g_signal_emit (self, signals[SIGNAL_CONNECTION], 0, session);
}

static void
server_handshake_websocket (OrderlyEioServer    *self,
                            SoupServerMessage   *msg,
                            GHashTable          *query,
                            OrderlyWsConnection *ws)
{
  OrderlyEioSession *session = server_create_session (self, msg, query, ORDERLY_EIO_TRANSPORT_WEBSOCKET);
  g_autofree char *open = NULL;

  if (session == NULL)
    {
      orderly_ws_connection_close (ws, SOUP_WEBSOCKET_CLOSE_SERVER_ERROR);
      return;
    }

  _orderly_eio_session_open_websocket (session, ws);
  open = server_open_packet (self, session->id, FALSE);
  orderly_ws_connection_send_text (ws, open);
  _orderly_eio_session_schedule_ping (session);
  g_signal_emit (self, signals[SIGNAL_CONNECTION], 0, session);
}

static void
server_websocket_opened (OrderlyEioServer    *self,
                         SoupServerMessage   *msg,
                         GHashTable          *query,
                         OrderlyWsConnection *ws)
{
  const char *transport = query != NULL ? g_hash_table_lookup (query, "transport") : NULL;
  const char *sid = query != NULL ? g_hash_table_lookup (query, "sid") : NULL;
  OrderlyEioSession *session;

  if (g_strcmp0 (transport, "websocket") != 0)
    {
      orderly_ws_connection_close (ws, SOUP_WEBSOCKET_CLOSE_NORMAL);
      return;
    }

  if (sid == NULL)
    {
      server_handshake_websocket (self, msg, query, ws);
      return;
    }

  session = g_hash_table_lookup (self->sessions, sid);
  if (session == NULL)
    orderly_ws_connection_close (ws, SOUP_WEBSOCKET_CLOSE_NORMAL);
  else
    _orderly_eio_session_start_probe (session, ws);
}

typedef struct
{
  OrderlyEioServer *server;
  GHashTable       *query;
} Upgrade;

static void
upgrade_free (gpointer data)
{
  Upgrade *upgrade = data;

  g_object_unref (upgrade->server);
  g_clear_pointer (&upgrade->query, g_hash_table_unref);
  g_free (upgrade);
}

static void
upgrade_accepted_cb (SoupServerMessage   *msg,
                     OrderlyWsConnection *ws,
                     gpointer             user_data)
{
  Upgrade *upgrade = user_data;

  if (upgrade->server->soup_server == NULL)
    {
      orderly_ws_connection_close (ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
      return;
    }
  server_websocket_opened (upgrade->server, msg, upgrade->query, ws);
}

static void
server_accept_upgrade (OrderlyEioServer  *self,
                       SoupServerMessage *msg,
                       GHashTable        *query)
{
  Upgrade *upgrade = g_new0 (Upgrade, 1);

  upgrade->server = g_object_ref (self);
  upgrade->query = query != NULL ? g_hash_table_ref (query) : NULL;
  orderly_ws_connection_accept (msg, _orderly_eio_server_get_socket (self, msg),
                                upgrade_accepted_cb, upgrade, upgrade_free);
}

/* Routing */

static void
server_handle_sid (OrderlyEioServer  *self,
                   SoupServerMessage *msg,
                   GHashTable        *query,
                   const char        *sid,
                   gboolean           upgrade)
{
  OrderlyEioSession *session = g_hash_table_lookup (self->sessions, sid);
  const char *method = soup_server_message_get_method (msg);
  const char *transport = g_hash_table_lookup (query, "transport");

  if (session == NULL)
    _orderly_eio_respond_error (msg, ORDERLY_EIO_CODE_UNKNOWN_SID, upgrade);
  else if (upgrade)
    server_accept_upgrade (self, msg, query);
  else if (g_strcmp0 (transport, "polling") != 0 || session->transport != ORDERLY_EIO_TRANSPORT_POLLING)
    _orderly_eio_respond_error (msg, ORDERLY_EIO_CODE_BAD_REQUEST, FALSE);
  else if (session->state == ORDERLY_EIO_SESSION_CLOSING && g_strcmp0 (method, "GET") != 0)
    _orderly_eio_respond_error (msg, ORDERLY_EIO_CODE_UNKNOWN_SID, FALSE);
  else if (g_strcmp0 (method, "GET") == 0)
    _orderly_eio_session_handle_get (session, msg);
  else if (g_strcmp0 (method, "POST") == 0)
    _orderly_eio_session_handle_post (session, msg);
  else
    _orderly_eio_respond_empty (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR);
}

static void
server_http_cb (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  OrderlyEioServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  gboolean upgrade = is_upgrade_request (msg);
  const char *transport = query != NULL ? g_hash_table_lookup (query, "transport") : NULL;
  const char *sid = query != NULL ? g_hash_table_lookup (query, "sid") : NULL;
  const char *eio = query != NULL ? g_hash_table_lookup (query, "EIO") : NULL;
  gboolean cors_allowed = FALSE;
  gsize prefix_len = strlen (self->path);

  if (strncmp (path, self->path, prefix_len) != 0 || path[prefix_len] != '/')
    {
      _orderly_eio_respond_empty (msg, SOUP_STATUS_NOT_FOUND);
      return;
    }

  if (!upgrade)
    add_cors_headers (self, msg, &cors_allowed);

  if (self->request_func != NULL &&
      !self->request_func (self, msg, query, upgrade, self->request_data))
    {
      if (soup_server_message_get_status (msg) == 0)
        _orderly_eio_respond_error (msg, ORDERLY_EIO_CODE_FORBIDDEN, upgrade);
      return;
    }

  if (!upgrade && cors_allowed && g_strcmp0 (method, "OPTIONS") == 0)
    respond_preflight (msg);
  else if (g_strcmp0 (transport, "polling") != 0 && g_strcmp0 (transport, "websocket") != 0)
    _orderly_eio_respond_error (msg, ORDERLY_EIO_CODE_UNKNOWN_TRANSPORT, upgrade);
  else if (sid != NULL)
    server_handle_sid (self, msg, query, sid, upgrade);
  else if (g_strcmp0 (method, "GET") != 0)
    _orderly_eio_respond_error (msg, ORDERLY_EIO_CODE_BAD_HANDSHAKE_METHOD, upgrade);
  else if (!upgrade && g_strcmp0 (transport, "websocket") == 0)
    _orderly_eio_respond_error (msg, ORDERLY_EIO_CODE_BAD_REQUEST, FALSE);
  else if (g_strcmp0 (eio, "4") != 0)
    _orderly_eio_respond_error (msg, ORDERLY_EIO_CODE_UNSUPPORTED_PROTOCOL_VERSION, upgrade);
  else if (upgrade)
    server_accept_upgrade (self, msg, query);
  else
    server_handshake_polling (self, msg, query);
}

/* Runs once the headers are in: refuses an over-size body before it is
 * read. */
static void
server_early_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  OrderlyEioServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > (goffset) self->max_payload)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
      _orderly_eio_respond_empty (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
    }
}

/**
 * orderly_eio_server_attach:
 * @self: a server
 * @server: the SoupServer to serve from
 *
 * Registers the handler for polling and WebSocket under the path prefix.
 */
void
orderly_eio_server_attach (OrderlyEioServer *self,
                           SoupServer       *server)
{
  g_return_if_fail (ORDERLY_IS_EIO_SERVER (self));
  g_return_if_fail (SOUP_IS_SERVER (server));
  g_return_if_fail (self->soup_server == NULL);

  g_set_weak_pointer (&self->soup_server, server);
  soup_server_add_early_handler (server, self->path, server_early_cb, self, NULL);
  soup_server_add_handler (server, self->path, server_http_cb, self, NULL);
}

void
orderly_eio_server_detach (OrderlyEioServer *self)
{
  g_return_if_fail (ORDERLY_IS_EIO_SERVER (self));

  if (self->soup_server != NULL)
    {
      soup_server_remove_handler (self->soup_server, self->path);
      g_clear_weak_pointer (&self->soup_server);
    }
}
