/**
 * What the swarm's signaling socket costs the origin: bytes Node-RED sends each viewer per minute
 * (segment announcements, pushed playlist versions and deltas, relaying), measured two ways: the
 * frames' bytes from the live telemetry (relaycast_origin_signaling_bytes_total ÷
 * relaycast_viewer_seconds_total × 60), and the bytes on the wire (after permessage-deflate, with
 * WebSocket framing) at a counting TCP proxy the viewers connect through. Both on the
 * full-pipeline example in a real Node-RED, the demo encoder in real time (2 s segments) and N
 * WebSocket viewers that join and stay. The cost model's estimate (swarmPushBytesPerViewerMinute)
 * is printed beside it.
 *
 *   npx tsx bench/signaling-push.ts [--viewers 4] [--seconds 60] [--speed 1]
 *
 * `--speed 2` replays the 2 s fixture twice as fast: a segment a second, the push rate of the
 * low-latency mode's 1 s segments (lib/protocol/latency-mode.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { DemoEncoder } from '../devtools/demo-encoder';
import { startLocalS3 } from '../devtools/local-s3';
import { swarmPushBytesPerViewerMinute } from './support/cost-model';
import { startNodeRed } from '../test/support/node-red-process';
import { PROTOCOL_VERSION } from '../lib/protocol/signaling/constants';

const { values } = parseArgs({
  options: { viewers: { type: 'string', default: '4' }, seconds: { type: 'string', default: '60' }, speed: { type: 'string', default: '1' } },
});
const speed = Number(values.speed);
const viewers = Number(values.viewers);
const seconds = Number(values.seconds);
const root = path.resolve(__dirname, '..');

function total(text: string, name: string, nodeId: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(`node_id="${nodeId}"`))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** A TCP proxy to `port` that counts the bytes each way while `counting()` holds. */
async function countingProxy(port: number, counting: () => boolean) {
  const bytes = { down: 0, up: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
    upstream.on('data', (chunk: Buffer) => {
      if (counting()) bytes.down += chunk.length;
    });
    client.on('data', (chunk: Buffer) => {
      if (counting()) bytes.up += chunk.length;
    });
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  return { port: address.port, bytes, close };
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'relaycast-push-'));
  const s3 = await startLocalS3({ bucket: 'relaycast' });
  const flows = JSON.parse(readFileSync(path.join(root, 'flows', '07 - Full pipeline.json'), 'utf8')) as Array<Record<string, unknown>>;
  const hlsDir = path.join(work, 'hls');
  for (const n of flows) {
    if (n.type === 'relaycast-hls-watch') n.path = hlsDir;
    if (n.type === 'relaycast-r2-bucket')
      Object.assign(n, { provider: 's3', endpoint: s3.endpoint, region: s3.region, bucket: s3.bucket, publicBaseUrl: s3.publicBaseUrl });
  }
  const bucket = String(flows.find((n) => n.type === 'relaycast-r2-bucket')!.id);
  const signaling = String(flows.find((n) => n.type === 'relaycast-signaling')!.id);
  const nodeRed = await startNodeRed({ flows, credentials: { [bucket]: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } } });
  const encoder = new DemoEncoder({ fixture: path.join(root, 'test', 'fixtures', 'hls', 'ts-single'), outDir: hlsDir, speed, loop: true });
  const sockets: WebSocket[] = [];
  const proxy = await countingProxy(Number(new URL(nodeRed.base).port), () => counting);
  /** Bytes the viewers received while measuring, by frame type (where the per-viewer cost goes). */
  const byType = new Map<string, number>();
  let counting = false;
  try {
    await encoder.start();
    await new Promise((r) => setTimeout(r, 8000)); // a window of segments before the viewers come
    for (let i = 0; i < viewers; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/relaycast/signal`);
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      ws.send(JSON.stringify({ type: 'join', v: PROTOCOL_VERSION, stream: 'live', rendition: 'main', role: 'viewer', upload: false }));
      ws.on('message', (data: Buffer) => {
        if (!counting) return;
        const type = String((JSON.parse(String(data)) as { type?: unknown }).type);
        byType.set(type, (byType.get(type) ?? 0) + data.length);
      });
      const heartbeat = setInterval(() => ws.send(JSON.stringify({ type: 'heartbeat' })), 5000);
      ws.once('close', () => clearInterval(heartbeat));
      sockets.push(ws);
    }
    const scrape = async () => (await fetch(`${nodeRed.base}/relaycast/metrics`)).text();
    const before = await scrape();
    counting = true;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const after = await scrape();
    counting = false;
    const bytes = total(after, 'relaycast_origin_signaling_bytes_total', signaling) - total(before, 'relaycast_origin_signaling_bytes_total', signaling);
    const viewerMinutes = (total(after, 'relaycast_viewer_seconds_total', signaling) - total(before, 'relaycast_viewer_seconds_total', signaling)) / 60;
    const measured = bytes / viewerMinutes;
    const perViewerMinute = (n: number) => Math.round(n / viewerMinutes);
    console.log(
      `| viewers | seconds | viewer-minutes | frame bytes per viewer-minute (telemetry) | on the wire, server → viewer | on the wire, viewer → server | model estimate (on the wire) |`,
    );
    console.log(`|---|---|---|---|---|---|---|`);
    console.log(
      `| ${viewers} | ${seconds} | ${viewerMinutes.toFixed(2)} | ${Math.round(measured)} | **${perViewerMinute(proxy.bytes.down)}** | ${perViewerMinute(proxy.bytes.up)} | ${swarmPushBytesPerViewerMinute(2 / speed)} |`,
    );
    console.log(`\n| frame type | bytes per viewer-minute (received) |\n|---|---|`);
    for (const [type, n] of [...byType].sort((a, b) => b[1] - a[1])) console.log(`| ${type} | ${Math.round(n / viewerMinutes)} |`);
  } finally {
    for (const ws of sockets) ws.close();
    await proxy.close();
    await encoder.stop();
    await nodeRed.stop();
    await s3.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
