import assert from 'node:assert/strict';
import { emptyCounters } from '../../../lib/upload/counters';
import { TelemetryRegistry } from '../../../lib/telemetry/registry';
import { ChartHistory, costSplit, payoutRows, streamCard } from '../../../lib/telemetry/sidebar-model';
import type { StreamSnapshot } from '../../../lib/telemetry/snapshot';

describe('sidebar model', () => {
  let clock = 1_000_000;
  const registry = new TelemetryRegistry(() => clock);
  const ref = (id: string, type: string) => ({ id, type, name: '' });
  const watch = registry.watch(ref('w1', 'relaycast-hls-watch'));
  registry
    .upload(ref('u1', 'relaycast-r2-upload'), () => ({ ...emptyCounters(), stored: 1, queued: 2, queuedBytes: 2048 }))
    .released('live', { attempts: 3, retries: 2, failed: true, bytes: 0 });
  registry.manifest(ref('m1', 'relaycast-manifest')).rendered('live', 'main', 42, false);
  const ice = { reporting: 3, srflx: 0, connected: 1, failed: 4, pairs: { host: 1, srflx: 0, prflx: 0, relay: 0 } };
  const voted = { p2pShare: 0.75, p2pShareViewers: 3, latencyMs: 5200, latencyP90Ms: 6100, latencyViewers: 2 };
  const reports = [{ stream: 'live', rendition: 'main', reporting: 3, httpBytes: 250, p2pBytes: 750, uploadedBytes: 0, stalls: 2, ice, ...voted }];
  registry.swarm(ref('s1', 'relaycast-signaling'), () => reports).peers('live', 'main', 3);
  registry.payout(ref('p1', 'relaycast-payout')).accounts([{ pending: 99, unsettledBytes: 2048, verifiedBytes: 4096 }]);
  watch.segment('live', 'main', 2, 1000);

  it('shows one row per figure, each naming the node that produced it, and flags what needs a look', () => {
    clock += 12_000;
    const card = streamCard(registry.snapshot().streams[0]);
    assert.equal(card.headline, '3 viewers · P2P 75.0 % · 2 stalls');
    const row = (label: string) => card.rows.find((r) => r.label === label)!;
    assert.deepEqual([row('live · main · last segment').node.id, row('live · main · last segment').warn], ['w1', true]);
    assert.match(row('live · main · last segment').value, /^12\.0 s ago · 1 segments$/);
    assert.deepEqual(
      [row('upload retries / failures').value, row('upload retries / failures').node.id, row('upload retries / failures').warn],
      ['2 / 1', 'u1', true],
    );
    assert.equal(row('upload queue').value, '2 (2 KB) · 0 in flight');
    assert.deepEqual([row('live · main · playlist').value, row('live · main · playlist').node.id], ['v1 · MSN 42', 'm1']);
    assert.deepEqual([row('live · main · swarm').value, row('live · main · swarm').node.id], ['3 peers · 3 reporting', 's1']);
    assert.equal(row('live · main · P2P share / stalls').value, '75.0 % of 3 viewers / 2', 'the share says how many viewers it rests on');
    assert.equal(row('live · main · latency').value, '5.2 s median · 6.1 s p90 · 2 viewers');
    // Links failing while no viewer got a STUN answer: the STUN port is the first suspect.
    assert.deepEqual(
      [row('live · main · ICE').value, row('live · main · ICE').node.id, row('live · main · ICE').warn],
      ['0/3 viewers got a STUN answer · links 1 ok, 4 failed · host 1, srflx 0, prflx 0, relay 0', 's1', true],
    );
    assert.match(row('R2 operations').value, /^3 Class A · 0 Class B/);
    assert.equal(row('cost so far').node.id, 'u1');
    assert.deepEqual(
      payoutRows(registry.snapshot()).map((r) => [r.node.id, r.value]),
      [['p1', '99 minor units pending · 1 supporters · 2 KB unsettled']],
    );
  });

  it('labels rows by stream and rendition and groups them in rendition order, the master playlist after the renditions', () => {
    const r = new TelemetryRegistry(() => clock);
    const w = r.watch(ref('w2', 'relaycast-hls-watch'));
    for (const id of ['10', '2', '0']) w.segment('demo', id, 2, 1000);
    const m = r.manifest(ref('m2', 'relaycast-manifest'));
    for (const id of ['2', null, '10', '0']) m.rendered('demo', id, 7, false);
    const labels = streamCard(r.snapshot().streams[0]).rows.map((row) => row.label);
    assert.deepEqual(labels, [
      'demo · rendition 0 · last segment',
      'demo · rendition 0 · playlist',
      'demo · rendition 2 · last segment',
      'demo · rendition 2 · playlist',
      'demo · rendition 10 · last segment',
      'demo · rendition 10 · playlist',
      'demo · master playlist',
      'origin req / viewer-min',
    ]);
  });

  it("names a rendition by the picture height its encoder's master declares, not by its index; one height twice keeps the id beside it", () => {
    const r = new TelemetryRegistry(() => clock);
    const w = r.watch(ref('w3', 'relaycast-hls-watch'));
    // ffmpeg's var_stream_map folders 0, 1, 2 with RESOLUTION 640x360, 480x270, 480x270; "main" without one.
    for (const [id, height] of [
      ['2', 270],
      ['0', 360],
      ['1', 270],
    ] as const)
      w.segment('demo', id, 2, 1000, height);
    w.segment('demo', 'main', 2, 1000);
    r.swarm(ref('s3', 'relaycast-signaling'), () => []).peers('demo', '0', 2);
    const labels = streamCard(r.snapshot().streams[0]).rows.map((row) => row.label);
    assert.deepEqual(labels.slice(0, 6), [
      'demo · 360p · last segment',
      'demo · 360p · swarm',
      'demo · 360p · P2P share / stalls',
      'demo · 270p (1) · last segment',
      'demo · 270p (2) · last segment',
      'demo · main · last segment',
    ]);
    assert.ok(!labels.some((label) => /\b[012] · /.test(label)), `no row labelled by a bare index: ${labels.join(', ')}`);
  });

  it('splits the cost into fixed writes and reads per viewer-hour, and says from how many viewers Relaycast is the cheaper', () => {
    // Six viewer-minutes of a one-hour stream: 1000 PUTs ($0.0045) dwarf the reads, so the total
    // is above "all from an origin" although every viewer-hour costs a hundredth of it.
    const stream = {
      stream: 'live',
      renditions: [{ node: ref('w1', 'relaycast-hls-watch'), rendition: 'main', segments: 1800, bytes: 0, mediaSeconds: 3600, lastSegmentAgeSeconds: 1 }],
      uploads: [
        {
          node: ref('u1', 'relaycast-r2-upload'),
          puts: 1000,
          retries: 0,
          failures: 0,
          objects: 1000,
          bytes: 0,
          storedBytes: 0,
          storedByteHours: 0,
          queued: 0,
          queuedBytes: 0,
          inFlight: 0,
          shed: 0,
        },
      ],
      playlists: [],
      swarms: [],
      audience: { viewers: 1, viewerMinutes: 6, httpBytes: 0, p2pBytes: 0, uploadedBytes: 0, stalls: 0, p2pShare: null, p2pShareViewers: 0 },
      origin: { servers: [], signaling: [], playlistRequests: 0, playlistBytes: 0, segmentRequests: 0, perViewerMinute: null },
      cost: {
        classA: 1000,
        classB: 100,
        storageGBMonth: 0,
        r2Dollars: 0.004536,
        originDollars: 0.000004,
        relaycastDollars: 0.00454,
        allFromOriginBytes: 0,
        allFromOriginDollars: 0.004,
      },
    } satisfies StreamSnapshot;
    const split = costSplit(stream);
    assert.ok(Math.abs(split.writesDollars - 0.0045) < 1e-12, String(split.writesDollars));
    assert.ok(Math.abs(split.readsDollars - 0.00004) < 1e-12, String(split.readsDollars));
    assert.ok(Math.abs(split.writesDollars + split.readsDollars - stream.cost.relaycastDollars) < 1e-12, 'writes + reads is the total');
    assert.equal(split.breakEvenViewers, 1);
    const card = streamCard(stream).rows;
    const rows = Object.fromEntries(card.map((row) => [row.label, row.value]));
    const exact = Object.fromEntries(card.map((row) => [row.label, row.exact]));
    // Amounts in whole cents, exact in the tooltip; the rates keep the digits that compare them.
    assert.equal(rows['cost: R2 writes + storage'], '< $0.01 · fixed per stream, whatever the audience');
    assert.equal(exact['cost: R2 writes + storage'], '$0.0045');
    assert.equal(rows['cost per viewer-hour'], '$0.0004 with Relaycast (R2 reads, playlists, signaling) vs $0.04 all from an origin');
    assert.equal(exact['cost per viewer-hour'], undefined);
    assert.equal(rows['cost so far'], '< $0.01 (writes + reads over 0.10 viewer-h) vs < $0.01 all from an origin · Relaycast is cheaper from 1 viewer');
    assert.equal(exact['cost so far'], '$0.0045 with Relaycast vs $0.004 all from an origin');
    // A grown audience: whole dollars and cents.
    const big = { ...stream, cost: { ...stream.cost, relaycastDollars: 12.3, allFromOriginDollars: 151.456 } };
    assert.match(streamCard(big).rows.find((row) => row.label === 'cost so far')!.value, /^\$12\.30 \(.*\) vs \$151\.46 all from an origin/);
    const none = streamCard({ ...stream, audience: { ...stream.audience, viewerMinutes: 0 } }).rows;
    assert.equal(none.find((row) => row.label === 'cost per viewer-hour')?.value, '– (no viewer-hours yet)');
  });

  it('keeps chart points for the last minutes only, and drops a stream that is gone', () => {
    const history = new ChartHistory(60);
    for (let i = 0; i < 5; i++) {
      history.add(registry.snapshot());
      clock += 20_000;
    }
    const series = history.series('live')!;
    assert.equal(series.t.length, 4); // 80 s of points, the last 60 s kept
    assert.deepEqual(series.viewers, [3, 3, 3, 3]);
    assert.deepEqual(series.p2pPercent, [75, 75, 75, 75]);
    assert.deepEqual(series.uploadQueue, [2, 2, 2, 2]);
    history.add({ at: clock, streams: [], payouts: [], totals: { viewers: 0, relaycastDollars: 0, allFromOriginDollars: 0 } });
    assert.equal(history.series('live'), undefined);
  });
});
