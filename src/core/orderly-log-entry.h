/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "orderly-store.h"

G_BEGIN_DECLS

#define ORDERLY_TYPE_LOG_ENTRY (orderly_log_entry_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyLogEntry, orderly_log_entry, ORDERLY, LOG_ENTRY, GObject)

OrderlyLogEntry *orderly_log_entry_new_from_record (OrderlyLogRecord *record);
gint64           orderly_log_entry_get_id          (OrderlyLogEntry  *self);
gint64           orderly_log_entry_get_timestamp   (OrderlyLogEntry  *self);
OrderlyLogLevel  orderly_log_entry_get_level       (OrderlyLogEntry  *self);
const char      *orderly_log_entry_get_category    (OrderlyLogEntry  *self);
const char      *orderly_log_entry_get_message     (OrderlyLogEntry  *self);
const char      *orderly_log_entry_get_data        (OrderlyLogEntry  *self);
const char      *orderly_log_entry_get_instance    (OrderlyLogEntry  *self);

G_END_DECLS
