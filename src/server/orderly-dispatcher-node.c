/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-dispatcher"

#include "config.h"

#include "orderly-dispatcher-private.h"
#include "orderly-json.h"

/* The commands behind the Node system's routes that Orderly's own do not
 * share: its logs, health checks and "contract v2" status, in its shapes,
 * from the same status and engine. */

#define DEFAULT_LOG_LINES 500
#define MAX_LOG_LINES     10000

static JsonObject *
throughput_object (const OrderlyStatusData *d)
{
  JsonObject *object = json_object_new ();

  _orderly_dispatcher_set_number (object, "vip", d->throughput_vip);
  _orderly_dispatcher_set_number (object, "normal", d->throughput_normal);
  _orderly_dispatcher_set_number (object, "overall", d->throughput_overall);
  return object;
}

static JsonObject *
eta_object (const OrderlyStatusData *d)
{
  JsonObject *object = json_object_new ();

  if (d->eta_ms >= 0)
    json_object_set_int_member (object, "estimatedMs", d->eta_ms);
  else
    json_object_set_null_member (object, "estimatedMs");
  _orderly_dispatcher_set_number (object, "progressPercent", d->progress_percent);
  return object;
}

/* From the run's start to its end, or to now while it goes on. */
static double
wall_clock_ms (const OrderlyStatusData *d)
{
  gint64 end_us;

  if (d->started_at_us <= 0)
    return 0;
  end_us = d->finished_at_us > 0 ? d->finished_at_us : g_get_real_time ();
  return MAX (end_us - d->started_at_us, 0) / 1000.0;
}

/* The Node system's process log: the run's timings and counts. */
static JsonObject *
process_log_object (const OrderlyStatusData *d)
{
  JsonObject *object = json_object_new ();

  _orderly_dispatcher_set_number (object, "generationTimeMs", d->generation_ms);
  _orderly_dispatcher_set_number (object, "processingTimeVIPMs", d->vip_ms);
  _orderly_dispatcher_set_number (object, "processingTimeNormalMs", d->normal_ms);
  _orderly_dispatcher_set_time (object, "startVIP", d->vip_start_us);
  _orderly_dispatcher_set_time (object, "endVIP", d->vip_end_us);
  _orderly_dispatcher_set_time (object, "startNormal", d->normal_start_us);
  _orderly_dispatcher_set_time (object, "endNormal", d->normal_end_us);
  json_object_set_int_member (object, "totalProcessedVIP", d->vip_processed);
  json_object_set_int_member (object, "totalProcessedNormal", d->normal_processed);
  _orderly_dispatcher_set_number (object, "totalTimeMs", d->total_ms);
  _orderly_dispatcher_set_number (object, "enqueueVipTimeMs", d->enqueue_vip_ms);
  _orderly_dispatcher_set_number (object, "enqueueNormalTimeMs", d->enqueue_normal_ms);
  json_object_set_string_member (object, "phase", orderly_phase_to_string (d->phase));
  json_object_set_object_member (object, "throughput", throughput_object (d));
  json_object_set_object_member (object, "eta", eta_object (d));
  json_object_set_int_member (object, "target", d->target);
  json_object_set_int_member (object, "generated", d->generated);
  _orderly_dispatcher_set_number (object, "wallClockMs", wall_clock_ms (d));
  return object;
}

static char *
format_line (OrderlyLogEntry *entry)
{
  g_autofree char *time = orderly_json_iso8601 (orderly_log_entry_get_timestamp (entry) * 1000);

  return g_strdup_printf ("[%s] %s", time != NULL ? time : "", orderly_log_entry_get_message (entry));
}

static JsonNode *
command_get_logs (OrderlyDispatcher  *self,
                  JsonObject         *arguments,
                  guint              *status_code,
                  GError            **error)
{
  GListModel *model = G_LIST_MODEL (orderly_engine_get_log_store (self->engine));
  const OrderlyStatusData *d = orderly_status_get_data (orderly_engine_get_status (self->engine));
  guint n_items = g_list_model_get_n_items (model);
  gint64 lines;
  JsonArray *entries, *by_level[3];
  JsonObject *object, *logs, *stats;

  if (!_orderly_dispatcher_get_int_argument (arguments, "lines", DEFAULT_LOG_LINES, 1, MAX_LOG_LINES,
                                             &lines, error))
    return NULL;

  entries = json_array_new ();
  for (guint i = 0; i < G_N_ELEMENTS (by_level); i++)
    by_level[i] = json_array_new ();
  for (guint i = n_items > lines ? n_items - lines : 0; i < n_items; i++)
    {
      g_autoptr(OrderlyLogEntry) entry = g_list_model_get_item (model, i);
      OrderlyLogLevel level = orderly_log_entry_get_level (entry);
      g_autofree char *line = format_line (entry);

      json_array_add_element (entries, orderly_json_log_entry (entry));
      if ((guint) level < G_N_ELEMENTS (by_level))
        json_array_add_string_element (by_level[level], line);
    }

  logs = json_object_new ();
  json_object_set_array_member (logs, "logMessages", by_level[ORDERLY_LOG_LEVEL_LOG]);
  json_object_set_array_member (logs, "warnMessages", by_level[ORDERLY_LOG_LEVEL_WARN]);
  json_object_set_array_member (logs, "errorMessages", by_level[ORDERLY_LOG_LEVEL_ERROR]);

  stats = json_object_new ();
  json_object_set_int_member (stats, "vipProcessed", d->vip_processed);
  json_object_set_int_member (stats, "normalProcessed", d->normal_processed);
  json_object_set_int_member (stats, "totalProcessed", d->processed_total);
  json_object_set_string_member (stats, "phase", orderly_phase_to_string (d->phase));
  json_object_set_int_member (stats, "target", d->target);
  json_object_set_int_member (stats, "generated", d->generated);
  _orderly_dispatcher_set_number (stats, "progressPercent", d->progress_percent);
  _orderly_dispatcher_set_number (stats, "throughput", d->throughput_overall);
  json_object_set_int_member (stats, "logLines", n_items);

  object = json_object_new ();
  json_object_set_object_member (object, "processLog", process_log_object (d));
  json_object_set_member (object, "queueStatus", _orderly_dispatcher_queue_counts (self));
  json_object_set_object_member (object, "logs", logs);
  json_object_set_object_member (object, "quickStats", stats);
  /* Beyond the contract: the same lines whole, oldest first. */
  json_object_set_array_member (object, "entries", entries);
  return _orderly_dispatcher_take_object (object);
}

static JsonObject *
liveness_object (const char *status)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "status", status);
  _orderly_dispatcher_set_time (object, "ts", g_get_real_time ());
  return object;
}

static JsonNode *
command_get_liveness (OrderlyDispatcher  *self,
                      JsonObject         *arguments,
                      guint              *status_code,
                      GError            **error)
{
  return _orderly_dispatcher_take_object (liveness_object ("alive"));
}

/* What /health/ready says of a store whose last write failed: a word,
 * never the message (the route is open to anyone). */
static const char *
describe_write_error (const GError *failure)
{
  if (failure->domain == ORDERLY_ERROR)
    switch (failure->code)
      {
      case ORDERLY_ERROR_NO_SPACE: return "disk full";
      case ORDERLY_ERROR_READ_ONLY: return "read-only";
      case ORDERLY_ERROR_CORRUPT: return "damaged";
      case ORDERLY_ERROR_UNAVAILABLE: return "unreachable";
      default: break;
      }
  return "failing";
}

/* The Node system's code answers `{status: "ready", ts}`, its API.md
 * `{status: "ok", timestamp, uptime, services}`: both, with the code's
 * status. Ready means the store takes writes: after a write failed for the
 * store's sake (a full disk, a lost server), 503 and `"unavailable"` until
 * one goes through again. */
static JsonNode *
command_get_health (OrderlyDispatcher  *self,
                    JsonObject         *arguments,
                    guint              *status_code,
                    GError            **error)
{
  g_autoptr(GError) failure = orderly_store_get_write_error (orderly_engine_get_store (self->engine));
  JsonObject *object = liveness_object (failure == NULL ? "ready" : "unavailable");
  JsonObject *services = json_object_new ();
  double uptime = (g_get_monotonic_time () - self->started_us) / (double) G_USEC_PER_SEC;

  if (failure != NULL)
    *status_code = 503;
  _orderly_dispatcher_set_time (object, "timestamp", g_get_real_time ());
  _orderly_dispatcher_set_number (object, "uptime", uptime);
  json_object_set_string_member (services, "database",
                                 failure == NULL ? "connected" : describe_write_error (failure));
  json_object_set_object_member (object, "services", services);
  return _orderly_dispatcher_take_object (object);
}

/* GET /pedidos/health/queue, with the Node system's rules for its status. */
static JsonNode *
command_get_queue_health (OrderlyDispatcher  *self,
                          JsonObject         *arguments,
                          guint              *status_code,
                          GError            **error)
{
  const OrderlyStatusData *d = orderly_status_get_data (orderly_engine_get_status (self->engine));
  g_autoptr(JsonNode) counts_node = _orderly_dispatcher_queue_counts (self);
  JsonObject *counts = json_node_get_object (counts_node);
  gboolean processing = orderly_phase_is_active (d->phase);
  gboolean paused = json_object_get_boolean_member (counts, "paused");
  gint64 failed = json_object_get_int_member (counts, "failed");
  gint64 active = json_object_get_int_member (counts, "active");
  g_autoptr(GError) failure = orderly_store_get_write_error (orderly_engine_get_store (self->engine));
  const char *verdict = "healthy";
  JsonObject *object, *queue, *processor, *checks;

  if (failed > 100)
    verdict = "degraded";
  if (paused)
    verdict = "paused";
  if (d->phase == ORDERLY_PHASE_ABORTED)
    verdict = "aborted";
  if (d->phase == ORDERLY_PHASE_ERROR || failure != NULL)
    verdict = "error";

  /* The queue is the store: connected while its writes go through. */
  queue = json_object_new ();
  json_object_set_boolean_member (queue, "connected", failure == NULL);
  json_object_set_boolean_member (queue, "paused", paused);
  json_object_set_int_member (queue, "waiting", json_object_get_int_member (counts, "waiting"));
  json_object_set_int_member (queue, "active", active);
  json_object_set_int_member (queue, "completed", json_object_get_int_member (counts, "completed"));
  json_object_set_int_member (queue, "failed", failed);
  json_object_set_int_member (queue, "delayed", json_object_get_int_member (counts, "delayed"));

  processor = json_object_new ();
  json_object_set_string_member (processor, "phase", orderly_phase_to_string (d->phase));
  json_object_set_boolean_member (processor, "isProcessing", processing);
  _orderly_dispatcher_set_number (processor, "enqueueVipTimeMs", d->enqueue_vip_ms);
  _orderly_dispatcher_set_number (processor, "enqueueNormalTimeMs", d->enqueue_normal_ms);
  /* A cancel is over by the time anyone can ask. */
  json_object_set_boolean_member (processor, "aborting", FALSE);

  checks = json_object_new ();
  json_object_set_boolean_member (checks, "queueResponsive", TRUE);
  json_object_set_boolean_member (checks, "hasFailedJobs", failed > 0);
  json_object_set_boolean_member (checks, "isStuck", active > 0 && !processing);
  json_object_set_boolean_member (checks, "aborted", d->phase == ORDERLY_PHASE_ABORTED);

  object = json_object_new ();
  json_object_set_string_member (object, "status", verdict);
  _orderly_dispatcher_set_time (object, "timestamp", g_get_real_time ());
  json_object_set_object_member (object, "queue", queue);
  json_object_set_object_member (object, "processor", processor);
  json_object_set_object_member (object, "checks", checks);
  return _orderly_dispatcher_take_object (object);
}

static JsonObject *
window_object (gint64 start_us,
               gint64 end_us,
               double time_ms,
               gint64 count)
{
  JsonObject *object = json_object_new ();

  _orderly_dispatcher_set_number (object, "timeMs", time_ms);
  _orderly_dispatcher_set_time (object, "start", start_us);
  _orderly_dispatcher_set_time (object, "end", end_us);
  json_object_set_int_member (object, "count", count);
  return object;
}

/* Each step's duration in milliseconds, to the microsecond. */
static JsonObject *
high_res_object (const OrderlyStatusData *d)
{
  JsonObject *object = json_object_new ();

  _orderly_dispatcher_set_number (object, "generationMs", d->generation_ms);
  _orderly_dispatcher_set_number (object, "enqueueVipMs", d->enqueue_vip_ms);
  _orderly_dispatcher_set_number (object, "vipProcessingMs", d->vip_ms);
  _orderly_dispatcher_set_number (object, "enqueueNormalMs", d->enqueue_normal_ms);
  _orderly_dispatcher_set_number (object, "normalProcessingMs", d->normal_ms);
  return object;
}

/* GET /orders, the Node system's "contract v2". */
static JsonNode *
command_get_orders (OrderlyDispatcher  *self,
                    JsonObject         *arguments,
                    guint              *status_code,
                    GError            **error)
{
  const OrderlyStatusData *d = orderly_status_get_data (orderly_engine_get_status (self->engine));
  JsonObject *object = json_object_new ();
  JsonObject *processing = json_object_new ();
  JsonObject *counts = json_object_new ();
  JsonObject *progress = json_object_new ();
  JsonObject *state = json_object_new ();
  const char *phase = orderly_phase_to_string (d->phase);

  json_object_set_int_member (object, "contractVersion", 2);
  json_object_set_string_member (object, "phase", phase);
  json_object_set_int_member (object, "target", d->target);
  json_object_set_int_member (object, "generated", d->generated);
  _orderly_dispatcher_set_number (object, "generationTimeMs", d->generation_ms);
  _orderly_dispatcher_set_number (object, "enqueueVipTimeMs", d->enqueue_vip_ms);
  _orderly_dispatcher_set_number (object, "enqueueNormalTimeMs", d->enqueue_normal_ms);
  json_object_set_object_member (processing, "vip",
                                 window_object (d->vip_start_us, d->vip_end_us, d->vip_ms, d->vip_processed));
  json_object_set_object_member (processing, "normal",
                                 window_object (d->normal_start_us, d->normal_end_us, d->normal_ms,
                                                d->normal_processed));
  json_object_set_object_member (object, "processing", processing);
  _orderly_dispatcher_set_number (object, "totalTimeMs", d->total_ms);
  _orderly_dispatcher_set_number (object, "wallClockElapsedMs", wall_clock_ms (d));
  json_object_set_int_member (counts, "vip", d->vip_processed);
  json_object_set_int_member (counts, "normal", d->normal_processed);
  json_object_set_int_member (counts, "total", d->processed_total);
  json_object_set_object_member (object, "counts", counts);
  json_object_set_int_member (progress, "target", d->target);
  json_object_set_int_member (progress, "generated", d->generated);
  json_object_set_int_member (progress, "processedTotal", d->processed_total);
  json_object_set_object_member (object, "progress", progress);
  json_object_set_object_member (object, "throughput", throughput_object (d));
  json_object_set_object_member (object, "eta", eta_object (d));
  json_object_set_object_member (object, "highRes", high_res_object (d));
  json_object_set_string_member (state, "memoryPhase", phase);
  json_object_set_boolean_member (state, "aborting", FALSE);
  json_object_set_boolean_member (state, "hasActiveGeneration", orderly_engine_is_running (self->engine));
  json_object_set_object_member (object, "state", state);
  json_object_set_int_member (object, "timestamp", g_get_real_time () / 1000);
  return _orderly_dispatcher_take_object (object);
}

/* A command is one function and one row here; a REST route for it is one
 * more row in orderly-rest.c. */
const OrderlyCommand _orderly_dispatcher_node_commands[] = {
  { "get-logs", ORDERLY_ROLE_VIEWER, command_get_logs },
  { "get-health", ORDERLY_ROLE_NONE, command_get_health },
  { "get-liveness", ORDERLY_ROLE_NONE, command_get_liveness },
  { "get-queue-health", ORDERLY_ROLE_VIEWER, command_get_queue_health },
  { "get-orders", ORDERLY_ROLE_VIEWER, command_get_orders },
};

const guint _orderly_dispatcher_n_node_commands = G_N_ELEMENTS (_orderly_dispatcher_node_commands);
