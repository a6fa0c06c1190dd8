/**
 * What the editor's Relaycast sidebar shows, computed from a telemetry snapshot: per stream a
 * headline and one row per figure, each row naming the node that produced it (a click reveals
 * that node), plus the points of its small charts, kept for the last minutes. Pure, so it is
 * unit-tested here; editor/sidebar/ only draws it.
 */
import { formatBytes, formatUsd } from '../costs/format';
import type { NodeRef } from './probes';
import type { StreamSnapshot, SwarmSnapshot, TelemetrySnapshot } from './snapshot';

export interface FigureRow {
  /** Short label, e.g. "720p segments". */
  label: string;
  value: string;
  node: NodeRef;
  /** Something the operator should look at (a stale rendition, failures, stalls). */
  warn?: boolean;
}

export interface StreamCard {
  stream: string;
  headline: string;
  rows: FigureRow[];
}

/** A rendition whose last segment is older than this many target durations looks stalled. */
const STALE_SEGMENT_SECONDS = 10;

const percent = (share: number | null) => (share === null ? '–' : `${(share * 100).toFixed(1)} %`);

export function streamCard(s: StreamSnapshot): StreamCard {
  const rows: FigureRow[] = [];
  for (const r of s.renditions) {
    rows.push({
      label: `${r.rendition} last segment`,
      node: r.node,
      warn: r.lastSegmentAgeSeconds > STALE_SEGMENT_SECONDS,
      value: `${r.lastSegmentAgeSeconds.toFixed(1)} s ago · ${r.segments} segments`,
    });
  }
  for (const u of s.uploads) {
    rows.push({ label: 'upload queue', node: u.node, warn: u.shed > 0, value: `${u.queued} (${formatBytes(u.queuedBytes)}) · ${u.inFlight} in flight` });
    rows.push({ label: 'upload retries / failures', node: u.node, warn: u.failures > 0, value: `${u.retries} / ${u.failures}` });
  }
  for (const p of s.playlists) {
    rows.push({
      label: `${p.rendition ?? 'master'} playlist`,
      node: p.node,
      value: `v${p.version}${p.mediaSequence !== null ? ` · MSN ${p.mediaSequence}` : ''}${p.ended ? ' · ended' : ''}`,
    });
  }
  for (const w of s.swarms) {
    rows.push({ label: `${w.rendition} swarm`, node: w.node, value: `${w.peers} peers · ${w.reporting} reporting` });
    rows.push({ label: `${w.rendition} P2P share / stalls`, node: w.node, warn: w.stalls > 0, value: `${percent(w.p2pShare)} / ${w.stalls}` });
    if (w.ice && w.ice.reporting > 0) rows.push(iceRow(w));
  }
  const server = s.origin.servers[0];
  const perVm = s.origin.perViewerMinute;
  if (server) {
    rows.push({
      label: 'origin req / viewer-min',
      node: server.node,
      value: perVm
        ? `${perVm.total.toFixed(2)} (playlists ${perVm.playlist.toFixed(2)}, segments ${perVm.segment.toFixed(2)})`
        : `– (${server.requests} playlist requests, no viewers yet)`,
    });
  }
  for (const x of s.origin.signaling) rows.push({ label: 'signaling sent', node: x.node, value: formatBytes(x.bytes) });
  const uploader = s.uploads[0];
  if (uploader) {
    rows.push({
      label: 'R2 operations',
      node: uploader.node,
      value: `${Math.round(s.cost.classA)} Class A · ${Math.round(s.cost.classB)} Class B · ${formatBytes(uploader.storedBytes)} stored`,
    });
    rows.push({
      label: 'cost vs all from origin',
      node: uploader.node,
      value: `${formatUsd(s.cost.relaycastDollars)} vs ${formatUsd(s.cost.allFromOriginDollars)}`,
    });
  }
  const a = s.audience;
  return { stream: s.stream, headline: `${a.viewers} viewers · P2P ${percent(a.p2pShare)} · ${a.stalls} stalls`, rows };
}

export function payoutRows(snapshot: TelemetrySnapshot): FigureRow[] {
  return snapshot.payouts.map((p) => ({
    label: 'supporters owed',
    node: p.node,
    value: `${p.pendingMinor} minor units pending · ${p.supporters} supporters · ${formatBytes(p.unsettledBytes)} unsettled`,
  }));
}

export interface ChartSeries {
  /** Seconds since the epoch. */
  t: number[];
  viewers: number[];
  /** P2P share, percent (null before any byte). */
  p2pPercent: Array<number | null>;
  uploadQueue: number[];
  /** The oldest last-segment age among the stream's renditions, seconds. */
  segmentAge: number[];
}

/** The last `windowSeconds` of each stream's chart points, one point per snapshot. */
export class ChartHistory {
  private readonly streams = new Map<string, ChartSeries>();
  constructor(private readonly windowSeconds = 300) {}

  add(snapshot: TelemetrySnapshot): void {
    const t = snapshot.at / 1000;
    for (const s of snapshot.streams) {
      let series = this.streams.get(s.stream);
      if (!series) this.streams.set(s.stream, (series = { t: [], viewers: [], p2pPercent: [], uploadQueue: [], segmentAge: [] }));
      series.t.push(t);
      series.viewers.push(s.audience.viewers);
      series.p2pPercent.push(s.audience.p2pShare === null ? null : s.audience.p2pShare * 100);
      series.uploadQueue.push(s.uploads.reduce((n, u) => n + u.queued, 0));
      series.segmentAge.push(s.renditions.reduce((n, r) => Math.max(n, r.lastSegmentAgeSeconds), 0));
      while (series.t.length > 0 && series.t[0] < t - this.windowSeconds) {
        for (const values of [series.t, series.viewers, series.p2pPercent, series.uploadQueue, series.segmentAge]) values.shift();
      }
    }
    // A stream no longer reported leaves the charts with its card.
    for (const stream of [...this.streams.keys()]) if (!snapshot.streams.some((s) => s.stream === stream)) this.streams.delete(stream);
  }

  series(stream: string): ChartSeries | undefined {
    return this.streams.get(stream);
  }
}

/**
 * The viewers' ICE outcome: how many got a STUN answer (a server-reflexive candidate) and how their
 * links fared. Marked when links fail and nobody got a STUN answer: the STUN server (its UDP port)
 * is the first suspect.
 */
function iceRow(w: SwarmSnapshot): FigureRow {
  const ice = w.ice!;
  const pairs = (['host', 'srflx', 'prflx', 'relay'] as const).map((t) => `${t} ${ice.pairs[t]}`).join(', ');
  return {
    label: `${w.rendition} ICE`,
    node: w.node,
    warn: ice.failed > 0 && ice.srflx === 0,
    value: `${ice.srflx}/${ice.reporting} viewers got a STUN answer · links ${ice.connected} ok, ${ice.failed} failed · ${pairs}`,
  };
}
