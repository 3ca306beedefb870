/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "orderly-dispatcher.h"
#include "orderly-sqlite-store.h"
#include "orderly-test-util.h"

/* The dispatcher alone, without HTTP: what every transport relies on. */

typedef struct
{
  char              *data_dir;
  OrderlyStore      *store;
  OrderlyEngine     *engine;
  OrderlyRemote     *remote;
  OrderlyDispatcher *dispatcher;
} Fixture;

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
  orderly_engine_set_workers (fixture->engine, 2);
  fixture->remote = orderly_remote_new (NULL, fixture->data_dir);
  fixture->dispatcher = orderly_dispatcher_new (fixture->engine, fixture->remote, "instance-1");
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_assert_finalize_object (fixture->dispatcher);
  g_assert_finalize_object (fixture->remote);
  orderly_engine_shutdown (fixture->engine);
  g_assert_finalize_object (fixture->engine);
  g_clear_pointer (&fixture->store, orderly_store_unref);
  orderly_test_remove_dir (fixture->data_dir);
  g_free (fixture->data_dir);
}

static void
got_result_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static JsonNode *
dispatch (Fixture     *fixture,
          const char  *command,
          const char  *arguments,
          OrderlyRole  role,
          guint       *status)
{
  g_autoptr(JsonNode) args = arguments ? json_from_string (arguments, NULL) : NULL;
  g_autoptr(GAsyncResult) result = NULL;

  orderly_dispatcher_dispatch_async (fixture->dispatcher, command, args, role, got_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return orderly_dispatcher_dispatch_finish (fixture->dispatcher, result, status);
}

static void
assert_error (JsonNode   *answer,
              guint       status,
              guint       expected,
              const char *reason)
{
  JsonObject *object = json_node_get_object (answer);

  g_assert_cmpuint (status, ==, expected);
  g_assert_cmpint (json_object_get_int_member (object, "statusCode"), ==, expected);
  g_assert_cmpstr (json_object_get_string_member (object, "error"), ==, reason);
  g_assert_true (strlen (json_object_get_string_member (object, "message")) > 0);
}

static void
test_dispatcher_status (Fixture       *fixture,
                        gconstpointer  data)
{
  guint status = 0;
  g_autoptr(JsonNode) answer = dispatch (fixture, "get-status", NULL, ORDERLY_ROLE_VIEWER, &status);
  JsonObject *object = json_node_get_object (answer);
  const char *members[] = { "phase", "generationTimeMs", "enqueueVipTimeMs", "enqueueNormalTimeMs",
                            "processing", "totalTimeMs", "counts", "throughput", "eta", "progress",
                            "instanceId", "message", "timestamp" };

  g_assert_cmpuint (status, ==, 200);
  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    g_assert_true (json_object_has_member (object, members[i]));
  g_assert_cmpstr (json_object_get_string_member (object, "phase"), ==, "IDLE");
  g_assert_cmpstr (json_object_get_string_member (object, "instanceId"), ==, "instance-1");
}

static void
test_dispatcher_roles (Fixture       *fixture,
                       gconstpointer  data)
{
  const char *control[] = { "start-generation", "cancel-operation", "reset-system", "resume-run" };
  const char *reads[] = { "get-status", "get-logs", "get-queue-counts", "get-runs" };

  for (guint i = 0; i < G_N_ELEMENTS (control); i++)
    {
      guint status = 0;
      g_autoptr(JsonNode) viewer = dispatch (fixture, control[i], "{\"quantity\":5}",
                                             ORDERLY_ROLE_VIEWER, &status);
      g_autoptr(JsonNode) nobody = NULL;

      assert_error (viewer, status, 403, "Forbidden");
      nobody = dispatch (fixture, control[i], "{\"quantity\":5}", ORDERLY_ROLE_NONE, &status);
      assert_error (nobody, status, 401, "Unauthorized");
    }
  for (guint i = 0; i < G_N_ELEMENTS (reads); i++)
    {
      guint status = 0;
      G_GNUC_UNUSED g_autoptr(JsonNode) viewer = dispatch (fixture, reads[i], NULL, ORDERLY_ROLE_VIEWER, &status);
      g_autoptr(JsonNode) nobody = NULL;

      g_assert_cmpuint (status, ==, 200);
      nobody = dispatch (fixture, reads[i], NULL, ORDERLY_ROLE_NONE, &status);
      assert_error (nobody, status, 401, "Unauthorized");
    }

  {
    guint status = 0;
    g_autoptr(JsonNode) health = dispatch (fixture, "get-health", NULL, ORDERLY_ROLE_NONE, &status);
    g_autoptr(JsonNode) clients = dispatch (fixture, "get-clients", NULL, ORDERLY_ROLE_VIEWER, &status);

    assert_error (clients, status, 403, "Forbidden");
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (health), "status"), ==, "ready");
  }
}

static void
test_dispatcher_bad_input (Fixture       *fixture,
                           gconstpointer  data)
{
  const char *bad[] = {
    NULL, "{}", "{\"quantity\":0}", "{\"quantity\":50000001}", "{\"quantity\":-3}",
    "{\"quantity\":1.5}", "{\"quantity\":\"many\"}", "{\"quantity\":[1]}",
    "{\"quantity\":10,\"force\":\"yes\"}", "[1,2]", "\"text\"",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      guint status = 0;
      g_autoptr(JsonNode) answer = dispatch (fixture, "start-generation", bad[i],
                                             ORDERLY_ROLE_OPERATOR, &status);

      assert_error (answer, status, 400, "Bad Request");
    }
  g_assert_false (orderly_engine_is_running (fixture->engine));

  {
    guint status = 0;
    g_autoptr(JsonNode) unknown = dispatch (fixture, "make-coffee", NULL, ORDERLY_ROLE_OPERATOR, &status);
    g_autoptr(JsonNode) lines = NULL;

    assert_error (unknown, status, 404, "Not Found");
    g_assert_false (orderly_dispatcher_get_command_role ("make-coffee", NULL));
    lines = dispatch (fixture, "get-logs", "{\"lines\":\"lots\"}", ORDERLY_ROLE_VIEWER, &status);
    assert_error (lines, status, 400, "Bad Request");
  }
}

static void
test_dispatcher_run (Fixture       *fixture,
                     gconstpointer  data)
{
  guint status = 0;
  g_autoptr(JsonNode) started = dispatch (fixture, "start-generation",
                                          "{\"quantity\":20000,\"force\":false}",
                                          ORDERLY_ROLE_OPERATOR, &status);
  JsonObject *object = json_node_get_object (started);
  g_autoptr(JsonNode) busy = NULL;
  g_autoptr(JsonNode) reset = NULL;
  g_autoptr(JsonNode) forced = NULL;
  g_autoptr(JsonNode) cancelled = NULL;
  g_autoptr(JsonNode) resume = NULL;
  g_autoptr(JsonNode) runs = NULL;
  g_autoptr(JsonNode) reset_done = NULL;

  g_assert_cmpuint (status, ==, 202);
  g_assert_true (json_object_has_member (object, "message"));
  g_assert_true (json_object_has_member (object, "phase"));
  g_assert_false (json_object_get_boolean_member (object, "forced"));
  g_assert_false (json_object_get_boolean_member (object, "staleRecovered"));

  orderly_engine_set_work_us (fixture->engine, 200);
  busy = dispatch (fixture, "start-generation", "{\"quantity\":10}", ORDERLY_ROLE_OPERATOR, &status);
  assert_error (busy, status, 409, "Conflict");
  reset = dispatch (fixture, "reset-system", NULL, ORDERLY_ROLE_OPERATOR, &status);
  assert_error (reset, status, 409, "Conflict");

  forced = dispatch (fixture, "start-generation", "{\"quantity\":50000,\"force\":true}",
                     ORDERLY_ROLE_OPERATOR, &status);
  g_assert_cmpuint (status, ==, 202);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (forced), "forced"));

  cancelled = dispatch (fixture, "cancel-operation", NULL, ORDERLY_ROLE_OPERATOR, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (cancelled), "phase"), ==,
                   "ABORTED");

  resume = dispatch (fixture, "resume-run", NULL, ORDERLY_ROLE_OPERATOR, &status);
  assert_error (resume, status, 409, "Conflict");

  runs = dispatch (fixture, "get-runs", NULL, ORDERLY_ROLE_VIEWER, &status);
  g_assert_cmpuint (status, ==, 200);
  object = json_node_get_object (runs);
  g_assert_cmpint (json_object_get_int_member (object, "count"), ==, 2);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "runs")), ==, 2);

  reset_done = dispatch (fixture, "reset-system", NULL, ORDERLY_ROLE_OPERATOR, &status);
  g_assert_cmpuint (status, ==, 200);
  object = json_node_get_object (reset_done);
  g_assert_cmpint (json_object_get_int_member (object, "deletedRuns"), ==, 2);
  g_assert_true (json_object_get_boolean_member (object, "queueCleared"));
}

/* A client event as a live transport hands it over, with the notice the
 * client gets first. */
static OrderlyDispatcherReply
handle_with_notice (Fixture     *fixture,
                    const char  *event,
                    const char  *arguments,
                    OrderlyRole  role,
                    gboolean     wants_ack,
                    JsonNode   **answer,
                    guint       *status,
                    const char **notice_name,
                    JsonNode   **notice)
{
  g_autoptr(JsonNode) args = arguments ? json_from_string (arguments, NULL) : NULL;
  g_autoptr(GAsyncResult) result = NULL;

  orderly_dispatcher_handle_event_async (fixture->dispatcher, event, args, role, wants_ack,
                                         got_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return orderly_dispatcher_handle_event_finish (fixture->dispatcher, result, answer, status,
                                                 notice_name, notice);
}

static OrderlyDispatcherReply
handle (Fixture     *fixture,
        const char  *event,
        const char  *arguments,
        OrderlyRole  role,
        gboolean     wants_ack,
        JsonNode   **answer,
        guint       *status)
{
  return handle_with_notice (fixture, event, arguments, role, wants_ack, answer, status, NULL, NULL);
}

/* What a live transport sends back for each client event. */
static void
test_dispatcher_replies (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(JsonNode) answer = NULL;
  guint status = 0;

  /* An unknown event is the dispatcher's 404, through the ack or as an
   * error event. */
  g_assert_cmpint (handle (fixture, "make-coffee", NULL, ORDERLY_ROLE_OPERATOR, TRUE, &answer, &status),
                   ==, ORDERLY_DISPATCHER_REPLY_ACK);
  assert_error (answer, status, 404, "Not Found");
  g_clear_pointer (&answer, json_node_unref);
  g_assert_cmpint (handle (fixture, "make-coffee", NULL, ORDERLY_ROLE_OPERATOR, FALSE, &answer, &status),
                   ==, ORDERLY_DISPATCHER_REPLY_ERROR);
  assert_error (answer, status, 404, "Not Found");
  g_clear_pointer (&answer, json_node_unref);

  /* get-status without an ack is the status event itself. */
  g_assert_cmpint (handle (fixture, "get-status", NULL, ORDERLY_ROLE_VIEWER, FALSE, &answer, &status),
                   ==, ORDERLY_DISPATCHER_REPLY_STATUS);
  g_assert_null (answer);
  g_assert_cmpint (handle (fixture, "get-status", NULL, ORDERLY_ROLE_VIEWER, TRUE, &answer, &status),
                   ==, ORDERLY_DISPATCHER_REPLY_ACK);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (answer), "instanceId"), ==,
                   "instance-1");
  g_clear_pointer (&answer, json_node_unref);

  /* A refused command without an ack is an error event; a success without
   * one sends nothing. */
  g_assert_cmpint (handle (fixture, "start-generation", "{\"quantity\":5}", ORDERLY_ROLE_VIEWER, FALSE,
                           &answer, &status), ==, ORDERLY_DISPATCHER_REPLY_ERROR);
  assert_error (answer, status, 403, "Forbidden");
  g_clear_pointer (&answer, json_node_unref);
  g_assert_cmpint (handle (fixture, "cancel-operation", NULL, ORDERLY_ROLE_OPERATOR, FALSE, &answer, &status),
                   ==, ORDERLY_DISPATCHER_REPLY_NONE);
  g_assert_null (answer);
  g_assert_cmpuint (status, ==, 200);
}

static void
assert_notice (const char *name,
               JsonNode   *notice,
               const char *expected,
               const char *message)
{
  JsonObject *object;

  g_assert_cmpstr (name, ==, expected);
  g_assert_nonnull (notice);
  object = json_node_get_object (notice);
  g_assert_cmpstr (json_object_get_string_member (object, "message"), ==, message);
  g_assert_true (json_node_get_value_type (json_object_get_member (object, "timestamp")) == G_TYPE_INT64);
  g_assert_cmpint (json_object_get_int_member (object, "timestamp"), >, 1600000000000);
}

/* The Node system's four client events get its reply events, once they have
 * really been done, and acks that say acknowledged beside the real answer. */
static void
test_dispatcher_notices (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(JsonNode) notice = NULL;
  const char *name = NULL;
  guint status = 0;

  g_assert_cmpint (handle_with_notice (fixture, "get-status", NULL, ORDERLY_ROLE_VIEWER, FALSE, &answer,
                                       &status, &name, &notice), ==, ORDERLY_DISPATCHER_REPLY_STATUS);
  assert_notice (name, notice, "status-request-acknowledged", "Status request received");
  g_clear_pointer (&notice, json_node_unref);
  g_assert_cmpint (handle_with_notice (fixture, "get-status", NULL, ORDERLY_ROLE_VIEWER, TRUE, &answer,
                                       &status, &name, &notice), ==, ORDERLY_DISPATCHER_REPLY_ACK);
  assert_notice (name, notice, "status-request-acknowledged", "Status request received");
  g_assert_true (json_object_get_boolean_member (json_node_get_object (answer), "acknowledged"));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (answer), "phase"), ==, "IDLE");
  g_clear_pointer (&notice, json_node_unref);
  g_clear_pointer (&answer, json_node_unref);

  /* Refused: no notice, no acknowledgement. */
  g_assert_cmpint (handle_with_notice (fixture, "start-generation", "{\"quantity\":5}", ORDERLY_ROLE_VIEWER,
                                       TRUE, &answer, &status, &name, &notice), ==, ORDERLY_DISPATCHER_REPLY_ACK);
  g_assert_null (notice);
  g_assert_null (name);
  g_assert_false (json_object_has_member (json_node_get_object (answer), "acknowledged"));
  g_clear_pointer (&answer, json_node_unref);

  orderly_engine_set_work_us (fixture->engine, 200);
  g_assert_cmpint (handle_with_notice (fixture, "start-generation", "{\"quantity\":5000}", ORDERLY_ROLE_OPERATOR,
                                       TRUE, &answer, &status, &name, &notice), ==, ORDERLY_DISPATCHER_REPLY_ACK);
  assert_notice (name, notice, "generation-started", "Starting generation of 5000 orders");
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (notice), "quantity"), ==, 5000);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (answer), "acknowledged"));
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (answer), "quantity"), ==, 5000);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (answer), "runId"), >, 0);
  g_clear_pointer (&notice, json_node_unref);
  g_clear_pointer (&answer, json_node_unref);

  g_assert_cmpint (handle_with_notice (fixture, "cancel-operation", NULL, ORDERLY_ROLE_OPERATOR, FALSE, &answer,
                                       &status, &name, &notice), ==, ORDERLY_DISPATCHER_REPLY_NONE);
  assert_notice (name, notice, "operation-cancelled", "Operation cancellation requested");
  g_assert_false (orderly_engine_is_running (fixture->engine));
  g_clear_pointer (&notice, json_node_unref);

  g_assert_cmpint (handle_with_notice (fixture, "reset-system", NULL, ORDERLY_ROLE_OPERATOR, TRUE, &answer,
                                       &status, &name, &notice), ==, ORDERLY_DISPATCHER_REPLY_ACK);
  assert_notice (name, notice, "system-reset", "System reset initiated");
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (answer), "deletedRuns"), ==, 1);
}

static const char *
services_database (JsonNode *health)
{
  return json_object_get_string_member (json_object_get_object_member (json_node_get_object (health),
                                                                       "services"), "database");
}

/* /health/ready follows the store's writes: 503 once one failed for want
 * of room, ready again once one went through; /pedidos/health/queue says
 * the queue is not connected meanwhile. */
static void
test_dispatcher_health (Fixture       *fixture,
                        gconstpointer  data)
{
  OrderlyRunRequest request = { .quantity = 200000, .vip_share = -1 };
  guint status = 0;
  g_autoptr(JsonNode) ready = dispatch (fixture, "get-health", NULL, ORDERLY_ROLE_NONE, &status);
  g_autoptr(JsonNode) full = NULL;
  g_autoptr(JsonNode) queue = NULL;
  g_autoptr(JsonNode) again = NULL;

  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (ready), "status"), ==, "ready");
  g_assert_cmpstr (services_database (ready), ==, "connected");

  orderly_sqlite_store_set_size_limit (fixture->store, 1);
  /* The run fails, or cannot even begin. */
  orderly_engine_start_run (fixture->engine, &request, NULL, NULL);
  while (orderly_engine_is_running (fixture->engine))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (orderly_status_get_phase (orderly_engine_get_status (fixture->engine)), !=,
                   ORDERLY_PHASE_DONE);
  full = dispatch (fixture, "get-health", NULL, ORDERLY_ROLE_NONE, &status);
  g_assert_cmpuint (status, ==, 503);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (full), "status"), ==, "unavailable");
  g_assert_cmpstr (services_database (full), ==, "disk full");
  queue = dispatch (fixture, "get-queue-health", NULL, ORDERLY_ROLE_VIEWER, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (queue), "status"), ==, "error");
  g_assert_false (json_object_get_boolean_member (json_object_get_object_member (json_node_get_object (queue),
                                                                                "queue"), "connected"));

  orderly_sqlite_store_set_size_limit (fixture->store, 0);
  request.quantity = 100;
  g_assert_true (orderly_engine_start_run (fixture->engine, &request, NULL, NULL));
  g_assert_true (orderly_test_wait_for_phase (fixture->engine, orderly_test_phase_finished, 60000));
  g_assert_cmpint (orderly_status_get_phase (orderly_engine_get_status (fixture->engine)), ==,
                   ORDERLY_PHASE_DONE);
  again = dispatch (fixture, "get-health", NULL, ORDERLY_ROLE_NONE, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (services_database (again), ==, "connected");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/orderly/dispatcher/status", Fixture, NULL, fixture_setup, test_dispatcher_status, fixture_teardown);
  g_test_add ("/orderly/dispatcher/roles", Fixture, NULL, fixture_setup, test_dispatcher_roles, fixture_teardown);
  g_test_add ("/orderly/dispatcher/health", Fixture, NULL, fixture_setup, test_dispatcher_health, fixture_teardown);
  g_test_add ("/orderly/dispatcher/bad-input", Fixture, NULL, fixture_setup, test_dispatcher_bad_input, fixture_teardown);
  g_test_add ("/orderly/dispatcher/replies", Fixture, NULL, fixture_setup, test_dispatcher_replies, fixture_teardown);
  g_test_add ("/orderly/dispatcher/run", Fixture, NULL, fixture_setup, test_dispatcher_run, fixture_teardown);
  g_test_add ("/orderly/dispatcher/notices", Fixture, NULL, fixture_setup, test_dispatcher_notices, fixture_teardown);

  return g_test_run ();
}
