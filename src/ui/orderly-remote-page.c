/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-ui"

#include "config.h"

#include "orderly-remote-page.h"

#include <glib/gi18n.h>

#include "orderly-format.h"

/**
 * OrderlyRemotePage:
 *
 * Remote access at a glance: where the embedded server listens, the
 * dashboard links (operator and viewer) to copy or open, replacing the
 * access tokens behind them, and the clients connected right now with their
 * traffic, each of which can be disconnected, all bound to #OrderlyRemote.
 */

struct _OrderlyRemotePage
{
  AdwBin          parent_instance;

  /* Template widgets */
  GtkListBox     *client_list;

  /* Owned */
  OrderlyRemote  *remote;
};

enum {
  PROP_0,
  PROP_REMOTE,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (OrderlyRemotePage, orderly_remote_page, ADW_TYPE_BIN)

static GParamSpec *properties[N_PROPS];

static char *
format_address (gpointer    this,
                const char *url,
                gboolean    listening,
                const char *error_message)
{
  if (error_message != NULL && error_message[0] != '\0')
    /* Translators: the server could not listen; %s says why */
    return g_strdup_printf (_("Not listening: %s"), error_message);
  if (!listening || url == NULL)
    return g_strdup (_("Not listening yet"));
  return g_strdup (url);
}

static gboolean
is_not_listening (gpointer this,
                  gboolean listening)
{
  return !listening;
}

static char *
format_exposure (gpointer    this,
                 const char *bind_address,
                 gboolean    auth_enabled)
{
  gboolean loopback = bind_address == NULL || bind_address[0] == '\0' ||
                      g_str_equal (bind_address, "127.0.0.1") || g_str_equal (bind_address, "::1") ||
                      g_str_equal (bind_address, "localhost");

  if (loopback)
    return g_strdup (_("Reachable from this computer only"));
  if (!auth_enabled)
    return g_strdup (_("Reachable from the network without a token: anyone on it can control runs"));
  return g_strdup (_("Reachable from other computers on the network"));
}

static char *
format_client_count (gpointer this,
                     guint    n_clients)
{
  if (n_clients == 0)
    return g_strdup ("");
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u connected", "%u connected", n_clients),
                          n_clients);
}

static gboolean
transform_sent (GBinding     *binding,
                const GValue *from,
                GValue       *to,
                gpointer      user_data)
{
  guint64 sent = g_value_get_uint64 (from);
  g_autofree char *count = orderly_format_count ((gint64) sent);

  /* Translators: messages sent to a remote client, e.g. “1,234 messages sent” */
  g_value_take_string (to, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s message sent",
                                                         "%s messages sent", sent),
                                            count));
  return TRUE;
}

static gboolean
transform_dropped (GBinding     *binding,
                   const GValue *from,
                   GValue       *to,
                   gpointer      user_data)
{
  guint64 dropped = g_value_get_uint64 (from);
  g_autofree char *count = orderly_format_count ((gint64) dropped);

  /* Translators: messages a slow remote client had to miss */
  g_value_take_string (to, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s dropped",
                                                         "%s dropped", dropped),
                                            count));
  return TRUE;
}

static gboolean
transform_dropped_visible (GBinding     *binding,
                           const GValue *from,
                           GValue       *to,
                           gpointer      user_data)
{
  g_value_set_boolean (to, g_value_get_uint64 (from) > 0);
  return TRUE;
}

static gboolean
transform_details (GBinding     *binding,
                   const GValue *from,
                   GValue       *to,
                   gpointer      user_data)
{
  OrderlyClient *client = ORDERLY_CLIENT (g_binding_dup_source (binding));
  g_autofree char *since = orderly_format_clock_us (orderly_client_get_since (client));

  /* Translators: a remote client: role · how it is connected · from where · since when */
  g_value_take_string (to, g_strdup_printf (_("%s · %s · %s · connected since %s"),
                                            orderly_format_role (orderly_client_get_role (client)),
                                            orderly_format_transport (orderly_client_get_transport (client)),
                                            orderly_client_get_address (client),
                                            since));
  g_object_unref (client);
  return TRUE;
}

static gboolean
is_loopback (const char *address)
{
  g_autoptr(GInetAddress) inet = address != NULL ? g_inet_address_new_from_string (address) : NULL;

  return inet != NULL && g_inet_address_get_is_loopback (inet);
}

static GtkWidget *
create_client_row (gpointer item,
                   gpointer user_data)
{
  OrderlyClient *client = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *counters = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *sent = gtk_label_new (NULL);
  GtkWidget *dropped = gtk_label_new (NULL);
  GtkWidget *disconnect;
  g_autofree char *name = orderly_format_user_agent (orderly_client_get_user_agent (client));

  gtk_widget_add_css_class (row, "client");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  gtk_widget_set_tooltip_text (row, orderly_client_get_user_agent (client));
  g_object_bind_property_full (client, "transport", row, "subtitle", G_BINDING_SYNC_CREATE,
                               transform_details, NULL, NULL, NULL);

  /* A client on this computer: most likely the operator's own browser. An
   * icon, so that the name keeps its room in a narrow window. */
  if (is_loopback (orderly_client_get_address (client)))
    {
      GtkWidget *icon = gtk_image_new_from_icon_name ("computer-symbolic");

      gtk_widget_set_tooltip_text (icon, _("This Computer"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("This Computer"), -1);
      gtk_widget_add_css_class (row, "this-computer");
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
    }

  gtk_widget_set_valign (counters, GTK_ALIGN_CENTER);
  gtk_label_set_xalign (GTK_LABEL (sent), 1);
  gtk_label_set_xalign (GTK_LABEL (dropped), 1);
  gtk_widget_add_css_class (sent, "numeric");
  gtk_widget_add_css_class (dropped, "numeric");
  gtk_widget_add_css_class (dropped, "warning");
  gtk_widget_add_css_class (dropped, "caption");
  gtk_widget_add_css_class (sent, "caption");
  g_object_bind_property_full (client, "messages-sent", sent, "label", G_BINDING_SYNC_CREATE,
                               transform_sent, NULL, NULL, NULL);
  g_object_bind_property_full (client, "messages-dropped", dropped, "label", G_BINDING_SYNC_CREATE,
                               transform_dropped, NULL, NULL, NULL);
  g_object_bind_property_full (client, "messages-dropped", dropped, "visible", G_BINDING_SYNC_CREATE,
                               transform_dropped_visible, NULL, NULL, NULL);
  gtk_box_append (GTK_BOX (counters), sent);
  gtk_box_append (GTK_BOX (counters), dropped);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), counters);

  disconnect = gtk_button_new_from_icon_name ("window-close-symbolic");
  gtk_widget_set_valign (disconnect, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (disconnect, "flat");
  gtk_widget_add_css_class (disconnect, "disconnect");
  gtk_widget_set_tooltip_text (disconnect, _("Disconnect"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (disconnect), "remote.disconnect-client");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (disconnect), "s", orderly_client_get_id (client));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), disconnect);

  return row;
}

static void
copy_link (OrderlyRemotePage *self,
           char              *url,
           const char        *message)
{
  if (url == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), url);
  gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", message);
  g_free (url);
}

static void
open_link (OrderlyRemotePage *self,
           char              *url)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (url == NULL)
    return;
  gtk_show_uri (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, url, GDK_CURRENT_TIME);
  g_free (url);
}

static void
link_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  OrderlyRemotePage *self = ORDERLY_REMOTE_PAGE (widget);

  if (self->remote == NULL)
    return;
  if (g_str_equal (action_name, "remote.copy-operator-link"))
    copy_link (self, orderly_remote_dup_operator_url (self->remote),
               _("Operator link copied: it gives full control"));
  else if (g_str_equal (action_name, "remote.copy-viewer-link"))
    copy_link (self, orderly_remote_dup_viewer_url (self->remote), _("Viewer link copied"));
  else if (g_str_equal (action_name, "remote.open-operator-link"))
    open_link (self, orderly_remote_dup_operator_url (self->remote));
  else if (g_str_equal (action_name, "remote.open-viewer-link"))
    open_link (self, orderly_remote_dup_viewer_url (self->remote));
}

/* The client can come back with its link: to keep it out, replace the
 * tokens. */
static void
disconnect_client_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  OrderlyRemotePage *self = ORDERLY_REMOTE_PAGE (widget);
  OrderlyClient *client;
  g_autofree char *name = NULL;
  g_autofree char *message = NULL;

  if (self->remote == NULL)
    return;
  client = orderly_remote_find_client (self->remote, g_variant_get_string (parameter, NULL));
  if (client == NULL)
    return;
  name = orderly_format_user_agent (orderly_client_get_user_agent (client));
  orderly_client_disconnect (client, "Disconnected by the operator");
  /* Translators: after disconnecting a remote client, e.g. “Firefox on Linux disconnected” */
  message = g_strdup_printf (_("%s disconnected"), name);
  gtk_widget_activate_action (widget, "win.toast", "s", message);
}

static void
rotate_response_cb (OrderlyRemotePage *self,
                    const char        *response,
                    AdwMessageDialog  *dialog)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (g_strcmp0 (response, "replace") != 0 || self->remote == NULL)
    return;
  if (!orderly_remote_regenerate_tokens (self->remote, &error))
    {
      /* Translators: %s says why the access tokens stayed as they were */
      message = g_strdup_printf (_("The tokens were not replaced: %s"), error->message);
      gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", message);
      return;
    }
  gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s",
                              _("New tokens are in use: share the new links"));
}

static void
rotate_tokens_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  OrderlyRemotePage *self = ORDERLY_REMOTE_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                       _("Replace Access Tokens?"),
                                                       _("Dashboards and clients signed in with the current links are disconnected and need the new links.")));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "replace", _("_Replace"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "replace", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (rotate_response_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
update_actions (OrderlyRemotePage *self)
{
  gboolean has_url = self->remote != NULL && orderly_remote_get_url (self->remote) != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "remote.copy-operator-link", has_url);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "remote.open-operator-link", has_url);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "remote.copy-viewer-link", has_url);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "remote.open-viewer-link", has_url);
  /* Without authentication there are no tokens to replace. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "remote.rotate-tokens",
                                 self->remote != NULL && orderly_remote_get_auth_enabled (self->remote));
}

static void
orderly_remote_page_dispose (GObject *object)
{
  OrderlyRemotePage *self = (OrderlyRemotePage *) object;

  if (self->client_list != NULL)
    gtk_list_box_bind_model (self->client_list, NULL, NULL, NULL, NULL);
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), ORDERLY_TYPE_REMOTE_PAGE);
  g_clear_object (&self->remote);

  G_OBJECT_CLASS (orderly_remote_page_parent_class)->dispose (object);
}

static void
orderly_remote_page_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  OrderlyRemotePage *self = ORDERLY_REMOTE_PAGE (object);

  switch (prop_id)
    {
    case PROP_REMOTE:
      g_value_set_object (value, self->remote);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_remote_page_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  OrderlyRemotePage *self = ORDERLY_REMOTE_PAGE (object);

  switch (prop_id)
    {
    case PROP_REMOTE:
      orderly_remote_page_set_remote (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_remote_page_class_init (OrderlyRemotePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = orderly_remote_page_dispose;
  object_class->get_property = orderly_remote_page_get_property;
  object_class->set_property = orderly_remote_page_set_property;

  properties[PROP_REMOTE] =
    g_param_spec_object ("remote", NULL, NULL, ORDERLY_TYPE_REMOTE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (ORDERLY_TYPE_REMOTE);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/orderly/Orderly/orderly-remote-page.ui");
  gtk_widget_class_bind_template_child (widget_class, OrderlyRemotePage, client_list);
  gtk_widget_class_bind_template_child_full (widget_class, "address_row", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "choose_port_button", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "rotate_tokens_button", FALSE, 0);
  gtk_widget_class_bind_template_callback (widget_class, is_not_listening);
  gtk_widget_class_bind_template_callback (widget_class, format_address);
  gtk_widget_class_bind_template_callback (widget_class, format_exposure);
  gtk_widget_class_bind_template_callback (widget_class, format_client_count);

  gtk_widget_class_install_action (widget_class, "remote.copy-operator-link", NULL, link_action);
  gtk_widget_class_install_action (widget_class, "remote.open-operator-link", NULL, link_action);
  gtk_widget_class_install_action (widget_class, "remote.copy-viewer-link", NULL, link_action);
  gtk_widget_class_install_action (widget_class, "remote.open-viewer-link", NULL, link_action);
  gtk_widget_class_install_action (widget_class, "remote.disconnect-client", "s", disconnect_client_action);
  gtk_widget_class_install_action (widget_class, "remote.rotate-tokens", NULL, rotate_tokens_action);
}

static void
orderly_remote_page_init (OrderlyRemotePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update_actions (self);
}

OrderlyRemote *
orderly_remote_page_get_remote (OrderlyRemotePage *self)
{
  g_return_val_if_fail (ORDERLY_IS_REMOTE_PAGE (self), NULL);
  return self->remote;
}

void
orderly_remote_page_set_remote (OrderlyRemotePage *self,
                                OrderlyRemote     *remote)
{
  g_return_if_fail (ORDERLY_IS_REMOTE_PAGE (self));
  g_return_if_fail (!remote || ORDERLY_IS_REMOTE (remote));

  if (self->remote == remote)
    return;
  if (self->remote != NULL)
    g_signal_handlers_disconnect_by_func (self->remote, update_actions, self);
  g_set_object (&self->remote, remote);

  gtk_list_box_bind_model (self->client_list,
                           remote != NULL ? orderly_remote_get_clients (remote) : NULL,
                           create_client_row, NULL, NULL);
  if (remote != NULL)
    g_signal_connect_object (remote, "notify::url", G_CALLBACK (update_actions),
                             self, G_CONNECT_SWAPPED);
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REMOTE]);
}

/**
 * orderly_remote_page_get_client_list:
 *
 * Returns: (transfer none): the list of connected clients
 */
GtkListBox *
orderly_remote_page_get_client_list (OrderlyRemotePage *self)
{
  g_return_val_if_fail (ORDERLY_IS_REMOTE_PAGE (self), NULL);
  return self->client_list;
}
