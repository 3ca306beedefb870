/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "orderly-store.h"

G_BEGIN_DECLS

typedef enum
{
  ORDERLY_SQLITE_STORE_NONE      = 0,
  ORDERLY_SQLITE_STORE_READ_ONLY = 1 << 0,
} OrderlySqliteStoreFlags;

/* The schema version this build writes, kept in PRAGMA user_version. */
#define ORDERLY_SQLITE_SCHEMA_VERSION 3

#define ORDERLY_TYPE_SQLITE_STORE (orderly_sqlite_store_get_type ())

G_DECLARE_FINAL_TYPE (OrderlySqliteStore, orderly_sqlite_store, ORDERLY, SQLITE_STORE, OrderlyStore)

OrderlyStore *orderly_sqlite_store_new            (const char               *path,
                                                   GError                  **error);
OrderlyStore *orderly_sqlite_store_new_full       (const char               *path,
                                                   OrderlySqliteStoreFlags   flags,
                                                   GError                  **error);
void          orderly_sqlite_store_set_size_limit (OrderlyStore             *store,
                                                   gint64                    max_bytes);
void          orderly_sqlite_store_apply_pragmas  (gpointer                  sqlite_db);

G_END_DECLS
