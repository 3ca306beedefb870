/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "orderly-server.h"

G_BEGIN_DECLS

#define TEST_OPERATOR_TOKEN "operator-token-for-tests-0123456789"
#define TEST_VIEWER_TOKEN   "viewer-token-for-tests-9876543210"

typedef enum
{
  FIXTURE_DEFAULT = 0,
  FIXTURE_NO_AUTH = 1 << 0,
  FIXTURE_TLS     = 1 << 1,
  /* Tokens in the data dir's tokens.ini, which can be replaced. */
  FIXTURE_TOKENS_FILE = 1 << 2,
} FixtureFlags;

/* A server on 127.0.0.1 and ::1, port 0, with its own data dir, and a
 * SoupSession to talk to it. */
typedef struct
{
  char          *data_dir;
  OrderlyStore  *store;
  OrderlyEngine *engine;
  OrderlyRemote *remote;
  OrderlyServer *server;
  SoupSession   *session;
  guint          port;
  gboolean       tls;
} ServerFixture;

typedef struct
{
  SoupWebsocketConnection *connection;
  GQueue                   events;       /* JsonNode of each frame */
  gboolean                 closed;
  gushort                  close_code;
  gboolean                 ignore_events; /* count frames, do not keep them */
  guint                    n_frames;
  GError                  *error;
} TestWs;

/* A Socket.IO client on the Engine.IO WebSocket transport. */
typedef struct
{
  SoupWebsocketConnection *connection;
  GQueue                   packets;      /* char * of each Engine.IO packet */
  gboolean                 closed;
} TestSio;

typedef gboolean (*TestCondition) (gconstpointer user_data);

void        server_fixture_setup       (ServerFixture  *fixture,
                                        gconstpointer   data);
void        server_fixture_teardown    (ServerFixture  *fixture,
                                        gconstpointer   data);
char       *server_fixture_url         (ServerFixture  *fixture,
                                        const char     *path);
SoupMessage *server_fixture_message    (ServerFixture  *fixture,
                                        const char     *method,
                                        const char     *path,
                                        const char     *token,
                                        const char     *body);
GBytes     *server_fixture_send        (ServerFixture  *fixture,
                                        SoupMessage    *msg);
guint       server_fixture_send_status (ServerFixture  *fixture,
                                        SoupMessage    *msg);
const char *test_response_header       (SoupMessage    *msg,
                                        const char     *name);
JsonNode   *server_fixture_request     (ServerFixture  *fixture,
                                        const char     *method,
                                        const char     *path,
                                        const char     *token,
                                        const char     *body,
                                        guint          *status);
void        server_fixture_wait_phase  (ServerFixture  *fixture,
                                        gboolean      (*done) (OrderlyPhase phase),
                                        guint           timeout_ms);
gboolean    server_fixture_wait_clients (ServerFixture *fixture,
                                        guint           n,
                                        guint           timeout_ms);
gboolean    server_fixture_rebind      (ServerFixture  *fixture,
                                        const char     *bind_address);

TestWs     *test_ws_connect            (ServerFixture  *fixture,
                                        const char     *path_and_query,
                                        const char     *token,
                                        const char     *origin);
TestWs     *test_ws_connect_to         (SoupSession    *session,
                                        const char     *url,
                                        const char     *token,
                                        const char     *origin,
                                        guint           timeout_ms);
void        test_ws_free               (TestWs         *ws);
JsonNode   *test_ws_next               (TestWs         *ws,
                                        guint           timeout_ms);
JsonNode   *test_ws_wait_event         (TestWs         *ws,
                                        const char     *event,
                                        guint           timeout_ms);
void        test_ws_send               (TestWs         *ws,
                                        const char     *text);
gboolean    test_ws_wait_closed        (TestWs         *ws,
                                        guint           timeout_ms);

TestSio    *test_sio_connect           (ServerFixture  *fixture,
                                        const char     *token);
char       *test_sio_next              (TestSio        *sio,
                                        guint           timeout_ms);
gboolean    test_sio_wait_closed       (TestSio        *sio,
                                        guint           timeout_ms);
void        test_sio_free              (TestSio        *sio);

GSocket    *test_raw_connect           (guint           port);
gsize       test_raw_send              (GSocket        *socket,
                                        const char     *data,
                                        gsize           size);
gboolean    test_raw_read              (GSocket        *socket,
                                        GString        *received,
                                        gboolean        until_closed,
                                        guint           timeout_ms);
char       *test_raw_http              (guint           port,
                                        const char     *request,
                                        gboolean        until_closed,
                                        gboolean       *closed);
GSocket    *test_raw_ws_connect        (guint           port,
                                        const char     *token,
                                        int             receive_buffer);
const char *test_event_name            (JsonNode       *event);
JsonObject *test_event_data_object     (JsonNode       *event);
gboolean    test_wait_for              (TestCondition   condition,
                                        gconstpointer   user_data,
                                        guint           timeout_ms);
gboolean    test_run_until             (gboolean       *flag,
                                        guint           timeout_ms);
gsize       test_count_fds             (void);
gsize       test_rss_kib               (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestWs, test_ws_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestSio, test_sio_free)

G_END_DECLS
