/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-server"

#include "config.h"

#include "orderly-login-limiter.h"

/* Beyond this many addresses, forgotten ones are pruned first. */
#define MAX_ADDRESSES 10000

typedef struct
{
  guint  failures;
  gint64 last_failure_us;
  gboolean logged;
} Attempts;

struct _OrderlyLoginLimiter
{
  GObject     parent_instance;

  GHashTable       *addresses;   /* address → Attempts */
  guint             max_failures;
  gint64            block_us;
  OrderlyClockFunc  clock;
  gpointer          clock_data;
};

G_DEFINE_FINAL_TYPE (OrderlyLoginLimiter, orderly_login_limiter, G_TYPE_OBJECT)

static gint64
monotonic_clock (gpointer user_data)
{
  return g_get_monotonic_time ();
}

static gint64
now (OrderlyLoginLimiter *self)
{
  return self->clock (self->clock_data);
}

static void
orderly_login_limiter_finalize (GObject *object)
{
  OrderlyLoginLimiter *self = (OrderlyLoginLimiter *) object;

  g_clear_pointer (&self->addresses, g_hash_table_unref);

  G_OBJECT_CLASS (orderly_login_limiter_parent_class)->finalize (object);
}

static void
orderly_login_limiter_class_init (OrderlyLoginLimiterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = orderly_login_limiter_finalize;
}

static void
orderly_login_limiter_init (OrderlyLoginLimiter *self)
{
  self->addresses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->max_failures = ORDERLY_LOGIN_LIMITER_DEFAULT_FAILURES;
  self->block_us = ORDERLY_LOGIN_LIMITER_DEFAULT_BLOCK_MS * (gint64) 1000;
  self->clock = monotonic_clock;
}

OrderlyLoginLimiter *
orderly_login_limiter_new (void)
{
  return g_object_new (ORDERLY_TYPE_LOGIN_LIMITER, NULL);
}

void
orderly_login_limiter_set_limits (OrderlyLoginLimiter *self,
                                  guint                max_failures,
                                  guint                block_ms)
{
  g_return_if_fail (ORDERLY_IS_LOGIN_LIMITER (self));

  self->max_failures = MAX (max_failures, 1);
  self->block_us = block_ms * (gint64) 1000;
}

/**
 * orderly_login_limiter_set_clock:
 * @clock: (nullable): where the limiter reads the time; %NULL for
 *   g_get_monotonic_time()
 *
 * For tests, which move time on instead of waiting for it.
 */
void
orderly_login_limiter_set_clock (OrderlyLoginLimiter *self,
                                 OrderlyClockFunc     clock,
                                 gpointer             user_data)
{
  g_return_if_fail (ORDERLY_IS_LOGIN_LIMITER (self));

  self->clock = clock != NULL ? clock : monotonic_clock;
  self->clock_data = clock != NULL ? user_data : NULL;
}

static gboolean
blocked (OrderlyLoginLimiter *self,
         Attempts            *attempts,
         gint64               now)
{
  return attempts->failures >= self->max_failures && now - attempts->last_failure_us < self->block_us;
}

static gboolean
is_stale (gpointer key,
          gpointer value,
          gpointer user_data)
{
  OrderlyLoginLimiter *self = user_data;
  Attempts *attempts = value;

  return now (self) - attempts->last_failure_us > self->block_us;
}

static Attempts *
lookup (OrderlyLoginLimiter *self,
        const char          *address,
        gboolean             create)
{
  Attempts *attempts = g_hash_table_lookup (self->addresses, address ? address : "");

  if (attempts == NULL && create)
    {
      if (g_hash_table_size (self->addresses) >= MAX_ADDRESSES)
        {
          g_hash_table_foreach_remove (self->addresses, is_stale, self);
          if (g_hash_table_size (self->addresses) >= MAX_ADDRESSES)
            g_hash_table_remove_all (self->addresses);
        }
      attempts = g_new0 (Attempts, 1);
      g_hash_table_insert (self->addresses, g_strdup (address ? address : ""), attempts);
    }
  return attempts;
}

gboolean
orderly_login_limiter_is_blocked (OrderlyLoginLimiter *self,
                                  const char          *address)
{
  Attempts *attempts;

  g_return_val_if_fail (ORDERLY_IS_LOGIN_LIMITER (self), FALSE);

  attempts = lookup (self, address, FALSE);
  return attempts != NULL && blocked (self, attempts, now (self));
}

/**
 * orderly_login_limiter_add_failure:
 *
 * Returns: %TRUE if @address is now blocked
 */
gboolean
orderly_login_limiter_add_failure (OrderlyLoginLimiter *self,
                                   const char          *address)
{
  Attempts *attempts;
  gint64 time_us;

  g_return_val_if_fail (ORDERLY_IS_LOGIN_LIMITER (self), FALSE);

  time_us = now (self);
  attempts = lookup (self, address, TRUE);
  if (time_us - attempts->last_failure_us > self->block_us)
    attempts->failures = 0;
  attempts->failures++;
  attempts->last_failure_us = time_us;
  return blocked (self, attempts, time_us);
}

void
orderly_login_limiter_add_success (OrderlyLoginLimiter *self,
                                   const char          *address)
{
  Attempts *attempts;

  g_return_if_fail (ORDERLY_IS_LOGIN_LIMITER (self));

  attempts = lookup (self, address, FALSE);
  if (attempts != NULL && !blocked (self, attempts, now (self)))
    g_hash_table_remove (self->addresses, address ? address : "");
}

/**
 * orderly_login_limiter_should_log:
 *
 * Returns: %TRUE the first time it is asked about @address since its
 *   failures began, so refusals are logged once per client
 */
gboolean
orderly_login_limiter_should_log (OrderlyLoginLimiter *self,
                                  const char          *address)
{
  Attempts *attempts;

  g_return_val_if_fail (ORDERLY_IS_LOGIN_LIMITER (self), FALSE);

  attempts = lookup (self, address, TRUE);
  if (attempts->logged)
    return FALSE;
  attempts->logged = TRUE;
  return TRUE;
}
