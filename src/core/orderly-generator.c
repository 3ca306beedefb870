/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-generator"

#include "config.h"

#include "orderly-generator.h"

/*
 * Each order is a pure function of (seed, index): a run can stop after any
 * batch and generate the rest later, and the same seed always gives the same
 * orders, whatever the batch size.
 */

static const char * const first_names[] = {
  "Ana", "Bruno", "Carla", "Diego", "Elisa", "Felipe", "Gabriela", "Heitor",
  "Isabela", "João", "Karina", "Lucas", "Mariana", "Nicolas", "Olívia", "Pedro",
  "Rafaela", "Samuel", "Tatiana", "Vinícius",
};

static const char * const last_names[] = {
  "Almeida", "Barbosa", "Cardoso", "Dias", "Ferreira", "Gomes", "Lima", "Martins",
  "Nascimento", "Oliveira", "Pereira", "Ribeiro", "Santos", "Souza", "Teixeira", "Vieira",
};

static inline guint64
splitmix64 (guint64 x)
{
  x += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15);
  x = (x ^ (x >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  x = (x ^ (x >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return x ^ (x >> 31);
}

/**
 * orderly_generate_order:
 * @index: the order's position in its run, from 0; its id is @index + 1
 *
 * Fills @order deterministically from @seed and @index.
 */
void
orderly_generate_order (guint64       seed,
                        gint64        run_id,
                        gint64        index,
                        double        vip_share,
                        gint64        created_at_us,
                        OrderlyOrder *order)
{
  guint64 h1 = splitmix64 (seed ^ splitmix64 ((guint64) index));
  guint64 h2 = splitmix64 (h1);
  double draw = (double) (h1 >> 11) / (double) (G_GUINT64_CONSTANT (1) << 53);

  order->id = index + 1;
  order->run_id = run_id;
  order->priority = draw < vip_share ? ORDERLY_PRIORITY_VIP : ORDERLY_PRIORITY_NORMAL;
  /* R$ 10.00 to R$ 5,000.00 */
  order->amount_cents = 1000 + (gint64) (h2 % 499001);
  order->created_at_us = created_at_us;
  {
    /* Both names together stay well inside the buffer; no printf on this path. */
    const char *first = first_names[(h2 >> 20) % G_N_ELEMENTS (first_names)];
    const char *last = last_names[(h2 >> 40) % G_N_ELEMENTS (last_names)];
    char *end = g_stpcpy (order->customer, first);

    *end++ = ' ';
    g_stpcpy (end, last);
  }
}

/**
 * orderly_generate_tier:
 *
 * The customer tier of the order at @index, from the same draw that made
 * it VIP or NORMAL: DIAMOND for every VIP order; NORMAL ones are GOLD,
 * SILVER or BRONZE in the proportions 15 : 30 : 50.
 *
 * Returns: the tier's name
 */
const char *
orderly_generate_tier (guint64 seed,
                       gint64  index,
                       double  vip_share)
{
  guint64 h1 = splitmix64 (seed ^ splitmix64 ((guint64) index));
  double draw = (double) (h1 >> 11) / (double) (G_GUINT64_CONSTANT (1) << 53);
  double rest;

  if (draw < vip_share)
    return "DIAMOND";
  rest = vip_share < 1 ? (draw - vip_share) / (1 - vip_share) : 0;
  if (rest < 15.0 / 95)
    return "GOLD";
  if (rest < 45.0 / 95)
    return "SILVER";
  return "BRONZE";
}
