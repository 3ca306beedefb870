/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-cluster"

#include "config.h"

#include <string.h>
#include <unistd.h>

#include "orderly-instance.h"

/**
 * OrderlyInstance:
 *
 * One Orderly process of a cluster, as the others see it: its id and host,
 * how many workers it runs, its recent rate, and when it last gave a sign
 * of life. An instance that stops sending heartbeats is marked quiet.
 */

struct _OrderlyInstance
{
  GObject   parent_instance;
  char     *id;
  char     *host;
  gboolean  local;
  guint     workers;
  double    rate;
  gint64    processed;
  gint64    heartbeat_us;
  gboolean  quiet;
};

enum {
  PROP_0,
  PROP_ID,
  PROP_HOST,
  PROP_LOCAL,
  PROP_WORKERS,
  PROP_RATE,
  PROP_PROCESSED,
  PROP_HEARTBEAT_US,
  PROP_QUIET,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (OrderlyInstance, orderly_instance, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static void
orderly_instance_finalize (GObject *object)
{
  OrderlyInstance *self = (OrderlyInstance *) object;

  g_free (self->id);
  g_free (self->host);

  G_OBJECT_CLASS (orderly_instance_parent_class)->finalize (object);
}

static void
orderly_instance_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  OrderlyInstance *self = ORDERLY_INSTANCE (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_LOCAL:
      g_value_set_boolean (value, self->local);
      break;
    case PROP_WORKERS:
      g_value_set_uint (value, self->workers);
      break;
    case PROP_RATE:
      g_value_set_double (value, self->rate);
      break;
    case PROP_PROCESSED:
      g_value_set_int64 (value, self->processed);
      break;
    case PROP_HEARTBEAT_US:
      g_value_set_int64 (value, self->heartbeat_us);
      break;
    case PROP_QUIET:
      g_value_set_boolean (value, self->quiet);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_instance_class_init (OrderlyInstanceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = orderly_instance_finalize;
  object_class->get_property = orderly_instance_get_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, NULL, flags);
  properties[PROP_LOCAL] = g_param_spec_boolean ("local", NULL, NULL, FALSE, flags);
  properties[PROP_WORKERS] = g_param_spec_uint ("workers", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_RATE] = g_param_spec_double ("rate", NULL, NULL, 0, G_MAXDOUBLE, 0, flags);
  properties[PROP_PROCESSED] = g_param_spec_int64 ("processed", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_HEARTBEAT_US] = g_param_spec_int64 ("heartbeat-us", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_QUIET] = g_param_spec_boolean ("quiet", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
orderly_instance_init (OrderlyInstance *self)
{
}

/**
 * orderly_instance_new_id:
 *
 * Returns: (transfer full): a new instance id: the host name and a random part
 */
char *
orderly_instance_new_id (void)
{
  g_autofree char *uuid = g_uuid_string_random ();
  char host[64] = "";

  if (gethostname (host, sizeof host - 1) != 0 || host[0] == '\0')
    g_strlcpy (host, "orderly", sizeof host);
  host[strcspn (host, ".")] = '\0';
  return g_strdup_printf ("%s-%.8s", host, uuid);
}

OrderlyInstance *
orderly_instance_new (const char *id,
                      const char *host,
                      gboolean    local)
{
  OrderlyInstance *self = g_object_new (ORDERLY_TYPE_INSTANCE, NULL);

  self->id = g_strdup (id);
  self->host = g_strdup (host);
  self->local = local;
  return self;
}

const char *
orderly_instance_get_id (OrderlyInstance *self)
{
  g_return_val_if_fail (ORDERLY_IS_INSTANCE (self), NULL);
  return self->id;
}

const char *
orderly_instance_get_host (OrderlyInstance *self)
{
  g_return_val_if_fail (ORDERLY_IS_INSTANCE (self), NULL);
  return self->host;
}

gboolean
orderly_instance_get_local (OrderlyInstance *self)
{
  g_return_val_if_fail (ORDERLY_IS_INSTANCE (self), FALSE);
  return self->local;
}

guint
orderly_instance_get_workers (OrderlyInstance *self)
{
  g_return_val_if_fail (ORDERLY_IS_INSTANCE (self), 0);
  return self->workers;
}

double
orderly_instance_get_rate (OrderlyInstance *self)
{
  g_return_val_if_fail (ORDERLY_IS_INSTANCE (self), 0);
  return self->rate;
}

gint64
orderly_instance_get_processed (OrderlyInstance *self)
{
  g_return_val_if_fail (ORDERLY_IS_INSTANCE (self), 0);
  return self->processed;
}

gint64
orderly_instance_get_heartbeat_us (OrderlyInstance *self)
{
  g_return_val_if_fail (ORDERLY_IS_INSTANCE (self), 0);
  return self->heartbeat_us;
}

gboolean
orderly_instance_get_quiet (OrderlyInstance *self)
{
  g_return_val_if_fail (ORDERLY_IS_INSTANCE (self), FALSE);
  return self->quiet;
}

/**
 * orderly_instance_update:
 *
 * Takes what @info says (its id and host are not changed), notifying the
 * properties that changed.
 */
void
orderly_instance_update (OrderlyInstance           *self,
                         const OrderlyInstanceInfo *info)
{
  g_return_if_fail (ORDERLY_IS_INSTANCE (self));
  g_return_if_fail (info != NULL);

  g_object_freeze_notify (G_OBJECT (self));
  if (self->workers != info->workers)
    {
      self->workers = info->workers;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKERS]);
    }
  if (self->rate != info->rate)
    {
      self->rate = MAX (info->rate, 0);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RATE]);
    }
  if (self->processed != info->processed)
    {
      self->processed = MAX (info->processed, 0);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROCESSED]);
    }
  if (self->heartbeat_us != info->heartbeat_us)
    {
      self->heartbeat_us = MAX (info->heartbeat_us, 0);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HEARTBEAT_US]);
    }
  if (self->quiet != info->quiet)
    {
      self->quiet = info->quiet;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_QUIET]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}
