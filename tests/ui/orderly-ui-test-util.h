/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "orderly-application.h"
#include "orderly-sqlite-store.h"
#include "orderly-window.h"

G_BEGIN_DECLS

/* A real application and window over a fresh engine in a temporary data dir. */
typedef struct
{
  OrderlyConfig      *config;      /* NULL unless the test gave a command line */
  char               *data_dir;
  OrderlyStore       *store;
  OrderlyEngine      *engine;
  OrderlyRemote      *remote;
  OrderlyApplication *app;
  OrderlyWindow      *window;
} OrderlyUiFixture;

/* @user_data: NULL, or a NULL-terminated command line (argv[0] first) */
void        orderly_ui_fixture_set_up         (OrderlyUiFixture *fixture,
                                               gconstpointer     user_data);
void        orderly_ui_fixture_tear_down      (OrderlyUiFixture *fixture,
                                               gconstpointer     user_data);
void        orderly_ui_fixture_close_window   (OrderlyUiFixture *fixture);

gboolean    orderly_ui_wait_for_frames        (GtkWidget        *widget,
                                               guint             n_frames,
                                               guint             timeout_ms);
gboolean    orderly_ui_wait_until             (gboolean        (*condition) (gpointer data),
                                               gpointer          data,
                                               guint             timeout_ms);
void        orderly_ui_spin                   (guint             ms);
gpointer    orderly_ui_get_child              (gpointer          widget,
                                               GType             widget_type,
                                               const char       *name);
gboolean    orderly_ui_phase_finished         (gpointer          engine);
gboolean    orderly_ui_save_png               (GtkWidget        *widget,
                                               const char       *path);
GPtrArray  *orderly_ui_find_shown             (GtkWidget        *widget,
                                               GType             type);
GPtrArray  *orderly_ui_find_cut_text          (GtkWidget        *widget);
char       *orderly_ui_output_dir             (void);
guint       orderly_ui_notifications_start    (void);
guint       orderly_ui_notifications_count    (void);
const char *orderly_ui_notifications_last     (void);
const char *orderly_ui_notifications_last_actions (void);
void        orderly_ui_portal_start           (void);
guint       orderly_ui_portal_requests        (void);
const char *orderly_ui_portal_reason          (void);
const char *orderly_ui_portal_status          (void);

G_END_DECLS
