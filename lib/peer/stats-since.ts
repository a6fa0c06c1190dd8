/**
 * Stats reports carry a viewer's totals since it started playing its rendition: the server adds
 * them up per rendition (the audience figures), and a level switch starts a new count there. This
 * keeps the counters as they were at that moment.
 */
import { BOUNDS, type StatsMessage } from '../protocol';

export interface Totals {
  httpBytes: number;
  p2pBytes: number;
  uploadedBytes: number;
  stalls: number;
}

export class StatsSince {
  private at: Totals = { httpBytes: 0, p2pBytes: 0, uploadedBytes: 0, stalls: 0 };

  /** The peer now plays a rendition (a welcome, or the answer to a switch). */
  restart(now: Totals): void {
    this.at = { ...now };
  }

  /** A report of what happened since restart(); `extra`: the figures that are not totals. */
  report(now: Totals, extra: Omit<StatsMessage, 'type' | keyof Totals>): StatsMessage {
    const report: StatsMessage = {
      type: 'stats',
      httpBytes: now.httpBytes - this.at.httpBytes,
      p2pBytes: now.p2pBytes - this.at.p2pBytes,
      uploadedBytes: now.uploadedBytes - this.at.uploadedBytes,
      stalls: Math.max(0, now.stalls - this.at.stalls),
      ...extra,
      peers: Math.min(BOUNDS.maxPeersReported, extra.peers),
    };
    if (extra.latencyMs !== undefined) report.latencyMs = Math.min(BOUNDS.maxLatencyMs, extra.latencyMs);
    if (extra.spareUpload === undefined) delete report.spareUpload;
    if (extra.latencyMs === undefined) delete report.latencyMs;
    return report;
  }
}
