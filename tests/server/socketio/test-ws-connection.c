/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The server side of a WebSocket (RFC 6455): the frame codec on its own,
 * then the connection driven through a real socket pair by a client written
 * here, which masks its frames by hand and checks every byte the server
 * writes back. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <glib-unix.h>

#include "orderly-ws-connection.h"
#include "orderly-ws-frame.h"

#define FIN 0x80
#define RSV1 0x40
#define RSV2 0x20
#define RSV3 0x10

/* How long any one wait may take before the test fails instead of hanging. */
#define TIMEOUT (3 * G_TIME_SPAN_SECOND)

/* A masked client frame, as a browser sends it. @first is the first byte:
 * FIN, the reserved bits and the opcode. */
static void
append_client_frame (GByteArray *out,
                     guint8      first,
                     gboolean    masked,
                     const void *payload,
                     gsize       length)
{
  guint8 header[14];
  guint8 mask[4];
  gsize n = 0;
  guint start;

  header[n++] = first;
  if (length < 126)
    header[n++] = (masked ? 0x80 : 0) | (guint8) length;
  else if (length <= G_MAXUINT16)
    {
      header[n++] = (masked ? 0x80 : 0) | 126;
      header[n++] = (length >> 8) & 0xFF;
      header[n++] = length & 0xFF;
    }
  else
    {
      header[n++] = (masked ? 0x80 : 0) | 127;
      for (guint i = 0; i < 8; i++)
        header[n++] = ((guint64) length >> (56 - 8 * i)) & 0xFF;
    }
  if (masked)
    {
      /* Never a mask of zeros: it would hide a server that forgets to
       * unmask. */
      for (guint i = 0; i < 4; i++)
        mask[i] = (guint8) g_test_rand_int_range (1, 256);
      memcpy (header + n, mask, 4);
      n += 4;
    }
  g_byte_array_append (out, header, n);

  start = out->len;
  if (length > 0)
    g_byte_array_append (out, payload, length);
  if (masked)
    for (gsize i = 0; i < length; i++)
      out->data[start + i] ^= mask[i & 3];
}

static GByteArray *
close_payload (gushort     code,
               const char *reason)
{
  GByteArray *payload = g_byte_array_new ();
  guint8 be[2] = { code >> 8, code & 0xFF };

  g_byte_array_append (payload, be, 2);
  if (reason != NULL)
    g_byte_array_append (payload, (const guint8 *) reason, strlen (reason));
  return payload;
}

/* A payload whose every byte depends on its index @i, so that a frame
 * delivered out of order, cut short or spliced with another is noticed;
 * text is ASCII, so valid UTF-8. */
static GBytes *
make_payload (guint    i,
              gsize    size,
              gboolean text)
{
  guint8 *data = g_malloc (size + 1);

  for (gsize j = 0; j < size; j++)
    data[j] = text ? 'a' + (i + j) % 26 : (guint8) (i * 7 + j * 13 + (j >> 8));
  data[size] = '\0';
  return g_bytes_new_take (data, size);
}

static void
assert_bytes_equal (GBytes     *actual,
                    GBytes     *expected,
                    const char *what)
{
  gsize actual_len, expected_len;
  const guint8 *a = g_bytes_get_data (actual, &actual_len);
  const guint8 *b = g_bytes_get_data (expected, &expected_len);

  if (actual_len != expected_len)
    g_error ("%s: %" G_GSIZE_FORMAT " bytes, expected %" G_GSIZE_FORMAT, what, actual_len, expected_len);
  for (gsize j = 0; j < actual_len; j++)
    if (a[j] != b[j])
      g_error ("%s: byte %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " is %02x, expected %02x",
               what, j, actual_len, a[j], b[j]);
}

/* ------------------------------------------------------------------------ */
/* The frame codec */

/* The examples of RFC 6455 §5.7: the masked ones are what a server reads,
 * the unmasked ones, valid from a server, are errors from a client. */
static void
test_frame_parse_rfc_examples (void)
{
  guint8 hello[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
  guint8 pong[] = { 0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
  guint8 unmasked_hello[] = { 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };
  guint8 unmasked_ping[] = { 0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };
  guint8 first_fragment[] = { 0x01, 0x03, 0x48, 0x65, 0x6c };
  OrderlyWsFrame frame = { 0 };

  g_assert_cmpint (orderly_ws_frame_parse (hello, sizeof hello, 125, &frame), ==, ORDERLY_WS_PARSE_FRAME);
  g_assert_true (frame.fin);
  g_assert_cmpint (frame.opcode, ==, ORDERLY_WS_OPCODE_TEXT);
  g_assert_cmpuint (frame.length, ==, 5);
  g_assert_cmpuint (frame.size, ==, sizeof hello);
  g_assert_true (frame.payload == hello + 6);
  g_assert_cmpmem (frame.payload, frame.length, "Hello", 5);

  g_assert_cmpint (orderly_ws_frame_parse (pong, sizeof pong, 125, &frame), ==, ORDERLY_WS_PARSE_FRAME);
  g_assert_true (frame.fin);
  g_assert_cmpint (frame.opcode, ==, ORDERLY_WS_OPCODE_PONG);
  g_assert_cmpmem (frame.payload, frame.length, "Hello", 5);

  g_assert_cmpint (orderly_ws_frame_parse (unmasked_hello, sizeof unmasked_hello, 125, &frame), ==, ORDERLY_WS_PARSE_ERROR);
  g_assert_cmpint (orderly_ws_frame_parse (unmasked_ping, sizeof unmasked_ping, 125, &frame), ==, ORDERLY_WS_PARSE_ERROR);
  g_assert_cmpint (orderly_ws_frame_parse (first_fragment, sizeof first_fragment, 125, &frame), ==, ORDERLY_WS_PARSE_ERROR);
}

/* Frames back to back: each parse takes exactly one, a non-final one
 * says so, and an empty masked frame is a frame. */
static void
test_frame_parse_sequence (void)
{
  g_autoptr(GByteArray) buffer = g_byte_array_new ();
  OrderlyWsFrame frame = { 0 };
  gsize offset = 0;

  append_client_frame (buffer, ORDERLY_WS_OPCODE_TEXT, TRUE, "Hel", 3);
  append_client_frame (buffer, FIN | ORDERLY_WS_OPCODE_PING, TRUE, NULL, 0);
  append_client_frame (buffer, FIN | ORDERLY_WS_OPCODE_CONTINUATION, TRUE, "lo", 2);
  append_client_frame (buffer, FIN | ORDERLY_WS_OPCODE_BINARY, TRUE, "\0\1\2", 3);

  g_assert_cmpint (orderly_ws_frame_parse (buffer->data, buffer->len, 125, &frame), ==, ORDERLY_WS_PARSE_FRAME);
  g_assert_false (frame.fin);
  g_assert_cmpint (frame.opcode, ==, ORDERLY_WS_OPCODE_TEXT);
  g_assert_cmpmem (frame.payload, frame.length, "Hel", 3);
  g_assert_cmpuint (frame.size, ==, 2 + 4 + 3);
  offset += frame.size;

  g_assert_cmpint (orderly_ws_frame_parse (buffer->data + offset, buffer->len - offset, 125, &frame), ==, ORDERLY_WS_PARSE_FRAME);
  g_assert_true (frame.fin);
  g_assert_cmpint (frame.opcode, ==, ORDERLY_WS_OPCODE_PING);
  g_assert_cmpuint (frame.length, ==, 0);
  g_assert_cmpuint (frame.size, ==, 6);
  offset += frame.size;

  g_assert_cmpint (orderly_ws_frame_parse (buffer->data + offset, buffer->len - offset, 125, &frame), ==, ORDERLY_WS_PARSE_FRAME);
  g_assert_true (frame.fin);
  g_assert_cmpint (frame.opcode, ==, ORDERLY_WS_OPCODE_CONTINUATION);
  g_assert_cmpmem (frame.payload, frame.length, "lo", 2);
  offset += frame.size;

  g_assert_cmpint (orderly_ws_frame_parse (buffer->data + offset, buffer->len - offset, 125, &frame), ==, ORDERLY_WS_PARSE_FRAME);
  g_assert_cmpint (frame.opcode, ==, ORDERLY_WS_OPCODE_BINARY);
  g_assert_cmpmem (frame.payload, frame.length, "\0\1\2", 3);
  offset += frame.size;

  g_assert_cmpuint (offset, ==, buffer->len);
  g_assert_cmpint (orderly_ws_frame_parse (buffer->data + offset, 0, 125, &frame), ==, ORDERLY_WS_PARSE_NEED_MORE);
}

/* Every prefix of a frame is "need more", without touching the buffer
 * (the whole frame, parsed last, must still unmask right); the frame and
 * anything after it parse as the frame alone. */
static void
check_truncations (gsize length,
                   gsize header_size)
{
  g_autoptr(GBytes) payload = make_payload (length, length, FALSE);
  g_autoptr(GByteArray) buffer = g_byte_array_new ();
  g_autoptr(GBytes) unmasked = NULL;
  OrderlyWsFrame frame = { 0 };
  gsize total;

  append_client_frame (buffer, FIN | ORDERLY_WS_OPCODE_BINARY, TRUE, g_bytes_get_data (payload, NULL), length);
  total = buffer->len;
  g_assert_cmpuint (total, ==, header_size + 4 + length);

  for (gsize cut = 0; cut < total; cut++)
    if (orderly_ws_frame_parse (buffer->data, cut, G_MAXUINT64, &frame) != ORDERLY_WS_PARSE_NEED_MORE)
      g_error ("%" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes of a frame is not \"need more\"", cut, total);

  /* A byte of the next frame after it changes nothing. */
  g_byte_array_append (buffer, (const guint8 *) "\x81", 1);
  g_assert_cmpint (orderly_ws_frame_parse (buffer->data, buffer->len, length, &frame), ==, ORDERLY_WS_PARSE_FRAME);
  g_assert_true (frame.fin);
  g_assert_cmpint (frame.opcode, ==, ORDERLY_WS_OPCODE_BINARY);
  g_assert_cmpuint (frame.size, ==, total);
  g_assert_cmpuint (frame.length, ==, length);
  g_assert_true (frame.payload == buffer->data + header_size + 4);
  unmasked = g_bytes_new (frame.payload, frame.length);
  assert_bytes_equal (unmasked, payload, "unmasked payload");
}

static void
test_frame_parse_truncated (void)
{
  check_truncations (0, 2);
  check_truncations (125, 2);
  check_truncations (126, 4);
  check_truncations (G_MAXUINT16, 4);
  check_truncations (G_MAXUINT16 + 1, 10);
  check_truncations (70000, 10);
}

/* A payload over the limit is refused from its header, before the server
 * waits for (or buffers) any of it; one at the limit is fine. */
static void
test_frame_parse_too_big (void)
{
  guint8 huge[10] = { 0x82, 0xFF, 0, 0, 0x01, 0, 0, 0, 0, 0 };  /* 2^40 bytes, no mask yet */
  guint8 biggest[10] = { 0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
  g_autoptr(GByteArray) buffer = g_byte_array_new ();
  g_autoptr(GBytes) payload = make_payload (0, 1000, FALSE);
  OrderlyWsFrame frame = { 0 };

  for (gsize cut = 0; cut < sizeof huge; cut++)
    g_assert_cmpint (orderly_ws_frame_parse (huge, cut, 4096, &frame), ==, ORDERLY_WS_PARSE_NEED_MORE);
  g_assert_cmpint (orderly_ws_frame_parse (huge, sizeof huge, 4096, &frame), ==, ORDERLY_WS_PARSE_TOO_BIG);
  g_assert_cmpint (orderly_ws_frame_parse (huge, sizeof huge, G_MAXUINT64, &frame), ==, ORDERLY_WS_PARSE_NEED_MORE);
  g_assert_cmpint (orderly_ws_frame_parse (biggest, sizeof biggest, G_MAXINT64 - 1, &frame), ==, ORDERLY_WS_PARSE_TOO_BIG);
  g_assert_cmpint (orderly_ws_frame_parse (biggest, sizeof biggest, G_MAXUINT64, &frame), ==, ORDERLY_WS_PARSE_NEED_MORE);

  /* 7-bit, 16-bit and 64-bit lengths, one over and at the limit */
  for (guint i = 0; i < 3; i++)
    {
      static const gsize sizes[] = { 100, 1000, 70000 };
      g_autoptr(GBytes) big = make_payload (i, sizes[i], FALSE);

      g_byte_array_set_size (buffer, 0);
      append_client_frame (buffer, FIN | ORDERLY_WS_OPCODE_BINARY, TRUE, g_bytes_get_data (big, NULL), sizes[i]);
      g_assert_cmpint (orderly_ws_frame_parse (buffer->data, buffer->len, sizes[i] - 1, &frame), ==, ORDERLY_WS_PARSE_TOO_BIG);
      g_assert_cmpint (orderly_ws_frame_parse (buffer->data, buffer->len, sizes[i], &frame), ==, ORDERLY_WS_PARSE_FRAME);
      g_assert_cmpuint (frame.length, ==, sizes[i]);
    }

  /* too big even when only the header has come */
  g_byte_array_set_size (buffer, 0);
  append_client_frame (buffer, FIN | ORDERLY_WS_OPCODE_BINARY, TRUE, g_bytes_get_data (payload, NULL), 1000);
  g_assert_cmpint (orderly_ws_frame_parse (buffer->data, 4, 999, &frame), ==, ORDERLY_WS_PARSE_TOO_BIG);
}

static void
test_frame_parse_errors (void)
{
  static const struct { guint8 first; gboolean masked; gsize length; const char *why; } cases[] = {
    { FIN | RSV1 | ORDERLY_WS_OPCODE_TEXT, TRUE, 1, "RSV1 without an extension" },
    { FIN | RSV2 | ORDERLY_WS_OPCODE_TEXT, TRUE, 1, "RSV2" },
    { FIN | RSV3 | ORDERLY_WS_OPCODE_BINARY, TRUE, 1, "RSV3" },
    { FIN | RSV1 | ORDERLY_WS_OPCODE_PING, TRUE, 1, "RSV1 on a ping" },
    { FIN | 0x3, TRUE, 1, "reserved data opcode 3" },
    { FIN | 0x7, TRUE, 1, "reserved data opcode 7" },
    { FIN | 0xB, TRUE, 1, "reserved control opcode B" },
    { FIN | 0xF, TRUE, 1, "reserved control opcode F" },
    { FIN | ORDERLY_WS_OPCODE_TEXT, FALSE, 1, "unmasked text" },
    { FIN | ORDERLY_WS_OPCODE_CLOSE, FALSE, 2, "unmasked close" },
    { ORDERLY_WS_OPCODE_PING, TRUE, 1, "fragmented ping" },
    { ORDERLY_WS_OPCODE_CLOSE, TRUE, 2, "fragmented close" },
    { ORDERLY_WS_OPCODE_PONG, TRUE, 0, "fragmented pong" },
    { FIN | ORDERLY_WS_OPCODE_PING, TRUE, 126, "126-byte ping" },
    { FIN | ORDERLY_WS_OPCODE_CLOSE, TRUE, 70000, "64-bit length close" },
  };
  g_autoptr(GBytes) payload = make_payload (0, 70000, FALSE);
  OrderlyWsFrame frame = { 0 };
  /* a 64-bit length with its most significant bit set */
  guint8 msb[14] = { 0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4 };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GByteArray) buffer = g_byte_array_new ();

      g_test_message ("%s", cases[i].why);
      append_client_frame (buffer, cases[i].first, cases[i].masked, g_bytes_get_data (payload, NULL), cases[i].length);
      g_assert_cmpint (orderly_ws_frame_parse (buffer->data, buffer->len, G_MAXUINT64, &frame), ==, ORDERLY_WS_PARSE_ERROR);
      /* known from the first two bytes, before the rest has come */
      g_assert_cmpint (orderly_ws_frame_parse (buffer->data, 2, G_MAXUINT64, &frame), ==, ORDERLY_WS_PARSE_ERROR);
      /* an error, not "too big", whatever the limit */
      g_assert_cmpint (orderly_ws_frame_parse (buffer->data, buffer->len, 0, &frame), ==, ORDERLY_WS_PARSE_ERROR);
    }

  g_assert_cmpint (orderly_ws_frame_parse (msb, sizeof msb, G_MAXUINT64, &frame), ==, ORDERLY_WS_PARSE_ERROR);

  /* The largest control frames that are allowed. */
  {
    g_autoptr(GByteArray) buffer = g_byte_array_new ();

    append_client_frame (buffer, FIN | ORDERLY_WS_OPCODE_PING, TRUE, g_bytes_get_data (payload, NULL), 125);
    g_assert_cmpint (orderly_ws_frame_parse (buffer->data, buffer->len, G_MAXUINT64, &frame), ==, ORDERLY_WS_PARSE_FRAME);
    g_assert_cmpuint (frame.length, ==, 125);
  }
}

/* Server frames: final, unmasked, with the shortest header that holds
 * the length (RFC 6455 §5.2: 2, 4 or 10 bytes). */
static void
test_frame_append (void)
{
  static const struct { gsize length; OrderlyWsOpcode opcode; guint8 header[10]; gsize header_size; } cases[] = {
    { 0, ORDERLY_WS_OPCODE_TEXT, { 0x81, 0x00 }, 2 },
    { 5, ORDERLY_WS_OPCODE_PONG, { 0x8A, 0x05 }, 2 },
    { 2, ORDERLY_WS_OPCODE_CLOSE, { 0x88, 0x02 }, 2 },
    { 125, ORDERLY_WS_OPCODE_BINARY, { 0x82, 0x7D }, 2 },
    { 126, ORDERLY_WS_OPCODE_BINARY, { 0x82, 0x7E, 0x00, 0x7E }, 4 },
    { 1000, ORDERLY_WS_OPCODE_TEXT, { 0x81, 0x7E, 0x03, 0xE8 }, 4 },
    { 65535, ORDERLY_WS_OPCODE_BINARY, { 0x82, 0x7E, 0xFF, 0xFF }, 4 },
    { 65536, ORDERLY_WS_OPCODE_BINARY, { 0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00 }, 10 },
    { 70000, ORDERLY_WS_OPCODE_TEXT, { 0x81, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70 }, 10 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GByteArray) out = g_byte_array_new ();
      g_autoptr(GBytes) payload = make_payload (i, cases[i].length, TRUE);
      g_autoptr(GBytes) written = NULL;
      g_autoptr(GByteArray) masked = g_byte_array_new ();
      OrderlyWsFrame frame = { 0 };

      /* appended after what is already there */
      g_byte_array_append (out, (const guint8 *) "xyz", 3);
      orderly_ws_frame_append (out, cases[i].opcode, g_bytes_get_data (payload, NULL), cases[i].length);
      g_assert_cmpuint (out->len, ==, 3 + cases[i].header_size + cases[i].length);
      g_assert_cmpmem (out->data, 3, "xyz", 3);
      g_assert_cmpmem (out->data + 3, cases[i].header_size, cases[i].header, cases[i].header_size);
      written = g_bytes_new (out->data + 3 + cases[i].header_size, cases[i].length);
      assert_bytes_equal (written, payload, "appended payload");

      /* The same frame from a client parses back to it. */
      append_client_frame (masked, FIN | cases[i].opcode, TRUE, g_bytes_get_data (payload, NULL), cases[i].length);
      g_assert_cmpuint (masked->len, ==, cases[i].header_size + 4 + cases[i].length);
      g_assert_cmpint (orderly_ws_frame_parse (masked->data, masked->len, G_MAXUINT64, &frame), ==, ORDERLY_WS_PARSE_FRAME);
      g_assert_cmpint (frame.opcode, ==, cases[i].opcode);
      g_assert_cmpmem (frame.payload, frame.length, g_bytes_get_data (payload, NULL), cases[i].length);
    }
}

static void
test_frame_utf8 (void)
{
  static const struct { const char *data; gsize length; gboolean valid; const char *why; } cases[] = {
    { "", 0, TRUE, "empty" },
    { "hello", 5, TRUE, "ASCII" },
    { "\0", 1, TRUE, "a NUL alone" },
    { "a\0b\0\0", 5, TRUE, "NULs between and after" },
    { "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80", 15, TRUE, "two-, three- and four-byte sequences" },
    { "\xEF\xBF\xBF", 3, TRUE, "U+FFFF" },
    { "\xF4\x8F\xBF\xBF", 4, TRUE, "U+10FFFF" },
    { "\xED\x9F\xBF", 3, TRUE, "U+D7FF, just below the surrogates" },
    { "\xC0\x80", 2, FALSE, "overlong NUL" },
    { "\xC1\xBF", 2, FALSE, "overlong two bytes" },
    { "\xE0\x80\xAF", 3, FALSE, "overlong three bytes" },
    { "\xF0\x80\x80\xAF", 4, FALSE, "overlong four bytes" },
    { "\xED\xA0\x80", 3, FALSE, "high surrogate" },
    { "\xED\xBF\xBF", 3, FALSE, "low surrogate" },
    { "\xED\xA0\xBD\xED\xB8\x80", 6, FALSE, "surrogate pair in CESU-8" },
    { "\xF4\x90\x80\x80", 4, FALSE, "over U+10FFFF" },
    { "\xF5\x80\x80\x80", 4, FALSE, "F5 lead byte" },
    { "\xFF", 1, FALSE, "FF" },
    { "\x80", 1, FALSE, "lone continuation byte" },
    { "\xE2\x82", 2, FALSE, "truncated at the end" },
    { "\xE2\x82\0\xAC", 4, FALSE, "a sequence cut by a NUL" },
    { "ok\0\xFF", 4, FALSE, "invalid after a NUL" },
    { "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80\x65\x64\x69\x74\x65\x64", 20, FALSE, "Autobahn 6.4: surrogate inside" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    if (orderly_ws_utf8_validate ((const guint8 *) cases[i].data, cases[i].length) != cases[i].valid)
      g_error ("%s: should be %s", cases[i].why, cases[i].valid ? "valid" : "invalid");
}

/* RFC 6455 §7.4: what a peer may put in a close frame. 1005 and 1006
 * stand for "no code" and "no close frame" and are never sent. */
static void
test_frame_close_codes (void)
{
  static const guint valid[] = { 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999 };
  static const guint invalid[] = { 0, 1, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015, 1016, 1100, 2000, 2999, 5000, 65535, 70000 };

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    if (!orderly_ws_close_code_valid (valid[i]))
      g_error ("%u should be a valid close code", valid[i]);
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    if (orderly_ws_close_code_valid (invalid[i]))
      g_error ("%u should not be a valid close code", invalid[i]);
}

/* ------------------------------------------------------------------------ */
/* The connection */

typedef struct
{
  gint    type;
  GBytes *data;
} Message;

static void
message_free (Message *message)
{
  g_bytes_unref (message->data);
  g_free (message);
}

typedef struct
{
  OrderlyWsConnection *ws;
  GSocketConnection   *server_connection;
  /* the client's end; raw tests read and write its fd directly */
  GSocketConnection   *client_connection;
  int                  fd;
  /* what the server wrote and the client has read, from in_pos on */
  GByteArray          *in;
  gsize                in_pos;
  gboolean             eof;
  /* a message the server is sending in fragments */
  GByteArray          *partial;
  guint8               partial_opcode;
  /* what the server received */
  GPtrArray           *messages;
  guint                closed;
  guint                drained;
} Fixture;

/* A server frame: @payload is NULL until it is read. */
typedef struct
{
  gboolean  fin;
  guint8    opcode;
  GBytes   *payload;
} ServerFrame;

static void
message_cb (OrderlyWsConnection *ws,
            gint                 type,
            GBytes              *data,
            gpointer             user_data)
{
  Fixture *f = user_data;
  Message *message = g_new0 (Message, 1);

  g_assert_true (type == SOUP_WEBSOCKET_DATA_TEXT || type == SOUP_WEBSOCKET_DATA_BINARY);
  message->type = type;
  message->data = g_bytes_ref (data);
  g_ptr_array_add (f->messages, message);
}

static void
closed_cb (OrderlyWsConnection *ws,
           gpointer             user_data)
{
  Fixture *f = user_data;

  /* once only */
  g_assert_cmpuint (f->closed, ==, 0);
  f->closed++;
}

static void
drained_cb (OrderlyWsConnection *ws,
            gpointer             user_data)
{
  ((Fixture *) user_data)->drained++;
}

static void
fixture_start (Fixture           *f,
               GSocketConnection *server_connection,
               GSocketConnection *client_connection)
{
  f->server_connection = server_connection;
  f->client_connection = client_connection;
  f->fd = g_socket_get_fd (g_socket_connection_get_socket (client_connection));
  g_assert_true (g_unix_set_fd_nonblocking (f->fd, TRUE, NULL));
  f->in = g_byte_array_new ();
  f->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) message_free);

  f->ws = orderly_ws_connection_new (G_IO_STREAM (server_connection));
  g_assert_cmpint (orderly_ws_connection_get_state (f->ws), ==, ORDERLY_WS_STATE_OPEN);
  g_signal_connect (f->ws, "message", G_CALLBACK (message_cb), f);
  g_signal_connect (f->ws, "closed", G_CALLBACK (closed_cb), f);
  g_signal_connect (f->ws, "drained", G_CALLBACK (drained_cb), f);
}

static GSocketConnection *
connection_from_fd (int fd)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new_from_fd (fd, &error);

  g_assert_no_error (error);
  return g_socket_connection_factory_create_connection (socket);
}

/* A connected pair of Unix sockets: the server's end goes to the
 * connection as it would after the HTTP upgrade. */
static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  int fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  fixture_start (f, connection_from_fd (fds[0]), connection_from_fd (fds[1]));
}

/* The same over TCP on 127.0.0.1, with small buffers on both sides so
 * that the kernel refuses data early and writes come back partial. */
static void
fixture_setup_tcp (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) client = NULL;
  GSocketConnection *server;

  g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, (GSocketAddress **) &bound, &error);
  g_assert_no_error (error);
  client = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_set_option (client, SOL_SOCKET, SO_RCVBUF, 16 * 1024, NULL);
  g_socket_connect (client, bound, NULL, &error);
  g_assert_no_error (error);
  server = g_socket_listener_accept (listener, NULL, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_option (g_socket_connection_get_socket (server), SOL_SOCKET, SO_SNDBUF, 16 * 1024, NULL);
  fixture_start (f, server, g_socket_connection_factory_create_connection (client));
}

static void spin (gint64 deadline);

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT;

  /* Whatever the test left open, the peer going away closes it. */
  g_io_stream_close (G_IO_STREAM (f->client_connection), NULL, NULL);
  while (f->closed == 0)
    spin (deadline);
  g_assert_cmpuint (f->closed, ==, 1);

  /* (self-owned lets go of it itself) */
  if (f->ws != NULL)
    {
      g_assert_cmpint (orderly_ws_connection_get_state (f->ws), ==, ORDERLY_WS_STATE_CLOSED);
      g_signal_handlers_disconnect_by_data (f->ws, f);
      g_clear_object (&f->ws);
    }
  g_clear_object (&f->server_connection);
  g_clear_object (&f->client_connection);
  g_clear_pointer (&f->in, g_byte_array_unref);
  g_clear_pointer (&f->partial, g_byte_array_unref);
  g_clear_pointer (&f->messages, g_ptr_array_unref);
}

/* Takes up to @max bytes the server has written, without waiting.
 * Returns how many. */
static gsize
read_some (Fixture *f,
           gsize    max)
{
  guint8 chunk[64 * 1024];
  gsize got = 0;

  while (!f->eof && got < max)
    {
      gssize n = recv (f->fd, chunk, MIN (sizeof chunk, max - got), 0);

      if (n > 0)
        {
          /* Keep the buffer from growing with what has been parsed. */
          if (f->in_pos > 0 && f->in_pos >= f->in->len / 2)
            {
              g_byte_array_remove_range (f->in, 0, f->in_pos);
              f->in_pos = 0;
            }
          g_byte_array_append (f->in, chunk, n);
          got += n;
        }
      else if (n == 0)
        f->eof = TRUE;
      else if (errno == EINTR)
        continue;
      else if (errno == EAGAIN || errno == EWOULDBLOCK)
        break;
      else if (errno == ECONNRESET)
        /* A Unix socket closed with unread data in it: the data that
         * came before is still read first, so this is the end. */
        f->eof = TRUE;
      else
        g_error ("recv: %s", g_strerror (errno));
    }
  return got;
}

static gboolean
keep_source_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs one main-loop iteration, blocking until a source of the server (or
 * of a client in this process) is ready, or the socket's end of the test
 * client is ready for @condition, if not 0. Fails the test past @deadline
 * instead of hanging. */
static void
iterate (Fixture      *f,
         gint64        deadline,
         GIOCondition  condition)
{
  gint64 left = deadline - g_get_monotonic_time ();
  g_autoptr(GSource) timer = NULL;
  g_autoptr(GSource) client = NULL;

  g_assert_cmpint (left, >, 0);
  timer = g_timeout_source_new (left / G_TIME_SPAN_MILLISECOND + 1);
  g_source_set_callback (timer, keep_source_cb, NULL, NULL);
  g_source_attach (timer, NULL);
  if (f != NULL && condition != 0)
    {
      client = g_unix_fd_source_new (f->fd, condition);
      g_source_set_callback (client, keep_source_cb, NULL, NULL);
      g_source_attach (client, NULL);
    }
  g_main_context_iteration (NULL, TRUE);
  g_source_destroy (timer);
  if (client != NULL)
    g_source_destroy (client);
}

/* Takes what the server wrote, or, when it has written nothing new, waits
 * for it or for the server to have something to do. */
static void
pump (Fixture *f,
      gint64   deadline)
{
  gboolean was_eof = f->eof;

  g_assert_cmpint (g_get_monotonic_time (), <, deadline);
  if (read_some (f, G_MAXSIZE) > 0 || f->eof != was_eof)
    return;
  iterate (f, deadline, f->eof ? 0 : G_IO_IN);
}

/* Lets the server run without reading what it writes: waits for one of
 * its sources. */
static void
spin (gint64 deadline)
{
  iterate (NULL, deadline, 0);
}

/* Runs what the main loop has ready now, until nothing is: the server has
 * done all it can without anything new from the client. */
static void
settle (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
client_write (Fixture      *f,
              const guint8 *data,
              gsize         length)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT;

  while (length > 0)
    {
      gssize n = send (f->fd, data, length, MSG_NOSIGNAL);

      if (n > 0)
        {
          data += n;
          length -= n;
        }
      else if (n < 0 && errno == EINTR)
        continue;
      else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
          /* The server reads, so there is room again; meanwhile what it
           * writes is taken, so that it never waits for us. */
          if (read_some (f, G_MAXSIZE) == 0)
            iterate (f, deadline, G_IO_IN | G_IO_OUT);
        }
      else
        g_error ("send: %s", g_strerror (errno));
    }
}

static void
client_send_frame (Fixture    *f,
                   guint8      first,
                   const void *payload,
                   gsize       length)
{
  g_autoptr(GByteArray) frame = g_byte_array_new ();

  append_client_frame (frame, first, TRUE, payload, length);
  client_write (f, frame->data, frame->len);
}

/* Takes the server frame at the head of what has been read, if it is
 * whole, checking it is well formed: no reserved bit or opcode, not
 * masked, the shortest length encoding, control frames final and short. */
static gboolean
take_frame (Fixture     *f,
            ServerFrame *frame)
{
  const guint8 *data = f->in->data + f->in_pos;
  gsize available = f->in->len - f->in_pos;
  guint64 length;
  gsize header = 2;
  guint8 opcode;

  if (available < 2)
    return FALSE;
  opcode = data[0] & 0x0F;
  if ((data[0] & 0x70) != 0 || (opcode > 2 && opcode < 8) || opcode > 10 || (data[1] & 0x80) != 0)
    g_error ("malformed server frame %02x %02x at offset %" G_GSIZE_FORMAT, data[0], data[1], f->in_pos);
  length = data[1] & 0x7F;
  if (opcode >= 8 && ((data[0] & FIN) == 0 || length > 125))
    g_error ("malformed control frame %02x %02x at offset %" G_GSIZE_FORMAT, data[0], data[1], f->in_pos);
  if (length == 126)
    {
      if (available < 4)
        return FALSE;
      length = (data[2] << 8) | data[3];
      g_assert_cmpuint (length, >=, 126);
      header = 4;
    }
  else if (length == 127)
    {
      if (available < 10)
        return FALSE;
      length = 0;
      for (guint i = 0; i < 8; i++)
        length = (length << 8) | data[2 + i];
      g_assert_cmpuint (length, >, G_MAXUINT16);
      g_assert_cmpuint (length, <, 1 << 30);
      header = 10;
    }
  if (available - header < length)
    return FALSE;

  frame->fin = (data[0] & FIN) != 0;
  frame->opcode = opcode;
  frame->payload = g_bytes_new (data + header, length);
  f->in_pos += header + length;
  return TRUE;
}

static void
read_frame (Fixture     *f,
            ServerFrame *frame)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT;

  while (!take_frame (f, frame))
    {
      if (f->eof)
        g_error ("the server closed the stream with %" G_GSIZE_FORMAT " bytes of an unfinished frame",
                 f->in->len - f->in_pos);
      pump (f, deadline);
    }
}

/* The next thing the server sent: a control frame, or a whole message
 * (its fragments joined, with the opcode of the first). */
static guint8
read_next (Fixture  *f,
           GBytes  **payload)
{
  for (;;)
    {
      ServerFrame frame = { 0 };

      read_frame (f, &frame);
      if (frame.opcode >= ORDERLY_WS_OPCODE_CLOSE)
        {
          *payload = frame.payload;
          return frame.opcode;
        }
      if (frame.opcode == ORDERLY_WS_OPCODE_CONTINUATION)
        g_assert_nonnull (f->partial);
      else
        {
          g_assert_null (f->partial);
          f->partial = g_byte_array_new ();
          f->partial_opcode = frame.opcode;
        }
      g_byte_array_append (f->partial, g_bytes_get_data (frame.payload, NULL), g_bytes_get_size (frame.payload));
      g_bytes_unref (frame.payload);
      if (frame.fin)
        {
          *payload = g_byte_array_free_to_bytes (g_steal_pointer (&f->partial));
          return f->partial_opcode;
        }
    }
}

static void
expect_message (Fixture    *f,
                guint8      opcode,
                const void *data,
                gsize       length)
{
  g_autoptr(GBytes) payload = NULL;
  g_autoptr(GBytes) expected = g_bytes_new (data, length);

  g_assert_cmpuint (read_next (f, &payload), ==, opcode);
  assert_bytes_equal (payload, expected, "server message");
}

static void
expect_close_frame (Fixture *f,
                    gushort  code)
{
  g_autoptr(GBytes) payload = NULL;
  const guint8 *data;
  gsize length;

  g_assert_cmpuint (read_next (f, &payload), ==, ORDERLY_WS_OPCODE_CLOSE);
  data = g_bytes_get_data (payload, &length);
  g_assert_cmpuint (length, >=, 2);
  g_assert_cmpuint ((data[0] << 8) | data[1], ==, code);
  g_assert_true (orderly_ws_utf8_validate (data + 2, length - 2));
}

/* The server closes the stream, and sends nothing more before. */
static void
expect_eof (Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT;

  while (!f->eof)
    pump (f, deadline);
  g_assert_cmpuint (f->in->len - f->in_pos, ==, 0);
}

static void
wait_closed (Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT;

  while (f->closed == 0)
    pump (f, deadline);
  g_assert_cmpint (orderly_ws_connection_get_state (f->ws), ==, ORDERLY_WS_STATE_CLOSED);
  g_assert_true (g_io_stream_is_closed (G_IO_STREAM (f->server_connection)));
}

static Message *
wait_message (Fixture *f,
              guint    index)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT;

  while (f->messages->len <= index)
    {
      g_assert_cmpuint (f->closed, ==, 0);
      pump (f, deadline);
    }
  return g_ptr_array_index (f->messages, index);
}

static void
assert_message (Message    *message,
                gint        type,
                const void *data,
                gsize       length)
{
  g_autoptr(GBytes) expected = g_bytes_new (data, length);

  g_assert_cmpint (message->type, ==, type);
  assert_bytes_equal (message->data, expected, "message received by the server");
}

static void
pong_cb (OrderlyWsConnection *ws,
         GBytes              *payload,
         gpointer             user_data)
{
  guint *pongs = user_data;

  (*pongs)++;
}

/* The server pings; the client's pong comes back as the "pong" signal. */
static void
test_connection_server_ping (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GBytes) payload = NULL;
  guint pongs = 0;
  gint64 deadline;

  g_signal_connect (f->ws, "pong", G_CALLBACK (pong_cb), &pongs);
  orderly_ws_connection_ping (f->ws);
  g_assert_cmpuint (read_next (f, &payload), ==, ORDERLY_WS_OPCODE_PING);
  g_assert_cmpuint (g_bytes_get_size (payload), ==, 0);

  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_PONG, "", 0);
  deadline = g_get_monotonic_time () + TIMEOUT;
  while (pongs == 0)
    pump (f, deadline);
  g_assert_cmpuint (pongs, ==, 1);
  g_signal_handlers_disconnect_by_data (f->ws, &pongs);
}

/* A close reason travels with the code, cut to fit a control frame at a
 * character boundary. */
static void
test_connection_close_reason (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GString) reason = g_string_new (NULL);
  g_autoptr(GBytes) payload = NULL;
  const guint8 *bytes;
  gsize length;

  /* 61 two-byte characters: 122 bytes; "€" (3 bytes) would need 125 of
   * the 123 there is room for. */
  for (guint i = 0; i < 61; i++)
    g_string_append (reason, "\xC3\xA9");
  g_string_append (reason, "\xE2\x82\xAC and more");

  orderly_ws_connection_close_with_reason (f->ws, 1013, reason->str);
  g_assert_cmpuint (read_next (f, &payload), ==, ORDERLY_WS_OPCODE_CLOSE);
  bytes = g_bytes_get_data (payload, &length);
  g_assert_cmpuint (length, ==, 2 + 122);
  g_assert_cmpuint ((bytes[0] << 8) | bytes[1], ==, 1013);
  g_assert_true (orderly_ws_utf8_validate (bytes + 2, length - 2));
  g_assert_cmpmem (bytes + 2, 122, reason->str, 122);

  {
    g_autoptr(GByteArray) answer = close_payload (1000, NULL);

    client_send_frame (f, FIN | ORDERLY_WS_OPCODE_CLOSE, answer->data, answer->len);
  }
  expect_eof (f);
  wait_closed (f);
}

static void
test_connection_text (Fixture       *f,
                      gconstpointer  data)
{
  static const char *const texts[] = { "hello", "", "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80" };
  g_autoptr(GBytes) long_text = make_payload (1, 70000, TRUE);
  g_autoptr(GBytes) as_bytes = g_bytes_new_static ("sent as bytes", 13);

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      client_send_frame (f, FIN | ORDERLY_WS_OPCODE_TEXT, texts[i], strlen (texts[i]));
      assert_message (wait_message (f, i), SOUP_WEBSOCKET_DATA_TEXT, texts[i], strlen (texts[i]));
      orderly_ws_connection_send_text (f->ws, texts[i]);
      expect_message (f, ORDERLY_WS_OPCODE_TEXT, texts[i], strlen (texts[i]));
    }

  /* A 64-bit length, and text passed as bytes with binary = FALSE. */
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_TEXT, g_bytes_get_data (long_text, NULL), 70000);
  assert_message (wait_message (f, 3), SOUP_WEBSOCKET_DATA_TEXT, g_bytes_get_data (long_text, NULL), 70000);
  orderly_ws_connection_send (f->ws, FALSE, long_text);
  orderly_ws_connection_send (f->ws, FALSE, as_bytes);
  expect_message (f, ORDERLY_WS_OPCODE_TEXT, g_bytes_get_data (long_text, NULL), 70000);
  expect_message (f, ORDERLY_WS_OPCODE_TEXT, "sent as bytes", 13);

  g_assert_cmpuint (f->messages->len, ==, 4);
  g_assert_cmpint (orderly_ws_connection_get_state (f->ws), ==, ORDERLY_WS_STATE_OPEN);
  g_assert_cmpuint (f->closed, ==, 0);
}

static void
test_connection_binary (Fixture       *f,
                        gconstpointer  data)
{
  /* every length encoding, at its edges */
  static const gsize sizes[] = { 0, 1, 125, 126, 127, G_MAXUINT16, G_MAXUINT16 + 1, 300000 };

  orderly_ws_connection_set_max_incoming_payload_size (f->ws, 1024 * 1024);
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GBytes) payload = make_payload (i, sizes[i], FALSE);

      client_send_frame (f, FIN | ORDERLY_WS_OPCODE_BINARY, g_bytes_get_data (payload, NULL), sizes[i]);
      assert_message (wait_message (f, i), SOUP_WEBSOCKET_DATA_BINARY, g_bytes_get_data (payload, NULL), sizes[i]);
    }

  /* All queued in one go, they arrive in order. */
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GBytes) payload = make_payload (i, sizes[i], FALSE);

      orderly_ws_connection_send (f->ws, TRUE, payload);
    }
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GBytes) payload = make_payload (i, sizes[i], FALSE);

      expect_message (f, ORDERLY_WS_OPCODE_BINARY, g_bytes_get_data (payload, NULL), sizes[i]);
    }
  g_assert_cmpuint (orderly_ws_connection_get_pending (f->ws), ==, 0);
  g_assert_false (orderly_ws_connection_is_blocked (f->ws));
}

/* Frames come as the network cuts them: many in one read, or one a byte
 * at a time. */
static void
test_connection_split_and_joined (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(GByteArray) frames = g_byte_array_new ();
  g_autoptr(GBytes) payload = make_payload (3, 300, FALSE);
  gsize binary_size;

  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", i);

      append_client_frame (frames, FIN | ORDERLY_WS_OPCODE_TEXT, TRUE, text, strlen (text));
    }
  client_write (f, frames->data, frames->len);
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", i);

      assert_message (wait_message (f, i), SOUP_WEBSOCKET_DATA_TEXT, text, strlen (text));
    }

  g_byte_array_set_size (frames, 0);
  append_client_frame (frames, FIN | ORDERLY_WS_OPCODE_BINARY, TRUE, g_bytes_get_data (payload, NULL), 300);
  binary_size = frames->len;
  append_client_frame (frames, FIN | ORDERLY_WS_OPCODE_PING, TRUE, "split", 5);
  for (guint i = 0; i < frames->len; i++)
    {
      client_write (f, frames->data + i, 1);
      for (guint j = 0; j < 3; j++)
        g_main_context_iteration (NULL, FALSE);
      /* nothing before the last byte of the frame */
      if (i + 1 < binary_size)
        g_assert_cmpuint (f->messages->len, ==, 10);
    }
  assert_message (wait_message (f, 10), SOUP_WEBSOCKET_DATA_BINARY, g_bytes_get_data (payload, NULL), 300);
  expect_message (f, ORDERLY_WS_OPCODE_PONG, "split", 5);
}

/* A fragmented message is delivered once, whole; control frames may come
 * between its fragments, and a character may be split between two. */
static void
test_connection_fragmented (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GBytes) big = make_payload (5, 200000, FALSE);
  const guint8 *bytes = g_bytes_get_data (big, NULL);

  orderly_ws_connection_set_max_incoming_payload_size (f->ws, 1024 * 1024);
  client_send_frame (f, ORDERLY_WS_OPCODE_TEXT, "h\xC3", 2);
  client_send_frame (f, ORDERLY_WS_OPCODE_CONTINUATION, "\xA9llo \xE2\x82", 7);
  client_send_frame (f, ORDERLY_WS_OPCODE_CONTINUATION, "", 0);
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_CONTINUATION, "\xAC!", 2);
  assert_message (wait_message (f, 0), SOUP_WEBSOCKET_DATA_TEXT, "h\xC3\xA9llo \xE2\x82\xAC!", 11);

  client_send_frame (f, ORDERLY_WS_OPCODE_BINARY, bytes, 100);
  client_send_frame (f, ORDERLY_WS_OPCODE_CONTINUATION, bytes + 100, 70000);
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_PING, "between", 7);
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_PONG, "unasked", 7);
  /* The ping is answered before the message is complete. */
  expect_message (f, ORDERLY_WS_OPCODE_PONG, "between", 7);
  g_assert_cmpuint (f->messages->len, ==, 1);
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_CONTINUATION, bytes + 70100, 200000 - 70100);
  assert_message (wait_message (f, 1), SOUP_WEBSOCKET_DATA_BINARY, bytes, 200000);

  /* and the next message starts afresh */
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_TEXT, "next", 4);
  assert_message (wait_message (f, 2), SOUP_WEBSOCKET_DATA_TEXT, "next", 4);
  /* Frames are handled in order: once a later ping is answered, nothing
   * more came of the ones before. */
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_PING, "sync", 4);
  expect_message (f, ORDERLY_WS_OPCODE_PONG, "sync", 4);
  g_assert_cmpuint (f->messages->len, ==, 3);
}

static void
test_connection_ping (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GBytes) longest = make_payload (9, 125, FALSE);

  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_PING, NULL, 0);
  expect_message (f, ORDERLY_WS_OPCODE_PONG, NULL, 0);
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_PING, "Hello", 5);
  expect_message (f, ORDERLY_WS_OPCODE_PONG, "Hello", 5);
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_PING, "\0\xFF\x80", 3);
  expect_message (f, ORDERLY_WS_OPCODE_PONG, "\0\xFF\x80", 3);
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_PING, g_bytes_get_data (longest, NULL), 125);
  expect_message (f, ORDERLY_WS_OPCODE_PONG, g_bytes_get_data (longest, NULL), 125);

  /* An unasked pong is ignored. */
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_PONG, "beat", 4);
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_TEXT, "after", 5);
  assert_message (wait_message (f, 0), SOUP_WEBSOCKET_DATA_TEXT, "after", 5);
  /* The next thing from the server is the answer to a later ping: the
   * unasked pong got none. */
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_PING, "sync", 4);
  expect_message (f, ORDERLY_WS_OPCODE_PONG, "sync", 4);
  g_assert_cmpuint (f->messages->len, ==, 1);
  g_assert_cmpint (orderly_ws_connection_get_state (f->ws), ==, ORDERLY_WS_STATE_OPEN);
}

/* The regression this file was written for. The server has megabytes
 * queued for a client that does not read, and has written part of a
 * frame when the kernel refused more; a ping then comes in. Its pong must
 * go between two whole frames: spliced into the frame half written, it
 * corrupts the stream. Everything queued must then come, whole and in
 * order, with the pongs somewhere between frames, and "drained" fire. */
static void
test_connection_ping_while_blocked (Fixture       *f,
                                    gconstpointer  data)
{
  /* frames of each header size, most of them not a multiple of anything */
  static const gsize sizes[] = { 1, 125, 126, 4001, G_MAXUINT16, G_MAXUINT16 + 1, 131071, 200003, 17, 99999 };
  g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  gsize total = 0;
  gsize pending;
  guint n_data = 0;
  guint pongs = 0;
  guint pong_at[2] = { 0 };
  gint64 deadline;

  /* More than the default bound is queued on purpose here. */
  orderly_ws_connection_set_max_outgoing_size (f->ws, 16 * 1024 * 1024);
  for (guint i = 0; total < 8 * 1024 * 1024; i++)
    {
      gsize size = sizes[i % G_N_ELEMENTS (sizes)];
      gboolean text = i % 3 == 0;
      GBytes *payload = make_payload (i, size, text);

      if (text && i % 2 == 0)
        orderly_ws_connection_send_text (f->ws, g_bytes_get_data (payload, NULL));
      else
        orderly_ws_connection_send (f->ws, !text, payload);
      g_ptr_array_add (expected, payload);
      total += size;
    }
  g_test_message ("queued %u frames, %" G_GSIZE_FORMAT " bytes of payload", expected->len, total);

  /* The client reads nothing: the server writes what the kernel takes,
   * then waits. */
  deadline = g_get_monotonic_time () + TIMEOUT;
  while (!orderly_ws_connection_is_blocked (f->ws))
    spin (deadline);
  settle ();
  pending = orderly_ws_connection_get_pending (f->ws);
  g_test_message ("blocked with %" G_GSIZE_FORMAT " bytes pending", pending);
  g_assert_true (orderly_ws_connection_is_blocked (f->ws));
  g_assert_cmpuint (pending, >, 0);
  g_assert_cmpuint (pending, <, total + 10 * expected->len);
  g_assert_cmpuint (f->drained, ==, 0);

  /* A ping while blocked, then another with a megabyte read in between,
   * so that the kernel took a different cut of a frame each time. */
  /* A frame sent on a local socket is there to read when send() returns:
   * settling lets the server read the ping and queue its pong, behind the
   * data. */
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_PING, "ping-1", 6);
  settle ();
  g_assert_true (orderly_ws_connection_is_blocked (f->ws));
  deadline = g_get_monotonic_time () + TIMEOUT;
  for (gsize got = 0; got < 1024 * 1024;)
    {
      got = read_some (f, 1024 * 1024 - got) + got;
      if (got < 1024 * 1024)
        iterate (f, deadline, G_IO_IN);
    }
  /* the server writes what the kernel takes again */
  settle ();
  g_assert_true (orderly_ws_connection_is_blocked (f->ws));
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_PING, "ping-2", 6);
  settle ();

  /* Every frame from the first byte on must be well formed (read_frame
   * fails on any that is not) and every data frame the one queued. */
  while (n_data < expected->len || pongs < 2)
    {
      ServerFrame frame = { 0 };

      read_frame (f, &frame);
      if (frame.opcode == ORDERLY_WS_OPCODE_PONG)
        {
          g_autofree char *want = g_strdup_printf ("ping-%u", pongs + 1);
          g_autoptr(GBytes) want_bytes = g_bytes_new (want, strlen (want));

          g_assert_cmpuint (pongs, <, 2);
          assert_bytes_equal (frame.payload, want_bytes, "pong");
          pong_at[pongs++] = n_data;
        }
      else
        {
          g_autofree char *what = g_strdup_printf ("data frame %u", n_data);

          g_assert_cmpuint (n_data, <, expected->len);
          g_assert_true (frame.fin);
          g_assert_cmpuint (frame.opcode, ==, n_data % 3 == 0 ? ORDERLY_WS_OPCODE_TEXT : ORDERLY_WS_OPCODE_BINARY);
          assert_bytes_equal (frame.payload, g_ptr_array_index (expected, n_data), what);
          n_data++;
        }
      g_bytes_unref (frame.payload);
    }
  g_test_message ("the pongs came after %u and %u of %u data frames", pong_at[0], pong_at[1], expected->len);

  deadline = g_get_monotonic_time () + TIMEOUT;
  while (f->drained == 0)
    pump (f, deadline);
  g_assert_false (orderly_ws_connection_is_blocked (f->ws));
  g_assert_cmpuint (orderly_ws_connection_get_pending (f->ws), ==, 0);
  g_assert_cmpuint (f->in->len - f->in_pos, ==, 0);

  /* and the connection still works */
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_PING, "ping-3", 6);
  expect_message (f, ORDERLY_WS_OPCODE_PONG, "ping-3", 6);
  orderly_ws_connection_send_text (f->ws, "still here");
  expect_message (f, ORDERLY_WS_OPCODE_TEXT, "still here", 10);
  g_assert_cmpuint (f->closed, ==, 0);
}

/* Writes @data without ever reading what the server sends; the server
 * runs whenever the socket is full. */
static void
client_write_never_reading (Fixture      *f,
                            const guint8 *data,
                            gsize         length)
{
  gint64 deadline = g_get_monotonic_time () + 10 * TIMEOUT;

  while (length > 0)
    {
      gssize n = send (f->fd, data, length, MSG_NOSIGNAL);

      if (n > 0)
        {
          data += n;
          length -= n;
        }
      else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        iterate (f, deadline, G_IO_OUT);
      else
        g_error ("send: %s", g_strerror (errno));
    }
}

/* A peer that pings and never reads: the kernel fills with pongs, then
 * the server owes only the latest one, however many more pings come.
 * Once the peer reads, it gets that pong, and the connection works. */
static void
test_connection_ping_flood (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GByteArray) flood = g_byte_array_new ();
  g_autoptr(GBytes) payload = make_payload (1, 125, FALSE);
  g_autoptr(GByteArray) last = g_byte_array_new ();
  gsize most_pending = 0;
  guint sent = 0;
  guint8 *tag;

  g_byte_array_append (last, g_bytes_get_data (payload, NULL), 125);
  tag = last->data;
  for (guint round = 0; round < 20; round++)
    {
      g_byte_array_set_size (flood, 0);
      for (guint i = 0; i < 1000; i++, sent++)
        {
          memcpy (tag, &sent, sizeof sent);
          append_client_frame (flood, FIN | ORDERLY_WS_OPCODE_PING, TRUE, last->data, 125);
        }
      client_write_never_reading (f, flood->data, flood->len);
      settle ();
      most_pending = MAX (most_pending, orderly_ws_connection_get_pending (f->ws));
    }
  g_test_message ("%u pings of 125 bytes; at most %" G_GSIZE_FORMAT " bytes pending", sent, most_pending);
  /* Before each pong the kernel refused: at most the one being written
   * and the one owed. */
  g_assert_cmpuint (most_pending, <=, 2 * (2 + 125));
  g_assert_cmpint (orderly_ws_connection_get_state (f->ws), ==, ORDERLY_WS_STATE_OPEN);

  /* Reading, the peer gets pongs, the last one for the last ping. */
  {
    gint64 deadline = g_get_monotonic_time () + TIMEOUT;
    guint pongs = 0;

    client_send_frame (f, FIN | ORDERLY_WS_OPCODE_TEXT, "sync", 4);
    while (f->messages->len == 0)
      pump (f, deadline);
    for (;;)
      {
        ServerFrame frame = { 0 };
        g_autoptr(GBytes) want = g_bytes_new (last->data, 125);
        gboolean is_last;

        read_frame (f, &frame);
        g_assert_cmpuint (frame.opcode, ==, ORDERLY_WS_OPCODE_PONG);
        pongs++;
        is_last = g_bytes_equal (frame.payload, want);
        g_bytes_unref (frame.payload);
        if (is_last)
          break;
      }
    g_test_message ("%u pongs for %u pings", pongs, sent);
    g_assert_cmpuint (pongs, <, sent);
  }
  orderly_ws_connection_send_text (f->ws, "still here");
  expect_message (f, ORDERLY_WS_OPCODE_TEXT, "still here", 10);
}

/* A peer that never reads is dropped once more than the bound waits for
 * it, data and control frames alike; without a close frame, which it
 * would not read. */
static void
test_connection_outgoing_bound (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GBytes) chunk = make_payload (2, 16 * 1024, FALSE);
  gint64 deadline = g_get_monotonic_time () + TIMEOUT;
  gsize queued = 0;

  orderly_ws_connection_set_max_outgoing_size (f->ws, 256 * 1024);
  while (f->closed == 0)
    {
      g_assert_cmpint (orderly_ws_connection_get_state (f->ws), ==, ORDERLY_WS_STATE_OPEN);
      orderly_ws_connection_send (f->ws, TRUE, chunk);
      queued += g_bytes_get_size (chunk);
      g_assert_cmpuint (orderly_ws_connection_get_pending (f->ws), <=, 256 * 1024 + 16 * 1024 + 14);
      settle ();
      if (orderly_ws_connection_get_state (f->ws) != ORDERLY_WS_STATE_OPEN)
        wait_closed (f);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
  g_test_message ("dropped after %" G_GSIZE_FORMAT " bytes queued", queued);
  g_assert_cmpuint (orderly_ws_connection_get_pending (f->ws), ==, 0);
  /* What the kernel took, then the end, and no close frame. */
  while (!f->eof)
    pump (f, deadline);
  for (;;)
    {
      ServerFrame frame = { 0 };

      if (!take_frame (f, &frame))
        break;
      g_assert_cmpuint (frame.opcode, ==, ORDERLY_WS_OPCODE_BINARY);
      g_bytes_unref (frame.payload);
    }
}

/* The server closes: its close frame comes after everything queued
 * before, and once the client answers, the stream is closed. */
static void
test_connection_close_by_server (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(GBytes) big = make_payload (4, 500000, FALSE);

  orderly_ws_connection_send_text (f->ws, "first");
  orderly_ws_connection_send (f->ws, TRUE, big);
  orderly_ws_connection_send_text (f->ws, "last");
  orderly_ws_connection_close (f->ws, 1001);
  g_assert_cmpint (orderly_ws_connection_get_state (f->ws), ==, ORDERLY_WS_STATE_CLOSING);

  expect_message (f, ORDERLY_WS_OPCODE_TEXT, "first", 5);
  expect_message (f, ORDERLY_WS_OPCODE_BINARY, g_bytes_get_data (big, NULL), 500000);
  expect_message (f, ORDERLY_WS_OPCODE_TEXT, "last", 4);
  expect_close_frame (f, 1001);

  /* Waiting for the client's answer: nothing the server can do now
   * closes the stream. */
  settle ();
  g_assert_cmpuint (f->closed, ==, 0);
  g_assert_cmpint (orderly_ws_connection_get_state (f->ws), ==, ORDERLY_WS_STATE_CLOSING);

  {
    g_autoptr(GByteArray) payload = close_payload (1001, NULL);

    client_send_frame (f, FIN | ORDERLY_WS_OPCODE_CLOSE, payload->data, payload->len);
  }
  wait_closed (f);
  expect_eof (f);
  g_assert_cmpuint (orderly_ws_connection_get_close_code (f->ws), ==, 1001);
  g_assert_cmpuint (f->messages->len, ==, 0);
}

/* A client that never answers the close frame: the server closes anyway,
 * soon. */
static void
test_connection_close_by_server_unanswered (Fixture       *f,
                                            gconstpointer  data)
{
  gint64 start, deadline;

  orderly_ws_connection_send_text (f->ws, "bye");
  orderly_ws_connection_close (f->ws, 1000);
  expect_message (f, ORDERLY_WS_OPCODE_TEXT, "bye", 3);
  expect_close_frame (f, 1000);

  /* The close timeout is 2 s; the deadline is only a liveness bound. */
  start = g_get_monotonic_time ();
  deadline = start + 2 * TIMEOUT;
  while (f->closed == 0)
    pump (f, deadline);
  g_test_message ("closed %.1f s after the close frame", (g_get_monotonic_time () - start) / (double) G_TIME_SPAN_SECOND);
  expect_eof (f);
  g_assert_cmpint (orderly_ws_connection_get_state (f->ws), ==, ORDERLY_WS_STATE_CLOSED);
}

/* The client closes: the server echoes its code and closes the stream. */
static void
test_connection_close_by_client (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(GByteArray) payload = close_payload (4000, "going away, \xC3\xA9");

  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_TEXT, "last words", 10);
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_CLOSE, payload->data, payload->len);
  expect_close_frame (f, 4000);
  wait_closed (f);
  expect_eof (f);
  g_assert_cmpuint (orderly_ws_connection_get_close_code (f->ws), ==, 4000);
  g_assert_cmpuint (f->messages->len, ==, 1);
  assert_message (g_ptr_array_index (f->messages, 0), SOUP_WEBSOCKET_DATA_TEXT, "last words", 10);
}

/* A close frame without a code is answered with 1000 and reported as
 * 1005, "no code". */
static void
test_connection_close_by_client_no_code (Fixture       *f,
                                         gconstpointer  data)
{
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_CLOSE, NULL, 0);
  expect_close_frame (f, 1000);
  wait_closed (f);
  expect_eof (f);
  g_assert_cmpuint (orderly_ws_connection_get_close_code (f->ws), ==, 1005);
}

/* The client closes while the server still has data queued for it: the
 * data may come or not, but the echo comes after whole frames. */
static void
test_connection_close_by_client_while_sending (Fixture       *f,
                                               gconstpointer  data)
{
  g_autoptr(GByteArray) payload = close_payload (1000, NULL);
  g_autoptr(GBytes) big = make_payload (6, 1000000, FALSE);

  orderly_ws_connection_send (f->ws, TRUE, big);
  /* the server writes what the kernel takes */
  settle ();
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_CLOSE, payload->data, payload->len);
  for (;;)
    {
      g_autoptr(GBytes) message = NULL;
      guint8 opcode = read_next (f, &message);

      if (opcode == ORDERLY_WS_OPCODE_CLOSE)
        {
          g_assert_cmpuint (g_bytes_get_size (message), >=, 2);
          g_assert_cmpmem (g_bytes_get_data (message, NULL), 2, "\x03\xE8", 2);
          break;
        }
      g_assert_cmpuint (opcode, ==, ORDERLY_WS_OPCODE_BINARY);
      assert_bytes_equal (message, big, "data before the close");
    }
  wait_closed (f);
  expect_eof (f);
  g_assert_cmpuint (orderly_ws_connection_get_close_code (f->ws), ==, 1000);
}

static void
test_connection_peer_eof (Fixture       *f,
                          gconstpointer  data)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT;

  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_TEXT, "then nothing", 12);
  assert_message (wait_message (f, 0), SOUP_WEBSOCKET_DATA_TEXT, "then nothing", 12);
  g_assert_true (g_socket_shutdown (g_socket_connection_get_socket (f->client_connection), FALSE, TRUE, NULL));
  while (f->closed == 0)
    spin (deadline);
  g_assert_cmpint (orderly_ws_connection_get_state (f->ws), ==, ORDERLY_WS_STATE_CLOSED);
  g_assert_true (g_io_stream_is_closed (G_IO_STREAM (f->server_connection)));
  g_assert_cmpuint (orderly_ws_connection_get_close_code (f->ws), !=, 1000);
  expect_eof (f);
}

/* Nobody holds the connection but itself: it lives until its stream is
 * closed, then goes. */
static void
test_connection_self_owned (Fixture       *f,
                            gconstpointer  data)
{
  OrderlyWsConnection *ws = f->ws;
  gint64 deadline;

  g_object_add_weak_pointer (G_OBJECT (ws), (gpointer *) &ws);
  g_clear_object (&f->ws);

  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_TEXT, "alone", 5);
  assert_message (wait_message (f, 0), SOUP_WEBSOCKET_DATA_TEXT, "alone", 5);
  g_assert_nonnull (ws);
  orderly_ws_connection_send_text (ws, "still alive");
  expect_message (f, ORDERLY_WS_OPCODE_TEXT, "still alive", 11);

  {
    g_autoptr(GByteArray) payload = close_payload (1000, NULL);

    client_send_frame (f, FIN | ORDERLY_WS_OPCODE_CLOSE, payload->data, payload->len);
  }
  expect_close_frame (f, 1000);
  deadline = g_get_monotonic_time () + TIMEOUT;
  while (f->closed == 0 || ws != NULL)
    pump (f, deadline);
  expect_eof (f);
}

typedef struct
{
  const char *name;
  /* the frames the client sends */
  void      (*build) (GByteArray *out);
  /* the limit set first, when not 0 */
  guint64     max_payload;
  gushort     code;
} ErrorCase;

#define BUILD_ONE(fn, first, masked, payload, length) \
  static void fn (GByteArray *out) { append_client_frame (out, first, masked, payload, length); }

BUILD_ONE (build_rsv1, FIN | RSV1 | ORDERLY_WS_OPCODE_TEXT, TRUE, "a", 1)
BUILD_ONE (build_rsv2, FIN | RSV2 | ORDERLY_WS_OPCODE_BINARY, TRUE, "a", 1)
BUILD_ONE (build_rsv3, FIN | RSV3 | ORDERLY_WS_OPCODE_PING, TRUE, "a", 1)
BUILD_ONE (build_opcode_3, FIN | 0x3, TRUE, "a", 1)
BUILD_ONE (build_opcode_b, FIN | 0xB, TRUE, "a", 1)
BUILD_ONE (build_unmasked, FIN | ORDERLY_WS_OPCODE_TEXT, FALSE, "hello", 5)
BUILD_ONE (build_fragmented_ping, ORDERLY_WS_OPCODE_PING, TRUE, "a", 1)
BUILD_ONE (build_lone_continuation, FIN | ORDERLY_WS_OPCODE_CONTINUATION, TRUE, "a", 1)
BUILD_ONE (build_invalid_utf8, FIN | ORDERLY_WS_OPCODE_TEXT, TRUE, "ok \xC0\x80", 5)
BUILD_ONE (build_surrogate, FIN | ORDERLY_WS_OPCODE_TEXT, TRUE, "\xED\xA0\x80", 3)
BUILD_ONE (build_close_short, FIN | ORDERLY_WS_OPCODE_CLOSE, TRUE, "\x03", 1)
BUILD_ONE (build_close_1005, FIN | ORDERLY_WS_OPCODE_CLOSE, TRUE, "\x03\xED", 2)
BUILD_ONE (build_close_999, FIN | ORDERLY_WS_OPCODE_CLOSE, TRUE, "\x03\xE7", 2)

static void
build_long_ping (GByteArray *out)
{
  g_autofree char *payload = g_strnfill (126, 'p');

  append_client_frame (out, FIN | ORDERLY_WS_OPCODE_PING, TRUE, payload, 126);
}

static void
build_text_inside_fragmented (GByteArray *out)
{
  append_client_frame (out, ORDERLY_WS_OPCODE_TEXT, TRUE, "ab", 2);
  append_client_frame (out, FIN | ORDERLY_WS_OPCODE_TEXT, TRUE, "cd", 2);
}

static void
build_binary_inside_fragmented (GByteArray *out)
{
  append_client_frame (out, ORDERLY_WS_OPCODE_BINARY, TRUE, "ab", 2);
  append_client_frame (out, ORDERLY_WS_OPCODE_BINARY, TRUE, "cd", 2);
}

static void
build_invalid_utf8_fragmented (GByteArray *out)
{
  append_client_frame (out, ORDERLY_WS_OPCODE_TEXT, TRUE, "fine so far", 11);
  append_client_frame (out, FIN | ORDERLY_WS_OPCODE_CONTINUATION, TRUE, "\xFF", 1);
}

static void
build_truncated_utf8_fragmented (GByteArray *out)
{
  append_client_frame (out, ORDERLY_WS_OPCODE_TEXT, TRUE, "euro \xE2\x82", 7);
  append_client_frame (out, FIN | ORDERLY_WS_OPCODE_CONTINUATION, TRUE, "", 0);
}

static void
build_oversize (GByteArray *out)
{
  g_autofree char *payload = g_strnfill (1001, 'x');

  append_client_frame (out, FIN | ORDERLY_WS_OPCODE_BINARY, TRUE, payload, 1001);
}

static void
build_oversize_fragmented (GByteArray *out)
{
  g_autofree char *payload = g_strnfill (600, 'x');

  append_client_frame (out, ORDERLY_WS_OPCODE_TEXT, TRUE, payload, 600);
  append_client_frame (out, FIN | ORDERLY_WS_OPCODE_CONTINUATION, TRUE, payload, 401);
}

/* a header announcing 2^40 bytes: refused without waiting for them */
static void
build_oversize_header (GByteArray *out)
{
  static const guint8 header[] = { 0x82, 0xFF, 0, 0, 0x01, 0, 0, 0, 0, 0, 1, 2, 3, 4 };

  g_byte_array_append (out, header, sizeof header);
}

static const ErrorCase error_cases[] = {
  { "rsv1", build_rsv1, 0, 1002 },
  { "rsv2", build_rsv2, 0, 1002 },
  { "rsv3", build_rsv3, 0, 1002 },
  { "opcode-3", build_opcode_3, 0, 1002 },
  { "opcode-b", build_opcode_b, 0, 1002 },
  { "unmasked", build_unmasked, 0, 1002 },
  { "fragmented-ping", build_fragmented_ping, 0, 1002 },
  { "long-ping", build_long_ping, 0, 1002 },
  { "lone-continuation", build_lone_continuation, 0, 1002 },
  { "text-inside-fragmented", build_text_inside_fragmented, 0, 1002 },
  { "binary-inside-fragmented", build_binary_inside_fragmented, 0, 1002 },
  { "close-1-byte", build_close_short, 0, 1002 },
  { "close-code-1005", build_close_1005, 0, 1002 },
  { "close-code-999", build_close_999, 0, 1002 },
  { "invalid-utf8", build_invalid_utf8, 0, 1007 },
  { "surrogate", build_surrogate, 0, 1007 },
  { "invalid-utf8-fragmented", build_invalid_utf8_fragmented, 0, 1007 },
  { "truncated-utf8-fragmented", build_truncated_utf8_fragmented, 0, 1007 },
  { "oversize", build_oversize, 1000, 1009 },
  { "oversize-fragmented", build_oversize_fragmented, 1000, 1009 },
  { "oversize-header", build_oversize_header, 1000, 1009 },
};

/* The client stops sending. */
static void
client_shutdown (Fixture *f)
{
  g_assert_cmpint (shutdown (f->fd, SHUT_WR), ==, 0);
}

/* Whatever the client does wrong, the server says why in a close frame,
 * sends nothing more, and delivers no part of the bad message. A good
 * message before it is delivered. The server does not wait for the
 * client's close frame, only for the client to stop sending, so that
 * nothing it sent is left unread to reset the connection. */
static void
test_connection_error (Fixture       *f,
                       gconstpointer  data)
{
  const ErrorCase *error_case = data;
  g_autoptr(GByteArray) frames = g_byte_array_new ();

  if (error_case->max_payload != 0)
    orderly_ws_connection_set_max_incoming_payload_size (f->ws, error_case->max_payload);
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_TEXT, "good", 4);
  assert_message (wait_message (f, 0), SOUP_WEBSOCKET_DATA_TEXT, "good", 4);

  error_case->build (frames);
  client_write (f, frames->data, frames->len);
  expect_close_frame (f, error_case->code);
  expect_eof (f);
  g_assert_cmpint (orderly_ws_connection_get_state (f->ws), ==, ORDERLY_WS_STATE_CLOSING);
  /* whatever else the client sends is dropped */
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_TEXT, "ignored", 7);
  client_shutdown (f);
  wait_closed (f);
  g_assert_cmpuint (f->messages->len, ==, 1);
}

/* A client that sends a message far over the limit is still sending when
 * the server has read the header and refused it. It gets the close frame
 * with 1009 all the same, and the whole message can be written: the
 * connection is not reset under it. */
static void
test_connection_oversize_while_sending (Fixture       *f,
                                        gconstpointer  data)
{
  g_autoptr(GBytes) big = make_payload (3, 4 * 1024 * 1024, FALSE);

  orderly_ws_connection_set_max_incoming_payload_size (f->ws, 1000);
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_BINARY, g_bytes_get_data (big, NULL), g_bytes_get_size (big));
  expect_close_frame (f, SOUP_WEBSOCKET_CLOSE_TOO_BIG);
  expect_eof (f);
  client_shutdown (f);
  wait_closed (f);
  g_assert_cmpuint (f->messages->len, ==, 0);
}

/* A message exactly at the limit, whole or in fragments, is fine. */
static void
test_connection_max_payload (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GBytes) payload = make_payload (2, 1000, FALSE);
  const guint8 *bytes = g_bytes_get_data (payload, NULL);

  orderly_ws_connection_set_max_incoming_payload_size (f->ws, 1000);
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_BINARY, bytes, 1000);
  assert_message (wait_message (f, 0), SOUP_WEBSOCKET_DATA_BINARY, bytes, 1000);
  client_send_frame (f, ORDERLY_WS_OPCODE_BINARY, bytes, 600);
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_PING, "limit", 5);
  client_send_frame (f, FIN | ORDERLY_WS_OPCODE_CONTINUATION, bytes + 600, 400);
  expect_message (f, ORDERLY_WS_OPCODE_PONG, "limit", 5);
  assert_message (wait_message (f, 1), SOUP_WEBSOCKET_DATA_BINARY, bytes, 1000);
  g_assert_cmpint (orderly_ws_connection_get_state (f->ws), ==, ORDERLY_WS_STATE_OPEN);
}

/* ------------------------------------------------------------------------ */
/* libsoup's own client on the other end */

typedef struct
{
  GPtrArray *messages;
  guint      pongs;
  gboolean   closed;
} SoupClientState;

static void
soup_message_cb (SoupWebsocketConnection *ws,
                 gint                     type,
                 GBytes                  *data,
                 gpointer                 user_data)
{
  SoupClientState *state = user_data;
  Message *message = g_new0 (Message, 1);

  message->type = type;
  message->data = g_bytes_ref (data);
  g_ptr_array_add (state->messages, message);
}

static void
soup_pong_cb (SoupWebsocketConnection *ws,
              GBytes                  *data,
              gpointer                 user_data)
{
  ((SoupClientState *) user_data)->pongs++;
}

static void
soup_closed_cb (SoupWebsocketConnection *ws,
                gpointer                 user_data)
{
  ((SoupClientState *) user_data)->closed = TRUE;
}

static void
test_connection_soup_client (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GUri) uri = g_uri_parse ("ws://127.0.0.1/socket.io/", G_URI_FLAGS_NONE, NULL);
  g_autoptr(SoupWebsocketConnection) client = NULL;
  g_autoptr(GBytes) big = make_payload (8, 300000, FALSE);
  SoupClientState state = { g_ptr_array_new_with_free_func ((GDestroyNotify) message_free), 0, FALSE };
  gint64 deadline = g_get_monotonic_time () + TIMEOUT;

  orderly_ws_connection_set_max_incoming_payload_size (f->ws, 1024 * 1024);
  client = soup_websocket_connection_new (G_IO_STREAM (f->client_connection), uri,
                                          SOUP_WEBSOCKET_CONNECTION_CLIENT, NULL, NULL, NULL);
  soup_websocket_connection_set_keepalive_interval (client, 1);
  soup_websocket_connection_set_max_incoming_payload_size (client, 1024 * 1024);
  g_signal_connect (client, "message", G_CALLBACK (soup_message_cb), &state);
  g_signal_connect (client, "pong", G_CALLBACK (soup_pong_cb), &state);
  g_signal_connect (client, "closed", G_CALLBACK (soup_closed_cb), &state);

  soup_websocket_connection_send_text (client, "hello from libsoup");
  soup_websocket_connection_send_binary (client, g_bytes_get_data (big, NULL), g_bytes_get_size (big));
  while (f->messages->len < 2)
    spin (deadline);
  assert_message (g_ptr_array_index (f->messages, 0), SOUP_WEBSOCKET_DATA_TEXT, "hello from libsoup", 18);
  assert_message (g_ptr_array_index (f->messages, 1), SOUP_WEBSOCKET_DATA_BINARY, g_bytes_get_data (big, NULL), 300000);

  orderly_ws_connection_send_text (f->ws, "hello from Orderly");
  orderly_ws_connection_send (f->ws, TRUE, big);
  while (state.messages->len < 2)
    spin (deadline);
  assert_message (g_ptr_array_index (state.messages, 0), SOUP_WEBSOCKET_DATA_TEXT, "hello from Orderly", 18);
  assert_message (g_ptr_array_index (state.messages, 1), SOUP_WEBSOCKET_DATA_BINARY, g_bytes_get_data (big, NULL), 300000);

  /* libsoup's keepalive pings after a second; the server's pong comes
   * back and nothing breaks. */
  while (state.pongs == 0)
    spin (deadline);
  g_assert_cmpint (soup_websocket_connection_get_state (client), ==, SOUP_WEBSOCKET_STATE_OPEN);
  orderly_ws_connection_send_text (f->ws, "after the ping");
  while (state.messages->len < 3)
    spin (deadline);
  assert_message (g_ptr_array_index (state.messages, 2), SOUP_WEBSOCKET_DATA_TEXT, "after the ping", 14);

  soup_websocket_connection_close (client, SOUP_WEBSOCKET_CLOSE_NORMAL, "done");
  while (!state.closed || f->closed == 0)
    spin (deadline);
  g_assert_cmpuint (soup_websocket_connection_get_close_code (client), ==, SOUP_WEBSOCKET_CLOSE_NORMAL);
  g_assert_cmpuint (orderly_ws_connection_get_close_code (f->ws), ==, SOUP_WEBSOCKET_CLOSE_NORMAL);
  g_assert_cmpint (orderly_ws_connection_get_state (f->ws), ==, ORDERLY_WS_STATE_CLOSED);
  g_assert_cmpuint (f->messages->len, ==, 2);

  g_ptr_array_unref (state.messages);
}

/* The same, the server closing. */
static void
test_connection_soup_client_server_closes (Fixture       *f,
                                           gconstpointer  data)
{
  g_autoptr(GUri) uri = g_uri_parse ("ws://127.0.0.1/", G_URI_FLAGS_NONE, NULL);
  g_autoptr(SoupWebsocketConnection) client = NULL;
  SoupClientState state = { g_ptr_array_new_with_free_func ((GDestroyNotify) message_free), 0, FALSE };
  gint64 deadline = g_get_monotonic_time () + TIMEOUT;

  client = soup_websocket_connection_new (G_IO_STREAM (f->client_connection), uri,
                                          SOUP_WEBSOCKET_CONNECTION_CLIENT, NULL, NULL, NULL);
  g_signal_connect (client, "message", G_CALLBACK (soup_message_cb), &state);
  g_signal_connect (client, "closed", G_CALLBACK (soup_closed_cb), &state);

  orderly_ws_connection_send_text (f->ws, "goodbye");
  orderly_ws_connection_close (f->ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  while (!state.closed || f->closed == 0)
    spin (deadline);
  g_assert_cmpuint (state.messages->len, ==, 1);
  assert_message (g_ptr_array_index (state.messages, 0), SOUP_WEBSOCKET_DATA_TEXT, "goodbye", 7);
  g_assert_cmpuint (soup_websocket_connection_get_close_code (client), ==, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  g_assert_cmpuint (orderly_ws_connection_get_close_code (f->ws), ==, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);

  g_ptr_array_unref (state.messages);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ws/frame/parse-rfc-examples", test_frame_parse_rfc_examples);
  g_test_add_func ("/ws/frame/parse-sequence", test_frame_parse_sequence);
  g_test_add_func ("/ws/frame/parse-truncated", test_frame_parse_truncated);
  g_test_add_func ("/ws/frame/parse-too-big", test_frame_parse_too_big);
  g_test_add_func ("/ws/frame/parse-errors", test_frame_parse_errors);
  g_test_add_func ("/ws/frame/append", test_frame_append);
  g_test_add_func ("/ws/frame/utf8", test_frame_utf8);
  g_test_add_func ("/ws/frame/close-codes", test_frame_close_codes);

#define ADD(path, func) \
  g_test_add ("/ws/connection/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("text", test_connection_text);
  ADD ("server-ping", test_connection_server_ping);
  ADD ("close-reason", test_connection_close_reason);
  ADD ("binary", test_connection_binary);
  ADD ("split-and-joined", test_connection_split_and_joined);
  ADD ("fragmented", test_connection_fragmented);
  ADD ("ping", test_connection_ping);
  ADD ("ping-while-blocked", test_connection_ping_while_blocked);
  g_test_add ("/ws/connection/ping-while-blocked-tcp", Fixture, NULL,
              fixture_setup_tcp, test_connection_ping_while_blocked, fixture_teardown);
  ADD ("ping-flood", test_connection_ping_flood);
  g_test_add ("/ws/connection/ping-flood-tcp", Fixture, NULL,
              fixture_setup_tcp, test_connection_ping_flood, fixture_teardown);
  ADD ("outgoing-bound", test_connection_outgoing_bound);
  ADD ("close-by-server", test_connection_close_by_server);
  ADD ("close-by-server-unanswered", test_connection_close_by_server_unanswered);
  ADD ("close-by-client", test_connection_close_by_client);
  ADD ("close-by-client-no-code", test_connection_close_by_client_no_code);
  ADD ("close-by-client-while-sending", test_connection_close_by_client_while_sending);
  ADD ("peer-eof", test_connection_peer_eof);
  ADD ("self-owned", test_connection_self_owned);
  ADD ("max-payload", test_connection_max_payload);
  g_test_add ("/ws/connection/oversize-while-sending-tcp", Fixture, NULL,
              fixture_setup_tcp, test_connection_oversize_while_sending, fixture_teardown);
  ADD ("soup-client", test_connection_soup_client);
  ADD ("soup-client-server-closes", test_connection_soup_client_server_closes);
#undef ADD

  for (guint i = 0; i < G_N_ELEMENTS (error_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/ws/connection/error/%s", error_cases[i].name);

      g_test_add (path, Fixture, &error_cases[i], fixture_setup, test_connection_error, fixture_teardown);
    }

  return g_test_run ();
}
