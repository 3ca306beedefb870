/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-config"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "orderly-config.h"
#include "orderly-types.h"

/**
 * orderly_config_parse:
 *
 * Parses and removes Orderly's options from @argv; what GTK or GApplication
 * understand is left in place.
 *
 * Returns: (transfer full): the options, or %NULL with @error set
 */
OrderlyConfig *
orderly_config_parse (int     *argc,
                      char  ***argv,
                      GError **error)
{
  g_autoptr(OrderlyConfig) self = g_new0 (OrderlyConfig, 1);
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *workers = NULL;
  g_autofree char *work_us = NULL;
  g_autofree char *failure_rate = NULL;
  g_autofree char *lease_ms = NULL;
  const GOptionEntry entries[] = {
    { "headless", 0, 0, G_OPTION_ARG_NONE, &self->headless,
      N_("Run without a window: engine and server only"), NULL },
    { "bind", 0, 0, G_OPTION_ARG_STRING_ARRAY, &self->bind,
      N_("Listen on ADDR (repeatable; default: IPv4 and IPv6 loopback)"), N_("ADDR") },
    { "port", 0, 0, G_OPTION_ARG_INT, &self->port,
      N_("Listen on port N (default 8080; 0 picks a free port)"), N_("N") },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &self->data_dir,
      N_("Keep the database and tokens in DIR (default $XDG_DATA_HOME/orderly)"), N_("DIR") },
    { "database", 0, 0, G_OPTION_ARG_STRING, &self->database,
      N_("Keep orders in the PostgreSQL database at URI (postgresql://…) instead of the data "
         "directory's SQLite file; every Orderly on one database joins its cluster"), N_("URI") },
    { "workers", 0, 0, G_OPTION_ARG_STRING, &workers,
      N_("Process orders with N worker threads (default: one per processor)"), N_("N") },
    { "work-us", 0, 0, G_OPTION_ARG_STRING, &work_us,
      N_("Spend US more microseconds on each order, to model a slow downstream system (default 0)"), N_("US") },
    { "failure-rate", 0, 0, G_OPTION_ARG_STRING, &failure_rate,
      N_("Make a share RATE of attempts fail, from 0 to 1, to model an unreliable downstream system; "
         "failed orders are retried (default 0)"), N_("RATE") },
    { "lease-ms", 0, 0, G_OPTION_ARG_STRING, &lease_ms,
      N_("A worker's claim on orders stays valid MS milliseconds without renewal; past it, another worker may take them (default 30000)"), N_("MS") },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &self->tls_cert,
      N_("Serve HTTPS and WSS with the PEM certificate in FILE"), N_("FILE") },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &self->tls_key,
      N_("The PEM private key for --tls-cert"), N_("FILE") },
    { "allow-origin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &self->allow_origins,
      N_("Also accept browsers from ORIGIN, e.g. https://example.com (repeatable)"), N_("ORIGIN") },
    { "no-auth", 0, 0, G_OPTION_ARG_NONE, &self->no_auth,
      N_("Turn authentication off (local development only)"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &self->version,
      N_("Print the version and exit"), NULL },
    { NULL }
  };

  self->port = -1;
  self->workers = -1;
  self->work_us = -1;
  self->failure_rate = -1;
  self->lease_ms = -1;

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                _("Runs the Orderly order-processing engine and shows it live "
                                  "in a window and to remote browsers."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_ignore_unknown_options (context, FALSE);
  g_option_context_set_help_enabled (context, TRUE);
  if (!g_option_context_parse (context, argc, argv, error))
    return NULL;

  if (self->port < -1 || self->port > 65535)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--port must be between 0 and 65535"));
      return NULL;
    }
  if (workers != NULL)
    {
      guint64 value;

      if (!g_ascii_string_to_unsigned (workers, 10, 1, 256, &value, NULL))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("--workers must be a whole number between 1 and 256"));
          return NULL;
        }
      self->workers = (int) value;
    }
  if (work_us != NULL)
    {
      guint64 value;

      if (!g_ascii_string_to_unsigned (work_us, 10, 0, 10 * G_USEC_PER_SEC, &value, NULL))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("--work-us must be a whole number of microseconds between 0 and 10000000"));
          return NULL;
        }
      self->work_us = (gint64) value;
    }
  if (failure_rate != NULL)
    {
      /* Plain decimals only: no sign, exponent, hexadecimal or spaces. */
      gboolean plain = strpbrk (failure_rate, "0123456789") != NULL &&
                       strspn (failure_rate, "0123456789.") == strlen (failure_rate) &&
                       strchr (failure_rate, '.') == strrchr (failure_rate, '.');
      double value = plain ? g_ascii_strtod (failure_rate, NULL) : -1;

      if (!plain || !(value >= 0 && value <= 1))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("--failure-rate must be a number from 0 to 1, such as 0.05"));
          return NULL;
        }
      self->failure_rate = value;
    }
  if (lease_ms != NULL)
    {
      guint64 value;

      if (!g_ascii_string_to_unsigned (lease_ms, 10, 100, 3600 * 1000, &value, NULL))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("--lease-ms must be a whole number of milliseconds between 100 and 3600000"));
          return NULL;
        }
      self->lease_ms = (gint64) value;
    }
  if ((self->tls_cert == NULL) != (self->tls_key == NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--tls-cert and --tls-key go together"));
      return NULL;
    }
  if (self->database != NULL && !orderly_config_is_postgresql_uri (self->database))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--database takes a PostgreSQL URI, postgresql://USER@HOST/DATABASE"));
      return NULL;
    }
  if (self->data_dir == NULL)
    self->data_dir = g_build_filename (g_get_user_data_dir (), "orderly", NULL);

  return g_steal_pointer (&self);
}

/**
 * orderly_config_is_postgresql_uri:
 *
 * Returns: whether @database names a PostgreSQL database (`postgresql://` or
 *   `postgres://`)
 */
gboolean
orderly_config_is_postgresql_uri (const char *database)
{
  return database != NULL &&
         (g_str_has_prefix (database, "postgresql://") || g_str_has_prefix (database, "postgres://"));
}

int
orderly_config_get_port (const OrderlyConfig *self)
{
  return self->port >= 0 ? self->port : ORDERLY_DEFAULT_PORT;
}

/**
 * orderly_config_ensure_data_dir:
 *
 * Creates the data directory, private to the user, if it does not exist.
 */
gboolean
orderly_config_ensure_data_dir (OrderlyConfig  *self,
                                GError        **error)
{
  if (g_mkdir_with_parents (self->data_dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot create the data directory %s: %s"),
                   self->data_dir, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

void
orderly_config_free (OrderlyConfig *self)
{
  if (self == NULL)
    return;
  g_strfreev (self->bind);
  g_strfreev (self->allow_origins);
  g_free (self->data_dir);
  g_free (self->database);
  g_free (self->tls_cert);
  g_free (self->tls_key);
  g_free (self);
}
