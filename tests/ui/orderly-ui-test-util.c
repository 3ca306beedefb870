/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "orderly-test-util.h"
#include "orderly-ui-test-util.h"

void
orderly_ui_fixture_set_up (OrderlyUiFixture *fixture,
                           gconstpointer     user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL;
  OrderlyTokens *tokens;

  orderly_ui_notifications_start ();
  fixture->data_dir = orderly_test_make_data_dir ();
  db_path = g_build_filename (fixture->data_dir, "orderly.db", NULL);
  fixture->store = orderly_sqlite_store_new (db_path, &error);
  g_assert_no_error (error);
  fixture->engine = orderly_engine_new (fixture->store, &error);
  g_assert_no_error (error);
  tokens = orderly_tokens_load (fixture->data_dir, &error);
  g_assert_no_error (error);
  fixture->remote = orderly_remote_new (tokens, fixture->data_dir);

  /* A command line, as main() applies it, when the test gives one. */
  if (user_data != NULL)
    {
      /* The parser takes options out of the array, not its strings. */
      g_autofree char **args = g_memdup2 (user_data, (g_strv_length ((char **) user_data) + 1) * sizeof (char *));
      char **argv = args;
      int argc = g_strv_length (args);

      fixture->config = orderly_config_parse (&argc, &argv, &error);
      g_assert_no_error (error);
      if (fixture->config->workers > 0)
        orderly_engine_set_workers (fixture->engine, fixture->config->workers);
      if (fixture->config->work_us >= 0)
        orderly_engine_set_work_us (fixture->engine, fixture->config->work_us);
      if (fixture->config->failure_rate >= 0)
        orderly_engine_set_failure_rate (fixture->engine, fixture->config->failure_rate);
      orderly_remote_set_port (fixture->remote, orderly_config_get_port (fixture->config));
    }
  fixture->app = orderly_application_new (fixture->config);
  orderly_application_set_models (fixture->app, fixture->engine, fixture->remote);
  /* A service is not activated by g_application_run(), which tear_down uses. */
  g_application_set_flags (G_APPLICATION (fixture->app),
                           G_APPLICATION_NON_UNIQUE | G_APPLICATION_IS_SERVICE);
  g_application_register (G_APPLICATION (fixture->app), NULL, &error);
  g_assert_no_error (error);
  /* Keep the application alive between windows, as g_application_run would. */
  g_application_hold (G_APPLICATION (fixture->app));

  g_application_activate (G_APPLICATION (fixture->app));
  fixture->window = ORDERLY_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (fixture->app)));
  g_assert_true (ORDERLY_IS_WINDOW (fixture->window));
  g_object_ref (fixture->window);
  g_assert_true (orderly_ui_wait_for_frames (GTK_WIDGET (fixture->window), 2, 10000));
}

/* Closes and destroys the window, then checks that nothing kept it alive. */
void
orderly_ui_fixture_close_window (OrderlyUiFixture *fixture)
{
  OrderlyWindow *window = g_steal_pointer (&fixture->window);

  if (window == NULL)
    return;
  gtk_window_destroy (GTK_WINDOW (window));
  orderly_ui_spin (50);
  g_assert_finalize_object (window);
}

void
orderly_ui_fixture_tear_down (OrderlyUiFixture *fixture,
                              gconstpointer     user_data)
{
  GList *windows;

  orderly_ui_fixture_close_window (fixture);
  while ((windows = gtk_application_get_windows (GTK_APPLICATION (fixture->app))) != NULL)
    gtk_window_destroy (windows->data);
  orderly_ui_spin (20);

  g_application_release (G_APPLICATION (fixture->app));
  /* Let g_application_run() shut the application down and take it off the
   * bus, as it does when the last window closes. */
  g_idle_add_once ((GSourceOnceFunc) g_application_quit, fixture->app);
  g_assert_cmpint (g_application_run (G_APPLICATION (fixture->app), 0, NULL), ==, 0);
  g_assert_finalize_object (g_steal_pointer (&fixture->app));

  orderly_engine_shutdown (fixture->engine);
  g_assert_finalize_object (g_steal_pointer (&fixture->remote));
  g_assert_finalize_object (g_steal_pointer (&fixture->engine));
  g_clear_pointer (&fixture->store, orderly_store_unref);
  orderly_test_remove_dir (fixture->data_dir);
  g_clear_pointer (&fixture->data_dir, g_free);
  g_clear_pointer (&fixture->config, orderly_config_free);
}

static gboolean
timeout_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
after_paint_cb (GdkFrameClock *clock,
                guint         *n_frames)
{
  (*n_frames)++;
}

/**
 * orderly_ui_wait_for_frames:
 *
 * Runs the main loop until @widget's window painted @n_frames more frames.
 */
gboolean
orderly_ui_wait_for_frames (GtkWidget *widget,
                            guint      n_frames,
                            guint      timeout_ms)
{
  gboolean timed_out = FALSE;
  guint painted = 0;
  guint source;
  gulong handler = 0;
  GdkFrameClock *clock = NULL;

  source = g_timeout_add (timeout_ms, timeout_cb, &timed_out);
  while (!timed_out && painted < n_frames)
    {
      if (clock == NULL && gtk_widget_get_mapped (widget))
        {
          clock = gtk_widget_get_frame_clock (widget);
          handler = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &painted);
        }
      if (clock != NULL)
        gtk_widget_queue_draw (widget);
      g_main_context_iteration (NULL, TRUE);
    }
  if (clock != NULL)
    g_signal_handler_disconnect (clock, handler);
  if (!timed_out)
    g_source_remove (source);
  return painted >= n_frames;
}

gboolean
orderly_ui_wait_until (gboolean (*condition) (gpointer data),
                       gpointer   data,
                       guint      timeout_ms)
{
  gboolean timed_out = FALSE;
  guint source = g_timeout_add (timeout_ms, timeout_cb, &timed_out);

  while (!condition (data))
    {
      if (timed_out)
        return FALSE;
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (source);
  return TRUE;
}

void
orderly_ui_spin (guint ms)
{
  gboolean timed_out = FALSE;

  g_timeout_add (ms, timeout_cb, &timed_out);
  while (!timed_out)
    g_main_context_iteration (NULL, TRUE);
}

/* A named object of a template, e.g. the window's "logs_page". */
gpointer
orderly_ui_get_child (gpointer    widget,
                      GType       widget_type,
                      const char *name)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (widget), widget_type, name);

  g_assert_nonnull (child);
  return child;
}

gboolean
orderly_ui_phase_finished (gpointer engine)
{
  OrderlyPhase phase = orderly_status_get_phase (orderly_engine_get_status (engine));

  return !orderly_engine_is_running (engine) &&
         (orderly_phase_is_terminal (phase) || phase == ORDERLY_PHASE_INTERRUPTED);
}

/**
 * orderly_ui_save_png:
 *
 * Renders @widget as it is on screen, with the window's renderer, into a PNG.
 */
gboolean
orderly_ui_save_png (GtkWidget  *widget,
                     const char *path)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);

  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    return FALSE;
  texture = gsk_renderer_render_texture (renderer, node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  return gdk_texture_save_to_png (texture, path);
}

/* A line of @layout that begins inside a word: a label squeezed narrower
 * than its longest word, “O-r-d-e-rs”. */
static gboolean
breaks_inside_word (PangoLayout *layout)
{
  const char *text = pango_layout_get_text (layout);
  int n_attrs;
  const PangoLogAttr *attrs = pango_layout_get_log_attrs_readonly (layout, &n_attrs);
  gboolean inside = FALSE;

  for (GSList *l = pango_layout_get_lines_readonly (layout); l != NULL && !inside; l = l->next)
    {
      PangoLayoutLine *line = l->data;
      glong offset = g_utf8_pointer_to_offset (text, text + pango_layout_line_get_start_index (line));

      inside = offset > 0 && offset < n_attrs && !attrs[offset].is_line_break;
    }
  return inside;
}

static void
collect_shown (GtkWidget *widget,
               GType      type,
               GPtrArray *found)
{
  if (!gtk_widget_is_drawable (widget))
    return;
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (found, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_shown (child, type, found);
}

/**
 * orderly_ui_find_shown:
 *
 * Every widget of @type inside @widget, @widget too, that is on screen.
 *
 * Returns: (transfer container) (element-type GtkWidget): the widgets
 */
GPtrArray *
orderly_ui_find_shown (GtkWidget *widget,
                       GType      type)
{
  GPtrArray *found = g_ptr_array_new ();

  collect_shown (widget, type, found);
  return found;
}

/**
 * orderly_ui_find_cut_text:
 *
 * The text of every label shown inside @widget that does not show all of
 * it: ellipsized, or broken inside a word because it had less room than
 * its longest word.
 *
 * Returns: (transfer full) (element-type utf8): the labels' texts
 */
GPtrArray *
orderly_ui_find_cut_text (GtkWidget *widget)
{
  g_autoptr(GPtrArray) labels = orderly_ui_find_shown (widget, GTK_TYPE_LABEL);
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < labels->len; i++)
    {
      GtkLabel *label = g_ptr_array_index (labels, i);
      PangoLayout *layout = gtk_label_get_layout (label);

      if (pango_layout_is_ellipsized (layout) || breaks_inside_word (layout))
        g_ptr_array_add (texts, g_strdup (gtk_label_get_text (label)));
    }
  return texts;
}

/* $ORDERLY_TEST_OUTPUT, or test-output/ at the top of the source tree. */
char *
orderly_ui_output_dir (void)
{
  const char *dir = g_getenv ("ORDERLY_TEST_OUTPUT");
  char *path;

  if (dir != NULL && dir[0] != '\0')
    path = g_strdup (dir);
  else
    path = g_build_filename (g_getenv ("G_TEST_SRCDIR") ? g_getenv ("G_TEST_SRCDIR") : ".",
                             "..", "test-output", NULL);
  g_mkdir_with_parents (path, 0755);
  return path;
}

/*
 * A stand-in for the desktop's notification server on the test's session
 * bus, so that GNotification has somewhere to go and tests can see what
 * the application sent.
 */

static const char notifications_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.Notifications'>"
  "    <method name='Notify'>"
  "      <arg type='s' direction='in'/><arg type='u' direction='in'/>"
  "      <arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "      <arg type='s' direction='in'/><arg type='as' direction='in'/>"
  "      <arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>"
  "      <arg type='u' direction='out'/>"
  "    </method>"
  "    <method name='CloseNotification'><arg type='u' direction='in'/></method>"
  "    <method name='GetCapabilities'><arg type='as' direction='out'/></method>"
  "    <method name='GetServerInformation'>"
  "      <arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "      <arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "    </method>"
  "    <signal name='NotificationClosed'><arg type='u'/><arg type='u'/></signal>"
  "    <signal name='ActionInvoked'><arg type='u'/><arg type='s'/></signal>"
  "  </interface>"
  "</node>";

static guint notifications_count;
static char *notifications_last;
static char *notifications_last_actions;

static void
notifications_method_cb (GDBusConnection       *connection,
                         const char            *sender,
                         const char            *object_path,
                         const char            *interface_name,
                         const char            *method_name,
                         GVariant              *parameters,
                         GDBusMethodInvocation *invocation,
                         gpointer               user_data)
{
  if (g_str_equal (method_name, "Notify"))
    {
      const char *summary = NULL;
      g_autofree const char **actions = NULL;

      g_variant_get_child (parameters, 3, "&s", &summary);
      g_variant_get_child (parameters, 5, "^a&s", &actions);
      notifications_count++;
      g_free (notifications_last);
      notifications_last = g_strdup (summary);
      g_free (notifications_last_actions);
      notifications_last_actions = g_strjoinv ("|", (char **) actions);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", notifications_count));
    }
  else if (g_str_equal (method_name, "GetCapabilities"))
    g_dbus_method_invocation_return_value (invocation, g_variant_new_parsed ("(@as [],)"));
  else if (g_str_equal (method_name, "GetServerInformation"))
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(ssss)", "test", "orderly", "1", "1.2"));
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

/* Starts the stand-in once per process; returns how many it has seen. */
guint
orderly_ui_notifications_start (void)
{
  static const GDBusInterfaceVTable vtable = { notifications_method_cb, NULL, NULL, { 0 } };
  static gsize started = 0;

  if (g_once_init_enter (&started))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (notifications_xml, &error);
      GDBusConnection *bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);

      g_assert_no_error (error);
      g_dbus_connection_register_object (bus, "/org/freedesktop/Notifications",
                                         info->interfaces[0], &vtable, NULL, NULL, &error);
      g_assert_no_error (error);
      g_bus_own_name_on_connection (bus, "org.freedesktop.Notifications",
                                    G_BUS_NAME_OWNER_FLAGS_NONE, NULL, NULL, NULL, NULL);
      g_once_init_leave (&started, 1);
    }
  return notifications_count;
}

guint
orderly_ui_notifications_count (void)
{
  return notifications_count;
}

const char *
orderly_ui_notifications_last (void)
{
  return notifications_last;
}

/* The labels and keys of the last notification's actions, joined by “|”. */
const char *
orderly_ui_notifications_last_actions (void)
{
  return notifications_last_actions;
}

/*
 * A stand-in for the desktop's Background portal, started only by the
 * tests that need it (libadwaita reads its settings from the same bus name
 * when it starts, and should find nothing there).
 */

static const char portal_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.portal.Background'>"
  "    <method name='RequestBackground'>"
  "      <arg type='s' direction='in'/><arg type='a{sv}' direction='in'/>"
  "      <arg type='o' direction='out'/>"
  "    </method>"
  "    <method name='SetStatus'><arg type='a{sv}' direction='in'/></method>"
  "  </interface>"
  "</node>";

static guint portal_requests;
static char *portal_reason;
static char *portal_status;

static void
portal_method_cb (GDBusConnection       *connection,
                  const char            *sender,
                  const char            *object_path,
                  const char            *interface_name,
                  const char            *method_name,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation,
                  gpointer               user_data)
{
  g_autoptr(GVariant) options = NULL;
  const char *text = NULL;

  if (g_str_equal (method_name, "RequestBackground"))
    {
      options = g_variant_get_child_value (parameters, 1);
      g_variant_lookup (options, "reason", "&s", &text);
      portal_requests++;
      g_free (portal_reason);
      portal_reason = g_strdup (text);
      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(o)", "/org/freedesktop/portal/desktop/request/1"));
      return;
    }
  options = g_variant_get_child_value (parameters, 0);
  g_variant_lookup (options, "message", "&s", &text);
  g_free (portal_status);
  portal_status = g_strdup (text);
  g_dbus_method_invocation_return_value (invocation, NULL);
}

void
orderly_ui_portal_start (void)
{
  static const GDBusInterfaceVTable vtable = { portal_method_cb, NULL, NULL, { 0 } };
  static gsize started = 0;

  if (g_once_init_enter (&started))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (portal_xml, &error);
      GDBusConnection *bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);

      g_assert_no_error (error);
      g_dbus_connection_register_object (bus, "/org/freedesktop/portal/desktop",
                                         info->interfaces[0], &vtable, NULL, NULL, &error);
      g_assert_no_error (error);
      g_bus_own_name_on_connection (bus, "org.freedesktop.portal.Desktop",
                                    G_BUS_NAME_OWNER_FLAGS_NONE, NULL, NULL, NULL, NULL);
      g_once_init_leave (&started, 1);
    }
}

guint
orderly_ui_portal_requests (void)
{
  return portal_requests;
}

const char *
orderly_ui_portal_reason (void)
{
  return portal_reason;
}

const char *
orderly_ui_portal_status (void)
{
  return portal_status;
}
