/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "orderly-store.h"

G_BEGIN_DECLS

void orderly_generate_order (guint64       seed,
                             gint64        run_id,
                             gint64        index,
                             double        vip_share,
                             gint64        created_at_us,
                             OrderlyOrder *order);
const char *orderly_generate_tier (guint64       seed,
                                   gint64        index,
                                   double        vip_share);

G_END_DECLS
