/**
 * Field rules shared by the msg schemas: each field means the same, and is checked the same, in
 * every node that reads it.
 */
import * as v from 'valibot';
import { isPublicUrl, isSegmentDuration, isSha256Hex, MAX_SEGMENT_SECONDS, MAX_URL_CHARS } from '../segment-rules';

export { isSegmentDuration, MAX_SEGMENT_SECONDS };

export const SegmentDurationSchema = v.custom<number>(isSegmentDuration, `must be seconds > 0 and ≤ ${MAX_SEGMENT_SECONDS}`);

export const WholeNumberSchema = v.custom<number>((x) => Number.isSafeInteger(x) && (x as number) >= 0, 'must be a whole number ≥ 0');

export const PositiveWholeNumberSchema = v.custom<number>((x) => Number.isSafeInteger(x) && (x as number) > 0, 'must be a whole number > 0');

export const Sha256Schema = v.custom<string>(isSha256Hex, 'must be 64 lower-case hex digits');

export const NonEmptyStringSchema = v.custom<string>((x) => typeof x === 'string' && x.length > 0, 'must be a non-empty string');

/** hls-watch's session id: new for every encoder start, part of object keys. */
export const SessionSchema = v.custom<string>((x) => typeof x === 'string' && x.length > 0 && x.length <= 200, 'must be a string of 1–200 characters');

/** A public object URL (set by r2-upload once stored): the rule is isPublicUrl (lib/protocol/segment-rules.ts). */
export const PublicUrlSchema = v.custom<string>(isPublicUrl, `must be an absolute http(s) URL of at most ${MAX_URL_CHARS} characters without spaces or quotes`);

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
