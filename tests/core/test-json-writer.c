/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "orderly-json-writer.h"

/* The one JSON writer: what it escapes, how it writes numbers, where the
 * commas go. */

static JsonNode *
parse (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  if (!json_parser_load_from_data (parser, text, -1, &error))
    g_error ("not JSON (%s): %s", error->message, text);
  return json_node_ref (json_parser_get_root (parser));
}

static char *
write_string (const char *value)
{
  GString *out = g_string_new (NULL);
  OrderlyJsonWriter writer;

  orderly_json_writer_init (&writer, out);
  orderly_json_writer_string (&writer, value);
  return g_string_free (out, FALSE);
}

static void
test_json_writer_escapes (void)
{
  GString *all = g_string_new (NULL);
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) back = NULL;

  for (int c = 1; c < 0x80; c++)
    g_string_append_c (all, c);
  text = write_string (all->str);

  /* Nothing below 0x20 nor DEL stays raw: JSON.parse() and Engine.IO's
   * polling payloads (split at 0x1e) rely on it. */
  for (const char *p = text; *p != '\0'; p++)
    g_assert_true ((guchar) *p >= 0x20 && (guchar) *p != 0x7f);
  g_assert_nonnull (strstr (text, "\\u001e"));
  g_assert_nonnull (strstr (text, "\\u007f"));
  g_assert_nonnull (strstr (text, "\\n"));
  g_assert_nonnull (strstr (text, "\\\""));
  g_assert_nonnull (strstr (text, "\\\\"));

  back = parse (text);
  g_assert_cmpstr (json_node_get_string (back), ==, all->str);
  g_string_free (all, TRUE);
}

static void
test_json_writer_invalid_utf8 (void)
{
  g_autofree char *text = write_string ("caf\xc3\xa9 \xff\xfe end");
  g_autoptr(JsonNode) back = NULL;

  g_assert_true (g_utf8_validate (text, -1, NULL));
  back = parse (text);
  g_assert_true (g_str_has_prefix (json_node_get_string (back), "caf\xc3\xa9 "));
  g_assert_true (g_str_has_suffix (json_node_get_string (back), " end"));
  g_assert_nonnull (strstr (json_node_get_string (back), "\xef\xbf\xbd"));
}

static void
test_json_writer_numbers (void)
{
  GString *out = g_string_new (NULL);
  OrderlyJsonWriter writer;

  orderly_json_writer_init (&writer, out);
  orderly_json_writer_begin_array (&writer);
  orderly_json_writer_double (&writer, 0.05);
  orderly_json_writer_double (&writer, 15.015);
  orderly_json_writer_double (&writer, 3.0);
  orderly_json_writer_double (&writer, NAN);
  orderly_json_writer_double (&writer, INFINITY);
  orderly_json_writer_int (&writer, G_MAXINT64);
  orderly_json_writer_int (&writer, -7);
  orderly_json_writer_boolean (&writer, TRUE);
  orderly_json_writer_null (&writer);
  orderly_json_writer_string (&writer, NULL);
  orderly_json_writer_end_array (&writer);

  g_assert_cmpstr (out->str, ==, "[0.05,15.015,3,null,null,9223372036854775807,-7,true,null,null]");
  g_string_free (out, TRUE);
}

static void
test_json_writer_structure (void)
{
  GString *out = g_string_new ("42");
  OrderlyJsonWriter writer;
  g_autoptr(JsonNode) data = parse ("{\"b\":[1,{\"c\":null}],\"a\":\"x\"}");

  orderly_json_writer_init (&writer, out);
  orderly_json_writer_begin_array (&writer);
  orderly_json_writer_string (&writer, "event");
  orderly_json_writer_begin_object (&writer);
  orderly_json_writer_member (&writer, "empty");
  orderly_json_writer_begin_object (&writer);
  orderly_json_writer_end_object (&writer);
  orderly_json_writer_member (&writer, "list");
  orderly_json_writer_begin_array (&writer);
  orderly_json_writer_end_array (&writer);
  orderly_json_writer_member (&writer, "raw");
  orderly_json_writer_raw (&writer, "{\"already\":true}");
  orderly_json_writer_member (&writer, "node");
  orderly_json_writer_node (&writer, data);
  orderly_json_writer_member (&writer, "na\"me");
  orderly_json_writer_int (&writer, 1);
  orderly_json_writer_end_object (&writer);
  orderly_json_writer_raw (&writer, "[]");
  orderly_json_writer_node (&writer, NULL);
  orderly_json_writer_end_array (&writer);

  g_assert_cmpstr (out->str, ==,
                   "42[\"event\",{\"empty\":{},\"list\":[],\"raw\":{\"already\":true},"
                   "\"node\":{\"b\":[1,{\"c\":null}],\"a\":\"x\"},\"na\\\"me\":1},[],null]");
  g_string_free (out, TRUE);
}

static void
test_json_writer_node (void)
{
  const char *text = "{\"phase\":\"IDLE\",\"n\":[1,2.5,-3,true,false,null],"
                     "\"nested\":{\"deep\":{\"er\":[[],{}]}},\"s\":\"tab\\there\"}";
  g_autoptr(JsonNode) node = parse (text);
  g_autofree char *written = orderly_json_to_string (node);

  /* Members keep their order; the text is compact. */
  g_assert_cmpstr (written, ==, text);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/orderly/json-writer/escapes", test_json_writer_escapes);
  g_test_add_func ("/orderly/json-writer/invalid-utf8", test_json_writer_invalid_utf8);
  g_test_add_func ("/orderly/json-writer/numbers", test_json_writer_numbers);
  g_test_add_func ("/orderly/json-writer/structure", test_json_writer_structure);
  g_test_add_func ("/orderly/json-writer/node", test_json_writer_node);

  return g_test_run ();
}
