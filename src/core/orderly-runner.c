/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-runner"

#include "config.h"

#include <sys/resource.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif
#include <unistd.h>

#include "orderly-generator.h"
#include "orderly-json-writer.h"
#include "orderly-runner.h"
#include "orderly-text.h"

#define GENERATE_BATCH 16384
/* Orders claimed and stored per transaction: large enough to keep commits
 * rare, small enough that with a simulated cost a chunk still takes about a
 * tenth of a second, so progress keeps moving and a pause takes hold soon. */
#define PROCESS_CHUNK_MAX 8192
#define PROCESS_CHUNK_TARGET_US (G_USEC_PER_SEC / 10)
#define SPIN_LIMIT_US 200
/* At full speed, orders worked on between two looks at a pause or cancel. */
#define STOP_CHECK_ORDERS 256
/* The nice value of the run's threads: see lower_thread_priority(). */
#define RUN_THREAD_NICE 10
/* How often the coordinator reads the queue's counters, and how often it
 * stores a sample of the throughput series. */
#define REFRESH_US (G_USEC_PER_SEC / 10)
#define SAMPLE_US G_USEC_PER_SEC
/* The longest a worker sleeps before asking for orders again. */
#define LATER_WAIT_MAX_US (G_USEC_PER_SEC / 10)

struct _OrderlyRunner
{
  OrderlyStore            *store;
  OrderlyLogQueue         *logs;
  GThread                 *thread;
  OrderlyRunnerOptions     options;
  char                    *owner;
  gboolean                 resume;
  OrderlyRunnerBegunFunc   begun_func;
  gpointer                 begun_data;

  /* Guards what follows, but for the atomics. */
  GMutex                   lock;
  /* Signalled on a pause or resume, a cancel, the end of a claim and a
   * worker leaving. */
  GCond                    wake_cond;
  /* Counts the wakes, so that a worker that asked the store before one
   * happened does not sleep through it. */
  guint64                  wake_seq;
  OrderlyRunRecord         record;
  OrderlyOrderCounts       counts;
  gint64                   generated;
  gint64                   vip_generated;
  gint64                   normal_generated;
  gint64                   start_mono;
  gint64                   paused_us;
  gint64                   paused_since;
  gboolean                 paused;         /* set under the lock; is_paused() reads it */
  gboolean                 saved_paused;
  gint64                   phase_start_work;
  double                   phase_base_ms;
  double                   total_base_ms;
  double                   paused_base_ms;
  guint                    busy_workers;
  guint                    workers_left;
  gint64                   claims_lost;
  gint64                   processed_here;
  OrderlyPriority          phase_priority;
  gint64                   last_refresh;
  gint64                   last_sample;

  /* Claims are stored in the order they were taken, so results of fresh
   * orders are appended: claim_lock hands out the turns. */
  GMutex                   claim_lock;
  GCond                    turn_cond;
  gint64                   next_turn;
  gint64                   turn;

  gint                     cancelled;
  gint                     suspended;
  gint                     failed;
  gint                     finished;
  gint                     begun;
};

typedef struct
{
  OrderlyRunner *runner;
  guint          worker_id;
} Worker;

static gint64
now_mono (void)
{
  return g_get_monotonic_time ();
}

/* With the lock held. */
static void
wake_locked (OrderlyRunner *self)
{
  self->wake_seq++;
  g_cond_broadcast (&self->wake_cond);
}

static guint64
wake_seq (OrderlyRunner *self)
{
  guint64 seq;

  g_mutex_lock (&self->lock);
  seq = self->wake_seq;
  g_mutex_unlock (&self->lock);
  return seq;
}

static gboolean
is_cancelled (OrderlyRunner *self)
{
  return g_atomic_int_get (&self->cancelled) != 0;
}

/* Time spent working since the runner started: paused time does not count. */
static gint64
work_clock_locked (OrderlyRunner *self)
{
  gint64 now = now_mono ();
  gint64 paused = self->paused_us + (self->paused_since > 0 ? now - self->paused_since : 0);

  return now - self->start_mono - paused;
}

static double
phase_ms_locked (OrderlyRunner *self)
{
  return self->phase_base_ms + (work_clock_locked (self) - self->phase_start_work) / 1000.0;
}

/* {"runId": …, "phase": …}: the data of the run's log lines. */
static char *
run_data (OrderlyRunner *self,
          const char    *phase)
{
  GString *out = g_string_sized_new (48);
  OrderlyJsonWriter writer;

  orderly_json_writer_init (&writer, out);
  orderly_json_writer_begin_object (&writer);
  orderly_json_writer_member (&writer, "runId");
  orderly_json_writer_int (&writer, self->record.id);
  if (phase != NULL)
    {
      orderly_json_writer_member (&writer, "phase");
      orderly_json_writer_string (&writer, phase);
    }
  orderly_json_writer_end_object (&writer);
  return g_string_free (out, FALSE);
}

static void
log_line (OrderlyRunner   *self,
          OrderlyLogLevel  level,
          const char      *format,
          ...) G_GNUC_PRINTF (3, 4);

static void
log_line (OrderlyRunner   *self,
          OrderlyLogLevel  level,
          const char      *format,
          ...)
{
  g_autofree char *message = NULL;
  g_autofree char *data = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  data = run_data (self, NULL);
  orderly_log_queue_push (self->logs, orderly_log_record_new (level, "engine", message, data));
}

/* The record with the counts and clocks of now; the lock is held. */
static void
fill_record_locked (OrderlyRunner    *self,
                    OrderlyRunRecord *record)
{
  const OrderlyPriorityCounts *vip = &self->counts.priority[ORDERLY_PRIORITY_VIP];
  const OrderlyPriorityCounts *normal = &self->counts.priority[ORDERLY_PRIORITY_NORMAL];
  gint64 paused = self->paused_us + (self->paused_since > 0 ? now_mono () - self->paused_since : 0);

  *record = self->record;
  record->error_message = g_strdup (self->record.error_message);
  record->check_message = g_strdup (self->record.check_message);
  record->generated = MAX (self->generated, vip->generated + normal->generated);
  record->vip_total = MAX (self->vip_generated, vip->generated);
  record->normal_total = MAX (self->normal_generated, normal->generated);
  record->vip_count = ORDERLY_COUNTS_PROCESSED (vip);
  record->normal_count = ORDERLY_COUNTS_PROCESSED (normal);
  record->vip_failed = ORDERLY_COUNTS_FAILED (vip);
  record->normal_failed = ORDERLY_COUNTS_FAILED (normal);
  record->paused = self->paused;
  record->paused_ms = self->paused_base_ms + paused / 1000.0;
}

static gboolean
save_record (OrderlyRunner  *self,
             GError        **error)
{
  OrderlyRunRecord copy;
  gboolean ok;

  /* The run's row is its owner's: a helper's timings are its own. */
  if (self->options.helper)
    return TRUE;
  g_mutex_lock (&self->lock);
  fill_record_locked (self, &copy);
  self->saved_paused = copy.paused;
  g_mutex_unlock (&self->lock);

  ok = orderly_store_save_run (self->store, &copy, error);
  orderly_run_record_clear (&copy);
  return ok;
}

static gboolean
refresh_counts (OrderlyRunner  *self,
                GError        **error)
{
  OrderlyOrderCounts counts;

  if (!orderly_store_count_orders (self->store, self->record.id, &counts, error))
    return FALSE;
  g_mutex_lock (&self->lock);
  self->counts = counts;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static void
add_sample (OrderlyRunner *self)
{
  OrderlyRunSample sample;
  g_autoptr(GError) error = NULL;

  g_mutex_lock (&self->lock);
  sample.time_us = g_get_real_time ();
  sample.generated = MAX (self->generated, self->counts.priority[0].generated + self->counts.priority[1].generated);
  sample.vip_processed = ORDERLY_COUNTS_PROCESSED (&self->counts.priority[ORDERLY_PRIORITY_VIP]);
  sample.normal_processed = ORDERLY_COUNTS_PROCESSED (&self->counts.priority[ORDERLY_PRIORITY_NORMAL]);
  sample.failed = ORDERLY_COUNTS_FAILED (&self->counts.priority[0]) +
                  ORDERLY_COUNTS_FAILED (&self->counts.priority[1]);
  g_mutex_unlock (&self->lock);

  /* The series is a nicety: a failure to store a sample is not the run's. */
  if (!orderly_store_append_samples (self->store, self->record.id, &sample, 1, &error))
    g_debug ("A throughput sample was not stored: %s", error->message);
}

/*
 * What the coordinating thread does while the work goes on: keep the counts
 * fresh for the status, store the throughput series, and keep the paused
 * flag stored so that a crash resumes the run as it was.
 */
static gboolean
coordinate (OrderlyRunner  *self,
            gboolean        force,
            GError        **error)
{
  gint64 now = now_mono ();
  gboolean paused, saved;

  if (force || now - self->last_refresh >= REFRESH_US)
    {
      self->last_refresh = now;
      if (!refresh_counts (self, error))
        return FALSE;
    }

  g_mutex_lock (&self->lock);
  paused = self->paused;
  saved = self->saved_paused;
  g_mutex_unlock (&self->lock);
  if (paused != saved && !save_record (self, error))
    return FALSE;

  if (!paused && now - self->last_sample >= SAMPLE_US)
    {
      self->last_sample = now;
      add_sample (self);
    }
  return TRUE;
}

/* Waits while the queue is paused, coordinating; %FALSE on a store error. */
static gboolean
wait_while_paused (OrderlyRunner  *self,
                   GError        **error)
{
  for (;;)
    {
      gboolean paused;

      g_mutex_lock (&self->lock);
      if (self->paused && !is_cancelled (self))
        g_cond_wait_until (&self->wake_cond, &self->lock, now_mono () + REFRESH_US);
      paused = self->paused && !is_cancelled (self);
      g_mutex_unlock (&self->lock);
      if (!coordinate (self, FALSE, error))
        return FALSE;
      if (!paused)
        return TRUE;
    }
}

static gboolean
enter_phase (OrderlyRunner  *self,
             OrderlyPhase    phase,
             GError        **error)
{
  g_autofree char *data = NULL;
  const char *text;

  g_mutex_lock (&self->lock);
  /* A helper joins a run in one of its processing phases and goes through
   * the earlier ones without work: it shows the run's phase, never an
   * earlier one, and the phase lines are the run's instance's. */
  if (!self->options.helper || phase > self->record.phase)
    self->record.phase = phase;
  self->phase_start_work = work_clock_locked (self);
  self->phase_base_ms = 0;
  g_mutex_unlock (&self->lock);

  if (self->options.helper)
    return TRUE;
  /* The data names the phase; the message says it as the window does. */
  data = run_data (self, orderly_phase_to_string (phase));
  text = orderly_text_phase (phase);
  orderly_log_queue_printf (self->logs, ORDERLY_LOG_LEVEL_LOG, "phase", data,
                            "%c%s", g_ascii_toupper (text[0]), text + 1);
  return save_record (self, error);
}

/* The simulated cost of one order. A long one is a wait that a pause or a
 * cancel cuts short, so that either takes hold at once whatever the cost;
 * %FALSE then, and the order is not attempted. */
static gboolean
simulate_work (OrderlyRunner *self)
{
  gint64 until = now_mono () + self->options.work_us;
  gboolean stopped;

  if (self->options.work_us < SPIN_LIMIT_US)
    {
      while (now_mono () < until)
        ;
      return TRUE;
    }
  g_mutex_lock (&self->lock);
  while (!(stopped = self->paused || is_cancelled (self)) &&
         g_cond_wait_until (&self->wake_cond, &self->lock, until))
    ;
  g_mutex_unlock (&self->lock);
  return !stopped;
}

static gboolean
generate (OrderlyRunner  *self,
          GError        **error)
{
  g_autofree OrderlyOrder *batch = g_new (OrderlyOrder, GENERATE_BATCH);
  gint64 quantity = self->record.quantity;
  gint64 created_at = g_get_real_time ();
  gint64 next_log = 0;
  gint64 index = self->generated;

  while (index < quantity && !is_cancelled (self))
    {
      guint n = (guint) MIN ((gint64) GENERATE_BATCH, quantity - index);
      gint64 vip = 0;

      if (!wait_while_paused (self, error))
        return FALSE;
      if (is_cancelled (self))
        break;
      for (guint i = 0; i < n; i++)
        {
          OrderlyOrder *order = &batch[i];

          orderly_generate_order (self->record.seed, self->record.id, index + i,
                                  self->record.vip_share, created_at, order);
          if (order->priority == ORDERLY_PRIORITY_VIP)
            vip++;
        }
      if (!orderly_store_insert_orders (self->store, batch, n, error))
        return FALSE;

      index += n;
      g_mutex_lock (&self->lock);
      self->generated = index;
      self->vip_generated += vip;
      self->normal_generated += n - vip;
      g_mutex_unlock (&self->lock);
      if (!coordinate (self, FALSE, error))
        return FALSE;

      if (index * 10 / quantity > next_log && index < quantity)
        {
          g_autofree char *done = orderly_text_count (index);
          g_autofree char *all = orderly_text_count (quantity);

          next_log = index * 10 / quantity;
          log_line (self, ORDERLY_LOG_LEVEL_LOG, "Generated %s of %s orders", done, all);
        }
    }
  return TRUE;
}

static char *
append_number (char    *out,
               guint64  value)
{
  char digits[24];
  int n = 0;

  do
    digits[n++] = '0' + value % 10;
  while ((value /= 10) != 0);
  while (n > 0)
    *out++ = digits[--n];
  return out;
}

/* "VIP order 42 processed by worker 2", written without printf: this runs
 * once per order. The buffer holds 96 bytes, far more than the longest. */
static void
write_observations (char       *out,
                    const char *priority,
                    gint64      id,
                    guint       worker_id)
{
  out = g_stpcpy (out, priority);
  out = g_stpcpy (out, " order ");
  out = append_number (out, (guint64) id);
  out = g_stpcpy (out, " processed by worker ");
  out = append_number (out, worker_id);
  *out = '\0';
}

static inline guint64
splitmix64 (guint64 x)
{
  x += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15);
  x = (x ^ (x >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  x = (x ^ (x >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return x ^ (x >> 31);
}

/**
 * orderly_runner_attempt_fails:
 * @attempt: from 1
 *
 * Whether the simulated processing of @order_id fails on @attempt: a pure
 * function of its arguments, so that a run fails the same way every time.
 */
gboolean
orderly_runner_attempt_fails (guint64 seed,
                              gint64  order_id,
                              guint   attempt,
                              double  failure_rate)
{
  guint64 h;

  if (failure_rate <= 0)
    return FALSE;
  /* Attempt numbers go on across retries: no two (order, attempt) pairs
   * may share an input. */
  h = splitmix64 (~seed ^ splitmix64 (splitmix64 ((guint64) order_id) + attempt));
  return (double) (h >> 11) / (double) (G_GUINT64_CONSTANT (1) << 53) < failure_rate;
}

/* The last attempt of the set that @attempt belongs to. Attempt numbers
 * go on when failed orders are retried, and each retry gives a fresh set
 * of @max_attempts: an order fails for good on attempt @max_attempts,
 * 2 × @max_attempts, and so on. Were the numbers to start again, a retry
 * would fail exactly as the attempts before it did. */
static guint
last_attempt_of_set (guint attempt,
                     guint max_attempts)
{
  return ((attempt - 1) / max_attempts + 1) * max_attempts;
}

/* Waits until every chunk claimed before @turn is stored; on success the
 * claim lock is held, for the caller to store its chunk and end the turn. */
static gboolean
wait_for_turn (OrderlyRunner *self,
               gint64         turn)
{
  g_mutex_lock (&self->claim_lock);
  while (self->turn != turn && !g_atomic_int_get (&self->failed))
    g_cond_wait (&self->turn_cond, &self->claim_lock);
  if (g_atomic_int_get (&self->failed))
    {
      g_mutex_unlock (&self->claim_lock);
      return FALSE;
    }
  return TRUE;
}

/* With the claim lock held. */
static void
end_turn (OrderlyRunner *self)
{
  self->turn++;
  g_cond_broadcast (&self->turn_cond);
  g_mutex_unlock (&self->claim_lock);
}

static void
fail_run (OrderlyRunner *self,
          const GError  *error)
{
  g_mutex_lock (&self->lock);
  if (self->record.error_message == NULL)
    self->record.error_message = g_strdup (error->message);
  wake_locked (self);
  g_mutex_unlock (&self->lock);
  g_atomic_int_set (&self->failed, 1);
  g_atomic_int_set (&self->cancelled, 1);
  g_mutex_lock (&self->claim_lock);
  g_cond_broadcast (&self->turn_cond);
  g_mutex_unlock (&self->claim_lock);
}

/* A run is batch work: it yields to the main loop, which serves the
 * window and every remote client, whenever both want a processor. On
 * Linux a nice value applies to the calling thread alone. */
static void
lower_thread_priority (void)
{
#ifdef __linux__
  (void) setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), RUN_THREAD_NICE);
#endif
}

/* Written under the lock, read without it: a worker asks once every few
 * orders. */
static gboolean
is_paused (OrderlyRunner *self)
{
  return g_atomic_int_get (&self->paused) != 0;
}

/* What a worker asks the store for: the phase's orders. */
static void
fill_request (OrderlyRunner       *self,
              OrderlyPriority      priority,
              guint                chunk,
              OrderlyClaimRequest *request)
{
  request->run_id = self->record.id;
  request->priority = priority;
  request->max_orders = chunk;
  request->owner = self->owner;
  request->lease_ms = self->options.lease_ms;
  /* The worker reads its orders once it no longer holds the others up. */
  request->load_later = TRUE;
}

/* With the claim lock held: the turn of a claim just taken, if it was. */
static gint64
assign_turn (OrderlyRunner            *self,
             const OrderlyClaimAnswer *answer)
{
  return answer->claim != NULL ? self->next_turn++ : -1;
}

/* Claims the next orders of the phase. VIP orders that a retry put back
 * come first even in the NORMAL phase: the store refuses NORMAL claims
 * until then. */
static gboolean
take_claim (OrderlyRunner       *self,
            guint                chunk,
            OrderlyClaimAnswer  *answer,
            gint64              *turn,
            GError             **error)
{
  OrderlyClaimRequest request;
  gboolean ok;

  fill_request (self, self->phase_priority, chunk, &request);
  g_mutex_lock (&self->claim_lock);
  ok = orderly_store_claim (self->store, &request, answer, error);
  if (ok && answer->result == ORDERLY_CLAIM_BLOCKED)
    {
      request.priority = ORDERLY_PRIORITY_VIP;
      ok = orderly_store_claim (self->store, &request, answer, error);
      /* VIP orders remain, held elsewhere or waiting for a retry. */
      if (ok && answer->result == ORDERLY_CLAIM_DRAINED)
        answer->result = ORDERLY_CLAIM_LATER;
    }
  *turn = ok ? assign_turn (self, answer) : -1;
  g_mutex_unlock (&self->claim_lock);
  return ok;
}

/* Works on a claim's orders until done, paused or cancelled, filling
 * @outcomes; returns how many were attempted, or -1 if the lease was lost
 * while renewing it. */
static gint
work_on (OrderlyRunner        *self,
         OrderlyClaim         *claim,
         guint                 worker_id,
         OrderlyOrderOutcome  *outcomes,
         char                (*texts)[96],
         GError              **error)
{
  const OrderlyRunnerOptions *options = &self->options;
  const char *priority = orderly_priority_to_string (claim->priority);
  gint64 renewed_at = claim->claimed_at_us;
  guint n = 0;

  for (guint i = 0; i < claim->n_orders; i++)
    {
      OrderlyOrderOutcome *outcome = &outcomes[i];
      guint attempt = claim->attempts_made[i] + 1;
      gint64 id = claim->order_ids[i];

      /* A pause or a cancel takes hold at once with a simulated cost, or
       * within a few hundred orders at full speed: the rest goes back. */
      if ((options->work_us > 0 || i % STOP_CHECK_ORDERS == 0) && (is_paused (self) || is_cancelled (self)))
        break;
      if (options->work_us > 0 && !simulate_work (self))
        break;
      outcome->finished_at_us = g_get_real_time ();
      if (options->lease_ms > 0 && outcome->finished_at_us - renewed_at > options->lease_ms * 1000 / 3)
        {
          if (!orderly_store_renew_claim (self->store, claim, options->lease_ms, error))
            return -1;
          renewed_at = outcome->finished_at_us;
        }
      outcome->worker_id = worker_id;
      if (orderly_runner_attempt_fails (self->record.seed, id, attempt, options->failure_rate))
        {
          guint last = last_attempt_of_set (attempt, options->max_attempts);
          guint retries_before = attempt - (last - options->max_attempts) - 1;

          g_snprintf (texts[i], sizeof texts[i], "Simulated failure on attempt %u of %u",
                      attempt, last);
          outcome->failure = texts[i];
          outcome->observations = NULL;
          outcome->retry_at_us = attempt < last
                                 ? outcome->finished_at_us +
                                   (options->retry_backoff_ms << MIN (retries_before, 20)) * 1000
                                 : 0;
        }
      else
        {
          write_observations (texts[i], priority, id, worker_id);
          outcome->observations = texts[i];
          outcome->failure = NULL;
          outcome->retry_at_us = 0;
        }
      n++;
    }
  return (gint) n;
}

static void
set_busy (OrderlyRunner *self,
          gboolean       busy)
{
  g_mutex_lock (&self->lock);
  if (busy)
    self->busy_workers++;
  else
    {
      self->busy_workers--;
      wake_locked (self);
    }
  g_mutex_unlock (&self->lock);
}

static void
lost_claim (OrderlyRunner *self,
            guint          worker_id,
            const GError  *error)
{
  /* Another worker may have the orders now; nothing was written. */
  g_mutex_lock (&self->lock);
  self->claims_lost++;
  g_mutex_unlock (&self->lock);
  log_line (self, ORDERLY_LOG_LEVEL_WARN, "Worker %u lost its claim: %s", worker_id, error->message);
}

/*
 * A worker claims orders, works on them, and stores their outcomes in the
 * order the claims were taken; while it goes on, it asks for its next
 * orders in the same transaction as it stores the last ones.
 */
static gpointer
worker_main (gpointer data)
{
  Worker *worker = data;
  OrderlyRunner *self = worker->runner;
  guint chunk = self->options.work_us > 0
                ? (guint) CLAMP (PROCESS_CHUNK_TARGET_US / self->options.work_us, 1, PROCESS_CHUNK_MAX)
                : PROCESS_CHUNK_MAX;
  OrderlyOrderOutcome *outcomes = g_new0 (OrderlyOrderOutcome, chunk);
  char (*texts)[96] = g_malloc (chunk * sizeof *texts);
  OrderlyClaimAnswer held = { 0 };
  gint64 turn = -1;

  lower_thread_priority ();

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      OrderlyClaimAnswer next = { 0 };
      OrderlyClaimRequest request;
      gboolean going_on, given_back;
      guint64 seq;
      gint n;

      if (held.claim == NULL)
        {
          g_mutex_lock (&self->lock);
          while (self->paused && !is_cancelled (self))
            g_cond_wait (&self->wake_cond, &self->lock);
          g_mutex_unlock (&self->lock);
          if (is_cancelled (self))
            break;
          seq = wake_seq (self);
          if (!take_claim (self, chunk, &held, &turn, &error))
            {
              fail_run (self, error);
              break;
            }
          if (held.result == ORDERLY_CLAIM_DRAINED)
            break;
          if (held.result != ORDERLY_CLAIM_TAKEN)
            {
              /* Until a claim ends somewhere, or a retry falls due. */
              gint64 until = now_mono () + CLAMP (held.wait_us, 1000, LATER_WAIT_MAX_US);

              g_mutex_lock (&self->lock);
              while (self->wake_seq == seq && !is_cancelled (self) &&
                     g_cond_wait_until (&self->wake_cond, &self->lock, until))
                ;
              g_mutex_unlock (&self->lock);
              continue;
            }
          set_busy (self, TRUE);
        }

      if (!orderly_store_load_claim (self->store, held.claim, &error))
        n = -1;
      else
        n = work_on (self, held.claim, worker->worker_id, outcomes, texts, &error);
      /* A claim that a pause or a cancel left untouched goes back at once:
       * it adds no outcome, so it need not wait for the claims before it
       * to be stored. */
      given_back = n == 0 && (is_paused (self) || is_cancelled (self));
      if (given_back)
        orderly_store_complete_claim (self->store, held.claim, outcomes, 0, NULL, NULL, &error);
      if (!wait_for_turn (self, turn))
        {
          orderly_claim_answer_clear (&held);
          set_busy (self, FALSE);
          break;
        }
      going_on = !is_cancelled (self) && !is_paused (self);
      fill_request (self, self->phase_priority, chunk, &request);
      if (n >= 0 && !given_back &&
          orderly_store_complete_claim (self->store, held.claim, outcomes, (guint) n,
                                        going_on ? &request : NULL, &next, &error))
        {
          g_mutex_lock (&self->lock);
          self->processed_here += n;
          g_mutex_unlock (&self->lock);
        }
      turn = error == NULL ? assign_turn (self, &next) : -1;
      end_turn (self);

      orderly_claim_answer_clear (&held);
      if (next.claim != NULL)
        held = next;
      else
        {
          orderly_claim_answer_clear (&next);
          set_busy (self, FALSE);
        }

      if (g_error_matches (error, ORDERLY_ERROR, ORDERLY_ERROR_LEASE_EXPIRED))
        lost_claim (self, worker->worker_id, error);
      else if (error != NULL)
        {
          fail_run (self, error);
          break;
        }
    }

  g_mutex_lock (&self->lock);
  self->workers_left--;
  wake_locked (self);
  g_mutex_unlock (&self->lock);

  g_free (texts);
  g_free (outcomes);
  g_free (worker);
  return NULL;
}

static gboolean
drain_queue (OrderlyRunner    *self,
             OrderlyPriority   priority,
             GError          **error)
{
  guint n_workers = MAX (self->record.workers, 1);
  g_autoptr(GPtrArray) threads = g_ptr_array_new ();
  gboolean ok = TRUE;

  self->phase_priority = priority;
  self->workers_left = n_workers;
  for (guint i = 0; i < n_workers; i++)
    {
      Worker *worker = g_new0 (Worker, 1);
      g_autofree char *name = g_strdup_printf ("orderly-worker-%u", i + 1);

      worker->runner = self;
      worker->worker_id = i + 1;
      g_ptr_array_add (threads, g_thread_new (name, worker_main, worker));
    }

  g_mutex_lock (&self->lock);
  while (self->workers_left > 0)
    {
      g_cond_wait_until (&self->wake_cond, &self->lock, now_mono () + REFRESH_US);
      g_mutex_unlock (&self->lock);
      if (ok && !coordinate (self, FALSE, error))
        {
          ok = FALSE;
          /* The workers see it and stop. */
          g_atomic_int_set (&self->cancelled, 1);
          g_mutex_lock (&self->lock);
          wake_locked (self);
          g_mutex_unlock (&self->lock);
        }
      g_mutex_lock (&self->lock);
    }
  g_mutex_unlock (&self->lock);

  for (guint i = 0; i < threads->len; i++)
    g_thread_join (g_ptr_array_index (threads, i));
  if (ok && !coordinate (self, TRUE, error))
    ok = FALSE;
  return ok;
}

static gint64
unsettled (OrderlyRunner   *self,
           OrderlyPriority  priority)
{
  gint64 count;

  g_mutex_lock (&self->lock);
  count = ORDERLY_COUNTS_UNSETTLED (&self->counts.priority[priority]);
  g_mutex_unlock (&self->lock);
  return count;
}

static gboolean
process_priority (OrderlyRunner    *self,
                  OrderlyPriority   priority,
                  GError          **error)
{
  gboolean vip = priority == ORDERLY_PRIORITY_VIP;
  const OrderlyPriorityCounts *counts = &self->counts.priority[priority];
  gint64 enqueue_start;
  g_autofree char *count_text = NULL;
  g_autofree char *time_text = NULL;
  double enqueue_ms, done_ms;
  gint64 waiting;

  if (!enter_phase (self, vip ? ORDERLY_PHASE_ENQUEUE_VIP : ORDERLY_PHASE_ENQUEUE_NORMAL, error))
    return FALSE;
  /* The queue is the store's: enqueuing is reading how much of it waits. */
  enqueue_start = now_mono ();
  if (!coordinate (self, TRUE, error))
    return FALSE;
  enqueue_ms = (now_mono () - enqueue_start) / 1000.0;
  g_mutex_lock (&self->lock);
  if (vip)
    self->record.enqueue_vip_ms += enqueue_ms;
  else
    self->record.enqueue_normal_ms += enqueue_ms;
  waiting = counts->waiting + counts->delayed;
  g_mutex_unlock (&self->lock);
  count_text = orderly_text_count (waiting);
  time_text = orderly_text_duration_ms (enqueue_ms);
  log_line (self, ORDERLY_LOG_LEVEL_LOG, "Queued %s %s orders in %s", count_text,
            orderly_text_priority (priority), time_text);

  if (!enter_phase (self, vip ? ORDERLY_PHASE_WAITING_VIP_DRAIN : ORDERLY_PHASE_WAITING_NORMAL_DRAIN,
                    error))
    return FALSE;

  g_mutex_lock (&self->lock);
  self->phase_base_ms = vip ? self->record.vip_ms : self->record.normal_ms;
  if (vip && self->record.vip_start_us == 0)
    self->record.vip_start_us = g_get_real_time ();
  else if (!vip && self->record.normal_start_us == 0)
    self->record.normal_start_us = g_get_real_time ();
  g_mutex_unlock (&self->lock);

  if (unsettled (self, priority) > 0 && !drain_queue (self, priority, error))
    return FALSE;

  g_mutex_lock (&self->lock);
  done_ms = phase_ms_locked (self);
  if (vip)
    {
      self->record.vip_ms = done_ms;
      self->record.vip_end_us = g_get_real_time ();
    }
  else
    {
      self->record.normal_ms = done_ms;
      self->record.normal_end_us = g_get_real_time ();
    }
  g_mutex_unlock (&self->lock);

  if (g_atomic_int_get (&self->failed))
    {
      g_set_error_literal (error, ORDERLY_ERROR, ORDERLY_ERROR_STORAGE,
                           self->record.error_message ? self->record.error_message : "Processing failed");
      return FALSE;
    }
  if (!is_cancelled (self))
    {
      g_free (count_text);
      g_free (time_text);
      count_text = orderly_text_count (ORDERLY_COUNTS_PROCESSED (counts));
      time_text = orderly_text_duration_ms (done_ms);
      log_line (self, ORDERLY_LOG_LEVEL_LOG, "Processed %s %s orders in %s", count_text,
                orderly_text_priority (priority), time_text);
      if (ORDERLY_COUNTS_FAILED (counts) > 0)
        {
          g_autofree char *failed = orderly_text_count (ORDERLY_COUNTS_FAILED (counts));

          log_line (self, ORDERLY_LOG_LEVEL_WARN, "%s %s orders failed after their last attempt",
                    failed, orderly_text_priority (priority));
        }
    }
  return TRUE;
}

static void
finish (OrderlyRunner *self,
        OrderlyPhase   phase,
        const GError  *error)
{
  g_autoptr(GError) save_error = NULL;
  g_autofree char *processed_text = NULL;
  g_autofree char *time_text = NULL;
  gint64 processed, here;
  /* A helper's part ends, not the run: the run's instance ends it, and
   * stores how. */
  gboolean part_done = self->options.helper && phase != ORDERLY_PHASE_ERROR;

  /* The last word on the counts, from the store. */
  if (g_atomic_int_get (&self->begun) && !refresh_counts (self, &save_error))
    g_clear_error (&save_error);

  g_mutex_lock (&self->lock);
  if (!part_done)
    self->record.phase = phase;
  if (orderly_phase_is_terminal (phase))
    self->record.finished_at_us = g_get_real_time ();
  self->record.total_ms = self->total_base_ms + work_clock_locked (self) / 1000.0;
  if (error != NULL && self->record.error_message == NULL)
    self->record.error_message = g_strdup (error->message);
  processed = ORDERLY_COUNTS_PROCESSED (&self->counts.priority[0]) +
              ORDERLY_COUNTS_PROCESSED (&self->counts.priority[1]);
  here = self->processed_here;
  g_mutex_unlock (&self->lock);

  if (g_atomic_int_get (&self->begun))
    {
      add_sample (self);
      if (!save_record (self, &save_error))
        log_line (self, ORDERLY_LOG_LEVEL_ERROR, "Could not save run %" G_GINT64_FORMAT ": %s",
                  self->record.id, save_error->message);
    }

  if (part_done)
    {
      g_autofree char *here_text = orderly_text_count (here);

      log_line (self, ORDERLY_LOG_LEVEL_LOG, "Run %" G_GINT64_FORMAT ": %s; %s orders processed here",
                self->record.id, phase == ORDERLY_PHASE_DONE ? "nothing left to claim"
                                 : phase == ORDERLY_PHASE_ABORTED ? "cancelled" : "stopped helping",
                here_text);
      g_atomic_int_set (&self->finished, 1);
      return;
    }

  processed_text = orderly_text_count (processed);
  switch (phase)
    {
    case ORDERLY_PHASE_DONE:
      time_text = orderly_text_duration_ms (self->record.total_ms);
      log_line (self, ORDERLY_LOG_LEVEL_LOG,
                "Run %" G_GINT64_FORMAT " is done: %s orders processed in %s",
                self->record.id, processed_text, time_text);
      break;
    case ORDERLY_PHASE_ABORTED:
      log_line (self, ORDERLY_LOG_LEVEL_WARN,
                "Run %" G_GINT64_FORMAT " was cancelled with %s orders processed",
                self->record.id, processed_text);
      break;
    case ORDERLY_PHASE_ERROR:
      if (g_atomic_int_get (&self->begun))
        log_line (self, ORDERLY_LOG_LEVEL_ERROR, "Run %" G_GINT64_FORMAT " failed: %s",
                  self->record.id, self->record.error_message ? self->record.error_message : "unknown error");
      else
        log_line (self, ORDERLY_LOG_LEVEL_ERROR, "The run could not start: %s",
                  self->record.error_message ? self->record.error_message : "unknown error");
      break;
    default:
      log_line (self, ORDERLY_LOG_LEVEL_WARN,
                "Run %" G_GINT64_FORMAT " stopped while %s, with %s orders processed; "
                "resume it after the restart", self->record.id, orderly_text_phase (phase),
                processed_text);
      break;
    }
  g_atomic_int_set (&self->finished, 1);
}

/* Creates the new run's row, or takes the interrupted one back. */
static gboolean
begin (OrderlyRunner  *self,
       GError        **error)
{
  if (!self->resume)
    {
      OrderlyRunRecord record;
      gboolean ok;

      g_mutex_lock (&self->lock);
      record = self->record;
      g_mutex_unlock (&self->lock);
      record.error_message = NULL;
      record.check_message = NULL;
      ok = orderly_store_begin_run (self->store, &record, error);
      if (!ok)
        return FALSE;
      g_mutex_lock (&self->lock);
      self->record.id = record.id;
      g_mutex_unlock (&self->lock);
      return TRUE;
    }

  /* A store of its own: claims it holds were left by a process that is
   * gone, whether their leases have run out or not. */
  if (!orderly_store_is_shared (self->store))
    {
      gint64 released = 0;

      if (!orderly_store_release_claims (self->store, self->record.id, FALSE, 0, &released, error))
        return FALSE;
      if (released > 0)
        {
          g_autofree char *text = orderly_text_count (released);

          log_line (self, ORDERLY_LOG_LEVEL_LOG, "%s orders claimed before the interruption "
                    "went back to the queue", text);
        }
    }
  return TRUE;
}

static gpointer
runner_main (gpointer data)
{
  OrderlyRunner *self = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *generated_text = NULL;
  g_autofree char *quantity_text = NULL;
  g_autofree char *processed_text = NULL;
  gboolean begun_ok;
  double generation_start;

  lower_thread_priority ();

  begun_ok = begin (self, &error);
  if (begun_ok)
    g_atomic_int_set (&self->begun, 1);
  if (self->begun_func != NULL)
    self->begun_func (begun_ok ? self->record.id : 0, error, self->begun_data);
  if (!begun_ok)
    goto failed;
  if (!refresh_counts (self, &error))
    goto failed;

  if (self->resume)
    {
      g_mutex_lock (&self->lock);
      self->generated = self->counts.priority[0].generated + self->counts.priority[1].generated;
      self->vip_generated = self->counts.priority[0].generated;
      self->normal_generated = self->counts.priority[1].generated;
      g_mutex_unlock (&self->lock);
    }
  processed_text = orderly_text_count (ORDERLY_COUNTS_PROCESSED (&self->counts.priority[0]) +
                                       ORDERLY_COUNTS_PROCESSED (&self->counts.priority[1]));
  quantity_text = orderly_text_count (self->record.quantity);
  if (self->options.helper)
    log_line (self, ORDERLY_LOG_LEVEL_LOG, "Helping with run %" G_GINT64_FORMAT " while %s: %s of %s "
              "orders processed, %u workers here", self->record.id,
              orderly_text_phase (self->record.phase), processed_text, quantity_text,
              self->record.workers);
  else if (self->resume)
    {
      generated_text = orderly_text_count (self->generated);
      log_line (self, ORDERLY_LOG_LEVEL_LOG, "Resuming run %" G_GINT64_FORMAT ": %s of %s orders "
                "generated, %s processed%s", self->record.id, generated_text, quantity_text,
                processed_text, self->paused ? "; the queue stays paused" : "");
    }
  else
    log_line (self, ORDERLY_LOG_LEVEL_LOG, "Run %" G_GINT64_FORMAT " started: %s orders, "
              "%.1f%% of them VIP, %u workers, seed %" G_GUINT64_FORMAT, self->record.id,
              quantity_text, self->record.vip_share * 100, self->record.workers,
              self->record.seed);

  if (!enter_phase (self, ORDERLY_PHASE_GENERATING, &error))
    goto failed;
  g_mutex_lock (&self->lock);
  self->phase_base_ms = self->record.generation_ms;
  generation_start = self->phase_base_ms;
  g_mutex_unlock (&self->lock);
  if (!generate (self, &error))
    goto failed;
  g_mutex_lock (&self->lock);
  self->record.generation_ms = phase_ms_locked (self);
  g_mutex_unlock (&self->lock);
  if (is_cancelled (self))
    goto cancelled;
  if (self->record.generation_ms > generation_start)
    {
      g_autofree char *vip_text = orderly_text_count (self->vip_generated);
      g_autofree char *normal_text = orderly_text_count (self->normal_generated);
      g_autofree char *time_text = orderly_text_duration_ms (self->record.generation_ms);

      g_free (generated_text);
      generated_text = orderly_text_count (self->generated);
      log_line (self, ORDERLY_LOG_LEVEL_LOG, "Generated %s orders (%s VIP, %s normal) in %s",
                generated_text, vip_text, normal_text, time_text);
    }

  if (!process_priority (self, ORDERLY_PRIORITY_VIP, &error))
    goto failed;
  if (is_cancelled (self))
    goto cancelled;
  if (!process_priority (self, ORDERLY_PRIORITY_NORMAL, &error))
    goto failed;
  if (is_cancelled (self))
    goto cancelled;

  finish (self, ORDERLY_PHASE_DONE, NULL);
  return NULL;

cancelled:
  if (g_atomic_int_get (&self->suspended))
    finish (self, self->record.phase, NULL);
  else
    finish (self, ORDERLY_PHASE_ABORTED, NULL);
  return NULL;

failed:
  finish (self, ORDERLY_PHASE_ERROR, error);
  return NULL;
}

/**
 * orderly_runner_start:
 * @record: the run. For a new one, what to create (its id is assigned when
 *   it has begun); for a resumed one, its stored row
 * @resume: whether @record is an interrupted run to go on with
 * @begun: (nullable) (scope async): told once the run has begun, or could not
 *
 * Starts the run's coordinating thread. Its first step, on that thread,
 * is the store's: begin the new run in one transaction, or give back the
 * claims an interrupted one left.
 */
OrderlyRunner *
orderly_runner_start (OrderlyStore                *store,
                      OrderlyLogQueue             *logs,
                      const OrderlyRunRecord      *record,
                      gboolean                     resume,
                      const OrderlyRunnerOptions  *options,
                      OrderlyRunnerBegunFunc       begun,
                      gpointer                     begun_data,
                      GError                     **error)
{
  OrderlyRunner *self;

  g_return_val_if_fail (ORDERLY_IS_STORE (store), NULL);
  g_return_val_if_fail (record != NULL, NULL);
  g_return_val_if_fail (!resume || record->id > 0, NULL);
  g_return_val_if_fail (options != NULL && options->owner != NULL, NULL);

  self = g_new0 (OrderlyRunner, 1);
  self->store = g_object_ref (store);
  self->logs = logs;
  self->options = *options;
  self->owner = g_strdup (options->owner);
  self->options.owner = self->owner;
  self->options.work_us = MAX (options->work_us, 0);
  self->options.max_attempts = MAX (options->max_attempts, 1);
  self->options.retry_backoff_ms = MAX (options->retry_backoff_ms, 0);
  self->options.lease_ms = MAX (options->lease_ms, 0);
  self->resume = resume;
  self->begun_func = begun;
  self->begun_data = begun_data;
  g_mutex_init (&self->lock);
  g_mutex_init (&self->claim_lock);
  g_cond_init (&self->wake_cond);
  g_cond_init (&self->turn_cond);
  self->record = *record;
  self->record.error_message = NULL;
  self->record.check_message = NULL;
  self->record.check_state = ORDERLY_RUN_CHECK_NONE;
  self->record.finished_at_us = 0;
  self->record.failure_rate = self->options.failure_rate;
  self->record.max_attempts = self->options.max_attempts;
  self->start_mono = now_mono ();
  self->last_sample = self->start_mono - SAMPLE_US;
  self->paused = options->paused;
  self->saved_paused = resume ? record->paused : options->paused;
  if (self->paused)
    self->paused_since = self->start_mono;
  self->record.paused = options->paused;
  if (resume)
    {
      self->total_base_ms = record->total_ms;
      self->paused_base_ms = record->paused_ms;
    }
  else
    {
      self->record.id = 0;
      self->record.phase = ORDERLY_PHASE_GENERATING;
    }
  self->record.paused_ms = self->paused_base_ms;

  self->thread = g_thread_try_new ("orderly-run", runner_main, self, error);
  if (self->thread == NULL)
    {
      orderly_runner_free (self);
      return NULL;
    }
  return self;
}

static void
wake (OrderlyRunner *self)
{
  g_mutex_lock (&self->lock);
  wake_locked (self);
  g_mutex_unlock (&self->lock);
}

void
orderly_runner_cancel (OrderlyRunner *self)
{
  g_atomic_int_set (&self->cancelled, 1);
  wake (self);
}

/**
 * orderly_runner_suspend:
 *
 * Stops the run like a cancel, but leaves it in its phase so that it is found
 * interrupted, and can be resumed, the next time the store is opened.
 */
void
orderly_runner_suspend (OrderlyRunner *self)
{
  g_atomic_int_set (&self->suspended, 1);
  orderly_runner_cancel (self);
}

/**
 * orderly_runner_set_paused:
 *
 * Pauses or resumes the queue: while paused, no worker claims orders (one
 * holding some stores what it did and gives the rest back, the order under
 * way too if its simulated cost is still being paid), generation stops
 * between batches, and the phase stays.
 * The flag is stored with the run.
 */
void
orderly_runner_set_paused (OrderlyRunner *self,
                           gboolean       paused)
{
  gint64 now = now_mono ();

  g_mutex_lock (&self->lock);
  if (self->paused != paused)
    {
      g_atomic_int_set (&self->paused, paused);
      if (paused)
        self->paused_since = now;
      else
        {
          self->paused_us += now - self->paused_since;
          self->paused_since = 0;
        }
      wake_locked (self);
    }
  g_mutex_unlock (&self->lock);
}

gboolean
orderly_runner_is_paused (OrderlyRunner *self)
{
  gboolean paused;

  g_mutex_lock (&self->lock);
  paused = self->paused;
  g_mutex_unlock (&self->lock);
  return paused;
}

gboolean
orderly_runner_is_finished (OrderlyRunner *self)
{
  return g_atomic_int_get (&self->finished) != 0;
}

void
orderly_runner_join (OrderlyRunner *self)
{
  if (self->thread != NULL)
    g_thread_join (g_steal_pointer (&self->thread));
}

void
orderly_runner_free (OrderlyRunner *self)
{
  if (self == NULL)
    return;
  orderly_runner_cancel (self);
  orderly_runner_join (self);
  orderly_run_record_clear (&self->record);
  g_object_unref (self->store);
  g_free (self->owner);
  g_cond_clear (&self->turn_cond);
  g_cond_clear (&self->wake_cond);
  g_mutex_clear (&self->claim_lock);
  g_mutex_clear (&self->lock);
  g_free (self);
}

/**
 * orderly_runner_snapshot:
 *
 * Copies the run's state as of now; durations of the phase under way include
 * the time worked in it so far. Free with orderly_run_record_clear
 * (&snapshot->record).
 */
void
orderly_runner_snapshot (OrderlyRunner         *self,
                         OrderlyRunnerSnapshot *snapshot)
{
  g_mutex_lock (&self->lock);
  fill_record_locked (self, &snapshot->record);
  snapshot->counts = self->counts;
  snapshot->begun = g_atomic_int_get (&self->begun) != 0;
  snapshot->paused = self->paused;
  snapshot->busy_workers = self->busy_workers;
  snapshot->claims_lost = self->claims_lost;
  snapshot->processed_here = self->processed_here;

  /* Before the run has begun, its clocks have not started. */
  if (snapshot->begun && !g_atomic_int_get (&self->finished))
    {
      double running_ms = phase_ms_locked (self);

      snapshot->record.total_ms = self->total_base_ms + work_clock_locked (self) / 1000.0;
      switch (self->record.phase)
        {
        case ORDERLY_PHASE_GENERATING:
          snapshot->record.generation_ms = running_ms;
          break;
        case ORDERLY_PHASE_WAITING_VIP_DRAIN:
          snapshot->record.vip_ms = running_ms;
          break;
        case ORDERLY_PHASE_WAITING_NORMAL_DRAIN:
          snapshot->record.normal_ms = running_ms;
          break;
        default:
          break;
        }
    }
  g_mutex_unlock (&self->lock);
}
