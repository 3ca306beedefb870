/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "orderly-gate.h"
#include "orderly-server-limits.h"

/* The gate alone, without sockets: what it reads from a request's pieces
 * and how it judges tokens. Its answers on real requests are in test-rest. */

#define OPERATOR "operator-token-for-gate-tests-0123"
#define VIEWER   "viewer-token-for-gate-tests-45678"

static OrderlyGate *
new_gate (OrderlyRemote **remote)
{
  OrderlyTokens *tokens = g_new0 (OrderlyTokens, 1);

  tokens->operator_token = g_strdup (OPERATOR);
  tokens->viewer_token = g_strdup (VIEWER);
  tokens->from_environment = TRUE;
  *remote = orderly_remote_new (tokens, g_get_tmp_dir ());
  return orderly_gate_new (*remote);
}

static void
test_gate_cookie (void)
{
  struct {
    const char *header;
    const char *token;
  } cases[] = {
    { NULL, NULL },
    { "", NULL },
    { "orderly_session=abc", "abc" },
    { "theme=dark; orderly_session=a%2Fb%3D; other=1", "a/b=" },
    { "orderly_session_old=stale; orderly_sessionx=no", NULL },
    { "theme=dark;orderly_session=\"quoted\"", "quoted" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *token = orderly_gate_dup_cookie_token (cases[i].header);

      g_test_message ("Cookie: %s", cases[i].header);
      g_assert_cmpstr (token, ==, cases[i].token);
    }
}

static void
test_gate_host_without_port (void)
{
  struct {
    const char *host;
    const char *name;
  } cases[] = {
    { "localhost:8080", "localhost" }, { "example.org", "example.org" },
    { "[::1]:8080", "::1" }, { "[::1]", "::1" }, { "::1", "::1" }, { "127.0.0.1:1", "127.0.0.1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = orderly_gate_host_without_port (cases[i].host);

      g_assert_cmpstr (name, ==, cases[i].name);
    }
  g_assert_null (orderly_gate_host_without_port (NULL));
}

static gint64
fake_clock (gpointer user_data)
{
  return *(gint64 *) user_data;
}

static void
test_gate_tokens (void)
{
  g_autoptr(OrderlyRemote) remote = NULL;
  g_autoptr(OrderlyGate) gate = new_gate (&remote);
  OrderlyLoginLimiter *limiter = orderly_gate_get_login_limiter (gate);
  gint64 now_us = 100 * G_USEC_PER_SEC;
  OrderlyRole role;

  orderly_login_limiter_set_clock (limiter, fake_clock, &now_us);
  orderly_login_limiter_set_limits (limiter, 3, 60000);

  g_assert_cmpint (orderly_gate_check_token (gate, "10.0.0.1", OPERATOR, "test", &role), ==, ORDERLY_GATE_ALLOWED);
  g_assert_cmpint (role, ==, ORDERLY_ROLE_OPERATOR);
  g_assert_cmpint (orderly_gate_check_token (gate, "10.0.0.1", VIEWER, "test", &role), ==, ORDERLY_GATE_ALLOWED);
  g_assert_cmpint (role, ==, ORDERLY_ROLE_VIEWER);
  /* No token is no failure: the route decides whether it needs one. */
  g_assert_cmpint (orderly_gate_check_token (gate, "10.0.0.1", NULL, "test", &role), ==, ORDERLY_GATE_ALLOWED);
  g_assert_cmpint (role, ==, ORDERLY_ROLE_NONE);

  g_assert_cmpint (orderly_gate_check_token (gate, "10.0.0.1", "wrong", "test", &role), ==, ORDERLY_GATE_INVALID);
  g_assert_cmpint (orderly_gate_check_token (gate, "10.0.0.1", "wrong", "test", &role), ==, ORDERLY_GATE_INVALID);
  g_assert_cmpint (orderly_gate_check_token (gate, "10.0.0.1", "wrong", "test", &role), ==, ORDERLY_GATE_BLOCKED);
  /* Blocked is blocked, whatever the address shows, and for it alone. */
  g_assert_cmpint (orderly_gate_check_token (gate, "10.0.0.1", OPERATOR, "test", &role), ==, ORDERLY_GATE_BLOCKED);
  g_assert_cmpint (role, ==, ORDERLY_ROLE_NONE);
  g_assert_cmpint (orderly_gate_check_token (gate, "10.0.0.2", OPERATOR, "test", &role), ==, ORDERLY_GATE_ALLOWED);
  g_assert_nonnull (orderly_gate_verdict_message (ORDERLY_GATE_BLOCKED));
  g_assert_nonnull (orderly_gate_verdict_message (ORDERLY_GATE_INVALID));

  now_us += 61 * G_USEC_PER_SEC;
  g_assert_cmpint (orderly_gate_check_token (gate, "10.0.0.1", OPERATOR, "test", &role), ==, ORDERLY_GATE_ALLOWED);
  g_assert_cmpint (role, ==, ORDERLY_ROLE_OPERATOR);
}

/* A login that succeeds, with the viewer token say, does not wipe the
 * failures of the guesses around it. */
static void
test_gate_success_keeps_failures (void)
{
  g_autoptr(OrderlyRemote) remote = NULL;
  g_autoptr(OrderlyGate) gate = new_gate (&remote);
  OrderlyLoginLimiter *limiter = orderly_gate_get_login_limiter (gate);
  gint64 now_us = 100 * G_USEC_PER_SEC;
  OrderlyRole role;

  orderly_login_limiter_set_clock (limiter, fake_clock, &now_us);
  orderly_login_limiter_set_limits (limiter, 3, 60000);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpint (orderly_gate_check_token (gate, "10.0.0.1", "wrong", "test", &role), ==, ORDERLY_GATE_INVALID);
      g_assert_cmpint (orderly_gate_check_token (gate, "10.0.0.1", VIEWER, "test", &role), ==, ORDERLY_GATE_ALLOWED);
    }
  g_assert_cmpint (orderly_gate_check_token (gate, "10.0.0.1", "wrong", "test", &role), ==, ORDERLY_GATE_BLOCKED);
  g_assert_cmpint (orderly_gate_check_token (gate, "10.0.0.1", VIEWER, "test", &role), ==, ORDERLY_GATE_BLOCKED);
}

/* Guesses from more addresses than the limiter remembers neither unblock
 * a blocked address nor grow its memory without bound. */
static void
test_gate_many_addresses (void)
{
  g_autoptr(OrderlyRemote) remote = NULL;
  g_autoptr(OrderlyGate) gate = new_gate (&remote);
  OrderlyLoginLimiter *limiter = orderly_gate_get_login_limiter (gate);
  gint64 now_us = 100 * G_USEC_PER_SEC;
  OrderlyRole role;

  orderly_login_limiter_set_clock (limiter, fake_clock, &now_us);
  orderly_login_limiter_set_limits (limiter, 2, 60000);
  for (guint i = 0; i < 2; i++)
    orderly_gate_check_token (gate, "10.0.0.1", "wrong", "test", &role);
  g_assert_cmpint (orderly_gate_check_token (gate, "10.0.0.1", OPERATOR, "test", &role), ==, ORDERLY_GATE_BLOCKED);

  for (guint i = 0; i < 25000; i++)
    {
      g_autofree char *address = g_strdup_printf ("10.%u.%u.%u", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);

      now_us += 1000;
      orderly_gate_check_token (gate, address, "wrong", "test", &role);
    }
  g_assert_cmpuint (orderly_login_limiter_get_n_addresses (limiter), <=, 10000);
  g_assert_cmpint (orderly_gate_check_token (gate, "10.0.0.1", OPERATOR, "test", &role), ==, ORDERLY_GATE_BLOCKED);

  /* Blocked addresses fill the memory: a new guesser is refused at once. */
  for (guint i = 0; i < 10000; i++)
    {
      g_autofree char *address = g_strdup_printf ("10.200.%u.%u", (i >> 8) & 0xff, i & 0xff);

      orderly_gate_check_token (gate, address, "wrong", "test", &role);
      orderly_gate_check_token (gate, address, "wrong", "test", &role);
    }
  g_assert_cmpuint (orderly_login_limiter_get_n_addresses (limiter), <=, 10000);
  g_assert_cmpint (orderly_gate_check_token (gate, "10.0.0.1", OPERATOR, "test", &role), ==, ORDERLY_GATE_BLOCKED);
  g_assert_cmpint (orderly_gate_check_token (gate, "192.0.2.1", "wrong", "test", &role), ==, ORDERLY_GATE_BLOCKED);
  /* Who shows a valid token is let in all the same. */
  g_assert_cmpint (orderly_gate_check_token (gate, "192.0.2.2", OPERATOR, "test", &role), ==, ORDERLY_GATE_ALLOWED);
}

static void
test_gate_no_auth (void)
{
  g_autoptr(OrderlyRemote) remote = orderly_remote_new (NULL, g_get_tmp_dir ());
  g_autoptr(OrderlyGate) gate = orderly_gate_new (remote);
  OrderlyRole role;

  g_assert_false (orderly_gate_get_auth_enabled (gate));
  g_assert_cmpint (orderly_gate_check_token (gate, "10.0.0.1", NULL, "test", &role), ==, ORDERLY_GATE_ALLOWED);
  g_assert_cmpint (role, ==, ORDERLY_ROLE_OPERATOR);
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

static void
test_gate_cors_origins (void)
{
  g_autoptr(OrderlyRemote) remote = NULL;
  g_autoptr(OrderlyGate) gate = new_gate (&remote);
  const char * const typed[] = { "https://Dash.Example.org/", "*", "http://localhost:3000", NULL };
  const char * const same[] = { "https://dash.example.org", "http://localhost:3000/", NULL };
  const char * const expected[] = { "https://dash.example.org", "http://localhost:3000", NULL };
  guint notified = 0;

  g_assert_cmpuint (g_strv_length ((char **) orderly_gate_get_cors_origins (gate)), ==, 0);
  g_signal_connect (gate, "notify::cors-origins", G_CALLBACK (count_notify_cb), &notified);

  orderly_remote_set_allowed_origins (remote, typed);
  g_assert_true (g_strv_equal (orderly_gate_get_cors_origins (gate), expected));
  g_assert_cmpuint (notified, ==, 1);
  /* Written differently, the same origins: nothing changes. */
  orderly_remote_set_allowed_origins (remote, same);
  g_assert_cmpuint (notified, ==, 1);
  orderly_remote_set_allowed_origins (remote, NULL);
  g_assert_cmpuint (notified, ==, 2);
}

static void
test_gate_connections (void)
{
  g_autoptr(OrderlyRemote) remote = NULL;
  g_autoptr(OrderlyGate) gate = new_gate (&remote);

  orderly_gate_set_max_connections (gate, 2);
  g_assert_true (orderly_gate_reserve_connection (gate));
  g_assert_true (orderly_gate_has_connection_left (gate));
  g_assert_true (orderly_gate_reserve_connection (gate));
  g_assert_false (orderly_gate_has_connection_left (gate));
  g_assert_false (orderly_gate_reserve_connection (gate));
  orderly_gate_release_connection (gate);
  g_assert_true (orderly_gate_reserve_connection (gate));
  orderly_gate_release_connection (gate);
  orderly_gate_release_connection (gate);

  /* Fewer descriptors than the budget: they are the limit. */
  orderly_gate_set_max_connections (gate, 10);
  orderly_gate_set_descriptor_cap (gate, 1);
  g_assert_true (orderly_gate_reserve_connection (gate));
  g_assert_false (orderly_gate_has_connection_left (gate));
  orderly_gate_release_connection (gate);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/orderly/gate/cookie", test_gate_cookie);
  g_test_add_func ("/orderly/gate/host-without-port", test_gate_host_without_port);
  g_test_add_func ("/orderly/gate/tokens", test_gate_tokens);
  g_test_add_func ("/orderly/gate/success-keeps-failures", test_gate_success_keeps_failures);
  g_test_add_func ("/orderly/gate/many-addresses", test_gate_many_addresses);
  g_test_add_func ("/orderly/gate/no-auth", test_gate_no_auth);
  g_test_add_func ("/orderly/gate/cors-origins", test_gate_cors_origins);
  g_test_add_func ("/orderly/gate/connections", test_gate_connections);

  return g_test_run ();
}
