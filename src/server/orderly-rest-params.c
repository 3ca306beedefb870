/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-server"

#include "config.h"

#include "orderly-integer.h"
#include "orderly-rest-params.h"
#include "orderly-types.h"

/* `-?[0-9]+`, as ParseIntPipe has it; a number beyond 64 bits reads as the
 * largest one of its sign, which every command then refuses as out of
 * range. */
static gboolean
parse_int (const char *text,
           gint64     *value)
{
  return orderly_integer_parse (text, value) != ORDERLY_INTEGER_MALFORMED;
}

static gboolean
add_param (JsonObject              *arguments,
           const OrderlyRestParam  *param,
           const char              *text,
           GError                 **error)
{
  gint64 value = 0;

  switch (param->kind)
    {
    case ORDERLY_REST_PARAM_INT:
      if (!parse_int (text, &value))
        {
          g_set_error_literal (error, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                               ORDERLY_REST_INT_EXPECTED);
          return FALSE;
        }
      if (param->clamped)
        value = CLAMP (value, param->min, param->max);
      json_object_set_int_member (arguments, param->name, value);
      return TRUE;
    case ORDERLY_REST_PARAM_BOOLEAN:
      json_object_set_boolean_member (arguments, param->name, g_str_equal (text, "true"));
      return TRUE;
    case ORDERLY_REST_PARAM_STRING:
    default:
      json_object_set_string_member (arguments, param->name, text);
      return TRUE;
    }
}

/**
 * orderly_rest_params_parse:
 * @params: a route's parameters, ending with a %NULL name
 * @query: (nullable): the request's decoded query
 *
 * Reads a route's query parameters into a command's arguments: each one
 * given or with a fallback becomes a member of its kind.
 *
 * Returns: (transfer full) (nullable): the arguments object, or %NULL with
 *   @error set (%ORDERLY_ERROR_INVALID_ARGUMENT) when one is malformed
 */
JsonNode *
orderly_rest_params_parse (const OrderlyRestParam  *params,
                           GHashTable              *query,
                           GError                 **error)
{
  g_autoptr(JsonObject) arguments = json_object_new ();
  JsonNode *node;

  g_return_val_if_fail (params != NULL, NULL);

  for (const OrderlyRestParam *param = params; param->name != NULL; param++)
    {
      const char *text = query != NULL ? g_hash_table_lookup (query, param->name) : NULL;

      if (text == NULL)
        text = param->fallback;
      if (text != NULL && !add_param (arguments, param, text, error))
        return NULL;
    }
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, arguments);
  return node;
}
