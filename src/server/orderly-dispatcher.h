/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "orderly-engine.h"
#include "orderly-remote.h"

G_BEGIN_DECLS

#define ORDERLY_TYPE_DISPATCHER (orderly_dispatcher_get_type ())

/**
 * OrderlyDispatcher:
 *
 * Every command of the API, by name, whatever transport it came by. REST,
 * /ws and Socket.IO only translate to and from it.
 *
 * Commands and their arguments (a JSON object, or %NULL):
 *
 * | command            | arguments          | role     | REST route              |
 * |--------------------|--------------------|----------|-------------------------|
 * | `get-status`       |                    | viewer   | GET /pedidos            |
 * | `get-logs`         | `{lines}`          | viewer   | GET /pedidos/logs       |
 * | `get-queue-counts` |                    | viewer   | GET /queue/counts       |
 * | `get-runs`         | `{limit}`          | viewer   | GET /runs               |
 * | `get-health`       |                    | none     | GET /health/ready       |
 * | `get-clients`      |                    | operator | GET /clients            |
 * | `start-generation` | `{quantity,force}` | operator | POST /generate          |
 * | `cancel-operation` |                    | operator | POST /cancel            |
 * | `reset-system`     |                    | operator | POST /reset             |
 * | `resume-run`       |                    | operator | POST /resume            |
 *
 * The answer is the REST body with its HTTP status, or the error object
 * `{statusCode, message, error}`.
 */
G_DECLARE_FINAL_TYPE (OrderlyDispatcher, orderly_dispatcher, ORDERLY, DISPATCHER, GObject)

OrderlyDispatcher *orderly_dispatcher_new              (OrderlyEngine     *engine,
                                                        OrderlyRemote     *remote,
                                                        const char        *instance_id);
JsonNode          *orderly_dispatcher_dispatch         (OrderlyDispatcher *self,
                                                        const char        *command,
                                                        JsonNode          *arguments,
                                                        OrderlyRole        role,
                                                        guint             *status_code);
gboolean           orderly_dispatcher_has_command      (const char        *command);
gboolean           orderly_dispatcher_is_control       (const char        *command);
JsonNode          *orderly_dispatcher_status_body      (OrderlyDispatcher *self);
JsonNode          *orderly_dispatcher_error_body       (guint              status_code,
                                                        const char        *message);
guint              orderly_dispatcher_error_to_status  (const GError      *error);
const char        *orderly_dispatcher_reason_phrase    (guint              status_code);

G_END_DECLS
