/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The throwaway server build-aux/test.sh starts (ORDERLY_TEST_PG_URI). */
#define ORDERLY_TEST_PG_MISSING \
  "no PostgreSQL test server: ORDERLY_TEST_PG_URI is not set (build-aux/test.sh starts one)"

const char *orderly_test_pg_uri             (void);
char       *orderly_test_pg_create_database (void);
void        orderly_test_pg_drop_database   (const char *uri);
char       *orderly_test_pg_set_up          (void);
void        orderly_test_pg_tear_down       (char       *uri);
gint64      orderly_test_pg_query_int       (const char *uri,
                                             const char *sql);
void        orderly_test_pg_exec            (const char *uri,
                                             const char *sql);
void        orderly_test_pg_restart_server  (void);

G_END_DECLS
