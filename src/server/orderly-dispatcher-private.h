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

/* Runs a command that waits for the engine: ends @task (taken) with
 * _orderly_dispatcher_return_answer() or _orderly_dispatcher_return_error()
 * once the engine has done the work. */
typedef void (*OrderlyCommandAsyncFunc) (OrderlyDispatcher *self,
                                         JsonObject        *arguments,
                                         GTask             *task);

/* A command has either @func or @async_func. */
typedef struct
{
  const char              *name;
  OrderlyRole              role;
  OrderlyCommandFunc       func;
  OrderlyCommandAsyncFunc  async_func;
} OrderlyCommand;

void _orderly_dispatcher_return_answer (GTask    *task,
                                        JsonNode *answer,
                                        guint     status_code);
void _orderly_dispatcher_return_error  (GTask    *task,
                                        GError   *error);

/* Every command, in orderly-dispatcher-commands.c. */
extern const OrderlyCommand _orderly_dispatcher_commands[];
extern const guint          _orderly_dispatcher_n_commands;

G_END_DECLS
