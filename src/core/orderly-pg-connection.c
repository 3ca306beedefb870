/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-pg"

#include "config.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "orderly-pg-connection.h"
#include "orderly-types.h"

/*
 * One libpq connection, used by one thread at a time. It reconnects by
 * itself: an operation that finds the connection broken tries once to
 * reconnect before it runs. An operation that loses the connection while it
 * runs fails with %ORDERLY_ERROR_UNAVAILABLE, since whether the server
 * committed its last transaction is then unknown; the next operation
 * reconnects. Named statements are prepared on first use and again after a
 * reconnection.
 */

/* A frozen process must not keep row locks forever: the server ends a
 * session left idle inside a transaction for this long. */
#define IDLE_IN_TRANSACTION_TIMEOUT "10s"

struct _OrderlyPgConnection
{
  PGconn     *conn;
  char       *uri;
  char       *description;
  GHashTable *prepared;
  /* Set when an error said the session is gone, even if libpq has not
   * noticed yet. */
  gboolean    lost;
};

static void
ignore_notice_cb (void       *arg,
                  const char *message)
{
}

static char *
trimmed (const char *message)
{
  char *copy = g_strdup (message != NULL && *message != '\0' ? message : "unknown error");

  return g_strchomp (copy);
}

/* Names the server without the password a URI may carry. */
static char *
describe (PGconn *conn)
{
  const char *host = PQhost (conn);
  const char *port = PQport (conn);

  if (host == NULL || *host == '\0')
    host = "localhost";
  if (host[0] == '/')
    return g_strdup_printf ("database “%s” on the socket in %s", PQdb (conn), host);
  return g_strdup_printf ("database “%s” on %s:%s", PQdb (conn), host,
                          port != NULL && *port != '\0' ? port : "5432");
}

static gboolean
set_up_session (OrderlyPgConnection  *self,
                GError              **error)
{
  PQsetNoticeProcessor (self->conn, ignore_notice_cb, NULL);
  g_hash_table_remove_all (self->prepared);
  return orderly_pg_connection_run (self,
                                    "SET idle_in_transaction_session_timeout = '"
                                    IDLE_IN_TRANSACTION_TIMEOUT "';"
                                    "SET client_min_messages = warning;"
                                    "SET TIME ZONE 'UTC'", error);
}

static gboolean
connect_now (OrderlyPgConnection  *self,
             GError              **error)
{
  const char * const keywords[] = { "application_name", "connect_timeout", "dbname", NULL };
  const char * const values[] = { "orderly", "10", self->uri, NULL };

  g_clear_pointer (&self->conn, PQfinish);
  self->lost = FALSE;
  self->conn = PQconnectdbParams (keywords, values, TRUE);
  if (self->conn == NULL)
    {
      g_set_error_literal (error, ORDERLY_ERROR, ORDERLY_ERROR_UNAVAILABLE,
                           "Cannot connect to PostgreSQL: out of memory");
      return FALSE;
    }
  if (PQstatus (self->conn) != CONNECTION_OK)
    {
      g_autofree char *message = trimmed (PQerrorMessage (self->conn));
      g_autofree char *description = describe (self->conn);

      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_UNAVAILABLE,
                   "Cannot connect to the PostgreSQL %s: %s", description, message);
      return FALSE;
    }
  g_free (self->description);
  self->description = describe (self->conn);
  return set_up_session (self, error);
}

/**
 * orderly_pg_connection_new:
 * @uri: a libpq connection URI (`postgresql://…`) or key=value string
 *
 * Connects to the server.
 *
 * Returns: (transfer full): the connection, or %NULL with @error set
 */
OrderlyPgConnection *
orderly_pg_connection_new (const char  *uri,
                           GError     **error)
{
  g_autoptr(OrderlyPgConnection) self = NULL;
  PQconninfoOption *options;
  char *parse_error = NULL;

  g_return_val_if_fail (uri != NULL, NULL);

  options = PQconninfoParse (uri, &parse_error);
  if (options == NULL)
    {
      g_autofree char *message = trimmed (parse_error);

      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                   "Not a PostgreSQL connection URI: %s", message);
      PQfreemem (parse_error);
      return NULL;
    }
  PQconninfoFree (options);

  self = g_new0 (OrderlyPgConnection, 1);
  self->uri = g_strdup (uri);
  self->prepared = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (!connect_now (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
orderly_pg_connection_free (OrderlyPgConnection *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->conn, PQfinish);
  g_clear_pointer (&self->prepared, g_hash_table_unref);
  g_free (self->description);
  g_free (self->uri);
  g_free (self);
}

/* An idle connection has nothing to read, unless the server ended it (a
 * shutdown, a restart, a timeout): then libpq notices it here. */
static void
notice_end (OrderlyPgConnection *self)
{
  struct pollfd fd = { .fd = PQsocket (self->conn), .events = POLLIN };

  /* A goodbye (FATAL) comes first, then the end of the stream: read both.
   * Notifications read here wait in libpq for PQnotifies(). */
  for (int i = 0; i < 4 && fd.fd >= 0 && PQtransactionStatus (self->conn) == PQTRANS_IDLE &&
                  poll (&fd, 1, 0) > 0; i++)
    {
      if (!PQconsumeInput (self->conn))
        {
          self->lost = TRUE;
          break;
        }
    }
}

/**
 * orderly_pg_connection_is_broken:
 *
 * Returns: whether the connection was lost (the next operation reconnects)
 */
gboolean
orderly_pg_connection_is_broken (OrderlyPgConnection *self)
{
  if (self->lost || self->conn == NULL || PQstatus (self->conn) != CONNECTION_OK)
    return TRUE;
  notice_end (self);
  return self->lost || PQstatus (self->conn) != CONNECTION_OK;
}

/**
 * orderly_pg_connection_ensure:
 *
 * Reconnects if the connection was lost.
 */
gboolean
orderly_pg_connection_ensure (OrderlyPgConnection  *self,
                              GError              **error)
{
  if (!orderly_pg_connection_is_broken (self))
    return TRUE;
  g_debug ("Reconnecting to the PostgreSQL %s", self->description ? self->description : "server");
  return connect_now (self, error);
}

/**
 * orderly_pg_connection_get_description:
 *
 * Returns: the database and server, for messages (never the password)
 */
const char *
orderly_pg_connection_get_description (OrderlyPgConnection *self)
{
  return self->description;
}

PGconn *
orderly_pg_connection_get_conn (OrderlyPgConnection *self)
{
  return self->conn;
}

/**
 * orderly_pg_connection_set_error:
 * @result: (nullable): the failed result, if there is one
 *
 * Turns what the server or libpq said into an #OrderlyError.
 */
void
orderly_pg_connection_set_error (OrderlyPgConnection  *self,
                                 const PGresult       *result,
                                 GError              **error)
{
  const char *state = result != NULL ? PQresultErrorField (result, PG_DIAG_SQLSTATE) : NULL;
  /* The primary message alone: the full one can quote whole parameters. */
  const char *raw = result != NULL ? PQresultErrorField (result, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  g_autofree char *message = NULL;
  const char *where = self->description ? self->description : "database";

  if (raw == NULL || *raw == '\0')
    raw = PQerrorMessage (self->conn);
  message = trimmed (raw);
  if (state == NULL)
    state = "";

  /* Errors libpq makes up itself carry no SQLSTATE: the server is gone. */
  if (orderly_pg_connection_is_broken (self) || *state == '\0' || g_str_has_prefix (state, "08") ||
      g_str_equal (state, "57P01") || g_str_equal (state, "57P02") ||
      g_str_equal (state, "57P03"))
    self->lost = TRUE;

  if (self->lost)
    g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_UNAVAILABLE,
                 "Lost the connection to the PostgreSQL %s (the server stopped, restarted or "
                 "cannot be reached): %s", where, message);
  else if (g_str_equal (state, "53100"))
    g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_NO_SPACE,
                 "The PostgreSQL server's disk is full: cannot write the %s (%s)", where, message);
  else if (g_str_equal (state, "25006") || g_str_equal (state, "42501"))
    g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_READ_ONLY,
                 "The PostgreSQL %s cannot be written: %s", where, message);
  else if (g_str_has_prefix (state, "XX0"))
    g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_CORRUPT,
                 "The PostgreSQL %s reports damaged data: %s", where, message);
  else
    g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_STORAGE,
                 "PostgreSQL error on the %s: %s", where, message);
}

static PGresult *
checked (OrderlyPgConnection  *self,
         PGresult             *result,
         GError              **error)
{
  ExecStatusType status = result != NULL ? PQresultStatus (result) : PGRES_FATAL_ERROR;

  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_IN)
    return result;
  orderly_pg_connection_set_error (self, result, error);
  g_clear_pointer (&result, PQclear);
  return NULL;
}

/**
 * orderly_pg_connection_exec:
 *
 * Runs @sql (one or more statements, no parameters).
 *
 * Returns: (transfer full): the last statement's result, or %NULL on error
 */
PGresult *
orderly_pg_connection_exec (OrderlyPgConnection  *self,
                            const char           *sql,
                            GError              **error)
{
  if (!orderly_pg_connection_ensure (self, error))
    return NULL;
  return checked (self, PQexec (self->conn, sql), error);
}

/**
 * orderly_pg_connection_run:
 *
 * Runs @sql and drops its result.
 */
gboolean
orderly_pg_connection_run (OrderlyPgConnection  *self,
                           const char           *sql,
                           GError              **error)
{
  g_autoptr(PGresult) result = orderly_pg_connection_exec (self, sql, error);

  return result != NULL;
}

/**
 * orderly_pg_connection_exec_params:
 * @values: (array length=n_params): text parameters ($1, $2…); %NULL for SQL NULL
 *
 * Returns: (transfer full): the result, or %NULL on error
 */
PGresult *
orderly_pg_connection_exec_params (OrderlyPgConnection  *self,
                                   const char           *sql,
                                   int                   n_params,
                                   const char * const   *values,
                                   GError              **error)
{
  if (!orderly_pg_connection_ensure (self, error))
    return NULL;
  return checked (self, PQexecParams (self->conn, sql, n_params, NULL, values, NULL, NULL, 0),
                  error);
}

/**
 * orderly_pg_connection_exec_prepared:
 * @name: the statement's name, unique for @sql
 *
 * Runs @sql as a named prepared statement, preparing it on this connection
 * the first time.
 *
 * Returns: (transfer full): the result, or %NULL on error
 */
PGresult *
orderly_pg_connection_exec_prepared (OrderlyPgConnection  *self,
                                     const char           *name,
                                     const char           *sql,
                                     int                   n_params,
                                     const char * const   *values,
                                     GError              **error)
{
  if (!orderly_pg_connection_ensure (self, error))
    return NULL;
  if (!g_hash_table_contains (self->prepared, name))
    {
      g_autoptr(PGresult) prepared = checked (self, PQprepare (self->conn, name, sql, n_params, NULL),
                                              error);

      if (prepared == NULL)
        return NULL;
      g_hash_table_add (self->prepared, g_strdup (name));
    }
  return checked (self, PQexecPrepared (self->conn, name, n_params, values, NULL, NULL, 0), error);
}

/**
 * orderly_pg_connection_copy_in:
 * @copy_sql: a `COPY … FROM STDIN` statement (text format)
 * @data: the rows, as orderly_pg_copy_append_text() writes them
 *
 * Loads rows with COPY, the fastest way into a table.
 */
gboolean
orderly_pg_connection_copy_in (OrderlyPgConnection  *self,
                               const char           *copy_sql,
                               const char           *data,
                               gsize                 length,
                               GError              **error)
{
  g_autoptr(PGresult) started = NULL;
  g_autoptr(PGresult) finished = NULL;

  started = orderly_pg_connection_exec (self, copy_sql, error);
  if (started == NULL)
    return FALSE;
  if (PQresultStatus (started) != PGRES_COPY_IN)
    {
      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_STORAGE,
                   "PostgreSQL did not start the COPY on the %s", self->description);
      return FALSE;
    }
  while (length > 0)
    {
      int chunk = (int) MIN (length, (gsize) G_MAXINT / 2);

      if (PQputCopyData (self->conn, data, chunk) != 1)
        {
          PQputCopyEnd (self->conn, "write failed");
          break;
        }
      data += chunk;
      length -= (gsize) chunk;
    }
  if (length == 0)
    PQputCopyEnd (self->conn, NULL);
  finished = checked (self, PQgetResult (self->conn), error);
  /* Drain to the end of the command so the connection is ready again. */
  for (PGresult *rest; (rest = PQgetResult (self->conn)) != NULL; )
    PQclear (rest);
  return finished != NULL;
}

gboolean
orderly_pg_connection_begin (OrderlyPgConnection  *self,
                             GError              **error)
{
  return orderly_pg_connection_run (self, "BEGIN", error);
}

gboolean
orderly_pg_connection_commit (OrderlyPgConnection  *self,
                              GError              **error)
{
  if (!orderly_pg_connection_run (self, "COMMIT", error))
    {
      orderly_pg_connection_rollback (self);
      return FALSE;
    }
  return TRUE;
}

/**
 * orderly_pg_connection_rollback:
 *
 * Ends the transaction under way, if any, keeping nothing of it.
 */
void
orderly_pg_connection_rollback (OrderlyPgConnection *self)
{
  if (self->conn != NULL && PQtransactionStatus (self->conn) != PQTRANS_IDLE &&
      PQtransactionStatus (self->conn) != PQTRANS_UNKNOWN)
    PQclear (PQexec (self->conn, "ROLLBACK"));
}

/**
 * orderly_pg_copy_append_text:
 * @text: (nullable): the value; %NULL is SQL NULL
 *
 * Appends one field in COPY's text format, escaped. The caller separates
 * fields with a tab and ends rows with a newline.
 */
void
orderly_pg_copy_append_text (GString    *buffer,
                             const char *text)
{
  if (text == NULL)
    {
      g_string_append (buffer, "\\N");
      return;
    }
  for (const char *p = text; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '\\': g_string_append (buffer, "\\\\"); break;
        case '\t': g_string_append (buffer, "\\t"); break;
        case '\n': g_string_append (buffer, "\\n"); break;
        case '\r': g_string_append (buffer, "\\r"); break;
        default: g_string_append_c (buffer, *p); break;
        }
    }
}

gint64
orderly_pg_result_get_int64 (const PGresult *result,
                             int             row,
                             int             column)
{
  if (PQgetisnull (result, row, column))
    return 0;
  return g_ascii_strtoll (PQgetvalue (result, row, column), NULL, 10);
}

double
orderly_pg_result_get_double (const PGresult *result,
                              int             row,
                              int             column)
{
  if (PQgetisnull (result, row, column))
    return 0;
  return g_ascii_strtod (PQgetvalue (result, row, column), NULL);
}
