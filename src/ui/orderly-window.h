/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "orderly-application.h"

G_BEGIN_DECLS

#define ORDERLY_TYPE_WINDOW (orderly_window_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyWindow, orderly_window, ORDERLY, WINDOW, AdwApplicationWindow)

OrderlyWindow *orderly_window_new          (OrderlyApplication *application);
OrderlyEngine *orderly_window_get_engine   (OrderlyWindow      *self);
OrderlyRemote *orderly_window_get_remote   (OrderlyWindow      *self);
void           orderly_window_show_page    (OrderlyWindow      *self,
                                            const char         *name);
void           orderly_window_add_toast    (OrderlyWindow      *self,
                                            const char         *message);

void           _orderly_window_set_accels  (GtkApplication     *application);

G_END_DECLS
