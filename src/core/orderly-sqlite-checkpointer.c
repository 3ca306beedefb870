/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-sqlite-store"

#include "config.h"

#include "orderly-sqlite-store-private.h"

/*
 * Copying the write-ahead log back into the database (a checkpoint) takes
 * 0.05–0.4 s for 1,024 pages: done by the committing thread, as SQLite
 * does by default, it stalls whoever commits then, a worker in the middle
 * of a run. Here a thread of its own does it, on a connection of its own:
 *
 * - each time the log has grown by SOFT_PAGES, a passive checkpoint, while
 *   the writer goes on appending;
 * - past RESTART_PAGES, a passive one, then a restarting one: a log being
 *   appended to never starts over after passive ones, and the restarting
 *   one, which holds the writer back while it runs, has only the pages
 *   written meanwhile left to copy;
 * - past HARD_PAGES, should that thread fall behind, the writer
 *   checkpoints itself: the log stays bounded.
 */

#define SOFT_PAGES    1024
#define RESTART_PAGES (3 * SOFT_PAGES)
#define HARD_PAGES    (8 * SOFT_PAGES)

/* How long the restarting checkpoint waits for the writer and readers. */
#define RESTART_WAIT_MS 250

struct _OrderlySqliteCheckpointer
{
  GThread  *thread;
  GMutex    lock;
  GCond     cond;
  gboolean  wanted;
  gboolean  restart;
  gboolean  stopping;
  sqlite3  *db;
  sqlite3  *writer;
  /* The log's size when a checkpoint was last asked for; the writer's. */
  int       mark;
};

static gpointer
checkpointer_main (gpointer data)
{
  OrderlySqliteCheckpointer *self = data;

  g_mutex_lock (&self->lock);
  for (;;)
    {
      gboolean restart;

      while (!self->wanted && !self->stopping)
        g_cond_wait (&self->cond, &self->lock);
      if (self->stopping)
        break;
      restart = self->restart;
      self->wanted = FALSE;
      self->restart = FALSE;
      g_mutex_unlock (&self->lock);
      /* PASSIVE copies what no reader still needs and waits for nobody;
       * RESTART then copies the rest with the writer held back. */
      sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
      if (restart)
        sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
      g_mutex_lock (&self->lock);
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

/* After every commit of the writer, with the pages the log holds. */
static int
wal_hook_cb (gpointer    data,
             sqlite3    *db,
             const char *name,
             int         n_pages)
{
  OrderlySqliteCheckpointer *self = data;

  /* Once for every SOFT_PAGES the log grows by, counted from where it
   * started over or from the last checkpoint asked for. */
  if (n_pages < self->mark)
    self->mark = 0;
  if (n_pages - self->mark < SOFT_PAGES)
    return SQLITE_OK;
  self->mark = n_pages;

  if (n_pages >= HARD_PAGES)
    {
      sqlite3_wal_checkpoint_v2 (db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    }
  else
    {
      g_mutex_lock (&self->lock);
      self->wanted = TRUE;
      self->restart = n_pages >= RESTART_PAGES;
      g_cond_signal (&self->cond);
      g_mutex_unlock (&self->lock);
    }
  return SQLITE_OK;
}

/**
 * _orderly_sqlite_checkpointer_start:
 * @writer: the connection that writes
 * @path: its database
 *
 * Takes over @writer's checkpoints: see above.
 *
 * Returns: (transfer full): the checkpointer, or %NULL with @error set
 */
OrderlySqliteCheckpointer *
_orderly_sqlite_checkpointer_start (sqlite3     *writer,
                                    const char  *path,
                                    GError     **error)
{
  OrderlySqliteCheckpointer *self = g_new0 (OrderlySqliteCheckpointer, 1);
  int rc;

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  rc = sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_STORAGE, "Cannot open %s: %s", path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      _orderly_sqlite_checkpointer_stop (self);
      return NULL;
    }
  sqlite3_busy_timeout (self->db, RESTART_WAIT_MS);
  /* A first read, which finds the database in WAL mode: until then a
   * checkpoint on this connection would do nothing. */
  rc = sqlite3_exec (self->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_STORAGE, "Cannot read %s: %s", path,
                   sqlite3_errmsg (self->db));
      _orderly_sqlite_checkpointer_stop (self);
      return NULL;
    }
  self->thread = g_thread_try_new ("orderly-checkpoint", checkpointer_main, self, error);
  if (self->thread == NULL)
    {
      _orderly_sqlite_checkpointer_stop (self);
      return NULL;
    }
  self->writer = writer;
  sqlite3_wal_hook (writer, wal_hook_cb, self);
  return self;
}

/**
 * _orderly_sqlite_checkpointer_stop:
 *
 * Gives the writer its own checkpoints back, and frees @self.
 */
void
_orderly_sqlite_checkpointer_stop (OrderlySqliteCheckpointer *self)
{
  if (self->writer != NULL)
    sqlite3_wal_autocheckpoint (self->writer, SOFT_PAGES);
  if (self->thread != NULL)
    {
      g_mutex_lock (&self->lock);
      self->stopping = TRUE;
      g_cond_signal (&self->cond);
      g_mutex_unlock (&self->lock);
      g_thread_join (self->thread);
    }
  if (self->db != NULL)
    sqlite3_close_v2 (self->db);
  g_cond_clear (&self->cond);
  g_mutex_clear (&self->lock);
  g_free (self);
}
