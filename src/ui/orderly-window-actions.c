/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-ui"

#include "config.h"

#include "orderly-window-private.h"

#include <glib/gi18n.h>

#include "orderly-format.h"

/*
 * The window's actions. Which of them can be used follows the engine's phase
 * and is decided in one place, _orderly_window_update_actions().
 */

static void
show_error (OrderlyWindow *self,
            const char    *what,
            const GError  *error)
{
  g_autofree char *message = g_strdup_printf ("%s: %s", what, error->message);

  orderly_window_add_toast (self, message);
}

static void
new_run_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  OrderlyWindow *self = ORDERLY_WINDOW (widget);

  gtk_menu_button_popup (self->start_button);
}

/* The engine does the work of the actions below off the main loop; the
 * window hears back in these callbacks, holding a reference meanwhile. */
static void
started_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(OrderlyWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!orderly_engine_start_run_finish (ORDERLY_ENGINE (object), result, NULL, &error))
    show_error (self, _("The run could not start"), error);
}

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  OrderlyWindow *self = ORDERLY_WINDOW (widget);
  OrderlyRunRequest request = { 0 };

  /* What was typed counts, even before the field lost the focus. */
  gtk_spin_button_update (self->quantity_spin);
  gtk_spin_button_update (self->vip_share_spin);
  request.quantity = (gint64) gtk_adjustment_get_value (self->quantity_adjustment);
  request.vip_share = gtk_adjustment_get_value (self->vip_share_adjustment) / 100.0;
  request.force = gtk_check_button_get_active (self->force_check);

  gtk_popover_popdown (self->start_popover);
  orderly_engine_start_run_async (self->engine, &request, NULL, started_cb, g_object_ref (self));
  gtk_check_button_set_active (self->force_check, FALSE);
  orderly_window_show_page (self, "overview");
}

static void
preset_quantity_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  OrderlyWindow *self = ORDERLY_WINDOW (widget);

  gtk_adjustment_set_value (self->quantity_adjustment, (double) g_variant_get_int64 (parameter));
}

static void
choose_port_response_cb (OrderlyWindow    *self,
                         const char       *response,
                         AdwMessageDialog *dialog)
{
  GtkSpinButton *spin = GTK_SPIN_BUTTON (adw_message_dialog_get_extra_child (dialog));
  guint port;

  if (g_strcmp0 (response, "listen") != 0)
    return;
  gtk_spin_button_update (spin);
  port = (guint) gtk_spin_button_get_value (spin);
  if (port == orderly_remote_get_port (self->remote))
    /* The same port again: the program that held it may have let it go. */
    g_object_notify (G_OBJECT (self->remote), "port");
  else
    g_settings_set_uint (self->settings, "port", port);
}

static void
choose_port_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  OrderlyWindow *self = ORDERLY_WINDOW (widget);
  AdwMessageDialog *dialog;
  GtkWidget *spin;
  const char *reason = orderly_remote_get_error_message (self->remote);

  spin = gtk_spin_button_new_with_range (0, 65535, 1);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), orderly_remote_get_port (self->remote));
  gtk_widget_set_halign (spin, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Port"), -1);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Choose a Port"), NULL));
  adw_message_dialog_format_body (dialog, "%s%s%s",
                                  reason != NULL ? reason : "", reason != NULL ? "\n\n" : "",
                                  _("Browsers reach Orderly on this port. 0 lets the system pick a free one."));
  adw_message_dialog_set_extra_child (dialog, spin);
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "listen", _("_Listen"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "listen", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "listen");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (choose_port_response_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  OrderlyWindow *self = ORDERLY_WINDOW (widget);

  orderly_engine_cancel_async (self->engine, NULL, NULL, NULL);
}

static void
resumed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(OrderlyWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!orderly_engine_resume_finish (ORDERLY_ENGINE (object), result, &error))
    show_error (self, _("The run could not be resumed"), error);
}

static void
resume_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  OrderlyWindow *self = ORDERLY_WINDOW (widget);

  orderly_engine_resume_async (self->engine, NULL, resumed_cb, g_object_ref (self));
}

static void
pause_queue_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  OrderlyWindow *self = ORDERLY_WINDOW (widget);

  orderly_engine_pause_queue (self->engine);
}

static void
resume_queue_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  OrderlyWindow *self = ORDERLY_WINDOW (widget);

  orderly_engine_resume_queue (self->engine);
}

static void
retried_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(OrderlyWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *count = NULL;
  g_autofree char *message = NULL;
  gint64 requeued;

  requeued = orderly_engine_retry_failed_finish (ORDERLY_ENGINE (object), result, &error);
  if (requeued < 0)
    {
      show_error (self, _("The failed orders were not retried"), error);
      return;
    }
  count = orderly_format_count (requeued);
  /* Translators: a confirmation after Retry Failed, e.g. “12 failed orders are back in the queue” */
  message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s failed order is back in the queue",
                                          "%s failed orders are back in the queue", requeued),
                             count);
  orderly_window_add_toast (self, message);
}

static void
retry_failed_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  OrderlyWindow *self = ORDERLY_WINDOW (widget);

  orderly_engine_retry_failed_async (self->engine, 0, NULL, retried_cb, g_object_ref (self));
}

static void
reset_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(OrderlyWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  g_autofree char *orders = NULL;
  g_autofree char *runs = NULL;
  OrderlyResetInfo info;

  if (!orderly_engine_reset_finish (ORDERLY_ENGINE (object), result, &info, &error))
    {
      show_error (self, _("Nothing was deleted"), error);
      return;
    }
  orders = orderly_format_count (info.deleted_orders);
  runs = orderly_format_count (info.deleted_runs);
  /* Translators: a confirmation after Reset, e.g. “Deleted 1,000 orders and 3 runs” */
  message = g_strdup_printf (_("Deleted %s orders and %s runs"), orders, runs);
  orderly_window_add_toast (self, message);
}

static void
reset_response_cb (OrderlyWindow    *self,
                   const char       *response,
                   AdwMessageDialog *dialog)
{
  if (g_strcmp0 (response, "reset") != 0)
    return;
  orderly_engine_reset_async (self->engine, NULL, reset_cb, g_object_ref (self));
}

static void
reset_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  OrderlyWindow *self = ORDERLY_WINDOW (widget);
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Delete All Orders and Runs?"),
                                                       _("Every stored order and the history of past runs are deleted. This cannot be undone.")));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "reset", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "reset", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (reset_response_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  OrderlyWindow *self = ORDERLY_WINDOW (widget);

  orderly_window_show_page (self, "logs");
  orderly_logs_page_start_search (self->logs_page);
}

static void
show_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  orderly_window_show_page (ORDERLY_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
toast_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  orderly_window_add_toast (ORDERLY_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
set_suggested (GtkWidget *widget,
               gboolean   suggested)
{
  if (suggested)
    gtk_widget_add_css_class (widget, "suggested-action");
  else
    gtk_widget_remove_css_class (widget, "suggested-action");
}

void
_orderly_window_update_actions (OrderlyWindow *self)
{
  const OrderlyStatusData *data;
  OrderlyPhase phase;
  gboolean running;
  gboolean paused;
  gboolean force;

  g_assert (ORDERLY_IS_WINDOW (self));

  if (self->engine == NULL)
    return;

  data = orderly_status_get_data (orderly_engine_get_status (self->engine));
  phase = data->phase;
  running = orderly_engine_is_running (self->engine);
  paused = orderly_engine_is_paused (self->engine);
  force = gtk_check_button_get_active (self->force_check);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.start", !running || force);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.reset", !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.resume",
                                 !running && phase == ORDERLY_PHASE_INTERRUPTED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.pause-queue", running && !paused);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.resume-queue", paused);
  /* A cancelled or failed run does not go on: nothing would process them. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.retry-failed",
                                 data->failed_total > 0 && phase != ORDERLY_PHASE_ABORTED &&
                                 phase != ORDERLY_PHASE_ERROR);
  gtk_widget_set_visible (self->pause_button, running && !paused);
  gtk_widget_set_visible (self->resume_queue_button, paused);

  /* One suggested action per state: New Run when nothing is going, except
   * on the first visit, where the overview's own button is the one; Resume
   * when a run was interrupted, or when the queue is paused; none while a
   * run goes. */
  set_suggested (GTK_WIDGET (self->start_button),
                 !running && !paused && phase != ORDERLY_PHASE_INTERRUPTED &&
                 !(phase == ORDERLY_PHASE_IDLE && data->run_id == 0));
  set_suggested (self->resume_queue_button, paused && phase != ORDERLY_PHASE_INTERRUPTED);
}

void
_orderly_window_class_add_actions (OrderlyWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_install_action (widget_class, "win.new-run", NULL, new_run_action);
  gtk_widget_class_install_action (widget_class, "win.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "win.preset-quantity", "x", preset_quantity_action);
  gtk_widget_class_install_action (widget_class, "win.choose-port", NULL, choose_port_action);
  gtk_widget_class_install_action (widget_class, "win.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "win.resume", NULL, resume_action);
  gtk_widget_class_install_action (widget_class, "win.pause-queue", NULL, pause_queue_action);
  gtk_widget_class_install_action (widget_class, "win.resume-queue", NULL, resume_queue_action);
  gtk_widget_class_install_action (widget_class, "win.retry-failed", NULL, retry_failed_action);
  gtk_widget_class_install_action (widget_class, "win.reset", NULL, reset_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action);
  gtk_widget_class_install_action (widget_class, "win.toast", "s", toast_action);
}

/**
 * _orderly_window_set_accels:
 *
 * Gives the window actions their keyboard shortcuts, which the menus and
 * the shortcuts window show as well.
 */
void
_orderly_window_set_accels (GtkApplication *application)
{
  static const struct {
    const char *action;
    const char *accels[2];
  } accels[] = {
    { "win.new-run", { "<Control>n", NULL } },
    { "win.start", { "<Control>Return", NULL } },
    { "win.cancel", { "<Control>period", NULL } },
    { "win.resume", { "<Control><Shift>r", NULL } },
    { "win.reset", { "<Control><Shift>Delete", NULL } },
    { "win.search", { "<Control>f", NULL } },
    { "win.show-page::overview", { "<Alt>1", NULL } },
    { "win.show-page::logs", { "<Alt>2", NULL } },
    { "win.show-page::remote", { "<Alt>3", NULL } },
    { "win.show-page::history", { "<Alt>4", NULL } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (application, accels[i].action, accels[i].accels);
}
