/**
 * What the audience itself measured: each viewer reports its running totals (bytes by source, bytes
 * uploaded, stalls, latency) and this adds them up per swarm, so the operator sees the real offload
 * and stalls rather than a model of them. Reports are cumulative per join, so a lost report loses
 * nothing; totals of peers that left are kept until the swarm empties.
 */
import type { SwarmAudience } from '../protocol/msgs';
import { BOUNDS, type StatsMessage } from './protocol';

export interface AudienceTotals {
  httpBytes: number;
  p2pBytes: number;
  uploadedBytes: number;
  stalls: number;
}

type IceTotals = SwarmAudience['ice'];

/** Per swarm, in the stats msg: declared with its schema. */
export type { SwarmAudience } from '../protocol/msgs';

interface SwarmEntry {
  stream: string;
  rendition: string;
  departed: AudienceTotals;
  departedIce: IceTotals;
  reports: Map<string, StatsMessage>;
}

const ZERO: AudienceTotals = { httpBytes: 0, p2pBytes: 0, uploadedBytes: 0, stalls: 0 };
const noIce = (): IceTotals => ({ reporting: 0, srflx: 0, connected: 0, failed: 0, pairs: { host: 0, srflx: 0, prflx: 0, relay: 0 } });

export class AudienceStats {
  private readonly swarms = new Map<string, SwarmEntry>();

  record(swarmKey: string, stream: string, rendition: string, peer: string, report: StatsMessage): void {
    let entry = this.swarms.get(swarmKey);
    if (!entry) {
      entry = { stream, rendition, departed: { ...ZERO }, departedIce: noIce(), reports: new Map() };
      this.swarms.set(swarmKey, entry);
    }
    entry.reports.set(peer, report);
  }

  /** The peer left: its last figures stay in the swarm's totals. */
  peerLeft(swarmKey: string, peer: string): void {
    const entry = this.swarms.get(swarmKey);
    const last = entry?.reports.get(peer);
    if (!entry || !last) return;
    entry.reports.delete(peer);
    add(entry.departed, last);
    addIce(entry.departedIce, last);
  }

  swarmEmptied(swarmKey: string): void {
    this.swarms.delete(swarmKey);
  }

  trackedSwarms(): number {
    return this.swarms.size;
  }

  summary(): SwarmAudience[] {
    const out: SwarmAudience[] = [];
    for (const entry of this.swarms.values()) {
      const totals = { ...entry.departed };
      const ice = { ...entry.departedIce, pairs: { ...entry.departedIce.pairs } };
      let latencySum = 0;
      let latencyCount = 0;
      for (const report of entry.reports.values()) {
        add(totals, report);
        addIce(ice, report);
        if (report.latencyMs !== undefined) {
          latencySum += report.latencyMs;
          latencyCount++;
        }
      }
      const segmentBytes = totals.httpBytes + totals.p2pBytes;
      out.push({
        stream: entry.stream,
        rendition: entry.rendition,
        reporting: entry.reports.size,
        ...totals,
        p2pShare: segmentBytes > 0 ? totals.p2pBytes / segmentBytes : null,
        latencyMs: latencyCount > 0 ? Math.round(latencySum / latencyCount) : null,
        ice,
      });
    }
    return out;
  }
}

function add(into: AudienceTotals, from: AudienceTotals): void {
  into.httpBytes += from.httpBytes;
  into.p2pBytes += from.p2pBytes;
  into.uploadedBytes += from.uploadedBytes;
  into.stalls += from.stalls;
}

function addIce(into: IceTotals, report: StatsMessage): void {
  const from = report.ice;
  if (!from) return;
  into.reporting++;
  if (from.srflx) into.srflx++;
  into.connected += from.connected;
  into.failed += from.failed;
  for (const type of BOUNDS.candidateTypes) into.pairs[type] += from.pairs[type];
}
