/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-engine"

#include "config.h"

#include "orderly-engine-private.h"
#include "orderly-generator.h"
#include "orderly-text.h"

/*
 * The engine's queue controls and listings: a job of a job queue is an
 * order here. Every call that reads or writes the store does it on a
 * worker thread and answers on the engine's main context.
 */

/* What a worker thread needs to know about the current run. */
typedef struct _QueueWork
{
  OrderlyStore     *store;
  gint64            run_id;
  guint64           seed;
  double            vip_share;
  gboolean          open;
  gboolean          paused;
  OrderlyJobQuery   query;
  OrderlyJobState   state;
  gint64            grace_ms;
  gint64            limit;
  OrderlyRunRecord *record;
  /* For the operations that count what they did. */
  gboolean        (*op) (struct _QueueWork *work,
                         gint64            *count,
                         GError           **error);
} QueueWork;

static void
queue_work_free (gpointer data)
{
  QueueWork *work = data;

  g_clear_object (&work->store);
  g_clear_pointer (&work->record, orderly_run_record_free);
  g_free (work);
}

static QueueWork *
queue_work_new (OrderlyEngine *self)
{
  QueueWork *work = g_new0 (QueueWork, 1);
  OrderlyRunRecord record;

  _orderly_engine_current_record (self, &record);
  work->store = g_object_ref (self->store);
  work->run_id = record.id;
  work->seed = record.seed;
  work->vip_share = record.vip_share;
  work->open = _orderly_engine_run_is_open (self);
  work->paused = self->paused || (self->runner == NULL && self->interrupted);
  orderly_run_record_clear (&record);
  return work;
}

/* Work on @run_id, or on the current run for 0. */
static QueueWork *
queue_work_for_run (OrderlyEngine *self,
                    gint64         run_id)
{
  QueueWork *work = queue_work_new (self);

  if (run_id > 0)
    work->run_id = run_id;
  return work;
}

/* A store operation's answer: a count and the queue's counts after it. */
typedef struct
{
  gint64             count;
  OrderlyOrderCounts counts;
} QueueResult;

static void
run_work (OrderlyEngine       *self,
          GTask               *task,
          QueueWork           *work,
          GTaskThreadFunc      thread_func,
          GAsyncReadyCallback  done)
{
  g_autoptr(GTask) inner = _orderly_engine_task_new (self, NULL, done, g_object_ref (task),
                                                     thread_func);

  g_task_set_task_data (inner, work, queue_work_free);
  g_task_run_in_thread (inner, thread_func);
}

/* Pauses or resumes the live run's workers, or the interrupted run's stored
 * state, and says so once. Returns whether anything changed. */
static gboolean
set_queue_paused (OrderlyEngine   *self,
                  gboolean         paused,
                  OrderlyLogLevel  level,
                  const char      *message)
{
  if (self->paused == paused)
    return FALSE;
  self->paused = paused;
  if (self->runner != NULL)
    orderly_runner_set_paused (self->runner, paused);
  else if (self->interrupted)
    {
      self->last_run.paused = paused;
      _orderly_engine_save_run_later (self, &self->last_run);
    }
  orderly_engine_log (self, level, "queue", NULL, "%s", message);
  _orderly_engine_notify_paused (self);
  orderly_engine_flush (self);
  return TRUE;
}

/**
 * orderly_engine_pause_queue:
 *
 * Pauses the queue: no worker claims orders any more (a worker holding some
 * stores what it did and gives the rest back, the order under way too
 * while its simulated cost is being paid), generation stops between
 * batches, the ETA stands still and the phase stays. The pause is stored
 * with the run: after a crash, the run resumes paused. With no run going,
 * the next one starts paused.
 *
 * Returns: whether the queue was running until now
 */
gboolean
orderly_engine_pause_queue (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), FALSE);

  return set_queue_paused (self, TRUE, ORDERLY_LOG_LEVEL_WARN,
                           "Queue paused: no order is claimed until it is resumed");
}

/**
 * orderly_engine_resume_queue:
 *
 * Resumes a paused queue: the workers go on from where they were.
 *
 * Returns: whether the queue was paused until now
 */
gboolean
orderly_engine_resume_queue (OrderlyEngine *self)
{
  g_return_val_if_fail (ORDERLY_IS_ENGINE (self), FALSE);

  return set_queue_paused (self, FALSE, ORDERLY_LOG_LEVEL_LOG,
                           "Queue resumed: orders are claimed again");
}

void
orderly_job_page_free (OrderlyJobPage *page)
{
  if (page == NULL)
    return;
  g_clear_pointer (&page->jobs, g_ptr_array_unref);
  g_free (page);
}

static void
list_jobs_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  QueueWork *work = task_data;
  g_autoptr(OrderlyJobPage) page = g_new0 (OrderlyJobPage, 1);
  const OrderlyJobQuery *query = &work->query;
  guint limit = (guint) (query->end - query->start + 1);
  OrderlyOrderCounts counts;
  GError *error = NULL;

  page->run_id = work->run_id;
  page->jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) orderly_job_free);
  if (work->run_id == 0)
    {
      g_task_return_pointer (task, g_steal_pointer (&page), (GDestroyNotify) orderly_job_page_free);
      return;
    }
  if (!orderly_store_count_orders (work->store, work->run_id, &counts, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  _orderly_engine_queue_counts_from (&counts, work->open, work->paused, &page->counts);

  for (guint i = 0; i < query->n_states; i++)
    {
      OrderlyJobState state = query->states[i];
      g_autoptr(GPtrArray) jobs = NULL;

      /* While the run does not go on, its waiting orders are paused ones;
       * once it has ended, its unsettled ones are no jobs at all. */
      if ((state == ORDERLY_JOB_STATE_PAUSED && !work->paused) ||
          (state == ORDERLY_JOB_STATE_WAITING && work->paused))
        continue;
      if (!work->open && state != ORDERLY_JOB_STATE_COMPLETED && state != ORDERLY_JOB_STATE_FAILED)
        continue;
      jobs = orderly_store_list_jobs (work->store, work->run_id,
                                      state == ORDERLY_JOB_STATE_PAUSED ? ORDERLY_JOB_STATE_WAITING : state,
                                      query->start, limit, query->with_data, &error);
      if (jobs == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      for (guint j = 0; j < jobs->len; j++)
        {
          OrderlyJob *job = g_ptr_array_index (jobs, j);

          job->state = state;
          if (job->has_data)
            job->tier = orderly_generate_tier (work->seed, job->id - 1, work->vip_share);
          g_ptr_array_add (page->jobs, job);
        }
      g_ptr_array_set_free_func (jobs, NULL);
    }
  g_task_return_pointer (task, g_steal_pointer (&page), (GDestroyNotify) orderly_job_page_free);
}

/**
 * orderly_engine_list_jobs_async:
 *
 * Lists the current run's orders as jobs: for each state of @query, in
 * order, the positions @query->start to @query->end of that state's list
 * (see orderly_store_list_jobs() for the order of each list), with the
 * totals of every state. Each page is an indexed query, whatever the size
 * of the run. A range longer than %ORDERLY_MAX_JOB_PAGE, or backwards, is
 * refused with %ORDERLY_ERROR_INVALID_ARGUMENT.
 */
void
orderly_engine_list_jobs_async (OrderlyEngine          *self,
                                const OrderlyJobQuery  *query,
                                GCancellable           *cancellable,
                                GAsyncReadyCallback     callback,
                                gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  QueueWork *work;

  g_return_if_fail (ORDERLY_IS_ENGINE (self));
  g_return_if_fail (query != NULL);

  task = _orderly_engine_task_new (self, cancellable, callback, user_data,
                                   orderly_engine_list_jobs_async);
  if (query->n_states == 0 || query->n_states > ORDERLY_N_JOB_STATES)
    {
      g_task_return_new_error (task, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                               "types must name between 1 and %d job states", ORDERLY_N_JOB_STATES);
      return;
    }
  for (guint i = 0; i < query->n_states; i++)
    {
      if ((guint) query->states[i] >= ORDERLY_N_JOB_STATES)
        {
          g_task_return_new_error (task, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                                   "Unknown job state %d", query->states[i]);
          return;
        }
    }
  if (query->start < 0 || query->end < query->start ||
      query->end - query->start >= ORDERLY_MAX_JOB_PAGE)
    {
      g_task_return_new_error (task, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                               "start and end must be positions from 0, start <= end, "
                               "at most %d apart", ORDERLY_MAX_JOB_PAGE - 1);
      return;
    }

  work = queue_work_new (self);
  work->query = *query;
  g_task_set_task_data (task, work, queue_work_free);
  g_task_run_in_thread (task, list_jobs_thread);
}

/**
 * orderly_engine_list_jobs_finish:
 *
 * Returns: (transfer full): the page, or %NULL with @error set
 */
OrderlyJobPage *
orderly_engine_list_jobs_finish (OrderlyEngine  *self,
                                 GAsyncResult   *result,
                                 GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* On the worker thread: answers @count with the counts after it. */
static void
return_count (GTask  *task,
              gint64  count)
{
  QueueResult *result = g_new0 (QueueResult, 1);
  QueueWork *data = g_task_get_task_data (task);
  GError *error = NULL;

  result->count = count;
  if (!orderly_store_count_orders (data->store, data->run_id, &result->counts, &error))
    {
      g_free (result);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, result, g_free);
}

/* On a worker thread: runs the work's operation, if there is a run. */
static void
count_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  QueueWork *work = task_data;
  gint64 count = 0;
  GError *error = NULL;

  if (work->run_id > 0 && !work->op (work, &count, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  return_count (task, count);
}

/* Runs @op on a worker thread; @done gets its count, and @task. */
static void
run_count (OrderlyEngine       *self,
           GTask               *task,
           QueueWork           *work,
           gboolean           (*op) (QueueWork *, gint64 *, GError **),
           GAsyncReadyCallback  done)
{
  work->op = op;
  run_work (self, task, work, count_thread, done);
}

/* Ends an operation that returns a count: the counts change at once. */
static QueueResult *
finish_count (OrderlyEngine  *self,
              GAsyncResult   *result,
              GTask          *task)
{
  QueueResult *answer = _orderly_engine_propagate_inner (result, task);

  if (answer == NULL)
    return NULL;
  _orderly_engine_set_counts (self, &answer->counts);
  return answer;
}

static gint64
propagate_count (OrderlyEngine  *self,
                 GAsyncResult   *result,
                 GError        **error)
{
  GError *local_error = NULL;
  gssize count;

  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  count = g_task_propagate_int (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return -1;
    }
  return count;
}

static gboolean
clean_op (QueueWork  *work,
          gint64     *removed,
          GError    **error)
{
  return orderly_store_clean (work->store, work->run_id, work->state,
                              g_get_real_time () - work->grace_ms * 1000, work->limit, removed, error);
}

static void
clean_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  OrderlyEngine *self = ORDERLY_ENGINE (object);
  g_autoptr(GTask) task = user_data;
  QueueWork *work = g_task_get_task_data (G_TASK (result));
  g_autofree QueueResult *answer = finish_count (self, result, task);

  if (answer == NULL)
    return;
  if (answer->count > 0)
    {
      g_autofree char *count = orderly_text_count (answer->count);

      orderly_engine_log (self, ORDERLY_LOG_LEVEL_LOG, "queue", NULL,
                          "Clean removed %s %s orders of run %" G_GINT64_FORMAT " from the store",
                          count, work->state == ORDERLY_JOB_STATE_FAILED ? "failed" : "processed",
                          work->run_id);
    }
  g_task_return_int (task, answer->count);
}

/**
 * orderly_engine_clean_async:
 * @state: %ORDERLY_JOB_STATE_COMPLETED or %ORDERLY_JOB_STATE_FAILED
 * @grace_ms: only orders that settled at least this long ago
 * @limit: at most this many orders, at least 1
 *
 * Clean: deletes orders of the current run that are done with, processed
 * or failed for good, from the store, oldest first. They stay counted in
 * the run's figures (processed, failed) but no longer appear in listings.
 * Waiting, active, delayed and paused orders are work still to do and are
 * never cleaned: that is refused with %ORDERLY_ERROR_INVALID_ARGUMENT (to
 * drop waiting work, see orderly_engine_purge_async()).
 */
void
orderly_engine_clean_async (OrderlyEngine       *self,
                            OrderlyJobState      state,
                            gint64               grace_ms,
                            gint64               limit,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  QueueWork *work;

  g_return_if_fail (ORDERLY_IS_ENGINE (self));

  task = _orderly_engine_task_new (self, cancellable, callback, user_data,
                                   orderly_engine_clean_async);
  if (state != ORDERLY_JOB_STATE_COMPLETED && state != ORDERLY_JOB_STATE_FAILED)
    {
      g_task_return_new_error (task, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                               "Only completed and failed orders can be cleaned: %s orders are "
                               "work still to do (purge drops waiting work)",
                               (guint) state < ORDERLY_N_JOB_STATES ? orderly_job_state_to_string (state)
                                                                    : "such");
      return;
    }
  if (grace_ms < 0 || limit < 1)
    {
      g_task_return_new_error (task, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                               "grace must be 0 or more milliseconds and limit 1 or more orders");
      return;
    }
  work = queue_work_new (self);
  work->state = state;
  work->grace_ms = grace_ms;
  work->limit = limit;
  run_count (self, task, work, clean_op, clean_done_cb);
}

/**
 * orderly_engine_clean_finish:
 *
 * Returns: how many orders were removed, or -1 with @error set
 */
gint64
orderly_engine_clean_finish (OrderlyEngine  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  return propagate_count (self, result, error);
}

static gboolean
clear_orders_op (QueueWork  *work,
                 gint64     *deleted,
                 GError    **error)
{
  return orderly_store_clear_orders (work->store, deleted, error);
}

static void
purge_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  OrderlyEngine *self = ORDERLY_ENGINE (object);
  g_autoptr(GTask) task = user_data;
  OrderlyPurgeInfo *info = g_task_get_task_data (task);
  g_autofree QueueResult *answer = finish_count (self, result, task);
  g_autofree char *count = NULL;

  if (answer == NULL)
    return;
  info->deleted_orders = answer->count;
  count = orderly_text_count (answer->count);
  orderly_engine_log (self, ORDERLY_LOG_LEVEL_WARN, "queue", NULL,
                      "Purge deleted the %s stored orders", count);
  g_task_return_pointer (task, g_memdup2 (info, sizeof *info), g_free);
}

static void
purge_stopped (OrderlyEngine *self,
               GTask         *task)
{
  OrderlyPurgeInfo *info = g_task_get_task_data (task);
  gboolean obliterate = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (task), "obliterate"));
  gboolean had_work = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (task), "had-work"));

  /* Only the work of a run that was going, or could go on, is dropped. */
  if (had_work && self->has_last_run && self->last_run.id == info->run_id)
    {
      for (guint p = 0; p < 2; p++)
        {
          const OrderlyPriorityCounts *c = &self->last_counts.priority[p];

          info->dropped += c->waiting + c->active + c->delayed;
        }
    }
  /* An interrupted run is resumable work: purged, it is not any more. */
  if (self->interrupted)
    {
      self->interrupted = FALSE;
      self->last_run.phase = ORDERLY_PHASE_ABORTED;
      self->last_run.finished_at_us = g_get_real_time ();
      _orderly_engine_save_run_later (self, &self->last_run);
      orderly_run_list_update (self->run_list, &self->last_run);
      orderly_engine_flush (self);
    }
  if (info->dropped > 0)
    {
      g_autofree char *count = orderly_text_count (info->dropped);

      orderly_engine_log (self, ORDERLY_LOG_LEVEL_WARN, "queue", NULL,
                          "Purge dropped the %s orders run %" G_GINT64_FORMAT " still had to do: "
                          "they will not be processed", count, info->run_id);
    }
  if (obliterate)
    {
      run_count (self, task, queue_work_new (self), clear_orders_op, purge_done_cb);
      return;
    }
  g_task_return_pointer (task, g_memdup2 (info, sizeof *info), g_free);
}

/**
 * orderly_engine_purge_async:
 * @obliterate: also delete every stored order (the runs' history stays)
 *
 * Purge: empties the queue of its waiting work. A run in progress is
 * cancelled (it ends ABORTED) and an interrupted one is closed as aborted,
 * so that no order still waiting, delayed or paused is processed; what was
 * processed stays. With @obliterate the stored orders are deleted as well.
 */
void
orderly_engine_purge_async (OrderlyEngine       *self,
                            gboolean             obliterate,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  OrderlyPurgeInfo *info;

  g_return_if_fail (ORDERLY_IS_ENGINE (self));

  task = _orderly_engine_task_new (self, cancellable, callback, user_data,
                                   orderly_engine_purge_async);
  info = g_new0 (OrderlyPurgeInfo, 1);
  info->run_id = _orderly_engine_current_run_id (self);
  g_task_set_task_data (task, info, g_free);
  g_object_set_data (G_OBJECT (task), "obliterate", GINT_TO_POINTER (obliterate));
  g_object_set_data (G_OBJECT (task), "had-work",
                     GINT_TO_POINTER (orderly_engine_is_running (self) || self->interrupted));
  if (orderly_engine_is_running (self))
    orderly_engine_log (self, ORDERLY_LOG_LEVEL_WARN, "queue", NULL,
                        "Purge is cancelling run %" G_GINT64_FORMAT, info->run_id);
  _orderly_engine_when_stopped (self, FALSE, task, purge_stopped);
}

/**
 * orderly_engine_purge_finish:
 * @info: (out caller-allocates) (optional): what was dropped and deleted
 */
gboolean
orderly_engine_purge_finish (OrderlyEngine     *self,
                             GAsyncResult      *result,
                             OrderlyPurgeInfo  *info,
                             GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return _orderly_engine_propagate_struct (result, info, sizeof *info, error);
}

static void
close_stopped (OrderlyEngine *self,
               GTask         *task)
{
  gint64 run_id = GPOINTER_TO_SIZE (g_task_get_task_data (task));

  g_task_return_int (task, self->interrupted ? run_id : 0);
}

/**
 * orderly_engine_close_async:
 *
 * Close: this instance lets go of the queue as it does at a clean exit.
 * Its workers stop, every order they processed stays, the run is kept
 * (INTERRUPTED) and orderly_engine_resume_async() goes on with it. With no
 * run going there is nothing to let go of.
 */
void
orderly_engine_close_async (OrderlyEngine       *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  gint64 run_id;

  g_return_if_fail (ORDERLY_IS_ENGINE (self));

  task = _orderly_engine_task_new (self, cancellable, callback, user_data,
                                   orderly_engine_close_async);
  run_id = orderly_engine_is_running (self) ? _orderly_engine_current_run_id (self) : 0;
  g_task_set_task_data (task, GSIZE_TO_POINTER (run_id), NULL);
  if (run_id > 0)
    orderly_engine_log (self, ORDERLY_LOG_LEVEL_WARN, "queue", NULL,
                        "Closing the queue: run %" G_GINT64_FORMAT " stops here; resume it to go on",
                        run_id);
  _orderly_engine_when_stopped (self, TRUE, task, close_stopped);
}

/**
 * orderly_engine_close_finish:
 * @run_id: (out) (optional): the run let go of, 0 if none was going
 */
gboolean
orderly_engine_close_finish (OrderlyEngine  *self,
                             GAsyncResult   *result,
                             gint64         *run_id,
                             GError        **error)
{
  gint64 id = propagate_count (self, result, error);

  if (id < 0)
    return FALSE;
  if (run_id != NULL)
    *run_id = id;
  return TRUE;
}

static gboolean
retry_failed_op (QueueWork  *work,
                 gint64     *requeued,
                 GError    **error)
{
  return orderly_store_retry_failed (work->store, work->run_id, work->limit, requeued, error);
}

static void
retry_failed_done_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  OrderlyEngine *self = ORDERLY_ENGINE (object);
  g_autoptr(GTask) task = user_data;
  g_autofree QueueResult *answer = finish_count (self, result, task);

  if (answer == NULL)
    return;
  if (answer->count > 0)
    {
      g_autofree char *count = orderly_text_count (answer->count);

      orderly_engine_log (self, ORDERLY_LOG_LEVEL_LOG, "queue", NULL,
                          "%s failed orders are back in the queue for another try", count);
      /* A run that was done goes on until they are settled too. */
      if (self->runner == NULL && self->has_last_run && self->last_run.phase == ORDERLY_PHASE_DONE &&
          self->busy == NULL)
        {
          g_autoptr(GError) error = NULL;

          if (!_orderly_engine_start_runner (self, &self->last_run, TRUE, NULL, &error))
            g_warning ("Run %" G_GINT64_FORMAT " could not go on: %s", self->last_run.id,
                       error->message);
        }
    }
  g_task_return_int (task, answer->count);
}

/**
 * orderly_engine_retry_failed_async:
 * @max_orders: at most this many; 0 for all
 *
 * Puts the current run's orders that failed for good back in the queue,
 * VIP ones first, each with a fresh set of attempts, and has them
 * processed: by the run in progress (VIP ones before any further NORMAL
 * one), on resume for an interrupted run, or by the run going on again if
 * it was done. A cancelled or failed run does not go on: retrying its
 * orders is refused with %ORDERLY_ERROR_NOTHING_TO_RESUME.
 */
void
orderly_engine_retry_failed_async (OrderlyEngine       *self,
                                   gint64               max_orders,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  QueueWork *work;

  g_return_if_fail (ORDERLY_IS_ENGINE (self));

  task = _orderly_engine_task_new (self, cancellable, callback, user_data,
                                   orderly_engine_retry_failed_async);
  if (max_orders < 0)
    {
      g_task_return_new_error (task, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                               "The number of orders to retry cannot be negative");
      return;
    }
  if (self->runner == NULL && self->has_last_run && !self->interrupted &&
      (self->last_run.phase == ORDERLY_PHASE_ABORTED || self->last_run.phase == ORDERLY_PHASE_ERROR))
    {
      g_task_return_new_error (task, ORDERLY_ERROR, ORDERLY_ERROR_NOTHING_TO_RESUME,
                               "Run %" G_GINT64_FORMAT " ended %s: nothing would process its failed "
                               "orders again; start a new run", self->last_run.id,
                               orderly_phase_to_string (self->last_run.phase));
      return;
    }
  work = queue_work_new (self);
  work->limit = max_orders;
  run_count (self, task, work, retry_failed_op, retry_failed_done_cb);
}

/**
 * orderly_engine_retry_failed_finish:
 *
 * Returns: how many failed orders went back to the queue, or -1 with
 *   @error set
 */
gint64
orderly_engine_retry_failed_finish (OrderlyEngine  *self,
                                    GAsyncResult   *result,
                                    GError        **error)
{
  return propagate_count (self, result, error);
}

static gboolean
recover_stuck_op (QueueWork  *work,
                  gint64     *released,
                  GError    **error)
{
  return orderly_store_release_claims (work->store, work->run_id, TRUE, work->limit, released, error);
}

static void
recover_stuck_done_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  OrderlyEngine *self = ORDERLY_ENGINE (object);
  g_autoptr(GTask) task = user_data;
  g_autofree QueueResult *answer = finish_count (self, result, task);

  if (answer == NULL)
    return;
  if (answer->count > 0)
    {
      g_autofree char *count = orderly_text_count (answer->count);

      orderly_engine_log (self, ORDERLY_LOG_LEVEL_WARN, "queue", NULL,
                          "Recovered %s claimed orders whose lease had run out", count);
    }
  g_task_return_int (task, answer->count);
}

/**
 * orderly_engine_recover_stuck_async:
 * @max_orders: stop after claims holding this many orders; 0 for no limit
 *
 * Puts back in the queue the orders of claims whose lease ran out (their
 * worker hung or its instance died): another worker takes them, and a late
 * result from the old one is refused.
 */
void
orderly_engine_recover_stuck_async (OrderlyEngine       *self,
                                    gint64               max_orders,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  QueueWork *work;

  g_return_if_fail (ORDERLY_IS_ENGINE (self));

  task = _orderly_engine_task_new (self, cancellable, callback, user_data,
                                   orderly_engine_recover_stuck_async);
  if (max_orders < 0)
    {
      g_task_return_new_error (task, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                               "maxJobs cannot be negative");
      return;
    }
  work = queue_work_new (self);
  work->limit = max_orders;
  run_count (self, task, work, recover_stuck_op, recover_stuck_done_cb);
}

/**
 * orderly_engine_recover_stuck_finish:
 *
 * Returns: how many orders went back to the queue, or -1 with @error set
 */
gint64
orderly_engine_recover_stuck_finish (OrderlyEngine  *self,
                                     GAsyncResult   *result,
                                     GError        **error)
{
  return propagate_count (self, result, error);
}

void
orderly_priority_proof_free (OrderlyPriorityProof *proof)
{
  if (proof == NULL)
    return;
  g_free (proof->check_message);
  g_free (proof);
}

static void
proof_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  QueueWork *work = task_data;
  g_autoptr(OrderlyPriorityProof) proof = g_new0 (OrderlyPriorityProof, 1);
  OrderlyWaitHistogram vip, normal;
  OrderlyOrderCounts counts;
  GError *error = NULL;

  proof->run_id = work->run_id;
  if (!orderly_store_count_orders (work->store, work->run_id, &counts, &error) ||
      !orderly_store_get_wait_histogram (work->store, work->run_id, ORDERLY_PRIORITY_VIP, &vip, &error) ||
      !orderly_store_get_wait_histogram (work->store, work->run_id, ORDERLY_PRIORITY_NORMAL, &normal,
                                         &error))
    {
      g_task_return_error (task, error);
      return;
    }
  proof->vip_wait_p50_us = orderly_wait_histogram_quantile (&vip, 0.5);
  proof->vip_wait_p95_us = orderly_wait_histogram_quantile (&vip, 0.95);
  proof->normal_wait_p50_us = orderly_wait_histogram_quantile (&normal, 0.5);
  proof->normal_wait_p95_us = orderly_wait_histogram_quantile (&normal, 0.95);
  proof->vip_waits = vip.total;
  proof->normal_waits = normal.total;
  proof->vip_last_settled_us = counts.priority[ORDERLY_PRIORITY_VIP].last_settled_us;
  proof->normal_first_attempt_us = counts.priority[ORDERLY_PRIORITY_NORMAL].first_attempt_us;
  proof->vip_before_normal = proof->normal_first_attempt_us == 0 ||
                             proof->vip_last_settled_us <= proof->normal_first_attempt_us;
  for (guint p = 0; p < 2; p++)
    {
      const OrderlyPriorityCounts *c = &counts.priority[p];

      proof->generated += c->generated;
      proof->processed += ORDERLY_COUNTS_PROCESSED (c);
      proof->failed += ORDERLY_COUNTS_FAILED (c);
      proof->unsettled += ORDERLY_COUNTS_UNSETTLED (c);
    }
  g_task_return_pointer (task, g_steal_pointer (&proof), (GDestroyNotify) orderly_priority_proof_free);
}

static void
proof_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  OrderlyEngine *self = ORDERLY_ENGINE (object);
  g_autoptr(GTask) task = user_data;
  OrderlyPriorityProof *proof = _orderly_engine_propagate_inner (result, task);
  OrderlyRun *run;

  if (proof == NULL)
    return;
  run = orderly_run_list_find (self->run_list, proof->run_id);
  if (run != NULL)
    {
      proof->check_state = orderly_run_get_record (run)->check_state;
      proof->check_message = g_strdup (orderly_run_get_record (run)->check_message);
    }
  g_task_return_pointer (task, proof, (GDestroyNotify) orderly_priority_proof_free);
}

/**
 * orderly_engine_get_priority_proof_async:
 * @run_id: a run, or 0 for the current one
 *
 * How @run_id keeps its priority, computed from stored times: the median
 * and 95th percentile of the wait, from creation to processing, of its VIP
 * and of its NORMAL orders (from the wait histograms stored with each
 * batch of results), whether every NORMAL attempt came after the last VIP
 * order settled, and the run's full check (orderly_engine_check_run_async())
 * if it had one. Cheap enough to ask for live, during a run.
 */
void
orderly_engine_get_priority_proof_async (OrderlyEngine       *self,
                                         gint64               run_id,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  QueueWork *work;

  g_return_if_fail (ORDERLY_IS_ENGINE (self));

  task = _orderly_engine_task_new (self, cancellable, callback, user_data,
                                   orderly_engine_get_priority_proof_async);
  work = queue_work_for_run (self, run_id);
  run_work (self, task, work, proof_thread, proof_done_cb);
}

/**
 * orderly_engine_get_priority_proof_finish:
 *
 * Returns: (transfer full): the proof, or %NULL with @error set
 */
OrderlyPriorityProof *
orderly_engine_get_priority_proof_finish (OrderlyEngine  *self,
                                          GAsyncResult   *result,
                                          GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
check_free (gpointer data)
{
  OrderlyRunCheck *check = data;

  orderly_run_check_clear (check);
  g_free (check);
}

static void
check_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  QueueWork *work = task_data;
  OrderlyRunCheck *check = g_new0 (OrderlyRunCheck, 1);
  GError *error = NULL;

  if (!orderly_store_verify_run (work->store, work->run_id, check, &error))
    {
      check_free (check);
      g_task_return_error (task, error);
      return;
    }
  orderly_run_check_judge (check, work->record->phase == ORDERLY_PHASE_DONE);
  work->record->check_state = check->state;
  g_free (work->record->check_message);
  work->record->check_message = g_strdup (check->message);
  if (!work->paused && !orderly_store_save_run (work->store, work->record, &error))
    {
      check_free (check);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, check, check_free);
}

static void
check_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  OrderlyEngine *self = ORDERLY_ENGINE (object);
  g_autoptr(GTask) task = user_data;
  QueueWork *work = g_task_get_task_data (G_TASK (result));
  OrderlyRunCheck *check = _orderly_engine_propagate_inner (result, task);
  OrderlyRun *run;

  if (check == NULL)
    return;
  run = orderly_run_list_find (self->run_list, work->run_id);
  if (run != NULL && !work->paused)
    {
      g_autoptr(OrderlyRunRecord) record = orderly_run_record_copy (orderly_run_get_record (run));

      record->check_state = check->state;
      g_free (record->check_message);
      record->check_message = g_strdup (check->message);
      orderly_run_update (run, record);
    }
  if (self->has_last_run && self->last_run.id == work->run_id && !work->paused)
    {
      self->last_run.check_state = check->state;
      g_free (self->last_run.check_message);
      self->last_run.check_message = g_strdup (check->message);
    }
  if (check->state == ORDERLY_RUN_CHECK_FAILED)
    orderly_engine_log (self, ORDERLY_LOG_LEVEL_ERROR, "check", NULL, "Run %" G_GINT64_FORMAT
                        " check failed: %s", work->run_id, check->message);
  g_task_return_pointer (task, check, check_free);
}

/**
 * orderly_engine_check_run_async:
 * @run_id: a run, or 0 for the current one
 *
 * Checks @run_id's two rules on its stored rows (orderly_store_verify_run()):
 * each order processed exactly once, and no NORMAL order processed before
 * the last VIP one settled. The verdict is stored with the run (unless the
 * run is going on) and shown in the run list. The engine does this by
 * itself when a run ends; on a large run it reads every stored order once.
 */
void
orderly_engine_check_run_async (OrderlyEngine       *self,
                                gint64               run_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  QueueWork *work;
  OrderlyRun *run;

  g_return_if_fail (ORDERLY_IS_ENGINE (self));

  task = _orderly_engine_task_new (self, cancellable, callback, user_data,
                                   orderly_engine_check_run_async);
  work = queue_work_for_run (self, run_id);
  run = orderly_run_list_find (self->run_list, work->run_id);
  if (run == NULL)
    {
      queue_work_free (work);
      g_task_return_new_error (task, ORDERLY_ERROR, ORDERLY_ERROR_NOT_FOUND,
                               "There is no run %" G_GINT64_FORMAT, run_id);
      return;
    }
  work->record = orderly_run_record_copy (orderly_run_get_record (run));
  /* The row of a run in progress is its runner's to write. */
  work->paused = orderly_engine_is_running (self) && work->run_id == _orderly_engine_current_run_id (self);
  run_work (self, task, work, check_thread, check_done_cb);
}

/**
 * orderly_engine_check_run_finish:
 * @check: (out caller-allocates) (optional): the figures and the verdict;
 *   clear with orderly_run_check_clear()
 */
gboolean
orderly_engine_check_run_finish (OrderlyEngine    *self,
                                 GAsyncResult     *result,
                                 OrderlyRunCheck  *check,
                                 GError          **error)
{
  OrderlyRunCheck *done;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  done = g_task_propagate_pointer (G_TASK (result), error);
  if (done == NULL)
    return FALSE;
  if (check != NULL)
    {
      *check = *done;
      check->message = g_strdup (done->message);
    }
  check_free (done);
  return TRUE;
}

static void
samples_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  QueueWork *work = task_data;
  GError *error = NULL;
  GArray *samples = orderly_store_list_samples (work->store, work->run_id, &error);

  if (samples == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, samples, (GDestroyNotify) g_array_unref);
}

/**
 * orderly_engine_list_samples_async:
 * @run_id: a run, or 0 for the current one
 *
 * Reads @run_id's throughput series, stored with the run: one
 * #OrderlyRunSample about every second of its work.
 */
void
orderly_engine_list_samples_async (OrderlyEngine       *self,
                                   gint64               run_id,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  QueueWork *work;

  g_return_if_fail (ORDERLY_IS_ENGINE (self));

  task = _orderly_engine_task_new (self, cancellable, callback, user_data,
                                   orderly_engine_list_samples_async);
  work = queue_work_for_run (self, run_id);
  g_task_set_task_data (task, work, queue_work_free);
  g_task_run_in_thread (task, samples_thread);
}

/**
 * orderly_engine_list_samples_finish:
 *
 * Returns: (transfer full) (element-type OrderlyRunSample): the series,
 *   oldest first, or %NULL with @error set
 */
GArray *
orderly_engine_list_samples_finish (OrderlyEngine  *self,
                                    GAsyncResult   *result,
                                    GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
