/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define ORDERLY_LOGIN_LIMITER_DEFAULT_FAILURES 10
#define ORDERLY_LOGIN_LIMITER_DEFAULT_BLOCK_MS 60000

#define ORDERLY_TYPE_LOGIN_LIMITER (orderly_login_limiter_get_type ())

/**
 * OrderlyClockFunc:
 * @user_data: closure data
 *
 * Returns: the monotonic time in microseconds, as g_get_monotonic_time()
 */
typedef gint64 (*OrderlyClockFunc) (gpointer user_data);

/**
 * OrderlyLoginLimiter:
 *
 * Counts failed logins per remote address. After too many within the block
 * time, that address (and only that one) is refused until the block time has
 * passed since its last failure. A successful login does not wipe the
 * failures (a guesser that knows the viewer token would otherwise go on
 * guessing the operator's), and no number of other addresses can push a
 * blocked one out of its memory.
 */
G_DECLARE_FINAL_TYPE (OrderlyLoginLimiter, orderly_login_limiter, ORDERLY, LOGIN_LIMITER, GObject)

OrderlyLoginLimiter *orderly_login_limiter_new            (void);
void                 orderly_login_limiter_set_limits     (OrderlyLoginLimiter *self,
                                                           guint                max_failures,
                                                           guint                block_ms);
void                 orderly_login_limiter_set_clock      (OrderlyLoginLimiter *self,
                                                           OrderlyClockFunc     clock,
                                                           gpointer             user_data);
gboolean             orderly_login_limiter_is_blocked     (OrderlyLoginLimiter *self,
                                                           const char          *address);
gboolean             orderly_login_limiter_add_failure    (OrderlyLoginLimiter *self,
                                                           const char          *address);
gboolean             orderly_login_limiter_should_log     (OrderlyLoginLimiter *self,
                                                           const char          *address);
guint                orderly_login_limiter_get_n_addresses (OrderlyLoginLimiter *self);

G_END_DECLS
