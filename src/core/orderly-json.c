/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-json"

#include "config.h"

#include <math.h>
#include <string.h>

#include "orderly-json.h"
#include "orderly-json-reader.h"

/*
 * The JSON shapes of the compatibility contract. The server sends them and the
 * window never needs them; both see the same numbers because both read the
 * same OrderlyStatus.
 */

/**
 * orderly_json_iso8601:
 * @time_us: microseconds since the epoch, or 0
 *
 * Returns: (nullable): "2026-11-25T17:20:18.123Z", or %NULL for 0
 */
char *
orderly_json_iso8601 (gint64 time_us)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autofree char *base = NULL;

  if (time_us <= 0)
    return NULL;
  utc = g_date_time_new_from_unix_utc (time_us / G_USEC_PER_SEC);
  if (utc == NULL)
    return NULL;
  base = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%03dZ", base, (int) ((time_us % G_USEC_PER_SEC) / 1000));
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

static void
add_string_or_null (JsonBuilder *builder,
                    const char  *name,
                    const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_boolean (JsonBuilder *builder,
             const char  *name,
             gboolean     value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, value);
}

static void
add_time (JsonBuilder *builder,
          const char  *name,
          gint64       time_us)
{
  g_autofree char *iso = orderly_json_iso8601 (time_us);

  add_string_or_null (builder, name, iso);
}

static double
round_to (double value,
          double step)
{
  return round (value / step) * step;
}

static void
add_double (JsonBuilder *builder,
            const char  *name,
            double       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_double_value (builder, round_to (value, 0.001));
}

static void
add_int (JsonBuilder *builder,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

/* @value, or null when it is not @present. */
static void
add_int_or_null (JsonBuilder *builder,
                 const char  *name,
                 gint64       value,
                 gboolean     present)
{
  json_builder_set_member_name (builder, name);
  if (present)
    json_builder_add_int_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/* {"vip": @vip, "normal": @normal} */
static void
add_pair (JsonBuilder *builder,
          const char  *name,
          gint64       vip,
          gint64       normal)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  add_int (builder, "vip", vip);
  add_int (builder, "normal", normal);
  json_builder_end_object (builder);
}

static void
add_priority (JsonBuilder *builder,
              const char  *name,
              gint64       start_us,
              gint64       end_us,
              double       time_ms,
              gint64       count)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  add_time (builder, "start", start_us);
  add_time (builder, "end", end_us);
  add_double (builder, "timeMs", time_ms);
  add_int (builder, "count", count);
  json_builder_end_object (builder);
}

/**
 * orderly_json_status:
 *
 * Returns: (transfer full): the status object of the REST contract (GET /pedidos)
 */
JsonNode *
orderly_json_status (OrderlyStatus *status)
{
  const OrderlyStatusData *d = orderly_status_get_data (status);
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_string (builder, "phase", orderly_phase_to_string (d->phase));
  add_double (builder, "generationTimeMs", d->generation_ms);
  add_double (builder, "enqueueVipTimeMs", d->enqueue_vip_ms);
  add_double (builder, "enqueueNormalTimeMs", d->enqueue_normal_ms);

  json_builder_set_member_name (builder, "processing");
  json_builder_begin_object (builder);
  add_priority (builder, "vip", d->vip_start_us, d->vip_end_us, d->vip_ms, d->vip_processed);
  add_priority (builder, "normal", d->normal_start_us, d->normal_end_us, d->normal_ms,
                d->normal_processed);
  json_builder_end_object (builder);

  add_double (builder, "totalTimeMs", d->total_ms);

  /* Processed orders per priority, as in the Node system. */
  add_pair (builder, "counts", d->vip_processed, d->normal_processed);

  json_builder_set_member_name (builder, "throughput");
  json_builder_begin_object (builder);
  add_double (builder, "vip", d->throughput_vip);
  add_double (builder, "normal", d->throughput_normal);
  add_double (builder, "overall", d->throughput_overall);
  json_builder_end_object (builder);

  /* The time left covers every remaining step, generation included;
   * progressPercent is processed orders against the target. */
  json_builder_set_member_name (builder, "eta");
  json_builder_begin_object (builder);
  add_int_or_null (builder, "estimatedMs", d->eta_ms, d->eta_ms >= 0);
  add_double (builder, "progressPercent", d->progress_percent);
  add_time (builder, "finishAt", d->eta_ms >= 0 ? d->finish_at_us : 0);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "progress");
  json_builder_begin_object (builder);
  add_int (builder, "target", d->target);
  add_int (builder, "generated", d->generated);
  add_int (builder, "processedTotal", d->processed_total);
  add_double (builder, "generationPercent", d->generation_percent);
  add_int (builder, "failedTotal", d->failed_total);
  json_builder_end_object (builder);

  /* Beyond the contract: the orders generated, and failed for good, per
   * priority; the queue; the pause. */
  add_pair (builder, "generated", d->vip_total, d->normal_total);
  add_pair (builder, "failed", d->vip_failed, d->normal_failed);
  json_builder_set_member_name (builder, "queue");
  json_builder_begin_object (builder);
  add_int (builder, "waiting", d->queue_waiting);
  add_int (builder, "active", d->queue_active);
  add_int (builder, "delayed", d->queue_delayed);
  json_builder_end_object (builder);
  add_boolean (builder, "paused", d->paused);
  add_double (builder, "pausedMs", d->paused_ms);

  /* Beyond the contract: what the window shows too. */
  if (orderly_status_get_cluster (status) != NULL)
    {
      json_builder_set_member_name (builder, "cluster");
      json_builder_add_value (builder, orderly_json_cluster (orderly_status_get_cluster (status)));
    }
  add_int_or_null (builder, "runId", d->run_id, d->run_id > 0);
  add_int (builder, "workers", d->workers);
  add_time (builder, "startedAt", d->started_at_us);
  add_time (builder, "finishedAt", d->finished_at_us);
  add_string_or_null (builder, "error", d->error_message);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/**
 * orderly_json_progress:
 *
 * Returns: (transfer full): the `progress` event, without its timestamp
 */
JsonNode *
orderly_json_progress (OrderlyStatus *status)
{
  const OrderlyStatusData *d = orderly_status_get_data (status);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  gint64 current = d->phase == ORDERLY_PHASE_GENERATING ? d->generated : d->processed_total;

  json_builder_begin_object (builder);
  add_string (builder, "phase", orderly_phase_to_string (d->phase));
  /* While generating, how far generation is; afterwards, processing. */
  add_double (builder, "progress", d->phase == ORDERLY_PHASE_GENERATING ? d->generation_percent
                                                                         : d->progress_percent);
  add_int (builder, "total", d->target);
  add_int (builder, "current", current);
  add_string (builder, "message", orderly_status_describe (status));
  add_int (builder, "vipProcessed", d->vip_processed);
  add_int (builder, "normalProcessed", d->normal_processed);
  add_double (builder, "generationTime", d->generation_ms);
  add_double (builder, "vipProcessingTime", d->vip_ms);
  add_double (builder, "normalProcessingTime", d->normal_ms);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/**
 * orderly_json_log_entry:
 *
 * Returns: (transfer full): `{timestamp, level, message, category, data}`,
 *   and `instance` for a line from another instance of the cluster
 */
JsonNode *
orderly_json_log_entry (OrderlyLogEntry *entry)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  const char *data = orderly_log_entry_get_data (entry);
  g_autoptr(JsonNode) data_node = NULL;

  if (data != NULL)
    data_node = orderly_json_parse (data, strlen (data), NULL);

  json_builder_begin_object (builder);
  add_int (builder, "timestamp", orderly_log_entry_get_timestamp (entry));
  add_string (builder, "level", orderly_log_level_to_string (orderly_log_entry_get_level (entry)));
  add_string (builder, "message", orderly_log_entry_get_message (entry));
  add_string (builder, "category", orderly_log_entry_get_category (entry));
  json_builder_set_member_name (builder, "data");
  if (data_node != NULL)
    json_builder_add_value (builder, g_steal_pointer (&data_node));
  else
    json_builder_add_null_value (builder);
  if (orderly_log_entry_get_instance (entry) != NULL)
    {
      add_string (builder, "instance", orderly_log_entry_get_instance (entry));
    }
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/**
 * orderly_json_cluster:
 *
 * Returns: (transfer full): the cluster's instances, this one first:
 *   `[{id, host, local, workers, rate, processed, lastHeartbeat, quiet}]`
 */
JsonNode *
orderly_json_cluster (OrderlyCluster *cluster)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  guint n = g_list_model_get_n_items (G_LIST_MODEL (cluster));

  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(OrderlyInstance) instance = g_list_model_get_item (G_LIST_MODEL (cluster), i);

      json_builder_begin_object (builder);
      add_string (builder, "id", orderly_instance_get_id (instance));
      add_string (builder, "host", orderly_instance_get_host (instance));
      add_boolean (builder, "local", orderly_instance_get_local (instance));
      add_int (builder, "workers", orderly_instance_get_workers (instance));
      add_double (builder, "rate", orderly_instance_get_rate (instance));
      add_int (builder, "processed", orderly_instance_get_processed (instance));
      add_time (builder, "lastHeartbeat", orderly_instance_get_heartbeat_us (instance));
      add_boolean (builder, "quiet", orderly_instance_get_quiet (instance));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}

/**
 * orderly_json_run:
 *
 * Returns: (transfer full): one run of the history (GET /runs)
 */
JsonNode *
orderly_json_run (const OrderlyRunRecord *run)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  double processing_s = (run->vip_ms + run->normal_ms) / 1000.0;
  g_autofree char *seed = g_strdup_printf ("%" G_GUINT64_FORMAT, run->seed);

  json_builder_begin_object (builder);
  add_int (builder, "id", run->id);
  add_string (builder, "phase", orderly_phase_to_string (run->phase));
  add_int (builder, "quantity", run->quantity);
  add_double (builder, "vipShare", run->vip_share);
  add_string (builder, "seed", seed);
  add_int (builder, "workers", run->workers);
  add_time (builder, "startedAt", run->started_at_us);
  add_time (builder, "finishedAt", run->finished_at_us);
  add_double (builder, "generationTimeMs", run->generation_ms);
  add_double (builder, "enqueueVipTimeMs", run->enqueue_vip_ms);
  add_double (builder, "enqueueNormalTimeMs", run->enqueue_normal_ms);
  json_builder_set_member_name (builder, "processing");
  json_builder_begin_object (builder);
  add_priority (builder, "vip", run->vip_start_us, run->vip_end_us, run->vip_ms, run->vip_count);
  add_priority (builder, "normal", run->normal_start_us, run->normal_end_us, run->normal_ms,
                run->normal_count);
  json_builder_end_object (builder);
  add_double (builder, "totalTimeMs", run->total_ms);
  /* Processed per priority, as the status counts them; what was generated
   * and what failed for good beside. */
  add_pair (builder, "counts", run->vip_count, run->normal_count);
  add_pair (builder, "generatedByPriority", run->vip_total, run->normal_total);
  add_pair (builder, "failed", run->vip_failed, run->normal_failed);
  add_int (builder, "generated", run->generated);
  add_int (builder, "processedTotal", run->vip_count + run->normal_count);
  add_double (builder, "pausedMs", run->paused_ms);
  json_builder_set_member_name (builder, "check");
  json_builder_begin_object (builder);
  add_string (builder, "state", run->check_state == ORDERLY_RUN_CHECK_PASSED ? "passed"
                                : run->check_state == ORDERLY_RUN_CHECK_FAILED ? "failed"
                                : "none");
  add_string_or_null (builder, "message", run->check_message);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "throughput");
  json_builder_begin_object (builder);
  add_double (builder, "vip", run->vip_ms > 0 ? run->vip_count / (run->vip_ms / 1000.0) : 0);
  add_double (builder, "normal",
              run->normal_ms > 0 ? run->normal_count / (run->normal_ms / 1000.0) : 0);
  add_double (builder, "overall",
              processing_s > 0 ? (run->vip_count + run->normal_count) / processing_s : 0);
  json_builder_end_object (builder);
  add_string_or_null (builder, "error", run->error_message);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static void
add_ms_or_null (JsonBuilder *builder,
                const char  *name,
                gint64       time_us)
{
  add_int_or_null (builder, name, time_us / 1000, time_us > 0);
}

/**
 * orderly_json_queue_counts:
 *
 * Returns: (transfer full): `{waiting, active, completed, failed, delayed,
 *   paused}` with paused the queue's flag, as a job queue's status reads
 *   (GET /pedidos/queue/status), and pausedOrders beside it
 */
JsonNode *
orderly_json_queue_counts (const OrderlyQueueCounts *counts)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_int (builder, "waiting", counts->waiting);
  add_int (builder, "active", counts->active);
  add_int (builder, "completed", counts->completed);
  add_int (builder, "failed", counts->failed);
  add_int (builder, "delayed", counts->delayed);
  add_boolean (builder, "paused", counts->queue_paused);
  add_int (builder, "pausedOrders", counts->paused);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/**
 * orderly_json_job:
 *
 * One order as a job of a job queue: `{id, name, state, timestamp,
 * processedOn, finishedOn, attemptsMade, failedReason, data}` (times in
 * milliseconds since the epoch, or null), data (the order, in the Node
 * system's words) only when @job has it.
 *
 * Returns: (transfer full): the job
 */
JsonNode *
orderly_json_job (const OrderlyJob *job)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, job->id);

  json_builder_begin_object (builder);
  add_string (builder, "id", id);
  add_string (builder, "name", "processOrder");
  add_string (builder, "state", orderly_job_state_to_string (job->state));
  add_int (builder, "timestamp", job->created_at_us / 1000);
  add_ms_or_null (builder, "processedOn", job->processed_on_us);
  add_ms_or_null (builder, "finishedOn", job->finished_on_us);
  add_int (builder, "attemptsMade", job->attempts_made);
  if (job->failed_reason != NULL)
    {
      add_string (builder, "failedReason", job->failed_reason);
    }
  if (job->retry_at_us > 0)
    add_ms_or_null (builder, "retryAt", job->retry_at_us);
  if (job->has_data)
    {
      json_builder_set_member_name (builder, "data");
      json_builder_begin_object (builder);
      add_string (builder, "id", id);
      add_string (builder, "cliente", job->customer != NULL ? job->customer : "");
      json_builder_set_member_name (builder, "valor");
      json_builder_add_double_value (builder, job->amount_cents / 100.0);
      add_string_or_null (builder, "tier", job->tier);
      add_string_or_null (builder, "observacoes", job->observations);
      add_string (builder, "priority", orderly_priority_to_string (job->priority));
      add_string (builder, "status", job->state == ORDERLY_JOB_STATE_COMPLETED ? "processado"
                                     : "pendente");
      add_time (builder, "createdAt", job->created_at_us);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/**
 * orderly_json_job_page:
 *
 * Returns: (transfer full): `{total, types, range: {start, end}, jobs}` as
 *   a job queue lists jobs (GET /pedidos/queue/jobs): total is the number of
 *   jobs in the answer; counts, beside, has every state's total
 */
JsonNode *
orderly_json_job_page (const OrderlyJobPage  *page,
                       const OrderlyJobQuery *query)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  guint n_jobs = page->jobs != NULL ? page->jobs->len : 0;

  json_builder_begin_object (builder);
  add_int (builder, "total", n_jobs);
  json_builder_set_member_name (builder, "types");
  json_builder_begin_array (builder);
  for (guint i = 0; i < query->n_states; i++)
    json_builder_add_string_value (builder, orderly_job_state_to_string (query->states[i]));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "range");
  json_builder_begin_object (builder);
  add_int (builder, "start", query->start);
  add_int (builder, "end", query->end);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "jobs");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n_jobs; i++)
    json_builder_add_value (builder, orderly_json_job (g_ptr_array_index (page->jobs, i)));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "counts");
  json_builder_add_value (builder, orderly_json_queue_counts (&page->counts));
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* A wait in milliseconds, or null when it is not known (negative). */
static void
add_wait_ms (JsonBuilder *builder,
             const char  *name,
             gint64       wait_us)
{
  if (wait_us >= 0)
    {
      add_double (builder, name, wait_us / 1000.0);
      return;
    }
  json_builder_set_member_name (builder, name);
  json_builder_add_null_value (builder);
}

static void
add_wait (JsonBuilder *builder,
          const char  *name,
          gint64       p50_us,
          gint64       p95_us,
          guint64      samples)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  add_wait_ms (builder, "medianMs", p50_us);
  add_wait_ms (builder, "p95Ms", p95_us);
  add_int (builder, "orders", (gint64) samples);
  json_builder_end_object (builder);
}

/**
 * orderly_json_priority_proof:
 *
 * Returns: (transfer full): `{runId, wait: {vip, normal: {medianMs, p95Ms,
 *   orders}}, vipBeforeNormal, vipLastSettledAt, normalFirstAttemptAt,
 *   orders: {generated, processed, failed, unsettled}, check: {state,
 *   message}}`
 */
JsonNode *
orderly_json_priority_proof (const OrderlyPriorityProof *proof)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_int (builder, "runId", proof->run_id);
  json_builder_set_member_name (builder, "wait");
  json_builder_begin_object (builder);
  add_wait (builder, "vip", proof->vip_wait_p50_us, proof->vip_wait_p95_us, proof->vip_waits);
  add_wait (builder, "normal", proof->normal_wait_p50_us, proof->normal_wait_p95_us, proof->normal_waits);
  json_builder_end_object (builder);
  add_boolean (builder, "vipBeforeNormal", proof->vip_before_normal);
  add_time (builder, "vipLastSettledAt", proof->vip_last_settled_us);
  add_time (builder, "normalFirstAttemptAt", proof->normal_first_attempt_us);
  json_builder_set_member_name (builder, "orders");
  json_builder_begin_object (builder);
  add_int (builder, "generated", proof->generated);
  add_int (builder, "processed", proof->processed);
  add_int (builder, "failed", proof->failed);
  add_int (builder, "unsettled", proof->unsettled);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "check");
  json_builder_begin_object (builder);
  add_string (builder, "state", proof->check_state == ORDERLY_RUN_CHECK_PASSED ? "passed"
                                : proof->check_state == ORDERLY_RUN_CHECK_FAILED ? "failed"
                                : "none");
  add_string_or_null (builder, "message", proof->check_message);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/**
 * orderly_json_samples:
 * @samples: (element-type OrderlyRunSample): a run's throughput series
 *
 * Returns: (transfer full): `[{time, generated, vipProcessed,
 *   normalProcessed, failed}]`, time in milliseconds since the epoch
 */
JsonNode *
orderly_json_samples (GArray *samples)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_array (builder);
  for (guint i = 0; i < samples->len; i++)
    {
      const OrderlyRunSample *sample = &g_array_index (samples, OrderlyRunSample, i);

      json_builder_begin_object (builder);
      add_int (builder, "time", sample->time_us / 1000);
      add_int (builder, "generated", sample->generated);
      add_int (builder, "vipProcessed", sample->vip_processed);
      add_int (builder, "normalProcessed", sample->normal_processed);
      add_int (builder, "failed", sample->failed);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}
