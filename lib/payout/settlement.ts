/**
 * Settling one period, as a pure function of the accounts' state: what each supporter earned
 * (pro rata of a pool, or a rate per GB with a cap), what is paid (balances at or above the
 * threshold) and what carries forward. Every minor unit is accounted for:
 *   pool mode:  Σ earned + undistributed = pool            (undistributed > 0 only when nobody earned)
 *   both modes: Σ carriedIn + Σ earned = Σ paid + Σ carriedOut
 * A rate's sub-unit remainder carries forward as nano-units (1e-9 of a minor unit) instead of being
 * rounded away; only the per-supporter cap, which the operator set on purpose, forfeits anything
 * (reported as `capped`).
 */
import { largestRemainder } from './rounding';
import type { SettleTerms } from './requests';

const NANO = 1_000_000_000n;

export interface Account {
  supporter: string;
  name: string;
  address: string;
  /** Verified bytes credited since the last settlement. */
  bytes: number;
  /** Distinct downloader networks credited since the last settlement. */
  viewers: number;
  /** Minor units carried forward from earlier periods. */
  carried: number;
  /** Rate mode's sub-unit remainder, nano-units (0 ≤ n < 1e9). */
  carriedNano: number;
}

export interface StatementLine {
  supporter: string;
  name: string;
  address: string;
  bytes: number;
  viewers: number;
  carriedIn: number;
  earned: number;
  /** Rate mode: what the cap withheld. */
  capped: number;
  paid: number;
  carriedOut: number;
  /** Why a balance was not paid: below the threshold, or no payout address on record. */
  held?: 'threshold' | 'no-address';
}

export interface Statement {
  period: string;
  currency: string;
  terms: SettleTerms;
  threshold: number;
  lines: StatementLine[];
  totals: { bytes: number; earned: number; paid: number; carriedIn: number; carriedOut: number; capped: number; undistributed: number };
}

export interface AccountAfter {
  supporter: string;
  carried: number;
  carriedNano: number;
}

export interface Settlement {
  statement: Statement;
  accounts: AccountAfter[];
}

function earnings(terms: SettleTerms, accounts: Account[]): Map<string, { earned: bigint; capped: bigint; nano: bigint }> {
  const out = new Map<string, { earned: bigint; capped: bigint; nano: bigint }>();
  if (terms.mode === 'pool') {
    const shares = largestRemainder(
      BigInt(terms.amount),
      accounts.map((a) => ({ key: a.supporter, weight: BigInt(a.bytes) })),
    );
    for (const a of accounts) out.set(a.supporter, { earned: shares.get(a.supporter) ?? 0n, capped: 0n, nano: BigInt(a.carriedNano) });
    return out;
  }
  const perGB = BigInt(terms.perGB);
  const cap = BigInt(terms.cap);
  for (const a of accounts) {
    // bytes × (minor units per 1e9 bytes) is exactly bytes × perGB nano-units: no rounding here.
    const value = BigInt(a.carriedNano) + BigInt(a.bytes) * perGB;
    let earned = value / NANO;
    const nano = value % NANO;
    let capped = 0n;
    if (earned > cap) {
      capped = earned - cap;
      earned = cap;
    }
    out.set(a.supporter, { earned, capped, nano });
  }
  return out;
}

/** Settles `period` over `accounts` (any order; lines come out sorted by supporter id). */
export function settle(period: string, terms: SettleTerms, threshold: number, accounts: Account[]): Settlement {
  const sorted = [...accounts].sort((a, b) => (a.supporter < b.supporter ? -1 : a.supporter > b.supporter ? 1 : 0));
  const earned = earnings(terms, sorted);
  const lines: StatementLine[] = [];
  const after: AccountAfter[] = [];
  const totals = { bytes: 0, earned: 0, paid: 0, carriedIn: 0, carriedOut: 0, capped: 0, undistributed: 0 };
  for (const a of sorted) {
    const e = earned.get(a.supporter) as { earned: bigint; capped: bigint; nano: bigint };
    const balance = BigInt(a.carried) + e.earned;
    let held: StatementLine['held'];
    if (balance > 0n && balance < BigInt(threshold)) held = 'threshold';
    else if (balance > 0n && a.address === '') held = 'no-address';
    const paid = held || balance === 0n ? 0n : balance;
    const line: StatementLine = {
      supporter: a.supporter,
      name: a.name,
      address: a.address,
      bytes: a.bytes,
      viewers: a.viewers,
      carriedIn: a.carried,
      earned: Number(e.earned),
      capped: Number(e.capped),
      paid: Number(paid),
      carriedOut: Number(balance - paid),
    };
    if (held) line.held = held;
    lines.push(line);
    after.push({ supporter: a.supporter, carried: line.carriedOut, carriedNano: Number(e.nano) });
    totals.bytes += line.bytes;
    totals.earned += line.earned;
    totals.paid += line.paid;
    totals.carriedIn += line.carriedIn;
    totals.carriedOut += line.carriedOut;
    totals.capped += line.capped;
  }
  if (terms.mode === 'pool') totals.undistributed = terms.amount - totals.earned;
  return { statement: { period, currency: terms.currency, terms, threshold, lines, totals }, accounts: after };
}
