/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-server"

#include "config.h"

#include <string.h>

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

/**
 * orderly_rest_path_match:
 * @pattern: a route's path, where a segment `{name}` stands for any one
 *   segment
 * @path: the request's path
 * @captures: (nullable): where each `{name}` segment of @path goes, as a
 *   string member `name`, percent-decoded
 *
 * Returns: whether @path is one of @pattern's; a segment that does not
 *   decode to text without `/` or NUL matches nothing
 */
gboolean
orderly_rest_path_match (const char *pattern,
                         const char *path,
                         JsonObject *captures)
{
  gboolean segment_start = FALSE;

  g_return_val_if_fail (pattern != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  while (*pattern != '\0' && *path != '\0')
    {
      if (segment_start && pattern[0] == '{')
        {
          const char *name_end = strchr (pattern, '}');
          gsize length = strcspn (path, "/");
          g_autofree char *raw = g_strndup (path, length);
          g_autofree char *value = g_uri_unescape_string (raw, "/");

          g_assert (name_end != NULL);
          if (length == 0 || value == NULL)
            return FALSE;
          if (captures != NULL)
            {
              g_autofree char *name = g_strndup (pattern + 1, name_end - pattern - 1);

              json_object_set_string_member (captures, name, value);
            }
          pattern = name_end + 1;
          path += length;
          segment_start = FALSE;
          continue;
        }
      if (*pattern != *path)
        return FALSE;
      segment_start = *pattern == '/';
      pattern++;
      path++;
    }
  return *pattern == '\0' && *path == '\0';
}
