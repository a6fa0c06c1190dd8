import assert from 'node:assert/strict';
import { emptyCounters, type UploadCounters } from '../../../lib/upload/counters';
import { TelemetryRegistry } from '../../../lib/telemetry/registry';
import type { AudienceReport } from '../../../lib/telemetry/probes';
import { BYTES_PER_GB, PRICES } from '../../../lib/costs/prices';

const ref = (id: string, type: string) => ({ id, type, name: '' });
/** The voted figures of a swarm no viewer has reported a byte or a latency to (for specs about the totals). */
const NO_VOTE = { p2pShare: null, p2pShareViewers: 0, latencyMs: null, latencyP90Ms: null, latencyViewers: 0 };

describe('telemetry registry', () => {
  let clock = 0;
  let registry: TelemetryRegistry;
  beforeEach(() => {
    clock = 1_000_000;
    registry = new TelemetryRegistry(() => clock);
  });

  it('shows each rendition with its segments and the age of its last segment, traced to its hls-watch node', () => {
    const watch = registry.watch(ref('w1', 'relaycast-hls-watch'));
    watch.segment('live', '720p', 2, 500_000);
    clock += 1500;
    watch.segment('live', '720p', 2, 300_000);
    watch.segment('live', '360p', 2, 100_000);
    clock += 4000;
    const [stream] = registry.snapshot().streams;
    assert.equal(stream.stream, 'live');
    const hi = stream.renditions.find((r) => r.rendition === '720p')!;
    assert.deepEqual([hi.segments, hi.bytes, hi.mediaSeconds, hi.lastSegmentAgeSeconds, hi.node.id], [2, 800_000, 4, 4, 'w1']);
  });

  it('counts PUTs, retries and failures per stream and the upload node backlog', () => {
    const counters: UploadCounters = { ...emptyCounters(), queued: 3, queuedBytes: 9000, inFlight: 2, stored: 2 };
    const upload = registry.upload(ref('u1', 'relaycast-r2-upload'), () => counters);
    upload.released('live', { attempts: 1, retries: 0, failed: false, bytes: 1000 });
    upload.released('live', { attempts: 3, retries: 2, failed: false, bytes: 1000 });
    upload.released('live', { attempts: 3, retries: 2, failed: true, bytes: 0 });
    const u = registry.snapshot().streams[0].uploads[0];
    assert.deepEqual([u.puts, u.retries, u.failures, u.objects, u.bytes, u.queued, u.inFlight], [7, 4, 1, 2, 2000, 3, 2]);
    assert.equal(registry.snapshot().streams[0].cost.classA, 7);
  });

  it('accrues storage as byte-hours of what the bucket still holds, less what cleanup deleted', () => {
    const counters: UploadCounters = { ...emptyCounters(), stored: 1 };
    const upload = registry.upload(ref('u1', 'relaycast-r2-upload'), () => counters);
    upload.released('live', { attempts: 1, retries: 0, failed: false, bytes: BYTES_PER_GB });
    clock += 3_600_000;
    counters.deletes = 1;
    upload.refreshHeld();
    clock += 3_600_000;
    const s = registry.snapshot().streams[0];
    assert.equal(s.uploads[0].storedBytes, 0);
    assert.equal(s.uploads[0].storedByteHours, BYTES_PER_GB);
    assert.equal(s.cost.storageGBMonth, 1 / (30 * 24));
  });

  it('reports playlist version and media sequence per rendition and the master', () => {
    const manifest = registry.manifest(ref('m1', 'relaycast-manifest'));
    manifest.rendered('live', '720p', 10, false);
    manifest.rendered('live', '720p', 11, false);
    manifest.rendered('live', null, undefined, false);
    manifest.rendered('live', '720p', 11, true);
    const playlists = registry.snapshot().streams[0].playlists;
    assert.deepEqual(
      playlists.map((p) => [p.rendition, p.version, p.mediaSequence, p.ended]),
      [
        ['720p', 3, 11, true],
        [null, 1, null, false],
      ],
    );
  });

  it('takes the real P2P share and stalls from the viewers’ reports and never lets the totals go back when a swarm empties', () => {
    // The share is the one the viewers voted (0.85 of 2 viewers), not the ratio of the byte totals (0.9).
    const voted = { p2pShare: 0.85, p2pShareViewers: 2, latencyMs: 4000, latencyP90Ms: 4500, latencyViewers: 2 };
    let reports: AudienceReport[] = [
      { stream: 'live', rendition: '720p', reporting: 2, httpBytes: 100, p2pBytes: 900, uploadedBytes: 900, stalls: 1, ...voted },
    ];
    const swarm = registry.swarm(ref('s1', 'relaycast-signaling'), () => reports);
    swarm.peers('live', '720p', 2);
    let s = registry.snapshot().streams[0];
    assert.deepEqual([s.audience.p2pShare, s.audience.p2pShareViewers], [0.85, 2]);
    assert.deepEqual([s.swarms[0].latencyMs, s.swarms[0].latencyViewers], [4000, 2]);
    assert.equal(s.audience.stalls, 1);
    assert.equal(s.swarms[0].peers, 2);
    assert.equal(s.swarms[0].node.id, 's1');
    // The swarm empties (the coordinator forgets it), then a new viewer reports from zero.
    swarm.peers('live', '720p', 0);
    reports = [];
    s = registry.snapshot().streams[0];
    assert.deepEqual([s.audience.p2pShare, s.audience.p2pShareViewers], [null, 0], 'no live swarm, no vote');
    reports = [{ stream: 'live', rendition: '720p', reporting: 1, httpBytes: 50, p2pBytes: 0, uploadedBytes: 0, stalls: 0, ...voted }];
    s = registry.snapshot().streams[0];
    assert.deepEqual([s.audience.httpBytes, s.audience.p2pBytes, s.audience.stalls], [150, 900, 1]);
  });

  it('counts origin requests per viewer-minute: playlists served plus segment fetches estimated from HTTP bytes', () => {
    const watch = registry.watch(ref('w1', 'relaycast-hls-watch'));
    for (let i = 0; i < 4; i++) watch.segment('live', '720p', 2, 1000);
    const manifest = registry.manifest(ref('m1', 'relaycast-manifest'));
    let reports: AudienceReport[] = [];
    const swarm = registry.swarm(ref('s1', 'relaycast-signaling'), () => reports);
    swarm.peers('live', '720p', 2);
    clock += 60_000; // 2 viewers × 1 minute
    swarm.peers('live', '720p', 4);
    clock += 30_000; // + 4 viewers × 0.5 minute = 4 viewer-minutes
    for (let i = 0; i < 8; i++) manifest.served('live', 500);
    reports = [{ stream: 'live', rendition: '720p', reporting: 4, httpBytes: 12_000, p2pBytes: 36_000, uploadedBytes: 0, stalls: 0, ...NO_VOTE }];
    const s = registry.snapshot().streams[0];
    assert.equal(s.audience.viewerMinutes, 4);
    assert.equal(s.origin.segmentRequests, 12);
    assert.deepEqual(s.origin.perViewerMinute, { playlist: 2, segment: 3, total: 5 });
    assert.deepEqual(
      s.origin.servers.map((x) => [x.node.id, x.requests, x.bytes]),
      [['m1', 8, 4000]],
    );
  });

  it('prices R2 operations and the origin’s playlists against serving every byte from an origin', () => {
    const watch = registry.watch(ref('w1', 'relaycast-hls-watch'));
    watch.segment('live', 'main', 2, 1_000_000);
    const counters = { ...emptyCounters(), stored: 1 };
    registry.upload(ref('u1', 'relaycast-r2-upload'), () => counters).released('live', { attempts: 2, retries: 1, failed: false, bytes: 1_000_000 });
    registry.manifest(ref('m1', 'relaycast-manifest')).served('live', 2000);
    const reports = [{ stream: 'live', rendition: 'main', reporting: 3, httpBytes: 3_000_000, p2pBytes: 7_000_000, uploadedBytes: 0, stalls: 0, ...NO_VOTE }];
    const swarm = registry.swarm(ref('s1', 'relaycast-signaling'), () => reports);
    swarm.sent('live', 1000);
    swarm.sent(undefined, 50); // before a join: no stream to charge
    const [{ cost, origin }] = registry.snapshot().streams;
    assert.deepEqual(
      origin.signaling.map((x) => [x.node.id, x.bytes]),
      [['s1', 1000]],
    );
    assert.equal(cost.classA, 2);
    assert.equal(cost.classB, 3);
    const r2 = (2 * PRICES.r2.classAPerMillion + 3 * PRICES.r2.classBPerMillion) / 1e6;
    assert.ok(Math.abs(cost.r2Dollars - r2) < 1e-12, `${cost.r2Dollars} vs ${r2}`);
    assert.equal(cost.originDollars, (3000 / BYTES_PER_GB) * PRICES.ec2.egressPerGB); // playlists + signaling
    assert.equal(cost.allFromOriginBytes, 10_002_000);
    assert.equal(cost.allFromOriginDollars, (10_002_000 / BYTES_PER_GB) * PRICES.ec2.egressPerGB);
    assert.ok(cost.allFromOriginDollars > cost.relaycastDollars);
  });

  it('lists pending supporter payouts per payout node, and forgets a node once it is removed', () => {
    const payout = registry.payout(ref('p1', 'relaycast-payout'));
    payout.accounts([
      { pending: 120, unsettledBytes: 5000, verifiedBytes: 9000 },
      { pending: 30, unsettledBytes: 0, verifiedBytes: 100 },
    ]);
    assert.deepEqual(registry.snapshot().payouts, [
      { node: ref('p1', 'relaycast-payout'), supporters: 2, pendingMinor: 150, unsettledBytes: 5000, verifiedBytes: 9100 },
    ]);
    registry.remove('p1');
    assert.deepEqual(registry.snapshot().payouts, []);
    assert.equal(registry.size, 0);
  });
});
