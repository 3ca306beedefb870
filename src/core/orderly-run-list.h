/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "orderly-run.h"
#include "orderly-store.h"

G_BEGIN_DECLS

#define ORDERLY_RUN_LIST_LIMIT 1000

#define ORDERLY_TYPE_RUN_LIST (orderly_run_list_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyRunList, orderly_run_list, ORDERLY, RUN_LIST, GObject)

OrderlyRunList *orderly_run_list_new         (OrderlyStore           *store);
void            orderly_run_list_refresh     (OrderlyRunList         *self);
gboolean        orderly_run_list_get_loading (OrderlyRunList         *self);
OrderlyRun     *orderly_run_list_find        (OrderlyRunList         *self,
                                              gint64                  run_id);
void            orderly_run_list_update      (OrderlyRunList         *self,
                                              const OrderlyRunRecord *record);
void            orderly_run_list_set_records (OrderlyRunList         *self,
                                              GPtrArray              *records);

G_END_DECLS
