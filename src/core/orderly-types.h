/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct _OrderlyEngine   OrderlyEngine;
typedef struct _OrderlyStatus   OrderlyStatus;
typedef struct _OrderlyLogEntry OrderlyLogEntry;
typedef struct _OrderlyLogStore OrderlyLogStore;
typedef struct _OrderlyStore    OrderlyStore;

/**
 * OrderlyPhase:
 *
 * Where a run is. The active phases follow each other in declaration order,
 * from %ORDERLY_PHASE_GENERATING to %ORDERLY_PHASE_WAITING_NORMAL_DRAIN.
 */
typedef enum
{
  ORDERLY_PHASE_IDLE,
  ORDERLY_PHASE_GENERATING,
  ORDERLY_PHASE_ENQUEUE_VIP,
  ORDERLY_PHASE_WAITING_VIP_DRAIN,
  ORDERLY_PHASE_ENQUEUE_NORMAL,
  ORDERLY_PHASE_WAITING_NORMAL_DRAIN,
  ORDERLY_PHASE_DONE,
  ORDERLY_PHASE_ABORTED,
  ORDERLY_PHASE_ERROR,
  ORDERLY_PHASE_INTERRUPTED,
} OrderlyPhase;

typedef enum
{
  ORDERLY_PRIORITY_VIP,
  ORDERLY_PRIORITY_NORMAL,
} OrderlyPriority;

/**
 * OrderlyJobState:
 * @ORDERLY_JOB_STATE_WAITING: generated and not yet claimed (or given back)
 * @ORDERLY_JOB_STATE_ACTIVE: in a worker's claim
 * @ORDERLY_JOB_STATE_COMPLETED: processed
 * @ORDERLY_JOB_STATE_FAILED: failed on its last allowed attempt
 * @ORDERLY_JOB_STATE_DELAYED: failed an attempt, waiting for its retry
 * @ORDERLY_JOB_STATE_PAUSED: waiting while its run is paused or interrupted
 *
 * Where an order is in the queue, in the words of a job queue. The store
 * knows the first five; an order is paused when it waits in a run that does
 * not go on.
 */
typedef enum
{
  ORDERLY_JOB_STATE_WAITING,
  ORDERLY_JOB_STATE_ACTIVE,
  ORDERLY_JOB_STATE_COMPLETED,
  ORDERLY_JOB_STATE_FAILED,
  ORDERLY_JOB_STATE_DELAYED,
  ORDERLY_JOB_STATE_PAUSED,
} OrderlyJobState;

#define ORDERLY_N_JOB_STATES (ORDERLY_JOB_STATE_PAUSED + 1)

typedef enum
{
  ORDERLY_LOG_LEVEL_LOG,
  ORDERLY_LOG_LEVEL_WARN,
  ORDERLY_LOG_LEVEL_ERROR,
} OrderlyLogLevel;

#define ORDERLY_ERROR (orderly_error_quark ())

/**
 * OrderlyError:
 * @ORDERLY_ERROR_INVALID_ARGUMENT: a request was malformed or out of range
 * @ORDERLY_ERROR_BUSY: a run is in progress
 * @ORDERLY_ERROR_NOTHING_TO_RESUME: there is no interrupted run
 * @ORDERLY_ERROR_STORAGE: the database failed
 * @ORDERLY_ERROR_NO_SPACE: the disk is full
 * @ORDERLY_ERROR_READ_ONLY: the database cannot be written
 * @ORDERLY_ERROR_CORRUPT: the database file is damaged or not a database
 * @ORDERLY_ERROR_FORBIDDEN: the caller may not do this
 * @ORDERLY_ERROR_UNAUTHORIZED: the caller did not prove who it is
 * @ORDERLY_ERROR_NOT_FOUND: no such thing
 * @ORDERLY_ERROR_TOO_LARGE: a request is larger than allowed
 * @ORDERLY_ERROR_LEASE_EXPIRED: a claim's lease ran out before its results
 *   were written; another worker may have the orders now
 * @ORDERLY_ERROR_UNAVAILABLE: the database server cannot be reached, or the
 *   connection to it was lost
 */
typedef enum
{
  ORDERLY_ERROR_INVALID_ARGUMENT,
  ORDERLY_ERROR_BUSY,
  ORDERLY_ERROR_NOTHING_TO_RESUME,
  ORDERLY_ERROR_STORAGE,
  ORDERLY_ERROR_NO_SPACE,
  ORDERLY_ERROR_READ_ONLY,
  ORDERLY_ERROR_CORRUPT,
  ORDERLY_ERROR_FORBIDDEN,
  ORDERLY_ERROR_UNAUTHORIZED,
  ORDERLY_ERROR_NOT_FOUND,
  ORDERLY_ERROR_TOO_LARGE,
  ORDERLY_ERROR_LEASE_EXPIRED,
  ORDERLY_ERROR_UNAVAILABLE,
} OrderlyError;

/* Bounds a run request must respect. */
#define ORDERLY_MIN_QUANTITY 1
#define ORDERLY_MAX_QUANTITY 50000000
#define ORDERLY_DEFAULT_VIP_SHARE 0.05

GQuark       orderly_error_quark          (void);

const char  *orderly_phase_to_string      (OrderlyPhase     phase);
gboolean     orderly_phase_from_string    (const char      *string,
                                           OrderlyPhase    *phase);
gboolean     orderly_phase_is_active      (OrderlyPhase     phase);
gboolean     orderly_phase_is_terminal    (OrderlyPhase     phase);

const char  *orderly_priority_to_string   (OrderlyPriority  priority);

const char  *orderly_job_state_to_string  (OrderlyJobState  state);
gboolean     orderly_job_state_from_string (const char     *string,
                                            OrderlyJobState *state);

const char  *orderly_log_level_to_string  (OrderlyLogLevel  level);
gboolean     orderly_log_level_from_string (const char     *string,
                                            OrderlyLogLevel *level);

G_END_DECLS
