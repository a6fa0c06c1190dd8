/**
 * What a sender actually pushes through one DataChannel (or through all of them): the bytes that
 * left the channel's buffer over time, i.e. bytes handed to send() minus bufferedAmount. Pure: the
 * caller samples (time, delivered total, backlog) whenever it sends or the channel drains.
 *
 * Two figures come out of the same samples:
 *  - throughput: what is being uploaded now, idle time included (an EWMA that decays while idle);
 *  - capacity: what the link carries when it has work queued. Only intervals during which the
 *    buffer never ran dry measure it exactly (the link was the bottleneck); an interval at whose end
 *    the buffer had emptied only bounds it from below, so such a bound may raise the estimate but
 *    never lower it. Idle time says nothing about a link's capacity and is left out.
 */

/** Time constant of both averages: a link's rate is judged over the last few seconds. */
export const METER_TAU_MS = 2000;
/** Intervals shorter than this are pooled before they move an average (sends within one tick). */
const MIN_FOLD_MS = 50;

interface Sample {
  at: number;
  delivered: number;
  backlog: number;
}

export class ThroughputMeter {
  private last: Sample | undefined;
  private rate = 0;
  private estimate: number | undefined;
  private pending = { bytes: 0, ms: 0 };
  private pendingBusy = { bytes: 0, ms: 0 };

  constructor(private readonly tauMs = METER_TAU_MS) {}

  /**
   * `delivered`: bytes that have left the buffer so far (a running total, never decreasing);
   * `backlog`: bytes still queued in the buffer at `at`.
   */
  sample(at: number, delivered: number, backlog: number): void {
    const last = this.last;
    this.last = { at, delivered, backlog };
    if (!last) return;
    const ms = Math.max(0, at - last.at);
    const bytes = Math.max(0, delivered - last.delivered);
    this.pending.bytes += bytes;
    this.pending.ms += ms;
    if (this.pending.ms >= MIN_FOLD_MS) {
      this.rate = this.fold(this.rate, this.pending.bytes, this.pending.ms);
      this.pending = { bytes: 0, ms: 0 };
    }
    if (last.backlog <= 0) return; // idle at the start: the interval says nothing of capacity
    if (backlog > 0) {
      // Queued all through: the link drained as fast as it could.
      this.pendingBusy.bytes += bytes;
      this.pendingBusy.ms += ms;
      if (this.pendingBusy.ms >= MIN_FOLD_MS) {
        this.estimate = this.fold(this.estimate ?? this.pendingBusy.bytes / (this.pendingBusy.ms / 1000), this.pendingBusy.bytes, this.pendingBusy.ms);
        this.pendingBusy = { bytes: 0, ms: 0 };
      }
    } else if (ms >= MIN_FOLD_MS) {
      // The buffer ran dry somewhere inside: the link carries at least this much.
      const atLeast = bytes / (ms / 1000);
      if (this.estimate === undefined || atLeast > this.estimate) this.estimate = this.fold(this.estimate ?? atLeast, bytes, ms);
    } else if (ms > 0 && this.estimate === undefined) {
      // A fast link empties its buffer between two sends: a short interval still bounds it.
      this.estimate = bytes / (ms / 1000);
    }
  }

  /** Bytes per second the link carries when it has work (undefined until it has been busy). */
  capacity(): number | undefined {
    return this.estimate;
  }

  /** Bytes per second uploaded lately, decaying while nothing is queued. */
  throughput(at: number): number {
    const last = this.last;
    if (!last || last.backlog > 0 || at <= last.at) return this.rate;
    return this.rate * Math.exp(-(at - last.at) / this.tauMs);
  }

  /** Capacity not in use now (0 when saturated; undefined while capacity is unknown). */
  spare(at: number): number | undefined {
    const capacity = this.estimate;
    return capacity === undefined ? undefined : Math.max(0, capacity - this.throughput(at));
  }

  /** Whether the link is sending about as fast as it can (its buffer has not been empty lately). */
  saturated(at: number, share = 0.85): boolean {
    const capacity = this.estimate;
    return capacity !== undefined && (this.last?.backlog ?? 0) > 0 && this.throughput(at) >= share * capacity;
  }

  private fold(previous: number, bytes: number, ms: number): number {
    const rate = bytes / (ms / 1000);
    const weight = 1 - Math.exp(-ms / this.tauMs);
    return previous + weight * (rate - previous);
  }
}
