/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "orderly-client.h"
#include "orderly-tokens.h"

G_BEGIN_DECLS

#define ORDERLY_TYPE_REMOTE (orderly_remote_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyRemote, orderly_remote, ORDERLY, REMOTE, GObject)

OrderlyRemote       *orderly_remote_new                 (OrderlyTokens       *tokens,
                                                         const char          *data_dir);
gboolean             orderly_remote_get_auth_enabled    (OrderlyRemote       *self);
const OrderlyTokens *orderly_remote_get_tokens          (OrderlyRemote       *self);
gboolean             orderly_remote_regenerate_tokens   (OrderlyRemote       *self,
                                                         GError             **error);
OrderlyRole          orderly_remote_check_token         (OrderlyRemote       *self,
                                                         const char          *token);
const char          *orderly_remote_get_url             (OrderlyRemote       *self);
void                 orderly_remote_set_url             (OrderlyRemote       *self,
                                                         const char          *url);
char                *orderly_remote_dup_operator_url    (OrderlyRemote       *self);
char                *orderly_remote_dup_viewer_url      (OrderlyRemote       *self);
gboolean             orderly_remote_get_listening       (OrderlyRemote       *self);
const char          *orderly_remote_get_error_message   (OrderlyRemote       *self);
void                 orderly_remote_set_listening       (OrderlyRemote       *self,
                                                         gboolean             listening,
                                                         const char          *error_message);
const char          *orderly_remote_get_bind_address    (OrderlyRemote       *self);
void                 orderly_remote_set_bind_address    (OrderlyRemote       *self,
                                                         const char          *bind_address);
guint                orderly_remote_get_port            (OrderlyRemote       *self);
void                 orderly_remote_set_port            (OrderlyRemote       *self,
                                                         guint                port);
const char * const  *orderly_remote_get_allowed_origins (OrderlyRemote       *self);
void                 orderly_remote_set_allowed_origins (OrderlyRemote       *self,
                                                         const char * const  *origins);
GListModel          *orderly_remote_get_clients         (OrderlyRemote       *self);
OrderlyClient       *orderly_remote_find_client         (OrderlyRemote       *self,
                                                         const char          *id);
void                 orderly_remote_add_client          (OrderlyRemote       *self,
                                                         OrderlyClient       *client);
void                 orderly_remote_remove_client       (OrderlyRemote       *self,
                                                         OrderlyClient       *client);

G_END_DECLS
