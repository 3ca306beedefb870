/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-ui"

#include "config.h"

#include "orderly-window-private.h"

#include <glib/gi18n.h>

#include "orderly-format.h"
#include "orderly-spin.h"

/**
 * OrderlyWindow:
 *
 * The main window: a header bar with the run controls and four pages
 * (overview, logs, remote access, history) over the engine's models. The
 * actions live in orderly-window-actions.c.
 */

enum {
  PROP_0,
  PROP_ENGINE,
  PROP_REMOTE,
  PROP_NARROW,
  N_PROPS
};

/* Below this width the pages show their compact layouts. */
#define NARROW_WIDTH 600

G_DEFINE_FINAL_TYPE (OrderlyWindow, orderly_window, ADW_TYPE_APPLICATION_WINDOW)

static GParamSpec *properties[N_PROPS];

static gboolean
server_is_off (gpointer    this,
               gboolean    listening,
               const char *error_message)
{
  return !listening && error_message != NULL && error_message[0] != '\0';
}

static char *
format_server_off (gpointer    this,
                   const char *error_message)
{
  if (error_message == NULL || error_message[0] == '\0')
    return g_strdup ("");
  /* Translators: a banner; %s says why the server could not listen */
  return g_strdup_printf (_("The server is off, so browsers cannot connect. %s."), error_message);
}

/* A quarter of a narrow window, in the bottom bar, has no room for the page's
 * full name. */
static char *
format_remote_title (gpointer this,
                     gboolean narrow)
{
  if (narrow)
    /* Translators: the Remote Access page's short name, in the bottom bar of a narrow window */
    return g_strdup (C_("page", "Remote"));
  return g_strdup (_("Remote Access"));
}

/* The VIP share reads “5%” and is read back with or without the sign. */
static int
spin_input_cb (GtkSpinButton *spin,
               double        *value)
{
  gint64 count;

  if (!orderly_format_parse_count (gtk_editable_get_text (GTK_EDITABLE (spin)), &count))
    return GTK_INPUT_ERROR;
  *value = (double) count;
  return TRUE;
}

static gboolean
percent_output_cb (GtkSpinButton *spin)
{
  /* Translators: a whole percentage in an input field; keep the %% */
  g_autofree char *text = g_strdup_printf (_("%d%%"), (int) gtk_spin_button_get_value (spin));

  if (g_strcmp0 (text, gtk_editable_get_text (GTK_EDITABLE (spin))) != 0)
    gtk_editable_set_text (GTK_EDITABLE (spin), text);
  return TRUE;
}

/* Enter in the popover's fields and Ctrl+Return anywhere in it start the
 * run: the popover is a surface of its own, which the window's shortcuts
 * do not reach. */
static gboolean
popover_key_pressed_cb (OrderlyWindow         *self,
                        guint                  keyval,
                        guint                  keycode,
                        GdkModifierType        state,
                        GtkEventControllerKey *controller)
{
  GtkWidget *focus;
  gboolean control = (state & GDK_CONTROL_MASK) != 0;

  if (keyval != GDK_KEY_Return && keyval != GDK_KEY_KP_Enter && keyval != GDK_KEY_ISO_Enter)
    return GDK_EVENT_PROPAGATE;
  if ((state & (GDK_SHIFT_MASK | GDK_ALT_MASK)) != 0)
    return GDK_EVENT_PROPAGATE;
  /* Enter on a button or a check box presses it, as anywhere else. */
  focus = gtk_window_get_focus (GTK_WINDOW (self));
  if (!control && focus != NULL && (GTK_IS_BUTTON (focus) || GTK_IS_CHECK_BUTTON (focus)))
    return GDK_EVENT_PROPAGATE;
  gtk_widget_activate_action (GTK_WIDGET (self), "win.start", NULL);
  return GDK_EVENT_STOP;
}

static void
close_response_cb (OrderlyWindow   *self,
                   const char      *response,
                   AdwMessageDialog *dialog)
{
  GtkApplication *application = gtk_window_get_application (GTK_WINDOW (self));

  if (g_strcmp0 (response, "background") == 0 && ORDERLY_IS_APPLICATION (application))
    orderly_application_run_in_background (ORDERLY_APPLICATION (application));
  else if (g_strcmp0 (response, "quit") != 0)
    return;
  self->close_confirmed = TRUE;
  gtk_window_close (GTK_WINDOW (self));
}

static void
save_window_state (OrderlyWindow *self)
{
  int width, height;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  if (!gtk_window_is_maximized (GTK_WINDOW (self)) && width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_apply (self->settings);
}

static gboolean
orderly_window_close_request (GtkWindow *window)
{
  OrderlyWindow *self = ORDERLY_WINDOW (window);
  AdwMessageDialog *dialog;

  if (self->engine != NULL && orderly_engine_is_running (self->engine) && !self->close_confirmed)
    {
      dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (window,
                                                           _("Close While a Run Is Going?"),
                                                           _("In the background, the run goes on and a notification says when it is done. Quitting stops it; it can be resumed the next time Orderly starts.")));
      adw_message_dialog_add_responses (dialog,
                                        "cancel", _("_Keep Window Open"),
                                        "quit", _("_Quit"),
                                        "background", _("Run in _Background"),
                                        NULL);
      adw_message_dialog_set_response_appearance (dialog, "quit", ADW_RESPONSE_DESTRUCTIVE);
      adw_message_dialog_set_response_appearance (dialog, "background", ADW_RESPONSE_SUGGESTED);
      adw_message_dialog_set_default_response (dialog, "background");
      adw_message_dialog_set_close_response (dialog, "cancel");
      g_signal_connect_object (dialog, "response", G_CALLBACK (close_response_cb),
                               self, G_CONNECT_SWAPPED);
      gtk_window_present (GTK_WINDOW (dialog));
      return TRUE;
    }

  save_window_state (self);
  return GTK_WINDOW_CLASS (orderly_window_parent_class)->close_request (window);
}

/* The models come from the application, once the window has one. */
static void
attach_application (OrderlyWindow *self)
{
  GObject *object = G_OBJECT (self);
  GtkApplication *gtk_application = gtk_window_get_application (GTK_WINDOW (self));
  OrderlyApplication *application;

  if (self->engine != NULL || !ORDERLY_IS_APPLICATION (gtk_application))
    return;
  application = ORDERLY_APPLICATION (gtk_application);

  self->settings = g_object_ref (orderly_application_get_settings (application));
  self->engine = g_object_ref (orderly_application_get_engine (application));
  self->remote = g_object_ref (orderly_application_get_remote (application));
  g_object_notify_by_pspec (object, properties[PROP_ENGINE]);
  g_object_notify_by_pspec (object, properties[PROP_REMOTE]);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  g_settings_bind (self->settings, "last-quantity", self->quantity_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "vip-share", self->vip_share_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);

  g_signal_connect_object (orderly_engine_get_status (self->engine), "notify::phase",
                           G_CALLBACK (_orderly_window_update_actions), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (orderly_engine_get_status (self->engine), "notify::run-id",
                           G_CALLBACK (_orderly_window_update_actions), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->engine, "notify::running",
                           G_CALLBACK (_orderly_window_update_actions), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->engine, "notify::paused",
                           G_CALLBACK (_orderly_window_update_actions), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (orderly_engine_get_status (self->engine), "notify::failed-total",
                           G_CALLBACK (_orderly_window_update_actions), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->force_check, "notify::active",
                           G_CALLBACK (_orderly_window_update_actions), self, G_CONNECT_SWAPPED);
  _orderly_window_update_actions (self);
}

static gboolean
update_narrow_cb (gpointer user_data)
{
  OrderlyWindow *self = user_data;
  gboolean narrow = gtk_widget_get_width (GTK_WIDGET (self)) < NARROW_WIDTH;

  self->narrow_source = 0;
  if (self->narrow != narrow)
    {
      self->narrow = narrow;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NARROW]);
    }
  return G_SOURCE_REMOVE;
}

/* Layouts change after the allocation that calls for them, never during it. */
static void
orderly_window_size_allocate (GtkWidget *widget,
                              int        width,
                              int        height,
                              int        baseline)
{
  OrderlyWindow *self = ORDERLY_WINDOW (widget);

  GTK_WIDGET_CLASS (orderly_window_parent_class)->size_allocate (widget, width, height, baseline);
  if ((width < NARROW_WIDTH) != self->narrow && self->narrow_source == 0)
    self->narrow_source = g_idle_add (update_narrow_cb, self);
}

static void
orderly_window_dispose (GObject *object)
{
  OrderlyWindow *self = (OrderlyWindow *) object;

  g_clear_handle_id (&self->narrow_source, g_source_remove);
  /* The switchers let go of the stack before it goes away. */
  if (self->switcher_bar != NULL)
    adw_view_switcher_bar_set_stack (self->switcher_bar, NULL);
  if (self->switcher_title != NULL)
    adw_view_switcher_title_set_stack (self->switcher_title, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), ORDERLY_TYPE_WINDOW);

  G_OBJECT_CLASS (orderly_window_parent_class)->dispose (object);
}

static void
orderly_window_finalize (GObject *object)
{
  OrderlyWindow *self = (OrderlyWindow *) object;

  g_clear_object (&self->engine);
  g_clear_object (&self->remote);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (orderly_window_parent_class)->finalize (object);
}

static void
orderly_window_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  OrderlyWindow *self = ORDERLY_WINDOW (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      g_value_set_object (value, self->engine);
      break;
    case PROP_REMOTE:
      g_value_set_object (value, self->remote);
      break;
    case PROP_NARROW:
      g_value_set_boolean (value, self->narrow);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_window_class_init (OrderlyWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = orderly_window_dispose;
  object_class->finalize = orderly_window_finalize;
  object_class->get_property = orderly_window_get_property;

  widget_class->size_allocate = orderly_window_size_allocate;
  window_class->close_request = orderly_window_close_request;

  properties[PROP_ENGINE] =
    g_param_spec_object ("engine", NULL, NULL, ORDERLY_TYPE_ENGINE,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REMOTE] =
    g_param_spec_object ("remote", NULL, NULL, ORDERLY_TYPE_REMOTE,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * OrderlyWindow:narrow:
   *
   * Whether the window is too narrow for the pages' wide layouts.
   */
  properties[PROP_NARROW] =
    g_param_spec_boolean ("narrow", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (ORDERLY_TYPE_ENGINE);
  g_type_ensure (ORDERLY_TYPE_HISTORY_PAGE);
  g_type_ensure (ORDERLY_TYPE_LOGS_PAGE);
  g_type_ensure (ORDERLY_TYPE_OVERVIEW_PAGE);
  g_type_ensure (ORDERLY_TYPE_REMOTE_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/orderly/Orderly/orderly-window.ui");
  gtk_widget_class_bind_template_child (widget_class, OrderlyWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, OrderlyWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, OrderlyWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, OrderlyWindow, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, OrderlyWindow, start_button);
  gtk_widget_class_bind_template_child (widget_class, OrderlyWindow, pause_button);
  gtk_widget_class_bind_template_child (widget_class, OrderlyWindow, resume_queue_button);
  gtk_widget_class_bind_template_child (widget_class, OrderlyWindow, start_popover);
  gtk_widget_class_bind_template_child (widget_class, OrderlyWindow, quantity_spin);
  gtk_widget_class_bind_template_child (widget_class, OrderlyWindow, quantity_adjustment);
  gtk_widget_class_bind_template_child (widget_class, OrderlyWindow, vip_share_spin);
  gtk_widget_class_bind_template_child (widget_class, OrderlyWindow, vip_share_adjustment);
  gtk_widget_class_bind_template_child (widget_class, OrderlyWindow, force_check);
  gtk_widget_class_bind_template_child (widget_class, OrderlyWindow, overview_page);
  gtk_widget_class_bind_template_child (widget_class, OrderlyWindow, logs_page);
  gtk_widget_class_bind_template_child (widget_class, OrderlyWindow, remote_page);
  gtk_widget_class_bind_template_child (widget_class, OrderlyWindow, history_page);
  gtk_widget_class_bind_template_child_full (widget_class, "start_run_button", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "cancel_button", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "server_banner", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "server_banner_label", FALSE, 0);
  gtk_widget_class_bind_template_callback (widget_class, server_is_off);
  gtk_widget_class_bind_template_callback (widget_class, format_server_off);
  gtk_widget_class_bind_template_callback (widget_class, format_remote_title);
  gtk_widget_class_bind_template_callback (widget_class, spin_input_cb);
  gtk_widget_class_bind_template_callback (widget_class, percent_output_cb);

  _orderly_window_class_add_actions (klass);
}

static void
orderly_window_init (OrderlyWindow *self)
{
  GtkEventController *keys;

  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (self, "notify::application", G_CALLBACK (attach_application), NULL);
  orderly_spin_button_show_grouped (self->quantity_spin);

  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect_object (keys, "key-pressed", G_CALLBACK (popover_key_pressed_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->start_popover), keys);

  if (g_str_has_suffix (APP_ID, ".Devel"))
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
}

/**
 * orderly_window_new:
 *
 * Returns: (transfer full): a window over @application's engine and remote
 *   access
 */
OrderlyWindow *
orderly_window_new (OrderlyApplication *application)
{
  g_return_val_if_fail (ORDERLY_IS_APPLICATION (application), NULL);

  return g_object_new (ORDERLY_TYPE_WINDOW, "application", application, NULL);
}

OrderlyEngine *
orderly_window_get_engine (OrderlyWindow *self)
{
  g_return_val_if_fail (ORDERLY_IS_WINDOW (self), NULL);
  return self->engine;
}

OrderlyRemote *
orderly_window_get_remote (OrderlyWindow *self)
{
  g_return_val_if_fail (ORDERLY_IS_WINDOW (self), NULL);
  return self->remote;
}

/**
 * orderly_window_show_page:
 * @name: "overview", "logs", "remote" or "history"
 */
void
orderly_window_show_page (OrderlyWindow *self,
                          const char    *name)
{
  g_return_if_fail (ORDERLY_IS_WINDOW (self));
  g_return_if_fail (name != NULL);

  adw_view_stack_set_visible_child_name (self->view_stack, name);
}

void
orderly_window_add_toast (OrderlyWindow *self,
                          const char    *message)
{
  g_return_if_fail (ORDERLY_IS_WINDOW (self));

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}
