/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Objects and arrays the writer itself opens may nest this deep; a JsonNode
 * written whole may nest deeper. */
#define ORDERLY_JSON_WRITER_MAX_DEPTH 63

/**
 * OrderlyJsonWriter:
 *
 * Writes compact JSON text into a #GString, for everything Orderly sends:
 * REST bodies, /ws frames, Socket.IO packets. Strings always come out as
 * valid UTF-8 with every control character escaped, so the text never holds
 * a raw record separator (Engine.IO's polling delimiter) or anything that
 * JSON.parse() refuses. json-glib 1.6's generator writes both raw, which is
 * why no JSON leaves Orderly through it.
 *
 * Commas are the writer's business: open an object, name a member, write its
 * value, close the object. Text that is already JSON (written by this writer)
 * goes in whole with orderly_json_writer_raw().
 *
 * Lives on the stack; it owns nothing.
 */
typedef struct
{
  GString  *out;
  guint     depth;
  guint64   has_items;   /* one bit per depth: something was written there */
  gboolean  after_name;
} OrderlyJsonWriter;

void  orderly_json_writer_init          (OrderlyJsonWriter *self,
                                         GString           *out);
void  orderly_json_writer_begin_object  (OrderlyJsonWriter *self);
void  orderly_json_writer_end_object    (OrderlyJsonWriter *self);
void  orderly_json_writer_begin_array   (OrderlyJsonWriter *self);
void  orderly_json_writer_end_array     (OrderlyJsonWriter *self);
void  orderly_json_writer_member        (OrderlyJsonWriter *self,
                                         const char        *name);
void  orderly_json_writer_string        (OrderlyJsonWriter *self,
                                         const char        *value);
void  orderly_json_writer_int           (OrderlyJsonWriter *self,
                                         gint64             value);
void  orderly_json_writer_double        (OrderlyJsonWriter *self,
                                         double             value);
void  orderly_json_writer_boolean       (OrderlyJsonWriter *self,
                                         gboolean           value);
void  orderly_json_writer_null          (OrderlyJsonWriter *self);
void  orderly_json_writer_node          (OrderlyJsonWriter *self,
                                         JsonNode          *node);
void  orderly_json_writer_raw           (OrderlyJsonWriter *self,
                                         const char        *json);

char *orderly_json_to_string            (JsonNode          *node);

G_END_DECLS
