/**
 * Source buckets (source-limiter.ts) kept in Redis, so that several instances behind one balancer
 * charge one source's requests to one bucket: a guesser spreading its requests over the instances
 * gets no more than from one. The rule stays rate-limiter.ts's `takeToken`, run here; Redis only
 * stores each bucket and swaps it atomically (a compare-and-set script), and a swap that lost a race
 * to another instance is retried on the state that won. While Redis is down, each instance limits on
 * its own (as the registry serves its own peers then): a route must not stop for a cache.
 */
import type Redis from 'ioredis';
import { msToFill, msUntilToken, newBucket, takeToken, type TokenBucketConfig, type TokenBucketState } from './rate-limiter';
import type { RedisPair } from './redis-connection';
import { LocalSourceLimiter, type LimitVerdict, type SourceLimiter } from './source-limiter';

/**
 * KEYS: the bucket. ARGV: the state it was read as ('' = absent), the new state, its lifetime in ms.
 * Returns 1 when written, else the state found (a string, '' = absent) to retry on.
 */
const SWAP_BUCKET = `
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return {0, current} end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return {1, ''}`;

const COMMAND = 'relaycastSwapBucket';
/** Swaps tried per request: more only happens when one source races itself across instances, and is refused. */
const MAX_SWAPS = 4;

type SwapBucket = (key: string, expected: string, next: string, ttlMs: number) => Promise<[number, string]>;

function swapBucket(redis: Redis): SwapBucket {
  const commands = redis as unknown as Record<string, ((...args: unknown[]) => Promise<unknown>) | undefined>;
  if (!commands[COMMAND]) redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: SWAP_BUCKET });
  return (...args) => (commands[COMMAND] as (...a: unknown[]) => Promise<[number, string]>).apply(redis, args);
}

/** A stored bucket, or undefined when the text is not one (then the request starts a new bucket). */
function readBucket(text: string): TokenBucketState | undefined {
  try {
    const value = JSON.parse(text) as Partial<TokenBucketState> | null;
    if (typeof value?.tokens === 'number' && typeof value.refilledAt === 'number' && Number.isFinite(value.tokens + value.refilledAt)) {
      return { tokens: value.tokens, refilledAt: value.refilledAt };
    }
  } catch {
    /* not a bucket */
  }
  return undefined;
}

export interface RedisSourceLimiterOptions {
  /** What the buckets limit, part of their keys (`<keyPrefix>limit:<namespace>:<source>`). */
  namespace: string;
  config: TokenBucketConfig;
  now?: () => number;
}

export class RedisSourceLimiter implements SourceLimiter {
  private readonly swap: SwapBucket;
  private readonly local: LocalSourceLimiter;
  private readonly now: () => number;

  constructor(
    private readonly pair: RedisPair,
    private readonly options: RedisSourceLimiterOptions,
  ) {
    this.swap = swapBucket(pair.publisher);
    this.now = options.now ?? Date.now;
    this.local = new LocalSourceLimiter(options.config, this.now);
  }

  async take(source: string): Promise<LimitVerdict> {
    if (!this.pair.up) return this.local.take(source);
    const key = `${this.pair.keyPrefix}limit:${this.options.namespace}:${source}`;
    const config = this.options.config;
    try {
      let stored = (await this.pair.publisher.get(key)) ?? '';
      for (let attempt = 0; attempt < MAX_SWAPS; attempt++) {
        const now = this.now();
        const bucket = readBucket(stored) ?? newBucket(config, now);
        if (!takeToken(bucket, config, now)) return { ok: false, retryAfterMs: msUntilToken(bucket, config) };
        const [written, found] = await this.swap(key, stored, JSON.stringify(bucket), msToFill(config));
        if (written === 1) return { ok: true };
        stored = found;
      }
      return { ok: false, retryAfterMs: Math.ceil(1000 / config.ratePerSecond) };
    } catch {
      return this.local.take(source);
    }
  }
}
