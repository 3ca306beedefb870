/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-engineio"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <gio/gio.h>

#include "orderly-eio-id.h"

/* 15 random bytes: 20 characters of base64, 120 bits. */
#define ID_BYTES 15

/* Returns: 0, or the errno of the failure */
static int
fill_from_getrandom (guint8 *buffer,
                     gsize   length)
{
  gsize filled = 0;

  while (filled < length)
    {
      gssize got = getrandom (buffer + filled, length - filled, 0);

      if (got > 0)
        filled += got;
      else if (got < 0 && errno != EINTR)
        return errno;
    }
  return 0;
}

static int
fill_from_urandom (guint8 *buffer,
                   gsize   length)
{
  gsize filled = 0;
  int saved = 0;
  int fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return errno;
  while (filled < length && saved == 0)
    {
      gssize got = read (fd, buffer + filled, length - filled);

      if (got > 0)
        filled += got;
      else if (got == 0)
        saved = EIO;
      else if (errno != EINTR)
        saved = errno;
    }
  close (fd);
  return saved;
}

/**
 * orderly_eio_generate_id:
 * @error: where to say why no id could be made
 *
 * Makes a URL-safe, 20-character id from the kernel's random generator.
 * When neither getrandom() nor /dev/urandom works, there is no id: a
 * guessable one would let anyone take over a session.
 *
 * Returns: (transfer full) (nullable): the id, or %NULL with @error set
 */
char *
orderly_eio_generate_id (GError **error)
{
  guint8 random_bytes[ID_BYTES];
  int getrandom_error;
  int urandom_error;
  char *id;

  getrandom_error = fill_from_getrandom (random_bytes, sizeof random_bytes);
  if (getrandom_error != 0)
    {
      urandom_error = fill_from_urandom (random_bytes, sizeof random_bytes);
      if (urandom_error != 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (urandom_error),
                       "No secure random source for an id: getrandom() failed (%s), "
                       "and so did /dev/urandom (%s)",
                       g_strerror (getrandom_error), g_strerror (urandom_error));
          return NULL;
        }
    }

  id = g_base64_encode (random_bytes, sizeof random_bytes);
  g_strdelimit (id, "+", '-');
  g_strdelimit (id, "/", '_');
  return id;
}
