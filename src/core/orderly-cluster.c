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
 * others from their heartbeats: workers, rate, what each processed of the
 * run under way, and whether it has gone quiet.
 */

struct _OrderlyCluster
{
  GObject          parent_instance;
  GPtrArray       *instances;   /* the local one first */
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
 * orderly_cluster_append_metrics:
 * @out: a Prometheus text exposition being written
 *
 * Appends this instance's own share of the run, labelled with its id (on a
 * cluster, each instance's /metrics tells its own), and how many instances
 * it sees, live or quiet.
 */
void
orderly_cluster_append_metrics (OrderlyCluster *self,
                                GString        *out)
{
  OrderlyInstance *local;
  const char *id;
  char number[G_ASCII_DTOSTR_BUF_SIZE];
  guint quiet = 0;

  g_return_if_fail (ORDERLY_IS_CLUSTER (self));

  local = orderly_cluster_get_local (self);
  id = orderly_instance_get_id (local);
  for (guint i = 0; i < self->instances->len; i++)
    quiet += orderly_instance_get_quiet (g_ptr_array_index (self->instances, i));

  g_string_append (out, "# HELP orderly_instance_processed_orders Orders this instance processed "
                        "in the current run.\n"
                        "# TYPE orderly_instance_processed_orders gauge\n");
  g_string_append_printf (out, "orderly_instance_processed_orders{instance=\"%s\"} %" G_GINT64_FORMAT "\n",
                          id, orderly_instance_get_processed (local));
  g_string_append (out, "# HELP orderly_instance_rate_orders_per_second Orders this instance "
                        "processed per second, over the last second.\n"
                        "# TYPE orderly_instance_rate_orders_per_second gauge\n");
  g_string_append_printf (out, "orderly_instance_rate_orders_per_second{instance=\"%s\"} %s\n", id,
                          g_ascii_dtostr (number, sizeof number, orderly_instance_get_rate (local)));
  g_string_append (out, "# HELP orderly_instance_workers Worker threads of this instance in the run.\n"
                        "# TYPE orderly_instance_workers gauge\n");
  g_string_append_printf (out, "orderly_instance_workers{instance=\"%s\"} %u\n", id,
                          orderly_instance_get_workers (local));
  g_string_append (out, "# HELP orderly_cluster_instances Instances sharing the database, "
                        "by health, as this one sees them.\n"
                        "# TYPE orderly_cluster_instances gauge\n");
  g_string_append_printf (out, "orderly_cluster_instances{instance=\"%s\",health=\"live\"} %u\n",
                          id, self->instances->len - quiet);
  g_string_append_printf (out, "orderly_cluster_instances{instance=\"%s\",health=\"quiet\"} %u\n",
                          id, quiet);
}
