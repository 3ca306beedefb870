/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "orderly-instance.h"

G_BEGIN_DECLS

/* An instance that sent no heartbeat for this long is quiet. */
#define ORDERLY_CLUSTER_QUIET_AFTER_US (5 * G_USEC_PER_SEC)

#define ORDERLY_TYPE_CLUSTER (orderly_cluster_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyCluster, orderly_cluster, ORDERLY, CLUSTER, GObject)

OrderlyCluster  *orderly_cluster_new                (const char                *local_id);
OrderlyInstance *orderly_cluster_get_local          (OrderlyCluster            *self);
gboolean         orderly_cluster_get_shared         (OrderlyCluster            *self);
void             orderly_cluster_set_shared         (OrderlyCluster            *self,
                                                     gboolean                   shared);
void             orderly_cluster_update_local       (OrderlyCluster            *self,
                                                     guint                      workers,
                                                     gint64                     processed);
void             orderly_cluster_set_peers          (OrderlyCluster            *self,
                                                     const OrderlyInstanceInfo *peers,
                                                     guint                      n_peers);
void             orderly_cluster_append_metrics     (OrderlyCluster            *self,
                                                     GString                   *out);

G_END_DECLS
