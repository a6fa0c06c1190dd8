/**
 * What the coordinator needs from a registry shared by several instances (the Redis registry,
 * redis-registry.ts; docs/signaling-protocol.md section 11). Reads stay those of SwarmRegistry,
 * answered from a local replica; on top of them: who owns a peer of another instance, frames to that
 * instance, frames to every instance, an atomic place reservation on join and the cluster-wide
 * receipt dedupe and byte budget. The coordinator attaches its hooks once, at construction.
 */
import type { PlaylistVersion } from './playlists';
import type { SegmentAnnouncement, SignalErrorCode } from './protocol';
import type { PeerRecord, SwarmInfo, SwarmRegistry } from './registry';

/**
 * A relay frame for a peer of another instance: already validated and `from`-stamped, and
 * serialized once (`text`, what the addressee receives); the fields are what the receiving
 * instance checks before delivering it.
 */
export interface RelayedFrame {
  type: 'offer' | 'answer' | 'ice';
  from: string;
  offerId: string;
  text: string;
}

/** What one instance tells another (kind relay/error/served) or all (segment/playlist). */
export type ClusterMessage =
  /**
   * `unintroduced`: an offer whose sender's instance holds no introduction of the pair (the
   * introduction was made on the addressee's instance): that instance relays it only between neighbours.
   */
  | { kind: 'relay'; to: string; swarmKey: string; frame: RelayedFrame; unintroduced?: true }
  /** A refusal of a relayed frame, for its sender on the instance that relayed it in. */
  | { kind: 'error'; to: string; code: SignalErrorCode; message: string }
  /** An uploader's served claim, for the downloader's instance (which validates the receipt). */
  | { kind: 'served'; to: string; swarmKey: string; rendition: string; from: string; sequence: number; bytes: number; source: string; network: string }
  | { kind: 'segment'; segment: SegmentAnnouncement; fetchers: string[] }
  | { kind: 'playlist'; version: PlaylistVersion };

export type Reservation = 'ok' | 'swarm-full' | 'too-many-swarms';

export interface ClusterHooks {
  /** A message from another instance, for this one. Must not throw (it is guarded anyway). */
  deliver(message: ClusterMessage): void;
  /**
   * The announcement counter now: the join mark given to a peer learned from another instance
   * (marks are per-instance counters, so a remote peer's own mark means nothing here).
   */
  mark(): number;
}

export interface ReceiptClaim {
  /** The rendition's key (renditionKeyOf): sequences are per rendition. */
  swarmKey: string;
  sequence: number;
  sha256: string;
  /** The downloader's source prefix (hashed before it goes to Redis). */
  source: string;
  bytes: number;
  now: number;
}

export interface SharedSwarmRegistry extends SwarmRegistry {
  readonly shared: true;
  attach(hooks: ClusterHooks): void;
  /** The instance that owns a replica member, when that is another instance; undefined for local or unknown peers. */
  remoteOwner(peerId: string): string | undefined;
  /** Reserves the peer's place cluster-wide (atomic capacity check); falls back to the replica when Redis is unreachable. */
  reserve(info: SwarmInfo, peer: PeerRecord): Promise<Reservation>;
  /** Gives back a reservation whose join did not complete (the session closed meanwhile). */
  release(peer: PeerRecord): void;
  /** A message for one other instance; false when it cannot be sent now (Redis unreachable). */
  sendTo(instance: string, message: ClusterMessage): boolean;
  /** A message for every other instance. */
  broadcast(message: ClusterMessage): void;
  /**
   * Cluster-wide "one receipt per segment per source" and the per-source byte budget: the bytes
   * granted (0 = budget spent), 'duplicate', or 'unavailable' when Redis cannot be asked.
   */
  claimReceipt(claim: ReceiptClaim, bytesPerPeriod: number, periodMs: number): Promise<number | 'duplicate' | 'unavailable'>;
}

export function isShared(registry: SwarmRegistry): registry is SharedSwarmRegistry {
  return (registry as Partial<SharedSwarmRegistry>).shared === true;
}
