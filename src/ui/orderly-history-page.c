/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-ui"

#include "config.h"

#include "orderly-history-page.h"

#include <glib/gi18n.h>

#include "orderly-enums.h"
#include "orderly-format.h"
#include "orderly-run-item.h"

/**
 * OrderlyHistoryPage:
 *
 * Past runs, newest first, with their timings. The history is read from the
 * store when the page gets its engine, when a run starts or ends, and after
 * a reset.
 */

#define HISTORY_LIMIT 500

struct _OrderlyHistoryPage
{
  AdwBin          parent_instance;

  /* Template widgets */
  GtkStack       *stack;
  GtkColumnView  *column_view;

  /* Owned */
  OrderlyEngine  *engine;
  GListStore     *runs;
};

enum {
  PROP_0,
  PROP_ENGINE,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (OrderlyHistoryPage, orderly_history_page, ADW_TYPE_BIN)

static GParamSpec *properties[N_PROPS];

static char *
format_id (gpointer this,
           gint64   id)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, id);
}

static char *
format_date (gpointer this,
             gint64   time_us)
{
  return orderly_format_date_us (time_us);
}

static char *
format_count (gpointer this,
              gint64   count)
{
  return orderly_format_count (count);
}

static char *
format_phase (gpointer     this,
              OrderlyPhase phase)
{
  /* The stored row of a run that is going is only updated when it ends. */
  if (orderly_phase_is_active (phase))
    return g_strdup (_("In Progress"));
  return g_strdup (orderly_format_phase (phase));
}

static char **
phase_css_classes (gpointer     this,
                   OrderlyPhase phase)
{
  const char *classes[] = { orderly_format_phase_style (phase), NULL };

  return g_strdupv ((char **) classes);
}

static char *
format_duration (gpointer this,
                 double   ms)
{
  return orderly_format_duration_ms (ms);
}

static char *
format_throughput (gpointer this,
                   gint64   vip_count,
                   gint64   normal_count,
                   double   vip_ms,
                   double   normal_ms)
{
  double ms = vip_ms + normal_ms;

  return orderly_format_rate (ms > 0 ? (vip_count + normal_count) / (ms / 1000.0) : 0);
}

static void
update_stack (OrderlyHistoryPage *self)
{
  gboolean empty = g_list_model_get_n_items (G_LIST_MODEL (self->runs)) == 0;

  gtk_stack_set_visible_child_name (self->stack, empty ? "empty" : "runs");
}

void
orderly_history_page_reload (OrderlyHistoryPage *self)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (ORDERLY_IS_HISTORY_PAGE (self));

  if (self->engine == NULL)
    {
      g_list_store_remove_all (self->runs);
      update_stack (self);
      return;
    }

  records = orderly_engine_list_runs (self->engine, HISTORY_LIMIT, &error);
  if (records == NULL)
    {
      g_warning ("The run history could not be read: %s", error->message);
      return;
    }
  items = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < records->len; i++)
    g_ptr_array_add (items, orderly_run_item_new (g_ptr_array_index (records, i)));
  g_list_store_splice (self->runs, 0, g_list_model_get_n_items (G_LIST_MODEL (self->runs)),
                       items->pdata, items->len);
  update_stack (self);
}

static void
orderly_history_page_dispose (GObject *object)
{
  OrderlyHistoryPage *self = (OrderlyHistoryPage *) object;

  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), ORDERLY_TYPE_HISTORY_PAGE);
  g_clear_object (&self->engine);
  g_clear_object (&self->runs);

  G_OBJECT_CLASS (orderly_history_page_parent_class)->dispose (object);
}

static void
orderly_history_page_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  OrderlyHistoryPage *self = ORDERLY_HISTORY_PAGE (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      g_value_set_object (value, self->engine);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_history_page_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  OrderlyHistoryPage *self = ORDERLY_HISTORY_PAGE (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      orderly_history_page_set_engine (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_history_page_class_init (OrderlyHistoryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = orderly_history_page_dispose;
  object_class->get_property = orderly_history_page_get_property;
  object_class->set_property = orderly_history_page_set_property;

  properties[PROP_ENGINE] =
    g_param_spec_object ("engine", NULL, NULL, ORDERLY_TYPE_ENGINE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (ORDERLY_TYPE_RUN_ITEM);
  g_type_ensure (ORDERLY_TYPE_PHASE);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/orderly/Orderly/orderly-history-page.ui");
  gtk_widget_class_bind_template_child (widget_class, OrderlyHistoryPage, stack);
  gtk_widget_class_bind_template_child (widget_class, OrderlyHistoryPage, column_view);
  gtk_widget_class_bind_template_callback (widget_class, format_id);
  gtk_widget_class_bind_template_callback (widget_class, format_date);
  gtk_widget_class_bind_template_callback (widget_class, format_count);
  gtk_widget_class_bind_template_callback (widget_class, format_phase);
  gtk_widget_class_bind_template_callback (widget_class, phase_css_classes);
  gtk_widget_class_bind_template_callback (widget_class, format_duration);
  gtk_widget_class_bind_template_callback (widget_class, format_throughput);
}

static void
orderly_history_page_init (OrderlyHistoryPage *self)
{
  g_autoptr(GtkNoSelection) selection = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->runs = g_list_store_new (ORDERLY_TYPE_RUN_ITEM);
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->runs)));
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (selection));
  update_stack (self);
}

OrderlyEngine *
orderly_history_page_get_engine (OrderlyHistoryPage *self)
{
  g_return_val_if_fail (ORDERLY_IS_HISTORY_PAGE (self), NULL);
  return self->engine;
}

void
orderly_history_page_set_engine (OrderlyHistoryPage *self,
                                 OrderlyEngine      *engine)
{
  g_return_if_fail (ORDERLY_IS_HISTORY_PAGE (self));
  g_return_if_fail (!engine || ORDERLY_IS_ENGINE (engine));

  if (self->engine == engine)
    return;
  if (self->engine != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->engine, orderly_history_page_reload, self);
      g_signal_handlers_disconnect_by_func (orderly_engine_get_status (self->engine),
                                            orderly_history_page_reload, self);
    }
  g_set_object (&self->engine, engine);
  if (engine != NULL)
    {
      g_signal_connect_object (engine, "run-finished", G_CALLBACK (orderly_history_page_reload),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (orderly_engine_get_status (engine), "notify::run-id",
                               G_CALLBACK (orderly_history_page_reload), self, G_CONNECT_SWAPPED);
    }
  orderly_history_page_reload (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENGINE]);
}

/**
 * orderly_history_page_get_runs:
 *
 * Returns: (transfer none): the runs shown, as #OrderlyRunItem
 */
GListModel *
orderly_history_page_get_runs (OrderlyHistoryPage *self)
{
  g_return_val_if_fail (ORDERLY_IS_HISTORY_PAGE (self), NULL);
  return G_LIST_MODEL (self->runs);
}
