/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-sqlite-store"

#include "config.h"

#include "orderly-sqlite-store-private.h"

/*
 * Copying the write-ahead log back into the database (a checkpoint) takes
 * 0.05–0.4 s for 1,024 pages: done by the committing thread, as SQLite
 * does by default, it stalls whoever commits then, a worker in the middle
 * of a run. Here a thread of its own does most of it, on a connection of
 * its own, while the writer goes on appending to the log:
 *
 * - each time the log has grown by SOFT_PAGES, the thread runs a passive
 *   checkpoint;
 * - a log being appended to never starts over after those, as pages come
 *   in while they run: past RESTART_PAGES, once the thread is idle, the
 *   writer copies the pages that came in since (a fraction of the log)
 *   itself, and the log starts over at its next write; should a reader
 *   hold the start back, it tries again RETRY_PAGES later;
 * - past HARD_PAGES the writer checkpoints whatever the thread is doing:
 *   the log stays bounded.
 */

#define SOFT_PAGES    1024
#define RESTART_PAGES (4 * SOFT_PAGES)
#define HARD_PAGES    (8 * SOFT_PAGES)
#define RETRY_PAGES   64

struct _OrderlySqliteCheckpointer
{
  GThread  *thread;
  GMutex    lock;
  GCond     cond;
  gboolean  wanted;
  gboolean  stopping;
  gint      busy;          /* atomic: the thread is checkpointing */
  sqlite3  *db;
  sqlite3  *writer;
  /* The log's size when the thread was last asked, and when the writer
   * last checkpointed; the writer's. */
  int       asked_at;
  int       copied_at;
};

static gpointer
checkpointer_main (gpointer data)
{
  OrderlySqliteCheckpointer *self = data;

  g_mutex_lock (&self->lock);
  for (;;)
    {
      while (!self->wanted && !self->stopping)
        g_cond_wait (&self->cond, &self->lock);
      if (self->stopping)
        break;
      self->wanted = FALSE;
      g_atomic_int_set (&self->busy, 1);
      g_mutex_unlock (&self->lock);
      /* PASSIVE: copies what no reader still needs, waits for nobody. */
      sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
      g_mutex_lock (&self->lock);
      g_atomic_int_set (&self->busy, self->wanted);
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

  if (n_pages < self->asked_at || n_pages < self->copied_at)
    {
      /* The log started over. */
      self->asked_at = 0;
      self->copied_at = 0;
    }

  if (n_pages - self->copied_at >= RETRY_PAGES &&
      ((n_pages >= RESTART_PAGES && !g_atomic_int_get (&self->busy)) || n_pages >= HARD_PAGES))
    {
      self->copied_at = n_pages;
      sqlite3_wal_checkpoint_v2 (db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    }
  else if (n_pages - self->asked_at >= SOFT_PAGES)
    {
      self->asked_at = n_pages;
      g_mutex_lock (&self->lock);
      self->wanted = TRUE;
      g_atomic_int_set (&self->busy, 1);
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
    sqlite3_wal_autocheckpoint (self->writer, 1024);
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
