import assert from 'node:assert/strict';
import { emptyCounters } from '../../../lib/upload/counters';
import { TelemetryRegistry } from '../../../lib/telemetry/registry';
import { ChartHistory, payoutRows, streamCard } from '../../../lib/telemetry/sidebar-model';

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
  const reports = [{ stream: 'live', rendition: 'main', reporting: 3, httpBytes: 250, p2pBytes: 750, uploadedBytes: 0, stalls: 2, ice }];
  registry.swarm(ref('s1', 'relaycast-signaling'), () => reports).peers('live', 'main', 3);
  registry.payout(ref('p1', 'relaycast-payout')).accounts([{ pending: 99, unsettledBytes: 2048, verifiedBytes: 4096 }]);
  watch.segment('live', 'main', 2, 1000);

  it('shows one row per figure, each naming the node that produced it, and flags what needs a look', () => {
    clock += 12_000;
    const card = streamCard(registry.snapshot().streams[0]);
    assert.equal(card.headline, '3 viewers · P2P 75.0 % · 2 stalls');
    const row = (label: string) => card.rows.find((r) => r.label === label)!;
    assert.deepEqual([row('main last segment').node.id, row('main last segment').warn], ['w1', true]);
    assert.match(row('main last segment').value, /^12\.0 s ago · 1 segments$/);
    assert.deepEqual(
      [row('upload retries / failures').value, row('upload retries / failures').node.id, row('upload retries / failures').warn],
      ['2 / 1', 'u1', true],
    );
    assert.equal(row('upload queue').value, '2 (2 KB) · 0 in flight');
    assert.deepEqual([row('main playlist').value, row('main playlist').node.id], ['v1 · MSN 42', 'm1']);
    assert.deepEqual([row('main swarm').value, row('main swarm').node.id], ['3 peers · 3 reporting', 's1']);
    assert.equal(row('main P2P share / stalls').value, '75.0 % / 2');
    // Links failing while no viewer got a STUN answer: the STUN port is the first suspect.
    assert.deepEqual(
      [row('main ICE').value, row('main ICE').node.id, row('main ICE').warn],
      ['0/3 viewers got a STUN answer · links 1 ok, 4 failed · host 1, srflx 0, prflx 0, relay 0', 's1', true],
    );
    assert.match(row('R2 operations').value, /^3 Class A · 0 Class B/);
    assert.equal(row('cost vs all from origin').node.id, 'u1');
    assert.deepEqual(
      payoutRows(registry.snapshot()).map((r) => [r.node.id, r.value]),
      [['p1', '99 minor units pending · 1 supporters · 2 KB unsettled']],
    );
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
