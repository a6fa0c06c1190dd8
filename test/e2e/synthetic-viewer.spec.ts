// Synthetic viewers end to end: three of them (the browser's peer engine on @roamhq/wrtc, driven
// by the simulated player of devtools/synthetic-viewer) in this process, against a live pipeline
// in a real Node-RED runtime (demo encoder → hls-watch → r2-upload → local S3 → manifest →
// signaling). They follow the live playlist, play without stalling, get part of what they play
// from each other over WebRTC, and every segment they played is the origin's, byte for byte.
// Runs in the loopback-only namespace (npm run test:webrtc).
import assert from 'node:assert/strict';
import path from 'node:path';
import { DemoEncoder } from '../../devtools/demo-encoder';
import { loopbackSource, startSyntheticViewers, type SyntheticSwarm } from '../../devtools/synthetic-viewer';
import { HONEST_RECEIPT_REFUSALS, type SignalErrorCode } from '../../lib/protocol';
import { requireLoopbackOnlyNetwork } from '../support/chromium';
import { startSwarmPipeline, type SwarmPipeline } from '../support/swarm';
import { until } from '../support/until';

const STREAM = 'synth';
const FIXTURE = path.resolve(__dirname, '../fixtures/hls/ts-single');
const VIEWERS = 3;
const PLAYED_SECONDS = 24;

describe('e2e: synthetic viewers play a live stream through the peer engine', function () {
  this.timeout(180_000);
  let pipeline: SwarmPipeline;
  let encoder: DemoEncoder;
  let swarm: SyntheticSwarm | undefined;
  const played = new Map<string, Array<{ url: string; bytes: Uint8Array }>>();

  before(async () => {
    requireLoopbackOnlyNetwork('test/e2e/synthetic-viewer.spec.ts');
    pipeline = await startSwarmPipeline({ stream: STREAM, statsInterval: 2 });
    encoder = new DemoEncoder({ fixture: FIXTURE, outDir: pipeline.hlsDir, speed: 1, loop: true });
    await encoder.start();
    await until(() => pipeline.stats.some((s) => (s.announcements as number) >= 3), 'three announced segments', 60_000);
  });

  after(async () => {
    swarm?.stop();
    await encoder?.stop().catch(() => undefined);
    await pipeline?.stop();
  });

  it(`${VIEWERS} synthetic viewers: no stalls, peer bytes for each, every played segment equal to the origin's`, async () => {
    swarm = await startSyntheticViewers({
      masterUrl: `${pipeline.base}/live/${STREAM}/master.m3u8`,
      signalingUrl: `${pipeline.base.replace(/^http/, 'ws')}/relaycast/signal`,
      viewers: VIEWERS,
      joinEveryMs: 500,
      // Each its own address, as distinct homes (signaling dedupes receipts per address).
      localAddress: loopbackSource,
      onSegment: (viewer, segment, bytes) => {
        const list = played.get(viewer) ?? [];
        list.push({ url: segment.url, bytes: bytes.slice() });
        played.set(viewer, list);
      },
    });
    const figures = () => swarm!.report().viewers;
    const seen = () => JSON.stringify(figures());
    await until(
      () => figures().length === VIEWERS && figures().every((f) => f.playedSeconds >= PLAYED_SECONDS),
      `${PLAYED_SECONDS} s played by each`,
      120_000,
      200,
      seen,
    );
    await until(() => figures().every((f) => f.playedPeerBytes > 0), 'peer bytes played by each', 60_000, 200, seen);
    const report = swarm.report();
    console.log(
      `      played from peers ${(report.swarm.offloadPlayed * 100).toFixed(1)} % (ceiling ${(report.swarm.ceiling * 100).toFixed(1)} %), unplayed peer bytes ${(report.swarm.unusedPeerShare * 100).toFixed(1)} %, TTFF p50 ${report.swarm.ttffMsMedian} ms, latency p50 ${report.swarm.latencyMsMedian} ms`,
    );
    for (const f of report.viewers) {
      assert.equal(f.stalls, 0, `${f.id} stalled: ${JSON.stringify(f)}`);
      // Receipt refusals an honest client cannot avoid (a segment from two uploaders files two receipts
      // and signaling keeps one per address; an uploader that joined after the announcement) are the
      // protocol's own HONEST_RECEIPT_REFUSALS, not this viewer's failure. Anything else is.
      assert.deepEqual(
        f.errors.filter((e) => !HONEST_RECEIPT_REFUSALS.has(e.split(':')[0] as SignalErrorCode)),
        [],
        `${f.id} had errors`,
      );
      assert.ok(f.ttffMs !== undefined && f.latencyMs !== undefined, `${f.id} started and measured its latency`);
      assert.ok(f.uploadedBytes > 0 || report.viewers.some((o) => o !== f && o.uploadedBytes > 0), 'someone uploaded');
    }
    assert.ok(report.swarm.offloadPlayed > 0, 'the swarm played media from peers');
    // Byte for byte against the origin (r2-upload keeps every segment: keepAll).
    let compared = 0;
    for (const [viewer, segments] of played) {
      const sequence = segments.map((s) => s.url);
      assert.equal(new Set(sequence).size, sequence.length, `${viewer} played a segment twice`);
      for (const { url, bytes } of segments) {
        const origin = new Uint8Array(await (await fetch(url)).arrayBuffer());
        assert.ok(Buffer.from(origin).equals(Buffer.from(bytes)), `${viewer}: ${url} differs from the origin's`);
        compared++;
      }
    }
    assert.ok(compared >= VIEWERS * (PLAYED_SECONDS / 4), `compared ${compared} segments`);
  });
});
