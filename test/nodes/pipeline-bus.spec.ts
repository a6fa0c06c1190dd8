// The delivery receipts and playlist listings that hls-watch, r2-upload and manifest exchange beside
// their wires belong to one pipeline (a relaycast-pipeline config node, or the default pipeline of a
// flow tab), never to the whole Node-RED process. Shown with two pipelines that carry the same stream
// id: hls-watch journals what it sends, and sends it again after a restart, only while a manifest of
// its own pipeline will confirm it; a manifest of the other pipeline must change nothing. Here
// hls-watch is wired to a sink, not to the manifest, so nothing is ever confirmed: a restart sends
// every segment again exactly when hls-watch believes a manifest confirms for it. Likewise for the
// listings: r2-upload warns that its cleanup follows Keep alone exactly when no manifest of its own
// pipeline reports what it lists. And a pipeline (config node or tab default) outlives a partial
// deploy that restarts manifest alone, so the two stay on one bus.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NodeAPI } from 'node-red';
import type { SegmentMsg } from '../../lib/protocol/msgs';
import { startLocalS3, type LocalS3 } from '../../devtools/local-s3';
import { distNode, helper } from '../support/node-red';
import { segmentMsg } from '../support/manifest-msgs';
import { syntheticSegmentMsg } from '../unit/upload/support/fixture-segments';
import { until } from '../support/until';

const modules = [distNode('hls-watch'), distNode('manifest'), distNode('pipeline')];

let received: SegmentMsg[] = [];
let errors: Array<{ error: { code?: string; source: { id: string } } }> = [];
/** The topics of the input msgs hls-watch has finished handling (done(), seen by a Complete node). */
let handled: string[] = [];

function sinkModule(RED: NodeAPI): void {
  function Sink(this: { on: (ev: string, fn: (...a: never[]) => void) => void }, config: { kind: 'out' | 'errors' | 'handled' }) {
    RED.nodes.createNode(this as never, config as never);
    this.on('input', ((msg: Record<string, unknown>, _send: unknown, done: () => void) => {
      if (config.kind === 'errors') errors.push(msg as never);
      else if (config.kind === 'handled') handled.push(String(msg.topic));
      else if (msg.topic === 'segment') received.push(msg as unknown as SegmentMsg);
      done();
    }) as never);
  }
  RED.nodes.registerType('test-sink', Sink as never);
}

const watchNode = (z: string, folder: string, pipeline?: string) => ({
  id: 'watch',
  type: 'relaycast-hls-watch',
  z,
  stream: 'cam',
  path: folder,
  renditions: 'all',
  usePolling: false,
  pollInterval: 250,
  maxSegmentMB: 64,
  segmentWait: 3000,
  ...(pipeline ? { pipeline } : {}),
  x: 100,
  y: 40,
  wires: [['out-sink']],
});
const manifestNode = (z: string, pipeline?: string) => ({
  id: 'manifest',
  type: 'relaycast-manifest',
  z,
  stream: 'cam',
  windowSegments: 6,
  targetDuration: 0,
  dvr: false,
  gapMode: 'gap',
  blockingReload: false,
  idleEndSeconds: 0,
  ...(pipeline ? { pipeline } : {}),
  x: 100,
  y: 100,
  wires: [[]],
});
const sinks = (z: string) => [
  { id: 'out-sink', type: 'test-sink', z, kind: 'out', x: 300, y: 40, wires: [] },
  { id: 'catch', type: 'catch', z, scope: null, uncaught: false, x: 100, y: 160, wires: [['error-sink']] },
  { id: 'error-sink', type: 'test-sink', z, kind: 'errors', x: 300, y: 160, wires: [] },
  { id: 'complete', type: 'complete', z, scope: ['watch'], uncaught: false, x: 100, y: 220, wires: [['handled-sink']] },
  { id: 'handled-sink', type: 'test-sink', z, kind: 'handled', x: 300, y: 220, wires: [] },
];

/** Lists segments 0 … count-1, writing only the new ones (a rewritten one would look like an encoder restart). */
function writePlaylist(folder: string, count: number): void {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:2', '#EXT-X-MEDIA-SEQUENCE:0'];
  for (let i = 0; i < count; i++) {
    const file = path.join(folder, `s${i}.ts`);
    if (!existsSync(file)) writeFileSync(file, Buffer.alloc(188, i + 1));
    lines.push('#EXTINF:2.000000,', `s${i}.ts`);
  }
  writeFileSync(path.join(folder, 'index.m3u8.tmp'), lines.join('\n') + '\n');
  renameSync(path.join(folder, 'index.m3u8.tmp'), path.join(folder, 'index.m3u8'));
}

describe('pipelines: receipts and listings stay within one pipeline', function () {
  this.timeout(60_000);
  let work: string;
  let folder: string;

  beforeEach(() => {
    received = [];
    errors = [];
    handled = [];
    work = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'relaycast-pipeline-')));
    folder = path.join(work, 'hls');
    mkdirSync(folder);
    helper.settings({ userDir: path.join(work, 'userdir') });
  });
  afterEach(async () => {
    await helper.unload();
    rmSync(work, { recursive: true, force: true });
  });

  /**
   * Three segments, a stop and a start of hls-watch with a fourth listed meanwhile: what it sends,
   * as `sequence` plus `r` when redelivered, once the fourth has arrived (the unconfirmed, if any,
   * go out before it in the first pass after the start).
   */
  async function restartWatch(): Promise<string[]> {
    writePlaylist(folder, 3);
    await until(
      () => received.length === 3,
      'the first three segments',
      20_000,
      10,
      () => JSON.stringify(received.map((m) => m.segment.sequence)),
    );
    const watch = helper.getNode('watch');
    watch.receive({ topic: 'stop' } as never);
    await until(() => handled.includes('stop'), 'hls-watch stopped');
    writePlaylist(folder, 4);
    watch.receive({ topic: 'start' } as never);
    await until(() => received.some((m) => m.segment.sequence === 3), 'the fourth segment after the start');
    assert.deepEqual(
      errors.map((e) => e.error.code),
      [],
    );
    return received.map((m) => `${m.segment.sequence}${m.segment.redelivered ? 'r' : ''}`);
  }

  it("one tab, two relaycast-pipeline nodes: the manifest of one does not make the other's hls-watch send again", async () => {
    await helper.load(
      [...modules, sinkModule] as never,
      [
        { id: 'tab', type: 'tab', label: 'two pipelines' },
        { id: 'recording-pipeline', type: 'relaycast-pipeline', name: 'recording' },
        { id: 'stage-pipeline', type: 'relaycast-pipeline', name: 'stage' },
        watchNode('tab', folder, 'recording-pipeline'),
        manifestNode('tab', 'stage-pipeline'),
        ...sinks('tab'),
      ] as never,
    );
    assert.deepEqual(await restartWatch(), ['0', '1', '2', '3']);
  });

  it("two tabs without a pipeline: the manifest of one tab does not make the other tab's hls-watch send again", async () => {
    await helper.load(
      [...modules, sinkModule] as never,
      [
        { id: 'recording-tab', type: 'tab', label: 'recording' },
        { id: 'stage-tab', type: 'tab', label: 'stage' },
        watchNode('recording-tab', folder),
        manifestNode('stage-tab'),
        ...sinks('recording-tab'),
      ] as never,
    );
    assert.deepEqual(await restartWatch(), ['0', '1', '2', '3']);
  });

  // The controls: the same flows with hls-watch and manifest in one pipeline. Never confirmed, every
  // segment goes out again after the restart, which shows the cases above would have seen it.
  it('hls-watch and manifest naming the same relaycast-pipeline share its receipts', async () => {
    await helper.load(
      [...modules, sinkModule] as never,
      [
        { id: 'tab', type: 'tab', label: 'one pipeline' },
        { id: 'stage-pipeline', type: 'relaycast-pipeline', name: 'stage' },
        watchNode('tab', folder, 'stage-pipeline'),
        manifestNode('tab', 'stage-pipeline'),
        ...sinks('tab'),
      ] as never,
    );
    assert.deepEqual(await restartWatch(), ['0', '1', '2', '0r', '1r', '2r', '3']);
  });

  it('without a pipeline, hls-watch and manifest of one tab share its default pipeline', async () => {
    await helper.load(
      [...modules, sinkModule] as never,
      [{ id: 'tab', type: 'tab', label: 'legacy flow' }, watchNode('tab', folder), manifestNode('tab'), ...sinks('tab')] as never,
    );
    assert.deepEqual(await restartWatch(), ['0', '1', '2', '0r', '1r', '2r', '3']);
  });

  // A partial deploy that restarts manifest alone: hls-watch, still running, must hear the new
  // manifest announce itself on the same bus (the pipeline, or the tab's default, outlives it).
  for (const withPipeline of [true, false]) {
    it(`a partial deploy restarting manifest alone keeps it on hls-watch's ${withPipeline ? 'relaycast-pipeline' : 'tab default pipeline'}: the unconfirmed go out again`, async () => {
      const flow = (manifestName: string) => [
        { id: 'tab', type: 'tab', label: 'partial deploy' },
        ...(withPipeline ? [{ id: 'stage-pipeline', type: 'relaycast-pipeline', name: 'stage' }] : []),
        watchNode('tab', folder, withPipeline ? 'stage-pipeline' : undefined),
        { ...manifestNode('tab', withPipeline ? 'stage-pipeline' : undefined), name: manifestName },
        ...sinks('tab'),
      ];
      await helper.load([...modules, sinkModule] as never, flow('') as never);
      writePlaylist(folder, 3);
      await until(() => received.length === 3, 'the first three segments');
      await helper.setFlows(flow('restarted') as never, 'nodes');
      await until(
        () => received.length === 6,
        'the three unconfirmed sent again',
        20_000,
        10,
        () => JSON.stringify(received.map((m) => m.segment.sequence)),
      );
      assert.deepEqual(
        received.map((m) => `${m.segment.sequence}${m.segment.redelivered ? 'r' : ''}`),
        ['0', '1', '2', '0r', '1r', '2r'],
      );
    });
  }

  it('a pipeline that is not deployed stops hls-watch and manifest at deploy with their config codes', async () => {
    await helper.load(
      [...modules, sinkModule] as never,
      [{ id: 'tab', type: 'tab', label: 'missing pipeline' }, watchNode('tab', folder, 'gone'), manifestNode('tab', 'gone'), ...sinks('tab')] as never,
    );
    // Both refuse what they are sent with their config code (hls-watch also reports it at deploy,
    // before the Catch node may be wired).
    helper.getNode('watch').receive({ topic: 'start' } as never);
    helper.getNode('manifest').receive({ topic: 'segment' } as never);
    const refused = (): string[] => [...new Set(errors.map((e) => `${e.error.source.id} ${e.error.code}`))].sort();
    await until(
      () => refused().length >= 2,
      'both nodes refusing a msg',
      20_000,
      10,
      () => refused().join(),
    );
    assert.deepEqual(refused(), ['manifest E_MANIFEST_CONFIG', 'watch E_CONFIG']);
  });
});

describe("pipelines: r2-upload's cleanup is guarded only by a manifest of its own pipeline", function () {
  this.timeout(60_000);
  let s3: LocalS3;
  let work: string;

  before(async () => {
    s3 = await startLocalS3({ bucket: 'relaycast' });
  });
  after(async () => {
    await s3?.stop();
  });
  beforeEach(() => {
    work = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'relaycast-pipeline-cleanup-')));
    helper.settings({ userDir: work });
  });
  afterEach(async () => {
    await helper.unload();
    rmSync(work, { recursive: true, force: true });
  });

  /**
   * manifest lists a segment of stream cam (not one r2-upload stored); r2-upload, keeping 1, stores
   * three and deletes the oldest once its availability and grace have passed (a few seconds).
   * Returns whether r2-upload warned, before that deletion, that no manifest guards its cleanup.
   */
  async function cleanupWarned(uploadPipeline: string, manifestPipeline: string): Promise<boolean> {
    await helper.load(
      [distNode('r2-bucket'), distNode('r2-upload'), distNode('manifest'), distNode('pipeline')] as never,
      [
        { id: 'tab', type: 'tab', label: 'cleanup' },
        { id: 'upload-pipeline', type: 'relaycast-pipeline', name: 'upload' },
        { id: 'manifest-pipeline', type: 'relaycast-pipeline', name: 'playlists' },
        {
          id: 'bucket',
          type: 'relaycast-r2-bucket',
          provider: 's3',
          endpoint: s3.endpoint,
          region: 'auto',
          bucket: s3.bucket,
          publicBaseUrl: s3.publicBaseUrl,
          keyPrefix: 'live',
          forcePathStyle: true,
        },
        {
          id: 'upload',
          type: 'relaycast-r2-upload',
          z: 'tab',
          bucket: 'bucket',
          pipeline: uploadPipeline,
          keepAll: false,
          keepSegments: 1,
          x: 100,
          y: 40,
          wires: [['stored']],
        },
        { id: 'stored', type: 'helper', z: 'tab', x: 300, y: 40 },
        {
          id: 'manifest',
          type: 'relaycast-manifest',
          z: 'tab',
          stream: 'cam',
          pipeline: manifestPipeline,
          windowSegments: 6,
          targetDuration: 0,
          x: 100,
          y: 100,
          wires: [['listed']],
        },
        { id: 'listed', type: 'helper', z: 'tab', x: 300, y: 100 },
      ] as never,
      { bucket: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } } as never,
    );
    const listed: unknown[] = [];
    helper.getNode('listed').on('input', (msg: unknown) => listed.push(msg));
    helper.getNode('manifest').receive(segmentMsg({ stream: 'cam', sequence: 0 }) as never);
    await until(() => listed.length > 0, 'manifest listing its segment');

    const urls: string[] = [];
    helper.getNode('stored').on('input', (msg: unknown) => urls.push((msg as SegmentMsg).segment.url!));
    const upload = helper.getNode('upload');
    for (let i = 0; i < 3; i++) upload.receive(syntheticSegmentMsg(i, 1000, { stream: 'cam', session: 'stored', duration: 0.1 }) as never);
    await until(() => urls.length === 3, 'three segments stored');
    await until(async () => (await fetch(urls[0])).status === 404, 'the oldest segment deleted', 30_000, 100);
    const warnings = (upload as unknown as { warn: { args: unknown[][] } }).warn.args.map((args) => String(args[0]));
    return warnings.some((text) => text.includes('cleanup deletes by its Keep count alone'));
  }

  it('a manifest of another pipeline, same stream id: r2-upload warns that Keep alone decides', async () => {
    assert.equal(await cleanupWarned('upload-pipeline', 'manifest-pipeline'), true);
  });

  // The control: with the manifest in its pipeline, r2-upload deletes by Keep without the warning.
  it('a manifest of its own pipeline: no warning', async () => {
    assert.equal(await cleanupWarned('upload-pipeline', 'upload-pipeline'), false);
  });
});
