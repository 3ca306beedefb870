/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-remote"

#include "config.h"

#include "orderly-remote.h"

/**
 * OrderlyRemote:
 *
 * Remote access as one model: the address the server listens on, the access
 * tokens and the links made from them, what the operator configured (bind
 * address, port, allowed origins) and the list of connected clients. The
 * server fills it and follows its settings; the window shows and edits it.
 */

struct _OrderlyRemote
{
  GObject        parent_instance;
  OrderlyTokens *tokens;
  char          *data_dir;
  char          *url;
  gboolean       listening;
  char          *error_message;
  char          *bind_address;
  guint          port;
  char         **allowed_origins;
  GListStore    *clients;
};

enum {
  PROP_0,
  PROP_AUTH_ENABLED,
  PROP_URL,
  PROP_OPERATOR_URL,
  PROP_VIEWER_URL,
  PROP_LISTENING,
  PROP_ERROR_MESSAGE,
  PROP_BIND_ADDRESS,
  PROP_PORT,
  PROP_ALLOWED_ORIGINS,
  PROP_CLIENTS,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (OrderlyRemote, orderly_remote, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static gboolean
replace_string (char       **field,
                const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
orderly_remote_finalize (GObject *object)
{
  OrderlyRemote *self = (OrderlyRemote *) object;

  g_clear_pointer (&self->tokens, orderly_tokens_free);
  g_free (self->data_dir);
  g_free (self->url);
  g_free (self->error_message);
  g_free (self->bind_address);
  g_strfreev (self->allowed_origins);
  g_clear_object (&self->clients);

  G_OBJECT_CLASS (orderly_remote_parent_class)->finalize (object);
}

static void
orderly_remote_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  OrderlyRemote *self = ORDERLY_REMOTE (object);

  switch (prop_id)
    {
    case PROP_AUTH_ENABLED:
      g_value_set_boolean (value, self->tokens != NULL);
      break;
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    case PROP_OPERATOR_URL:
      g_value_take_string (value, orderly_remote_dup_operator_url (self));
      break;
    case PROP_VIEWER_URL:
      g_value_take_string (value, orderly_remote_dup_viewer_url (self));
      break;
    case PROP_LISTENING:
      g_value_set_boolean (value, self->listening);
      break;
    case PROP_ERROR_MESSAGE:
      g_value_set_string (value, self->error_message);
      break;
    case PROP_BIND_ADDRESS:
      g_value_set_string (value, self->bind_address);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_ALLOWED_ORIGINS:
      g_value_set_boxed (value, self->allowed_origins);
      break;
    case PROP_CLIENTS:
      g_value_set_object (value, self->clients);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_remote_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  OrderlyRemote *self = ORDERLY_REMOTE (object);

  switch (prop_id)
    {
    case PROP_BIND_ADDRESS:
      orderly_remote_set_bind_address (self, g_value_get_string (value));
      break;
    case PROP_PORT:
      orderly_remote_set_port (self, g_value_get_uint (value));
      break;
    case PROP_ALLOWED_ORIGINS:
      orderly_remote_set_allowed_origins (self, g_value_get_boxed (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_remote_class_init (OrderlyRemoteClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = orderly_remote_finalize;
  object_class->get_property = orderly_remote_get_property;
  object_class->set_property = orderly_remote_set_property;

  properties[PROP_AUTH_ENABLED] = g_param_spec_boolean ("auth-enabled", NULL, NULL, TRUE, ro);
  properties[PROP_URL] = g_param_spec_string ("url", NULL, NULL, NULL, ro);
  properties[PROP_OPERATOR_URL] = g_param_spec_string ("operator-url", NULL, NULL, NULL, ro);
  properties[PROP_VIEWER_URL] = g_param_spec_string ("viewer-url", NULL, NULL, NULL, ro);
  properties[PROP_LISTENING] = g_param_spec_boolean ("listening", NULL, NULL, FALSE, ro);
  properties[PROP_ERROR_MESSAGE] = g_param_spec_string ("error-message", NULL, NULL, NULL, ro);
  properties[PROP_BIND_ADDRESS] = g_param_spec_string ("bind-address", NULL, NULL, NULL, rw);
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 0, 65535, 8080, rw);
  properties[PROP_ALLOWED_ORIGINS] =
    g_param_spec_boxed ("allowed-origins", NULL, NULL, G_TYPE_STRV, rw);
  properties[PROP_CLIENTS] = g_param_spec_object ("clients", NULL, NULL, G_TYPE_LIST_MODEL, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
orderly_remote_init (OrderlyRemote *self)
{
  self->clients = g_list_store_new (ORDERLY_TYPE_CLIENT);
  self->port = 8080;
  self->allowed_origins = g_new0 (char *, 1);
}

/**
 * orderly_remote_new:
 * @tokens: (transfer full) (nullable): the access tokens; %NULL turns
 *   authentication off
 * @data_dir: where the tokens are kept
 */
OrderlyRemote *
orderly_remote_new (OrderlyTokens *tokens,
                    const char    *data_dir)
{
  OrderlyRemote *self = g_object_new (ORDERLY_TYPE_REMOTE, NULL);

  self->tokens = tokens;
  self->data_dir = g_strdup (data_dir);
  return self;
}

gboolean
orderly_remote_get_auth_enabled (OrderlyRemote *self)
{
  g_return_val_if_fail (ORDERLY_IS_REMOTE (self), TRUE);
  return self->tokens != NULL;
}

/**
 * orderly_remote_get_tokens:
 *
 * Returns: (nullable): the tokens, or %NULL when authentication is off
 */
const OrderlyTokens *
orderly_remote_get_tokens (OrderlyRemote *self)
{
  g_return_val_if_fail (ORDERLY_IS_REMOTE (self), NULL);
  return self->tokens;
}

/**
 * orderly_remote_check_token:
 *
 * Returns: the role @token grants; operator for everyone when
 *   authentication is off
 */
OrderlyRole
orderly_remote_check_token (OrderlyRemote *self,
                            const char    *token)
{
  g_return_val_if_fail (ORDERLY_IS_REMOTE (self), ORDERLY_ROLE_NONE);

  if (self->tokens == NULL)
    return ORDERLY_ROLE_OPERATOR;
  return orderly_tokens_check (self->tokens, token);
}

/**
 * orderly_remote_regenerate_tokens:
 *
 * Replaces both access tokens with new ones, stored in tokens.ini: the old
 * ones are refused from then on, and the connected clients that signed in
 * with them are disconnected.
 *
 * Returns: %FALSE with @error set when the tokens cannot change
 *   (authentication off, tokens from the environment, a file that cannot be
 *   written); then nothing changed
 */
gboolean
orderly_remote_regenerate_tokens (OrderlyRemote  *self,
                                  GError        **error)
{
  g_autoptr(GPtrArray) ended = NULL;
  guint n_clients;

  g_return_val_if_fail (ORDERLY_IS_REMOTE (self), FALSE);

  if (self->tokens == NULL)
    {
      g_set_error_literal (error, ORDERLY_ERROR, ORDERLY_ERROR_FORBIDDEN,
                           "Authentication is off; there are no tokens to regenerate");
      return FALSE;
    }
  if (!orderly_tokens_regenerate (self->tokens, self->data_dir, error))
    return FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OPERATOR_URL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEWER_URL]);

  /* Every session is one of the old tokens'. The list changes as clients
   * leave it. */
  n_clients = g_list_model_get_n_items (G_LIST_MODEL (self->clients));
  ended = g_ptr_array_new_full (n_clients, g_object_unref);
  for (guint i = 0; i < n_clients; i++)
    g_ptr_array_add (ended, g_list_model_get_item (G_LIST_MODEL (self->clients), i));
  for (guint i = 0; i < ended->len; i++)
    orderly_client_disconnect (ended->pdata[i], "The access tokens were replaced");
  return TRUE;
}

const char *
orderly_remote_get_url (OrderlyRemote *self)
{
  g_return_val_if_fail (ORDERLY_IS_REMOTE (self), NULL);
  return self->url;
}

void
orderly_remote_set_url (OrderlyRemote *self,
                        const char    *url)
{
  g_return_if_fail (ORDERLY_IS_REMOTE (self));

  if (!replace_string (&self->url, url))
    return;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OPERATOR_URL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEWER_URL]);
}

static char *
dup_url_with_token (OrderlyRemote *self,
                    const char    *token)
{
  g_autofree char *escaped = NULL;

  if (self->url == NULL)
    return NULL;
  if (token == NULL)
    return g_strdup (self->url);
  escaped = g_uri_escape_string (token, NULL, FALSE);
  return g_strconcat (self->url, "?token=", escaped, NULL);
}

/**
 * orderly_remote_dup_operator_url:
 *
 * Returns: (transfer full) (nullable): the dashboard link that logs in as operator
 */
char *
orderly_remote_dup_operator_url (OrderlyRemote *self)
{
  g_return_val_if_fail (ORDERLY_IS_REMOTE (self), NULL);
  return dup_url_with_token (self, self->tokens ? self->tokens->operator_token : NULL);
}

/**
 * orderly_remote_dup_viewer_url:
 *
 * Returns: (transfer full) (nullable): the read-only dashboard link
 */
char *
orderly_remote_dup_viewer_url (OrderlyRemote *self)
{
  g_return_val_if_fail (ORDERLY_IS_REMOTE (self), NULL);
  return dup_url_with_token (self, self->tokens ? self->tokens->viewer_token : NULL);
}

gboolean
orderly_remote_get_listening (OrderlyRemote *self)
{
  g_return_val_if_fail (ORDERLY_IS_REMOTE (self), FALSE);
  return self->listening;
}

const char *
orderly_remote_get_error_message (OrderlyRemote *self)
{
  g_return_val_if_fail (ORDERLY_IS_REMOTE (self), NULL);
  return self->error_message;
}

/**
 * orderly_remote_set_listening:
 * @error_message: (nullable): why the server is not listening
 */
void
orderly_remote_set_listening (OrderlyRemote *self,
                              gboolean       listening,
                              const char    *error_message)
{
  g_return_if_fail (ORDERLY_IS_REMOTE (self));

  if (self->listening != !!listening)
    {
      self->listening = !!listening;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LISTENING]);
    }
  if (replace_string (&self->error_message, error_message))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR_MESSAGE]);
}

/**
 * orderly_remote_get_bind_address:
 *
 * Returns: (nullable): the address to listen on; %NULL or "" for loopback
 */
const char *
orderly_remote_get_bind_address (OrderlyRemote *self)
{
  g_return_val_if_fail (ORDERLY_IS_REMOTE (self), NULL);
  return self->bind_address;
}

void
orderly_remote_set_bind_address (OrderlyRemote *self,
                                 const char    *bind_address)
{
  g_return_if_fail (ORDERLY_IS_REMOTE (self));

  if (replace_string (&self->bind_address, bind_address))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BIND_ADDRESS]);
}

guint
orderly_remote_get_port (OrderlyRemote *self)
{
  g_return_val_if_fail (ORDERLY_IS_REMOTE (self), 0);
  return self->port;
}

void
orderly_remote_set_port (OrderlyRemote *self,
                         guint          port)
{
  g_return_if_fail (ORDERLY_IS_REMOTE (self));
  g_return_if_fail (port <= 65535);

  if (self->port == port)
    return;
  self->port = port;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
}

const char * const *
orderly_remote_get_allowed_origins (OrderlyRemote *self)
{
  g_return_val_if_fail (ORDERLY_IS_REMOTE (self), NULL);
  return (const char * const *) self->allowed_origins;
}

void
orderly_remote_set_allowed_origins (OrderlyRemote      *self,
                                    const char * const *origins)
{
  static const char * const none[] = { NULL };

  g_return_if_fail (ORDERLY_IS_REMOTE (self));

  if (origins == NULL)
    origins = none;
  if (g_strv_equal ((const char * const *) self->allowed_origins, origins))
    return;
  g_strfreev (self->allowed_origins);
  self->allowed_origins = g_strdupv ((char **) origins);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ALLOWED_ORIGINS]);
}

/**
 * orderly_remote_get_clients:
 *
 * Returns: (transfer none): a #GListModel of #OrderlyClient
 */
GListModel *
orderly_remote_get_clients (OrderlyRemote *self)
{
  g_return_val_if_fail (ORDERLY_IS_REMOTE (self), NULL);
  return G_LIST_MODEL (self->clients);
}

/**
 * orderly_remote_find_client:
 * @id: a client's id
 *
 * Returns: (transfer none) (nullable): the connected client with @id
 */
OrderlyClient *
orderly_remote_find_client (OrderlyRemote *self,
                            const char    *id)
{
  guint n_clients;

  g_return_val_if_fail (ORDERLY_IS_REMOTE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  n_clients = g_list_model_get_n_items (G_LIST_MODEL (self->clients));
  for (guint i = 0; i < n_clients; i++)
    {
      g_autoptr(OrderlyClient) client = g_list_model_get_item (G_LIST_MODEL (self->clients), i);

      if (g_strcmp0 (orderly_client_get_id (client), id) == 0)
        return client;
    }
  return NULL;
}

void
orderly_remote_add_client (OrderlyRemote *self,
                           OrderlyClient *client)
{
  g_return_if_fail (ORDERLY_IS_REMOTE (self));
  g_return_if_fail (ORDERLY_IS_CLIENT (client));

  g_list_store_append (self->clients, client);
}

void
orderly_remote_remove_client (OrderlyRemote *self,
                              OrderlyClient *client)
{
  guint position;

  g_return_if_fail (ORDERLY_IS_REMOTE (self));
  g_return_if_fail (ORDERLY_IS_CLIENT (client));

  if (g_list_store_find (self->clients, client, &position))
    g_list_store_remove (self->clients, position);
}
