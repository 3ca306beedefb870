/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the Engine.IO library's files share about a session: its struct,
 * its states, and the entry points of its polling and WebSocket halves. */
#pragma once

#include "orderly-eio-heartbeat.h"
#include "orderly-eio-packet.h"
#include "orderly-eio-server.h"
#include "orderly-ws-connection.h"

G_BEGIN_DECLS

typedef enum
{
  ORDERLY_EIO_SESSION_OPEN,
  /* Closed while polling with no GET held: what is left in the queue
   * waits for the next GET. */
  ORDERLY_EIO_SESSION_CLOSING,
  ORDERLY_EIO_SESSION_CLOSED,
} OrderlyEioSessionState;

typedef enum
{
  /* Transport error, parse error, ping timeout: answer a held GET with close. */
  ORDERLY_EIO_CLOSE_ERROR,
  /* The client sent close: answer a held GET with noop. */
  ORDERLY_EIO_CLOSE_BY_CLIENT,
  /* The application closed the session: flush, then close. */
  ORDERLY_EIO_CLOSE_BY_SERVER,
} OrderlyEioCloseKind;

typedef struct
{
  GBytes   *bytes;
  gboolean  binary;
  guint     slot;
} OrderlyEioOutItem;

struct _OrderlyEioSession
{
  GObject                  parent_instance;

  /* borrowed; cleared when the session is closed */
  OrderlyEioServer        *server;

  char                    *id;
  OrderlyEioTransport      transport;
  OrderlyEioSessionState   state;

  SoupServerMessage       *pending_get;
  gulong                   pending_disconnected_id;
  GSource                 *pending_watch;
  /* (element-type OrderlyEioOutItem) */
  GQueue                   queue;
  /* the size of what is in the queue */
  gsize                    queued_bytes;

  OrderlyWsConnection     *ws;
  OrderlyWsConnection     *probe;
  gboolean                 probe_answered;

  guint                    noop_source;
  guint                    upgrade_source;
  OrderlyEioBeat           beat;
  guint                    close_source;
  guint                    release_source;

  char                    *remote_address;
  char                    *user_agent;
  char                    *cookie;
  char                    *origin;
  GHashTable              *query;
};

enum {
  ORDERLY_EIO_SESSION_SIGNAL_MESSAGE,
  ORDERLY_EIO_SESSION_SIGNAL_DRAINED,
  ORDERLY_EIO_SESSION_SIGNAL_UPGRADED,
  ORDERLY_EIO_SESSION_SIGNAL_CLOSED,
  ORDERLY_EIO_SESSION_N_SIGNALS
};

extern guint _orderly_eio_session_signals[ORDERLY_EIO_SESSION_N_SIGNALS];

/* orderly-eio-session.c */
OrderlyEioSession *_orderly_eio_session_new            (OrderlyEioServer    *server,
                                                        SoupServerMessage   *msg,
                                                        GHashTable          *query,
                                                        OrderlyEioTransport  transport,
                                                        GError             **error);
void               _orderly_eio_session_out_item_free  (OrderlyEioOutItem   *item);
GQueue            *_orderly_eio_session_steal_queue    (OrderlyEioSession   *self);
gsize              _orderly_eio_session_max_outgoing   (OrderlyEioSession   *self);
void               _orderly_eio_session_send_queue     (OrderlyEioSession   *self);
void               _orderly_eio_session_schedule_ping  (OrderlyEioSession   *self);
void               _orderly_eio_session_ping           (gpointer             session,
                                                        gpointer             user_data);
void               _orderly_eio_session_ping_timeout   (gpointer             session,
                                                        gpointer             user_data);
void               _orderly_eio_session_handle_packet  (OrderlyEioSession   *self,
                                                        OrderlyEioPacket    *packet);
void               _orderly_eio_session_close          (OrderlyEioSession   *self,
                                                        OrderlyEioCloseKind  kind,
                                                        const char          *reason);
void               _orderly_eio_session_forget         (OrderlyEioSession   *self);

/* orderly-eio-polling.c */
void               _orderly_eio_session_handle_get     (OrderlyEioSession   *self,
                                                        SoupServerMessage   *msg);
void               _orderly_eio_session_handle_post    (OrderlyEioSession   *self,
                                                        SoupServerMessage   *msg);
void               _orderly_eio_session_unhold_get     (OrderlyEioSession   *self,
                                                        SoupServerMessage   *msg);
void               _orderly_eio_session_release_get    (OrderlyEioSession   *self,
                                                        const char          *body,
                                                        gsize                length);
void               _orderly_eio_session_answer_get     (OrderlyEioSession   *self);
void               _orderly_eio_session_answer_soon    (OrderlyEioSession   *self);
void               _orderly_eio_respond_payload        (SoupServerMessage   *msg,
                                                        const char          *body,
                                                        gsize                length);
void               _orderly_eio_respond_empty          (SoupServerMessage   *msg,
                                                        guint                status);

/* orderly-eio-websocket.c */
void               _orderly_eio_session_open_websocket (OrderlyEioSession   *self,
                                                        OrderlyWsConnection *ws);
void               _orderly_eio_session_start_probe    (OrderlyEioSession   *self,
                                                        OrderlyWsConnection *ws);
void               _orderly_eio_session_send_ws        (OrderlyEioSession   *self,
                                                        OrderlyEioOutItem   *item);
void               _orderly_eio_session_close_ws       (OrderlyEioSession   *self);

G_END_DECLS
