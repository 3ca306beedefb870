/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A Socket.IO v5 server on top of OrderlyEioServer: namespaces, CONNECT
 * with auth, events and acks, binary attachments. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "orderly-eio-server.h"
#include "orderly-sio-socket.h"

G_BEGIN_DECLS

#define ORDERLY_SIO_DEFAULT_CONNECT_TIMEOUT 45000

#define ORDERLY_TYPE_SIO_SERVER (orderly_sio_server_get_type ())
G_DECLARE_FINAL_TYPE (OrderlySioServer, orderly_sio_server, ORDERLY, SIO_SERVER, GObject)

/**
 * OrderlySioAuthorizeFunc:
 * @server: the server
 * @socket: the socket asking to join; its auth, query and cookie are set
 * @role: (out): the role to give the socket when it is accepted
 * @message: (out) (transfer full): why it is refused, shown by the client
 * @user_data: closure data
 *
 * Returns: %TRUE to accept the CONNECT, %FALSE to answer CONNECT_ERROR
 */
typedef gboolean (*OrderlySioAuthorizeFunc) (OrderlySioServer  *server,
                                             OrderlySioSocket  *socket,
                                             guint             *role,
                                             char             **message,
                                             gpointer           user_data);

OrderlySioServer *orderly_sio_server_new                 (const char              *path);
OrderlyEioServer *orderly_sio_server_get_engine          (OrderlySioServer        *self);
void              orderly_sio_server_add_namespace       (OrderlySioServer        *self,
                                                          const char              *nsp);
void              orderly_sio_server_set_connect_timeout (OrderlySioServer        *self,
                                                          guint                    timeout_ms);
void              orderly_sio_server_set_authorize_func  (OrderlySioServer        *self,
                                                          OrderlySioAuthorizeFunc  func,
                                                          gpointer                 user_data,
                                                          GDestroyNotify           destroy);
void              orderly_sio_server_attach              (OrderlySioServer        *self,
                                                          SoupServer              *server);
void              orderly_sio_server_broadcast           (OrderlySioServer        *self,
                                                          const char              *nsp,
                                                          GBytes                  *packet);
void              orderly_sio_server_broadcast_latest    (OrderlySioServer        *self,
                                                          const char              *nsp,
                                                          guint                    slot,
                                                          GBytes                  *packet);
guint             orderly_sio_server_get_n_sockets       (OrderlySioServer        *self,
                                                          const char              *nsp);

G_END_DECLS
