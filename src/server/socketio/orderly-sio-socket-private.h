/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The socket's struct, and what the server and its clients do with it. */
#pragma once

#include "orderly-sio-packet.h"
#include "orderly-sio-socket.h"

G_BEGIN_DECLS

typedef struct _OrderlySioClient OrderlySioClient;

struct _OrderlySioSocket
{
  GObject            parent_instance;

  /* borrowed; NULL until joined and once disconnected */
  OrderlySioClient  *client;

  OrderlyEioSession *session;
  char              *id;
  char              *nsp;
  JsonObject        *auth;
  guint              role;
  gboolean           connected;
};

OrderlySioSocket *_orderly_sio_socket_new         (OrderlyEioSession *session,
                                                   const char        *nsp,
                                                   JsonObject        *auth,
                                                   GError           **error);
void              _orderly_sio_socket_join        (OrderlySioSocket  *self,
                                                   OrderlySioClient  *client,
                                                   guint              role);
void              _orderly_sio_socket_send_packet (OrderlySioSocket  *self,
                                                   OrderlySioPacket  *packet);
void              _orderly_sio_socket_leave       (OrderlySioSocket  *self,
                                                   const char        *reason);

G_END_DECLS
