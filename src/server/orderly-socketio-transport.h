/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "orderly-dispatcher.h"
#include "orderly-gate.h"
#include "orderly-hub.h"

G_BEGIN_DECLS

#define ORDERLY_TYPE_SOCKETIO_TRANSPORT (orderly_socketio_transport_get_type ())

/**
 * OrderlySocketioTransport:
 *
 * Socket.IO v5 at /socket.io/, fed by the same hub and dispatcher as /ws,
 * so that stock socket.io-client 4 front ends work unchanged: each log line
 * is its own `log` event; client events get-status, start-generation,
 * cancel-operation, reset-system and resume-run are answered through the
 * ack when the client asks for one. The gate lets requests in (Host,
 * Origin, CORS) and judges the token the client shows at CONNECT
 * (`auth.token`, the `token` query parameter, or the session cookie), which
 * gives the same roles as on /ws.
 *
 * With ORDERLY_SOCKETIO_CONFORMANCE=1 it serves the behaviour the official
 * conformance suites script instead, and no data or control at all.
 */
G_DECLARE_FINAL_TYPE (OrderlySocketioTransport, orderly_socketio_transport, ORDERLY, SOCKETIO_TRANSPORT, GObject)

OrderlySocketioTransport *orderly_socketio_transport_new           (SoupServer               *server,
                                                                    OrderlyGate              *gate,
                                                                    OrderlyHub               *hub,
                                                                    OrderlyDispatcher        *dispatcher);
guint                     orderly_socketio_transport_get_n_clients (OrderlySocketioTransport *self);
void                      orderly_socketio_transport_close_all     (OrderlySocketioTransport *self);

G_END_DECLS
