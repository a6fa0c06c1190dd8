/**
 * A headless supporter: one PeerEngine (the browser viewer's engine, unchanged) per swarm it
 * carries, joined with role 'supporter' and the operator-issued token. Signaling names supporters
 * first as fetchers, so each engine fetches every new segment over HTTP the moment it is announced,
 * verifies its SHA-256 and serves it to the viewers linked to it. Nothing is ever played: the
 * engine's acquisitions run from announcements alone, and its store keeps only the live window
 * (the newest announcements, within the memory cap).
 *
 * The caps are the supporter's, not each swarm's: the upload cap and the memory cap are split
 * evenly across the swarms, so the sum never exceeds what the friend configured.
 */
import type { SignalErrorCode } from '../protocol';
import { Emitter } from '../peer/emitter';
import { PeerEngine, type EngineOptions } from '../peer/engine';
import type { PeerPlatform } from '../peer/platform';
import type { SupporterStats, SupporterSwarmStats as SwarmStats } from '../protocol/msgs';
import type { SupporterSettings, Swarm } from './config';

/** The supporter node's stats msg payload: declared with its schema. */
export type { SupporterStats, SupporterSwarmStats as SwarmStats } from '../protocol/msgs';

export interface SupporterOptions {
  platform: PeerPlatform;
  settings: SupporterSettings;
  token: string;
  /** How often verified credit is read from creditUrl. */
  creditEveryMs?: number;
  /** Engine options for tests (e.g. a candidate filter confining ICE to loopback). */
  engine?: Partial<Pick<EngineOptions, 'candidateFilter'>>;
}

type Events = {
  /** Signaling refused the join (wrong token, …): the engines keep retrying with backoff. */
  refused: (code: string, swarm: Swarm) => void;
  joined: (swarm: Swarm) => void;
  /** An internal failure (never the token: messages come from the engine or fetch). */
  error: (err: unknown) => void;
};

/** Server errors that mean "this supporter is not welcome", as opposed to a dropped frame. */
const REFUSALS: ReadonlySet<string> = new Set<SignalErrorCode>(['E_SIGNAL_UNAUTHORIZED', 'E_SIGNAL_SWARM_FULL', 'E_SIGNAL_TOO_MANY_SWARMS']);
const DEFAULT_CREDIT_EVERY_MS = 30_000;

export class Supporter extends Emitter<Events> {
  private engines: Array<{ swarm: Swarm; engine: PeerEngine }> = [];
  /** Totals of engines that were stopped, so figures never go backwards across off/on. */
  private retired = { uploadedBytes: 0, fetchedBytes: 0 };
  private verifiedBytes: number | undefined;
  private refused: string | undefined;
  private creditTimer: unknown;
  private closed = false;

  constructor(private readonly options: SupporterOptions) {
    super();
  }

  get running(): boolean {
    return this.engines.length > 0;
  }

  start(): void {
    if (this.closed || this.running) return;
    const { settings, platform, token } = this.options;
    const n = settings.swarms.length;
    // Split caps so their sum stays within the configured ones (an uncapped upload stays 0).
    const upload = settings.uploadBytesPerSecond > 0 ? Math.max(1, Math.floor(settings.uploadBytesPerSecond / n)) : 0;
    const store = Math.floor(settings.maxStoreBytes / n);
    for (const swarm of settings.swarms) {
      const engine = new PeerEngine(platform, {
        signalingUrl: settings.signalingUrl,
        stream: swarm.stream,
        rendition: swarm.rendition,
        role: 'supporter',
        token,
        upload: true,
        uploadBytesPerSecond: upload,
        maxPeers: settings.maxPeers,
        store: { maxBytes: store },
        ...this.options.engine,
      });
      engine.on('server-error', (code) => {
        if (!REFUSALS.has(code)) return;
        this.refused = code;
        this.emit('refused', code, swarm);
      });
      engine.on('welcome', () => {
        this.refused = undefined;
        this.emit('joined', swarm);
      });
      engine.on('error', (err) => this.emit('error', err));
      this.engines.push({ swarm, engine });
      engine.start();
    }
    this.pollCredit();
  }

  /** Leaves every swarm (the server sees the sockets close) and stops fetching. */
  stop(): void {
    for (const { engine } of this.engines) {
      const s = engine.stats();
      this.retired.uploadedBytes += s.uploadedBytes;
      this.retired.fetchedBytes += s.httpBytes + s.p2pBytes;
      engine.close();
    }
    this.engines = [];
    this.options.platform.clearTimeout(this.creditTimer);
    this.creditTimer = undefined;
  }

  close(): void {
    this.stop();
    this.closed = true;
    this.removeAllListeners();
  }

  stats(): SupporterStats {
    const swarms: SwarmStats[] = this.engines.map(({ swarm, engine }) => {
      const s = engine.stats();
      return {
        ...swarm,
        joined: s.joined,
        peers: s.peers,
        uploadedBytes: s.uploadedBytes,
        fetchedBytes: s.httpBytes + s.p2pBytes,
        segments: s.httpSegments + s.p2pSegments,
      };
    });
    const out: SupporterStats = {
      running: this.running,
      peers: swarms.reduce((a, s) => a + s.peers, 0),
      uploadedBytes: this.retired.uploadedBytes + swarms.reduce((a, s) => a + s.uploadedBytes, 0),
      fetchedBytes: this.retired.fetchedBytes + swarms.reduce((a, s) => a + s.fetchedBytes, 0),
      swarms,
    };
    if (this.verifiedBytes !== undefined) out.verifiedBytes = this.verifiedBytes;
    if (this.refused !== undefined) out.refused = this.refused;
    return out;
  }

  /** Reads verified credit now (also done every creditEveryMs while running). */
  async readCredit(): Promise<number | undefined> {
    const url = this.options.settings.creditUrl;
    if (url === '') return undefined;
    const res = await this.options.platform.fetch(url, { headers: { Authorization: `Bearer ${this.options.token}` } });
    // The status alone: a body could echo what was sent.
    if (!res.ok) throw new Error(`credit summary answered HTTP ${res.status}`);
    const body = JSON.parse(await res.text()) as { verifiedBytes?: unknown };
    if (typeof body.verifiedBytes === 'number' && Number.isFinite(body.verifiedBytes)) this.verifiedBytes = body.verifiedBytes;
    return this.verifiedBytes;
  }

  private pollCredit(): void {
    if (this.options.settings.creditUrl === '' || !this.running) return;
    this.readCredit()
      .catch((err: unknown) => this.emit('error', err))
      .finally(() => {
        if (!this.running) return;
        this.options.platform.clearTimeout(this.creditTimer);
        this.creditTimer = this.options.platform.setTimeout(() => this.pollCredit(), this.options.creditEveryMs ?? DEFAULT_CREDIT_EVERY_MS);
      });
  }
}
