/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "orderly-store.h"

G_BEGIN_DECLS

typedef struct _OrderlyLogQueue OrderlyLogQueue;

OrderlyLogQueue *orderly_log_queue_new     (guint             max_pending);
void             orderly_log_queue_free    (OrderlyLogQueue  *self);
void             orderly_log_queue_push    (OrderlyLogQueue  *self,
                                            OrderlyLogRecord *record);
void             orderly_log_queue_printf  (OrderlyLogQueue  *self,
                                            OrderlyLogLevel   level,
                                            const char       *category,
                                            const char       *data_json,
                                            const char       *format,
                                            ...) G_GNUC_PRINTF (5, 6);
GPtrArray       *orderly_log_queue_drain   (OrderlyLogQueue  *self,
                                            guint            *n_dropped);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrderlyLogQueue, orderly_log_queue_free)

G_END_DECLS
