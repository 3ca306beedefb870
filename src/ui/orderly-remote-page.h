/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "orderly-remote.h"

G_BEGIN_DECLS

#define ORDERLY_TYPE_REMOTE_PAGE (orderly_remote_page_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyRemotePage, orderly_remote_page, ORDERLY, REMOTE_PAGE, AdwBin)

OrderlyRemote *orderly_remote_page_get_remote      (OrderlyRemotePage *self);
void           orderly_remote_page_set_remote      (OrderlyRemotePage *self,
                                                    OrderlyRemote     *remote);
GtkListBox    *orderly_remote_page_get_client_list (OrderlyRemotePage *self);

G_END_DECLS
