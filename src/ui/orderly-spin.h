/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void orderly_spin_button_show_grouped (GtkSpinButton *spin);

G_END_DECLS
