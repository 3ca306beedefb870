/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-dispatcher"

#include "config.h"

#include "orderly-dispatcher-private.h"
#include "orderly-json.h"

/* Remote access: the connected clients, ending one's connection, and
 * replacing the access tokens. */

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

/* Ends one client's live connection, whatever its transport. A Socket.IO
 * client is told not to reconnect by itself; a client that comes back
 * needs a valid token again, so to keep one out for good, replace the
 * tokens. */
static JsonNode *
command_disconnect_client (OrderlyDispatcher  *self,
                           JsonObject         *arguments,
                           guint              *status_code,
                           GError            **error)
{
  const char *id = arguments != NULL ? json_object_get_string_member_with_default (arguments, "id", NULL)
                                     : NULL;
  OrderlyClient *client;
  JsonObject *answer;

  if (id == NULL || id[0] == '\0')
    {
      g_set_error_literal (error, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                           "id is required: the id of a connected client, as GET /clients lists it");
      return NULL;
    }
  client = orderly_remote_find_client (self->remote, id);
  if (client == NULL)
    {
      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_NOT_FOUND, "No client “%s” is connected", id);
      return NULL;
    }
  answer = json_object_new ();
  json_object_set_string_member (answer, "id", id);
  json_object_set_boolean_member (answer, "disconnected", TRUE);
  json_object_set_string_member (answer, "message", "The client is being disconnected");
  orderly_client_disconnect (client, "Disconnected by an operator");
  return _orderly_dispatcher_take_object (answer);
}

static void
set_string_or_null (JsonObject *object,
                    const char *name,
                    const char *value)
{
  if (value != NULL)
    json_object_set_string_member (object, name, value);
  else
    json_object_set_null_member (object, name);
}

/* New operator and viewer tokens: the old ones are refused from now on and
 * their sessions end, the one that asked included once it has its answer,
 * which carries the new tokens and links. */
static JsonNode *
command_rotate_tokens (OrderlyDispatcher  *self,
                       JsonObject         *arguments,
                       guint              *status_code,
                       GError            **error)
{
  guint n_sessions = g_list_model_get_n_items (orderly_remote_get_clients (self->remote));
  const OrderlyTokens *tokens;
  g_autofree char *operator_url = NULL;
  g_autofree char *viewer_url = NULL;
  JsonObject *answer;

  if (!orderly_remote_regenerate_tokens (self->remote, error))
    return NULL;
  tokens = orderly_remote_get_tokens (self->remote);
  operator_url = orderly_remote_dup_operator_url (self->remote);
  viewer_url = orderly_remote_dup_viewer_url (self->remote);
  answer = json_object_new ();
  json_object_set_boolean_member (answer, "rotated", TRUE);
  json_object_set_string_member (answer, "message",
                                 "New access tokens are in use; the old ones no longer work");
  json_object_set_string_member (answer, "operatorToken", tokens->operator_token);
  json_object_set_string_member (answer, "viewerToken", tokens->viewer_token);
  set_string_or_null (answer, "operatorUrl", operator_url);
  set_string_or_null (answer, "viewerUrl", viewer_url);
  json_object_set_int_member (answer, "sessionsEnded", n_sessions);
  return _orderly_dispatcher_take_object (answer);
}

const OrderlyCommand _orderly_dispatcher_remote_commands[] = {
  { "get-clients", ORDERLY_ROLE_OPERATOR, command_get_clients },
  { "disconnect-client", ORDERLY_ROLE_OPERATOR, command_disconnect_client },
  { "rotate-tokens", ORDERLY_ROLE_OPERATOR, command_rotate_tokens },
};

const guint _orderly_dispatcher_n_remote_commands = G_N_ELEMENTS (_orderly_dispatcher_remote_commands);
