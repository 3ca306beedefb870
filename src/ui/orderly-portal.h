/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void orderly_portal_request_background (const char *reason);
void orderly_portal_set_background_status (const char *message);

G_END_DECLS
