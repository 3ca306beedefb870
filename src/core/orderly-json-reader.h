/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Objects and arrays in JSON that Orderly reads may nest this deep. */
#define ORDERLY_JSON_READER_MAX_DEPTH 64

#define ORDERLY_JSON_ERROR (orderly_json_error_quark ())

/**
 * OrderlyJsonError:
 * @ORDERLY_JSON_ERROR_SYNTAX: the text is not strict JSON (RFC 8259)
 * @ORDERLY_JSON_ERROR_DEPTH: objects and arrays nest deeper than
 *   %ORDERLY_JSON_READER_MAX_DEPTH
 * @ORDERLY_JSON_ERROR_RANGE: an integer does not fit in 64 bits, or a number
 *   is too large for a double
 */
typedef enum
{
  ORDERLY_JSON_ERROR_SYNTAX,
  ORDERLY_JSON_ERROR_DEPTH,
  ORDERLY_JSON_ERROR_RANGE,
} OrderlyJsonError;

GQuark    orderly_json_error_quark (void);

gboolean  orderly_json_check       (const char  *text,
                                    gsize        length,
                                    GError     **error);
JsonNode *orderly_json_parse       (const char  *text,
                                    gsize        length,
                                    GError     **error);

G_END_DECLS
