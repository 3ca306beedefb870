/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Engine.IO server's struct, for the sessions it owns. */
#pragma once

#include "orderly-eio-heartbeat.h"
#include "orderly-eio-server.h"

G_BEGIN_DECLS

/* How long a probe WebSocket may wait for the client's upgrade packet. */
#define ORDERLY_EIO_UPGRADE_TIMEOUT_MS 10000

/* The codes of Engine.IO's HTTP errors. */
typedef enum
{
  ORDERLY_EIO_CODE_UNKNOWN_TRANSPORT = 0,
  ORDERLY_EIO_CODE_UNKNOWN_SID = 1,
  ORDERLY_EIO_CODE_BAD_HANDSHAKE_METHOD = 2,
  ORDERLY_EIO_CODE_BAD_REQUEST = 3,
  ORDERLY_EIO_CODE_FORBIDDEN = 4,
  ORDERLY_EIO_CODE_UNSUPPORTED_PROTOCOL_VERSION = 5,
} OrderlyEioErrorCode;

struct _OrderlyEioServer
{
  GObject                parent_instance;

  char                  *path;
  SoupServer            *soup_server;
  /* sid -> OrderlyEioSession (owned) */
  GHashTable            *sessions;
  OrderlyEioHeartbeat   *heartbeat;

  guint                  ping_interval;
  guint                  ping_timeout;
  gsize                  max_payload;
  guint                  max_queue;
  char                 **cors_origins;

  OrderlyEioRequestFunc  request_func;
  gpointer               request_data;
  GDestroyNotify         request_destroy;
  OrderlyEioSocketFunc   socket_func;
};

GSocket *_orderly_eio_server_get_socket (OrderlyEioServer  *self,
                                         SoupServerMessage *msg);

void _orderly_eio_respond_error (SoupServerMessage   *msg,
                                 OrderlyEioErrorCode  code,
                                 gboolean             upgrade);

G_END_DECLS
