/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>

#include "orderly-format.h"

/*
 * How the window says numbers, times and clients: the same as the web
 * dashboard (data/web/js/format.js and agent.js), and grouped under the C
 * locale too.
 */

static void
check (char       *text,
       const char *expected)
{
  g_assert_cmpstr (text, ==, expected);
  g_free (text);
}

static void
test_format_count (void)
{
  gint64 count = 0;

  check (orderly_format_count (0), "0");
  check (orderly_format_count (999), "999");
  check (orderly_format_count (1000), "1,000");
  check (orderly_format_count (1000000), "1,000,000");
  check (orderly_format_count (-1234567), "-1,234,567");

  g_assert_true (orderly_format_parse_count ("1,000,000", &count));
  g_assert_cmpint (count, ==, 1000000);
  g_assert_true (orderly_format_parse_count ("10k", &count));
  g_assert_cmpint (count, ==, 10000);
  g_assert_true (orderly_format_parse_count (" 2M ", &count));
  g_assert_cmpint (count, ==, 2000000);
  g_assert_true (orderly_format_parse_count ("5%", &count));
  g_assert_cmpint (count, ==, 5);
  g_assert_false (orderly_format_parse_count ("", &count));
  g_assert_false (orderly_format_parse_count ("ten", &count));
  g_assert_false (orderly_format_parse_count ("1k5", &count));
  g_assert_false (orderly_format_parse_count ("99999999999999999999", &count));
}

static void
test_format_figures (void)
{
  check (orderly_format_percent (0), "0%");
  check (orderly_format_percent (4.16), "4.1%");
  check (orderly_format_percent (99.99), "99.9%");
  check (orderly_format_percent (100), "100%");
  check (orderly_format_percent (140), "100%");

  check (orderly_format_duration_ms (0), "—");
  check (orderly_format_duration_ms (0.4), "< 1 ms");
  check (orderly_format_duration_ms (2.44), "2.4 ms");
  check (orderly_format_duration_ms (850), "850 ms");
  check (orderly_format_duration_ms (18400), "18.4 s");
  check (orderly_format_duration_ms (185000), "3 min 05 s");
  check (orderly_format_duration_ms (3720000), "1 h 02 min");

  check (orderly_format_rate (0), "—");
  check (orderly_format_rate (9.54), "9.5 orders/s");
  check (orderly_format_rate (1234.4), "1,234 orders/s");

  check (orderly_format_change (118, 100), "18% faster");
  check (orderly_format_change (95, 100), "5% slower");
  check (orderly_format_change (100.5, 100), "About as fast");
  g_assert_cmpfloat (orderly_format_average_rate (1000, 500), ==, 2000);
  g_assert_cmpfloat (orderly_format_average_rate (0, 500), ==, 0);
  /* The whole processing time is one of the stretches a peak is taken over. */
  g_assert_cmpfloat (orderly_format_peak_rate (32750, 38103), ==, 38103);
  g_assert_cmpfloat (orderly_format_peak_rate (0, 2000), ==, 2000);
  g_assert_cmpfloat (orderly_format_peak_rate (45000, 38103), ==, 45000);
}

static void
test_format_clock (void)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) moment = g_date_time_new (utc, 2026, 7, 18, 19, 54, 57.987);
  gint64 us = g_date_time_to_unix (moment) * G_USEC_PER_SEC + 987000;

  /* The tests run in UTC (TZ is set in main). */
  check (orderly_format_clock_us (us), "19:54:57");
  check (orderly_format_log_time_ms (us / 1000), "19:54:57.987");
  check (orderly_format_date_us (us), "Jul 18, 19:54");
  check (orderly_format_finish_us (us, 3000), "done by 19:55:00");
  check (orderly_format_finish_us (us, -1), "");
  check (orderly_format_eta_ms (12500), "12.5 s left");
  check (orderly_format_eta_ms (-1), "Estimating time left…");
}

static void
test_format_user_agent (void)
{
  check (orderly_format_user_agent ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
         "Firefox on Linux");
  check (orderly_format_user_agent ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                                    "(KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0"),
         "Edge on Windows");
  check (orderly_format_user_agent ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                                    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"),
         "Safari on iOS");
  check (orderly_format_user_agent ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                                    "HeadlessChrome/126.0 Safari/537.36"),
         "Chrome (headless) on Linux");
  check (orderly_format_user_agent ("node-XMLHttpRequest, socket.io-client/4.8"), "socket.io-client (Node)");
  check (orderly_format_user_agent ("curl/8.5.0"), "curl");
  check (orderly_format_user_agent ("orderly-ui-test/1.0"), "orderly-ui-test");
  check (orderly_format_user_agent (""), "Unknown client");
  check (orderly_format_user_agent (NULL), "Unknown client");
  g_assert_cmpstr (orderly_format_transport ("socket.io/polling"), ==, "Socket.IO (polling)");
  g_assert_cmpstr (orderly_format_role ("viewer"), ==, "Viewer");
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("TZ", "UTC", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/orderly/format/count", test_format_count);
  g_test_add_func ("/orderly/format/figures", test_format_figures);
  g_test_add_func ("/orderly/format/clock", test_format_clock);
  g_test_add_func ("/orderly/format/user-agent", test_format_user_agent);

  return g_test_run ();
}
