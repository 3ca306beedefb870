/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* What one instance tells the others about itself. */
typedef struct
{
  const char *id;
  const char *host;
  guint       workers;
  double      rate;            /* orders per second, lately */
  gint64      processed;       /* orders it processed in the run under way */
  gint64      heartbeat_us;    /* wall-clock time of its last heartbeat */
  gboolean    quiet;           /* no heartbeat for too long */
} OrderlyInstanceInfo;

#define ORDERLY_TYPE_INSTANCE (orderly_instance_get_type ())

G_DECLARE_FINAL_TYPE (OrderlyInstance, orderly_instance, ORDERLY, INSTANCE, GObject)

char            *orderly_instance_new_id           (void);
OrderlyInstance *orderly_instance_new              (const char                *id,
                                                    const char                *host,
                                                    gboolean                   local);
const char      *orderly_instance_get_id           (OrderlyInstance           *self);
const char      *orderly_instance_get_host         (OrderlyInstance           *self);
gboolean         orderly_instance_get_local        (OrderlyInstance           *self);
guint            orderly_instance_get_workers      (OrderlyInstance           *self);
double           orderly_instance_get_rate         (OrderlyInstance           *self);
gint64           orderly_instance_get_processed    (OrderlyInstance           *self);
gint64           orderly_instance_get_heartbeat_us (OrderlyInstance           *self);
gboolean         orderly_instance_get_quiet        (OrderlyInstance           *self);
void             orderly_instance_update           (OrderlyInstance           *self,
                                                    const OrderlyInstanceInfo *info);

G_END_DECLS
