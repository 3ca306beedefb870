/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-server"

#include "config.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "orderly-acceptor.h"
#include "orderly-gate.h"
#include "orderly-listener.h"

struct _OrderlyListener
{
  GObject        parent_instance;

  SoupServer      *server;
  OrderlyRemote   *remote;
  OrderlyAcceptor *acceptor;
  gboolean         secure;

  gboolean       started;
  guint          port;
  guint          relisten_source;
};

G_DEFINE_FINAL_TYPE (OrderlyListener, orderly_listener, G_TYPE_OBJECT)

static void
orderly_listener_dispose (GObject *object)
{
  OrderlyListener *self = (OrderlyListener *) object;

  g_clear_handle_id (&self->relisten_source, g_source_remove);
  if (self->remote != NULL)
    g_signal_handlers_disconnect_by_data (self->remote, self);
  g_clear_object (&self->remote);
  g_clear_object (&self->acceptor);
  g_clear_object (&self->server);

  G_OBJECT_CLASS (orderly_listener_parent_class)->dispose (object);
}

static void
orderly_listener_class_init (OrderlyListenerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = orderly_listener_dispose;
}

static void
orderly_listener_init (OrderlyListener *self)
{
}

/**
 * orderly_listener_new:
 * @server: the server whose sockets these are
 * @remote: where to listen, and where to say how it went
 */
OrderlyListener *
orderly_listener_new (SoupServer    *server,
                      OrderlyRemote *remote)
{
  OrderlyListener *self;

  g_return_val_if_fail (SOUP_IS_SERVER (server), NULL);
  g_return_val_if_fail (ORDERLY_IS_REMOTE (remote), NULL);

  self = g_object_new (ORDERLY_TYPE_LISTENER, NULL);
  self->server = g_object_ref (server);
  self->remote = g_object_ref (remote);
  self->acceptor = orderly_acceptor_new (server);
  return self;
}

/**
 * orderly_listener_get_acceptor:
 *
 * Returns: (transfer none): what accepts and times the connections
 */
OrderlyAcceptor *
orderly_listener_get_acceptor (OrderlyListener *self)
{
  g_return_val_if_fail (ORDERLY_IS_LISTENER (self), NULL);
  return self->acceptor;
}

/**
 * orderly_listener_set_tls_files:
 *
 * Serves https and wss with the certificate and key in these PEM files.
 * Call before orderly_listener_start().
 */
gboolean
orderly_listener_set_tls_files (OrderlyListener  *self,
                                const char       *cert_file,
                                const char       *key_file,
                                GError          **error)
{
  g_autoptr(GTlsCertificate) certificate = NULL;

  g_return_val_if_fail (ORDERLY_IS_LISTENER (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  certificate = g_tls_certificate_new_from_files (cert_file, key_file, error);
  if (certificate == NULL)
    return FALSE;
  orderly_acceptor_set_certificate (self->acceptor, certificate);
  self->secure = TRUE;
  return TRUE;
}

gboolean
orderly_listener_get_secure (OrderlyListener *self)
{
  g_return_val_if_fail (ORDERLY_IS_LISTENER (self), FALSE);
  return self->secure;
}

/* Sockets */

static void
raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }
}

static GSocket *
create_socket (GInetAddress  *address,
               guint          port,
               GError       **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  GSocketFamily family = g_inet_address_get_family (address);

  socket = g_socket_new (family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  /* The IPv4 and IPv6 sockets share a port; keep them apart. */
  if (family == G_SOCKET_FAMILY_IPV6 &&
      !g_socket_set_option (socket, IPPROTO_IPV6, IPV6_V6ONLY, 1, error))
    return NULL;
  g_socket_set_listen_backlog (socket, ORDERLY_LISTENER_BACKLOG);
  socket_address = g_inet_socket_address_new (address, port);
  if (!g_socket_bind (socket, socket_address, TRUE, error) || !g_socket_listen (socket, error))
    return NULL;
  return g_steal_pointer (&socket);
}

static guint
socket_port (GSocket *socket)
{
  g_autoptr(GSocketAddress) address = g_socket_get_local_address (socket, NULL);

  return address != NULL ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)) : 0;
}

static GPtrArray *
parse_bind_addresses (const char  *bind,
                      GError     **error)
{
  g_autoptr(GPtrArray) addresses = g_ptr_array_new_with_free_func (g_object_unref);
  g_auto(GStrv) names = NULL;

  names = g_strsplit (bind == NULL || *bind == '\0' ? "127.0.0.1,::1" : bind, ",", -1);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *name = orderly_gate_host_without_port (g_strstrip (names[i]));
      GInetAddress *address;

      if (*name == '\0')
        continue;
      if (g_ascii_strcasecmp (name, "localhost") == 0)
        {
          g_ptr_array_add (addresses, g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4));
          g_ptr_array_add (addresses, g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6));
          continue;
        }
      address = g_inet_address_new_from_string (name);
      if (address == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "Cannot listen on “%s”: not an IP address", name);
          return NULL;
        }
      g_ptr_array_add (addresses, address);
    }
  if (addresses->len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "No address to listen on");
      return NULL;
    }
  return g_steal_pointer (&addresses);
}

static gboolean
has_ipv4_address (GPtrArray *addresses)
{
  for (guint i = 0; i < addresses->len; i++)
    if (g_inet_address_get_family (addresses->pdata[i]) == G_SOCKET_FAMILY_IPV4)
      return TRUE;
  return FALSE;
}

/* Binds every address on one port; port 0 picks one free on all of them. */
static GPtrArray *
create_sockets (GPtrArray  *addresses,
                guint       wanted_port,
                guint      *port,
                GError    **error)
{
  for (guint attempt = 0; attempt < 20; attempt++)
    {
      g_autoptr(GPtrArray) sockets = g_ptr_array_new_with_free_func (g_object_unref);
      guint chosen = wanted_port;
      gboolean retry = FALSE;

      for (guint i = 0; i < addresses->len; i++)
        {
          GInetAddress *address = addresses->pdata[i];
          g_autoptr(GError) socket_error = NULL;
          g_autofree char *name = NULL;
          GSocket *socket = create_socket (address, chosen, &socket_error);

          if (socket == NULL)
            {
              /* A machine without IPv6 still serves on the IPv4 addresses
               * listed beside. */
              if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6 &&
                  has_ipv4_address (addresses) &&
                  !g_error_matches (socket_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
                {
                  name = g_inet_address_to_string (address);
                  g_message ("Not listening on %s: %s", name, socket_error->message);
                  continue;
                }
              if (wanted_port == 0 && i > 0 &&
                  g_error_matches (socket_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
                {
                  retry = TRUE;
                  break;
                }
              name = g_inet_address_to_string (address);
              g_set_error (error, socket_error->domain, socket_error->code,
                           "Cannot listen on %s port %u: %s", name, chosen, socket_error->message);
              return NULL;
            }
          if (chosen == 0)
            chosen = socket_port (socket);
          g_ptr_array_add (sockets, socket);
        }
      if (retry)
        continue;
      if (sockets->len == 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "No address to listen on");
          return NULL;
        }
      *port = chosen;
      return g_steal_pointer (&sockets);
    }
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                       "Could not find a port free on every address");
  return NULL;
}

static char *
build_url (OrderlyListener *self,
           GInetAddress    *address)
{
  g_autofree char *host = g_inet_address_to_string (address);
  const char *scheme = self->secure ? "https" : "http";

  if (g_inet_address_get_is_any (address))
    {
      g_free (host);
      host = g_strdup (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6 ? "::1" : "127.0.0.1");
    }
  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("%s://[%s]:%u/", scheme, host, self->port);
  return g_strdup_printf ("%s://%s:%u/", scheme, host, self->port);
}

/* Listening */

static gboolean
listen_now (OrderlyListener  *self,
            GError          **error)
{
  g_autoptr(GPtrArray) addresses = NULL;
  g_autoptr(GPtrArray) sockets = NULL;
  g_autofree char *url = NULL;
  guint port = 0;

  addresses = parse_bind_addresses (orderly_remote_get_bind_address (self->remote), error);
  if (addresses == NULL)
    return FALSE;
  sockets = create_sockets (addresses, orderly_remote_get_port (self->remote), &port, error);
  if (sockets == NULL)
    return FALSE;

  if (!orderly_acceptor_start (self->acceptor, sockets, error))
    return FALSE;
  self->port = port;
  url = build_url (self, addresses->pdata[0]);
  orderly_remote_set_url (self->remote, url);
  orderly_remote_set_listening (self->remote, TRUE, NULL);
  return TRUE;
}

static void
stop_listening (OrderlyListener *self)
{
  orderly_acceptor_stop (self->acceptor);
  self->port = 0;
  orderly_remote_set_listening (self->remote, FALSE, NULL);
}

static void
failed_to_listen (OrderlyListener *self,
                  const GError    *error)
{
  orderly_remote_set_listening (self->remote, FALSE, error->message);
  orderly_remote_set_url (self->remote, NULL);
}

static gboolean
relisten_cb (gpointer user_data)
{
  OrderlyListener *self = user_data;
  g_autoptr(GError) error = NULL;

  self->relisten_source = 0;
  stop_listening (self);
  if (!listen_now (self, &error))
    {
      g_message ("The server stopped listening: %s", error->message);
      failed_to_listen (self, error);
    }
  else
    {
      g_message ("Orderly listening on %s", orderly_remote_get_url (self->remote));
    }
  return G_SOURCE_REMOVE;
}

static void
settings_changed_cb (OrderlyListener *self)
{
  if (self->started && self->relisten_source == 0)
    {
      self->relisten_source = g_idle_add (relisten_cb, self);
      g_source_set_name_by_id (self->relisten_source, "[orderly] listen again");
    }
}

/**
 * orderly_listener_start:
 *
 * Listens where #OrderlyRemote says, and again whenever that changes.
 *
 * Returns: %FALSE when it cannot listen there; it is started all the same
 *   and listens once the address changes, until orderly_listener_stop()
 */
gboolean
orderly_listener_start (OrderlyListener  *self,
                        GError          **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (ORDERLY_IS_LISTENER (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  raise_fd_limit ();
  /* Started even when it cannot listen: a new address is tried at once. */
  self->started = TRUE;
  g_signal_connect_object (self->remote, "notify::bind-address",
                           G_CALLBACK (settings_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->remote, "notify::port",
                           G_CALLBACK (settings_changed_cb), self, G_CONNECT_SWAPPED);
  if (!listen_now (self, &local_error))
    {
      failed_to_listen (self, local_error);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

/**
 * orderly_listener_stop:
 *
 * Closes the sockets and the plain HTTP connections.
 */
void
orderly_listener_stop (OrderlyListener *self)
{
  g_return_if_fail (ORDERLY_IS_LISTENER (self));

  if (!self->started)
    return;
  self->started = FALSE;
  g_clear_handle_id (&self->relisten_source, g_source_remove);
  g_signal_handlers_disconnect_by_func (self->remote, settings_changed_cb, self);
  stop_listening (self);
}

/**
 * orderly_listener_get_port:
 *
 * Returns: the port it listens on (the one picked when asked for 0), or 0
 */
guint
orderly_listener_get_port (OrderlyListener *self)
{
  g_return_val_if_fail (ORDERLY_IS_LISTENER (self), 0);
  return self->port;
}
