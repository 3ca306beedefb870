/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the Engine.IO packet and polling payload decoders. */
#include "config.h"

#include "orderly-eio-packet.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GPtrArray) packets = NULL;
  g_autoptr(OrderlyEioPacket) single = NULL;

  single = orderly_eio_packet_decode ((const char *) data, size, NULL);
  packets = orderly_eio_payload_decode ((const char *) data, size, NULL);

  /* Whatever decodes must encode back into a payload that decodes the same. */
  if (packets != NULL)
    {
      g_autoptr(GString) payload = g_string_new (NULL);
      g_autoptr(GPtrArray) again = NULL;

      for (guint i = 0; i < packets->len; i++)
        {
          OrderlyEioPacket *packet = g_ptr_array_index (packets, i);

          if (packet->binary)
            orderly_eio_payload_append_binary (payload, packet->data);
          else
            {
              gsize len;
              const char *text = g_bytes_get_data (packet->data, &len);
              g_autoptr(GBytes) encoded = orderly_eio_packet_encode (packet->type, text, len);
              const char *encoded_text = g_bytes_get_data (encoded, &len);

              orderly_eio_payload_append (payload, encoded_text, len);
            }
        }

      again = orderly_eio_payload_decode (payload->str, payload->len, NULL);
      g_assert_nonnull (again);
      g_assert_cmpuint (again->len, ==, packets->len);
      for (guint i = 0; i < packets->len; i++)
        {
          OrderlyEioPacket *a = g_ptr_array_index (packets, i);
          OrderlyEioPacket *b = g_ptr_array_index (again, i);

          g_assert_cmpint (a->type, ==, b->type);
          g_assert_cmpint (a->binary, ==, b->binary);
          g_assert_true (g_bytes_equal (a->data, b->data));
        }
    }

  return 0;
}
