/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-engine"

#include "config.h"

#include "orderly-eta.h"

/* The rate is measured over this much working time, once it has this much. */
#define WINDOW_MS 5000.0
#define MIN_SPAN_MS 300.0

void
orderly_eta_reset (OrderlyEta *self)
{
  self->first = 0;
  self->count = 0;
  self->step = -1;
}

/**
 * orderly_eta_add:
 * @step: which step @done counts (generation, processing); a new step
 *   starts a new measurement
 * @work_ms: working time so far (paused time left out)
 * @done: units of the step done so far
 */
void
orderly_eta_add (OrderlyEta *self,
                 int         step,
                 double      work_ms,
                 gint64      done)
{
  guint last;

  if (self->step != step)
    {
      orderly_eta_reset (self);
      self->step = step;
    }
  if (self->count > 0)
    {
      last = (self->first + self->count - 1) % ORDERLY_ETA_SAMPLES;
      /* Time stands still while paused: keep the samples from before. */
      if (work_ms <= self->work_ms[last])
        return;
      /* Until the step makes its first progress (its threads starting, the
       * store clearing the last run), the rate is not measured yet. */
      if (self->count == 1 && done == self->done[last])
        {
          self->work_ms[last] = work_ms;
          return;
        }
    }
  if (self->count == ORDERLY_ETA_SAMPLES)
    {
      self->first = (self->first + 1) % ORDERLY_ETA_SAMPLES;
      self->count--;
    }
  last = (self->first + self->count) % ORDERLY_ETA_SAMPLES;
  self->work_ms[last] = work_ms;
  self->done[last] = done;
  self->count++;
}

/**
 * orderly_eta_rate:
 *
 * Returns: units per millisecond of @step over the recent window, or 0 if
 *   there is not enough of it yet
 */
double
orderly_eta_rate (const OrderlyEta *self,
                  int               step)
{
  guint last, oldest;
  double span;

  if (self->step != step || self->count < 2)
    return 0;
  last = (self->first + self->count - 1) % ORDERLY_ETA_SAMPLES;
  oldest = self->first;
  for (guint i = 0; i < self->count; i++)
    {
      guint at = (self->first + i) % ORDERLY_ETA_SAMPLES;

      if (self->work_ms[last] - self->work_ms[at] <= WINDOW_MS)
        {
          oldest = at;
          break;
        }
    }
  span = self->work_ms[last] - self->work_ms[oldest];
  if (span < MIN_SPAN_MS)
    {
      oldest = self->first;
      span = self->work_ms[last] - self->work_ms[oldest];
      if (span < MIN_SPAN_MS)
        return 0;
    }
  return (self->done[last] - self->done[oldest]) / span;
}
