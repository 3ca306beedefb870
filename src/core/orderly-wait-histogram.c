/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-store"

#include "config.h"

#include <math.h>
#include <string.h>

#include "orderly-wait-histogram.h"

/**
 * orderly_wait_histogram_bucket:
 * @wait_us: a wait in microseconds
 *
 * With w = @wait_us + 1, the bucket is w's octave (the position of its
 * highest bit) and the eighth of that octave it falls in (the next three
 * bits). No floating point: this runs for every order.
 *
 * Returns: the bucket of @wait_us
 */
guint
orderly_wait_histogram_bucket (gint64 wait_us)
{
  guint64 w = (guint64) MAX (wait_us, 0) + 1;
  guint octave = 63 - __builtin_clzll (w);
  guint step;

  if (octave >= ORDERLY_WAIT_BUCKETS / ORDERLY_WAIT_BUCKETS_PER_OCTAVE)
    return ORDERLY_WAIT_BUCKETS - 1;
  step = octave >= 3 ? (guint) ((w >> (octave - 3)) & 7)
                     : (guint) ((w << (3 - octave)) & 7);
  return octave * ORDERLY_WAIT_BUCKETS_PER_OCTAVE + step;
}

/**
 * orderly_wait_histogram_bucket_value:
 *
 * Returns: the wait, in µs, that stands for @bucket: its geometric middle
 */
gint64
orderly_wait_histogram_bucket_value (guint bucket)
{
  guint octave = bucket / ORDERLY_WAIT_BUCKETS_PER_OCTAVE;
  guint step = bucket % ORDERLY_WAIT_BUCKETS_PER_OCTAVE;
  double base = ldexp (1.0, (int) octave);
  double low = base * (1 + (double) step / ORDERLY_WAIT_BUCKETS_PER_OCTAVE);
  double high = base * (1 + (double) (step + 1) / ORDERLY_WAIT_BUCKETS_PER_OCTAVE);

  return (gint64) MAX (sqrt (low * high) - 1, 0);
}

void
orderly_wait_histogram_add (OrderlyWaitHistogram *self,
                            gint64                wait_us)
{
  self->counts[orderly_wait_histogram_bucket (wait_us)]++;
  self->total++;
}

void
orderly_wait_histogram_merge (OrderlyWaitHistogram       *self,
                              const OrderlyWaitHistogram *other)
{
  for (guint i = 0; i < ORDERLY_WAIT_BUCKETS; i++)
    self->counts[i] += other->counts[i];
  self->total += other->total;
}

/**
 * orderly_wait_histogram_quantile:
 * @quantile: between 0 and 1, e.g. 0.5 for the median
 *
 * Returns: the wait, in µs, below which @quantile of the orders fall, or
 *   -1 if the histogram is empty
 */
gint64
orderly_wait_histogram_quantile (const OrderlyWaitHistogram *self,
                                 double                      quantile)
{
  guint64 rank, seen = 0;

  if (self->total == 0)
    return -1;
  rank = (guint64) ceil (CLAMP (quantile, 0, 1) * self->total);
  rank = CLAMP (rank, 1, self->total);
  for (guint i = 0; i < ORDERLY_WAIT_BUCKETS; i++)
    {
      seen += self->counts[i];
      if (seen >= rank)
        return orderly_wait_histogram_bucket_value (i);
    }
  return orderly_wait_histogram_bucket_value (ORDERLY_WAIT_BUCKETS - 1);
}
