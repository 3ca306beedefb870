/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char             *orderly_log_escape         (const char      *text,
                                              gssize           length);
GLogWriterOutput  orderly_log_writer         (GLogLevelFlags   log_level,
                                              const GLogField *fields,
                                              gsize            n_fields,
                                              gpointer         user_data);
void              orderly_log_writer_install (void);

G_END_DECLS
