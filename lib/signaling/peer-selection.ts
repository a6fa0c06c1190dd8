/**
 * Which peers a joining (or re-requesting) peer is told about.
 *
 * Preferences, in order: supporters (they stay long and have upload to give), peers holding recent
 * segments (they can serve what is about to be played), then peers that have been introduced
 * least often, so that newcomers spread over the swarm instead of all piling onto the first peers.
 * Spreading introductions is what keeps the swarm connected under churn: no peer becomes a hub
 * whose departure splits the graph, and everyone who knew a departed peer is told to ask for more.
 *
 * Large swarms are not scanned: a bounded random sample plus all supporters (bounded too) is
 * scored, so a join costs the same at 50 peers and at 50,000.
 */
import type { PeerRecord, SwarmRegistry } from './registry';
import type { PeerSummary } from './protocol';

export interface SelectionOptions {
  /** Most peers returned. */
  max: number;
  /** Members sampled at random before scoring (bounds the cost in large swarms). */
  sampleSize: number;
  /** Latest announced sequence in the swarm, or -1. */
  latestSequence: number;
  random: () => number;
}

const SUPPORTER_BONUS = 100;
const MAX_SUPPORTERS_SCORED = 64;

/** Higher is better. */
export function scorePeer(peer: PeerRecord, latestSequence: number): number {
  let score = peer.role === 'supporter' ? SUPPORTER_BONUS : 0;
  if (latestSequence >= 0 && peer.latest >= 0) {
    const behind = latestSequence - peer.latest;
    if (behind <= 2) score += 20;
    else if (behind <= 5) score += 10;
  }
  // Fewer introductions → higher, but never outweighs holding recent segments.
  score -= Math.min(peer.introductions, 9);
  return score;
}

export function selectPeers(registry: SwarmRegistry, swarmKey: string, self: string, exclude: ReadonlySet<string>, options: SelectionOptions): PeerRecord[] {
  const seen = new Set<string>();
  const candidates: Array<{ peer: PeerRecord; score: number }> = [];
  const consider = (peer: PeerRecord): void => {
    if (peer.id === self || exclude.has(peer.id) || seen.has(peer.id)) return;
    seen.add(peer.id);
    // The random tiebreak (< 1) keeps equal peers from always being returned in the same order.
    candidates.push({ peer, score: scorePeer(peer, options.latestSequence) + options.random() });
  };
  const supporters = registry.supporters(swarmKey);
  for (let i = 0; i < supporters.length && i < MAX_SUPPORTERS_SCORED; i++) consider(supporters[i]);
  for (const peer of registry.sample(swarmKey, options.sampleSize, options.random)) consider(peer);
  candidates.sort((a, b) => b.score - a.score);
  const out: PeerRecord[] = [];
  for (let i = 0; i < candidates.length && out.length < options.max; i++) out.push(candidates[i].peer);
  return out;
}

export function summarize(peer: PeerRecord): PeerSummary {
  return { peer: peer.id, role: peer.role, latest: peer.latest };
}
