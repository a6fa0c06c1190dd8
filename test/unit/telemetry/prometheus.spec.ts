import assert from 'node:assert/strict';
import { emptyCounters } from '../../../lib/upload/counters';
import { TelemetryRegistry } from '../../../lib/telemetry/registry';
import { METRIC_NAMES, TelemetryMetrics } from '../../../lib/telemetry/prometheus';

/** The value of one series in the exposition text, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('telemetry as Prometheus metrics', () => {
  let clock = 0;
  const registry = new TelemetryRegistry(() => clock);
  const metrics = new TelemetryMetrics(() => registry.snapshot());
  const ref = (id: string, type: string) => ({ id, type, name: '' });
  const voted = { p2pShare: 0.75, p2pShareViewers: 2, latencyMs: null, latencyP90Ms: null, latencyViewers: 0 };
  let reports = [{ stream: 'live', rendition: 'main', reporting: 2, httpBytes: 1000, p2pBytes: 3000, uploadedBytes: 3000, stalls: 0, ...voted }];

  before(() => {
    const watch = registry.watch(ref('w1', 'relaycast-hls-watch'));
    watch.segment('live', 'main', 2, 1000);
    registry
      .upload(ref('u1', 'relaycast-r2-upload'), () => ({ ...emptyCounters(), stored: 1, queued: 1 }))
      .released('live', { attempts: 2, retries: 1, failed: false, bytes: 1000 });
    const manifest = registry.manifest(ref('m1', 'relaycast-manifest'));
    manifest.rendered('live', 'main', 7, false);
    manifest.served('live', 300);
    registry.swarm(ref('s1', 'relaycast-signaling'), () => reports).peers('live', 'main', 2);
    registry.payout(ref('p1', 'relaycast-payout')).accounts([{ pending: 42, unsettledBytes: 10, verifiedBytes: 10 }]);
    clock += 60_000;
  });

  it('names every metric the Prometheus way: relaycast_ prefix, base unit in the name, _total on counters', async () => {
    const text = await metrics.render();
    for (const name of METRIC_NAMES) {
      assert.match(name, /^relaycast_[a-z0-9_]+$/);
      const type = new RegExp(`^# TYPE ${name} (counter|gauge)$`, 'm').exec(text)?.[1];
      assert.ok(type, `${name} is exported`);
      assert.equal(name.endsWith('_total'), type === 'counter', `${name} is a ${type}`);
    }
    assert.equal(metrics.contentType.split(';')[0], 'text/plain');
  });

  it('exports each figure with the node it came from', async () => {
    const text = await metrics.render();
    assert.equal(sample(text, 'relaycast_segments_total', { node_id: 'w1', stream: 'live', rendition: 'main' }), 1);
    assert.equal(sample(text, 'relaycast_rendition_last_segment_age_seconds', { node_id: 'w1' }), 60);
    assert.equal(sample(text, 'relaycast_upload_puts_total', { node_id: 'u1', stream: 'live' }), 2);
    assert.equal(sample(text, 'relaycast_upload_retries_total', { node_id: 'u1' }), 1);
    assert.equal(sample(text, 'relaycast_upload_queued_uploads', { node_id: 'u1' }), 1);
    assert.equal(sample(text, 'relaycast_playlist_media_sequence', { node_id: 'm1', playlist: 'main' }), 7);
    assert.equal(sample(text, 'relaycast_origin_playlist_requests_total', { node_id: 'm1' }), 1);
    assert.equal(sample(text, 'relaycast_swarm_peers', { node_id: 's1', rendition: 'main' }), 2);
    assert.equal(sample(text, 'relaycast_audience_p2p_ratio', { stream: 'live' }), 0.75);
    assert.equal(sample(text, 'relaycast_viewer_seconds_total', { node_id: 's1' }), 120);
    assert.equal(sample(text, 'relaycast_origin_playlist_requests_per_viewer_minute', { stream: 'live' }), 0.5);
    assert.equal(sample(text, 'relaycast_r2_class_b_operations_total', { stream: 'live' }), 1);
    assert.equal(sample(text, 'relaycast_payout_pending_minor_units', { node_id: 'p1' }), 42);
    assert.ok(sample(text, 'relaycast_cost_usd_total', { stream: 'live', scenario: 'all_from_origin' })! > 0);
  });

  it('moves with the figures between scrapes', async () => {
    reports = [{ ...reports[0], p2pBytes: 9000, stalls: 1 }];
    const text = await metrics.render();
    assert.equal(sample(text, 'relaycast_audience_p2p_bytes_total', { node_id: 's1' }), 9000);
    assert.equal(sample(text, 'relaycast_audience_stalls_total', { node_id: 's1' }), 1);
  });
});
