/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-ui"

#include "config.h"

#include "orderly-logs-page.h"

#include <glib/gi18n.h>

#include "orderly-enums.h"
#include "orderly-format.h"

/**
 * OrderlyLogsPage:
 *
 * The engine's log as a table: time, level, category and message. The table
 * shows the log store through a filter (levels, search) and a multiple
 * selection that can be copied. While it follows the tail, new lines scroll
 * into view; scrolling up pauses that until the operator returns to the end.
 *
 * The table shows the engine's log store itself, through a filter list
 * model: new lines arrive in one batch per engine tick, and only those are
 * filtered. While the view follows, the filter also holds back the lines
 * that came since the last refresh, which comes at most twice a second: a
 * flood costs the table two batches of rows a second however fast lines
 * come, and a quiet log still shows each line at once. The rows are
 * recycled by the column view, so 100,000 lines cost no more to show than a
 * screenful. In a narrow window the level and the category leave their
 * columns: the message takes the level's colour, and two lines.
 */

#define REFRESH_INTERVAL_US (500 * G_TIME_SPAN_MILLISECOND)

struct _OrderlyLogsPage
{
  AdwBin              parent_instance;

  /* Template widgets */
  GtkStack           *stack;
  GtkScrolledWindow  *scroller;
  GtkColumnView      *column_view;
  GtkSearchBar       *search_bar;
  GtkSearchEntry     *search_entry;
  GtkLabel           *count_label;
  AdwStatusPage      *empty_page;
  GtkColumnViewColumn *time_column;
  GtkColumnViewColumn *level_column;
  GtkColumnViewColumn *category_column;
  GtkColumnViewColumn *message_column;

  /* Owned */
  OrderlyLogStore    *log_store;
  GtkFilterListModel *filter_model;
  GtkCustomFilter    *filter;
  GtkMultiSelection  *selection;
  GtkWidget          *list_view;    /* the column view's own list, borrowed */
  char               *search;       /* ASCII-lowercased, NULL when empty */

  GHashTable         *held;          /* lines that wait for the next refresh */
  gint64              last_refresh_us;
  guint               refresh_source;
  guint               scroll_tick;
  guint               compact : 1;
  guint               show_info : 1;
  guint               show_warnings : 1;
  guint               show_errors : 1;
  guint               following : 1;
  guint               scrolling_to_end : 1;
};

enum {
  PROP_0,
  PROP_LOG_STORE,
  PROP_SHOW_INFO,
  PROP_SHOW_WARNINGS,
  PROP_SHOW_ERRORS,
  PROP_FOLLOWING,
  PROP_COMPACT,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (OrderlyLogsPage, orderly_logs_page, ADW_TYPE_BIN)

static GParamSpec *properties[N_PROPS];

/* Case-insensitive for ASCII, exact for the rest: fast enough to run over
 * 100,000 lines on every keystroke. @needle is already lowercase. */
static gboolean
contains_ascii_nocase (const char *haystack,
                       const char *needle)
{
  if (haystack == NULL)
    return FALSE;
  for (const char *h = haystack; *h != '\0'; h++)
    {
      const char *a = h;
      const char *b = needle;

      while (*a != '\0' && *b != '\0' && g_ascii_tolower (*a) == *b)
        {
          a++;
          b++;
        }
      if (*b == '\0')
        return TRUE;
    }
  return FALSE;
}

static gboolean
filter_func (gpointer item,
             gpointer user_data)
{
  OrderlyLogsPage *self = user_data;
  OrderlyLogEntry *entry = item;

  if (g_hash_table_contains (self->held, entry))
    return FALSE;
  switch (orderly_log_entry_get_level (entry))
    {
    case ORDERLY_LOG_LEVEL_LOG:
      if (!self->show_info)
        return FALSE;
      break;
    case ORDERLY_LOG_LEVEL_WARN:
      if (!self->show_warnings)
        return FALSE;
      break;
    case ORDERLY_LOG_LEVEL_ERROR:
      if (!self->show_errors)
        return FALSE;
      break;
    default:
      break;
    }

  if (self->search == NULL)
    return TRUE;
  return contains_ascii_nocase (orderly_log_entry_get_message (entry), self->search) ||
         contains_ascii_nocase (orderly_log_entry_get_category (entry), self->search) ||
         (orderly_log_entry_get_instance (entry) != NULL &&
          contains_ascii_nocase (orderly_log_entry_get_instance (entry), self->search));
}

/* The category, and for a line from another instance of the cluster the
 * start of its id: “engine · ab12cd34”. */
static char *
dup_category_text (OrderlyLogEntry *entry)
{
  g_autofree char *short_id = NULL;

  if (orderly_log_entry_get_instance (entry) == NULL)
    return g_strdup (orderly_log_entry_get_category (entry));
  short_id = g_strndup (orderly_log_entry_get_instance (entry), 8);
  /* Translators: a log line's category and the instance it came from, e.g. “engine · ab12cd34” */
  return g_strdup_printf (_("%s · %s"), orderly_log_entry_get_category (entry), short_id);
}

/*
 * The cells are made in C rather than from GtkBuilder templates: a flood
 * recycles and rebinds rows several times a second, and a plain
 * GtkInscription set directly costs a fraction of a template's expressions.
 */
typedef enum
{
  CELL_TIME,
  CELL_LEVEL,
  CELL_CATEGORY,
  CELL_MESSAGE,
  CELL_MESSAGE_WRAPPED,
} Cell;

/* In a narrow window the message has about half a phone's width: two lines
 * of it hold what most lines say. */
#define WRAPPED_MESSAGE_LINES 2

static void
setup_cell_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               gpointer                  user_data)
{
  Cell cell = GPOINTER_TO_INT (user_data);
  GtkWidget *inscription = gtk_inscription_new (NULL);

  switch (cell)
    {
    case CELL_TIME:
      gtk_inscription_set_min_chars (GTK_INSCRIPTION (inscription), 12);
      gtk_inscription_set_nat_chars (GTK_INSCRIPTION (inscription), 12);
      gtk_widget_add_css_class (inscription, "numeric");
      gtk_widget_add_css_class (inscription, "dim-label");
      break;
    case CELL_LEVEL:
      gtk_inscription_set_min_chars (GTK_INSCRIPTION (inscription), 7);
      gtk_inscription_set_nat_chars (GTK_INSCRIPTION (inscription), 7);
      break;
    case CELL_CATEGORY:
      gtk_inscription_set_min_chars (GTK_INSCRIPTION (inscription), 8);
      gtk_inscription_set_nat_chars (GTK_INSCRIPTION (inscription), 10);
      gtk_inscription_set_text_overflow (GTK_INSCRIPTION (inscription),
                                         GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);
      break;
    case CELL_MESSAGE_WRAPPED:
      gtk_inscription_set_min_lines (GTK_INSCRIPTION (inscription), WRAPPED_MESSAGE_LINES);
      gtk_inscription_set_nat_lines (GTK_INSCRIPTION (inscription), WRAPPED_MESSAGE_LINES);
      gtk_inscription_set_wrap_mode (GTK_INSCRIPTION (inscription), PANGO_WRAP_WORD_CHAR);
      G_GNUC_FALLTHROUGH;
    case CELL_MESSAGE:
    default:
      gtk_inscription_set_min_chars (GTK_INSCRIPTION (inscription), 20);
      gtk_inscription_set_nat_chars (GTK_INSCRIPTION (inscription), 60);
      gtk_inscription_set_text_overflow (GTK_INSCRIPTION (inscription),
                                         GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);
      break;
    }
  gtk_list_item_set_child (list_item, inscription);
}

static void
set_level_style (GtkWidget       *cell,
                 OrderlyLogLevel  level)
{
  if (level == ORDERLY_LOG_LEVEL_WARN)
    gtk_widget_add_css_class (cell, "warning");
  else
    gtk_widget_remove_css_class (cell, "warning");
  if (level == ORDERLY_LOG_LEVEL_ERROR)
    gtk_widget_add_css_class (cell, "error");
  else
    gtk_widget_remove_css_class (cell, "error");
}

static void
bind_cell_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              gpointer                  user_data)
{
  Cell cell = GPOINTER_TO_INT (user_data);
  OrderlyLogEntry *entry = gtk_list_item_get_item (list_item);
  GtkInscription *inscription = GTK_INSCRIPTION (gtk_list_item_get_child (list_item));

  switch (cell)
    {
    case CELL_TIME:
      {
        g_autofree char *time = orderly_format_log_time_ms (orderly_log_entry_get_timestamp (entry));

        gtk_inscription_set_text (inscription, time);
      }
      break;
    case CELL_LEVEL:
      gtk_inscription_set_text (inscription,
                                orderly_format_log_level (orderly_log_entry_get_level (entry)));
      set_level_style (GTK_WIDGET (inscription), orderly_log_entry_get_level (entry));
      break;
    case CELL_CATEGORY:
      {
        g_autofree char *text = dup_category_text (entry);

        gtk_inscription_set_text (inscription, text);
      }
      break;
    case CELL_MESSAGE:
    case CELL_MESSAGE_WRAPPED:
    default:
      gtk_inscription_set_text (inscription, orderly_log_entry_get_message (entry));
      /* The level's colour, which stays when its column goes in a narrow window. */
      set_level_style (GTK_WIDGET (inscription), orderly_log_entry_get_level (entry));
      break;
    }
}

static void
set_cell_factory (GtkColumnViewColumn *column,
                  Cell                 cell)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", G_CALLBACK (setup_cell_cb), GINT_TO_POINTER (cell));
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cell_cb), GINT_TO_POINTER (cell));
  gtk_column_view_column_set_factory (column, factory);
}

static void
update_count (OrderlyLogsPage *self)
{
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model));
  GListModel *source = gtk_filter_list_model_get_model (self->filter_model);
  guint total = source != NULL ? g_list_model_get_n_items (source) : 0;
  g_autofree char *shown_text = orderly_format_count (shown);
  g_autofree char *total_text = orderly_format_count (total);
  g_autofree char *text = NULL;

  if (shown == total)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s line", "%s lines", total), total_text);
  else
    /* Translators: log lines shown out of all lines, e.g. “12 of 3,456 lines” */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s of %s line", "%s of %s lines", total),
                            shown_text, total_text);
  if (!self->following)
    {
      g_autofree char *paused = g_strdup_printf (_("%s · paused"), text);

      gtk_label_set_label (self->count_label, paused);
    }
  else
    gtk_label_set_label (self->count_label, text);

  if (shown > 0)
    gtk_stack_set_visible_child_name (self->stack, "lines");
  else
    {
      gboolean filtered = total > 0;

      adw_status_page_set_title (self->empty_page,
                                 filtered ? _("No Matching Lines") : _("No Log Lines Yet"));
      adw_status_page_set_description (self->empty_page,
                                       filtered ? _("Try other levels or another search")
                                                : _("What the engine does appears here as it happens"));
      gtk_stack_set_visible_child_name (self->stack, "empty");
    }
}

/* Lets in every line the store holds now. */
static void
refresh (OrderlyLogsPage *self)
{
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  self->last_refresh_us = g_get_monotonic_time ();
  if (g_hash_table_size (self->held) == 0)
    return;
  g_hash_table_remove_all (self->held);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_LESS_STRICT);
}

static gboolean
refresh_timeout_cb (gpointer user_data)
{
  OrderlyLogsPage *self = user_data;

  self->refresh_source = 0;
  refresh (self);
  return G_SOURCE_REMOVE;
}

/* Runs before the filter model sees the new lines: those that come too soon
 * after the last refresh are held for the next one. */
static void
store_items_changed_cb (OrderlyLogsPage *self,
                        guint            position,
                        guint            removed,
                        guint            added,
                        GListModel      *store)
{
  gint64 due;

  if (added == 0 || !self->following)
    return;
  due = self->last_refresh_us + REFRESH_INTERVAL_US - g_get_monotonic_time ();
  if (due <= 0 && self->refresh_source == 0)
    {
      self->last_refresh_us = g_get_monotonic_time ();
      return;
    }
  for (guint i = position; i < position + added; i++)
    g_hash_table_add (self->held, g_list_model_get_item (store, i));
  if (self->refresh_source == 0)
    self->refresh_source = g_timeout_add_full (G_PRIORITY_DEFAULT, MAX (due, 0) / 1000 + 1,
                                               refresh_timeout_cb, self, NULL);
}

static gboolean
is_at_end (OrderlyLogsPage *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);

  return gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment)
         >= gtk_adjustment_get_upper (adjustment) - 24;
}

static void
set_following (OrderlyLogsPage *self,
               gboolean         following)
{
  following = !!following;
  if (self->following == following)
    return;
  self->following = following;
  /* Paused, nothing is held back: the lines come in below the view. */
  refresh (self);
  update_count (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FOLLOWING]);
  if (following)
    gtk_widget_queue_allocate (GTK_WIDGET (self));
}

static gboolean
scroll_to_end_tick (GtkWidget     *widget,
                    GdkFrameClock *frame_clock,
                    gpointer       user_data)
{
  OrderlyLogsPage *self = ORDERLY_LOGS_PAGE (widget);
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);

  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model));

  self->scroll_tick = 0;
  if (self->following && n_items > 0)
    {
      self->scrolling_to_end = TRUE;
      /* The table's list knows row positions exactly; the adjustment only
       * estimates them until the rows are measured. */
      if (self->list_view == NULL ||
          !gtk_widget_activate_action (self->list_view, "list.scroll-to-item", "u", n_items - 1))
        gtk_adjustment_set_value (adjustment,
                                  gtk_adjustment_get_upper (adjustment) -
                                  gtk_adjustment_get_page_size (adjustment));
      self->scrolling_to_end = FALSE;
    }
  return G_SOURCE_REMOVE;
}

/* Moves the table's anchor to the last line at once, without waiting for
 * a frame: under a flood the next batch may come first, and a table
 * anchored on lines about to be dropped rebuilds all its rows. */
static void
anchor_at_end (OrderlyLogsPage *self)
{
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model));

  if (self->following && n_items > 0 && self->list_view != NULL &&
      gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      self->scrolling_to_end = TRUE;
      gtk_widget_activate_action (self->list_view, "list.scroll-to-item", "u", n_items - 1);
      self->scrolling_to_end = FALSE;
    }
}

static void
queue_scroll_to_end (OrderlyLogsPage *self)
{
  if (self->scroll_tick == 0 && self->following)
    self->scroll_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self), scroll_to_end_tick,
                                                      NULL, NULL);
}

static void
filter_items_changed_cb (OrderlyLogsPage *self,
                         guint            position,
                         guint            removed,
                         guint            added,
                         GListModel      *model)
{
  update_count (self);
  if (added > 0)
    {
      anchor_at_end (self);
      queue_scroll_to_end (self);
    }
}

static void
adjustment_changed_cb (OrderlyLogsPage *self,
                       GtkAdjustment   *adjustment)
{
  queue_scroll_to_end (self);
}

static void
value_changed_cb (OrderlyLogsPage *self,
                  GtkAdjustment   *adjustment)
{
  /* Coming back to the end resumes following; leaving it is decided by
   * what the operator does (wheel, keys, scrollbar), not by the list
   * moving its rows when old lines are dropped. */
  if (!self->scrolling_to_end && !self->following && is_at_end (self))
    set_following (self, TRUE);
}

static gboolean
scroll_cb (OrderlyLogsPage          *self,
           double                    dx,
           double                    dy,
           GtkEventControllerScroll *controller)
{
  if (dy < 0)
    set_following (self, FALSE);
  return FALSE;
}

static void
scrollbar_pressed_cb (OrderlyLogsPage *self,
                      int              n_press,
                      double           x,
                      double           y,
                      GtkGestureClick *gesture)
{
  set_following (self, FALSE);
}

static gboolean
key_pressed_cb (OrderlyLogsPage       *self,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GtkEventControllerKey *controller)
{
  switch (keyval)
    {
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
    case GDK_KEY_Page_Up:
    case GDK_KEY_KP_Page_Up:
    case GDK_KEY_Home:
    case GDK_KEY_KP_Home:
      set_following (self, FALSE);
      break;
    case GDK_KEY_End:
    case GDK_KEY_KP_End:
      set_following (self, TRUE);
      break;
    default:
      break;
    }
  return GDK_EVENT_PROPAGATE;
}

static void
refilter (OrderlyLogsPage *self,
          GtkFilterChange  change)
{
  gtk_filter_changed (GTK_FILTER (self->filter), change);
}

static void
search_changed_cb (OrderlyLogsPage *self,
                   GtkSearchEntry  *entry)
{
  orderly_logs_page_set_search (self, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
selection_changed_cb (OrderlyLogsPage   *self,
                      guint              position,
                      guint              n_items,
                      GtkSelectionModel *selection)
{
  g_autoptr(GtkBitset) selected = gtk_selection_model_get_selection (selection);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "logs.copy", !gtk_bitset_is_empty (selected));
}

static void
copy_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  OrderlyLogsPage *self = ORDERLY_LOGS_PAGE (widget);
  g_autoptr(GtkBitset) selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  g_autofree char *text = orderly_logs_page_dup_selected_text (self);
  g_autofree char *message = NULL;
  guint64 n_lines = gtk_bitset_get_size (selected);

  if (text == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), text);
  message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Copied %u line", "Copied %u lines", n_lines),
                             (guint) n_lines);
  gtk_widget_activate_action (widget, "win.toast", "s", message);
}

static void
follow_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  OrderlyLogsPage *self = ORDERLY_LOGS_PAGE (widget);

  set_following (self, TRUE);
  queue_scroll_to_end (self);
}

/* A hidden table would still rebuild rows for every batch of lines; it
 * gets its model back when it is shown. */
static void
orderly_logs_page_map (GtkWidget *widget)
{
  OrderlyLogsPage *self = ORDERLY_LOGS_PAGE (widget);

  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  GTK_WIDGET_CLASS (orderly_logs_page_parent_class)->map (widget);
  anchor_at_end (self);
  queue_scroll_to_end (self);
}

static void
orderly_logs_page_unmap (GtkWidget *widget)
{
  OrderlyLogsPage *self = ORDERLY_LOGS_PAGE (widget);

  GTK_WIDGET_CLASS (orderly_logs_page_parent_class)->unmap (widget);
  gtk_column_view_set_model (self->column_view, NULL);
}

static void
orderly_logs_page_dispose (GObject *object)
{
  OrderlyLogsPage *self = (OrderlyLogsPage *) object;

  if (self->scroll_tick != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->scroll_tick);
      self->scroll_tick = 0;
    }
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), ORDERLY_TYPE_LOGS_PAGE);
  g_clear_object (&self->selection);
  g_clear_object (&self->filter_model);
  g_clear_object (&self->filter);
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  if (self->log_store != NULL)
    g_signal_handlers_disconnect_by_func (self->log_store, store_items_changed_cb, self);
  g_clear_object (&self->log_store);
  g_clear_pointer (&self->held, g_hash_table_unref);

  G_OBJECT_CLASS (orderly_logs_page_parent_class)->dispose (object);
}

static void
orderly_logs_page_finalize (GObject *object)
{
  OrderlyLogsPage *self = (OrderlyLogsPage *) object;

  g_clear_pointer (&self->search, g_free);

  G_OBJECT_CLASS (orderly_logs_page_parent_class)->finalize (object);
}

static void
orderly_logs_page_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  OrderlyLogsPage *self = ORDERLY_LOGS_PAGE (object);

  switch (prop_id)
    {
    case PROP_LOG_STORE:
      g_value_set_object (value, self->log_store);
      break;
    case PROP_SHOW_INFO:
      g_value_set_boolean (value, self->show_info);
      break;
    case PROP_SHOW_WARNINGS:
      g_value_set_boolean (value, self->show_warnings);
      break;
    case PROP_SHOW_ERRORS:
      g_value_set_boolean (value, self->show_errors);
      break;
    case PROP_FOLLOWING:
      g_value_set_boolean (value, self->following);
      break;
    case PROP_COMPACT:
      g_value_set_boolean (value, self->compact);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_level_shown (OrderlyLogsPage *self,
                 guint            prop_id,
                 gboolean         shown)
{
  gboolean was;

  shown = !!shown;
  switch (prop_id)
    {
    case PROP_SHOW_INFO:
      was = self->show_info;
      self->show_info = shown;
      break;
    case PROP_SHOW_WARNINGS:
      was = self->show_warnings;
      self->show_warnings = shown;
      break;
    case PROP_SHOW_ERRORS:
      was = self->show_errors;
      self->show_errors = shown;
      break;
    default:
      g_assert_not_reached ();
    }
  if (was == shown)
    return;
  refilter (self, shown ? GTK_FILTER_CHANGE_LESS_STRICT : GTK_FILTER_CHANGE_MORE_STRICT);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
orderly_logs_page_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  OrderlyLogsPage *self = ORDERLY_LOGS_PAGE (object);

  switch (prop_id)
    {
    case PROP_LOG_STORE:
      orderly_logs_page_set_log_store (self, g_value_get_object (value));
      break;
    case PROP_SHOW_INFO:
    case PROP_SHOW_WARNINGS:
    case PROP_SHOW_ERRORS:
      set_level_shown (self, prop_id, g_value_get_boolean (value));
      break;
    case PROP_FOLLOWING:
      set_following (self, g_value_get_boolean (value));
      queue_scroll_to_end (self);
      break;
    case PROP_COMPACT:
      orderly_logs_page_set_compact (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
orderly_logs_page_class_init (OrderlyLogsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = orderly_logs_page_dispose;
  object_class->finalize = orderly_logs_page_finalize;
  object_class->get_property = orderly_logs_page_get_property;
  object_class->set_property = orderly_logs_page_set_property;

  widget_class->map = orderly_logs_page_map;
  widget_class->unmap = orderly_logs_page_unmap;

  properties[PROP_LOG_STORE] =
    g_param_spec_object ("log-store", NULL, NULL, ORDERLY_TYPE_LOG_STORE, flags);
  properties[PROP_SHOW_INFO] = g_param_spec_boolean ("show-info", NULL, NULL, TRUE, flags);
  properties[PROP_SHOW_WARNINGS] = g_param_spec_boolean ("show-warnings", NULL, NULL, TRUE, flags);
  properties[PROP_SHOW_ERRORS] = g_param_spec_boolean ("show-errors", NULL, NULL, TRUE, flags);
  properties[PROP_FOLLOWING] = g_param_spec_boolean ("following", NULL, NULL, TRUE, flags);
  properties[PROP_COMPACT] = g_param_spec_boolean ("compact", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (ORDERLY_TYPE_LOG_ENTRY);
  g_type_ensure (ORDERLY_TYPE_LOG_LEVEL);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/orderly/Orderly/orderly-logs-page.ui");
  gtk_widget_class_bind_template_child (widget_class, OrderlyLogsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, OrderlyLogsPage, scroller);
  gtk_widget_class_bind_template_child (widget_class, OrderlyLogsPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, OrderlyLogsPage, search_bar);
  gtk_widget_class_bind_template_child (widget_class, OrderlyLogsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, OrderlyLogsPage, count_label);
  gtk_widget_class_bind_template_child (widget_class, OrderlyLogsPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, OrderlyLogsPage, time_column);
  gtk_widget_class_bind_template_child (widget_class, OrderlyLogsPage, level_column);
  gtk_widget_class_bind_template_child (widget_class, OrderlyLogsPage, category_column);
  gtk_widget_class_bind_template_child (widget_class, OrderlyLogsPage, message_column);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);

  gtk_widget_class_install_property_action (widget_class, "logs.show-info", "show-info");
  gtk_widget_class_install_property_action (widget_class, "logs.show-warnings", "show-warnings");
  gtk_widget_class_install_property_action (widget_class, "logs.show-errors", "show-errors");
  gtk_widget_class_install_action (widget_class, "logs.copy", NULL, copy_action);
  gtk_widget_class_install_action (widget_class, "logs.follow", NULL, follow_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK, "logs.copy", NULL);
}

static void
orderly_logs_page_init (OrderlyLogsPage *self)
{
  GtkEventController *controller;
  GtkGesture *gesture;
  GtkAdjustment *adjustment;

  self->show_info = self->show_warnings = self->show_errors = TRUE;
  self->following = TRUE;
  self->held = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);

  gtk_widget_init_template (GTK_WIDGET (self));

  set_cell_factory (self->time_column, CELL_TIME);
  set_cell_factory (self->level_column, CELL_LEVEL);
  set_cell_factory (self->category_column, CELL_CATEGORY);
  set_cell_factory (self->message_column, CELL_MESSAGE);
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->column_view));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_LIST_VIEW (child))
      self->list_view = child;

  self->filter = gtk_custom_filter_new (filter_func, self, NULL);
  self->filter_model = gtk_filter_list_model_new (NULL, g_object_ref (GTK_FILTER (self->filter)));
  self->selection = gtk_multi_selection_new (g_object_ref (G_LIST_MODEL (self->filter_model)));
  g_signal_connect_object (self->filter_model, "items-changed",
                           G_CALLBACK (filter_items_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->selection, "selection-changed",
                           G_CALLBACK (selection_changed_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "logs.copy", FALSE);

  adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  g_signal_connect_object (adjustment, "changed", G_CALLBACK (adjustment_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (adjustment, "value-changed", G_CALLBACK (value_changed_cb),
                           self, G_CONNECT_SWAPPED);

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_object (controller, "scroll", G_CALLBACK (scroll_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->scroller), controller);

  gesture = gtk_gesture_click_new ();
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (gesture), GTK_PHASE_CAPTURE);
  g_signal_connect_object (gesture, "pressed", G_CALLBACK (scrollbar_pressed_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (gtk_scrolled_window_get_vscrollbar (self->scroller),
                             GTK_EVENT_CONTROLLER (gesture));

  controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_object (controller, "key-pressed", G_CALLBACK (key_pressed_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->column_view), controller);

  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  update_count (self);
}

OrderlyLogStore *
orderly_logs_page_get_log_store (OrderlyLogsPage *self)
{
  g_return_val_if_fail (ORDERLY_IS_LOGS_PAGE (self), NULL);
  return self->log_store;
}

void
orderly_logs_page_set_log_store (OrderlyLogsPage *self,
                                 OrderlyLogStore *log_store)
{
  g_return_if_fail (ORDERLY_IS_LOGS_PAGE (self));
  g_return_if_fail (!log_store || ORDERLY_IS_LOG_STORE (log_store));

  if (self->log_store == log_store)
    return;
  if (self->log_store != NULL)
    g_signal_handlers_disconnect_by_func (self->log_store, store_items_changed_cb, self);
  g_set_object (&self->log_store, log_store);
  if (log_store != NULL)
    g_signal_connect_object (log_store, "items-changed", G_CALLBACK (store_items_changed_cb),
                             self, G_CONNECT_SWAPPED);
  g_hash_table_remove_all (self->held);
  gtk_filter_list_model_set_model (self->filter_model, G_LIST_MODEL (log_store));
  update_count (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOG_STORE]);
}

/**
 * orderly_logs_page_get_shown:
 *
 * Returns: (transfer none): the lines the filters let through
 */
GListModel *
orderly_logs_page_get_shown (OrderlyLogsPage *self)
{
  g_return_val_if_fail (ORDERLY_IS_LOGS_PAGE (self), NULL);
  return G_LIST_MODEL (self->filter_model);
}

/**
 * orderly_logs_page_set_search:
 * @text: (nullable): what a line's message or category must contain
 */
void
orderly_logs_page_set_search (OrderlyLogsPage *self,
                              const char      *text)
{
  g_autofree char *search = NULL;
  GtkFilterChange change = GTK_FILTER_CHANGE_DIFFERENT;

  g_return_if_fail (ORDERLY_IS_LOGS_PAGE (self));

  if (text != NULL && text[0] != '\0')
    search = g_ascii_strdown (text, -1);
  if (g_strcmp0 (search, self->search) == 0)
    return;

  if (self->search == NULL)
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else if (search == NULL)
    change = GTK_FILTER_CHANGE_LESS_STRICT;
  else if (strstr (search, self->search) != NULL)
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else if (strstr (self->search, search) != NULL)
    change = GTK_FILTER_CHANGE_LESS_STRICT;

  g_free (self->search);
  self->search = g_steal_pointer (&search);
  refilter (self, change);

  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)), text ? text : "") != 0)
    gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text ? text : "");
}

void
orderly_logs_page_start_search (OrderlyLogsPage *self)
{
  g_return_if_fail (ORDERLY_IS_LOGS_PAGE (self));

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

gboolean
orderly_logs_page_get_following (OrderlyLogsPage *self)
{
  g_return_val_if_fail (ORDERLY_IS_LOGS_PAGE (self), FALSE);
  return self->following;
}

/**
 * orderly_logs_page_dup_selected_text:
 *
 * Returns: (transfer full) (nullable): the selected lines as text, one per
 *   line, fields separated by tabs; %NULL when nothing is selected
 */
char *
orderly_logs_page_dup_selected_text (OrderlyLogsPage *self)
{
  g_autoptr(GtkBitset) selected = NULL;
  GtkBitsetIter iter;
  GString *text;
  guint position;

  g_return_val_if_fail (ORDERLY_IS_LOGS_PAGE (self), NULL);

  selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  if (gtk_bitset_is_empty (selected))
    return NULL;

  text = g_string_new (NULL);
  for (gboolean more = gtk_bitset_iter_init_first (&iter, selected, &position);
       more;
       more = gtk_bitset_iter_next (&iter, &position))
    {
      g_autoptr(OrderlyLogEntry) entry = g_list_model_get_item (G_LIST_MODEL (self->filter_model), position);
      g_autofree char *time = NULL;
      g_autofree char *category = NULL;

      if (entry == NULL)
        continue;
      time = orderly_format_log_time_ms (orderly_log_entry_get_timestamp (entry));
      category = dup_category_text (entry);
      g_string_append_printf (text, "%s\t%s\t%s\t%s\n",
                              time,
                              orderly_log_level_to_string (orderly_log_entry_get_level (entry)),
                              category,
                              orderly_log_entry_get_message (entry));
    }
  return g_string_free (text, FALSE);
}

/**
 * orderly_logs_page_set_compact:
 * @compact: whether the window is narrow
 *
 * A narrow table shows the time and the message only, the message on two
 * lines; it keeps the level's colour, and searches still match the category.
 */
void
orderly_logs_page_set_compact (OrderlyLogsPage *self,
                               gboolean         compact)
{
  g_return_if_fail (ORDERLY_IS_LOGS_PAGE (self));

  compact = !!compact;
  if (self->compact == compact)
    return;
  self->compact = compact;
  gtk_column_view_column_set_visible (self->level_column, !compact);
  gtk_column_view_column_set_visible (self->category_column, !compact);
  set_cell_factory (self->message_column, compact ? CELL_MESSAGE_WRAPPED : CELL_MESSAGE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPACT]);
}
