/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "orderly-json-writer.h"
#include "orderly-sio-packet.h"

static OrderlySioPacket *
decode_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  OrderlySioPacket *packet = orderly_sio_packet_decode (text, strlen (text), &error);

  g_assert_no_error (error);
  g_assert_nonnull (packet);
  return packet;
}

static char *
data_string (OrderlySioPacket *packet)
{
  return packet->data != NULL ? orderly_json_to_string (packet->data) : NULL;
}

static void
test_sio_decode_valid (void)
{
  static const struct {
    const char *text;
    OrderlySioPacketType type;
    const char *nsp;
    gint64 id;
    guint n_attachments;
    const char *data;
  } cases[] = {
    { "0", ORDERLY_SIO_PACKET_CONNECT, "/", -1, 0, NULL },
    { "0{\"token\":\"123\"}", ORDERLY_SIO_PACKET_CONNECT, "/", -1, 0, "{\"token\":\"123\"}" },
    { "0/admin,", ORDERLY_SIO_PACKET_CONNECT, "/admin", -1, 0, NULL },
    { "0/random", ORDERLY_SIO_PACKET_CONNECT, "/random", -1, 0, NULL },
    { "0/admin,{\"sid\":\"oSO0\"}", ORDERLY_SIO_PACKET_CONNECT, "/admin", -1, 0, "{\"sid\":\"oSO0\"}" },
    { "1", ORDERLY_SIO_PACKET_DISCONNECT, "/", -1, 0, NULL },
    { "1/admin,", ORDERLY_SIO_PACKET_DISCONNECT, "/admin", -1, 0, NULL },
    { "1/custom", ORDERLY_SIO_PACKET_DISCONNECT, "/custom", -1, 0, NULL },
    { "2[\"foo\"]", ORDERLY_SIO_PACKET_EVENT, "/", -1, 0, "[\"foo\"]" },
    { "2/admin,[\"bar\"]", ORDERLY_SIO_PACKET_EVENT, "/admin", -1, 0, "[\"bar\"]" },
    { "212[\"foo\"]", ORDERLY_SIO_PACKET_EVENT, "/", 12, 0, "[\"foo\"]" },
    { "20[\"hello\",\"there\"]", ORDERLY_SIO_PACKET_EVENT, "/", 0, 0, "[\"hello\",\"there\"]" },
    { "2[42,1]", ORDERLY_SIO_PACKET_EVENT, "/", -1, 0, "[42,1]" },
    { "3/admin,13[\"bar\"]", ORDERLY_SIO_PACKET_ACK, "/admin", 13, 0, "[\"bar\"]" },
    { "30[]", ORDERLY_SIO_PACKET_ACK, "/", 0, 0, "[]" },
    { "4{\"message\":\"Not authorized\"}", ORDERLY_SIO_PACKET_CONNECT_ERROR, "/", -1, 0,
      "{\"message\":\"Not authorized\"}" },
    { "4\"legacy\"", ORDERLY_SIO_PACKET_CONNECT_ERROR, "/", -1, 0, "\"legacy\"" },
    { "51-[\"baz\",{\"_placeholder\":true,\"num\":0}]", ORDERLY_SIO_PACKET_BINARY_EVENT, "/", -1, 1,
      "[\"baz\",{\"_placeholder\":true,\"num\":0}]" },
    { "52-/admin,7[\"b\"]", ORDERLY_SIO_PACKET_BINARY_EVENT, "/admin", 7, 2, "[\"b\"]" },
    { "610-0[]", ORDERLY_SIO_PACKET_BINARY_ACK, "/", 0, 10, "[]" },
    { "50-[\"none\"]", ORDERLY_SIO_PACKET_BINARY_EVENT, "/", -1, 0, "[\"none\"]" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(OrderlySioPacket) packet = decode_ok (cases[i].text);
      g_autofree char *data = data_string (packet);

      g_test_message ("case %s", cases[i].text);
      g_assert_cmpint (packet->type, ==, cases[i].type);
      g_assert_cmpstr (packet->nsp, ==, cases[i].nsp);
      g_assert_cmpint (packet->id, ==, cases[i].id);
      g_assert_cmpuint (packet->n_attachments, ==, cases[i].n_attachments);
      g_assert_cmpstr (data, ==, cases[i].data);
    }
}

static void
test_sio_decode_invalid (void)
{
  static const char *cases[] = {
    "", "7", "a", "abc",
    /* Attachment counts: missing, not a number, over the limit. */
    "5[\"a\"]", "5-[\"a\"]", "5x-[\"a\"]", "511-[\"a\"]", "5999999999999999999999-[\"a\"]",
    /* Payloads invalid for their type. */
    "0[]", "0\"x\"", "0null", "1{}", "1[]", "2{}", "2[]", "2abc[\"a\"]", "2\"x\"", "2[{}]", "2[null]",
    "2[[\"a\"]]", "2[true]", "3{}", "3\"x\"", "4[]", "4true", "5-1{}",
    /* Reserved event names. */
    "2[\"connect\"]", "2[\"connect_error\"]", "2[\"disconnect\"]", "2[\"disconnecting\"]",
    "2[\"newListener\"]", "2[\"removeListener\"]", "51-[\"disconnect\",{\"_placeholder\":true,\"num\":0}]",
    /* Not JSON, trailing garbage, whitespace only. */
    "2[\"a\"", "2[\"a\"]]", "2[\"a\"]x", "0 ", "2/admin,[\"a\"",
    /* What json-glib takes and JSON does not. */
    "2['a']", "2[\"a\",0x10]", "2[\"a\",1.]", "2[\"a\"]//", "2[\"a\",/*c*/1]", "2[\"a\",010]",
    "2[\"a\",18446744073709551616]", "2[2e7771]",
    /* Ack id overflow. */
    "299999999999999999999[\"a\"]",
    /* NUL and invalid UTF-8. */
    "2[\"a\0\"]", "2[\"\xff\"]",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(OrderlySioPacket) packet = NULL;
      g_autofree char *shown = g_strescape (cases[i], NULL);
      gsize len = strlen (cases[i]);

      /* The NUL case: include the bytes after the NUL. */
      if (g_str_has_prefix (cases[i], "2[\"a") && len == 4 && cases[i][4] == '\0')
        len = 7;
      g_test_message ("case %s", shown);
      packet = orderly_sio_packet_decode (cases[i], len, &error);
      g_assert_null (packet);
      g_assert_error (error, ORDERLY_SIO_ERROR, ORDERLY_SIO_ERROR_PARSE);
    }
}

static void
test_sio_encode (void)
{
  static const char *round_trips[] = {
    "0", "0{\"token\":\"123\"}", "0/admin,", "0/admin,{\"sid\":\"oSO0\"}", "2[\"foo\"]",
    "2/admin,[\"bar\"]", "212[\"foo\"]", "3/admin,13[\"bar\"]", "1", "1/admin,", "30[]",
    "4{\"message\":\"Not authorized\"}", "4/random,{\"message\":\"Invalid namespace\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (round_trips); i++)
    {
      g_autoptr(OrderlySioPacket) packet = decode_ok (round_trips[i]);
      g_autofree char *encoded = orderly_sio_packet_encode (packet);

      g_assert_cmpstr (encoded, ==, round_trips[i]);
    }
}

/* Numbers json-glib reads as doubles are written back as JSON that reads
 * again: json-glib's own generator wrote 4e+41 as "4e+41.0". */
static void
test_sio_encode_doubles (void)
{
  static const struct { const char *in, *out; } cases[] = {
    { "2[400000000000000000000000000000000000000000.0]", "2[4e+41]" },
    { "2[4E41]", "2[4e+41]" },
    { "2[1.5e-300]", "2[1.5e-300]" },
    { "2[\"n\",0.25]", "2[\"n\",0.25]" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(OrderlySioPacket) packet = decode_ok (cases[i].in);
      g_autofree char *encoded = orderly_sio_packet_encode (packet);
      g_autoptr(OrderlySioPacket) again = decode_ok (encoded);

      g_assert_cmpstr (encoded, ==, cases[i].out);
      g_assert_cmpint (again->type, ==, packet->type);
    }
}

static void
test_sio_encode_binary (void)
{
  g_autoptr(OrderlySioPacket) packet = decode_ok ("2/admin,5[\"bin\",{\"_placeholder\":true,\"num\":0}]");
  g_autofree char *encoded = NULL;
  g_autoptr(GBytes) message = NULL;

  packet->attachments = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add (packet->attachments, g_bytes_new ("\1\2", 2));
  encoded = orderly_sio_packet_encode (packet);
  g_assert_cmpstr (encoded, ==, "51-/admin,5[\"bin\",{\"_placeholder\":true,\"num\":0}]");

  packet->type = ORDERLY_SIO_PACKET_ACK;
  message = orderly_sio_packet_encode_message (packet);
  g_assert_cmpstr (g_bytes_get_data (message, NULL), ==,
                   "461-/admin,5[\"bin\",{\"_placeholder\":true,\"num\":0}]");
}

static void
test_sio_encode_event (void)
{
  g_autoptr(JsonNode) argument = json_from_string ("{\"level\":\"log\",\"message\":\"a\"}", NULL);
  g_autoptr(GBytes) main_nsp = orderly_sio_encode_event (NULL, "log", argument);
  g_autoptr(GBytes) custom = orderly_sio_encode_event ("/admin", "get-status", NULL);
  g_autoptr(GBytes) slash = orderly_sio_encode_event ("/", "x", NULL);

  g_assert_cmpstr (g_bytes_get_data (main_nsp, NULL), ==, "42[\"log\",{\"level\":\"log\",\"message\":\"a\"}]");
  g_assert_cmpstr (g_bytes_get_data (custom, NULL), ==, "42/admin,[\"get-status\"]");
  /* The main namespace is never written out. */
  g_assert_cmpstr (g_bytes_get_data (slash, NULL), ==, "42[\"x\"]");
}

/* A record separator or any control character inside a string would split
 * a polling payload; the generator must escape them all. */
/* Whatever a string holds, an encoded packet has no control byte in it:
 * a raw U+001E would split a polling payload, and JSON.parse() refuses the
 * others. Member names too. */
static void
test_sio_json_escapes_controls (void)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);
  GString *all = g_string_new (NULL);
  g_autofree char *text = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autofree char *encoded = NULL;
  g_autoptr(JsonNode) back = NULL;

  for (int c = 1; c < 0x20; c++)
    g_string_append_c (all, (char) c);
  g_string_append (all, "\x7f\"\\/end");
  text = g_string_free (all, FALSE);
  json_node_set_string (node, text);

  message = orderly_sio_encode_event (NULL, "log", node);
  encoded = g_strndup (g_bytes_get_data (message, NULL), g_bytes_get_size (message));
  for (const char *p = encoded; *p != '\0'; p++)
    g_assert_cmpint ((guchar) *p, >=, 0x20);
  g_assert_nonnull (strstr (encoded, "\\u001e"));
  g_assert_true (g_str_has_prefix (encoded, "42[\"log\","));

  back = json_from_string (encoded + 2, NULL);
  g_assert_cmpstr (json_array_get_string_element (json_node_get_array (back), 1), ==, text);

  {
    g_autoptr(JsonNode) object = json_from_string ("{\"a\\u001fb\":\"\\u001f\"}", NULL);
    g_autoptr(GBytes) with_member = orderly_sio_encode_event ("/admin", "status", object);

    const char *expected = "42/admin,[\"status\",{\"a\\u001fb\":\"\\u001f\"}]";

    g_assert_cmpmem (g_bytes_get_data (with_member, NULL), g_bytes_get_size (with_member),
                     expected, strlen (expected));
  }
}

static void
test_sio_decoder_binary (void)
{
  g_autoptr(OrderlySioDecoder) decoder = orderly_sio_decoder_new ();
  static const char header[] = "52-3[\"bin\",{\"_placeholder\":true,\"num\":0},{\"x\":[{\"_placeholder\":true,\"num\":1}]}]";
  g_autoptr(GBytes) first = g_bytes_new ("\1\2\3\4", 4);
  g_autoptr(GBytes) second = g_bytes_new ("\5", 1);
  OrderlySioPacket *packet = NULL;
  g_autoptr(OrderlySioPacket) done = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_false (orderly_sio_decoder_is_waiting (decoder));
  g_assert_true (orderly_sio_decoder_push_text (decoder, header, strlen (header), &packet, &error));
  g_assert_no_error (error);
  g_assert_null (packet);
  g_assert_true (orderly_sio_decoder_is_waiting (decoder));

  g_assert_true (orderly_sio_decoder_push_binary (decoder, first, &packet, &error));
  g_assert_null (packet);
  g_assert_true (orderly_sio_decoder_push_binary (decoder, second, &packet, &error));
  g_assert_no_error (error);
  done = packet;
  g_assert_nonnull (done);
  g_assert_false (orderly_sio_decoder_is_waiting (decoder));
  g_assert_cmpint (done->type, ==, ORDERLY_SIO_PACKET_BINARY_EVENT);
  g_assert_cmpint (done->id, ==, 3);
  g_assert_cmpuint (done->attachments->len, ==, 2);
  g_assert_true (g_bytes_equal (g_ptr_array_index (done->attachments, 0), first));
  g_assert_true (g_bytes_equal (g_ptr_array_index (done->attachments, 1), second));
}

static void
test_sio_decoder_plain (void)
{
  g_autoptr(OrderlySioDecoder) decoder = orderly_sio_decoder_new ();
  g_autoptr(OrderlySioPacket) packet = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (orderly_sio_decoder_push_text (decoder, "2[\"a\"]", 6, &packet, &error));
  g_assert_nonnull (packet);
  g_assert_cmpint (packet->type, ==, ORDERLY_SIO_PACKET_EVENT);
}

static void
test_sio_decoder_errors (void)
{
  static const char header[] = "51-[\"bin\",{\"_placeholder\":true,\"num\":0}]";
  g_autoptr(GBytes) bytes = g_bytes_new ("x", 1);

  /* Binary with nothing expected. */
  {
    g_autoptr(OrderlySioDecoder) decoder = orderly_sio_decoder_new ();
    g_autoptr(GError) error = NULL;
    OrderlySioPacket *packet = NULL;

    g_assert_false (orderly_sio_decoder_push_binary (decoder, bytes, &packet, &error));
    g_assert_error (error, ORDERLY_SIO_ERROR, ORDERLY_SIO_ERROR_PARSE);
  }
  /* Text while an attachment is expected. */
  {
    g_autoptr(OrderlySioDecoder) decoder = orderly_sio_decoder_new ();
    g_autoptr(GError) error = NULL;
    OrderlySioPacket *packet = NULL;

    g_assert_true (orderly_sio_decoder_push_text (decoder, header, strlen (header), &packet, &error));
    g_assert_false (orderly_sio_decoder_push_text (decoder, "2[\"a\"]", 6, &packet, &error));
    g_assert_error (error, ORDERLY_SIO_ERROR, ORDERLY_SIO_ERROR_PARSE);
  }
  /* Placeholders that point past the attachments, or are malformed. */
  {
    static const char *bad[] = {
      "51-[\"a\",{\"_placeholder\":true,\"num\":1}]",
      "51-[\"a\",{\"_placeholder\":true,\"num\":-1}]",
      "51-[\"a\",{\"_placeholder\":true,\"num\":\"0\"}]",
      "51-[\"a\",{\"_placeholder\":true}]",
      "51-[\"a\",{\"deep\":[{\"_placeholder\":true,\"num\":5}]}]",
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(OrderlySioDecoder) decoder = orderly_sio_decoder_new ();
        g_autoptr(GError) error = NULL;
        OrderlySioPacket *packet = NULL;

        g_assert_true (orderly_sio_decoder_push_text (decoder, bad[i], strlen (bad[i]), &packet, &error));
        g_assert_false (orderly_sio_decoder_push_binary (decoder, bytes, &packet, &error));
        g_assert_error (error, ORDERLY_SIO_ERROR, ORDERLY_SIO_ERROR_PARSE);
        g_assert_null (packet);
      }
  }
  /* A placeholder in a packet with no attachments. */
  {
    g_autoptr(OrderlySioDecoder) decoder = orderly_sio_decoder_new ();
    g_autoptr(GError) error = NULL;
    OrderlySioPacket *packet = NULL;
    static const char text[] = "2[\"a\",{\"_placeholder\":true,\"num\":0}]";

    g_assert_false (orderly_sio_decoder_push_text (decoder, text, strlen (text), &packet, &error));
    g_assert_error (error, ORDERLY_SIO_ERROR, ORDERLY_SIO_ERROR_PARSE);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/orderly/socketio/sio-packet/decode-valid", test_sio_decode_valid);
  g_test_add_func ("/orderly/socketio/sio-packet/decode-invalid", test_sio_decode_invalid);
  g_test_add_func ("/orderly/socketio/sio-packet/encode", test_sio_encode);
  g_test_add_func ("/orderly/socketio/sio-packet/encode-doubles", test_sio_encode_doubles);
  g_test_add_func ("/orderly/socketio/sio-packet/encode-binary", test_sio_encode_binary);
  g_test_add_func ("/orderly/socketio/sio-packet/encode-event", test_sio_encode_event);
  g_test_add_func ("/orderly/socketio/sio-packet/json-escapes-controls", test_sio_json_escapes_controls);
  g_test_add_func ("/orderly/socketio/sio-packet/decoder-binary", test_sio_decoder_binary);
  g_test_add_func ("/orderly/socketio/sio-packet/decoder-plain", test_sio_decoder_plain);
  g_test_add_func ("/orderly/socketio/sio-packet/decoder-errors", test_sio_decoder_errors);

  return g_test_run ();
}
