/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "orderly-json-reader.h"
#include "orderly-json-writer.h"

static void
expect_valid (const char *text,
              const char *written)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = orderly_json_parse (text, strlen (text), &error);
  g_autofree char *again = NULL;

  g_test_message ("valid: %s", text);
  g_assert_no_error (error);
  g_assert_nonnull (node);
  again = orderly_json_to_string (node);
  g_assert_cmpstr (again, ==, written);
}

static void
expect_invalid (const char *text,
                gsize       length,
                int         code)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *start = g_strndup (text, MIN (length, 60));
  g_autofree char *shown = g_strescape (start, NULL);

  g_test_message ("invalid: %s", shown);
  g_assert_false (orderly_json_check (text, length, &error));
  g_assert_error (error, ORDERLY_JSON_ERROR, code);
  g_assert_true (g_str_has_prefix (error->message, "Invalid JSON"));
  g_clear_error (&error);
  g_assert_null (orderly_json_parse (text, length, &error));
  g_assert_error (error, ORDERLY_JSON_ERROR, code);
}

static void
test_json_reader_valid (void)
{
  expect_valid ("{}", "{}");
  expect_valid (" [ ] ", "[]");
  expect_valid ("{\"a\":[1,-2,0.5,-0,1e3,1E-2,2.5e+1],\"b\":{\"c\":null},\"d\":true,\"e\":false}",
                "{\"a\":[1,-2,0.5,0,1000,0.01,25],\"b\":{\"c\":null},\"d\":true,\"e\":false}");
  expect_valid ("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"", "\"\\\"\\\\/\\b\\f\\n\\r\\té😀\"");
  expect_valid ("[9223372036854775807,-9223372036854775808]", "[9223372036854775807,-9223372036854775808]");
  expect_valid ("[123456789012345678901234567890.0]", "[1.23456789012346e+29]");
  expect_valid ("[1e-400,1e308]", "[0,1e+308]");
  expect_valid ("\t\r\n7\n", "7");
  expect_valid ("\"é\"", "\"é\"");
}

static void
test_json_reader_not_json (void)
{
  static const char *cases[] = {
    "", " ", "[", "]", "{", "}", "[1,]", "{\"a\":1,}", "[,1]", "{,}", "[1 2]", "{\"a\" 1}",
    "{\"a\":}", "{1:2}", "{'a':1}", "['x']", "[0x10]", "[010]", "[01]", "[.5]", "[1.]",
    "[+1]", "[-]", "[1e]", "[1e+]", "[Infinity]", "[NaN]", "[tru]", "[nulll]", "[True]",
    "[1]x", "[1] [2]", "{} {}", "[1]/*c*/", "/*c*/[1]", "[1,/ 2 /3]", "// c\n[1]", "#[1]",
    "[$10]", "[\"a\nb\"]", "[\"a\tb\"]", "[\"\\x41\"]", "[\"\\u12\"]", "[\"\\u12G4\"]",
    "[\"\\ud800\"]", "[\"\\ud800\\u0041\"]", "[\"\\udc00\"]", "[\"abc]", "[\"\\\"]",
    /* json-glib's lexer would see other string boundaries than JSON's */
    "[\"\\u1\" \", [[[", "[\"\\uD800\"x\", [[[", "['\"', [[[", "[/\"/ [[[",
    "\xef\xbb\xbf[1]", "[\"\xff\"]", "[1]\f",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    expect_invalid (cases[i], strlen (cases[i]), ORDERLY_JSON_ERROR_SYNTAX);

  /* A NUL byte, inside a string and outside. */
  expect_invalid ("[\"a\0b\"]", 7, ORDERLY_JSON_ERROR_SYNTAX);
  expect_invalid ("[1]\0", 4, ORDERLY_JSON_ERROR_SYNTAX);
}

static void
test_json_reader_range (void)
{
  static const char *cases[] = {
    "[9223372036854775808]", "[-9223372036854775809]", "[18446744073709551616]",
    "{\"quantity\":400000000000000000000000000000000000000000}",
    "[2e7771]", "[-1e309]", "[1.5E+400]",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    expect_invalid (cases[i], strlen (cases[i]), ORDERLY_JSON_ERROR_RANGE);
}

static char *
nested (guint       depth,
        const char *prefix)
{
  GString *text = g_string_new (prefix);

  for (guint i = 0; i < depth; i++)
    g_string_append (text, i % 2 ? "{\"k\":" : "[");
  g_string_append (text, "1");
  for (guint i = depth; i > 0; i--)
    g_string_append (text, (i - 1) % 2 ? "}" : "]");
  return g_string_free (text, FALSE);
}

static void
test_json_reader_depth (void)
{
  g_autofree char *deepest = nested (ORDERLY_JSON_READER_MAX_DEPTH, "");
  g_autofree char *too_deep = nested (ORDERLY_JSON_READER_MAX_DEPTH + 1, "");
  static const char bypass[] = "[\"\\u1\" \", ";
  g_autoptr(GString) huge = g_string_new (bypass);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = orderly_json_parse (deepest, strlen (deepest), &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);

  expect_invalid (too_deep, strlen (too_deep), ORDERLY_JSON_ERROR_DEPTH);

  /* Deep enough to overflow json-glib's recursion on the stack. */
  for (guint i = 0; i < 200000; i++)
    g_string_append_c (huge, '[');
  expect_invalid (huge->str + strlen (bypass), huge->len - strlen (bypass), ORDERLY_JSON_ERROR_DEPTH);
  /* A string json-glib 1.6 would close earlier than JSON does. */
  expect_invalid (huge->str, huge->len, ORDERLY_JSON_ERROR_SYNTAX);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/orderly/json-reader/valid", test_json_reader_valid);
  g_test_add_func ("/orderly/json-reader/not-json", test_json_reader_not_json);
  g_test_add_func ("/orderly/json-reader/range", test_json_reader_range);
  g_test_add_func ("/orderly/json-reader/depth", test_json_reader_depth);

  return g_test_run ();
}
