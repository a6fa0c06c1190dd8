// `npm start -- --ingest`: the demo flow with an ingest node in the place of the demo's hls-watch
// (its folder, stream, pipeline and segment wires), its key only as an ${ENV} reference, and a key
// kept per run folder.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoStreamKey, INGEST_NODE_ID, obsInstructions, withIngest } from '../../demo/ingest-mode';

const demoDir = path.resolve(__dirname, '../../demo');

describe('demo ingest mode', () => {
  it("puts an ingest node in hls-watch's place (ingest → r2-upload → manifest), with the key as an environment reference only", () => {
    const flow = JSON.parse(readFileSync(path.join(demoDir, 'flows.json'), 'utf8'));
    const creds = JSON.parse(readFileSync(path.join(demoDir, 'flows_cred.json'), 'utf8'));
    const watch = flow.find((n: { type: string }) => n.type === 'relaycast-hls-watch');
    const result = withIngest(flow, creds);
    const ingest = result.flow.find((n) => n.id === INGEST_NODE_ID)!;
    assert.equal(ingest.type, 'relaycast-ingest');
    assert.deepEqual([ingest.path, ingest.stream, ingest.pipeline], [watch.path, watch.stream, watch.pipeline]);
    assert.deepEqual(ingest.wires, [watch.wires[0], []], 'output 1 feeds what hls-watch fed (r2-upload first); output 2, publish events, nothing');
    const upload = result.flow.find((n) => n.type === 'relaycast-r2-upload')!;
    assert.ok((ingest.wires as string[][])[0]!.includes(upload.id));
    assert.ok(!result.flow.some((n) => n.type === 'relaycast-hls-watch'), 'no second watcher on the folder');
    assert.ok(!JSON.stringify(result.flow).includes(watch.id), 'nothing refers to the removed hls-watch');
    assert.deepEqual(result.credentials[INGEST_NODE_ID], { streamKey: '${RELAYCAST_DEMO_STREAM_KEY}' });
    assert.equal(result.flow.length, flow.length);
  });

  it('makes a strong key once per run folder, keeps it private, and lets the environment override it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-demo-key-'));
    try {
      const key = demoStreamKey(dir, undefined);
      assert.ok(key.length >= 16);
      assert.equal(demoStreamKey(dir, undefined), key, 'the same key at the next start');
      assert.equal(statSync(path.join(dir, 'stream-key')).mode & 0o077, 0, 'readable by its owner only');
      assert.equal(demoStreamKey(dir, 'from-the-environment-123'), 'from-the-environment-123');
      assert.throws(() => demoStreamKey(dir, 'short'), { code: 'E_CONFIG' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints the server URL, the key and the keyframe interval for OBS', () => {
    const text = obsInstructions('rtmp://127.0.0.1:1935/live', 'the-key-0123456789', 'http://x/live/demo/').join('\n');
    for (const part of ['rtmp://127.0.0.1:1935/live', 'the-key-0123456789', 'Keyframe Interval 2 s', 'CBR', 'http://x/live/demo/'])
      assert.ok(text.includes(part), part);
  });
});
