// join→welcome latency of relaycast-signaling (the compiled node in a real Node-RED runtime) with
// 10,000 peers already joined to the swarm. Background peers and the probe run in separate load
// processes; the probe times each join from send to welcome over loopback. Bounded in count and time.
//   npm run build && npx tsx bench/signaling-join.ts
import { announce, deadline, forkWorker, rssMiB, startSignalingNode, type WorkerHandle } from './signaling/server';

const BACKGROUND = Number(process.env.PEERS ?? 10_000);
const PROBES = Number(process.env.PROBES ?? 2_000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 20);
const SOURCES = Array.from({ length: 4 }, (_, i) => `127.0.0.${i + 2}`);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main() {
  const workers: WorkerHandle[] = [forkWorker(), forkWorker(), forkWorker()];
  deadline(240, () => workers);
  const node = await startSignalingNode({
    ratePerSecond: 100,
    burst: 200,
    sourceRatePerSecond: 10_000_000,
    sourceBurst: 10_000_000,
    upgradesPerSecond: 1_000_000,
    upgradeBurst: 1_000_000,
    // Every load connection comes from 127.0.0.x, one network: its join budget must not be what is measured.
    joinsPerNetworkPerMinute: 10_000_000,
    joinBurstPerNetwork: 10_000_000,
    maxConnectionsPerIp: 0,
    maxPeersPerSwarm: 100_000,
  });
  announce('bench', 'main', 1);
  const background = await Promise.all(
    workers.slice(0, 2).map((w) =>
      w.request<{ joined: number; failed: number }>({
        op: 'connect',
        url: node.url,
        count: BACKGROUND / 2,
        sources: SOURCES,
        stream: 'bench',
        rendition: 'main',
      }),
    ),
  );
  const joined = background.reduce((s, r) => s + r.joined, 0);
  console.log(`background peers joined: ${joined} (failed ${background.reduce((s, r) => s + r.failed, 0)}), server RSS ${rssMiB()} MiB`);
  const probe = await workers[2].request<{ latenciesMs: number[]; failed: number }>({
    op: 'probe',
    url: node.url,
    count: PROBES,
    concurrency: CONCURRENCY,
    sources: SOURCES,
    stream: 'bench',
    rendition: 'main',
  });
  const sorted = probe.latenciesMs.slice().sort((a, b) => a - b);
  const f = (ms: number) => ms.toFixed(2);
  console.log(
    `RESULT join: ${sorted.length} joins (${CONCURRENCY} concurrent) with ${joined} peers connected: p50 ${f(percentile(sorted, 50))} ms, p90 ${f(percentile(sorted, 90))} ms, p99 ${f(percentile(sorted, 99))} ms, max ${f(sorted[sorted.length - 1])} ms (target p99 ≤ 50 ms); failed ${probe.failed}`,
  );
  await Promise.all(workers.map((w) => w.request({ op: 'close' })));
  for (const w of workers) w.child.kill();
  await node.stop();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
