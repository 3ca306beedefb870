/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "orderly-cluster.h"

G_BEGIN_DECLS

#define ORDERLY_TYPE_CLUSTER_VIEW (orderly_cluster_view_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyClusterView, orderly_cluster_view, ORDERLY, CLUSTER_VIEW, AdwBin)

GtkWidget      *orderly_cluster_view_new         (void);
OrderlyCluster *orderly_cluster_view_get_cluster (OrderlyClusterView *self);
void            orderly_cluster_view_set_cluster (OrderlyClusterView *self,
                                                  OrderlyCluster     *cluster);
GtkListBox     *orderly_cluster_view_get_list    (OrderlyClusterView *self);

G_END_DECLS
