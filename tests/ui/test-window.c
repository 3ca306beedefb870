/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "orderly-cluster-view.h"
#include "orderly-history-page.h"
#include "orderly-logs-page.h"
#include "orderly-overview-page.h"
#include "orderly-remote-page.h"
#include "orderly-server.h"
#include "orderly-sparkline.h"
#include "orderly-throughput-chart.h"
#include "orderly-ui-test-util.h"

static gboolean
history_empty (gpointer history)
{
  return g_list_model_get_n_items (orderly_history_page_get_runs (history)) == 0;
}

/* The window is created, shown and drawn, and starts on an empty state. */
static void
test_window_draws (OrderlyUiFixture *fixture,
                   gconstpointer     user_data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  OrderlyOverviewPage *overview = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "overview_page");
  GtkStack *stack = orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE, "stack");

  g_assert_true (gtk_widget_get_mapped (window));
  g_assert_cmpint (gtk_widget_get_width (window), >, 0);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "empty");

  g_assert_true (gtk_widget_activate_action (window, "win.show-page", "s", "logs"));
  g_assert_true (orderly_ui_wait_for_frames (window, 1, 5000));

  /* The main menu's windows: keyboard shortcuts and about. */
  g_assert_true (gtk_widget_activate_action (window, "win.show-help-overlay", NULL));
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "about", NULL);
  orderly_ui_spin (100);
  {
    GList *windows = gtk_window_list_toplevels ();
    gboolean shortcuts = FALSE, about = FALSE;

    for (GList *l = windows; l != NULL; l = l->next)
      {
        if (GTK_IS_SHORTCUTS_WINDOW (l->data) && gtk_widget_get_visible (l->data))
          shortcuts = TRUE;
        if (ADW_IS_ABOUT_WINDOW (l->data))
          {
            about = TRUE;
            gtk_window_destroy (l->data);
          }
      }
    g_list_free (windows);
    g_assert_true (shortcuts);
    g_assert_true (about);
  }
}

static AdwMessageDialog *
find_message_dialog (void)
{
  GList *windows = gtk_window_list_toplevels ();
  AdwMessageDialog *dialog = NULL;

  for (GList *l = windows; l != NULL; l = l->next)
    if (ADW_IS_MESSAGE_DIALOG (l->data) && gtk_widget_get_visible (l->data))
      dialog = l->data;
  g_list_free (windows);
  return dialog;
}

/* Whether the button that activates @name can be clicked: the window's
 * buttons follow their action's enabled state. */
static gboolean
action_enabled (GtkWidget  *window,
                const char *name)
{
  const char *button = NULL;

  if (g_str_equal (name, "win.start"))
    button = "start_run_button";
  else if (g_str_equal (name, "win.cancel"))
    button = "cancel_button";
  else
    g_assert_not_reached ();
  return gtk_widget_get_sensitive (orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, button));
}

static OrderlySparkline *
find_drawn_sparkline (GtkWidget *widget)
{
  if (ORDERLY_IS_SPARKLINE (widget) && orderly_sparkline_get_n_points (ORDERLY_SPARKLINE (widget)) > 0)
    return ORDERLY_SPARKLINE (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      OrderlySparkline *found = find_drawn_sparkline (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
has_drawn_sparkline (gpointer widget)
{
  return find_drawn_sparkline (widget) != NULL;
}

static gboolean
chart_has_curve (gpointer chart)
{
  return orderly_throughput_chart_get_n_samples (chart) >= 2;
}

static gboolean
label_reads_checked (gpointer label)
{
  return g_strcmp0 (gtk_label_get_label (label), "Checked") == 0;
}

/* The orders per second a label shows, as in “38,103 orders/s”; 0 for “—”. */
static double
rate_shown (GtkLabel *label)
{
  g_autoptr(GString) digits = g_string_new (NULL);

  for (const char *p = gtk_label_get_label (label); *p != '\0' && *p != ' '; p++)
    if (g_ascii_isdigit (*p) || *p == '.')
      g_string_append_c (digits, *p);
  g_assert_true (g_str_has_suffix (gtk_label_get_label (label), " orders/s") ||
                 g_str_equal (gtk_label_get_label (label), "—"));
  return g_ascii_strtod (digits->str, NULL);
}

/* Starting a run through the window's action takes it, and what the
 * overview shows, to DONE. */
static void
test_window_run_to_done (OrderlyUiFixture *fixture,
                         gconstpointer     user_data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  OrderlyOverviewPage *overview = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "overview_page");
  GtkStack *stack = orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE, "stack");
  GtkProgressBar *bar = orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE, "progress_bar");
  GtkLabel *phase_label = orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE, "phase_label");
  GtkLabel *percent_label = orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE, "percent_label");
  GtkAdjustment *quantity = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "quantity_adjustment");
  OrderlyHistoryPage *history = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "history_page");
  OrderlyStatus *status = orderly_engine_get_status (fixture->engine);
  GtkLabel *priority_label = orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE, "report_priority_label");
  GtkLabel *vip_wait_label = orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE, "report_vip_wait_label");
  GtkLabel *normal_wait_label = orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE,
                                                      "report_normal_wait_label");
  GtkLabel *once_label = orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE, "report_once_label");
  static const char * const report_rows[] = {
    "report_orders_row", "report_time_row", "report_average_row", "report_peak_row",
    "report_priority_row", "report_vip_wait_row", "report_normal_wait_row", "report_once_row",
    "report_change_row",
  };

  g_assert_true (action_enabled (window, "win.start"));
  g_assert_false (action_enabled (window, "win.cancel"));

  gtk_adjustment_set_value (quantity, 5000);
  g_assert_true (gtk_widget_activate_action (window, "win.start", NULL));
  g_assert_true (orderly_engine_is_running (fixture->engine));
  g_assert_false (action_enabled (window, "win.start"));
  g_assert_true (action_enabled (window, "win.cancel"));

  g_assert_true (orderly_ui_wait_until (orderly_ui_phase_finished, fixture->engine, 60000));
  orderly_engine_flush (fixture->engine);
  g_assert_true (orderly_ui_wait_for_frames (window, 2, 5000));

  g_assert_cmpint (orderly_status_get_phase (status), ==, ORDERLY_PHASE_DONE);
  g_assert_cmpint (orderly_status_get_data (status)->processed_total, ==, 5000);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "status");
  g_assert_cmpstr (gtk_label_get_label (phase_label), ==, "Done");
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (phase_label), "success"));
  g_assert_cmpfloat (gtk_progress_bar_get_fraction (bar), ==, 1.0);
  g_assert_cmpstr (gtk_label_get_label (percent_label), ==, "100%");
  g_assert_true (action_enabled (window, "win.start"));
  g_assert_false (action_enabled (window, "win.cancel"));

  /* The finished run is in the history. */
  g_assert_cmpuint (g_list_model_get_n_items (orderly_history_page_get_runs (history)), ==, 1);

  /* The report says how the run kept its priority, from the stored times,
   * and once the stored rows are checked, that each order went once. */
  g_assert_true (orderly_ui_wait_until (label_reads_checked, once_label, 20000));
  g_assert_cmpstr (gtk_label_get_label (priority_label), ==, "Kept");
  /* Each figure is a row of the report, not a part of another row. */
  for (guint i = 0; i < G_N_ELEMENTS (report_rows); i++)
    {
      GtkWidget *row = orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE, report_rows[i]);

      /* The comparison needs an earlier run. */
      g_assert_true (gtk_widget_get_visible (row) == (i != G_N_ELEMENTS (report_rows) - 1));
      for (guint j = 0; j < G_N_ELEMENTS (report_rows); j++)
        g_assert_false (gtk_widget_is_ancestor (row, orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE,
                                                                          report_rows[j])));
    }
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (priority_label), "success"));
  /* A run processed within the chart's first second still has a peak, and
   * no peak is below the run's average. */
  {
    double average = rate_shown (orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE,
                                                       "report_average_label"));
    double peak = rate_shown (orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE, "report_peak_label"));

    g_assert_cmpfloat (average, >, 0);
    g_assert_cmpfloat (peak, >=, average);
  }
  g_assert_nonnull (strstr (gtk_label_get_label (vip_wait_label), " median · "));
  g_assert_nonnull (strstr (gtk_label_get_label (normal_wait_label), " p95"));

  /* A page that opens after the run, as after a restart, draws it from the
   * series it kept. */
  {
    OrderlyOverviewPage *later = g_object_ref_sink (g_object_new (ORDERLY_TYPE_OVERVIEW_PAGE,
                                                                  "engine", fixture->engine,
                                                                  "status", status, NULL));
    OrderlyThroughputChart *later_chart = orderly_ui_get_child (later, ORDERLY_TYPE_OVERVIEW_PAGE, "chart");

    g_assert_true (orderly_ui_wait_until (chart_has_curve, later_chart, 10000));
    g_assert_cmpfloat (orderly_throughput_chart_get_rate (later_chart, 1), >=, 0);
    g_object_run_dispose (G_OBJECT (later));
    g_object_unref (later);
  }

  /* The history draws the throughput series the run kept. */
  g_assert_true (gtk_widget_activate_action (window, "win.show-page", "s", "history"));
  g_assert_true (orderly_ui_wait_until (has_drawn_sparkline, history, 10000));
  g_assert_cmpfloat (orderly_sparkline_get_peak_rate (find_drawn_sparkline (GTK_WIDGET (history))), >, 0);
  g_assert_nonnull (strstr (gtk_widget_get_tooltip_text (GTK_WIDGET (find_drawn_sparkline (GTK_WIDGET (history)))),
                            "orders/s"));
  g_assert_true (gtk_widget_activate_action (window, "win.show-page", "s", "overview"));

  /* Reset asks first, then empties the history and the overview. */
  g_assert_true (gtk_widget_activate_action (window, "win.reset", NULL));
  orderly_ui_spin (20);
  g_assert_nonnull (find_message_dialog ());
  adw_message_dialog_response (find_message_dialog (), "reset");
  /* The reset happens off the main loop. */
  g_assert_true (orderly_ui_wait_until (history_empty, history, 10000));
  orderly_ui_spin (20);
  g_assert_cmpuint (g_list_model_get_n_items (orderly_history_page_get_runs (history)), ==, 0);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "empty");
}

/* Cancel through the window's action ends the run as ABORTED. */
static void
test_window_cancel (OrderlyUiFixture *fixture,
                    gconstpointer     user_data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  GtkAdjustment *quantity = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "quantity_adjustment");

  orderly_engine_set_work_us (fixture->engine, 2000);
  gtk_adjustment_set_value (quantity, 100000);
  g_assert_true (gtk_widget_activate_action (window, "win.start", NULL));
  orderly_ui_spin (200);
  g_assert_true (gtk_widget_activate_action (window, "win.cancel", NULL));
  g_assert_true (orderly_ui_wait_until (orderly_ui_phase_finished, fixture->engine, 30000));
  orderly_engine_flush (fixture->engine);
  g_assert_cmpint (orderly_status_get_phase (orderly_engine_get_status (fixture->engine)), ==,
                   ORDERLY_PHASE_ABORTED);
}

static gboolean
is_running (gpointer engine)
{
  return orderly_engine_is_running (engine);
}

/* A run stopped by a shutdown shows as interrupted, and the window offers
 * to resume it. */
static void
test_window_resume (OrderlyUiFixture *fixture,
                    gconstpointer     user_data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  OrderlyOverviewPage *overview = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "overview_page");
  GtkWidget *resume = orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE, "resume_button");
  GtkLabel *phase_label = orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE, "phase_label");
  GtkLabel *eta_label = orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE, "eta_label");
  GtkAdjustment *quantity = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "quantity_adjustment");

  orderly_engine_set_work_us (fixture->engine, 2000);
  gtk_adjustment_set_value (quantity, 50000);
  g_assert_true (gtk_widget_activate_action (window, "win.start", NULL));
  orderly_ui_spin (300);
  g_assert_false (gtk_widget_get_visible (resume));

  orderly_engine_shutdown (fixture->engine);
  g_assert_true (orderly_ui_wait_for_frames (window, 2, 5000));
  g_assert_cmpint (orderly_status_get_phase (orderly_engine_get_status (fixture->engine)), ==,
                   ORDERLY_PHASE_INTERRUPTED);
  g_assert_cmpstr (gtk_label_get_label (phase_label), ==, "Interrupted");
  /* What it did before it stopped, never a dash for a time it has not had. */
  g_assert_null (strstr (gtk_label_get_label (eta_label), "—"));
  g_assert_true (g_str_has_prefix (gtk_label_get_label (eta_label), "Stopped "));
  g_assert_true (gtk_widget_get_visible (resume));
  g_assert_true (gtk_widget_get_sensitive (resume));

  /* A button activated from the keyboard clicks after its pressed look. */
  gtk_widget_activate (resume);
  g_assert_true (orderly_ui_wait_until (is_running, fixture->engine, 5000));
  g_assert_true (orderly_ui_wait_for_frames (window, 2, 5000));
  g_assert_false (gtk_widget_get_visible (resume));

  orderly_engine_cancel (fixture->engine);
  g_assert_true (orderly_ui_wait_until (orderly_ui_phase_finished, fixture->engine, 30000));
}

static void
add_line (OrderlyEngine   *engine,
          OrderlyLogLevel  level,
          const char      *category,
          const char      *message)
{
  g_autoptr(OrderlyLogRecord) record = orderly_log_record_new (level, category, message, NULL);
  g_autoptr(OrderlyLogEntry) entry = orderly_log_entry_new_from_record (record);

  record = NULL;
  orderly_log_store_append (orderly_engine_get_log_store (engine), &entry, 1);
}

typedef struct
{
  GListModel *model;
  guint       expected;
} CountWait;

static gboolean
count_is (gpointer data)
{
  CountWait *wait = data;

  return g_list_model_get_n_items (wait->model) == wait->expected;
}

/* The log view filters by level and by what the search entry holds. */
static void
test_window_log_filters (OrderlyUiFixture *fixture,
                         gconstpointer     user_data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  OrderlyLogsPage *logs = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "logs_page");
  GtkEditable *entry = orderly_ui_get_child (logs, ORDERLY_TYPE_LOGS_PAGE, "search_entry");
  GtkSearchBar *search_bar = orderly_ui_get_child (logs, ORDERLY_TYPE_LOGS_PAGE, "search_bar");
  GtkLabel *count_label = orderly_ui_get_child (logs, ORDERLY_TYPE_LOGS_PAGE, "count_label");
  GListModel *shown = orderly_logs_page_get_shown (logs);
  OrderlyLogStore *store = orderly_engine_get_log_store (fixture->engine);
  guint before = g_list_model_get_n_items (G_LIST_MODEL (store));
  CountWait wait = { shown, 0 };
  g_autofree char *copied = NULL;

  add_line (fixture->engine, ORDERLY_LOG_LEVEL_LOG, "generator", "Generated 100 orders");
  add_line (fixture->engine, ORDERLY_LOG_LEVEL_WARN, "queue", "Queue is slow to drain");
  add_line (fixture->engine, ORDERLY_LOG_LEVEL_ERROR, "store", "Disk full while saving");
  add_line (fixture->engine, ORDERLY_LOG_LEVEL_LOG, "worker", "Processed order 42 for ACME");
  g_assert_true (gtk_widget_activate_action (window, "win.show-page", "s", "logs"));
  /* A flood reaches the table at most twice a second. */
  wait.expected = before + 4;
  g_assert_true (orderly_ui_wait_until (count_is, &wait, 5000));
  g_assert_true (orderly_ui_wait_for_frames (window, 2, 5000));

  /* Levels: hide information, then warnings. */
  g_object_set (logs, "show-info", FALSE, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 2);
  g_assert_nonnull (strstr (gtk_label_get_label (count_label), "2 of"));
  g_object_set (logs, "show-warnings", FALSE, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 1);
  {
    g_autoptr(OrderlyLogEntry) only = g_list_model_get_item (shown, 0);

    g_assert_cmpint (orderly_log_entry_get_level (only), ==, ORDERLY_LOG_LEVEL_ERROR);
  }
  g_object_set (logs, "show-info", TRUE, "show-warnings", TRUE, NULL);

  /* Search through the window's Ctrl+F action and the entry, case-insensitively. */
  g_assert_true (gtk_widget_activate_action (window, "win.search", NULL));
  g_assert_true (gtk_search_bar_get_search_mode (search_bar));
  gtk_editable_set_text (entry, "acme");
  wait.expected = 1;
  g_assert_true (orderly_ui_wait_until (count_is, &wait, 5000));
  gtk_editable_set_text (entry, "DISK");
  g_assert_true (orderly_ui_wait_until (count_is, &wait, 5000));
  {
    g_autoptr(OrderlyLogEntry) only = g_list_model_get_item (shown, 0);

    g_assert_cmpstr (orderly_log_entry_get_message (only), ==, "Disk full while saving");
  }
  /* Category matches too. */
  gtk_editable_set_text (entry, "queue");
  g_assert_true (orderly_ui_wait_until (count_is, &wait, 5000));

  /* Copy the selected line. */
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (gtk_column_view_get_model (
                                     orderly_ui_get_child (logs, ORDERLY_TYPE_LOGS_PAGE, "column_view"))),
                                   0, TRUE);
  copied = orderly_logs_page_dup_selected_text (logs);
  g_assert_nonnull (strstr (copied, "\twarn\tqueue\tQueue is slow to drain\n"));

  gtk_editable_set_text (entry, "");
  wait.expected = before + 4;
  g_assert_true (orderly_ui_wait_until (count_is, &wait, 5000));
}

/* Scrolling up pauses follow-tail, coming back to the end resumes it. */
static void
test_window_log_follow (OrderlyUiFixture *fixture,
                        gconstpointer     user_data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  OrderlyLogsPage *logs = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "logs_page");
  GtkScrolledWindow *scroller = orderly_ui_get_child (logs, ORDERLY_TYPE_LOGS_PAGE, "scroller");
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (scroller);
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);
  CountWait wait;

  for (guint i = 0; i < 2000; i++)
    {
      g_autofree char *message = g_strdup_printf ("Line %u", i);
      g_autoptr(OrderlyLogRecord) record = orderly_log_record_new (ORDERLY_LOG_LEVEL_LOG, "test", message, NULL);

      g_ptr_array_add (entries, orderly_log_entry_new_from_record (record));
      record = NULL;
    }
  gtk_widget_activate_action (window, "win.show-page", "s", "logs");
  orderly_log_store_append (orderly_engine_get_log_store (fixture->engine),
                            (OrderlyLogEntry **) entries->pdata, entries->len);
  wait.model = orderly_logs_page_get_shown (logs);
  wait.expected = g_list_model_get_n_items (G_LIST_MODEL (orderly_engine_get_log_store (fixture->engine)));
  g_assert_true (orderly_ui_wait_until (count_is, &wait, 5000));
  g_assert_true (orderly_ui_wait_for_frames (window, 4, 5000));
  g_assert_cmpfloat (gtk_adjustment_get_upper (adjustment), >, gtk_adjustment_get_page_size (adjustment));

  g_assert_true (orderly_logs_page_get_following (logs));
  g_assert_cmpfloat (gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment),
                     >=, gtk_adjustment_get_upper (adjustment) - 4);

  /* Pausing (the Follow button, or scrolling up) keeps the view where it is
   * while lines keep coming. */
  g_object_set (logs, "following", FALSE, NULL);
  gtk_adjustment_set_value (adjustment, 0);
  add_line (fixture->engine, ORDERLY_LOG_LEVEL_LOG, "test", "One more line");
  g_assert_true (orderly_ui_wait_for_frames (window, 2, 5000));
  g_assert_false (orderly_logs_page_get_following (logs));
  g_assert_cmpfloat (gtk_adjustment_get_value (adjustment), ==, 0);

  /* Going back to the end follows again. */
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
  g_assert_true (orderly_ui_wait_for_frames (window, 2, 5000));
  g_assert_true (orderly_logs_page_get_following (logs));
}

static void
websocket_connected_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  SoupWebsocketConnection **connection = user_data;
  g_autoptr(GError) error = NULL;

  *connection = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
}

static gboolean
is_set (gpointer data)
{
  return *(gpointer *) data != NULL;
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GBytes **body = user_data;
  g_autoptr(GError) error = NULL;

  *body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
}

static gboolean
dialog_shown (gpointer data)
{
  return find_message_dialog () != NULL;
}

static void
connect_client (SoupSession              *session,
                const char               *url,
                SoupWebsocketConnection **connection)
{
  g_autoptr(SoupMessage) message = soup_message_new ("GET", url);

  soup_message_headers_replace (soup_message_get_request_headers (message), "User-Agent",
                                "orderly-ui-test/1.0");
  soup_session_websocket_connect_async (session, message, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        websocket_connected_cb, connection);
  g_assert_true (orderly_ui_wait_until (is_set, connection, 10000));
}

static gboolean
is_closed (gpointer connection)
{
  return soup_websocket_connection_get_state (connection) == SOUP_WEBSOCKET_STATE_CLOSED;
}

static GtkWidget *
find_disconnect_button (GtkWidget *widget)
{
  if (GTK_IS_BUTTON (widget) && gtk_widget_has_css_class (widget, "disconnect"))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_disconnect_button (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
list_has_row (gpointer data)
{
  return gtk_list_box_get_row_at_index (data, 0) != NULL;
}

static gboolean
list_is_empty (gpointer data)
{
  return gtk_list_box_get_row_at_index (data, 0) == NULL;
}

/* A WebSocket client connected to the real server appears in the list. */
static void
test_window_remote_clients (OrderlyUiFixture *fixture,
                            gconstpointer     user_data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  OrderlyRemotePage *remote_page = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "remote_page");
  GtkListBox *list = orderly_remote_page_get_client_list (remote_page);
  AdwActionRow *address_row = orderly_ui_get_child (remote_page, ORDERLY_TYPE_REMOTE_PAGE, "address_row");
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyServer) server = NULL;
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(SoupWebsocketConnection) connection = NULL;
  g_autofree char *ws_url = NULL;
  const OrderlyTokens *tokens = orderly_remote_get_tokens (fixture->remote);
  GtkWidget *rotate = orderly_ui_get_child (remote_page, ORDERLY_TYPE_REMOTE_PAGE, "rotate_tokens_button");
  g_autofree char *old_token = NULL;
  GtkWidget *disconnect;
  GtkListBoxRow *row;

  orderly_remote_set_port (fixture->remote, 0);
  server = orderly_server_new (fixture->engine, fixture->remote, &error);
  g_assert_no_error (error);
  g_assert_true (orderly_server_start (server, &error));
  g_assert_no_error (error);

  gtk_widget_activate_action (window, "win.show-page", "s", "remote");
  g_assert_true (orderly_ui_wait_for_frames (window, 2, 5000));
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (address_row), "http://127.0.0.1:"));
  g_assert_true (list_is_empty (list));

  ws_url = g_strdup_printf ("ws://127.0.0.1:%u/ws?token=%s", orderly_server_get_port (server),
                            tokens->viewer_token);
  message = soup_message_new ("GET", ws_url);
  soup_message_headers_replace (soup_message_get_request_headers (message), "User-Agent",
                                "orderly-ui-test/1.0");
  soup_session_websocket_connect_async (session, message, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        websocket_connected_cb, &connection);
  g_assert_true (orderly_ui_wait_until (is_set, &connection, 10000));
  g_assert_true (orderly_ui_wait_until (list_has_row, list, 10000));
  g_assert_true (orderly_ui_wait_for_frames (window, 2, 5000));

  row = gtk_list_box_get_row_at_index (list, 0);
  g_assert_true (ADW_IS_ACTION_ROW (row));
  /* Named by its program, with its role, transport and address. */
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "orderly-ui-test");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (row)), ==, "orderly-ui-test/1.0");
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                                   "Viewer · WebSocket · 127.0.0.1 · connected since "));

  /* It leaves the list when it disconnects. */
  soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_assert_true (orderly_ui_wait_until (list_is_empty, list, 10000));
  g_clear_object (&connection);
  g_clear_object (&message);

  /* The operator ends a client's connection from its row. */
  connect_client (session, ws_url, &connection);
  g_assert_true (orderly_ui_wait_until (list_has_row, list, 10000));
  g_assert_true (orderly_ui_wait_for_frames (window, 2, 5000));
  disconnect = find_disconnect_button (GTK_WIDGET (gtk_list_box_get_row_at_index (list, 0)));
  g_assert_nonnull (disconnect);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (disconnect), ==, "Disconnect");
  gtk_widget_activate (disconnect);
  g_assert_true (orderly_ui_wait_until (is_closed, connection, 10000));
  g_assert_cmpint (soup_websocket_connection_get_close_code (connection), ==, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
  g_assert_true (orderly_ui_wait_until (list_is_empty, list, 10000));
  g_clear_object (&connection);

  /* Replacing the tokens asks first, then ends every session of the old
   * ones, and the old token no longer gets in. */
  old_token = g_strdup (tokens->viewer_token);
  connect_client (session, ws_url, &connection);
  g_assert_true (orderly_ui_wait_until (list_has_row, list, 10000));
  g_assert_true (gtk_widget_is_sensitive (rotate));
  gtk_widget_activate (rotate);
  g_assert_true (orderly_ui_wait_until (dialog_shown, NULL, 5000));
  adw_message_dialog_response (find_message_dialog (), "replace");
  g_assert_true (orderly_ui_wait_until (is_closed, connection, 10000));
  g_assert_true (orderly_ui_wait_until (list_is_empty, list, 10000));
  g_assert_cmpstr (orderly_remote_get_tokens (fixture->remote)->viewer_token, !=, old_token);
  g_clear_object (&connection);
  {
    g_autofree char *status_url = g_strdup_printf ("http://127.0.0.1:%u/pedidos", orderly_server_get_port (server));
    g_autoptr(SoupMessage) status = soup_message_new ("GET", status_url);
    g_autofree char *bearer = g_strdup_printf ("Bearer %s", old_token);
    g_autoptr(GBytes) body = NULL;

    /* The server answers on this main loop. */
    soup_message_headers_replace (soup_message_get_request_headers (status), "Authorization", bearer);
    soup_session_send_and_read_async (session, status, G_PRIORITY_DEFAULT, NULL, read_cb, &body);
    g_assert_true (orderly_ui_wait_until (is_set, &body, 10000));
    g_assert_cmpuint (soup_message_get_status (status), ==, SOUP_STATUS_UNAUTHORIZED);
  }

  orderly_server_stop (server);
  g_object_run_dispose (G_OBJECT (server));
}

static gboolean
port_is_9123 (gpointer data)
{
  return orderly_remote_get_port (data) == 9123;
}

/* Preferences write the settings, and the application applies them to the
 * engine and the remote-access model at once. */
static void
test_window_preferences (OrderlyUiFixture *fixture,
                         gconstpointer     user_data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  GtkWindow *preferences = NULL;
  GList *windows;

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "preferences", NULL);
  windows = gtk_window_list_toplevels ();
  for (GList *l = windows; l != NULL; l = l->next)
    if (ADW_IS_PREFERENCES_WINDOW (l->data))
      preferences = l->data;
  g_list_free (windows);
  g_assert_nonnull (preferences);
  g_object_ref (preferences);
  g_assert_true (orderly_ui_wait_for_frames (GTK_WIDGET (preferences), 2, 5000));

  gtk_adjustment_set_value (orderly_ui_get_child (preferences, G_OBJECT_TYPE (preferences), "port_adjustment"), 9123);
  g_assert_true (orderly_ui_wait_until (port_is_9123, fixture->remote, 5000));

  gtk_adjustment_set_value (orderly_ui_get_child (preferences, G_OBJECT_TYPE (preferences), "workers_adjustment"), 3);
  gtk_adjustment_set_value (orderly_ui_get_child (preferences, G_OBJECT_TYPE (preferences), "work_us_adjustment"), 250);
  gtk_adjustment_set_value (orderly_ui_get_child (preferences, G_OBJECT_TYPE (preferences), "update_rate_adjustment"), 20);
  gtk_adjustment_set_value (orderly_ui_get_child (preferences, G_OBJECT_TYPE (preferences), "log_capacity_adjustment"), 5000);
  adw_combo_row_set_selected (orderly_ui_get_child (preferences, G_OBJECT_TYPE (preferences), "bind_row"), 1);
  gtk_editable_set_text (orderly_ui_get_child (preferences, G_OBJECT_TYPE (preferences), "origins_row"),
                         "https://a.example, https://b.example");
  g_signal_emit_by_name (orderly_ui_get_child (preferences, G_OBJECT_TYPE (preferences), "origins_row"), "apply");
  orderly_ui_spin (50);

  g_assert_cmpuint (orderly_engine_get_workers (fixture->engine), ==, 3);
  g_assert_cmpint (orderly_engine_get_work_us (fixture->engine), ==, 250);
  g_assert_cmpuint (orderly_engine_get_tick_hz (fixture->engine), ==, 20);
  g_assert_cmpuint (orderly_engine_get_log_capacity (fixture->engine), ==, 5000);
  g_assert_cmpstr (orderly_remote_get_bind_address (fixture->remote), ==, "0.0.0.0,::");
  g_assert_true (gtk_widget_get_visible (orderly_ui_get_child (preferences, G_OBJECT_TYPE (preferences), "exposure_warning")));
  {
    const char * const *origins = orderly_remote_get_allowed_origins (fixture->remote);

    g_assert_nonnull (origins);
    g_assert_cmpstr (origins[0], ==, "https://a.example");
    g_assert_cmpstr (origins[1], ==, "https://b.example");
    g_assert_null (origins[2]);
  }

  /* Back to loopback. */
  adw_combo_row_set_selected (orderly_ui_get_child (preferences, G_OBJECT_TYPE (preferences), "bind_row"), 0);
  orderly_ui_spin (20);
  g_assert_null (orderly_remote_get_bind_address (fixture->remote));

  gtk_window_destroy (preferences);
  orderly_ui_spin (20);
  g_assert_finalize_object (preferences);
  (void) window;
}


static gboolean
is_listening (gpointer remote)
{
  return orderly_remote_get_listening (remote);
}

/* When the port is taken the window says so under its header bar and
 * offers another port; choosing one makes the server listen, and the
 * banner goes. */
static void
test_window_port_busy (OrderlyUiFixture *fixture,
                       gconstpointer     user_data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  GtkRevealer *banner = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "server_banner");
  GtkLabel *banner_label = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "server_banner_label");
  OrderlyRemotePage *remote_page = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "remote_page");
  GtkWidget *choose_port = orderly_ui_get_child (remote_page, ORDERLY_TYPE_REMOTE_PAGE, "choose_port_button");
  g_autoptr(GSocket) holder = NULL;
  g_autoptr(GSocketAddress) any = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(OrderlyServer) server = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *port_text = NULL;
  AdwMessageDialog *dialog;
  guint busy_port;

  /* Something else holds a port. */
  holder = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  any = g_inet_socket_address_new (loopback, 0);
  g_assert_true (g_socket_bind (holder, any, FALSE, &error));
  g_assert_true (g_socket_listen (holder, &error));
  bound = g_socket_get_local_address (holder, &error);
  g_assert_no_error (error);
  busy_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  g_assert_false (gtk_revealer_get_reveal_child (banner));
  orderly_remote_set_bind_address (fixture->remote, "127.0.0.1");
  orderly_remote_set_port (fixture->remote, busy_port);
  server = orderly_server_new (fixture->engine, fixture->remote, &error);
  g_assert_no_error (error);
  g_assert_false (orderly_server_start (server, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  g_clear_error (&error);

  g_assert_true (orderly_ui_wait_for_frames (window, 2, 5000));
  g_assert_true (gtk_revealer_get_reveal_child (banner));
  port_text = g_strdup_printf ("port %u", busy_port);
  g_assert_nonnull (strstr (gtk_label_get_label (banner_label), port_text));
  g_assert_nonnull (strstr (gtk_label_get_label (banner_label), "server is off"));
  gtk_widget_activate_action (window, "win.show-page", "s", "remote");
  g_assert_true (orderly_ui_wait_for_frames (window, 2, 5000));
  g_assert_true (gtk_widget_get_visible (choose_port));
  g_assert_true (gtk_widget_get_mapped (choose_port));

  /* Choose Port… asks for a port; 0 picks a free one. */
  g_assert_true (gtk_widget_activate_action (window, "win.choose-port", NULL));
  orderly_ui_spin (20);
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (adw_message_dialog_get_extra_child (dialog))),
                   ==, busy_port);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (adw_message_dialog_get_extra_child (dialog)), 0);
  adw_message_dialog_response (dialog, "listen");
  g_assert_true (orderly_ui_wait_until (is_listening, fixture->remote, 5000));
  g_assert_true (orderly_ui_wait_for_frames (window, 2, 5000));
  g_assert_false (gtk_revealer_get_reveal_child (banner));
  g_assert_false (gtk_widget_get_visible (choose_port));
  g_assert_cmpuint (orderly_server_get_port (server), !=, busy_port);
  g_assert_cmpuint (orderly_server_get_port (server), >, 0);

  orderly_server_stop (server);
  g_object_run_dispose (G_OBJECT (server));
}

typedef struct
{
  guint      count;
  GPtrArray *names;
} Suggested;

static void
collect_suggested (GtkWidget *widget,
                   Suggested *found)
{
  if (gtk_widget_get_mapped (widget) && gtk_widget_is_sensitive (widget) &&
      gtk_widget_has_css_class (widget, "suggested-action"))
    {
      found->count++;
      g_ptr_array_add (found->names, (gpointer) (gtk_widget_get_tooltip_text (widget) ? gtk_widget_get_tooltip_text (widget) : G_OBJECT_TYPE_NAME (widget)));
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_suggested (child, found);
}

/* How many buttons the window offers as the next step right now. */
static guint
count_suggested (GtkWidget *window)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  Suggested found = { 0, names };

  /* Pages cross-fade: both are drawn until the new one is in. */
  orderly_ui_spin (300);
  g_assert_true (orderly_ui_wait_for_frames (window, 2, 5000));
  collect_suggested (window, &found);
  for (guint i = 0; i < names->len; i++)
    g_test_message ("suggested: %s", (const char *) names->pdata[i]);
  return found.count;
}

/* One suggested action per state: the first visit's Start a Run…, New Run
 * once a run ended, none while one goes, Resume for a paused queue and for
 * an interrupted run. */
static void
test_window_suggested_action (OrderlyUiFixture *fixture,
                              gconstpointer     user_data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  GtkWidget *start_button = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "start_button");
  OrderlyOverviewPage *overview = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "overview_page");
  GtkWidget *resume = orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE, "resume_button");
  GtkWidget *pause_button = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "pause_button");
  GtkWidget *resume_queue_button = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "resume_queue_button");
  GtkLabel *phase_label = orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE, "phase_label");
  GtkLabel *eta_label = orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE, "eta_label");
  GtkAdjustment *quantity = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "quantity_adjustment");

  g_assert_cmpuint (count_suggested (window), ==, 1);
  g_assert_false (gtk_widget_has_css_class (start_button, "suggested-action"));

  gtk_adjustment_set_value (quantity, 1000);
  g_assert_true (gtk_widget_activate_action (window, "win.start", NULL));
  g_assert_true (orderly_ui_wait_until (orderly_ui_phase_finished, fixture->engine, 60000));
  g_assert_cmpuint (count_suggested (window), ==, 1);
  g_assert_true (gtk_widget_has_css_class (start_button, "suggested-action"));

  /* While a run goes, nothing is pressed for the operator. */
  orderly_engine_set_work_us (fixture->engine, 2000);
  gtk_adjustment_set_value (quantity, 50000);
  g_assert_true (gtk_widget_activate_action (window, "win.start", NULL));
  g_assert_cmpuint (count_suggested (window), ==, 0);
  g_assert_true (gtk_widget_get_mapped (pause_button));
  g_assert_false (gtk_widget_get_mapped (resume_queue_button));

  /* Paused: Resume is the one, and the headline says so. */
  g_assert_true (gtk_widget_activate_action (window, "win.pause-queue", NULL));
  g_assert_true (orderly_engine_is_paused (fixture->engine));
  g_assert_cmpuint (count_suggested (window), ==, 1);
  g_assert_true (gtk_widget_get_mapped (resume_queue_button));
  g_assert_true (gtk_widget_has_css_class (resume_queue_button, "suggested-action"));
  g_assert_false (gtk_widget_get_mapped (pause_button));
  g_assert_false (gtk_widget_has_css_class (start_button, "suggested-action"));
  g_assert_cmpstr (gtk_label_get_label (phase_label), ==, "Paused");
  g_assert_true (g_str_has_prefix (gtk_label_get_label (eta_label), "Paused"));

  g_assert_true (gtk_widget_activate_action (window, "win.resume-queue", NULL));
  g_assert_false (orderly_engine_is_paused (fixture->engine));
  g_assert_cmpuint (count_suggested (window), ==, 0);
  g_assert_true (gtk_widget_get_mapped (pause_button));
  g_assert_cmpstr (gtk_label_get_label (phase_label), !=, "Paused");

  /* Interrupted: Resume is the one. */
  orderly_engine_shutdown (fixture->engine);
  g_assert_cmpint (orderly_status_get_phase (orderly_engine_get_status (fixture->engine)), ==,
                   ORDERLY_PHASE_INTERRUPTED);
  g_assert_cmpuint (count_suggested (window), ==, 1);
  g_assert_true (gtk_widget_get_mapped (resume));
  g_assert_false (gtk_widget_has_css_class (start_button, "suggested-action"));
}

static gboolean
failures_settled (gpointer engine)
{
  const OrderlyStatusData *data = orderly_status_get_data (orderly_engine_get_status (engine));

  return !orderly_engine_is_running (engine) && data->queue_delayed == 0;
}

static gboolean
no_failures (gpointer engine)
{
  const OrderlyStatusData *data = orderly_status_get_data (orderly_engine_get_status (engine));

  return !orderly_engine_is_running (engine) && data->failed_total == 0 &&
         data->processed_total == data->target;
}

/* Orders that failed for good show beside their priority and in a row of
 * their own, whose Retry Failed puts them back and the run processes them. */
static void
test_window_failures (OrderlyUiFixture *fixture,
                      gconstpointer     user_data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  OrderlyOverviewPage *overview = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "overview_page");
  GtkWidget *failed_row = orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE, "failed_row");
  GtkWidget *retry = orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE, "retry_failed_button");
  AdwActionRow *vip_row = orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE, "vip_row");
  AdwActionRow *normal_row = orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE, "normal_row");
  GtkAdjustment *quantity = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "quantity_adjustment");
  const OrderlyStatusData *data = orderly_status_get_data (orderly_engine_get_status (fixture->engine));
  g_autofree char *failed_text = NULL;

  g_assert_false (gtk_widget_get_visible (failed_row));
  g_assert_false (gtk_widget_get_sensitive (retry));

  orderly_engine_set_failure_rate (fixture->engine, 0.3);
  orderly_engine_set_max_attempts (fixture->engine, 1);
  gtk_adjustment_set_value (quantity, 2000);
  g_assert_true (gtk_widget_activate_action (window, "win.start", NULL));
  g_assert_true (orderly_ui_wait_until (failures_settled, fixture->engine, 60000));
  orderly_engine_flush (fixture->engine);
  g_assert_true (orderly_ui_wait_for_frames (window, 2, 5000));

  g_assert_cmpint (data->failed_total, >, 0);
  g_assert_cmpint (data->failed_total, ==, data->vip_failed + data->normal_failed);
  g_assert_cmpint (data->processed_total + data->failed_total, ==, 2000);
  g_assert_true (gtk_widget_get_visible (failed_row));
  failed_text = g_strdup_printf ("%" G_GINT64_FORMAT " failed for good", data->failed_total);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (failed_row)), ==, failed_text);
  if (data->vip_failed > 0)
    g_assert_nonnull (strstr (adw_action_row_get_subtitle (vip_row), " failed"));
  if (data->normal_failed > 0)
    g_assert_nonnull (strstr (adw_action_row_get_subtitle (normal_row), " failed"));
  g_assert_true (gtk_widget_get_sensitive (retry));

  orderly_engine_set_failure_rate (fixture->engine, 0);
  gtk_widget_activate (retry);
  g_assert_true (orderly_ui_wait_until (no_failures, fixture->engine, 60000));
  orderly_engine_flush (fixture->engine);
  g_assert_true (orderly_ui_wait_for_frames (window, 2, 5000));
  g_assert_cmpint (orderly_status_get_phase (orderly_engine_get_status (fixture->engine)), ==,
                   ORDERLY_PHASE_DONE);
  g_assert_false (gtk_widget_get_visible (failed_row));
  g_assert_false (gtk_widget_get_sensitive (retry));
}

static gboolean
popover_shown (gpointer popover)
{
  return gtk_widget_get_mapped (popover);
}

static gboolean
press_key (GtkWidget       *widget,
           guint            keyval,
           GdkModifierType  state)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);
  gboolean handled = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers) && !handled; i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_KEY (controller) &&
          gtk_event_controller_get_propagation_phase (controller) == GTK_PHASE_CAPTURE)
        g_signal_emit_by_name (controller, "key-pressed", keyval, 0, state, &handled);
    }
  return handled;
}

/* The New Run popover: the quantity reads grouped, presets fill it in,
 * typed text counts, and Enter or Ctrl+Return start the run. */
static void
test_window_new_run_popover (OrderlyUiFixture *fixture,
                             gconstpointer     user_data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  GtkWidget *popover = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "start_popover");
  GtkSpinButton *spin = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "quantity_spin");
  GtkSpinButton *vip_spin = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "vip_share_spin");
  OrderlyStatus *status = orderly_engine_get_status (fixture->engine);

  g_assert_true (gtk_widget_activate_action (window, "win.new-run", NULL));
  g_assert_true (orderly_ui_wait_until (popover_shown, popover, 5000));

  g_assert_true (gtk_widget_activate_action (window, "win.preset-quantity", "x", (gint64) 1000000));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (spin)), ==, "1,000,000");
  g_assert_true (gtk_widget_activate_action (window, "win.preset-quantity", "x", (gint64) 10000));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (spin)), ==, "10,000");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (vip_spin)), ==, "5%");

  /* Typed, not yet committed, then Enter in the field. */
  gtk_widget_grab_focus (GTK_WIDGET (spin));
  gtk_editable_set_text (GTK_EDITABLE (spin), "2,500");
  gtk_editable_set_text (GTK_EDITABLE (vip_spin), "20%");
  g_assert_true (press_key (popover, GDK_KEY_Return, 0));
  g_assert_true (orderly_engine_is_running (fixture->engine));
  g_assert_false (gtk_widget_get_visible (popover));
  g_assert_true (orderly_ui_wait_until (orderly_ui_phase_finished, fixture->engine, 60000));
  g_assert_cmpint (orderly_status_get_data (status)->target, ==, 2500);
  {
    g_autoptr(GPtrArray) runs = orderly_engine_list_runs (fixture->engine, 1, NULL);
    const OrderlyRunRecord *run = g_ptr_array_index (runs, 0);

    g_assert_cmpfloat_with_epsilon (run->vip_share, 0.20, 1e-9);
  }
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (spin)), ==, "2,500");

  /* K and M are understood; Ctrl+Return starts from anywhere in it. */
  g_assert_true (gtk_widget_activate_action (window, "win.new-run", NULL));
  g_assert_true (orderly_ui_wait_until (popover_shown, popover, 5000));
  gtk_editable_set_text (GTK_EDITABLE (spin), "3k");
  gtk_widget_grab_focus (GTK_WIDGET (orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "start_run_button")));
  g_assert_false (press_key (popover, GDK_KEY_Return, 0));
  g_assert_true (press_key (popover, GDK_KEY_Return, GDK_CONTROL_MASK));
  g_assert_true (orderly_ui_wait_until (orderly_ui_phase_finished, fixture->engine, 60000));
  g_assert_cmpint (orderly_status_get_data (status)->target, ==, 3000);
}

static GtkWindow *
open_preferences (OrderlyUiFixture *fixture)
{
  GtkWindow *preferences = NULL;
  GList *windows;

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "preferences", NULL);
  windows = gtk_window_list_toplevels ();
  for (GList *l = windows; l != NULL; l = l->next)
    if (ADW_IS_PREFERENCES_WINDOW (l->data))
      preferences = l->data;
  g_list_free (windows);
  g_assert_nonnull (preferences);
  g_assert_true (orderly_ui_wait_for_frames (GTK_WIDGET (preferences), 2, 5000));
  return g_object_ref (preferences);
}

static const char * const in_effect_command_line[] = {
  "orderly", "--work-us", "20", "--failure-rate", "0.25", "--port", "0", NULL
};

/* Preferences show the values in effect: what the command line gave, marked
 * as such, and the port the server really listens on. */
static void
test_window_preferences_in_effect (OrderlyUiFixture *fixture,
                                   gconstpointer     user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyServer) server = NULL;
  g_autoptr(GSettings) settings = g_object_ref (orderly_application_get_settings (fixture->app));
  g_autofree char *listening = NULL;
  GtkWindow *preferences;
  GtkAdjustment *work_us, *failure_rate;
  AdwActionRow *work_us_row, *failure_rate_row, *port_row;
  guint stored;

  server = orderly_server_new (fixture->engine, fixture->remote, &error);
  g_assert_no_error (error);
  g_assert_true (orderly_server_start (server, &error));
  g_assert_cmpint (orderly_engine_get_work_us (fixture->engine), ==, 20);
  stored = g_settings_get_uint (settings, "work-us");
  g_assert_cmpuint (stored, !=, 20);

  preferences = open_preferences (fixture);
  work_us = orderly_ui_get_child (preferences, G_OBJECT_TYPE (preferences), "work_us_adjustment");
  work_us_row = orderly_ui_get_child (preferences, G_OBJECT_TYPE (preferences), "work_us_row");
  failure_rate = orderly_ui_get_child (preferences, G_OBJECT_TYPE (preferences), "failure_rate_adjustment");
  failure_rate_row = orderly_ui_get_child (preferences, G_OBJECT_TYPE (preferences), "failure_rate_row");
  port_row = orderly_ui_get_child (preferences, G_OBJECT_TYPE (preferences), "port_row");

  /* Shown, not stored: what is stored is what earlier tests of this process left. */
  g_assert_cmpfloat (gtk_adjustment_get_value (work_us), ==, 20);
  g_assert_cmpuint (g_settings_get_uint (settings, "work-us"), ==, stored);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (work_us_row), "Set by --work-us on the command line"));
  listening = g_strdup_printf ("Listening on port %u", orderly_server_get_port (server));
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (port_row), listening));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (port_row), "Set by --port on the command line"));

  /* Changed here, the operator's value wins and is kept. */
  gtk_adjustment_set_value (work_us, 35);
  orderly_ui_spin (50);
  g_assert_cmpuint (g_settings_get_uint (settings, "work-us"), ==, 35);
  g_assert_cmpint (orderly_engine_get_work_us (fixture->engine), ==, 35);
  g_assert_null (strstr (adw_action_row_get_subtitle (work_us_row), "command line"));
  gtk_adjustment_set_value (work_us, 40);
  orderly_ui_spin (50);
  g_assert_cmpint (orderly_engine_get_work_us (fixture->engine), ==, 40);

  /* The failure rate too, in percent, stored as a share. */
  g_assert_cmpfloat (orderly_engine_get_failure_rate (fixture->engine), ==, 0.25);
  g_assert_cmpfloat (gtk_adjustment_get_value (failure_rate), ==, 25);
  g_assert_cmpfloat (g_settings_get_double (settings, "failure-rate"), !=, 0.25);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (failure_rate_row),
                            "Set by --failure-rate on the command line"));
  gtk_adjustment_set_value (failure_rate, 10);
  orderly_ui_spin (50);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "failure-rate"), 0.1, 1e-9);
  g_assert_cmpfloat_with_epsilon (orderly_engine_get_failure_rate (fixture->engine), 0.1, 1e-9);
  g_assert_null (strstr (adw_action_row_get_subtitle (failure_rate_row), "command line"));
  gtk_adjustment_set_value (failure_rate, 0);
  orderly_ui_spin (50);
  g_assert_cmpfloat (orderly_engine_get_failure_rate (fixture->engine), ==, 0);

  gtk_window_destroy (preferences);
  orderly_ui_spin (20);
  g_assert_finalize_object (preferences);
  orderly_server_stop (server);
  g_object_run_dispose (G_OBJECT (server));
}

static gboolean
is_narrow (gpointer window)
{
  gboolean narrow;

  g_object_get (window, "narrow", &narrow, NULL);
  return narrow;
}

static gboolean
is_wide (gpointer window)
{
  return !is_narrow (window);
}

/* The window goes down to 360 px: the header keeps icons, the log keeps the
 * time and the message, the history keeps what fits, and nothing needs more
 * room than that. */
static void
test_window_narrow (OrderlyUiFixture *fixture,
                    gconstpointer     user_data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  OrderlyLogsPage *logs = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "logs_page");
  OrderlyHistoryPage *history = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "history_page");
  GtkColumnViewColumn *level = orderly_ui_get_child (logs, ORDERLY_TYPE_LOGS_PAGE, "level_column");
  GtkColumnViewColumn *category = orderly_ui_get_child (logs, ORDERLY_TYPE_LOGS_PAGE, "category_column");
  GtkColumnViewColumn *message = orderly_ui_get_child (logs, ORDERLY_TYPE_LOGS_PAGE, "message_column");
  GtkColumnViewColumn *started = orderly_ui_get_child (history, ORDERLY_TYPE_HISTORY_PAGE, "started_column");
  GtkColumnViewColumn *steps = orderly_ui_get_child (history, ORDERLY_TYPE_HISTORY_PAGE, "steps_column");
  GtkScrolledWindow *history_scroller = orderly_ui_get_child (history, ORDERLY_TYPE_HISTORY_PAGE, "scroller");
  GtkAdjustment *quantity = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "quantity_adjustment");
  static const char *pages[] = { "overview", "logs", "remote", "history" };
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
  int minimum;

  /* A run, so that every page has its figures. */
  gtk_adjustment_set_value (quantity, 2000);
  g_assert_true (gtk_widget_activate_action (window, "win.start", NULL));
  g_assert_true (orderly_ui_wait_until (orderly_ui_phase_finished, fixture->engine, 60000));

  g_assert_false (is_narrow (window));
  g_assert_true (gtk_column_view_column_get_visible (level));
  g_assert_true (gtk_column_view_column_get_visible (steps));

  gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
  g_assert_true (orderly_ui_wait_until (is_narrow, window, 5000));
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      gtk_widget_activate_action (window, "win.show-page", "s", pages[i]);
      g_assert_true (orderly_ui_wait_for_frames (window, 3, 5000));
      gtk_widget_measure (window, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
      g_test_message ("%s: window %d px wide, at least %d", pages[i], gdk_surface_get_width (surface), minimum);
      g_assert_cmpint (minimum, <=, 360);
      g_assert_cmpint (gdk_surface_get_width (surface), ==, 360);
    }

  /* The log keeps the time and the message; the history what fits. */
  g_assert_false (gtk_column_view_column_get_visible (level));
  g_assert_false (gtk_column_view_column_get_visible (category));
  g_assert_true (gtk_column_view_column_get_visible (message));
  g_assert_false (gtk_column_view_column_get_visible (started));
  g_assert_false (gtk_column_view_column_get_visible (steps));
  {
    GtkAdjustment *sideways = gtk_scrolled_window_get_hadjustment (history_scroller);

    g_assert_cmpfloat (gtk_adjustment_get_upper (sideways), <=, gtk_adjustment_get_page_size (sideways) + 1);
  }

  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  g_assert_true (orderly_ui_wait_until (is_wide, window, 5000));
  g_assert_true (gtk_column_view_column_get_visible (level));
  g_assert_true (gtk_column_view_column_get_visible (steps));
}

static gboolean
normal_orders_flow (gpointer engine)
{
  const OrderlyStatusData *data = orderly_status_get_data (orderly_engine_get_status (engine));

  return data->phase == ORDERLY_PHASE_WAITING_NORMAL_DRAIN && data->normal_processed > 0;
}

/* How many lines @cell needs for all of its text at its width. */
static int
lines_needed (GtkInscription *cell)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (cell),
                                                                  gtk_inscription_get_text (cell));

  pango_layout_set_width (layout, gtk_widget_get_width (GTK_WIDGET (cell)) * PANGO_SCALE);
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  return pango_layout_get_line_count (layout);
}

/* No label says an engine's name for a thing (“WAITING_VIP_DRAIN”), or a
 * count of thousands without its groups (“1000000”); a port or an address
 * keeps its digits as they are. */
static void
assert_speaks_plainly (GtkWidget *widget)
{
  g_autoptr(GPtrArray) labels = orderly_ui_find_shown (widget, GTK_TYPE_LABEL);
  g_autoptr(GRegex) internal = g_regex_new ("\\b[A-Z]{2,}_[A-Z_]{2,}\\b", 0, 0, NULL);
  g_autoptr(GRegex) ungrouped = g_regex_new ("(?<![\\d,.:/])\\d{5,}(?![\\d,])", 0, 0, NULL);

  for (guint i = 0; i < labels->len; i++)
    {
      const char *text = gtk_label_get_text (g_ptr_array_index (labels, i));

      if (g_regex_match (internal, text, 0, NULL) || g_regex_match (ungrouped, text, 0, NULL))
        g_test_message ("said in the engine's words: %s", text);
      g_assert_false (g_regex_match (internal, text, 0, NULL));
      g_assert_false (g_regex_match (ungrouped, text, 0, NULL));
    }
}

/* Every page of a narrow window shows its text whole, whatever the run
 * shows: a long result in the history, the report of a run with failed
 * orders, the details of remote clients, the New Run popover; and a log
 * line of the length the wide table is made for reads whole. */
static void
assert_page_fits (OrderlyUiFixture *fixture,
                  const char       *page)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  GtkWidget *stack = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "view_stack");
  GtkWidget *bar = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "switcher_bar");
  g_autoptr(GPtrArray) cut = NULL;
  g_autoptr(GPtrArray) bar_cut = NULL;
  int minimum;

  gtk_widget_activate_action (window, "win.show-page", "s", page);
  g_assert_true (orderly_ui_wait_for_frames (window, 3, 5000));
  gtk_widget_measure (stack, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  g_test_message ("%s: the pages need %d px", page, minimum);
  g_assert_cmpint (minimum, <=, 360);
  gtk_widget_measure (window, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  g_test_message ("%s: the window needs %d px", page, minimum);
  g_assert_cmpint (minimum, <=, 360);
  cut = orderly_ui_find_cut_text (stack);
  bar_cut = orderly_ui_find_cut_text (bar);
  for (guint i = 0; i < cut->len; i++)
    g_test_message ("%s: cut off: %s", page, (const char *) g_ptr_array_index (cut, i));
  for (guint i = 0; i < bar_cut->len; i++)
    g_test_message ("bottom bar: cut off: %s", (const char *) g_ptr_array_index (bar_cut, i));
  g_assert_cmpuint (cut->len, ==, 0);
  g_assert_cmpuint (bar_cut->len, ==, 0);
  assert_speaks_plainly (stack);
  /* Nor is the history wider than the window, to be scrolled sideways. */
  if (g_str_equal (page, "history"))
    {
      OrderlyHistoryPage *history = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "history_page");
      GtkScrolledWindow *scroller = orderly_ui_get_child (history, ORDERLY_TYPE_HISTORY_PAGE, "scroller");
      GtkAdjustment *sideways = gtk_scrolled_window_get_hadjustment (scroller);

      g_test_message ("history: %.0f px wide in %.0f", gtk_adjustment_get_upper (sideways),
                      gtk_adjustment_get_page_size (sideways));
      g_assert_cmpfloat (gtk_adjustment_get_upper (sideways), <=, gtk_adjustment_get_page_size (sideways) + 1);
    }
}

static void
test_window_narrow_fits (OrderlyUiFixture *fixture,
                         gconstpointer     user_data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  GtkAdjustment *quantity = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "quantity_adjustment");
  OrderlyLogsPage *logs = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "logs_page");
  GtkWidget *popover = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "start_popover");
  static const char *pages[] = { "overview", "logs", "remote", "history" };
  g_autoptr(OrderlyClient) browser = orderly_client_new ("a1", "127.0.0.1", "websocket", "operator",
                                                         "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) "
                                                         "Gecko/20100101 Firefox/128.0");
  g_autoptr(OrderlyClient) node = orderly_client_new ("b2", "192.168.1.20", "socket.io/websocket", "viewer",
                                                      "node-XMLHttpRequest, socket.io-client/4.8");
  g_autoptr(GPtrArray) cells = NULL;
  guint checked = 0;
  GtkSettings *settings = gtk_settings_get_default ();
  g_autofree char *layout = NULL;

  /* The title bar as GNOME lays it out, a close button alone: with three
   * window buttons as well, the header of a run needs a few pixels more. */
  g_object_get (settings, "gtk-decoration-layout", &layout, NULL);
  g_object_set (settings, "gtk-decoration-layout", ":close", NULL);

  orderly_client_set_counters (browser, 1234, 0);
  orderly_client_set_counters (node, 880, 17);
  orderly_remote_add_client (fixture->remote, browser);
  orderly_remote_add_client (fixture->remote, node);
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
  g_assert_true (orderly_ui_wait_until (is_narrow, window, 5000));

  /* During a run. */
  orderly_engine_set_work_us (fixture->engine, 300);
  orderly_engine_set_workers (fixture->engine, 4);
  gtk_adjustment_set_value (quantity, 400000);
  g_assert_true (gtk_widget_activate_action (window, "win.start", NULL));
  g_assert_true (orderly_ui_wait_until (normal_orders_flow, fixture->engine, 60000));
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    assert_page_fits (fixture, pages[i]);

  /* The log's lines, at most as long as the wide table shows whole. */
  gtk_widget_activate_action (window, "win.show-page", "s", "logs");
  g_assert_true (orderly_ui_wait_for_frames (window, 3, 5000));
  cells = orderly_ui_find_shown (GTK_WIDGET (logs), GTK_TYPE_INSCRIPTION);
  for (guint i = 0; i < cells->len; i++)
    {
      GtkInscription *cell = g_ptr_array_index (cells, i);
      const char *text = gtk_inscription_get_text (cell);

      if (text == NULL || g_utf8_strlen (text, -1) > 60)
        continue;
      if (lines_needed (cell) > (int) MAX (gtk_inscription_get_nat_lines (cell), 1))
        g_test_message ("log line cut off: %s", text);
      g_assert_cmpint (lines_needed (cell), <=, MAX (gtk_inscription_get_nat_lines (cell), 1));
      checked++;
    }
  g_assert_cmpuint (checked, >, 10);

  orderly_engine_cancel (fixture->engine);
  g_assert_true (orderly_ui_wait_until (orderly_ui_phase_finished, fixture->engine, 30000));

  /* A run that ended with failed orders: its report. */
  orderly_engine_set_work_us (fixture->engine, 0);
  orderly_engine_set_failure_rate (fixture->engine, 0.1);
  orderly_engine_set_retry_backoff_ms (fixture->engine, 20);
  gtk_adjustment_set_value (quantity, 5000);
  g_assert_true (gtk_widget_activate_action (window, "win.start", NULL));
  g_assert_true (orderly_ui_wait_until (orderly_ui_phase_finished, fixture->engine, 60000));
  g_assert_true (orderly_ui_wait_until (failures_settled, fixture->engine, 60000));
  orderly_engine_flush (fixture->engine);
  g_assert_cmpint (orderly_status_get_data (orderly_engine_get_status (fixture->engine))->failed_total, >, 0);
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    assert_page_fits (fixture, pages[i]);

  /* The New Run popover fits the window. */
  g_assert_true (gtk_widget_activate_action (window, "win.new-run", NULL));
  g_assert_true (orderly_ui_wait_until (popover_shown, popover, 5000));
  g_assert_true (orderly_ui_wait_for_frames (popover, 2, 5000));
  {
    GtkWidget *content = gtk_popover_get_child (GTK_POPOVER (popover));
    int minimum;

    gtk_widget_measure (content, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
    g_test_message ("the New Run popover needs %d px", minimum);
    /* With the popover's own padding and the room GTK keeps at the edges. */
    g_assert_cmpint (minimum, <=, 360 - 2 * 24);
  }
  gtk_popover_popdown (GTK_POPOVER (popover));

  orderly_remote_remove_client (fixture->remote, browser);
  orderly_remote_remove_client (fixture->remote, node);
  g_object_set (settings, "gtk-decoration-layout", layout, NULL);
}

/* Closing during a run asks first; keeping it running keeps the window. */
static void
test_window_close_asks (OrderlyUiFixture *fixture,
                        gconstpointer     user_data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  GtkAdjustment *quantity = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "quantity_adjustment");
  AdwMessageDialog *dialog;

  orderly_engine_set_work_us (fixture->engine, 2000);
  gtk_adjustment_set_value (quantity, 100000);
  g_assert_true (gtk_widget_activate_action (window, "win.start", NULL));
  gtk_window_close (GTK_WINDOW (window));
  orderly_ui_spin (50);
  g_assert_true (gtk_widget_get_visible (window));

  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  adw_message_dialog_response (dialog, "cancel");
  orderly_ui_spin (50);
  g_assert_true (gtk_widget_get_visible (window));
  g_assert_true (orderly_engine_is_running (fixture->engine));

  orderly_engine_cancel (fixture->engine);
  g_assert_true (orderly_ui_wait_until (orderly_ui_phase_finished, fixture->engine, 30000));
}

static gboolean
window_inactive (gpointer window)
{
  return !gtk_window_is_active (window);
}

static gboolean
notified (gpointer data)
{
  return orderly_ui_notifications_count () > GPOINTER_TO_UINT (data);
}

/* A run that ends while the window is in the background is announced with
 * a desktop notification; one that ends in front of the operator is not. */
static void
test_window_notification (OrderlyUiFixture *fixture,
                          gconstpointer     user_data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  GtkWidget *other;
  guint before = orderly_ui_notifications_count ();

  other = gtk_window_new ();
  gtk_window_present (GTK_WINDOW (other));
  if (!orderly_ui_wait_until (window_inactive, window, 3000))
    {
      gtk_window_destroy (GTK_WINDOW (other));
      g_test_skip ("the display does not move the focus between windows");
      return;
    }

  g_assert_true (gtk_widget_activate_action (window, "win.start", NULL));
  g_assert_true (orderly_ui_wait_until (orderly_ui_phase_finished, fixture->engine, 60000));
  g_assert_true (orderly_ui_wait_until (notified, GUINT_TO_POINTER (before), 5000));
  g_assert_cmpstr (orderly_ui_notifications_last (), ==, "Run Done");
  g_assert_nonnull (strstr (orderly_ui_notifications_last_actions (), "Show Report"));

  gtk_window_destroy (GTK_WINDOW (other));
}

static gboolean
portal_asked (gpointer data)
{
  return orderly_ui_portal_requests () > GPOINTER_TO_UINT (data) && orderly_ui_portal_status () != NULL;
}

static OrderlyWindow *
find_window (OrderlyApplication *app)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    if (ORDERLY_IS_WINDOW (l->data))
      return l->data;
  return NULL;
}

static gboolean
no_window (gpointer app)
{
  return find_window (app) == NULL;
}

/* Closed during a run, the window can let the run go on in the background:
 * the portal hears of it, and when the run is done a notification brings
 * the window back on its report. */
static void
test_window_background (OrderlyUiFixture *fixture,
                        gconstpointer     user_data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  GtkAdjustment *quantity = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "quantity_adjustment");
  guint requests, notifications = orderly_ui_notifications_count ();
  const OrderlyStatusData *data = orderly_status_get_data (orderly_engine_get_status (fixture->engine));
  OrderlyWindow *back;
  AdwMessageDialog *dialog;

  orderly_ui_portal_start ();
  requests = orderly_ui_portal_requests ();
  orderly_engine_set_work_us (fixture->engine, 300);
  gtk_adjustment_set_value (quantity, 8000);
  g_assert_true (gtk_widget_activate_action (window, "win.start", NULL));
  gtk_window_close (GTK_WINDOW (window));
  orderly_ui_spin (50);
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "background");
  adw_message_dialog_response (dialog, "background");
  g_assert_true (orderly_ui_wait_until (no_window, fixture->app, 5000));
  g_assert_true (orderly_application_get_in_background (fixture->app));
  g_assert_true (orderly_engine_is_running (fixture->engine));
  g_assert_true (orderly_ui_wait_until (portal_asked, GUINT_TO_POINTER (requests), 5000));
  g_assert_nonnull (strstr (orderly_ui_portal_reason (), "window closed"));
  g_assert_true (g_str_has_prefix (orderly_ui_portal_status (), "Run "));

  g_assert_true (orderly_ui_wait_until (orderly_ui_phase_finished, fixture->engine, 60000));
  g_assert_true (orderly_ui_wait_until (notified, GUINT_TO_POINTER (notifications), 5000));
  g_assert_cmpstr (orderly_ui_notifications_last (), ==, "Run Done");
  g_assert_false (orderly_application_get_in_background (fixture->app));

  /* The notification's action: the window again, on the run's report. */
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "show-report",
                                  g_variant_new_int64 (data->run_id));
  back = find_window (fixture->app);
  g_assert_nonnull (back);
  g_assert_true (orderly_ui_wait_for_frames (GTK_WIDGET (back), 2, 5000));
  {
    OrderlyOverviewPage *overview = orderly_ui_get_child (back, ORDERLY_TYPE_WINDOW, "overview_page");
    AdwViewStack *stack = orderly_ui_get_child (back, ORDERLY_TYPE_WINDOW, "view_stack");

    g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, "overview");
    g_assert_true (gtk_widget_get_visible (orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE,
                                                                  "report_group")));
  }
}

static gboolean
cluster_shown (gpointer view)
{
  return gtk_widget_get_mapped (view) && gtk_list_box_get_row_at_index (orderly_cluster_view_get_list (view), 2);
}

/* The instances that share the database: hidden while this one is alone,
 * then each with its host, workers, rate and heartbeat, this one marked,
 * a quiet one marked as such; a log line from another instance is tagged
 * with it. */
static void
test_window_cluster (OrderlyUiFixture *fixture,
                     gconstpointer     user_data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  OrderlyOverviewPage *overview = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "overview_page");
  OrderlyClusterView *view = orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE, "cluster_view");
  GtkAdjustment *quantity = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "quantity_adjustment");
  OrderlyCluster *cluster = orderly_status_get_cluster (orderly_engine_get_status (fixture->engine));
  gint64 now = g_get_real_time ();
  const OrderlyInstanceInfo peers[] = {
    { "b0b0b0b0-busy", "node-b", 4, 12345.0, 1000, now, FALSE },
    { "c0c0c0c0-quiet", "node-c", 2, 0, 10, now - 30 * G_USEC_PER_SEC, TRUE },
  };
  CountWait wait = { NULL, 1 };
  GtkListBox *list;
  AdwActionRow *busy, *quiet;

  g_assert_nonnull (cluster);
  gtk_adjustment_set_value (quantity, 1000);
  g_assert_true (gtk_widget_activate_action (window, "win.start", NULL));
  g_assert_true (orderly_ui_wait_until (orderly_ui_phase_finished, fixture->engine, 60000));
  g_assert_true (orderly_ui_wait_for_frames (window, 2, 5000));
  g_assert_true (orderly_cluster_view_get_cluster (view) == cluster);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (view)));

  orderly_cluster_set_peers (cluster, peers, G_N_ELEMENTS (peers));
  orderly_cluster_set_shared (cluster, TRUE);
  g_assert_true (orderly_ui_wait_until (cluster_shown, view, 5000));
  list = orderly_cluster_view_get_list (view);
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (gtk_list_box_get_row_at_index (list, 0)), "this-instance"));
  busy = ADW_ACTION_ROW (gtk_list_box_get_row_at_index (list, 1));
  quiet = ADW_ACTION_ROW (gtk_list_box_get_row_at_index (list, 2));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (busy)), ==, "node-b");
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (busy), "b0b0b0b0 · 4 workers · heartbeat "));
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (busy), "quiet"));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (quiet), "quiet"));
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (quiet), "c0c0c0c0 · quiet since "));

  /* The busy one goes quiet too: its row says so. */
  {
    OrderlyInstanceInfo later[] = { peers[0], peers[1] };

    later[0].quiet = TRUE;
    orderly_cluster_set_peers (cluster, later, G_N_ELEMENTS (later));
  }
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (busy), "quiet"));

  /* A line from another instance is found by its id. */
  {
    OrderlyLogsPage *logs = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "logs_page");
    g_autoptr(OrderlyLogRecord) record = orderly_log_record_new (ORDERLY_LOG_LEVEL_LOG, "engine",
                                                                 "Processed 10 orders elsewhere", NULL);
    g_autoptr(OrderlyLogEntry) entry = NULL;

    record->instance = g_strdup ("c0c0c0c0-quiet");
    entry = orderly_log_entry_new_from_record (record);
    record = NULL;
    orderly_log_store_append (orderly_engine_get_log_store (fixture->engine), &entry, 1);
    /* A flood reaches the table at most twice a second. */
    g_assert_true (gtk_widget_activate_action (window, "win.show-page", "s", "logs"));
    orderly_logs_page_set_search (logs, "c0c0c0c0");
    wait.model = orderly_logs_page_get_shown (logs);
    g_assert_true (orderly_ui_wait_until (count_is, &wait, 5000));
    orderly_logs_page_set_search (logs, NULL);
    g_assert_true (gtk_widget_activate_action (window, "win.show-page", "s", "overview"));
  }

  orderly_cluster_set_shared (cluster, FALSE);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (view)));
}

/* A window that ran a run, showed every page and closed leaves nothing
 * behind: the fixture's teardown checks that it and the application are
 * finalized, and so are the engine and the remote-access model. */
static void
test_window_no_leaks (OrderlyUiFixture *fixture,
                      gconstpointer     user_data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  static const char *pages[] = { "overview", "logs", "remote", "history" };

  g_assert_true (gtk_widget_activate_action (window, "win.start", NULL));
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      gtk_widget_activate_action (window, "win.show-page", "s", pages[i]);
      g_assert_true (orderly_ui_wait_for_frames (window, 2, 5000));
    }
  g_assert_true (orderly_ui_wait_until (orderly_ui_phase_finished, fixture->engine, 60000));
  orderly_ui_fixture_close_window (fixture);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/orderly/window/" path, OrderlyUiFixture, NULL, \
              orderly_ui_fixture_set_up, func, orderly_ui_fixture_tear_down)

  ADD ("draws", test_window_draws);
  ADD ("run-to-done", test_window_run_to_done);
  ADD ("cancel", test_window_cancel);
  ADD ("resume", test_window_resume);
  ADD ("log-filters", test_window_log_filters);
  ADD ("log-follow", test_window_log_follow);
  ADD ("remote-clients", test_window_remote_clients);
  ADD ("preferences", test_window_preferences);
  ADD ("close-asks", test_window_close_asks);
  ADD ("port-busy", test_window_port_busy);
  ADD ("suggested-action", test_window_suggested_action);
  ADD ("failures", test_window_failures);
  ADD ("new-run-popover", test_window_new_run_popover);
  ADD ("narrow", test_window_narrow);
  ADD ("narrow-fits", test_window_narrow_fits);
  g_test_add ("/orderly/window/preferences-in-effect", OrderlyUiFixture, in_effect_command_line,
              orderly_ui_fixture_set_up, test_window_preferences_in_effect, orderly_ui_fixture_tear_down);
  ADD ("cluster", test_window_cluster);
  ADD ("notification", test_window_notification);
  ADD ("background", test_window_background);
  ADD ("no-leaks", test_window_no_leaks);

#undef ADD

  return g_test_run ();
}
