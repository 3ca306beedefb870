/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-dispatcher"

#include "config.h"

#include "orderly-dispatcher-private.h"
#include "orderly-json.h"
#include "orderly-text.h"

/* The queue's controls and listings, as the Node system's /pedidos/queue/…
 * routes name them. A job of its job queue is an order here; what each
 * control means in Orderly is the engine's (orderly-engine.h). */

/* The states the Node system lets clean; only settled orders are cleaned
 * here, the others are work still to do. */
#define CLEANABLE_STATES "completed|wait|failed|delayed|waiting-children|paused"

static void
set_run_id (JsonObject *object,
            gint64      run_id)
{
  if (run_id > 0)
    json_object_set_int_member (object, "runId", run_id);
  else
    json_object_set_null_member (object, "runId");
}

/* A job state as a job queue's client names it; `wait` is BullMQ's other
 * name for waiting. */
static gboolean
parse_state (const char      *name,
             OrderlyJobState *state)
{
  if (g_strcmp0 (name, "wait") == 0)
    name = "waiting";
  return orderly_job_state_from_string (name, state);
}

static JsonNode *
command_pause_queue (OrderlyDispatcher  *self,
                     JsonObject         *arguments,
                     guint              *status_code,
                     GError            **error)
{
  JsonObject *object = json_object_new ();

  json_object_set_boolean_member (object, "changed", orderly_engine_pause_queue (self->engine));
  json_object_set_boolean_member (object, "paused", TRUE);
  return _orderly_dispatcher_take_object (object);
}

static JsonNode *
command_resume_queue (OrderlyDispatcher  *self,
                      JsonObject         *arguments,
                      guint              *status_code,
                      GError            **error)
{
  JsonObject *object = json_object_new ();

  json_object_set_boolean_member (object, "changed", orderly_engine_resume_queue (self->engine));
  json_object_set_boolean_member (object, "resumed", TRUE);
  return _orderly_dispatcher_take_object (object);
}

static JsonNode *
state_refusal (const char *state,
               const char *message)
{
  JsonObject *object = json_object_new ();

  json_object_set_int_member (object, "removed", 0);
  json_object_set_string_member (object, "state", state);
  json_object_set_string_member (object, "error", message);
  return _orderly_dispatcher_take_object (object);
}

static void
cleaned_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  JsonObject *answer;
  GError *error = NULL;
  gint64 removed;

  removed = orderly_engine_clean_finish (ORDERLY_ENGINE (object), result, &error);
  if (removed < 0)
    {
      _orderly_dispatcher_return_error (task, error);
      return;
    }
  answer = json_object_new ();
  json_object_set_int_member (answer, "removed", removed);
  json_object_set_string_member (answer, "state", g_task_get_task_data (task));
  _orderly_dispatcher_return_answer (task, _orderly_dispatcher_take_object (answer), 200);
}

/* clean: only settled orders (completed, failed) are deleted. The other
 * states the Node system accepted, and any other one, are answered as it
 * answered a state it did not know: 2xx with an `error` member, which its
 * front end shows. */
static void
command_clean_queue (OrderlyDispatcher   *self,
                     JsonObject          *arguments,
                     GTask             *task)
{
  const char *name = "completed";
  OrderlyJobState state;
  gint64 grace_ms, limit;
  GError *error = NULL;

  if (arguments != NULL && json_object_has_member (arguments, "state"))
    name = json_object_get_string_member_with_default (arguments, "state", "");
  if (!_orderly_dispatcher_get_int_argument (arguments, "grace", 0, 0, G_MAXINT64 / 1000, &grace_ms, &error) ||
      !_orderly_dispatcher_get_int_argument (arguments, "limit", 1000, 1, G_MAXINT32, &limit, &error))
    {
      _orderly_dispatcher_return_error (task, error);
      return;
    }

  if (!g_strv_contains ((const char * const[]) { "completed", "wait", "failed", "delayed", "waiting-children",
                                                 "paused", NULL }, name))
    {
      _orderly_dispatcher_return_answer (task,
                                     state_refusal (name, "state inválido; use: " CLEANABLE_STATES), 200);
      return;
    }
  if (!parse_state (name, &state) ||
      (state != ORDERLY_JOB_STATE_COMPLETED && state != ORDERLY_JOB_STATE_FAILED))
    {
      g_autofree char *message = g_strdup_printf ("Orders %s are work still to do and are not cleaned; "
                                                  "only completed and failed ones are (purge drops "
                                                  "waiting work)", name);

      _orderly_dispatcher_return_answer (task, state_refusal (name, message), 200);
      return;
    }

  g_task_set_task_data (task, g_strdup (name), g_free);
  orderly_engine_clean_async (self->engine, state, grace_ms, limit, NULL, cleaned_cb, task);
}

static void
purged_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = user_data;
  OrderlyPurgeInfo info = { 0 };
  JsonObject *answer;
  GError *error = NULL;

  if (!orderly_engine_purge_finish (ORDERLY_ENGINE (object), result, &info, &error))
    {
      _orderly_dispatcher_return_error (task, error);
      return;
    }
  answer = json_object_new ();
  json_object_set_boolean_member (answer, "purged", TRUE);
  json_object_set_boolean_member (answer, "obliterate",
                                  GPOINTER_TO_INT (g_task_get_task_data (task)));
  set_run_id (answer, info.run_id);
  json_object_set_int_member (answer, "dropped", info.dropped);
  json_object_set_int_member (answer, "deletedOrders", info.deleted_orders);
  _orderly_dispatcher_return_answer (task, _orderly_dispatcher_take_object (answer), 200);
}

static void
command_purge_queue (OrderlyDispatcher   *self,
                     JsonObject          *arguments,
                     GTask             *task)
{
  gboolean obliterate;
  GError *error = NULL;

  if (!_orderly_dispatcher_get_boolean_argument (arguments, "obliterate", FALSE, &obliterate, &error))
    {
      _orderly_dispatcher_return_error (task, error);
      return;
    }
  g_task_set_task_data (task, GINT_TO_POINTER (obliterate), NULL);
  orderly_engine_purge_async (self->engine, obliterate, NULL, purged_cb, task);
}

static void
closed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = user_data;
  JsonObject *answer;
  GError *error = NULL;
  gint64 run_id = 0;

  if (!orderly_engine_close_finish (ORDERLY_ENGINE (object), result, &run_id, &error))
    {
      _orderly_dispatcher_return_error (task, error);
      return;
    }
  answer = json_object_new ();
  json_object_set_boolean_member (answer, "closed", TRUE);
  set_run_id (answer, run_id);
  _orderly_dispatcher_return_answer (task, _orderly_dispatcher_take_object (answer), 200);
}

static void
command_close_queue (OrderlyDispatcher   *self,
                     JsonObject          *arguments,
                     GTask             *task)
{
  orderly_engine_close_async (self->engine, NULL, closed_cb, task);
}

static void
retried_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  JsonObject *answer;
  GError *error = NULL;
  gint64 retried;

  retried = orderly_engine_retry_failed_finish (ORDERLY_ENGINE (object), result, &error);
  if (retried < 0)
    {
      _orderly_dispatcher_return_error (task, error);
      return;
    }
  answer = json_object_new ();
  json_object_set_int_member (answer, "retried", retried);
  _orderly_dispatcher_return_answer (task, _orderly_dispatcher_take_object (answer), 200);
}

/* Every failed order of the run goes back, not the first 1,001 jobs. */
static void
command_retry_failed (OrderlyDispatcher   *self,
                      JsonObject          *arguments,
                      GTask             *task)
{
  orderly_engine_retry_failed_async (self->engine, 0, NULL, retried_cb, task);
}

static void
recovered_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  g_autofree char *message = NULL;
  g_autofree char *count = NULL;
  JsonObject *answer;
  GError *error = NULL;
  gint64 recovered;

  recovered = orderly_engine_recover_stuck_finish (ORDERLY_ENGINE (object), result, &error);
  if (recovered < 0)
    {
      _orderly_dispatcher_return_error (task, error);
      return;
    }
  count = orderly_text_count (recovered);
  message = g_strdup_printf ("Recovered %s orders whose claims had expired", count);
  answer = json_object_new ();
  json_object_set_int_member (answer, "recovered", recovered);
  json_object_set_string_member (answer, "message", message);
  _orderly_dispatcher_return_answer (task, _orderly_dispatcher_take_object (answer), 200);
}

static void
command_recover_stuck (OrderlyDispatcher   *self,
                       JsonObject          *arguments,
                       GTask             *task)
{
  gint64 max_jobs;
  GError *error = NULL;

  if (!_orderly_dispatcher_get_int_argument (arguments, "maxJobs", 100, 1, G_MAXINT32, &max_jobs, &error))
    {
      _orderly_dispatcher_return_error (task, error);
      return;
    }
  orderly_engine_recover_stuck_async (self->engine, max_jobs, NULL, recovered_cb, task);
}

/* `types` (a comma-separated list), `start` and `end` (inclusive) and
 * `includeData`, as a job queue's listing takes them. */
static gboolean
parse_job_query (JsonObject       *arguments,
                 OrderlyJobQuery  *query,
                 GError          **error)
{
  const char *types = "waiting";
  g_auto(GStrv) names = NULL;

  if (arguments != NULL && json_object_has_member (arguments, "types"))
    types = json_object_get_string_member_with_default (arguments, "types", "");
  if (!_orderly_dispatcher_get_int_argument (arguments, "start", 0, 0, G_MAXINT32, &query->start, error) ||
      !_orderly_dispatcher_get_int_argument (arguments, "end", 50, 0, G_MAXINT32, &query->end, error) ||
      !_orderly_dispatcher_get_boolean_argument (arguments, "includeData", TRUE, &query->with_data, error))
    return FALSE;

  names = g_strsplit (types, ",", -1);
  for (guint i = 0; names[i] != NULL; i++)
    {
      OrderlyJobState state;
      gboolean listed = FALSE;

      g_strstrip (names[i]);
      if (names[i][0] == '\0')
        continue;
      if (!parse_state (names[i], &state))
        {
          g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                       "Unknown job state “%s”; use waiting, active, completed, failed, delayed or paused",
                       names[i]);
          return FALSE;
        }
      for (guint j = 0; j < query->n_states; j++)
        listed |= query->states[j] == state;
      if (!listed)
        query->states[query->n_states++] = state;
    }
  if (query->n_states == 0)
    {
      g_set_error_literal (error, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                           "types must name at least one job state");
      return FALSE;
    }
  return TRUE;
}

static void
listed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = user_data;
  g_autoptr(OrderlyJobPage) page = NULL;
  GError *error = NULL;

  page = orderly_engine_list_jobs_finish (ORDERLY_ENGINE (object), result, &error);
  if (page == NULL)
    {
      _orderly_dispatcher_return_error (task, error);
      return;
    }
  _orderly_dispatcher_return_answer (task, orderly_json_job_page (page, g_task_get_task_data (task)),
                                 200);
}

static void
command_list_jobs (OrderlyDispatcher   *self,
                   JsonObject          *arguments,
                   GTask             *task)
{
  OrderlyJobQuery *query = g_new0 (OrderlyJobQuery, 1);
  GError *error = NULL;

  g_task_set_task_data (task, query, g_free);
  if (!parse_job_query (arguments, query, &error))
    {
      _orderly_dispatcher_return_error (task, error);
      return;
    }
  orderly_engine_list_jobs_async (self->engine, query, NULL, listed_cb, task);
}

static void
diagnosed_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  OrderlyDispatcher *self = g_task_get_source_object (task);
  const OrderlyStatusData *d = orderly_status_get_data (orderly_engine_get_status (self->engine));
  g_autoptr(OrderlyJobPage) page = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  JsonObject *answer;
  JsonArray *samples;
  GError *error = NULL;

  page = orderly_engine_list_jobs_finish (ORDERLY_ENGINE (object), result, &error);
  if (page == NULL)
    {
      _orderly_dispatcher_return_error (task, error);
      return;
    }

  samples = json_array_new ();
  for (guint i = 0; i < page->jobs->len; i++)
    {
      const OrderlyJob *job = g_ptr_array_index (page->jobs, i);
      g_autoptr(JsonNode) full = orderly_json_job (job);
      JsonObject *from = json_node_get_object (full);
      JsonObject *sample = json_object_new ();

      json_object_set_member (sample, "id", json_object_dup_member (from, "id"));
      json_object_set_member (sample, "name", json_object_dup_member (from, "name"));
      json_object_set_member (sample, "state", json_object_dup_member (from, "state"));
      json_object_set_member (sample, "attemptsMade", json_object_dup_member (from, "attemptsMade"));
      if (job->failed_reason != NULL)
        json_object_set_string_member (sample, "failedReason", job->failed_reason);
      json_object_set_member (sample, "finishedOn", json_object_dup_member (from, "finishedOn"));
      json_array_add_object_element (samples, sample);
    }

  answer = json_object_new ();
  json_object_set_string_member (answer, "memoryPhase", orderly_phase_to_string (d->phase));
  json_object_set_boolean_member (answer, "hasActiveGeneration", orderly_engine_is_running (self->engine));
  json_object_set_boolean_member (answer, "aborting", FALSE);
  runs = orderly_engine_list_runs (self->engine, 1, NULL);
  if (runs != NULL && runs->len > 0)
    json_object_set_member (answer, "persisted", orderly_json_run (runs->pdata[0]));
  else
    json_object_set_null_member (answer, "persisted");
  json_object_set_member (answer, "counts", orderly_json_queue_counts (&page->counts));
  json_object_set_array_member (answer, "sampleJobs", samples);
  _orderly_dispatcher_return_answer (task, _orderly_dispatcher_take_object (answer), 200);
}

/* GET /diagnostics/queue: the phase, the last run as stored, the counts and
 * the first jobs of each state, without their data. */
static void
command_get_queue_diagnostics (OrderlyDispatcher   *self,
                               JsonObject          *arguments,
                               GTask             *task)
{
  static const OrderlyJobState states[] = {
    ORDERLY_JOB_STATE_WAITING, ORDERLY_JOB_STATE_ACTIVE, ORDERLY_JOB_STATE_FAILED,
    ORDERLY_JOB_STATE_COMPLETED, ORDERLY_JOB_STATE_DELAYED,
  };
  OrderlyJobQuery query = { .start = 0, .end = 50, .with_data = FALSE };

  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    query.states[query.n_states++] = states[i];
  orderly_engine_list_jobs_async (self->engine, &query, NULL, diagnosed_cb, task);
}

/* A command is one function and one row here; a REST route for it is one
 * more row in orderly-rest.c. */
const OrderlyCommand _orderly_dispatcher_queue_commands[] = {
  { "pause-queue", ORDERLY_ROLE_OPERATOR, command_pause_queue },
  { "resume-queue", ORDERLY_ROLE_OPERATOR, command_resume_queue },
  { "clean-queue", ORDERLY_ROLE_OPERATOR, .async_func = command_clean_queue },
  { "purge-queue", ORDERLY_ROLE_OPERATOR, .async_func = command_purge_queue },
  { "close-queue", ORDERLY_ROLE_OPERATOR, .async_func = command_close_queue },
  { "retry-failed", ORDERLY_ROLE_OPERATOR, .async_func = command_retry_failed },
  { "recover-stuck", ORDERLY_ROLE_OPERATOR, .async_func = command_recover_stuck },
  { "list-jobs", ORDERLY_ROLE_VIEWER, .async_func = command_list_jobs },
  { "get-queue-diagnostics", ORDERLY_ROLE_VIEWER, .async_func = command_get_queue_diagnostics },
};

const guint _orderly_dispatcher_n_queue_commands = G_N_ELEMENTS (_orderly_dispatcher_queue_commands);
