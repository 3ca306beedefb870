/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * OrderlyIntegerParse:
 * @ORDERLY_INTEGER_OK: a number, within 64 bits
 * @ORDERLY_INTEGER_MALFORMED: not `-?[0-9]+`
 * @ORDERLY_INTEGER_OUT_OF_RANGE: written right, but beyond 64 bits
 *
 * What orderly_integer_parse() found.
 */
typedef enum
{
  ORDERLY_INTEGER_OK,
  ORDERLY_INTEGER_MALFORMED,
  ORDERLY_INTEGER_OUT_OF_RANGE,
} OrderlyIntegerParse;

OrderlyIntegerParse orderly_integer_parse (const char *text,
                                           gint64     *value);

G_END_DECLS
