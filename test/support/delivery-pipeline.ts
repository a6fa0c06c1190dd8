// The hls-watch → r2-upload → manifest flow of the exactly-once delivery specs (#14 defect 9), the
// player that polls its playlist all along, and the check made at the end: every segment the
// encoder wrote is stored byte for byte and listed exactly once, and no MSN ever named two URIs
// (the rules themselves live in delivery-check.ts, shared with bench/outside-try.ts).
import assert from 'node:assert/strict';
import { startFaultProxy, type FaultProxy, type FaultProxyOptions } from '../../devtools/fault-proxy';
import { parseMediaPlaylist } from '../../devtools/hls-validator';
import { startLocalS3, type LocalS3 } from '../../devtools/local-s3';
import { checkDelivery, MsnUris } from './delivery-check';

export function deliveryFlows(hlsDir: string, s3Endpoint: string, publicBaseUrl: string): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'delivery' },
    // One relaycast-pipeline carries the receipts and listings between the three (a partial deploy
    // leaves it running; a full one restarts it with them).
    { id: 'pipeline', type: 'relaycast-pipeline', name: 'delivery' },
    {
      id: 'watch',
      type: 'relaycast-hls-watch',
      z: 'tab',
      pipeline: 'pipeline',
      path: hlsDir,
      stream: 'demo',
      renditions: 'all',
      usePolling: false,
      pollInterval: 250,
      maxSegmentMB: 64,
      segmentWait: 3000,
      x: 120,
      y: 60,
      wires: [['upload']],
    },
    {
      id: 'upload',
      type: 'relaycast-r2-upload',
      z: 'tab',
      pipeline: 'pipeline',
      bucket: 'bucket',
      concurrency: 4,
      maxAttempts: 5,
      attemptTimeout: 10,
      keepAll: false,
      keepSegments: 12,
      x: 320,
      y: 60,
      wires: [['manifest']],
    },
    // DVR: the playlist lists the whole stream, so "listed exactly once" is checked on all of it.
    {
      id: 'manifest',
      type: 'relaycast-manifest',
      z: 'tab',
      pipeline: 'pipeline',
      stream: 'demo',
      windowSegments: 6,
      targetDuration: 0,
      dvr: true,
      gapMode: 'gap',
      blockingReload: false,
      idleEndSeconds: 0,
      x: 520,
      y: 60,
      wires: [[]],
    },
    {
      id: 'bucket',
      type: 'relaycast-r2-bucket',
      provider: 's3',
      endpoint: s3Endpoint,
      region: 'auto',
      bucket: 'relaycast',
      publicBaseUrl,
      keyPrefix: 'live',
      forcePathStyle: true,
    },
  ];
}

/** The local S3 server behind the fault proxy, every PUT made slow: a kill or a deploy often finds one in flight. */
export interface SlowStore {
  s3: LocalS3;
  proxy: FaultProxy;
  /** What startNodeRed needs for deliveryFlows on this store. */
  nodeRed(hlsDir: string): { flows: object[]; credentials: Record<string, unknown> };
  stop(): Promise<void>;
}

/** PUTs take 150–400 ms; `rule` sees every request (and may inject a fault). */
export async function startSlowStore(rule?: FaultProxyOptions['rule']): Promise<SlowStore> {
  const s3 = await startLocalS3({ bucket: 'relaycast' });
  const proxy = await startFaultProxy({ target: s3.endpoint, faultRate: 0, latency: { minMs: 150, maxMs: 400 }, ...(rule ? { rule } : {}) });
  return {
    s3,
    proxy,
    nodeRed: (hlsDir) => ({
      flows: deliveryFlows(hlsDir, proxy.endpoint, s3.publicBaseUrl),
      credentials: { bucket: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } },
    }),
    stop: async () => {
      await proxy.stop();
      await s3.stop();
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A player polling /live/demo/main.m3u8 of whichever runtime `base()` names: every MSN → URI it is ever told. */
export class PlaylistWatch {
  readonly seen = new MsnUris();
  /** The URIs of the newest playlist fetched. */
  listed: string[] = [];
  private polling = true;
  private readonly loop: Promise<void>;

  constructor(base: () => string | undefined) {
    this.loop = (async () => {
      while (this.polling) {
        const at = base();
        const res = at ? await fetch(`${at}/live/demo/main.m3u8`).catch(() => undefined) : undefined;
        if (res?.status === 200) {
          const playlist = parseMediaPlaylist(await res.text());
          this.listed = playlist.segments.map((s) => s.uri);
          this.seen.observe(playlist.segments);
        }
        await sleep(20);
      }
    })();
  }

  /** Until the playlist lists `more` segments beyond what it lists now. */
  async grown(more: number, explain: () => string): Promise<void> {
    const target = this.listed.length + more;
    const deadline = Date.now() + 60_000;
    while (this.listed.length < target) {
      if (Date.now() > deadline) throw new Error(`the playlist stopped growing at ${this.listed.length}\n${explain()}`);
      await sleep(20);
    }
  }

  stop(): Promise<void> {
    this.polling = false;
    return this.loop;
  }
}

/**
 * Keys are live/<stream>/<session>/<rendition>/seg-<Relaycast sequence>.ts; the encoder kept every
 * segment listed, so its sequence and hls-watch's are the same numbers.
 */
export async function assertDeliveredOnce(
  watch: PlaylistWatch,
  written: readonly { sequence: number; sha256: string; uri: string }[],
  output: string,
): Promise<void> {
  const { listed, seen } = watch;
  const { conflicts } = seen;
  const keyed = listed.map((url) => {
    const match = /\/live\/demo\/([^/]+)\/main\/seg-(\d{8})\.ts$/.exec(url);
    assert.ok(match, `unexpected URL ${url}`);
    return { url, session: match[1], sequence: Number(match[2]) };
  });
  assert.deepEqual(conflicts.slice(0, 5), [], `${conflicts.length} MSNs named two segments`);
  assert.equal(new Set(listed).size, listed.length, 'a URL is listed twice');
  assert.deepEqual(new Set(keyed.map((k) => k.session)).size, 1, 'one hls-watch session across every crash and deploy');
  assert.deepEqual(
    keyed.map((k) => k.sequence),
    written.map((w) => w.sequence),
    `every segment the encoder wrote, listed once and in order\n${output.slice(-3000)}`,
  );
  const delivery = await checkDelivery(
    written.map((w) => ({ name: `${w.uri} (encoder sequence ${w.sequence})`, sha256: w.sha256 })),
    listed,
  );
  assert.deepEqual(delivery.problems, [], 'every listed URL serves, byte for byte, a segment the encoder wrote');
  assert.deepEqual(
    { stored: delivery.stored, lost: delivery.lost, listedTwice: delivery.listedTwice, notStored: delivery.notStored, inOrder: delivery.inOrder },
    { stored: written.length, lost: 0, listedTwice: 0, notStored: 0, inOrder: true },
  );
  assert.ok(written.length >= 20 && seen.size >= 20, `too little to prove anything (${written.length} written, ${seen.size} MSNs seen)`);
}
