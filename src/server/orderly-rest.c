/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "orderly-server"

#include "config.h"

#include "orderly-json-reader.h"
#include "orderly-login.h"
#include "orderly-response.h"
#include "orderly-rest.h"
#include "orderly-web.h"

#define ROUTE_KEY "orderly-rest-route"

struct _OrderlyRest
{
  GObject            parent_instance;

  OrderlyGate       *gate;
  OrderlyDispatcher *dispatcher;
  OrderlyMetrics    *metrics;
};

G_DEFINE_FINAL_TYPE (OrderlyRest, orderly_rest, G_TYPE_OBJECT)

typedef void (*ServeFunc) (OrderlyRest       *self,
                           SoupServerMessage *msg,
                           OrderlyRole        role);

/* Flags of a route. */
enum
{
  /* A POST whose JSON body holds the command's arguments. */
  ROUTE_JSON_BODY     = 1 << 0,
  /* Success is answered as NestJS does: 201 to a POST, 200 to a GET. */
  ROUTE_NEST_STATUS   = 1 << 1,
  /* A GET that changes state: the gate checks its Origin as a POST's, HEAD
   * is not answered, and the answer says `method: "GET"`. */
  ROUTE_CHANGING_GET  = 1 << 2,
  /* An open route whose answer says what role the token gives. */
  ROUTE_TELLS_ROLE    = 1 << 3,
};

/* One route: a dispatcher command, or a route that answers itself. A
 * segment `{name}` of its path is a parameter: the command's argument
 * `name`. */
typedef struct
{
  const char             *method;   /* GET answers HEAD too */
  const char             *path;
  const char             *command;  /* the dispatcher command, or NULL for @serve */
  const OrderlyRestParam *params;   /* query parameters passed to the command */
  guint                   flags;
  const char             *member;   /* answer only this member of the command's answer */
  ServeFunc               serve;
  OrderlyRole             role;     /* who may use a @serve route */
} Route;

static void serve_page     (OrderlyRest *self, SoupServerMessage *msg, OrderlyRole role);
static void serve_session  (OrderlyRest *self, SoupServerMessage *msg, OrderlyRole role);
static void serve_openapi  (OrderlyRest *self, SoupServerMessage *msg, OrderlyRole role);
static void serve_metrics  (OrderlyRest *self, SoupServerMessage *msg, OrderlyRole role);

#define PARAMS(...) ((const OrderlyRestParam[]) { __VA_ARGS__, { NULL } })
#define INT(name, fallback) { name, ORDERLY_REST_PARAM_INT, fallback }
#define CLAMPED(name, fallback, min, max) { name, ORDERLY_REST_PARAM_INT, fallback, TRUE, min, max }
#define BOOLEAN(name, fallback) { name, ORDERLY_REST_PARAM_BOOLEAN, fallback }
#define STRING(name, fallback) { name, ORDERLY_REST_PARAM_STRING, fallback }

static const Route routes[] = {
  /* The dashboard, what it asks about its session, the API description:
   * open. The page's other files are found in its resources. */
  { "GET", "/", .serve = serve_page },
  { "GET", "/index.html", .serve = serve_page },
  { "GET", "/session", .flags = ROUTE_TELLS_ROLE, .serve = serve_session },
  { "GET", "/openapi.json", .serve = serve_openapi },
  { "GET", "/metrics", .serve = serve_metrics, .role = ORDERLY_ROLE_VIEWER },

  /* Orderly's own routes; the dispatcher says who may use each. */
  { "GET", "/queue/counts", "get-queue-counts" },
  { "GET", "/runs", "get-runs", PARAMS (INT ("limit", NULL)), .member = "runs" },
  { "GET", "/runs/{runId}/proof", "get-run-proof" },
  { "GET", "/runs/{runId}/samples", "get-run-samples" },
  { "GET", "/clients", "get-clients" },
  { "POST", "/clients/{id}/disconnect", "disconnect-client" },
  { "POST", "/tokens/rotate", "rotate-tokens" },
  { "POST", "/generate", "start-generation", .flags = ROUTE_JSON_BODY },
  { "POST", "/cancel", "cancel-operation", .flags = ROUTE_JSON_BODY },
  { "POST", "/reset", "reset-system", .flags = ROUTE_JSON_BODY },
  { "POST", "/resume", "resume-run", .flags = ROUTE_JSON_BODY },

  /* The Node system's routes, with its query parameters and defaults. */
  { "GET", "/pedidos", "get-status" },
  { "POST", "/pedidos/generate", "start-generation",
    PARAMS (INT ("quantity", "1000000"), BOOLEAN ("force", "false"),
            BOOLEAN ("autoForceIfStale", "true"), BOOLEAN ("returnOnActive", "true")),
    ROUTE_NEST_STATUS },
  { "GET", "/pedidos/generate", "start-generation",
    PARAMS (INT ("quantity", "1000000"), BOOLEAN ("force", "false"),
            BOOLEAN ("autoForceIfStale", "true"), BOOLEAN ("returnOnActive", "true")),
    ROUTE_NEST_STATUS | ROUTE_CHANGING_GET },
  { "POST", "/pedidos/cancel", "cancel-operation",
    PARAMS (BOOLEAN ("purge", "true"), BOOLEAN ("removePending", "true"),
            BOOLEAN ("resetLogs", "false"), INT ("waitTimeoutMs", "10000"),
            INT ("pollIntervalMs", "500"), BOOLEAN ("resetPhaseToIdle", "true")),
    ROUTE_NEST_STATUS },
  { "POST", "/pedidos/reset", "reset-system", .flags = ROUTE_NEST_STATUS },
  { "GET", "/pedidos/logs", "get-logs", PARAMS (INT ("lines", "500")) },
  { "GET", "/pedidos/runs", "get-runs", PARAMS (CLAMPED ("limit", "20", 1, 200)) },
  { "GET", "/pedidos/health/queue", "get-queue-health" },
  { "POST", "/pedidos/queue/pause", "pause-queue", .flags = ROUTE_NEST_STATUS },
  { "POST", "/pedidos/queue/resume", "resume-queue", .flags = ROUTE_NEST_STATUS },
  { "POST", "/pedidos/queue/clean", "clean-queue",
    PARAMS (STRING ("state", "completed"), INT ("grace", "0"), INT ("limit", "1000")), ROUTE_NEST_STATUS },
  { "POST", "/pedidos/queue/purge", "purge-queue", PARAMS (BOOLEAN ("obliterate", "false")), ROUTE_NEST_STATUS },
  { "POST", "/pedidos/queue/close", "close-queue", .flags = ROUTE_NEST_STATUS },
  { "POST", "/pedidos/queue/retry-failed", "retry-failed", .flags = ROUTE_NEST_STATUS },
  { "POST", "/pedidos/queue/recover-stuck", "recover-stuck", PARAMS (INT ("maxJobs", "100")),
    ROUTE_NEST_STATUS },
  { "GET", "/pedidos/queue/status", "get-queue-counts" },
  { "GET", "/pedidos/queue/jobs", "list-jobs",
    PARAMS (STRING ("types", "waiting"), INT ("start", "0"), INT ("end", "50"), BOOLEAN ("includeData", "true")) },
  { "GET", "/diagnostics/queue", "get-queue-diagnostics" },
  { "GET", "/orders", "get-orders" },
  { "GET", "/health/live", "get-liveness" },
  { "GET", "/health/ready", "get-health" },
};

#undef PARAMS
#undef INT
#undef CLAMPED
#undef BOOLEAN
#undef STRING

static void
orderly_rest_finalize (GObject *object)
{
  OrderlyRest *self = (OrderlyRest *) object;

  g_clear_object (&self->gate);
  g_clear_object (&self->dispatcher);
  g_clear_object (&self->metrics);

  G_OBJECT_CLASS (orderly_rest_parent_class)->finalize (object);
}

static void
orderly_rest_class_init (OrderlyRestClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = orderly_rest_finalize;
}

static void
orderly_rest_init (OrderlyRest *self)
{
}

static gboolean
is_get (const char *method)
{
  return g_str_equal (method, "GET") || g_str_equal (method, "HEAD");
}

/* The route for @method and @path; *path_known says whether @path has a
 * route for another method. */
static const Route *
find_route (const char *method,
            const char *path,
            gboolean   *path_known)
{
  *path_known = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      if (!orderly_rest_path_match (routes[i].path, path, NULL))
        continue;
      *path_known = TRUE;
      if (g_str_equal (routes[i].method, method) ||
          (g_str_equal (method, "HEAD") && g_str_equal (routes[i].method, "GET") &&
           !(routes[i].flags & ROUTE_CHANGING_GET)))
        return &routes[i];
    }
  return NULL;
}

static OrderlyRole
route_role (const Route *route)
{
  OrderlyRole role = ORDERLY_ROLE_OPERATOR;

  if (route->command == NULL)
    return route->role;
  if (!orderly_dispatcher_get_command_role (route->command, &role))
    g_return_val_if_reached (ORDERLY_ROLE_OPERATOR);
  return role;
}

/* Routes that answer themselves */

static void
serve_page (OrderlyRest       *self,
            SoupServerMessage *msg,
            OrderlyRole        role)
{
  if (!orderly_web_serve_file (msg, "/"))
    g_assert_not_reached ();
}

static void
serve_session (OrderlyRest       *self,
               SoupServerMessage *msg,
               OrderlyRole        role)
{
  orderly_login_answer_session (self->gate, msg, role);
}

static void
serve_openapi (OrderlyRest       *self,
               SoupServerMessage *msg,
               OrderlyRole        role)
{
  orderly_web_serve_openapi (msg);
}

static void
serve_metrics (OrderlyRest       *self,
               SoupServerMessage *msg,
               OrderlyRole        role)
{
  orderly_response_text (msg, 200, "text/plain; version=0.0.4; charset=utf-8",
                         orderly_metrics_render (self->metrics));
}

/* Commands */

/* The JSON body of a POST that takes one, or the route's query parameters. */
static gboolean
parse_body_or_query (SoupServerMessage  *msg,
                     GHashTable         *query,
                     const Route        *route,
                     JsonNode          **arguments)
{
  if (route->flags & ROUTE_JSON_BODY)
    {
      g_autoptr(GBytes) body = NULL;
      g_autoptr(GError) error = NULL;
      const char *data;
      gsize size;

      /* The request guard has refused a body over the limit already. */
      body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
      data = g_bytes_get_data (body, &size);
      if (size == 0)
        return TRUE;
      *arguments = orderly_json_parse (data, size, &error);
      if (*arguments == NULL)
        {
          orderly_response_error (msg, 400, error->message);
          return FALSE;
        }
    }
  else if (route->params != NULL)
    {
      g_autoptr(GError) error = NULL;

      *arguments = orderly_rest_params_parse (route->params, query, &error);
      if (*arguments == NULL)
        {
          orderly_response_error (msg, 400, error->message);
          return FALSE;
        }
    }
  return TRUE;
}

/* The command's arguments: the JSON body of a POST that takes one, or the
 * route's query parameters; and the segments of its path that are
 * parameters, which win over a body's members of the same name. FALSE
 * when @msg has been answered with an error. */
static gboolean
parse_arguments (SoupServerMessage  *msg,
                 GHashTable         *query,
                 const Route        *route,
                 JsonNode          **arguments)
{
  g_autoptr(JsonObject) captures = json_object_new ();

  *arguments = NULL;
  if (!parse_body_or_query (msg, query, route, arguments))
    return FALSE;
  orderly_rest_path_match (route->path, g_uri_get_path (soup_server_message_get_uri (msg)), captures);
  if (json_object_get_size (captures) == 0)
    return TRUE;
  if (*arguments == NULL)
    {
      *arguments = json_node_new (JSON_NODE_OBJECT);
      json_node_set_object (*arguments, captures);
    }
  else if (JSON_NODE_HOLDS_OBJECT (*arguments))
    {
      /* A parsed body is sealed: the arguments are a new object. */
      JsonObject *body = json_node_get_object (*arguments);
      g_autoptr(GList) body_names = json_object_get_members (body);

      for (GList *l = body_names; l != NULL; l = l->next)
        if (!json_object_has_member (captures, l->data))
          json_object_set_member (captures, l->data, json_object_dup_member (body, l->data));
      json_node_unref (*arguments);
      *arguments = json_node_new (JSON_NODE_OBJECT);
      json_node_set_object (*arguments, captures);
    }
  return TRUE;
}

/* The answer as the route gives it: one member of it, the status codes of
 * NestJS, the method of a GET that changes state. */
static JsonNode *
shape_answer (const Route *route,
              JsonNode    *answer,
              guint       *status_code)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (answer) ? json_node_get_object (answer) : NULL;

  if (*status_code >= 300 || object == NULL)
    return json_node_ref (answer);

  if (route->flags & ROUTE_NEST_STATUS)
    *status_code = g_str_equal (route->method, "POST") ? 201 : 200;
  if (route->flags & ROUTE_CHANGING_GET)
    json_object_set_string_member (object, "method", "GET");
  if (route->member != NULL && json_object_has_member (object, route->member))
    return json_object_dup_member (object, route->member);
  return json_node_ref (answer);
}

static void
command_answered_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(SoupServerMessage) msg = user_data;
  const Route *route = g_object_get_data (G_OBJECT (msg), ROUTE_KEY);
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(JsonNode) body = NULL;
  guint status_code = 0;

  answer = orderly_dispatcher_dispatch_finish (ORDERLY_DISPATCHER (object), result, &status_code);
  body = shape_answer (route, answer, &status_code);
  orderly_response_json (msg, status_code, body);
  soup_server_message_unpause (msg);
}

static void
run_command (OrderlyRest       *self,
             SoupServerMessage *msg,
             GHashTable        *query,
             const Route       *route,
             OrderlyRole        role)
{
  g_autoptr(JsonNode) arguments = NULL;

  if (!parse_arguments (msg, query, route, &arguments))
    return;
  /* The answer may come once the engine has done the work: the request
   * waits, the main loop does not. */
  g_object_set_data (G_OBJECT (msg), ROUTE_KEY, (gpointer) route);
  soup_server_message_pause (msg);
  orderly_dispatcher_dispatch_async (self->dispatcher, route->command, arguments, role,
                                     command_answered_cb, g_object_ref (msg));
}

static void
run_route (OrderlyRest       *self,
           SoupServerMessage *msg,
           GHashTable        *query,
           const Route       *route,
           OrderlyRole        role)
{
  orderly_metrics_set_route (msg, route->path);
  if (route->command != NULL)
    {
      run_command (self, msg, query, route, role);
    }
  else
    {
      guint status_code = 0;
      g_autoptr(JsonNode) refusal = orderly_dispatcher_check_role (route->role, role, &status_code);

      if (refusal != NULL)
        orderly_response_json (msg, status_code, refusal);
      else
        route->serve (self, msg, role);
    }
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  OrderlyRest *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  OrderlyRole role = ORDERLY_ROLE_NONE;
  const Route *route;
  OrderlyGateFlags flags;
  gboolean path_known;
  gboolean open;

  orderly_gate_add_cors_headers (self->gate, msg);

  if (g_str_equal (method, "OPTIONS"))
    {
      orderly_metrics_set_route (msg, "preflight");
      orderly_gate_answer_preflight (self->gate, msg);
      return;
    }

  /* The dashboard link signs the browser in. */
  if (is_get (method) && g_str_equal (path, "/") && query != NULL &&
      g_hash_table_lookup (query, "token") != NULL)
    {
      orderly_metrics_set_route (msg, "/");
      orderly_login_sign_in (self->gate, msg, g_hash_table_lookup (query, "token"));
      return;
    }

  route = find_route (method, path, &path_known);
  open = route != NULL ? route_role (route) == ORDERLY_ROLE_NONE
                       : is_get (method) && orderly_web_has_file (path);
  flags = open ? ORDERLY_GATE_OPEN : ORDERLY_GATE_DEFAULT;
  if (route != NULL && (route->flags & ROUTE_CHANGING_GET))
    flags |= ORDERLY_GATE_CHANGES_STATE;
  if (route != NULL && (route->flags & ROUTE_TELLS_ROLE))
    flags |= ORDERLY_GATE_TELLS_ROLE;
  if (!orderly_gate_check_request (self->gate, msg, query, flags, &role))
    {
      orderly_metrics_set_route (msg, "refused");
      return;
    }

  if (route != NULL)
    {
      run_route (self, msg, query, route, role);
      return;
    }
  if (is_get (method) && orderly_web_serve_file (msg, path))
    {
      orderly_metrics_set_route (msg, "static");
      return;
    }
  orderly_metrics_set_route (msg, "other");
  if (path_known)
    orderly_response_error (msg, 405, "Method not allowed on this path");
  else
    orderly_response_error (msg, 404, "No such resource");
}

/**
 * orderly_rest_new:
 * @server: where to answer; the REST front takes every path no other
 *   handler claims
 * @gate: who may come in
 * @dispatcher: what the commands do
 * @metrics: what /metrics says
 */
OrderlyRest *
orderly_rest_new (SoupServer        *server,
                  OrderlyGate       *gate,
                  OrderlyDispatcher *dispatcher,
                  OrderlyMetrics    *metrics)
{
  OrderlyRest *self;

  g_return_val_if_fail (SOUP_IS_SERVER (server), NULL);
  g_return_val_if_fail (ORDERLY_IS_GATE (gate), NULL);
  g_return_val_if_fail (ORDERLY_IS_DISPATCHER (dispatcher), NULL);
  g_return_val_if_fail (ORDERLY_IS_METRICS (metrics), NULL);

  self = g_object_new (ORDERLY_TYPE_REST, NULL);
  self->gate = g_object_ref (gate);
  self->dispatcher = g_object_ref (dispatcher);
  self->metrics = g_object_ref (metrics);
  /* The server keeps what its handlers need. */
  soup_server_add_handler (server, NULL, server_cb, g_object_ref (self), g_object_unref);
  return self;
}

/**
 * orderly_rest_get_route:
 * @position: from 0
 * @method: (out) (optional): its method
 * @path: (out) (optional): its path
 * @params: (out) (optional) (nullable): its query parameters, ending with a
 *   %NULL name
 *
 * One row of the route table, for what describes the API.
 *
 * Returns: %FALSE past the last route
 */
gboolean
orderly_rest_get_route (guint                    position,
                        const char             **method,
                        const char             **path,
                        const OrderlyRestParam **params)
{
  if (position >= G_N_ELEMENTS (routes))
    return FALSE;
  if (method != NULL)
    *method = routes[position].method;
  if (path != NULL)
    *path = routes[position].path;
  if (params != NULL)
    *params = routes[position].params;
  return TRUE;
}
