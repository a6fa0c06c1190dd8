// #14 defect 9, partial deploys: a deploy of type "nodes" restarts only the nodes it changed, so
// manifest, or r2-upload, or both, restart while hls-watch runs on, and Node-RED drops what is sent
// to them meanwhile (r2-upload's releases while manifest is stopped: stored, never listed;
// hls-watch's segments while r2-upload is stopped: never stored). Here, in a real Node-RED process
// (red.js), mid-upload with a slow store behind the fault proxy, in a loop, with a demo encoder
// writing all along; and one "flows" deploy, which restarts the whole wired chain. Afterwards every
// segment the encoder wrote is stored byte for byte and listed exactly once in manifest's DVR
// playlist, and no media sequence number ever named two URIs.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DemoEncoder } from '../../devtools/demo-encoder';
import { seededRandom } from '../../devtools/fault-proxy/seeded-random';
import { assertDeliveredOnce, PlaylistWatch, startSlowStore, type SlowStore } from '../support/delivery-pipeline';
import { redeploy, startNodeRed, type DeployType, type NodeRedProcess } from '../support/node-red-process';
import { until } from '../support/until';

const FIXTURE = path.resolve(__dirname, '../fixtures/hls/ts-single');
/** Which nodes each partial deploy changes (its name: x and y would not restart it), by deploy type. */
const CYCLE: { change: ('manifest' | 'upload')[]; type: DeployType }[] = [
  { change: ['manifest'], type: 'nodes' },
  { change: ['upload'], type: 'nodes' },
  { change: ['manifest', 'upload'], type: 'nodes' },
];
const ROUNDS = 3;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('hls-watch → r2-upload → manifest across partial deploys mid-upload (#14 defect 9)', function () {
  this.timeout(300_000);
  let dir: string;
  let store: SlowStore;
  let encoder: DemoEncoder | undefined;
  let nodeRed: NodeRedProcess | undefined;
  /** Segment PUTs the store received so far, and per key (a second identical PUT is allowed). */
  let segmentPuts = 0;
  const putsPerKey = new Map<string, number>();

  before(async () => {
    store = await startSlowStore((method, url) => {
      if (method === 'PUT' && /\/seg-\d+\.ts/.test(url)) {
        segmentPuts += 1;
        const key = url.split('?')[0];
        putsPerKey.set(key, (putsPerKey.get(key) ?? 0) + 1);
      }
      return undefined; // the drawn outcome: no fault at rate 0
    });
  });
  after(async () => {
    await store?.stop();
  });
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-delivery-partial-'));
  });
  afterEach(async () => {
    await nodeRed?.kill();
    await encoder?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores and lists every segment exactly once, and no MSN names two URIs', async () => {
    const random = seededRandom(202612015);
    const hlsDir = path.join(dir, 'hls');
    // listSize 0: the encoder keeps every segment listed and on disk, so all of them must arrive.
    encoder = new DemoEncoder({ fixture: FIXTURE, outDir: hlsDir, speed: 8, loop: true, listSize: 0 });
    let listings = 0;
    encoder.on('playlist', () => {
      listings += 1;
    });
    nodeRed = await startNodeRed({
      userDir: path.join(dir, 'userdir'),
      ...store.nodeRed(hlsDir),
    });
    const running = nodeRed;
    const watch = new PlaylistWatch(() => running.base);
    const explain = (): string => running.output().slice(-3000);
    const rename = (ids: string[], round: number) => (flows: Record<string, unknown>[]) =>
      flows.map((n) => (ids.includes(n.id as string) ? { ...n, name: `restarted ${round}` } : n));

    try {
      await encoder.start();
      let deploys = 0;
      for (let round = 0; round < ROUNDS; round++) {
        for (const { change, type } of CYCLE) {
          await watch.grown(2, explain);
          if (change.includes('upload')) {
            // Just after a listing: the new segment's PUT is in flight, r2-upload's close waits for
            // it, and hls-watch's next segment meets a stopped r2-upload.
            const before = listings;
            await until(() => listings > before, 'the encoder listing a segment');
            await sleep(30);
          } else {
            // Somewhere within a PUT's 150–400 ms: its release may meet a stopped manifest.
            const before = segmentPuts;
            await until(() => segmentPuts > before, 'a segment PUT reaching the store');
            await sleep(100 + random() * 250);
          }
          await redeploy(running, type, rename(change, deploys++));
        }
      }
      // A "flows" deploy restarts manifest and every node wired to it: the full redeploy's case.
      await watch.grown(2, explain);
      await redeploy(running, 'flows', rename(['manifest'], deploys++));
      await watch.grown(2, explain);
      await encoder.stop();
      const written = encoder.written;
      await until(() => watch.listed.length >= written.length, 'every written segment listed', 60_000, 50).catch(() => undefined);
    } finally {
      await watch.stop();
    }
    const twice = [...putsPerKey.values()].filter((n) => n > 1).length;
    console.log(`      ${encoder.written.length} segments written, ${segmentPuts} segment PUTs, ${twice} keys PUT more than once`);
    await assertDeliveredOnce(watch, encoder.written, running.output());
  });
});
