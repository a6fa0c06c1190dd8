/**
 * Bytes credited per downloader source per period. Per-segment dedupe already keeps one source from
 * being credited a segment twice; the budget bounds what one source can be credited across swarms
 * and streams (a viewer cannot have watched more than a period's worth of video). Periods are aligned
 * to the epoch, so they can line up with payout periods; the table is dropped whole when one ends.
 */
export class ReceiptBudget {
  private period = -1;
  /** source → bytes credited in the current period. */
  private readonly credited = new Map<string, number>();

  constructor(
    private readonly bytesPerPeriod: number,
    private readonly periodMs: number,
    private readonly maxSources = 1_000_000,
  ) {}

  /** Takes up to `bytes` from the source's budget; returns what was granted (0 = exhausted). */
  take(source: string, bytes: number, now: number): number {
    const period = Math.floor(now / this.periodMs);
    if (period !== this.period) {
      this.period = period;
      this.credited.clear();
    }
    const used = this.credited.get(source);
    // A table full of other sources grants nothing new rather than growing without bound.
    if (used === undefined && this.credited.size >= this.maxSources) return 0;
    const granted = Math.max(0, Math.min(bytes, this.bytesPerPeriod - (used ?? 0)));
    if (granted > 0) this.credited.set(source, (used ?? 0) + granted);
    return granted;
  }
}
