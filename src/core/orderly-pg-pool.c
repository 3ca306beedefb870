/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-pg"

#include "config.h"

#include "orderly-pg-pool.h"

/*
 * Connections shared by the threads of one process: each operation borrows
 * one, so the workers of a run talk to the server in parallel. New
 * connections are opened on demand up to a limit; past it, a thread waits
 * for one to come back.
 */

struct _OrderlyPgPool
{
  GMutex  lock;
  GCond   returned;
  char   *uri;
  GQueue  idle;
  guint   open;
  guint   max_connections;
};

/**
 * orderly_pg_pool_new:
 * @max_connections: the most connections open at once
 *
 * Opens a first connection, so that a wrong URI or an unreachable server is
 * reported now.
 *
 * Returns: (transfer full): the pool, or %NULL with @error set
 */
OrderlyPgPool *
orderly_pg_pool_new (const char  *uri,
                     guint        max_connections,
                     GError     **error)
{
  OrderlyPgPool *self;
  OrderlyPgConnection *first;

  g_return_val_if_fail (uri != NULL, NULL);
  g_return_val_if_fail (max_connections > 0, NULL);

  first = orderly_pg_connection_new (uri, error);
  if (first == NULL)
    return NULL;
  self = g_new0 (OrderlyPgPool, 1);
  g_mutex_init (&self->lock);
  g_cond_init (&self->returned);
  self->uri = g_strdup (uri);
  self->max_connections = max_connections;
  self->open = 1;
  g_queue_push_head (&self->idle, first);
  return self;
}

void
orderly_pg_pool_free (OrderlyPgPool *self)
{
  if (self == NULL)
    return;
  g_warn_if_fail (self->open == self->idle.length);
  g_queue_clear_full (&self->idle, (GDestroyNotify) orderly_pg_connection_free);
  g_cond_clear (&self->returned);
  g_mutex_clear (&self->lock);
  g_free (self->uri);
  g_free (self);
}

const char *
orderly_pg_pool_get_uri (OrderlyPgPool *self)
{
  return self->uri;
}

/**
 * orderly_pg_pool_acquire:
 *
 * Borrows a connection, reconnected if it had been lost. Give it back with
 * orderly_pg_pool_release(), from the same thread or another.
 *
 * Returns: (transfer none): a connection, or %NULL with @error set
 */
OrderlyPgConnection *
orderly_pg_pool_acquire (OrderlyPgPool  *self,
                         GError        **error)
{
  OrderlyPgConnection *connection;

  g_mutex_lock (&self->lock);
  while (self->idle.length == 0 && self->open >= self->max_connections)
    g_cond_wait (&self->returned, &self->lock);
  connection = g_queue_pop_head (&self->idle);
  if (connection == NULL)
    self->open++;
  g_mutex_unlock (&self->lock);

  if (connection == NULL)
    {
      connection = orderly_pg_connection_new (self->uri, error);
      if (connection == NULL)
        {
          g_mutex_lock (&self->lock);
          self->open--;
          g_cond_signal (&self->returned);
          g_mutex_unlock (&self->lock);
          return NULL;
        }
    }
  else if (!orderly_pg_connection_ensure (connection, error))
    {
      orderly_pg_pool_release (self, connection);
      return NULL;
    }
  return connection;
}

void
orderly_pg_pool_release (OrderlyPgPool       *self,
                         OrderlyPgConnection *connection)
{
  orderly_pg_connection_rollback (connection);
  g_mutex_lock (&self->lock);
  g_queue_push_head (&self->idle, connection);
  g_cond_signal (&self->returned);
  g_mutex_unlock (&self->lock);
}
