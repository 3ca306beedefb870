/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-ui"

#include "config.h"

#include "orderly-history-page.h"

#include <glib/gi18n.h>

#include "orderly-enums.h"
#include "orderly-format.h"
#include "orderly-phase-ribbon.h"
#include "orderly-run.h"
#include "orderly-sparkline.h"

/**
 * OrderlyHistoryPage:
 *
 * Past runs, newest first: how each ended, what it processed, its steps as
 * a ribbon scaled to the longest run shown, so that runs compare at a
 * glance, its timings, and the throughput series a finished run kept, read
 * from the store once and kept here. The rows are the engine's run list
 * (orderly_engine_get_run_list()), which reads the store off the main loop
 * and keeps the row of the run that goes up to date.
 */

struct _OrderlyHistoryPage
{
  AdwBin          parent_instance;

  /* Template widgets */
  GtkStack            *stack;
  GtkColumnView       *column_view;
  GtkColumnViewColumn *started_column;
  GtkColumnViewColumn *result_column;
  GtkColumnViewColumn *steps_column;
  GtkColumnViewColumn *rate_column;
  GtkColumnViewColumn *series_column;

  /* Owned */
  OrderlyEngine  *engine;
  GListModel     *runs;
  GtkNoSelection *selection;
  GHashTable     *series;          /* run id → GArray of OrderlyRunSample, NULL while read */
  GCancellable   *cancellable;
  double          longest_ms;
  gboolean        compact;
};

enum {
  PROP_0,
  PROP_ENGINE,
  PROP_COMPACT,
  PROP_LONGEST_MS,
  PROP_RUNS,
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
format_processed (gpointer this,
                  gint64   vip_count,
                  gint64   normal_count,
                  gint64   quantity)
{
  g_autofree char *processed = orderly_format_count (vip_count + normal_count);
  g_autofree char *target = NULL;

  if (vip_count + normal_count >= quantity)
    return g_steal_pointer (&processed);
  target = orderly_format_count (quantity);
  /* Translators: orders processed out of a total, e.g. “250 of 1,000” */
  return g_strdup_printf (_("%s of %s"), processed, target);
}

static char *
format_average_rate (gpointer this,
                     gint64   vip_count,
                     gint64   normal_count,
                     double   vip_ms,
                     double   normal_ms)
{
  return orderly_format_rate (orderly_format_average_rate (vip_count + normal_count, vip_ms + normal_ms));
}

/* The steps column: a ribbon per run, on the scale of the longest one. */
static void
setup_steps_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *list_item,
                OrderlyHistoryPage       *self)
{
  static const char * const steps[][2] = {
    { "generation-ms", "generate-ms" },
    { "enqueue-vip-ms", "queue-vip-ms" },
    { "vip-ms", "vip-ms" },
    { "enqueue-normal-ms", "queue-normal-ms" },
    { "normal-ms", "normal-ms" },
  };
  GtkWidget *ribbon = orderly_phase_ribbon_new ();
  GBindingGroup *bindings = g_binding_group_new ();

  gtk_widget_set_valign (ribbon, GTK_ALIGN_CENTER);
  gtk_widget_set_size_request (ribbon, 120, -1);
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    g_binding_group_bind (bindings, steps[i][0], ribbon, steps[i][1], G_BINDING_SYNC_CREATE);
  g_binding_group_bind (bindings, "phase", ribbon, "phase", G_BINDING_SYNC_CREATE);
  g_object_set_data_full (G_OBJECT (ribbon), "bindings", bindings, g_object_unref);
  g_object_bind_property (self, "longest-ms", ribbon, "scale-ms", G_BINDING_SYNC_CREATE);
  gtk_list_item_set_child (list_item, ribbon);
}

static void
bind_steps_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               OrderlyHistoryPage       *self)
{
  GObject *ribbon = G_OBJECT (gtk_list_item_get_child (list_item));

  g_binding_group_set_source (g_object_get_data (ribbon, "bindings"), gtk_list_item_get_item (list_item));
}

static void
unbind_steps_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *list_item,
                 OrderlyHistoryPage       *self)
{
  GObject *ribbon = G_OBJECT (gtk_list_item_get_child (list_item));

  g_binding_group_set_source (g_object_get_data (ribbon, "bindings"), NULL);
}

/* The series column: what a finished run kept, read once per run. */
typedef struct
{
  OrderlyHistoryPage *self;
  gint64              run_id;
} SeriesRequest;

static void
show_series (OrderlyHistoryPage *self,
             OrderlySparkline   *sparkline,
             OrderlyRun         *run);

static void
series_free (gpointer samples)
{
  if (samples != NULL)
    g_array_unref (samples);
}

static void
series_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autofree SeriesRequest *request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) samples = orderly_engine_list_samples_finish (ORDERLY_ENGINE (object), result, &error);
  OrderlyHistoryPage *self = request->self;
  gint64 run_id = request->run_id;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (samples == NULL)
    {
      g_debug ("No throughput series for run %" G_GINT64_FORMAT ": %s", run_id, error->message);
      samples = g_array_new (FALSE, FALSE, sizeof (OrderlyRunSample));
    }
  g_hash_table_insert (self->series, g_memdup2 (&run_id, sizeof run_id), g_array_ref (samples));
  /* Redraw the rows that show it. */
  for (guint i = 0; self->runs != NULL && i < g_list_model_get_n_items (self->runs); i++)
    {
      g_autoptr(OrderlyRun) item = g_list_model_get_item (self->runs, i);

      if (orderly_run_get_record (item)->id == run_id)
        {
          g_list_model_items_changed (G_LIST_MODEL (self->selection), i, 1, 1);
          break;
        }
    }
}

static void
show_series (OrderlyHistoryPage *self,
             OrderlySparkline   *sparkline,
             OrderlyRun         *run)
{
  const OrderlyRunRecord *record = run != NULL ? orderly_run_get_record (run) : NULL;
  SeriesRequest *request;
  gpointer samples = NULL;

  if (record == NULL || !orderly_phase_is_terminal (record->phase) || self->engine == NULL)
    {
      orderly_sparkline_set_samples (sparkline, NULL);
      return;
    }
  if (g_hash_table_lookup_extended (self->series, &record->id, NULL, &samples))
    {
      orderly_sparkline_set_samples (sparkline, samples);
      return;
    }
  orderly_sparkline_set_samples (sparkline, NULL);
  g_hash_table_insert (self->series, g_memdup2 (&record->id, sizeof record->id), NULL);
  request = g_new0 (SeriesRequest, 1);
  request->self = self;
  request->run_id = record->id;
  orderly_engine_list_samples_async (self->engine, record->id, self->cancellable, series_cb, request);
}

static void
setup_series_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *list_item,
                 OrderlyHistoryPage       *self)
{
  GtkWidget *sparkline = orderly_sparkline_new ();

  gtk_widget_set_valign (sparkline, GTK_ALIGN_CENTER);
  gtk_widget_set_size_request (sparkline, 100, 24);
  /* The last column: clear of the window's edge, as the first is. */
  gtk_widget_set_margin_end (sparkline, 12);
  gtk_list_item_set_child (list_item, sparkline);
}

static void
run_phase_changed_cb (OrderlyRun  *run,
                      GParamSpec  *pspec,
                      GtkListItem *list_item)
{
  OrderlyHistoryPage *self = g_object_get_data (G_OBJECT (list_item), "history-page");

  show_series (self, ORDERLY_SPARKLINE (gtk_list_item_get_child (list_item)), run);
}

static void
bind_series_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *list_item,
                OrderlyHistoryPage       *self)
{
  OrderlyRun *run = gtk_list_item_get_item (list_item);

  /* The run that goes gets its series once it has ended. */
  g_object_set_data (G_OBJECT (list_item), "history-page", self);
  g_signal_connect_object (run, "notify::phase", G_CALLBACK (run_phase_changed_cb), list_item, 0);
  show_series (self, ORDERLY_SPARKLINE (gtk_list_item_get_child (list_item)), run);
}

static void
unbind_series_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *list_item,
                  OrderlyHistoryPage       *self)
{
  OrderlyRun *run = gtk_list_item_get_item (list_item);

  if (run != NULL)
    g_signal_handlers_disconnect_by_func (run, run_phase_changed_cb, list_item);
}

static void
update_longest (OrderlyHistoryPage *self)
{
  guint n_runs = self->runs != NULL ? g_list_model_get_n_items (self->runs) : 0;
  double longest = 0;

  for (guint i = 0; i < n_runs; i++)
    {
      g_autoptr(OrderlyRun) item = g_list_model_get_item (self->runs, i);
      const OrderlyRunRecord *run = orderly_run_get_record (item);

      longest = MAX (longest, run->generation_ms + run->enqueue_vip_ms + run->vip_ms +
                              run->enqueue_normal_ms + run->normal_ms);
    }
  if (self->longest_ms != longest)
    {
      self->longest_ms = longest;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LONGEST_MS]);
    }
}

static void
update_stack (OrderlyHistoryPage *self)
{
  gboolean empty = self->runs == NULL || g_list_model_get_n_items (self->runs) == 0;

  gtk_stack_set_visible_child_name (self->stack, empty ? "empty" : "runs");
}

static void
runs_changed_cb (OrderlyHistoryPage *self)
{
  /* After Delete All, run ids start again. */
  if (self->runs == NULL || g_list_model_get_n_items (self->runs) == 0)
    g_hash_table_remove_all (self->series);
  update_longest (self);
  update_stack (self);
}

static void
orderly_history_page_dispose (GObject *object)
{
  OrderlyHistoryPage *self = (OrderlyHistoryPage *) object;

  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), ORDERLY_TYPE_HISTORY_PAGE);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->engine);
  g_clear_object (&self->runs);
  g_clear_object (&self->selection);
  g_clear_pointer (&self->series, g_hash_table_unref);

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
    case PROP_COMPACT:
      g_value_set_boolean (value, self->compact);
      break;
    case PROP_LONGEST_MS:
      g_value_set_double (value, self->longest_ms);
      break;
    case PROP_RUNS:
      g_value_set_object (value, self->runs);
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
    case PROP_COMPACT:
      orderly_history_page_set_compact (self, g_value_get_boolean (value));
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
  properties[PROP_COMPACT] =
    g_param_spec_boolean ("compact", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * OrderlyHistoryPage:longest-ms:
   *
   * The steps of the longest run shown, the scale of every ribbon.
   */
  properties[PROP_LONGEST_MS] =
    g_param_spec_double ("longest-ms", NULL, NULL, 0, G_MAXDOUBLE, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNS] =
    g_param_spec_object ("runs", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (ORDERLY_TYPE_RUN);
  g_type_ensure (ORDERLY_TYPE_PHASE_RIBBON);
  g_type_ensure (ORDERLY_TYPE_PHASE);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/orderly/Orderly/orderly-history-page.ui");
  gtk_widget_class_bind_template_child (widget_class, OrderlyHistoryPage, stack);
  gtk_widget_class_bind_template_child (widget_class, OrderlyHistoryPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, OrderlyHistoryPage, started_column);
  gtk_widget_class_bind_template_child (widget_class, OrderlyHistoryPage, result_column);
  gtk_widget_class_bind_template_child (widget_class, OrderlyHistoryPage, steps_column);
  gtk_widget_class_bind_template_child (widget_class, OrderlyHistoryPage, rate_column);
  gtk_widget_class_bind_template_child (widget_class, OrderlyHistoryPage, series_column);
  gtk_widget_class_bind_template_child_full (widget_class, "scroller", FALSE, 0);
  gtk_widget_class_bind_template_callback (widget_class, format_id);
  gtk_widget_class_bind_template_callback (widget_class, format_date);
  gtk_widget_class_bind_template_callback (widget_class, format_count);
  gtk_widget_class_bind_template_callback (widget_class, format_phase);
  gtk_widget_class_bind_template_callback (widget_class, phase_css_classes);
  gtk_widget_class_bind_template_callback (widget_class, format_duration);
  gtk_widget_class_bind_template_callback (widget_class, format_processed);
  gtk_widget_class_bind_template_callback (widget_class, format_average_rate);
}

static void
orderly_history_page_init (OrderlyHistoryPage *self)
{
  g_autoptr(GtkListItemFactory) steps = gtk_signal_list_item_factory_new ();
  g_autoptr(GtkListItemFactory) series = gtk_signal_list_item_factory_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect_object (steps, "setup", G_CALLBACK (setup_steps_cb), self, 0);
  g_signal_connect_object (steps, "bind", G_CALLBACK (bind_steps_cb), self, 0);
  g_signal_connect_object (steps, "unbind", G_CALLBACK (unbind_steps_cb), self, 0);
  gtk_column_view_column_set_factory (self->steps_column, steps);

  self->series = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, series_free);
  self->cancellable = g_cancellable_new ();
  g_signal_connect_object (series, "setup", G_CALLBACK (setup_series_cb), self, 0);
  g_signal_connect_object (series, "bind", G_CALLBACK (bind_series_cb), self, 0);
  g_signal_connect_object (series, "unbind", G_CALLBACK (unbind_series_cb), self, 0);
  gtk_column_view_column_set_factory (self->series_column, series);

  self->selection = gtk_no_selection_new (NULL);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
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
  if (self->runs != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->runs, runs_changed_cb, self);
      g_signal_handlers_disconnect_by_func (orderly_engine_get_status (self->engine),
                                            update_longest, self);
    }
  g_set_object (&self->engine, engine);
  g_clear_object (&self->runs);
  if (engine != NULL)
    {
      self->runs = g_object_ref (G_LIST_MODEL (orderly_engine_get_run_list (engine)));
      g_signal_connect_object (self->runs, "items-changed", G_CALLBACK (runs_changed_cb),
                               self, G_CONNECT_SWAPPED);
      /* The run that goes grows its steps as the status changes. */
      g_signal_connect_object (orderly_engine_get_status (engine), "changed",
                               G_CALLBACK (update_longest), self, G_CONNECT_SWAPPED);
    }
  gtk_no_selection_set_model (self->selection, self->runs);
  runs_changed_cb (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENGINE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNS]);
}

/**
 * orderly_history_page_get_runs:
 *
 * Returns: (transfer none) (nullable): the runs shown, as #OrderlyRun:
 *   the engine's run list
 */
GListModel *
orderly_history_page_get_runs (OrderlyHistoryPage *self)
{
  g_return_val_if_fail (ORDERLY_IS_HISTORY_PAGE (self), NULL);
  return self->runs;
}

/* A narrow table's result column: room for about a dozen characters, the
 * longest word of a result, and the rest of a running run's “Processing
 * Normal Orders” on more lines. Left to its text, that column alone would
 * take a third of a phone's width. */
#define COMPACT_RESULT_CHARS 12

static int
compact_result_width (OrderlyHistoryPage *self)
{
  PangoContext *context = gtk_widget_get_pango_context (GTK_WIDGET (self));
  PangoFontMetrics *metrics = pango_context_get_metrics (context, NULL, NULL);
  int char_width = pango_font_metrics_get_approximate_char_width (metrics);

  pango_font_metrics_unref (metrics);
  /* And the cell's padding, about a character on each side. */
  return PANGO_PIXELS_CEIL (char_width * (COMPACT_RESULT_CHARS + 2));
}

/**
 * orderly_history_page_set_compact:
 * @compact: whether the window is narrow
 *
 * A narrow table keeps the run, its result, what it processed and its total
 * time, so that nothing is cut off: a long result goes on two lines.
 */
void
orderly_history_page_set_compact (OrderlyHistoryPage *self,
                                  gboolean            compact)
{
  g_return_if_fail (ORDERLY_IS_HISTORY_PAGE (self));

  compact = !!compact;
  if (self->compact == compact)
    return;
  self->compact = compact;
  gtk_column_view_column_set_visible (self->started_column, !compact);
  gtk_column_view_column_set_visible (self->steps_column, !compact);
  gtk_column_view_column_set_visible (self->rate_column, !compact);
  gtk_column_view_column_set_visible (self->series_column, !compact);
  gtk_column_view_column_set_fixed_width (self->result_column, compact ? compact_result_width (self) : -1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPACT]);
}
