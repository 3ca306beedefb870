/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-cluster"

#include "config.h"

#include <unistd.h>

#include "orderly-cluster.h"

/**
 * OrderlyCluster:
 *
 * The Orderly instances that share one database, this one first, as a
 * #GListModel of #OrderlyInstance. On its own (SQLite) the cluster is this
 * instance alone. With a shared database, the link to it fills in the
 * others from their heartbeats, and what each said it processed of the run
 * under way, so every instance shows the whole cluster's progress.
 */

typedef struct
{
  gint64 run_id;
  gint64 vip_processed;
  gint64 normal_processed;
} PeerProgress;

struct _OrderlyCluster
{
  GObject          parent_instance;
  GPtrArray       *instances;   /* the local one first */
  GHashTable      *progress;    /* peer id → PeerProgress */
  gboolean         shared;
  /* The local rate: processed orders over the last second or so. */
  gint64           rate_mono;
  gint64           rate_processed;
  double           rate;
};

enum {
  PROP_0,
  PROP_LOCAL,
  PROP_SHARED,
  N_PROPS
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (OrderlyCluster, orderly_cluster, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static GType
get_item_type (GListModel *model)
{
  return ORDERLY_TYPE_INSTANCE;
}

static guint
get_n_items (GListModel *model)
{
  return ORDERLY_CLUSTER (model)->instances->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  OrderlyCluster *self = ORDERLY_CLUSTER (model);

  if (position >= self->instances->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->instances, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
orderly_cluster_finalize (GObject *object)
{
  OrderlyCluster *self = (OrderlyCluster *) object;

  g_clear_pointer (&self->instances, g_ptr_array_unref);
  g_clear_pointer (&self->progress, g_hash_table_unref);

  G_OBJECT_CLASS (orderly_cluster_parent_class)->finalize (object);
}

static void
orderly_cluster_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  OrderlyCluster *self = ORDERLY_CLUSTER (object);

  switch (prop_id)
    {
    case PROP_LOCAL:
      g_value_set_object (value, orderly_cluster_get_local (self));
      break;
    case PROP_SHARED:
      g_value_set_boolean (value, self->shared);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_cluster_class_init (OrderlyClusterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = orderly_cluster_finalize;
  object_class->get_property = orderly_cluster_get_property;

  properties[PROP_LOCAL] =
    g_param_spec_object ("local", NULL, NULL, ORDERLY_TYPE_INSTANCE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHARED] =
    g_param_spec_boolean ("shared", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * OrderlyCluster::changed:
   *
   * Emitted once after an update that changed an instance, or the list.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
orderly_cluster_init (OrderlyCluster *self)
{
  self->instances = g_ptr_array_new_with_free_func (g_object_unref);
  self->progress = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/**
 * orderly_cluster_new:
 * @local_id: (nullable): this instance's id; %NULL makes one up
 *
 * Returns: (transfer full): a cluster of this instance alone
 */
OrderlyCluster *
orderly_cluster_new (const char *local_id)
{
  OrderlyCluster *self = g_object_new (ORDERLY_TYPE_CLUSTER, NULL);
  g_autofree char *id = local_id != NULL ? g_strdup (local_id) : orderly_instance_new_id ();
  char host[256] = "";

  if (gethostname (host, sizeof host - 1) != 0 || host[0] == '\0')
    g_strlcpy (host, "localhost", sizeof host);
  g_ptr_array_add (self->instances, orderly_instance_new (id, host, TRUE));
  return self;
}

/**
 * orderly_cluster_get_local:
 *
 * Returns: (transfer none): this instance
 */
OrderlyInstance *
orderly_cluster_get_local (OrderlyCluster *self)
{
  g_return_val_if_fail (ORDERLY_IS_CLUSTER (self), NULL);
  return g_ptr_array_index (self->instances, 0);
}

/**
 * orderly_cluster_get_shared:
 *
 * Returns: whether this instance shares its database with others
 */
gboolean
orderly_cluster_get_shared (OrderlyCluster *self)
{
  g_return_val_if_fail (ORDERLY_IS_CLUSTER (self), FALSE);
  return self->shared;
}

void
orderly_cluster_set_shared (OrderlyCluster *self,
                            gboolean        shared)
{
  g_return_if_fail (ORDERLY_IS_CLUSTER (self));

  shared = !!shared;
  if (self->shared == shared)
    return;
  self->shared = shared;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHARED]);
}

/**
 * orderly_cluster_update_local:
 * @processed: the orders this instance processed in the run under way
 *
 * What this instance is doing now; its heartbeat is now, and its rate is
 * measured over about a second.
 */
void
orderly_cluster_update_local (OrderlyCluster *self,
                              guint           workers,
                              gint64          processed)
{
  OrderlyInstanceInfo info = { .workers = workers, .processed = processed,
                               .heartbeat_us = g_get_real_time () };
  gint64 now = g_get_monotonic_time ();
  OrderlyInstance *local;
  gboolean changed;

  g_return_if_fail (ORDERLY_IS_CLUSTER (self));

  if (processed < self->rate_processed)
    {
      /* A new run. */
      self->rate_processed = processed;
      self->rate_mono = now;
      self->rate = 0;
    }
  else if (now - self->rate_mono >= G_USEC_PER_SEC)
    {
      self->rate = (processed - self->rate_processed) * (double) G_USEC_PER_SEC / (now - self->rate_mono);
      self->rate_processed = processed;
      self->rate_mono = now;
    }
  info.rate = self->rate;
  local = orderly_cluster_get_local (self);
  changed = orderly_instance_get_workers (local) != info.workers ||
            orderly_instance_get_rate (local) != info.rate ||
            orderly_instance_get_processed (local) != info.processed;
  if (!changed && info.heartbeat_us - orderly_instance_get_heartbeat_us (local) < G_USEC_PER_SEC)
    return;
  orderly_instance_update (local, &info);
  g_signal_emit (self, signals[CHANGED], 0);
}

static guint
find_instance (OrderlyCluster *self,
               const char     *id)
{
  for (guint i = 0; i < self->instances->len; i++)
    if (g_str_equal (orderly_instance_get_id (g_ptr_array_index (self->instances, i)), id))
      return i;
  return G_MAXUINT;
}

/**
 * orderly_cluster_set_peers:
 * @peers: (array length=n_peers): every other instance the database knows
 *
 * Updates the other instances in place, adds the new ones and removes those
 * that are gone. An entry for this instance is ignored.
 */
void
orderly_cluster_set_peers (OrderlyCluster            *self,
                           const OrderlyInstanceInfo *peers,
                           guint                      n_peers)
{
  const char *local_id;

  g_return_if_fail (ORDERLY_IS_CLUSTER (self));
  g_return_if_fail (peers != NULL || n_peers == 0);

  local_id = orderly_instance_get_id (orderly_cluster_get_local (self));
  for (guint i = self->instances->len; i-- > 1; )
    {
      const char *id = orderly_instance_get_id (g_ptr_array_index (self->instances, i));
      gboolean kept = FALSE;

      for (guint j = 0; j < n_peers && !kept; j++)
        kept = g_str_equal (peers[j].id, id);
      if (!kept)
        {
          g_hash_table_remove (self->progress, id);
          g_ptr_array_remove_index (self->instances, i);
          g_list_model_items_changed (G_LIST_MODEL (self), i, 1, 0);
        }
    }
  for (guint j = 0; j < n_peers; j++)
    {
      guint position;

      if (g_str_equal (peers[j].id, local_id))
        continue;
      position = find_instance (self, peers[j].id);
      if (position == G_MAXUINT)
        {
          g_ptr_array_add (self->instances, orderly_instance_new (peers[j].id, peers[j].host, FALSE));
          position = self->instances->len - 1;
          orderly_instance_update (g_ptr_array_index (self->instances, position), &peers[j]);
          g_list_model_items_changed (G_LIST_MODEL (self), position, 0, 1);
        }
      else
        {
          orderly_instance_update (g_ptr_array_index (self->instances, position), &peers[j]);
        }
    }
  g_signal_emit (self, signals[CHANGED], 0);
}

/**
 * orderly_cluster_set_peer_progress:
 *
 * What another instance last said it processed of run @run_id.
 */
void
orderly_cluster_set_peer_progress (OrderlyCluster *self,
                                   const char     *id,
                                   gint64          run_id,
                                   gint64          vip_processed,
                                   gint64          normal_processed)
{
  PeerProgress *progress;

  g_return_if_fail (ORDERLY_IS_CLUSTER (self));
  g_return_if_fail (id != NULL);

  if (g_str_equal (id, orderly_instance_get_id (orderly_cluster_get_local (self))))
    return;
  progress = g_hash_table_lookup (self->progress, id);
  if (progress == NULL)
    {
      progress = g_new0 (PeerProgress, 1);
      g_hash_table_insert (self->progress, g_strdup (id), progress);
    }
  progress->run_id = run_id;
  progress->vip_processed = MAX (vip_processed, 0);
  progress->normal_processed = MAX (normal_processed, 0);
}

/**
 * orderly_cluster_get_peer_processed:
 *
 * Adds up what the other instances said they processed of run @run_id.
 */
void
orderly_cluster_get_peer_processed (OrderlyCluster *self,
                                    gint64          run_id,
                                    gint64         *vip_processed,
                                    gint64         *normal_processed)
{
  GHashTableIter iter;
  PeerProgress *progress;

  g_return_if_fail (ORDERLY_IS_CLUSTER (self));

  *vip_processed = 0;
  *normal_processed = 0;
  g_hash_table_iter_init (&iter, self->progress);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &progress))
    {
      if (progress->run_id != run_id)
        continue;
      *vip_processed += progress->vip_processed;
      *normal_processed += progress->normal_processed;
    }
}
