/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "orderly-config.h"
#include "orderly-sqlite-store.h"
#include "orderly-test-util.h"
#include "orderly-tokens.h"

/* A data directory of its own, and where the store's database goes in it. */
typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->dir = orderly_test_make_data_dir ();
  fixture->path = g_build_filename (fixture->dir, "orderly.db", NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  orderly_test_remove_dir (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static void
test_store_schema (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyStore) store = orderly_sqlite_store_new (fixture->path, &error);

  g_assert_no_error (error);
  g_assert_true (orderly_store_check (store, &error));
  g_assert_cmpint (orderly_test_query_int (fixture->path, "PRAGMA user_version"), ==,
                   ORDERLY_SQLITE_SCHEMA_VERSION);
  g_clear_pointer (&store, orderly_store_unref);

  /* Opening again leaves a current schema alone. */
  store = orderly_sqlite_store_new (fixture->path, &error);
  g_assert_no_error (error);
  g_clear_pointer (&store, orderly_store_unref);
}

/* The log of writes is copied back into the database once it holds 1,024
 * pages, by the store's checkpointing thread: the database file grows
 * while nothing more is written. */
static void
test_store_checkpoints (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyStore) store = orderly_sqlite_store_new (fixture->path, &error);
  g_autofree char *line = NULL;
  gint64 deadline;
  GStatBuf st;

  g_assert_no_error (error);
  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  g_assert_cmpint (st.st_size, <, 1024 * 1024);

  /* 80 MiB of log lines: more than 1,024 pages of 64 KiB in the log. */
  line = g_strnfill (64 * 1024, 'x');
  line[0] = '"';
  line[64 * 1024 - 1] = '"';
  for (guint batch = 0; batch < 40; batch++)
    {
      OrderlyLogRecord *records[32];

      for (guint i = 0; i < G_N_ELEMENTS (records); i++)
        records[i] = orderly_log_record_new (ORDERLY_LOG_LEVEL_LOG, "test", "padding", line);
      g_assert_true (orderly_store_append_logs (store, records, G_N_ELEMENTS (records), 0, &error));
      g_assert_no_error (error);
      for (guint i = 0; i < G_N_ELEMENTS (records); i++)
        orderly_log_record_free (records[i]);
    }

  /* Each write went to the log; the database file grows only as the log
   * is copied into it. */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (g_stat (fixture->path, &st) == 0 && st.st_size < 32 * 1024 * 1024)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10 * 1000);
    }
  g_clear_pointer (&store, orderly_store_unref);
}

static void
test_store_migrate_v1 (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyStore) store = NULL;
  g_autofree char *command = NULL;
  OrderlyOrderCounts counts;
  g_autoptr(GPtrArray) pending = NULL;

  /* A database as the first schema version wrote it. */
  command = g_strdup_printf (
    "sqlite3 '%s' \""
    "CREATE TABLE runs (id INTEGER PRIMARY KEY, seed INTEGER NOT NULL, quantity INTEGER NOT NULL,"
    " vip_share REAL NOT NULL, phase TEXT NOT NULL, workers INTEGER NOT NULL DEFAULT 0,"
    " started_at INTEGER NOT NULL, finished_at INTEGER NOT NULL DEFAULT 0,"
    " generation_ms REAL NOT NULL DEFAULT 0, enqueue_vip_ms REAL NOT NULL DEFAULT 0,"
    " enqueue_normal_ms REAL NOT NULL DEFAULT 0, vip_start INTEGER NOT NULL DEFAULT 0,"
    " vip_end INTEGER NOT NULL DEFAULT 0, vip_ms REAL NOT NULL DEFAULT 0,"
    " vip_count INTEGER NOT NULL DEFAULT 0, normal_start INTEGER NOT NULL DEFAULT 0,"
    " normal_end INTEGER NOT NULL DEFAULT 0, normal_ms REAL NOT NULL DEFAULT 0,"
    " normal_count INTEGER NOT NULL DEFAULT 0, total_ms REAL NOT NULL DEFAULT 0,"
    " generated INTEGER NOT NULL DEFAULT 0, vip_total INTEGER NOT NULL DEFAULT 0,"
    " normal_total INTEGER NOT NULL DEFAULT 0, error TEXT);"
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, customer TEXT NOT NULL,"
    " priority INTEGER NOT NULL, amount INTEGER NOT NULL, created_at INTEGER NOT NULL,"
    " status INTEGER NOT NULL DEFAULT 0, observations TEXT, processed_at INTEGER, worker INTEGER);"
    "CREATE TABLE logs (id INTEGER PRIMARY KEY, timestamp INTEGER NOT NULL, level INTEGER NOT NULL,"
    " category TEXT NOT NULL, message TEXT NOT NULL, data TEXT);"
    "INSERT INTO runs (id, seed, quantity, vip_share, phase, started_at) VALUES (1, 1, 3, 0.5, 'WAITING_NORMAL_DRAIN', 1);"
    "INSERT INTO orders VALUES (1, 1, 'A', 0, 100, 1, 1, 'done', 5, 2);"
    "INSERT INTO orders VALUES (2, 1, 'B', 1, 200, 1, 1, 'done', 6, 1);"
    "INSERT INTO orders VALUES (3, 1, 'C', 1, 300, 1, 0, NULL, NULL, NULL);"
    "PRAGMA user_version = 1;\"", fixture->path);
  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL));

  store = orderly_sqlite_store_new (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (orderly_test_query_int (fixture->path, "PRAGMA user_version"), ==, ORDERLY_SQLITE_SCHEMA_VERSION);
  g_assert_true (orderly_store_count_orders (store, 1, &counts, &error));
  g_assert_cmpint (counts.priority[ORDERLY_PRIORITY_VIP].generated, ==, 1);
  g_assert_cmpint (counts.priority[ORDERLY_PRIORITY_VIP].completed, ==, 1);
  g_assert_cmpint (counts.priority[ORDERLY_PRIORITY_NORMAL].generated, ==, 2);
  g_assert_cmpint (counts.priority[ORDERLY_PRIORITY_NORMAL].completed, ==, 1);
  g_assert_cmpint (counts.priority[ORDERLY_PRIORITY_NORMAL].waiting, ==, 1);
  pending = orderly_store_list_jobs (store, 1, ORDERLY_JOB_STATE_WAITING, 0, 10, FALSE, &error);
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_cmpint (((OrderlyJob *) pending->pdata[0])->id, ==, 3);
  g_clear_pointer (&store, orderly_store_unref);
  g_assert_cmpint (orderly_test_query_int (fixture->path, "SELECT worker FROM orders_view WHERE id = 1"), ==, 2);
  g_assert_true (orderly_test_integrity_ok (fixture->path));
}

static void
test_store_corrupt (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyStore) store = NULL;
  g_autofree char *garbage = g_strnfill (8192, 'x');

  g_assert_true (g_file_set_contents (fixture->path, garbage, -1, NULL));
  store = orderly_sqlite_store_new (fixture->path, &error);
  g_assert_null (store);
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, fixture->path));
  g_test_message ("%s", error->message);
}

static void
test_store_newer_schema (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyStore) store = orderly_sqlite_store_new (fixture->path, &error);
  g_autofree char *command = NULL;

  g_assert_no_error (error);
  g_clear_pointer (&store, orderly_store_unref);
  command = g_strdup_printf ("sqlite3 '%s' 'PRAGMA user_version = 99'", fixture->path);
  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL));

  store = orderly_sqlite_store_new (fixture->path, &error);
  g_assert_null (store);
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_STORAGE);
  g_assert_nonnull (strstr (error->message, "newer"));
}

static void
test_store_read_only (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyStore) store = orderly_sqlite_store_new (fixture->path, &error);
  OrderlyRunRecord run = { .quantity = 1, .phase = ORDERLY_PHASE_GENERATING };

  g_assert_no_error (error);
  g_clear_pointer (&store, orderly_store_unref);

  store = orderly_sqlite_store_new_full (fixture->path, ORDERLY_SQLITE_STORE_READ_ONLY, &error);
  g_assert_no_error (error);
  g_assert_false (orderly_store_begin_run (store, &run, &error));
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_READ_ONLY);
  g_assert_nonnull (strstr (error->message, "read-only"));
  g_clear_pointer (&store, orderly_store_unref);
  g_assert_cmpint (orderly_test_query_int (fixture->path, "SELECT count(*) FROM runs"), ==, 0);
}

static void
test_store_missing_dir (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyStore) store =
    orderly_sqlite_store_new ("/nonexistent-orderly-dir/sub/orderly.db", &error);

  g_assert_null (store);
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_READ_ONLY);
  g_assert_nonnull (strstr (error->message, "Cannot open"));
}

static void
test_tokens_file (void)
{
  g_autofree char *dir = orderly_test_make_data_dir ();
  g_autofree char *path = g_build_filename (dir, "tokens.ini", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyTokens) tokens = NULL;
  g_autoptr(OrderlyTokens) again = NULL;
  g_autofree char *old_operator = NULL;
  GStatBuf st;

  g_unsetenv ("ORDERLY_OPERATOR_TOKEN");
  g_unsetenv ("ORDERLY_VIEWER_TOKEN");
  tokens = orderly_tokens_load (dir, &error);
  g_assert_no_error (error);
  /* 24 random bytes, URL-safe base64. */
  g_assert_cmpuint (strlen (tokens->operator_token), ==, 32);
  g_assert_cmpuint (strspn (tokens->operator_token,
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), ==, 32);
  g_assert_cmpstr (tokens->operator_token, !=, tokens->viewer_token);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  again = orderly_tokens_load (dir, &error);
  g_assert_cmpstr (again->operator_token, ==, tokens->operator_token);
  g_assert_cmpint (orderly_tokens_check (again, tokens->operator_token), ==, ORDERLY_ROLE_OPERATOR);
  g_assert_cmpint (orderly_tokens_check (again, tokens->viewer_token), ==, ORDERLY_ROLE_VIEWER);
  g_assert_cmpint (orderly_tokens_check (again, "nope"), ==, ORDERLY_ROLE_NONE);
  g_assert_cmpint (orderly_tokens_check (again, ""), ==, ORDERLY_ROLE_NONE);
  g_assert_cmpint (orderly_tokens_check (again, NULL), ==, ORDERLY_ROLE_NONE);

  old_operator = g_strdup (again->operator_token);
  g_assert_true (orderly_tokens_regenerate (again, dir, &error));
  g_assert_cmpstr (again->operator_token, !=, old_operator);
  g_assert_cmpint (orderly_tokens_check (again, old_operator), ==, ORDERLY_ROLE_NONE);
  g_clear_pointer (&tokens, orderly_tokens_free);
  tokens = orderly_tokens_load (dir, &error);
  g_assert_cmpstr (tokens->operator_token, ==, again->operator_token);

  g_setenv ("ORDERLY_OPERATOR_TOKEN", "operator-from-env-0123456789", TRUE);
  g_setenv ("ORDERLY_VIEWER_TOKEN", "viewer-from-env-0123456789", TRUE);
  g_clear_pointer (&tokens, orderly_tokens_free);
  tokens = orderly_tokens_load (dir, &error);
  g_assert_cmpstr (tokens->operator_token, ==, "operator-from-env-0123456789");
  g_assert_cmpstr (tokens->viewer_token, ==, "viewer-from-env-0123456789");
  g_assert_false (orderly_tokens_regenerate (tokens, dir, &error));
  g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_FORBIDDEN);
  g_unsetenv ("ORDERLY_OPERATOR_TOKEN");
  g_unsetenv ("ORDERLY_VIEWER_TOKEN");
  orderly_test_remove_dir (dir);
}

static void
test_tokens_equal (void)
{
  g_assert_true (orderly_tokens_equal ("abc", "abc"));
  g_assert_false (orderly_tokens_equal ("abc", "abd"));
  g_assert_false (orderly_tokens_equal ("ab", "abc"));
  g_assert_false (orderly_tokens_equal ("abcd", "abc"));
  g_assert_false (orderly_tokens_equal ("", ""));
  g_assert_false (orderly_tokens_equal (NULL, "abc"));
}

static OrderlyConfig *
parse (GError **error,
       ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  char **argv;
  int argc;
  OrderlyConfig *config;
  va_list ap;
  const char *arg;

  g_ptr_array_add (args, (gpointer) "orderly");
  va_start (ap, error);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  argv = g_strdupv ((char **) args->pdata);
  argc = args->len - 1;
  {
    /* Parsing takes options out of the array, not their strings. */
    char **strings = g_memdup2 (argv, sizeof (char *) * (argc + 1));

    config = orderly_config_parse (&argc, &argv, error);
    g_free (argv);
    g_strfreev (strings);
  }
  return config;
}

static void
test_config_parse (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyConfig) config = NULL;

  config = parse (&error, "--headless", "--port", "0", "--bind", "0.0.0.0", "--bind", "::",
                  "--workers", "3", "--work-us", "250", "--failure-rate", "0.05",
                  "--allow-origin", "https://a.example",
                  "--no-auth", "--data-dir", "/tmp/x", NULL);
  g_assert_no_error (error);
  g_assert_true (config->headless);
  g_assert_cmpint (orderly_config_get_port (config), ==, 0);
  g_assert_cmpuint (g_strv_length (config->bind), ==, 2);
  g_assert_cmpint (config->workers, ==, 3);
  g_assert_cmpint (config->work_us, ==, 250);
  g_assert_cmpfloat (config->failure_rate, ==, 0.05);
  g_assert_cmpstr (config->allow_origins[0], ==, "https://a.example");
  g_assert_true (config->no_auth);
  g_assert_cmpstr (config->data_dir, ==, "/tmp/x");
  g_clear_pointer (&config, orderly_config_free);

  config = parse (&error, NULL);
  g_assert_no_error (error);
  g_assert_cmpint (orderly_config_get_port (config), ==, 8080);
  g_assert_null (config->bind);
  g_assert_cmpint (config->workers, ==, -1);
  g_assert_cmpint (config->work_us, ==, -1);
  g_assert_cmpfloat (config->failure_rate, <, 0);
  g_assert_nonnull (strstr (config->data_dir, "orderly"));
  g_clear_pointer (&config, orderly_config_free);

  config = parse (&error, "--port", "70000", NULL);
  g_assert_null (config);
  g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
  g_clear_error (&error);
  config = parse (&error, "--workers", "zero", NULL);
  g_assert_null (config);
  g_clear_error (&error);
  config = parse (&error, "--work-us", "-5", NULL);
  g_assert_null (config);
  g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
  g_clear_error (&error);
  config = parse (&error, "--work-us", "20000000", NULL);
  g_assert_null (config);
  g_clear_error (&error);
  for (guint i = 0; i < 8; i++)
    {
      static const char * const bad[] = { "1.5", "-0.1", "half", " 0.5", "0.5x", "1e-2", "0x0.1", "." };

      config = parse (&error, "--failure-rate", bad[i], NULL);
      g_assert_null (config);
      g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
      g_clear_error (&error);
    }
  config = parse (&error, "--tls-cert", "/x.pem", NULL);
  g_assert_null (config);
  g_clear_error (&error);
  config = parse (&error, "--bogus", NULL);
  g_assert_null (config);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/orderly/store/schema", Fixture, NULL, fixture_set_up, test_store_schema,
              fixture_tear_down);
  g_test_add ("/orderly/store/checkpoints", Fixture, NULL, fixture_set_up, test_store_checkpoints,
              fixture_tear_down);
  g_test_add ("/orderly/store/migrate-v1", Fixture, NULL, fixture_set_up, test_store_migrate_v1,
              fixture_tear_down);
  g_test_add ("/orderly/store/corrupt", Fixture, NULL, fixture_set_up, test_store_corrupt,
              fixture_tear_down);
  g_test_add ("/orderly/store/newer-schema", Fixture, NULL, fixture_set_up, test_store_newer_schema,
              fixture_tear_down);
  g_test_add ("/orderly/store/read-only", Fixture, NULL, fixture_set_up, test_store_read_only,
              fixture_tear_down);
  g_test_add_func ("/orderly/store/missing-dir", test_store_missing_dir);
  g_test_add_func ("/orderly/tokens/file", test_tokens_file);
  g_test_add_func ("/orderly/tokens/equal", test_tokens_equal);
  g_test_add_func ("/orderly/config/parse", test_config_parse);

  return g_test_run ();
}
