/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "orderly-rest.h"
#include "orderly-server-test-util.h"
#include "orderly-test-util.h"

/* The Node system's routes as the route table reads them: query
 * parameters, status codes, the GET that changes state, CORS preflights,
 * and an API description that lists every route. Its front end's own
 * requests are replayed in tests/js. */

#define ADD(path, func, flags) \
  g_test_add (path, ServerFixture, GUINT_TO_POINTER (flags), server_fixture_setup, func, server_fixture_teardown)

static JsonObject *
parse (const OrderlyRestParam  *params,
       const char              *query_string,
       GError                 **error)
{
  g_autoptr(GHashTable) query = query_string != NULL ? soup_form_decode (query_string) : NULL;
  g_autoptr(JsonNode) node = orderly_rest_params_parse (params, query, error);

  return node != NULL ? json_object_ref (json_node_get_object (node)) : NULL;
}

static void
test_node_params (void)
{
  const OrderlyRestParam params[] = {
    { "quantity", ORDERLY_REST_PARAM_INT, "1000000" },
    { "force", ORDERLY_REST_PARAM_BOOLEAN, "false" },
    { "limit", ORDERLY_REST_PARAM_INT, "20", TRUE, 1, 200 },
    { "types", ORDERLY_REST_PARAM_STRING, "waiting" },
    { "lines", ORDERLY_REST_PARAM_INT, NULL },
    { NULL },
  };
  const char *malformed[] = { "quantity=abc", "quantity=", "quantity=1e3", "quantity=1.5", "quantity=+5",
                              "quantity=%205", "quantity=-", "lines=0x10" };
  g_autoptr(JsonObject) defaults = parse (params, NULL, NULL);
  g_autoptr(JsonObject) given = NULL;
  g_autoptr(JsonObject) huge = NULL;

  /* Absent: the fallback, of its kind; no fallback, no member. */
  g_assert_cmpint (json_object_get_int_member (defaults, "quantity"), ==, 1000000);
  g_assert_false (json_object_get_boolean_member (defaults, "force"));
  g_assert_cmpint (json_object_get_int_member (defaults, "limit"), ==, 20);
  g_assert_cmpstr (json_object_get_string_member (defaults, "types"), ==, "waiting");
  g_assert_false (json_object_has_member (defaults, "lines"));

  /* Booleans are "true" or false; clamped integers are brought into range. */
  given = parse (params, "quantity=-5&force=TRUE&limit=0&types=active,failed&lines=300&other=1", NULL);
  g_assert_cmpint (json_object_get_int_member (given, "quantity"), ==, -5);
  g_assert_false (json_object_get_boolean_member (given, "force"));
  g_assert_cmpint (json_object_get_int_member (given, "limit"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (given, "types"), ==, "active,failed");
  g_assert_cmpint (json_object_get_int_member (given, "lines"), ==, 300);
  g_assert_false (json_object_has_member (given, "other"));
  g_clear_pointer (&given, json_object_unref);
  given = parse (params, "force=true&limit=100000", NULL);
  g_assert_true (json_object_get_boolean_member (given, "force"));
  g_assert_cmpint (json_object_get_int_member (given, "limit"), ==, 200);

  /* Beyond 64 bits: the largest number, which every command refuses. */
  huge = parse (params, "quantity=99999999999999999999999", NULL);
  g_assert_cmpint (json_object_get_int_member (huge, "quantity"), ==, G_MAXINT64);

  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) refused = parse (params, malformed[i], &error);

      g_test_message ("%s", malformed[i]);
      g_assert_null (refused);
      g_assert_error (error, ORDERLY_ERROR, ORDERLY_ERROR_INVALID_ARGUMENT);
      g_assert_cmpstr (error->message, ==, "Validation failed (numeric string is expected)");
    }
}

/* POSTs of the Node family answer 201, as NestJS does; Orderly's own keep
 * their codes. Errors keep theirs. */
static void
test_node_status_codes (ServerFixture *fixture,
                        gconstpointer  data)
{
  guint status = 0;
  g_autoptr(JsonNode) node_reset = server_fixture_request (fixture, "POST", "/pedidos/reset", TEST_OPERATOR_TOKEN,
                                                           NULL, &status);
  g_autoptr(JsonNode) reset = NULL;
  g_autoptr(JsonNode) cancel = NULL;
  g_autoptr(JsonNode) viewer = NULL;
  g_autoptr(JsonNode) bad = NULL;

  g_assert_cmpuint (status, ==, 201);
  g_assert_nonnull (json_object_get_string_member (json_node_get_object (node_reset), "message"));
  reset = server_fixture_request (fixture, "POST", "/reset", TEST_OPERATOR_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  cancel = server_fixture_request (fixture, "POST", "/pedidos/cancel", TEST_OPERATOR_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 201);
  g_assert_false (json_object_get_boolean_member (json_node_get_object (cancel), "aborted"));
  viewer = server_fixture_request (fixture, "POST", "/pedidos/reset", TEST_VIEWER_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 403);
  bad = server_fixture_request (fixture, "GET", "/pedidos/logs?lines=some", TEST_VIEWER_TOKEN, NULL, &status);
  g_assert_cmpuint (status, ==, 400);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (bad), "error"), ==, "Bad Request");
}

/* GET /pedidos/generate starts a run: an operator's, from an allowed
 * origin or no browser at all, never by HEAD, never from another site. */
static void
test_node_changing_get (ServerFixture *fixture,
                        gconstpointer  data)
{
  struct
  {
    const char *method;
    const char *token;
    const char *header;
    const char *value;
    guint       status;
  } refused[] = {
    { "GET", TEST_VIEWER_TOKEN, NULL, NULL, 403 },
    { "GET", NULL, NULL, NULL, 401 },
    { "GET", TEST_OPERATOR_TOKEN, "Origin", "https://evil.example", 403 },
    { "GET", TEST_OPERATOR_TOKEN, "Sec-Fetch-Site", "cross-site", 403 },
    { "GET", TEST_OPERATOR_TOKEN, "Sec-Fetch-Site", "same-site", 403 },
    { "HEAD", TEST_OPERATOR_TOKEN, NULL, NULL, 405 },
  };
  const char * const allowed[] = { "http://localhost:3000", NULL };
  g_autoptr(SoupMessage) started = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonNode) answer = NULL;

  orderly_remote_set_allowed_origins (fixture->remote, allowed);
  orderly_engine_set_work_us (fixture->engine, 200);
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(SoupMessage) msg = server_fixture_message (fixture, refused[i].method,
                                                           "/pedidos/generate?quantity=100", refused[i].token, NULL);

      if (refused[i].header != NULL)
        soup_message_headers_replace (soup_message_get_request_headers (msg), refused[i].header, refused[i].value);
      g_test_message ("%s with %s: %s", refused[i].method, refused[i].header, refused[i].value);
      g_assert_cmpuint (server_fixture_send_status (fixture, msg), ==, refused[i].status);
      g_assert_false (orderly_engine_is_running (fixture->engine));
    }

  started = server_fixture_message (fixture, "GET", "/pedidos/generate?quantity=100000", TEST_OPERATOR_TOKEN, NULL);
  soup_message_headers_replace (soup_message_get_request_headers (started), "Origin", "http://localhost:3000");
  soup_message_headers_replace (soup_message_get_request_headers (started), "Sec-Fetch-Site", "cross-site");
  body = server_fixture_send (fixture, started);
  g_assert_cmpuint (soup_message_get_status (started), ==, 200);
  g_assert_cmpstr (test_response_header (started, "Access-Control-Allow-Origin"), ==, "http://localhost:3000");
  answer = json_from_string (g_bytes_get_data (body, NULL), NULL);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (answer), "method"), ==, "GET");
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (answer), "quantity"), ==, 100000);
  g_assert_true (orderly_engine_is_running (fixture->engine));
  orderly_engine_cancel (fixture->engine);
}

/* A preflight is allowed the headers it asks for, when they are header
 * names; the Node front end asks for content-type on every call. */
static void
test_node_preflight (ServerFixture *fixture,
                     gconstpointer  data)
{
  const char * const allowed[] = { "http://localhost:3000", NULL };
  struct
  {
    const char *requested;
    const char *allowed;
  } cases[] = {
    { "content-type", "content-type" },
    { "content-type, x-request-id", "content-type, x-request-id" },
    { NULL, "Authorization, Content-Type" },
    { "bad header(", "Authorization, Content-Type" },
  };

  orderly_remote_set_allowed_origins (fixture->remote, allowed);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(SoupMessage) msg = server_fixture_message (fixture, "OPTIONS", "/pedidos/queue/jobs", NULL, NULL);
      SoupMessageHeaders *request = soup_message_get_request_headers (msg);

      soup_message_headers_replace (request, "Origin", "http://localhost:3000");
      soup_message_headers_replace (request, "Access-Control-Request-Method", "GET");
      if (cases[i].requested != NULL)
        soup_message_headers_replace (request, "Access-Control-Request-Headers", cases[i].requested);
      g_assert_cmpuint (server_fixture_send_status (fixture, msg), ==, 204);
      g_assert_cmpstr (test_response_header (msg, "Access-Control-Allow-Origin"), ==, "http://localhost:3000");
      g_assert_cmpstr (test_response_header (msg, "Access-Control-Allow-Headers"), ==, cases[i].allowed);
      g_assert_nonnull (strstr (test_response_header (msg, "Access-Control-Allow-Methods"), "POST"));
    }

  /* Refusals are readable by the allowed origin too, even one made at the
   * headers. */
  {
    g_autofree char *large = g_strnfill (70 * 1024, ' ');
    g_autoptr(SoupMessage) msg = server_fixture_message (fixture, "POST", "/generate", TEST_OPERATOR_TOKEN, large);
    g_autoptr(SoupMessage) refused = server_fixture_message (fixture, "POST", "/pedidos/reset", TEST_VIEWER_TOKEN,
                                                             NULL);

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Origin", "http://localhost:3000");
    g_assert_cmpuint (server_fixture_send_status (fixture, msg), ==, 413);
    g_assert_cmpstr (test_response_header (msg, "Access-Control-Allow-Origin"), ==, "http://localhost:3000");
    soup_message_headers_replace (soup_message_get_request_headers (refused), "Origin", "http://localhost:3000");
    g_assert_cmpuint (server_fixture_send_status (fixture, refused), ==, 403);
    g_assert_cmpstr (test_response_header (refused, "Access-Control-Allow-Origin"), ==, "http://localhost:3000");
  }
}

/* Every route of the table is in /openapi.json with its method and its
 * query parameters, and the description lists no route that is not. */
static void
test_node_openapi (ServerFixture *fixture,
                   gconstpointer  data)
{
  guint status = 0;
  g_autoptr(JsonNode) openapi = server_fixture_request (fixture, "GET", "/openapi.json", NULL, NULL, &status);
  JsonObject *paths = json_object_get_object_member (json_node_get_object (openapi), "paths");
  g_autoptr(GHashTable) described = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const OrderlyRestParam *params;
  const char *method, *path;
  g_autoptr(GList) names = json_object_get_members (paths);

  g_assert_cmpuint (status, ==, 200);
  for (guint i = 0; orderly_rest_get_route (i, &method, &path, &params); i++)
    {
      g_autofree char *verb = g_ascii_strdown (method, -1);
      JsonObject *operations, *operation;
      JsonArray *parameters;

      g_test_message ("%s %s", method, path);
      g_assert_true (json_object_has_member (paths, path));
      operations = json_object_get_object_member (paths, path);
      g_assert_true (json_object_has_member (operations, verb));
      operation = json_object_get_object_member (operations, verb);
      g_assert_true (json_object_has_member (operation, "responses"));
      g_hash_table_add (described, g_strdup_printf ("%s %s", verb, path));

      parameters = json_object_has_member (operation, "parameters")
                   ? json_object_get_array_member (operation, "parameters") : NULL;
      for (const OrderlyRestParam *param = params; param != NULL && param->name != NULL; param++)
        {
          gboolean found = FALSE;

          for (guint j = 0; parameters != NULL && j < json_array_get_length (parameters); j++)
            found |= g_str_equal (json_object_get_string_member (json_array_get_object_element (parameters, j),
                                                                 "name"), param->name);
          g_test_message ("  %s", param->name);
          g_assert_true (found);
        }
    }

  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonObject *operations = json_object_get_object_member (paths, l->data);
      g_autoptr(GList) verbs = json_object_get_members (operations);

      for (GList *v = verbs; v != NULL; v = v->next)
        {
          g_autofree char *key = g_strdup_printf ("%s %s", (char *) v->data, (char *) l->data);

          g_test_message ("described: %s", key);
          g_assert_true (g_hash_table_contains (described, key));
        }
    }
}

static gboolean
is_number_member (JsonObject *object,
                  const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         (json_node_get_value_type (node) == G_TYPE_INT64 || json_node_get_value_type (node) == G_TYPE_DOUBLE);
}

/* /ws keeps its envelope and carries the Node system's payloads: numeric
 * timestamps, version 2 and monoMs, its reply events before the reply. */
static void
test_node_ws_payloads (ServerFixture *fixture,
                       gconstpointer  data)
{
  g_autoptr(TestWs) ws = test_ws_connect (fixture, "/ws", TEST_OPERATOR_TOKEN, NULL);
  g_autoptr(JsonNode) connected = NULL;
  g_autoptr(JsonNode) status = NULL;
  g_autoptr(JsonNode) acknowledged = NULL;
  g_autoptr(JsonNode) asked = NULL;
  g_autoptr(JsonNode) started = NULL;
  g_autoptr(JsonNode) ack = NULL;
  g_autoptr(JsonNode) progress = NULL;
  JsonObject *object;

  g_assert_no_error (ws->error);
  connected = test_ws_wait_event (ws, "connected", 2000);
  g_assert_true (is_number_member (test_event_data_object (connected), "timestamp"));
  status = test_ws_wait_event (ws, "status", 2000);
  object = test_event_data_object (status);
  g_assert_true (is_number_member (object, "timestamp"));
  g_assert_true (is_number_member (object, "monoMs"));
  g_assert_cmpint (json_object_get_int_member (object, "version"), ==, 2);

  test_ws_send (ws, "{\"event\":\"get-status\"}");
  acknowledged = test_ws_next (ws, 2000);
  g_assert_cmpstr (test_event_name (acknowledged), ==, "status-request-acknowledged");
  g_assert_cmpstr (json_object_get_string_member (test_event_data_object (acknowledged), "message"), ==,
                   "Status request received");
  asked = test_ws_next (ws, 2000);
  g_assert_cmpstr (test_event_name (asked), ==, "status");

  orderly_engine_set_work_us (fixture->engine, 100);
  test_ws_send (ws, "{\"event\":\"start-generation\",\"id\":7,\"data\":{\"quantity\":2000}}");
  started = test_ws_wait_event (ws, "generation-started", 5000);
  g_assert_nonnull (started);
  object = test_event_data_object (started);
  g_assert_cmpint (json_object_get_int_member (object, "quantity"), ==, 2000);
  g_assert_cmpstr (json_object_get_string_member (object, "message"), ==, "Starting generation of 2000 orders");
  ack = test_ws_next (ws, 2000);
  g_assert_cmpstr (test_event_name (ack), ==, "ack");
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (ack), "id"), ==, 7);
  object = test_event_data_object (ack);
  g_assert_true (json_object_get_boolean_member (object, "acknowledged"));
  g_assert_cmpint (json_object_get_int_member (object, "runId"), >, 0);

  progress = test_ws_wait_event (ws, "progress", 5000);
  object = test_event_data_object (progress);
  g_assert_true (is_number_member (object, "timestamp"));
  g_assert_true (is_number_member (object, "monoMs"));
  g_assert_cmpint (json_object_get_int_member (object, "version"), ==, 2);
  server_fixture_wait_phase (fixture, orderly_phase_is_terminal, 30000);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/orderly/node-routes/params", test_node_params);
  ADD ("/orderly/node-routes/status-codes", test_node_status_codes, FIXTURE_DEFAULT);
  ADD ("/orderly/node-routes/changing-get", test_node_changing_get, FIXTURE_DEFAULT);
  ADD ("/orderly/node-routes/preflight", test_node_preflight, FIXTURE_DEFAULT);
  ADD ("/orderly/node-routes/openapi", test_node_openapi, FIXTURE_DEFAULT);
  ADD ("/orderly/node-routes/ws-payloads", test_node_ws_payloads, FIXTURE_DEFAULT);

  return g_test_run ();
}
