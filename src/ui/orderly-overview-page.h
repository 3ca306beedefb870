/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "orderly-status.h"

G_BEGIN_DECLS

#define ORDERLY_TYPE_OVERVIEW_PAGE (orderly_overview_page_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyOverviewPage, orderly_overview_page, ORDERLY, OVERVIEW_PAGE, AdwBin)

OrderlyStatus *orderly_overview_page_get_status (OrderlyOverviewPage *self);
void           orderly_overview_page_set_status (OrderlyOverviewPage *self,
                                                 OrderlyStatus       *status);

GListModel    *orderly_overview_page_get_runs   (OrderlyOverviewPage *self);
void           orderly_overview_page_set_runs   (OrderlyOverviewPage *self,
                                                 GListModel          *runs);

G_END_DECLS
