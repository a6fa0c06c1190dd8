/**
 * Relaycast signaling protocol, version 2: the wire vocabulary shared by the coordinator (server),
 * the viewer loader (browser) and the tests. docs/signaling-protocol.md is the prose version of this
 * file; keep the two in step.
 */

import { isId as isContractId } from '../protocol/msgs';

export const PROTOCOL_VERSION = 2;

/**
 * WebSocket close codes. 4000–4999 is the range RFC 6455 leaves to applications. 1009 (message too
 * big) is sent by ws itself when a frame exceeds the size limit, before any byte of it is buffered.
 */
export const CLOSE_CODES = {
  /** The node was stopped or redeployed: reconnect with backoff. */
  NODE_CLOSED: 4000,
  /** Too many protocol violations on this connection (malformed, spoofed or out-of-order messages). */
  POLICY_VIOLATION: 4001,
  /** The connection kept sending faster than its rate budget. */
  RATE_LIMITED: 4002,
  /** No message or pong within the heartbeat timeout: the peer is considered dead. */
  HEARTBEAT_TIMEOUT: 4004,
  /** Connected but sent no valid join within the join timeout. */
  JOIN_TIMEOUT: 4005,
  /** The server's send buffer for this connection grew past its bound (the client stopped reading). */
  SLOW_CONSUMER: 4007,
  /** ws's own code for a frame larger than maxMessageBytes. */
  MESSAGE_TOO_BIG: 1009,
} as const;

export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/** Codes carried by `{type:'error'}` frames (and by audit msgs). */
export const ERROR_CODES = [
  'E_SIGNAL_BINARY',
  'E_SIGNAL_BAD_JSON',
  'E_SIGNAL_BAD_MESSAGE',
  'E_SIGNAL_UNKNOWN_TYPE',
  'E_SIGNAL_BAD_FIELD',
  'E_SIGNAL_SPOOFED_SENDER',
  'E_SIGNAL_VERSION',
  'E_SIGNAL_NOT_JOINED',
  'E_SIGNAL_ALREADY_JOINED',
  'E_SIGNAL_UNKNOWN_SWARM',
  'E_SIGNAL_SWARM_FULL',
  'E_SIGNAL_TOO_MANY_SWARMS',
  'E_SIGNAL_UNAUTHORIZED',
  'E_SIGNAL_UNKNOWN_PEER',
  'E_SIGNAL_NO_OFFER',
  'E_SIGNAL_NO_SESSION',
  'E_SIGNAL_RATE_LIMITED',
  'E_SIGNAL_OFFER_EXPIRED',
  'E_SIGNAL_SESSION_EXPIRED',
  'E_SIGNAL_BUSY',
  'E_RECEIPT_UNKNOWN_SEGMENT',
  'E_RECEIPT_UNKNOWN_UPLOADER',
  'E_RECEIPT_SELF',
  'E_RECEIPT_TOO_MANY_BYTES',
  'E_RECEIPT_DUPLICATE',
  'E_RECEIPT_BEFORE_JOIN',
  'E_RECEIPT_NOT_NEGOTIATED',
  'E_RECEIPT_UNCONFIRMED',
  'E_RECEIPT_OVER_BUDGET',
] as const;

export type SignalErrorCode = (typeof ERROR_CODES)[number];

/**
 * Errors that do not count toward the violation limit: races an honest client can hit (the peer it
 * addressed just left). Receipt rejections are audited separately and count only beyond
 * `receiptRejectsAllowed` per connection (an honest uploader may just have left; a prober keeps going).
 */
export const NOT_A_VIOLATION: ReadonlySet<SignalErrorCode> = new Set<SignalErrorCode>([
  'E_SIGNAL_UNKNOWN_PEER',
  'E_SIGNAL_OFFER_EXPIRED',
  'E_SIGNAL_SESSION_EXPIRED',
  'E_SIGNAL_BUSY',
]);

export type Role = 'viewer' | 'supporter';

/** Field bounds. Every string and array a client sends is checked against one of these. */
export const BOUNDS = {
  idChars: /^[A-Za-z0-9._~-]+$/,
  streamMaxChars: 64,
  /** Stream and rendition ids follow the one id rule of lib/protocol/msgs/ids.ts (isMediaId below). */
  renditionMaxChars: 64,
  supporterIdMaxChars: 64,
  tokenMaxChars: 256,
  /** Server-assigned peer ids: 12 base64url characters (72 random bits). */
  peerId: /^[A-Za-z0-9_-]{12}$/,
  offerId: /^[A-Za-z0-9_-]{1,64}$/,
  sdpMaxChars: 15_000,
  candidateMaxChars: 1_024,
  sdpMidMaxChars: 64,
  ufragMaxChars: 256,
  maxSdpMLineIndex: 255,
  /** have lists, join's have list and peers' exclude list. */
  maxListItems: 64,
  /** Largest counter a stats report may carry (2^53 − 1 is the safe-integer bound). */
  maxCounter: Number.MAX_SAFE_INTEGER,
  /** Largest latency a stats report may carry, in ms (an hour: anything more is a broken clock). */
  maxLatencyMs: 3_600_000,
  maxStalls: 1_000_000,
  maxPeersReported: 1024,
  reportReasons: ['hash', 'size', 'protocol'] as readonly string[],
} as const;

/**
 * Stream and rendition ids: the one id rule every node applies (lib/protocol/msgs/ids.ts), so a rendition
 * hls-watch and manifest accept is one a viewer can join.
 */
export const isMediaId = isContractId;

/**
 * Other ids of the signaling side (supporter ids): 1–`maxChars` characters from [A-Za-z0-9._~-].
 */
export function isId(value: unknown, maxChars: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= maxChars && BOUNDS.idChars.test(value);
}

export interface SegmentAnnouncement {
  stream: string;
  rendition: string;
  /** hls-watch's session id (new at every encoder start): a lower sequence in a new session is a restart. */
  session?: string;
  sequence: number;
  url: string;
  /** Byte length. */
  size: number;
  sha256: string;
  /** Seconds. */
  duration: number;
}

export interface IceCandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

// ---- client → server ---------------------------------------------------------------------------

export interface JoinMessage {
  type: 'join';
  v: number;
  stream: string;
  rendition: string;
  role: Role;
  token?: string;
  have?: number[];
  /** false: this peer uploads nothing (metered link), so the server never names it a fetcher. */
  upload?: boolean;
}
export interface OfferMessage { type: 'offer'; to: string; offerId: string; sdp: string }
export interface AnswerMessage { type: 'answer'; to: string; offerId: string; sdp: string }
export interface IceMessage { type: 'ice'; to: string; offerId: string; candidate: IceCandidateInit | null }
export interface HaveMessage { type: 'have'; sequences: number[] }
export interface ReceiptMessage { type: 'receipt'; sequence: number; from: string; bytes: number }
export interface PeersRequestMessage { type: 'peers'; exclude?: string[] }
/** The uploader's side of a delivery: "I sent `bytes` of segment `sequence` to peer `to`". */
export interface ServedMessage { type: 'served'; sequence: number; to: string; bytes: number }
/** A viewer's running totals since it joined this swarm (bounded, at most one per statsIntervalMs). */
export interface StatsMessage {
  type: 'stats';
  httpBytes: number;
  p2pBytes: number;
  uploadedBytes: number;
  stalls: number;
  peers: number;
  latencyMs?: number;
}
/** "Peer `peer` sent me bytes that failed verification": the reporter has already dropped it. */
export interface ReportMessage { type: 'report'; peer: string; sequence: number; reason: 'hash' | 'size' | 'protocol' }
export interface LeaveMessage { type: 'leave' }
export interface HeartbeatMessage { type: 'heartbeat' }

export type ClientMessage =
  | JoinMessage | OfferMessage | AnswerMessage | IceMessage | HaveMessage
  | ReceiptMessage | PeersRequestMessage | LeaveMessage | HeartbeatMessage
  | ServedMessage | StatsMessage | ReportMessage;

export type ClientMessageType = ClientMessage['type'];

// ---- server → client ---------------------------------------------------------------------------

export interface PeerSummary {
  peer: string;
  role: Role;
  /** Highest segment sequence the peer said it holds, or -1. */
  latest: number;
}

export interface IceServer { urls: string | string[]; username?: string; credential?: string }

/** A playlist version as manifest rendered it, byte for byte; rendition null = the master playlist. */
export interface PlaylistFrame {
  type: 'playlist';
  rendition: string | null;
  text: string;
  ended: boolean;
  /** Media playlists after an earlier one ended: served at `?presentation=N`. Absent = 0. */
  presentation?: number;
}

/** Server → client `segment`: an announcement plus the peers asked to fetch it first over HTTP. */
export interface SegmentFrame extends Omit<SegmentAnnouncement, 'stream'> {
  type: 'segment';
  fetchers: string[];
}

export interface WelcomeMessage {
  type: 'welcome';
  v: number;
  peer: string;
  stream: string;
  rendition: string;
  role: Role;
  peers: PeerSummary[];
  iceServers: IceServer[];
  segments: Array<Omit<SegmentAnnouncement, 'stream'>>;
  /** The latest master playlist of the stream and media playlist of this swarm, when known. */
  playlists: Array<Omit<PlaylistFrame, 'type'>>;
  heartbeatMs: number;
  limits: { maxMessageBytes: number; ratePerSecond: number; burst: number; statsIntervalMs: number };
}

// ---- msgs the node emits ------------------------------------------------------------------------

/** Output 2, one msg per credited receipt, the input of relaycast-payout: declared with its schema. */
export type { ReceiptParty, ReceiptPayload } from '../protocol/msgs';
