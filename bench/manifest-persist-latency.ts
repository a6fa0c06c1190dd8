/**
 * The fsync on the playlist path: time from a segment msg reaching relaycast-manifest to that
 * version being servable, in a real Node-RED runtime (node-red-node-test-helper, dist/ build). The
 * node serves and sends a version only once its state is on disk (defect 6: a crash must never let
 * an MSN a player saw name another segment), so this is apply + state file write + its fsyncs (+ a
 * history append every 32 versions with DVR). The version counts as servable when its playlist msg
 * leaves the node: the node sends it in the same synchronous step that hands it to the HTTP side
 * (DurableView.take, endpoints.published); each one is also fetched over HTTP once (untimed) to
 * check it is served.
 *
 * Cases: a live window (6 segments, no DVR), DVR with 1,000 and with 10,000 segments already listed
 * (restored from a state written beforehand). Segments are fed one at a time. Beside them, on the
 * same folder, a bare writeFileAtomic of 1 KB (what the fsyncs alone cost on that disk), and the
 * node's two steps without Node-RED (core.apply, then ManifestStateStore.saveDurably), to tell
 * what the runtime and the msg add.
 *
 *   npm run build && npx tsx bench/manifest-persist-latency.ts [--versions 100] [--dir /mnt/slow]
 *
 * A slow disk: `bench/support/slow-disk.sh up 200` (root) prints a folder on a loop device whose
 * writes are throttled; pass it as --dir. Asserts nothing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../lib/fs/atomic-file';
import { ManifestCore, ManifestStateStore } from '../lib/manifest';
import { helper, distNode } from '../test/support/node-red';
import { segmentMsg } from '../test/support/manifest-msgs';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const VERSIONS = Number(arg('versions', '100'));
const DIR = arg('dir', os.tmpdir());

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const pct = (s: number[], p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;
const summary = (values: number[]) => {
  const s = sorted(values);
  return `p50 ${pct(s, 0.5).toFixed(2).padStart(7)}   p99 ${pct(s, 0.99).toFixed(2).padStart(7)}   max ${s[s.length - 1]!.toFixed(2).padStart(7)}   mean ${(s.reduce((a, b) => a + b, 0) / s.length).toFixed(2).padStart(7)}`;
};

/** A state of `history` DVR segments, written the way the node writes it, for the node to restore. */
async function seed(userDir: string, history: number): Promise<void> {
  const core = new ManifestCore({ dvr: true, targetDuration: 2 });
  for (let sequence = 0; sequence < history; sequence++) core.apply(segmentMsg({ sequence }));
  const store = ManifestStateStore.forNode(userDir, 'm1');
  await store.saveDurably(core);
}

async function measureNode(label: string, dvr: boolean, history: number): Promise<void> {
  const userDir = mkdtempSync(path.join(DIR, 'relaycast-bench-persist-'));
  let server: http.Server | undefined;
  try {
    if (history > 0) await seed(userDir, history);
    helper.settings({ userDir, logging: { console: { level: 'off' } } } as never);
    let httpNode: http.RequestListener | undefined;
    const manifest = distNode('manifest') as (red: unknown) => unknown;
    await helper.load(
      [
        ((red: { httpNode: http.RequestListener }) => {
          httpNode = red.httpNode;
          return manifest(red);
        }) as never,
      ],
      [
        { id: 'tab', type: 'tab', label: 'bench' },
        { id: 'm1', type: 'relaycast-manifest', z: 'tab', windowSegments: 6, targetDuration: 2, dvr, wires: [['out']] },
        { id: 'out', type: 'helper', z: 'tab' },
      ] as never,
    );
    server = http.createServer((req, res) => httpNode!(req, res));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const node = helper.getNode('m1');
    const out = helper.getNode('out') as unknown as { on(event: 'input', listener: (msg: { playlist?: { rendition: string | null } }) => void): void };
    let waiting: ((msg: { playlist?: { rendition: string | null } }) => void) | undefined;
    out.on('input', (msg: { playlist?: { rendition: string | null } }) => waiting?.(msg));
    const times: number[] = [];
    for (let i = 0; i < VERSIONS + 5; i++) {
      const sequence = history + i;
      const sent = new Promise<void>((resolve) => {
        waiting = (msg) => {
          if (msg.playlist?.rendition === 'main') resolve();
        };
      });
      const t0 = process.hrtime.bigint();
      node.receive(segmentMsg({ sequence }) as never);
      await sent;
      const elapsed = ms(t0);
      // The first few warm the JIT and the runtime up.
      if (i >= 5) times.push(elapsed);
      const body = await get(`${base}/live/demo/main.m3u8`);
      if (!body.includes(`seg_${String(sequence).padStart(5, '0')}.ts`)) throw new Error(`version with segment ${sequence} is not served`);
    }
    console.log(`${label.padEnd(22)} ${summary(times)}`);
  } finally {
    await helper.unload();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    rmSync(userDir, { recursive: true, force: true });
  }
}

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      })
      .on('error', reject);
  });
}

async function bareFsync(): Promise<void> {
  const folder = mkdtempSync(path.join(DIR, 'relaycast-bench-fsync-'));
  try {
    const times: number[] = [];
    const text = 'x'.repeat(1024);
    for (let i = 0; i < VERSIONS + 5; i++) {
      const t0 = process.hrtime.bigint();
      await writeFileAtomic(path.join(folder, 'state.json'), text);
      if (i >= 5) times.push(ms(t0));
    }
    console.log(`${'bare writeFileAtomic'.padEnd(22)} ${summary(times)}`);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** What the node does for a msg, without the runtime: apply, then save durably. */
async function measureCore(label: string, dvr: boolean, history: number): Promise<void> {
  const folder = mkdtempSync(path.join(DIR, 'relaycast-bench-core-'));
  try {
    const core = new ManifestCore({ dvr, windowSegments: 6, targetDuration: 2 });
    for (let sequence = 0; sequence < history; sequence++) core.apply(segmentMsg({ sequence }));
    const store = ManifestStateStore.forNode(folder, 'm1');
    await store.saveDurably(core);
    const times: number[] = [];
    for (let i = 0; i < VERSIONS + 5; i++) {
      const t0 = process.hrtime.bigint();
      core.apply(segmentMsg({ sequence: history + i }));
      await store.saveDurably(core);
      if (i >= 5) times.push(ms(t0));
    }
    console.log(`${label.padEnd(22)} ${summary(times)}`);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`segment msg → version servable (state on disk, fsync included), ms over ${VERSIONS} versions, files in ${DIR} (Node ${process.version})`);
  await bareFsync();
  await measureNode('window (6, no DVR)', false, 0);
  await measureNode('DVR at 1,000', true, 1000);
  await measureNode('DVR at 10,000', true, 10_000);
  await bareFsync();
  console.log('the same without Node-RED (core.apply + ManifestStateStore.saveDurably):');
  await measureCore('  window (6, no DVR)', false, 0);
  await measureCore('  DVR at 1,000', true, 1000);
  await measureCore('  DVR at 10,000', true, 10_000);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
