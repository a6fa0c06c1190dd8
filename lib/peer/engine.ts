/**
 * The peer engine: one viewer's (or supporter's) place in a swarm. It joins through signaling,
 * keeps up to `maxPeers` WebRTC links, learns of each segment from the server's announcement the
 * moment it is stored, and gets it before the player asks: at once over HTTP when the server named
 * this peer a fetcher, otherwise from whichever linked peer has it. The player's requests then
 * mostly find the bytes already here; a request that does not is given a deadline, and whatever
 * peers have not delivered by then is fetched over HTTP (resuming a partial transfer with Range).
 * Every byte is verified against the announced SHA-256 before it is stored, shared or played.
 */
import { presentationOf } from '../hls/playlist-query';
import { Acquisition, AcquisitionError, type AcquisitionHost, type Completed, type Source } from './acquisition';
import { DeliveryBatch } from './delivery-batch';
import { Emitter } from './emitter';
import { IceOutcomeCounter } from './ice-outcome';
import { HolderScores } from './holder-choice';
import { fetchWhole } from './http-fetch';
import { LinkAttempts } from './link-attempts';
import { ownPlaybackNeedsUplink } from './own-playback';
import { PeerLink, type CloseReason } from './peer-link';
import type { PeerPlatform } from './platform';
import { PlaylistCopies } from './playlist-copies';
import { PlaylistReceiver } from './playlist-receiver';
import { RemoteHoldings } from './remote-holdings';
import { StatsSince, type Totals } from './stats-since';
import { DEFAULT_STORE_LIMITS, SegmentStore, type SegmentMeta, type StoreLimits } from './segment-store';
import { SignalingClient, type ServerFrameAfterWelcome } from './signaling-client';
import { Uploads } from './uploads';
import {
  BOUNDS,
  type AnnouncedSegment,
  type IceServer,
  type RenditionFrame,
  type Role,
  type SeededPlaylist,
  type ServerFrameOf,
  type WelcomeMessage,
  type WireFrame,
} from '../protocol';

export interface EngineOptions {
  signalingUrl: string;
  stream: string;
  /** The swarm (rendition) to join first. */
  rendition: string;
  role?: Role;
  /** Supporter token (role 'supporter' only). */
  token?: string;
  /** false: never upload (metered or mobile links). Default true. */
  upload?: boolean;
  /** Upload cap in bytes per second (0 = uncapped). */
  uploadBytesPerSecond?: number;
  /** Most WebRTC links kept at once. */
  maxPeers?: number;
  /**
   * false: the viewer opted out of P2P. No links (maxPeers is taken as 0), and the join tells the
   * server, which then gives this viewer's address to no one.
   */
  p2p?: boolean;
  store?: Partial<StoreLimits>;
  /** Keeps only ICE candidates this accepts (tests confine WebRTC to loopback). */
  candidateFilter?: (candidate: string) => boolean;
  /** How long a playlist request waits, while joined, for a push that brings a usable copy before using HTTP. */
  playlistWaitMs?: number;
  /**
   * Hold this peer's own offers until startLinking() (or this many ms after start). A player
   * passes the moment it asks for its first fragment, so that setting up WebRTC links does not
   * compete with the start of playback; a supporter links at once (undefined).
   */
  holdOffersMs?: number;
}

export interface EngineStats {
  /** Verified segment bytes by where they came from. */
  httpBytes: number;
  p2pBytes: number;
  uploadedBytes: number;
  httpSegments: number;
  p2pSegments: number;
  /** Open peer links. */
  peers: number;
  /** Peer transfers that missed their playback deadline (the rest came over HTTP). */
  deadlineMisses: number;
  /** Segments not held when the player asked with no time for peers (budget 0: HTTP at once). */
  httpAtOnce: number;
  /** Deadlines that came with no peer transfer running: no linked holder had the segment in time, or all refused. */
  deadlineWithoutHolder: number;
  /** Media segments the player loaded before this peer knew them (not announced to it yet, or out of its window). */
  httpUnannounced: number;
  /** Peers dropped for sending bad data. */
  droppedPeers: number;
  playlistsFromSwarm: number;
  playlistsFromHttp: number;
  /** Set by the player integration. */
  stalls: number;
  latencyMs?: number;
  joined: boolean;
  rendition: string;
  role: Role;
  peerId?: string;
}

export interface LoadedSegment {
  /** A copy: the caller may hand it to a worker (transfer) without touching the store. */
  bytes: ArrayBuffer;
  source: 'peer' | 'http' | 'mixed' | 'store';
  startedAt: number;
  firstByteAt: number;
  finishedAt: number;
}

export interface PlaylistRequest {
  url: string;
  /** null: the master playlist. */
  rendition: string | null;
  msn?: number;
  signal?: AbortSignal;
}

export interface LoadOptions {
  /** ms the player can wait before peers' bytes are too late (0 = fetch over HTTP at once if not held). */
  budgetMs: number;
  onProgress?(loaded: number, total: number): void;
  signal?: { aborted: boolean; addEventListener(type: 'abort', fn: () => void): void };
}

type Events = {
  /** A peer was dropped for bad data (the server was told). */
  'peer-dropped': (peer: string, reason: string) => void;
  /**
   * A segment was verified and stored. `peerBytes`: how many of its bytes came from peers (the
   * rest over HTTP), so that a player integration can count the media played from peers.
   */
  segment: (sequence: number, source: LoadedSegment['source'], peerBytes: number) => void;
  welcome: (welcome: WelcomeMessage) => void;
  /** An unexpected failure inside the engine (a bug): reported, never thrown into the host. */
  error: (err: unknown) => void;
  /** The server rejected a frame (a supporter learns here that its token was refused). */
  'server-error': (code: string, message: string) => void;
};

const DEFAULT_MAX_PEERS = 10;
const PEERS_REQUEST_EVERY_MS = 5000;
const STALE_LINK_MS = 15_000;
/**
 * Outgoing offers negotiated at once. A newcomer learns of up to `maxPeers` peers in its welcome;
 * setting them all up together (ICE, DTLS handshakes) competes with its first fragment for the
 * CPU. Two at a time still opens a loopback or LAN swarm's links within a second or so.
 */
const MAX_NEGOTIATING_OFFERS = 2;

export class PeerEngine extends Emitter<Events> implements AcquisitionHost {
  readonly store: SegmentStore;
  readonly playlists = new PlaylistCopies();
  /** Whole and delta playlist frames into `playlists`. */
  readonly playlistFeed = new PlaylistReceiver(this.playlists, {
    sha256: (bytes) => this.platform.sha256(bytes),
    now: () => this.platform.now(),
    askResync: () => this.signaling.isJoined() && this.signaling.send({ type: 'resync' }),
  });
  private readonly signaling: SignalingClient;
  private readonly links = new Map<string, PeerLink>();
  /** Peers to offer to once fewer than MAX_NEGOTIATING_OFFERS of our offers are in flight. */
  private readonly offerQueue = new Set<string>();
  private offersHeld: boolean;
  /**
   * Links from before a signaling reconnect: their peers now have new ids, but the DataChannels
   * still work, so they keep serving until the new links are up, then close.
   */
  private readonly staleLinks = new Set<PeerLink>();
  private readonly remoteHave = new RemoteHoldings();
  private readonly acquisitions = new Map<number, Acquisition>();
  /** Segments announced while this peer was joined (receipts are filed for these only). */
  private readonly announcedLive = new Set<number>();
  private readonly uploads: Uploads;
  /** Receipts and served claims, sent to signaling a batch at a time (delivery-batch.ts). */
  private readonly deliveries: DeliveryBatch;
  /** How fast each linked holder has delivered to this peer lately: whom to ask (holder-choice.ts). */
  private readonly holders: HolderScores;
  /** Failed link attempts per peer: backed off, then given up (link-attempts.ts). */
  private readonly attempts = new LinkAttempts();
  private readonly maxPeers: number;
  private requestId = 0;
  private iceServers: IceServer[] = [];
  private statsTimer: unknown;
  /** This peer's links' ICE outcome since its join, in each stats report. */
  private readonly iceOutcome = new IceOutcomeCounter();
  private statsIntervalMs = 5000;
  private lastPeersRequest = 0;
  private closed = false;
  private readonly counters = {
    httpBytes: 0,
    p2pBytes: 0,
    httpSegments: 0,
    p2pSegments: 0,
    deadlineMisses: 0,
    httpAtOnce: 0,
    deadlineWithoutHolder: 0,
    httpUnannounced: 0,
    droppedPeers: 0,
    playlistsFromSwarm: 0,
    playlistsFromHttp: 0,
    stalls: 0,
  };
  private latencyMs: number | undefined;
  private readonly statsSince = new StatsSince();

  constructor(
    readonly platform: PeerPlatform,
    private readonly options: EngineOptions,
  ) {
    super();
    this.maxPeers = options.p2p === false ? 0 : (options.maxPeers ?? DEFAULT_MAX_PEERS);
    this.offersHeld = options.holdOffersMs !== undefined;
    this.store = new SegmentStore({ ...DEFAULT_STORE_LIMITS, ...options.store });
    this.deliveries = new DeliveryBatch(platform, (frame) => this.signaling.send(frame));
    this.holders = new HolderScores(() => platform.now());
    this.uploads = new Uploads(
      platform,
      this.store,
      {
        enabled: options.upload !== false,
        bytesPerSecond: options.uploadBytesPerSecond ?? 0,
      },
      (link, sequence, bytes) => this.deliveries.claim(sequence, link.remoteId, bytes),
      { ownPlaybackFirst: () => ownPlaybackNeedsUplink(this.acquisitions.values(), platform.now(), this.uploads.uplinkState()) },
    );
    this.signaling = new SignalingClient(platform, {
      url: options.signalingUrl,
      stream: options.stream,
      rendition: options.rendition,
      role: options.role,
      token: options.token,
      upload: options.upload,
      ...(options.p2p === false ? { p2p: false } : {}),
    });
    this.signaling.on('welcome', (w) => this.onWelcome(w));
    this.signaling.on('frame', (f) => this.onServerFrame(f));
    this.signaling.on('disconnected', () => this.onSignalingLost());
  }

  start(): void {
    if (this.offersHeld) this.platform.setTimeout(() => this.startLinking(), this.options.holdOffersMs ?? 0);
    this.signaling.start();
    this.scheduleStats();
  }

  get rendition(): string {
    return this.signaling.currentRendition;
  }

  get joined(): boolean {
    return this.signaling.isJoined();
  }

  /** The player plays another rendition: the links stay (one swarm per stream); what is per rendition starts over. */
  setRendition(rendition: string): void {
    if (rendition === this.signaling.currentRendition) return;
    this.dropRenditionState();
    this.signaling.switchRendition(rendition);
    this.sendHave();
  }

  /** How many linked peers say they hold the segment at `url` (0 when it is unknown). */
  peersHolding(url: string): number {
    const sequence = this.store.sequenceOf(url);
    if (sequence === undefined) return 0;
    let count = 0;
    for (const link of this.remoteHave.links()) if (link.open && link.remoteUploads && this.remoteHave.holds(link, this.rendition, sequence)) count++;
    return count;
  }

  /** Open peer links (the stale ones of a previous signaling session too: they still serve). */
  openLinks(): number {
    let open = 0;
    for (const link of this.links.values()) if (link.open) open++;
    for (const link of this.staleLinks) if (link.open) open++;
    return open;
  }

  /** Links still negotiating: peers that may hold the segment within a few hundred ms. */
  linking(): number {
    let count = 0;
    for (const link of this.links.values()) if (!link.open && !link.closed) count++;
    return count;
  }

  /** Whether the bytes are already here (or being fetched over HTTP right now by this peer). */
  holds(url: string): boolean {
    const sequence = this.store.sequenceOf(url);
    return sequence !== undefined && (this.store.has(sequence) || this.acquisitions.get(sequence)?.state === 'http');
  }

  /**
   * Playlists the page was served with (the viewer page inlines the latest ones): the player's
   * first playlist requests are answered from them before the socket has even joined. `heldForMs`:
   * how long the page has had them (its own load), which adds to the age the server gave them.
   */
  seedPlaylists(playlists: ReadonlyArray<SeededPlaylist>, heldForMs = 0): void {
    const arrivedAt = this.platform.now() - Math.max(0, heldForMs);
    for (const p of playlists) this.playlistFeed.whole(p, arrivedAt);
  }

  /** The player's figures (stalls so far, latency behind live), included in stats reports. */
  reportPlayback(figures: { stalls?: number; latencyMs?: number }): void {
    if (figures.stalls !== undefined) this.counters.stalls = figures.stalls;
    if (figures.latencyMs !== undefined) this.latencyMs = Math.max(0, Math.round(figures.latencyMs));
  }

  stats(): EngineStats {
    const open = this.openLinks();
    const out: EngineStats = {
      ...this.counters,
      uploadedBytes: this.uploads.uploadedBytes,
      peers: open,
      joined: this.signaling.isJoined(),
      rendition: this.signaling.currentRendition,
      role: this.options.role ?? 'viewer',
    };
    if (this.latencyMs !== undefined) out.latencyMs = this.latencyMs;
    if (this.signaling.peerId) out.peerId = this.signaling.peerId;
    return out;
  }

  /**
   * A media segment for the player. Held bytes answer at once; otherwise peers get `budgetMs` and
   * HTTP takes over after that. Segments the server never announced (init segments, a swarm not
   * joined yet) come over HTTP.
   */
  async loadSegment(url: string, options: LoadOptions): Promise<LoadedSegment> {
    const startedAt = this.platform.now();
    const sequence = this.store.sequenceOf(url);
    if (sequence === undefined) {
      const bytes = await fetchWhole(this.platform.fetch, url, options.signal as AbortSignal | undefined);
      this.counters.httpBytes += bytes.byteLength;
      this.counters.httpSegments++;
      const end = this.platform.now();
      return { bytes, source: 'http', startedAt, firstByteAt: end, finishedAt: end };
    }
    const held = this.store.bytes(sequence);
    if (held) {
      // The bytes arrived before the player asked: report the time their transfer took, so that ABR
      // sees the throughput the swarm delivered rather than a memory copy.
      const now = this.platform.now();
      const took = this.store.transferMs(sequence) ?? 0;
      return { bytes: copyOf(held), source: 'store', startedAt: now - took, firstByteAt: now - took * 0.9, finishedAt: now };
    }
    const acquisition = this.acquire(sequence);
    if (!acquisition) throw new AcquisitionError('E_UNKNOWN_SEGMENT', `segment ${sequence} is no longer in the window`);
    if (options.budgetMs <= 0) this.counters.httpAtOnce++;
    const stop = options.onProgress ? acquisition.onProgress((filled) => options.onProgress!(filled, acquisition.meta.size)) : undefined;
    options.signal?.addEventListener('abort', () => stop?.());
    acquisition.setDeadline(startedAt + Math.max(0, options.budgetMs));
    let completed: Completed;
    try {
      completed = await acquisition.done;
    } finally {
      stop?.();
    }
    const peerBytes = [...completed.fromPeers.values()].reduce((a, b) => a + b, 0);
    return {
      bytes: copyOf(completed.bytes),
      source: peerBytes === 0 ? 'http' : completed.httpBytes === 0 ? 'peer' : 'mixed',
      startedAt: Math.max(startedAt, completed.startedAt),
      firstByteAt: Math.max(startedAt, completed.firstByteAt),
      finishedAt: completed.finishedAt,
    };
  }

  /**
   * A playlist for the player: the socket's copy when there is a fresh one (see playlistCopy), else
   * HTTP. The browser loader calls playlistCopy itself and leaves HTTP to hls.js's own loader.
   */
  async loadPlaylist(request: PlaylistRequest): Promise<{ text: string; source: 'swarm' | 'http' }> {
    const copy = await this.playlistCopy(request);
    if (copy !== undefined) return { text: copy.text, source: 'swarm' };
    const text = new TextDecoder().decode(await fetchWhole(this.platform.fetch, request.url, request.signal));
    this.notePlaylistFromHttp();
    return { text, source: 'http' };
  }

  /**
   * The socket's copy of a playlist; undefined when none is usable (HTTP then). Before the join only
   * the page's own copies can answer; once joined, a request waits briefly for a push that brings a
   * usable one. `msn` asks for a version that lists that media sequence number (a
   * blocking reload): the engine waits for the push that brings it. `ageMs`: how old the copy is
   * (since the server got it), which the player must know to place the live edge.
   */
  async playlistCopy(request: PlaylistRequest): Promise<{ text: string; ageMs: number } | undefined> {
    const wait = this.options.playlistWaitMs ?? 800;
    if (request.rendition !== null) this.setRendition(request.rendition);
    const deadline = this.platform.now() + wait;
    for (;;) {
      const copy = this.playlists.usable(request.rendition, request.msn, presentationOf(request.url), this.platform.now(), {
        joined: this.signaling.isJoined(),
        rendition: this.signaling.currentRendition,
      });
      if (copy !== undefined) {
        this.counters.playlistsFromSwarm++;
        return { text: copy.text, ageMs: Math.max(0, this.platform.now() - copy.receivedAt) };
      }
      // Not in the swarm (yet): the welcome is a join handshake away, the origin a request. A first
      // load (start-up, a level switch) never waits on the socket. A blocking reload (`msn`) is no
      // start-up step: the player has a playlist, and the origin would hold the request as long.
      if (!this.signaling.isJoined() && request.msn === undefined) return undefined;
      const media = request.rendition !== null ? this.playlists.media(request.rendition) : undefined;
      // A blocking reload may wait up to three target durations for the version it asks for.
      const waitUntil =
        request.msn !== undefined && media?.targetDuration && this.signaling.isJoined() ? media.receivedAt + 3 * media.targetDuration * 1000 : deadline;
      const left = waitUntil - this.platform.now();
      if (left <= 0 || this.closed || request.signal?.aborted) return undefined;
      await this.playlists.nextChange(
        left,
        (fn, ms) => this.platform.setTimeout(fn, ms),
        (h) => this.platform.clearTimeout(h),
      );
    }
  }

  /** A playlist the player got over HTTP after all (counted in the stats). */
  notePlaylistFromHttp(): void {
    this.counters.playlistsFromHttp++;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.platform.clearTimeout(this.statsTimer);
    this.leaveSwarmState();
    this.uploads.close();
    // What the closing links and uploads just claimed goes while the socket is still open.
    this.deliveries.flush();
    this.signaling.close();
    this.removeAllListeners();
  }

  // ---- AcquisitionHost ----------------------------------------------------------------------------

  nextRequestId(): number {
    this.requestId = (this.requestId + 1) >>> 0;
    return this.requestId;
  }

  countBytes(source: Source, bytes: number): void {
    if (source === 'peer') this.counters.p2pBytes += bytes;
    else this.counters.httpBytes += bytes;
  }

  /** A media segment the player loaded over HTTP outside the engine (hls.js's own loader); `unannounced`: this peer did not know it. */
  countHttpSegment(bytes: number, unannounced = false): void {
    this.counters.httpBytes += bytes;
    this.counters.httpSegments++;
    if (unannounced) this.counters.httpUnannounced++;
  }

  peerMisbehaved(link: PeerLink, reason: 'hash' | 'size' | 'protocol'): void {
    const sequence = [...this.acquisitions.values()].find((a) => a.usesPeer(link))?.meta.sequence ?? this.store.latest()?.sequence ?? 0;
    this.signaling.send({ type: 'report', peer: link.remoteId, sequence, reason });
    this.counters.droppedPeers++;
    this.emit('peer-dropped', link.remoteId, reason);
    link.close('protocol');
  }

  holdersWanted(acquisition: Acquisition): void {
    this.tryPeers(acquisition);
  }

  holderRate(link: PeerLink): number {
    return this.holders.rate(link.remoteId);
  }

  queuedFrom(link: PeerLink): number {
    let bytes = 0;
    for (const acquisition of this.acquisitions.values()) bytes += acquisition.bytesAskedOf(link);
    return bytes;
  }

  deadlineMissed(): void {
    this.counters.deadlineMisses++;
  }

  deadlineWithoutHolder(): void {
    this.counters.deadlineWithoutHolder++;
  }

  transferEnded(link: PeerLink, bytes: number, ms: number, refused: boolean): void {
    this.holders.transferEnded(link.remoteId, bytes, ms, refused);
  }

  // ---- signaling ----------------------------------------------------------------------------------

  /** The welcome was parsed through the protocol's schema (signaling-client): every field is there and typed. */
  private onWelcome(welcome: WelcomeMessage): void {
    this.iceServers = welcome.iceServers;
    this.statsIntervalMs = Math.max(1000, welcome.limits.statsIntervalMs);
    this.iceOutcome.reset();
    this.takeRendition(welcome);
    this.retireLinks();
    this.attempts.clear(); // every peer id is new after a (re)join
    for (const p of welcome.peers) this.connect(p.peer);
    this.emit('welcome', welcome);
  }

  /** Frames the signaling client parsed through the protocol's schema; invalid ones never get here. */
  private onServerFrame(frame: ServerFrameAfterWelcome): void {
    switch (frame.type) {
      case 'segment':
        this.onAnnouncement(frame);
        break;
      case 'playlist':
        this.playlistFeed.whole(frame, this.platform.now());
        break;
      case 'playlist-delta':
        // A media playlist's delta for a rendition this peer has switched away from has no base here.
        if (frame.rendition === null || frame.rendition === this.rendition) this.playlistFeed.delta(frame, this.platform.now());
        break;
      case 'peers':
        for (const p of frame.peers) this.connect(p.peer);
        break;
      case 'peer-left': {
        this.offerQueue.delete(frame.peer);
        this.links.get(frame.peer)?.close('remote');
        const replacement = frame.replacement;
        // Both neighbours are told about each other; the one whose id sorts first offers.
        if (replacement && (this.signaling.peerId ?? '') < replacement.peer) this.connect(replacement.peer);
        break;
      }
      case 'offer':
        this.onOffer(frame.from, frame.offerId, frame.sdp);
        break;
      case 'answer': {
        const link = this.links.get(frame.from);
        if (link && link.offerId === frame.offerId) link.handleAnswer(frame.sdp);
        break;
      }
      case 'ice': {
        const link = this.links.get(frame.from);
        if (link && link.offerId === frame.offerId) link.handleIce(frame.candidate);
        break;
      }
      case 'error':
        this.emit('server-error', frame.code, frame.message);
        break;
      case 'rendition':
        this.takeRendition(frame);
        break;
      case 'receipt-ack':
        break;
    }
  }

  /**
   * The latest announcements and playlists of a rendition (a welcome, or the answer to a switch),
   * taken when it is the one the player plays; stats reports count from here (they are per rendition).
   */
  private takeRendition(frame: Pick<RenditionFrame, 'rendition' | 'segments' | 'playlists'>): void {
    const now = this.platform.now();
    const playing = frame.rendition === this.rendition;
    for (const p of frame.playlists) if (p.rendition === null || playing) this.playlistFeed.whole(p, now);
    if (!playing) return;
    for (const s of frame.segments) this.store.announce(metaOf(s));
    this.statsSince.restart(this.totals());
  }

  private totals(): Totals {
    return { ...this.counters, uploadedBytes: this.uploads.uploadedBytes };
  }

  private onAnnouncement(frame: ServerFrameOf<'segment'>): void {
    if (frame.rendition !== this.signaling.currentRendition) return;
    const meta = metaOf(frame);
    if (!this.store.announce(meta)) return;
    this.announcedLive.add(meta.sequence);
    if (this.announcedLive.size > BOUNDS.receiptWindow) this.announcedLive.delete(this.announcedLive.values().next().value as number);
    const acquisition = this.acquire(meta.sequence);
    if (!acquisition) return;
    if (this.signaling.peerId !== undefined && frame.fetchers.includes(this.signaling.peerId)) acquisition.fromHttp();
  }

  private onSignalingLost(): void {
    // Open DataChannels keep working without the server; only new links need it. Links still
    // negotiating cannot finish and are dropped. On the new welcome the engine reconnects.
    this.offerQueue.clear();
    for (const link of [...this.links.values()]) if (!link.open) link.close('failed');
  }

  // ---- links --------------------------------------------------------------------------------------

  /** After a rejoin: keep the old links as sources for a while, but make room for the new ones. */
  private retireLinks(): void {
    this.offerQueue.clear();
    for (const link of this.links.values()) {
      if (link.open) {
        this.staleLinks.add(link);
        this.platform.setTimeout(() => link.close('closed'), STALE_LINK_MS);
      } else link.close('closed');
    }
    this.links.clear();
  }

  private connect(peer: string): void {
    if (this.closed || this.links.has(peer) || peer === this.signaling.peerId || !this.attempts.mayTry(peer, this.platform.now())) return;
    if (this.links.size + this.offerQueue.size >= this.maxPeers) return;
    this.offerQueue.add(peer);
    this.offerNext();
  }

  /** Lets held offers go (see EngineOptions.holdOffersMs); later calls do nothing. */
  startLinking(): void {
    if (!this.offersHeld) return;
    this.offersHeld = false;
    this.offerNext();
  }

  /** Starts queued offers while fewer than MAX_NEGOTIATING_OFFERS of ours are negotiating. */
  private offerNext(): void {
    if (this.offersHeld || this.closed) return;
    let negotiating = 0;
    for (const link of this.links.values()) if (link.initiator && !link.open && !link.closed) negotiating++;
    for (const peer of this.offerQueue) {
      if (negotiating >= MAX_NEGOTIATING_OFFERS) return;
      this.offerQueue.delete(peer);
      if (this.closed || this.links.has(peer) || this.links.size >= this.maxPeers) continue;
      this.addLink(peer, randomId(this.platform), true);
      negotiating++;
    }
  }

  private onOffer(from: string, offerId: string, sdp: string): void {
    const existing = this.links.get(from);
    if (existing) {
      if (existing.open) return;
      // Both offered at once: the peer whose id sorts first keeps its offer.
      if ((this.signaling.peerId ?? '') < from) return;
      existing.close('closed');
    }
    // Full (or P2P off): the offerer's link times out and it tries someone else.
    if (this.maxPeers === 0 || this.links.size >= this.maxPeers + 2) return;
    this.addLink(from, offerId, false).handleOffer(sdp);
  }

  private addLink(peer: string, offerId: string, initiator: boolean): PeerLink {
    const link = new PeerLink(this.platform, {
      remoteId: peer,
      offerId,
      initiator,
      iceServers: this.iceServers,
      uploads: this.options.upload !== false,
      candidateFilter: this.options.candidateFilter,
      ice: this.iceOutcome,
      signal: (frame) => {
        this.signaling.send(frame);
      },
    });
    this.links.set(peer, link);
    this.remoteHave.add(link);
    link.on('open', () => {
      this.attempts.succeeded(peer);
      link.send(this.haveFrame());
      if (initiator) this.offerNext();
    });
    link.on('frame', (frame) => this.onPeerFrame(link, frame));
    link.on('drain', () => this.uploads.pump(link));
    link.on('close', (reason) => this.onLinkClosed(link, reason));
    return link;
  }

  private onLinkClosed(link: PeerLink, reason: CloseReason): void {
    if (reason === 'failed' || reason === 'timeout') this.attempts.failed(link.remoteId, this.platform.now());
    if (this.links.get(link.remoteId) === link) this.links.delete(link.remoteId);
    this.staleLinks.delete(link);
    this.remoteHave.forget(link);
    this.holders.forget(link.remoteId);
    this.uploads.linkClosed(link);
    for (const acquisition of this.acquisitions.values()) acquisition.onLinkClosed(link);
    if (link.initiator) this.offerNext();
  }

  private onPeerFrame(link: PeerLink, frame: WireFrame): void {
    switch (frame.type) {
      case 'have': {
        this.remoteHave.set(link, frame.rendition, frame.sequences);
        if (!link.remoteUploads || frame.rendition !== this.rendition) return;
        for (const sequence of frame.sequences) {
          const acquisition = this.acquisitions.get(sequence);
          if (acquisition && !acquisition.avoids(link.remoteId)) this.tryPeers(acquisition);
        }
        break;
      }
      case 'request':
        // A request is for the rendition the requester last named; this store holds the one played here.
        if (this.remoteHave.renditionOf(link) !== this.rendition) link.send({ type: 'absent', id: frame.id });
        else this.uploads.request(link, frame.id, frame.sequence, frame.start, frame.end, frame.budgetMs);
        break;
      case 'cancel':
        this.uploads.cancel(link, frame.id);
        break;
      case 'data':
        for (const acquisition of this.acquisitions.values()) acquisition.onData(link, frame.id, frame.offset, frame.payload);
        break;
      case 'absent':
        for (const acquisition of this.acquisitions.values()) acquisition.onAbsent(link, frame.id);
        break;
      case 'hello':
        break;
    }
  }

  // ---- acquisitions -------------------------------------------------------------------------------

  /** The running acquisition of a known segment, started (from peers) if there is none. */
  private acquire(sequence: number): Acquisition | undefined {
    const existing = this.acquisitions.get(sequence);
    if (existing) return existing;
    const meta = this.store.meta(sequence);
    if (!meta || this.store.has(sequence)) return undefined;
    const acquisition = new Acquisition(meta, this);
    this.acquisitions.set(sequence, acquisition);
    acquisition.done
      .then(
        (completed) => this.onAcquired(acquisition, completed),
        () => {
          if (this.acquisitions.get(sequence) === acquisition) this.acquisitions.delete(sequence);
        },
      )
      .catch((err: unknown) => this.emit('error', err));
    this.tryPeers(acquisition);
    this.pruneAcquisitions();
    return acquisition;
  }

  /** Offers the segment's linked holders to its acquisition (piece-plan.ts picks); it waits when none holds it. */
  private tryPeers(acquisition: Acquisition): void {
    const holders: PeerLink[] = [];
    for (const link of this.remoteHave.links()) {
      if (link.open && link.remoteUploads && this.remoteHave.holds(link, this.rendition, acquisition.meta.sequence)) holders.push(link);
    }
    acquisition.plan(holders);
  }

  private onAcquired(acquisition: Acquisition, completed: Completed): void {
    const sequence = acquisition.meta.sequence;
    if (this.acquisitions.get(sequence) === acquisition) this.acquisitions.delete(sequence);
    const peerBytes = [...completed.fromPeers.values()].reduce((a, b) => a + b, 0);
    if (peerBytes === acquisition.meta.size) this.counters.p2pSegments++;
    else this.counters.httpSegments++;
    // Receipts only for current links (a stale link's peer id died with the old signaling session)
    // and for segments announced after this peer joined (the server credits no others).
    if (this.announcedLive.has(sequence)) {
      for (const [from, bytes] of completed.fromPeers) if (this.links.has(from)) this.deliveries.receipt(sequence, from, bytes);
    }
    if (!this.store.put(sequence, completed.bytes, completed.finishedAt - completed.startedAt)) return;
    this.sendHave();
    this.emit('segment', sequence, peerBytes === 0 ? 'http' : completed.httpBytes === 0 ? 'peer' : 'mixed', peerBytes);
  }

  /** Acquisitions of segments that left the window are abandoned (their bytes could not be stored). */
  private pruneAcquisitions(): void {
    for (const [sequence, acquisition] of this.acquisitions) {
      if (!this.store.meta(sequence)) {
        acquisition.abort();
        this.acquisitions.delete(sequence);
      }
    }
  }

  private haveFrame(): WireFrame {
    return { type: 'have', rendition: this.rendition, sequences: this.store.held() };
  }

  /** Tells every open link what this peer holds now, and of which rendition. */
  private sendHave(): void {
    const have = this.haveFrame();
    for (const link of [...this.links.values(), ...this.staleLinks]) if (link.open) link.send(have);
  }

  private leaveSwarmState(): void {
    this.offerQueue.clear();
    this.dropRenditionState();
    for (const link of [...this.links.values(), ...this.staleLinks]) link.close('closed');
    this.links.clear();
    this.staleLinks.clear();
    this.remoteHave.clear();
  }

  /** What is per rendition: the segments, their transfers, the receipts they would earn, the media playlists. */
  private dropRenditionState(): void {
    for (const acquisition of this.acquisitions.values()) acquisition.abort();
    this.acquisitions.clear();
    this.store.clear();
    this.announcedLive.clear();
    this.playlists.clearMedia();
    this.playlistFeed.clearMedia();
  }

  // ---- periodic -------------------------------------------------------------------------------------

  private scheduleStats(): void {
    if (this.closed) return;
    this.statsTimer = this.platform.setTimeout(() => {
      this.reportStats();
      this.askForPeers();
      this.scheduleStats();
    }, this.statsIntervalMs);
  }

  private reportStats(): void {
    if (!this.signaling.isJoined()) return;
    const peers = this.stats().peers;
    // With no open link, nothing this peer uploads can reach anyone (symmetric NAT, UDP blocked, all
    // links gone): it says it has no spare upload, so signaling does not name it the first fetcher of
    // a segment that would then reach no one but over HTTP (fetchers.ts).
    const spareUpload = peers === 0 ? 0 : this.uploads.spareReport();
    const extra = { peers, ice: this.iceOutcome.report(), latencyMs: this.latencyMs, spareUpload };
    this.signaling.send(this.statsSince.report(this.totals(), extra));
  }

  private askForPeers(): void {
    const now = this.platform.now();
    if (!this.signaling.isJoined() || this.links.size >= Math.min(this.maxPeers, 6) || now - this.lastPeersRequest < PEERS_REQUEST_EVERY_MS) return;
    this.lastPeersRequest = now;
    this.signaling.send({ type: 'peers', exclude: [...this.links.keys(), ...this.attempts.waiting(now)].slice(0, BOUNDS.maxListItems) });
  }
}

function metaOf(s: AnnouncedSegment): SegmentMeta {
  return { sequence: s.sequence, url: s.url, size: s.size, sha256: s.sha256, duration: s.duration };
}

function copyOf(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}

function randomId(platform: PeerPlatform): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
  let id = '';
  for (let i = 0; i < 16; i++) id += alphabet[Math.floor(platform.random() * alphabet.length)];
  return id;
}

export { AcquisitionError };
