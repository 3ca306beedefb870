/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

typedef struct _OrderlyPgConnection OrderlyPgConnection;

OrderlyPgConnection *orderly_pg_connection_new            (const char           *uri,
                                                           GError              **error);
void                 orderly_pg_connection_free           (OrderlyPgConnection  *self);
gboolean             orderly_pg_connection_ensure         (OrderlyPgConnection  *self,
                                                           GError              **error);
const char          *orderly_pg_connection_get_description (OrderlyPgConnection *self);
PGconn              *orderly_pg_connection_get_conn       (OrderlyPgConnection  *self);
PGresult            *orderly_pg_connection_exec           (OrderlyPgConnection  *self,
                                                           const char           *sql,
                                                           GError              **error);
gboolean             orderly_pg_connection_run            (OrderlyPgConnection  *self,
                                                           const char           *sql,
                                                           GError              **error);
PGresult            *orderly_pg_connection_exec_params    (OrderlyPgConnection  *self,
                                                           const char           *sql,
                                                           int                   n_params,
                                                           const char * const   *values,
                                                           GError              **error);
PGresult            *orderly_pg_connection_exec_prepared  (OrderlyPgConnection  *self,
                                                           const char           *name,
                                                           const char           *sql,
                                                           int                   n_params,
                                                           const char * const   *values,
                                                           GError              **error);
gboolean             orderly_pg_connection_copy_in        (OrderlyPgConnection  *self,
                                                           const char           *copy_sql,
                                                           const char           *data,
                                                           gsize                 length,
                                                           GError              **error);
gboolean             orderly_pg_connection_begin          (OrderlyPgConnection  *self,
                                                           GError              **error);
gboolean             orderly_pg_connection_commit         (OrderlyPgConnection  *self,
                                                           GError              **error);
void                 orderly_pg_connection_rollback       (OrderlyPgConnection  *self);
gboolean             orderly_pg_connection_is_broken      (OrderlyPgConnection  *self);
void                 orderly_pg_connection_set_error      (OrderlyPgConnection  *self,
                                                           const PGresult       *result,
                                                           GError              **error);

void                 orderly_pg_copy_append_text          (GString              *buffer,
                                                           const char           *text);
gint64               orderly_pg_result_get_int64          (const PGresult       *result,
                                                           int                   row,
                                                           int                   column);
double               orderly_pg_result_get_double         (const PGresult       *result,
                                                           int                   row,
                                                           int                   column);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrderlyPgConnection, orderly_pg_connection_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)

G_END_DECLS
