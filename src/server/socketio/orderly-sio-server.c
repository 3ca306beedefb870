/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-socketio"

#include "config.h"

#include "orderly-sio-server-private.h"

/* The server keeps the namespaces and their sockets, and a client for
 * every Engine.IO session (orderly-sio-client.c). */

G_DEFINE_FINAL_TYPE (OrderlySioServer, orderly_sio_server, G_TYPE_OBJECT)

guint _orderly_sio_server_signals[ORDERLY_SIO_SERVER_N_SIGNALS];

static void
engine_connection_cb (OrderlyEioServer  *engine,
                      OrderlyEioSession *session,
                      gpointer           user_data)
{
  OrderlySioServer *self = user_data;

  g_hash_table_insert (self->clients, session, _orderly_sio_client_new (self, session));
}

static void
orderly_sio_server_dispose (GObject *object)
{
  OrderlySioServer *self = ORDERLY_SIO_SERVER (object);

  if (self->engine != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->engine, self);
      orderly_eio_server_close_all (self->engine);
      orderly_eio_server_detach (self->engine);
    }
  g_hash_table_remove_all (self->clients);
  g_clear_object (&self->engine);

  if (self->authorize_destroy != NULL)
    g_clear_pointer (&self->authorize_data, self->authorize_destroy);
  self->authorize = NULL;

  G_OBJECT_CLASS (orderly_sio_server_parent_class)->dispose (object);
}

static void
orderly_sio_server_finalize (GObject *object)
{
  OrderlySioServer *self = ORDERLY_SIO_SERVER (object);

  g_clear_pointer (&self->namespaces, g_hash_table_unref);
  g_clear_pointer (&self->clients, g_hash_table_unref);

  G_OBJECT_CLASS (orderly_sio_server_parent_class)->finalize (object);
}

static void
orderly_sio_server_class_init (OrderlySioServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = orderly_sio_server_dispose;
  object_class->finalize = orderly_sio_server_finalize;

  /**
   * OrderlySioServer::connection:
   * @socket: a socket that just joined its namespace
   *
   * The CONNECT reply has been queued; whatever the handler emits follows it.
   */
  _orderly_sio_server_signals[ORDERLY_SIO_SERVER_SIGNAL_CONNECTION] =
    g_signal_new ("connection", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ORDERLY_TYPE_SIO_SOCKET);

  /**
   * OrderlySioServer::event:
   * @socket: the socket
   * @name: the event name
   * @args: the arguments after the name
   * @attachments: (nullable) (element-type GBytes): binary attachments
   * @ack_id: the ack id to answer with orderly_sio_socket_ack(), or -1
   */
  _orderly_sio_server_signals[ORDERLY_SIO_SERVER_SIGNAL_EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 5,
                  ORDERLY_TYPE_SIO_SOCKET, G_TYPE_STRING, JSON_TYPE_ARRAY,
                  G_TYPE_PTR_ARRAY, G_TYPE_INT64);
}

static void
orderly_sio_server_init (OrderlySioServer *self)
{
  self->namespaces = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) g_hash_table_unref);
  self->clients = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) _orderly_sio_client_free);
  self->connect_timeout = ORDERLY_SIO_DEFAULT_CONNECT_TIMEOUT;
  orderly_sio_server_add_namespace (self, "/");
}

/**
 * orderly_sio_server_new:
 * @path: the path prefix, e.g. "/socket.io"
 *
 * Returns: (transfer full): a new server with the namespace "/"
 */
OrderlySioServer *
orderly_sio_server_new (const char *path)
{
  OrderlySioServer *self = g_object_new (ORDERLY_TYPE_SIO_SERVER, NULL);

  self->engine = orderly_eio_server_new (path);
  g_signal_connect (self->engine, "connection", G_CALLBACK (engine_connection_cb), self);
  return self;
}

/**
 * orderly_sio_server_get_engine:
 * @self: a server
 *
 * Returns: (transfer none): the Engine.IO server underneath, to tune it
 */
OrderlyEioServer *
orderly_sio_server_get_engine (OrderlySioServer *self)
{
  g_return_val_if_fail (ORDERLY_IS_SIO_SERVER (self), NULL);
  return self->engine;
}

void
orderly_sio_server_add_namespace (OrderlySioServer *self,
                                  const char       *nsp)
{
  g_return_if_fail (ORDERLY_IS_SIO_SERVER (self));
  g_return_if_fail (nsp != NULL && nsp[0] == '/');

  if (!g_hash_table_contains (self->namespaces, nsp))
    g_hash_table_insert (self->namespaces, g_strdup (nsp),
                         g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref));
}

void
orderly_sio_server_set_connect_timeout (OrderlySioServer *self,
                                        guint             timeout_ms)
{
  g_return_if_fail (ORDERLY_IS_SIO_SERVER (self));
  g_return_if_fail (timeout_ms > 0);
  self->connect_timeout = timeout_ms;
}

/**
 * orderly_sio_server_set_authorize_func:
 * @self: a server
 * @func: (nullable): decides on every CONNECT; %NULL accepts all with role 0
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data
 */
void
orderly_sio_server_set_authorize_func (OrderlySioServer        *self,
                                       OrderlySioAuthorizeFunc  func,
                                       gpointer                 user_data,
                                       GDestroyNotify           destroy)
{
  g_return_if_fail (ORDERLY_IS_SIO_SERVER (self));

  if (self->authorize_destroy != NULL)
    self->authorize_destroy (self->authorize_data);
  self->authorize = func;
  self->authorize_data = user_data;
  self->authorize_destroy = destroy;
}

void
orderly_sio_server_attach (OrderlySioServer *self,
                           SoupServer       *server)
{
  g_return_if_fail (ORDERLY_IS_SIO_SERVER (self));
  orderly_eio_server_attach (self->engine, server);
}

static void
broadcast_internal (OrderlySioServer *self,
                    const char       *nsp,
                    guint             slot,
                    GBytes           *packet)
{
  GHashTable *members = g_hash_table_lookup (self->namespaces, nsp != NULL ? nsp : "/");
  GHashTableIter iter;
  gpointer value;

  if (members == NULL)
    return;

  g_hash_table_iter_init (&iter, members);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      OrderlySioSocket *socket = value;

      if (slot != 0)
        orderly_eio_session_send_latest (socket->session, slot, packet);
      else
        orderly_eio_session_send_encoded (socket->session, packet);
    }
}

/**
 * orderly_sio_server_broadcast:
 * @self: a server
 * @nsp: (nullable): the namespace, %NULL for "/"
 * @packet: an Engine.IO message encoded once, e.g. by orderly_sio_encode_event()
 *
 * Sends @packet to every socket of @nsp without encoding it again.
 */
void
orderly_sio_server_broadcast (OrderlySioServer *self,
                              const char       *nsp,
                              GBytes           *packet)
{
  g_return_if_fail (ORDERLY_IS_SIO_SERVER (self));
  g_return_if_fail (packet != NULL);

  broadcast_internal (self, nsp, 0, packet);
}

/**
 * orderly_sio_server_broadcast_latest:
 * @self: a server
 * @nsp: (nullable): the namespace, %NULL for "/"
 * @slot: a non-zero slot; per socket a queued packet of that slot is replaced
 * @packet: an encoded Engine.IO message
 */
void
orderly_sio_server_broadcast_latest (OrderlySioServer *self,
                                     const char       *nsp,
                                     guint             slot,
                                     GBytes           *packet)
{
  g_return_if_fail (ORDERLY_IS_SIO_SERVER (self));
  g_return_if_fail (slot != 0);
  g_return_if_fail (packet != NULL);

  broadcast_internal (self, nsp, slot, packet);
}

guint
orderly_sio_server_get_n_sockets (OrderlySioServer *self,
                                  const char       *nsp)
{
  GHashTable *members;

  g_return_val_if_fail (ORDERLY_IS_SIO_SERVER (self), 0);

  members = g_hash_table_lookup (self->namespaces, nsp != NULL ? nsp : "/");
  return members != NULL ? g_hash_table_size (members) : 0;
}
