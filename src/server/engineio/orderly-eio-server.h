/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An Engine.IO v4 server (polling, WebSocket, upgrade, heartbeat) that
 * attaches to an existing SoupServer at a path prefix. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef enum
{
  ORDERLY_EIO_TRANSPORT_POLLING,
  ORDERLY_EIO_TRANSPORT_WEBSOCKET,
} OrderlyEioTransport;

#define ORDERLY_EIO_DEFAULT_PING_INTERVAL   25000
#define ORDERLY_EIO_DEFAULT_PING_TIMEOUT    20000
#define ORDERLY_EIO_DEFAULT_UPGRADE_TIMEOUT 10000
#define ORDERLY_EIO_DEFAULT_MAX_PAYLOAD     1000000
#define ORDERLY_EIO_DEFAULT_MAX_QUEUE       4096

#define ORDERLY_TYPE_EIO_SESSION (orderly_eio_session_get_type ())
G_DECLARE_FINAL_TYPE (OrderlyEioSession, orderly_eio_session, ORDERLY, EIO_SESSION, GObject)

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

char               *orderly_eio_generate_id                (void);

OrderlyEioServer   *orderly_eio_server_new                 (const char          *path);
const char         *orderly_eio_server_get_path            (OrderlyEioServer    *self);
void                orderly_eio_server_set_heartbeat       (OrderlyEioServer    *self,
                                                            guint                ping_interval_ms,
                                                            guint                ping_timeout_ms);
void                orderly_eio_server_set_upgrade_timeout (OrderlyEioServer    *self,
                                                            guint                timeout_ms);
void                orderly_eio_server_set_max_payload     (OrderlyEioServer    *self,
                                                            gsize                max_payload);
void                orderly_eio_server_set_max_queue       (OrderlyEioServer    *self,
                                                            guint                max_packets);
void                orderly_eio_server_set_cors_origins    (OrderlyEioServer    *self,
                                                            const char * const  *origins);
void                orderly_eio_server_set_request_func    (OrderlyEioServer    *self,
                                                            OrderlyEioRequestFunc func,
                                                            gpointer             user_data,
                                                            GDestroyNotify       destroy);
void                orderly_eio_server_attach              (OrderlyEioServer    *self,
                                                            SoupServer          *server);
void                orderly_eio_server_detach              (OrderlyEioServer    *self);
guint               orderly_eio_server_get_n_sessions      (OrderlyEioServer    *self);
void                orderly_eio_server_close_all           (OrderlyEioServer    *self);

const char         *orderly_eio_session_get_id             (OrderlyEioSession   *self);
OrderlyEioTransport orderly_eio_session_get_transport      (OrderlyEioSession   *self);
const char         *orderly_eio_session_get_transport_name (OrderlyEioSession   *self);
const char         *orderly_eio_session_get_remote_address (OrderlyEioSession   *self);
const char         *orderly_eio_session_get_user_agent     (OrderlyEioSession   *self);
const char         *orderly_eio_session_get_cookie_header  (OrderlyEioSession   *self);
const char         *orderly_eio_session_get_origin         (OrderlyEioSession   *self);
const char         *orderly_eio_session_get_query_param    (OrderlyEioSession   *self,
                                                            const char          *name);
gboolean            orderly_eio_session_is_open            (OrderlyEioSession   *self);
guint64             orderly_eio_session_get_sent           (OrderlyEioSession   *self);
guint64             orderly_eio_session_get_dropped        (OrderlyEioSession   *self);
guint               orderly_eio_session_get_queue_length   (OrderlyEioSession   *self);
gboolean            orderly_eio_session_can_write          (OrderlyEioSession   *self,
                                                            guint                window);

void                orderly_eio_session_send_text          (OrderlyEioSession   *self,
                                                            const char          *data,
                                                            gssize               length);
void                orderly_eio_session_send_binary        (OrderlyEioSession   *self,
                                                            GBytes              *data);
void                orderly_eio_session_send_encoded       (OrderlyEioSession   *self,
                                                            GBytes              *packet);
void                orderly_eio_session_send_latest        (OrderlyEioSession   *self,
                                                            guint                slot,
                                                            GBytes              *packet);
void                orderly_eio_session_close              (OrderlyEioSession   *self);

G_END_DECLS
