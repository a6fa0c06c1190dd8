/**
 * The one id rule for stream and rendition ids (and the supporter ids receipts carry), which every
 * node applies: ids become path segments of playlist URLs (manifest), of object keys (r2-upload)
 * and of ledger keys (payout), so 1–64 URL-safe characters, and never "." or "..", which a path
 * would resolve away.
 */
import * as v from 'valibot';

/** The characters and length of an id, for patterns that embed it (manifest's path templates). */
export const ID_BODY = '[A-Za-z0-9._~-]{1,64}';

export const ID_PATTERN = new RegExp(`^${ID_BODY}$`);

export const ID_RULE = '1–64 characters of A–Z a–z 0–9 . _ ~ - (not . or ..)';

export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value) && value !== '.' && value !== '..';
}

export const IdSchema = v.custom<string>(isId, `must be ${ID_RULE}`);

/** A folder or file name as an id that follows the rule (hls-watch names renditions after them). */
export function toId(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._~-]/g, '_').slice(0, 64);
  return isId(cleaned) ? cleaned : '_';
}
