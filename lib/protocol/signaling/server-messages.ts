/**
 * Server → client messages (section 4 of docs/signaling-protocol.md). The server builds them with
 * these types; a client parses every frame it receives through ServerFrameSchema and drops what does
 * not match (a broken or hostile server must not reach the engine with a half-typed frame). Unknown
 * extra fields are ignored rather than refused, so a newer server's additions do not cut off an
 * older client.
 */
import * as v from 'valibot';
import { BOUNDS, PROTOCOL_VERSION } from './constants';
import {
  AnnouncedSegmentSchema,
  IceCandidateSchema,
  OfferId,
  PeerId,
  PlaylistVersionNumber,
  PushedPlaylistSchema,
  RoleField,
  Sequence,
  MediaId,
} from './fields';
import { PLAYLIST_DIGEST_HEX_CHARS } from '../playlist-edits';

export const PeerSummarySchema = v.object({
  peer: PeerId,
  role: RoleField,
  /** Highest segment sequence the peer said it holds, or -1. */
  latest: v.pipe(v.number(), v.safeInteger(), v.minValue(-1)),
});
export type PeerSummary = v.InferOutput<typeof PeerSummarySchema>;

export const IceServerSchema = v.object({
  urls: v.union([v.string(), v.array(v.string())]),
  username: v.optional(v.string()),
  credential: v.optional(v.string()),
});
export type IceServer = v.InferOutput<typeof IceServerSchema>;

const Count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

export const WelcomeSchema = v.object({
  type: v.literal('welcome'),
  v: v.literal(PROTOCOL_VERSION),
  peer: PeerId,
  stream: MediaId,
  rendition: MediaId,
  role: RoleField,
  peers: v.array(PeerSummarySchema),
  iceServers: v.array(IceServerSchema),
  segments: v.array(AnnouncedSegmentSchema),
  /** The latest master playlist of the stream and media playlist of this swarm, when known. */
  playlists: v.array(PushedPlaylistSchema),
  heartbeatMs: Count,
  limits: v.object({ maxMessageBytes: Count, ratePerSecond: Count, burst: Count, statsIntervalMs: Count }),
});
export type WelcomeMessage = v.InferOutput<typeof WelcomeSchema>;

/** Server → client `segment`: an announcement plus the peers asked to fetch it first over HTTP. */
export const SegmentFrameSchema = v.object({
  ...AnnouncedSegmentSchema.entries,
  type: v.literal('segment'),
  fetchers: v.pipe(v.array(PeerId), v.maxLength(BOUNDS.maxFetchers)),
});
export type SegmentFrame = v.InferOutput<typeof SegmentFrameSchema>;

/**
 * The answer to a client's `rendition`: the peer now plays `rendition` (same swarm, same links), with
 * that rendition's latest announcements and media playlist, as a welcome would carry them.
 */
export const RenditionFrameSchema = v.object({
  type: v.literal('rendition'),
  rendition: MediaId,
  segments: v.array(AnnouncedSegmentSchema),
  playlists: v.array(PushedPlaylistSchema),
});
export type RenditionFrame = v.InferOutput<typeof RenditionFrameSchema>;

export const PlaylistFrameSchema = v.object({ ...PushedPlaylistSchema.entries, type: v.literal('playlist') });
export type PlaylistFrame = v.InferOutput<typeof PlaylistFrameSchema>;

/**
 * A new playlist version as the edits that turn version `from` into `version` (v4; the edit list is
 * lib/protocol/playlist-edits.ts). Sent instead of a whole `playlist` frame to the peers that hold
 * `from`. `digest`: the first 16 bytes (hex) of the SHA-256 of the resulting text's UTF-8 bytes; a
 * viewer whose result differs, or that holds another version, drops its copy and sends `resync`.
 */
export const PlaylistDeltaFrameSchema = v.object({
  type: v.literal('playlist-delta'),
  rendition: v.nullable(MediaId),
  ended: v.boolean(),
  presentation: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1))),
  from: PlaylistVersionNumber,
  version: PlaylistVersionNumber,
  edits: v.pipe(v.array(v.union([v.pipe(v.number(), v.safeInteger(), v.notValue(0)), v.string()])), v.minLength(1), v.maxLength(BOUNDS.maxPlaylistEdits)),
  digest: v.pipe(v.string(), v.regex(new RegExp(`^[0-9a-f]{${PLAYLIST_DIGEST_HEX_CHARS}}$`))),
});
export type PlaylistDeltaFrame = v.InferOutput<typeof PlaylistDeltaFrameSchema>;

const relayedSdp = /* @__NO_SIDE_EFFECTS__ */ <T extends 'offer' | 'answer'>(type: T) =>
  v.object({
    type: v.literal(type),
    from: PeerId,
    offerId: OfferId,
    sdp: v.pipe(v.string(), v.maxLength(BOUNDS.sdpMaxChars)),
  });

/** Every frame a server sends, by type. */
export const ServerFrameSchema = v.variant('type', [
  WelcomeSchema,
  v.object({ type: v.literal('peers'), peers: v.array(PeerSummarySchema) }),
  v.object({ type: v.literal('peer-left'), peer: PeerId, replacement: v.optional(PeerSummarySchema) }),
  relayedSdp('offer'),
  relayedSdp('answer'),
  v.object({ type: v.literal('ice'), from: PeerId, offerId: OfferId, candidate: v.nullable(IceCandidateSchema) }),
  SegmentFrameSchema,
  PlaylistFrameSchema,
  PlaylistDeltaFrameSchema,
  RenditionFrameSchema,
  v.object({ type: v.literal('receipt-ack'), sequence: Sequence, from: PeerId }),
  v.object({ type: v.literal('error'), code: v.string(), message: v.string() }),
]);
export type ServerFrame = v.InferOutput<typeof ServerFrameSchema>;
export type ServerFrameType = ServerFrame['type'];
export type ServerFrameOf<T extends ServerFrameType> = Extract<ServerFrame, { type: T }>;

/** A frame as the server sends it: the type checks that what is sent is what clients parse. */
export function encodeServerFrame(frame: ServerFrame): string {
  return JSON.stringify(frame);
}

const FIRST_ISSUE_ONLY = { abortEarly: true } as const;

/** One text frame from the server, typed; undefined for anything that is not a valid frame (dropped). */
export function parseServerFrame(text: string): ServerFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const result = v.safeParse(ServerFrameSchema, value, FIRST_ISSUE_ONLY);
  return result.success ? result.output : undefined;
}
