/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libpq-fe.h>
#include <unistd.h>

#include "orderly-test-pg.h"

/**
 * orderly_test_pg_uri:
 *
 * Returns: (nullable): the test server's URI, or %NULL when there is none
 */
const char *
orderly_test_pg_uri (void)
{
  const char *uri = g_getenv ("ORDERLY_TEST_PG_URI");

  return uri != NULL && *uri != '\0' ? uri : NULL;
}

static char *
database_uri (const char *name)
{
  return g_strdup_printf ("%s&dbname=%s", orderly_test_pg_uri (), name);
}

static PGconn *
connect_or_fail (const char *uri)
{
  PGconn *conn = PQconnectdb (uri);

  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("Cannot connect to the test server: %s", PQerrorMessage (conn));
  return conn;
}

void
orderly_test_pg_exec (const char *uri,
                      const char *sql)
{
  PGconn *conn = connect_or_fail (uri);
  PGresult *result = PQexec (conn, sql);

  if (PQresultStatus (result) != PGRES_COMMAND_OK && PQresultStatus (result) != PGRES_TUPLES_OK)
    g_error ("%s: %s", sql, PQresultErrorMessage (result));
  PQclear (result);
  PQfinish (conn);
}

gint64
orderly_test_pg_query_int (const char *uri,
                           const char *sql)
{
  PGconn *conn = connect_or_fail (uri);
  PGresult *result = PQexec (conn, sql);
  gint64 value;

  if (PQresultStatus (result) != PGRES_TUPLES_OK || PQntuples (result) != 1)
    g_error ("%s: %s", sql, PQresultErrorMessage (result));
  value = g_ascii_strtoll (PQgetvalue (result, 0, 0), NULL, 10);
  PQclear (result);
  PQfinish (conn);
  return value;
}

/**
 * orderly_test_pg_create_database:
 *
 * Returns: (transfer full): the URI of a new, empty database of its own
 */
char *
orderly_test_pg_create_database (void)
{
  static gint counter;
  g_autofree char *name = g_strdup_printf ("orderly_test_%d_%d", (int) getpid (),
                                           g_atomic_int_add (&counter, 1));
  g_autofree char *sql = g_strdup_printf ("CREATE DATABASE %s", name);

  g_assert_nonnull (orderly_test_pg_uri ());
  orderly_test_pg_exec (orderly_test_pg_uri (), sql);
  return database_uri (name);
}

void
orderly_test_pg_drop_database (const char *uri)
{
  const char *name;
  g_autofree char *sql = NULL;

  if (uri == NULL)
    return;
  name = strrchr (uri, '=') + 1;
  sql = g_strdup_printf ("DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
  orderly_test_pg_exec (orderly_test_pg_uri (), sql);
}

/**
 * orderly_test_pg_set_up:
 *
 * The start of every PostgreSQL test: a database of its own, or the test
 * skipped when there is no server.
 *
 * Returns: (transfer full) (nullable): the new database's URI, or %NULL
 *   when the test is skipped
 */
char *
orderly_test_pg_set_up (void)
{
  if (orderly_test_pg_uri () == NULL)
    {
      g_test_skip (ORDERLY_TEST_PG_MISSING);
      return NULL;
    }
  return orderly_test_pg_create_database ();
}

/**
 * orderly_test_pg_tear_down:
 * @uri: (transfer full) (nullable): from orderly_test_pg_set_up()
 *
 * Drops the test's database.
 */
void
orderly_test_pg_tear_down (char *uri)
{
  orderly_test_pg_drop_database (uri);
  g_free (uri);
}

/* Stops the server at once, as a crash would, and starts it again. */
void
orderly_test_pg_restart_server (void)
{
  const char *script = g_getenv ("ORDERLY_TEST_PG_SERVER");
  const char *dir = g_getenv ("ORDERLY_TEST_PG_DIR");
  const char *argv[] = { script, "restart", dir, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_nonnull (script);
  g_assert_nonnull (dir);
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status,
                &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}
