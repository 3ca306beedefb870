/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly"

#include "config.h"

#include <string.h>

#include "orderly-log-writer.h"

/* Log messages carry text that clients chose: an event name, a namespace,
 * a path. Logs are read line by line, so a line break in such text would
 * forge a line of its own, and other control characters could move the
 * terminal's cursor. Every message goes out through this writer, which
 * writes them as escapes, so one message is always one line. */

/**
 * orderly_log_escape:
 * @text: text, not necessarily valid UTF-8
 * @length: its length in bytes, or -1 if it is NUL-terminated
 *
 * Writes control characters as `\n`, `\r`, `\t` or `\xNN`, a backslash as
 * `\\`, and each byte of invalid UTF-8 as `\xNN`; anything else as it is.
 *
 * Returns: (transfer full): the escaped text, on one line
 */
char *
orderly_log_escape (const char *text,
                    gssize      length)
{
  const char *end;
  GString *out;

  g_return_val_if_fail (text != NULL || length == 0, NULL);

  if (length < 0)
    length = strlen (text);
  end = text + length;
  out = g_string_sized_new (length);

  while (text < end)
    {
      guchar c = *text;
      gunichar ch;

      if (c < 0x80)
        {
          if (c == '\n')
            g_string_append (out, "\\n");
          else if (c == '\r')
            g_string_append (out, "\\r");
          else if (c == '\t')
            g_string_append (out, "\\t");
          else if (c == '\\')
            g_string_append (out, "\\\\");
          else if (c < 0x20 || c == 0x7f)
            g_string_append_printf (out, "\\x%02x", c);
          else
            g_string_append_c (out, c);
          text++;
          continue;
        }

      ch = g_utf8_get_char_validated (text, end - text);
      if (ch == (gunichar) -1 || ch == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", c);
          text++;
          continue;
        }
      /* C1 controls and the line and paragraph separators break lines too. */
      if ((ch >= 0x80 && ch < 0xa0) || ch == 0x2028 || ch == 0x2029)
        g_string_append_printf (out, "\\u%04x", ch);
      else
        g_string_append_len (out, text, g_utf8_next_char (text) - text);
      text = g_utf8_next_char (text);
    }
  return g_string_free (out, FALSE);
}

/**
 * orderly_log_writer:
 *
 * A #GLogWriterFunc: GLib's default writer, with the MESSAGE field passed
 * through orderly_log_escape().
 */
GLogWriterOutput
orderly_log_writer (GLogLevelFlags   log_level,
                    const GLogField *fields,
                    gsize            n_fields,
                    gpointer         user_data)
{
  g_autofree GLogField *copy = g_memdup2 (fields, n_fields * sizeof *fields);
  g_autofree char *escaped = NULL;

  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (copy[i].key, "MESSAGE") == 0 && copy[i].value != NULL)
      {
        escaped = orderly_log_escape (copy[i].value, copy[i].length);
        copy[i].value = escaped;
        copy[i].length = -1;
        break;
      }
  return g_log_writer_default (log_level, copy, n_fields, user_data);
}

/**
 * orderly_log_writer_install:
 *
 * Makes orderly_log_writer() the process's log writer. Call it once, before
 * anything logs.
 */
void
orderly_log_writer_install (void)
{
  g_log_set_writer_func (orderly_log_writer, NULL, NULL);
}
