/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One Engine.IO v4 session: a client on polling or WebSocket, the packets
 * queued for it, its heartbeat and its upgrade. Made by OrderlyEioServer. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef enum
{
  ORDERLY_EIO_TRANSPORT_POLLING,
  ORDERLY_EIO_TRANSPORT_WEBSOCKET,
} OrderlyEioTransport;

#define ORDERLY_TYPE_EIO_SESSION (orderly_eio_session_get_type ())
G_DECLARE_FINAL_TYPE (OrderlyEioSession, orderly_eio_session, ORDERLY, EIO_SESSION, GObject)

OrderlyEioTransport orderly_eio_session_get_transport      (OrderlyEioSession *self);
const char         *orderly_eio_session_get_transport_name (OrderlyEioSession *self);
const char         *orderly_eio_session_get_remote_address (OrderlyEioSession *self);
const char         *orderly_eio_session_get_user_agent     (OrderlyEioSession *self);
const char         *orderly_eio_session_get_cookie_header  (OrderlyEioSession *self);
const char         *orderly_eio_session_get_origin         (OrderlyEioSession *self);
const char         *orderly_eio_session_get_query_param    (OrderlyEioSession *self,
                                                            const char        *name);
gboolean            orderly_eio_session_is_open            (OrderlyEioSession *self);
gboolean            orderly_eio_session_can_write          (OrderlyEioSession *self,
                                                            guint              window);

void                orderly_eio_session_send_text          (OrderlyEioSession *self,
                                                            const char        *data,
                                                            gssize             length);
void                orderly_eio_session_send_binary        (OrderlyEioSession *self,
                                                            GBytes            *data);
void                orderly_eio_session_send_encoded       (OrderlyEioSession *self,
                                                            GBytes            *packet);
void                orderly_eio_session_send_latest        (OrderlyEioSession *self,
                                                            guint              slot,
                                                            GBytes            *packet);
void                orderly_eio_session_close              (OrderlyEioSession *self);

G_END_DECLS
