/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-ui"

#include "config.h"

#include "orderly-phase-ribbon.h"

#include <glib/gi18n.h>

#include "orderly-enums.h"
#include "orderly-format.h"

/**
 * OrderlyPhaseRibbon:
 *
 * One bar split into the steps of a run (Generate, Queue VIP, VIP, Queue
 * Normal, Normal), each as wide as it took. While a run goes, the time it
 * still needs follows in a lighter part, and a cursor marks now. With
 * #OrderlyPhaseRibbon:show-labels, each step that has room is named under
 * its part with its duration; the tooltip always lists them all.
 *
 * Given a #OrderlyPhaseRibbon:scale-ms, the bar fills that much of the
 * width, so that the ribbons of several runs compare by length.
 *
 * The colours come from the style sheet: `phaseribbon > .generate`, and so
 * on, the same colours as the charts and the progress bars.
 */

/* The narrowest a step that took any time is drawn, in pixels. */
#define MIN_STEP_WIDTH 3
#define CURSOR_WIDTH   2
#define LABEL_SPACING  4

struct _OrderlyPhaseRibbon
{
  GtkWidget     parent_instance;

  GtkWidget    *segments[ORDERLY_N_STEPS];
  GtkWidget    *labels[ORDERLY_N_STEPS];
  GtkWidget    *rest;
  GtkWidget    *cursor;

  double        step_ms[ORDERLY_N_STEPS];
  double        remaining_ms;
  double        scale_ms;
  OrderlyPhase  phase;
  gboolean      show_labels;
};

enum {
  PROP_0,
  PROP_GENERATE_MS,
  PROP_QUEUE_VIP_MS,
  PROP_VIP_MS,
  PROP_QUEUE_NORMAL_MS,
  PROP_NORMAL_MS,
  PROP_REMAINING_MS,
  PROP_SCALE_MS,
  PROP_PHASE,
  PROP_SHOW_LABELS,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (OrderlyPhaseRibbon, orderly_phase_ribbon, GTK_TYPE_WIDGET)

static GParamSpec *properties[N_PROPS];

/**
 * orderly_step_get_name:
 *
 * Returns: (transfer none): the short name of a step, as the ribbon shows it
 */
const char *
orderly_step_get_name (OrderlyStep step)
{
  switch (step)
    {
    case ORDERLY_STEP_GENERATE:
      return C_("step", "Generate");
    case ORDERLY_STEP_QUEUE_VIP:
      return C_("step", "Queue VIP");
    case ORDERLY_STEP_VIP:
      return C_("step", "VIP");
    case ORDERLY_STEP_QUEUE_NORMAL:
      return C_("step", "Queue Normal");
    case ORDERLY_STEP_NORMAL:
    case ORDERLY_N_STEPS:
    default:
      return C_("step", "Normal");
    }
}

/**
 * orderly_step_get_style:
 *
 * Returns: (transfer none): the style class that colours a step everywhere
 */
const char *
orderly_step_get_style (OrderlyStep step)
{
  static const char * const styles[] = { "generate", "queue-vip", "vip", "queue-normal", "normal" };

  g_return_val_if_fail (step < ORDERLY_N_STEPS, "normal");
  return styles[step];
}

/**
 * orderly_step_for_phase:
 *
 * Returns: the step an active phase is in; %ORDERLY_N_STEPS for the others
 */
OrderlyStep
orderly_step_for_phase (OrderlyPhase phase)
{
  switch (phase)
    {
    case ORDERLY_PHASE_GENERATING:
      return ORDERLY_STEP_GENERATE;
    case ORDERLY_PHASE_ENQUEUE_VIP:
      return ORDERLY_STEP_QUEUE_VIP;
    case ORDERLY_PHASE_WAITING_VIP_DRAIN:
      return ORDERLY_STEP_VIP;
    case ORDERLY_PHASE_ENQUEUE_NORMAL:
      return ORDERLY_STEP_QUEUE_NORMAL;
    case ORDERLY_PHASE_WAITING_NORMAL_DRAIN:
      return ORDERLY_STEP_NORMAL;
    default:
      return ORDERLY_N_STEPS;
    }
}

static gboolean
is_live (OrderlyPhaseRibbon *self)
{
  return orderly_phase_is_active (self->phase) && self->remaining_ms >= 0;
}

static double
done_ms (OrderlyPhaseRibbon *self)
{
  double total = 0;

  for (guint i = 0; i < ORDERLY_N_STEPS; i++)
    total += MAX (self->step_ms[i], 0);
  return total;
}

static void
update_tooltip (OrderlyPhaseRibbon *self)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < ORDERLY_N_STEPS; i++)
    {
      g_autofree char *duration = orderly_format_duration_ms (self->step_ms[i]);

      if (text->len > 0)
        g_string_append_c (text, '\n');
      /* Translators: a step of a run and how long it took, e.g. “VIP: 1.2 s” */
      g_string_append_printf (text, _("%s: %s"), orderly_step_get_name (i), duration);
    }
  if (is_live (self))
    {
      g_autofree char *eta = orderly_format_eta_ms ((gint64) self->remaining_ms);

      g_string_append_printf (text, "\n%s", eta);
    }
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), text->str);
  g_string_free (text, TRUE);
}

static void
update_labels (OrderlyPhaseRibbon *self)
{
  for (guint i = 0; i < ORDERLY_N_STEPS; i++)
    {
      g_autofree char *duration = orderly_format_duration_ms (self->step_ms[i]);
      /* Translators: under a step of the ribbon, e.g. “VIP · 1.2 s” */
      g_autofree char *text = g_strdup_printf (_("%s · %s"), orderly_step_get_name (i), duration);

      gtk_label_set_label (GTK_LABEL (self->labels[i]), text);
    }
}

static void
changed (OrderlyPhaseRibbon *self)
{
  update_tooltip (self);
  if (self->show_labels)
    update_labels (self);
  for (guint i = 0; i < ORDERLY_N_STEPS; i++)
    {
      if (orderly_step_for_phase (self->phase) == i)
        gtk_widget_add_css_class (self->segments[i], "current");
      else
        gtk_widget_remove_css_class (self->segments[i], "current");
    }
  gtk_widget_queue_allocate (GTK_WIDGET (self));
}

static int
bar_height (OrderlyPhaseRibbon *self)
{
  int height = 0;

  for (guint i = 0; i < ORDERLY_N_STEPS; i++)
    {
      int min;

      gtk_widget_measure (self->segments[i], GTK_ORIENTATION_VERTICAL, -1, &min, NULL, NULL, NULL);
      height = MAX (height, min);
    }
  return MAX (height, 4);
}

static int
label_height (OrderlyPhaseRibbon *self)
{
  int height = 0;

  if (!self->show_labels)
    return 0;
  for (guint i = 0; i < ORDERLY_N_STEPS; i++)
    {
      int nat;

      gtk_widget_measure (self->labels[i], GTK_ORIENTATION_VERTICAL, -1, NULL, &nat, NULL, NULL);
      height = MAX (height, nat);
    }
  return height + LABEL_SPACING;
}

static void
orderly_phase_ribbon_measure (GtkWidget      *widget,
                              GtkOrientation  orientation,
                              int             for_size,
                              int            *minimum,
                              int            *natural,
                              int            *minimum_baseline,
                              int            *natural_baseline)
{
  OrderlyPhaseRibbon *self = ORDERLY_PHASE_RIBBON (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = ORDERLY_N_STEPS * MIN_STEP_WIDTH;
      *natural = 200;
    }
  else
    *minimum = *natural = bar_height (self) + label_height (self);
}

static void
allocate_child (GtkWidget *child,
                int        x,
                int        y,
                int        width,
                int        height)
{
  gtk_widget_set_child_visible (child, width > 0);
  if (width > 0)
    gtk_widget_size_allocate (child, &(GtkAllocation) { x, y, width, height }, -1);
}

static void
orderly_phase_ribbon_size_allocate (GtkWidget *widget,
                                    int        width,
                                    int        height,
                                    int        baseline)
{
  OrderlyPhaseRibbon *self = ORDERLY_PHASE_RIBBON (widget);
  int bar = bar_height (self);
  double done = done_ms (self);
  double rest = is_live (self) ? self->remaining_ms : 0;
  double whole = MAX (done + rest, self->scale_ms);
  int used = 0, n_shown = 0;
  int widths[ORDERLY_N_STEPS];
  int bar_width;
  gboolean rtl = gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL;

  for (guint i = 0; i < ORDERLY_N_STEPS; i++)
    n_shown += self->step_ms[i] > 0 || orderly_step_for_phase (self->phase) == i;
  bar_width = whole > 0 ? (int) (width * (done + rest) / whole + 0.5) : 0;
  bar_width = CLAMP (bar_width, MIN (width, n_shown * MIN_STEP_WIDTH), width);

  /* Every step that happened stays visible, however short; the long ones
   * give up the pixels that costs. */
  for (guint i = 0; i < ORDERLY_N_STEPS; i++)
    {
      gboolean shown = self->step_ms[i] > 0 || orderly_step_for_phase (self->phase) == i;
      int w = 0;

      if (shown && done + rest > 0)
        w = MAX (MIN_STEP_WIDTH, (int) (bar_width * MAX (self->step_ms[i], 0) / (done + rest)));
      widths[i] = w;
      used += w;
    }
  while (used > bar_width)
    {
      guint widest = 0;

      for (guint i = 1; i < ORDERLY_N_STEPS; i++)
        if (widths[i] > widths[widest])
          widest = i;
      if (widths[widest] <= MIN_STEP_WIDTH)
        break;
      widths[widest]--;
      used--;
    }

  {
    int x = 0;
    int label_y = bar + LABEL_SPACING;

    for (guint i = 0; i < ORDERLY_N_STEPS; i++)
      {
        int left = rtl ? width - x - widths[i] : x;

        allocate_child (self->segments[i], left, 0, widths[i], bar);
        if (self->show_labels)
          {
            int nat;

            gtk_widget_measure (self->labels[i], GTK_ORIENTATION_HORIZONTAL, -1, NULL, &nat, NULL, NULL);
            /* A step too short for its name is named in the tooltip only. */
            allocate_child (self->labels[i], left, label_y, nat <= widths[i] ? widths[i] : 0,
                            height - label_y);
          }
        else
          gtk_widget_set_child_visible (self->labels[i], FALSE);
        x += widths[i];
      }
    {
      int rest_width = is_live (self) ? MAX (bar_width - x, 0) : 0;
      int rest_left = rtl ? width - x - rest_width : x;
      int cursor_left = rtl ? width - x - CURSOR_WIDTH / 2 : x - CURSOR_WIDTH / 2;

      allocate_child (self->rest, rest_left, 0, rest_width, bar);
      allocate_child (self->cursor, CLAMP (cursor_left, 0, MAX (width - CURSOR_WIDTH, 0)), 0,
                      is_live (self) ? CURSOR_WIDTH : 0, bar);
    }
  }
}

static void
orderly_phase_ribbon_dispose (GObject *object)
{
  OrderlyPhaseRibbon *self = (OrderlyPhaseRibbon *) object;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (orderly_phase_ribbon_parent_class)->dispose (object);
}

static void
orderly_phase_ribbon_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  OrderlyPhaseRibbon *self = ORDERLY_PHASE_RIBBON (object);

  switch (prop_id)
    {
    case PROP_GENERATE_MS:
    case PROP_QUEUE_VIP_MS:
    case PROP_VIP_MS:
    case PROP_QUEUE_NORMAL_MS:
    case PROP_NORMAL_MS:
      g_value_set_double (value, self->step_ms[prop_id - PROP_GENERATE_MS]);
      break;
    case PROP_REMAINING_MS:
      g_value_set_double (value, self->remaining_ms);
      break;
    case PROP_SCALE_MS:
      g_value_set_double (value, self->scale_ms);
      break;
    case PROP_PHASE:
      g_value_set_enum (value, self->phase);
      break;
    case PROP_SHOW_LABELS:
      g_value_set_boolean (value, self->show_labels);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_phase_ribbon_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  OrderlyPhaseRibbon *self = ORDERLY_PHASE_RIBBON (object);

  switch (prop_id)
    {
    case PROP_GENERATE_MS:
    case PROP_QUEUE_VIP_MS:
    case PROP_VIP_MS:
    case PROP_QUEUE_NORMAL_MS:
    case PROP_NORMAL_MS:
      orderly_phase_ribbon_set_step_ms (self, prop_id - PROP_GENERATE_MS, g_value_get_double (value));
      break;
    case PROP_REMAINING_MS:
      if (self->remaining_ms != g_value_get_double (value))
        {
          self->remaining_ms = g_value_get_double (value);
          changed (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_SCALE_MS:
      orderly_phase_ribbon_set_scale_ms (self, g_value_get_double (value));
      break;
    case PROP_PHASE:
      if (self->phase != (OrderlyPhase) g_value_get_enum (value))
        {
          self->phase = g_value_get_enum (value);
          changed (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_SHOW_LABELS:
      if (self->show_labels != g_value_get_boolean (value))
        {
          self->show_labels = g_value_get_boolean (value);
          changed (self);
          gtk_widget_queue_resize (GTK_WIDGET (self));
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_phase_ribbon_class_init (OrderlyPhaseRibbonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = orderly_phase_ribbon_dispose;
  object_class->get_property = orderly_phase_ribbon_get_property;
  object_class->set_property = orderly_phase_ribbon_set_property;

  widget_class->measure = orderly_phase_ribbon_measure;
  widget_class->size_allocate = orderly_phase_ribbon_size_allocate;

  properties[PROP_GENERATE_MS] = g_param_spec_double ("generate-ms", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, flags);
  properties[PROP_QUEUE_VIP_MS] = g_param_spec_double ("queue-vip-ms", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, flags);
  properties[PROP_VIP_MS] = g_param_spec_double ("vip-ms", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, flags);
  properties[PROP_QUEUE_NORMAL_MS] = g_param_spec_double ("queue-normal-ms", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, flags);
  properties[PROP_NORMAL_MS] = g_param_spec_double ("normal-ms", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, flags);
  /**
   * OrderlyPhaseRibbon:remaining-ms:
   *
   * How long the run still needs, drawn after the steps while the phase is
   * active; below 0 when unknown.
   */
  properties[PROP_REMAINING_MS] = g_param_spec_double ("remaining-ms", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, -1, flags);
  properties[PROP_SCALE_MS] = g_param_spec_double ("scale-ms", NULL, NULL, 0, G_MAXDOUBLE, 0, flags);
  properties[PROP_PHASE] = g_param_spec_enum ("phase", NULL, NULL, ORDERLY_TYPE_PHASE, ORDERLY_PHASE_IDLE, flags);
  properties[PROP_SHOW_LABELS] = g_param_spec_boolean ("show-labels", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "phaseribbon");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
orderly_phase_ribbon_init (OrderlyPhaseRibbon *self)
{
  self->remaining_ms = -1;
  for (guint i = 0; i < ORDERLY_N_STEPS; i++)
    {
      self->segments[i] = g_object_new (GTK_TYPE_BOX, "css-name", "segment", NULL);
      gtk_widget_add_css_class (self->segments[i], orderly_step_get_style (i));
      gtk_widget_set_parent (self->segments[i], GTK_WIDGET (self));
    }
  self->rest = g_object_new (GTK_TYPE_BOX, "css-name", "segment", NULL);
  gtk_widget_add_css_class (self->rest, "rest");
  gtk_widget_set_parent (self->rest, GTK_WIDGET (self));
  self->cursor = g_object_new (GTK_TYPE_BOX, "css-name", "cursor", NULL);
  gtk_widget_set_parent (self->cursor, GTK_WIDGET (self));
  for (guint i = 0; i < ORDERLY_N_STEPS; i++)
    {
      self->labels[i] = gtk_label_new (NULL);
      gtk_label_set_xalign (GTK_LABEL (self->labels[i]), 0);
      gtk_widget_add_css_class (self->labels[i], "caption");
      gtk_widget_add_css_class (self->labels[i], "dim-label");
      gtk_widget_set_parent (self->labels[i], GTK_WIDGET (self));
      gtk_widget_set_child_visible (self->labels[i], FALSE);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Steps of the run"), -1);
  changed (self);
}

GtkWidget *
orderly_phase_ribbon_new (void)
{
  return g_object_new (ORDERLY_TYPE_PHASE_RIBBON, NULL);
}

/**
 * orderly_phase_ribbon_set_step_ms:
 * @ms: how long @step took, or has taken so far
 */
void
orderly_phase_ribbon_set_step_ms (OrderlyPhaseRibbon *self,
                                  OrderlyStep         step,
                                  double              ms)
{
  g_return_if_fail (ORDERLY_IS_PHASE_RIBBON (self));
  g_return_if_fail (step < ORDERLY_N_STEPS);

  if (self->step_ms[step] == ms)
    return;
  self->step_ms[step] = ms;
  changed (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GENERATE_MS + step]);
}

double
orderly_phase_ribbon_get_step_ms (OrderlyPhaseRibbon *self,
                                  OrderlyStep         step)
{
  g_return_val_if_fail (ORDERLY_IS_PHASE_RIBBON (self), 0);
  g_return_val_if_fail (step < ORDERLY_N_STEPS, 0);
  return self->step_ms[step];
}

/**
 * orderly_phase_ribbon_set_scale_ms:
 * @scale_ms: the duration the whole width stands for; 0 for the run's own
 */
void
orderly_phase_ribbon_set_scale_ms (OrderlyPhaseRibbon *self,
                                   double              scale_ms)
{
  g_return_if_fail (ORDERLY_IS_PHASE_RIBBON (self));

  if (self->scale_ms == scale_ms)
    return;
  self->scale_ms = scale_ms;
  gtk_widget_queue_allocate (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCALE_MS]);
}
