/**
 * Exponential backoff with "full jitter": the delay before retry n is uniform in
 * [0, min(maxMs, baseMs · 2^(n-1))]. Jitter spreads the retries of many uploads that failed together
 * (a 503 burst, a dropped connection pool), so they do not hit the store again in lockstep.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 100, maxMs: 5000 };

/** retry is 1 for the first retry. random() returns [0, 1). */
export function backoffDelayMs(retry: number, options: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}
