/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "orderly-engine.h"
#include "orderly-json.h"
#include "orderly-log-store.h"
#include "orderly-run-list.h"
#include "orderly-test-util.h"

typedef struct
{
  guint position;
  guint removed;
  guint added;
} Change;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  GArray     *changes)
{
  Change change = { position, removed, added };
  g_array_append_val (changes, change);
}

static OrderlyLogEntry *
make_entry (guint n)
{
  g_autofree char *message = g_strdup_printf ("line %u", n);
  return orderly_log_entry_new_from_record (orderly_log_record_new (n % 3, "test", message, NULL));
}

static void
append_lines (OrderlyLogStore *store,
              guint            first,
              guint            count)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < count; i++)
    g_ptr_array_add (entries, make_entry (first + i));
  orderly_log_store_append (store, (OrderlyLogEntry **) entries->pdata, entries->len);
}

static const char *
message_at (GListModel *model,
            guint       position)
{
  g_autoptr(OrderlyLogEntry) entry = g_list_model_get_item (model, position);
  static char buffer[64];

  g_strlcpy (buffer, orderly_log_entry_get_message (entry), sizeof buffer);
  return buffer;
}

static void
test_log_store_capacity (void)
{
  g_autoptr(OrderlyLogStore) store = orderly_log_store_new (10);
  GListModel *model = G_LIST_MODEL (store);
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (Change));
  Change *change;

  g_assert_true (g_list_model_get_item_type (model) == ORDERLY_TYPE_LOG_ENTRY);
  g_signal_connect (store, "items-changed", G_CALLBACK (items_changed_cb), changes);

  append_lines (store, 0, 6);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 6);
  g_assert_cmpuint (changes->len, ==, 1);
  change = &g_array_index (changes, Change, 0);
  g_assert_cmpuint (change->position, ==, 0);
  g_assert_cmpuint (change->added, ==, 6);

  /* Full: the oldest go first, in one removal and one addition. */
  append_lines (store, 6, 7);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 10);
  g_assert_cmpuint (changes->len, ==, 3);
  change = &g_array_index (changes, Change, 1);
  g_assert_cmpuint (change->position, ==, 0);
  g_assert_cmpuint (change->removed, ==, 3);
  change = &g_array_index (changes, Change, 2);
  g_assert_cmpuint (change->position, ==, 3);
  g_assert_cmpuint (change->added, ==, 7);
  g_assert_cmpstr (message_at (model, 0), ==, "line 3");
  g_assert_cmpstr (message_at (model, 9), ==, "line 12");
  g_assert_null (g_list_model_get_item (model, 10));

  /* Past the capacity, a quarter more fits before anything goes: the
   * oldest then go in one chunk, back down to the capacity. */
  g_array_set_size (changes, 0);
  append_lines (store, 13, 1);
  append_lines (store, 14, 1);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 12);
  g_assert_cmpuint (changes->len, ==, 2);
  for (guint i = 0; i < changes->len; i++)
    g_assert_cmpuint (g_array_index (changes, Change, i).removed, ==, 0);
  append_lines (store, 15, 1);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 10);
  g_assert_cmpuint (changes->len, ==, 4);
  change = &g_array_index (changes, Change, 2);
  g_assert_cmpuint (change->position, ==, 0);
  g_assert_cmpuint (change->removed, ==, 3);
  change = &g_array_index (changes, Change, 3);
  g_assert_cmpuint (change->position, ==, 9);
  g_assert_cmpuint (change->added, ==, 1);
  g_assert_cmpstr (message_at (model, 0), ==, "line 6");
  g_assert_cmpstr (message_at (model, 9), ==, "line 15");

  /* A batch larger than the ring keeps its newest lines. */
  append_lines (store, 100, 25);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 10);
  g_assert_cmpstr (message_at (model, 0), ==, "line 115");
  g_assert_cmpstr (message_at (model, 9), ==, "line 124");

  /* Shrinking drops the oldest; growing keeps everything. */
  orderly_log_store_set_capacity (store, 4);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 4);
  g_assert_cmpstr (message_at (model, 0), ==, "line 121");
  orderly_log_store_set_capacity (store, 100);
  append_lines (store, 200, 2);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 6);
  g_assert_cmpstr (message_at (model, 5), ==, "line 201");

  orderly_log_store_clear (store);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
}

static void
test_log_store_persistence (void)
{
  g_autofree char *dir = orderly_test_make_data_dir ();
  g_autofree char *path = g_build_filename (dir, "orderly.db", NULL);
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(OrderlyStore) store = orderly_sqlite_store_new (path, &error);
    g_autoptr(OrderlyEngine) engine = orderly_engine_new (store, &error);

    g_assert_no_error (error);
    orderly_engine_set_log_capacity (engine, 20);
    for (guint i = 0; i < 50; i++)
      orderly_engine_log (engine, i % 7 ? ORDERLY_LOG_LEVEL_LOG : ORDERLY_LOG_LEVEL_WARN, "test",
                          "{\"n\":1}", "line %u", i);
    orderly_engine_flush (engine);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (orderly_engine_get_log_store (engine))),
                      ==, 20);
    g_assert_finalize_object (g_steal_pointer (&engine));
  }
  g_assert_cmpint (orderly_test_query_int (path, "SELECT count(*) FROM logs"), ==, 20);

  {
    g_autoptr(OrderlyStore) store = orderly_sqlite_store_new (path, &error);
    g_autoptr(OrderlyEngine) engine = orderly_engine_new (store, &error);
    GListModel *model;
    g_autoptr(OrderlyLogEntry) last = NULL;

    g_assert_no_error (error);
    model = G_LIST_MODEL (orderly_engine_get_log_store (engine));
    g_assert_cmpuint (g_list_model_get_n_items (model), ==, 20);
    g_assert_cmpstr (message_at (model, 0), ==, "line 30");
    g_assert_cmpstr (message_at (model, 19), ==, "line 49");
    last = g_list_model_get_item (model, 19);
    g_assert_cmpstr (orderly_log_entry_get_category (last), ==, "test");
    g_assert_cmpstr (orderly_log_entry_get_data (last), ==, "{\"n\":1}");
    g_assert_cmpint (orderly_log_entry_get_level (last), ==, ORDERLY_LOG_LEVEL_WARN);  /* 49 % 7 == 0 */
    g_assert_cmpint (orderly_log_entry_get_timestamp (last), >, 1700000000000);
  }
  orderly_test_remove_dir (dir);
}

static void
assert_members (JsonObject         *object,
                const char * const *names)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (guint i = 0; names[i] != NULL; i++)
    g_assert_true (json_object_has_member (object, names[i]));
  g_assert_cmpuint (g_list_length (members), >=, g_strv_length ((char **) names));
}

static void
test_json_status_shape (void)
{
  g_autoptr(OrderlyStatus) status = orderly_status_new ();
  g_autoptr(JsonNode) node = NULL;
  JsonObject *root, *processing, *vip;
  OrderlyStatusData data = {
    .phase = ORDERLY_PHASE_WAITING_NORMAL_DRAIN, .target = 100, .generated = 100,
    .vip_total = 5, .normal_total = 95, .vip_processed = 5, .normal_processed = 40,
    .processed_total = 45, .generation_ms = 12.5, .vip_start_us = 1764091218123000,
    .vip_end_us = 1764091218456000, .vip_ms = 333, .eta_ms = -1, .progress_percent = 45,
    .generation_percent = 100, .throughput_vip = 15.015, .normal_failed = 3, .failed_total = 3,
    .queue_waiting = 50, .queue_active = 2, .queue_delayed = 1, .paused = TRUE, .paused_ms = 1500,
  };
  static const char * const top[] = {
    "phase", "generationTimeMs", "enqueueVipTimeMs", "enqueueNormalTimeMs", "processing",
    "totalTimeMs", "counts", "throughput", "eta", "progress", NULL
  };
  static const char * const priority[] = { "start", "end", "timeMs", "count", NULL };

  g_assert_true (orderly_status_update (status, &data));
  g_assert_false (orderly_status_update (status, &data));
  node = orderly_json_status (status);
  root = json_node_get_object (node);
  assert_members (root, top);
  g_assert_cmpstr (json_object_get_string_member (root, "phase"), ==, "WAITING_NORMAL_DRAIN");
  g_assert_cmpfloat (json_object_get_double_member (root, "generationTimeMs"), ==, 12.5);
  {
    g_autofree char *text = orderly_json_to_string (node);

    /* Numbers read as people write them. */
    g_assert_nonnull (strstr (text, "\"vip\":15.015,"));
    g_assert_nonnull (strstr (text, "\"progressPercent\":45,"));
  }

  processing = json_object_get_object_member (root, "processing");
  vip = json_object_get_object_member (processing, "vip");
  assert_members (vip, priority);
  assert_members (json_object_get_object_member (processing, "normal"), priority);
  g_assert_cmpstr (json_object_get_string_member (vip, "start"), ==, "2025-11-25T17:20:18.123Z");
  g_assert_cmpint (json_object_get_int_member (vip, "count"), ==, 5);
  g_assert_true (json_object_get_null_member (json_object_get_object_member (processing, "normal"),
                                              "start"));

  /* counts are processed orders; generated ones have fields of their own. */
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "counts"), "vip"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "counts"), "normal"), ==, 40);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "generated"), "vip"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "generated"), "normal"),
                   ==, 95);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "failed"), "normal"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "queue"), "waiting"), ==, 50);
  g_assert_true (json_object_get_boolean_member (root, "paused"));
  g_assert_cmpfloat (json_object_get_double_member (root, "pausedMs"), ==, 1500);
  assert_members (json_object_get_object_member (root, "throughput"),
                  (const char * const[]) { "vip", "normal", "overall", NULL });
  g_assert_true (json_object_get_null_member (json_object_get_object_member (root, "eta"),
                                              "estimatedMs"));
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (root, "eta"),
                                                    "progressPercent"), ==, 45);
  g_assert_true (json_object_get_null_member (json_object_get_object_member (root, "eta"), "finishAt"));
  assert_members (json_object_get_object_member (root, "progress"),
                  (const char * const[]) { "target", "generated", "processedTotal", "generationPercent",
                                           "failedTotal", NULL });
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (root, "progress"),
                                                    "generationPercent"), ==, 100);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "progress"),
                                               "processedTotal"), ==, 45);
}

static void
test_json_progress_shape (void)
{
  g_autoptr(OrderlyStatus) status = orderly_status_new ();
  g_autoptr(JsonNode) node = NULL;
  JsonObject *root;
  OrderlyStatusData data = { .phase = ORDERLY_PHASE_WAITING_VIP_DRAIN, .target = 200,
                             .generated = 200, .vip_processed = 7, .processed_total = 7,
                             .progress_percent = 51.75, .eta_ms = 1000 };
  static const char * const keys[] = {
    "phase", "progress", "total", "current", "message", "vipProcessed", "normalProcessed",
    "generationTime", "vipProcessingTime", "normalProcessingTime", NULL
  };

  orderly_status_update (status, &data);
  node = orderly_json_progress (status);
  root = json_node_get_object (node);
  assert_members (root, keys);
  g_assert_cmpfloat (json_object_get_double_member (root, "progress"), ==, 51.75);
  g_assert_cmpint (json_object_get_int_member (root, "total"), ==, 200);
  g_assert_cmpint (json_object_get_int_member (root, "current"), ==, 7);
  g_assert_cmpstr (json_object_get_string_member (root, "message"), ==, "Processing VIP orders");
}

static void
test_json_job_shape (void)
{
  OrderlyJob *job = g_new0 (OrderlyJob, 1);
  OrderlyJobQuery query = { .states = { ORDERLY_JOB_STATE_FAILED }, .n_states = 1, .start = 0, .end = 9 };
  g_autoptr(OrderlyJobPage) page = g_new0 (OrderlyJobPage, 1);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *root, *first, *data;
  static const char * const keys[] = {
    "id", "name", "state", "timestamp", "processedOn", "finishedOn", "attemptsMade", "data", NULL
  };
  static const char * const data_keys[] = {
    "id", "cliente", "valor", "tier", "observacoes", "priority", "status", "createdAt", NULL
  };

  *job = (OrderlyJob) { .id = 42, .priority = ORDERLY_PRIORITY_VIP, .state = ORDERLY_JOB_STATE_FAILED,
                        .created_at_us = 1764091218123000, .finished_on_us = 1764091219000000,
                        .processed_on_us = 1764091219000000, .attempts_made = 3, .has_data = TRUE,
                        .tier = "DIAMOND", .amount_cents = 123456 };
  job->customer = g_strdup ("Ana Lima");
  job->failed_reason = g_strdup ("Simulated failure on attempt 3 of 3");
  page->jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) orderly_job_free);
  g_ptr_array_add (page->jobs, job);
  page->counts = (OrderlyQueueCounts) { .waiting = 5, .failed = 1, .queue_paused = TRUE };

  node = orderly_json_job_page (page, &query);
  root = json_node_get_object (node);
  assert_members (root, (const char * const[]) { "total", "types", "range", "jobs", NULL });
  g_assert_cmpint (json_object_get_int_member (root, "total"), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (root, "types"), 0), ==,
                   "failed");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "range"), "end"), ==, 9);
  first = json_array_get_object_element (json_object_get_array_member (root, "jobs"), 0);
  assert_members (first, keys);
  g_assert_cmpstr (json_object_get_string_member (first, "id"), ==, "42");
  g_assert_cmpstr (json_object_get_string_member (first, "name"), ==, "processOrder");
  g_assert_cmpint (json_object_get_int_member (first, "timestamp"), ==, 1764091218123);
  g_assert_cmpint (json_object_get_int_member (first, "attemptsMade"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (first, "failedReason"), ==,
                   "Simulated failure on attempt 3 of 3");
  data = json_object_get_object_member (first, "data");
  assert_members (data, data_keys);
  g_assert_cmpfloat (json_object_get_double_member (data, "valor"), ==, 1234.56);
  g_assert_cmpstr (json_object_get_string_member (data, "priority"), ==, "VIP");
  g_assert_cmpstr (json_object_get_string_member (data, "status"), ==, "pendente");
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (root, "counts"), "paused"));
}

static void
test_json_log_shape (void)
{
  g_autoptr(OrderlyLogEntry) entry =
    orderly_log_entry_new_from_record (orderly_log_record_new (ORDERLY_LOG_LEVEL_WARN, "engine",
                                                               "odd \x1e char \"quoted\"\n",
                                                               "{\"runId\":3}"));
  g_autoptr(JsonNode) node = orderly_json_log_entry (entry);
  g_autofree char *text = orderly_json_to_string (node);
  JsonObject *root = json_node_get_object (node);
  g_autoptr(JsonNode) parsed = NULL;

  assert_members (root, (const char * const[]) { "timestamp", "level", "message", "category", "data", NULL });
  g_assert_cmpstr (json_object_get_string_member (root, "level"), ==, "warn");
  g_assert_cmpstr (json_object_get_string_member (root, "category"), ==, "engine");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "data"), "runId"), ==, 3);
  /* A record separator never appears raw: Engine.IO polling relies on it. */
  g_assert_null (strchr (text, '\x1e'));
  g_assert_nonnull (strstr (text, "\\u001e"));
  g_assert_nonnull (strstr (text, "\\\"quoted\\\"\\n"));
  parsed = json_from_string (text, NULL);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (parsed), "message"), ==,
                   "odd \x1e char \"quoted\"\n");
}

static void
test_status_notify (void)
{
  g_autoptr(OrderlyStatus) status = orderly_status_new ();
  OrderlyStatusData data = { .phase = ORDERLY_PHASE_GENERATING, .eta_ms = -1, .generated = 1 };
  guint changed = 0;
  OrderlyPhase phase;

  g_signal_connect_swapped (status, "changed", G_CALLBACK (g_atomic_int_inc), &changed);
  orderly_status_update (status, &data);
  orderly_status_update (status, &data);
  data.generated = 2;
  orderly_status_update (status, &data);
  g_assert_cmpuint (changed, ==, 2);
  g_object_get (status, "phase", &phase, NULL);
  g_assert_cmpint (phase, ==, ORDERLY_PHASE_GENERATING);
  g_assert_cmpstr (orderly_status_describe (status), ==, "Generating orders");
}

/* A refresh of the run list that read the store before a change the list
 * was given directly (a reset's) does not undo it: it reads again. */
static void
test_run_list_stale_refresh (void)
{
  g_autofree char *dir = orderly_test_make_data_dir ();
  g_autofree char *path = g_build_filename (dir, "orderly.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(OrderlyStore) store = orderly_sqlite_store_new (path, &error);
  g_autoptr(OrderlyRunList) list = NULL;
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  OrderlyRunRecord run = { .quantity = 10, .phase = ORDERLY_PHASE_GENERATING };
  gint64 deadline;

  g_assert_no_error (error);
  g_assert_true (orderly_store_begin_run (store, &run, &error));
  g_assert_no_error (error);
  list = orderly_run_list_new (store);
  orderly_run_list_refresh (list);
  while (orderly_run_list_get_loading (list))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);

  /* The refresh has read the run and its answer waits on the main context. */
  orderly_run_list_refresh (list);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!g_main_context_pending (NULL) && g_get_monotonic_time () < deadline)
    g_usleep (1000);
  g_assert_true (g_main_context_pending (NULL));
  g_assert_true (orderly_store_reset (store, NULL, NULL, &error));
  g_assert_no_error (error);
  orderly_run_list_set_records (list, none);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);

  while (orderly_run_list_get_loading (list))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);

  g_clear_object (&list);
  g_clear_pointer (&store, orderly_store_unref);
  orderly_test_remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/orderly/log-store/capacity", test_log_store_capacity);
  g_test_add_func ("/orderly/log-store/persistence", test_log_store_persistence);
  g_test_add_func ("/orderly/json/status", test_json_status_shape);
  g_test_add_func ("/orderly/json/progress", test_json_progress_shape);
  g_test_add_func ("/orderly/json/log", test_json_log_shape);
  g_test_add_func ("/orderly/json/job", test_json_job_shape);
  g_test_add_func ("/orderly/status/notify", test_status_notify);
  g_test_add_func ("/orderly/run-list/stale-refresh", test_run_list_stale_refresh);

  return g_test_run ();
}
