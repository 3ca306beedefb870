/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-ui"

#include "config.h"

#include "orderly-preferences-window.h"

#include <glib/gi18n.h>
#include <string.h>

#include "orderly-application.h"
#include "orderly-format.h"
#include "orderly-spin.h"

/**
 * OrderlyPreferencesWindow:
 *
 * The operator's settings, each bound to its GSettings key. The application
 * applies a key to the engine or the server as soon as it changes, so
 * nothing here needs a restart.
 *
 * Each row shows the value in effect: a value the command line gave stays
 * in effect until the operator changes it here, and its row says so; the
 * port row says where the server really listens (0 picks a port), the
 * workers row how many one per core makes.
 */

struct _OrderlyPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* Template widgets */
  AdwComboRow          *bind_row;
  AdwActionRow         *exposure_warning;
  AdwActionRow         *port_row;
  GtkAdjustment        *port_adjustment;
  AdwEntryRow          *origins_row;
  AdwActionRow         *workers_row;
  GtkAdjustment        *workers_adjustment;
  AdwActionRow         *work_us_row;
  GtkAdjustment        *work_us_adjustment;
  AdwActionRow         *failure_rate_row;
  GtkAdjustment        *failure_rate_adjustment;
  GtkAdjustment        *update_rate_adjustment;
  GtkAdjustment        *log_capacity_adjustment;
  GtkSpinButton        *work_us_spin;
  GtkSpinButton        *log_capacity_spin;

  /* Owned */
  OrderlyApplication   *application;
  GSettings            *settings;
  OrderlyRemote        *remote;
  OrderlyEngine        *engine;
};

enum {
  PROP_0,
  PROP_APPLICATION,
  N_PROPS
};

/* A number the command line set, shown until the operator changes it. */
typedef struct
{
  OrderlyPreferencesWindow *self;
  const char               *key;
  GtkAdjustment            *adjustment;
  gulong                    handler;
} Override;

G_DEFINE_FINAL_TYPE (OrderlyPreferencesWindow, orderly_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static GParamSpec *properties[N_PROPS];

static gboolean
bind_address_get_mapping (GValue   *value,
                          GVariant *variant,
                          gpointer  user_data)
{
  g_value_set_uint (value, g_str_equal (g_variant_get_string (variant, NULL), "all") ? 1 : 0);
  return TRUE;
}

static GVariant *
bind_address_set_mapping (const GValue       *value,
                          const GVariantType *expected_type,
                          gpointer            user_data)
{
  return g_variant_new_string (g_value_get_uint (value) == 1 ? "all" : "loopback");
}

/* --bind was given: choosing stores the choice, which then wins. */
static void
bind_selected_cb (OrderlyPreferencesWindow *self)
{
  g_signal_handlers_disconnect_by_func (self->bind_row, bind_selected_cb, self);
  g_settings_set_enum (self->settings, "bind-address", (int) adw_combo_row_get_selected (self->bind_row));
  g_settings_bind_with_mapping (self->settings, "bind-address", self->bind_row, "selected",
                                G_SETTINGS_BIND_DEFAULT,
                                bind_address_get_mapping, bind_address_set_mapping, NULL, NULL);
}

static void
update_exposure_warning (OrderlyPreferencesWindow *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->exposure_warning),
                          adw_combo_row_get_selected (self->bind_row) == 1);
}

static void
load_origins (OrderlyPreferencesWindow *self)
{
  g_auto(GStrv) origins = g_settings_get_strv (self->settings, "allowed-origins");
  g_autofree char *text = g_strjoinv (", ", origins);

  gtk_editable_set_text (GTK_EDITABLE (self->origins_row), text);
}

static void
origins_apply_cb (OrderlyPreferencesWindow *self,
                  AdwEntryRow              *row)
{
  g_auto(GStrv) parts = g_strsplit_set (gtk_editable_get_text (GTK_EDITABLE (row)), ", \t\n", -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) origins = NULL;

  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] != '\0')
      g_strv_builder_add (builder, parts[i]);
  origins = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "allowed-origins", (const char * const *) origins);
}

static const char *
command_line_option (const char *key)
{
  if (g_str_equal (key, "work-us"))
    return "--work-us";
  if (g_str_equal (key, "bind-address"))
    return "--bind";
  if (g_str_equal (key, "allowed-origins"))
    return "--allow-origin";
  if (g_str_equal (key, "port"))
    return "--port";
  if (g_str_equal (key, "failure-rate"))
    return "--failure-rate";
  return "--workers";
}

static char *
override_note (const char *key)
{
  /* Translators: a setting given on the command line, e.g. “--work-us” */
  return g_strdup_printf (_("Set by %s on the command line, until changed here"), command_line_option (key));
}

static void
update_subtitles (OrderlyPreferencesWindow *self);

/* The failure rate is stored as a share from 0 to 1 and shown in percent. */
static gboolean
percent_get_mapping (GValue   *value,
                     GVariant *variant,
                     gpointer  user_data)
{
  g_value_set_double (value, g_variant_get_double (variant) * 100.);
  return TRUE;
}

static GVariant *
percent_set_mapping (const GValue       *value,
                     const GVariantType *expected_type,
                     gpointer            user_data)
{
  return g_variant_new_double (CLAMP (g_value_get_double (value) / 100., 0., 1.));
}

static gboolean
is_percent_key (const char *key)
{
  return g_str_equal (key, "failure-rate");
}

static void
bind_key (OrderlyPreferencesWindow *self,
          const char               *key,
          GtkAdjustment            *adjustment)
{
  if (is_percent_key (key))
    g_settings_bind_with_mapping (self->settings, key, adjustment, "value", G_SETTINGS_BIND_DEFAULT,
                                  percent_get_mapping, percent_set_mapping, NULL, NULL);
  else
    g_settings_bind (self->settings, key, adjustment, "value", G_SETTINGS_BIND_DEFAULT);
}

static void
override_changed_cb (GtkAdjustment *adjustment,
                     Override      *override)
{
  OrderlyPreferencesWindow *self = override->self;
  const char *key = override->key;

  /* The operator's choice now: stored, then bound like the others. The
   * handler goes first, and @override with it. */
  g_signal_handler_disconnect (adjustment, override->handler);
  if (is_percent_key (key))
    g_settings_set_double (self->settings, key, CLAMP (gtk_adjustment_get_value (adjustment) / 100., 0., 1.));
  else
    g_settings_set_uint (self->settings, key, (guint) gtk_adjustment_get_value (adjustment));
  bind_key (self, key, adjustment);
  update_subtitles (self);
}

static void
override_free (gpointer  data,
               GClosure *closure)
{
  g_free (data);
}

static void
bind_number (OrderlyPreferencesWindow *self,
             const char               *key,
             GtkAdjustment            *adjustment,
             double                    in_effect)
{
  Override *override;

  if (!orderly_application_get_command_line_key (self->application, key))
    {
      bind_key (self, key, adjustment);
      return;
    }
  gtk_adjustment_set_value (adjustment, in_effect);
  override = g_new0 (Override, 1);
  override->self = self;
  override->key = key;
  override->adjustment = adjustment;
  override->handler = g_signal_connect_data (adjustment, "value-changed", G_CALLBACK (override_changed_cb),
                                             override, override_free, 0);
}

static char *
join_lines (const char *first,
            const char *second)
{
  if (second == NULL || second[0] == '\0')
    return g_strdup (first);
  return g_strdup_printf ("%s\n%s", first, second);
}

/* What each row says: the value in effect where it differs from what the
 * field holds, and who set it. */
static void
update_subtitles (OrderlyPreferencesWindow *self)
{
  g_autofree char *port_state = NULL;
  g_autofree char *port_note = NULL;
  g_autofree char *workers_hint = NULL;
  g_autofree char *workers_note = NULL;
  g_autofree char *work_note = NULL;
  g_autofree char *failure_hint = NULL;
  g_autofree char *failure_note = NULL;
  guint attempts;
  g_autofree char *bind_note = NULL;
  g_autofree char *text = NULL;
  const char *url = orderly_remote_get_url (self->remote);

  if (orderly_remote_get_listening (self->remote) && url != NULL)
    {
      g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

      /* Translators: where the server listens now */
      port_state = g_strdup_printf (_("Listening on port %d"), uri != NULL ? g_uri_get_port (uri) : 0);
    }
  else if (orderly_remote_get_error_message (self->remote) != NULL)
    /* Translators: the server could not listen; %s says why */
    port_state = g_strdup_printf (_("Not listening: %s"), orderly_remote_get_error_message (self->remote));
  else
    port_state = g_strdup (_("Not listening"));
  if (orderly_application_get_command_line_key (self->application, "port"))
    port_note = override_note ("port");
  text = g_strdup_printf ("%s · %s%s%s", port_state, _("0 picks a free port"),
                          port_note != NULL ? "\n" : "", port_note != NULL ? port_note : "");
  adw_action_row_set_subtitle (self->port_row, text);
  g_clear_pointer (&text, g_free);

  /* Translators: %u is the number of processor cores */
  workers_hint = g_strdup_printf (_("0 uses one per processor core: %u here"), MAX (g_get_num_processors (), 1));
  if (orderly_application_get_command_line_key (self->application, "workers"))
    workers_note = override_note ("workers");
  text = join_lines (workers_hint, workers_note);
  adw_action_row_set_subtitle (self->workers_row, text);
  g_clear_pointer (&text, g_free);

  if (orderly_application_get_command_line_key (self->application, "work-us"))
    work_note = override_note ("work-us");
  text = join_lines (_("Extra time spent on each order, to model slow downstream systems"), work_note);
  adw_action_row_set_subtitle (self->work_us_row, text);
  g_clear_pointer (&text, g_free);

  if (orderly_application_get_command_line_key (self->application, "failure-rate"))
    failure_note = override_note ("failure-rate");
  /* Translators: %u is how many times an order is tried before it counts as failed */
  attempts = orderly_engine_get_max_attempts (self->engine);
  failure_hint = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                               "Share of attempts that fail, to model an unreliable downstream "
                                               "system; an order is tried %u time before it counts as failed",
                                               "Share of attempts that fail, to model an unreliable downstream "
                                               "system; an order is tried %u times before it counts as failed",
                                               attempts),
                                  attempts);
  text = join_lines (failure_hint, failure_note);
  adw_action_row_set_subtitle (self->failure_rate_row, text);
  g_clear_pointer (&text, g_free);

  if (orderly_application_get_command_line_key (self->application, "bind-address"))
    {
      /* Translators: the addresses the command line gave, e.g. “0.0.0.0” */
      bind_note = g_strdup_printf (_("Set by --bind on the command line: %s, until changed here"),
                                   orderly_remote_get_bind_address (self->remote));
    }
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->bind_row), bind_note != NULL ? bind_note : "");
  if (orderly_application_get_command_line_key (self->application, "allowed-origins"))
    {
      g_autofree char *origins_note = override_note ("allowed-origins");

      gtk_widget_set_tooltip_text (GTK_WIDGET (self->origins_row), origins_note);
    }
}

static void
orderly_preferences_window_constructed (GObject *object)
{
  OrderlyPreferencesWindow *self = (OrderlyPreferencesWindow *) object;

  G_OBJECT_CLASS (orderly_preferences_window_parent_class)->constructed (object);

  g_assert (ORDERLY_IS_APPLICATION (self->application));
  self->settings = g_object_ref (orderly_application_get_settings (self->application));
  self->remote = g_object_ref (orderly_application_get_remote (self->application));
  self->engine = g_object_ref (orderly_application_get_engine (self->application));

  if (!orderly_application_get_command_line_key (self->application, "bind-address"))
    g_settings_bind_with_mapping (self->settings, "bind-address", self->bind_row, "selected",
                                  G_SETTINGS_BIND_DEFAULT,
                                  bind_address_get_mapping, bind_address_set_mapping, NULL, NULL);
  else
    {
      const char *bind = orderly_remote_get_bind_address (self->remote);

      adw_combo_row_set_selected (self->bind_row,
                                  bind != NULL && (strstr (bind, "0.0.0.0") != NULL || strstr (bind, "::,") != NULL ||
                                                   g_str_equal (bind, "::")) ? 1 : 0);
      g_signal_connect_object (self->bind_row, "notify::selected", G_CALLBACK (bind_selected_cb),
                               self, G_CONNECT_SWAPPED);
    }
  bind_number (self, "port", self->port_adjustment, orderly_remote_get_port (self->remote));
  bind_number (self, "workers", self->workers_adjustment, orderly_engine_get_workers (self->engine));
  bind_number (self, "work-us", self->work_us_adjustment, orderly_engine_get_work_us (self->engine));
  bind_number (self, "failure-rate", self->failure_rate_adjustment,
               orderly_engine_get_failure_rate (self->engine) * 100.);
  g_settings_bind (self->settings, "update-rate", self->update_rate_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "log-capacity", self->log_capacity_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (self->remote, "notify::url", G_CALLBACK (update_subtitles),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->remote, "notify::listening", G_CALLBACK (update_subtitles),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed", G_CALLBACK (update_subtitles),
                           self, G_CONNECT_SWAPPED);
  update_subtitles (self);
  load_origins (self);
  g_signal_connect_object (self->settings, "changed::allowed-origins", G_CALLBACK (load_origins),
                           self, G_CONNECT_SWAPPED);

  g_signal_connect_object (self->bind_row, "notify::selected", G_CALLBACK (update_exposure_warning),
                           self, G_CONNECT_SWAPPED);
  update_exposure_warning (self);
}

static void
orderly_preferences_window_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), ORDERLY_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (orderly_preferences_window_parent_class)->dispose (object);
}

static void
orderly_preferences_window_finalize (GObject *object)
{
  OrderlyPreferencesWindow *self = (OrderlyPreferencesWindow *) object;

  g_clear_object (&self->application);
  g_clear_object (&self->settings);
  g_clear_object (&self->remote);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (orderly_preferences_window_parent_class)->finalize (object);
}

static void
orderly_preferences_window_get_property (GObject    *object,
                                         guint       prop_id,
                                         GValue     *value,
                                         GParamSpec *pspec)
{
  OrderlyPreferencesWindow *self = ORDERLY_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_APPLICATION:
      g_value_set_object (value, self->application);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_preferences_window_set_property (GObject      *object,
                                         guint         prop_id,
                                         const GValue *value,
                                         GParamSpec   *pspec)
{
  OrderlyPreferencesWindow *self = ORDERLY_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_APPLICATION:
      self->application = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_preferences_window_class_init (OrderlyPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = orderly_preferences_window_constructed;
  object_class->dispose = orderly_preferences_window_dispose;
  object_class->finalize = orderly_preferences_window_finalize;
  object_class->get_property = orderly_preferences_window_get_property;
  object_class->set_property = orderly_preferences_window_set_property;

  properties[PROP_APPLICATION] =
    g_param_spec_object ("orderly-application", NULL, NULL, ORDERLY_TYPE_APPLICATION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/orderly/Orderly/orderly-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, bind_row);
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, exposure_warning);
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, port_row);
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, port_adjustment);
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, origins_row);
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, workers_row);
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, workers_adjustment);
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, work_us_row);
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, work_us_adjustment);
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, failure_rate_row);
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, failure_rate_adjustment);
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, update_rate_adjustment);
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, log_capacity_adjustment);
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, work_us_spin);
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, log_capacity_spin);
  gtk_widget_class_bind_template_callback (widget_class, origins_apply_cb);
}

static void
orderly_preferences_window_init (OrderlyPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* Counts read grouped, as everywhere; a port is a name, not a count. */
  orderly_spin_button_show_grouped (self->work_us_spin);
  orderly_spin_button_show_grouped (self->log_capacity_spin);
}

/**
 * orderly_preferences_window_new:
 * @application: the application whose settings, engine and remote access
 *   the window shows
 *
 * Returns: (transfer full): a new preferences window
 */
OrderlyPreferencesWindow *
orderly_preferences_window_new (OrderlyApplication *application)
{
  g_return_val_if_fail (ORDERLY_IS_APPLICATION (application), NULL);

  return g_object_new (ORDERLY_TYPE_PREFERENCES_WINDOW,
                       "orderly-application", application,
                       NULL);
}
