// Relay throughput of relaycast-signaling (the compiled node in a real Node-RED runtime) against a
// bare ws relay measured in the same run, with the same load generator (separate processes) and the
// same offer/answer traffic. The bare relay does the minimum any relay must do: parse the frame,
// find the addressee, stamp the sender, forward. Loopback only; bounded in time.
//   npm run build && npx tsx bench/signaling-relay.ts
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { announce, deadline, forkWorker, startSignalingNode, type WorkerHandle } from './signaling/server';

const PAIRS = Number(process.env.PAIRS ?? 100);
// 4 in flight per pair: the most unanswered offers one peer may have pending at another (the rest would be refused).
const WINDOW = Number(process.env.WINDOW ?? 4);
const SECONDS = Number(process.env.SECONDS ?? 5);
const SDP_BYTES = Number(process.env.SDP_BYTES ?? 400);
const WORKERS = 2;

async function bareRelay(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
  const peers = new Map<string, WebSocket>();
  server.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
      const id = randomBytes(9).toString('base64url');
      peers.set(id, ws);
      ws.send(JSON.stringify({ type: 'welcome', peer: id }));
      ws.on('message', (data) => {
        const m = JSON.parse(String(data));
        const target = peers.get(m.to);
        if (target) target.send(JSON.stringify({ type: m.type, from: id, offerId: m.offerId, sdp: m.sdp }));
      });
      ws.on('close', () => peers.delete(id));
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}/`,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

async function measure(workers: WorkerHandle[], url: string, bare: boolean): Promise<number> {
  const results = await Promise.all(
    workers.map((w) =>
      w.request<{ received: number; seconds: number }>({
        op: 'relay',
        url,
        pairs: PAIRS / WORKERS,
        window: WINDOW,
        seconds: SECONDS,
        sdpBytes: SDP_BYTES,
        bare,
      }),
    ),
  );
  const total = results.reduce((s, r) => s + r.received, 0);
  return total / Math.max(...results.map((r) => r.seconds));
}

async function main() {
  const workers = [forkWorker(), forkWorker()];
  deadline(120, () => workers);
  const bare = await bareRelay();
  const node = await startSignalingNode({
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
    maxPeersPerSwarm: 100_000,
  });
  announce('relay', 'main', 1);
  console.log(`relay benchmark: ${PAIRS} offer/answer pairs, window ${WINDOW}, ${SDP_BYTES}-byte SDP, ${SECONDS} s per run, ${WORKERS} load processes`);
  const rounds: Array<{ bare: number; node: number }> = [];
  for (let round = 0; round < 2; round++) {
    const b = await measure(workers, bare.url, true);
    const n = await measure(workers, node.url, false);
    rounds.push({ bare: b, node: n });
    console.log(`  round ${round + 1}: bare ws relay ${Math.round(b)} msgs/s, relaycast-signaling ${Math.round(n)} msgs/s, ratio ${(n / b).toFixed(2)}`);
  }
  const bareBest = Math.max(...rounds.map((r) => r.bare));
  const nodeBest = Math.max(...rounds.map((r) => r.node));
  console.log(
    `RESULT relay: relaycast-signaling ${Math.round(nodeBest)} msgs/s, bare ws relay ${Math.round(bareBest)} msgs/s, ratio ${(nodeBest / bareBest).toFixed(2)} (targets: ≥ 40000 msgs/s, ≥ 0.70×)`,
  );
  for (const w of workers) w.child.kill();
  await node.stop();
  await bare.close();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
