/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "orderly-server-test-util.h"
#include "orderly-test-util.h"

/* A run's priority proof and throughput series over REST, named by a path
 * parameter. */

#define ADD(path, func, flags) \
  g_test_add (path, ServerFixture, GUINT_TO_POINTER (flags), server_fixture_setup, func, server_fixture_teardown)

static JsonObject *
object_of (JsonNode *node)
{
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_get_object (node);
}

static gboolean
is_done (OrderlyPhase phase)
{
  return phase == ORDERLY_PHASE_DONE;
}

static gboolean
run_checked (gconstpointer user_data)
{
  ServerFixture *fixture = (ServerFixture *) user_data;
  OrderlyRun *run = orderly_run_list_find (orderly_engine_get_run_list (fixture->engine), 1);

  return run != NULL && orderly_run_get_record (run)->check_state != ORDERLY_RUN_CHECK_NONE;
}

static void
run_to_done (ServerFixture *fixture,
             const char    *body)
{
  guint status = 0;
  g_autoptr(JsonNode) started = server_fixture_request (fixture, "POST", "/generate", TEST_OPERATOR_TOKEN,
                                                        body, &status);

  g_assert_cmpuint (status, ==, 202);
  g_assert_nonnull (started);
  server_fixture_wait_phase (fixture, is_done, 60000);
  g_assert_true (test_wait_for (run_checked, fixture, 30000));
}

/* GET /runs/{runId}/proof: the waits of both priorities from stored times,
 * and the run's check; 0 names the current run. */
static void
test_run_routes_proof (ServerFixture *fixture,
                       gconstpointer  data)
{
  guint status = 0;
  g_autoptr(JsonNode) proof = NULL;
  g_autoptr(JsonNode) current = NULL;
  JsonObject *object, *wait, *orders;

  run_to_done (fixture, "{\"quantity\": 3000, \"vipPercent\": 20}");

  proof = server_fixture_request (fixture, "GET", "/runs/1/proof", TEST_VIEWER_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  object = object_of (proof);
  g_assert_cmpint (json_object_get_int_member (object, "runId"), ==, 1);
  g_assert_true (json_object_get_boolean_member (object, "vipBeforeNormal"));
  wait = json_object_get_object_member (object, "wait");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (wait, "vip"), "orders"), ==,
                   orderly_status_get_data (orderly_engine_get_status (fixture->engine))->vip_processed);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (wait, "normal"), "orders"), ==,
                   orderly_status_get_data (orderly_engine_get_status (fixture->engine))->normal_processed);
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (wait, "normal"), "p95Ms"), >=,
                     json_object_get_double_member (json_object_get_object_member (wait, "normal"), "medianMs"));
  orders = json_object_get_object_member (object, "orders");
  g_assert_cmpint (json_object_get_int_member (orders, "processed"), ==, 3000);
  g_assert_cmpint (json_object_get_int_member (orders, "unsettled"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (object, "check"), "state"),
                   ==, "passed");

  current = server_fixture_request (fixture, "GET", "/runs/0/proof", TEST_VIEWER_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (object_of (current), "runId"), ==, 1);

  /* Bad names are refused, and nothing but a viewer or an operator may ask. */
  {
    g_autoptr(JsonNode) missing = server_fixture_request (fixture, "GET", "/runs/42/proof", TEST_VIEWER_TOKEN,
                                                          NULL, &status);

    g_assert_cmpuint (status, ==, 404);
    g_assert_cmpstr (json_object_get_string_member (object_of (missing), "message"), ==, "There is no run 42");
  }
  g_clear_pointer (&current, json_node_unref);
  current = server_fixture_request (fixture, "GET", "/runs/first/proof", TEST_VIEWER_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 400);
  g_clear_pointer (&current, json_node_unref);
  current = server_fixture_request (fixture, "GET", "/runs/1/proof", NULL, NULL, &status);
  g_assert_cmpuint (status, ==, 401);
  g_clear_pointer (&current, json_node_unref);
  current = server_fixture_request (fixture, "GET", "/runs//proof", TEST_VIEWER_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 404);
  g_clear_pointer (&current, json_node_unref);
  current = server_fixture_request (fixture, "GET", "/runs/1/proof/more", TEST_VIEWER_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 404);
  g_clear_pointer (&current, json_node_unref);
  current = server_fixture_request (fixture, "POST", "/runs/1/proof", TEST_OPERATOR_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 405);
}

/* Before any run there is no current one to prove. */
static void
test_run_routes_no_run (ServerFixture *fixture,
                        gconstpointer  data)
{
  guint status = 0;
  g_autoptr(JsonNode) proof = server_fixture_request (fixture, "GET", "/runs/0/proof", TEST_VIEWER_TOKEN,
                                                      NULL, &status);
  g_autoptr(JsonNode) samples = server_fixture_request (fixture, "GET", "/runs/0/samples", TEST_VIEWER_TOKEN,
                                                        NULL, &status);

  g_assert_cmpuint (status, ==, 404);
  g_assert_cmpstr (json_object_get_string_member (object_of (proof), "message"), ==, "There is no run yet");
  g_assert_cmpstr (json_object_get_string_member (object_of (samples), "message"), ==, "There is no run yet");
}

/* GET /runs/{runId}/samples: the series stored with the run, ending at
 * what it processed. */
static void
test_run_routes_samples (ServerFixture *fixture,
                         gconstpointer  data)
{
  guint status = 0;
  g_autoptr(JsonNode) answer = NULL;
  JsonObject *object, *last;
  JsonArray *samples;
  gint64 previous_time = 0;

  orderly_engine_set_work_us (fixture->engine, 200);
  run_to_done (fixture, "{\"quantity\": 8000}");

  answer = server_fixture_request (fixture, "GET", "/runs/1/samples", TEST_VIEWER_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  object = object_of (answer);
  g_assert_cmpint (json_object_get_int_member (object, "runId"), ==, 1);
  samples = json_object_get_array_member (object, "samples");
  g_assert_cmpuint (json_array_get_length (samples), >=, 2);
  g_assert_cmpint (json_object_get_int_member (object, "count"), ==, json_array_get_length (samples));
  for (guint i = 0; i < json_array_get_length (samples); i++)
    {
      gint64 time = json_object_get_int_member (json_array_get_object_element (samples, i), "time");

      g_assert_cmpint (time, >=, previous_time);
      previous_time = time;
    }
  last = json_array_get_object_element (samples, json_array_get_length (samples) - 1);
  g_assert_cmpint (json_object_get_int_member (last, "vipProcessed") +
                   json_object_get_int_member (last, "normalProcessed"), ==, 8000);
  g_assert_cmpint (json_object_get_int_member (last, "generated"), ==, 8000);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD ("/orderly/server/runs/proof", test_run_routes_proof, FIXTURE_DEFAULT);
  ADD ("/orderly/server/runs/no-run", test_run_routes_no_run, FIXTURE_DEFAULT);
  ADD ("/orderly/server/runs/samples", test_run_routes_samples, FIXTURE_DEFAULT);

  return g_test_run ();
}
