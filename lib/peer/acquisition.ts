/**
 * Getting one segment's bytes: from a peer, or over HTTP, or a peer's part and then the rest over
 * HTTP (a Range request resumes where the peer stopped). The buffer fills as one contiguous prefix,
 * so each source's share is a byte range, and when the finished segment fails its SHA-256 those
 * ranges tell which peer lied: the segment is fetched whole over HTTP (which must verify) and each
 * peer's range is compared with it. Nothing unverified ever leaves this class.
 */
import { fetchRange, HttpFetchError } from './http-fetch';
import type { PeerLink } from './peer-link';
import type { PeerPlatform } from './platform';
import type { SegmentMeta } from './segment-store';

export type Source = 'peer' | 'http';

export interface AcquisitionHost {
  readonly platform: PeerPlatform;
  nextRequestId(): number;
  /** Verified bytes by source (for the stats panel and receipts): counted once the hash matched. */
  countBytes(source: Source, bytes: number): void;
  /** A peer sent bytes that failed verification, or broke the protocol mid-transfer. */
  peerMisbehaved(link: PeerLink, reason: 'hash' | 'size' | 'protocol'): void;
  /** The current source gave up (absent, stalled, closed): pick another or fall back. */
  sourceLost(acquisition: Acquisition, link: PeerLink | undefined): void;
  /** The playback deadline passed with a peer transfer unfinished: the rest comes over HTTP. */
  deadlineMissed(acquisition: Acquisition): void;
  /** A transfer from `link` ended (finished, refused, stalled, cancelled): `bytes` came in `ms`. */
  transferEnded?(link: PeerLink, bytes: number, ms: number, refused: boolean): void;
}

export interface Completed {
  bytes: Uint8Array;
  /** Bytes that came from each peer (peer id → bytes), after verification. */
  fromPeers: Map<string, number>;
  httpBytes: number;
  startedAt: number;
  firstByteAt: number;
  finishedAt: number;
}

export class AcquisitionError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

interface PeerTransfer {
  link: PeerLink;
  id: number;
  startedAt: number;
  lastByteAt: number;
  bytes: number;
}

/** A peer that delivered nothing for this long is abandoned for this segment. */
export const PEER_STALL_MS = 1500;

export class Acquisition {
  readonly buffer: Uint8Array;
  filled = 0;
  state: 'idle' | 'peer' | 'http' | 'verifying' | 'done' | 'failed' = 'idle';
  readonly done: Promise<Completed>;
  /** Peers tried for this segment that gave up: not asked again. */
  readonly avoided = new Set<string>();
  private readonly ranges: Array<{ peer: PeerLink | undefined; start: number; end: number }> = [];
  private transfer: PeerTransfer | undefined;
  private http: AbortController | undefined;
  private stallTimer: unknown;
  private deadlineTimer: unknown;
  private deadlineAt: number | undefined;
  private resolve!: (c: Completed) => void;
  private reject!: (e: Error) => void;
  private readonly startedAt: number;
  private firstByteAt = 0;
  private readonly progressListeners = new Set<(filled: number) => void>();

  constructor(
    readonly meta: SegmentMeta,
    private readonly host: AcquisitionHost,
  ) {
    this.buffer = new Uint8Array(meta.size);
    this.startedAt = host.platform.now();
    this.done = new Promise<Completed>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Consumers attach later (or never, for a prefetch); the rejection must never be unhandled.
    this.done.catch(() => undefined);
  }

  get busy(): boolean {
    return this.state === 'peer' || this.state === 'http' || this.state === 'verifying';
  }

  get finished(): boolean {
    return this.state === 'done' || this.state === 'failed';
  }

  /** When the player needs the bytes (undefined until it asks: a prefetch). */
  get deadline(): number | undefined {
    return this.deadlineAt;
  }

  currentPeer(): PeerLink | undefined {
    return this.transfer?.link;
  }

  onProgress(listener: (filled: number) => void): () => void {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }

  /**
   * Asks `link` for the rest of the segment, saying how long it may take: until the player's
   * deadline, or for a prefetch one segment duration (a holder that cannot send a live segment
   * within its own duration cannot keep up with the stream, and had better refuse at once).
   */
  fromPeer(link: PeerLink): boolean {
    if (this.busy || this.finished) return false;
    const id = this.host.nextRequestId();
    const now = this.host.platform.now();
    const budgetMs = this.deadlineAt !== undefined ? Math.max(0, this.deadlineAt - now) : this.meta.duration * 1000;
    if (!link.send({ type: 'request', id, sequence: this.meta.sequence, start: this.filled, end: this.meta.size, budgetMs })) return false;
    this.state = 'peer';
    this.transfer = { link, id, startedAt: now, lastByteAt: now, bytes: 0 };
    this.armStallTimer();
    return true;
  }

  /** Fetches the rest over HTTP (a Range request when a peer delivered a part). */
  fromHttp(): void {
    if (this.state === 'http' || this.state === 'verifying' || this.finished) return;
    if (this.state === 'peer') this.cancelPeer();
    this.state = 'http';
    const controller = new AbortController();
    this.http = controller;
    const start = this.filled;
    fetchRange(this.host.platform.fetch, {
      url: this.meta.url,
      buffer: this.buffer,
      start,
      signal: controller.signal,
      onProgress: (filledTo) => this.advance(undefined, filledTo - this.filled),
    }).then(
      () => {
        if (this.http === controller) {
          this.http = undefined;
          this.complete();
        }
      },
      (err: unknown) => {
        if (this.http !== controller) return;
        this.http = undefined;
        const e = err instanceof HttpFetchError ? err : new HttpFetchError('E_HTTP_NETWORK', String(err));
        this.fail(new AcquisitionError(e.code, e.message, e.status));
      },
    );
  }

  /** At `at` (platform time), whatever peers have not delivered is fetched over HTTP. */
  setDeadline(at: number): void {
    if (this.finished || this.state === 'http') return;
    this.host.platform.clearTimeout(this.deadlineTimer);
    this.deadlineAt = at;
    const wait = Math.max(0, at - this.host.platform.now());
    const fallBack = (): void => {
      if (this.finished || this.state === 'verifying' || this.state === 'http') return;
      if (this.state === 'peer') this.host.deadlineMissed(this);
      this.fromHttp();
    };
    if (wait === 0) fallBack();
    else this.deadlineTimer = this.host.platform.setTimeout(fallBack, wait);
  }

  /** A DATA frame from a peer. Anything but the next bytes of the current request is a protocol breach. */
  onData(link: PeerLink, id: number, offset: number, payload: Uint8Array): void {
    const transfer = this.transfer;
    if (!transfer || transfer.link !== link || transfer.id !== id) return; // a cancelled request's tail
    if (offset !== this.filled || payload.byteLength > this.meta.size - this.filled) {
      this.dropPeer(link, 'protocol');
      return;
    }
    this.buffer.set(payload, offset);
    transfer.lastByteAt = this.host.platform.now();
    transfer.bytes += payload.byteLength;
    this.advance(link, payload.byteLength);
    if (this.filled === this.meta.size) {
      this.transfer = undefined;
      this.reportTransfer(transfer, false);
      this.host.platform.clearTimeout(this.stallTimer);
      this.complete();
    }
  }

  onAbsent(link: PeerLink, id: number): void {
    if (this.transfer?.link !== link || this.transfer.id !== id) return;
    this.reportTransfer(this.transfer, true);
    this.releasePeer(link);
  }

  /** The link closed: if it was our source, move on. */
  onLinkClosed(link: PeerLink): void {
    if (this.transfer?.link === link) this.releasePeer(link);
  }

  abort(): void {
    if (this.finished) return;
    if (this.state === 'peer') this.cancelPeer();
    this.http?.abort();
    this.http = undefined;
    this.fail(new AcquisitionError('E_ABORTED', 'aborted'));
  }

  private advance(link: PeerLink | undefined, bytes: number): void {
    if (bytes <= 0) return;
    if (this.firstByteAt === 0) this.firstByteAt = this.host.platform.now();
    const last = this.ranges[this.ranges.length - 1];
    if (last && last.peer === link && last.end === this.filled) last.end += bytes;
    else this.ranges.push({ peer: link, start: this.filled, end: this.filled + bytes });
    this.filled += bytes;
    for (const listener of this.progressListeners) listener(this.filled);
  }

  private reportTransfer(transfer: PeerTransfer, refused: boolean): void {
    this.host.transferEnded?.(transfer.link, transfer.bytes, this.host.platform.now() - transfer.startedAt, refused);
  }

  private releasePeer(link: PeerLink): void {
    this.host.platform.clearTimeout(this.stallTimer);
    this.transfer = undefined;
    this.avoided.add(link.remoteId);
    if (this.state === 'peer') this.state = 'idle';
    this.host.sourceLost(this, link);
  }

  private cancelPeer(): void {
    const transfer = this.transfer;
    if (!transfer) return;
    transfer.link.send({ type: 'cancel', id: transfer.id });
    this.reportTransfer(transfer, false);
    this.host.platform.clearTimeout(this.stallTimer);
    this.transfer = undefined;
    this.state = 'idle';
  }

  private dropPeer(link: PeerLink, reason: 'hash' | 'size' | 'protocol'): void {
    this.host.peerMisbehaved(link, reason);
    this.releasePeer(link);
  }

  private armStallTimer(): void {
    this.host.platform.clearTimeout(this.stallTimer);
    this.stallTimer = this.host.platform.setTimeout(() => {
      const transfer = this.transfer;
      if (!transfer || this.state !== 'peer') return;
      if (this.host.platform.now() - transfer.lastByteAt >= PEER_STALL_MS) {
        transfer.link.send({ type: 'cancel', id: transfer.id });
        this.reportTransfer(transfer, false);
        this.releasePeer(transfer.link);
      } else {
        this.armStallTimer();
      }
    }, PEER_STALL_MS / 3);
  }

  private complete(): void {
    this.state = 'verifying';
    this.host.platform.clearTimeout(this.deadlineTimer);
    this.host.platform.sha256(this.buffer).then(
      (hash) => {
        if (this.finished) return;
        if (hash === this.meta.sha256) this.succeed(this.buffer);
        else this.recoverFromBadBytes();
      },
      (err: unknown) => this.fail(new AcquisitionError('E_VERIFY', `SHA-256 failed: ${String(err)}`)),
    );
  }

  /**
   * The bytes failed their hash. Fetch the segment whole over HTTP, and blame exactly the peers
   * whose ranges differ from it. If HTTP's bytes fail too, the origin is wrong: nothing is played.
   */
  private recoverFromBadBytes(): void {
    const peerRanges = this.ranges.filter((r) => r.peer !== undefined);
    if (peerRanges.length === 0) {
      this.fail(new AcquisitionError('E_VERIFY', `segment ${this.meta.sequence} from ${this.meta.url} does not match its announced SHA-256`));
      return;
    }
    const suspect = this.buffer.slice();
    this.filled = 0;
    this.ranges.length = 0;
    this.state = 'http';
    const controller = new AbortController();
    this.http = controller;
    fetchRange(this.host.platform.fetch, { url: this.meta.url, buffer: this.buffer, start: 0, signal: controller.signal })
      .then(() => this.host.platform.sha256(this.buffer))
      .then(
        (hash) => {
          if (this.http !== controller) return;
          this.http = undefined;
          if (hash !== this.meta.sha256) {
            this.fail(new AcquisitionError('E_VERIFY', `segment ${this.meta.sequence} does not match its announced SHA-256, even over HTTP`));
            return;
          }
          const liars = new Set<PeerLink>();
          for (const r of peerRanges) {
            for (let i = r.start; i < r.end; i++) {
              if (suspect[i] !== this.buffer[i]) {
                liars.add(r.peer!);
                break;
              }
            }
          }
          for (const liar of liars) this.host.peerMisbehaved(liar, 'hash');
          this.ranges.push({ peer: undefined, start: 0, end: this.meta.size });
          this.filled = this.meta.size;
          this.succeed(this.buffer);
        },
        (err: unknown) => {
          if (this.http !== controller) return;
          this.http = undefined;
          this.fail(new AcquisitionError('E_HTTP_NETWORK', `re-fetching a corrupt segment failed: ${String(err)}`));
        },
      );
  }

  private succeed(bytes: Uint8Array): void {
    this.state = 'done';
    const fromPeers = new Map<string, number>();
    let httpBytes = 0;
    for (const r of this.ranges) {
      if (r.peer) fromPeers.set(r.peer.remoteId, (fromPeers.get(r.peer.remoteId) ?? 0) + (r.end - r.start));
      else httpBytes += r.end - r.start;
    }
    for (const count of fromPeers.values()) this.host.countBytes('peer', count);
    if (httpBytes > 0) this.host.countBytes('http', httpBytes);
    this.resolve({
      bytes,
      fromPeers,
      httpBytes,
      startedAt: this.startedAt,
      firstByteAt: this.firstByteAt || this.host.platform.now(),
      finishedAt: this.host.platform.now(),
    });
    this.progressListeners.clear();
  }

  private fail(err: Error): void {
    if (this.finished) return;
    this.state = 'failed';
    this.host.platform.clearTimeout(this.stallTimer);
    this.host.platform.clearTimeout(this.deadlineTimer);
    this.reject(err);
    this.progressListeners.clear();
  }
}
