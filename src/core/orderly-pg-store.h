/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "orderly-store.h"

G_BEGIN_DECLS

/* The schema version this Orderly writes, kept in the schema_version table. */
#define ORDERLY_PG_SCHEMA_VERSION 1

#define ORDERLY_TYPE_PG_STORE (orderly_pg_store_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyPgStore, orderly_pg_store, ORDERLY, PG_STORE, OrderlyStore)

OrderlyStore *orderly_pg_store_new             (const char     *uri,
                                                GError        **error);
const char   *orderly_pg_store_get_uri         (OrderlyPgStore *self);
const char   *orderly_pg_store_get_instance_id (OrderlyPgStore *self);
const char   *orderly_pg_store_get_description (OrderlyPgStore *self);
gboolean      orderly_pg_store_take_over_run   (OrderlyPgStore *self,
                                                gint64          run_id,
                                                const char     *owner,
                                                GError        **error);

G_END_DECLS
