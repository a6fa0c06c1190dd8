/**
 * Turns the msgs of lib/protocol/msgs/ into checked values. Anything that would put a wrong line into
 * a playlist (a relative or multi-line URL, a NaN duration, an id unusable in a path) is refused
 * here with a RelaycastError whose code a Catch node can branch on.
 */
import * as v from 'valibot';
import {
  GapMsgSchema,
  InitSectionSchema,
  LifecyclePayloadSchema,
  parseMsg,
  PartInfoSchema,
  PublicUrlSchema,
  SegmentInfoSchema,
  type MsgIssue,
} from '../protocol/msgs';

/** Flows often write null or "" for "no URL": both mean absent. */
const emptyAsAbsent = v.transform((x: unknown) => (x === '' || x === null ? undefined : x));
const storedUrl = v.pipe(v.unknown(), emptyAsAbsent, PublicUrlSchema);
const optionalUrl = v.pipe(v.unknown(), emptyAsAbsent, v.optional(PublicUrlSchema));

/** Where a segment or gap sits in the stream's timeline: the fields segment and gap msgs share. */
const POSITION = ['stream', 'rendition', 'session', 'sequence', 'duration', 'targetDuration', 'discontinuity', 'redelivered'] as const;

/** A segment manifest may list: stored by r2-upload, so with its public URL (and its init's). */
const SegmentReadSchema = v.pipe(
  v.object({
    segment: v.object({
      ...v.pick(SegmentInfoSchema, [...POSITION, 'byteLength']).entries,
      url: storedUrl,
      ...v.pick(SegmentInfoSchema, ['programDateTime', 'variant', 'renditions', 'key']).entries,
    }),
    init: v.nullish(v.object({ url: v.pipe(v.unknown(), emptyAsAbsent, InitSectionSchema.entries.url.wrapped) })),
  }),
  v.transform(({ segment, init }) => ({ ...segment, initUrl: init?.url })),
);

/** A gap: listed as EXT-X-GAP where its URL is known (its own, or derived from its uri), else a discontinuity. */
const GapReadSchema = v.pipe(
  v.object({
    segment: v.object({
      ...v.pick(GapMsgSchema.entries.segment, [...POSITION, 'programDateTime']).entries,
      url: v.optional(optionalUrl),
      // Only used to derive the URL from a sibling's: a gap without one is still a gap.
      uri: v.fallback(GapMsgSchema.entries.segment.entries.uri, ''),
    }),
    // A gap's init matters only for its URL: anything but an object is ignored.
    init: v.optional(
      v.pipe(
        v.unknown(),
        v.transform((x) => (typeof x === 'object' && x !== null ? x : undefined)),
        v.optional(v.object({ url: optionalUrl })),
      ),
    ),
  }),
  v.transform(({ segment, init }) => ({ ...segment, initUrl: init?.url })),
);

const LifecycleReadSchema = v.object({ payload: LifecyclePayloadSchema });

/** An LL-HLS part manifest may list: stored by r2-upload, so with its public URL. */
const PartReadSchema = v.pipe(
  v.object({
    part: v.object({
      ...v.pick(PartInfoSchema, ['stream', 'rendition', 'session', 'sequence', 'index', 'duration', 'independent', 'partTarget', 'key']).entries,
      url: storedUrl,
    }),
  }),
  v.transform(({ part }) => part),
);

export type SegmentInput = v.InferOutput<typeof SegmentReadSchema>;
export type GapInput = v.InferOutput<typeof GapReadSchema>;
export type LifecycleInput = v.InferOutput<typeof LifecycleReadSchema>['payload'];
export type PartInput = v.InferOutput<typeof PartReadSchema>;

/** Manifest's codes: a bad id, a missing or bad URL are told apart for the operator's Catch node. */
function manifestCode(issue: MsgIssue): string | { code: string; hint: string } {
  const empty = issue.input === undefined || issue.input === null || issue.input === '';
  if (issue.field === 'stream' || issue.field === 'rendition') return 'E_MANIFEST_BAD_ID';
  if ((issue.path === 'segment.url' || issue.path === 'part.url') && empty)
    return { code: 'E_MANIFEST_NO_URL', hint: 'manifest lists only stored objects (wire it after r2-upload)' };
  if (issue.path === 'init.url' && empty) return { code: 'E_MANIFEST_NO_INIT_URL', hint: 'manifest lists only stored objects (wire it after r2-upload)' };
  if (issue.field === 'url') return 'E_MANIFEST_BAD_URL';
  return 'E_MANIFEST_BAD_MSG';
}

export function readSegmentMsg(msg: Record<string, unknown>): SegmentInput {
  return parseMsg(SegmentReadSchema, msg, 'msg', manifestCode);
}

export function readGapMsg(msg: Record<string, unknown>): GapInput {
  return parseMsg(GapReadSchema, msg, 'msg', manifestCode);
}

export function readPartMsg(msg: Record<string, unknown>): PartInput {
  return parseMsg(PartReadSchema, msg, 'msg', manifestCode);
}

export function readLifecycleMsg(msg: Record<string, unknown>): LifecycleInput {
  return parseMsg(LifecycleReadSchema, msg, 'msg', manifestCode).payload;
}
