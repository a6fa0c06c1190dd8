/**
 * Audit records of refusals, throttled per source and code: a reconnect storm, or a household of
 * viewers behind one NAT whose every receipt after the first per segment is refused by design,
 * would otherwise turn into as many audit msgs in the operator's flow as there are refusals. The
 * first refusal of a window is recorded at once; the ones after it are counted, and the count goes
 * out either with the next record of that source and code (`note`) or, for a user that calls
 * `flush` on its sweep, as one record when the window ends — so a steady stream of refusals costs
 * one record per source, code and window, however many clients share the source.
 */
const MAX_TRACKED = 10_000;

/** One window's refusals of a source and code, beyond the first (which was recorded at once). */
export interface RefusalTally<Detail> {
  repeated: number;
  /** What the user gave with the last refusal counted (for the record it writes). */
  detail: Detail;
}

interface Entry<Detail> {
  at: number;
  suppressed: number;
  detail: Detail;
}

export class RefusalAudit<Detail = undefined> {
  /** `${source} ${code}` → when its window started, refusals since (not yet recorded), the last one's detail. */
  private readonly recent = new Map<string, Entry<Detail>>();

  /** @param windowMs one record per source and code per this much time (1 s for refused upgrades). */
  constructor(private readonly windowMs = 1000) {}

  /** Whether to record this refusal now, and how many refusals the record stands for. */
  note(source: string, code: string | number, now: number, detail?: Detail): { record: false } | { record: true; repeated: number } {
    const key = `${source} ${code}`;
    const entry = this.recent.get(key);
    if (entry && now - entry.at < this.windowMs) {
      entry.suppressed++;
      entry.detail = detail as Detail;
      return { record: false };
    }
    if (!entry && this.recent.size >= MAX_TRACKED) this.forgetOlderThan(now - this.windowMs);
    // Still full (that many sources refused within one window): recorded at once, untracked.
    if (entry || this.recent.size < MAX_TRACKED) this.recent.set(key, { at: now, suppressed: 0, detail: detail as Detail });
    return { record: true, repeated: (entry?.suppressed ?? 0) + 1 };
  }

  /**
   * The counts of windows that ended, one per source and code that had refusals beyond its first.
   * Such a source and code goes on in a new window without a record at once (its next refusals are
   * counted into the next flush); one with nothing counted is forgotten.
   */
  flush(now: number): Array<RefusalTally<Detail>> {
    const due: Array<RefusalTally<Detail>> = [];
    for (const [key, entry] of this.recent) {
      if (now - entry.at < this.windowMs) continue;
      if (entry.suppressed === 0) {
        this.recent.delete(key);
        continue;
      }
      due.push({ repeated: entry.suppressed, detail: entry.detail });
      entry.at = now;
      entry.suppressed = 0;
    }
    return due;
  }

  private forgetOlderThan(cutoff: number): void {
    // Suppressed counts of quiet sources are dropped here: the bound matters more than their tally.
    for (const [key, entry] of this.recent) if (entry.at < cutoff) this.recent.delete(key);
  }
}
