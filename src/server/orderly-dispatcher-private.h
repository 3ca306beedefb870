/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "orderly-dispatcher.h"

G_BEGIN_DECLS

struct _OrderlyDispatcher
{
  GObject        parent_instance;

  OrderlyEngine *engine;
  OrderlyRemote *remote;
  char          *instance_id;
  gint64         started_us;
};

/* Runs a command whose caller has the role for it. Returns its answer, and
 * sets *status_code when that is not 200; or returns NULL with @error set. */
typedef JsonNode *(*OrderlyCommandFunc) (OrderlyDispatcher  *self,
                                         JsonObject         *arguments,
                                         guint              *status_code,
                                         GError            **error);

typedef struct
{
  const char         *name;
  OrderlyRole         role;
  OrderlyCommandFunc  func;
} OrderlyCommand;

/* Every command, in orderly-dispatcher-commands.c. */
extern const OrderlyCommand _orderly_dispatcher_commands[];
extern const guint          _orderly_dispatcher_n_commands;

G_END_DECLS
