/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "orderly-dispatcher.h"
#include "orderly-hub.h"
#include "orderly-ws-connection.h"

G_BEGIN_DECLS

#define ORDERLY_TYPE_WS_CLIENT (orderly_ws_client_get_type ())

/**
 * OrderlyWsClient:
 *
 * One client of the plain WebSocket feed at /ws: text frames holding
 * `{"event", "data", "id"?}`. It subscribes to the hub and passes commands
 * to the dispatcher. #OrderlyWsClient::closed is emitted once, when the
 * connection is gone.
 *
 * Server to client:
 * - hub events `{"event", "data", "seq", "instanceId"}`: `connected`,
 *   `status`, `progress`, `logs` (data: an array of lines), `metrics`;
 * - replies to this client only, without seq: `{"event": "ack", "id",
 *   "data"}` for a command sent with an id (data: the REST body or the
 *   error object), `{"event": "error", "data": error}` for a refused
 *   message without an id, `pong`, and a `ping` every ping interval.
 *
 * Client to server: the dispatcher's commands by name, `ping`, `pong`.
 * Binary frames close with 1003, messages over 64 KiB with 1009, a client
 * silent for the idle timeout with 1001, a client too slow for its queue
 * with 1013.
 */
G_DECLARE_FINAL_TYPE (OrderlyWsClient, orderly_ws_client, ORDERLY, WS_CLIENT, GObject)

OrderlyWsClient *orderly_ws_client_new              (OrderlyWsConnection     *connection,
                                                     OrderlyClient           *client,
                                                     OrderlyRole              role,
                                                     OrderlyHub              *hub,
                                                     OrderlyDispatcher       *dispatcher);
void             orderly_ws_client_start            (OrderlyWsClient         *self,
                                                     gint64                   since);
OrderlyClient   *orderly_ws_client_get_client       (OrderlyWsClient         *self);
void             orderly_ws_client_close            (OrderlyWsClient         *self,
                                                     gushort                  code,
                                                     const char              *reason);
void             orderly_ws_client_keepalive        (OrderlyWsClient         *self,
                                                     gint64                   now_us,
                                                     gint64                   ping_interval_us,
                                                     gint64                   idle_timeout_us);

G_END_DECLS
