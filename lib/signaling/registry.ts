/**
 * Swarm membership behind an interface. The in-memory registry is what one Node-RED instance uses;
 * a Redis-backed registry (docs/signaling-protocol.md, "Several instances") implements the same
 * interface over a local replica kept current through pub/sub, so reads stay synchronous on the
 * relay hot path and only membership changes cross the network.
 */
import type { Role } from './protocol';

export interface PeerRecord {
  id: string;
  role: Role;
  /** Supporter identity issued by the operator (never the token itself). */
  supporter?: string;
  /** The swarm: one per stream (swarmKeyOf), whatever rendition each member plays. */
  swarmKey: string;
  /** The rendition the peer plays now; it changes on a level switch, the swarm does not. */
  rendition: string;
  /**
   * renditionKeyOf(stream, rendition): what the per-rendition state is keyed by (announcements,
   * fetchers, receipt dedupe, audience figures). Kept with `rendition`.
   */
  renditionKey: string;
  /** Highest segment sequence of its rendition the peer reported holding; -1 when none. */
  latest: number;
  /** How many peers have been given this peer in a list (load spreading for peer selection). */
  introductions: number;
  joinedAt: number;
  /**
   * The announcement counter when the peer joined or last switched rendition: only segments
   * announced later can be receipted by or for it (a fresh join, or a peer new to a rendition, earns
   * nothing for segments it could not have helped spread).
   */
  joinMark: number;
  /** false when the peer said it uploads nothing (join `upload: false`): never named a fetcher. */
  uploads?: boolean;
  /** false when the viewer opted out of P2P (join `p2p: false`): introduced to no one, its address given to no one. */
  p2p?: false;
  /** Network tag of the peer's address (network-tags.ts): what the exposure ledger counts it by. */
  network?: string;
  /**
   * Upload capacity (bytes/s) measured but unused, from the peer's last stats report; undefined
   * until it reports one. A shared registry passes it on to the other instances (spare-writes.ts:
   * on a change that matters, at most once per statsIntervalMs).
   */
  spareUpload?: number;
}

export interface SwarmInfo {
  key: string;
  stream: string;
}

export interface SwarmRegistry {
  /** Creates the swarm if needed; false when the swarm limit is reached. */
  ensureSwarm(info: SwarmInfo): boolean;
  hasSwarm(key: string): boolean;
  /** Adds a peer to an existing swarm; false when the swarm is full. */
  addPeer(peer: PeerRecord): boolean;
  /** The peer (a member) switched rendition: its record already says so; a shared registry tells the others. */
  renditionChanged(peer: PeerRecord): void;
  /** The peer (a member) reported a new spare upload figure: its record already says so. */
  spareChanged(peer: PeerRecord): void;
  /** Removes a peer; an emptied swarm is dropped. Returns the remaining peer count of its swarm. */
  removePeer(peer: PeerRecord): number;
  getPeer(swarmKey: string, peerId: string): PeerRecord | undefined;
  peerCount(swarmKey: string): number;
  /** Supporters of a swarm (usually few). */
  supporters(swarmKey: string): readonly PeerRecord[];
  /** Up to `count` members picked uniformly at random (with `random` ∈ [0,1)). */
  sample(swarmKey: string, count: number, random: () => number): PeerRecord[];
  /** Every member (for announcements). */
  members(swarmKey: string): readonly PeerRecord[];
  swarmCount(): number;
  totalPeers(): number;
}

/** One swarm per stream: a level switch keeps the peer's links, and a ladder does not split a small audience. */
export function swarmKeyOf(stream: string): string {
  return stream;
}

export function renditionKeyOf(stream: string, rendition: string): string {
  // '/' cannot occur in either id (the one id rule, lib/protocol/msgs/ids.ts), so the key is unambiguous.
  return `${stream}/${rendition}`;
}

interface SwarmState {
  info: SwarmInfo;
  /** Dense array with swap-remove so that sampling and removal are O(1). */
  members: PeerRecord[];
  index: Map<string, number>;
  supporters: PeerRecord[];
}

export interface InMemoryRegistryLimits {
  maxSwarms: number;
  maxPeersPerSwarm: number;
}

export class InMemorySwarmRegistry implements SwarmRegistry {
  private readonly swarms = new Map<string, SwarmState>();
  private total = 0;

  constructor(private readonly limits: InMemoryRegistryLimits) {}

  ensureSwarm(info: SwarmInfo): boolean {
    if (this.swarms.has(info.key)) return true;
    if (this.swarms.size >= this.limits.maxSwarms) return false;
    this.swarms.set(info.key, { info, members: [], index: new Map(), supporters: [] });
    return true;
  }

  hasSwarm(key: string): boolean {
    return this.swarms.has(key);
  }

  addPeer(peer: PeerRecord): boolean {
    const swarm = this.swarms.get(peer.swarmKey);
    if (!swarm) return false;
    if (swarm.index.has(peer.id)) return true;
    if (swarm.members.length >= this.limits.maxPeersPerSwarm) return false;
    swarm.index.set(peer.id, swarm.members.length);
    swarm.members.push(peer);
    if (peer.role === 'supporter') swarm.supporters.push(peer);
    this.total++;
    return true;
  }

  renditionChanged(): void {
    // The record is the registry's own object: nothing else to update in one process.
  }

  spareChanged(): void {
    // As renditionChanged: the record is the one fetcher choice reads.
  }

  removePeer(peer: PeerRecord): number {
    const swarm = this.swarms.get(peer.swarmKey);
    if (!swarm) return 0;
    const at = swarm.index.get(peer.id);
    if (at === undefined) return swarm.members.length;
    const last = swarm.members.pop()!;
    if (last.id !== peer.id) {
      swarm.members[at] = last;
      swarm.index.set(last.id, at);
    }
    swarm.index.delete(peer.id);
    if (peer.role === 'supporter') {
      const position = swarm.supporters.indexOf(peer);
      if (position >= 0) swarm.supporters.splice(position, 1);
    }
    this.total--;
    if (swarm.members.length === 0) this.swarms.delete(peer.swarmKey);
    return swarm.members.length;
  }

  getPeer(swarmKey: string, peerId: string): PeerRecord | undefined {
    const swarm = this.swarms.get(swarmKey);
    if (!swarm) return undefined;
    const at = swarm.index.get(peerId);
    return at === undefined ? undefined : swarm.members[at];
  }

  peerCount(swarmKey: string): number {
    return this.swarms.get(swarmKey)?.members.length ?? 0;
  }

  supporters(swarmKey: string): readonly PeerRecord[] {
    return this.swarms.get(swarmKey)?.supporters ?? [];
  }

  sample(swarmKey: string, count: number, random: () => number): PeerRecord[] {
    const swarm = this.swarms.get(swarmKey);
    if (!swarm) return [];
    const n = swarm.members.length;
    if (n <= count) return swarm.members.slice();
    // Floyd's algorithm: `count` distinct indices without touching the other n − count members.
    const chosen = new Set<number>();
    for (let j = n - count; j < n; j++) {
      const t = Math.floor(random() * (j + 1));
      chosen.add(chosen.has(t) ? j : t);
    }
    const out: PeerRecord[] = [];
    for (const i of chosen) out.push(swarm.members[i]);
    return out;
  }

  members(swarmKey: string): readonly PeerRecord[] {
    return this.swarms.get(swarmKey)?.members ?? [];
  }

  swarmCount(): number {
    return this.swarms.size;
  }

  totalPeers(): number {
    return this.total;
  }
}
