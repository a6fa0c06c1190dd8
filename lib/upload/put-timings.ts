/**
 * Deadline-aware attempts: recent successful PUT times decide how long the next attempt may take
 * and when a late one gets a hedged twin. A fixed 10 s attempt timeout let one stalled PUT hold
 * its whole rendition (released in order) for 10 s, while a live playlist must gain a segment
 * every target duration; a stalled request is much better answered by a second one at once.
 */

/** Attempt deadline = this multiple of the recent p95, never under the floor (nor over the configured maximum). */
export const ATTEMPT_P95_MULTIPLE = 4;
export const ATTEMPT_FLOOR_MS = 2000;
/** Hedge a running attempt after this multiple of the recent p95, never sooner than the floor. */
export const HEDGE_P95_MULTIPLE = 2;
export const HEDGE_FLOOR_MS = 500;

export class PutTimings {
  private readonly samples: number[] = [];

  /** Keeps the last `size` samples; p95 is known once `minSamples` were seen. */
  constructor(
    private readonly size = 64,
    private readonly minSamples = 10,
  ) {}

  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.samples.push(ms);
    if (this.samples.length > this.size) this.samples.shift();
  }

  p95(): number | undefined {
    if (this.samples.length < this.minSamples) return undefined;
    const sorted = [...this.samples].sort((a, b) => a - b);
    return sorted[Math.ceil(sorted.length * 0.95) - 1];
  }

  /** The deadline for the next attempt: the configured maximum until enough PUTs were timed. */
  attemptTimeoutMs(maxMs: number): number {
    const p95 = this.p95();
    return p95 === undefined ? maxMs : Math.min(maxMs, Math.max(ATTEMPT_FLOOR_MS, ATTEMPT_P95_MULTIPLE * p95));
  }

  /** When to start a hedged twin of a running attempt; undefined while no PUT times are known. */
  hedgeAfterMs(): number | undefined {
    const p95 = this.p95();
    return p95 === undefined ? undefined : Math.max(HEDGE_FLOOR_MS, HEDGE_P95_MULTIPLE * p95);
  }
}
