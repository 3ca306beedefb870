/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-server"

#include "config.h"

#include "orderly-login-limiter.h"

/* The addresses it remembers at most. When they are all taken, forgotten
 * ones make room first, then the one that failed longest ago among those
 * not blocked; a blocked address is never forgotten before its time. */
#define MAX_ADDRESSES 10000

typedef struct
{
  char     *address;
  guint     failures;
  gint64    last_failure_us;
  gboolean  logged;
  gboolean  in_blocked;
  GList     link;           /* in one of the two queues below */
} Attempts;

struct _OrderlyLoginLimiter
{
  GObject     parent_instance;

  GHashTable       *addresses;   /* address → Attempts */
  /* Attempts by last failure, oldest first: those not blocked, and those
   * blocked, so that making room never looks at a blocked one. */
  GQueue            free_order;
  GQueue            blocked_order;
  guint             max_failures;
  gint64            block_us;
  OrderlyClockFunc  clock;
  gpointer          clock_data;
};

G_DEFINE_FINAL_TYPE (OrderlyLoginLimiter, orderly_login_limiter, G_TYPE_OBJECT)

static void
attempts_free (gpointer data)
{
  Attempts *attempts = data;

  g_free (attempts->address);
  g_free (attempts);
}

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
  self->addresses = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, attempts_free);
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
is_stale (OrderlyLoginLimiter *self,
          Attempts            *attempts,
          gint64               now)
{
  return now - attempts->last_failure_us > self->block_us;
}

static void
forget (OrderlyLoginLimiter *self,
        Attempts            *attempts)
{
  g_queue_unlink (attempts->in_blocked ? &self->blocked_order : &self->free_order, &attempts->link);
  g_hash_table_remove (self->addresses, attempts->address);
}

static void
forget_stale (OrderlyLoginLimiter *self,
              GQueue              *queue,
              gint64               now)
{
  Attempts *oldest;

  while ((oldest = g_queue_peek_head (queue)) != NULL && is_stale (self, oldest, now))
    forget (self, oldest);
}

/* Makes room for one more address. Returns FALSE when every address
 * remembered is blocked. */
static gboolean
make_room (OrderlyLoginLimiter *self)
{
  gint64 time_us = now (self);

  if (g_hash_table_size (self->addresses) < MAX_ADDRESSES)
    return TRUE;
  forget_stale (self, &self->free_order, time_us);
  forget_stale (self, &self->blocked_order, time_us);
  if (g_hash_table_size (self->addresses) < MAX_ADDRESSES)
    return TRUE;
  if (self->free_order.length == 0)
    return FALSE;
  forget (self, g_queue_peek_head (&self->free_order));
  return TRUE;
}

/* Returns: (nullable): what @address has tried; with @create, NULL only
 * when there is no room for it */
static Attempts *
lookup (OrderlyLoginLimiter *self,
        const char          *address,
        gboolean             create)
{
  Attempts *attempts = g_hash_table_lookup (self->addresses, address ? address : "");

  if (attempts == NULL && create && make_room (self))
    {
      attempts = g_new0 (Attempts, 1);
      attempts->address = g_strdup (address ? address : "");
      attempts->link.data = attempts;
      /* Never failed: the oldest of all. */
      g_queue_push_head_link (&self->free_order, &attempts->link);
      g_hash_table_insert (self->addresses, attempts->address, attempts);
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
  /* Under a flood of guesses from more addresses than it can remember,
   * all of them blocked, a new one is refused at once. */
  if (attempts == NULL)
    return TRUE;
  if (is_stale (self, attempts, time_us))
    attempts->failures = 0;
  attempts->failures++;
  attempts->last_failure_us = time_us;
  g_queue_unlink (attempts->in_blocked ? &self->blocked_order : &self->free_order, &attempts->link);
  attempts->in_blocked = blocked (self, attempts, time_us);
  g_queue_push_tail_link (attempts->in_blocked ? &self->blocked_order : &self->free_order, &attempts->link);
  return attempts->in_blocked;
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
  if (attempts == NULL || attempts->logged)
    return FALSE;
  attempts->logged = TRUE;
  return TRUE;
}

/**
 * orderly_login_limiter_get_n_addresses:
 *
 * Returns: how many addresses it remembers now
 */
guint
orderly_login_limiter_get_n_addresses (OrderlyLoginLimiter *self)
{
  g_return_val_if_fail (ORDERLY_IS_LOGIN_LIMITER (self), 0);
  return g_hash_table_size (self->addresses);
}
