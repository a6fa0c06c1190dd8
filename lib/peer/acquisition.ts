/**
 * Getting one segment's bytes: from peers, over HTTP, or both. The segment is cut into pieces
 * (segment-pieces.ts) that several holders fill at once, each piece asked of the holder expected to
 * finish it soonest (piece-plan.ts); a holder that refuses, stalls or goes away loses its pieces to
 * another, a late one loses them to a faster one, and at the deadline whatever is still missing
 * comes over HTTP in one Range request. When the finished segment fails its SHA-256, it is fetched
 * whole over HTTP (which must verify) and each peer's ranges are compared with it, which names the
 * liar. Nothing unverified ever leaves this class.
 */
import { fetchRange, HttpFetchError } from './http-fetch';
import { nextStep, type PlannedTransfer } from './piece-plan';
import type { PeerLink } from './peer-link';
import type { PeerPlatform } from './platform';
import { SegmentPieces, type Piece } from './segment-pieces';
import type { SegmentMeta } from './segment-store';

export type Source = 'peer' | 'http';

export interface AcquisitionHost {
  readonly platform: PeerPlatform;
  nextRequestId(): number;
  /** Verified bytes by source (for the stats panel and receipts): counted once the hash matched. */
  countBytes(source: Source, bytes: number): void;
  /** A peer sent bytes that failed verification, or broke the protocol mid-transfer. */
  peerMisbehaved(link: PeerLink, reason: 'hash' | 'size' | 'protocol'): void;
  /** Pieces are waiting for a holder (one was lost, finished, or is late): offer the holders again (plan()). */
  holdersWanted(acquisition: Acquisition): void;
  /** The playback deadline passed with a peer transfer unfinished: the rest comes over HTTP. */
  deadlineMissed(acquisition: Acquisition): void;
  /** The playback deadline passed with no peer transfer running (no linked holder had it in time, or all refused). */
  deadlineWithoutHolder?(acquisition: Acquisition): void;
  /** A transfer from `link` ended (finished, refused, stalled, cancelled): `bytes` came in `ms`. */
  transferEnded?(link: PeerLink, bytes: number, ms: number, refused: boolean): void;
  /** Bytes/s expected from `link` to me (its record of past transfers). */
  holderRate(link: PeerLink): number;
  /** Bytes `link` still has to send me, for every segment. */
  queuedFrom(link: PeerLink): number;
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

interface PeerTransfer extends PlannedTransfer<PeerLink> {
  readonly id: number;
  /** When the holder could start on it: when asked, or when its piece before this one ended. */
  startedAt: number;
  lastByteAt: number;
  bytes: number;
}

/** A peer that delivered nothing for this long is abandoned for this segment. */
export const PEER_STALL_MS = 1500;
/**
 * A holder that refused a piece (ABSENT: busy, or it could not meet the deadline) is not asked for
 * this segment again for this long: its queue may have room for the next piece by then.
 */
export const REFUSAL_BACKOFF_MS = 500;
/** A transfer's own rate counts once it has run this long (before, the holder's record stands). */
const LIVE_RATE_AFTER_MS = 250;

export class Acquisition {
  private readonly pieces: SegmentPieces<PeerLink>;
  private phase: 'fetching' | 'verifying' | 'done' | 'failed' = 'fetching';
  readonly done: Promise<Completed>;
  /** Peers not to ask for this segment (peer id → until when): for good once they failed, a moment after a refusal. */
  private readonly avoided = new Map<string, number>();
  /** Running peer transfers by request id, in the order they were asked. */
  private readonly transfers = new Map<number, PeerTransfer>();
  private http: AbortController | undefined;
  private watchTimer: unknown;
  private deadlineTimer: unknown;
  private deadlineAt: number | undefined;
  private resolve!: (c: Completed) => void;
  private reject!: (e: Error) => void;
  private readonly startedAt: number;
  private firstByteAt = 0;
  private reportedPrefix = 0;
  private readonly progressListeners = new Set<(filled: number) => void>();

  constructor(
    readonly meta: SegmentMeta,
    private readonly host: AcquisitionHost,
  ) {
    this.pieces = new SegmentPieces(meta.size);
    this.startedAt = host.platform.now();
    this.done = new Promise<Completed>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Consumers attach later (or never, for a prefetch); the rejection must never be unhandled.
    this.done.catch(() => undefined);
  }

  /** idle: nothing is being fetched (waiting for a holder); peer: peers are sending; http: the rest comes over HTTP. */
  get state(): 'idle' | 'peer' | 'http' | 'verifying' | 'done' | 'failed' {
    if (this.phase !== 'fetching') return this.phase;
    if (this.http) return 'http';
    return this.transfers.size > 0 ? 'peer' : 'idle';
  }

  get finished(): boolean {
    return this.phase === 'done' || this.phase === 'failed';
  }

  /** When the player needs the bytes (undefined until it asks: a prefetch). */
  get deadline(): number | undefined {
    return this.deadlineAt;
  }

  /** Whether `peerId` is not to be asked for this segment now. */
  avoids(peerId: string): boolean {
    const until = this.avoided.get(peerId);
    return until !== undefined && until > this.host.platform.now();
  }

  /** Whether `link` is sending this segment now. */
  usesPeer(link: PeerLink): boolean {
    for (const transfer of this.transfers.values()) if (transfer.link === link) return true;
    return false;
  }

  /** Bytes asked of `link` for this segment and not yet received. */
  bytesAskedOf(link: PeerLink): number {
    let bytes = 0;
    for (const transfer of this.transfers.values()) if (transfer.link === link) bytes += SegmentPieces.remaining(transfer.piece);
    return bytes;
  }

  onProgress(listener: (filled: number) => void): () => void {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }

  /**
   * Asks `holders` (linked, uploading, holding this segment) for the pieces nobody is sending, and
   * moves a late piece to a sooner holder (piece-plan.ts). Called whenever that may have changed.
   */
  plan(holders: readonly PeerLink[]): void {
    if (this.phase !== 'fetching' || this.http) return;
    const now = this.host.platform.now();
    // Each step changes the transfers the next one sees; the bound only guards against a loop.
    for (let steps = 0; steps < this.pieces.pieces.length * 2; steps++) {
      const step = nextStep({
        pieces: this.pieces.pieces,
        transfers: [...this.transfers.values()],
        // A holder a failed ask just avoided drops out at the next step.
        holders: holders.filter((link) => !this.avoids(link.remoteId)),
        rate: (link) => this.rateOf(link, now),
        queued: (link) => this.host.queuedFrom(link),
        random: () => this.host.platform.random(),
        now,
        deadline: this.needBy(),
      });
      if (!step) return;
      if (step.kind === 'move') {
        this.cancel(step.transfer as PeerTransfer);
        this.ask(step.link, step.transfer.piece);
      } else if (!this.ask(step.link, step.piece)) {
        this.avoided.set(step.link.remoteId, Infinity);
      }
    }
  }

  /** Fetches every missing byte over HTTP (one Range request over the gaps); peers stop. */
  fromHttp(): void {
    if (this.phase !== 'fetching' || this.http) return;
    for (const transfer of [...this.transfers.values()]) this.cancel(transfer);
    const gaps = this.pieces.gaps();
    if (!gaps) return;
    const controller = new AbortController();
    this.http = controller;
    fetchRange(this.host.platform.fetch, {
      url: this.meta.url,
      size: this.meta.size,
      start: gaps.start,
      end: gaps.end,
      signal: controller.signal,
      write: (offset, bytes) => {
        if (this.http !== controller) return;
        if (this.pieces.fill(offset, bytes) > 0) this.progressed();
      },
    }).then(
      () => {
        if (this.http !== controller) return;
        this.http = undefined;
        if (this.pieces.complete) this.complete();
        else this.fail(new AcquisitionError('E_HTTP_SIZE', `GET ${this.meta.url}: the range did not fill segment ${this.meta.sequence}`));
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
    if (this.phase !== 'fetching' || this.http) return;
    this.host.platform.clearTimeout(this.deadlineTimer);
    this.deadlineAt = at;
    const wait = Math.max(0, at - this.host.platform.now());
    const fallBack = (): void => {
      if (this.phase !== 'fetching' || this.http) return;
      if (this.transfers.size > 0) this.host.deadlineMissed(this);
      else if (wait > 0) this.host.deadlineWithoutHolder?.(this);
      this.fromHttp();
    };
    if (wait === 0) fallBack();
    else this.deadlineTimer = this.host.platform.setTimeout(fallBack, wait);
    // A sooner deadline may make a running piece late.
    if (this.transfers.size > 0) this.host.holdersWanted(this);
  }

  /** A DATA frame from a peer. Anything but the next bytes of the piece it was asked for is a protocol breach. */
  onData(link: PeerLink, id: number, offset: number, payload: Uint8Array): void {
    const transfer = this.transfers.get(id);
    if (!transfer || transfer.link !== link) return; // a cancelled request's tail, or another segment's
    if (!this.pieces.fits(transfer.piece, offset, payload.byteLength)) {
      this.dropPeer(link, 'protocol');
      return;
    }
    this.pieces.write(transfer.piece, payload, link);
    const now = this.host.platform.now();
    transfer.lastByteAt = now;
    transfer.bytes += payload.byteLength;
    this.progressed();
    if (!SegmentPieces.done(transfer.piece)) return;
    this.transfers.delete(id);
    this.reportTransfer(transfer, false);
    // The holder's next piece starts now: its rate and its stall are timed from here.
    for (const next of this.transfers.values()) {
      if (next.link !== link) continue;
      next.startedAt = now;
      next.lastByteAt = now;
    }
    if (this.pieces.complete) this.complete();
    else this.host.holdersWanted(this);
  }

  onAbsent(link: PeerLink, id: number): void {
    const transfer = this.transfers.get(id);
    if (transfer?.link !== link) return;
    // Only this piece was refused: pieces the holder took before it are still coming.
    this.transfers.delete(id);
    this.reportTransfer(transfer, true);
    this.avoided.set(link.remoteId, this.host.platform.now() + REFUSAL_BACKOFF_MS);
    this.host.holdersWanted(this);
    this.watch();
  }

  /** The link closed: its pieces go to others. */
  onLinkClosed(link: PeerLink): void {
    if (this.usesPeer(link)) this.release(link);
  }

  abort(): void {
    if (this.finished) return;
    for (const transfer of [...this.transfers.values()]) this.cancel(transfer);
    this.http?.abort();
    this.http = undefined;
    this.fail(new AcquisitionError('E_ABORTED', 'aborted'));
  }

  /** Sends the request for the rest of `piece`, with the time it may take (see uploads.ts). */
  private ask(link: PeerLink, piece: Piece): boolean {
    const id = this.host.nextRequestId();
    const now = this.host.platform.now();
    const budgetMs = Math.max(0, this.needBy() - now);
    if (!link.send({ type: 'request', id, sequence: this.meta.sequence, start: SegmentPieces.next(piece), end: piece.end, budgetMs })) return false;
    this.transfers.set(id, { link, piece, id, startedAt: now, lastByteAt: now, bytes: 0 });
    this.watch();
    return true;
  }

  /**
   * When the bytes are needed: the player's deadline, or until the player asks, one segment duration
   * from the start (a holder that cannot send a live segment within its own duration cannot keep up
   * with the stream, and had better refuse).
   */
  private needBy(): number {
    return this.deadlineAt ?? this.startedAt + this.meta.duration * 1000;
  }

  /** Expected bytes/s from `link`: what its running transfer shows, else its record. */
  private rateOf(link: PeerLink, now: number): number {
    for (const transfer of this.transfers.values()) {
      if (transfer.link !== link || transfer.bytes === 0) continue;
      const ms = now - transfer.startedAt;
      if (ms >= LIVE_RATE_AFTER_MS) return transfer.bytes / (ms / 1000);
    }
    return this.host.holderRate(link);
  }

  private progressed(): void {
    if (this.firstByteAt === 0) this.firstByteAt = this.host.platform.now();
    const prefix = this.pieces.prefix();
    if (prefix === this.reportedPrefix) return;
    this.reportedPrefix = prefix;
    for (const listener of this.progressListeners) listener(prefix);
  }

  private reportTransfer(transfer: PeerTransfer, refused: boolean): void {
    this.host.transferEnded?.(transfer.link, transfer.bytes, this.host.platform.now() - transfer.startedAt, refused);
  }

  /** `link` failed this segment (stalled, closed, misbehaved): its pieces go to others, and it is not asked again. */
  private release(link: PeerLink): void {
    this.avoided.set(link.remoteId, Infinity);
    for (const transfer of [...this.transfers.values()]) if (transfer.link === link) this.transfers.delete(transfer.id);
    this.host.holdersWanted(this);
  }

  /** Stops a transfer (its piece keeps the bytes that came): the tail still in flight is ignored. */
  private cancel(transfer: PeerTransfer): void {
    if (!this.transfers.delete(transfer.id)) return;
    transfer.link.send({ type: 'cancel', id: transfer.id });
    this.reportTransfer(transfer, false);
  }

  private dropPeer(link: PeerLink, reason: 'hash' | 'size' | 'protocol'): void {
    this.host.peerMisbehaved(link, reason);
    this.release(link);
  }

  /**
   * While peers send, or a refusal's backoff runs: abandons a holder that stalled, and re-plans (a
   * slow piece may now be late, a holder that refused may be asked again).
   */
  private watch(): void {
    if (this.watchTimer !== undefined) return;
    this.watchTimer = this.host.platform.setTimeout(() => {
      this.watchTimer = undefined;
      if (this.phase !== 'fetching' || this.http) return;
      const now = this.host.platform.now();
      const stalled = new Set<PeerLink>();
      for (const transfer of this.transfers.values()) if (now - transfer.lastByteAt >= PEER_STALL_MS) stalled.add(transfer.link);
      for (const link of stalled) {
        for (const transfer of [...this.transfers.values()]) if (transfer.link === link) this.cancel(transfer);
        this.release(link);
      }
      if (stalled.size === 0) this.host.holdersWanted(this);
      if (this.transfers.size > 0 || this.backingOff(now)) this.watch();
    }, PEER_STALL_MS / 3);
  }

  /** Whether a holder that refused will be worth asking again soon. */
  private backingOff(now: number): boolean {
    for (const until of this.avoided.values()) if (until > now && until !== Infinity) return true;
    return false;
  }

  private complete(): void {
    this.phase = 'verifying';
    this.host.platform.clearTimeout(this.deadlineTimer);
    this.host.platform.clearTimeout(this.watchTimer);
    this.watchTimer = undefined;
    this.host.platform.sha256(this.pieces.buffer).then(
      (hash) => {
        if (this.finished) return;
        if (hash === this.meta.sha256) this.succeed();
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
    const peerRanges = this.pieces.written().filter((r) => r.source !== undefined);
    if (peerRanges.length === 0) {
      this.fail(new AcquisitionError('E_VERIFY', `segment ${this.meta.sequence} from ${this.meta.url} does not match its announced SHA-256`));
      return;
    }
    const suspect = this.pieces.buffer.slice();
    this.pieces.reset();
    this.phase = 'fetching';
    const controller = new AbortController();
    this.http = controller;
    fetchRange(this.host.platform.fetch, {
      url: this.meta.url,
      size: this.meta.size,
      start: 0,
      signal: controller.signal,
      write: (offset, bytes) => this.pieces.fill(offset, bytes),
    })
      .then(() => this.host.platform.sha256(this.pieces.buffer))
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
              if (suspect[i] !== this.pieces.buffer[i]) {
                liars.add(r.source!);
                break;
              }
            }
          }
          for (const liar of liars) this.host.peerMisbehaved(liar, 'hash');
          this.succeed();
        },
        (err: unknown) => {
          if (this.http !== controller) return;
          this.http = undefined;
          this.fail(new AcquisitionError('E_HTTP_NETWORK', `re-fetching a corrupt segment failed: ${String(err)}`));
        },
      );
  }

  private succeed(): void {
    this.phase = 'done';
    const fromPeers = new Map<string, number>();
    let httpBytes = 0;
    for (const r of this.pieces.written()) {
      if (r.source) fromPeers.set(r.source.remoteId, (fromPeers.get(r.source.remoteId) ?? 0) + (r.end - r.start));
      else httpBytes += r.end - r.start;
    }
    for (const count of fromPeers.values()) this.host.countBytes('peer', count);
    if (httpBytes > 0) this.host.countBytes('http', httpBytes);
    this.resolve({
      bytes: this.pieces.buffer,
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
    this.phase = 'failed';
    this.host.platform.clearTimeout(this.watchTimer);
    this.host.platform.clearTimeout(this.deadlineTimer);
    this.watchTimer = undefined;
    this.reject(err);
    this.progressListeners.clear();
  }
}
