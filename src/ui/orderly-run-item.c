/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-ui"

#include "config.h"

#include "orderly-run-item.h"

#include "orderly-enums.h"

/**
 * OrderlyRunItem:
 *
 * One row of run history as an object, so that a list model can hold it and
 * the history table can bind to its fields. The history is reloaded when a
 * run ends; the row of the run that goes follows the live status until then.
 */

struct _OrderlyRunItem
{
  GObject          parent_instance;
  OrderlyRunRecord record;
};

enum {
  PROP_0,
  PROP_ID,
  PROP_QUANTITY,
  PROP_PHASE,
  PROP_WORKERS,
  PROP_STARTED_AT_US,
  PROP_FINISHED_AT_US,
  PROP_GENERATION_MS,
  PROP_ENQUEUE_VIP_MS,
  PROP_ENQUEUE_NORMAL_MS,
  PROP_VIP_MS,
  PROP_VIP_COUNT,
  PROP_NORMAL_MS,
  PROP_NORMAL_COUNT,
  PROP_TOTAL_MS,
  PROP_VIP_SHARE,
  PROP_ERROR_MESSAGE,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (OrderlyRunItem, orderly_run_item, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static void
orderly_run_item_finalize (GObject *object)
{
  OrderlyRunItem *self = (OrderlyRunItem *) object;

  orderly_run_record_clear (&self->record);

  G_OBJECT_CLASS (orderly_run_item_parent_class)->finalize (object);
}

static void
orderly_run_item_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  OrderlyRunItem *self = ORDERLY_RUN_ITEM (object);
  const OrderlyRunRecord *r = &self->record;

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, r->id);
      break;
    case PROP_QUANTITY:
      g_value_set_int64 (value, r->quantity);
      break;
    case PROP_PHASE:
      g_value_set_enum (value, r->phase);
      break;
    case PROP_WORKERS:
      g_value_set_uint (value, r->workers);
      break;
    case PROP_STARTED_AT_US:
      g_value_set_int64 (value, r->started_at_us);
      break;
    case PROP_FINISHED_AT_US:
      g_value_set_int64 (value, r->finished_at_us);
      break;
    case PROP_GENERATION_MS:
      g_value_set_double (value, r->generation_ms);
      break;
    case PROP_ENQUEUE_VIP_MS:
      g_value_set_double (value, r->enqueue_vip_ms);
      break;
    case PROP_ENQUEUE_NORMAL_MS:
      g_value_set_double (value, r->enqueue_normal_ms);
      break;
    case PROP_VIP_MS:
      g_value_set_double (value, r->vip_ms);
      break;
    case PROP_VIP_COUNT:
      g_value_set_int64 (value, r->vip_count);
      break;
    case PROP_NORMAL_MS:
      g_value_set_double (value, r->normal_ms);
      break;
    case PROP_NORMAL_COUNT:
      g_value_set_int64 (value, r->normal_count);
      break;
    case PROP_TOTAL_MS:
      g_value_set_double (value, r->total_ms);
      break;
    case PROP_VIP_SHARE:
      g_value_set_double (value, r->vip_share);
      break;
    case PROP_ERROR_MESSAGE:
      g_value_set_string (value, r->error_message);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_run_item_class_init (OrderlyRunItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = orderly_run_item_finalize;
  object_class->get_property = orderly_run_item_get_property;

  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_QUANTITY] = g_param_spec_int64 ("quantity", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_PHASE] = g_param_spec_enum ("phase", NULL, NULL, ORDERLY_TYPE_PHASE, ORDERLY_PHASE_IDLE, flags);
  properties[PROP_WORKERS] = g_param_spec_uint ("workers", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_STARTED_AT_US] = g_param_spec_int64 ("started-at-us", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_FINISHED_AT_US] = g_param_spec_int64 ("finished-at-us", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_GENERATION_MS] = g_param_spec_double ("generation-ms", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, flags);
  properties[PROP_ENQUEUE_VIP_MS] = g_param_spec_double ("enqueue-vip-ms", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, flags);
  properties[PROP_ENQUEUE_NORMAL_MS] = g_param_spec_double ("enqueue-normal-ms", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, flags);
  properties[PROP_VIP_MS] = g_param_spec_double ("vip-ms", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, flags);
  properties[PROP_VIP_COUNT] = g_param_spec_int64 ("vip-count", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_NORMAL_MS] = g_param_spec_double ("normal-ms", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, flags);
  properties[PROP_NORMAL_COUNT] = g_param_spec_int64 ("normal-count", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_TOTAL_MS] = g_param_spec_double ("total-ms", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, flags);
  properties[PROP_VIP_SHARE] = g_param_spec_double ("vip-share", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, flags);
  properties[PROP_ERROR_MESSAGE] = g_param_spec_string ("error-message", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
orderly_run_item_init (OrderlyRunItem *self)
{
}

/**
 * orderly_run_item_new:
 * @record: the run, copied
 *
 * Returns: (transfer full): a new item
 */
OrderlyRunItem *
orderly_run_item_new (const OrderlyRunRecord *record)
{
  OrderlyRunItem *self;

  g_return_val_if_fail (record != NULL, NULL);

  self = g_object_new (ORDERLY_TYPE_RUN_ITEM, NULL);
  self->record = *record;
  self->record.error_message = g_strdup (record->error_message);
  return self;
}

const OrderlyRunRecord *
orderly_run_item_get_record (OrderlyRunItem *self)
{
  g_return_val_if_fail (ORDERLY_IS_RUN_ITEM (self), NULL);
  return &self->record;
}

#define FOLLOW(field, prop, value) \
  G_STMT_START { \
    if (self->record.field != (value)) \
      { \
        self->record.field = (value); \
        g_object_notify_by_pspec (G_OBJECT (self), properties[prop]); \
      } \
  } G_STMT_END

/**
 * orderly_run_item_follow_status:
 * @data: the live status of this run
 *
 * Shows what the run has done so far, which its stored row says only once
 * it ends.
 */
void
orderly_run_item_follow_status (OrderlyRunItem          *self,
                                const OrderlyStatusData *data)
{
  g_return_if_fail (ORDERLY_IS_RUN_ITEM (self));
  g_return_if_fail (data != NULL);
  g_return_if_fail (data->run_id == self->record.id);

  g_object_freeze_notify (G_OBJECT (self));
  FOLLOW (phase, PROP_PHASE, data->phase);
  FOLLOW (generation_ms, PROP_GENERATION_MS, data->generation_ms);
  FOLLOW (enqueue_vip_ms, PROP_ENQUEUE_VIP_MS, data->enqueue_vip_ms);
  FOLLOW (vip_ms, PROP_VIP_MS, data->vip_ms);
  FOLLOW (vip_count, PROP_VIP_COUNT, data->vip_processed);
  FOLLOW (enqueue_normal_ms, PROP_ENQUEUE_NORMAL_MS, data->enqueue_normal_ms);
  FOLLOW (normal_ms, PROP_NORMAL_MS, data->normal_ms);
  FOLLOW (normal_count, PROP_NORMAL_COUNT, data->normal_processed);
  FOLLOW (total_ms, PROP_TOTAL_MS, data->total_ms);
  g_object_thaw_notify (G_OBJECT (self));
}

#undef FOLLOW
