/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "orderly-types.h"

G_BEGIN_DECLS

typedef enum
{
  ORDERLY_ROLE_NONE,
  ORDERLY_ROLE_VIEWER,
  ORDERLY_ROLE_OPERATOR,
} OrderlyRole;

typedef struct
{
  char     *operator_token;
  char     *viewer_token;
  gboolean  from_environment;
} OrderlyTokens;

OrderlyTokens *orderly_tokens_load        (const char          *data_dir,
                                           GError             **error);
gboolean       orderly_tokens_regenerate  (OrderlyTokens       *self,
                                           const char          *data_dir,
                                           GError             **error);
OrderlyRole    orderly_tokens_check       (const OrderlyTokens *self,
                                           const char          *token);
void           orderly_tokens_free        (OrderlyTokens       *self);
gboolean       orderly_tokens_equal       (const char          *a,
                                           const char          *b);
const char    *orderly_role_to_string     (OrderlyRole          role);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrderlyTokens, orderly_tokens_free)

G_END_DECLS
