/**
 * How many answers the STUN responder may send: a token bucket per source and one for everything.
 * A Binding response goes to whatever source address the request claims, and UDP sources can be
 * forged, so an unbounded responder reflects floods at a victim (with up to 2.7× the bytes: a 20-byte
 * request draws a 52-byte IPv6 answer). The per-source bucket stops one source's flood; the global
 * one bounds the total whatever the number of (forged) sources.
 *
 * The per-source table is bounded: when full, the least recently active source is forgotten. Forged
 * sources can therefore only push others out, which gives the pushed-out ones a fresh (full) bucket —
 * more lenient, never a denial — while the global bucket still caps the sum.
 */
import { sourceOf } from '../signaling/addresses';
import { DEFAULT_LIMITS } from '../signaling/limits';
import { newBucket, takeToken, type TokenBucketConfig, type TokenBucketState } from '../signaling/rate-limiter';

export interface AnswerLimits {
  perSource: TokenBucketConfig;
  global: TokenBucketConfig;
  /** Sources remembered at once. */
  maxSources: number;
}

/**
 * A browser sends a Binding request per peer connection and network interface when it gathers, plus
 * retransmissions and a keepalive about every 10 s per candidate; a home of several viewers, each with
 * a handful of peer connections, shares one IPv4 address. 20/s with a burst of 200 covers that many
 * times over; 2000 answers/s in all is about 1 Mb/s of answers.
 */
export const DEFAULT_ANSWER_LIMITS: AnswerLimits = {
  perSource: { ratePerSecond: 20, burst: 200 },
  global: { ratePerSecond: 2000, burst: 4000 },
  maxSources: 10_000,
};

export class AnswerBudget {
  private readonly sources = new Map<string, TokenBucketState>();
  private readonly global: TokenBucketState;

  constructor(
    private readonly limits: AnswerLimits,
    now: number,
  ) {
    this.global = newBucket(limits.global, now);
  }

  /** Takes one answer from the source's bucket and the global one; false = do not answer. */
  take(address: string, now: number): boolean {
    // One client as the signaling's defaults see it (IPv4 address, IPv6 /64): the responder is shared
    // by every signaling node on its port, whatever prefixes each of them was given.
    const key = sourceOf(address, DEFAULT_LIMITS);
    let bucket = this.sources.get(key);
    if (bucket) {
      // Re-inserted so that the Map's order is least recently active first.
      this.sources.delete(key);
    } else {
      if (this.sources.size >= this.limits.maxSources) this.sources.delete(this.sources.keys().next().value as string);
      bucket = newBucket(this.limits.perSource, now);
    }
    this.sources.set(key, bucket);
    return takeToken(bucket, this.limits.perSource, now) && takeToken(this.global, this.limits.global, now);
  }

  trackedSources(): number {
    return this.sources.size;
  }
}
