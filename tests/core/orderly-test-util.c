/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "orderly-test-util.h"
#if ORDERLY_HAVE_POSTGRESQL
# include "orderly-pg-store.h"
# include "orderly-test-pg.h"
#endif

char *
orderly_test_make_data_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("orderly-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
orderly_test_remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        orderly_test_remove_dir (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

gboolean
orderly_test_phase_finished (OrderlyPhase phase)
{
  return orderly_phase_is_terminal (phase) || phase == ORDERLY_PHASE_INTERRUPTED;
}

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until @done accepts the engine's phase (after a flush). */
gboolean
orderly_test_wait_for_phase (OrderlyEngine *engine,
                             gboolean     (*done) (OrderlyPhase phase),
                             guint          timeout_ms)
{
  gboolean timed_out = FALSE;
  guint source = g_timeout_add (timeout_ms, timeout_cb, &timed_out);

  for (;;)
    {
      orderly_engine_flush (engine);
      if (done (orderly_status_get_phase (orderly_engine_get_status (engine))) &&
          !orderly_engine_is_running (engine))
        break;
      if (timed_out)
        return FALSE;
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (source);
  return TRUE;
}

/* A reader beside the engine, perhaps in another process that is still
 * creating the schema: it waits for locks rather than failing with
 * SQLITE_BUSY. */
static sqlite3 *
open_reader (const char *db_path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}

gint64
orderly_test_query_int (const char *db_path,
                        const char *sql)
{
  sqlite3 *db = open_reader (db_path);
  sqlite3_stmt *stmt = NULL;
  gint64 value = -1;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

gboolean
orderly_test_integrity_ok (const char *db_path)
{
  sqlite3 *db = open_reader (db_path);
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    ok = g_strcmp0 ((const char *) sqlite3_column_text (stmt, 0), "ok") == 0;
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return ok;
}

static OrderlyStore *
sqlite_open (const char  *data_dir,
             GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, "orderly.db", NULL);

  return orderly_sqlite_store_new (path, error);
}

static gint64
sqlite_query_int (const char *data_dir,
                  const char *sql)
{
  g_autofree char *path = g_build_filename (data_dir, "orderly.db", NULL);

  return orderly_test_query_int (path, sql);
}

/* Past its size at the moment, the file cannot grow. */
static void
sqlite_set_full (const char   *data_dir,
                 OrderlyStore *store,
                 gboolean      full)
{
  orderly_sqlite_store_set_size_limit (store, full ? 1 : 0);
}

#if ORDERLY_HAVE_POSTGRESQL
/* A database of its own on the throwaway server, named in the data
 * directory, created on the first open there (and only by an open) and
 * opened again after; the server goes, with every database, when the tests
 * end. */
static char *
pg_database_of (const char *data_dir,
                gboolean    create)
{
  g_autofree char *path = g_build_filename (data_dir, "pg-uri", NULL);
  char *uri = NULL;

  if (!g_file_get_contents (path, &uri, NULL, NULL))
    {
      g_assert_true (create);
      uri = orderly_test_pg_create_database ();
      g_assert_true (g_file_set_contents (path, uri, -1, NULL));
    }
  return uri;
}

static OrderlyStore *
pg_open (const char  *data_dir,
         GError     **error)
{
  g_autofree char *uri = pg_database_of (data_dir, TRUE);

  return orderly_pg_store_new (uri, error);
}

static gint64
pg_query_int (const char *data_dir,
              const char *sql)
{
  g_autofree char *uri = pg_database_of (data_dir, FALSE);

  return orderly_test_pg_query_int (uri, sql);
}

/* Orders are refused with the error the server gives when its disk is
 * full (SQLSTATE 53100). */
static void
pg_set_full (const char   *data_dir,
             OrderlyStore *store,
             gboolean      full)
{
  g_autofree char *uri = pg_database_of (data_dir, FALSE);

  orderly_test_pg_exec (uri, full
    ? "CREATE FUNCTION orderly_test_full () RETURNS trigger LANGUAGE plpgsql AS "
      "$$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' "
      "USING ERRCODE = 'disk_full'; END $$;"
      "CREATE TRIGGER full_vip BEFORE INSERT ON vip_orders FOR EACH STATEMENT "
      "EXECUTE FUNCTION orderly_test_full ();"
      "CREATE TRIGGER full_normal BEFORE INSERT ON normal_orders FOR EACH STATEMENT "
      "EXECUTE FUNCTION orderly_test_full ()"
    : "DROP FUNCTION orderly_test_full () CASCADE");
}

static const char *
pg_unavailable (void)
{
  return orderly_test_pg_uri () == NULL ? ORDERLY_TEST_PG_MISSING : NULL;
}
#endif

const OrderlyTestBackend orderly_test_backends[] = {
  { "sqlite", sqlite_open, sqlite_query_int, NULL, sqlite_set_full },
#if ORDERLY_HAVE_POSTGRESQL
  { "pg", pg_open, pg_query_int, pg_unavailable, pg_set_full },
#endif
};

const guint orderly_test_n_backends = G_N_ELEMENTS (orderly_test_backends);
