/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The behaviour the official Engine.IO and Socket.IO conformance suites
 * script: short heartbeats, an echo endpoint at /engine.io/, and the
 * `auth`, `message-back` and `message-with-ack` handlers. It never serves
 * application data or control. */
#pragma once

#include <libsoup/soup.h>

#include "orderly-sio-server.h"

G_BEGIN_DECLS

#define ORDERLY_SIO_CONFORMANCE_ENV "ORDERLY_SOCKETIO_CONFORMANCE"

gboolean          orderly_sio_conformance_requested (void);
OrderlySioServer *orderly_sio_conformance_attach    (SoupServer           *server,
                                                     OrderlyEioSocketFunc  socket_func);

G_END_DECLS
