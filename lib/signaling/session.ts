/**
 * What the coordinator's parts share: one connection's state (Session), the transport it answers
 * through, the events it reports, and the context every part uses to answer, refuse or audit.
 */
import type { SharedSwarmRegistry } from './cluster';
import type { ReceiptMessage, Role, SignalErrorCode } from './protocol';
import type { TokenBucketState } from './rate-limiter';
import type { SignalingLimits } from './limits';
import type { PeerRecord } from './registry';
import type { IceAllowance, PendingOffers } from './relay-policy';
import type { SourceEntry } from './source-budgets';

/** One client connection as the coordinator sees it. */
export interface Transport {
  send(text: string): void;
  close(code: number, reason: string): void;
  /** Liveness probe (a ws ping); the transport reports the answer through coordinator.touch(). */
  ping?(): void;
  /** Bytes queued for this connection and not yet written. */
  bufferedAmount(): number;
}

export interface SwarmEvent {
  event: 'join' | 'leave';
  stream: string;
  rendition: string;
  peer: string;
  role: Role;
  supporter?: string;
  /** For leave: 'leave' | 'disconnect' | a close reason. */
  reason?: string;
  swarmPeers: number;
  totalPeers: number;
  swarms: number;
}

export interface AuditEvent {
  kind: 'violation' | 'receipt' | 'closed' | 'report' | 'session';
  code: string;
  message: string;
  /** The client's address; absent for events of the operator's own input (kind 'session'). */
  ip?: string;
  peer?: string;
  stream?: string;
  rendition?: string;
  receipt?: ReceiptMessage;
  /**
   * A throttled record: how many refusals it stands for (a refused upgrade: the ones of the last
   * second; honest receipt refusals: the ones of the last minute from this source, refusal-audit.ts).
   */
  repeated?: number;
  /** kind 'report': the peer accused of sending bad data, and the segment. */
  accused?: string;
  sequence?: number;
}

export interface Session {
  readonly transport: Transport;
  readonly ip: string;
  /** The client's source prefix (IPv4 /32, IPv6 /64): what per-address limits and receipt dedupe key on. */
  readonly source: string;
  /** What the client's source may still do, over all its connections. */
  readonly budget: SourceEntry;
  /** Keyed hash of the client's network prefix, carried on its receipts. */
  readonly network: string;
  /** The host the client reached the server at (its checked Host header), for the built-in STUN entry. */
  readonly host?: string;
  readonly connectedAt: number;
  lastSeen: number;
  bucket: TokenBucketState;
  violations: number;
  /** A supporter token is being verified (the join is in flight). */
  joining: boolean;
  closed: boolean;
  peer?: PeerRecord;
  stream?: string;
  rendition?: string;
  /** Offers this peer may still receive (limits.offersPerSecondToPeer). Lazy. */
  offerIntake?: TokenBucketState;
  /** Offers relayed TO this peer awaiting its answer. Lazy. */
  pendingOffers?: PendingOffers;
  /** Peers this one has offers pending at: freed when it leaves. Lazy, bounded. */
  offersSentTo?: Set<string>;
  /** Peers this one may exchange ICE with (an offer or answer passed between them lately). Lazy. */
  iceAllowed?: IceAllowance;
  /** Peers this one had an offer relayed with AND answered: receipts between them may be credited. Lazy, bounded. */
  negotiated?: Set<string>;
  /**
   * Peers introduced to or by this one (either side got the other in a list): its likely WebRTC
   * neighbours, told when it leaves and bridged to each other. Lazy, bounded, always two-way.
   */
  neighbours?: Set<string>;
  /** When the peer joined or last switched rendition: its stats reports count what it played since. */
  playingSince?: number;
  /** When this peer's last stats report was accepted. */
  lastStatsAt?: number;
  /** When this peer last asked for whole playlists (`resync`). */
  lastResyncAt?: number;
  /** Uploader claims (`served`) of this peer, `${sequence}\n${downloader}` → bytes. Lazy, bounded. */
  served?: Map<string, number>;
  /**
   * Served claims of uploaders on other instances for this downloader (several instances share a
   * registry): `${uploader}\n${sequence}` → bytes and the uploader's source and network. Lazy, bounded.
   */
  remoteClaims?: Map<string, { bytes: number; source: string; network: string }>;
  /** Receipts waiting for the uploader's served claim: `${uploader}\n${sequence}` → receipt and deadline. Lazy, bounded. */
  heldReceipts?: Map<string, { receipt: ReceiptMessage; until: number }>;
}

/** The services every part of the coordinator answers through. */
export interface SignalingContext {
  readonly limits: SignalingLimits;
  now(): number;
  /** The session of a joined peer, by peer id. */
  sessionOf(peerId: string): Session | undefined;
  send(session: Session, frame: string): void;
  /** An `error` frame that is not a violation. */
  error(session: Session, code: SignalErrorCode, message: string): void;
  /** Counted (unless the code is an honest race), audited, and closing past the limit. */
  violation(session: Session, code: SignalErrorCode, message: string, flood?: boolean): void;
  audit(event: AuditEvent): void;
  /** The registry shared with other instances, when there is one (cluster.ts). */
  readonly cluster?: SharedSwarmRegistry;
}
