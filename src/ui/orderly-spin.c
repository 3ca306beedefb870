/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-ui"

#include "config.h"

#include "orderly-spin.h"

#include "orderly-format.h"

/* The numbers people type, read back: grouped or not, with K or M. */
static int
input_cb (GtkSpinButton *spin,
          double        *value,
          gpointer       user_data)
{
  gint64 count;

  if (!orderly_format_parse_count (gtk_editable_get_text (GTK_EDITABLE (spin)), &count))
    return GTK_INPUT_ERROR;
  *value = (double) count;
  return TRUE;
}

static gboolean
output_cb (GtkSpinButton *spin,
           gpointer       user_data)
{
  g_autofree char *text = orderly_format_count ((gint64) gtk_spin_button_get_value (spin));

  if (g_strcmp0 (text, gtk_editable_get_text (GTK_EDITABLE (spin))) != 0)
    gtk_editable_set_text (GTK_EDITABLE (spin), text);
  return TRUE;
}

/**
 * orderly_spin_button_show_grouped:
 *
 * Makes @spin show its value with its digits grouped, as every count in
 * Orderly reads, and read back what is typed the same way (10K and 1M too).
 */
void
orderly_spin_button_show_grouped (GtkSpinButton *spin)
{
  g_return_if_fail (GTK_IS_SPIN_BUTTON (spin));

  gtk_spin_button_set_numeric (spin, FALSE);
  g_signal_connect (spin, "input", G_CALLBACK (input_cb), NULL);
  g_signal_connect (spin, "output", G_CALLBACK (output_cb), NULL);
  gtk_spin_button_update (spin);
  output_cb (spin, NULL);
}
