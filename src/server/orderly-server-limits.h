/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What one client may cost the server. Over a limit, a client gets a clear
 * error and the server goes on serving everyone else. */

/* A REST request body. */
#define ORDERLY_SERVER_MAX_BODY        (64 * 1024)
/* A /ws message; up to 1 MB the client is told why first. */
#define ORDERLY_SERVER_MAX_MESSAGE     (64 * 1024)
/* Live connections, every transport together. */
#define ORDERLY_SERVER_MAX_CONNECTIONS 10000
