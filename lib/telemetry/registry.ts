/**
 * The runtime telemetry collector: one registry per Node-RED runtime, one probe per node (keyed by
 * node id, so every figure can be traced back to the node that produced it). snapshot() adds the
 * probes up per stream into the figures an operator watches: renditions and last-segment age,
 * uploads, playlist versions, swarms, the audience's real P2P share and stalls, origin requests
 * per viewer-minute, and R2 operations and cost against serving the same bytes from an origin.
 * Pure: no Node-RED, no timers; the clock is injected.
 */
import { BYTES_PER_GB, HOURS_PER_MONTH, originEgressDollars, r2Dollars } from '../costs/prices';
import type { UploadCounters } from '../upload/counters';
import { ManifestProbe, MASTER, PayoutProbe, SwarmProbe, UploadProbe, WatchProbe, type AudienceReport, type NodeRef, type Probe } from './probes';
import type { PayoutSnapshot, StreamSnapshot, TelemetrySnapshot } from './snapshot';

export class TelemetryRegistry {
  private readonly probes = new Map<string, Probe>();

  constructor(readonly now: () => number = Date.now) {}

  watch(node: NodeRef): WatchProbe {
    return this.add(new WatchProbe(node, this.now));
  }
  upload(node: NodeRef, counters: () => UploadCounters): UploadProbe {
    return this.add(new UploadProbe(node, counters, this.now));
  }
  manifest(node: NodeRef): ManifestProbe {
    return this.add(new ManifestProbe(node));
  }
  swarm(node: NodeRef, audience: () => AudienceReport[]): SwarmProbe {
    return this.add(new SwarmProbe(node, audience, this.now));
  }
  payout(node: NodeRef): PayoutProbe {
    return this.add(new PayoutProbe(node));
  }

  /**
   * The node closed: its figures leave the view (a redeployed node starts a new probe). With the
   * probe given, only that probe goes, so a late close never takes a successor's figures.
   */
  remove(nodeId: string, probe?: Probe): void {
    if (probe === undefined || this.probes.get(nodeId) === probe) this.probes.delete(nodeId);
  }

  get size(): number {
    return this.probes.size;
  }

  private add<P extends Probe>(probe: P): P {
    this.probes.set(probe.node.id, probe);
    return probe;
  }

  snapshot(): TelemetrySnapshot {
    const at = this.now();
    const streams = new Map<string, StreamSnapshot>();
    const stream = (id: string): StreamSnapshot => {
      let s = streams.get(id);
      if (!s) streams.set(id, (s = emptyStream(id)));
      return s;
    };
    const payouts: PayoutSnapshot[] = [];
    /** Mean segment bytes per stream/rendition, to turn the audience's HTTP bytes into requests. */
    const segmentBytes = new Map<string, { bytes: number; segments: number }>();

    for (const probe of this.probes.values()) {
      const node = probe.node;
      if (probe instanceof WatchProbe) {
        for (const [id, renditions] of probe.streams) {
          for (const [rendition, t] of renditions) {
            stream(id).renditions.push({
              node,
              rendition,
              segments: t.segments,
              bytes: t.bytes,
              mediaSeconds: t.seconds,
              lastSegmentAgeSeconds: Math.max(0, (at - t.lastSegmentAt) / 1000),
              ...(t.height !== undefined ? { height: t.height } : {}),
            });
            const mean = segmentBytes.get(`${id}/${rendition}`) ?? { bytes: 0, segments: 0 };
            mean.bytes += t.bytes;
            mean.segments += t.segments;
            segmentBytes.set(`${id}/${rendition}`, mean);
          }
        }
      } else if (probe instanceof UploadProbe) {
        const c = probe.counters();
        for (const [id, t] of probe.streams) {
          stream(id).uploads.push({
            node,
            puts: t.puts,
            retries: t.retries,
            failures: t.failures,
            objects: t.objects,
            bytes: t.bytes,
            storedBytes: t.storedBytes.current(),
            storedByteHours: t.storedBytes.valueAt(at) / 3_600_000,
            queued: c.queued,
            queuedBytes: c.queuedBytes,
            inFlight: c.inFlight,
            shed: c.shed,
          });
        }
      } else if (probe instanceof ManifestProbe) {
        for (const [id, entry] of probe.streams) {
          const s = stream(id);
          for (const [key, p] of entry.playlists) {
            s.playlists.push({ node, rendition: key === MASTER ? null : key, version: p.version, mediaSequence: p.mediaSequence, ended: p.ended });
          }
          s.origin.playlistRequests += entry.requests;
          s.origin.playlistBytes += entry.bytes;
          s.origin.servers.push({ node, requests: entry.requests, bytes: entry.bytes });
        }
      } else if (probe instanceof SwarmProbe) {
        probe.refresh();
        for (const [id, bytes] of probe.sentBytes) {
          if (id !== '') stream(id).origin.signaling.push({ node, bytes });
        }
        for (const swarm of probe.swarms.values()) {
          const voted = swarm.voted;
          stream(swarm.stream).swarms.push({
            node,
            rendition: swarm.rendition,
            peers: swarm.peers.current(),
            reporting: swarm.reporting,
            viewerMinutes: swarm.peers.valueAt(at) / 60_000,
            httpBytes: swarm.httpBytes,
            p2pBytes: swarm.p2pBytes,
            uploadedBytes: swarm.uploadedBytes,
            stalls: swarm.stalls,
            p2pShare: voted?.p2pShare ?? null,
            p2pShareViewers: voted?.p2pShareViewers ?? 0,
            latencyMs: voted?.latencyMs ?? null,
            latencyP90Ms: voted?.latencyP90Ms ?? null,
            latencyViewers: voted?.latencyViewers ?? 0,
            ice: swarm.ice,
          });
        }
      } else if (probe instanceof PayoutProbe) {
        payouts.push({ node, ...probe.figures });
      }
    }

    for (const s of streams.values()) derive(s, segmentBytes);
    const list = [...streams.values()].sort((a, b) => a.stream.localeCompare(b.stream));
    return { at, streams: list, payouts, totals: totalsOf(list) };
  }
}

function emptyStream(stream: string): StreamSnapshot {
  return {
    stream,
    renditions: [],
    uploads: [],
    playlists: [],
    swarms: [],
    audience: { viewers: 0, viewerMinutes: 0, httpBytes: 0, p2pBytes: 0, uploadedBytes: 0, stalls: 0, p2pShare: null, p2pShareViewers: 0 },
    origin: { servers: [], signaling: [], playlistRequests: 0, playlistBytes: 0, segmentRequests: 0, perViewerMinute: null },
    cost: { classA: 0, classB: 0, storageGBMonth: 0, r2Dollars: 0, originDollars: 0, relaycastDollars: 0, allFromOriginBytes: 0, allFromOriginDollars: 0 },
  };
}

/** The per-stream figures computed from the others. */
function derive(s: StreamSnapshot, segmentBytes: Map<string, { bytes: number; segments: number }>): void {
  const a = s.audience;
  let votes = 0;
  for (const swarm of s.swarms) {
    a.viewers += swarm.peers;
    a.viewerMinutes += swarm.viewerMinutes;
    a.httpBytes += swarm.httpBytes;
    a.p2pBytes += swarm.p2pBytes;
    a.uploadedBytes += swarm.uploadedBytes;
    a.stalls += swarm.stalls;
    if (swarm.p2pShare !== null) votes += swarm.p2pShare * swarm.p2pShareViewers;
    a.p2pShareViewers += swarm.p2pShareViewers;
    // Segment fetches from the bucket: viewers report bytes, not requests; a segment's mean size
    // (from what hls-watch published for that rendition) turns one into the other.
    const mean = segmentBytes.get(`${s.stream}/${swarm.rendition}`);
    if (mean && mean.segments > 0 && mean.bytes > 0) s.origin.segmentRequests += swarm.httpBytes / (mean.bytes / mean.segments);
  }
  // Voted figures, not the byte totals: one viewer's claims, even held to the bound, would weigh more in a ratio of sums.
  a.p2pShare = a.p2pShareViewers > 0 ? votes / a.p2pShareViewers : null;
  const o = s.origin;
  o.perViewerMinute =
    a.viewerMinutes > 0
      ? {
          playlist: o.playlistRequests / a.viewerMinutes,
          segment: o.segmentRequests / a.viewerMinutes,
          total: (o.playlistRequests + o.segmentRequests) / a.viewerMinutes,
        }
      : null;

  const c = s.cost;
  c.classA = s.uploads.reduce((n, u) => n + u.puts, 0);
  c.classB = o.segmentRequests;
  c.storageGBMonth = s.uploads.reduce((n, u) => n + u.storedByteHours, 0) / BYTES_PER_GB / HOURS_PER_MONTH;
  c.r2Dollars = r2Dollars(c.classA, c.classB, c.storageGBMonth);
  // What Node-RED itself sends as the origin (playlists served, frames pushed over the signaling socket), priced as EC2 egress.
  const signalingBytes = o.signaling.reduce((n, x) => n + x.bytes, 0);
  c.originDollars = originEgressDollars(o.playlistBytes + signalingBytes);
  c.relaycastDollars = c.r2Dollars + c.originDollars;
  // The same bytes, every one from the origin: every segment byte the audience played, plus playlists.
  c.allFromOriginBytes = a.httpBytes + a.p2pBytes + o.playlistBytes;
  c.allFromOriginDollars = originEgressDollars(c.allFromOriginBytes);
}

function totalsOf(streams: StreamSnapshot[]): TelemetrySnapshot['totals'] {
  const sum = (pick: (s: StreamSnapshot) => number) => streams.reduce((n, s) => n + pick(s), 0);
  return {
    viewers: sum((s) => s.audience.viewers),
    relaycastDollars: sum((s) => s.cost.relaycastDollars),
    allFromOriginDollars: sum((s) => s.cost.allFromOriginDollars),
  };
}
