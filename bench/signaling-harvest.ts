// Address harvesting (issue 24): how many distinct viewer addresses one client learns per hour from
// one source network, in a swarm of 50 honest viewers, and what its presence costs the honest ones.
//
// The signaling core (SignalingCoordinator, what relaycast-signaling runs) with the node's default
// limits, driven through its transport interface by clients speaking the protocol (JSON frames), on a
// virtual clock: two hours of a live swarm run in seconds, so the figures are per hour of swarm
// time, not extrapolated. No socket is opened; addresses are strings (198.18.0.0/15 for the honest
// viewers, TEST-NET-3 and 2001:db8::/32 for the harvester).
//
// Honest viewers behave like the peer engine: offer to the peers they are given while they hold
// fewer than 10 links, answer offers, send one ICE candidate per exchange (their address), ask for
// peers every 5 s while they hold fewer than 6 links, follow peer-left replacements; they leave after
// an exponential time (mean CHURN_MINUTES) and a newcomer from another network takes their place.
// The harvester joins, offers to every peer it is given (their answers and candidates carry their
// addresses), asks for more, leaves, and rejoins from the next address of its /24 (or /48) as fast
// as the upgrade and join budgets allow. Each scenario runs with the same seed, so the honest swarm is
// the same with and without the harvester.
//   npx tsx bench/signaling-harvest.ts
import { SignalingCoordinator, type Session, type Transport } from '../lib/signaling/coordinator';
import { DEFAULT_LIMITS, type SignalingLimits } from '../lib/signaling/limits';
import { seededRandom } from '../devtools/fault-proxy/seeded-random';

const HONEST = Number(process.env.HONEST ?? 50);
const HOURS = Number(process.env.HOURS ?? 2);
const CHURN_MINUTES = Number(process.env.CHURN_MINUTES ?? 30);
const SEED = Number(process.env.SEED ?? 24);
const MAX_LINKS = 10;
const WANT_LINKS = 6;
const PEERS_EVERY_MS = 5000;
const STEP_MS = 250;

type Frame = Record<string, unknown>;

class QueueTransport implements Transport {
  readonly inbox: Frame[] = [];
  closed = false;
  send(text: string): void {
    this.inbox.push(JSON.parse(text));
  }
  close(): void {
    this.closed = true;
  }
  bufferedAmount(): number {
    return 0;
  }
}

interface Viewer {
  ip: string;
  t: QueueTransport;
  s: Session;
  id?: string;
  links: Set<string>;
  pending: Set<string>;
  leavesAt: number;
  lastPeersAt: number;
}

interface Scenario {
  name: string;
  harvester?: (n: number) => string;
  limits?: Partial<SignalingLimits>;
}

interface Figures {
  perHour: number[];
  joins: number;
  refusedJoins: number;
  honestLinkSeconds: number;
  honestSeconds: number;
  linkedSeconds: number;
  introductions: number;
}

function run(scenario: Scenario): Figures {
  let clock = 1_700_000_000_000;
  const start = clock;
  const random = seededRandom(SEED);
  const churn = seededRandom(SEED + 1);
  const c = new SignalingCoordinator({ now: () => clock, random, limits: { ...scenario.limits } });
  c.announce({ stream: 'live', rendition: '720p', sequence: 1, url: 'https://cdn.example/live/720p/1.ts', size: 1000, sha256: '0'.repeat(64), duration: 2 });
  const byId = new Map<string, Viewer>();
  const honest = new Set<Viewer>();
  let honestCount = 0;
  const figures: Figures = { perHour: [], joins: 0, refusedJoins: 0, honestLinkSeconds: 0, honestSeconds: 0, linkedSeconds: 0, introductions: 0 };
  const send = (v: Viewer, msg: Frame) => c.message(v.s, JSON.stringify(msg), false);
  const sdp = (v: Viewer) => `v=0\r\nc=IN IP4 ${v.ip}\r\n`;
  const candidate = (v: Viewer) => ({ candidate: `candidate:1 1 udp 2122260223 ${v.ip} 50000 typ host`, sdpMid: '0', sdpMLineIndex: 0 });

  const connect = (ip: string): Viewer | undefined => {
    if (!c.admit(ip, undefined).ok) return undefined;
    const t = new QueueTransport();
    return { ip, t, s: c.connect(t, ip), links: new Set(), pending: new Set(), leavesAt: Infinity, lastPeersAt: clock };
  };
  const join = (v: Viewer): boolean => {
    send(v, { type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' });
    const welcome = v.t.inbox.find((f) => f.type === 'welcome');
    if (!welcome) return false;
    v.id = welcome.peer as string;
    byId.set(v.id, v);
    return true;
  };
  const offerTo = (v: Viewer, to: string) => {
    if (v.links.has(to) || v.pending.has(to) || v.links.size + v.pending.size >= MAX_LINKS) return;
    v.pending.add(to);
    send(v, { type: 'offer', to, offerId: `o${v.id}${to}`, sdp: sdp(v) });
  };
  const dropLinksTo = (id: string) => {
    for (const h of honest) {
      h.links.delete(id);
      h.pending.delete(id);
    }
  };
  const leave = (v: Viewer) => {
    c.disconnect(v.s);
    if (v.id) {
      byId.delete(v.id);
      dropLinksTo(v.id); // the DataChannels close with it
    }
  };
  const addHonest = () => {
    const n = honestCount++;
    const v = connect(`198.${18 + (n >> 8)}.${n & 255}.1`)!;
    if (!join(v)) throw new Error(`an honest viewer could not join: ${JSON.stringify(v.t.inbox)}`);
    v.leavesAt = clock - Math.log(1 - churn()) * CHURN_MINUTES * 60_000;
    honest.add(v);
  };
  /** What an honest viewer does with the frames it got. */
  const handleHonest = (v: Viewer) => {
    for (const f of v.t.inbox.splice(0)) {
      if (f.type === 'welcome' || f.type === 'peers') {
        for (const p of f.peers as Array<{ peer: string }>) {
          figures.introductions++;
          offerTo(v, p.peer);
        }
      } else if (f.type === 'offer') {
        const from = f.from as string;
        if (v.links.size >= MAX_LINKS + 2 || !byId.has(from)) continue;
        send(v, { type: 'answer', to: from, offerId: f.offerId, sdp: sdp(v) });
        send(v, { type: 'ice', to: from, offerId: f.offerId, candidate: candidate(v) });
        v.links.add(from);
      } else if (f.type === 'answer') {
        const from = f.from as string;
        v.pending.delete(from);
        if (!byId.has(from)) continue;
        send(v, { type: 'ice', to: from, offerId: f.offerId, candidate: candidate(v) });
        v.links.add(from);
      } else if (f.type === 'error') {
        // A refused offer (not a neighbour, busy): the engine tries someone else later.
        v.pending.clear();
      } else if (f.type === 'peer-left') {
        v.links.delete(f.peer as string);
        v.pending.delete(f.peer as string);
        const replacement = f.replacement as { peer: string } | undefined;
        if (replacement && (v.id ?? '') < replacement.peer) offerTo(v, replacement.peer);
      }
    }
  };

  // The harvester's state: the addresses it learned and when.
  const learnedAt = new Map<string, number>();
  let harvester: Viewer | undefined;
  let harvesterAddress = 0;
  const learn = (text: string) => {
    for (const m of text.matchAll(/(198\.(?:18|19)\.\d+\.\d+)/g)) if (!learnedAt.has(m[1])) learnedAt.set(m[1], clock - start);
  };
  const handleHarvester = (v: Viewer) => {
    for (const f of v.t.inbox.splice(0)) {
      if (f.type === 'welcome' || f.type === 'peers')
        for (const p of f.peers as Array<{ peer: string }>) send(v, { type: 'offer', to: p.peer, offerId: `h${p.peer}`, sdp: 'v=0' });
      if (f.type === 'offer' || f.type === 'answer') learn(String(f.sdp));
      if (f.type === 'offer') send(v, { type: 'answer', to: f.from, offerId: f.offerId, sdp: 'v=0' });
      if (f.type === 'ice') learn(JSON.stringify(f.candidate));
    }
  };
  /** One step of the harvest loop: join and ask for more; next step leave; and again from the next address (2 joins/s, above the budget). */
  const stepHarvester = () => {
    if (!scenario.harvester) return;
    if (!harvester) {
      const v = connect(scenario.harvester((harvesterAddress++ % 250) + 1));
      if (!v) return;
      figures.joins++;
      if (!join(v)) {
        figures.refusedJoins++;
        c.disconnect(v.s);
        return;
      }
      harvester = v;
      // Asks for more at once (the answers to its offers come in this step, before it asks).
      handleHarvester(v);
      send(v, { type: 'peers', exclude: [] });
    } else {
      handleHarvester(harvester);
      leave(harvester);
      harvester = undefined;
    }
  };

  for (let i = 0; i < HONEST; i++) addHonest();
  const end = start + HOURS * 3_600_000;
  let nextSweep = clock + 1000;
  while (clock < end) {
    clock += STEP_MS;
    for (const v of [...honest]) {
      if (clock >= v.leavesAt) {
        honest.delete(v);
        leave(v);
        addHonest();
      }
    }
    stepHarvester();
    // Frames cause frames: deliver until the swarm is quiet.
    for (let round = 0; round < 8; round++) {
      let any = false;
      for (const v of honest) {
        if (v.t.inbox.length === 0) continue;
        any = true;
        handleHonest(v);
      }
      if (harvester?.t.inbox.length) {
        any = true;
        handleHarvester(harvester);
      }
      if (!any) break;
    }
    for (const v of honest) {
      if (v.links.size < WANT_LINKS && clock - v.lastPeersAt >= PEERS_EVERY_MS) {
        v.lastPeersAt = clock;
        v.pending.clear();
        send(v, { type: 'peers', exclude: [...v.links] });
      }
    }
    if (clock >= nextSweep) {
      nextSweep += 1000;
      for (const v of honest) c.touch(v.s);
      if (harvester) c.touch(harvester.s);
      c.sweep();
      for (const v of honest) {
        // Links to honest viewers only: a link to the harvester carries nothing.
        let linked = 0;
        for (const id of v.links) if (byId.get(id) && byId.get(id) !== harvester) linked++;
        figures.honestLinkSeconds += linked;
        figures.honestSeconds++;
        if (linked > 0) figures.linkedSeconds++;
      }
    }
  }
  for (let hour = 0; hour < HOURS; hour++) {
    figures.perHour.push([...learnedAt.values()].filter((at) => at >= hour * 3_600_000 && at < (hour + 1) * 3_600_000).length);
  }
  return figures;
}

function main() {
  const lifted = { maxNeighbours: 64, exposureNetworks: 1_000_000, joinsPerNetworkPerMinute: 1_000_000, joinBurstPerNetwork: 1_000_000 };
  const scenarios: Scenario[] = [
    { name: 'no harvester' },
    { name: 'harvester from one /24', harvester: (n) => `203.0.113.${n}` },
    { name: 'harvester from one /48', harvester: (n) => `2001:db8:77:${n.toString(16)}::1` },
    { name: 'no harvester, bounds lifted', limits: lifted },
    { name: 'harvester from one /24, bounds lifted', harvester: (n) => `203.0.113.${n}`, limits: lifted },
  ];
  console.log(
    `address harvesting: ${HONEST} honest viewers (mean stay ${CHURN_MINUTES} min, replaced on leaving), ${HOURS} h of swarm time, ` +
      `limits: K ${DEFAULT_LIMITS.maxNeighbours}, ${DEFAULT_LIMITS.exposureNetworks} networks per ${DEFAULT_LIMITS.exposureWindowMs / 60_000} min, ` +
      `joins ${DEFAULT_LIMITS.joinsPerNetworkPerMinute}/min per network (burst ${DEFAULT_LIMITS.joinBurstPerNetwork}); seed ${SEED}`,
  );
  const results = new Map<string, Figures>();
  for (const scenario of scenarios) {
    const f = run(scenario);
    results.set(scenario.name, f);
    const meanLinks = f.honestLinkSeconds / f.honestSeconds;
    console.log(
      `  ${scenario.name.padEnd(38)} addresses learned per hour ${f.perHour.join(', ').padEnd(10)} joins ${String(f.joins).padStart(5)} (refused ${f.refusedJoins})  ` +
        `honest: links to honest viewers ${meanLinks.toFixed(2)} mean, viewer-time with a link ${((100 * f.linkedSeconds) / f.honestSeconds).toFixed(1)} %, introductions ${f.introductions}`,
    );
  }
  const ratio = (a: string, b: string) => {
    const x = results.get(a)!;
    const y = results.get(b)!;
    return x.honestLinkSeconds / x.honestSeconds / (y.honestLinkSeconds / y.honestSeconds);
  };
  const worst = Math.max(...['harvester from one /24', 'harvester from one /48'].flatMap((n) => results.get(n)!.perHour));
  console.log(
    `RESULT harvest: at most ${worst} distinct viewer addresses per hour from one source network (target ≤ 10); ` +
      `honest links with the harvester ${(100 * ratio('harvester from one /24', 'no harvester')).toFixed(1)} % (/24), ` +
      `${(100 * ratio('harvester from one /48', 'no harvester')).toFixed(1)} % (/48) of those without (target ≥ 95 %); ` +
      `bounds lifted: ${Math.max(...results.get('harvester from one /24, bounds lifted')!.perHour)} addresses per hour`,
  );
}

main();
