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

G_END_DECLS
