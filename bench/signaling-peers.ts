// Most concurrent joined peers on relaycast-signaling (the compiled node in a real Node-RED runtime)
// and the server's RSS at that point. The load generator runs in separate processes and spreads
// its connections over source addresses 127.0.0.2–127.0.0.9 (one source address has only the
// ephemeral port range, ~28k ports, toward one server port). Loopback only; bounded in count and time.
//   npm run build && npx tsx bench/signaling-peers.ts          (PEERS=50000 by default)
import { readFileSync } from 'node:fs';
import { announce, deadline, forkWorker, raiseFileLimit, rssMiB, startSignalingNode, type WorkerHandle } from './signaling/server';

const TARGET = Math.min(Number(process.env.PEERS ?? 50_000), 60_000);
const PER_WORKER = 5_000;
const SOURCES = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);

function fileLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'))!;
  return Number(line.split(/\s+/)[3]);
}

async function main() {
  raiseFileLimit();
  const limit = fileLimit();
  // Every peer is one socket (one file descriptor) in the server process; keep 300 for Node-RED itself.
  const peers = Math.min(TARGET, limit - 300);
  if (peers < TARGET) {
    console.log(
      `NOTE: this process may open at most ${limit} files (RLIMIT_NOFILE hard limit; raising it needs CAP_SYS_RESOURCE, which this host does not grant), so at most ${peers} peers are attempted instead of ${TARGET}.`,
    );
  }
  const workers: WorkerHandle[] = [];
  deadline(300, () => workers);
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
    maxSwarms: 10,
  });
  announce('bench', 'main', 1);
  const baseline = rssMiB();
  console.log(`server RSS before load: ${baseline} MiB (Node-RED runtime + node)`);
  const started = Date.now();
  let joined = 0;
  let failed = 0;
  for (let remaining = peers; remaining > 0; remaining -= PER_WORKER) workers.push(forkWorker());
  const results = await Promise.all(
    workers.map((w, i) =>
      w.request<{ joined: number; failed: number; firstError?: string }>({
        op: 'connect',
        url: node.url,
        count: Math.min(PER_WORKER, peers - i * PER_WORKER),
        sources: SOURCES,
        stream: 'bench',
        rendition: 'main',
      }),
    ),
  );
  for (const r of results) {
    joined += r.joined;
    failed += r.failed;
    if (r.firstError) console.log(`  first failure: ${r.firstError}`);
  }
  const seconds = (Date.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 2500)); // let a stats msg report the joined count
  global.gc?.();
  const rss = rssMiB();
  const stats = node.stats();
  const heap = Math.round(process.memoryUsage().heapUsed / 1024 / 1024);
  const perPeerKiB = ((rss - baseline) * 1024) / Math.max(1, stats?.peers ?? joined);
  console.log(`joined ${joined} (failed ${failed}) in ${seconds.toFixed(1)} s (${Math.round(joined / seconds)} joins/s)`);
  console.log(
    `RESULT peers: ${stats?.peers} concurrent joined peers (node stats), server RSS ${rss} MiB, heap ${heap} MiB, ≈ ${perPeerKiB.toFixed(1)} KiB per peer above the baseline`,
  );
  console.log(
    `  extrapolated to 50,000 peers: ≈ ${Math.round(baseline + (perPeerKiB * 50_000) / 1024)} MiB (target < 1536 MiB) — an extrapolation, not a measurement, when fewer peers were possible`,
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
