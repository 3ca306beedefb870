/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-cluster"

#include "config.h"

#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "orderly-json.h"
#include "orderly-json-reader.h"
#include "orderly-pg-cluster.h"
#include "orderly-pg-connection.h"
#include "orderly-pg-store.h"

/**
 * OrderlyPgCluster:
 *
 * The link between this instance and the others on one PostgreSQL
 * database. A thread of its own, on a connection of its own, keeps this
 * instance's row in the instances table alive (one heartbeat a second),
 * reads everyone's rows back, and shares events through LISTEN/NOTIFY: a
 * few times a second at most, one notification carries this instance's
 * counters and the log lines it wrote since the last one, never one per
 * order. What the others send ends up in the engine's #OrderlyCluster and
 * log, on the main loop. The main loop never waits for the database.
 *
 * It also keeps the engine in the cluster's one run: once a second it reads
 * the newest run and who runs it. A run in a processing phase that another
 * live instance runs, this one helps with (orderly_engine_join_run()); a
 * run whose instance has gone quiet, one instance takes over and carries
 * on; otherwise the engine shows the newest run as it is stored. A cancel
 * or a pause asked for here goes to the others with the next notification.
 */

#define PUBLISH_INTERVAL_US (G_USEC_PER_SEC / ORDERLY_PG_CLUSTER_PUBLISH_HZ)
#define HEARTBEAT_INTERVAL_US G_USEC_PER_SEC
#define RECONNECT_INTERVAL_US G_USEC_PER_SEC
/* NOTIFY payloads must stay under 8000 bytes. */
#define PAYLOAD_LIMIT 7900
#define PAYLOAD_LOG_BUDGET 6000
#define MAX_QUEUED_LOGS 1000

/* What this instance tells the others next. Guarded by the lock. */
typedef struct
{
  guint    workers;
  double   rate;
  gint64   processed;
  gint64   run_id;
  OrderlyPhase phase;
  gboolean dirty;
  GQueue   logs;            /* OrderlyLogRecord */
  guint    dropped_logs;
  char    *command;         /* "cancel", "pause", "resume" or NULL */
  gint64   failed_run_id;   /* a run of this instance that failed, to mark so */
  char    *failed_message;
  gint64   command_run_id;
  gboolean engine_idle;     /* no runner here: a run without its instance may be taken over */
  gboolean look_now;        /* read the run again without waiting for the next heartbeat */
} Outgoing;

/* What another instance said in one notification. */
typedef struct
{
  char      *id;
  gint64     run_id;
  GPtrArray *logs;          /* OrderlyLogRecord, instance set */
  char      *command;
  gint64     command_run_id;
  gboolean   processing;      /* its run is in a processing phase */
  gboolean   ended;           /* its run has ended there */
} Note;

typedef struct
{
  char                *id;
  char                *host;
  OrderlyInstanceInfo  info;
} PeerRow;

/* The cluster's newest run, as stored. */
typedef struct
{
  OrderlyRunRecord   *record;    /* NULL when there is no run */
  char               *owner;
  OrderlyOrderCounts  counts;
  gboolean            owner_alive;
  gboolean            owned_here;
  gboolean            taken_over;
} RunView;

/* Handed from the thread to the main loop. */
typedef struct
{
  GWeakRef   target;
  GArray    *peers;         /* PeerRow, or NULL when no heartbeat came in */
  GPtrArray *notes;         /* Note */
  RunView   *run;           /* NULL when no heartbeat came in */
} Batch;

struct _OrderlyPgCluster
{
  GObject         parent_instance;

  OrderlyEngine  *engine;
  OrderlyCluster *cluster;
  OrderlyPgStore *store;
  gulong          cancel_handler;
  gulong          paused_handler;
  gulong          finished_handler;
  gboolean        applying_command;
  gboolean        join_failed;
  gint64          owned_run_id;     /* the run this instance runs as its own */
  gint64          helped_run_id;    /* the run this instance helps with */
  gint64          drained_run_id;   /* a run helped with until nothing was left to claim */
  GHashTable     *ended_runs;       /* peer id → the id of its run that ended there */
  GMainContext   *context;
  char           *uri;
  char           *instance_id;
  char           *host;
  guint           publish_source;
  gulong          log_handler;

  GThread        *thread;
  int             wake_fd;
  gint            stopping;

  GMutex          lock;
  Outgoing        out;
};

G_DEFINE_FINAL_TYPE (OrderlyPgCluster, orderly_pg_cluster, G_TYPE_OBJECT)

static void
run_view_free (RunView *view)
{
  g_clear_pointer (&view->record, orderly_run_record_free);
  g_free (view->owner);
  g_free (view);
}

static gboolean
phase_is_processing (OrderlyPhase phase)
{
  return phase >= ORDERLY_PHASE_ENQUEUE_VIP && phase <= ORDERLY_PHASE_WAITING_NORMAL_DRAIN;
}

static void
note_free (Note *note)
{
  g_free (note->command);
  g_free (note->id);
  g_clear_pointer (&note->logs, g_ptr_array_unref);
  g_free (note);
}

static void
peer_row_clear (PeerRow *row)
{
  g_free (row->id);
  g_free (row->host);
}

static void
batch_free (Batch *batch)
{
  g_weak_ref_clear (&batch->target);
  g_clear_pointer (&batch->peers, g_array_unref);
  g_clear_pointer (&batch->notes, g_ptr_array_unref);
  g_clear_pointer (&batch->run, run_view_free);
  g_free (batch);
}

/* Main loop: a command another instance's operator gave. */
static void
apply_command (OrderlyPgCluster *self,
               const Note       *note)
{
  gint64 run_id = orderly_status_get_data (orderly_engine_get_status (self->engine))->run_id;

  if (note->command_run_id != 0 && note->command_run_id != run_id)
    return;
  self->applying_command = TRUE;
  if (g_str_equal (note->command, "cancel") && orderly_engine_is_running (self->engine))
    orderly_engine_cancel_async (self->engine, NULL, NULL, NULL);
  else if (g_str_equal (note->command, "pause"))
    orderly_engine_pause_queue (self->engine);
  else if (g_str_equal (note->command, "resume"))
    orderly_engine_resume_queue (self->engine);
  self->applying_command = FALSE;
}

/* Main loop: keeps the engine in the cluster's run. */
static void
apply_run (OrderlyPgCluster *self,
           const RunView    *view)
{
  const OrderlyRunRecord *record = view->record;
  gboolean active = record != NULL && orderly_phase_is_active (record->phase);
  g_autoptr(GError) error = NULL;

  if (view->taken_over)
    {
      orderly_engine_log (self->engine, ORDERLY_LOG_LEVEL_WARN, "cluster", NULL,
                          "Run %" G_GINT64_FORMAT " lost its instance: this one carries it on",
                          record->id);
      if (!orderly_engine_join_run (self->engine, record, FALSE, &error))
        orderly_engine_log (self->engine, ORDERLY_LOG_LEVEL_ERROR, "cluster", NULL,
                            "Could not carry on run %" G_GINT64_FORMAT ": %s", record->id, error->message);
      return;
    }
  /* A part of a run under way here, or one whose runner has finished but
   * that the engine has not collected yet (run_finished_cb() has not run):
   * joining now would join the same run a second time. */
  if (orderly_engine_is_running (self->engine) || self->helped_run_id > 0)
    return;
  /* A run its instance saw fail (the server went away) is not joined, even
   * if its row says otherwise until that instance can write it. */
  /* Nor is a run helped with until nothing was left to claim: what is left
   * is its instance's to end. */
  if (active && !view->owned_here && view->owner_alive && phase_is_processing (record->phase) &&
      record->id != self->drained_run_id &&
      GPOINTER_TO_INT (g_hash_table_lookup (self->ended_runs, view->owner)) != (gint) record->id)
    {
      if (orderly_engine_join_run (self->engine, record, TRUE, &error))
        {
          self->join_failed = FALSE;
          self->helped_run_id = record->id;
          return;
        }
      if (!self->join_failed)
        orderly_engine_log (self->engine, ORDERLY_LOG_LEVEL_ERROR, "cluster", NULL,
                            "Could not join run %" G_GINT64_FORMAT ": %s", record->id, error->message);
      self->join_failed = TRUE;
    }
  orderly_engine_show_run (self->engine, record, &view->counts,
                           active && (view->owned_here || !view->owner_alive));
}

/* Main loop: what the thread brought in. */
static gboolean
apply_batch_cb (gpointer data)
{
  Batch *batch = data;
  g_autoptr(OrderlyPgCluster) self = g_weak_ref_get (&batch->target);

  if (self == NULL)
    return G_SOURCE_REMOVE;
  if (batch->peers != NULL)
    {
      g_autoptr(GArray) infos = g_array_sized_new (FALSE, FALSE, sizeof (OrderlyInstanceInfo),
                                                   batch->peers->len);

      for (guint i = 0; i < batch->peers->len; i++)
        g_array_append_val (infos, g_array_index (batch->peers, PeerRow, i).info);
      orderly_cluster_set_peers (self->cluster, (OrderlyInstanceInfo *) (gpointer) infos->data,
                                 infos->len);
    }
  for (guint i = 0; batch->notes != NULL && i < batch->notes->len; i++)
    {
      Note *note = batch->notes->pdata[i];

      if (note->ended)
        g_hash_table_insert (self->ended_runs, g_strdup (note->id), GINT_TO_POINTER ((gint) note->run_id));
      else
        g_hash_table_remove (self->ended_runs, note->id);
      if (note->logs->len > 0)
        orderly_engine_add_peer_logs (self->engine, g_steal_pointer (&note->logs));
      if (note->command != NULL)
        apply_command (self, note);
    }
  if (batch->run != NULL)
    apply_run (self, batch->run);
  return G_SOURCE_REMOVE;
}

/* Main loop: a command given here goes to the others with the next
 * notification. */
static void
queue_command (OrderlyPgCluster *self,
               const char       *command)
{
  /* Without a runner here, this instance may not know the newest run yet:
   * the command is for whichever run goes on (0). */
  gint64 run_id = orderly_engine_is_running (self->engine)
                  ? orderly_status_get_data (orderly_engine_get_status (self->engine))->run_id : 0;

  if (self->applying_command)
    return;
  g_mutex_lock (&self->lock);
  g_free (self->out.command);
  self->out.command = g_strdup (command);
  self->out.command_run_id = run_id;
  self->out.dirty = TRUE;
  g_mutex_unlock (&self->lock);
}

static void
wake (OrderlyPgCluster *self)
{
  guint64 one = 1;

  if (write (self->wake_fd, &one, sizeof one) < 0)
    g_debug ("Could not wake the cluster thread");
}

/* A run of this instance that failed for want of the database: its row is
 * marked failed as soon as the database can be written again. */
static void
run_finished_cb (OrderlyPgCluster *self,
                 OrderlyPhase      phase)
{
  const OrderlyStatusData *d = orderly_status_get_data (orderly_engine_get_status (self->engine));

  if (phase == ORDERLY_PHASE_ERROR && self->owned_run_id > 0 && d->run_id == self->owned_run_id)
    {
      g_mutex_lock (&self->lock);
      self->out.failed_run_id = self->owned_run_id;
      g_free (self->out.failed_message);
      self->out.failed_message = g_strdup (d->error_message);
      g_mutex_unlock (&self->lock);
    }
  /* A helper's part ended: the run shows as stored from now on, read at
   * once rather than at the next heartbeat. */
  if (self->helped_run_id > 0 && d->run_id == self->helped_run_id)
    {
      if (phase != ORDERLY_PHASE_ERROR)
        self->drained_run_id = self->helped_run_id;
      g_mutex_lock (&self->lock);
      self->out.look_now = TRUE;
      g_mutex_unlock (&self->lock);
      wake (self);
    }
  self->owned_run_id = 0;
  self->helped_run_id = 0;
}

static void
cancel_requested_cb (OrderlyPgCluster *self)
{
  queue_command (self, "cancel");
}

static void
paused_changed_cb (OrderlyPgCluster *self)
{
  queue_command (self, orderly_engine_is_paused (self->engine) ? "pause" : "resume");
}

/* Main loop: this instance's state, for the next notification. */
static gboolean
publish_cb (gpointer data)
{
  OrderlyPgCluster *self = data;
  OrderlyInstance *local = orderly_cluster_get_local (self->cluster);
  const OrderlyStatusData *d = orderly_status_get_data (orderly_engine_get_status (self->engine));

  g_mutex_lock (&self->lock);
  if (self->out.workers != orderly_instance_get_workers (local) ||
      self->out.rate != orderly_instance_get_rate (local) ||
      self->out.processed != orderly_instance_get_processed (local) ||
      self->out.run_id != d->run_id || self->out.phase != d->phase)
    self->out.dirty = TRUE;
  self->out.phase = d->phase;
  self->out.workers = orderly_instance_get_workers (local);
  self->out.rate = orderly_instance_get_rate (local);
  self->out.processed = orderly_instance_get_processed (local);
  self->out.run_id = d->run_id;
  self->out.engine_idle = !orderly_engine_is_running (self->engine);
  g_mutex_unlock (&self->lock);
  if (orderly_engine_is_running (self->engine))
    self->owned_run_id = orderly_engine_is_helping (self->engine) ? 0 : d->run_id;
  return G_SOURCE_CONTINUE;
}

/* Main loop: this instance's new log lines go out with the next notification. */
static void
log_items_changed_cb (OrderlyPgCluster *self,
                      guint             position,
                      guint             removed,
                      guint             added,
                      GListModel       *model)
{
  g_mutex_lock (&self->lock);
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(OrderlyLogEntry) entry = g_list_model_get_item (model, i);
      OrderlyLogRecord *record;

      if (orderly_log_entry_get_instance (entry) != NULL)
        continue;
      record = orderly_log_record_new (orderly_log_entry_get_level (entry),
                                       orderly_log_entry_get_category (entry),
                                       orderly_log_entry_get_message (entry),
                                       orderly_log_entry_get_data (entry));
      record->timestamp_ms = orderly_log_entry_get_timestamp (entry);
      g_queue_push_tail (&self->out.logs, record);
      if (self->out.logs.length > MAX_QUEUED_LOGS)
        {
          orderly_log_record_free (g_queue_pop_head (&self->out.logs));
          self->out.dropped_logs++;
        }
    }
  g_mutex_unlock (&self->lock);
}

/* Thread: the next payload, or NULL when there is nothing new to say. */
static char *
take_payload (OrderlyPgCluster *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) logs = g_ptr_array_new_with_free_func ((GDestroyNotify) orderly_log_record_free);
  char *payload;
  gsize budget = PAYLOAD_LOG_BUDGET;
  Outgoing out;

  g_mutex_lock (&self->lock);
  if (!self->out.dirty && self->out.logs.length == 0)
    {
      g_mutex_unlock (&self->lock);
      return NULL;
    }
  out = self->out;
  self->out.command = NULL;
  while (self->out.logs.length > 0)
    {
      OrderlyLogRecord *record = g_queue_peek_head (&self->out.logs);
      gsize size = strlen (record->message) + strlen (record->category) +
                   (record->data_json ? strlen (record->data_json) : 0) + 64;

      if (size > budget && logs->len > 0)
        break;
      budget -= MIN (size, budget);
      g_ptr_array_add (logs, g_queue_pop_head (&self->out.logs));
    }
  self->out.dirty = FALSE;
  self->out.dropped_logs = 0;
  g_mutex_unlock (&self->lock);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, self->instance_id);
  json_builder_set_member_name (builder, "run");
  json_builder_add_int_value (builder, out.run_id);
  json_builder_set_member_name (builder, "phase");
  json_builder_add_string_value (builder, orderly_phase_to_string (out.phase));
  json_builder_set_member_name (builder, "dropped");
  json_builder_add_int_value (builder, out.dropped_logs);
  if (out.command != NULL)
    {
      json_builder_set_member_name (builder, "cmd");
      json_builder_add_string_value (builder, out.command);
      json_builder_set_member_name (builder, "cmdRun");
      json_builder_add_int_value (builder, out.command_run_id);
      g_free (out.command);
    }
  json_builder_set_member_name (builder, "logs");
  json_builder_begin_array (builder);
  for (guint i = 0; i < logs->len; i++)
    {
      OrderlyLogRecord *record = logs->pdata[i];

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "t");
      json_builder_add_int_value (builder, record->timestamp_ms);
      json_builder_set_member_name (builder, "l");
      json_builder_add_int_value (builder, record->level);
      json_builder_set_member_name (builder, "c");
      json_builder_add_string_value (builder, record->category);
      json_builder_set_member_name (builder, "m");
      json_builder_add_string_value (builder, record->message);
      json_builder_set_member_name (builder, "d");
      json_builder_add_string_value (builder, record->data_json);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  payload = orderly_json_to_string (root);
  if (strlen (payload) > PAYLOAD_LIMIT)
    {
      /* Lines full of escaped characters: send the counters alone. */
      g_free (payload);
      json_object_remove_member (json_node_get_object (root), "logs");
      json_object_set_int_member (json_node_get_object (root), "dropped",
                                  out.dropped_logs + logs->len);
      payload = orderly_json_to_string (root);
    }
  return payload;
}

/* Thread: one notification from another instance. */
static Note *
parse_note (OrderlyPgCluster *self,
            const char       *payload)
{
  /* Anyone who can reach the database can send one: read it as strictly
   * as anything from the network. */
  g_autoptr(JsonNode) root = orderly_json_parse (payload, strlen (payload), NULL);
  JsonObject *object;
  JsonArray *logs;
  Note *note;
  const char *id;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  object = json_node_get_object (root);
  id = json_object_get_string_member_with_default (object, "id", NULL);
  if (id == NULL || g_str_equal (id, self->instance_id))
    return NULL;

  note = g_new0 (Note, 1);
  note->id = g_strdup (id);
  note->run_id = json_object_get_int_member_with_default (object, "run", 0);
  note->command = g_strdup (json_object_get_string_member_with_default (object, "cmd", NULL));
  {
    OrderlyPhase phase;

    gboolean known = orderly_phase_from_string (json_object_get_string_member_with_default (object, "phase", ""),
                                                &phase);

    note->processing = known && phase_is_processing (phase);
    note->ended = known && orderly_phase_is_terminal (phase);
  }
  note->command_run_id = json_object_get_int_member_with_default (object, "cmdRun", 0);
  note->logs = g_ptr_array_new_with_free_func ((GDestroyNotify) orderly_log_record_free);
  logs = json_object_has_member (object, "logs") ? json_object_get_array_member (object, "logs") : NULL;
  for (guint i = 0; logs != NULL && i < json_array_get_length (logs); i++)
    {
      JsonObject *line = json_array_get_object_element (logs, i);
      OrderlyLogRecord *record;
      gint64 level;

      if (line == NULL)
        continue;
      level = json_object_get_int_member_with_default (line, "l", 0);
      record = orderly_log_record_new (CLAMP (level, ORDERLY_LOG_LEVEL_LOG, ORDERLY_LOG_LEVEL_ERROR),
                                       json_object_get_string_member_with_default (line, "c", NULL),
                                       json_object_get_string_member_with_default (line, "m", NULL),
                                       json_object_get_string_member_with_default (line, "d", NULL));
      record->timestamp_ms = json_object_get_int_member_with_default (line, "t", 0);
      record->instance = g_strdup (id);
      g_ptr_array_add (note->logs, record);
    }
  return note;
}

/* Thread: this instance's row, then everyone's. */
static GArray *
heartbeat (OrderlyPgCluster     *self,
           OrderlyPgConnection  *connection,
           GError              **error)
{
  g_autoptr(PGresult) result = NULL;
  g_autoptr(GArray) peers = g_array_new (FALSE, FALSE, sizeof (PeerRow));
  char pid[16], workers[16], rate[G_ASCII_DTOSTR_BUF_SIZE], processed[24], quiet_s[24];
  const char *values[] = { self->instance_id, self->host, pid, workers, rate, processed };
  const char *quiet_values[] = { quiet_s };

  g_mutex_lock (&self->lock);
  g_snprintf (workers, sizeof workers, "%u", self->out.workers);
  g_ascii_dtostr (rate, sizeof rate, self->out.rate);
  g_snprintf (processed, sizeof processed, "%" G_GINT64_FORMAT, self->out.processed);
  g_mutex_unlock (&self->lock);
  g_snprintf (pid, sizeof pid, "%d", (int) getpid ());
  g_ascii_dtostr (quiet_s, sizeof quiet_s, ORDERLY_CLUSTER_QUIET_AFTER_US / (double) G_USEC_PER_SEC);

  result = orderly_pg_connection_exec_prepared (
    connection, "heartbeat",
    "INSERT INTO instances (id, host, pid, workers, rate, processed) VALUES ($1, $2, $3, $4, $5, $6) "
    "ON CONFLICT (id) DO UPDATE SET workers = $4, rate = $5, processed = $6, heartbeat_at = now()",
    G_N_ELEMENTS (values), values, error);
  if (result == NULL)
    return NULL;
  g_clear_pointer (&result, PQclear);

  /* Rows of instances long gone go; quiet ones stay, marked. */
  result = orderly_pg_connection_exec_prepared (
    connection, "instances",
    "WITH gone AS (DELETE FROM instances WHERE heartbeat_at < now() - interval '10 minutes') "
    "SELECT id, host, workers, rate, processed, "
    "  (extract (epoch FROM heartbeat_at) * 1000000)::bigint, "
    "  now() - heartbeat_at > make_interval (secs => $1::double precision) "
    "FROM instances ORDER BY started_at, id",
    1, quiet_values, error);
  if (result == NULL)
    return NULL;
  g_array_set_clear_func (peers, (GDestroyNotify) peer_row_clear);
  for (int row = 0; row < PQntuples (result); row++)
    {
      PeerRow peer = { g_strdup (PQgetvalue (result, row, 0)), g_strdup (PQgetvalue (result, row, 1)) };

      peer.info.id = peer.id;
      peer.info.host = peer.host;
      peer.info.workers = (guint) orderly_pg_result_get_int64 (result, row, 2);
      peer.info.rate = orderly_pg_result_get_double (result, row, 3);
      peer.info.processed = orderly_pg_result_get_int64 (result, row, 4);
      peer.info.heartbeat_us = orderly_pg_result_get_int64 (result, row, 5);
      peer.info.quiet = PQgetvalue (result, row, 6)[0] == 't';
      g_array_append_val (peers, peer);
    }
  return g_steal_pointer (&peers);
}

/* Thread: marks a run of this instance failed, if its row says otherwise. */
static gboolean
mark_failed (OrderlyPgCluster     *self,
             OrderlyPgConnection  *connection,
             GError              **error)
{
  g_autoptr(PGresult) result = NULL;
  g_autofree char *message = NULL;
  char run_id[24];
  gint64 id;

  g_mutex_lock (&self->lock);
  id = self->out.failed_run_id;
  message = g_strdup (self->out.failed_message);
  g_mutex_unlock (&self->lock);
  if (id == 0)
    return TRUE;
  g_snprintf (run_id, sizeof run_id, "%" G_GINT64_FORMAT, id);
  result = orderly_pg_connection_exec_prepared (
    connection, "mark_failed",
    "UPDATE runs SET phase = 'ERROR', error = coalesce ($3, error) WHERE id = $1::bigint AND owner = $2 "
    "AND phase NOT IN ('DONE', 'ABORTED', 'ERROR')", 3,
    (const char *[]) { run_id, self->instance_id, message }, error);
  if (result == NULL)
    return FALSE;
  g_mutex_lock (&self->lock);
  if (self->out.failed_run_id == id)
    self->out.failed_run_id = 0;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* Thread: the newest run, who runs it, and whether that instance is alive.
 * A run whose instance is gone is taken over here, if no run goes on here. */
static RunView *
watch_run (OrderlyPgCluster     *self,
           OrderlyPgConnection  *connection,
           GError              **error)
{
  g_autoptr(PGresult) result = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  RunView *view;
  gboolean idle;
  OrderlyPhase phase;
  const char *owner;

  result = orderly_pg_connection_exec_prepared (
    connection, "newest_run",
    "SELECT r.id, r.owner, r.phase, coalesce (i.heartbeat_at > now() - make_interval (secs => $1::double precision), false) "
    "FROM runs r LEFT JOIN instances i ON i.id = r.owner ORDER BY r.id DESC LIMIT 1",
    1, (const char *[]) { "5" }, error);
  if (result == NULL)
    return NULL;
  view = g_new0 (RunView, 1);
  if (PQntuples (result) == 0)
    return view;

  runs = orderly_store_list_runs (ORDERLY_STORE (self->store), 1, error);
  if (runs == NULL || runs->len == 0 ||
      !orderly_store_count_orders (ORDERLY_STORE (self->store),
                                   ((OrderlyRunRecord *) runs->pdata[0])->id, &view->counts, error))
    {
      run_view_free (view);
      return NULL;
    }
  view->record = g_ptr_array_steal_index (runs, 0);
  owner = PQgetvalue (result, 0, 1);
  view->owner = g_strdup (owner);
  view->owned_here = g_str_equal (owner, self->instance_id);
  view->owner_alive = PQgetvalue (result, 0, 3)[0] == 't';
  if (!orderly_phase_from_string (PQgetvalue (result, 0, 2), &phase))
    phase = ORDERLY_PHASE_ERROR;

  g_mutex_lock (&self->lock);
  idle = self->out.engine_idle;
  g_mutex_unlock (&self->lock);
  if (idle && orderly_phase_is_active (phase) && !view->owned_here && !view->owner_alive)
    {
      view->taken_over = orderly_pg_store_take_over_run (self->store, view->record->id, owner, error);
      if (view->taken_over)
        {
          /* Idle no more: the next heartbeat must not take another. */
          g_mutex_lock (&self->lock);
          self->out.engine_idle = FALSE;
          g_mutex_unlock (&self->lock);
        }
    }
  return view;
}

static void
deliver (OrderlyPgCluster *self,
         GArray           *peers,
         RunView          *run,
         GPtrArray        *notes)
{
  Batch *batch;

  if (peers == NULL && run == NULL && notes->len == 0)
    {
      g_ptr_array_unref (notes);
      return;
    }
  batch = g_new0 (Batch, 1);
  g_weak_ref_init (&batch->target, self);
  batch->peers = peers;
  batch->run = run;
  batch->notes = notes;
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, apply_batch_cb, batch,
                              (GDestroyNotify) batch_free);
}

/* Thread: sleeps until @deadline, the server has something, or stop. */
static void
wait_for (OrderlyPgCluster    *self,
          OrderlyPgConnection *connection,
          gint64               deadline)
{
  struct pollfd fds[2] = { { .fd = self->wake_fd, .events = POLLIN } };
  int n = 1;
  gint64 timeout_us = deadline - g_get_monotonic_time ();

  if (timeout_us <= 0)
    return;
  if (connection != NULL && !orderly_pg_connection_is_broken (connection))
    {
      fds[1].fd = PQsocket (orderly_pg_connection_get_conn (connection));
      fds[1].events = POLLIN;
      n = fds[1].fd >= 0 ? 2 : 1;
    }
  if (poll (fds, n, (int) (timeout_us / 1000) + 1) > 0 && (fds[0].revents & POLLIN))
    {
      guint64 value;

      if (read (self->wake_fd, &value, sizeof value) < 0)
        g_debug ("Could not read the cluster thread's wake-up");
    }
}

static gboolean
listen_on (OrderlyPgConnection  *connection,
           GError              **error)
{
  return orderly_pg_connection_run (connection, "LISTEN " ORDERLY_PG_CLUSTER_CHANNEL, error);
}

static gpointer
link_thread (gpointer data)
{
  OrderlyPgCluster *self = data;
  OrderlyPgConnection *connection = NULL;
  gint64 next_publish = 0, next_heartbeat = 0;
  gint64 last_ended_run = 0;
  gboolean warned = FALSE;

  while (!g_atomic_int_get (&self->stopping))
    {
      g_autoptr(GError) error = NULL;
      GArray *peers = NULL;
      RunView *run = NULL;
      GPtrArray *notes = g_ptr_array_new_with_free_func ((GDestroyNotify) note_free);
      gint64 now = g_get_monotonic_time ();
      PGconn *conn;
      PGnotify *notify;

      if (connection == NULL || orderly_pg_connection_is_broken (connection))
        {
          gboolean up;

          if (connection == NULL)
            connection = orderly_pg_connection_new (self->uri, &error);
          up = connection != NULL && orderly_pg_connection_ensure (connection, &error) &&
               listen_on (connection, &error);
          if (!up)
            {
              if (!warned)
                g_warning ("The cluster link is down, retrying: %s", error->message);
              warned = TRUE;
              g_ptr_array_unref (notes);
              wait_for (self, NULL, now + RECONNECT_INTERVAL_US);
              continue;
            }
          if (warned)
            g_message ("The cluster link is up again");
          warned = FALSE;
        }

      g_mutex_lock (&self->lock);
      if (self->out.look_now)
        next_heartbeat = 0;
      self->out.look_now = FALSE;
      g_mutex_unlock (&self->lock);

      if (now >= next_publish)
        {
          g_autofree char *payload = take_payload (self);

          if (payload != NULL)
            {
              const char *values[] = { ORDERLY_PG_CLUSTER_CHANNEL, payload };

              PQclear (orderly_pg_connection_exec_prepared (connection, "notify", "SELECT pg_notify ($1, $2)",
                                                            2, values, &error));
            }
          next_publish = now + PUBLISH_INTERVAL_US;
        }
      if (error == NULL && now >= next_heartbeat)
        {
          peers = heartbeat (self, connection, &error);
          if (peers != NULL && mark_failed (self, connection, &error))
            run = watch_run (self, connection, &error);
          next_heartbeat = now + HEARTBEAT_INTERVAL_US;
        }

      conn = orderly_pg_connection_get_conn (connection);
      if (error == NULL && PQconsumeInput (conn))
        {
          while ((notify = PQnotifies (conn)) != NULL)
            {
              Note *note = parse_note (self, notify->extra);
              gboolean idle;

              g_mutex_lock (&self->lock);
              idle = self->out.engine_idle;
              g_mutex_unlock (&self->lock);
              /* A run to help with, or a run that ended: look now rather
               * than at the next heartbeat. */
              if (note != NULL && note->processing && idle)
                next_heartbeat = 0;
              if (note != NULL && note->ended && note->run_id != last_ended_run)
                {
                  last_ended_run = note->run_id;
                  next_heartbeat = 0;
                }
              if (note != NULL)
                g_ptr_array_add (notes, note);
              PQfreemem (notify);
            }
        }
      deliver (self, peers, run, notes);
      if (error != NULL)
        {
          g_debug ("Cluster link: %s", error->message);
          continue;
        }
      wait_for (self, connection, MIN (next_publish, next_heartbeat));
    }

  if (connection != NULL && !orderly_pg_connection_is_broken (connection))
    {
      const char *values[] = { self->instance_id };

      PQclear (orderly_pg_connection_exec_params (connection, "DELETE FROM instances WHERE id = $1", 1,
                                                  values, NULL));
    }
  g_clear_pointer (&connection, orderly_pg_connection_free);
  return NULL;
}

/**
 * orderly_pg_cluster_stop:
 *
 * Leaves the cluster: this instance's row goes, and the thread ends.
 */
void
orderly_pg_cluster_stop (OrderlyPgCluster *self)
{
  g_return_if_fail (ORDERLY_IS_PG_CLUSTER (self));

  if (self->thread == NULL)
    return;
  publish_cb (self);
  g_atomic_int_set (&self->stopping, 1);
  wake (self);
  g_thread_join (g_steal_pointer (&self->thread));
}

static void
orderly_pg_cluster_dispose (GObject *object)
{
  OrderlyPgCluster *self = (OrderlyPgCluster *) object;

  orderly_pg_cluster_stop (self);
  g_clear_handle_id (&self->publish_source, g_source_remove);
  if (self->log_handler != 0)
    g_clear_signal_handler (&self->log_handler, orderly_engine_get_log_store (self->engine));
  if (self->cancel_handler != 0)
    g_clear_signal_handler (&self->cancel_handler, self->engine);
  if (self->paused_handler != 0)
    g_clear_signal_handler (&self->paused_handler, self->engine);
  if (self->finished_handler != 0)
    g_clear_signal_handler (&self->finished_handler, self->engine);
  if (self->cluster != NULL)
    orderly_cluster_set_shared (self->cluster, FALSE);
  g_clear_object (&self->cluster);
  g_clear_object (&self->engine);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (orderly_pg_cluster_parent_class)->dispose (object);
}

static void
orderly_pg_cluster_finalize (GObject *object)
{
  OrderlyPgCluster *self = (OrderlyPgCluster *) object;

  g_queue_clear_full (&self->out.logs, (GDestroyNotify) orderly_log_record_free);
  g_free (self->out.command);
  if (self->wake_fd >= 0)
    close (self->wake_fd);
  g_mutex_clear (&self->lock);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->uri);
  g_free (self->instance_id);
  g_free (self->host);

  G_OBJECT_CLASS (orderly_pg_cluster_parent_class)->finalize (object);
}

static void
orderly_pg_cluster_class_init (OrderlyPgClusterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = orderly_pg_cluster_dispose;
  object_class->finalize = orderly_pg_cluster_finalize;
}

static void
orderly_pg_cluster_init (OrderlyPgCluster *self)
{
  g_mutex_init (&self->lock);
  self->wake_fd = -1;
  self->ended_runs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/**
 * orderly_pg_cluster_new:
 * @engine: the engine whose cluster, log and run the link keeps
 * @store: @engine's store, the database the instances share
 *
 * Joins the cluster on @store's database: @engine's cluster gets this
 * instance's id and, from now on, the others.
 *
 * Returns: (transfer full): the link, or %NULL with @error set
 */
OrderlyPgCluster *
orderly_pg_cluster_new (OrderlyEngine   *engine,
                        OrderlyPgStore  *store,
                        GError         **error)
{
  g_autoptr(OrderlyPgCluster) self = NULL;
  g_autoptr(OrderlyCluster) cluster = NULL;
  OrderlyLogStore *log_store;
  const char *instance_id;

  g_return_val_if_fail (ORDERLY_IS_ENGINE (engine), NULL);
  g_return_val_if_fail (ORDERLY_IS_PG_STORE (store), NULL);
  instance_id = orderly_pg_store_get_instance_id (store);

  self = g_object_new (ORDERLY_TYPE_PG_CLUSTER, NULL);
  self->wake_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (self->wake_fd < 0)
    {
      g_set_error (error, ORDERLY_ERROR, ORDERLY_ERROR_STORAGE,
                   "Cannot start the cluster link: %s", g_strerror (errno));
      return NULL;
    }
  self->engine = g_object_ref (engine);
  self->store = g_object_ref (store);
  cluster = orderly_cluster_new (instance_id);
  orderly_cluster_set_shared (cluster, TRUE);
  orderly_engine_set_cluster (engine, cluster);
  self->cluster = g_object_ref (cluster);
  self->context = g_main_context_ref_thread_default ();
  self->uri = g_strdup (orderly_pg_store_get_uri (store));
  self->instance_id = g_strdup (instance_id);
  self->host = g_strdup (orderly_instance_get_host (orderly_cluster_get_local (cluster)));

  log_store = orderly_engine_get_log_store (engine);
  self->log_handler = g_signal_connect_swapped (log_store, "items-changed",
                                                G_CALLBACK (log_items_changed_cb), self);
  self->cancel_handler = g_signal_connect_swapped (engine, "cancel-requested",
                                                   G_CALLBACK (cancel_requested_cb), self);
  self->paused_handler = g_signal_connect_swapped (engine, "notify::paused",
                                                   G_CALLBACK (paused_changed_cb), self);
  self->finished_handler = g_signal_connect_swapped (engine, "run-finished",
                                                     G_CALLBACK (run_finished_cb), self);
  self->publish_source = g_timeout_add (PUBLISH_INTERVAL_US / 1000, publish_cb, self);
  publish_cb (self);

  self->thread = g_thread_try_new ("orderly-cluster", link_thread, self, error);
  if (self->thread == NULL)
    return NULL;
  return g_steal_pointer (&self);
}
