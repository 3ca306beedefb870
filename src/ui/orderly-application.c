/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-ui"

#include "config.h"

#include "orderly-application.h"

#include <glib/gi18n.h>

#include "orderly-format.h"
#include "orderly-portal.h"
#include "orderly-preferences-window.h"
#include "orderly-window.h"

/**
 * OrderlyApplication:
 *
 * The desktop application around the engine and the remote-access model that
 * main() created. It keeps the operator's settings applied to both models,
 * owns the application actions (preferences, about, quit) and tells the
 * operator when a run ends while the window is in the background.
 *
 * Settings that the command line gave are left as the command line set them
 * until the operator changes them in Preferences.
 */

struct _OrderlyApplication
{
  AdwApplication  parent_instance;

  OrderlyEngine  *engine;
  OrderlyRemote  *remote;
  GSettings      *settings;
  GHashTable     *command_line_keys;
  gboolean        in_background;   /* held, with no window, while a run goes */
  OrderlyPhase    background_phase;
};

enum {
  PROP_0,
  PROP_ENGINE,
  PROP_REMOTE,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (OrderlyApplication, orderly_application, ADW_TYPE_APPLICATION)

static GParamSpec *properties[N_PROPS];

/* The addresses that "all interfaces" stands for: every IPv4 and every
 * IPv6 one (IPv6 only where the machine has it). */
#define ALL_INTERFACES "0.0.0.0,::"

static void
apply_setting (OrderlyApplication *self,
               const char         *key)
{
  if (g_str_equal (key, "bind-address"))
    {
      gboolean all = g_settings_get_enum (self->settings, key) == 1;

      orderly_remote_set_bind_address (self->remote, all ? ALL_INTERFACES : NULL);
    }
  else if (g_str_equal (key, "port"))
    orderly_remote_set_port (self->remote, g_settings_get_uint (self->settings, key));
  else if (g_str_equal (key, "allowed-origins"))
    {
      g_auto(GStrv) origins = g_settings_get_strv (self->settings, key);

      orderly_remote_set_allowed_origins (self->remote, (const char * const *) origins);
    }
  else if (g_str_equal (key, "update-rate"))
    orderly_engine_set_tick_hz (self->engine, g_settings_get_uint (self->settings, key));
  else if (g_str_equal (key, "workers"))
    orderly_engine_set_workers (self->engine, g_settings_get_uint (self->settings, key));
  else if (g_str_equal (key, "log-capacity"))
    orderly_engine_set_log_capacity (self->engine, g_settings_get_uint (self->settings, key));
  else if (g_str_equal (key, "work-us"))
    orderly_engine_set_work_us (self->engine, g_settings_get_uint (self->settings, key));
  else if (g_str_equal (key, "vip-share"))
    orderly_engine_set_vip_share (self->engine, g_settings_get_uint (self->settings, key) / 100.0);
  else if (g_str_equal (key, "failure-rate"))
    orderly_engine_set_failure_rate (self->engine, CLAMP (g_settings_get_double (self->settings, key), 0, 1));
}

static void
settings_changed_cb (OrderlyApplication *self,
                     const char         *key,
                     GSettings          *settings)
{
  /* From now on the operator's choice wins over the command line. */
  g_hash_table_remove (self->command_line_keys, key);
  apply_setting (self, key);
}

static void
apply_settings (OrderlyApplication *self)
{
  static const char * const keys[] = {
    "bind-address", "port", "allowed-origins",
    "update-rate", "workers", "log-capacity", "work-us", "vip-share", "failure-rate",
  };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (!g_hash_table_contains (self->command_line_keys, keys[i]))
      apply_setting (self, keys[i]);
}

/* While in the background, the list of background apps says what it does. */
static void
background_status_cb (OrderlyApplication *self,
                      GParamSpec         *pspec,
                      OrderlyStatus      *status)
{
  const OrderlyStatusData *data = orderly_status_get_data (status);
  g_autofree char *message = NULL;
  g_autofree char *run = NULL;

  if (!self->in_background || data->phase == self->background_phase || !orderly_phase_is_active (data->phase))
    return;
  self->background_phase = data->phase;
  run = g_strdup_printf ("%" G_GINT64_FORMAT, data->run_id);
  /* Translators: what Orderly does with its window closed, e.g. “Run 3: Processing VIP Orders” */
  message = g_strdup_printf (_("Run %s: %s"), run, orderly_format_phase (data->phase));
  orderly_portal_set_background_status (message);
}

static void
leave_background (OrderlyApplication *self)
{
  if (!self->in_background)
    return;
  self->in_background = FALSE;
  g_signal_handlers_disconnect_by_func (orderly_engine_get_status (self->engine), background_status_cb, self);
  g_application_release (G_APPLICATION (self));
}

static void
run_finished_cb (OrderlyApplication *self,
                 OrderlyPhase        phase,
                 OrderlyEngine      *engine)
{
  OrderlyStatus *status = orderly_engine_get_status (engine);
  const OrderlyStatusData *data = orderly_status_get_data (status);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *body = NULL;
  const char *title;

  if (window != NULL && gtk_window_is_active (window))
    {
      leave_background (self);
      return;
    }

  switch (phase)
    {
    case ORDERLY_PHASE_DONE:
      {
        g_autofree char *count = orderly_format_count (data->processed_total);
        g_autofree char *duration = orderly_format_duration_ms (data->total_ms);

        title = _("Run Done");
        /* Translators: “1,000 orders processed in 2.4 s” */
        body = g_strdup_printf (_("%s orders processed in %s"), count, duration);
      }
      break;
    case ORDERLY_PHASE_ERROR:
      title = _("Run Failed");
      body = g_strdup (data->error_message != NULL ? data->error_message : _("The run stopped on an error"));
      break;
    case ORDERLY_PHASE_ABORTED:
      title = _("Run Cancelled");
      body = g_strdup (_("The run was cancelled before it ended"));
      break;
    default:
      leave_background (self);
      return;
    }

  notification = g_notification_new (title);
  g_notification_set_body (notification, body);
  /* Clicking it, or its button, brings the window back on the run's report. */
  g_notification_set_default_action_and_target (notification, "app.show-report", "x", data->run_id);
  if (phase == ORDERLY_PHASE_DONE)
    g_notification_add_button_with_target (notification, _("Show Report"), "app.show-report", "x", data->run_id);
  if (phase == ORDERLY_PHASE_ERROR)
    g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
  g_application_send_notification (G_APPLICATION (self), "run-finished", notification);
  leave_background (self);
}

static void
show_report_action_cb (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  OrderlyApplication *self = user_data;

  g_application_activate (G_APPLICATION (self));
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (ORDERLY_IS_WINDOW (l->data))
      {
        orderly_window_show_page (l->data, "overview");
        break;
      }
  g_application_withdraw_notification (G_APPLICATION (self), "run-finished");
}

static void
preferences_action_cb (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  OrderlyApplication *self = user_data;
  OrderlyPreferencesWindow *preferences;

  preferences = orderly_preferences_window_new (self);
  gtk_window_set_transient_for (GTK_WINDOW (preferences),
                                gtk_application_get_active_window (GTK_APPLICATION (self)));
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
about_action_cb (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  OrderlyApplication *self = user_data;
  static const char *developers[] = { "The Orderly developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (GTK_APPLICATION (self)),
                        "application-name", _("Orderly"),
                        /* In the resources too, so that it shows from the build tree. */
                        "application-icon", "io.github.orderly.Orderly",
                        "version", PACKAGE_VERSION,
                        "comments", _("Generate and process orders, VIP first, and watch it live here and in any browser"),
                        "developers", developers,
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "translator-credits", _("translator-credits"),
                        "website", "https://github.com/orderly",
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
quit_action_cb (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  OrderlyApplication *self = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

  /* Closing asks first when a run is going; quit once every window agreed. */
  if (windows == NULL)
    g_application_quit (G_APPLICATION (self));
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
}

static const GActionEntry app_actions[] = {
  { "show-report", show_report_action_cb, "x" },
  { "preferences", preferences_action_cb },
  { "about", about_action_cb },
  { "quit", quit_action_cb },
};

static void
orderly_application_startup (GApplication *application)
{
  OrderlyApplication *self = ORDERLY_APPLICATION (application);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };

  G_APPLICATION_CLASS (orderly_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         preferences_accels);
  _orderly_window_set_accels (GTK_APPLICATION (self));
}

static void
orderly_application_activate (GApplication *application)
{
  OrderlyApplication *self = ORDERLY_APPLICATION (application);
  GtkWindow *window = NULL;

  g_return_if_fail (self->engine != NULL);

  /* A second launch lands here too: it raises the window that is open. */
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (ORDERLY_IS_WINDOW (l->data))
      {
        window = l->data;
        break;
      }
  if (window == NULL)
    window = GTK_WINDOW (orderly_window_new (self));
  gtk_window_present (window);
}

static void
orderly_application_finalize (GObject *object)
{
  OrderlyApplication *self = (OrderlyApplication *) object;

  g_clear_object (&self->settings);
  g_clear_object (&self->engine);
  g_clear_object (&self->remote);
  g_clear_pointer (&self->command_line_keys, g_hash_table_unref);

  G_OBJECT_CLASS (orderly_application_parent_class)->finalize (object);
}

static void
orderly_application_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  OrderlyApplication *self = ORDERLY_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      g_value_set_object (value, self->engine);
      break;
    case PROP_REMOTE:
      g_value_set_object (value, self->remote);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_application_class_init (OrderlyApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *application_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = orderly_application_finalize;
  object_class->get_property = orderly_application_get_property;

  application_class->startup = orderly_application_startup;
  application_class->activate = orderly_application_activate;

  properties[PROP_ENGINE] =
    g_param_spec_object ("engine", NULL, NULL, ORDERLY_TYPE_ENGINE,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REMOTE] =
    g_param_spec_object ("remote", NULL, NULL, ORDERLY_TYPE_REMOTE,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
orderly_application_init (OrderlyApplication *self)
{
  self->settings = g_settings_new (ORDERLY_SETTINGS_SCHEMA_ID);
  self->command_line_keys = g_hash_table_new (g_str_hash, g_str_equal);
}

/**
 * orderly_application_new:
 * @config: (nullable): the command line, whose choices win over the settings
 *   until the operator changes them
 *
 * The application is made before the engine: when Orderly already runs,
 * registering it finds the running instance, which raises its window, and
 * this process opens nothing. Give the primary instance its models with
 * orderly_application_set_models() before it is activated.
 *
 * Returns: (transfer full): the application
 */
OrderlyApplication *
orderly_application_new (const OrderlyConfig *config)
{
  OrderlyApplication *self;

  self = g_object_new (ORDERLY_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       /* The same resources in every profile */
                       "resource-base-path", "/io/github/orderly/Orderly",
                       NULL);
  if (config != NULL)
    {
      if (config->bind != NULL && config->bind[0] != NULL)
        g_hash_table_add (self->command_line_keys, (gpointer) "bind-address");
      if (config->port >= 0)
        g_hash_table_add (self->command_line_keys, (gpointer) "port");
      if (config->allow_origins != NULL && config->allow_origins[0] != NULL)
        g_hash_table_add (self->command_line_keys, (gpointer) "allowed-origins");
      if (config->workers >= 0)
        g_hash_table_add (self->command_line_keys, (gpointer) "workers");
      if (config->work_us >= 0)
        g_hash_table_add (self->command_line_keys, (gpointer) "work-us");
      if (config->failure_rate >= 0)
        g_hash_table_add (self->command_line_keys, (gpointer) "failure-rate");
    }
  return self;
}

/**
 * orderly_application_set_models:
 * @engine: the engine the window shows and controls
 * @remote: the remote-access model the server fills
 *
 * Applies the operator's settings to both models and keeps them applied.
 * Call it once, before the application is activated.
 */
void
orderly_application_set_models (OrderlyApplication *self,
                                OrderlyEngine      *engine,
                                OrderlyRemote      *remote)
{
  g_return_if_fail (ORDERLY_IS_APPLICATION (self));
  g_return_if_fail (ORDERLY_IS_ENGINE (engine));
  g_return_if_fail (ORDERLY_IS_REMOTE (remote));
  g_return_if_fail (self->engine == NULL);

  self->engine = g_object_ref (engine);
  self->remote = g_object_ref (remote);
  apply_settings (self);
  g_signal_connect_object (self->settings, "changed", G_CALLBACK (settings_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->engine, "run-finished", G_CALLBACK (run_finished_cb),
                           self, G_CONNECT_SWAPPED);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENGINE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REMOTE]);
}

/**
 * orderly_application_run_in_background:
 *
 * Keeps Orderly running once its last window closes, until the run that
 * goes ends; the desktop lists it among its background apps meanwhile, and
 * a notification brings the window back on the run's report.
 */
void
orderly_application_run_in_background (OrderlyApplication *self)
{
  g_return_if_fail (ORDERLY_IS_APPLICATION (self));
  g_return_if_fail (self->engine != NULL);

  if (self->in_background || !orderly_engine_is_running (self->engine))
    return;
  self->in_background = TRUE;
  self->background_phase = ORDERLY_PHASE_IDLE;
  g_application_hold (G_APPLICATION (self));
  orderly_portal_request_background (_("The run goes on with the window closed; a notification says when it is done."));
  g_signal_connect_object (orderly_engine_get_status (self->engine), "notify::phase",
                           G_CALLBACK (background_status_cb), self, G_CONNECT_SWAPPED);
  background_status_cb (self, NULL, orderly_engine_get_status (self->engine));
}

gboolean
orderly_application_get_in_background (OrderlyApplication *self)
{
  g_return_val_if_fail (ORDERLY_IS_APPLICATION (self), FALSE);
  return self->in_background;
}

/**
 * orderly_application_get_command_line_key:
 * @key: a settings key
 *
 * Returns: whether the command line set @key, and the operator has not
 *   changed it since: the value in effect is then not the stored one
 */
gboolean
orderly_application_get_command_line_key (OrderlyApplication *self,
                                          const char         *key)
{
  g_return_val_if_fail (ORDERLY_IS_APPLICATION (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  return g_hash_table_contains (self->command_line_keys, key);
}

OrderlyEngine *
orderly_application_get_engine (OrderlyApplication *self)
{
  g_return_val_if_fail (ORDERLY_IS_APPLICATION (self), NULL);
  return self->engine;
}

OrderlyRemote *
orderly_application_get_remote (OrderlyApplication *self)
{
  g_return_val_if_fail (ORDERLY_IS_APPLICATION (self), NULL);
  return self->remote;
}

GSettings *
orderly_application_get_settings (OrderlyApplication *self)
{
  g_return_val_if_fail (ORDERLY_IS_APPLICATION (self), NULL);
  return self->settings;
}
