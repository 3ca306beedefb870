/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "orderly-history-page.h"
#include "orderly-logs-page.h"
#include "orderly-overview-page.h"
#include "orderly-remote-page.h"
#include "orderly-window.h"

G_BEGIN_DECLS

struct _OrderlyWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  AdwViewStack         *view_stack;
  AdwViewSwitcherTitle *switcher_title;
  AdwViewSwitcherBar   *switcher_bar;
  GtkMenuButton        *start_button;
  GtkWidget            *pause_button;
  GtkWidget            *resume_queue_button;
  GtkPopover           *start_popover;
  GtkSpinButton        *quantity_spin;
  GtkAdjustment        *quantity_adjustment;
  GtkSpinButton        *vip_share_spin;
  GtkAdjustment        *vip_share_adjustment;
  GtkCheckButton       *force_check;
  OrderlyOverviewPage  *overview_page;
  OrderlyLogsPage      *logs_page;
  OrderlyRemotePage    *remote_page;
  OrderlyHistoryPage   *history_page;

  /* Owned */
  OrderlyEngine        *engine;
  OrderlyRemote        *remote;
  GSettings            *settings;

  guint                 narrow_source;
  gboolean              narrow;
  gboolean              close_confirmed;
};

void _orderly_window_class_add_actions (OrderlyWindowClass *klass);
void _orderly_window_update_actions    (OrderlyWindow      *self);

G_END_DECLS
