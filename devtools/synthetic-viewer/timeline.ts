/**
 * A live media playlist as a player follows it: each segment's place on the media timeline (start
 * and duration, summed from EXTINF as hls.js does), its PROGRAM-DATE-TIME when listed, the live
 * edge, and where a newcomer starts (liveSyncDurationCount target durations behind the edge,
 * hls.js's default 3). Parsed with the repo's literal M3U8 reader (devtools/hls-validator).
 */
import { parseMediaPlaylist } from '../hls-validator/parse';

export interface TimelineSegment {
  msn: number;
  /** Absolute URL (resolved against the playlist's). */
  url: string;
  /** Media seconds. */
  start: number;
  duration: number;
  /** PROGRAM-DATE-TIME in ms since the epoch, when the playlist gives it. */
  pdtMs?: number;
}

/** Segments kept behind the oldest listed one (a player that fell behind may still be loading them). */
const KEEP_BEHIND = 10;

export class LiveTimeline {
  private readonly segments = new Map<number, TimelineSegment>();
  targetDuration = 0;
  canBlockReload = false;
  ended = false;
  firstMsn = 0;
  lastMsn = -1;
  /** When the newest version was read (ms, the player's clock). */
  receivedAt = 0;

  /** Reads a version of the playlist at `url`; returns true when it listed a new segment. */
  update(text: string, url: string, now: number): boolean {
    const parsed = parseMediaPlaylist(text);
    if (!parsed.headerOk) throw new Error('not an M3U8 playlist');
    this.targetDuration = parsed.targetDuration ?? this.targetDuration;
    this.canBlockReload = parsed.tags.some((t) => t.name === 'EXT-X-SERVER-CONTROL' && /CAN-BLOCK-RELOAD=YES/.test(t.value));
    this.ended = parsed.endList;
    this.receivedAt = now;
    const before = this.lastMsn;
    for (const s of parsed.segments) {
      if (this.segments.has(s.msn) || !Number.isFinite(s.duration)) continue;
      const previous = this.segments.get(s.msn - 1);
      const pdt = s.programDateTime !== undefined ? Date.parse(s.programDateTime) : NaN;
      const segment: TimelineSegment = {
        msn: s.msn,
        url: new URL(s.uri, url).toString(),
        start: previous ? previous.start + previous.duration : this.edge(),
        duration: s.duration,
      };
      if (Number.isFinite(pdt)) segment.pdtMs = pdt;
      this.segments.set(s.msn, segment);
    }
    if (parsed.segments.length > 0) {
      this.firstMsn = parsed.segments[0].msn;
      this.lastMsn = Math.max(this.lastMsn, parsed.segments[parsed.segments.length - 1].msn);
    }
    for (const msn of this.segments.keys()) if (msn < this.firstMsn - KEEP_BEHIND) this.segments.delete(msn);
    return this.lastMsn > before;
  }

  get(msn: number): TimelineSegment | undefined {
    return this.segments.get(msn);
  }

  /** End of the newest listed segment, media seconds (0 before any). */
  edge(): number {
    const last = this.segments.get(this.lastMsn);
    return last ? last.start + last.duration : 0;
  }

  /** The segment a newcomer starts with: the one holding edge − count × target duration (hls.js's start position). */
  startMsn(liveSyncDurationCount: number): number {
    const target = this.edge() - liveSyncDurationCount * this.targetDuration;
    for (let msn = this.firstMsn; msn <= this.lastMsn; msn++) {
      const s = this.segments.get(msn);
      if (s && s.start + s.duration > target) return msn;
    }
    return this.lastMsn;
  }

  /**
   * How far the playhead at `position` is behind live, ms: by PROGRAM-DATE-TIME against `wallNow`
   * when listed, else the edge advanced by the playlist's age (hls.js's `latency`).
   */
  latencyMs(position: number, now: number, wallNow: number): number | undefined {
    if (this.lastMsn < 0) return undefined;
    for (const s of this.segments.values()) {
      if (position >= s.start && position < s.start + s.duration + 1e-6 && s.pdtMs !== undefined) return wallNow - (s.pdtMs + (position - s.start) * 1000);
    }
    return (this.edge() - position) * 1000 + (now - this.receivedAt);
  }
}
