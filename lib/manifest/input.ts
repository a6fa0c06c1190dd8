/**
 * Turns the msgs of lib/protocol/msgs/ into checked values. Anything that would put a wrong line into
 * a playlist (a relative or multi-line URL, a NaN duration, an id unusable in a path) is refused
 * here with a RelaycastError whose code a Catch node can branch on.
 */
import { RelaycastError } from '../errors';
import { isId, isSegmentDuration, MAX_SEGMENT_SECONDS, type GapReason, type LifecycleEvent, type LifecycleMsg, type VariantInfo } from '../protocol/msgs';

/** Where a segment or gap sits in the stream's timeline: the fields segment and gap msgs share. */
interface TimelinePosition {
  stream: string;
  rendition: string;
  session: string;
  sequence: number;
  duration: number;
  /** The encoder's EXT-X-TARGETDURATION, when the msg carries it. */
  targetDuration?: number;
  discontinuity: boolean;
  /** Sent again after hls-watch restarted; ignored when already handled. */
  redelivered?: boolean;
}

export interface SegmentInput extends TimelinePosition {
  byteLength: number;
  url: string;
  programDateTime?: string;
  initUrl?: string;
  variant?: VariantInfo;
  /** hls-watch's followed renditions of the stream (SegmentInfo.renditions). */
  renditions?: string[];
  key?: string;
}

export interface GapInput extends TimelinePosition {
  /** Where the segment would have been (absolute), when it can be known. */
  url?: string;
  uri: string;
  programDateTime?: string;
  reason: GapReason | string;
  initUrl?: string;
}

export type LifecycleInput = LifecycleMsg['payload'];

/** No whitespace, quotes or control characters: a URL must stay one playlist line / one quoted attribute. */
const SAFE_URL = /^https?:\/\/[^\s"<>\\^`{|}\x00-\x1f\x7f]+$/i;

function bad(message: string, code = 'E_MANIFEST_BAD_MSG'): never {
  throw new RelaycastError(code, message);
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) bad(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function id(value: unknown, what: string): string {
  if (!isId(value)) bad(`${what} must be 1–64 characters of A–Z a–z 0–9 . _ ~ -, got ${JSON.stringify(value)}`, 'E_MANIFEST_BAD_ID');
  return value;
}

function session(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) bad(`${what} must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

function wholeNumber(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) bad(`${what} must be a whole number ≥ 0, got ${JSON.stringify(value)}`);
  return value;
}

function encoderTarget(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > 3600) bad(`segment.targetDuration must be whole seconds > 0, got ${JSON.stringify(value)}`);
  return value;
}

function duration(value: unknown): number {
  if (!isSegmentDuration(value)) bad(`segment.duration must be seconds > 0 and ≤ ${MAX_SEGMENT_SECONDS}, got ${JSON.stringify(value)}`);
  return value;
}

function url(value: unknown, what: string, missingCode: string): string {
  if (value === undefined || value === null || value === '') bad(`${what} is missing: manifest lists only stored objects (wire it after r2-upload)`, missingCode);
  if (typeof value !== 'string' || !SAFE_URL.test(value)) bad(`${what} must be an absolute http(s) URL without spaces or quotes, got ${JSON.stringify(value)}`, 'E_MANIFEST_BAD_URL');
  return value;
}

function optionalUrl(value: unknown, what: string): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : url(value, what, 'E_MANIFEST_BAD_URL');
}

function programDateTime(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) bad(`segment.programDateTime must be an ISO 8601 date-time, got ${JSON.stringify(value)}`);
  return new Date(Date.parse(value)).toISOString();
}

function variant(value: unknown): VariantInfo | undefined {
  if (value === undefined || value === null) return undefined;
  const v = record(value, 'segment.variant');
  const out: VariantInfo = {};
  if (typeof v.bandwidth === 'number' && v.bandwidth > 0) out.bandwidth = Math.round(v.bandwidth);
  if (typeof v.averageBandwidth === 'number' && v.averageBandwidth > 0) out.averageBandwidth = Math.round(v.averageBandwidth);
  // CODECS is written inside a quoted-string: RFC 6381 strings never need quotes or line breaks.
  if (typeof v.codecs === 'string' && /^[A-Za-z0-9.,+_ -]{1,200}$/.test(v.codecs)) out.codecs = v.codecs;
  const r = v.resolution as { width?: unknown; height?: unknown } | undefined;
  if (r && Number.isInteger(r.width) && Number.isInteger(r.height) && (r.width as number) > 0 && (r.height as number) > 0) {
    out.resolution = { width: r.width as number, height: r.height as number };
  }
  if (typeof v.frameRate === 'number' && v.frameRate > 0 && v.frameRate < 1000) out.frameRate = v.frameRate;
  return out;
}

/** Most renditions a stream's layout hint may name (an encoder ladder has a handful). */
const MAX_LAYOUT_RENDITIONS = 64;

/** hls-watch's layout hint: ignored, not refused, when malformed (it only delays a master). */
function layoutRenditions(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_LAYOUT_RENDITIONS || !value.every(isId)) return undefined;
  return [...new Set(value as string[])];
}

function initUrl(msg: Record<string, unknown>): string | undefined {
  if (msg.init === undefined || msg.init === null) return undefined;
  const init = record(msg.init, 'msg.init');
  return url(init.url, 'msg.init.url', 'E_MANIFEST_NO_INIT_URL');
}

function readPosition(s: Record<string, unknown>): TimelinePosition {
  return {
    stream: id(s.stream, 'segment.stream'),
    rendition: id(s.rendition, 'segment.rendition'),
    session: session(s.session, 'segment.session'),
    sequence: wholeNumber(s.sequence, 'segment.sequence'),
    duration: duration(s.duration),
    ...(s.targetDuration === undefined ? {} : { targetDuration: encoderTarget(s.targetDuration) }),
    discontinuity: s.discontinuity === true,
    ...(s.redelivered === true ? { redelivered: true } : {}),
  };
}

export function readSegmentMsg(msg: Record<string, unknown>): SegmentInput {
  const s = record(msg.segment, 'msg.segment');
  return {
    ...readPosition(s),
    byteLength: wholeNumber(s.byteLength, 'segment.byteLength'),
    url: url(s.url, 'segment.url', 'E_MANIFEST_NO_URL'),
    programDateTime: programDateTime(s.programDateTime),
    initUrl: initUrl(msg),
    variant: variant(s.variant),
    renditions: layoutRenditions(s.renditions),
    key: typeof s.key === 'string' ? s.key : undefined,
  };
}

export function readGapMsg(msg: Record<string, unknown>): GapInput {
  const s = record(msg.segment, 'msg.segment');
  const payload = msg.payload && typeof msg.payload === 'object' ? (msg.payload as Record<string, unknown>) : {};
  return {
    ...readPosition(s),
    url: optionalUrl(s.url, 'segment.url'),
    uri: typeof s.uri === 'string' ? s.uri : '',
    programDateTime: programDateTime(s.programDateTime),
    reason: typeof payload.reason === 'string' ? payload.reason : 'segment-lost',
    initUrl: msg.init && typeof msg.init === 'object' ? optionalUrl((msg.init as Record<string, unknown>).url, 'msg.init.url') : undefined,
  };
}

const EVENTS: readonly string[] = ['started', 'restarted', 'ended'];

export function readLifecycleMsg(msg: Record<string, unknown>): LifecycleInput {
  const p = record(msg.payload, 'msg.payload');
  if (typeof p.event !== 'string' || !EVENTS.includes(p.event)) bad(`lifecycle event must be one of ${EVENTS.join(', ')}, got ${JSON.stringify(p.event)}`);
  return {
    event: p.event as LifecycleEvent,
    stream: id(p.stream, 'payload.stream'),
    rendition: id(p.rendition, 'payload.rendition'),
    session: session(p.session, 'payload.session'),
    sequence: typeof p.sequence === 'number' && Number.isSafeInteger(p.sequence) ? p.sequence : 0,
    variant: variant(p.variant),
  };
}
