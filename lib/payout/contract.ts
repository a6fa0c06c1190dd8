/**
 * What relaycast-payout accepts, checked once at the door. A receipt is signaling's output 2
 * (ReceiptPayload in lib/signaling/protocol.ts); the optional `network` tags, `source` and
 * `downloaderClaimed` come with the signaling-hardening work and are used when present. Fields this
 * file does not name are ignored, so a newer signaling node can add some without breaking payout.
 */
import { RelaycastError } from '../errors';

export type Role = 'viewer' | 'supporter';

export interface ReceiptEnd {
  peer: string;
  role: Role;
  supporter?: string;
  /** Opaque tag of the end's network (a keyed hash of its address prefix); equal tags = same network. */
  network?: string;
}

export interface PayoutReceipt {
  id: string;
  stream: string;
  rendition: string;
  sequence: number;
  sha256: string;
  segmentSize: number;
  bytes: number;
  uploader: ReceiptEnd;
  downloader: ReceiptEnd;
  /** Server clock, epoch milliseconds (from the ISO `receivedAt`). */
  receivedAt: number;
}

export interface SupporterRecord {
  id: string;
  name: string;
  /** Where the operator pays this supporter (IBAN, wallet, e-mail…). Shown to the operator only. */
  address: string;
}

export type SettleTerms =
  | { mode: 'pool'; amount: number; currency: string }
  | { mode: 'rate'; perGB: number; cap: number; currency: string };

export interface SettleRequest {
  period: string;
  terms: SettleTerms;
  /** Overrides the node's payout threshold for this period (minor units). */
  threshold?: number;
}

const ID = /^[A-Za-z0-9._~-]{1,64}$/;
const PERIOD = /^[A-Za-z0-9._:~-]{1,64}$/;
const CURRENCY = /^[A-Z]{3}$/;
const MAX_ID = 256;
const MAX_TAG = 128;

function bad(code: string, message: string): never {
  throw new RelaycastError(code, message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= max;
}

function count(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function end(v: unknown, which: string): ReceiptEnd {
  if (!isObject(v)) bad('E_PAYOUT_RECEIPT', `receipt ${which} must be an object`);
  if (!str(v.peer, 64)) bad('E_PAYOUT_RECEIPT', `receipt ${which}.peer must be a string`);
  if (v.role !== 'viewer' && v.role !== 'supporter') bad('E_PAYOUT_RECEIPT', `receipt ${which}.role must be viewer or supporter`);
  const out: ReceiptEnd = { peer: v.peer, role: v.role };
  if (v.supporter !== undefined) {
    if (typeof v.supporter !== 'string' || !ID.test(v.supporter)) bad('E_PAYOUT_RECEIPT', `receipt ${which}.supporter must be a supporter id`);
    out.supporter = v.supporter;
  }
  if (v.network !== undefined) {
    if (!str(v.network, MAX_TAG)) bad('E_PAYOUT_RECEIPT', `receipt ${which}.network must be a string of 1–${MAX_TAG} characters`);
    out.network = v.network;
  }
  return out;
}

/** A receipt msg's payload, or E_PAYOUT_RECEIPT saying which field is wrong. */
export function parseReceipt(payload: unknown): PayoutReceipt {
  if (!isObject(payload)) bad('E_PAYOUT_RECEIPT', 'receipt payload must be an object');
  const p = payload;
  if (!str(p.id, MAX_ID)) bad('E_PAYOUT_RECEIPT', `receipt id must be a string of 1–${MAX_ID} characters`);
  if (typeof p.stream !== 'string' || !ID.test(p.stream)) bad('E_PAYOUT_RECEIPT', 'receipt stream must be an id');
  if (typeof p.rendition !== 'string' || !ID.test(p.rendition)) bad('E_PAYOUT_RECEIPT', 'receipt rendition must be an id');
  if (!count(p.sequence)) bad('E_PAYOUT_RECEIPT', 'receipt sequence must be a non-negative integer');
  if (typeof p.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(p.sha256)) bad('E_PAYOUT_RECEIPT', 'receipt sha256 must be 64 lower-case hex characters');
  if (!count(p.segmentSize) || p.segmentSize === 0) bad('E_PAYOUT_RECEIPT', 'receipt segmentSize must be a positive integer');
  if (!count(p.bytes)) bad('E_PAYOUT_RECEIPT', 'receipt bytes must be a non-negative integer');
  const receivedAt = typeof p.receivedAt === 'string' ? Date.parse(p.receivedAt) : NaN;
  if (!Number.isFinite(receivedAt)) bad('E_PAYOUT_RECEIPT', 'receipt receivedAt must be an ISO 8601 time');
  return {
    id: p.id, stream: p.stream, rendition: p.rendition, sequence: p.sequence, sha256: p.sha256,
    segmentSize: p.segmentSize, bytes: p.bytes,
    uploader: end(p.uploader, 'uploader'), downloader: end(p.downloader, 'downloader'), receivedAt,
  };
}

export function parseSupporter(payload: unknown): SupporterRecord {
  if (!isObject(payload)) bad('E_PAYOUT_SUPPORTER', 'supporter payload must be {id, name, address}');
  if (typeof payload.id !== 'string' || !ID.test(payload.id)) bad('E_PAYOUT_SUPPORTER', 'supporter id must be 1–64 characters from [A-Za-z0-9._~-]');
  if ('token' in payload) bad('E_PAYOUT_SUPPORTER', 'a supporter record must not carry a token: tokens stay in the signaling credentials');
  const name = payload.name ?? payload.id;
  const address = payload.address ?? '';
  if (typeof name !== 'string' || name.length > 200) bad('E_PAYOUT_SUPPORTER', 'supporter name must be a string of at most 200 characters');
  if (typeof address !== 'string' || address.length > 500) bad('E_PAYOUT_SUPPORTER', 'supporter address must be a string of at most 500 characters');
  return { id: payload.id, name, address };
}

function minor(v: unknown, what: string): number {
  if (!count(v)) bad('E_PAYOUT_SETTLE', `${what} must be a non-negative integer in minor units`);
  return v;
}

/** `{period, pool: {amount, currency}}` or `{period, rate: {perGB, cap, currency}}`, optional `threshold`. */
export function parseSettle(payload: unknown): SettleRequest {
  if (!isObject(payload)) bad('E_PAYOUT_SETTLE', 'settle payload must be {period, pool} or {period, rate}');
  if (typeof payload.period !== 'string' || !PERIOD.test(payload.period)) bad('E_PAYOUT_SETTLE', 'period must be 1–64 characters from [A-Za-z0-9._:~-]');
  const { pool, rate } = payload;
  if ((pool === undefined) === (rate === undefined)) bad('E_PAYOUT_SETTLE', 'give exactly one of pool or rate');
  let terms: SettleTerms;
  if (pool !== undefined) {
    if (!isObject(pool)) bad('E_PAYOUT_SETTLE', 'pool must be {amount, currency}');
    if (typeof pool.currency !== 'string' || !CURRENCY.test(pool.currency)) bad('E_PAYOUT_SETTLE', 'currency must be an ISO 4217 code like EUR');
    terms = { mode: 'pool', amount: minor(pool.amount, 'pool.amount'), currency: pool.currency };
  } else {
    if (!isObject(rate)) bad('E_PAYOUT_SETTLE', 'rate must be {perGB, cap, currency}');
    if (typeof rate.currency !== 'string' || !CURRENCY.test(rate.currency)) bad('E_PAYOUT_SETTLE', 'currency must be an ISO 4217 code like EUR');
    terms = { mode: 'rate', perGB: minor(rate.perGB, 'rate.perGB'), cap: minor(rate.cap, 'rate.cap'), currency: rate.currency };
  }
  const out: SettleRequest = { period: payload.period, terms };
  if (payload.threshold !== undefined) out.threshold = minor(payload.threshold, 'threshold');
  return out;
}

/** A published segment (from r2-upload or manifest msgs), for the "published segments only" rule. */
export interface PublishedSegment {
  stream: string;
  rendition: string;
  sequence: number;
  size: number;
  sha256: string;
}

/** The segment a `segment` or `playlist` msg carries (lib/contracts.ts shape), or undefined. */
export function publishedSegmentFromMsg(msg: { topic?: unknown; segment?: unknown }): PublishedSegment | undefined {
  if ((msg.topic !== 'segment' && msg.topic !== 'playlist') || !isObject(msg.segment)) return undefined;
  const s = msg.segment;
  if (typeof s.stream !== 'string' || !ID.test(s.stream) || typeof s.rendition !== 'string' || !ID.test(s.rendition)
    || !count(s.sequence) || !count(s.byteLength) || typeof s.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(s.sha256)) {
    bad('E_PAYOUT_SEGMENT', 'segment msg must carry {stream, rendition, sequence, byteLength, sha256}');
  }
  return { stream: s.stream, rendition: s.rendition, sequence: s.sequence, size: s.byteLength, sha256: s.sha256 };
}
