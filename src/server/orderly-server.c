/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-server"

#include "config.h"

#include "orderly-listener.h"
#include "orderly-eio-server.h"
#include "orderly-metrics.h"
#include "orderly-request-guard.h"
#include "orderly-response.h"
#include "orderly-rest.h"
#include "orderly-server.h"
#include "orderly-sio-conformance.h"
#include "orderly-socketio-transport.h"
#include "orderly-ws-transport.h"

struct _OrderlyServer
{
  GObject                   parent_instance;

  OrderlyEngine            *engine;
  OrderlyRemote            *remote;
  char                     *instance_id;

  SoupServer               *soup;
  OrderlyListener          *listener;
  OrderlyGate              *gate;
  OrderlyRequestGuard      *guard;
  OrderlyDispatcher        *dispatcher;
  OrderlyHub               *hub;
  OrderlyMetrics           *metrics;
  OrderlyRest              *rest;
  OrderlyWsTransport       *ws;
  OrderlySocketioTransport *socketio;

  gboolean                  started;
};

G_DEFINE_FINAL_TYPE (OrderlyServer, orderly_server, G_TYPE_OBJECT)

static void
orderly_server_dispose (GObject *object)
{
  OrderlyServer *self = (OrderlyServer *) object;

  /* The live clients go first, then the sockets; the SoupServer's handlers
   * hold the parts that serve them, and go with it. */
  if (self->ws != NULL)
    g_object_run_dispose (G_OBJECT (self->ws));
  if (self->socketio != NULL)
    g_object_run_dispose (G_OBJECT (self->socketio));
  if (self->listener != NULL)
    orderly_listener_stop (self->listener);
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->ws);
  g_clear_object (&self->socketio);
  g_clear_object (&self->rest);
  g_clear_object (&self->guard);
  g_clear_object (&self->metrics);
  g_clear_object (&self->listener);
  g_clear_object (&self->soup);
  g_clear_object (&self->hub);

  G_OBJECT_CLASS (orderly_server_parent_class)->dispose (object);
}

static void
orderly_server_finalize (GObject *object)
{
  OrderlyServer *self = (OrderlyServer *) object;

  g_clear_object (&self->dispatcher);
  g_clear_object (&self->gate);
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
}

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

  /* No versions: they would only tell an attacker what to try. */
  self->soup = g_object_new (SOUP_TYPE_SERVER, "server-header", "Orderly", NULL);
  orderly_response_attach (self->soup);
  self->listener = orderly_listener_new (self->soup, remote);
  self->gate = orderly_gate_new (remote);
  self->guard = orderly_request_guard_new (self->soup, self->gate);
  /* Engine.IO's polling carries packets up to its own limit; so does the
   * echo endpoint of the conformance mode. */
  orderly_request_guard_set_body_limit (self->guard, "/socket.io", ORDERLY_EIO_DEFAULT_MAX_PAYLOAD);
  if (orderly_sio_conformance_requested ())
    orderly_request_guard_set_body_limit (self->guard, "/engine.io", ORDERLY_EIO_DEFAULT_MAX_PAYLOAD);
  self->dispatcher = orderly_dispatcher_new (engine, remote, self->instance_id);
  self->hub = orderly_hub_new (engine, remote, self->instance_id);
  self->metrics = orderly_metrics_new (self->soup, engine, remote, self->hub);
  self->rest = orderly_rest_new (self->soup, self->gate, self->dispatcher, self->metrics);
  self->ws = orderly_ws_transport_new (self->soup, self->gate, self->hub, self->dispatcher);
  self->socketio = orderly_socketio_transport_new (self->soup, self->gate, self->hub, self->dispatcher);
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
  g_return_val_if_fail (ORDERLY_IS_SERVER (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  if (!orderly_listener_set_tls_files (self->listener, cert_file, key_file, error))
    return FALSE;
  orderly_gate_set_secure (self->gate, TRUE);
  return TRUE;
}

/**
 * orderly_server_start:
 *
 * Listens where #OrderlyRemote says, and again whenever that changes.
 *
 * Returns: %FALSE when it cannot listen there; the server is started all
 *   the same and listens once the address changes, until orderly_server_stop()
 */
gboolean
orderly_server_start (OrderlyServer  *self,
                      GError        **error)
{
  gboolean listening;

  g_return_val_if_fail (ORDERLY_IS_SERVER (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  /* Started even when it cannot listen yet: the listener tries a new
   * address as soon as there is one. */
  listening = orderly_listener_start (self->listener, error);
  self->started = TRUE;
  /* WebSockets and Socket.IO sessions may not take the descriptors a
   * health check needs. */
  orderly_gate_set_descriptor_cap (self->gate,
                                   orderly_acceptor_get_max_lasting (orderly_listener_get_acceptor (self->listener)));
  orderly_ws_transport_start (self->ws);
  if (!listening)
    return FALSE;
  if (!orderly_remote_get_auth_enabled (self->remote))
    orderly_engine_log (self->engine, ORDERLY_LOG_LEVEL_WARN, "server", NULL,
                        "Authentication is OFF (--no-auth): anyone who can reach %s can control "
                        "Orderly", orderly_remote_get_url (self->remote));
  return TRUE;
}

/**
 * orderly_server_stop:
 *
 * Closes every live client, /ws and Socket.IO alike, and stops listening.
 */
void
orderly_server_stop (OrderlyServer *self)
{
  g_return_if_fail (ORDERLY_IS_SERVER (self));

  if (!self->started)
    return;
  self->started = FALSE;
  orderly_ws_transport_stop (self->ws);
  orderly_socketio_transport_close_all (self->socketio);
  orderly_listener_stop (self->listener);
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
  return orderly_listener_get_port (self->listener);
}

/**
 * orderly_server_get_instance_id:
 *
 * Returns: the id of this run of the server, in every event and status
 */
const char *
orderly_server_get_instance_id (OrderlyServer *self)
{
  g_return_val_if_fail (ORDERLY_IS_SERVER (self), NULL);
  return self->instance_id;
}

/**
 * orderly_server_get_gate:
 *
 * Returns: (transfer none): who may come in, for every transport
 */
OrderlyGate *
orderly_server_get_gate (OrderlyServer *self)
{
  g_return_val_if_fail (ORDERLY_IS_SERVER (self), NULL);
  return self->gate;
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
 * orderly_server_set_keepalive:
 * @ping_interval_ms: how often a /ws client gets a `ping` event
 * @idle_timeout_ms: how long a silent /ws client stays connected
 */
void
orderly_server_set_keepalive (OrderlyServer *self,
                              guint          ping_interval_ms,
                              guint          idle_timeout_ms)
{
  g_return_if_fail (ORDERLY_IS_SERVER (self));
  orderly_ws_transport_set_keepalive (self->ws, ping_interval_ms, idle_timeout_ms);
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
  orderly_gate_set_max_connections (self->gate, max_connections);
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
  orderly_login_limiter_set_limits (orderly_gate_get_login_limiter (self->gate), max_failures, block_ms);
}

/**
 * orderly_server_set_http_timeouts:
 * @header_ms: how long a request's headers may take
 * @body_ms: how long its body may take after them
 * @idle_ms: how long a kept-alive HTTP connection may stay silent
 */
void
orderly_server_set_http_timeouts (OrderlyServer *self,
                                  guint          header_ms,
                                  guint          body_ms,
                                  guint          idle_ms)
{
  g_return_if_fail (ORDERLY_IS_SERVER (self));
  orderly_acceptor_set_timeouts (orderly_listener_get_acceptor (self->listener), header_ms, body_ms, idle_ms);
}
