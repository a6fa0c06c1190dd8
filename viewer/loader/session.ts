/**
 * One player's Relaycast session: the peer engine behind the hls.js loaders, started by the first
 * playlist request (that is when the stream is known), plus what the loaders need from playback:
 * how much buffer is left (the deadline for peers), stalls and latency (for the stats report).
 */
import { PeerEngine, type EngineStats } from '../../lib/peer/engine';
import { LINKS_AT_THE_LATEST_MS, peerBudgetMs } from '../../lib/peer/playback-budget';
import type { PeerPlatform } from '../../lib/peer/platform';
import { browserPlatform, hasWebRtc } from './browser-platform';
import { defaultRenditionFromUrl, defaultStreamFromUrl, resolveSignalingUrl, type RelaycastOptions } from './options';
import { markStartup } from './startup-marks';

/** What the stats panel and any page can read (documented in docs/viewer.md). */
export interface RelaycastStats extends EngineStats {
  /** Share of segment bytes that came from peers, 0–1 (0 before any byte). */
  p2pShare: number;
  /** Whether this page can do WebRTC at all. */
  webrtc: boolean;
}

/**
 * What a page may do with the engine (docs/viewer.md): listen for verified segments and for peers
 * dropped for bad data. The engine itself stays internal: its other public members are callbacks
 * for its own parts (acquisitions, links), not an API.
 */
export interface RelaycastEngine {
  on(event: 'segment', listener: (sequence: number, source: 'peer' | 'http' | 'mixed') => void): () => void;
  on(event: 'peer-dropped', listener: (peer: string, reason: string) => void): () => void;
}

interface HlsLike {
  media: HTMLMediaElement | null;
  latency?: number;
  on(event: string, listener: (...args: unknown[]) => void): void;
}

export class RelaycastSession {
  /** @internal The engine behind the loaders; pages get the narrow `engine` view. */
  peerEngine: PeerEngine | undefined;
  private publicEngine: RelaycastEngine | undefined;
  private readonly platform: PeerPlatform | null;
  private readonly p2p: boolean;
  private media: HTMLMediaElement | null = null;
  private hls: HlsLike | undefined;
  private stalls = 0;
  private playing = false;
  /** The first fragment request through the engine went out, and WebRTC linking with it. */
  private linkingStarted = false;
  /** hls.js asked for any fragment (init segments too): its start position is chosen. */
  private fragmentsRequested = false;
  private figuresTimer: ReturnType<typeof setInterval> | undefined;
  readonly renditionFromUrl: (url: string) => string;

  constructor(
    readonly options: RelaycastOptions,
    platform: PeerPlatform | null = browserPlatform(),
  ) {
    this.platform = platform;
    this.p2p = options.p2p !== false && hasWebRtc();
    this.renditionFromUrl = options.renditionFromUrl ?? defaultRenditionFromUrl;
  }

  /**
   * Joins the swarm now, before hls.js asks for its first playlist, when the page already knows the
   * stream and the first rendition (the bundled page does): the welcome, with both playlists, is
   * then usually here by the time hls.js wants them.
   */
  startEarly(pageUrl: string): void {
    if (this.options.stream !== undefined && this.options.startRendition !== undefined) this.engineFor(pageUrl, null);
  }

  /** The engine's events, once it has started (the first playlist request starts it). */
  get engine(): RelaycastEngine | undefined {
    const engine = this.peerEngine;
    if (!engine) return undefined;
    if (!this.publicEngine) {
      const on = (event: 'segment' | 'peer-dropped', listener: (...args: never[]) => void) => {
        if (event !== 'segment' && event !== 'peer-dropped') throw new TypeError(`relaycast: no engine event ${String(event)}`);
        return engine.on(event, listener as never);
      };
      this.publicEngine = { on } as RelaycastEngine;
    }
    return this.publicEngine;
  }

  /** @internal The engine, started on first use; undefined when the page cannot reach the swarm at all. */
  engineFor(playlistUrl: string, rendition: string | null): PeerEngine | undefined {
    if (this.peerEngine || !this.platform) return this.peerEngine;
    const start = rendition ?? this.options.startRendition;
    if (start === undefined) return undefined;
    const base = typeof location !== 'undefined' ? location.href : playlistUrl;
    this.peerEngine = new PeerEngine(this.platform, {
      signalingUrl: resolveSignalingUrl(this.options.signalingUrl, base),
      stream: this.options.stream ?? defaultStreamFromUrl(new URL(playlistUrl, base).pathname),
      rendition: start,
      ...(this.options.supporterToken ? { role: 'supporter' as const, token: this.options.supporterToken } : {}),
      upload: this.p2p && this.options.upload !== false,
      uploadBytesPerSecond: this.options.uploadBytesPerSecond,
      maxPeers: this.p2p ? this.options.maxPeers : 0,
      // Opted out (or no WebRTC): the server is told, and introduces this viewer to no one.
      ...(this.p2p ? {} : { p2p: false }),
      store: this.options.maxStoreBytes ? { maxBytes: this.options.maxStoreBytes } : undefined,
      candidateFilter: this.options.candidateFilter,
      // Links wait for the first fragment request (budgetMs), or 2 s: start-up comes first.
      holdOffersMs: LINKS_AT_THE_LATEST_MS,
    });
    if (this.options.initialPlaylists) this.peerEngine.seedPlaylists(this.options.initialPlaylists, sincePageArrivedMs());
    markStartup('engine-start');
    this.peerEngine.on('welcome', () => markStartup('welcome'));
    this.peerEngine.start();
    this.figuresTimer = setInterval(() => this.reportFigures(), 1000);
    return this.peerEngine;
  }

  /**
   * Lets the session read the player: buffer left (deadlines), stalls and latency. The viewer page
   * calls it; without it the loader assumes one segment duration of slack.
   */
  attach(hls: HlsLike): void {
    this.hls = hls;
    // hls.js names the element on attaching; the attached event comes only once MSE is open.
    hls.on('hlsMediaAttaching', (_event, data) => this.watchMedia((data as { media?: HTMLMediaElement } | undefined)?.media ?? hls.media));
    hls.on('hlsMediaAttached', () => this.watchMedia(hls.media));
    if (hls.media) this.watchMedia(hls.media);
  }

  /** @internal The fragment loader saw a request: hls.js has chosen where playback starts. */
  noteFragmentRequest(): void {
    this.fragmentsRequested = true;
  }

  /** @internal hls.js has not yet chosen its start position (the next media playlist decides it). */
  get choosingStart(): boolean {
    return !this.fragmentsRequested;
  }

  /** @internal ms the peers may take for a fragment of `durationSeconds` before HTTP must take over. */
  budgetMs(url: string, durationSeconds: number, maxMs: number): number {
    const engine = this.peerEngine;
    if (!engine || !this.p2p) return 0;
    const first = !this.linkingStarted;
    if (first) {
      // Its request is on its way to the origin: WebRTC links may now be set up alongside.
      // (Holding links until the first frame left viewers with less buffer when links formed, and
      // a six-viewer swarm on two cores stalled once in CI; this is the timing CI has passed with.)
      engine.startLinking();
      this.linkingStarted = true;
    }
    return peerBudgetMs({
      first,
      aheadSeconds: this.bufferAhead(),
      playing: this.playing,
      peersHolding: engine.peersHolding(url),
      openLinks: engine.openLinks(),
      linking: engine.linking(),
      durationSeconds,
      maxMs,
    });
  }

  stats(): RelaycastStats | undefined {
    const engine = this.peerEngine;
    if (!engine) return undefined;
    const s = engine.stats();
    const total = s.httpBytes + s.p2pBytes;
    return { ...s, p2pShare: total > 0 ? s.p2pBytes / total : 0, webrtc: this.p2p };
  }

  destroy(): void {
    if (this.figuresTimer) clearInterval(this.figuresTimer);
    this.peerEngine?.close();
    this.peerEngine = undefined;
    this.publicEngine = undefined;
  }

  private bufferAhead(): number | undefined {
    const media = this.media;
    if (!media) return undefined;
    const t = media.currentTime;
    const ranges = media.buffered;
    for (let i = 0; i < ranges.length; i++) {
      if (ranges.start(i) <= t + 0.2 && ranges.end(i) > t) return ranges.end(i) - t;
    }
    return 0;
  }

  private watchMedia(media: HTMLMediaElement | null): void {
    if (!media || media === this.media) return;
    this.media = media;
    media.addEventListener('playing', () => {
      this.playing = true;
    });
    // A 'waiting' after playback began is a stall (the first one, at start, is not).
    media.addEventListener('waiting', () => {
      if (this.playing && !media.seeking) this.stalls++;
    });
  }

  private reportFigures(): void {
    const latency = this.hls?.latency;
    this.peerEngine?.reportPlayback({
      stalls: this.stalls,
      latencyMs: typeof latency === 'number' && Number.isFinite(latency) && latency > 0 ? latency * 1000 : undefined,
    });
  }
}

/**
 * How long ago the page's own document arrived: playlists inlined in it have aged that much on top of
 * the age the server gave them. 0 outside a page (or without navigation timing).
 */
function sincePageArrivedMs(): number {
  if (typeof performance === 'undefined' || typeof performance.getEntriesByType !== 'function') return 0;
  const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
  const arrived = navigation?.responseStart;
  return arrived && arrived > 0 ? Math.max(0, performance.now() - arrived) : 0;
}
