/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-hub"

#include "config.h"

#include <string.h>

#include "orderly-hub-event.h"
#include "orderly-json-writer.h"

struct _OrderlyHubEvent
{
  gatomicrefcount      ref_count;
  OrderlyHubEventKind  kind;
  guint64              seq;
  char                *instance_id;
  char                *data;       /* JSON text; for logs the array, built on first use */
  gsize                size;       /* bytes of JSON held */
  GPtrArray           *lines;      /* logs only: each line's JSON text */
  GBytes              *frame;      /* the /ws frame, built on first use */
  GData               *encodings;  /* other transports' wire forms */
};

G_DEFINE_BOXED_TYPE (OrderlyHubEvent, orderly_hub_event,
                     orderly_hub_event_ref, orderly_hub_event_unref)

const char *
orderly_hub_event_kind_to_name (OrderlyHubEventKind kind)
{
  switch (kind)
    {
    case ORDERLY_HUB_EVENT_CONNECTED: return "connected";
    case ORDERLY_HUB_EVENT_STATUS: return "status";
    case ORDERLY_HUB_EVENT_PROGRESS: return "progress";
    case ORDERLY_HUB_EVENT_LOGS: return "logs";
    case ORDERLY_HUB_EVENT_METRICS: return "metrics";
    default: g_return_val_if_reached ("");
    }
}

/**
 * orderly_hub_event_new:
 * @data_json: (transfer full): the event's data as JSON text
 */
OrderlyHubEvent *
orderly_hub_event_new (OrderlyHubEventKind  kind,
                       guint64              seq,
                       const char          *instance_id,
                       char                *data_json)
{
  OrderlyHubEvent *self = g_new0 (OrderlyHubEvent, 1);

  g_return_val_if_fail (kind != ORDERLY_HUB_EVENT_LOGS, NULL);
  g_return_val_if_fail (data_json != NULL, NULL);

  g_atomic_ref_count_init (&self->ref_count);
  self->kind = kind;
  self->seq = seq;
  self->instance_id = g_strdup (instance_id);
  self->data = data_json;
  self->size = strlen (data_json);
  g_datalist_init (&self->encodings);
  return self;
}

/**
 * orderly_hub_event_new_logs:
 * @lines: (transfer full) (element-type utf8): each line's JSON text, oldest first
 */
OrderlyHubEvent *
orderly_hub_event_new_logs (guint64     seq,
                            const char *instance_id,
                            GPtrArray  *lines)
{
  OrderlyHubEvent *self = g_new0 (OrderlyHubEvent, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->kind = ORDERLY_HUB_EVENT_LOGS;
  self->seq = seq;
  self->instance_id = g_strdup (instance_id);
  self->lines = lines;
  for (guint i = 0; i < lines->len; i++)
    self->size += strlen (lines->pdata[i]) + 1;
  g_datalist_init (&self->encodings);
  return self;
}

/* The lines from @first_line on, as one JSON array. */
static void
write_lines (OrderlyHubEvent   *self,
             OrderlyJsonWriter *writer,
             guint              first_line)
{
  orderly_json_writer_begin_array (writer);
  for (guint i = first_line; i < self->lines->len; i++)
    orderly_json_writer_raw (writer, self->lines->pdata[i]);
  orderly_json_writer_end_array (writer);
}

static char *
join_lines (OrderlyHubEvent *self)
{
  GString *data = g_string_sized_new (self->size + 2);
  OrderlyJsonWriter writer;

  orderly_json_writer_init (&writer, data);
  write_lines (self, &writer, 0);
  return g_string_free (data, FALSE);
}

OrderlyHubEvent *
orderly_hub_event_ref (OrderlyHubEvent *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
orderly_hub_event_unref (OrderlyHubEvent *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_datalist_clear (&self->encodings);
  g_clear_pointer (&self->frame, g_bytes_unref);
  g_clear_pointer (&self->lines, g_ptr_array_unref);
  g_free (self->data);
  g_free (self->instance_id);
  g_free (self);
}

OrderlyHubEventKind
orderly_hub_event_get_kind (OrderlyHubEvent *self)
{
  return self->kind;
}

/**
 * orderly_hub_event_get_name:
 *
 * Returns: the event's name on the wire: `status`, `logs`…
 */
const char *
orderly_hub_event_get_name (OrderlyHubEvent *self)
{
  return orderly_hub_event_kind_to_name (self->kind);
}

guint64
orderly_hub_event_get_seq (OrderlyHubEvent *self)
{
  return self->seq;
}

const char *
orderly_hub_event_get_instance_id (OrderlyHubEvent *self)
{
  return self->instance_id;
}

/**
 * orderly_hub_event_get_data:
 *
 * Returns: the data as JSON text; for `logs` an array of the lines
 */
const char *
orderly_hub_event_get_data (OrderlyHubEvent *self)
{
  if (self->data == NULL)
    self->data = join_lines (self);
  return self->data;
}

/**
 * orderly_hub_event_get_size:
 *
 * Returns: about how many bytes of JSON @self holds
 */
gsize
orderly_hub_event_get_size (OrderlyHubEvent *self)
{
  return self->size;
}

guint
orderly_hub_event_get_n_lines (OrderlyHubEvent *self)
{
  return self->lines != NULL ? self->lines->len : 0;
}

/**
 * orderly_hub_event_get_line:
 *
 * Returns: the JSON text of one line of a `logs` event: the data of a
 *   Socket.IO `log` event
 */
const char *
orderly_hub_event_get_line (OrderlyHubEvent *self,
                            guint            position)
{
  g_return_val_if_fail (self->lines != NULL && position < self->lines->len, NULL);
  return self->lines->pdata[position];
}

static GBytes *
build_frame (OrderlyHubEvent *self,
             guint            first_line)
{
  GString *frame = g_string_sized_new (self->size + 128);
  OrderlyJsonWriter writer;

  orderly_json_writer_init (&writer, frame);
  orderly_json_writer_begin_object (&writer);
  orderly_json_writer_member (&writer, "event");
  orderly_json_writer_string (&writer, orderly_hub_event_get_name (self));
  orderly_json_writer_member (&writer, "data");
  if (self->kind == ORDERLY_HUB_EVENT_LOGS)
    write_lines (self, &writer, first_line);
  else
    orderly_json_writer_raw (&writer, self->data);
  orderly_json_writer_member (&writer, "seq");
  orderly_json_writer_int (&writer, (gint64) self->seq);
  orderly_json_writer_member (&writer, "instanceId");
  orderly_json_writer_string (&writer, self->instance_id != NULL ? self->instance_id : "");
  orderly_json_writer_end_object (&writer);
  return g_string_free_to_bytes (frame);
}

/**
 * orderly_hub_event_get_frame:
 *
 * Returns: (transfer none): the /ws text frame, built once
 */
GBytes *
orderly_hub_event_get_frame (OrderlyHubEvent *self)
{
  /* Events are built and sent on the main thread only. */
  if (self->frame == NULL)
    self->frame = build_frame (self, 0);
  return self->frame;
}

/**
 * orderly_hub_event_dup_frame_from:
 *
 * Returns: (transfer full): the /ws frame of a `logs` event holding only the
 *   lines from @first_line on
 */
GBytes *
orderly_hub_event_dup_frame_from (OrderlyHubEvent *self,
                                  guint            first_line)
{
  if (first_line == 0)
    return g_bytes_ref (orderly_hub_event_get_frame (self));
  return build_frame (self, first_line);
}

/**
 * orderly_hub_event_get_encoded:
 * @encoding: names the wire form, e.g. g_quark_from_static_string ("socket.io")
 * @encode: builds it, called at most once per event and @encoding
 *
 * Returns: (transfer none): @event in the wire form @encoding, whole
 */
GBytes *
orderly_hub_event_get_encoded (OrderlyHubEvent      *self,
                               GQuark                encoding,
                               OrderlyHubEncodeFunc  encode,
                               gpointer              user_data)
{
  GBytes *bytes = g_datalist_id_get_data (&self->encodings, encoding);

  if (bytes == NULL)
    {
      bytes = encode (self, 0, user_data);
      g_datalist_id_set_data_full (&self->encodings, encoding, bytes,
                                   (GDestroyNotify) g_bytes_unref);
    }
  return bytes;
}
