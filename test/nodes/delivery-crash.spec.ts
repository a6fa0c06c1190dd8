// #14 defect 9: hls-watch → r2-upload → manifest in a real Node-RED process (red.js) that is
// SIGKILLed at random moments (some 5–20 ms after the encoder lists a segment, while it is being
// read or uploaded) and fully redeployed while an upload is in flight (a slow store behind the
// fault proxy), with a demo encoder writing all along in this process. Afterwards every segment
// the encoder wrote (it keeps all of them listed and on disk) is stored byte for byte and listed
// exactly once in manifest's DVR playlist, and no media sequence number ever named two URIs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DemoEncoder } from '../../devtools/demo-encoder';
import { seededRandom } from '../../devtools/fault-proxy/seeded-random';
import { assertDeliveredOnce, PlaylistWatch, startSlowStore, type SlowStore } from '../support/delivery-pipeline';
import { redeployFull, startNodeRed, type NodeRedProcess } from '../support/node-red-process';

const FIXTURE = path.resolve(__dirname, '../fixtures/hls/ts-single');
const KILLS = 6;
const REDEPLOYS = 2;

/** Segments hls-watch's state file (<userDir>/relaycast/hls-watch/watch.json) records as sent. */
function sentOnDisk(userDir: string): number {
  try {
    const state = JSON.parse(readFileSync(path.join(userDir, 'relaycast', 'hls-watch', 'watch.json'), 'utf8')) as {
      renditions: Record<string, { nextSequence: number }>;
    };
    return state.renditions.main?.nextSequence ?? 0;
  } catch {
    return 0; // not written yet, or caught between the temp file and the rename
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('hls-watch → r2-upload → manifest across SIGKILLs and full redeploys mid-upload (#14 defect 9)', function () {
  this.timeout(300_000);
  let dir: string;
  let store: SlowStore;
  let encoder: DemoEncoder | undefined;
  let nodeRed: NodeRedProcess | undefined;

  before(async () => {
    store = await startSlowStore();
  });
  after(async () => {
    await store?.stop();
  });
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-delivery-crash-'));
  });
  afterEach(async () => {
    await nodeRed?.kill();
    await encoder?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores and lists every segment exactly once, and no MSN names two URIs', async () => {
    const random = seededRandom(202612014);
    const hlsDir = path.join(dir, 'hls');
    const userDir = path.join(dir, 'userdir');
    // listSize 0: the encoder keeps every segment listed and on disk, so all of them must arrive.
    encoder = new DemoEncoder({ fixture: FIXTURE, outDir: hlsDir, speed: 8, loop: true, listSize: 0 });
    let lastListedAt = 0;
    encoder.on('playlist', () => {
      lastListedAt = performance.now();
    });
    const start = (withFlows: boolean): Promise<NodeRedProcess> =>
      startNodeRed({
        userDir,
        ...(withFlows ? store.nodeRed(hlsDir) : {}),
      });

    // A player polling the playlist all along: every MSN → URI it is ever told.
    const watch = new PlaylistWatch(() => nodeRed?.base);

    try {
      const nextListing = async (): Promise<void> => {
        const before = lastListedAt;
        while (lastListedAt === before) await sleep(1);
      };
      nodeRed = await start(true);
      await encoder.start();
      const waitForListed = (more: number): Promise<void> => watch.grown(more, () => nodeRed?.output().slice(-3000) ?? '');

      for (let kill = 0; kill < KILLS; kill++) {
        if (kill === 0) {
          // With the stream's first segment, before manifest ever confirmed one: as soon as
          // hls-watch has it on disk as sent, while r2-upload is still storing it.
          while (!(sentOnDisk(userDir) >= 1)) await sleep(1);
        } else if (kill % 2 === 0) {
          await waitForListed(1 + Math.floor(random() * 3));
          // 5–20 ms after the encoder lists a segment: hls-watch is reading it or r2-upload storing it.
          await nextListing();
          await sleep(5 + random() * 15);
        } else {
          await waitForListed(1 + Math.floor(random() * 3));
          await sleep(random() * 600);
        }
        await nodeRed.kill();
        nodeRed = await start(false);
      }
      for (let deploy = 0; deploy < REDEPLOYS; deploy++) {
        await waitForListed(2);
        // Just after a listing, with 150–400 ms PUTs: the new segment's upload is in flight.
        await nextListing();
        await sleep(30);
        await redeployFull(nodeRed);
      }
      await waitForListed(2);
      await encoder.stop();
      const written = encoder.written;
      const deadline = Date.now() + 60_000;
      while (watch.listed.length < written.length && Date.now() < deadline) await sleep(50);
    } finally {
      await watch.stop();
    }
    await assertDeliveredOnce(watch, encoder.written, nodeRed?.output() ?? '');
  });
});
