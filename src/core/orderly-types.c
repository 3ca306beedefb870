/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-core"

#include "config.h"

#include "orderly-types.h"

G_DEFINE_QUARK (orderly-error-quark, orderly_error)

static const char * const phase_names[] = {
  [ORDERLY_PHASE_IDLE] = "IDLE",
  [ORDERLY_PHASE_GENERATING] = "GENERATING",
  [ORDERLY_PHASE_ENQUEUE_VIP] = "ENQUEUE_VIP",
  [ORDERLY_PHASE_WAITING_VIP_DRAIN] = "WAITING_VIP_DRAIN",
  [ORDERLY_PHASE_ENQUEUE_NORMAL] = "ENQUEUE_NORMAL",
  [ORDERLY_PHASE_WAITING_NORMAL_DRAIN] = "WAITING_NORMAL_DRAIN",
  [ORDERLY_PHASE_DONE] = "DONE",
  [ORDERLY_PHASE_ABORTED] = "ABORTED",
  [ORDERLY_PHASE_ERROR] = "ERROR",
  [ORDERLY_PHASE_INTERRUPTED] = "INTERRUPTED",
};

const char *
orderly_phase_to_string (OrderlyPhase phase)
{
  g_return_val_if_fail (phase < G_N_ELEMENTS (phase_names), "IDLE");
  return phase_names[phase];
}

gboolean
orderly_phase_from_string (const char   *string,
                           OrderlyPhase *phase)
{
  g_return_val_if_fail (phase != NULL, FALSE);

  for (guint i = 0; string != NULL && i < G_N_ELEMENTS (phase_names); i++)
    {
      if (g_str_equal (string, phase_names[i]))
        {
          *phase = i;
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
orderly_phase_is_active (OrderlyPhase phase)
{
  return phase >= ORDERLY_PHASE_GENERATING && phase <= ORDERLY_PHASE_WAITING_NORMAL_DRAIN;
}

gboolean
orderly_phase_is_terminal (OrderlyPhase phase)
{
  return phase == ORDERLY_PHASE_DONE ||
         phase == ORDERLY_PHASE_ABORTED ||
         phase == ORDERLY_PHASE_ERROR;
}

const char *
orderly_priority_to_string (OrderlyPriority priority)
{
  return priority == ORDERLY_PRIORITY_VIP ? "VIP" : "NORMAL";
}

static const char * const job_state_names[] = {
  [ORDERLY_JOB_STATE_WAITING] = "waiting",
  [ORDERLY_JOB_STATE_ACTIVE] = "active",
  [ORDERLY_JOB_STATE_COMPLETED] = "completed",
  [ORDERLY_JOB_STATE_FAILED] = "failed",
  [ORDERLY_JOB_STATE_DELAYED] = "delayed",
  [ORDERLY_JOB_STATE_PAUSED] = "paused",
};

/**
 * orderly_job_state_to_string:
 *
 * Returns: the state's name in a job queue's words: "waiting", "active", …
 */
const char *
orderly_job_state_to_string (OrderlyJobState state)
{
  g_return_val_if_fail (state < G_N_ELEMENTS (job_state_names), "waiting");
  return job_state_names[state];
}

gboolean
orderly_job_state_from_string (const char      *string,
                               OrderlyJobState *state)
{
  g_return_val_if_fail (state != NULL, FALSE);

  for (guint i = 0; string != NULL && i < G_N_ELEMENTS (job_state_names); i++)
    {
      if (g_str_equal (string, job_state_names[i]))
        {
          *state = i;
          return TRUE;
        }
    }
  return FALSE;
}

static const char * const level_names[] = { "log", "warn", "error" };

const char *
orderly_log_level_to_string (OrderlyLogLevel level)
{
  g_return_val_if_fail (level < G_N_ELEMENTS (level_names), "log");
  return level_names[level];
}

gboolean
orderly_log_level_from_string (const char      *string,
                               OrderlyLogLevel *level)
{
  g_return_val_if_fail (level != NULL, FALSE);

  for (guint i = 0; string != NULL && i < G_N_ELEMENTS (level_names); i++)
    {
      if (g_str_equal (string, level_names[i]))
        {
          *level = i;
          return TRUE;
        }
    }
  return FALSE;
}
