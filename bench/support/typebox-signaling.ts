// The hot-path signaling messages in TypeBox, only so bench/schema-libraries.ts can compare it with
// the Valibot schemas of lib/protocol (the project's one declaration). Not used by the product.
import { Type, type TSchema } from '@sinclair/typebox';
import { BOUNDS, PROTOCOL_VERSION } from '../../lib/protocol/signaling/constants';
import { ID_PATTERN } from '../../lib/protocol/msgs/ids';

const PeerId = Type.String({ pattern: BOUNDS.peerId.source });
const OfferId = Type.String({ pattern: BOUNDS.offerId.source });
const Sequence = Type.Integer({ minimum: 0, maximum: BOUNDS.maxCounter });
const Bytes = Type.Integer({ minimum: 1, maximum: BOUNDS.maxCounter });
// The media id rule's `.`/`..` exclusion is left out: a pattern cannot say it cheaply.
const MediaId = Type.String({ pattern: ID_PATTERN.source });
const closed = { additionalProperties: false };
const sdp = (type: 'offer' | 'answer') =>
  Type.Object(
    {
      type: Type.Literal(type),
      to: PeerId,
      offerId: OfferId,
      sdp: Type.String({ minLength: 1, maxLength: BOUNDS.sdpMaxChars }),
    },
    closed,
  );
const nullableString = (max: number) => Type.Optional(Type.Union([Type.String({ maxLength: max }), Type.Null()]));

export const TypeBoxMessages: Record<string, TSchema> = {
  offer: sdp('offer'),
  answer: sdp('answer'),
  ice: Type.Object(
    {
      type: Type.Literal('ice'),
      to: PeerId,
      offerId: OfferId,
      candidate: Type.Union([
        Type.Null(),
        Type.Object(
          {
            candidate: Type.String({ maxLength: BOUNDS.candidateMaxChars }),
            sdpMid: nullableString(BOUNDS.sdpMidMaxChars),
            sdpMLineIndex: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: BOUNDS.maxSdpMLineIndex }), Type.Null()])),
            usernameFragment: nullableString(BOUNDS.ufragMaxChars),
          },
          closed,
        ),
      ]),
    },
    closed,
  ),
  join: Type.Object(
    {
      type: Type.Literal('join'),
      v: Type.Literal(PROTOCOL_VERSION),
      stream: MediaId,
      rendition: MediaId,
      role: Type.Union([Type.Literal('viewer'), Type.Literal('supporter')]),
      token: Type.Optional(Type.String({ minLength: 1, maxLength: BOUNDS.tokenMaxChars })),
      have: Type.Optional(Type.Array(Sequence, { maxItems: BOUNDS.maxListItems })),
      upload: Type.Optional(Type.Boolean()),
    },
    closed,
  ),
  served: Type.Object({ type: Type.Literal('served'), sequence: Sequence, to: PeerId, bytes: Bytes }, closed),
  receipt: Type.Object({ type: Type.Literal('receipt'), sequence: Sequence, from: PeerId, bytes: Bytes }, closed),
};
