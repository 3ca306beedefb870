/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ORDERLY_DEFAULT_PORT 8080

/* The command line of DESIGN.md, parsed. */
typedef struct
{
  gboolean  headless;
  char    **bind;            /* NULL: IPv4 and IPv6 loopback */
  int       port;            /* -1: not given (ORDERLY_DEFAULT_PORT) */
  char     *data_dir;
  char     *database;        /* NULL: SQLite in data_dir */
  int       workers;         /* -1: not given */
  gint64    work_us;         /* -1: not given */
  double    failure_rate;    /* < 0: not given */
  gint64    lease_ms;        /* -1: not given */
  char     *tls_cert;
  char     *tls_key;
  char    **allow_origins;
  gboolean  no_auth;
  gboolean  version;
} OrderlyConfig;

OrderlyConfig *orderly_config_parse          (int            *argc,
                                              char         ***argv,
                                              GError        **error);
void           orderly_config_free           (OrderlyConfig  *self);
int            orderly_config_get_port       (const OrderlyConfig *self);
gboolean       orderly_config_is_postgresql_uri (const char  *database);
gboolean       orderly_config_ensure_data_dir (OrderlyConfig *self,
                                              GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrderlyConfig, orderly_config_free)

G_END_DECLS
