/**
 * A player's forward buffer without a decoder: delivered segments add their duration, playback
 * drains it in real time, and an empty buffer while playing is a stall, counted with its length.
 * Positions are in media seconds (the playlist's timeline); time comes from an injected clock (ms),
 * so the rule is tested without waiting. Everything is computed from the clock when asked: a stall
 * that began between two calls is dated exactly when the buffer ran out, with no timer to keep.
 */

export interface BufferFigures {
  /** ms from creation (the viewer's join) to the first segment buffered; undefined before it. */
  ttffMs?: number;
  /** Times the buffer ran empty while playing. */
  stalls: number;
  /** ms spent stalled, an ongoing stall included. */
  stallMs: number;
  /** Media seconds played. */
  playedSeconds: number;
}

export class SimulatedBuffer {
  private readonly createdAt: number;
  private startedAt: number | undefined;
  /** Playhead at `anchorAt` (ms); while playing it advances one media second per second. */
  private anchorPosition = 0;
  private anchorAt = 0;
  private end = 0;
  private stalledAt: number | undefined;
  private stalls = 0;
  private lastStallAt: number | undefined;
  private stalledMs = 0;
  private played = 0;

  constructor(private readonly now: () => number) {
    this.createdAt = now();
  }

  /** Playback has begun (the first segment arrived). */
  get started(): boolean {
    return this.startedAt !== undefined;
  }

  /** A delivered segment covering [start, start + duration) of the media timeline. */
  append(start: number, duration: number): void {
    const now = this.settle();
    if (this.startedAt === undefined) {
      // Playback starts with the first segment, at its start (hls.js's start position).
      this.startedAt = now;
      this.anchorPosition = start;
      this.anchorAt = now;
      this.end = start + duration;
      return;
    }
    if (this.stalledAt !== undefined) {
      // Playback resumes with new data; a gap before it is jumped, as hls.js's gap controller does.
      this.stalledMs += now - this.stalledAt;
      this.stalledAt = undefined;
      this.anchorAt = now;
      if (start > this.anchorPosition) this.anchorPosition = start;
    }
    this.end = Math.max(this.end, start + duration);
  }

  /** Playhead position in media seconds. */
  position(): number {
    this.settle();
    return this.anchorPosition;
  }

  /** Seconds buffered ahead of the playhead (0 before playback and while stalled). */
  aheadSeconds(): number {
    this.settle();
    return this.startedAt === undefined ? 0 : Math.max(0, this.end - this.anchorPosition);
  }

  /** Buffered end in media seconds. */
  bufferedEnd(): number {
    return this.end;
  }

  /** When the latest stall began (clock ms), undefined before any: a stall log places it by this. */
  latestStallAt(): number | undefined {
    this.settle();
    return this.lastStallAt;
  }

  figures(): BufferFigures {
    const now = this.settle();
    const out: BufferFigures = {
      stalls: this.stalls,
      stallMs: this.stalledMs + (this.stalledAt !== undefined ? now - this.stalledAt : 0),
      playedSeconds: this.played,
    };
    if (this.startedAt !== undefined) out.ttffMs = this.startedAt - this.createdAt;
    return out;
  }

  /** Advances the playhead to now, noting a stall if the buffer ran out on the way. */
  private settle(): number {
    const now = this.now();
    if (this.startedAt === undefined || this.stalledAt !== undefined) return now;
    const elapsed = (now - this.anchorAt) / 1000;
    const left = this.end - this.anchorPosition;
    if (elapsed < left) {
      this.anchorPosition += elapsed;
      this.played += elapsed;
      this.anchorAt = now;
      return now;
    }
    this.played += Math.max(0, left);
    this.anchorPosition = this.end;
    this.stalledAt = this.anchorAt + Math.max(0, left) * 1000;
    this.lastStallAt = this.stalledAt;
    this.anchorAt = this.stalledAt;
    this.stalls++;
    return now;
  }
}
