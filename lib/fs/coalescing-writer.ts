/**
 * Coalesces writes of a changing value (a node's state): at most one write in flight; while it
 * runs only the newest requested value is kept, so a burst of changes costs at most two writes and
 * the last value requested is always the last one written. Built on CoalescedRunner, the one rule
 * for passes that never overlap.
 */
import { CoalescedRunner } from '../async/coalesced-runner';

export class CoalescingWriter<T> {
  private pending: { value: T } | undefined;
  /** Generation of the newest request, and of the newest value written (or failed). */
  private requested = 0;
  private settled = 0;
  private readonly waiters: Array<{ generation: number; resolve: () => void }> = [];
  private readonly runner = new CoalescedRunner(() => this.writeNewest());

  constructor(
    private readonly write: (value: T) => Promise<void>,
    /** Told of a failed write; the next request tries again. */
    private readonly onError: (err: unknown) => void,
  ) {}

  /**
   * Resolves once this value (or a newer one) has been written, in request order, so a caller can
   * hold back what depends on it. Also resolves when the write failed (that is reported through
   * onError): holding back for ever would stop whatever waits. Never rejects.
   */
  request(value: T): Promise<void> {
    this.pending = { value };
    this.requested += 1;
    const generation = this.requested;
    const written = new Promise<void>((resolve) => this.waiters.push({ generation, resolve }));
    // writeNewest never throws, so this only sinks what cannot happen.
    this.runner.run().catch((err: unknown) => this.report(err));
    return written;
  }

  /** Resolves once everything requested so far is written. */
  flush(): Promise<void> {
    return this.runner.whenIdle();
  }

  private async writeNewest(): Promise<void> {
    const next = this.pending;
    if (!next) return;
    const generation = this.requested;
    this.pending = undefined;
    try {
      await this.write(next.value);
    } catch (err) {
      this.report(err);
    }
    this.settled = generation;
    this.wake();
  }

  private report(err: unknown): void {
    // A reporter that throws must not turn into an unhandled rejection.
    try {
      this.onError(err);
    } catch {
      /* nothing left to report to */
    }
  }

  /** Resolves the waiters whose value is written, oldest first (callers rely on that order). */
  private wake(): void {
    const due = this.waiters.filter((w) => w.generation <= this.settled);
    if (due.length === 0) return;
    this.waiters.splice(0, this.waiters.length, ...this.waiters.filter((w) => w.generation > this.settled));
    for (const waiter of due) waiter.resolve();
  }
}
