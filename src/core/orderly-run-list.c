/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-run"

#include "config.h"

#include "orderly-run-list.h"

/**
 * OrderlyRunList:
 *
 * The run history, newest first, as a #GListModel of #OrderlyRun: the
 * window's history page and the server's run listings both read it, so
 * neither queries the database on the main loop. A refresh reads the store
 * on a worker thread; the run under way is updated in place by the engine
 * on every tick, so the history never lags behind the live status.
 */

struct _OrderlyRunList
{
  GObject       parent_instance;

  OrderlyStore *store;
  GPtrArray    *runs;
  GCancellable *cancellable;
  gboolean      loading;
  gboolean      again;
  /* Counts the changes made without a refresh: a refresh that read the
   * store before one of them is older than the list and is read again. */
  guint         changes;
  guint         changes_at_refresh;
};

enum {
  PROP_0,
  PROP_LOADING,
  PROP_N_ITEMS,
  N_PROPS
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (OrderlyRunList, orderly_run_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GParamSpec *properties[N_PROPS];

static GType
orderly_run_list_get_item_type (GListModel *model)
{
  return ORDERLY_TYPE_RUN;
}

static guint
orderly_run_list_get_n_items (GListModel *model)
{
  return ORDERLY_RUN_LIST (model)->runs->len;
}

static gpointer
orderly_run_list_get_item (GListModel *model,
                           guint       position)
{
  OrderlyRunList *self = ORDERLY_RUN_LIST (model);

  if (position >= self->runs->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->runs, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = orderly_run_list_get_item_type;
  iface->get_n_items = orderly_run_list_get_n_items;
  iface->get_item = orderly_run_list_get_item;
}

static void
orderly_run_list_dispose (GObject *object)
{
  OrderlyRunList *self = (OrderlyRunList *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (orderly_run_list_parent_class)->dispose (object);
}

static void
orderly_run_list_finalize (GObject *object)
{
  OrderlyRunList *self = (OrderlyRunList *) object;

  g_clear_pointer (&self->runs, g_ptr_array_unref);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (orderly_run_list_parent_class)->finalize (object);
}

static void
orderly_run_list_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  OrderlyRunList *self = ORDERLY_RUN_LIST (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->runs->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_run_list_class_init (OrderlyRunListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = orderly_run_list_dispose;
  object_class->finalize = orderly_run_list_finalize;
  object_class->get_property = orderly_run_list_get_property;

  /**
   * OrderlyRunList:loading:
   *
   * Whether a refresh is under way.
   */
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
orderly_run_list_init (OrderlyRunList *self)
{
  self->runs = g_ptr_array_new_with_free_func (g_object_unref);
  self->cancellable = g_cancellable_new ();
}

/**
 * orderly_run_list_new:
 *
 * Returns: (transfer full): an empty list; orderly_run_list_refresh() fills it
 */
OrderlyRunList *
orderly_run_list_new (OrderlyStore *store)
{
  OrderlyRunList *self;

  g_return_val_if_fail (ORDERLY_IS_STORE (store), NULL);

  self = g_object_new (ORDERLY_TYPE_RUN_LIST, NULL);
  self->store = g_object_ref (store);
  return self;
}

static void set_records (OrderlyRunList *self,
                         GPtrArray      *records);

static void
set_loading (OrderlyRunList *self,
             gboolean        loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

/**
 * orderly_run_list_set_records:
 * @records: (element-type OrderlyRunRecord): runs, newest first
 *
 * Makes the list hold @records: runs it has already keep their objects and
 * are updated, new ones are added, missing ones removed. A refresh under
 * way, which may have read the store before @records were, does not undo
 * this: it reads the store again.
 */
void
orderly_run_list_set_records (OrderlyRunList *self,
                              GPtrArray      *records)
{
  g_return_if_fail (ORDERLY_IS_RUN_LIST (self));
  g_return_if_fail (records != NULL);

  self->changes++;
  set_records (self, records);
}

static void
set_records (OrderlyRunList *self,
             GPtrArray      *records)
{
  g_autoptr(GPtrArray) runs = NULL;
  gboolean same_ids;
  guint old_len;

  runs = g_ptr_array_new_full (records->len, g_object_unref);
  same_ids = records->len == self->runs->len;
  for (guint i = 0; i < records->len; i++)
    {
      const OrderlyRunRecord *record = g_ptr_array_index (records, i);
      OrderlyRun *run = orderly_run_list_find (self, record->id);

      if (run != NULL)
        {
          orderly_run_update (run, record);
          g_ptr_array_add (runs, g_object_ref (run));
        }
      else
        g_ptr_array_add (runs, orderly_run_new (record));
      if (same_ids && g_ptr_array_index (self->runs, i) != g_ptr_array_index (runs, i))
        same_ids = FALSE;
    }
  if (same_ids)
    return;

  old_len = self->runs->len;
  g_ptr_array_unref (self->runs);
  self->runs = g_steal_pointer (&runs);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old_len, self->runs->len);
  if (old_len != self->runs->len)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
list_runs_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  OrderlyStore *store = task_data;
  GError *error = NULL;
  GPtrArray *records = orderly_store_list_runs (store, ORDERLY_RUN_LIST_LIMIT, &error);

  if (records == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, records, (GDestroyNotify) g_ptr_array_unref);
}

static void start_refresh (OrderlyRunList *self);

static void
refresh_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  OrderlyRunList *self = ORDERLY_RUN_LIST (object);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;

  records = g_task_propagate_pointer (G_TASK (result), &error);
  if (records != NULL && self->changes != self->changes_at_refresh)
    self->again = TRUE;
  else if (records != NULL)
    set_records (self, records);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("The run history could not be read: %s", error->message);

  if (self->again)
    {
      self->again = FALSE;
      start_refresh (self);
      return;
    }
  set_loading (self, FALSE);
}

static void
start_refresh (OrderlyRunList *self)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, refresh_cb, NULL);

  self->changes_at_refresh = self->changes;
  g_task_set_source_tag (task, start_refresh);
  g_task_set_task_data (task, g_object_ref (self->store), g_object_unref);
  g_task_run_in_thread (task, list_runs_thread);
}

/**
 * orderly_run_list_refresh:
 *
 * Reads the history again, on a worker thread; the list changes once the
 * answer is back. A refresh asked for while one is under way runs after it.
 */
void
orderly_run_list_refresh (OrderlyRunList *self)
{
  g_return_if_fail (ORDERLY_IS_RUN_LIST (self));

  if (self->loading)
    {
      self->again = TRUE;
      return;
    }
  set_loading (self, TRUE);
  start_refresh (self);
}

gboolean
orderly_run_list_get_loading (OrderlyRunList *self)
{
  g_return_val_if_fail (ORDERLY_IS_RUN_LIST (self), FALSE);
  return self->loading;
}

/**
 * orderly_run_list_find:
 *
 * Returns: (transfer none) (nullable): the run with id @run_id
 */
OrderlyRun *
orderly_run_list_find (OrderlyRunList *self,
                       gint64          run_id)
{
  g_return_val_if_fail (ORDERLY_IS_RUN_LIST (self), NULL);

  for (guint i = 0; i < self->runs->len; i++)
    {
      OrderlyRun *run = g_ptr_array_index (self->runs, i);

      if (orderly_run_get_id (run) == run_id)
        return run;
    }
  return NULL;
}

/**
 * orderly_run_list_update:
 * @record: a run as it is now
 *
 * Updates @record's run in place, or adds it at the top if it is new.
 */
void
orderly_run_list_update (OrderlyRunList         *self,
                         const OrderlyRunRecord *record)
{
  OrderlyRun *run;

  g_return_if_fail (ORDERLY_IS_RUN_LIST (self));
  g_return_if_fail (record != NULL && record->id > 0);

  run = orderly_run_list_find (self, record->id);
  if (run != NULL)
    {
      orderly_run_update (run, record);
      return;
    }
  self->changes++;
  g_ptr_array_insert (self->runs, 0, orderly_run_new (record));
  g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, 1);
  if (self->runs->len > ORDERLY_RUN_LIST_LIMIT)
    {
      g_ptr_array_remove_index (self->runs, self->runs->len - 1);
      g_list_model_items_changed (G_LIST_MODEL (self), self->runs->len, 1, 0);
    }
  else
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}
