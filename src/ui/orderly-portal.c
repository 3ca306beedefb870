/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-ui"

#include "config.h"

#include "orderly-portal.h"

/*
 * The desktop's Background portal (org.freedesktop.portal.Background), so
 * that GNOME lists Orderly among its background apps while a run goes on
 * with the window closed, with what it is doing. Without a portal, or with
 * one that is older or says no, Orderly runs on all the same: every call
 * here is best effort, and only logged when it fails.
 */

#define PORTAL_NAME      "org.freedesktop.portal.Desktop"
#define PORTAL_PATH      "/org/freedesktop/portal/desktop"
#define BACKGROUND_IFACE "org.freedesktop.portal.Background"

static void
call_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (reply == NULL)
    g_debug ("Background portal: %s: %s", (const char *) user_data, error->message);
}

static void
call_portal (const char *method,
             GVariant   *parameters)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);

  if (bus == NULL)
    {
      g_variant_unref (g_variant_ref_sink (parameters));
      return;
    }
  /* No auto-start: where no portal runs, nothing is started for it. */
  g_dbus_connection_call (bus, PORTAL_NAME, PORTAL_PATH, BACKGROUND_IFACE, method, parameters,
                          NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL,
                          call_done_cb, (gpointer) method);
}

/**
 * orderly_portal_request_background:
 * @reason: why Orderly goes on without its window, for the user
 *
 * Asks to run in the background, without autostart.
 */
void
orderly_portal_request_background (const char *reason)
{
  GVariantBuilder options;

  g_return_if_fail (reason != NULL);

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "reason", g_variant_new_string (reason));
  g_variant_builder_add (&options, "{sv}", "autostart", g_variant_new_boolean (FALSE));
  call_portal ("RequestBackground", g_variant_new ("(sa{sv})", "", &options));
}

/**
 * orderly_portal_set_background_status:
 * @message: what Orderly does, in a few words
 *
 * Says what Orderly is doing, for the list of background apps (version 2
 * of the portal; older ones ignore it).
 */
void
orderly_portal_set_background_status (const char *message)
{
  GVariantBuilder options;
  g_autofree char *text = g_utf8_substring (message, 0, 96);

  g_return_if_fail (message != NULL);

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "message", g_variant_new_string (text));
  call_portal ("SetStatus", g_variant_new ("(a{sv})", &options));
}
