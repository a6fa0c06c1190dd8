/**
 * One synthetic viewer: the browser's peer engine (lib/peer) on the Node platform, driven by a
 * simulated player instead of hls.js. The player does what hls.js does with a live stream: loads
 * the master and media playlists through the engine (the socket's pushed copies, else HTTP with a
 * blocking reload), starts liveSyncDurationCount target durations behind the live edge, then loads
 * one segment after another through engine.loadSegment with the deadline the browser loader gives
 * (lib/peer/playback-budget.ts, from the buffer left). Delivered segments fill a SimulatedBuffer that
 * drains in real time; nothing is decoded. It counts what the video element would show (TTFF,
 * stalls, latency) and where the played media came from.
 */
import { PeerEngine } from '../../lib/peer/engine';
import { fetchWhole } from '../../lib/peer/http-fetch';
import { LINKS_AT_THE_LATEST_MS, peerBudgetMs } from '../../lib/peer/playback-budget';
import type { PeerPlatform } from '../../lib/peer/platform';
import { SimulatedBuffer } from './buffer';
import type { StallRecord, ViewerFigures } from './figures';
import { LiveTimeline, type TimelineSegment } from './timeline';

export interface SyntheticViewerOptions {
  platform: PeerPlatform;
  masterUrl: string;
  /** Absolute URL of the media playlist played (the master's first variant by default). */
  mediaUrl: string;
  signalingUrl: string;
  stream: string;
  rendition: string;
  /** false: never upload (a phone, a metered link). */
  upload: boolean;
  /** Upload cap, bytes per second (0 = uncapped). */
  uploadBytesPerSecond?: number;
  maxPeers?: number;
  candidateFilter?: (candidate: string) => boolean;
  /** hls.js's liveSyncDurationCount (default 3). */
  liveSyncDurationCount?: number;
  /** hls.js's maxBufferLength: no segment is loaded while this much is buffered (default 30 s). */
  maxBufferSeconds?: number;
  /** Every delivered segment's bytes, in play order (the e2e compares them with the origin's). */
  onSegment?(segment: TimelineSegment, bytes: Uint8Array): void;
  /** Wall clock (ms since the epoch) for PROGRAM-DATE-TIME latency; Date.now by default. */
  wallNow?: () => number;
}

/** hls.js's fragment load policy: at most this long to first byte (the budget's upper bound). */
const MAX_TIME_TO_FIRST_BYTE_MS = 10_000;
/** After a failed playlist or segment load, the next try comes this much later (hls.js retries too). */
const RETRY_MS = 1000;
/** Peer byte counts of stored segments kept for the played-media figures. */
const PEER_BYTES_KEPT = 64;
/** Stall records kept per viewer (a bench prints them; a broken run must not grow them forever). */
const STALLS_LOGGED = 20;

export class SyntheticViewer {
  readonly engine: PeerEngine;
  readonly buffer: SimulatedBuffer;
  private readonly timeline = new LiveTimeline();
  private readonly peerBytesOf = new Map<number, number>();
  private readonly latencies: number[] = [];
  private readonly played = { bytes: 0, peerBytes: 0, segments: 0 };
  private readonly errors: string[] = [];
  private readonly stallLog: StallRecord[] = [];
  private readonly startedAt: number;
  private playlistListeners = new Set<() => void>();
  private tick: unknown;
  private firstRequested = false;
  private skips = 0;
  private closed = false;

  constructor(
    readonly id: string,
    private readonly options: SyntheticViewerOptions,
  ) {
    const platform = options.platform;
    this.startedAt = platform.now();
    this.buffer = new SimulatedBuffer(() => platform.now());
    this.engine = new PeerEngine(platform, {
      signalingUrl: options.signalingUrl,
      stream: options.stream,
      rendition: options.rendition,
      upload: options.upload,
      uploadBytesPerSecond: options.uploadBytesPerSecond,
      maxPeers: options.maxPeers,
      candidateFilter: options.candidateFilter,
      // As the browser session: links wait for the first fragment request (or 2 s).
      holdOffersMs: LINKS_AT_THE_LATEST_MS,
    });
    this.engine.on('segment', (sequence, _source, peerBytes) => {
      this.peerBytesOf.set(sequence, peerBytes);
      if (this.peerBytesOf.size > PEER_BYTES_KEPT) this.peerBytesOf.delete(this.peerBytesOf.keys().next().value as number);
    });
    this.engine.on('error', (err) => this.note(err));
    // A frame the server refused (rate limits, a full swarm): the links it carried never form.
    this.engine.on('server-error', (code, message) => this.note(`${code}: ${message}`));
  }

  start(): void {
    this.engine.start();
    this.tick = this.options.platform.setTimeout(() => this.everySecond(), 1000);
    this.play().catch((err: unknown) => this.note(err));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.options.platform.clearTimeout(this.tick);
    for (const wake of [...this.playlistListeners]) wake();
    this.engine.close();
  }

  figures(): ViewerFigures {
    const s = this.engine.stats();
    const b = this.buffer.figures();
    const sorted = [...this.latencies].sort((x, y) => x - y);
    return {
      id: this.id,
      upload: this.options.upload,
      ...b,
      latencyMs: sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : undefined,
      segmentsPlayed: this.played.segments,
      playedBytes: this.played.bytes,
      playedPeerBytes: this.played.peerBytes,
      receivedPeerBytes: s.p2pBytes,
      httpBytes: s.httpBytes,
      unusedPeerBytes: Math.max(0, s.p2pBytes - this.played.peerBytes),
      uploadedBytes: s.uploadedBytes,
      httpSegments: s.httpSegments,
      p2pSegments: s.p2pSegments,
      deadlineMisses: s.deadlineMisses,
      httpAtOnce: s.httpAtOnce,
      deadlineWithoutHolder: s.deadlineWithoutHolder,
      httpUnannounced: s.httpUnannounced,
      peers: s.peers,
      stallLog: this.stallLog.slice(),
      skips: this.skips,
      errors: this.errors.slice(0, 5),
    };
  }

  // ---- the player ---------------------------------------------------------------------------------

  private async play(): Promise<void> {
    const { masterUrl } = this.options;
    // hls.js asks for the master first; the engine answers from the welcome's copy when it can.
    await this.retrying(() => this.engine.loadPlaylist({ url: masterUrl, rendition: null }));
    await this.retrying(() => this.reloadPlaylist(undefined));
    let next = this.timeline.startMsn(this.options.liveSyncDurationCount ?? 3);
    void this.followPlaylist();
    while (!this.closed) {
      if (next < this.timeline.firstMsn) {
        // Fell out of the window: jump back to the live start position, as hls.js does.
        next = this.timeline.startMsn(this.options.liveSyncDurationCount ?? 3);
        this.skips++;
      }
      const stallsBefore = this.buffer.figures().stalls;
      const segment = await this.listed(next);
      this.noteStall(stallsBefore, { waitingFor: 'playlist', msn: next });
      if (!segment) {
        if (this.timeline.ended && next > this.timeline.lastMsn) return;
        continue;
      }
      await this.bufferRoom();
      if (this.closed) return;
      try {
        await this.loadAndAppend(segment);
        next++;
      } catch (err) {
        this.note(err);
        await this.sleep(RETRY_MS);
      }
    }
  }

  private async loadAndAppend(segment: TimelineSegment): Promise<void> {
    const engine = this.engine;
    const first = !this.firstRequested;
    if (first) {
      engine.startLinking();
      this.firstRequested = true;
    }
    const budgetMs = peerBudgetMs({
      first,
      aheadSeconds: this.buffer.aheadSeconds(),
      playing: this.buffer.started,
      peersHolding: engine.peersHolding(segment.url),
      openLinks: engine.openLinks(),
      linking: engine.linking(),
      durationSeconds: segment.duration,
      maxMs: MAX_TIME_TO_FIRST_BYTE_MS - 500,
    });
    const sequence = engine.store.sequenceOf(segment.url);
    const requestedAt = this.options.platform.now();
    const stallsBefore = this.buffer.figures().stalls;
    const request = {
      waitingFor: 'segment' as const,
      msn: segment.msn,
      aheadAtRequestS: round(this.buffer.aheadSeconds(), 2),
      budgetMs: Math.round(budgetMs),
      requestedAtMs: Math.round(requestedAt - this.startedAt),
      openLinks: engine.openLinks(),
      peersHolding: engine.peersHolding(segment.url),
    };
    let bytes: ArrayBuffer;
    let peerBytes = 0;
    let source = 'http';
    try {
      const loaded = await engine.loadSegment(segment.url, { budgetMs });
      bytes = loaded.bytes;
      source = loaded.source;
      if (sequence !== undefined && loaded.source !== 'http') peerBytes = this.peerBytesOf.get(sequence) ?? 0;
    } catch (err) {
      // The engine dropped it from its window: the player still wants it, over HTTP as hls.js would.
      const code = (err as { code?: string }).code;
      if (code !== 'E_ABORTED' && code !== 'E_UNKNOWN_SEGMENT') throw err;
      bytes = await fetchWhole(this.options.platform.fetch, segment.url);
      engine.countHttpSegment(bytes.byteLength);
    }
    if (this.closed) return;
    this.noteStall(stallsBefore, { ...request, loadMs: Math.round(this.options.platform.now() - requestedAt), source });
    this.played.segments++;
    this.played.bytes += bytes.byteLength;
    this.played.peerBytes += Math.min(peerBytes, bytes.byteLength);
    this.options.onSegment?.(segment, new Uint8Array(bytes));
    this.buffer.append(segment.start, segment.duration);
  }

  /** Waits until the playlist lists `msn` (undefined: woke for another reason; the caller loops). */
  private async listed(msn: number): Promise<TimelineSegment | undefined> {
    const known = this.timeline.get(msn);
    if (known || this.closed || (this.timeline.ended && msn > this.timeline.lastMsn)) return known;
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        this.playlistListeners.delete(wake);
        resolve();
      };
      this.playlistListeners.add(wake);
    });
    return this.timeline.get(msn);
  }

  /** hls.js stops loading while maxBufferLength is buffered. */
  private async bufferRoom(): Promise<void> {
    const max = this.options.maxBufferSeconds ?? 30;
    while (!this.closed && this.buffer.aheadSeconds() >= max) await this.sleep((this.buffer.aheadSeconds() - max) * 1000 + 100);
  }

  /** Keeps the media playlist current: a blocking reload for the next segment, or a poll each target duration. */
  private async followPlaylist(): Promise<void> {
    while (!this.closed && !this.timeline.ended) {
      const msn = this.timeline.canBlockReload ? this.timeline.lastMsn + 1 : undefined;
      if (msn === undefined) await this.sleep(Math.max(500, this.timeline.targetDuration * 1000));
      try {
        await this.reloadPlaylist(msn);
      } catch (err) {
        this.note(err);
        await this.sleep(RETRY_MS);
      }
    }
  }

  private async reloadPlaylist(msn: number | undefined): Promise<void> {
    const base = this.options.mediaUrl;
    const url = msn === undefined ? base : `${base}${base.includes('?') ? '&' : '?'}_HLS_msn=${msn}`;
    const { text } = await this.engine.loadPlaylist({ url, rendition: this.options.rendition, msn });
    if (this.closed) return;
    this.timeline.update(text, base, this.options.platform.now());
    for (const wake of [...this.playlistListeners]) wake();
  }

  private async retrying<T>(load: () => Promise<T>): Promise<T | undefined> {
    while (!this.closed) {
      try {
        return await load();
      } catch (err) {
        this.note(err);
        await this.sleep(RETRY_MS);
      }
    }
    return undefined;
  }

  private everySecond(): void {
    if (this.closed) return;
    const { platform } = this.options;
    if (this.buffer.started) {
      const latency = this.timeline.latencyMs(this.buffer.position(), platform.now(), (this.options.wallNow ?? Date.now)());
      if (latency !== undefined) this.latencies.push(latency);
      this.engine.reportPlayback({ stalls: this.buffer.figures().stalls, latencyMs: latency });
    }
    this.tick = platform.setTimeout(() => this.everySecond(), 1000);
  }

  /** Logs the stall that began since `stallsBefore` was read, if one did (at most one per wait: the buffer refills only on append). */
  private noteStall(stallsBefore: number, record: Omit<StallRecord, 'atMs'>): void {
    const at = this.buffer.latestStallAt();
    if (this.buffer.figures().stalls === stallsBefore || at === undefined || this.stallLog.length >= STALLS_LOGGED) return;
    this.stallLog.push({ atMs: Math.round(at - this.startedAt), ...record });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.options.platform.setTimeout(resolve, ms));
  }

  private note(err: unknown): void {
    const message = err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err);
    if (this.errors.length < 20) this.errors.push(message);
  }
}

function round(x: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(x * scale) / scale;
}
