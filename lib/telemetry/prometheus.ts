/**
 * The telemetry snapshot as Prometheus metrics, through prom-client (the de-facto Node client:
 * text exposition format, HELP/TYPE lines and label escaping done right, no runtime deps besides
 * its own two). Every metric reads one snapshot taken per scrape. Naming follows Prometheus:
 * `relaycast_` prefix, base units in the name (`_seconds`, `_bytes`, `_usd`), `_total` on counters,
 * `node_id` on every series a node produced (the editor reveals that node by id).
 *
 * Counters carry running totals that only ever grow while their node runs (the collector makes
 * sure of it); a redeploy starts them again, which Prometheus's rate() treats as a counter reset.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { TelemetrySnapshot } from './snapshot';

type Labels = Record<string, string>;
type Series = Array<[Labels, number]>;
type Pick = (s: TelemetrySnapshot) => Series;

interface MetricDef {
  name: string;
  help: string;
  labels: string[];
  pick: Pick;
}

const perRendition = (s: TelemetrySnapshot, value: (r: TelemetrySnapshot['streams'][number]['renditions'][number]) => number): Series =>
  s.streams.flatMap((st) => st.renditions.map((r): [Labels, number] => [{ node_id: r.node.id, stream: st.stream, rendition: r.rendition }, value(r)]));
const perUpload = (s: TelemetrySnapshot, value: (u: TelemetrySnapshot['streams'][number]['uploads'][number]) => number): Series =>
  s.streams.flatMap((st) => st.uploads.map((u): [Labels, number] => [{ node_id: u.node.id, stream: st.stream }, value(u)]));
const perPlaylist = (s: TelemetrySnapshot, value: (p: TelemetrySnapshot['streams'][number]['playlists'][number]) => number): Series =>
  s.streams.flatMap((st) =>
    st.playlists.map((p): [Labels, number] => [{ node_id: p.node.id, stream: st.stream, playlist: p.rendition ?? 'master' }, value(p)]),
  );
const perSwarm = (s: TelemetrySnapshot, value: (w: TelemetrySnapshot['streams'][number]['swarms'][number]) => number): Series =>
  s.streams.flatMap((st) => st.swarms.map((w): [Labels, number] => [{ node_id: w.node.id, stream: st.stream, rendition: w.rendition }, value(w)]));
const perStream = (s: TelemetrySnapshot, value: (st: TelemetrySnapshot['streams'][number]) => number | null): Series =>
  s.streams.flatMap((st) => {
    const v = value(st);
    return v === null ? [] : [[{ stream: st.stream }, v] as [Labels, number]];
  });

const STREAM = ['stream'];
const RENDITION = ['node_id', 'stream', 'rendition'];
const UPLOAD = ['node_id', 'stream'];
const PLAYLIST = ['node_id', 'stream', 'playlist'];
const PAYOUT = ['node_id'];

const GAUGES: MetricDef[] = [
  {
    name: 'relaycast_rendition_last_segment_age_seconds',
    help: "Seconds since hls-watch emitted the rendition's last segment",
    labels: RENDITION,
    pick: (s) => perRendition(s, (r) => r.lastSegmentAgeSeconds),
  },
  {
    name: 'relaycast_upload_queued_uploads',
    help: 'Uploads taken and not yet released by the r2-upload node (its backlog)',
    labels: UPLOAD,
    pick: (s) => perUpload(s, (u) => u.queued),
  },
  {
    name: 'relaycast_upload_queued_bytes',
    help: "Bytes the r2-upload node's backlog holds in memory",
    labels: UPLOAD,
    pick: (s) => perUpload(s, (u) => u.queuedBytes),
  },
  {
    name: 'relaycast_upload_in_flight_uploads',
    help: 'Uploads being attempted or waiting for a retry',
    labels: UPLOAD,
    pick: (s) => perUpload(s, (u) => u.inFlight),
  },
  {
    name: 'relaycast_r2_stored_bytes',
    help: "Estimated bytes of this stream the bucket holds now (stored less the node's deleted share)",
    labels: UPLOAD,
    pick: (s) => perUpload(s, (u) => u.storedBytes),
  },
  {
    name: 'relaycast_playlist_media_sequence',
    help: 'EXT-X-MEDIA-SEQUENCE of the latest playlist version',
    labels: PLAYLIST,
    pick: (s) => perPlaylist(s, (p) => p.mediaSequence ?? 0),
  },
  {
    name: 'relaycast_playlist_ended',
    help: '1 once the playlist carries EXT-X-ENDLIST',
    labels: PLAYLIST,
    pick: (s) => perPlaylist(s, (p) => (p.ended ? 1 : 0)),
  },
  { name: 'relaycast_swarm_peers', help: 'Peers in the swarm (viewers and supporters)', labels: RENDITION, pick: (s) => perSwarm(s, (w) => w.peers) },
  {
    name: 'relaycast_swarm_reporting_peers',
    help: 'Peers whose latest stats report is counted',
    labels: RENDITION,
    pick: (s) => perSwarm(s, (w) => w.reporting),
  },
  {
    name: 'relaycast_audience_p2p_ratio',
    help: 'Share of the segment bytes viewers played that came from peers (their own reports), 0-1',
    labels: STREAM,
    pick: (s) => perStream(s, (st) => st.audience.p2pShare),
  },
  {
    name: 'relaycast_origin_playlist_requests_per_viewer_minute',
    help: 'Playlist requests Node-RED answered per viewer-minute',
    labels: STREAM,
    pick: (s) => perStream(s, (st) => st.origin.perViewerMinute?.playlist ?? null),
  },
  {
    name: 'relaycast_origin_segment_requests_per_viewer_minute',
    help: "Segment fetches over HTTP per viewer-minute (estimated from the viewers' HTTP bytes)",
    labels: STREAM,
    pick: (s) => perStream(s, (st) => st.origin.perViewerMinute?.segment ?? null),
  },
  {
    name: 'relaycast_payout_supporters',
    help: 'Supporters the ledger has credited bytes to',
    labels: PAYOUT,
    pick: (s) => s.payouts.map((p) => [{ node_id: p.node.id }, p.supporters]),
  },
  {
    name: 'relaycast_payout_pending_minor_units',
    help: 'Minor currency units owed to supporters, carried forward to a later settlement',
    labels: PAYOUT,
    pick: (s) => s.payouts.map((p) => [{ node_id: p.node.id }, p.pendingMinor]),
  },
  {
    name: 'relaycast_payout_unsettled_bytes',
    help: 'Verified relayed bytes not yet settled',
    labels: PAYOUT,
    pick: (s) => s.payouts.map((p) => [{ node_id: p.node.id }, p.unsettledBytes]),
  },
];

const COUNTERS: MetricDef[] = [
  { name: 'relaycast_segments_total', help: 'Finished segments hls-watch emitted', labels: RENDITION, pick: (s) => perRendition(s, (r) => r.segments) },
  { name: 'relaycast_segment_bytes_total', help: 'Bytes of the segments hls-watch emitted', labels: RENDITION, pick: (s) => perRendition(s, (r) => r.bytes) },
  {
    name: 'relaycast_segment_media_seconds_total',
    help: 'Media seconds of the segments hls-watch emitted',
    labels: RENDITION,
    pick: (s) => perRendition(s, (r) => r.mediaSeconds),
  },
  {
    name: 'relaycast_upload_puts_total',
    help: 'PUT requests billed (every attempt, retries included): R2 Class A operations',
    labels: UPLOAD,
    pick: (s) => perUpload(s, (u) => u.puts),
  },
  {
    name: 'relaycast_upload_retries_total',
    help: 'Upload attempts made again after a retryable failure',
    labels: UPLOAD,
    pick: (s) => perUpload(s, (u) => u.retries),
  },
  { name: 'relaycast_upload_failures_total', help: 'Uploads given up', labels: UPLOAD, pick: (s) => perUpload(s, (u) => u.failures) },
  { name: 'relaycast_upload_stored_bytes_total', help: 'Bytes durably stored', labels: UPLOAD, pick: (s) => perUpload(s, (u) => u.bytes) },
  {
    name: 'relaycast_upload_shed_total',
    help: "Uploads refused because the node's backlog was full",
    labels: UPLOAD,
    pick: (s) => perUpload(s, (u) => u.shed),
  },
  { name: 'relaycast_playlist_versions_total', help: 'Playlist versions manifest rendered', labels: PLAYLIST, pick: (s) => perPlaylist(s, (p) => p.version) },
  {
    name: 'relaycast_origin_playlist_requests_total',
    help: 'Playlist requests Node-RED answered',
    labels: ['node_id', 'stream'],
    pick: (s) => s.streams.flatMap((st) => st.origin.servers.map((x): [Labels, number] => [{ node_id: x.node.id, stream: st.stream }, x.requests])),
  },
  {
    name: 'relaycast_origin_playlist_bytes_total',
    help: 'Playlist body bytes Node-RED sent',
    labels: ['node_id', 'stream'],
    pick: (s) => s.streams.flatMap((st) => st.origin.servers.map((x): [Labels, number] => [{ node_id: x.node.id, stream: st.stream }, x.bytes])),
  },
  {
    name: 'relaycast_origin_signaling_bytes_total',
    help: "Bytes the signaling node sent the stream's peers over WebSocket (announcements, pushed playlists, relaying)",
    labels: ['node_id', 'stream'],
    pick: (s) => s.streams.flatMap((st) => st.origin.signaling.map((x): [Labels, number] => [{ node_id: x.node.id, stream: st.stream }, x.bytes])),
  },
  {
    name: 'relaycast_origin_segment_requests_total',
    help: "Segment fetches over HTTP, estimated from the viewers' HTTP bytes and the mean segment size",
    labels: STREAM,
    pick: (s) => perStream(s, (st) => st.origin.segmentRequests),
  },
  {
    name: 'relaycast_audience_http_bytes_total',
    help: 'Segment bytes viewers fetched over HTTP (their own reports)',
    labels: RENDITION,
    pick: (s) => perSwarm(s, (w) => w.httpBytes),
  },
  {
    name: 'relaycast_audience_p2p_bytes_total',
    help: 'Segment bytes viewers got from peers (their own reports)',
    labels: RENDITION,
    pick: (s) => perSwarm(s, (w) => w.p2pBytes),
  },
  {
    name: 'relaycast_audience_uploaded_bytes_total',
    help: 'Bytes viewers uploaded to other peers (their own reports)',
    labels: RENDITION,
    pick: (s) => perSwarm(s, (w) => w.uploadedBytes),
  },
  { name: 'relaycast_audience_stalls_total', help: 'Playback stalls viewers reported', labels: RENDITION, pick: (s) => perSwarm(s, (w) => w.stalls) },
  {
    name: 'relaycast_viewer_seconds_total',
    help: 'Peer-seconds spent in the swarm (viewer-minutes × 60)',
    labels: RENDITION,
    pick: (s) => perSwarm(s, (w) => w.viewerMinutes * 60),
  },
  {
    name: 'relaycast_r2_class_a_operations_total',
    help: 'R2 Class A operations (PUTs) for the stream',
    labels: STREAM,
    pick: (s) => perStream(s, (st) => st.cost.classA),
  },
  {
    name: 'relaycast_r2_class_b_operations_total',
    help: 'R2 Class B operations (segment GETs, estimated) for the stream',
    labels: STREAM,
    pick: (s) => perStream(s, (st) => st.cost.classB),
  },
  {
    name: 'relaycast_r2_storage_gigabyte_months_total',
    help: 'R2 storage used, GB-months accrued',
    labels: STREAM,
    pick: (s) => perStream(s, (st) => st.cost.storageGBMonth),
  },
  {
    name: 'relaycast_cost_usd_total',
    help: 'Dollars accrued (no free tier): relaycast = R2 operations and storage plus the playlists from the origin; all_from_origin = every byte from an EC2 origin',
    labels: ['stream', 'scenario'],
    pick: (s) =>
      s.streams.flatMap((st): Series => [
        [{ stream: st.stream, scenario: 'relaycast' }, st.cost.relaycastDollars],
        [{ stream: st.stream, scenario: 'all_from_origin' }, st.cost.allFromOriginDollars],
      ]),
  },
];

/** Every metric name exported (the runtime spec checks that each one shows up). */
export const METRIC_NAMES: readonly string[] = [...GAUGES, ...COUNTERS].map((m) => m.name);

export class TelemetryMetrics {
  readonly registry = new Registry();
  private current: TelemetrySnapshot | undefined;

  constructor(private readonly snapshot: () => TelemetrySnapshot) {
    // prom-client calls collect() with `this` = the metric, so the exporter is reached through `self`.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    for (const def of GAUGES) {
      new Gauge({
        name: def.name,
        help: def.help,
        labelNames: def.labels,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const [labels, value] of def.pick(self.taken())) this.set(labels, value);
        },
      });
    }
    for (const def of COUNTERS) {
      new Counter({
        name: def.name,
        help: def.help,
        labelNames: def.labels,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const [labels, value] of def.pick(self.taken())) this.inc(labels, Math.max(0, value));
        },
      });
    }
  }

  private taken(): TelemetrySnapshot {
    return this.current ?? this.snapshot();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text for one scrape: one snapshot shared by every metric. */
  async render(): Promise<string> {
    this.current = this.snapshot();
    try {
      return await this.registry.metrics();
    } finally {
      this.current = undefined;
    }
  }
}
