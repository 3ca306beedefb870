/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "orderly-dispatcher.h"
#include "orderly-gate.h"
#include "orderly-hub.h"

G_BEGIN_DECLS

#define ORDERLY_WS_DEFAULT_PING_INTERVAL_MS 25000
#define ORDERLY_WS_DEFAULT_IDLE_TIMEOUT_MS  60000

#define ORDERLY_TYPE_WS_TRANSPORT (orderly_ws_transport_get_type ())

/**
 * OrderlyWsTransport:
 *
 * The plain WebSocket feed at /ws: it lets in the upgrades the gate allows
 * (a token is required, `?token=` counts), makes an #OrderlyWsClient of
 * each, and pings them and closes the silent ones. A client that sends
 * `?since=SEQ&instance=ID` gets what it missed since SEQ, if the hub still
 * has it.
 */
G_DECLARE_FINAL_TYPE (OrderlyWsTransport, orderly_ws_transport, ORDERLY, WS_TRANSPORT, GObject)

OrderlyWsTransport *orderly_ws_transport_new           (SoupServer         *server,
                                                        OrderlyGate        *gate,
                                                        OrderlyHub         *hub,
                                                        OrderlyDispatcher  *dispatcher);
void                orderly_ws_transport_start         (OrderlyWsTransport *self);
void                orderly_ws_transport_stop          (OrderlyWsTransport *self);
void                orderly_ws_transport_close_all     (OrderlyWsTransport *self,
                                                        gushort             code,
                                                        const char         *reason);
guint               orderly_ws_transport_get_n_clients (OrderlyWsTransport *self);
void                orderly_ws_transport_set_keepalive (OrderlyWsTransport *self,
                                                        guint               ping_interval_ms,
                                                        guint               idle_timeout_ms);

G_END_DECLS
