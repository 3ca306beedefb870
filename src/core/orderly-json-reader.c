/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-json"

#include "config.h"

#include <math.h>
#include <string.h>

#include "orderly-json-reader.h"

/* json-glib 1.6 is not a JSON parser to hand text from the network: it
 * recurses once per nesting level with no limit (100,000 `[` overflow the
 * main thread's stack), and its lexer takes more than JSON: comments
 * (any `/` outside a string opens one), single-quoted strings, hex and
 * octal numbers, integers that wrap past 64 bits, and `\u` escapes that
 * swallow the character after them. So every text is first read here, in
 * one pass without recursion, against RFC 8259 and a depth limit; only text
 * that passes reaches json-glib, and on such text json-glib sees the same
 * strings and numbers this reader saw. */

G_DEFINE_QUARK (orderly-json-error-quark, orderly_json_error)

typedef enum
{
  WANT_VALUE,             /* the top, or after `:` or an array's `,` */
  WANT_VALUE_OR_CLOSE,    /* just after `[` */
  WANT_KEY,               /* after an object's `,` */
  WANT_KEY_OR_CLOSE,      /* just after `{` */
  WANT_COLON,
  WANT_COMMA_OR_CLOSE,    /* after a value inside a container */
  WANT_END,               /* after the top value */
} State;

typedef struct
{
  const char *text;
  gsize       length;
  gsize       pos;
  guint       depth;
  /* bit d - 1 for depth d: set for an object, clear for an array */
  guint64     objects;
} Reader;

G_STATIC_ASSERT (ORDERLY_JSON_READER_MAX_DEPTH <= 64);

static gboolean
fail (Reader     *reader,
      GError    **error,
      const char *what)
{
  g_set_error (error, ORDERLY_JSON_ERROR, ORDERLY_JSON_ERROR_SYNTAX,
               "Invalid JSON at byte %" G_GSIZE_FORMAT ": %s", reader->pos, what);
  return FALSE;
}

static gboolean
read_hex4 (Reader   *reader,
           gunichar *value)
{
  *value = 0;
  if (reader->length - reader->pos < 4)
    return FALSE;
  for (guint i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (reader->text[reader->pos + i]);

      if (digit < 0)
        return FALSE;
      *value = (*value << 4) | (gunichar) digit;
    }
  reader->pos += 4;
  return TRUE;
}

/* At the opening quote. Characters below U+0020 must be escaped; a `\u`
 * takes exactly four hex digits, and a surrogate only as a whole pair. */
static gboolean
read_string (Reader  *reader,
             GError **error)
{
  reader->pos++;
  for (;;)
    {
      guchar c;

      if (reader->pos >= reader->length)
        return fail (reader, error, "unterminated string");
      c = reader->text[reader->pos];
      if (c == '"')
        {
          reader->pos++;
          return TRUE;
        }
      if (c < 0x20)
        return fail (reader, error, "control character in a string");
      reader->pos++;
      if (c != '\\')
        continue;

      if (reader->pos >= reader->length)
        return fail (reader, error, "unterminated string");
      c = reader->text[reader->pos++];
      if (c == 'u')
        {
          gunichar unit, low;

          if (!read_hex4 (reader, &unit))
            return fail (reader, error, "\\u takes four hex digits");
          if (unit >= 0xDC00 && unit <= 0xDFFF)
            return fail (reader, error, "lone low surrogate");
          if (unit >= 0xD800 && unit <= 0xDBFF &&
              !(reader->length - reader->pos >= 6 &&
                reader->text[reader->pos] == '\\' && reader->text[reader->pos + 1] == 'u' &&
                (reader->pos += 2, read_hex4 (reader, &low)) &&
                low >= 0xDC00 && low <= 0xDFFF))
            return fail (reader, error, "high surrogate without its low half");
        }
      else if (c != '"' && c != '\\' && c != '/' && c != 'b' && c != 'f' &&
               c != 'n' && c != 'r' && c != 't')
        return fail (reader, error, "unknown escape");
    }
}

static gboolean
at_digit (Reader *reader)
{
  return reader->pos < reader->length && g_ascii_isdigit (reader->text[reader->pos]);
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?; an integer (no fraction,
 * no exponent) must fit in a gint64, which json-glib would wrap. */
static gboolean
read_number (Reader  *reader,
             GError **error)
{
  gsize start = reader->pos;
  gboolean negative = FALSE;
  gboolean integer = TRUE;
  guint64 magnitude = 0;
  gboolean overflow = FALSE;

  if (reader->text[reader->pos] == '-')
    {
      negative = TRUE;
      reader->pos++;
    }
  if (!at_digit (reader))
    return fail (reader, error, "a number needs a digit");
  if (reader->text[reader->pos] == '0')
    {
      reader->pos++;
      if (at_digit (reader))
        return fail (reader, error, "leading zero");
    }
  else
    while (at_digit (reader))
      {
        guint digit = reader->text[reader->pos++] - '0';

        if (magnitude > (G_MAXUINT64 - digit) / 10)
          overflow = TRUE;
        else
          magnitude = magnitude * 10 + digit;
      }

  if (reader->pos < reader->length && reader->text[reader->pos] == '.')
    {
      integer = FALSE;
      reader->pos++;
      if (!at_digit (reader))
        return fail (reader, error, "a fraction needs a digit");
      while (at_digit (reader))
        reader->pos++;
    }
  if (reader->pos < reader->length &&
      (reader->text[reader->pos] == 'e' || reader->text[reader->pos] == 'E'))
    {
      integer = FALSE;
      reader->pos++;
      if (reader->pos < reader->length &&
          (reader->text[reader->pos] == '+' || reader->text[reader->pos] == '-'))
        reader->pos++;
      if (!at_digit (reader))
        return fail (reader, error, "an exponent needs a digit");
      while (at_digit (reader))
        reader->pos++;
    }

  if (integer &&
      (overflow || magnitude > (negative ? (guint64) G_MAXINT64 + 1 : (guint64) G_MAXINT64)))
    {
      g_set_error (error, ORDERLY_JSON_ERROR, ORDERLY_JSON_ERROR_RANGE,
                   "Invalid JSON at byte %" G_GSIZE_FORMAT ": integer out of range", reader->pos);
      return FALSE;
    }
  /* Nor may any other number become an infinity, which JSON cannot write
   * back. */
  if (!integer)
    {
      g_autofree char *number = g_strndup (reader->text + start, reader->pos - start);

      if (!isfinite (g_ascii_strtod (number, NULL)))
        {
          g_set_error (error, ORDERLY_JSON_ERROR, ORDERLY_JSON_ERROR_RANGE,
                       "Invalid JSON at byte %" G_GSIZE_FORMAT ": number out of range", reader->pos);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
read_literal (Reader     *reader,
              const char *word,
              GError    **error)
{
  gsize length = strlen (word);

  if (reader->length - reader->pos < length ||
      memcmp (reader->text + reader->pos, word, length) != 0)
    return fail (reader, error, "unexpected character");
  reader->pos += length;
  return TRUE;
}

/* At the first character of a value that is not a container. */
static gboolean
read_scalar (Reader  *reader,
             GError **error)
{
  switch (reader->text[reader->pos])
    {
    case '"':
      return read_string (reader, error);
    case 't':
      return read_literal (reader, "true", error);
    case 'f':
      return read_literal (reader, "false", error);
    case 'n':
      return read_literal (reader, "null", error);
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
      return read_number (reader, error);
    default:
      return fail (reader, error, "unexpected character");
    }
}

static State
after_value (Reader *reader)
{
  return reader->depth == 0 ? WANT_END : WANT_COMMA_OR_CLOSE;
}

/**
 * orderly_json_check:
 * @text: the text, not necessarily NUL-terminated
 * @length: its length in bytes
 * @error: return location for a #GError
 *
 * Checks that @text is one strict JSON value (RFC 8259) in UTF-8, with
 * objects and arrays nested at most %ORDERLY_JSON_READER_MAX_DEPTH deep and
 * integers that fit in 64 bits. It reads the text once, without recursion.
 *
 * Returns: whether @text is such JSON; if not, @error says where and why
 */
gboolean
orderly_json_check (const char  *text,
                    gsize        length,
                    GError     **error)
{
  Reader reader = { text, length, 0, 0, 0 };
  State state = WANT_VALUE;

  g_return_val_if_fail (text != NULL || length == 0, FALSE);

  if (!g_utf8_validate_len (text, length, NULL))
    {
      g_set_error_literal (error, ORDERLY_JSON_ERROR, ORDERLY_JSON_ERROR_SYNTAX,
                           "Invalid JSON: not UTF-8 text");
      return FALSE;
    }

  for (;;)
    {
      char c;

      while (reader.pos < length &&
             (text[reader.pos] == ' ' || text[reader.pos] == '\t' ||
              text[reader.pos] == '\n' || text[reader.pos] == '\r'))
        reader.pos++;

      if (reader.pos >= length)
        {
          if (state == WANT_END)
            return TRUE;
          return fail (&reader, error, length == 0 ? "empty" : "unexpected end");
        }
      c = text[reader.pos];

      switch (state)
        {
        case WANT_END:
          return fail (&reader, error, "text after the value");

        case WANT_COLON:
          if (c != ':')
            return fail (&reader, error, "expected ':'");
          reader.pos++;
          state = WANT_VALUE;
          break;

        case WANT_KEY_OR_CLOSE:
        case WANT_KEY:
          if (c == '}' && state == WANT_KEY_OR_CLOSE)
            {
              reader.pos++;
              reader.depth--;
              state = after_value (&reader);
              break;
            }
          if (c != '"')
            return fail (&reader, error, "expected a member name");
          if (!read_string (&reader, error))
            return FALSE;
          state = WANT_COLON;
          break;

        case WANT_COMMA_OR_CLOSE:
          {
            gboolean in_object = (reader.objects >> (reader.depth - 1)) & 1;

            if (c == ',')
              {
                reader.pos++;
                state = in_object ? WANT_KEY : WANT_VALUE;
              }
            else if (c == (in_object ? '}' : ']'))
              {
                reader.pos++;
                reader.depth--;
                state = after_value (&reader);
              }
            else
              return fail (&reader, error, in_object ? "expected ',' or '}'" : "expected ',' or ']'");
          }
          break;

        case WANT_VALUE_OR_CLOSE:
        case WANT_VALUE:
          if (c == ']' && state == WANT_VALUE_OR_CLOSE)
            {
              reader.pos++;
              reader.depth--;
              state = after_value (&reader);
            }
          else if (c == '[' || c == '{')
            {
              if (reader.depth >= ORDERLY_JSON_READER_MAX_DEPTH)
                {
                  g_set_error (error, ORDERLY_JSON_ERROR, ORDERLY_JSON_ERROR_DEPTH,
                               "Invalid JSON at byte %" G_GSIZE_FORMAT
                               ": nested deeper than %u levels",
                               reader.pos, ORDERLY_JSON_READER_MAX_DEPTH);
                  return FALSE;
                }
              if (c == '{')
                reader.objects |= G_GUINT64_CONSTANT (1) << reader.depth;
              else
                reader.objects &= ~(G_GUINT64_CONSTANT (1) << reader.depth);
              reader.pos++;
              reader.depth++;
              state = c == '{' ? WANT_KEY_OR_CLOSE : WANT_VALUE_OR_CLOSE;
            }
          else
            {
              if (!read_scalar (&reader, error))
                return FALSE;
              state = after_value (&reader);
            }
          break;

        default:
          g_assert_not_reached ();
        }
    }
}

/**
 * orderly_json_parse:
 * @text: the text, not necessarily NUL-terminated
 * @length: its length in bytes
 * @error: return location for a #GError
 *
 * Parses @text once orderly_json_check() has passed it. Every JSON that
 * comes from outside the process is read through here.
 *
 * Returns: (transfer full): the value, or %NULL with @error set
 */
JsonNode *
orderly_json_parse (const char  *text,
                    gsize        length,
                    GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!orderly_json_check (text, length, error))
    return NULL;

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, text, length, &local_error))
    {
      g_set_error (error, ORDERLY_JSON_ERROR, ORDERLY_JSON_ERROR_SYNTAX,
                   "Invalid JSON: %s", local_error->message);
      return NULL;
    }
  return json_node_ref (json_parser_get_root (parser));
}
