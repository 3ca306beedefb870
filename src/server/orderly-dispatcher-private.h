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

/* Every command: Orderly's in orderly-dispatcher-commands.c, the queue's
 * in orderly-dispatcher-queue.c, remote access in
 * orderly-dispatcher-remote.c, and those only the Node system's routes use
 * in orderly-dispatcher-node.c. */
extern const OrderlyCommand _orderly_dispatcher_commands[];
extern const guint          _orderly_dispatcher_n_commands;
extern const OrderlyCommand _orderly_dispatcher_queue_commands[];
extern const guint          _orderly_dispatcher_n_queue_commands;
extern const OrderlyCommand _orderly_dispatcher_remote_commands[];
extern const guint          _orderly_dispatcher_n_remote_commands;
extern const OrderlyCommand _orderly_dispatcher_node_commands[];
extern const guint          _orderly_dispatcher_n_node_commands;

gboolean  _orderly_dispatcher_get_int_argument     (JsonObject         *arguments,
                                                    const char         *name,
                                                    gint64              fallback,
                                                    gint64              min,
                                                    gint64              max,
                                                    gint64             *value,
                                                    GError            **error);
gboolean  _orderly_dispatcher_get_boolean_argument (JsonObject         *arguments,
                                                    const char         *name,
                                                    gboolean            fallback,
                                                    gboolean           *value,
                                                    GError            **error);
JsonNode *_orderly_dispatcher_queue_counts         (OrderlyDispatcher  *self);
JsonNode *_orderly_dispatcher_take_object          (JsonObject         *object);
void      _orderly_dispatcher_set_time             (JsonObject         *object,
                                                    const char         *name,
                                                    gint64              time_us);
void      _orderly_dispatcher_set_number           (JsonObject         *object,
                                                    const char         *name,
                                                    double              value);

G_END_DECLS
