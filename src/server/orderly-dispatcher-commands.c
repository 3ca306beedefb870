/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-dispatcher"

#include "config.h"

#include <math.h>

#include "orderly-dispatcher-private.h"
#include "orderly-json.h"

/* The commands themselves: what each one reads from its arguments, asks of
 * the engine and answers. */

#define DEFAULT_LOG_LINES 500
#define MAX_LOG_LINES     10000
#define DEFAULT_RUNS      100
#define MAX_RUNS          1000

static gboolean
get_int_argument (JsonObject  *arguments,
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
      const char *text = json_node_get_string (node);
      char *end = NULL;

      number = g_ascii_strtod (text, &end);
      if (end == text || *end != '\0')
        number = NAN;
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

static JsonNode *
command_get_status (OrderlyDispatcher  *self,
                    JsonObject         *arguments,
                    guint              *status_code,
                    GError            **error)
{
  return orderly_dispatcher_status_body (orderly_engine_get_status (self->engine), self->instance_id);
}

static void
started_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  OrderlyDispatcher *self = g_task_get_source_object (task);
  OrderlyStartInfo info = { 0 };
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *message = NULL;
  GError *error = NULL;

  if (!orderly_engine_start_run_finish (self->engine, result, &info, &error))
    {
      _orderly_dispatcher_return_error (task, error);
      return;
    }

  message = g_strdup_printf ("Started generating %" G_GINT64_FORMAT " orders",
                             (gint64) GPOINTER_TO_SIZE (g_task_get_task_data (task)));
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_set_member_name (builder, "phase");
  json_builder_add_string_value (builder, orderly_phase_to_string (info.phase));
  json_builder_set_member_name (builder, "forced");
  json_builder_add_boolean_value (builder, info.forced);
  json_builder_set_member_name (builder, "staleRecovered");
  json_builder_add_boolean_value (builder, info.stale_recovered);
  json_builder_set_member_name (builder, "runId");
  json_builder_add_int_value (builder, info.run_id);
  json_builder_end_object (builder);
  _orderly_dispatcher_return_answer (task, json_builder_get_root (builder), 202);
}

static void
command_start_generation (OrderlyDispatcher *self,
                          JsonObject        *arguments,
                          GTask             *task)
{
  OrderlyRunRequest request = { .vip_share = -1 };
  GError *error = NULL;
  gint64 vip_percent;
  JsonNode *force;

  if (arguments == NULL || !json_object_has_member (arguments, "quantity"))
    {
      _orderly_dispatcher_return_error (task,
                                        g_error_new (ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                                                     "quantity is required: an integer between %d and %d",
                                                     ORDERLY_MIN_QUANTITY, ORDERLY_MAX_QUANTITY));
      return;
    }
  if (!get_int_argument (arguments, "quantity", 0, ORDERLY_MIN_QUANTITY, ORDERLY_MAX_QUANTITY,
                         &request.quantity, &error) ||
      /* The share of VIP orders, in whole percent as the window asks for it. */
      !get_int_argument (arguments, "vipPercent", -1, 0, 100, &vip_percent, &error))
    {
      _orderly_dispatcher_return_error (task, error);
      return;
    }
  if (vip_percent >= 0)
    request.vip_share = vip_percent / 100.0;

  force = json_object_get_member (arguments, "force");
  if (force != NULL && !JSON_NODE_HOLDS_NULL (force))
    {
      if (!JSON_NODE_HOLDS_VALUE (force) || json_node_get_value_type (force) != G_TYPE_BOOLEAN)
        {
          _orderly_dispatcher_return_error (task,
                                            g_error_new_literal (ORDERLY_ERROR,
                                                                 ORDERLY_ERROR_INVALID_ARGUMENT,
                                                                 "force must be true or false"));
          return;
        }
      request.force = json_node_get_boolean (force);
    }

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

static void
cancelled_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  gboolean was_running = FALSE;
  OrderlyPhase phase = orderly_engine_cancel_finish (ORDERLY_ENGINE (object), result, &was_running);

  _orderly_dispatcher_return_answer (user_data,
                                     message_and_phase (was_running ? "Run cancelled" : "No run in progress",
                                                        phase),
                                     200);
}

static void
command_cancel_operation (OrderlyDispatcher *self,
                          JsonObject        *arguments,
                          GTask             *task)
{
  orderly_engine_cancel_async (self->engine, NULL, cancelled_cb, task);
}

static void
reset_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  OrderlyResetInfo info = { 0 };
  GError *error = NULL;
  JsonObject *body;
  JsonNode *node;

  if (!orderly_engine_reset_finish (ORDERLY_ENGINE (object), result, &info, &error))
    {
      _orderly_dispatcher_return_error (user_data, error);
      return;
    }

  body = json_object_new ();
  json_object_set_string_member (body, "message", "All orders and runs were deleted");
  json_object_set_int_member (body, "deletedOrders", info.deleted_orders);
  json_object_set_int_member (body, "deletedRuns", info.deleted_runs);
  json_object_set_boolean_member (body, "queueCleared", TRUE);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, body);
  _orderly_dispatcher_return_answer (user_data, node, 200);
}

static void
command_reset_system (OrderlyDispatcher *self,
                      JsonObject        *arguments,
                      GTask             *task)
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
command_resume_run (OrderlyDispatcher *self,
                    JsonObject        *arguments,
                    GTask             *task)
{
  orderly_engine_resume_async (self->engine, NULL, resumed_cb, task);
}

static char *
format_line (OrderlyLogEntry *entry)
{
  g_autofree char *time = orderly_json_iso8601 (orderly_log_entry_get_timestamp (entry) * 1000);

  return g_strdup_printf ("[%s] %s", time != NULL ? time : "", orderly_log_entry_get_message (entry));
}

static JsonObject *
queue_counts_object (OrderlyDispatcher *self)
{
  OrderlyQueueCounts counts = { 0 };
  JsonObject *object = json_object_new ();

  orderly_engine_get_queue_counts (self->engine, &counts);
  json_object_set_int_member (object, "waiting", counts.waiting);
  json_object_set_int_member (object, "active", counts.active);
  json_object_set_int_member (object, "completed", counts.completed);
  json_object_set_int_member (object, "failed", counts.failed);
  json_object_set_int_member (object, "delayed", counts.delayed);
  json_object_set_int_member (object, "paused", counts.paused);
  return object;
}

static JsonNode *
command_get_logs (OrderlyDispatcher  *self,
                  JsonObject         *arguments,
                  guint              *status_code,
                  GError            **error)
{
  GListModel *model = G_LIST_MODEL (orderly_engine_get_log_store (self->engine));
  const OrderlyStatusData *d = orderly_status_get_data (orderly_engine_get_status (self->engine));
  guint n_items = g_list_model_get_n_items (model);
  gint64 lines;
  JsonArray *process_log, *by_level[3];
  JsonObject *object, *logs, *stats;
  JsonNode *node;

  if (!get_int_argument (arguments, "lines", DEFAULT_LOG_LINES, 1, MAX_LOG_LINES, &lines, error))
    return NULL;

  process_log = json_array_new ();
  for (guint i = 0; i < G_N_ELEMENTS (by_level); i++)
    by_level[i] = json_array_new ();
  for (guint i = n_items > lines ? n_items - lines : 0; i < n_items; i++)
    {
      g_autoptr(OrderlyLogEntry) entry = g_list_model_get_item (model, i);
      OrderlyLogLevel level = orderly_log_entry_get_level (entry);
      char *line = format_line (entry);

      json_array_add_element (process_log, orderly_json_log_entry (entry));
      if ((guint) level < G_N_ELEMENTS (by_level))
        json_array_add_string_element (by_level[level], line);
      g_free (line);
    }

  logs = json_object_new ();
  json_object_set_array_member (logs, "logMessages", by_level[ORDERLY_LOG_LEVEL_LOG]);
  json_object_set_array_member (logs, "warnMessages", by_level[ORDERLY_LOG_LEVEL_WARN]);
  json_object_set_array_member (logs, "errorMessages", by_level[ORDERLY_LOG_LEVEL_ERROR]);

  stats = json_object_new ();
  json_object_set_string_member (stats, "phase", orderly_phase_to_string (d->phase));
  json_object_set_int_member (stats, "totalOrders", d->vip_total + d->normal_total);
  json_object_set_int_member (stats, "target", d->target);
  json_object_set_int_member (stats, "generated", d->generated);
  json_object_set_int_member (stats, "processed", d->processed_total);
  json_object_set_int_member (stats, "vipProcessed", d->vip_processed);
  json_object_set_int_member (stats, "normalProcessed", d->normal_processed);
  json_object_set_double_member (stats, "progressPercent", round (d->progress_percent * 1000) / 1000);
  json_object_set_double_member (stats, "throughput", round (d->throughput_overall * 1000) / 1000);
  json_object_set_int_member (stats, "logLines", n_items);

  object = json_object_new ();
  json_object_set_array_member (object, "processLog", process_log);
  json_object_set_object_member (object, "queueStatus", queue_counts_object (self));
  json_object_set_object_member (object, "logs", logs);
  json_object_set_object_member (object, "quickStats", stats);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, object);
  return node;
}

static JsonNode *
command_get_queue_counts (OrderlyDispatcher  *self,
                          JsonObject         *arguments,
                          guint              *status_code,
                          GError            **error)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, queue_counts_object (self));
  return node;
}

static JsonNode *
command_get_runs (OrderlyDispatcher  *self,
                  JsonObject         *arguments,
                  guint              *status_code,
                  GError            **error)
{
  g_autoptr(GPtrArray) runs = NULL;
  JsonArray *array;
  JsonNode *node;
  gint64 limit;

  if (!get_int_argument (arguments, "limit", DEFAULT_RUNS, 1, MAX_RUNS, &limit, error))
    return NULL;
  runs = orderly_engine_list_runs (self->engine, limit, error);
  if (runs == NULL)
    return NULL;

  array = json_array_sized_new (runs->len);
  for (guint i = 0; i < runs->len; i++)
    json_array_add_element (array, orderly_json_run (runs->pdata[i]));
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (node, array);
  return node;
}

static JsonNode *
command_get_health (OrderlyDispatcher  *self,
                    JsonObject         *arguments,
                    guint              *status_code,
                    GError            **error)
{
  JsonObject *object = json_object_new ();
  JsonObject *services = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *now = orderly_json_iso8601 (g_get_real_time ());
  double uptime = (g_get_monotonic_time () - self->started_us) / (double) G_USEC_PER_SEC;

  json_object_set_string_member (object, "status", "ok");
  json_object_set_string_member (object, "timestamp", now);
  json_object_set_double_member (object, "uptime", round (uptime * 1000) / 1000);
  json_object_set_string_member (services, "database", "connected");
  json_object_set_object_member (object, "services", services);
  json_node_take_object (node, object);
  return node;
}

static JsonNode *
command_get_clients (OrderlyDispatcher  *self,
                     JsonObject         *arguments,
                     guint              *status_code,
                     GError            **error)
{
  GListModel *clients = orderly_remote_get_clients (self->remote);
  guint n_items = g_list_model_get_n_items (clients);
  JsonArray *array = json_array_sized_new (n_items);
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(OrderlyClient) client = g_list_model_get_item (clients, i);
      JsonObject *object = json_object_new ();
      g_autofree char *since = orderly_json_iso8601 (orderly_client_get_since (client));

      json_object_set_string_member (object, "id", orderly_client_get_id (client));
      json_object_set_string_member (object, "address", orderly_client_get_address (client));
      json_object_set_string_member (object, "transport", orderly_client_get_transport (client));
      json_object_set_string_member (object, "role", orderly_client_get_role (client));
      json_object_set_string_member (object, "userAgent", orderly_client_get_user_agent (client));
      json_object_set_string_member (object, "since", since);
      json_object_set_int_member (object, "messagesSent", orderly_client_get_messages_sent (client));
      json_object_set_int_member (object, "messagesDropped",
                                  orderly_client_get_messages_dropped (client));
      json_array_add_object_element (array, object);
    }
  json_node_take_array (node, array);
  return node;
}

/* A command is one function and one row here; a REST route for it is one
 * more row in orderly-rest.c. */
const OrderlyCommand _orderly_dispatcher_commands[] = {
  { "get-status", ORDERLY_ROLE_VIEWER, command_get_status, NULL },
  { "get-logs", ORDERLY_ROLE_VIEWER, command_get_logs, NULL },
  { "get-queue-counts", ORDERLY_ROLE_VIEWER, command_get_queue_counts, NULL },
  { "get-runs", ORDERLY_ROLE_VIEWER, command_get_runs, NULL },
  { "get-health", ORDERLY_ROLE_NONE, command_get_health, NULL },
  { "get-clients", ORDERLY_ROLE_OPERATOR, command_get_clients, NULL },
  /* These wait for the engine, which does their work off the main loop. */
  { "start-generation", ORDERLY_ROLE_OPERATOR, NULL, command_start_generation },
  { "cancel-operation", ORDERLY_ROLE_OPERATOR, NULL, command_cancel_operation },
  { "reset-system", ORDERLY_ROLE_OPERATOR, NULL, command_reset_system },
  { "resume-run", ORDERLY_ROLE_OPERATOR, NULL, command_resume_run },
};

const guint _orderly_dispatcher_n_commands = G_N_ELEMENTS (_orderly_dispatcher_commands);
