/**
 * Turns an incoming msg into an upload job, validating everything the uploader relies on. Three
 * shapes are accepted (lib/protocol/msgs/):
 * - a segment msg from hls-watch (msg.segment + Buffer payload, optional msg.init);
 * - a file msg (msg.key + Buffer or string payload, optional msg.contentType / msg.cacheControl),
 *   e.g. a playlist from manifest;
 * - a part msg from hls-watch (msg.part + Buffer payload): an LL-HLS part, in its rendition's lane;
 * - gap and lifecycle msgs from hls-watch, which carry nothing to upload but must keep their place
 *   in their rendition's order, so they travel through the same ordered lane.
 */
import * as v from 'valibot';
import { sha256Hex } from '../hls/hash';
import { RelaycastError } from '../errors';
import {
  FileMsgSchema,
  GapMsgSchema,
  InitSectionSchema,
  LifecyclePayloadSchema,
  parseMsg,
  PartMsgSchema,
  type PartInfo,
  SegmentMsgSchema,
  type InitSection,
  type SegmentInfo,
} from '../protocol/msgs';

export interface SegmentJob {
  kind: 'segment';
  lane: string;
  segment: SegmentInfo;
  body: Buffer;
  init?: InitSection;
}

export interface PartJob {
  kind: 'part';
  lane: string;
  part: PartInfo;
  body: Buffer;
}

export interface ObjectJob {
  kind: 'object';
  lane: string;
  /** Relative to the key prefix. */
  key: string;
  body: Buffer;
  contentType?: string;
  cacheControl?: string;
}

export interface PassJob {
  kind: 'pass';
  lane: string;
}

export type UploadJob = SegmentJob | PartJob | ObjectJob | PassJob;

/** Largest body accepted for one PUT (S3 single-part limit is 5 GiB; a live segment is far smaller). */
export const MAX_BODY_BYTES = 512 * 1024 * 1024;

export function renditionLane(stream: string, rendition: string): string {
  return `rendition\u0000${stream}\u0000${rendition}`;
}

function fail(message: string): never {
  throw new RelaycastError('E_UPLOAD_INPUT', message);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Gap and lifecycle msgs only need their lane here: their stream and rendition, by the id rule. */
const GapLaneSchema = v.object({ segment: v.pick(GapMsgSchema.entries.segment, ['stream', 'rendition']) });
const LifecycleLaneSchema = v.object({ payload: v.pick(LifecyclePayloadSchema, ['stream', 'rendition']) });

/**
 * What r2-upload stores and derives the key from (the bytes are checked against byteLength and
 * sha256 below), and what manifest and signaling would refuse: refused here, before the bytes
 * become public. The hints (variant, renditions) travel on unread. init.sha256 may be absent: it
 * is computed from the bytes.
 */
const UploadSegmentSchema = v.object({
  payload: SegmentMsgSchema.entries.payload,
  segment: v.pick(SegmentMsgSchema.entries.segment, [
    'stream',
    'rendition',
    'session',
    'uri',
    'sequence',
    'duration',
    'byteLength',
    'sha256',
    'targetDuration',
    'discontinuity',
    'redelivered',
    'programDateTime',
  ]),
  init: v.nullish(v.object({ ...v.pick(InitSectionSchema, ['uri', 'bytes']).entries, sha256: v.optional(v.string()) })),
});

const code = 'E_UPLOAD_INPUT';

export function parseUploadInput(msg: Record<string, unknown>): UploadJob {
  const topic = msg.topic;
  if (topic === 'gap') {
    const { segment } = parseMsg(GapLaneSchema, msg, 'msg', code);
    return { kind: 'pass', lane: renditionLane(segment.stream, segment.rendition) };
  }
  if (topic === 'lifecycle') {
    const { payload } = parseMsg(LifecycleLaneSchema, msg, 'msg', code);
    return { kind: 'pass', lane: renditionLane(payload.stream, payload.rendition) };
  }
  if (topic === 'part') return parsePartMsg(msg);
  if (msg.key !== undefined && topic !== 'segment') return parseObjectMsg(msg);
  if (isObject(msg.segment)) return parseSegmentMsg(msg);
  return fail('expected a segment msg (msg.segment + Buffer payload) or a file msg (msg.key + payload)');
}

function parseObjectMsg(msg: Record<string, unknown>): ObjectJob {
  const { key, payload, contentType, cacheControl } = parseMsg(FileMsgSchema, msg, 'msg', code);
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  if (body.length > MAX_BODY_BYTES) fail(`msg.payload is larger than ${MAX_BODY_BYTES} bytes`);
  return { kind: 'object', lane: `object\u0000${key}`, key, body, contentType, cacheControl };
}

/** What r2-upload stores a part under and checks its bytes against (as for a segment). */
const UploadPartSchema = v.object({
  payload: PartMsgSchema.entries.payload,
  part: PartMsgSchema.entries.part,
});

function parsePartMsg(msg: Record<string, unknown>): PartJob {
  const { payload: body, part } = parseMsg(UploadPartSchema, msg, 'msg', code);
  if (part.byteLength !== body.length) fail(`msg.part.byteLength (${part.byteLength}) differs from the payload length (${body.length})`);
  if (part.sha256 !== sha256Hex(body)) fail('msg.part.sha256 does not match the payload');
  // The msg's own part object travels on: r2-upload sets its key and url for manifest.
  return { kind: 'part', lane: renditionLane(part.stream, part.rendition), part: msg.part as PartInfo, body };
}

function parseSegmentMsg(msg: Record<string, unknown>): SegmentJob {
  const { payload: body, segment, init } = parseMsg(UploadSegmentSchema, msg, 'msg', code);
  if (body.length > MAX_BODY_BYTES) fail(`segment larger than ${MAX_BODY_BYTES} bytes`);
  if (segment.byteLength !== body.length) fail(`msg.segment.byteLength (${segment.byteLength}) differs from the payload length (${body.length})`);
  // The SHA-256 travels on to viewers, who reject peer data that does not match it: check it here,
  // before the bytes become public, rather than publish a segment nobody can verify.
  if (segment.sha256 !== sha256Hex(body)) fail('msg.segment.sha256 does not match the payload');
  let checkedInit: InitSection | undefined;
  if (init) {
    const hash = sha256Hex(init.bytes);
    if (init.sha256 !== undefined && init.sha256.toLowerCase() !== hash) fail('msg.init.sha256 does not match msg.init.bytes');
    checkedInit = { ...(msg.init as InitSection), sha256: hash };
  }
  // The msg's own segment object travels on: r2-upload sets its key and url for the next node.
  return { kind: 'segment', lane: renditionLane(segment.stream, segment.rendition), segment: msg.segment as SegmentInfo, body, init: checkedInit };
}
