/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-tokens"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sys/random.h>
#include <unistd.h>

#include "orderly-tokens.h"

/*
 * Access tokens for the two roles. The environment wins; otherwise they are
 * generated on first start and kept in DATA_DIR/tokens.ini, readable by the
 * owner only.
 */

#define TOKEN_BYTES 24

/* Fills @buffer from the kernel's secure random source: getrandom(), or
 * /dev/urandom where the call is missing. A token from any weaker source
 * could be guessed, so there is no other. */
static gboolean
read_secure_random (guint8  *buffer,
                    gsize    size,
                    GError **error)
{
  gsize done = 0;
  int fd;
  int saved_errno;

  while (done < size)
    {
      gssize n = getrandom (buffer + done, size - done, 0);

      if (n > 0)
        done += n;
      else if (errno != EINTR)
        break;
    }
  if (done == size)
    return TRUE;
  if (errno != ENOSYS)
    goto failed;

  fd = g_open ("/dev/urandom", O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    goto failed;
  while (done < size)
    {
      gssize n = read (fd, buffer + done, size - done);

      if (n > 0)
        done += n;
      else if (n == 0 || errno != EINTR)
        break;
    }
  saved_errno = errno;
  close (fd);
  errno = saved_errno;
  if (done == size)
    return TRUE;

failed:
  saved_errno = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "Cannot make an access token: the system has no working secure random source (%s)",
               g_strerror (saved_errno));
  return FALSE;
}

static char *
generate_token (GError **error)
{
  guint8 bytes[TOKEN_BYTES];
  g_autofree char *b64 = NULL;

  if (!read_secure_random (bytes, sizeof bytes, error))
    return NULL;

  b64 = g_base64_encode (bytes, sizeof bytes);
  /* URL-safe, so a token can travel in a query string as it is. */
  g_strdelimit (b64, "+", '-');
  g_strdelimit (b64, "/", '_');
  return g_steal_pointer (&b64);
}

static gboolean
save (OrderlyTokens  *self,
      const char     *path,
      GError        **error)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autofree char *data = NULL;
  gsize length;

  g_key_file_set_comment (keyfile, NULL, NULL,
                          " Orderly access tokens. Keep this file private.", NULL);
  g_key_file_set_string (keyfile, "tokens", "operator", self->operator_token);
  g_key_file_set_string (keyfile, "tokens", "viewer", self->viewer_token);
  data = g_key_file_to_data (keyfile, &length, NULL);
  if (!g_file_set_contents_full (path, data, length, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return FALSE;
  if (g_chmod (path, 0600) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot protect %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/**
 * orderly_tokens_load:
 *
 * Returns: (transfer full): the tokens from ORDERLY_OPERATOR_TOKEN and
 *   ORDERLY_VIEWER_TOKEN, else from DATA_DIR/tokens.ini, created if missing.
 */
OrderlyTokens *
orderly_tokens_load (const char  *data_dir,
                     GError     **error)
{
  g_autoptr(OrderlyTokens) self = g_new0 (OrderlyTokens, 1);
  g_autofree char *path = g_build_filename (data_dir, "tokens.ini", NULL);
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  const char *env_operator = g_getenv ("ORDERLY_OPERATOR_TOKEN");
  const char *env_viewer = g_getenv ("ORDERLY_VIEWER_TOKEN");
  gboolean dirty = FALSE;

  if (env_operator != NULL && *env_operator != '\0')
    {
      self->operator_token = g_strdup (env_operator);
      self->viewer_token = g_strdup (env_viewer != NULL && *env_viewer != '\0' ? env_viewer : NULL);
      self->from_environment = TRUE;
      if (self->viewer_token == NULL && (self->viewer_token = generate_token (error)) == NULL)
        return NULL;
      return g_steal_pointer (&self);
    }

  if (g_key_file_load_from_file (keyfile, path, G_KEY_FILE_NONE, NULL))
    {
      GStatBuf st;

      self->operator_token = g_key_file_get_string (keyfile, "tokens", "operator", NULL);
      self->viewer_token = g_key_file_get_string (keyfile, "tokens", "viewer", NULL);
      if (g_stat (path, &st) == 0 && (st.st_mode & 077) != 0)
        {
          g_warning ("%s was readable by others; making it private", path);
          g_chmod (path, 0600);
        }
    }
  if (self->operator_token == NULL || strlen (self->operator_token) < 16)
    {
      g_free (self->operator_token);
      if ((self->operator_token = generate_token (error)) == NULL)
        return NULL;
      dirty = TRUE;
    }
  if (self->viewer_token == NULL || strlen (self->viewer_token) < 16)
    {
      g_free (self->viewer_token);
      if ((self->viewer_token = generate_token (error)) == NULL)
        return NULL;
      dirty = TRUE;
    }
  if (env_viewer != NULL && *env_viewer != '\0')
    {
      g_free (self->viewer_token);
      self->viewer_token = g_strdup (env_viewer);
    }
  else if (dirty && !save (self, path, error))
    {
      return NULL;
    }
  return g_steal_pointer (&self);
}

/**
 * orderly_tokens_regenerate:
 *
 * Replaces both tokens with new random ones and stores them, so that every
 * link given out before stops working.
 */
gboolean
orderly_tokens_regenerate (OrderlyTokens  *self,
                           const char     *data_dir,
                           GError        **error)
{
  g_autofree char *path = g_build_filename (data_dir, "tokens.ini", NULL);
  g_autofree char *old_operator = g_steal_pointer (&self->operator_token);
  g_autofree char *old_viewer = g_steal_pointer (&self->viewer_token);

  if (self->from_environment)
    {
      self->operator_token = g_steal_pointer (&old_operator);
      self->viewer_token = g_steal_pointer (&old_viewer);
      g_set_error_literal (error, ORDERLY_ERROR, ORDERLY_ERROR_FORBIDDEN,
                           "The tokens come from the environment and cannot be regenerated here");
      return FALSE;
    }
  self->operator_token = generate_token (error);
  self->viewer_token = self->operator_token != NULL ? generate_token (error) : NULL;
  if (self->viewer_token == NULL || !save (self, path, error))
    {
      g_free (self->operator_token);
      g_free (self->viewer_token);
      self->operator_token = g_steal_pointer (&old_operator);
      self->viewer_token = g_steal_pointer (&old_viewer);
      return FALSE;
    }
  return TRUE;
}

/**
 * orderly_tokens_equal:
 *
 * Compares in time that depends only on the length of @b, so that a caller
 * cannot find a token one character at a time.
 */
gboolean
orderly_tokens_equal (const char *a,
                      const char *b)
{
  gsize len_a, len_b;
  guint8 diff;

  if (a == NULL || b == NULL)
    return FALSE;
  len_a = strlen (a);
  len_b = strlen (b);
  diff = len_a != len_b;
  for (gsize i = 0; i < len_b; i++)
    diff |= (guint8) (a[i % (len_a ? len_a : 1)] ^ b[i]);
  return diff == 0 && len_a > 0;
}

OrderlyRole
orderly_tokens_check (const OrderlyTokens *self,
                      const char          *token)
{
  gboolean is_operator, is_viewer;

  if (self == NULL || token == NULL || *token == '\0')
    return ORDERLY_ROLE_NONE;
  is_operator = orderly_tokens_equal (token, self->operator_token);
  is_viewer = orderly_tokens_equal (token, self->viewer_token);
  if (is_operator)
    return ORDERLY_ROLE_OPERATOR;
  if (is_viewer)
    return ORDERLY_ROLE_VIEWER;
  return ORDERLY_ROLE_NONE;
}

void
orderly_tokens_free (OrderlyTokens *self)
{
  if (self == NULL)
    return;
  g_free (self->operator_token);
  g_free (self->viewer_token);
  g_free (self);
}

const char *
orderly_role_to_string (OrderlyRole role)
{
  switch (role)
    {
    case ORDERLY_ROLE_OPERATOR: return "operator";
    case ORDERLY_ROLE_VIEWER: return "viewer";
    case ORDERLY_ROLE_NONE:
    default: return "none";
    }
}
