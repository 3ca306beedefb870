/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-engine"

#include "config.h"

#include "orderly-engine.h"
#include "orderly-enums.h"
#include "orderly-log-queue.h"
#include "orderly-periodic.h"
#include "orderly-runner.h"

/**
 * OrderlyEngine:
 *
 * Runs order-processing runs and publishes their state. It lives on the main
 * loop: commands come in here, a #OrderlyRunner does the work on its threads,
 * and a tick (#OrderlyEngine:tick-hz times a second) turns the runner's
 * counters into #OrderlyStatus changes and its log lines into
 * #OrderlyLogStore entries, stored in the database as well.
 */

#define LOG_QUEUE_LIMIT 100000

struct _OrderlyEngine
{
  GObject             parent_instance;

  OrderlyStore       *store;
  OrderlyStatus      *status;
  OrderlyLogStore    *log_store;
  OrderlyLogQueue    *log_queue;
  OrderlyRunner      *runner;

  /* The run the status shows when none is going. */
  OrderlyRunRecord    last_run;
  gboolean            has_last_run;
  gboolean            interrupted;

  /* Log lines are stored on a thread of their own, in order, so the main
   * loop never waits for the database while the workers write to it. */
  GThreadPool        *log_writer;
  gint64              next_log_id;
  gint                log_store_failed;

  guint               tick_source;
  guint               tick_hz;
  guint               workers;
  gint64              work_us;
  double              vip_share;
};

typedef struct
{
  OrderlyStore *store;
  GPtrArray    *records;
  guint         keep;
  gint         *failed;
} LogBatch;

enum {
  PROP_0,
  PROP_STATUS,
  PROP_LOG_STORE,
  PROP_RUNNING,
  PROP_WORKERS,
  PROP_WORK_US,
  PROP_TICK_HZ,
  PROP_VIP_SHARE,
  PROP_LOG_CAPACITY,
  N_PROPS
};

enum {
  RUN_FINISHED,
  FLUSHED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (OrderlyEngine, orderly_engine, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static double
per_second (gint64 count,
            double ms)
{
  return ms > 0 ? count / (ms / 1000.0) : 0;
}

static void
fill_status (OrderlyStatusData      *d,
             const OrderlyRunRecord *run,
             OrderlyPhase            phase,
             double                  elapsed_ms)
{
  gint64 units_done, units_total;

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

  d->throughput_vip = per_second (d->vip_processed, d->vip_ms);
  d->throughput_normal = per_second (d->normal_processed, d->normal_ms);
  d->throughput_overall = per_second (d->processed_total, d->vip_ms + d->normal_ms);

  /* A run is twice its quantity in work: generating each order, then
   * processing it. Progress and ETA count both. */
  units_total = 2 * run->quantity;
  units_done = d->generated + d->processed_total;
  if (units_total > 0)
    d->progress_percent = CLAMP (100.0 * units_done / units_total, 0, 100);
  if (phase == ORDERLY_PHASE_DONE)
    {
      d->progress_percent = 100;
      d->eta_ms = 0;
    }
  else if (orderly_phase_is_active (phase) && units_done > 0 && elapsed_ms > 0)
    {
      double rate = units_done / elapsed_ms;
      d->eta_ms = (gint64) ((units_total - units_done) / rate);
    }
}

static void
update_status (OrderlyEngine *self)
{
  OrderlyStatusData data;

  if (self->runner != NULL)
    {
      OrderlyRunnerSnapshot snapshot;

      orderly_runner_snapshot (self->runner, &snapshot);
      fill_status (&data, &snapshot.record, snapshot.record.phase, snapshot.record.total_ms);
      data.queue_waiting = snapshot.queue_waiting;
      data.active_workers = snapshot.active_workers;
      orderly_status_update (self->status, &data);
      orderly_run_record_clear (&snapshot.record);
    }
  else if (self->has_last_run)
    {
      fill_status (&data, &self->last_run,
                   self->interrupted ? ORDERLY_PHASE_INTERRUPTED : self->last_run.phase, 0);
      orderly_status_update (self->status, &data);
    }
  else
    {
      fill_status (&data, NULL, ORDERLY_PHASE_IDLE, 0);
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
  orderly_store_unref (batch->store);
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
  batch->store = orderly_store_ref (self->store);
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
collect_finished_runner (OrderlyEngine *self)
{
  OrderlyRunnerSnapshot snapshot;

  orderly_runner_join (self->runner);
  orderly_runner_snapshot (self->runner, &snapshot);
  orderly_run_record_clear (&self->last_run);
  self->last_run = snapshot.record;
  self->has_last_run = TRUE;
  self->interrupted = orderly_phase_is_active (snapshot.record.phase);
  g_clear_pointer (&self->runner, orderly_runner_free);
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

static void
orderly_engine_dispose (GObject *object)
{
  OrderlyEngine *self = (OrderlyEngine *) object;

  g_clear_handle_id (&self->tick_source, g_source_remove);
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

  G_OBJECT_CLASS (orderly_engine_parent_class)->dispose (object);
}

static void
orderly_engine_finalize (GObject *object)
{
  OrderlyEngine *self = (OrderlyEngine *) object;

  orderly_run_record_clear (&self->last_run);
  g_clear_pointer (&self->log_queue, orderly_log_queue_free);
  g_clear_object (&self->status);
  g_clear_object (&self->log_store);
  g_clear_pointer (&self->store, orderly_store_unref);

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
    case PROP_RUNNING:
      g_value_set_boolean (value, orderly_engine_is_running (self));
      break;
    case PROP_WORKERS:
      g_value_set_uint (value, self->workers);
      break;
    case PROP_WORK_US:
      g_value_set_int64 (value, self->work_us);
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
  properties[PROP_RUNNING] = g_param_spec_boolean ("running", NULL, NULL, FALSE, ro);
  properties[PROP_WORKERS] = g_param_spec_uint ("workers", NULL, NULL, 0, 256, 0, rw);
  properties[PROP_WORK_US] =
    g_param_spec_int64 ("work-us", NULL, NULL, 0, G_USEC_PER_SEC * 10, 0, rw);
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
  self->log_store = orderly_log_store_new (ORDERLY_DEFAULT_LOG_CAPACITY);
  self->log_queue = orderly_log_queue_new (LOG_QUEUE_LIMIT);
  self->log_writer = new_log_writer ();
  self->next_log_id = 1;
  self->tick_hz = ORDERLY_DEFAULT_TICK_HZ;
  self->workers = 0;
  self->vip_share = ORDERLY_DEFAULT_VIP_SHARE;
}

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

  runs = orderly_store_list_runs (self->store, 1, error);
  if (runs == NULL)
    return FALSE;
  if (runs->len == 0)
    return TRUE;

  latest = g_ptr_array_index (runs, 0);
  self->last_run = *latest;
  latest->error_message = NULL;
  self->has_last_run = TRUE;

  if (!orderly_phase_is_terminal (self->last_run.phase) &&
      self->last_run.phase != ORDERLY_PHASE_IDLE)
    {
      OrderlyOrderCounts counts;

      /* The run row may lag behind its last batches: the orders are the truth. */
      if (!orderly_store_count_orders (self->store, self->last_run.id, &counts, error))
        return FALSE;
      self->last_run.generated = counts.vip_total + counts.normal_total;
      self->last_run.vip_total = counts.vip_total;
      self->last_run.normal_total = counts.normal_total;
      self->last_run.vip_count = counts.vip_processed;
      self->last_run.normal_count = counts.normal_processed;
      self->interrupted = TRUE;
      orderly_engine_log (self, ORDERLY_LOG_LEVEL_WARN, "engine", NULL,
                          "Run %" G_GINT64_FORMAT " was interrupted in %s: %" G_GINT64_FORMAT
                          " of %" G_GINT64_FORMAT " orders generated, %" G_GINT64_FORMAT
                          " processed. Resume it or start a new run.",
                          self->last_run.id, orderly_phase_to_string (self->last_run.phase),
                          self->last_run.generated, self->last_run.quantity,
                          counts.vip_processed + counts.normal_processed);
    }
  return TRUE;
}

/**
 * orderly_engine_new:
 * @store: where orders, runs and logs live
 *
 * Creates the engine and recovers the state @store holds: the recent log
 * lines, and a run that a crash interrupted.
 *
 * Returns: (transfer full): the engine, or %NULL if @store cannot be read
 */
OrderlyEngine *
orderly_engine_new (OrderlyStore  *store,
                    GError       **error)
{
  g_autoptr(OrderlyEngine) self = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  self = g_object_new (ORDERLY_TYPE_ENGINE, NULL);
  self->store = orderly_store_ref (store);
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

OrderlyLogStore *
orderly_engine_get_log_store (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), NULL);
  return self->log_store;
}

gboolean
orderly_engine_is_running (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), FALSE);
  return self->runner != NULL && !orderly_runner_is_finished (self->runner);
}

static void
stop_runner (OrderlyEngine *self)
{
  if (self->runner == NULL)
    return;
  orderly_runner_cancel (self->runner);
  orderly_engine_flush (self);
  if (self->runner != NULL)
    {
      orderly_runner_join (self->runner);
      orderly_engine_flush (self);
    }
}

static gboolean
start_runner (OrderlyEngine             *self,
              const OrderlyRunRecord    *record,
              const OrderlyOrderCounts  *resume_counts,
              GError                   **error)
{
  self->runner = orderly_runner_start (self->store, self->log_queue, record, resume_counts,
                                       self->work_us, error);
  if (self->runner == NULL)
    return FALSE;
  self->interrupted = FALSE;
  orderly_engine_flush (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  return TRUE;
}

static guint
effective_workers (OrderlyEngine *self)
{
  return self->workers > 0 ? self->workers : MAX (g_get_num_processors (), 1);
}

/**
 * orderly_engine_start_run:
 * @info: (out caller-allocates) (optional): what happened
 *
 * Starts a run of @request->quantity orders. A run in progress makes this
 * fail with %ORDERLY_ERROR_BUSY unless @request->force is set, which cancels
 * it first. An interrupted run is closed as aborted ("stale recovered").
 */
gboolean
orderly_engine_start_run (OrderlyEngine            *self,
                          const OrderlyRunRequest  *request,
                          OrderlyStartInfo         *info,
                          GError                  **error)
{
  OrderlyRunRecord record = { 0 };
  gboolean forced = FALSE;
  gboolean stale = FALSE;
  double vip_share;

  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (request != NULL, FALSE);

  if (request->quantity < ORDERLY_MIN_QUANTITY || request->quantity > ORDERLY_MAX_QUANTITY)
    {
      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                   "quantity must be an integer between %d and %d",
                   ORDERLY_MIN_QUANTITY, ORDERLY_MAX_QUANTITY);
      return FALSE;
    }
  vip_share = request->vip_share < 0 ? self->vip_share : request->vip_share;
  if (!(vip_share >= 0 && vip_share <= 1))
    {
      g_set_error_literal (error, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                           "vipShare must be a number between 0 and 1");
      return FALSE;
    }

  if (orderly_engine_is_running (self))
    {
      if (!request->force)
        {
          g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_BUSY,
                       "A run is already in progress (%s); send force to replace it",
                       orderly_phase_to_string (orderly_status_get_phase (self->status)));
          return FALSE;
        }
      orderly_engine_log (self, ORDERLY_LOG_LEVEL_WARN, "engine", NULL,
                          "Force start: cancelling the run in progress");
      stop_runner (self);
      forced = TRUE;
    }
  else if (self->runner != NULL)
    {
      orderly_engine_flush (self);
    }

  if (self->interrupted)
    {
      g_autoptr(GError) save_error = NULL;

      self->last_run.phase = ORDERLY_PHASE_ABORTED;
      self->last_run.finished_at_us = g_get_real_time ();
      if (!orderly_store_save_run (self->store, &self->last_run, &save_error))
        {
          g_propagate_error (error, g_steal_pointer (&save_error));
          self->last_run.phase = ORDERLY_PHASE_INTERRUPTED;
          return FALSE;
        }
      self->interrupted = FALSE;
      stale = TRUE;
      orderly_engine_log (self, ORDERLY_LOG_LEVEL_WARN, "engine", NULL,
                          "Interrupted run %" G_GINT64_FORMAT " closed as aborted",
                          self->last_run.id);
    }

  record.seed = request->has_seed ? request->seed : ((guint64) g_random_int () << 32 | g_random_int ());
  record.quantity = request->quantity;
  record.vip_share = vip_share;
  record.phase = ORDERLY_PHASE_GENERATING;
  record.workers = effective_workers (self);
  record.started_at_us = g_get_real_time ();
  if (!orderly_store_create_run (self->store, &record, error))
    return FALSE;
  if (!start_runner (self, &record, NULL, error))
    return FALSE;

  if (info != NULL)
    {
      info->run_id = record.id;
      info->phase = orderly_status_get_phase (self->status);
      info->forced = forced;
      info->stale_recovered = stale;
    }
  return TRUE;
}

/**
 * orderly_engine_cancel:
 *
 * Cancels the run in progress, if any, and waits for its threads to stop
 * (well under 200 ms). Every order it processed stays processed.
 *
 * Returns: the phase afterwards
 */
OrderlyPhase
orderly_engine_cancel (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), ORDERLY_PHASE_IDLE);

  if (orderly_engine_is_running (self))
    {
      orderly_engine_log (self, ORDERLY_LOG_LEVEL_WARN, "engine", NULL, "Cancel requested");
      stop_runner (self);
    }
  return orderly_status_get_phase (self->status);
}

/**
 * orderly_engine_reset:
 *
 * Deletes every order and run. Refused with %ORDERLY_ERROR_BUSY while a run
 * is in progress.
 */
gboolean
orderly_engine_reset (OrderlyEngine     *self,
                      OrderlyResetInfo  *info,
                      GError           **error)
{
  OrderlyResetInfo result = { 0 };

  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), FALSE);

  if (orderly_engine_is_running (self))
    {
      g_set_error_literal (error, ORDERLY_ERROR, ORDERLY_ERROR_BUSY,
                           "Cannot reset while a run is in progress; cancel it first");
      return FALSE;
    }
  orderly_engine_flush (self);

  if (!orderly_store_reset (self->store, &result.deleted_orders, &result.deleted_runs, error))
    return FALSE;

  orderly_run_record_clear (&self->last_run);
  memset (&self->last_run, 0, sizeof self->last_run);
  self->has_last_run = FALSE;
  self->interrupted = FALSE;
  orderly_engine_log (self, ORDERLY_LOG_LEVEL_WARN, "engine", NULL,
                      "Reset: %" G_GINT64_FORMAT " orders and %" G_GINT64_FORMAT " runs deleted",
                      result.deleted_orders, result.deleted_runs);
  orderly_engine_flush (self);

  if (info != NULL)
    *info = result;
  return TRUE;
}

/**
 * orderly_engine_resume:
 *
 * Continues the interrupted run: generates the orders it had not generated
 * yet, then processes every order still pending.
 */
gboolean
orderly_engine_resume (OrderlyEngine  *self,
                       GError        **error)
{
  OrderlyOrderCounts counts;
  g_autoptr(OrderlyRunRecord) record = NULL;

  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), FALSE);

  if (orderly_engine_is_running (self))
    {
      g_set_error_literal (error, ORDERLY_ERROR, ORDERLY_ERROR_BUSY,
                           "A run is already in progress");
      return FALSE;
    }
  orderly_engine_flush (self);
  if (!self->interrupted)
    {
      g_set_error_literal (error, ORDERLY_ERROR, ORDERLY_ERROR_NOTHING_TO_RESUME,
                           "There is no interrupted run to resume");
      return FALSE;
    }
  if (!orderly_store_count_orders (self->store, self->last_run.id, &counts, error))
    return FALSE;

  record = orderly_run_record_copy (&self->last_run);
  record->workers = effective_workers (self);
  return start_runner (self, record, &counts, error);
}

/**
 * orderly_engine_shutdown:
 *
 * Stops a run in progress so that it can be resumed after a restart, and
 * stores every pending log line. For a clean exit.
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
  drain_log_writer (self);
}

/**
 * orderly_engine_list_runs:
 *
 * Returns: (transfer full): the newest @limit runs (0: all), newest first
 */
GPtrArray *
orderly_engine_list_runs (OrderlyEngine  *self,
                          guint           limit,
                          GError        **error)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), NULL);
  return orderly_store_list_runs (self->store, limit, error);
}

/**
 * orderly_engine_get_queue_counts:
 *
 * The work queue in the terms of a job queue: orders generated and waiting,
 * batches being processed, orders completed; failed ones if the run failed,
 * paused ones if it was interrupted.
 */
void
orderly_engine_get_queue_counts (OrderlyEngine      *self,
                                 OrderlyQueueCounts *counts)
{
  const OrderlyStatusData *d;
  gint64 remaining;

  g_return_if_fail (ORDERLY_IS_ENGINE (self));
  g_return_if_fail (counts != NULL);

  d = orderly_status_get_data (self->status);
  remaining = MAX (d->generated - d->processed_total, 0);
  memset (counts, 0, sizeof *counts);
  counts->completed = d->processed_total;
  counts->active = orderly_phase_is_active (d->phase) ? d->active_workers : 0;
  if (d->phase == ORDERLY_PHASE_ERROR)
    counts->failed = remaining;
  else if (d->phase == ORDERLY_PHASE_INTERRUPTED)
    counts->paused = remaining;
  else if (orderly_phase_is_active (d->phase))
    counts->waiting = MAX (remaining - counts->active, 0);
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
