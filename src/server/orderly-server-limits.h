/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What one client may cost the server. Over a limit, a client gets a clear
 * error and the server goes on serving everyone else. */

/* A REST request body. */
#define ORDERLY_SERVER_MAX_BODY        (64 * 1024)
/* A /ws message; up to 1 MB the client is told why first. */
#define ORDERLY_SERVER_MAX_MESSAGE     (64 * 1024)
/* What a live client may leave unread (events, command replies, pongs,
 * everything queued for it) before it counts as not reading and is dropped. */
#define ORDERLY_SERVER_MAX_OUTGOING    (1024 * 1024)
/* Messages a live client may send: this many a second, in bursts of up to
 * ORDERLY_SERVER_COMMAND_BURST. */
#define ORDERLY_SERVER_COMMAND_RATE    50
#define ORDERLY_SERVER_COMMAND_BURST   100
/* Socket.IO sessions that have not shown a valid token yet: at most this
 * many at once (a new one closes the oldest), each for this long. They do
 * not count among the live connections. */
#define ORDERLY_SERVER_MAX_PENDING_SESSIONS 1024
#define ORDERLY_SERVER_PENDING_TIMEOUT_MS   10000
/* Live connections, every transport together. */
#define ORDERLY_SERVER_MAX_CONNECTIONS 10000
