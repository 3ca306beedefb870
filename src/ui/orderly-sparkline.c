/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-ui"

#include "config.h"

#include "orderly-sparkline.h"

#include <glib/gi18n.h>

#include "orderly-format.h"
#include "orderly-store.h"

/**
 * OrderlySparkline:
 *
 * A run's throughput at a glance, for its row in the history: the series
 * the run kept (#OrderlyRunSample, from orderly_engine_list_samples_async())
 * as VIP and Normal rates over the run, in the colours of the chart, with
 * the peak in the tooltip. The dashboard's history draws the same.
 */

typedef struct
{
  gint64 time_us;
  double rates[2];    /* VIP, Normal: orders per second since the sample before */
} Point;

struct _OrderlySparkline
{
  GtkWidget  parent_instance;

  GArray    *points;
  gint64     start_us;  /* the first sample's time: where the first rate's interval begins */
  double     peak;
};

G_DEFINE_FINAL_TYPE (OrderlySparkline, orderly_sparkline, GTK_TYPE_WIDGET)

static const char * const colors[] = { "orderly_vip_color", "orderly_normal_color" };

static void
orderly_sparkline_snapshot (GtkWidget   *widget,
                            GtkSnapshot *snapshot)
{
  OrderlySparkline *self = ORDERLY_SPARKLINE (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  const Point *points = (const Point *) (gpointer) self->points->data;
  cairo_t *cr;
  double span;

  if (self->points->len < 1 || width <= 0 || height <= 2)
    return;
  span = MAX (1, points[self->points->len - 1].time_us - self->start_us);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  cairo_set_line_width (cr, 1.5);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  for (guint series = 0; series < G_N_ELEMENTS (colors); series++)
    {
      GdkRGBA color;

      if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), colors[series], &color))
        gdk_rgba_parse (&color, "#888888");
      gdk_cairo_set_source_rgba (cr, &color);
      cairo_move_to (cr, 0, height - 1);
      for (guint i = 0; i < self->points->len; i++)
        cairo_line_to (cr, (points[i].time_us - self->start_us) / span * width,
                       height - 1 - points[i].rates[series] / MAX (self->peak, 1) * (height - 2));
      cairo_stroke (cr);
    }
  cairo_destroy (cr);
}

static void
orderly_sparkline_measure (GtkWidget      *widget,
                           GtkOrientation  orientation,
                           int             for_size,
                           int            *minimum,
                           int            *natural,
                           int            *minimum_baseline,
                           int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 60 : 20;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 120 : 24;
}

static void
orderly_sparkline_finalize (GObject *object)
{
  OrderlySparkline *self = ORDERLY_SPARKLINE (object);

  g_clear_pointer (&self->points, g_array_unref);

  G_OBJECT_CLASS (orderly_sparkline_parent_class)->finalize (object);
}

static void
orderly_sparkline_class_init (OrderlySparklineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = orderly_sparkline_finalize;
  widget_class->snapshot = orderly_sparkline_snapshot;
  widget_class->measure = orderly_sparkline_measure;
  gtk_widget_class_set_css_name (widget_class, "sparkline");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
orderly_sparkline_init (OrderlySparkline *self)
{
  self->points = g_array_new (FALSE, FALSE, sizeof (Point));
}

/**
 * orderly_sparkline_new:
 *
 * Returns: (transfer floating): a sparkline with no series yet
 */
GtkWidget *
orderly_sparkline_new (void)
{
  return g_object_new (ORDERLY_TYPE_SPARKLINE, NULL);
}

/**
 * orderly_sparkline_set_samples:
 * @samples: (element-type OrderlyRunSample) (nullable): a run's series,
 *   oldest first, or %NULL for none
 *
 * Draws the rates between consecutive samples.
 */
void
orderly_sparkline_set_samples (OrderlySparkline *self,
                               GArray           *samples)
{
  g_autofree char *peak = NULL;
  g_autofree char *tooltip = NULL;

  g_return_if_fail (ORDERLY_IS_SPARKLINE (self));

  g_array_set_size (self->points, 0);
  self->peak = 0;
  self->start_us = samples != NULL && samples->len > 0 ? g_array_index (samples, OrderlyRunSample, 0).time_us : 0;
  for (guint i = 1; samples != NULL && i < samples->len; i++)
    {
      const OrderlyRunSample *before = &g_array_index (samples, OrderlyRunSample, i - 1);
      const OrderlyRunSample *sample = &g_array_index (samples, OrderlyRunSample, i);
      double seconds = (sample->time_us - before->time_us) / (double) G_USEC_PER_SEC;
      Point point;

      if (!(seconds > 0))
        continue;
      point.time_us = sample->time_us;
      point.rates[0] = MAX (0, sample->vip_processed - before->vip_processed) / seconds;
      point.rates[1] = MAX (0, sample->normal_processed - before->normal_processed) / seconds;
      self->peak = MAX (self->peak, point.rates[0] + point.rates[1]);
      g_array_append_val (self->points, point);
    }

  if (self->points->len > 0)
    {
      peak = orderly_format_rate (self->peak);
      /* Translators: the tooltip of a run's throughput in the history, e.g. “Peak 8,082 orders/s” */
      tooltip = g_strdup_printf (_("Throughput over the run, peak %s"), peak);
    }
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  tooltip != NULL ? tooltip : _("No throughput series kept"), -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
orderly_sparkline_get_n_points (OrderlySparkline *self)
{
  g_return_val_if_fail (ORDERLY_IS_SPARKLINE (self), 0);
  return self->points->len;
}

/**
 * orderly_sparkline_get_peak_rate:
 *
 * Returns: the highest rate drawn, VIP and Normal together, in orders per second
 */
double
orderly_sparkline_get_peak_rate (OrderlySparkline *self)
{
  g_return_val_if_fail (ORDERLY_IS_SPARKLINE (self), 0);
  return self->peak;
}
