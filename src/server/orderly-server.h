/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "orderly-dispatcher.h"
#include "orderly-engine.h"
#include "orderly-hub.h"
#include "orderly-login-limiter.h"
#include "orderly-remote.h"

G_BEGIN_DECLS

#define ORDERLY_SERVER_MAX_BODY        (64 * 1024)
#define ORDERLY_SERVER_MAX_MESSAGE     (64 * 1024)
#define ORDERLY_SERVER_MAX_CONNECTIONS 10000

#define ORDERLY_TYPE_SERVER (orderly_server_get_type ())

/**
 * OrderlyServer:
 *
 * The embedded HTTP server: REST, the /ws feed and the dashboard, on
 * sockets it creates itself. It listens where #OrderlyRemote says and
 * listens again when its bind-address or port change.
 *
 * Other transports (Socket.IO) add their handlers to
 * orderly_server_get_soup_server() and use orderly_server_check_request()
 * for the same security rules, orderly_server_get_hub() for the feed and
 * orderly_server_get_dispatcher() for commands.
 */
G_DECLARE_FINAL_TYPE (OrderlyServer, orderly_server, ORDERLY, SERVER, GObject)

OrderlyServer     *orderly_server_new              (OrderlyEngine      *engine,
                                                    OrderlyRemote      *remote,
                                                    GError            **error);
gboolean           orderly_server_set_tls_files    (OrderlyServer      *self,
                                                    const char         *cert_file,
                                                    const char         *key_file,
                                                    GError            **error);
gboolean           orderly_server_start            (OrderlyServer      *self,
                                                    GError            **error);
void               orderly_server_stop             (OrderlyServer      *self);
guint              orderly_server_get_port         (OrderlyServer      *self);
const char        *orderly_server_get_instance_id  (OrderlyServer      *self);
SoupServer        *orderly_server_get_soup_server  (OrderlyServer      *self);
OrderlyHub        *orderly_server_get_hub          (OrderlyServer      *self);
OrderlyLoginLimiter *orderly_server_get_login_limiter (OrderlyServer    *self);
OrderlyDispatcher *orderly_server_get_dispatcher   (OrderlyServer      *self);
gboolean           orderly_server_check_request    (OrderlyServer      *self,
                                                    SoupServerMessage  *msg,
                                                    GHashTable         *query,
                                                    gboolean            is_upgrade,
                                                    OrderlyRole        *role);
gboolean           orderly_server_check_handshake  (OrderlyServer      *self,
                                                    SoupServerMessage  *msg,
                                                    GHashTable         *query,
                                                    gboolean            is_upgrade);
gboolean           orderly_server_reserve_connection (OrderlyServer    *self);
void               orderly_server_release_connection (OrderlyServer    *self);
void               orderly_server_set_keepalive    (OrderlyServer      *self,
                                                    guint               ping_interval_ms,
                                                    guint               idle_timeout_ms);
void               orderly_server_set_max_connections (OrderlyServer   *self,
                                                    guint               max_connections);
void               orderly_server_set_login_limit  (OrderlyServer      *self,
                                                    guint               max_failures,
                                                    guint               block_ms);
void               orderly_server_close_clients    (OrderlyServer      *self,
                                                    gushort             code,
                                                    const char         *reason);

G_END_DECLS
