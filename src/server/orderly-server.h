/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "orderly-dispatcher.h"
#include "orderly-engine.h"
#include "orderly-gate.h"
#include "orderly-hub.h"
#include "orderly-remote.h"
#include "orderly-server-limits.h"

G_BEGIN_DECLS

#define ORDERLY_TYPE_SERVER (orderly_server_get_type ())

/**
 * OrderlyServer:
 *
 * The embedded server, composed of its parts on one #SoupServer: the
 * listener (sockets, TLS, listening again on new settings), the gate (who
 * may come in), the REST front (routes, the dashboard, /metrics), the
 * dispatcher (commands), the hub (the live feed) and the live transports
 * (/ws, Socket.IO), which get the gate, hub and dispatcher when they are
 * made.
 */
G_DECLARE_FINAL_TYPE (OrderlyServer, orderly_server, ORDERLY, SERVER, GObject)

OrderlyServer     *orderly_server_new                 (OrderlyEngine  *engine,
                                                       OrderlyRemote  *remote,
                                                       GError        **error);
gboolean           orderly_server_set_tls_files       (OrderlyServer  *self,
                                                       const char     *cert_file,
                                                       const char     *key_file,
                                                       GError        **error);
gboolean           orderly_server_start               (OrderlyServer  *self,
                                                       GError        **error);
void               orderly_server_stop                (OrderlyServer  *self);
guint              orderly_server_get_port            (OrderlyServer  *self);
const char        *orderly_server_get_instance_id     (OrderlyServer  *self);
OrderlyGate       *orderly_server_get_gate            (OrderlyServer  *self);
OrderlyHub        *orderly_server_get_hub             (OrderlyServer  *self);
void               orderly_server_set_keepalive       (OrderlyServer  *self,
                                                       guint           ping_interval_ms,
                                                       guint           idle_timeout_ms);
void               orderly_server_set_max_connections (OrderlyServer  *self,
                                                       guint           max_connections);
void               orderly_server_set_login_limit     (OrderlyServer  *self,
                                                       guint           max_failures,
                                                       guint           block_ms);
void               orderly_server_set_http_timeouts   (OrderlyServer  *self,
                                                       guint           header_ms,
                                                       guint           body_ms,
                                                       guint           idle_ms);

G_END_DECLS
