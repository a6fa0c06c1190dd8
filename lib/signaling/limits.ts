import { BOUNDS } from '../protocol';

/** Every limit the coordinator enforces, with the defaults the node ships. */
export interface SignalingLimits {
  /** Largest frame accepted, in bytes; a larger one closes the connection with CLOSE_CODES.MESSAGE_TOO_BIG. */
  maxMessageBytes: number;
  /** Sustained messages per second per connection … */
  ratePerSecond: number;
  /** … and the burst above it (token-bucket capacity). */
  burst: number;
  maxPeersPerSwarm: number;
  maxSwarms: number;
  /** 0 = unlimited. */
  maxConnectionsPerIp: number;
  /** Exact Origin header values; empty = any origin (and none) accepted. */
  allowedOrigins: string[];
  /** Violations tolerated per connection before it is closed (CLOSE_CODES.POLICY_VIOLATION, or RATE_LIMITED for floods). */
  maxViolations: number;
  /** Most peers in a welcome or peers reply. */
  peersPerList: number;
  /**
   * K: most neighbours one peer has at a time (peers introduced to it or it to them). Offers are
   * relayed only between neighbours, so no peer learns the address of more than K others at once.
   */
  maxNeighbours: number;
  /**
   * Most neighbours one viewer has from any one other network: a client holding many connections
   * from one network takes this many places in another viewer's set, not all of them.
   */
  neighboursPerNetwork: number;
  /**
   * Distinct networks (networkPrefixV4/V6) the peers of one network may be introduced to in one
   * stream within exposureWindowMs: what one client learns by leaving and rejoining (exposure.ts).
   */
  exposureNetworks: number;
  exposureWindowMs: number;
  /** Joins per network (networkPrefixV4/V6), over all its addresses and connections: sustained per minute, and burst. */
  joinsPerNetworkPerMinute: number;
  joinBurstPerNetwork: number;
  /** Streams whose viewers are never introduced to each other (P2P off: everyone plays over HTTP). */
  p2pOffStreams: string[];
  /** Members sampled before scoring when choosing peers (bounds join cost in large swarms). */
  selectionSample: number;
  /**
   * Members a swarm needs before its peers are introduced to each other (a supporter in the swarm
   * lifts it). Below it nobody links: each viewer plays over HTTP with no WebRTC set-up at all.
   */
  minSwarmForLinks: number;
  /** Latest announcements sent in a welcome. */
  segmentsInWelcome: number;
  /** Announcements kept per swarm (receipts are accepted for these). */
  receiptWindow: number;
  /** Server ping interval; a peer silent for peerTimeoutMs is evicted. */
  heartbeatMs: number;
  peerTimeoutMs: number;
  /** A connection must join within this time. */
  joinTimeoutMs: number;
  /** How long an offer waits for its answer (and how long ICE may flow after it). */
  offerTtlMs: number;
  /** Pending offers per receiving peer; beyond it new offers get E_SIGNAL_BUSY (none is evicted). */
  maxPendingOffers: number;
  /** Pending offers per sender→receiver pair (more are refused with E_SIGNAL_BUSY). */
  maxPendingOffersPerPair: number;
  /**
   * Offers relayed to one peer per second, and burst, from all peers it has not negotiated with: what
   * many attackers can make a victim receive is bounded however many identities they hold.
   */
  offersPerSecondToPeer: number;
  offerBurstToPeer: number;
  /** Server→client bytes queued on one connection before it is closed as a slow consumer. */
  maxBufferedBytes: number;
  /** A viewer's stats report is accepted at most once per this interval (half of it, for timer jitter). */
  statsIntervalMs: number;
  /** false: peers may only join swarms that have had a segment announced (no swarm squatting). */
  openSwarms: boolean;
  /** How long a receipt waits for the uploader's `served` claim before it is refused as unconfirmed. */
  receiptHoldMs: number;
  /** Receipts one connection may have waiting for their served claim (more are refused at once). */
  maxHeldReceipts: number;
  /** Bytes credited per downloader source (see sourcePrefixV4/V6) per receipt period. */
  receiptBytesPerPeriod: number;
  /** Length of a receipt period, aligned to the epoch (1 h: periods start on the hour, UTC). */
  receiptPeriodMs: number;
  /** Rejected receipts a source may file (refilled over 10 minutes) before each further one counts as a violation. */
  receiptRejectsAllowed: number;
  /** Prefix lengths a network tag covers (a household or an office, roughly). */
  networkPrefixV4: number;
  networkPrefixV6: number;
  /** Prefix lengths that make one client source for every per-address limit (IPv6 /64: one home's block). */
  sourcePrefixV4: number;
  sourcePrefixV6: number;
  /** Connection attempts per source: sustained rate and burst (a reconnect storm is refused with 429). */
  upgradesPerSecond: number;
  upgradeBurst: number;
  /** Messages per source over all its connections: reconnecting buys no fresh burst. */
  sourceRatePerSecond: number;
  sourceBurst: number;
  /** Violations per source before its upgrades are refused, refilled at violationRefillPerMinute. */
  maxSourceViolations: number;
  violationRefillPerMinute: number;
  /** Sources tracked at once (idle ones are dropped first; beyond it upgrades get 503). */
  maxSources: number;
}

export const DEFAULT_LIMITS: Readonly<SignalingLimits> = Object.freeze({
  maxMessageBytes: 16 * 1024,
  ratePerSecond: 20,
  burst: 100,
  maxPeersPerSwarm: 5000,
  maxSwarms: 200,
  maxConnectionsPerIp: 20,
  allowedOrigins: [],
  maxViolations: 10,
  peersPerList: 20,
  // Eight at a time, of at most ten networks per stream per hour: the peer engine wants six links and
  // keeps up to ten, and ten an hour is what issue 24 asks one client can learn; the two spare let a
  // viewer replace neighbours that leave.
  maxNeighbours: 8,
  // Two: a household's two screens may both link to one viewer; a harvester takes two places of eight.
  neighboursPerNetwork: 2,
  exposureNetworks: 10,
  exposureWindowMs: 3_600_000,
  // A network is a /24 or /48: room for a household or an office (and a mobile carrier's NAT) to
  // rejoin after a network change, far below a reconnect loop.
  joinsPerNetworkPerMinute: 60,
  joinBurstPerNetwork: 120,
  p2pOffStreams: [],
  selectionSample: 64,
  // Three: with two viewers one uploads the whole stream to the other, which a home uplink of 1-2 Mb/s
  // cannot spare for a 2-3 Mb/s stream, for a saving of one stream's HTTP. A LAN or one machine (the
  // demo's two tabs) sets 2.
  minSwarmForLinks: 3,
  segmentsInWelcome: 5,
  receiptWindow: BOUNDS.receiptWindow,
  heartbeatMs: 15_000,
  peerTimeoutMs: 45_000,
  joinTimeoutMs: 10_000,
  offerTtlMs: 30_000,
  maxPendingOffers: 64,
  maxPendingOffersPerPair: 4,
  offersPerSecondToPeer: 10,
  offerBurstToPeer: 40,
  maxBufferedBytes: 1024 * 1024,
  statsIntervalMs: 5_000,
  openSwarms: false,
  receiptHoldMs: 10_000,
  maxHeldReceipts: 32,
  receiptBytesPerPeriod: 4 * 1024 ** 3,
  receiptPeriodMs: 3_600_000,
  receiptRejectsAllowed: 16,
  networkPrefixV4: 24,
  networkPrefixV6: 48,
  sourcePrefixV4: 32,
  sourcePrefixV6: 64,
  upgradesPerSecond: 5,
  upgradeBurst: 30,
  sourceRatePerSecond: 100,
  sourceBurst: 500,
  maxSourceViolations: 30,
  violationRefillPerMinute: 6,
  maxSources: 200_000,
});
