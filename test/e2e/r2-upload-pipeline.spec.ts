// End to end: the demo encoder writes a live HLS stream into a folder, relaycast-hls-watch picks up
// every finished segment, relaycast-r2-upload publishes it to a real local S3 server (through the
// fault-injecting proxy), and every public URL it emits must return exactly the encoder's bytes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DemoEncoder } from '../../devtools/demo-encoder';
import { startFaultProxy, type FaultProxy } from '../../devtools/fault-proxy';
import { startLocalS3, type LocalS3 } from '../../devtools/local-s3';
import type { SegmentMsg } from '../../lib/protocol/msgs';
import { distNode, helper } from '../support/node-red';
import { fetchBytes, sha256 } from '../unit/upload/support/harness';
import { until } from '../support/until';

const FIXTURES = path.resolve(__dirname, '../fixtures/hls');

describe('e2e: demo encoder → hls-watch → r2-upload → public URLs', function () {
  this.timeout(60_000);
  let s3: LocalS3;
  let proxy: FaultProxy;
  let dir: string;

  before(async () => {
    s3 = await startLocalS3({ bucket: 'relaycast' });
  });
  after(async () => {
    await s3.stop();
  });
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-e2e-r2-'));
    // About 20 % of uploads fail on the way (5xx, 429, resets, stalls): the pipeline must not notice.
    // The first PUT always fails, so even a short stream meets at least one fault.
    let puts = 0;
    proxy = await startFaultProxy({
      target: s3.endpoint,
      faultRate: 0.2,
      seed: 4242,
      stallMs: 5000,
      rule: (method) => (method === 'PUT' && puts++ === 0 ? '5xx' : undefined),
    });
  });
  afterEach(async () => {
    await helper.unload();
    await proxy.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const fixture of ['fmp4-single', 'ts-multi']) {
    it(`${fixture}: every emitted URL serves exactly the bytes the encoder wrote, in order, nothing lost`, async () => {
      // Not created up front: the encoder makes the folder itself while hls-watch is already waiting
      // for it, so a segment written right after mkdir must not be missed either.
      const out = path.join(dir, 'hls');
      const flow = [
        { id: 'tab', type: 'tab', label: 'e2e' },
        {
          id: 'w1',
          type: 'relaycast-hls-watch',
          z: 'tab',
          path: out,
          stream: 'e2e',
          renditions: 'all',
          usePolling: false,
          pollInterval: 100,
          maxSegmentMB: 64,
          wires: [['u1']],
        },
        {
          id: 'b1',
          type: 'relaycast-r2-bucket',
          z: 'tab',
          provider: 's3',
          endpoint: proxy.endpoint,
          region: 'auto',
          bucket: s3.bucket,
          publicBaseUrl: s3.publicBaseUrl,
          keyPrefix: 'e2e',
          forcePathStyle: true,
        },
        { id: 'u1', type: 'relaycast-r2-upload', z: 'tab', bucket: 'b1', concurrency: 4, maxAttempts: 8, attemptTimeout: 1, wires: [['out']] },
        { id: 'out', type: 'helper', z: 'tab' },
      ];
      await helper.load([distNode('hls-watch'), distNode('r2-bucket'), distNode('r2-upload')] as never, flow, {
        b1: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      });
      // hls-watch starts watching asynchronously; the encoder starts once it reports a status.
      // (status is a sinon spy on Node.prototype, shared by all nodes: look for a call made by w1)
      const statusSpy = helper.getNode('w1').status as unknown as { getCalls(): Array<{ thisValue: { id: string } }> };
      await until(() => statusSpy.getCalls().some((call) => call.thisValue.id === 'w1'), 'hls-watch status');
      const received: Array<Record<string, unknown>> = [];
      helper.getNode('out').on('input', (msg: Record<string, unknown>) => received.push(msg));
      const encoder = new DemoEncoder({ fixture: path.join(FIXTURES, fixture), outDir: out, speed: 20 });
      await encoder.start();
      await encoder.finished();
      const renditions = [...new Set(encoder.written.map((w) => w.rendition))];
      await until(
        () =>
          renditions.every((r) =>
            received.some(
              (m) =>
                m.topic === 'lifecycle' &&
                (m.payload as { event: string; rendition: string }).event === 'ended' &&
                (m.payload as { rendition: string }).rendition === r,
            ),
          ),
        'ended on every rendition',
      );

      const segments = received.filter((m): m is SegmentMsg & Record<string, unknown> => m.topic === 'segment');
      assert.equal(received.filter((m) => m.topic === 'gap').length, 0, 'no gaps');
      for (const rendition of renditions) {
        const written = encoder.written.filter((w) => w.rendition === rendition);
        const emitted = segments.filter((m) => m.segment.rendition === rendition);
        assert.deepEqual(
          emitted.map((m) => m.segment.sha256),
          written.map((w) => w.sha256),
          `rendition ${rendition}: not every segment, or out of order`,
        );
        // 'ended' comes after the rendition's last segment, never before it.
        const endedAt = received.findIndex(
          (m) =>
            m.topic === 'lifecycle' &&
            (m.payload as { event: string; rendition: string }).event === 'ended' &&
            (m.payload as { rendition: string }).rendition === rendition,
        );
        assert.ok(received.indexOf(emitted.at(-1)!) < endedAt);
      }
      for (const msg of segments) {
        const { status, bytes } = await fetchBytes(msg.segment.url!);
        assert.equal(status, 200, msg.segment.url);
        assert.equal(sha256(bytes), msg.segment.sha256);
        if (msg.init) {
          const init = await fetchBytes(msg.init.url!);
          assert.equal(init.status, 200);
          assert.equal(sha256(init.bytes), msg.init.sha256);
        }
      }
      assert.ok(Object.values(proxy.counts.injected).reduce((a, b) => a + b, 0) > 0, 'the proxy injected faults');
    });
  }
});
