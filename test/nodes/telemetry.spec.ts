/**
 * The nodes feed the runtime's telemetry (on both Node-RED majors: CI runs test/nodes under
 * node-red 5 too): hls-watch on a live encoder folder and manifest fed stored-segment msgs, in the
 * test helper's runtime;
 * /relaycast/metrics on the admin app shows their figures with their node ids, the comms topic
 * relaycast/telemetry carries them, and a closed node's figures leave the view.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NodeAPI } from 'node-red';
import { DemoEncoder } from '../../devtools/demo-encoder';
import type { TelemetrySnapshot } from '../../lib/telemetry/snapshot';
import { distNode, helper } from '../support/node-red';
import { segmentMsg } from '../support/manifest-msgs';
import { untilValue } from '../support/until';

const FIXTURE = path.resolve(__dirname, '../fixtures/hls/ts-single');

function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('relaycast telemetry from the nodes (runtime)', function () {
  this.timeout(60_000);
  let work: string;
  let encoder: DemoEncoder | undefined;
  let RED: NodeAPI | undefined;
  const published: TelemetrySnapshot[] = [];
  const onComms = (event: { topic?: string; data?: TelemetrySnapshot }) => {
    if (event.topic === 'relaycast/telemetry' && event.data) published.push(event.data);
  };
  // Keeps the RED object the runtime hands the module, to listen to its comms events.
  const hlsWatch = (red: NodeAPI) => {
    RED = red;
    return (distNode('hls-watch') as (r: NodeAPI) => void)(red);
  };

  beforeEach(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'relaycast-telemetry-'));
  });
  afterEach(async () => {
    (RED?.events as unknown as NodeJS.EventEmitter | undefined)?.removeListener('comms', onComms);
    await encoder?.stop();
    await helper.unload();
    rmSync(work, { recursive: true, force: true });
  });

  it('exports hls-watch and manifest figures, publishes them to the editor, and drops a closed node', async () => {
    const dir = path.join(work, 'hls');
    const flow = [
      { id: 'tab', type: 'tab' },
      {
        id: 'w1',
        type: 'relaycast-hls-watch',
        z: 'tab',
        path: dir,
        stream: 'live',
        renditions: 'all',
        pollInterval: 100,
        maxSegmentMB: 64,
        segmentWait: 3000,
        wires: [[]],
      },
      { id: 'm1', type: 'relaycast-manifest', z: 'tab', stream: 'live', windowSegments: 6, targetDuration: 0, idleEndSeconds: 0, wires: [[]] },
    ];
    await helper.load([hlsWatch, distNode('manifest')] as never, flow as never);
    (RED!.events as unknown as NodeJS.EventEmitter).on('comms', onComms);
    encoder = new DemoEncoder({ fixture: FIXTURE, outDir: dir, speed: 8, loop: true });
    await encoder.start();
    // As r2-upload passes them on: stored segments with their public URLs.
    for (let sequence = 0; sequence < 3; sequence++)
      helper.getNode('m1').receive(segmentMsg({ stream: 'live', rendition: 'main', sequence, duration: 2 }) as never);

    const metrics = async () => {
      const res = await helper.request().get('/relaycast/metrics');
      assert.equal(res.status, 200);
      return res.text as string;
    };
    const first = await untilValue(
      async () => {
        const text = await metrics();
        return (sample(text, 'relaycast_playlist_versions_total', { node_id: 'm1', stream: 'live', playlist: 'main' }) ?? 0) > 0 &&
          (sample(text, 'relaycast_segments_total', { node_id: 'w1', stream: 'live', rendition: 'main' }) ?? 0) > 0
          ? text
          : undefined;
      },
      'segments and playlist versions',
      20_000,
      50,
    );
    const segments = sample(first, 'relaycast_segments_total', { node_id: 'w1', stream: 'live', rendition: 'main' })!;
    assert.equal(sample(first, 'relaycast_playlist_media_sequence', { node_id: 'm1', playlist: 'main' }), 0);
    await untilValue(
      async () => (sample(await metrics(), 'relaycast_segments_total', { node_id: 'w1' })! > segments ? true : undefined),
      'the segment count to grow',
      20_000,
      50,
    );

    const snapshot = await untilValue(
      () => published.find((s) => s.streams.some((st) => st.stream === 'live' && st.playlists.length > 0 && st.renditions.length > 0)),
      'a telemetry snapshot on comms with the stream',
      20_000,
      50,
    );
    const stream = snapshot.streams.find((s) => s.stream === 'live')!;
    assert.equal(stream.renditions[0].node.id, 'w1');
    assert.equal(stream.renditions[0].node.type, 'relaycast-hls-watch');
    assert.ok(stream.playlists.some((p) => p.node.id === 'm1' && p.rendition === 'main'));

    await helper.clearFlows();
    const after = await metrics();
    assert.equal(sample(after, 'relaycast_segments_total', { node_id: 'w1' }), undefined, 'a closed node leaves the metrics');
  });
});
