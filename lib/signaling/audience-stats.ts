/**
 * What the audience itself measured: each viewer reports its running totals (bytes by source, bytes
 * uploaded, stalls, latency) and this turns them into per-swarm figures, so the operator sees the
 * real offload and stalls rather than a model of them. Reports are cumulative per join, so a lost
 * report loses nothing; figures of viewers that left are kept until the swarm empties.
 *
 * Viewers' claims are not trusted, so no one viewer bends the figures (issue 24):
 * - each report is held to what its connection could have played since it joined (playable.ts);
 * - a viewer that leaves and joins again from the same source (address) adds to that source's
 *   figures, held to what it could have played over all its joins: reconnecting earns nothing new;
 * - the P2P share and the latency are voted per source (one voice per address, however many
 *   connections): a trimmed share and a median, each with the number of viewers it rests on.
 * The byte and stall totals stay sums (they feed counters and costs), each contribution bounded.
 */
import type { SwarmAudience } from '../protocol/msgs';
import { playableBytes, playableStalls, type PlayRate } from './playable';
import { BOUNDS, type StatsMessage } from './protocol';
import { median, quantile, trimmedShare, type ShareVoice } from './robust-figures';

export interface AudienceTotals {
  httpBytes: number;
  p2pBytes: number;
  uploadedBytes: number;
  stalls: number;
}

type IceTotals = SwarmAudience['ice'];

/** Per swarm, in the stats msg: declared with its schema. */
export type { SwarmAudience } from '../protocol/msgs';

/** A joined viewer as its report is recorded: who, from where, since when it plays this rendition. */
export interface ReportingViewer {
  peer: string;
  /** Its source (IPv4 /32, IPv6 /64 by default): what a reconnect keeps. */
  source: string;
  /** When it joined or switched to this rendition: its report counts from then. */
  since: number;
}

interface LiveReport {
  viewer: ReportingViewer;
  /** The report as received, held to the bound. */
  totals: AudienceTotals;
  latencyMs?: number;
  ice?: StatsMessage['ice'];
  /** The report claimed more than the connection could have played. */
  capped: boolean;
}

/** What the joins of one source that ended left behind. */
interface SourceRecord {
  totals: AudienceTotals;
  /** Their joined time together, ms. */
  joinedMs: number;
}

interface SwarmEntry {
  stream: string;
  rendition: string;
  live: Map<string, LiveReport>;
  /** Least recently updated first; bounded (SOURCES_KEPT). */
  sources: Map<string, SourceRecord>;
  /** Totals of source records dropped for the bound: still in the sums, no longer a voice. */
  archived: AudienceTotals;
  departedIce: IceTotals;
}

/** Departed sources remembered per swarm: beyond it the longest idle one is archived. */
export const SOURCES_KEPT = 4096;

const zero = (): AudienceTotals => ({ httpBytes: 0, p2pBytes: 0, uploadedBytes: 0, stalls: 0 });
const noIce = (): IceTotals => ({ reporting: 0, srflx: 0, connected: 0, failed: 0, pairs: { host: 0, srflx: 0, prflx: 0, relay: 0 } });

export class AudienceStats {
  private readonly swarms = new Map<string, SwarmEntry>();

  /**
   * @param rateOf the play rate of a stream (from its announced segments), for the bound
   * @param uploadFanOut how many viewers one may upload each byte it played to (peers per list)
   */
  constructor(
    private readonly rateOf: (stream: string) => PlayRate,
    private readonly now: () => number,
    private readonly uploadFanOut: number,
  ) {}

  record(swarmKey: string, stream: string, rendition: string, viewer: ReportingViewer, report: StatsMessage): void {
    let entry = this.swarms.get(swarmKey);
    if (!entry) {
      entry = { stream, rendition, live: new Map(), sources: new Map(), archived: zero(), departedIce: noIce() };
      this.swarms.set(swarmKey, entry);
    }
    const totals = { httpBytes: report.httpBytes, p2pBytes: report.p2pBytes, uploadedBytes: report.uploadedBytes, stalls: report.stalls };
    const capped = this.holdToBound(totals, stream, this.now() - viewer.since);
    const live: LiveReport = { viewer, totals, capped };
    if (report.latencyMs !== undefined) live.latencyMs = report.latencyMs;
    if (report.ice) live.ice = report.ice;
    entry.live.set(viewer.peer, live);
  }

  /** The peer left (or switched rendition): its last figures join its source's, held to the bound over all its joins. */
  peerLeft(swarmKey: string, peer: string): void {
    const entry = this.swarms.get(swarmKey);
    const last = entry?.live.get(peer);
    if (!entry || !last) return;
    entry.live.delete(peer);
    addIce(entry.departedIce, last.ice);
    const { source, since } = last.viewer;
    const record = entry.sources.get(source) ?? { totals: zero(), joinedMs: 0 };
    entry.sources.delete(source);
    entry.sources.set(source, record);
    record.joinedMs += Math.max(0, this.now() - since);
    add(record.totals, last.totals);
    this.holdToBound(record.totals, entry.stream, record.joinedMs);
    if (entry.sources.size > SOURCES_KEPT) {
      const [oldest, dropped] = entry.sources.entries().next().value as [string, SourceRecord];
      entry.sources.delete(oldest);
      add(entry.archived, dropped.totals);
    }
  }

  swarmEmptied(swarmKey: string): void {
    this.swarms.delete(swarmKey);
  }

  trackedSwarms(): number {
    return this.swarms.size;
  }

  summary(): SwarmAudience[] {
    return [...this.swarms.values()].map((entry) => this.swarmSummary(entry));
  }

  private swarmSummary(entry: SwarmEntry): SwarmAudience {
    const totals = { ...entry.archived };
    const ice = { ...entry.departedIce, pairs: { ...entry.departedIce.pairs } };
    // One voice per source: its departed joins and its live connections together.
    const bySource = new Map<string, { totals: AudienceTotals; latencies: number[] }>();
    const voiceOf = (source: string) => {
      let voice = bySource.get(source);
      if (!voice) bySource.set(source, (voice = { totals: zero(), latencies: [] }));
      return voice;
    };
    for (const [source, record] of entry.sources) add(voiceOf(source).totals, record.totals);
    let capped = 0;
    for (const live of entry.live.values()) {
      const voice = voiceOf(live.viewer.source);
      add(voice.totals, live.totals);
      if (live.latencyMs !== undefined) voice.latencies.push(live.latencyMs);
      addIce(ice, live.ice);
      if (live.capped) capped++;
    }
    const shares: ShareVoice[] = [];
    const latencies: number[] = [];
    for (const voice of bySource.values()) {
      add(totals, voice.totals);
      const played = voice.totals.httpBytes + voice.totals.p2pBytes;
      if (played > 0) shares.push({ share: voice.totals.p2pBytes / played, weight: played });
      const latency = median(voice.latencies);
      if (latency !== null) latencies.push(latency);
    }
    const latency = median(latencies);
    const latencyP90 = quantile(latencies, 0.9);
    return {
      stream: entry.stream,
      rendition: entry.rendition,
      reporting: entry.live.size,
      ...totals,
      p2pShare: trimmedShare(shares),
      p2pShareViewers: shares.length,
      latencyMs: latency === null ? null : Math.round(latency),
      latencyP90Ms: latencyP90 === null ? null : Math.round(latencyP90),
      latencyViewers: latencies.length,
      capped,
      ice,
    };
  }

  /** Holds figures to what one viewer could have played in `ms`; true when they claimed more. */
  private holdToBound(totals: AudienceTotals, stream: string, ms: number): boolean {
    const rate = this.rateOf(stream);
    const bytes = playableBytes(rate, ms);
    const stalls = playableStalls(rate, ms);
    const played = totals.httpBytes + totals.p2pBytes;
    let capped = false;
    if (played > bytes) {
      // Scaled down together, so what the viewer says of its share is kept (the share is voted, and trimmed).
      const scale = bytes / played;
      totals.p2pBytes = Math.floor(totals.p2pBytes * scale);
      totals.httpBytes = Math.floor(totals.httpBytes * scale);
      capped = true;
    }
    const uploaded = bytes * this.uploadFanOut;
    if (totals.uploadedBytes > uploaded) {
      totals.uploadedBytes = uploaded;
      capped = true;
    }
    if (totals.stalls > stalls) {
      totals.stalls = stalls;
      capped = true;
    }
    return capped;
  }
}

function add(into: AudienceTotals, from: AudienceTotals): void {
  into.httpBytes += from.httpBytes;
  into.p2pBytes += from.p2pBytes;
  into.uploadedBytes += from.uploadedBytes;
  into.stalls += from.stalls;
}

function addIce(into: IceTotals, from: StatsMessage['ice']): void {
  if (!from) return;
  into.reporting++;
  if (from.srflx) into.srflx++;
  into.connected += from.connected;
  into.failed += from.failed;
  for (const type of BOUNDS.candidateTypes) into.pairs[type] += from.pairs[type];
}
