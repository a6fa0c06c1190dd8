/**
 * The 'part' msg: one LL-HLS partial segment (rfc8216bis §4.4.4.9) of the segment an encoder is
 * still writing, sent by hls-watch as soon as the encoder lists it, stored by r2-upload and listed
 * by manifest (EXT-X-PART) before the whole segment exists. Parts are best effort: the whole
 * segment follows as a segment msg whatever happens to its parts, and is what receipts confirm, so
 * a part is neither journaled nor sent again.
 */
import * as v from 'valibot';
import { BytesSchema, SegmentDurationSchema, WholeNumberSchema } from './fields';
import { SegmentInfoSchema } from './segment';

/** Most parts one segment may have (a 60 s segment cut in 0.1 s parts). */
export const MAX_PARTS_PER_SEGMENT = 600;

export const PartInfoSchema = v.object({
  /**
   * The fields a part shares with its segment, by the segment's rules: `sequence` is its segment's
   * (the one its segment msg will carry), `duration` the part's own (EXT-X-PART DURATION),
   * `programDateTime` its segment's, and `key` / `url` are set by r2-upload once it is stored.
   */
  ...v.pick(SegmentInfoSchema, [
    'stream',
    'rendition',
    'session',
    'sequence',
    'duration',
    'byteLength',
    'sha256',
    'uri',
    'contentType',
    'programDateTime',
    'key',
    'url',
  ]).entries,
  /** Index of this part within its segment, from 0. */
  index: v.pipe(WholeNumberSchema, v.maxValue(MAX_PARTS_PER_SEGMENT - 1)),
  /** The part starts with a random access point (EXT-X-PART INDEPENDENT=YES). */
  independent: v.optional(v.boolean(), false),
  /** The encoder's PART-TARGET, seconds. */
  partTarget: SegmentDurationSchema,
});
export type PartInfo = v.InferOutput<typeof PartInfoSchema>;

/** msg.topic === 'part': msg.payload is the part's bytes. */
export const PartMsgSchema = v.object({
  topic: v.literal('part'),
  payload: BytesSchema,
  part: PartInfoSchema,
});
export type PartMsg = v.InferOutput<typeof PartMsgSchema>;
