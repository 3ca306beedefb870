/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-server"

#include "config.h"

#include <string.h>

#include "orderly-metrics.h"
#include "orderly-transport-names.h"

#define ROUTE_KEY "orderly-route"

struct _OrderlyMetrics
{
  GObject        parent_instance;

  OrderlyEngine *engine;
  OrderlyRemote *remote;
  OrderlyHub    *hub;

  GHashTable    *request_counts;  /* "route\ncode" → guint64 * */
  gint64         started_us;
};

G_DEFINE_FINAL_TYPE (OrderlyMetrics, orderly_metrics, G_TYPE_OBJECT)

static void
orderly_metrics_finalize (GObject *object)
{
  OrderlyMetrics *self = (OrderlyMetrics *) object;

  g_clear_pointer (&self->request_counts, g_hash_table_unref);
  g_clear_object (&self->engine);
  g_clear_object (&self->remote);
  g_clear_object (&self->hub);

  G_OBJECT_CLASS (orderly_metrics_parent_class)->finalize (object);
}

static void
orderly_metrics_class_init (OrderlyMetricsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = orderly_metrics_finalize;
}

static void
orderly_metrics_init (OrderlyMetrics *self)
{
  self->request_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->started_us = g_get_monotonic_time ();
}

static void
request_done_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 OrderlyMetrics    *self)
{
  const char *route = g_object_get_data (G_OBJECT (msg), ROUTE_KEY);
  g_autofree char *key = NULL;
  guint64 *count;

  if (route == NULL)
    return;
  key = g_strdup_printf ("%s\n%u", route, soup_server_message_get_status (msg));
  count = g_hash_table_lookup (self->request_counts, key);
  if (count == NULL)
    {
      count = g_new0 (guint64, 1);
      g_hash_table_insert (self->request_counts, g_steal_pointer (&key), count);
    }
  (*count)++;
}

/**
 * orderly_metrics_new:
 * @server: the server whose requests it counts
 */
OrderlyMetrics *
orderly_metrics_new (SoupServer    *server,
                     OrderlyEngine *engine,
                     OrderlyRemote *remote,
                     OrderlyHub    *hub)
{
  OrderlyMetrics *self;

  g_return_val_if_fail (SOUP_IS_SERVER (server), NULL);
  g_return_val_if_fail (ORDERLY_IS_ENGINE (engine), NULL);
  g_return_val_if_fail (ORDERLY_IS_REMOTE (remote), NULL);
  g_return_val_if_fail (ORDERLY_IS_HUB (hub), NULL);

  self = g_object_new (ORDERLY_TYPE_METRICS, NULL);
  self->engine = g_object_ref (engine);
  self->remote = g_object_ref (remote);
  self->hub = g_object_ref (hub);
  g_signal_connect_object (server, "request-finished", G_CALLBACK (request_done_cb), self, 0);
  g_signal_connect_object (server, "request-aborted", G_CALLBACK (request_done_cb), self, 0);
  return self;
}

/**
 * orderly_metrics_set_route:
 * @route: (not nullable): a static string: the route's path or a kind of
 *   request ("static", "refused"…)
 *
 * Counts @msg under @route in `orderly_http_requests_total` once it is
 * answered. A message given no route is not counted.
 */
void
orderly_metrics_set_route (SoupServerMessage *msg,
                           const char        *route)
{
  g_return_if_fail (SOUP_IS_SERVER_MESSAGE (msg));
  g_return_if_fail (route != NULL);

  g_object_set_data (G_OBJECT (msg), ROUTE_KEY, (gpointer) route);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

static void
render_orders (OrderlyMetrics *self,
               GString        *out)
{
  const OrderlyStatusData *d = orderly_status_get_data (orderly_engine_get_status (self->engine));
  const struct
  {
    const char *name;
    gint64      generated, processed, failed;
  } priorities[] = {
    { "vip", d->vip_total, d->vip_processed, d->vip_failed },
    { "normal", d->normal_total, d->normal_processed, d->normal_failed },
  };
  char number[G_ASCII_DTOSTR_BUF_SIZE];
  OrderlyQueueCounts queue;

  /* Pending: generated, neither processed nor failed for good. */
  g_string_append (out, "# HELP orderly_orders Orders of the current run by priority and state.\n"
                        "# TYPE orderly_orders gauge\n");
  for (guint i = 0; i < G_N_ELEMENTS (priorities); i++)
    g_string_append_printf (out,
                            "orderly_orders{priority=\"%s\",state=\"processed\"} %" G_GINT64_FORMAT "\n"
                            "orderly_orders{priority=\"%s\",state=\"failed\"} %" G_GINT64_FORMAT "\n"
                            "orderly_orders{priority=\"%s\",state=\"pending\"} %" G_GINT64_FORMAT "\n",
                            priorities[i].name, priorities[i].processed,
                            priorities[i].name, priorities[i].failed,
                            priorities[i].name,
                            MAX (priorities[i].generated - priorities[i].processed - priorities[i].failed, 0));

  /* The same numbers as GET /pedidos/queue/status. */
  orderly_engine_get_queue_counts (self->engine, &queue);
  g_string_append (out, "# HELP orderly_queue_jobs The current run's orders as a job queue's jobs, by state.\n"
                        "# TYPE orderly_queue_jobs gauge\n");
  g_string_append_printf (out,
                          "orderly_queue_jobs{state=\"waiting\"} %" G_GINT64_FORMAT "\n"
                          "orderly_queue_jobs{state=\"active\"} %" G_GINT64_FORMAT "\n"
                          "orderly_queue_jobs{state=\"completed\"} %" G_GINT64_FORMAT "\n"
                          "orderly_queue_jobs{state=\"failed\"} %" G_GINT64_FORMAT "\n"
                          "orderly_queue_jobs{state=\"delayed\"} %" G_GINT64_FORMAT "\n"
                          "orderly_queue_jobs{state=\"paused\"} %" G_GINT64_FORMAT "\n",
                          queue.waiting, queue.active, queue.completed, queue.failed, queue.delayed,
                          queue.paused);
  g_string_append (out, "# HELP orderly_queue_paused Whether the queue is paused (1) or not (0).\n"
                        "# TYPE orderly_queue_paused gauge\n");
  g_string_append_printf (out, "orderly_queue_paused %d\n", queue.queue_paused ? 1 : 0);

  g_string_append (out, "# HELP orderly_run_target Orders the current run generates.\n"
                        "# TYPE orderly_run_target gauge\n");
  g_string_append_printf (out, "orderly_run_target %" G_GINT64_FORMAT "\n", d->target);

  g_string_append (out, "# HELP orderly_phase The phase of the current run (1 for the current one).\n"
                        "# TYPE orderly_phase gauge\n");
  for (OrderlyPhase phase = ORDERLY_PHASE_IDLE; phase <= ORDERLY_PHASE_INTERRUPTED; phase++)
    g_string_append_printf (out, "orderly_phase{phase=\"%s\"} %d\n", orderly_phase_to_string (phase),
                            phase == d->phase);

  g_string_append (out, "# HELP orderly_throughput_orders_per_second Processing throughput.\n"
                        "# TYPE orderly_throughput_orders_per_second gauge\n");
  g_string_append_printf (out, "orderly_throughput_orders_per_second{priority=\"vip\"} %s\n",
                          g_ascii_dtostr (number, sizeof number, d->throughput_vip));
  g_string_append_printf (out, "orderly_throughput_orders_per_second{priority=\"normal\"} %s\n",
                          g_ascii_dtostr (number, sizeof number, d->throughput_normal));
  g_string_append_printf (out, "orderly_throughput_orders_per_second{priority=\"overall\"} %s\n",
                          g_ascii_dtostr (number, sizeof number, d->throughput_overall));
}

static void
render_clients (OrderlyMetrics *self,
                GString        *out)
{
  static const char * const names[] = ORDERLY_TRANSPORT_NAMES;
  GListModel *clients = orderly_remote_get_clients (self->remote);
  g_autoptr(GHashTable) by_transport = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  /* Every transport has its row, 0 included. */
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_hash_table_insert (by_transport, (gpointer) names[i], GUINT_TO_POINTER (0));
  for (guint i = 0; i < g_list_model_get_n_items (clients); i++)
    {
      g_autoptr(OrderlyClient) client = g_list_model_get_item (clients, i);
      const char *transport = g_intern_string (orderly_client_get_transport (client));
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (by_transport, transport));

      g_hash_table_insert (by_transport, (gpointer) transport, GUINT_TO_POINTER (n + 1));
    }

  g_string_append (out, "# HELP orderly_clients Connected live clients by transport.\n"
                        "# TYPE orderly_clients gauge\n");
  g_hash_table_iter_init (&iter, by_transport);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_strings);
  for (guint i = 0; i < keys->len; i++)
    g_string_append_printf (out, "orderly_clients{transport=\"%s\"} %u\n", (char *) keys->pdata[i],
                            GPOINTER_TO_UINT (g_hash_table_lookup (by_transport, keys->pdata[i])));

  g_string_append (out, "# HELP orderly_messages_sent_total Live messages sent to clients.\n"
                        "# TYPE orderly_messages_sent_total counter\n");
  g_string_append_printf (out, "orderly_messages_sent_total %" G_GUINT64_FORMAT "\n",
                          orderly_hub_get_messages_sent (self->hub));
  g_string_append (out, "# HELP orderly_messages_dropped_total Live messages skipped or dropped "
                        "for clients that could not keep up.\n"
                        "# TYPE orderly_messages_dropped_total counter\n");
  g_string_append_printf (out, "orderly_messages_dropped_total %" G_GUINT64_FORMAT "\n",
                          orderly_hub_get_messages_dropped (self->hub));
}

static void
render_requests (OrderlyMetrics *self,
                 GString        *out)
{
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_string_append (out, "# HELP orderly_http_requests_total HTTP requests by route and status code.\n"
                        "# TYPE orderly_http_requests_total counter\n");
  g_hash_table_iter_init (&iter, self->request_counts);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_strings);
  for (guint i = 0; i < keys->len; i++)
    {
      const char *newline = strchr (keys->pdata[i], '\n');
      g_autofree char *route = g_strndup (keys->pdata[i], newline - (char *) keys->pdata[i]);
      guint64 *count = g_hash_table_lookup (self->request_counts, keys->pdata[i]);

      g_string_append_printf (out, "orderly_http_requests_total{route=\"%s\",code=\"%s\"} %" G_GUINT64_FORMAT "\n",
                              route, newline + 1, *count);
    }
}

/**
 * orderly_metrics_render:
 *
 * Returns: (transfer full): the metrics in the Prometheus text format 0.0.4
 */
char *
orderly_metrics_render (OrderlyMetrics *self)
{
  GString *out = g_string_new (NULL);
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  g_return_val_if_fail (ORDERLY_IS_METRICS (self), NULL);

  render_orders (self, out);
  render_clients (self, out);
  render_requests (self, out);
  orderly_cluster_append_metrics (orderly_engine_get_cluster (self->engine), out);
  g_string_append (out, "# HELP orderly_uptime_seconds Seconds since the server started.\n"
                        "# TYPE orderly_uptime_seconds gauge\n");
  g_string_append_printf (out, "orderly_uptime_seconds %s\n",
                          g_ascii_dtostr (number, sizeof number,
                                          (g_get_monotonic_time () - self->started_us) / 1e6));
  return g_string_free (out, FALSE);
}
