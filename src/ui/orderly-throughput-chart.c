/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-ui"

#include "config.h"

#include "orderly-throughput-chart.h"

#include <glib/gi18n.h>
#include <math.h>

#include "orderly-format.h"
#include "orderly-store.h"

/**
 * OrderlyThroughputChart:
 *
 * Orders processed per second, VIP and normal, over the run, its last five
 * minutes at most. It samples the cumulative counts of #OrderlyStatus on
 * every update and derives each rate over the two seconds before a sample
 * (a thirtieth of the span once a short run ended), between the batches the
 * counts advance in: the difference between two updates swings between zero
 * and several times the real rate. The web dashboard computes its chart the
 * same way.
 *
 * Generating is a band of its own colour, named with its rate: it runs a
 * hundred times faster than processing, and as a line it would flatten
 * the others. The y axis has round ticks scaled to the processing rates.
 * While the run goes, the right edge is now; once it ended, the axis shows
 * when it started and ended. No update for a few seconds leaves a gap.
 *
 * A window that opens after a run ended, after a restart for instance,
 * draws that run from the series it kept (orderly_throughput_chart_load_samples()).
 */

#define SPAN_US        (5 * 60 * G_USEC_PER_SEC)
#define RATE_WINDOW_US (2 * G_USEC_PER_SEC)
#define MIN_SPAN_US    (5 * G_USEC_PER_SEC)
#define GAP_US         (3 * G_USEC_PER_SEC)
#define N_TICKS        4

typedef enum
{
  SERIES_VIP,
  SERIES_NORMAL,
  N_SERIES
} Series;

typedef struct
{
  gint64 time_us;        /* monotonic */
  gint64 counts[N_SERIES];
} Sample;

struct _OrderlyThroughputChart
{
  GtkDrawingArea  parent_instance;

  OrderlyStatus  *status;
  GArray         *samples;
  gint64          run_id;
  gint64          first_us;       /* monotonic time of the run's first sample */
  gint64          wall_offset_us; /* real time minus monotonic time */
  gboolean        active;
  double          peak_rate;
  gint64          generate_start_us; /* monotonic; 0 until the run generates */
  gint64          generate_end_us;
  gint64          generated;
  double          generate_ms;
  gint64          processing_start_us; /* the last sample before processing began */
};

enum {
  PROP_0,
  PROP_STATUS,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (OrderlyThroughputChart, orderly_throughput_chart, GTK_TYPE_DRAWING_AREA)

static GParamSpec *properties[N_PROPS];

static const char * const series_colors[N_SERIES] = {
  "orderly_vip_color", "orderly_normal_color",
};

static void
forget_run (OrderlyThroughputChart *self,
            gint64                  run_id)
{
  g_array_set_size (self->samples, 0);
  self->run_id = run_id;
  self->first_us = 0;
  self->peak_rate = 0;
  self->generate_start_us = self->generate_end_us = 0;
  self->generated = 0;
  self->generate_ms = 0;
  self->processing_start_us = 0;
}

/* The peak counts from a full second of processing on: over the first
 * batches, the rate says more about batching than about throughput. */
static void
update_peak (OrderlyThroughputChart *self)
{
  const Sample *last = &g_array_index (self->samples, Sample, self->samples->len - 1);
  gint64 total = last->counts[SERIES_VIP] + last->counts[SERIES_NORMAL];
  guint j = self->samples->len - 1;
  const Sample *before;

  if (self->processing_start_us == 0 || total == 0)
    {
      self->processing_start_us = last->time_us;
      return;
    }
  if (last->time_us - self->processing_start_us < G_USEC_PER_SEC)
    return;
  while (j > 0 && last->time_us - g_array_index (self->samples, Sample, j - 1).time_us <= RATE_WINDOW_US &&
         g_array_index (self->samples, Sample, j - 1).time_us >= self->processing_start_us)
    j--;
  before = &g_array_index (self->samples, Sample, j);
  if (before->time_us < last->time_us)
    self->peak_rate = MAX (self->peak_rate,
                           (total - before->counts[SERIES_VIP] - before->counts[SERIES_NORMAL]) /
                           ((last->time_us - before->time_us) / (double) G_USEC_PER_SEC));
}

/* Counts move in batches: between the first and the last batch seen in the
 * window, the orders of the later batches over the time they took is the
 * rate, whatever the batches' rhythm. With one batch in the window, the
 * whole window. */
static double
rate_in (OrderlyThroughputChart *self,
         guint                   j,
         guint                   i,
         Series                  series,
         gint64                  window_us)
{
  const Sample *samples = (const Sample *) (gpointer) self->samples->data;
  const Sample *base;
  gint64 span_us;
  int first = -1, last = -1;

  for (guint k = MAX (j, 1); k <= i; k++)
    if (samples[k].counts[series] != samples[k - 1].counts[series])
      {
        if (first < 0)
          first = k;
        last = k;
      }
  if (first < 0)
    return 0;
  if (last > first && samples[last].time_us - samples[first].time_us >= window_us / 4)
    return (samples[last].counts[series] - samples[first].counts[series]) /
           ((samples[last].time_us - samples[first].time_us) / (double) G_USEC_PER_SEC);
  base = &samples[j < i ? j : i - 1];
  span_us = samples[i].time_us - base->time_us;
  if (span_us <= 0 || span_us > MAX (window_us, GAP_US))
    return 0;
  return MAX (0, (samples[i].counts[series] - base->counts[series]) / (span_us / (double) G_USEC_PER_SEC));
}

/* The rate of every series at every sample from @first on, over @window_us
 * before it. */
static double *
compute_rates (OrderlyThroughputChart *self,
               guint                   first,
               gint64                  window_us)
{
  double *rates = g_new0 (double, (gsize) self->samples->len * N_SERIES);
  guint j = 0;

  for (guint i = MAX (first, 1); i < self->samples->len; i++)
    {
      const Sample *s = &g_array_index (self->samples, Sample, i);

      while (j < i && s->time_us - g_array_index (self->samples, Sample, j).time_us > window_us)
        j++;
      for (guint k = 0; k < N_SERIES; k++)
        rates[i * N_SERIES + k] = rate_in (self, j, i, k, window_us);
    }
  return rates;
}

static void
status_changed_cb (OrderlyThroughputChart *self,
                   OrderlyStatus          *status)
{
  const OrderlyStatusData *data = orderly_status_get_data (status);
  Sample sample;
  gint64 now = g_get_monotonic_time ();
  guint drop = 0;

  if (data->run_id != self->run_id)
    forget_run (self, data->run_id);
  self->active = orderly_phase_is_active (data->phase);
  self->wall_offset_us = g_get_real_time () - now;

  if (data->phase == ORDERLY_PHASE_GENERATING)
    {
      if (self->generate_start_us == 0)
        self->generate_start_us = now;
      self->generate_end_us = now;
    }
  self->generated = data->generated;
  self->generate_ms = data->generation_ms;

  sample.time_us = now;
  sample.counts[SERIES_VIP] = data->vip_processed;
  sample.counts[SERIES_NORMAL] = data->normal_processed;
  if (!self->active)
    {
      /* A finished run keeps its curve, ending where it stopped. */
      const Sample *last = self->samples->len > 0
                           ? &g_array_index (self->samples, Sample, self->samples->len - 1) : NULL;

      if (last == NULL || memcmp (last->counts, sample.counts, sizeof sample.counts) == 0)
        {
          gtk_widget_queue_draw (GTK_WIDGET (self));
          return;
        }
    }
  if (self->first_us == 0)
    self->first_us = now;
  g_array_append_val (self->samples, sample);
  update_peak (self);

  while (drop < self->samples->len &&
         g_array_index (self->samples, Sample, drop).time_us < now - SPAN_US - RATE_WINDOW_US)
    drop++;
  if (drop > 0)
    g_array_remove_range (self->samples, 0, drop);

  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/**
 * orderly_throughput_chart_load_samples:
 * @run_id: the run the samples are of
 * @samples: (element-type OrderlyRunSample): the series the run kept,
 *   oldest first (orderly_engine_list_samples_async())
 *
 * Draws a run that ended before the chart could follow it. A chart that
 * already has a curve of @run_id keeps it.
 */
void
orderly_throughput_chart_load_samples (OrderlyThroughputChart *self,
                                       gint64                  run_id,
                                       GArray                 *samples)
{
  const OrderlyRunSample *last;
  gint64 wall_offset_us;

  g_return_if_fail (ORDERLY_IS_THROUGHPUT_CHART (self));
  g_return_if_fail (samples != NULL);

  if ((self->run_id == run_id && self->samples->len >= 2) || samples->len < 2)
    return;
  /* A run stopped before processing has no curve to draw. */
  last = &g_array_index (samples, OrderlyRunSample, samples->len - 1);
  if (last->vip_processed + last->normal_processed == 0)
    return;
  forget_run (self, run_id);
  wall_offset_us = g_get_real_time () - g_get_monotonic_time ();
  self->wall_offset_us = wall_offset_us;
  self->active = FALSE;
  for (guint i = 0; i < samples->len; i++)
    {
      const OrderlyRunSample *stored = &g_array_index (samples, OrderlyRunSample, i);
      Sample sample;

      sample.time_us = stored->time_us - wall_offset_us;
      sample.counts[SERIES_VIP] = stored->vip_processed;
      sample.counts[SERIES_NORMAL] = stored->normal_processed;
      if (self->samples->len > 0 &&
          sample.time_us <= g_array_index (self->samples, Sample, self->samples->len - 1).time_us)
        continue;
      if (self->first_us == 0)
        self->first_us = sample.time_us;
      g_array_append_val (self->samples, sample);
      update_peak (self);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* A round step for @n_ticks ticks up to @max: 1, 2 or 5 times a power of 10. */
static double
nice_step (double max,
           int    n_ticks)
{
  double raw = MAX (max, 1) / n_ticks;
  double magnitude = pow (10, floor (log10 (raw)));

  if (raw <= magnitude)
    return magnitude;
  if (raw <= 2 * magnitude)
    return 2 * magnitude;
  if (raw <= 5 * magnitude)
    return 5 * magnitude;
  return 10 * magnitude;
}

/* “0”, “500”, “2K”, “1.5M”: tick labels stay short. */
static char *
format_tick (double value)
{
  if (value >= 1e6)
    /* Translators: a chart tick in millions of orders per second */
    return g_strdup_printf (_("%gM"), value / 1e6);
  if (value >= 1e3)
    /* Translators: a chart tick in thousands of orders per second */
    return g_strdup_printf (_("%gK"), value / 1e3);
  return g_strdup_printf ("%g", value);
}

static PangoLayout *
create_layout (GtkWidget  *widget,
               const char *text,
               int        *width,
               int        *height)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);

  pango_layout_get_pixel_size (layout, width, height);
  return layout;
}

static void
draw_text (cairo_t     *cr,
           GtkWidget   *widget,
           const char  *text,
           double       x,
           double       y,
           double       x_align)
{
  int width, height;
  g_autoptr(PangoLayout) layout = create_layout (widget, text, &width, &height);

  cairo_move_to (cr, round (x - x_align * width), round (y - height / 2.0));
  pango_cairo_show_layout (cr, layout);
}

static void
lookup_color (GtkWidget  *widget,
              const char *name,
              GdkRGBA    *color)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), name, color))
    gdk_rgba_parse (color, "#888888");
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static char *
format_axis_time (OrderlyThroughputChart *self,
                  gint64                  time_us,
                  gint64                  end_us)
{
  g_autofree char *ago = NULL;

  if (!self->active)
    return orderly_format_clock_us (time_us + self->wall_offset_us);
  if (end_us - time_us < G_USEC_PER_SEC)
    /* Translators: the right end of the chart's time axis while a run goes */
    return g_strdup (_("now"));
  ago = orderly_format_duration_ms ((end_us - time_us) / 1000.0);
  /* Translators: a point of the chart's time axis, e.g. “30.0 s ago” */
  return g_strdup_printf (_("%s ago"), ago);
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
  const char *names[N_SERIES];
  GdkRGBA fg, grid, colors[N_SERIES], generate_color;
  double max_rate = 0, step, top_rate;
  double left, right = 12, top = 30, bottom = 26;
  double plot_width, plot_height, span_us;
  gint64 start_us, end_us, window_us;
  guint first = 0;
  g_autofree double *rates = NULL;
  int label_width = 0, text_height = 0;

  names[SERIES_VIP] = _("VIP");
  names[SERIES_NORMAL] = _("Normal");

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
  for (guint i = 0; i < N_SERIES; i++)
    lookup_color (widget, series_colors[i], &colors[i]);
  lookup_color (widget, "orderly_generate_color", &generate_color);

  if (self->samples->len < 2)
    {
      GdkRGBA dim = fg;

      dim.alpha *= 0.55;
      gdk_cairo_set_source_rgba (cr, &dim);
      draw_text (cr, widget, _("Throughput appears here while orders are processed"),
                 width / 2.0, height / 2.0, 0.5);
      return;
    }

  end_us = self->active ? g_get_monotonic_time ()
                        : g_array_index (self->samples, Sample, self->samples->len - 1).time_us;
  start_us = MAX (self->first_us, end_us - SPAN_US);
  /* A run that goes has room to grow into; a finished one fills the width. */
  span_us = MAX (end_us - start_us, self->active ? MIN_SPAN_US : 1);

  /* Rates over two seconds while the run goes; once a short run ended,
   * over a thirtieth of what the chart spans, so that a phase of a second
   * keeps its shape. */
  window_us = self->active ? RATE_WINDOW_US
                           : CLAMP ((gint64) (span_us / 30), RATE_WINDOW_US / 6, RATE_WINDOW_US);
  while (first < self->samples->len && g_array_index (self->samples, Sample, first).time_us < start_us)
    first++;
  rates = compute_rates (self, first > 0 ? first - 1 : 0, window_us);
  for (guint i = first; i < self->samples->len; i++)
    for (guint k = 0; k < N_SERIES; k++)
      max_rate = MAX (max_rate, rates[i * N_SERIES + k]);
  step = nice_step (max_rate, N_TICKS);
  top_rate = MAX (ceil (max_rate / step), 1) * step;

  /* The y axis: a labelled line at every tick, the labels as wide as the widest. */
  for (int i = 0; i <= top_rate / step + 0.5; i++)
    {
      g_autofree char *text = format_tick (i * step);
      int w, h;
      g_autoptr(PangoLayout) layout = create_layout (widget, text, &w, &h);

      label_width = MAX (label_width, w);
      text_height = MAX (text_height, h);
    }
  left = 12 + label_width + 8;
  plot_width = MAX (1, width - left - right);
  plot_height = MAX (1, height - top - bottom);

  grid = fg;
  grid.alpha *= 0.15;
  fg.alpha *= 0.7;
  cairo_set_line_width (cr, 1);
  for (int i = 0; i <= top_rate / step + 0.5; i++)
    {
      double y = round (top + plot_height - i * step / top_rate * plot_height) + 0.5;
      g_autofree char *text = format_tick (i * step);

      gdk_cairo_set_source_rgba (cr, &grid);
      cairo_move_to (cr, left, y);
      cairo_line_to (cr, left + plot_width, y);
      cairo_stroke (cr);
      gdk_cairo_set_source_rgba (cr, &fg);
      draw_text (cr, widget, text, left - 8, y, 1);
    }
  /* Translators: the unit of the chart's y axis */
  draw_text (cr, widget, _("orders/s"), 12, top - 18, 0);

  /* The time axis: where it starts and where it ends. */
  {
    g_autofree char *start_text = format_axis_time (self, start_us, end_us);
    g_autofree char *end_text = format_axis_time (self, end_us, end_us);

    draw_text (cr, widget, start_text, left, height - bottom / 2.0, 0);
    draw_text (cr, widget, end_text, left + plot_width, height - bottom / 2.0, 1);
  }

  /* Legend, top right, in the order of the steps. */
  {
    const char *keys[] = { _("Generating"), names[SERIES_VIP], names[SERIES_NORMAL] };
    const GdkRGBA *key_colors[] = { &generate_color, &colors[SERIES_VIP], &colors[SERIES_NORMAL] };
    double x = left + plot_width;

    for (int k = G_N_ELEMENTS (keys) - 1; k >= 0; k--)
      {
        int w, h;
        g_autoptr(PangoLayout) layout = create_layout (widget, keys[k], &w, &h);

        x -= w;
        gdk_cairo_set_source_rgba (cr, &fg);
        cairo_move_to (cr, round (x), round (top - 18 - h / 2.0));
        pango_cairo_show_layout (cr, layout);
        gdk_cairo_set_source_rgba (cr, key_colors[k]);
        cairo_rectangle (cr, x - 16, top - 18 - 4, 10, 8);
        cairo_fill (cr);
        x -= 16 + 16;
      }
  }

  cairo_save (cr);
  cairo_rectangle (cr, left, top - 2, plot_width, plot_height + 4);
  cairo_clip (cr);

  /* Generating, as a band with its rate. */
  if (self->generate_start_us > 0 && self->generate_end_us >= start_us)
    {
      double x0 = left + (MAX (self->generate_start_us, start_us) - start_us) / span_us * plot_width;
      double x1 = left + (self->generate_end_us - start_us) / span_us * plot_width;
      GdkRGBA band = generate_color;
      g_autofree char *rate = orderly_format_rate (self->generate_ms > 0 ? self->generated / (self->generate_ms / 1000.0) : 0);
      int w, h;
      g_autoptr(PangoLayout) layout = create_layout (widget, rate, &w, &h);

      x1 = MAX (x1, x0 + 3);
      band.alpha = 0.25;
      gdk_cairo_set_source_rgba (cr, &band);
      cairo_rectangle (cr, x0, top, x1 - x0, plot_height);
      cairo_fill (cr);
      if (w + 8 <= x1 - x0)
        {
          gdk_cairo_set_source_rgba (cr, &fg);
          cairo_move_to (cr, round ((x0 + x1 - w) / 2), round (top + 4));
          pango_cairo_show_layout (cr, layout);
        }
    }

  cairo_set_line_width (cr, 2);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  for (guint k = 0; k < N_SERIES; k++)
    {
      gboolean drawing = FALSE;
      gint64 previous_us = 0;

      gdk_cairo_set_source_rgba (cr, &colors[k]);
      for (guint i = first; i < self->samples->len; i++)
        {
          const Sample *s = &g_array_index (self->samples, Sample, i);
          double x, y;

          x = left + (s->time_us - start_us) / span_us * plot_width;
          y = top + plot_height - rates[i * N_SERIES + k] / top_rate * plot_height;
          /* No updates for a while: a gap, not a made-up line. */
          if (drawing && s->time_us - previous_us > GAP_US)
            {
              cairo_stroke (cr);
              drawing = FALSE;
            }
          if (!drawing)
            cairo_move_to (cr, x, y);
          else
            cairo_line_to (cr, x, y);
          drawing = TRUE;
          previous_us = s->time_us;
        }
      cairo_stroke (cr);
    }
  cairo_restore (cr);
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
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Orders processed per second over the run"),
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
  forget_run (self, status != NULL ? orderly_status_get_data (status)->run_id : 0);
  self->active = FALSE;
  if (status != NULL)
    g_signal_connect_object (status, "changed", G_CALLBACK (status_changed_cb),
                             self, G_CONNECT_SWAPPED);
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

/**
 * orderly_throughput_chart_get_peak_rate:
 *
 * Returns: the highest processing rate (VIP and normal) the run reached
 *   while the chart watched it, in orders per second
 */
double
orderly_throughput_chart_get_peak_rate (OrderlyThroughputChart *self)
{
  g_return_val_if_fail (ORDERLY_IS_THROUGHPUT_CHART (self), 0);
  return self->peak_rate;
}

/**
 * orderly_throughput_chart_get_rate:
 * @series: 0 for VIP orders processed, 1 for normal ones
 *
 * Returns: the rate at the last sample over two seconds, as a long run's
 *   chart draws it
 */
double
orderly_throughput_chart_get_rate (OrderlyThroughputChart *self,
                                   guint                   series)
{
  g_autofree double *rates = NULL;

  g_return_val_if_fail (ORDERLY_IS_THROUGHPUT_CHART (self), 0);
  g_return_val_if_fail (series < N_SERIES, 0);

  if (self->samples->len == 0)
    return 0;
  rates = compute_rates (self, self->samples->len - 1, RATE_WINDOW_US);
  return rates[(self->samples->len - 1) * N_SERIES + series];
}
