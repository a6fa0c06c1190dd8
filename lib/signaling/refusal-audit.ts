/**
 * Audit records of refused upgrades, throttled per source and status: a reconnect storm would
 * otherwise turn into as many audit msgs in the operator's flow as the attacker has connection
 * attempts. The first refusal of a second is recorded at once; the ones after it are counted and
 * carried, as `repeated`, by the next record of that source and status.
 */
const WINDOW_MS = 1000;
const MAX_TRACKED = 10_000;

export class RefusalAudit {
  /** `${source} ${status}` → when the last record went out, and refusals since (not yet recorded). */
  private readonly recent = new Map<string, { at: number; suppressed: number }>();

  /** Whether to record this refusal now, and how many refusals the record stands for. */
  note(source: string, status: number, now: number): { record: false } | { record: true; repeated: number } {
    const key = `${source} ${status}`;
    const entry = this.recent.get(key);
    if (entry && now - entry.at < WINDOW_MS) {
      entry.suppressed++;
      return { record: false };
    }
    if (!entry && this.recent.size >= MAX_TRACKED) this.forgetOlderThan(now - WINDOW_MS);
    this.recent.set(key, { at: now, suppressed: 0 });
    return { record: true, repeated: (entry?.suppressed ?? 0) + 1 };
  }

  private forgetOlderThan(cutoff: number): void {
    // Suppressed counts of quiet sources are dropped here: the bound matters more than their tally.
    for (const [key, entry] of this.recent) if (entry.at < cutoff) this.recent.delete(key);
  }
}
