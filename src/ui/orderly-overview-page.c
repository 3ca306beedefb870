/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-ui"

#include "config.h"

#include "orderly-overview-page.h"

#include <glib/gi18n.h>

#include "orderly-cluster-view.h"
#include "orderly-engine.h"
#include "orderly-enums.h"
#include "orderly-format.h"
#include "orderly-phase-ribbon.h"
#include "orderly-run.h"
#include "orderly-throughput-chart.h"

/**
 * OrderlyOverviewPage:
 *
 * The run at a glance: its phase, what it processed of its target, its
 * steps as a ribbon, per-priority progress, throughput and a chart of it,
 * the timings of each step, and once it is done a report that compares it
 * with the run before and shows how it kept its priority: the waits of VIP
 * and Normal orders, whether every Normal order came after the last VIP one,
 * and the engine's check that each order was processed once. Every live
 * value is bound to #OrderlyStatus in the template; the code here picks
 * between the empty state and the status, colours the phase and writes the
 * report.
 */

struct _OrderlyOverviewPage
{
  AdwBin         parent_instance;

  /* Template widgets */
  GtkStack      *stack;
  GtkLabel      *phase_label;
  AdwPreferencesGroup *report_group;
  GtkLabel      *report_orders_label;
  GtkLabel      *report_time_label;
  GtkLabel      *report_average_label;
  GtkLabel      *report_peak_label;
  AdwActionRow  *report_change_row;
  GtkLabel      *report_change_label;
  AdwActionRow  *report_priority_row;
  GtkLabel      *report_priority_label;
  GtkWidget     *report_vip_wait_row;
  GtkLabel      *report_vip_wait_label;
  GtkWidget     *report_normal_wait_row;
  GtkLabel      *report_normal_wait_label;
  AdwActionRow  *report_once_row;
  GtkLabel      *report_once_label;
  OrderlyThroughputChart *chart;
  OrderlyClusterView *cluster_view;

  /* Owned */
  OrderlyStatus *status;
  GListModel    *runs;
  OrderlyEngine *engine;
  const char    *phase_style;
  OrderlyPriorityProof *proof;
  GCancellable  *proof_cancellable;
  gint64         proof_run_id;      /* asked for, or shown */
  gint64         series_run_id;     /* whose stored series the chart was given */
  OrderlyRun    *checked_run;       /* watched until its check is stored */
};

enum {
  PROP_0,
  PROP_STATUS,
  PROP_RUNS,
  PROP_ENGINE,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (OrderlyOverviewPage, orderly_overview_page, ADW_TYPE_BIN)

static GParamSpec *properties[N_PROPS];

/* A run on hold reads as such, whatever step it holds in: the ribbon
 * shows which. */
static gboolean
is_paused (OrderlyPhase phase,
           gboolean     paused)
{
  return paused && orderly_phase_is_active (phase);
}

static char *
format_phase (gpointer     this,
              OrderlyPhase phase,
              gboolean     paused)
{
  if (is_paused (phase, paused))
    return g_strdup (_("Paused"));
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

static double
fraction_of (gpointer this,
             gint64   done,
             gint64   total)
{
  return total > 0 ? CLAMP ((double) done / (double) total, 0.0, 1.0) : 0.0;
}

/* Progress is what was processed out of the target; generating counts as a
 * step of its own, shown by the ribbon, not as half the run. */
static char *
format_percent (gpointer this,
                gint64   processed,
                gint64   target)
{
  return orderly_format_percent (100.0 * fraction_of (this, processed, target));
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

/* “1,234 of 50,000”, and “· 12 failed” once some failed for good. */
static char *
format_priority (gpointer this,
                 gint64   processed,
                 gint64   total,
                 gint64   failed)
{
  g_autofree char *of = format_of (this, processed, total);
  g_autofree char *count = NULL;

  if (failed <= 0)
    return g_steal_pointer (&of);
  count = orderly_format_count (failed);
  /* Translators: orders processed of a priority and those that failed, e.g. “1,234 of 50,000 · 12 failed” */
  return g_strdup_printf (_("%s · %s failed"), of, count);
}

static gboolean
has_failures (gpointer this,
              gint64   failed,
              gint64   delayed)
{
  return failed > 0 || delayed > 0;
}

static char *
format_failures (gpointer this,
                 gint64   failed,
                 gint64   delayed)
{
  g_autofree char *failed_text = orderly_format_count (failed);
  g_autofree char *delayed_text = orderly_format_count (delayed);
  g_autofree char *gone = NULL;
  g_autofree char *waiting = NULL;

  /* Translators: orders that failed every attempt, e.g. “12 failed for good” */
  gone = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s failed for good", "%s failed for good", failed),
                          failed_text);
  if (delayed <= 0)
    return g_steal_pointer (&gone);
  /* Translators: orders that failed an attempt and will be tried again, e.g. “30 waiting for a retry” */
  waiting = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s waiting for a retry", "%s waiting for a retry",
                                          delayed),
                             delayed_text);
  if (failed <= 0)
    return g_steal_pointer (&waiting);
  /* Translators: “12 failed for good · 30 waiting for a retry” */
  return g_strdup_printf (_("%s · %s"), gone, waiting);
}

static char *
format_count_caption (gpointer     this,
                      OrderlyPhase phase,
                      gint64       processed,
                      gint64       generated,
                      gint64       target)
{
  g_autofree char *of = NULL;

  if (phase == ORDERLY_PHASE_IDLE || phase == ORDERLY_PHASE_DONE)
    return g_strdup ("");
  if (phase == ORDERLY_PHASE_GENERATING)
    {
      of = format_of (this, generated, target);
      /* Translators: “8,192 of 1,000,000 generated” */
      return g_strdup_printf (_("%s generated"), of);
    }
  of = format_of (this, processed, target);
  /* Translators: “143,240 of 1,000,000 processed” */
  return g_strdup_printf (_("%s processed"), of);
}

static char *
format_duration (gpointer this,
                 double   ms)
{
  return orderly_format_duration_ms (ms);
}

/* A step that took too little to measure still reads as done once the run
 * is past it, not as skipped. */
static char *
format_step (gpointer     this,
             double       ms,
             OrderlyPhase phase,
             int          step)
{
  OrderlyPhase step_phase = ORDERLY_PHASE_GENERATING + step;

  if (ms <= 0 && (phase == ORDERLY_PHASE_DONE || (orderly_phase_is_active (phase) && phase > step_phase)))
    return orderly_format_duration_ms (0.5);
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

static double
remaining_ms (gpointer this,
              gint64   eta_ms)
{
  return (double) eta_ms;
}

/* How long is left and when the run should end; once it ended, what it did. */
static char *
format_eta (gpointer     this,
            gint64       eta_ms,
            OrderlyPhase phase,
            gint64       processed,
            double       total_ms,
            gboolean     paused)
{
  g_autofree char *left = NULL;
  g_autofree char *finish = NULL;
  g_autofree char *count = NULL;
  g_autofree char *duration = NULL;

  /* On hold the clock time would run away: only the work left. */
  if (is_paused (phase, paused))
    {
      if (eta_ms < 0)
        return g_strdup (_("Paused"));
      duration = orderly_format_duration_ms (MAX (eta_ms, 1000));
      /* Translators: a paused run, e.g. “Paused · 12.5 s of work left” */
      return g_strdup_printf (_("Paused · %s of work left"), duration);
    }
  if (orderly_phase_is_active (phase))
    {
      left = orderly_format_eta_ms (eta_ms);
      finish = orderly_format_finish_us (g_get_real_time (), eta_ms);
      if (finish[0] == '\0')
        return g_steal_pointer (&left);
      /* Translators: “12.5 s left · done by 19:55:10” */
      return g_strdup_printf (_("%s · %s"), left, finish);
    }
  count = orderly_format_count (processed);
  duration = orderly_format_duration_ms (total_ms);
  switch (phase)
    {
    case ORDERLY_PHASE_DONE:
      /* Translators: the summary of a finished run, “1,000 orders in 2.4 s” */
      return g_strdup_printf (_("%s orders in %s"), count, duration);
    case ORDERLY_PHASE_ABORTED:
    case ORDERLY_PHASE_ERROR:
    case ORDERLY_PHASE_INTERRUPTED:
      /* A run stopped while generating has no time of its own yet. */
      if (!(total_ms > 0))
        return g_strdup (_("Stopped before processing began"));
      /* Translators: a run that stopped early, “Stopped after 2.4 s” */
      return g_strdup_printf (_("Stopped after %s"), duration);
    default:
      return g_strdup ("");
    }
}

/* The run before this one that got to the end, to compare with. */
static OrderlyRun *
find_previous_run (OrderlyOverviewPage *self,
                   gint64               run_id)
{
  guint n_runs = self->runs != NULL ? g_list_model_get_n_items (self->runs) : 0;

  for (guint i = 0; i < n_runs; i++)
    {
      g_autoptr(OrderlyRun) item = g_list_model_get_item (self->runs, i);
      const OrderlyRunRecord *run = orderly_run_get_record (item);

      if (run->id < run_id && run->phase == ORDERLY_PHASE_DONE)
        return g_steal_pointer (&item);
    }
  return NULL;
}

static OrderlyRun *
find_run (OrderlyOverviewPage *self,
          gint64               run_id)
{
  guint n_items = self->runs != NULL ? g_list_model_get_n_items (self->runs) : 0;

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(OrderlyRun) item = g_list_model_get_item (self->runs, i);

      if (orderly_run_get_record (item)->id == run_id)
        return g_steal_pointer (&item);
    }
  return NULL;
}

static void
show_proof (OrderlyOverviewPage *self)
{
  const OrderlyPriorityProof *proof = self->proof;
  g_autofree char *vip_wait = NULL;
  g_autofree char *normal_wait = NULL;
  gboolean known = proof != NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->report_priority_row), known);
  gtk_widget_set_visible (GTK_WIDGET (self->report_once_row), known);
  gtk_widget_set_visible (self->report_vip_wait_row, known);
  gtk_widget_set_visible (self->report_normal_wait_row, known);
  if (!known)
    return;

  if (proof->vip_before_normal)
    {
      gtk_label_set_label (self->report_priority_label, _("Kept"));
      adw_action_row_set_subtitle (self->report_priority_row,
                                   _("No Normal order was processed before the last VIP one"));
    }
  else
    {
      gtk_label_set_label (self->report_priority_label, _("Not Kept"));
      adw_action_row_set_subtitle (self->report_priority_row,
                                   _("A Normal order was processed before the last VIP one"));
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->report_priority_label), proof->vip_before_normal ? "error" : "success");
  gtk_widget_add_css_class (GTK_WIDGET (self->report_priority_label), proof->vip_before_normal ? "success" : "error");

  vip_wait = orderly_format_wait_us (proof->vip_wait_p50_us, proof->vip_wait_p95_us);
  normal_wait = orderly_format_wait_us (proof->normal_wait_p50_us, proof->normal_wait_p95_us);
  gtk_label_set_label (self->report_vip_wait_label, vip_wait);
  gtk_label_set_label (self->report_normal_wait_label, normal_wait);

  gtk_widget_remove_css_class (GTK_WIDGET (self->report_once_label), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (self->report_once_label), "error");
  switch (proof->check_state)
    {
    case ORDERLY_RUN_CHECK_PASSED:
      gtk_label_set_label (self->report_once_label, _("Checked"));
      gtk_widget_add_css_class (GTK_WIDGET (self->report_once_label), "success");
      adw_action_row_set_subtitle (self->report_once_row,
                                   _("The stored orders show each one processed exactly once"));
      break;
    case ORDERLY_RUN_CHECK_FAILED:
      gtk_label_set_label (self->report_once_label, _("Check Failed"));
      gtk_widget_add_css_class (GTK_WIDGET (self->report_once_label), "error");
      adw_action_row_set_subtitle (self->report_once_row, proof->check_message != NULL ? proof->check_message : "");
      break;
    case ORDERLY_RUN_CHECK_NONE:
    default:
      gtk_label_set_label (self->report_once_label, _("Checking…"));
      adw_action_row_set_subtitle (self->report_once_row, _("The stored orders are being checked"));
      break;
    }
}

static void request_proof (OrderlyOverviewPage *self,
                           gint64               run_id);

/* The check of the stored rows runs once the run has ended: the proof is
 * asked for again once the run list has its verdict. */
static void
refresh_proof (OrderlyOverviewPage *self)
{
  g_autoptr(OrderlyRun) run = NULL;

  if (self->proof == NULL || self->proof->check_state != ORDERLY_RUN_CHECK_NONE)
    return;
  run = find_run (self, self->proof->run_id);
  if (run != NULL && orderly_run_get_record (run)->check_state != ORDERLY_RUN_CHECK_NONE)
    {
      if (self->checked_run != NULL)
        g_signal_handlers_disconnect_by_data (self->checked_run, self);
      g_clear_object (&self->checked_run);
      request_proof (self, self->proof->run_id);
    }
  else if (run != NULL && self->checked_run != run)
    {
      if (self->checked_run != NULL)
        g_signal_handlers_disconnect_by_data (self->checked_run, self);
      g_set_object (&self->checked_run, run);
      g_signal_connect_object (run, "notify::check-state", G_CALLBACK (refresh_proof), self, G_CONNECT_SWAPPED);
    }
}

static void
proof_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(OrderlyOverviewPage) self = user_data;
  g_autoptr(GError) error = NULL;
  OrderlyPriorityProof *proof;

  proof = orderly_engine_get_priority_proof_finish (ORDERLY_ENGINE (object), result, &error);
  if (proof == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("No priority proof for run %" G_GINT64_FORMAT ": %s", self->proof_run_id, error->message);
      return;
    }
  g_clear_pointer (&self->proof, orderly_priority_proof_free);
  self->proof = proof;
  show_proof (self);
  refresh_proof (self);
}

static void
request_proof (OrderlyOverviewPage *self,
               gint64               run_id)
{
  if (self->engine == NULL)
    return;
  g_cancellable_cancel (self->proof_cancellable);
  g_clear_object (&self->proof_cancellable);
  self->proof_cancellable = g_cancellable_new ();
  self->proof_run_id = run_id;
  orderly_engine_get_priority_proof_async (self->engine, run_id, self->proof_cancellable,
                                           proof_cb, g_object_ref (self));
}

static void
forget_proof (OrderlyOverviewPage *self)
{
  g_cancellable_cancel (self->proof_cancellable);
  g_clear_object (&self->proof_cancellable);
  g_clear_pointer (&self->proof, orderly_priority_proof_free);
  if (self->checked_run != NULL)
    g_signal_handlers_disconnect_by_data (self->checked_run, self);
  g_clear_object (&self->checked_run);
  self->proof_run_id = 0;
}

static void
update_report (OrderlyOverviewPage *self)
{
  const OrderlyStatusData *data;
  g_autoptr(OrderlyRun) previous = NULL;
  g_autofree char *orders = NULL;
  g_autofree char *vip = NULL;
  g_autofree char *text = NULL;
  double average;

  if (self->status == NULL || orderly_status_get_phase (self->status) != ORDERLY_PHASE_DONE)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->report_group), FALSE);
      forget_proof (self);
      return;
    }
  data = orderly_status_get_data (self->status);
  if (self->proof_run_id != data->run_id)
    {
      forget_proof (self);
      show_proof (self);
      request_proof (self, data->run_id);
    }
  else
    refresh_proof (self);

  orders = orderly_format_count (data->processed_total);
  vip = orderly_format_count (data->vip_processed);
  if (data->failed_total > 0)
    {
      g_autofree char *failed = orderly_format_count (data->failed_total);

      /* Translators: “1,000,000 processed, 50,114 of them VIP, 12 failed” */
      text = g_strdup_printf (_("%s processed, %s of them VIP, %s failed"), orders, vip, failed);
    }
  else
    /* Translators: “1,000,000 processed, 50,114 of them VIP” */
    text = g_strdup_printf (_("%s processed, %s of them VIP"), orders, vip);
  gtk_label_set_label (self->report_orders_label, text);
  g_clear_pointer (&text, g_free);

  text = orderly_format_duration_ms (data->total_ms);
  gtk_label_set_label (self->report_time_label, text);
  g_clear_pointer (&text, g_free);

  average = orderly_format_average_rate (data->processed_total, data->vip_ms + data->normal_ms);
  text = orderly_format_rate (average);
  gtk_label_set_label (self->report_average_label, text);
  g_clear_pointer (&text, g_free);

  text = orderly_format_rate (orderly_format_peak_rate (orderly_throughput_chart_get_peak_rate (self->chart),
                                                       average));
  gtk_label_set_label (self->report_peak_label, text);
  g_clear_pointer (&text, g_free);

  previous = find_previous_run (self, data->run_id);
  gtk_widget_set_visible (GTK_WIDGET (self->report_change_row), previous != NULL && average > 0);
  if (previous != NULL && average > 0)
    {
      const OrderlyRunRecord *run = orderly_run_get_record (previous);
      double before = orderly_format_average_rate (run->vip_count + run->normal_count,
                                                   run->vip_ms + run->normal_ms);
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, run->id);
      /* Translators: the report's comparison with an earlier run, e.g. “Compared with Run 3” */
      g_autofree char *title = g_strdup_printf (_("Compared with Run %s"), id);
      g_autofree char *before_text = orderly_format_rate (before);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->report_change_row), title);
      adw_action_row_set_subtitle (self->report_change_row, before_text);
      text = orderly_format_change (average, before);
      gtk_label_set_label (self->report_change_label, text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->report_group), TRUE);
}

static void
series_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(OrderlyOverviewPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) samples = orderly_engine_list_samples_finish (ORDERLY_ENGINE (object), result, &error);

  if (samples == NULL)
    {
      g_debug ("No throughput series for run %" G_GINT64_FORMAT ": %s", self->series_run_id, error->message);
      return;
    }
  if (self->status != NULL && orderly_status_get_data (self->status)->run_id == self->series_run_id)
    {
      orderly_throughput_chart_load_samples (self->chart, self->series_run_id, samples);
      update_report (self);
    }
}

/* A run that ended before the page could follow it (the window opened
 * after it, or after a restart) is drawn from the series it kept. */
static void
load_ended_series (OrderlyOverviewPage     *self,
                   const OrderlyStatusData *data)
{
  if (self->engine == NULL || data->run_id <= 0 || self->series_run_id == data->run_id ||
      !orderly_phase_is_terminal (data->phase) || orderly_throughput_chart_get_n_samples (self->chart) >= 2)
    return;
  self->series_run_id = data->run_id;
  orderly_engine_list_samples_async (self->engine, data->run_id, NULL, series_cb, g_object_ref (self));
}

static void
update_phase (OrderlyOverviewPage *self)
{
  const OrderlyStatusData *data;
  const char *style;
  gboolean empty;

  update_report (self);
  if (self->status == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  data = orderly_status_get_data (self->status);
  load_ended_series (self, data);
  orderly_cluster_view_set_cluster (self->cluster_view, orderly_status_get_cluster (self->status));
  empty = data->phase == ORDERLY_PHASE_IDLE && data->run_id == 0;
  gtk_stack_set_visible_child_name (self->stack, empty ? "empty" : "status");

  style = is_paused (data->phase, data->paused) ? "warning" : orderly_format_phase_style (data->phase);
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
  forget_proof (self);
  g_clear_object (&self->engine);
  g_clear_object (&self->status);
  if (self->runs != NULL)
    g_signal_handlers_disconnect_by_data (self->runs, self);
  g_clear_object (&self->runs);

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
    case PROP_RUNS:
      g_value_set_object (value, self->runs);
      break;
    case PROP_ENGINE:
      g_value_set_object (value, self->engine);
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
    case PROP_RUNS:
      orderly_overview_page_set_runs (self, g_value_get_object (value));
      break;
    case PROP_ENGINE:
      if (g_set_object (&self->engine, g_value_get_object (value)))
        {
          forget_proof (self);
          self->series_run_id = 0;
          update_phase (self);
          g_object_notify_by_pspec (object, pspec);
        }
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
  /**
   * OrderlyOverviewPage:runs:
   *
   * The history, newest first (#OrderlyRun), for the report's
   * comparison with the previous run.
   */
  properties[PROP_RUNS] =
    g_param_spec_object ("runs", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Where the report asks how the run kept its priority. */
  properties[PROP_ENGINE] =
    g_param_spec_object ("engine", NULL, NULL, ORDERLY_TYPE_ENGINE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (ORDERLY_TYPE_STATUS);
  g_type_ensure (ORDERLY_TYPE_PHASE);
  g_type_ensure (ORDERLY_TYPE_THROUGHPUT_CHART);
  g_type_ensure (ORDERLY_TYPE_PHASE_RIBBON);

  g_type_ensure (ORDERLY_TYPE_CLUSTER_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/orderly/Orderly/orderly-overview-page.ui");
  gtk_widget_class_bind_template_child (widget_class, OrderlyOverviewPage, stack);
  gtk_widget_class_bind_template_child (widget_class, OrderlyOverviewPage, phase_label);
  gtk_widget_class_bind_template_child (widget_class, OrderlyOverviewPage, report_group);
  gtk_widget_class_bind_template_child (widget_class, OrderlyOverviewPage, report_orders_label);
  gtk_widget_class_bind_template_child (widget_class, OrderlyOverviewPage, report_time_label);
  gtk_widget_class_bind_template_child (widget_class, OrderlyOverviewPage, report_average_label);
  gtk_widget_class_bind_template_child (widget_class, OrderlyOverviewPage, report_peak_label);
  gtk_widget_class_bind_template_child (widget_class, OrderlyOverviewPage, report_change_row);
  gtk_widget_class_bind_template_child (widget_class, OrderlyOverviewPage, report_change_label);
  gtk_widget_class_bind_template_child_full (widget_class, "report_orders_row", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "report_time_row", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "report_average_row", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "report_peak_row", FALSE, 0);
  gtk_widget_class_bind_template_child (widget_class, OrderlyOverviewPage, cluster_view);
  gtk_widget_class_bind_template_child (widget_class, OrderlyOverviewPage, report_priority_row);
  gtk_widget_class_bind_template_child (widget_class, OrderlyOverviewPage, report_priority_label);
  gtk_widget_class_bind_template_child (widget_class, OrderlyOverviewPage, report_vip_wait_row);
  gtk_widget_class_bind_template_child (widget_class, OrderlyOverviewPage, report_vip_wait_label);
  gtk_widget_class_bind_template_child (widget_class, OrderlyOverviewPage, report_normal_wait_row);
  gtk_widget_class_bind_template_child (widget_class, OrderlyOverviewPage, report_normal_wait_label);
  gtk_widget_class_bind_template_child (widget_class, OrderlyOverviewPage, report_once_row);
  gtk_widget_class_bind_template_child (widget_class, OrderlyOverviewPage, report_once_label);
  gtk_widget_class_bind_template_child (widget_class, OrderlyOverviewPage, chart);
  /* Reachable by name for tests and accessibility checks; no field needed. */
  gtk_widget_class_bind_template_child_full (widget_class, "progress_bar", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "percent_label", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "eta_label", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "count_label", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "resume_button", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "empty_start_button", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "ribbon", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "scroller", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "enqueue_vip_row", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "vip_row", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "normal_row", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "failed_row", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "retry_failed_button", FALSE, 0);
  gtk_widget_class_bind_template_callback (widget_class, format_phase);
  gtk_widget_class_bind_template_callback (widget_class, phase_is_interrupted);
  gtk_widget_class_bind_template_callback (widget_class, is_not_empty);
  gtk_widget_class_bind_template_callback (widget_class, format_run);
  gtk_widget_class_bind_template_callback (widget_class, format_percent);
  gtk_widget_class_bind_template_callback (widget_class, fraction_of);
  gtk_widget_class_bind_template_callback (widget_class, format_of);
  gtk_widget_class_bind_template_callback (widget_class, format_count_caption);
  gtk_widget_class_bind_template_callback (widget_class, format_priority);
  gtk_widget_class_bind_template_callback (widget_class, has_failures);
  gtk_widget_class_bind_template_callback (widget_class, format_failures);
  gtk_widget_class_bind_template_callback (widget_class, format_duration);
  gtk_widget_class_bind_template_callback (widget_class, format_step);
  gtk_widget_class_bind_template_callback (widget_class, format_span);
  gtk_widget_class_bind_template_callback (widget_class, format_rate);
  gtk_widget_class_bind_template_callback (widget_class, remaining_ms);
  gtk_widget_class_bind_template_callback (widget_class, format_eta);
}

/* An action row wraps its title anywhere, and asks for no more width than
 * that: beside a long value, as the report's, “Orders” would break into
 * letters. Its natural width is the title's longest word instead. */
static void
keep_titles_whole (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, "title"))
    gtk_label_set_natural_wrap_mode (GTK_LABEL (widget), GTK_NATURAL_WRAP_WORD);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    keep_titles_whole (child);
}

static void
orderly_overview_page_init (OrderlyOverviewPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  keep_titles_whole (GTK_WIDGET (self->report_group));
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
      g_signal_connect_object (status, "notify::paused", G_CALLBACK (update_phase),
                               self, G_CONNECT_SWAPPED);
    }
  update_phase (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

GListModel *
orderly_overview_page_get_runs (OrderlyOverviewPage *self)
{
  g_return_val_if_fail (ORDERLY_IS_OVERVIEW_PAGE (self), NULL);
  return self->runs;
}

void
orderly_overview_page_set_runs (OrderlyOverviewPage *self,
                                GListModel          *runs)
{
  g_return_if_fail (ORDERLY_IS_OVERVIEW_PAGE (self));
  g_return_if_fail (!runs || G_IS_LIST_MODEL (runs));

  if (self->runs == runs)
    return;
  if (self->runs != NULL)
    g_signal_handlers_disconnect_by_data (self->runs, self);
  g_set_object (&self->runs, runs);
  if (runs != NULL)
    g_signal_connect_object (runs, "items-changed", G_CALLBACK (update_report), self, G_CONNECT_SWAPPED);
  update_report (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNS]);
}
