/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "orderly-engine.h"
#include "orderly-remote.h"
#include "orderly-subscriber.h"

G_BEGIN_DECLS

#define ORDERLY_HUB_DEFAULT_QUEUE_LINES    2000
#define ORDERLY_HUB_DEFAULT_OVERFLOW_TICKS 50
#define ORDERLY_HUB_DEFAULT_REPLAY_EVENTS  1000
#define ORDERLY_HUB_TAIL_LINES             100

#define ORDERLY_TYPE_HUB (orderly_hub_get_type ())

/**
 * OrderlyHub:
 *
 * The live feed. It follows #OrderlyStatus::changed and the log store, and
 * once per engine tick turns what changed into events (status, progress, a
 * batch of logs; metrics once a second), each serialised once, numbered with
 * a rising seq and stamped with the server's instance id. Then it hands them
 * to every subscriber, each with its own bounded queue:
 *
 * - status, progress and metrics: latest wins;
 * - logs: in order, at most #OrderlyHub:queue-lines lines queued; beyond
 *   that the oldest are dropped and the client later gets a `warn` line
 *   saying how many;
 * - a client still over its bound after #OrderlyHub:overflow-ticks ticks is
 *   closed with 1013 and that is logged once.
 *
 * A transport calls orderly_hub_subscribe() when a client has connected and
 * orderly_hub_unsubscribe() when it is gone; the hub adds and removes the
 * #OrderlyClient in #OrderlyRemote:clients and keeps its counters current.
 */
G_DECLARE_FINAL_TYPE (OrderlyHub, orderly_hub, ORDERLY, HUB, GObject)

OrderlyHub        *orderly_hub_new                 (OrderlyEngine                *engine,
                                                    OrderlyRemote                *remote,
                                                    const char                   *instance_id);
const char        *orderly_hub_get_instance_id     (OrderlyHub                   *self);
guint64            orderly_hub_get_seq             (OrderlyHub                   *self);
OrderlySubscriber *orderly_hub_subscribe           (OrderlyHub                   *self,
                                                    OrderlyClient                *client,
                                                    gint64                        since,
                                                    const OrderlySubscriberFuncs *funcs,
                                                    gpointer                      transport);
void               orderly_hub_unsubscribe         (OrderlyHub                   *self,
                                                    OrderlySubscriber            *subscriber);
guint              orderly_hub_get_n_subscribers   (OrderlyHub                   *self);
void               orderly_hub_set_limits          (OrderlyHub                   *self,
                                                    guint                         queue_lines,
                                                    guint                         overflow_ticks,
                                                    guint                         replay_events);
OrderlyHubEvent   *orderly_hub_dup_status_event    (OrderlyHub                   *self);
guint64            orderly_hub_get_messages_sent   (OrderlyHub                   *self);
guint64            orderly_hub_get_messages_dropped (OrderlyHub                  *self);
void               orderly_hub_flush               (OrderlyHub                   *self);

G_END_DECLS
