/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-ui"

#include "config.h"

#include "orderly-preferences-window.h"

#include <glib/gi18n.h>


/**
 * OrderlyPreferencesWindow:
 *
 * The operator's settings, each bound to its GSettings key. The application
 * applies a key to the engine or the server as soon as it changes, so
 * nothing here needs a restart.
 */

struct _OrderlyPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* Template widgets */
  AdwComboRow          *bind_row;
  AdwActionRow         *exposure_warning;
  GtkAdjustment        *port_adjustment;
  AdwEntryRow          *origins_row;
  GtkAdjustment        *workers_adjustment;
  GtkAdjustment        *work_us_adjustment;
  GtkAdjustment        *update_rate_adjustment;
  GtkAdjustment        *log_capacity_adjustment;
  GtkButton            *regenerate_button;

  /* Owned */
  GSettings            *settings;
  OrderlyRemote        *remote;
};

enum {
  PROP_0,
  PROP_SETTINGS,
  PROP_REMOTE,
  N_PROPS
};

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

static void
regenerate_response_cb (OrderlyPreferencesWindow *self,
                        const char               *response,
                        AdwMessageDialog         *dialog)
{
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (response, "regenerate") != 0)
    return;

  if (!orderly_remote_regenerate_tokens (self->remote, &error))
    {
      g_autofree char *message = g_strdup_printf (_("The tokens were not changed: %s"), error->message);

      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (message));
      return;
    }
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                    adw_toast_new (_("New tokens are in use; share the new links")));
}

static void
regenerate_clicked_cb (OrderlyPreferencesWindow *self,
                       GtkButton                *button)
{
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Regenerate Access Tokens?"),
                                                       _("Remote dashboards opened with the current links lose access and need the new links.")));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "regenerate", _("_Regenerate"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "regenerate", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (regenerate_response_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
orderly_preferences_window_constructed (GObject *object)
{
  OrderlyPreferencesWindow *self = (OrderlyPreferencesWindow *) object;

  G_OBJECT_CLASS (orderly_preferences_window_parent_class)->constructed (object);

  g_assert (G_IS_SETTINGS (self->settings));

  g_settings_bind_with_mapping (self->settings, "bind-address", self->bind_row, "selected",
                                G_SETTINGS_BIND_DEFAULT,
                                bind_address_get_mapping, bind_address_set_mapping, NULL, NULL);
  g_settings_bind (self->settings, "port", self->port_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "workers", self->workers_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "work-us", self->work_us_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "update-rate", self->update_rate_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "log-capacity", self->log_capacity_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  load_origins (self);
  g_signal_connect_object (self->settings, "changed::allowed-origins", G_CALLBACK (load_origins),
                           self, G_CONNECT_SWAPPED);

  g_signal_connect_object (self->bind_row, "notify::selected", G_CALLBACK (update_exposure_warning),
                           self, G_CONNECT_SWAPPED);
  update_exposure_warning (self);

  gtk_widget_set_sensitive (GTK_WIDGET (self->regenerate_button),
                            self->remote != NULL && orderly_remote_get_auth_enabled (self->remote));
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

  g_clear_object (&self->settings);
  g_clear_object (&self->remote);

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
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_REMOTE:
      g_value_set_object (value, self->remote);
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
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    case PROP_REMOTE:
      self->remote = g_value_dup_object (value);
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

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REMOTE] =
    g_param_spec_object ("remote", NULL, NULL, ORDERLY_TYPE_REMOTE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/orderly/Orderly/orderly-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, bind_row);
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, exposure_warning);
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, port_adjustment);
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, origins_row);
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, workers_adjustment);
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, work_us_adjustment);
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, update_rate_adjustment);
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, log_capacity_adjustment);
  gtk_widget_class_bind_template_child (widget_class, OrderlyPreferencesWindow, regenerate_button);
  gtk_widget_class_bind_template_callback (widget_class, origins_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, regenerate_clicked_cb);
}

static void
orderly_preferences_window_init (OrderlyPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * orderly_preferences_window_new:
 * @settings: the application's settings
 * @remote: (nullable): the remote-access model, for regenerating tokens
 *
 * Returns: (transfer full): a new preferences window
 */
OrderlyPreferencesWindow *
orderly_preferences_window_new (GSettings     *settings,
                                OrderlyRemote *remote)
{
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (!remote || ORDERLY_IS_REMOTE (remote), NULL);

  return g_object_new (ORDERLY_TYPE_PREFERENCES_WINDOW,
                       "settings", settings,
                       "remote", remote,
                       NULL);
}
