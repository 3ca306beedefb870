/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-server"

#include "config.h"

#include "orderly-integer.h"

/**
 * orderly_integer_parse:
 * @text: (nullable): what a client wrote for a number
 * @value: (out): the number; past 64 bits, the largest one of its sign
 *
 * The one reading of an integer a client sends, wherever it comes from (a
 * query parameter, a JSON string, a Content-Length): decimal digits with
 * an optional leading `-`, and nothing else, so no space, `+`, hex, octal
 * or exponent.
 *
 * Returns: whether @text is such a number, and whether it fits
 */
OrderlyIntegerParse
orderly_integer_parse (const char *text,
                       gint64     *value)
{
  gboolean negative;
  guint64 magnitude = 0;
  guint64 bound;

  g_return_val_if_fail (value != NULL, ORDERLY_INTEGER_MALFORMED);

  *value = 0;
  if (text == NULL)
    return ORDERLY_INTEGER_MALFORMED;
  negative = text[0] == '-';
  if (negative)
    text++;
  if (*text == '\0')
    return ORDERLY_INTEGER_MALFORMED;
  bound = negative ? (guint64) G_MAXINT64 + 1 : (guint64) G_MAXINT64;
  for (const char *c = text; *c != '\0'; c++)
    {
      if (!g_ascii_isdigit (*c))
        return ORDERLY_INTEGER_MALFORMED;
      if (magnitude > (bound - (guint64) (*c - '0')) / 10)
        {
          for (c++; *c != '\0'; c++)
            if (!g_ascii_isdigit (*c))
              return ORDERLY_INTEGER_MALFORMED;
          *value = negative ? G_MININT64 : G_MAXINT64;
          return ORDERLY_INTEGER_OUT_OF_RANGE;
        }
      magnitude = magnitude * 10 + (guint64) (*c - '0');
    }
  *value = negative ? (gint64) (0 - magnitude) : (gint64) magnitude;
  return ORDERLY_INTEGER_OK;
}
