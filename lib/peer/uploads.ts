/**
 * The upload side: serving other peers' requests from the store. Each link has a short queue of
 * requests, served in order, one DataChannel-sized chunk at a time while the channel's buffer has
 * room (it resumes on 'bufferedamountlow'). A byte budget per second caps the whole upload; an
 * upload of 0 (metered links) answers every request with ABSENT. What was sent is claimed with the
 * signaling server (`served`), one claim per segment and downloader (served-claims.ts).
 *
 * It uploads no more than its link carries: what leaves the buffers is measured (UploadMeter), each
 * link's buffer is sized to its rate, and a request that could not be delivered before the
 * requester's deadline behind what is already queued is refused at once (ABSENT), so the requester
 * asks another holder or HTTP while there is still time. Its own playback comes first: while the
 * host says it needs the uplink (its own transfers are late), nothing new is taken on or sent.
 */
import type { PeerLink } from './peer-link';
import type { PeerPlatform } from './platform';
import type { SegmentStore } from './segment-store';
import { ServedClaims } from './served-claims';
import { UploadMeter } from './upload-meter';
import { BOUNDS } from '../protocol';
import { CHUNK_BYTES } from '../protocol/peer-wire';
import type { UplinkState } from './own-playback';

export interface UploadPolicy {
  /** false: never upload (the peer also joins with upload:false). */
  enabled: boolean;
  /** Upload cap in bytes per second; 0 or Infinity = uncapped. */
  bytesPerSecond: number;
}

export interface UploadHooks {
  /** true while this peer's own playback needs its uplink (requests, acks): uploads pause. */
  ownPlaybackFirst?(): boolean;
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
/** How often the buffers are sampled while bytes are queued in them (and a paused upload retried). */
export const SAMPLE_EVERY_MS = 50;

export class Uploads {
  private readonly queues = new Map<PeerLink, Pending[]>();
  readonly meter: UploadMeter;
  private readonly claims: ServedClaims<PeerLink>;
  private allowance: number;
  private refilledAt: number;
  private refillTimer: unknown;
  private sampleTimer: unknown;
  uploadedBytes = 0;
  /** Requests refused because they could not have arrived before the requester's deadline. */
  refusedForDeadline = 0;

  constructor(
    private readonly platform: PeerPlatform,
    private readonly store: SegmentStore,
    private readonly policy: UploadPolicy,
    onServed: (link: PeerLink, sequence: number, bytes: number) => void,
    private readonly hooks: UploadHooks = {},
  ) {
    this.claims = new ServedClaims(platform, onServed);
    this.allowance = this.capacity();
    this.refilledAt = platform.now();
    this.meter = new UploadMeter(() => platform.now());
  }

  /** `budgetMs`: how long the requester can wait for the whole range (undefined: no deadline given). */
  request(link: PeerLink, id: number, sequence: number, start: number, end: number, budgetMs?: number): void {
    const bytes = this.store.bytes(sequence);
    const queue = this.queues.get(link) ?? [];
    if (!this.policy.enabled || !bytes || end > bytes.byteLength || queue.length >= MAX_QUEUED_PER_LINK || this.hooks.ownPlaybackFirst?.()) {
      link.send({ type: 'absent', id });
      return;
    }
    if (!this.canDeliver(end - start, budgetMs)) {
      this.refusedForDeadline++;
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
      this.claims.add(link, cancelled.sequence, cancelled.sent);
    }
  }

  linkClosed(link: PeerLink): void {
    this.queues.delete(link);
    this.meter.forget(link);
    this.claims.linkClosed(link);
  }

  /** Sends as much as the link's buffer and the upload budget allow. Called again on 'drain'. */
  pump(link: PeerLink): void {
    this.meter.sample(link);
    const queue = this.queues.get(link);
    if (queue && queue.length > 0 && this.hooks.ownPlaybackFirst?.()) {
      this.keepSampling();
      return;
    }
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
        this.claims.add(link, head.sequence, head.sent);
      }
    }
    if (queue && queue.length === 0) this.queues.delete(link);
    this.meter.sample(link);
    this.keepSampling();
  }

  /** Bytes per second this peer can upload: its measured uplink, within the configured cap. */
  uplinkRate(): number | undefined {
    const measured = this.meter.total.capacity();
    const cap = this.capacity();
    if (measured === undefined) return cap === Infinity ? undefined : cap;
    return Math.min(measured, cap);
  }

  /** Upload capacity not in use, bytes/s (0 when uploads are off; undefined while unmeasured). */
  spare(): number | undefined {
    if (!this.policy.enabled) return 0;
    const rate = this.uplinkRate();
    if (rate === undefined) return undefined;
    return Math.max(0, rate - this.meter.total.throughput(this.platform.now()));
  }

  /** spare() as the stats report carries it: whole bytes/s within the protocol's bound. */
  spareReport(): number | undefined {
    const spare = this.spare();
    return spare === undefined ? undefined : Math.min(BOUNDS.maxSpareUploadBytesPerSecond, Math.round(spare));
  }

  uplinkState(): UplinkState {
    return { busy: this.meter.backlog() > 0, saturated: this.meter.total.saturated(this.platform.now()) };
  }

  close(): void {
    this.platform.clearTimeout(this.refillTimer);
    this.platform.clearTimeout(this.sampleTimer);
    this.sampleTimer = undefined;
    this.queues.clear();
    this.claims.close();
  }

  /**
   * Whether `bytes` more could reach the requester within `budgetMs`, behind everything already
   * queued here. An idle uploader always accepts: that is how an unmeasured link gets measured,
   * and the requester's own deadline still covers a link that turns out slower than hoped.
   */
  private canDeliver(bytes: number, budgetMs: number | undefined): boolean {
    if (budgetMs === undefined) return true;
    const ahead = this.queuedBytes() + this.meter.backlog();
    if (ahead === 0) return true;
    const rate = this.uplinkRate();
    if (rate === undefined) return true;
    return ((ahead + bytes) / rate) * 1000 <= budgetMs;
  }

  private queuedBytes(): number {
    let bytes = 0;
    for (const queue of this.queues.values()) for (const p of queue) bytes += p.end - p.next;
    return bytes;
  }

  /** Samples every link with queued bytes until all buffers are empty (and retries paused queues). */
  private keepSampling(): void {
    if (this.sampleTimer !== undefined) return;
    if (this.meter.linksToSample().length === 0 && this.queues.size === 0) return;
    this.sampleTimer = this.platform.setTimeout(() => {
      this.sampleTimer = undefined;
      for (const link of this.meter.linksToSample()) if (!this.queues.has(link as PeerLink)) this.meter.sample(link);
      for (const link of [...this.queues.keys()]) this.pump(link);
      this.keepSampling();
    }, SAMPLE_EVERY_MS);
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
