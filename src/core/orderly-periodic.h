/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

GSource *orderly_periodic_source_new (guint          interval_ms);
guint    orderly_periodic_add        (guint          interval_ms,
                                      GSourceFunc    function,
                                      gpointer       data,
                                      GDestroyNotify notify);

G_END_DECLS
