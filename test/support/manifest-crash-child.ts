// A Node-RED runtime (test helper) with one relaycast-manifest node, fed like a live encoder, for
// test/nodes/manifest-crash.spec.ts to SIGKILL at random moments. Segment numbers follow the wall
// clock from <t0> (one per 4 ms), so every restart continues the same stream, as hls-watch would.
// With `dvr`, every segment is kept, so the state's history log (lib/manifest/state-store.ts) is
// written and compacted under the kills too.
//   node --import tsx test/support/manifest-crash-child.ts <userDir> <t0> [dvr]
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { distNode, helper } from './node-red';
import { segmentMsg } from './manifest-msgs';

const [userDir, t0Text, mode] = process.argv.slice(2);
const t0 = Number(t0Text);
const SEGMENT_EVERY_MS = 4;

async function main(): Promise<void> {
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
      { id: 'tab', type: 'tab', label: 'crash' },
      { id: 'm1', type: 'relaycast-manifest', z: 'tab', windowSegments: 6, targetDuration: 2, dvr: mode === 'dvr', wires: [[]] },
    ] as never,
  );
  const server = http.createServer((req, res) => httpNode!(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  const node = helper.getNode('m1');
  let last = -1;
  setInterval(() => {
    const sequence = Math.floor((Date.now() - t0) / SEGMENT_EVERY_MS);
    if (sequence <= last) return;
    last = sequence;
    node.receive(segmentMsg({ sequence, duration: 1 }) as never);
  }, 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
