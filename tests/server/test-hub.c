/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "orderly-hub.h"
#include "orderly-sqlite-store.h"
#include "orderly-test-util.h"

/* The hub's delivery rules, with a transport that can be made to stall. */

typedef struct
{
  gboolean   writable;
  GPtrArray *sent;          /* "name:seq:first_line" */
  GPtrArray *events;        /* OrderlyHubEvent */
  gushort    close_code;
} FakeTransport;

typedef struct
{
  char          *data_dir;
  OrderlyStore  *store;
  OrderlyEngine *engine;
  OrderlyRemote *remote;
  OrderlyHub    *hub;
  FakeTransport  transport;
} Fixture;

static gboolean
fake_can_send (gpointer transport)
{
  return ((FakeTransport *) transport)->writable;
}

static void
fake_send (gpointer         transport,
           OrderlyHubEvent *event,
           guint            first_line)
{
  FakeTransport *self = transport;

  g_assert_true (self->writable);
  g_ptr_array_add (self->sent, g_strdup_printf ("%s:%u", orderly_hub_event_get_name (event), first_line));
  g_ptr_array_add (self->events, orderly_hub_event_ref (event));
}

static void
fake_close (gpointer    transport,
            gushort     code,
            const char *reason)
{
  ((FakeTransport *) transport)->close_code = code;
}

static const OrderlySubscriberFuncs fake_funcs = { fake_can_send, fake_send, fake_close };

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL;

  fixture->data_dir = orderly_test_make_data_dir ();
  db_path = g_build_filename (fixture->data_dir, "orderly.db", NULL);
  fixture->store = orderly_sqlite_store_new (db_path, &error);
  g_assert_no_error (error);
  fixture->engine = orderly_engine_new (fixture->store, &error);
  g_assert_no_error (error);
  fixture->remote = orderly_remote_new (NULL, fixture->data_dir);
  fixture->hub = orderly_hub_new (fixture->engine, fixture->remote, "hub-test");
  fixture->transport.writable = TRUE;
  fixture->transport.sent = g_ptr_array_new_with_free_func (g_free);
  fixture->transport.events = g_ptr_array_new_with_free_func ((GDestroyNotify) orderly_hub_event_unref);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_assert_finalize_object (fixture->hub);
  g_assert_finalize_object (fixture->remote);
  orderly_engine_shutdown (fixture->engine);
  g_assert_finalize_object (fixture->engine);
  g_clear_pointer (&fixture->store, orderly_store_unref);
  g_ptr_array_unref (fixture->transport.sent);
  g_ptr_array_unref (fixture->transport.events);
  orderly_test_remove_dir (fixture->data_dir);
  g_free (fixture->data_dir);
}

static OrderlySubscriber *
subscribe (Fixture *fixture,
           gint64   since)
{
  g_autoptr(OrderlyClient) client = orderly_client_new ("c1", "127.0.0.1", "test", "viewer", "");

  return orderly_hub_subscribe (fixture->hub, client, since, &fake_funcs, &fixture->transport);
}

static void
log_lines (Fixture    *fixture,
           guint       n,
           const char *prefix)
{
  for (guint i = 0; i < n; i++)
    orderly_engine_log (fixture->engine, ORDERLY_LOG_LEVEL_LOG, "test", NULL, "%s %u", prefix, i);
  orderly_engine_flush (fixture->engine);
  orderly_hub_flush (fixture->hub);
}

static void
set_phase (Fixture      *fixture,
           OrderlyPhase  phase)
{
  OrderlyStatus *status = orderly_engine_get_status (fixture->engine);
  OrderlyStatusData data = *orderly_status_get_data (status);

  data.phase = phase;
  orderly_status_update (status, &data);
  orderly_hub_flush (fixture->hub);
}

static const char *
sent (Fixture *fixture,
      guint    i)
{
  g_assert_cmpuint (i, <, fixture->transport.sent->len);
  return fixture->transport.sent->pdata[i];
}

static void
test_hub_connect (Fixture       *fixture,
                  gconstpointer  data)
{
  OrderlySubscriber *subscriber;

  log_lines (fixture, 5, "line");
  subscriber = subscribe (fixture, -1);
  g_assert_cmpuint (fixture->transport.sent->len, ==, 3);
  g_assert_cmpstr (sent (fixture, 0), ==, "connected:0");
  g_assert_cmpstr (sent (fixture, 1), ==, "status:0");
  g_assert_cmpstr (sent (fixture, 2), ==, "logs:0");
  g_assert_cmpuint (orderly_hub_event_get_n_lines (fixture->transport.events->pdata[2]), ==, 5);
  g_assert_cmpuint (g_list_model_get_n_items (orderly_remote_get_clients (fixture->remote)), ==, 1);

  /* One event, one serialisation: every client gets the same bytes. */
  g_assert_true (orderly_hub_event_get_frame (fixture->transport.events->pdata[1]) ==
                 orderly_hub_event_get_frame (fixture->transport.events->pdata[1]));
  g_assert_cmpstr (orderly_hub_event_get_line (fixture->transport.events->pdata[2], 0), !=, NULL);

  orderly_hub_unsubscribe (fixture->hub, subscriber);
  g_assert_cmpuint (g_list_model_get_n_items (orderly_remote_get_clients (fixture->remote)), ==, 0);
}

static void
test_hub_latest_wins (Fixture       *fixture,
                      gconstpointer  data)
{
  OrderlySubscriber *subscriber = subscribe (fixture, -1);
  OrderlyHubEvent *status;

  g_ptr_array_set_size (fixture->transport.sent, 0);
  g_ptr_array_set_size (fixture->transport.events, 0);
  fixture->transport.writable = FALSE;
  set_phase (fixture, ORDERLY_PHASE_GENERATING);
  set_phase (fixture, ORDERLY_PHASE_ENQUEUE_VIP);
  set_phase (fixture, ORDERLY_PHASE_WAITING_VIP_DRAIN);
  g_assert_cmpuint (fixture->transport.sent->len, ==, 0);

  fixture->transport.writable = TRUE;
  orderly_subscriber_flush (subscriber);
  g_assert_cmpuint (fixture->transport.sent->len, ==, 2);
  g_assert_cmpstr (sent (fixture, 0), ==, "status:0");
  g_assert_cmpstr (sent (fixture, 1), ==, "progress:0");
  status = fixture->transport.events->pdata[0];
  g_assert_nonnull (strstr (orderly_hub_event_get_data (status), "\"WAITING_VIP_DRAIN\""));
  g_assert_cmpuint (orderly_subscriber_get_messages_dropped (subscriber), ==, 4);
  orderly_hub_unsubscribe (fixture->hub, subscriber);
}

static void
test_hub_overflow (Fixture       *fixture,
                   gconstpointer  data)
{
  OrderlySubscriber *subscriber;
  OrderlyHubEvent *notice, *rest;

  orderly_hub_set_limits (fixture->hub, 10, 3, 100);
  subscriber = subscribe (fixture, -1);
  g_ptr_array_set_size (fixture->transport.sent, 0);
  g_ptr_array_set_size (fixture->transport.events, 0);

  fixture->transport.writable = FALSE;
  log_lines (fixture, 4, "first");
  log_lines (fixture, 8, "second");
  g_assert_cmpuint (orderly_subscriber_get_queued_lines (subscriber), ==, 10);

  fixture->transport.writable = TRUE;
  orderly_subscriber_flush (subscriber);
  /* The notice first, then what is left, oldest first. */
  g_assert_cmpuint (fixture->transport.sent->len, ==, 3);
  notice = fixture->transport.events->pdata[0];
  g_assert_cmpstr (orderly_hub_event_get_name (notice), ==, "logs");
  g_assert_nonnull (strstr (orderly_hub_event_get_line (notice, 0), "\"level\":\"warn\""));
  g_assert_nonnull (strstr (orderly_hub_event_get_line (notice, 0), "2 log lines were dropped"));
  g_assert_cmpstr (sent (fixture, 1), ==, "logs:2");
  rest = fixture->transport.events->pdata[1];
  g_assert_nonnull (strstr (orderly_hub_event_get_line (rest, 2), "\"first 2\""));
  g_assert_cmpstr (sent (fixture, 2), ==, "logs:0");
  g_assert_cmpuint (orderly_subscriber_get_queued_lines (subscriber), ==, 0);
  g_assert_cmpuint (fixture->transport.close_code, ==, 0);

  /* Stalled and over its bound, tick after tick: closed, and said so once. */
  fixture->transport.writable = FALSE;
  for (guint i = 0; i < 5; i++)
    log_lines (fixture, 20, "flood");
  g_assert_cmpuint (fixture->transport.close_code, ==, 1013);
  g_assert_cmpuint (orderly_subscriber_get_queued_lines (subscriber), ==, 0);
  log_lines (fixture, 20, "more flood");
  {
    GListModel *logs = G_LIST_MODEL (orderly_engine_get_log_store (fixture->engine));
    guint closings = 0;

    for (guint i = 0; i < g_list_model_get_n_items (logs); i++)
      {
        g_autoptr(OrderlyLogEntry) entry = g_list_model_get_item (logs, i);

        if (strstr (orderly_log_entry_get_message (entry), "Closed the connection of client c1") != NULL)
          closings++;
      }
    g_assert_cmpuint (closings, ==, 1);
  }
  orderly_hub_unsubscribe (fixture->hub, subscriber);
}

static void
test_hub_replay (Fixture       *fixture,
                 gconstpointer  data)
{
  OrderlySubscriber *subscriber;
  guint64 seq;

  log_lines (fixture, 3, "old");
  seq = orderly_hub_get_seq (fixture->hub);
  log_lines (fixture, 2, "new");
  subscriber = subscribe (fixture, seq);
  g_assert_cmpuint (fixture->transport.sent->len, ==, 3);
  g_assert_cmpstr (sent (fixture, 2), ==, "logs:0");
  g_assert_cmpuint (orderly_hub_event_get_n_lines (fixture->transport.events->pdata[2]), ==, 2);
  g_assert_cmpuint (orderly_hub_event_get_seq (fixture->transport.events->pdata[2]), >, seq);
  orderly_hub_unsubscribe (fixture->hub, subscriber);

  /* A seq from the future (another instance) gets the snapshot. */
  g_ptr_array_set_size (fixture->transport.sent, 0);
  g_ptr_array_set_size (fixture->transport.events, 0);
  subscriber = subscribe (fixture, seq + 1000);
  g_assert_cmpuint (orderly_hub_event_get_n_lines (fixture->transport.events->pdata[2]), ==, 5);
  orderly_hub_unsubscribe (fixture->hub, subscriber);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/orderly/hub/connect", Fixture, NULL, fixture_setup, test_hub_connect, fixture_teardown);
  g_test_add ("/orderly/hub/latest-wins", Fixture, NULL, fixture_setup, test_hub_latest_wins, fixture_teardown);
  g_test_add ("/orderly/hub/overflow", Fixture, NULL, fixture_setup, test_hub_overflow, fixture_teardown);
  g_test_add ("/orderly/hub/replay", Fixture, NULL, fixture_setup, test_hub_replay, fixture_teardown);

  return g_test_run ();
}
