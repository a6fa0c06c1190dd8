/**
 * When a local peer's spare upload figure (stats `spareUpload`) is worth writing to Redis for the
 * other instances' fetcher choice (redis-registry.ts). Reports come every statsIntervalMs per viewer,
 * and most barely move: a write goes out only on a change that can reorder fetchers, and at most once
 * per statsIntervalMs per peer (the coordinator lets a report through at half the interval, for timer
 * jitter, and a level switch resets that). A change that comes too soon waits until it is due, and
 * then the figure as it is by then is written, so the last word of a peer that stops reporting is
 * not lost.
 */

/** A change of less than this share of the larger figure is not written (the ordering barely moves). */
export const SPARE_CHANGE_SHARE = 1 / 8;

/**
 * True when `next` differs from the figure other instances hold in a way fetcher choice sees:
 * measured or not, zero (never named) or not, or by at least SPARE_CHANGE_SHARE of the larger one.
 */
export function meaningfulSpareChange(written: number | undefined, next: number | undefined): boolean {
  if (written === next) return false;
  if (written === undefined || next === undefined) return true;
  if (written === 0 || next === 0) return true;
  return Math.abs(next - written) >= SPARE_CHANGE_SHARE * Math.max(written, next);
}

interface Written {
  value: number | undefined;
  at: number;
}

export class SpareWrites {
  /** Local peer id → what was last written for it, and when. */
  private readonly written = new Map<string, Written>();
  /** Local peer ids with a change that came before it was due. */
  private readonly waiting = new Set<string>();

  constructor(private readonly intervalMs: number) {}

  /** The peer's figure is now `value`: true when it is to be written at once (then call `wrote`). */
  changed(id: string, value: number | undefined, now: number): boolean {
    const last = this.written.get(id);
    if (!meaningfulSpareChange(last?.value, value)) {
      this.waiting.delete(id);
      return false;
    }
    if (last && now - last.at < this.intervalMs) {
      this.waiting.add(id);
      return false;
    }
    return true;
  }

  /** `value` reached Redis for the peer (with its record, or on its own). */
  wrote(id: string, value: number | undefined, now: number): void {
    this.written.set(id, { value, at: now });
    this.waiting.delete(id);
  }

  /** Ids of waiting changes that are due now (each still to be checked against the peer's figure by then). */
  due(now: number): string[] {
    const out: string[] = [];
    for (const id of this.waiting) if (now - (this.written.get(id)?.at ?? 0) >= this.intervalMs) out.push(id);
    return out;
  }

  forget(id: string): void {
    this.written.delete(id);
    this.waiting.delete(id);
  }

  clear(): void {
    this.written.clear();
    this.waiting.clear();
  }
}
