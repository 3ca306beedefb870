/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "orderly-engine.h"

G_BEGIN_DECLS

#define ORDERLY_TYPE_HISTORY_PAGE (orderly_history_page_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyHistoryPage, orderly_history_page, ORDERLY, HISTORY_PAGE, AdwBin)

OrderlyEngine *orderly_history_page_get_engine (OrderlyHistoryPage *self);
void           orderly_history_page_set_engine (OrderlyHistoryPage *self,
                                                OrderlyEngine      *engine);
GListModel    *orderly_history_page_get_runs   (OrderlyHistoryPage *self);
void           orderly_history_page_set_compact (OrderlyHistoryPage *self,
                                                 gboolean            compact);

G_END_DECLS
