/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

#include "orderly-config.h"
#include "orderly-engine.h"
#include "orderly-remote.h"
#include "orderly-sqlite-store.h"

typedef struct
{
  OrderlyConfig *config;
  OrderlyStore  *store;
  OrderlyEngine *engine;
  OrderlyRemote *remote;
} Orderly;

static void
orderly_clear (Orderly *self)
{
  g_clear_object (&self->remote);
  g_clear_object (&self->engine);
  g_clear_pointer (&self->store, orderly_store_unref);
  g_clear_pointer (&self->config, orderly_config_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Orderly, orderly_clear)

static gboolean
orderly_open (Orderly  *self,
              GError  **error)
{
  g_autofree char *db_path = NULL;
  OrderlyTokens *tokens = NULL;

  if (!orderly_config_ensure_data_dir (self->config, error))
    return FALSE;

  db_path = g_build_filename (self->config->data_dir, "orderly.db", NULL);
  self->store = orderly_sqlite_store_new (db_path, error);
  if (self->store == NULL)
    return FALSE;

  self->engine = orderly_engine_new (self->store, error);
  if (self->engine == NULL)
    return FALSE;
  if (self->config->workers > 0)
    orderly_engine_set_workers (self->engine, self->config->workers);

  if (!self->config->no_auth)
    {
      tokens = orderly_tokens_load (self->config->data_dir, error);
      if (tokens == NULL)
        return FALSE;
    }
  self->remote = orderly_remote_new (tokens, self->config->data_dir);
  orderly_remote_set_port (self->remote, orderly_config_get_port (self->config));
  if (self->config->bind != NULL && self->config->bind[0] != NULL)
    orderly_remote_set_bind_address (self->remote, self->config->bind[0]);
  orderly_remote_set_allowed_origins (self->remote,
                                      (const char * const *) self->config->allow_origins);
  return TRUE;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static int
run_headless (Orderly *self)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_main_loop_run (loop);

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

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

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

  if (!orderly_open (&self, &error))
    {
      g_printerr ("orderly: %s\n", error->message);
      return 1;
    }

  return run_headless (&self);
}
