/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "orderly-ui-test-util.h"

/*
 * Renders every page of the window during a run, in light and dark style,
 * wide and narrow, to PNG files in $ORDERLY_TEST_OUTPUT (or test-output/),
 * so that people can look at them. It passes when every file was written.
 */

typedef struct
{
  const char *page;
  int         width;
  int         height;
} Shot;

static gboolean
run_half_done (gpointer engine)
{
  const OrderlyStatusData *data = orderly_status_get_data (orderly_engine_get_status (engine));

  return data->phase == ORDERLY_PHASE_WAITING_NORMAL_DRAIN && data->normal_processed > 2000;
}

static void
add_client (OrderlyRemote *remote,
            const char    *id,
            const char    *address,
            const char    *transport,
            const char    *role,
            const char    *user_agent,
            guint64        sent,
            guint64        dropped)
{
  g_autoptr(OrderlyClient) client = orderly_client_new (id, address, transport, role, user_agent);

  orderly_client_set_counters (client, sent, dropped);
  orderly_remote_add_client (remote, client);
}

static void
shoot (OrderlyUiFixture *fixture,
       const char       *dir,
       const char       *style,
       const Shot       *shot)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  g_autofree char *name = g_strdup_printf ("window-%s-%s-%dx%d.png", shot->page, style,
                                           shot->width, shot->height);
  g_autofree char *path = g_build_filename (dir, name, NULL);

  gtk_window_set_default_size (GTK_WINDOW (window), shot->width, shot->height);
  gtk_widget_activate_action (window, "win.show-page", "s", shot->page);
  g_assert_true (orderly_ui_wait_for_frames (window, 6, 10000));
  orderly_ui_spin (300);
  g_assert_true (orderly_ui_wait_for_frames (window, 2, 10000));
  g_assert_true (orderly_ui_save_png (window, path));
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_test_message ("wrote %s", path);
}

static void
shoot_preferences (OrderlyUiFixture *fixture,
                   const char       *dir)
{
  g_autofree char *path = g_build_filename (dir, "preferences-dark.png", NULL);
  GtkWindow *preferences = NULL;
  GList *windows;

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "preferences", NULL);
  windows = gtk_window_list_toplevels ();
  for (GList *l = windows; l != NULL; l = l->next)
    if (ADW_IS_PREFERENCES_WINDOW (l->data))
      preferences = l->data;
  g_list_free (windows);
  g_assert_nonnull (preferences);
  adw_combo_row_set_selected (orderly_ui_get_child (preferences, G_OBJECT_TYPE (preferences), "bind_row"), 1);
  g_assert_true (orderly_ui_wait_for_frames (GTK_WIDGET (preferences), 6, 10000));
  g_assert_true (orderly_ui_save_png (GTK_WIDGET (preferences), path));
  g_test_message ("wrote %s", path);
  adw_combo_row_set_selected (orderly_ui_get_child (preferences, G_OBJECT_TYPE (preferences), "bind_row"), 0);
  gtk_window_destroy (preferences);
}

static void
test_screenshots (OrderlyUiFixture *fixture,
                  gconstpointer     user_data)
{
  g_autofree char *dir = orderly_ui_output_dir ();
  AdwStyleManager *style_manager = adw_style_manager_get_default ();
  GtkAdjustment *quantity = orderly_ui_get_child (fixture->window,
                                                  ORDERLY_TYPE_WINDOW, "quantity_adjustment");
  static const Shot shots[] = {
    { "overview", 1100, 1300 },
    { "logs", 1100, 760 },
    { "remote", 1100, 760 },
    { "history", 1100, 760 },
    { "overview", 360, 720 },
    { "logs", 360, 720 },
    { "remote", 360, 720 },
  };

  orderly_remote_set_url (fixture->remote, "http://127.0.0.1:8080/");
  orderly_remote_set_listening (fixture->remote, TRUE, NULL);
  add_client (fixture->remote, "a1", "127.0.0.1", "websocket", "operator",
              "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", 1234, 0);
  add_client (fixture->remote, "b2", "192.168.1.20", "socket.io/polling", "viewer",
              "node-XMLHttpRequest, socket.io-client/4.8", 880, 17);

  /* The empty state, before anything ran. */
  {
    const Shot empty = { "overview", 1100, 760 };

    adw_style_manager_set_color_scheme (style_manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
    shoot (fixture, dir, "empty", &empty);
  }

  /* A short finished run for the history, then a slower one to watch. */
  gtk_adjustment_set_value (quantity, 2000);
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.start", NULL);
  g_assert_true (orderly_ui_wait_until (orderly_ui_phase_finished, fixture->engine, 60000));

  orderly_engine_set_work_us (fixture->engine, 150);
  orderly_engine_set_workers (fixture->engine, 4);
  gtk_adjustment_set_value (quantity, 200000);
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.start", NULL);
  g_assert_true (orderly_ui_wait_until (run_half_done, fixture->engine, 120000));

  adw_style_manager_set_color_scheme (style_manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
  for (guint i = 0; i < G_N_ELEMENTS (shots); i++)
    shoot (fixture, dir, "light", &shots[i]);
  adw_style_manager_set_color_scheme (style_manager, ADW_COLOR_SCHEME_FORCE_DARK);
  for (guint i = 0; i < G_N_ELEMENTS (shots); i++)
    shoot (fixture, dir, "dark", &shots[i]);
  shoot_preferences (fixture, dir);
  adw_style_manager_set_color_scheme (style_manager, ADW_COLOR_SCHEME_DEFAULT);

  orderly_engine_cancel (fixture->engine);
  g_assert_true (orderly_ui_wait_until (orderly_ui_phase_finished, fixture->engine, 30000));
  while (g_list_model_get_n_items (orderly_remote_get_clients (fixture->remote)) > 0)
    {
      g_autoptr(OrderlyClient) client = g_list_model_get_item (orderly_remote_get_clients (fixture->remote), 0);

      orderly_remote_remove_client (fixture->remote, client);
    }
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add ("/orderly/window/screenshots", OrderlyUiFixture, NULL,
              orderly_ui_fixture_set_up, test_screenshots, orderly_ui_fixture_tear_down);

  return g_test_run ();
}
