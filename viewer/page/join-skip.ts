/**
 * Where a viewer who just joined a live stream should be: at the target latency, like the viewers
 * who were there before it. hls.js picks its start position when the first media playlist loads;
 * by the first frame the live edge has moved on by the start-up time (a second or two, more on a
 * busy machine), and a socket playlist's age is counted in whole segments (start-aligned-age.ts),
 * so a joiner starts up to a segment and a start-up behind the target. The live-sync rate closes
 * that at 5 % speed, about 40 s for 2 s: longer than many viewers stay, so late joiners sat ~1.8 s
 * further behind live than early ones (issue 21's churn bench). A skip forward inside what is
 * already buffered, in the first seconds of playback, costs no request and no stall, and drops only
 * media the viewer never saw; beyond the join window, or when less is buffered, the rate does it.
 */

/** Skips happen only this long after the first frame: later, a jump would cut what the viewer watches. */
export const JOIN_WINDOW_MS = 10_000;
/** Closer than this to the target, hls.js's live-sync rate closes the rest unnoticed. */
export const MIN_SKIP_SECONDS = 0.3;
/**
 * Target durations a skip must leave buffered ahead. Two: at three segments behind live (standard)
 * a viewer at the target has 4–5.5 s buffered when a fragment lands, so the skip happens; at two
 * behind (low latency) it never has two, so low-latency joiners are left to the live-sync rate
 * (10 % there). In the home-network lab, low-latency players put at the target at once stalled in
 * their first seconds, plain hls.js too: the live edge's jitter at start-up leaves them no margin.
 */
export const SEGMENTS_KEPT_AHEAD = 2;

export interface JoinPosition {
  /** ms since the first frame. */
  playingForMs: number;
  /** Where hls.js would put the playhead now: its live edge estimate − its target latency (null before a live playlist). */
  liveSyncPosition: number | null;
  currentTime: number;
  /** End of the buffered range that holds the playhead. */
  bufferedEnd: number;
  /** The playlist's target duration: a skip leaves at least SEGMENTS_KEPT_AHEAD of them buffered ahead. */
  targetDuration: number;
}

/** Seconds to skip forward now: the whole distance to the target latency, or 0. */
export function joinSkipSeconds(p: JoinPosition): number {
  if (!(p.playingForMs >= 0) || p.playingForMs > JOIN_WINDOW_MS) return 0;
  if (p.liveSyncPosition === null || !Number.isFinite(p.liveSyncPosition) || !(p.targetDuration > 0)) return 0;
  const distance = p.liveSyncPosition - p.currentTime;
  if (!(distance >= MIN_SKIP_SECONDS)) return 0;
  // A skip that would leave less than two segments ahead trades the join's latency for a stall.
  if (p.bufferedEnd - (p.currentTime + distance) < SEGMENTS_KEPT_AHEAD * p.targetDuration) return 0;
  return distance;
}
