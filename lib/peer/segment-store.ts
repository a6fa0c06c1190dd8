/**
 * The segments this peer knows of (from announcements) and the verified bytes it holds. Bounded two
 * ways: only the newest `windowSegments` announcements are remembered (the live window plus a
 * margin), and held bytes never exceed `maxBytes` (oldest dropped first). Bytes enter only after
 * their SHA-256 matched the announcement, so everything here may be played and shared.
 */
import type { AnnouncedSegment } from '../protocol';

/** What the store keeps of an announced segment. */
export type SegmentMeta = Pick<AnnouncedSegment, 'sequence' | 'url' | 'size' | 'sha256' | 'duration'>;

interface Entry extends SegmentMeta {
  bytes?: Uint8Array;
  /** How long the bytes took to arrive (ms), reported to hls.js as the load time of a stored hit. */
  transferMs?: number;
}

export interface StoreLimits {
  windowSegments: number;
  maxBytes: number;
}

export const DEFAULT_STORE_LIMITS: StoreLimits = { windowSegments: 24, maxBytes: 100 * 1024 * 1024 };

export class SegmentStore {
  /** sequence → entry, in announcement order (= sequence order). */
  private readonly entries = new Map<number, Entry>();
  private readonly byUrl = new Map<string, number>();
  private heldBytes = 0;

  constructor(private readonly limits: StoreLimits = DEFAULT_STORE_LIMITS) {}

  /** Records an announcement; false if it is already known or older than the window. */
  announce(meta: SegmentMeta): boolean {
    if (this.entries.has(meta.sequence)) return false;
    const oldest = this.entries.keys().next();
    if (!oldest.done && this.entries.size >= this.limits.windowSegments && meta.sequence < oldest.value) return false;
    this.entries.set(meta.sequence, { ...meta });
    this.byUrl.set(meta.url, meta.sequence);
    while (this.entries.size > this.limits.windowSegments) this.evict(this.entries.keys().next().value as number);
    return true;
  }

  meta(sequence: number): SegmentMeta | undefined {
    return this.entries.get(sequence);
  }

  sequenceOf(url: string): number | undefined {
    return this.byUrl.get(url);
  }

  has(sequence: number): boolean {
    return this.entries.get(sequence)?.bytes !== undefined;
  }

  bytes(sequence: number): Uint8Array | undefined {
    return this.entries.get(sequence)?.bytes;
  }

  transferMs(sequence: number): number | undefined {
    return this.entries.get(sequence)?.transferMs;
  }

  /** Stores verified bytes. The caller has checked them against the announced SHA-256. */
  put(sequence: number, bytes: Uint8Array, transferMs: number): boolean {
    const entry = this.entries.get(sequence);
    if (!entry || entry.bytes || bytes.byteLength !== entry.size) return false;
    entry.bytes = bytes;
    entry.transferMs = transferMs;
    this.heldBytes += bytes.byteLength;
    for (const [seq, e] of this.entries) {
      if (this.heldBytes <= this.limits.maxBytes) break;
      if (e.bytes && seq !== sequence) this.dropBytes(e);
    }
    if (this.heldBytes > this.limits.maxBytes) {
      this.dropBytes(entry);
      return false;
    }
    return true;
  }

  /** Sequences whose bytes are held, oldest first (what a HAVE frame lists). */
  held(): number[] {
    const out: number[] = [];
    for (const [seq, e] of this.entries) if (e.bytes) out.push(seq);
    return out;
  }

  latest(): SegmentMeta | undefined {
    let last: Entry | undefined;
    for (const e of this.entries.values()) last = e;
    return last;
  }

  known(): SegmentMeta[] {
    return [...this.entries.values()];
  }

  bytesHeld(): number {
    return this.heldBytes;
  }

  clear(): void {
    this.entries.clear();
    this.byUrl.clear();
    this.heldBytes = 0;
  }

  private evict(sequence: number): void {
    const entry = this.entries.get(sequence);
    if (!entry) return;
    this.dropBytes(entry);
    this.entries.delete(sequence);
    if (this.byUrl.get(entry.url) === sequence) this.byUrl.delete(entry.url);
  }

  private dropBytes(entry: Entry): void {
    if (!entry.bytes) return;
    this.heldBytes -= entry.bytes.byteLength;
    entry.bytes = undefined;
  }
}
