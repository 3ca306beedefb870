/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "orderly-pg-connection.h"
#include "orderly-test-pg.h"
#include "orderly-types.h"

typedef struct
{
  char                *uri;
  OrderlyPgConnection *connection;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->uri = orderly_test_pg_set_up ();
  if (fixture->uri == NULL)
    return;
  fixture->connection = orderly_pg_connection_new (fixture->uri, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_pointer (&fixture->connection, orderly_pg_connection_free);
  orderly_test_pg_tear_down (g_steal_pointer (&fixture->uri));
}

static gint64
query_int (OrderlyPgConnection *connection,
           const char          *sql)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = orderly_pg_connection_exec (connection, sql, &error);

  g_assert_no_error (error);
  g_assert_cmpint (PQntuples (result), ==, 1);
  return orderly_pg_result_get_int64 (result, 0, 0);
}

static void
test_pg_connection_bad_uri (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyPgConnection) connection = orderly_pg_connection_new ("postgresql://[::1", &error);

  g_assert_null (connection);
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT);
  g_assert_true (g_str_has_prefix (error->message, "Not a PostgreSQL connection URI"));
}

static void
test_pg_connection_unreachable (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyPgConnection) connection =
    orderly_pg_connection_new ("postgresql://orderly:secret-password@/orderly?host=/nonexistent-orderly",
                               &error);

  g_assert_null (connection);
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "Cannot connect to the PostgreSQL database “orderly”"));
  g_assert_nonnull (strstr (error->message, "/nonexistent-orderly"));
  g_assert_null (strstr (error->message, "secret-password"));
}

/* A session the server ends in the middle of a transaction (a restart, a
 * network cut) gives a clear error once, then the connection reconnects by
 * itself, prepared statements included. */
static void
test_pg_connection_lost (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = NULL;
  g_autofree char *kill = NULL;
  const char *values[] = { "41" };

  if (fixture->connection == NULL)
    return;
  result = orderly_pg_connection_exec_prepared (fixture->connection, "plus_one", "SELECT $1::int + 1",
                                                1, values, &error);
  g_assert_no_error (error);
  g_assert_cmpint (orderly_pg_result_get_int64 (result, 0, 0), ==, 42);
  g_clear_pointer (&result, PQclear);

  g_assert_true (orderly_pg_connection_begin (fixture->connection, &error));
  kill = g_strdup_printf ("SELECT pg_terminate_backend (%d)",
                          PQbackendPID (orderly_pg_connection_get_conn (fixture->connection)));
  orderly_test_pg_exec (fixture->uri, kill);

  result = orderly_pg_connection_exec (fixture->connection, "SELECT 1", &error);
  g_assert_null (result);
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_UNAVAILABLE);
  g_assert_true (g_str_has_prefix (error->message, "Lost the connection to the PostgreSQL database"));
  g_clear_error (&error);
  g_assert_true (orderly_pg_connection_is_broken (fixture->connection));

  result = orderly_pg_connection_exec_prepared (fixture->connection, "plus_one", "SELECT $1::int + 1",
                                                1, values, &error);
  g_assert_no_error (error);
  g_assert_cmpint (orderly_pg_result_get_int64 (result, 0, 0), ==, 42);
}

/* An idle connection the server ended is noticed before it is used: the
 * next statement reconnects and runs, without an error. */
static void
test_pg_connection_lost_idle (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autofree char *kill = NULL;
  int pid;

  if (fixture->connection == NULL)
    return;
  pid = PQbackendPID (orderly_pg_connection_get_conn (fixture->connection));
  kill = g_strdup_printf ("SELECT pg_terminate_backend (%d, 10000)", pid);
  orderly_test_pg_exec (fixture->uri, kill);
  g_assert_cmpint (query_int (fixture->connection, "SELECT 7"), ==, 7);
  g_assert_cmpint (PQbackendPID (orderly_pg_connection_get_conn (fixture->connection)), !=, pid);
}

/* The server stopped at once and started again, as after a crash: at most
 * one clear error, then the connection works again. */
static void
test_pg_connection_server_restart (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = NULL;

  if (fixture->connection == NULL)
    return;
  g_assert_cmpint (query_int (fixture->connection, "SELECT 7"), ==, 7);
  orderly_test_pg_restart_server ();

  result = orderly_pg_connection_exec (fixture->connection, "SELECT 7", &error);
  if (result == NULL)
    g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_UNAVAILABLE);
  g_clear_error (&error);
  g_assert_cmpint (query_int (fixture->connection, "SELECT 7"), ==, 7);
}

static void
test_pg_connection_copy (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) rows = g_string_new (NULL);
  g_autoptr(PGresult) result = NULL;
  const char *tricky = "tab\there, newline\nthere, back\\slash";

  if (fixture->connection == NULL)
    return;
  g_assert_true (orderly_pg_connection_run (fixture->connection,
                                            "CREATE TABLE t (id bigint, note text)", &error));
  g_assert_no_error (error);
  for (int i = 0; i < 1000; i++)
    {
      g_string_append_printf (rows, "%d\t", i);
      orderly_pg_copy_append_text (rows, i == 500 ? tricky : i == 501 ? NULL : "plain");
      g_string_append_c (rows, '\n');
    }
  g_assert_true (orderly_pg_connection_copy_in (fixture->connection, "COPY t (id, note) FROM STDIN",
                                                rows->str, rows->len, &error));
  g_assert_no_error (error);
  g_assert_cmpint (query_int (fixture->connection, "SELECT count(*) FROM t"), ==, 1000);
  g_assert_cmpint (query_int (fixture->connection, "SELECT count(*) FROM t WHERE note IS NULL"), ==, 1);
  result = orderly_pg_connection_exec (fixture->connection, "SELECT note FROM t WHERE id = 500", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (PQgetvalue (result, 0, 0), ==, tricky);

  /* A bad row fails the whole COPY and leaves the connection usable. */
  g_assert_false (orderly_pg_connection_copy_in (fixture->connection, "COPY t (id, note) FROM STDIN",
                                                 "x\ty\n", 4, &error));
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_STORAGE);
  g_assert_cmpint (query_int (fixture->connection, "SELECT count(*) FROM t"), ==, 1000);
}

static void
test_pg_connection_errors (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  if (fixture->connection == NULL)
    return;
  g_assert_false (orderly_pg_connection_run (fixture->connection,
                                             "DO $$ BEGIN RAISE EXCEPTION 'no room' "
                                             "USING ERRCODE = 'disk_full'; END $$", &error));
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_NO_SPACE);
  g_assert_true (g_str_has_prefix (error->message, "The PostgreSQL server's disk is full"));
  g_clear_error (&error);

  g_assert_true (orderly_pg_connection_run (fixture->connection,
                                            "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", &error));
  g_assert_false (orderly_pg_connection_run (fixture->connection, "CREATE TABLE u (id int)", &error));
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_READ_ONLY);
  g_clear_error (&error);

  /* A failed transaction is rolled back whole, and the next one works. */
  g_assert_true (orderly_pg_connection_run (fixture->connection,
                                            "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", &error));
  g_assert_true (orderly_pg_connection_run (fixture->connection,
                                            "CREATE TABLE u (id int PRIMARY KEY)", &error));
  g_assert_true (orderly_pg_connection_begin (fixture->connection, &error));
  g_assert_true (orderly_pg_connection_run (fixture->connection, "INSERT INTO u VALUES (1)", &error));
  g_assert_false (orderly_pg_connection_run (fixture->connection, "INSERT INTO u VALUES (1)", &error));
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_STORAGE);
  g_clear_error (&error);
  orderly_pg_connection_rollback (fixture->connection);
  g_assert_cmpint (query_int (fixture->connection, "SELECT count(*) FROM u"), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/orderly/pg/connection/bad-uri", test_pg_connection_bad_uri);
  g_test_add_func ("/orderly/pg/connection/unreachable", test_pg_connection_unreachable);
  g_test_add ("/orderly/pg/connection/lost", Fixture, NULL,
              fixture_set_up, test_pg_connection_lost, fixture_tear_down);
  g_test_add ("/orderly/pg/connection/lost-idle", Fixture, NULL,
              fixture_set_up, test_pg_connection_lost_idle, fixture_tear_down);
  g_test_add ("/orderly/pg/connection/server-restart", Fixture, NULL,
              fixture_set_up, test_pg_connection_server_restart, fixture_tear_down);
  g_test_add ("/orderly/pg/connection/copy", Fixture, NULL,
              fixture_set_up, test_pg_connection_copy, fixture_tear_down);
  g_test_add ("/orderly/pg/connection/errors", Fixture, NULL,
              fixture_set_up, test_pg_connection_errors, fixture_tear_down);

  return g_test_run ();
}
