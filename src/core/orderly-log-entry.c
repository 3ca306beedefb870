/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-log"

#include "config.h"

#include "orderly-enums.h"
#include "orderly-log-entry.h"

/**
 * OrderlyLogEntry:
 *
 * One immutable log line: when, how serious, which part of Orderly, what it
 * says, and optional structured data as JSON text.
 */

struct _OrderlyLogEntry
{
  GObject           parent_instance;
  OrderlyLogRecord *record;
};

enum {
  PROP_0,
  PROP_ID,
  PROP_TIMESTAMP,
  PROP_LEVEL,
  PROP_CATEGORY,
  PROP_MESSAGE,
  PROP_DATA,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (OrderlyLogEntry, orderly_log_entry, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static void
orderly_log_entry_finalize (GObject *object)
{
  OrderlyLogEntry *self = (OrderlyLogEntry *) object;

  g_clear_pointer (&self->record, orderly_log_record_free);

  G_OBJECT_CLASS (orderly_log_entry_parent_class)->finalize (object);
}

static void
orderly_log_entry_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  OrderlyLogEntry *self = ORDERLY_LOG_ENTRY (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->record->id);
      break;
    case PROP_TIMESTAMP:
      g_value_set_int64 (value, self->record->timestamp_ms);
      break;
    case PROP_LEVEL:
      g_value_set_enum (value, self->record->level);
      break;
    case PROP_CATEGORY:
      g_value_set_string (value, self->record->category);
      break;
    case PROP_MESSAGE:
      g_value_set_string (value, self->record->message);
      break;
    case PROP_DATA:
      g_value_set_string (value, self->record->data_json);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_log_entry_class_init (OrderlyLogEntryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = orderly_log_entry_finalize;
  object_class->get_property = orderly_log_entry_get_property;

  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_TIMESTAMP] =
    g_param_spec_int64 ("timestamp", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_LEVEL] = g_param_spec_enum ("level", NULL, NULL, ORDERLY_TYPE_LOG_LEVEL,
                                              ORDERLY_LOG_LEVEL_LOG, flags);
  properties[PROP_CATEGORY] = g_param_spec_string ("category", NULL, NULL, NULL, flags);
  properties[PROP_MESSAGE] = g_param_spec_string ("message", NULL, NULL, NULL, flags);
  properties[PROP_DATA] = g_param_spec_string ("data", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
orderly_log_entry_init (OrderlyLogEntry *self)
{
}

/**
 * orderly_log_entry_new_from_record:
 * @record: (transfer full): the line
 */
OrderlyLogEntry *
orderly_log_entry_new_from_record (OrderlyLogRecord *record)
{
  OrderlyLogEntry *self;

  g_return_val_if_fail (record != NULL, NULL);

  self = g_object_new (ORDERLY_TYPE_LOG_ENTRY, NULL);
  self->record = record;
  return self;
}

gint64
orderly_log_entry_get_id (OrderlyLogEntry *self)
{
  g_return_val_if_fail (ORDERLY_IS_LOG_ENTRY (self), 0);
  return self->record->id;
}

/**
 * orderly_log_entry_get_timestamp:
 *
 * Returns: milliseconds since the epoch
 */
gint64
orderly_log_entry_get_timestamp (OrderlyLogEntry *self)
{
  g_return_val_if_fail (ORDERLY_IS_LOG_ENTRY (self), 0);
  return self->record->timestamp_ms;
}

OrderlyLogLevel
orderly_log_entry_get_level (OrderlyLogEntry *self)
{
  g_return_val_if_fail (ORDERLY_IS_LOG_ENTRY (self), ORDERLY_LOG_LEVEL_LOG);
  return self->record->level;
}

const char *
orderly_log_entry_get_category (OrderlyLogEntry *self)
{
  g_return_val_if_fail (ORDERLY_IS_LOG_ENTRY (self), NULL);
  return self->record->category;
}

const char *
orderly_log_entry_get_message (OrderlyLogEntry *self)
{
  g_return_val_if_fail (ORDERLY_IS_LOG_ENTRY (self), NULL);
  return self->record->message;
}

/**
 * orderly_log_entry_get_data:
 *
 * Returns: (nullable): the structured data as JSON text
 */
const char *
orderly_log_entry_get_data (OrderlyLogEntry *self)
{
  g_return_val_if_fail (ORDERLY_IS_LOG_ENTRY (self), NULL);
  return self->record->data_json;
}

/**
 * orderly_log_entry_get_instance:
 *
 * Returns: (nullable): the id of the cluster instance the line came from,
 *   or %NULL for a line of this instance
 */
const char *
orderly_log_entry_get_instance (OrderlyLogEntry *self)
{
  g_return_val_if_fail (ORDERLY_IS_LOG_ENTRY (self), NULL);
  return self->record->instance;
}
