/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-json"

#include "config.h"

#include <math.h>

#include "orderly-json-writer.h"

/**
 * orderly_json_writer_init:
 * @out: where the text goes; the writer appends to it
 */
void
orderly_json_writer_init (OrderlyJsonWriter *self,
                          GString           *out)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (out != NULL);

  self->out = out;
  self->depth = 0;
  self->has_items = 0;
  self->after_name = FALSE;
}

/* Before a value or a member name: the comma, unless it follows a name or
 * comes first in its container. */
static void
separate (OrderlyJsonWriter *self)
{
  guint64 bit = G_GUINT64_CONSTANT (1) << self->depth;

  if (self->after_name)
    self->after_name = FALSE;
  else if (self->has_items & bit)
    g_string_append_c (self->out, ',');
  self->has_items |= bit;
}

static void
open_container (OrderlyJsonWriter *self,
                char               bracket)
{
  g_return_if_fail (self->depth < ORDERLY_JSON_WRITER_MAX_DEPTH);

  separate (self);
  g_string_append_c (self->out, bracket);
  self->depth++;
  self->has_items &= ~(G_GUINT64_CONSTANT (1) << self->depth);
}

static void
close_container (OrderlyJsonWriter *self,
                 char               bracket)
{
  g_return_if_fail (self->depth > 0);
  g_return_if_fail (!self->after_name);

  self->depth--;
  g_string_append_c (self->out, bracket);
}

void
orderly_json_writer_begin_object (OrderlyJsonWriter *self)
{
  open_container (self, '{');
}

void
orderly_json_writer_end_object (OrderlyJsonWriter *self)
{
  close_container (self, '}');
}

void
orderly_json_writer_begin_array (OrderlyJsonWriter *self)
{
  open_container (self, '[');
}

void
orderly_json_writer_end_array (OrderlyJsonWriter *self)
{
  close_container (self, ']');
}

static gboolean
needs_escape (guchar c)
{
  return c < 0x20 || c == '"' || c == '\\' || c == 0x7f;
}

/* Text from outside may be anything (a client's bytes, a file name); what
 * goes out is UTF-8 with every control character escaped. */
static void
append_string (GString    *out,
               const char *text)
{
  g_autofree char *valid = NULL;
  const guchar *run;
  const guchar *p;

  if (!g_utf8_validate (text, -1, NULL))
    text = valid = g_utf8_make_valid (text, -1);

  g_string_append_c (out, '"');
  run = (const guchar *) text;
  for (p = run; *p != '\0'; p++)
    {
      if (!needs_escape (*p))
        continue;
      g_string_append_len (out, (const char *) run, p - run);
      run = p + 1;
      switch (*p)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        default: g_string_append_printf (out, "\\u%04x", *p); break;
        }
    }
  g_string_append_len (out, (const char *) run, p - run);
  g_string_append_c (out, '"');
}

/**
 * orderly_json_writer_member:
 * @name: the member's name; its value is written next
 */
void
orderly_json_writer_member (OrderlyJsonWriter *self,
                            const char        *name)
{
  g_return_if_fail (self->depth > 0);
  g_return_if_fail (!self->after_name);
  g_return_if_fail (name != NULL);

  separate (self);
  append_string (self->out, name);
  g_string_append_c (self->out, ':');
  self->after_name = TRUE;
}

/**
 * orderly_json_writer_string:
 * @value: (nullable): the text, or %NULL for `null`
 */
void
orderly_json_writer_string (OrderlyJsonWriter *self,
                            const char        *value)
{
  separate (self);
  if (value != NULL)
    append_string (self->out, value);
  else
    g_string_append (self->out, "null");
}

void
orderly_json_writer_int (OrderlyJsonWriter *self,
                         gint64             value)
{
  separate (self);
  g_string_append_printf (self->out, "%" G_GINT64_FORMAT, value);
}

static void
append_double (GString *out,
               double   value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  /* 15 significant digits print 0.05 as 0.05, not 0.050000000000000003;
   * JSON has no NaN nor infinity. */
  if (isfinite (value))
    g_string_append (out, g_ascii_formatd (buffer, sizeof buffer, "%.15g", value));
  else
    g_string_append (out, "null");
}

/**
 * orderly_json_writer_double:
 *
 * Writes @value in its shortest readable form; NaN and infinities as `null`.
 */
void
orderly_json_writer_double (OrderlyJsonWriter *self,
                            double             value)
{
  separate (self);
  append_double (self->out, value);
}

void
orderly_json_writer_boolean (OrderlyJsonWriter *self,
                             gboolean           value)
{
  separate (self);
  g_string_append (self->out, value ? "true" : "false");
}

void
orderly_json_writer_null (OrderlyJsonWriter *self)
{
  separate (self);
  g_string_append (self->out, "null");
}

static void
append_node (GString  *out,
             JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        g_autoptr(GList) members = json_object_get_members (object);

        g_string_append_c (out, '{');
        for (GList *l = members; l != NULL; l = l->next)
          {
            if (l != members)
              g_string_append_c (out, ',');
            append_string (out, l->data);
            g_string_append_c (out, ':');
            append_node (out, json_object_get_member (object, l->data));
          }
        g_string_append_c (out, '}');
      }
      break;

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint length = json_array_get_length (array);

        g_string_append_c (out, '[');
        for (guint i = 0; i < length; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            append_node (out, json_array_get_element (array, i));
          }
        g_string_append_c (out, ']');
      }
      break;

    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_INT64:
          g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
          break;
        case G_TYPE_DOUBLE:
          append_double (out, json_node_get_double (node));
          break;
        case G_TYPE_BOOLEAN:
          g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
          break;
        case G_TYPE_STRING:
          append_string (out, json_node_get_string (node));
          break;
        default:
          g_string_append (out, "null");
          break;
        }
      break;

    case JSON_NODE_NULL:
    default:
      g_string_append (out, "null");
      break;
    }
}

/**
 * orderly_json_writer_node:
 * @node: (nullable): a JSON tree, written whole; %NULL for `null`
 */
void
orderly_json_writer_node (OrderlyJsonWriter *self,
                          JsonNode          *node)
{
  separate (self);
  if (node != NULL)
    append_node (self->out, node);
  else
    g_string_append (self->out, "null");
}

/**
 * orderly_json_writer_raw:
 * @json: one JSON value as text that this writer wrote, e.g. a log line
 *   serialised once for every client
 */
void
orderly_json_writer_raw (OrderlyJsonWriter *self,
                         const char        *json)
{
  g_return_if_fail (json != NULL);

  separate (self);
  g_string_append (self->out, json);
}

/**
 * orderly_json_to_string:
 *
 * Returns: (transfer full): @node as compact JSON text, as
 *   #OrderlyJsonWriter writes it
 */
char *
orderly_json_to_string (JsonNode *node)
{
  GString *out;

  g_return_val_if_fail (node != NULL, NULL);

  out = g_string_sized_new (256);
  append_node (out, node);
  return g_string_free (out, FALSE);
}
