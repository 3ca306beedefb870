/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "orderly-pg-connection.h"

G_BEGIN_DECLS

typedef struct _OrderlyPgPool OrderlyPgPool;

OrderlyPgPool       *orderly_pg_pool_new     (const char           *uri,
                                              guint                 max_connections,
                                              GError              **error);
void                 orderly_pg_pool_free    (OrderlyPgPool        *self);
const char          *orderly_pg_pool_get_uri (OrderlyPgPool        *self);
OrderlyPgConnection *orderly_pg_pool_acquire (OrderlyPgPool        *self,
                                              GError              **error);
void                 orderly_pg_pool_release (OrderlyPgPool        *self,
                                              OrderlyPgConnection  *connection);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrderlyPgPool, orderly_pg_pool_free)

G_END_DECLS
