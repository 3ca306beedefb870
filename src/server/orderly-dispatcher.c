/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-dispatcher"

#include "config.h"

#include <math.h>

#include "orderly-dispatcher.h"
#include "orderly-json.h"

#define DEFAULT_LOG_LINES 500
#define MAX_LOG_LINES     10000
#define DEFAULT_RUNS      100
#define MAX_RUNS          1000

struct _OrderlyDispatcher
{
  GObject        parent_instance;

  OrderlyEngine *engine;
  OrderlyRemote *remote;
  char          *instance_id;
  gint64         started_us;
};

G_DEFINE_FINAL_TYPE (OrderlyDispatcher, orderly_dispatcher, G_TYPE_OBJECT)

typedef JsonNode *(*CommandFunc) (OrderlyDispatcher  *self,
                                  JsonObject         *arguments,
                                  guint              *status_code,
                                  GError            **error);

typedef struct
{
  const char  *name;
  OrderlyRole  role;
  CommandFunc  func;
} Command;

static void
orderly_dispatcher_finalize (GObject *object)
{
  OrderlyDispatcher *self = (OrderlyDispatcher *) object;

  g_clear_object (&self->engine);
  g_clear_object (&self->remote);
  g_free (self->instance_id);

  G_OBJECT_CLASS (orderly_dispatcher_parent_class)->finalize (object);
}

static void
orderly_dispatcher_class_init (OrderlyDispatcherClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = orderly_dispatcher_finalize;
}

static void
orderly_dispatcher_init (OrderlyDispatcher *self)
{
  self->started_us = g_get_monotonic_time ();
}

OrderlyDispatcher *
orderly_dispatcher_new (OrderlyEngine *engine,
                        OrderlyRemote *remote,
                        const char    *instance_id)
{
  OrderlyDispatcher *self;

  g_return_val_if_fail (ORDERLY_IS_ENGINE (engine), NULL);
  g_return_val_if_fail (ORDERLY_IS_REMOTE (remote), NULL);

  self = g_object_new (ORDERLY_TYPE_DISPATCHER, NULL);
  self->engine = g_object_ref (engine);
  self->remote = g_object_ref (remote);
  self->instance_id = g_strdup (instance_id);
  return self;
}

const char *
orderly_dispatcher_reason_phrase (guint status_code)
{
  switch (status_code)
    {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return status_code >= 500 ? "Internal Server Error" : "Error";
    }
}

/**
 * orderly_dispatcher_error_body:
 *
 * Returns: (transfer full): `{statusCode, message, error}`
 */
JsonNode *
orderly_dispatcher_error_body (guint       status_code,
                               const char *message)
{
  JsonObject *object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_int_member (object, "statusCode", status_code);
  json_object_set_string_member (object, "message", message);
  json_object_set_string_member (object, "error", orderly_dispatcher_reason_phrase (status_code));
  json_node_take_object (node, object);
  return node;
}

/**
 * orderly_dispatcher_error_to_status:
 *
 * Returns: the HTTP status for an error of the engine or the store
 */
guint
orderly_dispatcher_error_to_status (const GError *error)
{
  if (error->domain != ORDERLY_ERROR)
    return 500;

  switch ((OrderlyError) error->code)
    {
    case ORDERLY_ERROR_INVALID_ARGUMENT: return 400;
    case ORDERLY_ERROR_BUSY: return 409;
    case ORDERLY_ERROR_NOTHING_TO_RESUME: return 409;
    case ORDERLY_ERROR_FORBIDDEN: return 403;
    case ORDERLY_ERROR_UNAUTHORIZED: return 401;
    case ORDERLY_ERROR_NOT_FOUND: return 404;
    case ORDERLY_ERROR_TOO_LARGE: return 413;
    case ORDERLY_ERROR_NO_SPACE: return 503;
    case ORDERLY_ERROR_READ_ONLY: return 503;
    case ORDERLY_ERROR_STORAGE: return 500;
    case ORDERLY_ERROR_CORRUPT: return 500;
    default: return 500;
    }
}

/**
 * orderly_dispatcher_status_body:
 * @instance_id: the server's instance id
 *
 * The status as every transport sends it: the answer to `get-status` and
 * the data of the `status` event.
 *
 * Returns: (transfer full): the status object with `message`, `timestamp`
 *   and `instanceId` added
 */
JsonNode *
orderly_dispatcher_status_body (OrderlyStatus *status,
                                const char    *instance_id)
{
  JsonNode *node = orderly_json_status (status);
  JsonObject *object = json_node_get_object (node);
  g_autofree char *now = orderly_json_iso8601 (g_get_real_time ());

  json_object_set_string_member (object, "message", orderly_status_describe (status));
  json_object_set_string_member (object, "timestamp", now);
  json_object_set_string_member (object, "instanceId", instance_id);
  return node;
}

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

static JsonNode *
command_start_generation (OrderlyDispatcher  *self,
                          JsonObject         *arguments,
                          guint              *status_code,
                          GError            **error)
{
  OrderlyRunRequest request = { .vip_share = -1 };
  OrderlyStartInfo info = { 0 };
  JsonNode *force;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *message = NULL;

  if (arguments == NULL || !json_object_has_member (arguments, "quantity"))
    {
      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                   "quantity is required: an integer between %d and %d",
                   ORDERLY_MIN_QUANTITY, ORDERLY_MAX_QUANTITY);
      return NULL;
    }
  if (!get_int_argument (arguments, "quantity", 0, ORDERLY_MIN_QUANTITY, ORDERLY_MAX_QUANTITY,
                         &request.quantity, error))
    return NULL;

  force = json_object_get_member (arguments, "force");
  if (force != NULL && !JSON_NODE_HOLDS_NULL (force))
    {
      if (!JSON_NODE_HOLDS_VALUE (force) || json_node_get_value_type (force) != G_TYPE_BOOLEAN)
        {
          g_set_error_literal (error, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                               "force must be true or false");
          return NULL;
        }
      request.force = json_node_get_boolean (force);
    }

  if (!orderly_engine_start_run (self->engine, &request, &info, error))
    return NULL;

  message = g_strdup_printf ("Started generating %" G_GINT64_FORMAT " orders", request.quantity);
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
  *status_code = 202;
  return json_builder_get_root (builder);
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

static JsonNode *
command_cancel_operation (OrderlyDispatcher  *self,
                          JsonObject         *arguments,
                          guint              *status_code,
                          GError            **error)
{
  gboolean was_running = orderly_engine_is_running (self->engine);
  OrderlyPhase phase = orderly_engine_cancel (self->engine);

  return message_and_phase (was_running ? "Run cancelled" : "No run in progress", phase);
}

static JsonNode *
command_reset_system (OrderlyDispatcher  *self,
                      JsonObject         *arguments,
                      guint              *status_code,
                      GError            **error)
{
  OrderlyResetInfo info = { 0 };
  JsonObject *object;
  JsonNode *node;

  if (!orderly_engine_reset (self->engine, &info, error))
    return NULL;

  object = json_object_new ();
  json_object_set_string_member (object, "message", "All orders and runs were deleted");
  json_object_set_int_member (object, "deletedOrders", info.deleted_orders);
  json_object_set_int_member (object, "deletedRuns", info.deleted_runs);
  json_object_set_boolean_member (object, "queueCleared", TRUE);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, object);
  return node;
}

static JsonNode *
command_resume_run (OrderlyDispatcher  *self,
                    JsonObject         *arguments,
                    guint              *status_code,
                    GError            **error)
{
  if (!orderly_engine_resume (self->engine, error))
    return NULL;
  *status_code = 202;
  return message_and_phase ("Run resumed",
                            orderly_status_get_phase (orderly_engine_get_status (self->engine)));
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

static const Command commands[] = {
  { "get-status", ORDERLY_ROLE_VIEWER, command_get_status },
  { "get-logs", ORDERLY_ROLE_VIEWER, command_get_logs },
  { "get-queue-counts", ORDERLY_ROLE_VIEWER, command_get_queue_counts },
  { "get-runs", ORDERLY_ROLE_VIEWER, command_get_runs },
  { "get-health", ORDERLY_ROLE_NONE, command_get_health },
  { "get-clients", ORDERLY_ROLE_OPERATOR, command_get_clients },
  { "start-generation", ORDERLY_ROLE_OPERATOR, command_start_generation },
  { "cancel-operation", ORDERLY_ROLE_OPERATOR, command_cancel_operation },
  { "reset-system", ORDERLY_ROLE_OPERATOR, command_reset_system },
  { "resume-run", ORDERLY_ROLE_OPERATOR, command_resume_run },
};

static const Command *
find_command (const char *name)
{
  if (name == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (g_str_equal (commands[i].name, name))
        return &commands[i];
    }
  return NULL;
}

/**
 * orderly_dispatcher_get_command_role:
 * @role: (out) (optional): the role @command needs
 *
 * Returns: whether @command is one of the dispatcher's
 */
gboolean
orderly_dispatcher_get_command_role (const char  *command,
                                     OrderlyRole *role)
{
  const Command *found = find_command (command);

  if (found != NULL && role != NULL)
    *role = found->role;
  return found != NULL;
}

/**
 * orderly_dispatcher_check_role:
 * @needed: the role a command or route needs
 * @role: the role of who asks
 * @status_code: (out): 401 or 403 when @role falls short
 *
 * Returns: (transfer full) (nullable): the error object when @role falls
 *   short of @needed, %NULL when it does not
 */
JsonNode *
orderly_dispatcher_check_role (OrderlyRole  needed,
                               OrderlyRole  role,
                               guint       *status_code)
{
  g_return_val_if_fail (status_code != NULL, NULL);

  if (role >= needed)
    return NULL;
  *status_code = role == ORDERLY_ROLE_NONE ? 401 : 403;
  return orderly_dispatcher_error_body (*status_code,
                                        role == ORDERLY_ROLE_NONE
                                        ? "A valid access token is required"
                                        : "This access token only allows watching; "
                                          "an operator token is needed");
}

/**
 * orderly_dispatcher_dispatch:
 * @command: a command name, e.g. `start-generation`
 * @arguments: (nullable): a JSON object; anything else is refused with 400
 * @role: who asks
 * @status_code: (out): the HTTP status of the answer
 *
 * Runs @command. Never fails: an error is answered with the error object.
 *
 * Returns: (transfer full): the answer
 */
JsonNode *
orderly_dispatcher_dispatch (OrderlyDispatcher *self,
                             const char        *command,
                             JsonNode          *arguments,
                             OrderlyRole        role,
                             guint             *status_code)
{
  const Command *found;
  g_autoptr(GError) error = NULL;
  JsonObject *object = NULL;
  JsonNode *answer;
  guint status = 200;

  g_return_val_if_fail (ORDERLY_IS_DISPATCHER (self), NULL);
  g_return_val_if_fail (status_code != NULL, NULL);

  found = find_command (command);
  if (found == NULL)
    {
      g_autofree char *message = g_strdup_printf ("Unknown command “%s”", command ? command : "");

      *status_code = 404;
      return orderly_dispatcher_error_body (404, message);
    }

  answer = orderly_dispatcher_check_role (found->role, role, status_code);
  if (answer != NULL)
    return answer;

  if (arguments != NULL && !JSON_NODE_HOLDS_NULL (arguments))
    {
      if (!JSON_NODE_HOLDS_OBJECT (arguments))
        {
          *status_code = 400;
          return orderly_dispatcher_error_body (400, "The request body must be a JSON object");
        }
      object = json_node_get_object (arguments);
    }

  answer = found->func (self, object, &status, &error);
  if (answer == NULL)
    {
      g_assert (error != NULL);
      *status_code = orderly_dispatcher_error_to_status (error);
      return orderly_dispatcher_error_body (*status_code, error->message);
    }
  *status_code = status;
  return answer;
}

/**
 * orderly_dispatcher_handle_event:
 * @event: the event's name, a command
 * @arguments: (nullable): its data
 * @role: who sent it
 * @wants_ack: whether the client asked for an answer
 * @answer: (out) (transfer full) (optional): what to send back, for
 *   %ORDERLY_DISPATCHER_REPLY_ACK and %ORDERLY_DISPATCHER_REPLY_ERROR
 * @status_code: (out) (optional): the answer's HTTP status; 200 for the
 *   `status` event
 *
 * Runs a client event of a live transport and says what goes back: the
 * answer through the ack when asked for; otherwise an error as an `error`
 * event, and nothing on success. A `get-status` without an ack is answered
 * with the `status` event itself.
 *
 * Returns: what to send back
 */
OrderlyDispatcherReply
orderly_dispatcher_handle_event (OrderlyDispatcher  *self,
                                 const char         *event,
                                 JsonNode           *arguments,
                                 OrderlyRole         role,
                                 gboolean            wants_ack,
                                 JsonNode          **answer,
                                 guint              *status_code)
{
  g_autoptr(JsonNode) reply = NULL;
  guint status = 200;

  g_return_val_if_fail (ORDERLY_IS_DISPATCHER (self), ORDERLY_DISPATCHER_REPLY_NONE);

  if (answer != NULL)
    *answer = NULL;
  if (status_code != NULL)
    *status_code = status;
  if (!wants_ack && g_strcmp0 (event, "get-status") == 0 && role >= ORDERLY_ROLE_VIEWER)
    return ORDERLY_DISPATCHER_REPLY_STATUS;

  reply = orderly_dispatcher_dispatch (self, event, arguments, role, &status);
  if (status_code != NULL)
    *status_code = status;
  if (!wants_ack && status < 400)
    return ORDERLY_DISPATCHER_REPLY_NONE;
  if (answer != NULL)
    *answer = g_steal_pointer (&reply);
  return wants_ack ? ORDERLY_DISPATCHER_REPLY_ACK : ORDERLY_DISPATCHER_REPLY_ERROR;
}
