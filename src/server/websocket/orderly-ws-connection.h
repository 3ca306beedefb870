/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Bytes a connection may leave unwritten before its peer counts as not
 * reading. */
#define ORDERLY_WS_DEFAULT_MAX_OUTGOING (1024 * 1024)

typedef enum
{
  ORDERLY_WS_STATE_OPEN,
  ORDERLY_WS_STATE_CLOSING,
  ORDERLY_WS_STATE_CLOSED,
} OrderlyWsState;

#define ORDERLY_TYPE_WS_CONNECTION (orderly_ws_connection_get_type ())
G_DECLARE_FINAL_TYPE (OrderlyWsConnection, orderly_ws_connection, ORDERLY, WS_CONNECTION, GObject)

/**
 * OrderlyWsAcceptFunc:
 * @msg: the upgrade request, answered with 101
 * @connection: the WebSocket, open; the callee takes a reference to keep it
 * @user_data: closure data
 */
typedef void (*OrderlyWsAcceptFunc) (SoupServerMessage   *msg,
                                     OrderlyWsConnection *connection,
                                     gpointer             user_data);

gboolean             orderly_ws_connection_accept               (SoupServerMessage   *msg,
                                                                 GSocket             *socket,
                                                                 OrderlyWsAcceptFunc  func,
                                                                 gpointer             user_data,
                                                                 GDestroyNotify       destroy);
OrderlyWsConnection *orderly_ws_connection_new                  (GIOStream           *stream);
void                 orderly_ws_connection_set_max_incoming_payload_size
                                                                (OrderlyWsConnection *self,
                                                                 guint64              max_payload);
void                 orderly_ws_connection_set_max_outgoing_size
                                                                (OrderlyWsConnection *self,
                                                                 gsize                max_outgoing);
OrderlyWsState       orderly_ws_connection_get_state            (OrderlyWsConnection *self);
gushort              orderly_ws_connection_get_close_code       (OrderlyWsConnection *self);
void                 orderly_ws_connection_send                 (OrderlyWsConnection *self,
                                                                 gboolean             binary,
                                                                 GBytes              *payload);
void                 orderly_ws_connection_send_text            (OrderlyWsConnection *self,
                                                                 const char          *text);
gsize                orderly_ws_connection_get_pending          (OrderlyWsConnection *self);
gboolean             orderly_ws_connection_is_blocked           (OrderlyWsConnection *self);
void                 orderly_ws_connection_ping                 (OrderlyWsConnection *self);
void                 orderly_ws_connection_close                (OrderlyWsConnection *self,
                                                                 gushort              code);
void                 orderly_ws_connection_close_with_reason    (OrderlyWsConnection *self,
                                                                 gushort              code,
                                                                 const char          *reason);

G_END_DECLS
