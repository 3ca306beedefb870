/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Socket.IO v5 packets: encoder, decoder and binary attachment reassembly.
 * Pure codec, no I/O. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define ORDERLY_SIO_ERROR (orderly_sio_error_quark ())

typedef enum
{
  ORDERLY_SIO_ERROR_PARSE,
} OrderlySioError;

typedef enum
{
  ORDERLY_SIO_PACKET_CONNECT       = 0,
  ORDERLY_SIO_PACKET_DISCONNECT    = 1,
  ORDERLY_SIO_PACKET_EVENT         = 2,
  ORDERLY_SIO_PACKET_ACK           = 3,
  ORDERLY_SIO_PACKET_CONNECT_ERROR = 4,
  ORDERLY_SIO_PACKET_BINARY_EVENT  = 5,
  ORDERLY_SIO_PACKET_BINARY_ACK    = 6,
} OrderlySioPacketType;

/* The most attachments one binary packet may announce. */
#define ORDERLY_SIO_MAX_ATTACHMENTS 10

/* No ack id; ids themselves start at 0. */
#define ORDERLY_SIO_NO_ACK ((gint64) -1)

typedef struct
{
  OrderlySioPacketType  type;
  /* Always set; "/" for the main namespace. */
  char                 *nsp;
  gint64                id;
  /* NULL when the packet has no payload. */
  JsonNode             *data;
  /* Announced by a binary packet; the decoder fills attachments. */
  guint                 n_attachments;
  /* (element-type GBytes) */
  GPtrArray            *attachments;
} OrderlySioPacket;

typedef struct _OrderlySioDecoder OrderlySioDecoder;

GQuark             orderly_sio_error_quark            (void);

OrderlySioPacket  *orderly_sio_packet_new             (OrderlySioPacketType     type,
                                                       const char              *nsp,
                                                       gint64                   id,
                                                       JsonNode                *data);
void               orderly_sio_packet_free            (OrderlySioPacket        *packet);
gboolean           orderly_sio_packet_is_binary       (const OrderlySioPacket  *packet);

OrderlySioPacket  *orderly_sio_packet_decode          (const char              *text,
                                                       gsize                    length,
                                                       GError                 **error);
char              *orderly_sio_packet_encode          (const OrderlySioPacket  *packet);
GBytes            *orderly_sio_packet_encode_message  (const OrderlySioPacket  *packet);

gboolean           orderly_sio_event_name_is_reserved (const char              *name);
GBytes            *orderly_sio_encode_event           (const char              *nsp,
                                                       const char              *event,
                                                       JsonNode                *argument);

OrderlySioDecoder *orderly_sio_decoder_new            (void);
void               orderly_sio_decoder_free           (OrderlySioDecoder       *decoder);
gboolean           orderly_sio_decoder_is_waiting     (OrderlySioDecoder       *decoder);
gboolean           orderly_sio_decoder_push_text      (OrderlySioDecoder       *decoder,
                                                       const char              *text,
                                                       gsize                    length,
                                                       OrderlySioPacket       **packet,
                                                       GError                 **error);
gboolean           orderly_sio_decoder_push_binary    (OrderlySioDecoder       *decoder,
                                                       GBytes                  *bytes,
                                                       OrderlySioPacket       **packet,
                                                       GError                 **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrderlySioPacket, orderly_sio_packet_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OrderlySioDecoder, orderly_sio_decoder_free)

G_END_DECLS
