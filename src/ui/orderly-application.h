/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "orderly-config.h"
#include "orderly-engine.h"
#include "orderly-remote.h"

G_BEGIN_DECLS

#define ORDERLY_SETTINGS_SCHEMA_ID "io.github.orderly.Orderly"

#define ORDERLY_TYPE_APPLICATION (orderly_application_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyApplication, orderly_application, ORDERLY, APPLICATION, AdwApplication)

OrderlyApplication *orderly_application_new                  (const OrderlyConfig *config);
void                orderly_application_set_models           (OrderlyApplication  *self,
                                                              OrderlyEngine       *engine,
                                                              OrderlyRemote       *remote);
OrderlyEngine      *orderly_application_get_engine           (OrderlyApplication  *self);
OrderlyRemote      *orderly_application_get_remote           (OrderlyApplication  *self);
GSettings          *orderly_application_get_settings         (OrderlyApplication  *self);
gboolean            orderly_application_get_command_line_key (OrderlyApplication  *self,
                                                              const char          *key);
void                orderly_application_run_in_background    (OrderlyApplication  *self);
gboolean            orderly_application_get_in_background    (OrderlyApplication  *self);

G_END_DECLS
