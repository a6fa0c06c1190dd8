/**
 * The operator's msgs to relaycast-payout (supporter records and settlements), checked once at the
 * door. Receipts and published segments come from other nodes: msg-input.ts.
 */
import { RelaycastError } from '../errors';
import { ID_RULE, isId } from '../protocol/msgs';

export interface SupporterRecord {
  id: string;
  name: string;
  /** Where the operator pays this supporter (IBAN, wallet, e-mail…). Shown to the operator only. */
  address: string;
}

export type SettleTerms = { mode: 'pool'; amount: number; currency: string } | { mode: 'rate'; perGB: number; cap: number; currency: string };

export interface SettleRequest {
  period: string;
  terms: SettleTerms;
  /** Overrides the node's payout threshold for this period (minor units). */
  threshold?: number;
}

const PERIOD = /^[A-Za-z0-9._:~-]{1,64}$/;
const CURRENCY = /^[A-Z]{3}$/;

function bad(code: string, message: string): never {
  throw new RelaycastError(code, message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function count(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

export function parseSupporter(payload: unknown): SupporterRecord {
  if (!isObject(payload)) bad('E_PAYOUT_SUPPORTER', 'supporter payload must be {id, name, address}');
  if (!isId(payload.id)) bad('E_PAYOUT_SUPPORTER', `supporter id must be ${ID_RULE}`);
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
