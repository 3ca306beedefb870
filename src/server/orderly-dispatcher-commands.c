/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-dispatcher"

#include "config.h"

#include <math.h>

#include "orderly-dispatcher-private.h"
#include "orderly-integer.h"
#include "orderly-json.h"
#include "orderly-text.h"

/* The commands themselves: what each one reads from its arguments, asks of
 * the engine and answers. */

#define DEFAULT_RUNS      100
#define MAX_RUNS          1000

gboolean
_orderly_dispatcher_get_int_argument (JsonObject  *arguments,
                                      const char  *name,
                                      gint64       fallback,
                                      gint64       min,
                                      gint64       max,
                                      gint64      *value,
                                      GError     **error)
{
  JsonNode *node;
  double number;

  if (arguments == NULL || (node = json_object_get_member (arguments, name)) == NULL ||
      JSON_NODE_HOLDS_NULL (node))
    {
      *value = fallback;
      return TRUE;
    }

  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
    number = json_node_get_int (node);
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_DOUBLE)
    number = json_node_get_double (node);
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      gint64 parsed = 0;

      /* Digits only: no space, sign, hex or exponent. */
      number = orderly_integer_parse (json_node_get_string (node), &parsed) == ORDERLY_INTEGER_OK ? parsed : NAN;
    }
  else
    number = NAN;

  if (!isfinite (number) || number != floor (number) || number < min || number > max)
    {
      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                   "%s must be an integer between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT,
                   name, min, max);
      return FALSE;
    }
  *value = (gint64) number;
  return TRUE;
}

gboolean
_orderly_dispatcher_get_boolean_argument (JsonObject  *arguments,
                                          const char  *name,
                                          gboolean     fallback,
                                          gboolean    *value,
                                          GError     **error)
{
  JsonNode *node;

  if (arguments == NULL || (node = json_object_get_member (arguments, name)) == NULL ||
      JSON_NODE_HOLDS_NULL (node))
    {
      *value = fallback;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                   "%s must be true or false", name);
      return FALSE;
    }
  *value = json_node_get_boolean (node);
  return TRUE;
}

/* Returns: (transfer full): a node holding @object (taken) */
JsonNode *
_orderly_dispatcher_take_object (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, object);
  return node;
}

/* A time in microseconds since the epoch as ISO 8601, or null. */
void
_orderly_dispatcher_set_time (JsonObject *object,
                              const char *name,
                              gint64      time_us)
{
  g_autofree char *iso = orderly_json_iso8601 (time_us);

  if (iso != NULL)
    json_object_set_string_member (object, name, iso);
  else
    json_object_set_null_member (object, name);
}

/* A measure to three decimals: milliseconds to the microsecond, rates. */
void
_orderly_dispatcher_set_number (JsonObject *object,
                                const char *name,
                                double      value)
{
  json_object_set_double_member (object, name, round (value * 1000) / 1000);
}

static JsonNode *
command_get_status (OrderlyDispatcher  *self,
                    JsonObject         *arguments,
                    guint              *status_code,
                    GError            **error)
{
  return orderly_dispatcher_status_body (orderly_engine_get_status (self->engine), self->instance_id);
}

/* A run that a crash interrupted is waiting for /resume: starting anew
 * closes it, unless the caller asked not to. */
static gboolean
check_interrupted (OrderlyDispatcher  *self,
                   gboolean            close_interrupted,
                   GError            **error)
{
  const OrderlyStatusData *d = orderly_status_get_data (orderly_engine_get_status (self->engine));

  if (close_interrupted || d->phase != ORDERLY_PHASE_INTERRUPTED)
    return TRUE;
  g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_BUSY,
               "Run %" G_GINT64_FORMAT " was interrupted and can be resumed; resume it, or "
               "start with force or autoForceIfStale to close it", d->run_id);
  return FALSE;
}

static void
started_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  gint64 quantity = GPOINTER_TO_SIZE (g_task_get_task_data (task));
  OrderlyStartInfo info = { 0 };
  g_autofree char *message = NULL;
  g_autofree char *count = NULL;
  JsonObject *answer;
  JsonNode *node;
  GError *error = NULL;

  if (!orderly_engine_start_run_finish (ORDERLY_ENGINE (object), result, &info, &error))
    {
      _orderly_dispatcher_return_error (task, error);
      return;
    }
  count = orderly_text_count (quantity);
  message = g_strdup_printf ("Started run %" G_GINT64_FORMAT ": generating %s orders", info.run_id,
                             count);
  answer = json_object_new ();
  json_object_set_string_member (answer, "message", message);
  json_object_set_string_member (answer, "phase", orderly_phase_to_string (info.phase));
  json_object_set_boolean_member (answer, "forced", info.forced);
  json_object_set_boolean_member (answer, "staleRecovered", info.stale_recovered);
  json_object_set_int_member (answer, "runId", info.run_id);
  json_object_set_int_member (answer, "quantity", quantity);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, answer);
  _orderly_dispatcher_return_answer (task, node, 202);
}

static void
command_start_generation (OrderlyDispatcher   *self,
                          JsonObject          *arguments,
                          GTask               *task)
{
  OrderlyRunRequest request = { .vip_share = -1 };
  gboolean close_interrupted, return_on_active;
  GError *error = NULL;
  gint64 vip_percent;

  if (arguments == NULL || !json_object_has_member (arguments, "quantity"))
    {
      _orderly_dispatcher_return_error (task, g_error_new (ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                                                           "quantity is required: an integer between %d and %d",
                                                           ORDERLY_MIN_QUANTITY, ORDERLY_MAX_QUANTITY));
      return;
    }
  /* returnOnActive only chose, in the Node system, between a 409 and a 500
   * for a run in progress: here it is always the 409. */
  if (!_orderly_dispatcher_get_int_argument (arguments, "quantity", 0, ORDERLY_MIN_QUANTITY,
                                             ORDERLY_MAX_QUANTITY, &request.quantity, &error) ||
      /* The share of VIP orders, in whole percent as the window asks for it. */
      !_orderly_dispatcher_get_int_argument (arguments, "vipPercent", -1, 0, 100, &vip_percent, &error) ||
      !_orderly_dispatcher_get_boolean_argument (arguments, "force", FALSE, &request.force, &error) ||
      !_orderly_dispatcher_get_boolean_argument (arguments, "autoForceIfStale", TRUE, &close_interrupted,
                                                 &error) ||
      !_orderly_dispatcher_get_boolean_argument (arguments, "returnOnActive", TRUE, &return_on_active,
                                                 &error) ||
      !check_interrupted (self, close_interrupted || request.force, &error))
    {
      _orderly_dispatcher_return_error (task, error);
      return;
    }
  if (vip_percent >= 0)
    request.vip_share = vip_percent / 100.0;

  g_task_set_task_data (task, GSIZE_TO_POINTER (request.quantity), NULL);
  orderly_engine_start_run_async (self->engine, &request, NULL, started_cb, task);
}

static JsonNode *
message_and_phase (const char   *message,
                   OrderlyPhase  phase)
{
  JsonObject *object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (object, "message", message);
  json_object_set_string_member (object, "phase", orderly_phase_to_string (phase));
  json_node_take_object (node, object);
  return node;
}

/* A cancel under way: answered when the workers have stopped, or when
 * waitTimeoutMs runs out first, whichever comes first. */
typedef struct
{
  GTask               *task;
  OrderlyEngine       *engine;
  gint64               run_id;
  gint64               started_us;
  gboolean             reset_logs;
  guint                timeout_source;
} Cancelling;

static void
answer_cancel (Cancelling *cancelling,
               gboolean    still_active)
{
  const OrderlyStatusData *d = orderly_status_get_data (orderly_engine_get_status (cancelling->engine));
  gint64 left = MAX (d->generated - d->processed_total - d->failed_total, 0);
  g_autofree char *message = NULL;
  JsonObject *object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  if (still_active)
    message = g_strdup_printf ("Run %" G_GINT64_FORMAT " is being cancelled; its workers had not "
                               "stopped yet", cancelling->run_id);
  else
    {
      g_autofree char *count = orderly_text_count (left);

      message = g_strdup_printf ("Run %" G_GINT64_FORMAT " was cancelled: the %s orders not yet "
                                 "processed will not be", cancelling->run_id, count);
    }
  json_object_set_string_member (object, "message", message);
  json_object_set_string_member (object, "phase", orderly_phase_to_string (d->phase));
  json_object_set_boolean_member (object, "aborted", TRUE);
  json_object_set_boolean_member (object, "queuePaused", orderly_engine_is_paused (cancelling->engine));
  json_object_set_int_member (object, "removedPending", left);
  json_object_set_boolean_member (object, "purged", !still_active);
  json_object_set_boolean_member (object, "logsReset", cancelling->reset_logs && !still_active);
  json_object_set_int_member (object, "waitedForStopMs",
                              (g_get_monotonic_time () - cancelling->started_us) / 1000);
  json_object_set_boolean_member (object, "stillActive", still_active);
  json_object_set_int_member (object, "runId", cancelling->run_id);
  json_node_take_object (node, object);
  _orderly_dispatcher_return_answer (g_steal_pointer (&cancelling->task), node, 200);
}

static gboolean
cancel_timed_out_cb (gpointer user_data)
{
  Cancelling *cancelling = user_data;

  cancelling->timeout_source = 0;
  answer_cancel (cancelling, TRUE);
  return G_SOURCE_REMOVE;
}

static void
cancelled_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Cancelling *cancelling = user_data;

  orderly_engine_cancel_finish (ORDERLY_ENGINE (object), result, NULL);
  if (cancelling->reset_logs)
    orderly_log_store_clear (orderly_engine_get_log_store (cancelling->engine));
  if (cancelling->task != NULL)
    {
      g_clear_handle_id (&cancelling->timeout_source, g_source_remove);
      answer_cancel (cancelling, FALSE);
    }
  g_object_unref (cancelling->engine);
  g_free (cancelling);
}

/* Options of the Node system's cancel: resetLogs empties the log;
 * waitTimeoutMs bounds the wait for the workers. Cancelling always takes the
 * run's remaining orders off the queue (purge and removePending), and the
 * phase reads ABORTED afterwards, as the Node system's status shows it
 * (resetPhaseToIdle); a new run may start at once. pollIntervalMs has no
 * use: the engine says when its workers have stopped. */
static void
command_cancel_operation (OrderlyDispatcher   *self,
                          JsonObject          *arguments,
                          GTask               *task)
{
  const OrderlyStatusData *d = orderly_status_get_data (orderly_engine_get_status (self->engine));
  gboolean reset_logs, unused;
  gint64 wait_ms, poll_ms;
  Cancelling *cancelling;
  GError *error = NULL;

  if (!_orderly_dispatcher_get_boolean_argument (arguments, "resetLogs", FALSE, &reset_logs, &error) ||
      !_orderly_dispatcher_get_boolean_argument (arguments, "purge", TRUE, &unused, &error) ||
      !_orderly_dispatcher_get_boolean_argument (arguments, "removePending", TRUE, &unused, &error) ||
      !_orderly_dispatcher_get_boolean_argument (arguments, "resetPhaseToIdle", TRUE, &unused, &error) ||
      !_orderly_dispatcher_get_int_argument (arguments, "waitTimeoutMs", 10000, 0, G_MAXINT32, &wait_ms,
                                             &error) ||
      !_orderly_dispatcher_get_int_argument (arguments, "pollIntervalMs", 500, 0, G_MAXINT32, &poll_ms,
                                             &error))
    {
      _orderly_dispatcher_return_error (task, error);
      return;
    }

  if (!orderly_engine_is_running (self->engine))
    {
      JsonNode *node = message_and_phase ("No run in progress", d->phase);

      json_object_set_boolean_member (json_node_get_object (node), "aborted", FALSE);
      json_object_set_boolean_member (json_node_get_object (node), "queuePaused",
                                      orderly_engine_is_paused (self->engine));
      _orderly_dispatcher_return_answer (task, node, 200);
      return;
    }

  cancelling = g_new0 (Cancelling, 1);
  cancelling->task = task;
  cancelling->engine = g_object_ref (self->engine);
  cancelling->run_id = d->run_id;
  cancelling->started_us = g_get_monotonic_time ();
  cancelling->reset_logs = reset_logs;
  cancelling->timeout_source = g_timeout_add (wait_ms, cancel_timed_out_cb, cancelling);
  orderly_engine_cancel_async (self->engine, NULL, cancelled_cb, cancelling);
}

static void
reset_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  OrderlyResetInfo info = { 0 };
  GError *error = NULL;
  JsonObject *answer;
  JsonNode *node;

  if (!orderly_engine_reset_finish (ORDERLY_ENGINE (object), result, &info, &error))
    {
      _orderly_dispatcher_return_error (user_data, error);
      return;
    }
  answer = json_object_new ();
  json_object_set_string_member (answer, "message", "All orders and runs were deleted");
  json_object_set_int_member (answer, "deletedOrders", info.deleted_orders);
  json_object_set_int_member (answer, "deletedRuns", info.deleted_runs);
  json_object_set_boolean_member (answer, "queueCleared", TRUE);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, answer);
  _orderly_dispatcher_return_answer (user_data, node, 200);
}

static void
command_reset_system (OrderlyDispatcher   *self,
                      JsonObject          *arguments,
                      GTask               *task)
{
  orderly_engine_reset_async (self->engine, NULL, reset_cb, task);
}

static void
resumed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  OrderlyEngine *engine = ORDERLY_ENGINE (object);
  GError *error = NULL;

  if (!orderly_engine_resume_finish (engine, result, &error))
    {
      _orderly_dispatcher_return_error (user_data, error);
      return;
    }
  _orderly_dispatcher_return_answer (user_data,
                                 message_and_phase ("Run resumed",
                                                    orderly_status_get_phase (orderly_engine_get_status (engine))),
                                 202);
}

static void
command_resume_run (OrderlyDispatcher   *self,
                    JsonObject          *arguments,
                    GTask               *task)
{
  orderly_engine_resume_async (self->engine, NULL, resumed_cb, task);
}

/**
 * _orderly_dispatcher_queue_counts:
 *
 * Returns: (transfer full): the run's orders in the words of a job queue,
 *   with `paused` the queue's flag
 */
JsonNode *
_orderly_dispatcher_queue_counts (OrderlyDispatcher *self)
{
  OrderlyQueueCounts counts = { 0 };

  orderly_engine_get_queue_counts (self->engine, &counts);
  return orderly_json_queue_counts (&counts);
}

static JsonNode *
command_get_queue_counts (OrderlyDispatcher  *self,
                          JsonObject         *arguments,
                          guint              *status_code,
                          GError            **error)
{
  return _orderly_dispatcher_queue_counts (self);
}

/* A run with the Node system's summary fields beside Orderly's. */
static JsonNode *
run_json (const OrderlyRunRecord *run)
{
  JsonNode *node = orderly_json_run (run);
  JsonObject *object = json_node_get_object (node);

  json_object_set_int_member (object, "runId", run->id);
  _orderly_dispatcher_set_time (object, "createdAt", run->started_at_us);
  _orderly_dispatcher_set_number (object, "processingTimeVIPMs", run->vip_ms);
  _orderly_dispatcher_set_number (object, "processingTimeNormalMs", run->normal_ms);
  json_object_set_int_member (object, "totalProcessedVIP", run->vip_count);
  json_object_set_int_member (object, "totalProcessedNormal", run->normal_count);
  return node;
}

static JsonNode *
command_get_runs (OrderlyDispatcher  *self,
                  JsonObject         *arguments,
                  guint              *status_code,
                  GError            **error)
{
  g_autoptr(GPtrArray) runs = NULL;
  JsonObject *object;
  JsonArray *array;
  JsonNode *node;
  gint64 limit;

  if (!_orderly_dispatcher_get_int_argument (arguments, "limit", DEFAULT_RUNS, 1, MAX_RUNS, &limit, error))
    return NULL;
  runs = orderly_engine_list_runs (self->engine, limit, error);
  if (runs == NULL)
    return NULL;

  array = json_array_sized_new (runs->len);
  for (guint i = 0; i < runs->len; i++)
    json_array_add_element (array, run_json (runs->pdata[i]));
  object = json_object_new ();
  json_object_set_int_member (object, "limit", limit);
  json_object_set_int_member (object, "count", runs->len);
  json_object_set_array_member (object, "runs", array);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, object);
  return node;
}

/* The run a command names by `runId`: an existing one, 0 for the current
 * run. 0 with @error set when there is none. */
static gint64
find_run (OrderlyDispatcher  *self,
          JsonObject         *arguments,
          GError            **error)
{
  gint64 run_id;

  if (!_orderly_dispatcher_get_int_argument (arguments, "runId", 0, 0, G_MAXINT64, &run_id, error))
    return 0;
  if (run_id == 0)
    run_id = orderly_status_get_data (orderly_engine_get_status (self->engine))->run_id;
  if (run_id == 0)
    {
      g_set_error_literal (error, ORDERLY_ERROR, ORDERLY_ERROR_NOT_FOUND, "There is no run yet");
      return 0;
    }
  if (orderly_run_list_find (orderly_engine_get_run_list (self->engine), run_id) == NULL)
    {
      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_NOT_FOUND, "There is no run %" G_GINT64_FORMAT, run_id);
      return 0;
    }
  return run_id;
}

static void
proof_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(OrderlyPriorityProof) proof = NULL;
  GError *error = NULL;

  proof = orderly_engine_get_priority_proof_finish (ORDERLY_ENGINE (object), result, &error);
  if (proof == NULL)
    {
      _orderly_dispatcher_return_error (user_data, error);
      return;
    }
  _orderly_dispatcher_return_answer (user_data, orderly_json_priority_proof (proof), 200);
}

static void
command_get_run_proof (OrderlyDispatcher *self,
                       JsonObject        *arguments,
                       GTask             *task)
{
  GError *error = NULL;
  gint64 run_id = find_run (self, arguments, &error);

  if (run_id == 0)
    {
      _orderly_dispatcher_return_error (task, error);
      return;
    }
  orderly_engine_get_priority_proof_async (self->engine, run_id, NULL, proof_cb, task);
}

static void
samples_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  g_autoptr(GArray) samples = NULL;
  JsonObject *answer;
  GError *error = NULL;

  samples = orderly_engine_list_samples_finish (ORDERLY_ENGINE (object), result, &error);
  if (samples == NULL)
    {
      _orderly_dispatcher_return_error (task, error);
      return;
    }
  answer = json_object_new ();
  json_object_set_int_member (answer, "runId", GPOINTER_TO_SIZE (g_task_get_task_data (task)));
  json_object_set_int_member (answer, "count", samples->len);
  json_object_set_member (answer, "samples", orderly_json_samples (samples));
  _orderly_dispatcher_return_answer (task, _orderly_dispatcher_take_object (answer), 200);
}

static void
command_get_run_samples (OrderlyDispatcher *self,
                         JsonObject        *arguments,
                         GTask             *task)
{
  GError *error = NULL;
  gint64 run_id = find_run (self, arguments, &error);

  if (run_id == 0)
    {
      _orderly_dispatcher_return_error (task, error);
      return;
    }
  g_task_set_task_data (task, GSIZE_TO_POINTER (run_id), NULL);
  orderly_engine_list_samples_async (self->engine, run_id, NULL, samples_cb, task);
}

/* A command is one function and one row here; a REST route for it is one
 * more row in orderly-rest.c. */
const OrderlyCommand _orderly_dispatcher_commands[] = {
  { "get-status", ORDERLY_ROLE_VIEWER, command_get_status },
  { "get-queue-counts", ORDERLY_ROLE_VIEWER, command_get_queue_counts },
  { "get-runs", ORDERLY_ROLE_VIEWER, command_get_runs },
  /* These wait for the engine, which does their work off the main loop. */
  { "get-run-proof", ORDERLY_ROLE_VIEWER, .async_func = command_get_run_proof },
  { "get-run-samples", ORDERLY_ROLE_VIEWER, .async_func = command_get_run_samples },
  { "start-generation", ORDERLY_ROLE_OPERATOR, .async_func = command_start_generation },
  { "cancel-operation", ORDERLY_ROLE_OPERATOR, .async_func = command_cancel_operation },
  { "reset-system", ORDERLY_ROLE_OPERATOR, .async_func = command_reset_system },
  { "resume-run", ORDERLY_ROLE_OPERATOR, .async_func = command_resume_run },
};

const guint _orderly_dispatcher_n_commands = G_N_ELEMENTS (_orderly_dispatcher_commands);
