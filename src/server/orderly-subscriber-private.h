/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "orderly-subscriber.h"

G_BEGIN_DECLS

OrderlySubscriber *_orderly_subscriber_new      (OrderlyClient                *client,
                                                 const OrderlySubscriberFuncs *funcs,
                                                 gpointer                      transport,
                                                 guint                         max_lines);
void               _orderly_subscriber_push     (OrderlySubscriber            *self,
                                                 OrderlyHubEvent              *event);
gboolean           _orderly_subscriber_end_tick (OrderlySubscriber            *self,
                                                 guint                         overflow_ticks);
void               _orderly_subscriber_set_max_lines (OrderlySubscriber       *self,
                                                 guint                         max_lines);
void               _orderly_subscriber_detach   (OrderlySubscriber            *self);
void               _orderly_subscriber_close    (OrderlySubscriber            *self,
                                                 gushort                       code,
                                                 const char                   *reason);

G_END_DECLS
