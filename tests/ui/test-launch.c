/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <gio/gio.h>

#include "orderly-test-util.h"

/*
 * The program as a user starts it, twice: the real binary ($ORDERLY_BIN)
 * in window mode on the test's display and session bus.
 */

typedef struct
{
  GCancellable *cancellable;
  GSubprocess *process;
  GString     *output;
  gboolean     listening;
  gboolean     exited;
} Launch;

static void
launch_free (Launch *launch)
{
  /* The pending reads and the wait end with G_IO_ERROR_CANCELLED. */
  g_cancellable_cancel (launch->cancellable);
  g_clear_object (&launch->cancellable);
  if (launch->process != NULL && !launch->exited)
    {
      g_subprocess_send_signal (launch->process, SIGTERM);
      g_subprocess_wait (launch->process, NULL, NULL);
    }
  g_clear_object (&launch->process);
  g_string_free (launch->output, TRUE);
  g_free (launch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Launch, launch_free)

static void
line_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source),
                                                                result, NULL, &error);
  Launch *launch = user_data;

  if (line == NULL)
    return;
  g_string_append_printf (launch->output, "%s\n", line);
  if (g_str_has_prefix (line, "Orderly listening on "))
    launch->listening = TRUE;
  g_data_input_stream_read_line_async (G_DATA_INPUT_STREAM (source), G_PRIORITY_DEFAULT,
                                       launch->cancellable, line_read_cb, launch);
}

static void
exited_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  Launch *launch = user_data;

  if (!g_subprocess_wait_finish (G_SUBPROCESS (source), result, &error))
    return;
  launch->exited = TRUE;
}

/* Starts orderly with @args; stdout and stderr are read into one text. */
static Launch *
launch_orderly (const char * const *args)
{
  const char *program = g_getenv ("ORDERLY_BIN");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  Launch *launch = g_new0 (Launch, 1);

  g_assert_nonnull (program);
  g_ptr_array_add (argv, (gpointer) program);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  launch->output = g_string_new (NULL);
  launch->cancellable = g_cancellable_new ();
  launch->process = g_subprocess_newv ((const char * const *) argv->pdata,
                                       G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
                                       &error);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (launch->process));
  g_data_input_stream_read_line_async (lines, G_PRIORITY_DEFAULT, launch->cancellable,
                                       line_read_cb, launch);
  g_subprocess_wait_async (launch->process, launch->cancellable, exited_cb, launch);
  return launch;
}

static void
iterate (void)
{
  if (!g_main_context_iteration (NULL, FALSE))
    g_usleep (1000);
}

static gboolean
wait_for (gboolean *flag,
          guint     timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;

  while (!*flag && g_get_monotonic_time () < deadline)
    iterate ();
  /* Read what is left of the output. */
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  return *flag;
}

static gboolean
wait_for_output (Launch     *launch,
                 const char *text,
                 guint       timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;

  while (strstr (launch->output->str, text) == NULL && !launch->exited &&
         g_get_monotonic_time () < deadline)
    iterate ();
  return strstr (launch->output->str, text) != NULL;
}

/* The object paths under which the running instance exports its windows. */
static guint
count_windows (void)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autofree char *path = g_strdup_printf ("/%s/window", APP_ID);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GDBusNodeInfo) node = NULL;
  const char *xml;

  g_strdelimit (path, ".", '/');
  reply = g_dbus_connection_call_sync (bus, APP_ID, path, "org.freedesktop.DBus.Introspectable",
                                       "Introspect", NULL, G_VARIANT_TYPE ("(s)"),
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
  if (reply == NULL)
    return 0;
  g_variant_get (reply, "(&s)", &xml);
  node = g_dbus_node_info_new_for_xml (xml, NULL);
  g_assert_nonnull (node);
  return g_strv_length ((char **) node->nodes);
}

static gboolean
wait_for_windows (guint n_windows,
                  guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;

  while (count_windows () != n_windows && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  return count_windows () == n_windows;
}

/* A second launch raises the window of the first and opens nothing itself:
 * no database, no port, no second window. */
static void
test_launch_single_instance (void)
{
  g_autofree char *first_dir = orderly_test_make_data_dir ();
  g_autofree char *second_dir = orderly_test_make_data_dir ();
  g_autofree char *second_db = g_build_filename (second_dir, "orderly.db", NULL);
  const char *first_args[] = { "--port", "0", "--data-dir", first_dir, NULL };
  const char *second_args[] = { "--port", "0", "--data-dir", second_dir, NULL };
  g_autoptr(Launch) first = launch_orderly (first_args);
  g_autoptr(Launch) second = NULL;

  g_assert_true (wait_for (&first->listening, 20000));
  g_assert_true (wait_for_windows (1, 10000));

  second = launch_orderly (second_args);
  g_assert_true (wait_for (&second->exited, 20000));
  g_assert_true (g_subprocess_get_if_exited (second->process));
  g_assert_cmpint (g_subprocess_get_exit_status (second->process), ==, 0);
  g_assert_nonnull (strstr (second->output->str, "already running"));
  g_assert_false (second->listening);
  g_assert_false (g_file_test (second_db, G_FILE_TEST_EXISTS));

  g_assert_false (first->exited);
  g_assert_cmpuint (count_windows (), ==, 1);

  g_clear_pointer (&first, launch_free);
  orderly_test_remove_dir (first_dir);
  orderly_test_remove_dir (second_dir);
}

static GSocket *
hold_a_port (guint *port)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  GSocket *socket;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, any, FALSE, &error));
  g_assert_true (g_socket_listen (socket, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return socket;
}

/* With its port taken the window still opens, and says why the server is
 * off; headless, there is nothing to show, so it exits with the reason. */
static void
test_launch_port_busy (void)
{
  g_autofree char *dir = orderly_test_make_data_dir ();
  g_autofree char *port_text = NULL;
  g_autoptr(GSocket) holder = NULL;
  g_autoptr(Launch) window = NULL;
  g_autoptr(Launch) headless = NULL;
  const char *window_args[] = { "--bind", "127.0.0.1", "--port", NULL, "--data-dir", dir, NULL };
  const char *headless_args[] = { "--headless", "--bind", "127.0.0.1", "--port", NULL, "--data-dir", dir, NULL };
  guint port;

  holder = hold_a_port (&port);
  port_text = g_strdup_printf ("%u", port);
  window_args[3] = port_text;
  headless_args[4] = port_text;

  headless = launch_orderly (headless_args);
  g_assert_true (wait_for (&headless->exited, 20000));
  g_assert_cmpint (g_subprocess_get_exit_status (headless->process), ==, 1);
  g_assert_nonnull (strstr (headless->output->str, "Address already in use"));
  g_assert_nonnull (strstr (headless->output->str, "--port"));

  window = launch_orderly (window_args);
  g_assert_true (wait_for_output (window, "the window opens with the server off", 20000));
  g_assert_nonnull (strstr (window->output->str, "Address already in use"));
  g_assert_true (wait_for_windows (1, 10000));
  g_assert_false (window->exited);
  g_assert_false (window->listening);

  g_clear_pointer (&window, launch_free);
  orderly_test_remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/orderly/launch/single-instance", test_launch_single_instance);
  g_test_add_func ("/orderly/launch/port-busy", test_launch_port_busy);

  return g_test_run ();
}
