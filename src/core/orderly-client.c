/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-remote"

#include "config.h"

#include "orderly-client.h"

/**
 * OrderlyClient:
 *
 * One connected remote client as the operator sees it: where from, over which
 * transport, with which role, since when, and how many messages it was sent
 * or had to drop. The server owns the connection; this is its public face,
 * and the way to ask for its end: orderly_client_disconnect() emits
 * #OrderlyClient::disconnect-requested, which the server acts on.
 */

struct _OrderlyClient
{
  GObject  parent_instance;
  char    *id;
  char    *address;
  char    *transport;
  char    *role;
  char    *user_agent;
  gint64   since;
  guint64  messages_sent;
  guint64  messages_dropped;
};

enum {
  PROP_0,
  PROP_ID,
  PROP_ADDRESS,
  PROP_TRANSPORT,
  PROP_ROLE,
  PROP_USER_AGENT,
  PROP_SINCE,
  PROP_MESSAGES_SENT,
  PROP_MESSAGES_DROPPED,
  N_PROPS
};

enum {
  DISCONNECT_REQUESTED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (OrderlyClient, orderly_client, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
orderly_client_finalize (GObject *object)
{
  OrderlyClient *self = (OrderlyClient *) object;

  g_free (self->id);
  g_free (self->address);
  g_free (self->transport);
  g_free (self->role);
  g_free (self->user_agent);

  G_OBJECT_CLASS (orderly_client_parent_class)->finalize (object);
}

static void
orderly_client_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  OrderlyClient *self = ORDERLY_CLIENT (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_ADDRESS:
      g_value_set_string (value, self->address);
      break;
    case PROP_TRANSPORT:
      g_value_set_string (value, self->transport);
      break;
    case PROP_ROLE:
      g_value_set_string (value, self->role);
      break;
    case PROP_USER_AGENT:
      g_value_set_string (value, self->user_agent);
      break;
    case PROP_SINCE:
      g_value_set_int64 (value, self->since);
      break;
    case PROP_MESSAGES_SENT:
      g_value_set_uint64 (value, self->messages_sent);
      break;
    case PROP_MESSAGES_DROPPED:
      g_value_set_uint64 (value, self->messages_dropped);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_client_class_init (OrderlyClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = orderly_client_finalize;
  object_class->get_property = orderly_client_get_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_ADDRESS] = g_param_spec_string ("address", NULL, NULL, NULL, flags);
  properties[PROP_TRANSPORT] = g_param_spec_string ("transport", NULL, NULL, NULL, flags);
  properties[PROP_ROLE] = g_param_spec_string ("role", NULL, NULL, NULL, flags);
  properties[PROP_USER_AGENT] = g_param_spec_string ("user-agent", NULL, NULL, NULL, flags);
  properties[PROP_SINCE] = g_param_spec_int64 ("since", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_MESSAGES_SENT] =
    g_param_spec_uint64 ("messages-sent", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_MESSAGES_DROPPED] =
    g_param_spec_uint64 ("messages-dropped", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * OrderlyClient::disconnect-requested:
   * @reason: why, in words the client is told
   *
   * Someone asked to end the client's connection. The server ends it (its
   * live feed closes it with a policy violation, which keeps Socket.IO
   * clients from reconnecting by themselves) and the client then leaves
   * #OrderlyRemote:clients.
   */
  signals[DISCONNECT_REQUESTED] =
    g_signal_new ("disconnect-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
orderly_client_init (OrderlyClient *self)
{
}

OrderlyClient *
orderly_client_new (const char *id,
                    const char *address,
                    const char *transport,
                    const char *role,
                    const char *user_agent)
{
  OrderlyClient *self = g_object_new (ORDERLY_TYPE_CLIENT, NULL);

  self->id = g_strdup (id);
  self->address = g_strdup (address);
  self->transport = g_strdup (transport);
  self->role = g_strdup (role);
  self->user_agent = g_strdup (user_agent ? user_agent : "");
  self->since = g_get_real_time ();
  return self;
}

const char *
orderly_client_get_id (OrderlyClient *self)
{
  g_return_val_if_fail (ORDERLY_IS_CLIENT (self), NULL);
  return self->id;
}

const char *
orderly_client_get_address (OrderlyClient *self)
{
  g_return_val_if_fail (ORDERLY_IS_CLIENT (self), NULL);
  return self->address;
}

const char *
orderly_client_get_transport (OrderlyClient *self)
{
  g_return_val_if_fail (ORDERLY_IS_CLIENT (self), NULL);
  return self->transport;
}

/**
 * orderly_client_set_transport:
 *
 * For a client that upgrades, say from polling to WebSocket.
 */
void
orderly_client_set_transport (OrderlyClient *self,
                              const char    *transport)
{
  g_return_if_fail (ORDERLY_IS_CLIENT (self));

  if (g_strcmp0 (self->transport, transport) == 0)
    return;
  g_free (self->transport);
  self->transport = g_strdup (transport);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRANSPORT]);
}

const char *
orderly_client_get_role (OrderlyClient *self)
{
  g_return_val_if_fail (ORDERLY_IS_CLIENT (self), NULL);
  return self->role;
}

const char *
orderly_client_get_user_agent (OrderlyClient *self)
{
  g_return_val_if_fail (ORDERLY_IS_CLIENT (self), NULL);
  return self->user_agent;
}

/**
 * orderly_client_get_since:
 *
 * Returns: when it connected, in microseconds since the epoch
 */
gint64
orderly_client_get_since (OrderlyClient *self)
{
  g_return_val_if_fail (ORDERLY_IS_CLIENT (self), 0);
  return self->since;
}

guint64
orderly_client_get_messages_sent (OrderlyClient *self)
{
  g_return_val_if_fail (ORDERLY_IS_CLIENT (self), 0);
  return self->messages_sent;
}

guint64
orderly_client_get_messages_dropped (OrderlyClient *self)
{
  g_return_val_if_fail (ORDERLY_IS_CLIENT (self), 0);
  return self->messages_dropped;
}

void
orderly_client_set_counters (OrderlyClient *self,
                             guint64        messages_sent,
                             guint64        messages_dropped)
{
  g_return_if_fail (ORDERLY_IS_CLIENT (self));

  if (self->messages_sent != messages_sent)
    {
      self->messages_sent = messages_sent;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGES_SENT]);
    }
  if (self->messages_dropped != messages_dropped)
    {
      self->messages_dropped = messages_dropped;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGES_DROPPED]);
    }
}

/**
 * orderly_client_disconnect:
 * @reason: why, told to the client
 *
 * Asks the server to end the client's connection.
 */
void
orderly_client_disconnect (OrderlyClient *self,
                           const char    *reason)
{
  g_return_if_fail (ORDERLY_IS_CLIENT (self));
  g_return_if_fail (reason != NULL);

  g_signal_emit (self, signals[DISCONNECT_REQUESTED], 0, reason);
}
