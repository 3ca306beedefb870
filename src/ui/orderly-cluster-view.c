/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-ui"

#include "config.h"

#include "orderly-cluster-view.h"

#include <glib/gi18n.h>

#include "orderly-format.h"

/**
 * OrderlyClusterView:
 *
 * The instances that share the database, this one first: each one's host,
 * workers, rate and last heartbeat, and an instance that has gone quiet
 * marked as such. Shown only when the database is shared; on its own an
 * instance is the whole cluster and the group stays hidden.
 */

struct _OrderlyClusterView
{
  AdwBin               parent_instance;

  AdwPreferencesGroup *group;
  GtkListBox          *list;
  OrderlyCluster      *cluster;
};

enum {
  PROP_0,
  PROP_CLUSTER,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (OrderlyClusterView, orderly_cluster_view, ADW_TYPE_BIN)

static GParamSpec *properties[N_PROPS];

/* “ab12cd34 · 4 workers · heartbeat 19:55:10” */
static void
update_row (GtkWidget       *row,
            GParamSpec      *pspec,
            OrderlyInstance *instance)
{
  GtkWidget *rate = g_object_get_data (G_OBJECT (row), "rate");
  GtkWidget *quiet = g_object_get_data (G_OBJECT (row), "quiet");
  g_autofree char *short_id = g_strndup (orderly_instance_get_id (instance), 8);
  g_autofree char *heartbeat = orderly_format_clock_us (orderly_instance_get_heartbeat_us (instance));
  g_autofree char *rate_text = orderly_format_rate (orderly_instance_get_rate (instance));
  g_autofree char *subtitle = NULL;
  guint workers = orderly_instance_get_workers (instance);
  gboolean is_quiet = orderly_instance_get_quiet (instance);

  if (is_quiet)
    /* Translators: an instance of the cluster that stopped sending heartbeats, e.g. “ab12cd34 · quiet since 19:55:10” */
    subtitle = g_strdup_printf (_("%s · quiet since %s"), short_id, heartbeat);
  else
    /* Translators: an instance of the cluster: its id · its workers · its last heartbeat */
    subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s · %u worker · heartbeat %s",
                                             "%s · %u workers · heartbeat %s", workers),
                                short_id, workers, heartbeat);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_label_set_label (GTK_LABEL (rate), is_quiet ? "" : rate_text);
  gtk_widget_set_visible (quiet, is_quiet);
  if (is_quiet)
    gtk_widget_add_css_class (row, "quiet");
  else
    gtk_widget_remove_css_class (row, "quiet");
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  OrderlyInstance *instance = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *rate = gtk_label_new (NULL);
  GtkWidget *quiet = gtk_label_new (_("Quiet"));

  gtk_widget_add_css_class (row, "instance");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), orderly_instance_get_host (instance));
  gtk_widget_set_tooltip_text (row, orderly_instance_get_id (instance));
  if (orderly_instance_get_local (instance))
    {
      GtkWidget *icon = gtk_image_new_from_icon_name ("computer-symbolic");

      gtk_widget_set_tooltip_text (icon, _("This Instance"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("This Instance"), -1);
      gtk_widget_add_css_class (row, "this-instance");
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
    }
  gtk_widget_add_css_class (rate, "numeric");
  gtk_widget_add_css_class (rate, "dim-label");
  gtk_widget_add_css_class (quiet, "warning");
  gtk_widget_add_css_class (quiet, "caption-heading");
  gtk_widget_set_valign (quiet, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), quiet);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), rate);
  g_object_set_data (G_OBJECT (row), "rate", rate);
  g_object_set_data (G_OBJECT (row), "quiet", quiet);
  g_signal_connect_object (instance, "notify", G_CALLBACK (update_row), row, G_CONNECT_SWAPPED);
  update_row (row, NULL, instance);
  return row;
}

static void
update_visible (OrderlyClusterView *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self), self->cluster != NULL && orderly_cluster_get_shared (self->cluster));
}

static void
orderly_cluster_view_dispose (GObject *object)
{
  OrderlyClusterView *self = ORDERLY_CLUSTER_VIEW (object);

  if (self->list != NULL)
    gtk_list_box_bind_model (self->list, NULL, NULL, NULL, NULL);
  g_clear_object (&self->cluster);

  G_OBJECT_CLASS (orderly_cluster_view_parent_class)->dispose (object);
}

static void
orderly_cluster_view_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  OrderlyClusterView *self = ORDERLY_CLUSTER_VIEW (object);

  switch (prop_id)
    {
    case PROP_CLUSTER:
      g_value_set_object (value, self->cluster);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_cluster_view_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  OrderlyClusterView *self = ORDERLY_CLUSTER_VIEW (object);

  switch (prop_id)
    {
    case PROP_CLUSTER:
      orderly_cluster_view_set_cluster (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_cluster_view_class_init (OrderlyClusterViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = orderly_cluster_view_dispose;
  object_class->get_property = orderly_cluster_view_get_property;
  object_class->set_property = orderly_cluster_view_set_property;

  properties[PROP_CLUSTER] =
    g_param_spec_object ("cluster", NULL, NULL, ORDERLY_TYPE_CLUSTER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
orderly_cluster_view_init (OrderlyClusterView *self)
{
  self->group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->group, _("Cluster"));
  adw_preferences_group_set_description (self->group, _("The instances that share the database"));
  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "boxed-list");
  adw_preferences_group_add (self->group, GTK_WIDGET (self->list));
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->group));
  update_visible (self);
}

GtkWidget *
orderly_cluster_view_new (void)
{
  return g_object_new (ORDERLY_TYPE_CLUSTER_VIEW, NULL);
}

OrderlyCluster *
orderly_cluster_view_get_cluster (OrderlyClusterView *self)
{
  g_return_val_if_fail (ORDERLY_IS_CLUSTER_VIEW (self), NULL);
  return self->cluster;
}

/**
 * orderly_cluster_view_set_cluster:
 * @cluster: (nullable): the cluster to show
 */
void
orderly_cluster_view_set_cluster (OrderlyClusterView *self,
                                  OrderlyCluster     *cluster)
{
  g_return_if_fail (ORDERLY_IS_CLUSTER_VIEW (self));
  g_return_if_fail (!cluster || ORDERLY_IS_CLUSTER (cluster));

  if (self->cluster == cluster)
    return;
  if (self->cluster != NULL)
    g_signal_handlers_disconnect_by_data (self->cluster, self);
  g_set_object (&self->cluster, cluster);
  gtk_list_box_bind_model (self->list, G_LIST_MODEL (cluster), cluster != NULL ? create_row : NULL, NULL, NULL);
  if (cluster != NULL)
    g_signal_connect_object (cluster, "notify::shared", G_CALLBACK (update_visible), self, G_CONNECT_SWAPPED);
  update_visible (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLUSTER]);
}

/**
 * orderly_cluster_view_get_list:
 *
 * Returns: (transfer none): the list of instances
 */
GtkListBox *
orderly_cluster_view_get_list (OrderlyClusterView *self)
{
  g_return_val_if_fail (ORDERLY_IS_CLUSTER_VIEW (self), NULL);
  return self->list;
}
