/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-ui"

#include "config.h"

#include "orderly-format.h"

#include <glib/gi18n.h>
#include <math.h>


/*
 * How numbers, durations and times read in the window. Everything a label
 * shows goes through here, so that the pages agree with each other.
 */

#define NOT_YET "—"

/**
 * orderly_format_count:
 *
 * Returns: (transfer full): @count with the locale's digit grouping
 */
char *
orderly_format_count (gint64 count)
{
  return g_strdup_printf ("%'" G_GINT64_FORMAT, count);
}

/**
 * orderly_format_duration_ms:
 *
 * Returns: (transfer full): a duration for people: milliseconds below a
 *   second, seconds with decimals below a minute, then minutes and hours; a
 *   dash for a step that has not taken place
 */
char *
orderly_format_duration_ms (double ms)
{
  gint64 seconds;

  if (!(ms > 0))
    return g_strdup (NOT_YET);
  if (ms < 10)
    /* Translators: a short duration in milliseconds, e.g. “0.4 ms” */
    return g_strdup_printf (_("%.1f ms"), ms);
  if (ms < 1000)
    /* Translators: a duration in milliseconds */
    return g_strdup_printf (_("%.0f ms"), ms);
  if (ms < 60 * 1000)
    /* Translators: a duration in seconds */
    return g_strdup_printf (_("%.2f s"), ms / 1000);

  seconds = (gint64) (ms / 1000);
  if (seconds < 3600)
    /* Translators: a duration: minutes and seconds */
    return g_strdup_printf (_("%d min %02d s"), (int) (seconds / 60), (int) (seconds % 60));
  /* Translators: a duration: hours and minutes */
  return g_strdup_printf (_("%d h %02d min"), (int) (seconds / 3600), (int) (seconds / 60 % 60));
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
  number = orderly_format_count ((gint64) round (per_second));
  /* Translators: a throughput, e.g. “1,234 orders/s” */
  return g_strdup_printf (_("%s orders/s"), number);
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
 *   epoch), to the millisecond
 */
char *
orderly_format_clock_us (gint64 time_us)
{
  g_autofree char *seconds = format_local (time_us, "%H:%M:%S");

  if (time_us <= 0)
    return g_steal_pointer (&seconds);
  return g_strdup_printf ("%s.%03d", seconds, (int) (time_us / 1000 % 1000));
}

/**
 * orderly_format_time_us:
 *
 * Returns: (transfer full): the local time of day of @time_us, to the second
 */
char *
orderly_format_time_us (gint64 time_us)
{
  return format_local (time_us, "%X");
}

/**
 * orderly_format_date_us:
 *
 * Returns: (transfer full): the local date and time of @time_us
 */
char *
orderly_format_date_us (gint64 time_us)
{
  return format_local (time_us, "%x %X");
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
  if (eta_ms == 0)
    return g_strdup (_("No time left"));
  if (eta_ms < 1000)
    return g_strdup (_("Less than a second left"));
  duration = orderly_format_duration_ms ((double) eta_ms);
  /* Translators: the estimated time until the run ends, e.g. “12.50 s left” */
  return g_strdup_printf (_("%s left"), duration);
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
