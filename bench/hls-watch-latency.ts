/**
 * Detection latency of relaycast-hls-watch, in a real Node-RED runtime (node-red-node-test-helper
 * loading the compiled node from dist/), fed by the demo encoder:
 *   latency = the moment hls-watch calls send() for a segment − the encoder's process.hrtime right
 *   after renaming the playlist that first lists that segment.
 * Also printed: the same up to the next node's input handler (Node-RED's own delivery added).
 * Runs each write order that lists segments after writing them (ffmpeg, SRS) for a single-rendition
 * and a three-rendition fixture; prints p50 / p99 / max. Asserts nothing.
 *
 *   npm run build && npx tsx bench/hls-watch-latency.ts [--segments 210] [--speed 10]
 *
 * Target (issue 2): p99 ≤ 20 ms (an earlier design waited ≥ 1.5 s with awaitWriteFinish).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NodeAPI } from 'node-red';
import type { SegmentMsg } from '../lib/protocol/msgs';
import { DemoEncoder, type PlaylistWritten, type WriteOrder } from '../devtools/demo-encoder';
import { distNode, helper } from '../test/support/node-red';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SEGMENTS = arg('segments', 210);
const SPEED = arg('speed', 10);
const FIXTURES = path.resolve(__dirname, '../test/fixtures/hls');

let onSinkInput: (msg: SegmentMsg) => void = () => undefined;
function sinkModule(RED: NodeAPI): void {
  RED.nodes.registerType('bench-sink', function (this: never, config: never) {
    RED.nodes.createNode(this, config);
    (this as unknown as { on: (e: string, f: (m: SegmentMsg, s: unknown, d: () => void) => void) => void }).on('input', (msg, _s, done) => {
      onSinkInput(msg);
      done();
    });
  } as never);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const fmt = (ms: number): string => `${ms.toFixed(2)} ms`;

async function run(fixture: string, order: WriteOrder, work: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const description = require(path.join(FIXTURES, fixture, 'fixture.json')) as { master: string | null; renditions: unknown[] };
  const out = path.join(work, `${fixture}-${order}`);
  const perRendition = Math.ceil(SEGMENTS / description.renditions.length);
  const flow = [
    { id: 'tab', type: 'tab', label: 'bench' },
    {
      id: 'w1',
      type: 'relaycast-hls-watch',
      z: 'tab',
      path: description.master ? path.join(out, description.master) : out,
      stream: 'bench',
      renditions: 'all',
      usePolling: false,
      pollInterval: 250,
      maxSegmentMB: 64,
      segmentWait: 3000,
      wires: [['sink']],
    },
    { id: 'sink', type: 'bench-sink', z: 'tab', wires: [] },
  ];
  await helper.load([distNode('hls-watch'), sinkModule] as never, flow as never);
  const sentAt = new Map<string, bigint>();
  const receivedAt = new Map<string, bigint>();
  const renamedAt = new Map<string, bigint>();
  const key = (rendition: string, sequence: number): string => `${rendition}#${sequence}`;
  // The moment the msg leaves hls-watch: its own send().
  const watchNode = helper.getNode('w1') as unknown as { send: (msg: unknown) => void };
  const send = watchNode.send.bind(watchNode);
  watchNode.send = (msg: unknown) => {
    const m = msg as SegmentMsg;
    if (m.topic === 'segment') sentAt.set(key(m.segment.rendition, m.segment.encoderSequence), process.hrtime.bigint());
    send(msg);
  };
  let received = 0;
  onSinkInput = (m) => {
    if (m.topic !== 'segment') return;
    receivedAt.set(key(m.segment.rendition, m.segment.encoderSequence), process.hrtime.bigint());
    received += 1;
  };
  const encoder = new DemoEncoder({ fixture: path.join(FIXTURES, fixture), outDir: out, speed: SPEED, writeOrder: order, segments: perRendition });
  encoder.on('playlist', (p: PlaylistWritten) => {
    // The first playlist that lists a segment is the one that makes it "finished".
    const k = key(p.rendition, p.lastSequence);
    if (!renamedAt.has(k)) renamedAt.set(k, p.renamedAt);
  });
  await encoder.start();
  await encoder.finished();
  const deadline = Date.now() + 10000;
  while (received < encoder.written.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await helper.unload();

  const leave: number[] = [];
  const deliver: number[] = [];
  const slowest: [string, number][] = [];
  for (const [k, at] of renamedAt) {
    const s = sentAt.get(k);
    const r = receivedAt.get(k);
    if (s !== undefined) {
      leave.push(Number(s - at) / 1e6);
      slowest.push([k, Number(s - at) / 1e6]);
    }
    if (r !== undefined) deliver.push(Number(r - at) / 1e6);
  }
  slowest.sort((a, b) => b[1] - a[1]);
  leave.sort((a, b) => a - b);
  deliver.sort((a, b) => a - b);
  console.log(
    `${fixture.padEnd(11)} ${order.padEnd(7)} segments ${String(leave.length).padStart(3)}/${encoder.written.length}` +
      ` | leaves hls-watch: p50 ${fmt(percentile(leave, 50))}  p99 ${fmt(percentile(leave, 99))}  max ${fmt(leave[leave.length - 1])}` +
      ` | at next node: p50 ${fmt(percentile(deliver, 50))}  p99 ${fmt(percentile(deliver, 99))}  max ${fmt(deliver[deliver.length - 1])}`,
  );
  if (process.argv.includes('--slowest'))
    console.log(
      `  slowest (rendition#sequence): ${slowest
        .slice(0, 5)
        .map(([k, ms]) => `${k} ${fmt(ms)}`)
        .join(', ')}`,
    );
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'hls-watch-bench-'));
  console.log(
    `hls-watch detection latency: playlist rename → msg; demo encoder at ${SPEED}× real time, ≥ ${SEGMENTS} segments per run, Node ${process.version}`,
  );
  try {
    const only = process.argv.includes('--fixture') ? [process.argv[process.argv.indexOf('--fixture') + 1]] : ['ts-single', 'ts-multi'];
    for (const fixture of only) {
      for (const order of ['ffmpeg', 'srs'] as WriteOrder[]) await run(fixture, order, work);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
