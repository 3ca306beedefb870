/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-engine"

#include "config.h"

#include "orderly-engine-private.h"
#include "orderly-enums.h"
#include "orderly-periodic.h"
#include "orderly-text.h"

/**
 * OrderlyEngine:
 *
 * Runs order-processing runs and publishes their state. It lives on the main
 * loop: commands come in here, a #OrderlyRunner does the work on its threads,
 * and a tick (#OrderlyEngine:tick-hz times a second) turns the runner's
 * counters into #OrderlyStatus changes and its log lines into
 * #OrderlyLogStore entries, stored in the database as well.
 *
 * The main loop never waits for the store: every call that reads or writes
 * it has an asynchronous form that does so on a worker thread (or on the
 * runner's). The synchronous forms of starting, resetting and resuming wait
 * for the same work; they are for tools and tests, not for the main loop of
 * an application.
 */

#define LOG_QUEUE_LIMIT 100000
#define STOP_POLL_MS 2

enum {
  PROP_0,
  PROP_STATUS,
  PROP_LOG_STORE,
  PROP_RUN_LIST,
  PROP_INSTANCE_ID,
  PROP_RUNNING,
  PROP_PAUSED,
  PROP_WORKERS,
  PROP_WORK_US,
  PROP_FAILURE_RATE,
  PROP_MAX_ATTEMPTS,
  PROP_RETRY_BACKOFF_MS,
  PROP_LEASE_MS,
  PROP_TICK_HZ,
  PROP_VIP_SHARE,
  PROP_LOG_CAPACITY,
  N_PROPS
};

enum {
  RUN_FINISHED,
  CANCEL_REQUESTED,
  FLUSHED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (OrderlyEngine, orderly_engine, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef struct
{
  OrderlyStore *store;
  GPtrArray    *records;
  guint         keep;
  gint         *failed;
} LogBatch;

struct _OrderlyTaskCount
{
  gint          pending;
  GMainContext *context;
};

static void
task_count_clear (gpointer data)
{
  struct _OrderlyTaskCount *count = data;

  g_main_context_unref (count->context);
}

/* When a task is finalized, perhaps on a worker thread: after it has let go
 * of its source object, so the count outlives the engine if it must. */
static void
task_gone (gpointer data)
{
  struct _OrderlyTaskCount *count = data;

  g_atomic_int_add (&count->pending, -1);
  g_main_context_wakeup (count->context);
  g_atomic_rc_box_release_full (count, task_count_clear);
}

/* The steps an ETA is made of. */
enum { STEP_GENERATION, STEP_PROCESSING };

static double
per_second (gint64 count,
            double ms)
{
  return ms > 0 ? count / (ms / 1000.0) : 0;
}

/*
 * A run's orders as a queue's jobs. The orders still to settle are work in
 * the queue only while the run goes on or can be resumed (@open): those of
 * a run that ended (cancelled, purged, failed) are left undone, and nothing
 * will claim them.
 */
void
_orderly_engine_queue_counts_from (const OrderlyOrderCounts *counts,
                                   gboolean                  open,
                                   gboolean                  paused,
                                   OrderlyQueueCounts       *queue)
{
  memset (queue, 0, sizeof *queue);
  for (guint p = 0; p < 2; p++)
    {
      const OrderlyPriorityCounts *c = &counts->priority[p];

      if (open)
        {
          queue->waiting += c->waiting;
          queue->active += c->active;
          queue->delayed += c->delayed;
        }
      queue->completed += c->completed;
      queue->failed += c->failed;
    }
  if (paused)
    {
      queue->paused = queue->waiting;
      queue->waiting = 0;
    }
  queue->queue_paused = paused;
}

static void
fill_status (OrderlyStatusData        *d,
             const OrderlyRunRecord   *run,
             const OrderlyOrderCounts *counts,
             gboolean                  open,
             OrderlyPhase              phase)
{
  OrderlyQueueCounts queue;

  memset (d, 0, sizeof *d);
  d->phase = phase;
  d->eta_ms = -1;
  if (run == NULL)
    return;

  d->run_id = run->id;
  d->target = run->quantity;
  d->generated = run->generated;
  d->vip_total = run->vip_total;
  d->normal_total = run->normal_total;
  d->vip_processed = run->vip_count;
  d->normal_processed = run->normal_count;
  d->processed_total = run->vip_count + run->normal_count;
  d->vip_failed = run->vip_failed;
  d->normal_failed = run->normal_failed;
  d->failed_total = run->vip_failed + run->normal_failed;
  d->generation_ms = run->generation_ms;
  d->enqueue_vip_ms = run->enqueue_vip_ms;
  d->enqueue_normal_ms = run->enqueue_normal_ms;
  d->vip_start_us = run->vip_start_us;
  d->vip_end_us = run->vip_end_us;
  d->vip_ms = run->vip_ms;
  d->normal_start_us = run->normal_start_us;
  d->normal_end_us = run->normal_end_us;
  d->normal_ms = run->normal_ms;
  d->total_ms = run->total_ms;
  d->started_at_us = run->started_at_us;
  d->finished_at_us = run->finished_at_us;
  d->workers = run->workers;
  d->error_message = run->error_message;
  d->paused_ms = run->paused_ms;

  d->throughput_vip = per_second (d->vip_processed, d->vip_ms);
  d->throughput_normal = per_second (d->normal_processed, d->normal_ms);
  d->throughput_overall = per_second (d->processed_total, d->vip_ms + d->normal_ms);

  if (counts != NULL)
    {
      _orderly_engine_queue_counts_from (counts, open, FALSE, &queue);
      d->queue_waiting = queue.waiting;
      d->queue_active = queue.active;
      d->queue_delayed = queue.delayed;
    }

  /* Progress is processed orders against the target, as the Node system
   * counts it; generation is a step of its own. */
  if (run->quantity > 0)
    {
      d->progress_percent = CLAMP (100.0 * d->processed_total / run->quantity, 0, 100);
      d->generation_percent = CLAMP (100.0 * d->generated / run->quantity, 0, 100);
    }
  if (phase == ORDERLY_PHASE_DONE)
    d->eta_ms = 0;
}

/* Orders per millisecond that processing can be expected to reach before
 * it has begun: the last run's, or what the simulated cost allows. */
static double
expected_processing_rate (OrderlyEngine *self,
                          guint          workers)
{
  double rate = 0;

  if (self->has_last_run && self->last_run.vip_ms + self->last_run.normal_ms > 0)
    rate = (self->last_run.vip_count + self->last_run.normal_count) /
           (self->last_run.vip_ms + self->last_run.normal_ms);
  if (self->work_us > 0)
    {
      double bound = MAX (workers, 1) * 1000.0 / self->work_us;

      rate = rate > 0 ? MIN (rate, bound) : bound;
    }
  return rate;
}

/*
 * The time left: every remaining step at the rate it has had recently, and
 * processing, before it begins, at the rate it can be expected to have.
 * While the queue is paused the estimate stands still.
 */
static void
estimate (OrderlyEngine     *self,
          OrderlyStatusData *d)
{
  gint64 settled = d->processed_total + d->failed_total;
  double gen_rate, proc_rate;
  double eta = -1;

  if (d->paused)
    {
      d->eta_ms = self->frozen_eta_ms;
      return;
    }
  if (d->phase == ORDERLY_PHASE_GENERATING)
    orderly_eta_add (&self->eta, STEP_GENERATION, d->total_ms, d->generated);
  else
    orderly_eta_add (&self->eta, STEP_PROCESSING, d->total_ms, settled);

  gen_rate = orderly_eta_rate (&self->eta, STEP_GENERATION);
  proc_rate = orderly_eta_rate (&self->eta, STEP_PROCESSING);
  if (d->phase == ORDERLY_PHASE_GENERATING)
    {
      double expected = expected_processing_rate (self, d->workers);

      if (gen_rate > 0 && expected > 0)
        eta = (d->target - d->generated) / gen_rate + d->target / expected;
    }
  else if (proc_rate > 0)
    eta = MAX (d->target - settled, 0) / proc_rate;

  d->eta_ms = eta >= 0 ? (gint64) eta : -1;
  self->frozen_eta_ms = d->eta_ms;
}

static void
update_status (OrderlyEngine *self)
{
  OrderlyStatusData data;
  OrderlyRunnerSnapshot snapshot;
  gboolean started = FALSE;

  /* A run shows once it has begun in the store, its row and id there, as
   * the run list has it; until then the status stays what it was. */
  if (self->runner != NULL)
    {
      orderly_runner_snapshot (self->runner, &snapshot);
      started = snapshot.begun || orderly_runner_is_finished (self->runner);
      if (!started)
        orderly_run_record_clear (&snapshot.record);
    }

  if (started)
    {
      fill_status (&data, &snapshot.record, &snapshot.counts, TRUE, snapshot.record.phase);
      data.active_workers = snapshot.busy_workers;
      data.paused = snapshot.paused;
      if (orderly_phase_is_active (data.phase) && !orderly_runner_is_finished (self->runner))
        estimate (self, &data);
      if (data.eta_ms >= 0)
        data.finish_at_us = g_get_real_time () + data.eta_ms * 1000;
      orderly_cluster_update_local (self->cluster, snapshot.record.workers, snapshot.processed_here);
      if (snapshot.begun)
        {
          self->last_counts = snapshot.counts;
          if (snapshot.record.id > 0)
            orderly_run_list_update (self->run_list, &snapshot.record);
        }
      orderly_status_update (self->status, &data);
      orderly_run_record_clear (&snapshot.record);
    }
  else if (self->has_last_run)
    {
      fill_status (&data, &self->last_run, &self->last_counts, self->interrupted,
                   self->interrupted ? ORDERLY_PHASE_INTERRUPTED : self->last_run.phase);
      data.paused = self->paused;
      orderly_cluster_update_local (self->cluster, 0, self->processed_here);
      orderly_status_update (self->status, &data);
    }
  else
    {
      fill_status (&data, NULL, NULL, FALSE, ORDERLY_PHASE_IDLE);
      data.paused = self->paused;
      orderly_cluster_update_local (self->cluster, 0, 0);
      orderly_status_update (self->status, &data);
    }
}

static void
write_logs_cb (gpointer data,
               gpointer user_data)
{
  LogBatch *batch = data;
  g_autoptr(GError) error = NULL;

  if (!orderly_store_append_logs (batch->store, (OrderlyLogRecord **) batch->records->pdata,
                                  batch->records->len, batch->keep, &error))
    {
      /* Lines keep showing even when they cannot be stored; say so once. */
      if (g_atomic_int_compare_and_exchange (batch->failed, 0, 1))
        g_warning ("Log lines are not being stored: %s", error->message);
    }
  else
    {
      g_atomic_int_set (batch->failed, 0);
    }
  g_object_unref (batch->store);
  g_ptr_array_unref (batch->records);
  g_free (batch);
}

static GThreadPool *
new_log_writer (void)
{
  return g_thread_pool_new (write_logs_cb, NULL, 1, TRUE, NULL);
}

/* Waits until every line handed to the writer is stored. */
static void
drain_log_writer (OrderlyEngine *self)
{
  g_thread_pool_free (g_steal_pointer (&self->log_writer), FALSE, TRUE);
  self->log_writer = new_log_writer ();
}

static void
flush_logs (OrderlyEngine *self)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  LogBatch *batch;
  guint dropped = 0;

  records = orderly_log_queue_drain (self->log_queue, &dropped);
  if (dropped > 0)
    {
      g_autofree char *message =
        g_strdup_printf ("%u log lines were dropped: they came faster than they could be kept", dropped);

      g_ptr_array_insert (records, 0,
                          orderly_log_record_new (ORDERLY_LOG_LEVEL_WARN, "engine", message, NULL));
    }
  if (records->len == 0)
    return;

  batch = g_new0 (LogBatch, 1);
  batch->store = g_object_ref (self->store);
  batch->records = g_ptr_array_new_full (records->len, (GDestroyNotify) orderly_log_record_free);
  batch->keep = orderly_log_store_get_capacity (self->log_store);
  batch->failed = &self->log_store_failed;
  entries = g_ptr_array_new_full (records->len, g_object_unref);
  for (guint i = 0; i < records->len; i++)
    {
      OrderlyLogRecord *record = records->pdata[i];
      OrderlyLogRecord *copy;

      record->id = self->next_log_id++;
      copy = orderly_log_record_new (record->level, record->category, record->message,
                                     record->data_json);
      copy->id = record->id;
      copy->timestamp_ms = record->timestamp_ms;
      g_ptr_array_add (batch->records, copy);
      g_ptr_array_add (entries, orderly_log_entry_new_from_record (record));
    }
  g_ptr_array_set_free_func (records, NULL);
  g_thread_pool_push (self->log_writer, batch, NULL);
  orderly_log_store_append (self->log_store, (OrderlyLogEntry **) entries->pdata, entries->len);
}

static void
call_stop_waiters (OrderlyEngine *self)
{
  g_autoptr(GPtrArray) tasks = g_steal_pointer (&self->stop_waiters);
  g_autoptr(GPtrArray) funcs = g_steal_pointer (&self->stop_funcs);

  self->stop_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->stop_funcs = g_ptr_array_new ();
  g_clear_handle_id (&self->stop_poll_source, g_source_remove);
  for (guint i = 0; i < tasks->len; i++)
    ((OrderlyEngineStoppedFunc) funcs->pdata[i]) (self, tasks->pdata[i]);
}

static void
collect_finished_runner (OrderlyEngine *self)
{
  OrderlyRunnerSnapshot snapshot;
  gboolean helped = self->helping;

  orderly_runner_join (self->runner);
  orderly_runner_snapshot (self->runner, &snapshot);
  g_clear_pointer (&self->runner, orderly_runner_free);
  self->helping = FALSE;
  /* A run that could not begin changed nothing. */
  if (!snapshot.begun)
    {
      orderly_run_record_clear (&snapshot.record);
      return;
    }
  orderly_run_record_clear (&self->last_run);
  self->last_run = snapshot.record;
  self->last_counts = snapshot.counts;
  self->processed_here = snapshot.processed_here;
  self->has_last_run = TRUE;
  /* A helper's part of a run ended, not the run: it shows the run where it
   * is until the cluster shows it as stored, and the run's row is the
   * history's. */
  self->interrupted = !helped && orderly_phase_is_active (snapshot.record.phase);
  if (!helped)
    orderly_run_list_update (self->run_list, &self->last_run);
  orderly_run_list_refresh (self->run_list);
  /* The instance that ran the run checks it, not those that helped. */
  if (orderly_phase_is_terminal (self->last_run.phase) && !helped)
    orderly_engine_check_run_async (self, self->last_run.id, NULL, NULL, NULL);
}

/**
 * orderly_engine_flush:
 *
 * Does at once what the next tick would do: collects a finished run, moves
 * pending log lines into the log store and updates the status.
 */
void
orderly_engine_flush (OrderlyEngine *self)
{
  gboolean finished = FALSE;

  g_return_if_fail (ORDERLY_IS_ENGINE (self));

  if (self->runner != NULL && orderly_runner_is_finished (self->runner))
    {
      collect_finished_runner (self);
      finished = TRUE;
    }
  flush_logs (self);
  update_status (self);

  if (finished)
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
      g_signal_emit (self, signals[RUN_FINISHED], 0, orderly_status_get_phase (self->status));
      call_stop_waiters (self);
    }
  g_signal_emit (self, signals[FLUSHED], 0);
}

static gboolean
tick_cb (gpointer user_data)
{
  orderly_engine_flush (ORDERLY_ENGINE (user_data));
  return G_SOURCE_CONTINUE;
}

static void
restart_tick (OrderlyEngine *self)
{
  g_clear_handle_id (&self->tick_source, g_source_remove);
  self->tick_source = orderly_periodic_add (1000 / self->tick_hz, tick_cb, self, NULL);
  g_source_set_name_by_id (self->tick_source, "[orderly] engine tick");
}

static gboolean
stop_poll_cb (gpointer user_data)
{
  OrderlyEngine *self = user_data;

  orderly_engine_flush (self);
  if (self->runner == NULL)
    {
      self->stop_poll_source = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

/**
 * _orderly_engine_when_stopped:
 * @suspend: stop the run so that it stays resumable, rather than cancel it
 * @func: called on the main loop once no run is going, with @task
 *
 * Stops the run in progress, if any, without waiting for it here.
 */
void
_orderly_engine_when_stopped (OrderlyEngine            *self,
                              gboolean                  suspend,
                              GTask                    *task,
                              OrderlyEngineStoppedFunc  func)
{
  if (self->runner == NULL)
    {
      func (self, task);
      return;
    }
  if (suspend)
    orderly_runner_suspend (self->runner);
  else
    orderly_runner_cancel (self->runner);
  g_ptr_array_add (self->stop_waiters, g_object_ref (task));
  g_ptr_array_add (self->stop_funcs, func);
  if (self->stop_poll_source == 0)
    self->stop_poll_source = g_timeout_add (STOP_POLL_MS, stop_poll_cb, self);
}

static void
orderly_engine_dispose (GObject *object)
{
  OrderlyEngine *self = (OrderlyEngine *) object;

  g_clear_handle_id (&self->tick_source, g_source_remove);
  g_clear_handle_id (&self->stop_poll_source, g_source_remove);
  if (self->runner != NULL)
    {
      orderly_runner_suspend (self->runner);
      orderly_runner_join (self->runner);
      g_clear_pointer (&self->runner, orderly_runner_free);
    }
  if (self->log_writer != NULL)
    {
      flush_logs (self);
      g_thread_pool_free (g_steal_pointer (&self->log_writer), FALSE, TRUE);
    }
  g_clear_object (&self->run_list);

  G_OBJECT_CLASS (orderly_engine_parent_class)->dispose (object);
}

static void
orderly_engine_finalize (GObject *object)
{
  OrderlyEngine *self = (OrderlyEngine *) object;

  orderly_run_record_clear (&self->last_run);
  g_clear_pointer (&self->log_queue, orderly_log_queue_free);
  g_clear_pointer (&self->stop_waiters, g_ptr_array_unref);
  g_clear_pointer (&self->stop_funcs, g_ptr_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_atomic_rc_box_release_full (self->task_count, task_count_clear);
  g_clear_object (&self->status);
  g_clear_object (&self->cluster);
  g_clear_object (&self->log_store);
  g_clear_object (&self->store);
  g_free (self->instance_id);

  G_OBJECT_CLASS (orderly_engine_parent_class)->finalize (object);
}

static void
orderly_engine_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  OrderlyEngine *self = ORDERLY_ENGINE (object);

  switch (prop_id)
    {
    case PROP_STATUS:
      g_value_set_object (value, self->status);
      break;
    case PROP_LOG_STORE:
      g_value_set_object (value, self->log_store);
      break;
    case PROP_RUN_LIST:
      g_value_set_object (value, self->run_list);
      break;
    case PROP_INSTANCE_ID:
      g_value_set_string (value, self->instance_id);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, orderly_engine_is_running (self));
      break;
    case PROP_PAUSED:
      g_value_set_boolean (value, self->paused);
      break;
    case PROP_WORKERS:
      g_value_set_uint (value, self->workers);
      break;
    case PROP_WORK_US:
      g_value_set_int64 (value, self->work_us);
      break;
    case PROP_FAILURE_RATE:
      g_value_set_double (value, self->failure_rate);
      break;
    case PROP_MAX_ATTEMPTS:
      g_value_set_uint (value, self->max_attempts);
      break;
    case PROP_RETRY_BACKOFF_MS:
      g_value_set_int64 (value, self->retry_backoff_ms);
      break;
    case PROP_LEASE_MS:
      g_value_set_int64 (value, self->lease_ms);
      break;
    case PROP_TICK_HZ:
      g_value_set_uint (value, self->tick_hz);
      break;
    case PROP_VIP_SHARE:
      g_value_set_double (value, self->vip_share);
      break;
    case PROP_LOG_CAPACITY:
      g_value_set_uint (value, orderly_log_store_get_capacity (self->log_store));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_engine_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  OrderlyEngine *self = ORDERLY_ENGINE (object);

  switch (prop_id)
    {
    case PROP_WORKERS:
      orderly_engine_set_workers (self, g_value_get_uint (value));
      break;
    case PROP_WORK_US:
      orderly_engine_set_work_us (self, g_value_get_int64 (value));
      break;
    case PROP_FAILURE_RATE:
      orderly_engine_set_failure_rate (self, g_value_get_double (value));
      break;
    case PROP_MAX_ATTEMPTS:
      orderly_engine_set_max_attempts (self, g_value_get_uint (value));
      break;
    case PROP_RETRY_BACKOFF_MS:
      orderly_engine_set_retry_backoff_ms (self, g_value_get_int64 (value));
      break;
    case PROP_LEASE_MS:
      orderly_engine_set_lease_ms (self, g_value_get_int64 (value));
      break;
    case PROP_TICK_HZ:
      orderly_engine_set_tick_hz (self, g_value_get_uint (value));
      break;
    case PROP_VIP_SHARE:
      orderly_engine_set_vip_share (self, g_value_get_double (value));
      break;
    case PROP_LOG_CAPACITY:
      orderly_engine_set_log_capacity (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_engine_class_init (OrderlyEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = orderly_engine_dispose;
  object_class->finalize = orderly_engine_finalize;
  object_class->get_property = orderly_engine_get_property;
  object_class->set_property = orderly_engine_set_property;

  properties[PROP_STATUS] = g_param_spec_object ("status", NULL, NULL, ORDERLY_TYPE_STATUS, ro);
  properties[PROP_LOG_STORE] =
    g_param_spec_object ("log-store", NULL, NULL, ORDERLY_TYPE_LOG_STORE, ro);
  properties[PROP_RUN_LIST] =
    g_param_spec_object ("run-list", NULL, NULL, ORDERLY_TYPE_RUN_LIST, ro);
  properties[PROP_INSTANCE_ID] = g_param_spec_string ("instance-id", NULL, NULL, NULL, ro);
  properties[PROP_RUNNING] = g_param_spec_boolean ("running", NULL, NULL, FALSE, ro);
  properties[PROP_PAUSED] = g_param_spec_boolean ("paused", NULL, NULL, FALSE, ro);
  properties[PROP_WORKERS] = g_param_spec_uint ("workers", NULL, NULL, 0, 256, 0, rw);
  properties[PROP_WORK_US] =
    g_param_spec_int64 ("work-us", NULL, NULL, 0, G_USEC_PER_SEC * 10, 0, rw);
  properties[PROP_FAILURE_RATE] =
    g_param_spec_double ("failure-rate", NULL, NULL, 0, 1, 0, rw);
  properties[PROP_MAX_ATTEMPTS] =
    g_param_spec_uint ("max-attempts", NULL, NULL, 1, 100, ORDERLY_DEFAULT_MAX_ATTEMPTS, rw);
  properties[PROP_RETRY_BACKOFF_MS] =
    g_param_spec_int64 ("retry-backoff-ms", NULL, NULL, 0, 3600 * 1000,
                        ORDERLY_DEFAULT_RETRY_BACKOFF_MS, rw);
  properties[PROP_LEASE_MS] =
    g_param_spec_int64 ("lease-ms", NULL, NULL, 0, 24 * 3600 * 1000, ORDERLY_DEFAULT_LEASE_MS, rw);
  properties[PROP_TICK_HZ] =
    g_param_spec_uint ("tick-hz", NULL, NULL, 1, 100, ORDERLY_DEFAULT_TICK_HZ, rw);
  properties[PROP_VIP_SHARE] =
    g_param_spec_double ("vip-share", NULL, NULL, 0, 1, ORDERLY_DEFAULT_VIP_SHARE, rw);
  properties[PROP_LOG_CAPACITY] =
    g_param_spec_uint ("log-capacity", NULL, NULL, 1, 10000000, ORDERLY_DEFAULT_LOG_CAPACITY, rw);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * OrderlyEngine::run-finished:
   * @phase: how it ended: DONE, ABORTED, ERROR, or an active phase if it was
   *   suspended
   */
  /**
   * OrderlyEngine::cancel-requested:
   *
   * Emitted when a cancel is asked for, whether a run goes on here or not:
   * with a shared store, the run may go on elsewhere.
   */
  signals[CANCEL_REQUESTED] = g_signal_new ("cancel-requested", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                            G_TYPE_NONE, 0);
  signals[RUN_FINISHED] = g_signal_new ("run-finished", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 1, ORDERLY_TYPE_PHASE);

  /**
   * OrderlyEngine::flushed:
   *
   * Emitted at the end of every tick (and of orderly_engine_flush()), once
   * the status and the log store hold all of the tick's changes: whoever
   * batches those changes can pass them on now, in the same main-loop
   * iteration.
   */
  signals[FLUSHED] = g_signal_new ("flushed", G_TYPE_FROM_CLASS (klass),
                                   G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);
}

static void
orderly_engine_init (OrderlyEngine *self)
{
  self->status = orderly_status_new ();
  self->cluster = orderly_cluster_new (NULL);
  orderly_status_set_cluster (self->status, self->cluster);
  self->log_store = orderly_log_store_new (ORDERLY_DEFAULT_LOG_CAPACITY);
  self->log_queue = orderly_log_queue_new (LOG_QUEUE_LIMIT);
  self->log_writer = new_log_writer ();
  self->stop_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->stop_funcs = g_ptr_array_new ();
  self->context = g_main_context_ref_thread_default ();
  self->task_count = g_atomic_rc_box_new0 (struct _OrderlyTaskCount);
  self->task_count->context = g_main_context_ref (self->context);
  self->instance_id = g_uuid_string_random ();
  self->next_log_id = 1;
  self->tick_hz = ORDERLY_DEFAULT_TICK_HZ;
  self->workers = 0;
  self->vip_share = ORDERLY_DEFAULT_VIP_SHARE;
  self->max_attempts = ORDERLY_DEFAULT_MAX_ATTEMPTS;
  self->retry_backoff_ms = ORDERLY_DEFAULT_RETRY_BACKOFF_MS;
  self->lease_ms = ORDERLY_DEFAULT_LEASE_MS;
  self->frozen_eta_ms = -1;
  orderly_eta_reset (&self->eta);
}

/* What the store holds when the engine starts: the recent log lines, the
 * history, and a run that a crash interrupted. The only time the engine
 * reads the store on the thread that calls it, before any main loop serves
 * anyone. */
static gboolean
recover (OrderlyEngine  *self,
         GError        **error)
{
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GPtrArray) logs = NULL;
  OrderlyRunRecord *latest;

  logs = orderly_store_recent_logs (self->store, orderly_log_store_get_capacity (self->log_store),
                                    error);
  if (logs == NULL)
    return FALSE;
  if (logs->len > 0)
    {
      g_autoptr(GPtrArray) entries = g_ptr_array_new_full (logs->len, g_object_unref);

      self->next_log_id = ((OrderlyLogRecord *) logs->pdata[logs->len - 1])->id + 1;
      for (guint i = 0; i < logs->len; i++)
        g_ptr_array_add (entries, orderly_log_entry_new_from_record (logs->pdata[i]));
      g_ptr_array_set_free_func (logs, NULL);
      orderly_log_store_append (self->log_store, (OrderlyLogEntry **) entries->pdata,
                                entries->len);
    }

  runs = orderly_store_list_runs (self->store, ORDERLY_RUN_LIST_LIMIT, error);
  if (runs == NULL)
    return FALSE;
  orderly_run_list_set_records (self->run_list, runs);
  if (runs->len == 0)
    return TRUE;

  latest = g_ptr_array_index (runs, 0);
  self->last_run = *latest;
  self->last_run.error_message = g_strdup (latest->error_message);
  self->last_run.check_message = g_strdup (latest->check_message);
  self->has_last_run = TRUE;

  if (!orderly_store_count_orders (self->store, self->last_run.id, &self->last_counts, error))
    return FALSE;

  if (!orderly_phase_is_terminal (self->last_run.phase) &&
      self->last_run.phase != ORDERLY_PHASE_IDLE)
    {
      OrderlyOrderCounts *counts = &self->last_counts;
      const OrderlyPriorityCounts *vip = &counts->priority[ORDERLY_PRIORITY_VIP];
      const OrderlyPriorityCounts *normal = &counts->priority[ORDERLY_PRIORITY_NORMAL];
      g_autofree char *generated = NULL;
      g_autofree char *quantity = NULL;
      g_autofree char *processed = NULL;

      /* Alone on the store, the claims the crashed process held are free. */
      if (!orderly_store_is_shared (self->store) &&
          (vip->active > 0 || normal->active > 0) &&
          (!orderly_store_release_claims (self->store, self->last_run.id, FALSE, 0, NULL, error) ||
           !orderly_store_count_orders (self->store, self->last_run.id, counts, error)))
        return FALSE;

      /* The run row may lag behind its last batches: the counters are the truth. */
      self->last_run.generated = vip->generated + normal->generated;
      self->last_run.vip_total = vip->generated;
      self->last_run.normal_total = normal->generated;
      self->last_run.vip_count = ORDERLY_COUNTS_PROCESSED (vip);
      self->last_run.normal_count = ORDERLY_COUNTS_PROCESSED (normal);
      self->last_run.vip_failed = ORDERLY_COUNTS_FAILED (vip);
      self->last_run.normal_failed = ORDERLY_COUNTS_FAILED (normal);
      self->interrupted = TRUE;
      self->paused = self->last_run.paused;
      generated = orderly_text_count (self->last_run.generated);
      quantity = orderly_text_count (self->last_run.quantity);
      processed = orderly_text_count (self->last_run.vip_count + self->last_run.normal_count);
      orderly_engine_log (self, ORDERLY_LOG_LEVEL_WARN, "engine", NULL,
                          "Run %" G_GINT64_FORMAT " was interrupted while %s: %s of %s orders "
                          "generated, %s processed%s. Resume it or start a new run.",
                          self->last_run.id, orderly_text_phase (self->last_run.phase),
                          generated, quantity, processed,
                          self->paused ? ", the queue paused" : "");
    }
  return TRUE;
}

/**
 * orderly_engine_new:
 * @store: where orders, runs and logs live
 *
 * Creates the engine and recovers the state @store holds: the recent log
 * lines, the run history, and a run that a crash interrupted. The engine
 * belongs to the thread-default main context of the caller.
 *
 * Returns: (transfer full): the engine, or %NULL if @store cannot be read
 */
OrderlyEngine *
orderly_engine_new (OrderlyStore  *store,
                    GError       **error)
{
  g_autoptr(OrderlyEngine) self = NULL;

  g_return_val_if_fail (ORDERLY_IS_STORE (store), NULL);

  self = g_object_new (ORDERLY_TYPE_ENGINE, NULL);
  self->store = g_object_ref (store);
  self->run_list = orderly_run_list_new (store);
  if (!recover (self, error))
    return NULL;
  orderly_engine_flush (self);
  restart_tick (self);
  return g_steal_pointer (&self);
}

OrderlyStore *
orderly_engine_get_store (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), NULL);
  return self->store;
}

OrderlyStatus *
orderly_engine_get_status (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), NULL);
  return self->status;
}

/**
 * orderly_engine_get_cluster:
 *
 * Returns: (transfer none): the instances that share this engine's store,
 *   this one first
 */
OrderlyCluster *
orderly_engine_get_cluster (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), NULL);
  return self->cluster;
}

/**
 * orderly_engine_set_cluster:
 *
 * Uses @cluster, whose local instance is this one, instead of the cluster of
 * one the engine starts with.
 */
void
orderly_engine_set_cluster (OrderlyEngine  *self,
                            OrderlyCluster *cluster)
{
  g_return_if_fail (ORDERLY_IS_ENGINE (self));
  g_return_if_fail (ORDERLY_IS_CLUSTER (cluster));

  g_set_object (&self->cluster, cluster);
  orderly_status_set_cluster (self->status, cluster);
}

/**
 * orderly_engine_add_peer_logs:
 * @records: (element-type OrderlyLogRecord) (transfer full): lines another
 *   instance of the cluster logged (and stored), with their instance set
 *
 * Shows them after this instance's own lines, without storing them again.
 */
void
orderly_engine_add_peer_logs (OrderlyEngine *self,
                              GPtrArray     *records)
{
  g_autoptr(GPtrArray) entries = NULL;

  g_return_if_fail (ORDERLY_IS_ENGINE (self));

  entries = g_ptr_array_new_full (records->len, g_object_unref);
  for (guint i = 0; i < records->len; i++)
    {
      OrderlyLogRecord *record = records->pdata[i];

      record->id = self->next_log_id++;
      g_ptr_array_add (entries, orderly_log_entry_new_from_record (record));
    }
  g_ptr_array_set_free_func (records, NULL);
  g_ptr_array_unref (records);
  orderly_log_store_append (self->log_store, (OrderlyLogEntry **) entries->pdata, entries->len);
}

OrderlyLogStore *
orderly_engine_get_log_store (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), NULL);
  return self->log_store;
}

/**
 * orderly_engine_get_run_list:
 *
 * Returns: (transfer none): the run history, newest first, live
 */
OrderlyRunList *
orderly_engine_get_run_list (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), NULL);
  return self->run_list;
}

/**
 * orderly_engine_get_instance_id:
 *
 * Returns: this engine's id, which its claims carry
 */
const char *
orderly_engine_get_instance_id (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), NULL);
  return self->instance_id;
}

gboolean
orderly_engine_is_running (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), FALSE);
  return self->runner != NULL && !orderly_runner_is_finished (self->runner);
}

/**
 * orderly_engine_is_paused:
 *
 * Returns: whether the queue is paused (see orderly_engine_pause_queue())
 */
gboolean
orderly_engine_is_paused (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), FALSE);
  return self->paused;
}

/* Whether the current run's unsettled orders are work still to do: it goes
 * on, or it can be resumed. */
gboolean
_orderly_engine_run_is_open (OrderlyEngine *self)
{
  return self->runner != NULL || self->interrupted;
}

gint64
_orderly_engine_current_run_id (OrderlyEngine *self)
{
  const OrderlyStatusData *d = orderly_status_get_data (self->status);

  if (d->run_id > 0)
    return d->run_id;
  return self->has_last_run ? self->last_run.id : 0;
}

/* A copy of the run the status shows (zeros if none); clear it after. */
void
_orderly_engine_current_record (OrderlyEngine    *self,
                                OrderlyRunRecord *record)
{
  if (self->runner != NULL)
    {
      OrderlyRunnerSnapshot snapshot;

      orderly_runner_snapshot (self->runner, &snapshot);
      *record = snapshot.record;
      if (record->id > 0)
        return;
      orderly_run_record_clear (record);
    }
  if (self->has_last_run)
    {
      *record = self->last_run;
      record->error_message = g_strdup (self->last_run.error_message);
      record->check_message = g_strdup (self->last_run.check_message);
      return;
    }
  memset (record, 0, sizeof *record);
}

void
_orderly_engine_set_counts (OrderlyEngine            *self,
                            const OrderlyOrderCounts *counts)
{
  if (self->runner == NULL)
    {
      self->last_counts = *counts;
      update_status (self);
    }
}

/**
 * _orderly_engine_task_new:
 *
 * A task of the engine's, on the engine's main context. The engine counts
 * it until it is gone, so that a shutdown can wait for it.
 */
GTask *
_orderly_engine_task_new (OrderlyEngine       *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data,
                          gpointer             source_tag)
{
  GTask *task;

  g_main_context_push_thread_default (self->context);
  task = g_task_new (self, cancellable, callback, user_data);
  g_main_context_pop_thread_default (self->context);
  g_task_set_source_tag (task, source_tag);
  g_atomic_int_inc (&self->task_count->pending);
  g_object_set_data_full (G_OBJECT (task), "orderly-engine-task",
                          g_atomic_rc_box_acquire (self->task_count), task_gone);
  return task;
}

/**
 * _orderly_engine_propagate_struct:
 * @out: (optional): where to copy the struct @result holds
 *
 * Ends a task that returns a struct by pointer.
 */
gboolean
_orderly_engine_propagate_struct (GAsyncResult  *result,
                                  gpointer       out,
                                  gsize          size,
                                  GError       **error)
{
  g_autofree gpointer done = g_task_propagate_pointer (G_TASK (result), error);

  if (done == NULL)
    return FALSE;
  if (out != NULL)
    memcpy (out, done, size);
  return TRUE;
}

/**
 * _orderly_engine_propagate_inner:
 * @inner: the result of a worker thread's task, run on behalf of @task
 *
 * Returns: (transfer full) (nullable): what @inner answered, or %NULL once
 *   its error is @task's answer
 */
gpointer
_orderly_engine_propagate_inner (GAsyncResult *inner,
                                 GTask        *task)
{
  GError *error = NULL;
  gpointer answer = g_task_propagate_pointer (G_TASK (inner), &error);

  if (answer == NULL)
    g_task_return_error (task, error);
  return answer;
}

static void
save_run_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  OrderlyEngine *self = source_object;
  g_autoptr(GError) error = NULL;

  if (!orderly_store_save_run (self->store, task_data, &error))
    g_warning ("Run %" G_GINT64_FORMAT " could not be saved: %s",
               ((OrderlyRunRecord *) task_data)->id, error->message);
  g_task_return_boolean (task, TRUE);
}

/* Stores a run's row on a worker thread, for a change made while it does
 * not run (its pause, its closing). */
void
_orderly_engine_save_run_later (OrderlyEngine          *self,
                                const OrderlyRunRecord *record)
{
  g_autoptr(GTask) task = _orderly_engine_task_new (self, NULL, NULL, NULL,
                                                    _orderly_engine_save_run_later);

  g_task_set_task_data (task, orderly_run_record_copy (record),
                        (GDestroyNotify) orderly_run_record_free);
  g_task_run_in_thread (task, save_run_thread);
}

static guint
effective_workers (OrderlyEngine *self)
{
  return self->workers > 0 ? self->workers : MAX (g_get_num_processors (), 1);
}

/* How a start or resume waits for its run to begin. */
typedef struct
{
  gboolean forced;
  gboolean stale;
  gboolean resume;
  OrderlyRunRequest request;
} StartState;

typedef struct
{
  GTask  *task;
  gint64  run_id;
  GError *error;
} Begun;

static void
begun_free (gpointer data)
{
  Begun *begun = data;

  g_clear_object (&begun->task);
  g_clear_error (&begun->error);
  g_free (begun);
}

static gboolean
begun_idle_cb (gpointer data)
{
  Begun *begun = data;
  OrderlyEngine *self = g_task_get_source_object (begun->task);
  StartState *state = g_task_get_task_data (begun->task);
  OrderlyStartInfo *info;

  if (begun->error != NULL)
    {
      g_task_return_error (begun->task, g_steal_pointer (&begun->error));
      return G_SOURCE_REMOVE;
    }

  /* The store closed the interrupted run in the same transaction. */
  if (state != NULL && state->stale && self->interrupted && !state->resume)
    {
      self->last_run.phase = ORDERLY_PHASE_ABORTED;
      self->last_run.finished_at_us = g_get_real_time ();
      self->interrupted = FALSE;
      orderly_run_list_update (self->run_list, &self->last_run);
      orderly_engine_log (self, ORDERLY_LOG_LEVEL_WARN, "engine", NULL,
                          "Interrupted run %" G_GINT64_FORMAT " was closed as cancelled",
                          self->last_run.id);
    }
  if (state != NULL && state->resume)
    self->interrupted = FALSE;
  orderly_engine_flush (self);

  info = g_new0 (OrderlyStartInfo, 1);
  info->run_id = begun->run_id;
  info->phase = orderly_status_get_phase (self->status);
  info->forced = state != NULL && state->forced;
  info->stale_recovered = state != NULL && state->stale && !state->resume;
  g_task_return_pointer (begun->task, info, g_free);
  return G_SOURCE_REMOVE;
}

/* On the runner's thread. The news always goes through a source on the
 * engine's context: g_main_context_invoke() would run begun_idle_cb() right
 * here, on this thread, whenever that context is the global default one
 * and nobody holds it at the moment, and the engine's models would then
 * change under the main thread's feet. */
static void
runner_begun_cb (gint64        run_id,
                 const GError *error,
                 gpointer      user_data)
{
  GTask *task = user_data;
  Begun *begun = g_new0 (Begun, 1);
  g_autoptr(GSource) source = g_idle_source_new ();

  begun->task = task;
  begun->run_id = run_id;
  begun->error = error != NULL ? g_error_copy (error) : NULL;
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, begun_idle_cb, begun, begun_free);
  g_source_set_static_name (source, "[orderly] run begun");
  g_source_attach (source, g_task_get_context (task));
}

/**
 * _orderly_engine_start_runner:
 * @task: (nullable): returned once the run has begun (or could not)
 *
 * Starts a runner on @record, with the engine's settings.
 */
gboolean
_orderly_engine_start_runner (OrderlyEngine           *self,
                              const OrderlyRunRecord  *record,
                              gboolean                 resume,
                              GTask                   *task,
                              GError                 **error)
{
  OrderlyRunnerOptions options = {
    .owner = self->instance_id,
    .work_us = self->work_us,
    .failure_rate = self->failure_rate,
    .max_attempts = self->max_attempts,
    .retry_backoff_ms = self->retry_backoff_ms,
    .lease_ms = self->lease_ms,
    .paused = self->paused,
    .helper = self->helping,
  };

  self->runner = orderly_runner_start (self->store, self->log_queue, record, resume, &options,
                                       task != NULL ? runner_begun_cb : NULL,
                                       task != NULL ? g_object_ref (task) : NULL, error);
  if (self->runner == NULL)
    {
      if (task != NULL)
        g_object_unref (task);
      return FALSE;
    }
  orderly_eta_reset (&self->eta);
  self->frozen_eta_ms = -1;
  orderly_engine_flush (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  return TRUE;
}

static gboolean
check_request (OrderlyEngine            *self,
               const OrderlyRunRequest  *request,
               double                   *vip_share,
               GError                  **error)
{
  if (request->quantity < ORDERLY_MIN_QUANTITY || request->quantity > ORDERLY_MAX_QUANTITY)
    {
      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                   "quantity must be an integer between %d and %d",
                   ORDERLY_MIN_QUANTITY, ORDERLY_MAX_QUANTITY);
      return FALSE;
    }
  *vip_share = request->vip_share < 0 ? self->vip_share : request->vip_share;
  if (!(*vip_share >= 0 && *vip_share <= 1))
    {
      g_set_error_literal (error, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                           "vipShare must be a number between 0 and 1");
      return FALSE;
    }
  return TRUE;
}

static void
start_now (OrderlyEngine *self,
           GTask         *task)
{
  StartState *state = g_task_get_task_data (task);
  OrderlyRunRecord record = { 0 };
  GError *error = NULL;
  double vip_share;

  if (self->runner != NULL)
    orderly_engine_flush (self);
  if (orderly_engine_is_running (self) || self->busy != NULL)
    {
      g_task_return_new_error (task, ORDERLY_ERROR, ORDERLY_ERROR_BUSY,
                               "A run is already in progress (%s); send force to replace it",
                               orderly_phase_to_string (orderly_status_get_phase (self->status)));
      return;
    }
  if (!check_request (self, &state->request, &vip_share, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  state->stale = self->interrupted;
  record.seed = state->request.has_seed ? state->request.seed
                                        : ((guint64) g_random_int () << 32 | g_random_int ());
  record.quantity = state->request.quantity;
  record.vip_share = vip_share;
  record.phase = ORDERLY_PHASE_GENERATING;
  record.workers = effective_workers (self);
  record.started_at_us = g_get_real_time ();
  if (!_orderly_engine_start_runner (self, &record, FALSE, task, &error))
    g_task_return_error (task, error);
}

static void
start_after_stop (OrderlyEngine *self,
                  GTask         *task)
{
  start_now (self, task);
}

/**
 * orderly_engine_start_run_async:
 *
 * Starts a run of @request->quantity orders. A run in progress makes this
 * fail with %ORDERLY_ERROR_BUSY unless @request->force is set, which cancels
 * it first. An interrupted run is closed as aborted ("stale recovered").
 * The store's work (clearing the previous run's orders, creating the new
 * run, in one transaction) happens on the run's thread; @callback is
 * called once the run has begun.
 */
void
orderly_engine_start_run_async (OrderlyEngine            *self,
                                const OrderlyRunRequest  *request,
                                GCancellable             *cancellable,
                                GAsyncReadyCallback       callback,
                                gpointer                  user_data)
{
  g_autoptr(GTask) task = NULL;
  StartState *state;
  GError *error = NULL;
  double vip_share;

  g_return_if_fail (ORDERLY_IS_ENGINE (self));
  g_return_if_fail (request != NULL);

  task = _orderly_engine_task_new (self, cancellable, callback, user_data,
                                   orderly_engine_start_run_async);
  state = g_new0 (StartState, 1);
  state->request = *request;
  g_task_set_task_data (task, state, g_free);

  if (!check_request (self, request, &vip_share, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (self->busy != NULL)
    {
      g_task_return_new_error (task, ORDERLY_ERROR, ORDERLY_ERROR_BUSY,
                               "Cannot start a run during a %s", self->busy);
      return;
    }
  if (orderly_engine_is_running (self))
    {
      if (!request->force)
        {
          g_task_return_new_error (task, ORDERLY_ERROR, ORDERLY_ERROR_BUSY,
                                   "A run is already in progress (%s); send force to replace it",
                                   orderly_phase_to_string (orderly_status_get_phase (self->status)));
          return;
        }
      orderly_engine_log (self, ORDERLY_LOG_LEVEL_WARN, "engine", NULL,
                          "Cancelling the run in progress to start a new one");
      state->forced = TRUE;
      _orderly_engine_when_stopped (self, FALSE, task, start_after_stop);
      return;
    }
  start_now (self, task);
}

/**
 * orderly_engine_start_run_finish:
 * @info: (out caller-allocates) (optional): what happened
 */
gboolean
orderly_engine_start_run_finish (OrderlyEngine     *self,
                                 GAsyncResult      *result,
                                 OrderlyStartInfo  *info,
                                 GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return _orderly_engine_propagate_struct (result, info, sizeof *info, error);
}

/* The synchronous forms run the asynchronous ones to their end on the
 * engine's own context. */
static void
sync_result_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_for (OrderlyEngine  *self,
          GAsyncResult  **result)
{
  while (*result == NULL)
    g_main_context_iteration (self->context, TRUE);
  return *result;
}

/**
 * orderly_engine_start_run:
 * @info: (out caller-allocates) (optional): what happened
 *
 * orderly_engine_start_run_async(), waiting until the run has begun.
 */
gboolean
orderly_engine_start_run (OrderlyEngine            *self,
                          const OrderlyRunRequest  *request,
                          OrderlyStartInfo         *info,
                          GError                  **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (request != NULL, FALSE);

  orderly_engine_start_run_async (self, request, NULL, sync_result_cb, &result);
  return orderly_engine_start_run_finish (self, wait_for (self, &result), info, error);
}

typedef struct
{
  gboolean was_running;
} CancelState;

static void
cancel_stopped (OrderlyEngine *self,
                GTask         *task)
{
  g_task_return_int (task, orderly_status_get_phase (self->status));
}

/**
 * orderly_engine_cancel_async:
 *
 * Cancels the run in progress, if any; @callback is called once its
 * threads have stopped (well under 200 ms). Every order it processed stays
 * processed.
 */
void
orderly_engine_cancel_async (OrderlyEngine       *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  CancelState *state;

  g_return_if_fail (ORDERLY_IS_ENGINE (self));

  task = _orderly_engine_task_new (self, cancellable, callback, user_data,
                                   orderly_engine_cancel_async);
  state = g_new0 (CancelState, 1);
  state->was_running = orderly_engine_is_running (self);
  g_task_set_task_data (task, state, g_free);
  g_signal_emit (self, signals[CANCEL_REQUESTED], 0);
  if (state->was_running)
    orderly_engine_log (self, ORDERLY_LOG_LEVEL_WARN, "engine", NULL,
                        "Cancelling run %" G_GINT64_FORMAT, _orderly_engine_current_run_id (self));
  _orderly_engine_when_stopped (self, FALSE, task, cancel_stopped);
}

/**
 * orderly_engine_cancel_finish:
 * @was_running: (out) (optional): whether a run was in progress
 *
 * Returns: the phase afterwards
 */
OrderlyPhase
orderly_engine_cancel_finish (OrderlyEngine *self,
                              GAsyncResult  *result,
                              gboolean      *was_running)
{
  CancelState *state;

  g_return_val_if_fail (g_task_is_valid (result, self), ORDERLY_PHASE_IDLE);

  state = g_task_get_task_data (G_TASK (result));
  if (was_running != NULL)
    *was_running = state->was_running;
  return (OrderlyPhase) g_task_propagate_int (G_TASK (result), NULL);
}

/**
 * orderly_engine_cancel:
 *
 * orderly_engine_cancel_async(), waiting until the run has stopped.
 *
 * Returns: the phase afterwards
 */
OrderlyPhase
orderly_engine_cancel (OrderlyEngine *self)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), ORDERLY_PHASE_IDLE);

  orderly_engine_cancel_async (self, NULL, sync_result_cb, &result);
  return orderly_engine_cancel_finish (self, wait_for (self, &result), NULL);
}

/* What a reset did, and the history after it. */
typedef struct
{
  OrderlyResetInfo  info;
  GPtrArray        *runs;
} ResetResult;

static void
reset_result_free (gpointer data)
{
  ResetResult *result = data;

  g_clear_pointer (&result->runs, g_ptr_array_unref);
  g_free (result);
}

static void
reset_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  OrderlyEngine *self = source_object;
  ResetResult *result = g_new0 (ResetResult, 1);
  GError *error = NULL;

  /* The history is read in the same go, so that the reset answers only
   * once the run list no longer shows what it deleted. */
  if (!orderly_store_reset (self->store, &result->info.deleted_orders, &result->info.deleted_runs,
                            &error) ||
      (result->runs = orderly_store_list_runs (self->store, ORDERLY_RUN_LIST_LIMIT, &error)) == NULL)
    {
      reset_result_free (result);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, result, reset_result_free);
}

static void
reset_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  OrderlyEngine *self = ORDERLY_ENGINE (object);
  g_autoptr(GTask) task = user_data;
  g_autofree char *orders = NULL;
  g_autofree char *runs = NULL;
  ResetResult *done;

  self->busy = NULL;
  done = _orderly_engine_propagate_inner (result, task);
  if (done == NULL)
    return;
  orderly_run_record_clear (&self->last_run);
  memset (&self->last_run, 0, sizeof self->last_run);
  memset (&self->last_counts, 0, sizeof self->last_counts);
  self->has_last_run = FALSE;
  self->interrupted = FALSE;
  orderly_run_list_set_records (self->run_list, done->runs);
  orders = orderly_text_count (done->info.deleted_orders);
  runs = orderly_text_count (done->info.deleted_runs);
  orderly_engine_log (self, ORDERLY_LOG_LEVEL_WARN, "engine", NULL,
                      "Reset deleted %s orders and %s runs", orders, runs);
  orderly_engine_flush (self);
  g_task_return_pointer (task, g_memdup2 (&done->info, sizeof done->info), g_free);
  reset_result_free (done);
}

/**
 * orderly_engine_reset_async:
 *
 * Deletes every order and run, on a worker thread. Refused with
 * %ORDERLY_ERROR_BUSY while a run is in progress; starting one is refused
 * until the reset is done.
 */
void
orderly_engine_reset_async (OrderlyEngine       *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) work = NULL;

  g_return_if_fail (ORDERLY_IS_ENGINE (self));

  task = _orderly_engine_task_new (self, cancellable, callback, user_data,
                                   orderly_engine_reset_async);
  if (self->runner != NULL)
    orderly_engine_flush (self);
  if (orderly_engine_is_running (self))
    {
      g_task_return_new_error (task, ORDERLY_ERROR, ORDERLY_ERROR_BUSY,
                               "Cannot reset while a run is in progress; cancel it first");
      return;
    }
  if (self->busy != NULL)
    {
      g_task_return_new_error (task, ORDERLY_ERROR, ORDERLY_ERROR_BUSY,
                               "Cannot reset during a %s", self->busy);
      return;
    }
  self->busy = "reset";
  work = _orderly_engine_task_new (self, NULL, reset_done_cb, g_object_ref (task), reset_thread);
  g_task_run_in_thread (work, reset_thread);
}

/**
 * orderly_engine_reset_finish:
 * @info: (out caller-allocates) (optional): what was deleted
 */
gboolean
orderly_engine_reset_finish (OrderlyEngine     *self,
                             GAsyncResult      *result,
                             OrderlyResetInfo  *info,
                             GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return _orderly_engine_propagate_struct (result, info, sizeof *info, error);
}

/**
 * orderly_engine_reset:
 *
 * orderly_engine_reset_async(), waiting for it.
 */
gboolean
orderly_engine_reset (OrderlyEngine     *self,
                      OrderlyResetInfo  *info,
                      GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), FALSE);

  orderly_engine_reset_async (self, NULL, sync_result_cb, &result);
  return orderly_engine_reset_finish (self, wait_for (self, &result), info, error);
}

/**
 * orderly_engine_resume_async:
 *
 * Continues the interrupted run: generates the orders it had not generated
 * yet, then processes every order still to settle. A run that was paused
 * goes on paused. @callback is called once it has begun again.
 */
void
orderly_engine_resume_async (OrderlyEngine       *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(OrderlyRunRecord) record = NULL;
  StartState *state;
  GError *error = NULL;

  g_return_if_fail (ORDERLY_IS_ENGINE (self));

  task = _orderly_engine_task_new (self, cancellable, callback, user_data,
                                   orderly_engine_resume_async);
  state = g_new0 (StartState, 1);
  state->resume = TRUE;
  g_task_set_task_data (task, state, g_free);
  if (self->runner != NULL)
    orderly_engine_flush (self);
  if (orderly_engine_is_running (self) || self->busy != NULL)
    {
      g_task_return_new_error (task, ORDERLY_ERROR, ORDERLY_ERROR_BUSY,
                               "A run is already in progress");
      return;
    }
  /* On a shared store, a run that failed (the server went away, say) can be
   * taken up again by any instance. */
  if (!self->interrupted &&
      !(orderly_store_is_shared (self->store) && self->has_last_run &&
        self->last_run.phase == ORDERLY_PHASE_ERROR))
    {
      g_task_return_new_error (task, ORDERLY_ERROR, ORDERLY_ERROR_NOTHING_TO_RESUME,
                               "There is no interrupted run to resume");
      return;
    }
  record = orderly_run_record_copy (&self->last_run);
  record->workers = effective_workers (self);
  if (!_orderly_engine_start_runner (self, record, TRUE, task, &error))
    g_task_return_error (task, error);
}

gboolean
orderly_engine_resume_finish (OrderlyEngine  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return _orderly_engine_propagate_struct (result, NULL, 0, error);
}

/**
 * orderly_engine_resume:
 *
 * orderly_engine_resume_async(), waiting until the run has begun again.
 */
gboolean
orderly_engine_resume (OrderlyEngine  *self,
                       GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), FALSE);

  orderly_engine_resume_async (self, NULL, sync_result_cb, &result);
  return orderly_engine_resume_finish (self, wait_for (self, &result), error);
}

/**
 * orderly_engine_is_helping:
 *
 * Returns: whether the run going on here is another instance's, which this
 *   one helps with
 */
gboolean
orderly_engine_is_helping (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), FALSE);
  return self->runner != NULL && self->helping;
}

/**
 * orderly_engine_join_run:
 * @record: the stored row of a run of the shared store
 * @helper: %TRUE to help the instance that runs it (claim and process its
 *   orders, leave its row to it); %FALSE to carry it on as its own, once
 *   that instance is gone
 *
 * Starts workers on a run another instance of the cluster began.
 */
gboolean
orderly_engine_join_run (OrderlyEngine           *self,
                         const OrderlyRunRecord  *record,
                         gboolean                 helper,
                         GError                 **error)
{
  g_autoptr(OrderlyRunRecord) copy = NULL;
  gboolean ok;

  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (record != NULL && record->id > 0, FALSE);

  if (self->runner != NULL)
    orderly_engine_flush (self);
  if (orderly_engine_is_running (self) || self->busy != NULL)
    {
      g_set_error_literal (error, ORDERLY_ERROR, ORDERLY_ERROR_BUSY, "A run is already in progress");
      return FALSE;
    }
  copy = orderly_run_record_copy (record);
  copy->workers = effective_workers (self);
  self->paused = record->paused;
  self->helping = helper;
  ok = _orderly_engine_start_runner (self, copy, TRUE, NULL, error);
  if (!ok)
    self->helping = FALSE;
  return ok;
}

/**
 * orderly_engine_show_run:
 * @record: (nullable): the newest run of the shared store, or %NULL if it
 *   has none
 * @interrupted: whether it stopped without ending (its instance is gone)
 *
 * Shows a run that other instances of the cluster work on, or worked on,
 * while none goes on here.
 */
void
orderly_engine_show_run (OrderlyEngine             *self,
                         const OrderlyRunRecord    *record,
                         const OrderlyOrderCounts  *counts,
                         gboolean                   interrupted)
{
  g_return_if_fail (ORDERLY_IS_ENGINE (self));

  if (self->runner != NULL || self->busy != NULL)
    return;
  orderly_run_record_clear (&self->last_run);
  self->has_last_run = record != NULL;
  if (record != NULL)
    {
      self->last_run = *record;
      self->last_run.error_message = g_strdup (record->error_message);
      self->last_run.check_message = g_strdup (record->check_message);
      self->last_counts = *counts;
      if (self->paused != record->paused)
        {
          self->paused = record->paused;
          _orderly_engine_notify_paused (self);
        }
    }
  else
    {
      memset (&self->last_run, 0, sizeof self->last_run);
      memset (&self->last_counts, 0, sizeof self->last_counts);
    }
  self->interrupted = interrupted;
  self->processed_here = 0;
  update_status (self);
}

/**
 * orderly_engine_shutdown:
 *
 * Stops a run in progress so that it can be resumed after a restart, lets
 * the engine's operations under way end, and stores every pending log line.
 * For a clean exit: it waits for all of them.
 */
void
orderly_engine_shutdown (OrderlyEngine *self)
{
  g_return_if_fail (ORDERLY_IS_ENGINE (self));

  if (self->runner != NULL)
    {
      orderly_runner_suspend (self->runner);
      orderly_runner_join (self->runner);
    }
  orderly_engine_flush (self);
  while (g_atomic_int_get (&self->task_count->pending) > 0 ||
         orderly_run_list_get_loading (self->run_list))
    g_main_context_iteration (self->context, TRUE);
  orderly_engine_flush (self);
  drain_log_writer (self);
}

/**
 * orderly_engine_list_runs:
 * @limit: 0 for all the run list holds
 *
 * Reads the run list (orderly_engine_get_run_list()): no database query.
 *
 * Returns: (transfer full) (element-type OrderlyRunRecord): the newest
 *   @limit runs, newest first
 */
GPtrArray *
orderly_engine_list_runs (OrderlyEngine  *self,
                          guint           limit,
                          GError        **error)
{
  GListModel *model;
  GPtrArray *records;
  guint n;

  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), NULL);

  model = G_LIST_MODEL (self->run_list);
  n = g_list_model_get_n_items (model);
  if (limit > 0)
    n = MIN (n, limit);
  records = g_ptr_array_new_full (n, (GDestroyNotify) orderly_run_record_free);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(OrderlyRun) run = g_list_model_get_item (model, i);

      g_ptr_array_add (records, orderly_run_record_copy (orderly_run_get_record (run)));
    }
  return records;
}

/**
 * orderly_engine_get_queue_counts:
 *
 * The current run's orders in the terms of a job queue, as of the last
 * tick (no database query): see #OrderlyQueueCounts.
 */
void
orderly_engine_get_queue_counts (OrderlyEngine      *self,
                                 OrderlyQueueCounts *counts)
{
  gboolean paused;

  g_return_if_fail (ORDERLY_IS_ENGINE (self));
  g_return_if_fail (counts != NULL);

  paused = self->paused || (self->runner == NULL && self->interrupted);
  _orderly_engine_queue_counts_from (&self->last_counts, _orderly_engine_run_is_open (self), paused,
                                     counts);
  counts->queue_paused = self->paused;
}

/**
 * orderly_engine_log:
 * @data_json: (nullable): structured data, as JSON text
 *
 * Adds a line to the log; it reaches the log store on the next tick, in
 * order with the lines of the run's threads.
 */
void
orderly_engine_log (OrderlyEngine   *self,
                    OrderlyLogLevel  level,
                    const char      *category,
                    const char      *data_json,
                    const char      *format,
                    ...)
{
  g_autofree char *message = NULL;
  va_list args;

  g_return_if_fail (ORDERLY_IS_ENGINE (self));

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  orderly_log_queue_push (self->log_queue,
                          orderly_log_record_new (level, category, message, data_json));
}

guint
orderly_engine_get_workers (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), 0);
  return self->workers;
}

/**
 * orderly_engine_set_workers:
 * @workers: worker threads for the next run; 0 for one per processor
 */
void
orderly_engine_set_workers (OrderlyEngine *self,
                            guint          workers)
{
  g_return_if_fail (ORDERLY_IS_ENGINE (self));

  if (self->workers == workers)
    return;
  self->workers = workers;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKERS]);
}

gint64
orderly_engine_get_work_us (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), 0);
  return self->work_us;
}

/**
 * orderly_engine_set_work_us:
 * @work_us: simulated cost of processing one order, in microseconds, for
 *   the next run
 */
void
orderly_engine_set_work_us (OrderlyEngine *self,
                            gint64         work_us)
{
  g_return_if_fail (ORDERLY_IS_ENGINE (self));

  work_us = MAX (work_us, 0);
  if (self->work_us == work_us)
    return;
  self->work_us = work_us;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORK_US]);
}

double
orderly_engine_get_failure_rate (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), 0);
  return self->failure_rate;
}

/**
 * orderly_engine_set_failure_rate:
 * @failure_rate: the share of attempts that fail, from 0 to 1, for the
 *   next run (or the next resume)
 */
void
orderly_engine_set_failure_rate (OrderlyEngine *self,
                                 double         failure_rate)
{
  g_return_if_fail (ORDERLY_IS_ENGINE (self));
  g_return_if_fail (failure_rate >= 0 && failure_rate <= 1);

  if (self->failure_rate == failure_rate)
    return;
  self->failure_rate = failure_rate;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAILURE_RATE]);
}

guint
orderly_engine_get_max_attempts (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), ORDERLY_DEFAULT_MAX_ATTEMPTS);
  return self->max_attempts;
}

/**
 * orderly_engine_set_max_attempts:
 * @max_attempts: attempts an order gets before it fails for good, from 1
 */
void
orderly_engine_set_max_attempts (OrderlyEngine *self,
                                 guint          max_attempts)
{
  g_return_if_fail (ORDERLY_IS_ENGINE (self));
  g_return_if_fail (max_attempts >= 1 && max_attempts <= 100);

  if (self->max_attempts == max_attempts)
    return;
  self->max_attempts = max_attempts;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_ATTEMPTS]);
}

gint64
orderly_engine_get_retry_backoff_ms (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), ORDERLY_DEFAULT_RETRY_BACKOFF_MS);
  return self->retry_backoff_ms;
}

/**
 * orderly_engine_set_retry_backoff_ms:
 * @backoff_ms: the wait before an order's first retry; each next one waits
 *   twice as long
 */
void
orderly_engine_set_retry_backoff_ms (OrderlyEngine *self,
                                     gint64         backoff_ms)
{
  g_return_if_fail (ORDERLY_IS_ENGINE (self));
  g_return_if_fail (backoff_ms >= 0);

  if (self->retry_backoff_ms == backoff_ms)
    return;
  self->retry_backoff_ms = backoff_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRY_BACKOFF_MS]);
}

gint64
orderly_engine_get_lease_ms (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), ORDERLY_DEFAULT_LEASE_MS);
  return self->lease_ms;
}

/**
 * orderly_engine_set_lease_ms:
 * @lease_ms: how long a worker's claim stays valid without being renewed
 *   (a worker renews it while it works); past it, its results are refused
 */
void
orderly_engine_set_lease_ms (OrderlyEngine *self,
                             gint64         lease_ms)
{
  g_return_if_fail (ORDERLY_IS_ENGINE (self));
  g_return_if_fail (lease_ms >= 0);

  if (self->lease_ms == lease_ms)
    return;
  self->lease_ms = lease_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LEASE_MS]);
}

guint
orderly_engine_get_tick_hz (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), ORDERLY_DEFAULT_TICK_HZ);
  return self->tick_hz;
}

void
orderly_engine_set_tick_hz (OrderlyEngine *self,
                            guint          tick_hz)
{
  g_return_if_fail (ORDERLY_IS_ENGINE (self));

  tick_hz = CLAMP (tick_hz, 1, 100);
  if (self->tick_hz == tick_hz)
    return;
  self->tick_hz = tick_hz;
  if (self->tick_source != 0)
    restart_tick (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TICK_HZ]);
}

double
orderly_engine_get_vip_share (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), ORDERLY_DEFAULT_VIP_SHARE);
  return self->vip_share;
}

void
orderly_engine_set_vip_share (OrderlyEngine *self,
                              double         vip_share)
{
  g_return_if_fail (ORDERLY_IS_ENGINE (self));
  g_return_if_fail (vip_share >= 0 && vip_share <= 1);

  if (self->vip_share == vip_share)
    return;
  self->vip_share = vip_share;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIP_SHARE]);
}

guint
orderly_engine_get_log_capacity (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), 0);
  return orderly_log_store_get_capacity (self->log_store);
}

void
orderly_engine_set_log_capacity (OrderlyEngine *self,
                                 guint          capacity)
{
  g_return_if_fail (ORDERLY_IS_ENGINE (self));
  g_return_if_fail (capacity > 0);

  if (orderly_log_store_get_capacity (self->log_store) == capacity)
    return;
  orderly_log_store_set_capacity (self->log_store, capacity);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOG_CAPACITY]);
}

void
_orderly_engine_notify_paused (OrderlyEngine *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}
