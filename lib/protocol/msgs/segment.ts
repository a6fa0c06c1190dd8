/**
 * The msgs hls-watch emits and r2-upload passes on, in each rendition's order: 'segment' (a
 * finished media segment), 'gap' (a segment the encoder listed that cannot be delivered) and
 * 'lifecycle' (stream started / restarted / ended). Each consumer picks the fields it relies on
 * (v.pick), so a field is checked by the same rule wherever it is read.
 */
import * as v from 'valibot';
import {
  BytesSchema,
  DateTimeSchema,
  MAX_SEGMENT_SECONDS,
  NonEmptyStringSchema,
  PositiveWholeNumberSchema,
  PublicUrlSchema,
  SegmentDurationSchema,
  SessionSchema,
  Sha256Schema,
  topicMsg,
  WholeNumberSchema,
} from './fields';
import { IdSchema, isId } from './ids';

/** Optional and null both mean absent (flows often write null). */
function absent<S extends v.GenericSchema>(schema: S) {
  return v.pipe(
    v.nullish(schema),
    v.transform((x) => x ?? undefined),
  );
}

/** A hint: used when well-formed, ignored (not refused) otherwise, since it only refines output. */
function hint<S extends v.GenericSchema>(schema: S) {
  return v.fallback(v.optional(schema), undefined);
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, x]) => x !== undefined)) as T;
}

const positiveNumber = (max = Number.MAX_VALUE) => v.custom<number>((x) => typeof x === 'number' && Number.isFinite(x) && x > 0 && x < max);
const positiveInteger = v.custom<number>((x) => Number.isInteger(x) && (x as number) > 0);

/**
 * Rendition attributes taken from the encoder's master playlist, when it has one. They end up in
 * manifest's master playlist, so a malformed one is dropped rather than written.
 */
export const VariantSchema = v.pipe(
  v.object({
    bandwidth: hint(v.pipe(positiveNumber(), v.transform(Math.round))),
    averageBandwidth: hint(v.pipe(positiveNumber(), v.transform(Math.round))),
    // CODECS is written inside a quoted-string: RFC 6381 strings never need quotes or line breaks.
    codecs: hint(v.custom<string>((x) => typeof x === 'string' && /^[A-Za-z0-9.,+_ -]{1,200}$/.test(x))),
    resolution: hint(v.object({ width: positiveInteger, height: positiveInteger })),
    frameRate: hint(positiveNumber(1000)),
  }),
  v.transform(withoutUndefined),
);
export type VariantInfo = v.InferOutput<typeof VariantSchema>;

/** An fMP4 media initialization section (EXT-X-MAP). */
export const InitSectionSchema = v.object({
  /** URI as written in the encoder's playlist. */
  uri: NonEmptyStringSchema,
  /** Absolute source path it was read from. */
  path: v.string(),
  bytes: BytesSchema,
  byteLength: WholeNumberSchema,
  sha256: Sha256Schema,
  contentType: v.string(),
  /** Set by r2-upload once stored. */
  key: v.optional(v.string()),
  url: v.optional(PublicUrlSchema),
});
export type InitSection = v.InferOutput<typeof InitSectionSchema>;

/** Most renditions a stream's layout hint may name (an encoder ladder has a handful). */
const MAX_LAYOUT_RENDITIONS = 64;

export const SegmentInfoSchema = v.object({
  /** Stream id configured on hls-watch. */
  stream: IdSchema,
  /** Rendition id: the variant folder/playlist name ("0", "720p", …); "main" for a single-variant stream. */
  rendition: IdSchema,
  /**
   * Streaming session id: new for every encoder start or restart, so object keys derived from it
   * are never reused (players and CDNs may cache an object forever).
   */
  session: SessionSchema,
  /** The encoder's own media sequence number (restarts from 0 with the encoder). */
  encoderSequence: WholeNumberSchema,
  /** Relaycast's sequence for this stream and rendition: strictly increasing, across restarts. */
  sequence: WholeNumberSchema,
  /** Seconds, from the encoder playlist's EXTINF (never guessed). */
  duration: SegmentDurationSchema,
  /**
   * Whole seconds: the EXT-X-TARGETDURATION of the encoder playlist that listed this segment, the
   * encoder's own bound on its segment lengths (manifest fixes its target from it). Optional, so
   * msgs built by other flows stay valid.
   */
  targetDuration: v.optional(
    v.custom<number>((x) => Number.isInteger(x) && (x as number) > 0 && (x as number) <= MAX_SEGMENT_SECONDS, 'must be whole seconds > 0'),
  ),
  /** A segment of no bytes cannot be played, announced or credited. */
  byteLength: PositiveWholeNumberSchema,
  /** Lower-case hex SHA-256 of the segment bytes: viewers verify peer data against it. */
  sha256: Sha256Schema,
  /** URI as written in the encoder's playlist. */
  uri: NonEmptyStringSchema,
  /** Absolute path the bytes were read from. */
  path: v.string(),
  contentType: v.string(),
  /** True on the first segment after an encoder restart, an EXT-X-DISCONTINUITY, or a gap. */
  discontinuity: v.optional(v.boolean(), false),
  /**
   * Sent again after a restart or redeploy because no consumer confirmed it (lib/pipeline/delivery-receipts.ts):
   * a consumer that already has it ignores it quietly.
   */
  redelivered: v.optional(v.boolean()),
  /** ISO 8601 with milliseconds, from EXT-X-PROGRAM-DATE-TIME when the encoder writes it. */
  programDateTime: absent(
    v.pipe(
      v.string(),
      v.transform((x) => x || undefined),
      v.optional(DateTimeSchema),
    ),
  ),
  variant: absent(VariantSchema),
  /**
   * Every rendition of this stream hls-watch follows when it sent this segment (the encoder's
   * layout, after hls-watch's filter), when there are several. Manifest holds its first master
   * until each has a segment (at most 2 target durations): a player loads the master once, so one
   * served before the other renditions' first segments would hide them for the whole session.
   */
  renditions: hint(
    v.pipe(
      v.custom<string[]>((x) => Array.isArray(x) && x.length > 0 && x.length <= MAX_LAYOUT_RENDITIONS && x.every(isId)),
      v.transform((ids) => [...new Set(ids)]),
    ),
  ),
  /** Set by r2-upload once the object is durably stored. */
  key: hint(v.string()),
  url: v.optional(PublicUrlSchema),
});
export type SegmentInfo = v.InferOutput<typeof SegmentInfoSchema>;

/** msg.topic === 'segment': msg.payload is the segment bytes. */
export const SegmentMsgSchema = v.object({
  topic: v.literal('segment'),
  payload: BytesSchema,
  segment: SegmentInfoSchema,
  /** Present for fMP4 segments. */
  init: v.optional(InitSectionSchema),
  _msgid: v.optional(v.string()),
});
export type SegmentMsg = v.InferOutput<typeof SegmentMsgSchema>;

export const GapReasonSchema = v.picklist(['segment-lost', 'upload-failed']);
export type GapReason = v.InferOutput<typeof GapReasonSchema>;

/** A gap has no bytes: it may lack what only bytes give (length, hash). */
export const GapSegmentSchema = v.object({
  ...SegmentInfoSchema.entries,
  byteLength: v.optional(PositiveWholeNumberSchema),
  sha256: v.optional(Sha256Schema),
});

/**
 * msg.topic === 'gap': a segment the encoder listed that cannot be delivered. Downstream marks it
 * (manifest: EXT-X-GAP or a discontinuity) instead of silently skipping it.
 */
export const GapMsgSchema = v.object({
  topic: v.literal('gap'),
  payload: v.object({ reason: GapReasonSchema, code: v.string(), message: v.string() }),
  segment: GapSegmentSchema,
});
export type GapMsg = v.InferOutput<typeof GapMsgSchema>;

export const LifecyclePayloadSchema = v.object({
  event: v.picklist(['started', 'restarted', 'ended']),
  stream: IdSchema,
  rendition: IdSchema,
  session: SessionSchema,
  /** Relaycast sequence of the next segment expected (started/restarted) or of the last one (ended). */
  sequence: v.fallback(WholeNumberSchema, 0),
  variant: absent(VariantSchema),
});

/** msg.topic === 'lifecycle'. */
export const LifecycleMsgSchema = topicMsg('lifecycle', LifecyclePayloadSchema);
export type LifecycleMsg = v.InferOutput<typeof LifecycleMsgSchema>;
export type LifecycleEvent = LifecycleMsg['payload']['event'];
