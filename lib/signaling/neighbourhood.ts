/**
 * Neighbourhood: who is introduced to whom, and what happens to a departed peer's neighbours. Each
 * introduction links the two peers as neighbours (two-way, bounded); when a peer leaves, its
 * neighbours hear `peer-left` and are linked to each other in a ring through `replacement`, so that
 * a departed peer that was the only path between parts of the swarm does not split it.
 *
 * Neighbours are also the only peers a peer may send offers to (relay.ts), so they are what bounds
 * whose address it can learn: at most limits.maxNeighbours at a time, at most neighboursPerNetwork
 * from any other network (a client holding many connections from one network takes that many places
 * in a victim's set; peers of one's own network are not limited so, or a LAN would barely link), and over
 * time no more networks than the exposure ledger allows. Viewers that opted out (join `p2p: false`)
 * and viewers of a stream with P2P off are introduced to no one.
 */
import type { AnnouncementStore } from './announcements';
import type { ExposureLedger } from './exposure';
import { selectPeers, summarize } from './peer-selection';
import type { PeerSummary } from './protocol';
import type { PeerRecord, SwarmRegistry } from './registry';
import type { Session, SignalingContext } from './session';
import { encodeServerFrame, type ServerFrameOf } from '../protocol';

/**
 * A supporter's bound. Supporters hold tokens the operator issued (accountable identities, there to
 * serve many viewers): they are not held to K nor to the exposure ledger, and the README says so.
 */
const MAX_SUPPORTER_NEIGHBOURS = 64;

export class Neighbourhood {
  constructor(
    private readonly ctx: SignalingContext,
    private readonly registry: SwarmRegistry,
    private readonly announcements: AnnouncementStore,
    private readonly random: () => number,
    private readonly exposure: ExposureLedger,
  ) {}

  /**
   * Picks peers for `peer`, records who now knows whom, and returns their summaries. `refresh` (a
   * `peers` request): neighbours the asker does not list in `exclude` are ones it gave up on, and
   * are dropped first to make room.
   */
  introduce(session: Session, peer: PeerRecord, exclude: ReadonlySet<string>, refresh = false): PeerSummary[] {
    if (!this.mayLink(peer)) return [];
    if (refresh) for (const id of [...(session.neighbours ?? [])]) if (!exclude.has(id)) this.unlink(session, peer.id, id);
    const room = capOf(peer, this.ctx.limits.maxNeighbours) - (session.neighbours?.size ?? 0);
    if (room <= 0) return [];
    const now = this.ctx.now();
    const remembered: PeerRecord[] = [];
    for (const id of this.exposure.remembered(peer.swarmKey, networkOf(peer), now)) {
      const other = this.registry.getPeer(peer.swarmKey, id);
      if (other) remembered.push(other);
    }
    const chosen = selectPeers(this.registry, peer.swarmKey, peer.id, exclude, {
      max: Math.min(this.ctx.limits.peersPerList, room),
      sampleSize: this.ctx.limits.selectionSample,
      latestSequence: this.announcements.latestSequence(peer.renditionKey),
      rendition: peer.rendition,
      random: this.random,
      remembered,
      eligible: (other) => this.mayMeet(session, peer, this.ctx.sessionOf(other.id), other, now),
    });
    for (const other of chosen) {
      other.introductions++;
      this.link(session, peer, this.ctx.sessionOf(other.id), other, now);
    }
    return chosen.map(summarize);
  }

  /**
   * Tells the departed peer's neighbours that it left, and links them to each other in a ring
   * (each gets the next one as `replacement`, when the two may meet).
   */
  bridge(session: Session, departed: PeerRecord): void {
    const neighbours = session.neighbours;
    session.neighbours = undefined;
    if (!neighbours) return;
    const alive: Session[] = [];
    for (const neighbourId of neighbours) {
      const neighbour = this.ctx.sessionOf(neighbourId);
      if (neighbour?.peer && neighbour.peer.swarmKey === departed.swarmKey) {
        neighbour.neighbours?.delete(departed.id);
        alive.push(neighbour);
      }
    }
    const now = this.ctx.now();
    for (let i = 0; i < alive.length; i++) {
      const neighbour = alive[i];
      const next = alive.length > 1 ? alive[(i + 1) % alive.length] : undefined;
      const frame: ServerFrameOf<'peer-left'> = { type: 'peer-left', peer: departed.id };
      const mine = neighbour.peer;
      if (next?.peer && mine && this.mayLink(mine) && this.mayMeet(neighbour, mine, next, next.peer, now)) {
        frame.replacement = summarize(next.peer);
        this.link(neighbour, mine, next, next.peer, now);
      }
      this.ctx.send(neighbour, encodeServerFrame(frame));
    }
  }

  /**
   * Whether the peer may have neighbours at all: not opted out, its stream's P2P not turned off, and
   * the swarm large enough for links (limits.minSwarmForLinks) or holding a supporter to link to.
   */
  private mayLink(peer: PeerRecord): boolean {
    if (peer.p2p === false || this.p2pOff(peer.swarmKey)) return false;
    return this.registry.peerCount(peer.swarmKey) >= this.ctx.limits.minSwarmForLinks || this.registry.supporters(peer.swarmKey).length > 0;
  }

  private p2pOff(swarmKey: string): boolean {
    const off = this.ctx.limits.p2pOffStreams;
    // One swarm per stream: its key is the stream (registry.swarmKeyOf).
    return off.length > 0 && off.includes(swarmKey);
  }

  /**
   * Whether `other` may be introduced to `peer`: not opted out, not already a neighbour, neither holding
   * limits.neighboursPerNetwork neighbours from the other's network yet (unless both are of one
   * network), and (between viewers) the exposure ledger has room.
   * `otherSession` is undefined for a peer of another instance: its own set is that instance's.
   */
  private mayMeet(session: Session, peer: PeerRecord, otherSession: Session | undefined, other: PeerRecord, now: number): boolean {
    if (other.p2p === false || session.neighbours?.has(other.id)) return false;
    if (peer.role === 'supporter' || other.role === 'supporter') return true;
    // Within one network (a LAN, one machine's tabs) the per-network rule would leave a link or two each.
    if (networkOf(other) !== networkOf(peer)) {
      if (this.hasNeighbourFrom(session, networkOf(other))) return false;
      if (otherSession && this.hasNeighbourFrom(otherSession, networkOf(peer))) return false;
    }
    return this.exposure.mayMeet(peer.swarmKey, networkOf(peer), networkOf(other), now);
  }

  /** Whether the session already has limits.neighboursPerNetwork viewer neighbours from `network`. */
  private hasNeighbourFrom(session: Session, network: string): boolean {
    let count = 0;
    for (const id of session.neighbours ?? []) {
      const neighbour = this.ctx.sessionOf(id)?.peer ?? (session.peer && this.registry.getPeer(session.peer.swarmKey, id));
      if (neighbour && neighbour.role !== 'supporter' && networkOf(neighbour) === network) count++;
    }
    return count >= this.ctx.limits.neighboursPerNetwork;
  }

  /**
   * Makes two peers neighbours of each other and records the meeting. A full set drops its oldest
   * neighbour, and that neighbour forgets it too, so every link stays two-way: a one-way link would
   * leave the other side out of the bridging when this peer leaves. (An open WebRTC link outlives
   * the drop: neighbours bound who may be offered to, not the data.) A peer of another instance is
   * recorded on this side only.
   */
  private link(first: Session, firstPeer: PeerRecord, second: Session | undefined, secondPeer: PeerRecord, now: number): void {
    if (firstPeer.role !== 'supporter' && secondPeer.role !== 'supporter') {
      this.exposure.meet(firstPeer.swarmKey, networkOf(firstPeer), firstPeer.id, networkOf(secondPeer), secondPeer.id, now);
    }
    this.add(first, firstPeer, secondPeer.id);
    if (second) this.add(second, secondPeer, firstPeer.id);
  }

  private add(session: Session, own: PeerRecord, other: string): void {
    const set = session.neighbours ?? (session.neighbours = new Set());
    set.delete(other);
    set.add(other);
    while (set.size > capOf(own, this.ctx.limits.maxNeighbours)) {
      const oldest = set.values().next().value as string;
      set.delete(oldest);
      this.ctx.sessionOf(oldest)?.neighbours?.delete(own.id);
    }
  }

  private unlink(session: Session, ownId: string, other: string): void {
    session.neighbours?.delete(other);
    this.ctx.sessionOf(other)?.neighbours?.delete(ownId);
  }
}

function capOf(peer: PeerRecord, maxNeighbours: number): number {
  return peer.role === 'supporter' ? MAX_SUPPORTER_NEIGHBOURS : maxNeighbours;
}

/** A peer whose network is unknown (a record from an instance that does not carry it) counts as a network of its own. */
function networkOf(peer: PeerRecord): string {
  return peer.network ?? `peer:${peer.id}`;
}
