/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One Socket.IO v5 socket: a client joined to one namespace over an
 * Engine.IO session. Made by OrderlySioServer on CONNECT. */
#pragma once

#include <json-glib/json-glib.h>

#include "orderly-eio-session.h"

G_BEGIN_DECLS

#define ORDERLY_TYPE_SIO_SOCKET (orderly_sio_socket_get_type ())
G_DECLARE_FINAL_TYPE (OrderlySioSocket, orderly_sio_socket, ORDERLY, SIO_SOCKET, GObject)

const char        *orderly_sio_socket_get_id             (OrderlySioSocket *self);
const char        *orderly_sio_socket_get_namespace      (OrderlySioSocket *self);
const char        *orderly_sio_socket_get_transport_name (OrderlySioSocket *self);
const char        *orderly_sio_socket_get_remote_address (OrderlySioSocket *self);
const char        *orderly_sio_socket_get_user_agent     (OrderlySioSocket *self);
JsonObject        *orderly_sio_socket_get_auth           (OrderlySioSocket *self);
const char        *orderly_sio_socket_get_query_token    (OrderlySioSocket *self);
const char        *orderly_sio_socket_get_cookie_header  (OrderlySioSocket *self);
OrderlyEioSession *orderly_sio_socket_get_session        (OrderlySioSocket *self);
guint              orderly_sio_socket_get_role           (OrderlySioSocket *self);
gboolean           orderly_sio_socket_is_connected       (OrderlySioSocket *self);

void               orderly_sio_socket_emit               (OrderlySioSocket *self,
                                                          const char       *event,
                                                          JsonNode         *argument);
void               orderly_sio_socket_emit_args          (OrderlySioSocket *self,
                                                          const char       *event,
                                                          JsonArray        *args,
                                                          GPtrArray        *attachments);
void               orderly_sio_socket_send_encoded       (OrderlySioSocket *self,
                                                          GBytes           *packet);
void               orderly_sio_socket_send_latest        (OrderlySioSocket *self,
                                                          guint             slot,
                                                          GBytes           *packet);
void               orderly_sio_socket_ack                (OrderlySioSocket *self,
                                                          gint64            ack_id,
                                                          JsonArray        *args,
                                                          GPtrArray        *attachments);
void               orderly_sio_socket_disconnect         (OrderlySioSocket *self,
                                                          gboolean          close_transport);

G_END_DECLS
