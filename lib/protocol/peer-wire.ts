/**
 * The peer wire protocol: binary frames on one ordered, reliable DataChannel between two viewers
 * (docs/peer-wire-protocol.md). Every frame starts with its type byte; fixed-size fields are
 * big-endian; nothing a peer sends is trusted until decode() has checked its exact length and
 * bounds. A frame that fails to decode closes that peer, never the page.
 */

import { isId } from './msgs/ids';

/** 2: HAVE names the rendition its sequences are of (one swarm per stream: links span renditions). */
export const WIRE_VERSION = 2;
/** Payload bytes per DATA frame: 32 KiB keeps each DataChannel message well under 64 KiB. */
export const CHUNK_BYTES = 32 * 1024;
/** Largest frame either side accepts. */
export const MAX_FRAME_BYTES = CHUNK_BYTES + 16;
/** Sequences in one HAVE frame (the live window is far smaller). */
export const MAX_HAVE = 64;
/** Segments are bounded too: 64 MiB is far above any live segment. */
export const MAX_SEGMENT_BYTES = 64 * 1024 * 1024;

export const FRAME = {
  HELLO: 0,
  HAVE: 1,
  REQUEST: 2,
  DATA: 3,
  ABSENT: 4,
  CANCEL: 5,
} as const;

export type WireFrame =
  | { type: 'hello'; version: number; uploads: boolean }
  /**
   * The segments of `rendition` this peer holds, and the rendition it plays: the requests it sends
   * on this channel after it are for segments of that rendition (the channel is ordered).
   */
  | { type: 'have'; rendition: string; sequences: number[] }
  /**
   * Bytes [start, end) of segment `sequence`. `budgetMs`: how long the requester can wait for them
   * (a holder that cannot deliver them in time answers ABSENT at once); absent from older peers.
   */
  | { type: 'request'; id: number; sequence: number; start: number; end: number; budgetMs?: number }
  | { type: 'data'; id: number; offset: number; payload: Uint8Array }
  | { type: 'absent'; id: number }
  | { type: 'cancel'; id: number };

export class WireError extends Error {
  readonly code = 'E_PEER_WIRE';
}

const MAX_SEQUENCE = Number.MAX_SAFE_INTEGER;
const MAX_REQUEST_ID = 0xffffffff;
/** A request's time budget is carried as a u32 of ms; longer than a minute means "no hurry". */
export const MAX_BUDGET_MS = 60_000;

export function encode(frame: WireFrame): Uint8Array {
  switch (frame.type) {
    case 'hello': {
      const out = new Uint8Array(3);
      out[0] = FRAME.HELLO;
      out[1] = frame.version;
      out[2] = frame.uploads ? 1 : 0;
      return out;
    }
    case 'have': {
      const count = Math.min(frame.sequences.length, MAX_HAVE);
      // An id is ASCII (the one id rule): one byte per character.
      const rendition = Uint8Array.from(frame.rendition, (c) => c.charCodeAt(0));
      const out = new Uint8Array(3 + 8 * count + 1 + rendition.byteLength);
      const view = new DataView(out.buffer);
      out[0] = FRAME.HAVE;
      view.setUint16(1, count);
      for (let i = 0; i < count; i++) view.setFloat64(3 + 8 * i, frame.sequences[frame.sequences.length - count + i]);
      out[3 + 8 * count] = rendition.byteLength;
      out.set(rendition, 4 + 8 * count);
      return out;
    }
    case 'request': {
      const withBudget = frame.budgetMs !== undefined;
      const out = new Uint8Array(withBudget ? 25 : 21);
      const view = new DataView(out.buffer);
      out[0] = FRAME.REQUEST;
      view.setUint32(1, frame.id);
      view.setFloat64(5, frame.sequence);
      view.setUint32(13, frame.start);
      view.setUint32(17, frame.end);
      if (withBudget) view.setUint32(21, Math.min(MAX_BUDGET_MS, Math.max(0, Math.round(frame.budgetMs!))));
      return out;
    }
    case 'data': {
      const out = new Uint8Array(9 + frame.payload.byteLength);
      const view = new DataView(out.buffer);
      out[0] = FRAME.DATA;
      view.setUint32(1, frame.id);
      view.setUint32(5, frame.offset);
      out.set(frame.payload, 9);
      return out;
    }
    case 'absent':
    case 'cancel': {
      const out = new Uint8Array(5);
      out[0] = frame.type === 'absent' ? FRAME.ABSENT : FRAME.CANCEL;
      new DataView(out.buffer).setUint32(1, frame.id);
      return out;
    }
  }
}

/** Decodes one DataChannel message. Throws WireError for anything malformed or out of bounds. */
export function decode(data: unknown): WireFrame {
  const bytes = asBytes(data);
  if (bytes.byteLength === 0) throw new WireError('empty frame');
  if (bytes.byteLength > MAX_FRAME_BYTES) throw new WireError(`frame of ${bytes.byteLength} bytes exceeds ${MAX_FRAME_BYTES}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (length: number): void => {
    if (bytes.byteLength !== length) throw new WireError(`frame type ${bytes[0]} must be ${length} bytes, got ${bytes.byteLength}`);
  };
  switch (bytes[0]) {
    case FRAME.HELLO:
      need(3);
      if (bytes[2] > 1) throw new WireError('hello flags out of range');
      return { type: 'hello', version: bytes[1], uploads: bytes[2] === 1 };
    case FRAME.HAVE: {
      if (bytes.byteLength < 3) throw new WireError('short have frame');
      const count = view.getUint16(1);
      if (count > MAX_HAVE) throw new WireError(`have lists at most ${MAX_HAVE} sequences`);
      if (bytes.byteLength < 4 + 8 * count) throw new WireError('have frame without its rendition');
      need(4 + 8 * count + bytes[3 + 8 * count]);
      const sequences: number[] = [];
      for (let i = 0; i < count; i++) sequences.push(sequenceAt(view, 3 + 8 * i));
      const rendition = String.fromCharCode(...bytes.subarray(4 + 8 * count));
      if (!isId(rendition)) throw new WireError('have rendition must follow the id rule');
      return { type: 'have', rendition, sequences };
    }
    case FRAME.REQUEST: {
      // 21 bytes, or 25 with the time budget (peers of before the budget still send 21).
      if (bytes.byteLength !== 21 && bytes.byteLength !== 25) throw new WireError(`request frame must be 21 or 25 bytes, got ${bytes.byteLength}`);
      const start = view.getUint32(13);
      const end = view.getUint32(17);
      if (end <= start || end > MAX_SEGMENT_BYTES) throw new WireError('request range must be non-empty and within a segment');
      const request: WireFrame = { type: 'request', id: view.getUint32(1), sequence: sequenceAt(view, 5), start, end };
      if (bytes.byteLength === 25) {
        const budgetMs = view.getUint32(21);
        if (budgetMs > MAX_BUDGET_MS) throw new WireError(`request budget must be at most ${MAX_BUDGET_MS} ms`);
        request.budgetMs = budgetMs;
      }
      return request;
    }
    case FRAME.DATA:
      if (bytes.byteLength < 10) throw new WireError('data frame without payload');
      return { type: 'data', id: view.getUint32(1), offset: view.getUint32(5), payload: bytes.subarray(9) };
    case FRAME.ABSENT:
    case FRAME.CANCEL:
      need(5);
      return { type: bytes[0] === FRAME.ABSENT ? 'absent' : 'cancel', id: view.getUint32(1) };
    default:
      throw new WireError(`unknown frame type ${bytes[0]}`);
  }
}

export function isRequestId(id: number): boolean {
  return Number.isInteger(id) && id >= 0 && id <= MAX_REQUEST_ID;
}

function sequenceAt(view: DataView, offset: number): number {
  const value = view.getFloat64(offset);
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_SEQUENCE) throw new WireError('sequence must be a non-negative integer');
  return value;
}

function asBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new WireError('text frames are not part of the peer protocol');
}
