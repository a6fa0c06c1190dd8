/**
 * Token bucket: `ratePerSecond` tokens accrue continuously up to `burst`; each message takes one.
 * Kept as two numbers on the caller's own object (no timer, no closure per connection), because the
 * coordinator holds one bucket per connection and must stay small at 50,000 connections.
 */
export interface TokenBucketState {
  tokens: number;
  /** Milliseconds timestamp of the last refill. */
  refilledAt: number;
}

export interface TokenBucketConfig {
  ratePerSecond: number;
  burst: number;
}

export function newBucket(config: TokenBucketConfig, now: number): TokenBucketState {
  return { tokens: config.burst, refilledAt: now };
}

/** Takes one token; false when the bucket is empty (the message must be dropped). */
export function takeToken(bucket: TokenBucketState, config: TokenBucketConfig, now: number): boolean {
  const elapsed = now - bucket.refilledAt;
  if (elapsed > 0) {
    bucket.tokens = Math.min(config.burst, bucket.tokens + (elapsed * config.ratePerSecond) / 1000);
    bucket.refilledAt = now;
  }
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return true;
  }
  return false;
}

/** After a refused take: milliseconds until the bucket holds one token again (what a Retry-After says). */
export function msUntilToken(bucket: TokenBucketState, config: TokenBucketConfig): number {
  return Math.max(0, Math.ceil(((1 - bucket.tokens) * 1000) / config.ratePerSecond));
}

/** Milliseconds an untouched bucket takes to fill from empty: after that, forgetting it changes nothing. */
export function msToFill(config: TokenBucketConfig): number {
  return Math.ceil((config.burst * 1000) / config.ratePerSecond);
}
