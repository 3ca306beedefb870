/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "orderly-overview-page.h"
#include "orderly-ui-test-util.h"

/*
 * A tool, not a test: renders every page of the window to PNG files so that
 * people can look at them, in light and dark style, wide and at 360 px, on
 * the first visit, during a run, on a cluster, paused, cancelled, once a run is done,
 * once one ended with failed orders and once one was interrupted, with the
 * banner of a server that could not listen; the preferences, the New Run
 * popover, About and the keyboard shortcuts. It lists the text of every label
 * that does not fit.
 *
 * Usage: screenshot-pages [DIRECTORY]   (default: ./screenshots)
 * `meson compile -C _build screenshots` runs it into _build/screenshots
 * under xvfb-run and dbus-run-session.
 */

static char *output_dir;

typedef struct
{
  const char *page;
  int         width;
  int         height;
} Shot;

static const Shot shots[] = {
  { "overview", 1100, 1000 },
  { "logs", 1100, 760 },
  { "remote", 1100, 760 },
  { "history", 1100, 760 },
  { "overview", 360, 1000 },
  { "logs", 360, 720 },
  { "remote", 360, 720 },
  { "history", 360, 720 },
};

static gboolean
run_half_done (gpointer engine)
{
  const OrderlyStatusData *data = orderly_status_get_data (orderly_engine_get_status (engine));

  return data->phase == ORDERLY_PHASE_WAITING_NORMAL_DRAIN && data->normal_processed > 20000;
}

static gboolean
failures_settled (gpointer engine)
{
  const OrderlyStatusData *data = orderly_status_get_data (orderly_engine_get_status (engine));

  return !orderly_engine_is_running (engine) && data->queue_delayed == 0;
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
save (GtkWidget  *widget,
      const char *name)
{
  g_autofree char *path = g_build_filename (output_dir, name, NULL);

  g_autoptr(GPtrArray) cut = orderly_ui_find_cut_text (widget);

  g_assert_true (orderly_ui_save_png (widget, path));
  g_print ("%s\n", path);
  /* What a person would look for first: text that does not fit. */
  for (guint i = 0; i < cut->len; i++)
    g_print ("  cut off: %s\n", (const char *) g_ptr_array_index (cut, i));
}

static void
shoot (OrderlyUiFixture *fixture,
       const char       *state,
       const char       *style,
       const Shot       *shot)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  g_autofree char *name = g_strdup_printf ("window-%s-%s-%s-%d.png", shot->page, state, style,
                                           shot->width);

  gtk_window_set_default_size (GTK_WINDOW (window), shot->width, shot->height);
  gtk_widget_activate_action (window, "win.show-page", "s", shot->page);
  g_assert_true (orderly_ui_wait_for_frames (window, 6, 10000));
  /* Let the pages cross-fade, the header's switcher and the bottom bar
   * finish their transitions and the narrow layouts settle. */
  orderly_ui_spin (800);
  g_assert_true (orderly_ui_wait_for_frames (window, 2, 10000));
  save (window, name);

  /* The overview is taller than the screen: its lower half too. */
  if (g_str_equal (shot->page, "overview") && !g_str_equal (state, "first-visit"))
    {
      OrderlyOverviewPage *overview = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "overview_page");
      GtkScrolledWindow *scroller = orderly_ui_get_child (overview, ORDERLY_TYPE_OVERVIEW_PAGE, "scroller");
      GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (scroller);
      g_autofree char *lower = g_strdup_printf ("window-%s-lower-%s-%s-%d.png", shot->page, state, style,
                                                shot->width);

      gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
      g_assert_true (orderly_ui_wait_for_frames (window, 4, 10000));
      save (window, lower);
      gtk_adjustment_set_value (adjustment, 0);
    }
}

static void
shoot_all (OrderlyUiFixture *fixture,
           const char       *state)
{
  AdwStyleManager *style_manager = adw_style_manager_get_default ();

  adw_style_manager_set_color_scheme (style_manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
  for (guint i = 0; i < G_N_ELEMENTS (shots); i++)
    shoot (fixture, state, "light", &shots[i]);
  adw_style_manager_set_color_scheme (style_manager, ADW_COLOR_SCHEME_FORCE_DARK);
  for (guint i = 0; i < G_N_ELEMENTS (shots); i++)
    shoot (fixture, state, "dark", &shots[i]);
  adw_style_manager_set_color_scheme (style_manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
}

static GtkWindow *
find_window (GType type)
{
  GList *windows = gtk_window_list_toplevels ();
  GtkWindow *found = NULL;

  for (GList *l = windows; l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type) && gtk_widget_get_visible (l->data))
      found = l->data;
  g_list_free (windows);
  g_assert_nonnull (found);
  return found;
}

static void
set_style (const char *style)
{
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      g_str_equal (style, "dark") ? ADW_COLOR_SCHEME_FORCE_DARK
                                                                  : ADW_COLOR_SCHEME_FORCE_LIGHT);
}

static gboolean
is_mapped (gpointer widget)
{
  return gtk_widget_get_mapped (widget);
}

/* The New Run popover, over the window at each width, in each style. */
static void
shoot_new_run (OrderlyUiFixture *fixture)
{
  static const char * const styles[] = { "light", "dark" };
  static const int widths[] = { 1100, 360 };
  GtkWidget *window = GTK_WIDGET (fixture->window);
  GtkWidget *popover = orderly_ui_get_child (window, ORDERLY_TYPE_WINDOW, "start_popover");

  for (guint i = 0; i < G_N_ELEMENTS (styles); i++)
    for (guint j = 0; j < G_N_ELEMENTS (widths); j++)
      {
        g_autofree char *name = g_strdup_printf ("new-run-popover-%s-%d.png", styles[i], widths[j]);

        set_style (styles[i]);
        gtk_window_set_default_size (GTK_WINDOW (window), widths[j], 760);
        g_assert_true (orderly_ui_wait_for_frames (window, 4, 10000));
        gtk_widget_activate_action (window, "win.new-run", NULL);
        g_assert_true (orderly_ui_wait_until (is_mapped, popover, 5000));
        orderly_ui_spin (300);
        g_assert_true (orderly_ui_wait_for_frames (popover, 2, 10000));
        save (popover, name);
        gtk_popover_popdown (GTK_POPOVER (popover));
        orderly_ui_spin (200);
      }
  set_style ("light");
}

/* About and the keyboard shortcuts, from the main menu. */
/* A window the main menu opens: shot once it has drawn, then closed. */
static void
shoot_window (GType       type,
              const char *name)
{
  GtkWindow *window = find_window (type);

  g_assert_true (orderly_ui_wait_for_frames (GTK_WIDGET (window), 6, 10000));
  orderly_ui_spin (300);
  save (GTK_WIDGET (window), name);
  gtk_window_close (window);
  orderly_ui_spin (100);
}

/* About and the keyboard shortcuts, from the main menu. */
static void
shoot_help (OrderlyUiFixture *fixture,
            const char       *style)
{
  g_autofree char *about_name = g_strdup_printf ("about-%s.png", style);
  g_autofree char *shortcuts_name = g_strdup_printf ("shortcuts-%s.png", style);

  set_style (style);
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "about", NULL);
  shoot_window (ADW_TYPE_ABOUT_WINDOW, about_name);
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-help-overlay", NULL);
  shoot_window (GTK_TYPE_SHORTCUTS_WINDOW, shortcuts_name);
  set_style ("light");
}

static void
shoot_preferences (OrderlyUiFixture *fixture)
{
  AdwStyleManager *style_manager = adw_style_manager_get_default ();
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
  save (GTK_WIDGET (preferences), "preferences-remote-light.png");
  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (preferences), "engine");
  g_assert_true (orderly_ui_wait_for_frames (GTK_WIDGET (preferences), 6, 10000));
  save (GTK_WIDGET (preferences), "preferences-engine-light.png");
  adw_style_manager_set_color_scheme (style_manager, ADW_COLOR_SCHEME_FORCE_DARK);
  g_assert_true (orderly_ui_wait_for_frames (GTK_WIDGET (preferences), 6, 10000));
  save (GTK_WIDGET (preferences), "preferences-engine-dark.png");
  gtk_window_set_default_size (preferences, 360, 640);
  /* Let the header's switcher finish its change to the narrow one. */
  orderly_ui_spin (800);
  g_assert_true (orderly_ui_wait_for_frames (GTK_WIDGET (preferences), 6, 10000));
  save (GTK_WIDGET (preferences), "preferences-engine-dark-360.png");
  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (preferences), "remote");
  g_assert_true (orderly_ui_wait_for_frames (GTK_WIDGET (preferences), 6, 10000));
  save (GTK_WIDGET (preferences), "preferences-remote-dark-360.png");
  adw_style_manager_set_color_scheme (style_manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
  adw_combo_row_set_selected (orderly_ui_get_child (preferences, G_OBJECT_TYPE (preferences), "bind_row"), 0);
  gtk_window_destroy (preferences);
}

static void
run_to_end (OrderlyUiFixture *fixture,
            gint64            quantity)
{
  GtkAdjustment *adjustment = orderly_ui_get_child (fixture->window, ORDERLY_TYPE_WINDOW,
                                                    "quantity_adjustment");

  gtk_adjustment_set_value (adjustment, quantity);
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.start", NULL);
  g_assert_true (orderly_ui_wait_until (orderly_ui_phase_finished, fixture->engine, 120000));
  orderly_engine_flush (fixture->engine);
}

static void
take_screenshots (OrderlyUiFixture *fixture,
                  gconstpointer     user_data)
{
  AdwStyleManager *style_manager = adw_style_manager_get_default ();
  GtkAdjustment *quantity = orderly_ui_get_child (fixture->window, ORDERLY_TYPE_WINDOW,
                                                  "quantity_adjustment");

  /* The first visit, and a server that could not listen. */
  adw_style_manager_set_color_scheme (style_manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
  orderly_remote_set_listening (fixture->remote, FALSE,
                                "Cannot listen on 127.0.0.1 port 8080: Error binding to address "
                                "127.0.0.1:8080: Address already in use");
  shoot (fixture, "first-visit", "light", &shots[0]);
  shoot (fixture, "first-visit", "light", &shots[4]);
  shoot (fixture, "port-busy", "light", &shots[2]);
  shoot (fixture, "port-busy", "light", &shots[6]);

  orderly_remote_set_url (fixture->remote, "http://127.0.0.1:8080/");
  orderly_remote_set_listening (fixture->remote, TRUE, NULL);
  add_client (fixture->remote, "a1", "127.0.0.1", "websocket", "operator",
              "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", 1234, 0);
  add_client (fixture->remote, "b2", "192.168.1.20", "socket.io/websocket", "viewer",
              "node-XMLHttpRequest, socket.io-client/4.8", 880, 17);

  /* A finished run for the history and the comparison, then a slow one to watch. */
  run_to_end (fixture, 20000);
  orderly_engine_set_work_us (fixture->engine, 300);
  orderly_engine_set_workers (fixture->engine, 4);
  gtk_adjustment_set_value (quantity, 400000);
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.start", NULL);
  g_assert_true (orderly_ui_wait_until (run_half_done, fixture->engine, 120000));
  shoot_all (fixture, "running");
  /* The same run on a cluster of three, one of them quiet. */
  {
    OrderlyCluster *cluster = orderly_status_get_cluster (orderly_engine_get_status (fixture->engine));
    gint64 now = g_get_real_time ();
    const OrderlyInstanceInfo peers[] = {
      { "b0b0b0b0-4d1c-4c59-9a57-0f0e5b2c8a11", "node-b", 4, 8120.0, 90000, now, FALSE },
      { "c0c0c0c0-7e2a-4b0e-8a2d-5b7f0a9e1c22", "node-c", 4, 0, 12000, now - 30 * G_USEC_PER_SEC, TRUE },
    };

    orderly_cluster_set_peers (cluster, peers, G_N_ELEMENTS (peers));
    orderly_cluster_set_shared (cluster, TRUE);
    shoot (fixture, "cluster", "light", &shots[0]);
    shoot (fixture, "cluster", "light", &shots[4]);
    orderly_cluster_set_peers (cluster, NULL, 0);
    orderly_cluster_set_shared (cluster, FALSE);
  }
  /* Paused: the headline, the time line and the one suggested action. */
  orderly_engine_pause_queue (fixture->engine);
  g_assert_true (orderly_ui_wait_for_frames (GTK_WIDGET (fixture->window), 4, 10000));
  shoot (fixture, "paused", "light", &shots[0]);
  shoot (fixture, "paused", "light", &shots[4]);
  orderly_engine_resume_queue (fixture->engine);
  orderly_engine_cancel (fixture->engine);
  g_assert_true (orderly_ui_wait_until (orderly_ui_phase_finished, fixture->engine, 30000));
  orderly_engine_flush (fixture->engine);
  shoot (fixture, "cancelled", "light", &shots[0]);
  shoot (fixture, "cancelled", "light", &shots[4]);
  shoot (fixture, "cancelled", "light", &shots[7]);

  /* Done: the report compares with the first run. */
  orderly_engine_set_work_us (fixture->engine, 20);
  run_to_end (fixture, 60000);
  shoot_all (fixture, "done");
  shoot_preferences (fixture);
  shoot_new_run (fixture);
  shoot_help (fixture, "light");
  shoot_help (fixture, "dark");

  /* A run whose downstream failed now and then: the Failed row and Retry Failed. */
  orderly_engine_set_failure_rate (fixture->engine, 0.1);
  orderly_engine_set_retry_backoff_ms (fixture->engine, 20);
  run_to_end (fixture, 20000);
  g_assert_true (orderly_ui_wait_until (failures_settled, fixture->engine, 60000));
  orderly_engine_flush (fixture->engine);
  shoot (fixture, "failures", "light", &shots[0]);
  shoot (fixture, "failures", "light", &shots[3]);
  adw_style_manager_set_color_scheme (style_manager, ADW_COLOR_SCHEME_FORCE_DARK);
  shoot (fixture, "failures", "dark", &shots[4]);
  adw_style_manager_set_color_scheme (style_manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
  orderly_engine_set_failure_rate (fixture->engine, 0);

  /* Interrupted: the engine stopped under a run, as at a shutdown. */
  orderly_engine_set_work_us (fixture->engine, 300);
  gtk_adjustment_set_value (quantity, 400000);
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.start", NULL);
  g_assert_true (orderly_ui_wait_until (run_half_done, fixture->engine, 120000));
  orderly_engine_shutdown (fixture->engine);
  shoot (fixture, "interrupted", "light", &shots[0]);
  shoot (fixture, "interrupted", "light", &shots[4]);
  shoot (fixture, "interrupted", "light", &shots[3]);
  adw_style_manager_set_color_scheme (style_manager, ADW_COLOR_SCHEME_FORCE_DARK);
  shoot (fixture, "interrupted", "dark", &shots[7]);
  adw_style_manager_set_color_scheme (style_manager, ADW_COLOR_SCHEME_FORCE_LIGHT);

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

  output_dir = g_strdup (argc > 1 ? argv[1] : "screenshots");
  g_mkdir_with_parents (output_dir, 0755);
  g_test_add ("/orderly/window/screenshots", OrderlyUiFixture, NULL,
              orderly_ui_fixture_set_up, take_screenshots, orderly_ui_fixture_tear_down);

  return g_test_run ();
}
