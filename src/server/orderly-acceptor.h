/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Descriptors kept free for everything that is not a client connection:
 * the database, the files the engine writes, the window's own. */
#define ORDERLY_ACCEPTOR_FD_RESERVE        64
/* Of the connections it may open, these are kept for plain HTTP requests
 * (a health check, the REST API): long-lived ones (WebSockets, Socket.IO)
 * may not take them. */
#define ORDERLY_ACCEPTOR_HTTP_HEADROOM     64
/* A request's headers must be in this long after the connection opened,
 * or after the first byte of a later request on it. */
#define ORDERLY_ACCEPTOR_HEADER_TIMEOUT_MS 5000
/* A request body must be in this long after its headers. */
#define ORDERLY_ACCEPTOR_BODY_TIMEOUT_MS   10000
/* A keep-alive connection that sends nothing is closed after this long. */
#define ORDERLY_ACCEPTOR_IDLE_TIMEOUT_MS   15000

#define ORDERLY_TYPE_ACCEPTOR (orderly_acceptor_get_type ())

/**
 * OrderlyAcceptor:
 *
 * Accepts the connections of a #SoupServer itself, on the listening sockets
 * it is given, and hands each to the server (with TLS when it has a
 * certificate). Unlike libsoup's own listener it survives running out of
 * file descriptors: it backs off and accepts again once some are free. It
 * keeps a reserve of descriptors for the rest of the process, and at its
 * limit it closes the connection that has waited longest without a
 * request, so a new client (a health check) still gets in.
 *
 * It also times every plain HTTP connection: the headers must arrive
 * within a few seconds, a body within a few more, and a keep-alive
 * connection that stays silent is closed.
 */
G_DECLARE_FINAL_TYPE (OrderlyAcceptor, orderly_acceptor, ORDERLY, ACCEPTOR, GObject)

OrderlyAcceptor *orderly_acceptor_new             (SoupServer        *server);
void             orderly_acceptor_set_certificate (OrderlyAcceptor   *self,
                                                   GTlsCertificate   *certificate);
gboolean         orderly_acceptor_start           (OrderlyAcceptor   *self,
                                                   GPtrArray         *sockets,
                                                   GError           **error);
void             orderly_acceptor_stop            (OrderlyAcceptor   *self);
void             orderly_acceptor_set_timeouts    (OrderlyAcceptor   *self,
                                                   guint              header_ms,
                                                   guint              body_ms,
                                                   guint              idle_ms);
guint            orderly_acceptor_get_max_open    (OrderlyAcceptor   *self);
guint            orderly_acceptor_get_n_open      (OrderlyAcceptor   *self);
guint            orderly_acceptor_get_max_lasting (OrderlyAcceptor   *self);

GSocket         *orderly_acceptor_get_socket      (SoupServerMessage *msg);

G_END_DECLS
