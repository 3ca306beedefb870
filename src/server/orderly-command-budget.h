/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * OrderlyCommandBudget:
 *
 * How many commands one live client may still send: a bucket of
 * %ORDERLY_SERVER_COMMAND_BURST that refills at %ORDERLY_SERVER_COMMAND_RATE
 * a second. Lives inside the client that it limits.
 */
typedef struct
{
  gint64 refilled_us;
  double available;
} OrderlyCommandBudget;

void     orderly_command_budget_init (OrderlyCommandBudget *self,
                                      gint64                now_us);
gboolean orderly_command_budget_take (OrderlyCommandBudget *self,
                                      gint64                now_us);

const char *orderly_command_budget_refusal (void);

G_END_DECLS
