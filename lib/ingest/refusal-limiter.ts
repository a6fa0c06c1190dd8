/**
 * Per source address: after a few refused publishes within a minute, that address is turned away
 * at connect, without a session or an ffmpeg, until the minute has passed. This bounds both key
 * guessing and the audit log a guesser can fill. The table of addresses is bounded too.
 */
export interface RefusalLimits {
  maxRefusals: number;
  windowMs: number;
  maxSources: number;
}

export const DEFAULT_REFUSAL_LIMITS: RefusalLimits = { maxRefusals: 5, windowMs: 60_000, maxSources: 1024 };

export class RefusalLimiter {
  private readonly sources = new Map<string, { since: number; count: number }>();

  constructor(private readonly limits: RefusalLimits = DEFAULT_REFUSAL_LIMITS) {}

  blocked(source: string, now: number): boolean {
    const entry = this.sources.get(source);
    if (!entry) return false;
    if (now - entry.since > this.limits.windowMs) {
      this.sources.delete(source);
      return false;
    }
    return entry.count >= this.limits.maxRefusals;
  }

  refused(source: string, now: number): void {
    const entry = this.sources.get(source);
    if (entry && now - entry.since <= this.limits.windowMs) {
      entry.count += 1;
      return;
    }
    this.sources.delete(source);
    // Map order is insertion order: the oldest window goes first.
    if (this.sources.size >= this.limits.maxSources) this.sources.delete(this.sources.keys().next().value!);
    this.sources.set(source, { since: now, count: 1 });
  }
}
