/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The window in Brazilian Portuguese. The catalog comes from the build tree
 * (ORDERLY_LOCALEDIR) and the language from LANGUAGE=pt_BR, as for a user
 * whose session speaks Portuguese.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "orderly-ui-test-util.h"

static void
collect_labels (GtkWidget *widget,
                GPtrArray *texts)
{
  if (GTK_IS_LABEL (widget))
    g_ptr_array_add (texts, (gpointer) gtk_label_get_label (GTK_LABEL (widget)));
  else if (GTK_IS_BUTTON (widget) && gtk_button_get_label (GTK_BUTTON (widget)) != NULL)
    g_ptr_array_add (texts, (gpointer) gtk_button_get_label (GTK_BUTTON (widget)));
  else if (ADW_IS_PREFERENCES_ROW (widget))
    g_ptr_array_add (texts, (gpointer) adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)));

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_labels (child, texts);
}

static gboolean
shows (GPtrArray  *texts,
       const char *text)
{
  for (guint i = 0; i < texts->len; i++)
    if (g_strcmp0 (texts->pdata[i], text) == 0)
      return TRUE;
  return FALSE;
}

static void
test_translation_window (OrderlyUiFixture *fixture,
                         gconstpointer     user_data)
{
  GtkWidget *window = GTK_WIDGET (fixture->window);
  static const char * const english[] = { "Processed by Priority", "Throughput", "Timings", "Run Report" };
  guint translated = 0;

  OrderlyRunRequest request = { .quantity = 2000, .vip_share = -1 };
  g_autoptr(GError) error = NULL;

  /* A run, so the overview shows its figures rather than the empty state. */
  g_assert_true (orderly_engine_start_run (fixture->engine, &request, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (orderly_ui_wait_until (orderly_ui_phase_finished, fixture->engine, 30000));
  g_assert_true (orderly_ui_wait_for_frames (window, 2, 5000));

  for (guint i = 0; i < G_N_ELEMENTS (english); i++)
    {
      g_autoptr(GPtrArray) texts = g_ptr_array_new ();
      const char *portuguese = g_dgettext (GETTEXT_PACKAGE, english[i]);

      collect_labels (window, texts);
      g_test_message ("%s → %s", english[i], portuguese);
      g_assert_cmpstr (portuguese, !=, english[i]);
      g_assert_true (shows (texts, portuguese));
      g_assert_false (shows (texts, english[i]));
      translated++;
    }
  g_assert_cmpuint (translated, ==, G_N_ELEMENTS (english));
}

int
main (int   argc,
      char *argv[])
{
  const char *localedir = g_getenv ("ORDERLY_LOCALEDIR");

  g_setenv ("LANGUAGE", "pt_BR", TRUE);
  setlocale (LC_ALL, "");
  if (localedir != NULL)
    bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  gtk_test_init (&argc, &argv, NULL);
  g_test_add ("/orderly/translation/window-pt-BR", OrderlyUiFixture, NULL,
              orderly_ui_fixture_set_up, test_translation_window, orderly_ui_fixture_tear_down);
  return g_test_run ();
}
