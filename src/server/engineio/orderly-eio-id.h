/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Ids nobody can guess, for Engine.IO sessions and Socket.IO sockets. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *orderly_eio_generate_id (GError **error);

G_END_DECLS
