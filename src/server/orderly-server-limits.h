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
/* Live connections, every transport together. */
#define ORDERLY_SERVER_MAX_CONNECTIONS 10000
