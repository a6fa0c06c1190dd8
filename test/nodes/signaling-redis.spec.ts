// Several Node-RED instances sharing swarms through Redis (relaycast-redis + relaycast-signaling):
// each instance is its own process (test/support/signaling-instance.ts), the peers are real
// WebSocket clients, Redis is the real local one (a fresh key prefix per test) or, for the restart
// test, a private redis-server on a random port so that the shared one is never restarted.
import assert from 'node:assert/strict';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import net from 'node:net';
import path from 'node:path';
import { deleteKeys } from '../support/redis-keys';
import { until } from '../support/until';
import { SignalClient, type Frame } from './signaling-client';
import { freePort } from '../support/free-port';

const INSTANCE = path.resolve(__dirname, '../support/signaling-instance.ts');
const TTL_SECONDS = 2;

interface Instance {
  child: ChildProcess;
  url: string;
  receipts: Frame[];
  audits: Frame[];
  status: { fill?: string; shape?: string; text?: string };
  exited: Promise<unknown>;
  announce(sequence: number): void;
  /** Issues a supporter token as the editor's invite does (through the signaling node's token list). */
  issue(supporter: string): Promise<string>;
}

function startInstance(redisUrl: string, keyPrefix: string): Promise<Instance> {
  const child = fork(INSTANCE, [JSON.stringify({ redisUrl, keyPrefix, livenessTtl: TTL_SECONDS })], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    const instance: Instance = {
      child,
      url: '',
      receipts: [],
      audits: [],
      status: {},
      exited,
      announce: (sequence) => child.send({ cmd: 'announce', sequence }),
      issue: (supporter) =>
        new Promise<string>((resolveIssue, rejectIssue) => {
          const answer = (m: { issued?: string; issueFailed?: string }) => {
            if (m.issued === undefined && m.issueFailed === undefined) return;
            child.off('message', answer);
            if (m.issued !== undefined) resolveIssue(m.issued);
            else rejectIssue(new Error(m.issueFailed));
          };
          child.on('message', answer);
          child.send({ cmd: 'issue', supporter });
        }),
    };
    child.on('message', (m: { ready?: number; receipt?: Frame; audit?: Frame; status?: Instance['status'] }) => {
      if (m.receipt) instance.receipts.push(m.receipt);
      if (m.audit) instance.audits.push(m.audit);
      if (m.status) instance.status = m.status;
      if (m.ready) {
        instance.url = `ws://127.0.0.1:${m.ready}/signal`;
        resolve(instance);
      }
    });
    child.once('exit', (code) => reject(new Error(`instance exited (${code}) before it served`)));
  });
}

async function stopAll(instances: Instance[]): Promise<void> {
  await Promise.all(
    instances.map(async (instance) => {
      if (instance.child.exitCode === null && instance.child.signalCode === null) instance.child.kill('SIGKILL');
      await instance.exited;
    }),
  );
}

/** Frames a client has received so far, kept (next() takes them from the client's queue). */
class Peer {
  readonly frames: Frame[] = [];
  readonly client: SignalClient;
  id = '';
  constructor(url: string) {
    this.client = new SignalClient(url);
    this.client.ws.on('message', (data) => this.frames.push(JSON.parse(String(data)) as Frame));
  }
  async join(): Promise<Frame> {
    await this.client.opened;
    this.client.send({ type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' });
    await until(() => this.frames.some((f) => f.type === 'welcome' || f.type === 'error'), 'a welcome');
    const welcome = this.frames.find((f) => f.type === 'welcome' || f.type === 'error')!;
    assert.equal(welcome.type, 'welcome', JSON.stringify(welcome));
    this.id = welcome.peer as string;
    return welcome;
  }
  send(msg: Frame): void {
    this.client.send(msg);
  }
  /** The peers the server lists for this one now. */
  async peers(): Promise<string[]> {
    const before = this.frames.length;
    this.send({ type: 'peers', exclude: [] });
    await until(() => this.frames.slice(before).some((f) => f.type === 'peers'), 'a peers list');
    return (this.frames.slice(before).find((f) => f.type === 'peers')!.peers as Array<{ peer: string }>).map((p) => p.peer);
  }
  async frame(match: (f: Frame) => boolean, what: string): Promise<Frame> {
    await until(() => this.frames.some(match), what);
    return this.frames.find(match)!;
  }
  close(): void {
    this.client.close();
  }
}

/** Polls a peer's list every 200 ms: well inside the per-connection message rate (20/s). */
const LIST_POLL_MS = 200;

async function sees(peer: Peer, others: Peer[]): Promise<void> {
  await until(
    async () => {
      const listed = await peer.peers();
      return others.every((o) => listed.includes(o.id));
    },
    `${peer.id} listing ${others.map((o) => o.id).join(', ')}`,
    30_000,
    LIST_POLL_MS,
  );
}

/** An offer, answer and one ICE candidate each way between two peers (on any instances). */
async function negotiate(offerer: Peer, answerer: Peer, offerId: string): Promise<void> {
  offerer.send({ type: 'offer', to: answerer.id, offerId, sdp: 'v=0 offer' });
  const offer = await answerer.frame((f) => f.type === 'offer' && f.offerId === offerId, 'the relayed offer');
  assert.equal(offer.from, offerer.id);
  answerer.send({ type: 'answer', to: offerer.id, offerId, sdp: 'v=0 answer' });
  const answer = await offerer.frame((f) => f.type === 'answer' && f.offerId === offerId, 'the relayed answer');
  assert.equal(answer.from, answerer.id);
  offerer.send({ type: 'ice', to: answerer.id, offerId, candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0' } });
  answerer.send({ type: 'ice', to: offerer.id, offerId, candidate: { candidate: 'candidate:2 1 udp 1 127.0.0.1 5001 typ host', sdpMid: '0' } });
  await answerer.frame((f) => f.type === 'ice' && f.offerId === offerId && f.from === offerer.id, "the offerer's candidate");
  await offerer.frame((f) => f.type === 'ice' && f.offerId === offerId && f.from === answerer.id, "the answerer's candidate");
}

function startRedis(port: number): { child: ChildProcess; exited: Promise<unknown> } {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
    stdio: 'ignore',
  });
  return { child, exited: new Promise((resolve) => child.once('exit', resolve)) };
}

async function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(String(data).startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

describe('relaycast-signaling on several Node-RED instances sharing Redis', function () {
  this.timeout(120_000);
  const instances: Instance[] = [];
  const peers: Peer[] = [];
  let prefix = '';
  /** The first answer to a supporter join with `token` at `instance`. */
  const joinAsSupporter = async (instance: Instance, token: string): Promise<Frame> => {
    const peer = new Peer(instance.url);
    peers.push(peer);
    await peer.client.opened;
    peer.send({ type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'supporter', token });
    return peer.frame((f) => f.type === 'welcome' || f.type === 'error', 'an answer to the supporter join');
  };
  afterEach(async () => {
    for (const peer of peers.splice(0)) peer.close();
    await stopAll(instances.splice(0));
    if (prefix) await deleteKeys(prefix);
  });

  it("shares one swarm across three instances: discovery, relays, announcements, one receipt, and a SIGKILLed instance's peers vanish", async () => {
    prefix = `relaycast-spec-${randomBytes(6).toString('hex')}:`;
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => startInstance('redis://127.0.0.1:6379', prefix)));
    instances.push(a, b, c);
    await until(() => [a, b, c].every((i) => i.status.fill === 'green'), 'every instance connected to Redis');

    // An announcement fed into A opens the swarm on B and C too (swarms are closed until announced).
    a.announce(1);
    const pa = new Peer(a.url);
    const pb = new Peer(b.url);
    const pc = new Peer(c.url);
    peers.push(pa, pb, pc);
    await pa.join();
    await until(
      async () => {
        const probe = new Peer(c.url);
        await probe.client.opened;
        probe.send({ type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' });
        await until(() => probe.frames.length > 0, 'an answer to the probe join');
        probe.close();
        return probe.frames[0].type === 'welcome';
      },
      'the swarm announced on C',
      20_000,
      LIST_POLL_MS,
    );
    await pb.join();
    await pc.join();

    // Peers on different instances find each other, and offers, answers and ICE cross instances.
    await sees(pa, [pb, pc]);
    await sees(pb, [pa, pc]);
    await sees(pc, [pa, pb]);
    await negotiate(pa, pb, 'ab');
    await negotiate(pc, pa, 'ca');

    // A segment announced into B reaches every peer, with the same fetchers everywhere.
    b.announce(2);
    const told = await Promise.all([pa, pb, pc].map((p) => p.frame((f) => f.type === 'segment' && f.sequence === 2, 'segment 2')));
    assert.deepEqual(told[0].fetchers, told[1].fetchers);
    assert.deepEqual(told[2].fetchers, told[1].fetchers);

    // A delivery from pa (on A) to pb (on B) is validated by pb's instance, once.
    pa.send({ type: 'served', sequence: 2, to: pb.id, bytes: 1000 });
    pb.send({ type: 'receipt', sequence: 2, from: pa.id, bytes: 1000 });
    await pb.frame((f) => f.type === 'receipt-ack' && f.sequence === 2, 'the receipt ack');
    await until(() => b.receipts.length === 1, 'B emitting the receipt');
    assert.equal(b.receipts[0].bytes, 1000);
    assert.deepEqual([(b.receipts[0].uploader as Frame).peer, (b.receipts[0].downloader as Frame).peer], [pa.id, pb.id]);
    // The same segment from the same address through another instance is a duplicate (shared dedupe).
    pa.send({ type: 'served', sequence: 2, to: pc.id, bytes: 1000 });
    pc.send({ type: 'receipt', sequence: 2, from: pa.id, bytes: 1000 });
    // Refused (and audited by C) without an answer: viewers behind one NAT send such duplicates honestly.
    await until(() => c.audits.some((e) => e.code === 'E_RECEIPT_DUPLICATE' && e.peer === pc.id), 'the duplicate refused');
    assert.equal(a.receipts.length + c.receipts.length, 0, "only the downloader's instance emits receipts");

    // SIGKILL C: its peer leaves A's and B's replicas within the liveness TTL, and cannot be receipted.
    c.child.kill('SIGKILL');
    await c.exited;
    const killedAt = Date.now();
    await until(
      async () => !(await pa.peers()).includes(pc.id) && !(await pb.peers()).includes(pc.id),
      "C's peer gone from A and B",
      10 * TTL_SECONDS * 1000,
      LIST_POLL_MS,
    );
    console.log(`      C's peer vanished from A and B ${Date.now() - killedAt} ms after the SIGKILL (TTL ${TTL_SECONDS * 1000} ms)`);
    a.announce(3);
    await pa.frame((f) => f.type === 'segment' && f.sequence === 3, 'segment 3');
    pa.send({ type: 'receipt', sequence: 3, from: pc.id, bytes: 500 });
    await until(() => a.audits.some((e) => e.code === 'E_RECEIPT_UNKNOWN_UPLOADER' && e.peer === pa.id), "the receipt naming C's peer refused");
    pa.send({ type: 'offer', to: pc.id, offerId: 'late', sdp: 'v=0' });
    await pa.frame((f) => f.type === 'error' && f.code === 'E_SIGNAL_UNKNOWN_PEER', "an offer to C's peer refused");
    assert.equal(a.receipts.length, 0);
  });

  it('admits a supporter token issued on one instance on every other, by its digest: Redis never holds the token', async () => {
    prefix = `relaycast-spec-${randomBytes(6).toString('hex')}:`;
    const [a, b] = await Promise.all([0, 1].map(() => startInstance('redis://127.0.0.1:6379', prefix)));
    instances.push(a, b);
    await until(() => [a, b].every((i) => i.status.fill === 'green'), 'both instances connected to Redis');
    a.announce(1);
    b.announce(1);
    // The operator issues carol's token in the editor of instance A; her socket lands on B.
    const token = await a.issue('carol');
    const admitted = await joinAsSupporter(b, token);
    assert.equal(admitted.type, 'welcome', JSON.stringify(admitted));
    // Not any token: a wrong one is still refused there.
    const refused = await joinAsSupporter(b, `${token.slice(0, -4)}AAAA`);
    assert.deepEqual([refused.type, refused.code], ['error', 'E_SIGNAL_UNAUTHORIZED']);

    // An instance started after the issue reads it from Redis.
    const c = await startInstance('redis://127.0.0.1:6379', prefix);
    instances.push(c);
    await until(() => c.status.fill === 'green', 'C connected to Redis');
    c.announce(1);
    assert.equal((await joinAsSupporter(c, token)).type, 'welcome', 'C admits the token issued on A before it started');

    // What Redis holds under the prefix: carol by the token's digest, and the token nowhere.
    const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      const keys = await redis.keys(`${prefix}*`);
      const held: string[] = [];
      for (const key of keys) {
        const type = await redis.type(key);
        if (type === 'hash') held.push(key, ...Object.entries(await redis.hgetall(key)).flat());
        else if (type === 'string') held.push(key, (await redis.get(key)) ?? '');
        else if (type === 'set') held.push(key, ...(await redis.smembers(key)));
        else if (type === 'zset') held.push(key, ...(await redis.zrange(key, 0, -1)));
        else held.push(key);
      }
      const digest = createHash('sha256').update(token).digest('hex');
      const issued = keys.find((k) => k.endsWith(':supporters'));
      assert.ok(issued, `a supporters hash among ${keys.join(', ')}`);
      assert.deepEqual(await redis.hgetall(issued), { [digest]: 'carol' });
      assert.ok(!held.some((text) => text.includes(token)), 'the token is in no Redis key or value');
    } finally {
      redis.disconnect();
    }
  });

  it('keeps serving local peers while Redis is down, and resyncs when it is back (supporter tokens included)', async () => {
    const port = await freePort();
    let redis = startRedis(port);
    try {
      await until(() => redisAnswers(port), 'the private redis-server');
      const url = `redis://127.0.0.1:${port}`;
      prefix = '';
      const [a, b] = await Promise.all([0, 1].map(() => startInstance(url, 'relaycast-restart:')));
      instances.push(a, b);
      await until(() => [a, b].every((i) => i.status.fill === 'green'), 'both instances connected');
      a.announce(1);
      const pa = new Peer(a.url);
      const pb = new Peer(b.url);
      peers.push(pa, pb);
      await pa.join();
      await until(
        async () => {
          const probe = new Peer(b.url);
          await probe.client.opened;
          probe.send({ type: 'join', v: 4, stream: 'live', rendition: '720p', role: 'viewer' });
          await until(() => probe.frames.length > 0, 'an answer to the probe join');
          probe.close();
          return probe.frames[0].type === 'welcome';
        },
        'the swarm announced on B',
        20_000,
        LIST_POLL_MS,
      );
      await pb.join();
      await sees(pb, [pa]);
      const dave = await a.issue('dave');

      // Redis goes away: both say so, and A still welcomes and relays between its own peers.
      redis.child.kill('SIGKILL');
      await redis.exited;
      await until(() => [a, b].every((i) => i.status.fill === 'yellow'), 'both instances showing Redis unreachable');
      const pa2 = new Peer(a.url);
      peers.push(pa2);
      await pa2.join();
      await negotiate(pa, pa2, 'local');
      // A token issued meanwhile is admitted on A at once, and shared once Redis is back.
      const erin = await a.issue('erin');

      // Redis is back (empty: it kept nothing): both resync, and B learns of the peer that joined A meanwhile.
      redis = startRedis(port);
      await until(() => redisAnswers(port), 'the restarted redis-server');
      await until(() => [a, b].every((i) => i.status.fill === 'green'), 'both instances reconnected', 30_000);
      await sees(pb, [pa, pa2]);
      await sees(pa2, [pb]);
      await negotiate(pb, pa2, 'after-restart');

      // The restarted Redis kept no supporter digests: A wrote its list again, so an instance that
      // starts now admits dave (issued before the outage) and erin (issued during it).
      const c = await startInstance(url, 'relaycast-restart:');
      instances.push(c);
      await until(() => c.status.fill === 'green', 'C connected');
      c.announce(1);
      assert.equal((await joinAsSupporter(c, dave)).type, 'welcome', 'dave admitted on C');
      assert.equal((await joinAsSupporter(c, erin)).type, 'welcome', 'erin admitted on C');
    } finally {
      redis.child.kill('SIGKILL');
      await redis.exited;
    }
  });
});
