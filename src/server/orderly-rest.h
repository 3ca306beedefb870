/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "orderly-dispatcher.h"
#include "orderly-gate.h"
#include "orderly-metrics.h"
#include "orderly-rest-params.h"

G_BEGIN_DECLS

#define ORDERLY_TYPE_REST (orderly_rest_get_type ())

/**
 * OrderlyRest:
 *
 * Every HTTP request that is not a live transport's: the REST routes, each
 * one a dispatcher command (a new route is one row of the route table and,
 * for a new command, one entry in the dispatcher), the dashboard and its
 * session, the API description and /metrics. Each request passes the gate
 * first; CORS preflights are the gate's to answer. Request bodies stop
 * growing at %ORDERLY_SERVER_MAX_BODY.
 */
G_DECLARE_FINAL_TYPE (OrderlyRest, orderly_rest, ORDERLY, REST, GObject)

OrderlyRest *orderly_rest_new       (SoupServer              *server,
                                     OrderlyGate             *gate,
                                     OrderlyDispatcher       *dispatcher,
                                     OrderlyMetrics          *metrics);
gboolean     orderly_rest_get_route (guint                    position,
                                     const char             **method,
                                     const char             **path,
                                     const OrderlyRestParam **params);

G_END_DECLS
