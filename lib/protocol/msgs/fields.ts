/**
 * Field rules shared by the msg schemas: each field means the same, and is checked the same, in
 * every node that reads it.
 */
import * as v from 'valibot';

/** Longest segment a msg may carry, in seconds. */
export const MAX_SEGMENT_SECONDS = 3600;

/**
 * The one duration rule for segments and gaps: seconds > 0 and at most MAX_SEGMENT_SECONDS. An
 * EXTINF:0 entry cannot be played or listed (it would make a player spin), so hls-watch refuses it
 * at the source instead of r2-upload storing what manifest then refuses.
 */
export function isSegmentDuration(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= MAX_SEGMENT_SECONDS;
}

export const SegmentDurationSchema = v.custom<number>(isSegmentDuration, `must be seconds > 0 and ≤ ${MAX_SEGMENT_SECONDS}`);

export const WholeNumberSchema = v.custom<number>((x) => Number.isSafeInteger(x) && (x as number) >= 0, 'must be a whole number ≥ 0');

export const PositiveWholeNumberSchema = v.custom<number>((x) => Number.isSafeInteger(x) && (x as number) > 0, 'must be a whole number > 0');

export const Sha256Schema = v.custom<string>((x) => typeof x === 'string' && /^[0-9a-f]{64}$/.test(x), 'must be 64 lower-case hex digits');

export const NonEmptyStringSchema = v.custom<string>((x) => typeof x === 'string' && x.length > 0, 'must be a non-empty string');

/** hls-watch's session id: new for every encoder start, part of object keys. */
export const SessionSchema = v.custom<string>((x) => typeof x === 'string' && x.length > 0 && x.length <= 200, 'must be a string of 1–200 characters');

/**
 * A public object URL (set by r2-upload once stored): absolute http(s), at most 2048 characters,
 * without whitespace, quotes or control characters, so it stays one playlist line or one quoted
 * attribute, and a viewer can fetch it as announced.
 */
const SAFE_URL = /^https?:\/\/[^\s"<>\\^`{|}\x00-\x1f\x7f]+$/i;
export const PublicUrlSchema = v.custom<string>(
  (x) => typeof x === 'string' && x.length <= 2048 && SAFE_URL.test(x),
  'must be an absolute http(s) URL of at most 2048 characters without spaces or quotes',
);

/** ISO 8601 date-time (EXT-X-PROGRAM-DATE-TIME), normalised to UTC with milliseconds. */
export const DateTimeSchema = v.pipe(
  v.custom<string>((x) => typeof x === 'string' && !Number.isNaN(Date.parse(x)), 'must be an ISO 8601 date-time'),
  v.transform((x) => new Date(Date.parse(x)).toISOString()),
);

/** A Node Buffer. Read through globalThis so this file stays loadable in a browser (which never sees segment bytes). */
export function isBuffer(x: unknown): x is Buffer {
  return (globalThis as { Buffer?: typeof Buffer }).Buffer?.isBuffer(x) === true;
}

export const BytesSchema = v.custom<Buffer>(isBuffer, 'must be a Buffer');

/** A msg whose topic names what its payload is (lifecycle, receipt, stats). */
export function topicMsg<T extends string, S extends v.GenericSchema>(topic: T, payload: S) {
  return v.object({ topic: v.literal(topic), payload });
}
