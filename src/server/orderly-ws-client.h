/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "orderly-dispatcher.h"
#include "orderly-hub.h"

G_BEGIN_DECLS

#define ORDERLY_TYPE_WS_CLIENT (orderly_ws_client_get_type ())

/**
 * OrderlyWsClient:
 *
 * One client of the plain WebSocket feed at /ws: text frames holding
 * `{"event", "data", "id"?}`. It subscribes to the hub and passes commands
 * to the dispatcher. #OrderlyWsClient::closed is emitted once, when the
 * connection is gone.
 */
G_DECLARE_FINAL_TYPE (OrderlyWsClient, orderly_ws_client, ORDERLY, WS_CLIENT, GObject)

OrderlyWsClient *orderly_ws_client_new              (SoupWebsocketConnection *connection,
                                                     GSocket                 *socket,
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
