/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-server"

#include "config.h"

#include <string.h>

#include "orderly-acceptor.h"
#include "orderly-integer.h"
#include "orderly-request-guard.h"
#include "orderly-response.h"
#include "orderly-server-limits.h"

/* After a refusal, what the client still sends is read and dropped for
 * this long, up to this much, so that closing does not reset the
 * connection before the client has read the answer. */
#define LINGER_MS    1000
#define LINGER_BYTES (64 * 1024)

#define BODY_READ_KEY "orderly-guard-body-read"
#define REFUSED_KEY   "orderly-guard-refused"

typedef struct
{
  char  *path_prefix;
  gsize  max_body;
} BodyLimit;

struct _OrderlyRequestGuard
{
  GObject      parent_instance;

  OrderlyGate *gate;
  GArray      *limits;  /* BodyLimit, longest prefix first */
};

G_DEFINE_FINAL_TYPE (OrderlyRequestGuard, orderly_request_guard, G_TYPE_OBJECT)

static void
body_limit_clear (gpointer data)
{
  g_free (((BodyLimit *) data)->path_prefix);
}

static void
orderly_request_guard_finalize (GObject *object)
{
  OrderlyRequestGuard *self = (OrderlyRequestGuard *) object;

  g_clear_object (&self->gate);
  g_clear_pointer (&self->limits, g_array_unref);

  G_OBJECT_CLASS (orderly_request_guard_parent_class)->finalize (object);
}

static void
orderly_request_guard_class_init (OrderlyRequestGuardClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = orderly_request_guard_finalize;
}

static void
orderly_request_guard_init (OrderlyRequestGuard *self)
{
  self->limits = g_array_new (FALSE, FALSE, sizeof (BodyLimit));
  g_array_set_clear_func (self->limits, body_limit_clear);
}

static gsize
body_limit_for (OrderlyRequestGuard *self,
                SoupServerMessage   *msg)
{
  const char *path = g_uri_get_path (soup_server_message_get_uri (msg));

  for (guint i = 0; i < self->limits->len; i++)
    {
      BodyLimit *limit = &g_array_index (self->limits, BodyLimit, i);

      if (g_str_has_prefix (path, limit->path_prefix))
        return limit->max_body;
    }
  return ORDERLY_SERVER_MAX_BODY;
}

/* Refusing on the spot */

typedef struct
{
  GIOStream    *stream;
  GSocket      *socket;
  GCancellable *cancellable;
  guint         timeout;
  gsize         drained;
  char          buffer[8192];
} Refusal;

static void
refusal_finish (Refusal *refusal)
{
  g_clear_handle_id (&refusal->timeout, g_source_remove);
  g_io_stream_close (refusal->stream, NULL, NULL);
  g_object_unref (refusal->stream);
  g_clear_object (&refusal->socket);
  g_object_unref (refusal->cancellable);
  g_free (refusal);
}

static gboolean
linger_timeout_cb (gpointer user_data)
{
  Refusal *refusal = user_data;

  refusal->timeout = 0;
  g_cancellable_cancel (refusal->cancellable);
  return G_SOURCE_REMOVE;
}

static void
drained_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Refusal *refusal = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, NULL);

  if (n > 0 && (refusal->drained += n) < LINGER_BYTES)
    {
      g_input_stream_read_async (G_INPUT_STREAM (object), refusal->buffer, sizeof refusal->buffer,
                                 G_PRIORITY_LOW, refusal->cancellable, drained_cb, refusal);
      return;
    }
  refusal_finish (refusal);
}

static void
written_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Refusal *refusal = user_data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, NULL))
    {
      refusal_finish (refusal);
      return;
    }
  if (refusal->socket != NULL)
    g_socket_shutdown (refusal->socket, FALSE, TRUE, NULL);
  g_input_stream_read_async (g_io_stream_get_input_stream (refusal->stream), refusal->buffer,
                             sizeof refusal->buffer, G_PRIORITY_LOW, refusal->cancellable,
                             drained_cb, refusal);
}

static GBytes *
serialize_response (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_response_body (msg));
  guint status = soup_server_message_get_status (msg);
  GString *response = g_string_new (NULL);
  SoupMessageHeadersIter iter;
  const char *name;
  const char *value;

  g_string_append_printf (response, "HTTP/1.1 %u %s\r\n", status, soup_status_get_phrase (status));
  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      if (g_ascii_strcasecmp (name, "Content-Length") != 0 && g_ascii_strcasecmp (name, "Connection") != 0)
        g_string_append_printf (response, "%s: %s\r\n", name, value);
    }
  g_string_append_printf (response, "Server: Orderly\r\nConnection: close\r\nContent-Length: %" G_GSIZE_FORMAT "\r\n\r\n",
                          g_bytes_get_size (body));
  g_string_append_len (response, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  return g_string_free_to_bytes (response);
}

/* Answers @msg now, from libsoup's got-headers or got-chunk, and closes its
 * connection: libsoup reads no more of it. */
static void
refuse (OrderlyRequestGuard *self,
        SoupServerMessage   *msg,
        guint                status,
        const char          *message)
{
  g_autoptr(GBytes) response = NULL;
  GSocket *socket = orderly_acceptor_get_socket (msg);
  Refusal *refusal;

  g_object_set_data (G_OBJECT (msg), REFUSED_KEY, GUINT_TO_POINTER (TRUE));
  g_debug ("Refused %s %s from %s: %s", soup_server_message_get_method (msg),
           g_uri_get_path (soup_server_message_get_uri (msg)), soup_server_message_get_remote_host (msg),
           message);
  orderly_gate_add_cors_headers (self->gate, msg);
  orderly_response_error (msg, status, message);
  response = serialize_response (msg);

  refusal = g_new0 (Refusal, 1);
  refusal->socket = socket != NULL ? g_object_ref (socket) : NULL;
  refusal->stream = soup_server_message_steal_connection (msg);
  refusal->cancellable = g_cancellable_new ();
  refusal->timeout = g_timeout_add (LINGER_MS, linger_timeout_cb, refusal);
  g_source_set_name_by_id (refusal->timeout, "[orderly] linger after a refusal");
  g_output_stream_write_all_async (g_io_stream_get_output_stream (refusal->stream),
                                   g_bytes_get_data (response, NULL), g_bytes_get_size (response),
                                   G_PRIORITY_DEFAULT, refusal->cancellable, written_cb, refusal);
  /* The write reads from @response until it is done. */
  g_object_set_data_full (G_OBJECT (refusal->cancellable), "orderly-response",
                          g_steal_pointer (&response), (GDestroyNotify) g_bytes_unref);
}

static void
refuse_too_large (OrderlyRequestGuard *self,
                  SoupServerMessage   *msg,
                  gsize                limit)
{
  g_autofree char *message = NULL;

  if (limit % 1024 == 0)
    message = g_strdup_printf ("The request body is larger than %" G_GSIZE_FORMAT " KiB", limit / 1024);
  else
    message = g_strdup_printf ("The request body is larger than %" G_GSIZE_FORMAT " bytes", limit);
  refuse (self, msg, 413, message);
}

/* The checks */

static void
got_chunk_cb (SoupServerMessage   *msg,
              GBytes              *chunk,
              OrderlyRequestGuard *self)
{
  gsize read = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (msg), BODY_READ_KEY));
  gsize limit = body_limit_for (self, msg);

  if (g_object_get_data (G_OBJECT (msg), REFUSED_KEY) != NULL)
    return;
  read += g_bytes_get_size (chunk);
  g_object_set_data (G_OBJECT (msg), BODY_READ_KEY, GSIZE_TO_POINTER (read));
  if (read > limit)
    refuse_too_large (self, msg, limit);
}

static gboolean
has_encoded_nul (const char *text)
{
  for (const char *at = text != NULL ? strchr (text, '%') : NULL; at != NULL; at = strchr (at + 1, '%'))
    {
      if (at[1] == '0' && at[2] == '0')
        return TRUE;
    }
  return FALSE;
}

static void
got_headers_cb (SoupServerMessage   *msg,
                OrderlyRequestGuard *self)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *length = soup_message_headers_get_list (headers, "Content-Length");
  const char *encoding = soup_message_headers_get_list (headers, "Transfer-Encoding");
  GUri *uri = soup_server_message_get_uri (msg);
  gsize limit = body_limit_for (self, msg);
  gint64 value = 0;

  /* An encoded NUL ends the text where C reads it: `token=valid%00junk`
   * would read as the valid token. No URL of ours has one. */
  if (has_encoded_nul (g_uri_get_path (uri)) || has_encoded_nul (g_uri_get_query (uri)))
    {
      refuse (self, msg, 400, "The address contains an encoded NUL (%00)");
      return;
    }

  /* Two framings: a proxy in front may read the other one, and what this
   * server takes for the next request would be hidden inside the body. */
  if (length != NULL && encoding != NULL)
    {
      refuse (self, msg, 400, "A request cannot have both Content-Length and Transfer-Encoding");
      return;
    }
  if (encoding != NULL && g_ascii_strcasecmp (encoding, "chunked") != 0)
    {
      refuse (self, msg, 400, "The only Transfer-Encoding accepted is chunked");
      return;
    }
  if (length != NULL)
    {
      switch (orderly_integer_parse (length, &value))
        {
        case ORDERLY_INTEGER_OK:
          if (value >= 0)
            break;
          G_GNUC_FALLTHROUGH;
        case ORDERLY_INTEGER_MALFORMED:
          refuse (self, msg, 400, "Content-Length must be one number");
          return;
        case ORDERLY_INTEGER_OUT_OF_RANGE:
        default:
          value = G_MAXINT64;
          break;
        }
      if ((guint64) value > limit)
        refuse_too_large (self, msg, limit);
      return;
    }
  if (encoding != NULL)
    g_signal_connect_object (msg, "got-chunk", G_CALLBACK (got_chunk_cb), self, 0);
}

static void
request_started_cb (SoupServer          *server,
                    SoupServerMessage   *msg,
                    OrderlyRequestGuard *self)
{
  /* After libsoup's own got-headers handler, which runs the early
   * handlers: this one runs for every path. */
  g_signal_connect_object (msg, "got-headers", G_CALLBACK (got_headers_cb), self, 0);
}

/**
 * orderly_request_guard_new:
 * @server: whose requests to judge
 * @gate: for the CORS headers of a refusal
 */
OrderlyRequestGuard *
orderly_request_guard_new (SoupServer  *server,
                           OrderlyGate *gate)
{
  OrderlyRequestGuard *self;

  g_return_val_if_fail (SOUP_IS_SERVER (server), NULL);
  g_return_val_if_fail (ORDERLY_IS_GATE (gate), NULL);

  self = g_object_new (ORDERLY_TYPE_REQUEST_GUARD, NULL);
  self->gate = g_object_ref (gate);
  g_signal_connect_object (server, "request-started", G_CALLBACK (request_started_cb), self, 0);
  return self;
}

/**
 * orderly_request_guard_set_body_limit:
 * @path_prefix: the paths it applies to, e.g. "/socket.io/"
 * @max_body: the largest request body accepted there
 *
 * Paths without a limit of their own accept %ORDERLY_SERVER_MAX_BODY.
 */
void
orderly_request_guard_set_body_limit (OrderlyRequestGuard *self,
                                      const char          *path_prefix,
                                      gsize                max_body)
{
  BodyLimit limit = { g_strdup (path_prefix), max_body };
  guint position = 0;

  g_return_if_fail (ORDERLY_IS_REQUEST_GUARD (self));
  g_return_if_fail (path_prefix != NULL);

  while (position < self->limits->len &&
         strlen (g_array_index (self->limits, BodyLimit, position).path_prefix) >= strlen (path_prefix))
    position++;
  g_array_insert_val (self->limits, position, limit);
}
