/**
 * What one viewer could have played: the bound on a connection's stats report. A viewer plays one
 * rendition in real time, so its segment bytes grow no faster than the stream's fastest announced
 * rendition (bytes per second of media), plus what a player fetches at once on arrival or after a
 * seek (its forward buffer).
 * Slack covers retries, a segment fetched from both a peer and HTTP in a race, and level switches.
 * A report above the bound is held to it (audience-stats.ts): the figures of one liar then weigh
 * what one viewer's could.
 */
import type { SegmentAnnouncement } from './protocol';

export interface PlayRate {
  /** Largest segment size over its duration among the announced segments, bytes/s. */
  bytesPerSecond: number;
  /** Largest announced segment, bytes. */
  segmentBytes: number;
  /** Shortest announced segment duration, ms. */
  segmentMs: number;
}

/** How much faster than real time a connection's figures may grow. */
export const PLAY_SLACK = 2;
/** Segments a player may fetch at once on arrival (hls.js starts three segments from the live edge)… */
export const START_SEGMENTS = 5;
/** …or media seconds, whichever is more (hls.js buffers 30 s ahead: a viewer that seeks back in a DVR window). */
export const START_SECONDS = 30;
/**
 * The rate assumed before any segment of the stream was announced (open swarms only; a closed swarm
 * has one by then): 100 Mb/s of 2-second segments, more than any home plays.
 */
export const UNANNOUNCED_RATE: Readonly<PlayRate> = Object.freeze({ bytesPerSecond: 12_500_000, segmentBytes: 25_000_000, segmentMs: 2000 });

/** The play rate of a stream, from the announced segments of all its renditions (a player may switch level). */
export function playRateOf(segments: Iterable<Pick<SegmentAnnouncement, 'size' | 'duration'>>): PlayRate {
  let bytesPerSecond = 0;
  let segmentBytes = 0;
  let segmentMs = Infinity;
  for (const { size, duration } of segments) {
    if (!(duration > 0)) continue;
    bytesPerSecond = Math.max(bytesPerSecond, size / duration);
    segmentBytes = Math.max(segmentBytes, size);
    segmentMs = Math.min(segmentMs, duration * 1000);
  }
  return segmentBytes > 0 ? { bytesPerSecond, segmentBytes, segmentMs } : UNANNOUNCED_RATE;
}

/** Segment bytes (HTTP and peers together) a viewer could have played in `ms` joined. */
export function playableBytes(rate: PlayRate, ms: number): number {
  const start = Math.max(START_SEGMENTS * rate.segmentBytes, START_SECONDS * rate.bytesPerSecond);
  return Math.floor(start + (PLAY_SLACK * rate.bytesPerSecond * Math.max(0, ms)) / 1000);
}

/** Stalls a viewer could have had in `ms` joined: one per segment it could have played (a stall waits for the next one). */
export function playableStalls(rate: PlayRate, ms: number): number {
  return Math.floor(START_SEGMENTS + (PLAY_SLACK * Math.max(0, ms)) / rate.segmentMs);
}
