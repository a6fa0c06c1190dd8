// The hot-path signaling messages in TypeBox, only so bench/schema-libraries.ts can compare it with
// the Valibot schemas of lib/protocol (the project's one declaration). Not used by the product.
// Kept to the same vocabulary as signaling v3: the client's `rendition` switch, and the server's
// `rendition` answer and pushed playlists with their `ageMs` (test/unit/bench/typebox-signaling.spec.ts).
import { Type, type TSchema } from '@sinclair/typebox';
import { BOUNDS, PROTOCOL_VERSION } from '../../lib/protocol/signaling/constants';
import { ID_PATTERN } from '../../lib/protocol/msgs/ids';
import { MAX_SEGMENT_SECONDS, MAX_URL_CHARS } from '../../lib/protocol/segment-rules';

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
      p2p: Type.Optional(Type.Boolean()),
    },
    closed,
  ),
  served: Type.Object({ type: Type.Literal('served'), sequence: Sequence, to: PeerId, bytes: Bytes }, closed),
  receipt: Type.Object({ type: Type.Literal('receipt'), sequence: Sequence, from: PeerId, bytes: Bytes }, closed),
  rendition: Type.Object({ type: Type.Literal('rendition'), rendition: MediaId }, closed),
};

// Server frames ignore unknown fields (a newer server's additions must not cut off a client), so
// these objects are open. Left out, as above: the URL's full character rule, and the playlist bound
// in UTF-8 bytes rather than characters.
const AnnouncedSegment = Type.Object({
  sequence: Sequence,
  rendition: MediaId,
  url: Type.String({ maxLength: MAX_URL_CHARS, pattern: '^https?://\\S+$' }),
  size: Bytes,
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  duration: Type.Number({ exclusiveMinimum: 0, maximum: MAX_SEGMENT_SECONDS }),
});
const pushedPlaylist = {
  rendition: Type.Union([MediaId, Type.Null()]),
  text: Type.String({ maxLength: BOUNDS.maxPushedPlaylistBytes }),
  ended: Type.Boolean(),
  presentation: Type.Optional(Type.Integer({ minimum: 1 })),
  ageMs: Type.Optional(Type.Integer({ minimum: 0, maximum: BOUNDS.maxPlaylistAgeMs })),
  version: Type.Optional(Type.Integer({ minimum: 1 })),
};

export const TypeBoxServerFrames: Record<string, TSchema> = {
  playlist: Type.Object({ type: Type.Literal('playlist'), ...pushedPlaylist }),
  rendition: Type.Object({
    type: Type.Literal('rendition'),
    rendition: MediaId,
    segments: Type.Array(AnnouncedSegment),
    playlists: Type.Array(Type.Object(pushedPlaylist)),
  }),
};
