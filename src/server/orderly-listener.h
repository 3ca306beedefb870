/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "orderly-acceptor.h"
#include "orderly-remote.h"

G_BEGIN_DECLS

#define ORDERLY_LISTENER_BACKLOG 4096

#define ORDERLY_TYPE_LISTENER (orderly_listener_get_type ())

/**
 * OrderlyListener:
 *
 * Where requests come in: the sockets a #SoupServer serves, which the
 * listener creates itself (every bind address on one port, IPv6 apart from
 * IPv4, a large backlog), with TLS when it has a certificate. It listens
 * where #OrderlyRemote says and listens again when its bind-address or port
 * change, reporting each time through #OrderlyRemote:listening, :url and
 * :error-message.
 */
G_DECLARE_FINAL_TYPE (OrderlyListener, orderly_listener, ORDERLY, LISTENER, GObject)

OrderlyListener *orderly_listener_new           (SoupServer       *server,
                                                 OrderlyRemote    *remote);
gboolean         orderly_listener_set_tls_files (OrderlyListener  *self,
                                                 const char       *cert_file,
                                                 const char       *key_file,
                                                 GError          **error);
gboolean         orderly_listener_get_secure    (OrderlyListener  *self);
gboolean         orderly_listener_start         (OrderlyListener  *self,
                                                 GError          **error);
void             orderly_listener_stop          (OrderlyListener  *self);
guint            orderly_listener_get_port      (OrderlyListener  *self);
OrderlyAcceptor *orderly_listener_get_acceptor  (OrderlyListener  *self);

G_END_DECLS
