/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "orderly-remote.h"
#include "orderly-server.h"

G_BEGIN_DECLS

#define ORDERLY_TYPE_SOCKETIO_TRANSPORT (orderly_socketio_transport_get_type ())

/**
 * OrderlySocketioTransport:
 *
 * Socket.IO v5 at /socket.io/, fed by the same hub and dispatcher as /ws,
 * so that stock socket.io-client 4 front ends work unchanged: each log line
 * is its own `log` event; client events get-status, start-generation,
 * cancel-operation, reset-system and resume-run are answered through the
 * ack when the client asks for one. Tokens give the same roles as on /ws
 * (CONNECT `auth.token`, the `token` query parameter, or the session
 * cookie).
 *
 * With ORDERLY_SOCKETIO_CONFORMANCE=1 it serves the behaviour the official
 * conformance suites script instead, and no data or control at all.
 */
G_DECLARE_FINAL_TYPE (OrderlySocketioTransport, orderly_socketio_transport, ORDERLY, SOCKETIO_TRANSPORT, GObject)

OrderlySocketioTransport *orderly_socketio_transport_new           (OrderlyServer            *server,
                                                                    OrderlyRemote            *remote);
guint                     orderly_socketio_transport_get_n_clients (OrderlySocketioTransport *self);
void                      orderly_socketio_transport_close_all     (OrderlySocketioTransport *self);

G_END_DECLS
