/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "orderly-status.h"
#include "orderly-store.h"

G_BEGIN_DECLS

#define ORDERLY_TYPE_RUN_ITEM (orderly_run_item_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyRunItem, orderly_run_item, ORDERLY, RUN_ITEM, GObject)

OrderlyRunItem         *orderly_run_item_new        (const OrderlyRunRecord *record);
const OrderlyRunRecord *orderly_run_item_get_record (OrderlyRunItem         *self);
void                    orderly_run_item_follow_status (OrderlyRunItem          *self,
                                                        const OrderlyStatusData *data);

G_END_DECLS
