/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-ui"

#include "config.h"

#include "orderly-throughput-chart.h"

#include <glib/gi18n.h>
#include <math.h>

#include "orderly-format.h"

/**
 * OrderlyThroughputChart:
 *
 * Orders processed per second, VIP and normal, over the last few minutes of
 * the run. It samples the cumulative counts of #OrderlyStatus on every
 * update and derives the rates when it draws, over a two-second window:
 * counts advance in batches, and a shorter window makes the lines jump
 * between zero and twice the real rate.
 */

#define WINDOW_US      (5 * 60 * G_USEC_PER_SEC)
#define RATE_WINDOW_US (2 * G_USEC_PER_SEC)
#define MIN_SPAN_US    (10 * G_USEC_PER_SEC)

typedef struct
{
  gint64 time_us;
  gint64 vip;
  gint64 normal;
} Sample;

struct _OrderlyThroughputChart
{
  GtkDrawingArea  parent_instance;

  OrderlyStatus  *status;
  GArray         *samples;
  gint64          run_id;
};

enum {
  PROP_0,
  PROP_STATUS,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (OrderlyThroughputChart, orderly_throughput_chart, GTK_TYPE_DRAWING_AREA)

static GParamSpec *properties[N_PROPS];

static const GdkRGBA vip_color = { 0.90, 0.38, 0.0, 1.0 };     /* orange 4 */
static const GdkRGBA normal_color = { 0.21, 0.52, 0.89, 1.0 }; /* blue 3 */

static void
status_changed_cb (OrderlyThroughputChart *self,
                   OrderlyStatus          *status)
{
  const OrderlyStatusData *data = orderly_status_get_data (status);
  Sample sample;
  gint64 now = g_get_monotonic_time ();
  guint drop = 0;

  if (data->run_id != self->run_id)
    {
      g_array_set_size (self->samples, 0);
      self->run_id = data->run_id;
    }
  if (!orderly_phase_is_active (data->phase))
    {
      /* Keep the finished run's curve; record where it stopped once. */
      if (self->samples->len > 0)
        {
          Sample *last = &g_array_index (self->samples, Sample, self->samples->len - 1);

          if (last->vip == data->vip_processed && last->normal == data->normal_processed)
            return;
        }
      else
        return;
    }

  sample.time_us = now;
  sample.vip = data->vip_processed;
  sample.normal = data->normal_processed;
  g_array_append_val (self->samples, sample);

  while (drop < self->samples->len &&
         g_array_index (self->samples, Sample, drop).time_us < now - WINDOW_US - RATE_WINDOW_US)
    drop++;
  if (drop > 0)
    g_array_remove_range (self->samples, 0, drop);

  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* The rate at sample @i over the window before it. */
static void
rate_at (OrderlyThroughputChart *self,
         guint                   i,
         double                 *vip,
         double                 *normal)
{
  const Sample *s = &g_array_index (self->samples, Sample, i);
  guint j = i;
  double seconds;

  while (j > 0 && s->time_us - g_array_index (self->samples, Sample, j - 1).time_us <= RATE_WINDOW_US)
    j--;
  if (j == i && i > 0)
    j = i - 1;
  if (j == i)
    {
      *vip = *normal = 0;
      return;
    }
  seconds = (s->time_us - g_array_index (self->samples, Sample, j).time_us) / (double) G_USEC_PER_SEC;
  *vip = MAX (0, (s->vip - g_array_index (self->samples, Sample, j).vip) / seconds);
  *normal = MAX (0, (s->normal - g_array_index (self->samples, Sample, j).normal) / seconds);
}

static double
nice_ceiling (double value)
{
  double magnitude, fraction;

  if (value <= 0)
    return 1;
  magnitude = pow (10, floor (log10 (value)));
  fraction = value / magnitude;
  if (fraction <= 1)
    return magnitude;
  if (fraction <= 2)
    return 2 * magnitude;
  if (fraction <= 5)
    return 5 * magnitude;
  return 10 * magnitude;
}

static void
draw_text (cairo_t     *cr,
           GtkWidget   *widget,
           const char  *text,
           double       x,
           double       y,
           double       x_align)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, text);
  int width, height;

  pango_layout_get_pixel_size (layout, &width, &height);
  cairo_move_to (cr, x - x_align * width, y - height / 2.0);
  pango_cairo_show_layout (cr, layout);
}

static void
draw_series (OrderlyThroughputChart *self,
             cairo_t                *cr,
             gboolean                vip,
             gint64                  start_us,
             double                  span_us,
             double                  max_rate,
             double                  left,
             double                  top,
             double                  width,
             double                  height)
{
  gboolean started = FALSE;

  gdk_cairo_set_source_rgba (cr, vip ? &vip_color : &normal_color);
  cairo_set_line_width (cr, 2);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  for (guint i = 0; i < self->samples->len; i++)
    {
      const Sample *s = &g_array_index (self->samples, Sample, i);
      double vip_rate, normal_rate, x, y;

      if (s->time_us < start_us)
        continue;
      rate_at (self, i, &vip_rate, &normal_rate);
      x = left + (s->time_us - start_us) / span_us * width;
      y = top + height - (vip ? vip_rate : normal_rate) / max_rate * height;
      if (!started)
        cairo_move_to (cr, x, y);
      else
        cairo_line_to (cr, x, y);
      started = TRUE;
    }
  cairo_stroke (cr);
}

static void
draw_cb (GtkDrawingArea *area,
         cairo_t        *cr,
         int             width,
         int             height,
         gpointer        user_data)
{
  OrderlyThroughputChart *self = ORDERLY_THROUGHPUT_CHART (area);
  GtkWidget *widget = GTK_WIDGET (area);
  GdkRGBA fg;
  double max_rate = 0;
  double left = 12, right = 12, top = 28, bottom = 24;
  double plot_width, plot_height, span_us;
  gint64 start_us, end_us;
  g_autofree char *max_text = NULL;
  g_autofree char *span_text = NULL;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS

  if (self->samples->len < 2)
    {
      GdkRGBA dim = fg;

      dim.alpha *= 0.55;
      gdk_cairo_set_source_rgba (cr, &dim);
      draw_text (cr, widget, _("Throughput appears here while orders are processed"),
                 width / 2.0, height / 2.0, 0.5);
      return;
    }

  end_us = g_array_index (self->samples, Sample, self->samples->len - 1).time_us;
  start_us = MAX (g_array_index (self->samples, Sample, 0).time_us, end_us - WINDOW_US);
  span_us = MAX (end_us - start_us, MIN_SPAN_US);

  for (guint i = 0; i < self->samples->len; i++)
    {
      double vip_rate, normal_rate;

      if (g_array_index (self->samples, Sample, i).time_us < start_us)
        continue;
      rate_at (self, i, &vip_rate, &normal_rate);
      max_rate = MAX (max_rate, MAX (vip_rate, normal_rate));
    }
  max_rate = nice_ceiling (max_rate * 1.1);

  max_text = orderly_format_rate (max_rate);
  plot_width = MAX (1, width - left - right);
  plot_height = MAX (1, height - top - bottom);

  /* Grid: four horizontal lines, labelled at the top. */
  cairo_save (cr);
  fg.alpha *= 0.15;
  gdk_cairo_set_source_rgba (cr, &fg);
  cairo_set_line_width (cr, 1);
  for (int i = 0; i <= 4; i++)
    {
      double y = round (top + plot_height * i / 4.0) + 0.5;

      cairo_move_to (cr, left, y);
      cairo_line_to (cr, left + plot_width, y);
    }
  cairo_stroke (cr);
  cairo_restore (cr);

  fg.alpha = 0.7;
  gdk_cairo_set_source_rgba (cr, &fg);
  draw_text (cr, widget, max_text, left, top - 12, 0);
  {
    g_autofree char *span = orderly_format_duration_ms (span_us / 1000.0);

    /* Translators: the left end of the chart's time axis, e.g. “30.00 s ago” */
    span_text = g_strdup_printf (_("%s ago"), span);
  }
  draw_text (cr, widget, span_text, left, height - bottom / 2.0, 0);
  /* Translators: the right end of the chart's time axis */
  draw_text (cr, widget, _("now"), left + plot_width, height - bottom / 2.0, 1);

  /* Legend, top right. */
  {
    g_autoptr(PangoLayout) vip_layout = gtk_widget_create_pango_layout (widget, _("VIP"));
    g_autoptr(PangoLayout) normal_layout = gtk_widget_create_pango_layout (widget, _("Normal"));
    int vip_width, normal_width, text_height;
    double x;

    pango_layout_get_pixel_size (vip_layout, &vip_width, &text_height);
    pango_layout_get_pixel_size (normal_layout, &normal_width, NULL);
    x = left + plot_width - normal_width;
    cairo_move_to (cr, x, top - 12 - text_height / 2.0);
    pango_cairo_show_layout (cr, normal_layout);
    gdk_cairo_set_source_rgba (cr, &normal_color);
    cairo_rectangle (cr, x - 16, top - 12 - 4, 10, 8);
    cairo_fill (cr);

    x -= 32 + vip_width;
    gdk_cairo_set_source_rgba (cr, &fg);
    cairo_move_to (cr, x, top - 12 - text_height / 2.0);
    pango_cairo_show_layout (cr, vip_layout);
    gdk_cairo_set_source_rgba (cr, &vip_color);
    cairo_rectangle (cr, x - 16, top - 12 - 4, 10, 8);
    cairo_fill (cr);
  }

  draw_series (self, cr, FALSE, start_us, span_us, max_rate, left, top, plot_width, plot_height);
  draw_series (self, cr, TRUE, start_us, span_us, max_rate, left, top, plot_width, plot_height);
}

static void
orderly_throughput_chart_dispose (GObject *object)
{
  OrderlyThroughputChart *self = (OrderlyThroughputChart *) object;

  orderly_throughput_chart_set_status (self, NULL);

  G_OBJECT_CLASS (orderly_throughput_chart_parent_class)->dispose (object);
}

static void
orderly_throughput_chart_finalize (GObject *object)
{
  OrderlyThroughputChart *self = (OrderlyThroughputChart *) object;

  g_clear_pointer (&self->samples, g_array_unref);

  G_OBJECT_CLASS (orderly_throughput_chart_parent_class)->finalize (object);
}

static void
orderly_throughput_chart_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  OrderlyThroughputChart *self = ORDERLY_THROUGHPUT_CHART (object);

  switch (prop_id)
    {
    case PROP_STATUS:
      g_value_set_object (value, self->status);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_throughput_chart_set_property (GObject      *object,
                                       guint         prop_id,
                                       const GValue *value,
                                       GParamSpec   *pspec)
{
  OrderlyThroughputChart *self = ORDERLY_THROUGHPUT_CHART (object);

  switch (prop_id)
    {
    case PROP_STATUS:
      orderly_throughput_chart_set_status (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_throughput_chart_class_init (OrderlyThroughputChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = orderly_throughput_chart_dispose;
  object_class->finalize = orderly_throughput_chart_finalize;
  object_class->get_property = orderly_throughput_chart_get_property;
  object_class->set_property = orderly_throughput_chart_set_property;

  properties[PROP_STATUS] =
    g_param_spec_object ("status", NULL, NULL, ORDERLY_TYPE_STATUS,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "throughputchart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
orderly_throughput_chart_init (OrderlyThroughputChart *self)
{
  self->samples = g_array_new (FALSE, FALSE, sizeof (Sample));
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (self), draw_cb, NULL, NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Throughput over time"),
                                  -1);
}

GtkWidget *
orderly_throughput_chart_new (void)
{
  return g_object_new (ORDERLY_TYPE_THROUGHPUT_CHART, NULL);
}

OrderlyStatus *
orderly_throughput_chart_get_status (OrderlyThroughputChart *self)
{
  g_return_val_if_fail (ORDERLY_IS_THROUGHPUT_CHART (self), NULL);
  return self->status;
}

void
orderly_throughput_chart_set_status (OrderlyThroughputChart *self,
                                     OrderlyStatus          *status)
{
  g_return_if_fail (ORDERLY_IS_THROUGHPUT_CHART (self));
  g_return_if_fail (!status || ORDERLY_IS_STATUS (status));

  if (self->status == status)
    return;
  if (self->status != NULL)
    g_signal_handlers_disconnect_by_func (self->status, status_changed_cb, self);
  g_set_object (&self->status, status);
  g_array_set_size (self->samples, 0);
  self->run_id = 0;
  if (status != NULL)
    {
      self->run_id = orderly_status_get_data (status)->run_id;
      g_signal_connect_object (status, "changed", G_CALLBACK (status_changed_cb),
                               self, G_CONNECT_SWAPPED);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

/**
 * orderly_throughput_chart_get_n_samples:
 *
 * Returns: how many points the chart holds
 */
guint
orderly_throughput_chart_get_n_samples (OrderlyThroughputChart *self)
{
  g_return_val_if_fail (ORDERLY_IS_THROUGHPUT_CHART (self), 0);
  return self->samples->len;
}
