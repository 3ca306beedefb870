/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "orderly-client.h"
#include "orderly-hub-event.h"

G_BEGIN_DECLS

/**
 * OrderlySubscriberFuncs:
 * @can_send: whether the transport can take one more event now without
 *   queueing it itself (for a WebSocket: the socket is writable; for a
 *   long poll: a request is waiting)
 * @send: hands one event to the transport. For a `logs` event only the lines
 *   from @first_line on are to be sent
 * @close: closes the connection with a WebSocket close code (1008, 1013…)
 *
 * What a transport gives the hub for each of its clients.
 */
typedef struct
{
  gboolean (*can_send) (gpointer         transport);
  void     (*send)     (gpointer         transport,
                        OrderlyHubEvent *event,
                        guint            first_line);
  void     (*close)    (gpointer         transport,
                        gushort          code,
                        const char      *reason);
} OrderlySubscriberFuncs;

#define ORDERLY_TYPE_SUBSCRIBER (orderly_subscriber_get_type ())

G_DECLARE_FINAL_TYPE (OrderlySubscriber, orderly_subscriber, ORDERLY, SUBSCRIBER, GObject)

OrderlyClient *orderly_subscriber_get_client           (OrderlySubscriber *self);
void           orderly_subscriber_flush                (OrderlySubscriber *self);
guint          orderly_subscriber_get_queued_lines     (OrderlySubscriber *self);
guint64        orderly_subscriber_get_messages_sent    (OrderlySubscriber *self);
guint64        orderly_subscriber_get_messages_dropped (OrderlySubscriber *self);
void           orderly_subscriber_count_sent           (OrderlySubscriber *self,
                                                        guint              n_messages);

G_END_DECLS
