/** The 'playlist' msg manifest outputs for every new playlist version (to signaling, r2-upload, payout). */
import * as v from 'valibot';
import { WholeNumberSchema } from './fields';
import { FileMsgSchema } from './file';
import { IdSchema } from './ids';
import { SegmentInfoSchema } from './segment';

export const PlaylistInfoSchema = v.object({
  stream: IdSchema,
  /** Rendition id, or null for the master playlist. */
  rendition: v.nullable(IdSchema),
  mediaSequence: v.optional(WholeNumberSchema),
  discontinuitySequence: v.optional(WholeNumberSchema),
  /** Absent counts as not ended. */
  ended: v.optional(v.boolean(), false),
  /**
   * Set from 1 on: a new playlist after an earlier one of this rendition ended (served at
   * ?presentation=N). Absent = 0, so msgs of a stream that never ended are unchanged.
   */
  presentation: v.optional(WholeNumberSchema),
});
export type PlaylistInfo = v.InferOutput<typeof PlaylistInfoSchema>;

export const PlaylistMsgSchema = v.object({
  topic: v.literal('playlist'),
  /** The playlist text, exactly as served. */
  payload: v.custom<string>((x) => typeof x === 'string' && x.startsWith('#EXTM3U'), 'must be the playlist text (#EXTM3U…)'),
  /** Object key (relative to the bucket's prefix) a flow may publish it under through r2-upload. */
  key: FileMsgSchema.entries.key,
  contentType: v.literal('application/vnd.apple.mpegurl'),
  cacheControl: FileMsgSchema.entries.cacheControl.wrapped,
  playlist: PlaylistInfoSchema,
  /** The segment whose arrival produced this version (absent for master-only changes). */
  segment: v.optional(SegmentInfoSchema),
});
export type PlaylistMsg = v.InferOutput<typeof PlaylistMsgSchema>;
