/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "orderly-eio-session.h"

G_BEGIN_DECLS

/**
 * OrderlyPendingSessions:
 *
 * Engine.IO sessions that have not shown a valid token yet, oldest first,
 * with a budget of their own: when it is full, a new session takes the
 * place of the oldest, which is closed. Anyone may open a session; only
 * sessions that pass the gate take one of the server's live connections.
 */
typedef struct _OrderlyPendingSessions OrderlyPendingSessions;

OrderlyPendingSessions *orderly_pending_sessions_new        (guint                   max_sessions);
void                    orderly_pending_sessions_free       (OrderlyPendingSessions *self);
void                    orderly_pending_sessions_add        (OrderlyPendingSessions *self,
                                                             OrderlyEioSession      *session);
gboolean                orderly_pending_sessions_remove     (OrderlyPendingSessions *self,
                                                             OrderlyEioSession      *session);
guint                   orderly_pending_sessions_get_length (OrderlyPendingSessions *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrderlyPendingSessions, orderly_pending_sessions_free)

G_END_DECLS
