/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * OrderlyRestParamKind:
 * @ORDERLY_REST_PARAM_INT: an integer, written as NestJS's ParseIntPipe
 *   accepts it (`-?[0-9]+`); anything else is refused with 400
 * @ORDERLY_REST_PARAM_BOOLEAN: `true` is true, anything else false, as the
 *   Node system compares its flags
 * @ORDERLY_REST_PARAM_STRING: the text as it came
 *
 * How a query parameter is read.
 */
typedef enum
{
  ORDERLY_REST_PARAM_INT,
  ORDERLY_REST_PARAM_BOOLEAN,
  ORDERLY_REST_PARAM_STRING,
} OrderlyRestParamKind;

/**
 * OrderlyRestParam:
 * @name: the query parameter, and the command argument it becomes
 * @kind: how it is read
 * @fallback: (nullable): its value when absent, as text; %NULL leaves the
 *   argument out, for the command's own default
 * @clamped: an integer is brought into [@min, @max] rather than refused
 *
 * One query parameter of a route. A route's parameters end with one whose
 * @name is %NULL.
 */
typedef struct
{
  const char           *name;
  OrderlyRestParamKind  kind;
  const char           *fallback;
  gboolean              clamped;
  gint64                min;
  gint64                max;
} OrderlyRestParam;

#define ORDERLY_REST_INT_EXPECTED "Validation failed (numeric string is expected)"

JsonNode *orderly_rest_params_parse (const OrderlyRestParam  *params,
                                     GHashTable              *query,
                                     GError                 **error);
gboolean  orderly_rest_path_match   (const char              *pattern,
                                     const char              *path,
                                     JsonObject              *captures);

G_END_DECLS
