/**
 * The supporter summary's `me` request, decided without Node-RED (nodes/payout/summary-route.ts sends
 * the answer). A token is ≥ 16 characters and compared by digest, so guessing is hopeless; still,
 * each guess costs a request, and a source may make only so many:
 * - the source's token bucket is charged first, whatever the token (signaling's rule, per source:
 *   lib/signaling/source-limiter.ts, in Redis when instances share it), and a refusal answers 429 with
 *   Retry-After before any token is looked at, so a good token and a bad one are refused alike;
 * - every request that passes has its token checked the same way, a missing or malformed one too
 *   (against the empty token): no early answer whose speed tells a guess from a near miss.
 */
import type { SupporterSummary } from '../protocol/supporter-summary';
import type { TokenBucketConfig } from '../signaling/rate-limiter';
import type { SourceLimiter } from '../signaling/source-limiter';

/**
 * Twenty tries at once, then one every 2 s per source: 1,800 an hour instead of 500 a second, and room
 * for a household of headless supporters each reading its credit every 30 s (lib/supporter).
 */
export const SUMMARY_RATE: TokenBucketConfig = { ratePerSecond: 0.5, burst: 20 };

export interface SummaryDoorParts {
  limiter: SourceLimiter;
  /** The supporter id a token stands for, or null. */
  verify(token: string): Promise<string | null>;
  summary(supporter: string): Promise<SupporterSummary>;
}

export interface SummaryAnswer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

const BEARER = /^Bearer\s+(\S{1,256})$/i;

function json(status: number, value: unknown, headers: Record<string, string> = {}): SummaryAnswer {
  return { status, body: JSON.stringify(value), headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers } };
}

/** The answer to one `me` request from `source` (addresses.ts sourceOf) with this Authorization header. */
export async function answerSummary(parts: SummaryDoorParts, source: string, authorization: string | string[] | undefined): Promise<SummaryAnswer> {
  const verdict = await parts.limiter.take(source);
  if (!verdict.ok) {
    return json(
      429,
      { error: 'too many attempts from this address: wait and try again' },
      { 'Retry-After': String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))) },
    );
  }
  const token = typeof authorization === 'string' ? BEARER.exec(authorization)?.[1] : undefined;
  let supporter: string | null;
  try {
    supporter = await parts.verify(token ?? '');
    if (!token || !supporter) {
      const error = token ? 'unknown token' : 'send your supporter token as Authorization: Bearer <token>';
      return json(401, { error }, { 'WWW-Authenticate': 'Bearer' });
    }
    return json(200, await parts.summary(supporter));
  } catch {
    return json(503, { error: 'the ledger is unavailable' });
  }
}
