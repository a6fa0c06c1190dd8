/**
 * How fast each linked holder is expected to deliver to this peer, judged by how fast it delivered
 * lately: piece-plan.ts asks the holder expected to finish a piece soonest. A holder that was slow
 * for me, refused me or stalled gets fewer pieces; one I know nothing of is assumed as good as the
 * best I know, so new links get tried; and what I learnt fades over a few tens of seconds, so a
 * holder that was busy once is asked again later (its uplink may be free now).
 */

/** A holder never measured is assumed at least this fast (bytes/s; ~8 Mb/s), so it gets tried. */
export const UNKNOWN_HOLDER_BYTES_PER_SECOND = 1_000_000;
/** What a holder's record is worth after this long falls to 1/e: it drifts back to UNKNOWN_HOLDER_BYTES_PER_SECOND. */
const FORGET_MS = 20_000;
/** A refusal (ABSENT) counts as a transfer at this fraction of the holder's rate. */
const REFUSAL_FACTOR = 0.5;

interface Record {
  bytesPerSecond: number;
  at: number;
}

export class HolderScores {
  private readonly records = new Map<string, Record>();

  constructor(private readonly now: () => number) {}

  /** A transfer from `id` ended: `bytes` arrived over `ms` (a stall is a transfer of few bytes). */
  delivered(id: string, bytes: number, ms: number): void {
    const sample = bytes / (Math.max(ms, 1) / 1000);
    const previous = this.rate(id);
    const known = this.records.has(id);
    // One transfer says much about a holder: it moves the estimate most of the way.
    this.records.set(id, { bytesPerSecond: known ? previous + 0.6 * (sample - previous) : sample, at: this.now() });
  }

  /** A transfer asked of `id` ended: what it delivered, or a refusal (Acquisition's transferEnded). */
  transferEnded(id: string, bytes: number, ms: number, refused: boolean): void {
    if (refused) this.refused(id);
    else this.delivered(id, bytes, ms);
  }

  /** `id` answered ABSENT (busy, late, or not uploading now). */
  refused(id: string): void {
    this.records.set(id, { bytesPerSecond: this.rate(id) * REFUSAL_FACTOR, at: this.now() });
  }

  forget(id: string): void {
    this.records.delete(id);
  }

  /** Delivery rate expected from `id` now (bytes/s). */
  rate(id: string): number {
    const record = this.records.get(id);
    if (!record) return this.prior();
    // A record drifts back to what an unknown holder is at least assumed, not to the best record: a
    // holder slow for me then earns a retry after tens of seconds, not after every segment.
    const kept = Math.exp(-Math.max(0, this.now() - record.at) / FORGET_MS);
    return record.bytesPerSecond * kept + UNKNOWN_HOLDER_BYTES_PER_SECOND * (1 - kept);
  }

  /**
   * An unmeasured holder is assumed as good as the best record held (no worse than 8 Mb/s). Records
   * are of linked holders only (forgotten when a link closes) and are taken at face value here, not
   * faded: one fast holder seen once keeps newcomers worth trying.
   */
  private prior(): number {
    let best = UNKNOWN_HOLDER_BYTES_PER_SECOND;
    for (const record of this.records.values()) best = Math.max(best, record.bytesPerSecond);
    return best;
  }
}
