/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-run"

#include "config.h"

#include "orderly-enums.h"
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

typedef enum { FIELD_INT64, FIELD_DOUBLE, FIELD_UINT, FIELD_INT, FIELD_PHASE, FIELD_STRING } FieldType;

typedef struct
{
  const char *name;
  FieldType   type;
  gsize       offset;
} Field;

#define F(prop, name, type, member) [prop] = { name, type, G_STRUCT_OFFSET (OrderlyRunRecord, member) }

static const Field fields[N_PROPS] = {
  F (PROP_ID, "id", FIELD_INT64, id),
  F (PROP_QUANTITY, "quantity", FIELD_INT64, quantity),
  F (PROP_PHASE, "phase", FIELD_PHASE, phase),
  F (PROP_WORKERS, "workers", FIELD_UINT, workers),
  F (PROP_STARTED_AT_US, "started-at-us", FIELD_INT64, started_at_us),
  F (PROP_FINISHED_AT_US, "finished-at-us", FIELD_INT64, finished_at_us),
  F (PROP_GENERATION_MS, "generation-ms", FIELD_DOUBLE, generation_ms),
  F (PROP_ENQUEUE_VIP_MS, "enqueue-vip-ms", FIELD_DOUBLE, enqueue_vip_ms),
  F (PROP_ENQUEUE_NORMAL_MS, "enqueue-normal-ms", FIELD_DOUBLE, enqueue_normal_ms),
  F (PROP_VIP_MS, "vip-ms", FIELD_DOUBLE, vip_ms),
  F (PROP_VIP_COUNT, "vip-count", FIELD_INT64, vip_count),
  F (PROP_NORMAL_MS, "normal-ms", FIELD_DOUBLE, normal_ms),
  F (PROP_NORMAL_COUNT, "normal-count", FIELD_INT64, normal_count),
  F (PROP_TOTAL_MS, "total-ms", FIELD_DOUBLE, total_ms),
  F (PROP_VIP_SHARE, "vip-share", FIELD_DOUBLE, vip_share),
  F (PROP_GENERATED, "generated", FIELD_INT64, generated),
  F (PROP_VIP_TOTAL, "vip-total", FIELD_INT64, vip_total),
  F (PROP_NORMAL_TOTAL, "normal-total", FIELD_INT64, normal_total),
  F (PROP_VIP_FAILED, "vip-failed", FIELD_INT64, vip_failed),
  F (PROP_NORMAL_FAILED, "normal-failed", FIELD_INT64, normal_failed),
  F (PROP_PAUSED_MS, "paused-ms", FIELD_DOUBLE, paused_ms),
  F (PROP_CHECK_STATE, "check-state", FIELD_INT, check_state),
  F (PROP_ERROR_MESSAGE, "error-message", FIELD_STRING, error_message),
  F (PROP_CHECK_MESSAGE, "check-message", FIELD_STRING, check_message),
};

#undef F

G_DEFINE_FINAL_TYPE (OrderlyRun, orderly_run, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

#define FIELD_PTR(record, field) ((guint8 *) (record) + (field)->offset)

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
  gpointer ptr;

  if (prop_id == 0 || prop_id >= N_PROPS)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }

  ptr = FIELD_PTR (&self->record, &fields[prop_id]);
  switch (fields[prop_id].type)
    {
    case FIELD_INT64:
      g_value_set_int64 (value, *(gint64 *) ptr);
      break;
    case FIELD_DOUBLE:
      g_value_set_double (value, *(double *) ptr);
      break;
    case FIELD_UINT:
      g_value_set_uint (value, *(guint *) ptr);
      break;
    case FIELD_INT:
      g_value_set_int (value, *(int *) ptr);
      break;
    case FIELD_PHASE:
      g_value_set_enum (value, *(OrderlyPhase *) ptr);
      break;
    case FIELD_STRING:
      g_value_set_string (value, *(char **) ptr);
      break;
    default:
      g_assert_not_reached ();
    }
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
        case FIELD_INT64:
          properties[i] = g_param_spec_int64 (name, NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
          break;
        case FIELD_DOUBLE:
          properties[i] = g_param_spec_double (name, NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, flags);
          break;
        case FIELD_UINT:
          properties[i] = g_param_spec_uint (name, NULL, NULL, 0, G_MAXUINT, 0, flags);
          break;
        case FIELD_INT:
          properties[i] = g_param_spec_int (name, NULL, NULL, G_MININT, G_MAXINT, 0, flags);
          break;
        case FIELD_PHASE:
          properties[i] = g_param_spec_enum (name, NULL, NULL, ORDERLY_TYPE_PHASE, ORDERLY_PHASE_IDLE, flags);
          break;
        case FIELD_STRING:
          properties[i] = g_param_spec_string (name, NULL, NULL, NULL, flags);
          break;
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
      const Field *field = &fields[i];
      gpointer old = FIELD_PTR (&self->record, field);
      gconstpointer new = FIELD_PTR (record, field);
      gboolean differs;

      switch (field->type)
        {
        case FIELD_INT64:
          differs = *(gint64 *) old != *(const gint64 *) new;
          *(gint64 *) old = *(const gint64 *) new;
          break;
        case FIELD_DOUBLE:
          differs = *(double *) old != *(const double *) new;
          *(double *) old = *(const double *) new;
          break;
        case FIELD_UINT:
          differs = *(guint *) old != *(const guint *) new;
          *(guint *) old = *(const guint *) new;
          break;
        case FIELD_INT:
          differs = *(int *) old != *(const int *) new;
          *(int *) old = *(const int *) new;
          break;
        case FIELD_PHASE:
          differs = *(OrderlyPhase *) old != *(const OrderlyPhase *) new;
          *(OrderlyPhase *) old = *(const OrderlyPhase *) new;
          break;
        case FIELD_STRING:
          differs = g_strcmp0 (*(char **) old, *(char * const *) new) != 0;
          if (differs)
            {
              g_free (*(char **) old);
              *(char **) old = g_strdup (*(char * const *) new);
            }
          break;
        default:
          g_assert_not_reached ();
        }
      if (differs)
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
