/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-log"

#include "config.h"

#include "orderly-log-store.h"

/**
 * OrderlyLogStore:
 *
 * A #GListModel of the newest #OrderlyLogEntry lines, oldest first, in a
 * ring. It keeps the newest #OrderlyLogStore:capacity lines and up to a
 * quarter more: once that slack is full, the oldest lines go in one chunk,
 * down to the capacity. A view over the store thus sees a removal at its top
 * once per chunk of lines rather than with every batch, and each such
 * removal moves every row below it. Appending a batch emits at most one
 * removal at the front and one addition at the end.
 */

struct _OrderlyLogStore
{
  GObject           parent_instance;
  OrderlyLogEntry **ring;
  guint             ring_size;      /* the capacity and its slack */
  guint             capacity;
  guint             head;
  guint             n_items;
};

enum {
  PROP_0,
  PROP_CAPACITY,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GType
orderly_log_store_get_item_type (GListModel *model)
{
  return ORDERLY_TYPE_LOG_ENTRY;
}

static guint
orderly_log_store_get_n_items (GListModel *model)
{
  return ORDERLY_LOG_STORE (model)->n_items;
}

static gpointer
orderly_log_store_get_item (GListModel *model,
                            guint       position)
{
  OrderlyLogStore *self = ORDERLY_LOG_STORE (model);

  if (position >= self->n_items)
    return NULL;
  return g_object_ref (self->ring[(self->head + position) % self->ring_size]);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = orderly_log_store_get_item_type;
  iface->get_n_items = orderly_log_store_get_n_items;
  iface->get_item = orderly_log_store_get_item;
}

/* Lines held beyond the capacity before the oldest are dropped. */
static guint
slack_for (guint capacity)
{
  return capacity / 4;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (OrderlyLogStore, orderly_log_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static void
drop_front (OrderlyLogStore *self,
            guint            n)
{
  for (guint i = 0; i < n; i++)
    {
      guint slot = (self->head + i) % self->ring_size;
      g_clear_object (&self->ring[slot]);
    }
  self->head = self->ring_size ? (self->head + n) % self->ring_size : 0;
  self->n_items -= n;
}

static void
orderly_log_store_finalize (GObject *object)
{
  OrderlyLogStore *self = (OrderlyLogStore *) object;

  drop_front (self, self->n_items);
  g_free (self->ring);

  G_OBJECT_CLASS (orderly_log_store_parent_class)->finalize (object);
}

static void
orderly_log_store_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  OrderlyLogStore *self = ORDERLY_LOG_STORE (object);

  switch (prop_id)
    {
    case PROP_CAPACITY:
      g_value_set_uint (value, self->capacity);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->n_items);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_log_store_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  OrderlyLogStore *self = ORDERLY_LOG_STORE (object);

  switch (prop_id)
    {
    case PROP_CAPACITY:
      orderly_log_store_set_capacity (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_log_store_class_init (OrderlyLogStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = orderly_log_store_finalize;
  object_class->get_property = orderly_log_store_get_property;
  object_class->set_property = orderly_log_store_set_property;

  properties[PROP_CAPACITY] =
    g_param_spec_uint ("capacity", NULL, NULL, 1, 10000000, ORDERLY_DEFAULT_LOG_CAPACITY,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                       G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
orderly_log_store_init (OrderlyLogStore *self)
{
}

OrderlyLogStore *
orderly_log_store_new (guint capacity)
{
  return g_object_new (ORDERLY_TYPE_LOG_STORE, "capacity", MAX (capacity, 1), NULL);
}

guint
orderly_log_store_get_capacity (OrderlyLogStore *self)
{
  g_return_val_if_fail (ORDERLY_IS_LOG_STORE (self), 0);
  return self->capacity;
}

/**
 * orderly_log_store_set_capacity:
 *
 * Changes how many lines are kept; shrinking drops the oldest beyond the
 * new capacity.
 */
void
orderly_log_store_set_capacity (OrderlyLogStore *self,
                                guint            capacity)
{
  OrderlyLogEntry **ring;
  guint ring_size = capacity + slack_for (capacity);
  guint removed = 0;

  g_return_if_fail (ORDERLY_IS_LOG_STORE (self));
  g_return_if_fail (capacity > 0);

  if (capacity == self->capacity)
    return;

  if (self->n_items > capacity)
    {
      removed = self->n_items - capacity;
      drop_front (self, removed);
    }
  ring = g_new0 (OrderlyLogEntry *, ring_size);
  for (guint i = 0; i < self->n_items; i++)
    ring[i] = self->ring[(self->head + i) % self->ring_size];
  g_free (self->ring);
  self->ring = ring;
  self->ring_size = ring_size;
  self->head = 0;
  self->capacity = capacity;

  if (removed > 0)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, 0);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAPACITY]);
}

/**
 * orderly_log_store_append:
 * @entries: (array length=n_entries) (transfer none): lines, oldest first
 *
 * Adds a batch of lines at the end. When they do not fit in the capacity and
 * its slack, the oldest lines are dropped down to the capacity.
 */
void
orderly_log_store_append (OrderlyLogStore  *self,
                          OrderlyLogEntry **entries,
                          guint             n_entries)
{
  guint removed = 0;
  guint added;

  g_return_if_fail (ORDERLY_IS_LOG_STORE (self));

  if (n_entries == 0)
    return;

  /* Of a batch larger than the capacity only its newest lines can stay. */
  if (n_entries > self->capacity)
    {
      entries += n_entries - self->capacity;
      n_entries = self->capacity;
    }
  added = n_entries;

  if (self->n_items + n_entries > self->ring_size)
    {
      removed = self->n_items + n_entries - self->capacity;
      drop_front (self, removed);
    }
  for (guint i = 0; i < n_entries; i++)
    {
      guint slot = (self->head + self->n_items) % self->ring_size;

      self->ring[slot] = g_object_ref (entries[i]);
      self->n_items++;
    }

  if (removed > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, 0);
  g_list_model_items_changed (G_LIST_MODEL (self), self->n_items - added, 0, added);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

void
orderly_log_store_clear (OrderlyLogStore *self)
{
  guint removed;

  g_return_if_fail (ORDERLY_IS_LOG_STORE (self));

  removed = self->n_items;
  if (removed == 0)
    return;
  drop_front (self, removed);
  self->head = 0;
  g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}
