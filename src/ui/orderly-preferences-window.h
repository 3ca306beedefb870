/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "orderly-application.h"

G_BEGIN_DECLS

#define ORDERLY_TYPE_PREFERENCES_WINDOW (orderly_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyPreferencesWindow, orderly_preferences_window, ORDERLY, PREFERENCES_WINDOW, AdwPreferencesWindow)

OrderlyPreferencesWindow *orderly_preferences_window_new (OrderlyApplication *application);

G_END_DECLS
