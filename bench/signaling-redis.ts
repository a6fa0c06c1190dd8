// Several Node-RED instances sharing swarms through Redis (relaycast-redis + relaycast-signaling),
// each its own process (test/support/signaling-instance.ts), load from separate worker processes
// (bench/signaling/load-worker.ts), Redis the local one (a fresh key prefix per run). Three parts:
//   1. relay throughput, offerer and answerer on different instances vs on the same one, in one run;
//   2. join → welcome latency with PEERS (10,000) peers spread over the instances;
//   3. with BIG_PEERS (default 50,000; 0 = skip): that many concurrent peers over three instances,
//      with each instance's RSS (every instance holds its own sockets, so each stays under the
//      per-process open-file limit).
//   npm run build && npx tsx bench/signaling-redis.ts
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { deleteKeys } from '../test/support/redis-keys';
import { deadline, forkWorker, raiseFileLimit, type WorkerHandle } from './signaling/server';

const PAIRS = Number(process.env.PAIRS ?? 100);
const WINDOW = Number(process.env.WINDOW ?? 4);
const SECONDS = Number(process.env.SECONDS ?? 5);
const PEERS = Number(process.env.PEERS ?? 10_000);
const PROBES = Number(process.env.PROBES ?? 2_001);
const BIG_PEERS = Number(process.env.BIG_PEERS ?? 50_000);
const INSTANCES = 3;
const PER_WORKER = 5_000;
const SOURCES = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);
const INSTANCE = path.resolve(__dirname, '../test/support/signaling-instance.ts');
const LIMITS = {
  ratePerSecond: 1_000_000,
  burst: 1_000_000,
  sourceRatePerSecond: 10_000_000,
  sourceBurst: 10_000_000,
  upgradesPerSecond: 1_000_000,
  upgradeBurst: 1_000_000,
  // Every load connection comes from 127.0.0.x, one network: its join budget must not be what is measured.
  joinsPerNetworkPerMinute: 10_000_000,
  joinBurstPerNetwork: 10_000_000,
  maxConnectionsPerIp: 0,
  maxPeersPerSwarm: 1_000_000,
  maxSwarms: 10,
  statsInterval: 1,
};

interface Instance {
  child: ChildProcess;
  url: string;
  synced: () => boolean;
  replicaPeers: () => number | undefined;
  rss: () => Promise<number>;
  announce: (stream: string, sequence: number) => void;
}

function startInstance(keyPrefix: string): Promise<Instance> {
  const child = fork(INSTANCE, [JSON.stringify({ redisUrl: 'redis://127.0.0.1:6379', keyPrefix, livenessTtl: 15, signaling: LIMITS })], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  raiseFileLimit(child.pid!);
  const waiting: Array<(mib: number) => void> = [];
  let fill = '';
  let replica: number | undefined;
  return new Promise((resolve, reject) => {
    child.on('message', (m: { ready?: number; rss?: number; status?: { fill?: string }; stats?: { peers?: number } }) => {
      if (m.rss !== undefined) {
        replica = m.stats?.peers;
        waiting.shift()?.(m.rss);
      }
      if (m.status) fill = m.status.fill ?? '';
      if (m.ready) {
        resolve({
          child,
          url: `ws://127.0.0.1:${m.ready}/signal`,
          synced: () => fill === 'green',
          replicaPeers: () => replica,
          rss: () =>
            new Promise((r) => {
              waiting.push(r);
              child.send({ cmd: 'rss' });
            }),
          announce: (stream, sequence) => child.send({ cmd: 'announce', stream, rendition: 'main', sequence }),
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`instance exited (${code}) before it served`)));
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function relayRate(workers: WorkerHandle[], url: string, answerUrl: string): Promise<number> {
  const results = await Promise.all(
    workers.map((w) =>
      w.request<{ received: number; seconds: number }>({
        op: 'relay',
        url,
        answerUrl,
        pairs: PAIRS / workers.length,
        window: WINDOW,
        seconds: SECONDS,
        sdpBytes: 400,
        bare: false,
      }),
    ),
  );
  return results.reduce((s, r) => s + r.received, 0) / Math.max(...results.map((r) => r.seconds));
}

async function main() {
  const workers: WorkerHandle[] = [forkWorker(), forkWorker(), forkWorker()];
  deadline(600, () => workers);
  const prefix = `relaycast-bench-${randomBytes(4).toString('hex')}:`;
  const instances = await Promise.all(Array.from({ length: INSTANCES }, () => startInstance(prefix)));
  const urls = instances.map((i) => i.url);
  // An announcement made before an instance is synced with Redis reaches only that instance.
  while (!instances.every((i) => i.synced())) await new Promise((r) => setTimeout(r, 50));
  const stopAll = () => {
    for (const w of workers) w.child.kill();
    for (const i of instances) i.child.kill();
  };

  // 1. relay: the same offer/answer traffic, within one instance and across two.
  instances[0].announce('relay', 1);
  await new Promise((r) => setTimeout(r, 500)); // the announcement reaches the other instances
  const relayWorkers = workers.slice(0, 2);
  console.log(
    `relay: ${PAIRS} offer/answer pairs, window ${WINDOW}, 400-byte SDP, ${SECONDS} s per run, ${relayWorkers.length} load processes, ${INSTANCES} instances`,
  );
  const rounds: Array<{ same: number; cross: number }> = [];
  for (let round = 0; round < 2; round++) {
    const same = await relayRate(relayWorkers, urls[0], urls[0]);
    const cross = await relayRate(relayWorkers, urls[0], urls[1]);
    rounds.push({ same, cross });
    console.log(
      `  round ${round + 1}: same instance ${Math.round(same)} msgs/s, across instances ${Math.round(cross)} msgs/s, ratio ${(cross / same).toFixed(2)}`,
    );
  }
  const same = Math.max(...rounds.map((r) => r.same));
  const cross = Math.max(...rounds.map((r) => r.cross));
  console.log(
    `RESULT redis relay: across instances ${Math.round(cross)} msgs/s vs same instance ${Math.round(same)} msgs/s, ratio ${(cross / same).toFixed(2)} (target ≥ 0.5×)`,
  );

  // 2. join → welcome with PEERS peers spread over the instances.
  instances[0].announce('join', 1);
  await new Promise((r) => setTimeout(r, 500));
  const background = await Promise.all(
    workers.map((w, n) =>
      w.request<{ joined: number; failed: number; firstError?: string }>({
        op: 'connect',
        url: urls[n % urls.length],
        count: Math.round(PEERS / workers.length),
        sources: SOURCES,
        stream: 'join',
        rendition: 'main',
      }),
    ),
  );
  const joined = background.reduce((s, r) => s + r.joined, 0);
  console.log(`join: ${joined} background peers joined, a third on each instance (failed ${background.reduce((s, r) => s + r.failed, 0)})`);
  const probes = await Promise.all(
    urls.map((url, n) =>
      workers[n].request<{ latenciesMs: number[]; failed: number }>({
        op: 'probe',
        url,
        count: Math.floor(PROBES / urls.length),
        concurrency: 7,
        sources: SOURCES,
        stream: 'join',
        rendition: 'main',
      }),
    ),
  );
  const sorted = probes.flatMap((p) => p.latenciesMs).sort((a, b) => a - b);
  const f = (ms: number) => ms.toFixed(2);
  console.log(
    `RESULT redis join: ${sorted.length} joins (21 concurrent, spread over ${INSTANCES} instances) with ${joined} peers connected: p50 ${f(percentile(sorted, 50))} ms, p90 ${f(percentile(sorted, 90))} ms, p99 ${f(percentile(sorted, 99))} ms, max ${f(sorted[sorted.length - 1])} ms (target p99 ≤ 50 ms); failed ${probes.reduce((s, p) => s + p.failed, 0)}`,
  );
  await Promise.all(workers.map((w) => w.request({ op: 'close' })));

  // 3. BIG_PEERS concurrent peers across the instances, RSS of each.
  if (BIG_PEERS > 0) {
    instances[0].announce('big', 1);
    await new Promise((r) => setTimeout(r, 500));
    const before = await Promise.all(instances.map((i) => i.rss()));
    // An equal share per instance (each must stay under its own open-file limit), in workers of at most PER_WORKER.
    const share = Math.ceil(BIG_PEERS / INSTANCES);
    const perInstance = Math.ceil(share / PER_WORKER);
    while (workers.length < perInstance * INSTANCES) workers.push(forkWorker());
    const started = Date.now();
    const results = await Promise.all(
      workers.slice(0, perInstance * INSTANCES).map((w, n) =>
        w.request<{ joined: number; failed: number; firstError?: string }>({
          op: 'connect',
          url: urls[n % INSTANCES],
          count: Math.round(share / perInstance),
          sources: SOURCES,
          stream: 'big',
          rendition: 'main',
        }),
      ),
    );
    const bigJoined = results.reduce((s, r) => s + r.joined, 0);
    for (const r of results) if (r.firstError) console.log(`  first failure: ${r.firstError}`);
    const seconds = (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 2500)); // a stats msg (every second) after the last join
    const after = await Promise.all(instances.map((i) => i.rss()));
    console.log(`big: peers in each instance's replica (its stats msg): ${instances.map((i) => i.replicaPeers()).join(' / ')}`);
    const total = after.reduce((s, v) => s + v, 0);
    console.log(
      `big: joined ${bigJoined} (failed ${results.reduce((s, r) => s + r.failed, 0)}) in ${seconds.toFixed(1)} s; RSS before ${before.join(' / ')} MiB`,
    );
    console.log(
      `RESULT redis peers: ${bigJoined} concurrent joined peers across ${INSTANCES} instances (each holding every peer in its replica), RSS per instance ${after.join(' / ')} MiB, total ${total} MiB (target < 1536 MiB in all)`,
    );
  }
  stopAll();
  await deleteKeys(prefix);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
