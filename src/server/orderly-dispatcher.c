/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-dispatcher"

#include "config.h"

#include "orderly-dispatcher-private.h"
#include "orderly-json.h"

G_DEFINE_FINAL_TYPE (OrderlyDispatcher, orderly_dispatcher, G_TYPE_OBJECT)

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
    case ORDERLY_ERROR_UNAVAILABLE: return 503;
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


static const OrderlyCommand *
find_command (const char *name)
{
  const struct
  {
    const OrderlyCommand *commands;
    guint                 n_commands;
  } tables[] = {
    { _orderly_dispatcher_commands, _orderly_dispatcher_n_commands },
    { _orderly_dispatcher_queue_commands, _orderly_dispatcher_n_queue_commands },
    { _orderly_dispatcher_remote_commands, _orderly_dispatcher_n_remote_commands },
    { _orderly_dispatcher_node_commands, _orderly_dispatcher_n_node_commands },
  };

  if (name == NULL)
    return NULL;
  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      for (guint i = 0; i < tables[t].n_commands; i++)
        {
          if (g_str_equal (tables[t].commands[i].name, name))
            return &tables[t].commands[i];
        }
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
  const OrderlyCommand *found = find_command (command);

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

/* The answer a dispatch task returns. */
typedef struct
{
  JsonNode *node;
  guint     status_code;
} Answer;

static void
answer_free (gpointer data)
{
  Answer *answer = data;

  json_node_unref (answer->node);
  g_free (answer);
}

/**
 * _orderly_dispatcher_return_answer:
 * @task: the task of orderly_dispatcher_dispatch_async()
 * @answer: (transfer full): the answer
 * @status_code: its HTTP status
 *
 * Ends @task with @answer, and unrefs it.
 */
void
_orderly_dispatcher_return_answer (GTask    *task,
                                   JsonNode *answer,
                                   guint     status_code)
{
  Answer *returned = g_new (Answer, 1);

  returned->node = answer;
  returned->status_code = status_code;
  g_task_return_pointer (task, returned, answer_free);
  g_object_unref (task);
}

/**
 * _orderly_dispatcher_return_error:
 * @task: the task of orderly_dispatcher_dispatch_async()
 * @error: (transfer full): why the command failed
 *
 * Ends @task with the error object for @error, and unrefs it.
 */
void
_orderly_dispatcher_return_error (GTask  *task,
                                  GError *error)
{
  guint status_code = orderly_dispatcher_error_to_status (error);

  _orderly_dispatcher_return_answer (task, orderly_dispatcher_error_body (status_code, error->message),
                                     status_code);
  g_error_free (error);
}

/* The refusal of @command by name, role or arguments, or %NULL with
 * *object set to its arguments. */
static JsonNode *
check_command (const OrderlyCommand  *found,
               const char            *command,
               JsonNode              *arguments,
               OrderlyRole            role,
               JsonObject           **object,
               guint                 *status_code)
{
  JsonNode *refusal;

  *object = NULL;
  if (found == NULL)
    {
      g_autofree char *message = g_strdup_printf ("Unknown command “%s”", command ? command : "");

      *status_code = 404;
      return orderly_dispatcher_error_body (404, message);
    }

  refusal = orderly_dispatcher_check_role (found->role, role, status_code);
  if (refusal != NULL)
    return refusal;

  if (arguments != NULL && !JSON_NODE_HOLDS_NULL (arguments))
    {
      if (!JSON_NODE_HOLDS_OBJECT (arguments))
        {
          *status_code = 400;
          return orderly_dispatcher_error_body (400, "The request body must be a JSON object");
        }
      *object = json_node_get_object (arguments);
    }
  return NULL;
}

/**
 * orderly_dispatcher_dispatch_async:
 * @command: a command name, e.g. `start-generation`
 * @arguments: (nullable): a JSON object; anything else is refused with 400
 * @role: who asks
 * @callback: called on the caller's main context with the answer
 * @user_data: data for @callback
 *
 * Runs @command. A command that reads answers at once; one that waits for
 * the engine (starting, cancelling, resetting, resuming) once the engine
 * has done the work off the main loop, which never waits for it. Finish
 * with orderly_dispatcher_dispatch_finish().
 */
void
orderly_dispatcher_dispatch_async (OrderlyDispatcher   *self,
                                   const char          *command,
                                   JsonNode            *arguments,
                                   OrderlyRole          role,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  const OrderlyCommand *found;
  GError *error = NULL;
  JsonObject *object = NULL;
  JsonNode *answer;
  guint status = 200;
  GTask *task;

  g_return_if_fail (ORDERLY_IS_DISPATCHER (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, orderly_dispatcher_dispatch_async);

  found = find_command (command);
  answer = check_command (found, command, arguments, role, &object, &status);
  if (answer != NULL)
    {
      _orderly_dispatcher_return_answer (task, answer, status);
      return;
    }
  if (found->async_func != NULL)
    {
      found->async_func (self, object, task);
      return;
    }
  answer = found->func (self, object, &status, &error);
  if (answer == NULL)
    {
      g_assert (error != NULL);
      _orderly_dispatcher_return_error (task, error);
      return;
    }
  _orderly_dispatcher_return_answer (task, answer, status);
}

/* The events by which the Node system's gateway answered its four client
 * events: sent to the client that asked, once the command has succeeded. */
static JsonNode *
dup_notice (const char  *event,
            JsonNode    *answer,
            const char **name)
{
  static const struct
  {
    const char *event;
    const char *notice;
    const char *message;
  } notices[] = {
    { "get-status", "status-request-acknowledged", "Status request received" },
    { "start-generation", "generation-started", NULL },
    { "cancel-operation", "operation-cancelled", "Operation cancellation requested" },
    { "reset-system", "system-reset", "System reset initiated" },
  };
  JsonObject *object;
  JsonNode *node;

  for (guint i = 0; i < G_N_ELEMENTS (notices); i++)
    {
      if (g_strcmp0 (event, notices[i].event) != 0)
        continue;
      object = json_object_new ();
      if (notices[i].message == NULL)
        {
          gint64 quantity = json_object_get_int_member_with_default (json_node_get_object (answer),
                                                                     "quantity", 0);
          g_autofree char *message = g_strdup_printf ("Starting generation of %" G_GINT64_FORMAT " orders",
                                                      quantity);

          json_object_set_int_member (object, "quantity", quantity);
          json_object_set_string_member (object, "message", message);
        }
      else
        {
          json_object_set_string_member (object, "message", notices[i].message);
        }
      json_object_set_int_member (object, "timestamp", g_get_real_time () / 1000);
      node = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (node, object);
      *name = notices[i].notice;
      return node;
    }
  return NULL;
}

/**
 * orderly_dispatcher_dispatch_finish:
 * @status_code: (out): the HTTP status of the answer
 *
 * Never fails: an error is answered with the error object.
 *
 * Returns: (transfer full): the answer of orderly_dispatcher_dispatch_async()
 */
JsonNode *
orderly_dispatcher_dispatch_finish (OrderlyDispatcher *self,
                                    GAsyncResult      *result,
                                    guint             *status_code)
{
  Answer *answer;
  JsonNode *node;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (status_code != NULL, NULL);

  answer = g_task_propagate_pointer (G_TASK (result), NULL);
  g_assert (answer != NULL);
  node = g_steal_pointer (&answer->node);
  *status_code = answer->status_code;
  g_free (answer);
  return node;
}

/* What goes back for one client event. */
typedef struct
{
  OrderlyDispatcherReply  reply;
  JsonNode               *answer;
  guint                   status_code;
  const char             *notice_name;
  JsonNode               *notice;
} EventReply;

static void
event_reply_free (gpointer data)
{
  EventReply *reply = data;

  g_clear_pointer (&reply->answer, json_node_unref);
  g_clear_pointer (&reply->notice, json_node_unref);
  g_free (reply);
}

/* The client event a task handles. */
typedef struct
{
  char     *event;
  gboolean  wants_ack;
} Event;

static void
event_free (gpointer data)
{
  Event *event = data;

  g_free (event->event);
  g_free (event);
}

static void
event_dispatched_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Event *event = g_task_get_task_data (task);
  EventReply *reply = g_new0 (EventReply, 1);

  reply->answer = orderly_dispatcher_dispatch_finish (ORDERLY_DISPATCHER (object), result,
                                                      &reply->status_code);
  if (reply->status_code < 400)
    reply->notice = dup_notice (event->event, reply->answer, &reply->notice_name);
  if (reply->notice != NULL && JSON_NODE_HOLDS_OBJECT (reply->answer))
    json_object_set_boolean_member (json_node_get_object (reply->answer), "acknowledged", TRUE);

  if (event->wants_ack)
    reply->reply = ORDERLY_DISPATCHER_REPLY_ACK;
  else if (reply->status_code >= 400)
    reply->reply = ORDERLY_DISPATCHER_REPLY_ERROR;
  else
    {
      reply->reply = ORDERLY_DISPATCHER_REPLY_NONE;
      g_clear_pointer (&reply->answer, json_node_unref);
    }
  g_task_return_pointer (task, reply, event_reply_free);
}

/**
 * orderly_dispatcher_handle_event_async:
 * @event: the event's name, a command
 * @arguments: (nullable): its data
 * @role: who sent it
 * @wants_ack: whether the client asked for an answer
 * @callback: called on the caller's main context when the reply is known
 * @user_data: data for @callback
 *
 * Runs a client event of a live transport and says what goes back: the
 * answer through the ack when asked for; otherwise an error as an `error`
 * event, and nothing on success. A `get-status` without an ack is answered
 * with the `status` event itself. Before that, for the Node system's four
 * client events that succeeded, its reply event; an ack that answers one of
 * them also says `acknowledged: true`, as its acks did, beside the real
 * answer. Replies come in the order of the events for the commands that
 * read; those that wait for the engine reply when it is done. Finish with
 * orderly_dispatcher_handle_event_finish().
 */
void
orderly_dispatcher_handle_event_async (OrderlyDispatcher   *self,
                                       const char          *event,
                                       JsonNode            *arguments,
                                       OrderlyRole          role,
                                       gboolean             wants_ack,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  Event *handled;
  GTask *task;

  g_return_if_fail (ORDERLY_IS_DISPATCHER (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, orderly_dispatcher_handle_event_async);
  handled = g_new0 (Event, 1);
  handled->event = g_strdup (event);
  handled->wants_ack = wants_ack;
  g_task_set_task_data (task, handled, event_free);

  if (!wants_ack && g_strcmp0 (event, "get-status") == 0 && role >= ORDERLY_ROLE_VIEWER)
    {
      EventReply *reply = g_new0 (EventReply, 1);

      reply->reply = ORDERLY_DISPATCHER_REPLY_STATUS;
      reply->status_code = 200;
      reply->notice = dup_notice (event, NULL, &reply->notice_name);
      g_task_return_pointer (task, reply, event_reply_free);
      g_object_unref (task);
      return;
    }
  orderly_dispatcher_dispatch_async (self, event, arguments, role, event_dispatched_cb, task);
}

/**
 * orderly_dispatcher_handle_event_finish:
 * @answer: (out) (transfer full) (optional): what to send back, for
 *   %ORDERLY_DISPATCHER_REPLY_ACK and %ORDERLY_DISPATCHER_REPLY_ERROR
 * @status_code: (out) (optional): the answer's HTTP status; 200 for the
 *   `status` event
 * @notice_name: (out) (transfer none) (optional): the name of @notice
 * @notice: (out) (transfer full) (optional): an event to send the client
 *   before the reply, or %NULL: for `get-status`, `start-generation`,
 *   `cancel-operation` and `reset-system` that succeeded, the Node system's
 *   `status-request-acknowledged`, `generation-started`,
 *   `operation-cancelled` and `system-reset`
 *
 * Returns: what to send back for the event of
 *   orderly_dispatcher_handle_event_async()
 */
OrderlyDispatcherReply
orderly_dispatcher_handle_event_finish (OrderlyDispatcher  *self,
                                        GAsyncResult       *result,
                                        JsonNode          **answer,
                                        guint              *status_code,
                                        const char        **notice_name,
                                        JsonNode          **notice)
{
  EventReply *reply;
  OrderlyDispatcherReply kind;

  g_return_val_if_fail (g_task_is_valid (result, self), ORDERLY_DISPATCHER_REPLY_NONE);

  reply = g_task_propagate_pointer (G_TASK (result), NULL);
  g_assert (reply != NULL);
  kind = reply->reply;
  if (answer != NULL)
    *answer = g_steal_pointer (&reply->answer);
  if (status_code != NULL)
    *status_code = reply->status_code;
  if (notice_name != NULL)
    *notice_name = reply->notice != NULL ? reply->notice_name : NULL;
  if (notice != NULL)
    *notice = g_steal_pointer (&reply->notice);
  event_reply_free (reply);
  return kind;
}
