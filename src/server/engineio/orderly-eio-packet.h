/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Engine.IO v4 packets and polling payloads: pure codec, no I/O. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ORDERLY_EIO_ERROR (orderly_eio_error_quark ())

typedef enum
{
  ORDERLY_EIO_ERROR_PARSE,
} OrderlyEioError;

typedef enum
{
  ORDERLY_EIO_PACKET_OPEN    = 0,
  ORDERLY_EIO_PACKET_CLOSE   = 1,
  ORDERLY_EIO_PACKET_PING    = 2,
  ORDERLY_EIO_PACKET_PONG    = 3,
  ORDERLY_EIO_PACKET_MESSAGE = 4,
  ORDERLY_EIO_PACKET_UPGRADE = 5,
  ORDERLY_EIO_PACKET_NOOP    = 6,
} OrderlyEioPacketType;

/* The separator of packets inside one polling body. */
#define ORDERLY_EIO_RECORD_SEPARATOR '\x1e'

typedef struct
{
  OrderlyEioPacketType  type;
  /* TRUE for a binary message: data holds raw bytes, not text. */
  gboolean              binary;
  /* Never NULL; possibly empty. Text data is UTF-8 without the type digit. */
  GBytes               *data;
} OrderlyEioPacket;

GQuark            orderly_eio_error_quark          (void);

OrderlyEioPacket *orderly_eio_packet_new           (OrderlyEioPacketType  type,
                                                    gboolean              binary,
                                                    GBytes               *data);
void              orderly_eio_packet_free          (OrderlyEioPacket     *packet);

OrderlyEioPacket *orderly_eio_packet_decode        (const char           *text,
                                                    gsize                 length,
                                                    GError              **error);
GBytes           *orderly_eio_packet_encode        (OrderlyEioPacketType  type,
                                                    const char           *data,
                                                    gssize                length);
char             *orderly_eio_packet_encode_base64 (GBytes               *binary);

GPtrArray        *orderly_eio_payload_decode       (const char           *body,
                                                    gsize                 length,
                                                    GError              **error);
void              orderly_eio_payload_append       (GString              *payload,
                                                    const char           *encoded,
                                                    gsize                 length);
void              orderly_eio_payload_append_binary (GString             *payload,
                                                     GBytes              *binary);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrderlyEioPacket, orderly_eio_packet_free)

G_END_DECLS
