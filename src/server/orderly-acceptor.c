/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-server"

#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>

#include "orderly-acceptor.h"

/* Connections taken from the kernel per wake-up, so one busy socket does
 * not starve the main loop. */
#define ACCEPT_BATCH     64
/* How soon accepting is tried again after it failed. */
#define RETRY_MS         100
/* A response that makes no progress for this long is abandoned. */
#define WRITE_TIMEOUT_MS 30000
/* Connections past their deadline closed per turn of the main loop: a
 * slowloris's thousands, all timed out at once, would otherwise keep
 * everyone else waiting while libsoup lets them go. */
#define CLOSE_BATCH      32

typedef enum
{
  PHASE_HEADERS,   /* waiting for a request's headers */
  PHASE_BODY,      /* reading a request body */
  PHASE_HANDLING,  /* the application's turn: no deadline */
  PHASE_WRITING,   /* a response is being written */
  PHASE_IDLE,      /* keep-alive, between requests */
} Phase;

/* One accepted connection, from accept() until its descriptor is closed. */
typedef struct
{
  grefcount        ref;
  OrderlyAcceptor *acceptor;  /* NULL once it has let go */
  GSocket         *socket;    /* NULL once closed; not owned */
  GSource         *deadline;
  GList            all_link;
  GList            waiting_link;  /* in acceptor->waiting while it waits for a request */
  GList            late_link;     /* in acceptor->late while is_late */
  gboolean         is_late;
  Phase            phase;
} Connection;

struct _OrderlyAcceptor
{
  GObject          parent_instance;

  SoupServer      *server;
  GTlsCertificate *certificate;

  GPtrArray       *sockets;      /* the listening GSockets */
  GPtrArray       *sources;      /* their accept sources, while accepting */
  GSocket         *placeholder;  /* see add_placeholder_listener() */
  guint            retry_source;

  GQueue           all;          /* Connection, every one open */
  GQueue           waiting;      /* Connection, waiting for a request, oldest first */
  GQueue           late;         /* Connection, past its deadline, to be closed */
  guint            close_source;
  guint            max_open;

  guint            header_ms;
  guint            body_ms;
  guint            idle_ms;
};

G_DEFINE_FINAL_TYPE (OrderlyAcceptor, orderly_acceptor, G_TYPE_OBJECT)

static GQuark connection_quark;

static void start_accepting (OrderlyAcceptor *self);

/* Connections */

static Connection *
connection_ref (Connection *connection)
{
  g_ref_count_inc (&connection->ref);
  return connection;
}

static void
connection_unref (gpointer data)
{
  Connection *connection = data;

  if (!g_ref_count_dec (&connection->ref))
    return;
  g_assert (connection->acceptor == NULL);
  if (connection->deadline != NULL)
    {
      g_source_destroy (connection->deadline);
      g_source_unref (connection->deadline);
    }
  g_free (connection);
}

static void
connection_shut (Connection *connection)
{
  /* libsoup's pending read sees the end and lets the connection go; the
   * descriptor stays valid until then. */
  if (connection->socket != NULL)
    g_socket_shutdown (connection->socket, TRUE, TRUE, NULL);
}

static void
connection_set_phase (Connection *connection,
                      Phase       phase,
                      guint       timeout_ms)
{
  OrderlyAcceptor *self = connection->acceptor;
  gboolean waiting = phase == PHASE_HEADERS || phase == PHASE_IDLE;
  gboolean was_waiting = connection->phase == PHASE_HEADERS || connection->phase == PHASE_IDLE;

  if (self == NULL)
    return;
  if (was_waiting && !waiting)
    g_queue_unlink (&self->waiting, &connection->waiting_link);
  else if (!was_waiting && waiting)
    g_queue_push_tail_link (&self->waiting, &connection->waiting_link);
  connection->phase = phase;
  g_source_set_ready_time (connection->deadline,
                           timeout_ms > 0 ? g_get_monotonic_time () + timeout_ms * (gint64) 1000 : -1);
}

static gboolean
close_late_cb (gpointer user_data)
{
  OrderlyAcceptor *self = user_data;

  for (guint i = 0; i < CLOSE_BATCH && self->late.length > 0; i++)
    {
      Connection *connection = g_queue_pop_head_link (&self->late)->data;

      connection->is_late = FALSE;
      connection_shut (connection);
    }
  if (self->late.length > 0)
    return G_SOURCE_CONTINUE;
  self->close_source = 0;
  return G_SOURCE_REMOVE;
}

static gboolean
deadline_dispatch (GSource     *source,
                   GSourceFunc  callback,
                   gpointer     user_data)
{
  Connection *connection = user_data;
  OrderlyAcceptor *self = connection->acceptor;

  g_source_set_ready_time (source, -1);
  if (self == NULL || connection->is_late)
    return G_SOURCE_CONTINUE;
  g_debug ("Closing a connection that took too long (phase %d)", connection->phase);
  connection->is_late = TRUE;
  g_queue_push_tail_link (&self->late, &connection->late_link);
  if (self->close_source == 0)
    {
      self->close_source = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, close_late_cb, self, NULL);
      g_source_set_name_by_id (self->close_source, "[orderly] close late connections");
    }
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs deadline_funcs = { NULL, NULL, deadline_dispatch, NULL, NULL, NULL };

/* Forgets @connection; its deadline no longer fires. */
static void
connection_detach (Connection *connection)
{
  OrderlyAcceptor *self = connection->acceptor;

  if (self == NULL)
    return;
  if (connection->phase == PHASE_HEADERS || connection->phase == PHASE_IDLE)
    g_queue_unlink (&self->waiting, &connection->waiting_link);
  if (connection->is_late)
    g_queue_unlink (&self->late, &connection->late_link);
  connection->is_late = FALSE;
  g_queue_unlink (&self->all, &connection->all_link);
  g_source_set_ready_time (connection->deadline, -1);
  connection->acceptor = NULL;
}

/* The GSocket is finalized, so its descriptor is closed. */
static void
socket_closed_cb (gpointer  data,
                  GObject  *where_the_socket_was)
{
  Connection *connection = data;
  OrderlyAcceptor *self = connection->acceptor;

  connection->socket = NULL;
  connection_detach (connection);
  if (self != NULL && self->sockets != NULL && self->sources == NULL &&
      self->all.length < self->max_open)
    {
      /* A descriptor is free again: accept now, not after the retry. */
      g_clear_handle_id (&self->retry_source, g_source_remove);
      start_accepting (self);
    }
  connection_unref (connection);
}

static Connection *
connection_new (OrderlyAcceptor *self,
                GSocket         *socket)
{
  Connection *connection = g_new0 (Connection, 1);

  g_ref_count_init (&connection->ref);
  connection->acceptor = self;
  connection->socket = socket;
  connection->all_link.data = connection;
  connection->waiting_link.data = connection;
  connection->late_link.data = connection;
  connection->deadline = g_source_new (&deadline_funcs, sizeof (GSource));
  g_source_set_name (connection->deadline, "[orderly] connection deadline");
  g_source_set_callback (connection->deadline, NULL, connection, NULL);
  g_source_attach (connection->deadline, NULL);
  g_queue_push_tail_link (&self->all, &connection->all_link);
  connection->phase = PHASE_HANDLING;
  connection_set_phase (connection, PHASE_HEADERS, self->header_ms);
  /* The weak reference holds one reference of its own. */
  g_object_weak_ref (G_OBJECT (socket), socket_closed_cb, connection_ref (connection));
  return connection;
}

static Connection *
connection_for_message (SoupServerMessage *msg)
{
  GSocketAddress *address = soup_server_message_get_remote_address (msg);

  return address != NULL ? g_object_get_qdata (G_OBJECT (address), connection_quark) : NULL;
}

/**
 * orderly_acceptor_get_socket:
 *
 * libsoup knows the socket only of the connections it accepted itself:
 * soup_server_message_get_socket() has none for ours.
 *
 * Returns: (transfer none) (nullable): the socket @msg came on, whether
 *   an #OrderlyAcceptor or libsoup accepted it; %NULL once it is closed
 */
GSocket *
orderly_acceptor_get_socket (SoupServerMessage *msg)
{
  Connection *connection;

  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (msg), NULL);

  connection = connection_for_message (msg);
  return connection != NULL ? connection->socket : soup_server_message_get_socket (msg);
}

/* Closes the connection that has waited longest for a request, to make
 * room for a new one. */
static gboolean
evict_oldest_waiting (OrderlyAcceptor *self)
{
  GList *oldest = g_queue_peek_head_link (&self->waiting);
  Connection *connection;

  if (oldest == NULL)
    return FALSE;
  connection = oldest->data;
  connection_set_phase (connection, PHASE_HANDLING, 0);
  connection_shut (connection);
  return TRUE;
}

/* The request cycle, as libsoup reports it */

static void
got_headers_cb (SoupServerMessage *msg,
                gpointer           user_data)
{
  Connection *connection = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);
  gboolean has_body = encoding == SOUP_ENCODING_CHUNKED ||
                      (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
                       soup_message_headers_get_content_length (headers) > 0);

  if (connection->acceptor == NULL)
    return;
  connection_set_phase (connection, has_body ? PHASE_BODY : PHASE_HANDLING,
                        has_body ? connection->acceptor->body_ms : 0);
}

static void
wrote_headers_cb (SoupServerMessage *msg,
                  gpointer           user_data)
{
  connection_set_phase (user_data, PHASE_WRITING, WRITE_TIMEOUT_MS);
}

static void
wrote_body_data_cb (SoupServerMessage *msg,
                    guint              chunk_size,
                    gpointer           user_data)
{
  connection_set_phase (user_data, PHASE_WRITING, WRITE_TIMEOUT_MS);
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    OrderlyAcceptor   *self)
{
  Connection *connection = connection_for_message (msg);

  if (connection == NULL || connection->acceptor == NULL)
    return;
  /* A later request on a kept-alive connection starts with its first
   * bytes: from then on its headers have the same time as the first's. */
  if (connection->phase == PHASE_IDLE)
    connection_set_phase (connection, PHASE_HEADERS, self->header_ms);
  g_signal_connect_data (msg, "got-headers", G_CALLBACK (got_headers_cb), connection_ref (connection),
                         (GClosureNotify) (void (*) (void)) connection_unref, 0);
  g_signal_connect_data (msg, "wrote-headers", G_CALLBACK (wrote_headers_cb), connection_ref (connection),
                         (GClosureNotify) (void (*) (void)) connection_unref, 0);
  g_signal_connect_data (msg, "wrote-body-data", G_CALLBACK (wrote_body_data_cb), connection_ref (connection),
                         (GClosureNotify) (void (*) (void)) connection_unref, 0);
}

static void
request_read_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 OrderlyAcceptor   *self)
{
  Connection *connection = connection_for_message (msg);

  if (connection != NULL)
    connection_set_phase (connection, PHASE_HANDLING, 0);
}

static void
request_done_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 OrderlyAcceptor   *self)
{
  Connection *connection = connection_for_message (msg);

  if (connection != NULL)
    connection_set_phase (connection, PHASE_IDLE, self->idle_ms);
}

/* Accepting */

static void
stop_accepting (OrderlyAcceptor *self)
{
  if (self->sources == NULL)
    return;
  for (guint i = 0; i < self->sources->len; i++)
    g_source_destroy (self->sources->pdata[i]);
  g_clear_pointer (&self->sources, g_ptr_array_unref);
}

static gboolean
retry_cb (gpointer user_data)
{
  OrderlyAcceptor *self = user_data;

  self->retry_source = 0;
  start_accepting (self);
  return G_SOURCE_REMOVE;
}

/* The listening sockets stay readable while connections wait in the
 * kernel: watching them now would spin. Accepting resumes after a while,
 * or as soon as one of our connections closes. */
static void
pause_accepting (OrderlyAcceptor *self)
{
  stop_accepting (self);
  if (self->retry_source == 0)
    {
      self->retry_source = g_timeout_add (RETRY_MS, retry_cb, self);
      g_source_set_name_by_id (self->retry_source, "[orderly] accept again");
    }
}

static void
serve (OrderlyAcceptor *self,
       GSocket         *socket)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (socket, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_get_remote_address (socket, NULL);
  g_autoptr(GIOStream) stream = NULL;

  if (local == NULL || remote == NULL)
    return;
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  connection = g_socket_connection_factory_create_connection (socket);
  if (self->certificate != NULL)
    {
      /* The handshake happens on the first read, within the header time. */
      stream = (GIOStream *) g_tls_server_connection_new (G_IO_STREAM (connection), self->certificate, &error);
      if (stream == NULL)
        {
          g_message ("Cannot serve TLS: %s", error->message);
          return;
        }
      g_object_set (stream, "require-close-notify", FALSE, NULL);
    }
  else
    {
      stream = G_IO_STREAM (g_object_ref (connection));
    }

  /* Before libsoup sees it: the first request starts inside the call. */
  g_object_set_qdata_full (G_OBJECT (remote), connection_quark,
                           connection_ref (connection_new (self, socket)), connection_unref);
  if (!soup_server_accept_iostream (self->server, stream, local, remote, &error))
    g_debug ("Could not serve a connection: %s", error->message);
}

static gboolean
accept_cb (GSocket      *listening,
           GIOCondition  condition,
           gpointer      user_data)
{
  OrderlyAcceptor *self = user_data;

  for (guint i = 0; i < ACCEPT_BATCH; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) socket = NULL;

      if (self->all.length >= self->max_open)
        {
          evict_oldest_waiting (self);
          pause_accepting (self);
          return G_SOURCE_REMOVE;
        }
      socket = g_socket_accept (listening, NULL, &error);
      if (socket == NULL)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return G_SOURCE_CONTINUE;
          /* Out of descriptors, or another failure the next try may not
           * have: free one if we hold it, and try again soon. */
          g_debug ("Cannot accept a connection: %s", error->message);
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES))
            evict_oldest_waiting (self);
          pause_accepting (self);
          return G_SOURCE_REMOVE;
        }
      serve (self, socket);
    }
  return G_SOURCE_CONTINUE;
}

static void
start_accepting (OrderlyAcceptor *self)
{
  if (self->sources != NULL || self->sockets == NULL)
    return;
  self->sources = g_ptr_array_new_with_free_func ((GDestroyNotify) g_source_unref);
  for (guint i = 0; i < self->sockets->len; i++)
    {
      GSource *source = g_socket_create_source (self->sockets->pdata[i], G_IO_IN, NULL);

      g_source_set_callback (source, G_SOURCE_FUNC (accept_cb), self, NULL);
      g_source_set_name (source, "[orderly] accept");
      g_source_attach (source, NULL);
      g_ptr_array_add (self->sources, source);
    }
}

/* libsoup keeps a connection alive after a response only while the
 * server has a listener of its own. Give it one nobody can reach: a Unix
 * socket whose name is gone. */
static gboolean
add_placeholder_listener (OrderlyAcceptor  *self,
                          GError          **error)
{
  g_autofree char *dir = g_dir_make_tmp ("orderly-XXXXXX", error);
  g_autofree char *path = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  gboolean listening;

  if (dir == NULL)
    return FALSE;
  path = g_build_filename (dir, "placeholder", NULL);
  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
  address = g_unix_socket_address_new (path);
  listening = socket != NULL && g_socket_bind (socket, address, FALSE, error) &&
              g_socket_listen (socket, error) && soup_server_listen_socket (self->server, socket, 0, error);
  g_unlink (path);
  g_rmdir (dir);
  if (!listening)
    return FALSE;
  self->placeholder = g_steal_pointer (&socket);
  return TRUE;
}

static guint
compute_max_open (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
    return G_MAXINT;
  if (limit.rlim_cur <= 2 * ORDERLY_ACCEPTOR_FD_RESERVE)
    return MAX (limit.rlim_cur / 2, 1);
  return MIN (limit.rlim_cur - ORDERLY_ACCEPTOR_FD_RESERVE, G_MAXINT);
}

/* GObject */

static void
orderly_acceptor_dispose (GObject *object)
{
  OrderlyAcceptor *self = (OrderlyAcceptor *) object;

  orderly_acceptor_stop (self);
  while (self->all.length > 0)
    {
      Connection *connection = g_queue_peek_head (&self->all);

      connection_detach (connection);
    }
  if (self->server != NULL)
    g_signal_handlers_disconnect_by_data (self->server, self);
  g_clear_object (&self->server);
  g_clear_object (&self->certificate);

  G_OBJECT_CLASS (orderly_acceptor_parent_class)->dispose (object);
}

static void
orderly_acceptor_class_init (OrderlyAcceptorClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = orderly_acceptor_dispose;
  connection_quark = g_quark_from_static_string ("orderly-acceptor-connection");
}

static void
orderly_acceptor_init (OrderlyAcceptor *self)
{
  self->header_ms = ORDERLY_ACCEPTOR_HEADER_TIMEOUT_MS;
  self->body_ms = ORDERLY_ACCEPTOR_BODY_TIMEOUT_MS;
  self->idle_ms = ORDERLY_ACCEPTOR_IDLE_TIMEOUT_MS;
  self->max_open = G_MAXINT;
}

/**
 * orderly_acceptor_new:
 * @server: the server to hand connections to
 */
OrderlyAcceptor *
orderly_acceptor_new (SoupServer *server)
{
  OrderlyAcceptor *self;

  g_return_val_if_fail (SOUP_IS_SERVER (server), NULL);

  self = g_object_new (ORDERLY_TYPE_ACCEPTOR, NULL);
  self->server = g_object_ref (server);
  g_signal_connect (server, "request-started", G_CALLBACK (request_started_cb), self);
  g_signal_connect (server, "request-read", G_CALLBACK (request_read_cb), self);
  g_signal_connect (server, "request-finished", G_CALLBACK (request_done_cb), self);
  g_signal_connect (server, "request-aborted", G_CALLBACK (request_done_cb), self);
  return self;
}

/**
 * orderly_acceptor_set_certificate:
 * @certificate: (nullable): serve TLS with it; %NULL for plain HTTP
 */
void
orderly_acceptor_set_certificate (OrderlyAcceptor *self,
                                  GTlsCertificate *certificate)
{
  g_return_if_fail (ORDERLY_IS_ACCEPTOR (self));
  g_set_object (&self->certificate, certificate);
}

/**
 * orderly_acceptor_set_timeouts:
 * @header_ms: how long a request's headers may take
 * @body_ms: how long its body may take after them
 * @idle_ms: how long a kept-alive connection may stay silent
 *
 * Applies to connections as they next change phase.
 */
void
orderly_acceptor_set_timeouts (OrderlyAcceptor *self,
                               guint            header_ms,
                               guint            body_ms,
                               guint            idle_ms)
{
  g_return_if_fail (ORDERLY_IS_ACCEPTOR (self));
  g_return_if_fail (header_ms > 0 && body_ms > 0 && idle_ms > 0);

  self->header_ms = header_ms;
  self->body_ms = body_ms;
  self->idle_ms = idle_ms;
}

/**
 * orderly_acceptor_start:
 * @sockets: (element-type GSocket): listening sockets
 *
 * Accepts connections on @sockets until orderly_acceptor_stop().
 */
gboolean
orderly_acceptor_start (OrderlyAcceptor  *self,
                        GPtrArray        *sockets,
                        GError          **error)
{
  g_return_val_if_fail (ORDERLY_IS_ACCEPTOR (self), FALSE);
  g_return_val_if_fail (sockets != NULL, FALSE);
  g_return_val_if_fail (self->sockets == NULL, FALSE);

  self->max_open = compute_max_open ();
  if (!add_placeholder_listener (self, error))
    return FALSE;
  self->sockets = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < sockets->len; i++)
    {
      g_socket_set_blocking (sockets->pdata[i], FALSE);
      g_ptr_array_add (self->sockets, g_object_ref (sockets->pdata[i]));
    }
  start_accepting (self);
  return TRUE;
}

/**
 * orderly_acceptor_stop:
 *
 * Closes the listening sockets and every plain HTTP connection; upgraded
 * WebSockets are no longer the server's and stay open.
 */
void
orderly_acceptor_stop (OrderlyAcceptor *self)
{
  g_return_if_fail (ORDERLY_IS_ACCEPTOR (self));

  stop_accepting (self);
  g_clear_handle_id (&self->retry_source, g_source_remove);
  g_clear_handle_id (&self->close_source, g_source_remove);
  while (self->late.length > 0)
    ((Connection *) g_queue_pop_head_link (&self->late)->data)->is_late = FALSE;
  if (self->sockets != NULL)
    {
      for (guint i = 0; i < self->sockets->len; i++)
        g_socket_close (self->sockets->pdata[i], NULL);
      g_clear_pointer (&self->sockets, g_ptr_array_unref);
    }
  if (self->placeholder != NULL)
    {
      soup_server_disconnect (self->server);
      g_socket_close (self->placeholder, NULL);
      g_clear_object (&self->placeholder);
    }
}

/**
 * orderly_acceptor_get_max_open:
 *
 * Returns: how many connections may be open at once: the descriptors the
 *   process may open, less a reserve
 */
guint
orderly_acceptor_get_max_open (OrderlyAcceptor *self)
{
  g_return_val_if_fail (ORDERLY_IS_ACCEPTOR (self), 0);
  return self->max_open;
}

/**
 * orderly_acceptor_get_n_open:
 *
 * Returns: how many accepted connections (upgraded ones included) are open
 */
guint
orderly_acceptor_get_n_open (OrderlyAcceptor *self)
{
  g_return_val_if_fail (ORDERLY_IS_ACCEPTOR (self), 0);
  return self->all.length;
}

/**
 * orderly_acceptor_get_max_lasting:
 *
 * Returns: how many long-lived connections (WebSockets, Socket.IO
 *   sessions) may be open at once, so that plain HTTP requests still find
 *   a descriptor; %G_MAXUINT without a limit
 */
guint
orderly_acceptor_get_max_lasting (OrderlyAcceptor *self)
{
  g_return_val_if_fail (ORDERLY_IS_ACCEPTOR (self), 0);

  if (self->max_open >= G_MAXINT)
    return G_MAXUINT;
  if (self->max_open <= 2 * ORDERLY_ACCEPTOR_HTTP_HEADROOM)
    return MAX (self->max_open / 2, 1);
  return self->max_open - ORDERLY_ACCEPTOR_HTTP_HEADROOM;
}
