/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "orderly-engine.h"
#include "orderly-sqlite-store.h"

G_BEGIN_DECLS

char          *orderly_test_make_data_dir   (void);
void           orderly_test_remove_dir      (const char    *path);
gboolean       orderly_test_wait_for_phase  (OrderlyEngine *engine,
                                             gboolean     (*done) (OrderlyPhase phase),
                                             guint          timeout_ms);
gboolean       orderly_test_phase_finished  (OrderlyPhase   phase);
gint64         orderly_test_query_int       (const char    *db_path,
                                             const char    *sql);

gboolean       orderly_test_integrity_ok    (const char    *db_path);

/*
 * The store backends the queue and engine tests run on, each test once per
 * backend. A backend opens a store in a test's data directory (the same
 * store again when opened there again), and answers
 * a query (one integer) on what it stored there, and makes its writes fail
 * as on a full disk (set_full), until told otherwise. A backend that needs a
 * server the test run does not have says why (unavailable), and its cases
 * are skipped with that message.
 */
typedef struct
{
  const char    *name;
  OrderlyStore *(*open)        (const char  *data_dir,
                                GError     **error);
  gint64        (*query_int)   (const char  *data_dir,
                                const char  *sql);
  const char   *(*unavailable) (void);
  void          (*set_full)    (const char    *data_dir,
                                OrderlyStore  *store,
                                gboolean       full);
} OrderlyTestBackend;

extern const OrderlyTestBackend orderly_test_backends[];
extern const guint              orderly_test_n_backends;

G_END_DECLS
