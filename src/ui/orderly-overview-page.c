/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-ui"

#include "config.h"

#include "orderly-overview-page.h"

#include <glib/gi18n.h>

#include "orderly-enums.h"
#include "orderly-format.h"
#include "orderly-throughput-chart.h"

/**
 * OrderlyOverviewPage:
 *
 * The run at a glance: its phase, overall and per-priority progress, the
 * timings of each step, throughput and a chart of it. Every value is bound
 * to #OrderlyStatus in the template; the code here only picks between the
 * empty state and the status, and colours the phase.
 */

struct _OrderlyOverviewPage
{
  AdwBin         parent_instance;

  /* Template widgets */
  GtkStack      *stack;
  GtkLabel      *phase_label;

  /* Owned */
  OrderlyStatus *status;
  const char    *phase_style;
};

enum {
  PROP_0,
  PROP_STATUS,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (OrderlyOverviewPage, orderly_overview_page, ADW_TYPE_BIN)

static GParamSpec *properties[N_PROPS];

static char *
format_phase (gpointer     this,
              OrderlyPhase phase)
{
  return g_strdup (orderly_format_phase (phase));
}

static gboolean
phase_is_interrupted (gpointer     this,
                      OrderlyPhase phase)
{
  return phase == ORDERLY_PHASE_INTERRUPTED;
}

static gboolean
is_not_empty (gpointer    this,
              const char *text)
{
  return text != NULL && text[0] != '\0';
}

static char *
format_run (gpointer this,
            gint64   run_id,
            gint64   target,
            guint    workers)
{
  g_autofree char *run = NULL;
  g_autofree char *orders = NULL;

  if (run_id <= 0)
    return g_strdup ("");
  run = g_strdup_printf ("%" G_GINT64_FORMAT, run_id);
  orders = orderly_format_count (target);
  /* Translators: “Run 3 · 1,000 orders · 8 workers” */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "Run %s · %s orders · %u worker",
                                       "Run %s · %s orders · %u workers",
                                       workers),
                          run, orders, workers);
}

static char *
format_percent (gpointer this,
                double   percent)
{
  /* Translators: a percentage of work done */
  return g_strdup_printf (_("%.1f %%"), percent);
}

static double
percent_to_fraction (gpointer this,
                     double   percent)
{
  return CLAMP (percent / 100.0, 0.0, 1.0);
}

static double
fraction_of (gpointer this,
             gint64   done,
             gint64   total)
{
  return total > 0 ? CLAMP ((double) done / (double) total, 0.0, 1.0) : 0.0;
}

static char *
format_of (gpointer this,
           gint64   done,
           gint64   total)
{
  g_autofree char *done_text = orderly_format_count (done);
  g_autofree char *total_text = orderly_format_count (total);

  /* Translators: orders processed out of a total, e.g. “250 of 1,000” */
  return g_strdup_printf (_("%s of %s"), done_text, total_text);
}

static char *
format_generated (gpointer this,
                  gint64   generated,
                  gint64   target)
{
  g_autofree char *of = format_of (this, generated, target);

  /* Translators: “1,000 of 1,000 generated” */
  return g_strdup_printf (_("%s generated"), of);
}

static char *
format_duration (gpointer this,
                 double   ms)
{
  return orderly_format_duration_ms (ms);
}

static char *
format_span (gpointer this,
             gint64   start_us,
             gint64   end_us)
{
  g_autofree char *start = NULL;
  g_autofree char *end = NULL;

  if (start_us <= 0)
    return g_strdup (_("Not started"));
  start = orderly_format_clock_us (start_us);
  if (end_us <= 0)
    /* Translators: a step that started at a time and is still going */
    return g_strdup_printf (_("From %s"), start);
  end = orderly_format_clock_us (end_us);
  /* Translators: a step's start and end times */
  return g_strdup_printf (_("%s to %s"), start, end);
}

static char *
format_rate (gpointer this,
             double   per_second)
{
  return orderly_format_rate (per_second);
}

static char *
format_eta (gpointer     this,
            gint64       eta_ms,
            OrderlyPhase phase)
{
  if (!orderly_phase_is_active (phase))
    return g_strdup (orderly_format_phase (phase));
  return orderly_format_eta_ms (eta_ms);
}

static void
update_phase (OrderlyOverviewPage *self)
{
  const OrderlyStatusData *data;
  const char *style;
  gboolean empty;

  if (self->status == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  data = orderly_status_get_data (self->status);
  empty = data->phase == ORDERLY_PHASE_IDLE && data->run_id == 0;
  gtk_stack_set_visible_child_name (self->stack, empty ? "empty" : "status");

  style = orderly_format_phase_style (data->phase);
  if (g_strcmp0 (style, self->phase_style) != 0)
    {
      if (self->phase_style != NULL)
        gtk_widget_remove_css_class (GTK_WIDGET (self->phase_label), self->phase_style);
      gtk_widget_add_css_class (GTK_WIDGET (self->phase_label), style);
      self->phase_style = style;
    }
}

static void
orderly_overview_page_dispose (GObject *object)
{
  OrderlyOverviewPage *self = (OrderlyOverviewPage *) object;

  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), ORDERLY_TYPE_OVERVIEW_PAGE);
  g_clear_object (&self->status);

  G_OBJECT_CLASS (orderly_overview_page_parent_class)->dispose (object);
}

static void
orderly_overview_page_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  OrderlyOverviewPage *self = ORDERLY_OVERVIEW_PAGE (object);

  switch (prop_id)
    {
    case PROP_STATUS:
      g_value_set_object (value, self->status);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_overview_page_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  OrderlyOverviewPage *self = ORDERLY_OVERVIEW_PAGE (object);

  switch (prop_id)
    {
    case PROP_STATUS:
      orderly_overview_page_set_status (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_overview_page_class_init (OrderlyOverviewPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = orderly_overview_page_dispose;
  object_class->get_property = orderly_overview_page_get_property;
  object_class->set_property = orderly_overview_page_set_property;

  properties[PROP_STATUS] =
    g_param_spec_object ("status", NULL, NULL, ORDERLY_TYPE_STATUS,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (ORDERLY_TYPE_STATUS);
  g_type_ensure (ORDERLY_TYPE_PHASE);
  g_type_ensure (ORDERLY_TYPE_THROUGHPUT_CHART);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/orderly/Orderly/orderly-overview-page.ui");
  gtk_widget_class_bind_template_child (widget_class, OrderlyOverviewPage, stack);
  gtk_widget_class_bind_template_child (widget_class, OrderlyOverviewPage, phase_label);
  /* Reachable by name for tests and accessibility checks; no field needed. */
  gtk_widget_class_bind_template_child_full (widget_class, "progress_bar", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "percent_label", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "eta_label", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "resume_button", FALSE, 0);
  gtk_widget_class_bind_template_callback (widget_class, format_phase);
  gtk_widget_class_bind_template_callback (widget_class, phase_is_interrupted);
  gtk_widget_class_bind_template_callback (widget_class, is_not_empty);
  gtk_widget_class_bind_template_callback (widget_class, format_run);
  gtk_widget_class_bind_template_callback (widget_class, format_percent);
  gtk_widget_class_bind_template_callback (widget_class, percent_to_fraction);
  gtk_widget_class_bind_template_callback (widget_class, fraction_of);
  gtk_widget_class_bind_template_callback (widget_class, format_of);
  gtk_widget_class_bind_template_callback (widget_class, format_generated);
  gtk_widget_class_bind_template_callback (widget_class, format_duration);
  gtk_widget_class_bind_template_callback (widget_class, format_span);
  gtk_widget_class_bind_template_callback (widget_class, format_rate);
  gtk_widget_class_bind_template_callback (widget_class, format_eta);
}

static void
orderly_overview_page_init (OrderlyOverviewPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update_phase (self);
}

OrderlyStatus *
orderly_overview_page_get_status (OrderlyOverviewPage *self)
{
  g_return_val_if_fail (ORDERLY_IS_OVERVIEW_PAGE (self), NULL);
  return self->status;
}

void
orderly_overview_page_set_status (OrderlyOverviewPage *self,
                                  OrderlyStatus       *status)
{
  g_return_if_fail (ORDERLY_IS_OVERVIEW_PAGE (self));
  g_return_if_fail (!status || ORDERLY_IS_STATUS (status));

  if (self->status == status)
    return;
  if (self->status != NULL)
    g_signal_handlers_disconnect_by_data (self->status, self);
  g_set_object (&self->status, status);
  if (status != NULL)
    {
      g_signal_connect_object (status, "notify::phase", G_CALLBACK (update_phase),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (status, "notify::run-id", G_CALLBACK (update_phase),
                               self, G_CONNECT_SWAPPED);
    }
  update_phase (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}
