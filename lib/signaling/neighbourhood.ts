/**
 * Neighbourhood: who is introduced to whom, and what happens to a departed peer's neighbours. Each
 * introduction links the two peers as neighbours (two-way, bounded); when a peer leaves, its
 * neighbours hear `peer-left` and are linked to each other in a ring through `replacement`, so that
 * a departed peer that was the only path between parts of the swarm does not split it.
 */
import type { AnnouncementStore } from './announcements';
import { selectPeers, summarize } from './peer-selection';
import type { PeerSummary } from './protocol';
import type { PeerRecord, SwarmRegistry } from './registry';
import type { Session, SignalingContext } from './session';
import { encodeServerFrame, type ServerFrameOf } from '../protocol';

const MAX_NEIGHBOURS = 64;

export class Neighbourhood {
  constructor(
    private readonly ctx: SignalingContext,
    private readonly registry: SwarmRegistry,
    private readonly announcements: AnnouncementStore,
    private readonly random: () => number,
  ) {}

  /** Picks peers for `peer`, records who now knows whom, and returns their summaries. */
  introduce(session: Session, peer: PeerRecord, exclude: ReadonlySet<string>): PeerSummary[] {
    if (!this.linksHelp(peer.swarmKey)) return [];
    const chosen = selectPeers(this.registry, peer.swarmKey, peer.id, exclude, {
      max: this.ctx.limits.peersPerList,
      sampleSize: this.ctx.limits.selectionSample,
      latestSequence: this.announcements.latestSequence(peer.renditionKey),
      rendition: peer.rendition,
      random: this.random,
    });
    for (const other of chosen) {
      other.introductions++;
      const otherSession = this.ctx.sessionOf(other.id);
      if (otherSession) this.link(session, peer.id, otherSession, other.id);
    }
    return chosen.map(summarize);
  }

  /**
   * Tells the departed peer's neighbours that it left, and links them to each other in a ring
   * (each gets the next one as `replacement`).
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
    for (let i = 0; i < alive.length; i++) {
      const neighbour = alive[i];
      const next = alive.length > 1 ? alive[(i + 1) % alive.length] : undefined;
      const frame: ServerFrameOf<'peer-left'> = { type: 'peer-left', peer: departed.id };
      if (next?.peer && neighbour.peer && this.linksHelp(departed.swarmKey)) {
        frame.replacement = summarize(next.peer);
        this.link(neighbour, neighbour.peer.id, next, next.peer.id);
      }
      this.ctx.send(neighbour, encodeServerFrame(frame));
    }
  }

  /** Whether the swarm is large enough for links (limits.minSwarmForLinks), or has a supporter to link to. */
  private linksHelp(swarmKey: string): boolean {
    return this.registry.peerCount(swarmKey) >= this.ctx.limits.minSwarmForLinks || this.registry.supporters(swarmKey).length > 0;
  }

  /**
   * Makes two sessions neighbours of each other. A full set drops its oldest neighbour, and that
   * neighbour forgets it too, so every link stays two-way: a one-way link would leave the other side
   * out of the bridging when this peer leaves.
   */
  private link(first: Session, firstId: string, second: Session, secondId: string): void {
    const firstSet = first.neighbours ?? (first.neighbours = new Set());
    const secondSet = second.neighbours ?? (second.neighbours = new Set());
    firstSet.delete(secondId);
    firstSet.add(secondId);
    secondSet.delete(firstId);
    secondSet.add(firstId);
    for (const [set, ownId] of [
      [firstSet, firstId],
      [secondSet, secondId],
    ] as const) {
      while (set.size > MAX_NEIGHBOURS) {
        const oldest = set.values().next().value as string;
        set.delete(oldest);
        this.ctx.sessionOf(oldest)?.neighbours?.delete(ownId);
      }
    }
  }
}
