// The relay hot path without sockets: offer → answer pairs through SignalingCoordinator.message()
// (budgets, validation, pending offers, sender stamping, JSON out), frames per second. On a shared
// machine the socket benchmark (signaling-relay.ts) swings ±50 % from run to run with other jobs'
// load; this isolates what a change to the coordinator costs. RELAYCAST_ROOT measures another
// checkout's lib/ (e.g. a `git worktree` of the previous commit) with the same driver, so two trees
// can be measured alternately in one sitting:
//   npx tsx bench/signaling-relay-core.ts                       # this tree
//   RELAYCAST_ROOT=/tmp/old npx tsx bench/signaling-relay-core.ts
import path from 'node:path';
import { median, rateRounds } from './support/rate-rounds';
import { PROTOCOL_VERSION } from '../lib/protocol/signaling/constants';

const root = process.env.RELAYCAST_ROOT ?? path.resolve(__dirname, '..');
const PAIRS = Number(process.env.PAIRS ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const ROUND_MS = Number(process.env.ROUND_MS ?? 1000);
const SDP = 'v=0 '.padEnd(400, 'x');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { SignalingCoordinator } = require(path.join(root, 'lib/signaling/coordinator.ts')) as typeof import('../lib/signaling/coordinator');

interface Peer {
  session: import('../lib/signaling/session').Session;
  id: string;
  last?: string;
}

function swarm() {
  const big = 1_000_000_000;
  const coordinator = new SignalingCoordinator({
    limits: {
      ratePerSecond: big,
      burst: big,
      sourceRatePerSecond: big,
      sourceBurst: big,
      upgradesPerSecond: big,
      upgradeBurst: big,
      maxConnectionsPerIp: 0,
      maxPeersPerSwarm: 100_000,
      openSwarms: true,
      // Each pair is introduced at its join; later joiners must not push a partner out of a full
      // neighbour set, or a pair's offers would be refused (offers pass only between neighbours).
      maxNeighbours: big,
      exposureNetworks: big,
      joinsPerNetworkPerMinute: big,
      joinBurstPerNetwork: big,
    },
  });
  let ip = 0;
  const join = (): Peer => {
    const peer = {} as Peer;
    ip++;
    peer.session = coordinator.connect(
      {
        send: (text) => {
          peer.last = text;
        },
        close: () => undefined,
        bufferedAmount: () => 0,
      },
      `10.1.${ip >> 8}.${ip & 255}`,
    );
    coordinator.message(peer.session, JSON.stringify({ type: 'join', v: PROTOCOL_VERSION, stream: 'bench', rendition: 'main', role: 'viewer' }), false);
    peer.id = JSON.parse(peer.last!).peer;
    return peer;
  };
  const pairs = Array.from({ length: PAIRS }, () => [join(), join()] as const);
  return { coordinator, pairs };
}

function main() {
  const { coordinator, pairs } = swarm();
  let offerId = 0;
  const rates = rateRounds(ROUNDS, ROUND_MS, () => {
    for (const [a, b] of pairs) {
      const id = `o${(offerId++).toString(36)}`;
      coordinator.message(a.session, `{"type":"offer","to":"${b.id}","offerId":"${id}","sdp":"${SDP}"}`, false);
      coordinator.message(b.session, `{"type":"answer","to":"${a.id}","offerId":"${id}","sdp":"${SDP}"}`, false);
    }
    return 2 * pairs.length;
  });
  const last = JSON.parse(pairs[0][0].last!);
  if (last.type !== 'answer') throw new Error(`expected relayed answers, got ${pairs[0][0].last}`);
  console.log(`RESULT relay-core ${root}: median ${Math.round(median(rates))} frames/s (rounds: ${rates.map((r) => Math.round(r)).join(', ')})`);
}

main();
