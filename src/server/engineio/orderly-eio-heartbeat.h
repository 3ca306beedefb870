/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The heartbeat of every session of one Engine.IO server, on one timer. */
typedef struct _OrderlyEioHeartbeat OrderlyEioHeartbeat;

/* A session's place in the heartbeat; embed it, zeroed, in the session.
 * The link comes first: a queue's GList is the OrderlyEioBeat. */
typedef struct
{
  GList  link;
  gint64 deadline;
  guint  state;
} OrderlyEioBeat;

typedef void (*OrderlyEioBeatFunc) (gpointer session,
                                    gpointer user_data);

typedef gint64 (*OrderlyEioClockFunc) (gpointer user_data);

OrderlyEioHeartbeat *orderly_eio_heartbeat_new         (OrderlyEioBeatFunc   ping_func,
                                                        OrderlyEioBeatFunc   timeout_func,
                                                        gpointer             user_data);
void                 orderly_eio_heartbeat_free        (OrderlyEioHeartbeat *self);
void                 orderly_eio_heartbeat_set_clock   (OrderlyEioHeartbeat *self,
                                                        OrderlyEioClockFunc  clock,
                                                        gpointer             clock_data);
void                 orderly_eio_heartbeat_set_timing  (OrderlyEioHeartbeat *self,
                                                        guint                interval_ms,
                                                        guint                timeout_ms);
void                 orderly_eio_heartbeat_schedule    (OrderlyEioHeartbeat *self,
                                                        OrderlyEioBeat      *beat,
                                                        gpointer             session);
void                 orderly_eio_heartbeat_remove      (OrderlyEioHeartbeat *self,
                                                        OrderlyEioBeat      *beat);
gint64               orderly_eio_heartbeat_get_next_deadline
                                                       (OrderlyEioHeartbeat *self);
void                 orderly_eio_heartbeat_run         (OrderlyEioHeartbeat *self);

G_END_DECLS
