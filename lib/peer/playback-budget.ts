/**
 * How long peers may take for a segment the player asks for, from what the player has buffered:
 * one rule for the browser loader (viewer/loader/session.ts, reading the video element) and the
 * synthetic viewer (devtools/synthetic-viewer, reading its simulated buffer), so a synthetic
 * viewer meets the same deadlines as a real one.
 */

/**
 * Seconds of buffer kept in reserve for the HTTP fallback, per second of segment: peers get what is
 * left beyond it. A 2 s segment keeps 1.5 s (what standard latency was tuned with); a 1 s segment
 * (low latency, two segments behind live, so 1–2 s buffered when the next one is listed) keeps
 * 0.75 s, as its HTTP fetch is half as long. With a fixed 1.5 s, low latency's requests always
 * found less than the reserve and went to HTTP at once: 0–3 % from peers at N = 4 on loopback.
 */
export const SAFETY_PER_SEGMENT_SECOND = 0.75;
/** The reserve for a segment of `durationSeconds`: 0.75 s per second of it, at least 0.5 s, at most 1.5 s. */
export function safetySeconds(durationSeconds: number): number {
  return Math.min(1.5, Math.max(0.5, SAFETY_PER_SEGMENT_SECOND * durationSeconds));
}
/** With no buffer yet, a peer that holds the segment gets this long (loopback/LAN peers answer in ms). */
export const STARTUP_PEER_BUDGET_MS = 200;
/** Offers to peers start with the first fragment request, or this long after joining at the latest. */
export const LINKS_AT_THE_LATEST_MS = 2000;

export interface BudgetInput {
  /** The player's first fragment request (it decides the time to first frame). */
  first: boolean;
  /** Seconds buffered ahead of the playhead; undefined when the player cannot be read. */
  aheadSeconds: number | undefined;
  /** Playback has begun (the first frame is out). */
  playing: boolean;
  /** Linked peers that hold the segment now. */
  peersHolding: number;
  /** Open peer links, holding the segment or not. */
  openLinks: number;
  /** Links still negotiating. */
  linking: number;
  durationSeconds: number;
  /** The most the player's own load policy allows. */
  maxMs: number;
}

/** ms the peers may take before HTTP must take over (0: HTTP at once). */
export function peerBudgetMs(input: BudgetInput): number {
  // The first fragment is never made to wait for a peer, not even one that holds it: a DataChannel
  // that has just opened is slower than the origin on its first transfer.
  if (input.first) return 0;
  const budget = bufferBudgetMs(input);
  // No open link (a symmetric NAT, UDP blocked, everyone gone): nothing can come from a peer unless
  // a link being set up opens and its holder sends at once, so a longer wait only spends the buffer.
  // In the home-network lab two such homes, forever trying links that could not form, waited out
  // every budget (118–138 deadlines without a holder in a 90 s run) and stalled.
  if (input.openLinks === 0) return input.linking > 0 ? Math.min(STARTUP_PEER_BUDGET_MS, budget) : 0;
  return budget;
}

/** What the buffer leaves peers, beyond the reserve the HTTP fallback needs. */
function bufferBudgetMs(input: BudgetInput): number {
  const ahead = input.aheadSeconds;
  if (ahead === undefined) return Math.min(input.maxMs, input.peersHolding > 0 ? input.durationSeconds * 1000 : 0);
  // Little buffer (start-up, or after a seek): a peer that holds the segment gets a short chance;
  // while links are still being set up, only once the first frame is out (time to first frame
  // must not wait for WebRTC); otherwise HTTP at once.
  const safety = safetySeconds(input.durationSeconds);
  if (ahead < safety) {
    const soon = input.peersHolding > 0 || (input.playing && input.linking > 0);
    return soon ? STARTUP_PEER_BUDGET_MS : 0;
  }
  return Math.min(input.maxMs, (ahead - safety) * 1000);
}
