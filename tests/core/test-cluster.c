/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "orderly-cluster.h"

/* The cluster model alone: the other instances as heartbeats list them. */

typedef struct
{
  guint added;
  guint removed;
  guint changed;
} Counts;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Counts     *counts)
{
  counts->added += added;
  counts->removed += removed;
}

static void
changed_cb (OrderlyCluster *cluster,
            Counts         *counts)
{
  counts->changed++;
}

static void
test_cluster_peers (void)
{
  g_autoptr(OrderlyCluster) cluster = orderly_cluster_new ("here");
  g_autoptr(OrderlyInstance) second = NULL;
  Counts counts = { 0 };
  OrderlyInstanceInfo peers[] = {
    { "here", "this-host", 9, 9, 9, 9, FALSE },     /* this one: ignored */
    { "a", "host-a", 2, 100.5, 1000, 1, FALSE },
    { "b", "host-b", 4, 0, 0, 2, TRUE },
  };

  g_signal_connect (cluster, "items-changed", G_CALLBACK (items_changed_cb), &counts);
  g_signal_connect (cluster, "changed", G_CALLBACK (changed_cb), &counts);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (cluster)), ==, 1);
  g_assert_true (orderly_instance_get_local (orderly_cluster_get_local (cluster)));
  g_assert_cmpstr (orderly_instance_get_id (orderly_cluster_get_local (cluster)), ==, "here");

  orderly_cluster_set_peers (cluster, peers, G_N_ELEMENTS (peers));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (cluster)), ==, 3);
  g_assert_cmpuint (counts.added, ==, 2);
  g_assert_cmpuint (counts.changed, ==, 1);
  g_assert_cmpuint (orderly_instance_get_workers (orderly_cluster_get_local (cluster)), ==, 0);
  second = g_list_model_get_item (G_LIST_MODEL (cluster), 1);
  g_assert_cmpstr (orderly_instance_get_host (second), ==, "host-a");
  g_assert_cmpfloat (orderly_instance_get_rate (second), ==, 100.5);
  g_assert_false (orderly_instance_get_local (second));

  /* Updated in place; one gone, one gone quiet. */
  peers[1].processed = 2000;
  peers[1].quiet = TRUE;
  orderly_cluster_set_peers (cluster, peers, 2);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (cluster)), ==, 2);
  g_assert_cmpuint (counts.removed, ==, 1);
  g_assert_cmpint (orderly_instance_get_processed (second), ==, 2000);
  g_assert_true (orderly_instance_get_quiet (second));
}

static void
test_cluster_local_and_metrics (void)
{
  g_autoptr(OrderlyCluster) cluster = orderly_cluster_new ("me-1");
  g_autoptr(GString) out = g_string_new (NULL);
  OrderlyInstanceInfo quiet_peer = { "other", "far", 1, 0, 0, 1, TRUE };
  Counts counts = { 0 };

  g_signal_connect (cluster, "changed", G_CALLBACK (changed_cb), &counts);
  orderly_cluster_update_local (cluster, 3, 500);
  g_assert_cmpuint (counts.changed, ==, 1);
  /* Nothing new within the second: no change to tell. */
  orderly_cluster_update_local (cluster, 3, 500);
  g_assert_cmpuint (counts.changed, ==, 1);
  g_assert_cmpuint (orderly_instance_get_workers (orderly_cluster_get_local (cluster)), ==, 3);
  g_assert_cmpint (orderly_instance_get_heartbeat_us (orderly_cluster_get_local (cluster)), >, 0);

  orderly_cluster_set_peers (cluster, &quiet_peer, 1);
  orderly_cluster_append_metrics (cluster, out);
  g_assert_nonnull (strstr (out->str, "orderly_instance_processed_orders{instance=\"me-1\"} 500\n"));
  g_assert_nonnull (strstr (out->str, "orderly_instance_workers{instance=\"me-1\"} 3\n"));
  g_assert_nonnull (strstr (out->str, "orderly_cluster_instances{instance=\"me-1\",health=\"live\"} 1\n"));
  g_assert_nonnull (strstr (out->str, "orderly_cluster_instances{instance=\"me-1\",health=\"quiet\"} 1\n"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/orderly/cluster/peers", test_cluster_peers);
  g_test_add_func ("/orderly/cluster/local-and-metrics", test_cluster_local_and_metrics);

  return g_test_run ();
}
