/**
 * The ledger as the node uses it: group commit in front of a store. Receipts arriving within a
 * short window (or while the previous batch is still committing) share one transaction and so one
 * fsync; each receipt's promise resolves only after its batch committed, which is when the node
 * calls done(). Every other operation joins the same queue, so a settlement sees exactly the
 * receipts acknowledged before it, and close() drains everything before the store closes.
 */
import { RelaycastError } from '../errors';
import type { PayoutReceipt, PublishedSegment } from './msg-input';
import type { SettleRequest, SupporterRecord } from './requests';
import type { Decision, RuleSettings } from './rules';
import type { LedgerStore, SettleResult } from './store';

export interface LedgerOptions {
  rules: RuleSettings;
  /** Payout threshold in minor units when a settle msg names none. */
  threshold: number;
  /** How long the first receipt of a batch waits for company (ms). 0 = the next turn of the event loop. */
  batchMs?: number;
  /** A batch this large commits at once. */
  maxBatch?: number;
}

interface Waiting {
  receipt: PayoutReceipt;
  resolve(d: Decision): void;
  reject(err: unknown): void;
}

export class Ledger {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private readonly batchMs: number;
  private readonly maxBatch: number;

  constructor(
    readonly store: LedgerStore,
    private readonly options: LedgerOptions,
  ) {
    this.batchMs = options.batchMs ?? 2;
    this.maxBatch = options.maxBatch ?? 2000;
  }

  /** Resolves with the decision once it is committed (a refusal is committed too, so a replay stays a replay). */
  submit(receipt: PayoutReceipt): Promise<Decision> {
    if (this.closing) return Promise.reject(new RelaycastError('E_PAYOUT_CLOSED', 'the ledger is closing'));
    return new Promise<Decision>((resolve, reject) => {
      this.waiting.push({ receipt, resolve, reject });
      if (this.waiting.length >= this.maxBatch) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.batchMs);
    });
  }

  /** Runs op after everything queued before it, alone. */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.tail.then(op, op);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    void this.serial(async () => {
      try {
        const decisions = await this.store.ingest(
          batch.map((w) => w.receipt),
          this.options.rules,
        );
        batch.forEach((w, i) => w.resolve(decisions[i] as Decision));
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    });
  }

  /** Anything else goes through the queue after the receipts already submitted. */
  private queued<T>(op: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new RelaycastError('E_PAYOUT_CLOSED', 'the ledger is closing'));
    this.flush();
    return this.serial(op);
  }

  settle(request: SettleRequest): Promise<SettleResult> {
    return this.queued(() => this.store.settle(request, this.options.threshold));
  }

  publish(segment: PublishedSegment): Promise<void> {
    return this.queued(() => this.store.publish([segment]));
  }

  putSupporter(record: SupporterRecord): Promise<void> {
    return this.queued(() => this.store.putSupporter(record));
  }

  /** Reads also wait for earlier writes, so a query never misses a receipt acknowledged before it. */
  read<T>(fn: (store: LedgerStore) => Promise<T>): Promise<T> {
    return this.queued(() => fn(this.store));
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.flush();
      this.closing = this.serial(() => this.store.close());
    }
    return this.closing;
  }
}
