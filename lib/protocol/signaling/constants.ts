/**
 * The signaling protocol's numbers: its version, close codes, error codes and field bounds. The one
 * place they are declared; the server (lib/signaling), the peer (lib/peer), the supporter and the
 * viewer import them from here. docs/signaling-protocol.md is the prose; test/unit/protocol/docs.spec.ts
 * fails when the two drift apart.
 */

export const PROTOCOL_VERSION = 4;

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

/** Closes after which reconnecting at once would only repeat the refusal: a client backs off longest. */
export const POLICY_CLOSE_CODES: ReadonlySet<number> = new Set<number>([CLOSE_CODES.POLICY_VIOLATION, CLOSE_CODES.RATE_LIMITED]);

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
 * Errors that never count toward the violation limit: races an honest client can hit (the peer it
 * addressed just left).
 */
export const NOT_A_VIOLATION: ReadonlySet<SignalErrorCode> = new Set<SignalErrorCode>([
  'E_SIGNAL_UNKNOWN_PEER',
  'E_SIGNAL_OFFER_EXPIRED',
  'E_SIGNAL_SESSION_EXPIRED',
  'E_SIGNAL_BUSY',
  'E_SIGNAL_UNKNOWN_SWARM',
  'E_SIGNAL_SWARM_FULL',
  'E_SIGNAL_TOO_MANY_SWARMS',
]);

/**
 * Receipt refusals an honest client cannot avoid, so they never count as violations however many
 * there are: viewers behind one NAT share a source (DUPLICATE, OVER_BUDGET for every segment, all
 * day); the uploader may have joined after the announcement (BEFORE_JOIN: the downloader cannot see
 * when its uploader joined), may just have left (UNKNOWN_UPLOADER) or never sent its served claim
 * (UNCONFIRMED). Counting them would close every household with several viewers. The other receipt
 * refusals are what only a dishonest client sends; they count past `receiptRejectsAllowed` per source.
 */
export const HONEST_RECEIPT_REFUSALS: ReadonlySet<SignalErrorCode> = new Set<SignalErrorCode>([
  'E_RECEIPT_DUPLICATE',
  'E_RECEIPT_OVER_BUDGET',
  'E_RECEIPT_BEFORE_JOIN',
  'E_RECEIPT_UNKNOWN_UPLOADER',
  'E_RECEIPT_UNCONFIRMED',
]);

/**
 * Errors that answer a join (section 8). While a join is in flight a client sends nothing else, so one
 * of these then means the join was refused; other codes answer earlier frames.
 */
export const JOIN_REFUSALS: ReadonlySet<string> = new Set<SignalErrorCode>([
  'E_SIGNAL_BAD_JSON',
  'E_SIGNAL_BAD_MESSAGE',
  'E_SIGNAL_UNKNOWN_TYPE',
  'E_SIGNAL_BAD_FIELD',
  'E_SIGNAL_VERSION',
  'E_SIGNAL_UNKNOWN_SWARM',
  'E_SIGNAL_SWARM_FULL',
  'E_SIGNAL_TOO_MANY_SWARMS',
  'E_SIGNAL_UNAUTHORIZED',
  'E_SIGNAL_RATE_LIMITED',
]);

/** A peer's role in a swarm; also carried by the receipt msg's parties (lib/protocol/msgs/receipt.ts). */
export const ROLES = ['viewer', 'supporter'] as const;
export type Role = (typeof ROLES)[number];

/** Field bounds. Every string, number and list a client sends is checked against one of these. */
export const BOUNDS = {
  tokenMinChars: 16,
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
  /** Peer links a stats report's ICE outcome may count (connected, failed, per pair type) since the join. */
  maxLinksReported: 1_000_000,
  /** Candidate types, as RTCIceCandidate.type names them; a selected pair is counted by its less direct end. */
  candidateTypes: ['host', 'srflx', 'prflx', 'relay'] as const,
  /** Largest spare upload a stats report may claim, bytes/s (125,000,000 = 1 Gb/s: more is not a home uplink). */
  maxSpareUploadBytesPerSecond: 125_000_000,
  reportReasons: ['hash', 'size', 'protocol'] as const,
  /** Larger playlists (long DVR windows) are not pushed: clients load those over HTTP. UTF-8 bytes. */
  maxPushedPlaylistBytes: 256 * 1024,
  /** Edits a `playlist-delta` may carry (runs kept, runs dropped, lines inserted); a bigger change is sent whole. */
  maxPlaylistEdits: 256,
  /** Largest `ageMs` a pushed playlist may carry (an hour: a copy that old is stale anyway). */
  maxPlaylistAgeMs: 3_600_000,
  /** Fetchers named per announcement: one per `membersPerFetcher` members, at least one, at most this. */
  maxFetchers: 4,
  membersPerFetcher: 32,
  /** Segments a peer remembers having been announced while it was joined (the server's receipt window). */
  receiptWindow: 64,
} as const;
