/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * OrderlyHubEventKind:
 * @ORDERLY_HUB_EVENT_CONNECTED: `connected`, once per client, first
 * @ORDERLY_HUB_EVENT_STATUS: `status`, latest wins
 * @ORDERLY_HUB_EVENT_PROGRESS: `progress`, latest wins
 * @ORDERLY_HUB_EVENT_LOGS: a batch of `log` lines, delivered in order
 * @ORDERLY_HUB_EVENT_METRICS: `metrics`, latest wins
 *
 * What an event is, which decides how a slow client may skip it.
 */
typedef enum
{
  ORDERLY_HUB_EVENT_CONNECTED,
  ORDERLY_HUB_EVENT_STATUS,
  ORDERLY_HUB_EVENT_PROGRESS,
  ORDERLY_HUB_EVENT_LOGS,
  ORDERLY_HUB_EVENT_METRICS,
} OrderlyHubEventKind;

/**
 * OrderlyHubEvent:
 *
 * One server event, serialised once for every client. Immutable and
 * reference counted; a transport keeps a reference while it queues it.
 *
 * The data is kept as JSON text. A `logs` event holds each line's JSON
 * apart too, for transports that send every line as its own `log` event.
 * The /ws frame (`{"event","data","seq","instanceId"}`) is built once, on
 * first use. Other transports memoise their own wire form with
 * orderly_hub_event_get_encoded().
 */
typedef struct _OrderlyHubEvent OrderlyHubEvent;

/**
 * OrderlyHubEncodeFunc:
 * @event: the event
 * @first_line: for a `logs` event, the first line to include
 * @user_data: data given to orderly_hub_event_get_encoded()
 *
 * Returns: (transfer full): @event in a transport's wire form
 */
typedef GBytes *(*OrderlyHubEncodeFunc) (OrderlyHubEvent *event,
                                         guint            first_line,
                                         gpointer         user_data);

#define ORDERLY_TYPE_HUB_EVENT (orderly_hub_event_get_type ())

GType                orderly_hub_event_get_type        (void) G_GNUC_CONST;
OrderlyHubEvent     *orderly_hub_event_new             (OrderlyHubEventKind   kind,
                                                        guint64               seq,
                                                        const char           *instance_id,
                                                        char                 *data_json);
OrderlyHubEvent     *orderly_hub_event_new_logs        (guint64               seq,
                                                        const char           *instance_id,
                                                        GPtrArray            *lines);
OrderlyHubEvent     *orderly_hub_event_ref             (OrderlyHubEvent      *self);
void                 orderly_hub_event_unref           (OrderlyHubEvent      *self);
OrderlyHubEventKind  orderly_hub_event_get_kind        (OrderlyHubEvent      *self);
const char          *orderly_hub_event_get_name        (OrderlyHubEvent      *self);
guint64              orderly_hub_event_get_seq         (OrderlyHubEvent      *self);
const char          *orderly_hub_event_get_instance_id (OrderlyHubEvent      *self);
const char          *orderly_hub_event_get_data        (OrderlyHubEvent      *self);
gsize                orderly_hub_event_get_size        (OrderlyHubEvent      *self);
guint                orderly_hub_event_get_n_lines     (OrderlyHubEvent      *self);
const char          *orderly_hub_event_get_line        (OrderlyHubEvent      *self,
                                                        guint                 position);
GBytes              *orderly_hub_event_get_frame       (OrderlyHubEvent      *self);
GBytes              *orderly_hub_event_dup_frame_from  (OrderlyHubEvent      *self,
                                                        guint                 first_line);
GBytes              *orderly_hub_event_get_encoded     (OrderlyHubEvent      *self,
                                                        GQuark                encoding,
                                                        OrderlyHubEncodeFunc  encode,
                                                        gpointer              user_data);
const char          *orderly_hub_event_kind_to_name    (OrderlyHubEventKind   kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrderlyHubEvent, orderly_hub_event_unref)

G_END_DECLS
