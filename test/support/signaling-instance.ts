// One Node-RED instance of a scaled-out deployment, as a child process (forked with IPC) so that a
// spec can run several and SIGKILL one: a real runtime (test helper's startServer) with a
// relaycast-redis config node and a relaycast-signaling node using it.
// The benches (bench/signaling-redis.ts) run the same instance with their own limits.
//   fork('test/support/signaling-instance.ts', [JSON {redisUrl, keyPrefix, livenessTtl, signaling?}], { execArgv: ['--import', 'tsx'] })
// Parent → child: {cmd: 'announce', sequence, stream?, rendition?, size?}, {cmd: 'rss'}, {cmd: 'issue', supporter}
// (the editor's invite: a token issued through the node's token list). Child → parent: {ready: port},
// {receipt}, {audit}, {status}, {rss: MiB, status, stats}, {issued: token} or {issueFailed: message}.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freeUdpPort } from './free-port';
import { distNode, helper } from './node-red';

interface Options {
  redisUrl: string;
  keyPrefix: string;
  livenessTtl: number;
  signaling?: Record<string, unknown>;
}

const options = JSON.parse(process.argv[2]) as Options;
const report = (msg: Record<string, unknown>): void => {
  if (process.connected) process.send!(msg);
};

async function main(): Promise<void> {
  helper.settings({ userDir: mkdtempSync(path.join(os.tmpdir(), 'relaycast-instance-')), logging: { console: { level: 'off' } } } as never);
  await helper.startServer();
  const flow = [
    { id: 'f1', type: 'tab' },
    { id: 'redis', type: 'relaycast-redis', url: options.redisUrl, keyPrefix: options.keyPrefix, livenessTtl: options.livenessTtl },
    {
      id: 'sig',
      z: 'f1',
      type: 'relaycast-signaling',
      path: '/signal',
      redis: 'redis',
      statsInterval: 0,
      viewerPath: '',
      // Its own STUN port: instances on one host would otherwise contend for 3478 (only the first binds it).
      stunPort: await freeUdpPort(),
      // Two peers are introduced to each other here; by default a swarm links from three members.
      minSwarmForLinks: 2,
      ...options.signaling,
      wires: [['events'], ['receipts'], ['audit']],
    },
    { id: 'events', z: 'f1', type: 'helper' },
    { id: 'receipts', z: 'f1', type: 'helper' },
    { id: 'audit', z: 'f1', type: 'helper' },
  ];
  await helper.load([distNode('redis'), distNode('signaling')] as never, flow);
  // The test helper's sinon spies would record every msg and status of a long run: not wanted here.
  (helper as unknown as { _sandbox: { restore(): void } })._sandbox.restore();
  const sig = helper.getNode('sig') as unknown as {
    status: (s: unknown) => void;
    receive: (msg: unknown) => void;
    issueSupporterToken?: (supporter: string) => Promise<string>;
  };
  const status = sig.status.bind(sig);
  let lastStatus: unknown;
  sig.status = (s: unknown) => {
    lastStatus = s;
    report({ status: s });
    status(s);
  };
  // With statsInterval set (the benches), the last stats msg: peers in this instance's replica.
  let lastStats: unknown;
  helper.getNode('events').on('input', (msg: unknown) => {
    if ((msg as { topic?: string }).topic === 'stats') lastStats = (msg as { payload: unknown }).payload;
  });
  helper.getNode('receipts').on('input', (msg: unknown) => report({ receipt: (msg as { payload: unknown }).payload }));
  helper.getNode('audit').on('input', (msg: unknown) => report({ audit: (msg as { payload: unknown }).payload }));
  process.on('message', (m: { cmd: string; sequence: number; stream?: string; rendition?: string; size?: number; supporter?: string }) => {
    if (m.cmd === 'issue') {
      sig.issueSupporterToken!(m.supporter!).then(
        (token) => report({ issued: token }),
        (err: Error) => report({ issueFailed: err.message }),
      );
      return;
    }
    if (m.cmd === 'rss') {
      global.gc?.();
      let rss = -1;
      try {
        rss = Math.round(process.memoryUsage.rss() / 1024 / 1024);
      } catch {
        /* out of file descriptors: say -1 */
      }
      report({ rss, status: lastStatus, stats: lastStats });
      return;
    }
    if (m.cmd !== 'announce') return;
    const stream = m.stream ?? 'live';
    const rendition = m.rendition ?? '720p';
    sig.receive({
      topic: 'segment',
      segment: {
        stream,
        rendition,
        session: 'spec',
        encoderSequence: m.sequence,
        sequence: m.sequence,
        duration: 2,
        byteLength: m.size ?? 1000,
        sha256: m.sequence.toString(16).padStart(64, '0'),
        uri: `s${m.sequence}.ts`,
        path: `/tmp/s${m.sequence}.ts`,
        contentType: 'video/mp2t',
        discontinuity: false,
        url: `https://media.example/${stream}/${rendition}/${m.sequence}.ts`,
      },
    });
  });
  report({ ready: Number(new URL(helper.url()).port) });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
