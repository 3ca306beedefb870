/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "orderly-eio-packet.h"

static void
assert_bytes_eq (GBytes     *bytes,
                 const char *expected,
                 gsize       expected_len)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);

  g_assert_cmpmem (data, len, expected, expected_len);
}

static void
test_eio_decode_types (void)
{
  static const struct { const char *text; OrderlyEioPacketType type; const char *data; } cases[] = {
    { "0{\"sid\":\"x\"}", ORDERLY_EIO_PACKET_OPEN, "{\"sid\":\"x\"}" },
    { "1", ORDERLY_EIO_PACKET_CLOSE, "" },
    { "2", ORDERLY_EIO_PACKET_PING, "" },
    { "2probe", ORDERLY_EIO_PACKET_PING, "probe" },
    { "3probe", ORDERLY_EIO_PACKET_PONG, "probe" },
    { "4hello", ORDERLY_EIO_PACKET_MESSAGE, "hello" },
    { "5", ORDERLY_EIO_PACKET_UPGRADE, "" },
    { "6", ORDERLY_EIO_PACKET_NOOP, "" },
    { "4h\xc3\xa9", ORDERLY_EIO_PACKET_MESSAGE, "h\xc3\xa9" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(OrderlyEioPacket) packet = orderly_eio_packet_decode (cases[i].text, strlen (cases[i].text), &error);

      g_assert_no_error (error);
      g_assert_nonnull (packet);
      g_assert_cmpint (packet->type, ==, cases[i].type);
      g_assert_false (packet->binary);
      assert_bytes_eq (packet->data, cases[i].data, strlen (cases[i].data));
    }
}

static void
test_eio_decode_invalid (void)
{
  static const char *cases[] = { "", "7", "a", "abc", "x4hello", "b!!!!", "bA", "bAQ=I", "4\xff\xfe" };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(OrderlyEioPacket) packet = orderly_eio_packet_decode (cases[i], strlen (cases[i]), &error);

      g_assert_null (packet);
      g_assert_error (error, ORDERLY_EIO_ERROR, ORDERLY_EIO_ERROR_PARSE);
    }
}

static void
test_eio_binary_base64 (void)
{
  static const guint8 raw[] = { 1, 2, 3, 4 };
  g_autoptr(GBytes) bytes = g_bytes_new_static (raw, sizeof raw);
  g_autofree char *encoded = orderly_eio_packet_encode_base64 (bytes);
  g_autoptr(OrderlyEioPacket) packet = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (encoded, ==, "bAQIDBA==");

  packet = orderly_eio_packet_decode (encoded, strlen (encoded), &error);
  g_assert_no_error (error);
  g_assert_true (packet->binary);
  g_assert_cmpint (packet->type, ==, ORDERLY_EIO_PACKET_MESSAGE);
  assert_bytes_eq (packet->data, (const char *) raw, sizeof raw);
}

static void
test_eio_binary_lengths (void)
{
  /* Every remainder modulo 3, with and without padding on the way in. */
  for (gsize n = 0; n < 12; n++)
    {
      g_autofree guint8 *raw = g_malloc (n + 1);
      g_autoptr(GBytes) bytes = NULL;
      g_autofree char *encoded = NULL;
      g_autoptr(OrderlyEioPacket) packet = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *unpadded = NULL;
      g_autoptr(OrderlyEioPacket) packet2 = NULL;

      for (gsize i = 0; i < n; i++)
        raw[i] = (guint8) (i * 37 + 250);
      bytes = g_bytes_new (raw, n);
      encoded = orderly_eio_packet_encode_base64 (bytes);
      g_assert_cmpuint (strlen (encoded), ==, 1 + (n + 2) / 3 * 4);

      packet = orderly_eio_packet_decode (encoded, strlen (encoded), &error);
      g_assert_no_error (error);
      assert_bytes_eq (packet->data, (const char *) raw, n);

      unpadded = g_strdup (encoded);
      g_strdelimit (unpadded, "=", '\0');
      packet2 = orderly_eio_packet_decode (unpadded, strlen (unpadded), &error);
      g_assert_no_error (error);
      assert_bytes_eq (packet2->data, (const char *) raw, n);
    }
}

static void
test_eio_encode (void)
{
  g_autoptr(GBytes) ping = orderly_eio_packet_encode (ORDERLY_EIO_PACKET_PING, NULL, 0);
  g_autoptr(GBytes) probe = orderly_eio_packet_encode (ORDERLY_EIO_PACKET_PONG, "probe", -1);
  g_autoptr(GBytes) message = orderly_eio_packet_encode (ORDERLY_EIO_PACKET_MESSAGE, "hello!", 5);

  assert_bytes_eq (ping, "2", 1);
  assert_bytes_eq (probe, "3probe", 6);
  assert_bytes_eq (message, "4hello", 6);
  /* Encoded text is NUL-terminated so it can go to a text frame as is. */
  g_assert_cmpint (((const char *) g_bytes_get_data (message, NULL))[6], ==, '\0');
}

static void
test_eio_payload_decode (void)
{
  static const char body[] = "4hello\x1e" "2\x1e" "bAQIDBA==\x1e" "4world";
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) packets = orderly_eio_payload_decode (body, strlen (body), &error);
  OrderlyEioPacket *packet;

  g_assert_no_error (error);
  g_assert_cmpuint (packets->len, ==, 4);

  packet = g_ptr_array_index (packets, 0);
  g_assert_cmpint (packet->type, ==, ORDERLY_EIO_PACKET_MESSAGE);
  assert_bytes_eq (packet->data, "hello", 5);
  packet = g_ptr_array_index (packets, 1);
  g_assert_cmpint (packet->type, ==, ORDERLY_EIO_PACKET_PING);
  packet = g_ptr_array_index (packets, 2);
  g_assert_true (packet->binary);
  assert_bytes_eq (packet->data, "\1\2\3\4", 4);
  packet = g_ptr_array_index (packets, 3);
  assert_bytes_eq (packet->data, "world", 5);
}

static void
test_eio_payload_invalid (void)
{
  static const char *cases[] = { "", "abc", "4hello\x1e", "\x1e" "4a", "4a\x1e\x1e" "4b", "4a\x1e" "9" };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) packets = orderly_eio_payload_decode (cases[i], strlen (cases[i]), &error);

      g_assert_null (packets);
      g_assert_error (error, ORDERLY_EIO_ERROR, ORDERLY_EIO_ERROR_PARSE);
    }
}

static void
test_eio_payload_encode (void)
{
  static const guint8 raw[] = { 9, 8, 7 };
  g_autoptr(GBytes) bytes = g_bytes_new_static (raw, sizeof raw);
  g_autoptr(GString) payload = g_string_new (NULL);

  orderly_eio_payload_append (payload, "4hello", 6);
  g_assert_cmpstr (payload->str, ==, "4hello");
  orderly_eio_payload_append_binary (payload, bytes);
  orderly_eio_payload_append (payload, "2", 1);
  g_assert_cmpstr (payload->str, ==, "4hello\x1e" "bCQgH\x1e" "2");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/orderly/socketio/eio-packet/decode-types", test_eio_decode_types);
  g_test_add_func ("/orderly/socketio/eio-packet/decode-invalid", test_eio_decode_invalid);
  g_test_add_func ("/orderly/socketio/eio-packet/binary-base64", test_eio_binary_base64);
  g_test_add_func ("/orderly/socketio/eio-packet/binary-lengths", test_eio_binary_lengths);
  g_test_add_func ("/orderly/socketio/eio-packet/encode", test_eio_encode);
  g_test_add_func ("/orderly/socketio/eio-packet/payload-decode", test_eio_payload_decode);
  g_test_add_func ("/orderly/socketio/eio-packet/payload-invalid", test_eio_payload_invalid);
  g_test_add_func ("/orderly/socketio/eio-packet/payload-encode", test_eio_payload_encode);

  return g_test_run ();
}
