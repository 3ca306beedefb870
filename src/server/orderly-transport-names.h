/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* How each live transport names itself in #OrderlyClient:transport, in the
 * client list and in /metrics. */
#define ORDERLY_TRANSPORT_WEBSOCKET          "websocket"
#define ORDERLY_TRANSPORT_SOCKETIO_WEBSOCKET "socket.io/websocket"
#define ORDERLY_TRANSPORT_SOCKETIO_POLLING   "socket.io/polling"

/* Every name above, for those that list them all. */
#define ORDERLY_TRANSPORT_NAMES { ORDERLY_TRANSPORT_WEBSOCKET,          \
                                  ORDERLY_TRANSPORT_SOCKETIO_WEBSOCKET, \
                                  ORDERLY_TRANSPORT_SOCKETIO_POLLING }
