/**
 * The ledger's storage boundary. SQLite (sqlite-store.ts) is the embedded default; the PostgreSQL
 * store (postgres-store.ts), shared by several Node-RED instances, implements the same interface.
 * Every method is async and every write method is one transaction, so a networked store fits
 * without changing callers.
 * Contract for implementers:
 *   - ingest: judge the batch with rules.decideBatch against committed facts (under a lock that
 *     keeps concurrent writers from judging the same cap keys at once: SQLite's BEGIN IMMEDIATE;
 *     PostgreSQL: an advisory lock per stream, see postgres-store.ts for why), write the
 *     decisions, commit, and only then resolve;
 *   - settle: at most one statement per period, ever (a unique key on the period), computed with
 *     settlement.settle over the accounts in the same transaction that records it.
 */
import type { PayoutReceipt, PublishedSegment } from './msg-input';
import type { SettleRequest, SupporterRecord } from './requests';
import type { Decision, RuleSettings } from './rules';
import type { Statement } from './settlement';
import type { SupporterSummary } from '../protocol/supporter-summary';
export type { SupporterSummary };

export interface AccountView {
  supporter: string;
  name: string;
  address: string;
  /** Every verified byte ever credited. */
  verifiedBytes: number;
  /** Verified bytes not yet settled. */
  unsettledBytes: number;
  /** Distinct downloader networks (or connections, for untagged receipts) credited, all time. */
  viewersHelped: number;
  receipts: number;
  /** Minor units carried forward, owed at a later settlement. */
  pending: number;
}

export interface SettleResult {
  statement: Statement;
  /** True when this period had been settled before: the stored statement, nothing paid again. */
  replayed: boolean;
}

export interface LedgerStore {
  readonly kind: string;
  ingest(receipts: PayoutReceipt[], rules: RuleSettings): Promise<Decision[]>;
  publish(segments: PublishedSegment[]): Promise<void>;
  putSupporter(record: SupporterRecord): Promise<void>;
  settle(request: SettleRequest, defaultThreshold: number): Promise<SettleResult>;
  statement(period: string): Promise<Statement | undefined>;
  /** Statements in settlement order. */
  statements(): Promise<Statement[]>;
  accounts(): Promise<AccountView[]>;
  summary(supporter: string): Promise<SupporterSummary | undefined>;
  close(): Promise<void>;
}

/** One supporter's own lines of every statement, without the payout address (both stores' summary). */
export function supporterLines(statements: Statement[], supporter: string): SupporterSummary['statements'] {
  const out: SupporterSummary['statements'] = [];
  for (const s of statements) {
    const line = s.lines.find((l) => l.supporter === supporter);
    if (!line) continue;
    const entry: SupporterSummary['statements'][number] = {
      period: s.period,
      bytes: line.bytes,
      viewers: line.viewers,
      earned: line.earned,
      paid: line.paid,
      carriedOut: line.carriedOut,
    };
    if (line.held) entry.held = line.held;
    out.push(entry);
  }
  return out;
}
