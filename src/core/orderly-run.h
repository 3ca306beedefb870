/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "orderly-store.h"

G_BEGIN_DECLS

#define ORDERLY_TYPE_RUN (orderly_run_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyRun, orderly_run, ORDERLY, RUN, GObject)

OrderlyRun             *orderly_run_new        (const OrderlyRunRecord *record);
const OrderlyRunRecord *orderly_run_get_record (OrderlyRun             *self);
gint64                  orderly_run_get_id     (OrderlyRun             *self);
gboolean                orderly_run_update     (OrderlyRun             *self,
                                                const OrderlyRunRecord *record);

G_END_DECLS
