/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "orderly-types.h"

G_BEGIN_DECLS

char       *orderly_text_count       (gint64          count);
char       *orderly_text_duration_ms (double          ms);
const char *orderly_text_phase       (OrderlyPhase    phase);
const char *orderly_text_priority    (OrderlyPriority priority);

G_END_DECLS
