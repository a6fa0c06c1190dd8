/**
 * A token bucket per client source (addresses.ts: IPv4 /32, IPv6 /64, transition addresses by the
 * IPv4 they carry) for a route that answers guesses, such as payout's supporter summary: the rule of
 * rate-limiter.ts, as signaling's source budgets apply it. This one keeps the buckets in the process;
 * redis-source-limiter.ts keeps them in Redis, so that instances behind one balancer share them.
 */
import { msToFill, msUntilToken, newBucket, takeToken, type TokenBucketConfig, type TokenBucketState } from './rate-limiter';

export type LimitVerdict = { ok: true } | { ok: false; retryAfterMs: number };

export interface SourceLimiter {
  /** Charges one request to the source: refused (with the wait until the next token) once its bucket is empty. */
  take(source: string): Promise<LimitVerdict>;
}

/** Sources remembered at most; past it, full buckets are forgotten, and if none is full the request is refused. */
export const MAX_LIMITED_SOURCES = 10_000;

export class LocalSourceLimiter implements SourceLimiter {
  private readonly buckets = new Map<string, TokenBucketState>();

  constructor(
    private readonly config: TokenBucketConfig,
    private readonly now: () => number = Date.now,
    private readonly maxSources = MAX_LIMITED_SOURCES,
  ) {}

  take(source: string): Promise<LimitVerdict> {
    return Promise.resolve(this.takeNow(source));
  }

  takeNow(source: string): LimitVerdict {
    const now = this.now();
    let bucket = this.buckets.get(source);
    if (!bucket) {
      if (this.buckets.size >= this.maxSources) this.forgetFull(now);
      // As many sources as the table holds, each with a spent bucket: an attack, which must not grow memory.
      if (this.buckets.size >= this.maxSources) return { ok: false, retryAfterMs: 1000 / this.config.ratePerSecond };
      bucket = newBucket(this.config, now);
      this.buckets.set(source, bucket);
    }
    return takeToken(bucket, this.config, now) ? { ok: true } : { ok: false, retryAfterMs: msUntilToken(bucket, this.config) };
  }

  size(): number {
    return this.buckets.size;
  }

  /** Buckets untouched for as long as they take to fill are full again: they hold nothing worth remembering. */
  private forgetFull(now: number): void {
    const fill = msToFill(this.config);
    for (const [source, bucket] of this.buckets) if (now - bucket.refilledAt >= fill) this.buckets.delete(source);
  }
}
