// The hot-path signaling messages in TypeBox, only so bench/schema-libraries.ts can compare it with
// the Valibot schemas of lib/protocol (the project's one declaration). Not used by the product.
import { Type, type TSchema } from '@sinclair/typebox';

const PeerId = Type.String({ pattern: '^[A-Za-z0-9_-]{12}$' });
const OfferId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
const Sequence = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Bytes = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const MediaId = Type.String({ pattern: '^[A-Za-z0-9._~-]{1,64}$' });
const closed = { additionalProperties: false };
const sdp = (type: 'offer' | 'answer') => Type.Object({
  type: Type.Literal(type), to: PeerId, offerId: OfferId, sdp: Type.String({ minLength: 1, maxLength: 15_000 }),
}, closed);
const nullableString = (max: number) => Type.Optional(Type.Union([Type.String({ maxLength: max }), Type.Null()]));

export const TypeBoxMessages: Record<string, TSchema> = {
  offer: sdp('offer'),
  answer: sdp('answer'),
  ice: Type.Object({
    type: Type.Literal('ice'), to: PeerId, offerId: OfferId,
    candidate: Type.Union([Type.Null(), Type.Object({
      candidate: Type.String({ maxLength: 1024 }), sdpMid: nullableString(64),
      sdpMLineIndex: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 255 }), Type.Null()])),
      usernameFragment: nullableString(256),
    }, closed)]),
  }, closed),
  join: Type.Object({
    type: Type.Literal('join'), v: Type.Literal(2), stream: MediaId, rendition: MediaId,
    role: Type.Union([Type.Literal('viewer'), Type.Literal('supporter')]),
    token: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    have: Type.Optional(Type.Array(Sequence, { maxItems: 64 })), upload: Type.Optional(Type.Boolean()),
  }, closed),
  served: Type.Object({ type: Type.Literal('served'), sequence: Sequence, to: PeerId, bytes: Bytes }, closed),
  receipt: Type.Object({ type: Type.Literal('receipt'), sequence: Sequence, from: PeerId, bytes: Bytes }, closed),
};
