/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "orderly-log-entry.h"

G_BEGIN_DECLS

#define ORDERLY_DEFAULT_LOG_CAPACITY 10000

#define ORDERLY_TYPE_LOG_STORE (orderly_log_store_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyLogStore, orderly_log_store, ORDERLY, LOG_STORE, GObject)

OrderlyLogStore *orderly_log_store_new          (guint             capacity);
guint            orderly_log_store_get_capacity (OrderlyLogStore  *self);
void             orderly_log_store_set_capacity (OrderlyLogStore  *self,
                                                 guint             capacity);
void             orderly_log_store_append       (OrderlyLogStore  *self,
                                                 OrderlyLogEntry **entries,
                                                 guint             n_entries);
void             orderly_log_store_clear        (OrderlyLogStore  *self);

G_END_DECLS
