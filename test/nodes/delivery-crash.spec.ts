// #14 defect 9: hls-watch → r2-upload → manifest in a real Node-RED process (red.js) that is
// SIGKILLed at random moments (some 5–20 ms after the encoder lists a segment, while it is being
// read or uploaded) and fully redeployed while an upload is in flight (a slow store behind the
// fault proxy), with a demo encoder writing all along in this process. Afterwards every segment
// the encoder wrote (it keeps all of them listed and on disk) is stored byte for byte and listed
// exactly once in manifest's DVR playlist, and no media sequence number ever named two URIs.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DemoEncoder } from '../../devtools/demo-encoder';
import { startFaultProxy, type FaultProxy } from '../../devtools/fault-proxy';
import { seededRandom } from '../../devtools/fault-proxy/seeded-random';
import { parseMediaPlaylist } from '../../devtools/hls-validator';
import { startLocalS3, type LocalS3 } from '../../devtools/local-s3';
import { checkDelivery, MsnUris } from '../support/delivery-check';
import { redeployFull, startNodeRed, type NodeRedProcess } from '../support/killable-node-red';

const FIXTURE = path.resolve(__dirname, '../fixtures/hls/ts-single');
const KILLS = 6;
const REDEPLOYS = 2;

function flows(hlsDir: string, s3Endpoint: string, publicBaseUrl: string): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'crash loop' },
    { id: 'watch', type: 'relaycast-hls-watch', z: 'tab', path: hlsDir, stream: 'demo', renditions: 'all', usePolling: false, pollInterval: 250, maxSegmentMB: 64, segmentWait: 3000, x: 120, y: 60, wires: [['upload']] },
    { id: 'upload', type: 'relaycast-r2-upload', z: 'tab', bucket: 'bucket', concurrency: 4, maxAttempts: 5, attemptTimeout: 10, keepAll: false, keepSegments: 12, x: 320, y: 60, wires: [['manifest']] },
    // DVR: the playlist lists the whole stream, so "listed exactly once" is checked on all of it.
    { id: 'manifest', type: 'relaycast-manifest', z: 'tab', stream: 'demo', windowSegments: 6, targetDuration: 0, dvr: true, gapMode: 'gap', blockingReload: false, idleEndSeconds: 0, x: 520, y: 60, wires: [[]] },
    { id: 'bucket', type: 'relaycast-r2-bucket', provider: 's3', endpoint: s3Endpoint, region: 'auto', bucket: 'relaycast', publicBaseUrl, keyPrefix: 'live', forcePathStyle: true },
  ];
}

/** Segments hls-watch's state file (<userDir>/relaycast/hls-watch/watch.json) records as sent. */
function sentOnDisk(userDir: string): number {
  try {
    const state = JSON.parse(readFileSync(path.join(userDir, 'relaycast', 'hls-watch', 'watch.json'), 'utf8')) as { renditions: Record<string, { nextSequence: number }> };
    return state.renditions.main?.nextSequence ?? 0;
  } catch {
    return 0; // not written yet, or caught between the temp file and the rename
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('hls-watch → r2-upload → manifest across SIGKILLs and full redeploys mid-upload (#14 defect 9)', function () {
  this.timeout(300_000);
  let dir: string;
  let s3: LocalS3;
  let slow: FaultProxy;
  let encoder: DemoEncoder | undefined;
  let nodeRed: NodeRedProcess | undefined;

  before(async () => {
    s3 = await startLocalS3({ bucket: 'relaycast' });
    // A slow store: every PUT takes 150–400 ms, so a kill or a deploy often finds one in flight.
    slow = await startFaultProxy({ target: s3.endpoint, faultRate: 0, latency: { minMs: 150, maxMs: 400 } });
  });
  after(async () => {
    await slow?.stop();
    await s3?.stop();
  });
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'relaycast-delivery-crash-')); });
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
    encoder.on('playlist', () => { lastListedAt = performance.now(); });
    const start = (withFlows: boolean): Promise<NodeRedProcess> => startNodeRed({
      userDir,
      ...(withFlows ? { flows: flows(hlsDir, slow.endpoint, s3.publicBaseUrl), credentials: { bucket: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } } } : {}),
    });

    // A player polling the playlist all along: every MSN → URI it is ever told.
    const seen = new MsnUris();
    let polling = true;
    let listed: string[] = [];
    const poll = (async () => {
      while (polling) {
        const base = nodeRed?.base;
        const res = base ? await fetch(`${base}/live/demo/main.m3u8`).catch(() => undefined) : undefined;
        if (res?.status === 200) {
          const playlist = parseMediaPlaylist(await res.text());
          listed = playlist.segments.map((s) => s.uri);
          seen.observe(playlist.segments);
        }
        await sleep(20);
      }
    })();

    try {
      const nextListing = async (): Promise<void> => {
        const before = lastListedAt;
        while (lastListedAt === before) await sleep(1);
      };
      nodeRed = await start(true);
      await encoder.start();
      const waitForListed = async (more: number): Promise<void> => {
        const target = listed.length + more;
        const deadline = Date.now() + 60_000;
        while (listed.length < target) {
          if (Date.now() > deadline) throw new Error(`the playlist stopped growing at ${listed.length}\n${nodeRed?.output().slice(-3000)}`);
          await sleep(20);
        }
      };

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
      while (listed.length < written.length && Date.now() < deadline) await sleep(50);
    } finally {
      polling = false;
      await poll;
    }

    // Keys are live/<stream>/<session>/<rendition>/seg-<Relaycast sequence>.ts; the encoder kept
    // every segment listed, so its sequence and hls-watch's are the same numbers.
    const keyed = listed.map((url) => {
      const match = /\/live\/demo\/([^/]+)\/main\/seg-(\d{8})\.ts$/.exec(url);
      assert.ok(match, `unexpected URL ${url}`);
      return { url, session: match[1], sequence: Number(match[2]) };
    });
    const written = encoder.written;
    assert.deepEqual(seen.conflicts.slice(0, 5), [], `${seen.conflicts.length} MSNs named two segments`);
    assert.equal(new Set(listed).size, listed.length, 'a URL is listed twice');
    assert.deepEqual(new Set(keyed.map((k) => k.session)).size, 1, 'one hls-watch session across every crash and deploy');
    assert.deepEqual(keyed.map((k) => k.sequence), written.map((w) => w.sequence),
      `every segment the encoder wrote, listed once and in order\n${nodeRed?.output().slice(-3000)}`);
    const delivery = await checkDelivery(written.map((w) => ({ name: `${w.uri} (encoder sequence ${w.sequence})`, sha256: w.sha256 })), listed);
    assert.deepEqual(delivery.problems, [], 'every listed URL serves, byte for byte, a segment the encoder wrote');
    assert.deepEqual({ stored: delivery.stored, lost: delivery.lost, listedTwice: delivery.listedTwice, notStored: delivery.notStored, inOrder: delivery.inOrder },
      { stored: written.length, lost: 0, listedTwice: 0, notStored: 0, inOrder: true });
    assert.ok(written.length >= 20 && seen.size >= 20, `too little to prove anything (${written.length} written, ${seen.size} MSNs seen)`);
  });
});
