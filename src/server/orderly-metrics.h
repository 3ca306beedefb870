/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "orderly-engine.h"
#include "orderly-hub.h"
#include "orderly-remote.h"

G_BEGIN_DECLS

#define ORDERLY_TYPE_METRICS (orderly_metrics_get_type ())

/**
 * OrderlyMetrics:
 *
 * What /metrics says, in the Prometheus text format: the run's orders,
 * phase and throughput, the live clients by transport, the messages the hub
 * sent and dropped, and the HTTP requests by route and status code. It
 * counts every request of its #SoupServer that was given a route with
 * orderly_metrics_set_route().
 */
G_DECLARE_FINAL_TYPE (OrderlyMetrics, orderly_metrics, ORDERLY, METRICS, GObject)

OrderlyMetrics *orderly_metrics_new       (SoupServer        *server,
                                           OrderlyEngine     *engine,
                                           OrderlyRemote     *remote,
                                           OrderlyHub        *hub);
char           *orderly_metrics_render    (OrderlyMetrics    *self);
void            orderly_metrics_set_route (SoupServerMessage *msg,
                                           const char        *route);

G_END_DECLS
