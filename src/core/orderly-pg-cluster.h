/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "orderly-engine.h"
#include "orderly-pg-store.h"

G_BEGIN_DECLS

/* The channel instances share their events on. */
#define ORDERLY_PG_CLUSTER_CHANNEL "orderly_cluster"
/* Notifications per second at most, per instance. */
#define ORDERLY_PG_CLUSTER_PUBLISH_HZ 4

#define ORDERLY_TYPE_PG_CLUSTER (orderly_pg_cluster_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyPgCluster, orderly_pg_cluster, ORDERLY, PG_CLUSTER, GObject)

OrderlyPgCluster *orderly_pg_cluster_new  (OrderlyEngine     *engine,
                                           OrderlyPgStore    *store,
                                           GError           **error);
void              orderly_pg_cluster_stop (OrderlyPgCluster  *self);

G_END_DECLS
