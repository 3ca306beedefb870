/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Eight buckets per doubling of the wait, from 1 µs to about 12 days. */
#define ORDERLY_WAIT_BUCKETS_PER_OCTAVE 8
#define ORDERLY_WAIT_BUCKETS            (40 * ORDERLY_WAIT_BUCKETS_PER_OCTAVE)

/**
 * OrderlyWaitHistogram:
 * @counts: orders per bucket of their wait, from creation to processing
 * @total: the sum of @counts
 *
 * How long orders waited, in logarithmic buckets: a quantile read from it is
 * within 6 % of the exact one.
 */
typedef struct
{
  guint64 counts[ORDERLY_WAIT_BUCKETS];
  guint64 total;
} OrderlyWaitHistogram;

guint   orderly_wait_histogram_bucket       (gint64                      wait_us);
gint64  orderly_wait_histogram_bucket_value (guint                       bucket);
void    orderly_wait_histogram_add          (OrderlyWaitHistogram       *self,
                                             gint64                      wait_us);
void    orderly_wait_histogram_merge        (OrderlyWaitHistogram       *self,
                                             const OrderlyWaitHistogram *other);
gint64  orderly_wait_histogram_quantile     (const OrderlyWaitHistogram *self,
                                             double                      quantile);

G_END_DECLS
