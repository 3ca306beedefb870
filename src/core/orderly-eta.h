/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ORDERLY_ETA_SAMPLES 64

/*
 * OrderlyEta: the rate of the step under way, measured over its recent
 * past (a few seconds of working time), for estimates that follow a change
 * of speed instead of averaging it away.
 */
typedef struct
{
  double  work_ms[ORDERLY_ETA_SAMPLES];
  gint64  done[ORDERLY_ETA_SAMPLES];
  guint   first;
  guint   count;
  int     step;
} OrderlyEta;

void    orderly_eta_reset (OrderlyEta *self);
void    orderly_eta_add   (OrderlyEta *self,
                           int         step,
                           double      work_ms,
                           gint64      done);
double  orderly_eta_rate  (const OrderlyEta *self,
                           int               step);

G_END_DECLS
