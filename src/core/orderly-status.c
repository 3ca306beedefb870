/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-status"

#include "config.h"

#include "orderly-enums.h"
#include "orderly-fields.h"
#include "orderly-status.h"

/**
 * OrderlyStatus:
 *
 * The status of the current (or last) run, as one object whose properties the
 * window binds to and the server serialises. The engine updates it once per
 * tick; only properties whose value changed are notified, then #OrderlyStatus::changed
 * is emitted once if anything did.
 */

struct _OrderlyStatus
{
  GObject           parent_instance;
  /* Its string (error_message) is the status's own copy. */
  OrderlyStatusData data;
  OrderlyCluster   *cluster;
};

enum {
  PROP_0,
  PROP_PHASE,
  PROP_RUN_ID,
  PROP_TARGET,
  PROP_GENERATED,
  PROP_VIP_TOTAL,
  PROP_NORMAL_TOTAL,
  PROP_VIP_PROCESSED,
  PROP_NORMAL_PROCESSED,
  PROP_PROCESSED_TOTAL,
  PROP_GENERATION_MS,
  PROP_ENQUEUE_VIP_MS,
  PROP_ENQUEUE_NORMAL_MS,
  PROP_VIP_START_US,
  PROP_VIP_END_US,
  PROP_VIP_MS,
  PROP_NORMAL_START_US,
  PROP_NORMAL_END_US,
  PROP_NORMAL_MS,
  PROP_TOTAL_MS,
  PROP_THROUGHPUT_VIP,
  PROP_THROUGHPUT_NORMAL,
  PROP_THROUGHPUT_OVERALL,
  PROP_ETA_MS,
  PROP_PROGRESS_PERCENT,
  PROP_STARTED_AT_US,
  PROP_FINISHED_AT_US,
  PROP_WORKERS,
  PROP_QUEUE_WAITING,
  PROP_ACTIVE_WORKERS,
  PROP_ERROR_MESSAGE,
  PROP_VIP_FAILED,
  PROP_NORMAL_FAILED,
  PROP_FAILED_TOTAL,
  PROP_QUEUE_ACTIVE,
  PROP_QUEUE_DELAYED,
  PROP_PAUSED,
  PROP_PAUSED_MS,
  PROP_GENERATION_PERCENT,
  PROP_FINISH_AT_US,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

#define F(prop, name, type, member) ORDERLY_FIELD_DEFINE (prop, name, type, OrderlyStatusData, member)

static const OrderlyField fields[N_PROPS] = {
  F (PROP_PHASE, "phase", PHASE, phase),
  F (PROP_RUN_ID, "run-id", INT64, run_id),
  F (PROP_TARGET, "target", INT64, target),
  F (PROP_GENERATED, "generated", INT64, generated),
  F (PROP_VIP_TOTAL, "vip-total", INT64, vip_total),
  F (PROP_NORMAL_TOTAL, "normal-total", INT64, normal_total),
  F (PROP_VIP_PROCESSED, "vip-processed", INT64, vip_processed),
  F (PROP_NORMAL_PROCESSED, "normal-processed", INT64, normal_processed),
  F (PROP_PROCESSED_TOTAL, "processed-total", INT64, processed_total),
  F (PROP_GENERATION_MS, "generation-ms", DOUBLE, generation_ms),
  F (PROP_ENQUEUE_VIP_MS, "enqueue-vip-ms", DOUBLE, enqueue_vip_ms),
  F (PROP_ENQUEUE_NORMAL_MS, "enqueue-normal-ms", DOUBLE, enqueue_normal_ms),
  F (PROP_VIP_START_US, "vip-start-us", INT64, vip_start_us),
  F (PROP_VIP_END_US, "vip-end-us", INT64, vip_end_us),
  F (PROP_VIP_MS, "vip-ms", DOUBLE, vip_ms),
  F (PROP_NORMAL_START_US, "normal-start-us", INT64, normal_start_us),
  F (PROP_NORMAL_END_US, "normal-end-us", INT64, normal_end_us),
  F (PROP_NORMAL_MS, "normal-ms", DOUBLE, normal_ms),
  F (PROP_TOTAL_MS, "total-ms", DOUBLE, total_ms),
  F (PROP_THROUGHPUT_VIP, "throughput-vip", DOUBLE, throughput_vip),
  F (PROP_THROUGHPUT_NORMAL, "throughput-normal", DOUBLE, throughput_normal),
  F (PROP_THROUGHPUT_OVERALL, "throughput-overall", DOUBLE, throughput_overall),
  F (PROP_ETA_MS, "eta-ms", INT64, eta_ms),
  F (PROP_PROGRESS_PERCENT, "progress-percent", DOUBLE, progress_percent),
  F (PROP_STARTED_AT_US, "started-at-us", INT64, started_at_us),
  F (PROP_FINISHED_AT_US, "finished-at-us", INT64, finished_at_us),
  F (PROP_WORKERS, "workers", UINT, workers),
  F (PROP_QUEUE_WAITING, "queue-waiting", INT64, queue_waiting),
  F (PROP_ACTIVE_WORKERS, "active-workers", UINT, active_workers),
  F (PROP_ERROR_MESSAGE, "error-message", STRING, error_message),
  F (PROP_VIP_FAILED, "vip-failed", INT64, vip_failed),
  F (PROP_NORMAL_FAILED, "normal-failed", INT64, normal_failed),
  F (PROP_FAILED_TOTAL, "failed-total", INT64, failed_total),
  F (PROP_QUEUE_ACTIVE, "queue-active", INT64, queue_active),
  F (PROP_QUEUE_DELAYED, "queue-delayed", INT64, queue_delayed),
  F (PROP_PAUSED, "paused", BOOLEAN, paused),
  F (PROP_PAUSED_MS, "paused-ms", DOUBLE, paused_ms),
  F (PROP_GENERATION_PERCENT, "generation-percent", DOUBLE, generation_percent),
  F (PROP_FINISH_AT_US, "finish-at-us", INT64, finish_at_us),
};

#undef F

G_DEFINE_FINAL_TYPE (OrderlyStatus, orderly_status, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
orderly_status_finalize (GObject *object)
{
  OrderlyStatus *self = (OrderlyStatus *) object;

  for (guint i = 1; i < N_PROPS; i++)
    orderly_field_clear (&fields[i], &self->data);
  if (self->cluster != NULL)
    g_signal_handlers_disconnect_by_data (self->cluster, self);
  g_clear_object (&self->cluster);

  G_OBJECT_CLASS (orderly_status_parent_class)->finalize (object);
}

static void
orderly_status_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  OrderlyStatus *self = ORDERLY_STATUS (object);

  if (prop_id == 0 || prop_id >= N_PROPS)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  orderly_field_get_value (&fields[prop_id], &self->data, value);
}

static void
orderly_status_class_init (OrderlyStatusClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = orderly_status_finalize;
  object_class->get_property = orderly_status_get_property;

  for (guint i = 1; i < N_PROPS; i++)
    {
      const OrderlyField *field = &fields[i];

      switch (field->type)
        {
        case ORDERLY_FIELD_INT64:
          properties[i] = g_param_spec_int64 (field->name, NULL, NULL,
                                              -1, G_MAXINT64, i == PROP_ETA_MS ? -1 : 0, flags);
          break;
        case ORDERLY_FIELD_DOUBLE:
          properties[i] = g_param_spec_double (field->name, NULL, NULL,
                                               0, G_MAXDOUBLE, 0, flags);
          break;
        case ORDERLY_FIELD_UINT:
          properties[i] = g_param_spec_uint (field->name, NULL, NULL, 0, G_MAXUINT, 0, flags);
          break;
        case ORDERLY_FIELD_BOOLEAN:
          properties[i] = g_param_spec_boolean (field->name, NULL, NULL, FALSE, flags);
          break;
        case ORDERLY_FIELD_PHASE:
          properties[i] = g_param_spec_enum (field->name, NULL, NULL, ORDERLY_TYPE_PHASE,
                                             ORDERLY_PHASE_IDLE, flags);
          break;
        case ORDERLY_FIELD_STRING:
          properties[i] = g_param_spec_string (field->name, NULL, NULL, NULL, flags);
          break;
        default:
          g_assert_not_reached ();
        }
    }
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * OrderlyStatus::changed:
   *
   * Emitted once after an update that changed at least one property.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
orderly_status_init (OrderlyStatus *self)
{
  self->data.eta_ms = -1;
}

OrderlyStatus *
orderly_status_new (void)
{
  return g_object_new (ORDERLY_TYPE_STATUS, NULL);
}

/**
 * orderly_status_get_data:
 *
 * Returns: (transfer none): every value at once, valid until the next update.
 */
const OrderlyStatusData *
orderly_status_get_data (OrderlyStatus *self)
{
  g_return_val_if_fail (ORDERLY_IS_STATUS (self), NULL);
  return &self->data;
}

OrderlyPhase
orderly_status_get_phase (OrderlyStatus *self)
{
  g_return_val_if_fail (ORDERLY_IS_STATUS (self), ORDERLY_PHASE_IDLE);
  return self->data.phase;
}

/**
 * orderly_status_update:
 *
 * Sets every value from @data, notifying those that changed.
 *
 * Returns: %TRUE if anything changed
 */
gboolean
orderly_status_update (OrderlyStatus           *self,
                       const OrderlyStatusData *data)
{
  gboolean changed = FALSE;

  g_return_val_if_fail (ORDERLY_IS_STATUS (self), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);

  g_object_freeze_notify (G_OBJECT (self));
  for (guint i = 1; i < N_PROPS; i++)
    {
      if (orderly_field_copy (&fields[i], &self->data, data))
        {
          g_object_notify_by_pspec (G_OBJECT (self), properties[i]);
          changed = TRUE;
        }
    }
  g_object_thaw_notify (G_OBJECT (self));

  if (changed)
    g_signal_emit (self, signals[CHANGED], 0);
  return changed;
}

/**
 * orderly_status_describe:
 *
 * Returns: a short English sentence for the phase, as API clients expect it.
 */
const char *
orderly_status_describe (OrderlyStatus *self)
{
  g_return_val_if_fail (ORDERLY_IS_STATUS (self), NULL);

  switch (self->data.phase)
    {
    case ORDERLY_PHASE_IDLE: return "Ready";
    case ORDERLY_PHASE_GENERATING: return "Generating orders";
    case ORDERLY_PHASE_ENQUEUE_VIP: return "Enqueuing VIP orders";
    case ORDERLY_PHASE_WAITING_VIP_DRAIN: return "Processing VIP orders";
    case ORDERLY_PHASE_ENQUEUE_NORMAL: return "Enqueuing NORMAL orders";
    case ORDERLY_PHASE_WAITING_NORMAL_DRAIN: return "Processing NORMAL orders";
    case ORDERLY_PHASE_DONE: return "All orders processed";
    case ORDERLY_PHASE_ABORTED: return "Run cancelled";
    case ORDERLY_PHASE_ERROR: return "Run failed";
    case ORDERLY_PHASE_INTERRUPTED: return "Run interrupted; it can be resumed";
    default: return "";
    }
}

static void
cluster_changed_cb (OrderlyStatus *self)
{
  g_signal_emit (self, signals[CHANGED], 0);
}

/**
 * orderly_status_set_cluster:
 *
 * The instances the status describes besides the run: a change among them
 * is a change of the status.
 */
void
orderly_status_set_cluster (OrderlyStatus  *self,
                            OrderlyCluster *cluster)
{
  g_return_if_fail (ORDERLY_IS_STATUS (self));
  g_return_if_fail (cluster == NULL || ORDERLY_IS_CLUSTER (cluster));

  if (self->cluster != NULL)
    g_signal_handlers_disconnect_by_data (self->cluster, self);
  g_set_object (&self->cluster, cluster);
  if (cluster != NULL)
    g_signal_connect_swapped (cluster, "changed", G_CALLBACK (cluster_changed_cb), self);
}

/**
 * orderly_status_get_cluster:
 *
 * Returns: (transfer none) (nullable): the cluster's instances
 */
OrderlyCluster *
orderly_status_get_cluster (OrderlyStatus *self)
{
  g_return_val_if_fail (ORDERLY_IS_STATUS (self), NULL);
  return self->cluster;
}
