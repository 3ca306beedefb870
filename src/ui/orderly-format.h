/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "orderly-types.h"

G_BEGIN_DECLS

char       *orderly_format_count        (gint64       count);
gboolean    orderly_format_parse_count  (const char  *text,
                                         gint64      *count);
char       *orderly_format_percent      (double       percent);
char       *orderly_format_duration_ms  (double       ms);
char       *orderly_format_rate         (double       per_second);
double      orderly_format_average_rate (gint64       processed,
                                         double       processing_ms);
double      orderly_format_peak_rate    (double       window_peak,
                                         double       average);
char       *orderly_format_change       (double       now,
                                         double       before);
char       *orderly_format_wait_us      (gint64       p50_us,
                                         gint64       p95_us);
char       *orderly_format_clock_us     (gint64       time_us);
char       *orderly_format_date_us      (gint64       time_us);
char       *orderly_format_log_time_ms  (gint64       timestamp_ms);
char       *orderly_format_eta_ms       (gint64       eta_ms);
char       *orderly_format_finish_us    (gint64       now_us,
                                         gint64       eta_ms);
const char *orderly_format_phase        (OrderlyPhase phase);
const char *orderly_format_phase_style  (OrderlyPhase phase);
const char *orderly_format_log_level    (OrderlyLogLevel level);
char       *orderly_format_user_agent   (const char  *user_agent);
const char *orderly_format_transport    (const char  *transport);
const char *orderly_format_role         (const char  *role);

G_END_DECLS
