/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "orderly-log-writer.h"

static void
test_log_escape (void)
{
  static const struct { const char *in; gssize length; const char *out; } cases[] = {
    { "plain text, “quoted”, é", -1, "plain text, “quoted”, é" },
    { "a\nb\r\nc\td", -1, "a\\nb\\r\\nc\\td" },
    { "\x1b[2J\x07\x7f", -1, "\\x1b[2J\\x07\\x7f" },
    { "back\\slash", -1, "back\\\\slash" },
    { "bad \xff\xfe utf-8 \xc3", -1, "bad \\xff\\xfe utf-8 \\xc3" },
    { "nul\0after", 9, "nul\\x00after" },
    { "c1 \xc2\x85 and \xe2\x80\xa8", -1, "c1 \\u0085 and \\u2028" },
    { "", -1, "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *escaped = orderly_log_escape (cases[i].in, cases[i].length);

      g_assert_cmpstr (escaped, ==, cases[i].out);
    }
}

/* Through the writer, as the program logs: one message, one line. */
static void
test_log_writer (void)
{
  if (g_test_subprocess ())
    {
      orderly_log_writer_install ();
      g_message ("Refused “%s”", "a\nFORGED: b");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*Refused ?a\\nFORGED: b?*");
  g_test_trap_assert_stderr_unmatched ("*\nFORGED*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/orderly/log-writer/escape", test_log_escape);
  g_test_add_func ("/orderly/log-writer/writer", test_log_writer);

  return g_test_run ();
}
