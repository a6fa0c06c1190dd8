/**
 * What the editor's Relaycast sidebar shows, computed from a telemetry snapshot: per stream a
 * headline and one row per figure, each row naming the node that produced it (a click reveals
 * that node), plus the points of its small charts, kept for the last minutes. Pure, so it is
 * unit-tested here; editor/sidebar/ only draws it.
 */
import { formatBytes, formatUsd, formatUsdShort } from '../costs/format';
import type { NodeRef } from './probes';
import { r2Dollars } from '../costs/prices';
import type { PlaylistSnapshot, StreamSnapshot, SwarmSnapshot, TelemetrySnapshot } from './snapshot';

export interface FigureRow {
  /** Short label, e.g. "720p segments". */
  label: string;
  value: string;
  node: NodeRef;
  /** Something the operator should look at (a stale rendition, failures, stalls). */
  warn?: boolean;
  /** The exact figures behind a rounded value (money in whole cents), for the value's tooltip. */
  exact?: string;
}

export interface StreamCard {
  stream: string;
  headline: string;
  rows: FigureRow[];
}

/** A rendition whose last segment is older than this many target durations looks stalled. */
const STALE_SEGMENT_SECONDS = 10;

const percent = (share: number | null) => (share === null ? '–' : `${(share * 100).toFixed(1)} %`);

/** Rendition ids in reading order: "2" before "10", "360p" before "720p" (ids are folder or file names). */
const byRendition = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/**
 * What the sidebar calls each rendition of a stream. Encoders (ffmpeg's var_stream_map) often name
 * their renditions by index, "0", "1", "2", which read as counts beside a figure: a rendition whose
 * encoder master declares a RESOLUTION is named by its picture height ("360p"), as the ingest
 * ladder names its rungs; one without is "rendition 0" when its id is a bare number, else its id
 * ("main", "720p"). Two renditions of one height (a bitrate ladder) keep their id beside it.
 */
export function renditionNames(s: Pick<StreamSnapshot, 'renditions'>, ids: readonly string[]): Map<string, string> {
  const heights = new Map(s.renditions.flatMap((r) => (r.height === undefined ? [] : [[r.rendition, r.height] as const])));
  const base = new Map(ids.map((id) => [id, heights.has(id) ? `${heights.get(id)}p` : /^\d+$/.test(id) ? `rendition ${id}` : id]));
  const uses = new Map<string, number>();
  for (const name of base.values()) uses.set(name, (uses.get(name) ?? 0) + 1);
  return new Map([...base].map(([id, name]) => [id, (uses.get(name) ?? 0) > 1 && name !== id ? `${name} (${id})` : name]));
}

/** The label of a figure of one rendition: the stream, then the rendition's name (as the master playlist's row is labelled). */
const renditionLabel = (stream: string, name: string, figure: string) => `${stream} · ${name} · ${figure}`;

export function streamCard(s: StreamSnapshot): StreamCard {
  const rows: FigureRow[] = [];
  // One group of rows per rendition, in rendition order: the producers report in whatever order
  // their renditions first appeared.
  const renditions = [
    ...new Set([
      ...s.renditions.map((r) => r.rendition),
      ...s.playlists.flatMap((p) => (p.rendition === null ? [] : [p.rendition])),
      ...s.swarms.map((w) => w.rendition),
    ]),
  ].sort(byRendition);
  const names = renditionNames(s, renditions);
  for (const id of renditions) {
    const label = (figure: string) => renditionLabel(s.stream, names.get(id)!, figure);
    for (const r of s.renditions.filter((x) => x.rendition === id)) {
      rows.push({
        label: label('last segment'),
        node: r.node,
        warn: r.lastSegmentAgeSeconds > STALE_SEGMENT_SECONDS,
        value: `${r.lastSegmentAgeSeconds.toFixed(1)} s ago · ${r.segments} segments`,
      });
    }
    for (const p of s.playlists.filter((x) => x.rendition === id)) rows.push(playlistRow(label('playlist'), p));
    for (const w of s.swarms.filter((x) => x.rendition === id)) {
      rows.push({ label: label('swarm'), node: w.node, value: `${w.peers} peers · ${w.reporting} reporting` });
      // The share is voted by the viewers (one voice per address): the row says how many it rests on.
      rows.push({
        label: label('P2P share / stalls'),
        node: w.node,
        warn: w.stalls > 0,
        value: `${percent(w.p2pShare)} of ${w.p2pShareViewers} viewers / ${w.stalls}`,
      });
      if (w.latencyMs !== null) {
        const p90 = w.latencyP90Ms !== null && w.latencyViewers >= 2 ? ` · ${(w.latencyP90Ms / 1000).toFixed(1)} s p90` : '';
        rows.push({ label: label('latency'), node: w.node, value: `${(w.latencyMs / 1000).toFixed(1)} s median${p90} · ${w.latencyViewers} viewers` });
      }
      if (w.ice && w.ice.reporting > 0) rows.push(iceRow(label('ICE'), w));
    }
  }
  for (const p of s.playlists.filter((x) => x.rendition === null)) rows.push(playlistRow(`${s.stream} · master playlist`, p));
  for (const u of s.uploads) {
    rows.push({ label: 'upload queue', node: u.node, warn: u.shed > 0, value: `${u.queued} (${formatBytes(u.queuedBytes)}) · ${u.inFlight} in flight` });
    rows.push({ label: 'upload retries / failures', node: u.node, warn: u.failures > 0, value: `${u.retries} / ${u.failures}` });
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
    rows.push(...costRows(s, uploader.node));
  }
  const a = s.audience;
  return { stream: s.stream, headline: `${a.viewers} viewers · P2P ${percent(a.p2pShare)} · ${a.stalls} stalls`, rows };
}

function playlistRow(label: string, p: PlaylistSnapshot): FigureRow {
  return { label, node: p.node, value: `v${p.version}${p.mediaSequence !== null ? ` · MSN ${p.mediaSequence}` : ''}${p.ended ? ' · ended' : ''}` };
}

/** What the cost rows are made of (docs/costs.md): split so a small audience's figures explain themselves. */
export interface CostSplit {
  /** R2 writes (a PUT per segment per rendition) and storage: the same for one viewer or a thousand. */
  writesDollars: number;
  /** What grows with the audience: R2 reads (segments over HTTP) and Node-RED's playlist and signaling egress. */
  readsDollars: number;
  viewerHours: number;
  /** Per viewer-hour, null before any viewer-minute. */
  readsPerViewerHour: number | null;
  allFromOriginPerViewerHour: number | null;
  /**
   * Concurrent viewers from which Relaycast costs less than serving every byte from an origin: the
   * writes of an hour of stream over what each viewer-hour saves. Null when not yet known.
   */
  breakEvenViewers: number | null;
}

export function costSplit(s: StreamSnapshot): CostSplit {
  const writesDollars = r2Dollars(s.cost.classA, 0, s.cost.storageGBMonth);
  const readsDollars = r2Dollars(0, s.cost.classB, 0) + s.cost.originDollars;
  const viewerHours = s.audience.viewerMinutes / 60;
  const perViewerHour = (dollars: number) => (viewerHours > 0 ? dollars / viewerHours : null);
  const readsPerViewerHour = perViewerHour(readsDollars);
  const allFromOriginPerViewerHour = perViewerHour(s.cost.allFromOriginDollars);
  const streamHours = s.renditions.reduce((h, r) => Math.max(h, r.mediaSeconds / 3600), 0);
  const saving = readsPerViewerHour === null || allFromOriginPerViewerHour === null ? 0 : allFromOriginPerViewerHour - readsPerViewerHour;
  const breakEvenViewers = saving > 0 && streamHours > 0 ? Math.max(1, Math.ceil(writesDollars / streamHours / saving)) : null;
  return { writesDollars, readsDollars, viewerHours, readsPerViewerHour, allFromOriginPerViewerHour, breakEvenViewers };
}

/**
 * The cost as three rows that explain themselves: the writes, fixed per stream, apart from what each
 * viewer-hour costs with Relaycast and from an origin, then the total with the audience from which
 * Relaycast is the cheaper one. A bare "$0.00063 vs $0.00024" made Relaycast look dearer for a
 * small audience, where the fixed writes are most of its cost. Amounts are in whole cents (the
 * exact figures in the tooltip); the per-viewer-hour rates keep their small digits, since comparing
 * them is what the row is for (lib/costs/format.ts).
 */
function costRows(s: StreamSnapshot, node: NodeRef): FigureRow[] {
  const c = costSplit(s);
  const perHour =
    c.readsPerViewerHour === null || c.allFromOriginPerViewerHour === null
      ? '– (no viewer-hours yet)'
      : `${formatUsd(c.readsPerViewerHour)} with Relaycast (R2 reads, playlists, signaling) vs ${formatUsd(c.allFromOriginPerViewerHour)} all from an origin`;
  const breakEven = c.breakEvenViewers === null ? '' : ` · Relaycast is cheaper from ${c.breakEvenViewers} viewer${c.breakEvenViewers === 1 ? '' : 's'}`;
  const [relaycast, origin] = [s.cost.relaycastDollars, s.cost.allFromOriginDollars];
  return [
    {
      label: 'cost: R2 writes + storage',
      node,
      value: `${formatUsdShort(c.writesDollars)} · fixed per stream, whatever the audience`,
      exact: formatUsd(c.writesDollars),
    },
    { label: 'cost per viewer-hour', node, value: perHour },
    {
      label: 'cost so far',
      node,
      value: `${formatUsdShort(relaycast)} (writes + reads over ${c.viewerHours.toFixed(2)} viewer-h) vs ${formatUsdShort(origin)} all from an origin${breakEven}`,
      exact: `${formatUsd(relaycast)} with Relaycast vs ${formatUsd(origin)} all from an origin`,
    },
  ];
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
function iceRow(label: string, w: SwarmSnapshot): FigureRow {
  const ice = w.ice!;
  const pairs = (['host', 'srflx', 'prflx', 'relay'] as const).map((t) => `${t} ${ice.pairs[t]}`).join(', ');
  return {
    label,
    node: w.node,
    warn: ice.failed > 0 && ice.srflx === 0,
    value: `${ice.srflx}/${ice.reporting} viewers got a STUN answer · links ${ice.connected} ok, ${ice.failed} failed · ${pairs}`,
  };
}
