/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "orderly-log-store.h"

G_BEGIN_DECLS

#define ORDERLY_TYPE_LOGS_PAGE (orderly_logs_page_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyLogsPage, orderly_logs_page, ORDERLY, LOGS_PAGE, AdwBin)

OrderlyLogStore *orderly_logs_page_get_log_store  (OrderlyLogsPage *self);
void             orderly_logs_page_set_log_store  (OrderlyLogsPage *self,
                                                   OrderlyLogStore *log_store);
GListModel      *orderly_logs_page_get_shown      (OrderlyLogsPage *self);
void             orderly_logs_page_set_search     (OrderlyLogsPage *self,
                                                   const char      *text);
void             orderly_logs_page_start_search   (OrderlyLogsPage *self);
gboolean         orderly_logs_page_get_following  (OrderlyLogsPage *self);
char            *orderly_logs_page_dup_selected_text (OrderlyLogsPage *self);
void             orderly_logs_page_set_compact    (OrderlyLogsPage *self,
                                                   gboolean         compact);

G_END_DECLS
