/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define ORDERLY_TYPE_CLIENT (orderly_client_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyClient, orderly_client, ORDERLY, CLIENT, GObject)

OrderlyClient *orderly_client_new                  (const char    *id,
                                                    const char    *address,
                                                    const char    *transport,
                                                    const char    *role,
                                                    const char    *user_agent);
const char    *orderly_client_get_id               (OrderlyClient *self);
const char    *orderly_client_get_address          (OrderlyClient *self);
const char    *orderly_client_get_transport        (OrderlyClient *self);
void           orderly_client_set_transport        (OrderlyClient *self,
                                                    const char    *transport);
const char    *orderly_client_get_role             (OrderlyClient *self);
const char    *orderly_client_get_user_agent       (OrderlyClient *self);
gint64         orderly_client_get_since            (OrderlyClient *self);
guint64        orderly_client_get_messages_sent    (OrderlyClient *self);
guint64        orderly_client_get_messages_dropped (OrderlyClient *self);
void           orderly_client_set_counters         (OrderlyClient *self,
                                                    guint64        messages_sent,
                                                    guint64        messages_dropped);
void           orderly_client_disconnect           (OrderlyClient *self,
                                                    const char    *reason);

G_END_DECLS
