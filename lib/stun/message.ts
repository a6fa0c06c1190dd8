/**
 * The STUN wire format (RFC 8489, which obsoletes RFC 5389), as far as a Binding responder needs it:
 * reading a Binding request and writing its success response or a 420 (unknown attribute) error.
 *
 * A message is a 20-byte header — type (the two top bits zero), body length (a multiple of 4, not
 * counting the header), the magic cookie 0x2112A442, a 96-bit transaction id — then attributes, each
 * type, length, value padded to 4 bytes. Every length is checked against the datagram before it is
 * used, so a datagram of any bytes yields a verdict, never an exception or a read out of bounds.
 */
import { crc32 } from 'node:zlib';
import type { ParsedAddress } from '../signaling/addresses';

export const HEADER_BYTES = 20;
export const MAGIC_COOKIE = 0x2112a442;
/**
 * The largest request answered. RFC 8489 §6.1 asks STUN over UDP to stay under 548 bytes when the
 * path MTU is unknown (576, IPv4's minimum reassembly size, less the IP and UDP headers); a Binding
 * request without authentication is 20–100 bytes, so anything larger is not a client this server is for.
 */
export const MAX_REQUEST_BYTES = 548;

const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const BINDING_ERROR = 0x0111;

const ATTR = {
  ERROR_CODE: 0x0009,
  UNKNOWN_ATTRIBUTES: 0x000a,
  XOR_MAPPED_ADDRESS: 0x0020,
  FINGERPRINT: 0x8028,
} as const;
/** XORed into the CRC-32 so that a FINGERPRINT never matches another protocol's CRC by accident. */
const FINGERPRINT_XOR = 0x5354554e;

/**
 * Comprehension-required attributes (types below 0x8000) that this server understands in the sense
 * RFC 8489 §6.3.1 means: it knows them and may ignore them, because it offers no authentication (the
 * integrity and credential attributes) and does no ICE checks (PRIORITY, USE-CANDIDATE). Any other
 * one gets the 420 error the RFC requires.
 */
const UNDERSTOOD = new Set([
  0x0001, // MAPPED-ADDRESS
  0x0006, // USERNAME
  0x0008, // MESSAGE-INTEGRITY
  ATTR.ERROR_CODE,
  ATTR.UNKNOWN_ATTRIBUTES,
  0x0014, // REALM
  0x0015, // NONCE
  0x001c, // MESSAGE-INTEGRITY-SHA256
  0x001d, // PASSWORD-ALGORITHM
  0x001e, // USERHASH
  ATTR.XOR_MAPPED_ADDRESS,
  0x0024, // PRIORITY (ICE)
  0x0025, // USE-CANDIDATE (ICE)
]);
/** At most this many types are listed in a 420: the answer then never outgrows the request. */
const MAX_LISTED_UNKNOWN = 8;

export type Refusal = 'size' | 'header' | 'not-request' | 'attributes' | 'fingerprint';

export type Verdict =
  | { kind: 'binding'; transaction: Uint8Array }
  | { kind: 'unknown-attributes'; transaction: Uint8Array; types: number[] }
  | { kind: 'refused'; reason: Refusal };

/** What a datagram is: a Binding request to answer, one with attributes to name in a 420, or nothing to answer. */
export function readBindingRequest(datagram: Uint8Array): Verdict {
  if (datagram.length < HEADER_BYTES || datagram.length > MAX_REQUEST_BYTES) return { kind: 'refused', reason: 'size' };
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  const type = view.getUint16(0);
  const bodyLength = view.getUint16(2);
  if ((type & 0xc000) !== 0 || view.getUint32(4) !== MAGIC_COOKIE) return { kind: 'refused', reason: 'header' };
  if (bodyLength % 4 !== 0 || bodyLength !== datagram.length - HEADER_BYTES) return { kind: 'refused', reason: 'header' };
  // Indications and responses are not answered (an answer to a response would echo between two servers).
  if (type !== BINDING_REQUEST) return { kind: 'refused', reason: 'not-request' };
  const unknown: number[] = [];
  let offset = HEADER_BYTES;
  while (offset < datagram.length) {
    if (offset + 4 > datagram.length) return { kind: 'refused', reason: 'attributes' };
    const attrType = view.getUint16(offset);
    const attrLength = view.getUint16(offset + 2);
    const next = offset + 4 + Math.ceil(attrLength / 4) * 4;
    if (next > datagram.length) return { kind: 'refused', reason: 'attributes' };
    if (attrType === ATTR.FINGERPRINT) {
      // It must be the last attribute, and it must match: else this is not (intact) STUN.
      if (attrLength !== 4 || next !== datagram.length) return { kind: 'refused', reason: 'attributes' };
      if (view.getUint32(offset + 4) !== fingerprintOf(datagram.subarray(0, offset))) return { kind: 'refused', reason: 'fingerprint' };
    } else if (attrType < 0x8000 && !UNDERSTOOD.has(attrType) && !unknown.includes(attrType)) {
      unknown.push(attrType);
    }
    offset = next;
  }
  const transaction = datagram.slice(8, HEADER_BYTES);
  if (unknown.length > 0) return { kind: 'unknown-attributes', transaction, types: unknown.slice(0, MAX_LISTED_UNKNOWN) };
  return { kind: 'binding', transaction };
}

/** The Binding success response: XOR-MAPPED-ADDRESS (the source the request came from) and FINGERPRINT. Nothing else: no SOFTWARE. */
export function bindingSuccess(transaction: Uint8Array, source: ParsedAddress, port: number): Uint8Array {
  const value = new Uint8Array(4 + source.bytes.length);
  value[1] = source.family === 4 ? 0x01 : 0x02;
  const xorPort = port ^ (MAGIC_COOKIE >>> 16);
  value[2] = xorPort >> 8;
  value[3] = xorPort & 0xff;
  // IPv4 is XORed with the cookie; IPv6 with the cookie followed by the transaction id.
  const mask = new Uint8Array(16);
  new DataView(mask.buffer).setUint32(0, MAGIC_COOKIE);
  mask.set(transaction, 4);
  source.bytes.forEach((b, i) => (value[4 + i] = b ^ mask[i]));
  return withFingerprint(BINDING_SUCCESS, transaction, [[ATTR.XOR_MAPPED_ADDRESS, value]]);
}

/** The 420 error response to a request with comprehension-required attributes this server does not know. */
export function unknownAttributesError(transaction: Uint8Array, types: readonly number[]): Uint8Array {
  const reason = new TextEncoder().encode('Unknown Attribute');
  const error = new Uint8Array(4 + reason.length);
  error[2] = 4; // class: 4xx
  error[3] = 20; // number: 420
  error.set(reason, 4);
  const list = new Uint8Array(types.length * 2);
  types.forEach((t, i) => new DataView(list.buffer).setUint16(i * 2, t));
  return withFingerprint(BINDING_ERROR, transaction, [
    [ATTR.ERROR_CODE, error],
    [ATTR.UNKNOWN_ATTRIBUTES, list],
  ]);
}

function fingerprintOf(bytes: Uint8Array): number {
  return (crc32(bytes) ^ FINGERPRINT_XOR) >>> 0;
}

/** A message of `type` with the attributes, each padded to 4 bytes, and a FINGERPRINT last. */
function withFingerprint(type: number, transaction: Uint8Array, attributes: Array<[number, Uint8Array]>): Uint8Array {
  const bodyLength = attributes.reduce((sum, [, value]) => sum + 4 + Math.ceil(value.length / 4) * 4, 0) + 8;
  const message = new Uint8Array(HEADER_BYTES + bodyLength);
  const view = new DataView(message.buffer);
  view.setUint16(0, type);
  // The length already counts the FINGERPRINT, as its CRC must cover (RFC 8489 §14.7).
  view.setUint16(2, bodyLength);
  view.setUint32(4, MAGIC_COOKIE);
  message.set(transaction, 8);
  let offset = HEADER_BYTES;
  for (const [attrType, value] of attributes) {
    view.setUint16(offset, attrType);
    view.setUint16(offset + 2, value.length);
    message.set(value, offset + 4);
    offset += 4 + Math.ceil(value.length / 4) * 4;
  }
  view.setUint16(offset, ATTR.FINGERPRINT);
  view.setUint16(offset + 2, 4);
  view.setUint32(offset + 4, fingerprintOf(message.subarray(0, offset)));
  return message;
}
