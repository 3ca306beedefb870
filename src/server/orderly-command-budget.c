/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-server"

#include "config.h"

#include "orderly-command-budget.h"
#include "orderly-server-limits.h"

/* Every message a live client sends costs a reply, and most cost the
 * dispatcher some work: a client that sends faster than any person or
 * dashboard would is told so instead of being served. */

/**
 * orderly_command_budget_init:
 * @now_us: the monotonic time
 *
 * Starts with a full bucket.
 */
void
orderly_command_budget_init (OrderlyCommandBudget *self,
                             gint64                now_us)
{
  self->refilled_us = now_us;
  self->available = ORDERLY_SERVER_COMMAND_BURST;
}

/**
 * orderly_command_budget_take:
 * @now_us: the monotonic time
 *
 * Returns: whether one more command may be served now; if so it is counted
 */
gboolean
orderly_command_budget_take (OrderlyCommandBudget *self,
                             gint64                now_us)
{
  if (now_us > self->refilled_us)
    {
      self->available += (double) (now_us - self->refilled_us) * ORDERLY_SERVER_COMMAND_RATE / G_USEC_PER_SEC;
      self->available = MIN (self->available, ORDERLY_SERVER_COMMAND_BURST);
      self->refilled_us = now_us;
    }
  if (self->available < 1)
    return FALSE;
  self->available -= 1;
  return TRUE;
}

/**
 * orderly_command_budget_refusal:
 *
 * Returns: what a client over its budget is told, with status 429
 */
const char *
orderly_command_budget_refusal (void)
{
  return "Too many messages: at most " G_STRINGIFY (ORDERLY_SERVER_COMMAND_RATE)
         " a second (bursts of " G_STRINGIFY (ORDERLY_SERVER_COMMAND_BURST) ")";
}
