/**
 * The upload side: serving other peers' requests from the store. Each link has a short queue of
 * requests, served in order, one DataChannel-sized chunk at a time while the channel's buffer has
 * room (it resumes on 'bufferedamountlow'). A byte budget per second caps the whole upload; an
 * upload of 0 (metered links) answers every request with ABSENT. When a request has been sent in
 * full, the uploader files its `served` claim with the signaling server.
 */
import type { PeerLink } from './peer-link';
import type { PeerPlatform } from './platform';
import type { SegmentStore } from './segment-store';
import { CHUNK_BYTES } from '../protocol/peer-wire';

export interface UploadPolicy {
  /** false: never upload (the peer also joins with upload:false). */
  enabled: boolean;
  /** Upload cap in bytes per second; 0 or Infinity = uncapped. */
  bytesPerSecond: number;
}

interface Pending {
  id: number;
  sequence: number;
  next: number;
  end: number;
  sent: number;
}

/** Requests queued per link beyond which new ones are answered ABSENT. */
const MAX_QUEUED_PER_LINK = 8;

export class Uploads {
  private readonly queues = new Map<PeerLink, Pending[]>();
  private allowance: number;
  private refilledAt: number;
  private refillTimer: unknown;
  uploadedBytes = 0;

  constructor(
    private readonly platform: PeerPlatform,
    private readonly store: SegmentStore,
    private readonly policy: UploadPolicy,
    private readonly onServed: (link: PeerLink, sequence: number, bytes: number) => void,
  ) {
    this.allowance = this.capacity();
    this.refilledAt = platform.now();
  }

  request(link: PeerLink, id: number, sequence: number, start: number, end: number): void {
    const bytes = this.store.bytes(sequence);
    const queue = this.queues.get(link) ?? [];
    if (!this.policy.enabled || !bytes || end > bytes.byteLength || queue.length >= MAX_QUEUED_PER_LINK) {
      link.send({ type: 'absent', id });
      return;
    }
    queue.push({ id, sequence, next: start, end, sent: 0 });
    this.queues.set(link, queue);
    this.pump(link);
  }

  cancel(link: PeerLink, id: number): void {
    const queue = this.queues.get(link);
    if (!queue) return;
    const index = queue.findIndex((p) => p.id === id);
    if (index >= 0) {
      const [cancelled] = queue.splice(index, 1);
      // Bytes already sent were delivered (the channel is reliable): they still count for the claim.
      if (cancelled.sent > 0) this.onServed(link, cancelled.sequence, cancelled.sent);
    }
  }

  linkClosed(link: PeerLink): void {
    this.queues.delete(link);
  }

  /** Sends as much as the link's buffer and the upload budget allow. Called again on 'drain'. */
  pump(link: PeerLink): void {
    const queue = this.queues.get(link);
    while (queue && queue.length > 0 && link.canSend()) {
      const head = queue[0];
      const bytes = this.store.bytes(head.sequence);
      if (!bytes) {
        // Evicted while queued: say so rather than send a partial segment.
        queue.shift();
        link.send({ type: 'absent', id: head.id });
        continue;
      }
      const length = Math.min(CHUNK_BYTES, head.end - head.next);
      if (!this.take(length)) {
        this.waitForBudget();
        return;
      }
      if (!link.send({ type: 'data', id: head.id, offset: head.next, payload: bytes.subarray(head.next, head.next + length) })) return;
      head.next += length;
      head.sent += length;
      this.uploadedBytes += length;
      if (head.next >= head.end) {
        queue.shift();
        this.onServed(link, head.sequence, head.sent);
      }
    }
    if (queue && queue.length === 0) this.queues.delete(link);
  }

  close(): void {
    this.platform.clearTimeout(this.refillTimer);
    this.queues.clear();
  }

  private capacity(): number {
    const rate = this.policy.bytesPerSecond;
    return rate > 0 && Number.isFinite(rate) ? Math.max(rate, CHUNK_BYTES) : Infinity;
  }

  private take(bytes: number): boolean {
    if (this.allowance === Infinity) return true;
    const now = this.platform.now();
    this.allowance = Math.min(this.capacity(), this.allowance + ((now - this.refilledAt) * this.policy.bytesPerSecond) / 1000);
    this.refilledAt = now;
    if (this.allowance < bytes) return false;
    this.allowance -= bytes;
    return true;
  }

  private waitForBudget(): void {
    if (this.refillTimer !== undefined) return;
    const wait = Math.ceil((CHUNK_BYTES * 1000) / this.policy.bytesPerSecond);
    this.refillTimer = this.platform.setTimeout(() => {
      this.refillTimer = undefined;
      for (const link of [...this.queues.keys()]) this.pump(link);
    }, wait);
  }
}
