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
  if (name == NULL)
    return NULL;
  for (guint i = 0; i < _orderly_dispatcher_n_commands; i++)
    {
      if (g_str_equal (_orderly_dispatcher_commands[i].name, name))
        return &_orderly_dispatcher_commands[i];
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
  const OrderlyCommand *found;
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
