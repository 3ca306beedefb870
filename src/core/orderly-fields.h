/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/*
 * A plain struct whose fields are an object's properties: OrderlyStatus over
 * OrderlyStatusData, OrderlyRun over OrderlyRunRecord. A table of fields
 * says where each property lives; these helpers read, copy and compare them,
 * so that an update notifies only what changed.
 */
typedef enum
{
  ORDERLY_FIELD_INT64,
  ORDERLY_FIELD_INT,
  ORDERLY_FIELD_UINT,
  ORDERLY_FIELD_DOUBLE,
  ORDERLY_FIELD_BOOLEAN,
  ORDERLY_FIELD_PHASE,
  ORDERLY_FIELD_STRING,   /* a char * the struct owns */
} OrderlyFieldType;

typedef struct
{
  const char       *name;
  OrderlyFieldType  type;
  gsize             offset;
} OrderlyField;

#define ORDERLY_FIELD_DEFINE(prop, name, type, struct_type, member) \
  [prop] = { name, ORDERLY_FIELD_##type, G_STRUCT_OFFSET (struct_type, member) }

void     orderly_field_get_value (const OrderlyField *field,
                                  gconstpointer       base,
                                  GValue             *value);
gboolean orderly_field_copy      (const OrderlyField *field,
                                  gpointer            base,
                                  gconstpointer       from);
void     orderly_field_clear     (const OrderlyField *field,
                                  gpointer            base);

G_END_DECLS
