/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-run"

#include "config.h"

#include "orderly-enums.h"
#include "orderly-fields.h"
#include "orderly-run.h"

/**
 * OrderlyRun:
 *
 * One run of the history as an object, for list models and bindings: the
 * window's history table and the server's run listings read the same ones.
 * The run under way is kept up to date as it goes; only the properties that
 * change are notified.
 */

struct _OrderlyRun
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
  PROP_GENERATED,
  PROP_VIP_TOTAL,
  PROP_NORMAL_TOTAL,
  PROP_VIP_FAILED,
  PROP_NORMAL_FAILED,
  PROP_PAUSED_MS,
  PROP_CHECK_STATE,
  PROP_ERROR_MESSAGE,
  PROP_CHECK_MESSAGE,
  N_PROPS
};

#define F(prop, name, type, member) ORDERLY_FIELD_DEFINE (prop, name, type, OrderlyRunRecord, member)

static const OrderlyField fields[N_PROPS] = {
  F (PROP_ID, "id", INT64, id),
  F (PROP_QUANTITY, "quantity", INT64, quantity),
  F (PROP_PHASE, "phase", PHASE, phase),
  F (PROP_WORKERS, "workers", UINT, workers),
  F (PROP_STARTED_AT_US, "started-at-us", INT64, started_at_us),
  F (PROP_FINISHED_AT_US, "finished-at-us", INT64, finished_at_us),
  F (PROP_GENERATION_MS, "generation-ms", DOUBLE, generation_ms),
  F (PROP_ENQUEUE_VIP_MS, "enqueue-vip-ms", DOUBLE, enqueue_vip_ms),
  F (PROP_ENQUEUE_NORMAL_MS, "enqueue-normal-ms", DOUBLE, enqueue_normal_ms),
  F (PROP_VIP_MS, "vip-ms", DOUBLE, vip_ms),
  F (PROP_VIP_COUNT, "vip-count", INT64, vip_count),
  F (PROP_NORMAL_MS, "normal-ms", DOUBLE, normal_ms),
  F (PROP_NORMAL_COUNT, "normal-count", INT64, normal_count),
  F (PROP_TOTAL_MS, "total-ms", DOUBLE, total_ms),
  F (PROP_VIP_SHARE, "vip-share", DOUBLE, vip_share),
  F (PROP_GENERATED, "generated", INT64, generated),
  F (PROP_VIP_TOTAL, "vip-total", INT64, vip_total),
  F (PROP_NORMAL_TOTAL, "normal-total", INT64, normal_total),
  F (PROP_VIP_FAILED, "vip-failed", INT64, vip_failed),
  F (PROP_NORMAL_FAILED, "normal-failed", INT64, normal_failed),
  F (PROP_PAUSED_MS, "paused-ms", DOUBLE, paused_ms),
  F (PROP_CHECK_STATE, "check-state", INT, check_state),
  F (PROP_ERROR_MESSAGE, "error-message", STRING, error_message),
  F (PROP_CHECK_MESSAGE, "check-message", STRING, check_message),
};

#undef F

G_DEFINE_FINAL_TYPE (OrderlyRun, orderly_run, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static void
orderly_run_finalize (GObject *object)
{
  OrderlyRun *self = (OrderlyRun *) object;

  orderly_run_record_clear (&self->record);

  G_OBJECT_CLASS (orderly_run_parent_class)->finalize (object);
}

static void
orderly_run_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  OrderlyRun *self = ORDERLY_RUN (object);

  if (prop_id == 0 || prop_id >= N_PROPS)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  orderly_field_get_value (&fields[prop_id], &self->record, value);
}

static void
orderly_run_class_init (OrderlyRunClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = orderly_run_finalize;
  object_class->get_property = orderly_run_get_property;

  for (guint i = 1; i < N_PROPS; i++)
    {
      const char *name = fields[i].name;

      switch (fields[i].type)
        {
        case ORDERLY_FIELD_INT64:
          properties[i] = g_param_spec_int64 (name, NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
          break;
        case ORDERLY_FIELD_DOUBLE:
          properties[i] = g_param_spec_double (name, NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, flags);
          break;
        case ORDERLY_FIELD_UINT:
          properties[i] = g_param_spec_uint (name, NULL, NULL, 0, G_MAXUINT, 0, flags);
          break;
        case ORDERLY_FIELD_INT:
          properties[i] = g_param_spec_int (name, NULL, NULL, G_MININT, G_MAXINT, 0, flags);
          break;
        case ORDERLY_FIELD_PHASE:
          properties[i] = g_param_spec_enum (name, NULL, NULL, ORDERLY_TYPE_PHASE, ORDERLY_PHASE_IDLE, flags);
          break;
        case ORDERLY_FIELD_STRING:
          properties[i] = g_param_spec_string (name, NULL, NULL, NULL, flags);
          break;
        case ORDERLY_FIELD_BOOLEAN:
        default:
          g_assert_not_reached ();
        }
    }
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
orderly_run_init (OrderlyRun *self)
{
}

/**
 * orderly_run_new:
 * @record: the run, copied
 *
 * Returns: (transfer full): a new run object
 */
OrderlyRun *
orderly_run_new (const OrderlyRunRecord *record)
{
  OrderlyRun *self;

  g_return_val_if_fail (record != NULL, NULL);

  self = g_object_new (ORDERLY_TYPE_RUN, NULL);
  self->record = *record;
  self->record.error_message = g_strdup (record->error_message);
  self->record.check_message = g_strdup (record->check_message);
  return self;
}

/**
 * orderly_run_get_record:
 *
 * Returns: (transfer none): the run's fields, valid until the next update
 */
const OrderlyRunRecord *
orderly_run_get_record (OrderlyRun *self)
{
  g_return_val_if_fail (ORDERLY_IS_RUN (self), NULL);
  return &self->record;
}

gint64
orderly_run_get_id (OrderlyRun *self)
{
  g_return_val_if_fail (ORDERLY_IS_RUN (self), 0);
  return self->record.id;
}

/**
 * orderly_run_update:
 * @record: the same run (same id), as it is now
 *
 * Returns: whether anything changed; what did is notified
 */
gboolean
orderly_run_update (OrderlyRun             *self,
                    const OrderlyRunRecord *record)
{
  gboolean changed = FALSE;

  g_return_val_if_fail (ORDERLY_IS_RUN (self), FALSE);
  g_return_val_if_fail (record != NULL && record->id == self->record.id, FALSE);

  g_object_freeze_notify (G_OBJECT (self));
  for (guint i = 1; i < N_PROPS; i++)
    {
      if (orderly_field_copy (&fields[i], &self->record, record))
        {
          g_object_notify_by_pspec (G_OBJECT (self), properties[i]);
          changed = TRUE;
        }
    }
  /* The fields without a property. */
  self->record.seed = record->seed;
  self->record.vip_start_us = record->vip_start_us;
  self->record.vip_end_us = record->vip_end_us;
  self->record.normal_start_us = record->normal_start_us;
  self->record.normal_end_us = record->normal_end_us;
  self->record.paused = record->paused;
  self->record.failure_rate = record->failure_rate;
  self->record.max_attempts = record->max_attempts;
  g_object_thaw_notify (G_OBJECT (self));
  return changed;
}
