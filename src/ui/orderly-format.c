/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-ui"

#include "config.h"

#include "orderly-format.h"

#include "orderly-text.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>


/*
 * How numbers, durations and times read in the window. Everything a label
 * shows goes through here, so that the pages agree with each other.
 */

#define NOT_YET "—"

/**
 * orderly_format_count:
 *
 * Returns: (transfer full): @count grouped by three, as the log writes it
 *   (orderly_text_count())
 */
char *
orderly_format_count (gint64 count)
{
  return orderly_text_count (count);
}

/**
 * orderly_format_parse_count:
 * @text: what the operator typed: digits, maybe grouped, maybe ending in
 *   K (thousand) or M (million)
 * @count: (out): the number
 *
 * Returns: whether @text is a whole number
 */
gboolean
orderly_format_parse_count (const char *text,
                            gint64     *count)
{
  guint64 value = 0;
  guint64 multiplier = 1;
  gboolean any_digit = FALSE;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (count != NULL, FALSE);

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c >= '0' && c <= '9')
        {
          if (multiplier != 1 || value > G_MAXINT64 / 10)
            return FALSE;
          value = value * 10 + (c - '0');
          any_digit = TRUE;
        }
      else if ((c == 'k' || c == 'K') && any_digit && multiplier == 1)
        multiplier = 1000;
      else if ((c == 'm' || c == 'M') && any_digit && multiplier == 1)
        multiplier = 1000000;
      else if (c == '%' || g_unichar_isspace (c) || g_unichar_ispunct (c) ||
               g_unichar_type (c) == G_UNICODE_SPACE_SEPARATOR)
        continue;
      else
        return FALSE;
    }
  if (!any_digit || value > G_MAXINT64 / multiplier)
    return FALSE;
  *count = (gint64) (value * multiplier);
  return TRUE;
}

/**
 * orderly_format_percent:
 *
 * Returns: (transfer full): a share of work done, with one decimal between
 *   the ends: “0%”, “53.2%”, “100%”
 */
char *
orderly_format_percent (double percent)
{
  percent = CLAMP (percent, 0.0, 100.0);
  if (percent <= 0)
    /* Translators: a percentage; keep the %% */
    return g_strdup_printf (_("%d%%"), 0);
  if (percent >= 100)
    return g_strdup_printf (_("%d%%"), 100);
  /* Translators: a percentage with one decimal; keep the %% */
  return g_strdup_printf (_("%.1f%%"), floor (percent * 10) / 10);
}

/**
 * orderly_format_duration_ms:
 *
 * Returns: (transfer full): a duration for people, as the log writes it
 *   (orderly_text_duration_ms())
 */
char *
orderly_format_duration_ms (double ms)
{
  return orderly_text_duration_ms (ms);
}

/**
 * orderly_format_rate:
 *
 * Returns: (transfer full): a throughput in orders per second
 */
char *
orderly_format_rate (double per_second)
{
  g_autofree char *number = NULL;

  if (!(per_second > 0))
    return g_strdup (NOT_YET);
  if (per_second < 100)
    /* Translators: a slow throughput, e.g. “9.5 orders/s” */
    return g_strdup_printf (_("%.1f orders/s"), per_second);
  number = orderly_format_count ((gint64) round (per_second));
  /* Translators: a throughput, e.g. “1,234 orders/s” */
  return g_strdup_printf (_("%s orders/s"), number);
}

/**
 * orderly_format_average_rate:
 * @processed: orders processed
 * @processing_ms: the time spent processing them (VIP and normal)
 *
 * The average rate of a run, the same on every page and in the report.
 *
 * Returns: orders per second, 0 when nothing was processed
 */
double
orderly_format_average_rate (gint64 processed,
                             double processing_ms)
{
  return processing_ms > 0 && processed > 0 ? processed / (processing_ms / 1000.0) : 0;
}

/**
 * orderly_format_peak_rate:
 * @window_peak: the highest rate the chart saw over its rate window
 * @average: the run's average rate, from orderly_format_average_rate()
 *
 * The peak rate of a run: the highest rate over any stretch of its
 * processing, the whole processing time being one of them. A run whose
 * processing was fast at first, or took less than the chart's first
 * second, has no window above its average; its peak is then the average,
 * never below it, the same on every page.
 *
 * Returns: orders per second
 */
double
orderly_format_peak_rate (double window_peak,
                          double average)
{
  return MAX (window_peak, average);
}

/**
 * orderly_format_change:
 * @now: this run's average rate
 * @before: the previous run's
 *
 * Returns: (transfer full): how this run compares: “18% faster”, “5%
 *   slower”, or “About as fast” within one percent
 */
char *
orderly_format_change (double now,
                       double before)
{
  double change;

  if (!(before > 0) || !(now > 0))
    return g_strdup (NOT_YET);
  change = (now - before) / before * 100;
  if (fabs (change) < 1)
    return g_strdup (_("About as fast"));
  if (change > 0)
    /* Translators: a run compared with the one before, e.g. “18% faster” */
    return g_strdup_printf (_("%.0f%% faster"), change);
  /* Translators: a run compared with the one before, e.g. “5% slower” */
  return g_strdup_printf (_("%.0f%% slower"), -change);
}

/**
 * orderly_format_wait_us:
 * @p50_us: the median wait, -1 when there is none
 * @p95_us: the 95th percentile
 *
 * Returns: (transfer full): how long orders waited from creation to
 *   processing: “12 ms median · 40 ms p95”
 */
char *
orderly_format_wait_us (gint64 p50_us,
                        gint64 p95_us)
{
  g_autofree char *median = NULL;
  g_autofree char *p95 = NULL;

  if (p50_us < 0)
    return g_strdup (NOT_YET);
  median = orderly_format_duration_ms (MAX (p50_us, 1) / 1000.0);
  p95 = orderly_format_duration_ms (MAX (p95_us, 1) / 1000.0);
  /* Translators: how long orders waited, e.g. “12 ms median · 40 ms p95” */
  return g_strdup_printf (_("%s median · %s p95"), median, p95);
}

static char *
format_local (gint64      time_us,
              const char *format)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;

  if (time_us <= 0)
    return g_strdup (NOT_YET);
  utc = g_date_time_new_from_unix_utc (time_us / G_USEC_PER_SEC);
  if (utc == NULL)
    return g_strdup (NOT_YET);
  utc = g_date_time_add (g_steal_pointer (&utc), time_us % G_USEC_PER_SEC);
  local = g_date_time_to_local (utc);
  return g_date_time_format (local, format);
}

/**
 * orderly_format_clock_us:
 *
 * Returns: (transfer full): the local time of day of @time_us (µs since the
 *   epoch), 24-hour, to the second: “19:54:57”
 */
char *
orderly_format_clock_us (gint64 time_us)
{
  return format_local (time_us, "%H:%M:%S");
}

/**
 * orderly_format_date_us:
 *
 * Returns: (transfer full): the local date and time of @time_us, to the
 *   minute: “Jul 18, 19:54”
 */
char *
orderly_format_date_us (gint64 time_us)
{
  /* Translators: a date and time for g_date_time_format(), e.g. “Jul 18, 19:54” */
  return format_local (time_us, _("%b %-d, %H:%M"));
}

/**
 * orderly_format_log_time_ms:
 *
 * Returns: (transfer full): the time of day of a log line, to the millisecond
 */
char *
orderly_format_log_time_ms (gint64 timestamp_ms)
{
  static GTimeZone *zone;
  static gint64 zone_checked_us;
  g_autoptr(GDateTime) local = NULL;
  gint64 now = g_get_monotonic_time ();

  if (timestamp_ms <= 0)
    return g_strdup (NOT_YET);
  /* Log tables format many times per second; looking the zone up each
   * time reads the disk. Once a minute is enough to follow a change. */
  if (zone == NULL || now - zone_checked_us > 60 * G_USEC_PER_SEC)
    {
      g_clear_pointer (&zone, g_time_zone_unref);
      zone = g_time_zone_new_local ();
      zone_checked_us = now;
    }
  {
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (timestamp_ms / 1000);

    if (utc != NULL)
      local = g_date_time_to_timezone (utc, zone);
  }
  if (local == NULL)
    return g_strdup (NOT_YET);
  return g_strdup_printf ("%02d:%02d:%02d.%03d",
                          g_date_time_get_hour (local),
                          g_date_time_get_minute (local),
                          g_date_time_get_second (local),
                          (int) (timestamp_ms % 1000));
}

/**
 * orderly_format_eta_ms:
 *
 * Returns: (transfer full): how long a run still needs, or that it is not
 *   known yet
 */
char *
orderly_format_eta_ms (gint64 eta_ms)
{
  g_autofree char *duration = NULL;

  if (eta_ms < 0)
    return g_strdup (_("Estimating time left…"));
  if (eta_ms < 1000)
    return g_strdup (_("Less than a second left"));
  duration = orderly_format_duration_ms ((double) eta_ms);
  /* Translators: the estimated time until the run ends, e.g. “12.5 s left” */
  return g_strdup_printf (_("%s left"), duration);
}

/**
 * orderly_format_finish_us:
 * @now_us: the current time, µs since the epoch
 * @eta_ms: the estimated time left, -1 when unknown
 *
 * Returns: (transfer full): when a run should end, as a clock time, or an
 *   empty string when that is not known
 */
char *
orderly_format_finish_us (gint64 now_us,
                          gint64 eta_ms)
{
  g_autofree char *clock = NULL;

  if (eta_ms < 0 || now_us <= 0)
    return g_strdup ("");
  clock = orderly_format_clock_us (now_us + eta_ms * 1000);
  /* Translators: the clock time a run should end, e.g. “done by 19:55:10” */
  return g_strdup_printf (_("done by %s"), clock);
}

/**
 * orderly_format_phase:
 *
 * Returns: (transfer none): what a phase means, for the operator
 */
const char *
orderly_format_phase (OrderlyPhase phase)
{
  switch (phase)
    {
    case ORDERLY_PHASE_IDLE:
      return _("Idle");
    case ORDERLY_PHASE_GENERATING:
      return _("Generating Orders");
    case ORDERLY_PHASE_ENQUEUE_VIP:
      return _("Queueing VIP Orders");
    case ORDERLY_PHASE_WAITING_VIP_DRAIN:
      return _("Processing VIP Orders");
    case ORDERLY_PHASE_ENQUEUE_NORMAL:
      return _("Queueing Normal Orders");
    case ORDERLY_PHASE_WAITING_NORMAL_DRAIN:
      return _("Processing Normal Orders");
    case ORDERLY_PHASE_DONE:
      return _("Done");
    case ORDERLY_PHASE_ABORTED:
      return _("Cancelled");
    case ORDERLY_PHASE_ERROR:
      return _("Failed");
    case ORDERLY_PHASE_INTERRUPTED:
      return _("Interrupted");
    default:
      return _("Unknown");
    }
}

/**
 * orderly_format_phase_style:
 *
 * Returns: (transfer none): the style class that colours a phase
 */
const char *
orderly_format_phase_style (OrderlyPhase phase)
{
  switch (phase)
    {
    case ORDERLY_PHASE_DONE:
      return "success";
    case ORDERLY_PHASE_ABORTED:
    case ORDERLY_PHASE_INTERRUPTED:
      return "warning";
    case ORDERLY_PHASE_ERROR:
      return "error";
    case ORDERLY_PHASE_IDLE:
      return "dim-label";
    default:
      return "accent";
    }
}

/**
 * orderly_format_log_level:
 *
 * Returns: (transfer none): the name of a log level, for the operator
 */
const char *
orderly_format_log_level (OrderlyLogLevel level)
{
  switch (level)
    {
    case ORDERLY_LOG_LEVEL_WARN:
      return _("Warning");
    case ORDERLY_LOG_LEVEL_ERROR:
      return _("Error");
    case ORDERLY_LOG_LEVEL_LOG:
    default:
      return _("Info");
    }
}

typedef struct
{
  const char *pattern;   /* a substring of the user agent */
  const char *name;
} AgentRule;

static const char *
match_rule (const char      *user_agent,
            const AgentRule *rules,
            gsize            n_rules)
{
  for (gsize i = 0; i < n_rules; i++)
    if (strstr (user_agent, rules[i].pattern) != NULL)
      return rules[i].name;
  return NULL;
}

/**
 * orderly_format_user_agent:
 *
 * Names a client by its user agent, as the web dashboard does
 * (data/web/js/agent.js): “Firefox on Linux”, “socket.io-client (Node)”,
 * “curl”; any other program by its name without its version.
 *
 * Returns: (transfer full): a name for people
 */
char *
orderly_format_user_agent (const char *user_agent)
{
  static const AgentRule programs[] = {
    { "socket.io-client", "socket.io-client (Node)" },
    { "node-XMLHttpRequest", "socket.io-client (Node)" },
    { "node-fetch", "Node.js" },
    { "undici", "Node.js" },
    { "curl/", "curl" },
    { "Wget/", "Wget" },
    { "python-requests", "Python" },
    { "aiohttp", "Python" },
    { "libsoup", "libsoup" },
  };
  /* Order matters: Edge and Opera also say Chrome, Chrome says Safari. */
  static const AgentRule browsers[] = {
    { "Edg/", "Edge" }, { "EdgA/", "Edge" }, { "EdgiOS/", "Edge" },
    { "OPR/", "Opera" },
    { "Epiphany/", "GNOME Web" },
    { "Firefox/", "Firefox" }, { "FxiOS/", "Firefox" },
    { "HeadlessChrome/", "Chrome (headless)" },
    { "Chromium/", "Chromium" },
    { "Chrome/", "Chrome" }, { "CriOS/", "Chrome" },
    { "Safari/", "Safari" },
  };
  static const AgentRule systems[] = {
    { "Android", "Android" },
    { "iPhone", "iOS" }, { "iPad", "iOS" },
    { "CrOS", "ChromeOS" },
    { "Windows", "Windows" },
    { "Mac OS X", "macOS" }, { "Macintosh", "macOS" },
    { "Linux", "Linux" }, { "X11", "Linux" },
  };
  const char *program, *browser, *system;
  gsize length;

  if (user_agent == NULL || user_agent[0] == '\0')
    return g_strdup (_("Unknown client"));
  if ((program = match_rule (user_agent, programs, G_N_ELEMENTS (programs))) != NULL ||
      g_str_has_prefix (user_agent, "node"))
    return g_strdup (program != NULL ? program : "Node.js");
  browser = match_rule (user_agent, browsers, G_N_ELEMENTS (browsers));
  if (browser != NULL && g_str_equal (browser, "Safari") && strstr (user_agent, "Version/") == NULL)
    browser = NULL;
  if (browser != NULL)
    {
      system = match_rule (user_agent, systems, G_N_ELEMENTS (systems));
      if (system == NULL)
        return g_strdup (browser);
      /* Translators: a web browser on an operating system, e.g. “Firefox on Linux” */
      return g_strdup_printf (_("%s on %s"), browser, system);
    }
  length = strcspn (user_agent, " /;(");
  if (length == 0)
    return g_strdup (_("Unknown client"));
  return g_strndup (user_agent, length);
}

/**
 * orderly_format_transport:
 *
 * Returns: (transfer none): how a client is connected, for people
 */
const char *
orderly_format_transport (const char *transport)
{
  if (g_strcmp0 (transport, "websocket") == 0)
    return _("WebSocket");
  if (g_strcmp0 (transport, "socket.io/websocket") == 0)
    return _("Socket.IO (WebSocket)");
  if (g_strcmp0 (transport, "socket.io/polling") == 0)
    return _("Socket.IO (polling)");
  return transport != NULL ? transport : _("Unknown transport");
}

/**
 * orderly_format_role:
 *
 * Returns: (transfer none): a role, for people
 */
const char *
orderly_format_role (const char *role)
{
  if (g_strcmp0 (role, "operator") == 0)
    return _("Operator");
  if (g_strcmp0 (role, "viewer") == 0)
    return _("Viewer");
  return role != NULL ? role : "";
}
