/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-core"

#include "config.h"

#include "orderly-text.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <math.h>

/*
 * How counts, durations and phases read where people read them: the log
 * the engine writes, the window and the dashboard. The window's formats
 * (ui/orderly-format.c) build on these, so that a count or a duration
 * reads the same in a log line as on a label.
 */

/* The locale's thousands separator, or a comma where it has none (the C
 * locale): large counts are always grouped, so that 1000000 never shows. */
static const char *
thousands_separator (void)
{
  const struct lconv *conventions = localeconv ();

  if (conventions->thousands_sep != NULL && conventions->thousands_sep[0] != '\0')
    return conventions->thousands_sep;
  return ",";
}

/**
 * orderly_text_count:
 *
 * Returns: (transfer full): @count with its digits grouped by three, with
 *   the locale's separator (a comma in locales that have none)
 */
char *
orderly_text_count (gint64 count)
{
  char digits[24];
  const char *separator = thousands_separator ();
  GString *text = g_string_sized_new (32);
  guint64 magnitude = count < 0 ? -(guint64) count : (guint64) count;
  int n_digits, i;

  n_digits = g_snprintf (digits, sizeof digits, "%" G_GUINT64_FORMAT, magnitude);
  if (count < 0)
    g_string_append_c (text, '-');
  for (i = 0; i < n_digits; i++)
    {
      if (i > 0 && (n_digits - i) % 3 == 0)
        g_string_append (text, separator);
      g_string_append_c (text, digits[i]);
    }
  return g_string_free (text, FALSE);
}

/**
 * orderly_text_duration_ms:
 *
 * Returns: (transfer full): a duration for people: milliseconds below a
 *   second, seconds with one decimal below a minute, then minutes and
 *   hours; a dash for a step that has not taken place
 */
char *
orderly_text_duration_ms (double ms)
{
  gint64 seconds;

  if (!(ms > 0))
    return g_strdup ("—");
  if (ms < 1)
    /* Translators: a duration too short to measure */
    return g_strdup (_("< 1 ms"));
  if (ms < 10)
    /* Translators: a short duration in milliseconds, e.g. “2.4 ms” */
    return g_strdup_printf (_("%.1f ms"), ms);
  if (ms < 1000)
    /* Translators: a duration in milliseconds */
    return g_strdup_printf (_("%.0f ms"), ms);
  if (ms < 60 * 1000)
    /* Translators: a duration in seconds, e.g. “18.4 s” */
    return g_strdup_printf (_("%.1f s"), ms / 1000);

  seconds = (gint64) round (ms / 1000);
  if (seconds < 3600)
    /* Translators: a duration: minutes and seconds */
    return g_strdup_printf (_("%d min %02d s"), (int) (seconds / 60), (int) (seconds % 60));
  /* Translators: a duration: hours and minutes */
  return g_strdup_printf (_("%d h %02d min"), (int) (seconds / 3600), (int) (seconds / 60 % 60));
}

/**
 * orderly_text_phase:
 *
 * What a run does in @phase, in the words of the window and the dashboard
 * (“Queueing VIP Orders”), as a phrase inside a sentence of the log:
 * “queueing VIP orders”, “cancelled”.
 *
 * Returns: (transfer none): the phrase
 */
const char *
orderly_text_phase (OrderlyPhase phase)
{
  switch (phase)
    {
    case ORDERLY_PHASE_IDLE:
      return "idle";
    case ORDERLY_PHASE_GENERATING:
      return "generating orders";
    case ORDERLY_PHASE_ENQUEUE_VIP:
      return "queueing VIP orders";
    case ORDERLY_PHASE_WAITING_VIP_DRAIN:
      return "processing VIP orders";
    case ORDERLY_PHASE_ENQUEUE_NORMAL:
      return "queueing normal orders";
    case ORDERLY_PHASE_WAITING_NORMAL_DRAIN:
      return "processing normal orders";
    case ORDERLY_PHASE_DONE:
      return "done";
    case ORDERLY_PHASE_ABORTED:
      return "cancelled";
    case ORDERLY_PHASE_ERROR:
      return "failed";
    case ORDERLY_PHASE_INTERRUPTED:
      return "interrupted";
    default:
      return "in an unknown state";
    }
}

/**
 * orderly_text_priority:
 *
 * Returns: (transfer none): a priority as a word inside a sentence: “VIP”,
 *   “normal”
 */
const char *
orderly_text_priority (OrderlyPriority priority)
{
  return priority == ORDERLY_PRIORITY_VIP ? "VIP" : "normal";
}
