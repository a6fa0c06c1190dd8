/**
 * Turns an incoming msg into an upload job, validating everything the uploader relies on. Three
 * shapes are accepted (lib/protocol/msgs/):
 * - a segment msg from hls-watch (msg.segment + Buffer payload, optional msg.init);
 * - a file msg (msg.key + Buffer or string payload, optional msg.contentType / msg.cacheControl),
 *   e.g. a playlist from manifest;
 * - gap and lifecycle msgs from hls-watch, which carry nothing to upload but must keep their place
 *   in their rendition's order, so they travel through the same ordered lane.
 */
import { sha256Hex } from '../hash';
import { isId, isSegmentDuration, MAX_SEGMENT_SECONDS, type InitSection, type SegmentInfo } from '../protocol/msgs';
import { RelaycastError } from '../errors';

export interface SegmentJob {
  kind: 'segment';
  lane: string;
  segment: SegmentInfo;
  body: Buffer;
  init?: InitSection;
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

export type UploadJob = SegmentJob | ObjectJob | PassJob;

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

function requireString(owner: Record<string, unknown>, field: string, where: string): string {
  const value = owner[field];
  if (typeof value !== 'string' || value.length === 0) fail(`${where}.${field} must be a non-empty string`);
  return value;
}

/** Stream and rendition follow the contract's id rule, checked here before anything is stored. */
function requireId(segment: Record<string, unknown>, field: 'stream' | 'rendition'): string {
  const value = segment[field];
  return isId(value) ? value : fail(`msg.segment.${field} must be 1–64 characters of A–Z a–z 0–9 . _ ~ -, got ${JSON.stringify(value)}`);
}


export function parseUploadInput(msg: Record<string, unknown>): UploadJob {
  const topic = msg.topic;
  if (topic === 'gap') {
    const segment = isObject(msg.segment) ? msg.segment : fail('a gap msg needs msg.segment');
    return { kind: 'pass', lane: renditionLane(requireString(segment, 'stream', 'msg.segment'), requireString(segment, 'rendition', 'msg.segment')) };
  }
  if (topic === 'lifecycle') {
    const payload = isObject(msg.payload) ? msg.payload : fail('a lifecycle msg needs msg.payload');
    return { kind: 'pass', lane: renditionLane(requireString(payload, 'stream', 'msg.payload'), requireString(payload, 'rendition', 'msg.payload')) };
  }
  if (msg.key !== undefined && topic !== 'segment') return parseObjectMsg(msg);
  if (isObject(msg.segment)) return parseSegmentMsg(msg);
  return fail('expected a segment msg (msg.segment + Buffer payload) or a file msg (msg.key + payload)');
}

function parseObjectMsg(msg: Record<string, unknown>): ObjectJob {
  const key = typeof msg.key === 'string' ? msg.key : fail('msg.key must be a string');
  let body: Buffer;
  if (Buffer.isBuffer(msg.payload)) body = msg.payload;
  else if (typeof msg.payload === 'string') body = Buffer.from(msg.payload, 'utf8');
  else fail('msg.payload must be a Buffer or a string when msg.key is set');
  if (body.length > MAX_BODY_BYTES) fail(`msg.payload is larger than ${MAX_BODY_BYTES} bytes`);
  const contentType = msg.contentType === undefined ? undefined : typeof msg.contentType === 'string' && msg.contentType ? msg.contentType : fail('msg.contentType must be a non-empty string');
  const cacheControl = msg.cacheControl === undefined ? undefined : typeof msg.cacheControl === 'string' && msg.cacheControl ? msg.cacheControl : fail('msg.cacheControl must be a non-empty string');
  return { kind: 'object', lane: `object\u0000${key}`, key, body, contentType, cacheControl };
}

function parseSegmentMsg(msg: Record<string, unknown>): SegmentJob {
  const segment = msg.segment as Record<string, unknown>;
  if (!Buffer.isBuffer(msg.payload)) fail('a segment msg needs the segment bytes as a Buffer in msg.payload');
  const body = msg.payload;
  const stream = requireId(segment, 'stream');
  const rendition = requireId(segment, 'rendition');
  requireString(segment, 'session', 'msg.segment');
  requireString(segment, 'uri', 'msg.segment');
  if (!Number.isSafeInteger(segment.sequence) || (segment.sequence as number) < 0) fail('msg.segment.sequence must be an integer ≥ 0');
  if (!isSegmentDuration(segment.duration)) fail(`msg.segment.duration must be seconds > 0 and ≤ ${MAX_SEGMENT_SECONDS}`);
  if (body.length > MAX_BODY_BYTES) fail(`segment larger than ${MAX_BODY_BYTES} bytes`);
  if (segment.byteLength !== undefined && segment.byteLength !== body.length) fail(`msg.segment.byteLength (${String(segment.byteLength)}) differs from the payload length (${body.length})`);
  // The SHA-256 travels on to viewers, who reject peer data that does not match it: check it here,
  // before the bytes become public, rather than publish a segment nobody can verify.
  if (typeof segment.sha256 === 'string' && segment.sha256.toLowerCase() !== sha256Hex(body)) fail('msg.segment.sha256 does not match the payload');
  let init: InitSection | undefined;
  if (msg.init !== undefined && msg.init !== null) {
    const candidate = isObject(msg.init) ? msg.init : fail('msg.init must be an object');
    if (!Buffer.isBuffer(candidate.bytes)) fail('msg.init.bytes must be a Buffer');
    requireString(candidate, 'uri', 'msg.init');
    const hash = sha256Hex(candidate.bytes);
    if (typeof candidate.sha256 === 'string' && candidate.sha256.toLowerCase() !== hash) fail('msg.init.sha256 does not match msg.init.bytes');
    init = { ...(candidate as unknown as InitSection), sha256: hash };
  }
  return { kind: 'segment', lane: renditionLane(stream, rendition), segment: segment as unknown as SegmentInfo, body, init };
}
