/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "orderly-engine.h"
#include "orderly-json-writer.h"
#include "orderly-log-entry.h"
#include "orderly-status.h"
#include "orderly-store.h"

G_BEGIN_DECLS

JsonNode *orderly_json_status          (OrderlyStatus          *status);
JsonNode *orderly_json_progress        (OrderlyStatus          *status);
JsonNode *orderly_json_log_entry       (OrderlyLogEntry        *entry);
JsonNode *orderly_json_run             (const OrderlyRunRecord *run);
JsonNode *orderly_json_queue_counts    (const OrderlyQueueCounts   *counts);
JsonNode *orderly_json_job             (const OrderlyJob           *job);
JsonNode *orderly_json_job_page        (const OrderlyJobPage       *page,
                                        const OrderlyJobQuery      *query);
JsonNode *orderly_json_priority_proof  (const OrderlyPriorityProof *proof);
JsonNode *orderly_json_samples         (GArray                     *samples);
JsonNode *orderly_json_cluster         (OrderlyCluster         *cluster);
char     *orderly_json_iso8601         (gint64                  time_us);

G_END_DECLS
