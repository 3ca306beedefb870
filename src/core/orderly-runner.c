/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-runner"

#include "config.h"

#include <stdio.h>
#include <sys/resource.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif
#include <unistd.h>

#include "orderly-generator.h"
#include "orderly-runner.h"

#define GENERATE_BATCH 16384
/* Orders claimed and stored per transaction: large enough to keep commits
 * rare, small enough that with a simulated cost a chunk still takes about a
 * tenth of a second, so progress keeps moving. */
#define PROCESS_CHUNK_MAX 4096
#define PROCESS_CHUNK_TARGET_US (G_USEC_PER_SEC / 10)
#define SPIN_LIMIT_US 200
/* The nice value of the run's threads: see lower_thread_priority(). */
#define RUN_THREAD_NICE 10

struct _OrderlyRunner
{
  OrderlyStore     *store;
  OrderlyLogQueue  *logs;
  GThread          *thread;
  gint64            work_us;
  gboolean          resume;

  /* Guards record and the monotonic phase starts. */
  GMutex            lock;
  OrderlyRunRecord  record;
  gint64            run_start_mono;
  gint64            phase_start_mono;
  double            phase_base_ms;
  double            total_base_ms;

  /* Shared with the workers. */
  gint              cancelled;
  gint              suspended;
  gint              failed;
  gint              finished;
  gint              active_workers;
  gint64            generated;
  gint64            vip_total;
  gint64            normal_total;
  gint64            vip_processed;
  gint64            normal_processed;

  /* The queue being drained: ids of one priority. */
  GArray           *queue;
  OrderlyPriority   queue_priority;
  gint64            queue_next;
  gint64            queue_done;
  gint64            chunk_size;
  /* Chunks commit in the order they were taken, so results are appended. */
  GCond             turn_cond;
  gint64            turn;

  GArray           *vip_ids;
  GArray           *normal_ids;
};

typedef struct
{
  OrderlyRunner *runner;
  guint          worker_id;
} Worker;

static gint64
now_mono (void)
{
  return g_get_monotonic_time ();
}

static double
ms_since (gint64 start_mono)
{
  return (now_mono () - start_mono) / 1000.0;
}

static gboolean
is_cancelled (OrderlyRunner *self)
{
  return g_atomic_int_get (&self->cancelled) != 0;
}

static void
log_line (OrderlyRunner   *self,
          OrderlyLogLevel  level,
          const char      *format,
          ...) G_GNUC_PRINTF (3, 4);

static void
log_line (OrderlyRunner   *self,
          OrderlyLogLevel  level,
          const char      *format,
          ...)
{
  g_autofree char *message = NULL;
  g_autofree char *data = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  data = g_strdup_printf ("{\"runId\":%" G_GINT64_FORMAT "}", self->record.id);
  orderly_log_queue_push (self->logs, orderly_log_record_new (level, "engine", message, data));
}

static void
fill_counts_locked (OrderlyRunner *self)
{
  self->record.generated = self->generated;
  self->record.vip_total = self->vip_total;
  self->record.normal_total = self->normal_total;
  self->record.vip_count = self->vip_processed;
  self->record.normal_count = self->normal_processed;
}

static gboolean
save_record (OrderlyRunner  *self,
             GError        **error)
{
  g_autoptr(OrderlyRunRecord) copy = NULL;

  g_mutex_lock (&self->lock);
  fill_counts_locked (self);
  copy = orderly_run_record_copy (&self->record);
  g_mutex_unlock (&self->lock);

  return orderly_store_save_run (self->store, copy, error);
}

static gboolean
enter_phase (OrderlyRunner  *self,
             OrderlyPhase    phase,
             GError        **error)
{
  g_autofree char *data = NULL;

  g_mutex_lock (&self->lock);
  self->record.phase = phase;
  self->phase_start_mono = now_mono ();
  g_mutex_unlock (&self->lock);

  data = g_strdup_printf ("{\"runId\":%" G_GINT64_FORMAT ",\"phase\":\"%s\"}",
                          self->record.id, orderly_phase_to_string (phase));
  orderly_log_queue_printf (self->logs, ORDERLY_LOG_LEVEL_LOG, "phase", data,
                            "Phase %s", orderly_phase_to_string (phase));
  return save_record (self, error);
}

static void
simulate_work (OrderlyRunner *self)
{
  if (self->work_us >= SPIN_LIMIT_US)
    {
      g_usleep (self->work_us);
    }
  else
    {
      gint64 until = now_mono () + self->work_us;

      while (now_mono () < until)
        ;
    }
}

static gboolean
generate (OrderlyRunner  *self,
          GError        **error)
{
  g_autofree OrderlyOrder *batch = g_new (OrderlyOrder, GENERATE_BATCH);
  gint64 quantity = self->record.quantity;
  gint64 created_at = g_get_real_time ();
  gint64 next_log = 0;
  gint64 index = self->generated;

  while (index < quantity && !is_cancelled (self))
    {
      guint n = (guint) MIN ((gint64) GENERATE_BATCH, quantity - index);
      gint64 vip = 0;

      for (guint i = 0; i < n; i++)
        {
          OrderlyOrder *order = &batch[i];

          orderly_generate_order (self->record.seed, self->record.id, index + i,
                                  self->record.vip_share, created_at, order);
          if (order->priority == ORDERLY_PRIORITY_VIP)
            vip++;
          if (self->vip_ids != NULL)
            g_array_append_val (order->priority == ORDERLY_PRIORITY_VIP ?
                                self->vip_ids : self->normal_ids, order->id);
        }
      if (!orderly_store_insert_orders (self->store, batch, n, error))
        return FALSE;

      index += n;
      g_mutex_lock (&self->lock);
      self->generated = index;
      self->vip_total += vip;
      self->normal_total += n - vip;
      g_mutex_unlock (&self->lock);

      if (index * 10 / quantity > next_log && index < quantity)
        {
          next_log = index * 10 / quantity;
          log_line (self, ORDERLY_LOG_LEVEL_LOG, "Generated %" G_GINT64_FORMAT " of %"
                    G_GINT64_FORMAT " orders", index, quantity);
        }
    }
  return TRUE;
}

static void
add_processed (OrderlyRunner   *self,
               OrderlyPriority  priority,
               guint            claimed,
               guint            consumed)
{
  gint64 *counter = priority == ORDERLY_PRIORITY_VIP ? &self->vip_processed : &self->normal_processed;
  gint64 total = (gint64) self->queue->len;
  gint64 before, after;

  g_mutex_lock (&self->lock);
  *counter += claimed;
  before = self->queue_done;
  self->queue_done += consumed;
  after = self->queue_done;
  g_mutex_unlock (&self->lock);

  if (total > 0 && after < total && after * 10 / total > before * 10 / total)
    log_line (self, ORDERLY_LOG_LEVEL_LOG, "%s processing: %" G_GINT64_FORMAT " of %"
              G_GINT64_FORMAT " orders", orderly_priority_to_string (priority), after, total);
}

static char *
append_number (char    *out,
               guint64  value)
{
  char digits[24];
  int n = 0;

  do
    digits[n++] = '0' + value % 10;
  while ((value /= 10) != 0);
  while (n > 0)
    *out++ = digits[--n];
  return out;
}

/* "VIP order 42 processed by worker 2", written without printf: this runs
 * once per order. The buffer holds 96 bytes, far more than the longest. */
static void
write_observations (char       *out,
                    const char *priority,
                    gint64      id,
                    guint       worker_id)
{
  out = g_stpcpy (out, priority);
  out = g_stpcpy (out, " order ");
  out = append_number (out, (guint64) id);
  out = g_stpcpy (out, " processed by worker ");
  out = append_number (out, worker_id);
  *out = '\0';
}

/* Waits until every chunk taken before @chunk is stored. */
static gboolean
wait_for_turn (OrderlyRunner *self,
               gint64         chunk)
{
  gboolean ok;

  g_mutex_lock (&self->lock);
  while (self->turn != chunk && !g_atomic_int_get (&self->failed))
    g_cond_wait (&self->turn_cond, &self->lock);
  ok = !g_atomic_int_get (&self->failed);
  g_mutex_unlock (&self->lock);
  return ok;
}

static void
end_turn (OrderlyRunner *self)
{
  g_mutex_lock (&self->lock);
  self->turn++;
  g_cond_broadcast (&self->turn_cond);
  g_mutex_unlock (&self->lock);
}

/* A run is batch work: it yields to the main loop, which serves the
 * window and every remote client, whenever both want a processor. On
 * Linux a nice value applies to the calling thread alone. */
static void
lower_thread_priority (void)
{
#ifdef __linux__
  (void) setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), RUN_THREAD_NICE);
#endif
}

static gpointer
worker_main (gpointer data)
{
  Worker *worker = data;
  OrderlyRunner *self = worker->runner;
  gint64 chunk_size = self->chunk_size;
  OrderlyOrderResult *results = g_new (OrderlyOrderResult, chunk_size);
  char (*observations)[96] = g_malloc (chunk_size * sizeof *observations);
  const gint64 *ids = (const gint64 *) (gpointer) self->queue->data;
  gint64 len = self->queue->len;
  const char *priority = orderly_priority_to_string (self->queue_priority);

  lower_thread_priority ();

  g_atomic_int_inc (&self->active_workers);
  while (!is_cancelled (self))
    {
      guint n, claimed = 0;
      g_autoptr(GError) error = NULL;
      gint64 start;

      g_mutex_lock (&self->lock);
      start = self->queue_next;
      self->queue_next += chunk_size;
      g_mutex_unlock (&self->lock);

      if (start >= len)
        break;
      n = (guint) MIN (chunk_size, len - start);

      for (guint i = 0; i < n; i++)
        {
          if (self->work_us > 0)
            {
              if (is_cancelled (self))
                {
                  n = i;
                  break;
                }
              simulate_work (self);
            }
          results[i].id = ids[start + i];
          results[i].priority = self->queue_priority;
          results[i].processed_at_us = g_get_real_time ();
          results[i].worker_id = worker->worker_id;
          write_observations (observations[i], priority, results[i].id, worker->worker_id);
          results[i].observations = observations[i];
        }
      if (!wait_for_turn (self, start / chunk_size))
        break;
      if (n > 0 && !orderly_store_process_orders (self->store, results, n, &claimed, &error))
        {
          g_mutex_lock (&self->lock);
          if (self->record.error_message == NULL)
            self->record.error_message = g_strdup (error->message);
          g_mutex_unlock (&self->lock);
          g_atomic_int_set (&self->failed, 1);
          g_atomic_int_set (&self->cancelled, 1);
          end_turn (self);
          break;
        }
      end_turn (self);
      if (n == 0)
        break;
      add_processed (self, self->queue_priority, claimed, n);
    }
  g_atomic_int_add (&self->active_workers, -1);

  g_free (observations);
  g_free (results);
  g_free (worker);
  return NULL;
}

static void
drain_queue (OrderlyRunner *self)
{
  guint n_workers = MAX (self->record.workers, 1);
  g_autoptr(GPtrArray) threads = g_ptr_array_new ();

  self->queue_next = 0;
  self->queue_done = 0;
  self->chunk_size = self->work_us > 0
                     ? CLAMP (PROCESS_CHUNK_TARGET_US / self->work_us, 1, PROCESS_CHUNK_MAX)
                     : PROCESS_CHUNK_MAX;
  self->turn = 0;
  for (guint i = 0; i < n_workers; i++)
    {
      Worker *worker = g_new0 (Worker, 1);
      g_autofree char *name = g_strdup_printf ("orderly-worker-%u", i + 1);

      worker->runner = self;
      worker->worker_id = i + 1;
      g_ptr_array_add (threads, g_thread_new (name, worker_main, worker));
    }
  for (guint i = 0; i < threads->len; i++)
    g_thread_join (g_ptr_array_index (threads, i));
}

static gboolean
enqueue (OrderlyRunner    *self,
         OrderlyPriority   priority,
         GError          **error)
{
  GArray **generated_ids = priority == ORDERLY_PRIORITY_VIP ? &self->vip_ids : &self->normal_ids;

  g_clear_pointer (&self->queue, g_array_unref);
  if (*generated_ids != NULL)
    {
      self->queue = g_steal_pointer (generated_ids);
    }
  else
    {
      self->queue = orderly_store_pending_order_ids (self->store, self->record.id, priority, error);
      if (self->queue == NULL)
        return FALSE;
    }
  self->queue_priority = priority;
  return TRUE;
}

static gboolean
process_priority (OrderlyRunner    *self,
                  OrderlyPriority   priority,
                  GError          **error)
{
  gboolean vip = priority == ORDERLY_PRIORITY_VIP;
  gint64 enqueue_start;
  gint64 start_mono;
  double done_ms;

  if (!enter_phase (self, vip ? ORDERLY_PHASE_ENQUEUE_VIP : ORDERLY_PHASE_ENQUEUE_NORMAL, error))
    return FALSE;
  enqueue_start = now_mono ();
  if (!enqueue (self, priority, error))
    return FALSE;
  g_mutex_lock (&self->lock);
  if (vip)
    self->record.enqueue_vip_ms += ms_since (enqueue_start);
  else
    self->record.enqueue_normal_ms += ms_since (enqueue_start);
  g_mutex_unlock (&self->lock);
  log_line (self, ORDERLY_LOG_LEVEL_LOG, "Enqueued %u %s orders in %.1f ms", self->queue->len,
            orderly_priority_to_string (priority),
            vip ? self->record.enqueue_vip_ms : self->record.enqueue_normal_ms);

  if (!enter_phase (self, vip ? ORDERLY_PHASE_WAITING_VIP_DRAIN : ORDERLY_PHASE_WAITING_NORMAL_DRAIN,
                    error))
    return FALSE;

  g_mutex_lock (&self->lock);
  start_mono = self->phase_start_mono;
  self->phase_base_ms = vip ? self->record.vip_ms : self->record.normal_ms;
  if (vip && self->record.vip_start_us == 0)
    self->record.vip_start_us = g_get_real_time ();
  else if (!vip && self->record.normal_start_us == 0)
    self->record.normal_start_us = g_get_real_time ();
  g_mutex_unlock (&self->lock);

  drain_queue (self);

  g_mutex_lock (&self->lock);
  done_ms = self->phase_base_ms + ms_since (start_mono);
  if (vip)
    {
      self->record.vip_ms = done_ms;
      self->record.vip_end_us = g_get_real_time ();
    }
  else
    {
      self->record.normal_ms = done_ms;
      self->record.normal_end_us = g_get_real_time ();
    }
  g_mutex_unlock (&self->lock);

  if (g_atomic_int_get (&self->failed))
    {
      g_set_error_literal (error, ORDERLY_ERROR, ORDERLY_ERROR_STORAGE,
                           self->record.error_message ? self->record.error_message : "Processing failed");
      return FALSE;
    }
  if (!is_cancelled (self))
    log_line (self, ORDERLY_LOG_LEVEL_LOG, "Processed %" G_GINT64_FORMAT " %s orders in %.1f ms",
              vip ? self->vip_processed : self->normal_processed,
              orderly_priority_to_string (priority), done_ms);
  return TRUE;
}

static void
finish (OrderlyRunner *self,
        OrderlyPhase   phase,
        const GError  *error)
{
  g_autoptr(GError) save_error = NULL;

  g_mutex_lock (&self->lock);
  self->record.phase = phase;
  if (orderly_phase_is_terminal (phase))
    self->record.finished_at_us = g_get_real_time ();
  self->record.total_ms = self->total_base_ms + ms_since (self->run_start_mono);
  if (error != NULL && self->record.error_message == NULL)
    self->record.error_message = g_strdup (error->message);
  g_mutex_unlock (&self->lock);

  if (!save_record (self, &save_error))
    log_line (self, ORDERLY_LOG_LEVEL_ERROR, "Could not save run %" G_GINT64_FORMAT ": %s",
              self->record.id, save_error->message);

  switch (phase)
    {
    case ORDERLY_PHASE_DONE:
      log_line (self, ORDERLY_LOG_LEVEL_LOG,
                "Run %" G_GINT64_FORMAT " done: %" G_GINT64_FORMAT " orders in %.1f ms",
                self->record.id, self->vip_processed + self->normal_processed,
                self->record.total_ms);
      break;
    case ORDERLY_PHASE_ABORTED:
      log_line (self, ORDERLY_LOG_LEVEL_WARN,
                "Run %" G_GINT64_FORMAT " cancelled after %" G_GINT64_FORMAT " processed orders",
                self->record.id, self->vip_processed + self->normal_processed);
      break;
    case ORDERLY_PHASE_ERROR:
      log_line (self, ORDERLY_LOG_LEVEL_ERROR, "Run %" G_GINT64_FORMAT " failed: %s",
                self->record.id, self->record.error_message ? self->record.error_message : "unknown error");
      break;
    default:
      log_line (self, ORDERLY_LOG_LEVEL_WARN,
                "Run %" G_GINT64_FORMAT " suspended at %s with %" G_GINT64_FORMAT
                " processed orders; resume it after the restart", self->record.id,
                orderly_phase_to_string (phase), self->vip_processed + self->normal_processed);
      break;
    }
  g_atomic_int_set (&self->finished, 1);
}

static gpointer
runner_main (gpointer data)
{
  OrderlyRunner *self = data;
  g_autoptr(GError) error = NULL;
  gint64 generation_start;

  lower_thread_priority ();
  if (self->resume)
    log_line (self, ORDERLY_LOG_LEVEL_LOG, "Resuming run %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT
              " of %" G_GINT64_FORMAT " orders generated, %" G_GINT64_FORMAT " processed",
              self->record.id, self->generated, self->record.quantity,
              self->vip_processed + self->normal_processed);
  else
    log_line (self, ORDERLY_LOG_LEVEL_LOG, "Run %" G_GINT64_FORMAT ": generating %" G_GINT64_FORMAT
              " orders (%.1f%% VIP, seed %" G_GUINT64_FORMAT ", %u workers)",
              self->record.id, self->record.quantity, self->record.vip_share * 100,
              self->record.seed, self->record.workers);

  if (!enter_phase (self, ORDERLY_PHASE_GENERATING, &error))
    goto failed;
  if (!self->resume && !orderly_store_clear_orders (self->store, NULL, &error))
    goto failed;
  generation_start = now_mono ();
  self->phase_base_ms = self->record.generation_ms;
  if (!generate (self, &error))
    goto failed;
  g_mutex_lock (&self->lock);
  self->record.generation_ms += ms_since (generation_start);
  g_mutex_unlock (&self->lock);
  if (is_cancelled (self))
    goto cancelled;
  log_line (self, ORDERLY_LOG_LEVEL_LOG, "Generated %" G_GINT64_FORMAT " orders (%" G_GINT64_FORMAT
            " VIP, %" G_GINT64_FORMAT " NORMAL) in %.1f ms", self->generated, self->vip_total,
            self->normal_total, self->record.generation_ms);

  if (!process_priority (self, ORDERLY_PRIORITY_VIP, &error))
    goto failed;
  if (is_cancelled (self))
    goto cancelled;
  if (!process_priority (self, ORDERLY_PRIORITY_NORMAL, &error))
    goto failed;
  if (is_cancelled (self))
    goto cancelled;

  finish (self, ORDERLY_PHASE_DONE, NULL);
  return NULL;

cancelled:
  if (g_atomic_int_get (&self->suspended))
    finish (self, self->record.phase, NULL);
  else
    finish (self, ORDERLY_PHASE_ABORTED, NULL);
  return NULL;

failed:
  finish (self, ORDERLY_PHASE_ERROR, error);
  return NULL;
}

/**
 * orderly_runner_start:
 * @record: the run; for a new run its row must exist (id set)
 * @resume_counts: (nullable): for a resumed run, what the store holds already
 *
 * Starts the run's coordinating thread.
 */
OrderlyRunner *
orderly_runner_start (OrderlyStore              *store,
                      OrderlyLogQueue           *logs,
                      const OrderlyRunRecord    *record,
                      const OrderlyOrderCounts  *resume_counts,
                      gint64                     work_us,
                      GError                   **error)
{
  OrderlyRunner *self;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (record != NULL && record->id > 0, NULL);

  self = g_new0 (OrderlyRunner, 1);
  self->store = orderly_store_ref (store);
  self->logs = logs;
  self->work_us = MAX (work_us, 0);
  g_mutex_init (&self->lock);
  g_cond_init (&self->turn_cond);
  self->record = *record;
  self->record.error_message = NULL;
  self->run_start_mono = now_mono ();

  if (resume_counts != NULL)
    {
      self->resume = TRUE;
      self->generated = resume_counts->vip_total + resume_counts->normal_total;
      self->vip_total = resume_counts->vip_total;
      self->normal_total = resume_counts->normal_total;
      self->vip_processed = resume_counts->vip_processed;
      self->normal_processed = resume_counts->normal_processed;
      self->total_base_ms = record->total_ms;
    }
  else
    {
      self->vip_ids = g_array_sized_new (FALSE, FALSE, sizeof (gint64),
                                         (guint) (record->quantity * record->vip_share * 1.1) + 16);
      self->normal_ids = g_array_sized_new (FALSE, FALSE, sizeof (gint64),
                                            (guint) record->quantity + 16);
    }

  self->thread = g_thread_try_new ("orderly-run", runner_main, self, error);
  if (self->thread == NULL)
    {
      orderly_runner_free (self);
      return NULL;
    }
  return self;
}

void
orderly_runner_cancel (OrderlyRunner *self)
{
  g_atomic_int_set (&self->cancelled, 1);
}

/**
 * orderly_runner_suspend:
 *
 * Stops the run like a cancel, but leaves it in its phase so that it is found
 * interrupted, and can be resumed, the next time the store is opened.
 */
void
orderly_runner_suspend (OrderlyRunner *self)
{
  g_atomic_int_set (&self->suspended, 1);
  g_atomic_int_set (&self->cancelled, 1);
}

gboolean
orderly_runner_is_finished (OrderlyRunner *self)
{
  return g_atomic_int_get (&self->finished) != 0;
}

void
orderly_runner_join (OrderlyRunner *self)
{
  if (self->thread != NULL)
    g_thread_join (g_steal_pointer (&self->thread));
}

void
orderly_runner_free (OrderlyRunner *self)
{
  if (self == NULL)
    return;
  orderly_runner_cancel (self);
  orderly_runner_join (self);
  g_clear_pointer (&self->queue, g_array_unref);
  g_clear_pointer (&self->vip_ids, g_array_unref);
  g_clear_pointer (&self->normal_ids, g_array_unref);
  orderly_run_record_clear (&self->record);
  orderly_store_unref (self->store);
  g_cond_clear (&self->turn_cond);
  g_mutex_clear (&self->lock);
  g_free (self);
}

/**
 * orderly_runner_snapshot:
 *
 * Copies the run's state as of now; durations of the phase under way include
 * the time spent so far. Free with orderly_run_record_clear (&snapshot->record).
 */
void
orderly_runner_snapshot (OrderlyRunner         *self,
                         OrderlyRunnerSnapshot *snapshot)
{
  double running_ms;

  g_mutex_lock (&self->lock);
  fill_counts_locked (self);
  snapshot->record = self->record;
  snapshot->record.error_message = g_strdup (self->record.error_message);
  snapshot->generated = self->generated;
  snapshot->vip_total = self->vip_total;
  snapshot->normal_total = self->normal_total;
  snapshot->vip_processed = self->vip_processed;
  snapshot->normal_processed = self->normal_processed;
  snapshot->elapsed_us = now_mono () - self->run_start_mono;
  snapshot->queue_waiting = self->queue != NULL ? (gint64) self->queue->len - self->queue_done : 0;
  snapshot->active_workers = g_atomic_int_get (&self->active_workers);

  if (!g_atomic_int_get (&self->finished))
    {
      running_ms = self->phase_base_ms + ms_since (self->phase_start_mono);
      snapshot->record.total_ms = self->total_base_ms + snapshot->elapsed_us / 1000.0;
      switch (self->record.phase)
        {
        case ORDERLY_PHASE_GENERATING:
          snapshot->record.generation_ms = running_ms;
          break;
        case ORDERLY_PHASE_WAITING_VIP_DRAIN:
          snapshot->record.vip_ms = running_ms;
          break;
        case ORDERLY_PHASE_WAITING_NORMAL_DRAIN:
          snapshot->record.normal_ms = running_ms;
          break;
        default:
          break;
        }
    }
  g_mutex_unlock (&self->lock);
}
