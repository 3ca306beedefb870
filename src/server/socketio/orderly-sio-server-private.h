/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The server's struct, and its clients: a client is one Engine.IO session
 * and the sockets it has joined, one per namespace. */
#pragma once

#include "orderly-sio-server.h"
#include "orderly-sio-socket-private.h"

G_BEGIN_DECLS

struct _OrderlySioServer
{
  GObject                  parent_instance;

  OrderlyEioServer        *engine;
  /* namespace -> (socket id -> OrderlySioSocket) */
  GHashTable              *namespaces;
  /* OrderlyEioSession -> OrderlySioClient */
  GHashTable              *clients;
  guint                    connect_timeout;

  OrderlySioAuthorizeFunc  authorize;
  gpointer                 authorize_data;
  GDestroyNotify           authorize_destroy;
};

struct _OrderlySioClient
{
  /* borrowed: the server frees its clients */
  OrderlySioServer  *server;
  OrderlyEioSession *session;
  OrderlySioDecoder *decoder;
  /* namespace -> OrderlySioSocket */
  GHashTable        *sockets;
  guint              connect_source;
  gulong             message_id;
  gulong             closed_id;
};

enum {
  ORDERLY_SIO_SERVER_SIGNAL_CONNECTION,
  ORDERLY_SIO_SERVER_SIGNAL_EVENT,
  ORDERLY_SIO_SERVER_N_SIGNALS
};

extern guint _orderly_sio_server_signals[ORDERLY_SIO_SERVER_N_SIGNALS];

/* orderly-sio-client.c */
OrderlySioClient *_orderly_sio_client_new  (OrderlySioServer  *server,
                                            OrderlyEioSession *session);
void              _orderly_sio_client_free (OrderlySioClient  *client);

G_END_DECLS
