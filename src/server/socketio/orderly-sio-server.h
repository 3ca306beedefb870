/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A Socket.IO v5 server on top of OrderlyEioServer: namespaces, CONNECT
 * with auth, events and acks both ways, binary attachments. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "orderly-eio-server.h"

G_BEGIN_DECLS

#define ORDERLY_SIO_DEFAULT_CONNECT_TIMEOUT 45000

#define ORDERLY_TYPE_SIO_SOCKET (orderly_sio_socket_get_type ())
G_DECLARE_FINAL_TYPE (OrderlySioSocket, orderly_sio_socket, ORDERLY, SIO_SOCKET, GObject)

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

/**
 * OrderlySioAckFunc:
 * @socket: the socket that answered
 * @args: the answer's arguments
 * @attachments: (nullable) (element-type GBytes): binary attachments
 * @user_data: closure data
 */
typedef void (*OrderlySioAckFunc) (OrderlySioSocket *socket,
                                   JsonArray        *args,
                                   GPtrArray        *attachments,
                                   gpointer          user_data);

OrderlySioServer  *orderly_sio_server_new                 (const char              *path);
OrderlyEioServer  *orderly_sio_server_get_engine          (OrderlySioServer        *self);
void               orderly_sio_server_add_namespace       (OrderlySioServer        *self,
                                                           const char              *nsp);
void               orderly_sio_server_set_connect_timeout (OrderlySioServer        *self,
                                                           guint                    timeout_ms);
void               orderly_sio_server_set_authorize_func  (OrderlySioServer        *self,
                                                           OrderlySioAuthorizeFunc  func,
                                                           gpointer                 user_data,
                                                           GDestroyNotify           destroy);
void               orderly_sio_server_attach              (OrderlySioServer        *self,
                                                           SoupServer              *server);
void               orderly_sio_server_broadcast           (OrderlySioServer        *self,
                                                           const char              *nsp,
                                                           GBytes                  *packet);
void               orderly_sio_server_broadcast_latest    (OrderlySioServer        *self,
                                                           const char              *nsp,
                                                           guint                    slot,
                                                           GBytes                  *packet);
guint              orderly_sio_server_get_n_sockets       (OrderlySioServer        *self,
                                                           const char              *nsp);
GPtrArray         *orderly_sio_server_list_sockets        (OrderlySioServer        *self,
                                                           const char              *nsp);

const char        *orderly_sio_socket_get_id              (OrderlySioSocket        *self);
const char        *orderly_sio_socket_get_namespace       (OrderlySioSocket        *self);
const char        *orderly_sio_socket_get_transport_name  (OrderlySioSocket        *self);
const char        *orderly_sio_socket_get_remote_address  (OrderlySioSocket        *self);
const char        *orderly_sio_socket_get_user_agent      (OrderlySioSocket        *self);
JsonObject        *orderly_sio_socket_get_auth            (OrderlySioSocket        *self);
const char        *orderly_sio_socket_get_query_token     (OrderlySioSocket        *self);
const char        *orderly_sio_socket_get_cookie_header   (OrderlySioSocket        *self);
const char        *orderly_sio_socket_get_origin          (OrderlySioSocket        *self);
OrderlyEioSession *orderly_sio_socket_get_session         (OrderlySioSocket        *self);
guint              orderly_sio_socket_get_role            (OrderlySioSocket        *self);
gboolean           orderly_sio_socket_is_connected        (OrderlySioSocket        *self);
gint64             orderly_sio_socket_get_connected_at    (OrderlySioSocket        *self);
guint64            orderly_sio_socket_get_sent            (OrderlySioSocket        *self);
guint64            orderly_sio_socket_get_received        (OrderlySioSocket        *self);
guint64            orderly_sio_socket_get_dropped         (OrderlySioSocket        *self);

void               orderly_sio_socket_emit                (OrderlySioSocket        *self,
                                                           const char              *event,
                                                           JsonNode                *argument);
void               orderly_sio_socket_emit_args           (OrderlySioSocket        *self,
                                                           const char              *event,
                                                           JsonArray               *args,
                                                           GPtrArray               *attachments);
void               orderly_sio_socket_emit_with_ack       (OrderlySioSocket        *self,
                                                           const char              *event,
                                                           JsonArray               *args,
                                                           OrderlySioAckFunc        callback,
                                                           gpointer                 user_data,
                                                           GDestroyNotify           destroy);
void               orderly_sio_socket_send_encoded        (OrderlySioSocket        *self,
                                                           GBytes                  *packet);
void               orderly_sio_socket_send_latest         (OrderlySioSocket        *self,
                                                           guint                    slot,
                                                           GBytes                  *packet);
void               orderly_sio_socket_ack                 (OrderlySioSocket        *self,
                                                           gint64                   ack_id,
                                                           JsonArray               *args,
                                                           GPtrArray               *attachments);
void               orderly_sio_socket_disconnect          (OrderlySioSocket        *self,
                                                           gboolean                 close_transport);

G_END_DECLS
