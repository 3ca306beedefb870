/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-server"

#include "config.h"

#include "orderly-acceptor.h"
#include "orderly-metrics.h"
#include "orderly-response.h"
#include "orderly-transport-names.h"
#include "orderly-ws-client.h"
#include "orderly-ws-transport.h"

struct _OrderlyWsTransport
{
  GObject            parent_instance;

  OrderlyGate       *gate;
  OrderlyHub        *hub;
  OrderlyDispatcher *dispatcher;

  GHashTable        *clients;      /* OrderlyWsClient → itself, owned */
  gboolean           accepting;
  guint              keepalive_source;
  gint64             ping_interval_us;
  gint64             idle_timeout_us;
};

G_DEFINE_FINAL_TYPE (OrderlyWsTransport, orderly_ws_transport, G_TYPE_OBJECT)

static void
orderly_ws_transport_dispose (GObject *object)
{
  OrderlyWsTransport *self = (OrderlyWsTransport *) object;

  g_clear_handle_id (&self->keepalive_source, g_source_remove);
  if (self->clients != NULL)
    {
      GHashTableIter iter;
      gpointer client;

      g_hash_table_iter_init (&iter, self->clients);
      while (g_hash_table_iter_next (&iter, &client, NULL))
        {
          g_signal_handlers_disconnect_by_data (client, self);
          orderly_ws_client_close (client, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "Server stopped");
          g_object_run_dispose (client);
          orderly_gate_release_connection (self->gate);
        }
      g_hash_table_remove_all (self->clients);
    }

  G_OBJECT_CLASS (orderly_ws_transport_parent_class)->dispose (object);
}

static void
orderly_ws_transport_finalize (GObject *object)
{
  OrderlyWsTransport *self = (OrderlyWsTransport *) object;

  g_clear_pointer (&self->clients, g_hash_table_unref);
  g_clear_object (&self->gate);
  g_clear_object (&self->hub);
  g_clear_object (&self->dispatcher);

  G_OBJECT_CLASS (orderly_ws_transport_parent_class)->finalize (object);
}

static void
orderly_ws_transport_class_init (OrderlyWsTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = orderly_ws_transport_dispose;
  object_class->finalize = orderly_ws_transport_finalize;
}

static void
orderly_ws_transport_init (OrderlyWsTransport *self)
{
  self->clients = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  self->ping_interval_us = ORDERLY_WS_DEFAULT_PING_INTERVAL_MS * (gint64) 1000;
  self->idle_timeout_us = ORDERLY_WS_DEFAULT_IDLE_TIMEOUT_MS * (gint64) 1000;
}

static void
client_closed_cb (OrderlyWsTransport *self,
                  OrderlyWsClient    *client)
{
  g_signal_handlers_disconnect_by_data (client, self);
  g_hash_table_remove (self->clients, client);
  orderly_gate_release_connection (self->gate);
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

typedef struct
{
  OrderlyWsTransport *transport;
  OrderlyRole         role;
} Upgrade;

static void
upgrade_free (gpointer data)
{
  Upgrade *upgrade = data;

  g_object_unref (upgrade->transport);
  g_free (upgrade);
}

/* The 101 is out: the connection is ours from here on. */
static void
accepted_cb (SoupServerMessage   *msg,
             OrderlyWsConnection *connection,
             gpointer             user_data)
{
  Upgrade *upgrade = user_data;
  OrderlyWsTransport *self = upgrade->transport;
  const char *user_agent =
    soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "User-Agent");
  g_autofree char *id = NULL;
  g_autoptr(OrderlyClient) client = NULL;
  OrderlyWsClient *ws_client;

  if (!self->accepting)
    {
      orderly_ws_connection_close (connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
      return;
    }
  if (!orderly_gate_reserve_connection (self->gate))
    {
      orderly_ws_connection_close_with_reason (connection, 1013, "Too many connections");
      return;
    }

  id = g_uuid_string_random ();
  client = orderly_client_new (id, soup_server_message_get_remote_host (msg), ORDERLY_TRANSPORT_WEBSOCKET,
                               orderly_role_to_string (upgrade->role), user_agent ? user_agent : "");
  ws_client = orderly_ws_client_new (connection, client, upgrade->role, self->hub, self->dispatcher);
  g_hash_table_add (self->clients, ws_client);
  g_signal_connect_object (ws_client, "closed", G_CALLBACK (client_closed_cb), self, G_CONNECT_SWAPPED);
  orderly_ws_client_start (ws_client, parse_since (soup_server_message_get_uri (msg),
                                                  orderly_hub_get_instance_id (self->hub)));
}

static void
http_cb (SoupServer        *server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  OrderlyWsTransport *self = user_data;
  OrderlyRole role = ORDERLY_ROLE_NONE;
  Upgrade *upgrade;

  orderly_metrics_set_route (msg, "/ws");

  if (!orderly_gate_is_upgrade_request (msg))
    {
      orderly_response_error (msg, 400, "This is a WebSocket endpoint; connect with a WebSocket");
      return;
    }
  if (!orderly_gate_check_request (self->gate, msg, query, ORDERLY_GATE_DEFAULT, &role))
    return;
  if (role == ORDERLY_ROLE_NONE)
    {
      orderly_gate_log_refusal (self->gate, msg, "no token");
      orderly_response_error (msg, 401, "A valid access token is required");
      return;
    }
  if (!self->accepting)
    {
      orderly_response_error (msg, 503, "The server is shutting down");
      return;
    }
  if (!orderly_gate_has_connection_left (self->gate))
    {
      orderly_gate_log_refusal (self->gate, msg, "connection limit reached");
      orderly_response_error (msg, 503, "Too many connections; try again later");
      return;
    }

  upgrade = g_new0 (Upgrade, 1);
  upgrade->transport = g_object_ref (self);
  upgrade->role = role;
  orderly_ws_connection_accept (msg, orderly_acceptor_get_socket (msg), accepted_cb, upgrade, upgrade_free);
}

/**
 * orderly_ws_transport_new:
 * @server: where to serve /ws
 * @gate: who may connect, and the connection budget
 * @hub: the feed each client subscribes to
 * @dispatcher: where their commands go
 */
OrderlyWsTransport *
orderly_ws_transport_new (SoupServer        *server,
                          OrderlyGate       *gate,
                          OrderlyHub        *hub,
                          OrderlyDispatcher *dispatcher)
{
  OrderlyWsTransport *self;

  g_return_val_if_fail (SOUP_IS_SERVER (server), NULL);
  g_return_val_if_fail (ORDERLY_IS_GATE (gate), NULL);
  g_return_val_if_fail (ORDERLY_IS_HUB (hub), NULL);
  g_return_val_if_fail (ORDERLY_IS_DISPATCHER (dispatcher), NULL);

  self = g_object_new (ORDERLY_TYPE_WS_TRANSPORT, NULL);
  self->gate = g_object_ref (gate);
  self->hub = g_object_ref (hub);
  self->dispatcher = g_object_ref (dispatcher);
  soup_server_add_handler (server, "/ws", http_cb, g_object_ref (self), g_object_unref);
  return self;
}

/* A client may close, and leave the table, while the caller goes through
 * them. */
static GPtrArray *
dup_clients (OrderlyWsTransport *self)
{
  GPtrArray *clients = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer client;

  g_hash_table_iter_init (&iter, self->clients);
  while (g_hash_table_iter_next (&iter, &client, NULL))
    g_ptr_array_add (clients, g_object_ref (client));
  return clients;
}

static gboolean
keepalive_cb (gpointer user_data)
{
  OrderlyWsTransport *self = user_data;
  g_autoptr(GPtrArray) clients = dup_clients (self);
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < clients->len; i++)
    orderly_ws_client_keepalive (clients->pdata[i], now, self->ping_interval_us,
                                 self->idle_timeout_us);
  return G_SOURCE_CONTINUE;
}

static void
restart_keepalive (OrderlyWsTransport *self)
{
  gint64 period_ms = MIN (self->ping_interval_us, self->idle_timeout_us) / 4000;

  g_clear_handle_id (&self->keepalive_source, g_source_remove);
  self->keepalive_source = g_timeout_add (CLAMP (period_ms, 20, 1000), keepalive_cb, self);
  g_source_set_name_by_id (self->keepalive_source, "[orderly] /ws keepalive");
}

/**
 * orderly_ws_transport_start:
 *
 * Accepts clients and keeps them alive.
 */
void
orderly_ws_transport_start (OrderlyWsTransport *self)
{
  g_return_if_fail (ORDERLY_IS_WS_TRANSPORT (self));

  self->accepting = TRUE;
  restart_keepalive (self);
}

/**
 * orderly_ws_transport_stop:
 *
 * Closes every client with 1001 and accepts no more.
 */
void
orderly_ws_transport_stop (OrderlyWsTransport *self)
{
  g_return_if_fail (ORDERLY_IS_WS_TRANSPORT (self));

  self->accepting = FALSE;
  g_clear_handle_id (&self->keepalive_source, g_source_remove);
  orderly_ws_transport_close_all (self, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "Server shutting down");
}

void
orderly_ws_transport_close_all (OrderlyWsTransport *self,
                                gushort             code,
                                const char         *reason)
{
  g_autoptr(GPtrArray) clients = NULL;

  g_return_if_fail (ORDERLY_IS_WS_TRANSPORT (self));

  clients = dup_clients (self);
  for (guint i = 0; i < clients->len; i++)
    orderly_ws_client_close (clients->pdata[i], code, reason);
}

guint
orderly_ws_transport_get_n_clients (OrderlyWsTransport *self)
{
  g_return_val_if_fail (ORDERLY_IS_WS_TRANSPORT (self), 0);
  return g_hash_table_size (self->clients);
}

/**
 * orderly_ws_transport_set_keepalive:
 * @ping_interval_ms: how often a client gets a `ping` event
 * @idle_timeout_ms: how long a silent client stays connected
 */
void
orderly_ws_transport_set_keepalive (OrderlyWsTransport *self,
                                    guint               ping_interval_ms,
                                    guint               idle_timeout_ms)
{
  g_return_if_fail (ORDERLY_IS_WS_TRANSPORT (self));

  self->ping_interval_us = MAX (ping_interval_ms, 10) * (gint64) 1000;
  self->idle_timeout_us = MAX (idle_timeout_ms, 10) * (gint64) 1000;
  if (self->keepalive_source != 0)
    restart_keepalive (self);
}
