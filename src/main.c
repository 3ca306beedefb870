/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

#include "orderly-config.h"
#include "orderly-engine.h"
#include "orderly-log-writer.h"
#include "orderly-remote.h"
#include "orderly-server.h"
#include "orderly-sqlite-store.h"
#if ORDERLY_HAVE_POSTGRESQL
# include "orderly-pg-cluster.h"
# include "orderly-pg-store.h"
#endif

/* How long a shutdown waits for WebSocket clients to see their close frame. */
#define SHUTDOWN_GRACE_US (500 * G_TIME_SPAN_MILLISECOND)

#ifdef ORDERLY_HAVE_UI
# include "orderly-application.h"
#endif

typedef struct
{
  OrderlyConfig *config;
  OrderlyStore  *store;
  OrderlyEngine *engine;
  GObject       *cluster_link;
  OrderlyRemote *remote;
  OrderlyServer *server;
} Orderly;

static void
orderly_clear (Orderly *self)
{
  if (self->server != NULL)
    g_object_run_dispose (G_OBJECT (self->server));
  g_clear_object (&self->server);
  g_clear_object (&self->remote);
  g_clear_object (&self->cluster_link);
  g_clear_object (&self->engine);
  g_clear_pointer (&self->store, orderly_store_unref);
  g_clear_pointer (&self->config, orderly_config_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Orderly, orderly_clear)

/* The window's "database" setting, when its schema is installed. */
static char *
database_from_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autofree char *database = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, "io.github.orderly.Orderly", TRUE);
  if (schema == NULL || !g_settings_schema_has_key (schema, "database"))
    return NULL;
  settings = g_settings_new_full (schema, NULL, NULL);
  database = g_settings_get_string (settings, "database");
  return *database != '\0' ? g_steal_pointer (&database) : NULL;
}

/* SQLite in the data directory, or the PostgreSQL database the command line
 * or the window's settings name. */
static OrderlyStore *
open_store (Orderly  *self,
            GError  **error)
{
  g_autofree char *db_path = NULL;
  g_autofree char *database = g_strdup (self->config->database);

  if (database == NULL && !self->config->headless)
    database = database_from_settings ();
  if (database != NULL && !orderly_config_is_postgresql_uri (database))
    {
      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                   _("The database setting is not a PostgreSQL URI (postgresql://…)"));
      return NULL;
    }
  if (database != NULL)
    {
#if ORDERLY_HAVE_POSTGRESQL
      return orderly_pg_store_new (database, error);
#else
      g_set_error_literal (error, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT,
                           _("This Orderly was built without PostgreSQL support"));
      return NULL;
#endif
    }
  db_path = g_build_filename (self->config->data_dir, "orderly.db", NULL);
  return orderly_sqlite_store_new (db_path, error);
}

static gboolean
orderly_open (Orderly  *self,
              GError  **error)
{
  OrderlyTokens *tokens = NULL;

  if (!orderly_config_ensure_data_dir (self->config, error))
    return FALSE;

  self->store = open_store (self, error);
  if (self->store == NULL)
    return FALSE;

  self->engine = orderly_engine_new (self->store, error);
  if (self->engine == NULL)
    return FALSE;
  if (self->config->workers > 0)
    orderly_engine_set_workers (self->engine, self->config->workers);
  if (self->config->work_us >= 0)
    orderly_engine_set_work_us (self->engine, self->config->work_us);
  if (self->config->failure_rate >= 0)
    orderly_engine_set_failure_rate (self->engine, self->config->failure_rate);
  if (self->config->lease_ms >= 0)
    orderly_engine_set_lease_ms (self->engine, self->config->lease_ms);
#if ORDERLY_HAVE_POSTGRESQL
  if (ORDERLY_IS_PG_STORE (self->store))
    {
      OrderlyPgStore *pg = ORDERLY_PG_STORE (self->store);
      OrderlyPgCluster *link = orderly_pg_cluster_new (self->engine, pg, error);

      if (link == NULL)
        return FALSE;
      self->cluster_link = G_OBJECT (link);
      g_print ("Orderly joined the cluster on the PostgreSQL %s as %s\n",
               orderly_pg_store_get_description (pg),
               orderly_pg_store_get_instance_id (pg));
    }
#endif

  if (!self->config->no_auth)
    {
      tokens = orderly_tokens_load (self->config->data_dir, error);
      if (tokens == NULL)
        return FALSE;
    }
  self->remote = orderly_remote_new (tokens, self->config->data_dir);
  orderly_remote_set_port (self->remote, orderly_config_get_port (self->config));
  if (self->config->bind != NULL && self->config->bind[0] != NULL)
    {
      /* Several --bind addresses travel as one comma-separated list. */
      g_autofree char *bind = g_strjoinv (",", self->config->bind);

      orderly_remote_set_bind_address (self->remote, bind);
    }
  orderly_remote_set_allowed_origins (self->remote,
                                      (const char * const *) self->config->allow_origins);

  self->server = orderly_server_new (self->engine, self->remote, error);
  if (self->server == NULL)
    return FALSE;
  if ((self->config->tls_cert != NULL) != (self->config->tls_key != NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("--tls-cert and --tls-key go together"));
      return FALSE;
    }
  if (self->config->tls_cert != NULL &&
      !orderly_server_set_tls_files (self->server, self->config->tls_cert,
                                     self->config->tls_key, error))
    return FALSE;
  return TRUE;
}

static gboolean
orderly_start_server (Orderly  *self,
                      GError  **error)
{
  g_autofree char *dashboard = NULL;

  if (!orderly_server_start (self->server, error))
    return FALSE;

  g_print ("Orderly listening on %s\n", orderly_remote_get_url (self->remote));
  if (orderly_remote_get_auth_enabled (self->remote))
    {
      dashboard = orderly_remote_dup_operator_url (self->remote);
      g_print ("Dashboard: %s\n", dashboard);
    }
  else
    {
      g_printerr ("\n"
                  "  WARNING: authentication is OFF (--no-auth).\n"
                  "  Anyone who can reach %s can watch and control Orderly.\n"
                  "\n", orderly_remote_get_url (self->remote));
    }
  fflush (stdout);
  return TRUE;
}

/* Closes the live clients with 1001 and gives their close frames a moment
 * to leave before the process ends. */
static void
orderly_stop_server (Orderly *self)
{
  gint64 deadline = g_get_monotonic_time () + SHUTDOWN_GRACE_US;
  GListModel *clients = orderly_remote_get_clients (self->remote);

  orderly_server_stop (self->server);
  while (g_list_model_get_n_items (clients) > 0 && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

#ifdef ORDERLY_HAVE_UI
static gboolean
quit_application_cb (gpointer user_data)
{
  g_application_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* D-Bus activation (the desktop file is DBusActivatable) starts the program
 * with GApplication's --gapplication-service, which is not one of Orderly's
 * options: take it out before they are parsed; the application then
 * registers as a D-Bus service. */
static gboolean
take_gapplication_service (int   *argc,
                           char **argv)
{
  for (int i = 1; i < *argc; i++)
    {
      if (g_strcmp0 (argv[i], "--gapplication-service") == 0)
        {
          memmove (&argv[i], &argv[i + 1], (*argc - i) * sizeof *argv);
          (*argc)--;
          return TRUE;
        }
    }
  return FALSE;
}

/* The window: one GtkApplication on the same main loop as the server.
 *
 * The application registers before anything else is opened: when Orderly
 * already runs, this launch only asks it to raise its window. Otherwise the
 * window opens even when the server cannot listen; it says why and offers
 * another port, and the server listens as soon as the address changes. */
static int
run_window (Orderly  *self,
            gboolean  service)
{
  g_autoptr(OrderlyApplication) app = orderly_application_new (self->config);
  g_autoptr(GError) error = NULL;
  char *argv[] = { (char *) g_get_prgname (), NULL };
  int status;

  if (service)
    g_application_set_flags (G_APPLICATION (app),
                             g_application_get_flags (G_APPLICATION (app)) | G_APPLICATION_IS_SERVICE);
  if (!g_application_register (G_APPLICATION (app), NULL, &error))
    {
      g_printerr ("orderly: %s\n", error->message);
      return 1;
    }
  if (g_application_get_is_remote (G_APPLICATION (app)))
    {
      g_printerr (_("Orderly is already running: its window is brought to the front.\n"));
      return g_application_run (G_APPLICATION (app), 1, argv);
    }

  if (!orderly_open (self, &error))
    {
      g_printerr ("orderly: %s\n", error->message);
      return 1;
    }
  orderly_application_set_models (app, self->engine, self->remote);
  if (!orderly_start_server (self, &error))
    g_printerr (_("orderly: %s; the window opens with the server off\n"), error->message);

  g_unix_signal_add (SIGINT, quit_application_cb, app);
  g_unix_signal_add (SIGTERM, quit_application_cb, app);
  status = g_application_run (G_APPLICATION (app), 1, argv);

  orderly_stop_server (self);
  orderly_engine_shutdown (self->engine);
  return status;
}
#endif

static int
run_headless (Orderly *self)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_main_loop_run (loop);

  orderly_stop_server (self);
  orderly_engine_shutdown (self->engine);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  g_auto(Orderly) self = { 0 };
  g_autoptr(GError) error = NULL;
  const char *localedir = g_getenv ("ORDERLY_LOCALEDIR");
#ifdef ORDERLY_HAVE_UI
  gboolean service = FALSE;
#endif

  orderly_log_writer_install ();
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

#ifdef ORDERLY_HAVE_UI
  service = take_gapplication_service (&argc, argv);
#endif
  self.config = orderly_config_parse (&argc, &argv, &error);
  if (self.config == NULL)
    {
      g_printerr ("orderly: %s\n", error->message);
      g_printerr (_("Run “%s --help” to see the options.\n"), g_get_prgname ());
      return 2;
    }
  if (self.config->version)
    {
      g_print ("orderly %s\n", PACKAGE_VERSION);
      return 0;
    }

#ifdef ORDERLY_HAVE_UI
  if (!self.config->headless)
    return run_window (&self, service);
#endif

  if (!orderly_open (&self, &error))
    {
      g_printerr ("orderly: %s\n", error->message);
      return 1;
    }

  if (!orderly_start_server (&self, &error))
    {
      g_printerr ("orderly: %s\n", error->message);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        g_printerr (_("Another program uses that port; choose another with --port.\n"));
      return 1;
    }

  return run_headless (&self);
}
