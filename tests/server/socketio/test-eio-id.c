/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Session and socket ids: random, URL-safe, and never from a generator
 * that can be guessed. The kernel's sources are taken away with a seccomp
 * filter in a subprocess. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <gio/gio.h>

#if defined(__linux__) && defined(__x86_64__)
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#define HAVE_SECCOMP_FILTER 1
#endif

#include "orderly-eio-id.h"

static void
test_id_format (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < 1000; i++)
    {
      g_autoptr(GError) error = NULL;
      char *id = orderly_eio_generate_id (&error);

      g_assert_no_error (error);
      g_assert_cmpuint (strlen (id), ==, 20);
      for (const char *c = id; *c != '\0'; c++)
        g_assert_true (g_ascii_isalnum (*c) || *c == '-' || *c == '_');
      g_assert_false (g_hash_table_contains (seen, id));
      g_hash_table_add (seen, id);
    }
}

#ifdef HAVE_SECCOMP_FILTER
/* From now on getrandom() fails with ENOSYS and, if @deny_open, every
 * open with EACCES. */
static void
deny_random_sources (gboolean deny_open)
{
  struct sock_filter filter[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_getrandom, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 2, 0),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_open, 1, 0),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT (BPF_RET | BPF_K, deny_open ? SECCOMP_RET_ERRNO | EACCES : SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = { G_N_ELEMENTS (filter), filter };

  g_assert_cmpint (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), ==, 0);
  g_assert_cmpint (prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program), ==, 0);
}
#endif

/* Without getrandom() the id comes from /dev/urandom. */
static void
test_id_urandom (void)
{
#ifdef HAVE_SECCOMP_FILTER
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *id = NULL;
      guint8 byte;

      deny_random_sources (FALSE);
      g_assert_cmpint (syscall (__NR_getrandom, &byte, 1, 0), ==, -1);
      g_assert_cmpint (errno, ==, ENOSYS);
      id = orderly_eio_generate_id (&error);
      g_assert_no_error (error);
      g_assert_cmpuint (strlen (id), ==, 20);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
#else
  g_test_skip ("needs a seccomp filter for this architecture");
#endif
}

/* Without either source there is no id, and the error says why. */
static void
test_id_no_secure_source (void)
{
#ifdef HAVE_SECCOMP_FILTER
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *id = NULL;

      deny_random_sources (TRUE);
      id = orderly_eio_generate_id (&error);
      g_assert_null (id);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
      g_assert_nonnull (strstr (error->message, "getrandom()"));
      g_assert_nonnull (strstr (error->message, "/dev/urandom"));
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
#else
  g_test_skip ("needs a seccomp filter for this architecture");
#endif
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/orderly/engineio/id/format", test_id_format);
  g_test_add_func ("/orderly/engineio/id/urandom", test_id_urandom);
  g_test_add_func ("/orderly/engineio/id/no-secure-source", test_id_no_secure_source);

  return g_test_run ();
}
