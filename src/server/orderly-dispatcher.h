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
 * Commands and their arguments (a JSON object, or %NULL), with the REST
 * routes that run them:
 *
 * | command                 | arguments                        | role     | REST route                                 |
 * |-------------------------|----------------------------------|----------|--------------------------------------------|
 * | `get-status`            |                                  | viewer   | GET /pedidos                               |
 * | `get-logs`              | `{lines}`                        | viewer   | GET /pedidos/logs                          |
 * | `get-runs`              | `{limit}`                        | viewer   | GET /runs, GET /pedidos/runs               |
 * | `get-queue-counts`      |                                  | viewer   | GET /queue/counts, GET /pedidos/queue/status |
 * | `get-queue-health`      |                                  | viewer   | GET /pedidos/health/queue                  |
 * | `get-orders`            |                                  | viewer   | GET /orders                                |
 * | `get-health`            |                                  | none     | GET /health/ready                          |
 * | `get-liveness`          |                                  | none     | GET /health/live                           |
 * | `get-run-proof`         | `{runId}`                        | viewer   | GET /runs/{runId}/proof                    |
 * | `get-run-samples`       | `{runId}`                        | viewer   | GET /runs/{runId}/samples                  |
 * | `get-clients`           |                                  | operator | GET /clients                               |
 * | `disconnect-client`     | `{id}`                           | operator | POST /clients/{id}/disconnect              |
 * | `rotate-tokens`         |                                  | operator | POST /tokens/rotate                        |
 * | `start-generation`      | `{quantity, force, autoForceIfStale, returnOnActive}` | operator | POST /generate, POST and GET /pedidos/generate |
 * | `cancel-operation`      | `{purge, removePending, resetLogs, waitTimeoutMs, pollIntervalMs, resetPhaseToIdle}` | operator | POST /cancel, POST /pedidos/cancel |
 * | `reset-system`          |                                  | operator | POST /reset, POST /pedidos/reset           |
 * | `resume-run`            |                                  | operator | POST /resume                               |
 * | `pause-queue`           |                                  | operator | POST /pedidos/queue/pause                  |
 * | `resume-queue`          |                                  | operator | POST /pedidos/queue/resume                 |
 * | `clean-queue`           | `{state, grace, limit}`          | operator | POST /pedidos/queue/clean                  |
 * | `purge-queue`           | `{obliterate}`                   | operator | POST /pedidos/queue/purge                  |
 * | `close-queue`           |                                  | operator | POST /pedidos/queue/close                  |
 * | `retry-failed`          |                                  | operator | POST /pedidos/queue/retry-failed           |
 * | `recover-stuck`         | `{maxJobs}`                      | operator | POST /pedidos/queue/recover-stuck          |
 * | `list-jobs`             | `{types, start, end, includeData}` | viewer | GET /pedidos/queue/jobs                    |
 * | `get-queue-diagnostics` |                                  | viewer   | GET /diagnostics/queue                     |
 *
 * A command is a function and a row of a table: Orderly's in
 * orderly-dispatcher-commands.c, the queue's in orderly-dispatcher-queue.c,
 * remote access in orderly-dispatcher-remote.c, the Node system's own in
 * orderly-dispatcher-node.c. A runId of 0 (or none) is the current run.
 *
 * The answer is the REST body with its HTTP status, or the error object
 * `{statusCode, message, error}`; an unknown command is answered 404.
 *
 * Live transports (/ws, Socket.IO) hand every client event to
 * orderly_dispatcher_handle_event_async(), which decides what goes back: the one
 * reply envelope of every transport.
 */
G_DECLARE_FINAL_TYPE (OrderlyDispatcher, orderly_dispatcher, ORDERLY, DISPATCHER, GObject)

/**
 * OrderlyDispatcherReply:
 * @ORDERLY_DISPATCHER_REPLY_NONE: nothing goes back
 * @ORDERLY_DISPATCHER_REPLY_ACK: the answer goes back through the ack the
 *   client asked for
 * @ORDERLY_DISPATCHER_REPLY_ERROR: the answer (an error object) goes back
 *   as an `error` event
 * @ORDERLY_DISPATCHER_REPLY_STATUS: the latest `status` event goes back, as
 *   the hub sends it to everyone
 *
 * What a live transport sends back for one client event.
 */
typedef enum
{
  ORDERLY_DISPATCHER_REPLY_NONE,
  ORDERLY_DISPATCHER_REPLY_ACK,
  ORDERLY_DISPATCHER_REPLY_ERROR,
  ORDERLY_DISPATCHER_REPLY_STATUS,
} OrderlyDispatcherReply;

OrderlyDispatcher *orderly_dispatcher_new              (OrderlyEngine     *engine,
                                                        OrderlyRemote     *remote,
                                                        const char        *instance_id);
void               orderly_dispatcher_dispatch_async   (OrderlyDispatcher   *self,
                                                        const char          *command,
                                                        JsonNode            *arguments,
                                                        OrderlyRole          role,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
JsonNode          *orderly_dispatcher_dispatch_finish  (OrderlyDispatcher   *self,
                                                        GAsyncResult        *result,
                                                        guint               *status_code);
void               orderly_dispatcher_handle_event_async (OrderlyDispatcher   *self,
                                                          const char          *event,
                                                          JsonNode            *arguments,
                                                          OrderlyRole          role,
                                                          gboolean             wants_ack,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
OrderlyDispatcherReply orderly_dispatcher_handle_event_finish (OrderlyDispatcher  *self,
                                                               GAsyncResult       *result,
                                                               JsonNode          **answer,
                                                               guint              *status_code,
                                                               const char        **notice_name,
                                                               JsonNode          **notice);
JsonNode          *orderly_dispatcher_check_role       (OrderlyRole        needed,
                                                        OrderlyRole        role,
                                                        guint             *status_code);
gboolean           orderly_dispatcher_get_command_role (const char        *command,
                                                        OrderlyRole       *role);
JsonNode          *orderly_dispatcher_status_body      (OrderlyStatus     *status,
                                                        const char        *instance_id);
JsonNode          *orderly_dispatcher_error_body       (guint              status_code,
                                                        const char        *message);
guint              orderly_dispatcher_error_to_status  (const GError      *error);
const char        *orderly_dispatcher_reason_phrase    (guint              status_code);

G_END_DECLS
