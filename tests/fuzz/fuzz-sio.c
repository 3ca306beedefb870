/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the Socket.IO packet decoder and attachment reassembly.
 * The input is split on 0x1e into Engine.IO messages; a part starting with
 * 0xff is fed as a binary attachment, any other part as text. */
#include "config.h"

#include <string.h>

#include "orderly-sio-packet.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check_round_trip (OrderlySioPacket *packet)
{
  g_autofree char *encoded = orderly_sio_packet_encode (packet);
  g_autoptr(OrderlySioPacket) again = NULL;
  g_autoptr(GError) error = NULL;

  again = orderly_sio_packet_decode (encoded, strlen (encoded), &error);
  g_assert_no_error (error);
  g_assert_cmpint (again->type, ==, packet->type);
  g_assert_cmpstr (again->nsp, ==, packet->nsp);
  g_assert_cmpint (again->id, ==, packet->id);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(OrderlySioDecoder) decoder = orderly_sio_decoder_new ();
  gsize start = 0;

  {
    g_autoptr(OrderlySioPacket) whole = orderly_sio_packet_decode ((const char *) data, size, NULL);

    /* A namespace with a comma in it cannot be written back; the reference
     * reads up to the first comma, so such input never decodes that way. */
    if (whole != NULL && whole->n_attachments == 0)
      check_round_trip (whole);
  }

  while (start <= size)
    {
      const guint8 *end = memchr (data + start, 0x1e, size - start);
      gsize part = end != NULL ? (gsize) (end - (data + start)) : size - start;
      g_autoptr(OrderlySioPacket) packet = NULL;
      gboolean ok;

      if (part > 0 && data[start] == 0xff)
        {
          g_autoptr(GBytes) bytes = g_bytes_new (data + start + 1, part - 1);
          ok = orderly_sio_decoder_push_binary (decoder, bytes, &packet, NULL);
        }
      else
        ok = orderly_sio_decoder_push_text (decoder, (const char *) data + start, part, &packet, NULL);

      if (!ok)
        break;
      if (packet != NULL && packet->attachments != NULL)
        g_assert_cmpuint (packet->attachments->len, ==, packet->n_attachments);

      start += part + 1;
    }

  return 0;
}
