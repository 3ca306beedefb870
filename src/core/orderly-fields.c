/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-core"

#include "config.h"

#include "orderly-fields.h"
#include "orderly-types.h"

#define AT(base, field) ((guint8 *) (base) + (field)->offset)
#define AT_CONST(base, field) ((const guint8 *) (base) + (field)->offset)

/**
 * orderly_field_get_value:
 * @base: the struct that holds the field
 * @value: initialised to the property's type
 */
void
orderly_field_get_value (const OrderlyField *field,
                         gconstpointer       base,
                         GValue             *value)
{
  gconstpointer ptr = AT_CONST (base, field);

  switch (field->type)
    {
    case ORDERLY_FIELD_INT64:
      g_value_set_int64 (value, *(const gint64 *) ptr);
      break;
    case ORDERLY_FIELD_INT:
      g_value_set_int (value, *(const int *) ptr);
      break;
    case ORDERLY_FIELD_UINT:
      g_value_set_uint (value, *(const guint *) ptr);
      break;
    case ORDERLY_FIELD_DOUBLE:
      g_value_set_double (value, *(const double *) ptr);
      break;
    case ORDERLY_FIELD_BOOLEAN:
      g_value_set_boolean (value, *(const gboolean *) ptr);
      break;
    case ORDERLY_FIELD_PHASE:
      g_value_set_enum (value, *(const OrderlyPhase *) ptr);
      break;
    case ORDERLY_FIELD_STRING:
      g_value_set_string (value, *(char * const *) ptr);
      break;
    default:
      g_assert_not_reached ();
    }
}

/**
 * orderly_field_copy:
 * @base: the struct to update
 * @from: a struct of the same type, whose value is copied (a string is
 *   duplicated)
 *
 * Returns: whether the value changed
 */
gboolean
orderly_field_copy (const OrderlyField *field,
                    gpointer            base,
                    gconstpointer       from)
{
  gpointer old = AT (base, field);
  gconstpointer new = AT_CONST (from, field);
  gboolean differs;

  switch (field->type)
    {
    case ORDERLY_FIELD_INT64:
      differs = *(gint64 *) old != *(const gint64 *) new;
      *(gint64 *) old = *(const gint64 *) new;
      break;
    case ORDERLY_FIELD_INT:
      differs = *(int *) old != *(const int *) new;
      *(int *) old = *(const int *) new;
      break;
    case ORDERLY_FIELD_UINT:
      differs = *(guint *) old != *(const guint *) new;
      *(guint *) old = *(const guint *) new;
      break;
    case ORDERLY_FIELD_DOUBLE:
      differs = *(double *) old != *(const double *) new;
      *(double *) old = *(const double *) new;
      break;
    case ORDERLY_FIELD_BOOLEAN:
      differs = !*(gboolean *) old != !*(const gboolean *) new;
      *(gboolean *) old = !!*(const gboolean *) new;
      break;
    case ORDERLY_FIELD_PHASE:
      differs = *(OrderlyPhase *) old != *(const OrderlyPhase *) new;
      *(OrderlyPhase *) old = *(const OrderlyPhase *) new;
      break;
    case ORDERLY_FIELD_STRING:
      differs = g_strcmp0 (*(char **) old, *(char * const *) new) != 0;
      if (differs)
        {
          g_free (*(char **) old);
          *(char **) old = g_strdup (*(char * const *) new);
        }
      break;
    default:
      g_assert_not_reached ();
    }
  return differs;
}

/**
 * orderly_field_clear:
 *
 * Frees what @base owns in the field (its string).
 */
void
orderly_field_clear (const OrderlyField *field,
                     gpointer            base)
{
  if (field->type == ORDERLY_FIELD_STRING)
    g_clear_pointer ((char **) AT (base, field), g_free);
}
