/**
 * What each Relaycast node tells the telemetry collector. One probe per node, fed by the node's
 * shell from events it already handles (a segment emitted, an upload released, a playlist rendered
 * or served, a swarm join/leave, the ledger's accounts); the registry (registry.ts) adds them up per
 * stream. Probes keep running totals only, never msgs or bytes, so memory stays a few numbers per
 * stream and rendition. Times are ms from the registry's clock.
 */
import type { IceOutcome } from '../protocol';
import type { UploadCounters } from '../upload/counters';

export type SourceKind = 'hls-watch' | 'r2-upload' | 'manifest' | 'signaling' | 'payout';

/** Which node a figure came from (the sidebar reveals it; Prometheus labels carry the id). */
export interface NodeRef {
  id: string;
  type: string;
  name: string;
}

/** Integrates a level over time (viewers → viewer-minutes, bytes held → byte-hours). */
export class TimeIntegral {
  private level = 0;
  private since: number | undefined;
  private area = 0;

  set(level: number, at: number): void {
    this.area = this.valueAt(at);
    this.level = level;
    this.since = at;
  }

  current(): number {
    return this.level;
  }

  /** Level × ms accumulated up to `at`. */
  valueAt(at: number): number {
    return this.since === undefined ? this.area : this.area + this.level * Math.max(0, at - this.since);
  }
}

export interface RenditionTotals {
  segments: number;
  bytes: number;
  seconds: number;
  lastSegmentAt: number;
  /** The picture height the encoder's master playlist declares (RESOLUTION), when it does: names the rendition in the sidebar. */
  height?: number;
}

export class WatchProbe {
  readonly kind = 'hls-watch';
  /** stream → rendition → totals. */
  readonly streams = new Map<string, Map<string, RenditionTotals>>();
  constructor(
    readonly node: NodeRef,
    private readonly now: () => number,
  ) {}

  segment(stream: string, rendition: string, durationSeconds: number, byteLength: number, height?: number): void {
    let renditions = this.streams.get(stream);
    if (!renditions) this.streams.set(stream, (renditions = new Map()));
    const totals = renditions.get(rendition) ?? { segments: 0, bytes: 0, seconds: 0, lastSegmentAt: 0 };
    totals.segments += 1;
    totals.bytes += byteLength;
    totals.seconds += durationSeconds;
    totals.lastSegmentAt = this.now();
    if (height !== undefined) totals.height = height;
    renditions.set(rendition, totals);
  }
}

export interface StreamUploads {
  puts: number;
  retries: number;
  failures: number;
  objects: number;
  bytes: number;
  storedBytes: TimeIntegral;
}

export class UploadProbe {
  readonly kind = 'r2-upload';
  readonly streams = new Map<string, StreamUploads>();
  constructor(
    readonly node: NodeRef,
    readonly counters: () => UploadCounters,
    private readonly now: () => number,
  ) {}

  /**
   * One released upload of `stream`. `attempts` PUTs were billed for it (retries included); `bytes`
   * were stored when it succeeded. What the bucket still holds is estimated from the node's own
   * deletions (deleted share of stored objects), since an upload node does not track sizes it deleted.
   */
  released(stream: string, outcome: { attempts: number; retries: number; failed: boolean; bytes: number }): void {
    const totals = this.streams.get(stream) ?? { puts: 0, retries: 0, failures: 0, objects: 0, bytes: 0, storedBytes: new TimeIntegral() };
    totals.puts += outcome.attempts;
    totals.retries += outcome.retries;
    if (outcome.failed) totals.failures += 1;
    else {
      totals.objects += 1;
      totals.bytes += outcome.bytes;
    }
    this.streams.set(stream, totals);
    this.refreshHeld();
  }

  /** Called after cleanup deleted objects, so the held estimate goes down in time. */
  refreshHeld(): void {
    const c = this.counters();
    const keptShare = c.stored > 0 ? Math.max(0, c.stored - c.deletes) / c.stored : 1;
    const at = this.now();
    for (const totals of this.streams.values()) totals.storedBytes.set(totals.bytes * keptShare, at);
  }
}

export interface PlaylistState {
  version: number;
  mediaSequence: number | null;
  ended: boolean;
}
export interface StreamPlaylists {
  playlists: Map<string, PlaylistState>;
  requests: number;
  bytes: number;
}

/** Key of the master playlist among a stream's playlists (rendition ids never contain '/'). */
export const MASTER = '/master';

export class ManifestProbe {
  readonly kind = 'manifest';
  readonly streams = new Map<string, StreamPlaylists>();
  constructor(readonly node: NodeRef) {}

  private entry(stream: string): StreamPlaylists {
    let entry = this.streams.get(stream);
    if (!entry) this.streams.set(stream, (entry = { playlists: new Map(), requests: 0, bytes: 0 }));
    return entry;
  }

  /** A new playlist version was rendered (rendition null = the master playlist). */
  rendered(stream: string, rendition: string | null, mediaSequence: number | undefined, ended: boolean): void {
    const playlists = this.entry(stream).playlists;
    const key = rendition ?? MASTER;
    const state = playlists.get(key) ?? { version: 0, mediaSequence: null, ended: false };
    state.version += 1;
    state.mediaSequence = mediaSequence ?? null;
    state.ended = ended;
    playlists.set(key, state);
  }

  /** A playlist request the origin (Node-RED) answered, with the body bytes sent (0 for a 304). */
  served(stream: string, bytes: number): void {
    const entry = this.entry(stream);
    entry.requests += 1;
    entry.bytes += bytes;
  }
}

export interface AudienceFigures {
  httpBytes: number;
  p2pBytes: number;
  uploadedBytes: number;
  stalls: number;
}
export interface SwarmFigures extends AudienceFigures {
  peers: TimeIntegral;
  reporting: number;
  /** The latest ICE outcome of the live swarm; null once it empties or before any report. */
  ice: IceFigures | null;
  /** The live swarm's voted figures, each with the viewers it rests on; null once it empties. */
  voted: VotedFigures | null;
}

/**
 * What the coordinator votes over a swarm's viewers, one voice per address (lib/signaling/audience-stats.ts):
 * current figures, not counters, so no one viewer bends them.
 */
export interface VotedFigures {
  p2pShare: number | null;
  p2pShareViewers: number;
  latencyMs: number | null;
  latencyP90Ms: number | null;
  latencyViewers: number;
}

/**
 * The viewers' ICE outcome in one swarm (the stats msg's audience[].ice, lib/protocol/msgs/stats.ts):
 * their reports added up, `srflx` counting viewers. A current figure, not a counter. Declared from the
 * browser-safe client schema because the sidebar's browser code reads it too.
 */
export type IceFigures = Omit<IceOutcome, 'srflx'> & { reporting: number; srflx: number };

/** What the signaling coordinator reports per swarm: its viewers' stats frames, added up (each held to a bound) and voted. */
export interface AudienceReport extends AudienceFigures, VotedFigures {
  stream: string;
  rendition: string;
  reporting: number;
  ice?: IceFigures;
}

export class SwarmProbe {
  readonly kind = 'signaling';
  /** `${stream}/${rendition}` → figures. */
  readonly swarms = new Map<string, SwarmFigures & { stream: string; rendition: string }>();
  /** Last totals seen per swarm: the coordinator forgets a swarm's totals when it empties. */
  private readonly last = new Map<string, AudienceFigures>();
  constructor(
    readonly node: NodeRef,
    private readonly audience: () => AudienceReport[],
    private readonly now: () => number,
  ) {}

  private entry(stream: string, rendition: string) {
    const key = `${stream}/${rendition}`;
    let entry = this.swarms.get(key);
    if (!entry) {
      entry = { stream, rendition, peers: new TimeIntegral(), reporting: 0, httpBytes: 0, p2pBytes: 0, uploadedBytes: 0, stalls: 0, ice: null, voted: null };
      this.swarms.set(key, entry);
    }
    return entry;
  }

  /** Bytes the origin sent peers over the signaling socket, per stream ('' before a join). */
  readonly sentBytes = new Map<string, number>();

  /** A frame sent to a peer of `stream` (announcements, pushed playlists, relayed offers …). */
  sent(stream: string | undefined, bytes: number): void {
    const key = stream ?? '';
    this.sentBytes.set(key, (this.sentBytes.get(key) ?? 0) + bytes);
  }

  /** A join or leave: the swarm now has `peers` members. */
  peers(stream: string, rendition: string, peers: number): void {
    this.entry(stream, rendition).peers.set(peers, this.now());
  }

  /**
   * Takes the coordinator's current audience totals. They are cumulative while the swarm lives
   * and start again from 0 after it empties, so only increases are added: the totals here never
   * go backwards (Prometheus counters must not).
   */
  refresh(): void {
    const reports = this.audience();
    const live = new Set<string>();
    for (const report of reports) {
      const key = `${report.stream}/${report.rendition}`;
      live.add(key);
      const entry = this.entry(report.stream, report.rendition);
      const before = this.last.get(key) ?? { httpBytes: 0, p2pBytes: 0, uploadedBytes: 0, stalls: 0 };
      for (const field of ['httpBytes', 'p2pBytes', 'uploadedBytes', 'stalls'] as const) {
        const now = report[field];
        entry[field] += now >= before[field] ? now - before[field] : now;
      }
      entry.reporting = report.reporting;
      entry.ice = report.ice ?? null;
      entry.voted = {
        p2pShare: report.p2pShare,
        p2pShareViewers: report.p2pShareViewers,
        latencyMs: report.latencyMs,
        latencyP90Ms: report.latencyP90Ms,
        latencyViewers: report.latencyViewers,
      };
      this.last.set(key, { httpBytes: report.httpBytes, p2pBytes: report.p2pBytes, uploadedBytes: report.uploadedBytes, stalls: report.stalls });
    }
    for (const [key, entry] of this.swarms) {
      if (!live.has(key)) {
        entry.reporting = 0;
        entry.ice = null;
        entry.voted = null;
        this.last.delete(key);
      }
    }
  }
}

/** pendingMinor: minor units carried forward (in the currency of the settlements that earned them). */
export interface PayoutFigures {
  supporters: number;
  pendingMinor: number;
  unsettledBytes: number;
  verifiedBytes: number;
}

export class PayoutProbe {
  readonly kind = 'payout';
  figures: PayoutFigures = { supporters: 0, pendingMinor: 0, unsettledBytes: 0, verifiedBytes: 0 };
  constructor(readonly node: NodeRef) {}

  /** The ledger's accounts, as the node's status refresh reads them anyway. */
  accounts(accounts: ReadonlyArray<{ pending: number; unsettledBytes: number; verifiedBytes: number }>): void {
    this.figures = {
      supporters: accounts.length,
      pendingMinor: accounts.reduce((sum, a) => sum + a.pending, 0),
      unsettledBytes: accounts.reduce((sum, a) => sum + a.unsettledBytes, 0),
      verifiedBytes: accounts.reduce((sum, a) => sum + a.verifiedBytes, 0),
    };
  }
}

export type Probe = WatchProbe | UploadProbe | ManifestProbe | SwarmProbe | PayoutProbe;
