/**
 * Client → server messages (section 3 of docs/signaling-protocol.md), one strict schema per type:
 * every field type-checked and bounded, unknown fields refused (a client sends exactly this
 * vocabulary), and a client never names the sender (`from` on a relay message is a spoofing
 * attempt, not a harmless extra). parseClientFrame maps a refusal onto the documented error code.
 */
import * as v from 'valibot';
import { BOUNDS, PROTOCOL_VERSION, type SignalErrorCode } from './constants';
import {
  boundedInteger,
  boundedList,
  boundedString,
  wireIssue,
  IceCandidateSchema,
  MediaId,
  OfferId,
  PeerId,
  PositiveBytes,
  Sequence,
  SpareUpload,
} from './fields';

/* @__NO_SIDE_EFFECTS__ */
function joinAs<R extends 'viewer' | 'supporter', E extends v.ObjectEntries>(role: R, entries: E) {
  return v.strictObject({
    type: v.literal('join'),
    v: v.literal(PROTOCOL_VERSION),
    stream: MediaId,
    rendition: MediaId,
    role: v.literal(role),
    ...entries,
    have: v.optional(boundedList(Sequence, 'sequence numbers')),
    /** false: this peer uploads nothing (metered link): named a fetcher only when nobody in its swarm uploads. */
    upload: v.optional(v.boolean()),
    /**
     * false: this viewer opted out of P2P. It gets no peers, is introduced to no one and uploads
     * nothing: its address is given to no other peer. It still gets announcements and playlists.
     */
    p2p: v.optional(v.boolean()),
  });
}

/** A token is required of supporters and forbidden to viewers. */
export const JoinSchema = v.variant(
  'role',
  [joinAs('viewer', {}), joinAs('supporter', { token: boundedString(1, BOUNDS.tokenMaxChars) })],
  "'viewer' or 'supporter'",
);

const sdpRelay = /* @__NO_SIDE_EFFECTS__ */ <T extends 'offer' | 'answer'>(type: T) =>
  v.strictObject({
    type: v.literal(type),
    to: PeerId,
    offerId: OfferId,
    sdp: boundedString(1, BOUNDS.sdpMaxChars),
  });

const linkCount = boundedInteger(0, BOUNDS.maxLinksReported);

/**
 * A viewer's ICE outcome: whether it ever gathered a server-reflexive candidate (its STUN server
 * answered), how many links opened and failed, and the type of each opened link's selected pair.
 */
export const IceOutcomeSchema = v.strictObject({
  srflx: v.boolean(),
  connected: linkCount,
  failed: linkCount,
  pairs: v.strictObject({ host: linkCount, srflx: linkCount, prflx: linkCount, relay: linkCount }),
});

export const ClientMessageSchemas = {
  join: JoinSchema,
  offer: sdpRelay('offer'),
  answer: sdpRelay('answer'),
  /** candidate null = end of candidates; the key itself is required. */
  ice: v.strictObject({ type: v.literal('ice'), to: PeerId, offerId: OfferId, candidate: v.nullable(IceCandidateSchema) }),
  have: v.strictObject({ type: v.literal('have'), sequences: boundedList(Sequence, 'sequence numbers') }),
  /** "Peer `from` sent me `bytes` of segment `sequence`". */
  receipt: v.strictObject({ type: v.literal('receipt'), sequence: Sequence, from: PeerId, bytes: PositiveBytes }),
  peers: v.strictObject({ type: v.literal('peers'), exclude: v.optional(boundedList(PeerId, 'peer ids')) }),
  /**
   * "I now play `rendition` of my stream" (v3): the peer stays in the stream's swarm and keeps its
   * links; announcements, playlists and receipts follow it to the new rendition.
   */
  rendition: v.strictObject({ type: v.literal('rendition'), rendition: MediaId }),
  leave: v.strictObject({ type: v.literal('leave') }),
  /**
   * "Send me my playlists whole" (v4): the viewer's copy missed a version or did not match a
   * `playlist-delta`'s digest. The answer is `playlist` frames, as a welcome would carry them.
   */
  resync: v.strictObject({ type: v.literal('resync') }),
  heartbeat: v.strictObject({ type: v.literal('heartbeat') }),
  /** The uploader's side of a delivery: "I sent `bytes` of segment `sequence` to peer `to`". */
  served: v.strictObject({ type: v.literal('served'), sequence: Sequence, to: PeerId, bytes: PositiveBytes }),
  /**
   * Receipts and served claims of the last moments in one frame (lib/peer/delivery-batch.ts), each
   * entry handled exactly as its own `receipt` or `served` frame would be. A viewer serving many
   * peers sent a claim per segment and downloader: with them and its links' ICE, a household behind
   * one address met the per-address message budget, and the drops then cost it its links.
   */
  deliveries: v.strictObject({
    type: v.literal('deliveries'),
    receipts: v.optional(boundedList(v.strictObject({ sequence: Sequence, from: PeerId, bytes: PositiveBytes }), 'receipts')),
    served: v.optional(boundedList(v.strictObject({ sequence: Sequence, to: PeerId, bytes: PositiveBytes }), 'served claims')),
  }),
  /** A viewer's running totals since it joined this swarm (at most one per statsIntervalMs). */
  stats: v.strictObject({
    type: v.literal('stats'),
    httpBytes: boundedInteger(0, BOUNDS.maxCounter),
    p2pBytes: boundedInteger(0, BOUNDS.maxCounter),
    uploadedBytes: boundedInteger(0, BOUNDS.maxCounter),
    stalls: boundedInteger(0, BOUNDS.maxStalls),
    peers: boundedInteger(0, BOUNDS.maxPeersReported),
    latencyMs: v.optional(boundedInteger(0, BOUNDS.maxLatencyMs)),
    /** How this viewer's WebRTC links fared since it joined (lib/peer/ice-outcome.ts): what shows the operator a closed STUN port. */
    ice: v.optional(IceOutcomeSchema),
    /** Upload capacity measured but not in use, bytes/s: the server names fetchers by it. Absent until measured. */
    spareUpload: v.optional(SpareUpload),
  }),
  /** "Peer `peer` sent me bytes that failed verification": the reporter has already dropped it. */
  report: v.strictObject({ type: v.literal('report'), peer: PeerId, sequence: Sequence, reason: v.picklist(BOUNDS.reportReasons) }),
} as const;

type Schemas = typeof ClientMessageSchemas;
export type ClientMessageType = keyof Schemas;
export type ClientMessageOf<T extends ClientMessageType> = v.InferOutput<Schemas[T]>;
export type ClientMessage = { [T in ClientMessageType]: ClientMessageOf<T> }[ClientMessageType];
export type JoinMessage = ClientMessageOf<'join'>;
export type OfferMessage = ClientMessageOf<'offer'>;
export type AnswerMessage = ClientMessageOf<'answer'>;
export type IceMessage = ClientMessageOf<'ice'>;
export type HaveMessage = ClientMessageOf<'have'>;
export type ReceiptMessage = ClientMessageOf<'receipt'>;
export type PeersRequestMessage = ClientMessageOf<'peers'>;
export type RenditionMessage = ClientMessageOf<'rendition'>;
export type ServedMessage = ClientMessageOf<'served'>;
export type DeliveriesMessage = ClientMessageOf<'deliveries'>;
export type StatsMessage = ClientMessageOf<'stats'>;
export type ReportMessage = ClientMessageOf<'report'>;
export type IceOutcome = v.InferOutput<typeof IceOutcomeSchema>;

/** Fields only the server sets: a client that sends one is spoofing a sender. */
const SENDER_FIELDS: ReadonlySet<string> = /* @__PURE__ */ new Set(['from', 'sender', 'peer']);

export type ParsedClientFrame = { ok: true; message: ClientMessage } | { ok: false; code: SignalErrorCode; message: string };

/** One issue is all a refusal reports; stopping there also keeps refusals cheap. */
const FIRST_ISSUE_ONLY = { abortEarly: true } as const;

const refuse = (code: SignalErrorCode, message: string): ParsedClientFrame => ({ ok: false, code, message });

/**
 * Parses one text frame (its byte size is bounded before: ws maxPayload). The success path is JSON.parse
 * plus one schema; the work of naming the right code is done only for frames that fail.
 */
export function parseClientFrame(text: string): ParsedClientFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return refuse('E_SIGNAL_BAD_JSON', 'frame is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return refuse('E_SIGNAL_BAD_MESSAGE', 'frame must be a JSON object');
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') return refuse('E_SIGNAL_BAD_MESSAGE', "frame must have a string 'type'");
  if (!Object.prototype.hasOwnProperty.call(ClientMessageSchemas, type)) {
    return refuse('E_SIGNAL_UNKNOWN_TYPE', `unknown message type '${type.slice(0, 32)}'`);
  }
  const schema: v.GenericSchema = ClientMessageSchemas[type as ClientMessageType];
  const result = v.safeParse(schema, value, FIRST_ISSUE_ONLY);
  if (result.success) return { ok: true, message: result.output as ClientMessage };
  return explain(type as ClientMessageType, value as Record<string, unknown>, result.issues[0]);
}

/** The documented code for a refused frame: unknown or sender fields first, then the version, then the first bad field. */
function explain(type: ClientMessageType, obj: Record<string, unknown>, issue: v.BaseIssue<unknown>): ParsedClientFrame {
  const allowed = allowedKeys(type);
  for (const key in obj) {
    if (allowed.has(key)) continue;
    if (SENDER_FIELDS.has(key)) return refuse('E_SIGNAL_SPOOFED_SENDER', `'${key}' is set by the server and may not be sent in '${type}'`);
    return refuse('E_SIGNAL_BAD_FIELD', `${key} must be absent from '${type}' (unknown field)`);
  }
  if (type === 'join' && obj.v !== PROTOCOL_VERSION) {
    return refuse('E_SIGNAL_VERSION', `unsupported protocol version; this server speaks v=${PROTOCOL_VERSION}`);
  }
  const { path, expected } = wireIssue(issue);
  return refuse('E_SIGNAL_BAD_FIELD', `${path} must be ${expected}`);
}

/** A join's keys are those of either role (a viewer's token is then a bad field, as the schema says). Failure path only. */
function allowedKeys(type: ClientMessageType): ReadonlySet<string> {
  if (type !== 'join') return new Set(Object.keys(ClientMessageSchemas[type].entries));
  return new Set(JoinSchema.options.flatMap((option) => Object.keys(option.entries)));
}
