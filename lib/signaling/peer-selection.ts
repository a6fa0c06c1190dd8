/**
 * Which peers a joining (or re-requesting) peer is told about.
 *
 * Preferences, in order: supporters (they stay long and have upload to give), peers holding recent
 * segments (they can serve what is about to be played), then peers that have been introduced
 * least often, so that newcomers spread over the swarm instead of all piling onto the first peers.
 * Spreading introductions is what keeps the swarm connected under churn: no peer becomes a hub
 * whose departure splits the graph, and everyone who knew a departed peer is told to ask for more.
 *
 * One swarm per stream: its members play different renditions, and a peer can only serve segments
 * of the rendition it plays. So peers on the asker's rendition come first (they hold what it is
 * about to play), but every fourth place of a list goes to a peer on another rendition when there
 * is one: after a level switch, the links it kept across are its sources at once, and the swarm
 * does not split into one mesh per rendition. Recency counts only within the asker's rendition
 * (sequence numbers of different renditions say nothing of each other).
 *
 * Large swarms are not scanned: a bounded random sample plus all supporters (bounded too) is
 * scored, so a join costs the same at 50 peers and at 50,000.
 *
 * Above all of these come the peers the asker's network met lately (`remembered`): a client that
 * leaves and rejoins gets its neighbourhood back rather than a fresh sample (exposure.ts). Peers the
 * caller rules out (`eligible`) are never returned.
 */
import type { PeerRecord, SwarmRegistry } from './registry';
import type { PeerSummary } from './protocol';

export interface SelectionOptions {
  /** Most peers returned. */
  max: number;
  /** Members sampled at random before scoring (bounds the cost in large swarms). */
  sampleSize: number;
  /** Latest announced sequence of the asker's rendition, or -1. */
  latestSequence: number;
  /** The rendition the asker plays (undefined: the peer's own rendition is not considered). */
  rendition?: string;
  random: () => number;
  /** Peers the asker's network met lately: considered first, whatever the sample holds. */
  remembered?: readonly PeerRecord[];
  /** false: this peer may not be introduced to the asker. */
  eligible?: (peer: PeerRecord) => boolean;
}

const SUPPORTER_BONUS = 100;
/** Above holding recent segments (20), below being a supporter. */
const SAME_RENDITION_BONUS = 30;
/** Every ACROSS_EVERY-th place of a list goes to a peer on another rendition, when there is one. */
const ACROSS_EVERY = 4;
const MAX_SUPPORTERS_SCORED = 64;
/** Above everything else: meeting a remembered peer again costs no new exposure. */
const REMEMBERED_BONUS = 1000;

/** Higher is better. */
export function scorePeer(peer: PeerRecord, latestSequence: number, rendition?: string): number {
  let score = peer.role === 'supporter' ? SUPPORTER_BONUS : 0;
  const same = rendition === undefined || peer.rendition === rendition;
  if (same && rendition !== undefined) score += SAME_RENDITION_BONUS;
  if (same && latestSequence >= 0 && peer.latest >= 0) {
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
  const consider = (peer: PeerRecord, bonus = 0): void => {
    if (peer.id === self || exclude.has(peer.id) || seen.has(peer.id)) return;
    seen.add(peer.id);
    if (options.eligible && !options.eligible(peer)) return;
    // The random tiebreak (< 1) keeps equal peers from always being returned in the same order.
    candidates.push({ peer, score: bonus + scorePeer(peer, options.latestSequence, options.rendition) + options.random() });
  };
  for (const peer of options.remembered ?? []) if (peer.swarmKey === swarmKey) consider(peer, REMEMBERED_BONUS);
  const supporters = registry.supporters(swarmKey);
  for (let i = 0; i < supporters.length && i < MAX_SUPPORTERS_SCORED; i++) consider(supporters[i]);
  for (const peer of registry.sample(swarmKey, options.sampleSize, options.random)) consider(peer);
  candidates.sort((a, b) => b.score - a.score);
  const rendition = options.rendition;
  if (rendition === undefined) return candidates.slice(0, options.max).map((c) => c.peer);
  const same = candidates.filter((c) => c.peer.rendition === rendition);
  const across = candidates.filter((c) => c.peer.rendition !== rendition);
  const out: PeerRecord[] = [];
  while (out.length < options.max && (same.length > 0 || across.length > 0)) {
    const acrossTurn = out.length % ACROSS_EVERY === ACROSS_EVERY - 1;
    const next = (acrossTurn ? across.shift() : same.shift()) ?? (same.shift() ?? across.shift())!;
    out.push(next.peer);
  }
  return out;
}

export function summarize(peer: PeerRecord): PeerSummary {
  return { peer: peer.id, role: peer.role, latest: peer.latest };
}
