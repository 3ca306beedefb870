/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An Engine.IO v4 server (polling, WebSocket, upgrade, heartbeat) that
 * attaches to an existing SoupServer at a path prefix. */
#pragma once

#include <libsoup/soup.h>

#include "orderly-eio-session.h"

G_BEGIN_DECLS

#define ORDERLY_EIO_DEFAULT_PING_INTERVAL   25000
#define ORDERLY_EIO_DEFAULT_PING_TIMEOUT    20000
#define ORDERLY_EIO_DEFAULT_MAX_PAYLOAD     1000000
#define ORDERLY_EIO_DEFAULT_MAX_QUEUE       4096

#define ORDERLY_TYPE_EIO_SERVER (orderly_eio_server_get_type ())
G_DECLARE_FINAL_TYPE (OrderlyEioServer, orderly_eio_server, ORDERLY, EIO_SERVER, GObject)

/**
 * OrderlyEioRequestFunc:
 * @server: the server
 * @msg: the request
 * @query: (nullable): its decoded query
 * @is_upgrade: whether it asks for a WebSocket
 * @user_data: closure data
 *
 * Returns: %TRUE to let Engine.IO handle the request
 */
typedef gboolean (*OrderlyEioRequestFunc) (OrderlyEioServer  *server,
                                           SoupServerMessage *msg,
                                           GHashTable        *query,
                                           gboolean           is_upgrade,
                                           gpointer           user_data);

/**
 * OrderlyEioSocketFunc:
 * @msg: a request
 *
 * Returns: (transfer none) (nullable): the socket @msg came on
 */
typedef GSocket *(*OrderlyEioSocketFunc) (SoupServerMessage *msg);

OrderlyEioServer *orderly_eio_server_new              (const char            *path);
void              orderly_eio_server_set_heartbeat    (OrderlyEioServer      *self,
                                                       guint                  ping_interval_ms,
                                                       guint                  ping_timeout_ms);
void              orderly_eio_server_set_max_payload  (OrderlyEioServer      *self,
                                                       gsize                  max_payload);
void              orderly_eio_server_set_max_queue    (OrderlyEioServer      *self,
                                                       guint                  max_packets);
void              orderly_eio_server_set_cors_origins (OrderlyEioServer      *self,
                                                       const char * const    *origins);
void              orderly_eio_server_set_request_func (OrderlyEioServer      *self,
                                                       OrderlyEioRequestFunc  func,
                                                       gpointer               user_data,
                                                       GDestroyNotify         destroy);
void              orderly_eio_server_set_socket_func  (OrderlyEioServer      *self,
                                                       OrderlyEioSocketFunc   func);
void              orderly_eio_server_attach           (OrderlyEioServer      *self,
                                                       SoupServer            *server);
void              orderly_eio_server_detach           (OrderlyEioServer      *self);
guint             orderly_eio_server_get_n_sessions   (OrderlyEioServer      *self);
void              orderly_eio_server_close_all        (OrderlyEioServer      *self);

G_END_DECLS
